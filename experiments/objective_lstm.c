/*
 * objective_lstm.c - the built-in objective: the spec's features, target and
 * walk-forward scheme (trainer/trial.h) evaluated at one point of the search
 * space, with one intermediate value per fold for the pruner; and, after the
 * search, the single holdout evaluation of the chosen parameters with the model
 * file that `seqtune predict` reads.
 *
 * The candles travel between ranks as one array of doubles (exp_data_pack):
 * n, then n timestamps, then open, high, low, close, volume, each n long.
 */
#include "experiments/objective_lstm.h"

#include "base/file.h"
#include "experiments/cli.h"
#include "experiments/edge.h"
#include "experiments/feature_importance.h"

#include "trainer/candles.h"
#include "trainer/data_check.h"
#include "trainer/model_file.h"
#include "trainer/trial.h"
#include "tracker/sha256.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct exp_data {
    tr_candles c;
};

struct exp_lstm_objective {
    const exp_spec *spec;
    tr_trial_config cfg;
    tr_trial_data data;
    int have_data;
    volatile sig_atomic_t *stop;   /* interrupts the refit (may be NULL) */
};

void exp_lstm_objective_set_stop(exp_lstm_objective *o, volatile sig_atomic_t *stop)
{
    o->stop = stop;
}

/* The refit's epoch callback: a signal stops the fit at the next epoch. */
static int holdout_epoch(void *user, int fold, const tr_epoch_report *r)
{
    volatile sig_atomic_t *stop = user;
    (void)fold;
    (void)r;
    return stop && *stop;
}

/* ---- the data ------------------------------------------------------------------ */

int exp_data_load(const exp_spec *spec, exp_data **out, char err[256])
{
    *out = NULL;
    if (spec->objective_kind != EXP_OBJECTIVE_LSTM)
        return 0;
    exp_data *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, 256, "out of memory");
        return -1;
    }
    if (tr_candles_load(spec->data.path, &d->c, err)) {
        free(d);
        return -1;
    }
    *out = d;
    return 0;
}

int exp_data_pack(const exp_data *d, double **buf, long *n)
{
    *buf = NULL;
    *n = 0;
    if (!d)
        return 0;
    long rows = d->c.n;
    double *b = malloc(sizeof *b * (size_t)(1 + 6 * rows));
    if (!b)
        return -1;
    b[0] = (double)rows;
    const double *cols[5] = {d->c.open, d->c.high, d->c.low, d->c.close, d->c.volume};
    for (long i = 0; i < rows; i++)
        b[1 + i] = (double)d->c.ts[i];
    for (int k = 0; k < 5; k++)
        memcpy(b + 1 + (k + 1) * rows, cols[k], sizeof *b * (size_t)rows);
    *buf = b;
    *n = 1 + 6 * rows;
    return 0;
}

int exp_data_unpack(const double *buf, long n, exp_data **out, char err[256])
{
    *out = NULL;
    if (n == 0)
        return 0;
    long rows = (long)buf[0];
    if (rows < 0 || 1 + 6 * rows != n) {
        snprintf(err, 256, "candle message of %ld doubles does not hold %ld rows", n, rows);
        return -1;
    }
    exp_data *d = calloc(1, sizeof *d);
    if (!d || tr_candles_alloc(&d->c, (int)rows, err)) {
        free(d);
        snprintf(err, 256, "out of memory");
        return -1;
    }
    double *cols[5] = {d->c.open, d->c.high, d->c.low, d->c.close, d->c.volume};
    for (long i = 0; i < rows; i++)
        d->c.ts[i] = (int64_t)buf[1 + i];
    for (int k = 0; k < 5; k++)
        memcpy(cols[k], buf + 1 + (k + 1) * rows, sizeof *buf * (size_t)rows);
    tr_candles_index(&d->c);
    *out = d;
    return 0;
}

void exp_data_free(exp_data *d)
{
    if (!d)
        return;
    tr_candles_free(&d->c);
    free(d);
}

