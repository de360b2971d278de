/*
 * test_lstm_layer_sizes - per-layer hidden sizes and dropout in the LSTM config
 * (cfg.layer_units, cfg.layer_dropout): the properties the PyTorch parity and the
 * gradient checks do not cover.
 *
 * 1. Overrides equal to the defaults, or on layers above `layers`, change nothing:
 *    the same slab size, the same initial weights, and bit-identical training
 *    loss, outputs and gradients (dropout masks included) as no overrides.
 * 2. The slab's tensors have the shapes of lstm.h: layer l (4H_l, in_l), in_l =
 *    D*H_{l-1}, the head (n_out, D*H_top), and n_params is their sum.
 * 3. tr_lstm_init draws layer l's weights within 1/sqrt(H_l) and the head's
 *    within 1/sqrt(D*H_top), and each bound is nearly reached.
 * 4. Each layer's output is dropped at its own rate: the share of zeros in the
 *    mask is p_l within 4 standard errors and the kept entries are 1/(1-p_l); a
 *    layer with p_l = 0 passes its output on uncopied.
 * 5. A bad override is refused with the layer named (1-based).
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"
#include "trainer/lstm.h"

enum { F = 3, T = 7, B = 5 };

static tr_lstm *make(tr_lstm_config cfg, unsigned long seed)
{
    char err[256];
    tr_lstm *m = tr_lstm_new(&cfg, err);
    CHECK_MSG(m != NULL, "%s", err);
    if (!m)
        return NULL;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    tr_lstm_init(m, rng);
    gsl_rng_free(rng);
    return m;
}

/* One training forward + backward of seeded data; loss, out (B) and grads kept. */
static float train_step(tr_lstm *m, float *out)
{
    float x[B * T * F], y[B];
    for (int i = 0; i < B * T * F; i++)
        x[i] = (float)sin(0.37 * i);
    for (int b = 0; b < B; b++)
        y[b] = (float)(b % 2);
    float loss = tr_lstm_forward(m, x, y, B, 1, 4242, out);
    tr_lstm_zero_grad(m);
    tr_lstm_backward(m, NULL);
    return loss;
}

static void test_lstm_default_overrides_change_nothing(void)
{
    tr_lstm_config base = {.n_features = F, .units = 6, .layers = 3, .seq_len = T,
                           .max_batch = B, .dropout = 0.3f, .head = TR_HEAD_DIRECTION};
    tr_lstm_config same = base, above = base;
    for (int l = 0; l < 3; l++) {
        same.layer_units[l] = 6;
        same.layer_dropout[l] = 0.3f;
    }
    same.layer_dropout_set = 7u;
    above.layers = 2;
    base.layers = 2;
    above.layer_units[2] = 50;        /* layers 3 and 4 do not exist: ignored */
    above.layer_units[3] = -4;
    above.layer_dropout[3] = 2.0f;
    above.layer_dropout_set = 8u;
    tr_lstm_config base3 = base;
    base3.layers = 3;
    const tr_lstm_config *pairs[2][2] = {{&base3, &same}, {&base, &above}};
    for (int k = 0; k < 2; k++) {
        tr_lstm *a = make(*pairs[k][0], 9), *b = make(*pairs[k][1], 9);
        if (!a || !b) {
            tr_lstm_free(a);
            tr_lstm_free(b);
            continue;
        }
        CHECK_INT((int)b->n_params, (int)a->n_params);
        CHECK_MSG(memcmp(a->params, b->params, a->n_params * sizeof(float)) == 0,
                  "pair %d: initial weights differ", k);
        float oa[B], ob[B];
        float la = train_step(a, oa), lb = train_step(b, ob);
        CHECK_MSG(la == lb && memcmp(oa, ob, sizeof oa) == 0,
                  "pair %d: training loss %.9g vs %.9g", k, (double)la, (double)lb);
        CHECK_MSG(memcmp(a->grads, b->grads, a->n_params * sizeof(float)) == 0,
                  "pair %d: gradients differ", k);
        double fa, ga, fb, gb;
        tr_lstm_flops(&a->cfg, B, &fa, &ga);
        tr_lstm_flops(&b->cfg, B, &fb, &gb);
        CHECK(fa == fb && ga == gb);
        tr_lstm_free(a);
        tr_lstm_free(b);
    }
}

static void test_lstm_layer_shapes(void)
{
    /* bidirectional, sizes 5, 9 (units), 2; D = 2; the three-class head */
    tr_lstm_config cfg = {.n_features = 4, .units = 9, .layers = 3, .seq_len = T,
                          .max_batch = B, .head = TR_HEAD_MULTICLASS, .n_classes = 3,
                          .bidirectional = 1, .layer_units = {5, 0, 2}};
    tr_lstm *m = make(cfg, 1);
    if (!m)
        return;
    int H[3] = {5, 9, 2}, in[3] = {4, 10, 18};
    size_t want = 0;
    for (int l = 0; l < 3; l++) {
        CHECK_INT(tr_lstm_layer_units(&m->cfg, l), H[l]);
        size_t G = 4 * (size_t)H[l];
        CHECK_INT((int)(m->p.w_hh[l] - m->p.w_ih[l]), (int)(G * in[l]));
        CHECK_INT((int)(m->p.b_ih[l] - m->p.w_hh[l]), (int)(G * H[l]));
        CHECK_INT((int)(m->p.w_ih_r[l] - m->p.b_hh[l]), (int)G);
        CHECK_INT((int)(m->p.w_hh_r[l] - m->p.w_ih_r[l]), (int)(G * in[l]));
        float *next = l < 2 ? m->p.w_ih[l + 1] : m->p.w_head;
        CHECK_INT((int)(next - m->p.b_hh_r[l]), (int)G);
        want += 2 * G * ((size_t)in[l] + H[l] + 2);
    }
    CHECK_INT((int)(m->p.b_head - m->p.w_head), 3 * 2 * 2);
    want += 3 * (2 * 2 + 1);
    CHECK_INT((int)m->n_params, (int)want);
    tr_lstm_free(m);
}

