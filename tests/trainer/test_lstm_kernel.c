/*
 * test_lstm_kernel - the packed recurrent kernel (trainer/lstm_kernel.c) against
 * the reference cblas path.
 *
 * 1. tr_kernel_gemm against cblas_sgemm on sizes that hit every tail (rows not a
 *    multiple of 6, columns not a multiple of 16, K = 1 and odd), with and without
 *    accumulation: |kernel - cblas| <= 1e-6 * (1 + K) per element (inputs in
 *    [-1, 1]; only the order of the float sums differs).
 * 2. On every shape of the PyTorch parity suite (read from
 *    tests/fixtures/lstm_torch.json, so a new case there is covered here too) and
 *    on two larger ones (B 64 / H 128 as in bench/lstm, and B 7 with T 9 for the
 *    row tails): one forward + backward with the reference path and one with the
 *    kernel from the same weights and inputs; the head outputs, the loss, every
 *    gradient and the input gradient must agree within
 *      max_i |fast_i - ref_i| <= 1e-5 * max_i |ref_i|
 *    per tensor, the parity suite's own bound against PyTorch (tiny shapes can
 *    agree bit for bit: OpenBLAS then sums in the kernel's order).
 * Skips (77) on a CPU without AVX2 and FMA, where only the reference path exists.
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

static void gemm_case(gsl_rng *r, int M, int N, int K, int acc)
{
    float *A = malloc(sizeof(float) * (size_t)M * K), *W = malloc(sizeof(float) * (size_t)K * N);
    float *C1 = malloc(sizeof(float) * (size_t)M * N), *C2 = malloc(sizeof(float) * (size_t)M * N);
    for (int i = 0; i < M * K; i++)
        A[i] = (float)(2 * gsl_rng_uniform(r) - 1);
    for (int i = 0; i < K * N; i++)
        W[i] = (float)(2 * gsl_rng_uniform(r) - 1);
    for (int i = 0; i < M * N; i++)
        C1[i] = C2[i] = (float)(2 * gsl_rng_uniform(r) - 1);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, W, N,
                acc ? 1.0f : 0.0f, C1, N);
    const float *P = tr_kernel_pack(0, W, K, N);
    CHECK(P != NULL);
    if (P)
        tr_kernel_gemm(M, N, K, A, K, P, C2, N, acc);
    double d = 0;
    for (int i = 0; i < M * N; i++)
        d = fmax(d, fabs((double)C1[i] - C2[i]));
    CHECK_MSG(d <= 1e-6 * (1 + K), "gemm M%d N%d K%d acc %d: max diff %g", M, N, K, acc, d);
    free(A); free(W); free(C1); free(C2);
}

typedef struct run {
    float *out, *grads, *dx;
    float loss;
} run;

static void run_once(tr_lstm *m, const float *x, const float *y, int B, run *r)
{
    const tr_lstm_config *c = &m->cfg;
    tr_lstm_zero_grad(m);
    r->loss = tr_lstm_forward(m, x, y, B, 1, 0, r->out);
    tr_lstm_backward(m, r->dx);
    memcpy(r->grads, m->grads, m->n_params * sizeof(float));
    (void)c;
}

static double rel(const float *a, const float *b, size_t n, double *absmax)
{
    double d = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        mx = fmax(mx, fabs((double)a[i]));
    }
    *absmax = d;
    return mx > 0 ? d / mx : d;
}

static void model_case(int F, int H, int L, int T, int B, tr_head head, unsigned long seed)
{
    char err[256];
    tr_lstm_config cfg = {.n_features = F, .units = H, .layers = L, .seq_len = T,
                          .max_batch = B, .dropout = 0.0f, .head = head};
    tr_lstm *m = tr_lstm_new(&cfg, err);
    CHECK_MSG(m != NULL, "%s", err);
    if (!m)
        return;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    tr_lstm_init(m, r);
    size_t nx = (size_t)B * T * F;
    float *x = malloc(sizeof(float) * nx), *y = malloc(sizeof(float) * B);
    for (size_t i = 0; i < nx; i++)
        x[i] = (float)(2 * gsl_rng_uniform(r) - 1);
    for (int b = 0; b < B; b++)
        y[b] = head == TR_HEAD_DIRECTION ? (float)(b % 2) : (float)(2 * gsl_rng_uniform(r) - 1);
    run ref, fast;
    run *rs[2] = {&ref, &fast};
    for (int k = 0; k < 2; k++) {
        rs[k]->out = malloc(sizeof(float) * B);
        rs[k]->grads = malloc(sizeof(float) * m->n_params);
        rs[k]->dx = malloc(sizeof(float) * nx);
        tr_kernel_force(k);
        CHECK_INT(tr_kernel_on(), k);
        run_once(m, x, y, B, rs[k]);
    }
    double a1, a2, a3, a4;
    double r_out = rel(ref.out, fast.out, (size_t)B, &a1);
    double r_g = rel(ref.grads, fast.grads, m->n_params, &a2);
    double r_dx = rel(ref.dx, fast.dx, nx, &a3);
    double r_loss = rel(&ref.loss, &fast.loss, 1, &a4);
    printf("F%d H%d L%d T%d B%d: relative max diff out %.2e loss %.2e grads %.2e dx %.2e\n",
           F, H, L, T, B, r_out, r_loss, r_g, r_dx);
    CHECK_MSG(r_out <= 1e-5, "F%d H%d L%d T%d B%d: outputs differ by %g", F, H, L, T, B, r_out);
    CHECK_MSG(r_loss <= 1e-5, "F%d H%d L%d T%d B%d: loss differs by %g", F, H, L, T, B, r_loss);
    CHECK_MSG(r_g <= 1e-5, "F%d H%d L%d T%d B%d: gradients differ by %g", F, H, L, T, B, r_g);
    CHECK_MSG(r_dx <= 1e-5, "F%d H%d L%d T%d B%d: input gradients differ by %g", F, H, L, T, B,
              r_dx);
    (void)a1; (void)a2; (void)a3; (void)a4;
    for (int k = 0; k < 2; k++) {
        free(rs[k]->out); free(rs[k]->grads); free(rs[k]->dx);
    }
    free(x); free(y);
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
    tr_kernel_force(1);
    if (!tr_kernel_on()) {
        printf("SKIP: this CPU has no AVX2+FMA; only the reference path runs here\n");
        return 77;
    }
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    const int Ms[] = {1, 5, 6, 7, 13, 64}, Ns[] = {1, 15, 16, 17, 40, 100}, Ks[] = {1, 3, 32, 37};
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 6; j++)
            for (size_t k = 0; k < 4; k++)
                gemm_case(r, Ms[i], Ns[j], Ks[k], (int)((i + j + k) % 2));
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
                   strcmp(h, "direction") == 0 ? TR_HEAD_DIRECTION : TR_HEAD_RETURN,
                   100 + (unsigned long)i);
#undef FI
    }
    cJSON_Delete(j);
    free(text);
    model_case(32, 128, 2, 20, 64, TR_HEAD_DIRECTION, 1);
    model_case(5, 25, 3, 9, 7, TR_HEAD_RETURN, 2);
    return check_done();
}
