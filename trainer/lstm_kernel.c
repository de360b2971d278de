/*
 * lstm_kernel.c - packed weights and the AVX2/FMA micro-kernel (lstm_kernel.h).
 *
 * Packed layout: panel p (columns 16p .. 16p+15) is K rows of 16 floats, panels
 * one after another; the last panel is padded with zero columns. The micro-kernel
 * keeps a 6 x 16 block of C in 12 ymm registers and, per k, loads the panel's row
 * (2 ymm) and broadcasts one A value per row. Row tails run one row at a time,
 * the column tail stores through a small buffer.
 */
#include "trainer/lstm_kernel.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define NR 16
#define MR 6

static int kernel_state = -1;   /* -1 undecided, 0 reference, 1 packed */

static int cpu_ok(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int tr_kernel_on(void)
{
    if (kernel_state < 0) {
        const char *e = getenv("SEQTUNE_LSTM_KERNEL");
        kernel_state = cpu_ok() && !(e && strcmp(e, "reference") == 0);
    }
    return kernel_state;
}

void tr_kernel_force(int on)
{
    kernel_state = on && cpu_ok();
}

static _Thread_local float *pack_buf[2];
static _Thread_local size_t pack_cap[2];

const float *tr_kernel_pack(int slot, const float *W, int K, int N)
{
    int np = (N + NR - 1) / NR;
    size_t need = (size_t)np * NR * (size_t)K;
    if (need > pack_cap[slot]) {
        free(pack_buf[slot]);
        pack_buf[slot] = aligned_alloc(64, ((need * sizeof(float)) + 63) / 64 * 64);
        pack_cap[slot] = pack_buf[slot] ? need : 0;
        if (!pack_buf[slot])
            return NULL;
    }
    float *d = pack_buf[slot];
    for (int p = 0; p < np; p++) {
        int j0 = p * NR, w = N - j0 < NR ? N - j0 : NR;
        for (int k = 0; k < K; k++) {
            float *row = d + ((size_t)p * K + k) * NR;
            memcpy(row, W + (size_t)k * N + j0, (size_t)w * sizeof(float));
            for (int j = w; j < NR; j++)
                row[j] = 0.0f;
        }
    }
    return d;
}

/* Stores a row's two accumulators into C's row cr (w columns). */
__attribute__((target("avx2,fma")))
static inline void store_row(float *cr, __m256 c0, __m256 c1, int w, int accumulate)
{
    if (w == NR) {
        if (accumulate) {
            c0 = _mm256_add_ps(c0, _mm256_loadu_ps(cr));
            c1 = _mm256_add_ps(c1, _mm256_loadu_ps(cr + 8));
        }
        _mm256_storeu_ps(cr, c0);
        _mm256_storeu_ps(cr + 8, c1);
        return;
    }
    float t[NR];
    _mm256_storeu_ps(t, c0);
    _mm256_storeu_ps(t + 8, c1);
    for (int j = 0; j < w; j++)
        cr[j] = accumulate ? cr[j] + t[j] : t[j];
}

/* The full MR x 16 block; the accumulators are named so that they stay in registers. */
__attribute__((target("avx2,fma")))
static void block6(int w, int K, const float *A, int lda, const float *P, float *C, int ldc,
                   int accumulate)
{
    __m256 a0 = _mm256_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0,
           a3 = a0, b3 = a0, a4 = a0, b4 = a0, a5 = a0, b5 = a0;
    const float *A0 = A, *A1 = A + lda, *A2 = A + 2 * (size_t)lda, *A3 = A + 3 * (size_t)lda,
                *A4 = A + 4 * (size_t)lda, *A5 = A + 5 * (size_t)lda;
    for (int k = 0; k < K; k++, P += NR) {
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

/* A tail block of fewer than MR rows, one row at a time. */
__attribute__((target("avx2,fma")))
static void block1(int w, int K, const float *A, const float *P, float *C, int accumulate)
{
    __m256 a = _mm256_setzero_ps(), b = a, c = a, d = a;
    int k = 0;
    for (; k + 1 < K; k += 2, P += 2 * NR) {   /* two chains per half against FMA latency */
        __m256 x = _mm256_broadcast_ss(A + k), y = _mm256_broadcast_ss(A + k + 1);
        a = _mm256_fmadd_ps(x, _mm256_load_ps(P), a);
        b = _mm256_fmadd_ps(x, _mm256_load_ps(P + 8), b);
        c = _mm256_fmadd_ps(y, _mm256_load_ps(P + NR), c);
        d = _mm256_fmadd_ps(y, _mm256_load_ps(P + NR + 8), d);
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
    int np = (N + NR - 1) / NR;
    for (int p = 0; p < np; p++) {
        int j0 = p * NR, w = N - j0 < NR ? N - j0 : NR;
        const float *P = Wp + (size_t)p * K * NR;
        int i = 0;
        for (; i + MR <= M; i += MR)
            block6(w, K, A + (size_t)i * lda, lda, P, C + (size_t)i * ldc + j0, ldc, accumulate);
        for (; i < M; i++)
            block1(w, K, A + (size_t)i * lda, P, C + (size_t)i * ldc + j0, accumulate);
    }
}
