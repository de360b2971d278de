/*
 * mkstore.c - writes the small experiment store the bad-input cases read
 * (bad_inputs.sh's @STORE@): study "s" with three finished trials (params,
 * metric histories, a tag). Built only once tracker/ is on the branch.
 * Usage: bad_inputs_mkstore FILE
 */
#include "tracker/store.h"

#include <math.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bad_inputs_mkstore FILE\n");
        return 1;
    }
    char err[256];
    int rc = 1;
    int64_t study, run;
    trk_store *s = trk_store_open(argv[1], TRK_CREATE, err);
    if (!s)
        goto fail;
    if (trk_study_open(s, "s", "{\"name\": \"s\", \"objective\": {\"builtin\": \"branin\"}}",
                       "minimize", 0, &study, NULL, err) != 0)
        goto fail;
    for (int t = 0; t < 3; t++) {
        char v[32];
        snprintf(v, sizeof v, "%d", 16 << t);
        trk_param_in p[] = {{"units", v, (double)(16 << t)}, {"optimizer", "adam", NAN}};
        trk_metric_in m[] = {{"val_loss", 0, 0.7 - 0.1 * t, 0}, {"val_loss", 1, 0.6 - 0.1 * t, 0}};
        if (trk_run_start(s, study, t, 0, 100 + t, &run, err) != 0 ||
            trk_run_log_params(s, run, p, 2, err) != 0 ||
            trk_run_log_metrics(s, run, m, 2, err) != 0 ||
            trk_run_set_tag(s, run, "note", t ? "slow" : "fast", err) != 0 ||
            trk_run_finish(s, run, TRK_COMPLETE, 0.6 - 0.1 * t, NULL, err) != 0)
            goto fail;
    }
    if (trk_study_set_status(s, study, TRK_STUDY_COMPLETE, err) != 0)
        goto fail;
    rc = 0;
fail:
    if (rc)
        fprintf(stderr, "bad_inputs_mkstore: %s\n", err);
    trk_store_close(s);
    return rc;
}
