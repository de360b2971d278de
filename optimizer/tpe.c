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
#include <assert.h>
#include <float.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optimizer/internal.h"

/* libmvec's SSE2 vector exp (glibc >= 2.22 on x86-64, linked through -lm). */
#if defined(__x86_64__) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 22))
#define TPE_VEC_EXP 1
#include <emmintrin.h>
__m128d _ZGVbN2v_exp(__m128d x);
__m128d _ZGVbN2v_log(__m128d x);
#else
#define TPE_VEC_EXP 0
#endif
/* AVX-512 compress for the log-sum-exp's packing, chosen at run time (GCC). */
#if TPE_VEC_EXP && defined(__GNUC__) && !defined(__clang__)
#define TPE_AVX512 1
#include <immintrin.h>
#else
#define TPE_AVX512 0
#endif
/* ... and its erfc and log1p (glibc >= 2.35). */
#if TPE_VEC_EXP && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 35)
#define TPE_VEC_ERFC 1
__m128d _ZGVbN2v_erfc(__m128d x);
__m128d _ZGVbN2v_log1p(__m128d x);
#else
#define TPE_VEC_ERFC 0
#endif

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

/* log of the standard normal mass in [a, b]. The direct difference of two erfc
 * values is used when it keeps at least 7 significant digits; the log-space
 * forms handle far tails and narrow intervals. */
static double log_gauss_mass(double a, double b)
{
    if (!(a < b))
        return -INFINITY;
    if (b <= 0) {
        double pb = erfc(-b / M_SQRT2), m = pb - erfc(-a / M_SQRT2);
        if (m > 1e-7 * pb && pb > 1e-280)
            return log(0.5 * m);
        return log_diff_exp(log_ndtr(b), log_ndtr(a));
    }
    if (a > 0) {
        double qa = erfc(a / M_SQRT2), m = qa - erfc(b / M_SQRT2);
        if (m > 1e-7 * qa && qa > 1e-280)
            return log(0.5 * m);
        return log_diff_exp(log_ndtr(-a), log_ndtr(-b));
    }
    return log1p(-0.5 * erfc(-a / M_SQRT2) - 0.5 * erfc(b / M_SQRT2));
}

/* ln[i] = log_gauss_mass((lo - mu[i]) / sg[i], (hi - mu[i]) / sg[i]) for k kernels
 * of a continuous dimension. Kernels centred inside the range (all but odd ones)
 * take log_gauss_mass's a <= 0 < b form two at a time with libmvec's erfc and
 * log1p (within 4 ulp); the rest, and other platforms, the scalar function. */
