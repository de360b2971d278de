/*
 * test_lstm_kernel - the fast paths of the LSTM's timesteps (trainer/lstm_kernel.c)
 * against the reference cblas path, on every path this CPU has.
 *
 * 1. AVX2: tr_kernel_gemm against cblas_sgemm on sizes that hit every tail (rows
 *    not a multiple of 6, columns not a multiple of 16, K = 1 and odd), with and
 *    without accumulation: |kernel - cblas| <= 1e-6 * (1 + K) per element (inputs
 *    in [-1, 1]; only the order of the float sums differs).
 * 2. AVX-512: one fused forward step (tr_kernel_step_forward) against cblas for
 *    x W_ih^T + h W_hh^T followed by tr_kernel_cell_forward, and one fused
 *    backward step (tr_kernel_step_backward) against cblas for dG_next W_hh
 *    followed by tr_kernel_cell_backward, on windows 1 .. 13 and 64 (every tile
 *    tail), units 1, 15, 16, 17, 33 and 40 (every lane mask), inputs 1, 3, 37,
 *    backward also on units 64 and 129 (full 64-unit panels, a one-unit third),
 *    with and without the previous step: gates, c, tanh(c), h, dG and dc within
 *    1e-6 * (1 + K + H) (inputs in [-1, 1], so every product term is <= 1).
 *    tr_kernel_gemm32 against cblas_sgemm (rows 1 .. 130: chunk and tile tails,
 *    columns 1 .. 40: panel masks) within 1e-6 * (1 + K), and tr_kernel_wgrad
 *    against cblas for two sources over different row ranges plus the column
 *    sums (rows 1 .. 520: the chunks of 256 and their tails, 1 .. 64 gate rows,
 *    1 .. 40 columns) within 1e-6 * (1 + rows).
 * 3. On every shape of the PyTorch parity suite (read from
 *    tests/fixtures/lstm_torch.json, so a new case there is covered here too) and
 *    on larger ones (B 64 / H 128 as in bench/lstm, B 7 with T 9 for the row
 *    tails, a bidirectional stack, T = 1): one forward + backward on the
 *    reference path and one on each fast path from the same weights and inputs;
 *    the head outputs, the loss, every gradient and the input gradient must agree
 *    within
 *      max_i |fast_i - ref_i| <= 1e-5 * max_i |ref_i|
 *    per tensor, the parity suite's own bound against PyTorch (tiny shapes can
 *    agree bit for bit: OpenBLAS then sums in the kernel's order). Inference (no
 *    targets: no gates kept) must give the same outputs as the training-shaped
 *    forward pass on the same path, bit for bit, and tr_lstm_predict over several
 *    batches (weights packed once per call) the bits of one forward pass per
 *    batch, also after the weights change between two calls.
 * Skips (77) on a CPU without AVX2 and FMA, where only the reference path runs.
 */
#include <cblas.h>
#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"
#include "trainer/lstm.h"
#include "trainer/lstm_kernel.h"

static float *rnd(gsl_rng *r, size_t n)
{
    float *v = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(2 * gsl_rng_uniform(r) - 1);
    return v;
}

static double maxdiff(const float *a, const float *b, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++)
        d = fmax(d, fabs((double)a[i] - b[i]));
    return d;
}

static void gemm_case(gsl_rng *r, int M, int N, int K, int acc)
{
    float *A = rnd(r, (size_t)M * K), *W = rnd(r, (size_t)K * N);
    float *C1 = rnd(r, (size_t)M * N), *C2 = malloc(sizeof(float) * (size_t)M * N);
    memcpy(C2, C1, sizeof(float) * (size_t)M * N);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, W, N,
                acc ? 1.0f : 0.0f, C1, N);
    const float *P = tr_kernel_pack(0, W, K, N);
    CHECK(P != NULL);
    if (P)
        tr_kernel_gemm(M, N, K, A, K, P, C2, N, acc);
    double d = maxdiff(C1, C2, (size_t)M * N);
    CHECK_MSG(d <= 1e-6 * (1 + K), "gemm M%d N%d K%d acc %d: max diff %g", M, N, K, acc, d);
    free(A); free(W); free(C1); free(C2);
}

/* One fused forward step against cblas + tr_kernel_cell_forward; first: no
 * previous step. */
