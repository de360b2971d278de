/*
 * features.c - the indicator registry and its computations. Each registry row
 * holds a feature's name, arguments, help and the function that fills its
 * series over all candle rows from past bars only (adding a feature is one row
 * and one function). A "@TF" suffix computes the same function on
 * higher-timeframe candles (timeframe.h) and shows each base bar the value of
 * the last fully closed one. tr_features_compute stacks the series into the
 * float matrix the model reads and drops the largest warm-up.
 */
#include "trainer/features.h"

#include "trainer/timeframe.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Mean of x[a..b] inclusive. */
static double mean_range(const double *x, int a, int b)
{
    double s = 0;
    for (int i = a; i <= b; i++)
        s += x[i];
    return s / (b - a + 1);
}

/* Population standard deviation of x[a..b] around mean m. */
static double pstd_range(const double *x, int a, int b, double m)
{
    double s = 0;
    for (int i = a; i <= b; i++)
        s += (x[i] - m) * (x[i] - m);
    return sqrt(s / (b - a + 1));
}

/* EMA of x (defined from row `start`) with weight alpha, seeded with the mean of
 * x[start..start+p-1]; out is NaN before start+p-1. */
static void ema_series(const double *x, int n, int start, int p, double alpha, double *out)
{
    for (int t = 0; t < n; t++)
        out[t] = NAN;
    int s = start + p - 1;
    if (s >= n)
        return;
    out[s] = mean_range(x, start, s);
    for (int t = s + 1; t < n; t++)
        out[t] = alpha * x[t] + (1 - alpha) * out[t - 1];
}

static double highest(const double *x, int a, int b)
{
    double m = x[a];
    for (int i = a + 1; i <= b; i++)
        if (x[i] > m)
            m = x[i];
    return m;
}

static double lowest(const double *x, int a, int b)
{
    double m = x[a];
    for (int i = a + 1; i <= b; i++)
        if (x[i] < m)
            m = x[i];
    return m;
}

static double stoch_k_at(const tr_candles *c, int t, int p)
{
    double hh = highest(c->high, t - p + 1, t), ll = lowest(c->low, t - p + 1, t);
    return hh > ll ? (c->close[t] - ll) / (hh - ll) : 0.5;
}

/* MACD pieces over all rows: line, signal, histogram (not yet divided by close). */
static int macd_series(const tr_candles *c, int f, int s, int g, double *line, double *sig,
                       int *w_line)
{
    int n = c->n;
    double *ef = malloc((size_t)n * sizeof *ef), *es = malloc((size_t)n * sizeof *es);
    if (!ef || !es) {
        free(ef);
        free(es);
        return -1;
    }
    ema_series(c->close, n, 0, f, 2.0 / (f + 1), ef);
    ema_series(c->close, n, 0, s, 2.0 / (s + 1), es);
    *w_line = (f > s ? f : s) - 1;
    for (int t = 0; t < n; t++)
        line[t] = t >= *w_line ? ef[t] - es[t] : NAN;
    ema_series(line, n, *w_line, g, 2.0 / (g + 1), sig);
    free(ef);
    free(es);
    return 0;
}

/* ---- the computations: fn(candles, args, out) -> warm-up bars or -1 ---------
 * out (c->n * columns) arrives filled with NaN; each function writes rows from
 * its warm-up on, reading rows <= t for row t. */

static int ret_series(const tr_candles *c, int p, int kind, double *out)
{
    const double *cl = c->close;
    for (int t = p; t < c->n; t++)
        out[t] = kind ? log(cl[t] / cl[t - p]) : cl[t] / cl[t - p] - 1;
    return p;
}

static int f_log_return(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)err;
    return ret_series(c, a[0], 1, out);
}

static int f_simple_return(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)err;
    return ret_series(c, a[0], 0, out);
}

