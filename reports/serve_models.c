/*
 * serve_models.c - the dashboard's registry pages and JSON (issue 16 in the
 * dashboard of issue 21), read-only over the store through tracker/registry.h:
 *
 *   /models               registered models: versions, aliases, latest verdict and holdout
 *   /models/NAME          one model: the report's history section (versions, alias moves,
 *                         A/B comparisons, reports/ab.c) plus links to its source studies
 *   /ab                   every A/B comparison
 *   /ab/ID                one comparison: the same section and charts as `report --ab`
 *   /api/models, /api/models/NAME, /api/ab, /api/ab/ID   the same as JSON
 *
 * Every string from the store is escaped (rep_buf_esc) or goes through cJSON.
 * Unknown names and ids are 404; malformed ids 400.
 */
#include "reports/serve_int.h"

#include "reports/ab.h"
#include "tracker/registry.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Stored JSON text parsed (null when absent or unparsable). */
static void add_raw(cJSON *o, const char *key, const char *text)
{
    cJSON *v = text ? cJSON_Parse(text) : NULL;
    cJSON_AddItemToObject(o, key, v ? v : cJSON_CreateNull());
}

static cJSON *aliases_json(const char *csv)
{
    cJSON *a = cJSON_CreateArray();
    const char *p = csv ? csv : "";
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char tmp[TRK_REG_NAME_MAX + 1];
        snprintf(tmp, sizeof tmp, "%.*s", (int)n, p);
        if (n)
            cJSON_AddItemToArray(a, cJSON_CreateString(tmp));
        p += n + (e ? 1 : 0);
    }
    return a;
}

static cJSON *version_json(const trk_model_version *v)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "version", v->version);
    cJSON_AddItemToObject(o, "aliases", aliases_json(v->aliases));
    sv_json_str(o, "study", v->study_name);
    cJSON_AddNumberToObject(o, "study_id", (double)v->study_id);
    if (v->trial_number >= 0)
        cJSON_AddNumberToObject(o, "trial", v->trial_number);
    else
        cJSON_AddNullToObject(o, "trial");
    cJSON_AddStringToObject(o, "sha256", v->sha256);
    cJSON_AddNumberToObject(o, "bytes", (double)v->bytes);
    sv_json_str(o, "data_fingerprint", v->data_fingerprint);
    sv_json_num(o, "span_first", v->span_first);
    sv_json_num(o, "span_last", v->span_last);
    cJSON_AddNumberToObject(o, "interval_s", (double)v->interval_s);
    sv_json_str(o, "target_kind", v->target_kind);
    add_raw(o, "holdout", v->metrics_json);
    add_raw(o, "verdict", v->verdict_json);
    sv_json_str(o, "description", v->description);
    add_raw(o, "tags", v->tags_json);
    sv_json_num(o, "created", v->created);
    return o;
}

static cJSON *ab_json(const trk_ab_record *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)r->id);
    sv_json_num(o, "created", r->created);
    sv_json_str(o, "who", r->who);
    sv_json_str(o, "ref_a", r->ref_a);
    sv_json_str(o, "ref_b", r->ref_b);
    sv_json_str(o, "name_a", r->name_a);
    sv_json_str(o, "name_b", r->name_b);
    cJSON_AddNumberToObject(o, "version_a", r->version_a);
    cJSON_AddNumberToObject(o, "version_b", r->version_b);
    cJSON_AddStringToObject(o, "sha256_a", r->sha_a);
    cJSON_AddStringToObject(o, "sha256_b", r->sha_b);
    sv_json_str(o, "data_path", r->data_path);
    sv_json_num(o, "span_first", r->span_first);
    sv_json_num(o, "span_last", r->span_last);
    cJSON_AddNumberToObject(o, "n_bars", r->n_bars);
    sv_json_str(o, "verdict", r->verdict);
    cJSON_AddBoolToObject(o, "promoted", r->promoted);
    add_raw(o, "figures", r->figures_json);
    return o;
}

/* ---- JSON ------------------------------------------------------------------------ */

