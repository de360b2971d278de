/*
 * test_registry.c - the model registry and the A/B record in the store
 * (tracker/registry.h): migration of a schema-2 file (its rows kept, the
 * registry tables added), version numbering, the kept copy and its sha256,
 * alias moves and their history, resolve errors that say what exists,
 * name checks, an A/B record that promotes in the same transaction, and the
 * registry outliving trk_study_delete.
 */
#include "tests/check.h"
#include "tests/tracker/trk_testutil.h"
#include "tracker/admin.h"
#include "tracker/registry.h"
#include "tracker/sha256.h"
#include "tracker/store_int.h"

#include <math.h>
#include <sqlite3.h>
#include <unistd.h>

static char err[256];

static int user_version(trk_store *s)
{
    int v = -1;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_migration_from_v2_keeps_rows(void)
{
    char p[600];
    tu_path(p, sizeof p, "v2.db");
    sqlite3 *db;
    CHECK_INT(sqlite3_open(p, &db), SQLITE_OK);
    CHECK_INT(trk_schema_migrate(db, 2, err), 0);
    CHECK_INT(sqlite3_exec(db, "INSERT INTO studies(id,name,spec,direction,created)"
                           " VALUES(1,'old','{}','minimize',0);", NULL, NULL, NULL), SQLITE_OK);
    CHECK(sqlite3_exec(db, "SELECT 1 FROM model_versions", NULL, NULL, NULL) != SQLITE_OK);
    sqlite3_close(db);
    trk_store *s = trk_store_open(p, TRK_READONLY, err);
    CHECK(s == NULL);
    CHECK_STR_CONTAINS(err, "older than 4");
    s = trk_store_open(p, 0, err);
    CHECK_MSG(s != NULL, "%s", err);
    if (!s)
        return;
    CHECK_INT(user_version(s), TRK_SCHEMA_VERSION);
    int64_t id = 0;
    CHECK_INT(trk_study_find(s, "old", &id, err), 0);
    CHECK_INT(id, 1);
    trk_model_version *v;
    int n = -1;
    TU_OK(trk_model_versions(s, NULL, &v, &n, err));
    CHECK_INT(n, 0);
    trk_model_versions_free(v, n);
    trk_store_close(s);
}

static trk_model_version_in version_in(const char *name, const char *alias)
{
    trk_model_version_in in = {
        .name = name, .study_name = "src", .study_id = 1, .trial_number = 4,
        .data_fingerprint = "rows 10 (0..9), 99 bytes, sha256 ab", .span_first = 0,
        .span_last = 9, .interval_s = 3600, .target_kind = "direction",
        .metrics_json = "{\"sharpe\":1.5}", .verdict_json = "{\"edge\":true}",
        .description = "first", .tags_json = "{\"k\":\"v\"}", .alias = alias, .who = "tester",
    };
    return in;
}

static void test_versions_aliases_and_resolve(void)
{
    char p[600];
    tu_path(p, sizeof p, "reg.db");
    trk_store *s = trk_store_open(p, TRK_CREATE, err);
    if (!s)
        return;
    int64_t sid;
    TU_OK(trk_study_open(s, "src", "{\"name\":\"src\"}", "minimize", 0, &sid, NULL, err));
    trk_model_version_in in = version_in("m", "champion");
    int ver = 0;
    TU_OK(trk_model_register(s, &in, "model-one", 9, &ver, err));
    CHECK_INT(ver, 1);
    in = version_in("m", "challenger");
    TU_OK(trk_model_register(s, &in, "model-two!", 10, &ver, err));
    CHECK_INT(ver, 2);
    in = version_in("other", NULL);
    TU_OK(trk_model_register(s, &in, "x", 1, &ver, err));
    CHECK_INT(ver, 1);

    trk_model_version v;
    TU_OK(trk_model_resolve(s, "m", "challenger", &v, err));
    CHECK_INT(v.version, 2);
    char hex[65], full[1200];
    trk_sha256_hex("model-two!", 10, hex);
    CHECK_STR_CONTAINS(v.sha256, hex);
    CHECK_INT(v.bytes, 10);
    CHECK_INT(v.trial_number, 4);
    CHECK_INT(v.interval_s, 3600);
    CHECK_STR_CONTAINS(v.aliases, "challenger");
    snprintf(full, sizeof full, "%s/%s", trk_store_artifact_root(s), v.path);
    tu_file_sha(full, hex);
    CHECK_STR_CONTAINS(v.sha256, hex);
    trk_model_version_clear(&v);
    TU_OK(trk_model_resolve(s, "m", "1", &v, err));
    CHECK_STR_CONTAINS(v.aliases, "champion");
    trk_model_version_clear(&v);

    CHECK_INT(trk_model_resolve(s, "m", "9", &v, err), TRK_ENOTFOUND);
    CHECK_STR_CONTAINS(err, "model 'm' has no version 9 (versions 1..2)");
    CHECK_INT(trk_model_resolve(s, "m", "prod", &v, err), TRK_ENOTFOUND);
    CHECK_STR_CONTAINS(err, "no alias 'prod' (aliases: challenger, champion)");
    CHECK_INT(trk_model_resolve(s, "nope", "1", &v, err), TRK_ENOTFOUND);
    CHECK_STR_CONTAINS(err, "no registered model 'nope'");
    CHECK_INT(trk_model_resolve(s, "other", "champion", &v, err), TRK_ENOTFOUND);
    CHECK_STR_CONTAINS(err, "(no aliases)");

    /* moving champion to 2 leaves version 1 without an alias; both moves are kept */
    TU_OK(trk_model_alias_set(s, "m", 2, "champion", "tester", "by hand", err));
    TU_OK(trk_model_resolve(s, "m", "1", &v, err));
    CHECK_INT((int)strlen(v.aliases), 0);
    trk_model_version_clear(&v);
    CHECK_INT(trk_model_alias_set(s, "m", 3, "champion", "t", NULL, err), TRK_ENOTFOUND);
    CHECK_INT(trk_model_alias_set(s, "m", 1, "12", "t", NULL, err), TRK_EINVAL);
    CHECK_INT(trk_model_alias_delete(s, "m", "staging", "t", err), TRK_ENOTFOUND);
    TU_OK(trk_model_alias_delete(s, "m", "challenger", "t", err));
    trk_alias_event *e;
    int n;
    TU_OK(trk_model_alias_events(s, "m", &e, &n, err));
    CHECK_INT(n, 4);
    if (n == 4) {
        CHECK_STR_CONTAINS(e[0].alias, "champion");
        CHECK_INT(e[0].version, 1);
        CHECK_STR_CONTAINS(e[0].reason, "registered");
        CHECK_INT(e[2].version, 2);
        CHECK_STR_CONTAINS(e[2].reason, "by hand");
        CHECK_STR_CONTAINS(e[3].alias, "challenger");
        CHECK_INT(e[3].version, 0);
    }
    trk_alias_events_free(e, n);

    /* the registry outlives its source study */
    TU_OK(trk_study_delete(s, "src", NULL, err));
    TU_OK(trk_model_resolve(s, "m", "champion", &v, err));
    snprintf(full, sizeof full, "%s/%s", trk_store_artifact_root(s), v.path);
    CHECK(access(full, R_OK) == 0);
    CHECK_STR_CONTAINS(v.study_name, "src");
    trk_model_version_clear(&v);
    trk_store_close(s);
}

static void test_names_are_checked(void)
{
    CHECK_INT(trk_reg_name_check("model name", "btc-1h_v2.0", 0, err), 0);
    CHECK_INT(trk_reg_name_check("model name", "a@b", 0, err), TRK_EINVAL);
    CHECK_STR_CONTAINS(err, "character 2 ('@')");
    CHECK_INT(trk_reg_name_check("model name", "a/b", 0, err), TRK_EINVAL);
    CHECK_INT(trk_reg_name_check("model name", "-x", 0, err), TRK_EINVAL);
    CHECK_INT(trk_reg_name_check("model name", "", 0, err), TRK_EINVAL);
    CHECK_INT(trk_reg_name_check("model name", "42", 0, err), 0);
    CHECK_INT(trk_reg_name_check("alias", "42", 1, err), TRK_EINVAL);
    CHECK_STR_CONTAINS(err, "version number");
}

static void test_ab_record_promotes_atomically(void)
{
    char p[600];
    tu_path(p, sizeof p, "ab.db");
    trk_store *s = trk_store_open(p, TRK_CREATE, err);
    if (!s)
        return;
    trk_model_version_in in = version_in("m", "champion");
    TU_OK(trk_model_register(s, &in, "one", 3, NULL, err));
    in = version_in("m", NULL);
    TU_OK(trk_model_register(s, &in, "two", 3, NULL, err));
    double series[10] = {1, 0.5, 0.4, 0.01, 0.02, 2, 0.6, 0.3, -0.01, 0.03};
    trk_ab_record r = {
        .who = "t", .ref_a = "m@champion", .ref_b = "m@2", .name_a = "m", .name_b = "m",
        .version_a = 1, .version_b = 2, .data_path = "c.csv", .data_sha256 = "00",
        .span_first = 1, .span_last = 2, .n_bars = 2, .verdict = "b_better",
        .figures_json = "{\"verdict\":\"b_better\"}", .series = series,
        .series_bytes = sizeof series,
    };
    memcpy(r.sha_a, "aa", 3);
    memcpy(r.sha_b, "bb", 3);
    int64_t id = 0;
    TU_OK(trk_ab_add(s, &r, 1, &id, err));
    CHECK_INT(id, 1);
    trk_model_version v;
    TU_OK(trk_model_resolve(s, "m", "champion", &v, err));
    CHECK_INT(v.version, 2);
    trk_model_version_clear(&v);
    /* promoting to a version that does not exist rolls the record back too */
    r.version_b = 7;
    CHECK_INT(trk_ab_add(s, &r, 1, &id, err), TRK_ENOTFOUND);
    r.verdict = "maybe";
    r.version_b = 2;
    CHECK(trk_ab_add(s, &r, 0, &id, err) != 0);   /* the CHECK constraint */
    trk_ab_record *list;
    int n;
    TU_OK(trk_ab_list(s, "m", &list, &n, err));
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_INT(list[0].promoted, 1);
        CHECK(list[0].series == NULL);   /* listings leave the series out */
    }
    trk_ab_records_free(list, n);
    trk_ab_record g;
    TU_OK(trk_ab_get(s, 1, &g, err));
    CHECK_INT((int)g.series_bytes, (int)sizeof series);
    CHECK(g.series && memcmp(g.series, series, sizeof series) == 0);
    CHECK_STR_CONTAINS(g.verdict, "b_better");
    trk_ab_record_clear(&g);
    CHECK_INT(trk_ab_get(s, 5, &g, err), TRK_ENOTFOUND);
    CHECK_STR_CONTAINS(err, "no A/B comparison 5");
    trk_store_close(s);
}

int main(void)
{
    tu_scratch();
    test_migration_from_v2_keeps_rows();
    test_versions_aliases_and_resolve();
    test_names_are_checked();
    test_ab_record_promotes_atomically();
    return check_done();
}
