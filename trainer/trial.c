/*
 * trial.c - one trial end to end over the walk-forward folds (see trial.h).
 *
 * Fold lifecycle inside tr_trial_run:
 *   scaler fit (train rows) -> scaled copy -> LSTM new + fit (train, val)
 *   -> predict test -> metrics + baselines -> value -> callback
 *   -> next fold | PRUNED (callback non-zero) | FAIL (error: the run stops)
 * One scaled copy of the matrix and one model per fold; the model is freed
 * before the next fold starts.
 */
#include "trainer/trial.h"

#include "trainer/perm_importance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tr_trial_params_default(tr_trial_params *p)
{
    tr_fit_options fit;
    tr_fit_options_default(&fit);
    memset(p, 0, sizeof *p);
    p->seq_len = 32;
    p->units = 32;
    p->layers = 1;
    p->dropout = 0;
    p->learning_rate = fit.lr;
    p->batch_size = fit.batch_size;
    p->l2 = fit.weight_decay;
    p->clip_norm = fit.clip_norm;
    for (int l = 0; l < TR_LSTM_MAX_LAYERS; l++)
        p->layer_dropout[l] = NAN;
}

/* The per-layer overrides of p into the model's config (NaN dropout: unset). */
static void layer_overrides(const tr_trial_params *p, tr_lstm_config *lc)
{
    for (int l = 0; l < TR_LSTM_MAX_LAYERS; l++) {
        lc->layer_units[l] = p->layer_units[l];
        if (!isnan(p->layer_dropout[l])) {
            lc->layer_dropout[l] = (float)p->layer_dropout[l];
            lc->layer_dropout_set |= 1u << l;
        }
    }
}

void tr_trial_config_default(tr_trial_config *cfg)
{
    tr_fit_options fit;
    tr_fit_options_default(&fit);
    memset(cfg, 0, sizeof *cfg);
    cfg->target = (tr_label_spec){TR_TARGET_DIRECTION, 1, 0.0, 0};
    cfg->gaps = TR_GAP_DROP;
    cfg->folds = 5;
    cfg->val_fraction = 0.15;
    cfg->holdout_fraction = 0.15;
    cfg->scaler = TR_SCALER_STANDARD;
    cfg->max_epochs = fit.max_epochs;
    cfg->patience = fit.patience;
    cfg->plateau_factor = fit.plateau_factor;
    cfg->plateau_patience = fit.plateau_patience;
    cfg->blas_threads = 1;
    cfg->fee_bps = 10;
    cfg->long_threshold = 0.55;
    cfg->short_threshold = 0.45;
    cfg->metric = "val_log_loss";
}

/* ---- the folds' scaled matrices, shared by the trials of a study ---- */

/* A fold's spans come from the row count and the spec (folds, rolling,
 * val_fraction, holdout_fraction), never from a trial's parameters, and its
 * scaler is fit on the training rows [train_begin, train_end) and applied to rows
 * [0, test_end). So every trial gets the same scaler and scaled rows for a fold
 * and scaler kind: the first computes them, the others read them here. The
 * entries stay within SCALED_BUDGET bytes (least recently used out first); a
 * fold that does not fit is scaled into the caller's buffer as before. */
#define SCALED_SLOTS 16
#define SCALED_BUDGET ((size_t)256 << 20)

typedef struct scaled_entry {
    float *xs;                 /* (rows, cols) scaled; NULL: the slot is empty */
    tr_scaler sc;
    tr_scaler_kind kind;
    int train_begin, train_end, rows;
    unsigned long stamp;       /* last use */
} scaled_entry;

struct tr_scaled_cache {
    scaled_entry e[SCALED_SLOTS];
    size_t bytes;
    unsigned long clock;
    long hits, misses;
};

static void scaled_drop(struct tr_scaled_cache *c, scaled_entry *e, int cols)
{
    if (e->xs)
        c->bytes -= (size_t)e->rows * (size_t)cols * sizeof *e->xs;
    free(e->xs);
    tr_scaler_free(&e->sc);
    memset(e, 0, sizeof *e);
}

static void scaled_cache_free(struct tr_scaled_cache *c, int cols)
{
    if (!c)
        return;
    for (int i = 0; i < SCALED_SLOTS; i++)
        scaled_drop(c, &c->e[i], cols);
    free(c);
}

void tr_trial_data_cache_counts(const tr_trial_data *d, long *hits, long *misses)
{
    *hits = d->scaled ? d->scaled->hits : 0;
    *misses = d->scaled ? d->scaled->misses : 0;
}

/* The entry for fold f and kind, or NULL. */
static scaled_entry *scaled_find(struct tr_scaled_cache *c, tr_scaler_kind kind,
                                 const tr_fold *f)
{
    for (int i = 0; c && i < SCALED_SLOTS; i++) {
        scaled_entry *e = &c->e[i];
        if (e->xs && e->kind == kind && e->train_begin == f->train_begin &&
            e->train_end == f->train_end && e->rows == f->test_end)
            return e;
    }
    return NULL;
}

/* Room for n bytes: an empty slot, after dropping the least recently used
 * entries while over the budget; NULL when n alone exceeds it. */
static scaled_entry *scaled_room(struct tr_scaled_cache *c, size_t n, int cols)
{
    if (n > SCALED_BUDGET)
        return NULL;
    for (;;) {
        scaled_entry *empty = NULL, *old = NULL;
        for (int i = 0; i < SCALED_SLOTS; i++) {
            scaled_entry *e = &c->e[i];
            if (!e->xs && !empty)
                empty = e;
            if (e->xs && (!old || e->stamp < old->stamp))
                old = e;
        }
        if (empty && c->bytes + n <= SCALED_BUDGET)
            return empty;
        scaled_drop(c, old, cols);
    }
}

