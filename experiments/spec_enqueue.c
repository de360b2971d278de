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

/* A configuration gives a value only to a parameter it makes active (Optuna
 * would drop the value silently; here it is an error). A parameter whose
 * parent the configuration leaves to the sampler is refused as well: whether
 * it is active would depend on the draw. An active parameter left out is
 * sampled, as Optuna does. */
static void check_active(ctx *c, const exp_spec *s, const exp_param *q, const cJSON *config,
                         const char *pi, const cJSON *v)
{
    int active = exp_spec_param_active(s, q->name, config);
    if (active == 1)
        return;
    char cond[160], got[96];
    exp_rd_when_text(&q->when, cond);
    exp_rd_show(v, got);
    if (active == 0)
        exp_errors_add(c->errs, "%s.%s: expected no value (%s is inactive in this "
                       "configuration: it is active only when %s), got %s", pi, q->name, q->name,
                       cond, got);
    else {
        const exp_param *up = exp_spec_param(s, q->when.parent);
        while (up && cJSON_GetObjectItemCaseSensitive(config, up->name) && up->when.parent)
            up = exp_spec_param(s, up->when.parent);
        exp_errors_add(c->errs, "%s.%s: expected a value only with the parameters it depends on "
                       "(%s is active only when %s; give %s too), got %s", pi, q->name, q->name,
                       cond, up ? up->name : q->when.parent, got);
    }
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
            if (!exp_rd_value_fits(q, v, why)) {
                exp_rd_show(v, got);
                exp_errors_add(c->errs, "%s.%s: expected %s, got %s", pi, v->string, why, got);
                continue;
            }
            check_active(c, s, q, o, pi, v);
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
