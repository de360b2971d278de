/*
 * trial.h - one trial of a study, end to end: the spec's data settings and a
 * point of the search space in, per-fold metrics and the objective out.
 *
 *   tr_trial_data_make (once per study: candles -> features -> labels)
 *   tr_trial_run (per trial):
 *     split (seq_len is a parameter) -> for each fold k:
 *       scaler fit on the fold's training rows -> scaled copy of the matrix
 *       (once per fold and scaler kind: the spans do not depend on the trial's
 *       parameters, so later trials read the first one's copy from d's cache)
 *       -> LSTM fit on the training windows, early stopping on the validation
 *       windows -> predict the test span -> classification / regression metrics,
 *       backtest and buy-and-hold, baselines -> objective value of fold k
 *       -> callback(k, value): non-zero prunes (the trial stops)
 *     objective = mean of the fold values
 *   tr_trial_final (after the search, for the chosen parameters): train on all
 *     search rows, evaluate once on the holdout, hand back model + scaler.
 *
 * The metric names are the spec's (experiments/spec.c exp_metric_names):
 * "val_*" metrics are scored on each fold's walk-forward test span (out of
 * sample); the trial never reads the holdout (tests/trainer/test_trial.c).
 */
#ifndef TR_TRIAL_H
#define TR_TRIAL_H

#include "trainer/candles.h"
#include "trainer/features.h"
#include "trainer/fit.h"
#include "trainer/labels.h"
#include "trainer/lstm.h"
#include "trainer/metrics.h"
#include "trainer/metrics_multi.h"
#include "trainer/model_file.h"
#include "trainer/price.h"
#include "trainer/scaler.h"
#include "trainer/split.h"

/* The spec-level settings of a trial (everything but the searched params). */
typedef struct tr_trial_config {
    const char *const *features;   /* n_features feature texts ("rsi:14") */
    int n_features;
    tr_label_spec target;
    tr_gap_policy gaps;            /* windows spanning a candle gap: drop (default)/keep */
    /* validation */
    int folds;
    int rolling;                   /* 0 expanding, 1 rolling */
    double val_fraction, holdout_fraction;
    int embargo;
    tr_scaler_kind scaler;
    /* training */
    int max_epochs, patience;
    double plateau_factor;         /* ReduceLROnPlateau; 0 = off */
    int plateau_patience;
    int blas_threads;              /* 0 = 1 */
    unsigned long seed;            /* fold k trains with seed + k */
    /* backtest */
    double fee_bps, long_threshold, short_threshold;
    /* the objective: one of exp_metric_names ("val_log_loss", "sharpe", ...) */
    const char *metric;
    /* optional: after every epoch of every fold; non-zero stops that fit */
    int (*on_epoch)(void *user, int fold, const tr_epoch_report *r);
    void *epoch_user;
    /* multiclass: nn.CrossEntropyLoss class weights (down, flat, up); all 0 = none */
    float class_weight[TR_MULTICLASS_K];
} tr_trial_config;

/* Fills the defaults, which are the spec's (DESIGN.md): direction horizon 1, 5
 * expanding folds, val 0.15, holdout 0.15, standard scaler, the training loop's
 * epochs, patience and plateau (tr_fit_options_default), 1 BLAS thread, fee 10
 * bps, thresholds 0.55/0.45, metric val_log_loss. features stays NULL. */
void tr_trial_config_default(tr_trial_config *cfg);

/* One point of the search space: the LSTM hyperparameters. Each is a row of the
 * spec's field table (experiments/spec_fields.c), which reads, checks and prints
 * it and takes it from a trial's parameters; adding one is a field here, its
 * default below, its use in trial.c and that one row. Start from
 * tr_trial_params_default: a zeroed struct would give every layer dropout 0. */
typedef struct tr_trial_params {
    int seq_len, units, layers;
    double dropout, learning_rate;
    int batch_size;
    double l2, clip_norm;
    double l1;              /* L1 on the weights (tr_lstm_l1), 0 = off */
    double input_noise;     /* training-input noise std (tr_fit_options), 0 = off */
    int bidirectional;      /* 0 / 1: nn.LSTM(bidirectional=True) layers */
    /* per layer (1-based in the spec: units_1 is layer_units[0]); entries of
     * layers >= `layers` are ignored (tr_lstm_config's overrides) */
    int layer_units[TR_LSTM_MAX_LAYERS];      /* hidden size; 0 = units */
    double layer_dropout[TR_LSTM_MAX_LAYERS]; /* dropout on its output; NaN = dropout */
} tr_trial_params;

