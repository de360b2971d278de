/*
 * lstm_kernel.h - the LSTM's per-timestep work: the gate math and the recurrent
 * products, on one of three paths chosen at run time by CPU features.
 *
 *   TR_KERNEL_AVX512 (AVX-512F): one fused call per timestep and direction.
 *     Forward, tr_kernel_step_forward computes a_t = x_t W_ih^T + h_{t-1} W_hh^T
 *     in tiles of 6 windows x 16 units x 4 gates (24 zmm accumulators) on W_ih
 *     and W_hh packed side by side once per pass (tr_kernel_pack_gates), then
 *     adds the biases and applies the gate nonlinearities and the cell update to
 *     the tile while it is still in registers: no (T*B, 4H) input projection is
 *     written and read back, and inference stores no gates at all. Backward,
 *     tr_kernel_step_backward computes dh_{t-1} = dG_t W_hh in tiles of 6 windows
 *     x 64 units (8 x 32 when H <= 32) on W_hh packed once per pass
 *     (tr_kernel_pack_step_backward) and turns each tile, in registers, into
 *     step t-1's gate gradients; after the last step,
 *     tr_kernel_wgrad forms dW_ih, dW_hh and db in one pass over dG and
 *     tr_kernel_gemm32 the input gradient. No cblas call remains in a step.
 *   TR_KERNEL_AVX2 (AVX2 + FMA): lstm.c keeps its input-projection GEMM and the
 *     cell functions below; only the recurrent products run on packed W_hh
 *     (tr_kernel_pack, tr_kernel_gemm: 6 x 16 blocks in ymm registers).
 *   TR_KERNEL_REFERENCE: every product is a cblas_sgemm call (lstm.c).
 * The environment caps the choice: SEQTUNE_LSTM_KERNEL=reference or =avx2 (other
 * values: no cap). All paths apply the same gate formulas (the same clamped
 * exp polynomial); the AVX-512 forward epilogue evaluates them with fused
 * multiply-adds and a reciprocal plus a Newton step in place of the division,
 * and the products sum in other orders. tests/trainer/test_lstm_kernel.c bounds
 * the difference from the reference on every shape of the PyTorch parity suite
 * for each path this CPU has (1e-5 of each tensor's largest value; measured at
 * most about 1e-6). Every path gives the same bits run to run.
 */
#ifndef TR_LSTM_KERNEL_H
#define TR_LSTM_KERNEL_H

enum { TR_KERNEL_REFERENCE = 0, TR_KERNEL_AVX2 = 1, TR_KERNEL_AVX512 = 2 };

/* The path in use in this process. The first call decides: the widest the CPU
 * has, capped by SEQTUNE_LSTM_KERNEL; tr_kernel_force overrides. */
int tr_kernel_level(void);

/* Tests: use `level` when the CPU has it, else the reference; returns the level
 * now in use. */
int tr_kernel_force(int level);

/* The pointwise step on every path but AVX-512's (which fuses it).
 * Forward: G (B, 4H) the raw products in, activated gates i,f,g,o out; bs (4H)
 * the summed biases; c_prev (B, H) or NULL at the direction's first step;
 * writes c, tc = tanh(c) and h, each (B, H). */
void tr_kernel_cell_forward(float *G, const float *bs, const float *c_prev,
                            float *c, float *tc, float *h, int B, int H);

/* Backward: G (B, 4H) activated gates in, pre-activation gradients dG out; dh_up
 * (B, H) the gradient from above, dh_next (B, H) the one from step t+1's
 * recurrent product; dc (B, H) in: dc from t+1, out: dc for t-1. */
void tr_kernel_cell_backward(float *G, const float *c_prev, const float *tc,
                             const float *dh_up, const float *dh_next, float *dc,
                             int B, int H);

/* AVX2: packs W (K, N) row-major into this thread's buffer `slot` (0 .. 2) and
 * returns it; NULL when out of memory (the caller falls back to cblas). Every
 * packed buffer lives until the next pack of the same slot in the same thread. */
const float *tr_kernel_pack(int slot, const float *W, int K, int N);

/* AVX2: C (M, N) = A (M, K) W (K, N) + (accumulate ? C : 0), W packed by
 * tr_kernel_pack; A row stride lda, C row stride ldc. Needs level >= AVX2. */
void tr_kernel_gemm(int M, int N, int K, const float *A, int lda, const float *Wp, float *C,
                    int ldc, int accumulate);

