/*
 * test_price_target - the price target learns, inverts its scaling back to price
 * units correctly, and its scaler reads no future rows.
 *
 * The series is built to be predictable: hourly log returns r_t = -0.6 r_{t-1} +
 * N(0, 0.01^2) (mean-reverting), so E[close_{t+1} | past] = close_t exp(-0.6 r_t)
 * while persistence says close_t.
 * 1. Learning: every walk-forward fold's forecast RMSE (price units) is below 90 %
 *    of persistence's, its directional accuracy above 60 %, and the linear
 *    baseline beats persistence as well (it is the right model here).
 * 2. Inverse transform: each fold's target scaler equals the mean and sample sd of
 *    the labels of that fold's training windows, recomputed here from the labels;
 *    MAPE and MAE are consistent with the forecast formula (persistence's MAE is
 *    the mean |close_{t+1} - close_t| over the test windows, computed here).
 * 3. Leakage: rows after fold 0's test span (plus the horizon) are replaced by a
 *    different series: fold 0's target scaler and every price score stay
 *    bit-identical.
 * 4. The final fold hands its scaler to the model metadata (tr_trial_model_meta_target).
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"
#include "trainer/trial.h"

#define N 2600

static void make_series(tr_candles *c, unsigned long seed, int from, const tr_candles *keep)
{
    char err[256];
    if (tr_candles_alloc(c, N, err))
        exit(1);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    double p = 30000, r = 0;
    for (int i = 0; i < N; i++) {
        r = -0.6 * r + gsl_ran_gaussian(rng, 0.01);
        double q = p * exp(r);
        c->ts[i] = 1600000000 + (int64_t)i * 3600;
        c->open[i] = p;
        c->close[i] = q;
        c->high[i] = fmax(p, q) * 1.0005;
        c->low[i] = fmin(p, q) * 0.9995;
        c->volume[i] = 100;
        if (keep && i < from) {   /* the same rows as `keep` before `from` */
            c->open[i] = keep->open[i];
            c->close[i] = keep->close[i];
            c->high[i] = keep->high[i];
            c->low[i] = keep->low[i];
            q = c->close[i];
            r = log(c->close[i] / c->open[i]);
        }
        p = q;
    }
    tr_candles_index(c);
    gsl_rng_free(rng);
}