static void tpe_kernel_lognorm(const double *mu, const double *sg, double lo, double hi, int k,
                               double *ln)
{
    int i = 0;
#if TPE_VEC_ERFC
    const __m128d nh = _mm_set1_pd(-0.5), ir2 = _mm_set1_pd(1.0 / M_SQRT2);
    for (; i + 2 <= k; i += 2) {
        double a0 = (lo - mu[i]) / sg[i], b0 = (hi - mu[i]) / sg[i];
        double a1 = (lo - mu[i + 1]) / sg[i + 1], b1 = (hi - mu[i + 1]) / sg[i + 1];
        if (!(a0 <= 0 && b0 > 0 && a1 <= 0 && b1 > 0)) {
            ln[i] = log_gauss_mass(a0, b0);
            ln[i + 1] = log_gauss_mass(a1, b1);
            continue;
        }
        __m128d ea = _ZGVbN2v_erfc(_mm_mul_pd(_mm_set_pd(-a1, -a0), ir2));
        __m128d eb = _ZGVbN2v_erfc(_mm_mul_pd(_mm_set_pd(b1, b0), ir2));
        __m128d t = _mm_add_pd(_mm_mul_pd(nh, ea), _mm_mul_pd(nh, eb));
        /* |t| < 2^-10 (kernels 3.3 sigma or more inside the range): log1p's
         * series to t^7 (the rest < 1e-21 relative), in Horner form */
        __m128d tiny = _mm_cmplt_pd(_mm_andnot_pd(_mm_set1_pd(-0.0), t), _mm_set1_pd(0x1p-10));
        if (_mm_movemask_pd(tiny) == 3) {
            __m128d h = _mm_set1_pd(1.0 / 7);
            h = _mm_add_pd(_mm_set1_pd(-1.0 / 6), _mm_mul_pd(t, h));
            h = _mm_add_pd(_mm_set1_pd(1.0 / 5), _mm_mul_pd(t, h));
            h = _mm_add_pd(_mm_set1_pd(-1.0 / 4), _mm_mul_pd(t, h));
            h = _mm_add_pd(_mm_set1_pd(1.0 / 3), _mm_mul_pd(t, h));
            h = _mm_add_pd(_mm_set1_pd(-1.0 / 2), _mm_mul_pd(t, h));
            _mm_storeu_pd(ln + i, _mm_add_pd(t, _mm_mul_pd(_mm_mul_pd(t, t), h)));
        } else {
            _mm_storeu_pd(ln + i, _ZGVbN2v_log1p(t));
        }
    }
#endif
    for (; i < k; i++)
        ln[i] = log_gauss_mass((lo - mu[i]) / sg[i], (hi - mu[i]) / sg[i]);
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

/*
 * Scratch memory reused between asks, so that an ask neither mallocs nor
 * page-faults in steady state: one block sized by the largest ask so far (an
 * ask that needs more takes extra allocations, freed at its end, and the block
 * grows for the next). It also keeps the log-space values of the trials'
 * parameters (xint, trial index order), computed once per trial: a trial's
 * values never change after it is added, so nothing here alters a suggestion.
 */
struct opt_tpe_ws {
    char *block;
    size_t cap, used, want; /* want: bytes the current ask asked for */
    void **extra;
    int n_extra, cap_extra;
    double *xraw, *xint;    /* (cap_xint, np): values as held, and in log space */
    int n_xint, cap_xint;
    /* multi-objective: the good group's weights for this ask, and the weights
     * tpe_est_fit uses instead of the default ones (NULL: default) */
    double *below_weights;
    const double *obs_weights;
};

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
static void *ws_alloc(struct opt_tpe_ws *w, size_t size)
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
static void ws_reset(struct opt_tpe_ws *w)
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
static int ws_sync_internal(struct opt_tpe_ws *w, const opt_study *s)
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

/* One Parzen mixture over the parameters dims[0..d-1]. Arrays are (d, k), all
 * in the workspace. */
typedef struct {
    int k, d;
    const int *dims;
    double *logw;    /* (k) */
    double *base;    /* (k): logw plus every continuous dimension's coef */
    double *cumw;    /* (k) cumulative weights for sampling */
    double *mu;      /* (d, k) */
    double *sigma;   /* (d, k) */
    double *lognorm; /* (d, k): log mass of the kernel inside the range */
    double *coef;    /* (d, k): -log sigma - log sqrt(2 pi) - lognorm */
    double *isg;     /* (d, k): 1 / sigma */
    double **catlw;  /* per dim: (n_choices, k) log weights, NULL for numerics */
    /* Discrete cells with one shared kernel width (multivariate): the log mass of
     * a cell depends only on the grid offset between the cell and the kernel
     * centre, so it is tabulated once: lattice[j][delta + card - 1], and
     * gidx[j*k + i] is kernel i's grid index (-1 for the prior kernel). */
    double **lattice;
    int *gidx;
} tpe_est;

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
    double *lat = e->lattice[j] = ws_alloc(w, sizeof(double) * (size_t)(2 * c - 1));
    if (!lat)
        return -1;
    double wd = b.q / sg[0];
    for (int dlt = -(c - 1); dlt <= c - 1; dlt++)
        lat[dlt + c - 1] = log_gauss_mass((dlt - 0.5) * wd, (dlt + 0.5) * wd);
    return 0;
}

#define WS_ARRAY(w, type, count) ((type *)ws_alloc((w), sizeof(type) * (size_t)(count)))

/*
 * Fit the mixture to n observations (obs[i] = trial index, chronological) over
 * dims; n_total_dims is the size of the joint space (for the bandwidth). All
 * memory comes from the workspace w.
 */
