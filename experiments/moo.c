/*
 * moo.c - the runner's multi-objective side (experiments/moo.h).
 */
#include "experiments/moo.h"

#include "base/pareto.h"
#include "experiments/finish.h"
#include "tracker/query.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int exp_moo_setup(const exp_spec *spec, opt_study *opt, char err[256])
{
    if (spec->search.n_objectives < 2)
        return 0;
    return opt_study_set_objectives(opt, spec->search.n_objectives, spec->search.directions, err);
}

int exp_moo_record(const exp_spec *spec, trk_store *store, int64_t study_id, char err[256])
{
    int n = exp_spec_n_objectives(spec);
    const char *names[OPT_MAX_OBJECTIVES], *dirs[OPT_MAX_OBJECTIVES];
    for (int k = 0; k < n; k++) {
        names[k] = exp_spec_objective_name(spec, k);
        dirs[k] = exp_direction_name(exp_spec_objective_direction(spec, k));
    }
    return trk_study_set_objectives(store, study_id, n, names, dirs, err) ? -1 : 0;
}

void exp_moo_check_result(const exp_spec *spec, exp_trial_result *r)
{
    int n = spec->search.n_objectives;
    if (n < 2 || r->state != TRK_COMPLETE)
        return;
    for (int k = 0; k < n; k++)
        if (k >= r->n_values || !isfinite(r->values[k])) {
            r->state = TRK_FAIL;
            snprintf(r->error, sizeof r->error, "the objective %s is %s", spec->search.metrics[k],
                     k >= r->n_values ? "missing" : "not finite");
            return;
        }
    r->value = r->values[0];
}

int exp_moo_store_values(const exp_spec *spec, trk_store *store, int64_t run_id,
                         const exp_trial_result *r, char err[256])
{
    if (spec->search.n_objectives < 2 || r->state != TRK_COMPLETE)
        return 0;
    return trk_run_set_values(store, run_id, r->values, spec->search.n_objectives, err) ? -1 : 0;
}

void exp_moo_tell(const exp_spec *spec, opt_study *opt, int number, const exp_trial_result *r)
{
    char e[256];
    opt_state os = r->state == TRK_COMPLETE ? OPT_COMPLETE
                   : r->state == TRK_PRUNED ? OPT_PRUNED : OPT_FAIL;
    int rc = spec->search.n_objectives > 1
                 ? opt_tell_values(opt, number, os, r->values, e)
                 : opt_tell(opt, number, os, os == OPT_FAIL ? NAN : r->value, e);
    if (rc != 0 && os != OPT_FAIL)
        opt_tell(opt, number, OPT_FAIL, NAN, e);
}

int exp_moo_history_load(const exp_spec *spec, trk_store *store, int64_t study_id,
                         exp_moo_history *h, char err[256])
{
    memset(h, 0, sizeof *h);
    if (spec->search.n_objectives < 2)
        return 0;
    return trk_study_run_values(store, study_id, &h->rows, &h->n, err) ? -1 : 0;
}

const double *exp_moo_history_values(exp_moo_history *h, int number)
{
    while (h->at < h->n && h->rows[h->at].trial_number < number)
        h->at++;
    return h->at < h->n && h->rows[h->at].trial_number == number ? h->rows[h->at].v : NULL;
}

void exp_moo_history_free(exp_moo_history *h)
{
    free(h->rows);
    memset(h, 0, sizeof *h);
}

/* COMPLETE runs of the study by trial number (for their state and params). */
static int complete_runs(trk_store *store, int64_t study_id, trk_run_list *l, char err[256])
{
    trk_query q = {"state = 'COMPLETE'", NULL, 0, 0};
    return trk_runs_query(store, study_id, &q, l, err) ? -1 : 0;
}

static const trk_run *run_by_id(const trk_run_list *l, int64_t id)
{
    for (int i = 0; i < l->n; i++)
        if (l->runs[i].id == id)
            return &l->runs[i];
    return NULL;
}