int exp_data_fingerprint(const exp_spec *spec, const exp_data *data, char out[256],
                         char err[256])
{
    int not_regular = 0;
    struct stat st;
    FILE *f = base_file_open_regular(spec->data.path, &st, &not_regular);
    if (!f) {
        snprintf(err, 256, "%.200s: %s", spec->data.path,
                 not_regular ? "not a regular file" : strerror(errno));
        return -1;
    }
    trk_sha256 h;
    trk_sha256_init(&h);
    unsigned char buf[1 << 16];
    size_t n;
    long long bytes = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        trk_sha256_update(&h, buf, n);
        bytes += (long long)n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, 256, "%.200s: read error", spec->data.path);
        return -1;
    }
    uint8_t digest[32];
    char hex[65];
    trk_sha256_final(&h, digest);
    trk_sha256_to_hex(digest, hex);
    double first, last;
    int rows;
    exp_data_range(data, &first, &last, &rows);
    snprintf(out, 256, "rows %d (%.0f..%.0f), %lld bytes, sha256 %s", rows, first, last, bytes,
             hex);
    return 0;
}

/* ---- set-up ---------------------------------------------------------------------- */

/* The spec holds the trainer's own config; a trial adds the features and the metric. */
static void config_from_spec(const exp_spec *s, tr_trial_config *cfg)
{
    *cfg = s->trial;
    cfg->features = (const char *const *)s->features;
    cfg->n_features = s->n_features;
    cfg->metric = s->search.metric;
}

exp_lstm_objective *exp_lstm_objective_new(const exp_spec *spec, const exp_data *data,
                                           char err[256])
{
    if (!data) {
        snprintf(err, 256, "the LSTM objective needs candles (data.path)");
        return NULL;
    }
    exp_lstm_objective *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, 256, "out of memory");
        return NULL;
    }
    o->spec = spec;
    config_from_spec(spec, &o->cfg);
    char e[256];
    if (tr_trial_data_make(&data->c, &o->cfg, &o->data, e)) {
        snprintf(err, 256, "%.80s: %.170s", spec->data.path, e);
        free(o);
        return NULL;
    }
    o->have_data = 1;
    /* Degenerate candles (constant prices, flat labels, a constant feature) are
     * named here, before the split reports them as empty folds. */
    if (tr_data_check(&data->c, &o->data.m, o->data.y, &o->cfg.target, e)) {
        snprintf(err, 256, "%.60s: %.190s", spec->data.path, e);
        exp_lstm_objective_free(o);
        return NULL;
    }
    return o;
}

void exp_lstm_objective_free(exp_lstm_objective *o)
{
    if (!o)
        return;
    if (o->have_data)
        tr_trial_data_free(&o->data);
    free(o);
}

void exp_data_range(const exp_data *d, double *first, double *last, int *rows)
{
    *rows = d ? d->c.n : 0;
    *first = *rows ? (double)d->c.ts[0] : NAN;
    *last = *rows ? (double)d->c.ts[d->c.n - 1] : NAN;
}

/* The largest (or, with largest 0, the smallest) seq_len the spec allows; a
 * conditional seq_len also takes the fixed training.seq_len where inactive. */
static int seq_len_bound(const exp_spec *spec, int largest)
{
    const exp_param *sl = exp_spec_param(spec, exp_seq_len_param);
    if (!sl)
        return spec->params.seq_len;
    int seq_len = sl->type != EXP_PARAM_CATEGORICAL ? (int)(largest ? sl->high : sl->low) : 0;
    for (int i = 0; sl->type == EXP_PARAM_CATEGORICAL && i < sl->n_choices; i++) {
        int v = (int)sl->choices[i].number;
        if (i == 0 || (largest ? v > seq_len : v < seq_len))
            seq_len = v;
    }
    if (sl->when.parent && (largest ? spec->params.seq_len > seq_len : spec->params.seq_len < seq_len))
        seq_len = spec->params.seq_len;
    return seq_len < 1 ? 1 : seq_len;
}

