/*
 * gp.c - GP-EI, the sampler for small budgets.
 *
 * Inputs: each numeric parameter becomes one coordinate in [0,1] (log space for
 * log parameters; ints and stepped floats snapped to their grid before encoding),
 * each categorical a one-hot block. Outputs: COMPLETE values turned into losses,
 * warped by log1p((loss - min) / median excess) (order kept, huge losses
 * squashed) and standardised; RUNNING trials join as fantasies at the worst loss
 * so that parallel asks spread out. Model: Matern 5/2 kernel with one length scale per
 * coordinate (ARD), signal variance and noise, fitted by maximising the log
 * marginal likelihood (plus a weak log-normal prior on the length scales) with
 * GSL's Nelder-Mead simplex; Cholesky from GSL. Acquisition: log expected
 * improvement, maximised over random points, perturbations of the best trials,
 * and a shrinking local search around the leaders. Every step is deterministic
 * given the history and the trial's generator. Long studies fit the model to
 * their best GP_MAX_POINTS (400) COMPLETE trials.
 */
#include <gsl/gsl_blas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/stats.h"
#include "optimizer/internal.h"

#define GP_LOG_2PI 1.8378770664093453

typedef struct {
    int n, D;
    const double *X; /* (n, D) */
    const double *y; /* (n) standardised losses */
    gsl_matrix *K;   /* (n, n) scratch, then the Cholesky factor */
    gsl_vector *alpha;
} gp_model;

/* Encoded width of the space: numerics 1, categoricals n_choices. */
static int gp_width(const opt_space *sp)
{
    int D = 0;
    for (int i = 0; i < sp->n; i++)
        D += sp->p[i].kind == OPT_PARAM_CATEGORICAL ? sp->p[i].n_choices : 1;
    return D;
}

static void gp_encode(const opt_space *sp, const double *x, double *u)
{
    int at = 0;
    for (int i = 0; i < sp->n; i++) {
        const opt_param *p = &sp->p[i];
        if (p->kind == OPT_PARAM_CATEGORICAL) {   /* inactive (NaN): no choice set */
            for (int c = 0; c < p->n_choices; c++)
                u[at + c] = !isnan(x[i]) && c == (int)x[i];
            at += p->n_choices;
            continue;
        }
        double lo = opt_param_to_internal(p, p->low), hi = opt_param_to_internal(p, p->high);
        /* an inactive (NaN) value is imputed at the centre of the range */
        u[at++] = isnan(x[i]) ? 0.5 : (opt_param_to_internal(p, x[i]) - lo) / (hi - lo);
    }
}

/* Matern 5/2 between two encoded points with length scales ell (D). */
static double gp_kernel(const double *a, const double *b, const double *inv_ell, int D,
                        double sf2)
{
    double r2 = 0;
    for (int j = 0; j < D; j++) {
        double d = (a[j] - b[j]) * inv_ell[j];
        r2 += d * d;
    }
    double r = sqrt(5.0 * r2);
    return sf2 * (1.0 + r + r * r / 3.0) * exp(-r);
}

/* Factor K(theta) and solve for alpha; returns the negative log posterior of
 * theta = (log ell[D], log sf2, log sn2), or HUGE_VAL when K is not PD. */
static double gp_factor(gp_model *m, const double *theta)
{
    int n = m->n, D = m->D;
    double inv_ell[256];
    for (int j = 0; j < D; j++)
        inv_ell[j] = exp(-theta[j]);
    double sf2 = exp(theta[D]), sn2 = exp(theta[D + 1]) + 1e-8;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < i; k++) {
            double v = gp_kernel(m->X + (size_t)i * D, m->X + (size_t)k * D, inv_ell, D, sf2);
            gsl_matrix_set(m->K, i, k, v);
            gsl_matrix_set(m->K, k, i, v);
        }
        gsl_matrix_set(m->K, i, i, sf2 + sn2);
    }
    if (gsl_linalg_cholesky_decomp1(m->K) != 0)
        return HUGE_VAL;
    gsl_vector_const_view yv = gsl_vector_const_view_array(m->y, (size_t)n);
    gsl_vector_memcpy(m->alpha, &yv.vector);
    if (gsl_linalg_cholesky_svx(m->K, m->alpha) != 0)
        return HUGE_VAL;
    double fit = 0, logdet = 0;
    gsl_blas_ddot(&yv.vector, m->alpha, &fit);
    for (int i = 0; i < n; i++)
        logdet += log(gsl_matrix_get(m->K, i, i));
    double nll = 0.5 * fit + logdet + 0.5 * n * GP_LOG_2PI;
    /* weak priors: length scales around 0.5 (log-normal, sd 1.5), noise small */
    double prior = 0;
    for (int j = 0; j < D; j++) {
        double z = (theta[j] - log(0.5)) / 1.5;
        prior += 0.5 * z * z;
    }
    prior += 0.5 * (theta[D] / 2.0) * (theta[D] / 2.0);
    return isfinite(nll) ? nll + prior : HUGE_VAL;
}

