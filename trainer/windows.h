/*
 * windows.h - training windows as index views into one feature matrix.
 *
 * This is the contract between the data side of the trainer (candles, features,
 * labels, walk-forward splits, scalers) and the model side (LSTM, training loop):
 * no window is ever copied; a window is the index of its last row.
 */
#ifndef TR_WINDOWS_H
#define TR_WINDOWS_H

/*
 * A set of windows. Window i covers rows ends[i]-seq_len+1 .. ends[i] of `x`
 * (row-major, n_features floats per row, already scaled); its target is
 * y[ends[i]] (the label of the bar at which the window ends: 0/1 for direction,
 * a return for regression). Precondition: ends[i] >= seq_len-1 for every i.
 * The struct does not own its arrays.
 */
typedef struct tr_windows {
    const float *x;     /* (rows, n_features) */
    const float *y;     /* (rows) */
    const int *ends;    /* (n) */
    int n;              /* number of windows */
    int seq_len;
    int n_features;
} tr_windows;

#endif
