/*
 * history.c - suggestions without a trial, trials with given parameters
 * (optimizer/history.h).
 */
#include "optimizer/history.h"
#include "optimizer/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int opt_suggest(opt_study *s, int number, opt_trial_params *out, char err[256])
{
    double x[OPT_MAX_PARAMS];
    int rc = opt_study_sample(s, number, x, err);
    if (rc != 0)
        return rc;
    out->number = number;
    out->n = s->space->n;
    memcpy(out->values, x, sizeof(double) * (size_t)s->space->n);
    return 0;
}

int opt_study_next_number(const opt_study *s) { return s->next_number; }

int opt_ask_given(opt_study *s, opt_trial_params *p, char err[256])
{
    if (p->n != s->space->n) {
        snprintf(err, 256, "study: %d parameter values for a space of %d", p->n, s->space->n);
        return -1;
    }
    p->number = s->next_number;
    opt_trial_record rec = {p->number, OPT_RUNNING, 0, p, 0, NULL, NULL, NULL};
    return opt_study_replay(s, &rec, err);
}

int opt_params_fix(const opt_study *s, opt_trial_params *out, const double *fixed,
                   char err[256])
{
    const opt_space *space = s->space;
    int missing = 0;
    for (int i = 0; fixed && i < space->n; i++)
        if (!isnan(fixed[i]))
            out->values[i] = opt_param_snap(&space->p[i], fixed[i]);
    for (int i = 0; i < space->n; i++)
        missing |= isnan(out->values[i]) && opt_param_active(space, i, out->values);
    if (missing) {
        /* A fixed parent made a parameter active that the suggestion left out:
         * it gets a draw from its prior (and so do its own children). */
        double y[OPT_MAX_PARAMS];
        gsl_rng *rng = opt_rng_for(s->seed, out->number, 3);
        if (!rng) {
            snprintf(err, 256, "study: out of memory for the generator of trial %d", out->number);
            return -1;
        }
        opt_sample_random(s, rng, y);
        gsl_rng_free(rng);
        for (int i = 0; i < space->n; i++)
            if (isnan(out->values[i]))
                out->values[i] = y[i];
    }
    opt_space_deactivate(space, out->values);
    return 0;
}

int opt_ask_fixed(opt_study *s, const double *fixed, opt_trial_params *out, char err[256])
{
    int rc = opt_suggest(s, s->next_number, out, err);
    if (rc != 0)
        return rc;
    if (opt_params_fix(s, out, fixed, err))
        return -1;
    return opt_ask_given(s, out, err);
}
