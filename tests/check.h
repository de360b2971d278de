/*
 * check.h - the tests' assertions. Each failed check prints what disagreed (file,
 * line, expected, got) and counts; a test ends with `return check_done();`, whose
 * exit status carries the verdict (non-zero on any failure). Exit 77 is a SKIP
 * that meson shows as such; `check_skip` prints why.
 */
#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures_ = 0;
static int check_count_ = 0;

#define CHECK(cond) do { check_count_++; if (!(cond)) { check_failures_++; \
    fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

#define CHECK_MSG(cond, ...) do { check_count_++; if (!(cond)) { check_failures_++; \
    fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

#define CHECK_INT(got, want) do { long long g_ = (long long)(got), w_ = (long long)(want); \
    check_count_++; if (g_ != w_) { check_failures_++; \
    fprintf(stderr, "FAIL %s:%d: %s = %lld, expected %lld\n", __FILE__, __LINE__, #got, g_, w_); } } while (0)

/* |got - want| <= tol * max(1, |want|) */
#define CHECK_NEAR(got, want, tol) do { double g_ = (double)(got), w_ = (double)(want); \
    check_count_++; if (!(fabs(g_ - w_) <= (tol) * fmax(1.0, fabs(w_)))) { check_failures_++; \
    fprintf(stderr, "FAIL %s:%d: %s = %.10g, expected %.10g (tol %g)\n", __FILE__, __LINE__, \
            #got, g_, w_, (double)(tol)); } } while (0)

#define CHECK_STR_CONTAINS(hay, needle) do { const char *h_ = (hay), *n_ = (needle); \
    check_count_++; if (!h_ || !strstr(h_, n_)) { check_failures_++; \
    fprintf(stderr, "FAIL %s:%d: '%s' does not contain '%s'\n", __FILE__, __LINE__, \
            h_ ? h_ : "(null)", n_); } } while (0)

static inline int check_done(void)
{
    fprintf(stderr, "%d checks, %d failed\n", check_count_, check_failures_);
    return check_failures_ ? 1 : 0;
}

static inline int check_skip(const char *why)
{
    fprintf(stderr, "SKIP: %s\n", why);
    return 77;
}

/* The folder of the real candles (SEQTUNE_DATA, set by the test harness), or
 * NULL when it is absent. */
static inline const char *check_data_dir(void)
{
    const char *d = getenv("SEQTUNE_DATA");
    if (!d || !*d)
        return NULL;
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/btcusdt_binance_1h_2021-10-01_2022-10-31.csv", d);
    FILE *f = fopen(probe, "r");
    if (!f)
        return NULL;
    fclose(f);
    return d;
}

#endif
