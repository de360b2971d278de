/*
 * lstm_kernel.h - the LSTM's recurrent product on a packed weight matrix.
 *
 * Every timestep multiplies a small (B, K) block by the same (K, N) weights
 * (K x 4H forward, 4H x H backward). cblas_sgemm packs those weights again on
 * every call; here they are packed once per layer and pass into panels of 16
 * columns (tr_kernel_pack), and an AVX2/FMA micro-kernel (6 rows x 16 columns
 * of accumulators) runs over them (tr_kernel_gemm). The kernel is chosen at run
 * time: it runs when the CPU has AVX2 and FMA and the environment does not say
 * SEQTUNE_LSTM_KERNEL=reference; otherwise lstm.c keeps its cblas_sgemm calls
 * (the reference path). The two differ only in the order of the float sums
 * (tests/trainer/test_lstm_kernel.c bounds the difference on every shape of the
 * PyTorch parity suite).
 */
#ifndef TR_LSTM_KERNEL_H
#define TR_LSTM_KERNEL_H

/* 1 when the packed kernel is in use in this process, else 0. The first call
 * decides (CPU features, SEQTUNE_LSTM_KERNEL); tr_kernel_force overrides. */
int tr_kernel_on(void);

/* Tests: 1 = the packed kernel wherever the CPU allows it, 0 = the reference. */
void tr_kernel_force(int on);

/* Packs W (K, N) row-major into this thread's buffer `slot` (0 or 1) and returns
 * it; NULL when out of memory (the caller falls back to cblas). The buffer lives
 * until the next pack of the same slot in the same thread. */
const float *tr_kernel_pack(int slot, const float *W, int K, int N);

/* C (M, N) = A (M, K) W (K, N) + (accumulate ? C : 0), W packed by tr_kernel_pack;
 * A row stride lda, C row stride ldc. Only valid when tr_kernel_on(). */
void tr_kernel_gemm(int M, int N, int K, const float *A, int lda, const float *Wp, float *C,
                    int ldc, int accumulate);

#endif
