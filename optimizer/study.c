/*
 * study.c - the ask/tell study: trial bookkeeping, config defaults and checks,
 * dispatch to the samplers and pruners, and replay of a stored history.
 * The trial lifecycle and the study's invariants are drawn in study.h.
 */
#include "optimizer/study.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "optimizer/internal.h"

static const char *const sampler_names[] = {"random", "sobol", "tpe", "gp", "grid",
                                              "motpe", "nsga2"};
static const char *const pruner_names[] = {"none", "median", "percentile", "successive_halving"};

void opt_sampler_config_default(opt_sampler_config *c, opt_sampler_kind kind)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->n_startup_trials = 10;
    c->n_ei_candidates = 24;
    c->multivariate = 1;
    c->constant_liar = 1;
    c->prior_weight = 1.0;
    c->consider_magic_clip = 1;
    c->consider_endpoints = 0;
    c->unscaled_kernels = 1;
    c->gp_n_candidates = 1000;
    c->grid_points = 5;
    c->population_size = 50;
    c->crossover_prob = 0.9;
    c->swapping_prob = 0.5;
    c->mutation_prob = 0;
    if (kind == OPT_SAMPLER_MOTPE) {
        /* Optuna 3.1's MOTPESampler: independent kernels per parameter, the
         * endpoints considered, no constant liar. On ZDT1's 30 parameters the
         * joint kernel of seqtune's tpe default reaches a clearly lower
         * hypervolume (bench/sampler). */
        c->multivariate = 0;
        c->consider_endpoints = 1;
        c->constant_liar = 0;
    }
}

void opt_pruner_config_default(opt_pruner_config *c, opt_pruner_kind kind)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->n_startup_trials = 5;
    c->n_warmup_steps = 0;
    c->interval_steps = 1;
    c->percentile = 50.0;
    c->min_resource = 0; /* "auto": estimated from the trials, as Optuna does */
    c->reduction_factor = 4;
    c->min_early_stopping_rate = 0;
}