static void step_forward_case(gsl_rng *r, int B, int K, int H, int first)
{
    size_t G = (size_t)B * 4 * H, BH = (size_t)B * H;
    float *x = rnd(r, (size_t)B * K), *hp = rnd(r, BH), *cp = rnd(r, BH);
    float *wih = rnd(r, (size_t)4 * H * K), *whh = rnd(r, (size_t)4 * H * H);
    float *bias = rnd(r, (size_t)4 * H);
    float *g1 = malloc(sizeof(float) * G), *g2 = malloc(sizeof(float) * G);
    float *o1 = malloc(sizeof(float) * 3 * BH), *o2 = malloc(sizeof(float) * 3 * BH);
    /* reference: G = x W_ih^T (+ h W_hh^T), then the cell */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, 4 * H, K, 1.0f, x, K, wih, K,
                0.0f, g1, 4 * H);
    if (!first)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, 4 * H, H, 1.0f, hp, H, whh, H,
                    1.0f, g1, 4 * H);
    tr_kernel_cell_forward(g1, bias, first ? NULL : cp, o1, o1 + BH, o1 + 2 * BH, B, H);
    const float *P = tr_kernel_pack_gates(3, wih, K, whh, H, 0);
    CHECK(P != NULL);
    tr_kernel_fwd st = {.B = B, .K = K, .H = H, .x = x, .h_prev = first ? NULL : hp,
                        .c_prev = first ? NULL : cp, .bias = bias, .gates = g2,
                        .c = o2, .tc = o2 + BH, .h = o2 + 2 * BH};
    if (P)
        tr_kernel_step_forward(&st, P);
    double dg = maxdiff(g1, g2, G), dc = maxdiff(o1, o2, BH);
    double dt = maxdiff(o1 + BH, o2 + BH, BH), dh = maxdiff(o1 + 2 * BH, o2 + 2 * BH, BH);
    double tol = 1e-6 * (1 + K + H);
    CHECK_MSG(dg <= tol && dc <= tol && dt <= tol && dh <= tol,
              "step forward B%d K%d H%d first %d: max diff gates %g c %g tanh(c) %g h %g",
              B, K, H, first, dg, dc, dt, dh);
    free(x); free(hp); free(cp); free(wih); free(whh); free(bias);
    free(g1); free(g2); free(o1); free(o2);
}

/* One fused backward step against cblas + tr_kernel_cell_backward; last: no
 * next step (dh_next = 0), first: no previous c. */
static void step_backward_case(gsl_rng *r, int B, int H, int last, int first)
{
    size_t G = (size_t)B * 4 * H, BH = (size_t)B * H;
    float *dgn = rnd(r, G), *whh = rnd(r, (size_t)4 * H * H), *gates = rnd(r, G);
    float *cp = rnd(r, BH), *tc = rnd(r, BH), *dhu = rnd(r, BH), *dc = rnd(r, BH);
    float *g1 = malloc(sizeof(float) * G), *g2 = malloc(sizeof(float) * G);
    float *dc1 = malloc(sizeof(float) * BH), *dc2 = malloc(sizeof(float) * BH);
    float *dhn = calloc(BH, sizeof(float));
    memcpy(g1, gates, sizeof(float) * G);
    memcpy(g2, gates, sizeof(float) * G);
    memcpy(dc1, dc, sizeof(float) * BH);
    memcpy(dc2, dc, sizeof(float) * BH);
    if (!last)   /* dh_next (B, H) = dG_next (B, 4H) W_hh (4H, H) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, 4 * H, 1.0f, dgn, 4 * H,
                    whh, H, 0.0f, dhn, H);
    tr_kernel_cell_backward(g1, first ? NULL : cp, tc, dhu, dhn, dc1, B, H);
    const float *P = tr_kernel_pack_step_backward(1, whh, H);
    CHECK(P != NULL);
    tr_kernel_bwd st = {.B = B, .H = H, .dg_next = last ? NULL : dgn, .gates = g2,
                        .c_prev = first ? NULL : cp, .tc = tc, .dh_up = dhu, .dc = dc2};
    if (P)
        tr_kernel_step_backward(&st, P);
    double dg = maxdiff(g1, g2, G), ddc = maxdiff(dc1, dc2, BH);
    double tol = 1e-6 * (1 + 4 * H);
    CHECK_MSG(dg <= tol && ddc <= tol,
              "step backward B%d H%d last %d first %d: max diff dG %g dc %g",
              B, H, last, first, dg, ddc);
    if (last)   /* no product: the same formulas on the same numbers */
        CHECK_MSG(dg == 0 && ddc == 0, "step backward B%d H%d without a next step: dG %g dc %g",
                  B, H, dg, ddc);
    free(dgn); free(whh); free(gates); free(cp); free(tc); free(dhu); free(dc);
    free(g1); free(g2); free(dc1); free(dc2); free(dhn);
}

