/*
 * sections_params.c - the report's parameter sections: importance, slices,
 * parallel coordinates and intermediate values.
 */
#include "reports/report_int.h"
#include "reports/report.h"
#include "reports/edge.h"

#include "base/stats.h"
#include "reports/importance.h"
#include "reports/svg.h"
#include "tracker/store.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

static int complete_trials(const view *v, int **out)
{
    const rep_study *s = v->s;
    int *ix = malloc((size_t)(s->n_trials > 0 ? s->n_trials : 1) * sizeof *ix), n = 0;
    if (!ix) {
        *out = NULL;
        return -1;
    }
    for (int o = 0; o < s->n_trials; o++) {
        int i = v->order[o];
        if (s->trials[i].state == REP_COMPLETE && isfinite(s->trials[i].value))
            ix[n++] = i;
    }
    *out = ix;
    return n;
}

/* The size of PED-ANOVA's top set for m trials, as in importance.c. */
static int ped_top_count(int m)
{
    int top = (int)ceil(REP_PED_TOP_QUANTILE * m);
    return top < 2 ? 2 : top;
}

/* Names the conditional parameters and the trials each was scored over. */
static void conditional_note(rep_buf *b, const view *v, const double *X, int m)
{
    int first = 1;
    for (int j = 0; j < v->np; j++) {
        char cond[160];
        if (!rep_param_condition(v, j, cond))
            continue;
        int have = 0;
        for (int a = 0; a < m; a++)
            have += !isnan(X[(size_t)a * (size_t)v->np + (size_t)j]);
        rep_buf_put(b, first ? " Conditional parameters are scored over the trials where they "
                               "are active: " : ", ");
        rep_buf_esc(b, v->keys[j]);
        rep_buf_printf(b, " in %d of %d (when ", have, m);
        rep_buf_esc(b, cond);
        rep_buf_put(b, ")");
        first = 0;
    }
    if (!first)
        rep_buf_printf(b, "; one active in fewer than %d scores 0.", REP_PED_MIN_TRIALS);
}

void rep_section_importance(rep_buf *b, const view *v)
{
    rep_section_open(b, "importance", v->k, "Parameter importance", v->s);
    int *ix = NULL, n = complete_trials(v, &ix), p = v->np, usable = 1;
    double *X = NULL, *y = NULL, *imp = NULL;
    int *order = NULL;
    char err[256];
    if (n < 0) {
        b->oom = 1;
        goto done;
    }
    X = malloc((size_t)(n > 0 ? n : 1) * (size_t)(p > 0 ? p : 1) * sizeof *X);
    y = malloc((size_t)(n > 0 ? n : 1) * sizeof *y);
    imp = malloc((size_t)(p > 0 ? p : 1) * sizeof *imp);
    order = malloc((size_t)(p > 0 ? p : 1) * sizeof *order);
    if (!X || !y || !imp || !order) {
        b->oom = 1;
        goto done;
    }
    /* A parameter absent from a trial (inactive there) is NaN: PED-ANOVA scores
     * each parameter over the trials that have it. */
    int m = 0;
    for (int a = 0; a < n; a++) {
        int row_ok = 1;
        for (int j = 0; j < p && row_ok; j++) {
            double c = rep_param_coord(v, ix[a], j);
            if (v->logscale[j] && !isnan(c))
                c = c > 0 ? log10(c) : INFINITY;
            row_ok = !isinf(c);
            X[(size_t)m * (size_t)p + (size_t)j] = c;
        }
        if (row_ok)
            y[m++] = v->s->trials[ix[a]].value;
    }
    if (p == 0 || rep_importance_ped_anova(X, y, m, p, v->categorical, v->ncats, v->s->maximize,
                                           imp, NULL, err) != 0) {
        usable = 0;
        rep_buf_put(b, "<p>Not available: ");
        rep_buf_esc(b, p == 0 ? "the trials have no parameters" : err);
        rep_buf_put(b, ".</p>");
    }
    if (usable) {
        double *neg = malloc((size_t)p * sizeof *neg);
        for (int j = 0; j < p; j++) {
            order[j] = j;
            if (neg)
                neg[j] = -imp[j];
        }
        if (!neg || rep_sort_by_key(order, neg, p) != 0)
            b->oom = 1;
        free(neg);
        const char **labels = malloc((size_t)p * sizeof *labels);
        double *vals = malloc((size_t)p * sizeof *vals);
        if (labels && vals) {
            for (int j = 0; j < p; j++) {
                labels[j] = v->keys[order[j]];
                vals[j] = imp[order[j]];
            }
            char id[32];
            rep_make_id(id, sizeof id, "imp", v->k);
            rep_svg_hbars(b, id, "PED-ANOVA importance (share of total)", labels, vals, p,
                          COLOR_COMPLETE, "importance");
        } else {
            b->oom = 1;
        }
        free(labels);
        free(vals);
        rep_buf_printf(b, "<p class=\"note\">Method: PED-ANOVA (Watanabe et al. 2023) on %d "
                       "complete trials: Pearson divergence between the parameter's density "
                       "among the best %.0f%% of trials (at least 2; here %d of %d) and among "
                       "all trials (Gaussian kernel density on 100 cells for numbers, log10 "
                       "scale for log-scaled parameters; smoothed frequencies for categories), "
                       "normalised to sum 1.", m, REP_PED_TOP_QUANTILE * 100, ped_top_count(m), m);
        if (m < 20)
            rep_buf_put(b, " <b>Few trials:</b> with so small a top set this ranking is rough; "
                        "treat it as a hint, not a measurement.");
        conditional_note(b, v, X, m);
        rep_buf_put(b, "</p>");
    }
done:
    rep_buf_put(b, "</section>\n");
    free(ix);
    free(X);
    free(y);
    free(imp);
    free(order);
}

