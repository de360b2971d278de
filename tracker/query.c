/*
 * query.c - the read API of tracker/query.h: study listings, run listings (the
 * filter and order compiled by filter.c), run and metric reads, tags, artifacts,
 * intermediate values for optimizer replay. Every reader steps its statement
 * through trk_collect (stmt.c).
 */
#include "tracker/query.h"
#include "tracker/filter.h"
#include "tracker/store_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    Q_PARAMS_OF_RUN, Q_RUN_BY_ID, Q_METRIC_HISTORY, Q_METRIC_SUMMARY, Q_RUN_TAGS,
    Q_STUDY_TAGS, Q_ARTIFACTS_RUN, Q_ARTIFACTS_STUDY, Q_STUDIES, Q_BEST_MIN, Q_BEST_MAX,
    Q_STUDY_SPEC, Q_STUDY_RESULT_GET, Q_INTERMEDIATES, Q_HAS_RUNS,
    Q_HAS_PARAM, Q_HAS_METRIC, Q_HAS_TAG, Q_PARAM_KEYS, Q_METRIC_KEYS, Q_TAG_KEYS,
    Q_COUNT
};

static const char *const query_sql[Q_COUNT] = {
    [Q_PARAMS_OF_RUN] = "SELECT key, value, num FROM params WHERE run_id = ?1 ORDER BY key",
    [Q_RUN_BY_ID] = "SELECT id, study_id, trial_number, state, value, started, finished,"
                     " worker, seed, error FROM runs WHERE id = ?1",
    [Q_METRIC_HISTORY] = "SELECT m.step, m.value, m.timestamp FROM metric_batches b"
                          " JOIN metrics m ON m.id BETWEEN b.first_id AND b.last_id"
                          " WHERE b.run_id = ?1 AND m.key = ?2 ORDER BY m.step, m.id",
    [Q_METRIC_SUMMARY] = "SELECT key, min, max, last, last_step, count FROM metric_summary"
                          " WHERE run_id = ?1 ORDER BY key",
    [Q_RUN_TAGS] = "SELECT key, value FROM tags WHERE run_id = ?1 ORDER BY key",
    [Q_STUDY_TAGS] = "SELECT key, value FROM study_tags WHERE study_id = ?1 ORDER BY key",
    [Q_ARTIFACTS_RUN] = "SELECT id, run_id, kind, path, bytes, sha256 FROM artifacts"
                         " WHERE run_id = ?1 ORDER BY id",
    [Q_ARTIFACTS_STUDY] = "SELECT id, run_id, kind, path, bytes, sha256 FROM artifacts"
                           " WHERE study_id = ?1 AND run_id IS NULL ORDER BY id",
    [Q_STUDIES] =
        "SELECT s.id, s.name, s.direction, s.status, s.created, count(r.id),"
        " sum(r.state = 'RUNNING'), sum(r.state = 'COMPLETE'), sum(r.state = 'PRUNED'),"
        " sum(r.state = 'FAIL')"
        " FROM studies s LEFT JOIN runs r ON r.study_id = s.id"
        " WHERE ?1 IS NULL OR s.name = ?1 GROUP BY s.id ORDER BY s.id",
    [Q_BEST_MIN] = "SELECT id, value, trial_number FROM runs WHERE study_id = ?1"
                    " AND state = 'COMPLETE' AND value IS NOT NULL"
                    " ORDER BY value ASC, trial_number LIMIT 1",
    [Q_BEST_MAX] = "SELECT id, value, trial_number FROM runs WHERE study_id = ?1"
                    " AND state = 'COMPLETE' AND value IS NOT NULL"
                    " ORDER BY value DESC, trial_number LIMIT 1",
    [Q_STUDY_SPEC] = "SELECT spec FROM studies WHERE id = ?1",
    [Q_STUDY_RESULT_GET] = "SELECT result, best_run_id, model_artifact_id FROM studies"
                            " WHERE id = ?1",
    [Q_INTERMEDIATES] = "SELECT r.id, r.trial_number, m.step, m.value FROM runs r"
                         " JOIN metric_batches b ON b.run_id = r.id"
                         " JOIN metrics m ON m.id BETWEEN b.first_id AND b.last_id"
                         " WHERE r.study_id = ?1 AND m.key = ?2"
                         " ORDER BY r.trial_number, m.step, m.id",

    [Q_HAS_RUNS] = "SELECT 1 FROM runs WHERE study_id = ?1 AND state != 'RUNNING' LIMIT 1",
    [Q_HAS_PARAM] = "SELECT 1 FROM params p JOIN runs r ON r.id = p.run_id"
                    " WHERE r.study_id = ?1 AND p.key = ?2 LIMIT 1",
    [Q_HAS_METRIC] = "SELECT 1 FROM metric_summary WHERE study_id = ?1 AND key = ?2 LIMIT 1",
    [Q_HAS_TAG] = "SELECT 1 FROM tags t JOIN runs r ON r.id = t.run_id"
                  " WHERE r.study_id = ?1 AND t.key = ?2 LIMIT 1",
    [Q_PARAM_KEYS] = "SELECT DISTINCT p.key FROM params p JOIN runs r ON r.id = p.run_id"
                     " WHERE r.study_id = ?1 ORDER BY 1",
    [Q_METRIC_KEYS] = "SELECT DISTINCT key FROM metric_summary WHERE study_id = ?1 ORDER BY 1",
    [Q_TAG_KEYS] = "SELECT DISTINCT t.key FROM tags t JOIN runs r ON r.id = t.run_id"
                   " WHERE r.study_id = ?1 ORDER BY 1",
};

