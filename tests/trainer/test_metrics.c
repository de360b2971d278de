/*
 * test_metrics.c - metrics on cases worked by hand: a 10-bar backtest with
 * fees, flips and a drawdown; buy-and-hold; classification scores with tied
 * scores; the Deflated Sharpe Ratio against the numerical example of Bailey &
 * Lopez de Prado (2014); the majority and logistic baselines.
 */
#include "tests/check.h"
#include "trainer/metrics.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_statistics_double.h>

static void test_trading(void)
{
    /* p -> positions with long > 0.55, short < 0.45: +1 +1 0 -1 -1 +1 +1 +1 0 -1 */
    const double p[10] = {0.6, 0.6, 0.5, 0.3, 0.3, 0.7, 0.7, 0.7, 0.5, 0.4};
    const double ret[10] = {0.01, -0.02, 0.03, -0.01, -0.02, 0.01, 0.01, -0.03, 0.02, 0.01};
    tr_backtest_config cfg = {10, 0.55, 0.45, 250};
    tr_trading_metrics m;
    double eq[11], r[10];
    char err[256];
    CHECK(tr_metrics_trading(p, NULL, ret, 10, &cfg, &m, eq, r, err) == 0);
    /* bar returns net of 10 bps per unit of position change (the flip at bar 5 costs 2) */
    const double want[10] = {0.01 - 0.001, -0.02, -0.001, 0.01 - 0.001, 0.02,
                             0.01 - 0.002, 0.01, -0.03, -0.001, -0.01 - 0.001};
    double e = 1, peak = 1;
    for (int i = 0; i < 10; i++) {
        CHECK_NEAR(r[i], want[i], 1e-15);
        e *= 1 + want[i];
        CHECK_NEAR(eq[i + 1], e, 1e-15);
        peak = fmax(peak, e);
    }
    CHECK_NEAR(m.total_return, 1.009 * 0.98 * 0.999 * 1.009 * 1.02 * 1.008 * 1.01 * 0.97 * 0.999 *
                                   0.989 - 1, 1e-14);
    /* peak after bar 6 (1.009*.98*.999*1.009*1.02*1.008*1.01), trough at the end */
    double pk = 1.009 * 0.98 * 0.999 * 1.009 * 1.02 * 1.008 * 1.01;
    CHECK_NEAR(m.max_drawdown, 1 - 0.97 * 0.999 * 0.989, 1e-14);
    CHECK_NEAR(peak, pk, 1e-14);
    CHECK_INT(m.n_trades, 4);                /* long, short, long (flip), short */
    CHECK_NEAR(m.win_rate, 0.25, 1e-15);     /* only the short over bars 3-4 gains */
    CHECK_NEAR(m.exposure, 0.8, 1e-15);
    double mean = gsl_stats_mean(want, 1, 10), sd = gsl_stats_sd(want, 1, 10), dn = 0;
    for (int i = 0; i < 10; i++)
        dn += want[i] < 0 ? want[i] * want[i] : 0;
    CHECK_NEAR(m.sharpe, mean / sd * sqrt(250.0), 1e-12);
    CHECK_NEAR(m.sortino, mean / sqrt(dn / 10) * sqrt(250.0), 1e-12);
    CHECK_NEAR(m.sharpe, -0.04535203470529067 * sqrt(250.0), 1e-9);

    CHECK(tr_metrics_buy_hold(ret, 10, &cfg, &m, eq, err) == 0);
    CHECK_NEAR(m.total_return, 1.009 * 0.98 * 1.03 * 0.99 * 0.98 * 1.01 * 1.01 * 0.97 * 1.02 *
                                   1.01 - 1, 1e-14);
    CHECK_INT(m.n_trades, 1);
    CHECK_NEAR(m.exposure, 1, 0);
    /* flat: nothing happens */
    tr_backtest_config wide = {10, 0.99, 0.01, 250};
    CHECK(tr_metrics_trading(p, NULL, ret, 10, &wide, &m, NULL, NULL, err) == 0);
    CHECK(m.total_return == 0 && m.n_trades == 0 && m.exposure == 0 && m.sharpe == 0 &&
          m.max_drawdown == 0);
    CHECK(tr_metrics_trading(p, NULL, ret, 0, &cfg, &m, NULL, NULL, err) < 0);
    tr_backtest_config badc = {10, 0.4, 0.6, 250};
    CHECK(tr_metrics_trading(p, NULL, ret, 10, &badc, &m, NULL, NULL, err) < 0);
    CHECK_STR_CONTAINS(err, "short_threshold <= long_threshold");
}

