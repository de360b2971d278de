/*
 * serve_api.c - the dashboard's JSON API (README, "seqtune serve"), built with
 * cJSON from the tracker's read API:
 *
 *   GET /api/studies                          every study: state, counts, best, note, tags
 *   GET /api/studies/NAME                     one study with its spec, tags and result
 *   GET /api/studies/NAME/trials?filter=&order_by=&limit=&offset=
 *   GET /api/studies/NAME/trials/N            one trial with intermediate values,
 *                                             metric histories, tags and artifacts
 *   GET /api/studies/NAME/updates?since=T&wait=S
 *                                             trials finished after cursor T, the
 *                                             running ones, counts; waits up to S s
 *                                             for a change
 *
 * NaN and infinite values are written as null. Errors are {"error": "...",
 * "status": N} with the HTTP status (400 bad parameter or filter, 404 unknown
 * study or trial, 500 store failure).
 */
#include "reports/serve_int.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SV_MAX_LIMIT 1000
#define SV_MAX_FILTER 2000
#define SV_MAX_WAIT_S 10
#define SV_UPDATE_ROWS 1000
#define SV_MAX_METRIC_KEYS 64

/* Moves the JSON text of root into the reply and deletes root. */
void sv_reply_json(sv_reply *out, cJSON *root)
{
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text) {
        sv_error(out, 500, 1, "out of memory building JSON");
        return;
    }
    out->status = 200;
    out->type = "application/json";
    rep_buf_put(&out->body, text);
    rep_buf_put(&out->body, "\n");
    cJSON_free(text);
}

static cJSON *counts_json(const trk_study_info *si)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddNumberToObject(c, "total", si->n_runs);
    cJSON_AddNumberToObject(c, "RUNNING", si->n_running);
    cJSON_AddNumberToObject(c, "COMPLETE", si->n_complete);
    cJSON_AddNumberToObject(c, "PRUNED", si->n_pruned);
    cJSON_AddNumberToObject(c, "FAIL", si->n_fail);
    return c;
}

static cJSON *tags_json(const trk_kv *kv, int n)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < n; i++)
        cJSON_AddStringToObject(o, kv[i].key, kv[i].value);
    return o;
}

/* The fields every study listing shares. */
static void study_fields(cJSON *o, const trk_study_info *si, const trk_kv *tags, int n_tags)
{
    cJSON_AddStringToObject(o, "name", si->name);
    cJSON_AddStringToObject(o, "status", si->status);
    cJSON_AddStringToObject(o, "direction", si->direction);
    sv_json_num(o, "created", si->created);
    cJSON_AddItemToObject(o, "counts", counts_json(si));
    sv_json_num(o, "best_value", si->best_value);
    if (si->best_trial_number >= 0)
        cJSON_AddNumberToObject(o, "best_trial", si->best_trial_number);
    else
        cJSON_AddNullToObject(o, "best_trial");
    const char *note = NULL;
    for (int i = 0; i < n_tags; i++)
        if (strcmp(tags[i].key, "note") == 0)
            note = tags[i].value;
    sv_json_str(o, "note", note);
    cJSON_AddItemToObject(o, "tags", tags_json(tags, n_tags));
}

static cJSON *sv_trial_json(const trk_run *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "number", r->trial_number);
    cJSON_AddNumberToObject(o, "run_id", (double)r->id);
    cJSON_AddStringToObject(o, "state", trk_state_name(r->state));
    sv_json_num(o, "value", r->value);
    sv_json_num(o, "started", r->started);
    sv_json_num(o, "finished", r->finished);
    cJSON_AddNumberToObject(o, "worker", r->worker);
    cJSON_AddNumberToObject(o, "seed", (double)r->seed);
    sv_json_str(o, "error", r->error);
    cJSON *p = cJSON_AddObjectToObject(o, "params");
    for (int j = 0; j < r->n_params; j++) {
        if (isfinite(r->params[j].num))
            cJSON_AddNumberToObject(p, r->params[j].key, r->params[j].num);
        else
            cJSON_AddStringToObject(p, r->params[j].key, r->params[j].value);
    }
    return o;
}

