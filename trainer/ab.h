/*
 * ab.h - champion against challenger: the paired statistics of two models'
 * predictions on the same bars (`seqtune ab`, issue 16).
 *
 *   tr_ab_bar           one bar's loss and strategy return for a prediction
 *                       (log loss of the direction, class log loss, or squared
 *                       error of the predicted log return; position from the
 *                       prediction's sign times the next bar's log return)
 *   tr_sharpe           per-bar Sharpe ratio mean / sample sd
 *   tr_ab_bootstrap     stationary block bootstrap (Politis and Romano, 1994) of
 *                       Sharpe(B) - Sharpe(A): blocks of geometric length with
 *                       mean L start at uniform bars and wrap around the end; the
 *                       same resampled bars for both models (paired)
 *   tr_ab_compare       the Diebold-Mariano test of loss(A) - loss(B)
 *                       (trainer/selection.h, Newey-West), the bootstrap
 *                       interval, and the verdict with its reasons
 *
 * The verdict: B is better when the DM test says B's loss is lower (two-sided
 * p < alpha) and the Sharpe difference's interval does not lie below 0; A is
 * better in the mirror case; otherwise no difference. Identical series give a
 * difference of exactly 0, p = 1 and the interval [0, 0].
 *
 * Double precision; every random draw from the caller's seeded GSL generator.
 */
#ifndef TR_AB_H
#define TR_AB_H

#include "trainer/selection.h"

#include <gsl/gsl_rng.h>

enum { TR_AB_A_BETTER = -1, TR_AB_NO_DIFFERENCE = 0, TR_AB_B_BETTER = 1 };

/* "a_better", "no_difference", "b_better". */
const char *tr_ab_verdict_name(int verdict);

/* The target a loss is computed for. */
typedef enum { TR_AB_DIRECTION, TR_AB_MULTICLASS, TR_AB_RETURN } tr_ab_target;

/*
 * The loss and the strategy return of one bar. `out` is the model's output for
 * the window ending at the bar (n_out values: P(up); or P(down), P(flat), P(up);
 * or the predicted log return), `fwd` the realised log return over the horizon,
 * `next` the next bar's log return. Direction: y = fwd > 0 (fwd == 0 gives NaN:
 * no label), loss -[y ln p + (1-y) ln(1-p)] with p clipped to [1e-7, 1 - 1e-7],
 * position +1 above 0.5, -1 below, 0 at it. Multiclass: class down / flat / up by
 * fwd against +-deadband, loss -ln p_class, position by P(up) - P(down).
 * Return: loss (out - fwd)^2, position sign(out).
 */
void tr_ab_bar(tr_ab_target t, const float *out, double deadband, double fwd, double next,
               double *loss, double *ret);

/* mean / sample sd of r[0..n); 0 when n < 2 or the sd is 0. */
double tr_sharpe(const double *r, int n);

/*
 * n_boot replicates of Sharpe(rb*) - Sharpe(ra*) over the stationary bootstrap
 * with mean block length mean_block >= 1 (1: the i.i.d. bootstrap), written to
 * diffs (n_boot). Needs n >= 2. 0, or -1 with err.
 */
int tr_ab_bootstrap(const double *ra, const double *rb, int n, double mean_block, int n_boot,
                    gsl_rng *rng, double *diffs, char err[256]);

typedef struct tr_ab_config {
    double alpha;       /* 0.05: the DM test's two-sided level; 1 - alpha interval */
    int n_boot;         /* 2000 bootstrap replicates */
    double mean_block;  /* <= 0: n^(1/3) */
    int dm_lag;         /* < 0: the Newey-West default of tr_diebold_mariano */
    double annualize;   /* Sharpe figures are multiplied by it (1: per bar) */
} tr_ab_config;

void tr_ab_config_default(tr_ab_config *c);

#define TR_AB_REASONS 3

typedef struct tr_ab_result {
    int n;
    tr_dm_result dm;            /* on loss_a - loss_b: mean_diff > 0 means B's loss is lower */
    double dm_p_two;            /* two-sided p-value */
    double loss_a, loss_b;      /* mean losses */
    double sharpe_a, sharpe_b;  /* annualized as configured */
    double sharpe_diff;         /* sharpe_b - sharpe_a */
    double ci_low, ci_high;     /* the bootstrap's percentile interval of sharpe_diff */
    double mean_block;
    int n_boot;
    int verdict;                /* TR_AB_* */
    char reasons[TR_AB_REASONS][320];
} tr_ab_result;

/* Compares the paired series (n bars, finite) as described at the top.
 * 0, or -1 with err. */
int tr_ab_compare(const double *loss_a, const double *loss_b, const double *ret_a,
                  const double *ret_b, int n, const tr_ab_config *c, gsl_rng *rng,
                  tr_ab_result *r, char err[256]);

#endif
