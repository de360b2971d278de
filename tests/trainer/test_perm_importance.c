/*
 * test_perm_importance.c - permutation importance (trainer/perm_importance.h)
 * on a series built for it: five input columns of seeded Gaussian noise, of
 * which column 2 (the planted feature) decides the label: y at bar t is 1 when
 * x2[t] + x2[t-1] > 0. An LSTM trained on the first 2500 windows, importance
 * measured over the next 1000 ("test span", 5 permutations):
 *  - the planted feature ranks first, its loss increase > 0.2 and more than 10
 *    times every noise feature's; the noise features' mean increases are
 *    within 3 spreads (plus 0.01) of zero;
 *  - the same seed gives the same numbers, bit for bit;
 *  - every row outside the test windows (the training rows and a "holdout"
 *    after them) poisoned with NaN changes nothing: the function reads the
 *    windows it is given and nothing else;
 *  - a two-column group (columns 1-2) is permuted together, bad groups and
 *    fewer than 2 windows are refused.
 */
#include "tests/check.h"
#include "trainer/fit.h"
#include "trainer/lstm.h"
#include "trainer/perm_importance.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

enum { R = 4000, F = 5, T = 6, PLANT = 2, NTRAIN = 2500, NTEST = 1000 };

static float x[R * F], y[R];
static int ends[R];

int main(void)
{
    gsl_set_error_handler_off();
    char err[256];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 19);
    for (int i = 0; i < R * F; i++)
        x[i] = (float)gsl_ran_gaussian(rng, 1.0);
    for (int t = 0; t < R; t++)
        y[t] = t > 0 && x[t * F + PLANT] + x[(t - 1) * F + PLANT] > 0 ? 1.0f : 0.0f;
    for (int i = 0; i < R - T + 1; i++)
        ends[i] = T - 1 + i;
    tr_windows train = {x, y, ends, NTRAIN, T, F};
    tr_windows test = {x, y, ends + NTRAIN, NTEST, T, F};

    tr_lstm_config cfg = {.n_features = F, .units = 16, .layers = 1, .seq_len = T,
                          .max_batch = 64, .dropout = 0.0f, .head = TR_HEAD_DIRECTION};
    tr_lstm *m = tr_lstm_new(&cfg, err);
    CHECK_MSG(m != NULL, "%s", err);
    if (!m)
        return check_done();
    tr_fit_options o;
    tr_fit_options_default(&o);
    o.batch_size = 32;
    o.max_epochs = 25;
    o.lr = 5e-3;
    o.patience = 0;
    o.seed = 3;
    tr_fit_result res;
    int rc = tr_fit(m, &train, NULL, &o, &res, err);
    CHECK_MSG(rc == 0, "fit: %s", err);

    int col[F], ncol[F];
    for (int g = 0; g < F; g++) {
        col[g] = g;
        ncol[g] = 1;
    }
    double base, mean[F], sd[F];
    rc = tr_perm_importance(m, &test, col, ncol, F, 5, 42, &base, mean, sd, err);
    CHECK_MSG(rc == 0, "%s", err);
    double worst_noise = 0;
    for (int g = 0; g < F; g++) {
        fprintf(stderr, "column %d%s: loss increase %.4f +- %.4f (base loss %.4f)\n", g,
                g == PLANT ? " (planted)" : "", mean[g], sd[g], base);
        if (g == PLANT)
            continue;
        worst_noise = fmax(worst_noise, fabs(mean[g]));
        CHECK_MSG(fabs(mean[g]) <= 3 * sd[g] + 0.01, "noise column %d: %.4f +- %.4f", g, mean[g],
                  sd[g]);
    }
    CHECK_MSG(base < 0.5, "the model did not learn the planted feature: loss %.4f", base);
    CHECK_MSG(mean[PLANT] > 0.2, "planted feature: increase %.4f", mean[PLANT]);
    CHECK_MSG(mean[PLANT] > 10 * worst_noise, "planted %.4f vs noise up to %.4f", mean[PLANT],
              worst_noise);

    /* Same seed, same numbers. */
    double base2, mean2[F], sd2[F];
    CHECK(tr_perm_importance(m, &test, col, ncol, F, 5, 42, &base2, mean2, sd2, err) == 0);
    CHECK(memcmp(mean, mean2, sizeof mean) == 0 && memcmp(sd, sd2, sizeof sd) == 0 &&
          base == base2);

    /* Everything outside the test windows poisoned: nothing changes. */
    int lo = ends[NTRAIN] - T + 1, hi = ends[NTRAIN + NTEST - 1];
    for (int t = 0; t < R; t++)
        if (t < lo || t > hi) {
            for (int j = 0; j < F; j++)
                x[t * F + j] = NAN;
            y[t] = NAN;
        }
    CHECK(tr_perm_importance(m, &test, col, ncol, F, 5, 42, &base2, mean2, sd2, err) == 0);
    CHECK_MSG(memcmp(mean, mean2, sizeof mean) == 0 && memcmp(sd, sd2, sizeof sd) == 0 &&
              base == base2, "rows outside the test windows changed the importance");

    /* A group of two columns holding the planted one moves together. */
    int gcol[2] = {1, 3}, gn[2] = {2, 2};
    double gm[2], gs[2];
    CHECK(tr_perm_importance(m, &test, gcol, gn, 2, 3, 1, &base2, gm, gs, err) == 0);
    CHECK_MSG(gm[0] > 0.2 && gm[0] > 10 * fabs(gm[1]), "groups: %.4f, %.4f", gm[0], gm[1]);

    /* Refusals. */
    int badcol[1] = {4}, badn[1] = {2};
    CHECK(tr_perm_importance(m, &test, badcol, badn, 1, 3, 1, &base2, gm, gs, err) < 0);
    CHECK_STR_CONTAINS(err, "outside");
    tr_windows one = {x, y, ends + NTRAIN, 1, T, F};
    CHECK(tr_perm_importance(m, &one, col, ncol, F, 3, 1, &base2, mean2, sd2, err) < 0);
    CHECK_STR_CONTAINS(err, "at least 2 windows");

    tr_lstm_free(m);
    gsl_rng_free(rng);
    return check_done();
}