void tr_trial_data_free(tr_trial_data *d)
{
    scaled_cache_free(d->scaled, d->m.cols);
    tr_features_free(&d->m);
    free(d->y);
    memset(d, 0, sizeof *d);
}

int tr_trial_data_make(const tr_candles *c, const tr_trial_config *cfg, tr_trial_data *d,
                       char err[256])
{
    memset(d, 0, sizeof *d);
    d->candles = c;
    if (tr_features_compute(c, cfg->features, cfg->n_features, &d->m, err) < 0)
        return -1;
    d->y = malloc((size_t)d->m.rows * sizeof *d->y);
    if (!d->y) {
        snprintf(err, 256, "out of memory for %d labels", d->m.rows);
        goto fail;
    }
    if (tr_labels_make(c, d->m.first, d->m.rows, &cfg->target, d->y, err) < 0)
        goto fail;
    d->scaled = calloc(1, sizeof *d->scaled);   /* none: every fold is scaled afresh */
    return 0;
fail:
    tr_trial_data_free(d);
    return -1;
}

void tr_fold_result_free(tr_fold_result *r)
{
    free(r->curves.t);
    free(r->curves.equity);
    free(r->curves.bh_equity);
    free(r->curves.bar_returns);
    free(r->curves.pred);
    free(r->curves.y);
    free(r->curves.p_model);
    free(r->curves.p_noskill);
    free(r->curves.p_linear);
    free(r->curves.probs);
    free(r->curves.fc_t);
    free(r->curves.fc_actual);
    free(r->curves.fc_pred);
    memset(&r->curves, 0, sizeof r->curves);
}

void tr_trial_result_free(tr_trial_result *res)
{
    for (int k = 0; k < res->n_folds; k++)
        tr_fold_result_free(&res->folds[k]);
    free(res->folds);
    memset(res, 0, sizeof *res);
}

int tr_fold_metric(const tr_fold_result *r, const char *name, double *value, char err[256])
{
    /* need: a mask of the targets a metric applies to (1 direction, 2 return,
     * 4 multiclass, 8 price), 0 = any */
    const int mc = r->kind == TR_TARGET_MULTICLASS;
    const struct { const char *name; double v; int need; } t[] = {
        {"val_log_loss", mc ? r->mc.log_loss : r->test.log_loss, 5},
        {"val_accuracy", mc ? r->mc.accuracy : r->test.accuracy, 5},
        {"val_balanced_accuracy", mc ? r->mc.balanced_accuracy : r->test.balanced_accuracy, 5},
        {"val_macro_f1", r->mc.macro_f1, 4},
        {"val_auc", r->test.roc_auc, 1},
        {"val_brier", r->test.brier, 1},
        {"val_mcc", r->test.mcc, 1},
        {"val_mse", r->mse, 2},
        {"val_mae", r->kind == TR_TARGET_PRICE ? r->price.mae : r->mae, 10},
        {"val_rmse", r->price.rmse, 8},
        {"val_mape", r->price.mape, 8},
        {"val_directional_accuracy", r->price.directional_accuracy, 8},
        {"sharpe", r->trading.sharpe, 0},
        {"sortino", r->trading.sortino, 0},
        {"total_return", r->trading.total_return, 0},
        {"max_drawdown", r->trading.max_drawdown, 0},
    };
    int have = 1 << r->kind;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (strcmp(name, t[i].name) != 0)
            continue;
        if (t[i].need && !(t[i].need & have)) {
            snprintf(err, 256, "metric '%s' needs target.kind %s", name,
                     t[i].need == 1 ? "direction" : t[i].need == 2 ? "return"
                     : t[i].need == 4 ? "multiclass" : t[i].need == 8 ? "price"
                     : t[i].need == 10 ? "return or price" : "direction or multiclass");
            return -1;
        }
        *value = t[i].v;
        return 0;
    }
    snprintf(err, 256, "unknown metric '%.100s'", name);
    return -1;
}

typedef struct epoch_ctx {
    const tr_trial_config *cfg;
    int fold;
} epoch_ctx;

static int epoch_relay(void *user, const tr_epoch_report *r)
{
    epoch_ctx *e = user;
    return e->cfg->on_epoch(e->cfg->epoch_user, e->fold, r);
}

static void nan_class(tr_class_metrics *m)
{
    m->accuracy = m->balanced_accuracy = m->log_loss = m->brier = m->roc_auc = m->mcc = NAN;
}

/* The final fold's per-sample arrays (see tr_fold_curves); linear: with
 * p_linear; k > 1: with probs (nt x k). */
static int final_samples(tr_fold_result *r, int nt, int linear, int k)
{
    tr_fold_curves *cv = &r->curves;
    size_t b = sizeof(double) * (size_t)(nt > 0 ? nt : 1);
    cv->y = malloc(b);
    cv->p_model = malloc(b);
    cv->p_noskill = malloc(b);
    cv->p_linear = linear ? malloc(b) : NULL;
    cv->probs = k > 1 ? malloc(b * (size_t)k) : NULL;
    cv->n_samples = nt;
    cv->n_classes = k > 1 ? k : 0;
    return cv->y && cv->p_model && cv->p_noskill && (!linear || cv->p_linear) &&
                   (k <= 1 || cv->probs)
               ? 0
               : -1;
}