static int f_realized_vol(const tr_candles *c, const int a[3], double *out, char err[256])
{
    const int p = a[0];
    const double *cl = c->close;
    if (p < 2) {
        snprintf(err, 256, "the window must be at least 2");
        return -1;
    }
    for (int t = p; t < c->n; t++) {
        double m = 0, s = 0;
        for (int i = t - p + 1; i <= t; i++)
            m += log(cl[i] / cl[i - 1]);
        m /= p;
        for (int i = t - p + 1; i <= t; i++) {
            double r = log(cl[i] / cl[i - 1]) - m;
            s += r * r;
        }
        out[t] = sqrt(s / (p - 1));
    }
    return p;
}

static int f_rsi(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)err;
    const int p = a[0];
    const double *cl = c->close;
    double ag = 0, al = 0;
    for (int t = 1; t < c->n; t++) {
        double d = cl[t] - cl[t - 1], g = d > 0 ? d : 0, l = d < 0 ? -d : 0;
        if (t <= p) {
            ag += g / p;
            al += l / p;
        } else {
            ag = (ag * (p - 1) + g) / p;
            al = (al * (p - 1) + l) / p;
        }
        if (t >= p)
            out[t] = ag + al > 0 ? ag / (ag + al) : 0.5;
    }
    return p;
}

/* which: 0 line, 1 signal, 2 histogram; all divided by close. */
static int macd_part(const tr_candles *c, const int a[3], int which, double *out, char err[256])
{
    const int n = c->n;
    double *line = malloc((size_t)n * sizeof *line), *sig = malloc((size_t)n * sizeof *sig);
    int w;
    if (!line || !sig || macd_series(c, a[0], a[1], a[2], line, sig, &w) < 0) {
        free(line);
        free(sig);
        snprintf(err, 256, "out of memory");
        return -1;
    }
    if (which > 0)
        w += a[2] - 1;
    for (int t = w; t < n; t++)
        out[t] = (which == 0 ? line[t] : which == 1 ? sig[t] : line[t] - sig[t]) / c->close[t];
    free(line);
    free(sig);
    return w;
}

static int f_macd(const tr_candles *c, const int a[3], double *out, char err[256])
{
    return macd_part(c, a, 0, out, err);
}

static int f_macd_signal(const tr_candles *c, const int a[3], double *out, char err[256])
{
    return macd_part(c, a, 1, out, err);
}

static int f_macd_hist(const tr_candles *c, const int a[3], double *out, char err[256])
{
    return macd_part(c, a, 2, out, err);
}

static int bollinger(const tr_candles *c, int p, int pct_b, double *out)
{
    const double *cl = c->close;
    for (int t = p - 1; t < c->n; t++) {
        double m = mean_range(cl, t - p + 1, t), sd = pstd_range(cl, t - p + 1, t, m);
        double up = m + 2 * sd, dn = m - 2 * sd;
        out[t] = pct_b ? (up > dn ? (cl[t] - dn) / (up - dn) : 0.5) : (up - dn) / m;
    }
    return p - 1;
}

static int f_bollinger_b(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)err;
    return bollinger(c, a[0], 1, out);
}

static int f_bollinger_width(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)err;
    return bollinger(c, a[0], 0, out);
}

static int f_atr(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)err;
    const int p = a[0];
    const double *hi = c->high, *lo = c->low, *cl = c->close;
    double atr = 0;
    for (int t = 1; t < c->n; t++) {
        double tr = hi[t] - lo[t], u = fabs(hi[t] - cl[t - 1]), d = fabs(lo[t] - cl[t - 1]);
        if (u > tr)
            tr = u;
        if (d > tr)
            tr = d;
        atr = t <= p ? atr + tr / p : (atr * (p - 1) + tr) / p;
        if (t >= p)
            out[t] = atr / cl[t];
    }
    return p;
}

static int f_stoch_k(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)err;
    for (int t = a[0] - 1; t < c->n; t++)
        out[t] = stoch_k_at(c, t, a[0]);
    return a[0] - 1;
}

