/*
 * store_int.h - private to tracker/: the store struct and its cache of prepared
 * statement tables (stmt.c), shared by store.c (writes), query.c (reads),
 * filter.c and export.c.
 */
#ifndef TRK_STORE_INT_H
#define TRK_STORE_INT_H

#include "tracker/store.h"

#include <sqlite3.h>

/* Metric rows per multi-row INSERT statement. */
#define TRK_METRIC_ROWS 50

/* Statement tables. Each file of tracker/ that runs fixed SQL owns one table of
 * SQL texts, indexed by its own private enum; the store prepares each statement on
 * first use and keeps it until trk_store_close. A table's slot says where. */
enum { TRK_STMTS_STORE, TRK_STMTS_WRITE, TRK_STMTS_QUERY, TRK_STMTS_ADMIN,
       TRK_STMTS_REGISTRY, TRK_STMTS_OBJECTIVES, TRK_STMTS_COUNT };

typedef struct trk_stmt_table {
    int slot;                       /* one of TRK_STMTS_STORE... */
    int n;                          /* entries in sql */
    const char *const *sql;         /* the texts; a NULL entry is built by build() */
    const char *(*build)(int id);   /* may be NULL */
} trk_stmt_table;

struct trk_store {
    sqlite3 *db;
    char *path;
    char *artifact_root;
    int readonly;
    int nosync;          /* TRK_NOSYNC: synchronous=OFF, no fsync on finish */
    int batch;           /* inside trk_store_batch_begin/end */
    sqlite3_stmt **stmts[TRK_STMTS_COUNT]; /* per table, allocated on first use */
    int n_stmts[TRK_STMTS_COUNT];
    trk_wait_opts wait;  /* how a locked store is waited for */
    double busy_since;   /* CLOCK_MONOTONIC start of the current wait, 0 none */
    int noticed;         /* the wait's notice went out */
    int gave_up;         /* 1 the wait passed its limit, 2 a stop request */
};

/* The cached statement `id` of table t, reset and unbound; NULL with `err` filled
 * on failure. The statement stays owned by the store. */
sqlite3_stmt *trk_stmt_get(trk_store *s, const trk_stmt_table *t, int id, char err[256]);
/* Finalizes every cached statement (trk_store_close). */
void trk_stmts_finalize(trk_store *s);


/*
 * Steps `st` (bound by the caller) to its end, appending one element of `size`
 * bytes per row to the array *out of *n elements: row() fills the zeroed element
 * from the row and returns 0, 1 to drop it (for rows merged into an earlier one),
 * or -1 when out of memory. On failure every element is released with clear()
 * (may be NULL), the array is freed, *out and *n are reset and err says "<what>: ...".
 * The statement is reset in every case. The caller frees *out.
 */
int trk_collect(trk_store *s, sqlite3_stmt *st, size_t size, void **out, int *n,
                int (*row)(sqlite3_stmt *st, void *elem, void *ctx), void *ctx,
                void (*clear)(void *elem), const char *what, char err[256]);

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

/* The SQL of schema step `version` (3 and later) that registry.c owns; NULL
 * for a step it does not know. */
const char *trk_registry_schema_step(int version);

/* store.c, for store_write.c: the wall clock in seconds; steps a statement
 * that returns no row (0 or TRK_ERR); synchronous=FULL for a commit that must be
 * durable when it returns (not inside a batch nor with TRK_NOSYNC), and back. */
double trk_now_s(void);
int trk_step_done(trk_store *s, sqlite3_stmt *st, const char *what, char err[256]);
int trk_sync_full(trk_store *s, char err[256]);
void trk_sync_normal(trk_store *s);

/* store_schema.c: runs fixed SQL, retrying BUSY answers SQLite gives without
 * asking the busy handler (WAL recovery). */
int trk_exec_retry(sqlite3 *db, const char *sql);

/* Applies schema steps up to `target` (for tests: build an old-version file). */
int trk_schema_migrate(sqlite3 *db, int target, char err[256]);

#endif
