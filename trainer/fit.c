/*
 * fit.c - the training loop over tr_lstm (see fit.h): Adam with PyTorch's update
 * rule, clip_grad_norm_-style global clipping, ReduceLROnPlateau (mode min,
 * relative threshold 1e-4, no cooldown) and early stopping with best-weight restore.
 */
#include "trainer/fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

void tr_fit_options_default(tr_fit_options *o)
{
    memset(o, 0, sizeof *o);
    o->batch_size = 64;
    o->max_epochs = 100;
    o->lr = 1e-3;
    o->clip_norm = 1.0;
    o->plateau_factor = 0.5;
    o->plateau_patience = 5;
    o->patience = 15;
    o->restore_best = 1;
    o->init_weights = 1;
}

int tr_adam_init(tr_adam *a, size_t n, double beta1, double beta2, double eps,
                 double weight_decay, char err[256])
{
    memset(a, 0, sizeof *a);
    a->m = calloc(n ? n : 1, sizeof *a->m);
    a->v = calloc(n ? n : 1, sizeof *a->v);
    if (!a->m || !a->v) {
        tr_adam_free(a);
        snprintf(err, 256, "adam: out of memory for %zu parameters", n);
        return -1;
    }
    a->n = n;
    a->b1 = beta1 > 0 ? beta1 : 0.9;
    a->b2 = beta2 > 0 ? beta2 : 0.999;
    a->eps = eps > 0 ? eps : 1e-8;
    a->wd = weight_decay;
    return 0;
}

void tr_adam_free(tr_adam *a)
{
    free(a->m);
    free(a->v);
    memset(a, 0, sizeof *a);
}

/* torch.optim.Adam (amsgrad off): with weight decay g += wd * p;
 * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). */
void tr_adam_step(tr_adam *a, float *p, const float *g, double lr)
{
    a->step++;
    float b1 = (float)a->b1, b2 = (float)a->b2, wd = (float)a->wd;
    float step_size = (float)(lr / (1.0 - pow(a->b1, (double)a->step)));
    float bc2 = (float)sqrt(1.0 - pow(a->b2, (double)a->step));
    float eps = (float)a->eps;
    for (size_t i = 0; i < a->n; i++) {
        float gi = g[i] + wd * p[i];
        a->m[i] = b1 * a->m[i] + (1.0f - b1) * gi;
        a->v[i] = b2 * a->v[i] + (1.0f - b2) * gi * gi;
        p[i] -= step_size * a->m[i] / (sqrtf(a->v[i]) / bc2 + eps);
    }
}

double tr_clip_grad_norm(float *g, size_t n, double max_norm)
{
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (double)g[i] * g[i];
    double norm = sqrt(ss);
    if (max_norm > 0 && isfinite(norm)) {
        double coef = max_norm / (norm + 1e-6);
        if (coef < 1.0)
            for (size_t i = 0; i < n; i++)
                g[i] = (float)(g[i] * coef);
    }
    return norm;
}

static int check_set(const tr_lstm *m, const tr_windows *w, const char *name, char err[256])
{
    if (!w || w->n == 0)
        return 0;
    if (w->n < 0 || !w->x || !w->y || !w->ends) {
        snprintf(err, 256, "fit: %s windows: missing arrays or negative count %d", name, w->n);
        return -1;
    }
    if (w->seq_len != m->cfg.seq_len || w->n_features != m->cfg.n_features) {
        snprintf(err, 256, "fit: %s windows have seq_len %d and %d features, the model %d and %d",
                 name, w->seq_len, w->n_features, m->cfg.seq_len, m->cfg.n_features);
        return -1;
    }
    for (int i = 0; i < w->n; i++)
        if (w->ends[i] < w->seq_len - 1) {
            snprintf(err, 256, "fit: %s window %d ends at row %d, before seq_len-1 = %d",
                     name, i, w->ends[i], w->seq_len - 1);
            return -1;
        }
    return 0;
}

/* The options and the window sets fit the model: 0, or TR_FIT_EBADARG and err. */
static int fit_check(const tr_lstm *m, const tr_windows *train, const tr_windows *val,
                     const tr_fit_options *opt, char err[256])
{
    if (opt->batch_size < 1 || opt->max_epochs < 0 || !(opt->lr > 0) ||
        opt->weight_decay < 0 || !(opt->l1 >= 0) || !(opt->input_noise >= 0) ||
        opt->plateau_factor < 0 ||
        opt->plateau_factor >= 1 ||
        opt->patience < 0 || opt->plateau_patience < 0) {
        snprintf(err, 256, "fit options: need batch_size >= 1, max_epochs >= 0, lr > 0, "
                 "weight_decay >= 0, l1 >= 0, input_noise >= 0, plateau factor in [0, 1), "
                 "patience >= 0");
        return TR_FIT_EBADARG;
    }
    if (check_set(m, train, "train", err) || check_set(m, val, "validation", err))
        return TR_FIT_EBADARG;
    if (opt->max_epochs > 0 && (train ? train->n : 0) == 0) {
        snprintf(err, 256, "fit: no training windows");
        return TR_FIT_EBADARG;
    }
    return 0;
}

/* One epoch over the shuffled training windows in batches of B: forward,
 * backward, L1, clipping, Adam. *mean_loss is the epoch's mean training loss.
 * 0, or TR_FIT_ENONFINITE and err. */
