/*
 * lstm.c - stacked LSTM forward/backward on cblas_sgemm (see lstm.h for the math).
 *
 * Shapes: B batch, T seq_len, F features, H the hidden size of the layer at hand
 * (H_l, tr_lstm_layer_units), K its input size (F, or D*H_{l-1}).
 * Activations are time-major: row (t*B + b) of a (T, B, n) buffer is window b at
 * time t, so one timestep is one contiguous (B, n) block and a whole layer is one
 * (T*B, n) matrix. That makes
 *   - the input projection of a layer one GEMM  (T*B, K) x W_ih^T -> (T*B, 4H),
 *   - each recurrent step one GEMM               (B, H)   x W_hh^T -> (B, 4H), beta = 1,
 *   - dW_ih one GEMM dG^T (4H, T*B) x in (T*B, K), dW_hh one GEMM over T-1 steps,
 *   - dx one GEMM dG (T*B, 4H) x W_ih (4H, K).
 * PyTorch's weights are (4H, K) row-major, which cblas reads as transposed
 * operands directly: no transposes are ever materialised.
 *
 * The per-timestep work lives in lstm_kernel.c (lstm_kernel.h), on the widest
 * path the CPU has: with AVX-512 each timestep is one fused call forward (input
 * and recurrent products, gate math) and one backward (recurrent product, gate
 * gradients), so the input-projection GEMM and the per-step GEMMs above do not
 * run; with AVX2 the recurrent products run on packed W_hh; the reference path
 * runs every product above on cblas_sgemm and the pointwise gate math in one
 * pass per timestep.
 */
#include "trainer/lstm.h"
#include "trainer/lstm_kernel.h"

#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: the dropout masks' stream, seeded per forward pass. */
static inline uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The mask, and out = in * mask, of n/2 pairs drawn from the stream that starts
 * at s0: pair j takes splitmix64's (j+1)-th output (low half for element 2j,
 * high for 2j+1). Written counter-based (output j depends on j alone) so that it
 * vectorises; the same numbers as calling splitmix64 once per pair (a 3-trial
 * LSTM study with dropout stored bit-identical values before and after). With
 * AVX-512's 64-bit multiplies the mask costs 2.2x less than the scalar stream. */
#define DROPOUT_MASK_PAIRS(name, attrs)                                                        \
    attrs static void name(const float *in, float *out, float *mask, size_t pairs, uint64_t s0,  \
                           uint32_t thr, float scale)                                          \
    {                                                                                          \
        for (size_t j = 0; j < pairs; j++) {                                                   \
            uint64_t z = s0 + (uint64_t)(j + 1) * 0x9e3779b97f4a7c15ULL;                       \
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;                                       \
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;                                       \
            z ^= z >> 31;                                                                      \
            mask[2 * j] = (uint32_t)z >= thr ? scale : 0.0f;                                   \
            mask[2 * j + 1] = (uint32_t)(z >> 32) >= thr ? scale : 0.0f;                       \
            out[2 * j] = in[2 * j] * mask[2 * j];                                              \
            out[2 * j + 1] = in[2 * j + 1] * mask[2 * j + 1];                                  \
        }                                                                                      \
    }
DROPOUT_MASK_PAIRS(dropout_mask_plain, )
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
DROPOUT_MASK_PAIRS(dropout_mask_avx512,
                   __attribute__((target("avx512f,avx512dq"),
                                  optimize("tree-vectorize", "vect-cost-model=dynamic"))))
static int dropout_level = -1;   /* 1: AVX-512 DQ, 0: the plain loop, -1: not chosen yet */

/* 1 when this CPU has AVX-512 F and DQ. */
static int dropout_cpu_level(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}

static void dropout_mask_pairs(const float *in, float *out, float *mask, size_t pairs, uint64_t s0,
                               uint32_t thr, float scale)
{
    if (dropout_level < 0)
        dropout_level = dropout_cpu_level();
    (dropout_level ? dropout_mask_avx512 : dropout_mask_plain)(in, out, mask, pairs, s0, thr,
                                                               scale);
}

int tr_lstm_dropout_force(int level)
{
    dropout_level = level == 1 && dropout_cpu_level();
    return dropout_level;
}
#else
#define dropout_mask_pairs dropout_mask_plain

int tr_lstm_dropout_force(int level)
{
    (void)level;
    return 0;
}
#endif

/* out = in * mask with a fresh inverted-dropout mask (keep prob 1-p, scale 1/(1-p));
 * lstm.h states the stream, tests/trainer/test_dropout_mask.c pins it. */
void tr_lstm_dropout(const float *in, float *out, float *mask, size_t n, float p,
                     uint64_t *state)
{
    float scale = 1.0f / (1.0f - p);
    uint32_t thr = (uint32_t)((double)p * 4294967296.0 > 4294967295.0
                              ? 4294967295.0 : (double)p * 4294967296.0);
    size_t pairs = n / 2;
    dropout_mask_pairs(in, out, mask, pairs, *state, thr, scale);
    *state += (uint64_t)pairs * 0x9e3779b97f4a7c15ULL;
    if (n % 2) {   /* the last element takes the low half of one more output */
        uint64_t r = splitmix64(state);
        mask[n - 1] = (uint32_t)r >= thr ? scale : 0.0f;
        out[n - 1] = in[n - 1] * mask[n - 1];
    }
}

