/*
 * spec_fields.c - THE field table of the study spec: one row per field of
 * every section (key, type, where the value lives in the owners' structs,
 * bounds, meaning), the value names, the metrics, and the rows that read or
 * print themselves (data.path, the sampler and pruner, the metric, the space).
 * How to add a field is said above the table.
 */
#include "experiments/spec.h"
#include "experiments/spec_internal.h"

#include "optimizer/testfuncs.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- names ------------------------------------------------------------------- */

static const char *const sampler_names[] = {"random", "sobol", "tpe", "gp", "grid", "motpe",
                                            "nsga2", NULL};   /* opt_sampler_kind */
static const char *const pruner_names[] = {"none", "median", "percentile", "successive_halving", NULL};
static const char *const direction_names[] = {"minimize", "maximize", NULL};
static const char *const gaps_names[] = {"drop", "keep", NULL};        /* tr_gap_policy */
static const char *const target_names[] = {"direction", "return", "multiclass", "price",
                                           NULL}; /* tr_target_kind, in its order */
static const char *const neutral_names[] = {"drop", "keep", NULL};     /* keep_deadband 0/1 */
static const char *const window_names[] = {"expanding", "rolling", NULL}; /* rolling 0/1 */
static const char *const scaler_names[] = {"standard", "minmax", "robust", NULL}; /* tr_scaler_kind */

_Static_assert(sizeof(tr_gap_policy) == sizeof(int) && sizeof(tr_target_kind) == sizeof(int) &&
               sizeof(tr_scaler_kind) == sizeof(int) && sizeof(opt_direction) == sizeof(int),
               "the field table reads enums as int");

const char *const exp_metric_names[] = {
    "val_log_loss", "val_accuracy", "val_balanced_accuracy", "val_auc", "val_brier", "val_mcc",
    "val_mse", "val_mae", "sharpe", "sortino", "total_return", "max_drawdown",
    "val_macro_f1", "val_rmse", "val_mape", "val_directional_accuracy", NULL};
/* 1 = higher is better, parallel to exp_metric_names. */
static const int metric_maximize[] = {0, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1};
/* The targets a metric applies to, a mask over tr_target_kind (1 direction,
 * 2 return, 4 multiclass, 8 price); 0 = any. */
static const int metric_target[] = {5, 5, 5, 1, 1, 1, 2, 10, 0, 0, 0, 0, 4, 8, 8, 8};

/* The builtin objectives are the optimizer benchmark's test functions
 * (optimizer/testfuncs.h); this NULL-terminated view of their names is built
 * on first use. */
const char *const *exp_builtin_names(void)
{
    static const char *names[OPT_MAX_PARAMS + 1];
    if (!names[0]) {
        int n = opt_testfunc_count();
        for (int i = 0; i < n && i < OPT_MAX_PARAMS; i++)
            names[i] = opt_testfunc_name(opt_testfunc_at(i));
    }
    return names;
}


const char *exp_direction_name(opt_direction d) { return direction_names[d]; }

int exp_metric_direction(const char *metric, opt_direction *out)
{
    int i = exp_rd_name_index(exp_metric_names, metric);
    if (i < 0)
        return -1;
    *out = metric_maximize[i] ? OPT_MAXIMIZE : OPT_MINIMIZE;
    return 0;
}


/* ---- the field table ------------------------------------------------------------
 *
 * Every plain field of every section is one row here: its key, its type, where
 * its value lives in exp_spec (an owner's struct: tr_trial_config, tr_trial_params,
 * opt_sampler_config, opt_pruner_config), its bounds and what it means. The
 * reader (read_section), the key lists of the "unknown key" errors
 * (section_keys), the canonical printer (print_section) and the README's spec
 * reference (tests/experiments/spec_reference.sh compares it with `validate`)
 * all follow these rows, so they cannot drift apart. Defaults are not here: they
 * are the owners' *_default() functions, which seed the spec before reading.
 *
 * To add a field: one row in its section, in the place its key should print.
 *   - {"l1", FT_NUM, SPEC_AT(params.l1), 0, INFINITY, 0, 0, .param = &range_nonneg,
 *      .doc = "L1 penalty"} adds an LSTM hyperparameter: training.l1 is its fixed
 *     value, search.space.l1 may search it (checked against .param's range) and
 *     each trial gets it in tr_trial_params (exp_spec_trial_params). The trainer
 *     adds the field to tr_trial_params, its default to tr_trial_params_default
 *     and its use; nothing else changes.
 *   - A key inside a sub-object is "object.key" (training.lr_plateau.factor).
 *   - `when` limits a sampler/pruner key to some kinds (a bit per kind).
 *   - FT_CUSTOM rows read and print themselves through .read / .print.
 * Ints are read as integers in [lo, hi] (hi = INT_MAX: no upper bound), numbers
 * in the range with lo_open/hi_open excluding an end, enums as one of .names
 * (the value is the index), bools as true/false. */