/* The defaults of the hyperparameters a study does not search: seq_len 32,
 * units 32, 1 layer, no dropout, and the training loop's learning rate, batch
 * size, L2 and clip norm (tr_fit_options_default); every layer takes units and
 * dropout (layer_units 0, layer_dropout NaN). */
void tr_trial_params_default(tr_trial_params *p);

/* Per-bar backtest curves of a fold (every fold: the out-of-sample series
 * the store keeps per trial). Owned by the fold result. */
typedef struct tr_fold_curves {
    int n;                 /* bars held */
    int row0;              /* candle row of bar 0 (bars are consecutive rows) */
    int64_t *t;            /* (n+1) candle open times; bar i runs from t[i] to t[i+1] */
    double *equity;        /* (n+1) the model's equity, net of fees, from 1 */
    double *bh_equity;     /* (n+1) buy-and-hold equity from 1 */
    double *bar_returns;   /* (n) the model's net return of each bar */
    double *pred;          /* (n) the model's prediction at each bar (NaN: no window) */
    /* The final fold only (else 0/NULL): per test sample the label and the
     * predictions of the model, of no skill and of the linear baseline, for
     * the paired test, by target kind:
     *   direction: y in {0,1}; P(up) of the model, of no skill (the training
     *     rate of class 1) and of the logistic baseline;
     *   multiclass: y the realised class; each one's probability OF THE
     *     REALISED CLASS (no skill: the training class frequencies, linear: the
     *     softmax baseline), so that its log loss is -log p; probs holds the
     *     model's n_samples x n_classes probabilities (confusion, calibration);
     *   return: y the realised return; the model's forecast, persistence (the
     *     last realised return) and no linear (p_linear NULL);
     *   price: y the realised close; the model's forecast close, persistence
     *     (the close at the window's end) and the linear baseline's close. */
    int n_samples, n_classes;
    double *y, *p_model, *p_noskill, *p_linear, *probs;
    /* price target (issue 17): the forecast of each test window against the
     * actual close, at the forecast bar's open time */
    int n_fc;
    int64_t *fc_t;         /* (n_fc) the bar forecast (window end + horizon) */
    double *fc_actual;     /* (n_fc) its close */
    double *fc_pred;       /* (n_fc) the forecast close */
} tr_fold_curves;

/* Everything measured on one fold. Classification fields and baselines are
 * NaN for the return target; mse/mae are NaN for direction. */
typedef struct tr_fold_result {
    int fold;                       /* 0-based; -1 for the final holdout fold */
    tr_target_kind kind;
    int n_train, n_val, n_test;     /* samples */
    int64_t test_first, test_last;  /* candle times of the test span's first/last row */
    tr_fit_result fit;
    tr_class_metrics test;          /* LSTM on the test windows */
    double mse, mae;
    tr_trading_metrics trading, buy_hold;   /* over the test span's bars */
    tr_class_metrics majority, logistic;    /* baselines on the same test windows */
    double value;                   /* the objective metric on this fold */
    tr_fold_curves curves;          /* final fold only; free with tr_fold_result_free */
    /* multiclass target only (NaN otherwise): the LSTM and the two baselines */
    tr_multiclass_metrics mc, mc_majority, mc_logistic;
    /* price target only (NaN otherwise): the LSTM's forecasts in price units,
     * persistence (tomorrow = today) and the linear-regression baseline on the
     * same test windows; the target scaler fit on this fold's training labels */
    tr_price_metrics price, persistence, linear;
    double target_center, target_scale;
} tr_fold_result;

/* Frees what a fold result owns (its curves); safe on a zeroed struct. */
void tr_fold_result_free(tr_fold_result *r);

/* Per-fold report; a non-zero return prunes the trial after this fold. */
typedef int (*tr_fold_fn)(void *user, int fold, double value, const tr_fold_result *r);

