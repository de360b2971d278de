/*
 * run_warm.c - another study's finished trials as the sampler's history
 * (experiments/run_warm.h).
 */
#include "experiments/run_warm.h"
#include "experiments/trial_params.h"
#include "optimizer/history.h"
#include "tracker/query.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int exp_warm_load(exp_warm *w, trk_store *store, const char *name, const opt_space *space,
                  int *not_found, char err[256])
{
    memset(w, 0, sizeof *w);
    *not_found = 0;
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
    if (trk_runs_query(store, id, &all, &runs, err))
        return -1;
    int cap = runs.n ? runs.n : 1;
    w->params = malloc(sizeof *w->params * (size_t)cap);
    w->state = malloc(sizeof *w->state * (size_t)cap);
    w->value = malloc(sizeof *w->value * (size_t)cap);
    if (!w->params || !w->state || !w->value) {
        trk_run_list_free(&runs);
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
            exp_trial_params_from_run(space, r, &w->params[w->n], err2)) {
            w->n_dropped++;
            continue;
        }
        w->state[w->n] = r->state == TRK_COMPLETE ? OPT_COMPLETE : OPT_PRUNED;
        w->value[w->n] = r->value;
        w->n++;
    }
    trk_run_list_free(&runs);
    return 0;
}

void exp_warm_free(exp_warm *w)
{
    free(w->params);
    free(w->state);
    free(w->value);
    memset(w, 0, sizeof *w);
}

int exp_warm_replay(const exp_warm *w, opt_study *view, char err[256])
{
    for (int i = 0; w && i < w->n; i++) {
        opt_trial_record rec = {i, w->state[i], w->value[i], &w->params[i], 0, NULL, NULL};
        if (opt_study_replay(view, &rec, err))
            return -1;
    }
    return 0;
}

int exp_warm_ask(const exp_warm *w, opt_study *s, opt_direction direction,
                 const opt_sampler_config *sc, unsigned long seed, const double *fixed,
                 opt_trial_params *out, char err[256])
{
    opt_pruner_config pc;
    opt_pruner_config_default(&pc, OPT_PRUNER_NONE);
    opt_study *view = opt_study_new(opt_study_space(s), direction, sc, &pc, seed, err);
    if (!view)
        return -1;
    int rc = exp_warm_replay(w, view, err);
    int n = opt_study_n_trials(s);
    for (int i = 0; rc == 0 && i < n; i++) {
        opt_trial_params p;
        opt_trial_record rec = {0};
        opt_study_trial_info(s, i, &rec.number, &rec.state, &rec.value, &p);
        rec.number += w->n;
        rec.params = &p;
        rc = opt_study_replay(view, &rec, err);
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
