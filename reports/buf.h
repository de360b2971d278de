/*
 * buf.h - a growable text buffer for building HTML and SVG in memory, with the
 * escaping that every string from the store goes through. The report is built in
 * one rep_buf and written to disk once (durably) at the end.
 *
 * Out-of-memory is sticky: after a failed growth every append is a no-op and
 * `oom` stays set; the caller checks it once at the end.
 */
#ifndef REPORTS_BUF_H
#define REPORTS_BUF_H

#include <stddef.h>

typedef struct {
    char *data;   /* NUL-terminated text (NULL until the first append) */
    size_t len;   /* bytes used, without the NUL */
    size_t cap;
    int oom;      /* 1 after an allocation failed */
} rep_buf;

/* Starts empty; caller frees with rep_buf_free. */
void rep_buf_init(rep_buf *b);
void rep_buf_free(rep_buf *b);
void rep_buf_put(rep_buf *b, const char *s);
void rep_buf_putn(rep_buf *b, const char *s, size_t n);
void rep_buf_printf(rep_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s escaped for HTML text and quoted attributes (also valid inside
 * inline SVG): & < > " ' become entities; control bytes other than tab and
 * newline become U+FFFD. NULL appends nothing. */
void rep_buf_esc(rep_buf *b, const char *s);
/* Appends a double with printf format fmt, or "–" (en dash) when not finite. */
void rep_buf_num(rep_buf *b, const char *fmt, double v);

/* A time (Unix seconds) as "YYYY-MM-DD HH:MM:SS" in UTC, with " UTC" after it when
 * utc_suffix is set; "–" when not finite. */
void rep_fmt_time(double t, int utc_suffix, char out[40]);
/* A duration in seconds as "12.3 s", "4.5 min", "2.0 h" or "3.1 d"; "–" when not
 * finite or negative. */
void rep_fmt_dur(double s, char out[40]);

#endif
