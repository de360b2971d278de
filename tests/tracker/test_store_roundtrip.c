/*
 * test_store_roundtrip.c - every entity of the store written through the write API
 * and read back through the read API: studies (create / resume rules, status,
 * tags, result), runs (lifecycle, errors), params, metric histories and summaries
 * (NaN, out-of-order steps), tags, artifacts (sha256, refused names), schema
 * migration from version 1, and the refusal to touch files that are not stores.
 */
#include "tests/check.h"
#include "tests/tracker/trk_testutil.h"
#include "tracker/query.h"
#include "tracker/store_int.h"

#include <math.h>
#include <sqlite3.h>

static const char *SPEC =
    "{\"name\":\"s\",\"search\":{\"direction\":\"minimize\",\"space\":{"
    "\"units\":{\"type\":\"int\",\"low\":16,\"high\":256,\"log\":true},"
    "\"act\":{\"type\":\"categorical\",\"choices\":[\"relu\",\"tanh\"]}}}}";
static const char *SPEC_MORE_TRIALS =
    "{\"name\":\"s\",\"search\":{\"n_trials\":99,\"direction\":\"minimize\",\"space\":{"
    "\"units\":{\"type\":\"int\",\"low\":16,\"high\":256,\"log\":true},"
    "\"act\":{\"type\":\"categorical\",\"choices\":[\"relu\",\"tanh\"]}}}}";
static const char *SPEC_OTHER_SPACE =
    "{\"name\":\"s\",\"search\":{\"space\":{\"units\":{\"type\":\"int\",\"low\":8,\"high\":256}}}}";

static char err[256];

static void test_refuses_foreign_files(void)
{
    char p[600], before[65], after[65];
    tu_path(p, sizeof p, "missing.db");
    CHECK(trk_store_open(p, 0, err) == NULL);
    CHECK_STR_CONTAINS(err, "no such file");
    CHECK(access(p, F_OK) != 0);
    CHECK(trk_store_open(p, TRK_READONLY, err) == NULL);
    CHECK(access(p, F_OK) != 0);

    tu_path(p, sizeof p, "text.db");
    FILE *f = fopen(p, "w");
    fputs("timestamp,open,high,low,close,volume\n1,2,3,4,5,6\n", f);
    fclose(f);
    tu_file_sha(p, before);
    CHECK(trk_store_open(p, 0, err) == NULL);
    CHECK_STR_CONTAINS(err, "not an SQLite database");
    CHECK(trk_store_open(p, TRK_CREATE, err) == NULL);
    tu_file_sha(p, after);
    CHECK_STR_CONTAINS(after, before);

    tu_path(p, sizeof p, "foreign.db");
    sqlite3 *db;
    sqlite3_open(p, &db);
    sqlite3_exec(db, "CREATE TABLE notes(x); INSERT INTO notes VALUES(1);", NULL, NULL, NULL);
    sqlite3_close(db);
    tu_file_sha(p, before);
    CHECK(trk_store_open(p, TRK_CREATE, err) == NULL);
    CHECK_STR_CONTAINS(err, "not a seqtune store");
    CHECK(trk_store_open(p, TRK_READONLY, err) == NULL);
    tu_file_sha(p, after);
    CHECK_STR_CONTAINS(after, before);

    tu_path(p, sizeof p, "newer.db");
    trk_store *s = trk_store_open(p, TRK_CREATE, err);
    CHECK(s != NULL);
    sqlite3_exec(s->db, "PRAGMA user_version=99", NULL, NULL, NULL);
    trk_store_close(s);
    CHECK(trk_store_open(p, 0, err) == NULL);
    CHECK_STR_CONTAINS(err, "newer");
}

