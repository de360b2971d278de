/*
 * features.h - the registry of causal indicators computed from candles.
 *
 * A feature is named in the spec as "name" or "name:arg[:arg...]" ("rsi:14",
 * "macd:12:26:9"), optionally on a higher timeframe: "rsi:14@4h",
 * "log_return@1d" (minutes m, hours h, days d; timeframe.h). Every indicator
 * at bar t uses bars <= t only; the warm-up bars an indicator needs are
 * reported so the caller drops them. On a higher timeframe the indicator is
 * computed on UTC-aligned resampled candles and bar t sees the value of the
 * last higher-timeframe candle fully closed at t, never the one still forming.
 *
 * Definitions (all prices are closes unless named; EMA(n) uses alpha 2/(n+1)
 * and is seeded with the SMA of its first n inputs; Wilder smoothing uses
 * alpha 1/n seeded the same way; standard deviations are population ones
 * except realized_vol, which is the sample one). Across a gap in the candles
 * indicators treat neighbouring rows as adjacent bars; windows spanning gaps
 * are handled by the split (candles.h, data.gaps).
 */
#ifndef TR_FEATURES_H
#define TR_FEATURES_H

#include "trainer/candles.h"

/* A feature's computation: fills out (c->n rows x its columns, row-major,
 * arriving filled with NaN) from its warm-up row on, row t from candle rows
 * <= t, with the arguments a (defaults filled in). Returns the warm-up (rows
 * before the first value), or -1 with err. */
typedef int (*tr_feature_fn)(const tr_candles *c, const int a[3], double *out, char err[256]);

/* One entry of the registry: base name, how many integer arguments it takes
 * (min..max; missing ones take the defaults), a one-line description, its
 * number of columns and its computation. */
typedef struct tr_feature_info {
    const char *name;
    int min_args, max_args;
    int defaults[3];
    const char *args;   /* e.g. "PERIOD" or "FAST:SLOW:SIGNAL" */
    const char *help;
    int columns;        /* 1, or 2 for sin/cos pairs */
    tr_feature_fn compute;
} tr_feature_info;

/* The registry; *n receives its length. Static storage, never freed. */
const tr_feature_info *tr_feature_list(int *n);

/* Checks a feature text such as "rsi:14": 0 when the name is known and its
 * arguments are whole numbers in range, else -1 with `err` naming the problem
 * (an unknown name gets the list of known ones). */
int tr_feature_check(const char *text, char err[256]);

/* The feature matrix of a list of features over a candle series. Row r is
 * candle row first + r: the first `first` candles (the largest warm-up of the
 * requested features) are dropped, never zero-filled. Some features give two
 * columns (hour_of_day, day_of_week: sin then cos). */
typedef struct tr_feature_matrix {
    float *x;              /* (rows, cols) row-major */
    int rows, cols;
    int first;             /* candle row of matrix row 0 = max warm-up */
    int n_features;        /* number of requested features */
    int *warmup;           /* (n_features) warm-up bars of each feature */
    int *col;              /* (n_features) first column of each feature */
    char (*col_names)[64]; /* (cols) "rsi:14", "hour_of_day.sin", ... */
} tr_feature_matrix;

/* Number of columns a (checked) feature text produces: 1 or 2. */
int tr_feature_columns(const char *text);

/* One feature over all candle rows, in double: out is (c->n, ncols) row-major
 * (ncols = tr_feature_columns(text)), NaN for rows t < *warmup. Causal: row t
 * reads candle rows <= t only. Refuses unknown names, bad arguments, a
 * cyclic time feature the interval does not allow (hour_of_day needs an
 * intraday interval, day_of_week one shorter than a week) and a timeframe the
 * candles cannot be resampled to (tr_candles_resample). Returns 0 or -1. */
int tr_feature_series(const tr_candles *c, const char *text, double *out, int *warmup,
                      char err[256]);

/* Computes every feature of names[0..n_names) into *m (caller frees with
 * tr_features_free). Fails (-1, err) on a bad name or when the warm-up leaves
 * no rows. */
int tr_features_compute(const tr_candles *c, const char *const *names, int n_names,
                        tr_feature_matrix *m, char err[256]);

/* Frees the arrays and zeroes *m; safe on a zeroed struct. */
void tr_features_free(tr_feature_matrix *m);

#endif