#define SPEC_AT(member) offsetof(exp_spec, member)
#define KIND(k) (1u << (k))
#define TPE (KIND(OPT_SAMPLER_TPE) | KIND(OPT_SAMPLER_MOTPE))
#define NSGA2 KIND(OPT_SAMPLER_NSGA2)
#define MEDIAN_LIKE (KIND(OPT_PRUNER_MEDIAN) | KIND(OPT_PRUNER_PERCENTILE))
#define SH KIND(OPT_PRUNER_SUCCESSIVE_HALVING)

static const param_range range_pos_int = {1, 0, INFINITY, 1, 0};
static const param_range range_layers = {1, 1, 4, 0, 0};
static const param_range range_dropout = {0, 0, 1, 0, 1};
static const param_range range_pos = {0, 0, INFINITY, 1, 0};
static const param_range range_nonneg = {0, 0, INFINITY, 0, 0};
static const param_range range_bool = {1, 0, 1, 0, 0};

static void read_path(ctx *c, const cJSON *sec, const char *path, const field *f, exp_spec *s);
static void print_path(cJSON *obj, const field *f, const exp_spec *s);
static void read_threshold(ctx *c, const cJSON *sec, const char *path, const field *f, exp_spec *s);
static void print_num(cJSON *obj, const field *f, const exp_spec *s);
static void read_sampler(ctx *c, const cJSON *sec, const char *path, const field *f, exp_spec *s);
static void print_sampler(cJSON *obj, const field *f, const exp_spec *s);
static void read_pruner(ctx *c, const cJSON *sec, const char *path, const field *f, exp_spec *s);
static void print_pruner(cJSON *obj, const field *f, const exp_spec *s);
static void read_metric(ctx *c, const cJSON *sec, const char *path, const field *f, exp_spec *s);
static void print_metric(cJSON *obj, const field *f, const exp_spec *s);
static void read_direction(ctx *c, const cJSON *sec, const char *path, const field *f, exp_spec *s);
static void print_direction(cJSON *obj, const field *f, const exp_spec *s);
static void read_space(ctx *c, const cJSON *sec, const char *path, const field *f, exp_spec *s);
static void print_space(cJSON *obj, const field *f, const exp_spec *s);
static void read_seed(ctx *c, const cJSON *sec, const char *path, const field *f, exp_spec *s);
static void print_seed(cJSON *obj, const field *f, const exp_spec *s);
static void read_min_resource(ctx *c, const cJSON *sec, const char *path, const field *f,
                              exp_spec *s);
static void print_min_resource(cJSON *obj, const field *f, const exp_spec *s);
static void read_kind_name(ctx *c, const cJSON *sec, const char *path, const field *f,
                           exp_spec *s);
static void read_mutation_prob(ctx *c, const cJSON *sec, const char *path, const field *f,
                               exp_spec *s);
static void print_mutation_prob(cJSON *obj, const field *f, const exp_spec *s);
static void print_kind_name(cJSON *obj, const field *f, const exp_spec *s);

static void read_class_weights(ctx *c, const cJSON *sec, const char *path, const field *f,
                               exp_spec *s);
static void print_class_weights(cJSON *obj, const field *f, const exp_spec *s);
static void print_layer_units(cJSON *obj, const field *f, const exp_spec *s);
static void print_layer_dropout(cJSON *obj, const field *f, const exp_spec *s);

/* Layer K's own size and dropout (K = 1..4, tr_trial_params' layer_units[K-1] and
 * layer_dropout[K-1]): ranges as units and dropout; printed only when set, so a
 * spec without them prints (and is stored) as before. In a trial whose `layers`
 * is below K they belong to no layer and are ignored. */
