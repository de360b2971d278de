/*
 * coord.h - what the study runner's files share (private to experiments/):
 * the coordinator's state, and the steps that one file calls in another.
 *
 *   run.c        exp_run_main: the ranks' roles, start-up, the end of a study
 *   coord.c      the coordinator state machine: start a trial, a report, a
 *                result, the progress line; the single-process loop
 *   run_mpi.c    the coordinator's MPI loop (deadlines, drain) and the worker
 *   run_setup.c  study set-up: spec -> optimizer, the store's replay, the study
 *                lock, the data's fingerprint and broadcast
 *   wire.c       the messages and their codecs
 *   moo.c        a multi-objective study's values, replay and Pareto front
 */
#ifndef EXP_COORD_H
#define EXP_COORD_H

#include "experiments/run.h"
#include "experiments/study_setup.h"

#include "experiments/cli.h"
#include "experiments/edge.h"
#include "experiments/finish.h"
#include "experiments/moo.h"
#include "experiments/objective.h"
#include "experiments/objective_lstm.h"
#include "experiments/spec.h"
#include "experiments/wire.h"
#include "optimizer/study.h"
#include "experiments/run_tags.h"
#include "experiments/run_deadline.h"
#include "experiments/run_repro.h"
#include "experiments/run_enqueue.h"
#include "experiments/run_warm.h"
#include "experiments/trial_params.h"
#include "optimizer/history.h"
#include "tracker/admin.h"
#include "tracker/query.h"
#include "tracker/sha256.h"
#include "tracker/store.h"
#include "tracker/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The signal that asked the study to stop (0: none). */
extern volatile sig_atomic_t exp_stop_signal;

typedef struct running_trial {
    int number;
    int64_t run_id;
    int worker;
    double started;
    double heard;             /* the last message from its worker (run_deadline.h) */
} running_trial;

typedef struct coord {
    int lock_fd;              /* flock'd while this process coordinates the study */
    const exp_spec *spec;
    trk_store *store;
    int64_t study_id;
    opt_space *space;
    opt_study *opt;
    uint64_t seed;
    int n_target;
    int n_finished, n_complete, n_pruned, n_fail;
    running_trial *run;
    int n_run, cap_run;
    double t0, deadline;
    int quiet, tty, progress_shown;
    exp_run_hosts hosts;      /* for the per-trial tags (run_tags.h) */
    int *lost;                /* MPI: per rank, 1 once it stopped answering */
    int n_lost;
    int drained;              /* MPI, after a signal: every live worker answered */
    int n_interrupted;        /* after a signal: trials the workers ended as interrupted */
    int exhausted;            /* the grid sampler has suggested every point */
    char data_fp[256];        /* the candles' fingerprint, read before the store opens */
    exp_deadlines dl;         /* how long to wait for a worker (run_deadline.h) */
    double slowest;           /* the longest finished trial of this run, seconds */
    exp_repro repro;          /* search.reproducible: the view (run_repro.h) */
    exp_enqueue enq;          /* search.enqueue (run_enqueue.h) */
    exp_warm warm;            /* search.warm_start: the history (run_warm.h) */
    int warm_not_found;
    char err[256];
} coord;

/* coord.c: the per-trial seed (splitmix64 of the study seed and the number);
 * the next trial (asked, stored RUNNING, its params as JSON): 0, 1 when none
 * may start (n_trials, grid exhausted, reproducible wait), -1 and c->err; a
 * worker's report (returns 1 to prune); a result (stored and told; -1 and
 * c->err when the store fails); whether another trial may start; the write
 * batches around the loops; the single-process loop. */
uint64_t coord_mix_seed(uint64_t seed, uint64_t number);
int coord_start_trial(coord *c, int worker, int *number, uint64_t *seed, cJSON **params_out);
int coord_on_report(coord *c, int number, int step, double value, const cJSON *extra);
int coord_on_result(coord *c, int number, exp_trial_result *r);
int coord_may_start(const coord *c);
int coord_batch_begin(coord *c);
int coord_batch_end(coord *c, int rc);
int coord_loop_local(coord *c, exp_objective *obj);

/* run_mpi.c: an empty message with `tag` to a worker; the coordinator's loop
 * over world - 1 workers (0, or -1 and c->err); the worker's loop until STOP. */
void coord_send_empty(int worker, int tag);
int coord_loop_mpi(coord *c, int world);
void exp_worker_loop(exp_objective *obj);

/* run_setup.c: rank 0 opens the study (spec, store, lock, replay, data, the
 * objective; an exit code); the broadcast of spec and candles to the workers
 * (1 when they were shared); the study's description in the store; whether an
 * MPI launcher started this process, and whether the launch is one seqtune can
 * run (0, or -1 and err); start-up's confirmation by every worker (ends the job
 * when one does not answer); the record of an interrupted study; closing. */
int coord_open(coord *c, const exp_run_options *opt, exp_spec *spec, char **spec_text,
               exp_data **data, exp_objective **obj);
int exp_data_share(int *code, char **spec_text, exp_data **data, exp_spec *spec, int rank,
                   double until, char err[256]);
void coord_describe(coord *c, const exp_spec *spec, const exp_data *data,
                    const exp_objective *obj, int workers);
int exp_launched_by_mpi(void);
int exp_launch_check(int world, char err[256]);
int coord_startup_confirm(coord *c, int rank, int world, int shared, double until,
                           char err[256]);
void coord_interrupted(coord *c);
void coord_close(coord *c);

#endif
