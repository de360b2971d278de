/*
 * selection.c - PBO by CSCV, the Diebold-Mariano test and the verdict (see
 * selection.h). tests/trainer/selection_reference.py is an independent
 * stdlib-Python version of the first two; tests/trainer/test_selection.c holds
 * them to it and to the cases whose answer is known.
 */
#include "trainer/selection.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_combination.h>
#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tr_selection_config_default(tr_selection_config *c)
{
    c->dsr_min = 0.95;
    c->dm_alpha = 0.05;
    c->pbo_max = 0.5;
    c->pbo_blocks = 16;
    c->pbo_min_trials = 4;
}

void tr_pbo_result_free(tr_pbo_result *r)
{
    free(r->logit);
    free(r->is_sharpe);
    free(r->oos_sharpe);
    r->logit = r->is_sharpe = r->oos_sharpe = NULL;
}

/* Per-bar Sharpe from a count, a sum and a sum of squares; 0 without spread. */
static double sharpe_of(double cnt, double sum, double sumsq)
{
    if (cnt < 2)
        return 0;
    double mean = sum / cnt;
    double var = (sumsq - sum * mean) / (cnt - 1);
    return var > 0 ? mean / sqrt(var) : 0;
}

int tr_pbo_cscv(const double *m, int t, int n, int s, tr_pbo_result *r, char err[256])
{
    memset(r, 0, sizeof *r);
    if (n < 2 || s < 2 || s > 24 || s % 2 || t < 2 * s) {
        snprintf(err, 256, "PBO: need >= 2 trials, an even number of blocks in [2, 24] and "
                 ">= 2 bars per block; got %d trials, %d blocks, %d bars", n, s, t);
        return -1;
    }
    for (long i = 0; i < (long)t * n; i++)
        if (!isfinite(m[i])) {
            snprintf(err, 256, "PBO: return of bar %ld, trial %ld is not finite", i / n, i % n);
            return -1;
        }
    /* Per block and trial: count, sum, sum of squares (each split is then O(s n)). */
    double *bs = calloc((size_t)s * (size_t)n * 2, sizeof *bs), *cnt = calloc((size_t)s, sizeof *cnt);
    double *is = malloc(sizeof *is * (size_t)n), *oos = malloc(sizeof *oos * (size_t)n);
    double *acc = malloc(sizeof *acc * (size_t)n * 4);
    gsl_combination *c = gsl_combination_calloc((size_t)s, (size_t)s / 2);
    int rc = -1;
    if (!bs || !cnt || !is || !oos || !acc || !c)
        goto oom;
    for (int b = 0; b < s; b++) {
        int lo = (int)((long)b * t / s), hi = (int)((long)(b + 1) * t / s);
        cnt[b] = hi - lo;
        double *sum = bs + (size_t)b * n * 2, *sq = sum + n;
        for (int i = lo; i < hi; i++)
            for (int j = 0; j < n; j++) {
                double v = m[(size_t)i * n + j];
                sum[j] += v;
                sq[j] += v * v;
            }
    }
    long splits = 1;
    for (int k = 1; k <= s / 2; k++)
        splits = splits * (s / 2 + k) / k;
    r->n_splits = (int)splits;
    r->n_trials = n;
    r->n_bars = t;
    r->n_blocks = s;
    r->logit = malloc(sizeof *r->logit * (size_t)splits);
    r->is_sharpe = malloc(sizeof *r->is_sharpe * (size_t)splits);
    r->oos_sharpe = malloc(sizeof *r->oos_sharpe * (size_t)splits);
    if (!r->logit || !r->is_sharpe || !r->oos_sharpe)
        goto oom;
    int below = 0, loss = 0;
    double call = 0;
    memset(acc, 0, sizeof *acc * (size_t)n * 4);
    for (int b = 0; b < s; b++) {
        const double *sum = bs + (size_t)b * n * 2, *sq = sum + n;
        for (int j = 0; j < n; j++) {
            acc[2 * n + j] += sum[j];
            acc[3 * n + j] += sq[j];
        }
        call += cnt[b];
    }
    for (long k = 0; k < splits; k++) {
        /* acc: IS sum and sumsq per trial; acc + 2n: all bars (set once above) */
        memset(acc, 0, sizeof *acc * (size_t)n * 2);
        double cis = 0;
        for (size_t q = 0; q < (size_t)s / 2; q++) {
            int b = (int)gsl_combination_get(c, q);
            const double *sum = bs + (size_t)b * n * 2, *sq = sum + n;
            for (int j = 0; j < n; j++) {
                acc[j] += sum[j];
                acc[n + j] += sq[j];
            }
            cis += cnt[b];
        }
        int best = 0;
        for (int j = 0; j < n; j++) {
            is[j] = sharpe_of(cis, acc[j], acc[n + j]);
            oos[j] = sharpe_of(call - cis, acc[2 * n + j] - acc[j], acc[3 * n + j] - acc[n + j]);
            if (is[j] > is[best])
                best = j;
        }
        double less = 0, tie = 0;
        for (int j = 0; j < n; j++)
            if (j != best)
                less += oos[j] < oos[best], tie += oos[j] == oos[best];
        double w = (1 + less + tie / 2) / (n + 1);
        r->logit[k] = log(w / (1 - w));
        r->is_sharpe[k] = is[best];
        r->oos_sharpe[k] = oos[best];
        below += r->logit[k] <= 0;
        loss += oos[best] < 0;
        gsl_combination_next(c);
    }
    r->pbo = (double)below / (double)splits;
    r->p_oos_loss = (double)loss / (double)splits;
    double c0, c1, v00, v01, v11, ss;
    if (gsl_fit_linear(r->is_sharpe, 1, r->oos_sharpe, 1, (size_t)splits, &c0, &c1, &v00, &v01,
                       &v11, &ss) == 0 && isfinite(c1)) {
        r->intercept = c0;
        r->slope = c1;
    } else {
        r->intercept = r->slope = NAN;
    }
    rc = 0;
    goto done;
oom:
    snprintf(err, 256, "PBO: out of memory for %d trials x %d bars", n, t);
    tr_pbo_result_free(r);
done:
    if (c)
        gsl_combination_free(c);
    free(bs);
    free(cnt);
    free(is);
    free(oos);
    free(acc);
    return rc;
}

