/*
 * store_write.c - the write API of tracker/store.h: studies, runs (the run
 * lifecycle is drawn in store.h), their params, metrics and tags, artifacts.
 *
 * Every statement is a prepared statement with bound values; the SQL texts are
 * the constants below.
 */
#include "base/file.h"
#include "tracker/store_int.h"
#include "tracker/sha256.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The write side's statements. */
enum {
    ST_STUDY_BY_NAME, ST_STUDY_INSERT, ST_STUDY_UPDATE_SPEC, ST_STUDY_STATUS,
    ST_STUDY_TAG, ST_STUDY_RESULT, ST_STUDY_FAIL_RUNNING, ST_STUDY_EXISTS,
    ST_RUN_INSERT, ST_RUN_STATE, ST_RUN_FINISH, ST_PARAM_PUT, ST_METRIC_INSERT,
    ST_METRIC_LAST, ST_RUN_TAG, ST_ARTIFACT_INSERT, ST_METRIC_INSERT_MANY, ST_METRIC_BATCH,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_STUDY_BY_NAME] = "SELECT id, spec, direction FROM studies WHERE name = ?1",
    [ST_STUDY_INSERT] = "INSERT INTO studies(name, spec, direction, created, status)"
                        " VALUES(?1, ?2, ?3, ?4, 'RUNNING')",
    [ST_STUDY_UPDATE_SPEC] = "UPDATE studies SET spec = ?2, status = 'RUNNING' WHERE id = ?1",
    [ST_STUDY_STATUS] = "UPDATE studies SET status = ?2 WHERE id = ?1",
    [ST_STUDY_TAG] = "INSERT INTO study_tags(study_id, key, value) VALUES(?1, ?2, ?3)"
                     " ON CONFLICT(study_id, key) DO UPDATE SET value = excluded.value",
    [ST_STUDY_RESULT] = "UPDATE studies SET result = ?2, best_run_id = ?3,"
                        " model_artifact_id = ?4 WHERE id = ?1",
    [ST_STUDY_FAIL_RUNNING] = "UPDATE runs SET state = 'FAIL', error = ?2, finished = ?3"
                              " WHERE study_id = ?1 AND state = 'RUNNING'",
    [ST_STUDY_EXISTS] = "SELECT 1 FROM studies WHERE id = ?1",
    [ST_RUN_INSERT] = "INSERT INTO runs(study_id, trial_number, state, started, worker, seed)"
                      " VALUES(?1, ?2, 'RUNNING', ?3, ?4, ?5)",
    [ST_RUN_STATE] = "SELECT state, study_id FROM runs WHERE id = ?1",
    [ST_RUN_FINISH] = "UPDATE runs SET state = ?2, value = ?3, error = ?4, finished = ?5"
                      " WHERE id = ?1 AND state = 'RUNNING'",
    [ST_PARAM_PUT] = "INSERT INTO params(run_id, key, value, num) VALUES(?1, ?2, ?3, ?4)"
                     " ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value,"
                     " num = excluded.num",
    [ST_METRIC_INSERT] = "INSERT INTO metrics(run_id, key, step, value, timestamp)"
                         " VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_METRIC_INSERT_MANY] = NULL, /* built by metric_insert_many_sql() */
    [ST_METRIC_BATCH] = "INSERT INTO metric_batches(run_id, first_id, last_id) VALUES(?1, ?2, ?3)",
    [ST_METRIC_LAST] =
        "INSERT INTO metric_summary(run_id, key, last_step, last, min, max, count, study_id)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT(run_id, key) DO UPDATE SET"
        " last = CASE WHEN excluded.last_step >= last_step THEN excluded.last ELSE last END,"
        " last_step = max(last_step, excluded.last_step),"
        " min = CASE WHEN min IS NULL THEN excluded.min WHEN excluded.min IS NULL THEN min"
        "  ELSE min(min, excluded.min) END,"
        " max = CASE WHEN max IS NULL THEN excluded.max WHEN excluded.max IS NULL THEN max"
        "  ELSE max(max, excluded.max) END,"
        " count = count + excluded.count",
    [ST_RUN_TAG] = "INSERT INTO tags(run_id, key, value) VALUES(?1, ?2, ?3)"
                   " ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value",
    [ST_ARTIFACT_INSERT] =
        "INSERT INTO artifacts(study_id, run_id, kind, path, bytes, sha256, created)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        " ON CONFLICT(path) DO UPDATE SET kind = excluded.kind, bytes = excluded.bytes,"
        " sha256 = excluded.sha256, created = excluded.created RETURNING id",
};