int exp_moo_front(trk_store *store, int64_t study_id, exp_moo_point **front, int *n_front,
                  int *n_obj, char err[256])
{
    *front = NULL;
    *n_front = 0;
    trk_objective *ob = NULL;
    trk_run_values *rv = NULL;
    trk_run_list runs = {0};
    int n_ob = 0, n_rv = 0, rc = -1;
    double *loss = NULL;
    char *on = NULL;
    if (trk_study_objectives(store, study_id, &ob, &n_ob, err) ||
        trk_study_run_values(store, study_id, &rv, &n_rv, err) ||
        complete_runs(store, study_id, &runs, err))
        goto done;
    *n_obj = n_ob;
    loss = calloc((size_t)(n_rv ? n_rv : 1) * (size_t)(n_ob ? n_ob : 1), sizeof *loss);
    on = calloc((size_t)(n_rv ? n_rv : 1), 1);
    *front = calloc((size_t)(n_rv ? n_rv : 1), sizeof **front);
    if (!loss || !on || !*front) {
        snprintf(err, 256, "the Pareto front: out of memory");
        goto done;
    }
    int n = 0;   /* the COMPLETE runs with every value, as loss vectors */
    for (int i = 0; i < n_rv; i++) {
        int ok = rv[i].n >= n_ob && run_by_id(&runs, rv[i].run_id) != NULL;
        for (int k = 0; ok && k < n_ob; k++)
            ok = isfinite(rv[i].v[k]);
        if (!ok)
            continue;
        for (int k = 0; k < n_ob; k++)
            loss[(size_t)n * n_ob + k] = ob[k].maximize ? -rv[i].v[k] : rv[i].v[k];
        (*front)[n] = (exp_moo_point){rv[i].trial_number, rv[i].run_id, {0}};
        memcpy((*front)[n].v, rv[i].v, sizeof rv[i].v);
        n++;
    }
    base_pareto_front(loss, n, n_ob, on);
    for (int i = 0; i < n; i++)
        if (on[i])
            (*front)[(*n_front)++] = (*front)[i];
    rc = 0;
done:
    if (rc) {
        free(*front);
        *front = NULL;
    }
    free(loss);
    free(on);
    free(rv);
    trk_objectives_free(ob, n_ob);
    trk_run_list_free(&runs);
    return rc;
}

int exp_moo_result_json(trk_store *store, int64_t study_id, cJSON *result, char err[256])
{
    trk_objective *ob = NULL;
    exp_moo_point *front = NULL;
    trk_run_list runs = {0};
    int n_ob = 0, n_front = 0, n_obj = 0, rc = -1;
    if (trk_study_objectives(store, study_id, &ob, &n_ob, err) ||
        exp_moo_front(store, study_id, &front, &n_front, &n_obj, err) ||
        complete_runs(store, study_id, &runs, err))
        goto done;
    cJSON *objs = cJSON_AddArrayToObject(result, "objectives");
    for (int k = 0; objs && k < n_ob; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", ob[k].name);
        cJSON_AddStringToObject(o, "direction", ob[k].maximize ? "maximize" : "minimize");
        cJSON_AddItemToArray(objs, o);
    }
    cJSON *fr = cJSON_AddArrayToObject(result, "pareto_front");
    for (int i = 0; fr && i < n_front; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "trial", front[i].trial);
        cJSON_AddItemToObject(p, "values", cJSON_CreateDoubleArray(front[i].v, n_obj));
        cJSON_AddItemToObject(p, "params", exp_run_params_json(run_by_id(&runs, front[i].run_id)));
        cJSON_AddItemToArray(fr, p);
    }
    rc = objs && fr ? 0 : -1;
    if (rc)
        snprintf(err, 256, "the Pareto front: out of memory");
done:
    trk_objectives_free(ob, n_ob);
    free(front);
    trk_run_list_free(&runs);
    return rc;
}

int exp_moo_on_front(const cJSON *result, int trial)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(result, "pareto_front"))
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "trial");
        if (cJSON_IsNumber(t) && t->valueint == trial)
            return 1;
    }
    return 0;
}

void exp_moo_print_front(FILE *out, const cJSON *result, const char *study)
{
    const cJSON *objs = cJSON_GetObjectItemCaseSensitive(result, "objectives");
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(result, "pareto_front");
    const cJSON *o, *p;
    fprintf(out, "Pareto front: %d trial(s) (", cJSON_GetArraySize(fr));
    int k = 0;
    cJSON_ArrayForEach(o, objs)
        fprintf(out, "%s%s %s", k++ ? ", " : "",
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "name")),
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "direction")));
    fprintf(out, ")\n%-6s", "trial");
    cJSON_ArrayForEach(o, objs)
        fprintf(out, " %-14.14s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "name")));
    fprintf(out, " params\n");
    cJSON_ArrayForEach(p, fr)
    {
        fprintf(out, "%-6d", (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "trial")));
        const cJSON *v;
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(p, "values"))
            fprintf(out, " %-14.6g", cJSON_GetNumberValue(v));
        char params[512] = "";
        size_t off = 0;
        const cJSON *q;
        cJSON_ArrayForEach(q, cJSON_GetObjectItemCaseSensitive(p, "params"))
        {
            if (off >= sizeof params - 1)
                break;
            if (cJSON_IsNumber(q))
                off += (size_t)snprintf(params + off, sizeof params - off, "%s%s=%.6g",
                                        off ? " " : "", q->string, q->valuedouble);
            else
                off += (size_t)snprintf(params + off, sizeof params - off, "%s%s=%s",
                                        off ? " " : "", q->string, cJSON_GetStringValue(q));
        }
        if (strlen(params) > 58)
            strcpy(params + 55, "...");
        fprintf(out, " %s\n", params);
    }
    if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(result, "picked_trial")) &&
        cJSON_GetArraySize(fr) > 0)
        fprintf(out, "\npick one for the holdout check and the model:\n  seqtune best --study "
                "\"%s\" --pick TRIAL\n", study);
}
