/*
 * space.c - the search space: parameter definitions, validation of bounds, and
 * the mapping between a parameter's value and the internal real the samplers
 * use (see space.h for the representation).
 */
#include "optimizer/space.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

opt_space *opt_space_new(void)
{
    return calloc(1, sizeof(opt_space));
}

void opt_space_free(opt_space *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        opt_param *p = &s->p[i];
        free(p->num_choices);
        if (p->str_choices)
            for (int c = 0; c < p->n_choices; c++)
                free(p->str_choices[c]);
        free(p->str_choices);
    }
    free(s);
}

/* Common checks for a new parameter; returns the slot or NULL with err. */
static opt_param *space_slot(opt_space *s, const char *name, char err[256])
{
    if (!name || !*name) {
        snprintf(err, 256, "parameter name is empty");
        return NULL;
    }
    if (strlen(name) >= OPT_NAME_MAX) {
        snprintf(err, 256, "parameter '%.40s...': name longer than %d characters", name,
                 OPT_NAME_MAX - 1);
        return NULL;
    }
    if (opt_space_find(s, name) >= 0) {
        snprintf(err, 256, "parameter '%s' is defined twice", name);
        return NULL;
    }
    if (s->n >= OPT_MAX_PARAMS) {
        snprintf(err, 256, "parameter '%s': more than %d parameters", name, OPT_MAX_PARAMS);
        return NULL;
    }
    opt_param *p = &s->p[s->n];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    return p;
}

int opt_space_add_float(opt_space *s, const char *name, double low, double high, int log,
                        double step, char err[256])
{
    opt_param *p = space_slot(s, name, err);
    if (!p)
        return -1;
    if (!isfinite(low) || !isfinite(high) || !(low < high)) {
        snprintf(err, 256, "parameter '%s': low %g must be < high %g", name, low, high);
        return -1;
    }
    if (log && low <= 0) {
        snprintf(err, 256, "parameter '%s': log scale needs low > 0, got %g", name, low);
        return -1;
    }
    if (!(step >= 0) || !isfinite(step)) {
        snprintf(err, 256, "parameter '%s': step must be >= 0, got %g", name, step);
        return -1;
    }
    if (log && step > 0) {
        snprintf(err, 256, "parameter '%s': step and log cannot be combined", name);
        return -1;
    }
    if (step > high - low) {
        snprintf(err, 256, "parameter '%s': step %g is larger than high - low", name, step);
        return -1;
    }
    p->kind = OPT_PARAM_FLOAT;
    p->log = log != 0;
    p->low = low;
    p->high = step > 0 ? low + floor((high - low) / step + 1e-9) * step : high;
    p->step = step;
    s->n++;
    return 0;
}

int opt_space_add_int(opt_space *s, const char *name, long low, long high, long step, int log,
                      char err[256])
{
    opt_param *p = space_slot(s, name, err);
    if (!p)
        return -1;
    if (low >= high) {
        snprintf(err, 256, "parameter '%s': low %ld must be < high %ld", name, low, high);
        return -1;
    }
    if (step < 1) {
        snprintf(err, 256, "parameter '%s': step must be >= 1, got %ld", name, step);
        return -1;
    }
    if (log && (low < 1 || step != 1)) {
        snprintf(err, 256, "parameter '%s': log scale needs low >= 1 and step 1", name);
        return -1;
    }
    if (step > high - low) {
        snprintf(err, 256, "parameter '%s': step %ld is larger than high - low", name, step);
        return -1;
    }
    p->kind = OPT_PARAM_INT;
    p->log = log != 0;
    p->low = (double)low;
    p->high = (double)(low + (high - low) / step * step);
    p->step = (double)step;
    s->n++;
    return 0;
}

static int space_check_choices(const char *name, int n, char err[256])
{
    if (n < 1) {
        snprintf(err, 256, "parameter '%s': a categorical needs at least one choice", name);
        return -1;
    }
    return 0;
}

int opt_space_add_categorical_num(opt_space *s, const char *name, const double *choices, int n,
                                  char err[256])
{
    opt_param *p = space_slot(s, name, err);
    if (!p || space_check_choices(name, n, err) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (!isfinite(choices[i])) {
            snprintf(err, 256, "parameter '%s': choice %d is not a finite number", name, i);
            return -1;
        }
        for (int j = 0; j < i; j++)
            if (choices[j] == choices[i]) {
                snprintf(err, 256, "parameter '%s': choice %g appears twice", name, choices[i]);
                return -1;
            }
    }
    p->num_choices = malloc(sizeof(double) * (size_t)n);
    if (!p->num_choices) {
        snprintf(err, 256, "parameter '%s': out of memory", name);
        return -1;
    }
    memcpy(p->num_choices, choices, sizeof(double) * (size_t)n);
    p->kind = OPT_PARAM_CATEGORICAL;
    p->n_choices = n;
    p->low = 0;
    p->high = n - 1;
    p->step = 1;
    s->n++;
    return 0;
}

