/*
 * multiobj.c - the multi-objective side of a study: its directions, the tell of
 * every objective's value, the trials' loss vectors and the Pareto front.
 * A multi-objective trial's `value` is its first objective.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "optimizer/internal.h"

int opt_study_set_objectives(opt_study *s, int n, const opt_direction *dirs, char err[256])
{
    if (n < 1 || n > OPT_MAX_OBJECTIVES) {
        snprintf(err, 256, "objectives: expected 1 to %d, got %d", OPT_MAX_OBJECTIVES, n);
        return -1;
    }
    if (s->n > 0) {
        snprintf(err, 256, "objectives: set them before the first trial");
        return -1;
    }
    if (n > 1 && s->pc.kind != OPT_PRUNER_NONE) {
        snprintf(err, 256, "objectives: pruning is off for multi-objective studies (pruner '%s')",
                 opt_pruner_kind_name(s->pc.kind));
        return -1;
    }
    if (n > 1 && s->sc.kind != OPT_SAMPLER_MOTPE && s->sc.kind != OPT_SAMPLER_NSGA2 &&
        s->sc.kind != OPT_SAMPLER_RANDOM) {
        snprintf(err, 256, "objectives: sampler '%s' is single-objective (use motpe, nsga2 or random)",
                 opt_sampler_kind_name(s->sc.kind));
        return -1;
    }
    for (int k = 0; k < n; k++)
        s->dirs[k] = dirs[k];
    s->n_obj = n;
    s->direction = dirs[0];
    return 0;
}

int opt_study_n_objectives(const opt_study *s) { return s->n_obj; }

int opt_study_directions(const opt_study *s, opt_direction *dirs)
{
    for (int k = 0; k < s->n_obj; k++)
        dirs[k] = s->n_obj == 1 ? s->direction : s->dirs[k];
    return s->n_obj;
}

int opt_tell_values(opt_study *s, int trial, opt_state state, const double *values,
                    char err[256])
{
    if (state == OPT_COMPLETE)
        for (int k = 0; k < s->n_obj; k++)
            if (!isfinite(values[k])) {
                snprintf(err, 256, "trial %d: objective %d is %g (COMPLETE needs finite values)",
                         trial, k + 1, values[k]);
                return -1;
            }
    if (opt_tell(s, trial, state, state == OPT_FAIL ? NAN : values[0], err) < 0)
        return -1;
    for (int i = s->n - 1; i >= 0; i--)
        if (s->trials[i].number == trial) {
            for (int k = 0; k < s->n_obj; k++)
                s->trials[i].values[k] = state == OPT_COMPLETE ? values[k] : NAN;
            break;
        }
    return 0;
}

int opt_study_trial_values(const opt_study *s, int i, double *values)
{
    if (i < 0 || i >= s->n)
        return -1;
    for (int k = 0; k < s->n_obj; k++)
        values[k] = s->n_obj == 1 ? s->trials[i].value : s->trials[i].values[k];
    return 0;
}

void opt_trial_losses(const opt_study *s, const opt_trial *t, double *loss)
{
    for (int k = 0; k < s->n_obj; k++) {
        double v = s->n_obj == 1 ? t->value : t->values[k];
        loss[k] = s->dirs[k] == OPT_MAXIMIZE ? -v : v;
    }
}

int opt_study_pareto(const opt_study *s, int *numbers)
{
    int m = s->n_obj, n = 0;
    double *p = calloc((size_t)(s->n + 1) * (size_t)m, sizeof(double));
    int *idx = malloc(sizeof(int) * (size_t)(s->n + 1));
    char *on = malloc((size_t)(s->n + 1));
    int k = -1;
    if (p && idx && on) {
        for (int i = 0; i < s->n; i++)
            if (s->trials[i].state == OPT_COMPLETE) {
                opt_trial_losses(s, &s->trials[i], p + (size_t)n * m);
                idx[n++] = i;
            }
        base_pareto_front(p, n, m, on);
        k = 0;
        for (int a = 0; a < n; a++)
            if (on[a])
                numbers[k++] = s->trials[idx[a]].number;
        for (int a = 1; a < k; a++) /* ascending numbers (insertion) */
            for (int b = a; b > 0 && numbers[b - 1] > numbers[b]; b--) {
                int t = numbers[b];
                numbers[b] = numbers[b - 1];
                numbers[b - 1] = t;
            }
    }
    free(p);
    free(idx);
    free(on);
    return k;
}
