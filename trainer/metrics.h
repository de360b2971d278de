/*
 * metrics.h - how good a fold's predictions are, in double precision:
 * classification scores, a threshold trading backtest (and buy-and-hold), the
 * Deflated Sharpe Ratio, and the baselines (majority class, logistic
 * regression on the last bar's features) an LSTM has to beat.
 */
#ifndef TR_METRICS_H
#define TR_METRICS_H

#include "trainer/windows.h"

typedef struct tr_class_metrics {
    int n;                     /* samples scored */
    double accuracy;           /* at p >= 0.5 */
    double balanced_accuracy;  /* mean of the recalls of both classes */
    double log_loss;           /* p clipped to [1e-15, 1 - 1e-15] */
    double brier;              /* mean (p - y)^2 */
    double roc_auc;            /* tied scores get mid-ranks; NaN with one class */
    double mcc;                /* Matthews; 0 when a margin is empty */
} tr_class_metrics;

/* Scores probabilities p of class 1 against labels y in {0, 1} (n >= 1).
 * Returns 0, or -1 with err on n < 1 or a label that is not 0/1. */
int tr_metrics_classify(const double *p, const double *y, int n, tr_class_metrics *m,
                        char err[256]);

/* Regression scores of predictions against targets (n >= 1): mean squared and
 * mean absolute error. Returns 0, or -1 with err (n < 1, a non-finite value). */
int tr_metrics_regress(const double *pred, const double *y, int n, double *mse, double *mae,
                       char err[256]);

typedef struct tr_backtest_config {
    double fee_bps;          /* cost per unit of position change, in basis points */
    double long_threshold;   /* long (+1) when p > long_threshold */
    double short_threshold;  /* short (-1) when p < short_threshold, else flat */
    double bars_per_year;    /* annualisation: 365.25 * 86400 / interval seconds */
} tr_backtest_config;

typedef struct tr_trading_metrics {
    int n_bars;
    double total_return;   /* equity[n] - 1 */
    double sharpe;         /* mean / sample sd of bar returns * sqrt(bars_per_year) */
    double sortino;        /* mean / sqrt(mean(min(r, 0)^2)) * sqrt(bars_per_year) */
    double max_drawdown;   /* max over t of 1 - equity_t / running peak (>= 0) */
    double win_rate;       /* winning trades / trades (0 without trades) */
    int n_trades;          /* entries into a non-zero position (a flip is a new trade) */
    double exposure;       /* fraction of bars with a non-zero position */
} tr_trading_metrics;

/*
 * Backtest over n bars. At bar i the position pos_i in {-1, 0, +1} comes from
 * p[i] (or is given: positions != NULL overrides p) and is held over the
 * simple return ret[i] = close[i+1]/close[i] - 1 of the next bar. With pos_-1 = 0:
 *   r_i = pos_i * ret[i] - fee_bps/1e4 * |pos_i - pos_{i-1}|
 *   equity_0 = 1, equity_{i+1} = equity_i * (1 + r_i)
 * The last position is not closed (no exit fee). A trade is a run of equal
 * non-zero positions; it wins when the product of its (1 + r_i) exceeds 1.
 * equity (optional, n+1 values) and bar_returns (optional, n values) receive
 * the curves. Returns 0, or -1 with err (n < 1, bad thresholds).
 */
int tr_metrics_trading(const double *p, const double *positions, const double *ret, int n,
                       const tr_backtest_config *cfg, tr_trading_metrics *m, double *equity,
                       double *bar_returns, char err[256]);

/* Buy-and-hold over the same bars: position +1 throughout (one entry fee). */
int tr_metrics_buy_hold(const double *ret, int n, const tr_backtest_config *cfg,
                        tr_trading_metrics *m, double *equity, char err[256]);

/* Expected maximum Sharpe ratio of n_trials independent trials whose Sharpe
 * ratios have variance var_sharpe, under the null of no skill (Bailey & Lopez
 * de Prado 2014, eq. for SR0): sqrt(V) * ((1-g) Z^-1(1-1/N) + g Z^-1(1-1/(N e))),
 * g = Euler-Mascheroni. n_trials >= 2 (1 gives 0). */
double tr_expected_max_sharpe(int n_trials, double var_sharpe);

/* Probabilistic Sharpe ratio: P(true SR > sr_star) given the observed
 * per-bar sr over t returns with skewness and (non-excess) kurtosis:
 * Z((sr - sr_star) sqrt(t-1) / sqrt(1 - skew sr + (kurt-1)/4 sr^2)). */
double tr_probabilistic_sharpe(double sr, double sr_star, int t, double skew, double kurtosis);

/* Deflated Sharpe ratio of the chosen trial's per-bar returns (t >= 3):
 * PSR against tr_expected_max_sharpe(n_trials, var_trial_sharpes), where the
 * trial Sharpes and their variance are per bar (not annualised). *sr_out
 * (optional) gets the per-bar Sharpe. Returns 0, or -1 with err. */
int tr_deflated_sharpe(const double *returns, int t, int n_trials, double var_trial_sharpes,
                       double *dsr, double *sr_out, char err[256]);

/* The same from the study's record: the per-bar Sharpe ratios of all n_trials
 * trials (their sample variance is the V above). n_trials >= 2. */
int tr_deflated_sharpe_trials(const double *returns, int t, const double *trial_sharpes,
                              int n_trials, double *dsr, char err[256]);

/* Majority-class baseline: predicts the training rate of class 1 (as the
 * probability) for every test sample. Returns 0 or -1 with err. */
int tr_baseline_majority(const double *y_train, int n_train, const double *y_test, int n_test,
                         tr_class_metrics *m, char err[256]);

/* Logistic regression on the last bar's (scaled) features of each window:
 * fit on train (ridge 1e-4 per sample, IRLS with GSL Cholesky), scored on test. The
 * test probabilities go to p_test (optional, test->n values). Labels are the
 * windows' y[ends[i]] in {0, 1}. Returns 0 or -1 with err. */
int tr_baseline_logistic(const tr_windows *train, const tr_windows *test, tr_class_metrics *m,
                         double *p_test, char err[256]);

#endif