static const trk_stmt_table query_stmts = {TRK_STMTS_QUERY, Q_COUNT, query_sql, NULL};

static sqlite3_stmt *stmt(trk_store *s, int id, char err[256])
{
    return trk_stmt_get(s, &query_stmts, id, err);
}

/* ---- run rows ------------------------------------------------------------------ */

/* Fills a trk_run from a row of (id, study_id, trial_number, state, value, started,
 * finished, worker, seed, error); a trk_collect row reader. */
static int run_row(sqlite3_stmt *st, void *elem, void *ctx)
{
    (void)ctx;
    trk_run *r = elem;
    r->id = sqlite3_column_int64(st, 0);
    r->study_id = sqlite3_column_int64(st, 1);
    r->trial_number = sqlite3_column_int(st, 2);
    int state = trk_state_parse((const char *)sqlite3_column_text(st, 3));
    r->state = state < 0 ? TRK_FAIL : (trk_state)state;
    r->value = trk_column_double(st, 4);
    r->started = trk_column_double(st, 5);
    r->finished = trk_column_double(st, 6);
    r->worker = sqlite3_column_int(st, 7);
    r->seed = sqlite3_column_int64(st, 8);
    r->error = trk_column_strdup(st, 9);
    return r->error || sqlite3_column_type(st, 9) == SQLITE_NULL ? 0 : -1;
}

static void run_clear_elem(void *elem) { trk_run_clear(elem); }

/* A param (key, value, num) from columns 0..2; a trk_collect row reader. */
static int param_row(sqlite3_stmt *st, void *elem, void *ctx)
{
    (void)ctx;
    trk_param *p = elem;
    p->key = trk_column_strdup(st, 0);
    p->value = trk_column_strdup(st, 1);
    p->num = trk_column_double(st, 2);
    return p->key && p->value ? 0 : -1;
}

static void param_clear(void *elem)
{
    trk_param *p = elem;
    free(p->key);
    free(p->value);
}

static int load_params(trk_store *s, trk_run *r, char err[256])
{
    sqlite3_stmt *st = stmt(s, Q_PARAMS_OF_RUN, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, r->id);
    void *buf = r->params;
    int rc = trk_collect(s, st, sizeof(trk_param), &buf, &r->n_params, param_row, NULL,
                         param_clear, "reading params", err);
    r->params = buf;
    return rc;
}

