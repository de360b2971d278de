/*
 * split.h - walk-forward validation without look-ahead.
 *
 * Over the R rows of a feature matrix (row r = one bar):
 *
 *   |<------------- search rows [0, H) ------------->|<- holdout [H, R) ->|
 *   | chunk 0 (first train) | test 0 | test 1 | ...  |                    |
 *
 * H = R - round(holdout_fraction * R). The search rows are cut into folds+1
 * chunks: T = H / (folds+1) rows per test span, the first chunk gets the rest
 * (H - folds*T). Fold k tests on [B_k, B_k + T) with B_k = H - (folds-k)*T and
 * trains on [0, B_k) ("expanding") or on the B_0 rows before B_k ("rolling").
 * The last round(val_fraction * train length) rows of the training span are the
 * early-stopping validation span.
 *
 * A sample is a window ending at row e; its label (labels.h) is known at row
 * e + horizon. Sample e of a span is kept only when
 *   e >= seq_len - 1, y[e] is finite, the window does not span a gap (unless
 *   gaps are kept), and e + horizon + embargo < end of its own span, which is
 * where the next span starts (train -> val -> test -> the next fold's test or
 * the holdout). So no training or validation label reaches the span that
 * follows, no search-side label reaches the holdout, and everything fold k
 * uses (features, labels, test metrics) depends on rows < test_end only.
 * Windows look back up to seq_len-1 rows before their span: those rows are
 * past data and may belong to an earlier span.
 */
#ifndef TR_SPLIT_H
#define TR_SPLIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct tr_split_config {
    int folds;                /* >= 1 */
    int rolling;              /* 0 expanding, 1 rolling */
    double val_fraction;      /* [0, 1): 0 = no validation span */
    double holdout_fraction;  /* [0, 1) */
    int embargo;              /* >= 0 bars */
    int seq_len;              /* >= 1 */
    int horizon;              /* >= 1, the label horizon */
    int keep_gap_windows;     /* 1 = keep windows spanning a candle gap */
} tr_split_config;

typedef struct tr_fold {
    int train_begin, train_end;   /* rows [train_begin, train_end) */
    int val_begin, val_end;       /* val_begin = train_end */
    int test_begin, test_end;     /* test_begin = val_end */
    int *train, *val, *test;      /* window end rows, ascending (tr_windows.ends) */
    int n_train, n_val, n_test;
} tr_fold;

typedef struct tr_split {
    int rows;                 /* R */
    int holdout_begin;        /* H */
    int n_folds;
    tr_fold *folds;           /* (n_folds) */
    int *holdout;             /* holdout window ends, e >= H */
    int n_holdout;
} tr_split;

/* Builds the folds over `rows` rows with labels y (NaN = no label) and, when
 * segment is not NULL, the candle segment of each row (candles.h) for the gap
 * rule. Fails (-1, err naming the field) on a bad config or when there are
 * fewer search rows than folds + 1. A fold may come out with no samples:
 * tr_split_check tells. The caller frees *s with tr_split_free. */
int tr_split_make(const tr_split_config *cfg, int rows, const float *y, const int *segment,
                  tr_split *s, char err[256]);

/* 0 when every fold has at least one training and one test sample, else -1
 * with err naming the first fold that has none. */
int tr_split_check(const tr_split *s, char err[256]);

/* Frees the arrays and zeroes *s; safe on a zeroed struct. */
void tr_split_free(tr_split *s);

/* The final fold of a study: train on the search rows [0, H) (the last
 * val_fraction of them for early stopping, purged and embargoed as above) and
 * test on the holdout windows of s. *f is filled with its own arrays (free them
 * with tr_fold_free). Returns 0, or -1 with err (no holdout or training sample,
 * out of memory). */
int tr_split_final_fold(const tr_split_config *cfg, const tr_split *s, const float *y,
                        const int *segment, tr_fold *f, char err[256]);

/* Frees a fold's arrays and zeroes it. */
void tr_fold_free(tr_fold *f);

/* Renders the layout as text: one line per fold and span with its first and
 * last dates (ts[row], Unix seconds; NULL prints row numbers), row count and
 * sample count, then the holdout. Returns a malloc'd string (caller frees), or
 * NULL when out of memory. */
char *tr_split_describe(const tr_split *s, const int64_t *ts);

#endif
