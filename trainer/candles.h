/*
 * candles.h - OHLCV candles: loading (three CSV dialects), checks, gaps, writing.
 *
 * The loader reads the whole file into one buffer and parses it by hand, so a
 * million rows load in well under a second. Three dialects are detected from
 * the first data line (an optional header line is skipped):
 *   - canonical: timestamp,open,high,low,close,volume (6 columns); timestamp in
 *     Unix seconds (values >= 1e11 are read as milliseconds, >= 1e14 as
 *     microseconds) or an ISO-8601 date ("2021-10-01", "2021-10-01T05:00:00Z",
 *     "2021-10-01 05:00:00", an optional "+hh:mm" offset);
 *   - Binance kline: 12 columns (open time, o, h, l, c, volume, close time, ...),
 *     times in ms (or us), with or without a header line; more generally any
 *     6 to 16 columns whose first six are time,o,h,l,c,v (the rest ignored),
 *     the same count on every row;
 *   - the same two with ISO dates in the first column.
 * Every row is checked; the first bad one fails the load with "FILE line N: ...".
 *
 * Gaps: the interval is the median spacing of the timestamps; a spacing larger
 * than the interval is a gap. Rows between gaps share a segment id, so a window
 * spans a gap exactly when its first and last rows differ in segment. What to
 * do with such windows is the spec's option data.gaps: "drop" (default: the
 * window is not used) or "keep" (used as if the bars were adjacent).
 */
#ifndef TR_CANDLES_H
#define TR_CANDLES_H

#include <stddef.h>
#include <stdint.h>

typedef struct tr_candles {
    int n;                  /* rows */
    int64_t *ts;            /* (n) candle open time, Unix seconds, strictly increasing */
    double *open, *high, *low, *close, *volume;   /* (n) each */
    int *segment;           /* (n) 0 for the first run of rows, +1 after each gap */
    int64_t interval;       /* median spacing in seconds (0 when n < 2) */
    int n_gaps;             /* spacings larger than interval */
    int64_t largest_gap;    /* largest spacing in seconds (0 when n < 2) */
} tr_candles;

/* What to do with a window that spans a gap (spec: data.gaps). */
typedef enum tr_gap_policy { TR_GAP_DROP = 0, TR_GAP_KEEP = 1 } tr_gap_policy;

/* Loads and checks a candle CSV. On success fills *c (caller frees with
 * tr_candles_free) and returns 0; on failure returns -1, leaves *c empty and
 * writes "PATH line N: what" (or "PATH: why") to err. */
int tr_candles_load(const char *path, tr_candles *c, char err[256]);

/* The same from a buffer of len bytes (need not be NUL-terminated); `name`
 * is used in messages. */
int tr_candles_parse(const char *buf, size_t len, const char *name, tr_candles *c,
                     char err[256]);

/* Allocates n rows (zeroed) for a caller that fills them itself (e.g. synth);
 * call tr_candles_index afterwards. Returns 0 or -1 (out of memory). */
int tr_candles_alloc(tr_candles *c, int n, char err[256]);

/* Recomputes interval, gaps and segments from c->ts (strictly increasing). */
void tr_candles_index(tr_candles *c);

/* Frees the arrays and zeroes *c; safe on a zeroed struct. */
void tr_candles_free(tr_candles *c);

/* 1 when the window of seq_len rows ending at row `end` crosses a gap (its
 * first and last rows are in different segments), else 0.
 * Precondition: seq_len-1 <= end < c->n. */
int tr_candles_spans_gap(const tr_candles *c, int end, int seq_len);

/* Writes the canonical CSV (header, integer seconds, shortest plain decimals
 * that read back to the same doubles, no trailing zeros) durably: temp file,
 * fflush + fsync, rename over `path`. Returns 0 or -1 with err. */
int tr_candles_write_csv(const char *path, const tr_candles *c, char err[256]);

/* Formats a Unix time as "YYYY-MM-DD HH:MM" (UTC) into out (>= 20 bytes). */
void tr_format_time(int64_t ts, char out[32]);

#endif
