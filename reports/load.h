/*
 * load.h - reads a study from the experiment store into rep_study (model.h),
 * through the tracker's read API.
 */
#ifndef REP_LOAD_H
#define REP_LOAD_H

#include "reports/model.h"
#include "tracker/query.h"
#include "tracker/store.h"

/* Loads study `name` with every trial, its per-fold values and the study's
 * result. Returns 0, or -1 with err (an unknown study is named). The caller
 * frees *out with rep_study_free (also after a failure, which leaves it empty). */
int rep_study_load(trk_store *store, const char *name, rep_study *out, char err[256]);

/* A run of the store as a report trial: number, state, value, times, worker,
 * error and parameters (no intermediate values). Returns 0, or -1 when memory
 * runs out (t then holds what was copied; the caller frees it as a trial of
 * its study). */
int rep_trial_from_run(const trk_run *r, rep_trial *t);

/* A multi-objective trial's values from the store into t (nothing when the
 * run has none). Returns 0, or -1 with err. */
int rep_trial_values_load(trk_store *store, int64_t run_id, rep_trial *t, char err[256]);

#endif