/* dst (cols, rows) = src (rows, cols)^T, in cache-sized tiles. */
static void transpose(const float *src, float *dst, int rows, int cols)
{
    for (int i0 = 0; i0 < rows; i0 += 32)
        for (int j0 = 0; j0 < cols; j0 += 32)
            for (int i = i0; i < rows && i < i0 + 32; i++)
                for (int j = j0; j < cols && j < j0 + 32; j++)
                    dst[(size_t)j * rows + i] = src[(size_t)i * cols + j];
}

/* D: 2 directions when bidirectional, else 1. */
static int ndir(const tr_lstm_config *c)
{
    return c->bidirectional ? 2 : 1;
}

/* The top layer's hidden size H_top. */
static int top_units(const tr_lstm_config *c)
{
    return tr_lstm_layer_units(c, c->layers - 1);
}

/* 1 when the output of layer l gets dropout in the current pass. */
static int dropped(const tr_lstm *m, int l)
{
    return m->training && tr_lstm_layer_dropout(&m->cfg, l) > 0.0f;
}

/* Points t at consecutive tensors of slab s (the layout documented in lstm.h). */
static void map_tensors(const tr_lstm_config *c, float *s, tr_lstm_tensors *t)
{
    memset(t, 0, sizeof *t);
    for (int l = 0; l < c->layers; l++) {
        size_t K = (size_t)tr_lstm_layer_in(c, l), H = (size_t)tr_lstm_layer_units(c, l);
        t->w_ih[l] = s; s += 4 * H * K;
        t->w_hh[l] = s; s += 4 * H * H;
        t->b_ih[l] = s; s += 4 * H;
        t->b_hh[l] = s; s += 4 * H;
        if (c->bidirectional) {
            t->w_ih_r[l] = s; s += 4 * H * K;
            t->w_hh_r[l] = s; s += 4 * H * H;
            t->b_ih_r[l] = s; s += 4 * H;
            t->b_hh_r[l] = s; s += 4 * H;
        }
    }
    t->w_head = s; s += (size_t)tr_lstm_n_out(c) * ndir(c) * top_units(c);
    t->b_head = s;
}

/* Rounds a float count up to 64 bytes so every buffer stays cache-line aligned. */
static size_t pad16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

tr_lstm *tr_lstm_new(const tr_lstm_config *cfg, char err[256])
{
    tr_lstm *m = NULL;
    const tr_lstm_config *c = cfg;
    if (tr_lstm_config_check(c, err))
        return NULL;
    m = calloc(1, sizeof *m);
    if (!m)
        goto oom;
    m->cfg = *c;
    m->n_params = tr_lstm_param_count(c);
    m->params = aligned_alloc(64, pad16(m->n_params) * sizeof(float));
    m->grads = aligned_alloc(64, pad16(m->n_params) * sizeof(float));
    if (!m->params || !m->grads)
        goto oom;
    memset(m->params, 0, m->n_params * sizeof(float));
    memset(m->grads, 0, m->n_params * sizeof(float));
    map_tensors(c, m->params, &m->p);
    map_tensors(c, m->grads, &m->g);

    size_t T = (size_t)c->seq_len, B = (size_t)c->max_batch, Hm = (size_t)tr_lstm_max_units(c);
    size_t Ht = (size_t)top_units(c);
    size_t D = (size_t)ndir(c), F = (size_t)c->n_features, W = D * Hm > F ? D * Hm : F;
    /* two passes: count, then assign */
    for (int pass = 0; pass < 2; pass++) {
        size_t off = 0;
        float *base = m->act;
#define TAKE(ptr, n) do { if (pass) (ptr) = base + off; off += pad16(n); } while (0)
        for (int l = 0; l < c->layers; l++) {
            size_t K = (size_t)tr_lstm_layer_in(c, l), H = (size_t)tr_lstm_layer_units(c, l);
            tr_lstm_layer_act *A = &m->L[l];
            TAKE(A->in_buf, T * B * K);
            TAKE(A->gates, T * B * 4 * H);
            TAKE(A->c, T * B * H);
            TAKE(A->tc, T * B * H);
            TAKE(A->h, T * B * H);
            if (l > 0)
                TAKE(A->mask, T * B * K);
            TAKE(A->wt_ih, K * 4 * H);
            TAKE(A->wt_hh, H * 4 * H);
            if (c->bidirectional) {
                tr_lstm_layer_act *R = &m->R[l];
                TAKE(R->gates, T * B * 4 * H);
                TAKE(R->c, T * B * H);
                TAKE(R->tc, T * B * H);
                TAKE(R->h, T * B * H);
                TAKE(R->wt_ih, K * 4 * H);
                TAKE(R->wt_hh, H * 4 * H);
                if (l < c->layers - 1)
                    TAKE(A->cat, T * B * 2 * H);
            }
        }
        TAKE(m->head_in, B * D * Ht);
        TAKE(m->head_mask, B * D * Ht);
        if (c->bidirectional) {
            TAKE(m->head_cat, B * 2 * Ht);
            TAKE(m->dh_r, T * B * Hm);
        }
        TAKE(m->logits, B * (size_t)tr_lstm_n_out(c));
        TAKE(m->dz, B * (size_t)tr_lstm_n_out(c));
        TAKE(m->dh, T * B * W);
        TAKE(m->dx, T * B * W);
        TAKE(m->dh_next, B * Hm);
        TAKE(m->dc_next, B * Hm);
        TAKE(m->bias_sum, 4 * Hm);
        TAKE(m->ones, T * B);
        TAKE(m->xb, B * T * F);
        TAKE(m->yb, B);
#undef TAKE
        if (!pass) {
            m->act = aligned_alloc(64, off * sizeof(float));
            if (!m->act)
                goto oom;
            memset(m->act, 0, off * sizeof(float));
        }
    }
    for (size_t k = 0; k < T * B; k++)
        m->ones[k] = 1.0f;
    openblas_set_num_threads(c->blas_threads > 0 ? c->blas_threads : 1);
    return m;
oom:
    snprintf(err, 256, "lstm: out of memory for units %d, seq_len %d, max_batch %d",
             tr_lstm_max_units(c), c->seq_len, c->max_batch);
    tr_lstm_free(m);
    return NULL;
}