static int tpe_est_fit(tpe_est *e, const opt_study *s, struct opt_tpe_ws *w, const int *obs,
                       int n, const int *dims, int d, int n_total_dims)
{
    const opt_sampler_config *c = &s->sc;
    int k = n + 1, np = s->space->n;
    memset(e, 0, sizeof *e);
    e->k = k;
    e->d = d;
    e->dims = dims;
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
    double *raw = WS_ARRAY(w, double, k * d); /* (d, k): the observed values as held */
    double *memo = WS_ARRAY(w, double, 4096);
    if (!e->lattice || !e->gidx || !e->isg || !e->base || !raw || !memo ||
        !e->logw || !e->cumw || !e->mu || !e->sigma || !e->lognorm || !e->coef || !e->catlw)
        return -1;
    for (int j = 0; j < d; j++)
        e->catlw[j] = e->lattice[j] = NULL;
    /* one pass over the observations: log space in mu; the values as held in raw
     * only where they differ (log parameters), else raw's row is mu's */
    const double *rawj[OPT_MAX_PARAMS];
    int nlog = 0, logj[OPT_MAX_PARAMS];
    for (int j = 0; j < d; j++) {
        const opt_param *p = &s->space->p[dims[j]];
        int lg = p->kind != OPT_PARAM_CATEGORICAL && p->log;
        rawj[j] = (lg ? raw : e->mu) + (size_t)j * k;
        if (lg)
            logj[nlog++] = j;
    }
    for (int i = 0; i < n; i++) {
        const double *xi = w->xint + (size_t)obs[i] * np;
        for (int j = 0; j < d; j++)
            e->mu[(size_t)j * k + i] = xi[dims[j]];
    }
    for (int q = 0; q < nlog; q++) {
        int j = logj[q];
        for (int i = 0; i < n; i++)
            raw[(size_t)j * k + i] = w->xraw[(size_t)obs[i] * np + dims[j]];
    }

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

    double sigma0 = c->multivariate ? 0.2 * pow(n > 1 ? n : 1, -1.0 / (n_total_dims + 4)) : 0;
    for (int j = 0; j < d; j++) {
        const opt_param *p = &s->space->p[dims[j]];
        double *mu = e->mu + (size_t)j * k, *sg = e->sigma + (size_t)j * k;
        const double *rj = rawj[j];
        if (p->kind == OPT_PARAM_CATEGORICAL) {
            int nc = p->n_choices;
            double *cl = e->catlw[j] = WS_ARRAY(w, double, k * nc);
            if (!cl)
                return -1;
            double base = c->prior_weight / (n + 1);
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
            continue;
        }
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
        /* kernels on the same grid point with the same width share their mass */
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

/* One dimension's part of the kernels' log densities at a candidate: b NULL,
 * the row a[0..k-1]; else the Gaussian -(t - a[i])^2 b[i]^2 / 2 (a = mu,
 * b = 1 / sigma; its constants are in the estimator's base). shared: b[i] is
 * b[0] for every kernel but the last (the prior), as in multivariate mode, so
 * it need not be read. */
typedef struct {
    const double *a, *b;
    double t;
    int shared;
} tpe_term;

/* Built for AVX2 as well as the x86-64 baseline where GCC can pick at load time:
 * the same additions and products in the same order, so the same results. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define TPE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TPE_CLONES
#endif

/* Four doubles as one value (GCC/Clang vector extension: element-wise IEEE
 * arithmetic, two SSE2 or one AVX register). */
typedef double tpe_v4 __attribute__((vector_size(32)));
typedef long long tpe_v4i __attribute__((vector_size(32)));
/* dst = the four doubles at p (any alignment) */
#define V4_LOAD(dst, p) memcpy(&(dst), (p), sizeof(tpe_v4))
/* x > m ? x : m, element-wise (x and m are variables) */
#define V4_MAX(x, m) \
    ((tpe_v4)(((tpe_v4i)(x) & ((x) > (m))) | ((tpe_v4i)(m) & ~((x) > (m)))))

/* acc[i] = base[i] + the terms in order, for k kernels, eight kernels at a time
 * in registers; returns the largest acc[i]. */
TPE_CLONES static double tpe_accumulate(double *restrict acc, const double *restrict base,
                                        const tpe_term *terms, int nt, int k)
{
    tpe_v4 m0 = {-INFINITY, -INFINITY, -INFINITY, -INFINITY}, m1 = m0;
    const tpe_v4 half = {0.5, 0.5, 0.5, 0.5};
    int i = 0;
    for (; i + 8 <= k - 1; i += 8) { /* the last kernel (the prior) below */
        tpe_v4 v0, v1, x0, x1, y0, y1;
        V4_LOAD(v0, base + i);
        V4_LOAD(v1, base + i + 4);
        for (int j = 0; j < nt; j++) {
            const double *ta = terms[j].a + i;
            V4_LOAD(x0, ta);
            V4_LOAD(x1, ta + 4);
            if (!terms[j].b) {
                v0 += x0;
                v1 += x1;
            } else {
                const double *tb = terms[j].b + i;
                double t = terms[j].t;
                tpe_v4 tt = {t, t, t, t};
                if (terms[j].shared) {
                    double b0 = terms[j].b[0];
                    y0 = y1 = (tpe_v4){b0, b0, b0, b0};
                } else {
                    V4_LOAD(y0, tb);
                    V4_LOAD(y1, tb + 4);
                }
                tpe_v4 z0 = (tt - x0) * y0, z1 = (tt - x1) * y1;
                v0 -= half * z0 * z0;
                v1 -= half * z1 * z1;
            }
        }
        memcpy(acc + i, &v0, sizeof v0);
        memcpy(acc + i + 4, &v1, sizeof v1);
        m0 = V4_MAX(v0, m0);
        m1 = V4_MAX(v1, m1);
    }
    double mx = -INFINITY;
    for (int q = 0; q < 4; q++) {
        mx = m0[q] > mx ? m0[q] : mx;
        mx = m1[q] > mx ? m1[q] : mx;
    }
    for (; i < k; i++) {
        double v = base[i];
        for (int j = 0; j < nt; j++) {
            if (!terms[j].b) {
                v += terms[j].a[i];
            } else {
                double z = (terms[j].t - terms[j].a[i]) * terms[j].b[i];
                v -= 0.5 * z * z;
            }
        }
        acc[i] = v;
        mx = v > mx ? v : mx;
    }
    return mx;
}

/* buf[0..n-1] = the a[i] - mx above -25, in order; returns n. buf holds k + 8. */
static int tpe_compact(const double *a, int k, double mx, double *buf)
{
    int n = 0;
    for (int i = 0; i < k; i++) {
        double d = a[i] - mx;
        buf[n] = d;
        n += d > -25.0;
    }
    return n;
}

#if TPE_AVX512
/* The same with AVX-512's compress, eight at a time (same values, same order). */
__attribute__((target("avx512f"))) static int tpe_compact_avx512(const double *a, int k,
                                                                  double mx, double *buf)
{
    int i = 0, n = 0;
    const __m512d vmx = _mm512_set1_pd(mx), cut = _mm512_set1_pd(-25.0);
    for (; i + 8 <= k; i += 8) {
        __m512d d = _mm512_sub_pd(_mm512_loadu_pd(a + i), vmx);
        __mmask8 keep = _mm512_cmp_pd_mask(d, cut, _CMP_GT_OQ);
        _mm512_storeu_pd(buf + n, _mm512_maskz_compress_pd(keep, d));
        n += __builtin_popcount(keep);
    }
    for (; i < k; i++) {
        double d = a[i] - mx;
        buf[n] = d;
        n += d > -25.0;
    }
    return n;
}
#endif

/* log(sum_i exp(a[i])) over k terms whose largest is mx; terms below e^-25 of
 * the largest are left out (they change the sum by < k * 1.4e-11 relative).
 * The kept differences are first packed into buf (k + 8 doubles), so that only
 * they are exponentiated: on x86-64 glibc two at a time by libmvec's vector exp
 * (_ZGVbN2v_exp, the SSE2 vector ABI that GCC itself calls for `#pragma omp simd`
 * loops; within 4 ulp of exp), elsewhere by exp(). */
static double tpe_logsumexp(const double *a, int k, double mx, double *buf)
{
    int i = 0, n;
    double sum = 0;
    if (!(mx > -INFINITY))
        return -INFINITY;
#if TPE_AVX512
    n = __builtin_cpu_supports("avx512f") ? tpe_compact_avx512(a, k, mx, buf)
                                          : tpe_compact(a, k, mx, buf);
#else
    n = tpe_compact(a, k, mx, buf);
#endif
#if TPE_VEC_EXP
    buf[n] = buf[n + 1] = -INFINITY; /* exp gives 0: pads the last pair */
    __m128d s0 = _mm_setzero_pd(), s1 = _mm_setzero_pd();
    for (; i + 4 <= n + 1; i += 4) {
        s0 = _mm_add_pd(s0, _ZGVbN2v_exp(_mm_loadu_pd(buf + i)));
        s1 = _mm_add_pd(s1, _ZGVbN2v_exp(_mm_loadu_pd(buf + i + 2)));
    }
    for (; i < n; i += 2)
        s0 = _mm_add_pd(s0, _ZGVbN2v_exp(_mm_loadu_pd(buf + i)));
    s0 = _mm_add_pd(s0, s1);
    sum = _mm_cvtsd_f64(s0) + _mm_cvtsd_f64(_mm_unpackhi_pd(s0, s0));
    i = n;
#endif
    for (; i < n; i++)
        sum += exp(buf[i]);
    return mx + log(sum);
}

/* log density of the mixture at m points (rows of x, space order) into out,
 * one point at a time in a k-long buffer that stays in cache. A discrete
 * dimension computes each distinct value's cell log masses once (a row of k)
 * and shares it between the candidates that drew it. */
static int tpe_est_logpdf(const tpe_est *e, const opt_study *s, struct opt_tpe_ws *w,
                          const double *x, int m, double *out)
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

double opt_tpe_logsumexp(const double *a, int k)
{
    double mx = -INFINITY, *buf = malloc(sizeof(double) * ((size_t)k + 8));
    if (!buf)
        return NAN;
    for (int i = 0; i < k; i++)
        mx = a[i] > mx ? a[i] : mx;
    double r = tpe_logsumexp(a, k, mx, buf);
    free(buf);
    return r;
}

void opt_tpe_kernel_lognorm(const double *mu, const double *sigma, double lo, double hi, int k,
                            double *ln)
{
    tpe_kernel_lognorm(mu, sigma, lo, hi, k, ln);
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
    if (!obs || !below || !above || !cand || !score || ws_sync_internal(w, s) < 0)
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
    ws_reset(w);
    return rc;
}