static int f_stoch_d(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)err;
    const int p = a[0], k = a[1], w = p - 1 + k - 1;
    for (int t = w; t < c->n; t++) {
        double s = 0;
        for (int i = t - k + 1; i <= t; i++)
            s += stoch_k_at(c, i, p);
        out[t] = s / k;
    }
    return w;
}

static int f_williams_r(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)err;
    const int p = a[0];
    for (int t = p - 1; t < c->n; t++) {
        double hh = highest(c->high, t - p + 1, t), ll = lowest(c->low, t - p + 1, t);
        out[t] = hh > ll ? -(hh - c->close[t]) / (hh - ll) : -0.5;
    }
    return p - 1;
}

static int f_cci(const tr_candles *c, const int a[3], double *out, char err[256])
{
    const int p = a[0], n = c->n;
    double *tp = malloc((size_t)n * sizeof *tp);
    if (!tp) {
        snprintf(err, 256, "out of memory");
        return -1;
    }
    for (int t = 0; t < n; t++)
        tp[t] = (c->high[t] + c->low[t] + c->close[t]) / 3;
    for (int t = p - 1; t < n; t++) {
        double m = mean_range(tp, t - p + 1, t), md = 0;
        for (int i = t - p + 1; i <= t; i++)
            md += fabs(tp[i] - m);
        md /= p;
        out[t] = md > 0 ? (tp[t] - m) / (0.015 * md) / 100 : 0;
    }
    free(tp);
    return p - 1;
}

static int f_roc(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)err;
    return ret_series(c, a[0], 0, out);
}

static int f_ema_ratio(const tr_candles *c, const int a[3], double *out, char err[256])
{
    const int p = a[0], n = c->n;
    double *e = malloc((size_t)n * sizeof *e);
    if (!e) {
        snprintf(err, 256, "out of memory");
        return -1;
    }
    ema_series(c->close, n, 0, p, 2.0 / (p + 1), e);
    for (int t = p - 1; t < n; t++)
        out[t] = c->close[t] / e[t] - 1;
    free(e);
    return p - 1;
}

static int f_sma_ratio(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)err;
    const int p = a[0];
    for (int t = p - 1; t < c->n; t++)
        out[t] = c->close[t] / mean_range(c->close, t - p + 1, t) - 1;
    return p - 1;
}

static int f_obv_change(const tr_candles *c, const int a[3], double *out, char err[256])
{
    const int p = a[0], n = c->n;
    const double *cl = c->close, *vo = c->volume;
    double *obv = malloc((size_t)n * sizeof *obv);
    if (!obv) {
        snprintf(err, 256, "out of memory");
        return -1;
    }
    obv[0] = 0;
    for (int t = 1; t < n; t++)
        obv[t] = obv[t - 1] + (cl[t] > cl[t - 1] ? vo[t] : cl[t] < cl[t - 1] ? -vo[t] : 0);
    for (int t = p; t < n; t++) {
        double sv = 0;
        for (int i = t - p + 1; i <= t; i++)
            sv += vo[i];
        out[t] = sv > 0 ? (obv[t] - obv[t - p]) / sv : 0;
    }
    free(obv);
    return p;
}

/* z-score of x[t] in its trailing window of p values (population std), 0 when
 * the window is flat. */
static int zscore(const double *x, int n, int p, double *out)
{
    for (int t = p - 1; t < n; t++) {
        double m = mean_range(x, t - p + 1, t), sd = pstd_range(x, t - p + 1, t, m);
        out[t] = sd > 0 ? (x[t] - m) / sd : 0;
    }
    return p - 1;
}

/* z-score over a window of a per-row quantity: 0 volume_log, 1 hl range. */
static int zscore_of(const tr_candles *c, int p, int what, double *out, char err[256])
{
    if (p < 2) {
        snprintf(err, 256, "the window must be at least 2");
        return -1;
    }
    double *x = malloc((size_t)c->n * sizeof *x + 1);
    if (!x) {
        snprintf(err, 256, "out of memory");
        return -1;
    }
    for (int t = 0; t < c->n; t++)
        x[t] = what == 0 ? log1p(c->volume[t]) : (c->high[t] - c->low[t]) / c->close[t];
    int w = zscore(x, c->n, p, out);
    free(x);
    return w;
}

