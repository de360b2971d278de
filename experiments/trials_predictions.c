/*
 * trials_predictions.c - the stored out-of-sample series of the selected
 * trials, bar by bar (see trials_predictions.h).
 */
#include "experiments/trials_predictions.h"

#include "experiments/trials_view.h"
#include "tracker/oos.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Bars are consecutive candle rows from t0 to t1 (the open time of the bar
 * after the last), so bar b opens at t0 + b (t1 - t0) / n: exact for a span of
 * evenly spaced candles (the row is exact in every case). */
static int64_t bar_time(const trk_oos *o, int b)
{
    return o->n > 0 ? o->t0 + (o->t1 - o->t0) * b / o->n : o->t0;
}

/* A float32 value as text that reads back as the same float32 ("" for NaN). */
static void fmt_f(float v, char out[32])
{
    if (isfinite(v))
        snprintf(out, 32, "%.9g", (double)v);
    else
        out[0] = '\0';
}

/* float32 values as JSON numbers that read back as the same float32 (raw
 * items: cJSON prints doubles only), NaN as null. */
static cJSON *float_array(const float *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) {
        char t[32];
        fmt_f(v[i], t);
        cJSON_AddItemToArray(a, t[0] ? cJSON_CreateRaw(t) : cJSON_CreateNull());
    }
    return a;
}

static cJSON *fold_json(const trk_oos *o)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "fold", o->fold);
    cJSON_AddNumberToObject(f, "row0", o->row0);
    cJSON_AddNumberToObject(f, "n", o->n);
    cJSON_AddNumberToObject(f, "t0", (double)o->t0);
    cJSON_AddNumberToObject(f, "t1", (double)o->t1);
    cJSON *rows = cJSON_AddArrayToObject(f, "row"), *times = cJSON_AddArrayToObject(f, "time");
    for (int b = 0; b < o->n; b++) {
        cJSON_AddItemToArray(rows, cJSON_CreateNumber(o->row0 + b));
        cJSON_AddItemToArray(times, cJSON_CreateNumber((double)bar_time(o, b)));
    }
    cJSON_AddItemToObject(f, "prediction", float_array(o->pred, o->n));
    cJSON_AddItemToObject(f, "bar_return", float_array(o->bh, o->n));
    cJSON_AddItemToObject(f, "strategy_return", float_array(o->ret, o->n));
    return f;
}

static void print_rows(const trk_run *r, const trk_oos *o, int csv)
{
    for (int b = 0; b < o->n; b++) {
        char p[32], bh[32], ret[32];
        fmt_f(o->pred[b], p);
        fmt_f(o->bh[b], bh);
        fmt_f(o->ret[b], ret);
        if (csv)
            printf("%lld,%d,%d,%d,%lld,%s,%s,%s\n", (long long)r->id, r->trial_number, o->fold,
                   o->row0 + b, (long long)bar_time(o, b), p, bh, ret);
        else
            printf("%7lld %5d %4d %7d %11lld %14s %14s %14s\n", (long long)r->id,
                   r->trial_number, o->fold, o->row0 + b, (long long)bar_time(o, b),
                   p[0] ? p : "-", bh[0] ? bh : "-", ret[0] ? ret : "-");
    }
}

int exp_trials_predictions(trk_store *s, int64_t study_id, const trk_run_list *l, int fmt,
                           char err[256])
{
    cJSON *arr = fmt == EXP_FMT_JSON ? cJSON_CreateArray() : NULL;
    if (fmt == EXP_FMT_CSV)
        puts("run_id,trial_number,fold,row,time,prediction,bar_return,strategy_return");
    else if (fmt != EXP_FMT_JSON)
        printf("%7s %5s %4s %7s %11s %14s %14s %14s\n", "RUN", "TRIAL", "FOLD", "ROW", "TIME",
               "PREDICTION", "BAR_RETURN", "STRATEGY_RET");
    for (int i = 0; i < l->n; i++) {
        const trk_run *r = &l->runs[i];
        trk_oos *o = NULL;
        int n = 0, rc = trk_oos_query(s, study_id, r->id, &o, &n, err);
        if (rc) {
            cJSON_Delete(arr);
            return rc;
        }
        cJSON *t = NULL, *folds = NULL;
        if (arr) {
            t = cJSON_CreateObject();
            cJSON_AddNumberToObject(t, "run_id", (double)r->id);
            cJSON_AddNumberToObject(t, "trial_number", r->trial_number);
            cJSON_AddStringToObject(t, "state", trk_state_name(r->state));
            folds = cJSON_AddArrayToObject(t, "folds");
            cJSON_AddItemToArray(arr, t);
        }
        for (int k = 0; k < n; k++) {
            if (folds)
                cJSON_AddItemToArray(folds, fold_json(&o[k]));
            else
                print_rows(r, &o[k], fmt == EXP_FMT_CSV);
        }
        trk_oos_free(o, n);
    }
    if (arr) {
        char *text = cJSON_Print(arr);
        if (text)
            puts(text);
        free(text);
        cJSON_Delete(arr);
    }
    return 0;
}
