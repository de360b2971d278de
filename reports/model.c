/*
 * model.c - lifetime of rep_study and a synthetic study generator used by the
 * tests, the benchmark and demos (so that reports/ can be exercised without a
 * store).
 */
#include "reports/model.h"
#include "reports/edge.h"

#include <cjson/cJSON.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
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

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static char *fmt_str(const char *fmt, double v)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, fmt, v);
    return dup_str(tmp);
}

static const char SYNTH_SPEC[] =
    "{\"name\":\"%s\",\"data\":{\"path\":\"data/btcusdt_1h.csv\"},"
    "\"features\":[\"log_return\",\"rsi:14\",\"atr:14\"],"
    "\"target\":{\"kind\":\"direction\",\"horizon\":1},"
    "\"validation\":{\"folds\":5,\"window\":\"expanding\",\"val_fraction\":0.15,"
    "\"holdout_fraction\":0.15,\"embargo\":0},"
    "\"search\":{\"n_trials\":%d,\"sampler\":{\"name\":\"tpe\",\"seed\":%lu},"
    "\"metric\":\"val_log_loss\",\"direction\":\"minimize\",\"space\":{"
    "\"seq_len\":{\"type\":\"int\",\"low\":20,\"high\":120,\"step\":4},"
    "\"units\":{\"type\":\"int\",\"low\":16,\"high\":256,\"log\":true},"
    "\"layers\":{\"type\":\"int\",\"low\":1,\"high\":3},"
    "\"dropout\":{\"type\":\"float\",\"low\":0.0,\"high\":0.5},"
    "\"learning_rate\":{\"type\":\"float\",\"low\":0.0001,\"high\":0.01,\"log\":true},"
    "\"batch_size\":{\"type\":\"categorical\",\"choices\":[32,64,128]}}}}";

/* Fills one synthetic trial; the objective is dominated by the learning rate.
 * keys are the six parameters of SYNTH_SPEC's space, in its order. */
static int synth_trial(rep_trial *t, int number, double t0, gsl_rng *r,
                       const char *const keys[6])
{
    static const char *batches[3] = {"32", "64", "128"};
    t->number = number;
    t->params = calloc(6, sizeof *t->params);
    t->steps = calloc(5, sizeof *t->steps);
    if (!t->params || !t->steps)
        return -1;
    t->n_params = 6;
    double seq = 20 + 4 * (double)gsl_rng_uniform_int(r, 26);
    double units = floor(exp(log(16) + gsl_rng_uniform(r) * (log(256) - log(16))));
    double layers = 1 + (double)gsl_rng_uniform_int(r, 3);
    double dropout = 0.5 * gsl_rng_uniform(r);
    double lr = exp(log(1e-4) + gsl_rng_uniform(r) * (log(1e-2) - log(1e-4)));
    int bi = (int)gsl_rng_uniform_int(r, 3);
    double nums[6] = {seq, units, layers, dropout, lr, NAN};
    for (int k = 0; k < 6; k++) {
        t->params[k].key = dup_str(keys[k]);
        t->params[k].num = nums[k];
        t->params[k].text = k == 5 ? dup_str(batches[bi])
                            : fmt_str(k == 3 || k == 4 ? "%.6g" : "%.0f", nums[k]);
        if (!t->params[k].key || !t->params[k].text)
            return -1;
    }
    double z = log10(lr) + 2.7; /* best near lr = 2e-3 */
    double base = 0.66 + 0.05 * z * z + 0.002 * dropout + 0.0005 * (layers - 2);
    double u = gsl_rng_uniform(r);
    t->state = u < 0.03 ? REP_FAIL : u < 0.23 ? REP_PRUNED : REP_COMPLETE;
    int nsteps = t->state == REP_COMPLETE ? 5 : t->state == REP_PRUNED
                 ? 1 + (int)gsl_rng_uniform_int(r, 3) : 0;
    double sum = 0;
    for (int f = 0; f < 5; f++)
        t->steps[f] = NAN;
    for (int f = 0; f < nsteps; f++) {
        t->steps[f] = base + 0.01 * f + gsl_ran_gaussian(r, 0.004);
        sum += t->steps[f];
    }
    t->n_steps = 5;
    t->value = t->state == REP_COMPLETE ? sum / 5
               : t->state == REP_PRUNED ? t->steps[nsteps - 1] : NAN;
    t->started = t0 + 30.0 * number;
    t->finished = t->started + 20 + 10 * gsl_rng_uniform(r) * (nsteps + 1);
    t->worker = fmt_str("rank %.0f", (double)(1 + number % 4));
    if (!t->worker)
        return -1;
    if (t->state == REP_FAIL) {
        t->error = dup_str("training diverged: loss is NaN at epoch 3");
        if (!t->error)
            return -1;
    }
    t->tags = calloc(1, sizeof *t->tags);
    if (!t->tags)
        return -1;
    t->n_tags = 1;
    t->tags[0].key = dup_str("sampler");
    t->tags[0].value = dup_str(number < 10 ? "startup" : "tpe");
    return t->tags[0].key && t->tags[0].value ? 0 : -1;
}