static void test_classification(void)
{
    const double p[8] = {0.9, 0.8, 0.7, 0.7, 0.4, 0.3, 0.2, 0.7};
    const double y[8] = {1, 1, 0, 1, 0, 0, 1, 0};
    tr_class_metrics m;
    char err[256];
    CHECK(tr_metrics_classify(p, y, 8, &m, err) == 0);
    /* TP 3, FN 1, FP 2, TN 2 */
    CHECK_NEAR(m.accuracy, 5.0 / 8, 1e-15);
    CHECK_NEAR(m.balanced_accuracy, 0.5 * (3.0 / 4 + 2.0 / 4), 1e-15);
    CHECK_NEAR(m.mcc, (3.0 * 2 - 2.0 * 1) / sqrt(5.0 * 4 * 4 * 3), 1e-15);
    /* pairs (pos > neg, ties half): 0.9: 4, 0.8: 4, 0.7: 2 + 2/2, 0.2: 0 -> 11/16 */
    CHECK_NEAR(m.roc_auc, 11.0 / 16, 1e-15);
    CHECK_NEAR(m.log_loss, -(log(0.9) + log(0.8) + log(0.3) + log(0.7) + log(0.6) + log(0.7) +
                             log(0.2) + log(0.3)) / 8, 1e-14);
    CHECK_NEAR(m.brier, (0.01 + 0.04 + 0.49 + 0.09 + 0.16 + 0.09 + 0.64 + 0.49) / 8, 1e-14);
    double mse, mae;
    const double pr[3] = {0.1, -0.2, 0.3}, yr[3] = {0.0, 0.0, 0.5};
    CHECK(tr_metrics_regress(pr, yr, 3, &mse, &mae, err) == 0);
    CHECK_NEAR(mse, (0.01 + 0.04 + 0.04) / 3, 1e-15);
    CHECK_NEAR(mae, (0.1 + 0.2 + 0.2) / 3, 1e-15);
    CHECK(tr_metrics_regress(pr, yr, 0, &mse, &mae, err) < 0);
    const double all_tie[4] = {0.5, 0.5, 0.5, 0.5}, y2[4] = {1, 0, 1, 0};
    CHECK(tr_metrics_classify(all_tie, y2, 4, &m, err) == 0);
    CHECK_NEAR(m.roc_auc, 0.5, 1e-15);
    const double one[2] = {1, 1};
    CHECK(tr_metrics_classify(all_tie, one, 2, &m, err) == 0);
    CHECK(isnan(m.roc_auc));
    const double bad[2] = {1, 0.5};
    CHECK(tr_metrics_classify(all_tie, bad, 2, &m, err) < 0);
    CHECK_STR_CONTAINS(err, "label 1 is 0.5");
}

/* Bailey & Lopez de Prado (2014), numerical example: 100 trials whose
 * annualised Sharpe ratios have variance 1/2, the chosen one with annualised SR
 * 2.5 over 1250 daily returns (250 a year), skewness -3, kurtosis 10:
 * SR0 = 0.1132 per day, DSR = 0.9004. */