static int same_d(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static int same_price(const tr_price_metrics *a, const tr_price_metrics *b)
{
    return a->n == b->n && same_d(a->rmse, b->rmse) && same_d(a->mae, b->mae) &&
           same_d(a->mape, b->mape) && same_d(a->directional_accuracy, b->directional_accuracy);
}

int main(void)
{
    gsl_set_error_handler_off();
    char err[256];
    tr_candles c = {0};
    make_series(&c, 17, 0, NULL);
    static const char *const feats[] = {"log_return"};
    tr_trial_config cfg;
    tr_trial_config_default(&cfg);
    cfg.features = feats;
    cfg.n_features = 1;
    cfg.target = (tr_label_spec){TR_TARGET_PRICE, 1, 0.0, 0};
    cfg.folds = 2;
    cfg.max_epochs = 15;
    cfg.patience = 5;
    cfg.long_threshold = cfg.short_threshold = 0;
    cfg.metric = "val_rmse";
    cfg.seed = 3;
    tr_trial_params p;
    tr_trial_params_default(&p);
    p.seq_len = 4;
    p.units = 8;
    p.layers = 1;
    p.dropout = 0.0;
    p.learning_rate = 1e-2;
    p.batch_size = 32;
    p.l2 = 0.0;
    p.clip_norm = 1.0;
    tr_trial_data d;
    CHECK(tr_trial_data_make(&c, &cfg, &d, err) == 0);
    tr_trial_result res;
    int rc = tr_trial_run(&d, &cfg, &p, NULL, NULL, &res, err);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK_INT(res.n_folds, 2);
    for (int k = 0; k < res.n_folds; k++) {
        const tr_fold_result *r = &res.folds[k];
        printf("fold %d: %d test forecasts; RMSE %.2f vs persistence %.2f (linear %.2f); "
               "MAE %.2f vs %.2f; MAPE %.4f %% vs %.4f %%; directional accuracy %.3f; "
               "target scaler %.3g / %.3g\n", k, r->price.n, r->price.rmse, r->persistence.rmse,
               r->linear.rmse, r->price.mae, r->persistence.mae, r->price.mape,
               r->persistence.mape, r->price.directional_accuracy, r->target_center,
               r->target_scale);
        CHECK_MSG(r->price.rmse < 0.9 * r->persistence.rmse, "fold %d: RMSE %.3f vs %.3f", k,
                  r->price.rmse, r->persistence.rmse);
        CHECK_MSG(r->price.directional_accuracy > 0.6, "fold %d: directional accuracy %.3f", k,
                  r->price.directional_accuracy);
        CHECK_MSG(r->linear.rmse < 0.9 * r->persistence.rmse, "fold %d: linear RMSE %.3f", k,
                  r->linear.rmse);
        CHECK(isnan(r->persistence.directional_accuracy));
        double v;
        CHECK(tr_fold_metric(r, "val_rmse", &v, err) == 0 && v == r->price.rmse);
        CHECK(tr_fold_metric(r, "val_log_loss", &v, err) == -1);
    }

    /* 2. the scaler and the persistence scores recomputed from the split and labels */
    tr_split_config sc = {cfg.folds, cfg.rolling, cfg.val_fraction, cfg.holdout_fraction,
                          cfg.embargo, p.seq_len, cfg.target.horizon, 0};
    tr_split s = {0};
    CHECK(tr_split_make(&sc, d.m.rows, d.y, c.segment + d.m.first, &s, err) == 0);
    for (int k = 0; k < s.n_folds && k < res.n_folds; k++) {
        const tr_fold *f = &s.folds[k];
        double *yv = malloc(sizeof *yv * f->n_train);
        for (int i = 0; i < f->n_train; i++)
            yv[i] = d.y[f->train[i]];
        double mean = gsl_stats_mean(yv, 1, f->n_train);
        double sd = gsl_stats_sd_m(yv, 1, f->n_train, mean);
        CHECK_NEAR(res.folds[k].target_center, mean, 1e-12);
        CHECK_NEAR(res.folds[k].target_scale, sd, 1e-12);
        double mae = 0;
        for (int i = 0; i < f->n_test; i++) {
            int t = d.m.first + f->test[i];
            mae += fabs(c.close[t + 1] - c.close[t]);
        }
        CHECK_NEAR(res.folds[k].persistence.mae, mae / f->n_test, 1e-9);
        free(yv);
    }

    /* 3. leakage: a different future after fold 0's test span + horizon */
    int cut = -1;
    for (int i = 0; i < c.n; i++)
        if (c.ts[i] > res.folds[0].test_last) {
            cut = i + cfg.target.horizon;
            break;
        }
    CHECK(cut > 0 && cut < N - 100);
    tr_candles c2 = {0};
    make_series(&c2, 999, cut, &c);
    int same_prefix = memcmp(c2.close, c.close, sizeof(double) * cut) == 0 &&
                      c2.close[cut + 5] != c.close[cut + 5];
    CHECK_MSG(same_prefix, "the poisoned series does not share exactly the first %d rows", cut);
    tr_trial_data d2;
    CHECK(tr_trial_data_make(&c2, &cfg, &d2, err) == 0);
    tr_trial_result res2;
    CHECK(tr_trial_run(&d2, &cfg, &p, NULL, NULL, &res2, err) == 0);
    const tr_fold_result *a = &res.folds[0], *b = &res2.folds[0];
    CHECK_MSG(same_d(a->target_center, b->target_center) &&
              same_d(a->target_scale, b->target_scale),
              "fold 0's target scaler changed with rows after its test span");
    CHECK_MSG(same_price(&a->price, &b->price) && same_price(&a->persistence, &b->persistence) &&
              same_price(&a->linear, &b->linear) && same_d(a->value, b->value),
              "fold 0's price scores changed with rows after its test span");
    CHECK_MSG(!same_price(&res.folds[1].persistence, &res2.folds[1].persistence),
              "fold 1's test span should see the changed rows (the poison did not reach it)");

    /* 4. the final fold's scaler goes to the model file */
    tr_fold_result fr;
    tr_lstm *m = NULL;
    tr_scaler scl = {0};
    CHECK(tr_trial_final(&d, &cfg, &p, &fr, &m, &scl, err) == 0);
    tr_model_meta meta;
    CHECK(tr_trial_model_meta(&d, &cfg, p.seq_len, &scl, &meta, err) == 0);
    tr_trial_model_meta_target(&fr, &meta);
    CHECK_INT(meta.has_target_scaler, 1);
    CHECK(meta.target_center == (float)fr.target_center && meta.target_scale == (float)fr.target_scale);
    CHECK(strcmp(meta.target_kind, "price") == 0);
    printf("final holdout: RMSE %.2f vs persistence %.2f\n", fr.price.rmse, fr.persistence.rmse);
    CHECK(fr.price.rmse < fr.persistence.rmse);

    tr_model_meta_free(&meta);
    tr_lstm_free(m);
    tr_scaler_free(&scl);
    tr_fold_result_free(&fr);
    tr_split_free(&s);
    tr_trial_result_free(&res);
    tr_trial_result_free(&res2);
    tr_trial_data_free(&d);
    tr_trial_data_free(&d2);
    tr_candles_free(&c);
    tr_candles_free(&c2);
    return check_done();
}
