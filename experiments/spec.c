/*
 * spec.c - parses and checks the study spec (spec.h) with cJSON, fills the
 * defaults, and prints the canonical JSON back.
 *
 * The checker never stops at the first problem: each field reader records an
 * error (`JSON.path: expected ..., got ...`) and leaves the default in place, so
 * one pass reports everything wrong with a spec. A section of the wrong type is
 * reported once and its fields are skipped.
 */
#include "experiments/spec.h"

#include "base/file.h"
#include "optimizer/testfuncs.h"

#include "experiments/cli.h"
#include "trainer/features.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- error list ------------------------------------------------------------- */

int exp_errors_add(exp_errors *e, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (e->n == e->cap) {
        int cap = e->cap ? 2 * e->cap : 8;
        char **m = realloc(e->msg, sizeof *m * (size_t)cap);
        if (!m) {
            e->dropped++;   /* the verdict survives even without the text */
            return -1;
        }
        e->msg = m;
        e->cap = cap;
    }
    e->msg[e->n] = strdup(buf);
    if (!e->msg[e->n]) {
        e->dropped++;
        return -1;
    }
    e->n++;
    return 0;
}

void exp_errors_free(exp_errors *e)
{
    for (int i = 0; i < e->n; i++)
        free(e->msg[i]);
    free(e->msg);
    memset(e, 0, sizeof *e);
}

/* ---- names ------------------------------------------------------------------- */

static const char *const sampler_names[] = {"random", "sobol", "tpe", "gp", "grid", NULL};
static const char *const pruner_names[] = {"none", "median", "percentile", "successive_halving", NULL};
static const char *const direction_names[] = {"minimize", "maximize", NULL};
static const char *const param_type_names[] = {"int", "float", "categorical", NULL};
static const char *const gaps_names[] = {"drop", "keep", NULL};        /* tr_gap_policy */
static const char *const target_names[] = {"direction", "return", NULL}; /* tr_target_kind */
static const char *const neutral_names[] = {"drop", "keep", NULL};     /* keep_deadband 0/1 */
static const char *const window_names[] = {"expanding", "rolling", NULL}; /* rolling 0/1 */
static const char *const scaler_names[] = {"standard", "minmax", "robust", NULL}; /* tr_scaler_kind */

_Static_assert(sizeof(tr_gap_policy) == sizeof(int) && sizeof(tr_target_kind) == sizeof(int) &&
               sizeof(tr_scaler_kind) == sizeof(int) && sizeof(opt_direction) == sizeof(int),
               "the field table reads enums as int");

const char *const exp_metric_names[] = {
    "val_log_loss", "val_accuracy", "val_balanced_accuracy", "val_auc", "val_brier", "val_mcc",
    "val_mse", "val_mae", "sharpe", "sortino", "total_return", "max_drawdown", NULL};
/* 1 = higher is better, parallel to exp_metric_names. */
static const int metric_maximize[] = {0, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0};
/* 1 = needs target.kind "direction", 2 = needs "return", 0 = either. */
static const int metric_target[] = {1, 1, 1, 1, 1, 1, 2, 2, 0, 0, 0, 0};

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

static int name_index(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

static int count_names(const char *const *names)
{
    int n = 0;
    while (names[n])
        n++;
    return n;
}

const char *exp_direction_name(opt_direction d) { return direction_names[d]; }
const char *exp_param_type_name(exp_param_type t) { return param_type_names[t]; }

int exp_metric_direction(const char *metric, opt_direction *out)
{
    int i = name_index(exp_metric_names, metric);
    if (i < 0)
        return -1;
    *out = metric_maximize[i] ? OPT_MAXIMIZE : OPT_MINIMIZE;
    return 0;
}

/* ---- reading fields -------------------------------------------------------- */

typedef struct ctx {
    exp_errors *errs;
    int lstm;        /* the LSTM trainer evaluates trials (no "objective") */
    const char *base_dir;
    int check_files;
    int metric_bad;  /* search.metric was not one of the metrics (direction not checked) */
} ctx;
/* A short rendering of a JSON value for "got ..." (NULL = "nothing"). */
static void show(const cJSON *v, char out[96])
{
    if (!v) {
        snprintf(out, 96, "nothing");
        return;
    }
    char *t = cJSON_PrintUnformatted(v);
    if (!t) {
        snprintf(out, 96, "a value");
        return;
    }
    if (strlen(t) > 80)
        snprintf(out, 96, "%.77s...", t);
    else
        snprintf(out, 96, "%s", t);
    free(t);
}

static void expect(ctx *c, const char *path, const char *expected, const cJSON *got)
{
    char g[96];
    show(got, g);
    exp_errors_add(c->errs, "%s: expected %s, got %s", path, expected, g);
}

static void join(char out[256], const char *parent, const char *key)
{
    int n;
    if (!parent || !*parent)
        n = snprintf(out, 256, "%s", key);
    else
        n = snprintf(out, 256, "%s.%s", parent, key);
    if (n >= 256)
        out[255] = '\0';   /* an absurdly long path is cut, never overflowed */
}

/* A list of names as "a, b, c". */
static void list_names(const char *const *names, char *out, size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
    for (int i = 0; names[i] && off < cap; i++)
        off += (size_t)snprintf(out + off, cap - off, "%s%s", i ? ", " : "", names[i]);
}

/* Reports keys of `obj` not in `allowed` (with a hint) and duplicate keys. */
static void check_keys(ctx *c, const cJSON *obj, const char *path, const char *const *allowed)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        char p[256];
        join(p, path, it->string ? it->string : "");
        for (const cJSON *prev = obj->child; prev != it; prev = prev->next)
            if (prev->string && it->string && strcmp(prev->string, it->string) == 0) {
                exp_errors_add(c->errs, "%s: expected each key once, got it twice", p);
                break;
            }
        if (it->string && name_index(allowed, it->string) >= 0)
            continue;
        char list[512];
        list_names(allowed, list, sizeof list);
        const char *hint = exp_closest(it->string ? it->string : "", (const char *const *)allowed,
                                       count_names(allowed));
        if (hint)
            exp_errors_add(c->errs, "%s: expected one of the keys %s, got unknown key \"%s\" "
                           "(did you mean \"%s\"?)", p, list, it->string, hint);
        else
            exp_errors_add(c->errs, "%s: expected one of the keys %s, got unknown key \"%s\"",
                           p, list, it->string);
    }
}

