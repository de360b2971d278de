/*
 * spec_when.c - conditional parameters in the spec: search.space.NAME.when,
 * `{"PARENT": {"OP": VALUE}}` with OP one of ==, !=, <, <=, >, >=, in (VALUE an
 * array for "in"). Read after every parameter of the space (a condition may
 * name a parameter written after it), checked against the parent's domain,
 * printed back in the same form, and evaluated on a configuration (a JSON
 * object of values: search.enqueue, a trial's parameters). The optimizer's
 * own condition (optimizer/condition.c) is built from it in spec_space.c.
 */
#include "experiments/spec_internal.h"

#include "experiments/cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_list = "==, !=, <, <=, >, >=, in";
static const char *const op_names[] = {"==", "!=", "<", "<=", ">", ">=", "in", NULL};

static int is_relational(opt_cond_op op)
{
    return op == OPT_COND_LT || op == OPT_COND_LE || op == OPT_COND_GT || op == OPT_COND_GE;
}

/* 1 when every choice of a categorical is a number (not a string or a boolean). */
static int choices_numeric(const exp_param *q)
{
    for (int k = 0; k < q->n_choices; k++)
        if (q->choices[k].kind != EXP_CHOICE_NUMBER)
            return 0;
    return 1;
}

/* The range a relational operator's value must lie in for some value of the
 * parent to meet it: [lo, hi] with the end the operator cannot reach open. */
static void relational_range(const exp_param *q, opt_cond_op op, double *lo, double *hi,
                             int *lo_open, int *hi_open)
{
    *lo = q->low, *hi = q->high;
    if (q->type == EXP_PARAM_CATEGORICAL) {
        *lo = INFINITY, *hi = -INFINITY;
        for (int k = 0; k < q->n_choices; k++) {
            *lo = fmin(*lo, q->choices[k].number);
            *hi = fmax(*hi, q->choices[k].number);
        }
    }
    *lo_open = op == OPT_COND_LT;
    *hi_open = op == OPT_COND_GT;
}

/* One value of a condition on parent `q` at path p into *out (its kind and
 * number; the text of a string choice is copied). 0, or -1 (reported). */
static int read_value(ctx *c, const cJSON *v, const char *p, const exp_param *q, opt_cond_op op,
                      exp_choice *out)
{
    char why[128];
    if (is_relational(op)) {
        double lo, hi;
        int lo_open, hi_open;
        relational_range(q, op, &lo, &hi, &lo_open, &hi_open);
        char e[288], r[128];
        exp_rd_range_text(lo, lo_open, hi, hi_open, r);
        static const char *const where[] = {[OPT_COND_LT] = "below", [OPT_COND_LE] = "at or below",
                                            [OPT_COND_GT] = "above", [OPT_COND_GE] = "at or above"};
        snprintf(e, sizeof e, "%s (some value of %s must be %s it)", r, q->name, where[op]);
        if (!cJSON_IsNumber(v) || !exp_rd_in_range(v->valuedouble, lo, lo_open, hi, hi_open)) {
            exp_rd_expect(c, p, e, v);
            return -1;
        }
        *out = (exp_choice){EXP_CHOICE_NUMBER, v->valuedouble, NULL};
        return 0;
    }
    if (!exp_rd_value_fits(q, v, why)) {
        char e[200];
        snprintf(e, sizeof e, "a value of %s (%s)", q->name, why);
        exp_rd_expect(c, p, e, v);
        return -1;
    }
    *out = (exp_choice){cJSON_IsString(v) ? EXP_CHOICE_STRING
                        : cJSON_IsBool(v) ? EXP_CHOICE_BOOL : EXP_CHOICE_NUMBER,
                        cJSON_IsBool(v) ? cJSON_IsTrue(v) : cJSON_IsNumber(v) ? v->valuedouble : 0,
                        NULL};
    if (cJSON_IsString(v) && !(out->text = strdup(v->valuestring)))
        return -1;
    return 0;
}