/* Deterministic jitter in [-0.2, 0.2] for categorical slices. */
static double jitter(int number)
{
    unsigned h = (unsigned)number * 2654435761u;
    return ((h >> 8) % 1000) / 1000.0 * 0.4 - 0.2;
}

/* 1 when the spec declares parameter j an int (slice ticks at whole numbers). */
static int param_is_int(const view *v, int j)
{
    cJSON *space = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(v->spec, "search"), "space");
    cJSON *ty = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(space, v->keys[j]), "type");
    return cJSON_IsString(ty) && strcmp(ty->valuestring, "int") == 0;
}

void rep_section_slices(rep_buf *b, const view *v)
{
    rep_section_open(b, "slices", v->k, "Slices", v->s);
    int *ix = NULL, n = complete_trials(v, &ix);
    double *x = NULL, *y = NULL;
    int *tix = NULL;
    if (n < 0 || !(x = malloc((size_t)(n + 1) * sizeof *x)) ||
        !(y = malloc((size_t)(n + 1) * sizeof *y)) || !(tix = malloc((size_t)(n + 1) * sizeof *tix))) {
        b->oom = 1;
        goto done;
    }
    if (v->np == 0)
        rep_buf_put(b, "<p>The trials have no parameters.</p>");
    rep_buf_put(b, "<div class=\"grid\">");
    for (int j = 0; j < v->np; j++) {
        int m = 0;
        for (int a = 0; a < n; a++) {
            double c = rep_param_coord(v, ix[a], j);
            if (!isfinite(c) || (v->logscale[j] && c <= 0))
                continue;
            x[m] = v->categorical[j] ? c + jitter(v->s->trials[ix[a]].number) : c;
            y[m] = v->s->trials[ix[a]].value;
            tix[m++] = ix[a];
        }
        rep_chart c;
        char id[48];
        snprintf(id, sizeof id, "slice%d-%d", v->k + 1, j);
        rep_chart_init(&c, b, id, 360, 250, v->categorical[j] ? REP_AXIS_CATEGORY
                       : v->logscale[j] ? REP_AXIS_LOG : REP_AXIS_LINEAR, REP_AXIS_LINEAR);
        c.ml = 56;
        c.x_integer = param_is_int(v, j);
        if (v->categorical[j]) {
            c.xcats = v->cats[j];
            c.n_xcats = v->ncats[j];
        }
        rep_chart_fit(&c, x, NULL, m);
        rep_robust_y(&c, y, m, v->s->maximize);
        char cond[160], title[256];
        if (rep_param_condition(v, j, cond))   /* conditional: its trials only */
            snprintf(title, sizeof title, "%s (%d of %d trials: when %s)", v->keys[j], m, n, cond);
        else
            snprintf(title, sizeof title, "%s", v->keys[j]);
        rep_chart_begin(&c, title, v->keys[j], v->s->metric ? v->s->metric : "value");
        tip_ctx tc = {v, tix};
        rep_chart_scatter(&c, x, y, m, COLOR_COMPLETE, m > 2000 ? 1.5 : 2.5, 0.5, rep_trial_tip, &tc,
                          NULL);
        rep_chart_end(&c);
    }
    rep_buf_put(b, "</div>");
    if (n > REP_SCATTER_DETAIL)
        rep_buf_put(b, "<p class=\"note\">Large study: dots have no tooltips and coinciding dots "
                    "are merged.</p>");
done:
    rep_buf_put(b, "</section>\n");
    free(ix);
    free(x);
    free(y);
    free(tix);
}

