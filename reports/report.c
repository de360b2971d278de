/*
 * report.c - the HTML report writer (layout and rules in report.h). Each section
 * is one static function that appends to the page buffer; a per-study "view"
 * gathers what several sections share (parameter columns, trial order, best
 * trial, values used for plotting).
 */
#include "reports/report.h"
#include "reports/edge.h"

#include "base/stats.h"
#include "reports/feature_importance.h"
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

#define COLOR_COMPLETE "#0072B2"
#define COLOR_PRUNED "#E69F00"
#define COLOR_FAIL "#D55E00"
#define COLOR_BEST "#000000"

/* What the sections of one study share. */
typedef struct {
    const rep_study *s;
    int k;                 /* study index (section id suffix) */
    int np;                /* parameter columns */
    const char **keys;     /* borrowed from the first trial holding each key */
    int *categorical;      /* 1 when some trial has a non-numeric value */
    int *logscale;         /* from the spec's search.space.KEY.log */
    const char ***cats;    /* categorical: distinct texts in order of appearance */
    int *ncats;
    int *order;            /* trial indexes sorted by trial number */
    double *plotv;         /* value to plot per trial (pruned: value or last step) */
    int best;              /* trial index of the best trial, -1 none */
    cJSON *spec;           /* parsed spec or NULL */
} view;

static const char CSS[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;"
    "max-width:1180px;padding:0 16px 40px;color:#1b1b1b;background:#fff}"
    "h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;margin:28px 0 8px;"
    "border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:14px 0 6px}"
    "nav{font-size:13px;margin:6px 0 10px}nav a{margin-right:10px}"
    "table{border-collapse:collapse;font-size:13px;margin:6px 0}"
    "th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}table.sortable th{cursor:pointer}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".kv th{width:170px}.wrap{max-height:640px;overflow:auto;border:1px solid #eee}"
    ".grid{display:flex;flex-wrap:wrap;gap:8px}"
    "pre{background:#f7f7f7;padding:10px;overflow:auto;font-size:12px;max-height:520px}"
    ".st{font-weight:600}.sC .st,.st.C{color:#0072B2}.sP .st,.st.P{color:#B07000}"
    ".sF .st,.st.F{color:#D55E00}.sR .st,.st.R{color:#666}"
    ".note{color:#555;font-size:12px}.lg{cursor:pointer}svg.chart{max-width:100%;height:auto}"
    "input.filter{margin:4px 0;padding:3px 6px;width:320px}"
    ".layout{white-space:pre-wrap;font:12px/1.35 ui-monospace,monospace}";

static const char JS_ERRORS[] =
    "window.addEventListener('error',function(e){document.documentElement."
    "setAttribute('data-js-error',String(e.message));});";

static const char JS_MAIN[] =
    "(function(){function num(s){var v=parseFloat(s);return isNaN(v)?null:v;}\n"
    "document.querySelectorAll('table.sortable th').forEach(function(th){th.addEventListener("
    "'click',function(){var i=th.cellIndex,tb=th.closest('table').tBodies[0],r=Array.from(tb.rows),"
    "d=th.dataset.dir=th.dataset.dir==='a'?'d':'a';r.sort(function(x,y){var a=x.cells[i]?"
    "x.cells[i].textContent:'',b=y.cells[i]?y.cells[i].textContent:'',p=num(a),q=num(b),"
    "c=(p!==null&&q!==null)?p-q:(p!==null?-1:(q!==null?1:a.localeCompare(b)));return d==='a'?c:-c;});"
    "r.forEach(function(e){tb.appendChild(e);});});});\n"
    "document.querySelectorAll('input.filter').forEach(function(f){f.hidden=false;f.addEventListener("
    "'input',function(){var q=f.value.toLowerCase(),t=document.getElementById(f.dataset.table);"
    "Array.from(t.tBodies[0].rows).forEach(function(r){r.style.display=r.textContent.toLowerCase()"
    ".indexOf(q)<0?'none':'';});});});\n"
    "document.querySelectorAll('.lg').forEach(function(g){g.addEventListener('click',function(){"
    "var s=document.getElementById(g.dataset.t);if(s){var h=s.style.display==='none';"
    "s.style.display=h?'':'none';g.style.opacity=h?1:0.4;}});});\n"
    "document.documentElement.setAttribute('data-ready','1');})();";

/* ---- small formatting helpers ------------------------------------------------ */

static void fmt_time(double t, char out[40])
{
    if (!isfinite(t)) {
        snprintf(out, 40, "\xE2\x80\x93");
        return;
    }
    time_t tt = (time_t)floor(t);
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, 40, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(out, 40, "%.0f", t);
}

static void fmt_dur(double s, char out[40])
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

/* An element id: base for the first study, base-<k+1> after. */
static void put_id(rep_buf *b, const char *base, int k)
{
    if (k == 0)
        rep_buf_put(b, base);
    else
        rep_buf_printf(b, "%s-%d", base, k + 1);
}

static void make_id(char *out, size_t n, const char *base, int k)
{
    if (k == 0)
        snprintf(out, n, "%s", base);
    else
        snprintf(out, n, "%s-%d", base, k + 1);
}

static void section_open(rep_buf *b, const char *base, int k, const char *title,
                         const rep_study *s)
{
    rep_buf_put(b, "<section id=\"");
    put_id(b, base, k);
    rep_buf_printf(b, "\"><h2>%s", title);
    if (s) {
        rep_buf_put(b, " \xE2\x80\x94 ");
        rep_buf_esc(b, s->name);
    }
    rep_buf_put(b, "</h2>");
}

static int state_ok(rep_state st)
{
    return (unsigned)st < REP_N_STATES;
}

static char state_letter(rep_state st)
{
    static const char L[REP_N_STATES] = {[REP_RUNNING] = 'R', [REP_COMPLETE] = 'C',
                                         [REP_PRUNED] = 'P', [REP_FAIL] = 'F'};
    return state_ok(st) ? L[st] : 'R';
}

static const rep_param *trial_param(const rep_trial *t, const char *key)
{
    for (int i = 0; i < t->n_params; i++)
        if (t->params[i].key && strcmp(t->params[i].key, key) == 0)
            return &t->params[i];
    return NULL;
}

static int better(const rep_study *s, double a, double b)
{
    if (!isfinite(a))
        return 0;
    if (!isfinite(b))
        return 1;
    return s->maximize ? a > b : a < b;
}

/* ---- the per-study view ------------------------------------------------------ */

static void view_free(view *v)
{
    if (v->cats)
        for (int j = 0; j < v->np; j++)
            free(v->cats[j]);
    free(v->cats);
    free(v->ncats);
    free(v->keys);
    free(v->categorical);
    free(v->logscale);
    free(v->order);
    free(v->plotv);
    cJSON_Delete(v->spec);
    memset(v, 0, sizeof *v);
}

typedef struct {
    double key;
    int idx;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return (x->key > y->key) - (x->key < y->key);
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Reorders idx[0..n) by ascending keys[i] (the key of idx[i]; ties keep index
 * order). Returns 0, or -1 when out of memory (idx unchanged). */
static int sort_by_key(int *idx, const double *keys, int n)
{
    keyed *k = malloc((size_t)(n > 0 ? n : 1) * sizeof *k);
    if (!k)
        return -1;
    for (int i = 0; i < n; i++)
        k[i] = (keyed){keys[i], idx[i]};
    qsort(k, (size_t)n, sizeof *k, cmp_keyed);
    for (int i = 0; i < n; i++)
        idx[i] = k[i].idx;
    free(k);
    return 0;
}

static int view_build(view *v, const rep_study *s, int k, char err[256])
{
    memset(v, 0, sizeof *v);
    v->s = s;
    v->k = k;
    v->best = -1;
    int nt = s->n_trials, cap = 0;
    if (nt < 0 || (nt > 0 && !s->trials)) {
        snprintf(err, 256, "study '%s': bad trial array", s->name ? s->name : "?");
        return -1;
    }
    for (int i = 0; i < nt; i++)
        cap += s->trials[i].n_params > 0 ? s->trials[i].n_params : 0;
    if (cap > 256)
        cap = 256;
    size_t ncap = (size_t)(cap > 0 ? cap : 1);
    v->keys = calloc(ncap, sizeof *v->keys);
    v->categorical = calloc(ncap, sizeof *v->categorical);
    v->logscale = calloc(ncap, sizeof *v->logscale);
    v->cats = calloc(ncap, sizeof *v->cats);
    v->ncats = calloc(ncap, sizeof *v->ncats);
    v->order = malloc((size_t)(nt > 0 ? nt : 1) * sizeof *v->order);
    v->plotv = malloc((size_t)(nt > 0 ? nt : 1) * sizeof *v->plotv);
    if (!v->keys || !v->categorical || !v->logscale || !v->cats || !v->ncats || !v->order ||
        !v->plotv)
        goto oom;
    for (int i = 0; i < nt; i++) {
        const rep_trial *t = &s->trials[i];
        for (int p = 0; p < t->n_params; p++) {
            const rep_param *pa = &t->params[p];
            if (!pa->key)
                continue;
            int j = 0;
            while (j < v->np && strcmp(v->keys[j], pa->key) != 0)
                j++;
            if (j == v->np) {
                if (v->np == cap)
                    continue;
                v->keys[v->np++] = pa->key;
            }
            if (!isfinite(pa->num))
                v->categorical[j] = 1;
        }
    }
    /* The spec's type wins: a categorical of numbers (batch_size [32, 64]) is
     * drawn as categories, as Optuna does, not on a numeric axis. */
    v->spec = s->spec_json ? cJSON_Parse(s->spec_json) : NULL;
    cJSON *space = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(v->spec, "search"), "space");
    for (int j = 0; j < v->np; j++) {
        cJSON *ty = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(space, v->keys[j]), "type");
        if (cJSON_IsString(ty) && strcmp(ty->valuestring, "categorical") == 0)
            v->categorical[j] = 1;
    }
    /* Categories in order of appearance. */
    for (int j = 0; j < v->np; j++) {
        if (!v->categorical[j])
            continue;
        v->cats[j] = calloc((size_t)(nt > 0 ? nt : 1), sizeof **v->cats);
        if (!v->cats[j])
            goto oom;
        for (int i = 0; i < nt; i++) {
            const rep_param *pa = trial_param(&s->trials[i], v->keys[j]);
            const char *txt = pa && pa->text ? pa->text : "";
            if (!pa)
                continue;
            int c = 0;
            while (c < v->ncats[j] && strcmp(v->cats[j][c], txt) != 0)
                c++;
            if (c == v->ncats[j])
                v->cats[j][v->ncats[j]++] = txt;
        }
    }
    for (int j = 0; j < v->np; j++) {
        cJSON *lg = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(space, v->keys[j]), "log");
        v->logscale[j] = cJSON_IsTrue(lg) && !v->categorical[j];
    }
    for (int i = 0; i < nt; i++)
        v->order[i] = i;
    for (int i = 0; i < nt; i++)
        v->plotv[i] = s->trials[i].number; /* borrowed as sort keys, refilled below */
    if (sort_by_key(v->order, v->plotv, nt) != 0)
        goto oom;
    for (int i = 0; i < nt; i++) {
        const rep_trial *t = &s->trials[i];
        double pv = t->value;
        if (!isfinite(pv) && t->state == REP_PRUNED && t->steps)
            for (int f = t->n_steps - 1; f >= 0 && !isfinite(pv); f--)
                pv = t->steps[f];
        v->plotv[i] = t->state == REP_COMPLETE || t->state == REP_PRUNED ? pv : NAN;
    }
    if (s->result.best_trial >= 0)
        for (int i = 0; i < nt; i++)
            if (s->trials[i].number == s->result.best_trial)
                v->best = i;
    if (v->best < 0)
        for (int i = 0; i < nt; i++)
            if (s->trials[i].state == REP_COMPLETE &&
                (v->best < 0 || better(s, s->trials[i].value, s->trials[v->best].value)))
                v->best = i;
    return 0;
oom:
    snprintf(err, 256, "study '%s': out of memory", s->name ? s->name : "?");
    view_free(v);
    return -1;
}

