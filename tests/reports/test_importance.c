/*
 * test_importance.c - PED-ANOVA importance: a hand-computed categorical case, a
 * synthetic objective where one numeric parameter dominates, one where a
 * categorical parameter dominates, direction symmetry, bad input, and a
 * conditional parameter scored over the trials where it is present.
 */
#include "reports/importance.h"
#include "tests/check.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

/* Ten trials, y = 0..9; the two best (top set: ceil(0.1*10) -> at least 2) are
 * category 0, all others category 1. Smoothed: p_all = (3/12, 9/12),
 * p_top = (3/4, 1/4), so D = 1/4 (3 - 1)^2 + 3/4 (1/3 - 1)^2 = 4/3. */
static void test_hand_computed(void)
{
    double x[10], y[10], imp[1], raw[1];
    for (int i = 0; i < 10; i++) {
        y[i] = i;
        x[i] = i < 2 ? 0 : 1;
    }
    int cat[1] = {1}, ncat[1] = {2};
    char err[256];
    CHECK_INT(rep_importance_ped_anova(x, y, 10, 1, cat, ncat, 0, imp, raw, err), 0);
    CHECK_NEAR(raw[0], 4.0 / 3.0, 1e-12);
    CHECK_NEAR(imp[0], 1.0, 1e-12);
    /* Maximizing with y reversed ranks the same trials first. */
    for (int i = 0; i < 10; i++)
        y[i] = -i;
    CHECK_INT(rep_importance_ped_anova(x, y, 10, 1, cat, ncat, 1, imp, raw, err), 0);
    CHECK_NEAR(raw[0], 4.0 / 3.0, 1e-12);
}

static void test_numeric_dominates(gsl_rng *r)
{
    enum { N = 400, P = 4 };
    static double x[N * P], y[N];
    for (int i = 0; i < N; i++) {
        double a = gsl_rng_uniform(r), b = gsl_rng_uniform(r);
        double c = (double)gsl_rng_uniform_int(r, 3), d = -4 + 2 * gsl_rng_uniform(r);
        x[i * P + 0] = b;  /* weak */
        x[i * P + 1] = a;  /* dominant */
        x[i * P + 2] = c;  /* categorical, no effect */
        x[i * P + 3] = d;  /* log10 of a learning rate, no effect */
        y[i] = 10 * (a - 0.3) * (a - 0.3) + 0.2 * b + gsl_ran_gaussian(r, 0.05);
    }
    int cat[P] = {0, 0, 1, 0}, ncat[P] = {0, 0, 3, 0};
    double imp[P], raw[P];
    char err[256];
    CHECK_INT(rep_importance_ped_anova(x, y, N, P, cat, ncat, 0, imp, raw, err), 0);
    double sum = imp[0] + imp[1] + imp[2] + imp[3];
    CHECK_NEAR(sum, 1.0, 1e-12);
    CHECK_MSG(imp[1] > 0.6, "dominant parameter importance %.3f (others %.3f %.3f %.3f)", imp[1],
              imp[0], imp[2], imp[3]);
    for (int j = 0; j < P; j++)
        if (j != 1)
            CHECK_MSG(imp[1] > 4 * imp[j], "dominant %.3f vs column %d %.3f", imp[1], j, imp[j]);
    CHECK_MSG(imp[2] < 0.15 && imp[3] < 0.15, "irrelevant columns %.3f %.3f", imp[2], imp[3]);
}

static void test_categorical_dominates(gsl_rng *r)
{
    enum { N = 300, P = 2 };
    static double x[N * P], y[N];
    for (int i = 0; i < N; i++) {
        int c = (int)gsl_rng_uniform_int(r, 4);
        double a = gsl_rng_uniform(r);
        x[i * P + 0] = a;
        x[i * P + 1] = c;
        y[i] = (c == 2 ? 0.0 : 1.0) + 0.05 * a + gsl_ran_gaussian(r, 0.02);
    }
    int cat[P] = {0, 1}, ncat[P] = {0, 4};
    double imp[P];
    char err[256];
    CHECK_INT(rep_importance_ped_anova(x, y, N, P, cat, ncat, 0, imp, NULL, err), 0);
    CHECK_MSG(imp[1] > 0.7, "categorical importance %.3f, numeric %.3f", imp[1], imp[0]);
}

/* Same distribution in the top set and overall (the parameter is independent of
 * the objective, and a 3-valued integer, like `layers`): importance near 0
 * against a parameter that matters, for a large study. */