static void api_models(trk_store *s, sv_reply *out)
{
    trk_model_version *v = NULL;
    int n = 0;
    char err[256];
    if (trk_model_versions(s, NULL, &v, &n, err) != 0) {
        sv_error(out, 500, 1, "%s", err);
        return;
    }
    cJSON *root = cJSON_CreateArray();
    for (int i = 0; i < n;) {
        int j = i;
        cJSON *m = cJSON_CreateObject(), *al = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "name", v[i].name);
        for (; j < n && strcmp(v[j].name, v[i].name) == 0; j++) {
            cJSON *a = aliases_json(v[j].aliases), *e;
            cJSON_ArrayForEach(e, a) cJSON_AddNumberToObject(al, e->valuestring, v[j].version);
            cJSON_Delete(a);
        }
        cJSON_AddNumberToObject(m, "versions", j - i);
        cJSON_AddItemToObject(m, "aliases", al);
        cJSON_AddItemToObject(m, "latest", version_json(&v[j - 1]));
        cJSON_AddItemToArray(root, m);
        i = j;
    }
    trk_model_versions_free(v, n);
    sv_reply_json(out, root);
}

static void api_model(trk_store *s, const char *name, sv_reply *out)
{
    trk_model_version *v = NULL;
    trk_alias_event *e = NULL;
    trk_ab_record *r = NULL;
    int nv = 0, ne = 0, nr = 0;
    char err[256];
    int rc = trk_model_versions(s, name, &v, &nv, err);
    if (!rc)
        rc = trk_model_alias_events(s, name, &e, &ne, err);
    if (!rc)
        rc = trk_ab_list(s, name, &r, &nr, err);
    if (rc) {
        sv_error(out, rc == TRK_ENOTFOUND ? 404 : 500, 1, "%s", err);
    } else {
        cJSON *root = cJSON_CreateObject(), *vs = cJSON_CreateArray(),
              *hs = cJSON_CreateArray(), *as = cJSON_CreateArray();
        cJSON_AddStringToObject(root, "name", name);
        for (int i = 0; i < nv; i++)
            cJSON_AddItemToArray(vs, version_json(&v[i]));
        for (int i = 0; i < ne; i++) {
            cJSON *h = cJSON_CreateObject();
            cJSON_AddStringToObject(h, "alias", e[i].alias);
            if (e[i].version > 0)
                cJSON_AddNumberToObject(h, "version", e[i].version);
            else
                cJSON_AddNullToObject(h, "version");
            sv_json_num(h, "at", e[i].at);
            sv_json_str(h, "who", e[i].who);
            sv_json_str(h, "reason", e[i].reason);
            cJSON_AddItemToArray(hs, h);
        }
        for (int i = 0; i < nr; i++)
            cJSON_AddItemToArray(as, ab_json(&r[i]));
        cJSON_AddItemToObject(root, "versions", vs);
        cJSON_AddItemToObject(root, "alias_history", hs);
        cJSON_AddItemToObject(root, "ab", as);
        sv_reply_json(out, root);
    }
    trk_model_versions_free(v, nv);
    trk_alias_events_free(e, ne);
    trk_ab_records_free(r, nr);
}

/* The comparison id of path segment `text`: 0, or -1 after a 400. */
static int ab_id(const char *text, int json, int64_t *id, sv_reply *out)
{
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || v <= 0 || text[0] == '+' || text[0] == '0') {
        sv_error(out, 400, json, "A/B id: expected a positive integer");
        return -1;
    }
    *id = v;
    return 0;
}

static void api_ab_list(trk_store *s, sv_reply *out)
{
    trk_ab_record *r = NULL;
    int n = 0;
    char err[256];
    if (trk_ab_list(s, NULL, &r, &n, err) != 0) {
        sv_error(out, 500, 1, "%s", err);
        return;
    }
    cJSON *root = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(root, ab_json(&r[i]));
    trk_ab_records_free(r, n);
    sv_reply_json(out, root);
}

