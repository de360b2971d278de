/*
 * bench_tracker.c - speed of the experiment store (tracker/):
 *   1. metric rows logged per second, one transaction per epoch: 500-row epochs
 *      (100 steps x 5 keys, per-step logging) and 8-row epochs (epoch-level logging);
 *   2. runs finished per second: start, 6 params, one 8-row epoch, durable finish
 *      (the WAL is fsynced at every finish);
 *   3. latency of a filtered, ordered `trials` query on a study of 100,000 runs:
 *      "params.units >= 64 and metrics.sharpe > 1 and state = 'COMPLETE'" ordered by
 *      metrics.sharpe desc, limit 20 (and without limit), median of 11. The study is
 *      built through the write API in batches of 1,000 runs (trk_store_batch_begin).
 * Prints figures for people, then one JSON line. Usage: bench_tracker [SCRATCH_DIR]
 */
#include "tracker/query.h"
#include "tracker/store.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define DIE(...) do { fprintf(stderr, "bench_tracker: " __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)
#define OK(call) do { if ((call) != 0) DIE("%s", err); } while (0)

static char err[256];

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Rows/s logging `runs` x `epochs` batches of `steps` x 5 keys. */
static double metric_rate(trk_store *s, int64_t sid, int first_trial, int runs, int epochs,
                          int steps, long *rows_out)
{
    static const char *keys[5] = {"loss", "acc", "lr", "grad_norm", "sharpe"};
    int rows_per = steps * 5;
    trk_metric_in *m = malloc(sizeof *m * (size_t)rows_per);
    double t = 0;
    long rows = 0;
    for (int r = 0; r < runs; r++) {
        int64_t rid;
        OK(trk_run_start(s, sid, first_trial + r, 1, r, &rid, err));
        for (int e = 0; e < epochs; e++) {
            for (int k = 0; k < steps; k++)
                for (int j = 0; j < 5; j++)
                    m[k * 5 + j] = (trk_metric_in){keys[j], (int64_t)e * steps + k,
                                                   1.0 / (1 + e + k + j), 0};
            double t0 = now_s();
            OK(trk_run_log_metrics(s, rid, m, rows_per, err));
            t += now_s() - t0;
            rows += rows_per;
        }
        OK(trk_run_finish(s, rid, TRK_COMPLETE, 0.5, NULL, err));
    }
    free(m);
    *rows_out = rows;
    return rows / t;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    char dir[512];
    const char *base = argc > 1 ? argv[1] : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    snprintf(dir, sizeof dir, "%s/bench_tracker_XXXXXX", base);
    if (!mkdtemp(dir))
        DIE("cannot make a scratch folder under %s", base);
    char p1[600], p2[600], cmd[1300];
    snprintf(p1, sizeof p1, "%s/bench.db", dir);
    snprintf(p2, sizeof p2, "%s/big.db", dir);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 42);

    /* 1. metric rows */
    trk_store *s = trk_store_open(p1, TRK_CREATE, err);
    if (!s)
        DIE("%s", err);
    int64_t sid;
    OK(trk_study_open(s, "bench", "{}", "minimize", 0, &sid, NULL, err));
    long rows_big, rows_small;
    double rate_big = metric_rate(s, sid, 0, 20, 100, 100, &rows_big);
    double rate_small = metric_rate(s, sid, 1000, 20, 500, 2, &rows_small);
    /* 8-row epochs: 2 steps x 5 keys = 10 rows; say what it is */
    printf("metric rows logged: %.0f rows/s (%ld rows, 500-row epochs, one transaction each)\n",
           rate_big, rows_big);
    printf("metric rows logged: %.0f rows/s (%ld rows, 10-row epochs)\n", rate_small, rows_small);

    /* 2. runs finished */
    int nruns = 300;
    double t0 = now_s();
    for (int r = 0; r < nruns; r++) {
        int64_t rid;
        char u[32];
        snprintf(u, sizeof u, "%d", 16 + r % 240);
        trk_param_in p[6] = {{"units", u, 16 + r % 240}, {"layers", "2", 2}, {"dropout", "0.1", 0.1},
                             {"lr", "0.001", 0.001}, {"batch_size", "64", 64}, {"act", "tanh", NAN}};
        trk_metric_in m[10];
        for (int k = 0; k < 10; k++)
            m[k] = (trk_metric_in){k % 2 ? "loss" : "acc", k / 2, 0.1 * k, 0};
        OK(trk_run_start(s, sid, 2000 + r, 1, r, &rid, err));
        OK(trk_run_log_params(s, rid, p, 6, err));
        OK(trk_run_log_metrics(s, rid, m, 10, err));
        OK(trk_run_finish(s, rid, TRK_COMPLETE, 0.5, NULL, err));
    }
    double runs_rate = nruns / (now_s() - t0);
    printf("runs finished: %.0f runs/s (start + 6 params + 10 metric rows + durable finish)\n",
           runs_rate);
    trk_store_close(s);

    /* 3. a study of 100,000 runs, then the query */
    const int N = 100000;
    s = trk_store_open(p2, TRK_CREATE, err);
    if (!s)
        DIE("%s", err);
    OK(trk_study_open(s, "big", "{}", "maximize", 0, &sid, NULL, err));
    t0 = now_s();
    for (int r = 0; r < N; r++) {
        if (r % 1000 == 0)
            OK(trk_store_batch_begin(s, err));
        int64_t rid;
        int units = 16 + (int)gsl_rng_uniform_int(rng, 241);
        double sharpe = gsl_rng_uniform(rng) * 3 - 0.5, drop = gsl_rng_uniform(rng) * 0.5;
        char u[32], d[32];
        snprintf(u, sizeof u, "%d", units);
        snprintf(d, sizeof d, "%.4f", drop);
        trk_param_in p[4] = {{"units", u, units}, {"dropout", d, drop}, {"layers", "2", 2},
                             {"act", r % 2 ? "tanh" : "relu", NAN}};
        trk_metric_in m[4] = {{"sharpe", 0, sharpe - 0.2, 0}, {"sharpe", 1, sharpe, 0},
                              {"val_loss", 0, 0.7, 0}, {"val_loss", 1, 0.69, 0}};
        double u01 = gsl_rng_uniform(rng);
        trk_state st = u01 < 0.8 ? TRK_COMPLETE : u01 < 0.95 ? TRK_PRUNED : TRK_FAIL;
        OK(trk_run_start(s, sid, r, 1 + r % 4, r, &rid, err));
        OK(trk_run_log_params(s, rid, p, 4, err));
        OK(trk_run_log_metrics(s, rid, m, 4, err));
        OK(trk_run_finish(s, rid, st, st == TRK_FAIL ? NAN : sharpe, NULL, err));
        if (r % 1000 == 999)
            OK(trk_store_batch_end(s, err));
    }
    double build_s = now_s() - t0;
    printf("built a study of %d runs in %.1f s (write API, batches of 1000 runs)\n", N, build_s);
    trk_store_close(s);

    s = trk_store_open(p2, TRK_READONLY, err);
    if (!s)
        DIE("%s", err);
    trk_query q = {"params.units >= 64 and metrics.sharpe > 1 and state = 'COMPLETE'",
                   "metrics.sharpe desc", 0, 20};
    double lat[11], lat_all[11];
    int matched = 0, shown = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 11; i++) {
            trk_run_list l;
            q.limit = pass == 0 ? 20 : 0;
            double a = now_s();
            OK(trk_runs_query(s, sid, &q, &l, err));
            (pass == 0 ? lat : lat_all)[i] = (now_s() - a) * 1000;
            if (pass == 0)
                shown = l.n;
            else
                matched = l.n;
            trk_run_list_free(&l);
        }
    }
    qsort(lat, 11, sizeof lat[0], cmp_double);
    qsort(lat_all, 11, sizeof lat_all[0], cmp_double);
    printf("filtered, ordered query on %d runs: %.1f ms for the top %d (median of 11), "
           "%.1f ms for all %d matches\n", N, lat[5], shown, lat_all[5], matched);
    printf("targets: >= 500000 metric rows/s (%s), query < 100 ms (%s)\n",
           rate_big >= 500000 ? "met" : "NOT met", lat[5] < 100 ? "met" : "NOT met");
    trk_store_close(s);
    gsl_rng_free(rng);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_tracker: could not remove %s\n", dir);
    printf("{\"metric_rows_per_s\": %.0f, \"metric_rows_per_s_10row_epochs\": %.0f, "
           "\"runs_finished_per_s\": %.1f, \"query_ms_100k\": %.2f, \"query_ms_100k_all\": %.2f, "
           "\"query_matches_100k\": %d, \"build_100k_s\": %.2f}\n",
           rate_big, rate_small, runs_rate, lat[5], lat_all[5], matched, build_s);
    return 0;
}