/* Multiclass, final fold: the paired test's samples (see tr_fold_curves). pd
 * (nt x K) the model's probabilities, yd the realised classes, ytr the
 * training labels (n_train) for the class frequencies; the softmax baseline is
 * refitted on tw to get its per-sample probabilities. */
static int final_samples_multi(tr_fold_result *r, const double *pd, const double *yd, int nt,
                               const double *ytr, int n_train, const tr_windows *tw,
                               const tr_windows *te, char why[256])
{
    const int K = TR_MULTICLASS_K;
    double freq[TR_MULTICLASS_K] = {0}, *pl = NULL;
    tr_multiclass_metrics tmp;
    if (final_samples(r, nt, 1, K) < 0 || !(pl = malloc(sizeof *pl * (size_t)(nt + 1) * K))) {
        snprintf(why, 256, "out of memory");
        return -1;
    }
    if (tr_baseline_softmax(tw, te, K, &tmp, pl, why) < 0) {
        free(pl);
        return -1;
    }
    for (int i = 0; i < n_train; i++)
        if (ytr[i] >= 0 && ytr[i] < K)
            freq[(int)ytr[i]] += 1.0 / n_train;
    tr_fold_curves *cv = &r->curves;
    for (int i = 0; i < nt; i++) {
        int c = (int)yd[i];
        if (c < 0 || c >= K)
            c = 0;
        cv->y[i] = yd[i];
        cv->p_model[i] = pd[(size_t)i * K + c];
        cv->p_noskill[i] = freq[c];
        cv->p_linear[i] = pl[(size_t)i * K + c];
        for (int j = 0; j < K; j++)
            cv->probs[(size_t)i * K + j] = pd[(size_t)i * K + j];
    }
    free(pl);
    return 0;
}

/* Price target (issue 17): the test windows' forecasts in price units,
 * close[t+h] = close[t] exp(z_hat scale + center) with t the window end, scored
 * with persistence and the linear baseline beside them; the final fold (k < 0)
 * keeps the forecasts for the report. pd (f->n_test) holds the scaled outputs. */
static int score_price(const tr_candles *c, int first, const tr_fold *f, int h, int k,
                       const double *pd, const tr_windows *tw0, const tr_windows *te,
                       tr_fold_result *r, char why[256])
{
    int nt = f->n_test, rc = -1;
    double *pa = NULL;
    pa = malloc(sizeof *pa * (size_t)(4 * nt + 1));
    if (!pa) {
        snprintf(why, 256, "out of memory");
        goto done;
    }
    double *fc = pa, *act = pa + nt, *base = pa + 2 * nt, *lin = pa + 3 * nt;
    for (int i = 0; i < nt; i++) {
        int t = first + f->test[i];
        base[i] = c->close[t];
        act[i] = c->close[t + h];
        fc[i] = base[i] * exp(pd[i] * r->target_scale + r->target_center);
    }
    tr_fold_curves *fcv = &r->curves;
    if (k < 0) {   /* the final holdout fold keeps its forecasts for the report */
        fcv->fc_t = malloc(sizeof *fcv->fc_t * (size_t)nt + 1);
        fcv->fc_actual = malloc(sizeof *fcv->fc_actual * (size_t)nt + 1);
        fcv->fc_pred = malloc(sizeof *fcv->fc_pred * (size_t)nt + 1);
        if (!fcv->fc_t || !fcv->fc_actual || !fcv->fc_pred) {
            snprintf(why, 256, "out of memory");
            goto done;
        }
        fcv->n_fc = nt;
        for (int i = 0; i < nt; i++) {
            fcv->fc_t[i] = c->ts[first + f->test[i] + h];
            fcv->fc_actual[i] = act[i];
            fcv->fc_pred[i] = fc[i];
        }
    }
    if (tr_price_score(fc, act, base, nt, &r->price, why) < 0 ||
        tr_price_score(base, act, base, nt, &r->persistence, why) < 0 ||
        tr_baseline_linear(tw0, te, lin, why) < 0)
        goto done;
    for (int i = 0; i < nt; i++)
        fc[i] = base[i] * exp(lin[i]);
    if (tr_price_score(fc, act, base, nt, &r->linear, why) < 0)
        goto done;
    if (k < 0) {   /* the paired test's samples, in price units */
        if (final_samples(r, nt, 1, 0) < 0) {
            snprintf(why, 256, "out of memory");
            goto done;
        }
        for (int i = 0; i < nt; i++) {
            fcv->y[i] = act[i];
            fcv->p_model[i] = fcv->fc_pred[i];
            fcv->p_noskill[i] = base[i];
            fcv->p_linear[i] = fc[i];
        }
    }
    rc = 0;
done:
    free(pa);
    return rc;
}

/* Trains and scores one fold f (fold index k, -1 for the final one). The scaled
 * matrix goes to xs (rows x cols, caller's buffer). On success *model_out and
 * *scaler_out (when not NULL) receive the fitted model and scaler. */
/* One fold's work in progress: its inputs, the model and the buffers that
 * run_fold's steps share (freed by fold_free). */
typedef struct {
    const tr_trial_data *d;
    const tr_trial_config *cfg;
    const tr_trial_params *p;
    const tr_fold *f;
    int k, K, dir, mc, price;
    float *buf;                   /* the caller's (rows x cols) room */
    const float *xs;              /* the scaled matrix: buf or the cache's copy */
    tr_fold_result *r;
    tr_scaler sc;
    tr_lstm *m;
    tr_windows tw, vw, te, tw0;   /* train, val, test; tw0: unscaled labels (baselines) */
    float *pred, *ys;
    double *pd, *yd, *ytr, *pos, *ret;
    int *trade;
    unsigned char *pos_window;
    char why[256];
} fold_run;

