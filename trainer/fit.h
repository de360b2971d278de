/*
 * fit.h - the training loop: mini-batches, Adam, clipping, ReduceLROnPlateau,
 * early stopping with best-weight restore, and a per-epoch callback for logging
 * and pruning.
 *
 * One epoch: shuffle the training windows (gsl_rng seeded from opt->seed), then per
 * batch: gather -> forward (dropout on) -> zero grad -> backward -> clip -> Adam.
 * After the epoch the validation loss (dropout off) drives ReduceLROnPlateau and
 * early stopping, then the callback runs. Everything random (weight init when
 * asked, shuffles, dropout masks) comes from that one generator, so the same seed
 * gives the same weights bit for bit in one thread.
 */
#ifndef TR_FIT_H
#define TR_FIT_H

#include "trainer/lstm.h"
#include "trainer/windows.h"

/* Adam state: first and second moments, one slab each, in the parameter layout. */
typedef struct tr_adam {
    float *m, *v;
    size_t n;
    long step;
    double b1, b2, eps, wd;
} tr_adam;

/* Zeroed moments for n parameters; beta/eps <= 0 mean PyTorch's 0.9, 0.999, 1e-8;
 * weight_decay as PyTorch Adam's (L2 added to the gradient). 0, or -1 with err.
 * Release with tr_adam_free. */
int tr_adam_init(tr_adam *a, size_t n, double beta1, double beta2, double eps,
                 double weight_decay, char err[256]);
void tr_adam_free(tr_adam *a);

/* One torch.optim.Adam step of p (a->n) with gradient g at learning rate lr. */
void tr_adam_step(tr_adam *a, float *p, const float *g, double lr);

/* clip_grad_norm_: scales g (n) by max_norm / (norm + 1e-6) when that is < 1;
 * max_norm <= 0 only measures. Returns the global L2 norm before clipping. */
double tr_clip_grad_norm(float *g, size_t n, double max_norm);

/* What the callback sees after each epoch (epoch counts from 1). */
typedef struct tr_epoch_report {
    int epoch;
    double train_loss;      /* mean over the epoch's batches, dropout on */
    double val_loss;        /* mean over val (dropout off); train_loss when no val */
    double lr;              /* learning rate used in this epoch */
    int is_best;            /* val_loss is the best so far (these weights are kept) */
} tr_epoch_report;

/* Non-zero return stops the fit (pruning): res->pruned is set, best weights restored. */
typedef int (*tr_epoch_fn)(void *user, const tr_epoch_report *r);

typedef struct tr_fit_options {
    int batch_size;         /* >= 1; clamped to the model's max_batch */
    int max_epochs;         /* >= 0; 0 trains nothing and reports the current val loss */
    double lr;              /* Adam learning rate, > 0 */
    double beta1, beta2, eps;   /* Adam; 0 means PyTorch's 0.9, 0.999, 1e-8 */
    double weight_decay;    /* L2 as PyTorch Adam: grad += wd * param; 0 = off */
    double clip_norm;       /* global-norm clipping (clip_grad_norm_); <= 0 = off */
    double plateau_factor;  /* ReduceLROnPlateau factor in (0, 1); 0 = off */
    int plateau_patience;   /* epochs without relative improvement 1e-4 before a cut */
    double min_lr;          /* floor for the plateau cuts (PyTorch default 0) */
    int patience;           /* early stopping: epochs without improvement; 0 = off */
    int restore_best;       /* non-zero: end with the best epoch's weights */
    int init_weights;       /* non-zero: tr_lstm_init from the fit's generator first */
    unsigned long seed;
    tr_epoch_fn on_epoch;   /* may be NULL */
    void *user;
    double l1;              /* L1 on the weights, not biases (tr_lstm_l1): its gradient
                               joins the loss's before clipping; 0 = off. The reported
                               losses are the data loss without the penalty. */
    double input_noise;     /* Gaussian noise of this standard deviation added to every
                               training input (the scaled features) of every batch, drawn
                               from the fit's generator; validation and prediction see
                               none; 0 = off (and no draw, so the fit is unchanged) */
} tr_fit_options;

/* PyTorch-like defaults: batch 64, 100 epochs, lr 1e-3, clip 1.0, plateau 0.5/5,
 * patience 15, restore best, init weights, seed 0. */
void tr_fit_options_default(tr_fit_options *opt);

typedef struct tr_fit_result {
    int epochs_run;         /* completed epochs */
    int best_epoch;         /* 1-based; 0 when no epoch ran */
    double best_val_loss;
    double final_lr;
    int stopped_early;      /* early stopping acted */
    int pruned;             /* the callback asked to stop */
} tr_fit_result;

#define TR_FIT_EBADARG (-1)     /* bad options or windows */
#define TR_FIT_ENONFINITE (-2)  /* NaN or inf loss or gradient */
#define TR_FIT_ENOMEM (-3)

/* Trains m on train, validating on val (may be NULL or empty: then the train loss
 * drives plateau and early stopping). Returns 0 or a TR_FIT_E* code with err
 * filled; on error the model's weights are unspecified. Allocates its Adam state
 * and index arrays once before the first epoch; nothing inside the loop. */
int tr_fit(tr_lstm *m, const tr_windows *train, const tr_windows *val,
           const tr_fit_options *opt, tr_fit_result *res, char err[256]);

#endif
