/*
 * feature_importance.h - the report's "Input importance" section: the best
 * model's permutation importance of each input feature, as the study's result
 * stores it ("permutation_importance", experiments/feature_importance.h),
 * drawn beside the hyperparameter importance.
 */
#ifndef REP_FEATURE_IMPORTANCE_H
#define REP_FEATURE_IMPORTANCE_H

#include "reports/buf.h"
#include "reports/edge.h"

/* Section id "feature-importance" ("feature-importance-<k+1>" after the first
 * study): bars of the mean loss increase (negative means drawn as 0) and a
 * table of mean and sd; nothing when e is NULL or its result has none. name
 * is escaped. */
void rep_feature_importance_section(rep_buf *b, const rep_edge *e, const char *name, int k);

#endif
