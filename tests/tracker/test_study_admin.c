/*
 * test_study_admin.c - study management on a real store (tracker/admin.h):
 * rename, tag removal and delete round trips; a held coordinator lock refuses
 * delete and rename; a delete killed by SIGKILL at 12 moments through its
 * transaction leaves either the whole study (every row, every artifact file with
 * its sha256) or none of its rows, never a part, and never touches the other
 * study; study names are checked (control characters, bad UTF-8, length).
 */
#include "tests/check.h"
#include "tests/tracker/trk_testutil.h"
#include "tracker/admin.h"
#include "tracker/query.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>

#define RUNS 300
#define STEPS 200   /* metric rows per run: 60,000 in the study */

static char err[256];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A study of RUNS runs with params, STEPS metric rows each, a tag and an artifact
 * file per 50 runs. */
static void build_study(trk_store *s, const char *name, int64_t *sid)
{
    TU_OK(trk_study_open(s, name, "{\"name\":\"x\"}", "minimize", 0, sid, NULL, err));
    TU_OK(trk_store_batch_begin(s, err));
    trk_metric_in m[STEPS];
    for (int t = 0; t < RUNS; t++) {
        int64_t r;
        TU_OK(trk_run_start(s, *sid, t, 1, t, &r, err));
        trk_param_in p[2] = {{"units", "64", 64}, {"act", "relu", NAN}};
        TU_OK(trk_run_log_params(s, r, p, 2, err));
        for (int k = 0; k < STEPS; k++)
            m[k] = (trk_metric_in){k % 2 ? "loss" : "objective", k, 1.0 / (k + 1), 1.0};
        TU_OK(trk_run_log_metrics(s, r, m, STEPS, err));
        TU_OK(trk_run_set_tag(s, r, "host", "n1", err));
        if (t % 50 == 0) {
            char body[64];
            int n = snprintf(body, sizeof body, "weights of trial %d", t);
            TU_OK(trk_artifact_put(s, *sid, r, "model", "model.bin", body, (size_t)n, NULL, err));
        }
        TU_OK(trk_run_finish(s, r, TRK_COMPLETE, t, NULL, err));
    }
    TU_OK(trk_study_set_tag(s, *sid, "team", "a", err));
    TU_OK(trk_store_batch_end(s, err));
}

/* Rows in `table` that belong to study `sid` (through runs when it has run_id). */
static long long count_sql(sqlite3 *db, const char *sql, int64_t sid)
{
    sqlite3_stmt *st;
    long long n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, sid);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

typedef struct census {
    long long studies, runs, params, metrics, batches, summaries, tags, study_tags, artifacts;
} census;

/* Every row of study `sid`, counted per table straight from the file. Metrics are
 * counted by run id, so rows orphaned by a partial delete would show. */
static census take_census(const char *path, int64_t sid, long long run_lo, long long run_hi)
{
    census c = {0};
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return (census){-1, -1, -1, -1, -1, -1, -1, -1, -1};
    char q[256];
    c.studies = count_sql(db, "SELECT count(*) FROM studies WHERE id = ?1", sid);
    c.runs = count_sql(db, "SELECT count(*) FROM runs WHERE study_id = ?1", sid);
    snprintf(q, sizeof q, "SELECT count(*) FROM params WHERE run_id BETWEEN %lld AND %lld",
             run_lo, run_hi);
    c.params = count_sql(db, q, sid);
    snprintf(q, sizeof q, "SELECT count(*) FROM metrics WHERE run_id BETWEEN %lld AND %lld",
             run_lo, run_hi);
    c.metrics = count_sql(db, q, sid);
    snprintf(q, sizeof q, "SELECT count(*) FROM metric_batches WHERE run_id BETWEEN %lld AND %lld",
             run_lo, run_hi);
    c.batches = count_sql(db, q, sid);
    snprintf(q, sizeof q, "SELECT count(*) FROM metric_summary WHERE run_id BETWEEN %lld AND %lld",
             run_lo, run_hi);
    c.summaries = count_sql(db, q, sid);
    snprintf(q, sizeof q, "SELECT count(*) FROM tags WHERE run_id BETWEEN %lld AND %lld",
             run_lo, run_hi);
    c.tags = count_sql(db, q, sid);
    c.study_tags = count_sql(db, "SELECT count(*) FROM study_tags WHERE study_id = ?1", sid);
    c.artifacts = count_sql(db, "SELECT count(*) FROM artifacts WHERE study_id = ?1", sid);
    sqlite3_stmt *st;
    int ok = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_ROW &&
             strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
    sqlite3_finalize(st);
    CHECK_MSG(ok, "%s: integrity_check failed", path);
    sqlite3_close(db);
    return c;
}

