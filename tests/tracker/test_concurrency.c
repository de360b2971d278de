/*
 * test_concurrency.c - the store shared between processes (fork()):
 *  1. one writer logs 10,000 metric rows in batches of 50 while three reader
 *     processes query in a loop: no error on either side, readers only ever see
 *     whole batches, and in the end every row is there;
 *  2. four processes create the same new file at once and each writes its own
 *     study: every study, run, param and metric row is present afterwards.
 */
#include "tests/check.h"
#include "tests/tracker/trk_testutil.h"
#include "tracker/query.h"

#include <sys/wait.h>
#include <time.h>

#define ROWS 10000
#define BATCH 50
#define READERS 3

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Child: logs ROWS rows of metric "m" (value = step) to a new run, then finishes it. */
static int writer(const char *path, int64_t sid)
{
    char err[256];
    trk_store *s = trk_store_open(path, 0, err);
    if (!s) {
        fprintf(stderr, "writer: %s\n", err);
        return 1;
    }
    int64_t rid;
    trk_metric_in m[BATCH];
    if (trk_run_start(s, sid, 0, 1, 1, &rid, err))
        goto fail;
    for (int b = 0; b < ROWS / BATCH; b++) {
        for (int i = 0; i < BATCH; i++)
            m[i] = (trk_metric_in){"m", b * BATCH + i, b * BATCH + i, 0};
        if (trk_run_log_metrics(s, rid, m, BATCH, err))
            goto fail;
    }
    if (trk_run_finish(s, rid, TRK_COMPLETE, 1.0, NULL, err))
        goto fail;
    trk_store_close(s);
    return 0;
fail:
    fprintf(stderr, "writer: %s\n", err);
    trk_store_close(s);
    return 1;
}

/* Child: queries until it sees the finished run with all rows; any error, torn batch
 * or out-of-order history is a failure. */
static int reader(const char *path, int64_t sid, int id)
{
    char err[256];
    trk_store *s = trk_store_open(path, TRK_READONLY, err);
    if (!s) {
        fprintf(stderr, "reader %d: %s\n", id, err);
        return 1;
    }
    double t0 = now_s();
    int loops = 0, done = 0, bad = 0;
    while (!done && !bad) {
        if (now_s() - t0 > 40) {
            fprintf(stderr, "reader %d: writer not finished after 40 s\n", id);
            bad = 1;
            break;
        }
        loops++;
        trk_study_info *l;
        int n;
        trk_run_list runs;
        trk_query q = {"metrics.m >= 0", "metrics.m desc", 0, 10};
        if (trk_studies_list(s, &l, &n, err) || trk_runs_query(s, sid, &q, &runs, err)) {
            fprintf(stderr, "reader %d: %s\n", id, err);
            bad = 1;
            break;
        }
        trk_studies_free(l, n);
        if (runs.n == 1) {
            trk_metric_point *h;
            int nh;
            trk_state st = runs.runs[0].state;
            if (trk_metric_history(s, runs.runs[0].id, "m", &h, &nh, err)) {
                fprintf(stderr, "reader %d: %s\n", id, err);
                bad = 1;
            } else {
                if (nh % BATCH != 0) {
                    fprintf(stderr, "reader %d: saw %d rows, not whole batches\n", id, nh);
                    bad = 1;
                }
                for (int i = 0; i < nh && !bad; i++)
                    if (h[i].step != i || h[i].value != i) {
                        fprintf(stderr, "reader %d: row %d is step %lld\n", id, i, (long long)h[i].step);
                        bad = 1;
                    }
                if (st == TRK_COMPLETE)
                    done = nh == ROWS ? 1 : (bad = 1, fprintf(stderr, "reader %d: finished run "
                                                              "has %d rows\n", id, nh), 0);
                free(h);
            }
        }
        trk_run_list_free(&runs);
    }
    trk_store_close(s);
    if (!bad)
        fprintf(stderr, "reader %d: %d query loops\n", id, loops);
    return bad;
}

