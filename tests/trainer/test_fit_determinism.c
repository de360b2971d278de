/*
 * test_fit_determinism - one seed gives one result, and the fit's boundaries.
 *
 * - Two fits with the same seed (dropout on, shuffling, 2 layers) end with
 *   bit-identical weights and identical loss histories; a different seed differs.
 * - Zero epochs: no training, the weights are exactly tr_lstm_init's from the
 *   fit's generator, no callback.
 * - One training window and one validation window train without error.
 * - A NaN in the inputs stops the fit with TR_FIT_ENONFINITE and a message.
 * - Mismatched windows and bad options are refused with TR_FIT_EBADARG.
 * - L2 weight decay changes the result (it is applied).
 * - Input noise: 0 leaves the fit bit-identical (no draw); a std of 0.3 changes
 *   it; a std of 20 on inputs of std 1 raises the first epoch's training loss
 *   (noisy inputs) but not its validation loss as much (validation sees none);
 *   a negative std is refused.
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

#define ROWS 400
#define F 4
#define T 12

static float x[ROWS * F], y[ROWS];
static int ends[ROWS];

typedef struct hist {
    int n;
    double loss[64];
} hist;

static int record(void *user, const tr_epoch_report *r)
{
    hist *h = user;
    if (h->n < 64)
        h->loss[h->n++] = r->train_loss;
    return 0;
}

static tr_lstm *model(float dropout)
{
    char err[256];
    tr_lstm_config cfg = {.n_features = F, .units = 12, .layers = 2, .seq_len = T,
                          .max_batch = 32, .dropout = dropout, .head = TR_HEAD_RETURN};
    tr_lstm *m = tr_lstm_new(&cfg, err);
    CHECK_MSG(m != NULL, "%s", err);
    return m;
}

static int fit(tr_lstm *m, unsigned long seed, int epochs, double wd, hist *h,
               const tr_windows *tr, const tr_windows *va, char err[256])
{
    tr_fit_options o;
    tr_fit_options_default(&o);
    o.batch_size = 32;
    o.max_epochs = epochs;
    o.seed = seed;
    o.weight_decay = wd;
    o.on_epoch = h ? record : NULL;
    o.user = h;
    tr_fit_result res;
    return tr_fit(m, tr, va, &o, &res, err);
}

/* The first epoch's train and validation loss of a fit with input noise `sd`. */
static int fit_noise(tr_lstm *m, double sd, int epochs, const tr_windows *tr,
                     const tr_windows *va, hist *h, char err[256])
{
    tr_fit_options o;
    tr_fit_options_default(&o);
    o.batch_size = 32;
    o.max_epochs = epochs;
    o.seed = 42;
    o.patience = 0;
    o.input_noise = sd;
    o.on_epoch = h ? record : NULL;
    o.user = h;
    tr_fit_result res;
    return tr_fit(m, tr, va, &o, &res, err);
}