static int census_eq(const census *a, const census *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

static void print_census(const char *what, const census *c)
{
    fprintf(stderr, "  %s: studies %lld runs %lld params %lld metrics %lld batches %lld "
            "summaries %lld tags %lld study_tags %lld artifacts %lld\n", what, c->studies,
            c->runs, c->params, c->metrics, c->batches, c->summaries, c->tags, c->study_tags,
            c->artifacts);
}

static void copy_tree(const char *from, const char *to)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.artifacts' && cp -a '%s' '%s' && "
             "cp -a '%s.artifacts' '%s.artifacts'", to, to, from, to, from, to);
    CHECK_MSG(system(cmd) == 0, "copy %s", from);
}

/* Are the six artifact files of the study there with their recorded sha256? */
static int files_intact(const char *db, int64_t sid)
{
    int ok = 0;
    for (int t = 0; t < RUNS; t += 50) {
        char path[1200], body[64], hex[65], want[65];
        int n = snprintf(body, sizeof body, "weights of trial %d", t);
        trk_sha256_hex(body, (size_t)n, want);
        snprintf(path, sizeof path, "%s.artifacts/%lld/%lld/model.bin", db, (long long)sid,
                 (long long)(t + 1));
        tu_file_sha(path, hex);
        ok += strcmp(hex, want) == 0;
    }
    return ok;
}