/* The result before anything is computed: the fold's spans, every metric NaN. */
static void fold_result_init(fold_run *fr)
{
    tr_fold_result *r = fr->r;
    const tr_candles *c = fr->d->candles;
    int first = fr->d->m.first;
    memset(r, 0, sizeof *r);
    r->fold = fr->k;
    r->kind = fr->cfg->target.kind;
    r->n_train = fr->f->n_train;
    r->n_val = fr->f->n_val;
    r->n_test = fr->f->n_test;
    r->test_first = c->ts[first + fr->f->test_begin];
    r->test_last = c->ts[first + fr->f->test_end - 1];
    nan_class(&r->test);
    nan_class(&r->majority);
    nan_class(&r->logistic);
    tr_multiclass_metrics_nan(&r->mc);
    tr_multiclass_metrics_nan(&r->mc_majority);
    tr_multiclass_metrics_nan(&r->mc_logistic);
    tr_price_metrics_nan(&r->price);
    tr_price_metrics_nan(&r->persistence);
    tr_price_metrics_nan(&r->linear);
    r->target_center = r->target_scale = NAN;
    r->mse = r->mae = NAN;
}

/* fr->sc and fr->xs: the scaler fitted on the fold's training span and the
 * matrix scaled with it, from d's cache when an earlier trial left them there.
 * -1 and fr->why on failure. */
static int fold_scale(fold_run *fr)
{
    const tr_trial_data *d = fr->d;
    const tr_fold *f = fr->f;
    const int cols = d->m.cols;
    struct tr_scaled_cache *c = d->scaled;
    scaled_entry *e = scaled_find(c, fr->cfg->scaler, f);
    if (e) {
        if (tr_scaler_copy(&fr->sc, &e->sc) < 0) {
            snprintf(fr->why, sizeof fr->why, "out of memory");
            return -1;
        }
        e->stamp = ++c->clock;
        c->hits++;
        fr->xs = e->xs;
        return 0;
    }
    if (tr_scaler_fit(&fr->sc, fr->cfg->scaler, d->m.x, cols, f->train_begin, f->train_end,
                      fr->why) < 0)
        return -1;
    /* Only rows up to the end of the test span are scaled: nothing later is read. */
    size_t n = (size_t)f->test_end * (size_t)cols * sizeof *e->xs;
    e = c ? scaled_room(c, n, cols) : NULL;
    if (e && (e->xs = malloc(n + 1)) && tr_scaler_copy(&e->sc, &fr->sc) == 0) {
        tr_scaler_apply(&fr->sc, d->m.x, e->xs, f->test_end);
        e->kind = fr->cfg->scaler;
        e->train_begin = f->train_begin;
        e->train_end = f->train_end;
        e->rows = f->test_end;
        e->stamp = ++c->clock;
        c->bytes += n;
        c->misses++;
        fr->xs = e->xs;
        return 0;
    }
    if (e) {   /* out of memory for the copy: scale into the caller's room */
        free(e->xs);
        e->xs = NULL;
    }
    tr_scaler_apply(&fr->sc, d->m.x, fr->buf, f->test_end);
    fr->xs = fr->buf;
    return 0;
}

/* Scaler (fitted on the training span), model, the price target's scaling and
 * the fit. -1 and fr->why on failure. */
static int fold_train(fold_run *fr)
{
    const tr_trial_data *d = fr->d;
    const tr_trial_config *cfg = fr->cfg;
    const tr_trial_params *p = fr->p;
    const tr_fold *f = fr->f;
    const int cols = d->m.cols, T = p->seq_len;
    if (fold_scale(fr) < 0)
        return -1;
    tr_lstm_config lc = {.n_features = cols, .units = p->units, .layers = p->layers,
                         .seq_len = T, .max_batch = p->batch_size, .dropout = (float)p->dropout,
                         .head = fr->dir ? TR_HEAD_DIRECTION : fr->mc ? TR_HEAD_MULTICLASS
                                                                      : TR_HEAD_RETURN,
                         .blas_threads = cfg->blas_threads, .bidirectional = p->bidirectional,
                         .n_classes = fr->K};
    for (int j = 0; fr->mc && j < fr->K; j++)
        lc.class_weight[j] = cfg->class_weight[j];
    layer_overrides(p, &lc);
    if (!(fr->m = tr_lstm_new(&lc, fr->why)))
        return -1;
    fr->tw = (tr_windows){fr->xs, d->y, f->train, f->n_train, T, cols};
    fr->vw = (tr_windows){fr->xs, d->y, f->val, f->n_val, T, cols};
    fr->te = (tr_windows){fr->xs, d->y, f->test, f->n_test, T, cols};
    fr->tw0 = fr->tw;
    if (fr->price) {
        /* The network learns z = (y - center) / scale, center and scale from this
         * fold's training labels only; labels elsewhere are scaled with them. */
        double tc, ts;
        if (tr_target_scaler_fit(&fr->tw, &tc, &ts, fr->why) < 0)
            return -1;
        fr->r->target_center = tc;
        fr->r->target_scale = ts;
        if (!(fr->ys = malloc(sizeof *fr->ys * (size_t)d->m.rows + 1))) {
            snprintf(fr->why, sizeof fr->why, "out of memory");
            return -1;
        }
        for (int i = 0; i < d->m.rows; i++)
            fr->ys[i] = (float)((d->y[i] - tc) / ts);
        fr->tw.y = fr->vw.y = fr->te.y = fr->ys;
    }
    tr_fit_options fo;
    tr_fit_options_default(&fo);
    fo.batch_size = p->batch_size;
    fo.max_epochs = cfg->max_epochs;
    fo.lr = p->learning_rate;
    fo.weight_decay = p->l2;
    fo.l1 = p->l1;
    fo.input_noise = p->input_noise;
    fo.clip_norm = p->clip_norm;
    fo.plateau_factor = cfg->plateau_factor;
    fo.plateau_patience = cfg->plateau_patience;
    fo.patience = cfg->patience;
    fo.restore_best = 1;
    fo.init_weights = 1;
    fo.seed = cfg->seed + (unsigned long)(fr->k + 1);
    epoch_ctx ectx = {cfg, fr->k};
    if (cfg->on_epoch) {
        fo.on_epoch = epoch_relay;
        fo.user = &ectx;
    }
    return tr_fit(fr->m, &fr->tw, f->n_val > 0 ? &fr->vw : NULL, &fo, &fr->r->fit, fr->why) < 0
               ? -1 : 0;
}