/* Plot coordinate of trial i on parameter column j (category index, log10 handled
 * by the axis), NaN when missing. */
static double param_coord(const view *v, int i, int j)
{
    const rep_param *pa = trial_param(&v->s->trials[i], v->keys[j]);
    if (!pa)
        return NAN;
    if (!v->categorical[j])
        return pa->num;
    const char *txt = pa->text ? pa->text : "";
    for (int c = 0; c < v->ncats[j]; c++)
        if (strcmp(v->cats[j][c], txt) == 0)
            return c;
    return NAN;
}

/* ---- sections ---------------------------------------------------------------- */

static void kv_row(rep_buf *b, const char *key)
{
    rep_buf_printf(b, "<tr><th>%s</th><td>", key);
}

static void section_summary(rep_buf *b, const view *v)
{
    const rep_study *s = v->s;
    char t1[40], t2[40];
    section_open(b, "summary", v->k, "Summary", s);
    rep_buf_put(b, "<table class=\"kv\">");
    kv_row(b, "Study");
    rep_buf_esc(b, s->name);
    rep_buf_put(b, "</td></tr>");
    if (s->note) {
        kv_row(b, "Note");
        rep_buf_esc(b, s->note);
        rep_buf_put(b, "</td></tr>");
    }
    if (s->warm_start) {
        kv_row(b, "Warm start");
        rep_buf_esc(b, s->warm_start);
        rep_buf_put(b, "</td></tr>");
    }
    kv_row(b, "Spec name");
    cJSON *nm = cJSON_GetObjectItemCaseSensitive(v->spec, "name");
    rep_buf_esc(b, cJSON_IsString(nm) ? nm->valuestring : "\xE2\x80\x93");
    rep_buf_put(b, "</td></tr>");
    kv_row(b, "Objective");
    rep_buf_esc(b, s->metric ? s->metric : "value");
    rep_buf_printf(b, " (%s)</td></tr>", s->maximize ? "maximize" : "minimize");
    kv_row(b, "Data");
    rep_buf_esc(b, s->data_file ? s->data_file : "\xE2\x80\x93");
    fmt_time(s->data_start, t1);
    fmt_time(s->data_end, t2);
    rep_buf_printf(b, "<br>%s \xE2\x80\x93 %s</td></tr>", t1, t2);
    kv_row(b, "Fold layout");
    rep_buf_put(b, "<div class=\"layout\">");
    rep_buf_esc(b, s->fold_layout ? s->fold_layout : "");
    rep_buf_put(b, "</div>");
    if (s->n_folds > 0 && s->folds) {
        rep_buf_put(b, "<table><thead><tr><th>fold</th><th>train</th><th>test</th></tr></thead><tbody>");
        for (int f = 0; f < s->n_folds; f++) {
            char a[40], c[40], d[40], e[40];
            fmt_time(s->folds[f].train_start, a);
            fmt_time(s->folds[f].train_end, c);
            fmt_time(s->folds[f].test_start, d);
            fmt_time(s->folds[f].test_end, e);
            rep_buf_printf(b, "<tr><td class=\"n\">%d</td><td>%s \xE2\x80\x93 %s</td>"
                           "<td>%s \xE2\x80\x93 %s</td></tr>", f, a, c, d, e);
        }
        rep_buf_put(b, "</tbody></table>");
    }
    rep_buf_put(b, "</td></tr>");
    int count[REP_N_STATES] = {0};
    double sum = 0, dmin = INFINITY, dmax = 0;
    int nd = 0;
    for (int i = 0; i < s->n_trials; i++) {
        const rep_trial *t = &s->trials[i];
        count[state_ok(t->state) ? t->state : REP_RUNNING]++;
        double d = t->finished - t->started;
        if (isfinite(d) && d >= 0) {
            sum += d;
            nd++;
            dmin = fmin(dmin, d);
            dmax = fmax(dmax, d);
        }
    }
    kv_row(b, "Trials");
    rep_buf_printf(b, "%d: <span class=\"st C\">%d complete</span>, <span class=\"st P\">%d "
                   "pruned</span>, <span class=\"st F\">%d failed</span>, <span class=\"st R\">"
                   "%d running</span></td></tr>", s->n_trials, count[0], count[1], count[2],
                   count[3]);
    double total = s->finished - s->created;
    fmt_dur(isfinite(total) ? total : sum, t1);
    kv_row(b, "Time");
    rep_buf_printf(b, "%s wall clock", t1);
    fmt_dur(nd ? sum / nd : NAN, t1);
    fmt_dur(sum, t2);
    rep_buf_printf(b, "; per trial mean %s", t1);
    fmt_dur(nd ? dmin : NAN, t1);
    rep_buf_printf(b, ", min %s", t1);
    fmt_dur(nd ? dmax : NAN, t1);
    rep_buf_printf(b, ", max %s; %s of training in total</td></tr>", t1, t2);
    kv_row(b, "Workers");
    rep_buf_printf(b, "%d</td></tr>", s->workers);
    fmt_time(s->created, t1);
    fmt_time(s->finished, t2);
    kv_row(b, "Created / finished");
    rep_buf_printf(b, "%s / %s</td></tr></table></section>\n", t1, t2);
}

