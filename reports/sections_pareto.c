/*
 * sections_pareto.c - the report's Pareto section for a multi-objective study
 * (search.metrics): every complete trial in the plane of the first two
 * objectives with the Pareto front highlighted, the front's trials as a table,
 * and the hypervolume of the front after each trial.
 *
 * The hypervolume is measured with every objective as a loss (maximised ones
 * negated) against one reference point for the whole history: per objective,
 * the worst value among the complete trials plus 10 % of their range (a range
 * of 0: 10 % of the value's size, at least 0.1), so every complete trial adds
 * to it and the curve only rises. It is exact (base/pareto.h) over all the
 * objectives, also when the scatter shows only two.
 */
#include "reports/report_int.h"

#include "base/pareto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rep_pareto_free(rep_pareto *p)
{
    free(p->idx);
    free(p->on_front);
    free(p->hv);
    free(p->loss);
    memset(p, 0, sizeof *p);
}

/* The loss-space reference point of the n loss vectors. */
static void reference_point(const double *loss, int n, int m, double *ref)
{
    for (int k = 0; k < m; k++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < n; i++) {
            lo = fmin(lo, loss[(size_t)i * m + k]);
            hi = fmax(hi, loss[(size_t)i * m + k]);
        }
        double span = hi - lo;
        ref[k] = hi + (span > 0 ? 0.1 * span : 0.1 * fmax(fabs(hi), 1.0));
    }
}

/* The hypervolume after each point: the front so far is kept in buf (its loss
 * vectors); a point that a front point dominates or equals changes nothing. */
static int hv_history(rep_pareto *p)
{
    int m = p->m, k = 0;
    double *buf = malloc(sizeof(double) * (size_t)(p->n ? p->n : 1) * (size_t)m);
    if (!buf)
        return -1;
    double hv = 0;
    for (int i = 0; i < p->n; i++) {
        const double *q = p->loss + (size_t)i * m;
        int covered = 0;
        for (int j = 0; j < k && !covered; j++)
            covered = base_dominates(buf + (size_t)j * m, q, m) ||
                      memcmp(buf + (size_t)j * m, q, sizeof(double) * (size_t)m) == 0;
        if (!covered) {
            int w = 0;
            for (int j = 0; j < k; j++)
                if (!base_dominates(q, buf + (size_t)j * m, m))
                    memmove(buf + (size_t)w++ * m, buf + (size_t)j * m, sizeof(double) * (size_t)m);
            memcpy(buf + (size_t)w * m, q, sizeof(double) * (size_t)m);
            k = w + 1;
            hv = base_hypervolume(buf, k, m, p->ref);
        }
        p->hv[i] = hv;
    }
    free(buf);
    return 0;
}

int rep_pareto_build(const rep_study *s, rep_pareto *p)
{
    memset(p, 0, sizeof *p);
    int m = s->n_objectives, nt = s->n_trials;
    if (m < 2)
        return 0;
    p->m = m;
    size_t sz = (size_t)(nt ? nt : 1);
    p->idx = malloc(sizeof(int) * sz);
    p->on_front = malloc(sz);
    p->hv = malloc(sizeof(double) * sz);
    p->loss = malloc(sizeof(double) * sz * (size_t)m);
    if (!p->idx || !p->on_front || !p->hv || !p->loss)
        goto oom;
    int *order = malloc(sizeof(int) * sz);   /* trials by number */
    double *num = calloc(sz, sizeof(double));
    if (!order || !num) {
        free(order);
        free(num);
        goto oom;
    }
    for (int i = 0; i < nt; i++) {
        order[i] = i;
        num[i] = s->trials[i].number;
    }
    if (rep_sort_by_key(order, num, nt)) {
        free(order);
        free(num);
        goto oom;
    }
    for (int o = 0; o < nt; o++) {
        const rep_trial *t = &s->trials[order[o]];
        int ok = t->state == REP_COMPLETE && t->n_values >= m;
        for (int k = 0; ok && k < m; k++)
            ok = isfinite(t->values[k]);
        if (!ok)
            continue;
        for (int k = 0; k < m; k++)
            p->loss[(size_t)p->n * m + k] = s->objective_maximize[k] ? -t->values[k] : t->values[k];
        p->idx[p->n++] = order[o];
    }
    free(order);
    free(num);
    base_pareto_front(p->loss, p->n, m, p->on_front);
    reference_point(p->loss, p->n, m, p->ref);
    if (hv_history(p) == 0)
        return 0;
oom:
    rep_pareto_free(p);
    return -1;
}

