/*
 * svg.c - nice ticks, axes and marks as inline SVG (see svg.h for the drawing
 * phases and the large-data rules).
 */
#include "reports/svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const OKABE_ITO[8] = {"#000000", "#E69F00", "#56B4E9", "#009E73",
                                         "#F0E442", "#0072B2", "#D55E00", "#CC79A7"};

const char *rep_palette(int i)
{
    return OKABE_ITO[((i % 8) + 8) % 8];
}

void rep_color_scale(double t, char out[8])
{
    static const int stops[5][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140},
                                    {94, 201, 98}, {253, 231, 37}};
    if (!isfinite(t))
        t = 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double p = t * 4;
    int k = p >= 4 ? 3 : (int)p;
    double f = p - k;
    int rgb[3];
    for (int j = 0; j < 3; j++)
        rgb[j] = (int)lround(stops[k][j] + f * (stops[k + 1][j] - stops[k][j]));
    snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

/* ---- ticks ------------------------------------------------------------------ */

/* The smallest 1-2-5 step >= raw (so that there are at most `target` intervals
 * inside the data range). */
static double nice_step(double raw)
{
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    double m = f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10;
    return m * mag;
}

/* Next larger 1-2-5 step. */
static double next_step(double step)
{
    double mag = pow(10, floor(log10(step) + 1e-9));
    double f = step / mag;
    return (f < 1.5 ? 2 : f < 3 ? 5 : 10) * mag;
}

static int ticks_linear(double lo, double hi, int target, rep_tick *out, int max,
                        double *dlo, double *dhi)
{
    double step = nice_step((hi - lo) / (target > 0 ? target : 5));
    double k0, k1;
    for (;;) {
        k0 = floor(lo / step + 1e-9);
        k1 = ceil(hi / step - 1e-9);
        if (k1 - k0 + 1 <= max)
            break;
        step = next_step(step);
    }
    int dec = (int)(-floor(log10(step) + 1e-9));
    if (dec < 0)
        dec = 0;
    int n = 0;
    for (double k = k0; k <= k1 && n < max; k++, n++) {
        double v = k * step;
        if (fabs(v) < step * 1e-9)
            v = 0;
        out[n].v = v;
        if (dec > 8 || fabs(v) >= 1e9)
            snprintf(out[n].label, sizeof out[n].label, "%.3g", v);
        else
            snprintf(out[n].label, sizeof out[n].label, "%.*f", dec, v);
    }
    *dlo = k0 * step;
    *dhi = k1 * step;
    return n;
}

static int ticks_log(double lo, double hi, int target, rep_tick *out, int max, double *dlo,
                     double *dhi)
{
    if (lo <= 0)
        lo = 1e-300;
    if (hi <= lo)
        hi = lo * 10;
    int e0 = (int)floor(log10(lo) + 1e-9);
    int e1 = (int)ceil(log10(hi) - 1e-9);
    if (e1 <= e0)
        e1 = e0 + 1;
    int stride = 1;
    while ((e1 - e0 + stride - 1) / stride > (target > 0 ? target + 1 : 6) ||
           (e1 - e0) / stride + 1 > max)
        stride++;
    e1 = e0 + ((e1 - e0 + stride - 1) / stride) * stride;
    int sci = e0 < -3 || e1 > 4;
    int n = 0;
    for (int e = e0; e <= e1 && n < max; e += stride, n++) {
        out[n].v = pow(10, e);
        if (sci)
            snprintf(out[n].label, sizeof out[n].label, "1e%d", e);
        else
            snprintf(out[n].label, sizeof out[n].label, "%.*f", e < 0 ? -e : 0, out[n].v);
    }
    *dlo = pow(10, e0);
    *dhi = pow(10, e1);
    return n;
}

enum { TU_SEC, TU_DAYLIKE, TU_MONTH, TU_YEAR, TU_HALFMONTH };

typedef struct {
    int unit;         /* TU_* */
    double amount;    /* seconds for TU_SEC/TU_DAYLIKE, months or years otherwise */
    double approx;    /* approximate seconds per step */
    const char *fmt;  /* strftime label format (UTC) */
} time_step;

