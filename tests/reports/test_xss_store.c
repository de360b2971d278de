/*
 * test_xss_store.c - writes a study full of hostile strings into a real store
 * through the tracker's write API (what `seqtune run` would refuse: a study name,
 * param names, tags, fold layout, data file and spec values carrying HTML/JS),
 * then loads it back with rep_study_load and checks that the loaded strings are
 * intact. e2e_xss.sh then renders it with `seqtune report` and inspects the DOM
 * in headless Chromium. Usage: test_xss_store DB_PATH
 */
#include "reports/load.h"
#include "tracker/store.h"
#include "tests/check.h"

#include <math.h>
#include <string.h>

#define S1 "<script>alert(1)</script>"
#define S2 "\"><img src=x onerror=alert(1)>"

int main(int argc, char **argv)
{
    char err[256] = "";
    if (argc != 2) {
        fprintf(stderr, "usage: test_xss_store DB_PATH\n");
        return 1;
    }
    trk_store *st = trk_store_open(argv[1], TRK_CREATE, err);
    CHECK_MSG(st != NULL, "open %s: %s", argv[1], err);
    if (!st)
        return check_done();
    const char *spec =
        "{\"name\":\"" "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" "\","
        "\"note\":\"\\\"><img src=x onerror=alert(1)>\","
        "\"search\":{\"metric\":\"val\",\"direction\":\"minimize\",\"space\":{"
        "\"\\\"><img src=x onerror=alert(1)>\":{\"type\":\"float\",\"low\":0,\"high\":1},"
        "\"k\":{\"type\":\"categorical\",\"choices\":[\"a\",\"b\"]}}}}";
    int64_t sid = 0, rid = 0;
    CHECK_MSG(trk_study_open(st, S1, spec, "minimize", 0, &sid, NULL, err) == 0, "%s", err);
    CHECK(trk_study_set_tag(st, sid, "data_file", S1 ".csv", err) == 0);
    CHECK(trk_study_set_tag(st, sid, "fold_layout", "fold 0\n  " S2 "\n" S1, err) == 0);
    CHECK(trk_study_set_tag(st, sid, "workers", "2", err) == 0);
    CHECK(trk_study_set_tag(st, sid, S2, S1, err) == 0);
    for (int i = 0; i < 4; i++) {
        CHECK_MSG(trk_run_start(st, sid, i, 1, 10 + i, &rid, err) == 0, "%s", err);
        trk_param_in p[2] = {{S2, i % 2 ? "0.25" : "0.75", i % 2 ? 0.25 : 0.75},
                             {"k", i % 2 ? S1 : S2, NAN}};
        CHECK_MSG(trk_run_log_params(st, rid, p, 2, err) == 0, "%s", err);
        trk_metric_in m[2] = {{TRK_INTERMEDIATE_KEY, 0, 0.5 + 0.1 * i, 0},
                              {TRK_INTERMEDIATE_KEY, 1, 0.4 + 0.1 * i, 0}};
        CHECK_MSG(trk_run_log_metrics(st, rid, m, i == 3 ? 1 : 2, err) == 0, "%s", err);
        CHECK(trk_run_set_tag(st, rid, S1, S2, err) == 0);
        trk_state state = i == 2 ? TRK_FAIL : i == 3 ? TRK_PRUNED : TRK_COMPLETE;
        CHECK_MSG(trk_run_finish(st, rid, state, i == 2 ? NAN : 0.4 + 0.1 * i,
                                 i == 2 ? "worker said " S1 " " S2 : NULL, err) == 0, "%s", err);
    }
    CHECK(trk_study_set_status(st, sid, TRK_STUDY_COMPLETE, err) == 0);

    rep_study s;
    CHECK_MSG(rep_study_load(st, S1, &s, err) == 0, "load: %s", err);
    if (s.name) {
        CHECK_STR_CONTAINS(s.name, S1);
        CHECK_STR_CONTAINS(s.data_file ? s.data_file : "", S1);
        CHECK_STR_CONTAINS(s.fold_layout ? s.fold_layout : "", S2);
        CHECK_INT(s.n_trials, 4);
        CHECK_INT(s.workers, 2);
        if (s.n_trials == 4) {
            CHECK_STR_CONTAINS(s.trials[2].error ? s.trials[2].error : "", S1);
            CHECK_INT(s.trials[0].n_steps, 2);
            CHECK_INT(s.trials[3].n_steps, 1);
        }
        rep_study_free(&s);
    }
    trk_store_close(st);
    return check_done();
}
