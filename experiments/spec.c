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
#include "optimizer/testfuncs.h"

#include "experiments/cli.h"
#include "trainer/features.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
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
static const char *const gaps_names[] = {"drop", "keep", NULL};
static const char *const target_names[] = {"direction", "return",
                                           "multiclass", "price", /* issue 17 */ NULL};
static const char *const neutral_names[] = {"drop", "keep", NULL};
static const char *const window_names[] = {"expanding", "rolling", NULL};
static const char *const scaler_names[] = {"standard", "minmax", "robust", NULL};

const char *const exp_metric_names[] = {
    "val_log_loss", "val_accuracy", "val_balanced_accuracy", "val_auc", "val_brier", "val_mcc",
    "val_mse", "val_mae", "sharpe", "sortino", "total_return", "max_drawdown",
    "val_macro_f1", "val_rmse", "val_mape", "val_directional_accuracy", /* issue 17 */ NULL};
/* 1 = higher is better, parallel to exp_metric_names. */
static const int metric_maximize[] = {0, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1};
/* The targets a metric applies to, a mask over exp_target_kind (1 direction,
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

const char *const exp_lstm_param_names[] = {
    "seq_len", "units", "layers", "dropout", "learning_rate", "batch_size", "l2", "clip_norm",
    "l1", "bidirectional", /* issue 17 */ NULL};

/* The meaningful range of each LSTM parameter (parallel to exp_lstm_param_names). */
static const struct {
    int integer;               /* only whole values make sense */
    double lo, hi;
    int lo_open, hi_open;      /* bound excluded */
    const char *expected;      /* the range as the error says it */
} lstm_range[] = {
    {1, 0, 1e300, 1, 0, "a number > 0"},
    {1, 0, 1e300, 1, 0, "a number > 0"},
    {1, 1, 4, 0, 0, "a number in [1, 4]"},
    {0, 0, 1, 0, 1, "a number in [0, 1)"},
    {0, 0, 1e300, 1, 0, "a number > 0"},
    {1, 0, 1e300, 1, 0, "a number > 0"},
    {0, 0, 1e300, 0, 0, "a number >= 0"},
    {0, 0, 1e300, 1, 0, "a number > 0"},
    /* issue 17: l1, bidirectional (0/1, or false/true as categorical choices) */
    {0, 0, 1e300, 0, 0, "a number >= 0"},
    {1, 0, 1, 0, 0, "0 or 1 (or false/true)"},
};

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

const char *exp_sampler_name(exp_sampler_kind k) { return sampler_names[k]; }
const char *exp_pruner_name(exp_pruner_kind k) { return pruner_names[k]; }
const char *exp_direction_name(exp_direction d) { return direction_names[d]; }
const char *exp_param_type_name(exp_param_type t) { return param_type_names[t]; }

int exp_metric_direction(const char *metric, exp_direction *out)
{
    int i = name_index(exp_metric_names, metric);
    if (i < 0)
        return -1;
    *out = metric_maximize[i] ? EXP_MAXIMIZE : EXP_MINIMIZE;
    return 0;
}

/* ---- reading fields -------------------------------------------------------- */