int rep_study_synth(rep_study *out, const char *name, int n_trials, int n_curve,
                    unsigned long seed, char err[256])
{
    rep_study_init(out);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r || n_trials < 0 || n_curve < 0) {
        snprintf(err, 256, "synthetic study '%s': bad size or no memory", name);
        goto fail;
    }
    gsl_rng_set(r, seed);
    const double t0 = 1640995200.0; /* 2022-01-01 */
    size_t speclen = sizeof SYNTH_SPEC + strlen(name) + 64;
    out->spec_json = malloc(speclen);
    out->name = dup_str(name);
    out->data_file = dup_str("data/btcusdt_1h.csv");
    out->metric = dup_str("val_log_loss");
    out->fold_layout = dup_str("5 expanding walk-forward folds, validation 15% of each "
                               "training span, holdout 15%, embargo 0 bars");
    out->folds = calloc(5, sizeof *out->folds);
    if (!out->spec_json || !out->name || !out->data_file || !out->metric ||
        !out->fold_layout || !out->folds)
        goto oom;
    snprintf(out->spec_json, speclen, SYNTH_SPEC, name, n_trials, seed);
    out->data_start = 1633046400.0; /* 2021-10-01 */
    out->data_end = 1667260800.0;   /* 2022-11-01 */
    double span = (out->data_end - out->data_start) * 0.85 / 6.0;
    out->n_folds = 5;
    for (int f = 0; f < 5; f++) {
        out->folds[f].train_start = out->data_start;
        out->folds[f].train_end = out->data_start + span * (f + 1);
        out->folds[f].test_start = out->folds[f].train_end;
        out->folds[f].test_end = out->folds[f].test_start + span;
    }
    out->created = t0;
    out->workers = 4;
    if (n_trials > 0) {
        out->trials = calloc((size_t)n_trials, sizeof *out->trials);
        if (!out->trials)
            goto oom;
    }
    /* The parameter names are the spec's: its space, in order. */
    const char *keys[6] = {0};
    cJSON *spec = cJSON_Parse(out->spec_json);
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(spec, "search"),
                                                       "space");
    int nk = 0;
    for (const cJSON *it = sp ? sp->child : NULL; it && nk < 6; it = it->next)
        keys[nk++] = it->string;
    if (nk != 6) {
        cJSON_Delete(spec);
        goto oom;
    }
    int best = -1;
    for (int i = 0; i < n_trials; i++) {
        out->n_trials = i + 1;
        if (synth_trial(&out->trials[i], i, t0, r, keys) != 0) {
            cJSON_Delete(spec);
            goto oom;
        }
        rep_trial *t = &out->trials[i];
        if (t->state == REP_COMPLETE && (best < 0 || t->value < out->trials[best].value))
            best = i;
    }
    cJSON_Delete(spec);
    out->finished = n_trials ? out->trials[n_trials - 1].finished + 60 : t0 + 1;
    rep_result *res = &out->result;
    res->has_result = best >= 0;
    res->best_trial = best;
    if (best >= 0) {
        res->fold_values = malloc(5 * sizeof(double));
        if (!res->fold_values)
            goto oom;
        memcpy(res->fold_values, out->trials[best].steps, 5 * sizeof(double));
        res->n_fold_values = 5;
        res->holdout = (rep_metrics){1.21, 1.78, 0.183, -0.142, 0.527, 212, 0.61, 0.534,
                                     0.551, 0.688};
        res->buy_hold = (rep_metrics){-0.85, -1.1, -0.412, -0.561, NAN, 1, 1.0, NAN, NAN, NAN};
        res->majority = (rep_metrics){NAN, NAN, NAN, NAN, NAN, NAN, NAN, 0.507, 0.5, 0.693};
        res->logreg = (rep_metrics){0.31, 0.42, 0.041, -0.25, 0.51, 340, 0.7, 0.515,
                                    0.522, 0.691};
        res->dsr = 0.83;
        if (n_curve > 0) {
            res->curve_t = malloc((size_t)n_curve * sizeof(double));
            res->curve_model = malloc((size_t)n_curve * sizeof(double));
            res->curve_bh = malloc((size_t)n_curve * sizeof(double));
            if (!res->curve_t || !res->curve_model || !res->curve_bh)
                goto oom;
            res->n_curve = n_curve;
            double m = 1, b = 1, h0 = out->data_end - 3600.0 * n_curve;
            for (int i = 0; i < n_curve; i++) {
                double ret = gsl_ran_gaussian(r, 0.008) - 0.0002;
                b *= exp(ret);
                m *= exp(0.6 * fabs(ret) * (gsl_rng_uniform(r) < 0.53 ? 1 : -1));
                res->curve_t[i] = h0 + 3600.0 * i;
                res->curve_model[i] = m;
                res->curve_bh[i] = b;
            }
        }
    }
    gsl_rng_free(r);
    return 0;
oom:
    snprintf(err, 256, "synthetic study '%s': out of memory", name);
fail:
    gsl_rng_free(r);
    rep_study_free(out);
    return -1;
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
        oom |= !(s->data_file = dup_str(path));
    if (!s->metric && metric)
        oom |= !(s->metric = dup_str(metric));
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
        oom |= !(s->fold_layout = dup_str(text));
    }
    cJSON_Delete(spec);
    if (oom) {
        snprintf(err, 256, "spec of study '%s': out of memory", s->name ? s->name : "?");
        return -1;
    }
    return 0;
}
