/*
 * test_leak.c - leakage tests (a) and (b) on the real 1h candles, for both
 * window kinds, with and without embargo, horizon 1 and 3:
 *  (a) every holdout candle poisoned with NaN: the search side (features,
 *      labels of the used samples, folds, scalers, scaled windows and the
 *      baselines' metrics of every fold) is bit-for-bit the unpoisoned one;
 *  (b) every candle after fold k's test span poisoned: fold k is unchanged.
 * The trial-level version (LSTM results identical) lives in test_trial.
 */
#include "tests/check.h"
#include "trainer/candles.h"
#include "trainer/features.h"
#include "trainer/labels.h"
#include "trainer/metrics.h"
#include "trainer/scaler.h"
#include "trainer/split.h"

#include <gsl/gsl_errno.h>

typedef struct run {
    tr_feature_matrix m;
    float *y;
    tr_split s;
    tr_scaler sc[8];
    float *xs[8];              /* scaled copy of the matrix, per fold */
    tr_class_metrics logit[8], major[8];
} run;

static const char *const names[] = {"log_return", "log_return:4", "rsi", "macd",
                                    "bollinger_b", "atr", "volume_z", "hour_of_day"};

static int run_make(const tr_candles *c, const tr_split_config *cfg, run *r)
{
    char err[256];
    memset(r, 0, sizeof *r);
    if (tr_features_compute(c, names, 8, &r->m, err) < 0)
        goto fail;
    r->y = malloc((size_t)r->m.rows * sizeof *r->y);
    tr_label_spec ls = {TR_TARGET_DIRECTION, cfg->horizon, 0.0, 0};
    if (tr_labels_make(c, r->m.first, r->m.rows, &ls, r->y, err) < 0 ||
        tr_split_make(cfg, r->m.rows, r->y, c->segment + r->m.first, &r->s, err) < 0)
        goto fail;
    for (int k = 0; k < r->s.n_folds; k++) {
        tr_fold *f = &r->s.folds[k];
        if (f->n_train < 1 || f->n_test < 1)   /* emptied by poison after fold k: skip */
            continue;
        if (tr_scaler_fit(&r->sc[k], TR_SCALER_STANDARD, r->m.x, r->m.cols, f->train_begin,
                          f->train_end, err) < 0)
            goto fail;
        r->xs[k] = malloc((size_t)r->m.rows * r->m.cols * sizeof(float));
        tr_scaler_apply(&r->sc[k], r->m.x, r->xs[k], r->m.rows);
        tr_windows tw = {r->xs[k], r->y, f->train, f->n_train, cfg->seq_len, r->m.cols};
        tr_windows te = {r->xs[k], r->y, f->test, f->n_test, cfg->seq_len, r->m.cols};
        if (tr_baseline_logistic(&tw, &te, &r->logit[k], NULL, err) < 0)
            goto fail;
        double *yt = malloc((size_t)f->n_train * sizeof *yt), *ye = malloc((size_t)f->n_test * sizeof *ye);
        for (int i = 0; i < f->n_train; i++)
            yt[i] = r->y[f->train[i]];
        for (int i = 0; i < f->n_test; i++)
            ye[i] = r->y[f->test[i]];
        int rc = tr_baseline_majority(yt, f->n_train, ye, f->n_test, &r->major[k], err);
        free(yt);
        free(ye);
        if (rc < 0)
            goto fail;
    }
    return 0;
fail:
    fprintf(stderr, "pipeline failed: %s\n", err);
    return -1;
}

static void run_free(run *r)
{
    for (int k = 0; k < r->s.n_folds; k++) {
        tr_scaler_free(&r->sc[k]);
        free(r->xs[k]);
    }
    tr_split_free(&r->s);
    tr_features_free(&r->m);
    free(r->y);
}

static int same_ints(const int *a, int na, const int *b, int nb)
{
    return na == nb && (na == 0 || memcmp(a, b, (size_t)na * sizeof *a) == 0);
}