static const time_step TIME_STEPS[] = {
    {TU_SEC, 1, 1, "%H:%M:%S"}, {TU_SEC, 2, 2, "%H:%M:%S"}, {TU_SEC, 5, 5, "%H:%M:%S"},
    {TU_SEC, 10, 10, "%H:%M:%S"}, {TU_SEC, 15, 15, "%H:%M:%S"}, {TU_SEC, 30, 30, "%H:%M:%S"},
    {TU_SEC, 60, 60, "%H:%M"}, {TU_SEC, 120, 120, "%H:%M"}, {TU_SEC, 300, 300, "%H:%M"},
    {TU_SEC, 600, 600, "%H:%M"}, {TU_SEC, 900, 900, "%H:%M"}, {TU_SEC, 1800, 1800, "%H:%M"},
    {TU_SEC, 3600, 3600, "%m-%d %H:%M"}, {TU_SEC, 7200, 7200, "%m-%d %H:%M"},
    {TU_SEC, 10800, 10800, "%m-%d %H:%M"}, {TU_SEC, 21600, 21600, "%m-%d %H:%M"},
    {TU_SEC, 43200, 43200, "%m-%d %H:%M"}, {TU_SEC, 86400, 86400, "%Y-%m-%d"},
    {TU_SEC, 172800, 172800, "%Y-%m-%d"}, {TU_DAYLIKE, 604800, 604800, "%Y-%m-%d"},
    {TU_MONTH, 1, 2629746, "%Y-%m"}, {TU_MONTH, 2, 5259492, "%Y-%m"},
    {TU_MONTH, 3, 7889238, "%Y-%m"}, {TU_MONTH, 6, 15778476, "%Y-%m"},
    {TU_YEAR, 1, 31556952, "%Y"}, {TU_YEAR, 2, 63113904, "%Y"}, {TU_YEAR, 5, 157784760, "%Y"},
    {TU_YEAR, 10, 315569520, "%Y"}, {TU_YEAR, 20, 631139040, "%Y"},
    {TU_YEAR, 50, 1577847600, "%Y"}, {TU_YEAR, 100, 3155695200, "%Y"},
};

static double utc_from(int year, int month0)
{
    struct tm tm = {0};
    year += month0 / 12;
    month0 %= 12;
    tm.tm_year = year - 1900;
    tm.tm_mon = month0;
    tm.tm_mday = 1;
    return (double)timegm(&tm);
}

static void time_label(double v, const char *fmt, char *out, size_t n)
{
    time_t t = (time_t)llround(v);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, n, fmt, &tm) == 0)
        snprintf(out, n, "%.0f", v);
}

/* The 1st and the 15th of each month: the fallback when monthly ticks are too few. */
static const time_step HALF_MONTH = {TU_HALFMONTH, 1, 1314873, "%Y-%m-%d"};

/* Ticks of one calendar step inside [lo, hi]; returns the count. */
static int time_step_ticks(const time_step *st, double lo, double hi, rep_tick *out, int max)
{
    int n = 0;
    if (st->unit == TU_HALFMONTH) {
        time_t t = (time_t)floor(lo);
        struct tm tm;
        gmtime_r(&t, &tm);
        for (int m = (tm.tm_year + 1900) * 12 + tm.tm_mon; n < max; m++) {
            double a = utc_from(m / 12, m % 12), b = a + 14 * 86400.0;
            if (a > hi + 1e-6)
                break;
            if (a >= lo - 1e-6)
                out[n++].v = a;
            if (n < max && b >= lo - 1e-6 && b <= hi + 1e-6)
                out[n++].v = b;
        }
    } else if (st->unit == TU_SEC || st->unit == TU_DAYLIKE) {
        double origin = st->unit == TU_DAYLIKE ? 345600.0 : 0.0; /* weeks start on Monday */
        double k = ceil((lo - origin) / st->amount - 1e-9);
        for (double v = origin + k * st->amount; v <= hi + 1e-6 && n < max; v += st->amount)
            out[n++].v = v;
    } else {
        time_t t = (time_t)floor(lo);
        struct tm tm;
        gmtime_r(&t, &tm);
        int year = tm.tm_year + 1900, mon = tm.tm_mon;
        if (st->unit == TU_YEAR) {
            int a = (int)st->amount;
            int y = (year / a) * a;
            while (utc_from(y, 0) < lo - 1e-6)
                y += a;
            for (; utc_from(y, 0) <= hi + 1e-6 && n < max; y += a)
                out[n++].v = utc_from(y, 0);
        } else {
            int a = (int)st->amount;
            int m = year * 12 + (mon / a) * a;
            while (utc_from(m / 12, m % 12) < lo - 1e-6)
                m += a;
            for (; utc_from(m / 12, m % 12) <= hi + 1e-6 && n < max; m += a)
                out[n++].v = utc_from(m / 12, m % 12);
        }
    }
    for (int i = 0; i < n; i++)
        time_label(out[i].v, st->fmt, out[i].label, sizeof out[i].label);
    return n;
}

