/*
 * scaler.h - per-column feature scaling fit on training rows only.
 *
 *   x' = (x - center) / scale
 *   standard: center = mean, scale = population standard deviation
 *   minmax:   center = min,  scale = max - min            (train rows -> [0, 1])
 *   robust:   center = median, scale = q75 - q25 (quantiles by linear
 *             interpolation between order statistics, as numpy's default)
 * A scale of 0 (a constant column) becomes 1. The statistics are doubles and
 * are what a model file stores.
 */
#ifndef TR_SCALER_H
#define TR_SCALER_H

typedef enum tr_scaler_kind {
    TR_SCALER_STANDARD = 0, TR_SCALER_MINMAX = 1, TR_SCALER_ROBUST = 2
} tr_scaler_kind;

typedef struct tr_scaler {
    tr_scaler_kind kind;
    int n_features;
    double *center;   /* (n_features) */
    double *scale;    /* (n_features) */
} tr_scaler;

/* Parses "standard" / "minmax" / "robust"; -1 with err otherwise. */
int tr_scaler_parse(const char *name, tr_scaler_kind *kind, char err[256]);

/* The name of a kind ("standard", ...), static storage. */
const char *tr_scaler_name(tr_scaler_kind kind);

/* Fits *s on rows [row_begin, row_end) of x (rows x n_features, row-major).
 * Fails (-1, err) on an empty range or a non-finite value in it. The caller
 * frees *s with tr_scaler_free. */
int tr_scaler_fit(tr_scaler *s, tr_scaler_kind kind, const float *x, int n_features,
                  int row_begin, int row_end, char err[256]);

/* out[r][j] = (x[r][j] - center[j]) / scale[j] for rows [0, rows); out may be x. */
void tr_scaler_apply(const tr_scaler *s, const float *x, float *out, int rows);

/* *dst = a copy of *src with its own statistics (free with tr_scaler_free); -1
 * when out of memory (*dst then zeroed). */
int tr_scaler_copy(tr_scaler *dst, const tr_scaler *src);

/* Frees the statistics and zeroes *s; safe on a zeroed struct. */
void tr_scaler_free(tr_scaler *s);

#endif
