/*
 * spec_internal.h - what the spec reader's files share (not a public header):
 * the reading context, the field table's row and section types, the sections,
 * and the checked readers that produce the spec's error sentences.
 *
 * Files: spec.c (load, the root object, features, objective, printing the
 * whole spec), spec_fields.c (the field table and its self-reading rows),
 * spec_read.c (value readers, section reader and printer), spec_space.c
 * (search.space), spec_when.c (its conditions), spec_enqueue.c
 * (search.enqueue, search.warm_start).
 */
#ifndef EXP_SPEC_INTERNAL_H
#define EXP_SPEC_INTERNAL_H

#include "experiments/spec.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct ctx {
    exp_errors *errs;
    int lstm;        /* the LSTM trainer evaluates trials (no "objective") */
    const char *base_dir;
    int check_files;
    int metric_bad;  /* search.metric was not one of the metrics (direction not checked) */
} ctx;

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


typedef struct section {
    const char *path;
    const field *fields;
    int n;
} section;


/* The sections of the field table (spec_fields.c). */
extern const section exp_rd_sec_data, exp_rd_sec_target, exp_rd_sec_validation,
    exp_rd_sec_training, exp_rd_sec_sampler, exp_rd_sec_pruner, exp_rd_sec_search,
    exp_rd_sec_backtest, exp_rd_sec_selection;
extern const char *const exp_rd_param_type_names[];

/* The training row of the LSTM hyperparameter `name`, or NULL. */
const field *exp_rd_lstm_param(const char *name);

/* Section reader and printer (spec_read.c); kind selects sampler/pruner rows (-1: all). */
void exp_rd_read_section(ctx *c, const cJSON *obj, const section *sc, int kind, exp_spec *s);
void exp_rd_print_section(cJSON *parent, const char *name, const section *sc, int kind,
                          const exp_spec *s);

/* search.space (spec_space.c). */
void exp_rd_parse_space(ctx *c, const cJSON *sp, exp_spec *s);
/* search.enqueue (spec_enqueue.c): read after search.space, checked against it. */
void exp_rd_read_enqueue(ctx *c, const cJSON *sec, const char *path, const field *f, exp_spec *s);
void exp_rd_print_enqueue(cJSON *o, const field *f, const exp_spec *s);
void exp_rd_read_warm_start(ctx *c, const cJSON *sec, const char *path, const field *f,
                            exp_spec *s);
void exp_rd_print_warm_start(cJSON *o, const field *f, const exp_spec *s);
/* search.metrics and search.directions (spec_objectives.c): read after
 * search.metric and search.direction, which they exclude. */
void exp_rd_read_metrics(ctx *c, const cJSON *sec, const char *path, const field *f,
                         exp_spec *s);
void exp_rd_print_metrics(cJSON *o, const field *f, const exp_spec *s);
void exp_rd_read_directions(ctx *c, const cJSON *sec, const char *path, const field *f,
                            exp_spec *s);
void exp_rd_print_directions(cJSON *o, const field *f, const exp_spec *s);
/* An LSTM metric name at path (spec_fields.c): its index in exp_metric_names,
 * or -1 after recording the error (unknown, or not for the target kind). */
int exp_rd_check_metric(ctx *c, const cJSON *m, const char *path, const exp_spec *s);
/* Records an error at path when direction d disagrees with the LSTM metric's
 * natural one (dv: the JSON value given, NULL when the default was taken). */
void exp_rd_check_direction(ctx *c, const char *path, const char *metric, opt_direction d,
                            const cJSON *dv);
cJSON *exp_rd_param_json(const exp_param *q);
/* 1 when JSON value v is a value of parameter q (bounds, integer, step grid,
 * choices); else 0 and why = what was expected. */
int exp_rd_value_fits(const exp_param *q, const cJSON *v, char why[128]);
cJSON *exp_rd_choice_json(const exp_choice *ch);
/* search.space.NAME.when (spec_when.c): when[i] is parameter i's JSON (NULL =
 * none), read once the whole space is; then cycles are reported. */
void exp_rd_read_whens(ctx *c, const cJSON *const *when, exp_spec *s);
void exp_rd_when_json(cJSON *o, const exp_when *w);
void exp_rd_when_free(exp_when *w);
/* "layers >= 2", "opt == \"sgd\"", "layers in [1,3]" (for messages). */
void exp_rd_when_text(const exp_when *w, char out[160]);

/* Checked readers (spec_read.c): each records `PATH: expected E, got V` in c->errs
 * and leaves *out (the default) alone when the value is missing or wrong. */
int exp_rd_name_index(const char *const *names, const char *s);
int exp_rd_count_names(const char *const *names);
void exp_rd_show(const cJSON *v, char out[96]);
void exp_rd_expect(ctx *c, const char *path, const char *expected, const cJSON *got);
void exp_rd_join(char out[256], const char *parent, const char *key);
void exp_rd_list_names(const char *const *names, char *out, size_t cap);
void exp_rd_check_keys(ctx *c, const cJSON *obj, const char *path, const char *const *allowed);
const cJSON *exp_rd_get_object(ctx *c, const cJSON *obj, const char *path, const char *key,
                               int required);
int exp_rd_is_integer(double v);
void exp_rd_get_int(ctx *c, const cJSON *obj, const char *path, const char *key,
                    long long lo, long long hi, int required, long long *out);
void exp_rd_get_int32(ctx *c, const cJSON *obj, const char *path, const char *key,
                      int lo, int hi, int *out);
void exp_rd_range_text(double lo, int lo_open, double hi, int hi_open, char out[128]);
int exp_rd_in_range(double v, double lo, int lo_open, double hi, int hi_open);
void exp_rd_get_num(ctx *c, const cJSON *obj, const char *path, const char *key,
                    double lo, int lo_open, double hi, int hi_open, double *out);
void exp_rd_get_bool(ctx *c, const cJSON *obj, const char *path, const char *key, int *out);
int exp_rd_check_enum(ctx *c, const cJSON *v, const char *p, const char *const *names);
void exp_rd_get_enum(ctx *c, const cJSON *obj, const char *path, const char *key,
                     const char *const *names, int *out);
int exp_rd_good_name(const char *s);

#endif
