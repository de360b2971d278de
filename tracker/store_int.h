/*
 * store_int.h - private to tracker/: the store struct and its cache of prepared
 * statements, shared by store.c (writes), query.c (reads) and export.c.
 */
#ifndef TRK_STORE_INT_H
#define TRK_STORE_INT_H

#include "tracker/store.h"

#include <sqlite3.h>

/* Metric rows per multi-row INSERT statement. */
#define TRK_METRIC_ROWS 50

/* Fixed statements, prepared once on first use (SQL text in store.c). */
enum {
    ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SYNC_FULL, ST_SYNC_NORMAL,
    ST_STUDY_BY_NAME, ST_STUDY_INSERT, ST_STUDY_UPDATE_SPEC, ST_STUDY_STATUS,
    ST_STUDY_TAG, ST_STUDY_RESULT, ST_STUDY_FAIL_RUNNING, ST_STUDY_EXISTS,
    ST_RUN_INSERT, ST_RUN_STATE, ST_RUN_FINISH, ST_PARAM_PUT, ST_METRIC_INSERT,
    ST_METRIC_LAST, ST_RUN_TAG, ST_ARTIFACT_INSERT,
    ST_PARAMS_OF_RUN, ST_RUN_BY_ID, ST_METRIC_HISTORY, ST_METRIC_SUMMARY,
    ST_RUN_TAGS, ST_STUDY_TAGS, ST_ARTIFACTS_RUN, ST_ARTIFACTS_STUDY,
    ST_STUDIES, ST_BEST_MIN, ST_BEST_MAX, ST_STUDY_SPEC, ST_STUDY_RESULT_GET,
    ST_INTERMEDIATES, ST_METRIC_INSERT_MANY, ST_METRIC_BATCH, ST_BEGIN_READ, ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
    ST_COUNT
};

struct trk_store {
    sqlite3 *db;
    char *path;
    char *artifact_root;
    int readonly;
    int nosync;          /* TRK_NOSYNC: synchronous=OFF, no fsync on finish */
    int batch;           /* inside trk_store_batch_begin/end */
    sqlite3_stmt *st[ST_COUNT];
    trk_wait_opts wait;  /* how a locked store is waited for */
    double busy_since;   /* CLOCK_MONOTONIC start of the current wait, 0 none */
    int noticed;         /* the wait's notice went out */
    int gave_up;         /* 1 the wait passed its limit, 2 a stop request */
};

/* The cached statement `id`, reset and unbound; NULL with `err` filled on failure. */
sqlite3_stmt *trk_stmt(trk_store *s, int id, char err[256]);

/* Fills err with "<what>: <sqlite message>" and returns TRK_ERR. */
int trk_sql_fail(trk_store *s, const char *what, char err[256]);

/* Binds a double, NaN as NULL. */
int trk_bind_double(sqlite3_stmt *st, int i, double v);
/* Reads a double column, NULL as NaN. */
double trk_column_double(sqlite3_stmt *st, int i);
/* strdup of a text column; NULL for SQL NULL. Caller frees. */
char *trk_column_strdup(sqlite3_stmt *st, int i);

/* A read transaction around several statements (one snapshot, one lock): returns
 * 1 if it began one (end it with trk_read_end), 0 when already inside one. */
int trk_read_begin(trk_store *s);
void trk_read_end(trk_store *s, int began);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK on the cached statements. */
int trk_begin(trk_store *s, char err[256]);
int trk_commit(trk_store *s, char err[256]);
void trk_rollback(trk_store *s);

/* Applies schema steps up to `target` (for tests: build an old-version file). */
int trk_schema_migrate(sqlite3 *db, int target, char err[256]);

#endif
