/*
 * fuzz_filter.c - fuzzes the run filter language (tracker/query.h: MLflow's
 * grammar plus or, not, parentheses, in, like/ilike, is null) through
 * trk_filter_check, and runs every accepted filter as a real query on a small
 * store in memory. Invariants: the answer is 0 or an error with a sentence; the
 * same text gives the same answer twice (no state); an accepted filter compiles
 * to SQL that SQLite prepares and runs (the only refusal left is an unknown key).
 */
#include "fuzz/fuzz.h"

#include "tracker/query.h"

#include <string.h>

/* One study with two finished runs (params units/act, metric sharpe, tag team);
 * opened on first use, kept for the process. */
static trk_store *fuzz_store(int64_t *sid)
{
    static trk_store *s;
    static int64_t id;
    char err[256];
    if (!s) {
        s = trk_store_open(":memory:", TRK_CREATE | TRK_NOSYNC, err);
        FUZZ_ASSERT(s != NULL);
        FUZZ_ASSERT(trk_study_open(s, "f", "{}", "minimize", 0, &id, NULL, err) == 0);
        for (int t = 0; t < 2; t++) {
            int64_t r;
            FUZZ_ASSERT(trk_run_start(s, id, t, 1, 7, &r, err) == 0);
            trk_param_in p[2] = {{"units", t ? "64" : "32", t ? 64 : 32}, {"act", "relu", 0.0 / 0.0}};
            FUZZ_ASSERT(trk_run_log_params(s, r, p, 2, err) == 0);
            trk_metric_in m = {"sharpe", 0, 1.0 + t, 0};
            FUZZ_ASSERT(trk_run_log_metrics(s, r, &m, 1, err) == 0);
            FUZZ_ASSERT(trk_run_set_tag(s, r, "team", "a", err) == 0);
            FUZZ_ASSERT(trk_run_finish(s, r, TRK_COMPLETE, t, NULL, err) == 0);
        }
    }
    *sid = id;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (!text)
        return 0;
    char err[256] = "", err2[256] = "";
    int rc = trk_filter_check(text, err);
    if (rc != 0)
        FUZZ_ASSERT(fuzz_err_ok(err));
    int rc2 = trk_filter_check(text, err2);
    FUZZ_ASSERT(rc == rc2);
    FUZZ_ASSERT(rc == 0 || strcmp(err, err2) == 0);
    if (rc == 0) {
        int64_t sid;
        trk_store *s = fuzz_store(&sid);
        trk_query q = {text, NULL, 0, 0};
        trk_run_list l;
        int qrc = trk_runs_query(s, sid, &q, &l, err);
        FUZZ_ASSERT(qrc == 0 || (qrc == TRK_EINVAL && strstr(err, "unknown key")));
        if (qrc == 0) {
            FUZZ_ASSERT(l.n >= 0 && l.n <= 2);
            trk_run_list_free(&l);
        }
    }
    free(text);
    return 0;
}
