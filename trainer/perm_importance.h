/*
 * perm_importance.h - permutation importance of a trained model's input
 * features on a set of windows.
 *
 * The caller chooses the windows; seqtune's contract is that they are the
 * walk-forward test spans, never the holdout. The function reads nothing of
 * the feature matrix but the rows of those windows.
 */
#ifndef TR_PERM_IMPORTANCE_H
#define TR_PERM_IMPORTANCE_H

#include "trainer/lstm.h"
#include "trainer/windows.h"

/* For each feature group g (columns col[g] .. col[g] + ncol[g] - 1, so that a
 * sin/cos pair moves together) and each of n_perm seeded permutations pi of
 * the windows: window i gets the group's columns of window pi(i), every other
 * column its own, each window keeping its time order; the mean loss
 * (tr_lstm_eval_loss) minus the unpermuted loss is one draw. mean[g] and
 * sd[g] (sample standard deviation, 0 when n_perm is 1) of the draws go to the
 * caller's arrays (n_groups each); *base gets the unpermuted loss. The same
 * seed gives the same numbers. Returns 0, or -1 with err (shape mismatch,
 * out of memory, fewer than 2 windows). */
int tr_perm_importance(tr_lstm *m, const tr_windows *w, const int *col, const int *ncol,
                       int n_groups, int n_perm, unsigned long seed, double *base,
                       double *mean, double *sd, char err[256]);

#endif
