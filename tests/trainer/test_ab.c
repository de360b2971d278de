/*
 * test_ab.c - the A/B statistics (trainer/ab.h) against independent references:
 *   - identical series: a difference of exactly 0, p = 1, the interval [0, 0],
 *     no_difference;
 *   - swapping A and B with the same seed negates every replicate, so the
 *     interval mirrors (to rounding) and the verdict flips;
 *   - per-bar losses and positions against hand-computed values;
 *   - the bootstrap's spread of the Sharpe difference of two independent
 *     i.i.d. normal series against the asymptotic standard error
 *     sqrt((1 + SR_a^2 / 2) / n + (1 + SR_b^2 / 2) / n) (Lo, 2002);
 *   - the 95 % interval covers the true Sharpe difference in about 95 % of
 *     200 independent samples (binomial bounds 88 %..99 %);
 *   - on AR(1) returns (phi 0.5) the block bootstrap's spread is wider than
 *     the i.i.d. bootstrap's (L = 1), as serial correlation demands;
 *   - the two-sided DM p-value is 2 (1 - Phi(|stat|)) computed with erfc.
 */
#include "tests/check.h"
#include "trainer/ab.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>

static char err[256];

static void test_self_gives_exactly_zero(void)
{
    enum { N = 400 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    double loss[N], ret[N];
    for (int i = 0; i < N; i++) {
        loss[i] = 0.69 + 0.05 * gsl_ran_gaussian(r, 1);
        ret[i] = 0.01 * gsl_ran_gaussian(r, 1);
    }
    tr_ab_config c;
    tr_ab_config_default(&c);
    tr_ab_result res;
    CHECK(tr_ab_compare(loss, loss, ret, ret, N, &c, r, &res, err) == 0);
    CHECK(res.dm.mean_diff == 0.0);
    CHECK(res.sharpe_diff == 0.0);
    CHECK(res.ci_low == 0.0 && res.ci_high == 0.0);
    CHECK(res.dm_p_two == 1.0);
    CHECK_INT(res.verdict, TR_AB_NO_DIFFERENCE);
    CHECK_STR_CONTAINS(res.reasons[0], "difference exactly 0");
    gsl_rng_free(r);
}

static void test_swap_mirrors_interval_and_verdict(void)
{
    enum { N = 600 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    double la[N], lb[N], ra[N], rb[N];
    for (int i = 0; i < N; i++) {
        la[i] = 0.70 + 0.05 * gsl_ran_gaussian(r, 1);
        lb[i] = 0.66 + 0.05 * gsl_ran_gaussian(r, 1);   /* B clearly lower loss */
        ra[i] = 0.01 * gsl_ran_gaussian(r, 1);
        rb[i] = 0.002 + 0.01 * gsl_ran_gaussian(r, 1);  /* B trades better */
    }
    tr_ab_config c;
    tr_ab_config_default(&c);
    tr_ab_result ab, ba;
    gsl_rng_set(r, 11);
    CHECK(tr_ab_compare(la, lb, ra, rb, N, &c, r, &ab, err) == 0);
    gsl_rng_set(r, 11);
    CHECK(tr_ab_compare(lb, la, rb, ra, N, &c, r, &ba, err) == 0);
    CHECK_INT(ab.verdict, TR_AB_B_BETTER);
    CHECK_INT(ba.verdict, TR_AB_A_BETTER);
    /* the replicates negate exactly; the percentile interpolation may differ in
     * the last bits */
    CHECK_MSG(fabs(ab.ci_low + ba.ci_high) < 1e-12 && fabs(ab.ci_high + ba.ci_low) < 1e-12,
              "interval [%g, %g] vs swapped [%g, %g]", ab.ci_low, ab.ci_high, ba.ci_low,
              ba.ci_high);
    CHECK(ab.sharpe_diff == -ba.sharpe_diff);
    CHECK_NEAR(ab.dm_p_two, ba.dm_p_two, 1e-12);
    CHECK(ab.ci_low > 0);
    /* the two-sided p-value from the statistic, by erfc */
    CHECK_NEAR(ab.dm_p_two, erfc(fabs(ab.dm.stat) / sqrt(2.0)), 1e-9);
    gsl_rng_free(r);
}

static void test_bar_loss_and_position(void)
{
    double loss, ret;
    float p[3] = {0.8f, 0, 0};
    tr_ab_bar(TR_AB_DIRECTION, p, 0, 0.01, 0.002, &loss, &ret);
    CHECK_NEAR(loss, -log(0.8), 1e-6);
    CHECK_NEAR(ret, 0.002, 1e-15);
    tr_ab_bar(TR_AB_DIRECTION, p, 0, -0.01, -0.002, &loss, &ret);
    CHECK_NEAR(loss, -log(0.2), 1e-6);
    CHECK_NEAR(ret, -0.002, 1e-15);
    p[0] = 0.3f;
    tr_ab_bar(TR_AB_DIRECTION, p, 0, 0.0, 0.004, &loss, &ret);
    CHECK(isnan(loss));   /* a flat bar has no direction label */
    CHECK_NEAR(ret, -0.004, 1e-15);
    p[0] = 0.5f;
    tr_ab_bar(TR_AB_DIRECTION, p, 0, 0.01, 0.004, &loss, &ret);
    CHECK(ret == 0.0);
    float q[3] = {0.2f, 0.3f, 0.5f};
    tr_ab_bar(TR_AB_MULTICLASS, q, 0.001, 0.0005, 0.003, &loss, &ret);
    CHECK_NEAR(loss, -log(0.3), 1e-6);   /* inside the deadband: flat */
    CHECK_NEAR(ret, 0.003, 1e-15);       /* P(up) > P(down): long */
    tr_ab_bar(TR_AB_MULTICLASS, q, 0.001, -0.002, 0.003, &loss, &ret);
    CHECK_NEAR(loss, -log(0.2), 1e-6);
    float v[1] = {-0.003f};
    tr_ab_bar(TR_AB_RETURN, v, 0, 0.001, 0.002, &loss, &ret);
    CHECK_NEAR(loss, (-0.003 - 0.001) * (-0.003 - 0.001), 1e-9);
    CHECK_NEAR(ret, -0.002, 1e-15);
}

/* The sd of n_boot bootstrap replicates of two series with mean block L. */
static double boot_sd(const double *a, const double *b, int n, double L, gsl_rng *r)
{
    enum { NB = 2000 };
    static double d[NB];
    if (tr_ab_bootstrap(a, b, n, L, NB, r, d, err))
        return NAN;
    return gsl_stats_sd(d, 1, NB);
}

static void test_bootstrap_spread_matches_asymptotic_se(void)
{
    enum { N = 1000 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 17);
    static double a[N], b[N];
    for (int i = 0; i < N; i++) {
        a[i] = gsl_ran_gaussian(r, 1);
        b[i] = 0.1 + gsl_ran_gaussian(r, 1);
    }
    double sa = tr_sharpe(a, N), sb = tr_sharpe(b, N);
    double se = sqrt((1 + sa * sa / 2) / N + (1 + sb * sb / 2) / N);
    double sd = boot_sd(a, b, N, 1, r);
    fprintf(stderr, "i.i.d. bootstrap sd %.5f, asymptotic se %.5f\n", sd, se);
    CHECK_MSG(fabs(sd / se - 1) < 0.12, "i.i.d. bootstrap sd %.5f vs asymptotic se %.5f", sd, se);
    sd = boot_sd(a, b, N, 10, r);
    CHECK_MSG(fabs(sd / se - 1) < 0.15, "block bootstrap (L 10) sd %.5f vs asymptotic se %.5f",
              sd, se);
    gsl_rng_free(r);
}

static void test_interval_covers_true_difference(void)
{
    enum { N = 300, REPS = 200 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 23);
    static double la[N], lb[N], a[N], b[N];
    tr_ab_config c;
    tr_ab_config_default(&c);
    c.n_boot = 1000;
    c.mean_block = 1;
    int covered = 0;
    for (int k = 0; k < REPS; k++) {
        for (int i = 0; i < N; i++) {
            la[i] = lb[i] = 0;
            a[i] = gsl_ran_gaussian(r, 1);
            b[i] = 0.2 + gsl_ran_gaussian(r, 1);   /* true Sharpe difference 0.2 */
        }
        tr_ab_result res;
        if (tr_ab_compare(la, lb, a, b, N, &c, r, &res, err) == 0)
            covered += res.ci_low <= 0.2 && 0.2 <= res.ci_high;
    }
    fprintf(stderr, "the 95 %% interval covered the truth %d of %d times\n", covered, REPS);
    CHECK_MSG(covered >= 176 && covered <= 198, "the interval covered the truth %d of %d times",
              covered, REPS);
    gsl_rng_free(r);
}

static void test_block_bootstrap_widens_under_serial_correlation(void)
{
    enum { N = 2000 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 29);
    static double a[N], b[N];
    double xa = 0, xb = 0;
    for (int i = 0; i < N; i++) {
        xa = 0.5 * xa + gsl_ran_gaussian(r, 1);
        xb = 0.5 * xb + gsl_ran_gaussian(r, 1);
        a[i] = xa;
        b[i] = 0.05 + xb;
    }
    double iid = boot_sd(a, b, N, 1, r), block = boot_sd(a, b, N, 20, r);
    /* the long-run variance of an AR(1) mean is (1 + phi) / (1 - phi) = 3 times the
     * i.i.d. one: the sd ratio is about sqrt(3) = 1.73 */
    fprintf(stderr, "AR(1): block sd %.4f / i.i.d. sd %.4f = %.3f\n", block, iid, block / iid);
    CHECK_MSG(block / iid > 1.35 && block / iid < 2.1, "block sd %.4f, i.i.d. sd %.4f (ratio %.3f)",
              block, iid, block / iid);
    gsl_rng_free(r);
}

static void test_rejects_bad_input(void)
{
    double x[2] = {0, 1}, d[1];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    CHECK(tr_ab_bootstrap(x, x, 1, 2, 1, r, d, err) == -1);
    CHECK_STR_CONTAINS(err, "need >= 2 bars");
    CHECK(tr_ab_bootstrap(x, x, 2, 0.5, 1, r, d, err) == -1);
    double bad[2] = {0, NAN};
    tr_ab_config c;
    tr_ab_config_default(&c);
    tr_ab_result res;
    CHECK(tr_ab_compare(x, x, x, bad, 2, &c, r, &res, err) == -1);
    CHECK_STR_CONTAINS(err, "not finite");
    gsl_rng_free(r);
}

int main(void)
{
    test_self_gives_exactly_zero();
    test_swap_mirrors_interval_and_verdict();
    test_bar_loss_and_position();
    test_bootstrap_spread_matches_asymptotic_se();
    test_interval_covers_true_difference();
    test_block_bootstrap_widens_under_serial_correlation();
    test_rejects_bad_input();
    return check_done();
}