/* The object at obj[key]; NULL (and an error when present but not an object or
 * when `required`) otherwise. */
static const cJSON *get_object(ctx *c, const cJSON *obj, const char *path, const char *key,
                               int required)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    char p[256];
    join(p, path, key);
    if (!v) {
        if (required)
            expect(c, p, "an object (required)", NULL);
        return NULL;
    }
    if (!cJSON_IsObject(v)) {
        expect(c, p, "an object", v);
        return NULL;
    }
    return v;
}

static int is_integer(double v)
{
    return isfinite(v) && v == floor(v) && fabs(v) <= 9007199254740992.0;
}

/* obj[key] as an integer in [lo, hi]; missing leaves *out (the default). */
static void get_int(ctx *c, const cJSON *obj, const char *path, const char *key,
                    long long lo, long long hi, int required, long long *out)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    char p[256], e[128];
    join(p, path, key);
    if (hi == LLONG_MAX)
        snprintf(e, sizeof e, "an integer >= %lld%s", lo, required && !v ? " (required)" : "");
    else
        snprintf(e, sizeof e, "an integer in [%lld, %lld]%s", lo, hi,
                 required && !v ? " (required)" : "");
    if (!v) {
        if (required)
            expect(c, p, e, NULL);
        return;
    }
    if (!cJSON_IsNumber(v) || !is_integer(v->valuedouble) || v->valuedouble < (double)lo ||
        v->valuedouble > (double)hi) {
        expect(c, p, e, v);
        return;
    }
    *out = (long long)v->valuedouble;
}

static void get_int32(ctx *c, const cJSON *obj, const char *path, const char *key,
                      int lo, int hi, int *out)
{
    long long v = *out;
    get_int(c, obj, path, key, lo, hi == INT_MAX ? LLONG_MAX : hi, 0, &v);
    *out = (int)v;
}

/* The range [lo, hi] with open ends as words ("a number > 0", "a number in [0, 1)"). */
static void range_text(double lo, int lo_open, double hi, int hi_open, char out[128])
{
    if (isinf(hi) && isinf(lo))
        snprintf(out, 128, "a number");
    else if (isinf(hi))
        snprintf(out, 128, "a number %s %g", lo_open ? ">" : ">=", lo);
    else
        snprintf(out, 128, "a number in %c%g, %g%c", lo_open ? '(' : '[', lo, hi,
                 hi_open ? ')' : ']');
}

static int in_range(double v, double lo, int lo_open, double hi, int hi_open)
{
    if (!isfinite(v))
        return 0;
    if (lo_open ? !(v > lo) : !(v >= lo))
        return 0;
    if (hi_open ? !(v < hi) : !(v <= hi))
        return 0;
    return 1;
}

/* obj[key] as a number in the range; missing leaves *out (the default). */
static void get_num(ctx *c, const cJSON *obj, const char *path, const char *key,
                    double lo, int lo_open, double hi, int hi_open, double *out)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (!v)
        return;
    char p[256], e[128];
    join(p, path, key);
    range_text(lo, lo_open, hi, hi_open, e);
    if (!cJSON_IsNumber(v) || !in_range(v->valuedouble, lo, lo_open, hi, hi_open)) {
        expect(c, p, e, v);
        return;
    }
    *out = v->valuedouble;
}

static void get_bool(ctx *c, const cJSON *obj, const char *path, const char *key, int *out)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (!v)
        return;
    char p[256];
    join(p, path, key);
    if (!cJSON_IsBool(v)) {
        expect(c, p, "true or false", v);
        return;
    }
    *out = cJSON_IsTrue(v);
}

/* A string value that must be one of `names`; returns its index or -1. */
static int check_enum(ctx *c, const cJSON *v, const char *p, const char *const *names)
{
    char list[256], e[320];
    list_names(names, list, sizeof list);
    snprintf(e, sizeof e, "one of %s", list);
    if (!cJSON_IsString(v)) {
        expect(c, p, e, v);
        return -1;
    }
    int i = name_index(names, v->valuestring);
    if (i >= 0)
        return i;
    const char *hint = exp_closest(v->valuestring, names, count_names(names));
    char g[96];
    show(v, g);
    if (hint)
        exp_errors_add(c->errs, "%s: expected %s, got %s (did you mean \"%s\"?)", p, e, g, hint);
    else
        exp_errors_add(c->errs, "%s: expected %s, got %s", p, e, g);
    return -1;
}

/* obj[key] as one of `names`; missing leaves *out (the default). */
static void get_enum(ctx *c, const cJSON *obj, const char *path, const char *key,
                     const char *const *names, int *out)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (!v)
        return;
    char p[256];
    join(p, path, key);
    int i = check_enum(c, v, p, names);
    if (i >= 0)
        *out = i;
}

/* A name: 1..100 characters from [A-Za-z0-9._-]. */
static int good_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 100)
        return 0;
    for (const char *q = s; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '_' || *q == '-' || *q == '.'))
            return 0;
    return 1;
}

static cJSON *param_json(const exp_param *q);

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

typedef enum { FT_INT, FT_NUM, FT_BOOL, FT_ENUM, FT_CUSTOM } field_type;

/* The meaningful range of an LSTM hyperparameter in search.space. */
typedef struct param_range {
    int integer;               /* only whole values make sense */
    double lo, hi;
    int lo_open, hi_open;      /* bound excluded */
} param_range;

typedef struct field field;
struct field {
    const char *key;
    field_type type;
    size_t offset;                  /* of the value in exp_spec */
    double lo, hi;
    int lo_open, hi_open;
    const char *const *names;       /* FT_ENUM */
    unsigned when;                  /* sampler/pruner kinds taking the key (bits); 0 = all */
    const param_range *param;       /* an LSTM hyperparameter (searchable) */
    const char *doc;
    void (*read)(ctx *c, const cJSON *sec, const char *path, const field *f, exp_spec *s);
    void (*print)(cJSON *obj, const field *f, const exp_spec *s);
};