#define PARAM_CHUNK 256

typedef struct id_index {
    int64_t id;
    int index;
} id_index;

static int cmp_id_index(const void *a, const void *b)
{
    int64_t x = ((const id_index *)a)->id, y = ((const id_index *)b)->id;
    return (x > y) - (x < y);
}

/* Appends one param row to run r; -1 when out of memory. */
static int add_param(trk_run *r, int *cap, sqlite3_stmt *st, int col)
{
    if (r->n_params == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        trk_param *p = realloc(r->params, sizeof *p * (size_t)*cap);
        if (!p)
            return -1;
        r->params = p;
    }
    trk_param *p = &r->params[r->n_params];
    p->key = trk_column_strdup(st, col);
    p->value = trk_column_strdup(st, col + 1);
    p->num = trk_column_double(st, col + 2);
    if (!p->key || !p->value) {
        free(p->key);
        free(p->value);
        return -1;
    }
    r->n_params++;
    return 0;
}

/* Loads the params of n runs, PARAM_CHUNK runs per statement (one statement per
 * run costs a lock and a VDBE start each: 30,000 runs took ~0.3 s that way). */
static int load_params_many(trk_store *s, trk_run *runs, int n, char err[256])
{
    if (n <= 8) {
        for (int i = 0; i < n; i++)
            if (load_params(s, &runs[i], err) != 0)
                return TRK_ERR;
        return 0;
    }
    char sql[64 + PARAM_CHUNK * 2 + 64];
    size_t len = (size_t)snprintf(sql, sizeof sql,
                                  "SELECT run_id, key, value, num FROM params WHERE run_id IN (");
    for (int i = 0; i < PARAM_CHUNK; i++)
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s?", i ? "," : "");
    snprintf(sql + len, sizeof sql - len, ") ORDER BY run_id, key");
    sqlite3_stmt *st = NULL;
    id_index map[PARAM_CHUNK];
    int caps[PARAM_CHUNK], rc = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return trk_sql_fail(s, "preparing the params query", err);
    for (int base = 0; base < n && rc == 0; base += PARAM_CHUNK) {
        int m = n - base < PARAM_CHUNK ? n - base : PARAM_CHUNK;
        sqlite3_reset(st);
        for (int i = 0; i < PARAM_CHUNK; i++)
            sqlite3_bind_int64(st, i + 1, i < m ? runs[base + i].id : 0);
        for (int i = 0; i < m; i++) {
            map[i] = (id_index){runs[base + i].id, base + i};
            caps[i] = runs[base + i].n_params;
        }
        qsort(map, (size_t)m, sizeof map[0], cmp_id_index);
        int step, k = 0;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(st, 0);
            while (k < m && map[k].id < id)
                k++;
            if (k == m || map[k].id != id)
                continue;
            trk_run *r = &runs[map[k].index];
            if (add_param(r, &caps[map[k].index - base], st, 1) != 0) {
                snprintf(err, 256, "run %lld: out of memory reading params", (long long)id);
                rc = TRK_ERR;
                break;
            }
        }
        if (rc == 0 && step != SQLITE_DONE)
            rc = trk_sql_fail(s, "reading params", err);
    }
    sqlite3_finalize(st);
    return rc;
}

void trk_run_clear(trk_run *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_params; i++) {
        free(r->params[i].key);
        free(r->params[i].value);
    }
    free(r->params);
    free(r->error);
    memset(r, 0, sizeof *r);
}

void trk_run_list_free(trk_run_list *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->n; i++)
        trk_run_clear(&l->runs[i]);
    free(l->runs);
    l->runs = NULL;
    l->n = 0;
}

/* Steps a statement bound with (study_id, key): 1 if it has a row, 0 if not, <0 on error. */
static int has_row(trk_store *s, int id, int64_t study_id, const char *key, char err[256])
{
    sqlite3_stmt *st = stmt(s, id, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, study_id);
    if (key)
        sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : trk_sql_fail(s, "checking the filter's keys", err);
}