/* Picks the smallest step giving at most target+1 ticks; when the calendar
 * alignment leaves fewer than 3 ticks, falls back to the next finer step
 * (half months below one month). */
static int ticks_time(double lo, double hi, int target, rep_tick *out, int max, double *dlo,
                      double *dhi)
{
    if (hi <= lo) {
        lo -= 3600;
        hi += 3600;
    }
    int want = (target > 0 ? target : 5) + 1;
    if (want > max)
        want = max;
    size_t ns = sizeof TIME_STEPS / sizeof TIME_STEPS[0], si = 0;
    while (si + 1 < ns && floor((hi - lo) / TIME_STEPS[si].approx) + 1 > want)
        si++;
    const time_step *st = &TIME_STEPS[si];
    int n = time_step_ticks(st, lo, hi, out, max);
    if (n < 3 && si > 0) {
        st = st->unit == TU_MONTH && st->amount == 1 ? &HALF_MONTH : &TIME_STEPS[si - 1];
        n = time_step_ticks(st, lo, hi, out, max);
    }
    *dlo = lo;
    *dhi = hi;
    return n;
}

int rep_ticks(rep_axis_kind kind, double lo, double hi, int target, rep_tick *out, int max,
              double *dlo, double *dhi)
{
    if (max > REP_MAX_TICKS)
        max = REP_MAX_TICKS;
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = kind == REP_AXIS_LOG ? 1 : 0;
        hi = kind == REP_AXIS_LOG ? 10 : 1;
    }
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    switch (kind) {
    case REP_AXIS_LOG:
        return ticks_log(lo, hi, target, out, max, dlo, dhi);
    case REP_AXIS_TIME:
        return ticks_time(lo, hi, target, out, max, dlo, dhi);
    default:
        if (hi == lo) {
            double d = lo != 0 ? fabs(lo) * 0.1 : 1;
            lo -= d;
            hi += d;
        }
        return ticks_linear(lo, hi, target, out, max, dlo, dhi);
    }
}

/* ---- the frame ---------------------------------------------------------------- */

void rep_chart_init(rep_chart *c, rep_buf *out, const char *id, int w, int h,
                    rep_axis_kind xkind, rep_axis_kind ykind)
{
    memset(c, 0, sizeof *c);
    c->out = out;
    c->id = id;
    c->width = w > 0 ? w : REP_CHART_W;
    c->height = h > 0 ? h : REP_CHART_H;
    c->ml = 64;
    c->mr = 16;
    c->mt = 30;
    c->mb = 46;
    c->xkind = xkind;
    c->ykind = ykind;
    c->xmin = c->ymin = INFINITY;
    c->xmax = c->ymax = -INFINITY;
}

void rep_chart_fit(rep_chart *c, const double *x, const double *y, int n)
{
    for (int i = 0; i < n; i++) {
        int okx = !x || (isfinite(x[i]) && (c->xkind != REP_AXIS_LOG || x[i] > 0));
        int oky = !y || (isfinite(y[i]) && (c->ykind != REP_AXIS_LOG || y[i] > 0));
        if (!okx || !oky)
            continue;
        if (x) {
            c->xmin = fmin(c->xmin, x[i]);
            c->xmax = fmax(c->xmax, x[i]);
        }
        if (y) {
            c->ymin = fmin(c->ymin, y[i]);
            c->ymax = fmax(c->ymax, y[i]);
        }
    }
}