/* The operator object {"OP": VALUE} of a condition on parent q, at path p. */
static void read_operator(ctx *c, const cJSON *o, const char *p, const exp_param *q, exp_when *w)
{
    if (!cJSON_IsObject(o) || cJSON_GetArraySize(o) != 1) {
        char e[160];
        snprintf(e, sizeof e, "an object of one operator (%s) and its value, such as {\">=\": 2}",
                 op_list);
        exp_rd_expect(c, p, e, o);
        return;
    }
    const cJSON *v = o->child;
    opt_cond_op op = opt_cond_op_parse(v->string);
    if (op == OPT_COND_NONE) {
        char swapped[3] = {v->string[0] ? v->string[1] : 0, v->string[0], 0};
        const char *hint = strlen(v->string) == 2 && opt_cond_op_parse(swapped) != OPT_COND_NONE
                               ? op_names[opt_cond_op_parse(swapped) - 1]
                               : exp_closest(v->string, op_names, exp_rd_count_names(op_names));
        exp_errors_add(c->errs, "%s: expected one of the operators %s, got \"%s\"%s%s%s", p,
                       op_list, v->string, hint ? " (did you mean \"" : "", hint ? hint : "",
                       hint ? "\"?)" : "");
        return;
    }
    char pv[320];
    snprintf(pv, sizeof pv, "%s.%s", p, v->string);
    if (is_relational(op) && q->type == EXP_PARAM_CATEGORICAL && !choices_numeric(q)) {
        exp_errors_add(c->errs, "%s: expected ==, != or in (the choices of %s are not all "
                       "numbers, so they have no order), got \"%s\"", pv, q->name, v->string);
        return;
    }
    int n = op == OPT_COND_IN ? cJSON_GetArraySize(v) : 1;
    if (op == OPT_COND_IN && (!cJSON_IsArray(v) || n < 1 || n > OPT_COND_MAX_VALUES)) {
        char e[96];
        snprintf(e, sizeof e, "an array of 1-%d values of %s", OPT_COND_MAX_VALUES, q->name);
        exp_rd_expect(c, pv, e, v);
        return;
    }
    w->values = calloc((size_t)n, sizeof *w->values);
    if (!w->values)
        return;
    const cJSON *it = op == OPT_COND_IN ? v->child : v;
    int bad = 0;
    for (int k = 0; k < n; k++, it = it->next) {
        char pk[340];
        if (op == OPT_COND_IN)
            snprintf(pk, sizeof pk, "%s[%d]", pv, k);
        else
            snprintf(pk, sizeof pk, "%s", pv);
        bad |= read_value(c, it, pk, q, op, &w->values[k]) != 0;
        w->n_values = k + 1;
        for (int m = 0; !bad && m < k; m++)
            if (cJSON_Compare(it, cJSON_GetArrayItem(v, m), 1)) {
                exp_rd_expect(c, pk, "distinct values", it);
                bad = 1;
            }
    }
    if (!bad)
        w->op = op;
}

/* search.space.NAME.when for parameter i (the whole space is read). */
static void read_when(ctx *c, const cJSON *j, exp_spec *s, int i)
{
    exp_param *q = &s->search.space[i];
    char p[256];
    snprintf(p, sizeof p, "search.space.%s.when", q->name);
    if (!cJSON_IsObject(j) || cJSON_GetArraySize(j) == 0) {
        exp_rd_expect(c, p, "an object {\"PARENT\": {\"OP\": VALUE}} such as "
                      "{\"layers\": {\">=\": 2}}", j);
        return;
    }
    if (cJSON_GetArraySize(j) > 1) {
        exp_errors_add(c->errs, "%s: expected one parent parameter, got %d (\"%s\", \"%s\"%s)", p,
                       cJSON_GetArraySize(j), j->child->string, j->child->next->string,
                       cJSON_GetArraySize(j) > 2 ? ", ..." : "");
        return;
    }
    const char *parent = j->child->string;
    const exp_param *pq = exp_spec_param(s, parent);
    if (pq == q) {
        exp_errors_add(c->errs, "%s: expected another parameter as the parent, got \"%s\" "
                       "itself", p, parent);
        return;
    }
    if (!pq) {
        const char *names[OPT_MAX_PARAMS + 1];
        int n = 0;
        for (int k = 0; k < s->search.n_space && n < OPT_MAX_PARAMS; k++)
            names[n++] = s->search.space[k].name;
        names[n] = NULL;
        const char *hint = exp_closest(parent, names, n);
        exp_errors_add(c->errs, "%s: expected a parameter of search.space as the parent, got "
                       "unknown \"%s\"%s%s%s", p, parent, hint ? " (did you mean \"" : "",
                       hint ? hint : "", hint ? "\"?)" : "");
        return;
    }
    char pp[300];
    snprintf(pp, sizeof pp, "%s.%s", p, parent);
    read_operator(c, j->child, pp, pq, &q->when);
    if (q->when.op != OPT_COND_NONE && !(q->when.parent = strdup(parent)))
        q->when.op = OPT_COND_NONE;
}