#define SPEC_AT(member) offsetof(exp_spec, member)
#define KIND(k) (1u << (k))
#define TPE KIND(OPT_SAMPLER_TPE)
#define MEDIAN_LIKE (KIND(OPT_PRUNER_MEDIAN) | KIND(OPT_PRUNER_PERCENTILE))
#define SH KIND(OPT_PRUNER_SUCCESSIVE_HALVING)

static const param_range range_pos_int = {1, 0, INFINITY, 1, 0};
static const param_range range_layers = {1, 1, 4, 0, 0};
static const param_range range_dropout = {0, 0, 1, 0, 1};
static const param_range range_pos = {0, 0, INFINITY, 1, 0};
static const param_range range_nonneg = {0, 0, INFINITY, 0, 0};

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
static void read_space(ctx *c, const cJSON *sec, const char *path, const field *f, exp_spec *s);
static void print_space(cJSON *obj, const field *f, const exp_spec *s);
static void read_seed(ctx *c, const cJSON *sec, const char *path, const field *f, exp_spec *s);
static void print_seed(cJSON *obj, const field *f, const exp_spec *s);
static void read_min_resource(ctx *c, const cJSON *sec, const char *path, const field *f,
                              exp_spec *s);
static void print_min_resource(cJSON *obj, const field *f, const exp_spec *s);
static void read_kind_name(ctx *c, const cJSON *sec, const char *path, const field *f,
                           exp_spec *s);
static void print_kind_name(cJSON *obj, const field *f, const exp_spec *s);

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
};

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
     .read = read_direction, .doc = "minimize or maximize the metric"},
    {"space", FT_CUSTOM, 0, .read = read_space, .print = print_space, .doc = "the search space"},
};

static const field backtest_fields[] = {
    {"fee_bps", FT_NUM, SPEC_AT(trial.fee_bps), 0, 10000,
     .doc = "cost per position change, basis points"},
    {"long_threshold", FT_CUSTOM, SPEC_AT(trial.long_threshold), .read = read_threshold,
     .print = print_num, .doc = "go long above it"},
    {"short_threshold", FT_CUSTOM, SPEC_AT(trial.short_threshold), .read = read_threshold,
     .print = print_num, .doc = "go short below it"},
};

typedef struct section {
    const char *path;
    const field *fields;
    int n;
} section;

#define SECTION(path, rows) {path, rows, (int)(sizeof rows / sizeof rows[0])}
static const section sec_data = SECTION("data", data_fields);
static const section sec_target = SECTION("target", target_fields);
static const section sec_validation = SECTION("validation", validation_fields);
static const section sec_training = SECTION("training", training_fields);
static const section sec_sampler = SECTION("search.sampler", sampler_fields);
static const section sec_pruner = SECTION("search.pruner", pruner_fields);
static const section sec_search = SECTION("search", search_fields);
static const section sec_backtest = SECTION("backtest", backtest_fields);

/* The LSTM hyperparameters: the training rows with a .param range. */
static const field *lstm_param(const char *name)
{
    for (int i = 0; i < sec_training.n; i++)
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
        for (int i = 0; i < sec_training.n; i++)
            if (training_fields[i].param)
                names[n++] = training_fields[i].key;
    }
    return names;
}

const char *const exp_seq_len_param = "seq_len";

void exp_spec_trial_params(const exp_spec *s, const cJSON *params, tr_trial_params *out)
{
    *out = s->params;
    for (int i = 0; i < sec_training.n; i++) {
        const field *f = &training_fields[i];
        const cJSON *v = f->param ? cJSON_GetObjectItemCaseSensitive(params, f->key) : NULL;
        if (!cJSON_IsNumber(v))
            continue;
        char *at = (char *)out + (f->offset - SPEC_AT(params));
        assert(f->offset >= SPEC_AT(params) &&
               f->offset - SPEC_AT(params) < sizeof(tr_trial_params));
        if (f->type == FT_INT)
            *(int *)at = (int)v->valuedouble;
        else
            *(double *)at = v->valuedouble;
    }
}

/* ---- reading and printing a section from its rows -------------------------------- */

static int row_taken(const field *f, int kind)
{
    return f->when == 0 || kind < 0 || (f->when & (1u << kind));
}

/* The keys of a section (the first part of "object.key" rows, once each) that
 * `kind` takes (-1: every row), NULL-terminated. `prefix` non-NULL: the keys
 * inside that sub-object instead. */
static void section_keys(const section *sc, int kind, const char *prefix, const char **out,
                         char store[][64], int cap)
{
    int n = 0;
    size_t plen = prefix ? strlen(prefix) : 0;
    for (int i = 0; i < sc->n && n < cap - 1; i++) {
        const field *f = &sc->fields[i];
        if (!row_taken(f, kind))
            continue;
        const char *key = f->key;
        if (prefix) {
            if (strncmp(key, prefix, plen) != 0 || key[plen] != '.')
                continue;
            key += plen + 1;
        }
        snprintf(store[n], 64, "%.*s", (int)strcspn(key, "."), key);
        int dup = 0;
        for (int k = 0; k < n; k++)
            dup |= strcmp(out[k], store[n]) == 0;
        if (!dup) {
            out[n] = store[n];
            n++;
        }
    }
    out[n] = NULL;
}

static void read_field(ctx *c, const cJSON *obj, const char *path, const char *key,
                       const field *f, exp_spec *s)
{
    char *at = (char *)s + f->offset;
    if (f->read) {
        f->read(c, obj, path, f, s);
        return;
    }
    switch (f->type) {
    case FT_INT:
        get_int32(c, obj, path, key, (int)f->lo, f->hi >= INT_MAX ? INT_MAX : (int)f->hi, (int *)at);
        break;
    case FT_NUM:
        get_num(c, obj, path, key, f->lo, f->lo_open, f->hi, f->hi_open, (double *)at);
        break;
    case FT_BOOL:
        get_bool(c, obj, path, key, (int *)at);
        break;
    case FT_ENUM:
        get_enum(c, obj, path, key, f->names, (int *)at);
        break;
    case FT_CUSTOM:
        break;
    }
}

