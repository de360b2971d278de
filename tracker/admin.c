/*
 * admin.c - study management (tracker/admin.h): name checks, the coordinator
 * lock, delete, rename, tag removal. Deleting is one write transaction over
 * every table that holds the study's rows; its files go only after the commit,
 * so a crash at any point leaves the store with the whole study or none of it.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "tracker/admin.h"
#include "tracker/sha256.h"
#include "tracker/store_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    A_STUDY_ID, A_COUNT_RUNS, A_ARTIFACT_PATHS, A_DELETE_METRICS, A_DELETE_STUDY,
    A_NAME_TAKEN, A_SPEC, A_RENAME, A_UNSET_STUDY_TAG, A_UNSET_RUN_TAG, A_SYNC_FULL,
    A_SYNC_NORMAL, A_RUN_EXISTS, A_RUN_TAG,
    A_COUNT
};

static const char *const admin_sql[A_COUNT] = {
    [A_STUDY_ID] = "SELECT id FROM studies WHERE name = ?1",
    [A_COUNT_RUNS] = "SELECT count(*), (SELECT count(*) FROM artifacts WHERE study_id = ?1)"
                     " FROM runs WHERE study_id = ?1",
    [A_ARTIFACT_PATHS] = "SELECT path FROM artifacts WHERE study_id = ?1 ORDER BY id",
    /* metrics carry no foreign key (see store.c): their rows are the id ranges of the
     * study's runs' batches */
    [A_DELETE_METRICS] = "DELETE FROM metrics WHERE id IN (SELECT m.id FROM runs r"
                         " JOIN metric_batches b ON b.run_id = r.id"
                         " JOIN metrics m ON m.id BETWEEN b.first_id AND b.last_id"
                         " WHERE r.study_id = ?1)",
    /* runs, params, metric_batches, metric_summary, tags, study_tags and artifacts
     * go by ON DELETE CASCADE */
    [A_DELETE_STUDY] = "DELETE FROM studies WHERE id = ?1",
    [A_NAME_TAKEN] = "SELECT 1 FROM studies WHERE name = ?1",
    [A_SPEC] = "SELECT spec FROM studies WHERE id = ?1",
    [A_RENAME] = "UPDATE studies SET name = ?2, spec = ?3 WHERE id = ?1",
    [A_UNSET_STUDY_TAG] = "DELETE FROM study_tags WHERE study_id = ?1 AND key = ?2",
    [A_UNSET_RUN_TAG] = "DELETE FROM tags WHERE run_id = ?1 AND key = ?2",
    [A_SYNC_FULL] = "PRAGMA synchronous=FULL",
    [A_SYNC_NORMAL] = "PRAGMA synchronous=NORMAL",
    [A_RUN_EXISTS] = "SELECT 1 FROM runs WHERE id = ?1",
    [A_RUN_TAG] = "INSERT INTO tags(run_id, key, value) VALUES(?1, ?2, ?3)"
                  " ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value",
};

static const trk_stmt_table admin_stmts = {TRK_STMTS_ADMIN, A_COUNT, admin_sql, NULL};

static sqlite3_stmt *stmt(trk_store *s, int id, char err[256])
{
    return trk_stmt_get(s, &admin_stmts, id, err);
}

/* Steps a statement with no result row wanted; 0 or TRK_ERR. */
static int step_done(trk_store *s, sqlite3_stmt *st, const char *what, char err[256])
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : trk_sql_fail(s, what, err);
}

/* ---- names and the lock --------------------------------------------------------- */

/* Decodes one UTF-8 sequence at s into *cp; its length, or 0 when invalid
 * (overlong forms, surrogates and values above U+10FFFF are invalid). */
static int utf8_next(const unsigned char *s, unsigned *cp)
{
    static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
    int len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
            : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!len)
        return 0;
    unsigned v = len == 1 ? s[0] : s[0] & (0x7F >> len);
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

int trk_study_name_check(const char *name, char err[256])
{
    if (!name || !*name) {
        snprintf(err, 256, "study name: empty");
        return TRK_EINVAL;
    }
    const unsigned char *p = (const unsigned char *)name;
    int chars = 0;
    while (*p) {
        unsigned cp = 0;
        int len = utf8_next(p, &cp);
        chars++;
        if (!len) {
            snprintf(err, 256, "study name: byte %d is not valid UTF-8",
                     (int)(p - (const unsigned char *)name) + 1);
            return TRK_EINVAL;
        }
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
            snprintf(err, 256, "study name: character %d is a control character (U+%04X); "
                     "names are printable text", chars, cp);
            return TRK_EINVAL;
        }
        p += len;
    }
    if (chars > TRK_STUDY_NAME_MAX) {
        snprintf(err, 256, "study name: %d characters, at most %d", chars, TRK_STUDY_NAME_MAX);
        return TRK_EINVAL;
    }
    return 0;
}

static int plain_name(const char *name)
{
    for (const char *q = name; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '_' || *q == '-' || *q == '.'))
            return 0;
    return *name && *name != '.' && strlen(name) <= 100;
}

