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

#include "optimizer/study.h"
#include "trainer/selection.h"
#include "trainer/trial.h"

struct exp_spec;

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

/* ---- names ------------------------------------------------------------------ */

/* The spec's own kinds. Everything else in a spec is the owners' types
 * (optimizer/study.h, trainer/trial.h), with their enums and defaults. */
typedef enum { EXP_PARAM_INT, EXP_PARAM_FLOAT, EXP_PARAM_CATEGORICAL } exp_param_type;
typedef enum { EXP_CHOICE_NUMBER, EXP_CHOICE_STRING, EXP_CHOICE_BOOL } exp_choice_kind;
/* What evaluates a trial: the built-in LSTM trainer (no "objective" key), an
 * external command, or a builtin test function. */
typedef enum { EXP_OBJECTIVE_LSTM, EXP_OBJECTIVE_COMMAND, EXP_OBJECTIVE_BUILTIN } exp_objective_kind;

/* The spelling of a value as it appears in the spec ("tpe", "maximize"...). */
static inline const char *exp_sampler_name(opt_sampler_kind k) { return opt_sampler_kind_name(k); }
static inline const char *exp_pruner_name(opt_pruner_kind k) { return opt_pruner_kind_name(k); }
const char *exp_direction_name(opt_direction d);
const char *exp_param_type_name(exp_param_type t);

/* The metrics the LSTM trainer reports (static, NULL-terminated) and each one's
 * natural direction (OPT_MAXIMIZE for accuracy, AUC, MCC, Sharpe...). */
extern const char *const exp_metric_names[];
int exp_metric_direction(const char *metric, opt_direction *out);   /* -1 unknown */

/* The builtin objective functions: the optimizer's test functions (static,
 * NULL-terminated). */
const char *const *exp_builtin_names(void);

/* The parameters the LSTM trainer understands (static, NULL-terminated), in the
 * order of the spec's field table. */
const char *const *exp_lstm_param_names(void);

/* The LSTM hyperparameters of one trial: the spec's fixed values (training.*)
 * overridden by the numbers in `params` (a JSON object keyed by parameter
 * name, as a trial's parameters travel). */
void exp_spec_trial_params(const struct exp_spec *s, const cJSON *params, tr_trial_params *out);

/* The parameter of a space that sets the trainer's window length: its name. */
extern const char *const exp_seq_len_param;

/* ---- the spec --------------------------------------------------------------- */

/* One choice of a categorical parameter. */
typedef struct exp_choice {
    exp_choice_kind kind;
    double number;   /* EXP_CHOICE_NUMBER; for BOOL 0 or 1 */
    char *text;      /* EXP_CHOICE_STRING only (owned), else NULL */
} exp_choice;

/* A parameter's condition on another one (`"when": {"layers": {">=": 2}}`):
 * the parameter is active in a trial only when `parent` is active and its
 * value satisfies `op` over values[0..n_values) (one value, or 1-16 for "in";
 * values of the parent's domain, of the JSON kind its choices have). An
 * inactive parameter is absent from the trial: no value is sampled, sent,
 * stored or exported for it. parent NULL: always active. */
typedef struct exp_when {
    char *parent;             /* owned */
    opt_cond_op op;
    exp_choice *values;       /* owned; text owned for string values */
    int n_values;
} exp_when;

/* One dimension of search.space. int: integer low..high (inclusive) on a grid
 * of `step` (default 1), `log` for a log-uniform draw (step must be 1).
 * float: low..high, step 0 = continuous, `log` (no step with log).
 * categorical: choices[0..n_choices). `when`: active only under a condition. */
typedef struct exp_param {
    char *name;               /* owned */
    exp_param_type type;
    double low, high;         /* int/float */
    double step;              /* int: >= 1 (default 1); float: 0 or > 0 */
    int log;                  /* 0/1 */
    exp_choice *choices;      /* categorical: owned array */
    int n_choices;
    exp_when when;
} exp_param;

