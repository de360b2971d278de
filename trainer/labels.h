/*
 * labels.h - the prediction targets, one per feature-matrix row.
 *
 * The label of the bar at candle row t looks `horizon` bars ahead:
 *   r_t = log(close[t + horizon] / close[t])
 *   direction: 1 when r_t > deadband, 0 when r_t < -deadband; in between the
 *              row has no label (NaN, never used) unless keep_deadband is set,
 *              then it is 0 ("not up");
 *   return:    r_t itself (regression);
 *   multiclass: 0 (down) when r_t < -deadband, 2 (up) when r_t > deadband, 1
 *              (flat) in between; deadband > 0 (the flat band is a class).
 * Rows whose label needs bars past the end of the series are NaN. So the label
 * of row t is known at the close of bar t + horizon: a training sample ending
 * at t must end at least horizon bars before the next span (split.h purges).
 */
#ifndef TR_LABELS_H
#define TR_LABELS_H

#include "trainer/candles.h"

typedef enum tr_target_kind {
    TR_TARGET_DIRECTION = 0, TR_TARGET_RETURN = 1, TR_TARGET_MULTICLASS = 2,
    TR_TARGET_PRICE = 3     /* the label is r_t as for return; the trainer learns it
                               scaled and reports close[t] exp(r_hat) (price.h) */
} tr_target_kind;

#define TR_MULTICLASS_K 3   /* down, flat, up */

typedef struct tr_label_spec {
    tr_target_kind kind;
    int horizon;          /* >= 1 bars */
    double deadband;      /* >= 0, log-return units; direction only */
    int keep_deadband;    /* direction only: 0 = drop (default), 1 = label 0 */
} tr_label_spec;

/* Parses "direction" / "return" / "multiclass" / "price" into *kind; -1 + err otherwise. */
int tr_target_parse(const char *name, tr_target_kind *kind, char err[256]);

/* Fills y[0..rows) with the labels of candle rows first..first+rows-1 (the
 * rows of a tr_feature_matrix), NaN where there is none. Returns 0, or -1 with
 * err on a bad spec (horizon < 1, deadband < 0 or not finite). */
int tr_labels_make(const tr_candles *c, int first, int rows, const tr_label_spec *s, float *y,
                   char err[256]);

#endif