void tr_lstm_free(tr_lstm *m)
{
    if (!m)
        return;
    free(m->params);
    free(m->grads);
    free(m->act);
    free(m);
}

void tr_lstm_init(tr_lstm *m, gsl_rng *rng)
{
    /* nn.LSTM: every weight and bias of a layer U(-k, k), k = 1/sqrt(H_l) (one
     * single-layer nn.LSTM per size); nn.Linear(D*H_top, n_out): kaiming_uniform(a =
     * sqrt(5)) gives bound 1/sqrt(fan_in) = 1/sqrt(D*H_top), and the bias uses the
     * same bound. A layer's tensors are contiguous in the slab, up to the next
     * layer's w_ih (or the head's weights). */
    const tr_lstm_config *c = &m->cfg;
    size_t i = 0;
    for (int l = 0; l <= c->layers; l++) {
        double k = l < c->layers ? 1.0 / sqrt((double)tr_lstm_layer_units(c, l))
                                 : 1.0 / sqrt((double)ndir(c) * top_units(c));
        size_t end = l + 1 < c->layers ? (size_t)(m->p.w_ih[l + 1] - m->params)
                   : l < c->layers ? (size_t)(m->p.w_head - m->params) : m->n_params;
        for (; i < end; i++)
            m->params[i] = (float)((2.0 * gsl_rng_uniform(rng) - 1.0) * k);
    }
}

static double l1_tensor(const float *w, float *g, size_t n, float lambda)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += fabsf(w[i]);
        g[i] += w[i] > 0.0f ? lambda : w[i] < 0.0f ? -lambda : 0.0f;
    }
    return sum;
}

double tr_lstm_l1(tr_lstm *m, double lambda)
{
    if (!(lambda > 0))
        return 0.0;
    const tr_lstm_config *c = &m->cfg;
    float lam = (float)lambda;
    double sum = 0.0;
    for (int l = 0; l < c->layers; l++) {
        size_t K = (size_t)tr_lstm_layer_in(c, l), H = (size_t)tr_lstm_layer_units(c, l);
        size_t G4 = 4 * H;
        sum += l1_tensor(m->p.w_ih[l], m->g.w_ih[l], G4 * K, lam);
        sum += l1_tensor(m->p.w_hh[l], m->g.w_hh[l], G4 * H, lam);
        if (c->bidirectional) {
            sum += l1_tensor(m->p.w_ih_r[l], m->g.w_ih_r[l], G4 * K, lam);
            sum += l1_tensor(m->p.w_hh_r[l], m->g.w_hh_r[l], G4 * H, lam);
        }
    }
    sum += l1_tensor(m->p.w_head, m->g.w_head,
                     (size_t)tr_lstm_n_out(c) * ndir(c) * top_units(c), lam);
    return lambda * sum;
}

void tr_lstm_zero_grad(tr_lstm *m)
{
    memset(m->grads, 0, m->n_params * sizeof(float));
}

/* Loss of one logit z against target y, and dloss/dz (before the 1/B of the mean). */
static double head_loss(tr_head head, float z, float y, float *dz)
{
    if (head == TR_HEAD_DIRECTION) {
        /* BCE(sigmoid(z), y) = max(z, 0) - y z + log(1 + exp(-|z|)) */
        double zd = z;
        *dz = (float)(1.0 / (1.0 + exp(-zd)) - y);
        return (zd > 0 ? zd : 0.0) - y * zd + log1p(exp(-fabs(zd)));
    }
    double d = (double)z - y;
    *dz = (float)(2.0 * d);
    return d * d;
}

/* How a forward pass runs: KEEP stores what a backward pass reads (activated
 * gates, tanh(c)); REUSE: the weights have not changed since the previous pass
 * in this thread (the batches of one predict or loss evaluation), so the AVX-512
 * path may keep each layer's packed weights. */
enum { FWD_KEEP = 1, FWD_REUSE = 2 };

/* dir_forward on the AVX-512 path: every timestep one fused call (input and
 * recurrent products, biases m->bias_sum, gates, cell; lstm_kernel.h); each layer
 * and direction packs into its own slot. 0 when packing ran out of memory (the
 * caller takes the cblas path). */
