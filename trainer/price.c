/*
 * price.c - price-unit forecasts, their scores and the linear baseline (price.h).
 */
#include "trainer/price.h"

#include <gsl/gsl_multifit.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void tr_price_metrics_nan(tr_price_metrics *m)
{
    m->n = 0;
    m->rmse = m->mae = m->mape = m->directional_accuracy = NAN;
}

int tr_target_scaler_fit(const tr_windows *w, double *center, double *scale, char err[256])
{
    if (w->n < 2) {
        snprintf(err, 256, "target scaler: needs at least 2 training windows, got %d", w->n);
        return -1;
    }
    double *v = malloc(sizeof *v * (size_t)w->n);
    if (!v) {
        snprintf(err, 256, "out of memory");
        return -1;
    }
    for (int i = 0; i < w->n; i++)
        v[i] = w->y[w->ends[i]];
    *center = gsl_stats_mean(v, 1, (size_t)w->n);
    double sd = gsl_stats_sd_m(v, 1, (size_t)w->n, *center);
    *scale = isfinite(sd) && sd > 0 ? sd : 1.0;
    free(v);
    if (!isfinite(*center)) {
        snprintf(err, 256, "target scaler: a training label is not finite");
        return -1;
    }
    return 0;
}

int tr_price_score(const double *forecast, const double *actual, const double *base, int n,
                   tr_price_metrics *m, char err[256])
{
    tr_price_metrics_nan(m);
    if (n < 1) {
        snprintf(err, 256, "price scores: no forecasts");
        return -1;
    }
    double se = 0, ae = 0, ape = 0;
    int moved = 0, hits = 0, persistence = base != NULL;
    for (int i = 0; i < n; i++) {
        if (!isfinite(forecast[i]) || !(actual[i] > 0)) {
            snprintf(err, 256, "price scores: forecast %g or actual %g of sample %d is not a "
                     "price", forecast[i], actual[i], i);
            return -1;
        }
        double e = forecast[i] - actual[i];
        se += e * e;
        ae += fabs(e);
        ape += fabs(e) / actual[i];
        if (base) {
            persistence &= forecast[i] == base[i];
            if (actual[i] != base[i]) {
                moved++;
                hits += (forecast[i] - base[i]) * (actual[i] - base[i]) > 0;
            }
        }
    }
    m->n = n;
    m->rmse = sqrt(se / n);
    m->mae = ae / n;
    m->mape = 100.0 * ape / n;
    if (base && !persistence && moved > 0)
        m->directional_accuracy = (double)hits / moved;
    return 0;
}

int tr_baseline_linear(const tr_windows *train, const tr_windows *test, double *pred,
                       char err[256])
{
    int F = train->n_features, P = F + 1, rc = -1;
    if (train->n <= P) {
        snprintf(err, 256, "linear baseline: %d training windows for %d coefficients",
                 train->n, P);
        return -1;
    }
    gsl_matrix *X = gsl_matrix_alloc((size_t)train->n, (size_t)P);
    gsl_vector *y = gsl_vector_alloc((size_t)train->n), *c = gsl_vector_alloc((size_t)P);
    gsl_matrix *cov = gsl_matrix_alloc((size_t)P, (size_t)P);
    gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc((size_t)train->n, (size_t)P);
    if (!X || !y || !c || !cov || !ws) {
        snprintf(err, 256, "out of memory");
        goto done;
    }
    for (int i = 0; i < train->n; i++) {
        const float *x = train->x + (size_t)train->ends[i] * F;
        gsl_matrix_set(X, (size_t)i, 0, 1.0);
        for (int j = 0; j < F; j++)
            gsl_matrix_set(X, (size_t)i, (size_t)j + 1, x[j]);
        gsl_vector_set(y, (size_t)i, train->y[train->ends[i]]);
    }
    double chisq;
    if (gsl_multifit_linear(X, y, c, cov, &chisq, ws) != 0) {
        snprintf(err, 256, "linear baseline: the least-squares fit failed");
        goto done;
    }
    for (int i = 0; i < test->n; i++) {
        const float *x = test->x + (size_t)test->ends[i] * F;
        double v = gsl_vector_get(c, 0);
        for (int j = 0; j < F; j++)
            v += gsl_vector_get(c, (size_t)j + 1) * x[j];
        pred[i] = v;
    }
    rc = 0;
done:
    gsl_matrix_free(X);
    gsl_vector_free(y);
    gsl_vector_free(c);
    gsl_matrix_free(cov);
    gsl_multifit_linear_free(ws);
    return rc;
}