static void metric_row(rep_buf *b, const char *name, const char *fmt, double scale,
                       const rep_metrics *const m[4], size_t off)
{
    rep_buf_printf(b, "<tr><th>%s</th>", name);
    for (int c = 0; c < 4; c++) {
        double v = *(const double *)((const char *)m[c] + off);
        rep_buf_put(b, "<td class=\"n\">");
        rep_buf_num(b, fmt, v * scale);
        rep_buf_put(b, "</td>");
    }
    rep_buf_put(b, "</tr>");
}

/* A parameter's stored text, shortened to 6 significant digits when it is a long
 * number (0.0012264029030740026 -> 0.0012264); other text escaped as is. */
static void param_esc(rep_buf *b, const rep_param *pa)
{
    const char *txt = pa && pa->text ? pa->text : "";
    char *end = NULL;
    double x = strtod(txt, &end);
    if (*txt && end && *end == '\0' && isfinite(x) && strlen(txt) > 8)
        rep_buf_num(b, "%.6g", x);
    else
        rep_buf_esc(b, txt);
}

/* Price target (issue 17): the holdout forecast against the actual close, and
 * the forecast error (forecast - actual) over time. */
static void forecast_charts(rep_buf *b, const view *v)
{
    const rep_result *r = &v->s->result;
    if (r->n_fc < 2 || !r->fc_t || !r->fc_actual || !r->fc_pred)
        return;
    double *err = malloc(sizeof *err * (size_t)r->n_fc);
    if (!err)
        return;
    for (int i = 0; i < r->n_fc; i++)
        err[i] = r->fc_pred[i] - r->fc_actual[i];
    rep_chart c;
    char id[32];
    make_id(id, sizeof id, "forecast", v->k);
    rep_chart_init(&c, b, id, 0, 0, REP_AXIS_TIME, REP_AXIS_LINEAR);
    rep_chart_fit(&c, r->fc_t, r->fc_actual, r->n_fc);
    rep_chart_fit(&c, r->fc_t, r->fc_pred, r->n_fc);
    rep_chart_begin(&c, "Holdout forecast vs actual close", "time (UTC)", "price");
    rep_chart_line(&c, r->fc_t, r->fc_actual, r->n_fc, rep_palette(1), 1.5, 1, "actual");
    rep_chart_line(&c, r->fc_t, r->fc_pred, r->n_fc, rep_palette(5), 1.5, 1, "forecast");
    const char *names[2] = {"actual", "forecast"};
    const char *cols[2] = {rep_palette(1), rep_palette(5)};
    rep_chart_legend(&c, names, cols, 2);
    rep_chart_end(&c);
    make_id(id, sizeof id, "fcerror", v->k);
    rep_chart_init(&c, b, id, 0, 0, REP_AXIS_TIME, REP_AXIS_LINEAR);
    rep_chart_fit(&c, r->fc_t, err, r->n_fc);
    rep_chart_begin(&c, "Holdout forecast error over time", "time (UTC)",
                    "forecast - actual (price)");
    rep_chart_line(&c, r->fc_t, err, r->n_fc, rep_palette(3), 1.0, 1, "error");
    rep_chart_end(&c);
    free(err);
}