static int f_volume_z(const tr_candles *c, const int a[3], double *out, char err[256])
{
    return zscore_of(c, a[0], 0, out, err);
}

static int f_volume_ratio(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)err;
    const int p = a[0];
    for (int t = p - 1; t < c->n; t++) {
        double m = mean_range(c->volume, t - p + 1, t);
        out[t] = m > 0 ? c->volume[t] / m - 1 : 0;
    }
    return p - 1;
}

static int f_hl_range(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)a, (void)err;
    for (int t = 0; t < c->n; t++)
        out[t] = (c->high[t] - c->low[t]) / c->close[t];
    return 0;
}

static int f_body(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)a, (void)err;
    for (int t = 0; t < c->n; t++)
        out[t] = (c->close[t] - c->open[t]) / c->open[t];
    return 0;
}

static int f_upper_wick(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)a, (void)err;
    for (int t = 0; t < c->n; t++)
        out[t] = (c->high[t] - fmax(c->open[t], c->close[t])) / c->close[t];
    return 0;
}

static int f_lower_wick(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)a, (void)err;
    for (int t = 0; t < c->n; t++)
        out[t] = (fmin(c->open[t], c->close[t]) - c->low[t]) / c->close[t];
    return 0;
}

static int f_close_position(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)a, (void)err;
    for (int t = 0; t < c->n; t++) {
        double h = c->high[t], l = c->low[t];
        out[t] = h > l ? (c->close[t] - l) / (h - l) : 0.5;
    }
    return 0;
}

/* sin and cos of the UTC hour (hour != 0) or weekday, two columns. */
static int cyclic(const tr_candles *c, int hour, double *out, char err[256])
{
    int64_t limit = hour ? 86400 : 7 * 86400;
    if (c->n > 1 && c->interval >= limit) {
        snprintf(err, 256, "needs %s interval; these candles are %lld s apart",
                 hour ? "an intraday" : "a sub-weekly", (long long)c->interval);
        return -1;
    }
    for (int t = 0; t < c->n; t++) {
        int64_t ts = c->ts[t];
        int64_t day = ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
        double ang = hour ? 2 * M_PI * (double)(ts - day * 86400) / 86400.0
                          : 2 * M_PI * (double)(((day + 3) % 7 + 7) % 7) / 7.0;
        out[2 * t] = sin(ang);
        out[2 * t + 1] = cos(ang);
    }
    return 0;
}

static int f_hour_of_day(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)a;
    return cyclic(c, 1, out, err);
}

static int f_day_of_week(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)a;
    return cyclic(c, 0, out, err);
}

static int f_close_z(const tr_candles *c, const int a[3], double *out, char err[256])
{
    if (a[0] < 2) {
        snprintf(err, 256, "the window must be at least 2");
        return -1;
    }
    return zscore(c->close, c->n, a[0], out);
}

static int f_volume_log(const tr_candles *c, const int a[3], double *out, char err[256])
{
    (void)a, (void)err;
    for (int t = 0; t < c->n; t++)
        out[t] = log1p(c->volume[t]);
    return 0;
}

static int f_range_z(const tr_candles *c, const int a[3], double *out, char err[256])
{
    return zscore_of(c, a[0], 1, out, err);
}

/* ---- the registry ------------------------------------------------------------ */

