/*
 * serve_pages.c - the dashboard's HTML pages (serve.h lists them). They read
 * without JavaScript: links and GET forms only; the one script
 * (/static/serve.js) adds the report's table sorting and legend toggles, and on
 * a running study's page polls /api/studies/NAME/updates and writes what
 * changed into the "live" section with textContent (never as HTML).
 *
 * The study page is the report's sections (rep_render_body, the same chart
 * module and style sheet) over the cached study (serve_cache.c), without the
 * full trials table, which has its own paged page. The rendered page is kept
 * per study generation; while a study runs it is rendered again at most every
 * max(2 s, 10 x its last render time), the live section filling the gap.
 */
#include "reports/serve_int.h"

#include "reports/report.h"
#include "reports/svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SV_MAX_COMPARE 8
#define SV_MAX_CURVES 24
#define SV_WARM_STUDIES 16

static const char EXTRA_CSS[] =
    "form.q input[name=filter]{width:460px}form.q input{padding:3px 6px;margin-right:6px}"
    ".pager a{margin-right:12px}#live{background:#fafafa;padding:4px 10px 10px;border:1px solid #eee}"
    ".err{color:#D55E00;white-space:pre-wrap}";

static const char LIVE_JS[] =
    "(function(){var live=document.getElementById('live');if(!live)return;\n"
    "var url=live.getAttribute('data-updates'),cur=live.getAttribute('data-cursor'),polls=0;\n"
    "function set(id,v){var e=document.getElementById(id);if(e)e.textContent=String(v);}\n"
    "function fmt(v){return v===null||v===undefined?'\\u2013':(typeof v==='number'?"
    "String(+v.toPrecision(6)):String(v));}\n"
    "function cell(tr,t,c){var d=document.createElement('td');d.textContent=t;if(c)d.className=c;"
    "tr.appendChild(d);}\n"
    "function row(t){var tr=document.createElement('tr');tr.className='s'+t.state.charAt(0);"
    "tr.setAttribute('data-trial',String(t.number));tr.setAttribute('data-live','1');"
    "var d=document.createElement('td'),a=document.createElement('a');"
    "a.href=live.getAttribute('data-trials')+'/'+t.number;a.textContent='#'+t.number;"
    "d.appendChild(a);tr.appendChild(d);cell(tr,t.state,'st');cell(tr,fmt(t.value),'n');"
    "var p=[];for(var k in t.params)p.push(k+'='+fmt(t.params[k]));cell(tr,p.join(', '));"
    "cell(tr,t.error||'');return tr;}\n"
    "function apply(u){cur=String(u.cursor);live.setAttribute('data-cursor',cur);"
    "set('live-status',u.status);['total','COMPLETE','PRUNED','FAIL','RUNNING'].forEach("
    "function(k){set('n-'+k,u.counts[k]);});set('live-best',fmt(u.best_value));"
    "set('live-best-trial',u.best_trial===null?'\\u2013':'#'+u.best_trial);"
    "var tb=document.querySelector('#latest tbody');u.finished.forEach(function(t){"
    "var o=tb.querySelector('tr[data-trial=\"'+t.number+'\"]');if(o)o.remove();"
    "tb.insertBefore(row(t),tb.firstChild);});while(tb.rows.length>50)tb.deleteRow(-1);"
    "var ul=document.getElementById('running');ul.textContent='';u.running.forEach(function(t){"
    "var li=document.createElement('li');li.textContent='#'+t.number+' on rank '+t.worker;"
    "ul.appendChild(li);});polls++;live.setAttribute('data-polls',String(polls));"
    "if(u.status!=='RUNNING'){set('live-note','The study has stopped ('+u.status+'); reload "
    "the page for its final charts.');return false;}return true;}\n"
    "function poll(){fetch(url+'?since='+encodeURIComponent(cur)+'&wait=5',{cache:'no-store'})"
    ".then(function(r){if(!r.ok)throw new Error('HTTP '+r.status);return r.json();})"
    ".then(function(u){if(apply(u))setTimeout(poll,1000);}).catch(function(e){"
    "live.setAttribute('data-live-error',String(e&&e.message||e));setTimeout(poll,5000);});}\n"
    "if(live.getAttribute('data-status')==='RUNNING'){set('live-note','Live: updates arrive as "
    "trials finish.');setTimeout(poll,500);}})();\n";

static char *script_text;
static pthread_once_t script_once = PTHREAD_ONCE_INIT;

