/*
 * bench_report.c - how long reports/ takes to render a large study: a synthetic
 * 10,000-trial study (and a 1,000-trial one) rendered to memory several times
 * and written once to disk durably; prints the median times and the size, and a
 * last line of JSON for bench/report.
 */
#include "reports/edge.h"
#include "reports/report.h"
#include "tests/support/synth_study.h"

#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

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

/* Median render time (ms) over reps and the size (bytes) of one study of n trials. */
static int bench(int n, int reps, double *ms, double *write_ms, size_t *bytes)
{
    rep_study s;
    char err[256];
    double t[16];
    if (rep_study_synth(&s, "bench", n, 8760, 1, err) != 0) {
        fprintf(stderr, "bench_report: %s\n", err);
        return -1;
    }
    /* the verdict and OOS diagnostics sections: 5 folds x 100 epochs, OOS over 8760 bars */
    s.edge = rep_edge_synth(8760, 5, 100, 1);
    for (int r = 0; r < reps; r++) {
        rep_buf b;
        rep_buf_init(&b);
        double t0 = now_ms();
        int rc = rep_render_html(&s, 1, &b, err);
        t[r] = now_ms() - t0;
        *bytes = b.len;
        rep_buf_free(&b);
        if (rc != 0) {
            fprintf(stderr, "bench_report: %s\n", err);
            rep_study_free(&s);
            return -1;
        }
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_d);
    *ms = t[reps / 2];
    char path[] = "/tmp/bench_report_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
    double t0 = now_ms();
    int rc = rep_write_html(&s, 1, path, err);
    *write_ms = now_ms() - t0;
    unlink(path);
    rep_study_free(&s);
    if (rc != 0)
        fprintf(stderr, "bench_report: %s\n", err);
    return rc;
}

int main(void)
{
    gsl_set_error_handler_off();
    double ms10k, w10k, ms1k, w1k;
    size_t b10k, b1k;
    if (bench(1000, 7, &ms1k, &w1k, &b1k) != 0 || bench(10000, 7, &ms10k, &w10k, &b10k) != 0)
        return 1;
    printf("render  1,000 trials: %8.1f ms  %9zu bytes (write incl. fsync %.1f ms)\n", ms1k, b1k, w1k);
    printf("render 10,000 trials: %8.1f ms  %9zu bytes (write incl. fsync %.1f ms)\n", ms10k, b10k,
           w10k);
    printf("limits: 2000 ms, 5000000 bytes\n");
    printf("{\"render_ms_1k\": %.1f, \"bytes_1k\": %zu, \"render_ms_10k\": %.1f, \"write_ms_10k\": "
           "%.1f, \"bytes_10k\": %zu, \"peer\": null}\n", ms1k, b1k, ms10k, w10k, b10k);
    return 0;
}