static int kind_parse(const char *name, const char *const *names, int n, const char *what,
                      int *kind, char err[256])
{
    for (int i = 0; name && i < n; i++)
        if (strcmp(name, names[i]) == 0) {
            *kind = i;
            return 0;
        }
    char list[160] = "";
    for (int i = 0; i < n; i++) {
        strncat(list, names[i], sizeof list - strlen(list) - 1);
        if (i + 1 < n)
            strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    snprintf(err, 256, "unknown %s '%.60s' (expected one of: %s)", what, name ? name : "",
             list);
    return -1;
}

int opt_sampler_kind_parse(const char *name, opt_sampler_kind *kind, char err[256])
{
    int k;
    if (kind_parse(name, sampler_names, 7, "sampler", &k, err) < 0)
        return -1;
    *kind = (opt_sampler_kind)k;
    return 0;
}

int opt_pruner_kind_parse(const char *name, opt_pruner_kind *kind, char err[256])
{
    int k;
    if (kind_parse(name, pruner_names, 4, "pruner", &k, err) < 0)
        return -1;
    *kind = (opt_pruner_kind)k;
    return 0;
}

const char *opt_sampler_kind_name(opt_sampler_kind k)
{
    return (unsigned)k < 7 ? sampler_names[k] : "?";
}

const char *opt_pruner_kind_name(opt_pruner_kind k)
{
    return (unsigned)k < 4 ? pruner_names[k] : "?";
}

double opt_params_get(const opt_space *space, const opt_trial_params *p, const char *name)
{
    int i = opt_space_find(space, name);
    if (i < 0 || i >= p->n)
        return NAN;
    return opt_value_number(space, i, p->values[i]);
}

const char *opt_params_get_string(const opt_space *space, const opt_trial_params *p,
                                  const char *name)
{
    int i = opt_space_find(space, name);
    if (i < 0 || i >= p->n)
        return NULL;
    return opt_value_string(space, i, p->values[i]);
}

/* splitmix64: a well-mixed 64-bit hash used to derive per-trial seeds. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

gsl_rng *opt_rng_for(unsigned long seed, int number, int stream)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return NULL;
    uint64_t h = mix64(mix64((uint64_t)seed) ^ ((uint64_t)(uint32_t)number << 8) ^
                       (uint64_t)(uint32_t)stream);
    gsl_rng_set(r, (unsigned long)(h >> 1) | 1UL);
    return r;
}

static int config_check(const opt_space *space, const opt_sampler_config *sc,
                        const opt_pruner_config *pc, char err[256])
{
    if (!space || space->n < 1) {
        snprintf(err, 256, "search space: needs at least one parameter");
        return -1;
    }
    if (sc->kind == OPT_SAMPLER_NSGA2 &&
        (sc->population_size < 2 || !(sc->crossover_prob >= 0 && sc->crossover_prob <= 1) ||
         !(sc->swapping_prob >= 0 && sc->swapping_prob <= 1) ||
         !(sc->mutation_prob >= 0 && sc->mutation_prob <= 1))) {
        snprintf(err, 256, "sampler: nsga2 needs population_size >= 2 and probabilities in [0, 1]");
        return -1;
    }
    if ((unsigned)sc->kind > OPT_SAMPLER_NSGA2) {
        snprintf(err, 256, "sampler: unknown kind %d", (int)sc->kind);
        return -1;
    }
    if (sc->n_startup_trials < 0) {
        snprintf(err, 256, "sampler.n_startup_trials: expected >= 0, got %d",
                 sc->n_startup_trials);
        return -1;
    }
    if (sc->n_ei_candidates < 1) {
        snprintf(err, 256, "sampler.n_ei_candidates: expected >= 1, got %d",
                 sc->n_ei_candidates);
        return -1;
    }
    if (!(sc->prior_weight > 0) || !isfinite(sc->prior_weight)) {
        snprintf(err, 256, "sampler.prior_weight: expected > 0, got %g", sc->prior_weight);
        return -1;
    }
    if (sc->kind == OPT_SAMPLER_GP && sc->gp_n_candidates < 1) {
        snprintf(err, 256, "sampler.gp_n_candidates: expected >= 1, got %d",
                 sc->gp_n_candidates);
        return -1;
    }
    if (sc->kind == OPT_SAMPLER_GRID && sc->grid_points < 2) {
        snprintf(err, 256, "sampler.grid_points: expected >= 2, got %d", sc->grid_points);
        return -1;
    }
    if (sc->kind == OPT_SAMPLER_SOBOL && space->n > 40) {
        snprintf(err, 256, "sampler sobol: at most 40 parameters, got %d", space->n);
        return -1;
    }
    if ((unsigned)pc->kind > OPT_PRUNER_SUCCESSIVE_HALVING) {
        snprintf(err, 256, "pruner: unknown kind %d", (int)pc->kind);
        return -1;
    }
    if (pc->n_startup_trials < 0 || pc->n_warmup_steps < 0) {
        snprintf(err, 256, "pruner: n_startup_trials and n_warmup_steps must be >= 0");
        return -1;
    }
    if (pc->interval_steps < 1) {
        snprintf(err, 256, "pruner.interval_steps: expected >= 1, got %d", pc->interval_steps);
        return -1;
    }
    if (!(pc->percentile >= 0 && pc->percentile <= 100)) {
        snprintf(err, 256, "pruner.percentile: expected 0..100, got %g", pc->percentile);
        return -1;
    }
    if (pc->kind == OPT_PRUNER_SUCCESSIVE_HALVING &&
        (pc->reduction_factor < 2 || pc->min_resource < 0 || pc->min_early_stopping_rate < 0)) {
        snprintf(err, 256, "pruner successive_halving: reduction_factor must be >= 2, "
                 "min_resource and min_early_stopping_rate >= 0");
        return -1;
    }
    return 0;
}

opt_study *opt_study_new(const opt_space *space, opt_direction direction,
                         const opt_sampler_config *sc, const opt_pruner_config *pc,
                         unsigned long seed, char err[256])
{
    opt_sampler_config sdef;
    opt_pruner_config pdef;
    if (!sc) {
        opt_sampler_config_default(&sdef, OPT_SAMPLER_TPE);
        sc = &sdef;
    }
    if (!pc) {
        opt_pruner_config_default(&pdef, OPT_PRUNER_NONE);
        pc = &pdef;
    }
    if (direction != OPT_MINIMIZE && direction != OPT_MAXIMIZE) {
        snprintf(err, 256, "direction: expected minimize or maximize");
        return NULL;
    }
    if (config_check(space, sc, pc, err) < 0)
        return NULL;
    opt_study *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, 256, "study: out of memory");
        return NULL;
    }
    s->space = space;
    s->direction = direction;
    s->sc = *sc;
    s->pc = *pc;
    s->seed = seed;
    s->n_obj = 1;
    s->dirs[0] = direction;
    if (sc->kind == OPT_SAMPLER_GRID && opt_grid_init(s, err) < 0) {
        free(s->grid);
        free(s);
        return NULL;
    }
    return s;
}

void opt_study_free(opt_study *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        free(s->trials[i].steps);
        free(s->trials[i].step_values);
    }
    free(s->trials);
    free(s->index);
    free(s->points);
    free(s->grid);
    opt_tpe_ws_free(s->tpe);
    free(s);
}

double opt_study_sign(const opt_study *s)
{
    return s->direction == OPT_MAXIMIZE ? -1.0 : 1.0;
}

/* Slot of number in the open-addressing index (Fibonacci hashing, linear
 * probing): the slot holding it, or the empty slot where it would go. */
static size_t study_slot(const opt_study *s, int number)
{
    size_t mask = s->index_cap - 1;
    size_t h = (size_t)(((uint64_t)(unsigned)number * 0x9E3779B97F4A7C15u) >> 32) & mask;
    while (s->index[h] && s->trials[s->index[h] - 1].number != number)
        h = (h + 1) & mask;
    return h;
}

/* The trial called number, or NULL: O(1) whatever order trials came in. */
static opt_trial *study_find(opt_study *s, int number)
{
    if (number >= 0 && number < s->n && s->trials[number].number == number)
        return &s->trials[number];
    if (!s->index_cap)
        return NULL;
    int at = s->index[study_slot(s, number)];
    return at ? &s->trials[at - 1] : NULL;
}

/* Make room in the index for one more trial (kept at most half full). */
static int study_index_reserve(opt_study *s)
{
    if (2 * ((size_t)s->n + 1) <= s->index_cap)
        return 0;
    size_t cap = s->index_cap ? 2 * s->index_cap : 128;
    int *idx = calloc(cap, sizeof *idx);
    if (!idx)
        return -1;
    free(s->index);
    s->index = idx;
    s->index_cap = cap;
    for (int i = 0; i < s->n; i++)
        s->index[study_slot(s, s->trials[i].number)] = i + 1;
    return 0;
}

static opt_trial *study_append(opt_study *s, int number, char err[256])
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 64;
        opt_trial *t = realloc(s->trials, sizeof *t * (size_t)cap);
        if (!t) {
            snprintf(err, 256, "study: out of memory for trial %d", number);
            return NULL;
        }
        s->trials = t;
        s->cap = cap;
    }
    if (study_index_reserve(s) < 0) {
        snprintf(err, 256, "study: out of memory for the index of trial %d", number);
        return NULL;
    }
    opt_trial *t = &s->trials[s->n++];
    memset(t, 0, sizeof *t);
    t->number = number;
    t->state = OPT_RUNNING;
    t->value = NAN;
    for (int k = 0; k < OPT_MAX_OBJECTIVES; k++)
        t->values[k] = NAN;
    s->index[study_slot(s, number)] = s->n;
    if (number >= s->next_number)
        s->next_number = number + 1;
    return t;
}

