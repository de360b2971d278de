/*
 * edge.c - the verdict block and the out-of-sample diagnostics of the report
 * (see edge.h). Reads only through the tracker's read API; draws with svg.c.
 */
#include "reports/edge.h"
#include "reports/edge_int.h"

#include "reports/svg.h"
#include "tracker/oos.h"
#include "tracker/query.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


const cJSON *rep_edge_result(const rep_edge *e)
{
    return e ? e->result : NULL;
}

void rep_edge_free(rep_edge *e)
{
    if (!e)
        return;
    cJSON_Delete(e->result);
    free(e->t);
    free(e->equity);
    free(e->bh);
    free(e->drawdown);
    for (int k = 0; k < e->n_folds; k++) {
        free(e->train[k]);
        free(e->val[k]);
    }
    free(e);
}

/* A metric history as an array of values by step (NaN gaps); *n its length. */
static double *history(trk_store *s, int64_t run, const char *key, int *n, char err[256])
{
    trk_metric_point *h = NULL;
    int nh = 0;
    *n = 0;
    if (trk_metric_history(s, run, key, &h, &nh, err) || nh == 0) {
        free(h);
        return NULL;
    }
    int len = 0;
    for (int i = 0; i < nh; i++)
        if (h[i].step >= 0 && h[i].step < 100000 && h[i].step + 1 > len)
            len = (int)h[i].step + 1;
    double *v = len ? malloc(sizeof *v * (size_t)len) : NULL;
    for (int i = 0; v && i < len; i++)
        v[i] = NAN;
    for (int i = 0; v && i < nh; i++)
        if (h[i].step >= 0 && h[i].step < len)
            v[h[i].step] = h[i].value;
    free(h);
    *n = v ? len : 0;
    return v;
}

int rep_edge_load(trk_store *store, int64_t study_id, int64_t best_run, const char *result_json,
                  rep_edge **out, char err[256])
{
    *out = NULL;
    cJSON *r = result_json ? cJSON_Parse(result_json) : NULL;
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r, "verdict"))) {
        cJSON_Delete(r);
        return 0;
    }
    rep_edge *e = calloc(1, sizeof *e);
    if (!e) {
        cJSON_Delete(r);
        snprintf(err, 256, "out of memory");
        return -1;
    }
    e->result = r;
    trk_oos *l = NULL;
    int nl = 0;
    if (best_run > 0 && trk_oos_query(store, study_id, best_run, &l, &nl, err)) {
        rep_edge_free(e);
        return -1;
    }
    int bars = 0;
    for (int i = 0; i < nl; i++)
        bars += l[i].fold >= 0 ? l[i].n : 0;
    if (bars > 0) {
        size_t sz = sizeof(double) * (size_t)(bars + 1);
        e->t = malloc(sz);
        e->equity = malloc(sz);
        e->bh = malloc(sz);
        e->drawdown = malloc(sz);
        if (!e->t || !e->equity || !e->bh || !e->drawdown) {
            trk_oos_free(l, nl);
            rep_edge_free(e);
            snprintf(err, 256, "out of memory");
            return -1;
        }
        double eq = 1, b = 1, peak = 1;
        int j = 0;
        e->t[0] = (double)l[0].t0;
        e->equity[0] = e->bh[0] = 1;
        e->drawdown[0] = 0;
        for (int i = 0; i < nl; i++) {
            if (l[i].fold < 0)
                continue;
            double dt = l[i].n ? (double)(l[i].t1 - l[i].t0) / l[i].n : 0;
            for (int k = 0; k < l[i].n; k++) {
                if (isfinite(l[i].ret[k]))
                    eq *= 1 + l[i].ret[k];
                if (isfinite(l[i].bh[k]))
                    b *= 1 + l[i].bh[k];
                peak = fmax(peak, eq);
                j++;
                e->t[j] = (double)l[i].t0 + dt * (k + 1);
                e->equity[j] = eq;
                e->bh[j] = b;
                e->drawdown[j] = eq / peak - 1;
            }
        }
        e->n = j;
    }
    trk_oos_free(l, nl);
    for (int k = 0; best_run > 0 && k < EDGE_MAX_FOLDS; k++) {
        char key[64];
        int nt = 0, nv = 0;
        snprintf(key, sizeof key, "fold%d.train_loss", k);
        double *tr = history(store, best_run, key, &nt, err);
        snprintf(key, sizeof key, "fold%d.val_loss", k);
        double *va = history(store, best_run, key, &nv, err);
        if (!tr && !va)
            break;
        e->train[k] = tr;
        e->val[k] = va;
        e->n_epochs[k] = nt > nv ? nt : nv;
        if (nt < e->n_epochs[k] && tr) {   /* pad the shorter series */
            double *g = realloc(tr, sizeof *g * (size_t)e->n_epochs[k]);
            if (g)
                for (int i = nt; i < e->n_epochs[k]; i++)
                    g[i] = NAN;
            e->train[k] = g ? g : tr;
            if (!g)
                e->n_epochs[k] = nt;
        }
        if (nv < e->n_epochs[k] && va) {
            double *g = realloc(va, sizeof *g * (size_t)e->n_epochs[k]);
            if (g)
                for (int i = nv; i < e->n_epochs[k]; i++)
                    g[i] = NAN;
            e->val[k] = g ? g : va;
        }
        e->n_folds = k + 1;
    }
    *out = e;
    return 0;
}

