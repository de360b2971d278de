/*
 * study.h - the ask/tell optimizer: a study owns the trials of one search and
 * asks its sampler for the next parameters and its pruner whether a running
 * trial should stop. Pure computation: no I/O, no MPI, no storage. The study
 * runner (experiments/) persists trials itself and replays them on resume.
 *
 * Trial lifecycle: base/trial_state.h draws it (opt_ask starts a RUNNING trial,
 * opt_report/opt_should_prune run while it is RUNNING, opt_tell finishes it).
 *
 * Invariants: (1) trial numbers are unique and ask hands out max(number) + 1;
 * (2) only RUNNING trials accept reports and tells; (3) all randomness of one ask
 * comes from a generator seeded by (study seed, trial number), so a study
 * rebuilt with opt_study_replay from the same history suggests exactly what the
 * uninterrupted study would; (4) RUNNING trials are visible to the sampler
 * (constant liar in TPE, duplicate avoidance everywhere).
 *
 * Samplers: random, sobol, tpe (Optuna 3.x semantics and defaults), gp (GP-EI),
 * grid. Pruners: none, median, percentile, successive_halving. See
 * opt_sampler_config_default / opt_pruner_config_default for the defaults.
 */
#ifndef OPT_STUDY_H
#define OPT_STUDY_H

#include "base/trial_state.h"
#include "optimizer/space.h"

/* The trial state is the project's one (base/trial_state.h); these are its names here. */
typedef trial_state opt_state;
#define OPT_RUNNING TRIAL_RUNNING
#define OPT_COMPLETE TRIAL_COMPLETE
#define OPT_PRUNED TRIAL_PRUNED
#define OPT_FAIL TRIAL_FAIL
typedef enum { OPT_MINIMIZE, OPT_MAXIMIZE } opt_direction;
/* Objectives of a multi-objective study (opt_study_set_objectives). */
#define OPT_MAX_OBJECTIVES 4

typedef enum {
    OPT_SAMPLER_RANDOM,
    OPT_SAMPLER_SOBOL,
    OPT_SAMPLER_TPE,
    OPT_SAMPLER_GP,
    OPT_SAMPLER_GRID,
    OPT_SAMPLER_MOTPE, /* multi-objective TPE (motpe.c) */
    OPT_SAMPLER_NSGA2  /* NSGA-II (nsga2.c) */
} opt_sampler_kind;

typedef struct opt_sampler_config {
    opt_sampler_kind kind;
    int n_startup_trials;    /* tpe 10, gp 10: random (gp: shifted Sobol) before that */
    /* tpe */
    int n_ei_candidates;     /* 24 */
    int multivariate;        /* 1: one joint kernel over all parameters (Scott-like bandwidth) */
    int constant_liar;       /* 1: RUNNING trials count as the worst trials */
    double prior_weight;     /* 1.0 */
    int consider_magic_clip; /* 1 */
    int consider_endpoints;  /* 0 */
    /* 1 (default): continuous kernels' log densities omit -log(sigma), as in
     * Optuna 3.1-3.4 (optuna issue #5109, fixed in 3.5). This weighs wide
     * kernels (the prior) up, and is what the Optuna peer benchmark runs. */
    int unscaled_kernels;
    /* gp */
    int gp_n_candidates;     /* 1000 random candidates per ask (plus local ones) */
    /* grid */
    int grid_points;         /* points per continuous float parameter: 5 */
    /* nsga2 (Optuna's NSGAIISampler defaults) */
    int population_size;     /* 50 */
    double crossover_prob;   /* 0.9 */
    double swapping_prob;    /* 0.5: uniform crossover's chance to take the second parent */
    double mutation_prob;    /* 0 = 1 / number of parameters */
} opt_sampler_config;

typedef enum {
    OPT_PRUNER_NONE,
    OPT_PRUNER_MEDIAN,
    OPT_PRUNER_PERCENTILE,
    OPT_PRUNER_SUCCESSIVE_HALVING
} opt_pruner_kind;

typedef struct opt_pruner_config {
    opt_pruner_kind kind;
    int n_startup_trials; /* median/percentile: 5 COMPLETE trials before any pruning */
    int n_warmup_steps;   /* 0 */
    int interval_steps;   /* 1 */
    double percentile;    /* 50 for median; 25 = keep the best quarter */
    int min_resource;     /* successive halving: 0 = "auto" (Optuna's default: estimated), or >= 1 */
    int reduction_factor; /* 4 */
    int min_early_stopping_rate; /* 0 */
} opt_pruner_config;

/* Defaults (Optuna 3.x) for a sampler / pruner kind; motpe takes MOTPESampler's
 * (univariate, endpoints considered, no constant liar). */
void opt_sampler_config_default(opt_sampler_config *c, opt_sampler_kind kind);
void opt_pruner_config_default(opt_pruner_config *c, opt_pruner_kind kind);
/* Kind from its name ("random", "sobol", "tpe", "gp", "grid" / "none", "median",
 * "percentile", "successive_halving"); 0 ok, -1 and err listing the names. */