/* "INSERT INTO metrics(...) VALUES(?,?,?,?,?),..." with TRK_METRIC_ROWS rows. */
static const char *metric_insert_many_sql(void)
{
    static char sql[64 + TRK_METRIC_ROWS * 12];
    if (!sql[0]) {
        size_t n = (size_t)snprintf(sql, sizeof sql,
                                    "INSERT INTO metrics(run_id, key, step, value, timestamp) VALUES");
        for (int i = 0; i < TRK_METRIC_ROWS; i++)
            n += (size_t)snprintf(sql + n, sizeof sql - n, "%s(?,?,?,?,?)", i ? "," : "");
    }
    return sql;
}

static const char *build_stmt(int id)
{
    return id == ST_METRIC_INSERT_MANY ? metric_insert_many_sql() : NULL;
}

static const trk_stmt_table write_stmts = {TRK_STMTS_WRITE, ST_COUNT, stmt_sql, build_stmt};

static sqlite3_stmt *wstmt(trk_store *s, int id, char err[256])
{
    return trk_stmt_get(s, &write_stmts, id, err);
}

static const char *const status_names[] = {"RUNNING", "COMPLETE", "INTERRUPTED"};

const char *trk_study_status_name(trk_study_status s)
{
    return (unsigned)s < 3 ? status_names[s] : "?";
}

/* ---- studies ------------------------------------------------------------------ */

/* Are the two specs' search.space objects equal? Unparsable specs compare as text. */
static int same_space(const char *a, const char *b)
{
    cJSON *ja = cJSON_Parse(a), *jb = cJSON_Parse(b);
    int same;
    if (!ja || !jb) {
        same = strcmp(a, b) == 0;
    } else {
        cJSON *sa = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ja, "search"), "space");
        cJSON *sb = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(jb, "search"), "space");
        same = (!sa && !sb) || (sa && sb && cJSON_Compare(sa, sb, 1));
    }
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    return same;
}

int trk_study_open(trk_store *s, const char *name, const char *spec_json,
                   const char *direction, int flags, int64_t *study_id, int *existed,
                   char err[256])
{
    int rc = TRK_EINVAL;
    char *old_spec = NULL;
    if (!name || !*name) {
        snprintf(err, 256, "study name is empty");
        return TRK_EINVAL;
    }
    if (!direction || (strcmp(direction, "minimize") && strcmp(direction, "maximize"))) {
        snprintf(err, 256, "study '%s': direction must be 'minimize' or 'maximize', got '%s'",
                 name, direction ? direction : "(null)");
        return TRK_EINVAL;
    }
    cJSON *probe = spec_json ? cJSON_Parse(spec_json) : NULL;
    if (!probe) {
        snprintf(err, 256, "study '%s': the spec is not valid JSON", name);
        return TRK_EINVAL;
    }
    cJSON_Delete(probe);
    if ((rc = trk_begin(s, err)) != 0)
        return rc;
    sqlite3_stmt *st = wstmt(s, ST_STUDY_BY_NAME, err);
    if (!st)
        goto fail_err;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        old_spec = trk_column_strdup(st, 1);
        const char *old_dir = (const char *)sqlite3_column_text(st, 2);
        if (!(flags & TRK_RESUME)) {
            snprintf(err, 256, "study '%s' already exists in %s (pass --resume to continue it, "
                     "or choose another name)", name, s->path);
            rc = TRK_EEXISTS;
            goto fail;
        }
        if (strcmp(old_dir ? old_dir : "", direction) != 0) {
            snprintf(err, 256, "study '%s': cannot resume with direction '%s', it was created "
                     "with '%s'", name, direction, old_dir ? old_dir : "?");
            rc = TRK_EINVAL;
            goto fail;
        }
        if (!old_spec || !same_space(old_spec, spec_json)) {
            snprintf(err, 256, "study '%s': the spec's search.space differs from the stored "
                     "one; a resumed study keeps its search space", name);
            rc = TRK_EINVAL;
            goto fail;
        }
        sqlite3_reset(st);
        if (!(st = wstmt(s, ST_STUDY_UPDATE_SPEC, err)))
            goto fail_err;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, spec_json, -1, SQLITE_TRANSIENT);
        if (trk_step_done(s, st, "updating the study", err))
            goto fail_err;
        *study_id = id;
        if (existed)
            *existed = 1;
    } else if (step == SQLITE_DONE) {
        sqlite3_reset(st);
        if (!(st = wstmt(s, ST_STUDY_INSERT, err)))
            goto fail_err;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, spec_json, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, direction, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 4, trk_now_s());
        if (trk_step_done(s, st, "creating the study", err))
            goto fail_err;
        *study_id = sqlite3_last_insert_rowid(s->db);
        if (existed)
            *existed = 0;
    } else {
        trk_sql_fail(s, "looking the study up", err);
        goto fail_err;
    }
    if ((rc = trk_commit(s, err)) != 0)
        goto fail;
    free(old_spec);
    return 0;