/* ---- rendering ----------------------------------------------------------------- */

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void id_of(char *out, size_t n, const char *base, int k)
{
    if (k == 0)
        snprintf(out, n, "%s", base);
    else
        snprintf(out, n, "%s-%d", base, k + 1);
}

static void open_section(rep_buf *b, const char *base, int k, const char *title, const char *name)
{
    char id[48];
    id_of(id, sizeof id, base, k);
    rep_buf_printf(b, "<section id=\"%s\"><h2>%s \xE2\x80\x94 ", id, title);
    rep_buf_esc(b, name);
    rep_buf_put(b, "</h2>");
}

static void fig_row(rep_buf *b, const char *what, double v, const char *fmt, const char *note)
{
    rep_buf_put(b, "<tr><td>");
    rep_buf_esc(b, what);
    rep_buf_put(b, "</td><td class=\"n\">");
    if (isfinite(v))
        rep_buf_num(b, fmt, v);
    else
        rep_buf_put(b, "n/a");
    rep_buf_put(b, "</td><td>");
    rep_buf_esc(b, note);
    rep_buf_put(b, "</td></tr>");
}

static void verdict_block(rep_buf *b, const rep_edge *e, const char *name, int k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e->result, "verdict");
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(v, "thresholds");
    int edge = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "edge"));
    open_section(b, "verdict", k, "Verdict", name);
    rep_buf_printf(b, "<p class=\"verdict\" style=\"font-size:1.3em;padding:.4em .8em;"
                   "border-left:6px solid %s\"><b>%s</b></p><ul>", edge ? "#1a7f37" : "#b42318",
                   edge ? "Edge: significant after accounting for the search"
                        : "No edge: not significant after accounting for the search");
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(v, "reasons"))
        if (cJSON_IsString(s)) {
            rep_buf_put(b, "<li>");
            rep_buf_esc(b, s->valuestring);
            rep_buf_put(b, "</li>");
        }
    rep_buf_put(b, "</ul><table><thead><tr><th>figure</th><th>value</th><th>meaning</th></tr>"
                "</thead><tbody>");
    char note[160];
    snprintf(note, sizeof note, "decides; needs >= %g; counts all %d evaluated trials "
             "(complete, pruned, failed after a fold)", num(th, "dsr_min"),
             (int)num(v, "dsr_trials"));
    fig_row(b, "Deflated Sharpe Ratio", num(v, "dsr"), "%.4f", note);
    snprintf(note, sizeof note, "decides; one-sided, needs < %g", num(th, "dm_alpha"));
    fig_row(b, "DM p-value vs no skill", num(v, "dm_pvalue"), "%.4g", note);
    fig_row(b, "DM p-value vs linear", num(v, "dm_pvalue_vs_linear"), "%.4g",
            "does the LSTM add value over logistic regression");
    snprintf(note, sizeof note, "does the ranking carry out of sample; over %d trials with "
             "every fold", (int)num(v, "pbo_trials"));
    fig_row(b, "PBO (CSCV)", num(v, "pbo"), "%.4f", note);
    const cJSON *dm = cJSON_GetObjectItemCaseSensitive(e->result, "dm_noskill");
    if (cJSON_IsObject(dm)) {
        snprintf(note, sizeof note, "model minus no skill, per sample; 95%% interval [%.4g, %.4g]",
                 num(dm, "ci_low"), num(dm, "ci_high"));
        fig_row(b, "mean loss difference", num(dm, "mean_diff"), "%.4g", note);
    }
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(e->result, "pbo");
    if (cJSON_IsObject(p)) {
        fig_row(b, "performance degradation", num(p, "slope"), "%.3f",
                "slope of OOS on IS Sharpe of the in-sample winner");
        fig_row(b, "probability of OOS loss", num(p, "p_oos_loss"), "%.3f",
                "share of splits whose in-sample winner loses out of sample");
    }
    rep_buf_put(b, "</tbody></table>");
    if (cJSON_IsObject(p)) {
        rep_buf_put(b, "<div class=\"grid\"><div>");
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(p, "scatter");
        int ns = cJSON_GetArraySize(sc);
        double *x = malloc(sizeof *x * (size_t)(ns ? ns : 1)), *y = malloc(sizeof *y * (size_t)(ns ? ns : 1));
        int i = 0;
        const cJSON *pt;
        cJSON_ArrayForEach(pt, sc)
        {
            if (!x || !y)
                break;
            x[i] = cJSON_GetNumberValue(cJSON_GetArrayItem(pt, 0));
            y[i] = cJSON_GetNumberValue(cJSON_GetArrayItem(pt, 1));
            i++;
        }
        char id[48];
        rep_chart c;
        if (x && y && i > 0) {
            id_of(id, sizeof id, "cscv-scatter", k);
            rep_chart_init(&c, b, id, 420, 320, REP_AXIS_LINEAR, REP_AXIS_LINEAR);
            rep_chart_fit(&c, x, y, i);
            rep_chart_begin(&c, "CSCV: winner's IS vs OOS Sharpe",
                            "in-sample Sharpe", "out-of-sample Sharpe");
            rep_chart_scatter(&c, x, y, i, rep_palette(5), 2.5, 0.6, NULL, NULL, "splits");
            rep_chart_end(&c);
        }
        free(x);
        free(y);
        rep_buf_put(b, "</div><div>");
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(p, "logit_hist");
        const cJSON *cn = cJSON_GetObjectItemCaseSensitive(h, "counts");
        int nb = cJSON_GetArraySize(cn);
        double lo = num(h, "lo"), hi = num(h, "hi");
        if (nb > 0 && isfinite(lo) && isfinite(hi)) {
            double hx[42], hy[42];
            int m = 0;
            for (int j = 0; j < nb && j < 20; j++) {
                double cnt = cJSON_GetNumberValue(cJSON_GetArrayItem(cn, j));
                hx[m] = lo + (hi - lo) * j / nb;
                hy[m++] = cnt;
            }
            hx[m] = hi;
            hy[m] = hy[m - 1];
            m++;
            id_of(id, sizeof id, "cscv-logits", k);
            rep_chart_init(&c, b, id, 420, 320, REP_AXIS_LINEAR, REP_AXIS_LINEAR);
            double zero[2] = {0, 0};
            rep_chart_fit(&c, hx, hy, m);
            rep_chart_fit(&c, NULL, zero, 2);
            rep_chart_begin(&c, "CSCV: OOS-rank logits (<= 0: overfit)",
                            "logit", "splits");
            rep_chart_step(&c, hx, hy, m, rep_palette(1), 1.5, "logits");
            double vx[2] = {0, 0}, vy[2] = {0, 0};
            for (int j = 0; j < m; j++)
                vy[1] = fmax(vy[1], hy[j]);
            rep_chart_line(&c, vx, vy, 2, rep_palette(3), 1, 0.8, "logit 0");
            rep_chart_end(&c);
        }
        rep_buf_put(b, "</div></div>");
    }
    rep_buf_put(b, "</section>\n");
}

