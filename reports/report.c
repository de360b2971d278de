/*
 * report.c - the HTML report writer (layout and rules in report.h). This file holds the page:
 * its head, style sheet and script, and rep_render_body, the list of section
 * calls. Each section is one function that appends to the page buffer
 * (sections_*.c, report_compare.c); the per-study view they share is built in
 * report_view.c (report_int.h).
 */
#include "reports/report_int.h"
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
        if (rep_view_build(&vs[built], &studies[built], built, err) != 0)
            goto fail;
    if (n > 1)
        rep_section_compare(out, vs, n);
    for (int k = 0; k < n; k++) {
        rep_edge_section(out, studies[k].edge, studies[k].name, k);   /* opens with the verdict */
        rep_section_summary(out, &vs[k]);
        rep_section_best(out, &vs[k]);
        rep_section_history(out, &vs[k]);
        rep_section_pareto(out, &vs[k]);
        rep_section_importance(out, &vs[k]);
        rep_feature_importance_section(out, studies[k].edge, studies[k].name, k);
        rep_section_slices(out, &vs[k]);
        rep_section_parallel(out, &vs[k]);
        rep_section_intermediate(out, &vs[k]);
        if (!(flags & REP_BODY_NO_TRIALS))
            rep_section_trials(out, &vs[k]);
        rep_section_spec(out, &vs[k]);
    }
    if (out->oom) {
        snprintf(err, 256, "report: out of memory while rendering");
        goto fail;
    }
    for (int k = 0; k < n; k++)
        rep_view_free(&vs[k]);
    free(vs);
    return 0;
fail:
    for (int k = 0; k < built; k++)
        rep_view_free(&vs[k]);
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
            rep_put_id(out, secs[j], k);
            rep_buf_printf(out, "\">%s</a>", secs[j]);
            if (j == 2 && studies[k].n_objectives > 1) {   /* after history */
                rep_buf_put(out, "<a href=\"#");
                rep_put_id(out, "pareto", k);
                rep_buf_put(out, "\">pareto</a>");
            }
        }
    }
    char now[40];
    rep_fmt_time((double)time(NULL), 1, now);
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