/* Classification targets' test metrics and baselines (and, for the final fold,
 * the paired test's samples). */
static int fold_score_class(fold_run *fr, int nt)
{
    tr_fold_result *r = fr->r;
    const tr_fold *f = fr->f;
    for (int i = 0; i < f->n_train; i++)
        fr->ytr[i] = fr->d->y[f->train[i]];
    if (fr->mc) {
        if (tr_metrics_multiclass(fr->pd, fr->yd, nt, fr->K, &r->mc, fr->why) < 0 ||
            tr_baseline_majority_multi(fr->ytr, f->n_train, fr->yd, nt, fr->K, &r->mc_majority,
                                       fr->why) < 0 ||
            tr_baseline_softmax(&fr->tw, &fr->te, fr->K, &r->mc_logistic, NULL, fr->why) < 0)
            return -1;
        return fr->k < 0 ? final_samples_multi(r, fr->pd, fr->yd, nt, fr->ytr, f->n_train,
                                               &fr->tw, &fr->te, fr->why)
                         : 0;
    }
    if (tr_metrics_classify(fr->pd, fr->yd, nt, &r->test, fr->why) < 0)
        return -1;
    if (fr->k < 0 && final_samples(r, nt, 1, 0) < 0) {
        snprintf(fr->why, sizeof fr->why, "out of memory");
        return -1;
    }
    if (tr_baseline_majority(fr->ytr, f->n_train, fr->yd, nt, &r->majority, fr->why) < 0 ||
        tr_baseline_logistic(&fr->tw, &fr->te, &r->logistic, r->curves.p_linear, fr->why) < 0)
        return -1;
    if (fr->k < 0) {
        double rate = 0;
        for (int i = 0; i < f->n_train; i++)
            rate += fr->ytr[i] / f->n_train;
        for (int i = 0; i < nt; i++)
            r->curves.p_noskill[i] = rate;
    }
    return 0;
}

/* Test windows: predictions against labels, the target's metrics and baselines. */
static int fold_score(fold_run *fr)
{
    const tr_fold *f = fr->f;
    tr_fold_result *r = fr->r;
    int nt = f->n_test, K = fr->K;
    size_t span = (size_t)(f->test_end - f->test_begin + 1);
    fr->pred = malloc(span * K * sizeof *fr->pred);
    fr->pd = malloc(span * K * sizeof *fr->pd);
    fr->yd = malloc((size_t)(nt + 1) * sizeof *fr->yd);
    fr->ytr = malloc((size_t)(f->n_train + 1) * sizeof *fr->ytr);
    if (!fr->pred || !fr->pd || !fr->yd || !fr->ytr) {
        snprintf(fr->why, sizeof fr->why, "out of memory");
        return -1;
    }
    if (tr_lstm_predict(fr->m, &fr->te, fr->pred, fr->why) < 0)
        return -1;
    for (int i = 0; i < nt; i++) {
        for (int j = 0; j < K; j++)
            fr->pd[(size_t)i * K + j] = fr->pred[(size_t)i * K + j];
        fr->yd[i] = fr->d->y[f->test[i]];
    }
    if (fr->mc || fr->dir) {
        if (fold_score_class(fr, nt) < 0)
            return -1;
    } else if (fr->price) {
        if (score_price(fr->d->candles, fr->d->m.first, f, fr->cfg->target.horizon, fr->k,
                        fr->pd, &fr->tw0, &fr->te, r, fr->why) < 0)
            return -1;
    } else if (tr_metrics_regress(fr->pd, fr->yd, nt, &r->mse, &r->mae, fr->why) < 0) {
        return -1;
    } else if (fr->k < 0) {
        if (final_samples(r, nt, 0, 0) < 0) {
            snprintf(fr->why, sizeof fr->why, "out of memory");
            return -1;
        }
        /* persistence: the last return realised at the window's end (label of row e - h) */
        for (int i = 0; i < nt; i++) {
            int e = f->test[i] - fr->cfg->target.horizon;
            r->curves.p_noskill[i] = e >= 0 && isfinite(fr->d->y[e]) ? fr->d->y[e] : 0;
        }
    }
    if (fr->k < 0 && r->curves.y && !fr->mc && !fr->price)   /* the paired test's */
        for (int i = 0; i < nt; i++)
            r->curves.y[i] = fr->yd[i], r->curves.p_model[i] = fr->pd[i];
    return 0;
}

/* The traded signal of test prediction j: P(up) for direction, P(up) - P(down)
 * for multiclass, the forecast return otherwise. */
