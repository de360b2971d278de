/*
 * test_trial.c - one trial end to end on the real 1h BTC candles with a small
 * LSTM: per-fold metrics finite, baselines reported, the callback sees every
 * fold and prunes; leakage at trial level: (a) poisoned holdout -> every fold's
 * results bit-identical, (b) poisoned rows after fold k's test span -> folds
 * 0..k identical; the final holdout fold hands back model and scaler.
 */
#include "tests/check.h"
#include "trainer/trial.h"

#include <gsl/gsl_errno.h>
#include <unistd.h>

typedef struct seen {
    int calls, last_fold, prune_after;
    double values[8];
} seen;

static int on_fold(void *user, int fold, double value, const tr_fold_result *r)
{
    seen *s = user;
    s->calls++;
    CHECK_INT(fold, s->last_fold + 1);
    CHECK_INT(r->fold, fold);
    s->last_fold = fold;
    s->values[fold] = value;
    return s->prune_after >= 0 && fold >= s->prune_after;
}

static int same_d(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static int same_class(const tr_class_metrics *a, const tr_class_metrics *b)
{
    return a->n == b->n && same_d(a->accuracy, b->accuracy) &&
           same_d(a->balanced_accuracy, b->balanced_accuracy) && same_d(a->log_loss, b->log_loss) &&
           same_d(a->brier, b->brier) && same_d(a->roc_auc, b->roc_auc) && same_d(a->mcc, b->mcc);
}

static int same_trading(const tr_trading_metrics *a, const tr_trading_metrics *b)
{
    return a->n_bars == b->n_bars && a->n_trades == b->n_trades &&
           same_d(a->total_return, b->total_return) && same_d(a->sharpe, b->sharpe) &&
           same_d(a->sortino, b->sortino) && same_d(a->max_drawdown, b->max_drawdown) &&
           same_d(a->win_rate, b->win_rate) && same_d(a->exposure, b->exposure);
}

static int same_fold(const tr_fold_result *a, const tr_fold_result *b)
{
    return a->n_train == b->n_train && a->n_val == b->n_val && a->n_test == b->n_test &&
           a->fit.epochs_run == b->fit.epochs_run && same_d(a->fit.best_val_loss, b->fit.best_val_loss) &&
           same_class(&a->test, &b->test) && same_class(&a->majority, &b->majority) &&
           same_class(&a->logistic, &b->logistic) && same_trading(&a->trading, &b->trading) &&
           same_trading(&a->buy_hold, &b->buy_hold) && same_d(a->value, b->value);
}

static void copy_poisoned(const tr_candles *c, tr_candles *d, int from)
{
    char err[256];
    tr_candles_alloc(d, c->n, err);
    memcpy(d->ts, c->ts, (size_t)c->n * sizeof *d->ts);
    for (int i = 0; i < c->n; i++) {
        int p = i >= from;
        d->open[i] = p ? NAN : c->open[i];
        d->high[i] = p ? NAN : c->high[i];
        d->low[i] = p ? NAN : c->low[i];
        d->close[i] = p ? NAN : c->close[i];
        d->volume[i] = p ? NAN : c->volume[i];
    }
    tr_candles_index(d);
}

static const char *const feats[] = {"log_return", "rsi:14", "macd", "volume_z", "hour_of_day"};

static int run(const tr_candles *c, const tr_trial_config *cfg, const tr_trial_params *p,
               int prune_after, tr_trial_result *res, seen *sn)
{
    char err[256];
    tr_trial_data d;
    memset(sn, 0, sizeof *sn);
    sn->last_fold = -1;
    sn->prune_after = prune_after;
    if (tr_trial_data_make(c, cfg, &d, err) < 0) {
        CHECK_MSG(0, "%s", err);
        return -1;
    }
    int rc = tr_trial_run(&d, cfg, p, on_fold, sn, res, err);
    CHECK_MSG(rc == 0, "%s", err);
    tr_trial_data_free(&d);
    return rc;
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
    tr_trial_config cfg;
    tr_trial_config_default(&cfg);
    cfg.features = feats;
    cfg.n_features = 5;
    cfg.folds = 3;
    cfg.max_epochs = 2;
    cfg.patience = 2;
    cfg.seed = 7;
    tr_trial_params p;
    tr_trial_params_default(&p);
    p.seq_len = 16;
    p.units = 8;
    p.layers = 1;
    p.dropout = 0.1;
    p.learning_rate = 3e-3;
    p.batch_size = 64;
    p.l2 = 0.0;
    p.clip_norm = 1.0;

    tr_trial_result base;
    seen sn;
    if (run(&c, &cfg, &p, -1, &base, &sn) == 0) {
        CHECK_INT(base.n_folds, 3);
        CHECK_INT(sn.calls, 3);
        CHECK(!base.pruned);
        double sum = 0;
        for (int k = 0; k < base.n_folds; k++) {
            tr_fold_result *r = &base.folds[k];
            sum += r->value;
            CHECK_NEAR(sn.values[k], r->value, 0);
            CHECK_NEAR(r->value, r->test.log_loss, 0);
            CHECK(r->n_train > 1000 && r->n_val > 100 && r->n_test > 1000);
            CHECK(isfinite(r->test.log_loss) && isfinite(r->test.accuracy) &&
                  isfinite(r->test.roc_auc) && isfinite(r->test.mcc) && isfinite(r->test.brier));
            CHECK(isfinite(r->majority.log_loss) && isfinite(r->logistic.log_loss) &&
                  isfinite(r->logistic.roc_auc));
            CHECK(r->majority.n == r->test.n && r->logistic.n == r->test.n);
            CHECK(isfinite(r->trading.sharpe) && isfinite(r->trading.total_return) &&
                  isfinite(r->buy_hold.sharpe) && r->buy_hold.n_trades == 1);
            CHECK(r->trading.n_bars > r->n_test - 10);
            CHECK(r->fit.epochs_run >= 1 && r->fit.epochs_run <= 2);
            fprintf(stderr, "fold %d: log loss %.4f (majority %.4f, logistic %.4f), auc %.3f, "
                    "sharpe %.2f (buy-hold %.2f)\n", k, r->test.log_loss, r->majority.log_loss,
                    r->logistic.log_loss, r->test.roc_auc, r->trading.sharpe,
                    r->buy_hold.sharpe);
        }
        CHECK_NEAR(base.objective, sum / 3, 1e-15);

        /* pruning after fold 0 */
        tr_trial_result pr;
        if (run(&c, &cfg, &p, 0, &pr, &sn) == 0) {
            CHECK_INT(pr.n_folds, 1);
            CHECK(pr.pruned);
            CHECK(same_fold(&pr.folds[0], &base.folds[0]));   /* same seed, same result */
            tr_trial_result_free(&pr);
        }

        /* the folds' scaled matrices are shared by the trials of one data set: the
         * first trial computes them (3 misses), a second reads them (3 hits) with
         * the same results bit for bit, a trial with another seq_len reads them
         * too (the spans do not depend on it), another scaler kind computes its own */
        tr_trial_data dc;
        int made = tr_trial_data_make(&c, &cfg, &dc, err) == 0;
        CHECK_MSG(made, "%s", err);
        if (made) {
            long hits, misses;
            tr_trial_result r1, r2, r3, r4;
            CHECK(tr_trial_run(&dc, &cfg, &p, NULL, NULL, &r1, err) == 0);
            tr_trial_data_cache_counts(&dc, &hits, &misses);
            CHECK_INT(hits, 0);
            CHECK_INT(misses, 3);
            CHECK(tr_trial_run(&dc, &cfg, &p, NULL, NULL, &r2, err) == 0);
            tr_trial_data_cache_counts(&dc, &hits, &misses);
            CHECK_INT(hits, 3);
            CHECK_INT(misses, 3);
            for (int k = 0; k < 3; k++)
                CHECK_MSG(same_fold(&r1.folds[k], &base.folds[k]) &&
                          same_fold(&r2.folds[k], &base.folds[k]),
                          "fold %d differs with the shared scaled matrix", k);
            tr_trial_params p2 = p;
            p2.seq_len = 24;
            CHECK(tr_trial_run(&dc, &cfg, &p2, NULL, NULL, &r3, err) == 0);
            tr_trial_data_cache_counts(&dc, &hits, &misses);
            CHECK_INT(hits, 6);
            CHECK_INT(misses, 3);
            tr_trial_result r3f;   /* the same trial on fresh data: the same numbers */
            if (run(&c, &cfg, &p2, -1, &r3f, &sn) == 0) {
                for (int k = 0; k < 3; k++)
                    CHECK_MSG(same_fold(&r3.folds[k], &r3f.folds[k]),
                              "seq_len 24: fold %d differs with the shared scaled matrix", k);
                tr_trial_result_free(&r3f);
            }
            tr_trial_config cm = cfg;
            cm.scaler = TR_SCALER_ROBUST;
            CHECK(tr_trial_run(&dc, &cm, &p, NULL, NULL, &r4, err) == 0);
            tr_trial_data_cache_counts(&dc, &hits, &misses);
            CHECK_INT(hits, 6);
            CHECK_INT(misses, 6);
            CHECK(r4.objective != r1.objective);
            tr_trial_result_free(&r1);
            tr_trial_result_free(&r2);
            tr_trial_result_free(&r3);
            tr_trial_result_free(&r4);
            tr_trial_data_free(&dc);
        }

        /* (a) the holdout poisoned */
        tr_trial_data d0;
        CHECK(tr_trial_data_make(&c, &cfg, &d0, err) == 0);
        int first = d0.m.first, rows = d0.m.rows;
        int H = rows - (int)lround(cfg.holdout_fraction * rows);
        tr_trial_data_free(&d0);
        tr_candles pc;
        copy_poisoned(&c, &pc, first + H);
        tr_trial_result a;
        if (run(&pc, &cfg, &p, -1, &a, &sn) == 0) {
            CHECK_INT(a.n_folds, 3);
            for (int k = 0; k < 3; k++)
                CHECK_MSG(same_fold(&a.folds[k], &base.folds[k]),
                          "(a) fold %d differs when the holdout is poisoned", k);
            CHECK(same_d(a.objective, base.objective));
            tr_trial_result_free(&a);
        }
        tr_candles_free(&pc);

        /* (b) rows after fold k's test span poisoned, the trial pruned after fold k */
        int T = H / (cfg.folds + 1), first_len = H - cfg.folds * T;
        for (int k = 0; k < 2; k++) {
            copy_poisoned(&c, &pc, first + first_len + (k + 1) * T);
            tr_trial_result b;
            if (run(&pc, &cfg, &p, k, &b, &sn) == 0) {
                CHECK_INT(b.n_folds, k + 1);
                for (int j = 0; j <= k; j++)
                    CHECK_MSG(same_fold(&b.folds[j], &base.folds[j]),
                              "(b) fold %d differs when rows after fold %d are poisoned", j, k);
                tr_trial_result_free(&b);
            }
            tr_candles_free(&pc);
        }
        tr_trial_result_free(&base);
    }

    /* the final fold */
    tr_trial_data d;
    CHECK(tr_trial_data_make(&c, &cfg, &d, err) == 0);
    tr_fold_result fin;
    tr_lstm *model = NULL;
    tr_scaler sc = {0};
    int rc = tr_trial_final(&d, &cfg, &p, &fin, &model, &sc, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(model != NULL && sc.n_features == d.m.cols);
        CHECK(fin.fold == -1 && fin.n_test > 1000 && isfinite(fin.test.log_loss) &&
              isfinite(fin.logistic.log_loss));
        CHECK(fin.test_last == c.ts[c.n - 1]);
        /* The final fold keeps its per-bar curves: equity from 1, compounded net
         * bar returns, buy-and-hold ending at its total return. */
        const tr_fold_curves *cv = &fin.curves;
        CHECK(cv->n > 1000 && cv->t[0] == fin.test_first);
        CHECK_NEAR(cv->equity[0], 1.0, 0);
        CHECK_NEAR(cv->bh_equity[cv->n], 1.0 + fin.buy_hold.total_return, 1e-9);
        CHECK_NEAR(cv->equity[cv->n], 1.0 + fin.trading.total_return, 1e-9);
        double eq = 1.0;
        for (int i = 0; i < cv->n; i++)
            eq *= 1.0 + cv->bar_returns[i];
        CHECK_NEAR(eq, cv->equity[cv->n], 1e-9);
        /* the model file round trip keeps the scaler and the columns */
        tr_model_meta meta, back;
        CHECK(tr_trial_model_meta(&d, &cfg, p.seq_len, &sc, &meta, err) == 0);
        char mpath[256];
        snprintf(mpath, sizeof mpath, "/tmp/test_trial_%d.model", (int)getpid());
        CHECK_MSG(tr_model_save(mpath, model, &meta, err) == 0, "%s", err);
        tr_lstm *m2 = NULL;
        CHECK_MSG(tr_model_load(mpath, 64, 1, &m2, &back, err) == 0, "%s", err);
        if (m2) {
            CHECK_INT(back.n_features, d.m.cols);
            CHECK_STR_CONTAINS(back.feature_names[4], "hour_of_day.sin");
            CHECK_STR_CONTAINS(back.scaler_kind, "standard");
            CHECK(back.seq_len == p.seq_len && back.horizon == 1);
            CHECK(back.scaler_center[1] == (float)sc.center[1]);
            tr_model_meta_free(&back);
            tr_lstm_free(m2);
        }
        unlink(mpath);
        tr_model_meta_free(&meta);
    }
    tr_lstm_free(model);
    tr_scaler_free(&sc);
    /* per-layer sizes reach the model: layers of 6 and 3 units, the second's
     * output undropped; units_3 and dropout_4 belong to no layer and are ignored */
    tr_trial_params pl = p;
    pl.layers = 2;
    pl.layer_units[0] = 6;
    pl.layer_units[1] = 3;
    pl.layer_units[2] = 40;
    pl.layer_dropout[1] = 0.0;
    pl.layer_dropout[3] = 0.9;
    tr_fold_result fin2;
    model = NULL;
    rc = tr_trial_final(&d, &cfg, &pl, &fin2, &model, NULL, err);
    CHECK_MSG(rc == 0, "per-layer sizes: %s", err);
    if (rc == 0 && model) {
        CHECK_INT(tr_lstm_layer_units(&model->cfg, 0), 6);
        CHECK_INT(tr_lstm_layer_units(&model->cfg, 1), 3);
        CHECK(tr_lstm_layer_dropout(&model->cfg, 0) == 0.1f);
        CHECK(tr_lstm_layer_dropout(&model->cfg, 1) == 0.0f);
        CHECK_INT((int)model->n_params, 4 * 6 * (d.m.cols + 6 + 2) + 4 * 3 * (6 + 3 + 2) + 3 + 1);
        CHECK(isfinite(fin2.test.log_loss));
    }
    tr_lstm_free(model);
    if (rc == 0)
        tr_fold_result_free(&fin2);
    /* bad metric names */
    double v;
    CHECK(tr_fold_metric(&fin, "val_mse", &v, err) < 0);
    CHECK_STR_CONTAINS(err, "needs target.kind return");
    CHECK(tr_fold_metric(&fin, "profit", &v, err) < 0);
    CHECK_STR_CONTAINS(err, "unknown metric 'profit'");
    tr_fold_result_free(&fin);
    tr_trial_data_free(&d);
    tr_candles_free(&c);
    return check_done();
}