static const tr_feature_info registry[] = {
    {"log_return", 0, 1, {1}, "LAG", "log(close_t / close_{t-LAG})", 1, f_log_return},
    {"simple_return", 0, 1, {1}, "LAG", "close_t / close_{t-LAG} - 1", 1, f_simple_return},
    {"realized_vol", 0, 1, {24}, "WINDOW", "std of 1-bar log returns over WINDOW bars", 1,
     f_realized_vol},
    {"rsi", 0, 1, {14}, "PERIOD", "Wilder's relative strength index / 100 (0.5 when flat)", 1,
     f_rsi},
    {"macd", 0, 3, {12, 26, 9}, "FAST:SLOW:SIGNAL", "MACD line / close", 1, f_macd},
    {"macd_signal", 0, 3, {12, 26, 9}, "FAST:SLOW:SIGNAL", "MACD signal line / close", 1,
     f_macd_signal},
    {"macd_hist", 0, 3, {12, 26, 9}, "FAST:SLOW:SIGNAL", "MACD histogram / close", 1, f_macd_hist},
    {"bollinger_b", 0, 1, {20}, "WINDOW", "Bollinger %B (2 std bands)", 1, f_bollinger_b},
    {"bollinger_width", 0, 1, {20}, "WINDOW", "Bollinger bandwidth (2 std bands)", 1,
     f_bollinger_width},
    {"atr", 0, 1, {14}, "PERIOD", "Wilder's average true range / close", 1, f_atr},
    {"stoch_k", 0, 1, {14}, "PERIOD", "stochastic %K / 100", 1, f_stoch_k},
    {"stoch_d", 0, 2, {14, 3}, "PERIOD:SMOOTH", "stochastic %D (SMA of %K) / 100", 1, f_stoch_d},
    {"williams_r", 0, 1, {14}, "PERIOD", "Williams %R / 100", 1, f_williams_r},
    {"cci", 0, 1, {20}, "PERIOD", "commodity channel index / 100", 1, f_cci},
    {"roc", 0, 1, {10}, "PERIOD", "rate of change close_t / close_{t-PERIOD} - 1", 1, f_roc},
    {"ema_ratio", 0, 1, {20}, "PERIOD", "close / EMA(close, PERIOD) - 1", 1, f_ema_ratio},
    {"sma_ratio", 0, 1, {20}, "PERIOD", "close / SMA(close, PERIOD) - 1", 1, f_sma_ratio},
    {"obv_change", 0, 1, {20}, "PERIOD", "change of on-balance volume over PERIOD / summed volume",
     1, f_obv_change},
    {"volume_z", 0, 1, {20}, "WINDOW", "z-score of log(1 + volume) over WINDOW bars", 1, f_volume_z},
    {"volume_ratio", 0, 1, {20}, "WINDOW", "volume / SMA(volume, WINDOW) - 1", 1, f_volume_ratio},
    {"hl_range", 0, 0, {0}, "", "(high - low) / close", 1, f_hl_range},
    {"body", 0, 0, {0}, "", "(close - open) / open", 1, f_body},
    {"upper_wick", 0, 0, {0}, "", "(high - max(open, close)) / close", 1, f_upper_wick},
    {"lower_wick", 0, 0, {0}, "", "(min(open, close) - low) / close", 1, f_lower_wick},
    {"close_position", 0, 0, {0}, "", "(close - low) / (high - low), 0.5 when high = low", 1,
     f_close_position},
    {"hour_of_day", 0, 0, {0}, "", "sin and cos of the UTC hour (2 columns)", 2, f_hour_of_day},
    {"day_of_week", 0, 0, {0}, "", "sin and cos of the UTC weekday (2 columns)", 2, f_day_of_week},
    {"close_z", 0, 1, {20}, "WINDOW", "(close - SMA(close, WINDOW)) / std(close, WINDOW), 0 when flat", 1,
     f_close_z},
    {"volume_log", 0, 0, {0}, "", "log(1 + volume)", 1, f_volume_log},
    {"range_z", 0, 1, {20}, "WINDOW", "z-score of (high - low) / close over WINDOW bars, 0 when flat", 1,
     f_range_z},
};

const tr_feature_info *tr_feature_list(int *n)
{
    *n = (int)(sizeof registry / sizeof registry[0]);
    return registry;
}

