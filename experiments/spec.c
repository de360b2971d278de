/*
 * spec.c - loads the study spec (spec.h): reads the file, parses it with cJSON,
 * seeds every default from its owner, reads the root object and each section
 * through the field table (spec_fields.c), and prints the canonical JSON back
 * from the same table.
 *
 * The checker never stops at the first problem: each field reader records an
 * error (`JSON.path: expected ..., got ...`) and leaves the default in place, so
 * one pass reports everything wrong with a spec. A section of the wrong type is
 * reported once and its fields are skipped.
 */
#include "experiments/spec.h"
#include "experiments/spec_internal.h"

#include "base/file.h"
#include "optimizer/testfuncs.h"

#include "experiments/cli.h"
#include "trainer/features.h"
#include "tracker/admin.h"

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

/* ---- sections ----------------------------------------------------------------- */

static const char *const root_keys[] = {"name", "data", "features", "target", "validation",
    "training", "search", "backtest", "objective", "selection", NULL};

static void parse_features(ctx *c, const cJSON *f, exp_spec *s)
{
    if (!cJSON_IsArray(f) || cJSON_GetArraySize(f) == 0) {
        exp_rd_expect(c, "features", "a non-empty array of feature names such as \"rsi:14\"", f);
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
            exp_rd_expect(c, p, "a feature name such as \"rsi:14\"", it);
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
    exp_rd_check_keys(c, o, "objective", keys);
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
            exp_rd_expect(c, "objective.command", "a non-empty array of strings (program and arguments)", cmd);
        } else {
            s->objective.argv = calloc((size_t)n + 1, sizeof(char *));
            int i = 0;
            for (const cJSON *it = cmd->child; it && s->objective.argv; it = it->next, i++) {
                char p[64];
                snprintf(p, sizeof p, "objective.command[%d]", i);
                if (!cJSON_IsString(it) || !it->valuestring[0]) {
                    exp_rd_expect(c, p, "a non-empty string", it);
                    continue;
                }
                s->objective.argv[s->objective.argc] = strdup(it->valuestring);
                if (s->objective.argv[s->objective.argc])
                    s->objective.argc++;
            }
        }
    } else if (bi) {
        s->objective_kind = EXP_OBJECTIVE_BUILTIN;
        int i = exp_rd_check_enum(c, bi, "objective.builtin", exp_builtin_names());
        if (i >= 0)
            s->objective.builtin = strdup(exp_builtin_names()[i]);
    }
    exp_rd_get_num(c, o, "objective", "sleep_s", 0, 0, 86400, 0, &s->objective.sleep_s);
}


/* The short threshold may not exceed the long one. */
static void check_backtest(ctx *c, const cJSON *b, const exp_spec *s)
{
    if (s->trial.short_threshold > s->trial.long_threshold) {
        char e[128];
        snprintf(e, sizeof e, "a number <= long_threshold (%g)", s->trial.long_threshold);
        exp_rd_expect(c, "backtest.short_threshold", e, cJSON_GetObjectItemCaseSensitive(b, "short_threshold"));
    }
}

/* Seeds every default from its owner (spec.h): the trainer's trial config and
 * hyperparameters, the optimizer's TPE sampler and median pruner. */