/* Picks at most REP_MAX_LINES of ix[0..n) (sorted best first): the best quarter
 * and an even sample of the rest. Returns the count written into ix's front. */
static int sample_lines(int *ix, int n)
{
    if (n <= REP_MAX_LINES)
        return n;
    int keep = REP_MAX_LINES / 4, rest = REP_MAX_LINES - keep, m = keep;
    for (int a = 0; a < rest; a++) {
        long src = keep + (long)a * (n - keep) / rest;
        ix[m++] = ix[src];
    }
    return m;
}

/* The coordinate of trial ix's axis j (the objective on the last axis, log10
 * on a log axis, NaN where it has none). */
static double pc_coord(const view *v, int ix, int j)
{
    double c = j < v->np ? rep_param_coord(v, ix, j) : v->s->trials[ix].value;
    if (j < v->np && v->logscale[j])
        c = c > 0 ? log10(c) : NAN;
    return c;
}

/* One path per drawn trial (ix[0..n), best first), worst first so that the best
 * lines lie on top; an axis without a coordinate lifts the pen. */
static void pc_lines(rep_buf *b, const view *v, const int *ix, int n, const double *lo,
                     const double *hi, double L, double dx, int T, int B)
{
    int na = v->np + 1;
    /* Worst first so that the best lines are drawn on top. */
    for (int a = n - 1; a >= 0; a--) {
        const rep_trial *t = &v->s->trials[ix[a]];
        char col[8];
        rep_color_scale(n > 1 ? (double)a / (n - 1) : 0, col);
        rep_buf_printf(b, "<path stroke=\"%s\" d=\"", col);
        int pen = 0;
        for (int j = 0; j < na; j++) {
            double c = pc_coord(v, ix[a], j);
            if (!isfinite(c)) {
                pen = 0;
                continue;
            }
            double f = hi[j] > lo[j] ? (c - lo[j]) / (hi[j] - lo[j]) : 0.5;
            rep_buf_printf(b, "%c%.1f,%.1f", pen ? 'L' : 'M', L + dx * j, B - f * (B - T));
            pen = 1;
        }
        rep_buf_printf(b, "\"><title>#%d ", t->number);
        rep_buf_num(b, "%.6g", t->value);
        rep_buf_put(b, "</title></path>");
    }
}

/* The axes, their names and their ranges (categories by name). */
static void pc_axes(rep_buf *b, const view *v, const double *lo, const double *hi, double L,
                    double dx, int T, int B)
{
    const rep_study *s = v->s;
    int na = v->np + 1;
    rep_buf_put(b, "</g><g stroke=\"#333\">");
    for (int j = 0; j < na; j++)
        rep_buf_printf(b, "<path d=\"M%.1f,%dV%d\"/>", L + dx * j, T, B);
    rep_buf_put(b, "</g><g fill=\"#222\" text-anchor=\"middle\">");
    for (int j = 0; j < na; j++) {
        double xj = L + dx * j;
        rep_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" font-weight=\"bold\">", xj, T - 22);
        rep_buf_esc(b, j < v->np ? v->keys[j] : (s->metric ? s->metric : "value"));
        rep_buf_put(b, "</text>");
        if (j < v->np && v->categorical[j]) {
            for (int c = 0; c < v->ncats[j] && c < 12; c++) {
                double f = hi[j] > lo[j] ? (c - lo[j]) / (hi[j] - lo[j]) : 0.5;
                rep_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">", xj + 14, B - f * (B - T) + 3);
                rep_buf_esc(b, v->cats[j][c]);
                rep_buf_put(b, "</text>");
            }
            continue;
        }
        int lg = j < v->np && v->logscale[j];
        rep_buf_printf(b, "<text x=\"%.1f\" y=\"%d\">", xj, T - 8);
        rep_buf_num(b, "%.4g", lg ? pow(10, hi[j]) : hi[j]);
        rep_buf_printf(b, "</text><text x=\"%.1f\" y=\"%d\">", xj, B + 14);
        rep_buf_num(b, "%.4g", lg ? pow(10, lo[j]) : lo[j]);
        rep_buf_put(b, lg ? " (log)</text>" : "</text>");
    }
}