static void test_migration_from_v1(void)
{
    char p[600];
    tu_path(p, sizeof p, "v1.db");
    sqlite3 *db;
    CHECK_INT(sqlite3_open(p, &db), SQLITE_OK);
    CHECK_INT(trk_schema_migrate(db, 1, err), 0);
    CHECK_INT(sqlite3_exec(db,
        "INSERT INTO studies(id,name,spec,direction,created) VALUES(1,'old','{}','minimize',0);"
        "INSERT INTO runs(id,study_id,trial_number,state,started) VALUES(1,1,0,'COMPLETE',0);"
        "INSERT INTO metrics(run_id,key,step,value,timestamp) VALUES"
        " (1,'loss',0,0.9,0),(1,'loss',2,0.5,0),(1,'loss',1,0.3,0),(1,'acc',0,NULL,0);"
        "INSERT INTO metric_batches VALUES(1,1,4);",
        NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    trk_store *s = trk_store_open(p, 0, err);
    CHECK_MSG(s != NULL, "%s", err);
    if (!s)
        return;
    int v = 0;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    CHECK_INT(v, TRK_SCHEMA_VERSION);
    trk_metric_summary *m;
    int n;
    TU_OK(trk_metric_summaries(s, 1, &m, &n, err));
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR_CONTAINS(m[0].key, "acc");
        CHECK(isnan(m[0].last) && isnan(m[0].min));
        CHECK_STR_CONTAINS(m[1].key, "loss");
        CHECK_NEAR(m[1].last, 0.5, 0);
        CHECK_INT(m[1].last_step, 2);
        CHECK_NEAR(m[1].min, 0.3, 0);
        CHECK_NEAR(m[1].max, 0.9, 0);
        CHECK_INT(m[1].count, 3);
    }
    trk_metric_summaries_free(m, n);
    trk_metric_point *h;
    TU_OK(trk_metric_history(s, 1, "loss", &h, &n, err));
    CHECK_INT(n, 3);
    if (n == 3)
        CHECK_NEAR(h[2].value, 0.5, 0);
    free(h);
    trk_store_close(s);
}

static void test_roundtrip(void)
{
    char p[600];
    tu_path(p, sizeof p, "store.db");
    trk_store *s = trk_store_open(p, TRK_CREATE, err);
    CHECK_MSG(s != NULL, "%s", err);
    if (!s)
        return;
    int64_t sid, sid2;
    int ex = -1;
    TU_OK(trk_study_open(s, "alpha", SPEC, "minimize", 0, &sid, &ex, err));
    CHECK_INT(ex, 0);
    CHECK_INT(trk_study_open(s, "alpha", SPEC, "minimize", 0, &sid2, &ex, err), TRK_EEXISTS);
    CHECK_STR_CONTAINS(err, "--resume");
    TU_OK(trk_study_open(s, "alpha", SPEC, "minimize", TRK_RESUME, &sid2, &ex, err));
    CHECK_INT(sid2, sid);
    CHECK_INT(ex, 1);
    CHECK_INT(trk_study_open(s, "alpha", SPEC_OTHER_SPACE, "minimize", TRK_RESUME, &sid2, &ex, err),
              TRK_EINVAL);
    CHECK_STR_CONTAINS(err, "search.space");
    CHECK_INT(trk_study_open(s, "alpha", SPEC, "maximize", TRK_RESUME, &sid2, &ex, err), TRK_EINVAL);
    CHECK_INT(trk_study_open(s, "beta", "{not json", "minimize", 0, &sid2, &ex, err), TRK_EINVAL);
    CHECK_INT(trk_study_open(s, "beta", SPEC, "sideways", 0, &sid2, &ex, err), TRK_EINVAL);
    TU_OK(trk_study_open(s, "alpha", SPEC_MORE_TRIALS, "minimize", TRK_RESUME, &sid2, &ex, err));
    char *spec = NULL;
    TU_OK(trk_study_spec(s, sid, &spec, err));
    CHECK_STR_CONTAINS(spec, "\"n_trials\":99");
    free(spec);
    int64_t found;
    TU_OK(trk_study_find(s, "alpha", &found, err));
    CHECK_INT(found, sid);
    CHECK_INT(trk_study_find(s, "nope", &found, err), TRK_ENOTFOUND);

    /* runs */
    int64_t r0, r1, r2, r3, rx;
    TU_OK(trk_run_start(s, sid, 0, 1, 1001, &r0, err));
    TU_OK(trk_run_start(s, sid, 1, 2, 1002, &r1, err));
    TU_OK(trk_run_start(s, sid, 2, 1, 1003, &r2, err));
    TU_OK(trk_run_start(s, sid, 3, 3, 1004, &r3, err));
    CHECK_INT(trk_run_start(s, sid, 1, 1, 5, &rx, err), TRK_EINVAL);
    CHECK_INT(trk_run_start(s, 999, 0, 1, 5, &rx, err), TRK_ENOTFOUND);

    trk_param_in pin[] = {{"units", "64", 64}, {"act", "tanh", NAN}, {"lr", "0.001", 0.001}};
    TU_OK(trk_run_log_params(s, r0, pin, 3, err));
    trk_param_in again[] = {{"units", "128", 128}};
    TU_OK(trk_run_log_params(s, r0, again, 1, err));
    CHECK_INT(trk_run_log_params(s, 999, pin, 1, err), TRK_ENOTFOUND);

    trk_metric_in m1[] = {{"loss", 0, 0.9, 0}, {"loss", 1, 0.7, 0}, {"acc", 0, NAN, 0},
                          {"loss", 3, 0.4, 0}, {"acc", 1, 0.6, 0}};
    TU_OK(trk_run_log_metrics(s, r0, m1, 5, err));
    trk_metric_in m2[] = {{"loss", 2, 0.2, 0}, {"loss", 3, 0.45, 0}, {"acc", 2, 0.55, 12345.5}};
    TU_OK(trk_run_log_metrics(s, r0, m2, 3, err));
    CHECK_INT(trk_run_log_metrics(s, 999, m2, 1, err), TRK_ENOTFOUND);

    trk_metric_point *h;
    int nh;
    TU_OK(trk_metric_history(s, r0, "loss", &h, &nh, err));
    CHECK_INT(nh, 5);
    int64_t want_steps[] = {0, 1, 2, 3, 3};
    double want_vals[] = {0.9, 0.7, 0.2, 0.4, 0.45};
    for (int i = 0; i < nh && i < 5; i++) {
        CHECK_INT(h[i].step, want_steps[i]);
        CHECK_NEAR(h[i].value, want_vals[i], 0);
        CHECK(h[i].timestamp > 1e9);
    }
    free(h);
    TU_OK(trk_metric_history(s, r0, "acc", &h, &nh, err));
    CHECK_INT(nh, 3);
    if (nh == 3) {
        CHECK(isnan(h[0].value));
        CHECK_NEAR(h[2].timestamp, 12345.5, 0);
    }
    free(h);
    trk_metric_summary *ms;
    int nms;
    TU_OK(trk_metric_summaries(s, r0, &ms, &nms, err));
    CHECK_INT(nms, 2);
    if (nms == 2) {
        CHECK_STR_CONTAINS(ms[0].key, "acc");
        CHECK_NEAR(ms[0].min, 0.55, 0);
        CHECK_NEAR(ms[0].max, 0.6, 0);
        CHECK_NEAR(ms[0].last, 0.55, 0);
        CHECK_INT(ms[0].count, 3);
        CHECK_STR_CONTAINS(ms[1].key, "loss");
        CHECK_NEAR(ms[1].min, 0.2, 0);
        CHECK_NEAR(ms[1].max, 0.9, 0);
        CHECK_NEAR(ms[1].last, 0.45, 0); /* step 3 re-logged: the later row wins */
        CHECK_INT(ms[1].last_step, 3);
        CHECK_INT(ms[1].count, 5);
    }
    trk_metric_summaries_free(ms, nms);

    /* intermediate values (optimizer replay) */
    trk_metric_in iv0[] = {{TRK_INTERMEDIATE_KEY, 0, 0.5, 0}, {TRK_INTERMEDIATE_KEY, 1, 0.4, 0}};
    trk_metric_in iv1[] = {{TRK_INTERMEDIATE_KEY, 0, 0.8, 0}, {TRK_INTERMEDIATE_KEY, 0, 0.75, 0}};
    TU_OK(trk_run_log_metrics(s, r0, iv0, 2, err));
    TU_OK(trk_run_log_metrics(s, r1, iv1, 2, err));
    trk_intermediate *iv;
    int niv;
    TU_OK(trk_study_intermediates(s, sid, &iv, &niv, err));
    CHECK_INT(niv, 3);
    if (niv == 3) {
        CHECK_INT(iv[0].trial_number, 0);
        CHECK_INT(iv[1].step, 1);
        CHECK_NEAR(iv[1].value, 0.4, 0);
        CHECK_INT(iv[2].run_id, r1);
        CHECK_NEAR(iv[2].value, 0.75, 0);
    }
    free(iv);

    /* tags */
    TU_OK(trk_run_set_tag(s, r0, "note", "first", err));
    TU_OK(trk_run_set_tag(s, r0, "note", "replaced", err));
    TU_OK(trk_run_set_tag(s, r0, "host", "node1", err));
    CHECK_INT(trk_run_set_tag(s, 999, "x", "y", err), TRK_ENOTFOUND);
    TU_OK(trk_study_set_tag(s, sid, "owner", "quant", err));
    trk_kv *kv;
    int nkv;
    TU_OK(trk_run_tags(s, r0, &kv, &nkv, err));
    CHECK_INT(nkv, 2);
    if (nkv == 2) {
        CHECK_STR_CONTAINS(kv[0].key, "host");
        CHECK_STR_CONTAINS(kv[1].value, "replaced");
    }
    trk_kv_free(kv, nkv);
    TU_OK(trk_study_tags(s, sid, &kv, &nkv, err));
    CHECK_INT(nkv, 1);
    trk_kv_free(kv, nkv);

    /* artifacts */
    const char blob[] = "model weights";
    int64_t a1, a2;
    TU_OK(trk_artifact_put(s, sid, r0, "model", "model.bin", blob, sizeof blob - 1, &a1, err));
    char src[600];
    tu_path(src, sizeof src, "report.txt");
    FILE *f = fopen(src, "w");
    fputs("abc", f);
    fclose(f);
    TU_OK(trk_artifact_put_file(s, sid, 0, "report", "sub/report.txt", src, &a2, err));
    const char *bad_names[] = {"../escape", "/etc/passwd", "a/../b", "", "a//b", "./x", "dir/"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
        CHECK_MSG(trk_artifact_put(s, sid, r0, "x", bad_names[i], "x", 1, NULL, err) == TRK_EINVAL,
                  "name '%s' accepted", bad_names[i]);
    CHECK_INT(trk_artifact_put(s, sid, 999, "x", "ok", "x", 1, NULL, err), TRK_ENOTFOUND);
    trk_artifact *art;
    int na;
    TU_OK(trk_artifacts_list(s, sid, r0, &art, &na, err));
    CHECK_INT(na, 1);
    if (na == 1) {
        char hex[65], full[1200];
        trk_sha256_hex(blob, sizeof blob - 1, hex);
        CHECK_STR_CONTAINS(art[0].sha256, hex);
        CHECK_INT(art[0].bytes, 13);
        CHECK_INT(art[0].id, a1);
        snprintf(full, sizeof full, "%s/%s", trk_store_artifact_root(s), art[0].path);
        char fhex[65];
        tu_file_sha(full, fhex);
        CHECK_STR_CONTAINS(fhex, hex);
    }
    trk_artifacts_free(art, na);
    TU_OK(trk_artifacts_list(s, sid, 0, &art, &na, err));
    CHECK_INT(na, 1);
    if (na == 1) {
        CHECK_STR_CONTAINS(art[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        CHECK_INT(art[0].run_id, 0);
        CHECK_STR_CONTAINS(art[0].path, "study/sub/report.txt");
    }
    trk_artifacts_free(art, na);

    /* finishing */
    TU_OK(trk_run_finish(s, r0, TRK_COMPLETE, 0.45, NULL, err));
    CHECK_INT(trk_run_finish(s, r0, TRK_FAIL, NAN, "again", err), TRK_EINVAL);
    CHECK_STR_CONTAINS(err, "already finished");
    CHECK_INT(trk_run_finish(s, 999, TRK_COMPLETE, 1, NULL, err), TRK_ENOTFOUND);
    CHECK_INT(trk_run_finish(s, r1, TRK_RUNNING, 1, NULL, err), TRK_EINVAL);
    TU_OK(trk_run_finish(s, r1, TRK_PRUNED, 0.75, NULL, err));
    int marked = -1;
    TU_OK(trk_study_fail_running(s, sid, "lost", &marked, err));
    CHECK_INT(marked, 2);
    TU_OK(trk_study_fail_running(s, sid, "lost", &marked, err));
    CHECK_INT(marked, 0);

    trk_run run;
    TU_OK(trk_run_get(s, r0, &run, err));
    CHECK_INT(run.state, TRK_COMPLETE);
    CHECK_NEAR(run.value, 0.45, 0);
    CHECK_INT(run.worker, 1);
    CHECK_INT(run.seed, 1001);
    CHECK_INT(run.trial_number, 0);
    CHECK(run.error == NULL);
    CHECK(run.finished >= run.started);
    CHECK_INT(run.n_params, 3);
    if (run.n_params == 3) {
        CHECK_STR_CONTAINS(run.params[0].key, "act");
        CHECK(isnan(run.params[0].num));
        CHECK_STR_CONTAINS(run.params[2].key, "units");
        CHECK_STR_CONTAINS(run.params[2].value, "128");
        CHECK_NEAR(run.params[2].num, 128, 0);
    }
    trk_run_clear(&run);
    TU_OK(trk_run_get(s, r2, &run, err));
    CHECK_INT(run.state, TRK_FAIL);
    CHECK_STR_CONTAINS(run.error, "lost");
    CHECK(isnan(run.value));
    trk_run_clear(&run);
    CHECK_INT(trk_run_get(s, 999, &run, err), TRK_ENOTFOUND);

    /* study status, result, listing */
    TU_OK(trk_study_set_status(s, sid, TRK_STUDY_COMPLETE, err));
    CHECK_INT(trk_study_set_status(s, 999, TRK_STUDY_COMPLETE, err), TRK_ENOTFOUND);
    TU_OK(trk_study_set_result(s, sid, "{\"holdout\":{\"sharpe\":1.5}}", r0, a1, err));
    CHECK_INT(trk_study_set_result(s, sid, "{bad", 0, 0, err), TRK_EINVAL);
    char *res;
    int64_t best, model;
    TU_OK(trk_study_result(s, sid, &res, &best, &model, err));
    CHECK_STR_CONTAINS(res, "\"sharpe\":1.5");
    CHECK_INT(best, r0);
    CHECK_INT(model, a1);
    free(res);
    TU_OK(trk_study_open(s, "empty", "{}", "maximize", 0, &sid2, NULL, err));
    trk_study_info *list;
    int n;
    TU_OK(trk_studies_list(s, &list, &n, err));
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR_CONTAINS(list[0].name, "alpha");
        CHECK_STR_CONTAINS(list[0].status, "COMPLETE");
        CHECK_INT(list[0].n_runs, 4);
        CHECK_INT(list[0].n_complete, 1);
        CHECK_INT(list[0].n_pruned, 1);
        CHECK_INT(list[0].n_fail, 2);
        CHECK_INT(list[0].n_running, 0);
        CHECK_NEAR(list[0].best_value, 0.45, 0);
        CHECK_INT(list[0].best_run_id, r0);
        CHECK_INT(list[1].n_runs, 0);
        CHECK(isnan(list[1].best_value));
        CHECK_INT(list[1].best_run_id, 0);
    }
    trk_studies_free(list, n);
    trk_study_info si;
    CHECK_INT(trk_study_get(s, "zzz", &si, err), TRK_ENOTFOUND);
    TU_OK(trk_study_get(s, "empty", &si, err));
    CHECK_STR_CONTAINS(si.direction, "maximize");
    trk_study_info_clear(&si);
    trk_store_close(s);

    /* read-only: reads work, writes are refused */
    s = trk_store_open(p, TRK_READONLY, err);
    CHECK_MSG(s != NULL, "%s", err);
    if (s) {
        CHECK(trk_run_set_tag(s, r0, "k", "v", err) != 0);
        TU_OK(trk_run_get(s, r0, &run, err));
        trk_run_clear(&run);
        trk_store_close(s);
    }
}

/* Batches: one transaction, a failing call undoes only itself, readers see
 * nothing until the end; a 123-row metric batch (multi-row and single-row inserts)
 * reads back in order. */
static void test_batch(void)
{
    char p[600];
    tu_path(p, sizeof p, "batch.db");
    trk_store *s = trk_store_open(p, TRK_CREATE, err), *r = NULL;
    CHECK_MSG(s != NULL, "%s", err);
    if (!s)
        return;
    int64_t sid, rid, found;
    TU_OK(trk_study_open(s, "b", "{}", "minimize", 0, &sid, NULL, err));
    r = trk_store_open(p, TRK_READONLY, err);
    CHECK_MSG(r != NULL, "%s", err);
    TU_OK(trk_store_batch_begin(s, err));
    CHECK_INT(trk_store_batch_begin(s, err), TRK_EINVAL);
    TU_OK(trk_run_start(s, sid, 0, 1, 1, &rid, err));
    trk_param_in pin = {"units", "64", 64};
    TU_OK(trk_run_log_params(s, rid, &pin, 1, err));
    CHECK_INT(trk_run_log_params(s, 999, &pin, 1, err), TRK_ENOTFOUND);
    CHECK_INT(trk_run_start(s, sid, 0, 1, 1, &found, err), TRK_EINVAL); /* duplicate trial */
    trk_metric_in m[123];
    for (int i = 0; i < 123; i++)
        m[i] = (trk_metric_in){i % 3 ? "loss" : "acc", 122 - i, i, 0};
    TU_OK(trk_run_log_metrics(s, rid, m, 123, err));
    TU_OK(trk_run_finish(s, rid, TRK_COMPLETE, 0.25, NULL, err));
    if (r) {
        trk_study_info si;
        TU_OK(trk_study_get(r, "b", &si, err));
        CHECK_INT(si.n_runs, 0); /* not visible before the batch ends */
        trk_study_info_clear(&si);
    }
    TU_OK(trk_store_batch_end(s, err));
    CHECK_INT(trk_store_batch_end(s, err), TRK_EINVAL);
    if (r) {
        trk_run run;
        TU_OK(trk_run_get(r, rid, &run, err));
        CHECK_INT(run.state, TRK_COMPLETE);
        CHECK_INT(run.n_params, 1);
        trk_run_clear(&run);
        trk_metric_point *h;
        int n;
        TU_OK(trk_metric_history(r, rid, "loss", &h, &n, err));
        CHECK_INT(n, 82);
        for (int i = 1; i < n; i++)
            CHECK(h[i].step > h[i - 1].step);
        if (n == 82) {
            CHECK_INT(h[0].step, 0);
            CHECK_NEAR(h[0].value, 122, 0);
        }
        free(h);
        trk_metric_summary *ms;
        TU_OK(trk_metric_summaries(r, rid, &ms, &n, err));
        CHECK_INT(n, 2);
        if (n == 2) {
            CHECK_INT(ms[0].count, 41);
            CHECK_NEAR(ms[0].last, 0, 0);  /* acc at step 122 is row 0 */
            CHECK_NEAR(ms[1].max, 122, 0);
        }
        trk_metric_summaries_free(ms, n);
        trk_store_close(r);
    }
    trk_store_close(s);
}

int main(void)
{
    tu_scratch();
    test_refuses_foreign_files();
    test_migration_from_v1();
    test_roundtrip();
    test_batch();
    return check_done();
}
