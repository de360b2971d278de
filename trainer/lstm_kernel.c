/*
 * lstm_kernel.c - the LSTM's per-timestep work (lstm_kernel.h): the gate math,
 * the AVX2 packed recurrent product and the AVX-512 fused timesteps and
 * whole-sequence backward products.
 *
 * Gate math. Written once, on GCC vector types (16 floats) with its own exp, so
 * that it vectorises at -O2 on any x86-64; the cell functions are compiled in
 * clones for AVX-512, AVX2 and the baseline, chosen at load time
 * (target_clones). The AVX-512 backward epilogue inlines the same helpers; the
 * forward epilogue restates exp, sigmoid and tanh in AVX-512 instructions
 * (exp512 and below: same constants, fused multiply-adds, no division).
 *
 * AVX2 packed layout: panel p (columns 16p .. 16p+15) is K rows of 16 floats,
 * panels one after another, the last padded with zero columns. The micro-kernel
 * keeps a 6 x 16 block of C in 12 ymm registers; row tails run one row at a time.
 *
 * AVX-512 forward layout (tr_kernel_pack_gates): panel p holds units 16p ..
 * 16p+15 of all four gates, K + H rows of 64 floats: row k < K is
 * [W_ih(i) W_ih(f) W_ih(g) W_ih(o)] at input k, row K + k the same of W_hh at
 * hidden input k; units past H are zero. A tile is 6 windows x 64 columns in 24
 * zmm accumulators, so one row's four zmm are one window's four gates of 16
 * units: exactly what the cell update needs. Backward layout
 * (tr_kernel_pack32): panel q holds columns 32q .. 32q+31 of W (K rows of 32
 * floats); a tile is 8 rows x 32 columns in 16 accumulators. The backward step
 * packs W_hh the same way in panels of 64 columns when H > 32 and runs 6 x 64
 * tiles (24 accumulators, as forward). Per k, a tile
 * loads its panel row once and broadcasts one input value per row. Rows past
 * the last full tile run in a narrower instance of the same tile (a constant
 * row count per instance, so every accumulator stays a register).
 */
#include "trainer/lstm_kernel.h"

#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic ignored "-Wpsabi"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define TR_CLONES __attribute__((target_clones("avx512f", "arch=haswell", "default")))
#else
#define TR_CLONES
#endif
/* clang's AddressSanitizer takes tens of minutes over the unrolled AVX-512
 * tiles (the fuzz build): they are left uninstrumented there. GCC's ASan build
 * (the suite's) instruments them. */
#if defined(__clang__) && defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TR_NO_ASAN __attribute__((no_sanitize("address")))
#endif
#endif
#ifndef TR_NO_ASAN
#define TR_NO_ASAN
#endif
#define TGT2 __attribute__((target("avx2,fma")))
#define TGT512 __attribute__((target("avx512f,avx2,fma"))) TR_NO_ASAN
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* ---- the path in use ---- */

static int kernel_level = -1;   /* -1 undecided, else TR_KERNEL_* */

static int cpu_level(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return TR_KERNEL_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return TR_KERNEL_AVX2;
    return TR_KERNEL_REFERENCE;
}

int tr_kernel_level(void)
{
    if (kernel_level < 0) {
        const char *e = getenv("SEQTUNE_LSTM_KERNEL");
        int l = cpu_level();
        if (e && strcmp(e, "reference") == 0)
            l = TR_KERNEL_REFERENCE;
        else if (e && strcmp(e, "avx2") == 0 && l > TR_KERNEL_AVX2)
            l = TR_KERNEL_AVX2;
        kernel_level = l;
    }
    return kernel_level;
}

int tr_kernel_force(int level)
{
    kernel_level = level >= TR_KERNEL_REFERENCE && level <= cpu_level() ? level
                                                                         : TR_KERNEL_REFERENCE;
    return kernel_level;
}

/* ---- gate math on 16-float vectors ---- */