static double plot_w(const rep_chart *c) { return c->width - c->ml - c->mr; }
static double plot_h(const rep_chart *c) { return c->height - c->mt - c->mb; }

static double axis_frac(rep_axis_kind k, double v, double d0, double d1)
{
    if (k == REP_AXIS_LOG) {
        if (v <= 0)
            return -1;
        return (log10(v) - log10(d0)) / (log10(d1) - log10(d0));
    }
    return (v - d0) / (d1 - d0);
}

double rep_chart_px(const rep_chart *c, double x)
{
    return c->ml + axis_frac(c->xkind, x, c->x0, c->x1) * plot_w(c);
}

double rep_chart_py(const rep_chart *c, double y)
{
    return c->mt + plot_h(c) - axis_frac(c->ykind, y, c->y0, c->y1) * plot_h(c);
}

/* Ticks for one axis from the fitted bounds (or the categories). */
static int axis_ticks(rep_axis_kind kind, double lo, double hi, const char *const *cats,
                      int ncats, int target, rep_tick *t, double *d0, double *d1)
{
    if (kind == REP_AXIS_CATEGORY) {
        int n = ncats < REP_MAX_TICKS ? ncats : REP_MAX_TICKS;
        for (int i = 0; i < n; i++) {
            t[i].v = i;
            snprintf(t[i].label, sizeof t[i].label, "%s", cats[i] ? cats[i] : "");
        }
        *d0 = -0.5;
        *d1 = (ncats > 0 ? ncats : 1) - 0.5;
        return n;
    }
    if (!(lo <= hi)) {
        lo = kind == REP_AXIS_LOG ? 1 : 0;
        hi = kind == REP_AXIS_LOG ? 10 : 1;
    }
    return rep_ticks(kind, lo, hi, target, t, REP_MAX_TICKS, d0, d1);
}

void rep_chart_begin(rep_chart *c, const char *title, const char *xlabel, const char *ylabel)
{
    rep_buf *b = c->out;
    int xt = c->width < 500 ? 4 : 6;
    if (c->x_integer && c->xkind == REP_AXIS_LINEAR && c->xmax - c->xmin >= 1 &&
        c->xmax - c->xmin < xt)
        xt = (int)ceil(c->xmax - c->xmin);
    c->nxt = axis_ticks(c->xkind, c->xmin, c->xmax, c->xcats, c->n_xcats, xt, c->xt, &c->x0,
                        &c->x1);
    c->nyt = axis_ticks(c->ykind, c->ymin, c->ymax, NULL, 0, 5, c->yt, &c->y0, &c->y1);
    double L = c->ml, R = c->width - c->mr, T = c->mt, B = c->height - c->mb;
    rep_buf_put(b, "<svg id=\"");
    rep_buf_esc(b, c->id);
    rep_buf_printf(b, "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                   "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", c->width, c->height,
                   c->width, c->height);
    rep_buf_esc(b, title);
    rep_buf_put(b, "\" font-family=\"sans-serif\" font-size=\"11\"><title>");
    rep_buf_esc(b, title);
    rep_buf_put(b, "</title><clipPath id=\"");
    rep_buf_esc(b, c->id);
    rep_buf_printf(b, "-c\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/></clipPath>",
                   L - 4, T - 4, R - L + 8, B - T + 8);
    rep_buf_printf(b, "<text x=\"%.1f\" y=\"18\" font-size=\"13\" font-weight=\"bold\">", L);
    rep_buf_esc(b, title);
    rep_buf_put(b, "</text><path stroke=\"#e3e3e3\" fill=\"none\" d=\"");
    for (int i = 0; i < c->nxt; i++)
        rep_buf_printf(b, "M%.1f,%.1fV%.1f", rep_chart_px(c, c->xt[i].v), T, B);
    for (int i = 0; i < c->nyt; i++)
        rep_buf_printf(b, "M%.1f,%.1fH%.1f", L, rep_chart_py(c, c->yt[i].v), R);
    rep_buf_printf(b, "\"/><path stroke=\"#444\" fill=\"none\" d=\"M%.1f,%.1fV%.1fH%.1f\"/>", L, T,
                   B, R);
    rep_buf_put(b, "<g fill=\"#333\" font-size=\"10\" text-anchor=\"middle\">");
    for (int i = 0; i < c->nxt; i++) {
        rep_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">", rep_chart_px(c, c->xt[i].v), B + 14);
        rep_buf_esc(b, c->xt[i].label);
        rep_buf_put(b, "</text>");
    }
    rep_buf_put(b, "</g><g fill=\"#333\" font-size=\"10\" text-anchor=\"end\">");
    for (int i = 0; i < c->nyt; i++) {
        rep_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">", L - 5, rep_chart_py(c, c->yt[i].v) + 3);
        rep_buf_esc(b, c->yt[i].label);
        rep_buf_put(b, "</text>");
    }
    rep_buf_printf(b, "</g><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (L + R) / 2,
                   B + 34);
    rep_buf_esc(b, xlabel);
    rep_buf_printf(b, "</text><text transform=\"translate(14,%.1f) rotate(-90)\" "
                   "text-anchor=\"middle\">", (T + B) / 2);
    rep_buf_esc(b, ylabel);
    rep_buf_put(b, "</text>");
}

