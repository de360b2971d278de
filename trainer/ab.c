/*
 * ab.c - the paired statistics of an A/B comparison (trainer/ab.h): per-bar
 * losses and strategy returns, the stationary block bootstrap of the Sharpe
 * difference, and the verdict.
 */
#include "trainer/ab.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tr_ab_verdict_name(int verdict)
{
    return verdict == TR_AB_B_BETTER ? "b_better"
           : verdict == TR_AB_A_BETTER ? "a_better" : "no_difference";
}

static double clip_p(double p) { return p < 1e-7 ? 1e-7 : p > 1 - 1e-7 ? 1 - 1e-7 : p; }

void tr_ab_bar(tr_ab_target t, const float *out, double deadband, double fwd, double next,
               double *loss, double *ret)
{
    double pos;
    if (t == TR_AB_DIRECTION) {
        double p = clip_p(out[0]);
        *loss = fwd > 0 ? -log(p) : fwd < 0 ? -log(1 - p) : NAN;
        pos = out[0] > 0.5f ? 1 : out[0] < 0.5f ? -1 : 0;
    } else if (t == TR_AB_MULTICLASS) {
        int k = fwd < -deadband ? 0 : fwd > deadband ? 2 : 1;
        *loss = -log(clip_p(out[k]));
        double d = (double)out[2] - out[0];
        pos = d > 0 ? 1 : d < 0 ? -1 : 0;
    } else {
        double e = (double)out[0] - fwd;
        *loss = e * e;
        pos = out[0] > 0 ? 1 : out[0] < 0 ? -1 : 0;
    }
    *ret = pos * next;
}

double tr_sharpe(const double *r, int n)
{
    if (n < 2)
        return 0;
    double mean = gsl_stats_mean(r, 1, (size_t)n);
    double sd = gsl_stats_sd_m(r, 1, (size_t)n, mean);
    return sd > 0 && isfinite(sd) ? mean / sd : 0;
}

/* Sharpe of the bars idx[0..n) of r (one pass, Welford). */
static double sharpe_at(const double *r, const int *idx, int n)
{
    double mean = 0, m2 = 0;
    for (int i = 0; i < n; i++) {
        double x = r[idx[i]], d = x - mean;
        mean += d / (i + 1);
        m2 += d * (x - mean);
    }
    double sd = n > 1 ? sqrt(m2 / (n - 1)) : 0;
    return sd > 0 ? mean / sd : 0;
}

int tr_ab_bootstrap(const double *ra, const double *rb, int n, double mean_block, int n_boot,
                    gsl_rng *rng, double *diffs, char err[256])
{
    if (n < 2 || n_boot < 1 || !(mean_block >= 1)) {
        snprintf(err, 256, "bootstrap: need >= 2 bars, >= 1 replicate and a mean block "
                 "length >= 1 (got %d, %d, %g)", n, n_boot, mean_block);
        return -1;
    }
    int *idx = malloc((size_t)n * sizeof *idx);
    if (!idx) {
        snprintf(err, 256, "bootstrap: out of memory");
        return -1;
    }
    double p_new = 1.0 / mean_block;
    for (int b = 0; b < n_boot; b++) {
        /* a block starts at a uniform bar; each next bar continues it (wrapping at
         * the end) with probability 1 - 1/L, else a new block starts */
        int j = (int)gsl_rng_uniform_int(rng, (unsigned long)n);
        for (int i = 0; i < n; i++) {
            if (i > 0)
                j = gsl_rng_uniform(rng) < p_new ? (int)gsl_rng_uniform_int(rng, (unsigned long)n)
                                                 : (j + 1) % n;
            idx[i] = j;
        }
        diffs[b] = sharpe_at(rb, idx, n) - sharpe_at(ra, idx, n);
    }
    free(idx);
    return 0;
}

void tr_ab_config_default(tr_ab_config *c)
{
    c->alpha = 0.05;
    c->n_boot = 2000;
    c->mean_block = 0;
    c->dm_lag = -1;
    c->annualize = 1;
}