static double fold_signal(const fold_run *fr, int j)
{
    const float *pred = fr->pred;
    if (fr->mc)
        return (double)pred[(size_t)j * fr->K + 2] - pred[(size_t)j * fr->K];
    return fr->price ? pred[j] * fr->r->target_scale + fr->r->target_center : pred[j];
}

/* The fold's curves over nb bars (every fold keeps them: the trial's
 * out-of-sample series); cv->pred is the traded signal, NaN without a window. */
static int fold_curves(fold_run *fr, int nb)
{
    tr_fold_curves *cv = &fr->r->curves;
    const tr_candles *c = fr->d->candles;
    int first = fr->d->m.first;
    cv->t = malloc((size_t)(nb + 1) * sizeof *cv->t);
    cv->equity = malloc((size_t)(nb + 1) * sizeof *cv->equity);
    cv->bh_equity = malloc((size_t)(nb + 1) * sizeof *cv->bh_equity);
    cv->bar_returns = malloc((size_t)nb * sizeof *cv->bar_returns);
    cv->pred = malloc((size_t)nb * sizeof *cv->pred);
    if (!cv->t || !cv->equity || !cv->bh_equity || !cv->bar_returns || !cv->pred) {
        snprintf(fr->why, sizeof fr->why, "out of memory");
        return -1;
    }
    cv->n = nb;
    cv->row0 = first + fr->f->test_begin;
    for (int i = 0; i <= nb; i++)
        cv->t[i] = c->ts[first + fr->f->test_begin + i];
    for (int i = 0, j = 0; i < nb; i++)
        cv->pred[i] = fr->pos_window[i] ? fold_signal(fr, j++) : NAN;
    return 0;
}

/* Backtest: every bar of the test span whose next close is still in the span
 * (bar i is held over close[i] -> close[i+1]). Bars without a usable window
 * (too early, or spanning a dropped gap) stay flat. */
static int fold_backtest(fold_run *fr)
{
    const tr_fold *f = fr->f;
    const tr_trial_config *cfg = fr->cfg;
    const tr_candles *c = fr->d->candles;
    int first = fr->d->m.first, T = fr->p->seq_len, nb = 0, nw = 0;
    size_t span = (size_t)(f->test_end - f->test_begin + 1);
    fr->trade = malloc(span * sizeof *fr->trade);
    fr->pos = malloc(span * sizeof *fr->pos);
    fr->ret = malloc(span * sizeof *fr->ret);
    fr->pos_window = malloc(span);
    if (!fr->trade || !fr->pos || !fr->ret || !fr->pos_window) {
        snprintf(fr->why, sizeof fr->why, "out of memory");
        return -1;
    }
    for (int e = f->test_begin; e + 1 < f->test_end; e++) {
        int ok = e >= T - 1 && (cfg->gaps == TR_GAP_KEEP || !tr_candles_spans_gap(c, first + e, T));
        fr->ret[nb] = c->close[first + e + 1] / c->close[first + e] - 1;
        fr->pos[nb] = ok ? 1.0 : 0.0;     /* 1 marks a bar with a window; set below */
        if (ok)
            fr->trade[nw++] = e;
        nb++;
    }
    if (nb == 0)
        return 0;
    tr_windows bw = {fr->xs, fr->d->y, fr->trade, nw, T, fr->d->m.cols};
    if (nw > 0 && tr_lstm_predict(fr->m, &bw, fr->pred, fr->why) < 0)
        return -1;
    tr_backtest_config bc = {cfg->fee_bps, cfg->long_threshold, cfg->short_threshold,
                             365.25 * 86400.0 / (double)(c->interval > 0 ? c->interval : 1)};
    for (int i = 0; i < nb; i++)
        fr->pos_window[i] = fr->pos[i] != 0;
    for (int i = 0, j = 0; i < nb; i++) {
        if (fr->pos[i] == 0)
            continue;
        double q = fold_signal(fr, j++);
        fr->pos[i] = q > bc.long_threshold ? 1.0 : q < bc.short_threshold ? -1.0 : 0.0;
    }
    tr_fold_curves *cv = &fr->r->curves;
    if (fold_curves(fr, nb) < 0 ||
        tr_metrics_trading(NULL, fr->pos, fr->ret, nb, &bc, &fr->r->trading, cv->equity,
                           cv->bar_returns, fr->why) < 0 ||
        tr_metrics_buy_hold(fr->ret, nb, &bc, &fr->r->buy_hold, cv->bh_equity, fr->why) < 0)
        return -1;
    return 0;
}

static void fold_free(fold_run *fr)
{
    tr_scaler_free(&fr->sc);
    tr_lstm_free(fr->m);
    free(fr->pred);
    free(fr->pd);
    free(fr->yd);
    free(fr->ytr);
    free(fr->pos);
    free(fr->ret);
    free(fr->trade);
    free(fr->pos_window);
    free(fr->ys);
}

