/*
 * metrics.c - classification and trading metrics, the Deflated Sharpe Ratio
 * and the baselines (see metrics.h). All arithmetic in double; GSL supplies the
 * normal distribution, moments, sorting and the linear algebra.
 */
#include "trainer/metrics.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ROC AUC as the Mann-Whitney statistic with mid-ranks for tied scores. */
static double roc_auc(const double *p, const double *y, int n)
{
    size_t *idx = malloc((size_t)n * sizeof *idx);
    if (!idx)
        return NAN;
    gsl_sort_index(idx, p, 1, (size_t)n);
    double pos = 0, rank_sum = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && p[idx[j + 1]] == p[idx[i]])
            j++;
        double mid = 0.5 * (i + j) + 1;   /* ranks are 1-based */
        for (int k = i; k <= j; k++)
            if (y[idx[k]] == 1) {
                rank_sum += mid;
                pos++;
            }
        i = j + 1;
    }
    free(idx);
    double neg = n - pos;
    if (pos == 0 || neg == 0)
        return NAN;
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

int tr_metrics_classify(const double *p, const double *y, int n, tr_class_metrics *m,
                        char err[256])
{
    memset(m, 0, sizeof *m);
    if (n < 1) {
        snprintf(err, 256, "no samples to score");
        return -1;
    }
    double tp = 0, tn = 0, fp = 0, fn = 0, ll = 0, br = 0;
    for (int i = 0; i < n; i++) {
        if (y[i] != 0 && y[i] != 1) {
            snprintf(err, 256, "label %d is %g, expected 0 or 1", i, y[i]);
            return -1;
        }
        if (!isfinite(p[i])) {
            snprintf(err, 256, "prediction %d is not finite", i);
            return -1;
        }
        int hat = p[i] >= 0.5;
        if (y[i] == 1)
            hat ? tp++ : fn++;
        else
            hat ? fp++ : tn++;
        double q = fmin(fmax(p[i], 1e-15), 1 - 1e-15);
        ll -= y[i] == 1 ? log(q) : log(1 - q);
        br += (p[i] - y[i]) * (p[i] - y[i]);
    }
    m->n = n;
    m->accuracy = (tp + tn) / n;
    double rec1 = tp + fn > 0 ? tp / (tp + fn) : NAN, rec0 = tn + fp > 0 ? tn / (tn + fp) : NAN;
    m->balanced_accuracy = isnan(rec1) ? rec0 : isnan(rec0) ? rec1 : 0.5 * (rec0 + rec1);
    m->log_loss = ll / n;
    m->brier = br / n;
    m->roc_auc = roc_auc(p, y, n);
    double den = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn);
    m->mcc = den > 0 ? (tp * tn - fp * fn) / sqrt(den) : 0;
    return 0;
}

int tr_metrics_regress(const double *pred, const double *y, int n, double *mse, double *mae,
                       char err[256])
{
    if (n < 1) {
        snprintf(err, 256, "no samples to score");
        return -1;
    }
    double se = 0, ae = 0;
    for (int i = 0; i < n; i++) {
        double d = pred[i] - y[i];
        if (!isfinite(d)) {
            snprintf(err, 256, "prediction or target %d is not finite", i);
            return -1;
        }
        se += d * d;
        ae += fabs(d);
    }
    *mse = se / n;
    *mae = ae / n;
    return 0;
}

static double sgn_pos(const tr_backtest_config *cfg, double p)
{
    return p > cfg->long_threshold ? 1.0 : p < cfg->short_threshold ? -1.0 : 0.0;
}