/* A parsed feature text "name[:a[:b[:c]]][@TF]". */
typedef struct feature_ref {
    const tr_feature_info *f;
    int args[3];           /* defaults filled in */
    int64_t timeframe;     /* seconds, 0 = the candles' own */
} feature_ref;

/* Parses and checks a feature text. 0, or -1 with err. */
static int feature_parse(const char *text, feature_ref *r, char err[256])
{
    memset(r, 0, sizeof *r);
    char name[64];
    size_t len = strcspn(text, ":@");
    if (len == 0 || len >= sizeof name) {
        snprintf(err, 256, "'%.80s' is not a feature name", text);
        return -1;
    }
    memcpy(name, text, len);
    name[len] = '\0';
    int n;
    const tr_feature_info *reg = tr_feature_list(&n);
    for (int i = 0; i < n && !r->f; i++)
        if (strcmp(reg[i].name, name) == 0)
            r->f = &reg[i];
    if (!r->f) {
        int off = snprintf(err, 256, "unknown feature '%s'; known:", name);
        for (int i = 0; i < n && off < 250; i++)
            off += snprintf(err + off, 256 - (size_t)off, " %s", reg[i].name);
        return -1;
    }
    for (int k = 0; k < 3; k++)
        r->args[k] = r->f->defaults[k];
    const char *p = text + len;
    int nargs = 0;
    while (*p == ':') {
        p++;
        char *end = NULL;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || (*end != ':' && *end != '@' && *end != '\0') || v < 1 ||
            v > 100000 || nargs >= 3) {
            snprintf(err, 256, "'%.80s': argument %d must be a whole number in [1, 100000]",
                     text, nargs + 1);
            return -1;
        }
        r->args[nargs++] = (int)v;
        p = end;
    }
    if (nargs < r->f->min_args || nargs > r->f->max_args) {
        snprintf(err, 256, "'%.80s': %s takes %d to %d arguments (%s), got %d", text, name,
                 r->f->min_args, r->f->max_args, r->f->args[0] ? r->f->args : "none", nargs);
        return -1;
    }
    if (*p == '@') {
        char e[256];
        if (tr_timeframe_parse(p + 1, &r->timeframe, e) < 0) {
            snprintf(err, 256, "'%.60s': %.180s", text, e);
            return -1;
        }
    }
    return 0;
}

int tr_feature_check(const char *text, char err[256])
{
    feature_ref r;
    return feature_parse(text, &r, err);
}

int tr_feature_columns(const char *text)
{
    feature_ref r;
    char err[256];
    return feature_parse(text, &r, err) < 0 ? 1 : r.f->columns;
}

int tr_feature_series(const tr_candles *c, const char *text, double *out, int *warmup,
                      char err[256])
{
    feature_ref r;
    if (feature_parse(text, &r, err) < 0)
        return -1;
    const int nc = r.f->columns;
    char e[256] = "";
    for (size_t t = 0; t < (size_t)c->n * nc; t++)
        out[t] = NAN;
    if (r.timeframe == 0) {
        int w = r.f->compute(c, r.args, out, e);
        if (w < 0) {
            snprintf(err, 256, "'%.60s': %.180s", text, e);
            return -1;
        }
        *warmup = w;
        return 0;
    }
    /* Higher timeframe: the function on the resampled candles, and at each base
     * bar the value of the last fully closed higher-timeframe candle. */
    tr_candles h;
    int *vis = NULL;
    double *hv = NULL;
    if (tr_candles_resample(c, r.timeframe, &h, &vis, e) < 0) {
        snprintf(err, 256, "'%.60s': %.180s", text, e);
        return -1;
    }
    hv = malloc((size_t)h.n * nc * sizeof *hv);
    if (!hv) {
        snprintf(err, 256, "'%.60s': out of memory", text);
        goto fail;
    }
    for (size_t j = 0; j < (size_t)h.n * nc; j++)
        hv[j] = NAN;
    int hw = r.f->compute(&h, r.args, hv, e);
    if (hw < 0) {
        snprintf(err, 256, "'%.60s': %.180s", text, e);
        goto fail;
    }
    int w = c->n;
    for (int t = c->n - 1; t >= 0; t--) {
        if (vis[t] < hw)
            continue;
        w = t;   /* visible[] never decreases, so the first such t is the warm-up */
        for (int k = 0; k < nc; k++)
            out[(size_t)t * nc + k] = hv[(size_t)vis[t] * nc + k];
    }
    *warmup = w;
    free(hv);
    free(vis);
    tr_candles_free(&h);
    return 0;
fail:
    free(hv);
    free(vis);
    tr_candles_free(&h);
    return -1;
}