/* Reports each cycle of conditions once, at its parameter that comes first. */
static void check_cycles(ctx *c, exp_spec *s)
{
    int n = s->search.n_space;
    for (int i = 0; i < n; i++) {
        const exp_param *at = &s->search.space[i];
        int hops = 0, first = 1;
        while (at->when.parent && hops <= n) {
            at = exp_spec_param(s, at->when.parent);
            hops++;
            if (at == &s->search.space[i])
                break;
            first &= at > &s->search.space[i];
        }
        if (at != &s->search.space[i] || !hops || !first)
            continue;
        char chain[256];
        int len = snprintf(chain, sizeof chain, "%s", at->name);
        for (int k = 0; k < hops && len < (int)sizeof chain; k++) {
            at = exp_spec_param(s, at->when.parent);
            len += snprintf(chain + len, sizeof chain - (size_t)len, " -> %s", at->name);
        }
        exp_errors_add(c->errs, "search.space.%s.when: expected no cycle of conditions, got %s",
                       s->search.space[i].name, chain);
    }
}

void exp_rd_read_whens(ctx *c, const cJSON *const *when, exp_spec *s)
{
    for (int i = 0; i < s->search.n_space; i++)
        if (when[i])
            read_when(c, when[i], s, i);
    check_cycles(c, s);
}

cJSON *exp_rd_choice_json(const exp_choice *ch)
{
    return ch->kind == EXP_CHOICE_STRING ? cJSON_CreateString(ch->text)
           : ch->kind == EXP_CHOICE_BOOL ? cJSON_CreateBool(ch->number != 0)
                                         : cJSON_CreateNumber(ch->number);
}

void exp_rd_when_json(cJSON *o, const exp_when *w)
{
    if (!w->parent)
        return;
    cJSON *on = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "when"), w->parent);
    const char *op = opt_cond_op_name(w->op);
    if (w->op != OPT_COND_IN) {
        cJSON_AddItemToObject(on, op, exp_rd_choice_json(&w->values[0]));
        return;
    }
    cJSON *a = cJSON_AddArrayToObject(on, op);
    for (int k = 0; a && k < w->n_values; k++)
        cJSON_AddItemToArray(a, exp_rd_choice_json(&w->values[k]));
}

void exp_rd_when_text(const exp_when *w, char out[160])
{
    cJSON *o = cJSON_CreateObject();
    exp_rd_when_json(o, w);
    const cJSON *on = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "when"),
                                                       w->parent);
    char *v = on && on->child ? cJSON_PrintUnformatted(on->child) : NULL;
    snprintf(out, 160, "%s %s %.100s", w->parent, opt_cond_op_name(w->op), v ? v : "?");
    free(v);
    cJSON_Delete(o);
}

/* 1 when the JSON value v (a value of the parent) meets condition w. */
static int when_holds(const exp_when *w, const cJSON *v)
{
    double x = cJSON_IsBool(v) ? cJSON_IsTrue(v) : cJSON_IsNumber(v) ? v->valuedouble : NAN;
    for (int k = 0; k < w->n_values; k++) {
        const exp_choice *ch = &w->values[k];
        /* a boolean choice travels as 0/1 in a trial's parameters */
        int eq = ch->kind == EXP_CHOICE_STRING
                     ? cJSON_IsString(v) && strcmp(v->valuestring, ch->text) == 0
                     : x == ch->number;
        switch (w->op) {
        case OPT_COND_EQ: return eq;
        case OPT_COND_NE: return !eq;
        case OPT_COND_LT: return x < ch->number;
        case OPT_COND_LE: return x <= ch->number;
        case OPT_COND_GT: return x > ch->number;
        case OPT_COND_GE: return x >= ch->number;
        case OPT_COND_IN:
            if (eq)
                return 1;
            break;
        default: return 1;
        }
    }
    return 0;
}

int exp_spec_param_active(const exp_spec *s, const char *name, const cJSON *config)
{
    const exp_param *q = exp_spec_param(s, name);
    for (int hops = 0; q && q->when.parent && hops <= s->search.n_space; hops++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, q->when.parent);
        const exp_param *pq = exp_spec_param(s, q->when.parent);
        if (!v)
            return pq && exp_spec_param_active(s, pq->name, config) == 0 ? 0 : -1;
        if (!when_holds(&q->when, v))
            return 0;
        q = pq;
    }
    return 1;
}

void exp_rd_when_free(exp_when *w)
{
    for (int k = 0; k < w->n_values; k++)
        free(w->values[k].text);
    free(w->values);
    free(w->parent);
    memset(w, 0, sizeof *w);
}
