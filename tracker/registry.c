/*
 * registry.c - the model registry and the A/B record (tracker/registry.h): the
 * schema step that adds their tables, and their prepared statements.
 *
 * The registry's tables carry no foreign key to studies: a version keeps the
 * source study's name and id as plain values, so deleting the study removes
 * nothing here (and its copy of the model file is outside the study's folder).
 */
#include "base/file.h"
#include "tracker/registry.h"
#include "tracker/sha256.h"
#include "tracker/store_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char schema_v3[] =
    "CREATE TABLE registered_models("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created REAL NOT NULL);"
    "CREATE TABLE model_versions("
    " model_id INTEGER NOT NULL REFERENCES registered_models(id) ON DELETE CASCADE,"
    " version INTEGER NOT NULL CHECK(version > 0),"
    " study_name TEXT, study_id INTEGER, trial_number INTEGER,"
    " path TEXT NOT NULL UNIQUE, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL,"
    " data_fingerprint TEXT, span_first REAL, span_last REAL, interval_s INTEGER,"
    " target_kind TEXT, metrics TEXT, verdict TEXT, description TEXT, tags TEXT,"
    " created REAL NOT NULL,"
    " PRIMARY KEY(model_id, version)) WITHOUT ROWID;"
    "CREATE TABLE model_aliases("
    " model_id INTEGER NOT NULL REFERENCES registered_models(id) ON DELETE CASCADE,"
    " alias TEXT NOT NULL, version INTEGER NOT NULL, set_at REAL NOT NULL,"
    " PRIMARY KEY(model_id, alias),"
    " FOREIGN KEY(model_id, version) REFERENCES model_versions(model_id, version))"
    " WITHOUT ROWID;"
    "CREATE TABLE alias_events("
    " id INTEGER PRIMARY KEY,"
    " model_id INTEGER NOT NULL REFERENCES registered_models(id) ON DELETE CASCADE,"
    " alias TEXT NOT NULL, version INTEGER, at REAL NOT NULL, who TEXT, reason TEXT);"
    "CREATE INDEX alias_events_model ON alias_events(model_id, id);"
    "CREATE TABLE ab_comparisons("
    " id INTEGER PRIMARY KEY, created REAL NOT NULL, who TEXT,"
    " ref_a TEXT NOT NULL, ref_b TEXT NOT NULL, name_a TEXT, version_a INTEGER,"
    " name_b TEXT, version_b INTEGER, sha_a TEXT NOT NULL, sha_b TEXT NOT NULL,"
    " data_path TEXT, data_sha256 TEXT, span_first REAL, span_last REAL,"
    " n_bars INTEGER NOT NULL,"
    " verdict TEXT NOT NULL CHECK(verdict IN ('a_better','no_difference','b_better')),"
    " figures TEXT NOT NULL, series BLOB, promoted INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX ab_name_a ON ab_comparisons(name_a);"
    "CREATE INDEX ab_name_b ON ab_comparisons(name_b);";

const char *trk_registry_schema_step(int version)
{
    return version == 3 ? schema_v3 : NULL;
}

enum {
    R_MODEL_ID, R_MODEL_INSERT, R_NEXT_VERSION, R_VERSION_INSERT, R_VERSION_EXISTS,
    R_ALIAS_SET, R_ALIAS_DELETE, R_EVENT_INSERT, R_VERSIONS, R_VERSIONS_ALL, R_RANGE,
    R_ALIAS_GET, R_ALIAS_NAMES, R_EVENTS, R_AB_INSERT, R_AB_LIST, R_AB_LIST_ALL, R_AB_GET,
    R_COUNT
};

#define VERSION_COLS                                                                     \
    "SELECT m.name, v.version, v.study_name, v.study_id, v.trial_number, v.path,"       \
    " v.bytes, v.sha256, v.data_fingerprint, v.span_first, v.span_last, v.interval_s,"   \
    " v.target_kind, v.metrics, v.verdict, v.description, v.tags, v.created,"           \
    " (SELECT coalesce(group_concat(a.alias, ','), '') FROM (SELECT alias FROM"         \
    "   model_aliases WHERE model_id = v.model_id AND version = v.version"              \
    "   ORDER BY alias) a)"                                                              \
    " FROM model_versions v JOIN registered_models m ON m.id = v.model_id"

