/*
 * test_fit_learning - tr_fit learns a learnable task, and its early stopping,
 * best-weight restore, ReduceLROnPlateau and pruning visibly act.
 *
 * 1. Learning: feature 0 is N(0,1) noise, features 1-2 are distractors; the label
 *    of a window is 1 when the sum of the last 5 values of feature 0 is > 0. A
 *    1-layer LSTM must reach > 95 % validation accuracy.
 * 2. Early stopping: only 48 training windows of the same task and a large
 *    learning rate: the validation loss improves, then turns up as the model
 *    overfits; the fit must stop at best_epoch + patience, the callback history must show
 *    it, the plateau must have cut the learning rate, and the final weights must be
 *    bit-identical to the weights seen by the callback at the best epoch.
 * 3. Pruning: a callback returning non-zero at epoch 3 stops the fit there.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"
#include "trainer/fit.h"
#include "trainer/lstm.h"

#define ROWS 5000
#define F 3
#define T 8
#define MAXEP 200

typedef struct history {
    int n;
    tr_epoch_report r[MAXEP];
    tr_lstm *m;
    float *best_params;     /* snapshot when is_best */
    int prune_at;
} history;

static int on_epoch(void *user, const tr_epoch_report *r)
{
    history *h = user;
    if (h->n < MAXEP)
        h->r[h->n++] = *r;
    if (r->is_best && h->best_params)
        memcpy(h->best_params, h->m->params, h->m->n_params * sizeof(float));
    return h->prune_at > 0 && r->epoch >= h->prune_at;
}

static float x[ROWS * F], y[ROWS];
static int ends[ROWS];

static void make_task(gsl_rng *rng, int random_labels)
{
    for (int r = 0; r < ROWS; r++)
        for (int k = 0; k < F; k++)
            x[r * F + k] = (float)gsl_ran_gaussian(rng, 1.0);
    for (int r = 0; r < ROWS; r++) {
        double s = 0;
        for (int q = r - 4; q <= r; q++)
            s += q >= 0 ? x[q * F] : 0.0;
        y[r] = random_labels ? (float)(gsl_rng_uniform(rng) < 0.5) : (float)(s > 0);
    }
    for (int r = 0; r < ROWS; r++)
        ends[r] = r;
}

static tr_windows span(int first_end, int n)
{
    tr_windows w = {.x = x, .y = y, .ends = ends + first_end, .n = n, .seq_len = T,
                    .n_features = F};
    return w;
}

static void learning(gsl_rng *rng)
{
    char err[256];
    make_task(rng, 0);
    tr_windows train = span(T - 1, 4000), val = span(T - 1 + 4000, 990);
    tr_lstm_config cfg = {.n_features = F, .units = 32, .layers = 1, .seq_len = T,
                          .max_batch = 64, .dropout = 0.0f, .head = TR_HEAD_DIRECTION};
    tr_lstm *m = tr_lstm_new(&cfg, err);
    CHECK_MSG(m != NULL, "%s", err);
    tr_fit_options o;
    tr_fit_options_default(&o);
    o.batch_size = 32;
    o.max_epochs = 80;
    o.lr = 5e-3;
    o.patience = 15;
    o.seed = 7;
    tr_fit_result res;
    int rc = tr_fit(m, &train, &val, &o, &res, err);
    CHECK_MSG(rc == 0, "fit: %s", err);
    float *p = malloc(sizeof(float) * val.n);
    CHECK(tr_lstm_predict(m, &val, p, err) == 0);
    int correct = 0;
    for (int i = 0; i < val.n; i++)
        correct += (p[i] > 0.5f) == (y[val.ends[i]] > 0.5f);
    double acc = (double)correct / val.n;
    fprintf(stderr, "learning: %d epochs, best %d, val loss %.4f, val accuracy %.4f\n",
            res.epochs_run, res.best_epoch, res.best_val_loss, acc);
    CHECK_MSG(acc > 0.95, "validation accuracy %.4f <= 0.95", acc);
    free(p);
    tr_lstm_free(m);
}

static void early_stopping(gsl_rng *rng)
{
    char err[256];
    make_task(rng, 0);
    tr_windows train = span(T - 1, 48), val = span(1000, 300);
    tr_lstm_config cfg = {.n_features = F, .units = 32, .layers = 2, .seq_len = T,
                          .max_batch = 16, .dropout = 0.1f, .head = TR_HEAD_DIRECTION};
    tr_lstm *m = tr_lstm_new(&cfg, err);
    CHECK_MSG(m != NULL, "%s", err);
    history *h = calloc(1, sizeof *h);
    h->m = m;
    h->best_params = malloc(m->n_params * sizeof(float));
    tr_fit_options o;
    tr_fit_options_default(&o);
    o.batch_size = 16;
    o.max_epochs = MAXEP;
    o.lr = 2e-2;
    o.patience = 8;
    o.plateau_factor = 0.5;
    o.plateau_patience = 2;
    o.seed = 11;
    o.on_epoch = on_epoch;
    o.user = h;
    tr_fit_result res;
    int rc = tr_fit(m, &train, &val, &o, &res, err);
    CHECK_MSG(rc == 0, "fit: %s", err);
    fprintf(stderr, "early stopping: %d epochs, best %d (val %.4f), final lr %g\n",
            res.epochs_run, res.best_epoch, res.best_val_loss, res.final_lr);
    CHECK(res.stopped_early);
    CHECK_MSG(res.best_epoch > 1, "best epoch %d: restore not exercised", res.best_epoch);
    CHECK_INT(h->n, res.epochs_run);
    CHECK(res.epochs_run < MAXEP);
    CHECK_INT(res.epochs_run, res.best_epoch + o.patience);
    double minv = INFINITY;
    int argmin = 0, cuts = 0;
    for (int i = 0; i < h->n; i++) {
        CHECK_INT(h->r[i].epoch, i + 1);
        if (h->r[i].val_loss < minv) {
            minv = h->r[i].val_loss;
            argmin = i + 1;
        }
        CHECK_INT(h->r[i].is_best, argmin == i + 1 && h->r[i].val_loss == minv);
        if (i > 0) {
            CHECK(h->r[i].lr <= h->r[i - 1].lr);
            cuts += h->r[i].lr < h->r[i - 1].lr;
        }
    }
    CHECK_INT(argmin, res.best_epoch);
    CHECK(minv == res.best_val_loss);
    CHECK_MSG(cuts >= 1, "ReduceLROnPlateau never cut the learning rate");
    CHECK(h->r[h->n - 1].val_loss > res.best_val_loss);
    CHECK_MSG(memcmp(m->params, h->best_params, m->n_params * sizeof(float)) == 0,
              "final weights differ from the best epoch's");
    double vl;
    CHECK(tr_lstm_eval_loss(m, &val, &vl, err) == 0);
    CHECK_MSG(vl == res.best_val_loss, "restored val loss %.9g != best %.9g", vl,
              res.best_val_loss);

    /* pruning: stop at epoch 3 */
    float *keep = h->best_params;
    memset(h, 0, sizeof *h);
    h->best_params = keep;
    h->m = m;
    h->prune_at = 3;
    rc = tr_fit(m, &train, &val, &o, &res, err);
    CHECK_MSG(rc == 0, "fit: %s", err);
    CHECK(res.pruned);
    CHECK_INT(res.epochs_run, 3);
    CHECK_INT(h->n, 3);
    free(h->best_params);
    free(h);
    tr_lstm_free(m);
}

int main(void)
{
    gsl_set_error_handler_off();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2024);
    learning(rng);
    early_stopping(rng);
    gsl_rng_free(rng);
    return check_done();
}