/* Checks the keys of `obj` (the section's JSON object) and reads every row that
 * `kind` takes (-1: all) into s; missing keys keep the defaults. */
static void read_section(ctx *c, const cJSON *obj, const section *sc, int kind, exp_spec *s)
{
    const char *keys[64];
    char store[64][64];
    section_keys(sc, kind, NULL, keys, store, 64);
    check_keys(c, obj, sc->path, keys);
    for (int i = 0; i < sc->n; i++) {
        const field *f = &sc->fields[i];
        if (!row_taken(f, kind))
            continue;
        const char *dot = strchr(f->key, '.');
        if (!dot) {
            read_field(c, obj, sc->path, f->key, f, s);
            continue;
        }
        /* a sub-object: its rows are consecutive; read them all here */
        char sub[64], p[256];
        snprintf(sub, sizeof sub, "%.*s", (int)(dot - f->key), f->key);
        int j = i;
        while (j < sc->n && strncmp(sc->fields[j].key, f->key, (size_t)(dot - f->key) + 1) == 0)
            j++;
        const cJSON *o = get_object(c, obj, sc->path, sub, 0);
        if (o) {
            join(p, sc->path, sub);
            const char *sk[64];
            char sstore[64][64];
            section_keys(sc, kind, sub, sk, sstore, 64);
            check_keys(c, o, p, sk);
            for (int k = i; k < j; k++)
                if (row_taken(&sc->fields[k], kind))
                    read_field(c, o, p, strchr(sc->fields[k].key, '.') + 1, &sc->fields[k], s);
        }
        i = j - 1;
    }
}

static void print_field(cJSON *o, const char *key, const field *f, const exp_spec *s)
{
    const char *at = (const char *)s + f->offset;
    if (f->print) {
        f->print(o, f, s);
        return;
    }
    switch (f->type) {
    case FT_INT:
        cJSON_AddNumberToObject(o, key, *(const int *)at);
        break;
    case FT_NUM:
        cJSON_AddNumberToObject(o, key, *(const double *)at);
        break;
    case FT_BOOL:
        cJSON_AddBoolToObject(o, key, *(const int *)at);
        break;
    case FT_ENUM:
        cJSON_AddStringToObject(o, key, f->names[*(const int *)at]);
        break;
    case FT_CUSTOM:
        break;
    }
}

/* Adds the section as object `name` of `parent`: every row `kind` takes, in
 * table order. */
static void print_section(cJSON *parent, const char *name, const section *sc, int kind,
                          const exp_spec *s)
{
    cJSON *o = cJSON_AddObjectToObject(parent, name);
    if (!o)
        return;
    for (int i = 0; i < sc->n; i++) {
        const field *f = &sc->fields[i];
        if (!row_taken(f, kind))
            continue;
        const char *dot = strchr(f->key, '.');
        if (!dot) {
            print_field(o, f->key, f, s);
            continue;
        }
        char sub[64];
        snprintf(sub, sizeof sub, "%.*s", (int)(dot - f->key), f->key);
        cJSON *so = cJSON_GetObjectItemCaseSensitive(o, sub);
        if (!so)
            so = cJSON_AddObjectToObject(o, sub);
        if (so)
            print_field(so, dot + 1, f, s);
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
        expect(c, "data.path", p ? "a file path" : "a file path (required)", p);
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
    get_num(c, b, path, f->key, lo, 0, hi, 0, (double *)((char *)s + f->offset));
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
    get_int(c, v, path, f->key, 0, 9007199254740991LL, 0, &seed);
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
    if (!cJSON_IsNumber(mr) || !is_integer(mr->valuedouble) || mr->valuedouble < 1 ||
        mr->valuedouble > 1000000)
        expect(c, "search.pruner.min_resource", "an integer >= 1 or \"auto\"", mr);
    else
        s->search.pruner.min_resource = (int)mr->valuedouble;
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
        int i = check_enum(c, v, path, names);
        return i >= 0 ? i : current;
    }
    if (!cJSON_IsObject(v)) {
        char e[160];
        snprintf(e, sizeof e, "an object such as {\"name\": \"%s\"} or a %s name", example,
                 strrchr(path, '.') + 1);
        expect(c, path, e, v);
        return -1;
    }
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(v, "name");
    char p[256];
    join(p, path, "name");
    int k = current;
    if (nm && (k = check_enum(c, nm, p, names)) < 0)
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
    join(p, path, f->key);
    int k = read_kind(c, v, p, sampler_names, (int)s->search.sampler.kind, "tpe", &obj);
    if (k < 0)
        return;
    opt_sampler_config_default(&s->search.sampler, (opt_sampler_kind)k);
    if (obj)
        read_section(c, obj, &sec_sampler, k, s);
}

static void print_sampler(cJSON *o, const field *f, const exp_spec *s)
{
    print_section(o, f->key, &sec_sampler, (int)s->search.sampler.kind, s);
}

static void read_pruner(ctx *c, const cJSON *sr, const char *path, const field *f, exp_spec *s)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(sr, f->key), *obj;
    if (!v)
        return;
    char p[256];
    join(p, path, f->key);
    int k = read_kind(c, v, p, pruner_names, (int)s->search.pruner.kind, "median", &obj);
    if (k < 0)
        return;
    opt_pruner_config_default(&s->search.pruner, (opt_pruner_kind)k);
    if (obj)
        read_section(c, obj, &sec_pruner, k, s);
    if (k == OPT_PRUNER_PERCENTILE && !(obj && cJSON_GetObjectItemCaseSensitive(obj, "percentile")))
        expect(c, "search.pruner.percentile", "a number in (0, 100) (required by the percentile pruner)",
               NULL);
}

static void print_pruner(cJSON *o, const field *f, const exp_spec *s)
{
    print_section(o, f->key, &sec_pruner, (int)s->search.pruner.kind, s);
}