static void api_ab(trk_store *s, const char *text, sv_reply *out)
{
    int64_t id;
    trk_ab_record r;
    char err[256];
    if (ab_id(text, 1, &id, out))
        return;
    int rc = trk_ab_get(s, id, &r, err);
    if (rc) {
        sv_error(out, rc == TRK_ENOTFOUND ? 404 : 500, 1, "%s", err);
        return;
    }
    sv_reply_json(out, ab_json(&r));
    trk_ab_record_clear(&r);
}

int sv_models_api(sv_ctx *c, const sv_req *r, sv_reply *out)
{
    static const char *const NONE[] = {NULL};
    if (r->n_seg < 2 || r->n_seg > 3 ||
        (strcmp(r->seg[1], "models") != 0 && strcmp(r->seg[1], "ab") != 0))
        return 0;
    if (sv_args_check(r, NONE, out, 1) != 0)
        return 1;
    trk_store *s = sv_store_get(c);
    int models = strcmp(r->seg[1], "models") == 0;
    if (r->n_seg == 2)
        models ? api_models(s, out) : api_ab_list(s, out);
    else
        models ? api_model(s, r->seg[2], out) : api_ab(s, r->seg[2], out);
    sv_store_put(c, s);
    return 1;
}

/* ---- HTML ------------------------------------------------------------------------ */

static void fmt_time(double t, char out[40])
{
    if (!isfinite(t)) {
        snprintf(out, 40, "\xE2\x80\x93");
        return;
    }
    time_t tt = (time_t)floor(t);
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, 40, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(out, 40, "%.0f", t);
}

static void model_href(rep_buf *b, const char *name)
{
    rep_buf_put(b, "/models/");
    sv_url_esc(b, name);
}

static void verdict_cell(rep_buf *b, const char *verdict_json)
{
    cJSON *vj = verdict_json ? cJSON_Parse(verdict_json) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(vj, "edge");
    rep_buf_put(b, cJSON_IsTrue(e) ? "edge" : cJSON_IsFalse(e) ? "no edge" : "\xE2\x80\x93");
    cJSON_Delete(vj);
}

static void page_models(trk_store *s, sv_reply *out)
{
    trk_model_version *v = NULL;
    int n = 0;
    char err[256];
    if (trk_model_versions(s, NULL, &v, &n, err) != 0) {
        sv_error(out, 500, 0, "%s", err);
        return;
    }
    rep_buf *b = &out->body;
    sv_page_frame_open(b, "registered models", NULL);
    rep_buf_put(b, "<section id=\"models\"><h2>Registered models</h2>");
    if (n == 0)
        rep_buf_put(b, "<p class=\"note\">None yet (see <code>seqtune register</code>).</p>");
    else
        rep_buf_put(b, "<table class=\"sortable\"><thead><tr><th>model</th><th class=\"n\">"
                    "versions</th><th>aliases</th><th>latest verdict</th><th>latest holdout"
                    "</th><th>latest registered (UTC)</th></tr></thead><tbody>");
    for (int i = 0; i < n;) {
        int j = i;
        rep_buf_put(b, "<tr><td><a href=\"");
        model_href(b, v[i].name);
        rep_buf_put(b, "\">");
        rep_buf_esc(b, v[i].name);
        rep_buf_put(b, "</a></td><td class=\"n\">");
        int na = 0;
        for (; j < n && strcmp(v[j].name, v[i].name) == 0; j++)
            ;
        rep_buf_printf(b, "%d</td><td>", j - i);
        for (int k = i; k < j; k++)
            if (v[k].aliases && *v[k].aliases) {
                if (na++)
                    rep_buf_put(b, "; ");
                rep_buf_esc(b, v[k].aliases);
                rep_buf_printf(b, " \xE2\x86\x92 %d", v[k].version);
            }
        const trk_model_version *l = &v[j - 1];
        char t[40];
        fmt_time(l->created, t);
        rep_buf_put(b, "</td><td>");
        verdict_cell(b, l->verdict_json);
        rep_buf_put(b, "</td><td>");
        rep_metrics_cell(b, l->metrics_json);
        rep_buf_printf(b, "</td><td>%s</td></tr>\n", t);
        i = j;
    }
    if (n)
        rep_buf_put(b, "</tbody></table>");
    rep_buf_put(b, "<p><a href=\"/ab\">All A/B comparisons</a></p></section>");
    sv_page_frame_close(b);
    trk_model_versions_free(v, n);
}

