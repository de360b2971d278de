/*
 * space.h - the search space of a study: named parameters of five shapes
 * (float, stepped float, log float, int with step, log int) plus categoricals
 * whose choices are numbers or strings.
 *
 * How values travel: a parameter's value is one double everywhere in the
 * optimizer and in opt_trial_params. For numeric parameters it is the value
 * itself (ints are integer-valued doubles); for categoricals it is the index of
 * the choice (0..n_choices-1). Samplers work on an internal real per parameter:
 * log(value) for log parameters, the value for the others, the index for
 * categoricals (opt_param_to_internal). The study runner reads and writes values
 * with opt_value_number / opt_value_string / opt_value_format / opt_value_parse.
 *
 * Conditional parameters (condition.c): a parameter may carry a condition on
 * one parent parameter (`when`); it is active in a trial when its parent is
 * active and the parent's value satisfies the condition. An inactive
 * parameter's value is NaN in opt_trial_params and is absent from the store.
 */
#ifndef OPT_SPACE_H
#define OPT_SPACE_H

#include <stddef.h>

#define OPT_MAX_PARAMS 64
#define OPT_NAME_MAX 64

typedef enum { OPT_PARAM_FLOAT, OPT_PARAM_INT, OPT_PARAM_CATEGORICAL } opt_param_kind;

/* Operators of a condition; the parent's number (opt_value_number), or the
 * choice index of a parent with string choices, is compared with the
 * condition's value(s). */
typedef enum {
    OPT_COND_NONE, OPT_COND_EQ, OPT_COND_NE, OPT_COND_LT, OPT_COND_LE, OPT_COND_GT,
    OPT_COND_GE, OPT_COND_IN
} opt_cond_op;

#define OPT_COND_MAX_VALUES 16

typedef struct opt_cond {
    opt_cond_op op;   /* OPT_COND_NONE: always active */
    int parent;       /* index of the parent parameter */
    int n;            /* values: 1, or 1..OPT_COND_MAX_VALUES for "in" */
    double v[OPT_COND_MAX_VALUES];
} opt_cond;

typedef struct opt_param {
    char name[OPT_NAME_MAX];
    opt_param_kind kind;
    int log;            /* sampled uniformly in log space (numeric only) */
    double low, high;   /* inclusive bounds (numeric only) */
    double step;        /* 0 = continuous float; ints always have step >= 1 */
    int n_choices;      /* categorical only */
    int string_choices; /* 1: str_choices is set, 0: num_choices is set */
    double *num_choices;
    char **str_choices;
    opt_cond when;      /* condition on a parent (condition.c) */
} opt_param;

typedef struct opt_space {
    int n;
    opt_param p[OPT_MAX_PARAMS];
} opt_space;

/* A new empty space; NULL when out of memory. Caller frees with opt_space_free. */
opt_space *opt_space_new(void);
void opt_space_free(opt_space *s);

/* Add a float in [low, high]; log requires low > 0; step > 0 makes it discrete
 * (low + k*step, and cannot be combined with log). Returns 0, or -1 and err. */
int opt_space_add_float(opt_space *s, const char *name, double low, double high, int log,
                        double step, char err[256]);
/* Add an int in [low, high] on the grid low + k*step (step >= 1); log requires
 * low >= 1 and step 1. */
int opt_space_add_int(opt_space *s, const char *name, long low, long high, long step, int log,
                      char err[256]);
/* Add a categorical of n >= 1 numeric / string choices (copied). */
int opt_space_add_categorical_num(opt_space *s, const char *name, const double *choices, int n,
                                  char err[256]);
int opt_space_add_categorical_str(opt_space *s, const char *name, const char *const *choices,
                                  int n, char err[256]);

/* Index of the parameter called name, or -1. */
int opt_space_find(const opt_space *s, const char *name);

/* Number of distinct values of parameter i (floats without step: 0 = infinite). */
double opt_param_cardinality(const opt_param *p);
/* 1 when every parameter has finitely many values. */
int opt_space_is_discrete(const opt_space *s);

/* Internal real of a value (log for log params, index for categoricals) and back;
 * from_internal rounds to the step grid and clips to the bounds. */
double opt_param_to_internal(const opt_param *p, double value);
double opt_param_from_internal(const opt_param *p, double x);
/* Snap a value onto the parameter's grid and bounds. */
double opt_param_snap(const opt_param *p, double value);

/* The number a value stands for: the value of a numeric parameter, the chosen
 * number of a numeric categorical, NaN for a string categorical. */
double opt_value_number(const opt_space *s, int i, double value);
/* The chosen string of a string categorical (owned by the space), else NULL. */
const char *opt_value_string(const opt_space *s, int i, double value);
/* Text form of a value ("%.17g", ints without decimals, the choice string);
 * returns snprintf's count. */
int opt_value_format(const opt_space *s, int i, double value, char *buf, size_t size);
/* Inverse of opt_value_format: a number for numeric parameters and numeric
 * categoricals, the choice text for string categoricals; checks bounds and grid.
 * 0 ok, -1 and err. */
int opt_value_parse(const opt_space *s, int i, const char *text, double *value, char err[256]);
/* Check that a value is legal for parameter i (in bounds, on the grid, valid index). */
int opt_value_check(const opt_space *s, int i, double value, char err[256]);

/* condition.c. The operator of a name ("==", "!=", "<", "<=", ">", ">=", "in"),
 * or OPT_COND_NONE when unknown. */
opt_cond_op opt_cond_op_parse(const char *name);
const char *opt_cond_op_name(opt_cond_op op);
/* Make parameter i active only when parent (by name) satisfies op over v[0..n-1].
 * 0 ok, -1 and err naming the parameter (unknown parent, itself, bad count). */
int opt_space_set_condition(opt_space *s, int i, const char *parent, opt_cond_op op,
                            const double *v, int n, char err[256]);
/* -1 and err naming a parameter on a cycle of conditions, else 0. */
int opt_space_check_conditions(const opt_space *s, char err[256]);
/* 1 when some parameter has a condition. */
int opt_space_has_conditions(const opt_space *s);
/* 1 when parameter i is active given the trial's values (its parent chain active
 * and every condition on it met). The space must be acyclic. */
int opt_param_active(const opt_space *s, int i, const double *values);
/* Set every inactive parameter's value to NaN. */
void opt_space_deactivate(const opt_space *s, double *values);

#endif
