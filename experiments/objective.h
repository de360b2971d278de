/*
 * objective.h - what evaluates one trial inside a worker: the built-in LSTM
 * trainer on candles, an external program (command.h), or a builtin test
 * function of the optimizer benchmark (optionally after sleeping).
 *
 * The worker calls exp_objective_eval once per trial. Intermediate values (one
 * per walk-forward fold, or per `STEP VALUE` line of a program) go through the
 * report callback, whose non-zero answer prunes the trial at once.
 */
#ifndef EXP_OBJECTIVE_H
#define EXP_OBJECTIVE_H

#include "experiments/spec.h"
#include "tracker/store.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdint.h>

typedef struct exp_objective exp_objective;

/* The data a worker evaluates on: candles sent by the coordinator (NULL for
 * objectives that need none). Defined by the LSTM objective. */
typedef struct exp_data exp_data;

/*
 * Called with each intermediate value: `step`, `value` and `extra` (borrowed: a
 * JSON object with the step's metrics and epoch history, or NULL). Returns 1 to
 * prune the trial, 0 to go on.
 */
typedef int (*exp_report_fn)(void *ctx, int step, double value, const cJSON *extra);

/* The outcome of one trial. `metrics` (owned, may be NULL) is a JSON object of
 * final metrics (name -> number); free with exp_trial_result_clear. */
typedef struct exp_trial_result {
    trk_state state;       /* TRK_COMPLETE, TRK_PRUNED or TRK_FAIL */
    double value;          /* objective (COMPLETE), last intermediate (PRUNED); the
                              first objective's of a multi-objective spec */
    int n_values;          /* multi-objective spec, COMPLETE: search.n_objectives */
    double values[OPT_MAX_OBJECTIVES];   /* ... each metric's value, in spec order */
    int last_step;         /* -1 when nothing was reported */
    char error[256];       /* FAIL only */
    cJSON *metrics;
} exp_trial_result;

void exp_trial_result_clear(exp_trial_result *r);

/* Loads what the objective needs from disk (rank 0 only): the candles for the
 * LSTM objective, nothing (*out = NULL) for the others. 0 ok, -1 with err.
 * Caller frees with exp_data_free. */
int exp_data_load(const exp_spec *spec, exp_data **out, char err[256]);

/* The data as one flat array of doubles, to broadcast over MPI (*buf NULL and
 * *n 0 for no data); caller frees *buf with free(). And back. */
int exp_data_pack(const exp_data *d, double **buf, long *n);
int exp_data_unpack(const double *buf, long n, exp_data **out, char err[256]);
void exp_data_free(exp_data *d);

/* A per-process evaluation context for `spec` (borrowed, must outlive it) and
 * `data` (borrowed, may be NULL). NULL with err when the objective cannot be set
 * up. Caller frees with exp_objective_free. */
exp_objective *exp_objective_new(const exp_spec *spec, const exp_data *data, char err[256]);
void exp_objective_free(exp_objective *o);

/* `stop` (borrowed, may be NULL): once non-zero, exp_objective_holdout stops at
 * the next epoch and fails with "interrupted". */
void exp_objective_set_stop(exp_objective *o, volatile sig_atomic_t *stop);

/*
 * Evaluates trial `number` with `params` (a JSON object name -> number|string)
 * and `seed`. `stop` (may be NULL) interrupts. Always fills `out` (FAIL with a
 * reason rather than an error return); returns 0, or -1 only on out of memory.
 */
int exp_objective_eval(exp_objective *o, int number, const cJSON *params, uint64_t seed,
                       exp_report_fn report, void *ctx, volatile sig_atomic_t *stop,
                       exp_trial_result *out);

/* The data and walk-forward layout as text (LSTM objective), else NULL.
 * Caller frees. */
char *exp_objective_layout(const exp_objective *o, char err[256]);

/* 0 when some trial can run on the data (the LSTM objective's folds fit at the
 * smallest seq_len; always for the other objectives), else -1 with err. */
int exp_objective_fits(const exp_objective *o, char err[256]);

/*
 * After the search (LSTM objective only): refits `params` on all data before the
 * holdout with the same early-stopping scheme, evaluates once on the holdout and
 * returns the holdout metrics next to buy-and-hold and the Deflated Sharpe Ratio
 * given the Sharpe ratios of all `n_sharpes` trials (*result: caller frees with
 * cJSON_Delete) and the model file's bytes (*model: caller frees with free()).
 */
int exp_objective_holdout(exp_objective *o, const cJSON *params, uint64_t seed,
                          const double *trial_sharpes, int n_sharpes, cJSON **result,
                          unsigned char **model, size_t *model_len, char err[256]);

#endif
