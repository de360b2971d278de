/*
 * svg.h - a small chart module that writes inline SVG into a rep_buf.
 *
 * A chart is drawn in three phases:
 *   rep_chart_init → rep_chart_fit (once per series, grows the data bounds) →
 *   rep_chart_begin (chooses nice ticks, writes <svg>, grid, axes, labels) →
 *   marks (line, step, scatter, band, rug) → rep_chart_legend → rep_chart_end.
 *
 * Axes: linear (1-2-5 steps, the domain widened to the outer ticks), log (decades,
 * domain widened to whole decades), time (Unix seconds; UTC steps of seconds,
 * minutes, hours, days, weeks, months or years; domain = the data range) and
 * category (ticks at 0..n-1 labelled with the given names).
 *
 * Large data: lines and bands are decimated to the pixel grid (first/min/max/last
 * per pixel column, which keeps every spike visible); scatters above
 * REP_SCATTER_DETAIL points drop the per-point tooltips and are drawn as one path
 * of round dots, one per distinct half-pixel position. All coordinates are printed
 * with one decimal, so output is deterministic.
 *
 * Every label and tooltip is escaped; the palette is Okabe-Ito (colour-blind safe).
 */
#ifndef REPORTS_SVG_H
#define REPORTS_SVG_H

#include "reports/buf.h"

#define REP_CHART_W 720
#define REP_CHART_H 360
#define REP_MAX_TICKS 24
#define REP_SCATTER_DETAIL 1500

typedef enum {
    REP_AXIS_LINEAR = 0,
    REP_AXIS_LOG = 1,
    REP_AXIS_TIME = 2,
    REP_AXIS_CATEGORY = 3,
} rep_axis_kind;

typedef struct {
    double v;         /* data value of the tick */
    char label[40];   /* printed label (UTC for time axes) */
} rep_tick;

/* Okabe-Ito colours: 0 black, 1 orange, 2 sky blue, 3 bluish green, 4 yellow,
 * 5 blue, 6 vermillion, 7 reddish purple; index wraps. */
const char *rep_palette(int i);
/* Sequential colour-blind-safe scale (viridis stops) for t in [0,1]; writes "#rrggbb". */
void rep_color_scale(double t, char out[8]);

/* Chooses ticks for [lo, hi] with about `target` intervals. Writes up to max ticks
 * into out and the axis domain into *dlo, *dhi; returns the tick count (>= 2 for
 * linear/log/time when lo < hi, degenerate ranges are widened first). For
 * REP_AXIS_LOG lo and hi must be > 0 (non-positive values are clamped to 1e-300). */
int rep_ticks(rep_axis_kind kind, double lo, double hi, int target, rep_tick *out, int max,
              double *dlo, double *dhi);

typedef struct {
    rep_buf *out;
    int width, height;
    int ml, mr, mt, mb;          /* margins (px) */
    rep_axis_kind xkind, ykind;
    const char *const *xcats;    /* labels for a category x axis */
    int n_xcats;
    double xmin, xmax, ymin, ymax; /* data bounds (grown by rep_chart_fit) */
    double x0, x1, y0, y1;       /* domain after rep_chart_begin */
    rep_tick xt[REP_MAX_TICKS], yt[REP_MAX_TICKS];
    int nxt, nyt;
    int x_integer;               /* 1: linear x ticks at whole numbers only (e.g. steps) */
    const char *id;              /* element id prefix (unique in the page) */
    int n_series;                /* counter for series group ids */
} rep_chart;

/* Sets sizes (w, h in px; 0 = default 720x360) and empty bounds; out is borrowed. */
void rep_chart_init(rep_chart *c, rep_buf *out, const char *id, int w, int h,
                    rep_axis_kind xkind, rep_axis_kind ykind);
/* Grows the bounds by the finite points (x[i], y[i]); either array may be NULL
 * (that axis is not grown). Non-positive values are ignored on log axes. */
void rep_chart_fit(rep_chart *c, const double *x, const double *y, int n);
/* Computes the ticks and writes the frame: <svg>, title, grid, axes, labels.
 * Title and labels are escaped; aria-label = title. */
void rep_chart_begin(rep_chart *c, const char *title, const char *xlabel, const char *ylabel);
/* Data → pixel coordinates (valid after rep_chart_begin). */
double rep_chart_px(const rep_chart *c, double x);
double rep_chart_py(const rep_chart *c, double y);

/* Tooltip writer for one point: appends escaped text for point i to b. */
typedef void (*rep_tip_fn)(void *ctx, int i, rep_buf *b);

/* A polyline through the finite points in order (x ascending for decimation);
 * NaN breaks the line. name labels the series group (escaped), may be NULL. */
void rep_chart_line(rep_chart *c, const double *x, const double *y, int n, const char *color,
                    double width, double opacity, const char *name);
/* A step line (horizontal then vertical), e.g. best-so-far. */
void rep_chart_step(rep_chart *c, const double *x, const double *y, int n, const char *color,
                    double width, const char *name);
/* Dots of radius r; tip (may be NULL) gives each dot a <title> when n <= REP_SCATTER_DETAIL. */
void rep_chart_scatter(rep_chart *c, const double *x, const double *y, int n, const char *color,
                       double r, double opacity, rep_tip_fn tip, void *ctx, const char *name);
/* The area between ylo and yhi over x (x ascending). */
void rep_chart_band(rep_chart *c, const double *x, const double *ylo, const double *yhi, int n,
                    const char *color, double opacity, const char *name);
/* Short vertical marks at the bottom of the plot for x[i] (e.g. failed trials). */
void rep_chart_rug(rep_chart *c, const double *x, int n, const char *color, const char *name);
/* A series of many polylines sharing one style (e.g. learning curves): begin opens
 * the group, each rep_chart_polyline adds one path (NaN breaks it; tip may be NULL,
 * else the escaped <title>), end closes the group. */
void rep_chart_series_begin(rep_chart *c, const char *name, const char *color, double width,
                            double opacity);
void rep_chart_polyline(rep_chart *c, const double *x, const double *y, int n, const char *tip);
void rep_chart_series_end(rep_chart *c);
/* Legend in the top-right corner; entries toggle the series with the same index
 * (0-based order in which series were drawn) when JavaScript is on. */
void rep_chart_legend(rep_chart *c, const char *const *names, const char *const *colors, int n);
void rep_chart_end(rep_chart *c);

/* A complete horizontal bar chart (e.g. importances): labels[i] with value v[i] >= 0,
 * in the given order, value printed at the bar end. */
void rep_svg_hbars(rep_buf *b, const char *id, const char *title, const char *const *labels,
                   const double *v, int n, const char *color, const char *xlabel);

#endif