#define AB_COLS                                                                          \
    "SELECT id, created, who, ref_a, ref_b, name_a, version_a, name_b, version_b,"      \
    " sha_a, sha_b, data_path, data_sha256, span_first, span_last, n_bars, verdict,"    \
    " figures, promoted"

static const char *const reg_sql[R_COUNT] = {
    [R_MODEL_ID] = "SELECT id FROM registered_models WHERE name = ?1",
    [R_MODEL_INSERT] = "INSERT INTO registered_models(name, created) VALUES(?1, ?2)",
    [R_NEXT_VERSION] = "SELECT coalesce(max(version), 0) + 1 FROM model_versions"
                       " WHERE model_id = ?1",
    [R_VERSION_INSERT] = "INSERT INTO model_versions(model_id, version, study_name, study_id,"
                         " trial_number, path, bytes, sha256, data_fingerprint, span_first,"
                         " span_last, interval_s, target_kind, metrics, verdict, description,"
                         " tags, created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                         " ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    [R_VERSION_EXISTS] = "SELECT 1 FROM model_versions WHERE model_id = ?1 AND version = ?2",
    [R_ALIAS_SET] = "INSERT INTO model_aliases(model_id, alias, version, set_at)"
                    " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(model_id, alias) DO UPDATE SET"
                    " version = excluded.version, set_at = excluded.set_at",
    [R_ALIAS_DELETE] = "DELETE FROM model_aliases WHERE model_id = ?1 AND alias = ?2",
    [R_EVENT_INSERT] = "INSERT INTO alias_events(model_id, alias, version, at, who, reason)"
                       " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [R_VERSIONS] = VERSION_COLS " WHERE m.name = ?1 ORDER BY v.version",
    [R_VERSIONS_ALL] = VERSION_COLS " ORDER BY m.name, v.version",
    [R_RANGE] = "SELECT min(version), max(version) FROM model_versions WHERE model_id = ?1",
    [R_ALIAS_GET] = "SELECT version FROM model_aliases WHERE model_id = ?1 AND alias = ?2",
    [R_ALIAS_NAMES] = "SELECT coalesce(group_concat(alias, ', '), '') FROM (SELECT alias FROM"
                      " model_aliases WHERE model_id = ?1 ORDER BY alias)",
    [R_EVENTS] = "SELECT alias, coalesce(version, 0), at, who, reason FROM alias_events"
                 " WHERE model_id = ?1 ORDER BY id",
    [R_AB_INSERT] = "INSERT INTO ab_comparisons(created, who, ref_a, ref_b, name_a, version_a,"
                    " name_b, version_b, sha_a, sha_b, data_path, data_sha256, span_first,"
                    " span_last, n_bars, verdict, figures, series, promoted) VALUES(?1, ?2,"
                    " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
                    " ?18, ?19)",
    [R_AB_LIST] = AB_COLS " FROM ab_comparisons WHERE name_a = ?1 OR name_b = ?1"
                          " ORDER BY id DESC",
    [R_AB_LIST_ALL] = AB_COLS " FROM ab_comparisons ORDER BY id DESC",
    [R_AB_GET] = AB_COLS ", series FROM ab_comparisons WHERE id = ?1",
};

static const trk_stmt_table reg_stmts = {TRK_STMTS_REGISTRY, R_COUNT, reg_sql, NULL};

static sqlite3_stmt *stmt(trk_store *s, int id, char err[256])
{
    return trk_stmt_get(s, &reg_stmts, id, err);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Steps a statement that returns no row; TRK_ERR with "<what>: ..." on failure. */
static int step_done(trk_store *s, sqlite3_stmt *st, const char *what, char err[256])
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : trk_sql_fail(s, what, err);
}

int trk_reg_name_check(const char *what, const char *name, int is_alias, char err[256])
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > TRK_REG_NAME_MAX) {
        snprintf(err, 256, "%s: expected 1 to %d characters, got %zu", what, TRK_REG_NAME_MAX,
                 n);
        return TRK_EINVAL;
    }
    if (name[0] == '.' || name[0] == '-') {
        snprintf(err, 256, "%s '%.100s': must not start with '%c'", what, name, name[0]);
        return TRK_EINVAL;
    }
    int digits = 1;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        if (!ok) {
            snprintf(err, 256, "%s '%.100s': character %zu ('%c') is not one of A-Z a-z 0-9 . _ -",
                     what, name, i + 1, c >= 32 && c < 127 ? c : '?');
            return TRK_EINVAL;
        }
        digits &= c >= '0' && c <= '9';
    }
    if (is_alias && digits) {
        snprintf(err, 256, "%s '%.100s': all digits would read as a version number", what,
                 name);
        return TRK_EINVAL;
    }
    return 0;
}

