/*
 * condition.c - conditional parameters: a parameter's `when` names one parent
 * and an operator over the number the parent's value stands for; the parameter
 * is active when its parent is active and the comparison holds. Cycles are
 * rejected once (opt_space_check_conditions), so activity is a walk up a chain.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "optimizer/space.h"

static const char *const op_names[] = {"", "==", "!=", "<", "<=", ">", ">=", "in"};

opt_cond_op opt_cond_op_parse(const char *name)
{
    for (int k = 1; k < (int)(sizeof op_names / sizeof *op_names); k++)
        if (strcmp(name, op_names[k]) == 0)
            return (opt_cond_op)k;
    return OPT_COND_NONE;
}

const char *opt_cond_op_name(opt_cond_op op) { return op_names[op]; }

int opt_space_set_condition(opt_space *s, int i, const char *parent, opt_cond_op op,
                            const double *v, int n, char err[256])
{
    int j = opt_space_find(s, parent);
    const char *name = s->p[i].name;
    if (j < 0) {
        snprintf(err, 256, "%s: the condition names an unknown parameter \"%s\"", name, parent);
        return -1;
    }
    if (j == i) {
        snprintf(err, 256, "%s: a parameter cannot be conditional on itself", name);
        return -1;
    }
    if (op == OPT_COND_NONE || n < 1 || n > OPT_COND_MAX_VALUES || (op != OPT_COND_IN && n != 1)) {
        snprintf(err, 256, "%s: expected one value (or 1-%d for \"in\") in the condition",
                 name, OPT_COND_MAX_VALUES);
        return -1;
    }
    opt_cond *c = &s->p[i].when;
    c->op = op;
    c->parent = j;
    c->n = n;
    memcpy(c->v, v, sizeof(double) * (size_t)n);
    return 0;
}

int opt_space_check_conditions(const opt_space *s, char err[256])
{
    for (int i = 0; i < s->n; i++) {
        int at = i;
        for (int hops = 0; s->p[at].when.op != OPT_COND_NONE; hops++) {
            at = s->p[at].when.parent;
            if (at == i || hops > s->n) {
                snprintf(err, 256, "%s: its condition is part of a cycle of conditions",
                         s->p[i].name);
                return -1;
            }
        }
    }
    return 0;
}

int opt_space_has_conditions(const opt_space *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->p[i].when.op != OPT_COND_NONE)
            return 1;
    return 0;
}

static int cond_holds(const opt_cond *c, double x)
{
    switch (c->op) {
    case OPT_COND_EQ: return x == c->v[0];
    case OPT_COND_NE: return x != c->v[0];
    case OPT_COND_LT: return x < c->v[0];
    case OPT_COND_LE: return x <= c->v[0];
    case OPT_COND_GT: return x > c->v[0];
    case OPT_COND_GE: return x >= c->v[0];
    case OPT_COND_IN:
        for (int k = 0; k < c->n; k++)
            if (x == c->v[k])
                return 1;
        return 0;
    default: return 1;
    }
}

/* What a condition compares: the number the parent's value stands for, or the
 * choice index of a parent with string choices (which stand for no number). */
static double cond_operand(const opt_space *s, int j, double v)
{
    const opt_param *p = &s->p[j];
    return p->kind == OPT_PARAM_CATEGORICAL && p->string_choices ? v : opt_value_number(s, j, v);
}

int opt_param_active(const opt_space *s, int i, const double *values)
{
    for (int at = i, hops = 0; s->p[at].when.op != OPT_COND_NONE && hops <= s->n; hops++) {
        const opt_cond *c = &s->p[at].when;
        double v = values[c->parent];
        if (isnan(v) || !cond_holds(c, cond_operand(s, c->parent, v)))
            return 0;
        at = c->parent;
    }
    return 1;
}

void opt_space_deactivate(const opt_space *s, double *values)
{
    int active[OPT_MAX_PARAMS];
    for (int i = 0; i < s->n; i++)
        active[i] = opt_param_active(s, i, values);
    for (int i = 0; i < s->n; i++)
        if (!active[i])
            values[i] = NAN;
}