static int dir_forward_fused(tr_lstm *m, int l, int d, int B, int flags)
{
    const tr_lstm_config *c = &m->cfg;
    tr_lstm_layer_act *A = d ? &m->R[l] : &m->L[l];
    int T = c->seq_len, H = tr_lstm_layer_units(c, l), K = tr_lstm_layer_in(c, l);
    int keep = flags & FWD_KEEP;
    const float *wp = tr_kernel_pack_gates(3 + 2 * l + d, d ? m->p.w_ih_r[l] : m->p.w_ih[l], K,
                                           d ? m->p.w_hh_r[l] : m->p.w_hh[l], H,
                                           flags & FWD_REUSE);
    if (!wp)
        return 0;
    size_t BH = (size_t)B * H;
    tr_kernel_fwd st = {.B = B, .K = K, .H = H, .bias = m->bias_sum};
    for (int s = 0; s < T; s++) {
        int t = d ? T - 1 - s : s, prev = d ? t + 1 : t - 1;
        size_t o = (size_t)t * BH, po = (size_t)prev * BH;
        st.x = m->L[l].in + (size_t)t * B * K;
        st.h_prev = s > 0 ? A->h + po : NULL;
        st.c_prev = s > 0 ? A->c + po : NULL;
        st.gates = keep ? A->gates + (size_t)t * B * 4 * H : NULL;
        st.c = A->c + o;
        st.h = A->h + o;
        st.tc = keep ? A->tc + o : NULL;
        tr_kernel_step_forward(&st, wp);
    }
    return 1;
}

/* One direction of layer l over its input m->L[l].in (T*B, K): d = 0 runs
 * t = 0 .. T-1 into m->L[l], d = 1 (reverse) runs t = T-1 .. 0 into m->R[l];
 * flags FWD_*. */
static void dir_forward(tr_lstm *m, int l, int d, int B, int flags)
{
    const tr_lstm_config *c = &m->cfg;
    tr_lstm_layer_act *A = d ? &m->R[l] : &m->L[l];
    int T = c->seq_len, H = tr_lstm_layer_units(c, l), G4 = 4 * H, K = tr_lstm_layer_in(c, l);
    assert(l >= 0 && l < c->layers && H >= 1 && H <= tr_lstm_max_units(c) && K >= 1);
    const float *w_ih = d ? m->p.w_ih_r[l] : m->p.w_ih[l];
    const float *w_hh = d ? m->p.w_hh_r[l] : m->p.w_hh[l];
    const float *b_ih = d ? m->p.b_ih_r[l] : m->p.b_ih[l];
    const float *b_hh = d ? m->p.b_hh_r[l] : m->p.b_hh[l];
    const float *in = m->L[l].in;
    size_t TB = (size_t)T * B, BH = (size_t)B * H;
    for (int j = 0; j < G4; j++)
        m->bias_sum[j] = b_ih[j] + b_hh[j];
    if (tr_kernel_level() == TR_KERNEL_AVX512 && dir_forward_fused(m, l, d, B, flags))
        return;
    transpose(w_ih, A->wt_ih, G4, K);
    transpose(w_hh, A->wt_hh, G4, H);
    /* gates (T*B, 4H) = in (T*B, K) W_ih^T */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)TB, G4, K, 1.0f,
                in, K, A->wt_ih, G4, 0.0f, A->gates, G4);
    /* each direction packs its own W_hh into slot 0 and uses it before the next pack */
    const float *whp = T > 1 && tr_kernel_level() == TR_KERNEL_AVX2
                       ? tr_kernel_pack(0, A->wt_hh, H, G4) : NULL;
    for (int s = 0; s < T; s++) {
        int t = d ? T - 1 - s : s, prev = d ? t + 1 : t - 1;
        float *Gt = A->gates + (size_t)t * B * G4;
        size_t o = (size_t)t * BH, po = (size_t)prev * BH;
        /* gates_t (B, 4H) += h_prev (B, H) W_hh^T */
        if (s > 0 && whp)   /* packed-weight kernel (lstm_kernel.h) */
            tr_kernel_gemm(B, G4, H, A->h + po, H, whp, Gt, G4, 1);
        else if (s > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, G4, H, 1.0f,
                        A->h + po, H, A->wt_hh, G4, 1.0f, Gt, G4);
        tr_kernel_cell_forward(Gt, m->bias_sum, s > 0 ? A->c + po : NULL, A->c + o,
                               A->tc + o, A->h + o, B, H);
    }
}

/* The multiclass head on m->head_src (B, HD): logits (B, K) = head_src w_head^T
 * + b_head; p = softmax(logits); with targets y (class indices) the loss of
 * nn.CrossEntropyLoss(weight=w): sum_b w[y_b] (-log p_b[y_b]) / sum_b w[y_b],
 * and dz (B, K) = w[y_b] (p_b - onehot(y_b)) / sum_b w[y_b]. */
