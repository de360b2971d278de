/*
 * run_repro.h - the runner's reproducible mode (search.reproducible): trial k
 * is suggested from the trials numbered below k - L only (L =
 * search.reproducible_lag), and is not started before every one of them has
 * finished. A second study, the view, holds exactly those trials (finished,
 * in number order) and samples for number k with the generator of (seed, k);
 * the trial then starts in the real study with those values. So the
 * suggestions do not depend on which trials happen to have finished, and the
 * same spec and seed give the same trials at any worker count.
 */
#ifndef EXP_RUN_REPRO_H
#define EXP_RUN_REPRO_H

#include "optimizer/study.h"

#include "experiments/run_warm.h"

typedef struct exp_repro {
    opt_study *view;   /* the history, then the trials numbered below `upto` */
    int upto;
    int lag;
    int offset;        /* history trials: trial m is m + offset in the view */
} exp_repro;

/* A view like the real study `like` (its space, direction and objectives) with
 * its sampler and seed (no pruner), holding the warm-start history w first
 * (NULL: none). 0 ok, -1 and err. */
int exp_repro_init(exp_repro *r, const opt_study *like, opt_direction direction,
                   const opt_sampler_config *sc, unsigned long seed, int lag,
                   const exp_warm *w, char err[256]);
void exp_repro_free(exp_repro *r);

/* 1 when every trial of s numbered below (next number) - lag has finished. */
int exp_repro_ready(const exp_repro *r, const opt_study *s);

/* Starts the next trial of s (which must be ready) with the view's suggestion,
 * where the values fixed gives (not NaN; NULL = none) replace it (an enqueued
 * configuration); out gets its number and values. 0 ok, -1 and err,
 * OPT_EXHAUSTED (grid). */
int exp_repro_ask(exp_repro *r, opt_study *s, const double *fixed, opt_trial_params *out,
                  char err[256]);

#endif
