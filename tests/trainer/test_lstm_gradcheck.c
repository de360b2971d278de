/*
 * test_lstm_gradcheck - the LSTM's analytic gradients against finite differences.
 *
 * The reference is an independent, naive double-precision LSTM written here (per
 * window, per timestep, plain loops; it shares only the slab layout documented in
 * lstm.h). For each parameter and each input value the numeric gradient is a
 * central difference of the double loss with step 1e-5 (truncation and rounding
 * both below 1e-9). The float32 analytic gradient from tr_lstm_backward must match
 * per tensor:  max_i |analytic_i - numeric_i| <= 1e-4 * max_i |numeric_i| + 1e-6.
 * Configurations: 1 layer (BCE), 3 layers (MSE), 3 layers with units not a multiple
 * of the kernels' vector width, and one with dropout masks replayed from the C
 * forward pass (dropout enters the reference as fixed masks); and stacks whose
 * layers have their own sizes (layer l reads layer l-1's H_{l-1}) and their own
 * dropout, one layer's set to 0 while the others drop.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"
#include "trainer/lstm.h"

static double sigm(double a) { return 1.0 / (1.0 + exp(-a)); }

/* Naive double forward; masks (from a C training forward) or NULL. Returns mean loss. */
static double ref_loss(const tr_lstm *m, const double *P, const double *x, const float *y,
                       int B, int use_masks)
{
    const tr_lstm_config *c = &m->cfg;
    int T = c->seq_len, F = c->n_features, Hm = tr_lstm_max_units(c), H = 0;
    double *in = malloc(sizeof(double) * T * (F > Hm ? F : Hm));
    double *out = malloc(sizeof(double) * T * Hm);
    double *a = malloc(sizeof(double) * 4 * Hm);
    double *h = malloc(sizeof(double) * Hm), *cs = malloc(sizeof(double) * Hm);
    double loss = 0.0;
    for (int b = 0; b < B; b++) {
        for (int k = 0; k < T * F; k++)
            in[k] = x[(size_t)b * T * F + k];
        const double *p = P;
        int K = F;
        for (int l = 0; l < c->layers; l++) {
            if (l > 0) {   /* layer l-1's output, with its own dropout's mask */
                K = H;
                int drop = use_masks && tr_lstm_layer_dropout(c, l - 1) > 0;
                for (int t = 0; t < T; t++)
                    for (int k = 0; k < H; k++)
                        in[t * H + k] = out[t * H + k] *
                            (drop ? m->L[l].mask[((size_t)t * B + b) * H + k] : 1.0);
            }
            H = tr_lstm_layer_units(c, l);
            const double *wih = p, *whh = p + 4 * H * K, *bih = whh + 4 * H * H, *bhh = bih + 4 * H;
            p = bhh + 4 * H;
            for (int j = 0; j < H; j++)
                h[j] = cs[j] = 0.0;
            for (int t = 0; t < T; t++) {
                for (int r = 0; r < 4 * H; r++) {
                    double s = bih[r] + bhh[r];
                    for (int k = 0; k < K; k++)
                        s += wih[r * K + k] * in[t * K + k];
                    for (int j = 0; j < H; j++)
                        s += whh[r * H + j] * h[j];
                    a[r] = s;
                }
                for (int j = 0; j < H; j++) {
                    double i = sigm(a[j]), f = sigm(a[H + j]), g = tanh(a[2 * H + j]),
                           o = sigm(a[3 * H + j]);
                    cs[j] = f * cs[j] + i * g;
                    h[j] = o * tanh(cs[j]);
                    out[t * H + j] = h[j];
                }
            }
        }
        int drop = use_masks && tr_lstm_layer_dropout(c, c->layers - 1) > 0;
        double z = p[H];
        for (int j = 0; j < H; j++)
            z += p[j] * h[j] * (drop ? m->head_mask[(size_t)b * H + j] : 1.0);
        if (c->head == TR_HEAD_DIRECTION)
            loss += (z > 0 ? z : 0) - y[b] * z + log1p(exp(-fabs(z)));
        else
            loss += (z - y[b]) * (z - y[b]);
    }
    free(in); free(out); free(a); free(h); free(cs);
    return loss / B;
}

static void compare(const char *name, int layer, const float *an, const double *nu, size_t n)
{
    double maxd = 0, maxn = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(an[i] - nu[i]);
        if (d > maxd) { maxd = d; at = i; }
        if (fabs(nu[i]) > maxn) maxn = fabs(nu[i]);
    }
    CHECK_MSG(maxd <= 1e-4 * maxn + 1e-6,
              "tensor %s (layer %d): max |analytic - numeric| = %.3g at %zu "
              "(analytic %.8g, numeric %.8g), max |numeric| = %.3g",
              name, layer, maxd, at, an[at], nu[at], maxn);
    CHECK_MSG(maxn > 0 || n == 0, "tensor %s (layer %d): numeric gradient all zero", name, layer);
}

/* Checks every gradient of the model cfg describes (n_features, seq_len and
 * max_batch are set here). */
