/*
 * tpe.c - the Tree-structured Parzen Estimator with Optuna 3.x semantics.
 *
 * Observations: COMPLETE trials rank by value; PRUNED trials rank after them by
 * (step reached, descending; value at that step); RUNNING trials (constant liar)
 * rank last and are never "good"; FAIL trials are ignored. The best
 * gamma(n) = min(ceil(0.1 n), 25) of the n finished trials form the good group l,
 * the others (and the running ones) the bad group g.
 *
 * Each group is a Parzen mixture: one kernel per observation plus a prior kernel
 * (centre of the range, sigma = the range, weight prior_weight), observation
 * weights 1 for the newest 25 and a linear ramp from 1/n for older ones, all
 * normalised. Numeric parameters use truncated normals over the internal range
 * (log for log parameters; ints and stepped floats widened by half a step and
 * given the mass of their step-wide cell: a discrete truncated normal; with
 * unscaled_kernels, as in Optuna 3.1-3.4, a continuous kernel's log density
 * lacks its -log sigma term). Kernel
 * widths: multivariate, 0.2 n^(-1/(d+4)) times the range (Scott-like); univariate,
 * the larger distance to a sorted neighbour (the endpoints count as neighbours
 * only with consider_endpoints). The magic clip keeps widths within
 * [range / min(100, 1 + kernels), range]. A categorical kernel puts
 * prior_weight/(n+1) on every choice plus 1 on its observed choice, normalised;
 * the prior kernel is uniform.
 *
 * n_ei_candidates are drawn from l; the one maximising log l(x) - log g(x) wins
 * (per parameter in univariate mode, jointly in multivariate mode). In a fully
 * discrete space a candidate already tried is passed over for the next best.
 *
 * Speed (an ask at 1,000 trials is a fraction of a millisecond): the study keeps
 * a workspace (struct opt_tpe_ws) with all scratch memory and the trials'
 * log-space values between asks; a candidate's log density under a mixture is
 * one fused pass over the kernels (tpe_accumulate, also built for AVX2 with the
 * same arithmetic in the same order, hence the same bits); exp, erfc, log and
 * log1p come two at a time from glibc's libmvec, and exp only for the terms the
 * log-sum-exp keeps. Nothing cached alters a suggestion: a study rebuilt by
 * replay suggests exactly what the running one does.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optimizer/parzen.h"


typedef struct {
    double s0, s1; /* lexicographic score: smaller is better */
    int number, idx;
} tpe_obs;

static int cmp_obs_score(const void *a, const void *b)
{
    const tpe_obs *x = a, *y = b;
    if (x->s0 != y->s0)
        return (x->s0 > y->s0) - (x->s0 < y->s0);
    if (x->s1 != y->s1)
        return (x->s1 > y->s1) - (x->s1 < y->s1);
    return x->number - y->number;
}

static int cmp_obs_number(const void *a, const void *b)
{
    const tpe_obs *x = a, *y = b;
    return x->number - y->number;
}

/* Score of a trial for ranking (Optuna's observation pairs); 0 to skip it. */
static int tpe_score(const opt_study *s, const opt_trial *t, tpe_obs *o)
{
    double sign = opt_study_sign(s);
    switch (t->state) {
    case OPT_COMPLETE:
        o->s0 = -INFINITY;
        o->s1 = sign * t->value;
        return 1;
    case OPT_PRUNED: {
        int best = -1;
        double v = 0;
        for (int i = 0; i < t->n_steps; i++)
            if (t->steps[i] > best) {
                best = t->steps[i];
                v = t->step_values[i];
            }
        if (best < 0) {
            o->s0 = 1;
            o->s1 = 0;
        } else {
            o->s0 = -best;
            o->s1 = isnan(v) ? INFINITY : sign * v;
        }
        return 1;
    }
    case OPT_RUNNING:
        if (!s->sc.constant_liar)
            return 0;
        o->s0 = INFINITY;
        o->s1 = INFINITY;
        return 1;
    default:
        return 0;
    }
}

/* Fit l and g over dims, draw candidates from l and rank them by log l - log g:
 * cand (m, np) and score (m) are filled. */