static float multiclass_head(tr_lstm *m, const float *y, int B, int HD, float *out)
{
    const tr_lstm_config *c = &m->cfg;
    int K = c->n_classes, weighted = 0;
    for (int k = 0; k < K; k++)
        weighted |= c->class_weight[k] != 0.0f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, K, HD, 1.0f, m->head_src, HD,
                m->p.w_head, HD, 0.0f, m->logits, K);
    double loss = 0.0, wsum = 0.0;
    for (int b = 0; b < B; b++) {
        float *z = m->logits + (size_t)b * K;
        double mx = -INFINITY, se = 0.0, p[TR_LSTM_MAX_CLASSES];
        for (int k = 0; k < K; k++) {
            z[k] += m->p.b_head[k];
            mx = z[k] > mx ? z[k] : mx;
        }
        for (int k = 0; k < K; k++)
            se += (p[k] = exp((double)z[k] - mx));
        for (int k = 0; k < K; k++)
            p[k] /= se;
        if (out)
            for (int k = 0; k < K; k++)
                out[(size_t)b * K + k] = (float)p[k];
        if (!y)
            continue;
        int t = (int)y[b];
        if (!(y[b] >= 0) || t >= K)   /* NaN or out of range: the loss is NaN */
            return NAN;
        double w = weighted ? c->class_weight[t] : 1.0;
        loss += w * -((double)z[t] - mx - log(se));
        wsum += w;
        for (int k = 0; k < K; k++)
            m->dz[(size_t)b * K + k] = (float)(w * (p[k] - (k == t)));
    }
    if (!y)
        return 0.0f;
    for (size_t i = 0; i < (size_t)B * K; i++)
        m->dz[i] = wsum > 0 ? (float)(m->dz[i] / wsum) : 0.0f;
    return wsum > 0 ? (float)(loss / wsum) : NAN;
}

/* tr_lstm_forward with flags FWD_*. */
static float forward_pass(tr_lstm *m, const float *x, const float *y, int B, int training,
                          unsigned long dropout_seed, float *out, int flags)
{
    const tr_lstm_config *c = &m->cfg;
    int T = c->seq_len, F = c->n_features, H = top_units(c);
    uint64_t rs = (uint64_t)dropout_seed * 0x2545f4914f6cdd1dULL + 1;
    if (B < 1 || B > c->max_batch)
        return NAN;
    assert(x && T >= 1 && F >= 1 && H >= 1 && c->layers >= 1);
    m->batch = B;
    m->training = training != 0;

    /* (B, T, F) -> time-major (T, B, F) */
    float *in0 = m->L[0].in_buf;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            memcpy(in0 + ((size_t)t * B + b) * F, x + ((size_t)b * T + t) * F,
                   (size_t)F * sizeof(float));
    m->L[0].in = in0;

    int bi = c->bidirectional, HD = ndir(c) * H;
    for (int l = 0; l < c->layers; l++) {
        tr_lstm_layer_act *A = &m->L[l];
        int K = tr_lstm_layer_in(c, l), Hl = tr_lstm_layer_units(c, l);
        size_t TB = (size_t)T * B;
        if (l > 0) {   /* the input (T, B, K = D*H_{l-1}) is layer l-1's output */
            const float *below = bi ? m->L[l - 1].cat : m->L[l - 1].h;
            if (dropped(m, l - 1)) {
                tr_lstm_dropout(below, A->in_buf, A->mask, TB * K,
                                tr_lstm_layer_dropout(c, l - 1), &rs);
                A->in = A->in_buf;
            } else {
                A->in = below;
            }
        }
        dir_forward(m, l, 0, B, flags);
        if (bi) {
            m->R[l].in = A->in;
            dir_forward(m, l, 1, B, flags);
            if (l < c->layers - 1)   /* output (T, B, 2H_l) = [h_fwd, h_bwd] */
                for (size_t r = 0; r < TB; r++) {
                    memcpy(A->cat + r * 2 * Hl, A->h + r * Hl, (size_t)Hl * sizeof(float));
                    memcpy(A->cat + r * 2 * Hl + Hl, m->R[l].h + r * Hl,
                           (size_t)Hl * sizeof(float));
                }
        }
    }

    /* head: z (B) = dropout(h_{T-1}) (B, D*H_top) w_head + b_head; bidirectional:
     * h_{T-1} is [h_fwd_{T-1}, h_bwd_0], each direction's final state; here
     * H = H_top */
    const float *hl = m->L[c->layers - 1].h + (size_t)(T - 1) * B * H;
    if (bi) {
        const float *hb = m->R[c->layers - 1].h;   /* t = 0 */
        for (int b = 0; b < B; b++) {
            memcpy(m->head_cat + (size_t)b * 2 * H, hl + (size_t)b * H, (size_t)H * sizeof(float));
            memcpy(m->head_cat + (size_t)b * 2 * H + H, hb + (size_t)b * H,
                   (size_t)H * sizeof(float));
        }
        hl = m->head_cat;
    }
    if (dropped(m, c->layers - 1)) {
        tr_lstm_dropout(hl, m->head_in, m->head_mask, (size_t)B * HD,
                        tr_lstm_layer_dropout(c, c->layers - 1), &rs);
        m->head_src = m->head_in;
    } else {
        m->head_src = hl;
    }
    if (c->head == TR_HEAD_MULTICLASS)
        return multiclass_head(m, y, B, HD, out);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, B, HD, 1.0f, m->head_src, HD, m->p.w_head, 1,
                0.0f, m->logits, 1);
    double loss = 0.0;
    for (int b = 0; b < B; b++) {
        m->logits[b] += m->p.b_head[0];
        if (y) {
            loss += head_loss(c->head, m->logits[b], y[b], &m->dz[b]);
            m->dz[b] /= (float)B;
        }
        if (out)
            out[b] = c->head == TR_HEAD_DIRECTION
                     ? (float)(1.0 / (1.0 + exp(-(double)m->logits[b]))) : m->logits[b];
    }
    return y ? (float)(loss / B) : 0.0f;
}