static void test_lstm_init_bounds_per_layer(void)
{
    tr_lstm_config cfg = {.n_features = F, .units = 4, .layers = 3, .seq_len = T,
                          .max_batch = B, .head = TR_HEAD_RETURN, .bidirectional = 1,
                          .layer_units = {0, 64, 16}};
    tr_lstm *m = make(cfg, 3);
    if (!m)
        return;
    const float *from[4] = {m->p.w_ih[0], m->p.w_ih[1], m->p.w_ih[2], m->p.w_head};
    const float *to[4] = {m->p.w_ih[1], m->p.w_ih[2], m->p.w_head, m->params + m->n_params};
    double bound[4] = {1 / sqrt(4.0), 1 / sqrt(64.0), 1 / sqrt(16.0), 1 / sqrt(32.0)};
    for (int k = 0; k < 4; k++) {
        double mx = 0;
        for (const float *p = from[k]; p < to[k]; p++)
            mx = fabs(*p) > mx ? fabs(*p) : mx;
        CHECK_MSG(mx <= bound[k] * (1 + 1e-6) && mx >= 0.9 * bound[k],
                  "%s %d: max |w| %.5f, bound %.5f", k < 3 ? "layer" : "head", k + 1, mx,
                  bound[k]);
    }
    tr_lstm_free(m);
}

/* Share of zeros in mask (n) and whether every other entry is 1/(1-p). */
static void check_mask(const char *what, const float *mask, size_t n, float p)
{
    size_t zeros = 0, off = 0;
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) {
        zeros += mask[i] == 0.0f;
        off += mask[i] != 0.0f && mask[i] != keep;
    }
    double share = (double)zeros / n, se = sqrt(p * (1.0 - p) / n);
    CHECK_MSG(fabs(share - p) <= 4 * se, "%s: %.4f of the mask is 0, want %.2f +- %.4f", what,
              share, (double)p, 4 * se);
    CHECK_MSG(off == 0, "%s: %zu kept entries are not 1/(1-p)", what, off);
    printf("%s: dropped %.4f (p %.2f, %zu entries)\n", what, share, (double)p, n);
}

static void test_lstm_dropout_per_layer(void)
{
    enum { TT = 40, BB = 64 };
    /* layer 1's output at p 0.5 (its own), layer 2's at 0 (its own), layer 3's
     * into the head at the default 0.1 */
    tr_lstm_config cfg = {.n_features = F, .units = 8, .layers = 3, .seq_len = TT,
                          .max_batch = BB, .dropout = 0.1f, .head = TR_HEAD_DIRECTION,
                          .layer_units = {16, 6, 0}, .layer_dropout = {0.5f, 0.0f},
                          .layer_dropout_set = 3u};
    tr_lstm *m = make(cfg, 5);
    if (!m)
        return;
    float *x = malloc(sizeof(float) * BB * TT * F), y[BB];
    for (int i = 0; i < BB * TT * F; i++)
        x[i] = (float)cos(0.11 * i);
    for (int b = 0; b < BB; b++)
        y[b] = (float)(b % 2);
    float loss = tr_lstm_forward(m, x, y, BB, 1, 77, NULL);
    CHECK(isfinite(loss));
    check_mask("layer 1 output (p 0.5)", m->L[1].mask, (size_t)TT * BB * 16, 0.5f);
    CHECK_MSG(m->L[2].in == m->L[1].h, "layer 2's output (p 0) was copied or masked");
    check_mask("layer 3 output into the head (p 0.1)", m->head_mask, (size_t)BB * 8, 0.1f);
    CHECK(m->head_src == m->head_in);
    /* evaluation: no layer drops */
    tr_lstm_forward(m, x, y, BB, 0, 77, NULL);
    CHECK(m->L[1].in == m->L[0].h && m->head_src != m->head_in);
    free(x);
    tr_lstm_free(m);
}

static void test_lstm_bad_layer_override_names_layer(void)
{
    char err[256];
    tr_lstm_config cfg = {.n_features = F, .units = 8, .layers = 3, .seq_len = T,
                          .max_batch = B, .head = TR_HEAD_DIRECTION};
    tr_lstm_config bad = cfg;
    bad.layer_units[1] = -2;
    CHECK(tr_lstm_new(&bad, err) == NULL);
    CHECK_STR_CONTAINS(err, "layer 2: units must be >= 1");
    bad = cfg;
    bad.layer_dropout[2] = 1.0f;
    bad.layer_dropout_set = 4u;
    CHECK(tr_lstm_new(&bad, err) == NULL);
    CHECK_STR_CONTAINS(err, "layer 3: dropout must be in [0, 1), got 1");
    bad.layer_dropout[2] = NAN;
    CHECK(tr_lstm_new(&bad, err) == NULL);
    CHECK_STR_CONTAINS(err, "layer 3: dropout");
}

int main(void)
{
    gsl_set_error_handler_off();
    test_lstm_default_overrides_change_nothing();
    test_lstm_layer_shapes();
    test_lstm_init_bounds_per_layer();
    test_lstm_dropout_per_layer();
    test_lstm_bad_layer_override_names_layer();
    return check_done();
}