/* tr_kernel_gemm32 against cblas_sgemm (rows in chunks of 64 and tiles of 8, columns
 * in panels of 32). */
static void gemm32_case(gsl_rng *r, int M, int N, int K, int acc)
{
    float *A = rnd(r, (size_t)M * K), *W = rnd(r, (size_t)K * N);
    float *C1 = rnd(r, (size_t)M * N), *C2 = malloc(sizeof(float) * (size_t)M * N);
    memcpy(C2, C1, sizeof(float) * (size_t)M * N);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, W, N,
                acc ? 1.0f : 0.0f, C1, N);
    const float *P = tr_kernel_pack32(2, W, K, N);
    CHECK(P != NULL);
    if (P)
        tr_kernel_gemm32(M, N, K, A, K, P, C2, N, acc);
    double d = maxdiff(C1, C2, (size_t)M * N);
    CHECK_MSG(d <= 1e-6 * (1 + K), "gemm32 M%d N%d K%d acc %d: max diff %g", M, N, K, acc, d);
    free(A); free(W); free(C1); free(C2);
}

/* tr_kernel_wgrad against cblas: two sources over different row ranges (as dW_ih
 * over every row and dW_hh over all but the first step's), column sums too. */
static void wgrad_case(gsl_rng *r, int M, int R, int N1, int N2, int shift)
{
    float *A = rnd(r, (size_t)R * M), *X1 = rnd(r, (size_t)R * N1), *X2 = rnd(r, (size_t)R * N2);
    float *C1 = rnd(r, (size_t)M * N1), *C2 = rnd(r, (size_t)M * N2), *s1 = rnd(r, (size_t)M);
    float *D1 = malloc(sizeof(float) * (size_t)M * N1), *D2 = malloc(sizeof(float) * (size_t)M * N2);
    float *s2 = malloc(sizeof(float) * (size_t)M), *ones = malloc(sizeof(float) * (size_t)R);
    memcpy(D1, C1, sizeof(float) * (size_t)M * N1);
    memcpy(D2, C2, sizeof(float) * (size_t)M * N2);
    memcpy(s2, s1, sizeof(float) * (size_t)M);
    for (int i = 0; i < R; i++)
        ones[i] = 1.0f;
    int n2 = R - shift;   /* source 2: A's rows shift .. R-1 with X2's rows 0 .. */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N1, R, 1.0f, A, M, X1, N1, 1.0f,
                C1, N1);
    if (n2 > 0)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N2, n2, 1.0f,
                    A + (size_t)shift * M, M, X2, N2, 1.0f, C2, N2);
    cblas_sgemv(CblasRowMajor, CblasTrans, R, M, 1.0f, A, M, ones, 1, 1.0f, s1, 1);
    tr_kernel_wsrc src[2] = {{.x = X1, .ldx = N1, .n = N1, .r0 = 0, .r1 = R, .c = D1, .ldc = N1},
                             {.x = X2, .ldx = N2, .n = N2, .r0 = shift, .r1 = R, .c = D2,
                              .ldc = N2}};
    CHECK_MSG(tr_kernel_wgrad(M, R, A, M, src, 2, s2) == 1, "wgrad M%d R%d: out of memory", M,
              R);
    double d1 = maxdiff(C1, D1, (size_t)M * N1), d2 = maxdiff(C2, D2, (size_t)M * N2);
    double ds = maxdiff(s1, s2, (size_t)M), tol = 1e-6 * (1 + R);
    CHECK_MSG(d1 <= tol && d2 <= tol && ds <= tol,
              "wgrad M%d R%d N %d/%d shift %d: max diff %g %g column sums %g", M, R, N1, N2,
              shift, d1, d2, ds);
    free(A); free(X1); free(X2); free(C1); free(C2); free(s1); free(D1); free(D2); free(s2);
    free(ones);
}

typedef struct run {
    float *out, *grads, *dx, *pred;
    float loss;
} run;

static const char *level_name[] = {"reference", "avx2", "avx512"};

/* One forward + backward from the model's current weights, then an inference
 * pass (no targets) on the same inputs. */
static void run_once(tr_lstm *m, const float *x, const float *y, int B, run *r)
{
    tr_lstm_zero_grad(m);
    r->loss = tr_lstm_forward(m, x, y, B, 1, 0, r->out);
    tr_lstm_backward(m, r->dx);
    memcpy(r->grads, m->grads, m->n_params * sizeof(float));
    tr_lstm_forward(m, x, NULL, B, 0, 0, r->pred);
}

static double rel(const float *a, const float *b, size_t n)
{
    double d = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        mx = fmax(mx, fabs((double)a[i]));
    }
    return mx > 0 ? d / mx : d;
}

