/*
 * finish.h - after the search: the best trial is refit on all data before the
 * holdout and evaluated on it once (LSTM objective), the result and the model
 * are stored as the study's result, and a summary is printed.
 */
#ifndef EXP_FINISH_H
#define EXP_FINISH_H

#include "experiments/objective.h"
#include "experiments/spec.h"
#include "optimizer/study.h"
#include "tracker/query.h"
#include "tracker/store.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>

typedef struct exp_finish_params {
    const exp_spec *spec;
    trk_store *store;
    int64_t study_id;
    opt_study *opt;
    exp_objective *obj;
    int quiet;
    int workers;
    double wall_s;        /* the search's wall time */
    double coord_cpu_s;   /* the coordinator's CPU time during the search */
    volatile sig_atomic_t *stop;   /* non-zero: a signal came (may be NULL) */
    int pick;             /* >= 0: `best --pick`: refit this trial of the Pareto front
                             (opt may be NULL); -1: the search's own choice */
} exp_finish_params;

/* Runs the final holdout check (when the objective has one), stores the result,
 * marks the study COMPLETE and prints the summary. The trial checked is the best
 * one; a multi-objective study has none: its result is the Pareto front (with
 * the objectives), and the holdout waits for `best --pick`, which calls this
 * with p->pick. Returns an exit code: 0; 130 when `stop` became non-zero during
 * the refit (the study stays INTERRUPTED and --resume refits; a pick keeps the
 * result it had); 3 when every finished trial failed (nothing to choose). */
int exp_finish_study(const exp_finish_params *p);

/* A stored run's params as the objective takes them (numbers where the text
 * is numeric, else strings; r NULL: an empty object). The caller frees it with
 * cJSON_Delete. */
cJSON *exp_run_params_json(const trk_run *r);

/* Prints the top `k` COMPLETE trials of a study as a table to `out`. */
int exp_print_top_trials(FILE *out, trk_store *store, int64_t study_id,
                         const char *direction, int k, char err[256]);

#endif