typedef struct ctx {
    exp_errors *errs;
    int lstm;        /* the LSTM trainer evaluates trials (no "objective") */
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

/* ---- sections ----------------------------------------------------------------- */

static const char *const root_keys[] = {"name", "data", "features", "target", "validation",
    "training", "search", "backtest", "objective", NULL};

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

static void parse_data(ctx *c, const cJSON *d, exp_spec *s, const char *base_dir, int check_files)
{
    static const char *const keys[] = {"path", "gaps", NULL};
    check_keys(c, d, "data", keys);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(d, "path");
    if (!cJSON_IsString(p) || !p->valuestring[0]) {
        expect(c, "data.path", p ? "a file path" : "a file path (required)", p);
    } else {
        s->data.path = path_resolve(base_dir, p->valuestring);
        if (s->data.path && check_files) {
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
    }
    int g = (int)s->data.gaps;
    get_enum(c, d, "data", "gaps", gaps_names, &g);
    s->data.gaps = (exp_gaps)g;
}

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

/* issue 17: the multiclass target's deadband (> 0) and optional class weights. */
static void parse_target_multiclass(ctx *c, const cJSON *t, exp_spec *s)
{
    const cJSON *db = cJSON_GetObjectItemCaseSensitive(t, "deadband");
    if (s->target.kind == EXP_TARGET_MULTICLASS && !(s->target.deadband > 0))
        expect(c, "target.deadband", db ? "a number > 0 for target.kind \"multiclass\" "
               "(the flat class's band)" : "a number > 0 for target.kind \"multiclass\" "
               "(required: the flat class's band)", db);
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(t, "class_weights");
    if (!w)
        return;
    if (s->target.kind != EXP_TARGET_MULTICLASS) {
        expect(c, "target.class_weights", "no such key unless target.kind is \"multiclass\"", w);
        return;
    }
    if (!cJSON_IsArray(w) || cJSON_GetArraySize(w) != 3) {
        expect(c, "target.class_weights", "an array of 3 numbers >= 0 (down, flat, up)", w);
        return;
    }
    double sum = 0;
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetArrayItem(w, i);
        char p[64];
        snprintf(p, sizeof p, "target.class_weights[%d]", i);
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0) {
            expect(c, p, "a number >= 0", v);
            return;
        }
        s->target.class_weights[i] = v->valuedouble;
        sum += v->valuedouble;
    }
    if (!(sum > 0))
        expect(c, "target.class_weights", "at least one weight > 0", w);
    s->target.has_class_weights = 1;
}

static void parse_target(ctx *c, const cJSON *t, exp_spec *s)
{
    static const char *const keys[] = {"kind", "horizon", "deadband", "neutral",
                                       "class_weights", /* issue 17 */ NULL};
    check_keys(c, t, "target", keys);
    int k = (int)s->target.kind, nt = (int)s->target.neutral;
    get_enum(c, t, "target", "kind", target_names, &k);
    get_int32(c, t, "target", "horizon", 1, 100000, &s->target.horizon);
    get_num(c, t, "target", "deadband", 0, 0, INFINITY, 0, &s->target.deadband);
    get_enum(c, t, "target", "neutral", neutral_names, &nt);
    s->target.kind = (exp_target_kind)k;
    s->target.neutral = (exp_neutral)nt;
    parse_target_multiclass(c, t, s);
}

static void parse_validation(ctx *c, const cJSON *v, exp_spec *s)
{
    static const char *const keys[] = {"folds", "window", "val_fraction", "holdout_fraction",
        "embargo", "scaler", NULL};
    check_keys(c, v, "validation", keys);
    int w = (int)s->validation.window, sc = (int)s->validation.scaler;
    get_int32(c, v, "validation", "folds", 1, 1000, &s->validation.folds);
    get_enum(c, v, "validation", "window", window_names, &w);
    get_num(c, v, "validation", "val_fraction", 0, 1, 0.9, 0, &s->validation.val_fraction);
    get_num(c, v, "validation", "holdout_fraction", 0, 0, 0.9, 0, &s->validation.holdout_fraction);
    get_int32(c, v, "validation", "embargo", 0, INT_MAX, &s->validation.embargo);
    get_enum(c, v, "validation", "scaler", scaler_names, &sc);
    s->validation.window = (exp_window)w;
    s->validation.scaler = (exp_scaler)sc;
}

