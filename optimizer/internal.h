/*
 * internal.h - private to optimizer/: the study's trial records and the entry
 * points of the samplers (sampler.c, tpe.c, gp.c) and pruners (pruner.c).
 * Nothing outside optimizer/ includes this file, except tests/optimizer/.
 */
#ifndef OPT_INTERNAL_H
#define OPT_INTERNAL_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

#include "base/pareto.h"
#include "optimizer/study.h"

#define OPT_MAX_RUNGS 32

typedef struct opt_trial {
    int number;
    opt_state state;
    double value;
    double x[OPT_MAX_PARAMS]; /* parameter values (space.h representation) */
    int n_steps, cap_steps;
    int *steps;               /* intermediate values in report order */
    double *step_values;
    int n_rungs;              /* successive halving: rungs completed */
    double rung_values[OPT_MAX_RUNGS];
    double values[OPT_MAX_OBJECTIVES]; /* multi-objective: every objective (multiobj.c) */
} opt_trial;

struct opt_study {
    const opt_space *space;
    opt_direction direction;
    opt_sampler_config sc;
    opt_pruner_config pc;
    unsigned long seed;
    int n, cap;
    opt_trial *trials;
    int n_finished;          /* COMPLETE and PRUNED trials (they end the startup) */
    int next_number;
    int sobol_dim;
    int *index;              /* number -> trial index + 1 (open addressing, 0 empty) */
    size_t index_cap;        /* slots, a power of two, at most half full */
    int *points;             /* hash of a trial's parameters -> trial index + 1 (the
                                same scheme), so opt_study_seen is O(1) */
    size_t points_cap;
    int n_distinct;          /* distinct parameter vectors among the trials */
    struct opt_tpe_ws *tpe;  /* TPE scratch reused between asks (tpe.c); NULL until used */
    double n_grid;           /* grid sampler: its points (opt_grid_init) */
    double *grid;            /* ... as grid indexes when the space is conditional, else NULL
                                (point k is index k) */
    int n_obj;               /* objectives: 1, or 2..OPT_MAX_OBJECTIVES (multiobj.c) */
    opt_direction dirs[OPT_MAX_OBJECTIVES];
};

/* A generator for one (seed, trial number, stream); caller frees with gsl_rng_free. */
gsl_rng *opt_rng_for(unsigned long seed, int number, int stream);

/* Samplers: fill x (space order) for trial `number`. 0 ok, -1 and err. */
int opt_sample_random(const opt_study *s, gsl_rng *rng, double *x);
int opt_sample_sobol(const opt_study *s, int number, double *x, char err[256]);
/* grid: opt_grid_init counts the grid's points (a conditional space's active
 * combinations, listed in s->grid), -1 and err past 1e6; then each sample is an
 * unvisited point, OPT_EXHAUSTED when none is left. */
int opt_grid_init(opt_study *s, char err[256]);
int opt_sample_grid(const opt_study *s, gsl_rng *rng, double *x, char err[256]);
/* The first unvisited of `total` grid points from a random start: the indexes
 * list[0..total), or 0..total-1 when list is NULL. */
int opt_grid_scan(const opt_study *s, const double *list, double total, gsl_rng *rng, double *x,
                  char err[256]);
/* tpe: s->tpe is created on first use and reused (scratch memory and the log-space
 * values of the trials, which never change: nothing in it alters a suggestion). */
int opt_sample_tpe(opt_study *s, gsl_rng *rng, double *x, char err[256]);
/* Frees a TPE workspace (NULL is fine). */
void opt_tpe_ws_free(struct opt_tpe_ws *w);
/* TPE's vectorised numerics, exposed for tests/optimizer: log(sum exp(a[i])) with
 * TPE's cut (terms below e^-25 of the largest left out; NaN when out of memory),
 * and the log mass inside [lo, hi] of each kernel N(mu[i], sigma[i]). */
double opt_tpe_logsumexp(const double *a, int k);
void opt_tpe_kernel_lognorm(const double *mu, const double *sigma, double lo, double hi, int k,
                            double *ln);
/* tpe_group.c: partition the parameters into groups that are active together in
 * every trial idx[0..n-1] (bit j of a group = parameter j); at most OPT_MAX_PARAMS
 * groups. Returns the number of groups. */
int opt_tpe_groups(const opt_study *s, const int *idx, int n, uint64_t *groups);
/* Multi-objective (motpe.c): the good group of TPE from the COMPLETE trials
 * fin[0..n-1] (trial indices): n_below of them by non-domination rank, the last
 * rank cut by greedy hypervolume contribution; below gets their indices in
 * chronological order and wbelow their kernel weights (hypervolume
 * contributions over the largest). 0 ok, -1 out of memory. */
int opt_motpe_split(const opt_study *s, const int *fin, int n, int n_below, int *below,
                    double *wbelow);
/* Loss vector of trial t (values with maximised objectives negated). */
void opt_trial_losses(const opt_study *s, const opt_trial *t, double *loss);
/* NSGA-II (nsga2.c). */
int opt_sample_nsga2(const opt_study *s, gsl_rng *rng, int number, double *x, char err[256]);
int opt_sample_gp(const opt_study *s, gsl_rng *rng, double *x, char err[256]);

/* The sampler's suggestion x for trial `number` from the trials s holds now
 * (opt_ask without starting the trial). 0 ok, -1 and err, or OPT_EXHAUSTED. */
int opt_study_sample(opt_study *s, int number, double *x, char err[256]);
/* 1 when x equals the parameters of a trial the study holds (FAIL included). */
int opt_study_seen(const opt_study *s, const double *x);
/* Sign that turns the objective into a loss (1 minimize, -1 maximize). */
double opt_study_sign(const opt_study *s);

/* Pruners: decision for trial t at step (reported); may record rung values. */
int opt_prune_decide(opt_study *s, opt_trial *t, int step);
/* Successive halving: record the rungs t passes at step without deciding. */
void opt_prune_replay_rungs(opt_study *s, opt_trial *t, int step);

#endif