static int tpe_rank(const opt_study *s, struct opt_tpe_ws *w, gsl_rng *rng, const int *below,
                    int nb, const int *above, int na, const int *dims, int d, int m,
                    double *cand, double *score)
{
    tpe_est l, g;
    double *lg = WS_ARRAY(w, double, m);
    w->obs_weights = w->below_weights;
    int fit = lg && tpe_est_fit(&l, s, w, below, nb, dims, d, d) == 0;
    w->obs_weights = NULL;
    if (!fit || tpe_est_fit(&g, s, w, above, na, dims, d, d) < 0)
        return -1;
    tpe_est_sample(&l, s, rng, m, cand);
    if (tpe_est_logpdf(&l, s, w, cand, m, score) < 0 || tpe_est_logpdf(&g, s, w, cand, m, lg) < 0)
        return -1;
    for (int r = 0; r < m; r++)
        score[r] -= lg[r];
    return 0;
}

/* Keeps the trials of idx[0..n-1] in which parameter j is active; returns how many. */
static int tpe_active_in(const opt_study *s, const int *idx, int n, int j, int *out)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(s->trials[idx[i]].x[j]))
            out[k++] = idx[i];
    return k;
}

/* A conditional space (Optuna's group=True): one joint model per group of
 * parameters that are active together (tpe_group.c), fitted to the trials where
 * the group is active; each group's best candidate fills its parameters. */
static int tpe_sample_groups(const opt_study *s, struct opt_tpe_ws *w, gsl_rng *rng,
                             const int *below, int nb, const int *above, int na, double *cand,
                             double *score, double *x)
{
    int np = s->space->n, m = s->sc.n_ei_candidates;
    uint64_t groups[OPT_MAX_PARAMS];
    int *all = WS_ARRAY(w, int, nb + na + 1), *b = WS_ARRAY(w, int, nb + 1),
        *a = WS_ARRAY(w, int, na + 1);
    if (!all || !b || !a)
        return -1;
    memcpy(all, below, sizeof(int) * (size_t)nb);
    memcpy(all + nb, above, sizeof(int) * (size_t)na);
    int ng = opt_tpe_groups(s, all, nb + na, groups);
    for (int g = 0; g < ng; g++) {
        int dims[OPT_MAX_PARAMS], d = 0;
        for (int j = 0; j < np; j++)
            if (groups[g] >> j & 1)
                dims[d++] = j;
        int kb = tpe_active_in(s, below, nb, dims[0], b);
        int ka = tpe_active_in(s, above, na, dims[0], a);
        if (tpe_rank(s, w, rng, b, kb, a, ka, dims, d, m, cand, score) < 0)
            return -1;
        int pick = 0;
        for (int r = 1; r < m; r++)
            if (score[r] > score[pick])
                pick = r;
        for (int q = 0; q < d; q++)
            x[dims[q]] = cand[(size_t)pick * np + dims[q]];
    }
    return 0;
}

/* Multi-objective: the COMPLETE trials split by motpe.c, the rest bad. */
static int tpe_split_multi(const opt_study *s, struct opt_tpe_ws *w, const tpe_obs *obs,
                           int n_obs, int *n_below_io, int *below, int *above, int *n_above)
{
    int *fin = WS_ARRAY(w, int, n_obs + 1);
    char *good = WS_ARRAY(w, char, s->n + 1);
    int n_below = *n_below_io;
    w->below_weights = WS_ARRAY(w, double, n_below + 1);
    if (!fin || !good || !w->below_weights)
        return -1;
    int n_fin = 0;
    for (int i = 0; i < n_obs; i++)
        if (s->trials[obs[i].idx].state == OPT_COMPLETE)
            fin[n_fin++] = obs[i].idx;
    if (n_below > n_fin)
        n_below = n_fin;
    *n_below_io = n_below;
    if (opt_motpe_split(s, fin, n_fin, n_below, below, w->below_weights) < 0)
        return -1;
    memset(good, 0, (size_t)s->n + 1);
    for (int i = 0; i < n_below; i++)
        good[below[i]] = 1;
    *n_above = 0;
    for (int i = 0; i < n_obs; i++)
        if (!good[obs[i].idx])
            above[(*n_above)++] = obs[i].idx;
    return 0;
}