fail_err:
    rc = TRK_ERR;
fail:
    if (st)
        sqlite3_reset(st);
    trk_rollback(s);
    free(old_spec);
    return rc;
}

int trk_study_find(trk_store *s, const char *name, int64_t *study_id, char err[256])
{
    sqlite3_stmt *st = wstmt(s, ST_STUDY_BY_NAME, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *study_id = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return trk_sql_fail(s, "looking the study up", err);
    snprintf(err, 256, "no study named '%s' in %s", name, s->path);
    return TRK_ENOTFOUND;
}

/* Runs one cached write statement inside its own transaction; `durable` commits with
 * the WAL fsynced. `bind` fills the statement's parameters. Returns the number of
 * changed rows through *changes (may be NULL). */
typedef void (*binder)(sqlite3_stmt *st, const void *ctx);

static int write_one(trk_store *s, int id, binder bind, const void *ctx, int durable,
                     const char *what, int *changes, char err[256])
{
    int rc;
    if (durable && (rc = trk_sync_full(s, err)) != 0)
        return rc;
    if ((rc = trk_begin(s, err)) != 0)
        goto out;
    sqlite3_stmt *st = wstmt(s, id, err);
    if (!st) {
        rc = TRK_ERR;
        goto fail;
    }
    bind(st, ctx);
    int step = sqlite3_step(st);
    if (step != SQLITE_DONE && step != SQLITE_ROW) {
        int ext = sqlite3_extended_errcode(s->db);
        trk_sql_fail(s, what, err);
        sqlite3_reset(st);
        rc = ext == SQLITE_CONSTRAINT_FOREIGNKEY ? TRK_ENOTFOUND : TRK_ERR;
        goto fail;
    }
    sqlite3_reset(st);
    if (changes)
        *changes = sqlite3_changes(s->db);
    if ((rc = trk_commit(s, err)) != 0)
        goto fail;
    goto out;
fail:
    trk_rollback(s);
out:
    if (durable)
        trk_sync_normal(s);
    return rc;
}

struct status_ctx { int64_t id; const char *text; int64_t a, b; double t; };

static void bind_status(sqlite3_stmt *st, const void *p)
{
    const struct status_ctx *c = p;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_text(st, 2, c->text, -1, SQLITE_STATIC);
}

/* One UPDATE of study c->id's row: TRK_ENOTFOUND when no row changed. */
static int write_study_row(trk_store *s, int stmt_id, binder bind,
                           const struct status_ctx *c, const char *what, char err[256])
{
    int changes = 0;
    err[0] = '\0';
    int rc = write_one(s, stmt_id, bind, c, 1, what, &changes, err);
    if (rc == 0 && changes == 0) {
        snprintf(err, 256, "study %lld: no such study", (long long)c->id);
        return TRK_ENOTFOUND;
    }
    return rc;
}

int trk_study_set_status(trk_store *s, int64_t study_id, trk_study_status stt, char err[256])
{
    if ((unsigned)stt > TRK_STUDY_INTERRUPTED) {
        snprintf(err, 256, "study %lld: invalid status %d", (long long)study_id, (int)stt);
        return TRK_EINVAL;
    }
    struct status_ctx c = {study_id, trk_study_status_name(stt), 0, 0, 0};
    return write_study_row(s, ST_STUDY_STATUS, bind_status, &c, "setting the study status", err);
}

struct kv_ctx { int64_t id; const char *key, *value; };

static void bind_kv(sqlite3_stmt *st, const void *p)
{
    const struct kv_ctx *c = p;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_text(st, 2, c->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->value, -1, SQLITE_STATIC);
}

static int set_tag(trk_store *s, int id, int64_t owner, const char *key, const char *value,
                   const char *what, char err[256])
{
    if (!key || !*key || !value) {
        snprintf(err, 256, "%s %lld: tag key must be non-empty and value non-NULL", what,
                 (long long)owner);
        return TRK_EINVAL;
    }
    struct kv_ctx c = {owner, key, value};
    err[0] = '\0';
    int rc = write_one(s, id, bind_kv, &c, 0, "setting a tag", NULL, err);
    if (rc == TRK_ENOTFOUND)
        snprintf(err, 256, "%s %lld: no such %s", what, (long long)owner, what);
    return rc;
}

int trk_study_set_tag(trk_store *s, int64_t study_id, const char *key, const char *value,
                      char err[256])
{
    return set_tag(s, ST_STUDY_TAG, study_id, key, value, "study", err);
}

int trk_run_set_tag(trk_store *s, int64_t run_id, const char *key, const char *value,
                    char err[256])
{
    return set_tag(s, ST_RUN_TAG, run_id, key, value, "run", err);
}

static void bind_result(sqlite3_stmt *st, const void *p)
{
    const struct status_ctx *c = p;
    sqlite3_bind_int64(st, 1, c->id);
    if (c->text)
        sqlite3_bind_text(st, 2, c->text, -1, SQLITE_STATIC);
    if (c->a > 0)
        sqlite3_bind_int64(st, 3, c->a);
    if (c->b > 0)
        sqlite3_bind_int64(st, 4, c->b);
}

int trk_study_set_result(trk_store *s, int64_t study_id, const char *result_json,
                         int64_t best_run_id, int64_t model_artifact_id, char err[256])
{
    if (result_json) {
        cJSON *probe = cJSON_Parse(result_json);
        if (!probe) {
            snprintf(err, 256, "study %lld: the result is not valid JSON", (long long)study_id);
            return TRK_EINVAL;
        }
        cJSON_Delete(probe);
    }
    struct status_ctx c = {study_id, result_json, best_run_id, model_artifact_id, 0};
    return write_study_row(s, ST_STUDY_RESULT, bind_result, &c, "storing the study result", err);
}

static void bind_fail_running(sqlite3_stmt *st, const void *p)
{
    const struct status_ctx *c = p;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_text(st, 2, c->text, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, c->t);
}

int trk_study_fail_running(trk_store *s, int64_t study_id, const char *reason,
                           int *n_marked, char err[256])
{
    struct status_ctx c = {study_id, reason ? reason : "lost", 0, 0, trk_now_s()};
    int changes = 0;
    err[0] = '\0';
    int rc = write_one(s, ST_STUDY_FAIL_RUNNING, bind_fail_running, &c, 1,
                       "failing the running runs", &changes, err);
    if (n_marked)
        *n_marked = rc == 0 ? changes : 0;
    return rc;
}

/* ---- runs --------------------------------------------------------------------- */

int trk_run_start(trk_store *s, int64_t study_id, int trial_number, int worker,
                  int64_t seed, int64_t *run_id, char err[256])
{
    int rc;
    if ((rc = trk_begin(s, err)) != 0)
        return rc;
    sqlite3_stmt *st = wstmt(s, ST_RUN_INSERT, err);
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, study_id);
    sqlite3_bind_int(st, 2, trial_number);
    sqlite3_bind_double(st, 3, trk_now_s());
    sqlite3_bind_int(st, 4, worker);
    sqlite3_bind_int64(st, 5, seed);
    if (sqlite3_step(st) != SQLITE_DONE) {
        int ext = sqlite3_extended_errcode(s->db);
        sqlite3_reset(st);
        if (ext == SQLITE_CONSTRAINT_FOREIGNKEY) {
            snprintf(err, 256, "study %lld: no such study", (long long)study_id);
            rc = TRK_ENOTFOUND;
        } else if (ext == SQLITE_CONSTRAINT_UNIQUE) {
            snprintf(err, 256, "study %lld: trial number %d already exists",
                     (long long)study_id, trial_number);
            rc = TRK_EINVAL;
        } else {
            rc = trk_sql_fail(s, "starting a run", err);
        }
        trk_rollback(s);
        return rc;
    }
    sqlite3_reset(st);
    *run_id = sqlite3_last_insert_rowid(s->db);
    if ((rc = trk_commit(s, err)) != 0)
        goto fail;
    return 0;
fail:
    trk_rollback(s);
    return TRK_ERR;
}