#define VL 16
typedef float vf __attribute__((vector_size(VL * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(VL * sizeof(int32_t))));

ALWAYS_INLINE vf vsplat(float a)
{
    vf v;
    for (int k = 0; k < VL; k++)
        v[k] = a;
    return v;
}

/* Loads n <= VL floats (the rest zero). */
ALWAYS_INLINE vf vld(const float *p, int n)
{
    vf v = vsplat(0.0f);
    if (n == VL)
        memcpy(&v, p, sizeof v);
    else
        memcpy(&v, p, (size_t)n * sizeof(float));
    return v;
}

ALWAYS_INLINE void vst(float *p, vf v, int n)
{
    if (n == VL)
        memcpy(p, &v, sizeof v);
    else
        memcpy(p, &v, (size_t)n * sizeof(float));
}

/* Clamps x to [lo, hi]; NaN stays NaN (so a NaN input reaches the loss). */
ALWAYS_INLINE vf vclamp(vf x, float lo, float hi)
{
    vf l = vsplat(lo), h = vsplat(hi);
    vi below = x < l, above = x > h;
    x = (vf)((below & (vi)l) | (~below & (vi)x));
    return (vf)((above & (vi)h) | (~above & (vi)x));
}

/* exp(x), Cephes-style: x = n ln2 + r, |r| <= ln2/2, degree-6 polynomial for e^r,
 * 2^n built in the exponent bits. About 1-2 ulp over the clamped range. */
ALWAYS_INLINE vf vexp(vf x)
{
    const vf magic = vsplat(12582912.0f); /* 1.5 * 2^23: adding it rounds to integer */
    x = vclamp(x, -87.0f, 88.0f);
    vf t = x * vsplat(1.44269504088896341f) + magic;
    vf n = t - magic;
    vf r = x - n * vsplat(0.693359375f);
    r = r - n * vsplat(-2.12194440e-4f);
    vf p = vsplat(1.9875691500e-4f);
    p = p * r + vsplat(1.3981999507e-3f);
    p = p * r + vsplat(8.3334519073e-3f);
    p = p * r + vsplat(4.1665795894e-2f);
    p = p * r + vsplat(1.6666665459e-1f);
    p = p * r + vsplat(5.0000001201e-1f);
    p = p * (r * r) + r + vsplat(1.0f);
    vi e = (__builtin_convertvector(n, vi) + 127) << 23;
    return p * (vf)e;
}

ALWAYS_INLINE vf vsigmoid(vf x)
{
    return vsplat(1.0f) / (vsplat(1.0f) + vexp(-x));
}

/* tanh(x) = 1 - 2 / (exp(2x) + 1); absolute error about 1e-7. */
ALWAYS_INLINE vf vtanh(vf x)
{
    return vsplat(1.0f) - vsplat(2.0f) / (vexp(x + x) + vsplat(1.0f));
}

/* The cell update of 16 units of one window: a_* the raw gate products plus
 * biases, cp c_{t-1} (zero at the first step). Writes the activated gates to
 * gi..go and returns c_t. */
ALWAYS_INLINE vf cell_fwd_math(vf ai, vf af, vf ag, vf ao, const vf *cp,
                               vf *gi, vf *gf, vf *gg, vf *go)
{
    vf i = vsigmoid(ai), f = vsigmoid(af), g = vtanh(ag), o = vsigmoid(ao);
    /* c_t = f * c_{t-1} + i * g */
    vf cc = i * g;
    if (cp)
        cc += f * *cp;
    *gi = i; *gf = f; *gg = g; *go = o;
    return cc;
}

/* Gate gradients of 16 units of one window from dh = dh_up + dh_next, dcn the
 * dc arriving from t+1, t = tanh(c_t), cp = c_{t-1}: d* out, returns dc for t-1.
 * Written once and instantiated twice: for the generic paths, and with the
 * AVX-512 target for the fused backward step (clang does not let a function of
 * that target pass 64-byte vectors to one without it, inlined or not). */
#define CELL_BWD_MATH(name, attrs)                                                        \
    attrs ALWAYS_INLINE vf name(vf i, vf f, vf g, vf o, vf t, vf dh, vf dcn, vf cp, vf *di, \
                                vf *df, vf *dg, vf *dout)                                  \
    {                                                                                      \
        vf one = (vf){0} + 1.0f;                                                          \
        /* dc = dc_{t+1} + dh * o * (1 - tanh(c)^2) */                                     \
        vf dcc = dcn + dh * o * (one - t * t);                                             \
        *di = dcc * g * i * (one - i);                                                     \
        *df = dcc * cp * f * (one - f);                                                    \
        *dg = dcc * i * (one - g * g);                                                     \
        *dout = dh * t * o * (one - o);                                                    \
        return dcc * f;                                                                    \
    }
CELL_BWD_MATH(cell_bwd_math, )

TR_CLONES
void tr_kernel_cell_forward(float *G, const float *bs, const float *c_prev,
                            float *c, float *tc, float *h, int B, int H)
{
    for (int b = 0; b < B; b++) {
        float *a = G + (size_t)b * 4 * H;
        size_t ro = (size_t)b * H;
        for (int j = 0; j < H; j += VL) {
            int n = H - j < VL ? H - j : VL;
            vf i, f, g, o, cp = c_prev ? vld(c_prev + ro + j, n) : vsplat(0.0f);
            vf cc = cell_fwd_math(vld(a + j, n) + vld(bs + j, n),
                                  vld(a + H + j, n) + vld(bs + H + j, n),
                                  vld(a + 2 * H + j, n) + vld(bs + 2 * H + j, n),
                                  vld(a + 3 * H + j, n) + vld(bs + 3 * H + j, n),
                                  c_prev ? &cp : NULL, &i, &f, &g, &o);
            vf t = vtanh(cc);
            vst(a + j, i, n);
            vst(a + H + j, f, n);
            vst(a + 2 * H + j, g, n);
            vst(a + 3 * H + j, o, n);
            vst(c + ro + j, cc, n);
            vst(tc + ro + j, t, n);
            vst(h + ro + j, o * t, n);
        }
    }
}

TR_CLONES
void tr_kernel_cell_backward(float *G, const float *c_prev, const float *tc,
                             const float *dh_up, const float *dh_next, float *dc,
                             int B, int H)
{
    for (int b = 0; b < B; b++) {
        float *a = G + (size_t)b * 4 * H;
        size_t ro = (size_t)b * H;
        for (int j = 0; j < H; j += VL) {
            int n = H - j < VL ? H - j : VL;
            vf di, df, dg, dout;
            vf dcp = cell_bwd_math(vld(a + j, n), vld(a + H + j, n), vld(a + 2 * H + j, n),
                                   vld(a + 3 * H + j, n), vld(tc + ro + j, n),
                                   vld(dh_up + ro + j, n) + vld(dh_next + ro + j, n),
                                   vld(dc + ro + j, n),
                                   c_prev ? vld(c_prev + ro + j, n) : vsplat(0.0f),
                                   &di, &df, &dg, &dout);
            vst(a + j, di, n);
            vst(a + H + j, df, n);
            vst(a + 2 * H + j, dg, n);
            vst(a + 3 * H + j, dout, n);
            vst(dc + ro + j, dcp, n);
        }
    }
}

/* ---- packed buffers ---- */

#define SLOTS 12   /* 0 .. 2 products, 3 .. 10 forward layers, 11 wgrad's chunk of A */
static _Thread_local float *pack_buf[SLOTS];
static _Thread_local size_t pack_cap[SLOTS];
static _Thread_local const float *pack_src[SLOTS][2];   /* what the slot holds (pack_gates) */

/* This thread's buffer `slot` with room for n floats, 64-byte aligned; NULL when
 * out of memory. */
static float *pack_room(int slot, size_t n)
{
    pack_src[slot][0] = pack_src[slot][1] = NULL;
    if (n > pack_cap[slot]) {
        free(pack_buf[slot]);
        pack_buf[slot] = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
        pack_cap[slot] = pack_buf[slot] ? n : 0;
    }
    return pack_buf[slot];
}

/* W (K, N) row-major into panels of nr columns (K rows of nr floats each). */
static const float *pack_panels(int slot, const float *W, int K, int N, int nr)
{
    int np = (N + nr - 1) / nr;
    float *d = pack_room(slot, (size_t)np * nr * (size_t)K);
    if (!d)
        return NULL;
    for (int p = 0; p < np; p++) {
        int j0 = p * nr, w = N - j0 < nr ? N - j0 : nr;
        for (int k = 0; k < K; k++) {
            float *row = d + ((size_t)p * K + k) * nr;
            memcpy(row, W + (size_t)k * N + j0, (size_t)w * sizeof(float));
            for (int j = w; j < nr; j++)
                row[j] = 0.0f;
        }
    }
    return d;
}

/* ---- AVX2: the packed recurrent product ---- */

#define NR2 16
#define MR2 6

const float *tr_kernel_pack(int slot, const float *W, int K, int N)
{
    return pack_panels(slot, W, K, N, NR2);
}

/* Stores a row's two accumulators into C's row cr (w columns). */
TGT2 ALWAYS_INLINE void store_row(float *cr, __m256 c0, __m256 c1, int w, int accumulate)
{
    if (w == NR2) {
        if (accumulate) {
            c0 = _mm256_add_ps(c0, _mm256_loadu_ps(cr));
            c1 = _mm256_add_ps(c1, _mm256_loadu_ps(cr + 8));
        }
        _mm256_storeu_ps(cr, c0);
        _mm256_storeu_ps(cr + 8, c1);
        return;
    }
    float t[NR2];
    _mm256_storeu_ps(t, c0);
    _mm256_storeu_ps(t + 8, c1);
    for (int j = 0; j < w; j++)
        cr[j] = accumulate ? cr[j] + t[j] : t[j];
}

/* The full MR2 x 16 block; the accumulators are named so that they stay in registers. */
TGT2 static void block6(int w, int K, const float *A, int lda, const float *P, float *C, int ldc,
                        int accumulate)
{
    __m256 a0 = _mm256_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0,
           a3 = a0, b3 = a0, a4 = a0, b4 = a0, a5 = a0, b5 = a0;
    const float *A0 = A, *A1 = A + lda, *A2 = A + 2 * (size_t)lda, *A3 = A + 3 * (size_t)lda,
                *A4 = A + 4 * (size_t)lda, *A5 = A + 5 * (size_t)lda;
    for (int k = 0; k < K; k++, P += NR2) {
        __m256 w0 = _mm256_load_ps(P), w1 = _mm256_load_ps(P + 8), x;
        x = _mm256_broadcast_ss(A0 + k); a0 = _mm256_fmadd_ps(x, w0, a0); b0 = _mm256_fmadd_ps(x, w1, b0);
        x = _mm256_broadcast_ss(A1 + k); a1 = _mm256_fmadd_ps(x, w0, a1); b1 = _mm256_fmadd_ps(x, w1, b1);
        x = _mm256_broadcast_ss(A2 + k); a2 = _mm256_fmadd_ps(x, w0, a2); b2 = _mm256_fmadd_ps(x, w1, b2);
        x = _mm256_broadcast_ss(A3 + k); a3 = _mm256_fmadd_ps(x, w0, a3); b3 = _mm256_fmadd_ps(x, w1, b3);
        x = _mm256_broadcast_ss(A4 + k); a4 = _mm256_fmadd_ps(x, w0, a4); b4 = _mm256_fmadd_ps(x, w1, b4);
        x = _mm256_broadcast_ss(A5 + k); a5 = _mm256_fmadd_ps(x, w0, a5); b5 = _mm256_fmadd_ps(x, w1, b5);
    }
    store_row(C, a0, b0, w, accumulate);
    store_row(C + ldc, a1, b1, w, accumulate);
    store_row(C + 2 * (size_t)ldc, a2, b2, w, accumulate);
    store_row(C + 3 * (size_t)ldc, a3, b3, w, accumulate);
    store_row(C + 4 * (size_t)ldc, a4, b4, w, accumulate);
    store_row(C + 5 * (size_t)ldc, a5, b5, w, accumulate);
}

/* A tail block of fewer than MR2 rows, one row at a time. */
TGT2 static void block1(int w, int K, const float *A, const float *P, float *C, int accumulate)
{
    __m256 a = _mm256_setzero_ps(), b = a, c = a, d = a;
    int k = 0;
    for (; k + 1 < K; k += 2, P += 2 * NR2) {   /* two chains per half against FMA latency */
        __m256 x = _mm256_broadcast_ss(A + k), y = _mm256_broadcast_ss(A + k + 1);
        a = _mm256_fmadd_ps(x, _mm256_load_ps(P), a);
        b = _mm256_fmadd_ps(x, _mm256_load_ps(P + 8), b);
        c = _mm256_fmadd_ps(y, _mm256_load_ps(P + NR2), c);
        d = _mm256_fmadd_ps(y, _mm256_load_ps(P + NR2 + 8), d);
    }
    if (k < K) {
        __m256 x = _mm256_broadcast_ss(A + k);
        a = _mm256_fmadd_ps(x, _mm256_load_ps(P), a);
        b = _mm256_fmadd_ps(x, _mm256_load_ps(P + 8), b);
    }
    store_row(C, _mm256_add_ps(a, c), _mm256_add_ps(b, d), w, accumulate);
}

void tr_kernel_gemm(int M, int N, int K, const float *A, int lda, const float *Wp, float *C,
                    int ldc, int accumulate)
{
    int np = (N + NR2 - 1) / NR2;
    for (int p = 0; p < np; p++) {
        int j0 = p * NR2, w = N - j0 < NR2 ? N - j0 : NR2;
        const float *P = Wp + (size_t)p * K * NR2;
        int i = 0;
        for (; i + MR2 <= M; i += MR2)
            block6(w, K, A + (size_t)i * lda, lda, P, C + (size_t)i * ldc + j0, ldc, accumulate);
        for (; i < M; i++)
            block1(w, K, A + (size_t)i * lda, P, C + (size_t)i * ldc + j0, accumulate);
    }
}

/* ---- AVX-512: fused timesteps ---- */

#define FNR 64   /* forward panel: 16 units x 4 gates */
#define FMR 6    /* forward tile rows (windows) */
#define BNR 32   /* backward panel: 32 units */
#define BMR 8    /* backward tile rows */

/* Lanes of units u .. u+15 below H. */
static inline __mmask16 unit_mask(int u, int H)
{
    int n = H - u;
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

TGT512 ALWAYS_INLINE vf mld(__mmask16 m, const float *p)
{
    return (vf)_mm512_maskz_loadu_ps(m, p);
}

TGT512 ALWAYS_INLINE void mst(__mmask16 m, float *p, vf v)
{
    _mm512_mask_storeu_ps(p, m, (__m512)v);
}

const float *tr_kernel_pack_gates(int slot, const float *w_ih, int K, const float *w_hh, int H,
                                  int reuse)
{
    int np = (H + 15) / 16;
    size_t KH = (size_t)K + H, n = (size_t)np * KH * FNR;
    if (reuse && pack_src[slot][0] == w_ih && pack_src[slot][1] == w_hh && pack_cap[slot] >= n)
        return pack_buf[slot];
    float *d = pack_room(slot, n);
    if (!d)
        return NULL;
    pack_src[slot][0] = w_ih;
    pack_src[slot][1] = w_hh;
    if (H % 16)
        memset(d, 0, n * sizeof(float));
    for (int g = 0; g < 4; g++)
        for (int j = 0; j < H; j++) {
            float *col = d + (size_t)(j / 16) * KH * FNR + g * 16 + j % 16;
            const float *wi = w_ih + ((size_t)g * H + j) * K, *wh = w_hh + ((size_t)g * H + j) * H;
            for (int k = 0; k < K; k++)
                col[(size_t)k * FNR] = wi[k];
            for (int k = 0; k < H; k++)
                col[((size_t)K + k) * FNR] = wh[k];
        }
    return d;
}

/* The gate math of vsigmoid and vtanh in AVX-512 instructions, for the fused
 * epilogue, on base 2: e^x = 2^y with y = x log2(e) (the constant folded into
 * one multiply with the gate's sign and factor), y clamped to the range the
 * clamped vexp covers, y = n + f with n = round(y) and |f| <= 1/2, 2^f from a
 * degree-5 polynomial fitted for this (relative error below 2e-7 in float),
 * 2^n applied by vscalefps; each 1/d is vrcp14ps plus one Newton step
 * (r (2 - d r), about 1 ulp) instead of a division. About 60 % of vexp's
 * instructions; the results differ from the cell functions' by a few ulp. */
TGT512 ALWAYS_INLINE __m512 exp2_512(__m512 y)
{
    /* max/min return their second operand when one is NaN: NaN stays NaN */
    y = _mm512_min_ps(_mm512_set1_ps(88.0f * 1.44269504f),
                      _mm512_max_ps(_mm512_set1_ps(-87.0f * 1.44269504f), y));
    __m512 n = _mm512_roundscale_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 f = _mm512_sub_ps(y, n);
    __m512 p = _mm512_set1_ps(1.326472662e-3f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.671512959e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550733748e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.402224208e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931469776e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

TGT512 ALWAYS_INLINE __m512 rcp512(__m512 d)
{
    __m512 r = _mm512_rcp14_ps(d);
    return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

/* sigmoid(x) = 1 / (1 + e^-x) */
TGT512 ALWAYS_INLINE __m512 sigmoid512(__m512 x)
{
    __m512 e = exp2_512(_mm512_mul_ps(x, _mm512_set1_ps(-1.44269504088896341f)));
    return rcp512(_mm512_add_ps(e, _mm512_set1_ps(1.0f)));
}

/* tanh(x) = 1 - 2 / (e^2x + 1) */
TGT512 ALWAYS_INLINE __m512 tanh512(__m512 x)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 e = exp2_512(_mm512_mul_ps(x, _mm512_set1_ps(2.0f * 1.44269504088896341f)));
    return _mm512_fnmadd_ps(_mm512_set1_ps(2.0f), rcp512(_mm512_add_ps(e, one)), one);
}

/* The epilogue of one forward row: window b, units u .. u+15 (lanes m), the four
 * gates' pre-activations (biases included) in. */
TGT512 ALWAYS_INLINE void fwd_row(const tr_kernel_fwd *s, int b, int u, __mmask16 m,
                                  __m512 pi, __m512 pf, __m512 pg, __m512 po)
{
    int H = s->H;
    size_t ro = (size_t)b * H + u;
    __m512 i = sigmoid512(pi), f = sigmoid512(pf), g = tanh512(pg), o = sigmoid512(po);
    /* c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t) */
    __m512 cc = _mm512_mul_ps(i, g);
    if (s->c_prev)
        cc = _mm512_fmadd_ps(f, _mm512_maskz_loadu_ps(m, s->c_prev + ro), cc);
    __m512 t = tanh512(cc);
    if (s->gates) {
        float *a = s->gates + (size_t)b * 4 * H + u;
        _mm512_mask_storeu_ps(a, m, i);
        _mm512_mask_storeu_ps(a + H, m, f);
        _mm512_mask_storeu_ps(a + 2 * H, m, g);
        _mm512_mask_storeu_ps(a + 3 * H, m, o);
    }
    _mm512_mask_storeu_ps(s->c + ro, m, cc);
    if (s->tc)
        _mm512_mask_storeu_ps(s->tc + ro, m, t);
    _mm512_mask_storeu_ps(s->h + ro, m, _mm512_mul_ps(o, t));
}

#define F_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define F_DECL(r) __m512 c##r##0 = b0, c##r##1 = b1, c##r##2 = b2, c##r##3 = b3;
#define F_FMA(r) if (mr > r) { __m512 a_ = _mm512_set1_ps(A[(size_t)(r) * ld + k]); \
        c##r##0 = _mm512_fmadd_ps(a_, w0, c##r##0); c##r##1 = _mm512_fmadd_ps(a_, w1, c##r##1); \
        c##r##2 = _mm512_fmadd_ps(a_, w2, c##r##2); c##r##3 = _mm512_fmadd_ps(a_, w3, c##r##3); }
#define F_LOOP(KN) for (int k = 0; k < (KN); k++, P += FNR) { \
        __m512 w0 = _mm512_load_ps(P), w1 = _mm512_load_ps(P + 16), \
               w2 = _mm512_load_ps(P + 32), w3 = _mm512_load_ps(P + 48); \
        F_ROWS(F_FMA) }
#define F_EPI(r) if (mr > r) fwd_row(s, r0 + r, u, m, c##r##0, c##r##1, c##r##2, c##r##3);

/* Windows r0 .. r0+mr-1 (mr <= FMR, a constant in each instance), units u ..
 * u+15 on panel P: the biases, plus the products over x, then over h_prev, then
 * the epilogue. */
TGT512 ALWAYS_INLINE void fwd_tile(const int mr, const tr_kernel_fwd *s, int r0, int u,
                                   const float *P)
{
    __mmask16 m = unit_mask(u, s->H);
    const float *bs = s->bias + u;
    const __m512 b0 = _mm512_maskz_loadu_ps(m, bs), b1 = _mm512_maskz_loadu_ps(m, bs + s->H),
                 b2 = _mm512_maskz_loadu_ps(m, bs + 2 * s->H),
                 b3 = _mm512_maskz_loadu_ps(m, bs + 3 * s->H);
    F_ROWS(F_DECL)
    const float *A = s->x + (size_t)r0 * s->K;
    size_t ld = (size_t)s->K;
    F_LOOP(s->K)
    if (s->h_prev) {
        A = s->h_prev + (size_t)r0 * s->H;
        ld = (size_t)s->H;
        F_LOOP(s->H)
    }
    F_ROWS(F_EPI)
}

TGT512 void tr_kernel_step_forward(const tr_kernel_fwd *s, const float *Wp)
{
    int np = (s->H + 15) / 16;
    size_t ps = ((size_t)s->K + s->H) * FNR;
    for (int p = 0; p < np; p++) {
        const float *P = Wp + (size_t)p * ps;
        int r0 = 0, u = 16 * p;
        for (; r0 + FMR <= s->B; r0 += FMR)
            fwd_tile(FMR, s, r0, u, P);
        switch (s->B - r0) {
        case 5: fwd_tile(5, s, r0, u, P); break;
        case 4: fwd_tile(4, s, r0, u, P); break;
        case 3: fwd_tile(3, s, r0, u, P); break;
        case 2: fwd_tile(2, s, r0, u, P); break;
        case 1: fwd_tile(1, s, r0, u, P); break;
        default: break;
        }
    }
}

CELL_BWD_MATH(cell_bwd_math512, TGT512)

/* The epilogue of one backward row: window b, units u .. u+15 (lanes m), the
 * recurrent product dh_next in. */
TGT512 ALWAYS_INLINE void bwd_row(const tr_kernel_bwd *s, int b, int u, __mmask16 m,
                                  __m512 dh_next)
{
    int H = s->H;
    size_t ro = (size_t)b * H + u;
    float *a = s->gates + (size_t)b * 4 * H + u;
    vf di, df, dg, dout;
    vf dcp = cell_bwd_math512(mld(m, a), mld(m, a + H), mld(m, a + 2 * H), mld(m, a + 3 * H),
                              mld(m, s->tc + ro), mld(m, s->dh_up + ro) + (vf)dh_next,
                              mld(m, s->dc + ro),
                              s->c_prev ? mld(m, s->c_prev + ro) : (vf)_mm512_setzero_ps(),
                              &di, &df, &dg, &dout);
    mst(m, a, di);
    mst(m, a + H, df);
    mst(m, a + 2 * H, dg);
    mst(m, a + 3 * H, dout);
    mst(m, s->dc + ro, dcp);
}

#define B_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define B_DECL(r) __m512 d##r##0 = z, d##r##1 = z;
#define B_FMA(r) if (mr > r) { __m512 a_ = _mm512_set1_ps(A[(size_t)(r) * ld + k]); \
        d##r##0 = _mm512_fmadd_ps(a_, w0, d##r##0); d##r##1 = _mm512_fmadd_ps(a_, w1, d##r##1); }
#define B_EPI(r) if (mr > r) { bwd_row(s, r0 + r, u, m0, d##r##0); \
        if (m1) bwd_row(s, r0 + r, u + 16, m1, d##r##1); }

/* Windows r0 .. r0+mr-1 (mr <= BMR), units u .. u+31 on panel P. */
TGT512 ALWAYS_INLINE void bwd_tile(const int mr, const tr_kernel_bwd *s, int r0, int u,
                                   const float *P)
{
    const __m512 z = _mm512_setzero_ps();
    B_ROWS(B_DECL)
    if (s->dg_next) {
        size_t ld = 4 * (size_t)s->H;
        const float *A = s->dg_next + (size_t)r0 * ld;
        for (int k = 0; k < 4 * s->H; k++, P += BNR) {
            __m512 w0 = _mm512_load_ps(P), w1 = _mm512_load_ps(P + 16);
            B_ROWS(B_FMA)
        }
    }
    __mmask16 m0 = unit_mask(u, s->H), m1 = unit_mask(u + 16, s->H);
    B_ROWS(B_EPI)
}

#define S_DECL(r) __m512 d##r##0 = z, d##r##1 = z, d##r##2 = z, d##r##3 = z;
#define S_FMA(r) if (mr > r) { __m512 a_ = _mm512_set1_ps(A[(size_t)(r) * ld + k]); \
        d##r##0 = _mm512_fmadd_ps(a_, w0, d##r##0); d##r##1 = _mm512_fmadd_ps(a_, w1, d##r##1); \
        d##r##2 = _mm512_fmadd_ps(a_, w2, d##r##2); d##r##3 = _mm512_fmadd_ps(a_, w3, d##r##3); }
#define S_EPI(r) if (mr > r) { bwd_row(s, r0 + r, u, m0, d##r##0); \
        if (m1) bwd_row(s, r0 + r, u + 16, m1, d##r##1); \
        if (m2) bwd_row(s, r0 + r, u + 32, m2, d##r##2); \
        if (m3) bwd_row(s, r0 + r, u + 48, m3, d##r##3); }

/* Windows r0 .. r0+mr-1 (mr <= FMR), units u .. u+63 on a 64-unit panel P: per k
 * four panel loads and one broadcast per row for 24 multiply-adds. */
TGT512 ALWAYS_INLINE void bwd_tile64(const int mr, const tr_kernel_bwd *s, int r0, int u,
                                     const float *P)
{
    const __m512 z = _mm512_setzero_ps();
    F_ROWS(S_DECL)
    if (s->dg_next) {
        size_t ld = 4 * (size_t)s->H;
        const float *A = s->dg_next + (size_t)r0 * ld;
        for (int k = 0; k < 4 * s->H; k++, P += FNR) {
            __m512 w0 = _mm512_load_ps(P), w1 = _mm512_load_ps(P + 16),
                   w2 = _mm512_load_ps(P + 32), w3 = _mm512_load_ps(P + 48);
            F_ROWS(S_FMA)
        }
    }
    __mmask16 m0 = unit_mask(u, s->H), m1 = unit_mask(u + 16, s->H),
              m2 = unit_mask(u + 32, s->H), m3 = unit_mask(u + 48, s->H);
    F_ROWS(S_EPI)
}

/* The panel width of tr_kernel_step_backward: 64 units (6-window tiles) when H
 * is over 32, else 32 (8-window tiles), so that a narrow layer computes no
 * padding. */
static int bwd_width(int H)
{
    return H > BNR ? FNR : BNR;
}

const float *tr_kernel_pack_step_backward(int slot, const float *w_hh, int H)
{
    return pack_panels(slot, w_hh, 4 * H, H, bwd_width(H));
}

TGT512 void tr_kernel_step_backward(const tr_kernel_bwd *s, const float *Wp)
{
    int w = bwd_width(s->H), nq = (s->H + w - 1) / w;
    for (int q = 0; q < nq; q++) {
        const float *P = Wp + (size_t)q * 4 * s->H * w;
        int r0 = 0, u = w * q;
        if (w == FNR) {
            for (; r0 + FMR <= s->B; r0 += FMR)
                bwd_tile64(FMR, s, r0, u, P);
            switch (s->B - r0) {
            case 5: bwd_tile64(5, s, r0, u, P); break;
            case 4: bwd_tile64(4, s, r0, u, P); break;
            case 3: bwd_tile64(3, s, r0, u, P); break;
            case 2: bwd_tile64(2, s, r0, u, P); break;
            case 1: bwd_tile64(1, s, r0, u, P); break;
            default: break;
            }
            continue;
        }
        for (; r0 + BMR <= s->B; r0 += BMR)
            bwd_tile(BMR, s, r0, u, P);
        switch (s->B - r0) {
        case 7: bwd_tile(7, s, r0, u, P); break;
        case 6: bwd_tile(6, s, r0, u, P); break;
        case 5: bwd_tile(5, s, r0, u, P); break;
        case 4: bwd_tile(4, s, r0, u, P); break;
        case 3: bwd_tile(3, s, r0, u, P); break;
        case 2: bwd_tile(2, s, r0, u, P); break;
        case 1: bwd_tile(1, s, r0, u, P); break;
        default: break;
        }
    }
}

/* ---- AVX-512: the products over all timesteps of backward ---- */

const float *tr_kernel_pack32(int slot, const float *W, int K, int N)
{
    return pack_panels(slot, W, K, N, BNR);
}

#define G_STORE(r) if (mr > r) { float *c_ = C + (size_t)(r) * ldc; \
        if (accumulate) { \
            d##r##0 = _mm512_add_ps(d##r##0, _mm512_maskz_loadu_ps(m0, c_)); \
            d##r##1 = _mm512_add_ps(d##r##1, _mm512_maskz_loadu_ps(m1, c_ + 16)); } \
        _mm512_mask_storeu_ps(c_, m0, d##r##0); _mm512_mask_storeu_ps(c_ + 16, m1, d##r##1); }

/* Rows A .. A+mr-1 (mr <= BMR) times one 32-column panel P into C (lanes m0, m1). */
TGT512 ALWAYS_INLINE void gemm32_tile(const int mr, int K, const float *A, size_t ld,
                                      const float *P, float *C, size_t ldc, __mmask16 m0,
                                      __mmask16 m1, int accumulate)
{
    const __m512 z = _mm512_setzero_ps();
    B_ROWS(B_DECL)
    for (int k = 0; k < K; k++, P += BNR) {
        __m512 w0 = _mm512_load_ps(P), w1 = _mm512_load_ps(P + 16);
        B_ROWS(B_FMA)
    }
    B_ROWS(G_STORE)
}

/* Rows per chunk of tr_kernel_gemm32: the chunk of A (GC x K) stays in L2 while
 * every panel passes over it. */
#define GC 64

TGT512 void tr_kernel_gemm32(int M, int N, int K, const float *A, int lda, const float *Wp,
                             float *C, int ldc, int accumulate)
{
    int nq = (N + BNR - 1) / BNR;
    for (int c0 = 0; c0 < M; c0 += GC) {
        int c1 = M - c0 < GC ? M : c0 + GC;
        for (int q = 0; q < nq; q++) {
            const float *P = Wp + (size_t)q * K * BNR;
            int j = BNR * q, i = c0;
            __mmask16 m0 = unit_mask(j, N), m1 = unit_mask(j + 16, N);
            float *Cq = C + j;
            for (; i + BMR <= c1; i += BMR)
                gemm32_tile(BMR, K, A + (size_t)i * lda, (size_t)lda, P, Cq + (size_t)i * ldc,
                            (size_t)ldc, m0, m1, accumulate);
            const float *Ai = A + (size_t)i * lda;
            float *Ci = Cq + (size_t)i * ldc;
            switch (c1 - i) {
            case 7: gemm32_tile(7, K, Ai, lda, P, Ci, ldc, m0, m1, accumulate); break;
            case 6: gemm32_tile(6, K, Ai, lda, P, Ci, ldc, m0, m1, accumulate); break;
            case 5: gemm32_tile(5, K, Ai, lda, P, Ci, ldc, m0, m1, accumulate); break;
            case 4: gemm32_tile(4, K, Ai, lda, P, Ci, ldc, m0, m1, accumulate); break;
            case 3: gemm32_tile(3, K, Ai, lda, P, Ci, ldc, m0, m1, accumulate); break;
            case 2: gemm32_tile(2, K, Ai, lda, P, Ci, ldc, m0, m1, accumulate); break;
            case 1: gemm32_tile(1, K, Ai, lda, P, Ci, ldc, m0, m1, accumulate); break;
            default: break;
            }
        }
    }
}

#define WMR 12   /* weight-gradient tile: 12 rows of C (gates) x 32 columns */
#define WRC 256  /* rows of A and X per chunk */
#define W_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define W_LOAD(i) __m512 e##i##0 = z, e##i##1 = z; if (mr > i) { \
        e##i##0 = _mm512_maskz_loadu_ps(m0, C + (size_t)(i) * ldc); \
        e##i##1 = _mm512_maskz_loadu_ps(m1, C + (size_t)(i) * ldc + 16); }
#define W_FMA(i) if (mr > i) { __m512 a_ = _mm512_set1_ps(Ar[i]); \
        e##i##0 = _mm512_fmadd_ps(a_, x0, e##i##0); e##i##1 = _mm512_fmadd_ps(a_, x1, e##i##1); }
#define W_STORE(i) if (mr > i) { _mm512_mask_storeu_ps(C + (size_t)(i) * ldc, m0, e##i##0); \
        _mm512_mask_storeu_ps(C + (size_t)(i) * ldc + 16, m1, e##i##1); }

/* C rows 0 .. mr-1 (mr <= WMR), 32 columns (lanes m0, m1) += sum over n rows r of
 * A[r][0 .. mr-1] X[r][...]; A packed: row r's WMR values at A + r * WMR. */
TGT512 ALWAYS_INLINE void wgrad_tile(const int mr, int n, const float *A, const float *X,
                                     size_t ldx, float *C, size_t ldc, __mmask16 m0,
                                     __mmask16 m1)
{
    const __m512 z = _mm512_setzero_ps();
    W_ROWS(W_LOAD)
    if (m0 == 0xFFFF && m1 == 0xFFFF)   /* no masks in the loop: they would be spilled */
        for (int r = 0; r < n; r++) {
            const float *Ar = A + (size_t)r * WMR, *Xr = X + (size_t)r * ldx;
            __m512 x0 = _mm512_loadu_ps(Xr), x1 = _mm512_loadu_ps(Xr + 16);
            W_ROWS(W_FMA)
        }
    else
        for (int r = 0; r < n; r++) {
            const float *Ar = A + (size_t)r * WMR, *Xr = X + (size_t)r * ldx;
            __m512 x0 = _mm512_maskz_loadu_ps(m0, Xr), x1 = _mm512_maskz_loadu_ps(m1, Xr + 16);
            W_ROWS(W_FMA)
        }
    W_ROWS(W_STORE)
}

/* Rows r0 .. r0+n-1 of the chunk against source s; Ap the chunk of A from row
 * c0 packed by pack_chunk (nc rows). Column blocks outside, row blocks inside:
 * the source's slice (n rows x 32 columns) stays in L1 while Ap streams past it. */
TGT512 static void wgrad_chunk(int M, const float *Ap, int c0, int nc, const tr_kernel_wsrc *s,
                               int r0, int n)
{
    const float *X = s->x + (size_t)(r0 - s->r0) * s->ldx;
    size_t ldx = (size_t)s->ldx, ldc = (size_t)s->ldc, ps = (size_t)nc * WMR;
    Ap += (size_t)(r0 - c0) * WMR;
    for (int j = 0; j < s->n; j += BNR) {
        __mmask16 m0 = unit_mask(j, s->n), m1 = unit_mask(j + 16, s->n);
        int i = 0;
        for (; i + WMR <= M; i += WMR)
            wgrad_tile(WMR, n, Ap + (size_t)(i / WMR) * ps, X + j, ldx,
                       s->c + (size_t)i * ldc + j, ldc, m0, m1);
        const float *Ai = Ap + (size_t)(i / WMR) * ps;
        float *C = s->c + (size_t)i * ldc + j;
        switch (M - i) {
        case 11: wgrad_tile(11, n, Ai, X + j, ldx, C, ldc, m0, m1); break;
        case 10: wgrad_tile(10, n, Ai, X + j, ldx, C, ldc, m0, m1); break;
        case 9: wgrad_tile(9, n, Ai, X + j, ldx, C, ldc, m0, m1); break;
        case 8: wgrad_tile(8, n, Ai, X + j, ldx, C, ldc, m0, m1); break;
        case 7: wgrad_tile(7, n, Ai, X + j, ldx, C, ldc, m0, m1); break;
        case 6: wgrad_tile(6, n, Ai, X + j, ldx, C, ldc, m0, m1); break;
        case 5: wgrad_tile(5, n, Ai, X + j, ldx, C, ldc, m0, m1); break;
        case 4: wgrad_tile(4, n, Ai, X + j, ldx, C, ldc, m0, m1); break;
        case 3: wgrad_tile(3, n, Ai, X + j, ldx, C, ldc, m0, m1); break;
        case 2: wgrad_tile(2, n, Ai, X + j, ldx, C, ldc, m0, m1); break;
        case 1: wgrad_tile(1, n, Ai, X + j, ldx, C, ldc, m0, m1); break;
        default: break;
        }
    }
}

/* Rows 0 .. n-1 of A (M columns) into d as panels of WMR columns, panel b (columns
 * WMR b .. WMR b + WMR-1) n rows of WMR floats, the last padded with zeros: each
 * tile then reads its A values in one sequential stream. colsum (M) += the
 * column sums of these rows when not NULL (each column summed in row order). */
TGT512 static void pack_chunk(const float *A, size_t lda, int M, int n, float *d, float *colsum)
{
    for (int b = 0; b * WMR < M; b++) {
        int i0 = b * WMR, w = M - i0 < WMR ? M - i0 : WMR;
        __mmask16 m = (__mmask16)((1u << w) - 1);
        const float *a = A + i0;
        float *p = d + (size_t)b * n * WMR;
        __m512 acc = colsum ? _mm512_maskz_loadu_ps(m, colsum + i0) : _mm512_setzero_ps();
        for (int r = 0; r < n; r++, p += WMR, a += lda) {
            __m512 v = _mm512_maskz_loadu_ps(m, a);
            acc = _mm512_add_ps(acc, v);
            _mm512_mask_storeu_ps(p, (__mmask16)0x0FFF, v);
        }
        if (colsum)
            _mm512_mask_storeu_ps(colsum + i0, m, acc);
    }
}

TGT512 int tr_kernel_wgrad(int M, int R, const float *A, int lda, const tr_kernel_wsrc *src,
                           int nsrc, float *colsum)
{
    int nb = (M + WMR - 1) / WMR;
    float *Ap = pack_room(11, (size_t)nb * WMR * WRC);
    if (!Ap)
        return 0;
    for (int c0 = 0; c0 < R; c0 += WRC) {
        int c1 = R - c0 < WRC ? R : c0 + WRC;
        pack_chunk(A + (size_t)c0 * lda, (size_t)lda, M, c1 - c0, Ap, colsum);
        for (int k = 0; k < nsrc; k++) {
            const tr_kernel_wsrc *s = &src[k];
            int r0 = c0 > s->r0 ? c0 : s->r0, r1 = c1 < s->r1 ? c1 : s->r1;
            if (r1 > r0)
                wgrad_chunk(M, Ap, c0, c1 - c0, s, r0, r1 - r0);
        }
    }
    return 1;
}