static void set_defaults(exp_spec *s)
{
    memset(s, 0, sizeof *s);
    tr_trial_config_default(&s->trial);
    tr_selection_config_default(&s->selection);
    s->trial.metric = NULL;
    tr_trial_params_default(&s->params);
    s->search.n_trials = 20;
    s->search.reproducible_lag = 4;
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
        exp_rd_expect(&c, origin, "a JSON object", root);
        goto fail;
    }
    out->spec_dir = strdup(base_dir && *base_dir ? base_dir : ".");
    exp_rd_check_keys(&c, root, "", root_keys);

    const cJSON *obj = exp_rd_get_object(&c, root, "", "objective", 0);
    if (obj)
        parse_objective(&c, obj, out);
    int lstm = !cJSON_GetObjectItemCaseSensitive(root, "objective");
    c.lstm = lstm;

    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(root, "name");
    char name_err[256];
    if (!cJSON_IsString(nm) || trk_study_name_check(nm->valuestring, name_err) != 0)
        exp_rd_expect(&c, "name", nm ? "a study name of 1-200 printable characters (UTF-8)"
                              : "a study name of 1-200 printable characters (required)", nm);
    else
        out->name = strdup(nm->valuestring);

    const cJSON *d = exp_rd_get_object(&c, root, "", "data", lstm);
    if (d) {
        out->present |= 1u << EXP_SECTION_DATA;
        exp_rd_read_section(&c, d, &exp_rd_sec_data, -1, out);
    }
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "features");
    if (f || lstm) {
        out->present |= 1u << EXP_SECTION_FEATURES;
        parse_features(&c, f, out);
    }
    const cJSON *t = exp_rd_get_object(&c, root, "", "target", 0);
    if (t) {
        out->present |= 1u << EXP_SECTION_TARGET;
        exp_rd_read_section(&c, t, &exp_rd_sec_target, -1, out);
    }
    if (out->trial.target.kind == TR_TARGET_RETURN ||
        out->trial.target.kind == TR_TARGET_PRICE) {   /* no probabilities to threshold */
        out->trial.long_threshold = 0;
        out->trial.short_threshold = 0;
    }
    if (out->trial.target.kind == TR_TARGET_MULTICLASS) {   /* on P(up) - P(down) */
        out->trial.long_threshold = 0.1;
        out->trial.short_threshold = -0.1;
        const cJSON *db = t ? cJSON_GetObjectItemCaseSensitive(t, "deadband") : NULL;
        if (!(out->trial.target.deadband > 0))
            exp_rd_expect(&c, "target.deadband", db ? "a number > 0 for target.kind "
                          "\"multiclass\" (the flat class's band)" : "a number > 0 for "
                          "target.kind \"multiclass\" (required: the flat class's band)", db);
    }
    const cJSON *v = exp_rd_get_object(&c, root, "", "validation", 0);
    if (v) {
        out->present |= 1u << EXP_SECTION_VALIDATION;
        exp_rd_read_section(&c, v, &exp_rd_sec_validation, -1, out);
    }
    const cJSON *tr = exp_rd_get_object(&c, root, "", "training", 0);
    if (tr) {
        out->present |= 1u << EXP_SECTION_TRAINING;
        exp_rd_read_section(&c, tr, &exp_rd_sec_training, -1, out);
    }
    const cJSON *b = exp_rd_get_object(&c, root, "", "backtest", 0);
    if (b) {
        out->present |= 1u << EXP_SECTION_BACKTEST;
        exp_rd_read_section(&c, b, &exp_rd_sec_backtest, -1, out);
        check_backtest(&c, b, out);
    }
    if (lstm)
        out->present = (1u << (EXP_SECTION_BACKTEST + 1)) - 1;

    const cJSON *sel = exp_rd_get_object(&c, root, "", "selection", 0);
    if (sel)
        exp_rd_read_section(&c, sel, &exp_rd_sec_selection, -1, out);

    const cJSON *sr = exp_rd_get_object(&c, root, "", "search", 1);
    if (sr)
        exp_rd_read_section(&c, sr, &exp_rd_sec_search, -1, out);

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
        int known = stat(path, &st) == 0;
        if (known && S_ISREG(st.st_mode) && st.st_size > 16L * 1024 * 1024)
            exp_errors_add(errs, "%s: expected a spec under 16 MB, got %lld bytes", path,
                           (long long)st.st_size);
        else
            exp_errors_add(errs, "%s: expected a readable spec file, got %s", path,
                           known && S_ISDIR(st.st_mode) ? "a directory"
                           : known && !S_ISREG(st.st_mode) ? "something that is not a regular file"
                           : errno ? strerror(errno) : "a read error");
        goto fail;
    }
    dir = base_file_dir(path);
    if (!dir)
        goto fail;
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
    for (int i = 0; i < s->search.n_objectives; i++)
        free(s->search.metrics[i]);
    for (int i = 0; i < s->search.n_space; i++) {
        exp_param *q = &s->search.space[i];
        for (int k = 0; k < q->n_choices; k++)
            free(q->choices[k].text);
        free(q->choices);
        free(q->name);
        exp_rd_when_free(&q->when);
    }
    free(s->search.space);
    cJSON_Delete(s->search.enqueue);
    free(s->search.warm_start);
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
        exp_rd_print_section(r, "data", &exp_rd_sec_data, -1, s);
    if (pr & (1u << EXP_SECTION_FEATURES)) {
        cJSON *a = cJSON_AddArrayToObject(r, "features");
        for (int i = 0; a && i < s->n_features; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(s->features[i]));
    }
    if (pr & (1u << EXP_SECTION_TARGET))
        exp_rd_print_section(r, "target", &exp_rd_sec_target, -1, s);
    if (pr & (1u << EXP_SECTION_VALIDATION))
        exp_rd_print_section(r, "validation", &exp_rd_sec_validation, -1, s);
    if (pr & (1u << EXP_SECTION_TRAINING))
        exp_rd_print_section(r, "training", &exp_rd_sec_training, -1, s);
    exp_rd_print_section(r, "search", &exp_rd_sec_search, -1, s);
    if (pr & (1u << EXP_SECTION_BACKTEST))
        exp_rd_print_section(r, "backtest", &exp_rd_sec_backtest, -1, s);
    if (s->objective_kind == EXP_OBJECTIVE_LSTM)
        exp_rd_print_section(r, "selection", &exp_rd_sec_selection, -1, s);
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