int trk_run_log_params(trk_store *s, int64_t run_id, const trk_param_in *p, int n,
                       char err[256])
{
    int rc;
    for (int i = 0; i < n; i++)
        if (!p[i].key || !*p[i].key || !p[i].value) {
            snprintf(err, 256, "run %lld: param %d has an empty key or a NULL value",
                     (long long)run_id, i);
            return TRK_EINVAL;
        }
    if ((rc = trk_begin(s, err)) != 0)
        return rc;
    sqlite3_stmt *st = wstmt(s, ST_PARAM_PUT, err);
    if (!st)
        goto fail;
    for (int i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_text(st, 2, p[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, p[i].value, -1, SQLITE_STATIC);
        trk_bind_double(st, 4, p[i].num);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto fail_step;
        sqlite3_reset(st);
    }
    if (trk_commit(s, err) != 0)
        goto fail;
    return 0;
fail_step:
    sqlite3_reset(st);
    if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY) {
        snprintf(err, 256, "run %lld: no such run", (long long)run_id);
        trk_rollback(s);
        return TRK_ENOTFOUND;
    }
    trk_sql_fail(s, "logging params", err);
fail:
    trk_rollback(s);
    return TRK_ERR;
}

/* Per-key aggregate of one metric batch, upserted into metric_summary. */
typedef struct batch_key {
    const char *key;
    int64_t last_step;
    double last, min, max;
    int64_t count;
} batch_key;