/* The id of model `name`: 0 found, TRK_ENOTFOUND ("no registered model"). */
static int model_id(trk_store *s, const char *name, int64_t *id, char err[256])
{
    sqlite3_stmt *st = stmt(s, R_MODEL_ID, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return trk_sql_fail(s, "looking the model up", err);
    snprintf(err, 256, "no registered model '%.100s' (see 'seqtune models')", name);
    return TRK_ENOTFOUND;
}

static int event_add(trk_store *s, int64_t mid, const char *alias, int version, const char *who,
                     const char *reason, char err[256])
{
    sqlite3_stmt *st = stmt(s, R_EVENT_INSERT, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, mid);
    sqlite3_bind_text(st, 2, alias, -1, SQLITE_TRANSIENT);
    if (version > 0)
        sqlite3_bind_int(st, 3, version);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_double(st, 4, now_s());
    bind_text(st, 5, who);
    bind_text(st, 6, reason);
    return step_done(s, st, "recording the alias history", err);
}

/* Sets the alias inside the caller's transaction; the version must exist. */
static int alias_set_in(trk_store *s, int64_t mid, const char *name, int version,
                        const char *alias, const char *who, const char *reason, char err[256])
{
    sqlite3_stmt *st = stmt(s, R_VERSION_EXISTS, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, mid);
    sqlite3_bind_int(st, 2, version);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE)
            return trk_sql_fail(s, "looking the version up", err);
        snprintf(err, 256, "model '%.100s' has no version %d", name, version);
        return TRK_ENOTFOUND;
    }
    if (!(st = stmt(s, R_ALIAS_SET, err)))
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, mid);
    sqlite3_bind_text(st, 2, alias, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, version);
    sqlite3_bind_double(st, 4, now_s());
    if ((rc = step_done(s, st, "setting the alias", err)))
        return rc;
    return event_add(s, mid, alias, version, who, reason, err);
}

/* Inserts the version row of in (model mid, number v, kept at rel). */
static int version_insert(trk_store *s, int64_t mid, int v, const trk_model_version_in *in,
                          const char *rel, size_t len, const char *hex, char err[256])
{
    sqlite3_stmt *st = stmt(s, R_VERSION_INSERT, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, mid);
    sqlite3_bind_int(st, 2, v);
    bind_text(st, 3, in->study_name);
    if (in->study_id > 0)
        sqlite3_bind_int64(st, 4, in->study_id);
    if (in->trial_number >= 0)
        sqlite3_bind_int(st, 5, in->trial_number);
    sqlite3_bind_text(st, 6, rel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)len);
    sqlite3_bind_text(st, 8, hex, -1, SQLITE_TRANSIENT);
    bind_text(st, 9, in->data_fingerprint);
    trk_bind_double(st, 10, in->span_first);
    trk_bind_double(st, 11, in->span_last);
    if (in->interval_s > 0)
        sqlite3_bind_int64(st, 12, in->interval_s);
    bind_text(st, 13, in->target_kind);
    bind_text(st, 14, in->metrics_json);
    bind_text(st, 15, in->verdict_json);
    bind_text(st, 16, in->description);
    bind_text(st, 17, in->tags_json ? in->tags_json : "{}");
    sqlite3_bind_double(st, 18, now_s());
    return step_done(s, st, "registering the version", err);
}

/* The next version number of model mid (inside the transaction). */
static int next_version(trk_store *s, int64_t mid, int *v, char err[256])
{
    sqlite3_stmt *st = stmt(s, R_NEXT_VERSION, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, mid);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : trk_sql_fail(s, "numbering the version", err);
}