typedef struct key_check {
    trk_store *s;
    int64_t study_id;
    char *err;
} key_check;

/* A trk_filter_keys visitor: TRK_EINVAL naming the study's keys of that kind when
 * the study's runs have no such key. */
static int check_key(int kind, const char *key, size_t pos, void *ctx)
{
    static const char *const prefix[] = {"params", "metrics", "tags"};
    static const int has[] = {Q_HAS_PARAM, Q_HAS_METRIC, Q_HAS_TAG};
    static const int all[] = {Q_PARAM_KEYS, Q_METRIC_KEYS, Q_TAG_KEYS};
    key_check *c = ctx;
    int rc = has_row(c->s, has[kind], c->study_id, key, c->err);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    char known[160] = "";
    size_t len = 0;
    sqlite3_stmt *st = stmt(c->s, all[kind], c->err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, c->study_id);
    while (sqlite3_step(st) == SQLITE_ROW && len < sizeof known) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        int w = snprintf(known + len, sizeof known - len, "%s%s.%s", len ? ", " : "",
                         prefix[kind], k ? k : "");
        len += w > 0 ? (size_t)w : 0;
    }
    sqlite3_reset(st);
    if (len >= sizeof known)
        memcpy(known + sizeof known - 5, "...", 4);
    snprintf(c->err, 256, "filter: position %zu: unknown key '%s.%.60s' (known: %s)", pos + 1,
             prefix[kind], key, len ? known : "none, the study's runs have no such keys");
    return TRK_EINVAL;
}

/* An unknown params/metrics/tags key is an error rather than an empty answer.
 * Until one run of the study has finished every key may still be on its way (a
 * live study's first trial has logged nothing yet), so then nothing is checked. */
static int check_filter_keys(trk_store *s, int64_t study_id, const trk_filter *f,
                             char err[256])
{
    int any = has_row(s, Q_HAS_RUNS, study_id, NULL, err);
    if (any <= 0)
        return any;
    key_check c = {s, study_id, err};
    return trk_filter_keys(f, check_key, &c);
}

/* Runs one part of a runs query, appending rows to out. */
static int run_part(trk_store *s, int64_t study_id, const trk_filter *f, const trk_order *o,
                    int desc, int part, long limit, trk_run_list *out, char err[256])
{
    trk_sql q = {0};
    sqlite3_stmt *st = NULL;
    trk_runs_sql(&q, study_id, f, o, desc, part, limit);
    int rc = trk_sql_prepare(s, &q, &st, err);
    if (rc == 0) {
        void *buf = out->runs;
        rc = trk_collect(s, st, sizeof(trk_run), &buf, &out->n, run_row, NULL, run_clear_elem,
                         "running the runs query", err);
        out->runs = buf;
    }
    sqlite3_finalize(st);
    trk_sql_free(&q);
    return rc;
}

int trk_runs_query(trk_store *s, int64_t study_id, const trk_query *qy, trk_run_list *out,
                   char err[256])
{
    static const trk_query none = {0};
    const trk_query *q = qy ? qy : &none;
    trk_filter *f = NULL;
    trk_order *o = NULL;
    int desc = q->desc, rc, began = 0;
    out->runs = NULL;
    out->n = 0;
    if ((rc = trk_filter_parse(q->filter, &f, err)) != 0)
        goto fail;
    if (q->order_by && *q->order_by && (rc = trk_order_parse(q->order_by, &o, &desc, err)) != 0)
        goto fail;
    began = trk_read_begin(s); /* the runs and their params from one snapshot */
    if ((rc = check_filter_keys(s, study_id, f, err)) != 0)
        goto fail;
    if ((rc = run_part(s, study_id, f, o, desc, 0, q->limit, out, err)) != 0)
        goto fail;
    if (trk_order_may_miss(o) && (q->limit <= 0 || out->n < q->limit) &&
        (rc = run_part(s, study_id, f, o, desc, 1, q->limit > 0 ? q->limit - out->n : 0, out,
                       err)) != 0)
        goto fail;
    if ((rc = load_params_many(s, out->runs, out->n, err)) != 0)
        goto fail;
    goto done;
fail:
    trk_run_list_free(out);
done:
    trk_read_end(s, began);
    trk_filter_free(f);
    trk_order_free(o);
    return rc;
}

