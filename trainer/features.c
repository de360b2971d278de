/*
 * features.c - the indicator registry (names, arguments, checks) and the
 * computations: each indicator fills a double series over all candle rows from
 * past bars only; tr_features_compute stacks them into the float matrix the
 * model reads and drops the largest warm-up.
 */
#include "trainer/features.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tr_feature_info registry[] = {
    {"log_return", 0, 1, {1}, "LAG", "log(close_t / close_{t-LAG})"},
    {"simple_return", 0, 1, {1}, "LAG", "close_t / close_{t-LAG} - 1"},
    {"realized_vol", 0, 1, {24}, "WINDOW", "std of 1-bar log returns over WINDOW bars"},
    {"rsi", 0, 1, {14}, "PERIOD", "Wilder's relative strength index / 100 (0.5 when flat)"},
    {"macd", 0, 3, {12, 26, 9}, "FAST:SLOW:SIGNAL", "MACD line / close"},
    {"macd_signal", 0, 3, {12, 26, 9}, "FAST:SLOW:SIGNAL", "MACD signal line / close"},
    {"macd_hist", 0, 3, {12, 26, 9}, "FAST:SLOW:SIGNAL", "MACD histogram / close"},
    {"bollinger_b", 0, 1, {20}, "WINDOW", "Bollinger %B (2 std bands)"},
    {"bollinger_width", 0, 1, {20}, "WINDOW", "Bollinger bandwidth (2 std bands)"},
    {"atr", 0, 1, {14}, "PERIOD", "Wilder's average true range / close"},
    {"stoch_k", 0, 1, {14}, "PERIOD", "stochastic %K / 100"},
    {"stoch_d", 0, 2, {14, 3}, "PERIOD:SMOOTH", "stochastic %D (SMA of %K) / 100"},
    {"williams_r", 0, 1, {14}, "PERIOD", "Williams %R / 100"},
    {"cci", 0, 1, {20}, "PERIOD", "commodity channel index / 100"},
    {"roc", 0, 1, {10}, "PERIOD", "rate of change close_t / close_{t-PERIOD} - 1"},
    {"ema_ratio", 0, 1, {20}, "PERIOD", "close / EMA(close, PERIOD) - 1"},
    {"sma_ratio", 0, 1, {20}, "PERIOD", "close / SMA(close, PERIOD) - 1"},
    {"obv_change", 0, 1, {20}, "PERIOD", "change of on-balance volume over PERIOD / summed volume"},
    {"volume_z", 0, 1, {20}, "WINDOW", "z-score of log(1 + volume) over WINDOW bars"},
    {"volume_ratio", 0, 1, {20}, "WINDOW", "volume / SMA(volume, WINDOW) - 1"},
    {"hl_range", 0, 0, {0}, "", "(high - low) / close"},
    {"body", 0, 0, {0}, "", "(close - open) / open"},
    {"upper_wick", 0, 0, {0}, "", "(high - max(open, close)) / close"},
    {"lower_wick", 0, 0, {0}, "", "(min(open, close) - low) / close"},
    {"close_position", 0, 0, {0}, "", "(close - low) / (high - low), 0.5 when high = low"},
    {"hour_of_day", 0, 0, {0}, "", "sin and cos of the UTC hour (2 columns)"},
    {"day_of_week", 0, 0, {0}, "", "sin and cos of the UTC weekday (2 columns)"},
};

const tr_feature_info *tr_feature_list(int *n)
{
    *n = (int)(sizeof registry / sizeof registry[0]);
    return registry;
}

int tr_feature_check(const char *text, char err[256])
{
    char name[64];
    size_t len = strcspn(text, ":");
    if (len == 0 || len >= sizeof name) {
        snprintf(err, 256, "'%s' is not a feature name", text);
        return -1;
    }
    memcpy(name, text, len);
    name[len] = '\0';
    int n;
    const tr_feature_info *reg = tr_feature_list(&n);
    const tr_feature_info *f = NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(reg[i].name, name) == 0)
            f = &reg[i];
    if (!f) {
        int off = snprintf(err, 256, "unknown feature '%s'; known:", name);
        for (int i = 0; i < n && off < 250; i++)
            off += snprintf(err + off, 256 - (size_t)off, " %s", reg[i].name);
        return -1;
    }
    const char *p = text + len;
    int nargs = 0;
    while (*p == ':') {
        p++;
        char *end = NULL;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || (*end != ':' && *end != '\0') || v < 1 || v > 100000) {
            snprintf(err, 256, "'%s': argument %d must be a whole number in [1, 100000]",
                     text, nargs + 1);
            return -1;
        }
        nargs++;
        p = end;
    }
    if (nargs < f->min_args || nargs > f->max_args) {
        snprintf(err, 256, "'%s': %s takes %d to %d arguments (%s), got %d", text, name,
                 f->min_args, f->max_args, f->args[0] ? f->args : "none", nargs);
        return -1;
    }
    return 0;
}

/* Parses "name:a:b" (already checked) into the registry entry and the
 * arguments with defaults filled in. */