/* What the chart draws: how many lines, and how inactive parameters show. */
static void pc_note(rep_buf *b, const view *v, int n, int total)
{
    rep_buf_printf(b, "<p class=\"note\">One line per complete trial; colour by rank of the "
                   "objective (dark = best). %d of %d complete trials drawn", n, total);
    if (n < total)
        rep_buf_printf(b, " (the best %d and an even sample of the rest)", REP_MAX_LINES / 4);
    int any_cond = 0;
    char cond[160];
    for (int j = 0; j < v->np; j++)
        any_cond |= rep_param_condition(v, j, cond);
    if (any_cond)
        rep_buf_put(b, ". A line leaves out the axes of the conditional parameters inactive in "
                    "its trial");
    rep_buf_put(b, ".</p>");
}

void rep_section_parallel(rep_buf *b, const view *v)
{
    const rep_study *s = v->s;
    rep_section_open(b, "parallel", v->k, "Parallel coordinates", s);
    int *ix = NULL, n = complete_trials(v, &ix);
    double *lo = NULL, *hi = NULL;
    if (n < 0) {
        b->oom = 1;
        goto done;
    }
    if (n == 0 || v->np == 0) {
        rep_buf_put(b, "<p>No complete trials with parameters.</p>");
        goto done;
    }
    lo = malloc((size_t)n * sizeof *lo);
    if (!lo) {
        b->oom = 1;
        goto done;
    }
    for (int a = 0; a < n; a++)
        lo[a] = s->maximize ? -s->trials[ix[a]].value : s->trials[ix[a]].value;
    if (rep_sort_by_key(ix, lo, n) != 0) {
        b->oom = 1;
        goto done;
    }
    free(lo);
    lo = NULL;
    int total = n;
    n = sample_lines(ix, n);
    int na = v->np + 1;
    lo = malloc((size_t)na * sizeof *lo);
    hi = malloc((size_t)na * sizeof *hi);
    if (!lo || !hi) {
        b->oom = 1;
        goto done;
    }
    for (int j = 0; j < na; j++) {
        lo[j] = INFINITY;
        hi[j] = -INFINITY;
    }
    for (int a = 0; a < n; a++)
        for (int j = 0; j < na; j++) {
            double c = pc_coord(v, ix[a], j);
            if (isfinite(c)) {
                lo[j] = fmin(lo[j], c);
                hi[j] = fmax(hi[j], c);
            }
        }
    for (int j = 0; j < v->np; j++)
        if (v->categorical[j]) {
            lo[j] = 0;
            hi[j] = v->ncats[j] > 1 ? v->ncats[j] - 1 : 0; /* one value: mid-axis */
        }
    const int W = REP_CHART_W, H = 380, L = 50, R = W - 50, T = 40, B = H - 40;
    double dx = na > 1 ? (double)(R - L) / (na - 1) : 0;
    rep_buf_put(b, "<svg id=\"");
    rep_put_id(b, "pc", v->k);
    rep_buf_printf(b, "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                   "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"Parallel coordinates\" "
                   "font-family=\"sans-serif\" font-size=\"10\"><title>Parallel coordinates"
                   "</title><g fill=\"none\" stroke-width=\"1\" stroke-opacity=\"0.55\">",
                   W, H, W, H);
    pc_lines(b, v, ix, n, lo, hi, L, dx, T, B);
    pc_axes(b, v, lo, hi, L, dx, T, B);
    rep_buf_put(b, "</g></svg>");
    pc_note(b, v, n, total);
done:
    rep_buf_put(b, "</section>\n");
    free(ix);
    free(lo);
    free(hi);
}

