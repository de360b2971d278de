/*
 * spec_enqueue.c - search.enqueue: configurations evaluated before the sampler
 * is asked (Optuna's enqueue_trial). Each one is an object of search-space
 * parameters and values; a parameter it leaves out is sampled. Checked here
 * against the space read before it; kept as the JSON given (canonical print).
 * And search.warm_start, the other way to give the sampler a head start.
 */
#include "experiments/spec_internal.h"
#include "tracker/admin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when v is a value of parameter q (bounds, integer, step grid, choices). */
static int value_fits(const exp_param *q, const cJSON *v, char why[128])
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

void exp_rd_read_enqueue(ctx *c, const cJSON *sec, const char *path, const field *f, exp_spec *s)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(sec, f->key);
    if (!a)
        return;
    char p[256];
    exp_rd_join(p, path, f->key);
    if (!cJSON_IsArray(a)) {
        exp_rd_expect(c, p, "an array of objects of search.space parameters", a);
        return;
    }
    int before = c->errs->n, i = 0;
    for (const cJSON *o = a->child; o; o = o->next, i++) {
        char pi[300];
        snprintf(pi, sizeof pi, "%s[%d]", p, i);
        if (!cJSON_IsObject(o)) {
            exp_rd_expect(c, pi, "an object of search.space parameters and values", o);
            continue;
        }
        for (const cJSON *v = o->child; v; v = v->next) {
            const exp_param *q = exp_spec_param(s, v->string);
            char why[128], got[96];
            if (!q) {
                exp_errors_add(c->errs, "%s.%s: not a parameter of search.space", pi, v->string);
                continue;
            }
            if (!value_fits(q, v, why)) {
                exp_rd_show(v, got);
                exp_errors_add(c->errs, "%s.%s: expected %s, got %s", pi, v->string, why, got);
            }
        }
    }
    if (c->errs->n == before && a->child)
        s->search.enqueue = cJSON_Duplicate(a, 1);
}

void exp_rd_print_enqueue(cJSON *o, const field *f, const exp_spec *s)
{
    if (s->search.enqueue)
        cJSON_AddItemToObject(o, f->key, cJSON_Duplicate(s->search.enqueue, 1));
}

/* search.warm_start: {"study": NAME}, another study of the same store whose
 * finished trials the sampler gets as history (experiments/run_warm.h). */
void exp_rd_read_warm_start(ctx *c, const cJSON *sec, const char *path, const field *f,
                            exp_spec *s)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(sec, f->key);
    if (!o)
        return;
    char p[256], ps[300], name_err[256];
    exp_rd_join(p, path, f->key);
    if (!cJSON_IsObject(o)) {
        exp_rd_expect(c, p, "an object {\"study\": NAME}", o);
        return;
    }
    static const char *const keys[] = {"study", NULL};
    exp_rd_check_keys(c, o, p, keys);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "study");
    snprintf(ps, sizeof ps, "%s.study", p);
    if (!cJSON_IsString(st)) {
        exp_rd_expect(c, ps, "the name of a study in the same store (required)", st);
        return;
    }
    if (trk_study_name_check(st->valuestring, name_err) != 0) {
        exp_errors_add(c->errs, "%s: %s", ps, name_err);
        return;
    }
    s->search.warm_start = strdup(st->valuestring);
}

void exp_rd_print_warm_start(cJSON *o, const field *f, const exp_spec *s)
{
    if (!s->search.warm_start)
        return;
    cJSON *w = cJSON_AddObjectToObject(o, f->key);
    if (w)
        cJSON_AddStringToObject(w, "study", s->search.warm_start);
}