static void script_build(void)
{
    const char *a = rep_report_js();
    size_t n = strlen(a) + sizeof LIVE_JS + 2;
    script_text = malloc(n);
    if (script_text)
        snprintf(script_text, n, "%s\n%s", a, LIVE_JS);
}

const char *sv_script(void)
{
    pthread_once(&script_once, script_build);
    return script_text ? script_text : LIVE_JS;
}

/* ---- page frame ---------------------------------------------------------------- */

/* Opens the page: title (escaped) and the navigation line; `study` may be NULL. */
static void page_open(rep_buf *b, const char *title, const char *study)
{
    rep_buf_put(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                "<title>seqtune: ");
    rep_buf_esc(b, title);
    rep_buf_printf(b, "</title><style>%s%s</style><script src=\"/static/serve.js\" defer>"
                   "</script></head><body><header><h1>", rep_report_css(), EXTRA_CSS);
    rep_buf_esc(b, title);
    rep_buf_put(b, "</h1><nav><a href=\"/\">all studies</a><a href=\"/models\">models</a>");
    if (study) {
        rep_buf_put(b, "<a href=\"/studies/");
        sv_url_esc(b, study);
        rep_buf_put(b, "\">study</a><a href=\"/studies/");
        sv_url_esc(b, study);
        rep_buf_put(b, "/trials\">trials</a><a href=\"/api/studies/");
        sv_url_esc(b, study);
        rep_buf_put(b, "\">JSON</a>");
    }
    rep_buf_put(b, "</nav></header><main>\n");
}

static void page_close(rep_buf *b)
{
    rep_buf_put(b, "</main><footer><p class=\"note\">seqtune " SEQTUNE_VERSION
                " serve: read-only view of the store.</p></footer></body></html>\n");
}

/* The frame for serve_models.c. */
void sv_page_frame_open(rep_buf *b, const char *title, const char *study)
{
    page_open(b, title, study);
}

void sv_page_frame_close(rep_buf *b) { page_close(b); }

static void study_href(rep_buf *b, const char *name, const char *tail)
{
    rep_buf_put(b, "/studies/");
    sv_url_esc(b, name);
    rep_buf_put(b, tail);
}

/* ---- the study list ------------------------------------------------------------ */

static void page_studies(trk_store *s, sv_reply *out)
{
    trk_study_info *l = NULL;
    int n = 0;
    char err[256];
    if (trk_studies_list(s, &l, &n, err) != 0) {
        sv_error(out, 500, 0, "%s", err);
        return;
    }
    rep_buf *b = &out->body;
    page_open(b, "studies", NULL);
    rep_buf_printf(b, "<section id=\"studies\"><h2>%d stud%s</h2><form method=\"get\" "
                   "action=\"/compare\"><table class=\"sortable\"><thead><tr><th></th>"
                   "<th>study</th><th>status</th><th class=\"n\">trials</th><th class=\"n\">"
                   "complete</th><th class=\"n\">pruned</th><th class=\"n\">failed</th>"
                   "<th class=\"n\">running</th><th class=\"n\">best value</th><th>started (UTC)"
                   "</th><th>note</th><th>tags</th><th>models</th></tr></thead><tbody>", n, n == 1 ? "y" : "ies");
    for (int i = 0; i < n; i++) {
        const trk_study_info *si = &l[i];
        trk_kv *tags = NULL;
        int nt = 0;
        trk_study_tags(s, si->id, &tags, &nt, err);
        char t[40];
        rep_fmt_time(si->created, 0, t);
        rep_buf_put(b, "<tr><td><input type=\"checkbox\" name=\"study\" value=\"");
        rep_buf_esc(b, si->name);
        rep_buf_put(b, "\" aria-label=\"compare\"></td><td><a href=\"");
        study_href(b, si->name, "");
        rep_buf_put(b, "\">");
        rep_buf_esc(b, si->name);
        rep_buf_put(b, "</a></td><td class=\"st\">");
        rep_buf_esc(b, si->status);
        rep_buf_printf(b, "</td><td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">%d"
                       "</td><td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">",
                       si->n_runs, si->n_complete, si->n_pruned, si->n_fail, si->n_running);
        rep_buf_num(b, "%.6g", si->best_value);
        rep_buf_printf(b, "</td><td>%s</td><td>", t);
        for (int k = 0; k < nt; k++)
            if (strcmp(tags[k].key, "note") == 0)
                rep_buf_esc(b, tags[k].value);
        rep_buf_put(b, "</td><td>");
        for (int k = 0, shown = 0; k < nt; k++) {
            if (strcmp(tags[k].key, "note") == 0)
                continue;
            if (shown++)
                rep_buf_put(b, "; ");
            rep_buf_esc(b, tags[k].key);
            rep_buf_put(b, "=");
            rep_buf_esc(b, tags[k].value);
        }
        rep_buf_put(b, "</td><td>");
        sv_study_models(b, s, si->name); /* registry (serve_models.c) */
        rep_buf_put(b, "</td></tr>\n");
        trk_kv_free(tags, nt);
    }
    rep_buf_printf(b, "</tbody></table><p><button type=\"submit\">Compare the ticked studies"
                   "</button> <span class=\"note\">(2 to %d)</span></p></form></section>",
                   SV_MAX_COMPARE);
    page_close(b);
    trk_studies_free(l, n);
}

