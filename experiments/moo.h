/*
 * moo.h - the runner's multi-objective side (search.metrics): the optimizer's
 * objectives, the study's objectives and each trial's values in the store
 * (tracker/objectives.h), the values read back for --resume and warm starts,
 * and the Pareto front of a stored study as `run`, `best` and `best --pick`
 * show it.
 *
 * A multi-objective trial that COMPLETEs has a finite value for every
 * objective, or it is a FAIL that names the one that is not. Its values are
 * stored before the run is finished (the same batch), so a COMPLETE run of a
 * multi-objective study always has them. The front is the set of COMPLETE
 * trials that no other COMPLETE trial dominates (every objective no worse, one
 * better, each compared in its own direction: base/pareto.h).
 */
#ifndef EXP_MOO_H
#define EXP_MOO_H

#include "experiments/objective.h"
#include "experiments/spec.h"
#include "optimizer/study.h"
#include "tracker/objectives.h"
#include "tracker/store.h"

#include <cjson/cJSON.h>
#include <stdio.h>

/* Gives the optimizer the spec's objectives (nothing for one). 0, or -1 with err. */
int exp_moo_setup(const exp_spec *spec, opt_study *opt, char err[256]);

/* Records the spec's objectives with the study (one for a single-objective
 * spec); a study that has other ones is refused (a resume that changed
 * search.metrics or search.directions): -1 with err. */
int exp_moo_record(const exp_spec *spec, trk_store *store, int64_t study_id, char err[256]);

/* A COMPLETE result of a multi-objective spec without a finite value for
 * every objective becomes FAIL with the reason. Nothing for one objective. */
void exp_moo_check_result(const exp_spec *spec, exp_trial_result *r);

/* Stores a COMPLETE multi-objective result's values with run_id (nothing
 * otherwise). 0, or -1 with err. */
int exp_moo_store_values(const exp_spec *spec, trk_store *store, int64_t run_id,
                         const exp_trial_result *r, char err[256]);

/* Tells the optimizer the trial's end: every value of a multi-objective
 * COMPLETE trial. A tell the optimizer refuses is told as FAIL. */
void exp_moo_tell(const exp_spec *spec, opt_study *opt, int number, const exp_trial_result *r);

/* The stored values of a study's trials, for replay; a lookup walks the
 * trials in ascending number (as the store lists them). */
typedef struct exp_moo_history {
    trk_run_values *rows;
    int n, at;
} exp_moo_history;

/* Loads them (nothing for a single-objective spec). 0, or -1 with err. */
int exp_moo_history_load(const exp_spec *spec, trk_store *store, int64_t study_id,
                         exp_moo_history *h, char err[256]);
/* The values of trial `number` (calls in ascending number), or NULL. */
const double *exp_moo_history_values(exp_moo_history *h, int number);
void exp_moo_history_free(exp_moo_history *h);

/* One trial of the front. */
typedef struct exp_moo_point {
    int trial;
    int64_t run_id;
    double v[TRK_MAX_OBJECTIVES];
} exp_moo_point;

/* The Pareto front of the stored study's COMPLETE trials over its recorded
 * objectives, by trial number (*front: caller frees; NULL when empty); *n_obj
 * gets the number of objectives. 0, or -1 with err. */
int exp_moo_front(trk_store *store, int64_t study_id, exp_moo_point **front, int *n_front,
                  int *n_obj, char err[256]);

/* Adds "objectives" ([{"name", "direction"}]) and "pareto_front" ([{"trial",
 * "values", "params"}], by trial number) of the stored study to result.
 * 0, or -1 with err. */
int exp_moo_result_json(trk_store *store, int64_t study_id, cJSON *result, char err[256]);

/* 1 when trial is on the front that result lists, else 0. */
int exp_moo_on_front(const cJSON *result, int trial);

/* Prints the front a result lists as a table (trial, each objective, params)
 * and, unless a trial was picked, how to pick one. */
void exp_moo_print_front(FILE *out, const cJSON *result, const char *study);

#endif
