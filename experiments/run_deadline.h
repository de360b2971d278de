/*
 * run_deadline.h - how long the coordinator (rank 0) waits for a worker before it
 * gives up on it, at start-up and during a trial. A stopped process (SIGSTOP), a
 * hung one or a node that stops answering never sends another message; without
 * these bounds the coordinator would wait for it forever.
 *
 *   start-up   every worker reports ready after MPI_Init within EXP_STARTUP_DEFAULT_S
 *              seconds ($SEQTUNE_STARTUP_S) of the coordinator's start, and again,
 *              once it has the spec and the candles, within as long again of the
 *              end of the coordinator's own set-up. Past that `run`
 *              names the rank(s), leaves no study RUNNING, ends the job, exit 3.
 *   a trial    with training.trial_timeout_s = L: L + EXP_WORKER_GRACE_S + L/10
 *              after it started. Without it: the worker must be heard from (a
 *              fold's report, or the result) within max(F, 10 x the slowest
 *              finished trial of this run), or 10 x F while no trial has finished
 *              yet; F = EXP_STALL_FLOOR_DEFAULT_S ($SEQTUNE_STALL_S). Past it the
 *              trial is FAIL ("worker N stopped answering") and the rank gets no
 *              more work.
 */
#ifndef EXP_RUN_DEADLINE_H
#define EXP_RUN_DEADLINE_H

#include <mpi.h>
#include <signal.h>

#define EXP_WORKER_GRACE_S 5.0
#define EXP_STARTUP_DEFAULT_S 60.0
#define EXP_STALL_FLOOR_DEFAULT_S 600.0
#define EXP_STALL_FACTOR 10.0

/* The coordinator's bounds, read once at start-up. */
typedef struct exp_deadlines {
    double trial_limit_s;   /* training.trial_timeout_s; 0: none */
    double stall_floor_s;   /* F above */
    double startup_s;       /* the start-up bound */
} exp_deadlines;

/* Fills d from the spec's trial limit and the environment (a bad or missing
 * variable keeps the default). */
void exp_deadlines_init(exp_deadlines *d, double trial_limit_s);

/* The CLOCK_MONOTONIC time (exp_now) by which the coordinator must hear from the
 * worker of a trial that started at `started` and was last heard from at
 * `heard`; slowest_s is the longest finished trial so far (0: none). Never 0. */
double exp_trial_deadline(const exp_deadlines *d, double started, double heard, double slowest_s);

/* The FAIL reason of a trial whose deadline passed (worker `w`). */
void exp_trial_deadline_reason(const exp_deadlines *d, int w, double started, double heard,
                               double slowest_s, char out[256]);

/* Start-up, before MPI_Init on rank 0: a watchdog thread that ends the process
 * (exit 3, with a message) if exp_startup_watchdog_stop has not been called
 * within limit_s + 2 s. It covers MPI_Init, which a rank stopped before it
 * started holds up; nothing is written to the store before it is stopped. */
void exp_startup_watchdog_start(double limit_s, int world);
void exp_startup_watchdog_stop(void);

/* A worker: tells rank 0 it is up (phase 0, after MPI_Init) or set up (phase 1). */
void exp_startup_ready(int phase);

/* Rank 0: waits for every worker's ready message of `phase` until `deadline`
 * (exp_now time). 0, or -1 with err naming the ranks that did not report (or 1
 * when `stop` was raised). */
int exp_startup_wait(int world, int phase, double deadline, volatile sig_atomic_t *stop,
                     char err[256]);

/* MPI_Init (with the watchdog on rank 0), then rank 0 waits for every worker's
 * phase-0 ready message until the start-up bound; *until receives that bound's
 * exp_now time. 0, or -1 with err on rank 0 (then the caller ends the job). */
int exp_startup_init(int *rank, int *world, const exp_deadlines *d,
                     volatile sig_atomic_t *stop, double *until, char err[256]);

/* A broadcast from rank 0 (MPI_Ibcast on every rank); on rank 0 bounded by
 * `until` (0: none), the others wait as long as it takes. 0, or -1 on
 * rank 0 when the deadline passed (a worker stopped taking part). */
int exp_bcast_bounded(void *buf, int count, MPI_Datatype type, int rank, double until);

/* Completes a nonblocking request, polling without spinning until deadline
 * (0: no deadline). 0, or -1 when the deadline passed first. */
int exp_request_wait(MPI_Request *r, double deadline);

#endif
