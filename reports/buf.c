/*
 * buf.c - growable text buffer and HTML escaping for the report writer.
 */
#include "reports/buf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void rep_buf_init(rep_buf *b)
{
    memset(b, 0, sizeof *b);
}

void rep_buf_free(rep_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* Makes room for n more bytes plus the NUL; returns 0 or -1 (sets oom). */
static int buf_reserve(rep_buf *b, size_t n)
{
    if (b->oom)
        return -1;
    if (b->len + n + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void rep_buf_putn(rep_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void rep_buf_put(rep_buf *b, const char *s)
{
    if (s)
        rep_buf_putn(b, s, strlen(s));
}

void rep_buf_printf(rep_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        rep_buf_putn(b, small, (size_t)n);
        return;
    }
    if (buf_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void rep_buf_esc(rep_buf *b, const char *s)
{
    if (!s)
        return;
    const char *run = s;
    for (const char *p = s; *p; p++) {
        const char *rep = NULL;
        unsigned char c = (unsigned char)*p;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
                rep = "\xEF\xBF\xBD";
        }
        if (rep) {
            rep_buf_putn(b, run, (size_t)(p - run));
            rep_buf_put(b, rep);
            run = p + 1;
        }
    }
    rep_buf_put(b, run);
}

void rep_buf_num(rep_buf *b, const char *fmt, double v)
{
    if (!isfinite(v))
        rep_buf_put(b, "\xE2\x80\x93");
    else
        rep_buf_printf(b, fmt, v);
}

void rep_fmt_time(double t, int utc_suffix, char out[40])
{
    if (!isfinite(t)) {
        snprintf(out, 40, "\xE2\x80\x93");
        return;
    }
    time_t tt = (time_t)floor(t);
    struct tm tm;
    if (!gmtime_r(&tt, &tm) ||
        !strftime(out, 40, utc_suffix ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(out, 40, "%.0f", t);
}

void rep_fmt_dur(double s, char out[40])
{
    if (!isfinite(s) || s < 0)
        snprintf(out, 40, "\xE2\x80\x93");
    else if (s < 120)
        snprintf(out, 40, "%.1f s", s);
    else if (s < 7200)
        snprintf(out, 40, "%.1f min", s / 60);
    else if (s < 172800)
        snprintf(out, 40, "%.1f h", s / 3600);
    else
        snprintf(out, 40, "%.1f d", s / 86400);
}