/* ---- the study page ------------------------------------------------------------ */

typedef struct {
    double finished;
    int idx;
} by_time;

static int cmp_by_time_desc(const void *a, const void *b)
{
    const by_time *x = a, *y = b;
    return (x->finished < y->finished) - (x->finished > y->finished);
}

static void trial_row(rep_buf *b, const char *study, const rep_trial *t)
{
    rep_buf_printf(b, "<tr class=\"s%c\" data-trial=\"%d\"><td><a href=\"",
                   rep_state_name(t->state)[0], t->number);
    study_href(b, study, "/trials/");
    rep_buf_printf(b, "%d\">#%d</a></td><td class=\"st\">%s</td><td class=\"n\">", t->number,
                   t->number, rep_state_name(t->state));
    rep_buf_num(b, "%.6g", t->value);
    rep_buf_put(b, "</td><td>");
    for (int p = 0; p < t->n_params; p++) {
        if (p)
            rep_buf_put(b, ", ");
        rep_buf_esc(b, t->params[p].key);
        rep_buf_put(b, "=");
        if (isfinite(t->params[p].num))
            rep_buf_num(b, "%.6g", t->params[p].num);
        else
            rep_buf_esc(b, t->params[p].text);
    }
    rep_buf_put(b, "</td><td>");
    rep_buf_esc(b, t->error);
    rep_buf_put(b, "</td></tr>\n");
}

/* The live section: counts, best, the latest finished trials, the running ones. */
static void live_section(rep_buf *b, const sv_study *cs)
{
    const rep_study *st = &cs->st;
    int count[REP_N_STATES] = {0}, best = -1;
    by_time *bt = malloc(sizeof *bt * (size_t)(st->n_trials + 1));
    int nf = 0;
    for (int i = 0; i < st->n_trials; i++) {
        const rep_trial *t = &st->trials[i];
        count[t->state >= 0 && t->state < REP_N_STATES ? t->state : REP_RUNNING]++;
        if (t->state == REP_COMPLETE && isfinite(t->value) &&
            (best < 0 || (st->maximize ? t->value > st->trials[best].value
                                       : t->value < st->trials[best].value)))
            best = i;
        if (bt && t->state != REP_RUNNING && isfinite(t->finished))
            bt[nf++] = (by_time){t->finished, i};
    }
    const char *status = cs->status ? cs->status : "?";
    rep_buf_put(b, "<section id=\"live\" data-updates=\"/api");
    study_href(b, st->name, "/updates\" data-trials=\"");
    study_href(b, st->name, "/trials\" data-cursor=\"");
    rep_buf_printf(b, "%.17g\" data-status=\"", cs->cursor);
    rep_buf_esc(b, status);
    rep_buf_put(b, "\"><h2>Now</h2><p>Status <b id=\"live-status\">");
    rep_buf_esc(b, status);
    rep_buf_printf(b, "</b>; <span id=\"n-total\">%d</span> trials: <span class=\"st C\" "
                   "id=\"n-COMPLETE\">%d</span> complete, <span class=\"st P\" id=\"n-PRUNED\">%d"
                   "</span> pruned, <span class=\"st F\" id=\"n-FAIL\">%d</span> failed, "
                   "<span class=\"st R\" id=\"n-RUNNING\">%d</span> running; best ",
                   st->n_trials, count[REP_COMPLETE], count[REP_PRUNED], count[REP_FAIL],
                   count[REP_RUNNING]);
    rep_buf_put(b, "<b id=\"live-best\">");
    rep_buf_num(b, "%.6g", best >= 0 ? st->trials[best].value : NAN);
    rep_buf_put(b, "</b> (<span id=\"live-best-trial\">");
    if (best >= 0)
        rep_buf_printf(b, "#%d", st->trials[best].number);
    else
        rep_buf_put(b, "\xE2\x80\x93");
    rep_buf_put(b, "</span>). <span id=\"live-note\" class=\"note\">Reload the page for newer "
                "trials (with JavaScript on, they arrive by themselves while the study runs)."
                "</span></p><h3>Latest finished trials</h3><table id=\"latest\"><thead><tr>"
                "<th>trial</th><th>state</th><th class=\"n\">value</th><th>params</th>"
                "<th>error</th></tr></thead><tbody>\n");
    if (bt) {
        qsort(bt, (size_t)nf, sizeof *bt, cmp_by_time_desc);
        for (int i = 0; i < nf && i < 20; i++)
            trial_row(b, st->name, &st->trials[bt[i].idx]);
    }
    rep_buf_put(b, "</tbody></table><h3>Running</h3><ul id=\"running\">");
    for (int i = 0; i < st->n_trials; i++)
        if (st->trials[i].state == REP_RUNNING) {
            rep_buf_printf(b, "<li>#%d on ", st->trials[i].number);
            rep_buf_esc(b, st->trials[i].worker);
            rep_buf_put(b, "</li>");
        }
    rep_buf_put(b, "</ul><p><a href=\"");
    study_href(b, st->name, "/trials\">");
    rep_buf_printf(b, "All %d trials</a>: filter, order and pages.</p></section>\n", st->n_trials);
    if (!bt)
        b->oom = 1;
    free(bt);
}