typedef struct tr_trial_result {
    int n_folds;                    /* folds completed */
    tr_fold_result *folds;          /* (n_folds); free with tr_trial_result_free */
    double objective;               /* mean of folds[].value */
    int pruned;                     /* the callback stopped the trial */
} tr_trial_result;

/* The prepared data of a study: features and labels of the candles. Keeps a
 * pointer to c (which must outlive it). Free with tr_trial_data_free. */
typedef struct tr_trial_data {
    const tr_candles *candles;
    tr_feature_matrix m;
    float *y;                       /* (m.rows) labels, NaN = none */
    struct tr_scaled_cache *scaled; /* the folds' scaled matrices (trial.c); NULL: none */
} tr_trial_data;

int tr_trial_data_make(const tr_candles *c, const tr_trial_config *cfg, tr_trial_data *d,
                       char err[256]);
void tr_trial_data_free(tr_trial_data *d);

/* How often a fold's scaled matrix came from d's cache (hits) and was computed
 * (misses) since tr_trial_data_make. */
void tr_trial_data_cache_counts(const tr_trial_data *d, long *hits, long *misses);

/* The value of a named metric in a fold result; -1 with err for an unknown name
 * or one that does not apply to the target. */
int tr_fold_metric(const tr_fold_result *r, const char *name, double *value, char err[256]);

/* Runs the walk-forward folds (see the top of this file). Returns 0 (also when
 * pruned), or a negative error with err naming the fold and what failed; on
 * error res still holds the folds completed. The caller frees res with
 * tr_trial_result_free. */
int tr_trial_run(const tr_trial_data *d, const tr_trial_config *cfg, const tr_trial_params *p,
                 tr_fold_fn on_fold, void *user, tr_trial_result *res, char err[256]);

/* Permutation importance of each requested feature (its 1 or 2 columns
 * together) for the parameters p, on the walk-forward TEST spans only: every
 * fold of the split is retrained as tr_trial_run trains it (the holdout is in
 * no fold: nothing of it is read but features at rows before it) and
 * tr_perm_importance runs on the fold's test windows with n_perm permutations
 * seeded seed + fold. Per feature g (d->m.n_features of them): mean[g] the loss
 * increase averaged over the folds weighted by their test windows; sd[g] the
 * standard deviation of that weighted average over the permutations (folds
 * are permuted independently: sqrt(sum w_k^2 sd_k^2)); *base the weighted
 * unpermuted loss. Same inputs and seed, same numbers. 0 or -1 + err. */
int tr_trial_perm_importance(const tr_trial_data *d, const tr_trial_config *cfg,
                             const tr_trial_params *p, int n_perm, unsigned long seed,
                             double *base, double *mean, double *sd, char err[256]);

/* The final evaluation: trains on the search rows, tests once on the holdout.
 * *model (caller frees with tr_lstm_free) and *scaler (tr_scaler_free) are
 * handed back for the model file when not NULL. Returns 0 or negative + err. */
int tr_trial_final(const tr_trial_data *d, const tr_trial_config *cfg,
                   const tr_trial_params *p, tr_fold_result *out, tr_lstm **model,
                   tr_scaler *scaler, char err[256]);

void tr_trial_result_free(tr_trial_result *res);

/* The walk-forward layout a trial with windows of seq_len rows would use, as
 * text (dates and row/sample counts per span, then the holdout; see
 * tr_split_describe). NULL with err when the split is impossible or a fold is
 * empty. The caller frees the text with free(). */
char *tr_trial_layout(const tr_trial_data *d, const tr_trial_config *cfg, int seq_len,
                      char err[256]);

/* Fills *meta (caller frees with tr_model_meta_free) for tr_model_save from the
 * prepared data, the config, the model's seq_len and the fitted scaler: one
 * entry per model input column, named by its column ("rsi:14",
 * "hour_of_day.sin"; strip ".sin"/".cos" to get the spec's feature back).
 * Returns 0 or -1 with err. */
int tr_trial_model_meta(const tr_trial_data *d, const tr_trial_config *cfg, int seq_len,
                        const tr_scaler *scaler, tr_model_meta *meta, char err[256]);

/* Price target: records the final fold's target scaler (the inverse transform)
 * in meta; nothing for the other targets. */
void tr_trial_model_meta_target(const tr_fold_result *final, tr_model_meta *meta);

#endif
