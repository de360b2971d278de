/*
 * bench_candles.c - how fast the candle CSV loader reads (and the canonical
 * writer writes) a large file: N rows (default 1,000,000) of a seeded random
 * walk are written to PATH with tr_candles_write_csv, then loaded with
 * tr_candles_load three times (best time reported). Prints figures, then one
 * JSON line. The file is left at PATH for the peer (bench/candles_peer.py).
 * Usage: bench_candles PATH [ROWS]
 */
#include "trainer/candles.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_candles PATH [ROWS]\n");
        return 1;
    }
    int rows = argc > 2 ? atoi(argv[2]) : 1000000;
    char err[256];
    tr_candles c;
    if (tr_candles_alloc(&c, rows, err) < 0) {
        fprintf(stderr, "bench_candles: %s\n", err);
        return 1;
    }
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1);
    double p = 30000;
    for (int i = 0; i < rows; i++) {
        double o = p, cl = round(o * exp(gsl_ran_gaussian(r, 0.002)) * 100) / 100;
        c.ts[i] = 1577836800LL + 60LL * i;
        c.open[i] = o;
        c.close[i] = cl;
        c.high[i] = round(fmax(o, cl) * (1 + fabs(gsl_ran_gaussian(r, 0.001))) * 100) / 100;
        c.low[i] = round(fmin(o, cl) * (1 - fabs(gsl_ran_gaussian(r, 0.001))) * 100) / 100;
        c.volume[i] = round(gsl_ran_exponential(r, 10) * 1e5) / 1e5;
        p = cl;
    }
    gsl_rng_free(r);
    tr_candles_index(&c);
    double t0 = now();
    if (tr_candles_write_csv(argv[1], &c, err) < 0) {
        fprintf(stderr, "bench_candles: %s\n", err);
        return 1;
    }
    double write_s = now() - t0, best = 1e9;
    tr_candles_free(&c);
    for (int rep = 0; rep < 3; rep++) {
        t0 = now();
        if (tr_candles_load(argv[1], &c, err) < 0) {
            fprintf(stderr, "bench_candles: %s\n", err);
            return 1;
        }
        double t = now() - t0;
        best = t < best ? t : best;
        if (c.n != rows) {
            fprintf(stderr, "bench_candles: read %d rows, wrote %d\n", c.n, rows);
            return 1;
        }
        tr_candles_free(&c);
    }
    printf("candles: %d rows written in %.3f s, loaded in %.3f s (best of 3, %.1f M rows/s)\n",
           rows, write_s, best, rows / best / 1e6);
    printf("{\"rows\": %d, \"write_s\": %.4f, \"load_s\": %.4f}\n", rows, write_s, best);
    return 0;
}
