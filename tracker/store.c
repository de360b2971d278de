/*
 * store.c - opening and closing the experiment store, waiting for its lock,
 * transactions and batches (the schema is in store_schema.c, the write API of
 * tracker/store.h in store_write.c).
 *
 * Write transactions are BEGIN IMMEDIATE so that concurrent
 * writers queue on the busy timeout instead of failing on a lock upgrade.
 */
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






double trk_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- helpers shared with query.c and export.c -------------------------------- */

int trk_sql_fail(trk_store *s, const char *what, char err[256])
{
    if (s && s->gave_up == 1)
        snprintf(err, 256, "%.120s: the store is locked by another program; gave up after "
                 "waiting %g s", what, s->wait.limit_s);
    else if (s && s->gave_up == 2)
        snprintf(err, 256, "%.120s: interrupted while waiting for a lock held by another "
                 "program", what);
    else
        snprintf(err, 256, "%s: %s", what, s && s->db ? sqlite3_errmsg(s->db) : "no database");
    return TRK_ERR;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* SQLite's busy handler: waits in 10 ms sleeps (a signal cuts one short, and
 * `stop` is looked at every time), tells once after a second that it waits,
 * and gives up at the limit. Once given up, the store fails fast from then on. */
static int store_busy(void *ctx, int n)
{
    trk_store *s = ctx;
    double now = mono_now();
    if (n == 0 || s->busy_since == 0) {
        s->busy_since = now;
        s->noticed = 0;
    }
    if (s->gave_up)
        return 0;
    if (s->wait.stop && *s->wait.stop) {
        s->gave_up = 2;
        return 0;
    }
    double waited = now - s->busy_since;
    if (waited >= s->wait.limit_s) {
        s->gave_up = 1;
        return 0;
    }
    if (!s->noticed && waited >= 1.0) {
        s->noticed = 1;
        if (s->wait.notice)
            s->wait.notice(s->wait.ctx, s->path, s->wait.limit_s);
    }
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
    return 1;
}


/* store.c's own statements: transactions and durability. */
enum {
    ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SYNC_FULL, ST_SYNC_NORMAL, ST_BEGIN_READ,
    ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SYNC_FULL] = "PRAGMA synchronous=FULL",
    [ST_SYNC_NORMAL] = "PRAGMA synchronous=NORMAL",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_SAVEPOINT] = "SAVEPOINT trk_write",
    [ST_RELEASE] = "RELEASE trk_write",
    [ST_ROLLBACK_TO] = "ROLLBACK TO trk_write",
};

static const trk_stmt_table store_stmts = {TRK_STMTS_STORE, ST_COUNT, stmt_sql, NULL};

static sqlite3_stmt *trk_stmt(trk_store *s, int id, char err[256])
{
    return trk_stmt_get(s, &store_stmts, id, err);
}

int trk_bind_double(sqlite3_stmt *st, int i, double v)
{
    return isnan(v) ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
}

double trk_column_double(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

char *trk_column_strdup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

/* Steps a statement that returns no row; 0 or TRK_ERR. */
int trk_step_done(trk_store *s, sqlite3_stmt *st, const char *what, char err[256])
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
        sqlite3_reset(st);
        return 0;
    }
    trk_sql_fail(s, what, err);
    sqlite3_reset(st);
    return TRK_ERR;
}

static int run_cached(trk_store *s, int id, const char *what, char err[256])
{
    sqlite3_stmt *st = trk_stmt(s, id, err);
    return st ? trk_step_done(s, st, what, err) : TRK_ERR;
}

int trk_read_begin(trk_store *s)
{
    char ignored[256];
    if (!sqlite3_get_autocommit(s->db))
        return 0;
    return run_cached(s, ST_BEGIN_READ, "starting a read", ignored) == 0;
}

void trk_read_end(trk_store *s, int began)
{
    char ignored[256];
    if (began && !sqlite3_get_autocommit(s->db))
        run_cached(s, ST_COMMIT, "ending a read", ignored);
}

/* Inside a batch every write call is a savepoint of the batch's transaction, so a
 * failed call undoes only itself. */
int trk_begin(trk_store *s, char err[256])
{
    if (s->readonly) {
        snprintf(err, 256, "%.200s: store is open read-only", s->path);
        return TRK_EINVAL;
    }
    return run_cached(s, s->batch ? ST_SAVEPOINT : ST_BEGIN, "starting a transaction", err);
}

int trk_commit(trk_store *s, char err[256])
{
    return run_cached(s, s->batch ? ST_RELEASE : ST_COMMIT, "committing", err);
}

void trk_rollback(trk_store *s)
{
    char ignored[256];
    if (s->batch) {
        run_cached(s, ST_ROLLBACK_TO, "rolling back", ignored);
        run_cached(s, ST_RELEASE, "rolling back", ignored);
    } else if (!sqlite3_get_autocommit(s->db)) {
        run_cached(s, ST_ROLLBACK, "rolling back", ignored);
    }
}

/* Switches to synchronous=FULL for a commit that must be durable when it returns;
 * not inside a batch (the batch's end is durable) nor with TRK_NOSYNC. */