/* The trial number at position `offset` in trial-number order, from the cached
 * study: -1 when it is not known (numbers outside the cache's index). */
static long number_at(sv_ctx *c, trk_store *s, const char *name, long offset)
{
    int status;
    char err[256];
    sv_study *cs = sv_study_acquire(c, s, name, 1.0, &status, err);
    if (!cs)
        return -1;
    long k = -1, seen = 0, indexed = 0;
    for (int n = 0; n < cs->index_cap; n++)
        indexed += cs->index[n] >= 0;
    if (indexed == cs->st.n_trials)
        for (int n = 0; n < cs->index_cap && k < 0; n++)
            if (cs->index[n] >= 0 && seen++ == offset)
                k = n;
    pthread_mutex_unlock(&cs->lock);
    return k;
}

int sv_trials_page(sv_ctx *c, trk_store *s, const char *name, int64_t study_id,
                   const char *filter, const char *order_by, long limit, long offset,
                   trk_run_list *out, int *more, char err[256])
{
    /* A deep page of the unfiltered trial-number order starts at a known trial
     * number: ask for "trial_number >= K" instead of reading and dropping the
     * offset rows before it (at 100,000 trials the difference is seconds). */
    char from[64];
    long k = -1;
    if ((!filter || !*filter) && (!order_by || !*order_by) && offset > 0 &&
        (k = number_at(c, s, name, offset)) >= 0) {
        snprintf(from, sizeof from, "trial_number >= %ld", k);
        filter = from;
        offset = 0;
    }
    trk_query q = {.filter = filter, .order_by = order_by, .limit = offset + limit + 1};
    int rc = trk_runs_query(s, study_id, &q, out, err);
    *more = 0;
    if (rc != 0)
        return rc;
    long first = offset < out->n ? offset : out->n;
    long last = first + limit < out->n ? first + limit : out->n;
    *more = out->n > offset + limit;
    /* Drop the rows outside [first, last), keeping the list's own memory. */
    trk_run_list keep = {out->runs, out->n};
    for (long i = 0; i < keep.n; i++)
        if (i < first || i >= last)
            trk_run_clear(&keep.runs[i]);
    memmove(out->runs, out->runs + first, sizeof *out->runs * (size_t)(last - first));
    out->n = (int)(last - first);
    return 0;
}

static void api_studies(trk_store *s, sv_reply *out)
{
    trk_study_info *l = NULL;
    int n = 0;
    char err[256];
    if (trk_studies_list(s, &l, &n, err) != 0) {
        sv_error(out, 500, 1, "%s", err);
        return;
    }
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "studies");
    for (int i = 0; i < n; i++) {
        trk_kv *tags = NULL;
        int nt = 0;
        if (trk_study_tags(s, l[i].id, &tags, &nt, err) != 0) {
            cJSON_Delete(root);
            trk_studies_free(l, n);
            sv_error(out, 500, 1, "%s", err);
            return;
        }
        cJSON *o = cJSON_CreateObject();
        study_fields(o, &l[i], tags, nt);
        cJSON_AddItemToArray(arr, o);
        trk_kv_free(tags, nt);
    }
    trk_studies_free(l, n);
    sv_reply_json(out, root);
}

static int get_study(trk_store *s, const char *name, trk_study_info *si, sv_reply *out)
{
    char err[256];
    int rc = trk_study_get(s, name, si, err);
    if (rc == TRK_ENOTFOUND)
        sv_error(out, 404, 1, "study '%.200s': not in this store", name);
    else if (rc != 0)
        sv_error(out, 500, 1, "%s", err);
    return rc;
}