/* Per version: its source study and trial as dashboard links, and its tags. */
static void sources_table(rep_buf *b, trk_store *s, const char *name)
{
    trk_model_version *v = NULL;
    int n = 0;
    char err[256];
    if (trk_model_versions(s, name, &v, &n, err) != 0)
        return;
    rep_buf_put(b, "<section id=\"sources\"><h2>Sources</h2><table><thead><tr><th>version</th>"
                "<th>study</th><th>trial</th><th>sha256</th><th>data fingerprint</th>"
                "<th>tags</th></tr></thead><tbody>");
    for (int i = 0; i < n; i++) {
        int64_t id;
        int live = v[i].study_name && trk_study_find(s, v[i].study_name, &id, err) == 0 &&
                   id == v[i].study_id;
        rep_buf_printf(b, "<tr><td>%d</td><td>", v[i].version);
        if (live) {
            rep_buf_put(b, "<a href=\"/studies/");
            sv_url_esc(b, v[i].study_name);
            rep_buf_put(b, "\">");
        }
        rep_buf_esc(b, v[i].study_name ? v[i].study_name : "\xE2\x80\x93");
        rep_buf_put(b, live ? "</a>" : (v[i].study_name ? " (deleted)" : ""));
        rep_buf_put(b, "</td><td>");
        if (live && v[i].trial_number >= 0) {
            rep_buf_put(b, "<a href=\"/studies/");
            sv_url_esc(b, v[i].study_name);
            rep_buf_printf(b, "/trials/%d\">#%d</a>", v[i].trial_number, v[i].trial_number);
        } else if (v[i].trial_number >= 0) {
            rep_buf_printf(b, "#%d", v[i].trial_number);
        }
        rep_buf_put(b, "</td><td><code>");
        rep_buf_esc(b, v[i].sha256);
        rep_buf_put(b, "</code></td><td>");
        rep_buf_esc(b, v[i].data_fingerprint ? v[i].data_fingerprint : "");
        rep_buf_put(b, "</td><td class=\"tags\">");
        cJSON *t = v[i].tags_json ? cJSON_Parse(v[i].tags_json) : NULL, *e;
        int k = 0;
        cJSON_ArrayForEach(e, t)
        {
            if (k++)
                rep_buf_put(b, "; ");
            rep_buf_esc(b, e->string);
            rep_buf_put(b, "=");
            rep_buf_esc(b, cJSON_IsString(e) ? e->valuestring : "");
        }
        cJSON_Delete(t);
        rep_buf_put(b, "</td></tr>");
    }
    rep_buf_put(b, "</tbody></table></section>\n");
    trk_model_versions_free(v, n);
}

/* Links to the pages of the comparisons that involve `name` (NULL: all). */
static void ab_links(rep_buf *b, trk_store *s, const char *name)
{
    trk_ab_record *r = NULL;
    int n = 0;
    char err[256];
    if (trk_ab_list(s, name, &r, &n, err) != 0)
        return;
    rep_buf_put(b, "<section id=\"ab-list\"><h2>A/B comparisons</h2>");
    if (n == 0)
        rep_buf_put(b, "<p class=\"note\">None yet (see <code>seqtune ab</code>).</p>");
    rep_buf_put(b, "<ul>");
    for (int i = 0; i < n; i++) {
        char t[40];
        fmt_time(r[i].created, t);
        rep_buf_printf(b, "<li><a href=\"/ab/%lld\">#%lld</a> %s: ", (long long)r[i].id,
                       (long long)r[i].id, t);
        rep_buf_esc(b, r[i].ref_a);
        rep_buf_put(b, " vs ");
        rep_buf_esc(b, r[i].ref_b);
        rep_buf_put(b, ": <b>");
        rep_buf_esc(b, r[i].verdict);
        rep_buf_printf(b, "</b>%s</li>", r[i].promoted ? " (promoted)" : "");
    }
    rep_buf_put(b, "</ul></section>\n");
    trk_ab_records_free(r, n);
}