/* Opens the group of the next series: id "<chart>-s<k>", clipped, titled. */
static void series_open(rep_chart *c, const char *name, const char *attrs)
{
    rep_buf *b = c->out;
    rep_buf_put(b, "<g id=\"");
    rep_buf_esc(b, c->id);
    rep_buf_printf(b, "-s%d\" clip-path=\"url(#", c->n_series++);
    rep_buf_esc(b, c->id);
    rep_buf_printf(b, "-c)\" %s>", attrs);
    if (name) {
        rep_buf_put(b, "<title>");
        rep_buf_esc(b, name);
        rep_buf_put(b, "</title>");
    }
}

/* ---- marks ------------------------------------------------------------------- */

typedef struct {
    rep_buf *b;
    int pen;          /* 1 when the current subpath has a point */
} path_pen;

static void pen_to(path_pen *p, double x, double y)
{
    rep_buf_printf(p->b, p->pen ? "L%.1f,%.1f" : "M%.1f,%.1f", x, y);
    p->pen = 1;
}

/* Emits the points of one pixel column in index order: first, min, max, last. */
static void flush_column(path_pen *p, const rep_chart *c, const double *x, const double *y,
                         int first, int lo, int hi, int last)
{
    int idx[4] = {first, lo, hi, last};
    for (int a = 1; a < 4; a++)
        for (int k = a; k > 0 && idx[k] < idx[k - 1]; k--) {
            int t = idx[k];
            idx[k] = idx[k - 1];
            idx[k - 1] = t;
        }
    for (int k = 0; k < 4; k++)
        if (k == 0 || idx[k] != idx[k - 1])
            pen_to(p, rep_chart_px(c, x[idx[k]]), rep_chart_py(c, y[idx[k]]));
}

