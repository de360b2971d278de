/*
 * sections_study.c - the report's summary, best-trial and history sections.
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

/* ---- sections ---------------------------------------------------------------- */

static void kv_row(rep_buf *b, const char *key)
{
    rep_buf_printf(b, "<tr><th>%s</th><td>", key);
}

void rep_section_summary(rep_buf *b, const view *v)
{
    const rep_study *s = v->s;
    char t1[40], t2[40];
    rep_section_open(b, "summary", v->k, "Summary", s);
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
    rep_fmt_time(s->data_start, 1, t1);
    rep_fmt_time(s->data_end, 1, t2);
    rep_buf_printf(b, "<br>%s \xE2\x80\x93 %s</td></tr>", t1, t2);
    kv_row(b, "Fold layout");
    rep_buf_put(b, "<div class=\"layout\">");
    rep_buf_esc(b, s->fold_layout ? s->fold_layout : "");
    rep_buf_put(b, "</div>");
    if (s->n_folds > 0 && s->folds) {
        rep_buf_put(b, "<table><thead><tr><th>fold</th><th>train</th><th>test</th></tr></thead><tbody>");
        for (int f = 0; f < s->n_folds; f++) {
            char a[40], c[40], d[40], e[40];
            rep_fmt_time(s->folds[f].train_start, 1, a);
            rep_fmt_time(s->folds[f].train_end, 1, c);
            rep_fmt_time(s->folds[f].test_start, 1, d);
            rep_fmt_time(s->folds[f].test_end, 1, e);
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
        count[rep_state_ok(t->state) ? t->state : REP_RUNNING]++;
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
    rep_fmt_dur(isfinite(total) ? total : sum, t1);
    kv_row(b, "Time");
    rep_buf_printf(b, "%s wall clock", t1);
    rep_fmt_dur(nd ? sum / nd : NAN, t1);
    rep_fmt_dur(sum, t2);
    rep_buf_printf(b, "; per trial mean %s", t1);
    rep_fmt_dur(nd ? dmin : NAN, t1);
    rep_buf_printf(b, ", min %s", t1);
    rep_fmt_dur(nd ? dmax : NAN, t1);
    rep_buf_printf(b, ", max %s; %s of training in total</td></tr>", t1, t2);
    kv_row(b, "Workers");
    rep_buf_printf(b, "%d</td></tr>", s->workers);
    rep_fmt_time(s->created, 1, t1);
    rep_fmt_time(s->finished, 1, t2);
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
    rep_make_id(id, sizeof id, "forecast", v->k);
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
    rep_make_id(id, sizeof id, "fcerror", v->k);
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
        rep_fmt_time(r->holdout_first, 1, a);
        rep_fmt_time(r->holdout_last, 1, c);
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
        rep_param_esc(b, &t->params[p]);
        rep_buf_put(b, "</td></tr>");
    }
    rep_buf_put(b, "</tbody></table>");
}

void rep_section_best(rep_buf *b, const view *v)
{
    const rep_study *s = v->s;
    const rep_result *r = &s->result;
    rep_section_open(b, "best", v->k, "Best trial", s);
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
        rep_make_id(id, sizeof id, "equity", v->k);
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

void rep_section_history(rep_buf *b, const view *v)
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
    rep_section_open(b, "history", v->k, "Optimisation history", s);
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
        if (t->state == REP_COMPLETE && rep_better(s, t->value, best))
            best = t->value;
        bx[nb] = t->number;
        by[nb++] = best;
    }
    rep_chart c;
    char id[32];
    rep_make_id(id, sizeof id, "hist", v->k);
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
        off = rep_robust_y(&c, yy, cnt[0] + cnt[1], s->maximize);
        free(yy);
    }
    rep_chart_begin(&c, "Objective per trial", "trial number", s->metric ? s->metric : "value");
    tip_ctx tc0 = {v, idx[0]}, tc1 = {v, idx[1]};
    double r = nt > 2000 ? 1.6 : 2.8;
    rep_chart_scatter(&c, x[0], y[0], cnt[0], COLOR_COMPLETE, r, 0.6, rep_trial_tip, &tc0,
                      "complete");
    rep_chart_scatter(&c, x[1], y[1], cnt[1], COLOR_PRUNED, r, 0.7, rep_trial_tip, &tc1,
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