int trk_sync_full(trk_store *s, char err[256])
{
    return s->batch || s->nosync ? 0 : run_cached(s, ST_SYNC_FULL, "synchronous=FULL", err);
}

void trk_sync_normal(trk_store *s)
{
    char ignored[256];
    if (!s->batch && !s->nosync)
        run_cached(s, ST_SYNC_NORMAL, "synchronous=NORMAL", ignored);
}

int trk_store_batch_begin(trk_store *s, char err[256])
{
    if (s->batch) {
        snprintf(err, 256, "%.200s: a batch is already open", s->path);
        return TRK_EINVAL;
    }
    int rc = trk_sync_full(s, err); /* the batch's one commit is durable */
    if (rc == 0 && (rc = trk_begin(s, err)) == 0)
        s->batch = 1;
    if (rc != 0)
        trk_sync_normal(s);
    return rc;
}

int trk_store_batch_end(trk_store *s, char err[256])
{
    if (!s->batch) {
        snprintf(err, 256, "%.200s: no batch is open", s->path);
        return TRK_EINVAL;
    }
    s->batch = 0;
    int rc = trk_commit(s, err);
    if (rc != 0)
        trk_rollback(s);
    trk_sync_normal(s);
    return rc;
}

/* ---- opening ------------------------------------------------------------------ */

/* Checks the first 16 bytes for SQLite's magic without modifying the file;
 * 1 = SQLite, 0 = empty file, -1 = something else (err filled). */
static int sniff_sqlite(const char *path, char err[256])
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(err, 256, "%.200s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, 256, "%s: not a regular file", path);
        return -1;
    }
    if (sb.st_size == 0)
        return 0;
    char head[16] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, 256, "%.200s: %s", path, strerror(errno));
        return -1;
    }
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    if (got < sizeof head || memcmp(head, "SQLite format 3", 16) != 0) {
        snprintf(err, 256, "%s: not an SQLite database (not a seqtune store)", path);
        return -1;
    }
    return 1;
}

/*
 * A WAL store on a read-only folder or medium: SQLite cannot create the -shm
 * file a reader needs, so the store is opened as immutable (no locks, no -shm)
 * when nothing is pending in a -wal file (an absent or empty one): then the
 * database file alone is the whole store and nobody can be writing it. 0 when
 * reopened that way, -1 (the first error stands) otherwise.
 */
static int reopen_immutable(trk_store *s)
{
    char wal[4096];
    struct stat st;
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    if (stat(wal, &st) == 0 && st.st_size > 0)
        return -1;
    /* file: URI with everything but unreserved characters and '/' escaped */
    size_t n = strlen(s->path);
    char *uri = malloc(3 * n + 32);
    if (!uri)
        return -1;
    size_t k = (size_t)sprintf(uri, "file:");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s->path[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '/' || ch == '.' || ch == '-' || ch == '_' || ch == '~')
            uri[k++] = (char)ch;
        else
            k += (size_t)sprintf(uri + k, "%%%02X", ch);
    }
    sprintf(uri + k, "?immutable=1");
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        return -1;
    }
    sqlite3_close(s->db);
    s->db = db;
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_handler(s->db, store_busy, s);
    sqlite3_exec(s->db, "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
                 " PRAGMA temp_store=MEMORY;", NULL, NULL, NULL);
    return 0;
}

trk_store *trk_store_open(const char *path, int flags, char err[256])
{
    return trk_store_open_wait(path, flags, NULL, err);
}

/* The path names a store that may be opened with flags: 0, or -1 and err. */
static int store_check_path(const char *path, int flags, char err[256])
{
    if (!path || !*path) {
        snprintf(err, 256, "store path is empty");
        return -1;
    }
    if ((flags & TRK_CREATE) && (flags & TRK_READONLY)) {
        snprintf(err, 256, "%s: TRK_CREATE and TRK_READONLY exclude each other", path);
        return -1;
    }
    int kind = 0;
    if (access(path, F_OK) != 0) {
        if (!(flags & TRK_CREATE)) {
            snprintf(err, 256, "%s: no such file", path);
            return -1;
        }
    } else if ((kind = sniff_sqlite(path, err)) < 0) {
        return -1;
    } else if (kind == 0 && !(flags & TRK_CREATE)) {
        snprintf(err, 256, "%s: empty file, not a seqtune store", path);
        return -1;
    }
    return 0;
}

/* The artifact folder (and the per-study lock in it) belongs to the real file:
 * a store reached through a symlink is the same store. Keeps the path's own
 * folder name when the real path cannot be had. */
static void store_real_artifact_root(trk_store *s, const char *path)
{
    char *real = realpath(path, NULL);
    if (!real)
        return;
    size_t rn = strlen(real) + sizeof ".artifacts";
    char *root = malloc(rn);
    if (root) {
        snprintf(root, rn, "%s.artifacts", real);
        free(s->artifact_root);
        s->artifact_root = root;
    }
    free(real);
}

/* The schema version and the number of tables, in one statement, so one
 * snapshot (another process may be creating the schema); an SQLite code. */
