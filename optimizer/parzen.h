/*
 * parzen.h - the Parzen estimator behind TPE (tpe.c): its scratch workspace,
 * the mixture type and its fit, draws and log density (parzen.c), and the
 * vectorised loops those use (parzen_math.c). Private to optimizer/.
 */
#ifndef SEQTUNE_OPTIMIZER_PARZEN_H
#define SEQTUNE_OPTIMIZER_PARZEN_H

#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_erf.h>
#include <math.h>
#include <stddef.h>

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
static inline double log_ndtr(double z)
{
    if (z > 6)
        return -0.5 * erfc(z / M_SQRT2);
    if (z > -20)
        return log(0.5 * erfc(-z / M_SQRT2));
    return gsl_sf_log_erfc(-z / M_SQRT2) - M_LN2;
}

/* log(exp(a) - exp(b)) for a >= b. */
static inline double log_diff_exp(double a, double b)
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
static inline double log_gauss_mass(double a, double b)
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

/* Parzen range and cell width of a numeric parameter in internal space. */
typedef struct {
    double lo, hi, q;
} tpe_bounds;

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

#define WS_ARRAY(w, type, count) ((type *)tpe_ws_alloc((w), sizeof(type) * (size_t)(count)))

/* parzen.c: size bytes from the workspace, 64-byte aligned (NULL when out of
 * memory), all released by tpe_ws_reset at the end of an ask; tpe_ws_sync
 * brings the trials' log-space values up to date (-1 when out of memory). */
void *tpe_ws_alloc(struct opt_tpe_ws *w, size_t size);
void tpe_ws_reset(struct opt_tpe_ws *w);
int tpe_ws_sync(struct opt_tpe_ws *w, const opt_study *s);

/*
 * Fit the mixture to n observations (obs[i] = trial index, chronological) over
 * dims; n_total_dims is the size of the joint space (for the bandwidth). All
 * memory comes from the workspace w.
 * 0 ok, -1 when out of memory. */
int tpe_est_fit(tpe_est *e, const opt_study *s, struct opt_tpe_ws *w, const int *obs, int n,
                const int *dims, int d, int n_total_dims);
/* m draws from the mixture; out is (m, n_params) in space order (dims only). */
void tpe_est_sample(const tpe_est *e, const opt_study *s, gsl_rng *rng, int m, double *out);
/* log density of the mixture at the m rows of x (space order) into out; -1 when
 * out of memory. */
int tpe_est_logpdf(const tpe_est *e, const opt_study *s, struct opt_tpe_ws *w, const double *x,
                   int m, double *out);

/* parzen_math.c */
void tpe_kernel_lognorm(const double *mu, const double *sg, double lo, double hi, int k,
                        double *ln);
double tpe_accumulate(double *restrict acc, const double *restrict base, const tpe_term *terms,
                      int nt, int k);
double tpe_logsumexp(const double *a, int k, double mx, double *buf);

#endif
