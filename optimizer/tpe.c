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
 * given the mass of their step-wide cell: a discrete truncated normal). Kernel
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
 */
#include <float.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optimizer/internal.h"

#define TPE_EPS 1e-12
#define LOG_SQRT_2PI 0.91893853320467274178

/* log Phi(z), accurate in both tails. */
static double log_ndtr(double z)
{
    if (z > 6)
        return -0.5 * erfc(z / M_SQRT2);
    if (z > -20)
        return log(0.5 * erfc(-z / M_SQRT2));
    return gsl_sf_log_erfc(-z / M_SQRT2) - M_LN2;
}

/* log(exp(a) - exp(b)) for a >= b. */
static double log_diff_exp(double a, double b)
{
    if (b == -INFINITY)
        return a;
    if (!(a > b))
        return -INFINITY;
    return a + log(-expm1(b - a));
}

/* log of the standard normal mass in [a, b]. */
static double log_gauss_mass(double a, double b)
{
    if (!(a < b))
        return -INFINITY;
    if (b <= 0)
        return log_diff_exp(log_ndtr(b), log_ndtr(a));
    if (a > 0)
        return log_diff_exp(log_ndtr(-a), log_ndtr(-b));
    return log1p(-0.5 * erfc(-a / M_SQRT2) - 0.5 * erfc(b / M_SQRT2));
}

/* Parzen range and cell width of a numeric parameter in internal space. */
typedef struct {
    double lo, hi, q;
} tpe_bounds;

static tpe_bounds tpe_param_bounds(const opt_param *p)
{
    tpe_bounds b = {0, 0, 0};
    if (p->kind == OPT_PARAM_FLOAT) {
        if (p->log) {
            b.lo = log(p->low);
            b.hi = log(p->high);
        } else {
            b.q = p->step;
            b.lo = p->low - 0.5 * p->step;
            b.hi = p->high + 0.5 * p->step;
        }
    } else if (p->kind == OPT_PARAM_INT) {
        if (p->log) {
            b.lo = log(p->low - 0.5);
            b.hi = log(p->high + 0.5);
        } else {
            b.q = p->step;
            b.lo = p->low - 0.5 * p->step;
            b.hi = p->high + 0.5 * p->step;
        }
    }
    return b;
}

/* Internal real of a parameter's value as the estimator sees it. */
static double tpe_internal(const opt_param *p, double v)
{
    return (p->kind != OPT_PARAM_CATEGORICAL && p->log) ? log(v) : v;
}

/* One Parzen mixture over the parameters dims[0..d-1]. Arrays are (d, k). */
typedef struct {
    int k, d;
    const int *dims;
    double *logw;    /* (k) */
    double *cumw;    /* (k) cumulative weights for sampling */
    double *mu;      /* (d, k) */
    double *sigma;   /* (d, k) */
    double *lognorm; /* (d, k): log mass of the kernel inside the range */
    double *coef;    /* (d, k): -log sigma - log sqrt(2 pi) - lognorm */
    double **catlw;  /* per dim: (k, n_choices) log weights, NULL for numerics */
} tpe_est;

static void tpe_est_free(tpe_est *e)
{
    if (e->catlw)
        for (int j = 0; j < e->d; j++)
            free(e->catlw[j]);
    free(e->catlw);
    free(e->logw);
    free(e->cumw);
    free(e->mu);
    free(e->sigma);
    free(e->lognorm);
    free(e->coef);
    memset(e, 0, sizeof *e);
}

/* Optuna's default weights for n observations in chronological order. */
static void tpe_default_weights(int n, double *w)
{
    if (n < 25) {
        for (int i = 0; i < n; i++)
            w[i] = 1.0;
        return;
    }
    int r = n - 25;
    for (int i = 0; i < r; i++)
        w[i] = r == 1 ? 1.0 / n : 1.0 / n + (1.0 - 1.0 / n) * i / (r - 1);
    for (int i = r; i < n; i++)
        w[i] = 1.0;
}

typedef struct {
    double v;
    int i;
} tpe_sorted;

static int cmp_sorted(const void *a, const void *b)
{
    const tpe_sorted *x = a, *y = b;
    if (x->v != y->v)
        return (x->v > y->v) - (x->v < y->v);
    return x->i - y->i;
}