/* Keep theta inside sane bounds (length scales 1e-2..1e2, noise 1e-6..1). */
static void gp_clamp(double *theta, int D)
{
    for (int j = 0; j < D; j++)
        theta[j] = fmin(fmax(theta[j], log(1e-2)), log(1e2));
    theta[D] = fmin(fmax(theta[D], log(1e-2)), log(1e2));
    theta[D + 1] = fmin(fmax(theta[D + 1], log(1e-6)), 0.0);
}

static double gp_objective(const gsl_vector *v, void *params)
{
    gp_model *m = params;
    double theta[258];
    for (int j = 0; j < m->D + 2; j++)
        theta[j] = gsl_vector_get(v, j);
    double pen = 0;
    double raw[258];
    memcpy(raw, theta, sizeof(double) * (size_t)(m->D + 2));
    gp_clamp(theta, m->D);
    for (int j = 0; j < m->D + 2; j++)
        pen += (raw[j] - theta[j]) * (raw[j] - theta[j]);
    return gp_factor(m, theta) + 10.0 * pen;
}

/* Fit theta by Nelder-Mead from a fixed start; theta gets the result. */
static int gp_fit(gp_model *m, double *theta)
{
    int P = m->D + 2;
    for (int j = 0; j < m->D; j++)
        theta[j] = log(0.5);
    theta[m->D] = 0.0;
    theta[m->D + 1] = log(1e-3);
    gsl_multimin_fminimizer *mz = gsl_multimin_fminimizer_alloc(
        gsl_multimin_fminimizer_nmsimplex2, (size_t)P);
    gsl_vector *x0 = gsl_vector_alloc((size_t)P), *step = gsl_vector_alloc((size_t)P);
    if (!mz || !x0 || !step)
        goto fail;
    for (int j = 0; j < P; j++) {
        gsl_vector_set(x0, j, theta[j]);
        gsl_vector_set(step, j, 1.0);
    }
    gsl_multimin_function f = {gp_objective, (size_t)P, m};
    if (gsl_multimin_fminimizer_set(mz, &f, x0, step) != 0)
        goto fail;
    int max_iter = 20 * P < 150 ? 20 * P : 150;
    for (int it = 0; it < max_iter; it++) {
        if (gsl_multimin_fminimizer_iterate(mz) != 0)
            break;
        if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(mz), 1e-3) == GSL_SUCCESS)
            break;
    }
    if (isfinite(gsl_multimin_fminimizer_minimum(mz)))
        for (int j = 0; j < P; j++)
            theta[j] = gsl_vector_get(mz->x, j);
    gp_clamp(theta, m->D);
    gsl_multimin_fminimizer_free(mz);
    gsl_vector_free(x0);
    gsl_vector_free(step);
    return 0;
fail:
    gsl_multimin_fminimizer_free(mz);
    gsl_vector_free(x0);
    gsl_vector_free(step);
    return -1;
}

/* log h(z), h(z) = phi(z) + z Phi(z): the EI of a unit-variance posterior. */
static double gp_log_h(double z)
{
    if (z > -5) {
        double h = exp(-0.5 * z * z) / sqrt(2 * M_PI) + z * 0.5 * erfc(-z / M_SQRT2);
        return log(fmax(h, 1e-300));
    }
    double z2 = z * z;
    return -0.5 * z2 - 0.5 * log(2 * M_PI) - 2.0 * log(-z) +
           log(1.0 - 3.0 / z2 + 15.0 / (z2 * z2));
}

