/*
 * scaler.c - standard, min-max and robust scalers (GSL statistics), fit on the
 * training rows of one fold (see scaler.h).
 */
#include "trainer/scaler.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[3] = {"standard", "minmax", "robust"};

int tr_scaler_parse(const char *name, tr_scaler_kind *kind, char err[256])
{
    for (int k = 0; k < 3; k++)
        if (!strcmp(name, kind_names[k])) {
            *kind = (tr_scaler_kind)k;
            return 0;
        }
    snprintf(err, 256, "scaler '%.100s' is not one of: standard, minmax, robust", name);
    return -1;
}

const char *tr_scaler_name(tr_scaler_kind kind)
{
    return (unsigned)kind < 3 ? kind_names[kind] : "?";
}

int tr_scaler_copy(tr_scaler *dst, const tr_scaler *src)
{
    size_t n = (size_t)src->n_features;
    *dst = *src;
    dst->center = malloc(n * sizeof *dst->center + 1);
    dst->scale = malloc(n * sizeof *dst->scale + 1);
    if (!dst->center || !dst->scale) {
        tr_scaler_free(dst);
        return -1;
    }
    memcpy(dst->center, src->center, n * sizeof *dst->center);
    memcpy(dst->scale, src->scale, n * sizeof *dst->scale);
    return 0;
}

void tr_scaler_free(tr_scaler *s)
{
    free(s->center);
    free(s->scale);
    memset(s, 0, sizeof *s);
}

int tr_scaler_fit(tr_scaler *s, tr_scaler_kind kind, const float *x, int n_features,
                  int row_begin, int row_end, char err[256])
{
    memset(s, 0, sizeof *s);
    int n = row_end - row_begin;
    double *col = NULL;
    if (n < 1 || n_features < 1 || row_begin < 0) {
        snprintf(err, 256, "scaler: no training rows to fit on (rows %d..%d)", row_begin,
                 row_end);
        return -1;
    }
    s->kind = kind;
    s->n_features = n_features;
    s->center = calloc((size_t)n_features, sizeof *s->center);
    s->scale = calloc((size_t)n_features, sizeof *s->scale);
    col = malloc((size_t)n * sizeof *col);
    if (!s->center || !s->scale || !col) {
        snprintf(err, 256, "scaler: out of memory for %d rows", n);
        goto fail;
    }
    for (int j = 0; j < n_features; j++) {
        for (int r = 0; r < n; r++) {
            col[r] = x[(size_t)(row_begin + r) * n_features + j];
            if (!isfinite(col[r])) {
                snprintf(err, 256, "scaler: feature column %d is not finite at row %d", j,
                         row_begin + r);
                goto fail;
            }
        }
        double c, sc;
        if (kind == TR_SCALER_STANDARD) {
            c = gsl_stats_mean(col, 1, (size_t)n);
            sc = gsl_stats_sd_with_fixed_mean(col, 1, (size_t)n, c);
        } else if (kind == TR_SCALER_MINMAX) {
            double mn, mx;
            gsl_stats_minmax(&mn, &mx, col, 1, (size_t)n);
            c = mn;
            sc = mx - mn;
        } else {
            gsl_sort(col, 1, (size_t)n);
            c = gsl_stats_median_from_sorted_data(col, 1, (size_t)n);
            sc = gsl_stats_quantile_from_sorted_data(col, 1, (size_t)n, 0.75) -
                 gsl_stats_quantile_from_sorted_data(col, 1, (size_t)n, 0.25);
        }
        s->center[j] = c;
        s->scale[j] = sc > 0 ? sc : 1.0;
    }
    free(col);
    return 0;
fail:
    free(col);
    tr_scaler_free(s);
    return -1;
}

void tr_scaler_apply(const tr_scaler *s, const float *x, float *out, int rows)
{
    int nf = s->n_features;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < nf; j++) {
            size_t i = (size_t)r * nf + j;
            out[i] = (float)(((double)x[i] - s->center[j]) / s->scale[j]);
        }
}
