/*
 * candles.c - a hand-written CSV parser for OHLCV candles over one whole-file
 * buffer (no per-line allocation), the row checks, gap indexing and the
 * durable canonical writer. See candles.h for the dialects.
 */
#include "trainer/candles.h"

#include "base/file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_FIELDS = 16 };

typedef struct field { const char *p; size_t len; } field;

static const double pow10_tab[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Parses a whole field as a decimal number. The common case (<= 15 digits, no
 * exponent) is exact: an integer below 2^53 divided by an exact power of ten is
 * correctly rounded. Anything else goes to strtod on a bounded copy. */
static int parse_number(field f, double *out)
{
    const char *p = f.p, *e = f.p + f.len;
    if (p == e)
        return -1;
    int neg = 0;
    if (*p == '-' || *p == '+')
        neg = (*p++ == '-');
    uint64_t mant = 0;
    int digits = 0, frac = 0, seen_dot = 0, any = 0;
    for (; p < e; p++) {
        if (*p >= '0' && *p <= '9') {
            any = 1;
            if (mant == 0 && *p == '0') {
                if (seen_dot)
                    frac++;
                continue;
            }
            mant = mant * 10 + (uint64_t)(*p - '0');
            digits++;
            if (seen_dot)
                frac++;
            if (digits > 15)
                break;
        } else if (*p == '.' && !seen_dot) {
            seen_dot = 1;
        } else {
            break;
        }
    }
    if (p == e && any && frac <= 22) {
        double v = (double)mant / pow10_tab[frac];
        *out = neg ? -v : v;
        return 0;
    }
    char tmp[128];
    if (f.len >= sizeof tmp)
        return -1;
    memcpy(tmp, f.p, f.len);
    tmp[f.len] = '\0';
    char *end = NULL;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end == tmp || *end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    for (size_t i = 0; i < f.len; i++)   /* refuse hex floats, "inf", "nan" */
        if (tmp[i] == 'x' || tmp[i] == 'X' || tmp[i] == 'n' || tmp[i] == 'N' ||
            tmp[i] == 'i' || tmp[i] == 'I')
            return -1;
    *out = v;
    return 0;
}

static int parse_int64(field f, int64_t *out)
{
    const char *p = f.p, *e = f.p + f.len;
    int neg = 0;
    if (p < e && (*p == '-' || *p == '+'))
        neg = (*p++ == '-');
    if (p == e)
        return -1;
    int64_t v = 0;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int take_digits(const char **p, const char *e, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= e || **p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return 0;
}

/* ISO-8601: YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|(+|-)HH[:]MM] -> Unix seconds. */
static int parse_iso(field f, int64_t *out)
{
    const char *p = f.p, *e = f.p + f.len;
    int y, mo, d, h = 0, mi = 0, s = 0;
    if (take_digits(&p, e, 4, &y) || p >= e || *p++ != '-' || take_digits(&p, e, 2, &mo) ||
        p >= e || *p++ != '-' || take_digits(&p, e, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    if (p < e && (*p == 'T' || *p == ' ')) {
        p++;
        if (take_digits(&p, e, 2, &h) || p >= e || *p++ != ':' || take_digits(&p, e, 2, &mi))
            return -1;
        if (p < e && *p == ':') {
            p++;
            if (take_digits(&p, e, 2, &s))
                return -1;
            if (p < e && *p == '.')
                for (p++; p < e && *p >= '0' && *p <= '9'; p++)
                    ;
        }
    }
    int64_t off = 0;
    if (p < e && *p == 'Z') {
        p++;
    } else if (p < e && (*p == '+' || *p == '-')) {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (take_digits(&p, e, 2, &oh))
            return -1;
        if (p < e && *p == ':')
            p++;
        if (p < e && take_digits(&p, e, 2, &om))
            return -1;
        off = sign * (oh * 3600 + om * 60);
    }
    if (p != e || h > 23 || mi > 59 || s > 60)
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off;
    return 0;
}

static int is_iso(field f)
{
    return f.len >= 10 && f.p[4] == '-' && f.p[7] == '-';
}

/* Splits one line [p, e) into trimmed fields; returns their count (or
 * MAX_FIELDS + 1 when there are too many). */
static int split_line(const char *p, const char *e, field *fs)
{
    int n = 0;
    for (;;) {
        const char *q = p;
        while (q < e && *q != ',')
            q++;
        if (n == MAX_FIELDS)
            return MAX_FIELDS + 1;
        const char *a = p, *b = q;
        while (a < b && (*a == ' ' || *a == '\t' || *a == '"'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '"' || b[-1] == '\r'))
            b--;
        fs[n].p = a;
        fs[n].len = (size_t)(b - a);
        n++;
        if (q == e)
            return n;
        p = q + 1;
    }
}

int tr_candles_alloc(tr_candles *c, int n, char err[256])
{
    memset(c, 0, sizeof *c);
    size_t m = n > 0 ? (size_t)n : 1;
    c->ts = calloc(m, sizeof *c->ts);
    c->open = calloc(m, sizeof(double));
    c->high = calloc(m, sizeof(double));
    c->low = calloc(m, sizeof(double));
    c->close = calloc(m, sizeof(double));
    c->volume = calloc(m, sizeof(double));
    c->segment = calloc(m, sizeof(int));
    if (!c->ts || !c->open || !c->high || !c->low || !c->close || !c->volume || !c->segment) {
        tr_candles_free(c);
        snprintf(err, 256, "out of memory for %d candles", n);
        return -1;
    }
    c->n = n;
    return 0;
}

void tr_candles_free(tr_candles *c)
{
    free(c->ts);
    free(c->open);
    free(c->high);
    free(c->low);
    free(c->close);
    free(c->volume);
    free(c->segment);
    memset(c, 0, sizeof *c);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void tr_candles_index(tr_candles *c)
{
    c->interval = 0;
    c->n_gaps = 0;
    c->largest_gap = 0;
    if (c->n < 1)
        return;
    c->segment[0] = 0;
    if (c->n < 2)
        return;
    int64_t *d = malloc((size_t)(c->n - 1) * sizeof *d);
    if (d) {
        for (int i = 1; i < c->n; i++)
            d[i - 1] = c->ts[i] - c->ts[i - 1];
        qsort(d, (size_t)(c->n - 1), sizeof *d, cmp_i64);
        c->interval = d[(c->n - 1) / 2];
        free(d);
    } else {
        c->interval = c->ts[1] - c->ts[0];
    }
    int seg = 0;
    for (int i = 1; i < c->n; i++) {
        int64_t s = c->ts[i] - c->ts[i - 1];
        if (s > c->largest_gap)
            c->largest_gap = s;
        if (s > c->interval) {
            c->n_gaps++;
            seg++;
        }
        c->segment[i] = seg;
    }
}

int tr_candles_spans_gap(const tr_candles *c, int end, int seq_len)
{
    return c->segment[end] != c->segment[end - seq_len + 1];
}

static const char *next_line(const char *p, const char *e)
{
    const char *q = memchr(p, '\n', (size_t)(e - p));
    return q ? q : e;
}

static int blank(const char *p, const char *e)
{
    for (; p < e; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r')
            return 0;
    return 1;
}

int tr_candles_parse(const char *buf, size_t len, const char *name, tr_candles *c,
                     char err[256])
{
    memset(c, 0, sizeof *c);
    const char *e = buf + len;
    size_t lines = 1;
    for (const char *q = buf; (q = memchr(q, '\n', (size_t)(e - q))) != NULL; q++)
        lines++;
    if (lines > INT32_MAX) {
        snprintf(err, 256, "%s: too many lines", name);
        return -1;
    }
    if (tr_candles_alloc(c, (int)lines, err) < 0)
        return -1;
    int n = 0, lineno = 0, ncols = 0, iso = 0, unit_div = 1;
    field fs[MAX_FIELDS];
    const char *p = buf;
    /* A UTF-8 byte order mark (spreadsheet exports) is not part of the first
     * field: left there, a headerless file's first candle read as a header. */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < e) {
        const char *le = next_line(p, e);
        lineno++;
        if (blank(p, le))
            goto next;
        int nf = split_line(p, le, fs);
        if (ncols == 0) {
            /* First non-blank line: a header when its first field is not a date/number. */
            char ch = fs[0].len ? fs[0].p[0] : ' ';
            if (!(ch >= '0' && ch <= '9') && ch != '-' && ch != '+')
                goto next;
            if (nf < 6 || nf > MAX_FIELDS) {
                snprintf(err, 256, "%s line %d: expected 6 columns (timestamp,open,high,low,"
                         "close,volume) or a Binance kline row (12), got %d", name, lineno,
                         nf > MAX_FIELDS ? MAX_FIELDS + 1 : nf);
                goto fail;
            }
            ncols = nf;
            iso = is_iso(fs[0]);
            if (!iso) {
                int64_t t0;
                if (parse_int64(fs[0], &t0) < 0) {
                    snprintf(err, 256, "%s line %d: timestamp '%.*s' is not a whole number "
                             "or an ISO-8601 date", name, lineno, (int)fs[0].len, fs[0].p);
                    goto fail;
                }
                unit_div = t0 >= 100000000000000LL ? 1000000 : t0 >= 100000000000LL ? 1000 : 1;
            }
        }
        if (nf != ncols) {
            snprintf(err, 256, "%s line %d: expected %d columns, got %d", name, lineno, ncols,
                     nf > MAX_FIELDS ? MAX_FIELDS + 1 : nf);
            goto fail;
        }
        int64_t t;
        if (iso ? parse_iso(fs[0], &t) : parse_int64(fs[0], &t)) {
            snprintf(err, 256, "%s line %d: timestamp '%.*s' is not %s", name, lineno,
                     (int)(fs[0].len > 40 ? 40 : fs[0].len), fs[0].p,
                     iso ? "an ISO-8601 date" : "a whole number");
            goto fail;
        }
        if (!iso)
            t /= unit_div;
        static const char *const names[5] = {"open", "high", "low", "close", "volume"};
        double v[5];
        for (int k = 0; k < 5; k++) {
            if (parse_number(fs[k + 1], &v[k]) < 0) {
                snprintf(err, 256, "%s line %d: %s '%.*s' is not a number", name, lineno,
                         names[k], (int)(fs[k + 1].len > 40 ? 40 : fs[k + 1].len), fs[k + 1].p);
                goto fail;
            }
        }
        for (int k = 0; k < 4; k++)
            if (!(v[k] > 0)) {
                snprintf(err, 256, "%s line %d: %s %.17g is not a positive price", name, lineno,
                         names[k], v[k]);
                goto fail;
            }
        if (v[4] < 0) {
            snprintf(err, 256, "%s line %d: volume %.17g is negative", name, lineno, v[4]);
            goto fail;
        }
        if (v[1] < v[2]) {
            snprintf(err, 256, "%s line %d: high %.17g < low %.17g", name, lineno, v[1], v[2]);
            goto fail;
        }
        for (int k = 0; k < 4; k += 3)
            if (v[k] < v[2] || v[k] > v[1]) {
                snprintf(err, 256, "%s line %d: %s %.17g is outside [low %.17g, high %.17g]",
                         name, lineno, names[k], v[k], v[2], v[1]);
                goto fail;
            }
        if (n > 0 && t <= c->ts[n - 1]) {
            snprintf(err, 256, "%s line %d: timestamp %lld %s the previous row's %lld", name,
                     lineno, (long long)t, t == c->ts[n - 1] ? "duplicates" : "is before",
                     (long long)c->ts[n - 1]);
            goto fail;
        }
        c->ts[n] = t;
        c->open[n] = v[0];
        c->high[n] = v[1];
        c->low[n] = v[2];
        c->close[n] = v[3];
        c->volume[n] = v[4];
        n++;
    next:
        p = le < e ? le + 1 : e;
    }
    if (n == 0) {
        snprintf(err, 256, "%s: no candle rows", name);
        goto fail;
    }
    c->n = n;
    tr_candles_index(c);
    return 0;
fail:
    tr_candles_free(c);
    return -1;
}

int tr_candles_load(const char *path, tr_candles *c, char err[256])
{
    memset(c, 0, sizeof *c);
    size_t len = 0;
    char *buf = base_file_read(path, SIZE_MAX / 2, &len, err);
    if (!buf)
        return -1;
    int rc = tr_candles_parse(buf, len, path, c, err);
    free(buf);
    return rc;
}

/* The shortest fixed-point decimal that reads back as exactly x. Fast path:
 * the first d <= 15 for which m = round(x * 10^d) < 2^53 and m / 10^d == x
 * (the reader's exact fast path, parse_number, then gives x back) is printed
 * from the integer m by hand; otherwise printf/strtod probing. */
static void format_plain(double x, char *out, size_t cap)
{
    double ax = fabs(x);
    for (int d = 0; d <= 15 && cap >= 40; d++) {
        double m = round(ax * pow10_tab[d]);
        if (m >= 9007199254740992.0)
            break;
        if (m / pow10_tab[d] != ax)
            continue;
        char dig[24];
        int nd = 0;
        uint64_t u = (uint64_t)m;
        do {
            dig[nd++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        while (nd <= d)
            dig[nd++] = '0';
        char *o = out;
        if (x < 0)
            *o++ = '-';
        for (int i = nd - 1; i >= 0; i--) {
            *o++ = dig[i];
            if (i == d && d > 0)
                *o++ = '.';
        }
        *o = '\0';
        return;
    }
    for (int d = 0; d <= 40; d++) {
        snprintf(out, cap, "%.*f", d, x);
        if (strtod(out, NULL) == x)
            return;
    }
    snprintf(out, cap, "%.17g", x);
}

int tr_candles_write_csv(const char *path, const tr_candles *c, char err[256])
{
    char tmp[BASE_TEMP_NAME_MAX];
    base_file_temp_name(path, tmp);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, 256, "%.200s: %s", tmp, strerror(errno));
        return -1;
    }
    fputs("timestamp,open,high,low,close,volume\n", f);
    char b[5][96];
    for (int i = 0; i < c->n; i++) {
        format_plain(c->open[i], b[0], sizeof b[0]);
        format_plain(c->high[i], b[1], sizeof b[1]);
        format_plain(c->low[i], b[2], sizeof b[2]);
        format_plain(c->close[i], b[3], sizeof b[3]);
        format_plain(c->volume[i], b[4], sizeof b[4]);
        fprintf(f, "%lld,%s,%s,%s,%s,%s\n", (long long)c->ts[i], b[0], b[1], b[2], b[3], b[4]);
    }
    return base_file_commit_stream(f, tmp, path, err);
}

void tr_format_time(int64_t ts, char out[32])
{
    int64_t days = ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
    int64_t sec = ts - days * 86400;
    /* civil_from_days (Hinnant) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    y += m <= 2;
    snprintf(out, 32, "%04lld-%02d-%02d %02d:%02d", (long long)y, m, d, (int)(sec / 3600),
             (int)(sec % 3600 / 60));
}
