/*
 * history.h - asking a study for a suggestion without starting a trial, and
 * starting a trial with parameters chosen elsewhere. The runner's reproducible
 * mode (experiments/run_repro.h) samples from a second study that holds only
 * the trials a suggestion may depend on, and starts the trial in the real one.
 */
#ifndef OPT_HISTORY_H
#define OPT_HISTORY_H

#include "optimizer/study.h"

/* The suggestion of s's sampler for trial `number` from the trials s holds now
 * (the generator is the one of (seed, number), as opt_ask's). No trial is
 * started. 0 ok, -1 and err, OPT_EXHAUSTED as opt_ask. */
int opt_suggest(opt_study *s, int number, opt_trial_params *out, char err[256]);

/* The number the next opt_ask hands out. */
int opt_study_next_number(const opt_study *s);

/* Starts trial opt_study_next_number(s) RUNNING with the values of p (space
 * order, p->n == the space's size; p->number is ignored) and sets p->number.
 * 0 ok, -1 and err (a value outside the space). */
int opt_ask_given(opt_study *s, opt_trial_params *p, char err[256]);

/* Overwrites the values of out (s's suggestion for trial out->number) that
 * fixed gives (fixed[i] not NaN; space order, values as in space.h), snapped
 * onto each parameter's grid; then, in a conditional space, a parameter the
 * fixed values make active without a value gets a draw from its prior (the
 * generator of (seed, number), stream 3) and the ones they make inactive
 * become NaN. 0, or -1 and err (out of memory). */
int opt_params_fix(const opt_study *s, opt_trial_params *out, const double *fixed,
                   char err[256]);

/* opt_ask with some values given (Optuna's enqueued trial): the sampler
 * suggests for the next number as opt_ask would, the values fixed gives replace
 * its own, and the trial starts RUNNING. 0 ok, -1 and err, OPT_EXHAUSTED. */
int opt_ask_fixed(opt_study *s, const double *fixed, opt_trial_params *out, char err[256]);

#endif
