/*
 * run_deadline.c - the coordinator's bounds on waiting for workers
 * (run_deadline.h): the per-trial deadline with and without a trial limit, the
 * start-up handshake, a watchdog over MPI_Init, and bounded waits on
 * nonblocking collectives.
 */
#include "experiments/run_deadline.h"

#include "experiments/cli.h"
#include "experiments/wire.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A positive number of seconds from the environment variable `name`, else def. */
static double env_seconds(const char *name, double def)
{
    const char *e = getenv(name);
    char *end;
    double v = e ? strtod(e, &end) : 0;
    return e && end != e && *end == '\0' && v > 0 && v < 1e7 ? v : def;
}

void exp_deadlines_init(exp_deadlines *d, double trial_limit_s)
{
    d->trial_limit_s = trial_limit_s > 0 ? trial_limit_s : 0;
    d->stall_floor_s = env_seconds("SEQTUNE_STALL_S", EXP_STALL_FLOOR_DEFAULT_S);
    d->startup_s = env_seconds("SEQTUNE_STARTUP_S", EXP_STARTUP_DEFAULT_S);
}

/* The silence allowed without a trial limit. */
static double stall_bound(const exp_deadlines *d, double slowest_s)
{
    if (slowest_s <= 0)
        return EXP_STALL_FACTOR * d->stall_floor_s;
    double b = EXP_STALL_FACTOR * slowest_s;
    return b > d->stall_floor_s ? b : d->stall_floor_s;
}

double exp_trial_deadline(const exp_deadlines *d, double started, double heard, double slowest_s)
{
    double L = d->trial_limit_s;
    if (L > 0)
        return started + L + EXP_WORKER_GRACE_S + 0.1 * L;
    return (heard > started ? heard : started) + stall_bound(d, slowest_s);
}

void exp_trial_deadline_reason(const exp_deadlines *d, int w, double started, double heard,
                               double slowest_s, char out[256])
{
    double L = d->trial_limit_s;
    if (L > 0) {
        double t = exp_trial_deadline(d, started, heard, slowest_s);
        snprintf(out, 256, "worker %d stopped answering (no result %.0f s after the trial's "
                 "limit of %g s)", w, t - started - L, L);
    } else {
        snprintf(out, 256, "worker %d stopped answering (not heard from for %.0f s: the bound "
                 "without training.trial_timeout_s is %s; SEQTUNE_STALL_S sets F = %g s)", w,
                 stall_bound(d, slowest_s), slowest_s > 0 ? "max(F, 10 x the slowest trial)"
                 : "10 x F before a trial finished", d->stall_floor_s);
    }
}

/* ---- the watchdog over MPI_Init ---------------------------------------------- */

typedef struct watchdog {
    pthread_t thread;
    int running, stopped, world;
    double limit_s;
} watchdog;

static pthread_mutex_t wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cv = PTHREAD_COND_INITIALIZER;
static watchdog wd;

static void *watchdog_main(void *arg)
{
    (void)arg;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    double t = (double)until.tv_sec + 1e-9 * (double)until.tv_nsec + wd.limit_s + 2.0;
    until.tv_sec = (time_t)t;
    until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
    pthread_mutex_lock(&wd_mu);
    int rc = 0;
    while (!wd.stopped && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&wd_cv, &wd_mu, &until);
    int fire = !wd.stopped;
    pthread_mutex_unlock(&wd_mu);
    if (fire) {
        char msg[512], ranks[64];
        if (wd.world > 1)
            snprintf(ranks, sizeof ranks, "one of ranks 1..%d", wd.world - 1);
        else
            snprintf(ranks, sizeof ranks, "another rank");
        int n = snprintf(msg, sizeof msg, "seqtune: run: start-up did not finish within %g s "
                         "(SEQTUNE_STARTUP_S): MPI_Init waits for every rank of the job, and "
                         "%s stopped or died before it started; nothing was written to the "
                         "store\n", wd.limit_s, ranks);
        if (n > 0 && write(2, msg, (size_t)n) < 0)
            n = 0;
        _exit(EXP_EXIT_FAILED);   /* mpirun then ends the other ranks */
    }
    return NULL;
}