static int run_fold(const tr_trial_data *d, const tr_trial_config *cfg, const tr_trial_params *p,
                    const tr_fold *f, int k, float *xs, const float **xs_used, tr_fold_result *r,
                    tr_lstm **model_out, tr_scaler *scaler_out, char err[256])
{
    fold_run fr;
    memset(&fr, 0, sizeof fr);
    fr.d = d;
    fr.cfg = cfg;
    fr.p = p;
    fr.f = f;
    fr.k = k;
    fr.buf = xs;
    fr.r = r;
    fr.dir = cfg->target.kind == TR_TARGET_DIRECTION;
    fr.mc = cfg->target.kind == TR_TARGET_MULTICLASS;
    fr.price = cfg->target.kind == TR_TARGET_PRICE;
    fr.K = fr.mc ? TR_MULTICLASS_K : 1;
    fold_result_init(&fr);
    int rc = -1;
    if (fold_train(&fr) < 0 || fold_score(&fr) < 0 || fold_backtest(&fr) < 0 ||
        tr_fold_metric(r, cfg->metric, &r->value, fr.why) < 0)
        goto fail;
    if (!isfinite(r->value) && strcmp(cfg->metric, "val_auc") != 0) {
        snprintf(fr.why, sizeof fr.why, "the objective %s is not finite", cfg->metric);
        goto fail;
    }
    if (xs_used)
        *xs_used = fr.xs;
    if (model_out) {
        *model_out = fr.m;
        fr.m = NULL;
    }
    if (scaler_out) {
        *scaler_out = fr.sc;
        memset(&fr.sc, 0, sizeof fr.sc);
    }
    rc = 0;
    goto done;
fail:
    tr_fold_result_free(r);
    if (k >= 0)
        snprintf(err, 256, "fold %d: %.230s", k, fr.why);
    else
        snprintf(err, 256, "final fold: %.230s", fr.why);
done:
    fold_free(&fr);
    return rc;
}

static tr_split_config split_config(const tr_trial_config *cfg, const tr_trial_params *p)
{
    tr_split_config sc = {cfg->folds, cfg->rolling, cfg->val_fraction, cfg->holdout_fraction,
                          cfg->embargo, p->seq_len, cfg->target.horizon,
                          cfg->gaps == TR_GAP_KEEP};
    return sc;
}

int tr_trial_run(const tr_trial_data *d, const tr_trial_config *cfg, const tr_trial_params *p,
                 tr_fold_fn on_fold, void *user, tr_trial_result *res, char err[256])
{
    memset(res, 0, sizeof *res);
    tr_split s = {0};
    float *xs = NULL;
    tr_split_config sc = split_config(cfg, p);
    if (tr_split_make(&sc, d->m.rows, d->y, d->candles->segment + d->m.first, &s, err) < 0)
        goto fail;
    res->folds = calloc((size_t)s.n_folds, sizeof *res->folds);
    xs = malloc((size_t)d->m.rows * (size_t)d->m.cols * sizeof *xs);
    if (!res->folds || !xs) {
        snprintf(err, 256, "out of memory for a trial over %d rows", d->m.rows);
        goto fail;
    }
    double sum = 0;
    for (int k = 0; k < s.n_folds; k++) {
        tr_fold_result *r = &res->folds[k];
        /* An empty fold fails when it is reached, so a pruned trial never sees it. */
        if (s.folds[k].n_train < 1 || s.folds[k].n_test < 1) {
            snprintf(err, 256, "validation: fold %d has %d training and %d test samples; use "
                     "fewer folds or a shorter seq_len", k, s.folds[k].n_train,
                     s.folds[k].n_test);
            goto fail;
        }
        if (run_fold(d, cfg, p, &s.folds[k], k, xs, NULL, r, NULL, NULL, err) < 0)
            goto fail;
        res->n_folds = k + 1;
        sum += r->value;
        res->objective = sum / res->n_folds;
        if (on_fold && on_fold(user, k, r->value, r) != 0) {
            res->pruned = 1;
            break;
        }
    }
    tr_split_free(&s);
    free(xs);
    return 0;
fail:
    tr_split_free(&s);
    free(xs);
    return -1;
}

/* One fold's importance draws: the fold retrained as in tr_trial_run, then
 * tr_perm_importance on its test windows (labels scaled as the model learnt
 * them for the price target). */
static int fold_importance(const tr_trial_data *d, const tr_trial_config *cfg,
                           const tr_trial_params *p, const tr_fold *f, int k, float *xs,
                           const int *col, const int *ncol, int n_perm, unsigned long seed,
                           double *base, double *mean, double *sd, char err[256])
{
    tr_fold_result r;
    tr_lstm *m = NULL;
    float *ys = NULL;
    int rc = -1;
    const float *xu;   /* the scaled matrix the fold used */
    if (run_fold(d, cfg, p, f, k, xs, &xu, &r, &m, NULL, err) < 0)
        return -1;
    tr_windows te = {xu, d->y, f->test, f->n_test, p->seq_len, d->m.cols};
    if (cfg->target.kind == TR_TARGET_PRICE) {
        ys = malloc(sizeof *ys * (size_t)d->m.rows + 1);
        if (!ys) {
            snprintf(err, 256, "out of memory");
            goto done;
        }
        for (int i = 0; i < d->m.rows; i++)
            ys[i] = (float)((d->y[i] - r.target_center) / r.target_scale);
        te.y = ys;
    }
    char why[256];
    if (tr_perm_importance(m, &te, col, ncol, d->m.n_features, n_perm, seed, base, mean, sd,
                           why) < 0) {
        snprintf(err, 256, "fold %d: %.230s", k, why);
        goto done;
    }
    rc = 0;
done:
    free(ys);
    tr_fold_result_free(&r);
    tr_lstm_free(m);
    return rc;
}

