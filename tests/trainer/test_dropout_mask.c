/*
 * test_dropout_mask - the inverted-dropout masks of trainer/lstm.c against a
 * scalar reference written here from the stream lstm.c documents: splitmix64
 * called once per pair from the state, pair j (its (j+1)-th output) deciding
 * element 2j by the output's low 32 bits and element 2j+1 by its high 32 bits,
 * an odd last element by the low half of one more output; an element is kept,
 * scaled by 1/(1-p), when its 32 bits are >= floor(p * 2^32), else it is 0.
 *
 * 1. tr_lstm_dropout on every length 1 .. 70 (every tail of the vector loop: 8
 *    pairs, 16 elements a vector) and on 1000, 4096, 4097 and 4129, for p 0.05,
 *    0.25, 0.5, 0.75 and 0.9, from four states (0, 1, 2^64 - 1, one more), with
 *    the buffers as allocated and one float further: every mask element equals
 *    the reference's bit for bit (keep or drop, and the scale), out = in * mask
 *    exactly, and the state has moved past exactly ceil(n/2) outputs (the next
 *    call continues the one stream).
 * 2. All of 1 on each path this CPU has: the plain loop and AVX-512 DQ, chosen
 *    with tr_lstm_dropout_force.
 * 3. The reference itself keeps 1-p of the elements: over 4097 elements from
 *    each of the four states, within 5 standard errors.
 * 4. tr_lstm_forward's masks are this stream (2 layers, dropout 0.3, training):
 *    layer 1's input mask (T*B*H elements) and then the head's (B*H), from the
 *    state dropout_seed * 0x2545f4914f6cdd1d + 1 (lstm.c's seeding), on each path.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"
#include "trainer/lstm.h"

#define GOLDEN 0x9e3779b97f4a7c15ULL

/* splitmix64, one output per call, the state advanced by the golden gamma. */
static uint64_t ref_splitmix64(uint64_t *s)
{
    uint64_t z = (*s += GOLDEN);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The reference mask of n elements at keep-threshold p from the stream at *s,
 * one splitmix64 call per pair of elements. */
static void ref_mask(float *mask, size_t n, float p, uint64_t *s)
{
    float scale = 1.0f / (1.0f - p);
    uint32_t thr = (uint32_t)floor((double)p * 4294967296.0);
    for (size_t i = 0; i < n; i += 2) {
        uint64_t z = ref_splitmix64(s);
        uint32_t lo = (uint32_t)(z & 0xffffffffu), hi = (uint32_t)(z >> 32);
        mask[i] = lo >= thr ? scale : 0.0f;
        if (i + 1 < n)
            mask[i + 1] = hi >= thr ? scale : 0.0f;
    }
}

/* Index of the first element where a and b differ in their bits, or n. */
static size_t first_diff(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0)
            return i;
    return n;
}

static const uint64_t states[] = {0, 1, UINT64_MAX, 0x2545f4914f6cdd1dULL * 42 + 1};
static const float ps[] = {0.05f, 0.25f, 0.5f, 0.75f, 0.9f};
#define N_STATES (sizeof states / sizeof states[0])
#define N_PS (sizeof ps / sizeof ps[0])
#define MAX_N 4129

typedef struct bufs {
    float *in, *out, *mask, *want, *prod;   /* MAX_N + 1 each */
} bufs;

/* One case of 1: n elements at p from state s0, the buffers offset by `off`
 * floats. Returns 1 when everything agrees; else 0, printing what disagreed
 * when `say`. */
static int mask_case(const char *path, bufs *b, size_t n, float p, uint64_t s0, int off, int say)
{
    float *in = b->in + off, *out = b->out + off, *mask = b->mask + off;
    for (size_t i = 0; i < n; i++)
        out[i] = mask[i] = NAN;
    uint64_t s = s0, ref_s = s0;
    tr_lstm_dropout(in, out, mask, n, p, &s);
    ref_mask(b->want, n, p, &ref_s);
    for (size_t i = 0; i < n; i++)
        b->prod[i] = in[i] * b->want[i];
    size_t dm = first_diff(mask, b->want, n), dout = first_diff(out, b->prod, n);
    int ok = dm == n && dout == n && s == ref_s;
    if (!say)
        return ok;
    if (dm < n)
        fprintf(stderr, "%s path, n %zu, p %.2f, state %016llx, offset %d: mask[%zu] = %.9g, "
                "reference %.9g (the %s half of output %zu)\n", path, n, (double)p,
                (unsigned long long)s0, off, dm, (double)mask[dm], (double)b->want[dm],
                dm % 2 ? "high" : "low", dm / 2 + 1);
    if (dout < n)
        fprintf(stderr, "%s path, n %zu, p %.2f: out[%zu] = %.9g, in * the reference mask = "
                "%.9g\n", path, n, (double)p, dout, (double)out[dout], (double)b->prod[dout]);
    if (s != ref_s)
        fprintf(stderr, "%s path, n %zu: the state moved %lld outputs, expected %zu\n", path, n,
                (long long)((s - s0) * 0xf1de83e19937733dULL), (n + 1) / 2);
    return ok;
}