/* Folds row m into the batch's per-key aggregates. */
static void batch_key_add(batch_key *keys, int *nk, const trk_metric_in *m)
{
    int k = *nk - 1;
    if (k < 0 || strcmp(keys[k].key, m->key) != 0)
        for (k = 0; k < *nk && strcmp(keys[k].key, m->key) != 0; k++)
            ;
    if (k == *nk)
        keys[(*nk)++] = (batch_key){m->key, m->step, m->value, NAN, NAN, 0};
    batch_key *b = &keys[k];
    double v = m->value;
    if (m->step >= b->last_step) {
        b->last_step = m->step;
        b->last = v;
    }
    if (!isnan(v)) {
        b->min = isnan(b->min) ? v : fmin(b->min, v);
        b->max = isnan(b->max) ? v : fmax(b->max, v);
    }
    b->count++;
}

/* Binds the 5 columns of row m at parameter offset `at` of an insert statement. */
static void bind_metric(sqlite3_stmt *st, int at, int64_t run_id, const trk_metric_in *m,
                        double t_now)
{
    sqlite3_bind_int64(st, at + 1, run_id);
    sqlite3_bind_text(st, at + 2, m->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, at + 3, m->step);
    trk_bind_double(st, at + 4, m->value);
    sqlite3_bind_double(st, at + 5, m->timestamp > 0 ? m->timestamp : t_now);
}