/* FNV-1a over the bytes of a parameter vector (the bytes memcmp compares). */
static size_t point_hash(const double *x, int d)
{
    const unsigned char *p = (const unsigned char *)x;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < sizeof(double) * (size_t)d; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return (size_t)(h ^ (h >> 32));
}

int opt_study_seen(const opt_study *s, const double *x)
{
    int d = s->space->n;
    if (!s->points_cap)
        return 0;
    size_t mask = s->points_cap - 1;
    for (size_t h = point_hash(x, d) & mask; s->points[h]; h = (h + 1) & mask)
        if (memcmp(s->trials[s->points[h] - 1].x, x, sizeof(double) * (size_t)d) == 0)
            return 1;
    return 0;
}

/* Puts trial k into the point hash (linear probing; the table has a free slot). */
static void study_points_put(opt_study *s, int k)
{
    size_t mask = s->points_cap - 1, h = point_hash(s->trials[k].x, s->space->n) & mask;
    while (s->points[h])
        h = (h + 1) & mask;
    s->points[h] = k + 1;
}

/* Adds trial i (its x set, the newest trial) to the point hash, doubling it and
 * re-inserting every trial when it would be more than half full. */
static int study_points_add(opt_study *s, int i)
{
    s->n_distinct += !opt_study_seen(s, s->trials[i].x);
    if (2 * (size_t)s->n <= s->points_cap) {
        study_points_put(s, i);
        return 0;
    }
    size_t cap = s->points_cap ? 2 * s->points_cap : 128;
    int *pt = calloc(cap, sizeof *pt);
    if (!pt)
        return -1;
    free(s->points);
    s->points = pt;
    s->points_cap = cap;
    for (int k = 0; k < s->n; k++)   /* every trial, i included */
        study_points_put(s, k);
    return 0;
}

