/*
 * model.h - the in-memory picture of a study that reports/ renders. It is plain
 * data (arrays + counts, owned strings) so that a loader from the tracker's read
 * API (rep_study_load, written against tracker/) or a test can fill it directly.
 *
 * Conventions: every `char *` is a heap string owned by the struct (may be NULL =
 * unknown); every array is heap-owned with its count; times are Unix seconds (UTC)
 * as double, NaN = unknown; metric values are double, NaN = not available.
 * rep_study_free releases everything (strings with free(), arrays with free()).
 *
 * A trial's state is the project's one (base/trial_state.h, where its lifecycle
 * is drawn), read straight from the store.
 */
#ifndef REPORTS_MODEL_H
#define REPORTS_MODEL_H

#include "base/trial_state.h"

typedef trial_state rep_state;
/* Objectives of a multi-objective study (the store's TRK_MAX_OBJECTIVES). */
#define REP_MAX_OBJECTIVES 4
#define REP_RUNNING TRIAL_RUNNING
#define REP_COMPLETE TRIAL_COMPLETE
#define REP_PRUNED TRIAL_PRUNED
#define REP_FAIL TRIAL_FAIL
#define REP_N_STATES TRIAL_N_STATES

/* One hyperparameter of a trial. Numeric params set num (text is the printed
 * value); categorical params set num = NaN and text = the choice. */
typedef struct {
    char *key;
    char *text;
    double num;
} rep_param;

typedef struct {
    char *key;
    char *value;
} rep_tag;

typedef struct {
    int number;          /* trial number within the study (0-based, unique) */
    rep_state state;
    double value;        /* objective; NaN when none */
    rep_param *params;
    int n_params;
    double *steps;       /* intermediate value at step i (fold i); NaN = not reported */
    int n_steps;
    double started;      /* Unix seconds; NaN unknown */
    double finished;     /* Unix seconds; NaN while running */
    char *worker;        /* e.g. "rank 3" */
    char *error;         /* FAIL reason; NULL otherwise */
    rep_tag *tags;
    int n_tags;
    int n_values;        /* multi-objective study, COMPLETE: one value per objective */
    double values[REP_MAX_OBJECTIVES];
} rep_trial;

/* Trading + classification metrics on one span. */
typedef struct {
    double sharpe, sortino, total_return, max_drawdown, win_rate;
    double trades, exposure, accuracy, auc, log_loss;
} rep_metrics;

/* One walk-forward fold's spans (Unix seconds, [start, end)). */
typedef struct {
    double train_start, train_end, test_start, test_end;
} rep_fold;

/* What the study found after the search: the refit best trial on the holdout. */
typedef struct {
    int has_result;        /* 0: nothing below is set */
    int best_trial;        /* trial number, -1 none */
    double *fold_values;   /* best trial's objective per fold */
    int n_fold_values;
    rep_metrics holdout;   /* the model on the holdout */
    rep_metrics buy_hold;  /* buy-and-hold on the same holdout */
    rep_metrics majority;  /* baseline: always the majority class */
    rep_metrics logreg;    /* baseline: logistic regression on the same features */
    double dsr;            /* Deflated Sharpe Ratio (probability in [0,1]); NaN none */
    double *curve_t;       /* holdout equity curves: timestamps (Unix s) */
    double *curve_model;   /* equity of the model's strategy (starts at 1) */
    double *curve_bh;      /* equity of buy-and-hold (starts at 1) */
    int n_curve;
    double *fc_t;          /* price target (issue 17): holdout forecast bars (Unix s) */
    double *fc_actual;     /* their actual closes */
    double *fc_pred;       /* the forecast closes */
    int n_fc;
    int dsr_trials;        /* trials the DSR corrects for (0 unknown: use n_trials) */
    double holdout_first;  /* first and last holdout bar (Unix s); NaN unknown */
    double holdout_last;
    int n_holdout;         /* holdout samples scored (0 unknown) */
    int n_refit_train;     /* samples of the refit's training and validation spans */
    int n_refit_val;
    int refit_epochs;      /* epochs the refit trained (0 unknown) */
    double holdout_objective; /* the search metric on the holdout; NaN unknown */
} rep_result;

typedef struct {
    char *name;          /* study name (unique in the store) */
    char *spec_json;     /* the spec as stored (JSON text) */
    char *data_file;     /* candle file path as given in the spec */
    double data_start;   /* first and last candle used (Unix s); NaN unknown */
    double data_end;
    char *fold_layout;   /* free text (e.g. "5 expanding folds, val 15%"); may be NULL */
    char *warm_start;    /* study tag warm_start (search.warm_start's history); may be NULL */
    rep_fold *folds;     /* optional rows; NULL/0 when only text is known */
    int n_folds;
    int maximize;        /* 1 maximize, 0 minimize */
    char *metric;        /* objective name, e.g. "val_log_loss" */
    int n_objectives;    /* recorded objectives: 0 unknown, 1, or 2..4 (Pareto section) */
    char *objective_names[REP_MAX_OBJECTIVES];
    int objective_maximize[REP_MAX_OBJECTIVES];
    double created;      /* Unix s */
    double finished;     /* Unix s; NaN when still running */
    int workers;         /* number of worker processes (0 unknown) */
    char *note;          /* the study's note (`seqtune study note`); may be NULL */
    rep_trial *trials;
    int n_trials;
    rep_result result;
    struct rep_edge *edge;   /* verdict and OOS diagnostics (reports/edge.h); NULL: none */
} rep_study;

/* Sets every field to empty/unknown (NaN times, best_trial -1). */
void rep_study_init(rep_study *s);
/* Frees everything s owns and re-initialises it; s itself is not freed. */
void rep_study_free(rep_study *s);
/* Sets all ten metrics to NaN. */
void rep_metrics_clear(rep_metrics *m);
const char *rep_state_name(rep_state st);

/* Fills what the spec says into fields still unknown (NULL): data_file from
 * data.path, metric from search.metric, fold_layout as a sentence from
 * validation (or the objective's name for builtin/command objectives). Other
 * fields are left alone. A NULL spec_json is not an error. Returns 0, or -1 with
 * err set when spec_json is not valid JSON or memory runs out. */
int rep_study_fill_from_spec(rep_study *s, char err[256]);


#endif