typedef struct exp_spec {
    char *name;                       /* required, 1-200 printable UTF-8 (trk_study_name_check) */
    char *spec_dir;                   /* folder of the spec file (owned); "." for text */
    exp_objective_kind objective_kind;
    /* Which optional sections the JSON had (bit i = 1 << EXP_SECTION_*). With the
     * LSTM objective every section is present (filled with defaults). */
    unsigned present;

    struct {
        char *path;                   /* resolved against spec_dir (owned) */
    } data;                           /* data.gaps is trial.gaps */

    char **features;                  /* n_features owned strings, e.g. "rsi:14" */
    int n_features;

    /* target, validation, training and backtest: the trainer's trial config,
     * seeded by tr_trial_config_default. Its features and metric pointers are
     * left NULL here (they point into this spec once a trial is set up). */
    tr_trial_config trial;
    /* The fixed values of the LSTM hyperparameters the space does not search
     * (training.seq_len, units, ...), seeded by tr_trial_params_default. */
    tr_trial_params params;
    double trial_timeout_s;           /* training.trial_timeout_s: >= 0, 0 = no limit */

    struct {
        int n_trials;                 /* >= 1, default 20 */
        double timeout_s;             /* >= 0, 0 = none (default) */
        opt_sampler_config sampler;   /* opt_sampler_config_default(kind) + the spec's keys */
        int has_seed;                 /* 0: no seed given (a run picks and records one) */
        long long seed;               /* >= 0 when has_seed */
        opt_pruner_config pruner;     /* opt_pruner_config_default(kind) + the spec's keys */
        char *metric;                 /* owned; LSTM default val_log_loss (direction) or
                                         val_mse (return); objective default "value";
                                         multi-objective: metrics[0] */
        opt_direction direction;      /* default minimize (see README); directions[0] */
        /* search.metrics / search.directions: a multi-objective study. 0 when the
         * spec has search.metric (one objective), else 2..OPT_MAX_OBJECTIVES; the
         * sampler is then motpe, nsga2 or random and the pruner none. */
        int n_objectives;
        char *metrics[OPT_MAX_OBJECTIVES];          /* owned */
        opt_direction directions[OPT_MAX_OBJECTIVES];
        exp_param *space;             /* n_space owned params, in the JSON's order */
        int n_space;
        /* reproducible: trial k is suggested from the trials numbered below
         * k - reproducible_lag only, once they are finished (run_repro.h);
         * pruning is off. */
        int reproducible;             /* 0/1, default 0 */
        int reproducible_lag;         /* 1..4096, default 4 */
        /* search.enqueue: an array of objects parameter -> value (owned copy of
         * the checked JSON), run first in order; NULL when none */
        cJSON *enqueue;
        char *warm_start;             /* search.warm_start.study (owned), NULL = none */
    } search;

    struct {
        char **argv;                  /* COMMAND: argc owned strings + NULL */
        int argc;
        char *builtin;                /* BUILTIN: owned name */
        double sleep_s;               /* >= 0, default 0 (both kinds) */
    } objective;

    /* selection: the edge verdict's thresholds (trainer/selection.h), seeded by
     * tr_selection_config_default; printed for the LSTM objective only. */
    tr_selection_config selection;
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

/* The objectives a trial reports: 1, or search.n_objectives (2..4). */
int exp_spec_n_objectives(const exp_spec *s);
/* Objective k's metric name and direction (k = 0: search.metric/direction). */
const char *exp_spec_objective_name(const exp_spec *s, int k);
opt_direction exp_spec_objective_direction(const exp_spec *s, int k);
/* The optimizer's search space of a loaded spec: its parameters in the spec's
 * order with their conditions. 0 and *out (caller frees with opt_space_free),
 * or -1 with err. */
int exp_spec_space(const exp_spec *s, opt_space **out, char err[256]);

/* Whether parameter `name` is active in a configuration (a JSON object of
 * parameter -> value, as search.enqueue gives or a trial's parameters travel):
 * 1 active, 0 inactive, -1 unknown (an ancestor's value is not in it). */
int exp_spec_param_active(const exp_spec *s, const char *name, const cJSON *config);

#endif