/* One line on what the holdout numbers rest on: span, samples, refit, objective. */
static void holdout_facts(rep_buf *b, const rep_study *s)
{
    const rep_result *r = &s->result;
    if (!isfinite(r->holdout_first) && r->n_holdout == 0 && r->refit_epochs == 0 &&
        !isfinite(r->holdout_objective))
        return;
    rep_buf_put(b, "<p class=\"note\">");
    if (isfinite(r->holdout_first) && isfinite(r->holdout_last)) {
        char a[40], c[40];
        fmt_time(r->holdout_first, a);
        fmt_time(r->holdout_last, c);
        rep_buf_printf(b, "Holdout %s \xE2\x80\x93 %s", a, c);
    } else {
        rep_buf_put(b, "Holdout");
    }
    if (r->n_holdout > 0)
        rep_buf_printf(b, ", %d samples", r->n_holdout);
    if (r->n_refit_train > 0)
        rep_buf_printf(b, "; best params refit on %d training + %d validation samples",
                       r->n_refit_train, r->n_refit_val);
    if (r->refit_epochs > 0)
        rep_buf_printf(b, " (%d epochs)", r->refit_epochs);
    if (isfinite(r->holdout_objective)) {
        rep_buf_put(b, "; ");
        rep_buf_esc(b, s->metric ? s->metric : "objective");
        rep_buf_put(b, " on the holdout ");
        rep_buf_num(b, "%.6g", r->holdout_objective);
    }
    rep_buf_put(b, ".</p>");
}

static void params_table(rep_buf *b, const rep_trial *t)
{
    rep_buf_put(b, "<table><thead><tr><th>parameter</th><th>value</th></tr></thead><tbody>");
    for (int p = 0; p < t->n_params; p++) {
        rep_buf_put(b, "<tr><td>");
        rep_buf_esc(b, t->params[p].key);
        rep_buf_put(b, "</td><td class=\"n\" title=\"");
        rep_buf_esc(b, t->params[p].text);
        rep_buf_put(b, "\">");
        param_esc(b, &t->params[p]);
        rep_buf_put(b, "</td></tr>");
    }
    rep_buf_put(b, "</tbody></table>");
}

static void section_best(rep_buf *b, const view *v)
{
    const rep_study *s = v->s;
    const rep_result *r = &s->result;
    section_open(b, "best", v->k, "Best trial", s);
    if (v->best < 0) {
        rep_buf_put(b, "<p>No trial has completed yet.</p></section>\n");
        return;
    }
    const rep_trial *t = &s->trials[v->best];
    rep_buf_printf(b, "<p>Trial #%d, ", t->number);
    rep_buf_esc(b, s->metric ? s->metric : "value");
    rep_buf_put(b, " = ");
    rep_buf_num(b, "%.6g", t->value);
    rep_buf_put(b, "</p><div class=\"grid\"><div><h3>Parameters</h3>");
    params_table(b, t);
    rep_buf_put(b, "</div><div><h3>Per fold</h3><table><thead><tr><th>fold</th><th>value</th>"
                "</tr></thead><tbody>");
    const double *fv = r->has_result && r->n_fold_values > 0 ? r->fold_values : t->steps;
    int nf = r->has_result && r->n_fold_values > 0 ? r->n_fold_values : t->n_steps;
    if (!fv)
        nf = 0;
    for (int f = 0; f < nf; f++) {
        rep_buf_printf(b, "<tr><td class=\"n\">%d</td><td class=\"n\">", f);
        rep_buf_num(b, "%.6g", fv[f]);
        rep_buf_put(b, "</td></tr>");
    }
    rep_buf_put(b, "</tbody></table></div>");
    if (!r->has_result) {
        rep_buf_put(b, "</div><p>No holdout evaluation stored for this study.</p></section>\n");
        return;
    }
    rep_buf_put(b, "<div><h3>Holdout</h3><table><thead><tr><th>metric</th><th>model</th>"
                "<th>buy &amp; hold</th><th>majority</th><th>logistic reg.</th></tr></thead><tbody>");
    const rep_metrics *m[4] = {&r->holdout, &r->buy_hold, &r->majority, &r->logreg};
    metric_row(b, "Sharpe", "%.3f", 1, m, offsetof(rep_metrics, sharpe));
    metric_row(b, "Sortino", "%.3f", 1, m, offsetof(rep_metrics, sortino));
    metric_row(b, "Total return", "%.2f%%", 100, m, offsetof(rep_metrics, total_return));
    metric_row(b, "Max drawdown", "%.2f%%", 100, m, offsetof(rep_metrics, max_drawdown));
    metric_row(b, "Win rate", "%.3f", 1, m, offsetof(rep_metrics, win_rate));
    metric_row(b, "Trades", "%.0f", 1, m, offsetof(rep_metrics, trades));
    metric_row(b, "Exposure", "%.3f", 1, m, offsetof(rep_metrics, exposure));
    metric_row(b, "Accuracy", "%.4f", 1, m, offsetof(rep_metrics, accuracy));
    metric_row(b, "AUC", "%.4f", 1, m, offsetof(rep_metrics, auc));
    metric_row(b, "Log loss", "%.4f", 1, m, offsetof(rep_metrics, log_loss));
    rep_buf_put(b, "</tbody></table><p>Deflated Sharpe Ratio: <b>");
    rep_buf_num(b, isfinite(r->dsr) && r->dsr != 0 && fabs(r->dsr) < 1e-3 ? "%.2g" : "%.3f",
                r->dsr);
    rep_buf_printf(b, "</b> <span class=\"note\">(probability that the holdout Sharpe is "
                   "above zero after correcting for the %d evaluated trials: complete, pruned and "
                   "failed after a fold)</span></p>",
                   r->dsr_trials > 0 ? r->dsr_trials : s->n_trials);
    holdout_facts(b, s);
    rep_buf_put(b, "</div></div>");
    if (r->n_curve > 1 && r->curve_t && r->curve_model && r->curve_bh) {
        rep_chart c;
        char id[32];
        make_id(id, sizeof id, "equity", v->k);
        rep_chart_init(&c, b, id, 0, 0, REP_AXIS_TIME, REP_AXIS_LINEAR);
        rep_chart_fit(&c, r->curve_t, r->curve_model, r->n_curve);
        rep_chart_fit(&c, r->curve_t, r->curve_bh, r->n_curve);
        rep_chart_begin(&c, "Holdout equity: model vs buy & hold", "time (UTC)",
                        "equity (start = 1)");
        rep_chart_line(&c, r->curve_t, r->curve_bh, r->n_curve, rep_palette(1), 1.5, 1,
                       "buy & hold");
        rep_chart_line(&c, r->curve_t, r->curve_model, r->n_curve, rep_palette(5), 1.5, 1,
                       "model");
        const char *names[2] = {"buy & hold", "model"};
        const char *cols[2] = {rep_palette(1), rep_palette(5)};
        rep_chart_legend(&c, names, cols, 2);
        rep_chart_end(&c);
    }
    forecast_charts(b, v);
    rep_buf_put(b, "</section>\n");
}

typedef struct {
    const view *v;
    const int *idx;   /* point i → trial index */
} tip_ctx;

/* Tooltip of one trial: number, state, value, params. */
static void trial_tip(void *ctx, int i, rep_buf *b)
{
    const tip_ctx *tc = ctx;
    const rep_trial *t = &tc->v->s->trials[tc->idx[i]];
    rep_buf_printf(b, "#%d %s ", t->number, rep_state_name(t->state));
    rep_buf_num(b, "%.6g", tc->v->plotv[tc->idx[i]]);
    for (int p = 0; p < t->n_params; p++) {
        rep_buf_put(b, p ? ", " : "\n");
        rep_buf_esc(b, t->params[p].key);
        rep_buf_put(b, "=");
        param_esc(b, &t->params[p]);
    }
}

