/*
 * synth_study.c - deterministic synthetic studies and verdict sections for the
 * report tests and the report benchmark, so that reports/ can be exercised
 * without a store. Test and bench support only: not part of libseqtune.
 */
#include "tests/support/synth_study.h"

#include "reports/edge_int.h"

#include <cjson/cJSON.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_str(const char *s)
{
    return strdup(s);
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

rep_edge *rep_edge_synth(int n_bars, int folds, int epochs, unsigned long seed)
{
    if (folds > EDGE_MAX_FOLDS)
        folds = EDGE_MAX_FOLDS;
    rep_edge *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) {
        free(e);
        return NULL;
    }
    gsl_rng_set(rng, seed);
#define U() gsl_rng_uniform(rng)
    cJSON *r = e->result = cJSON_CreateObject();
    cJSON *v = cJSON_AddObjectToObject(r, "verdict");
    cJSON_AddBoolToObject(v, "edge", 0);
    cJSON *rs = cJSON_AddArrayToObject(v, "reasons");
    cJSON_AddItemToArray(rs, cJSON_CreateString("Deflated Sharpe Ratio 0.412 < 0.95 over 10000 "
                                                "evaluated trials"));
    cJSON_AddItemToArray(rs, cJSON_CreateString("Diebold-Mariano test against majority class: "
                                                "p = 0.3100 >= 0.05"));
    cJSON_AddNumberToObject(v, "dsr", 0.412);
    cJSON_AddNumberToObject(v, "dsr_trials", 10000);
    cJSON_AddNumberToObject(v, "pbo", 0.52);
    cJSON_AddNumberToObject(v, "pbo_trials", 9000);
    cJSON_AddNumberToObject(v, "dm_pvalue", 0.31);
    cJSON_AddNumberToObject(v, "dm_pvalue_vs_linear", 0.6);
    cJSON *th = cJSON_AddObjectToObject(v, "thresholds");
    cJSON_AddNumberToObject(th, "dsr_min", 0.95);
    cJSON_AddNumberToObject(th, "dm_alpha", 0.05);
    cJSON *p = cJSON_AddObjectToObject(r, "pbo");
    cJSON_AddNumberToObject(p, "slope", -0.8);
    cJSON_AddNumberToObject(p, "p_oos_loss", 0.5);
    cJSON *sc = cJSON_AddArrayToObject(p, "scatter");
    for (int i = 0; i < 400; i++) {
        cJSON *pt = cJSON_CreateArray();
        cJSON_AddItemToArray(pt, cJSON_CreateNumber(0.1 * U()));
        cJSON_AddItemToArray(pt, cJSON_CreateNumber(0.1 * U() - 0.05));
        cJSON_AddItemToArray(sc, pt);
    }
    cJSON *h = cJSON_AddObjectToObject(p, "logit_hist");
    cJSON_AddNumberToObject(h, "lo", -4);
    cJSON_AddNumberToObject(h, "hi", 4);
    cJSON *cn = cJSON_AddArrayToObject(h, "counts");
    for (int i = 0; i < 20; i++)
        cJSON_AddItemToArray(cn, cJSON_CreateNumber(floor(600 * U())));
    cJSON *cal = cJSON_AddObjectToObject(r, "calibration");
    cJSON_AddNumberToObject(cal, "brier", 0.25);
    cJSON *bins = cJSON_AddArrayToObject(cal, "bins");
    for (int i = 0; i < 10; i++) {
        cJSON *bn = cJSON_CreateObject();
        cJSON_AddNumberToObject(bn, "mean_p", (i + 0.5) / 10);
        cJSON_AddNumberToObject(bn, "freq", (i + U()) / 10);
        cJSON_AddItemToArray(bins, bn);
    }
    cJSON *cm = cJSON_AddObjectToObject(r, "confusion");
    cJSON_AddNumberToObject(cm, "tp", 300);
    cJSON_AddNumberToObject(cm, "fp", 280);
    cJSON_AddNumberToObject(cm, "tn", 310);
    cJSON_AddNumberToObject(cm, "fn", 290);
    size_t sz = sizeof(double) * (size_t)(n_bars + 1);
    e->t = malloc(sz);
    e->equity = malloc(sz);
    e->bh = malloc(sz);
    e->drawdown = malloc(sz);
    if (!e->t || !e->equity || !e->bh || !e->drawdown) {
        gsl_rng_free(rng);
        rep_edge_free(e);
        return NULL;
    }
    double eq = 1, b = 1, peak = 1;
    for (int i = 0; i <= n_bars; i++) {
        if (i) {
            eq *= 1 + 0.01 * (U() - 0.5);
            b *= 1 + 0.01 * (U() - 0.49);
        }
        peak = fmax(peak, eq);
        e->t[i] = 1577836800.0 + 3600.0 * i;
        e->equity[i] = eq;
        e->bh[i] = b;
        e->drawdown[i] = eq / peak - 1;
    }
    e->n = n_bars;
    for (int f = 0; f < folds; f++) {
        e->train[f] = malloc(sizeof(double) * (size_t)epochs);
        e->val[f] = malloc(sizeof(double) * (size_t)epochs);
        if (!e->train[f] || !e->val[f]) {
            e->n_folds = f + 1;
            gsl_rng_free(rng);
            rep_edge_free(e);
            return NULL;
        }
        for (int i = 0; i < epochs; i++) {
            e->train[f][i] = 0.7 - 0.02 * log1p(i) + 0.005 * U();
            e->val[f][i] = 0.69 + 0.01 * U();
        }
        e->n_epochs[f] = epochs;
        e->n_folds = f + 1;
    }
#undef U
    gsl_rng_free(rng);
    return e;
}
