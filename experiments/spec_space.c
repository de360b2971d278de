/*
 * spec_space.c - search.space: each parameter's type, bounds, step, log scale or
 * choices, checked (for the LSTM trainer, against each hyperparameter's
 * meaningful range in the field table), printed back, and turned into the
 * optimizer's space (exp_spec_space). Conditions (`when`): spec_when.c.
 */
#include "experiments/spec.h"
#include "experiments/spec_internal.h"

#include "experiments/cli.h"

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

const char *const exp_rd_param_type_names[] = {"int", "float", "categorical", NULL};

const char *exp_param_type_name(exp_param_type t) { return exp_rd_param_type_names[t]; }

/* Checks a value of a known LSTM parameter against its meaningful range. */
static void check_lstm_value(ctx *c, const param_range *r, const char *p, const cJSON *v)
{
    if (!cJSON_IsNumber(v))
        return;   /* reported elsewhere */
    double x = v->valuedouble;
    char e[128];
    exp_rd_range_text(r->lo, r->lo_open, r->hi, r->hi_open, e);
    if (!exp_rd_in_range(x, r->lo, r->lo_open, r->hi, r->hi_open))
        exp_rd_expect(c, p, e, v);
    else if (r->integer && !exp_rd_is_integer(x))
        exp_rd_expect(c, p, "a whole number", v);
}

/* The choices of a categorical parameter (array `ch` at path p, non-empty):
 * numbers, strings or booleans, distinct; numbers only (in the hyperparameter's
 * range) for an LSTM parameter `li`, or booleans too when it is a boolean
 * hyperparameter (`bool_ok`: bidirectional). */
static void parse_choices(ctx *c, const cJSON *ch, const char *p, exp_param *q,
                          const param_range *li, int bool_ok)
{
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
        } else if (cJSON_IsBool(it) && (!li || bool_ok)) {
            k->kind = EXP_CHOICE_BOOL;
            k->number = cJSON_IsTrue(it);
        } else {
            exp_rd_expect(c, pi, li ? "a number" : "a number, string or boolean", it);
            continue;
        }
        for (int j = 0; j < q->n_choices; j++) {
            const exp_choice *o = &q->choices[j];
            if (o->kind == k->kind && o->number == k->number &&
                (k->kind != EXP_CHOICE_STRING || strcmp(o->text, k->text) == 0)) {
                char g[96];
                exp_rd_show(it, g);
                exp_errors_add(c->errs, "%s: expected distinct choices, got %s twice", pi, g);
                break;
            }
        }
        q->n_choices++;
    }
}