static void test_dsr(void)
{
    double sr0 = tr_expected_max_sharpe(100, 0.5 / 250);
    CHECK_NEAR(sr0, 0.1132, 5e-5);
    double dsr = tr_probabilistic_sharpe(2.5 / sqrt(250.0), sr0, 1250, -3, 10);
    CHECK_NEAR(dsr, 0.9004, 5e-5);
    fprintf(stderr, "DSR example: SR0 %.6f per day, DSR %.6f\n", sr0, dsr);
    CHECK_NEAR(tr_expected_max_sharpe(1, 0.5), 0, 0);
    /* PSR at its own benchmark is 1/2 */
    CHECK_NEAR(tr_probabilistic_sharpe(0.1, 0.1, 100, 0, 3), 0.5, 1e-15);

    /* From returns: the moments go in as computed by hand. */
    double r[40];
    for (int i = 0; i < 40; i++)
        r[i] = 0.001 * ((i * 7) % 11) - 0.004 + (i % 13 == 0 ? -0.02 : 0);
    double mean = 0, m2 = 0, m3 = 0, m4 = 0;
    for (int i = 0; i < 40; i++)
        mean += r[i] / 40;
    for (int i = 0; i < 40; i++) {
        double d = r[i] - mean;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
    }
    double sd = sqrt(m2 / 39);
    double skew = m3 / 40 / (sd * sd * sd), kurt = m4 / 40 / (sd * sd * sd * sd);
    double got, sr;
    char err[256];
    CHECK(tr_deflated_sharpe(r, 40, 20, 0.01, &got, &sr, err) == 0);
    CHECK_NEAR(sr, mean / sd, 1e-12);
    CHECK_NEAR(got, tr_probabilistic_sharpe(mean / sd, tr_expected_max_sharpe(20, 0.01), 40, skew,
                                            kurt), 1e-12);
    CHECK(tr_deflated_sharpe(r, 2, 20, 0.01, &got, &sr, err) < 0);
    /* from the trials' Sharpe ratios: 0.1, 0.3, 0.2 have sample variance 0.01 */
    const double trials[3] = {0.1, 0.3, 0.2};
    double got3;
    CHECK(tr_deflated_sharpe_trials(r, 40, trials, 3, &got3, err) == 0);
    CHECK(tr_deflated_sharpe(r, 40, 3, 0.01, &got, &sr, err) == 0);
    CHECK_NEAR(got3, got, 1e-12);
    CHECK(tr_deflated_sharpe_trials(r, 40, trials, 1, &got3, err) < 0);
}

static void test_baselines(void)
{
    tr_class_metrics m;
    char err[256];
    const double ytr[4] = {1, 1, 1, 0}, yte[2] = {1, 0};
    CHECK(tr_baseline_majority(ytr, 4, yte, 2, &m, err) == 0);
    CHECK_NEAR(m.accuracy, 0.5, 1e-15);
    CHECK_NEAR(m.log_loss, -(log(0.75) + log(0.25)) / 2, 1e-14);

    /* x = 0: 1 of 4 up; x = 1: 3 of 4 up. The logistic MLE predicts 1/4 and 3/4. */
    float x[10] = {0, 0, 0, 0, 1, 1, 1, 1, 0, 1};
    float y[10] = {1, 0, 0, 0, 1, 1, 1, 0, 0, 1};
    int tr_ends[8] = {0, 1, 2, 3, 4, 5, 6, 7}, te_ends[2] = {8, 9};
    tr_windows tw = {x, y, tr_ends, 8, 1, 1}, te = {x, y, te_ends, 2, 1, 1};
    double pt[2];
    CHECK_MSG(tr_baseline_logistic(&tw, &te, &m, pt, err) == 0, "%s", err);
    CHECK_NEAR(pt[0], 0.25, 2e-3);
    CHECK_NEAR(pt[1], 0.75, 2e-3);
    CHECK_NEAR(m.accuracy, 1, 0);
    CHECK_NEAR(m.log_loss, -(log(1 - pt[0]) + log(pt[1])) / 2, 1e-12);
    tw.n = 0;
    CHECK(tr_baseline_logistic(&tw, &te, &m, pt, err) < 0);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_trading();
    test_classification();
    test_dsr();
    test_baselines();
    return check_done();
}