int trk_model_register(trk_store *s, const trk_model_version_in *in, const void *data,
                       size_t len, int *version, char err[256])
{
    int rc = trk_reg_name_check("model name", in->name, 0, err);
    if (!rc && in->alias)
        rc = trk_reg_name_check("alias", in->alias, 1, err);
    if (rc)
        return rc;
    if (s->readonly) {
        snprintf(err, 256, "%s: store is open read-only", s->path);
        return TRK_EINVAL;
    }
    char rel[256], full[4400], hex[65];
    int written = 0, v = 0;
    int64_t mid = 0;
    trk_sha256_hex(data, len, hex);
    if ((rc = trk_begin(s, err)))
        return rc;
    rc = model_id(s, in->name, &mid, err);
    if (rc == TRK_ENOTFOUND) {
        sqlite3_stmt *st = stmt(s, R_MODEL_INSERT, err);
        rc = st ? 0 : TRK_ERR;
        if (!rc) {
            sqlite3_bind_text(st, 1, in->name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_double(st, 2, now_s());
            rc = step_done(s, st, "registering the model", err);
            mid = sqlite3_last_insert_rowid(s->db);
        }
    }
    if (!rc)
        rc = next_version(s, mid, &v, err);
    if (!rc) {
        snprintf(rel, sizeof rel, "registry/%lld/%d/model.bin", (long long)mid, v);
        snprintf(full, sizeof full, "%s/%s", s->artifact_root, rel);
        if (base_file_make_parents(full) != 0) {
            snprintf(err, 256, "%.200s: %s", full, strerror(errno));
            rc = TRK_ERR;
        }
    }
    if (!rc && !(rc = trk_file_write_durable(full, data, len, err)))
        written = 1;
    if (!rc)
        rc = version_insert(s, mid, v, in, rel, len, hex, err);
    if (!rc && in->alias)
        rc = alias_set_in(s, mid, in->name, v, in->alias, in->who, "registered", err);
    if (!rc)
        rc = trk_commit(s, err);
    if (rc) {
        trk_rollback(s);
        if (written)
            unlink(full);
        return rc;
    }
    if (version)
        *version = v;
    return 0;
}

int trk_model_alias_set(trk_store *s, const char *name, int version, const char *alias,
                        const char *who, const char *reason, char err[256])
{
    int64_t mid = 0;
    int rc = trk_reg_name_check("alias", alias, 1, err);
    if (!rc)
        rc = trk_begin(s, err);
    if (rc)
        return rc;
    rc = model_id(s, name, &mid, err);
    if (!rc)
        rc = alias_set_in(s, mid, name, version, alias, who, reason, err);
    if (!rc)
        rc = trk_commit(s, err);
    if (rc)
        trk_rollback(s);
    return rc;
}

int trk_model_alias_delete(trk_store *s, const char *name, const char *alias, const char *who,
                           char err[256])
{
    int64_t mid = 0;
    int rc = trk_begin(s, err);
    if (rc)
        return rc;
    rc = model_id(s, name, &mid, err);
    sqlite3_stmt *st = rc ? NULL : stmt(s, R_ALIAS_DELETE, err);
    if (!rc && !st)
        rc = TRK_ERR;
    if (!rc) {
        sqlite3_bind_int64(st, 1, mid);
        sqlite3_bind_text(st, 2, alias, -1, SQLITE_TRANSIENT);
        rc = step_done(s, st, "removing the alias", err);
        if (!rc && sqlite3_changes(s->db) == 0) {
            snprintf(err, 256, "model '%.100s' has no alias '%.100s'", name, alias);
            rc = TRK_ENOTFOUND;
        }
    }
    if (!rc)
        rc = event_add(s, mid, alias, 0, who, "deleted", err);
    if (!rc)
        rc = trk_commit(s, err);
    if (rc)
        trk_rollback(s);
    return rc;
}

/* ---- reading ------------------------------------------------------------------ */

static int version_row(sqlite3_stmt *st, void *elem, void *ctx)
{
    (void)ctx;
    trk_model_version *v = elem;
    v->name = trk_column_strdup(st, 0);
    v->version = sqlite3_column_int(st, 1);
    v->study_name = trk_column_strdup(st, 2);
    v->study_id = sqlite3_column_int64(st, 3);
    v->trial_number = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 4);
    v->path = trk_column_strdup(st, 5);
    v->bytes = sqlite3_column_int64(st, 6);
    const unsigned char *h = sqlite3_column_text(st, 7);
    snprintf(v->sha256, sizeof v->sha256, "%s", h ? (const char *)h : "");
    v->data_fingerprint = trk_column_strdup(st, 8);
    v->span_first = trk_column_double(st, 9);
    v->span_last = trk_column_double(st, 10);
    v->interval_s = sqlite3_column_int64(st, 11);
    v->target_kind = trk_column_strdup(st, 12);
    v->metrics_json = trk_column_strdup(st, 13);
    v->verdict_json = trk_column_strdup(st, 14);
    v->description = trk_column_strdup(st, 15);
    v->tags_json = trk_column_strdup(st, 16);
    v->created = sqlite3_column_double(st, 17);
    v->aliases = trk_column_strdup(st, 18);
    return v->name && v->path && v->aliases ? 0 : -1;
}