/* log EI of m encoded points U (m, D) into out. */
static int gp_log_ei(gp_model *g, const double *theta, double best, const double *U, int m,
                     double *out)
{
    int n = g->n, D = g->D;
    double inv_ell[256];
    for (int j = 0; j < D; j++)
        inv_ell[j] = exp(-theta[j]);
    double sf2 = exp(theta[D]);
    gsl_matrix *KsT = gsl_matrix_alloc((size_t)n, (size_t)m);
    gsl_vector *mean = gsl_vector_alloc((size_t)m);
    if (!KsT || !mean) {
        gsl_matrix_free(KsT);
        gsl_vector_free(mean);
        return -1;
    }
    for (int i = 0; i < n; i++)
        for (int r = 0; r < m; r++)
            gsl_matrix_set(KsT, i, r,
                           gp_kernel(g->X + (size_t)i * D, U + (size_t)r * D, inv_ell, D, sf2));
    gsl_blas_dgemv(CblasTrans, 1.0, KsT, g->alpha, 0.0, mean);
    /* V = L^{-1} Ks^T; the posterior variance is sf2 - column norms of V */
    gsl_blas_dtrsm(CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, 1.0, g->K, KsT);
    for (int r = 0; r < m; r++) {
        gsl_vector_view col = gsl_matrix_column(KsT, r);
        double vv = gsl_blas_dnrm2(&col.vector);
        double var = fmax(sf2 - vv * vv, 1e-12);
        double sd = sqrt(var);
        double z = (best - gsl_vector_get(mean, r)) / sd;
        out[r] = log(sd) + gp_log_h(z);
    }
    gsl_matrix_free(KsT);
    gsl_vector_free(mean);
    return 0;
}

/* A perturbation of x: numerics moved by N(0, sd) in the unit cube, categoricals
 * switched at random with probability 0.2. */
static void gp_perturb(const opt_space *sp, gsl_rng *rng, const double *x, double sd, double *y)
{
    for (int i = 0; i < sp->n; i++) {
        const opt_param *p = &sp->p[i];
        if (p->kind == OPT_PARAM_CATEGORICAL) {
            y[i] = gsl_rng_uniform(rng) < 0.2 || isnan(x[i]) /* inactive: a fresh choice */
                       ? (double)gsl_rng_uniform_int(rng, p->n_choices) : x[i];
            continue;
        }
        double lo = opt_param_to_internal(p, p->low), hi = opt_param_to_internal(p, p->high);
        double t = isnan(x[i]) ? 0.5 : (opt_param_to_internal(p, x[i]) - lo) / (hi - lo);
        t = fmin(fmax(t + gsl_ran_gaussian_ziggurat(rng, sd), 0.0), 1.0);
        y[i] = opt_param_from_internal(p, lo + t * (hi - lo));
    }
}

/* The model is fitted to at most this many COMPLETE trials (the best ones), so
 * that an ask stays around a second even in long studies. */
#define GP_MAX_POINTS 400

/* Median of v[0..n) (v is not changed); 1 when out of memory. */
static double gp_median(const double *v, int n)
{
    return base_median(v, (size_t)n, 1.0);
}

/* The loss of the GP_MAX_POINTS-th best COMPLETE trial (ties may add a few). */
static int gp_cutoff(const opt_study *s, double sign, int n_done, double *cutoff)
{
    double *loss = malloc(sizeof(double) * (size_t)n_done);
    if (!loss)
        return -1;
    int m = 0;
    for (int i = 0; i < s->n; i++)
        if (s->trials[i].state == OPT_COMPLETE)
            loss[m++] = sign * s->trials[i].value;
    base_sort(loss, (size_t)m);
    *cutoff = loss[GP_MAX_POINTS - 1];
    free(loss);
    return 0;
}

/* The training set of the model: X (n, D) the encoded trials, y their losses
 * warped with log1p((loss - min) / median excess), which keeps their order and
 * the resolution near the best while squashing huge losses, then
 * standardised; running trials count as the worst loss (at most n_running of
 * them). order[i] is row i's trial index. Returns the best standardised loss of
 * a COMPLETE trial. */
static double gp_data(const opt_study *s, double sign, double worst, double cutoff,
                      int n_running, int n, int D, double *X, double *y, double *raw, int *order)
{
    int at = 0, running_left = n_running;
    for (int i = 0; i < s->n && at < n; i++) {
        const opt_trial *t = &s->trials[i];
        if (t->state == OPT_RUNNING ? running_left-- <= 0
                                    : t->state != OPT_COMPLETE || sign * t->value > cutoff)
            continue;
        gp_encode(s->space, t->x, X + (size_t)at * D);
        raw[at] = t->state == OPT_COMPLETE ? sign * t->value : worst;
        order[at] = i;
        at++;
    }
    assert(at == n);
    double lo = HUGE_VAL, best = HUGE_VAL;
    for (int i = 0; i < n; i++)
        lo = fmin(lo, raw[i]);
    for (int i = 0; i < n; i++)
        y[i] = raw[i] - lo;
    double scale = gp_median(y, n);
    if (!(scale > 0))
        scale = 1.0;
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++) {
        y[i] = log1p(y[i] / scale);
        mean += y[i] / n;
    }
    for (int i = 0; i < n; i++)
        var += (y[i] - mean) * (y[i] - mean) / n;
    double sd = var > 0 ? sqrt(var) : 1.0;
    for (int i = 0; i < n; i++) {
        y[i] = (y[i] - mean) / sd;
        if (s->trials[order[i]].state == OPT_COMPLETE)
            best = fmin(best, y[i]);
    }
    return best;
}