#define LAYER_UNITS(K)                                                                    \
    {"units_" #K, FT_INT, SPEC_AT(params.layer_units[K - 1]), 1, 65536,                    \
     .param = &range_pos_int, .print = print_layer_units,                                  \
     .doc = "hidden size of layer " #K " (default: units)"}
#define LAYER_DROPOUT(K)                                                                  \
    {"dropout_" #K, FT_NUM, SPEC_AT(params.layer_dropout[K - 1]), 0, 1, 0, 1,             \
     .param = &range_dropout, .print = print_layer_dropout,                               \
     .doc = "dropout on layer " #K "'s output (default: dropout)"}

static const field data_fields[] = {
    {"path", FT_CUSTOM, 0, .read = read_path, .print = print_path,
     .doc = "candle file; relative to the spec's folder"},
    {"gaps", FT_ENUM, SPEC_AT(trial.gaps), .names = gaps_names,
     .doc = "a training window that spans a gap in the timestamps is dropped or kept"},
};

static const field target_fields[] = {
    {"kind", FT_ENUM, SPEC_AT(trial.target.kind), .names = target_names,
     .doc = "up/down classification or return regression"},
    {"horizon", FT_INT, SPEC_AT(trial.target.horizon), 1, 100000, .doc = "bars ahead the label looks"},
    {"deadband", FT_NUM, SPEC_AT(trial.target.deadband), 0, INFINITY,
     .doc = "direction: |return| <= deadband is neutral"},
    {"neutral", FT_ENUM, SPEC_AT(trial.target.keep_deadband), .names = neutral_names,
     .doc = "neutral rows are dropped, or kept as class 0"},
    {"class_weights", FT_CUSTOM, SPEC_AT(trial.class_weight), .read = read_class_weights,
     .print = print_class_weights,
     .doc = "multiclass: nn.CrossEntropyLoss weights of down, flat, up"},
};

static const field validation_fields[] = {
    {"folds", FT_INT, SPEC_AT(trial.folds), 1, 1000, .doc = "walk-forward folds"},
    {"window", FT_ENUM, SPEC_AT(trial.rolling), .names = window_names,
     .doc = "training window of each fold"},
    {"val_fraction", FT_NUM, SPEC_AT(trial.val_fraction), 0, 0.9, 1, 0,
     .doc = "end of each fold's training span used for early stopping"},
    {"holdout_fraction", FT_NUM, SPEC_AT(trial.holdout_fraction), 0, 0.9,
     .doc = "end of the series kept for the final check"},
    {"embargo", FT_INT, SPEC_AT(trial.embargo), 0, INT_MAX, .doc = "bars left out between spans"},
    {"scaler", FT_ENUM, SPEC_AT(trial.scaler), .names = scaler_names,
     .doc = "feature scaling, fit on each fold's training rows only"},
};

static const field training_fields[] = {
    {"max_epochs", FT_INT, SPEC_AT(trial.max_epochs), 1, 1000000, .doc = "epochs per fold"},
    {"patience", FT_INT, SPEC_AT(trial.patience), 1, 1000000, .doc = "early stopping"},
    {"lr_plateau.factor", FT_NUM, SPEC_AT(trial.plateau_factor), 0, 1, 1, 1,
     .doc = "ReduceLROnPlateau factor"},
    {"lr_plateau.patience", FT_INT, SPEC_AT(trial.plateau_patience), 1, 1000000,
     .doc = "ReduceLROnPlateau patience (epochs)"},
    {"trial_timeout_s", FT_NUM, SPEC_AT(trial_timeout_s), 0, INFINITY,
     .doc = "a trial running longer fails; 0 = no limit"},
    {"threads", FT_INT, SPEC_AT(trial.blas_threads), 1, 1024, .doc = "BLAS threads per worker"},
    {"seq_len", FT_INT, SPEC_AT(params.seq_len), 1, 100000, .param = &range_pos_int,
     .doc = "window length (bars)"},
    {"units", FT_INT, SPEC_AT(params.units), 1, 65536, .param = &range_pos_int,
     .doc = "LSTM hidden size"},
    {"layers", FT_INT, SPEC_AT(params.layers), 1, 4, .param = &range_layers,
     .doc = "stacked LSTM layers"},
    {"dropout", FT_NUM, SPEC_AT(params.dropout), 0, 1, 0, 1, .param = &range_dropout,
     .doc = "inverted dropout between layers and before the head"},
    {"learning_rate", FT_NUM, SPEC_AT(params.learning_rate), 0, 10, 1, 0, .param = &range_pos,
     .doc = "Adam learning rate"},
    {"batch_size", FT_INT, SPEC_AT(params.batch_size), 1, 1 << 20, .param = &range_pos_int,
     .doc = "mini-batch size"},
    {"l2", FT_NUM, SPEC_AT(params.l2), 0, INFINITY, .param = &range_nonneg, .doc = "L2 penalty"},
    {"clip_norm", FT_NUM, SPEC_AT(params.clip_norm), 0, INFINITY, 1, 0, .param = &range_pos,
     .doc = "global gradient-norm clip"},
    {"l1", FT_NUM, SPEC_AT(params.l1), 0, INFINITY, .param = &range_nonneg,
     .doc = "L1 penalty on the weights (not the biases)"},
    {"input_noise", FT_NUM, SPEC_AT(params.input_noise), 0, INFINITY, .param = &range_nonneg,
     .doc = "std of Gaussian noise on the scaled training inputs"},
    {"bidirectional", FT_BOOL, SPEC_AT(params.bidirectional), .param = &range_bool,
     .doc = "each layer also runs backward over the window (past bars only)"},
    LAYER_UNITS(1), LAYER_UNITS(2), LAYER_UNITS(3), LAYER_UNITS(4),
    LAYER_DROPOUT(1), LAYER_DROPOUT(2), LAYER_DROPOUT(3), LAYER_DROPOUT(4),
};
_Static_assert(TR_LSTM_MAX_LAYERS == 4, "one units_K and one dropout_K row per possible layer");

static const field sampler_fields[] = {
    {"name", FT_CUSTOM, SPEC_AT(search.sampler.kind), .names = sampler_names,
     .read = read_kind_name, .print = print_kind_name, .doc = "the sampler"},
    {"n_startup_trials", FT_INT, SPEC_AT(search.sampler.n_startup_trials), 0, 1000000,
     .when = TPE | KIND(OPT_SAMPLER_GP), .doc = "random trials before the model is used"},
    {"multivariate", FT_BOOL, SPEC_AT(search.sampler.multivariate), .when = TPE,
     .doc = "joint density over all parameters"},
    {"constant_liar", FT_BOOL, SPEC_AT(search.sampler.constant_liar), .when = TPE,
     .doc = "running trials count as poor, so parallel workers spread out"},
    {"n_ei_candidates", FT_INT, SPEC_AT(search.sampler.n_ei_candidates), 1, 100000, .when = TPE,
     .doc = "candidates scored per suggestion"},
    {"population_size", FT_INT, SPEC_AT(search.sampler.population_size), 2, 1000000,
     .when = NSGA2, .doc = "trials per generation"},
    {"crossover_prob", FT_NUM, SPEC_AT(search.sampler.crossover_prob), 0, 1, .when = NSGA2,
     .doc = "chance that a child is a crossover of two parents, else a copy of one"},
    {"swapping_prob", FT_NUM, SPEC_AT(search.sampler.swapping_prob), 0, 1, .when = NSGA2,
     .doc = "uniform crossover: chance to take each parameter from the second parent"},
    {"mutation_prob", FT_CUSTOM, SPEC_AT(search.sampler.mutation_prob), .when = NSGA2,
     .read = read_mutation_prob, .print = print_mutation_prob,
     .doc = "chance that a parameter is drawn anew; \"auto\" = 1 / parameters"},
    {"seed", FT_CUSTOM, SPEC_AT(search.seed), .read = read_seed, .print = print_seed,
     .doc = "with no seed, run picks one and records it"},
};

static const field pruner_fields[] = {
    {"name", FT_CUSTOM, SPEC_AT(search.pruner.kind), .names = pruner_names,
     .read = read_kind_name, .print = print_kind_name, .doc = "the pruner"},
    {"n_startup_trials", FT_INT, SPEC_AT(search.pruner.n_startup_trials), 0, 1000000,
     .when = MEDIAN_LIKE, .doc = "trials before pruning starts"},
    {"n_warmup_steps", FT_INT, SPEC_AT(search.pruner.n_warmup_steps), 0, 1000000,
     .when = MEDIAN_LIKE, .doc = "folds before a trial can be pruned"},
    {"interval", FT_INT, SPEC_AT(search.pruner.interval_steps), 1, 1000000, .when = MEDIAN_LIKE,
     .doc = "check every N steps"},
    {"percentile", FT_NUM, SPEC_AT(search.pruner.percentile), 0, 100, 1, 1,
     .when = KIND(OPT_PRUNER_PERCENTILE), .doc = "prune below this percentile of the others"},
    {"min_resource", FT_CUSTOM, SPEC_AT(search.pruner.min_resource), .when = SH,
     .read = read_min_resource, .print = print_min_resource, .doc = "successive_halving"},
    {"reduction_factor", FT_INT, SPEC_AT(search.pruner.reduction_factor), 2, 1000, .when = SH,
     .doc = "successive_halving"},
};

static const field search_fields[] = {
    {"n_trials", FT_INT, SPEC_AT(search.n_trials), 1, 100000000,
     .doc = "finished trials that end the study"},
    {"timeout_s", FT_NUM, SPEC_AT(search.timeout_s), 0, INFINITY,
     .doc = "wall-time limit of the study; 0 = none"},
    {"sampler", FT_CUSTOM, 0, .read = read_sampler, .print = print_sampler, .doc = "the sampler"},
    {"pruner", FT_CUSTOM, 0, .read = read_pruner, .print = print_pruner, .doc = "the pruner"},
    {"metric", FT_CUSTOM, 0, .read = read_metric, .print = print_metric, .doc = "the objective"},
    {"direction", FT_ENUM, SPEC_AT(search.direction), .names = direction_names,
     .read = read_direction, .print = print_direction, .doc = "minimize or maximize the metric"},
    {"metrics", FT_CUSTOM, 0, .read = exp_rd_read_metrics, .print = exp_rd_print_metrics,
     .doc = "a multi-objective study: 2-4 metrics searched together (Pareto front)"},
    {"directions", FT_CUSTOM, 0, .read = exp_rd_read_directions,
     .print = exp_rd_print_directions, .doc = "minimize or maximize each of the metrics"},
    {"space", FT_CUSTOM, 0, .read = read_space, .print = print_space, .doc = "the search space"},
    {"reproducible", FT_BOOL, SPEC_AT(search.reproducible),
     .doc = "trial k is suggested from trials numbered below k - reproducible_lag only, so any "
            "worker count gives the same study; pruning is off"},
    {"reproducible_lag", FT_INT, SPEC_AT(search.reproducible_lag), 1, 4096,
     .doc = "the lag L of reproducible mode; at least the worker count keeps every worker busy"},
    {"enqueue", FT_CUSTOM, 0, .read = exp_rd_read_enqueue, .print = exp_rd_print_enqueue,
     .doc = "configurations run first, once each; a parameter left out is sampled"},
    {"warm_start", FT_CUSTOM, 0, .read = exp_rd_read_warm_start,
     .print = exp_rd_print_warm_start,
     .doc = "another study's finished trials given to the sampler as history"},
};

static const field backtest_fields[] = {
    {"fee_bps", FT_NUM, SPEC_AT(trial.fee_bps), 0, 10000,
     .doc = "cost per position change, basis points"},
    {"long_threshold", FT_CUSTOM, SPEC_AT(trial.long_threshold), .read = read_threshold,
     .print = print_num, .doc = "go long above it"},
    {"short_threshold", FT_CUSTOM, SPEC_AT(trial.short_threshold), .read = read_threshold,
     .print = print_num, .doc = "go short below it"},
};

static void read_pbo_blocks(ctx *c, const cJSON *sec, const char *path, const field *f,
                            exp_spec *s);
static void print_int(cJSON *obj, const field *f, const exp_spec *s);

/* selection: the thresholds of the edge verdict (trainer/selection.h). */
static const field selection_fields[] = {
    {"dsr_min", FT_NUM, SPEC_AT(selection.dsr_min), 0, 1, 1, 1,
     .doc = "Deflated Sharpe Ratio needed for an edge"},
    {"dm_alpha", FT_NUM, SPEC_AT(selection.dm_alpha), 0, 0.5, 1, 0,
     .doc = "significance level of the Diebold-Mariano test against no skill"},
    {"pbo_max", FT_NUM, SPEC_AT(selection.pbo_max), 0, 1, 1, 0,
     .doc = "PBO above which the search's ranking is said not to carry out of sample"},
    {"pbo_blocks", FT_CUSTOM, SPEC_AT(selection.pbo_blocks), .read = read_pbo_blocks,
     .print = print_int, .doc = "CSCV blocks (even, 2-24)"},
    {"pbo_min_trials", FT_INT, SPEC_AT(selection.pbo_min_trials), 2, 100000,
     .doc = "trials that completed every fold needed for PBO"},
};

static void read_pbo_blocks(ctx *c, const cJSON *sec, const char *path, const field *f,
                            exp_spec *s)
{
    int *at = (int *)((char *)s + f->offset);
    int before = c->errs->n;
    exp_rd_get_int32(c, sec, path, f->key, 2, 24, at);
    if (c->errs->n == before && *at % 2)
        exp_rd_expect(c, "selection.pbo_blocks", "an even integer in [2, 24]",
                      cJSON_GetObjectItemCaseSensitive(sec, f->key));
}

static void print_int(cJSON *o, const field *f, const exp_spec *s)
{
    cJSON_AddNumberToObject(o, f->key, *(const int *)((const char *)s + f->offset));
}

#define SECTION(path, rows) {path, rows, (int)(sizeof rows / sizeof rows[0])}
const section exp_rd_sec_data = SECTION("data", data_fields);
const section exp_rd_sec_target = SECTION("target", target_fields);
const section exp_rd_sec_validation = SECTION("validation", validation_fields);
const section exp_rd_sec_training = SECTION("training", training_fields);
const section exp_rd_sec_sampler = SECTION("search.sampler", sampler_fields);
const section exp_rd_sec_pruner = SECTION("search.pruner", pruner_fields);
const section exp_rd_sec_search = SECTION("search", search_fields);
const section exp_rd_sec_backtest = SECTION("backtest", backtest_fields);
const section exp_rd_sec_selection = SECTION("selection", selection_fields);

/* The LSTM hyperparameters: the training rows with a .param range. */
const field *exp_rd_lstm_param(const char *name)
{
    for (int i = 0; i < exp_rd_sec_training.n; i++)
        if (training_fields[i].param && strcmp(training_fields[i].key, name) == 0)
            return &training_fields[i];
    return NULL;
}

/* Their names, in table order (for messages). */
const char *const *exp_lstm_param_names(void)
{
    static const char *names[sizeof training_fields / sizeof training_fields[0] + 1];
    if (!names[0]) {
        int n = 0;
        for (int i = 0; i < exp_rd_sec_training.n; i++)
            if (training_fields[i].param)
                names[n++] = training_fields[i].key;
    }
    return names;
}

const char *const exp_seq_len_param = "seq_len";

void exp_spec_trial_params(const exp_spec *s, const cJSON *params, tr_trial_params *out)
{
    *out = s->params;
    for (int i = 0; i < exp_rd_sec_training.n; i++) {
        const field *f = &training_fields[i];
        const cJSON *v = f->param ? cJSON_GetObjectItemCaseSensitive(params, f->key) : NULL;
        if (cJSON_IsBool(v) && f->type == FT_BOOL) {   /* a true/false choice */
            *(int *)((char *)out + (f->offset - SPEC_AT(params))) = cJSON_IsTrue(v);
            continue;
        }
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            continue;   /* absent (or an inactive NaN): the fixed value stays */
        char *at = (char *)out + (f->offset - SPEC_AT(params));
        assert(f->offset >= SPEC_AT(params) &&
               f->offset - SPEC_AT(params) < sizeof(tr_trial_params));
        if (f->type == FT_INT || f->type == FT_BOOL)
            *(int *)at = (int)v->valuedouble;
        else
            *(double *)at = v->valuedouble;
    }
}


/* ---- the rows that read or print themselves -------------------------------------- */

static char *path_resolve(const char *base, const char *path)
{
    if (path[0] == '/' || !base || !*base || strcmp(base, ".") == 0)
        return strdup(path);
    size_t n = strlen(base) + strlen(path) + 2;
    char *r = malloc(n);
    if (r)
        snprintf(r, n, "%s/%s", base, path);
    return r;
}

static void read_path(ctx *c, const cJSON *d, const char *path, const field *f, exp_spec *s)
{
    (void)path;
    (void)f;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(d, "path");
    if (!cJSON_IsString(p) || !p->valuestring[0]) {
        exp_rd_expect(c, "data.path", p ? "a file path" : "a file path (required)", p);
        return;
    }
    s->data.path = path_resolve(c->base_dir, p->valuestring);
    if (!s->data.path || !c->check_files)
        return;
    struct stat st;
    if (stat(s->data.path, &st) != 0 || access(s->data.path, R_OK) != 0)
        exp_errors_add(c->errs, "data.path: expected a readable file, got \"%s\" (%s: %s)",
                       p->valuestring, s->data.path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        exp_errors_add(c->errs, "data.path: expected a readable file, got \"%s\" "
                       "(%s is not a regular file)", p->valuestring, s->data.path);
    else {
        char *real = realpath(s->data.path, NULL);
        if (real) {
            free(s->data.path);
            s->data.path = real;
        }
    }
}

static void print_path(cJSON *o, const field *f, const exp_spec *s)
{
    cJSON_AddStringToObject(o, f->key, s->data.path ? s->data.path : "");
}

static void print_num(cJSON *o, const field *f, const exp_spec *s)
{
    cJSON_AddNumberToObject(o, f->key, *(const double *)((const char *)s + f->offset));
}

/* A backtest threshold: a probability for the direction target, any number for
 * return. */
static void read_threshold(ctx *c, const cJSON *b, const char *path, const field *f, exp_spec *s)
{
    int prob = s->trial.target.kind == TR_TARGET_DIRECTION;
    double lo = prob ? 0 : -INFINITY, hi = prob ? 1 : INFINITY;
    if (s->trial.target.kind == TR_TARGET_MULTICLASS)   /* on P(up) - P(down) */
        lo = -1, hi = 1;
    exp_rd_get_num(c, b, path, f->key, lo, 0, hi, 0, (double *)((char *)s + f->offset));
}

/* target.class_weights: three weights >= 0, not all 0, for the multiclass target
 * only; all 0 (the default) is no weighting and is not printed. */
static void read_class_weights(ctx *c, const cJSON *t, const char *path, const field *f,
                               exp_spec *s)
{
    (void)path;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(t, f->key);
    if (!w)
        return;
    if (s->trial.target.kind != TR_TARGET_MULTICLASS) {
        exp_rd_expect(c, "target.class_weights",
                      "no such key unless target.kind is \"multiclass\"", w);
        return;
    }
    if (!cJSON_IsArray(w) || cJSON_GetArraySize(w) != TR_MULTICLASS_K) {
        exp_rd_expect(c, "target.class_weights", "an array of 3 numbers >= 0 (down, flat, up)", w);
        return;
    }
    double v[TR_MULTICLASS_K], sum = 0;
    for (int i = 0; i < TR_MULTICLASS_K; i++) {
        const cJSON *x = cJSON_GetArrayItem(w, i);
        if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || x->valuedouble < 0) {
            char p[64];
            snprintf(p, sizeof p, "target.class_weights[%d]", i);
            exp_rd_expect(c, p, "a number >= 0", x);
            return;
        }
        v[i] = x->valuedouble;
        sum += v[i];
    }
    if (!(sum > 0)) {
        exp_rd_expect(c, "target.class_weights", "at least one weight > 0", w);
        return;
    }
    for (int i = 0; i < TR_MULTICLASS_K; i++)
        s->trial.class_weight[i] = (float)v[i];
}

static void print_class_weights(cJSON *o, const field *f, const exp_spec *s)
{
    double v[TR_MULTICLASS_K];
    int any = 0;
    for (int i = 0; i < TR_MULTICLASS_K; i++)
        v[i] = s->trial.class_weight[i], any |= v[i] != 0;
    if (any)
        cJSON_AddItemToObject(o, f->key, cJSON_CreateDoubleArray(v, TR_MULTICLASS_K));
}

/* units_K and dropout_K, only when set (0 and NaN mean "the default of every layer"). */
static void print_layer_units(cJSON *o, const field *f, const exp_spec *s)
{
    int v = *(const int *)((const char *)s + f->offset);
    if (v > 0)
        cJSON_AddNumberToObject(o, f->key, v);
}

static void print_layer_dropout(cJSON *o, const field *f, const exp_spec *s)
{
    double v = *(const double *)((const char *)s + f->offset);
    if (!isnan(v))
        cJSON_AddNumberToObject(o, f->key, v);
}

/* The sampler's and pruner's "name" rows are read by read_sampler / read_pruner,
 * which need the kind before the other keys. */
static void read_kind_name(ctx *c, const cJSON *o, const char *path, const field *f, exp_spec *s)
{
    (void)c, (void)o, (void)path, (void)f, (void)s;
}

static void print_kind_name(cJSON *o, const field *f, const exp_spec *s)
{
    cJSON_AddStringToObject(o, f->key, f->names[*(const int *)((const char *)s + f->offset)]);
}

static void read_seed(ctx *c, const cJSON *v, const char *path, const field *f, exp_spec *s)
{
    if (!cJSON_GetObjectItemCaseSensitive(v, f->key))
        return;
    long long seed = -1;
    int before = c->errs->n;
    exp_rd_get_int(c, v, path, f->key, 0, 9007199254740991LL, 0, &seed);
    if (c->errs->n == before) {
        s->search.has_seed = 1;
        s->search.seed = seed;
    }
}

static void print_seed(cJSON *o, const field *f, const exp_spec *s)
{
    if (s->search.has_seed)
        cJSON_AddNumberToObject(o, f->key, (double)s->search.seed);
}

static void read_min_resource(ctx *c, const cJSON *v, const char *path, const field *f,
                              exp_spec *s)
{
    (void)path;
    const cJSON *mr = cJSON_GetObjectItemCaseSensitive(v, f->key);
    if (!mr || (cJSON_IsString(mr) && strcmp(mr->valuestring, "auto") == 0))
        return;
    if (!cJSON_IsNumber(mr) || !exp_rd_is_integer(mr->valuedouble) || mr->valuedouble < 1 ||
        mr->valuedouble > 1000000)
        exp_rd_expect(c, "search.pruner.min_resource", "an integer >= 1 or \"auto\"", mr);
    else
        s->search.pruner.min_resource = (int)mr->valuedouble;
}

/* nsga2's mutation_prob: a probability in (0, 1], or "auto" (the optimizer's 0:
 * 1 / the number of parameters, Optuna's None). */
static void read_mutation_prob(ctx *c, const cJSON *v, const char *path, const field *f,
                               exp_spec *s)
{
    (void)path;
    const cJSON *mp = cJSON_GetObjectItemCaseSensitive(v, f->key);
    if (!mp || (cJSON_IsString(mp) && strcmp(mp->valuestring, "auto") == 0))
        return;
    if (!cJSON_IsNumber(mp) || !exp_rd_in_range(mp->valuedouble, 0, 1, 1, 0))
        exp_rd_expect(c, "search.sampler.mutation_prob", "a number in (0, 1] or \"auto\"", mp);
    else
        s->search.sampler.mutation_prob = mp->valuedouble;
}

static void print_mutation_prob(cJSON *o, const field *f, const exp_spec *s)
{
    if (s->search.sampler.mutation_prob > 0)
        cJSON_AddNumberToObject(o, f->key, s->search.sampler.mutation_prob);
    else
        cJSON_AddStringToObject(o, f->key, "auto");
}

static void print_min_resource(cJSON *o, const field *f, const exp_spec *s)
{
    if (s->search.pruner.min_resource > 0)
        cJSON_AddNumberToObject(o, f->key, s->search.pruner.min_resource);
    else
        cJSON_AddStringToObject(o, f->key, "auto");
}

/* search.sampler / search.pruner: a name or an object with a name; the kind
 * picks the owner's defaults and the keys that apply. Returns the kind, or -1
 * when the value is unusable (reported). `*obj` gets the object, or NULL for the
 * short form. */
static int read_kind(ctx *c, const cJSON *v, const char *path, const char *const *names,
                     int current, const char *example, const cJSON **obj)
{
    *obj = NULL;
    if (cJSON_IsString(v)) {
        int i = exp_rd_check_enum(c, v, path, names);
        return i >= 0 ? i : current;
    }
    if (!cJSON_IsObject(v)) {
        char e[160];
        snprintf(e, sizeof e, "an object such as {\"name\": \"%s\"} or a %s name", example,
                 strrchr(path, '.') + 1);
        exp_rd_expect(c, path, e, v);
        return -1;
    }
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(v, "name");
    char p[256];
    exp_rd_join(p, path, "name");
    int k = current;
    if (nm && (k = exp_rd_check_enum(c, nm, p, names)) < 0)
        return -1;
    *obj = v;
    return k;
}

static void read_sampler(ctx *c, const cJSON *sr, const char *path, const field *f, exp_spec *s)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(sr, f->key), *obj;
    if (!v)
        return;
    char p[256];
    exp_rd_join(p, path, f->key);
    int k = read_kind(c, v, p, sampler_names, (int)s->search.sampler.kind, "tpe", &obj);
    if (k < 0)
        return;
    opt_sampler_config_default(&s->search.sampler, (opt_sampler_kind)k);
    if (obj)
        exp_rd_read_section(c, obj, &exp_rd_sec_sampler, k, s);
}

static void print_sampler(cJSON *o, const field *f, const exp_spec *s)
{
    exp_rd_print_section(o, f->key, &exp_rd_sec_sampler, (int)s->search.sampler.kind, s);
}

static void read_pruner(ctx *c, const cJSON *sr, const char *path, const field *f, exp_spec *s)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(sr, f->key), *obj;
    if (!v)
        return;
    char p[256];
    exp_rd_join(p, path, f->key);
    int k = read_kind(c, v, p, pruner_names, (int)s->search.pruner.kind, "median", &obj);
    if (k < 0)
        return;
    opt_pruner_config_default(&s->search.pruner, (opt_pruner_kind)k);
    if (obj)
        exp_rd_read_section(c, obj, &exp_rd_sec_pruner, k, s);
    if (k == OPT_PRUNER_PERCENTILE && !(obj && cJSON_GetObjectItemCaseSensitive(obj, "percentile")))
        exp_rd_expect(c, "search.pruner.percentile", "a number in (0, 100) (required by the percentile pruner)",
               NULL);
}