/* 0 when fold k of a and b is identical in everything the search sees. */
static int fold_same(const run *a, const run *b, int k, int seq_len)
{
    const tr_fold *f = &a->s.folds[k], *g = &b->s.folds[k];
    int bad = 0;
    bad += f->train_begin != g->train_begin || f->train_end != g->train_end ||
           f->val_end != g->val_end || f->test_end != g->test_end;
    bad += !same_ints(f->train, f->n_train, g->train, g->n_train);
    bad += !same_ints(f->val, f->n_val, g->val, g->n_val);
    bad += !same_ints(f->test, f->n_test, g->test, g->n_test);
    if (bad)
        return bad;
    int nf = a->m.cols;
    bad += memcmp(a->sc[k].center, b->sc[k].center, (size_t)nf * sizeof(double)) != 0;
    bad += memcmp(a->sc[k].scale, b->sc[k].scale, (size_t)nf * sizeof(double)) != 0;
    /* every row any window of the fold reads, and every used label */
    const int *sets[3] = {f->train, f->val, f->test};
    int ns[3] = {f->n_train, f->n_val, f->n_test};
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < ns[s]; i++) {
            int e = sets[s][i];
            size_t o = (size_t)(e - seq_len + 1) * nf;
            bad += memcmp(a->xs[k] + o, b->xs[k] + o, (size_t)seq_len * nf * sizeof(float)) != 0;
            bad += memcmp(&a->y[e], &b->y[e], sizeof(float)) != 0;
        }
    bad += memcmp(&a->logit[k], &b->logit[k], sizeof a->logit[k]) != 0;
    bad += memcmp(&a->major[k], &b->major[k], sizeof a->major[k]) != 0;
    return bad;
}

static void poison_from(tr_candles *c, int row)
{
    for (int i = row; i < c->n; i++)
        c->open[i] = c->high[i] = c->low[i] = c->close[i] = c->volume[i] = NAN;
}

static void copy_candles(const tr_candles *c, tr_candles *d)
{
    char err[256];
    tr_candles_alloc(d, c->n, err);
    memcpy(d->ts, c->ts, (size_t)c->n * sizeof *d->ts);
    memcpy(d->open, c->open, (size_t)c->n * sizeof(double));
    memcpy(d->high, c->high, (size_t)c->n * sizeof(double));
    memcpy(d->low, c->low, (size_t)c->n * sizeof(double));
    memcpy(d->close, c->close, (size_t)c->n * sizeof(double));
    memcpy(d->volume, c->volume, (size_t)c->n * sizeof(double));
    tr_candles_index(d);
}

int main(void)
{
    gsl_set_error_handler_off();
    const char *dir = check_data_dir();
    if (!dir)
        return check_skip("the real candles (SEQTUNE_DATA) are not available");
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/btcusdt_binance_1h_2021-10-01_2022-10-31.csv", dir);
    tr_candles c;
    if (tr_candles_load(path, &c, err) < 0) {
        CHECK_MSG(0, "%s", err);
        return check_done();
    }
    for (int h = 1; h <= 3; h += 2)
        for (int roll = 0; roll < 2; roll++)
            for (int emb = 0; emb <= 12; emb += 12) {
                tr_split_config cfg = {4, roll, 0.15, 0.15, emb, 24, h, 0};
                run base, pois;
                if (run_make(&c, &cfg, &base) < 0) {
                    CHECK(0);
                    continue;
                }
                /* (a) the holdout */
                tr_candles d;
                copy_candles(&c, &d);
                poison_from(&d, base.m.first + base.s.holdout_begin);
                CHECK(run_make(&d, &cfg, &pois) == 0);
                CHECK_INT(pois.m.first, base.m.first);
                CHECK(memcmp(base.m.x, pois.m.x,
                             (size_t)base.s.holdout_begin * base.m.cols * sizeof(float)) == 0);
                for (int k = 0; k < base.s.n_folds; k++)
                    CHECK_MSG(fold_same(&base, &pois, k, cfg.seq_len) == 0,
                              "(a) h %d %s embargo %d: fold %d changed when the holdout was "
                              "poisoned", h, roll ? "rolling" : "expanding", emb, k);
                /* the poison is real: the holdout's own labels are gone */
                CHECK(pois.s.n_holdout == 0 && base.s.n_holdout > 0);
                run_free(&pois);
                tr_candles_free(&d);
                /* (b) everything after fold k's test span */
                for (int k = 0; k < base.s.n_folds - 1; k++) {
                    copy_candles(&c, &d);
                    poison_from(&d, base.m.first + base.s.folds[k].test_end);
                    CHECK(run_make(&d, &cfg, &pois) == 0);
                    CHECK_MSG(fold_same(&base, &pois, k, cfg.seq_len) == 0,
                              "(b) h %d %s embargo %d: fold %d changed when the rows after "
                              "its test span were poisoned", h, roll ? "rolling" : "expanding",
                              emb, k);
                    /* the poison is real: the next fold has no test samples left */
                    CHECK_INT(pois.s.folds[k + 1].n_test, 0);
                    run_free(&pois);
                    tr_candles_free(&d);
                }
                run_free(&base);
            }
    tr_candles_free(&c);
    return check_done();
}
