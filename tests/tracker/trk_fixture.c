/*
 * trk_fixture.c - builds the store the CLI test (test_store_cli.sh) reads, through
 * the tracker's write API: study "demo" (minimize, a spec with a search space) with
 * six runs in every state, params, metric histories, intermediate values, tags and
 * an artifact; study "other" (maximize) with two runs.
 * Usage: trk_fixture DB   (the file must not exist)
 */
#include "tracker/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char *SPEC =
    "{\"name\":\"demo\",\"search\":{\"n_trials\":6,\"metric\":\"val_log_loss\","
    "\"direction\":\"minimize\",\"space\":{"
    "\"units\":{\"type\":\"int\",\"low\":16,\"high\":256,\"log\":true},"
    "\"dropout\":{\"type\":\"float\",\"low\":0.0,\"high\":0.5},"
    "\"batch_size\":{\"type\":\"categorical\",\"choices\":[32,64,128]}}}}";

#define OK(call) do { if ((call) != 0) { fprintf(stderr, "trk_fixture: %s\n", err); return 1; } } while (0)

int main(int argc, char **argv)
{
    char err[256];
    if (argc != 2) {
        fprintf(stderr, "usage: trk_fixture DB\n");
        return 1;
    }
    trk_store *s = trk_store_open(argv[1], TRK_CREATE, err);
    if (!s) {
        fprintf(stderr, "trk_fixture: %s\n", err);
        return 1;
    }
    int64_t sid, rid;
    OK(trk_study_open(s, "demo", SPEC, "minimize", 0, &sid, NULL, err));
    OK(trk_study_set_tag(s, sid, "owner", "ci", err));
    static const struct { const char *units, *dropout, *batch; trk_state st; double v; double sharpe; } t[] = {
        {"64", "0.1", "32", TRK_COMPLETE, 0.61, 1.2},
        {"128", "0.2", "64", TRK_COMPLETE, 0.58, 0.7},
        {"32", "0.3", "128", TRK_PRUNED, 0.70, 0.1},
        {"256", "0.05", "64", TRK_FAIL, NAN, NAN},
        {"96", "0.4", "32", TRK_COMPLETE, 0.55, 1.9},
        {"16", "0.25", "128", TRK_RUNNING, NAN, 0.3},
    };
    for (int i = 0; i < 6; i++) {
        OK(trk_run_start(s, sid, i, 1 + i % 2, 42 + i, &rid, err));
        trk_param_in p[] = {{"units", t[i].units, atof(t[i].units)},
                            {"dropout", t[i].dropout, atof(t[i].dropout)},
                            {"batch_size", t[i].batch, atof(t[i].batch)}};
        OK(trk_run_log_params(s, rid, p, 3, err));
        int folds = t[i].st == TRK_PRUNED ? 1 : 3;
        for (int f = 0; f < folds; f++) {
            trk_metric_in m[] = {{"objective", f, 0.7 - 0.02 * f - 0.01 * i, 0},
                                 {"val_log_loss", f, 0.69 - 0.01 * f, 0},
                                 {"sharpe", f, t[i].sharpe - 0.1 * (2 - f), 0}};
            OK(trk_run_log_metrics(s, rid, m, 3, err));
        }
        if (i == 0) {
            OK(trk_run_set_tag(s, rid, "note", "baseline", err));
            OK(trk_artifact_put(s, sid, rid, "model", "model.bin", "weights", 7, NULL, err));
        }
        if (t[i].st != TRK_RUNNING)
            OK(trk_run_finish(s, rid, t[i].st, t[i].v, t[i].st == TRK_FAIL ? "diverged: loss is NaN" : NULL, err));
    }
    OK(trk_study_open(s, "other", "{\"search\":{\"space\":{}}}", "maximize", 0, &sid, NULL, err));
    for (int i = 0; i < 2; i++) {
        OK(trk_run_start(s, sid, i, 1, 7, &rid, err));
        OK(trk_run_finish(s, rid, TRK_COMPLETE, 1.0 + i, NULL, err));
    }
    OK(trk_study_set_status(s, sid, TRK_STUDY_COMPLETE, err));
    trk_store_close(s);
    return 0;
}
