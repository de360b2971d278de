/*
 * run_warm.h - search.warm_start: the finished trials (COMPLETE, PRUNED) of
 * another study in the same store, given to the sampler as history. They are
 * not trials of this study: its numbers, n_trials and best do not see them.
 * The sampler asks a view study that holds the history first (numbered
 * 0..n-1, so TPE counts it as the oldest trials) and then this study's trials
 * (numbered n + their number); the suggestion uses the generator of the real
 * trial number. A history trial is used when every parameter of this space
 * has a value in it inside this space's bounds and grid (the other study's
 * other parameters are ignored); the others are dropped and counted. For a
 * multi-objective study a COMPLETE history trial also needs a value of each of
 * its metrics, found by name among the other study's objectives.
 */
#ifndef EXP_RUN_WARM_H
#define EXP_RUN_WARM_H

#include "optimizer/study.h"
#include "tracker/store.h"

typedef struct exp_warm {
    int n;                 /* history trials used */
    int n_dropped;         /* finished trials of the other study not usable here */
    opt_trial_params *params;
    opt_state *state;
    double *value;
    int n_obj;             /* this study's objectives */
    double *values;        /* n_obj > 1: OPT_MAX_OBJECTIVES per trial (COMPLETE ones) */
} exp_warm;

/* Loads study `name`'s finished trials over space, for a study with n_obj
 * objectives named metrics[0..n_obj). 0 ok; -1 and err (no such study:
 * EXP_EXIT_INPUT material, *not_found = 1). */
int exp_warm_load(exp_warm *w, trk_store *store, const char *name, const opt_space *space,
                  int n_obj, const char *const *metrics, int *not_found, char err[256]);
void exp_warm_free(exp_warm *w);
/* Replays the history into a view as trials 0..n-1. 0 ok, -1 and err. */
int exp_warm_replay(const exp_warm *w, opt_study *view, char err[256]);

/* A view study like `like`: its space and objectives, sampler sc, seed, no
 * pruner. NULL with err. Caller frees with opt_study_free. */
opt_study *exp_view_new(const opt_study *like, opt_direction direction,
                        const opt_sampler_config *sc, unsigned long seed, char err[256]);
/* Replays trial i of s into view as number `number` (values and all). */
int exp_view_copy_trial(opt_study *view, const opt_study *s, int i, int number, char err[256]);

/* The next trial of s suggested with the history (a view built from the
 * history and every trial s holds, RUNNING ones included, as opt_ask sees
 * them), fixed values replacing the suggestion's (NULL: none), started in s.
 * 0 ok, -1 and err, OPT_EXHAUSTED. */
int exp_warm_ask(const exp_warm *w, opt_study *s, opt_direction direction,
                 const opt_sampler_config *sc, unsigned long seed, const double *fixed,
                 opt_trial_params *out, char err[256]);

#endif