static void print_pruner(cJSON *o, const field *f, const exp_spec *s)
{
    exp_rd_print_section(o, f->key, &exp_rd_sec_pruner, (int)s->search.pruner.kind, s);
}

/* An LSTM metric name at `path` (one of exp_metric_names, applying to the
 * target kind): its index, or -1 after recording the error. */
int exp_rd_check_metric(ctx *c, const cJSON *m, const char *path, const exp_spec *s)
{
    int i = exp_rd_check_enum(c, m, path, exp_metric_names);
    if (i < 0)
        return -1;
    int need = metric_target[i];
    if (need && !(need & (1 << s->trial.target.kind))) {
        char e[128];
        snprintf(e, sizeof e, "a metric for target.kind \"%s\"",
                 target_names[s->trial.target.kind]);
        exp_rd_expect(c, path, e, m);
    }
    return i;
}

static void read_metric(ctx *c, const cJSON *sr, const char *path, const field *f, exp_spec *s)
{
    (void)path;
    tr_target_kind kind = s->trial.target.kind;
    const char *metric = !c->lstm                    ? "value"
                         : kind == TR_TARGET_RETURN ? "val_mse"
                         : kind == TR_TARGET_PRICE  ? "val_rmse"
                                                    : "val_log_loss";
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(sr, f->key);
    if (m && c->lstm) {
        int i = exp_rd_check_metric(c, m, "search.metric", s);
        if (i >= 0)
            metric = exp_metric_names[i];
        else
            c->metric_bad = 1;
    } else if (m) {
        if (!cJSON_IsString(m) || !exp_rd_good_name(m->valuestring))
            exp_rd_expect(c, "search.metric", "a name of letters, digits, '_', '-', '.'", m);
        else
            metric = m->valuestring;
    }
    s->search.metric = strdup(metric);
}