static void read_metric(ctx *c, const cJSON *sr, const char *path, const field *f, exp_spec *s)
{
    (void)path;
    int ret = s->trial.target.kind == TR_TARGET_RETURN;
    const char *metric = c->lstm ? (ret ? "val_mse" : "val_log_loss") : "value";
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(sr, f->key);
    if (m && c->lstm) {
        int i = check_enum(c, m, "search.metric", exp_metric_names);
        if (i >= 0) {
            metric = exp_metric_names[i];
            int need = metric_target[i];
            if (need && need != (ret ? 2 : 1)) {
                char e[128];
                snprintf(e, sizeof e, "a metric for target.kind \"%s\"",
                         target_names[s->trial.target.kind]);
                expect(c, "search.metric", e, m);
            }
        } else {
            c->metric_bad = 1;
        }
    } else if (m) {
        if (!cJSON_IsString(m) || !good_name(m->valuestring))
            expect(c, "search.metric", "a name of letters, digits, '_', '-', '.'", m);
        else
            metric = m->valuestring;
    }
    s->search.metric = strdup(metric);
}

static void print_metric(cJSON *o, const field *f, const exp_spec *s)
{
    cJSON_AddStringToObject(o, f->key, s->search.metric ? s->search.metric : "");
}

/* The direction must agree with the LSTM metric's natural one. */
static void read_direction(ctx *c, const cJSON *sr, const char *path, const field *f, exp_spec *s)
{
    const cJSON *dv = cJSON_GetObjectItemCaseSensitive(sr, f->key);
    get_enum(c, sr, path, f->key, f->names, (int *)&s->search.direction);
    opt_direction natural;
    if (!c->lstm || c->metric_bad || !s->search.metric ||
        exp_metric_direction(s->search.metric, &natural) != 0 || natural == s->search.direction)
        return;
    char e[160];
    snprintf(e, sizeof e, "\"%s\" for metric %s (%s is better)", direction_names[natural],
             s->search.metric, natural == OPT_MAXIMIZE ? "higher" : "lower");
    if (dv)
        expect(c, "search.direction", e, dv);
    else
        exp_errors_add(c->errs, "search.direction: expected %s, got nothing (the default is "
                       "\"minimize\")", e);
}

/* ---- sections ----------------------------------------------------------------- */

static const char *const root_keys[] = {"name", "data", "features", "target", "validation",
    "training", "search", "backtest", "objective", NULL};

static void parse_features(ctx *c, const cJSON *f, exp_spec *s)
{
    if (!cJSON_IsArray(f) || cJSON_GetArraySize(f) == 0) {
        expect(c, "features", "a non-empty array of feature names such as \"rsi:14\"", f);
        return;
    }
    int n = cJSON_GetArraySize(f);
    s->features = calloc((size_t)n, sizeof *s->features);
    if (!s->features) {
        exp_errors_add(c->errs, "features: out of memory");
        return;
    }
    int nreg;
    const tr_feature_info *reg = tr_feature_list(&nreg);
    const char **names = malloc(sizeof *names * (size_t)(nreg > 0 ? nreg : 1));
    if (!names) {
        exp_errors_add(c->errs, "features: out of memory");
        return;
    }
    for (int i = 0; i < nreg; i++)
        names[i] = reg[i].name;
    int i = 0;
    for (const cJSON *it = f->child; it; it = it->next, i++) {
        char p[64], err[256];
        snprintf(p, sizeof p, "features[%d]", i);
        if (!cJSON_IsString(it)) {
            expect(c, p, "a feature name such as \"rsi:14\"", it);
            continue;
        }
        if (tr_feature_check(it->valuestring, err) != 0) {
            char base[64];
            snprintf(base, sizeof base, "%.*s", (int)strcspn(it->valuestring, ":"), it->valuestring);
            int known = 0;
            for (int k = 0; k < nreg; k++)
                known |= strcmp(reg[k].name, base) == 0;
            const char *hint = known ? NULL : exp_closest(base, names, nreg);
            if (hint)
                exp_errors_add(c->errs, "%s: expected a known feature, got \"%s\" (did you mean \"%s\"?)",
                               p, it->valuestring, hint);
            else
                exp_errors_add(c->errs, "%s: expected a known feature with valid arguments, "
                               "got \"%s\" (%s)", p, it->valuestring, err);
            continue;
        }
        for (int k = 0; k < s->n_features; k++)
            if (strcmp(s->features[k], it->valuestring) == 0)
                exp_errors_add(c->errs, "%s: expected each feature once, got \"%s\" twice",
                               p, it->valuestring);
        s->features[s->n_features] = strdup(it->valuestring);
        if (s->features[s->n_features])
            s->n_features++;
    }
    free(names);
}


static void parse_objective(ctx *c, const cJSON *o, exp_spec *s)
{
    static const char *const keys[] = {"command", "builtin", "sleep_s", NULL};
    check_keys(c, o, "objective", keys);
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(o, "command");
    const cJSON *bi = cJSON_GetObjectItemCaseSensitive(o, "builtin");
    if ((cmd && bi) || (!cmd && !bi)) {
        exp_errors_add(c->errs, "objective: expected exactly one of \"command\" or \"builtin\", got %s",
                       cmd ? "both" : "neither");
    }
    if (cmd) {
        s->objective_kind = EXP_OBJECTIVE_COMMAND;
        int n = cJSON_IsArray(cmd) ? cJSON_GetArraySize(cmd) : 0;
        if (n == 0) {
            expect(c, "objective.command", "a non-empty array of strings (program and arguments)", cmd);
        } else {
            s->objective.argv = calloc((size_t)n + 1, sizeof(char *));
            int i = 0;
            for (const cJSON *it = cmd->child; it && s->objective.argv; it = it->next, i++) {
                char p[64];
                snprintf(p, sizeof p, "objective.command[%d]", i);
                if (!cJSON_IsString(it) || !it->valuestring[0]) {
                    expect(c, p, "a non-empty string", it);
                    continue;
                }
                s->objective.argv[s->objective.argc] = strdup(it->valuestring);
                if (s->objective.argv[s->objective.argc])
                    s->objective.argc++;
            }
        }
    } else if (bi) {
        s->objective_kind = EXP_OBJECTIVE_BUILTIN;
        int i = check_enum(c, bi, "objective.builtin", exp_builtin_names());
        if (i >= 0)
            s->objective.builtin = strdup(exp_builtin_names()[i]);
    }
    get_num(c, o, "objective", "sleep_s", 0, 0, 86400, 0, &s->objective.sleep_s);
}

