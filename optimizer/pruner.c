/*
 * pruner.c - the pruners, with Optuna 3.x's decision rules:
 *
 * median / percentile: after n_startup_trials COMPLETE trials and n_warmup_steps,
 * at the first reported step of each interval, prune when the trial's best
 * intermediate value so far is worse than the given percentile (linear
 * interpolation) of the COMPLETE trials' values at the same step.
 *
 * successive_halving (asynchronous): rung r ends at step
 * min_resource * reduction_factor^(min_early_stopping_rate + r). A trial reaching
 * a rung records its current value there; it is promoted when that value is among
 * the best 1/reduction_factor of every value recorded at the rung (its own
 * included; the first reduction_factor-1 competitors need to be the best so far).
 * The recorded rung values live in the trial, so a replayed history rebuilds them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/stats.h"
#include "optimizer/internal.h"

static int trial_value_at(const opt_trial *t, int step, double *v)
{
    for (int i = 0; i < t->n_steps; i++)
        if (t->steps[i] == step) {
            *v = t->step_values[i];
            return 1;
        }
    return 0;
}

/* 1 when step is the first reported step in its pruning interval. */
static int first_in_interval(const opt_trial *t, int step, int warmup, int interval)
{
    int nearest = (step - warmup) / interval * interval + warmup;
    int last = -1, second = -1;
    for (int i = 0; i < t->n_steps; i++) {
        int st = t->steps[i];
        if (st > last) {
            second = last;
            last = st;
        } else if (st > second && st != last) {
            second = st;
        }
    }
    return second < nearest;
}

static int prune_percentile(opt_study *s, opt_trial *t, int step)
{
    const opt_pruner_config *c = &s->pc;
    int n_complete = 0;
    for (int i = 0; i < s->n; i++)
        n_complete += s->trials[i].state == OPT_COMPLETE;
    if (n_complete == 0 || n_complete < c->n_startup_trials)
        return 0;
    if (step < c->n_warmup_steps)
        return 0;
    if (!first_in_interval(t, step, c->n_warmup_steps, c->interval_steps))
        return 0;
    int maximize = s->direction == OPT_MAXIMIZE;
    double best = NAN;
    for (int i = 0; i < t->n_steps; i++) {
        double v = t->step_values[i];
        if (isnan(v))
            continue;
        if (isnan(best) || (maximize ? v > best : v < best))
            best = v;
    }
    if (isnan(best))
        return 1;
    double *vals = malloc(sizeof(double) * (size_t)n_complete);
    if (!vals)
        return 0;
    int m = 0;
    for (int i = 0; i < s->n; i++) {
        double v;
        if (s->trials[i].state == OPT_COMPLETE && trial_value_at(&s->trials[i], step, &v) &&
            !isnan(v))
            vals[m++] = v;
    }
    int prune = 0;
    if (m > 0) {
        double pct = c->kind == OPT_PRUNER_MEDIAN ? 50.0 : c->percentile;
        double q = maximize ? 100.0 - pct : pct;
        base_sort(vals, (size_t)m);
        double p = base_quantile_sorted(vals, (size_t)m, q / 100.0);
        prune = maximize ? best < p : best > p;
    }
    free(vals);
    return prune;
}

/* Successive halving's min resource: configured, or Optuna's estimate from the
 * COMPLETE trials' last steps (0 = not known yet). */
static int sha_min_resource(const opt_study *s)
{
    if (s->pc.min_resource > 0)
        return s->pc.min_resource;
    int last = -1;
    for (int i = 0; i < s->n; i++) {
        const opt_trial *t = &s->trials[i];
        if (t->state != OPT_COMPLETE)
            continue;
        for (int k = 0; k < t->n_steps; k++)
            if (t->steps[k] > last)
                last = t->steps[k];
    }
    if (last < 0)
        return 0;
    return last / 100 > 1 ? last / 100 : 1;
}

static double sha_rung_step(const opt_study *s, int min_resource, int rung)
{
    return min_resource * pow(s->pc.reduction_factor, s->pc.min_early_stopping_rate + rung);
}

/* Record t's value at `rung` and say whether it is promotable to the next rung. */
static int sha_record_and_judge(opt_study *s, opt_trial *t, int rung, double value)
{
    int m = 0;
    double *comp = malloc(sizeof(double) * (size_t)(s->n + 1));
    if (!comp)
        return 1;
    for (int i = 0; i < s->n; i++) {
        const opt_trial *o = &s->trials[i];
        if (o != t && o->n_rungs > rung)
            comp[m++] = o->rung_values[rung];
    }
    comp[m++] = value;
    t->rung_values[rung] = value;
    t->n_rungs = rung + 1;
    int idx = m / s->pc.reduction_factor - 1;
    if (idx < 0)
        idx = 0;
    base_sort(comp, (size_t)m);
    int ok = s->direction == OPT_MAXIMIZE ? value >= comp[m - 1 - idx] : value <= comp[idx];
    free(comp);
    return ok;
}

static int prune_sha(opt_study *s, opt_trial *t, int step, int decide)
{
    double value;
    if (!trial_value_at(t, step, &value))
        return 0;
    for (int rung = t->n_rungs; rung < OPT_MAX_RUNGS; rung++) {
        int min_resource = sha_min_resource(s);
        if (min_resource == 0)
            return 0;
        if (step < sha_rung_step(s, min_resource, rung))
            return 0;
        if (isnan(value))
            return decide;
        int ok = sha_record_and_judge(s, t, rung, value);
        if (decide && !ok)
            return 1;
    }
    return 0;
}

int opt_prune_decide(opt_study *s, opt_trial *t, int step)
{
    switch (s->pc.kind) {
    case OPT_PRUNER_MEDIAN:
    case OPT_PRUNER_PERCENTILE:
        return prune_percentile(s, t, step);
    case OPT_PRUNER_SUCCESSIVE_HALVING:
        return prune_sha(s, t, step, 1);
    default:
        return 0;
    }
}

void opt_prune_replay_rungs(opt_study *s, opt_trial *t, int step)
{
    if (s->pc.kind == OPT_PRUNER_SUCCESSIVE_HALVING)
        prune_sha(s, t, step, 0);
}