/* Number of points of a discrete space, capped at 1e18. */
static double space_size(const opt_space *sp)
{
    double total = 1;
    for (int i = 0; i < sp->n; i++) {
        total *= opt_param_cardinality(&sp->p[i]);
        if (total > 1e18)
            return 1e18;
    }
    return total;
}

/* In a discrete space with unseen points left, redraw a duplicate: at random, and
 * when 2000 draws all hit seen points (a nearly exhausted space), the first unseen
 * point of the enumeration from a random start (spaces up to 1e6 points). */
static void study_avoid_duplicate(const opt_study *s, gsl_rng *rng, double *x)
{
    if (!opt_space_is_discrete(s->space) || !opt_study_seen(s, x))
        return;
    if (space_size(s->space) <= s->n_distinct)
        return;
    double y[OPT_MAX_PARAMS];
    for (int tries = 0; tries < 2000; tries++) {
        opt_sample_random(s, rng, y);
        opt_space_deactivate(s->space, y);
        if (!opt_study_seen(s, y)) {
            memcpy(x, y, sizeof(double) * (size_t)s->space->n);
            return;
        }
    }
    /* the last resort enumerates the plain product (inactive values NaN) */
    char err[256];
    double total = space_size(s->space);
    if (total <= 1e6 && opt_grid_scan(s, NULL, total, rng, y, err) == 0)
        memcpy(x, y, sizeof(double) * (size_t)s->space->n);
}

int opt_study_sample(opt_study *s, int number, double *x, char err[256])
{
    int rc = 0;
    gsl_rng *rng = opt_rng_for(s->seed, number, 0);
    if (!rng) {
        snprintf(err, 256, "study: out of memory for the generator of trial %d", number);
        return -1;
    }
    int started = s->n_finished >= s->sc.n_startup_trials;
    switch (s->sc.kind) {
    case OPT_SAMPLER_RANDOM:
        rc = opt_sample_random(s, rng, x);
        break;
    case OPT_SAMPLER_SOBOL:
        rc = opt_sample_sobol(s, number, x, err);
        break;
    case OPT_SAMPLER_GRID:
        rc = opt_sample_grid(s, rng, x, err);
        break;
    case OPT_SAMPLER_NSGA2:
        rc = opt_sample_nsga2(s, rng, number, x, err);
        break;
    case OPT_SAMPLER_MOTPE:
    case OPT_SAMPLER_TPE:
        rc = started ? opt_sample_tpe(s, rng, x, err) : opt_sample_random(s, rng, x);
        break;
    case OPT_SAMPLER_GP:
        if (started)
            rc = opt_sample_gp(s, rng, x, err);
        else if (s->space->n <= 40) /* gsl_qrng_sobol's limit */
            rc = opt_sample_sobol(s, number, x, err);
        else
            rc = opt_sample_random(s, rng, x);
        break;
    }
    if (rc == 0)   /* inactive parameters are NaN (condition.c) */
        opt_space_deactivate(s->space, x);
    if (rc == 0 && s->sc.kind != OPT_SAMPLER_GRID)
        study_avoid_duplicate(s, rng, x);
    gsl_rng_free(rng);
    return rc < 0 ? -1 : rc;
}