static void parse_training(ctx *c, const cJSON *t, exp_spec *s)
{
    static const char *const keys[] = {"max_epochs", "patience", "clip_norm", "l2", "lr_plateau",
        "trial_timeout_s", "threads", "seq_len", "units", "layers", "dropout", "learning_rate",
        "batch_size", "l1", "bidirectional", /* issue 17 */ NULL};
    static const char *const lr_keys[] = {"factor", "patience", NULL};
    check_keys(c, t, "training", keys);
    get_int32(c, t, "training", "max_epochs", 1, 1000000, &s->training.max_epochs);
    get_int32(c, t, "training", "patience", 1, 1000000, &s->training.patience);
    get_num(c, t, "training", "clip_norm", 0, 1, INFINITY, 0, &s->training.clip_norm);
    get_num(c, t, "training", "l2", 0, 0, INFINITY, 0, &s->training.l2);
    const cJSON *lr = get_object(c, t, "training", "lr_plateau", 0);
    if (lr) {
        check_keys(c, lr, "training.lr_plateau", lr_keys);
        get_num(c, lr, "training.lr_plateau", "factor", 0, 1, 1, 1, &s->training.lr_plateau.factor);
        get_int32(c, lr, "training.lr_plateau", "patience", 1, 1000000,
                  &s->training.lr_plateau.patience);
    }
    get_num(c, t, "training", "trial_timeout_s", 0, 0, INFINITY, 0, &s->training.trial_timeout_s);
    get_int32(c, t, "training", "threads", 1, 1024, &s->training.threads);
    get_int32(c, t, "training", "seq_len", 1, 100000, &s->training.seq_len);
    get_int32(c, t, "training", "units", 1, 65536, &s->training.units);
    get_int32(c, t, "training", "layers", 1, 4, &s->training.layers);
    get_num(c, t, "training", "dropout", 0, 0, 1, 1, &s->training.dropout);
    get_num(c, t, "training", "learning_rate", 0, 1, 10, 0, &s->training.learning_rate);
    get_int32(c, t, "training", "batch_size", 1, 1 << 20, &s->training.batch_size);
    /* issue 17 */
    get_num(c, t, "training", "l1", 0, 0, INFINITY, 0, &s->training.l1);
    get_bool(c, t, "training", "bidirectional", &s->training.bidirectional);
}

