/*
 * feature_importance.h - the best model's permutation importance of each input
 * feature (trainer's tr_trial_perm_importance, on the walk-forward test spans,
 * never the holdout) in the study's result JSON, and its table for
 * `seqtune best --importance`.
 */
#ifndef EXP_FEATURE_IMPORTANCE_H
#define EXP_FEATURE_IMPORTANCE_H

#include "trainer/trial.h"

#include <cjson/cJSON.h>
#include <stdio.h>

/* Permutations per feature and fold. */
#define EXP_IMPORTANCE_PERMUTATIONS 5

/* Measures it for the parameters p (cfg as the trials ran, its seed the
 * permutations' seed) and adds to r "permutation_importance": {"measured_on":
 * "walk-forward test spans", "n_permutations", "base_loss", "features":
 * [{"feature", "mean", "sd"}, ...]} ordered by mean, largest first. 0, or -1
 * with err. */
int exp_feature_importance(const tr_trial_data *d, const tr_trial_config *cfg,
                           const tr_trial_params *p, cJSON *r, char err[256]);

/* Prints the result's "permutation_importance" as a table; 0, or -1 when the
 * result has none (stores of older seqtunes). */
int exp_feature_importance_print(FILE *out, const cJSON *result);

#endif
