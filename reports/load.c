/*
 * load.c - a study from the experiment store into the report's data model,
 * through the tracker's read API only (DESIGN.md: reports -> tracker).
 *
 * Where things come from: trials, params, states, times, workers and errors
 * from the runs; per-fold values from the intermediate "objective" metric;
 * data range, fold layout and worker count from the study tags the runner
 * sets; holdout metrics, baselines, DSR and equity curves from the study's
 * result JSON (experiments/finish.c): also the holdout span and sample count,
 * the refit's sample counts and epochs, the holdout objective, and the number
 * of trials the DSR corrects for (n_trials). A multi-objective study's
 * objectives and each trial's values come from tracker/objectives.h.
 */
#include "reports/load.h"
#include "reports/edge.h"

#include "tracker/objectives.h"
#include "tracker/query.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static double num_or_nan(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void metrics_from(rep_metrics *m, const cJSON *o)
{
    rep_metrics_clear(m);
    if (!cJSON_IsObject(o))
        return;
    m->sharpe = num_or_nan(o, "sharpe");
    m->sortino = num_or_nan(o, "sortino");
    m->total_return = num_or_nan(o, "total_return");
    m->max_drawdown = num_or_nan(o, "max_drawdown");
    m->win_rate = num_or_nan(o, "win_rate");
    m->trades = num_or_nan(o, "trades");
    m->exposure = num_or_nan(o, "exposure");
    m->accuracy = num_or_nan(o, "accuracy");
    m->auc = num_or_nan(o, "auc");
    m->log_loss = num_or_nan(o, "log_loss");
}

static double *number_array(const cJSON *a, int *n)
{
    *n = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0;
    if (*n == 0)
        return NULL;
    double *v = malloc(sizeof *v * (size_t)*n);
    int i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    {
        if (v)
            v[i] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
        i++;
    }
    return v;
}

/* The study's result JSON into s->result. */
static void result_from_json(rep_study *s, const char *text)
{
    cJSON *r = cJSON_Parse(text);
    if (!r)
        return;
    rep_result *res = &s->result;
    const cJSON *bt = cJSON_GetObjectItemCaseSensitive(r, "best_trial");
    res->has_result = 1;
    res->best_trial = cJSON_IsNumber(bt) ? bt->valueint : -1;
    metrics_from(&res->holdout, cJSON_GetObjectItemCaseSensitive(r, "holdout"));
    metrics_from(&res->buy_hold, cJSON_GetObjectItemCaseSensitive(r, "buy_and_hold"));
    metrics_from(&res->majority, cJSON_GetObjectItemCaseSensitive(r, "baseline_majority"));
    metrics_from(&res->logreg, cJSON_GetObjectItemCaseSensitive(r, "baseline_logistic"));
    res->dsr = num_or_nan(r, "deflated_sharpe");
    /* Counts are read only when finite and in int range (a hostile store). */
    double d;
    res->dsr_trials = (d = num_or_nan(r, "n_trials")) >= 0 && d < 1e9 ? (int)d : 0;
    res->n_holdout = (d = num_or_nan(r, "n_test")) >= 0 && d < 1e12 ? (int)d : 0;
    res->n_refit_train = (d = num_or_nan(r, "n_train")) >= 0 && d < 1e12 ? (int)d : 0;
    res->n_refit_val = (d = num_or_nan(r, "n_val")) >= 0 && d < 1e12 ? (int)d : 0;
    res->refit_epochs = (d = num_or_nan(r, "epochs")) >= 0 && d < 1e9 ? (int)d : 0;
    res->holdout_first = num_or_nan(r, "holdout_first");
    res->holdout_last = num_or_nan(r, "holdout_last");
    res->holdout_objective = num_or_nan(r, "objective");
    const cJSON *curves = cJSON_GetObjectItemCaseSensitive(r, "curves");
    int nt = 0, nm = 0, nb = 0;
    res->curve_t = number_array(cJSON_GetObjectItemCaseSensitive(curves, "t"), &nt);
    res->curve_model = number_array(cJSON_GetObjectItemCaseSensitive(curves, "model"), &nm);
    res->curve_bh = number_array(cJSON_GetObjectItemCaseSensitive(curves, "buy_and_hold"), &nb);
    res->n_curve = nt == nm && nm == nb ? nt : 0;
    const cJSON *fc = cJSON_GetObjectItemCaseSensitive(r, "forecast");   /* issue 17 */
    int nft = 0, nfa = 0, nfp = 0;
    res->fc_t = number_array(cJSON_GetObjectItemCaseSensitive(fc, "t"), &nft);
    res->fc_actual = number_array(cJSON_GetObjectItemCaseSensitive(fc, "actual"), &nfa);
    res->fc_pred = number_array(cJSON_GetObjectItemCaseSensitive(fc, "forecast"), &nfp);
    res->n_fc = nft == nfa && nfa == nfp ? nft : 0;
    cJSON_Delete(r);
}