/* The verdict and its three reasons from the figures already in r. */
static void decide(tr_ab_result *r, double alpha)
{
    const tr_dm_result *d = &r->dm;
    int dm_b = r->dm_p_two < alpha && d->mean_diff > 0;
    int dm_a = r->dm_p_two < alpha && d->mean_diff < 0;
    int sh_b = r->ci_low > 0, sh_a = r->ci_high < 0;
    if (d->mean_diff == 0)
        snprintf(r->reasons[0], 320, "the two models have the same loss on every one of the "
                 "%d bars (difference exactly 0)", r->n);
    else
        snprintf(r->reasons[0], 320, "%s's mean loss is lower by %.4g (A %.5g, B %.5g); the "
                 "Diebold-Mariano test gives p = %.3g (two-sided), %s alpha %.2g",
                 d->mean_diff > 0 ? "B" : "A", fabs(d->mean_diff), r->loss_a, r->loss_b,
                 r->dm_p_two, r->dm_p_two < alpha ? "below" : "not below", alpha);
    snprintf(r->reasons[1], 320, "Sharpe ratio B - A = %.4g, %.0f %% interval [%.4g, %.4g] "
             "(stationary block bootstrap, %d replicates, mean block %.1f bars): %s",
             r->sharpe_diff, 100 * (1 - alpha), r->ci_low, r->ci_high, r->n_boot, r->mean_block,
             sh_b ? "B trades better" : sh_a ? "A trades better" : "the interval holds 0");
    if (dm_b && !sh_a) {
        r->verdict = TR_AB_B_BETTER;
        snprintf(r->reasons[2], 320, "B is better: its loss is significantly lower and its "
                 "Sharpe ratio is not significantly worse");
    } else if (dm_a && !sh_b) {
        r->verdict = TR_AB_A_BETTER;
        snprintf(r->reasons[2], 320, "A is better: its loss is significantly lower and its "
                 "Sharpe ratio is not significantly worse");
    } else {
        r->verdict = TR_AB_NO_DIFFERENCE;
        snprintf(r->reasons[2], 320, "%s", (dm_b && sh_a) || (dm_a && sh_b)
                 ? "no difference: the loss test and the Sharpe interval point opposite ways"
                 : "no difference: the loss test is not significant");
    }
}

int tr_ab_compare(const double *loss_a, const double *loss_b, const double *ret_a,
                  const double *ret_b, int n, const tr_ab_config *c, gsl_rng *rng,
                  tr_ab_result *r, char err[256])
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < n; i++)
        if (!isfinite(ret_a[i]) || !isfinite(ret_b[i])) {
            snprintf(err, 256, "A/B: return of bar %d is not finite", i);
            return -1;
        }
    if (tr_diebold_mariano(loss_a, loss_b, n, c->dm_lag, &r->dm, err))
        return -1;
    r->n = n;
    const tr_dm_result *d = &r->dm;
    r->dm_p_two = d->mean_diff == 0 ? 1.0
                  : d->se > 0 ? 2 * fmin(gsl_cdf_ugaussian_P(d->stat), gsl_cdf_ugaussian_Q(d->stat))
                              : 0.0;
    r->loss_a = gsl_stats_mean(loss_a, 1, (size_t)n);
    r->loss_b = gsl_stats_mean(loss_b, 1, (size_t)n);
    r->sharpe_a = c->annualize * tr_sharpe(ret_a, n);
    r->sharpe_b = c->annualize * tr_sharpe(ret_b, n);
    r->sharpe_diff = r->sharpe_b - r->sharpe_a;
    r->mean_block = c->mean_block > 0 ? c->mean_block : fmax(1.0, cbrt((double)n));
    r->n_boot = c->n_boot;
    double *diffs = malloc((size_t)c->n_boot * sizeof *diffs);
    if (!diffs) {
        snprintf(err, 256, "A/B: out of memory");
        return -1;
    }
    if (tr_ab_bootstrap(ret_a, ret_b, n, r->mean_block, c->n_boot, rng, diffs, err)) {
        free(diffs);
        return -1;
    }
    for (int b = 0; b < c->n_boot; b++)
        diffs[b] *= c->annualize;
    gsl_sort(diffs, 1, (size_t)c->n_boot);
    r->ci_low = gsl_stats_quantile_from_sorted_data(diffs, 1, (size_t)c->n_boot, c->alpha / 2);
    r->ci_high = gsl_stats_quantile_from_sorted_data(diffs, 1, (size_t)c->n_boot,
                                                     1 - c->alpha / 2);
    free(diffs);
    decide(r, c->alpha);
    return 0;
}