/* Univariate widths: larger gap to a sorted neighbour (k values in mu). */
static int tpe_univariate_sigmas(const double *mu, int k, double lo, double hi,
                                 int endpoints, double *sigma)
{
    tpe_sorted *srt = malloc(sizeof *srt * (size_t)k);
    if (!srt)
        return -1;
    for (int i = 0; i < k; i++) {
        srt[i].v = mu[i];
        srt[i].i = i;
    }
    qsort(srt, (size_t)k, sizeof *srt, cmp_sorted);
    for (int r = 0; r < k; r++) {
        double left = r > 0 ? srt[r - 1].v : lo;
        double right = r + 1 < k ? srt[r + 1].v : hi;
        double s = fmax(srt[r].v - left, right - srt[r].v);
        if (!endpoints && k >= 2) {
            if (r == 0)
                s = srt[1].v - srt[0].v;
            else if (r == k - 1)
                s = srt[k - 1].v - srt[k - 2].v;
        }
        sigma[srt[r].i] = s;
    }
    free(srt);
    return 0;
}

/*
 * Fit the mixture to n observations (obs[i] = trial index, chronological) over
 * dims; n_total_dims is the size of the joint space (for the bandwidth).
 */
static int tpe_est_fit(tpe_est *e, const opt_study *s, const int *obs, int n, const int *dims,
                       int d, int n_total_dims)
{
    const opt_sampler_config *c = &s->sc;
    int k = n + 1;
    memset(e, 0, sizeof *e);
    e->k = k;
    e->d = d;
    e->dims = dims;
    e->logw = malloc(sizeof(double) * (size_t)k);
    e->cumw = malloc(sizeof(double) * (size_t)k);
    e->mu = malloc(sizeof(double) * (size_t)(k * d));
    e->sigma = malloc(sizeof(double) * (size_t)(k * d));
    e->lognorm = malloc(sizeof(double) * (size_t)(k * d));
    e->coef = malloc(sizeof(double) * (size_t)(k * d));
    e->catlw = calloc((size_t)d, sizeof(double *));
    if (!e->logw || !e->cumw || !e->mu || !e->sigma || !e->lognorm || !e->coef || !e->catlw)
        goto fail;

    double *w = e->cumw; /* scratch for the raw weights */
    tpe_default_weights(n, w);
    w[n] = c->prior_weight;
    double sum = 0;
    for (int i = 0; i < k; i++)
        sum += w[i];
    double acc = 0;
    for (int i = 0; i < k; i++) {
        e->logw[i] = log(w[i] / sum);
        acc += w[i] / sum;
        e->cumw[i] = acc;
    }
    e->cumw[k - 1] = 1.0;

    double sigma0 = c->multivariate ? 0.2 * pow(n > 1 ? n : 1, -1.0 / (n_total_dims + 4)) : 0;
    for (int j = 0; j < d; j++) {
        const opt_param *p = &s->space->p[dims[j]];
        double *mu = e->mu + (size_t)j * k, *sg = e->sigma + (size_t)j * k;
        if (p->kind == OPT_PARAM_CATEGORICAL) {
            int nc = p->n_choices;
            double *cl = e->catlw[j] = malloc(sizeof(double) * (size_t)(k * nc));
            if (!cl)
                goto fail;
            double base = c->prior_weight / (n + 1);
            for (int i = 0; i < k; i++) {
                int obs_c = i < n ? (int)s->trials[obs[i]].x[dims[j]] : -1;
                double tot = base * nc + (obs_c >= 0 ? 1.0 : 0.0);
                for (int ch = 0; ch < nc; ch++)
                    cl[(size_t)i * nc + ch] = log((base + (ch == obs_c ? 1.0 : 0.0)) / tot);
            }
            continue;
        }
        tpe_bounds b = tpe_param_bounds(p);
        double range = b.hi - b.lo;
        for (int i = 0; i < n; i++)
            mu[i] = tpe_internal(p, s->trials[obs[i]].x[dims[j]]);
        mu[n] = 0.5 * (b.lo + b.hi);
        if (c->multivariate) {
            for (int i = 0; i < k; i++)
                sg[i] = sigma0 * range;
        } else if (tpe_univariate_sigmas(mu, k, b.lo, b.hi, c->consider_endpoints, sg) < 0) {
            goto fail;
        }
        double minsig = c->consider_magic_clip ? range / fmin(100.0, 1.0 + k) : TPE_EPS;
        for (int i = 0; i < k; i++)
            sg[i] = fmin(fmax(sg[i], minsig), range);
        sg[n] = range;
        double *ln = e->lognorm + (size_t)j * k, *cf = e->coef + (size_t)j * k;
        for (int i = 0; i < k; i++) {
            ln[i] = log_gauss_mass((b.lo - mu[i]) / sg[i], (b.hi - mu[i]) / sg[i]);
            cf[i] = -log(sg[i]) - LOG_SQRT_2PI - ln[i];
        }
    }
    return 0;
fail:
    tpe_est_free(e);
    return -1;
}

