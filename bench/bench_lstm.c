/*
 * bench_lstm - training and inference throughput of the trainer's LSTM on one
 * shape, and this machine's single-thread cblas_sgemm rate for comparison.
 *
 *   bench_lstm --shape reference|small|large [--steps N]
 *   bench_lstm --core     (prints the OpenBLAS kernel in use and exits)
 *
 * Training runs tr_fit for one epoch of N batches (gather, forward, backward,
 * global-norm clipping at 1.0, Adam lr 1e-3, BCE head, dropout 0) on random
 * windows; inference runs tr_lstm_predict over the same windows. GFLOP/s count
 * only the matrix products (tr_lstm_flops: 2*M*N*K per GEMM); sgemm_fraction is
 * the training rate over a 2048^2 x 2048 cblas_sgemm's rate (best of 3) measured
 * in this run. Peak memory is getrusage's maxrss of this process.
 * gemm_only_train_samples_per_s replays just the cblas_sgemm calls of one training
 * step (same shapes, order and beta as lstm.c, no pointwise work, no optimizer):
 * the bound any implementation built on these GEMM calls can reach on this
 * machine.
 *
 * On a shared machine a burst of load from elsewhere slows a whole run; so each
 * side is also timed step by step: train_step_median_samples_per_s is B over the
 * median of `steps` single training steps (tr_fit on one batch, one step an
 * epoch, its callback stamping the time), infer_step_median_samples_per_s B over
 * the median of tr_lstm_predict on one batch; a burst then moves the median by at
 * most the steps it hits. fma_peak_gflops is this core's rate of independent
 * single-precision fused multiply-adds (12 chains of the widest vectors the CPU
 * has, best of 3), the ceiling of every product: *_peak_fraction are the
 * GEMM-counted rates over it. The last line is one JSON object. Run with
 * OPENBLAS_NUM_THREADS=1 (bench/lstm does).
 */
#include <cblas.h>
#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort_double.h>
#include <gsl/gsl_statistics_double.h>
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "trainer/blas.h"
#include "trainer/fit.h"
#include "trainer/lstm.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Single-thread sgemm rate in GFLOP/s on n x n matrices, best of 3. */
static double sgemm_rate(int n)
{
    size_t k = (size_t)n * n;
    float *a = malloc(k * sizeof(float)), *b = malloc(k * sizeof(float));
    float *c = malloc(k * sizeof(float));
    for (size_t i = 0; i < k; i++) {
        a[i] = (float)(i % 7) * 0.1f;
        b[i] = (float)(i % 5) * 0.1f;
    }
    double best = 1e30;
    for (int r = 0; r < 4; r++) {
        double t = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n,
                    0.0f, c, n);
        t = now() - t;
        if (r > 0 && t < best)
            best = t;
    }
    free(a); free(b); free(c);
    return 2.0 * n * n * (double)n / best / 1e9;
}

/* fma_chainsW(n): 12 independent chains of n fused multiply-adds on vectors of L
 * floats (the target's widest, FMA its intrinsic); returns GFLOP/s (2 flops per
 * lane). The chains start apart so that the compiler cannot merge them. */
#define FMA_CHAINS_FN(name, isa, L, FMA, VT)                                            \
    __attribute__((target(isa))) static double name(long n)                            \
    {                                                                                      \
        typedef float v __attribute__((vector_size(L * sizeof(float))));                 \
        v z = {0}, a[12], x = z + 0.999999f, y = z + 1e-7f;                                \
        for (int c = 0; c < 12; c++)                                                       \
            a[c] = z + (1.0f + 0.01f * c);                                                 \
        v a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6],     \
          a7 = a[7], a8 = a[8], a9 = a[9], a10 = a[10], a11 = a[11];                       \
        double t = now();                                                                  \
        for (long k = 0; k < n; k++) {                                                     \
            a0 = (v)FMA((VT)a0, (VT)x, (VT)y); a1 = (v)FMA((VT)a1, (VT)x, (VT)y);         \
            a2 = (v)FMA((VT)a2, (VT)x, (VT)y); a3 = (v)FMA((VT)a3, (VT)x, (VT)y);         \
            a4 = (v)FMA((VT)a4, (VT)x, (VT)y); a5 = (v)FMA((VT)a5, (VT)x, (VT)y);         \
            a6 = (v)FMA((VT)a6, (VT)x, (VT)y); a7 = (v)FMA((VT)a7, (VT)x, (VT)y);         \
            a8 = (v)FMA((VT)a8, (VT)x, (VT)y); a9 = (v)FMA((VT)a9, (VT)x, (VT)y);         \
            a10 = (v)FMA((VT)a10, (VT)x, (VT)y); a11 = (v)FMA((VT)a11, (VT)x, (VT)y);     \
        }                                                                                  \
        double g = 2.0 * L * 12 * n / (now() - t) / 1e9;                                   \
        v s_ = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;               \
        sink = s_[0];                                                                      \
        return g;                                                                          \
    }

