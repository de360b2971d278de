/*
 * objectives.c - the study's objectives and the runs' per-objective values
 * (tracker/objectives.h): schema step 4, its writes and its reads.
 */
#include "tracker/objectives.h"

#include "tracker/store_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Step 4. An existing study gets its one objective: the spec's search.metric
 * (a spec that is not JSON, or has none, is "value") and the study's direction. */
static const char schema_v4[] =
    "CREATE TABLE study_objectives("
    " study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,"
    " objective INTEGER NOT NULL CHECK(objective >= 0 AND objective < 4),"
    " name TEXT NOT NULL,"
    " direction TEXT NOT NULL CHECK(direction IN ('minimize','maximize')),"
    " PRIMARY KEY(study_id, objective)) WITHOUT ROWID;"
    "CREATE TABLE run_values("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " objective INTEGER NOT NULL CHECK(objective >= 0 AND objective < 4),"
    " value REAL,"
    " PRIMARY KEY(run_id, objective)) WITHOUT ROWID;"
    "INSERT INTO study_objectives(study_id, objective, name, direction)"
    " SELECT id, 0, coalesce(CASE WHEN json_valid(spec) THEN"
    "  json_extract(spec, '$.search.metric') END, 'value'), direction FROM studies;";

const char *trk_objectives_schema_step(int version)
{
    return version == 4 ? schema_v4 : NULL;
}

enum { O_LIST, O_INSERT, O_VALUE_PUT, O_VALUES, O_RUN_VALUES, O_COUNT };

static const char *const obj_sql[O_COUNT] = {
    [O_LIST] = "SELECT objective, name, direction FROM study_objectives WHERE study_id = ?1"
               " ORDER BY objective",
    [O_INSERT] = "INSERT INTO study_objectives(study_id, objective, name, direction)"
                 " VALUES(?1, ?2, ?3, ?4)",
    [O_VALUE_PUT] = "INSERT OR REPLACE INTO run_values(run_id, objective, value) VALUES(?1, ?2, ?3)",
    [O_VALUES] = "SELECT v.run_id, r.trial_number, v.objective, v.value FROM run_values v"
                 " JOIN runs r ON r.id = v.run_id WHERE r.study_id = ?1"
                 " ORDER BY r.trial_number, v.objective",
    [O_RUN_VALUES] = "SELECT v.run_id, r.trial_number, v.objective, v.value FROM run_values v"
                     " JOIN runs r ON r.id = v.run_id WHERE v.run_id = ?1 ORDER BY v.objective",
};

static const trk_stmt_table obj_stmts = {TRK_STMTS_OBJECTIVES, O_COUNT, obj_sql, NULL};

static sqlite3_stmt *stmt(trk_store *s, int id, char err[256])
{
    return trk_stmt_get(s, &obj_stmts, id, err);
}

static int objective_row(sqlite3_stmt *st, void *elem, void *ctx)
{
    (void)ctx;
    trk_objective *o = elem;
    o->name = trk_column_strdup(st, 1);
    const unsigned char *d = sqlite3_column_text(st, 2);
    o->maximize = d && strcmp((const char *)d, "maximize") == 0;
    return o->name ? 0 : -1;
}

static void objective_clear(void *elem)
{
    free(((trk_objective *)elem)->name);
}

int trk_study_objectives(trk_store *s, int64_t study_id, trk_objective **out, int *n,
                         char err[256])
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(s, O_LIST, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, study_id);
    void *buf = NULL;
    int rc = trk_collect(s, st, sizeof(trk_objective), &buf, n, objective_row, NULL,
                         objective_clear, "reading the study's objectives", err);
    *out = buf;
    return rc;
}

void trk_objectives_free(trk_objective *o, int n)
{
    for (int i = 0; i < n; i++)
        free(o[i].name);
    free(o);
}

/* "a (maximize), b (minimize)" */
static void list_text(char *out, size_t cap, int n, const char *const *names,
                      const int *maximize)
{
    size_t off = 0;
    out[0] = '\0';
    for (int i = 0; i < n && off < cap; i++)
        off += (size_t)snprintf(out + off, cap - off, "%s%.40s (%s)", i ? ", " : "", names[i],
                                maximize[i] ? "maximize" : "minimize");
}

