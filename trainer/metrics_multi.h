/*
 * metrics_multi.h - scores of class-probability forecasts with K classes (the
 * three-class target: 0 down, 1 flat, 2 up) and the baselines an LSTM has to
 * beat: the majority class and a multinomial logistic regression.
 */
#ifndef TR_METRICS_MULTI_H
#define TR_METRICS_MULTI_H

#include "trainer/windows.h"

#define TR_MC_MAX_CLASSES 8

typedef struct tr_multiclass_metrics {
    int n;                      /* samples scored */
    int k;                      /* classes */
    double accuracy;            /* argmax (first of ties) equals the label */
    double balanced_accuracy;   /* mean recall over the classes present in y */
    double macro_f1;            /* mean F1 over the classes in y or predicted (F1 = 0
                                   when precision + recall = 0) */
    double log_loss;            /* mean -log p[y], p clipped to [1e-15, 1 - 1e-15] */
    int confusion[TR_MC_MAX_CLASSES][TR_MC_MAX_CLASSES];   /* [label][predicted] */
} tr_multiclass_metrics;

/* Sets every score to NaN and the counts to 0. */
void tr_multiclass_metrics_nan(tr_multiclass_metrics *m);

/* Scores p (n, k) row-major class probabilities against labels y in {0..k-1}
 * (n >= 1, 2 <= k <= TR_MC_MAX_CLASSES). Returns 0, or -1 with err. */
int tr_metrics_multiclass(const double *p, const double *y, int n, int k,
                          tr_multiclass_metrics *m, char err[256]);

/* Majority-class baseline: predicts the training class frequencies as the
 * probabilities of every test sample (so its argmax is the training majority).
 * Returns 0 or -1 with err. */
int tr_baseline_majority_multi(const double *y_train, int n_train, const double *y_test,
                               int n_test, int k, tr_multiclass_metrics *m, char err[256]);

/* Multinomial logistic regression (softmax) on the last bar's scaled features of
 * each window: minimises the mean cross-entropy + 1e-4/2 |W|^2 (weights, not the
 * intercepts) with GSL's BFGS; labels are y[ends[i]] in {0..k-1}. Scored on test;
 * the test probabilities go to p_test (optional, (test->n, k)). 0 or -1 + err. */
int tr_baseline_softmax(const tr_windows *train, const tr_windows *test, int k,
                        tr_multiclass_metrics *m, double *p_test, char err[256]);

#endif