void trk_model_version_clear(trk_model_version *v)
{
    if (!v)
        return;
    free(v->name);
    free(v->study_name);
    free(v->path);
    free(v->data_fingerprint);
    free(v->target_kind);
    free(v->metrics_json);
    free(v->verdict_json);
    free(v->description);
    free(v->tags_json);
    free(v->aliases);
    memset(v, 0, sizeof *v);
}

static void version_clear(void *elem) { trk_model_version_clear(elem); }

void trk_model_versions_free(trk_model_version *v, int n)
{
    for (int i = 0; i < n; i++)
        trk_model_version_clear(&v[i]);
    free(v);
}

int trk_model_versions(trk_store *s, const char *name, trk_model_version **out, int *n,
                       char err[256])
{
    *out = NULL;
    *n = 0;
    int64_t mid;
    int rc = name ? model_id(s, name, &mid, err) : 0;
    if (rc)
        return rc;
    sqlite3_stmt *st = stmt(s, name ? R_VERSIONS : R_VERSIONS_ALL, err);
    if (!st)
        return TRK_ERR;
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    void *buf = NULL;
    rc = trk_collect(s, st, sizeof(trk_model_version), &buf, n, version_row, NULL,
                     version_clear, "listing the registered models", err);
    *out = buf;
    return rc;
}

/* "versions 1..3" / "aliases: a, b" for a resolve failure. */
static void what_exists(trk_store *s, int64_t mid, int alias, char *out, size_t cap)
{
    char e[256];
    sqlite3_stmt *st = stmt(s, alias ? R_ALIAS_NAMES : R_RANGE, e);
    snprintf(out, cap, "%s", alias ? "no aliases" : "no versions");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, mid);
    if (sqlite3_step(st) == SQLITE_ROW) {
        if (alias && sqlite3_column_text(st, 0) && sqlite3_column_bytes(st, 0) > 0)
            snprintf(out, cap, "aliases: %.150s", (const char *)sqlite3_column_text(st, 0));
        else if (!alias && sqlite3_column_type(st, 0) != SQLITE_NULL)
            snprintf(out, cap, "versions %d..%d", sqlite3_column_int(st, 0),
                     sqlite3_column_int(st, 1));
    }
    sqlite3_reset(st);
}

int trk_model_resolve(trk_store *s, const char *name, const char *ref, trk_model_version *out,
                      char err[256])
{
    memset(out, 0, sizeof *out);
    int64_t mid = 0;
    int began = trk_read_begin(s);
    int rc = model_id(s, name, &mid, err), version = 0, is_num = ref && *ref;
    for (const char *p = ref; is_num && *p; p++)
        is_num = *p >= '0' && *p <= '9';
    char have[200];
    if (!rc && is_num) {
        version = strlen(ref) < 9 ? atoi(ref) : 0;
    } else if (!rc) {
        sqlite3_stmt *st = stmt(s, R_ALIAS_GET, err);
        rc = st ? 0 : TRK_ERR;
        if (st) {
            sqlite3_bind_int64(st, 1, mid);
            sqlite3_bind_text(st, 2, ref ? ref : "", -1, SQLITE_TRANSIENT);
            if (sqlite3_step(st) == SQLITE_ROW)
                version = sqlite3_column_int(st, 0);
            sqlite3_reset(st);
            if (!version) {
                what_exists(s, mid, 1, have, sizeof have);
                snprintf(err, 256, "model '%.80s' has no alias '%.60s' (%.100s)", name,
                         ref ? ref : "", have);
                rc = TRK_ENOTFOUND;
            }
        }
    }
    trk_model_version *list = NULL;
    int n = 0;
    if (!rc)
        rc = trk_model_versions(s, name, &list, &n, err);
    for (int i = 0; !rc && i < n; i++)
        if (list[i].version == version) {
            *out = list[i];
            memset(&list[i], 0, sizeof list[i]);
            break;
        }
    if (!rc && !out->name) {
        what_exists(s, mid, 0, have, sizeof have);
        snprintf(err, 256, "model '%.100s' has no version %.20s (%.100s)", name, ref, have);
        rc = TRK_ENOTFOUND;
    }
    trk_model_versions_free(list, n);
    trk_read_end(s, began);
    return rc;
}