static void api_study(trk_store *s, const char *name, sv_reply *out)
{
    trk_study_info si;
    char err[256], *spec = NULL, *result = NULL;
    trk_kv *tags = NULL;
    int nt = 0;
    int64_t best_run = 0, model = 0;
    if (get_study(s, name, &si, out) != 0)
        return;
    if (trk_study_tags(s, si.id, &tags, &nt, err) || trk_study_spec(s, si.id, &spec, err) ||
        trk_study_result(s, si.id, &result, &best_run, &model, err)) {
        sv_error(out, 500, 1, "%s", err);
        goto done;
    }
    cJSON *root = cJSON_CreateObject();
    study_fields(root, &si, tags, nt);
    cJSON *sp = spec ? cJSON_Parse(spec) : NULL;
    if (sp)
        cJSON_AddItemToObject(root, "spec", sp);
    else
        sv_json_str(root, "spec", spec);
    cJSON *res = result ? cJSON_Parse(result) : NULL;
    if (res)
        cJSON_AddItemToObject(root, "result", res);
    else
        cJSON_AddNullToObject(root, "result");
    sv_reply_json(out, root);
done:
    free(spec);
    free(result);
    trk_kv_free(tags, nt);
    trk_study_info_clear(&si);
}

static const char *const TRIAL_ARGS[] = {"filter", "order_by", "limit", "offset", NULL};

static void api_trials(sv_ctx *c, trk_store *s, const sv_req *r, const char *name,
                       sv_reply *out)
{
    long limit, offset;
    const char *filter = sv_arg(r, "filter"), *order = sv_arg(r, "order_by");
    if (sv_args_check(r, TRIAL_ARGS, out, 1) ||
        sv_arg_long(r, "limit", 1, SV_MAX_LIMIT, 100, &limit, out, 1) ||
        sv_arg_long(r, "offset", 0, 1000000000L, 0, &offset, out, 1))
        return;
    if ((filter && strlen(filter) > SV_MAX_FILTER) || (order && strlen(order) > 200)) {
        sv_error(out, 400, 1, "filter or order_by: longer than %d characters", SV_MAX_FILTER);
        return;
    }
    int64_t id;
    char err[256];
    int rc = trk_study_find(s, name, &id, err);
    if (rc != 0) {
        sv_error(out, rc == TRK_ENOTFOUND ? 404 : 500, 1, "%s", err);
        return;
    }
    trk_run_list l = {0};
    int more = 0;
    rc = sv_trials_page(c, s, name, id, filter, order, limit, offset, &l, &more, err);
    if (rc != 0) {
        sv_error(out, rc == TRK_EINVAL ? 400 : 500, 1, "%s", err);
    } else {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "study", name);
        sv_json_str(root, "filter", filter);
        sv_json_str(root, "order_by", order);
        cJSON_AddNumberToObject(root, "limit", (double)limit);
        cJSON_AddNumberToObject(root, "offset", (double)offset);
        cJSON_AddNumberToObject(root, "count", l.n);
        cJSON_AddBoolToObject(root, "more", more);
        cJSON *arr = cJSON_AddArrayToObject(root, "trials");
        for (int i = 0; i < l.n; i++)
            cJSON_AddItemToArray(arr, sv_trial_json(&l.runs[i]));
        sv_reply_json(out, root);
    }
    trk_run_list_free(&l);
}

int sv_find_trial(trk_store *s, const char *study, const char *number_text, int json,
                  trk_study_info *si, trk_run_list *one, sv_reply *out)
{
    char *end = NULL, err[256];
    long n = number_text[0] >= '0' && number_text[0] <= '9' ? strtol(number_text, &end, 10) : -1;
    memset(one, 0, sizeof *one);
    if (!end || *end || n < 0 || n > 2000000000L) {
        sv_error(out, 400, json, "trial number: expected a whole number >= 0, got '%.40s'",
                 number_text);
        return -1;
    }
    memset(si, 0, sizeof *si);
    int rc = trk_study_find(s, study, &si->id, err);
    if (rc == 0 && !(si->name = strdup(study)))
        rc = TRK_ERR;
    if (rc != 0) {
        sv_error(out, rc == TRK_ENOTFOUND ? 404 : 500, json, "%s", err);
        return -1;
    }
    char f[64];
    snprintf(f, sizeof f, "trial_number = %ld", n);
    trk_query q = {.filter = f, .limit = 1};
    if ((rc = trk_runs_query(s, si->id, &q, one, err)) != 0 || one->n == 0) {
        if (rc)
            sv_error(out, 500, json, "%s", err);
        else
            sv_error(out, 404, json, "study '%.200s' has no trial %ld", study, n);
        trk_run_list_free(one);
        trk_study_info_clear(si);
        return -1;
    }
    return 0;
}

