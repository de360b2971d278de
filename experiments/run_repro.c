/*
 * run_repro.c - reproducible suggestions at any worker count
 * (experiments/run_repro.h).
 */
#include "experiments/run_repro.h"
#include "optimizer/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int exp_repro_init(exp_repro *r, const opt_study *like, opt_direction direction,
                   const opt_sampler_config *sc, unsigned long seed, int lag,
                   const exp_warm *w, char err[256])
{
    memset(r, 0, sizeof *r);
    r->view = exp_view_new(like, direction, sc, seed, err);
    r->lag = lag;
    r->offset = w ? w->n : 0;
    return r->view ? exp_warm_replay(w, r->view, err) : -1;
}

void exp_repro_free(exp_repro *r)
{
    opt_study_free(r->view);
    memset(r, 0, sizeof *r);
}

int exp_repro_ready(const exp_repro *r, const opt_study *s)
{
    int horizon = opt_study_next_number(s) - r->lag;
    int n = opt_study_n_trials(s);
    for (int i = 0; i < n; i++) {
        int number;
        opt_state st;
        opt_study_trial_info(s, i, &number, &st, NULL, NULL);
        if (number < horizon && st == OPT_RUNNING)
            return 0;
    }
    return 1;
}

/* Adds s's trials numbered in [r->upto, horizon) to the view, in number order. */
static int view_extend(exp_repro *r, const opt_study *s, int horizon, char err[256])
{
    int span = horizon - r->upto;
    if (span <= 0)
        return 0;
    int *at = malloc(sizeof *at * (size_t)span);
    if (!at) {
        snprintf(err, 256, "reproducible: out of memory");
        return -1;
    }
    for (int k = 0; k < span; k++)
        at[k] = -1;
    int n = opt_study_n_trials(s), rc = 0;
    for (int i = 0; i < n; i++) {
        int number;
        opt_study_trial_info(s, i, &number, NULL, NULL, NULL);
        if (number >= r->upto && number < horizon)
            at[number - r->upto] = i;
    }
    for (int k = 0; rc == 0 && k < span; k++) {
        if (at[k] < 0)
            continue;   /* a number the study never handed out */
        int number;
        opt_state st;
        opt_study_trial_info(s, at[k], &number, &st, NULL, NULL);
        if (st == OPT_RUNNING) {
            snprintf(err, 256, "reproducible: trial %d is still running", number);
            rc = -1;
            break;
        }
        rc = exp_view_copy_trial(r->view, s, at[k], number + r->offset, err);
    }
    free(at);
    if (rc == 0)
        r->upto = horizon;
    return rc;
}

int exp_repro_ask(exp_repro *r, opt_study *s, const double *fixed, opt_trial_params *out,
                  char err[256])
{
    int k = opt_study_next_number(s);
    if (view_extend(r, s, k - r->lag, err))
        return -1;
    int rc = opt_suggest(r->view, k, out, err);
    if (rc != 0)
        return rc;
    if (opt_params_fix(s, out, fixed, err))
        return -1;
    return opt_ask_given(s, out, err);
}
