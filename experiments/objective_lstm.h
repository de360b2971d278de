/*
 * objective_lstm.h - the built-in objective: an LSTM trained with walk-forward
 * validation on the study's candles (trainer/trial.h), one intermediate value
 * per fold, and the final holdout check of the chosen parameters.
 */
#ifndef EXP_OBJECTIVE_LSTM_H
#define EXP_OBJECTIVE_LSTM_H

#include "experiments/objective.h"

typedef struct exp_lstm_objective exp_lstm_objective;

/* Prepares features, labels and folds once per process from `data` (borrowed).
 * NULL with err when the spec cannot be evaluated on this data. Caller frees
 * with exp_lstm_objective_free (NULL is fine). */
exp_lstm_objective *exp_lstm_objective_new(const exp_spec *spec, const exp_data *data,
                                           char err[256]);
void exp_lstm_objective_free(exp_lstm_objective *o);

/* `stop` (borrowed, may be NULL) interrupts the holdout refit once non-zero. */
void exp_lstm_objective_set_stop(exp_lstm_objective *o, volatile sig_atomic_t *stop);

/* 0 when the walk-forward folds fit the data at the smallest seq_len the spec
 * allows (some trial can run), else -1 with err. */
int exp_lstm_objective_fits(const exp_lstm_objective *o, char err[256]);

/* The walk-forward layout with the largest seq_len the spec allows, after a
 * line on the candles (rows, interval, gaps); caller frees. NULL with err when
 * the split is impossible. */
char *exp_lstm_objective_layout(const exp_lstm_objective *o, char err[256]);

/* The candles' first and last open time and row count. */
void exp_data_range(const exp_data *d, double *first, double *last, int *rows);
/* The candles' fingerprint: "rows <n> (<first>..<last>), <bytes> bytes, sha256 <hex>"
 * of spec's data file as loaded into d. A resumed study, and a trial picked for
 * the holdout later, must train on the candles the study started with. 0, or -1
 * with err. */
int exp_data_fingerprint(const exp_spec *spec, const exp_data *d, char out[256], char err[256]);

/* One trial (see exp_objective_eval). */
void exp_lstm_objective_eval(exp_lstm_objective *o, const cJSON *params, uint64_t seed,
                             exp_report_fn report, void *ctx, volatile sig_atomic_t *stop,
                             exp_trial_result *out);

/* See exp_objective_holdout. */
int exp_lstm_objective_holdout(exp_lstm_objective *o, const cJSON *params, uint64_t seed,
                               const double *trial_sharpes, int n_sharpes, cJSON **result,
                               unsigned char **model, size_t *model_len, char err[256]);

#endif