int opt_ask(opt_study *s, opt_trial_params *out, char err[256])
{
    int number = s->next_number;
    double x[OPT_MAX_PARAMS];
    int rc = opt_study_sample(s, number, x, err);
    if (rc != 0)
        return rc;
    opt_trial *t = study_append(s, number, err);
    if (!t)
        return -1;
    memcpy(t->x, x, sizeof(double) * (size_t)s->space->n);
    if (study_points_add(s, (int)(t - s->trials)) < 0) {
        snprintf(err, 256, "study: out of memory for the parameters of trial %d", number);
        return -1;
    }
    out->number = number;
    out->n = s->space->n;
    memcpy(out->values, x, sizeof(double) * (size_t)s->space->n);
    return 0;
}

/* Set the value of step in t's history (append, or replace a repeated step). */
static int trial_put_step(opt_trial *t, int step, double value)
{
    for (int i = 0; i < t->n_steps; i++)
        if (t->steps[i] == step) {
            t->step_values[i] = value;
            return 0;
        }
    if (t->n_steps == t->cap_steps) {
        int cap = t->cap_steps ? 2 * t->cap_steps : 8;
        int *st = realloc(t->steps, sizeof(int) * (size_t)cap);
        if (!st)
            return -1;
        t->steps = st;
        double *sv = realloc(t->step_values, sizeof(double) * (size_t)cap);
        if (!sv)
            return -1;
        t->step_values = sv;
        t->cap_steps = cap;
    }
    t->steps[t->n_steps] = step;
    t->step_values[t->n_steps] = value;
    t->n_steps++;
    return 0;
}

static opt_trial *study_running(opt_study *s, int number, char err[256])
{
    opt_trial *t = study_find(s, number);
    if (!t) {
        snprintf(err, 256, "trial %d: no such trial", number);
        return NULL;
    }
    if (t->state != OPT_RUNNING) {
        snprintf(err, 256, "trial %d: already finished (%s)", number, opt_state_name(t->state));
        return NULL;
    }
    return t;
}

int opt_report(opt_study *s, int trial, int step, double value, char err[256])
{
    opt_trial *t = study_running(s, trial, err);
    if (!t)
        return -1;
    if (step < 0) {
        snprintf(err, 256, "trial %d: step must be >= 0, got %d", trial, step);
        return -1;
    }
    if (trial_put_step(t, step, value) < 0) {
        snprintf(err, 256, "trial %d: out of memory for step %d", trial, step);
        return -1;
    }
    return 0;
}

int opt_should_prune(opt_study *s, int trial, int step)
{
    char err[256];
    opt_trial *t = study_running(s, trial, err);
    if (!t)
        return -1;
    for (int i = 0; i < t->n_steps; i++)
        if (t->steps[i] == step)
            return opt_prune_decide(s, t, step);
    return 0;
}

/* The value at the largest reported step, NaN when there is none. */
static double trial_last_value(const opt_trial *t)
{
    int best = -1;
    double v = NAN;
    for (int i = 0; i < t->n_steps; i++)
        if (t->steps[i] > best) {
            best = t->steps[i];
            v = t->step_values[i];
        }
    return v;
}

int opt_tell(opt_study *s, int trial, opt_state state, double value, char err[256])
{
    opt_trial *t = study_running(s, trial, err);
    if (!t)
        return -1;
    switch (state) {
    case OPT_COMPLETE:
        if (!isfinite(value)) {
            snprintf(err, 256, "trial %d: a COMPLETE trial needs a finite value, got %g", trial,
                     value);
            return -1;
        }
        t->value = value;
        break;
    case OPT_PRUNED:
        t->value = isnan(value) ? trial_last_value(t) : value;
        break;
    case OPT_FAIL:
        t->value = NAN;
        break;
    default:
        snprintf(err, 256, "trial %d: tell needs COMPLETE, PRUNED or FAIL", trial);
        return -1;
    }
    t->state = state;
    s->n_finished += state == OPT_COMPLETE || state == OPT_PRUNED;
    return 0;
}