void rep_section_intermediate(rep_buf *b, const view *v)
{
    const rep_study *s = v->s;
    rep_section_open(b, "intermediate", v->k, "Intermediate values per fold", s);
    int nt = s->n_trials, maxs = 0, nwith = 0;
    for (int i = 0; i < nt; i++)
        if (s->trials[i].n_steps > 0) {
            nwith++;
            if (s->trials[i].n_steps > maxs)
                maxs = s->trials[i].n_steps;
        }
    if (nwith == 0) {
        rep_buf_put(b, "<p>No trial reported intermediate values.</p></section>\n");
        return;
    }
    double *xs = malloc((size_t)maxs * sizeof *xs);
    if (!xs) {
        b->oom = 1;
        rep_buf_put(b, "</section>\n");
        return;
    }
    for (int f = 0; f < maxs; f++)
        xs[f] = f;
    int stride = nwith > REP_MAX_LINES ? (nwith + REP_MAX_LINES - 1) / REP_MAX_LINES : 1;
    rep_chart c;
    char id[32];
    rep_make_id(id, sizeof id, "inter", v->k);
    rep_chart_init(&c, b, id, 0, 0, REP_AXIS_LINEAR, REP_AXIS_LINEAR);
    c.x_integer = 1;
    for (int i = 0; i < nt; i++)
        if (s->trials[i].n_steps > 0 && s->trials[i].steps)
            rep_chart_fit(&c, xs, s->trials[i].steps, s->trials[i].n_steps);
    rep_chart_begin(&c, "Objective per fold (pruning steps)", "fold (step)",
                    s->metric ? s->metric : "value");
    /* Pruned last, so that they are drawn on top of the many complete ones. */
    const rep_state groups[3] = {REP_COMPLETE, REP_FAIL, REP_PRUNED};
    static const char *const gname[3] = {"complete", "failed / running", "pruned"};
    static const char *const gcol[3] = {COLOR_COMPLETE, COLOR_FAIL, COLOR_PRUNED};
    int drawn = 0;
    for (int g = 0; g < 3; g++) {
        rep_chart_series_begin(&c, gname[g], gcol[g], g == 2 ? 1.2 : 1.0, g == 0 ? 0.35 : 0.7);
        int seen = 0;
        for (int o = 0; o < nt; o++) {
            const rep_trial *t = &s->trials[v->order[o]];
            rep_state st = t->state == REP_RUNNING ? REP_FAIL : t->state;
            if (t->n_steps <= 0 || !t->steps || st != groups[g])
                continue;
            if (seen++ % stride)
                continue;
            char tip[48];
            snprintf(tip, sizeof tip, "#%d %s", t->number, rep_state_name(t->state));
            rep_chart_polyline(&c, xs, t->steps, t->n_steps, nwith > REP_MAX_LINES ? NULL : tip);
            drawn++;
        }
        rep_chart_series_end(&c);
    }
    /* A dot where each pruned trial stopped: a trial pruned after its first fold
     * has a one-point line, which would otherwise not show at all. */
    double *px = malloc(sizeof *px * (size_t)(nt > 0 ? nt : 1));
    double *py = malloc(sizeof *py * (size_t)(nt > 0 ? nt : 1));
    int npr = 0;
    for (int i = 0; px && py && i < nt; i++) {
        const rep_trial *t = &s->trials[i];
        if (t->state != REP_PRUNED || t->n_steps <= 0 || !t->steps)
            continue;
        int f = t->n_steps - 1;
        while (f > 0 && !isfinite(t->steps[f]))
            f--;
        px[npr] = f;
        py[npr++] = t->steps[f];
    }
    if (npr > 0)
        rep_chart_scatter(&c, px, py, npr, COLOR_PRUNED, 3.0, 0.9, NULL, NULL, "pruned here");
    free(px);
    free(py);
    rep_chart_legend(&c, gname, gcol, 3);
    rep_chart_end(&c);
    rep_buf_printf(b, "<p class=\"note\">%d of %d trials with per-fold values drawn", drawn, nwith);
    if (stride > 1)
        rep_buf_printf(b, " (every %d-th trial of each state)", stride);
    rep_buf_put(b, "; a pruned trial's line stops at the fold where it was stopped (dot).</p>");
    free(xs);
    rep_buf_put(b, "</section>\n");
}
