/*
 * sampler.c - the simple samplers: random (Optuna's RandomSampler rules: log
 * parameters uniform in log space, ints uniform over their grid), Sobol
 * quasi-random points (gsl_qrng, shifted by a seed-dependent random vector so
 * that seeds differ; point k is trial k), and grid search (a random unvisited
 * grid point per trial; continuous floats get grid_points levels; in a
 * conditional space only the active combinations, each once).
 */
#include <assert.h>
#include <gsl/gsl_qrng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optimizer/internal.h"

/* Internal-space bounds a uniform draw covers for an int log parameter. */
static void int_log_bounds(const opt_param *p, double *lo, double *hi)
{
    *lo = log(p->low - 0.5);
    *hi = log(p->high + 0.5);
}

/* Map u in [0,1) to a value of parameter p (the quantile of the random sampler). */
static double param_from_unit(const opt_param *p, double u)
{
    double card = opt_param_cardinality(p);
    if (p->kind == OPT_PARAM_INT && p->log) {
        double lo, hi;
        int_log_bounds(p, &lo, &hi);
        return opt_param_snap(p, round(exp(lo + u * (hi - lo))));
    }
    if (card > 0) {
        double k = floor(u * card);
        if (k > card - 1)
            k = card - 1;
        double step = p->step > 0 ? p->step : 1.0;
        return opt_param_snap(p, p->low + k * step);
    }
    double lo = opt_param_to_internal(p, p->low), hi = opt_param_to_internal(p, p->high);
    return opt_param_from_internal(p, lo + u * (hi - lo));
}

int opt_sample_random(const opt_study *s, gsl_rng *rng, double *x)
{
    for (int i = 0; i < s->space->n; i++)
        x[i] = param_from_unit(&s->space->p[i], gsl_rng_uniform(rng));
    return 0;
}

int opt_sample_sobol(const opt_study *s, int number, double *x, char err[256])
{
    int d = s->space->n;
    double u[OPT_MAX_PARAMS], shift[OPT_MAX_PARAMS];
    if (d > 40) {
        snprintf(err, 256, "sobol: at most 40 parameters, got %d", d);
        return -1;
    }
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)(d < 1 ? 1 : d));
    gsl_rng *r = opt_rng_for(s->seed, -1, 1);
    if (!q || !r) {
        gsl_qrng_free(q);
        gsl_rng_free(r);
        snprintf(err, 256, "sobol: out of memory");
        return -1;
    }
    for (int i = 0; i < d; i++)
        shift[i] = gsl_rng_uniform(r);
    for (int k = 0; k <= number; k++)
        gsl_qrng_get(q, u);
    for (int i = 0; i < d; i++) {
        double v = u[i] + shift[i];
        v -= floor(v);
        x[i] = param_from_unit(&s->space->p[i], v);
    }
    gsl_qrng_free(q);
    gsl_rng_free(r);
    return 0;
}

/* Number of grid levels of parameter p. */
static double grid_levels(const opt_study *s, const opt_param *p)
{
    double card = opt_param_cardinality(p);
    return card > 0 ? card : s->sc.grid_points;
}

/* Value of level k of parameter p on the grid. */
static double grid_value(const opt_study *s, const opt_param *p, double k)
{
    if (opt_param_cardinality(p) > 0) {
        double step = p->step > 0 ? p->step : 1.0;
        return opt_param_snap(p, p->low + k * step);
    }
    double lo = opt_param_to_internal(p, p->low), hi = opt_param_to_internal(p, p->high);
    if (k >= s->sc.grid_points - 1)
        return p->high;
    return opt_param_from_internal(p, lo + (hi - lo) * k / (s->sc.grid_points - 1));
}

/* The grid point of mixed-radix `index` (space order, the last parameter the
 * fastest), with the inactive parameters NaN. */
static void grid_point(const opt_study *s, double index, double *x)
{
    for (int i = s->space->n - 1; i >= 0; i--) {
        const opt_param *p = &s->space->p[i];
        double levels = grid_levels(s, p);
        double k = fmod(index, levels);
        assert(k >= 0 && k < levels);   /* a level of parameter i */
        index = floor(index / levels);
        x[i] = grid_value(s, p, k);
    }
    opt_space_deactivate(s->space, x);
}

