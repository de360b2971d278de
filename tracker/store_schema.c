/*
 * store_schema.c - the experiment store's schema and its migrations.
 *
 * Schema history (PRAGMA user_version; each step runs once, in one transaction,
 * when a writer opens an older file):
 *   1  studies, runs, params, metrics, tags (run), study_tags, artifacts
 *   2  metric_summary (last/min/max/count per run and key, kept by every metric
 *      batch, backfilled from metrics), query indexes, studies.result/best_run_id/
 *      model_artifact_id
 *   3  the model registry and A/B records (tracker/registry.c owns the step)
 *   4  study_objectives and run_values: a study's objectives and the runs'
 *      value per objective (tracker/objectives.c owns the step)
 */
#include "tracker/store_int.h"
#include "tracker/objectives.h"

#include <stdio.h>
#include <unistd.h>

static const char *const schema_steps[2] = {
    /* 1 */
    "CREATE TABLE studies("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " spec TEXT NOT NULL,"
    " direction TEXT NOT NULL CHECK(direction IN ('minimize','maximize')),"
    " created REAL NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'RUNNING'"
    "   CHECK(status IN ('RUNNING','COMPLETE','INTERRUPTED')));"
    "CREATE TABLE runs("
    " id INTEGER PRIMARY KEY,"
    " study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,"
    " trial_number INTEGER NOT NULL,"
    " state TEXT NOT NULL CHECK(state IN ('RUNNING','COMPLETE','PRUNED','FAIL')),"
    " value REAL, started REAL NOT NULL, finished REAL,"
    " worker INTEGER, seed INTEGER, error TEXT,"
    " UNIQUE(study_id, trial_number));"
    "CREATE INDEX runs_study_state ON runs(study_id, state, value);"
    "CREATE TABLE params("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " key TEXT NOT NULL, value TEXT NOT NULL, num REAL,"
    " PRIMARY KEY(run_id, key)) WITHOUT ROWID;"
    /* Append-only: id grows in logging order and a batch's rows have consecutive ids.
     * Instead of a per-row index (which would halve the logging rate), each batch
     * leaves one metric_batches row: a run's rows are the id ranges of its batches.
     * The run is checked once per batch rather than by a per-row foreign key. */
    "CREATE TABLE metrics("
    " id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, key TEXT NOT NULL,"
    " step INTEGER NOT NULL, value REAL, timestamp REAL NOT NULL);"
    "CREATE TABLE metric_batches("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " first_id INTEGER NOT NULL, last_id INTEGER NOT NULL,"
    " PRIMARY KEY(run_id, first_id)) WITHOUT ROWID;"
    "CREATE TABLE tags("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY(run_id, key)) WITHOUT ROWID;"
    "CREATE TABLE study_tags("
    " study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,"
    " key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY(study_id, key)) WITHOUT ROWID;"
    "CREATE TABLE artifacts("
    " id INTEGER PRIMARY KEY,"
    " study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,"
    " run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,"
    " kind TEXT NOT NULL, path TEXT NOT NULL UNIQUE, bytes INTEGER NOT NULL,"
    " sha256 TEXT NOT NULL, created REAL NOT NULL);"
    "CREATE INDEX artifacts_run ON artifacts(run_id);"
    "CREATE INDEX artifacts_study ON artifacts(study_id);",
    /* 2 */
    "CREATE TABLE metric_summary("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " study_id INTEGER NOT NULL,"
    " key TEXT NOT NULL, last_step INTEGER NOT NULL, last REAL, min REAL, max REAL,"
    " count INTEGER NOT NULL,"
    " PRIMARY KEY(run_id, key)) WITHOUT ROWID;"
    "INSERT INTO metric_summary(run_id, study_id, key, last_step, last, min, max, count)"
    " SELECT m.run_id, r.study_id, m.key, max(m.step),"
    "  (SELECT m2.value FROM metrics m2 WHERE m2.run_id = m.run_id AND m2.key = m.key"
    "   ORDER BY m2.step DESC, m2.id DESC LIMIT 1),"
    "  min(m.value), max(m.value), count(*)"
    " FROM metrics m JOIN runs r ON r.id = m.run_id GROUP BY m.run_id, m.key;"
    "CREATE INDEX metric_summary_order ON metric_summary(study_id, key, last);"
    "CREATE INDEX runs_study_value ON runs(study_id, value);"
    "CREATE INDEX params_key_num ON params(key, num);"
    "CREATE INDEX params_key_value ON params(key, value);"
    "CREATE INDEX tags_key_value ON tags(key, value);"
    "ALTER TABLE studies ADD COLUMN result TEXT;"
    "ALTER TABLE studies ADD COLUMN best_run_id INTEGER;"
    "ALTER TABLE studies ADD COLUMN model_artifact_id INTEGER;",
};

/* Runs fixed SQL, retrying while another process holds a lock (schema set-up
 * races between processes that open a new file at once). */
/* Runs `sql`, retrying (for 10 s at most) the BUSY answers that SQLite gives
 * without asking the busy handler (WAL recovery); a wait the busy handler gave
 * up on is final. */
int trk_exec_retry(sqlite3 *db, const char *sql)
{
    int rc;
    for (int i = 0; i < 1000; i++) {
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            return rc;
        if (sqlite3_extended_errcode(db) == SQLITE_BUSY)
            return rc;   /* the busy handler already waited its limit */
        usleep(10000);
    }
    return rc;
}

static int read_int_pragma(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Applies schema steps user_version+1 .. TRK_SCHEMA_VERSION, one transaction each;
 * the version is re-read under the write lock so concurrent openers agree. */
int trk_schema_migrate(sqlite3 *db, int target, char err[256])
{
    for (;;) {
        int v = 0;
        if (trk_exec_retry(db, "BEGIN IMMEDIATE") != SQLITE_OK ||
            read_int_pragma(db, "PRAGMA user_version", &v) != SQLITE_OK) {
            snprintf(err, 256, "schema migration: %s", sqlite3_errmsg(db));
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return TRK_ERR;
        }
        if (v >= target) {
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
            return 0;
        }
        char set_version[64];
        snprintf(set_version, sizeof set_version, "PRAGMA user_version=%d", v + 1);
        const char *step = v < 2    ? schema_steps[v]
                           : v == 2 ? trk_registry_schema_step(v + 1)
                                    : trk_objectives_schema_step(v + 1);
        if (!step || sqlite3_exec(db, step, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, set_version, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            snprintf(err, 256, "schema migration to version %d: %s", v + 1, sqlite3_errmsg(db));
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return TRK_ERR;
        }
    }
}