int trk_run_get(trk_store *s, int64_t run_id, trk_run *out, char err[256])
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = stmt(s, Q_RUN_BY_ID, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, run_id);
    void *buf = NULL;
    int n = 0, rc = trk_collect(s, st, sizeof(trk_run), &buf, &n, run_row, NULL, run_clear_elem,
                                "reading a run", err);
    if (rc)
        return rc;
    if (n == 0) {
        snprintf(err, 256, "run %lld: no such run in %s", (long long)run_id, s->path);
        return TRK_ENOTFOUND;
    }
    *out = *(trk_run *)buf;
    free(buf);
    if ((rc = load_params(s, out, err)) != 0) {
        trk_run_clear(out);
        return rc;
    }
    return 0;
}

/* ---- studies ------------------------------------------------------------------- */

void trk_study_info_clear(trk_study_info *st)
{
    if (!st)
        return;
    free(st->name);
    free(st->direction);
    free(st->status);
    memset(st, 0, sizeof *st);
}

void trk_studies_free(trk_study_info *list, int n)
{
    for (int i = 0; i < n; i++)
        trk_study_info_clear(&list[i]);
    free(list);
}

/* Fills best_* of a study from its COMPLETE runs. */
static int fill_best(trk_store *s, trk_study_info *si, char err[256])
{
    si->best_value = NAN;
    si->best_run_id = 0;
    si->best_trial_number = -1;
    sqlite3_stmt *st = stmt(s, strcmp(si->direction, "maximize") == 0 ? Q_BEST_MAX
                                                                          : Q_BEST_MIN, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, si->id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        si->best_run_id = sqlite3_column_int64(st, 0);
        si->best_value = trk_column_double(st, 1);
        si->best_trial_number = sqlite3_column_int(st, 2);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return trk_sql_fail(s, "finding the best run", err);
    return 0;
}

/* A trk_study_info from a Q_STUDIES row; a trk_collect row reader. */
static int study_row(sqlite3_stmt *st, void *elem, void *ctx)
{
    (void)ctx;
    trk_study_info *si = elem;
    si->id = sqlite3_column_int64(st, 0);
    si->name = trk_column_strdup(st, 1);
    si->direction = trk_column_strdup(st, 2);
    si->status = trk_column_strdup(st, 3);
    si->created = trk_column_double(st, 4);
    si->n_runs = sqlite3_column_int(st, 5);
    si->n_running = sqlite3_column_int(st, 6);
    si->n_complete = sqlite3_column_int(st, 7);
    si->n_pruned = sqlite3_column_int(st, 8);
    si->n_fail = sqlite3_column_int(st, 9);
    return si->name && si->direction && si->status ? 0 : -1;
}

static void study_clear_elem(void *elem) { trk_study_info_clear(elem); }

/* Lists studies, all of them (name NULL) or the one named. */
static int studies_select(trk_store *s, const char *name, trk_study_info **out, int *n,
                          char err[256])
{
    *out = NULL;
    *n = 0;
    int began = trk_read_begin(s);
    void *buf = NULL;
    sqlite3_stmt *st = stmt(s, Q_STUDIES, err);
    int rc = st ? 0 : TRK_ERR;
    if (st && name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    if (st)
        rc = trk_collect(s, st, sizeof(trk_study_info), &buf, n, study_row, NULL,
                         study_clear_elem, "listing studies", err);
    *out = buf;
    for (int i = 0; rc == 0 && i < *n; i++)
        rc = fill_best(s, &(*out)[i], err);
    trk_read_end(s, began);
    if (rc) {
        trk_studies_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int trk_studies_list(trk_store *s, trk_study_info **out, int *n, char err[256])
{
    return studies_select(s, NULL, out, n, err);
}

int trk_study_get(trk_store *s, const char *name, trk_study_info *out, char err[256])
{
    trk_study_info *l = NULL;
    int n = 0, rc = studies_select(s, name, &l, &n, err);
    memset(out, 0, sizeof *out);
    if (rc)
        return rc;
    if (n == 0) {
        free(l);
        snprintf(err, 256, "no study named '%s' in %s", name, s->path);
        return TRK_ENOTFOUND;
    }
    *out = l[0];
    free(l);
    return 0;
}

/* Reads one text column of one row of a cached statement keyed by id. */
static int one_text(trk_store *s, int sid, int64_t id, char **out, sqlite3_stmt **keep,
                    char err[256])
{
    *out = NULL;
    sqlite3_stmt *st = stmt(s, sid, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        snprintf(err, 256, "study %lld: no such study", (long long)id);
        return TRK_ENOTFOUND;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return trk_sql_fail(s, "reading a study", err);
    }
    *out = trk_column_strdup(st, 0);
    *keep = st;
    return 0;
}

int trk_study_spec(trk_store *s, int64_t study_id, char **spec_json, char err[256])
{
    sqlite3_stmt *st = NULL;
    int rc = one_text(s, Q_STUDY_SPEC, study_id, spec_json, &st, err);
    if (st)
        sqlite3_reset(st);
    return rc;
}

int trk_study_result(trk_store *s, int64_t study_id, char **result_json,
                     int64_t *best_run_id, int64_t *model_artifact_id, char err[256])
{
    sqlite3_stmt *st = NULL;
    int rc = one_text(s, Q_STUDY_RESULT_GET, study_id, result_json, &st, err);
    if (st) {
        if (best_run_id)
            *best_run_id = sqlite3_column_int64(st, 1);
        if (model_artifact_id)
            *model_artifact_id = sqlite3_column_int64(st, 2);
        sqlite3_reset(st);
    }
    return rc;
}

/* ---- metrics, tags, artifacts, intermediates ------------------------------------ */

static int point_row(sqlite3_stmt *st, void *elem, void *ctx)
{
    (void)ctx;
    *(trk_metric_point *)elem = (trk_metric_point){sqlite3_column_int64(st, 0),
                                                   trk_column_double(st, 1),
                                                   trk_column_double(st, 2)};
    return 0;
}

int trk_metric_history(trk_store *s, int64_t run_id, const char *key,
                       trk_metric_point **out, int *n, char err[256])
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(s, Q_METRIC_HISTORY, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    void *buf = NULL;
    int rc = trk_collect(s, st, sizeof(trk_metric_point), &buf, n, point_row, NULL, NULL,
                         "reading a metric history", err);
    *out = buf;
    return rc;
}

void trk_metric_summaries_free(trk_metric_summary *m, int n)
{
    for (int i = 0; i < n; i++)
        free(m[i].key);
    free(m);
}

static int summary_row(sqlite3_stmt *st, void *elem, void *ctx)
{
    (void)ctx;
    trk_metric_summary *m = elem;
    m->key = trk_column_strdup(st, 0);
    m->min = trk_column_double(st, 1);
    m->max = trk_column_double(st, 2);
    m->last = trk_column_double(st, 3);
    m->last_step = sqlite3_column_int64(st, 4);
    m->count = sqlite3_column_int64(st, 5);
    return m->key ? 0 : -1;
}

static void summary_clear(void *elem) { free(((trk_metric_summary *)elem)->key); }

int trk_metric_summaries(trk_store *s, int64_t run_id, trk_metric_summary **out, int *n,
                         char err[256])
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(s, Q_METRIC_SUMMARY, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, run_id);
    void *buf = NULL;
    int rc = trk_collect(s, st, sizeof(trk_metric_summary), &buf, n, summary_row, NULL,
                         summary_clear, "reading metric summaries", err);
    *out = buf;
    return rc;
}

void trk_kv_free(trk_kv *kv, int n)
{
    for (int i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static int kv_row(sqlite3_stmt *st, void *elem, void *ctx)
{
    (void)ctx;
    trk_kv *kv = elem;
    kv->key = trk_column_strdup(st, 0);
    kv->value = trk_column_strdup(st, 1);
    return kv->key && kv->value ? 0 : -1;
}

static void kv_clear(void *elem)
{
    trk_kv *kv = elem;
    free(kv->key);
    free(kv->value);
}

static int read_kv(trk_store *s, int sid, int64_t id, trk_kv **out, int *n, char err[256])
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(s, sid, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, id);
    void *buf = NULL;
    int rc = trk_collect(s, st, sizeof(trk_kv), &buf, n, kv_row, NULL, kv_clear, "reading tags",
                         err);
    *out = buf;
    return rc;
}

int trk_run_tags(trk_store *s, int64_t run_id, trk_kv **out, int *n, char err[256])
{
    return read_kv(s, Q_RUN_TAGS, run_id, out, n, err);
}

int trk_study_tags(trk_store *s, int64_t study_id, trk_kv **out, int *n, char err[256])
{
    return read_kv(s, Q_STUDY_TAGS, study_id, out, n, err);
}

void trk_artifacts_free(trk_artifact *a, int n)
{
    for (int i = 0; i < n; i++) {
        free(a[i].kind);
        free(a[i].path);
    }
    free(a);
}

static int artifact_row(sqlite3_stmt *st, void *elem, void *ctx)
{
    (void)ctx;
    trk_artifact *a = elem;
    a->id = sqlite3_column_int64(st, 0);
    a->run_id = sqlite3_column_int64(st, 1);
    a->kind = trk_column_strdup(st, 2);
    a->path = trk_column_strdup(st, 3);
    a->bytes = sqlite3_column_int64(st, 4);
    const unsigned char *h = sqlite3_column_text(st, 5);
    snprintf(a->sha256, sizeof a->sha256, "%s", h ? (const char *)h : "");
    return a->kind && a->path ? 0 : -1;
}

static void artifact_clear(void *elem)
{
    trk_artifact *a = elem;
    free(a->kind);
    free(a->path);
}

int trk_artifacts_list(trk_store *s, int64_t study_id, int64_t run_id, trk_artifact **out,
                       int *n, char err[256])
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(s, run_id > 0 ? Q_ARTIFACTS_RUN : Q_ARTIFACTS_STUDY, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, run_id > 0 ? run_id : study_id);
    void *buf = NULL;
    int rc = trk_collect(s, st, sizeof(trk_artifact), &buf, n, artifact_row, NULL,
                         artifact_clear, "reading artifacts", err);
    *out = buf;
    return rc;
}

/* The array being collected, so a re-logged step can overwrite the row before it. */
typedef struct inter_ctx {
    void **buf;
    int *n;
} inter_ctx;

static int intermediate_row(sqlite3_stmt *st, void *elem, void *ctx)
{
    const inter_ctx *c = ctx;
    trk_intermediate v = {sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1),
                          sqlite3_column_int64(st, 2), trk_column_double(st, 3)};
    trk_intermediate *prev = *c->n > 0 ? (trk_intermediate *)*c->buf + *c->n - 1 : NULL;
    if (prev && prev->run_id == v.run_id && prev->step == v.step) {
        prev->value = v.value; /* a re-logged step: the last one wins */
        return 1;
    }
    *(trk_intermediate *)elem = v;
    return 0;
}

int trk_study_intermediates(trk_store *s, int64_t study_id, trk_intermediate **out,
                            int *n, char err[256])
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(s, Q_INTERMEDIATES, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, study_id);
    sqlite3_bind_text(st, 2, TRK_INTERMEDIATE_KEY, -1, SQLITE_STATIC);
    void *buf = NULL;
    inter_ctx c = {&buf, n};
    int rc = trk_collect(s, st, sizeof(trk_intermediate), &buf, n, intermediate_row, &c, NULL,
                         "reading intermediate values", err);
    *out = buf;
    return rc;
}