/* search.metric is not printed for a multi-objective spec (search.metrics is). */
static void print_metric(cJSON *o, const field *f, const exp_spec *s)
{
    if (s->search.n_objectives < 2)
        cJSON_AddStringToObject(o, f->key, s->search.metric ? s->search.metric : "");
}

void exp_rd_check_direction(ctx *c, const char *path, const char *metric, opt_direction d,
                            const cJSON *dv)
{
    opt_direction natural;
    if (!c->lstm || !metric || exp_metric_direction(metric, &natural) != 0 || natural == d)
        return;
    char e[160];
    snprintf(e, sizeof e, "\"%s\" for metric %s (%s is better)", direction_names[natural],
             metric, natural == OPT_MAXIMIZE ? "higher" : "lower");
    if (dv)
        exp_rd_expect(c, path, e, dv);
    else
        exp_errors_add(c->errs, "%s: expected %s, got nothing (the default is "
                       "\"minimize\")", path, e);
}

/* The direction must agree with the LSTM metric's natural one. */
static void read_direction(ctx *c, const cJSON *sr, const char *path, const field *f, exp_spec *s)
{
    const cJSON *dv = cJSON_GetObjectItemCaseSensitive(sr, f->key);
    exp_rd_get_enum(c, sr, path, f->key, f->names, (int *)&s->search.direction);
    if (!c->metric_bad)
        exp_rd_check_direction(c, "search.direction", s->search.metric, s->search.direction, dv);
}

static void print_direction(cJSON *o, const field *f, const exp_spec *s)
{
    if (s->search.n_objectives < 2)
        cJSON_AddStringToObject(o, f->key, direction_names[s->search.direction]);
}


static void read_space(ctx *c, const cJSON *sr, const char *path, const field *f, exp_spec *s)
{
    (void)path;
    exp_rd_parse_space(c, cJSON_GetObjectItemCaseSensitive(sr, f->key), s);
    if (s->search.sampler.kind == OPT_SAMPLER_GRID)
        for (int i = 0; i < s->search.n_space; i++) {
            const exp_param *q = &s->search.space[i];
            if (q->type == EXP_PARAM_FLOAT && q->step == 0)
                exp_errors_add(c->errs, "search.space.%s.step: expected a step (the grid sampler "
                               "needs a finite grid), got nothing", q->name);
        }
}

static void print_space(cJSON *o, const field *f, const exp_spec *s)
{
    cJSON *sp = cJSON_AddObjectToObject(o, f->key);
    for (int i = 0; sp && i < s->search.n_space; i++)
        cJSON_AddItemToObject(sp, s->search.space[i].name, exp_rd_param_json(&s->search.space[i]));
}