int tr_metrics_trading(const double *p, const double *positions, const double *ret, int n,
                       const tr_backtest_config *cfg, tr_trading_metrics *m, double *equity,
                       double *bar_returns, char err[256])
{
    memset(m, 0, sizeof *m);
    if (n < 1) {
        snprintf(err, 256, "backtest: no bars");
        return -1;
    }
    if (!(cfg->short_threshold <= cfg->long_threshold) || !(cfg->fee_bps >= 0) ||
        !(cfg->bars_per_year > 0)) {
        snprintf(err, 256, "backtest: need short_threshold <= long_threshold, fee_bps >= 0 and "
                 "a positive bar interval (got %g, %g, %g, %g)", cfg->short_threshold,
                 cfg->long_threshold, cfg->fee_bps, cfg->bars_per_year);
        return -1;
    }
    double fee = cfg->fee_bps / 1e4, eq = 1, peak = 1, prev = 0, sum = 0, sumsq = 0, down = 0;
    double trade_growth = 1;
    int wins = 0, exposed = 0;
    if (equity)
        equity[0] = 1;
    for (int i = 0; i < n; i++) {
        double pos = positions ? positions[i] : sgn_pos(cfg, p[i]);
        double r = pos * ret[i] - fee * fabs(pos - prev);
        if (pos != prev) {
            if (prev != 0 && trade_growth > 1)
                wins++;
            if (pos != 0) {
                m->n_trades++;
                trade_growth = 1;
            }
        }
        if (pos != 0) {
            exposed++;
            trade_growth *= 1 + r;
        }
        eq *= 1 + r;
        if (eq > peak)
            peak = eq;
        if (1 - eq / peak > m->max_drawdown)
            m->max_drawdown = 1 - eq / peak;
        sum += r;
        sumsq += r * r;
        if (r < 0)
            down += r * r;
        if (equity)
            equity[i + 1] = eq;
        if (bar_returns)
            bar_returns[i] = r;
        prev = pos;
    }
    if (prev != 0 && trade_growth > 1)
        wins++;
    double mean = sum / n, var = n > 1 ? (sumsq - n * mean * mean) / (n - 1) : 0;
    double ann = sqrt(cfg->bars_per_year);
    m->n_bars = n;
    m->total_return = eq - 1;
    m->sharpe = var > 0 ? mean / sqrt(var) * ann : 0;
    m->sortino = down > 0 ? mean / sqrt(down / n) * ann : 0;
    m->win_rate = m->n_trades ? (double)wins / m->n_trades : 0;
    m->exposure = (double)exposed / n;
    return 0;
}

