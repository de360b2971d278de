/*
 * parzen.c - TPE's Parzen mixtures (their semantics are described in tpe.c):
 * the workspace that keeps an ask free of mallocs in steady state, fitting a
 * mixture to a group of observations, drawing candidates from it and its log
 * density at them.
 */
#include <assert.h>
#include <float.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optimizer/parzen.h"


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


void opt_tpe_ws_free(struct opt_tpe_ws *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n_extra; i++)
        free(w->extra[i]);
    free(w->extra);
    free(w->block);
    free(w->xraw);
    free(w->xint);
    free(w);
}

/* Under AddressSanitizer every workspace array is its own exact-size malloc,
 * so that an overrun is reported rather than landing in the next array. */
#if defined(__SANITIZE_ADDRESS__)
#define TPE_WS_EXACT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TPE_WS_EXACT 1
#endif
#endif
#ifndef TPE_WS_EXACT
#define TPE_WS_EXACT 0
#endif

/* size bytes from the workspace, 64-byte aligned; NULL when out of memory. */
void *tpe_ws_alloc(struct opt_tpe_ws *w, size_t size)
{
    size_t exact = size;
    size = (size + 63) & ~(size_t)63;
    w->want += TPE_WS_EXACT ? 0 : size;
    if (!TPE_WS_EXACT && w->used + size <= w->cap) {
        void *p = w->block + w->used;
        w->used += size;
        return p;
    }
    if (w->n_extra == w->cap_extra) {
        int cap = w->cap_extra ? 2 * w->cap_extra : 16;
        void **e = realloc(w->extra, sizeof *e * (size_t)cap);
        if (!e)
            return NULL;
        w->extra = e;
        w->cap_extra = cap;
    }
    void *p = TPE_WS_EXACT ? malloc(exact ? exact : 1) : aligned_alloc(64, size);
    if (p)
        w->extra[w->n_extra++] = p;
    return p;
}

/* End of an ask: everything ws_alloc gave is released; the block grows to fit
 * the ask just done when it overflowed. */
void tpe_ws_reset(struct opt_tpe_ws *w)
{
    for (int i = 0; i < w->n_extra; i++)
        free(w->extra[i]);
    w->n_extra = 0;
    if (w->want > w->cap) {
        size_t cap = (w->want + w->want / 4 + 4095) & ~(size_t)4095;
        char *b = aligned_alloc(64, cap);
        if (b) {
            free(w->block);
            w->block = b;
            w->cap = cap;
        }
    }
    w->used = 0;
    w->want = 0;
}

