/*
 * wire.h - the messages between the coordinator (rank 0) and the workers.
 *
 * Every message is one JSON object (cJSON) sent as MPI_CHAR, except the candle
 * arrays, which go as doubles. Waiting never spins: `exp_wire_wait` polls with
 * MPI_Iprobe and sleeps between polls, backing off from 10 us to 250 us for the
 * first 20 ms of a wait and to 2 ms after that, so a quick reply is seen within
 * a quarter of a millisecond and a long wait costs under 2 % of a core.
 *
 *   worker -> coordinator   EXP_TAG_READY    {}   (after MPI_Init; again once set up)
 *   coordinator -> all      (MPI_Bcast)      exit code, spec text, packed candles
 *   coordinator -> worker   EXP_TAG_TRIAL    {"number", "params", "seed"}
 *   worker -> coordinator   EXP_TAG_REPORT   {"number", "step", "value", "metrics", "epochs"}
 *   coordinator -> worker   EXP_TAG_DECISION {"prune": bool}         (answer to REPORT)
 *   worker -> coordinator   EXP_TAG_RESULT   {"number", "state", "value", "values",
 *                                             "last_step", "error", "metrics"}
 *   coordinator -> worker   EXP_TAG_STOP     {}                      (no more trials)
 *   coordinator -> worker   EXP_TAG_FINISH   {}                      (after the refit: finalise)
 */
#ifndef EXP_WIRE_H
#define EXP_WIRE_H

#include "experiments/cli.h"
#include "experiments/objective.h"

#include <cjson/cJSON.h>
#include <mpi.h>
#include <signal.h>

enum {
    EXP_TAG_TRIAL = 1,
    EXP_TAG_REPORT,
    EXP_TAG_DECISION,
    EXP_TAG_RESULT,
    EXP_TAG_STOP,
    EXP_TAG_DATA,
    EXP_TAG_FINISH,
    EXP_TAG_READY,
};

/* Sends `msg` (not consumed) to `dest` with `tag`. Returns 0 or -1. */
int exp_wire_send(const cJSON *msg, int dest, int tag, MPI_Comm comm);

/*
 * Waits without spinning for a message from `source` (or MPI_ANY_SOURCE) with
 * `tag` (or MPI_ANY_TAG). Returns 0 with *status filled, 1 when `stop` became
 * non-zero or `deadline_s` (a CLOCK_MONOTONIC time, 0 = none) passed first.
 */
int exp_wire_wait(int source, int tag, MPI_Comm comm, MPI_Status *status,
                  volatile sig_atomic_t *stop, double deadline_s);

/* Receives the message announced by `status`; the caller frees the result with
 * cJSON_Delete. NULL when it is not valid JSON. */
cJSON *exp_wire_recv(const MPI_Status *status, MPI_Comm comm);

/* The RESULT message of trial `number` (r->metrics moves into it; r keeps the
 * rest): "values" carries a multi-objective trial's values. The caller frees
 * it with cJSON_Delete. */
cJSON *exp_wire_result_encode(int number, exp_trial_result *r);
/* A RESULT message back into *r (caller clears it with exp_trial_result_clear);
 * a message without a valid state is a FAIL saying so. */
void exp_wire_result_decode(const cJSON *m, exp_trial_result *r);

#endif