int exp_lstm_objective_fits(const exp_lstm_objective *o, char err[256])
{
    int seq_len = seq_len_bound(o->spec, 0);
    char e[256];
    char *layout = tr_trial_layout(&o->data, &o->cfg, seq_len, e);
    if (!layout) {
        snprintf(err, 256, "%.200s, even at the smallest seq_len (%d)", e, seq_len);
        return -1;
    }
    free(layout);
    return 0;
}

char *exp_lstm_objective_layout(const exp_lstm_objective *o, char err[256])
{
    int seq_len = seq_len_bound(o->spec, 1);
    char *layout = tr_trial_layout(&o->data, &o->cfg, seq_len, err);
    if (!layout)
        return NULL;
    const tr_candles *c = o->data.candles;
    char a[32], b[32];
    tr_format_time(c->ts[0], a);
    tr_format_time(c->ts[c->n - 1], b);
    size_t n = strlen(layout) + 512;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "candles: %d rows %s .. %s UTC, interval %lld s, %d gap(s) "
                 "(largest %lld s); %d rows after the features' warm-up of %d bars\n"
                 "walk-forward layout for seq_len %d:\n%s",
                 c->n, a, b, (long long)c->interval, c->n_gaps, (long long)c->largest_gap,
                 o->data.m.rows, o->data.m.first, seq_len, layout);
    free(layout);
    if (!out)
        snprintf(err, 256, "out of memory");
    return out;
}

/* ---- one trial ----------------------------------------------------------------- */

#define MAX_EPOCHS_KEPT 4096

typedef struct trial_ctx {
    const exp_spec *spec;
    exp_report_fn report;
    void *report_ctx;
    volatile sig_atomic_t *stop;
    double deadline;        /* 0: no per-trial limit */
    int aborted;            /* 1 interrupted, 2 time limit */
    int n_epochs;
    double train_loss[MAX_EPOCHS_KEPT], val_loss[MAX_EPOCHS_KEPT], lr[MAX_EPOCHS_KEPT];
} trial_ctx;

static int on_epoch(void *user, int fold, const tr_epoch_report *r)
{
    trial_ctx *t = user;
    (void)fold;
    if (t->n_epochs < MAX_EPOCHS_KEPT) {
        t->train_loss[t->n_epochs] = r->train_loss;
        t->val_loss[t->n_epochs] = r->val_loss;
        t->lr[t->n_epochs] = r->lr;
        t->n_epochs++;
    }
    if (t->stop && *t->stop)
        t->aborted = 1;
    else if (t->deadline > 0 && exp_now() > t->deadline)
        t->aborted = 2;
    return t->aborted != 0;
}

static cJSON *number_array(const double *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, isfinite(v[i]) ? cJSON_CreateNumber(v[i]) : cJSON_CreateNull());
    return a;
}

static void add_price(cJSON *o, const char *prefix, const tr_price_metrics *m);

/* Every metric of the spec's list that applies to this fold, plus baselines. */
static cJSON *fold_metrics_json(const tr_fold_result *r)
{
    cJSON *m = cJSON_CreateObject();
    char err[256];
    for (int i = 0; exp_metric_names[i]; i++) {
        double v;
        if (tr_fold_metric(r, exp_metric_names[i], &v, err) == 0 && isfinite(v))
            cJSON_AddNumberToObject(m, exp_metric_names[i], v);
    }
    if (r->kind == TR_TARGET_DIRECTION) {
        if (isfinite(r->majority.accuracy))
            cJSON_AddNumberToObject(m, "baseline_majority_accuracy", r->majority.accuracy);
        if (isfinite(r->logistic.accuracy))
            cJSON_AddNumberToObject(m, "baseline_logistic_accuracy", r->logistic.accuracy);
        if (isfinite(r->majority.log_loss))
            cJSON_AddNumberToObject(m, "baseline_majority_log_loss", r->majority.log_loss);
        if (isfinite(r->logistic.log_loss))
            cJSON_AddNumberToObject(m, "baseline_logistic_log_loss", r->logistic.log_loss);
    }
    if (r->kind == TR_TARGET_MULTICLASS) {   /* issue 17 */
        const struct { const char *k; double v; } b[] = {
            {"baseline_majority_accuracy", r->mc_majority.accuracy},
            {"baseline_logistic_accuracy", r->mc_logistic.accuracy},
            {"baseline_majority_log_loss", r->mc_majority.log_loss},
            {"baseline_logistic_log_loss", r->mc_logistic.log_loss},
            {"baseline_logistic_balanced_accuracy", r->mc_logistic.balanced_accuracy}};
        for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
            if (isfinite(b[i].v))
                cJSON_AddNumberToObject(m, b[i].k, b[i].v);
    }
    if (r->kind == TR_TARGET_PRICE) {   /* issue 17 */
        add_price(m, "persistence_", &r->persistence);
        add_price(m, "baseline_linear_", &r->linear);
    }
    if (isfinite(r->buy_hold.sharpe))
        cJSON_AddNumberToObject(m, "buy_hold_sharpe", r->buy_hold.sharpe);
    if (isfinite(r->buy_hold.total_return))
        cJSON_AddNumberToObject(m, "buy_hold_total_return", r->buy_hold.total_return);
    cJSON_AddNumberToObject(m, "epochs", r->fit.epochs_run);
    cJSON_AddNumberToObject(m, "best_epoch", r->fit.best_epoch);
    cJSON_AddNumberToObject(m, "n_train", r->n_train);
    cJSON_AddNumberToObject(m, "n_test", r->n_test);
    return m;
}