static void api_trial(trk_store *s, const char *name, const char *number, sv_reply *out)
{
    trk_study_info si;
    trk_run_list one;
    if (sv_find_trial(s, name, number, 1, &si, &one, out) != 0)
        return;
    const trk_run *r = &one.runs[0];
    char err[256];
    trk_kv *tags = NULL;
    trk_metric_summary *ms = NULL;
    trk_artifact *arts = NULL;
    int nt = 0, nm = 0, na = 0;
    cJSON *root = sv_trial_json(r);
    cJSON_AddStringToObject(root, "study", si.name);
    if (trk_run_tags(s, r->id, &tags, &nt, err) || trk_metric_summaries(s, r->id, &ms, &nm, err) ||
        trk_artifacts_list(s, si.id, r->id, &arts, &na, err)) {
        cJSON_Delete(root);
        sv_error(out, 500, 1, "%s", err);
        goto done;
    }
    cJSON_AddItemToObject(root, "tags", tags_json(tags, nt));
    cJSON *metrics = cJSON_AddObjectToObject(root, "metrics");
    for (int k = 0; k < nm && k < SV_MAX_METRIC_KEYS; k++) {
        trk_metric_point *p = NULL;
        int np = 0;
        if (trk_metric_history(s, r->id, ms[k].key, &p, &np, err) != 0) {
            cJSON_Delete(root);
            sv_error(out, 500, 1, "%s", err);
            goto done;
        }
        cJSON *arr = cJSON_AddArrayToObject(metrics, ms[k].key);
        for (int i = 0; i < np; i++) {
            cJSON *pt = cJSON_CreateObject();
            cJSON_AddNumberToObject(pt, "step", (double)p[i].step);
            sv_json_num(pt, "value", p[i].value);
            sv_json_num(pt, "timestamp", p[i].timestamp);
            cJSON_AddItemToArray(arr, pt);
        }
        free(p);
    }
    cJSON *aa = cJSON_AddArrayToObject(root, "artifacts");
    for (int i = 0; i < na; i++) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "kind", arts[i].kind);
        cJSON_AddStringToObject(a, "path", arts[i].path);
        cJSON_AddNumberToObject(a, "bytes", (double)arts[i].bytes);
        cJSON_AddStringToObject(a, "sha256", arts[i].sha256);
        cJSON_AddItemToArray(aa, a);
    }
    sv_reply_json(out, root);
done:
    trk_kv_free(tags, nt);
    trk_metric_summaries_free(ms, nm);
    trk_artifacts_free(arts, na);
    trk_run_list_free(&one);
    trk_study_info_clear(&si);
}

static const char *const UPDATE_ARGS[] = {"since", "wait", NULL};

/* Trials finished after `since` (strictly, on the store's clock), the running
 * ones and the counts; with wait > 0 the answer is held until a trial finishes,
 * the study stops running, or wait seconds pass (checked every 250 ms, the
 * store handle given back in between). */