/* A draw from N(mu, sigma) truncated to [lo, hi]. */
static double tpe_truncnorm(gsl_rng *rng, double mu, double sigma, double lo, double hi)
{
    for (int t = 0; t < 32; t++) {
        double v = mu + sigma * gsl_ran_gaussian_ziggurat(rng, 1.0);
        if (v >= lo && v <= hi)
            return v;
    }
    double a = (lo - mu) / sigma, b = (hi - mu) / sigma, flip = 1;
    if (a > 0) { /* work in the left tail, where P() is accurate */
        double t = a;
        a = -b;
        b = -t;
        flip = -1;
    }
    double pa = gsl_cdf_ugaussian_P(a), pb = gsl_cdf_ugaussian_P(b);
    double z = pb > pa ? gsl_cdf_ugaussian_Pinv(pa + gsl_rng_uniform(rng) * (pb - pa)) : a;
    double v = mu + flip * sigma * z;
    return fmin(fmax(v, lo), hi);
}

/* Value of a parameter from an internal draw, rounded and clipped like Optuna. */
static double tpe_external(const opt_param *p, double t)
{
    if (p->kind == OPT_PARAM_CATEGORICAL)
        return t;
    if (p->log)
        t = p->kind == OPT_PARAM_INT ? round(exp(t)) : exp(t);
    return opt_param_snap(p, t);
}

/* m draws from the mixture; out is (m, n_params) in space order (dims only). */
static void tpe_est_sample(const tpe_est *e, const opt_study *s, gsl_rng *rng, int m,
                           double *out)
{
    int np = s->space->n;
    for (int r = 0; r < m; r++) {
        double u = gsl_rng_uniform(rng);
        int lo = 0, hi = e->k - 1;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (e->cumw[mid] > u)
                hi = mid;
            else
                lo = mid + 1;
        }
        int kk = lo;
        for (int j = 0; j < e->d; j++) {
            const opt_param *p = &s->space->p[e->dims[j]];
            double v;
            if (p->kind == OPT_PARAM_CATEGORICAL) {
                const double *cl = e->catlw[j] + (size_t)kk * p->n_choices;
                double uu = gsl_rng_uniform(rng), a = 0;
                int ch = p->n_choices - 1;
                for (int q = 0; q < p->n_choices; q++) {
                    a += exp(cl[q]);
                    if (a > uu) {
                        ch = q;
                        break;
                    }
                }
                v = ch;
            } else {
                tpe_bounds b = tpe_param_bounds(p);
                size_t at = (size_t)j * e->k + kk;
                v = tpe_external(p, tpe_truncnorm(rng, e->mu[at], e->sigma[at], b.lo, b.hi));
            }
            out[(size_t)r * np + e->dims[j]] = v;
        }
    }
}