float tr_lstm_forward(tr_lstm *m, const float *x, const float *y, int B,
                      int training, unsigned long dropout_seed, float *out)
{
    return forward_pass(m, x, y, B, training, dropout_seed, out, y ? FWD_KEEP : 0);
}

/* The recurrence of dir_backward on the AVX-512 path: per timestep one fused call
 * (dh = dh_up + dG_{t+1} W_hh, then the gate gradients; lstm_kernel.h), with dc
 * in m->dc_next (zeroed by the caller). 0 when packing ran out of memory. */
static int dir_backward_fused(tr_lstm *m, int l, int d, const float *dh)
{
    const tr_lstm_config *c = &m->cfg;
    tr_lstm_layer_act *A = d ? &m->R[l] : &m->L[l];
    int T = c->seq_len, B = m->batch, H = tr_lstm_layer_units(c, l);
    const float *wp = tr_kernel_pack_step_backward(1, d ? m->p.w_hh_r[l] : m->p.w_hh[l], H);
    if (!wp)
        return 0;
    size_t BH = (size_t)B * H, BG = (size_t)B * 4 * H;
    tr_kernel_bwd st = {.B = B, .H = H, .dc = m->dc_next};
    for (int s = T - 1; s >= 0; s--) {
        int t = d ? T - 1 - s : s, prev = d ? t + 1 : t - 1, next = d ? t - 1 : t + 1;
        st.dg_next = s < T - 1 ? A->gates + (size_t)next * BG : NULL;
        st.gates = A->gates + (size_t)t * BG;
        st.c_prev = s > 0 ? A->c + (size_t)prev * BH : NULL;
        st.tc = A->tc + (size_t)t * BH;
        st.dh_up = dh + (size_t)t * BH;
        tr_kernel_step_backward(&st, wp);
    }
    return 1;
}

/* The products over all timesteps of dir_backward on the AVX-512 path, from dG
 * (T*B, 4H) in the layer's gates: dW_ih, dW_hh and db in one pass over dG
 * (tr_kernel_wgrad), dx with tr_kernel_gemm32. 0 when packing W_ih or wgrad's chunk
 * ran out of memory, before anything was added (the caller runs the cblas calls). */
static int dir_backward_products(tr_lstm *m, int l, int d, float *dx, int accumulate)
{
    const tr_lstm_config *c = &m->cfg;
    tr_lstm_layer_act *A = d ? &m->R[l] : &m->L[l];
    int T = c->seq_len, B = m->batch, H = tr_lstm_layer_units(c, l), G4 = 4 * H;
    int K = tr_lstm_layer_in(c, l), TB = T * B;
    const float *wp = dx ? tr_kernel_pack32(2, d ? m->p.w_ih_r[l] : m->p.w_ih[l], G4, K) : NULL;
    if (dx && !wp)
        return 0;
    /* dW_ih (4H, K) += dG^T in over all T*B rows; dW_hh (4H, H) += dG_t^T h_prev
     * over the steps after the first: forward rows B.. with h[0..T-2], reverse
     * rows ..TB-B with h[1..T-1] */
    tr_kernel_wsrc src[2] = {
        {.x = m->L[l].in, .ldx = K, .n = K, .r0 = 0, .r1 = TB,
         .c = d ? m->g.w_ih_r[l] : m->g.w_ih[l], .ldc = K},
        {.x = A->h + (d ? (size_t)B * H : 0), .ldx = H, .n = H, .r0 = d ? 0 : B,
         .r1 = d ? TB - B : TB, .c = d ? m->g.w_hh_r[l] : m->g.w_hh[l], .ldc = H}};
    memset(m->bias_sum, 0, (size_t)G4 * sizeof(float));
    if (!tr_kernel_wgrad(G4, TB, A->gates, G4, src, 2, m->bias_sum))
        return 0;
    float *gb_ih = d ? m->g.b_ih_r[l] : m->g.b_ih[l], *gb_hh = d ? m->g.b_hh_r[l] : m->g.b_hh[l];
    for (int j = 0; j < G4; j++) {   /* db: the same for b_ih and b_hh */
        gb_ih[j] += m->bias_sum[j];
        gb_hh[j] += m->bias_sum[j];
    }
    /* dx (T*B, K) (+)= dG (T*B, 4H) W_ih (4H, K) */
    if (dx)
        tr_kernel_gemm32(TB, K, G4, A->gates, G4, wp, dx, K, accumulate);
    return 1;
}

/* Backward through one direction of layer l (d as in dir_forward): dh (T, B, H)
 * the gradient w.r.t. that direction's outputs in; accumulates its weight
 * gradients; writes dx (T, B, K) when dx != NULL, or adds to it when accumulate. */
