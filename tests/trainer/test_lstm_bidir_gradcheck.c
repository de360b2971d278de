/*
 * test_lstm_bidir_gradcheck - gradients of bidirectional layers and of the L1
 * penalty against finite differences.
 *
 * The reference is an independent, naive double-precision bidirectional LSTM
 * written here (per window, per direction, per timestep, plain loops; it shares
 * only the slab layout documented in lstm.h): the reverse direction runs from the
 * last bar to the first, a layer's output is [h_fwd_t, h_bwd_t], the head reads
 * [h_fwd_{T-1}, h_bwd_0]. Its loss is the data loss plus l1 * sum |w| over the
 * weight matrices. Numeric gradients are central differences with step 1e-5; the
 * float32 gradient of tr_lstm_backward + tr_lstm_l1 must match per tensor:
 * max_i |analytic_i - numeric_i| <= 1e-4 * max_i |numeric_i| + 1e-6.
 * Configurations: 1 layer BCE with L1; 2 layers MSE with dropout (the C pass's
 * masks are replayed) and L1; 2 layers BCE without L1, units not a multiple of 16;
 * 2 layers with the three-class head (class-weighted cross-entropy), dropout, L1;
 * 3 layers of sizes 6, 3, 5 (layer l reads [h_fwd, h_bwd] of 2 H_{l-1}) with their
 * own dropout (the middle one 0) and L1.
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

/* One direction over in (T, K): writes h into out (T, 2H) at column offset col. */
static void ref_dir(const double *wih, const double *whh, const double *bih, const double *bhh,
                    const double *in, int T, int K, int H, int reverse, double *out, int col)
{
    double *h = calloc((size_t)H, sizeof *h), *cs = calloc((size_t)H, sizeof *cs);
    double *a = malloc(sizeof *a * 4 * (size_t)H), *hn = malloc(sizeof *hn * (size_t)H);
    for (int s = 0; s < T; s++) {
        int t = reverse ? T - 1 - s : s;
        for (int g = 0; g < 4 * H; g++) {
            double v = bih[g] + bhh[g];
            for (int k = 0; k < K; k++)
                v += wih[(size_t)g * K + k] * in[(size_t)t * K + k];
            for (int k = 0; k < H; k++)
                v += whh[(size_t)g * H + k] * h[k];
            a[g] = v;
        }
        for (int j = 0; j < H; j++) {
            double i = sigm(a[j]), f = sigm(a[H + j]), g = tanh(a[2 * H + j]),
                   o = sigm(a[3 * H + j]);
            cs[j] = f * cs[j] + i * g;
            hn[j] = o * tanh(cs[j]);
        }
        memcpy(h, hn, sizeof *h * (size_t)H);
        for (int j = 0; j < H; j++)
            out[(size_t)t * 2 * H + col + j] = h[j];
    }
    free(h); free(cs); free(a); free(hn);
}