void trk_study_lock_path(const trk_store *s, const char *name, char *out, size_t n)
{
    const char *root = trk_store_artifact_root(s);
    if (plain_name(name)) {
        snprintf(out, n, "%s/%s.lock", root, name);
        return;
    }
    char hex[65];
    trk_sha256_hex(name, strlen(name), hex);
    snprintf(out, n, "%s/study-%s.lock", root, hex);
}

int trk_study_lock(trk_store *s, const char *name, int *fd, char err[256])
{
    char path[4400];
    const char *root = trk_store_artifact_root(s);
    *fd = -1;
    if (mkdir(root, 0755) != 0 && errno != EEXIST) {
        snprintf(err, 256, "%.200s: %s", root, strerror(errno));
        return TRK_ERR;
    }
    trk_study_lock_path(s, name, path, sizeof path);
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0) {
        snprintf(err, 256, "%.200s: %s", path, strerror(errno));
        return TRK_ERR;
    }
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "?";
        ssize_t n = pread(f, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 1] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(f);
        snprintf(err, 256, "study '%.100s' is being run by another seqtune process (pid %s); "
                 "stop it first", name, pid);
        return TRK_EHELD;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) != 0 || pwrite(f, pid, (size_t)len, 0) != len) {
        close(f);
        snprintf(err, 256, "%.200s: cannot write the lock", path);
        return TRK_ERR;
    }
    *fd = f;
    return 0;
}

static int find_study(trk_store *s, const char *name, int64_t *id, char err[256])
{
    sqlite3_stmt *st = stmt(s, A_STUDY_ID, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) {
        snprintf(err, 256, "no study named '%.150s' in %.80s", name, trk_store_path(s));
        return TRK_ENOTFOUND;
    }
    return rc == SQLITE_ROW ? 0 : trk_sql_fail(s, "finding the study", err);
}

/* ---- delete --------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static int path_row(sqlite3_stmt *st, void *elem, void *ctx)
{
    (void)ctx;
    return (*(char **)elem = trk_column_strdup(st, 0)) ? 0 : -1;
}

static void path_clear(void *elem) { free(*(char **)elem); }

/* The rows of study `id` in one transaction; *paths gets its artifact paths
 * (relative to the artifact root) for removal after the commit. */
static int delete_rows(trk_store *s, int64_t id, trk_delete_stats *ds, char ***paths, int *np,
                       char err[256])
{
    void *buf = NULL;
    int rc = trk_begin(s, err);
    sqlite3_stmt *st = rc ? NULL : stmt(s, A_COUNT_RUNS, err);
    if (!rc && !st)
        rc = TRK_ERR;
    if (!rc) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            ds->runs = sqlite3_column_int64(st, 0);
            ds->artifacts = sqlite3_column_int64(st, 1);
        }
        sqlite3_reset(st);
        if (!(st = stmt(s, A_ARTIFACT_PATHS, err)))
            rc = TRK_ERR;
    }
    if (!rc) {
        sqlite3_bind_int64(st, 1, id);
        rc = trk_collect(s, st, sizeof(char *), &buf, np, path_row, NULL, path_clear,
                         "listing the study's artifacts", err);
    }
    if (!rc && !(st = stmt(s, A_DELETE_METRICS, err)))
        rc = TRK_ERR;
    if (!rc) {
        sqlite3_bind_int64(st, 1, id);
        rc = step_done(s, st, "deleting the study's metrics", err);
        ds->metrics = sqlite3_changes64(s->db);
    }
    if (!rc && !(st = stmt(s, A_DELETE_STUDY, err)))
        rc = TRK_ERR;
    if (!rc) {
        sqlite3_bind_int64(st, 1, id);
        rc = step_done(s, st, "deleting the study", err);
    }
    if (!rc)
        rc = trk_commit(s, err);
    if (rc) {
        trk_rollback(s);
        for (int i = 0; i < *np; i++)
            free(((char **)buf)[i]);
        free(buf);
        buf = NULL;
        *np = 0;
    }
    *paths = buf;
    return rc;
}

int trk_study_delete(trk_store *s, const char *name, trk_delete_stats *out, char err[256])
{
    trk_delete_stats ds = {0};
    int64_t id = 0;
    int lock = -1, np = 0;
    char **paths = NULL;
    int rc = find_study(s, name, &id, err);
    if (!rc)
        rc = trk_study_lock(s, name, &lock, err);
    if (!rc) {
        sqlite3_stmt *st = s->batch || s->nosync ? NULL : stmt(s, A_SYNC_FULL, err);
        if (st)
            step_done(s, st, "synchronous=FULL", err);
        rc = delete_rows(s, id, &ds, &paths, &np, err);
        if ((st = s->batch || s->nosync ? NULL : stmt(s, A_SYNC_NORMAL, err)))
            step_done(s, st, "synchronous=NORMAL", err);
    }
    if (!rc) { /* committed: now the files */
        char path[4400];
        for (int i = 0; i < np; i++) {
            snprintf(path, sizeof path, "%s/%s", trk_store_artifact_root(s), paths[i]);
            ds.files += unlink(path) == 0;
        }
        snprintf(path, sizeof path, "%s/%lld", trk_store_artifact_root(s), (long long)id);
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        trk_study_lock_path(s, name, path, sizeof path);
        unlink(path);
    }
    for (int i = 0; i < np; i++)
        free(paths[i]);
    free(paths);
    if (lock >= 0)
        close(lock);
    if (out)
        *out = ds;
    return rc;
}