static void dir_backward(tr_lstm *m, int l, int d, const float *dh, float *dx, int accumulate)
{
    const tr_lstm_config *c = &m->cfg;
    tr_lstm_layer_act *A = d ? &m->R[l] : &m->L[l];
    int T = c->seq_len, B = m->batch, H = tr_lstm_layer_units(c, l), G4 = 4 * H;
    int K = tr_lstm_layer_in(c, l);
    assert(l >= 0 && l < c->layers && H >= 1 && H <= tr_lstm_max_units(c) && K >= 1);
    const float *w_ih = d ? m->p.w_ih_r[l] : m->p.w_ih[l];
    const float *w_hh = d ? m->p.w_hh_r[l] : m->p.w_hh[l];
    float *gw_ih = d ? m->g.w_ih_r[l] : m->g.w_ih[l];
    float *gw_hh = d ? m->g.w_hh_r[l] : m->g.w_hh[l];
    float *gb_ih = d ? m->g.b_ih_r[l] : m->g.b_ih[l];
    float *gb_hh = d ? m->g.b_hh_r[l] : m->g.b_hh[l];
    const float *in = m->L[l].in;
    size_t BH = (size_t)B * H;
    memset(m->dc_next, 0, BH * sizeof(float));
    if (tr_kernel_level() != TR_KERNEL_AVX512 || !dir_backward_fused(m, l, d, dh)) {
        memset(m->dh_next, 0, BH * sizeof(float));
        const float *whp = T > 1 && tr_kernel_level() == TR_KERNEL_AVX2
                           ? tr_kernel_pack(1, w_hh, G4, H) : NULL;
        for (int s = T - 1; s >= 0; s--) {
            int t = d ? T - 1 - s : s, prev = d ? t + 1 : t - 1;
            float *Gt = A->gates + (size_t)t * B * G4;
            size_t o = (size_t)t * BH;
            tr_kernel_cell_backward(Gt, s > 0 ? A->c + (size_t)prev * BH : NULL, A->tc + o,
                                    dh + o, m->dh_next, m->dc_next, B, H);
            /* dh_prev (B, H) = dG_t (B, 4H) W_hh (4H, H) */
            if (s > 0 && whp)
                tr_kernel_gemm(B, H, G4, Gt, G4, whp, m->dh_next, H, 0);
            else if (s > 0)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, G4, 1.0f, Gt,
                            G4, w_hh, H, 0.0f, m->dh_next, H);
        }
    }
    size_t TB = (size_t)T * B;
    if (tr_kernel_level() == TR_KERNEL_AVX512 && dir_backward_products(m, l, d, dx, accumulate))
        return;
    /* dW_hh (4H, H) += sum over steps after the first of dG_t^T h_prev:
     * forward dG[1..T-1] with h[0..T-2], reverse dG[0..T-2] with h[1..T-1] */
    if (T > 1)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G4, H, (int)(TB - B), 1.0f,
                    A->gates + (d ? 0 : (size_t)B * G4), G4, A->h + (d ? BH : 0), H, 1.0f,
                    gw_hh, H);
    /* dW_ih (4H, K) += dG^T (4H, T*B) in (T*B, K) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G4, K, (int)TB, 1.0f,
                A->gates, G4, in, K, 1.0f, gw_ih, K);
    /* db (4H) = column sums of dG, the same for b_ih and b_hh */
    cblas_sgemv(CblasRowMajor, CblasTrans, (int)TB, G4, 1.0f, A->gates, G4, m->ones, 1,
                0.0f, m->bias_sum, 1);
    for (int j = 0; j < G4; j++) {
        gb_ih[j] += m->bias_sum[j];
        gb_hh[j] += m->bias_sum[j];
    }
    /* dx (T*B, K) (+)= dG (T*B, 4H) W_ih (4H, K) */
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)TB, K, G4, 1.0f,
                    A->gates, G4, w_ih, K, accumulate ? 1.0f : 0.0f, dx, K);
}

