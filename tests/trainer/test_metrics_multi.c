/*
 * test_metrics_multi - three-class scores and baselines against numbers worked
 * out by hand, and the baselines' behaviour on tasks with known answers.
 *
 * - 8 samples with a known confusion matrix: accuracy 5/8, balanced accuracy
 *   (2/3 + 1/2 + 2/3)/3, macro-F1 (F1 per class from tp/support/predicted), log
 *   loss the mean of -log p[y] (with a clipped 0), confusion [label][predicted].
 * - A class that is never the label nor predicted does not enter the means.
 * - Bad labels (3, -1, 0.5, NaN) are refused.
 * - Majority baseline: the training frequencies as probabilities; its accuracy is
 *   the test share of the training majority class.
 * - Softmax baseline: on three linearly separable classes in 2-D it reaches > 95 %
 *   test accuracy; on labels independent of the features it stays near chance
 *   and its log loss near log 3.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/check.h"
#include "trainer/metrics_multi.h"

int main(void)
{
    gsl_set_error_handler_off();
    char err[256];
    /* labels and argmax predictions: 0->0, 0->0, 0->2, 1->1, 1->0, 2->2, 2->2, 2->1 */
    const double y[8] = {0, 0, 0, 1, 1, 2, 2, 2};
    const double p[24] = {0.7, 0.2, 0.1,  0.5, 0.3, 0.2,  0.2, 0.2, 0.6,
                          0.1, 0.8, 0.1,  0.6, 0.3, 0.1,  0.1, 0.1, 0.8,
                          0.3, 0.0, 0.7,  0.2, 0.5, 0.3};
    tr_multiclass_metrics m;
    CHECK(tr_metrics_multiclass(p, y, 8, 3, &m, err) == 0);
    CHECK_NEAR(m.accuracy, 5.0 / 8, 1e-12);
    CHECK_NEAR(m.balanced_accuracy, (2.0 / 3 + 1.0 / 2 + 2.0 / 3) / 3, 1e-12);
    /* class 0: tp 2, support 3, predicted 3 -> F1 2/3; class 1: tp 1, support 2,
     * predicted 2 -> 1/2; class 2: tp 2, support 3, predicted 3 -> 2/3 */
    CHECK_NEAR(m.macro_f1, (2.0 / 3 + 0.5 + 2.0 / 3) / 3, 1e-12);
    double ll = -(log(0.7) + log(0.5) + log(0.2) + log(0.8) + log(0.3) + log(0.8) +
                  log(0.7) + log(0.3)) / 8;
    CHECK_NEAR(m.log_loss, ll, 1e-12);
    const int want[3][3] = {{2, 0, 1}, {1, 1, 0}, {0, 1, 2}};
    int same = 1;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            same &= m.confusion[i][j] == want[i][j];
    CHECK_MSG(same, "confusion matrix differs");
    CHECK_INT(m.n, 8);

    /* the zero probability is clipped to 1e-15 */
    const double y1[1] = {1};
    CHECK(tr_metrics_multiclass(p + 18, y1, 1, 3, &m, err) == 0);
    CHECK_NEAR(m.log_loss, -log(1e-15), 1e-9);

    /* four classes, class 3 absent everywhere: the means are over classes 0..2 */
    const double p4[12] = {0.9, 0.05, 0.05, 0, 0.1, 0.8, 0.1, 0, 0.1, 0.1, 0.8, 0};
    const double y4[3] = {0, 1, 2};
    CHECK(tr_metrics_multiclass(p4, y4, 3, 4, &m, err) == 0);
    CHECK_NEAR(m.balanced_accuracy, 1.0, 1e-12);
    CHECK_NEAR(m.macro_f1, 1.0, 1e-12);

    const double bad[4] = {3, -1, 0.5, NAN};
    for (int i = 0; i < 4; i++) {
        double yb[1] = {bad[i]};
        CHECK_MSG(tr_metrics_multiclass(p, yb, 1, 3, &m, err) == -1, "label %g accepted", bad[i]);
    }

    /* majority: training 0,2,2,2,1 -> predicts (0.2, 0.2, 0.6), argmax 2 */
    const double ytr[5] = {0, 2, 2, 2, 1}, yte[4] = {2, 2, 0, 1};
    CHECK(tr_baseline_majority_multi(ytr, 5, yte, 4, 3, &m, err) == 0);
    CHECK_NEAR(m.accuracy, 0.5, 1e-12);
    CHECK_NEAR(m.log_loss, -(2 * log(0.6) + log(0.2) + log(0.2)) / 4, 1e-12);
    CHECK_NEAR(m.balanced_accuracy, 1.0 / 3, 1e-12);

    /* softmax baseline: separable classes by the angle of (x0, x1) */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    enum { N = 600 };
    float *x = malloc(sizeof *x * N * 2), *lab = malloc(sizeof *lab * N), *noise = malloc(sizeof *noise * N);
    int *tr = malloc(sizeof *tr * N), *te = malloc(sizeof *te * N);
    for (int i = 0; i < N; i++) {
        int k = i % 3;
        double cx[3] = {-2, 0, 2}, cy[3] = {0, 2, 0};
        x[2 * i] = (float)(cx[k] + gsl_ran_gaussian(rng, 0.4));
        x[2 * i + 1] = (float)(cy[k] + gsl_ran_gaussian(rng, 0.4));
        lab[i] = (float)k;
        noise[i] = (float)gsl_rng_uniform_int(rng, 3);
    }
    int ntr = 0, nte = 0;
    for (int i = 0; i < N; i++) {
        if (i < 400)
            tr[ntr++] = i;
        else
            te[nte++] = i;
    }
    tr_windows wtr = {x, lab, tr, ntr, 1, 2}, wte = {x, lab, te, nte, 1, 2};
    double *pt = malloc(sizeof *pt * nte * 3);
    CHECK(tr_baseline_softmax(&wtr, &wte, 3, &m, pt, err) == 0);
    printf("softmax baseline, separable: accuracy %.3f macro-F1 %.3f log loss %.3f\n",
           m.accuracy, m.macro_f1, m.log_loss);
    CHECK_MSG(m.accuracy > 0.95, "accuracy %.3f", m.accuracy);
    double rowsum = pt[0] + pt[1] + pt[2];
    CHECK_NEAR(rowsum, 1.0, 1e-9);
    tr_windows ntrw = {x, noise, tr, ntr, 1, 2}, ntew = {x, noise, te, nte, 1, 2};
    CHECK(tr_baseline_softmax(&ntrw, &ntew, 3, &m, NULL, err) == 0);
    printf("softmax baseline, noise labels: accuracy %.3f log loss %.3f (log 3 = %.3f)\n",
           m.accuracy, m.log_loss, log(3.0));
    CHECK_MSG(m.accuracy < 0.45, "accuracy %.3f on noise", m.accuracy);
    CHECK_MSG(fabs(m.log_loss - log(3.0)) < 0.05, "log loss %.3f on noise", m.log_loss);

    free(x); free(lab); free(noise); free(tr); free(te); free(pt);
    gsl_rng_free(rng);
    return check_done();
}