/* Bring xraw / xint up to date with the study's trials; -1 when out of memory. */
int tpe_ws_sync(struct opt_tpe_ws *w, const opt_study *s)
{
    int np = s->space->n;
    if (s->n > w->cap_xint) {
        int cap = w->cap_xint ? w->cap_xint : 256;
        while (cap < s->n)
            cap *= 2;
        double *r = realloc(w->xraw, sizeof(double) * (size_t)np * (size_t)cap);
        if (!r)
            return -1;
        w->xraw = r;
        double *x = realloc(w->xint, sizeof(double) * (size_t)np * (size_t)cap);
        if (!x)
            return -1;
        w->xint = x;
        w->cap_xint = cap;
    }
    for (int i = w->n_xint; i < s->n; i++)
        for (int j = 0; j < np; j++) {
            double v = s->trials[i].x[j];
            w->xraw[(size_t)i * np + j] = v;
            w->xint[(size_t)i * np + j] = tpe_internal(&s->space->p[j], v);
        }
    w->n_xint = s->n;
    return 0;
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

/* Grid index of a value of a parameter with finitely many values. */
static int tpe_grid_index(const opt_param *p, double v)
{
    double step = p->step > 0 ? p->step : 1.0, u = (v - p->low) / step + 0.5;
    return u >= 0 ? (int)u : (int)floor(u); /* truncation is floor for u >= 0 */
}

/* Fill gidx for numeric dim j (raw: the observations' values) and, for discrete
 * cells whose observation kernels share one width, the lattice of cell log masses. */
static int tpe_fit_lattice(tpe_est *e, const opt_study *s, struct opt_tpe_ws *w, int j,
                           const double *raw, int n, tpe_bounds b)
{
    const opt_param *p = &s->space->p[e->dims[j]];
    int k = e->k, *gi = e->gidx + (size_t)j * k;
    double card = opt_param_cardinality(p);
    const double *sg = e->sigma + (size_t)j * k;
    for (int i = 0; i < k; i++)
        gi[i] = (i < n && card > 0 && card <= 4096) ? tpe_grid_index(p, raw[i]) : -1;
    if (!(b.q > 0) || card <= 0 || card > 4096 || n == 0)
        return 0;
    for (int i = 1; i < n && !s->sc.multivariate; i++) /* multivariate: one width */
        if (sg[i] != sg[0])
            return 0;
    int c = (int)card;
    double *lat = e->lattice[j] = tpe_ws_alloc(w, sizeof(double) * (size_t)(2 * c - 1));
    if (!lat)
        return -1;
    double wd = b.q / sg[0];
    for (int dlt = -(c - 1); dlt <= c - 1; dlt++)
        lat[dlt + c - 1] = log_gauss_mass((dlt - 0.5) * wd, (dlt + 0.5) * wd);
    return 0;
}

/* The mixture's arrays for k kernels over d dimensions, from the workspace;
 * raw (d, k) and memo (4096) are scratch. -1 when out of memory. */
static int est_alloc(tpe_est *e, struct opt_tpe_ws *w, int k, int d, double **raw, double **memo)
{
    e->logw = WS_ARRAY(w, double, k);
    e->base = WS_ARRAY(w, double, k);
    e->cumw = WS_ARRAY(w, double, k);
    e->mu = WS_ARRAY(w, double, k * d);
    e->sigma = WS_ARRAY(w, double, k * d);
    e->lognorm = WS_ARRAY(w, double, k * d);
    e->coef = WS_ARRAY(w, double, k * d);
    e->isg = WS_ARRAY(w, double, k * d);
    e->catlw = WS_ARRAY(w, double *, d);
    e->lattice = WS_ARRAY(w, double *, d);
    e->gidx = WS_ARRAY(w, int, k * d);
    *raw = WS_ARRAY(w, double, k * d); /* (d, k): the observed values as held */
    *memo = WS_ARRAY(w, double, 4096);
    if (!e->lattice || !e->gidx || !e->isg || !e->base || !*raw || !*memo || !e->logw ||
        !e->cumw || !e->mu || !e->sigma || !e->lognorm || !e->coef || !e->catlw)
        return -1;
    for (int j = 0; j < d; j++)
        e->catlw[j] = e->lattice[j] = NULL;
    return 0;
}

/* One pass over the observations: log space in mu; the values as held in raw
 * only where they differ (log parameters), else rawj[j] is mu's row. */
static void est_load(tpe_est *e, const opt_study *s, const struct opt_tpe_ws *w, const int *obs,
                     int n, double *raw, const double **rawj)
{
    int k = e->k, d = e->d, np = s->space->n, nlog = 0, logj[OPT_MAX_PARAMS];
    for (int j = 0; j < d; j++) {
        const opt_param *p = &s->space->p[e->dims[j]];
        int lg = p->kind != OPT_PARAM_CATEGORICAL && p->log;
        rawj[j] = (lg ? raw : e->mu) + (size_t)j * k;
        if (lg)
            logj[nlog++] = j;
    }
    for (int i = 0; i < n; i++) {
        const double *xi = w->xint + (size_t)obs[i] * np;
        for (int j = 0; j < d; j++)
            e->mu[(size_t)j * k + i] = xi[e->dims[j]];
    }
    for (int q = 0; q < nlog; q++) {
        int j = logj[q];
        for (int i = 0; i < n; i++)
            raw[(size_t)j * k + i] = w->xraw[(size_t)obs[i] * np + e->dims[j]];
    }
}

/* Normalised log weights and their cumulative sums for n observations and the
 * prior kernel. */
static void est_weights(tpe_est *e, const opt_sampler_config *c, const struct opt_tpe_ws *w,
                        int n)
{
    int k = e->k;
    double *wt = e->cumw; /* scratch for the raw weights */
    if (w->obs_weights) /* multi-objective good group: hypervolume contributions */
        memcpy(wt, w->obs_weights, sizeof(double) * (size_t)n);
    else
        tpe_default_weights(n, wt);
    wt[n] = c->prior_weight;
    double sum = 0;
    for (int i = 0; i < k; i++)
        sum += wt[i];
    double acc = 0, lsum = log(sum);
    int i0 = 0;
#if TPE_VEC_EXP
    /* the down-weighted old trials' logs, two at a time (libmvec, within 4 ulp) */
    for (; i0 + 2 <= k && wt[i0 + 1] != 1.0; i0 += 2)
        _mm_storeu_pd(e->logw + i0, _ZGVbN2v_log(_mm_loadu_pd(wt + i0)));
#endif
    for (int i = 0; i < k; i++) {
        e->logw[i] = wt[i] == 1.0 ? -lsum : (i < i0 ? e->logw[i] : log(wt[i])) - lsum;
        acc += wt[i] / sum;
        e->cumw[i] = acc;
    }
    e->cumw[k - 1] = 1.0;
}

/* Categorical dimension j: every kernel's log weight of every choice. */
static int est_fit_categorical(tpe_est *e, const opt_study *s, struct opt_tpe_ws *w, int j, int n,
                               const double *rj)
{
    const opt_param *p = &s->space->p[e->dims[j]];
    int k = e->k, nc = p->n_choices;
    double *cl = e->catlw[j] = WS_ARRAY(w, double, k * nc);
    if (!cl)
        return -1;
    double base = s->sc.prior_weight / (n + 1);
    /* an observation kernel: log((base + [ch == observed]) / (base nc + 1)) */
    double l_off = log(base / (base * nc + 1)), l_on = log((base + 1) / (base * nc + 1));
    double l_prior = -log((double)nc);
    for (int ch = 0; ch < nc; ch++) {
        double *row = cl + (size_t)ch * k;
        for (int i = 0; i < n; i++)
            row[i] = l_off;
        row[n] = l_prior;
    }
    for (int i = 0; i < n; i++)
        cl[(size_t)(int)rj[i] * k + i] = l_on;
    return 0;
}

/* Numeric dimension j: kernel widths (sigma0: the multivariate bandwidth), the
 * grid lattice, every kernel's log mass inside the range (kernels on the same
 * grid point with the same width share it: memo) and its density constants. */
static int est_fit_numeric(tpe_est *e, const opt_study *s, struct opt_tpe_ws *w, int j, int n,
                           const double *rj, double sigma0, double *memo)
{
    const opt_sampler_config *c = &s->sc;
    const opt_param *p = &s->space->p[e->dims[j]];
    int k = e->k;
    double *mu = e->mu + (size_t)j * k, *sg = e->sigma + (size_t)j * k;
    tpe_bounds b = tpe_param_bounds(p);
    double range = b.hi - b.lo;
    mu[n] = 0.5 * (b.lo + b.hi);
    if (c->multivariate) {
        for (int i = 0; i < k; i++)
            sg[i] = sigma0 * range;
    } else if (tpe_univariate_sigmas(mu, k, b.lo, b.hi, c->consider_endpoints, sg) < 0) {
        return -1;
    }
    double minsig = c->consider_magic_clip ? range / fmin(100.0, 1.0 + k) : TPE_EPS;
    for (int i = 0; i < k; i++)
        sg[i] = sg[i] < minsig ? minsig : sg[i] > range ? range : sg[i];
    sg[n] = range;
    double *ln = e->lognorm + (size_t)j * k, *cf = e->coef + (size_t)j * k;
    if (tpe_fit_lattice(e, s, w, j, rj, n, b) < 0)
        return -1;
    double *isg = e->isg + (size_t)j * k, card = opt_param_cardinality(p);
    int use_memo = card > 0 && card <= 4096;
    double log_sg = 0;
    if (use_memo)
        for (int c2 = 0; c2 < (int)card; c2++)
            memo[c2] = NAN;
    const int *gix = e->gidx + (size_t)j * k;
    /* the observation kernels share one width (always so in multivariate mode) */
    int uniform = 1;
    for (int i = 1; i < n && uniform && !c->multivariate; i++)
        uniform = sg[i] == sg[0];
    if (card <= 0) {
        tpe_kernel_lognorm(mu, sg, b.lo, b.hi, k, ln);
    } else if (use_memo && uniform) {
        for (int i = 0; i < n; i++) {
            int gi = gix[i];
            if (gi < 0 || gi >= (int)card) {
                ln[i] = log_gauss_mass((b.lo - mu[i]) / sg[i], (b.hi - mu[i]) / sg[i]);
                continue;
            }
            if (isnan(memo[gi]))
                memo[gi] = log_gauss_mass((b.lo - mu[i]) / sg[i], (b.hi - mu[i]) / sg[i]);
            ln[i] = memo[gi];
        }
        ln[n] = log_gauss_mass((b.lo - mu[n]) / sg[n], (b.hi - mu[n]) / sg[n]);
    } else {
        for (int i = 0; i < k; i++) {
            int gi = gix[i];
            int shared = use_memo && gi >= 0 && gi < (int)card && i < n && sg[i] == sg[0];
            if (shared && !isnan(memo[gi])) {
                ln[i] = memo[gi];
            } else {
                ln[i] = log_gauss_mass((b.lo - mu[i]) / sg[i], (b.hi - mu[i]) / sg[i]);
                if (shared)
                    memo[gi] = ln[i];
            }
        }
    }
    /* log sigma (0 with unscaled_kernels, as in Optuna 3.1-3.4: see
     * opt_sampler_config) and 1 / sigma, recomputed only when sigma changes */
    double last_sg = NAN, last_isg = 0;
    for (int i = 0; i < k; i++) {
        if (sg[i] != last_sg) {
            last_sg = sg[i];
            last_isg = 1.0 / sg[i];
            log_sg = c->unscaled_kernels ? 0.0 : log(sg[i]);
        }
        cf[i] = -log_sg - LOG_SQRT_2PI - ln[i];
        isg[i] = last_isg;
    }
    return 0;
}

int tpe_est_fit(tpe_est *e, const opt_study *s, struct opt_tpe_ws *w, const int *obs, int n,
                const int *dims, int d, int n_total_dims)
{
    int k = n + 1;
    double *raw, *memo;
    const double *rawj[OPT_MAX_PARAMS];
    memset(e, 0, sizeof *e);
    e->k = k;
    e->d = d;
    e->dims = dims;
    assert(n >= 0 && d >= 1 && d <= OPT_MAX_PARAMS);
    if (est_alloc(e, w, k, d, &raw, &memo) < 0)
        return -1;
    est_load(e, s, w, obs, n, raw, rawj);
    est_weights(e, &s->sc, w, n);
    double sigma0 =
        s->sc.multivariate ? 0.2 * pow(n > 1 ? n : 1, -1.0 / (n_total_dims + 4)) : 0;
    for (int j = 0; j < d; j++) {
        int cat = s->space->p[dims[j]].kind == OPT_PARAM_CATEGORICAL;
        if ((cat ? est_fit_categorical(e, s, w, j, n, rawj[j])
                 : est_fit_numeric(e, s, w, j, n, rawj[j], sigma0, memo)) < 0)
            return -1;
    }
    memcpy(e->base, e->logw, sizeof(double) * (size_t)k);
    for (int j = 0; j < d; j++) {
        const opt_param *p = &s->space->p[dims[j]];
        if (p->kind == OPT_PARAM_CATEGORICAL || tpe_param_bounds(p).q > 0)
            continue;
        const double *cf = e->coef + (size_t)j * k;
        for (int i = 0; i < k; i++)
            e->base[i] += cf[i];
    }
    return 0;
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

void tpe_est_sample(const tpe_est *e, const opt_study *s, gsl_rng *rng, int m, double *out)
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
        assert(kk >= 0 && kk < e->k);   /* a kernel of the mixture */
        for (int j = 0; j < e->d; j++) {
            const opt_param *p = &s->space->p[e->dims[j]];
            double v;
            if (p->kind == OPT_PARAM_CATEGORICAL) {
                const double *cl = e->catlw[j] + kk;
                double uu = gsl_rng_uniform(rng), a = 0;
                int ch = p->n_choices - 1;
                for (int q = 0; q < p->n_choices; q++) {
                    a += exp(cl[(size_t)q * e->k]);
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

/* log density of the mixture at m points (rows of x, space order) into out,
 * one point at a time in a k-long buffer that stays in cache. A discrete
 * dimension computes each distinct value's cell log masses once (a row of k)
 * and shares it between the candidates that drew it. */
int tpe_est_logpdf(const tpe_est *e, const opt_study *s, struct opt_tpe_ws *w, const double *x,
                   int m, double *out)
{
    int np = s->space->n, k = e->k;
    double *acc = WS_ARRAY(w, double, k), *buf = WS_ARRAY(w, double, k + 8);
    double *keys = WS_ARRAY(w, double, (size_t)m * e->d);
    int *n_keys = WS_ARRAY(w, int, e->d);
    const double **rows = WS_ARRAY(w, const double *, (size_t)m * e->d);
    const double **urow = WS_ARRAY(w, const double *, (size_t)m);
    if (!acc || !buf || !keys || !n_keys || !rows || !urow)
        return -1;
    /* rows[j*m + r]: the discrete row candidate r adds in dim j */
    for (int j = 0; j < e->d; j++) {
        const opt_param *p = &s->space->p[e->dims[j]];
        tpe_bounds b = tpe_param_bounds(p);
        n_keys[j] = 0;
        if (p->kind == OPT_PARAM_CATEGORICAL) {
            for (int r = 0; r < m; r++) {
                int ch = (int)x[(size_t)r * np + e->dims[j]];
                rows[(size_t)j * m + r] = e->catlw[j] + (size_t)ch * k;
            }
            continue;
        }
        if (!(b.q > 0))
            continue;
        const double *mu = e->mu + (size_t)j * k, *sg = e->sigma + (size_t)j * k;
        const double *ln = e->lognorm + (size_t)j * k, *lat = e->lattice[j];
        const int *gi = e->gidx + (size_t)j * k;
        double *kj = keys + (size_t)j * m;
        const double **rj = rows + (size_t)j * m;
        for (int r = 0; r < m; r++) {
            double v = x[(size_t)r * np + e->dims[j]];
            int u = 0;
            while (u < n_keys[j] && kj[u] != v)
                u++;
            if (u < n_keys[j]) {
                rj[r] = urow[u];
                continue;
            }
            double *row = WS_ARRAY(w, double, k);
            if (!row)
                return -1;
            double t = tpe_internal(p, v);
            double lo = fmax(t - 0.5 * b.q, b.lo), hi = fmin(t + 0.5 * b.q, b.hi);
            int c1 = (int)opt_param_cardinality(p) - 1, ti = lat ? tpe_grid_index(p, v) : 0;
            for (int i = 0; i < k; i++)
                row[i] = (lat && gi[i] >= 0
                              ? lat[ti - gi[i] + c1]
                              : log_gauss_mass((lo - mu[i]) / sg[i], (hi - mu[i]) / sg[i])) -
                         ln[i];
            rj[r] = urow[u] = row;
            kj[u] = v;
            n_keys[j]++;
        }
    }
    tpe_term terms[OPT_MAX_PARAMS];
    for (int r = 0; r < m; r++) {
        for (int j = 0; j < e->d; j++) {
            const opt_param *p = &s->space->p[e->dims[j]];
            if (p->kind == OPT_PARAM_CATEGORICAL || tpe_param_bounds(p).q > 0)
                terms[j] = (tpe_term){rows[(size_t)j * m + r], NULL, 0, 0};
            else
                terms[j] = (tpe_term){e->mu + (size_t)j * k, e->isg + (size_t)j * k,
                                      tpe_internal(p, x[(size_t)r * np + e->dims[j]]),
                                      s->sc.multivariate};
        }
        double mx = tpe_accumulate(acc, e->base, terms, e->d, k);
        out[r] = tpe_logsumexp(acc, k, mx, buf);
    }
    return 0;
}