int opt_sample_tpe(opt_study *s, gsl_rng *rng, double *x, char err[256])
{
    int np = s->space->n, m = s->sc.n_ei_candidates, rc = -1;
    if (!s->tpe && !(s->tpe = calloc(1, sizeof *s->tpe))) {
        snprintf(err, 256, "tpe: out of memory for the workspace");
        return -1;
    }
    struct opt_tpe_ws *w = s->tpe;
    tpe_obs *obs = WS_ARRAY(w, tpe_obs, s->n + 1);
    int *below = WS_ARRAY(w, int, s->n + 1);
    int *above = WS_ARRAY(w, int, s->n + 1);
    double *cand = WS_ARRAY(w, double, m * np);
    double *score = WS_ARRAY(w, double, m);
    int dims[OPT_MAX_PARAMS];
    if (!obs || !below || !above || !cand || !score || tpe_ws_sync(w, s) < 0)
        goto oom;
    int n_obs = 0, n_fin = 0;
    for (int i = 0; i < s->n; i++) {
        tpe_obs o;
        if (i + 16 < s->n) /* trial records are large: fetch ahead */
            __builtin_prefetch(&s->trials[i + 16]);
        if (!tpe_score(s, &s->trials[i], &o))
            continue;
        o.number = s->trials[i].number;
        o.idx = i;
        obs[n_obs++] = o;
        n_fin += o.s0 < INFINITY;
    }
    int n_below = (int)ceil(0.1 * n_fin);
    if (n_below > 25)
        n_below = 25;
    /* chronological order, then the n_below best by score (a small insertion
     * list: n_below <= 25) */
    int sorted = 1;
    for (int i = 1; i < n_obs && sorted; i++)
        sorted = obs[i - 1].number < obs[i].number;
    if (!sorted)
        qsort(obs, (size_t)n_obs, sizeof *obs, cmp_obs_number);
    tpe_obs top[25];
    int n_top = 0;
    for (int i = 0; i < n_obs; i++) {
        if (n_top == n_below && (n_below == 0 || cmp_obs_score(&obs[i], &top[n_top - 1]) >= 0))
            continue;
        int at = n_top < n_below ? n_top++ : n_top - 1;
        while (at > 0 && cmp_obs_score(&obs[i], &top[at - 1]) < 0) {
            top[at] = top[at - 1];
            at--;
        }
        top[at] = obs[i];
    }
    qsort(top, (size_t)n_top, sizeof *top, cmp_obs_number);
    for (int i = 0; i < n_top; i++)
        below[i] = top[i].idx;
    int n_a = 0;
    for (int i = 0, t = 0; i < n_obs; i++) {
        if (t < n_top && obs[i].number == top[t].number) {
            t++;
            continue;
        }
        above[n_a++] = obs[i].idx;
    }
    int n_above = n_obs - n_below;
    w->below_weights = NULL;
    if (s->n_obj > 1 && tpe_split_multi(s, w, obs, n_obs, &n_below, below, above, &n_above) < 0)
        goto oom;

    if (opt_space_has_conditions(s->space)) {
        if (tpe_sample_groups(s, w, rng, below, n_below, above, n_above, cand, score, x) < 0)
            goto oom;
    } else if (s->sc.multivariate) {
        for (int j = 0; j < np; j++)
            dims[j] = j;
        if (tpe_rank(s, w, rng, below, n_below, above, n_above, dims, np, m, cand, score) < 0)
            goto oom;
        int discrete = opt_space_is_discrete(s->space), pick = -1;
        for (int pass = 0; pass < 2 && pick < 0; pass++)
            for (int r = 0; r < m; r++) {
                if (pass == 0 && discrete && opt_study_seen(s, cand + (size_t)r * np))
                    continue;
                if (pick < 0 || score[r] > score[pick])
                    pick = r;
            }
        memcpy(x, cand + (size_t)pick * np, sizeof(double) * (size_t)np);
    } else {
        for (int j = 0; j < np; j++) {
            dims[0] = j;
            if (tpe_rank(s, w, rng, below, n_below, above, n_above, dims, 1, m, cand, score) < 0)
                goto oom;
            int pick = 0;
            for (int r = 1; r < m; r++)
                if (score[r] > score[pick])
                    pick = r;
            x[j] = cand[(size_t)pick * np + j];
        }
    }
    rc = 0;
    goto out;
oom:
    snprintf(err, 256, "tpe: out of memory for %d trials", s->n);
out:
    tpe_ws_reset(w);
    return rc;
}