int main(void)
{
    char base[600], work[600];
    tu_scratch();
    tu_path(base, sizeof base, "base.db");
    tu_path(work, sizeof work, "work.db");

    /* names */
    CHECK_INT(trk_study_name_check("btc 1h, \"quoted\" <script>alert(1)</script>", err), 0);
    CHECK_INT(trk_study_name_check("line\nbreak", err), TRK_EINVAL);
    CHECK_STR_CONTAINS(err, "character 5 is a control character (U+000A)");
    CHECK_INT(trk_study_name_check("bad \xff byte", err), TRK_EINVAL);
    CHECK_STR_CONTAINS(err, "byte 5 is not valid UTF-8");
    CHECK_INT(trk_study_name_check("\xc0\xaf", err), TRK_EINVAL); /* overlong '/' */
    CHECK_INT(trk_study_name_check("", err), TRK_EINVAL);
    {
        char longname[1200] = "";
        for (int i = 0; i < TRK_STUDY_NAME_MAX; i++)
            strcat(longname, "\xc3\xa9"); /* é: 2 bytes, 1 character */
        CHECK_INT(trk_study_name_check(longname, err), 0);
        strcat(longname, "x");
        CHECK_INT(trk_study_name_check(longname, err), TRK_EINVAL);
        CHECK_STR_CONTAINS(err, "201 characters, at most 200");
    }

    /* the base store: study 1 "big" (runs 1..RUNS), study 2 "keep" */
    trk_store *s = trk_store_open(base, TRK_CREATE, err);
    if (!s) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    int64_t big, keep;
    build_study(s, "big", &big);
    build_study(s, "keep", &keep);
    trk_store_close(s);
    const census whole = take_census(base, big, 1, RUNS);
    const census none = {0};
    const census keep0 = take_census(base, keep, RUNS + 1, 2 * RUNS);
    CHECK_INT(whole.runs, RUNS);
    CHECK_INT(whole.metrics, RUNS * STEPS);
    CHECK_INT(whole.artifacts, RUNS / 50);
    CHECK_INT(files_intact(base, big), RUNS / 50);

    /* round trip: rename (and the spec's name), tags, delete */
    copy_tree(base, work);
    s = trk_store_open(work, 0, err);
    TU_OK(trk_study_rename(s, "big", "big 'renamed' <b>", err));
    CHECK_INT(trk_study_rename(s, "keep", "big 'renamed' <b>", err), TRK_EEXISTS);
    CHECK_INT(trk_study_rename(s, "nope", "x", err), TRK_ENOTFOUND);
    CHECK_INT(trk_study_rename(s, "keep", "a\tb", err), TRK_EINVAL);
    int64_t id;
    CHECK_INT(trk_study_find(s, "big", &id, err), TRK_ENOTFOUND);
    TU_OK(trk_study_find(s, "big 'renamed' <b>", &id, err));
    CHECK_INT(id, big);
    char *spec = NULL;
    TU_OK(trk_study_spec(s, id, &spec, err));
    CHECK_STR_CONTAINS(spec, "\"name\":\"big 'renamed' <b>\"");
    free(spec);
    int removed = -1;
    TU_OK(trk_study_unset_tag(s, id, "team", &removed, err));
    CHECK_INT(removed, 1);
    TU_OK(trk_study_unset_tag(s, id, "team", &removed, err));
    CHECK_INT(removed, 0);
    TU_OK(trk_run_unset_tag(s, 1, "host", &removed, err));
    CHECK_INT(removed, 1);
    trk_delete_stats ds;
    TU_OK(trk_study_delete(s, "big 'renamed' <b>", &ds, err));
    CHECK_INT(ds.runs, RUNS);
    CHECK_INT(ds.metrics, RUNS * STEPS);
    CHECK_INT(ds.artifacts, RUNS / 50);
    CHECK_INT(ds.files, RUNS / 50);
    CHECK_INT(trk_study_delete(s, "big 'renamed' <b>", &ds, err), TRK_ENOTFOUND);
    trk_store_close(s);
    census after = take_census(work, big, 1, RUNS);
    CHECK_MSG(census_eq(&after, &none), "delete left rows");
    census k = take_census(work, keep, RUNS + 1, 2 * RUNS);
    CHECK_MSG(census_eq(&k, &keep0), "delete touched the other study");
    {
        char dir[700];
        struct stat sb;
        snprintf(dir, sizeof dir, "%s.artifacts/%lld", work, (long long)big);
        CHECK_MSG(stat(dir, &sb) != 0, "%s still exists", dir);
    }

    /* a coordinator holding the study refuses delete and rename */
    copy_tree(base, work);
    {
        int go[2], ready[2];
        CHECK(pipe(go) == 0 && pipe(ready) == 0);
        pid_t p = fork();
        if (p == 0) {
            trk_store *c = trk_store_open(work, 0, err);
            int fd = -1;
            if (!c || trk_study_lock(c, "big", &fd, err) != 0)
                _exit(1);
            char b = 1;
            if (write(ready[1], &b, 1) != 1 || read(go[0], &b, 1) < 0)
                _exit(1);
            _exit(0);
        }
        char b;
        CHECK(read(ready[0], &b, 1) == 1);
        s = trk_store_open(work, 0, err);
        CHECK_INT(trk_study_delete(s, "big", &ds, err), TRK_EHELD);
        char want[64];
        snprintf(want, sizeof want, "(pid %d)", (int)p);
        CHECK_STR_CONTAINS(err, want);
        CHECK_INT(trk_study_rename(s, "big", "other", err), TRK_EHELD);
        int lock = -1;
        CHECK_INT(trk_study_lock(s, "big", &lock, err), TRK_EHELD);
        CHECK(write(go[1], &b, 1) == 1);
        int status;
        waitpid(p, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        TU_OK(trk_study_delete(s, "big", &ds, err)); /* released with the process */
        CHECK_INT(ds.runs, RUNS);
        trk_store_close(s);
    }

    /* SIGKILL through the delete: time a whole one, then kill at 0..275% of it (a
     * child must also fork and open the store first, slow under ASan, so the
     * kills reach past the commit on every build) */
    copy_tree(base, work);
    double t0 = now_s();
    s = trk_store_open(work, 0, err);
    TU_OK(trk_study_delete(s, "big", &ds, err));
    trk_store_close(s);
    double full = now_s() - t0;
    int n_whole = 0, n_none = 0;
    for (int i = 0; i < 12; i++) {
        copy_tree(base, work);
        pid_t p = fork();
        if (p == 0) {
            trk_store *c = trk_store_open(work, 0, err);
            _exit(c && trk_study_delete(c, "big", NULL, err) == 0 ? 0 : 1);
        }
        double at = full * i / 4.0;
        struct timespec d = {(time_t)at, (long)((at - (double)(time_t)at) * 1e9)};
        nanosleep(&d, NULL);
        kill(p, SIGKILL);
        int status;
        waitpid(p, &status, 0);
        census c = take_census(work, big, 1, RUNS);
        census kc = take_census(work, keep, RUNS + 1, 2 * RUNS);
        CHECK_MSG(census_eq(&kc, &keep0), "kill %d: the other study changed", i);
        if (census_eq(&c, &whole)) {
            n_whole++;
            CHECK_MSG(files_intact(work, big) == RUNS / 50, "kill %d: whole study but files gone", i);
        } else if (census_eq(&c, &none)) {
            n_none++;
        } else {
            CHECK_MSG(0, "kill %d at %.1f ms: part of the study is left", i, at * 1e3);
            print_census("left", &c);
        }
        /* the store opens and answers after the kill */
        trk_store *r = trk_store_open(work, 0, err);
        CHECK_MSG(r != NULL, "kill %d: reopen: %s", i, err);
        trk_study_info *l = NULL;
        int n = 0;
        if (r)
            TU_OK(trk_studies_list(r, &l, &n, err));
        CHECK_INT(n, census_eq(&c, &whole) ? 2 : 1);
        trk_studies_free(l, n);
        trk_store_close(r);
    }
    fprintf(stderr, "delete of %d runs, %d metric rows: %.1f ms; 12 kills left %d whole, %d none\n",
            RUNS, RUNS * STEPS, full * 1e3, n_whole, n_none);
    CHECK_INT(n_whole + n_none, 12);
    CHECK(n_whole >= 1 && n_none >= 1);
    return check_done();
}