void rep_chart_line(rep_chart *c, const double *x, const double *y, int n, const char *color,
                    double width, double opacity, const char *name)
{
    char attrs[160];
    snprintf(attrs, sizeof attrs, "fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
             "stroke-opacity=\"%.2f\" stroke-linejoin=\"round\"", color, width, opacity);
    series_open(c, name, attrs);
    rep_buf_put(c->out, "<path d=\"");
    path_pen p = {c->out, 0};
    int decimate = n > 2 * (int)plot_w(c);
    int col = -1, first = -1, lo = -1, hi = -1, last = -1;
    for (int i = 0; i < n; i++) {
        int ok = isfinite(x[i]) && isfinite(y[i]) &&
                 (c->ykind != REP_AXIS_LOG || y[i] > 0) && (c->xkind != REP_AXIS_LOG || x[i] > 0);
        if (!ok) {
            if (first >= 0)
                flush_column(&p, c, x, y, first, lo, hi, last);
            first = -1;
            col = -1;
            p.pen = 0;
            continue;
        }
        if (!decimate) {
            pen_to(&p, rep_chart_px(c, x[i]), rep_chart_py(c, y[i]));
            continue;
        }
        int cc = (int)floor(rep_chart_px(c, x[i]));
        if (cc != col && first >= 0)
            flush_column(&p, c, x, y, first, lo, hi, last), first = -1;
        if (first < 0) {
            col = cc;
            first = lo = hi = i;
        }
        if (y[i] < y[lo])
            lo = i;
        if (y[i] > y[hi])
            hi = i;
        last = i;
    }
    if (decimate && first >= 0)
        flush_column(&p, c, x, y, first, lo, hi, last);
    rep_buf_put(c->out, "\"/></g>");
}

void rep_chart_step(rep_chart *c, const double *x, const double *y, int n, const char *color,
                    double width, const char *name)
{
    char attrs[128];
    snprintf(attrs, sizeof attrs, "fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\"", color,
             width);
    series_open(c, name, attrs);
    rep_buf_put(c->out, "<path d=\"");
    int started = 0;
    double ylast = NAN, xlast = NAN;
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        double px = rep_chart_px(c, x[i]), py = rep_chart_py(c, y[i]);
        if (!started) {
            rep_buf_printf(c->out, "M%.1f,%.1f", px, py);
            started = 1;
        } else if (y[i] != ylast) {
            rep_buf_printf(c->out, "H%.1fV%.1f", px, py);
        }
        ylast = y[i];
        xlast = px;
    }
    if (started)
        rep_buf_printf(c->out, "H%.1f", xlast);
    rep_buf_put(c->out, "\"/></g>");
}

void rep_chart_scatter(rep_chart *c, const double *x, const double *y, int n, const char *color,
                       double r, double opacity, rep_tip_fn tip, void *ctx, const char *name)
{
    char attrs[128];
    rep_buf *b = c->out;
    if (n <= REP_SCATTER_DETAIL) {
        snprintf(attrs, sizeof attrs, "fill=\"%s\" fill-opacity=\"%.2f\"", color, opacity);
        series_open(c, name, attrs);
        for (int i = 0; i < n; i++) {
            if (!isfinite(x[i]) || !isfinite(y[i]))
                continue;
            rep_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\">", rep_chart_px(c, x[i]),
                           rep_chart_py(c, y[i]), r);
            if (tip) {
                rep_buf_put(b, "<title>");
                tip(ctx, i, b);
                rep_buf_put(b, "</title>");
            }
            rep_buf_put(b, "</circle>");
        }
        rep_buf_put(b, "</g>");
        return;
    }
    /* Dense: one path of zero-length round-capped segments, one per half-pixel cell. */
    snprintf(attrs, sizeof attrs, "fill=\"none\" stroke=\"%s\" stroke-opacity=\"%.2f\" "
             "stroke-width=\"%.1f\" stroke-linecap=\"round\"", color, opacity, 2 * r * 0.8);
    series_open(c, name, attrs);
    int gw = 2 * c->width + 2, gh = 2 * c->height + 2;
    unsigned char *seen = calloc((size_t)gw * (size_t)gh / 8 + 1, 1);
    rep_buf_put(b, "<path d=\"");
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        double px = rep_chart_px(c, x[i]), py = rep_chart_py(c, y[i]);
        long gx = lround(px * 2), gy = lround(py * 2);
        if (seen && gx >= 0 && gy >= 0 && gx < gw && gy < gh) {
            size_t bit = (size_t)gy * (size_t)gw + (size_t)gx;
            if (seen[bit / 8] & (1u << (bit % 8)))
                continue;
            seen[bit / 8] |= (unsigned char)(1u << (bit % 8));
        }
        rep_buf_printf(b, "M%.1f,%.1fh0", gx / 2.0, gy / 2.0);
    }
    free(seen);
    rep_buf_put(b, "\"/></g>");
}