/* The multiclass holdout confusion ("matrix": rows actual, columns argmax). */
static void confusion_multi(rep_buf *b, const cJSON *cm)
{
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(cm, "classes"), *row, *v;
    int K = cJSON_GetArraySize(names);
    rep_buf_put(b, "<h3>Holdout confusion matrix (predicted: the most probable class)</h3>"
                "<table><thead><tr><th></th>");
    for (int j = 0; j < K; j++) {
        const cJSON *nm = cJSON_GetArrayItem(names, j);
        rep_buf_printf(b, "<th>predicted %s</th>", cJSON_IsString(nm) ? nm->valuestring : "?");
    }
    rep_buf_put(b, "</tr></thead><tbody>");
    int a = 0;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(cm, "matrix"))
    {
        const cJSON *nm = cJSON_GetArrayItem(names, a++);
        rep_buf_printf(b, "<tr><td>actual %s</td>", cJSON_IsString(nm) ? nm->valuestring : "?");
        cJSON_ArrayForEach(v, row)
            rep_buf_printf(b, "<td class=\"n\">%d</td>", cJSON_IsNumber(v) ? v->valueint : 0);
        rep_buf_put(b, "</tr>");
    }
    rep_buf_put(b, "</tbody></table>");
}

static void oos_block(rep_buf *b, const rep_edge *e, const char *name, int k)
{
    open_section(b, "oos", k, "Out-of-sample diagnostics of the best trial", name);
    char id[48];
    rep_chart c;
    if (e->n > 0) {
        rep_buf_put(b, "<p class=\"note\">Walk-forward test spans of the search, one after "
                    "another (not only the holdout), net of fees.</p>");
        id_of(id, sizeof id, "oos-equity", k);
        rep_chart_init(&c, b, id, 0, 0, REP_AXIS_TIME, REP_AXIS_LINEAR);
        rep_chart_fit(&c, e->t, e->equity, e->n + 1);
        rep_chart_fit(&c, e->t, e->bh, e->n + 1);
        rep_chart_begin(&c, "Walk-forward out-of-sample equity: model vs buy & hold",
                        "time (UTC)", "equity (start = 1)");
        rep_chart_line(&c, e->t, e->bh, e->n + 1, rep_palette(1), 1.5, 1, "buy & hold");
        rep_chart_line(&c, e->t, e->equity, e->n + 1, rep_palette(5), 1.5, 1, "model");
        const char *names[2] = {"buy & hold", "model"};
        const char *cols[2] = {rep_palette(1), rep_palette(5)};
        rep_chart_legend(&c, names, cols, 2);
        rep_chart_end(&c);
        id_of(id, sizeof id, "oos-drawdown", k);
        rep_chart_init(&c, b, id, 0, 220, REP_AXIS_TIME, REP_AXIS_LINEAR);
        rep_chart_fit(&c, e->t, e->drawdown, e->n + 1);
        rep_chart_begin(&c, "Drawdown of the model's out-of-sample equity", "time (UTC)",
                        "drawdown");
        rep_chart_line(&c, e->t, e->drawdown, e->n + 1, rep_palette(3), 1.2, 1, "drawdown");
        rep_chart_end(&c);
    } else {
        rep_buf_put(b, "<p>No out-of-sample series stored for the best trial.</p>");
    }
    if (e->n_folds > 0) {
        id_of(id, sizeof id, "oos-epochs", k);
        rep_chart_init(&c, b, id, 0, 0, REP_AXIS_LINEAR, REP_AXIS_LINEAR);
        double *x = NULL;
        int mx = 0;
        for (int f = 0; f < e->n_folds; f++)
            mx = e->n_epochs[f] > mx ? e->n_epochs[f] : mx;
        x = malloc(sizeof *x * (size_t)(mx ? mx : 1));
        for (int i = 0; x && i < mx; i++)
            x[i] = i + 1;
        for (int f = 0; x && f < e->n_folds; f++) {
            rep_chart_fit(&c, x, e->train[f], e->train[f] ? e->n_epochs[f] : 0);
            rep_chart_fit(&c, x, e->val[f], e->val[f] ? e->n_epochs[f] : 0);
        }
        c.x_integer = 1;
        rep_chart_begin(&c, "Loss per epoch of each fold (solid: validation, faint: train)",
                        "epoch", "loss");
        for (int f = 0; x && f < e->n_folds; f++) {
            char nm[32];
            snprintf(nm, sizeof nm, "fold %d train", f);
            if (e->train[f])
                rep_chart_line(&c, x, e->train[f], e->n_epochs[f], rep_palette(f % 7), 1, 0.45, nm);
            snprintf(nm, sizeof nm, "fold %d validation", f);
            if (e->val[f])
                rep_chart_line(&c, x, e->val[f], e->n_epochs[f], rep_palette(f % 7), 1.8, 1, nm);
        }
        rep_chart_end(&c);
        free(x);
    }
    const cJSON *cal = cJSON_GetObjectItemCaseSensitive(e->result, "calibration");
    const cJSON *cm = cJSON_GetObjectItemCaseSensitive(e->result, "confusion");
    if (cJSON_IsObject(cal) || cJSON_IsObject(cm))
        rep_buf_put(b, "<div class=\"grid\"><div>");
    if (cJSON_IsObject(cal)) {
        const cJSON *bins = cJSON_GetObjectItemCaseSensitive(cal, "bins"), *bn;
        double px[10], py[10];
        int m = 0;
        cJSON_ArrayForEach(bn, bins)
        {
            if (m == 10)
                break;
            px[m] = num(bn, "mean_p");
            py[m++] = num(bn, "freq");
        }
        double dx[2] = {0, 1};
        id_of(id, sizeof id, "oos-calibration", k);
        rep_chart_init(&c, b, id, 420, 340, REP_AXIS_LINEAR, REP_AXIS_LINEAR);
        rep_chart_fit(&c, dx, dx, 2);
        char title[96];
        snprintf(title, sizeof title, "Holdout reliability (Brier %.4f)", num(cal, "brier"));
        int top = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(cal, "of"));
        rep_chart_begin(&c, title, top ? "largest predicted class probability"
                                       : "predicted probability of up",
                        top ? "observed frequency of that class" : "observed frequency of up");
        rep_chart_line(&c, dx, dx, 2, rep_palette(0), 1, 0.6, "perfect calibration");
        if (m > 0) {
            rep_chart_line(&c, px, py, m, rep_palette(5), 1.5, 1, "model");
            rep_chart_scatter(&c, px, py, m, rep_palette(5), 3.5, 1, NULL, NULL, "bins");
        }
        rep_chart_end(&c);
    }
    if (cJSON_IsObject(cal) || cJSON_IsObject(cm))
        rep_buf_put(b, "</div><div>");
    if (cJSON_IsObject(cm) && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(cm, "matrix")))
        confusion_multi(b, cm);
    else if (cJSON_IsObject(cm))
        rep_buf_printf(b, "<h3>Holdout confusion matrix (p &gt;= 0.5 is up)</h3><table><thead>"
                       "<tr><th></th><th>predicted up</th><th>predicted down</th></tr></thead>"
                       "<tbody><tr><td>actual up</td><td class=\"n\">%d</td><td class=\"n\">%d"
                       "</td></tr><tr><td>actual down</td><td class=\"n\">%d</td><td class=\"n\">"
                       "%d</td></tr></tbody></table>",
                       (int)num(cm, "tp"), (int)num(cm, "fn"), (int)num(cm, "fp"),
                       (int)num(cm, "tn"));
    if (cJSON_IsObject(cal) || cJSON_IsObject(cm))
        rep_buf_put(b, "</div></div>");
    rep_buf_put(b, "</section>\n");
}

void rep_edge_section(rep_buf *b, const rep_edge *e, const char *name, int k)
{
    if (!e)
        return;
    verdict_block(b, e, name, k);
    oos_block(b, e, name, k);
}