void tr_features_free(tr_feature_matrix *m)
{
    free(m->x);
    free(m->warmup);
    free(m->col);
    free(m->col_names);
    memset(m, 0, sizeof *m);
}

int tr_features_compute(const tr_candles *c, const char *const *names, int n_names,
                        tr_feature_matrix *m, char err[256])
{
    memset(m, 0, sizeof *m);
    double *ser = NULL;
    if (n_names < 1) {
        snprintf(err, 256, "no features requested");
        return -1;
    }
    int cols = 0;
    m->warmup = calloc((size_t)n_names, sizeof *m->warmup);
    m->col = calloc((size_t)n_names, sizeof *m->col);
    for (int i = 0; i < n_names; i++) {
        if (tr_feature_check(names[i], err) < 0)
            goto fail;
        if (m->col)
            m->col[i] = cols;
        cols += tr_feature_columns(names[i]);
    }
    m->col_names = calloc((size_t)cols, sizeof *m->col_names);
    ser = malloc((size_t)c->n * 2 * sizeof *ser);
    if (!m->warmup || !m->col || !m->col_names || !ser) {
        snprintf(err, 256, "out of memory for %d features", n_names);
        goto fail;
    }
    m->cols = cols;
    m->n_features = n_names;
    /* Two passes: the warm-ups decide the rows (computed cheaply on a two-row
     * view: a warm-up does not depend on the length; on a higher timeframe it
     * depends on the timestamps, so on all rows), then the columns. */
    int first = 0;
    tr_candles head = *c;
    head.n = c->n < 2 ? c->n : 2;
    for (int i = 0; i < n_names; i++) {
        const tr_candles *view = strchr(names[i], '@') ? c : &head;
        if (tr_feature_series(view, names[i], ser, &m->warmup[i], err) < 0)
            goto fail;
        if (m->warmup[i] > first)
            first = m->warmup[i];
    }
    if (first >= c->n) {
        snprintf(err, 256, "the features need %d warm-up bars but there are only %d candles",
                 first, c->n);
        goto fail;
    }
    m->first = first;
    m->rows = c->n - first;
    m->x = malloc((size_t)m->rows * (size_t)cols * sizeof *m->x);
    if (!m->x) {
        snprintf(err, 256, "out of memory for a %d x %d feature matrix", m->rows, cols);
        goto fail;
    }
    for (int i = 0; i < n_names; i++) {
        int w, nc = tr_feature_columns(names[i]);
        if (tr_feature_series(c, names[i], ser, &w, err) < 0)
            goto fail;
        for (int k = 0; k < nc; k++) {
            if (nc == 2)
                snprintf(m->col_names[m->col[i] + k], 64, "%.55s.%s", names[i], k ? "cos" : "sin");
            else
                snprintf(m->col_names[m->col[i] + k], 64, "%.63s", names[i]);
            for (int r = 0; r < m->rows; r++)
                m->x[(size_t)r * cols + m->col[i] + k] = (float)ser[(size_t)(first + r) * nc + k];
        }
    }
    free(ser);
    return 0;
fail:
    free(ser);
    tr_features_free(m);
    return -1;
}
