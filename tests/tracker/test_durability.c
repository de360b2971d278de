/*
 * test_durability.c - a writer child SIGKILLed in the middle of heavy logging.
 * The child loops: start a run, log 4,000 metric rows in batches of 200, finish
 * the run, and only then write the run id to a pipe. The parent kills it at
 * varying moments, reopens the file and checks: PRAGMA integrity_check is "ok",
 * every run id the child reported is COMPLETE with all its rows, and the one run
 * left RUNNING can be marked FAIL ("interrupted"). Three rounds, one file.
 */
#include "tests/check.h"
#include "tests/tracker/trk_testutil.h"
#include "tracker/query.h"
#include "tracker/store_int.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define ROWS_PER_RUN 4000
#define BATCH 200

static int child(const char *path, int64_t sid, int first_trial, int fd)
{
    char err[256];
    trk_store *s = trk_store_open(path, 0, err);
    if (!s)
        return 1;
    trk_metric_in m[BATCH];
    for (int t = first_trial;; t++) {
        int64_t rid;
        if (trk_run_start(s, sid, t, 1, t, &rid, err))
            return 1;
        for (int b = 0; b < ROWS_PER_RUN / BATCH; b++) {
            for (int i = 0; i < BATCH; i++)
                m[i] = (trk_metric_in){i % 2 ? "loss" : "acc", b * BATCH + i, i * 0.5, 0};
            if (trk_run_log_metrics(s, rid, m, BATCH, err))
                return 1;
        }
        if (trk_run_finish(s, rid, TRK_COMPLETE, t, NULL, err))
            return 1;
        if (write(fd, &rid, sizeof rid) != sizeof rid)
            return 1;
    }
}

/* Reads whole run ids from the pipe until `want` arrived (or EOF). */
static int read_ids(int fd, int64_t *ids, int n, int want)
{
    while (n < want) {
        ssize_t r = read(fd, &ids[n], sizeof ids[n]);
        if (r != (ssize_t)sizeof ids[n])
            break;
        n++;
    }
    return n;
}

int main(void)
{
    char path[600], err[256];
    tu_scratch();
    tu_path(path, sizeof path, "crash.db");
    trk_store *s = trk_store_open(path, TRK_CREATE, err);
    int64_t sid;
    TU_OK(s ? 0 : -1);
    TU_OK(trk_study_open(s, "crash", "{}", "minimize", 0, &sid, NULL, err));
    trk_store_close(s);

    static int64_t ids[100000];
    int n_ids = 0, next_trial = 0;
    const int wait_for[3] = {3, 5, 8};
    const long extra_ns[3] = {1000000, 7000000, 0};
    for (int round = 0; round < 3; round++) {
        int fds[2];
        if (pipe(fds) != 0)
            return 1;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            _exit(child(path, sid, next_trial, fds[1]));
        }
        close(fds[1]);
        int before = n_ids;
        n_ids = read_ids(fds[0], ids, n_ids, n_ids + wait_for[round]);
        CHECK_MSG(n_ids == before + wait_for[round], "round %d: child died early", round);
        /* Kill somewhere inside the next run's logging. */
        struct timespec ts = {0, extra_ns[round]};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        n_ids = read_ids(fds[0], ids, n_ids, 100000); /* ids written before the kill */
        close(fds[0]);

        s = trk_store_open(path, 0, err);
        CHECK_MSG(s != NULL, "reopen after kill: %s", err);
        if (!s)
            break;
        sqlite3_stmt *st;
        sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL);
        const char *res = sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "?";
        CHECK_MSG(strcmp(res, "ok") == 0, "integrity_check: %s", res);
        sqlite3_finalize(st);
        for (int i = 0; i < n_ids; i++) {
            trk_run r;
            TU_OK(trk_run_get(s, ids[i], &r, err));
            CHECK_INT(r.state, TRK_COMPLETE);
            trk_run_clear(&r);
            trk_metric_summary *m;
            int nm;
            TU_OK(trk_metric_summaries(s, ids[i], &m, &nm, err));
            CHECK_INT(nm, 2);
            for (int k = 0; k < nm; k++)
                CHECK_INT(m[k].count, ROWS_PER_RUN / 2);
            trk_metric_summaries_free(m, nm);
        }
        int marked = 0;
        TU_OK(trk_study_fail_running(s, sid, "interrupted", &marked, err));
        CHECK_MSG(marked <= 1, "round %d: %d runs were RUNNING", round, marked);
        trk_study_info si;
        TU_OK(trk_study_get(s, "crash", &si, err));
        CHECK_INT(si.n_running, 0);
        CHECK(si.n_complete >= n_ids);
        next_trial = si.n_runs;
        trk_study_info_clear(&si);
        trk_store_close(s);
        fprintf(stderr, "round %d: %d finished runs reported, %d RUNNING run marked FAIL\n",
                round, n_ids, marked);
    }
    return check_done();
}