static int on_fold(void *user, int fold, double value, const tr_fold_result *r)
{
    trial_ctx *t = user;
    if (t->aborted)
        return 1;
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddItemToObject(extra, "metrics", fold_metrics_json(r));
    cJSON *ep = cJSON_AddObjectToObject(extra, "epochs");
    cJSON_AddItemToObject(ep, "train_loss", number_array(t->train_loss, t->n_epochs));
    cJSON_AddItemToObject(ep, "val_loss", number_array(t->val_loss, t->n_epochs));
    cJSON_AddItemToObject(ep, "lr", number_array(t->lr, t->n_epochs));
    cJSON *oos = exp_edge_oos_json(&r->curves);
    if (oos)
        cJSON_AddItemToObject(extra, "oos", oos);
    t->n_epochs = 0;
    int prune = t->report ? t->report(t->report_ctx, fold, value, extra) : 0;
    cJSON_Delete(extra);
    return prune;
}

/* The mean over folds of every metric the folds report (the run's summary). */
static cJSON *mean_metrics(const tr_trial_result *res)
{
    cJSON *sum = NULL;
    int *count = NULL;
    for (int k = 0; k < res->n_folds; k++) {
        cJSON *m = fold_metrics_json(&res->folds[k]);
        if (!sum) {
            sum = m;
            count = calloc((size_t)cJSON_GetArraySize(m) + 1, sizeof *count);
            for (int i = 0; count && i < cJSON_GetArraySize(m); i++)
                count[i] = 1;
            continue;
        }
        int i = 0;
        for (cJSON *s = sum->child; s; s = s->next, i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, s->string);
            if (cJSON_IsNumber(v) && count) {
                cJSON_SetNumberValue(s, s->valuedouble + v->valuedouble);
                count[i]++;
            }
        }
        cJSON_Delete(m);
    }
    int i = 0;
    for (cJSON *s = sum ? sum->child : NULL; s && count; s = s->next, i++)
        cJSON_SetNumberValue(s, s->valuedouble / count[i]);
    free(count);
    if (sum)
        cJSON_AddNumberToObject(sum, "folds", res->n_folds);
    return sum;
}

/* A multi-objective spec: each of search.metrics as the mean over the folds (as
 * the objective is), into out->values. A metric that is not finite on some fold
 * fails the trial, naming it. */
static void objective_values(const exp_spec *spec, const tr_trial_result *res,
                             exp_trial_result *out)
{
    int n = spec->search.n_objectives;
    for (int k = 0; k < n && n > 1; k++) {
        double sum = 0, v;
        char err[256];
        for (int f = 0; f < res->n_folds; f++) {
            if (tr_fold_metric(&res->folds[f], spec->search.metrics[k], &v, err) != 0 ||
                !isfinite(v)) {
                out->state = TRK_FAIL;
                snprintf(out->error, sizeof out->error, "fold %d: the objective %s is not "
                         "finite", f, spec->search.metrics[k]);
                return;
            }
            sum += v;
        }
        out->values[k] = sum / res->n_folds;
    }
    out->n_values = n > 1 ? n : 0;
}

