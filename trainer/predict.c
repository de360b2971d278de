/*
 * predict.c - model + candles -> aligned predictions (see predict.h).
 */
#include "trainer/predict.h"

#include "trainer/features.h"
#include "trainer/scaler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The model's feature texts from its column names: "hour_of_day.sin" and
 * ".cos" are the two columns of one feature. Fills out (caller frees each
 * entry) and returns the count, or -1 on out of memory. */
static int feature_texts(const tr_model_meta *meta, char **out)
{
    int n = 0;
    for (int j = 0; j < meta->n_features; j++) {
        char name[128];
        snprintf(name, sizeof name, "%s", meta->feature_names[j]);
        size_t l = strlen(name);
        if (l > 4 && (strcmp(name + l - 4, ".sin") == 0 || strcmp(name + l - 4, ".cos") == 0))
            name[l - 4] = '\0';
        if (n > 0 && strcmp(out[n - 1], name) == 0)
            continue;
        if (!(out[n] = strdup(name)))
            return -1;
        n++;
    }
    return n;
}

void tr_predictions_free(tr_predictions *p)
{
    if (!p)
        return;
    free(p->row);
    free(p->ts);
    free(p->value);
    free(p->price);
    memset(p, 0, sizeof *p);
}

int tr_predict_candles(tr_lstm *m, const tr_model_meta *meta, const tr_candles *c,
                       tr_predictions *out, char err[256])
{
    memset(out, 0, sizeof *out);
    int rc = TR_PREDICT_EMODEL;
    int F = meta->n_features;
    if (F < 1 || !meta->feature_names || !meta->scaler_center || !meta->scaler_scale) {
        snprintf(err, 256, "the model file has no scaler statistics");
        return rc;
    }
    tr_feature_matrix fm;
    memset(&fm, 0, sizeof fm);
    char **names = calloc((size_t)F, sizeof *names);
    double *center = malloc(sizeof *center * (size_t)F);
    double *scale = malloc(sizeof *scale * (size_t)F);
    float *xs = NULL;
    int *ends = NULL, n_names = 0;
    if (!names || !center || !scale)
        goto oom;
    if ((n_names = feature_texts(meta, names)) < 0) {
        n_names = F;
        goto oom;
    }
    if (tr_features_compute(c, (const char *const *)names, n_names, &fm, err)) {
        rc = TR_PREDICT_EDATA;
        goto fail;
    }
    if (fm.cols != F) {
        snprintf(err, 256, "the model expects %d feature columns, the candles give %d", F,
                 fm.cols);
        goto fail;
    }
    /* The stored scaler, as fit on the training rows of the final fold. */
    for (int j = 0; j < F; j++) {
        center[j] = meta->scaler_center[j];
        scale[j] = meta->scaler_scale[j];
    }
    tr_scaler sc = {TR_SCALER_STANDARD, F, center, scale};
    xs = malloc(sizeof *xs * (size_t)fm.rows * (size_t)F + 1);
    ends = malloc(sizeof *ends * (size_t)fm.rows + 1);
    if (!xs || !ends)
        goto oom;
    tr_scaler_apply(&sc, fm.x, xs, fm.rows);
    /* Window ends: past the warm-up of seq_len rows, not across a candle gap. */
    int T = meta->seq_len, nw = 0;
    for (int r = T - 1; r < fm.rows; r++)
        if (!tr_candles_spans_gap(c, fm.first + r, T))
            ends[nw++] = r;
    if (nw == 0) {
        snprintf(err, 256, "%d usable rows after the features' warm-up: fewer than "
                 "the model's seq_len %d", fm.rows, T);
        rc = TR_PREDICT_EDATA;
        goto fail;
    }
    out->n = nw;
    out->n_out = tr_lstm_n_out(&m->cfg);
    out->row = malloc(sizeof *out->row * (size_t)nw);
    out->ts = malloc(sizeof *out->ts * (size_t)nw);
    out->value = malloc(sizeof *out->value * (size_t)nw * (size_t)out->n_out);
    if (!out->row || !out->ts || !out->value)
        goto oom;
    tr_windows w = {xs, NULL, ends, nw, T, F};
    if (tr_lstm_predict(m, &w, out->value, err))
        goto fail;
    for (int i = 0; i < nw; i++) {
        out->row[i] = fm.first + ends[i];
        out->ts[i] = c->ts[out->row[i]];
    }
    out->horizon = meta->horizon;
    if (meta->has_target_scaler) {   /* the inverse transform of the price target */
        if (!(out->price = malloc(sizeof *out->price * (size_t)nw)))
            goto oom;
        for (int i = 0; i < nw; i++) {
            double r = (double)out->value[i] * meta->target_scale + meta->target_center;
            out->value[i] = (float)r;
            out->price[i] = c->close[out->row[i]] * exp(r);
        }
    }
    rc = 0;
    goto done;
oom:
    snprintf(err, 256, "out of memory");
    rc = TR_PREDICT_ENOMEM;
fail:
    tr_predictions_free(out);
done:
    if (names)
        for (int i = 0; i < n_names; i++)
            free(names[i]);
    free(names);
    free(center);
    free(scale);
    free(xs);
    free(ends);
    tr_features_free(&fm);
    return rc;
}
