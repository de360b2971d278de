/*
 * spec.h - the study spec: a JSON file parsed into the typed struct `exp_spec`.
 *
 * The spec says what a study searches (search.space), how each trial is
 * evaluated (the LSTM trainer on candles, or an external/builtin objective), how
 * the search runs (sampler, pruner, budget) and how results are validated
 * (walk-forward folds, holdout, backtest). DESIGN.md, "The study spec", is the
 * contract; README.md's "Spec reference" lists every field with its default.
 *
 * Loading is all-or-nothing: every problem of a spec is collected into an
 * `exp_errors` list (each message `JSON.path: expected ..., got ...`) and the
 * spec is refused when the list is not empty, before any work starts.
 * A loaded spec serialises back to canonical JSON (every default filled, fixed
 * key order): the store keeps that text and `--resume` compares it.
 */
#ifndef EXP_SPEC_H
#define EXP_SPEC_H

#include <cjson/cJSON.h>

/* ---- errors ---------------------------------------------------------------- */

/* A list of error sentences, in the order found. Zero-initialise it
 * (`exp_errors e = {0};`) before use; free with exp_errors_free. */
typedef struct exp_errors {
    int n;
    char **msg;      /* n owned strings */
    int cap;
    int dropped;     /* errors found but not stored (out of memory); still a failure */
} exp_errors;

/* Appends one printf-style message: 0, or -1 when out of memory (then only
 * `dropped` grows, so the spec is still refused). */