int tr_metrics_buy_hold(const double *ret, int n, const tr_backtest_config *cfg,
                        tr_trading_metrics *m, double *equity, char err[256])
{
    double *pos = malloc((size_t)(n > 0 ? n : 1) * sizeof *pos);
    if (!pos) {
        snprintf(err, 256, "backtest: out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++)
        pos[i] = 1;
    int rc = tr_metrics_trading(NULL, pos, ret, n, cfg, m, equity, NULL, err);
    free(pos);
    return rc;
}

double tr_expected_max_sharpe(int n_trials, double var_sharpe)
{
    if (n_trials < 2 || !(var_sharpe > 0))
        return 0;
    const double g = 0.57721566490153286061;
    double N = n_trials;
    return sqrt(var_sharpe) * ((1 - g) * gsl_cdf_ugaussian_Pinv(1 - 1 / N) +
                               g * gsl_cdf_ugaussian_Pinv(1 - 1 / (N * M_E)));
}

double tr_probabilistic_sharpe(double sr, double sr_star, int t, double skew, double kurtosis)
{
    double den = 1 - skew * sr + (kurtosis - 1) / 4 * sr * sr;
    if (!(den > 0) || t < 2)
        return NAN;
    return gsl_cdf_ugaussian_P((sr - sr_star) * sqrt((double)t - 1) / sqrt(den));
}

int tr_deflated_sharpe(const double *returns, int t, int n_trials, double var_trial_sharpes,
                       double *dsr, double *sr_out, char err[256])
{
    if (t < 3 || n_trials < 1 || !(var_trial_sharpes >= 0)) {
        snprintf(err, 256, "deflated Sharpe: need >= 3 returns, >= 1 trial and a variance >= 0 "
                 "(got %d, %d, %g)", t, n_trials, var_trial_sharpes);
        return -1;
    }
    double mean = gsl_stats_mean(returns, 1, (size_t)t);
    double sd = gsl_stats_sd_m(returns, 1, (size_t)t, mean);
    if (!(sd > 0)) {
        snprintf(err, 256, "deflated Sharpe: the returns have no spread");
        return -1;
    }
    double sr = mean / sd;
    double skew = gsl_stats_skew_m_sd(returns, 1, (size_t)t, mean, sd);
    double kurt = gsl_stats_kurtosis_m_sd(returns, 1, (size_t)t, mean, sd) + 3;
    *dsr = tr_probabilistic_sharpe(sr, tr_expected_max_sharpe(n_trials, var_trial_sharpes), t,
                                   skew, kurt);
    if (sr_out)
        *sr_out = sr;
    return 0;
}

int tr_deflated_sharpe_trials(const double *returns, int t, const double *trial_sharpes,
                              int n_trials, double *dsr, char err[256])
{
    if (n_trials < 2) {
        snprintf(err, 256, "deflated Sharpe: need the Sharpe ratios of >= 2 trials, got %d",
                 n_trials);
        return -1;
    }
    double v = gsl_stats_variance(trial_sharpes, 1, (size_t)n_trials);
    return tr_deflated_sharpe(returns, t, n_trials, v, dsr, NULL, err);
}

int tr_baseline_majority(const double *y_train, int n_train, const double *y_test, int n_test,
                         tr_class_metrics *m, char err[256])
{
    if (n_train < 1 || n_test < 1) {
        snprintf(err, 256, "majority baseline: %d training and %d test samples", n_train,
                 n_test);
        return -1;
    }
    double ones = 0;
    for (int i = 0; i < n_train; i++)
        ones += y_train[i] == 1;
    double rate = ones / n_train;
    double *p = malloc((size_t)n_test * sizeof *p);
    if (!p) {
        snprintf(err, 256, "majority baseline: out of memory");
        return -1;
    }
    for (int i = 0; i < n_test; i++)
        p[i] = rate;
    int rc = tr_metrics_classify(p, y_test, n_test, m, err);
    free(p);
    return rc;
}

/* The design row of window i: 1 (intercept) then the last bar's features. */
static void design_row(const tr_windows *w, int i, double *row)
{
    const float *x = w->x + (size_t)w->ends[i] * w->n_features;
    row[0] = 1;
    for (int j = 0; j < w->n_features; j++)
        row[j + 1] = x[j];
}

static double sigmoid(double z)
{
    return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
}

int tr_baseline_logistic(const tr_windows *train, const tr_windows *test, tr_class_metrics *m,
                         double *p_test, char err[256])
{
    int d = train->n_features + 1, rc = -1;
    gsl_matrix *H = gsl_matrix_alloc((size_t)d, (size_t)d);
    gsl_vector *g = gsl_vector_alloc((size_t)d), *beta = gsl_vector_calloc((size_t)d);
    gsl_vector *step = gsl_vector_alloc((size_t)d);
    double *row = malloc((size_t)d * sizeof *row);
    double *p = malloc((size_t)(test->n > 0 ? test->n : 1) * sizeof *p);
    double *yt = malloc((size_t)(test->n > 0 ? test->n : 1) * sizeof *yt);
    if (!H || !g || !beta || !step || !row || !p || !yt) {
        snprintf(err, 256, "logistic baseline: out of memory");
        goto done;
    }
    if (train->n < 1 || test->n < 1 || test->n_features != train->n_features) {
        snprintf(err, 256, "logistic baseline: %d training and %d test samples", train->n,
                 test->n);
        goto done;
    }
    const double ridge = 1e-4;
    /* IRLS = Newton's method on the penalised log-likelihood:
     * H = X'WX + ridge I, g = X'(y - p) - ridge beta, beta += H^-1 g. */
    for (int it = 0; it < 50; it++) {
        gsl_matrix_set_identity(H);
        gsl_matrix_scale(H, ridge * train->n);
        gsl_vector_memcpy(g, beta);
        gsl_vector_scale(g, -ridge * train->n);
        for (int i = 0; i < train->n; i++) {
            design_row(train, i, row);
            double z = 0;
            for (int j = 0; j < d; j++)
                z += row[j] * gsl_vector_get(beta, (size_t)j);
            double pi = sigmoid(z), wi = pi * (1 - pi), yi = train->y[train->ends[i]];
            for (int a = 0; a < d; a++) {
                *gsl_vector_ptr(g, (size_t)a) += row[a] * (yi - pi);
                for (int b = 0; b <= a; b++)
                    *gsl_matrix_ptr(H, (size_t)a, (size_t)b) += wi * row[a] * row[b];
            }
        }
        for (int a = 0; a < d; a++)
            for (int b = 0; b < a; b++)
                gsl_matrix_set(H, (size_t)b, (size_t)a, gsl_matrix_get(H, (size_t)a, (size_t)b));
        if (gsl_linalg_cholesky_decomp1(H) != GSL_SUCCESS ||
            gsl_linalg_cholesky_solve(H, g, step) != GSL_SUCCESS) {
            snprintf(err, 256, "logistic baseline: the Newton system is singular");
            goto done;
        }
        gsl_vector_add(beta, step);
        double mx = 0;
        for (int j = 0; j < d; j++)
            mx = fmax(mx, fabs(gsl_vector_get(step, (size_t)j)));
        if (!isfinite(mx)) {
            snprintf(err, 256, "logistic baseline: the fit diverged");
            goto done;
        }
        if (mx < 1e-8)
            break;
    }
    for (int i = 0; i < test->n; i++) {
        design_row(test, i, row);
        double z = 0;
        for (int j = 0; j < d; j++)
            z += row[j] * gsl_vector_get(beta, (size_t)j);
        p[i] = sigmoid(z);
        yt[i] = test->y[test->ends[i]];
        if (p_test)
            p_test[i] = p[i];
    }
    rc = tr_metrics_classify(p, yt, test->n, m, err);
done:
    gsl_matrix_free(H);
    gsl_vector_free(g);
    gsl_vector_free(beta);
    gsl_vector_free(step);
    free(row);
    free(p);
    free(yt);
    return rc;
}