static void model_case(int F, int H, int L, int T, int B, tr_head head, int bi,
                       unsigned long seed)
{
    char err[256];
    tr_lstm_config cfg = {.n_features = F, .units = H, .layers = L, .seq_len = T,
                          .max_batch = B, .dropout = 0.0f, .head = head, .bidirectional = bi};
    tr_lstm *m = tr_lstm_new(&cfg, err);
    CHECK_MSG(m != NULL, "%s", err);
    if (!m)
        return;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    tr_lstm_init(m, r);
    size_t nx = (size_t)B * T * F;
    float *x = rnd(r, nx), *y = malloc(sizeof(float) * B);
    for (int b = 0; b < B; b++)
        y[b] = head == TR_HEAD_DIRECTION ? (float)(b % 2) : (float)(2 * gsl_rng_uniform(r) - 1);
    run rs[3];
    for (int k = 0; k < 3; k++) {
        rs[k].out = malloc(sizeof(float) * B);
        rs[k].pred = malloc(sizeof(float) * B);
        rs[k].grads = malloc(sizeof(float) * m->n_params);
        rs[k].dx = malloc(sizeof(float) * nx);
        if (tr_kernel_force(k) != k)
            continue;
        run_once(m, x, y, B, &rs[k]);
        CHECK_MSG(memcmp(rs[k].out, rs[k].pred, sizeof(float) * B) == 0,
                  "F%d H%d L%d T%d B%d bi %d, %s: inference outputs differ from the "
                  "training pass's (max %g)", F, H, L, T, B, bi, level_name[k],
                  maxdiff(rs[k].out, rs[k].pred, (size_t)B));
        if (k == 0)
            continue;
        const run *ref = &rs[0], *fast = &rs[k];
        double r_out = rel(ref->out, fast->out, (size_t)B);
        double r_g = rel(ref->grads, fast->grads, m->n_params);
        double r_dx = rel(ref->dx, fast->dx, nx);
        double r_loss = rel(&ref->loss, &fast->loss, 1);
        printf("F%d H%d L%d T%d B%d bi %d, %s: relative max diff out %.2e loss %.2e "
               "grads %.2e dx %.2e\n", F, H, L, T, B, bi, level_name[k], r_out, r_loss,
               r_g, r_dx);
        CHECK_MSG(r_out <= 1e-5 && r_loss <= 1e-5 && r_g <= 1e-5 && r_dx <= 1e-5,
                  "F%d H%d L%d T%d B%d bi %d, %s: relative max diff out %g loss %g "
                  "gradients %g input gradients %g", F, H, L, T, B, bi, level_name[k],
                  r_out, r_loss, r_g, r_dx);
    }
    for (int k = 0; k < 3; k++) {
        free(rs[k].out); free(rs[k].pred); free(rs[k].grads); free(rs[k].dx);
    }
    free(x); free(y);
    gsl_rng_free(r);
    tr_lstm_free(m);
}

/* tr_lstm_predict (several batches, packed weights kept between them) must give
 * the bits of one tr_lstm_forward per batch, before and after the weights change
 * between two predict calls (a stale pack would show there), on every path. */