int trk_run_log_metrics(trk_store *s, int64_t run_id, const trk_metric_in *m, int n,
                        char err[256])
{
    int rc = TRK_ERR, nk = 0;
    batch_key *keys = NULL;
    sqlite3_stmt *st = NULL;
    if (n <= 0)
        return 0;
    for (int i = 0; i < n; i++)
        if (!m[i].key || !*m[i].key) {
            snprintf(err, 256, "run %lld: metric row %d has an empty key", (long long)run_id, i);
            return TRK_EINVAL;
        }
    keys = malloc(sizeof *keys * (size_t)n);
    if (!keys) {
        snprintf(err, 256, "run %lld: out of memory", (long long)run_id);
        return TRK_ERR;
    }
    if ((rc = trk_begin(s, err)) != 0)
        goto out;
    rc = TRK_ERR;
    /* The run must exist: checked once per batch (metrics has no foreign key). */
    if (!(st = wstmt(s, ST_RUN_STATE, err)))
        goto fail;
    sqlite3_bind_int64(st, 1, run_id);
    int found = sqlite3_step(st);
    int64_t study_id = found == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (found != SQLITE_ROW) {
        if (found == SQLITE_DONE) {
            snprintf(err, 256, "run %lld: no such run", (long long)run_id);
            rc = TRK_ENOTFOUND;
        } else {
            rc = trk_sql_fail(s, "logging metrics", err);
        }
        goto fail;
    }
    /* Rows go in TRK_METRIC_ROWS at a time, the rest one by one; inside the write
     * transaction their ids are consecutive. */
    double t_now = trk_now_s();
    int64_t first_id = 0;
    int i = 0;
    if (n >= TRK_METRIC_ROWS && !(st = wstmt(s, ST_METRIC_INSERT_MANY, err)))
        goto fail;
    for (; i + TRK_METRIC_ROWS <= n; i += TRK_METRIC_ROWS) {
        for (int j = 0; j < TRK_METRIC_ROWS; j++)
            bind_metric(st, 5 * j, run_id, &m[i + j], t_now);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto fail_step;
        sqlite3_reset(st);
        if (i == 0)
            first_id = sqlite3_last_insert_rowid(s->db) - TRK_METRIC_ROWS + 1;
    }
    if (i < n && !(st = wstmt(s, ST_METRIC_INSERT, err)))
        goto fail;
    for (int j = i; j < n; j++) {
        bind_metric(st, 0, run_id, &m[j], t_now);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto fail_step;
        sqlite3_reset(st);
        if (j == 0)
            first_id = sqlite3_last_insert_rowid(s->db);
    }
    int64_t last_id = sqlite3_last_insert_rowid(s->db);
    assert(last_id - first_id + 1 == n);
    if (!(st = wstmt(s, ST_METRIC_BATCH, err)))
        goto fail;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, first_id);
    sqlite3_bind_int64(st, 3, last_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto fail_step;
    sqlite3_reset(st);
    for (int j = 0; j < n; j++)
        batch_key_add(keys, &nk, &m[j]);
    if (!(st = wstmt(s, ST_METRIC_LAST, err)))
        goto fail;
    for (int k = 0; k < nk; k++) {
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_text(st, 2, keys[k].key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, keys[k].last_step);
        trk_bind_double(st, 4, keys[k].last);
        trk_bind_double(st, 5, keys[k].min);
        trk_bind_double(st, 6, keys[k].max);
        sqlite3_bind_int64(st, 7, keys[k].count);
        sqlite3_bind_int64(st, 8, study_id);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto fail_step;
        sqlite3_reset(st);
    }
    if ((rc = trk_commit(s, err)) != 0)
        goto fail;
    goto out;
fail_step:
    sqlite3_reset(st);
    rc = trk_sql_fail(s, "logging metrics", err);
fail:
    if (rc == 0)
        rc = TRK_ERR;
    trk_rollback(s);
out:
    free(keys);
    return rc;
}

int trk_run_finish(trk_store *s, int64_t run_id, trk_state state, double value,
                   const char *error, char err[256])
{
    int rc;
    if (!trial_state_can_move(TRK_RUNNING, state)) {
        snprintf(err, 256, "run %lld: a run finishes COMPLETE, PRUNED or FAIL, not %s",
                 (long long)run_id, trk_state_name(state));
        return TRK_EINVAL;
    }
    if ((rc = trk_sync_full(s, err)) != 0)
        return rc;
    if ((rc = trk_begin(s, err)) != 0)
        goto out;
    sqlite3_stmt *st = wstmt(s, ST_RUN_FINISH, err);
    if (!st) {
        rc = TRK_ERR;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, trk_state_name(state), -1, SQLITE_STATIC);
    trk_bind_double(st, 3, value);
    if (state == TRK_FAIL && error)
        sqlite3_bind_text(st, 4, error, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 5, trk_now_s());
    if ((rc = trk_step_done(s, st, "finishing a run", err)) != 0)
        goto fail;
    /* the UPDATE moves only a RUNNING run (invariant 1): one row or none */
    assert(sqlite3_changes(s->db) <= 1);
    if (sqlite3_changes(s->db) == 0) {
        sqlite3_stmt *q = wstmt(s, ST_RUN_STATE, err);
        if (!q) {
            rc = TRK_ERR;
            goto fail;
        }
        sqlite3_bind_int64(q, 1, run_id);
        if (sqlite3_step(q) == SQLITE_ROW) {
            snprintf(err, 256, "run %lld: already finished (%s)", (long long)run_id,
                     (const char *)sqlite3_column_text(q, 0));
            rc = TRK_EINVAL;
        } else {
            snprintf(err, 256, "run %lld: no such run", (long long)run_id);
            rc = TRK_ENOTFOUND;
        }
        sqlite3_reset(q);
        goto fail;
    }
    if ((rc = trk_commit(s, err)) != 0)
        goto fail;
    goto out;
fail:
    trk_rollback(s);
out:
    trk_sync_normal(s);
    return rc;
}