/* log density of the mixture at m points (rows of x, space order) into out. */
static int tpe_est_logpdf(const tpe_est *e, const opt_study *s, const double *x, int m,
                          double *out)
{
    int np = s->space->n, k = e->k;
    double *acc = malloc(sizeof(double) * (size_t)k);
    if (!acc)
        return -1;
    for (int r = 0; r < m; r++) {
        const double *row = x + (size_t)r * np;
        memcpy(acc, e->logw, sizeof(double) * (size_t)k);
        for (int j = 0; j < e->d; j++) {
            const opt_param *p = &s->space->p[e->dims[j]];
            double v = row[e->dims[j]];
            if (p->kind == OPT_PARAM_CATEGORICAL) {
                const double *cl = e->catlw[j];
                int ch = (int)v, nc = p->n_choices;
                for (int i = 0; i < k; i++)
                    acc[i] += cl[(size_t)i * nc + ch];
                continue;
            }
            const double *mu = e->mu + (size_t)j * k, *sg = e->sigma + (size_t)j * k;
            double t = tpe_internal(p, v);
            tpe_bounds b = tpe_param_bounds(p);
            if (b.q > 0) {
                const double *ln = e->lognorm + (size_t)j * k;
                double lo = fmax(t - 0.5 * b.q, b.lo), hi = fmin(t + 0.5 * b.q, b.hi);
                for (int i = 0; i < k; i++)
                    acc[i] += log_gauss_mass((lo - mu[i]) / sg[i], (hi - mu[i]) / sg[i]) - ln[i];
            } else {
                const double *cf = e->coef + (size_t)j * k;
                for (int i = 0; i < k; i++) {
                    double z = (t - mu[i]) / sg[i];
                    acc[i] += cf[i] - 0.5 * z * z;
                }
            }
        }
        double mx = -INFINITY;
        for (int i = 0; i < k; i++)
            if (acc[i] > mx)
                mx = acc[i];
        double sum = 0;
        if (mx > -INFINITY)
            for (int i = 0; i < k; i++)
                sum += exp(acc[i] - mx);
        out[r] = mx > -INFINITY ? mx + log(sum) : -INFINITY;
    }
    free(acc);
    return 0;
}

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
static int tpe_rank(const opt_study *s, gsl_rng *rng, const int *below, int nb,
                    const int *above, int na, const int *dims, int d, int m, double *cand,
                    double *score)
{
    tpe_est l, g;
    int rc = -1;
    double *lg = malloc(sizeof(double) * (size_t)m);
    if (!lg)
        return -1;
    if (tpe_est_fit(&l, s, below, nb, dims, d, d) < 0)
        goto out_lg;
    if (tpe_est_fit(&g, s, above, na, dims, d, d) < 0)
        goto out_l;
    tpe_est_sample(&l, s, rng, m, cand);
    if (tpe_est_logpdf(&l, s, cand, m, score) == 0 && tpe_est_logpdf(&g, s, cand, m, lg) == 0) {
        for (int r = 0; r < m; r++)
            score[r] -= lg[r];
        rc = 0;
    }
    tpe_est_free(&g);
out_l:
    tpe_est_free(&l);
out_lg:
    free(lg);
    return rc;
}

int opt_sample_tpe(const opt_study *s, gsl_rng *rng, double *x, char err[256])
{
    int np = s->space->n, m = s->sc.n_ei_candidates, rc = -1;
    tpe_obs *obs = malloc(sizeof *obs * (size_t)(s->n + 1));
    int *below = malloc(sizeof(int) * (size_t)(s->n + 1));
    int *above = malloc(sizeof(int) * (size_t)(s->n + 1));
    double *cand = malloc(sizeof(double) * (size_t)(m * np));
    double *score = malloc(sizeof(double) * (size_t)m);
    int dims[OPT_MAX_PARAMS];
    if (!obs || !below || !above || !cand || !score) {
        snprintf(err, 256, "tpe: out of memory for %d trials", s->n);
        goto out;
    }
    int n_obs = 0, n_fin = 0;
    for (int i = 0; i < s->n; i++) {
        tpe_obs o;
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
    qsort(obs, (size_t)n_obs, sizeof *obs, cmp_obs_score);
    qsort(obs, (size_t)n_below, sizeof *obs, cmp_obs_number);
    qsort(obs + n_below, (size_t)(n_obs - n_below), sizeof *obs, cmp_obs_number);
    for (int i = 0; i < n_obs; i++) {
        if (i < n_below)
            below[i] = obs[i].idx;
        else
            above[i - n_below] = obs[i].idx;
    }
    int n_above = n_obs - n_below;

    if (s->sc.multivariate) {
        for (int j = 0; j < np; j++)
            dims[j] = j;
        if (tpe_rank(s, rng, below, n_below, above, n_above, dims, np, m, cand, score) < 0)
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
            if (tpe_rank(s, rng, below, n_below, above, n_above, dims, 1, m, cand, score) < 0)
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
    free(obs);
    free(below);
    free(above);
    free(cand);
    free(score);
    return rc;
}
