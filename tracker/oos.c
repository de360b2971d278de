/*
 * oos.c - the out-of-sample series table (see oos.h): one row per run and fold,
 * float32 blobs in native byte order (x86-64 and aarch64 are little-endian;
 * the export writes numbers, not blobs).
 */
#include "tracker/oos.h"

#include "tracker/store_int.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const oos_table =
    "CREATE TABLE IF NOT EXISTS oos_series("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " fold INTEGER NOT NULL, row0 INTEGER NOT NULL, n INTEGER NOT NULL,"
    " t0 INTEGER, t1 INTEGER, ret BLOB NOT NULL, pred BLOB NOT NULL, bh BLOB NOT NULL,"
    " PRIMARY KEY(run_id, fold))";

int trk_oos_put(trk_store *s, int64_t run_id, int fold, int row0, int64_t t0, int64_t t1,
                int n, const float *ret, const float *pred, const float *bh, char err[256])
{
    if (n < 0 || fold < -1 || !ret || !pred || !bh) {
        snprintf(err, 256, "run %lld: out-of-sample series of fold %d: bad arguments",
                 (long long)run_id, fold);
        return TRK_EINVAL;
    }
    int rc = trk_begin(s, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    if (sqlite3_exec(s->db, oos_table, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO oos_series(run_id, fold, row0, n, t0, "
                           "t1, ret, pred, bh) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", -1, &st,
                           NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int(st, 2, fold);
    sqlite3_bind_int(st, 3, row0);
    sqlite3_bind_int(st, 4, n);
    sqlite3_bind_int64(st, 5, t0);
    sqlite3_bind_int64(st, 6, t1);
    sqlite3_bind_blob(st, 7, n ? (const void *)ret : "", n * (int)sizeof(float), SQLITE_STATIC);
    sqlite3_bind_blob(st, 8, n ? (const void *)pred : "", n * (int)sizeof(float), SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, n ? (const void *)bh : "", n * (int)sizeof(float), SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(st);
    return trk_commit(s, err);
fail:
    rc = trk_sql_fail(s, "storing an out-of-sample series", err);
    sqlite3_finalize(st);
    trk_rollback(s);
    return rc;
}

void trk_oos_free(trk_oos *l, int n)
{
    for (int i = 0; l && i < n; i++) {
        free(l[i].ret);
        free(l[i].pred);
        free(l[i].bh);
    }
    free(l);
}

static float *blob_floats(sqlite3_stmt *st, int col, int n)
{
    float *v = malloc(sizeof *v * (size_t)(n > 0 ? n : 1));
    if (v && sqlite3_column_bytes(st, col) == n * (int)sizeof(float))
        memcpy(v, sqlite3_column_blob(st, col), sizeof *v * (size_t)n);
    else if (v)
        for (int i = 0; i < n; i++)
            v[i] = NAN;
    return v;
}

int trk_oos_query(trk_store *s, int64_t study_id, int64_t run_id, trk_oos **out, int *n,
                  char err[256])
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT o.run_id, r.trial_number, r.state, o.fold, o.row0, "
                           "o.n, o.t0, o.t1, o.ret, o.pred, o.bh FROM oos_series o JOIN runs r ON "
                           "r.id = o.run_id WHERE r.study_id = ?1 AND (?2 <= 0 OR o.run_id = ?2) "
                           "ORDER BY r.trial_number, o.fold", -1, &st, NULL) != SQLITE_OK) {
        /* a store that never had a series has no table */
        if (strstr(sqlite3_errmsg(s->db), "no such table"))
            return 0;
        return trk_sql_fail(s, "reading the out-of-sample series", err);
    }
    sqlite3_bind_int64(st, 1, study_id);
    sqlite3_bind_int64(st, 2, run_id);
    int cap = 0, rc;
    trk_oos *l = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            trk_oos *g = realloc(l, sizeof *l * (size_t)cap);
            if (!g)
                goto oom;
            l = g;
        }
        trk_oos *o = &l[*n];
        o->run_id = sqlite3_column_int64(st, 0);
        o->trial_number = sqlite3_column_int(st, 1);
        o->state = trk_state_parse((const char *)sqlite3_column_text(st, 2));
        o->fold = sqlite3_column_int(st, 3);
        o->row0 = sqlite3_column_int(st, 4);
        o->n = sqlite3_column_int(st, 5);
        o->t0 = sqlite3_column_int64(st, 6);
        o->t1 = sqlite3_column_int64(st, 7);
        o->ret = blob_floats(st, 8, o->n);
        o->pred = blob_floats(st, 9, o->n);
        o->bh = blob_floats(st, 10, o->n);
        (*n)++;
        if (!o->ret || !o->pred || !o->bh)
            goto oom;
    }
    if (rc != SQLITE_DONE) {
        rc = trk_sql_fail(s, "reading the out-of-sample series", err);
        sqlite3_finalize(st);
        trk_oos_free(l, *n);
        *n = 0;
        return rc;
    }
    sqlite3_finalize(st);
    *out = l;
    return 0;
oom:
    sqlite3_finalize(st);
    trk_oos_free(l, *n);
    *n = 0;
    snprintf(err, 256, "out of memory reading the out-of-sample series");
    return TRK_ERR;
}

static cJSON *float_array(const float *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, isfinite(v[i]) ? cJSON_CreateNumber((double)v[i]) : cJSON_CreateNull());
    return a;
}

cJSON *trk_oos_json(trk_store *s, int64_t study_id, int64_t run_id, char err[256])
{
    trk_oos *l = NULL;
    int n = 0;
    if (trk_oos_query(s, study_id, run_id > 0 ? run_id : -1, &l, &n, err))
        return NULL;
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "fold", l[i].fold);
        cJSON_AddNumberToObject(o, "row0", l[i].row0);
        cJSON_AddNumberToObject(o, "n", l[i].n);
        cJSON_AddNumberToObject(o, "t0", (double)l[i].t0);
        cJSON_AddNumberToObject(o, "t1", (double)l[i].t1);
        cJSON_AddItemToObject(o, "ret", float_array(l[i].ret, l[i].n));
        cJSON_AddItemToObject(o, "pred", float_array(l[i].pred, l[i].n));
        cJSON_AddItemToObject(o, "bh", float_array(l[i].bh, l[i].n));
        cJSON_AddItemToArray(a, o);
    }
    trk_oos_free(l, n);
    return a;
}
