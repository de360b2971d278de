/*
 * predict.h - a model file's predictions on a candle series, aligned to the bars.
 *
 * This is the one place that turns "loaded model + its metadata + candles" into
 * predictions, the same way every time (seqtune predict, the tests):
 *   1. the model's features are recomputed from the candles (the column names
 *      of the model file give the feature texts back: "hour_of_day.sin" and
 *      ".cos" are one feature), dropping each feature's warm-up rows;
 *   2. the scaler statistics stored in the model file are applied (never refit
 *      on the new candles);
 *   3. every window of seq_len rows that ends at a matrix row and does not span
 *      a candle gap is predicted (no dropout), in row order;
 *   4. a model with a target scaler (the price target) has its output inverted
 *      back: value = z * scale + center is the predicted log return over the
 *      horizon, and price = close[row] * exp(value) the forecast close of the bar
 *      `horizon` rows later (which may lie past the end of the candles).
 * Each prediction reads candle rows <= its window end only (causal).
 */
#ifndef TR_PREDICT_H
#define TR_PREDICT_H

#include <stdint.h>

#include "trainer/candles.h"
#include "trainer/lstm.h"
#include "trainer/model_file.h"

/* The predictions of one series; every array is owned by the struct. */
typedef struct tr_predictions {
    int n;              /* windows predicted */
    int n_out;          /* values per window: 1 (probability of up, or predicted
                           value), or the class probabilities (multiclass: 3) */
    int *row;           /* (n) candle row of each window's last bar */
    int64_t *ts;        /* (n) the open time of that bar */
    float *value;       /* (n, n_out) the head's output for the window (inverted when
                           the model has a target scaler) */
    double *price;      /* (n) forecast close horizon bars after row; NULL unless the
                           model has a target scaler (price target) */
    int horizon;        /* the model's horizon in bars */
} tr_predictions;

#define TR_PREDICT_EMODEL (-1)  /* the model (or its metadata) is at fault */
#define TR_PREDICT_EDATA (-2)   /* the candles are at fault (features, too few rows) */
#define TR_PREDICT_ENOMEM (-3)

/* Predicts every usable window of c with model m and its metadata (see the top
 * of this file). Returns 0 and fills *out (caller frees with
 * tr_predictions_free), or a TR_PREDICT_E* code with err saying why and *out
 * empty. */
int tr_predict_candles(tr_lstm *m, const tr_model_meta *meta, const tr_candles *c,
                       tr_predictions *out, char err[256]);

/* Frees the arrays and zeroes *p; safe on a zeroed struct. */
void tr_predictions_free(tr_predictions *p);

#endif