void rep_chart_band(rep_chart *c, const double *x, const double *ylo, const double *yhi, int n,
                    const char *color, double opacity, const char *name)
{
    char attrs[128];
    snprintf(attrs, sizeof attrs, "fill=\"%s\" fill-opacity=\"%.2f\" stroke=\"none\"", color,
             opacity);
    series_open(c, name, attrs);
    /* Reduce to at most one (x, top, bottom) triple per pixel column. */
    double *px = malloc((size_t)(n > 0 ? n : 1) * 3 * sizeof(double));
    int m = 0;
    if (px) {
        for (int i = 0; i < n; i++) {
            if (!isfinite(x[i]) || !isfinite(ylo[i]) || !isfinite(yhi[i]))
                continue;
            double xx = rep_chart_px(c, x[i]), top = rep_chart_py(c, yhi[i]),
                   bot = rep_chart_py(c, ylo[i]);
            if (n > 2 * (int)plot_w(c) && m > 0 && floor(px[3 * (m - 1)]) == floor(xx)) {
                px[3 * (m - 1) + 1] = fmin(px[3 * (m - 1) + 1], top);
                px[3 * (m - 1) + 2] = fmax(px[3 * (m - 1) + 2], bot);
                continue;
            }
            px[3 * m] = xx;
            px[3 * m + 1] = top;
            px[3 * m + 2] = bot;
            m++;
        }
    }
    rep_buf_put(c->out, "<path d=\"");
    for (int i = 0; i < m; i++)
        rep_buf_printf(c->out, "%c%.1f,%.1f", i ? 'L' : 'M', px[3 * i], px[3 * i + 1]);
    for (int i = m - 1; i >= 0; i--)
        rep_buf_printf(c->out, "L%.1f,%.1f", px[3 * i], px[3 * i + 2]);
    if (m > 0)
        rep_buf_put(c->out, "Z");
    rep_buf_put(c->out, "\"/></g>");
    free(px);
}

void rep_chart_rug(rep_chart *c, const double *x, int n, const char *color, const char *name)
{
    char attrs[96];
    snprintf(attrs, sizeof attrs, "stroke=\"%s\" stroke-width=\"1.5\"", color);
    series_open(c, name, attrs);
    int w = c->width + 1;
    unsigned char *seen = calloc((size_t)w, 1);
    double B = c->height - c->mb;
    rep_buf_put(c->out, "<path d=\"");
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            continue;
        double px = rep_chart_px(c, x[i]);
        long col = lround(px);
        if (seen && col >= 0 && col < w) {
            if (seen[col])
                continue;
            seen[col] = 1;
        }
        rep_buf_printf(c->out, "M%.1f,%.1fv-8", px, B);
    }
    free(seen);
    rep_buf_put(c->out, "\"/></g>");
}

void rep_chart_legend(rep_chart *c, const char *const *names, const char *const *colors, int n)
{
    rep_buf *b = c->out;
    size_t maxlen = 4;
    for (int i = 0; i < n; i++)
        if (names[i] && strlen(names[i]) > maxlen)
            maxlen = strlen(names[i]);
    if (maxlen > 40)
        maxlen = 40;
    double w = 28 + 6.2 * (double)maxlen, h = 8 + 16.0 * n;
    double x = c->width - c->mr - w - 4, y = c->mt + 4;
    rep_buf_printf(b, "<g class=\"legend\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                   "height=\"%.1f\" fill=\"#fff\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>",
                   x, y, w, h);
    for (int i = 0; i < n; i++) {
        rep_buf_put(b, "<g class=\"lg\" data-t=\"");
        rep_buf_esc(b, c->id);
        rep_buf_printf(b, "-s%d\"><rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" "
                       "fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\">", i, x + 6, y + 7 + 16.0 * i,
                       colors[i], x + 22, y + 16 + 16.0 * i);
        rep_buf_esc(b, names[i]);
        rep_buf_put(b, "</text></g>");
    }
    rep_buf_put(b, "</g>");
}

void rep_chart_end(rep_chart *c)
{
    rep_buf_put(c->out, "</svg>");
}

