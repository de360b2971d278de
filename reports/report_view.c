/*
 * report_view.c - the per-study view the sections share (parameter columns,
 * trial order, best trial, values used for plotting) and the small helpers they call.
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

/* ---- small formatting helpers ------------------------------------------------ */

/* An element id: base for the first study, base-<k+1> after. */
void rep_put_id(rep_buf *b, const char *base, int k)
{
    if (k == 0)
        rep_buf_put(b, base);
    else
        rep_buf_printf(b, "%s-%d", base, k + 1);
}

void rep_make_id(char *out, size_t n, const char *base, int k)
{
    if (k == 0)
        snprintf(out, n, "%s", base);
    else
        snprintf(out, n, "%s-%d", base, k + 1);
}

void rep_section_open(rep_buf *b, const char *base, int k, const char *title,
                         const rep_study *s)
{
    rep_buf_put(b, "<section id=\"");
    rep_put_id(b, base, k);
    rep_buf_printf(b, "\"><h2>%s", title);
    if (s) {
        rep_buf_put(b, " \xE2\x80\x94 ");
        rep_buf_esc(b, s->name);
    }
    rep_buf_put(b, "</h2>");
}

int rep_state_ok(rep_state st)
{
    return (unsigned)st < REP_N_STATES;
}

char rep_state_letter(rep_state st)
{
    static const char L[REP_N_STATES] = {[REP_RUNNING] = 'R', [REP_COMPLETE] = 'C',
                                         [REP_PRUNED] = 'P', [REP_FAIL] = 'F'};
    return rep_state_ok(st) ? L[st] : 'R';
}

const rep_param *rep_trial_param(const rep_trial *t, const char *key)
{
    for (int i = 0; i < t->n_params; i++)
        if (t->params[i].key && strcmp(t->params[i].key, key) == 0)
            return &t->params[i];
    return NULL;
}

int rep_better(const rep_study *s, double a, double b)
{
    if (!isfinite(a))
        return 0;
    if (!isfinite(b))
        return 1;
    return s->maximize ? a > b : a < b;
}

/* ---- the per-study view ------------------------------------------------------ */

void rep_view_free(view *v)
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
int rep_sort_by_key(int *idx, const double *keys, int n)
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

int rep_view_build(view *v, const rep_study *s, int k, char err[256])
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
            const rep_param *pa = rep_trial_param(&s->trials[i], v->keys[j]);
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
    if (rep_sort_by_key(v->order, v->plotv, nt) != 0)
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
                (v->best < 0 || rep_better(s, s->trials[i].value, s->trials[v->best].value)))
                v->best = i;
    return 0;
oom:
    snprintf(err, 256, "study '%s': out of memory", s->name ? s->name : "?");
    rep_view_free(v);
    return -1;
}

/* Plot coordinate of trial i on parameter column j (category index, log10 handled
 * by the axis), NaN when missing. */
double rep_param_coord(const view *v, int i, int j)
{
    const rep_param *pa = rep_trial_param(&v->s->trials[i], v->keys[j]);
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


int rep_param_condition(const view *v, int j, char out[160])
{
    const cJSON *space = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(v->spec, "search"), "space");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(space, v->keys[j]), "when");
    const cJSON *on = cJSON_IsObject(w) ? w->child : NULL;
    if (!cJSON_IsObject(on) || !on->child || !on->string || !on->child->string)
        return 0;
    char *val = cJSON_PrintUnformatted(on->child);
    snprintf(out, 160, "%.60s %.4s %.80s", on->string, on->child->string, val ? val : "?");
    free(val);
    return 1;
}

/* A parameter's stored text, shortened to 6 significant digits when it is a long
 * number (0.0012264029030740026 -> 0.0012264); other text escaped as is. */
void rep_param_esc(rep_buf *b, const rep_param *pa)
{
    const char *txt = pa && pa->text ? pa->text : "";
    char *end = NULL;
    double x = strtod(txt, &end);
    if (*txt && end && *end == '\0' && isfinite(x) && strlen(txt) > 8)
        rep_buf_num(b, "%.6g", x);
    else
        rep_buf_esc(b, txt);
}

/* Tooltip of one trial: number, state, value, params. */
void rep_trial_tip(void *ctx, int i, rep_buf *b)
{
    const tip_ctx *tc = ctx;
    const rep_trial *t = &tc->v->s->trials[tc->idx[i]];
    rep_buf_printf(b, "#%d %s ", t->number, rep_state_name(t->state));
    rep_buf_num(b, "%.6g", tc->v->plotv[tc->idx[i]]);
    for (int p = 0; p < t->n_params; p++) {
        rep_buf_put(b, p ? ", " : "\n");
        rep_buf_esc(b, t->params[p].key);
        rep_buf_put(b, "=");
        rep_param_esc(b, &t->params[p]);
    }
}

/* Sets the chart's y bounds from the finite values, cutting only the bad side
 * (the top when minimising, the bottom when maximising) when a few diverged
 * trials would otherwise squash the rest: the bound stops at the 98th
 * percentile plus 20% of the 2nd-98th range when the full range is more than
 * 4 times that. Returns how many values fall off the chart. */
int rep_robust_y(rep_chart *c, const double *y, int n, int maximize)
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