void exp_lstm_objective_eval(exp_lstm_objective *o, const cJSON *params, uint64_t seed,
                             exp_report_fn report, void *ctx, volatile sig_atomic_t *stop,
                             exp_trial_result *out)
{
    tr_trial_params p;
    exp_spec_trial_params(o->spec, params, &p);
    trial_ctx *t = calloc(1, sizeof *t);
    if (!t) {
        out->state = TRK_FAIL;
        snprintf(out->error, sizeof out->error, "out of memory");
        return;
    }
    t->spec = o->spec;
    t->report = report;
    t->report_ctx = ctx;
    t->stop = stop;
    t->deadline = o->spec->trial_timeout_s > 0
                      ? exp_now() + o->spec->trial_timeout_s : 0;
    tr_trial_config cfg = o->cfg;
    cfg.seed = (unsigned long)seed;
    cfg.on_epoch = on_epoch;
    cfg.epoch_user = t;
    tr_trial_result res;
    memset(&res, 0, sizeof res);
    char err[256] = "";
    int rc = tr_trial_run(&o->data, &cfg, &p, on_fold, t, &res, err);
    if (t->aborted == 1) {
        out->state = TRK_FAIL;
        snprintf(out->error, sizeof out->error, "interrupted");
    } else if (t->aborted == 2) {
        out->state = TRK_FAIL;
        snprintf(out->error, sizeof out->error, "time limit of %g s exceeded (training.trial_timeout_s)",
                 o->spec->trial_timeout_s);
    } else if (rc) {
        out->state = TRK_FAIL;
        snprintf(out->error, sizeof out->error, "%s", err);
    } else if (res.pruned) {
        out->state = TRK_PRUNED;
        out->last_step = res.n_folds - 1;
        out->value = res.n_folds ? res.folds[res.n_folds - 1].value : NAN;
    } else {
        out->state = TRK_COMPLETE;
        out->last_step = res.n_folds - 1;
        out->value = res.objective;
        objective_values(o->spec, &res, out);
    }
    if (res.n_folds)
        out->metrics = mean_metrics(&res);
    tr_trial_result_free(&res);
    free(t);
}

/* ---- after the search: the holdout -------------------------------------------- */