void rep_svg_hbars(rep_buf *b, const char *id, const char *title, const char *const *labels,
                   const double *v, int n, const char *color, const char *xlabel)
{
    double vmax = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] > vmax)
            vmax = v[i];
    rep_tick t[REP_MAX_TICKS];
    double d0, d1;
    int nt = rep_ticks(REP_AXIS_LINEAR, 0, vmax > 0 ? vmax : 1, 4, t, REP_MAX_TICKS, &d0, &d1);
    int W = REP_CHART_W, L = 160, R = W - 60, T = 30, rowh = 22;
    int B = T + rowh * (n > 0 ? n : 1), H = B + 44;
    rep_buf_put(b, "<svg id=\"");
    rep_buf_esc(b, id);
    rep_buf_printf(b, "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                   "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", W, H, W, H);
    rep_buf_esc(b, title);
    rep_buf_put(b, "\" font-family=\"sans-serif\" font-size=\"11\"><title>");
    rep_buf_esc(b, title);
    rep_buf_printf(b, "</title><text x=\"%d\" y=\"18\" font-size=\"13\" font-weight=\"bold\">", L);
    rep_buf_esc(b, title);
    rep_buf_put(b, "</text><path stroke=\"#e3e3e3\" d=\"");
    for (int i = 0; i < nt; i++)
        rep_buf_printf(b, "M%.1f,%dV%d", L + (t[i].v - d0) / (d1 - d0) * (R - L), T, B);
    rep_buf_printf(b, "\"/><path stroke=\"#444\" fill=\"none\" d=\"M%d,%dV%dH%d\"/>", L, T, B, R);
    rep_buf_put(b, "<g fill=\"#333\" font-size=\"10\" text-anchor=\"middle\">");
    for (int i = 0; i < nt; i++) {
        rep_buf_printf(b, "<text x=\"%.1f\" y=\"%d\">", L + (t[i].v - d0) / (d1 - d0) * (R - L),
                       B + 14);
        rep_buf_esc(b, t[i].label);
        rep_buf_put(b, "</text>");
    }
    rep_buf_printf(b, "</g><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", (L + R) / 2.0,
                   B + 34);
    rep_buf_esc(b, xlabel);
    rep_buf_put(b, "</text>");
    for (int i = 0; i < n; i++) {
        double val = isfinite(v[i]) && v[i] > 0 ? v[i] : 0;
        double w = (val - d0) / (d1 - d0) * (R - L);
        int y = T + rowh * i;
        rep_buf_printf(b, "<g><title>");
        rep_buf_esc(b, labels[i]);
        rep_buf_printf(b, ": %.4f</title><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                       "fill=\"%s\"/><text x=\"%d\" y=\"%d\" text-anchor=\"end\">", val, L, y + 3,
                       w, rowh - 6, color, L - 6, y + 15);
        rep_buf_esc(b, labels[i]);
        rep_buf_printf(b, "</text><text x=\"%.1f\" y=\"%d\">%.3f</text></g>", L + w + 4, y + 15,
                       val);
    }
    rep_buf_put(b, "</svg>");
}

void rep_chart_series_begin(rep_chart *c, const char *name, const char *color, double width,
                            double opacity)
{
    char attrs[160];
    snprintf(attrs, sizeof attrs, "fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
             "stroke-opacity=\"%.2f\" stroke-linejoin=\"round\"", color, width, opacity);
    series_open(c, name, attrs);
}

void rep_chart_polyline(rep_chart *c, const double *x, const double *y, int n, const char *tip)
{
    rep_buf_put(c->out, "<path d=\"");
    path_pen p = {c->out, 0};
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) {
            p.pen = 0;
            continue;
        }
        pen_to(&p, rep_chart_px(c, x[i]), rep_chart_py(c, y[i]));
    }
    if (tip) {
        rep_buf_put(c->out, "\"><title>");
        rep_buf_esc(c->out, tip);
        rep_buf_put(c->out, "</title></path>");
    } else {
        rep_buf_put(c->out, "\"/>");
    }
}

void rep_chart_series_end(rep_chart *c)
{
    rep_buf_put(c->out, "</g>");
}