int exp_errors_add(exp_errors *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Frees every message and resets the list to empty. */
void exp_errors_free(exp_errors *e);

/* ---- enums (the spec's string values; *_names() give the spellings) ------- */

typedef enum { EXP_GAPS_DROP, EXP_GAPS_KEEP } exp_gaps;
typedef enum {
    EXP_TARGET_DIRECTION, EXP_TARGET_RETURN, EXP_TARGET_MULTICLASS, EXP_TARGET_PRICE
} exp_target_kind;
typedef enum { EXP_NEUTRAL_DROP, EXP_NEUTRAL_KEEP } exp_neutral;
typedef enum { EXP_WINDOW_EXPANDING, EXP_WINDOW_ROLLING } exp_window;
typedef enum { EXP_SCALER_STANDARD, EXP_SCALER_MINMAX, EXP_SCALER_ROBUST } exp_scaler;
typedef enum {
    EXP_SAMPLER_RANDOM, EXP_SAMPLER_SOBOL, EXP_SAMPLER_TPE, EXP_SAMPLER_GP, EXP_SAMPLER_GRID
} exp_sampler_kind;
typedef enum {
    EXP_PRUNER_NONE, EXP_PRUNER_MEDIAN, EXP_PRUNER_PERCENTILE, EXP_PRUNER_SUCCESSIVE_HALVING
} exp_pruner_kind;
typedef enum { EXP_MINIMIZE, EXP_MAXIMIZE } exp_direction;
typedef enum { EXP_PARAM_INT, EXP_PARAM_FLOAT, EXP_PARAM_CATEGORICAL } exp_param_type;
typedef enum { EXP_CHOICE_NUMBER, EXP_CHOICE_STRING, EXP_CHOICE_BOOL } exp_choice_kind;
/* What evaluates a trial: the built-in LSTM trainer (no "objective" key), an
 * external command, or a builtin test function. */
typedef enum { EXP_OBJECTIVE_LSTM, EXP_OBJECTIVE_COMMAND, EXP_OBJECTIVE_BUILTIN } exp_objective_kind;

/* The spelling of an enum value as it appears in the spec ("tpe", "rolling"...). */
const char *exp_sampler_name(exp_sampler_kind k);
const char *exp_pruner_name(exp_pruner_kind k);
const char *exp_direction_name(exp_direction d);
const char *exp_param_type_name(exp_param_type t);

/* The metrics the LSTM trainer reports (static, NULL-terminated) and each one's
 * natural direction (EXP_MAXIMIZE for accuracy, AUC, MCC, Sharpe...). */
extern const char *const exp_metric_names[];
int exp_metric_direction(const char *metric, exp_direction *out);   /* -1 unknown */

/* The builtin objective functions: the optimizer's test functions (static,
 * NULL-terminated). */
const char *const *exp_builtin_names(void);

/* The parameters the LSTM trainer understands (static, NULL-terminated). */
extern const char *const exp_lstm_param_names[];

/* ---- the spec --------------------------------------------------------------- */

/* One choice of a categorical parameter. */
typedef struct exp_choice {
    exp_choice_kind kind;
    double number;   /* EXP_CHOICE_NUMBER; for BOOL 0 or 1 */
    char *text;      /* EXP_CHOICE_STRING only (owned), else NULL */
} exp_choice;

/* One dimension of search.space. int: integer low..high (inclusive) on a grid
 * of `step` (default 1), `log` for a log-uniform draw (step must be 1).
 * float: low..high, step 0 = continuous, `log` (no step with log).
 * categorical: choices[0..n_choices). */
typedef struct exp_param {
    char *name;               /* owned */
    exp_param_type type;
    double low, high;         /* int/float */
    double step;              /* int: >= 1 (default 1); float: 0 or > 0 */
    int log;                  /* 0/1 */
    exp_choice *choices;      /* categorical: owned array */
    int n_choices;
} exp_param;

typedef struct exp_spec {
    char *name;                       /* required, [A-Za-z0-9._-]{1,100} */
    char *spec_dir;                   /* folder of the spec file (owned); "." for text */
    exp_objective_kind objective_kind;
    /* Which optional sections the JSON had (bit i = 1 << EXP_SECTION_*). With the
     * LSTM objective every section is present (filled with defaults). */
    unsigned present;

    struct {
        char *path;                   /* resolved against spec_dir (owned) */
        exp_gaps gaps;                /* "drop" (default) | "keep": a window spanning a gap */
    } data;

    char **features;                  /* n_features owned strings, e.g. "rsi:14" */
    int n_features;

    struct {
        exp_target_kind kind;         /* "direction" (default) | "return" */
        int horizon;                  /* >= 1, default 1 */
        double deadband;              /* >= 0, default 0 */
        exp_neutral neutral;          /* "drop" (default) | "keep" (as class 0) */
        /* issue 17: "multiclass" (down/flat/up, deadband > 0 is the flat band) */
        int has_class_weights;        /* class_weights given (multiclass only) */
        double class_weights[3];      /* >= 0 each, not all 0: down, flat, up */
    } target;

    struct {
        int folds;                    /* >= 1, default 5 */
        exp_window window;            /* default expanding */
        double val_fraction;          /* (0, 0.9], default 0.15 */
        double holdout_fraction;      /* [0, 0.9], default 0.15 */
        int embargo;                  /* >= 0 bars, default 0 */
        exp_scaler scaler;            /* default standard */
    } validation;

    struct {
        int max_epochs;               /* >= 1, default 100 */
        int patience;                 /* >= 1, default 15 (early stopping) */
        double clip_norm;             /* > 0, default 1.0 */
        double l2;                    /* >= 0, default 0 */
        struct { double factor; int patience; } lr_plateau;  /* (0,1) 0.5; >= 1, 5 */
        double trial_timeout_s;       /* >= 0, 0 = no limit (default) */
        int threads;                  /* >= 1, default 1 (BLAS threads per worker) */
        /* Fixed values of the LSTM parameters that search.space does not search. */
        int seq_len;                  /* default 32 */
        int units;                    /* default 32 */
        int layers;                   /* 1..4, default 1 */
        double dropout;               /* [0,1), default 0 */
        double learning_rate;         /* > 0, default 1e-3 */
        int batch_size;               /* default 64 */
        double l1;                    /* >= 0, default 0: L1 on the weights (issue 17) */
        int bidirectional;            /* false (default) / true (issue 17) */
    } training;

    struct {
        int n_trials;                 /* >= 1, default 20 */
        double timeout_s;             /* >= 0, 0 = none (default) */
        struct {
            exp_sampler_kind name;    /* default tpe */
            int n_startup_trials;     /* tpe 10, gp 10 (Optuna's) */
            int multivariate;         /* tpe, default 1 */
            int constant_liar;        /* tpe, default 1 */
            int has_seed;             /* 0: no seed given (a run picks and records one) */
            long long seed;           /* >= 0 when has_seed */
            int n_ei_candidates;      /* tpe, default 24 */
        } sampler;
        struct {
            exp_pruner_kind name;     /* default median (Optuna's study default) */
            int n_startup_trials;     /* median/percentile, default 5 */
            int n_warmup_steps;       /* default 0 */
            int interval;             /* interval_steps, default 1 */
            double percentile;        /* percentile: (0,100), required there; median = 50 */
            int reduction_factor;     /* successive_halving, >= 2, default 4 */
            int min_resource;         /* successive_halving, 0 = "auto" (default) */
        } pruner;
        char *metric;                 /* owned; LSTM default val_log_loss (direction) or
                                         val_mse (return); objective default "value" */
        exp_direction direction;      /* default minimize (see README) */
        exp_param *space;             /* n_space owned params, in the JSON's order */
        int n_space;
    } search;

    struct {
        double fee_bps;               /* >= 0, default 10 (per position change) */
        double long_threshold;        /* direction: prob in [0,1], default 0.55; return: 0 */
        double short_threshold;       /* <= long_threshold; direction 0.45; return: 0 */
    } backtest;

    struct {
        char **argv;                  /* COMMAND: argc owned strings + NULL */
        int argc;
        char *builtin;                /* BUILTIN: owned name */
        double sleep_s;               /* >= 0, default 0 (both kinds) */
    } objective;
} exp_spec;

enum {
    EXP_SECTION_DATA, EXP_SECTION_FEATURES, EXP_SECTION_TARGET, EXP_SECTION_VALIDATION,
    EXP_SECTION_TRAINING, EXP_SECTION_BACKTEST
};

/* ---- loading, printing, freeing ---------------------------------------------- */

/*
 * Reads and checks the spec file `path`. On success returns 0 and fills `*out`
 * (caller frees with exp_spec_free). On failure returns -1, leaves `*out`
 * zeroed and appends every problem found to `errs` (caller frees with
 * exp_errors_free). Relative data paths resolve against the spec's folder; the
 * data file must exist and be readable.
 */
int exp_spec_load(const char *path, exp_spec *out, exp_errors *errs);

/*
 * Same as exp_spec_load for JSON text already in memory (e.g. the canonical
 * text a worker receives). `base_dir` resolves relative data paths (NULL = ".");
 * `check_files` 0 skips the data-file check (workers without a shared disk).
 */
int exp_spec_parse(const char *json, const char *base_dir, int check_files,
                   exp_spec *out, exp_errors *errs);

/* Frees everything `s` owns and zeroes it; safe on a zeroed struct. */
void exp_spec_free(exp_spec *s);

/* The canonical JSON of a loaded spec (defaults filled, fixed key order).
 * Returns NULL on out of memory; the caller frees with cJSON_Delete. */
cJSON *exp_spec_to_json(const exp_spec *s);

/* The canonical JSON as text (indented when `pretty`); caller frees with free().
 * Two loads of the same spec give the same text. NULL on out of memory. */
char *exp_spec_to_string(const exp_spec *s, int pretty);

/* The search-space parameter called `name`, or NULL. */
const exp_param *exp_spec_param(const exp_spec *s, const char *name);

#endif
