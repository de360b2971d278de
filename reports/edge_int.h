/*
 * edge_int.h - the layout of rep_edge, shared by edge.c and the synthetic
 * verdict block of the report tests and benchmark (tests/support/); nothing
 * else reads it.
 */
#ifndef REP_EDGE_INT_H
#define REP_EDGE_INT_H

#include "reports/edge.h"

#include <cjson/cJSON.h>

#define EDGE_MAX_FOLDS 16

struct rep_edge {
    cJSON *result;                 /* the study's result (owned) */
    /* the best trial's walk-forward OOS series, all test spans in order */
    int n;
    double *t, *equity, *bh, *drawdown;   /* (n + 1) */
    /* per-epoch losses of each fold of the best trial */
    int n_folds;
    double *train[EDGE_MAX_FOLDS], *val[EDGE_MAX_FOLDS];
    int n_epochs[EDGE_MAX_FOLDS];
};

#endif
