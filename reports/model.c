/*
 * model.c - lifetime of rep_study, and the fields a study's spec fills in.
 */
#include "reports/model.h"
#include "reports/edge.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rep_metrics_clear(rep_metrics *m)
{
    m->sharpe = m->sortino = m->total_return = m->max_drawdown = m->win_rate = NAN;
    m->trades = m->exposure = m->accuracy = m->auc = m->log_loss = NAN;
}

void rep_study_init(rep_study *s)
{
    memset(s, 0, sizeof *s);
    s->data_start = s->data_end = NAN;
    s->created = s->finished = NAN;
    s->result.best_trial = -1;
    s->result.dsr = NAN;
    s->result.holdout_first = s->result.holdout_last = NAN;
    s->result.holdout_objective = NAN;
    rep_metrics_clear(&s->result.holdout);
    rep_metrics_clear(&s->result.buy_hold);
    rep_metrics_clear(&s->result.majority);
    rep_metrics_clear(&s->result.logreg);
}

static void trial_free(rep_trial *t)
{
    for (int i = 0; i < t->n_params; i++) {
        free(t->params[i].key);
        free(t->params[i].text);
    }
    free(t->params);
    for (int i = 0; i < t->n_tags; i++) {
        free(t->tags[i].key);
        free(t->tags[i].value);
    }
    free(t->tags);
    free(t->steps);
    free(t->worker);
    free(t->error);
}

void rep_study_free(rep_study *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->spec_json);
    free(s->data_file);
    free(s->fold_layout);
    free(s->warm_start);
    free(s->note);
    free(s->folds);
    free(s->metric);
    for (int k = 0; k < s->n_objectives; k++)
        free(s->objective_names[k]);
    for (int i = 0; i < s->n_trials; i++)
        trial_free(&s->trials[i]);
    free(s->trials);
    free(s->result.fold_values);
    free(s->result.curve_t);
    free(s->result.curve_model);
    free(s->result.curve_bh);
    rep_edge_free(s->edge);
    free(s->result.fc_t);
    free(s->result.fc_actual);
    free(s->result.fc_pred);
    rep_study_init(s);
}

const char *rep_state_name(rep_state st)
{
    return trial_state_name(st);
}

/* The number at obj.key, or def when absent or not a number. */
static double json_num(const cJSON *obj, const char *key, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int rep_study_fill_from_spec(rep_study *s, char err[256])
{
    if (!s->spec_json)
        return 0;
    cJSON *spec = cJSON_Parse(s->spec_json);
    if (!spec) {
        snprintf(err, 256, "spec of study '%s': not valid JSON", s->name ? s->name : "?");
        return -1;
    }
    const cJSON *search = cJSON_GetObjectItemCaseSensitive(spec, "search");
    const cJSON *objective = cJSON_GetObjectItemCaseSensitive(spec, "objective");
    const char *path = json_str(cJSON_GetObjectItemCaseSensitive(spec, "data"), "path");
    const char *metric = json_str(search, "metric");
    int oom = 0;
    if (!s->data_file && path)
        oom |= !(s->data_file = strdup(path));
    if (!s->metric && metric)
        oom |= !(s->metric = strdup(metric));
    if (!s->fold_layout) {
        char text[256];
        const char *builtin = json_str(objective, "builtin");
        if (builtin) {
            snprintf(text, sizeof text, "builtin objective '%s' (no folds)", builtin);
        } else if (cJSON_GetObjectItemCaseSensitive(objective, "command")) {
            snprintf(text, sizeof text, "external command objective (folds as it reports them)");
        } else {
            const cJSON *val = cJSON_GetObjectItemCaseSensitive(spec, "validation");
            const char *window = json_str(val, "window");
            snprintf(text, sizeof text, "%.0f %s walk-forward folds, validation %g%% of each "
                     "training span, holdout %g%%, embargo %.0f bars", json_num(val, "folds", 5),
                     window ? window : "expanding", 100 * json_num(val, "val_fraction", 0.15),
                     100 * json_num(val, "holdout_fraction", 0.15), json_num(val, "embargo", 0));
        }
        oom |= !(s->fold_layout = strdup(text));
    }
    cJSON_Delete(spec);
    if (oom) {
        snprintf(err, 256, "spec of study '%s': out of memory", s->name ? s->name : "?");
        return -1;
    }
    return 0;
}