void exp_startup_watchdog_start(double limit_s, int world)
{
    wd.limit_s = limit_s;
    wd.world = world;
    wd.stopped = 0;
    wd.running = pthread_create(&wd.thread, NULL, watchdog_main, NULL) == 0;
}

void exp_startup_watchdog_stop(void)
{
    if (!wd.running)
        return;
    pthread_mutex_lock(&wd_mu);
    wd.stopped = 1;
    pthread_cond_signal(&wd_cv);
    pthread_mutex_unlock(&wd_mu);
    pthread_join(wd.thread, NULL);
    wd.running = 0;
}

/* ---- the handshake ------------------------------------------------------------ */

void exp_startup_ready(int phase)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddNumberToObject(m, "phase", phase);
    exp_wire_send(m, 0, EXP_TAG_READY, MPI_COMM_WORLD);
    cJSON_Delete(m);
}

int exp_startup_wait(int world, int phase, double deadline, volatile sig_atomic_t *stop,
                     char err[256])
{
    char missing[160] = "";
    size_t off = 0;
    int n_missing = 0;
    for (int w = 1; w < world; w++) {
        MPI_Status st;
        int got = 0;
        while (!got && exp_wire_wait(w, EXP_TAG_READY, MPI_COMM_WORLD, &st, stop, deadline) == 0) {
            cJSON *m = exp_wire_recv(&st, MPI_COMM_WORLD);
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "phase");
            got = cJSON_IsNumber(p) && p->valueint == phase;
            cJSON_Delete(m);
        }
        if (stop && *stop)
            return 1;
        if (!got) {
            if (off < sizeof missing - 16)
                off += (size_t)snprintf(missing + off, sizeof missing - off, "%s%d",
                                        n_missing ? ", " : "", w);
            n_missing++;
        }
    }
    if (n_missing == 0)
        return 0;
    snprintf(err, 256, "start-up: rank%s %s did not report %s within the start-up bound "
             "(stopped, hung or dead; SEQTUNE_STARTUP_S)", n_missing > 1 ? "s" : "", missing,
             phase == 0 ? "ready" : "that it received the spec and the candles");
    return -1;
}

int exp_request_wait(MPI_Request *r, double deadline)
{
    long sleep_ns = 10 * 1000;
    for (;;) {
        int done = 0;
        MPI_Test(r, &done, MPI_STATUS_IGNORE);
        if (done)
            return 0;
        if (deadline > 0 && exp_now() >= deadline)
            return -1;
        struct timespec ts = {0, sleep_ns};
        nanosleep(&ts, NULL);
        if (sleep_ns < 2L * 1000 * 1000)
            sleep_ns *= 2;
    }
}

/* The launcher's rank of this process before MPI_Init (-1: unknown). */
static int launch_rank(void)
{
    const char *names[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"};
    for (int i = 0; i < 3; i++) {
        const char *e = getenv(names[i]);
        if (e && *e)
            return atoi(e);
    }
    return -1;
}

int exp_startup_init(int *rank, int *world, const exp_deadlines *d,
                     volatile sig_atomic_t *stop, double *until, char err[256])
{
    *until = exp_now() + d->startup_s;
    const char *size = getenv("OMPI_COMM_WORLD_SIZE");
    int guard = launch_rank() == 0;
    if (guard)
        exp_startup_watchdog_start(d->startup_s, size ? atoi(size) : 0);
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, world);
    int rc = 0;
    if (*rank != 0)
        exp_startup_ready(0);
    else if (*world > 1)
        rc = exp_startup_wait(*world, 0, *until, stop, err);
    if (rc == 1) {
        snprintf(err, 256, "start-up: interrupted while waiting for the workers");
        rc = -1;
    }
    if (guard)
        exp_startup_watchdog_stop();
    return rc;
}

int exp_bcast_bounded(void *buf, int count, MPI_Datatype type, int rank, double until)
{
    /* Every rank uses the nonblocking form: a blocking and a nonblocking
     * collective do not match each other. */
    MPI_Request r;
    if (MPI_Ibcast(buf, count, type, 0, MPI_COMM_WORLD, &r) != MPI_SUCCESS)
        return -1;
    return exp_request_wait(&r, rank == 0 ? until : 0);
}