int opt_sampler_kind_parse(const char *name, opt_sampler_kind *kind, char err[256]);
int opt_pruner_kind_parse(const char *name, opt_pruner_kind *kind, char err[256]);
const char *opt_sampler_kind_name(opt_sampler_kind kind);
const char *opt_pruner_kind_name(opt_pruner_kind kind);
static inline const char *opt_state_name(opt_state state) { return trial_state_name(state); }
/* "RUNNING"/"COMPLETE"/"PRUNED"/"FAIL" (any case) to a state; -1 when unknown. */
static inline int opt_state_parse(const char *name, opt_state *state)
{
    int s = trial_state_parse(name, 1);
    if (s < 0)
        return -1;
    *state = (opt_state)s;
    return 0;
}

/* One trial's number and parameter values (space order; see space.h for how a
 * value is represented). */
typedef struct opt_trial_params {
    int number;
    int n;
    double values[OPT_MAX_PARAMS];
} opt_trial_params;

/* Value of the parameter called name as a number (opt_value_number), or NaN when
 * there is no such parameter. */
double opt_params_get(const opt_space *space, const opt_trial_params *p, const char *name);
/* Choice string of a string categorical called name, else NULL. */
const char *opt_params_get_string(const opt_space *space, const opt_trial_params *p,
                                  const char *name);

typedef struct opt_study opt_study;

/* A new study over space (which must outlive the study). Validates the configs.
 * Returns NULL with err on a bad config. Caller frees with opt_study_free. */
opt_study *opt_study_new(const opt_space *space, opt_direction direction,
                         const opt_sampler_config *sc, const opt_pruner_config *pc,
                         unsigned long seed, char err[256]);
void opt_study_free(opt_study *s);

/* Start a trial: fills out with a fresh trial number and the suggested values;
 * the trial is RUNNING. 0 ok, -1 and err, or OPT_EXHAUSTED (err says so) when
 * the grid sampler has suggested every point of its grid (no trial started). */
#define OPT_EXHAUSTED 1
int opt_ask(opt_study *s, opt_trial_params *out, char err[256]);
/* Record an intermediate value of a RUNNING trial at step >= 0 (a later report of
 * the same step replaces the value). 0 ok, -1 and err. */
int opt_report(opt_study *s, int trial, int step, double value, char err[256]);
/* 1 when the pruner says the RUNNING trial should stop at step (which it must
 * have reported), 0 to go on, -1 when the trial is unknown or not running. Call
 * it after every report: successive halving records the trial's rung values here. */
int opt_should_prune(opt_study *s, int trial, int step);
/* Finish a RUNNING trial. COMPLETE needs a finite value; PRUNED takes value or,
 * when value is NaN, the last reported value; FAIL ignores value. 0 ok, -1 + err. */
int opt_tell(opt_study *s, int trial, opt_state state, double value, char err[256]);

/* A trial as the store remembers it, for replay. */
typedef struct opt_trial_record {
    int number;
    opt_state state;
    double value;                 /* COMPLETE/PRUNED value; ignored otherwise */
    const opt_trial_params *params;
    int n_steps;                  /* intermediate values, in the order reported */
    const int *steps;
    const double *step_values;
    /* multi-objective study, COMPLETE: every objective's value (value is the
     * first); NULL otherwise */
    const double *values;
} opt_trial_record;

/* Add a trial from an earlier run (any state; RUNNING trials stay RUNNING and can
 * be told later). Its values are NaN exactly for its inactive parameters. Replay trials in any order; the next ask uses number
 * max(number) + 1. Successive-halving rungs are rebuilt from the intermediate
 * values as opt_should_prune would have recorded them. 0 ok, -1 and err. */
int opt_study_replay(opt_study *s, const opt_trial_record *rec, char err[256]);

/* Read-only views. */
int opt_study_n_trials(const opt_study *s);
/* The i-th trial held (0 <= i < n_trials, insertion order). */
int opt_study_trial_info(const opt_study *s, int i, int *number, opt_state *state,
                         double *value, opt_trial_params *params);
/* Best COMPLETE trial by direction: its number, or -1 when none; value may be NULL. */
int opt_study_best(const opt_study *s, double *value);
const opt_space *opt_study_space(const opt_study *s);

/* Multi-objective studies (multiobj.c): set n (2..OPT_MAX_OBJECTIVES) directions
 * before the first ask; the sampler must be motpe, nsga2 or random; no pruner.
 * Trials are then told with opt_tell_values (opt_tell's value is the first
 * objective). 0 ok, -1 and err. */
int opt_study_set_objectives(opt_study *s, int n, const opt_direction *dirs, char err[256]);
int opt_study_n_objectives(const opt_study *s);
/* The directions of the objectives into dirs (room for OPT_MAX_OBJECTIVES);
 * returns how many (1 for a single-objective study). */
int opt_study_directions(const opt_study *s, opt_direction *dirs);
/* Finish a RUNNING trial with every objective's value (COMPLETE needs them all
 * finite; FAIL ignores them). A replayed COMPLETE trial brings its values in
 * opt_trial_record.values instead. */
int opt_tell_values(opt_study *s, int trial, opt_state state, const double *values,
                    char err[256]);
/* The objective values of the i-th trial held (NaN unless COMPLETE). */
int opt_study_trial_values(const opt_study *s, int i, double *values);
/* Numbers of the COMPLETE trials on the Pareto front, ascending, into numbers
 * (room for opt_study_n_trials); returns how many, -1 when out of memory. */
int opt_study_pareto(const opt_study *s, int *numbers);

#endif