/* The run tag `enqueued` (search.enqueue: the configuration's index) as the
 * trial's tag in the trial table; the other run tags stay out of the report. */
static int enqueued_tag_into(trk_store *store, int64_t run_id, rep_trial *t, char err[256])
{
    trk_kv *kv = NULL;
    int n = 0;
    if (trk_run_tags(store, run_id, &kv, &n, err))
        return -1;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        if (strcmp(kv[i].key, "enqueued") != 0)
            continue;
        t->tags = calloc(1, sizeof *t->tags);
        if (!t->tags || !(t->tags[0].key = strdup("enqueued")) ||
            !(t->tags[0].value = strdup(kv[i].value))) {
            snprintf(err, 256, "out of memory loading the tags of trial %d", t->number);
            rc = -1;
        }
        if (t->tags)
            t->n_tags = 1;
    }
    trk_kv_free(kv, n);
    return rc;
}

/* Study tags the runner records: data_file, data_start, data_end, fold_layout,
 * workers. */
static void tags_into(rep_study *s, trk_kv *tags, int n)
{
    for (int i = 0; i < n; i++) {
        const char *k = tags[i].key, *v = tags[i].value;
        if (strcmp(k, "data_file") == 0 && !s->data_file)
            s->data_file = dup_or_null(v);
        else if (strcmp(k, "data_start") == 0)
            s->data_start = strtod(v, NULL);
        else if (strcmp(k, "data_end") == 0)
            s->data_end = strtod(v, NULL);
        else if (strcmp(k, "fold_layout") == 0 && !s->fold_layout)
            s->fold_layout = dup_or_null(v);
        else if (strcmp(k, "warm_start") == 0 && !s->warm_start)
            s->warm_start = dup_or_null(v);
        else if (strcmp(k, "workers") == 0)
            s->workers = atoi(v);
        else if (strcmp(k, "seqtune.note") == 0 && !s->note) /* TRK_NOTE_TAG */
            s->note = dup_or_null(v);
    }
}

int rep_trial_from_run(const trk_run *r, rep_trial *t)
{
    memset(t, 0, sizeof *t);
    t->number = r->trial_number;
    t->state = r->state;
    t->value = r->value;
    t->started = r->started;
    t->finished = r->finished;
    char w[32];
    snprintf(w, sizeof w, "rank %d", r->worker);
    t->worker = strdup(w);
    t->error = dup_or_null(r->error);
    t->params = calloc((size_t)(r->n_params ? r->n_params : 1), sizeof *t->params);
    if (!t->worker || !t->params || (r->error && !t->error))
        return -1;
    for (int j = 0; j < r->n_params; j++) {
        t->params[j].key = strdup(r->params[j].key);
        t->params[j].text = strdup(r->params[j].value);
        t->params[j].num = r->params[j].num;
        t->n_params++;
        if (!t->params[j].key || !t->params[j].text)
            return -1;
    }
    return 0;
}

int rep_trial_values_load(trk_store *store, int64_t run_id, rep_trial *t, char err[256])
{
    trk_run_values rv;
    if (trk_run_values_get(store, run_id, &rv, err))
        return -1;
    t->n_values = rv.n < REP_MAX_OBJECTIVES ? rv.n : REP_MAX_OBJECTIVES;
    memcpy(t->values, rv.v, sizeof(double) * (size_t)t->n_values);
    return 0;
}