static volatile float sink;

FMA_CHAINS_FN(fma_chains512, "avx512f", 16, _mm512_fmadd_ps, __m512)
FMA_CHAINS_FN(fma_chains256, "avx2,fma", 8, _mm256_fmadd_ps, __m256)

/* This core's fused multiply-add peak in GFLOP/s, best of 3 (0 without FMA). */
static double fma_peak(void)
{
    __builtin_cpu_init();
    int w = __builtin_cpu_supports("avx512f") ? 512 : __builtin_cpu_supports("fma") ? 256 : 0;
    double best = 0;
    for (int r = 0; r < 3 && w; r++) {
        double g = w == 512 ? fma_chains512(20000000) : fma_chains256(20000000);
        if (g > best)
            best = g;
    }
    return best;
}

/* The on_epoch callback of the step-by-step run: stamps the end of each step. */
typedef struct stamps {
    double *t;
    int n;
} stamps;

static int stamp(void *user, const tr_epoch_report *r)
{
    stamps *s = user;
    (void)r;
    s->t[s->n++] = now();
    return 0;
}

/* B over the median of the per-step times dt[0 .. n-1] (reordered). */
static double median_rate(double *dt, int n, int B)
{
    gsl_sort(dt, 1, (size_t)n);
    return B / gsl_stats_median_from_sorted_data(dt, 1, (size_t)n);
}

/* Seconds per training step of the GEMM calls alone (lstm.c's sequence), best of 5
 * rounds of `reps` steps. */