static void add_class(cJSON *o, const tr_class_metrics *m)
{
    const struct { const char *k; double v; } f[] = {
        {"accuracy", m->accuracy}, {"balanced_accuracy", m->balanced_accuracy},
        {"log_loss", m->log_loss}, {"brier", m->brier}, {"auc", m->roc_auc}, {"mcc", m->mcc}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (isfinite(f[i].v))
            cJSON_AddNumberToObject(o, f[i].k, f[i].v);
}

/* issue 17: the three-class scores; the confusion matrix goes beside, as
 * [label][predicted] counts (down, flat, up), when conf != NULL. */
static void add_multiclass(cJSON *o, const tr_multiclass_metrics *m, cJSON *conf)
{
    const struct { const char *k; double v; } f[] = {
        {"accuracy", m->accuracy}, {"balanced_accuracy", m->balanced_accuracy},
        {"macro_f1", m->macro_f1}, {"log_loss", m->log_loss}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (isfinite(f[i].v))
            cJSON_AddNumberToObject(o, f[i].k, f[i].v);
    for (int i = 0; conf && i < m->k; i++)
        cJSON_AddItemToArray(conf, cJSON_CreateIntArray(m->confusion[i], m->k));
}

/* issue 17: price-unit scores under prefix ("" for the model). */
static void add_price(cJSON *o, const char *prefix, const tr_price_metrics *m)
{
    const struct { const char *k; double v; } f[] = {
        {"rmse", m->rmse}, {"mae", m->mae}, {"mape", m->mape},
        {"directional_accuracy", m->directional_accuracy}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (isfinite(f[i].v)) {
            char k[96];
            snprintf(k, sizeof k, "%s%s", prefix, f[i].k);
            cJSON_AddNumberToObject(o, k, f[i].v);
        }
}

static void add_trading(cJSON *o, const tr_trading_metrics *m)
{
    const struct { const char *k; double v; } f[] = {
        {"sharpe", m->sharpe}, {"sortino", m->sortino}, {"total_return", m->total_return},
        {"max_drawdown", m->max_drawdown}, {"win_rate", m->win_rate},
        {"trades", (double)m->n_trades}, {"exposure", m->exposure}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (isfinite(f[i].v))
            cJSON_AddNumberToObject(o, f[i].k, f[i].v);
}

/* The holdout equity curves (model and buy-and-hold, from 1) and the Deflated
 * Sharpe Ratio of the chosen trial's holdout bar returns given the annualised
 * Sharpe ratios of every trial of the search (converted to per-bar ones). */
static void exp_lstm_holdout_curves(const exp_lstm_objective *o, const tr_fold_result *fr,
                                    const double *trial_sharpes, int n_sharpes, cJSON *r)
{
    const tr_fold_curves *cv = &fr->curves;
    if (cv->n_fc > 0) {   /* issue 17: price forecasts against the actual closes */
        cJSON *f = cJSON_AddObjectToObject(r, "forecast");
        cJSON *ft = cJSON_AddArrayToObject(f, "t");
        for (int i = 0; i < cv->n_fc; i++)
            cJSON_AddItemToArray(ft, cJSON_CreateNumber((double)cv->fc_t[i]));
        cJSON_AddItemToObject(f, "actual", number_array(cv->fc_actual, cv->n_fc));
        cJSON_AddItemToObject(f, "forecast", number_array(cv->fc_pred, cv->n_fc));
    }
    if (cv->n < 1)
        return;
    cJSON *c = cJSON_AddObjectToObject(r, "curves");
    cJSON *t = cJSON_AddArrayToObject(c, "t");
    for (int i = 0; i <= cv->n; i++)
        cJSON_AddItemToArray(t, cJSON_CreateNumber((double)cv->t[i]));
    cJSON_AddItemToObject(c, "model", number_array(cv->equity, cv->n + 1));
    cJSON_AddItemToObject(c, "buy_and_hold", number_array(cv->bh_equity, cv->n + 1));
    int64_t interval = o->data.candles->interval > 0 ? o->data.candles->interval : 1;
    double per_bar = 1.0 / sqrt(365.25 * 86400.0 / (double)interval);
    double *sh = malloc(sizeof *sh * (size_t)(n_sharpes > 0 ? n_sharpes : 1));
    int n = 0;
    for (int i = 0; sh && i < n_sharpes; i++)
        if (isfinite(trial_sharpes[i]))
            sh[n++] = trial_sharpes[i] * per_bar;
    double dsr = NAN;
    char err[256];
    if (sh && n >= 2 && cv->n >= 3 &&
        tr_deflated_sharpe_trials(cv->bar_returns, cv->n, sh, n, &dsr, err) == 0 && isfinite(dsr))
        cJSON_AddNumberToObject(r, "deflated_sharpe", dsr);
    free(sh);
}

/* Saves the model through a temporary file and returns its bytes. */
static int model_bytes(const tr_lstm *m, const tr_model_meta *meta, unsigned char **out,
                       size_t *len, char err[256])
{
    char path[] = "/tmp/seqtune-model-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(err, 256, "cannot create a temporary model file in /tmp");
        return -1;
    }
    close(fd);
    int rc = -1;
    char e[256];
    if (tr_model_save(path, m, meta, err))
        goto done;
    *out = (unsigned char *)base_file_read(path, (size_t)1 << 30, len, e);
    if (!*out) {
        snprintf(err, 256, "cannot read back the model file %.200s", e);
        goto done;
    }
    rc = 0;
done:
    unlink(path);
    return rc;
}

int exp_lstm_objective_holdout(exp_lstm_objective *o, const cJSON *params, uint64_t seed,
                               const double *trial_sharpes, int n_sharpes, cJSON **result,
                               unsigned char **model, size_t *model_len, char err[256])
{
    tr_trial_params p;
    exp_spec_trial_params(o->spec, params, &p);
    tr_trial_config cfg = o->cfg;
    cfg.seed = (unsigned long)seed;
    cfg.on_epoch = holdout_epoch;
    cfg.epoch_user = (void *)o->stop;
    tr_fold_result fr;
    tr_lstm *m = NULL;
    tr_scaler sc;
    memset(&sc, 0, sizeof sc);
    memset(&fr, 0, sizeof fr);
    tr_model_meta meta;
    memset(&meta, 0, sizeof meta);
    *result = NULL;
    *model = NULL;
    int rc = -1;
    if (tr_trial_final(&o->data, &cfg, &p, &fr, &m, &sc, err))
        goto done;
    if (o->stop && *o->stop) {
        snprintf(err, 256, "interrupted");
        goto done;
    }
    cJSON *r = cJSON_CreateObject();
    cJSON *h = cJSON_AddObjectToObject(r, "holdout");
    cJSON *bh = cJSON_AddObjectToObject(r, "buy_and_hold");
    if (fr.kind == TR_TARGET_PRICE) {
        add_price(h, "", &fr.price);
        add_price(h, "persistence_", &fr.persistence);
        add_price(cJSON_AddObjectToObject(r, "baseline_linear"), "", &fr.linear);
        add_price(cJSON_AddObjectToObject(r, "baseline_persistence"), "", &fr.persistence);
    } else if (fr.kind == TR_TARGET_MULTICLASS) {
        add_multiclass(h, &fr.mc, cJSON_AddArrayToObject(r, "holdout_confusion"));
        add_multiclass(cJSON_AddObjectToObject(r, "baseline_majority"), &fr.mc_majority, NULL);
        add_multiclass(cJSON_AddObjectToObject(r, "baseline_logistic"), &fr.mc_logistic, NULL);
    } else if (fr.kind == TR_TARGET_DIRECTION) {
        add_class(h, &fr.test);
        add_class(cJSON_AddObjectToObject(r, "baseline_majority"), &fr.majority);
        add_class(cJSON_AddObjectToObject(r, "baseline_logistic"), &fr.logistic);
    } else {
        cJSON_AddNumberToObject(h, "mse", fr.mse);
        cJSON_AddNumberToObject(h, "mae", fr.mae);
    }
    add_trading(h, &fr.trading);
    add_trading(bh, &fr.buy_hold);
    cJSON_AddNumberToObject(r, "objective", fr.value);
    cJSON_AddNumberToObject(r, "n_train", fr.n_train);
    cJSON_AddNumberToObject(r, "n_val", fr.n_val);
    cJSON_AddNumberToObject(r, "n_test", fr.n_test);
    cJSON_AddNumberToObject(r, "holdout_first", (double)fr.test_first);
    cJSON_AddNumberToObject(r, "holdout_last", (double)fr.test_last);
    cJSON_AddNumberToObject(r, "epochs", fr.fit.epochs_run);
    cJSON_AddNumberToObject(r, "n_trials", n_sharpes);
    exp_lstm_holdout_curves(o, &fr, trial_sharpes, n_sharpes, r);
    exp_edge_holdout_tests(&fr.curves, fr.kind, r);
    *result = r;
    /* the inputs' importance: walk-forward test spans only, never the holdout */
    if (exp_feature_importance(&o->data, &cfg, &p, r, err))
        goto done;
    if (tr_trial_model_meta(&o->data, &cfg, p.seq_len, &sc, &meta, err) ||
        (tr_trial_model_meta_target(&fr, &meta), 0) ||
        model_bytes(m, &meta, model, model_len, err))
        goto done;
    rc = 0;
done:
    if (rc) {
        cJSON_Delete(*result);
        *result = NULL;
    }
    tr_model_meta_free(&meta);
    tr_fold_result_free(&fr);
    tr_lstm_free(m);
    tr_scaler_free(&sc);
    return rc;
}