/* The study's objectives, and (several) each trial's values by trial number. */
static int objectives_into(trk_store *store, int64_t study_id, rep_study *out, char err[256])
{
    trk_objective *ob = NULL;
    int n = 0;
    if (trk_study_objectives(store, study_id, &ob, &n, err))
        return -1;
    for (int k = 0; k < n && k < REP_MAX_OBJECTIVES; k++) {
        out->objective_names[k] = ob[k].name;
        ob[k].name = NULL;
        out->objective_maximize[k] = ob[k].maximize;
        out->n_objectives = k + 1;
    }
    trk_objectives_free(ob, n);
    if (out->n_objectives < 2)
        return 0;
    trk_run_values *rv = NULL;
    int n_rv = 0, j = 0;
    if (trk_study_run_values(store, study_id, &rv, &n_rv, err))
        return -1;
    for (int i = 0; i < out->n_trials; i++) {   /* both by trial number */
        rep_trial *t = &out->trials[i];
        while (j < n_rv && rv[j].trial_number < t->number)
            j++;
        if (j < n_rv && rv[j].trial_number == t->number) {
            t->n_values = rv[j].n < REP_MAX_OBJECTIVES ? rv[j].n : REP_MAX_OBJECTIVES;
            memcpy(t->values, rv[j].v, sizeof(double) * (size_t)t->n_values);
        }
    }
    free(rv);
    return 0;
}

int rep_study_load(trk_store *store, const char *name, rep_study *out, char err[256])
{
    rep_study_init(out);
    trk_study_info info;
    memset(&info, 0, sizeof info);
    trk_run_list runs = {0};
    trk_intermediate *im = NULL;
    trk_kv *tags = NULL;
    int n_im = 0, n_tags = 0, rc = -1;
    char *result = NULL;
    int64_t best_run = 0, model = 0;
    trk_query q = {0};

    if (trk_study_get(store, name, &info, err) ||
        trk_study_spec(store, info.id, &out->spec_json, err) ||
        trk_study_tags(store, info.id, &tags, &n_tags, err) ||
        trk_runs_query(store, info.id, &q, &runs, err) ||
        trk_study_intermediates(store, info.id, &im, &n_im, err) ||
        trk_study_result(store, info.id, &result, &best_run, &model, err))
        goto done;
    out->name = strdup(info.name);
    out->maximize = strcmp(info.direction, "maximize") == 0;
    out->created = info.created;
    tags_into(out, tags, n_tags);
    out->trials = calloc((size_t)(runs.n ? runs.n : 1), sizeof *out->trials);
    if (!out->name || !out->trials)
        goto oom;
    int k = 0;
    double last = NAN;
    for (int i = 0; i < runs.n; i++) {
        const trk_run *r = &runs.runs[i];
        rep_trial *t = &out->trials[out->n_trials++];
        if (isfinite(r->finished) && !(r->finished <= last))
            last = r->finished;
        if (rep_trial_from_run(r, t))
            goto oom;
        if (enqueued_tag_into(store, r->id, t, err))
            goto done;
        /* Intermediates come ordered by trial number, then step. */
        while (k < n_im && im[k].trial_number < r->trial_number)
            k++;
        int k0 = k, max_step = -1;
        while (k < n_im && im[k].trial_number == r->trial_number) {
            if (im[k].step > max_step && im[k].step < 100000)
                max_step = (int)im[k].step;
            k++;
        }
        if (max_step >= 0) {
            t->steps = malloc(sizeof *t->steps * (size_t)(max_step + 1));
            if (!t->steps)
                goto oom;
            for (int s = 0; s <= max_step; s++)
                t->steps[s] = NAN;
            for (int j = k0; j < k; j++)
                if (im[j].step >= 0 && im[j].step <= max_step)
                    t->steps[im[j].step] = im[j].value;
            t->n_steps = max_step + 1;
        }
    }
    out->finished = strcmp(info.status, "RUNNING") == 0 ? NAN : last;
    if (objectives_into(store, info.id, out, err))
        goto done;
    if (result) {
        result_from_json(out, result);
        for (int i = 0; i < out->n_trials; i++) {
            const rep_trial *t = &out->trials[i];
            if (t->number != out->result.best_trial || t->n_steps == 0)
                continue;
            out->result.fold_values = malloc(sizeof(double) * (size_t)t->n_steps);
            if (!out->result.fold_values)
                goto oom;
            memcpy(out->result.fold_values, t->steps, sizeof(double) * (size_t)t->n_steps);
            out->result.n_fold_values = t->n_steps;
        }
    }
    if (rep_edge_load(store, info.id, best_run, result, &out->edge, err))   /* issue 15 */
        goto done;
    if (rep_study_fill_from_spec(out, err))
        goto done;
    rc = 0;
    goto done;
oom:
    snprintf(err, 256, "out of memory loading study '%s'", name);
done:
    if (rc)
        rep_study_free(out);
    free(result);
    free(im);
    trk_kv_free(tags, n_tags);
    trk_run_list_free(&runs);
    trk_study_info_clear(&info);
    return rc;
}