static int render_study_page(sv_study *cs, rep_buf *b, char err[256])
{
    page_open(b, cs->st.name ? cs->st.name : cs->name, cs->name);
    live_section(b, cs);
    if (rep_render_body(&cs->st, 1, REP_BODY_NO_TRIALS, b, err) != 0)
        return -1;
    page_close(b);
    return b->oom ? -1 : 0;
}

/* Renders the locked study's page again when it changed (see the top of the
 * file for how often). 0, or -1 with err set. */
static int study_page_update(sv_study *cs, char err[256])
{
    double now = sv_now();
    int stale = !cs->has_page || cs->page_gen != cs->gen;
    double age = now - cs->page_time, cost = cs->page_time > 0 ? cs->page_cost : 0;
    if (stale && (!cs->has_page || age >= fmax(2.0, 10 * cost))) {
        rep_buf nb;
        rep_buf_init(&nb);
        double t0 = sv_now();
        if (render_study_page(cs, &nb, err) != 0) {
            rep_buf_free(&nb);
            return -1;
        }
        rep_buf_free(&cs->page);
        cs->page = nb;
        cs->page_gen = cs->gen;
        cs->page_time = sv_now();
        cs->page_cost = cs->page_time - t0;
        cs->has_page = 1;
    }
    return 0;
}

void sv_study_page_refresh(sv_study *cs)
{
    char err[256];
    if (cs->has_page)
        study_page_update(cs, err);
}

static void page_study(sv_ctx *c, trk_store *s, const char *name, sv_reply *out)
{
    int status = 500;
    char err[256];
    sv_study *cs = sv_study_acquire(c, s, name, 5.0, &status, err);
    if (!cs) {
        sv_error(out, status, 0, "%s", status == 404 ? "no such study in this store" : err);
        return;
    }
    if (study_page_update(cs, err) != 0)
        sv_error(out, 500, 0, "%s", err);
    else {
        /* registry (serve_models.c): the models registered from it, after <main> */
        const char *m = strstr(cs->page.data, "<main>\n");
        size_t head = m ? (size_t)(m - cs->page.data) + 7 : 0;
        rep_buf_putn(&out->body, cs->page.data, head);
        rep_buf_put(&out->body, "<p id=\"registered\">Registered models: ");
        size_t before = out->body.len;
        sv_study_models(&out->body, s, name);
        if (out->body.len == before)
            rep_buf_put(&out->body, "none");
        rep_buf_put(&out->body, "</p>\n");
        rep_buf_putn(&out->body, cs->page.data + head, cs->page.len - head);
    }
    pthread_mutex_unlock(&cs->lock);
}

void sv_warm(sv_ctx *c, const atomic_int *stop)
{
    trk_store *s = sv_store_get(c);
    trk_study_info *l = NULL;
    int n = 0, status;
    char err[256];
    if (trk_studies_list(s, &l, &n, err) == 0)
        for (int i = n - 1; i >= 0 && i >= n - SV_WARM_STUDIES && !*stop; i--) {
            sv_study *cs = sv_study_acquire(c, s, l[i].name, 1.0, &status, err);
            if (!cs)
                continue;
            study_page_update(cs, err);
            pthread_mutex_unlock(&cs->lock);
        }
    trk_studies_free(l, n);
    sv_store_put(c, s);
}