static void api_updates(sv_ctx *c, const sv_req *r, const char *name, sv_reply *out)
{
    long wait;
    const char *st = sv_arg(r, "since");
    double since = 0;
    if (sv_args_check(r, UPDATE_ARGS, out, 1) ||
        sv_arg_long(r, "wait", 0, SV_MAX_WAIT_S, 0, &wait, out, 1))
        return;
    if (st) {
        char *end = NULL;
        since = strtod(st, &end);
        if (!*st || !end || *end || !isfinite(since) || since < 0) {
            sv_error(out, 400, 1, "query parameter 'since': expected a cursor (a number >= 0) "
                     "from an earlier answer, got '%.40s'", st);
            return;
        }
    }
    double deadline = sv_now() + (double)wait;
    char f[64], err[256];
    snprintf(f, sizeof f, "finished > %.17g", since);
    for (;;) {
        trk_store *s = sv_store_get(c);
        trk_study_info si;
        trk_run_list done = {0}, running = {0};
        trk_query q1 = {.filter = f, .order_by = "finished", .limit = SV_UPDATE_ROWS};
        trk_query q2 = {.filter = "state = 'RUNNING'"};
        int rc = get_study(s, name, &si, out);
        if (rc != 0) {
            sv_store_put(c, s);
            return;
        }
        if (trk_runs_query(s, si.id, &q1, &done, err) || trk_runs_query(s, si.id, &q2, &running, err)) {
            sv_store_put(c, s);
            sv_error(out, 500, 1, "%s", err);
            trk_run_list_free(&done);
            trk_study_info_clear(&si);
            return;
        }
        sv_store_put(c, s);
        int stop = done.n > 0 || sv_now() >= deadline || strcmp(si.status, "RUNNING") != 0;
        if (stop) {
            double cursor = since;
            for (int i = 0; i < done.n; i++)
                if (isfinite(done.runs[i].finished) && done.runs[i].finished > cursor)
                    cursor = done.runs[i].finished;
            cJSON *root = cJSON_CreateObject();
            cJSON_AddStringToObject(root, "study", si.name);
            cJSON_AddStringToObject(root, "status", si.status);
            cJSON_AddItemToObject(root, "counts", counts_json(&si));
            sv_json_num(root, "best_value", si.best_value);
            if (si.best_trial_number >= 0)
                cJSON_AddNumberToObject(root, "best_trial", si.best_trial_number);
            else
                cJSON_AddNullToObject(root, "best_trial");
            char cur[40];
            snprintf(cur, sizeof cur, "%.17g", cursor);
            cJSON_AddRawToObject(root, "cursor", cur);
            cJSON_AddBoolToObject(root, "more", done.n == SV_UPDATE_ROWS);
            cJSON *fa = cJSON_AddArrayToObject(root, "finished");
            for (int i = 0; i < done.n; i++)
                cJSON_AddItemToArray(fa, sv_trial_json(&done.runs[i]));
            cJSON *ra = cJSON_AddArrayToObject(root, "running");
            for (int i = 0; i < running.n; i++)
                cJSON_AddItemToArray(ra, sv_trial_json(&running.runs[i]));
            sv_reply_json(out, root);
        }
        trk_run_list_free(&done);
        trk_run_list_free(&running);
        trk_study_info_clear(&si);
        if (stop)
            return;
        struct timespec ts = {0, 250 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

void sv_api(sv_ctx *c, const sv_req *r, sv_reply *out)
{
    static const char *const NONE[] = {NULL};
    /* seg[0] is "api" */
    if (sv_models_api(c, r, out)) /* registry: /api/models, /api/ab (serve_models.c) */
        return;
    if (r->n_seg == 4 && strcmp(r->seg[1], "studies") == 0 && strcmp(r->seg[3], "updates") == 0) {
        api_updates(c, r, r->seg[2], out);
        return;
    }
    trk_store *s = sv_store_get(c);
    if (r->n_seg == 2 && strcmp(r->seg[1], "studies") == 0) {
        if (sv_args_check(r, NONE, out, 1) == 0)
            api_studies(s, out);
    } else if (r->n_seg == 3 && strcmp(r->seg[1], "studies") == 0) {
        if (sv_args_check(r, NONE, out, 1) == 0)
            api_study(s, r->seg[2], out);
    } else if (r->n_seg == 4 && strcmp(r->seg[1], "studies") == 0 &&
               strcmp(r->seg[3], "trials") == 0) {
        api_trials(c, s, r, r->seg[2], out);
    } else if (r->n_seg == 5 && strcmp(r->seg[1], "studies") == 0 &&
               strcmp(r->seg[3], "trials") == 0) {
        if (sv_args_check(r, NONE, out, 1) == 0)
            api_trial(s, r->seg[2], r->seg[4], out);
    } else {
        sv_error(out, 404, 1, "no such endpoint (see the README's JSON API)");
    }
    sv_store_put(c, s);
}