/* ---- rename and tags ------------------------------------------------------------ */

/* The spec text with its "name" replaced by `to` (a copy of it when not JSON).
 * Caller frees. */
static char *spec_renamed(const char *spec, const char *to)
{
    cJSON *j = cJSON_Parse(spec);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return strdup(spec);
    }
    cJSON *n = cJSON_CreateString(to);
    if (cJSON_GetObjectItemCaseSensitive(j, "name"))
        cJSON_ReplaceItemInObjectCaseSensitive(j, "name", n);
    else
        cJSON_AddItemToObject(j, "name", n);
    char *out = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return out;
}

int trk_study_rename(trk_store *s, const char *from, const char *to, char err[256])
{
    int64_t id = 0;
    int lock = -1;
    char *spec = NULL, *renamed = NULL;
    sqlite3_stmt *st;
    int rc = trk_study_name_check(to, err);
    if (!rc)
        rc = find_study(s, from, &id, err);
    if (!rc)
        rc = trk_study_lock(s, from, &lock, err);
    if (!rc)
        rc = trk_begin(s, err);
    if (rc)
        goto out;
    if (!(st = stmt(s, A_NAME_TAKEN, err)))
        goto fail;
    sqlite3_bind_text(st, 1, to, -1, SQLITE_TRANSIENT);
    int taken = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    if (taken) {
        snprintf(err, 256, "a study named '%.150s' exists already", to);
        rc = TRK_EEXISTS;
        goto undo;
    }
    if (!(st = stmt(s, A_SPEC, err)))
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW)
        spec = trk_column_strdup(st, 0);
    sqlite3_reset(st);
    if (!spec || !(renamed = spec_renamed(spec, to))) {
        snprintf(err, 256, "renaming: out of memory");
        goto fail;
    }
    if (!(st = stmt(s, A_RENAME, err)))
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, renamed, -1, SQLITE_TRANSIENT);
    if ((rc = step_done(s, st, "renaming the study", err)) != 0 || (rc = trk_commit(s, err)) != 0)
        goto undo;
    char path[4400];
    trk_study_lock_path(s, from, path, sizeof path);
    unlink(path);
    goto out;
fail:
    rc = TRK_ERR;
undo:
    trk_rollback(s);
out:
    free(spec);
    free(renamed);
    if (lock >= 0)
        close(lock);
    return rc;
}

static int unset_tag(trk_store *s, int id, int64_t owner, const char *key, int *removed,
                     char err[256])
{
    int rc = trk_begin(s, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = stmt(s, id, err);
    if (!st) {
        trk_rollback(s);
        return TRK_ERR;
    }
    sqlite3_bind_int64(st, 1, owner);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    if ((rc = step_done(s, st, "removing a tag", err)) == 0) {
        if (removed)
            *removed = sqlite3_changes(s->db) > 0;
        rc = trk_commit(s, err);
    }
    if (rc)
        trk_rollback(s);
    return rc;
}

int trk_study_unset_tag(trk_store *s, int64_t study_id, const char *key, int *removed,
                        char err[256])
{
    return unset_tag(s, A_UNSET_STUDY_TAG, study_id, key, removed, err);
}

int trk_run_unset_tag(trk_store *s, int64_t run_id, const char *key, int *removed,
                      char err[256])
{
    return unset_tag(s, A_UNSET_RUN_TAG, run_id, key, removed, err);
}

int trk_run_set_tags(trk_store *s, int64_t run_id, const trk_kv_in *kv, int n, char err[256])
{
    int rc = trk_begin(s, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = stmt(s, A_RUN_EXISTS, err);
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, run_id);
    int found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    if (!found) {
        snprintf(err, 256, "run %lld: no such run", (long long)run_id);
        trk_rollback(s);
        return TRK_ENOTFOUND;
    }
    for (int i = 0; i < n; i++) {
        if (!kv[i].key || !*kv[i].key || !kv[i].value) {
            snprintf(err, 256, "run %lld: a tag needs a key and a value", (long long)run_id);
            trk_rollback(s);
            return TRK_EINVAL;
        }
        if (!(st = stmt(s, A_RUN_TAG, err)))
            goto fail;
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_text(st, 2, kv[i].key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, kv[i].value, -1, SQLITE_TRANSIENT);
        if (step_done(s, st, "setting a run tag", err))
            goto fail;
    }
    if ((rc = trk_commit(s, err)) == 0)
        return 0;
fail:
    trk_rollback(s);
    return TRK_ERR;
}