/* ---- the trials table ------------------------------------------------------------ */

static void trials_link(rep_buf *b, const char *study, const char *filter, const char *order,
                        long limit, long offset)
{
    study_href(b, study, "/trials?");
    if (filter && *filter) {
        rep_buf_put(b, "filter=");
        sv_url_esc(b, filter);
        rep_buf_put(b, "&amp;");
    }
    if (order && *order) {
        rep_buf_put(b, "order_by=");
        sv_url_esc(b, order);
        rep_buf_put(b, "&amp;");
    }
    rep_buf_printf(b, "limit=%ld&amp;offset=%ld", limit, offset);
}

static void page_trials(sv_ctx *c, trk_store *s, const sv_req *r, const char *name,
                        sv_reply *out)
{
    static const char *const known[] = {"filter", "order_by", "limit", "offset", NULL};
    long limit, offset;
    if (sv_args_check(r, known, out, 0) ||
        sv_arg_long(r, "limit", 1, 1000, 100, &limit, out, 0) ||
        sv_arg_long(r, "offset", 0, 1000000000L, 0, &offset, out, 0))
        return;
    const char *filter = sv_arg(r, "filter"), *order = sv_arg(r, "order_by");
    if ((filter && strlen(filter) > 2000) || (order && strlen(order) > 200)) {
        sv_error(out, 400, 0, "filter or order_by: too long");
        return;
    }
    trk_study_info si;
    char err[256];
    memset(&si, 0, sizeof si);
    int rc = trk_study_find(s, name, &si.id, err);
    if (rc == 0 && !(si.name = strdup(name)))
        rc = TRK_ERR;
    if (rc != 0) {
        sv_error(out, rc == TRK_ENOTFOUND ? 404 : 500, 0, "%s",
                 rc == TRK_ENOTFOUND ? "no such study in this store" : err);
        return;
    }
    trk_run_list l = {0};
    int more = 0;
    rc = sv_trials_page(c, s, name, si.id, filter, order, limit, offset, &l, &more, err);
    if (rc != 0 && rc != TRK_EINVAL) {
        sv_error(out, 500, 0, "%s", err);
        trk_study_info_clear(&si);
        return;
    }
    rep_buf *b = &out->body;
    char title[160];
    snprintf(title, sizeof title, "%.120s: trials", si.name);
    page_open(b, title, si.name);
    rep_buf_put(b, "<section id=\"trials\"><form class=\"q\" method=\"get\" action=\"");
    study_href(b, si.name, "/trials\">");
    rep_buf_put(b, "<label>filter <input name=\"filter\" value=\"");
    rep_buf_esc(b, filter);
    rep_buf_put(b, "\" placeholder=\"params.units &gt;= 64 and state = 'COMPLETE'\"></label>"
                "<label>order by <input name=\"order_by\" value=\"");
    rep_buf_esc(b, order);
    rep_buf_printf(b, "\" placeholder=\"value desc\"></label><label>rows <input name=\"limit\" "
                   "value=\"%ld\" size=\"4\"></label><button type=\"submit\">show</button></form>",
                   limit);
    if (rc == TRK_EINVAL) {
        out->status = 400;
        rep_buf_put(b, "<p class=\"err\" id=\"query-error\">");
        rep_buf_esc(b, err);
        rep_buf_put(b, "</p></section>");
        page_close(b);
        trk_study_info_clear(&si);
        return;
    }
    /* Parameter columns: the keys of this page's rows, in order of appearance. */
    const char *keys[64];
    int nk = 0;
    for (int i = 0; i < l.n; i++)
        for (int p = 0; p < l.runs[i].n_params; p++) {
            int k = 0;
            while (k < nk && strcmp(keys[k], l.runs[i].params[p].key) != 0)
                k++;
            if (k == nk && nk < 64)
                keys[nk++] = l.runs[i].params[p].key;
        }
    rep_buf_printf(b, "<p id=\"page-info\" data-count=\"%d\" data-more=\"%d\">%s %ld\xE2\x80\x93"
                   "%ld%s.</p>", l.n, more, filter && *filter ? "Matching trials" : "Trials",
                   l.n ? offset + 1 : 0, offset + l.n, more ? " (more on the next page)" : "");
    rep_buf_put(b, "<div class=\"wrap\"><table class=\"sortable\" id=\"trials-table\"><thead><tr>"
                "<th class=\"n\">#</th><th>state</th><th class=\"n\">value</th>");
    for (int k = 0; k < nk; k++) {
        rep_buf_put(b, "<th class=\"n\">");
        rep_buf_esc(b, keys[k]);
        rep_buf_put(b, "</th>");
    }
    rep_buf_put(b, "<th class=\"n\">seconds</th><th>worker</th><th>started (UTC)</th>"
                "<th>error</th></tr></thead><tbody>\n");
    for (int i = 0; i < l.n; i++) {
        const trk_run *ru = &l.runs[i];
        rep_buf_printf(b, "<tr class=\"s%c\"><td><a href=\"", trk_state_name(ru->state)[0]);
        study_href(b, si.name, "/trials/");
        rep_buf_printf(b, "%d\">%d</a></td><td class=\"st\">%s</td><td class=\"n\">",
                       ru->trial_number, ru->trial_number, trk_state_name(ru->state));
        rep_buf_num(b, "%.6g", ru->value);
        rep_buf_put(b, "</td>");
        for (int k = 0; k < nk; k++) {
            rep_buf_put(b, "<td class=\"n\">");
            for (int p = 0; p < ru->n_params; p++)
                if (strcmp(ru->params[p].key, keys[k]) == 0)
                    rep_buf_esc(b, ru->params[p].value);
            rep_buf_put(b, "</td>");
        }
        char t[40];
        rep_fmt_time(ru->started, 0, t);
        rep_buf_put(b, "<td class=\"n\">");
        rep_buf_num(b, "%.1f", ru->finished - ru->started);
        rep_buf_printf(b, "</td><td>rank %d</td><td>%s</td><td>", ru->worker, t);
        rep_buf_esc(b, ru->error);
        rep_buf_put(b, "</td></tr>\n");
    }
    rep_buf_put(b, "</tbody></table></div><p class=\"pager\">");
    if (offset > 0) {
        rep_buf_put(b, "<a rel=\"prev\" href=\"");
        trials_link(b, si.name, filter, order, limit, offset > limit ? offset - limit : 0);
        rep_buf_put(b, "\">\xE2\x86\x90 previous</a>");
    }
    if (more) {
        rep_buf_put(b, "<a rel=\"next\" href=\"");
        trials_link(b, si.name, filter, order, limit, offset + limit);
        rep_buf_put(b, "\">next \xE2\x86\x92</a>");
    }
    rep_buf_put(b, "</p><p class=\"note\">The filter is the store's grammar (as in "
                "<code>seqtune trials --filter</code>); order by any key, e.g. "
                "<code>value</code>, <code>params.units desc</code>, <code>finished desc</code>."
                "</p></section>");
    page_close(b);
    trk_run_list_free(&l);
    trk_study_info_clear(&si);
}