/* Candidates into cx: n_rand random points, then n_local perturbations of each
 * of the n_top best trials (picked[] scratch, n_top long). Returns how many. */
static int gp_candidates(const opt_study *s, gsl_rng *rng, const gp_model *g, const int *order,
                         int n_rand, int n_top, int n_local, double *cx, int *picked)
{
    int np = s->space->n, m = 0;
    for (int r = 0; r < n_rand; r++, m++)
        opt_sample_random(s, rng, cx + (size_t)m * np);
    for (int k = 0; k < n_top; k++) {
        int bi = -1;
        for (int i = 0; i < g->n; i++) {
            if (s->trials[order[i]].state != OPT_COMPLETE)
                continue;
            int taken = 0;
            for (int q = 0; q < k; q++)
                taken |= order[i] == picked[q];
            if (!taken && (bi < 0 || g->y[i] < g->y[bi]))
                bi = i;
        }
        if (bi < 0)
            break;
        picked[k] = order[bi];
        for (int r = 0; r < n_local; r++, m++)
            gp_perturb(s->space, rng, s->trials[order[bi]].x, r < n_local / 2 ? 0.1 : 0.02,
                       cx + (size_t)m * np);
    }
    return m;
}

#define GP_ROUNDS 3         /* local search: rounds of shrinking steps per leader */
#define GP_ROUND_POINTS 30  /* points per round */

/* Local search around each of the n_lead leaders among the m scored candidates:
 * GP_ROUNDS rounds of GP_ROUND_POINTS perturbations each, with shrinking steps,
 * written from slot mc on (n_lead * GP_ROUNDS * GP_ROUND_POINTS slots, acq
 * -HUGE_VAL where unused). 0 ok, -1 out of memory. */
static int gp_local_search(const opt_study *s, gsl_rng *rng, gp_model *g, const double *theta,
                           double best, int m, int mc, int n_lead, double *cx, double *cu,
                           double *acq)
{
    const opt_space *sp = s->space;
    int np = sp->n, D = g->D, n_refine = GP_ROUNDS * GP_ROUND_POINTS, leads[8];
    assert(n_lead <= 8);
    for (int r = mc; r < mc + n_lead * n_refine; r++)
        acq[r] = -HUGE_VAL;
    for (int l = 0; l < n_lead; l++) {
        int lead = -1;
        for (int r = 0; r < m; r++) {
            int taken = 0;
            for (int q = 0; q < l; q++)
                taken |= memcmp(cx + (size_t)r * np, cx + (size_t)leads[q] * np,
                                sizeof(double) * (size_t)np) == 0;
            if (!taken && (lead < 0 || acq[r] > acq[lead]))
                lead = r;
        }
        if (lead < 0)
            break;
        leads[l] = lead;
        double cur[OPT_MAX_PARAMS], cur_acq = acq[lead];
        memcpy(cur, cx + (size_t)lead * np, sizeof(double) * (size_t)np);
        int base = mc + l * n_refine;
        const double sds[GP_ROUNDS] = {0.05, 0.01, 0.002};
        for (int round = 0; round < GP_ROUNDS; round++) {
            int b0 = base + round * GP_ROUND_POINTS;
            for (int r = 0; r < GP_ROUND_POINTS; r++) {
                gp_perturb(sp, rng, cur, sds[round], cx + (size_t)(b0 + r) * np);
                gp_encode(sp, cx + (size_t)(b0 + r) * np, cu + (size_t)(b0 + r) * D);
            }
            if (gp_log_ei(g, theta, best, cu + (size_t)b0 * D, GP_ROUND_POINTS, acq + b0) < 0)
                return -1;
            for (int r = 0; r < GP_ROUND_POINTS; r++)
                if (acq[b0 + r] > cur_acq) {
                    cur_acq = acq[b0 + r];
                    memcpy(cur, cx + (size_t)(b0 + r) * np, sizeof(double) * (size_t)np);
                }
        }
    }
    return 0;
}