/* 1 on the path in use: every length, p, state and offset. */
static void check_path(const char *path, bufs *b)
{
    static const size_t big[] = {1000, 4096, 4097, MAX_N};
    size_t lens[70 + 4], nl = 0;
    for (size_t n = 1; n <= 70; n++)
        lens[nl++] = n;
    for (size_t k = 0; k < 4; k++)
        lens[nl++] = big[k];
    int cases = 0, bad = 0;
    for (size_t li = 0; li < nl; li++)
        for (size_t pi = 0; pi < N_PS; pi++)
            for (size_t si = 0; si < N_STATES; si++)
                for (int off = 0; off <= 1; off++) {
                    cases++;
                    bad += !mask_case(path, b, lens[li], ps[pi], states[si], off, bad < 3);
                }
    fprintf(stderr, "%s path: %d cases (lengths 1..70, 1000, 4096, 4097, 4129), %d disagree\n",
            path, cases, bad);
    CHECK_MSG(bad == 0, "%s path: %d of %d cases differ from the reference", path, bad, cases);
}

/* 3: the reference keeps about 1-p of the elements. */
static void check_keep_rate(bufs *b)
{
    for (size_t pi = 0; pi < N_PS; pi++) {
        size_t kept = 0, total = 0;
        for (size_t si = 0; si < N_STATES; si++) {
            uint64_t s = states[si];
            ref_mask(b->want, 4097, ps[pi], &s);
            for (size_t i = 0; i < 4097; i++)
                kept += b->want[i] != 0.0f;
            total += 4097;
        }
        double p = ps[pi], rate = (double)kept / (double)total;
        double se = sqrt(p * (1 - p) / (double)total);
        CHECK_MSG(fabs(rate - (1 - p)) <= 5 * se, "p %.2f: the reference keeps %.4f, expected "
                  "%.4f +- %.4f", p, rate, 1 - p, 5 * se);
    }
}

/* 4: the masks of a training forward pass are the stream from the seeded state. */
static void check_forward(const char *path, gsl_rng *r)
{
    enum { F = 3, H = 9, T = 5, B = 7 };
    char err[256];
    tr_lstm_config cfg = {.n_features = F, .units = H, .layers = 2, .seq_len = T,
                          .max_batch = B, .dropout = 0.3f, .head = TR_HEAD_RETURN};
    tr_lstm *m = tr_lstm_new(&cfg, err);
    CHECK_MSG(m != NULL, "%s", err);
    if (!m)
        return;
    tr_lstm_init(m, r);
    float x[B * T * F], y[B], want1[T * B * H], want_head[B * H];
    for (int i = 0; i < B * T * F; i++)
        x[i] = (float)(2 * gsl_rng_uniform(r) - 1);
    for (int i = 0; i < B; i++)
        y[i] = (float)gsl_rng_uniform(r);
    unsigned long seed = 20240611ul;
    tr_lstm_forward(m, x, y, B, 1, seed, NULL);
    uint64_t s = (uint64_t)seed * 0x2545f4914f6cdd1dULL + 1;
    ref_mask(want1, (size_t)T * B * H, 0.3f, &s);
    ref_mask(want_head, (size_t)B * H, 0.3f, &s);
    size_t d1 = first_diff(m->L[1].mask, want1, (size_t)T * B * H);
    size_t dh = first_diff(m->head_mask, want_head, (size_t)B * H);
    CHECK_MSG(d1 == (size_t)T * B * H, "%s path: layer 1's input mask[%zu] = %g, reference %g",
              path, d1, d1 < (size_t)T * B * H ? (double)m->L[1].mask[d1] : 0.0,
              d1 < (size_t)T * B * H ? (double)want1[d1] : 0.0);
    CHECK_MSG(dh == (size_t)B * H, "%s path: head mask[%zu] = %g, reference %g", path, dh,
              dh < (size_t)B * H ? (double)m->head_mask[dh] : 0.0,
              dh < (size_t)B * H ? (double)want_head[dh] : 0.0);
    tr_lstm_free(m);
}

int main(void)
{
    gsl_set_error_handler_off();
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    bufs b;
    float **all[] = {&b.in, &b.out, &b.mask, &b.want, &b.prod};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        *all[k] = malloc((MAX_N + 1) * sizeof(float));
    for (size_t i = 0; i <= MAX_N; i++)   /* nonzero inputs of both signs */
        b.in[i] = (float)((gsl_rng_uniform(r) + 0.5) * (i % 3 ? 1 : -1));

    check_keep_rate(&b);
    static const char *names[] = {"plain", "AVX-512 DQ"};
    int paths = 0;
    for (int level = 0; level <= 1; level++) {
        if (tr_lstm_dropout_force(level) != level) {
            fprintf(stderr, "the %s path is not available here (CPU or build)\n", names[level]);
            continue;
        }
        paths++;
        check_path(names[level], &b);
        check_forward(names[level], r);
    }
    fprintf(stderr, "%d path(s) checked\n", paths);
    CHECK(paths >= 1);

    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        free(*all[k]);
    gsl_rng_free(r);
    return check_done();
}
