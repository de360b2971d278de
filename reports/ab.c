/*
 * ab.c - the registry's HTML pages (reports/ab.h): one A/B comparison and one
 * registered model's history.
 *
 * A comparison's series (tracker/registry.h) is n rows of five doubles: the
 * bar's open time, loss A, loss B, return A, return B (experiments/cmd_ab.c
 * writes it). The equity curves are the cumulative sums of the log returns;
 * the loss difference over time is the cumulative sum of loss A - loss B
 * (rising: B is doing better).
 */
#include "reports/ab.h"

#include "reports/report.h"
#include "reports/svg.h"
#include "tracker/registry.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SERIES_COLS 5

static void fmt_time(double t, char out[40])
{
    if (!isfinite(t)) {
        snprintf(out, 40, "-");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 40, "%Y-%m-%d %H:%M UTC", &tm);
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The figures table and the verdict block of record r. */
static void ab_figures(rep_buf *b, const trk_ab_record *r, const cJSON *f)
{
    char t0[40], t1[40];
    fmt_time(r->span_first, t0);
    fmt_time(r->span_last, t1);
    rep_buf_put(b, "<p><b>verdict: ");
    rep_buf_esc(b, r->verdict);
    rep_buf_put(b, "</b></p><ul>");
    const cJSON *why;
    cJSON_ArrayForEach(why, cJSON_GetObjectItemCaseSensitive(f, "reasons"))
    {
        if (!cJSON_IsString(why))
            continue;
        rep_buf_put(b, "<li>");
        rep_buf_esc(b, why->valuestring);
        rep_buf_put(b, "</li>");
    }
    rep_buf_put(b, "</ul><table><tr><th></th><th>A</th><th>B</th><th>B - A</th></tr><tr><td>model"
                "</td><td>");
    rep_buf_esc(b, r->ref_a);
    rep_buf_put(b, "</td><td>");
    rep_buf_esc(b, r->ref_b);
    rep_buf_put(b, "</td><td></td></tr><tr><td>sha256</td><td>");
    rep_buf_printf(b, "%.16s</td><td>%.16s</td><td></td></tr>", r->sha_a, r->sha_b);
    rep_buf_printf(b, "<tr><td>mean loss</td><td>%.6f</td><td>%.6f</td><td>%.6f</td></tr>",
                   num(f, "loss_a"), num(f, "loss_b"), num(f, "loss_b") - num(f, "loss_a"));
    rep_buf_printf(b, "<tr><td>Sharpe (annualized)</td><td>%.4f</td><td>%.4f</td><td>%.4f</td>"
                   "</tr>", num(f, "sharpe_a"), num(f, "sharpe_b"), num(f, "sharpe_diff"));
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(f, "sharpe_diff_ci");
    rep_buf_printf(b, "<tr><td>Sharpe B - A, 95 %% interval</td><td colspan=\"3\">[%.4f, %.4f] "
                   "(stationary block bootstrap, %.0f replicates, mean block %.1f bars, seed "
                   "%.0f)</td></tr>",
                   cJSON_GetNumberValue(cJSON_GetArrayItem(ci, 0)),
                   cJSON_GetNumberValue(cJSON_GetArrayItem(ci, 1)), num(f, "n_boot"),
                   num(f, "mean_block"), num(f, "seed"));
    rep_buf_printf(b, "<tr><td>Diebold-Mariano</td><td colspan=\"3\">stat %.4g, p = %.4g "
                   "(two-sided, Newey-West lag %.0f)</td></tr>", num(f, "dm_stat"),
                   num(f, "dm_pvalue"), num(f, "dm_lag"));
    rep_buf_printf(b, "<tr><td>bars</td><td colspan=\"3\">%d, %s .. %s</td></tr>", r->n_bars, t0,
                   t1);
    rep_buf_put(b, "<tr><td>data</td><td colspan=\"3\">");
    rep_buf_esc(b, r->data_path ? r->data_path : "-");
    rep_buf_printf(b, " (sha256 %.16s)</td></tr><tr><td>promoted</td><td colspan=\"3\">%s</td>"
                   "</tr></table>\n", r->data_sha256 ? r->data_sha256 : "",
                   r->promoted ? "yes: champion moved to B" : "no");
}

/* The two charts of record r from its series. */
static int ab_charts(rep_buf *b, const trk_ab_record *r, char err[256])
{
    size_t n = r->series_bytes / (SERIES_COLS * sizeof(double));
    if (n < 2 || n != (size_t)r->n_bars) {
        snprintf(err, 256, "A/B comparison %lld: its stored series has %zu bars, expected %d",
                 (long long)r->id, n, r->n_bars);
        return TRK_EINVAL;
    }
    const double *s = r->series;
    double *x = malloc(n * sizeof *x), *ea = malloc(n * sizeof *ea), *eb = malloc(n * sizeof *eb),
           *dl = malloc(n * sizeof *dl);
    if (!x || !ea || !eb || !dl) {
        free(x), free(ea), free(eb), free(dl);
        snprintf(err, 256, "report: out of memory");
        return TRK_ERR;
    }
    double ca = 0, cb = 0, cd = 0;
    for (size_t i = 0; i < n; i++) {
        const double *row = s + i * SERIES_COLS;
        x[i] = row[0];
        ea[i] = (ca += row[3]);
        eb[i] = (cb += row[4]);
        dl[i] = (cd += row[1] - row[2]);
    }
    char id[64];
    rep_chart c;
    snprintf(id, sizeof id, "ab%lld-eq", (long long)r->id);
    rep_chart_init(&c, b, id, 0, 0, REP_AXIS_TIME, REP_AXIS_LINEAR);
    rep_chart_fit(&c, x, ea, (int)n);
    rep_chart_fit(&c, x, eb, (int)n);
    rep_chart_begin(&c, "Equity of both strategies (cumulative log return)", "bar (UTC)",
                    "cumulative log return");
    rep_chart_line(&c, x, ea, (int)n, rep_palette(1), 1.5, 1, "A");
    rep_chart_line(&c, x, eb, (int)n, rep_palette(5), 1.5, 1, "B");
    const char *names[2] = {"A", "B"}, *colors[2] = {rep_palette(1), rep_palette(5)};
    rep_chart_legend(&c, names, colors, 2);
    rep_chart_end(&c);
    snprintf(id, sizeof id, "ab%lld-loss", (long long)r->id);
    rep_chart_init(&c, b, id, 0, 0, REP_AXIS_TIME, REP_AXIS_LINEAR);
    rep_chart_fit(&c, x, dl, (int)n);
    rep_chart_begin(&c, "Cumulative loss difference A - B (rising: B is better)", "bar (UTC)",
                    "sum of loss A - loss B");
    rep_chart_line(&c, x, dl, (int)n, rep_palette(3), 1.5, 1, "loss difference");
    rep_chart_end(&c);
    free(x), free(ea), free(eb), free(dl);
    return 0;
}

int rep_ab_section(rep_buf *b, trk_store *s, int64_t id, char err[256])
{
    trk_ab_record r;
    int rc = trk_ab_get(s, id, &r, err);
    if (rc)
        return rc;
    cJSON *f = cJSON_Parse(r.figures_json);
    rep_buf_printf(b, "<section id=\"ab-%lld\"><h2>A/B comparison %lld: ", (long long)id,
                   (long long)id);
    rep_buf_esc(b, r.ref_a);
    rep_buf_put(b, " vs ");
    rep_buf_esc(b, r.ref_b);
    rep_buf_put(b, "</h2>\n");
    ab_figures(b, &r, f);
    rc = ab_charts(b, &r, err);
    rep_buf_put(b, "</section>\n");
    cJSON_Delete(f);
    trk_ab_record_clear(&r);
    return rc;
}

void rep_metrics_cell(rep_buf *b, const char *metrics_json)
{
    cJSON *h = metrics_json ? cJSON_Parse(metrics_json) : NULL;
    const cJSON *m;
    int k = 0;
    cJSON_ArrayForEach(m, h)
    {
        if (!cJSON_IsNumber(m) || k++ >= 4)
            continue;
        rep_buf_esc(b, m->string);
        rep_buf_printf(b, " %.4g ", m->valuedouble);
    }
    cJSON_Delete(h);
}

/* The versions table of model `name`. */
static void versions_table(rep_buf *b, const trk_model_version *v, int n)
{
    char t[40];
    rep_buf_put(b, "<h3>Versions</h3><table class=\"sortable\"><thead><tr><th>version</th>"
                "<th>aliases</th><th>study</th><th>trial</th><th>target</th><th>interval (s)"
                "</th><th>trained on</th><th>verdict</th><th>holdout</th><th>registered</th>"
                "<th>sha256</th><th>description</th></tr></thead><tbody>");
    for (int i = 0; i < n; i++) {
        char f0[40], f1[40];
        fmt_time(v[i].span_first, f0);
        fmt_time(v[i].span_last, f1);
        fmt_time(v[i].created, t);
        rep_buf_printf(b, "<tr><td>%d</td><td>", v[i].version);
        rep_buf_esc(b, v[i].aliases);
        rep_buf_put(b, "</td><td>");
        rep_buf_esc(b, v[i].study_name ? v[i].study_name : "-");
        rep_buf_printf(b, "</td><td>%d</td><td>", v[i].trial_number);
        rep_buf_esc(b, v[i].target_kind ? v[i].target_kind : "-");
        rep_buf_printf(b, "</td><td>%lld</td><td>%s .. %s</td><td>", (long long)v[i].interval_s,
                       f0, f1);
        cJSON *vj = cJSON_Parse(v[i].verdict_json ? v[i].verdict_json : "null");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(vj, "edge");
        rep_buf_put(b, cJSON_IsTrue(e) ? "edge" : cJSON_IsFalse(e) ? "no edge" : "-");
        cJSON_Delete(vj);
        rep_buf_put(b, "</td><td>");
        rep_metrics_cell(b, v[i].metrics_json);
        rep_buf_printf(b, "</td><td>%s</td><td>%.16s</td><td>", t, v[i].sha256);
        rep_buf_esc(b, v[i].description ? v[i].description : "");
        rep_buf_put(b, "</td></tr>");
    }
    rep_buf_put(b, "</tbody></table>\n");
}

/* The alias moves: a step chart per alias (version over time) and the table. */
static void alias_history(rep_buf *b, const trk_alias_event *e, int n)
{
    char t[40];
    rep_buf_put(b, "<h3>Aliases over time</h3>");
    if (n == 0) {
        rep_buf_put(b, "<p class=\"note\">No alias was ever set.</p>");
        return;
    }
    double *x = malloc(((size_t)n + 1) * sizeof *x), *y = malloc(((size_t)n + 1) * sizeof *y);
    const char *names[8], *colors[8];
    int n_alias = 0;
    rep_chart c;
    rep_chart_init(&c, b, "model-aliases", 0, 260, REP_AXIS_TIME, REP_AXIS_LINEAR);
    c.x_integer = 0;
    for (int i = 0; x && y && i < n; i++) {
        x[0] = e[i].at;
        y[0] = e[i].version > 0 ? e[i].version : NAN;
        rep_chart_fit(&c, x, y, 1);
    }
    double now = (double)time(NULL);
    rep_chart_fit(&c, &now, NULL, 1);
    rep_chart_begin(&c, "Version each alias points at", "time (UTC)", "version");
    for (int i = 0; x && y && i < n && n_alias < 8; i++) {
        int seen = 0;
        for (int k = 0; k < n_alias; k++)
            seen |= strcmp(names[k], e[i].alias) == 0;
        if (seen)
            continue;
        int m = 0;
        for (int j = i; j < n; j++)
            if (strcmp(e[j].alias, e[i].alias) == 0) {
                x[m] = e[j].at;
                y[m++] = e[j].version > 0 ? e[j].version : NAN;
            }
        x[m] = now;
        y[m] = y[m - 1];
        m++;
        names[n_alias] = e[i].alias;
        colors[n_alias] = rep_palette(n_alias + 1);
        rep_chart_step(&c, x, y, m, colors[n_alias], 2, e[i].alias);
        n_alias++;
    }
    rep_chart_legend(&c, names, colors, n_alias);
    rep_chart_end(&c);
    free(x);
    free(y);
    rep_buf_put(b, "<table><tr><th>when</th><th>alias</th><th>version</th><th>who</th>"
                "<th>why</th></tr>");
    for (int i = 0; i < n; i++) {
        fmt_time(e[i].at, t);
        rep_buf_printf(b, "<tr><td>%s</td><td>", t);
        rep_buf_esc(b, e[i].alias);
        if (e[i].version > 0)
            rep_buf_printf(b, "</td><td>%d</td><td>", e[i].version);
        else
            rep_buf_put(b, "</td><td>removed</td><td>");
        rep_buf_esc(b, e[i].who ? e[i].who : "");
        rep_buf_put(b, "</td><td>");
        rep_buf_esc(b, e[i].reason ? e[i].reason : "");
        rep_buf_put(b, "</td></tr>");
    }
    rep_buf_put(b, "</table>\n");
}

/* The comparisons table. */
static void ab_table(rep_buf *b, const trk_ab_record *r, int n)
{
    char t[40];
    rep_buf_put(b, "<h3>A/B comparisons</h3>");
    if (n == 0) {
        rep_buf_put(b, "<p class=\"note\">None yet (see <code>seqtune ab</code>).</p>");
        return;
    }
    rep_buf_put(b, "<table class=\"sortable\"><thead><tr><th>id</th><th>when</th><th>A</th>"
                "<th>B</th><th>bars</th><th>DM p</th><th>Sharpe B - A</th><th>95 % interval</th>"
                "<th>verdict</th><th>promoted</th></tr></thead><tbody>");
    for (int i = 0; i < n; i++) {
        cJSON *f = cJSON_Parse(r[i].figures_json);
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(f, "sharpe_diff_ci");
        fmt_time(r[i].created, t);
        rep_buf_printf(b, "<tr><td>%lld</td><td>%s</td><td>", (long long)r[i].id, t);
        rep_buf_esc(b, r[i].ref_a);
        rep_buf_put(b, "</td><td>");
        rep_buf_esc(b, r[i].ref_b);
        rep_buf_printf(b, "</td><td>%d</td><td>%.3g</td><td>%.4g</td><td>[%.4g, %.4g]</td><td>",
                       r[i].n_bars, num(f, "dm_pvalue"), num(f, "sharpe_diff"),
                       cJSON_GetNumberValue(cJSON_GetArrayItem(ci, 0)),
                       cJSON_GetNumberValue(cJSON_GetArrayItem(ci, 1)));
        rep_buf_esc(b, r[i].verdict);
        rep_buf_printf(b, "</td><td>%s</td></tr>", r[i].promoted ? "yes" : "no");
        cJSON_Delete(f);
    }
    rep_buf_put(b, "</tbody></table>\n");
}

int rep_model_section(rep_buf *b, trk_store *s, const char *name, char err[256])
{
    trk_model_version *v = NULL;
    trk_alias_event *e = NULL;
    trk_ab_record *r = NULL;
    int nv = 0, ne = 0, nr = 0;
    int rc = trk_model_versions(s, name, &v, &nv, err);
    if (!rc)
        rc = trk_model_alias_events(s, name, &e, &ne, err);
    if (!rc)
        rc = trk_ab_list(s, name, &r, &nr, err);
    if (!rc) {
        rep_buf_put(b, "<section id=\"model\"><h2>Registered model ");
        rep_buf_esc(b, name);
        rep_buf_printf(b, "</h2><p>%d version%s, %d alias move%s, %d A/B comparison%s.</p>\n", nv,
                       nv == 1 ? "" : "s", ne, ne == 1 ? "" : "s", nr, nr == 1 ? "" : "s");
        versions_table(b, v, nv);
        alias_history(b, e, ne);
        ab_table(b, r, nr);
        rep_buf_put(b, "</section>\n");
    }
    trk_model_versions_free(v, nv);
    trk_alias_events_free(e, ne);
    trk_ab_records_free(r, nr);
    return rc;
}

int rep_registry_write_html(trk_store *s, int64_t id, const char *model_name, const char *path,
                            char err[256])
{
    rep_buf b;
    rep_buf_init(&b);
    rep_buf_put(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                "<title>seqtune: ");
    if (model_name)
        rep_buf_esc(&b, model_name);
    else
        rep_buf_printf(&b, "A/B comparison %lld", (long long)id);
    rep_buf_printf(&b, "</title><style>%s</style></head><body><header><h1>seqtune %s</h1>"
                   "</header><main>\n", rep_report_css(),
                   model_name ? "model registry" : "A/B comparison");
    int rc = model_name ? rep_model_section(&b, s, model_name, err)
                        : rep_ab_section(&b, s, id, err);
    rep_buf_printf(&b, "</main><script>%s</script></body></html>\n", rep_report_js());
    if (!rc && b.oom) {
        snprintf(err, 256, "report: out of memory while rendering");
        rc = TRK_ERR;
    }
    if (!rc)
        rc = trk_file_write_durable(path, b.data, b.len, err);
    rep_buf_free(&b);
    return rc;
}
