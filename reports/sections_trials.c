/*
 * sections_trials.c - the report's trials table and spec sections.
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

void rep_section_trials(rep_buf *b, const view *v)
{
    const rep_study *s = v->s;
    rep_section_open(b, "trials", v->k, "All trials", s);
    char tid[32];
    rep_make_id(tid, sizeof tid, "trials-table", v->k);
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
        rep_buf_printf(b, "<tr class=s%c><td>%d<td class=st>%s<td>", rep_state_letter(t->state),
                       t->number, rep_state_name(t->state));
        rep_buf_num(b, "%.6g", t->value);
        for (int j = 0; j < v->np; j++) {
            const rep_param *pa = rep_trial_param(t, v->keys[j]);
            if (pa) {
                rep_buf_put(b, "<td title=\"");
                rep_buf_esc(b, pa->text);
                rep_buf_put(b, "\">");
                rep_param_esc(b, pa);
            } else {
                rep_buf_put(b, "<td>");
            }
        }
        rep_buf_put(b, "<td>");
        rep_buf_num(b, "%.1f", t->finished - t->started);
        rep_buf_put(b, "<td>");
        rep_buf_esc(b, t->worker);
        char ts[40];
        rep_fmt_time(t->started, 1, ts);
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

void rep_section_spec(rep_buf *b, const view *v)
{
    rep_section_open(b, "spec", v->k, "Spec", v->s);
    char *pretty = v->spec ? cJSON_Print(v->spec) : NULL;
    if (!v->spec && v->s->spec_json)
        rep_buf_put(b, "<p class=\"note\">The stored spec is not valid JSON; shown as stored.</p>");
    rep_buf_put(b, "<pre>");
    rep_buf_esc(b, pretty ? pretty : v->s->spec_json ? v->s->spec_json : "(no spec stored)");
    rep_buf_put(b, "</pre></section>\n");
    cJSON_free(pretty);
}