static void predict_case(int level)
{
    char err[256];
    int T = 6, F = 3, n = 11, rows = n + T - 1;
    tr_lstm_config cfg = {.n_features = F, .units = 20, .layers = 2, .seq_len = T,
                          .max_batch = 4, .head = TR_HEAD_DIRECTION};
    tr_lstm *m = tr_lstm_new(&cfg, err);
    CHECK_MSG(m != NULL, "%s", err);
    if (!m)
        return;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    tr_lstm_init(m, r);
    float *x = rnd(r, (size_t)rows * F), *y = calloc((size_t)rows, sizeof(float));
    int *ends = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++)
        ends[i] = i + T - 1;
    tr_windows w = {x, y, ends, n, T, F};
    float p1[11], p2[11], xb[4 * 6 * 3];
    CHECK_INT(tr_kernel_force(level), level);
    for (int round = 0; round < 2; round++) {
        CHECK(tr_lstm_predict(m, &w, p1, err) == 0);
        for (int s = 0; s < n; s += 4) {
            int B = n - s < 4 ? n - s : 4;
            tr_lstm_gather(&w, NULL, s, B, xb, NULL);
            tr_lstm_forward(m, xb, NULL, B, 0, 0, p2 + s);
        }
        CHECK_MSG(memcmp(p1, p2, sizeof p1) == 0, "%s, round %d: predict differs from "
                  "forward passes (max %g)", level_name[level], round, maxdiff(p1, p2, 11));
        for (size_t i = 0; i < m->n_params; i++)   /* new weights for the second round */
            m->params[i] *= 1.5f;
    }
    free(x); free(y); free(ends);
    gsl_rng_free(r);
    tr_lstm_free(m);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = 0;
    fclose(f);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    openblas_set_num_threads(1);
    int top = tr_kernel_force(TR_KERNEL_AVX512);
    if (top == TR_KERNEL_REFERENCE) {
        printf("SKIP: this CPU has no AVX2+FMA; only the reference path runs here\n");
        return 77;
    }
    printf("fast paths on this CPU: avx2%s\n", top == TR_KERNEL_AVX512 ? ", avx512" : "");
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    const int Ms[] = {1, 5, 6, 7, 13, 64}, Ns[] = {1, 15, 16, 17, 40, 100}, Ks[] = {1, 3, 32, 37};
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 6; j++)
            for (size_t k = 0; k < 4; k++)
                gemm_case(r, Ms[i], Ns[j], Ks[k], (int)((i + j + k) % 2));
    if (top == TR_KERNEL_AVX512) {
        const int Hs[] = {1, 15, 16, 17, 33, 40}, Ki[] = {1, 3, 37};
        for (int B = 1; B <= 65; B = B < 13 ? B + 1 : B == 13 ? 64 : 66)
            for (size_t j = 0; j < 6; j++) {
                for (size_t k = 0; k < 3; k++)
                    step_forward_case(r, B, Ki[k], Hs[j], (int)((B + j + k) % 2));
                step_backward_case(r, B, Hs[j], (int)((B + j) % 2), (int)((B + j) / 2 % 2));
                step_backward_case(r, B, Hs[j], (int)((B + j + 1) % 2), (int)((B + j) % 2));
            }
        const int bB[] = {1, 5, 11, 64};   /* full 64-unit panels, a masked third */
        for (size_t i = 0; i < 4; i++)
            for (int H = 64; H <= 129; H += 65)
                for (int k = 0; k < 4; k++)
                    step_backward_case(r, bB[i], H, k % 2, k / 2);
        const int gM[] = {1, 7, 8, 9, 63, 64, 65, 130}, gN[] = {1, 15, 16, 17, 32, 33, 40};
        for (size_t i = 0; i < 8; i++)
            for (size_t j = 0; j < 7; j++)
                gemm32_case(r, gM[i], gN[j], (int)(1 + 13 * ((i + j) % 3)), (int)((i + j) % 2));
        const int wM[] = {1, 11, 12, 13, 40, 64}, wR[] = {1, 5, 255, 256, 257, 520};
        for (size_t i = 0; i < 6; i++)
            for (size_t k = 0; k < 6; k++)
                wgrad_case(r, wM[i], wR[k], gN[(i + k) % 7], gN[(i + 2 * k + 3) % 7],
                           (int)((i + k) % 3 == 0 ? 0 : wR[k] < 5 ? wR[k] : 5 * (int)(i % 2 + 1)));
    }
    gsl_rng_free(r);

    const char *src = getenv("SEQTUNE_SRC");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/lstm_torch.json", src ? src : ".");
    char *text = slurp(path);
    CHECK_MSG(text != NULL, "cannot read the fixture %s", path);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    cJSON *cases = cJSON_GetObjectItemCaseSensitive(j, "cases");
    int n = cJSON_GetArraySize(cases);
    CHECK_MSG(n >= 4, "fixture %s: expected at least 4 cases, got %d", path, n);
    for (int i = 0; i < n; i++) {
        cJSON *c = cJSON_GetArrayItem(cases, i);
#define FI(k) cJSON_GetObjectItemCaseSensitive(c, k)->valueint
        const char *h = cJSON_GetObjectItemCaseSensitive(c, "head")->valuestring;
        model_case(FI("n_features"), FI("units"), FI("layers"), FI("seq_len"), FI("batch"),
                   strcmp(h, "direction") == 0 ? TR_HEAD_DIRECTION : TR_HEAD_RETURN, 0,
                   100 + (unsigned long)i);
#undef FI
    }
    cJSON_Delete(j);
    free(text);
    model_case(32, 128, 2, 20, 64, TR_HEAD_DIRECTION, 0, 1);
    model_case(5, 25, 3, 9, 7, TR_HEAD_RETURN, 0, 2);
    model_case(6, 20, 2, 8, 11, TR_HEAD_DIRECTION, 1, 3);
    model_case(3, 17, 2, 1, 5, TR_HEAD_RETURN, 0, 4);
    for (int k = 0; k <= top; k++)
        predict_case(k);
    return check_done();
}