/* The scatter of the first two objectives, the front drawn over the rest. */
static void front_chart(rep_buf *b, const view *v, const rep_pareto *p)
{
    const rep_study *s = v->s;
    size_t sz = (size_t)(p->n ? p->n : 1);
    double *x[2] = {calloc(sz, sizeof(double)), calloc(sz, sizeof(double))};
    double *y[2] = {calloc(sz, sizeof(double)), calloc(sz, sizeof(double))};
    int *idx[2] = {malloc(sz * sizeof(int)), malloc(sz * sizeof(int))}, cnt[2] = {0, 0};
    int *byx = malloc(sz * sizeof(int));
    if (!x[0] || !x[1] || !y[0] || !y[1] || !idx[0] || !idx[1] || !byx) {
        b->oom = 1;
        goto done;
    }
    for (int i = 0; i < p->n; i++) {
        const rep_trial *t = &s->trials[p->idx[i]];
        int g = p->on_front[i];
        x[g][cnt[g]] = t->values[0];
        y[g][cnt[g]] = t->values[1];
        idx[g][cnt[g]++] = p->idx[i];
    }
    for (int i = 0; i < cnt[1]; i++)
        byx[i] = i;
    rep_sort_by_key(byx, x[1], cnt[1]);   /* the front joined in order of x (as drawn) */
    double *lx = calloc(sz, sizeof(double)), *ly = calloc(sz, sizeof(double));
    for (int i = 0; lx && ly && i < cnt[1]; i++) {
        lx[i] = x[1][byx[i]];
        ly[i] = y[1][byx[i]];
    }
    rep_chart c;
    char id[32];
    rep_make_id(id, sizeof id, "front", v->k);
    rep_chart_init(&c, b, id, 0, 0, REP_AXIS_LINEAR, REP_AXIS_LINEAR);
    for (int g = 0; g < 2; g++)
        rep_chart_fit(&c, x[g], y[g], cnt[g]);
    rep_chart_begin(&c, "Complete trials and the Pareto front", s->objective_names[0],
                    s->objective_names[1]);
    tip_ctx tc0 = {v, idx[0]}, tc1 = {v, idx[1]};
    rep_chart_scatter(&c, x[0], y[0], cnt[0], COLOR_COMPLETE, 2.8, 0.45, rep_trial_tip, &tc0,
                      "dominated");
    if (lx && ly)
        rep_chart_line(&c, lx, ly, cnt[1], COLOR_BEST, 1.2, 0.6, "front (joined)");
    rep_chart_scatter(&c, x[1], y[1], cnt[1], COLOR_BEST, 4.0, 0.9, rep_trial_tip, &tc1,
                      "Pareto front");
    const char *names[3] = {"dominated", "front, joined in order of the x objective",
                            "Pareto front"};
    const char *cols[3] = {COLOR_COMPLETE, COLOR_BEST, COLOR_BEST};
    rep_chart_legend(&c, names, cols, 3);
    rep_chart_end(&c);
    free(lx);
    free(ly);
done:
    for (int g = 0; g < 2; g++) {
        free(x[g]);
        free(y[g]);
        free(idx[g]);
    }
    free(byx);
}

static void hv_chart(rep_buf *b, const view *v, const rep_pareto *p)
{
    double *x = malloc(sizeof(double) * (size_t)(p->n ? p->n : 1));
    if (!x) {
        b->oom = 1;
        return;
    }
    for (int i = 0; i < p->n; i++)
        x[i] = v->s->trials[p->idx[i]].number;
    rep_chart c;
    char id[32];
    rep_make_id(id, sizeof id, "hv", v->k);
    rep_chart_init(&c, b, id, 0, 0, REP_AXIS_LINEAR, REP_AXIS_LINEAR);
    c.x_integer = 1;
    rep_chart_fit(&c, x, p->hv, p->n);
    rep_chart_begin(&c, "Hypervolume of the front after each trial", "trial number",
                    "hypervolume");
    rep_chart_step(&c, x, p->hv, p->n, COLOR_COMPLETE, 1.8, "hypervolume");
    rep_chart_end(&c);
    free(x);
}