static double gemm_only_step(int B, int T, int F, int H, int L, int reps)
{
    size_t TB = (size_t)T * B, G4 = 4 * (size_t)H, W = H > F ? H : F;
    float *in = calloc(TB * W, sizeof(float)), *g = calloc(TB * G4, sizeof(float));
    float *h = calloc(TB * H, sizeof(float)), *w = calloc(G4 * (W + H), sizeof(float));
    float *dw = calloc(G4 * (W + H), sizeof(float)), *dx = calloc(TB * W, sizeof(float));
    float *dh = calloc((size_t)B * H, sizeof(float));
    double best = 1e30;
    for (int round = 0; round < 5; round++) {
        double t0 = now();
        for (int r = 0; r < reps; r++) {
            for (int l = 0; l < L; l++) {
                int K = l == 0 ? F : H;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)TB, (int)G4, K,
                            1.0f, in, K, w, (int)G4, 0.0f, g, (int)G4);
                for (int t = 1; t < T; t++)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, (int)G4, H,
                                1.0f, h + (size_t)(t - 1) * B * H, H, w, (int)G4, 1.0f,
                                g + (size_t)t * B * G4, (int)G4);
            }
            for (int l = L - 1; l >= 0; l--) {
                int K = l == 0 ? F : H;
                for (int t = T - 1; t > 0; t--)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, (int)G4,
                                1.0f, g + (size_t)t * B * G4, (int)G4, w, H, 0.0f, dh, H);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)G4, H,
                            (int)(TB - B), 1.0f, g + (size_t)B * G4, (int)G4, h, H, 1.0f,
                            dw, H);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)G4, K, (int)TB,
                            1.0f, g, (int)G4, in, K, 1.0f, dw, K);
                if (l > 0)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)TB, K,
                                (int)G4, 1.0f, g, (int)G4, w, K, 0.0f, dx, K);
            }
        }
        double t = (now() - t0) / reps;
        if (t < best)
            best = t;
    }
    free(in); free(g); free(h); free(w); free(dw); free(dx); free(dh);
    return best;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    const char *shape = "reference";
    int steps = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--shape") && i + 1 < argc)
            shape = argv[++i];
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--core")) {   /* the OpenBLAS kernel, for bench/lstm */
            printf("%s\n", tr_blas_corename());
            return 0;
        } else {
            fprintf(stderr, "usage: bench_lstm [--shape reference|small|large|bidirectional] [--steps N] [--core]\n");
            return 1;
        }
    }
    int B, T, F = 32, H, L, bi = 0;
    if (!strcmp(shape, "reference")) {
        B = 64; T = 60; H = 128; L = 2;
        if (!steps) steps = 30;
    } else if (!strcmp(shape, "small")) {
        B = 32; T = 20; H = 32; L = 1;
        if (!steps) steps = 400;
    } else if (!strcmp(shape, "large")) {
        B = 128; T = 120; H = 256; L = 3;
        if (!steps) steps = 4;
    } else if (!strcmp(shape, "bidirectional")) {   /* the reference shape, both directions */
        B = 64; T = 60; H = 128; L = 2; bi = 1;
        if (!steps) steps = 15;
    } else {
        fprintf(stderr, "bench_lstm: --shape: unknown shape '%s' (reference, small, large, "
                "bidirectional)\n",
                shape);
        return 1;
    }
    char err[256];
    tr_lstm_config cfg = {.n_features = F, .units = H, .layers = L, .seq_len = T,
                          .max_batch = B, .dropout = 0.0f, .head = TR_HEAD_DIRECTION,
                          .bidirectional = bi};
    tr_lstm *m = tr_lstm_new(&cfg, err);
    if (!m) {
        fprintf(stderr, "bench_lstm: %s\n", err);
        return 2;
    }
    /* windows over one random feature matrix: n windows, each ending at its own row */
    int n = B * steps, rows = n + T - 1;
    float *x = malloc(sizeof(float) * (size_t)rows * F), *y = malloc(sizeof(float) * rows);
    int *ends = malloc(sizeof(int) * n);
    float *pred = malloc(sizeof(float) * n);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    for (size_t i = 0; i < (size_t)rows * F; i++)
        x[i] = (float)(2.0 * gsl_rng_uniform(rng) - 1.0);
    for (int r = 0; r < rows; r++)
        y[r] = (float)(gsl_rng_uniform(rng) < 0.5);
    for (int i = 0; i < n; i++)
        ends[i] = i + T - 1;
    tr_windows w = {x, y, ends, n, T, F};
    tr_windows warm = {x, y, ends, B, T, F};

    double sg = sgemm_rate(2048);

    tr_fit_options o;
    tr_fit_options_default(&o);
    o.batch_size = B;
    o.max_epochs = 1;
    o.lr = 1e-3;
    o.clip_norm = 1.0;
    o.patience = 0;
    o.plateau_factor = 0;
    tr_fit_result res;
    if (tr_fit(m, &warm, NULL, &o, &res, err)) {   /* warm-up: one batch */
        fprintf(stderr, "bench_lstm: %s\n", err);
        return 2;
    }
    double t0 = now();
    if (tr_fit(m, &w, NULL, &o, &res, err)) {
        fprintf(stderr, "bench_lstm: %s\n", err);
        return 2;
    }
    double t_train = now() - t0;
    tr_lstm_predict(m, &warm, pred, err);
    t0 = now();
    tr_lstm_predict(m, &w, pred, err);
    double t_inf = now() - t0;

    /* step by step: one batch, one step an epoch */
    double *dt = malloc(sizeof(double) * (size_t)(steps + 1)), t_prev;
    stamps st = {dt, 0};
    tr_fit_options os = o;
    os.max_epochs = steps;
    os.on_epoch = stamp;
    os.user = &st;
    t_prev = now();
    if (tr_fit(m, &warm, NULL, &os, &res, err)) {
        fprintf(stderr, "bench_lstm: %s\n", err);
        return 2;
    }
    for (int k = 0; k < st.n; k++) {
        double e = dt[k];
        dt[k] = e - t_prev;
        t_prev = e;
    }
    double train_step = median_rate(dt, st.n, B);
    for (int k = 0; k < steps; k++) {
        tr_windows one = {x, y, ends + (size_t)k * B, B, T, F};
        double t1 = now();
        tr_lstm_predict(m, &one, pred, err);
        dt[k] = now() - t1;
    }
    double infer_step = median_rate(dt, steps, B);
    free(dt);
    double peak = fma_peak();

    double gemm_step = gemm_only_step(B, T, F, H, L, steps < 10 ? steps : 10);
    if (bi)   /* two directions; approximate: the upper layers' inputs are 2H, not H */
        gemm_step *= 2;

    double ff, fb;
    tr_lstm_flops(&cfg, B, &ff, &fb);
    double train_gf = (ff + fb) * steps / t_train / 1e9;
    double inf_gf = ff * steps / t_inf / 1e9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);

    printf("seqtune %-9s OpenBLAS kernel %s\n", shape, tr_blas_corename());
    printf("seqtune %-9s b%d s%d f%d u%d l%d: train %.0f samples/s (%.1f GFLOP/s, %.0f %% of "
           "sgemm %.1f GFLOP/s), infer %.0f samples/s (%.1f GFLOP/s), peak %.0f MB\n",
           shape, B, T, F, H, L, n / t_train, train_gf, 100 * train_gf / sg, sg, n / t_inf,
           inf_gf, ru.ru_maxrss / 1024.0);
    printf("seqtune %-9s step by step (medians): train %.0f samples/s, infer %.0f samples/s; "
           "FMA peak %.1f GFLOP/s: train %.0f %%, infer %.0f %% of it (%.0f %%, %.0f %% by the "
           "medians)\n", shape, train_step, infer_step, peak, 100 * train_gf / peak,
           100 * inf_gf / peak, 100 * train_gf * train_step / (n / t_train) / peak,
           100 * inf_gf * infer_step / (n / t_inf) / peak);
    printf("seqtune %-9s GEMM calls alone (the bound for this GEMM structure): %.0f samples/s; "
           "the full step reaches %.0f %% of it\n", shape, B / gemm_step,
           100.0 * (n / t_train) / (B / gemm_step));
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "shape", shape);
    cJSON_AddStringToObject(j, "openblas_core", tr_blas_corename());
    cJSON_AddNumberToObject(j, "batch", B);
    cJSON_AddNumberToObject(j, "seq_len", T);
    cJSON_AddNumberToObject(j, "features", F);
    cJSON_AddNumberToObject(j, "units", H);
    cJSON_AddNumberToObject(j, "layers", L);
    cJSON_AddNumberToObject(j, "steps", steps);
    cJSON_AddNumberToObject(j, "train_samples_per_s", n / t_train);
    cJSON_AddNumberToObject(j, "infer_samples_per_s", n / t_inf);
    cJSON_AddNumberToObject(j, "train_gflops", train_gf);
    cJSON_AddNumberToObject(j, "infer_gflops", inf_gf);
    cJSON_AddNumberToObject(j, "sgemm_gflops", sg);
    cJSON_AddNumberToObject(j, "sgemm_fraction", train_gf / sg);
    cJSON_AddNumberToObject(j, "train_step_median_samples_per_s", train_step);
    cJSON_AddNumberToObject(j, "infer_step_median_samples_per_s", infer_step);
    cJSON_AddNumberToObject(j, "fma_peak_gflops", peak);
    /* GFLOP per sample, for the peers' rates in the same units */
    cJSON_AddNumberToObject(j, "train_gflop_per_sample", (ff + fb) / B / 1e9);
    cJSON_AddNumberToObject(j, "infer_gflop_per_sample", ff / B / 1e9);
    cJSON_AddNumberToObject(j, "train_peak_fraction", train_gf / peak);
    cJSON_AddNumberToObject(j, "infer_peak_fraction", inf_gf / peak);
    cJSON_AddNumberToObject(j, "peak_rss_mb", ru.ru_maxrss / 1024.0);
    cJSON_AddNumberToObject(j, "gemm_only_train_samples_per_s", B / gemm_step);
    char *s = cJSON_PrintUnformatted(j);
    printf("%s\n", s);
    free(s);
    cJSON_Delete(j);
    gsl_rng_free(rng);
    free(x); free(y); free(ends); free(pred);
    tr_lstm_free(m);
    return 0;
}
