/*
 * price.h - forecasts of the close `horizon` bars ahead in price units (the
 * "price" target): how the network's scaled log return becomes a price, and how
 * good such prices are against the actual closes and against persistence.
 *
 *   label     y_t = log(close[t+h] / close[t])            (labels.h)
 *   scaled    z_t = (y_t - center) / scale, center/scale = mean/sd of the labels
 *             of the fold's training windows only (tr_target_scaler_fit)
 *   forecast  close_hat[t+h] = close[t] * exp(z_hat * scale + center)
 *   persistence (tomorrow = today): close_hat[t+h] = close[t]
 */
#ifndef TR_PRICE_H
#define TR_PRICE_H

#include "trainer/windows.h"

typedef struct tr_price_metrics {
    int n;                        /* forecasts scored */
    double rmse, mae;             /* price units */
    double mape;                  /* percent: 100 * mean |forecast - actual| / actual */
    double directional_accuracy;  /* share of (forecast - base)(actual - base) > 0 over
                                     the samples whose actual moved; NaN when none did
                                     or for persistence (it never moves) */
} tr_price_metrics;

/* Sets every score to NaN, n to 0. */
void tr_price_metrics_nan(tr_price_metrics *m);

/* Mean and sample standard deviation of the labels y[ends[i]] of the windows of w
 * (the fold's training windows): the target scaler. A zero or non-finite sd
 * becomes 1. Returns 0, or -1 with err when w has fewer than 2 windows. */
int tr_target_scaler_fit(const tr_windows *w, double *center, double *scale, char err[256]);

/* Scores forecasts against actual prices; base (the price at the forecast's
 * origin) drives the directional accuracy; base == NULL or forecast == base
 * (persistence) leaves it NaN. n >= 1, prices > 0. Returns 0 or -1 with err. */
int tr_price_score(const double *forecast, const double *actual, const double *base, int n,
                   tr_price_metrics *m, char err[256]);

/* Linear-regression baseline: OLS (GSL) of the label y[ends[i]] on the last bar's
 * (scaled) features of each training window plus an intercept; writes its
 * predicted labels (log returns) for the test windows to pred (test->n).
 * Returns 0 or -1 with err. */
int tr_baseline_linear(const tr_windows *train, const tr_windows *test, double *pred,
                       char err[256]);

#endif