static void page_model(trk_store *s, const char *name, sv_reply *out)
{
    rep_buf sec;
    char err[256];
    rep_buf_init(&sec);
    int rc = rep_model_section(&sec, s, name, err);
    if (rc) {
        rep_buf_free(&sec);
        sv_error(out, rc == TRK_ENOTFOUND ? 404 : 500, 0, "%s", err);
        return;
    }
    rep_buf *b = &out->body;
    char title[160];
    snprintf(title, sizeof title, "model %.120s", name);
    sv_page_frame_open(b, title, NULL);
    rep_buf_putn(b, sec.data, sec.len);
    sources_table(b, s, name);
    ab_links(b, s, name);
    rep_buf_put(b, "<p><a href=\"/models\">All registered models</a> \xC2\xB7 <a href=\"/api/models/");
    sv_url_esc(b, name);
    rep_buf_put(b, "\">JSON</a></p>");
    sv_page_frame_close(b);
    rep_buf_free(&sec);
}

static void page_ab(trk_store *s, const char *text, sv_reply *out)
{
    int64_t id;
    rep_buf sec;
    char err[256];
    if (ab_id(text, 0, &id, out))
        return;
    rep_buf_init(&sec);
    int rc = rep_ab_section(&sec, s, id, err);
    if (rc) {
        rep_buf_free(&sec);
        sv_error(out, rc == TRK_ENOTFOUND ? 404 : 500, 0, "%s", err);
        return;
    }
    rep_buf *b = &out->body;
    char title[64];
    snprintf(title, sizeof title, "A/B comparison %lld", (long long)id);
    sv_page_frame_open(b, title, NULL);
    rep_buf_putn(b, sec.data, sec.len);
    rep_buf_printf(b, "<p><a href=\"/ab\">All A/B comparisons</a> \xC2\xB7 <a href=\"/models\">"
                   "registered models</a> \xC2\xB7 <a href=\"/api/ab/%lld\">JSON</a></p>",
                   (long long)id);
    sv_page_frame_close(b);
    rep_buf_free(&sec);
}

int sv_models_page(sv_ctx *c, const sv_req *r, sv_reply *out)
{
    static const char *const NONE[] = {NULL};
    if (r->n_seg < 1 || r->n_seg > 2 ||
        (strcmp(r->seg[0], "models") != 0 && strcmp(r->seg[0], "ab") != 0))
        return 0;
    if (sv_args_check(r, NONE, out, 0) != 0)
        return 1;
    trk_store *s = sv_store_get(c);
    int models = strcmp(r->seg[0], "models") == 0;
    if (r->n_seg == 1 && models) {
        page_models(s, out);
    } else if (r->n_seg == 1) {
        sv_page_frame_open(&out->body, "A/B comparisons", NULL);
        ab_links(&out->body, s, NULL);
        sv_page_frame_close(&out->body);
    } else {
        models ? page_model(s, r->seg[1], out) : page_ab(s, r->seg[1], out);
    }
    sv_store_put(c, s);
    return 1;
}

void sv_study_models(rep_buf *b, trk_store *s, const char *study)
{
    trk_model_version *v = NULL;
    int n = 0, shown = 0;
    char err[256];
    int64_t sid;
    if (trk_study_find(s, study, &sid, err) != 0 || trk_model_versions(s, NULL, &v, &n, err) != 0)
        return;
    for (int i = 0; i < n; i++) {
        if (v[i].study_id != sid)
            continue;
        rep_buf_put(b, shown++ ? ", " : "<span class=\"models\">");
        rep_buf_put(b, "<a href=\"");
        model_href(b, v[i].name);
        rep_buf_put(b, "\">");
        rep_buf_esc(b, v[i].name);
        rep_buf_printf(b, "@%d</a>", v[i].version);
    }
    if (shown)
        rep_buf_put(b, "</span>");
    trk_model_versions_free(v, n);
}