int trk_study_set_objectives(trk_store *s, int64_t study_id, int n, const char *const *names,
                             const char *const *directions, char err[256])
{
    if (n < 1 || n > TRK_MAX_OBJECTIVES) {
        snprintf(err, 256, "study objectives: expected 1 to %d, got %d", TRK_MAX_OBJECTIVES, n);
        return TRK_EINVAL;
    }
    int want[TRK_MAX_OBJECTIVES];
    for (int i = 0; i < n; i++) {
        if (!names[i] || !directions[i] || (strcmp(directions[i], "minimize") != 0 &&
                                            strcmp(directions[i], "maximize") != 0)) {
            snprintf(err, 256, "study objectives: objective %d needs a name and \"minimize\" "
                     "or \"maximize\"", i);
            return TRK_EINVAL;
        }
        want[i] = strcmp(directions[i], "maximize") == 0;
    }
    trk_objective *have = NULL;
    int n_have = 0, rc = trk_study_objectives(s, study_id, &have, &n_have, err);
    if (rc)
        return rc;
    if (n_have > 0) {
        int same = n_have == n;
        for (int i = 0; same && i < n; i++)
            same = strcmp(have[i].name, names[i]) == 0 && have[i].maximize == want[i];
        if (!same) {
            const char *hn[TRK_MAX_OBJECTIVES];
            int hm[TRK_MAX_OBJECTIVES];
            for (int i = 0; i < n_have && i < TRK_MAX_OBJECTIVES; i++)
                hn[i] = have[i].name, hm[i] = have[i].maximize;
            char a[100], b[100];
            list_text(a, sizeof a, n_have < TRK_MAX_OBJECTIVES ? n_have : TRK_MAX_OBJECTIVES,
                      hn, hm);
            list_text(b, sizeof b, n, names, want);
            snprintf(err, 256, "the study's objectives are %.99s; the spec asks for %.99s", a, b);
            rc = TRK_EINVAL;
        }
        trk_objectives_free(have, n_have);
        return rc;
    }
    trk_objectives_free(have, n_have);
    if ((rc = trk_begin(s, err)))
        return rc;
    for (int i = 0; i < n && rc == 0; i++) {
        sqlite3_stmt *st = stmt(s, O_INSERT, err);
        if (!st) {
            rc = TRK_ERR;
            break;
        }
        sqlite3_bind_int64(st, 1, study_id);
        sqlite3_bind_int(st, 2, i);
        sqlite3_bind_text(st, 3, names[i], -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, directions[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = trk_sql_fail(s, "recording the study's objectives", err);
        sqlite3_reset(st);
    }
    if (rc == 0)
        return trk_commit(s, err);
    trk_rollback(s);
    return rc;
}

int trk_run_set_values(trk_store *s, int64_t run_id, const double *values, int n,
                       char err[256])
{
    if (n < 1 || n > TRK_MAX_OBJECTIVES) {
        snprintf(err, 256, "run %lld: expected 1 to %d objective values, got %d",
                 (long long)run_id, TRK_MAX_OBJECTIVES, n);
        return TRK_EINVAL;
    }
    int rc = trk_begin(s, err);
    if (rc)
        return rc;
    for (int i = 0; i < n && rc == 0; i++) {
        sqlite3_stmt *st = stmt(s, O_VALUE_PUT, err);
        if (!st) {
            rc = TRK_ERR;
            break;
        }
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int(st, 2, i);
        trk_bind_double(st, 3, values[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = trk_sql_fail(s, "storing the run's objective values", err);
        sqlite3_reset(st);
    }
    if (rc == 0)
        return trk_commit(s, err);
    trk_rollback(s);
    return rc;
}

typedef struct {
    void **buf;
    int *n;
} values_ctx;

/* Rows come by trial number then objective: a run's later objectives join the
 * element of its first. */
static int values_row(sqlite3_stmt *st, void *elem, void *ctx)
{
    const values_ctx *c = ctx;
    int64_t run_id = sqlite3_column_int64(st, 0);
    int k = sqlite3_column_int(st, 2);
    trk_run_values *prev = *c->n > 0 ? (trk_run_values *)*c->buf + *c->n - 1 : NULL;
    trk_run_values *r = prev && prev->run_id == run_id ? prev : elem;
    if (r == elem) {
        r->run_id = run_id;
        r->trial_number = sqlite3_column_int(st, 1);
        for (int i = 0; i < TRK_MAX_OBJECTIVES; i++)
            r->v[i] = NAN;
    }
    if (k >= 0 && k < TRK_MAX_OBJECTIVES) {
        r->v[k] = trk_column_double(st, 3);
        if (k + 1 > r->n)
            r->n = k + 1;
    }
    return r == elem ? 0 : 1;
}

/* The rows of statement `id` bound with `key` (a study or a run). */
static int collect_values(trk_store *s, int id, int64_t key, trk_run_values **out, int *n,
                          char err[256])
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(s, id, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, key);
    void *buf = NULL;
    values_ctx c = {&buf, n};
    int rc = trk_collect(s, st, sizeof(trk_run_values), &buf, n, values_row, &c, NULL,
                         "reading the runs' objective values", err);
    *out = buf;
    return rc;
}

int trk_study_run_values(trk_store *s, int64_t study_id, trk_run_values **out, int *n,
                         char err[256])
{
    return collect_values(s, O_VALUES, study_id, out, n, err);
}

int trk_run_values_get(trk_store *s, int64_t run_id, trk_run_values *out, char err[256])
{
    trk_run_values *rows = NULL;
    int n = 0, rc = collect_values(s, O_RUN_VALUES, run_id, &rows, &n, err);
    memset(out, 0, sizeof *out);
    out->run_id = run_id;
    if (rc == 0 && n > 0)
        *out = rows[0];
    free(rows);
    return rc;
}