int opt_study_replay(opt_study *s, const opt_trial_record *rec, char err[256])
{
    if (rec->number < 0) {
        snprintf(err, 256, "replayed trial: number must be >= 0, got %d", rec->number);
        return -1;
    }
    if (study_find(s, rec->number)) {
        snprintf(err, 256, "replayed trial %d: already in the study", rec->number);
        return -1;
    }
    if ((unsigned)rec->state > OPT_FAIL) {
        snprintf(err, 256, "replayed trial %d: unknown state %d", rec->number, (int)rec->state);
        return -1;
    }
    if (!rec->params || rec->params->n != s->space->n) {
        snprintf(err, 256, "replayed trial %d: expected %d parameter values", rec->number,
                 s->space->n);
        return -1;
    }
    for (int i = 0; i < s->space->n; i++) {
        char e2[256];
        double v = rec->params->values[i];
        if (!opt_param_active(s->space, i, rec->params->values)) {
            if (!isnan(v)) {   /* inactive parameters are NaN (condition.c) */
                snprintf(err, 256, "replayed trial %d: parameter '%s' is inactive but has the "
                         "value %g", rec->number, s->space->p[i].name, v);
                return -1;
            }
        } else if (opt_value_check(s->space, i, v, e2) < 0) {
            snprintf(err, 256, "replayed trial %d: %.200s", rec->number, e2);
            return -1;
        }
    }
    if (rec->state == OPT_COMPLETE && !isfinite(rec->value)) {
        snprintf(err, 256, "replayed trial %d: COMPLETE without a finite value", rec->number);
        return -1;
    }
    for (int k = 0; s->n_obj > 1 && rec->state == OPT_COMPLETE && k < s->n_obj; k++)
        if (!rec->values || !isfinite(rec->values[k])) {
            snprintf(err, 256, "replayed trial %d: COMPLETE without a finite value of "
                     "objective %d", rec->number, k + 1);
            return -1;
        }
    if (rec->n_steps < 0 || (rec->n_steps > 0 && (!rec->steps || !rec->step_values))) {
        snprintf(err, 256, "replayed trial %d: bad intermediate values", rec->number);
        return -1;
    }
    for (int i = 0; i < rec->n_steps; i++)
        if (rec->steps[i] < 0) {
            snprintf(err, 256, "replayed trial %d: negative step %d", rec->number, rec->steps[i]);
            return -1;
        }
    opt_trial *t = study_append(s, rec->number, err);
    if (!t)
        return -1;
    for (int i = 0; i < s->space->n; i++)
        t->x[i] = opt_param_snap(&s->space->p[i], rec->params->values[i]);
    if (study_points_add(s, (int)(t - s->trials)) < 0) {
        snprintf(err, 256, "replayed trial %d: out of memory", rec->number);
        return -1;
    }
    for (int i = 0; i < rec->n_steps; i++) {
        if (trial_put_step(t, rec->steps[i], rec->step_values[i]) < 0) {
            snprintf(err, 256, "replayed trial %d: out of memory", rec->number);
            return -1;
        }
        opt_prune_replay_rungs(s, t, rec->steps[i]);
    }
    t->state = rec->state;
    s->n_finished += rec->state == OPT_COMPLETE || rec->state == OPT_PRUNED;
    if (rec->state == OPT_COMPLETE)
        t->value = rec->value;
    if (rec->state == OPT_COMPLETE && s->n_obj > 1)
        memcpy(t->values, rec->values, sizeof(double) * (size_t)s->n_obj);
    else if (rec->state == OPT_PRUNED)
        t->value = isnan(rec->value) ? trial_last_value(t) : rec->value;
    return 0;
}

int opt_study_n_trials(const opt_study *s)
{
    return s->n;
}

int opt_study_trial_info(const opt_study *s, int i, int *number, opt_state *state,
                         double *value, opt_trial_params *params)
{
    if (i < 0 || i >= s->n)
        return -1;
    const opt_trial *t = &s->trials[i];
    if (number)
        *number = t->number;
    if (state)
        *state = t->state;
    if (value)
        *value = t->value;
    if (params) {
        params->number = t->number;
        params->n = s->space->n;
        memcpy(params->values, t->x, sizeof(double) * (size_t)s->space->n);
    }
    return 0;
}

int opt_study_best(const opt_study *s, double *value)
{
    int best = -1;
    double bv = 0, sign = opt_study_sign(s);
    for (int i = 0; i < s->n; i++) {
        const opt_trial *t = &s->trials[i];
        if (t->state == OPT_COMPLETE && (best < 0 || sign * t->value < sign * bv)) {
            best = t->number;
            bv = t->value;
        }
    }
    if (value)
        *value = best >= 0 ? bv : NAN;
    return best;
}

const opt_space *opt_study_space(const opt_study *s)
{
    return s->space;
}