static int probe_schema(sqlite3 *db, int *version, int *tables)
{
    sqlite3_stmt *probe = NULL;
    int prc = sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM pragma_user_version),"
                                 " (SELECT count(*) FROM sqlite_master)", -1, &probe, NULL);
    if (prc == SQLITE_OK && (prc = sqlite3_step(probe)) == SQLITE_ROW) {
        *version = sqlite3_column_int(probe, 0);
        *tables = sqlite3_column_int(probe, 1);
        prc = SQLITE_OK;
    }
    sqlite3_finalize(probe);
    return prc;
}

/* 1 when a read-only store could not be opened in place (a folder it may not
 * write its -shm into) and was reopened immutable. */
static int store_retry_immutable(trk_store *s)
{
    return s->readonly && (sqlite3_errcode(s->db) & 0xff) == SQLITE_CANTOPEN &&
           reopen_immutable(s) == 0;
}

/* Looks before writing anything, so that a foreign SQLite file stays untouched:
 * 0 when the file is a store of a schema this program reads (or may create or
 * migrate), else -1 and err. */
static int store_check_schema(trk_store *s, const char *path, int flags, char err[256])
{
    int version = 0, tables = 0;
    int prc = probe_schema(s->db, &version, &tables);
    if (prc != SQLITE_OK && store_retry_immutable(s))
        prc = probe_schema(s->db, &version, &tables);
    if (prc != SQLITE_OK) {
        if (sqlite3_errcode(s->db) == SQLITE_NOTADB)
            snprintf(err, 256, "%s: not an SQLite database (not a seqtune store)", path);
        else
            trk_sql_fail(s, path, err);
        return -1;
    }
    if (version > TRK_SCHEMA_VERSION) {
        snprintf(err, 256, "%s: store schema version %d is newer than this seqtune's (%d)",
                 path, version, TRK_SCHEMA_VERSION);
        return -1;
    }
    if (version == 0 && (tables > 0 || !(flags & TRK_CREATE))) {
        snprintf(err, 256, "%s: an SQLite database but not a seqtune store", path);
        return -1;
    }
    if (s->readonly && version < TRK_SCHEMA_VERSION) {
        snprintf(err, 256, "%s: store schema version %d is older than %d; open it once "
                 "for writing to migrate", path, version, TRK_SCHEMA_VERSION);
        return -1;
    }
    return 0;
}

trk_store *trk_store_open_wait(const char *path, int flags, const trk_wait_opts *wait,
                               char err[256])
{
    if (store_check_path(path, flags, err) < 0)
        return NULL;
    trk_store *s = calloc(1, sizeof *s);
    if (!s)
        goto oom;
    s->path = strdup(path);
    size_t n = strlen(path) + sizeof ".artifacts";
    s->artifact_root = malloc(n);
    if (!s->path || !s->artifact_root)
        goto oom;
    snprintf(s->artifact_root, n, "%s.artifacts", path);
    s->readonly = (flags & TRK_READONLY) != 0;
    s->nosync = (flags & TRK_NOSYNC) != 0;
    int oflags = s->readonly ? SQLITE_OPEN_READONLY
                             : SQLITE_OPEN_READWRITE | ((flags & TRK_CREATE) ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK &&
        !(s->readonly && reopen_immutable(s) == 0)) {
        trk_sql_fail(s, path, err);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    store_real_artifact_root(s, path);
    if (wait)
        s->wait = *wait;
    if (!(s->wait.limit_s > 0))
        s->wait.limit_s = TRK_WAIT_DEFAULT_S;
    sqlite3_busy_handler(s->db, store_busy, s);
    /* 64 MiB page cache and memory-mapped reads: queries over 100,000 runs stay
     * in memory instead of going through read() page by page. */
    if (sqlite3_exec(s->db, "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
                     " PRAGMA temp_store=MEMORY;",
                     NULL, NULL, NULL) != SQLITE_OK &&
        !store_retry_immutable(s)) {
        trk_sql_fail(s, path, err);
        goto fail;
    }
    if (store_check_schema(s, path, flags, err) < 0)
        goto fail;
    if (s->readonly)
        return s;
    if (trk_exec_retry(s->db, "PRAGMA journal_mode=WAL") != SQLITE_OK ||
        trk_exec_retry(s->db, s->nosync ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=NORMAL")
            != SQLITE_OK ||
        trk_exec_retry(s->db, "PRAGMA foreign_keys=ON") != SQLITE_OK) {
        trk_sql_fail(s, path, err);
        goto fail;
    }
    if (trk_schema_migrate(s->db, TRK_SCHEMA_VERSION, err) != 0)
        goto fail;
    return s;
oom:
    snprintf(err, 256, "%s: out of memory", path);
fail:
    if (s && s->gave_up)   /* say why: the lock, not SQLite's "database is locked" */
        trk_sql_fail(s, path, err);
    trk_store_close(s);
    return NULL;
}

void trk_store_close(trk_store *s)
{
    if (!s)
        return;
    trk_stmts_finalize(s);
    sqlite3_close(s->db);
    free(s->path);
    free(s->artifact_root);
    free(s);
}

const char *trk_store_path(const trk_store *s) { return s->path; }
const char *trk_store_artifact_root(const trk_store *s) { return s->artifact_root; }