static double ref_loss(const tr_lstm *m, const double *P, const double *x, const float *y,
                       int B, int use_masks, double l1)
{
    const tr_lstm_config *c = &m->cfg;
    int T = c->seq_len, F = c->n_features, Hm = tr_lstm_max_units(c), H = 0;
    int W = 2 * Hm > F ? 2 * Hm : F;
    double *in = malloc(sizeof(double) * T * W), *out = malloc(sizeof(double) * T * 2 * Hm);
    double loss = 0.0, wsum = 0.0;
#define OFF(ptr) (P + ((ptr) - m->params))
    for (int b = 0; b < B; b++) {
        int K = F;
        for (int k = 0; k < T * F; k++)
            in[k] = x[(size_t)b * T * F + k];
        for (int l = 0; l < c->layers; l++) {
            H = tr_lstm_layer_units(c, l);
            ref_dir(OFF(m->p.w_ih[l]), OFF(m->p.w_hh[l]), OFF(m->p.b_ih[l]), OFF(m->p.b_hh[l]),
                    in, T, K, H, 0, out, 0);
            ref_dir(OFF(m->p.w_ih_r[l]), OFF(m->p.w_hh_r[l]), OFF(m->p.b_ih_r[l]),
                    OFF(m->p.b_hh_r[l]), in, T, K, H, 1, out, H);
            K = 2 * H;
            int drop = use_masks && tr_lstm_layer_dropout(c, l) > 0;
            for (int t = 0; t < T; t++)
                for (int k = 0; k < K; k++) {
                    double v = out[(size_t)t * K + k];
                    if (drop && l + 1 < c->layers)
                        v *= m->L[l + 1].mask[((size_t)t * B + b) * K + k];
                    in[(size_t)t * K + k] = v;
                }
        }
        int drop_head = use_masks && tr_lstm_layer_dropout(c, c->layers - 1) > 0;
        int NO = tr_lstm_n_out(c);
        double zs[TR_LSTM_MAX_CLASSES] = {0};
        for (int o = 0; o < NO; o++) {
            zs[o] = OFF(m->p.b_head)[o];
            for (int k = 0; k < 2 * H; k++) {
                double v = k < H ? out[(size_t)(T - 1) * 2 * H + k] : out[k];
                if (drop_head)
                    v *= m->head_mask[(size_t)b * 2 * H + k];
                zs[o] += OFF(m->p.w_head)[(size_t)o * 2 * H + k] * v;
            }
        }
        double z = zs[0];
        if (c->head == TR_HEAD_MULTICLASS) {   /* weighted CE; weights summed in wsum */
            double se = 0;
            for (int o = 0; o < NO; o++)
                se += exp(zs[o]);
            int t = (int)y[b];
            double w = c->class_weight[0] != 0 ? c->class_weight[t] : 1.0;
            loss += w * -(zs[t] - log(se));
            wsum += w;
        } else if (c->head == TR_HEAD_DIRECTION)
            loss += -(y[b] * log(sigm(z)) + (1 - y[b]) * log(1 - sigm(z)));
        else
            loss += (z - y[b]) * (z - y[b]);
    }
    loss /= c->head == TR_HEAD_MULTICLASS ? wsum : B;
    double pen = 0.0;
    for (int l = 0; l < c->layers; l++) {
        size_t Hl = (size_t)tr_lstm_layer_units(c, l), G = 4 * Hl;
        size_t K = l == 0 ? (size_t)F : 2 * (size_t)tr_lstm_layer_units(c, l - 1);
        const float *ws[4] = {m->p.w_ih[l], m->p.w_hh[l], m->p.w_ih_r[l], m->p.w_hh_r[l]};
        size_t ns[4] = {G * K, G * Hl, G * K, G * Hl};
        for (int q = 0; q < 4; q++)
            for (size_t i = 0; i < ns[q]; i++)
                pen += fabs(OFF(ws[q])[i]);
    }
    for (int k = 0; k < 2 * H * tr_lstm_n_out(c); k++)
        pen += fabs(OFF(m->p.w_head)[k]);
#undef OFF
    free(in);
    free(out);
    return loss + l1 * pen;
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

#define CMP(name, l, ptr, n) compare(name, l, m->g.ptr, num + (m->g.ptr - m->grads), n)

/* Checks every gradient of the bidirectional model cfg describes (the sizes,
 * heads and classes are set here) with an L1 penalty l1. */
static void run_cfg(tr_lstm_config cfg, double l1, unsigned long seed)
{
    char err[256];
    int B = 3, T = 5, F = 3, layers = cfg.layers, units = cfg.units;
    tr_head head = cfg.head;
    cfg.n_features = F;
    cfg.seq_len = T;
    cfg.max_batch = B;
    cfg.bidirectional = 1;
    cfg.n_classes = 3;
    cfg.class_weight[0] = 0.5f;
    cfg.class_weight[1] = 2.0f;
    cfg.class_weight[2] = 1.25f;
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
    for (size_t i = 0; i < m->n_params; i++)
        m->params[i] *= 2.0f;
    float *x = malloc(sizeof(float) * B * T * F), *y = malloc(sizeof(float) * B);
    float *dx = malloc(sizeof(float) * B * T * F);
    for (int i = 0; i < B * T * F; i++)
        x[i] = (float)(2.0 * gsl_rng_uniform(rng) - 1.0);
    for (int b = 0; b < B; b++)
        y[b] = head == TR_HEAD_DIRECTION    ? (float)(b % 2)
               : head == TR_HEAD_MULTICLASS ? (float)(b % 3)
                                            : (float)gsl_ran_gaussian(rng, 1.0);
    float lf = tr_lstm_forward(m, x, y, B, training, 99, NULL);
    tr_lstm_zero_grad(m);
    tr_lstm_backward(m, dx);
    double pen = tr_lstm_l1(m, l1);

    size_t n = m->n_params, nx = (size_t)B * T * F;
    double *P = malloc(sizeof(double) * n), *xd = malloc(sizeof(double) * nx);
    double *num = malloc(sizeof(double) * (n > nx ? n : nx));
    for (size_t i = 0; i < n; i++)
        P[i] = m->params[i];
    for (size_t i = 0; i < nx; i++)
        xd[i] = x[i];
    double l0 = ref_loss(m, P, xd, y, B, training, l1);
    CHECK_MSG(fabs(lf + pen - l0) <= 1e-5 * fabs(l0) + 1e-7,
              "layers %d units %d: float loss + penalty %.9g vs double reference %.9g",
              layers, units, (double)lf + pen, l0);
    const double h = 1e-5;
    for (size_t i = 0; i < n; i++) {
        double keep = P[i];
        P[i] = keep + h;
        double lp = ref_loss(m, P, xd, y, B, training, l1);
        P[i] = keep - h;
        double lm = ref_loss(m, P, xd, y, B, training, l1);
        P[i] = keep;
        num[i] = (lp - lm) / (2 * h);
    }
    for (int l = 0; l < layers; l++) {
        size_t Hl = (size_t)tr_lstm_layer_units(&cfg, l), G = 4 * Hl;
        size_t K = l == 0 ? (size_t)F : 2 * (size_t)tr_lstm_layer_units(&cfg, l - 1);
        CMP("w_ih", l, w_ih[l], G * K);
        CMP("w_hh", l, w_hh[l], G * Hl);
        CMP("b_ih", l, b_ih[l], G);
        CMP("b_hh", l, b_hh[l], G);
        CMP("w_ih_reverse", l, w_ih_r[l], G * K);
        CMP("w_hh_reverse", l, w_hh_r[l], G * Hl);
        CMP("b_ih_reverse", l, b_ih_r[l], G);
        CMP("b_hh_reverse", l, b_hh_r[l], G);
    }
    CMP("w_head", -1, w_head,
        2 * (size_t)tr_lstm_layer_units(&cfg, layers - 1) * tr_lstm_n_out(&m->cfg));
    CMP("b_head", -1, b_head, tr_lstm_n_out(&m->cfg));
    for (size_t i = 0; i < nx; i++) {
        double keep = xd[i];
        xd[i] = keep + h;
        double lp = ref_loss(m, P, xd, y, B, training, l1);
        xd[i] = keep - h;
        double lm = ref_loss(m, P, xd, y, B, training, l1);
        xd[i] = keep;
        num[i] = (lp - lm) / (2 * h);
    }
    compare("input", -1, dx, num, nx);
    fprintf(stderr, "bidirectional layers %d units", layers);
    for (int l = 0; l < layers; l++)
        fprintf(stderr, " %d", tr_lstm_layer_units(&cfg, l));
    fprintf(stderr, " dropout");
    for (int l = 0; l < layers; l++)
        fprintf(stderr, " %.2f", (double)tr_lstm_layer_dropout(&cfg, l));
    fprintf(stderr, " head %d l1 %g: %zu parameters checked\n", (int)head, l1, n);
    free(x); free(y); free(dx); free(P); free(xd); free(num);
    gsl_rng_free(rng);
    tr_lstm_free(m);
}

static void run(int layers, int units, tr_head head, float dropout, double l1,
                unsigned long seed)
{
    run_cfg((tr_lstm_config){.units = units, .layers = layers, .dropout = dropout,
                             .head = head}, l1, seed);
}

int main(void)
{
    gsl_set_error_handler_off();
    run(1, 4, TR_HEAD_DIRECTION, 0.0f, 0.01, 1);
    run(2, 5, TR_HEAD_RETURN, 0.3f, 0.003, 2);
    run(2, 17, TR_HEAD_DIRECTION, 0.0f, 0.0, 3);
    run(2, 4, TR_HEAD_MULTICLASS, 0.25f, 0.002, 4);   /* weighted 3-class CE */
    /* per-layer sizes and dropout: 6, 3, 5 units; the middle layer's output undropped */
    run_cfg((tr_lstm_config){.units = 4, .layers = 3, .head = TR_HEAD_MULTICLASS,
                             .dropout = 0.2f, .layer_units = {6, 3, 5},
                             .layer_dropout = {0.0f, 0.0f, 0.35f},
                             .layer_dropout_set = 2u | 4u}, 0.002, 5);
    return check_done();
}