int opt_space_add_categorical_str(opt_space *s, const char *name, const char *const *choices,
                                  int n, char err[256])
{
    opt_param *p = space_slot(s, name, err);
    if (!p || space_check_choices(name, n, err) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (!choices[i]) {
            snprintf(err, 256, "parameter '%s': choice %d is NULL", name, i);
            return -1;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(choices[j], choices[i]) == 0) {
                snprintf(err, 256, "parameter '%s': choice '%s' appears twice", name, choices[i]);
                return -1;
            }
    }
    p->str_choices = calloc((size_t)n, sizeof(char *));
    if (!p->str_choices)
        goto fail;
    p->n_choices = n;
    for (int i = 0; i < n; i++)
        if (!(p->str_choices[i] = strdup(choices[i])))
            goto fail;
    p->kind = OPT_PARAM_CATEGORICAL;
    p->string_choices = 1;
    p->low = 0;
    p->high = n - 1;
    p->step = 1;
    s->n++;
    return 0;
fail:
    if (p->str_choices)
        for (int i = 0; i < n; i++)
            free(p->str_choices[i]);
    free(p->str_choices);
    p->str_choices = NULL;
    snprintf(err, 256, "parameter '%s': out of memory", name);
    return -1;
}

int opt_space_find(const opt_space *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->p[i].name, name) == 0)
            return i;
    return -1;
}

double opt_param_cardinality(const opt_param *p)
{
    if (p->kind == OPT_PARAM_CATEGORICAL)
        return p->n_choices;
    if (p->step > 0)
        return floor((p->high - p->low) / p->step + 0.5) + 1;
    return 0;
}

int opt_space_is_discrete(const opt_space *s)
{
    for (int i = 0; i < s->n; i++)
        if (opt_param_cardinality(&s->p[i]) == 0)
            return 0;
    return 1;
}

double opt_param_to_internal(const opt_param *p, double value)
{
    return (p->kind != OPT_PARAM_CATEGORICAL && p->log) ? log(value) : value;
}

double opt_param_snap(const opt_param *p, double v)
{
    if (p->kind == OPT_PARAM_CATEGORICAL || p->kind == OPT_PARAM_INT || p->step > 0) {
        double step = p->step > 0 ? p->step : 1.0;
        v = round((v - p->low) / step) * step + p->low;
    }
    if (v < p->low)
        v = p->low;
    if (v > p->high)
        v = p->high;
    return v;
}

double opt_param_from_internal(const opt_param *p, double x)
{
    if (p->kind != OPT_PARAM_CATEGORICAL && p->log)
        x = exp(x);
    return opt_param_snap(p, x);
}

double opt_value_number(const opt_space *s, int i, double value)
{
    const opt_param *p = &s->p[i];
    if (p->kind != OPT_PARAM_CATEGORICAL)
        return value;
    int c = (int)value;
    if (p->string_choices || c < 0 || c >= p->n_choices)
        return NAN;
    return p->num_choices[c];
}

const char *opt_value_string(const opt_space *s, int i, double value)
{
    const opt_param *p = &s->p[i];
    int c = (int)value;
    if (p->kind != OPT_PARAM_CATEGORICAL || !p->string_choices || c < 0 || c >= p->n_choices)
        return NULL;
    return p->str_choices[c];
}

int opt_value_format(const opt_space *s, int i, double value, char *buf, size_t size)
{
    const opt_param *p = &s->p[i];
    const char *str = opt_value_string(s, i, value);
    if (str)
        return snprintf(buf, size, "%s", str);
    double v = opt_value_number(s, i, value);
    if (p->kind == OPT_PARAM_INT)
        return snprintf(buf, size, "%.0f", v);
    return snprintf(buf, size, "%.17g", v);
}

int opt_value_check(const opt_space *s, int i, double value, char err[256])
{
    const opt_param *p = &s->p[i];
    if (!isfinite(value) || value < p->low || value > p->high) {
        snprintf(err, 256, "parameter '%s': value %g outside [%g, %g]", p->name, value, p->low,
                 p->high);
        return -1;
    }
    if (p->kind != OPT_PARAM_FLOAT || p->step > 0) {
        double step = p->step > 0 ? p->step : 1.0;
        double k = (value - p->low) / step;
        if (fabs(k - round(k)) > 1e-6) {
            snprintf(err, 256, "parameter '%s': value %g is not on the grid %g + k*%g", p->name,
                     value, p->low, step);
            return -1;
        }
    }
    return 0;
}

int opt_value_parse(const opt_space *s, int i, const char *text, double *value, char err[256])
{
    const opt_param *p = &s->p[i];
    if (!text) {
        snprintf(err, 256, "parameter '%s': no value", p->name);
        return -1;
    }
    if (p->kind == OPT_PARAM_CATEGORICAL && p->string_choices) {
        for (int c = 0; c < p->n_choices; c++)
            if (strcmp(p->str_choices[c], text) == 0) {
                *value = c;
                return 0;
            }
        snprintf(err, 256, "parameter '%s': '%.60s' is not one of its choices", p->name, text);
        return -1;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE) {
        snprintf(err, 256, "parameter '%s': '%.60s' is not a number", p->name, text);
        return -1;
    }
    if (p->kind == OPT_PARAM_CATEGORICAL) {
        for (int c = 0; c < p->n_choices; c++)
            if (p->num_choices[c] == v) {
                *value = c;
                return 0;
            }
        snprintf(err, 256, "parameter '%s': %g is not one of its choices", p->name, v);
        return -1;
    }
    if (opt_value_check(s, i, v, err) < 0)
        return -1;
    *value = opt_param_snap(p, v);
    return 0;
}