int main(void)
{
    gsl_set_error_handler_off();
    char err[256];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 5);
    for (int i = 0; i < ROWS * F; i++)
        x[i] = (float)gsl_ran_gaussian(rng, 1.0);
    for (int r = 0; r < ROWS; r++) {
        y[r] = 0.5f * x[r * F] + (r > 0 ? 0.3f * x[(r - 1) * F + 1] : 0.0f);
        ends[r] = r;
    }
    tr_windows tr = {x, y, ends + T - 1, 250, T, F};
    tr_windows va = {x, y, ends + 260, 100, T, F};

    tr_lstm *a = model(0.2f), *b = model(0.2f), *c = model(0.2f);
    hist ha = {0}, hb = {0};
    CHECK_MSG(fit(a, 42, 4, 0.0, &ha, &tr, &va, err) == 0, "%s", err);
    CHECK_MSG(fit(b, 42, 4, 0.0, &hb, &tr, &va, err) == 0, "%s", err);
    CHECK_MSG(fit(c, 43, 4, 0.0, NULL, &tr, &va, err) == 0, "%s", err);
    CHECK_MSG(memcmp(a->params, b->params, a->n_params * sizeof(float)) == 0,
              "same seed, different weights");
    CHECK_INT(ha.n, 4);
    CHECK(ha.n == hb.n && memcmp(ha.loss, hb.loss, sizeof ha.loss) == 0);
    CHECK_MSG(memcmp(a->params, c->params, a->n_params * sizeof(float)) != 0,
              "different seeds, identical weights");

    /* weight decay is applied */
    CHECK_MSG(fit(c, 42, 4, 0.05, NULL, &tr, &va, err) == 0, "%s", err);
    CHECK_MSG(memcmp(a->params, c->params, a->n_params * sizeof(float)) != 0,
              "weight decay had no effect");

    /* input noise: 0 is no draw at all, > 0 is applied to training inputs only */
    hist hn0 = {0}, hn = {0}, hbig = {0};
    CHECK_MSG(fit_noise(c, 0.0, 4, &tr, &va, &hn0, err) == 0, "%s", err);
    CHECK_MSG(memcmp(a->params, c->params, a->n_params * sizeof(float)) == 0,
              "input_noise 0 changed the fit");
    CHECK(hn0.n == ha.n && memcmp(hn0.loss, ha.loss, sizeof ha.loss) == 0);
    CHECK_MSG(fit_noise(c, 0.3, 4, &tr, &va, &hn, err) == 0, "%s", err);
    CHECK_MSG(memcmp(a->params, c->params, a->n_params * sizeof(float)) != 0,
              "input_noise 0.3 had no effect");
    /* 40 epochs on y = 0.5 x0(t) + 0.3 x1(t-1): without noise the fit learns the
     * relation; noise of std 20 on inputs of std 1 drowns it */
    hist hclean = {0};
    CHECK_MSG(fit_noise(c, 0.0, 40, &tr, &va, &hclean, err) == 0, "%s", err);
    CHECK_MSG(fit_noise(c, 20.0, 40, &tr, &va, &hbig, err) == 0, "%s", err);
    fprintf(stderr, "train loss after 40 epochs: noise 0 %g, noise 20 %g (first epoch %g, %g)\n",
            hclean.loss[hclean.n - 1], hbig.loss[hbig.n - 1], hclean.loss[0], hbig.loss[0]);
    CHECK_MSG(hclean.loss[hclean.n - 1] < 0.7 * hbig.loss[hbig.n - 1],
              "noise std 20 did not hurt the training fit: %g vs %g",
              hbig.loss[hbig.n - 1], hclean.loss[hclean.n - 1]);
    CHECK_INT(fit_noise(c, -0.1, 4, &tr, &va, NULL, err), TR_FIT_EBADARG);
    CHECK_STR_CONTAINS(err, "input_noise");

    /* zero epochs: weights are the initialisation from the fit's seed */
    hist hz = {0};
    CHECK_MSG(fit(b, 9, 0, 0.0, &hz, &tr, &va, err) == 0, "%s", err);
    CHECK_INT(hz.n, 0);
    gsl_rng_set(rng, 9);
    tr_lstm_init(c, rng);
    CHECK(memcmp(b->params, c->params, b->n_params * sizeof(float)) == 0);

    /* one window each */
    tr_windows one = {x, y, ends + 20, 1, T, F}, vone = {x, y, ends + 300, 1, T, F};
    hist h1 = {0};
    CHECK_MSG(fit(b, 1, 3, 0.0, &h1, &one, &vone, err) == 0, "%s", err);
    CHECK_INT(h1.n, 3);
    CHECK_MSG(fit(b, 1, 2, 0.0, NULL, &one, NULL, err) == 0, "no validation: %s", err);
    float p;
    CHECK(tr_lstm_predict(b, &one, &p, err) == 0 && isfinite(p));

    /* NaN in the inputs */
    float keep = x[30 * F + 2];
    x[30 * F + 2] = NAN;
    err[0] = 0;
    CHECK_INT(fit(b, 1, 2, 0.0, NULL, &tr, &va, err), TR_FIT_ENONFINITE);
    CHECK_STR_CONTAINS(err, "NaN");
    x[30 * F + 2] = keep;

    /* bad windows and options */
    tr_windows wrong = {x, y, ends + T - 1, 10, T + 1, F};
    CHECK_INT(fit(b, 1, 1, 0.0, NULL, &wrong, &va, err), TR_FIT_EBADARG);
    CHECK_STR_CONTAINS(err, "seq_len");
    tr_windows early = {x, y, ends, 10, T, F};
    CHECK_INT(fit(b, 1, 1, 0.0, NULL, &early, &va, err), TR_FIT_EBADARG);
    CHECK_STR_CONTAINS(err, "window 0");
    CHECK_INT(fit(b, 1, 1, -1.0, NULL, &tr, &va, err), TR_FIT_EBADARG);
    tr_windows none = {x, y, ends + T - 1, 0, T, F};
    CHECK_INT(fit(b, 1, 1, 0.0, NULL, &none, &va, err), TR_FIT_EBADARG);
    CHECK_STR_CONTAINS(err, "no training windows");
    tr_lstm_config bad = {.n_features = F, .units = 8, .layers = 5, .seq_len = T, .max_batch = 4};
    CHECK(tr_lstm_new(&bad, err) == NULL);
    CHECK_STR_CONTAINS(err, "layers");

    tr_lstm_free(a);
    tr_lstm_free(b);
    tr_lstm_free(c);
    gsl_rng_free(rng);
    return check_done();
}