/* The front's trials: number and every objective's value. */
static void front_table(rep_buf *b, const view *v, const rep_pareto *p)
{
    const rep_study *s = v->s;
    rep_buf_put(b, "<div class=\"wrap\"><table class=\"sortable\"><thead><tr><th class=\"n\">#</th>");
    for (int k = 0; k < p->m; k++) {
        rep_buf_put(b, "<th class=\"n\">");
        rep_buf_esc(b, s->objective_names[k]);
        rep_buf_printf(b, " (%s)</th>", s->objective_maximize[k] ? "max" : "min");
    }
    rep_buf_put(b, "</tr></thead><tbody>\n");
    for (int i = 0; i < p->n; i++) {
        if (!p->on_front[i])
            continue;
        const rep_trial *t = &s->trials[p->idx[i]];
        rep_buf_printf(b, "<tr><td class=\"n\">%d</td>", t->number);
        for (int k = 0; k < p->m; k++) {
            rep_buf_put(b, "<td class=\"n\">");
            rep_buf_num(b, "%.6g", t->values[k]);
            rep_buf_put(b, "</td>");
        }
        rep_buf_put(b, "</tr>\n");
    }
    rep_buf_put(b, "</tbody></table></div>");
}

void rep_section_pareto(rep_buf *b, const view *v)
{
    const rep_study *s = v->s;
    if (s->n_objectives < 2)
        return;
    rep_pareto p;
    rep_section_open(b, "pareto", v->k, "Pareto front", s);
    if (rep_pareto_build(s, &p) != 0) {
        b->oom = 1;
        rep_buf_put(b, "</section>\n");
        return;
    }
    int nf = 0;
    for (int i = 0; i < p.n; i++)
        nf += p.on_front[i];
    rep_buf_printf(b, "<p>%d objectives; %d complete trial%s, %d on the Pareto front (no other "
                   "complete trial is at least as good in every objective and better in one). ",
                   p.m, p.n, p.n == 1 ? "" : "s", nf);
    if (s->result.has_result && s->result.best_trial >= 0)
        rep_buf_printf(b, "Trial %d was picked for the holdout (<code>seqtune best --pick</code>).",
                       s->result.best_trial);
    else
        rep_buf_put(b, "None is picked yet: <code>seqtune best --study NAME --pick TRIAL</code> "
                    "refits one and checks it on the holdout.");
    rep_buf_put(b, "</p>");
    if (p.n == 0) {
        rep_buf_put(b, "<p class=\"note\">No complete trial yet.</p></section>\n");
        rep_pareto_free(&p);
        return;
    }
    front_chart(b, v, &p);
    if (p.m > 2)
        rep_buf_printf(b, "<p class=\"note\">The plane of the first two objectives; the front "
                       "and the hypervolume are over all %d.</p>", p.m);
    front_table(b, v, &p);
    hv_chart(b, v, &p);
    rep_buf_put(b, "<p class=\"note\">Hypervolume: the volume of loss space (maximised "
                "objectives negated) that the front dominates, up to the reference point (");
    for (int k = 0; k < p.m; k++) {
        rep_buf_put(b, k ? ", " : "");
        rep_buf_esc(b, s->objective_names[k]);
        rep_buf_put(b, " ");
        rep_buf_num(b, "%.6g", s->objective_maximize[k] ? -p.ref[k] : p.ref[k]);
    }
    rep_buf_printf(b, "): per objective the worst complete trial's value plus 10 %% of the "
                   "range of the complete trials. Final hypervolume ");
    rep_buf_num(b, "%.6g", p.hv[p.n - 1]);
    rep_buf_put(b, ".</p></section>\n");
    rep_pareto_free(&p);
}