/* Parameters with every parent before its children (the space is acyclic). */
static void parents_first(const opt_space *sp, int *perm)
{
    int placed[OPT_MAX_PARAMS] = {0}, n = 0;
    while (n < sp->n)
        for (int i = 0; i < sp->n; i++)
            if (!placed[i] && (sp->p[i].when.op == OPT_COND_NONE || placed[sp->p[i].when.parent])) {
                placed[i] = 1;
                perm[n++] = i;
            }
}

/* The active combinations of a conditional space, as mixed-radix indexes into
 * s->grid: an odometer over the parameters, parents first, whose digits of
 * inactive parameters stay 0 (a child's digit restarts at 0 whenever a digit
 * before it moves). 0, or -1 and err past 1e6 points. */
static int grid_enumerate(opt_study *s, char err[256])
{
    const opt_space *sp = s->space;
    int perm[OPT_MAX_PARAMS], n = sp->n;
    double d[OPT_MAX_PARAMS] = {0}, levels[OPT_MAX_PARAMS], weight[OPT_MAX_PARAMS], x[OPT_MAX_PARAMS];
    double product = 1;
    for (int i = n - 1; i >= 0; i--) {
        levels[i] = grid_levels(s, &sp->p[i]);
        weight[i] = product;
        product *= levels[i];
    }
    if (product > 9007199254740992.0) {   /* 2^53: indexes would not be exact */
        snprintf(err, 256, "grid sampler: the grid has %.3g points before conditions, more than "
                 "2^53", product);
        return -1;
    }
    parents_first(sp, perm);
    size_t cap = 0;
    for (;;) {
        if (s->n_grid >= 1e6) {
            snprintf(err, 256, "grid sampler: the grid has more than 1e6 active points");
            return -1;
        }
        if ((size_t)s->n_grid == cap) {
            cap = cap ? 2 * cap : 256;
            double *g = realloc(s->grid, cap * sizeof *g);
            if (!g) {
                snprintf(err, 256, "grid sampler: out of memory");
                return -1;
            }
            s->grid = g;
        }
        double index = 0;
        for (int i = 0; i < n; i++) {
            index += d[i] * weight[i];
            x[i] = grid_value(s, &sp->p[i], d[i]);
        }
        s->grid[(size_t)s->n_grid++] = index;
        int pos = n - 1;
        for (; pos >= 0; pos--) {
            int i = perm[pos];
            if (d[i] < levels[i] - 1 && opt_param_active(sp, i, x)) {
                d[i]++;
                for (int k = pos + 1; k < n; k++)
                    d[perm[k]] = 0;
                break;
            }
        }
        if (pos < 0)
            return 0;
    }
}

int opt_grid_init(opt_study *s, char err[256])
{
    if (opt_space_has_conditions(s->space))
        return grid_enumerate(s, err);
    double total = 1;
    for (int i = 0; i < s->space->n; i++)
        total *= grid_levels(s, &s->space->p[i]);
    if (total > 1e6) {
        snprintf(err, 256, "grid sampler: the grid has %.3g points, more than 1e6", total);
        return -1;
    }
    s->n_grid = total;
    return 0;
}

int opt_grid_scan(const opt_study *s, const double *list, double total, gsl_rng *rng, double *x,
                  char err[256])
{
    if (!(total > 0)) {
        snprintf(err, 256, "grid sampler: no grid (more than 1e6 points)");
        return -1;
    }
    double start = floor(gsl_rng_uniform(rng) * total);
    for (double k = 0; k < total; k++) {
        double at = fmod(start + k, total);
        grid_point(s, list ? list[(size_t)at] : at, x);
        if (!opt_study_seen(s, x))
            return 0;
    }
    snprintf(err, 256, "grid sampler: all %.0f grid points have been tried", total);
    return OPT_EXHAUSTED;
}

int opt_sample_grid(const opt_study *s, gsl_rng *rng, double *x, char err[256])
{
    return opt_grid_scan(s, s->grid, s->n_grid, rng, x, err);
}