/* Checks a value of a known LSTM parameter against its meaningful range. */
static void check_lstm_value(ctx *c, const param_range *r, const char *p, const cJSON *v)
{
    if (!cJSON_IsNumber(v))
        return;   /* reported elsewhere */
    double x = v->valuedouble;
    char e[128];
    range_text(r->lo, r->lo_open, r->hi, r->hi_open, e);
    if (!in_range(x, r->lo, r->lo_open, r->hi, r->hi_open))
        expect(c, p, e, v);
    else if (r->integer && !is_integer(x))
        expect(c, p, "a whole number", v);
}

static void parse_param(ctx *c, const cJSON *v, const char *path, exp_param *q, int lstm)
{
    static const char *const keys[] = {"type", "low", "high", "step", "log", "choices", NULL};
    if (!cJSON_IsObject(v)) {
        expect(c, path, "an object such as {\"type\": \"int\", \"low\": 1, \"high\": 8}", v);
        return;
    }
    check_keys(c, v, path, keys);
    const field *lf = lstm ? lstm_param(q->name) : NULL;
    const param_range *li = lf ? lf->param : NULL;
    if (lstm && !li) {
        char list[256];
        const char *const *known = exp_lstm_param_names();
        list_names(known, list, sizeof list);
        const char *hint = exp_closest(q->name, known, count_names(known));
        exp_errors_add(c->errs, "%s: expected a parameter the LSTM trainer knows (%s), got \"%s\"%s%s%s"
                       " (other names need an \"objective\")", path, list, q->name,
                       hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
    }
    char p[256];
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(v, "type");
    join(p, path, "type");
    if (!type) {
        expect(c, p, "one of int, float, categorical (required)", NULL);
        return;
    }
    int t = check_enum(c, type, p, param_type_names);
    if (t < 0)
        return;
    q->type = (exp_param_type)t;
    if (li && li->integer && q->type == EXP_PARAM_FLOAT) {
        char e[96];
        snprintf(e, sizeof e, "\"int\" or \"categorical\" for %s", q->name);
        expect(c, p, e, type);
    }
    const cJSON *low = cJSON_GetObjectItemCaseSensitive(v, "low");
    const cJSON *high = cJSON_GetObjectItemCaseSensitive(v, "high");
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(v, "step");
    const cJSON *lg = cJSON_GetObjectItemCaseSensitive(v, "log");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(v, "choices");
    if (q->type == EXP_PARAM_CATEGORICAL) {
        const char *bad[] = {"low", "high", "step", "log"};
        const cJSON *badv[] = {low, high, step, lg};
        for (int i = 0; i < 4; i++)
            if (badv[i]) {
                join(p, path, bad[i]);
                expect(c, p, "no such key for a categorical parameter (use \"choices\")", badv[i]);
            }
        join(p, path, "choices");
        if (!cJSON_IsArray(ch) || cJSON_GetArraySize(ch) == 0) {
            expect(c, p, ch ? "a non-empty array of numbers, strings or booleans"
                            : "a non-empty array of numbers, strings or booleans (required)", ch);
            return;
        }
        int n = cJSON_GetArraySize(ch);
        q->choices = calloc((size_t)n, sizeof *q->choices);
        if (!q->choices)
            return;
        int i = 0;
        for (const cJSON *it = ch->child; it; it = it->next, i++) {
            char pi[300];
            snprintf(pi, sizeof pi, "%s[%d]", p, i);
            exp_choice *k = &q->choices[q->n_choices];
            if (cJSON_IsNumber(it) && isfinite(it->valuedouble)) {
                k->kind = EXP_CHOICE_NUMBER;
                k->number = it->valuedouble;
                if (li)
                    check_lstm_value(c, li, pi, it);
            } else if (cJSON_IsString(it) && !li) {
                k->kind = EXP_CHOICE_STRING;
                k->text = strdup(it->valuestring);
                if (!k->text)
                    continue;
            } else if (cJSON_IsBool(it) && !li) {
                k->kind = EXP_CHOICE_BOOL;
                k->number = cJSON_IsTrue(it);
            } else {
                expect(c, pi, li ? "a number" : "a number, string or boolean", it);
                continue;
            }
            for (int j = 0; j < q->n_choices; j++) {
                const exp_choice *o = &q->choices[j];
                if (o->kind == k->kind && o->number == k->number &&
                    (k->kind != EXP_CHOICE_STRING || strcmp(o->text, k->text) == 0)) {
                    char g[96];
                    show(it, g);
                    exp_errors_add(c->errs, "%s: expected distinct choices, got %s twice", pi, g);
                    break;
                }
            }
            q->n_choices++;
        }
        return;
    }
    /* int or float */
    int is_int = q->type == EXP_PARAM_INT;
    if (ch) {
        join(p, path, "choices");
        expect(c, p, "no such key for an int or float parameter (choices are for \"categorical\")", ch);
    }
    int ok = 1;
    const char *bk[2] = {"low", "high"};
    const cJSON *bv[2] = {low, high};
    for (int i = 0; i < 2; i++) {
        join(p, path, bk[i]);
        if (!cJSON_IsNumber(bv[i]) || !isfinite(bv[i]->valuedouble) ||
            (is_int && !is_integer(bv[i]->valuedouble))) {
            expect(c, p, is_int ? (bv[i] ? "an integer" : "an integer (required)")
                                : (bv[i] ? "a number" : "a number (required)"), bv[i]);
            ok = 0;
        } else if (li) {
            int before = c->errs->n;
            check_lstm_value(c, li, p, bv[i]);
            ok &= c->errs->n == before;
        }
    }
    q->step = is_int ? 1 : 0;
    if (lg) {
        join(p, path, "log");
        if (!cJSON_IsBool(lg))
            expect(c, p, "true or false", lg);
        else
            q->log = cJSON_IsTrue(lg);
    }
    if (step) {
        join(p, path, "step");
        if (!cJSON_IsNumber(step) || !(step->valuedouble > 0) || !isfinite(step->valuedouble) ||
            (is_int && !is_integer(step->valuedouble)))
            expect(c, p, is_int ? "an integer >= 1" : "a number > 0", step);
        else if (q->log && (!is_int || step->valuedouble != 1))
            expect(c, p, "no step with \"log\": true (log scale is continuous)", step);
        else
            q->step = step->valuedouble;
    }
    if (!ok)
        return;
    q->low = low->valuedouble;
    q->high = high->valuedouble;
    if (q->low >= q->high) {
        char e[96];
        join(p, path, "high");
        snprintf(e, sizeof e, "a number > low (%g)", q->low);
        expect(c, p, e, high);
    }
    if (q->log && q->low <= 0) {
        join(p, path, "low");
        expect(c, p, "a number > 0 (\"log\": true)", low);
    }
}

static void parse_space(ctx *c, const cJSON *sp, exp_spec *s)
{
    if (!sp) {
        expect(c, "search.space", "an object of parameters (required)", NULL);
        return;
    }
    if (!cJSON_IsObject(sp) || cJSON_GetArraySize(sp) == 0) {
        expect(c, "search.space", "a non-empty object of parameters", sp);
        return;
    }
    int n = cJSON_GetArraySize(sp);
    s->search.space = calloc((size_t)n, sizeof *s->search.space);
    if (!s->search.space)
        return;
    int lstm = c->lstm;
    for (const cJSON *it = sp->child; it; it = it->next) {
        char p[256];
        join(p, "search.space", it->string);
        if (!good_name(it->string)) {
            exp_errors_add(c->errs, "%s: expected a parameter name of letters, digits, '_', '-', '.', "
                           "got \"%s\"", p, it->string);
            continue;
        }
        int dup = 0;
        for (int k = 0; k < s->search.n_space; k++)
            dup |= strcmp(s->search.space[k].name, it->string) == 0;
        if (dup) {
            exp_errors_add(c->errs, "%s: expected each parameter once, got it twice", p);
            continue;
        }
        exp_param *q = &s->search.space[s->search.n_space];
        q->name = strdup(it->string);
        if (!q->name)
            continue;
        s->search.n_space++;
        parse_param(c, it, p, q, lstm);
    }
}

static void read_space(ctx *c, const cJSON *sr, const char *path, const field *f, exp_spec *s)
{
    (void)path;
    parse_space(c, cJSON_GetObjectItemCaseSensitive(sr, f->key), s);
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
        cJSON_AddItemToObject(sp, s->search.space[i].name, param_json(&s->search.space[i]));
}

/* The short threshold may not exceed the long one. */
static void check_backtest(ctx *c, const cJSON *b, const exp_spec *s)
{
    if (s->trial.short_threshold > s->trial.long_threshold) {
        char e[128];
        snprintf(e, sizeof e, "a number <= long_threshold (%g)", s->trial.long_threshold);
        expect(c, "backtest.short_threshold", e, cJSON_GetObjectItemCaseSensitive(b, "short_threshold"));
    }
}

/* Seeds every default from its owner (spec.h): the trainer's trial config and
 * hyperparameters, the optimizer's TPE sampler and median pruner. */
static void set_defaults(exp_spec *s)
{
    memset(s, 0, sizeof *s);
    tr_trial_config_default(&s->trial);
    s->trial.metric = NULL;
    tr_trial_params_default(&s->params);
    s->search.n_trials = 20;
    opt_sampler_config_default(&s->search.sampler, OPT_SAMPLER_TPE);
    opt_pruner_config_default(&s->search.pruner, OPT_PRUNER_MEDIAN);
    s->search.direction = OPT_MINIMIZE;
}

/* Line and column (1-based) of byte `pos` of `text`. */
static void line_col(const char *text, const char *pos, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (const char *q = text; *q && q < pos; q++) {
        if (*q == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int parse_text(const char *json, const char *origin, const char *base_dir, int check_files,
                      exp_spec *out, exp_errors *errs)
{
    ctx c = {errs, 0, base_dir, check_files, 0};
    int start = errs->n + errs->dropped;
    set_defaults(out);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json, &end, 1);
    if (!root) {
        int line, col;
        line_col(json, end ? end : json, &line, &col);
        exp_errors_add(errs, "%s: expected valid JSON, got a syntax error at line %d, column %d",
                       origin, line, col);
        goto fail;
    }
    if (!cJSON_IsObject(root)) {
        expect(&c, origin, "a JSON object", root);
        goto fail;
    }
    out->spec_dir = strdup(base_dir && *base_dir ? base_dir : ".");
    check_keys(&c, root, "", root_keys);

    const cJSON *obj = get_object(&c, root, "", "objective", 0);
    if (obj)
        parse_objective(&c, obj, out);
    int lstm = !cJSON_GetObjectItemCaseSensitive(root, "objective");
    c.lstm = lstm;

    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(root, "name");
    if (!cJSON_IsString(nm) || !good_name(nm->valuestring))
        expect(&c, "name", nm ? "a name of 1-100 letters, digits, '_', '-', '.'"
                              : "a name of 1-100 letters, digits, '_', '-', '.' (required)", nm);
    else
        out->name = strdup(nm->valuestring);

    const cJSON *d = get_object(&c, root, "", "data", lstm);
    if (d) {
        out->present |= 1u << EXP_SECTION_DATA;
        read_section(&c, d, &sec_data, -1, out);
    }
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "features");
    if (f || lstm) {
        out->present |= 1u << EXP_SECTION_FEATURES;
        parse_features(&c, f, out);
    }
    const cJSON *t = get_object(&c, root, "", "target", 0);
    if (t) {
        out->present |= 1u << EXP_SECTION_TARGET;
        read_section(&c, t, &sec_target, -1, out);
    }
    if (out->trial.target.kind == TR_TARGET_RETURN) {   /* no probabilities to threshold */
        out->trial.long_threshold = 0;
        out->trial.short_threshold = 0;
    }
    const cJSON *v = get_object(&c, root, "", "validation", 0);
    if (v) {
        out->present |= 1u << EXP_SECTION_VALIDATION;
        read_section(&c, v, &sec_validation, -1, out);
    }
    const cJSON *tr = get_object(&c, root, "", "training", 0);
    if (tr) {
        out->present |= 1u << EXP_SECTION_TRAINING;
        read_section(&c, tr, &sec_training, -1, out);
    }
    const cJSON *b = get_object(&c, root, "", "backtest", 0);
    if (b) {
        out->present |= 1u << EXP_SECTION_BACKTEST;
        read_section(&c, b, &sec_backtest, -1, out);
        check_backtest(&c, b, out);
    }
    if (lstm)
        out->present = (1u << (EXP_SECTION_BACKTEST + 1)) - 1;

    const cJSON *sr = get_object(&c, root, "", "search", 1);
    if (sr)
        read_section(&c, sr, &sec_search, -1, out);

    if (errs->n + errs->dropped > start)
        goto fail;
    cJSON_Delete(root);
    return 0;
fail:
    cJSON_Delete(root);
    exp_spec_free(out);
    return -1;
}

int exp_spec_parse(const char *json, const char *base_dir, int check_files,
                   exp_spec *out, exp_errors *errs)
{
    return parse_text(json, "spec", base_dir, check_files, out, errs);
}

int exp_spec_load(const char *path, exp_spec *out, exp_errors *errs)
{
    memset(out, 0, sizeof *out);
    char *text = NULL, *dir = NULL;
    int rc = -1;
    char e[256];
    size_t n = 0;
    errno = 0;
    text = base_file_read(path, 16L * 1024 * 1024, &n, e);
    if (!text) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 16L * 1024 * 1024)
            exp_errors_add(errs, "%s: expected a spec under 16 MB, got %lld bytes", path,
                           (long long)st.st_size);
        else
            exp_errors_add(errs, "%s: expected a readable spec file, got %s", path,
                           errno ? strerror(errno) : "a read error");
        goto fail;
    }
    dir = strdup(path);
    if (!dir)
        goto fail;
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    rc = parse_text(text, path, dir, 1, out, errs);
fail:
    free(text);
    free(dir);
    return rc;
}