/* ---- artifacts ---------------------------------------------------------------- */

/* A relative name without empty, "." or ".." components (nothing escapes the folder). */
static int safe_name(const char *name)
{
    if (!name || !*name || name[0] == '/')
        return 0;
    const char *p = name;
    while (*p) {
        size_t len = strcspn(p, "/");
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        p += len;
        if (*p == '/')
            p++;
        if (*p == '\0' && p[-1] == '/')
            return 0;
    }
    return strchr(name, '\\') == NULL;
}

int trk_artifact_put(trk_store *s, int64_t study_id, int64_t run_id, const char *kind,
                     const char *name, const void *data, size_t len, int64_t *artifact_id,
                     char err[256])
{
    int rc;
    if (!safe_name(name)) {
        snprintf(err, 256, "artifact name '%s': must be a relative path without '..' or "
                 "empty components", name ? name : "(null)");
        return TRK_EINVAL;
    }
    if (!kind || !*kind) {
        snprintf(err, 256, "artifact '%s': kind is empty", name);
        return TRK_EINVAL;
    }
    char rel[4096], full[4200], hex[65];
    if (run_id > 0)
        snprintf(rel, sizeof rel, "%lld/%lld/%s", (long long)study_id, (long long)run_id, name);
    else
        snprintf(rel, sizeof rel, "%lld/study/%s", (long long)study_id, name);
    snprintf(full, sizeof full, "%s/%s", s->artifact_root, rel);
    if (s->readonly) {
        snprintf(err, 256, "%s: store is open read-only", s->path);
        return TRK_EINVAL;
    }
    /* The owner must exist before a file is written for it. */
    sqlite3_stmt *q = wstmt(s, run_id > 0 ? ST_RUN_STATE : ST_STUDY_EXISTS, err);
    if (!q)
        return TRK_ERR;
    sqlite3_bind_int64(q, 1, run_id > 0 ? run_id : study_id);
    int found = sqlite3_step(q) == SQLITE_ROW;
    int owner_study = run_id > 0 && found ? sqlite3_column_int64(q, 1) == study_id : 1;
    sqlite3_reset(q);
    if (!found || !owner_study) {
        snprintf(err, 256, run_id > 0 ? "run %lld: no such run in study %lld"
                                      : "study %lld: no such study",
                 (long long)(run_id > 0 ? run_id : study_id), (long long)study_id);
        return TRK_ENOTFOUND;
    }
    if (base_file_make_parents(full) != 0) {
        snprintf(err, 256, "%.200s: %s", full, strerror(errno));
        return TRK_ERR;
    }
    if ((rc = trk_file_write_durable(full, data, len, err)) != 0)
        return rc;
    trk_sha256_hex(data, len, hex);
    if ((rc = trk_begin(s, err)) != 0)
        return rc;
    sqlite3_stmt *st = wstmt(s, ST_ARTIFACT_INSERT, err);
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, study_id);
    if (run_id > 0)
        sqlite3_bind_int64(st, 2, run_id);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, rel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)len);
    sqlite3_bind_text(st, 6, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 7, trk_now_s());
    if (sqlite3_step(st) != SQLITE_ROW) {
        trk_sql_fail(s, "recording an artifact", err);
        sqlite3_reset(st);
        goto fail;
    }
    if (artifact_id)
        *artifact_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (trk_commit(s, err) != 0)
        goto fail;
    return 0;
fail:
    trk_rollback(s);
    return TRK_ERR;
}

int trk_artifact_put_file(trk_store *s, int64_t study_id, int64_t run_id, const char *kind,
                          const char *name, const char *src_path, int64_t *artifact_id,
                          char err[256])
{
    size_t size = 0;
    char *buf = base_file_read(src_path, SIZE_MAX / 2, &size, err);
    if (!buf)
        return TRK_ERR;
    int rc = trk_artifact_put(s, study_id, run_id, kind, name, buf, size, artifact_id, err);
    free(buf);
    return rc;
}