/* AVX-512: packs one direction's w_ih (4H, K) and w_hh (4H, H), PyTorch's
 * row-major layout, into slot `slot` (3 .. 10) for tr_kernel_step_forward; NULL
 * when out of memory. reuse != 0: the caller guarantees that the weights have
 * not changed since this slot's last pack (inference over many batches); when
 * that pack was of these same tensors it is returned without packing again. */
const float *tr_kernel_pack_gates(int slot, const float *w_ih, int K, const float *w_hh,
                                  int H, int reuse);

/* One forward timestep of one direction (AVX-512):
 *   a = x W_ih^T + h_prev W_hh^T + bias;  i, f, o = sigmoid, g = tanh of a's quarters
 *   c = f * c_prev + i * g;  h = o * tanh(c) */
typedef struct tr_kernel_fwd {
    int B, K, H;
    const float *x;       /* (B, K) the layer's input at t */
    const float *h_prev;  /* (B, H), or NULL at the direction's first step (h = 0) */
    const float *c_prev;  /* (B, H), or NULL likewise (c = 0) */
    const float *bias;    /* (4H) b_ih + b_hh */
    float *gates;         /* (B, 4H) activated i, f, g, o out (for backward), or NULL */
    float *c, *h;         /* (B, H) out */
    float *tc;            /* (B, H) tanh(c) out, or NULL */
} tr_kernel_fwd;
void tr_kernel_step_forward(const tr_kernel_fwd *s, const float *Wp);


/* AVX-512: packs one direction's w_hh (4H, H) into slot `slot` for
 * tr_kernel_step_backward: panels of 64 columns when H > 32, else of 32; NULL
 * when out of memory. */
const float *tr_kernel_pack_step_backward(int slot, const float *w_hh, int H);

/* One backward timestep t of one direction (AVX-512): dh = dh_up + dg_next W_hh,
 * then tr_kernel_cell_backward's formulas on step t's gates; Wp is w_hh packed by
 * tr_kernel_pack_step_backward. */
typedef struct tr_kernel_bwd {
    int B, H;
    const float *dg_next; /* (B, 4H) the gate gradients of the step after t in the
                             direction's order, or NULL at its last step */
    float *gates;         /* (B, 4H) step t's activated gates in, their gradients out */
    const float *c_prev;  /* (B, H) c of the step before t, or NULL at the first */
    const float *tc;      /* (B, H) tanh(c_t) */
    const float *dh_up;   /* (B, H) the gradient w.r.t. h_t from above */
    float *dc;            /* (B, H) in: from the step after t; out: for the one before */
} tr_kernel_bwd;
void tr_kernel_step_backward(const tr_kernel_bwd *s, const float *Wp);

/* AVX-512: packs W (K, N) row-major into panels of 32 columns in slot `slot` for
 * tr_kernel_gemm32; NULL when out of memory. */
const float *tr_kernel_pack32(int slot, const float *W, int K, int N);

/* AVX-512: C (M, N) = A (M, K) W (K, N) + (accumulate ? C : 0), W packed by
 * tr_kernel_pack32; A row stride lda, C row stride ldc. For tall M (all
 * timesteps at once): rows in chunks of 64, 8 x 32 tiles. */
void tr_kernel_gemm32(int M, int N, int K, const float *A, int lda, const float *Wp,
                      float *C, int ldc, int accumulate);

/* AVX-512 weight gradients: for each source s, C_s (M, n) += A[r0:r1]^T X_s, i.e.
 * C_s[i][j] += sum over rows r0 <= r < r1 of A[r][i] X_s[r][j], with A (R, M)
 * row stride lda; colsum (M) += the column sums of A over all R rows when not
 * NULL (the bias gradients). The rows pass in chunks of 256 that every source
 * and the column sums read while they are in the cache, so dW_ih, dW_hh and db
 * of a layer cost one pass over dG; each chunk of A is packed once into panels
 * of 12 columns (this thread's slot 11) that the 12 x 32 tiles read in one
 * sequential stream, X is read where it lies. Returns 0 when out of memory,
 * before anything was added; else 1. */
typedef struct tr_kernel_wsrc {
    const float *x;   /* X_s's row paired with A's row r0; row r is x + (r - r0) * ldx */
    int ldx, n;       /* row stride, columns */
    int r0, r1;       /* A's rows this source pairs with, 0 <= r0 <= r1 <= R */
    float *c;         /* C_s (M, n), row stride ldc, accumulated into */
    int ldc;
} tr_kernel_wsrc;
int tr_kernel_wgrad(int M, int R, const float *A, int lda, const tr_kernel_wsrc *src,
                    int nsrc, float *colsum);

#endif
