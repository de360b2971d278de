/*
 * bench_serve.c - how fast `seqtune serve` answers over a study of 100,000
 * trials. The store is built like bench/report's synthetic study
 * (rep_study_synth: six params, 5 folds of intermediate values, ~20% pruned,
 * ~3% failed), written through the tracker's write API in batches of 1,000
 * runs, and marked COMPLETE. The server runs in this process on a free
 * loopback port; a minimal HTTP/1.1 client times the time to first byte and
 * the full response:
 *   - the study page, cold (the first request: full load + render) and warm
 *     (requests 1.1 s apart, so each one also refreshes the cached study);
 *   - the trial table page ordered by value, 100 rows; with a filter; at
 *     offset 50,000;
 *   - requests/s of the JSON trials endpoint from 4 client threads for 3 s.
 * Prints figures for people, then one JSON line for bench/serve.
 * Usage: bench_serve [SCRATCH_DIR]   (SERVE_BENCH_TRIALS overrides 100000)
 */
#include "reports/model.h"
#include "reports/serve.h"
#include "tracker/store.h"
#include "tests/support/synth_study.h"

#include <arpa/inet.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DIE(...) do { fprintf(stderr, "bench_serve: " __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

/* Writes a synthetic study of n trials into a new store at path. */
static void build_store(const char *path, int n)
{
    char err[256];
    rep_study s;
    if (rep_study_synth(&s, "bench", n, 100, 1, err) != 0)
        DIE("%s", err);
    unlink(path);
    trk_store *st = trk_store_open(path, TRK_CREATE | TRK_NOSYNC, err);
    int64_t sid;
    if (!st || trk_study_open(st, "bench", s.spec_json, "minimize", 0, &sid, NULL, err) != 0)
        DIE("%s", err);
    for (int i = 0; i < s.n_trials; i++) {
        if (i % 1000 == 0 && trk_store_batch_begin(st, err) != 0)
            DIE("%s", err);
        const rep_trial *t = &s.trials[i];
        int64_t rid;
        trk_param_in p[8];
        trk_metric_in m[8];
        int nm = 0;
        for (int k = 0; k < t->n_params && k < 8; k++)
            p[k] = (trk_param_in){t->params[k].key, t->params[k].text, t->params[k].num};
        for (int f = 0; f < t->n_steps && nm < 8; f++)
            if (isfinite(t->steps[f]))
                m[nm++] = (trk_metric_in){TRK_INTERMEDIATE_KEY, f, t->steps[f], 0};
        trk_state state = t->state == REP_COMPLETE ? TRK_COMPLETE
                          : t->state == REP_PRUNED ? TRK_PRUNED : TRK_FAIL;
        if (trk_run_start(st, sid, t->number, 1 + i % 4, i, &rid, err) ||
            trk_run_log_params(st, rid, p, t->n_params < 8 ? t->n_params : 8, err) ||
            (nm && trk_run_log_metrics(st, rid, m, nm, err)) ||
            trk_run_finish(st, rid, state, t->value, t->error, err))
            DIE("%s", err);
        if ((i % 1000 == 999 || i == s.n_trials - 1) && trk_store_batch_end(st, err) != 0)
            DIE("%s", err);
    }
    if (trk_study_set_status(st, sid, TRK_STUDY_COMPLETE, err) != 0)
        DIE("%s", err);
    trk_store_close(st);
    rep_study_free(&s);
}

/* One GET over a new connection; *ttfb and *total in ms, returns the status
 * (or -1) and the bytes read into *bytes. */
static int get(int port, const char *path, double *ttfb, double *total, size_t *bytes)
{
    static __thread char buf[1 << 16];
    double t0 = now_ms();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char req[1024];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     "Connection: close\r\n\r\n", path, port);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    int status = -1;
    ssize_t r;
    *ttfb = -1;
    while ((r = read(fd, buf, sizeof buf)) > 0) {
        if (*ttfb < 0) {
            *ttfb = now_ms() - t0;
            if (r > 12 && memcmp(buf, "HTTP/1.", 7) == 0)
                status = atoi(buf + 9);
        }
        got += (size_t)r;
    }
    close(fd);
    *total = now_ms() - t0;
    if (bytes)
        *bytes = got;
    return status;
}

/* Median ttfb and total over reps requests, pause_ms apart. */
static void timed(int port, const char *path, int reps, double pause_ms, double *ttfb,
                  double *total, size_t *bytes)
{
    double a[32], b[32];
    for (int i = 0; i < reps; i++) {
        if (i && pause_ms > 0)
            usleep((useconds_t)(pause_ms * 1000));
        int st = get(port, path, &a[i], &b[i], bytes);
        if (st != 200)
            DIE("GET %s: status %d", path, st);
    }
    *ttfb = median(a, reps);
    *total = median(b, reps);
}