static void parse_backtest(ctx *c, const cJSON *b, exp_spec *s)
{
    static const char *const keys[] = {"fee_bps", "long_threshold", "short_threshold", NULL};
    check_keys(c, b, "backtest", keys);
    get_num(c, b, "backtest", "fee_bps", 0, 0, 10000, 0, &s->backtest.fee_bps);
    int prob = s->target.kind == EXP_TARGET_DIRECTION;
    double lo = prob ? 0 : -INFINITY, hi = prob ? 1 : INFINITY;
    if (s->target.kind == EXP_TARGET_MULTICLASS)   /* on P(up) - P(down) (issue 17) */
        lo = -1, hi = 1;
    get_num(c, b, "backtest", "long_threshold", lo, 0, hi, 0, &s->backtest.long_threshold);
    get_num(c, b, "backtest", "short_threshold", lo, 0, hi, 0, &s->backtest.short_threshold);
    if (s->backtest.short_threshold > s->backtest.long_threshold) {
        char e[128];
        snprintf(e, sizeof e, "a number <= long_threshold (%g)", s->backtest.long_threshold);
        expect(c, "backtest.short_threshold", e, cJSON_GetObjectItemCaseSensitive(b, "short_threshold"));
    }
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
static void check_lstm_value(ctx *c, int li, const char *p, const cJSON *v)
{
    if (!cJSON_IsNumber(v))
        return;   /* reported elsewhere */
    double x = v->valuedouble;
    if (!in_range(x, lstm_range[li].lo, lstm_range[li].lo_open, lstm_range[li].hi,
                  lstm_range[li].hi_open))
        expect(c, p, lstm_range[li].expected, v);
    else if (lstm_range[li].integer && !is_integer(x))
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
    int li = lstm ? name_index(exp_lstm_param_names, q->name) : -1;
    if (lstm && li < 0) {
        char list[256];
        list_names(exp_lstm_param_names, list, sizeof list);
        const char *hint = exp_closest(q->name, exp_lstm_param_names, count_names(exp_lstm_param_names));
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
    if (li >= 0 && lstm_range[li].integer && q->type == EXP_PARAM_FLOAT) {
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
                if (li >= 0)
                    check_lstm_value(c, li, pi, it);
            } else if (cJSON_IsString(it) && li < 0) {
                k->kind = EXP_CHOICE_STRING;
                k->text = strdup(it->valuestring);
                if (!k->text)
                    continue;
            } else if (cJSON_IsBool(it) &&
                       (li < 0 || strcmp(q->name, "bidirectional") == 0)) {
                k->kind = EXP_CHOICE_BOOL;
                k->number = cJSON_IsTrue(it);
            } else {
                expect(c, pi, li >= 0 ? "a number" : "a number, string or boolean", it);
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
        } else if (li >= 0) {
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

/* The keys each sampler / pruner accepts (others are errors). */
static const char *const sampler_keys[][7] = {
    {"name", "seed", NULL},
    {"name", "seed", NULL},
    {"name", "n_startup_trials", "multivariate", "constant_liar", "seed", "n_ei_candidates", NULL},
    {"name", "n_startup_trials", "seed", NULL},
    {"name", "seed", NULL},
};
static const char *const pruner_keys[][6] = {
    {"name", NULL},
    {"name", "n_startup_trials", "n_warmup_steps", "interval", NULL},
    {"name", "n_startup_trials", "n_warmup_steps", "interval", "percentile", NULL},
    {"name", "min_resource", "reduction_factor", NULL},
};

static void parse_sampler(ctx *c, const cJSON *v, exp_spec *s)
{
    int k = (int)s->search.sampler.name;
    if (cJSON_IsString(v)) {   /* shorthand "sampler": "tpe" */
        int i = check_enum(c, v, "search.sampler", sampler_names);
        if (i >= 0)
            k = i;
        v = NULL;
    } else if (!cJSON_IsObject(v)) {
        expect(c, "search.sampler", "an object such as {\"name\": \"tpe\"} or a sampler name", v);
        return;
    } else {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(v, "name");
        if (nm) {
            int i = check_enum(c, nm, "search.sampler.name", sampler_names);
            if (i < 0)
                return;
            k = i;
        }
        check_keys(c, v, "search.sampler", sampler_keys[k]);
    }
    s->search.sampler.name = (exp_sampler_kind)k;
    s->search.sampler.n_startup_trials = (k == EXP_SAMPLER_TPE || k == EXP_SAMPLER_GP) ? 10 : 0;
    /* Trials run in parallel, so TPE models the joint space and treats running
     * trials as bad ones unless the spec says otherwise. */
    s->search.sampler.multivariate = k == EXP_SAMPLER_TPE;
    s->search.sampler.constant_liar = k == EXP_SAMPLER_TPE;
    if (!v)
        return;
    get_int32(c, v, "search.sampler", "n_startup_trials", 0, 1000000, &s->search.sampler.n_startup_trials);
    get_bool(c, v, "search.sampler", "multivariate", &s->search.sampler.multivariate);
    get_bool(c, v, "search.sampler", "constant_liar", &s->search.sampler.constant_liar);
    get_int32(c, v, "search.sampler", "n_ei_candidates", 1, 100000, &s->search.sampler.n_ei_candidates);
    if (cJSON_GetObjectItemCaseSensitive(v, "seed")) {
        long long seed = -1;
        int before = c->errs->n;
        get_int(c, v, "search.sampler", "seed", 0, 9007199254740991LL, 0, &seed);
        if (c->errs->n == before) {
            s->search.sampler.has_seed = 1;
            s->search.sampler.seed = seed;
        }
    }
}

static void parse_pruner(ctx *c, const cJSON *v, exp_spec *s)
{
    int k = (int)s->search.pruner.name;
    if (cJSON_IsString(v)) {
        int i = check_enum(c, v, "search.pruner", pruner_names);
        if (i >= 0)
            k = i;
        v = NULL;
    } else if (!cJSON_IsObject(v)) {
        expect(c, "search.pruner", "an object such as {\"name\": \"median\"} or a pruner name", v);
        return;
    } else {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(v, "name");
        if (nm) {
            int i = check_enum(c, nm, "search.pruner.name", pruner_names);
            if (i < 0)
                return;
            k = i;
        }
        check_keys(c, v, "search.pruner", pruner_keys[k]);
    }
    s->search.pruner.name = (exp_pruner_kind)k;
    if (k == EXP_PRUNER_PERCENTILE && !(v && cJSON_GetObjectItemCaseSensitive(v, "percentile")))
        expect(c, "search.pruner.percentile", "a number in (0, 100) (required by the percentile pruner)",
               NULL);
    if (!v)
        return;
    const char *P = "search.pruner";
    get_int32(c, v, P, "n_startup_trials", 0, 1000000, &s->search.pruner.n_startup_trials);
    get_int32(c, v, P, "n_warmup_steps", 0, 1000000, &s->search.pruner.n_warmup_steps);
    get_int32(c, v, P, "interval", 1, 1000000, &s->search.pruner.interval);
    get_num(c, v, P, "percentile", 0, 1, 100, 1, &s->search.pruner.percentile);
    get_int32(c, v, P, "reduction_factor", 2, 1000, &s->search.pruner.reduction_factor);
    const cJSON *mr = cJSON_GetObjectItemCaseSensitive(v, "min_resource");
    if (mr && !(cJSON_IsString(mr) && strcmp(mr->valuestring, "auto") == 0)) {
        if (!cJSON_IsNumber(mr) || !is_integer(mr->valuedouble) || mr->valuedouble < 1 ||
            mr->valuedouble > 1000000)
            expect(c, "search.pruner.min_resource", "an integer >= 1 or \"auto\"", mr);
        else
            s->search.pruner.min_resource = (int)mr->valuedouble;
    }
}

static void parse_search(ctx *c, const cJSON *sr, exp_spec *s)
{
    static const char *const keys[] = {"n_trials", "timeout_s", "sampler", "pruner", "metric",
        "direction", "space", NULL};
    check_keys(c, sr, "search", keys);
    get_int32(c, sr, "search", "n_trials", 1, 100000000, &s->search.n_trials);
    get_num(c, sr, "search", "timeout_s", 0, 0, INFINITY, 0, &s->search.timeout_s);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(sr, "sampler");
    if (v)
        parse_sampler(c, v, s);
    v = cJSON_GetObjectItemCaseSensitive(sr, "pruner");
    if (v)
        parse_pruner(c, v, s);
    int lstm = c->lstm;
    const char *metric = lstm ? (s->target.kind == EXP_TARGET_RETURN  ? "val_mse"
                                 : s->target.kind == EXP_TARGET_PRICE ? "val_rmse"
                                                                      : "val_log_loss")
                              : "value";
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(sr, "metric");
    int metric_ok = 1;
    if (m && lstm) {
        int i = check_enum(c, m, "search.metric", exp_metric_names);
        metric_ok = i >= 0;
        if (i >= 0) {
            metric = exp_metric_names[i];
            int need = metric_target[i];
            if (need && !(need & (1 << s->target.kind))) {
                char e[128];
                snprintf(e, sizeof e, "a metric for target.kind \"%s\"",
                         target_names[s->target.kind]);
                expect(c, "search.metric", e, m);
            }
        }
    } else if (m) {
        if (!cJSON_IsString(m) || !good_name(m->valuestring))
            expect(c, "search.metric", "a name of letters, digits, '_', '-', '.'", m);
        else
            metric = m->valuestring;
    }
    s->search.metric = strdup(metric);
    int d = (int)s->search.direction;
    const cJSON *dv = cJSON_GetObjectItemCaseSensitive(sr, "direction");
    get_enum(c, sr, "search", "direction", direction_names, &d);
    s->search.direction = (exp_direction)d;
    exp_direction natural;
    if (lstm && metric_ok && s->search.metric && exp_metric_direction(s->search.metric, &natural) == 0 &&
        natural != s->search.direction) {
        char e[160];
        snprintf(e, sizeof e, "\"%s\" for metric %s (%s is better)", direction_names[natural],
                 s->search.metric, natural == EXP_MAXIMIZE ? "higher" : "lower");
        if (dv)
            expect(c, "search.direction", e, dv);
        else
            exp_errors_add(c->errs, "search.direction: expected %s, got nothing (the default is "
                           "\"minimize\")", e);
    }
    parse_space(c, cJSON_GetObjectItemCaseSensitive(sr, "space"), s);
    if (s->search.sampler.name == EXP_SAMPLER_GRID)
        for (int i = 0; i < s->search.n_space; i++) {
            const exp_param *q = &s->search.space[i];
            if (q->type == EXP_PARAM_FLOAT && q->step == 0)
                exp_errors_add(c->errs, "search.space.%s.step: expected a step (the grid sampler "
                               "needs a finite grid), got nothing", q->name);
        }
}

/* Fills every documented default (spec.h, README.md). */
static void set_defaults(exp_spec *s)
{
    memset(s, 0, sizeof *s);
    s->data.gaps = EXP_GAPS_DROP;
    s->target.kind = EXP_TARGET_DIRECTION;
    s->target.horizon = 1;
    s->validation.folds = 5;
    s->validation.val_fraction = 0.15;
    s->validation.holdout_fraction = 0.15;
    s->validation.scaler = EXP_SCALER_STANDARD;
    s->training.max_epochs = 100;
    s->training.patience = 15;
    s->training.clip_norm = 1.0;
    s->training.lr_plateau.factor = 0.5;
    s->training.lr_plateau.patience = 5;
    s->training.threads = 1;
    s->training.seq_len = 32;
    s->training.units = 32;
    s->training.layers = 1;
    s->training.learning_rate = 1e-3;
    s->training.batch_size = 64;
    s->search.n_trials = 20;
    s->search.sampler.name = EXP_SAMPLER_TPE;
    s->search.sampler.n_startup_trials = 10;
    s->search.sampler.n_ei_candidates = 24;
    s->search.pruner.name = EXP_PRUNER_MEDIAN;
    s->search.pruner.n_startup_trials = 5;
    s->search.pruner.interval = 1;
    s->search.pruner.percentile = 50;
    s->search.pruner.reduction_factor = 4;
    s->search.direction = EXP_MINIMIZE;
    s->backtest.fee_bps = 10;
    s->backtest.long_threshold = 0.55;
    s->backtest.short_threshold = 0.45;
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
    ctx c = {errs, 0};
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
        parse_data(&c, d, out, base_dir, check_files);
    }
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "features");
    if (f || lstm) {
        out->present |= 1u << EXP_SECTION_FEATURES;
        parse_features(&c, f, out);
    }
    const cJSON *t = get_object(&c, root, "", "target", 0);
    if (t) {
        out->present |= 1u << EXP_SECTION_TARGET;
        parse_target(&c, t, out);
    }
    if (out->target.kind == EXP_TARGET_RETURN || out->target.kind == EXP_TARGET_PRICE) {
        out->backtest.long_threshold = 0;
        out->backtest.short_threshold = 0;
    }
    if (out->target.kind == EXP_TARGET_MULTICLASS) {   /* issue 17: P(up) - P(down) */
        out->backtest.long_threshold = 0.1;
        out->backtest.short_threshold = -0.1;
    }
    const cJSON *v = get_object(&c, root, "", "validation", 0);
    if (v) {
        out->present |= 1u << EXP_SECTION_VALIDATION;
        parse_validation(&c, v, out);
    }
    const cJSON *tr = get_object(&c, root, "", "training", 0);
    if (tr) {
        out->present |= 1u << EXP_SECTION_TRAINING;
        parse_training(&c, tr, out);
    }
    const cJSON *b = get_object(&c, root, "", "backtest", 0);
    if (b) {
        out->present |= 1u << EXP_SECTION_BACKTEST;
        parse_backtest(&c, b, out);
    }
    if (lstm)
        out->present = (1u << (EXP_SECTION_BACKTEST + 1)) - 1;

    const cJSON *sr = get_object(&c, root, "", "search", 1);
    if (sr)
        parse_search(&c, sr, out);

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
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        exp_errors_add(errs, "%s: expected a readable spec file, got %s", path, strerror(errno));
        goto fail;
    }
    if (fseek(fp, 0, SEEK_END) != 0 || ftell(fp) < 0) {
        exp_errors_add(errs, "%s: expected a readable spec file, got an unseekable file", path);
        goto fail;
    }
    long n = ftell(fp);
    rewind(fp);
    if (n > 16L * 1024 * 1024) {
        exp_errors_add(errs, "%s: expected a spec under 16 MB, got %ld bytes", path, n);
        goto fail;
    }
    text = malloc((size_t)n + 1);
    if (!text || fread(text, 1, (size_t)n, fp) != (size_t)n) {
        exp_errors_add(errs, "%s: expected a readable spec file, got a read error", path);
        goto fail;
    }
    text[n] = '\0';
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
    if (fp)
        fclose(fp);
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
    if (pr & (1u << EXP_SECTION_DATA)) {
        cJSON *d = cJSON_AddObjectToObject(r, "data");
        cJSON_AddStringToObject(d, "path", s->data.path ? s->data.path : "");
        cJSON_AddStringToObject(d, "gaps", gaps_names[s->data.gaps]);
    }
    if (pr & (1u << EXP_SECTION_FEATURES)) {
        cJSON *a = cJSON_AddArrayToObject(r, "features");
        for (int i = 0; a && i < s->n_features; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(s->features[i]));
    }
    if (pr & (1u << EXP_SECTION_TARGET)) {
        cJSON *t = cJSON_AddObjectToObject(r, "target");
        cJSON_AddStringToObject(t, "kind", target_names[s->target.kind]);
        cJSON_AddNumberToObject(t, "horizon", s->target.horizon);
        cJSON_AddNumberToObject(t, "deadband", s->target.deadband);
        cJSON_AddStringToObject(t, "neutral", neutral_names[s->target.neutral]);
        if (s->target.has_class_weights)   /* issue 17 */
            cJSON_AddItemToObject(t, "class_weights",
                                  cJSON_CreateDoubleArray(s->target.class_weights, 3));
    }
    if (pr & (1u << EXP_SECTION_VALIDATION)) {
        cJSON *v = cJSON_AddObjectToObject(r, "validation");
        cJSON_AddNumberToObject(v, "folds", s->validation.folds);
        cJSON_AddStringToObject(v, "window", window_names[s->validation.window]);
        cJSON_AddNumberToObject(v, "val_fraction", s->validation.val_fraction);
        cJSON_AddNumberToObject(v, "holdout_fraction", s->validation.holdout_fraction);
        cJSON_AddNumberToObject(v, "embargo", s->validation.embargo);
        cJSON_AddStringToObject(v, "scaler", scaler_names[s->validation.scaler]);
    }
    if (pr & (1u << EXP_SECTION_TRAINING)) {
        cJSON *t = cJSON_AddObjectToObject(r, "training");
        cJSON_AddNumberToObject(t, "max_epochs", s->training.max_epochs);
        cJSON_AddNumberToObject(t, "patience", s->training.patience);
        cJSON_AddNumberToObject(t, "clip_norm", s->training.clip_norm);
        cJSON_AddNumberToObject(t, "l2", s->training.l2);
        cJSON *lr = cJSON_AddObjectToObject(t, "lr_plateau");
        cJSON_AddNumberToObject(lr, "factor", s->training.lr_plateau.factor);
        cJSON_AddNumberToObject(lr, "patience", s->training.lr_plateau.patience);
        cJSON_AddNumberToObject(t, "trial_timeout_s", s->training.trial_timeout_s);
        cJSON_AddNumberToObject(t, "threads", s->training.threads);
        cJSON_AddNumberToObject(t, "seq_len", s->training.seq_len);
        cJSON_AddNumberToObject(t, "units", s->training.units);
        cJSON_AddNumberToObject(t, "layers", s->training.layers);
        cJSON_AddNumberToObject(t, "dropout", s->training.dropout);
        cJSON_AddNumberToObject(t, "learning_rate", s->training.learning_rate);
        cJSON_AddNumberToObject(t, "batch_size", s->training.batch_size);
        cJSON_AddNumberToObject(t, "l1", s->training.l1);                /* issue 17 */
        cJSON_AddBoolToObject(t, "bidirectional", s->training.bidirectional);
    }
    cJSON *sr = cJSON_AddObjectToObject(r, "search");
    cJSON_AddNumberToObject(sr, "n_trials", s->search.n_trials);
    cJSON_AddNumberToObject(sr, "timeout_s", s->search.timeout_s);
    cJSON *sa = cJSON_AddObjectToObject(sr, "sampler");
    exp_sampler_kind sk = s->search.sampler.name;
    cJSON_AddStringToObject(sa, "name", sampler_names[sk]);
    if (sk == EXP_SAMPLER_TPE || sk == EXP_SAMPLER_GP)
        cJSON_AddNumberToObject(sa, "n_startup_trials", s->search.sampler.n_startup_trials);
    if (sk == EXP_SAMPLER_TPE) {
        cJSON_AddBoolToObject(sa, "multivariate", s->search.sampler.multivariate);
        cJSON_AddBoolToObject(sa, "constant_liar", s->search.sampler.constant_liar);
        cJSON_AddNumberToObject(sa, "n_ei_candidates", s->search.sampler.n_ei_candidates);
    }
    if (s->search.sampler.has_seed)
        cJSON_AddNumberToObject(sa, "seed", (double)s->search.sampler.seed);
    cJSON *pu = cJSON_AddObjectToObject(sr, "pruner");
    exp_pruner_kind pk = s->search.pruner.name;
    cJSON_AddStringToObject(pu, "name", pruner_names[pk]);
    if (pk == EXP_PRUNER_MEDIAN || pk == EXP_PRUNER_PERCENTILE) {
        cJSON_AddNumberToObject(pu, "n_startup_trials", s->search.pruner.n_startup_trials);
        cJSON_AddNumberToObject(pu, "n_warmup_steps", s->search.pruner.n_warmup_steps);
        cJSON_AddNumberToObject(pu, "interval", s->search.pruner.interval);
    }
    if (pk == EXP_PRUNER_PERCENTILE)
        cJSON_AddNumberToObject(pu, "percentile", s->search.pruner.percentile);
    if (pk == EXP_PRUNER_SUCCESSIVE_HALVING) {
        if (s->search.pruner.min_resource > 0)
            cJSON_AddNumberToObject(pu, "min_resource", s->search.pruner.min_resource);
        else
            cJSON_AddStringToObject(pu, "min_resource", "auto");
        cJSON_AddNumberToObject(pu, "reduction_factor", s->search.pruner.reduction_factor);
    }
    cJSON_AddStringToObject(sr, "metric", s->search.metric ? s->search.metric : "");
    cJSON_AddStringToObject(sr, "direction", direction_names[s->search.direction]);
    cJSON *sp = cJSON_AddObjectToObject(sr, "space");
    for (int i = 0; sp && i < s->search.n_space; i++)
        cJSON_AddItemToObject(sp, s->search.space[i].name, param_json(&s->search.space[i]));
    if (pr & (1u << EXP_SECTION_BACKTEST)) {
        cJSON *b = cJSON_AddObjectToObject(r, "backtest");
        cJSON_AddNumberToObject(b, "fee_bps", s->backtest.fee_bps);
        cJSON_AddNumberToObject(b, "long_threshold", s->backtest.long_threshold);
        cJSON_AddNumberToObject(b, "short_threshold", s->backtest.short_threshold);
    }
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