int tr_diebold_mariano(const double *loss_a, const double *loss_b, int n, int lag,
                       tr_dm_result *r, char err[256])
{
    memset(r, 0, sizeof *r);
    if (n < 2) {
        snprintf(err, 256, "Diebold-Mariano: need >= 2 paired losses, got %d", n);
        return -1;
    }
    double mean = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(loss_a[i]) || !isfinite(loss_b[i])) {
            snprintf(err, 256, "Diebold-Mariano: loss %d is not finite", i);
            return -1;
        }
        mean += loss_a[i] - loss_b[i];
    }
    mean /= n;
    if (lag < 0)
        lag = (int)floor(4.0 * pow(n / 100.0, 2.0 / 9.0));
    if (lag > n - 1)
        lag = n - 1;
    double lrv = 0;
    for (int k = 0; k <= lag; k++) {
        double g = 0;
        for (int i = k; i < n; i++)
            g += (loss_a[i] - loss_b[i] - mean) * (loss_a[i - k] - loss_b[i - k] - mean);
        g /= n;
        lrv += k == 0 ? g : 2.0 * (1.0 - (double)k / (lag + 1)) * g;
    }
    r->n = n;
    r->lag = lag;
    r->mean_diff = mean;
    r->se = lrv > 0 ? sqrt(lrv / n) : 0;
    if (r->se > 0) {
        r->stat = mean / r->se;
        r->pvalue = gsl_cdf_ugaussian_P(r->stat);
    } else {
        r->stat = mean < 0 ? -INFINITY : mean > 0 ? INFINITY : 0;
        r->pvalue = mean < 0 ? 0 : mean > 0 ? 1 : 0.5;
    }
    double z = gsl_cdf_ugaussian_Pinv(0.975);
    r->ci_low = mean - z * r->se;
    r->ci_high = mean + z * r->se;
    return 0;
}

void tr_verdict_decide(const tr_verdict_input *in, const tr_selection_config *c, tr_verdict *v)
{
    memset(v, 0, sizeof *v);
    int dsr_ok = isfinite(in->dsr) && in->dsr >= c->dsr_min;
    int dm_ok = isfinite(in->dm_p_noskill) && in->dm_p_noskill < c->dm_alpha;
    v->edge = dsr_ok && dm_ok;
    char(*R)[320] = v->reasons;
    if (isfinite(in->dsr))
        snprintf(R[0], 320, "Deflated Sharpe Ratio %.3f %s %.2f over %d evaluated trials: the "
                 "holdout Sharpe %s explained by the luck of the best of %d tries",
                 in->dsr, dsr_ok ? ">=" : "<", c->dsr_min, in->dsr_trials,
                 dsr_ok ? "is not" : "may be", in->dsr_trials);
    else
        snprintf(R[0], 320, "Deflated Sharpe Ratio not computable (needs >= 2 trials with a "
                 "Sharpe ratio and >= 3 holdout bars with a spread): criterion not met");
    const char *ns = in->noskill_name ? in->noskill_name : "no skill";
    if (isfinite(in->dm_p_noskill))
        snprintf(R[1], 320, "Diebold-Mariano test of the holdout loss against %s: p = %.4f %s "
                 "%.2f: the model's loss is %s lower", ns, in->dm_p_noskill,
                 dm_ok ? "<" : ">=", c->dm_alpha, dm_ok ? "significantly" : "not significantly");
    else
        snprintf(R[1], 320, "Diebold-Mariano test against %s not computable: criterion not met",
                 ns);
    v->n_reasons = 2;
    if (isfinite(in->dm_p_linear))
        snprintf(R[v->n_reasons++], 320, "(does not change the verdict) against the linear "
                 "(%s) baseline: p = %.4f, the LSTM %s over it at %.2f",
                 in->linear_name ? in->linear_name : "logistic", in->dm_p_linear, in->dm_p_linear < c->dm_alpha ? "adds value" : "adds no "
                 "significant value", c->dm_alpha);
    if (isfinite(in->pbo))
        snprintf(R[v->n_reasons++], 320, "(does not change the verdict) PBO %.3f over %d trials: "
                 "%s", in->pbo, in->pbo_trials, in->pbo >= c->pbo_max
                 ? "the in-sample winner is no better than a random configuration out of sample "
                   "(every configuration noise, or all sharing the same edge)"
                 : "the search's ranking carries out of sample");
    else
        snprintf(R[v->n_reasons++], 320, "(does not change the verdict) PBO not computed: %d "
                 "trial(s) completed every fold, %d needed", in->pbo_trials, c->pbo_min_trials);
}
