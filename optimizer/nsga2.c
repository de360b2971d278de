/*
 * nsga2.c - NSGA-II with Optuna's NSGAIISampler defaults: population 50,
 * crossover probability 0.9, uniform crossover (swapping probability 0.5),
 * mutation resampling each parameter at random with probability
 * 1 / (number of parameters), binary tournament by dominance.
 *
 * Generations are fixed by trial number: trial k belongs to generation
 * k / population_size (so a study rebuilt by replay suggests the same). The
 * parents of generation g are the elite of the parents of g - 1 and the
 * COMPLETE trials of g - 1: whole non-domination ranks, the rank that does not
 * fit cut by crowding distance (largest first). Generation 0 is random.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optimizer/internal.h"

typedef struct {
    double c;
    int i;
} crowd;

static int cmp_crowd(const void *a, const void *b)
{
    const crowd *x = a, *y = b;
    if (x->c != y->c)
        return (x->c < y->c) - (x->c > y->c); /* descending */
    return x->i - y->i;
}

/* keep the pop best of cand[0..n-1] (trial indices) in place; returns the count */
static int elite(const opt_study *s, int *cand, int n, int pop, double *p, int *rank,
                 double *cd, crowd *cw, int *tmp)
{
    int m = s->n_obj;
    if (n <= pop)
        return n;
    for (int i = 0; i < n; i++)
        opt_trial_losses(s, &s->trials[cand[i]], p + (size_t)i * m);
    if (base_nondominated_sort(p, n, m, rank) < 0)
        return -1;
    int kept = 0;
    for (int r = 0; kept < pop; r++) {
        int cnt = 0;
        for (int i = 0; i < n; i++)
            if (rank[i] == r)
                cw[cnt++].i = i;
        if (kept + cnt <= pop) {
            for (int a = 0; a < cnt; a++)
                tmp[kept++] = cand[cw[a].i];
            continue;
        }
        double *q = p + (size_t)n * m; /* scratch rows after the n points */
        for (int a = 0; a < cnt; a++)
            memcpy(q + (size_t)a * m, p + (size_t)cw[a].i * m, sizeof(double) * (size_t)m);
        if (base_crowding_distance(q, cnt, m, cd) < 0)
            return -1;
        for (int a = 0; a < cnt; a++)
            cw[a].c = cd[a];
        qsort(cw, (size_t)cnt, sizeof *cw, cmp_crowd);
        for (int a = 0; kept < pop; a++)
            tmp[kept++] = cand[cw[a].i];
    }
    memcpy(cand, tmp, sizeof(int) * (size_t)pop);
    return pop;
}

static int tournament(const opt_study *s, gsl_rng *rng, const int *par, int np)
{
    int a = par[gsl_rng_uniform_int(rng, (unsigned long)np)];
    int b = par[gsl_rng_uniform_int(rng, (unsigned long)np)];
    double la[OPT_MAX_OBJECTIVES], lb[OPT_MAX_OBJECTIVES];
    opt_trial_losses(s, &s->trials[a], la);
    opt_trial_losses(s, &s->trials[b], lb);
    return base_dominates(lb, la, s->n_obj) ? b : a;
}

int opt_sample_nsga2(const opt_study *s, gsl_rng *rng, int number, double *x, char err[256])
{
    int pop = s->sc.population_size, gen = number / pop, n = s->n, d = s->space->n, rc = -1;
    int *par = malloc(sizeof(int) * (size_t)(n + 1) * 2), *rank = malloc(sizeof(int) * (size_t)(n + 1) * 2);
    int *tmp = malloc(sizeof(int) * (size_t)(n + 1) * 2);
    double *p = malloc(sizeof(double) * (size_t)(n + 1) * 4 * OPT_MAX_OBJECTIVES);
    double *cd = malloc(sizeof(double) * (size_t)(n + 1) * 2);
    crowd *cw = malloc(sizeof(crowd) * (size_t)(n + 1) * 2);
    if (!par || !rank || !tmp || !p || !cd || !cw) {
        snprintf(err, 256, "nsga2: out of memory for %d trials", n);
        goto out;
    }
    int npar = 0;
    for (int g = 0; g < gen; g++) {
        for (int i = 0; i < n; i++)
            if (s->trials[i].state == OPT_COMPLETE && s->trials[i].number / pop == g)
                par[npar++] = i;
        if ((npar = elite(s, par, npar, pop, p, rank, cd, cw, tmp)) < 0) {
            snprintf(err, 256, "nsga2: out of memory for %d trials", n);
            goto out;
        }
    }
    double rnd[OPT_MAX_PARAMS];
    if (opt_sample_random(s, rng, rnd) < 0) {
        snprintf(err, 256, "nsga2: random draw failed");
        goto out;
    }
    if (npar < 2) { /* generation 0, or too few finished parents */
        memcpy(x, rnd, sizeof(double) * (size_t)d);
        rc = 0;
        goto out;
    }
    const opt_trial *a = &s->trials[tournament(s, rng, par, npar)];
    if (gsl_rng_uniform(rng) < s->sc.crossover_prob) {
        const opt_trial *b = &s->trials[tournament(s, rng, par, npar)];
        for (int j = 0; j < d; j++)
            x[j] = gsl_rng_uniform(rng) < s->sc.swapping_prob ? b->x[j] : a->x[j];
    } else {
        memcpy(x, a->x, sizeof(double) * (size_t)d);
    }
    double mp = s->sc.mutation_prob > 0 ? s->sc.mutation_prob : 1.0 / (d > 0 ? d : 1);
    for (int j = 0; j < d; j++)
        if (gsl_rng_uniform(rng) < mp)
            x[j] = rnd[j];
    rc = 0;
out:
    free(par);
    free(rank);
    free(tmp);
    free(p);
    free(cd);
    free(cw);
    return rc;
}
