/*
 * data_check.h - refuses candles on which nothing can be learned, naming what is
 * degenerate: a close that never moves (every label flat), labels that all have
 * one value or are all missing, a feature column with zero variance.
 *
 * Without it such data reach the walk-forward split as folds with no samples
 * (the flat direction labels are dropped), and the only message is about folds
 * and seq_len, which is not what is wrong.
 */
#ifndef TR_DATA_CHECK_H
#define TR_DATA_CHECK_H

#include "trainer/features.h"
#include "trainer/labels.h"

/* Checks the feature matrix m (rows of candle rows m->first..) and its labels
 * y[0..m->rows) made with spec s from candles c. 0 when there is something to
 * learn, else -1 with err saying what is constant, over which candle rows and
 * dates (e.g. "close is constant (100) over candle rows 20..2000 (...): every
 * label is flat; feature 'log_return' has zero variance"). */
int tr_data_check(const tr_candles *c, const tr_feature_matrix *m, const float *y,
                  const tr_label_spec *s, char err[256]);

#endif