void exp_spec_free(exp_spec *s)
{
    free(s->name);
    free(s->spec_dir);
    free(s->data.path);
    for (int i = 0; i < s->n_features; i++)
        free(s->features[i]);
    free(s->features);
    free(s->search.metric);
    for (int i = 0; i < s->search.n_space; i++) {
        exp_param *q = &s->search.space[i];
        for (int k = 0; k < q->n_choices; k++)
            free(q->choices[k].text);
        free(q->choices);
        free(q->name);
    }
    free(s->search.space);
    for (int i = 0; i < s->objective.argc; i++)
        free(s->objective.argv[i]);
    free(s->objective.argv);
    free(s->objective.builtin);
    memset(s, 0, sizeof *s);
}

const exp_param *exp_spec_param(const exp_spec *s, const char *name)
{
    for (int i = 0; i < s->search.n_space; i++)
        if (strcmp(s->search.space[i].name, name) == 0)
            return &s->search.space[i];
    return NULL;
}

/* ---- canonical JSON ---------------------------------------------------------- */

static cJSON *param_json(const exp_param *q)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "type", param_type_names[q->type]);
    if (q->type == EXP_PARAM_CATEGORICAL) {
        cJSON *a = cJSON_AddArrayToObject(o, "choices");
        for (int k = 0; a && k < q->n_choices; k++) {
            const exp_choice *ch = &q->choices[k];
            cJSON *v = ch->kind == EXP_CHOICE_STRING ? cJSON_CreateString(ch->text)
                     : ch->kind == EXP_CHOICE_BOOL ? cJSON_CreateBool(ch->number != 0)
                     : cJSON_CreateNumber(ch->number);
            cJSON_AddItemToArray(a, v);
        }
        return o;
    }
    cJSON_AddNumberToObject(o, "low", q->low);
    cJSON_AddNumberToObject(o, "high", q->high);
    if (q->step > 0)
        cJSON_AddNumberToObject(o, "step", q->step);
    cJSON_AddBoolToObject(o, "log", q->log);
    return o;
}

