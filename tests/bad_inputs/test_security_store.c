/*
 * test_security_store.c - the store treats user text as data, never as SQL or
 * as a path (issue 9, "Security").
 *
 * Study names, parameter values, tags and filter literals carrying quotes and
 * SQL (`x'); DROP TABLE runs;--`) are stored and matched verbatim and leave the
 * schema intact; a filter that tries to append SQL is refused. Artifact names
 * that are absolute or climb out with `..` are refused and write nothing, while
 * a plain name lands under the artifact folder with the right size and SHA-256.
 */
#include "tests/check.h"
#include "tracker/query.h"
#include "tracker/store.h"

#include <sqlite3.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#define EVIL "x'); DROP TABLE runs;--"

/* Counts rows with plain SQLite (independent of the tracker's queries). */
static long count_rows(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    long n = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

/* Runs a filter over the study; the number of runs matched, or -1 (refused). */
static int filter_count(trk_store *s, int64_t study, const char *filter, int64_t *first_trial)
{
    trk_query q = {.filter = filter};
    trk_run_list l = {0};
    char err[256] = "";
    if (trk_runs_query(s, study, &q, &l, err) != 0) {
        CHECK_MSG(err[0] != '\0', "refused filter [%s] without a message", filter);
        return -1;
    }
    int n = l.n;
    if (first_trial)
        *first_trial = n > 0 ? l.runs[0].trial_number : -1;
    trk_run_list_free(&l);
    return n;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

int main(void)
{
    char dir[] = "/tmp/seqtune_security_XXXXXX";
    if (!mkdtemp(dir))
        return check_skip("cannot make a temp folder");
    char db[512], err[256] = "";
    snprintf(db, sizeof db, "%s/store.db", dir);
    trk_store *s = trk_store_open(db, TRK_CREATE, err);
    CHECK_MSG(s != NULL, "open: %s", err);
    if (!s)
        return check_done();

    /* names: stored verbatim (or refused with a message), never executed */
    int64_t evil_study = 0, study = 0, run_ids[3] = {0};
    int rc = trk_study_open(s, EVIL, "{}", "minimize", 0, &evil_study, NULL, err);
    if (rc == 0) {
        trk_study_info info;
        CHECK_INT(trk_study_get(s, EVIL, &info, err), 0);
        CHECK_STR_CONTAINS(info.name, EVIL);
        CHECK(strcmp(info.name, EVIL) == 0);
        trk_study_info_clear(&info);
    } else {
        CHECK_MSG(err[0] != '\0', "study name refused without a message");
    }
    CHECK_INT(trk_study_open(s, "sec", "{\"name\": \"it's\"}", "minimize", 0, &study, NULL, err), 0);
    CHECK_INT(trk_study_set_tag(s, study, "owner", EVIL, err), 0);
    for (int t = 0; t < 3; t++) {
        trk_param_in p[] = {{"units", t == 0 ? "a'b\"c" : "plain", NAN},
                            {"it's", EVIL, NAN}};
        CHECK_INT(trk_run_start(s, study, t, 0, 7, &run_ids[t], err), 0);
        CHECK_INT(trk_run_log_params(s, run_ids[t], p, 2, err), 0);
        CHECK_INT(trk_run_set_tag(s, run_ids[t], "note", t == 1 ? EVIL : "fine", err), 0);
        CHECK_INT(trk_run_set_tag(s, run_ids[t], EVIL, "k", err), 0);
        CHECK_INT(trk_run_finish(s, run_ids[t], TRK_COMPLETE, t, NULL, err), 0);
    }

    /* tags come back byte for byte */
    trk_kv *kv = NULL;
    int nkv = 0;
    CHECK_INT(trk_run_tags(s, run_ids[1], &kv, &nkv, err), 0);
    int seen_value = 0, seen_key = 0;
    for (int i = 0; i < nkv; i++) {
        if (strcmp(kv[i].key, "note") == 0 && strcmp(kv[i].value, EVIL) == 0)
            seen_value = 1;
        if (strcmp(kv[i].key, EVIL) == 0 && strcmp(kv[i].value, "k") == 0)
            seen_key = 1;
    }
    CHECK_MSG(seen_value && seen_key, "run tags did not round-trip (%d tags)", nkv);
    trk_kv_free(kv, nkv);

    /* filter literals with quotes and SQL match exactly the run that has them */
    int64_t first = -1;
    CHECK_INT(filter_count(s, study, "tags.note = 'x''); DROP TABLE runs;--'", &first), 1);
    CHECK_INT(first, 1);
    CHECK_INT(filter_count(s, study, "params.units = 'a''b\"c'", &first), 1);
    CHECK_INT(first, 0);
    CHECK_INT(filter_count(s, study, "params.`it's` = \"x'); DROP TABLE runs;--\"", NULL), 3);
    CHECK_INT(filter_count(s, study, "tags.`x'); DROP TABLE runs;--` = 'k'", NULL), 3);
    CHECK_INT(filter_count(s, study, "tags.note LIKE '%DROP%'", NULL), 1);
    /* SQL appended to a filter is a syntax error, not a second statement */
    CHECK_INT(filter_count(s, study, "state = 'COMPLETE'; DROP TABLE runs;--", NULL), -1);
    CHECK_INT(filter_count(s, study, "state = 'COMPLETE' OR 1=1", NULL), -1);
    CHECK_INT(filter_count(s, study, "state = '' OR ''=''", NULL), -1);
    CHECK_INT(filter_count(s, study, "params.units = 1) OR (1=1", NULL), -1);
    trk_query bad_order = {.order_by = "trial_number; DROP TABLE runs"};
    trk_run_list l = {0};
    CHECK(trk_runs_query(s, study, &bad_order, &l, err) != 0);
    trk_run_list_free(&l);

    /* artifact names cannot leave the artifact folder */
    const char *bad_names[] = {"../evil.txt", "../../evil.txt", "a/../../evil.txt", "..",
                               "/tmp/seqtune_security_abs_evil.txt", "", "a//b", "./../evil.txt"};
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
        err[0] = '\0';
        int r = trk_artifact_put(s, study, run_ids[0], "evil", bad_names[i], "x", 1, NULL, err);
        CHECK_MSG(r == TRK_EINVAL, "artifact name '%s' was not refused (%d)", bad_names[i], r);
        CHECK_MSG(err[0] != '\0', "artifact name '%s' refused without a message", bad_names[i]);
    }
    char p[1024];
    snprintf(p, sizeof p, "%s/evil.txt", dir);
    CHECK_MSG(!file_exists(p), "%s was written", p);
    CHECK(!file_exists("/tmp/seqtune_security_abs_evil.txt"));
    CHECK_MSG(!file_exists("/tmp/evil.txt"), "/tmp/evil.txt exists (maybe written by this test)");
    int64_t art = 0;
    CHECK_INT(trk_artifact_put(s, study, run_ids[0], "model", "sub/model.bin", "hello", 5, &art, err), 0);
    trk_artifact *a = NULL;
    int na = 0;
    CHECK_INT(trk_artifacts_list(s, study, run_ids[0], &a, &na, err), 0);
    CHECK_INT(na, 1);
    if (na == 1) {
        CHECK_INT(a[0].bytes, 5);
        /* SHA-256("hello"), FIPS 180-4 reference value */
        CHECK(strcmp(a[0].sha256,
                     "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824") == 0);
        snprintf(p, sizeof p, "%s/%s", trk_store_artifact_root(s), a[0].path);
        CHECK_MSG(file_exists(p), "artifact file %s missing", p);
        CHECK_MSG(strstr(a[0].path, "..") == NULL && a[0].path[0] != '/', "stored path %s", a[0].path);
    }
    trk_artifacts_free(a, na);
    trk_store_close(s);

    /* the schema and the rows survived everything above */
    CHECK_INT(count_rows(db, "SELECT count(*) FROM runs"), 3);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM sqlite_master WHERE name = 'runs'"), 1);
    CHECK_INT(count_rows(db, "SELECT count(*) FROM tags WHERE value = 'x''); DROP TABLE runs;--'"), 1);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "note: could not remove %s\n", dir);
    return check_done();
}