void tr_lstm_backward(tr_lstm *m, float *dx_out)
{
    const tr_lstm_config *c = &m->cfg;
    int T = c->seq_len, B = m->batch, H = top_units(c), F = c->n_features;
    int bi = c->bidirectional, HD = ndir(c) * H;   /* the head's input (B, D*H_top) */
    size_t BH = (size_t)B * H, TB = (size_t)T * B;
    float *dh = m->dh, *dx = m->dx;
    /* a backward pass follows a training forward pass of this batch */
    assert(B >= 1 && B <= c->max_batch && T >= 1 && F >= 1 && H >= 1);

    /* head: dw_head += head_in^T dz; db_head += sum dz */
    int K = tr_lstm_n_out(c);
    if (c->head == TR_HEAD_MULTICLASS) {
        /* dW_head (K, HD) += dz^T (K, B) head_src (B, HD); dhead (B, HD) = dz W_head */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, HD, B, 1.0f, m->dz, K,
                    m->head_src, HD, 1.0f, m->g.w_head, HD);
        for (int b = 0; b < B; b++)
            for (int k = 0; k < K; k++)
                m->g.b_head[k] += m->dz[(size_t)b * K + k];
    } else {
        cblas_sgemv(CblasRowMajor, CblasTrans, B, HD, 1.0f, m->head_src, HD, m->dz, 1, 1.0f,
                    m->g.w_head, 1);
        float db = 0.0f;
        for (int b = 0; b < B; b++)
            db += m->dz[b];
        m->g.b_head[0] += db;
    }
    if (!bi) {
        /* dh_{T-1} = dz w_head^T */
        memset(dh, 0, (size_t)(T - 1) * BH * sizeof(float));
        float *dlast = dh + (size_t)(T - 1) * BH;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, K, 1.0f, m->dz, K,
                    m->p.w_head, H, 0.0f, dlast, H);
        if (dropped(m, c->layers - 1))
            for (size_t k = 0; k < BH; k++)
                dlast[k] *= m->head_mask[k];
    } else {
        /* dhead (B, 2H) = dz w_head^T, into head_cat (its forward use is over):
         * the first half reaches h_fwd at t = T-1, the second h_bwd at t = 0 */
        float *dhead = m->head_cat;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, HD, K, 1.0f, m->dz, K,
                    m->p.w_head, HD, 0.0f, dhead, HD);
        if (dropped(m, c->layers - 1))
            for (size_t k = 0; k < (size_t)B * HD; k++)
                dhead[k] *= m->head_mask[k];
        memset(dh, 0, TB * H * sizeof(float));
        memset(m->dh_r, 0, TB * H * sizeof(float));
        for (int b = 0; b < B; b++) {
            memcpy(dh + (size_t)(T - 1) * BH + (size_t)b * H, dhead + (size_t)b * HD,
                   (size_t)H * sizeof(float));
            memcpy(m->dh_r + (size_t)b * H, dhead + (size_t)b * HD + H,
                   (size_t)H * sizeof(float));
        }
    }

    for (int l = c->layers - 1; l >= 0; l--) {
        int need_dx = l > 0 || dx_out != NULL;
        dir_backward(m, l, 0, dh, need_dx ? dx : NULL, 0);
        if (bi)
            dir_backward(m, l, 1, m->dh_r, need_dx ? dx : NULL, 1);
        if (l > 0) {
            /* dx (T, B, K = D*Hb) becomes the gradient of layer l-1's output */
            size_t Hb = (size_t)tr_lstm_layer_units(c, l - 1), K = (size_t)tr_lstm_layer_in(c, l);
            assert(K == (size_t)ndir(c) * Hb);
            if (dropped(m, l - 1)) {
                const float *mk = m->L[l].mask;
                for (size_t k = 0; k < TB * K; k++)
                    dx[k] *= mk[k];
            }
            if (bi) {   /* (T, B, 2Hb) into each direction's (T, B, Hb) */
                for (size_t r = 0; r < TB; r++) {
                    memcpy(dh + r * Hb, dx + r * 2 * Hb, Hb * sizeof(float));
                    memcpy(m->dh_r + r * Hb, dx + r * 2 * Hb + Hb, Hb * sizeof(float));
                }
            } else {
                float *s = dh; dh = dx; dx = s;
            }
        }
    }
    if (dx_out)
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                memcpy(dx_out + ((size_t)b * T + t) * F, dx + ((size_t)t * B + b) * F,
                       (size_t)F * sizeof(float));
}

void tr_lstm_gather(const tr_windows *w, const int *idx, int first, int B,
                    float *x, float *y)
{
    size_t TF = (size_t)w->seq_len * w->n_features;
    for (int b = 0; b < B; b++) {
        int e = w->ends[idx ? idx[first + b] : first + b];
        assert(e >= w->seq_len - 1);   /* the window (e - seq_len, e] lies inside the rows */
        memcpy(x + (size_t)b * TF, w->x + (size_t)(e - w->seq_len + 1) * w->n_features,
               TF * sizeof(float));
        if (y)
            y[b] = w->y[e];
    }
}

static int check_windows(const tr_lstm *m, const tr_windows *w, char err[256])
{
    if (w->seq_len != m->cfg.seq_len || w->n_features != m->cfg.n_features) {
        snprintf(err, 256, "windows: seq_len %d and %d features do not match the model's "
                 "seq_len %d and %d features", w->seq_len, w->n_features,
                 m->cfg.seq_len, m->cfg.n_features);
        return -1;
    }
    return 0;
}

int tr_lstm_predict(tr_lstm *m, const tr_windows *w, float *out, char err[256])
{
    if (check_windows(m, w, err))
        return -1;
    for (int s = 0; s < w->n; s += m->cfg.max_batch) {
        int B = w->n - s < m->cfg.max_batch ? w->n - s : m->cfg.max_batch;
        tr_lstm_gather(w, NULL, s, B, m->xb, NULL);
        forward_pass(m, m->xb, NULL, B, 0, 0, out + (size_t)s * tr_lstm_n_out(&m->cfg),
                     s > 0 ? FWD_REUSE : 0);
    }
    return 0;
}

int tr_lstm_eval_loss(tr_lstm *m, const tr_windows *w, double *loss, char err[256])
{
    if (check_windows(m, w, err))
        return -1;
    double sum = 0.0;
    for (int s = 0; s < w->n; s += m->cfg.max_batch) {
        int B = w->n - s < m->cfg.max_batch ? w->n - s : m->cfg.max_batch;
        tr_lstm_gather(w, NULL, s, B, m->xb, m->yb);
        sum += (double)forward_pass(m, m->xb, m->yb, B, 0, 0, NULL, s > 0 ? FWD_REUSE : 0) * B;
    }
    *loss = w->n > 0 ? sum / w->n : 0.0;
    return 0;
}