static int event_row(sqlite3_stmt *st, void *elem, void *ctx)
{
    (void)ctx;
    trk_alias_event *e = elem;
    e->alias = trk_column_strdup(st, 0);
    e->version = sqlite3_column_int(st, 1);
    e->at = sqlite3_column_double(st, 2);
    e->who = trk_column_strdup(st, 3);
    e->reason = trk_column_strdup(st, 4);
    return e->alias ? 0 : -1;
}

static void event_clear(void *elem)
{
    trk_alias_event *e = elem;
    free(e->alias);
    free(e->who);
    free(e->reason);
}

void trk_alias_events_free(trk_alias_event *e, int n)
{
    for (int i = 0; i < n; i++)
        event_clear(&e[i]);
    free(e);
}

int trk_model_alias_events(trk_store *s, const char *name, trk_alias_event **out, int *n,
                           char err[256])
{
    *out = NULL;
    *n = 0;
    int64_t mid;
    int rc = model_id(s, name, &mid, err);
    sqlite3_stmt *st = rc ? NULL : stmt(s, R_EVENTS, err);
    if (rc || !st)
        return rc ? rc : TRK_ERR;
    sqlite3_bind_int64(st, 1, mid);
    void *buf = NULL;
    rc = trk_collect(s, st, sizeof(trk_alias_event), &buf, n, event_row, NULL, event_clear,
                     "reading the alias history", err);
    *out = buf;
    return rc;
}

/* ---- A/B records ---------------------------------------------------------------- */

static void ab_bind(sqlite3_stmt *st, const trk_ab_record *r)
{
    sqlite3_bind_double(st, 1, r->created);
    bind_text(st, 2, r->who);
    bind_text(st, 3, r->ref_a);
    bind_text(st, 4, r->ref_b);
    bind_text(st, 5, r->name_a);
    if (r->version_a > 0)
        sqlite3_bind_int(st, 6, r->version_a);
    bind_text(st, 7, r->name_b);
    if (r->version_b > 0)
        sqlite3_bind_int(st, 8, r->version_b);
    sqlite3_bind_text(st, 9, r->sha_a, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 10, r->sha_b, -1, SQLITE_TRANSIENT);
    bind_text(st, 11, r->data_path);
    bind_text(st, 12, r->data_sha256);
    trk_bind_double(st, 13, r->span_first);
    trk_bind_double(st, 14, r->span_last);
    sqlite3_bind_int(st, 15, r->n_bars);
    bind_text(st, 16, r->verdict);
    bind_text(st, 17, r->figures_json ? r->figures_json : "{}");
    if (r->series && r->series_bytes)
        sqlite3_bind_blob64(st, 18, r->series, r->series_bytes, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 19, r->promoted);
}