cJSON *exp_spec_to_json(const exp_spec *s)
{
    cJSON *r = cJSON_CreateObject();
    if (!r)
        return NULL;
    cJSON_AddStringToObject(r, "name", s->name ? s->name : "");
    if (s->objective_kind != EXP_OBJECTIVE_LSTM) {
        cJSON *o = cJSON_AddObjectToObject(r, "objective");
        if (s->objective_kind == EXP_OBJECTIVE_COMMAND) {
            cJSON *a = cJSON_AddArrayToObject(o, "command");
            for (int i = 0; a && i < s->objective.argc; i++)
                cJSON_AddItemToArray(a, cJSON_CreateString(s->objective.argv[i]));
        } else {
            cJSON_AddStringToObject(o, "builtin", s->objective.builtin ? s->objective.builtin : "");
        }
        cJSON_AddNumberToObject(o, "sleep_s", s->objective.sleep_s);
    }
    unsigned pr = s->present;
    if (pr & (1u << EXP_SECTION_DATA))
        print_section(r, "data", &sec_data, -1, s);
    if (pr & (1u << EXP_SECTION_FEATURES)) {
        cJSON *a = cJSON_AddArrayToObject(r, "features");
        for (int i = 0; a && i < s->n_features; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(s->features[i]));
    }
    if (pr & (1u << EXP_SECTION_TARGET))
        print_section(r, "target", &sec_target, -1, s);
    if (pr & (1u << EXP_SECTION_VALIDATION))
        print_section(r, "validation", &sec_validation, -1, s);
    if (pr & (1u << EXP_SECTION_TRAINING))
        print_section(r, "training", &sec_training, -1, s);
    print_section(r, "search", &sec_search, -1, s);
    if (pr & (1u << EXP_SECTION_BACKTEST))
        print_section(r, "backtest", &sec_backtest, -1, s);
    return r;
}

char *exp_spec_to_string(const exp_spec *s, int pretty)
{
    cJSON *j = exp_spec_to_json(s);
    if (!j)
        return NULL;
    char *t = pretty ? cJSON_Print(j) : cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return t;
}