/* Sets the chart's y bounds from the finite values, cutting only the bad side
 * (the top when minimising, the bottom when maximising) when a few diverged
 * trials would otherwise squash the rest: the bound stops at the 98th
 * percentile plus 20% of the 2nd-98th range when the full range is more than
 * 4 times that. Returns how many values fall off the chart. */
static int robust_y(rep_chart *c, const double *y, int n, int maximize)
{
    double *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    int m = 0, off = 0;
    if (!v) {
        rep_chart_fit(c, NULL, y, n);
        return 0;
    }
    for (int i = 0; i < n; i++)
        if (isfinite(y[i]))
            v[m++] = y[i];
    if (m == 0) {
        free(v);
        return 0;
    }
    base_sort(v, (size_t)m);
    double lo = v[0], hi = v[m - 1];
    double q02 = v[(size_t)((m - 1) * 0.02)], q98 = v[(size_t)((m - 1) * 0.98)];
    double r = q98 - q02;
    if (m >= 20 && r > 0 && hi - lo > 4 * r) {
        if (!maximize && hi > q98 + 0.2 * r) {
            hi = q98 + 0.2 * r;
            for (int i = 0; i < m; i++)
                off += v[i] > hi;
        } else if (maximize && lo < q02 - 0.2 * r) {
            lo = q02 - 0.2 * r;
            for (int i = 0; i < m; i++)
                off += v[i] < lo;
        }
    }
    c->ymin = fmin(c->ymin, lo);
    c->ymax = fmax(c->ymax, hi);
    free(v);
    return off;
}

static void section_history(rep_buf *b, const view *v)
{
    const rep_study *s = v->s;
    int nt = s->n_trials;
    size_t sz = (size_t)(nt > 0 ? nt : 1);
    double *x[3], *y[3], *bx = malloc(sz * sizeof(double)), *by = malloc(sz * sizeof(double));
    int *idx[3], cnt[3] = {0, 0, 0};
    for (int g = 0; g < 3; g++) {
        x[g] = malloc(sz * sizeof(double));
        y[g] = malloc(sz * sizeof(double));
        idx[g] = malloc(sz * sizeof(int));
    }
    section_open(b, "history", v->k, "Optimisation history", s);
    int ok = bx && by;
    for (int g = 0; g < 3; g++)
        ok = ok && x[g] && y[g] && idx[g];
    if (!ok) {
        b->oom = 1;
        goto done;
    }
    double best = NAN;
    int nb = 0;
    for (int o = 0; o < nt; o++) {
        int i = v->order[o];
        const rep_trial *t = &s->trials[i];
        int g = t->state == REP_COMPLETE ? 0 : t->state == REP_PRUNED ? 1 : 2;
        if (g < 2 && !isfinite(v->plotv[i]))
            g = 2;
        if (t->state == REP_RUNNING)
            continue;
        x[g][cnt[g]] = t->number;
        y[g][cnt[g]] = v->plotv[i];
        idx[g][cnt[g]++] = i;
        if (t->state == REP_COMPLETE && better(s, t->value, best))
            best = t->value;
        bx[nb] = t->number;
        by[nb++] = best;
    }
    rep_chart c;
    char id[32];
    make_id(id, sizeof id, "hist", v->k);
    rep_chart_init(&c, b, id, 0, 0, REP_AXIS_LINEAR, REP_AXIS_LINEAR);
    c.x_integer = 1;
    for (int g = 0; g < 3; g++)
        rep_chart_fit(&c, x[g], NULL, cnt[g]);
    /* Complete and pruned values together decide the y range. */
    double *yy = malloc((size_t)(cnt[0] + cnt[1] + 1) * sizeof *yy);
    int off = 0;
    if (yy) {
        memcpy(yy, y[0], (size_t)cnt[0] * sizeof *yy);
        memcpy(yy + cnt[0], y[1], (size_t)cnt[1] * sizeof *yy);
        off = robust_y(&c, yy, cnt[0] + cnt[1], s->maximize);
        free(yy);
    }
    rep_chart_begin(&c, "Objective per trial", "trial number", s->metric ? s->metric : "value");
    tip_ctx tc0 = {v, idx[0]}, tc1 = {v, idx[1]};
    double r = nt > 2000 ? 1.6 : 2.8;
    rep_chart_scatter(&c, x[0], y[0], cnt[0], COLOR_COMPLETE, r, 0.6, trial_tip, &tc0,
                      "complete");
    rep_chart_scatter(&c, x[1], y[1], cnt[1], COLOR_PRUNED, r, 0.7, trial_tip, &tc1,
                      "pruned (last fold value)");
    rep_chart_rug(&c, x[2], cnt[2], COLOR_FAIL, "failed");
    rep_chart_step(&c, bx, by, nb, COLOR_BEST, 1.8, "best so far");
    const char *names[4] = {"complete", "pruned", "failed (marks at the bottom)", "best so far"};
    const char *cols[4] = {COLOR_COMPLETE, COLOR_PRUNED, COLOR_FAIL, COLOR_BEST};
    rep_chart_legend(&c, names, cols, 4);
    rep_chart_end(&c);
    if (off > 0)
        rep_buf_printf(b, "<p class=\"note\">%d trial value%s far beyond the rest (diverged "
                       "trials) lie off the chart; the trials table lists them.</p>", off,
                       off == 1 ? "" : "s");
    if (nt > REP_SCATTER_DETAIL)
        rep_buf_printf(b, "<p class=\"note\">%d trials: dots are drawn without tooltips and "
                       "coinciding dots are merged; see the trials table for every value.</p>", nt);
done:
    rep_buf_put(b, "</section>\n");
    for (int g = 0; g < 3; g++) {
        free(x[g]);
        free(y[g]);
        free(idx[g]);
    }
    free(bx);
    free(by);
}

/* Indexes of complete trials with a finite value; returns the count (caller frees *out). */
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