static void parse_param(ctx *c, const cJSON *v, const char *path, exp_param *q, int lstm)
{
    static const char *const keys[] = {"type", "low", "high", "step", "log", "choices", "when",
                                       NULL};
    if (!cJSON_IsObject(v)) {
        exp_rd_expect(c, path, "an object such as {\"type\": \"int\", \"low\": 1, \"high\": 8}", v);
        return;
    }
    exp_rd_check_keys(c, v, path, keys);
    const field *lf = lstm ? exp_rd_lstm_param(q->name) : NULL;
    const param_range *li = lf ? lf->param : NULL;
    if (lstm && !li) {
        char list[512];
        const char *const *known = exp_lstm_param_names();
        exp_rd_list_names(known, list, sizeof list);
        const char *hint = exp_closest(q->name, known, exp_rd_count_names(known));
        exp_errors_add(c->errs, "%s: expected a parameter the LSTM trainer knows (%s), got \"%s\"%s%s%s"
                       " (other names need an \"objective\")", path, list, q->name,
                       hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
    }
    char p[256];
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(v, "type");
    exp_rd_join(p, path, "type");
    if (!type) {
        exp_rd_expect(c, p, "one of int, float, categorical (required)", NULL);
        return;
    }
    int t = exp_rd_check_enum(c, type, p, exp_rd_param_type_names);
    if (t < 0)
        return;
    q->type = (exp_param_type)t;
    if (li && li->integer && q->type == EXP_PARAM_FLOAT) {
        char e[96];
        snprintf(e, sizeof e, "\"int\" or \"categorical\" for %s", q->name);
        exp_rd_expect(c, p, e, type);
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
                exp_rd_join(p, path, bad[i]);
                exp_rd_expect(c, p, "no such key for a categorical parameter (use \"choices\")", badv[i]);
            }
        exp_rd_join(p, path, "choices");
        if (!cJSON_IsArray(ch) || cJSON_GetArraySize(ch) == 0) {
            exp_rd_expect(c, p, ch ? "a non-empty array of numbers, strings or booleans"
                            : "a non-empty array of numbers, strings or booleans (required)", ch);
            return;
        }
        parse_choices(c, ch, p, q, li, lf && lf->type == FT_BOOL);
        return;
    }
    /* int or float */
    int is_int = q->type == EXP_PARAM_INT;
    if (ch) {
        exp_rd_join(p, path, "choices");
        exp_rd_expect(c, p, "no such key for an int or float parameter (choices are for \"categorical\")", ch);
    }
    int ok = 1;
    const char *bk[2] = {"low", "high"};
    const cJSON *bv[2] = {low, high};
    for (int i = 0; i < 2; i++) {
        exp_rd_join(p, path, bk[i]);
        if (!cJSON_IsNumber(bv[i]) || !isfinite(bv[i]->valuedouble) ||
            (is_int && !exp_rd_is_integer(bv[i]->valuedouble))) {
            exp_rd_expect(c, p, is_int ? (bv[i] ? "an integer" : "an integer (required)")
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
        exp_rd_join(p, path, "log");
        if (!cJSON_IsBool(lg))
            exp_rd_expect(c, p, "true or false", lg);
        else
            q->log = cJSON_IsTrue(lg);
    }
    if (step) {
        exp_rd_join(p, path, "step");
        if (!cJSON_IsNumber(step) || !(step->valuedouble > 0) || !isfinite(step->valuedouble) ||
            (is_int && !exp_rd_is_integer(step->valuedouble)))
            exp_rd_expect(c, p, is_int ? "an integer >= 1" : "a number > 0", step);
        else if (q->log && (!is_int || step->valuedouble != 1))
            exp_rd_expect(c, p, "no step with \"log\": true (log scale is continuous)", step);
        else
            q->step = step->valuedouble;
    }
    if (!ok)
        return;
    q->low = low->valuedouble;
    q->high = high->valuedouble;
    if (q->low >= q->high) {
        char e[96];
        exp_rd_join(p, path, "high");
        snprintf(e, sizeof e, "a number > low (%g)", q->low);
        exp_rd_expect(c, p, e, high);
    }
    if (q->log && q->low <= 0) {
        exp_rd_join(p, path, "low");
        exp_rd_expect(c, p, "a number > 0 (\"log\": true)", low);
    }
}

void exp_rd_parse_space(ctx *c, const cJSON *sp, exp_spec *s)
{
    if (!sp) {
        exp_rd_expect(c, "search.space", "an object of parameters (required)", NULL);
        return;
    }
    if (!cJSON_IsObject(sp) || cJSON_GetArraySize(sp) == 0) {
        exp_rd_expect(c, "search.space", "a non-empty object of parameters", sp);
        return;
    }
    int n = cJSON_GetArraySize(sp);
    s->search.space = calloc((size_t)n, sizeof *s->search.space);
    if (!s->search.space)
        return;
    int lstm = c->lstm;
    const cJSON **when = calloc((size_t)n, sizeof *when);
    if (!when)
        return;
    for (const cJSON *it = sp->child; it; it = it->next) {
        char p[256];
        exp_rd_join(p, "search.space", it->string);
        if (!exp_rd_good_name(it->string)) {
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
        when[s->search.n_space++] = cJSON_GetObjectItemCaseSensitive(it, "when");
        parse_param(c, it, p, q, lstm);
    }
    exp_rd_read_whens(c, when, s);
    free(when);
}


cJSON *exp_rd_param_json(const exp_param *q)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "type", exp_rd_param_type_names[q->type]);
    if (q->type == EXP_PARAM_CATEGORICAL) {
        cJSON *a = cJSON_AddArrayToObject(o, "choices");
        for (int k = 0; a && k < q->n_choices; k++)
            cJSON_AddItemToArray(a, exp_rd_choice_json(&q->choices[k]));
    } else {
        cJSON_AddNumberToObject(o, "low", q->low);
        cJSON_AddNumberToObject(o, "high", q->high);
        if (q->step > 0)
            cJSON_AddNumberToObject(o, "step", q->step);
        cJSON_AddBoolToObject(o, "log", q->log);
    }
    exp_rd_when_json(o, &q->when);
    return o;
}

int exp_rd_value_fits(const exp_param *q, const cJSON *v, char why[128])
{
    if (q->type == EXP_PARAM_CATEGORICAL) {
        for (int k = 0; k < q->n_choices; k++) {
            const exp_choice *ch = &q->choices[k];
            if ((ch->kind == EXP_CHOICE_STRING && cJSON_IsString(v) &&
                 strcmp(ch->text, v->valuestring) == 0) ||
                (ch->kind == EXP_CHOICE_NUMBER && cJSON_IsNumber(v) &&
                 v->valuedouble == ch->number) ||
                (ch->kind == EXP_CHOICE_BOOL && cJSON_IsBool(v) &&
                 (double)cJSON_IsTrue(v) == ch->number))
                return 1;
        }
        snprintf(why, 128, "one of the parameter's choices");
        return 0;
    }
    double lo = q->low, hi = q->high, step = q->step;
    if (q->type == EXP_PARAM_INT)
        snprintf(why, 128, "an integer in [%.17g, %.17g]%s", lo, hi, step > 1 ? " on its step" : "");
    else
        snprintf(why, 128, "a number in [%.17g, %.17g]%s", lo, hi, step > 0 ? " on its step" : "");
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return 0;
    double x = v->valuedouble;
    if (x < lo || x > hi || (q->type == EXP_PARAM_INT && !exp_rd_is_integer(x)))
        return 0;
    if (step > 0) {
        double k = (x - lo) / step;
        if (fabs(k - nearbyint(k)) > 1e-9 * (1 + fabs(k)))
            return 0;
    }
    return 1;
}

/* ---- the optimizer's space ---------------------------------------------------- */

/* Adds categorical q: numeric choices (booleans as 0/1) stay numbers, a list
 * with a string becomes string choices (numbers written "%.17g"). */
static int add_categorical(opt_space *sp, const exp_param *q, char err[256])
{
    int n = q->n_choices < 256 ? q->n_choices : 256, strings = 0;
    double v[256];
    const char *t[256];
    char num[256][32];
    for (int k = 0; k < n; k++) {
        strings |= q->choices[k].kind == EXP_CHOICE_STRING;
        v[k] = q->choices[k].number;
        snprintf(num[k], sizeof num[k], "%.17g", q->choices[k].number);
        t[k] = q->choices[k].kind == EXP_CHOICE_STRING ? q->choices[k].text : num[k];
    }
    return strings ? opt_space_add_categorical_str(sp, q->name, t, n, err)
                   : opt_space_add_categorical_num(sp, q->name, v, n, err);
}

/* The optimizer's operand of a condition value: the number, or for a parent
 * with string choices the index of the choice. */
static double cond_operand(const exp_param *pq, const opt_param *op, const exp_choice *v)
{
    if (pq->type != EXP_PARAM_CATEGORICAL || !op->string_choices)
        return v->number;
    for (int k = 0; k < pq->n_choices; k++) {
        const exp_choice *ch = &pq->choices[k];
        if (ch->kind == v->kind && ch->number == v->number &&
            (v->kind != EXP_CHOICE_STRING || strcmp(ch->text, v->text) == 0))
            return k;
    }
    return NAN;   /* not a choice: the spec reader refuses such a value */
}

int exp_spec_space(const exp_spec *s, opt_space **out, char err[256])
{
    *out = NULL;
    opt_space *sp = opt_space_new();
    if (!sp) {
        snprintf(err, 256, "out of memory");
        return -1;
    }
    for (int i = 0; i < s->search.n_space; i++) {
        const exp_param *q = &s->search.space[i];
        int rc = q->type == EXP_PARAM_INT
                     ? opt_space_add_int(sp, q->name, (long)q->low, (long)q->high,
                                         q->step >= 1 ? (long)q->step : 1, q->log, err)
                 : q->type == EXP_PARAM_FLOAT
                     ? opt_space_add_float(sp, q->name, q->low, q->high, q->log, q->step, err)
                     : add_categorical(sp, q, err);
        if (rc)
            goto fail;
    }
    for (int i = 0; i < s->search.n_space; i++) {
        const exp_when *w = &s->search.space[i].when;
        if (!w->parent)
            continue;
        const exp_param *pq = exp_spec_param(s, w->parent);
        int j = opt_space_find(sp, w->parent);
        double v[OPT_COND_MAX_VALUES];
        for (int k = 0; pq && j >= 0 && k < w->n_values && k < OPT_COND_MAX_VALUES; k++)
            v[k] = cond_operand(pq, &sp->p[j], &w->values[k]);
        if (opt_space_set_condition(sp, i, w->parent, w->op, v, w->n_values, err))
            goto fail;
    }
    if (opt_space_check_conditions(sp, err))
        goto fail;
    *out = sp;
    return 0;
fail:
    opt_space_free(sp);
    return -1;
}