int tr_trial_perm_importance(const tr_trial_data *d, const tr_trial_config *cfg,
                             const tr_trial_params *p, int n_perm, unsigned long seed,
                             double *base, double *mean, double *sd, char err[256])
{
    const int G = d->m.n_features;
    tr_split s = {0};
    tr_split_config sc = split_config(cfg, p);
    float *xs = NULL;
    int *col = malloc(sizeof *col * (size_t)(2 * G + 1)), rc = -1;
    double *fm = malloc(sizeof *fm * (size_t)(2 * G + 1)), tot = 0;
    if (!col || !fm) {
        snprintf(err, 256, "out of memory");
        goto done;
    }
    int *ncol = col + G;
    double *fsd = fm + G;
    for (int g = 0; g < G; g++) {   /* a feature's columns move together (sin/cos pairs) */
        col[g] = d->m.col[g];
        ncol[g] = (g + 1 < G ? d->m.col[g + 1] : d->m.cols) - col[g];
        mean[g] = sd[g] = 0;
    }
    *base = 0;
    if (tr_split_make(&sc, d->m.rows, d->y, d->candles->segment + d->m.first, &s, err) < 0)
        goto done;
    if (!(xs = malloc((size_t)d->m.rows * (size_t)d->m.cols * sizeof *xs))) {
        snprintf(err, 256, "out of memory for %d rows", d->m.rows);
        goto done;
    }
    for (int k = 0; k < s.n_folds; k++)
        tot += s.folds[k].n_test;
    for (int k = 0; k < s.n_folds; k++) {
        double b, w = s.folds[k].n_test / tot;
        if (s.folds[k].n_test < 2)
            continue;
        if (fold_importance(d, cfg, p, &s.folds[k], k, xs, col, ncol, n_perm,
                            seed + (unsigned long)k, &b, fm, fsd, err) < 0)
            goto done;
        *base += w * b;
        for (int g = 0; g < G; g++) {
            mean[g] += w * fm[g];
            sd[g] += w * w * fsd[g] * fsd[g];
        }
    }
    for (int g = 0; g < G; g++)
        sd[g] = sqrt(sd[g]);
    rc = 0;
done:
    tr_split_free(&s);
    free(xs);
    free(col);
    free(fm);
    return rc;
}

int tr_trial_final(const tr_trial_data *d, const tr_trial_config *cfg,
                   const tr_trial_params *p, tr_fold_result *out, tr_lstm **model,
                   tr_scaler *scaler, char err[256])
{
    tr_split s = {0};
    tr_fold f = {0};
    float *xs = NULL;
    int rc = -1;
    tr_split_config sc = split_config(cfg, p);
    if (tr_split_make(&sc, d->m.rows, d->y, d->candles->segment + d->m.first, &s, err) < 0 ||
        tr_split_final_fold(&sc, &s, d->y, d->candles->segment + d->m.first, &f, err) < 0)
        goto done;
    xs = malloc((size_t)d->m.rows * (size_t)d->m.cols * sizeof *xs);
    if (!xs) {
        snprintf(err, 256, "out of memory for the final fold");
        goto done;
    }
    rc = run_fold(d, cfg, p, &f, -1, xs, NULL, out, model, scaler, err);
done:
    tr_fold_free(&f);
    tr_split_free(&s);
    free(xs);
    return rc;
}

int tr_trial_model_meta(const tr_trial_data *d, const tr_trial_config *cfg, int seq_len,
                        const tr_scaler *scaler, tr_model_meta *meta, char err[256])
{
    if (scaler->n_features != d->m.cols) {
        snprintf(err, 256, "the scaler has %d columns, the features %d", scaler->n_features,
                 d->m.cols);
        return -1;
    }
    if (tr_model_meta_alloc(meta, d->m.cols, err) < 0)
        return -1;
    int bad = 0;
    for (int j = 0; j < d->m.cols; j++) {
        bad |= tr_model_meta_set_string(&meta->feature_names[j], d->m.col_names[j]);
        meta->scaler_center[j] = (float)scaler->center[j];
        meta->scaler_scale[j] = (float)scaler->scale[j];
    }
    bad |= tr_model_meta_set_string(&meta->target_kind,
                                    cfg->target.kind == TR_TARGET_DIRECTION    ? "direction"
                                    : cfg->target.kind == TR_TARGET_MULTICLASS ? "multiclass"
                                    : cfg->target.kind == TR_TARGET_PRICE      ? "price"
                                                                               : "return");
    bad |= tr_model_meta_set_string(&meta->scaler_kind, tr_scaler_name(scaler->kind));
    meta->horizon = cfg->target.horizon;
    meta->deadband = (float)cfg->target.deadband;
    meta->seq_len = seq_len;
    meta->n_classes = cfg->target.kind == TR_TARGET_DIRECTION    ? 2
                      : cfg->target.kind == TR_TARGET_MULTICLASS ? TR_MULTICLASS_K : 0;
    if (bad) {
        tr_model_meta_free(meta);
        snprintf(err, 256, "out of memory for the model metadata");
        return -1;
    }
    return 0;
}

void tr_trial_model_meta_target(const tr_fold_result *final, tr_model_meta *meta)
{
    if (final->kind != TR_TARGET_PRICE)
        return;
    meta->has_target_scaler = 1;
    meta->target_center = (float)final->target_center;
    meta->target_scale = (float)final->target_scale;
}

char *tr_trial_layout(const tr_trial_data *d, const tr_trial_config *cfg, int seq_len,
                      char err[256])
{
    tr_trial_params p;
    tr_trial_params_default(&p);
    p.seq_len = seq_len;
    tr_split_config sc = split_config(cfg, &p);
    tr_split s = {0};
    char *text = NULL;
    if (tr_split_make(&sc, d->m.rows, d->y, d->candles->segment + d->m.first, &s, err) < 0 ||
        tr_split_check(&s, err) < 0)
        goto done;
    text = tr_split_describe(&s, d->candles->ts + d->m.first);
    if (!text)
        snprintf(err, 256, "out of memory");
done:
    tr_split_free(&s);
    return text;
}