static int fit_epoch(tr_lstm *m, const tr_windows *train, const tr_fit_options *opt,
                     gsl_rng *rng, int *perm, int B, tr_adam *ad, double lr, int epoch,
                     double *mean_loss, char err[256])
{
    int n_train = train->n;
    size_t n = m->n_params;
    gsl_ran_shuffle(rng, perm, (size_t)n_train, sizeof *perm);
    double sum = 0.0;
    for (int s = 0; s < n_train; s += B) {
        int nb = n_train - s < B ? n_train - s : B;
        tr_lstm_gather(train, perm, s, nb, m->xb, m->yb);
        if (opt->input_noise > 0) {
            size_t nx = (size_t)nb * (size_t)m->cfg.seq_len * (size_t)m->cfg.n_features;
            for (size_t i = 0; i < nx; i++)
                m->xb[i] += (float)gsl_ran_gaussian_ziggurat(rng, opt->input_noise);
        }
        float loss = tr_lstm_forward(m, m->xb, m->yb, nb, 1, gsl_rng_get(rng), NULL);
        if (!isfinite(loss)) {
            snprintf(err, 256, "fit: the training loss became %s in epoch %d "
                     "(batch at window %d); check the inputs for NaN/inf or lower "
                     "the learning rate", isnan(loss) ? "NaN" : "infinite", epoch, s);
            return TR_FIT_ENONFINITE;
        }
        sum += (double)loss * nb;
        tr_lstm_zero_grad(m);
        tr_lstm_backward(m, NULL);
        tr_lstm_l1(m, opt->l1);
        double gnorm = tr_clip_grad_norm(m->grads, n, opt->clip_norm);
        if (!isfinite(gnorm)) {
            snprintf(err, 256, "fit: the gradient norm became non-finite in epoch %d", epoch);
            return TR_FIT_ENONFINITE;
        }
        tr_adam_step(ad, m->params, m->grads, lr);
    }
    *mean_loss = sum / n_train;
    return 0;
}

/* ReduceLROnPlateau(mode min, threshold 1e-4 rel, cooldown 0): the learning rate
 * after an epoch with validation loss v. */
static double fit_plateau(const tr_fit_options *opt, double v, double lr, double *best,
                          int *bad)
{
    if (!(opt->plateau_factor > 0))
        return lr;
    if (v < *best * (1.0 - 1e-4)) {
        *best = v;
        *bad = 0;
    } else if (++*bad > opt->plateau_patience) {
        double nl = fmax(lr * opt->plateau_factor, opt->min_lr);
        if (lr - nl > 1e-8)
            lr = nl;
        *bad = 0;
    }
    return lr;
}

int tr_fit(tr_lstm *m, const tr_windows *train, const tr_windows *val,
           const tr_fit_options *opt, tr_fit_result *res, char err[256])
{
    gsl_rng *rng = NULL;
    int *perm = NULL;
    float *best = NULL;
    tr_adam ad = {0};
    size_t n = m->n_params;
    memset(res, 0, sizeof *res);
    res->best_val_loss = INFINITY;
    res->final_lr = opt->lr;
    int rc = fit_check(m, train, val, opt, err);
    if (rc)
        goto fail;
    int n_train = train ? train->n : 0;
    int has_val = val && val->n > 0;
    int B = opt->batch_size < m->cfg.max_batch ? opt->batch_size : m->cfg.max_batch;

    rng = gsl_rng_alloc(gsl_rng_mt19937);
    perm = malloc((size_t)(n_train > 0 ? n_train : 1) * sizeof *perm);
    best = malloc(n * sizeof *best);
    if (!rng || !perm || !best ||
        tr_adam_init(&ad, n, opt->beta1, opt->beta2, opt->eps, opt->weight_decay, err)) {
        snprintf(err, 256, "fit: out of memory for %zu parameters", n);
        rc = TR_FIT_ENOMEM;
        goto fail;
    }
    gsl_rng_set(rng, opt->seed);
    if (opt->init_weights)
        tr_lstm_init(m, rng);
    memcpy(best, m->params, n * sizeof *best);
    for (int i = 0; i < n_train; i++)
        perm[i] = i;

    double lr = opt->lr, plateau_best = INFINITY;
    int plateau_bad = 0, bad = 0;
    if (opt->max_epochs == 0 && has_val && tr_lstm_eval_loss(m, val, &res->best_val_loss, err)) {
        rc = TR_FIT_EBADARG;
        goto fail;
    }
    for (int epoch = 1; epoch <= opt->max_epochs; epoch++) {
        tr_epoch_report r = {.epoch = epoch, .lr = lr};
        if ((rc = fit_epoch(m, train, opt, rng, perm, B, &ad, lr, epoch, &r.train_loss, err)))
            goto fail;
        r.val_loss = r.train_loss;
        if (has_val && tr_lstm_eval_loss(m, val, &r.val_loss, err)) {
            rc = TR_FIT_EBADARG;
            goto fail;
        }
        if (!isfinite(r.val_loss)) {
            snprintf(err, 256, "fit: the validation loss became %s in epoch %d",
                     isnan(r.val_loss) ? "NaN" : "infinite", epoch);
            rc = TR_FIT_ENONFINITE;
            goto fail;
        }
        res->epochs_run = epoch;
        if (r.val_loss < res->best_val_loss) {
            res->best_val_loss = r.val_loss;
            res->best_epoch = epoch;
            memcpy(best, m->params, n * sizeof *best);
            r.is_best = 1;
            bad = 0;
        } else {
            bad++;
        }
        lr = fit_plateau(opt, r.val_loss, lr, &plateau_best, &plateau_bad);
        if (opt->on_epoch && opt->on_epoch(opt->user, &r)) {
            res->pruned = 1;
            break;
        }
        if (opt->patience > 0 && bad >= opt->patience) {
            res->stopped_early = 1;
            break;
        }
    }
    res->final_lr = lr;
    if (opt->restore_best && res->best_epoch > 0)
        memcpy(m->params, best, n * sizeof *best);
fail:
    gsl_rng_free(rng);
    free(perm);
    free(best);
    tr_adam_free(&ad);
    return rc;
}
