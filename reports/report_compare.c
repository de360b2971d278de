/*
 * report_compare.c - the comparison of several studies (the first section of
 * a multi-study report).
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

void rep_section_compare(rep_buf *b, const view *vs, int n)
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
        rep_put_id(b, "summary", k);
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
                rep_param_esc(b, &t->params[p]);
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
        rep_fmt_dur(s->finished - s->created, d);
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
            if (t->state == REP_COMPLETE && rep_better(s, t->value, best))
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