/* ---- one trial -------------------------------------------------------------------- */

static void curve_chart(rep_buf *b, const char *id, const char *title, const char *ylabel,
                        const trk_metric_point *p, int n, const char *xlabel)
{
    double *x = malloc(sizeof *x * (size_t)(n + 1)), *y = malloc(sizeof *y * (size_t)(n + 1));
    if (!x || !y) {
        free(x);
        free(y);
        b->oom = 1;
        return;
    }
    for (int i = 0; i < n; i++) {
        x[i] = (double)p[i].step;
        y[i] = p[i].value;
    }
    rep_chart c;
    rep_chart_init(&c, b, id, 480, 280, REP_AXIS_LINEAR, REP_AXIS_LINEAR);
    c.x_integer = 1;
    rep_chart_fit(&c, x, y, n);
    rep_chart_begin(&c, title, xlabel, ylabel);
    rep_chart_line(&c, x, y, n, rep_palette(5), 1.5, 1, ylabel);
    rep_chart_scatter(&c, x, y, n, rep_palette(5), 2.5, 0.9, NULL, NULL, NULL);
    rep_chart_end(&c);
    free(x);
    free(y);
}

static void page_trial(trk_store *s, const char *name, const char *number, sv_reply *out)
{
    trk_study_info si;
    trk_run_list one;
    if (sv_find_trial(s, name, number, 0, &si, &one, out) != 0)
        return;
    const trk_run *r = &one.runs[0];
    char err[256], title[160], t1[40], t2[40];
    trk_kv *tags = NULL;
    trk_metric_summary *ms = NULL;
    trk_artifact *arts = NULL;
    int nt = 0, nm = 0, na = 0;
    if (trk_run_tags(s, r->id, &tags, &nt, err) || trk_metric_summaries(s, r->id, &ms, &nm, err) ||
        trk_artifacts_list(s, si.id, r->id, &arts, &na, err)) {
        sv_error(out, 500, 0, "%s", err);
        goto done;
    }
    rep_buf *b = &out->body;
    snprintf(title, sizeof title, "%.120s: trial %d", si.name, r->trial_number);
    page_open(b, title, si.name);
    rep_fmt_time(r->started, 0, t1);
    rep_fmt_time(r->finished, 0, t2);
    rep_buf_printf(b, "<section id=\"trial\"><h2>Trial %d</h2><div class=\"grid\"><div>"
                   "<table class=\"kv\"><tr><th>state</th><td class=\"st %c\">%s</td></tr>"
                   "<tr><th>value</th><td>", r->trial_number, trk_state_name(r->state)[0],
                   trk_state_name(r->state));
    rep_buf_num(b, "%.8g", r->value);
    rep_buf_printf(b, "</td></tr><tr><th>started / finished (UTC)</th><td>%s / %s</td></tr>"
                   "<tr><th>seconds</th><td>", t1, t2);
    rep_buf_num(b, "%.2f", r->finished - r->started);
    rep_buf_printf(b, "</td></tr><tr><th>worker</th><td>rank %d</td></tr><tr><th>seed</th>"
                   "<td>%lld</td></tr><tr><th>run id</th><td>%lld</td></tr></table></div>",
                   r->worker, (long long)r->seed, (long long)r->id);
    rep_buf_put(b, "<div><h3>Parameters</h3><table><thead><tr><th>parameter</th><th>value</th>"
                "</tr></thead><tbody>");
    for (int p = 0; p < r->n_params; p++) {
        rep_buf_put(b, "<tr><td>");
        rep_buf_esc(b, r->params[p].key);
        rep_buf_put(b, "</td><td class=\"n\">");
        rep_buf_esc(b, r->params[p].value);
        rep_buf_put(b, "</td></tr>");
    }
    rep_buf_put(b, "</tbody></table></div><div><h3>Tags</h3><table><tbody>");
    for (int k = 0; k < nt; k++) {
        rep_buf_put(b, "<tr><th>");
        rep_buf_esc(b, tags[k].key);
        rep_buf_put(b, "</th><td>");
        rep_buf_esc(b, tags[k].value);
        rep_buf_put(b, "</td></tr>");
    }
    rep_buf_put(b, "</tbody></table></div></div>");
    if (r->error) {
        rep_buf_put(b, "<h3>Error</h3><pre class=\"err\" id=\"trial-error\">");
        rep_buf_esc(b, r->error);
        rep_buf_put(b, "</pre>");
    }
    rep_buf_put(b, "</section><section id=\"curves\"><h2>Curves</h2><div class=\"grid\">");
    int charts = 0;
    for (int k = 0; k < nm && charts < SV_MAX_CURVES; k++) {
        if (ms[k].count < 2 && strcmp(ms[k].key, TRK_INTERMEDIATE_KEY) != 0)
            continue;
        trk_metric_point *p = NULL;
        int np = 0;
        if (trk_metric_history(s, r->id, ms[k].key, &p, &np, err) != 0)
            break;
        char id[32];
        snprintf(id, sizeof id, "curve%d", charts++);
        int per_fold = strcmp(ms[k].key, TRK_INTERMEDIATE_KEY) == 0;
        curve_chart(b, id, per_fold ? "Objective per fold" : ms[k].key, ms[k].key, p, np,
                    per_fold ? "fold" : "step (epoch)");
        free(p);
    }
    if (charts == 0)
        rep_buf_put(b, "<p>No metric histories recorded for this trial.</p>");
    rep_buf_put(b, "</div><h3>Last values</h3><table><thead><tr><th>metric</th><th class=\"n\">"
                "last</th><th class=\"n\">min</th><th class=\"n\">max</th><th class=\"n\">"
                "points</th></tr></thead><tbody>");
    for (int k = 0; k < nm; k++) {
        rep_buf_put(b, "<tr><td>");
        rep_buf_esc(b, ms[k].key);
        rep_buf_put(b, "</td><td class=\"n\">");
        rep_buf_num(b, "%.6g", ms[k].last);
        rep_buf_put(b, "</td><td class=\"n\">");
        rep_buf_num(b, "%.6g", ms[k].min);
        rep_buf_put(b, "</td><td class=\"n\">");
        rep_buf_num(b, "%.6g", ms[k].max);
        rep_buf_printf(b, "</td><td class=\"n\">%lld</td></tr>", (long long)ms[k].count);
    }
    rep_buf_put(b, "</tbody></table>");
    if (na > 0) {
        rep_buf_put(b, "<h3>Artifacts</h3><table><thead><tr><th>kind</th><th>path</th>"
                    "<th class=\"n\">bytes</th><th>sha256</th></tr></thead><tbody>");
        for (int i = 0; i < na; i++) {
            rep_buf_put(b, "<tr><td>");
            rep_buf_esc(b, arts[i].kind);
            rep_buf_put(b, "</td><td>");
            rep_buf_esc(b, arts[i].path);
            rep_buf_printf(b, "</td><td class=\"n\">%lld</td><td><code>", (long long)arts[i].bytes);
            rep_buf_esc(b, arts[i].sha256);
            rep_buf_put(b, "</code></td></tr>");
        }
        rep_buf_put(b, "</tbody></table>");
    }
    rep_buf_put(b, "</section>");
    page_close(b);
done:
    trk_kv_free(tags, nt);
    trk_metric_summaries_free(ms, nm);
    trk_artifacts_free(arts, na);
    trk_run_list_free(&one);
    trk_study_info_clear(&si);
}