typedef struct {
    int port;
    const char *path;
    double until;
    long n, errors;
} load_arg;

static void *load(void *p)
{
    load_arg *a = p;
    while (now_ms() < a->until) {
        double t, u;
        if (get(a->port, a->path, &t, &u, NULL) == 200)
            a->n++;
        else
            a->errors++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    int n = getenv("SERVE_BENCH_TRIALS") ? atoi(getenv("SERVE_BENCH_TRIALS")) : 100000;
    if (n < 10)
        DIE("SERVE_BENCH_TRIALS: expected >= 10");
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/bench_serve_%d.db", dir, (int)getpid());
    double t0 = now_ms();
    build_store(path, n);
    printf("store: %d trials built in %.1f s (%s)\n", n, (now_ms() - t0) / 1e3, path);
    rep_serve_opts o = {.db_path = path, .host = "127.0.0.1", .port = 0};
    rep_server *sv = rep_serve_start(&o, err);
    if (!sv)
        DIE("%s", err);
    int port = rep_serve_port(sv);
    double sp_cold_ttfb, sp_cold, sp_ttfb, sp, sp_hot_ttfb, sp_hot, tp_ttfb, tp, tf_ttfb, tf, to_ttfb,
        to;
    size_t sp_bytes, tp_bytes;
    timed(port, "/studies/bench", 1, 0, &sp_cold_ttfb, &sp_cold, &sp_bytes);
    timed(port, "/studies/bench", 7, 1100, &sp_ttfb, &sp, &sp_bytes);
    timed(port, "/studies/bench", 11, 0, &sp_hot_ttfb, &sp_hot, &sp_bytes);
    timed(port, "/studies/bench/trials?order_by=value&limit=100", 11, 0, &tp_ttfb, &tp, &tp_bytes);
    timed(port, "/studies/bench/trials?filter=params.units%20%3E%3D%2064%20and%20state%20%3D%20"
          "%27COMPLETE%27&order_by=value&limit=100", 11, 0, &tf_ttfb, &tf, NULL);
    timed(port, "/studies/bench/trials?limit=100&offset=50000", 5, 0, &to_ttfb, &to, NULL);
    load_arg la[4];
    pthread_t th[4];
    double until = now_ms() + 3000, l0 = now_ms();
    for (int i = 0; i < 4; i++) {
        la[i] = (load_arg){port, "/api/studies/bench/trials?order_by=value&limit=50", until, 0, 0};
        pthread_create(&th[i], NULL, load, &la[i]);
    }
    long total = 0, errors = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        total += la[i].n;
        errors += la[i].errors;
    }
    double rps = total / ((now_ms() - l0) / 1e3);
    rep_serve_stop(sv);
    char side[4200];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    printf("study page, cold (load + render):   first byte %8.1f ms, full %8.1f ms, %zu bytes\n",
           sp_cold_ttfb, sp_cold, sp_bytes);
    printf("study page, 1.1 s apart (refresh):  first byte %8.1f ms, full %8.1f ms (median of 7)\n",
           sp_ttfb, sp);
    printf("study page, back to back (cached):  first byte %8.1f ms, full %8.1f ms (median of 11)\n",
           sp_hot_ttfb, sp_hot);
    printf("trials page, by value, 100 rows:    first byte %8.1f ms, full %8.1f ms, %zu bytes\n",
           tp_ttfb, tp, tp_bytes);
    printf("trials page, filtered, by value:    first byte %8.1f ms, full %8.1f ms\n", tf_ttfb, tf);
    printf("trials page, offset 50,000:         first byte %8.1f ms, full %8.1f ms\n", to_ttfb, to);
    printf("JSON trials endpoint, 4 clients:    %.0f requests/s (%ld errors)\n", rps, errors);
    printf("goal: trials and study page under 300 ms at 100,000 trials\n");
    printf("{\"trials\": %d, \"trials_page_ms_100k\": %.1f, \"study_page_ms_100k\": %.1f, "
           "\"trials_page_ttfb_ms_100k\": %.1f, \"study_page_ttfb_ms_100k\": %.1f, "
           "\"study_page_cold_ms_100k\": %.1f, \"study_page_cached_ms_100k\": %.1f, "
           "\"trials_filtered_ms_100k\": %.1f, \"trials_offset50k_ms_100k\": %.1f, "
           "\"api_trials_rps_100k\": %.0f, \"study_page_bytes\": %zu, \"peer\": null}\n",
           n, tp, sp, tp_ttfb, sp_ttfb, sp_cold, sp_hot, tf, to, rps, sp_bytes);
    return errors ? 1 : 0;
}