/* Child k of part 2: creates (or finds) the file and writes study "study-k". */
static int study_writer(const char *path, int k)
{
    char err[256], name[32], val[32];
    trk_store *s = trk_store_open(path, TRK_CREATE, err);
    if (!s) {
        fprintf(stderr, "study writer %d: %s\n", k, err);
        return 1;
    }
    int64_t sid, rid;
    snprintf(name, sizeof name, "study-%d", k);
    if (trk_study_open(s, name, "{}", "minimize", 0, &sid, NULL, err))
        goto fail;
    for (int t = 0; t < 25; t++) {
        if (trk_run_start(s, sid, t, k, t, &rid, err))
            goto fail;
        snprintf(val, sizeof val, "%d", t);
        trk_param_in p = {"t", val, t};
        if (trk_run_log_params(s, rid, &p, 1, err))
            goto fail;
        trk_metric_in m[20];
        for (int i = 0; i < 20; i++)
            m[i] = (trk_metric_in){"loss", i, 1.0 / (i + 1), 0};
        if (trk_run_log_metrics(s, rid, m, 20, err) ||
            trk_run_finish(s, rid, TRK_COMPLETE, t, NULL, err))
            goto fail;
    }
    trk_store_close(s);
    return 0;
fail:
    fprintf(stderr, "study writer %d: %s\n", k, err);
    trk_store_close(s);
    return 1;
}

static void wait_all(int n, const char *what)
{
    for (int i = 0; i < n; i++) {
        int status = 0;
        pid_t p = wait(&status);
        CHECK_MSG(p > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "%s child %d: status %d", what, (int)p, status);
    }
}

int main(void)
{
    char path[600], err[256];
    tu_scratch();

    /* 1. one writer, three readers */
    tu_path(path, sizeof path, "one.db");
    trk_store *s = trk_store_open(path, TRK_CREATE, err);
    int64_t sid;
    TU_OK(s ? 0 : -1);
    TU_OK(trk_study_open(s, "live", "{}", "minimize", 0, &sid, NULL, err));
    trk_store_close(s);
    fflush(NULL);
    for (int r = 0; r < READERS; r++)
        if (fork() == 0)
            _exit(reader(path, sid, r));
    if (fork() == 0)
        _exit(writer(path, sid));
    wait_all(READERS + 1, "writer/reader");
    s = trk_store_open(path, TRK_READONLY, err);
    TU_OK(s ? 0 : -1);
    trk_run_list l;
    TU_OK(trk_runs_query(s, sid, NULL, &l, err));
    CHECK_INT(l.n, 1);
    if (l.n == 1) {
        trk_metric_summary *m;
        int n;
        TU_OK(trk_metric_summaries(s, l.runs[0].id, &m, &n, err));
        CHECK_INT(n, 1);
        if (n == 1) {
            CHECK_INT(m[0].count, ROWS);
            CHECK_NEAR(m[0].last, ROWS - 1, 0);
        }
        trk_metric_summaries_free(m, n);
    }
    trk_run_list_free(&l);
    trk_store_close(s);

    /* 2. four writers, four studies, one new file */
    tu_path(path, sizeof path, "four.db");
    fflush(NULL);
    for (int k = 0; k < 4; k++)
        if (fork() == 0)
            _exit(study_writer(path, k));
    wait_all(4, "study writer");
    s = trk_store_open(path, TRK_READONLY, err);
    TU_OK(s ? 0 : -1);
    trk_study_info *st;
    int n;
    TU_OK(trk_studies_list(s, &st, &n, err));
    CHECK_INT(n, 4);
    for (int i = 0; i < n; i++) {
        CHECK_INT(st[i].n_complete, 25);
        CHECK_INT(st[i].n_runs, 25);
        trk_run_list runs;
        TU_OK(trk_runs_query(s, st[i].id, NULL, &runs, err));
        for (int r = 0; r < runs.n; r++) {
            CHECK_INT(runs.runs[r].n_params, 1);
            trk_metric_point *h;
            int nh;
            TU_OK(trk_metric_history(s, runs.runs[r].id, "loss", &h, &nh, err));
            CHECK_INT(nh, 20);
            free(h);
        }
        trk_run_list_free(&runs);
    }
    trk_studies_free(st, n);
    trk_store_close(s);
    return check_done();
}