/* The candidate with the highest acquisition among slots [0, m) and [mc, total),
 * preferring one the study has not tried. */
static int gp_pick(const opt_study *s, const double *cx, const double *acq, int m, int mc,
                   int total)
{
    int np = s->space->n, pick = -1;
    for (int pass = 0; pass < 2 && pick < 0; pass++)
        for (int r = 0; r < total; r++) {
            if (r >= m && r < mc)
                continue;
            if (pass == 0 && opt_study_seen(s, cx + (size_t)r * np))
                continue;
            if (pick < 0 || acq[r] > acq[pick])
                pick = r;
        }
    return pick;
}

int opt_sample_gp(const opt_study *s, gsl_rng *rng, double *x, char err[256])
{
    const opt_space *sp = s->space;
    int np = sp->n, D = gp_width(sp), rc = -1;
    if (D > 256) {
        snprintf(err, 256, "gp: the encoded space has %d coordinates, more than 256", D);
        return -1;
    }
    int n = 0, n_done = 0, n_running = 0;
    double sign = opt_study_sign(s), worst = -HUGE_VAL, cutoff = HUGE_VAL;
    for (int i = 0; i < s->n; i++) {
        const opt_trial *t = &s->trials[i];
        if (t->state == OPT_COMPLETE) {
            n_done++;
            worst = fmax(worst, sign * t->value);
        }
        n_running += t->state == OPT_RUNNING;
    }
    if (n_done < 2)
        return opt_sample_random(s, rng, x);
    if (n_done > GP_MAX_POINTS && gp_cutoff(s, sign, n_done, &cutoff) < 0) {
        snprintf(err, 256, "gp: out of memory for %d trials", s->n);
        return -1;
    }
    if (n_running > GP_MAX_POINTS)
        n_running = GP_MAX_POINTS;
    for (int i = 0; i < s->n; i++) {
        const opt_trial *t = &s->trials[i];
        n += t->state == OPT_COMPLETE && sign * t->value <= cutoff;
    }
    n += n_running;

    int n_rand = s->sc.gp_n_candidates, n_top = 5, n_local = 100, n_lead = 5;
    int mc = n_rand + n_top * n_local, total = mc + n_lead * GP_ROUNDS * GP_ROUND_POINTS;
    double *X = malloc(sizeof(double) * (size_t)n * D);
    double *y = malloc(sizeof(double) * (size_t)n);
    double *raw = malloc(sizeof(double) * (size_t)n);
    int *order = malloc(sizeof(int) * (size_t)n), picked[5];
    double *cx = malloc(sizeof(double) * (size_t)total * np);
    double *cu = malloc(sizeof(double) * (size_t)total * D);
    double *acq = malloc(sizeof(double) * (size_t)total);
    gp_model g = {n, D, X, y, gsl_matrix_alloc((size_t)n, (size_t)n),
                  gsl_vector_alloc((size_t)n)};
    double theta[258];
    if (!X || !y || !raw || !order || !cx || !cu || !acq || !g.K || !g.alpha)
        goto oom;
    double best = gp_data(s, sign, worst, cutoff, n_running, n, D, X, y, raw, order);
    if (gp_fit(&g, theta) < 0 || !isfinite(gp_factor(&g, theta)))
        goto fallback;
    int m = gp_candidates(s, rng, &g, order, n_rand, n_top, n_local, cx, picked);
    for (int r = 0; r < m; r++)
        gp_encode(sp, cx + (size_t)r * np, cu + (size_t)r * D);
    if (gp_log_ei(&g, theta, best, cu, m, acq) < 0 ||
        gp_local_search(s, rng, &g, theta, best, m, mc, n_lead, cx, cu, acq) < 0)
        goto oom;
    for (int r = m; r < mc; r++)
        acq[r] = -HUGE_VAL; /* unused slots when fewer trials than n_top */
    int pick = gp_pick(s, cx, acq, m, mc, total);
    memcpy(x, cx + (size_t)pick * np, sizeof(double) * (size_t)np);
    rc = 0;
    goto out;
fallback:
    rc = opt_sample_random(s, rng, x);
    goto out;
oom:
    snprintf(err, 256, "gp: out of memory for %d trials", n);
out:
    free(X);
    free(y);
    free(raw);
    free(order);
    free(cx);
    free(cu);
    free(acq);
    gsl_matrix_free(g.K);
    gsl_vector_free(g.alpha);
    return rc;
}