/* ---- comparison ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void page_compare(sv_ctx *c, trk_store *s, const sv_req *r, sv_reply *out)
{
    static const char *const known[] = {"study", NULL};
    const char *names[SV_MAX_COMPARE];
    int n = 0;
    if (sv_args_check(r, known, out, 0))
        return;
    for (int i = 0; i < r->n_args; i++) {
        int dup = 0;
        for (int k = 0; k < n; k++)
            dup |= strcmp(names[k], r->val[i]) == 0;
        if (dup)
            continue;
        if (n == SV_MAX_COMPARE) {
            sv_error(out, 400, 0, "study: at most %d studies in one comparison", SV_MAX_COMPARE);
            return;
        }
        names[n++] = r->val[i];
    }
    if (n < 2) {
        sv_error(out, 400, 0, "study: name 2 to %d studies (compare?study=A&study=B)",
                 SV_MAX_COMPARE);
        return;
    }
    /* Locks in name order, so that two comparisons never wait on each other. */
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    sv_study *held[SV_MAX_COMPARE];
    rep_study copies[SV_MAX_COMPARE];
    int nh = 0, status = 500;
    char err[256];
    for (; nh < n; nh++) {
        held[nh] = sv_study_acquire(c, s, names[nh], 1.0, &status, err);
        if (!held[nh])
            break;
        copies[nh] = held[nh]->st; /* shallow: valid while the lock is held */
    }
    if (nh == n) {
        rep_buf *b = &out->body;
        page_open(b, "comparison", NULL);
        if (rep_render_body(copies, n, REP_BODY_NO_TRIALS, b, err) != 0) {
            rep_buf_free(b);
            rep_buf_init(b);
            sv_error(out, 500, 0, "%s", err);
        } else {
            page_close(b);
        }
    } else {
        sv_error(out, status, 0, "study '%.200s': %s", names[nh],
                 status == 404 ? "not in this store" : err);
    }
    for (int i = 0; i < nh; i++)
        pthread_mutex_unlock(&held[i]->lock);
}

