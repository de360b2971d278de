/*
 * run_warm.c - another study's finished trials as the sampler's history
 * (experiments/run_warm.h).
 */
#include "experiments/run_warm.h"
#include "experiments/trial_params.h"
#include "optimizer/history.h"
#include "tracker/objectives.h"
#include "tracker/query.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Multi-objective: the other study's objective index of each of this study's
 * metrics (-1 when it has none of that name) and its runs' values. */
static int other_values(exp_warm *w, trk_store *store, int64_t id, const char *const *metrics,
                        int *map, trk_run_values **rv, int *n_rv, char err[256])
{
    trk_objective *ob = NULL;
    int n_ob = 0;
    if (trk_study_objectives(store, id, &ob, &n_ob, err))
        return -1;
    for (int k = 0; k < w->n_obj; k++) {
        map[k] = -1;
        for (int j = 0; j < n_ob; j++)
            if (strcmp(ob[j].name, metrics[k]) == 0)
                map[k] = j;
    }
    trk_objectives_free(ob, n_ob);
    return trk_study_run_values(store, id, rv, n_rv, err) ? -1 : 0;
}

/* Fills w->values of history trial `at` from run r; 0, or -1 when a value is missing. */
static int trial_values(exp_warm *w, const trk_run *r, const int *map, const trk_run_values *rv,
                        int n_rv, int at)
{
    double *v = w->values + (size_t)at * OPT_MAX_OBJECTIVES;
    const trk_run_values *row = NULL;
    for (int i = 0; i < n_rv && !row; i++)
        if (rv[i].run_id == r->id)
            row = &rv[i];
    for (int k = 0; k < w->n_obj; k++) {
        int j = map[k];
        /* a single-objective study's values are its runs' values */
        v[k] = j < 0 ? NAN : row && j < row->n ? row->v[j] : j == 0 && !row ? r->value : NAN;
        if (!isfinite(v[k]))
            return -1;
    }
    return 0;
}

int exp_warm_load(exp_warm *w, trk_store *store, const char *name, const opt_space *space,
                  int n_obj, const char *const *metrics, int *not_found, char err[256])
{
    memset(w, 0, sizeof *w);
    *not_found = 0;
    w->n_obj = n_obj;
    int64_t id;
    int rc = trk_study_find(store, name, &id, err);
    if (rc == TRK_ENOTFOUND) {
        *not_found = 1;
        snprintf(err, 256, "search.warm_start.study: no study '%.180s' in this store", name);
        return -1;
    }
    if (rc)
        return -1;
    trk_run_list runs = {0};
    trk_query all = {0};
    trk_run_values *rv = NULL;
    int n_rv = 0, map[OPT_MAX_OBJECTIVES];
    if (trk_runs_query(store, id, &all, &runs, err) ||
        (n_obj > 1 && other_values(w, store, id, metrics, map, &rv, &n_rv, err))) {
        trk_run_list_free(&runs);
        return -1;
    }
    int cap = runs.n ? runs.n : 1;
    w->params = malloc(sizeof *w->params * (size_t)cap);
    w->state = malloc(sizeof *w->state * (size_t)cap);
    w->value = malloc(sizeof *w->value * (size_t)cap);
    w->values = n_obj > 1 ? malloc(sizeof(double) * OPT_MAX_OBJECTIVES * (size_t)cap) : NULL;
    if (!w->params || !w->state || !w->value || (n_obj > 1 && !w->values)) {
        trk_run_list_free(&runs);
        free(rv);
        exp_warm_free(w);
        snprintf(err, 256, "search.warm_start: out of memory");
        return -1;
    }
    char err2[256];
    for (int i = 0; i < runs.n; i++) {
        const trk_run *r = &runs.runs[i];
        if (r->state != TRK_COMPLETE && r->state != TRK_PRUNED)
            continue;
        if ((r->state == TRK_COMPLETE && !isfinite(r->value)) ||
            exp_trial_params_from_run(space, r, &w->params[w->n], err2) ||
            (n_obj > 1 && r->state == TRK_COMPLETE && trial_values(w, r, map, rv, n_rv, w->n))) {
            w->n_dropped++;
            continue;
        }
        w->state[w->n] = r->state == TRK_COMPLETE ? OPT_COMPLETE : OPT_PRUNED;
        w->value[w->n] = r->value;
        w->n++;
    }
    trk_run_list_free(&runs);
    free(rv);
    return 0;
}

void exp_warm_free(exp_warm *w)
{
    free(w->params);
    free(w->state);
    free(w->value);
    free(w->values);
    memset(w, 0, sizeof *w);
}

int exp_warm_replay(const exp_warm *w, opt_study *view, char err[256])
{
    for (int i = 0; w && i < w->n; i++) {
        const double *v = w->n_obj > 1 && w->state[i] == OPT_COMPLETE
                              ? w->values + (size_t)i * OPT_MAX_OBJECTIVES : NULL;
        opt_trial_record rec = {i, w->state[i], w->value[i], &w->params[i], 0, NULL, NULL, v};
        if (opt_study_replay(view, &rec, err))
            return -1;
    }
    return 0;
}

opt_study *exp_view_new(const opt_study *like, opt_direction direction,
                        const opt_sampler_config *sc, unsigned long seed, char err[256])
{
    opt_pruner_config pc;
    opt_pruner_config_default(&pc, OPT_PRUNER_NONE);
    opt_study *view = opt_study_new(opt_study_space(like), direction, sc, &pc, seed, err);
    opt_direction dirs[OPT_MAX_OBJECTIVES];
    int n = opt_study_directions(like, dirs);
    if (view && n > 1 && opt_study_set_objectives(view, n, dirs, err)) {
        opt_study_free(view);
        return NULL;
    }
    return view;
}

int exp_view_copy_trial(opt_study *view, const opt_study *s, int i, int number, char err[256])
{
    opt_trial_params p;
    opt_trial_record rec = {0};
    double v[OPT_MAX_OBJECTIVES];
    opt_study_trial_info(s, i, NULL, &rec.state, &rec.value, &p);
    if (opt_study_n_objectives(s) > 1 && rec.state == OPT_COMPLETE) {
        opt_study_trial_values(s, i, v);
        rec.values = v;
    }
    rec.number = number;
    rec.params = &p;
    return opt_study_replay(view, &rec, err);
}

int exp_warm_ask(const exp_warm *w, opt_study *s, opt_direction direction,
                 const opt_sampler_config *sc, unsigned long seed, const double *fixed,
                 opt_trial_params *out, char err[256])
{
    opt_study *view = exp_view_new(s, direction, sc, seed, err);
    if (!view)
        return -1;
    int rc = exp_warm_replay(w, view, err);
    int n = opt_study_n_trials(s);
    for (int i = 0; rc == 0 && i < n; i++) {
        int number;
        opt_study_trial_info(s, i, &number, NULL, NULL, NULL);
        rc = exp_view_copy_trial(view, s, i, number + w->n, err);
    }
    if (rc == 0)
        rc = opt_suggest(view, opt_study_next_number(s), out, err);
    opt_study_free(view);
    if (rc != 0)
        return rc;
    if (opt_params_fix(s, out, fixed, err))
        return -1;
    return opt_ask_given(s, out, err);
}