static void run_cfg(tr_lstm_config cfg, unsigned long seed)
{
    char err[256];
    int B = 4, T = 6, F = 3, layers = cfg.layers, units = cfg.units;
    tr_head head = cfg.head;
    cfg.n_features = F;
    cfg.seq_len = T;
    cfg.max_batch = B;
    int training = 0;
    for (int l = 0; l < layers; l++)
        training |= tr_lstm_layer_dropout(&cfg, l) > 0;
    tr_lstm *m = tr_lstm_new(&cfg, err);
    CHECK_MSG(m != NULL, "%s", err);
    if (!m)
        return;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    tr_lstm_init(m, rng);
    /* larger-than-init weights so the gates leave their linear region */
    for (size_t i = 0; i < m->n_params; i++)
        m->params[i] *= 2.0f;
    float *x = malloc(sizeof(float) * B * T * F), *y = malloc(sizeof(float) * B);
    float *dx = malloc(sizeof(float) * B * T * F);
    for (int i = 0; i < B * T * F; i++)
        x[i] = (float)(2.0 * gsl_rng_uniform(rng) - 1.0);
    for (int b = 0; b < B; b++)
        y[b] = head == TR_HEAD_DIRECTION ? (float)(b % 2) : (float)gsl_ran_gaussian(rng, 1.0);
    float lf = tr_lstm_forward(m, x, y, B, training, 1234, NULL);
    tr_lstm_zero_grad(m);
    tr_lstm_backward(m, dx);

    size_t n = m->n_params;
    double *P = malloc(sizeof(double) * n), *xd = malloc(sizeof(double) * B * T * F);
    double *num = malloc(sizeof(double) * (n > (size_t)B * T * F ? n : (size_t)B * T * F));
    for (size_t i = 0; i < n; i++)
        P[i] = m->params[i];
    for (int i = 0; i < B * T * F; i++)
        xd[i] = x[i];
    double l0 = ref_loss(m, P, xd, y, B, training);
    CHECK_MSG(fabs(lf - l0) <= 1e-5 * fabs(l0) + 1e-7,
              "layers %d units %d: float loss %.9g vs double reference %.9g", layers, units,
              (double)lf, l0);
    const double h = 1e-5;
    for (size_t i = 0; i < n; i++) {
        double keep = P[i];
        P[i] = keep + h;
        double lp = ref_loss(m, P, xd, y, B, training);
        P[i] = keep - h;
        double lm = ref_loss(m, P, xd, y, B, training);
        P[i] = keep;
        num[i] = (lp - lm) / (2 * h);
    }
    for (int l = 0; l < layers; l++) {
        size_t Hl = (size_t)tr_lstm_layer_units(&cfg, l), G = 4 * Hl;
        size_t K = l == 0 ? (size_t)F : (size_t)tr_lstm_layer_units(&cfg, l - 1);
        compare("w_ih", l, m->g.w_ih[l], num + (m->g.w_ih[l] - m->grads), G * K);
        compare("w_hh", l, m->g.w_hh[l], num + (m->g.w_hh[l] - m->grads), G * Hl);
        compare("b_ih", l, m->g.b_ih[l], num + (m->g.b_ih[l] - m->grads), G);
        compare("b_hh", l, m->g.b_hh[l], num + (m->g.b_hh[l] - m->grads), G);
    }
    compare("w_head", -1, m->g.w_head, num + (m->g.w_head - m->grads),
            (size_t)tr_lstm_layer_units(&cfg, layers - 1));
    compare("b_head", -1, m->g.b_head, num + (m->g.b_head - m->grads), 1);
    for (int i = 0; i < B * T * F; i++) {
        double keep = xd[i];
        xd[i] = keep + h;
        double lp = ref_loss(m, P, xd, y, B, training);
        xd[i] = keep - h;
        double lm = ref_loss(m, P, xd, y, B, training);
        xd[i] = keep;
        num[i] = (lp - lm) / (2 * h);
    }
    compare("input", -1, dx, num, (size_t)B * T * F);
    fprintf(stderr, "layers %d units", layers);
    for (int l = 0; l < layers; l++)
        fprintf(stderr, " %d", tr_lstm_layer_units(&cfg, l));
    fprintf(stderr, " dropout");
    for (int l = 0; l < layers; l++)
        fprintf(stderr, " %.2f", (double)tr_lstm_layer_dropout(&cfg, l));
    fprintf(stderr, " head %d: %zu parameters checked\n", (int)head, n);
    free(x); free(y); free(dx); free(P); free(xd); free(num);
    gsl_rng_free(rng);
    tr_lstm_free(m);
}

static void run(int layers, int units, tr_head head, float dropout, unsigned long seed)
{
    run_cfg((tr_lstm_config){.units = units, .layers = layers, .dropout = dropout,
                             .head = head}, seed);
}

int main(void)
{
    gsl_set_error_handler_off();
    run(1, 8, TR_HEAD_DIRECTION, 0.0f, 1);
    run(3, 6, TR_HEAD_RETURN, 0.0f, 2);
    run(3, 17, TR_HEAD_DIRECTION, 0.0f, 3);
    run(2, 5, TR_HEAD_RETURN, 0.3f, 4);
    /* per-layer sizes: shrinking and growing, a layer left at units (0), 17 */
    run_cfg((tr_lstm_config){.units = 4, .layers = 3, .head = TR_HEAD_DIRECTION,
                             .layer_units = {9, 0, 2}}, 5);
    run_cfg((tr_lstm_config){.units = 6, .layers = 4, .head = TR_HEAD_RETURN,
                             .layer_units = {3, 17, 5, 0}}, 6);
    /* and per-layer dropout: layer 1's output kept whole (0) while 2 and 3 drop */
    run_cfg((tr_lstm_config){.units = 5, .layers = 3, .head = TR_HEAD_RETURN,
                             .dropout = 0.3f, .layer_units = {7, 3, 0},
                             .layer_dropout = {0.0f, 0.0f, 0.45f},
                             .layer_dropout_set = 1u | 4u}, 7);
    return check_done();
}