void sv_page(sv_ctx *c, const sv_req *r, sv_reply *out)
{
    static const char *const NONE[] = {NULL};
    if (r->n_seg == 2 && strcmp(r->seg[0], "static") == 0 && strcmp(r->seg[1], "serve.js") == 0) {
        out->type = "text/javascript; charset=utf-8";
        rep_buf_put(&out->body, sv_script());
        return;
    }
    if (sv_models_page(c, r, out)) /* registry: /models, /ab (serve_models.c) */
        return;
    trk_store *s = sv_store_get(c);
    if (r->n_seg == 0) {
        if (sv_args_check(r, NONE, out, 0) == 0)
            page_studies(s, out);
    } else if (r->n_seg == 1 && strcmp(r->seg[0], "compare") == 0) {
        page_compare(c, s, r, out);
    } else if (r->n_seg == 2 && strcmp(r->seg[0], "studies") == 0) {
        if (sv_args_check(r, NONE, out, 0) == 0)
            page_study(c, s, r->seg[1], out);
    } else if (r->n_seg == 3 && strcmp(r->seg[0], "studies") == 0 &&
               strcmp(r->seg[2], "trials") == 0) {
        page_trials(c, s, r, r->seg[1], out);
    } else if (r->n_seg == 4 && strcmp(r->seg[0], "studies") == 0 &&
               strcmp(r->seg[2], "trials") == 0) {
        if (sv_args_check(r, NONE, out, 0) == 0)
            page_trial(s, r->seg[1], r->seg[3], out);
    } else {
        sv_error(out, 404, 0, "no such page");
    }
    sv_store_put(c, s);
}