int trk_ab_add(trk_store *s, trk_ab_record *r, int promote, int64_t *id, char err[256])
{
    if (promote && (!r->name_b || r->version_b <= 0)) {
        snprintf(err, 256, "promote: model B is not a registered version");
        return TRK_EINVAL;
    }
    r->created = now_s();
    r->promoted = promote != 0;
    int64_t mid = 0;
    int rc = trk_begin(s, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = stmt(s, R_AB_INSERT, err);
    if (!st)
        rc = TRK_ERR;
    if (!rc) {
        ab_bind(st, r);
        rc = step_done(s, st, "recording the comparison", err);
        r->id = sqlite3_last_insert_rowid(s->db);
    }
    if (!rc && promote) {
        char why[64];
        snprintf(why, sizeof why, "promoted by A/B comparison %lld", (long long)r->id);
        rc = model_id(s, r->name_b, &mid, err);
        if (!rc)
            rc = alias_set_in(s, mid, r->name_b, r->version_b, TRK_CHAMPION, r->who, why, err);
    }
    if (!rc)
        rc = trk_commit(s, err);
    if (rc) {
        trk_rollback(s);
        return rc;
    }
    if (id)
        *id = r->id;
    return 0;
}

static int ab_row(sqlite3_stmt *st, void *elem, void *ctx)
{
    int with_series = ctx != NULL;
    trk_ab_record *r = elem;
    r->id = sqlite3_column_int64(st, 0);
    r->created = sqlite3_column_double(st, 1);
    r->who = trk_column_strdup(st, 2);
    r->ref_a = trk_column_strdup(st, 3);
    r->ref_b = trk_column_strdup(st, 4);
    r->name_a = trk_column_strdup(st, 5);
    r->version_a = sqlite3_column_int(st, 6);
    r->name_b = trk_column_strdup(st, 7);
    r->version_b = sqlite3_column_int(st, 8);
    const unsigned char *a = sqlite3_column_text(st, 9), *b = sqlite3_column_text(st, 10);
    snprintf(r->sha_a, sizeof r->sha_a, "%s", a ? (const char *)a : "");
    snprintf(r->sha_b, sizeof r->sha_b, "%s", b ? (const char *)b : "");
    r->data_path = trk_column_strdup(st, 11);
    r->data_sha256 = trk_column_strdup(st, 12);
    r->span_first = trk_column_double(st, 13);
    r->span_last = trk_column_double(st, 14);
    r->n_bars = sqlite3_column_int(st, 15);
    r->verdict = trk_column_strdup(st, 16);
    r->figures_json = trk_column_strdup(st, 17);
    r->promoted = sqlite3_column_int(st, 18);
    if (with_series && sqlite3_column_type(st, 19) == SQLITE_BLOB) {
        int nb = sqlite3_column_bytes(st, 19);
        r->series = malloc(nb > 0 ? (size_t)nb : 1);
        if (!r->series)
            return -1;
        memcpy(r->series, sqlite3_column_blob(st, 19), (size_t)nb);
        r->series_bytes = (size_t)nb;
    }
    return r->ref_a && r->ref_b && r->verdict && r->figures_json ? 0 : -1;
}

void trk_ab_record_clear(trk_ab_record *r)
{
    if (!r)
        return;
    free(r->who);
    free(r->ref_a);
    free(r->ref_b);
    free(r->name_a);
    free(r->name_b);
    free(r->data_path);
    free(r->data_sha256);
    free(r->verdict);
    free(r->figures_json);
    free(r->series);
    memset(r, 0, sizeof *r);
}

static void ab_clear(void *elem) { trk_ab_record_clear(elem); }

void trk_ab_records_free(trk_ab_record *r, int n)
{
    for (int i = 0; i < n; i++)
        trk_ab_record_clear(&r[i]);
    free(r);
}

int trk_ab_list(trk_store *s, const char *name, trk_ab_record **out, int *n, char err[256])
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(s, name ? R_AB_LIST : R_AB_LIST_ALL, err);
    if (!st)
        return TRK_ERR;
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    void *buf = NULL;
    int rc = trk_collect(s, st, sizeof(trk_ab_record), &buf, n, ab_row, NULL, ab_clear,
                         "listing the A/B comparisons", err);
    *out = buf;
    return rc;
}

int trk_ab_get(trk_store *s, int64_t id, trk_ab_record *out, char err[256])
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = stmt(s, R_AB_GET, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, id);
    void *buf = NULL;
    int n = 0;
    int rc = trk_collect(s, st, sizeof(trk_ab_record), &buf, &n, ab_row, (void *)1, ab_clear,
                         "reading the A/B comparison", err);
    if (!rc && n == 0) {
        snprintf(err, 256, "no A/B comparison %lld (see 'seqtune ab --history')", (long long)id);
        rc = TRK_ENOTFOUND;
    }
    if (!rc)
        *out = ((trk_ab_record *)buf)[0];
    free(buf);
    return rc;
}