static const tr_feature_info *feature_parse(const char *text, int args[3])
{
    int n;
    const tr_feature_info *reg = tr_feature_list(&n);
    size_t len = strcspn(text, ":");
    for (int i = 0; i < n; i++) {
        if (strlen(reg[i].name) != len || strncmp(reg[i].name, text, len) != 0)
            continue;
        for (int k = 0; k < 3; k++)
            args[k] = reg[i].defaults[k];
        const char *p = text + len;
        for (int k = 0; *p == ':' && k < 3; k++) {
            char *end;
            args[k] = (int)strtol(p + 1, &end, 10);
            p = end;
        }
        return &reg[i];
    }
    return NULL;
}

int tr_feature_columns(const char *text)
{
    size_t len = strcspn(text, ":");
    if ((len == 11 && strncmp(text, "hour_of_day", 11) == 0) ||
        (len == 11 && strncmp(text, "day_of_week", 11) == 0))
        return 2;
    return 1;
}

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

int tr_feature_series(const tr_candles *c, const char *text, double *out, int *warmup,
                      char err[256])
{
    if (tr_feature_check(text, err) < 0)
        return -1;
    int a[3];
    const tr_feature_info *fi = feature_parse(text, a);
    const char *nm = fi->name;
    const int n = c->n, p = a[0];
    const double *cl = c->close, *hi = c->high, *lo = c->low, *op = c->open, *vo = c->volume;
    double *tmp = NULL, *tmp2 = NULL;
    int w = 0;
    int nc = tr_feature_columns(text);
    for (int t = 0; t < n * nc; t++)
        out[t] = NAN;

    if (!strcmp(nm, "log_return") || !strcmp(nm, "simple_return") || !strcmp(nm, "roc")) {
        w = p;
        int lg = !strcmp(nm, "log_return");
        for (int t = w; t < n; t++)
            out[t] = lg ? log(cl[t] / cl[t - p]) : cl[t] / cl[t - p] - 1;
    } else if (!strcmp(nm, "realized_vol")) {
        if (p < 2)
            goto arg_fail;
        w = p;
        for (int t = w; t < n; t++) {
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
    } else if (!strcmp(nm, "rsi")) {
        w = p;
        double ag = 0, al = 0;
        for (int t = 1; t < n; t++) {
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
    } else if (!strncmp(nm, "macd", 4)) {
        tmp = malloc((size_t)n * sizeof *tmp);
        tmp2 = malloc((size_t)n * sizeof *tmp2);
        if (!tmp || !tmp2 || macd_series(c, a[0], a[1], a[2], tmp, tmp2, &w) < 0)
            goto oom;
        int which = !strcmp(nm, "macd") ? 0 : !strcmp(nm, "macd_signal") ? 1 : 2;
        if (which > 0)
            w += a[2] - 1;
        for (int t = w; t < n; t++)
            out[t] = (which == 0 ? tmp[t] : which == 1 ? tmp2[t] : tmp[t] - tmp2[t]) / cl[t];
    } else if (!strcmp(nm, "bollinger_b") || !strcmp(nm, "bollinger_width")) {
        w = p - 1;
        int pb = !strcmp(nm, "bollinger_b");
        for (int t = w; t < n; t++) {
            double m = mean_range(cl, t - p + 1, t), sd = pstd_range(cl, t - p + 1, t, m);
            double up = m + 2 * sd, dn = m - 2 * sd;
            out[t] = pb ? (up > dn ? (cl[t] - dn) / (up - dn) : 0.5) : (up - dn) / m;
        }
    } else if (!strcmp(nm, "atr")) {
        w = p;
        double atr = 0;
        for (int t = 1; t < n; t++) {
            double tr = hi[t] - lo[t], u = fabs(hi[t] - cl[t - 1]), d = fabs(lo[t] - cl[t - 1]);
            if (u > tr)
                tr = u;
            if (d > tr)
                tr = d;
            atr = t <= p ? atr + tr / p : (atr * (p - 1) + tr) / p;
            if (t >= p)
                out[t] = atr / cl[t];
        }
    } else if (!strcmp(nm, "stoch_k")) {
        w = p - 1;
        for (int t = w; t < n; t++)
            out[t] = stoch_k_at(c, t, p);
    } else if (!strcmp(nm, "stoch_d")) {
        w = p - 1 + a[1] - 1;
        for (int t = w; t < n; t++) {
            double s = 0;
            for (int i = t - a[1] + 1; i <= t; i++)
                s += stoch_k_at(c, i, p);
            out[t] = s / a[1];
        }
    } else if (!strcmp(nm, "williams_r")) {
        w = p - 1;
        for (int t = w; t < n; t++) {
            double hh = highest(hi, t - p + 1, t), ll = lowest(lo, t - p + 1, t);
            out[t] = hh > ll ? -(hh - cl[t]) / (hh - ll) : -0.5;
        }
    } else if (!strcmp(nm, "cci")) {
        w = p - 1;
        tmp = malloc((size_t)n * sizeof *tmp);
        if (!tmp)
            goto oom;
        for (int t = 0; t < n; t++)
            tmp[t] = (hi[t] + lo[t] + cl[t]) / 3;
        for (int t = w; t < n; t++) {
            double m = mean_range(tmp, t - p + 1, t), md = 0;
            for (int i = t - p + 1; i <= t; i++)
                md += fabs(tmp[i] - m);
            md /= p;
            out[t] = md > 0 ? (tmp[t] - m) / (0.015 * md) / 100 : 0;
        }
    } else if (!strcmp(nm, "ema_ratio")) {
        w = p - 1;
        tmp = malloc((size_t)n * sizeof *tmp);
        if (!tmp)
            goto oom;
        ema_series(cl, n, 0, p, 2.0 / (p + 1), tmp);
        for (int t = w; t < n; t++)
            out[t] = cl[t] / tmp[t] - 1;
    } else if (!strcmp(nm, "sma_ratio")) {
        w = p - 1;
        for (int t = w; t < n; t++)
            out[t] = cl[t] / mean_range(cl, t - p + 1, t) - 1;
    } else if (!strcmp(nm, "obv_change")) {
        w = p;
        tmp = malloc((size_t)n * sizeof *tmp);
        if (!tmp)
            goto oom;
        tmp[0] = 0;
        for (int t = 1; t < n; t++)
            tmp[t] = tmp[t - 1] + (cl[t] > cl[t - 1] ? vo[t] : cl[t] < cl[t - 1] ? -vo[t] : 0);
        for (int t = w; t < n; t++) {
            double sv = 0;
            for (int i = t - p + 1; i <= t; i++)
                sv += vo[i];
            out[t] = sv > 0 ? (tmp[t] - tmp[t - p]) / sv : 0;
        }
    } else if (!strcmp(nm, "volume_z")) {
        w = p - 1;
        tmp = malloc((size_t)n * sizeof *tmp);
        if (!tmp)
            goto oom;
        for (int t = 0; t < n; t++)
            tmp[t] = log1p(vo[t]);
        for (int t = w; t < n; t++) {
            double m = mean_range(tmp, t - p + 1, t), sd = pstd_range(tmp, t - p + 1, t, m);
            out[t] = sd > 0 ? (tmp[t] - m) / sd : 0;
        }
    } else if (!strcmp(nm, "volume_ratio")) {
        w = p - 1;
        for (int t = w; t < n; t++) {
            double m = mean_range(vo, t - p + 1, t);
            out[t] = m > 0 ? vo[t] / m - 1 : 0;
        }
    } else if (!strcmp(nm, "hl_range")) {
        for (int t = 0; t < n; t++)
            out[t] = (hi[t] - lo[t]) / cl[t];
    } else if (!strcmp(nm, "body")) {
        for (int t = 0; t < n; t++)
            out[t] = (cl[t] - op[t]) / op[t];
    } else if (!strcmp(nm, "upper_wick")) {
        for (int t = 0; t < n; t++)
            out[t] = (hi[t] - fmax(op[t], cl[t])) / cl[t];
    } else if (!strcmp(nm, "lower_wick")) {
        for (int t = 0; t < n; t++)
            out[t] = (fmin(op[t], cl[t]) - lo[t]) / cl[t];
    } else if (!strcmp(nm, "close_position")) {
        for (int t = 0; t < n; t++)
            out[t] = hi[t] > lo[t] ? (cl[t] - lo[t]) / (hi[t] - lo[t]) : 0.5;
    } else if (!strcmp(nm, "hour_of_day") || !strcmp(nm, "day_of_week")) {
        int hour = !strcmp(nm, "hour_of_day");
        int64_t limit = hour ? 86400 : 7 * 86400;
        if (n > 1 && c->interval >= limit) {
            snprintf(err, 256, "'%s' needs %s interval; these candles are %lld s apart", text,
                     hour ? "an intraday" : "a sub-weekly", (long long)c->interval);
            return -1;
        }
        for (int t = 0; t < n; t++) {
            int64_t ts = c->ts[t];
            int64_t day = ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
            double ang = hour ? 2 * M_PI * (double)(ts - day * 86400) / 86400.0
                              : 2 * M_PI * (double)(((day + 3) % 7 + 7) % 7) / 7.0;
            out[2 * t] = sin(ang);
            out[2 * t + 1] = cos(ang);
        }
    } else {
        snprintf(err, 256, "feature '%s' has no computation", text);
        return -1;
    }
    free(tmp);
    free(tmp2);
    *warmup = w;
    return 0;
arg_fail:
    snprintf(err, 256, "'%s': the window must be at least 2", text);
    return -1;
oom:
    free(tmp);
    free(tmp2);
    snprintf(err, 256, "out of memory computing '%s'", text);
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
     * view: a warm-up does not depend on the length), then the columns. */
    int first = 0;
    tr_candles head = *c;
    head.n = c->n < 2 ? c->n : 2;
    for (int i = 0; i < n_names; i++) {
        if (tr_feature_series(&head, names[i], ser, &m->warmup[i], err) < 0)
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