static void test_irrelevant_discrete(gsl_rng *r)
{
    enum { N = 5000, P = 2 };
    static double x[N * P], y[N];
    for (int i = 0; i < N; i++) {
        double a = gsl_rng_uniform(r);
        x[i * P + 0] = 1 + (double)gsl_rng_uniform_int(r, 3);
        x[i * P + 1] = a;
        y[i] = (a - 0.5) * (a - 0.5) + gsl_ran_gaussian(r, 0.01);
    }
    double imp[P], raw[P];
    char err[256];
    CHECK_INT(rep_importance_ped_anova(x, y, N, P, NULL, NULL, 0, imp, raw, err), 0);
    CHECK_MSG(imp[0] < 0.05, "irrelevant 3-valued parameter scores %.3f (raw %.4f vs %.4f)",
              imp[0], raw[0], raw[1]);
}

static void test_bad_input(void)
{
    double x[3] = {0, 1, 2}, y[3] = {1, 2, 3}, imp[1];
    char err[256] = "";
    CHECK(rep_importance_ped_anova(x, y, 3, 1, NULL, NULL, 0, imp, NULL, err) < 0);
    CHECK_STR_CONTAINS(err, "at least 4");
    double x5[5] = {0, 1, 2, 3, 7}, y5[5] = {1, 2, NAN, 3, 4};
    CHECK(rep_importance_ped_anova(x5, y5, 5, 1, NULL, NULL, 0, imp, NULL, err) < 0);
    CHECK_STR_CONTAINS(err, "row 2");
    double y5ok[5] = {1, 2, 3, 4, 5};
    int cat[1] = {1}, ncat[1] = {3};
    CHECK(rep_importance_ped_anova(x5, y5ok, 5, 1, cat, ncat, 0, imp, NULL, err) < 0);
    CHECK_STR_CONTAINS(err, "out of range");
    /* A constant parameter has importance 0 and no division by zero. */
    double xc[5] = {1, 1, 1, 1, 1};
    CHECK_INT(rep_importance_ped_anova(xc, y5ok, 5, 1, NULL, NULL, 0, imp, NULL, err), 0);
    CHECK_NEAR(imp[0], 0.0, 0);
}

/* A conditional parameter (NaN where inactive) is scored over the trials that
 * have it: its divergence equals PED-ANOVA on those trials alone, it dominates
 * when the objective depends on it there, and a parameter present in 3 trials
 * scores 0. Columns: layers (1-4), units_3 (present when layers >= 3, y falls
 * with it there), rare (present in 3 trials). */
static void test_conditional_over_present_trials(gsl_rng *r)
{
    enum { N = 200, P = 3 };
    double x[N * P], y[N], imp[P], raw[P], sub_x[N], sub_y[N], sub_raw[1], sub_imp[1];
    int m = 0, present = 0;
    for (int i = 0; i < N; i++) {
        double layers = 1 + gsl_rng_uniform_int(r, 4), u = gsl_rng_uniform(r);
        x[i * P] = layers;
        x[i * P + 1] = layers >= 3 ? u : NAN;
        x[i * P + 2] = i % 70 == 0 ? gsl_rng_uniform(r) : NAN;
        present += i % 70 == 0;
        y[i] = 1.0 + (layers >= 3 ? u : 0.5) + 0.05 * gsl_rng_uniform(r);
        if (layers >= 3) {
            sub_x[m] = u;
            sub_y[m++] = y[i];
        }
    }
    char err[256] = "";
    CHECK_INT(rep_importance_ped_anova(x, y, N, P, NULL, NULL, 0, imp, raw, err), 0);
    CHECK_INT(rep_importance_ped_anova(sub_x, sub_y, m, 1, NULL, NULL, 0, sub_imp, sub_raw, err), 0);
    CHECK_MSG(fabs(raw[1] - sub_raw[0]) <= 1e-12 * sub_raw[0],
              "units_3 over its %d trials: %.6g, alone %.6g", m, raw[1], sub_raw[0]);
    CHECK_MSG(imp[1] > imp[0], "units_3 %.3f should outrank layers %.3f", imp[1], imp[0]);
    CHECK_INT(present, 3);
    CHECK_NEAR(raw[2], 0.0, 0);
}

int main(void)
{
    gsl_set_error_handler_off();
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    test_hand_computed();
    test_numeric_dominates(r);
    test_categorical_dominates(r);
    test_irrelevant_discrete(r);
    test_bad_input();
    test_conditional_over_present_trials(r);
    gsl_rng_free(r);
    return check_done();
}