static void section_importance(rep_buf *b, const view *v)
{
    section_open(b, "importance", v->k, "Parameter importance", v->s);
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
    int m = 0;
    for (int a = 0; a < n; a++) {
        int row_ok = 1;
        for (int j = 0; j < p && row_ok; j++) {
            double c = param_coord(v, ix[a], j);
            if (v->logscale[j])
                c = c > 0 ? log10(c) : NAN;
            row_ok = isfinite(c);
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
        if (!neg || sort_by_key(order, neg, p) != 0)
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
            make_id(id, sizeof id, "imp", v->k);
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

static void section_slices(rep_buf *b, const view *v)
{
    section_open(b, "slices", v->k, "Slices", v->s);
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
            double c = param_coord(v, ix[a], j);
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
        robust_y(&c, y, m, v->s->maximize);
        rep_chart_begin(&c, v->keys[j], v->keys[j], v->s->metric ? v->s->metric : "value");
        tip_ctx tc = {v, tix};
        rep_chart_scatter(&c, x, y, m, COLOR_COMPLETE, m > 2000 ? 1.5 : 2.5, 0.5, trial_tip, &tc,
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

static void section_parallel(rep_buf *b, const view *v)
{
    const rep_study *s = v->s;
    section_open(b, "parallel", v->k, "Parallel coordinates", s);
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
    if (sort_by_key(ix, lo, n) != 0) {
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
            double c = j < v->np ? param_coord(v, ix[a], j) : s->trials[ix[a]].value;
            if (j < v->np && v->logscale[j])
                c = c > 0 ? log10(c) : NAN;
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
    put_id(b, "pc", v->k);
    rep_buf_printf(b, "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                   "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"Parallel coordinates\" "
                   "font-family=\"sans-serif\" font-size=\"10\"><title>Parallel coordinates"
                   "</title><g fill=\"none\" stroke-width=\"1\" stroke-opacity=\"0.55\">",
                   W, H, W, H);
    /* Worst first so that the best lines are drawn on top. */
    for (int a = n - 1; a >= 0; a--) {
        const rep_trial *t = &s->trials[ix[a]];
        char col[8];
        rep_color_scale(n > 1 ? (double)a / (n - 1) : 0, col);
        rep_buf_printf(b, "<path stroke=\"%s\" d=\"", col);
        int pen = 0;
        for (int j = 0; j < na; j++) {
            double c = j < v->np ? param_coord(v, ix[a], j) : t->value;
            if (j < v->np && v->logscale[j])
                c = c > 0 ? log10(c) : NAN;
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
    rep_buf_put(b, "</g></svg>");
    rep_buf_printf(b, "<p class=\"note\">One line per complete trial; colour by rank of the "
                   "objective (dark = best). %d of %d complete trials drawn", n, total);
    if (n < total)
        rep_buf_printf(b, " (the best %d and an even sample of the rest)", REP_MAX_LINES / 4);
    rep_buf_put(b, ".</p>");
done:
    rep_buf_put(b, "</section>\n");
    free(ix);
    free(lo);
    free(hi);
}

static void section_intermediate(rep_buf *b, const view *v)
{
    const rep_study *s = v->s;
    section_open(b, "intermediate", v->k, "Intermediate values per fold", s);
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
    make_id(id, sizeof id, "inter", v->k);
    rep_chart_init(&c, b, id, 0, 0, REP_AXIS_LINEAR, REP_AXIS_LINEAR);
    c.x_integer = 1;
    for (int i = 0; i < nt; i++)
        if (s->trials[i].n_steps > 0 && s->trials[i].steps)
            rep_chart_fit(&c, xs, s->trials[i].steps, s->trials[i].n_steps);
    rep_chart_begin(&c, "Objective per fold (pruning steps)", "fold (step)",
                    s->metric ? s->metric : "value");
    /* Pruned last, so that they are drawn on top of the many complete ones. */
    static const rep_state groups[3] = {REP_COMPLETE, REP_FAIL, REP_PRUNED};
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

static void section_trials(rep_buf *b, const view *v)
{
    const rep_study *s = v->s;
    section_open(b, "trials", v->k, "All trials", s);
    char tid[32];
    make_id(tid, sizeof tid, "trials-table", v->k);
    rep_buf_printf(b, "<input class=\"filter\" hidden data-table=\"%s\" placeholder=\"filter rows "
                   "(any text)\" aria-label=\"filter rows\"><div class=\"wrap\"><table "
                   "class=\"sortable\" id=\"%s\"><thead><tr><th class=\"n\">#</th><th>state</th>"
                   "<th class=\"n\">", tid, tid);
    rep_buf_esc(b, s->metric ? s->metric : "value");
    rep_buf_put(b, "</th>");
    for (int j = 0; j < v->np; j++) {
        rep_buf_put(b, "<th class=\"n\">");
        rep_buf_esc(b, v->keys[j]);
        rep_buf_put(b, "</th>");
    }
    rep_buf_put(b, "<th class=\"n\">seconds</th><th>worker</th><th>started (UTC)</th><th>tags</th>"
                "<th>error</th></tr></thead><tbody>\n");
    for (int o = 0; o < s->n_trials; o++) {
        const rep_trial *t = &s->trials[v->order[o]];
        rep_buf_printf(b, "<tr class=s%c><td>%d<td class=st>%s<td>", state_letter(t->state),
                       t->number, rep_state_name(t->state));
        rep_buf_num(b, "%.6g", t->value);
        for (int j = 0; j < v->np; j++) {
            const rep_param *pa = trial_param(t, v->keys[j]);
            if (pa) {
                rep_buf_put(b, "<td title=\"");
                rep_buf_esc(b, pa->text);
                rep_buf_put(b, "\">");
                param_esc(b, pa);
            } else {
                rep_buf_put(b, "<td>");
            }
        }
        rep_buf_put(b, "<td>");
        rep_buf_num(b, "%.1f", t->finished - t->started);
        rep_buf_put(b, "<td>");
        rep_buf_esc(b, t->worker);
        char ts[40];
        fmt_time(t->started, ts);
        rep_buf_printf(b, "<td>%.19s<td>", ts);
        for (int g = 0; g < t->n_tags; g++) {
            if (g)
                rep_buf_put(b, "; ");
            rep_buf_esc(b, t->tags[g].key);
            rep_buf_put(b, "=");
            rep_buf_esc(b, t->tags[g].value);
        }
        rep_buf_put(b, "<td>");
        rep_buf_esc(b, t->error);
        rep_buf_put(b, "\n");
    }
    rep_buf_put(b, "</tbody></table></div><p class=\"note\">Click a header to sort; the filter "
                "box needs JavaScript.</p></section>\n");
}

static void section_spec(rep_buf *b, const view *v)
{
    section_open(b, "spec", v->k, "Spec", v->s);
    char *pretty = v->spec ? cJSON_Print(v->spec) : NULL;
    if (!v->spec && v->s->spec_json)
        rep_buf_put(b, "<p class=\"note\">The stored spec is not valid JSON; shown as stored.</p>");
    rep_buf_put(b, "<pre>");
    rep_buf_esc(b, pretty ? pretty : v->s->spec_json ? v->s->spec_json : "(no spec stored)");
    rep_buf_put(b, "</pre></section>\n");
    cJSON_free(pretty);
}

/* ---- comparison of several studies ------------------------------------------ */

typedef struct {
    char *path;
    char *val;
} flat_kv;

typedef struct {
    flat_kv *kv;
    int n, cap, oom;
} flat_list;

/* Flattens JSON into (path, compact value) pairs; arrays and scalars are leaves. */
static void flatten(cJSON *node, const char *prefix, flat_list *out)
{
    if (cJSON_IsObject(node) && node->child) {
        for (cJSON *c = node->child; c; c = c->next) {
            size_t n = strlen(prefix) + strlen(c->string ? c->string : "") + 2;
            char *p = malloc(n);
            if (!p) {
                out->oom = 1;
                return;
            }
            snprintf(p, n, "%s%s%s", prefix, *prefix ? "." : "", c->string ? c->string : "");
            flatten(c, p, out);
            free(p);
        }
        return;
    }
    if (out->n == out->cap) {
        int cap = out->cap ? out->cap * 2 : 32;
        flat_kv *kv = realloc(out->kv, (size_t)cap * sizeof *kv);
        if (!kv) {
            out->oom = 1;
            return;
        }
        out->kv = kv;
        out->cap = cap;
    }
    size_t pl = strlen(prefix) + 1;
    char *path = malloc(pl), *val = cJSON_PrintUnformatted(node);
    if (!path || !val) {
        free(path);
        cJSON_free(val);
        out->oom = 1;
        return;
    }
    memcpy(path, prefix, pl);
    out->kv[out->n].path = path;
    out->kv[out->n++].val = val;
}

static int cmp_kv(const void *a, const void *b)
{
    return strcmp(((const flat_kv *)a)->path, ((const flat_kv *)b)->path);
}

static void flat_free(flat_list *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->kv[i].path);
        cJSON_free(l->kv[i].val);
    }
    free(l->kv);
    memset(l, 0, sizeof *l);
}

static const char *flat_get(const flat_list *l, const char *path)
{
    flat_kv key = {(char *)path, NULL};
    const flat_kv *f = bsearch(&key, l->kv, (size_t)l->n, sizeof *l->kv, cmp_kv);
    return f ? f->val : NULL;
}

static void compare_diff(rep_buf *b, const view *vs, int n)
{
    flat_list *fl = calloc((size_t)n, sizeof *fl);
    flat_list all = {0};
    if (!fl) {
        b->oom = 1;
        return;
    }
    for (int k = 0; k < n; k++) {
        if (vs[k].spec)
            flatten(vs[k].spec, "", &fl[k]);
        qsort(fl[k].kv, (size_t)fl[k].n, sizeof *fl[k].kv, cmp_kv);
        for (int i = 0; i < fl[k].n && !all.oom; i++) {
            if (all.n == all.cap) {
                int cap = all.cap ? all.cap * 2 : 64;
                flat_kv *kv = realloc(all.kv, (size_t)cap * sizeof *kv);
                if (!kv) {
                    all.oom = 1;
                    break;
                }
                all.kv = kv;
                all.cap = cap;
            }
            all.kv[all.n].path = fl[k].kv[i].path;  /* borrowed */
            all.kv[all.n++].val = NULL;
        }
    }
    qsort(all.kv, (size_t)all.n, sizeof *all.kv, cmp_kv);
    rep_buf_put(b, "<h3>What differs between the specs</h3><table><thead><tr><th>path</th>");
    for (int k = 0; k < n; k++) {
        rep_buf_put(b, "<th>");
        rep_buf_esc(b, vs[k].s->name);
        rep_buf_put(b, "</th>");
    }
    rep_buf_put(b, "</tr></thead><tbody>");
    int rows = 0;
    for (int i = 0; i < all.n; i++) {
        if (i > 0 && strcmp(all.kv[i].path, all.kv[i - 1].path) == 0)
            continue;
        const char *first = flat_get(&fl[0], all.kv[i].path);
        int differs = 0;
        for (int k = 1; k < n && !differs; k++) {
            const char *o = flat_get(&fl[k], all.kv[i].path);
            differs = !first || !o || strcmp(first, o) != 0;
        }
        if (!differs)
            continue;
        rows++;
        rep_buf_put(b, "<tr><td>");
        rep_buf_esc(b, all.kv[i].path);
        rep_buf_put(b, "</td>");
        for (int k = 0; k < n; k++) {
            const char *o = flat_get(&fl[k], all.kv[i].path);
            rep_buf_put(b, "<td>");
            rep_buf_esc(b, o ? o : "(absent)");
            rep_buf_put(b, "</td>");
        }
        rep_buf_put(b, "</tr>");
    }
    if (rows == 0)
        rep_buf_printf(b, "<tr><td colspan=\"%d\">The specs are identical.</td></tr>", n + 1);
    rep_buf_put(b, "</tbody></table>");
    if (all.oom)
        b->oom = 1;
    free(all.kv);
    for (int k = 0; k < n; k++) {
        if (fl[k].oom)
            b->oom = 1;
        flat_free(&fl[k]);
    }
    free(fl);
}

/* Palette order for studies: skip yellow (low contrast on white) and black (best line). */
static const int STUDY_COLORS[7] = {5, 1, 3, 6, 7, 2, 0};

static void section_compare(rep_buf *b, const view *vs, int n)
{
    rep_buf_put(b, "<section id=\"compare\"><h2>Comparison of studies</h2><table class=\"sortable\">"
                "<thead><tr><th>study</th><th>objective</th><th class=\"n\">best value</th>"
                "<th>best params</th><th class=\"n\">holdout Sharpe</th><th class=\"n\">B&amp;H "
                "Sharpe</th><th class=\"n\">total return</th><th class=\"n\">max drawdown</th>"
                "<th class=\"n\">accuracy</th><th class=\"n\">AUC</th><th class=\"n\">DSR</th>"
                "<th class=\"n\">trials</th><th class=\"n\">complete</th><th>time</th></tr>"
                "</thead><tbody>");
    for (int k = 0; k < n; k++) {
        const view *v = &vs[k];
        const rep_study *s = v->s;
        const rep_result *r = &s->result;
        rep_buf_put(b, "<tr><td><a href=\"#");
        put_id(b, "summary", k);
        rep_buf_put(b, "\">");
        rep_buf_esc(b, s->name);
        rep_buf_put(b, "</a></td><td>");
        rep_buf_esc(b, s->metric ? s->metric : "value");
        rep_buf_printf(b, " (%s)</td><td class=\"n\">", s->maximize ? "max" : "min");
        rep_buf_num(b, "%.6g", v->best >= 0 ? s->trials[v->best].value : NAN);
        rep_buf_put(b, "</td><td>");
        if (v->best >= 0) {
            const rep_trial *t = &s->trials[v->best];
            for (int p = 0; p < t->n_params; p++) {
                if (p)
                    rep_buf_put(b, ", ");
                rep_buf_esc(b, t->params[p].key);
                rep_buf_put(b, "=");
                param_esc(b, &t->params[p]);
            }
        }
        double nan = NAN;
        const double vals[7] = {r->has_result ? r->holdout.sharpe : nan,
                                r->has_result ? r->buy_hold.sharpe : nan,
                                r->has_result ? 100 * r->holdout.total_return : nan,
                                r->has_result ? 100 * r->holdout.max_drawdown : nan,
                                r->has_result ? r->holdout.accuracy : nan,
                                r->has_result ? r->holdout.auc : nan,
                                r->has_result ? r->dsr : nan};
        static const char *const fmts[7] = {"%.3f", "%.3f", "%.2f%%", "%.2f%%", "%.4f", "%.4f",
                                            "%.3f"};
        rep_buf_put(b, "</td>");
        for (int m = 0; m < 7; m++) {
            rep_buf_put(b, "<td class=\"n\">");
            rep_buf_num(b, fmts[m], vals[m]);
            rep_buf_put(b, "</td>");
        }
        int nc = 0;
        for (int i = 0; i < s->n_trials; i++)
            nc += s->trials[i].state == REP_COMPLETE;
        char d[40];
        fmt_dur(s->finished - s->created, d);
        rep_buf_printf(b, "<td class=\"n\">%d</td><td class=\"n\">%d</td><td>%s</td></tr>",
                       s->n_trials, nc, d);
    }
    rep_buf_put(b, "</tbody></table>");
    /* Overlaid best-so-far histories. */
    rep_chart c;
    rep_chart_init(&c, b, "compare-hist", 0, 0, REP_AXIS_LINEAR, REP_AXIS_LINEAR);
    c.x_integer = 1;
    double **bx = calloc((size_t)n, sizeof *bx), **by = calloc((size_t)n, sizeof *by);
    int *nb = calloc((size_t)n, sizeof *nb);
    const char **names = calloc((size_t)n, sizeof *names), **cols = calloc((size_t)n, sizeof *cols);
    if (!bx || !by || !nb || !names || !cols) {
        b->oom = 1;
        goto done;
    }
    for (int k = 0; k < n; k++) {
        const rep_study *s = vs[k].s;
        size_t sz = (size_t)(s->n_trials > 0 ? s->n_trials : 1);
        bx[k] = malloc(sz * sizeof(double));
        by[k] = malloc(sz * sizeof(double));
        if (!bx[k] || !by[k]) {
            b->oom = 1;
            goto done;
        }
        double best = NAN;
        for (int o = 0; o < s->n_trials; o++) {
            const rep_trial *t = &s->trials[vs[k].order[o]];
            if (t->state == REP_COMPLETE && better(s, t->value, best))
                best = t->value;
            bx[k][nb[k]] = t->number;
            by[k][nb[k]++] = best;
        }
        rep_chart_fit(&c, bx[k], by[k], nb[k]);
        names[k] = s->name ? s->name : "?";
        cols[k] = rep_palette(STUDY_COLORS[k % 7]);
    }
    rep_chart_begin(&c, "Best so far, all studies", "trial number", "best objective so far");
    for (int k = 0; k < n; k++)
        rep_chart_step(&c, bx[k], by[k], nb[k], cols[k], 2, names[k]);
    rep_chart_legend(&c, names, cols, n);
    rep_chart_end(&c);
    compare_diff(b, vs, n);
done:
    rep_buf_put(b, "</section>\n");
    for (int k = 0; k < n && bx && by; k++) {
        free(bx[k]);
        free(by[k]);
    }
    free(bx);
    free(by);
    free(nb);
    free(names);
    free(cols);
}

/* ---- the page ------------------------------------------------------------------ */

int rep_render_body(const rep_study *studies, int n, int flags, rep_buf *out, char err[256])
{
    view *vs = NULL;
    int built = 0;
    if (!studies || n < 1 || !out) {
        snprintf(err, 256, "report: need at least one study (got %d)", n);
        return -1;
    }
    vs = calloc((size_t)n, sizeof *vs);
    if (!vs) {
        snprintf(err, 256, "report: out of memory");
        return -1;
    }
    for (; built < n; built++)
        if (view_build(&vs[built], &studies[built], built, err) != 0)
            goto fail;
    if (n > 1)
        section_compare(out, vs, n);
    for (int k = 0; k < n; k++) {
        rep_edge_section(out, studies[k].edge, studies[k].name, k);   /* opens with the verdict */
        section_summary(out, &vs[k]);
        section_best(out, &vs[k]);
        section_history(out, &vs[k]);
        section_importance(out, &vs[k]);
        rep_feature_importance_section(out, studies[k].edge, studies[k].name, k);
        section_slices(out, &vs[k]);
        section_parallel(out, &vs[k]);
        section_intermediate(out, &vs[k]);
        if (!(flags & REP_BODY_NO_TRIALS))
            section_trials(out, &vs[k]);
        section_spec(out, &vs[k]);
    }
    if (out->oom) {
        snprintf(err, 256, "report: out of memory while rendering");
        goto fail;
    }
    for (int k = 0; k < n; k++)
        view_free(&vs[k]);
    free(vs);
    return 0;
fail:
    for (int k = 0; k < built; k++)
        view_free(&vs[k]);
    free(vs);
    return -1;
}

const char *rep_report_css(void)
{
    return CSS;
}

const char *rep_report_js(void)
{
    return JS_MAIN;
}

int rep_render_html(const rep_study *studies, int n, rep_buf *out, char err[256])
{
    if (!studies || n < 1 || !out) {
        snprintf(err, 256, "report: need at least one study (got %d)", n);
        return -1;
    }
    rep_buf_put(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                "<meta name=\"generator\" content=\"seqtune " SEQTUNE_VERSION "\"><title>seqtune report: ");
    for (int k = 0; k < n; k++) {
        if (k)
            rep_buf_put(out, ", ");
        rep_buf_esc(out, studies[k].name);
    }
    rep_buf_printf(out, "</title><style>%s</style><script>%s</script></head><body><header>"
                   "<h1>seqtune report</h1><nav>", CSS, JS_ERRORS);
    if (n > 1)
        rep_buf_put(out, "<a href=\"#compare\">compare</a>");
    static const char *const secs[9] = {"summary", "best", "history", "importance", "slices",
                                        "parallel", "intermediate", "trials", "spec"};
    for (int k = 0; k < n; k++) {
        if (n > 1) {
            rep_buf_put(out, "<br><b>");
            rep_buf_esc(out, studies[k].name);
            rep_buf_put(out, ":</b> ");
        }
        for (int j = 0; j < 9; j++) {
            rep_buf_put(out, "<a href=\"#");
            put_id(out, secs[j], k);
            rep_buf_printf(out, "\">%s</a>", secs[j]);
        }
    }
    char now[40];
    fmt_time((double)time(NULL), now);
    rep_buf_printf(out, "</nav><p class=\"note\">Generated %s. Self-contained: no network "
                   "access; readable without JavaScript.</p></header><main>\n", now);
    if (rep_render_body(studies, n, 0, out, err) != 0)
        return -1;
    rep_buf_printf(out, "</main><script>%s</script></body></html>\n", JS_MAIN);
    if (out->oom) {
        snprintf(err, 256, "report: out of memory while rendering");
        return -1;
    }
    return 0;
}

int rep_write_html(const rep_study *studies, int n, const char *path, char err[256])
{
    rep_buf b;
    int rc = -1;
    rep_buf_init(&b);
    if (!path || !*path)
        snprintf(err, 256, "report: no output path given");
    else if (rep_render_html(studies, n, &b, err) == 0)
        rc = trk_file_write_durable(path, b.data, b.len, err) == 0 ? 0 : -1;
    rep_buf_free(&b);
    return rc;
}
