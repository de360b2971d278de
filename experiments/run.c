/*
 * run.c - the study runner: the coordinator (rank 0), the workers (ranks 1..N-1)
 * and the single-process mode, around one coordinator state machine.
 *
 * A trial's life as the coordinator sees it:
 *
 *     opt_ask + trk_run_start ──► RUNNING ──REPORT(step)──► opt_report, pruner ──► DECISION
 *                                    │                                  (prune: worker stops)
 *                                    └──RESULT──► trk_run_finish + opt_tell ──► COMPLETE | PRUNED | FAIL
 *
 * Invariants: (1) only this file's coordinator writes the store during a study;
 * (2) a trial is RUNNING in the store before its parameters leave rank 0, so a
 * crash leaves it RUNNING and `--resume` marks it FAIL ("lost"); (3) the study
 * ends when exactly n_trials trials are finished (COMPLETE + PRUNED + FAIL,
 * counting those of earlier jobs), or at timeout_s, after which running trials
 * still finish; (4) waiting never spins (wire.h).
 *
 * Without an MPI launcher the same coordinator calls the objective in-process,
 * and its report callback answers the pruner directly.
 */
#include "experiments/run.h"
#include "experiments/study_setup.h"

#include "experiments/cli.h"
#include "experiments/edge.h"
#include "experiments/finish.h"
#include "experiments/objective.h"
#include "experiments/objective_lstm.h"
#include "experiments/spec.h"
#include "experiments/wire.h"
#include "optimizer/study.h"
#include "experiments/run_tags.h"
#include "experiments/run_deadline.h"
#include "experiments/run_repro.h"
#include "experiments/run_enqueue.h"
#include "experiments/run_warm.h"
#include "experiments/trial_params.h"
#include "optimizer/history.h"
#include "tracker/admin.h"
#include "tracker/query.h"
#include "tracker/sha256.h"
#include "tracker/store.h"
#include "tracker/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal = 0;

/* Seconds a worker gets past a trial's limit (plus a tenth of the limit) before
 * the coordinator gives up on it, and after a signal to answer. */

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* splitmix64: the per-trial seed from the study seed and the trial number. */
static uint64_t mix_seed(uint64_t seed, uint64_t number)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (number + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (z ^ (z >> 31)) & 0x7FFFFFFFFFFFFFFFull;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

/* ---- the coordinator ---------------------------------------------------------- */

typedef struct running_trial {
    int number;
    int64_t run_id;
    int worker;
    double started;
    double heard;             /* the last message from its worker (run_deadline.h) */
} running_trial;

typedef struct coord {
    int lock_fd;              /* flock'd while this process coordinates the study */
    const exp_spec *spec;
    trk_store *store;
    int64_t study_id;
    opt_space *space;
    opt_study *opt;
    uint64_t seed;
    int n_target;
    int n_finished, n_complete, n_pruned, n_fail;
    running_trial *run;
    int n_run, cap_run;
    double t0, deadline;
    int quiet, tty, progress_shown;
    exp_run_hosts hosts;      /* for the per-trial tags (run_tags.h) */
    int *lost;                /* MPI: per rank, 1 once it stopped answering */
    int n_lost;
    int drained;              /* MPI, after a signal: every live worker answered */
    int n_interrupted;        /* after a signal: trials the workers ended as interrupted */
    int exhausted;            /* the grid sampler has suggested every point */
    char data_fp[256];        /* the candles' fingerprint, read before the store opens */
    exp_deadlines dl;         /* how long to wait for a worker (run_deadline.h) */
    double slowest;           /* the longest finished trial of this run, seconds */
    exp_repro repro;          /* search.reproducible: the view (run_repro.h) */
    exp_enqueue enq;          /* search.enqueue (run_enqueue.h) */
    exp_warm warm;            /* search.warm_start: the history (run_warm.h) */
    int warm_not_found;
    char err[256];
} coord;

static running_trial *coord_find(coord *c, int number)
{
    for (int i = 0; i < c->n_run; i++)
        if (c->run[i].number == number)
            return &c->run[i];
    return NULL;
}

/* Asks the optimizer for a trial and records it RUNNING; *params_out (owned by
 * the caller, cJSON_Delete) gets its parameters. 0 ok, 1 when the sampler has
 * nothing new to suggest (c->exhausted), -1 with c->err. */
static int coord_start_trial(coord *c, int worker, int *number, uint64_t *seed,
                             cJSON **params_out)
{
    opt_trial_params p;
    int64_t run_id = 0;
    int eq = exp_enqueue_next(&c->enq);   /* enqueued configurations go first */
    const double *fixed = eq >= 0 ? c->enq.fixed[eq] : NULL;
    const exp_spec *sp = c->spec;
    int ask = sp->search.reproducible ? exp_repro_ask(&c->repro, c->opt, fixed, &p, c->err)
              : sp->search.warm_start
              ? exp_warm_ask(&c->warm, c->opt, sp->search.direction, &sp->search.sampler,
                             (unsigned long)c->seed, fixed, &p, c->err)
              : fixed ? opt_ask_fixed(c->opt, fixed, &p, c->err) : opt_ask(c->opt, &p, c->err);
    if (ask == OPT_EXHAUSTED) {
        /* Every grid point is tried: the study ends short of n_trials rather
         * than repeat points. */
        if (!c->exhausted && !c->quiet)
            fprintf(stderr, "seqtune: %s: %s; no more trials are started (n_trials %d)\n",
                    c->spec->name, c->err, c->n_target);
        c->exhausted = 1;
        return 1;
    }
    if (ask != 0)
        return -1;
    *seed = mix_seed(c->seed, (uint64_t)p.number);
    if (trk_run_start(c->store, c->study_id, p.number, worker, (int64_t)*seed, &run_id, c->err))
        return -1;
    if (exp_trial_params_log(c->store, run_id, c->space, &p, c->err) ||
        exp_run_tags_write(c->store, run_id, worker, *seed, &c->hosts, c->err) ||
        (eq >= 0 && exp_enqueue_mark(&c->enq, eq, c->store, run_id, c->err)))
        return -1;
    if (c->n_run == c->cap_run) {
        int cap = c->cap_run ? 2 * c->cap_run : 16;
        running_trial *r = realloc(c->run, sizeof *r * (size_t)cap);
        if (!r) {
            snprintf(c->err, 256, "out of memory");
            return -1;
        }
        c->run = r;
        c->cap_run = cap;
    }
    double now = exp_now();
    c->run[c->n_run++] = (running_trial){p.number, run_id, worker, now, now};
    *number = p.number;
    *params_out = exp_trial_params_json(c->space, &p, 0);
    return 0;
}

/* Logs a JSON object of name -> number as metric rows at `step` with keys
 * prefixed by `prefix`. */
static int log_metric_object(coord *c, int64_t run_id, const cJSON *obj, const char *prefix,
                             int64_t step)
{
    trk_metric_in rows[128];
    char keys[128][96];
    int n = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, obj)
    {
        if (!cJSON_IsNumber(m) || n == 128)
            continue;
        snprintf(keys[n], sizeof keys[n], "%s%s", prefix, m->string);
        rows[n] = (trk_metric_in){keys[n], step, m->valuedouble, 0};
        n++;
    }
    return n ? trk_run_log_metrics(c->store, run_id, rows, n, c->err) : 0;
}

/* Logs the epoch history of a fold: {"train_loss": [...], "val_loss": [...],
 * "lr": [...]} as metrics "fold<k>.<name>" with step = epoch. */
static int log_epochs(coord *c, int64_t run_id, int fold, const cJSON *epochs)
{
    const cJSON *series;
    cJSON_ArrayForEach(series, epochs)
    {
        int n = cJSON_GetArraySize(series);
        if (!cJSON_IsArray(series) || n == 0)
            continue;
        char key[96];
        snprintf(key, sizeof key, "fold%d.%s", fold, series->string);
        trk_metric_in *rows = malloc(sizeof *rows * (size_t)n);
        if (!rows)
            return -1;
        int k = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, series)
        {
            rows[k] = (trk_metric_in){key, k, cJSON_IsNumber(v) ? v->valuedouble : NAN, 0};
            k++;
        }
        int rc = trk_run_log_metrics(c->store, run_id, rows, n, c->err);
        free(rows);
        if (rc)
            return -1;
    }
    return 0;
}

/* An intermediate value: stored, told to the optimizer, judged by the pruner.
 * Returns 1 to prune, 0 to go on, -1 on a store error (c->err). */
static int coord_on_report(coord *c, int number, int step, double value, const cJSON *extra)
{
    running_trial *t = coord_find(c, number);
    if (!t)
        return 0;
    t->heard = exp_now();
    trk_metric_in row = {TRK_INTERMEDIATE_KEY, step, value, 0};
    if (trk_run_log_metrics(c->store, t->run_id, &row, 1, c->err))
        return -1;
    if (extra) {
        const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(extra, "metrics");
        const cJSON *epochs = cJSON_GetObjectItemCaseSensitive(extra, "epochs");
        if (metrics && log_metric_object(c, t->run_id, metrics, "fold.", step))
            return -1;
        if (epochs && log_epochs(c, t->run_id, step, epochs))
            return -1;
        if (exp_edge_oos_store(c->store, t->run_id, step, extra, c->err))   /* issue 15 */
            return -1;
    }
    char e[256];
    if (!isfinite(value) || opt_report(c->opt, number, step, value, e) != 0)
        return 0;
    return opt_should_prune(c->opt, number, step) == 1;
}

static void fmt_duration(double s, char *buf, size_t n)
{
    if (!isfinite(s) || s < 0) {
        snprintf(buf, n, "-");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

static void coord_progress(coord *c, int number, trk_state st, double value)
{
    if (c->quiet)
        return;
    double best;
    int best_n = opt_study_best(c->opt, &best);
    double el = exp_now() - c->t0;
    char elapsed[32], eta[32], bestbuf[64];
    fmt_duration(el, elapsed, sizeof elapsed);
    int left = c->n_target - c->n_finished;
    fmt_duration(c->n_finished ? el / c->n_finished * left : NAN, eta, sizeof eta);
    if (best_n >= 0)
        snprintf(bestbuf, sizeof bestbuf, "%.6g (#%d)", best, best_n);
    else
        snprintf(bestbuf, sizeof bestbuf, "-");
    if (c->tty) {
        fprintf(stderr, "\r\033[Ktrials %d/%d  running %d  pruned %d  failed %d  best %s  "
                "elapsed %s  eta %s", c->n_finished, c->n_target, c->n_run, c->n_pruned,
                c->n_fail, bestbuf, elapsed, eta);
        c->progress_shown = 1;
    } else {
        fprintf(stderr, "trial %d %s", number, trk_state_name(st));
        if (st != TRK_FAIL && isfinite(value))
            fprintf(stderr, " %.6g", value);
        fprintf(stderr, "  [%d/%d, best %s, %s elapsed]\n", c->n_finished, c->n_target,
                bestbuf, elapsed);
    }
    fflush(stderr);
}

/* A finished trial: stored durably, told to the optimizer, counted. */
static int coord_on_result(coord *c, int number, exp_trial_result *r)
{
    running_trial *t = coord_find(c, number);
    if (!t)
        return 0;
    if (r->metrics && log_metric_object(c, t->run_id, r->metrics, "", 0))
        return -1;
    double value = r->value;
    if (r->state == TRK_COMPLETE && !isfinite(value)) {
        r->state = TRK_FAIL;
        snprintf(r->error, sizeof r->error, "objective returned a non-finite value");
    }
    if (trk_run_finish(c->store, t->run_id, r->state,
                       r->state == TRK_FAIL ? NAN : value,
                       r->state == TRK_FAIL ? r->error : NULL, c->err))
        return -1;
    char e[256];
    opt_state os = r->state == TRK_COMPLETE ? OPT_COMPLETE
                   : r->state == TRK_PRUNED ? OPT_PRUNED : OPT_FAIL;
    if (opt_tell(c->opt, number, os, r->state == TRK_FAIL ? NAN : value, e) != 0 &&
        os != OPT_FAIL)
        opt_tell(c->opt, number, OPT_FAIL, NAN, e);
    c->n_finished++;
    if (r->state != TRK_FAIL && exp_now() - t->started > c->slowest)
        c->slowest = exp_now() - t->started;
    if (stop_signal && r->state == TRK_FAIL && strcmp(r->error, "interrupted") == 0)
        c->n_interrupted++;   /* a drained worker's answer (coord_drain) */
    if (r->state == TRK_COMPLETE)
        c->n_complete++;
    else if (r->state == TRK_PRUNED)
        c->n_pruned++;
    else
        c->n_fail++;
    *t = c->run[--c->n_run];
    coord_progress(c, number, r->state, value);
    return 0;
}

static int coord_may_start(const coord *c)
{
    if (stop_signal || c->exhausted)
        return 0;
    if (c->deadline > 0 && exp_now() >= c->deadline)
        return 0;
    if (c->spec->search.reproducible && !exp_repro_ready(&c->repro, c->opt))
        return 0;   /* a trial it would depend on is still running */
    return c->n_finished + c->n_run < c->n_target;
}

/* ---- single-process mode ------------------------------------------------------- */

typedef struct local_ctx {
    coord *c;
    int number;
    int failed;
} local_ctx;

static int local_report(void *ctx, int step, double value, const cJSON *extra)
{
    local_ctx *l = ctx;
    int d = coord_on_report(l->c, l->number, step, value, extra);
    if (d < 0) {
        l->failed = 1;
        return 1;
    }
    return d;
}

/* The coordinator's writes go in batches: one transaction (and one fsync) holds
 * every result that arrived together and the start of the trials that replace
 * them. A batch is committed before any new trial leaves rank 0, so a finished
 * trial is durable before anything depends on it and a trial is RUNNING in the
 * store before it runs (invariant 2). */
static int coord_batch_begin(coord *c)
{
    return trk_store_batch_begin(c->store, c->err) ? -1 : 0;
}

static int coord_batch_end(coord *c, int rc)
{
    char err[256];
    if (trk_store_batch_end(c->store, err) != 0 && rc == 0) {
        snprintf(c->err, 256, "%s", err);
        return -1;
    }
    return rc;
}

static int coord_loop_local(coord *c, exp_objective *obj)
{
    if (coord_batch_begin(c))
        return -1;
    int rc = 0;
    while (rc == 0 && coord_may_start(c)) {
        int number;
        uint64_t seed;
        cJSON *params = NULL;
        rc = coord_start_trial(c, 0, &number, &seed, &params);
        if (rc == 1)
            return coord_batch_end(c, 0);   /* nothing left to try */
        if (coord_batch_end(c, rc) != 0) {
            cJSON_Delete(params);
            return -1;
        }
        local_ctx l = {c, number, 0};
        exp_trial_result r;
        exp_objective_eval(obj, number, params, seed, local_report, &l, &stop_signal, &r);
        cJSON_Delete(params);
        if (coord_batch_begin(c)) {
            exp_trial_result_clear(&r);
            return -1;
        }
        if (l.failed)
            rc = -1;
        else if (stop_signal)
            ;   /* recorded as interrupted by the caller */
        else if (coord_on_result(c, number, &r))
            rc = -1;
        exp_trial_result_clear(&r);
        if (stop_signal)
            break;
    }
    return coord_batch_end(c, rc);
}

/* ---- MPI mode: coordinator ----------------------------------------------------- */

static int send_trial(int worker, int number, uint64_t seed, cJSON *params)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddNumberToObject(m, "number", number);
    /* A JSON number is a double: a 63-bit seed would arrive rounded. Decimal text
     * carries it exactly. */
    char text[24];
    snprintf(text, sizeof text, "%" PRIu64, seed);
    cJSON_AddStringToObject(m, "seed", text);
    cJSON_AddItemToObject(m, "params", params);
    int rc = exp_wire_send(m, worker, EXP_TAG_TRIAL, MPI_COMM_WORLD);
    cJSON_Delete(m);
    return rc;
}

static void send_empty(int worker, int tag)
{
    cJSON *m = cJSON_CreateObject();
    exp_wire_send(m, worker, tag, MPI_COMM_WORLD);
    cJSON_Delete(m);
}

/* Rebuilds a worker's RESULT message into an exp_trial_result. */
static void result_from_json(const cJSON *m, exp_trial_result *r)
{
    memset(r, 0, sizeof *r);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(m, "state");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "value");
    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(m, "last_step");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(m, "error");
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(m, "metrics");
    int s = cJSON_IsString(st) ? trk_state_parse(st->valuestring) : -1;
    r->state = s < 0 ? TRK_FAIL : (trk_state)s;
    r->value = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    r->last_step = cJSON_IsNumber(ls) ? ls->valueint : -1;
    snprintf(r->error, sizeof r->error, "%s", cJSON_IsString(e) ? e->valuestring : "");
    if (s < 0)
        snprintf(r->error, sizeof r->error, "worker sent no valid state");
    r->metrics = cJSON_IsObject(mt) ? cJSON_Duplicate(mt, 1) : NULL;
}

/* Handles one message from a worker (inside the open batch). */
static int coord_on_message(coord *c, const MPI_Status *st, int *busy)
{
    cJSON *m = exp_wire_recv(st, MPI_COMM_WORLD);
    const cJSON *num = cJSON_GetObjectItemCaseSensitive(m, "number");
    int number = cJSON_IsNumber(num) ? num->valueint : -1, rc = 0;
    if (st->MPI_TAG == EXP_TAG_REPORT) {
        const cJSON *step = cJSON_GetObjectItemCaseSensitive(m, "step");
        const cJSON *val = cJSON_GetObjectItemCaseSensitive(m, "value");
        int d = coord_on_report(c, number, cJSON_IsNumber(step) ? step->valueint : 0,
                                cJSON_IsNumber(val) ? val->valuedouble : NAN, m);
        cJSON *ans = cJSON_CreateObject();
        cJSON_AddBoolToObject(ans, "prune", d != 0);
        exp_wire_send(ans, st->MPI_SOURCE, EXP_TAG_DECISION, MPI_COMM_WORLD);
        cJSON_Delete(ans);
        rc = d < 0 ? -1 : 0;
    } else if (st->MPI_TAG == EXP_TAG_RESULT) {
        exp_trial_result r;
        result_from_json(m, &r);
        rc = coord_on_result(c, number, &r);
        exp_trial_result_clear(&r);
        if (!c->lost[st->MPI_SOURCE])
            busy[st->MPI_SOURCE] = 0;   /* a lost rank that wakes up gets nothing new */
    }
    cJSON_Delete(m);
    return rc;
}

/* A trial on its way to a worker once the batch that starts it is committed. */
typedef struct pending_send {
    int worker, number;
    uint64_t seed;
    cJSON *params;
} pending_send;

/* The coordinator's own deadline for a trial on a worker (run_deadline.h). */
static double trial_deadline(const coord *c, const running_trial *t)
{
    return exp_trial_deadline(&c->dl, t->started, t->heard, c->slowest);
}

/* The earliest deadline of the running trials (0: none). */
static double next_deadline(const coord *c)
{
    double d = 0;
    for (int i = 0; i < c->n_run; i++) {
        double t = trial_deadline(c, &c->run[i]);
        if (t > 0 && (d == 0 || t < d))
            d = t;
    }
    return d;
}

/* Trials whose worker did not answer by their deadline: FAIL, and that rank gets
 * no more work (a stopped process or a dead node may never answer again). */
static int coord_expire(coord *c, int *busy)
{
    double now = exp_now();
    for (int i = 0; i < c->n_run;) {
        running_trial *t = &c->run[i];
        double d = trial_deadline(c, t);
        if (d == 0 || now < d) {
            i++;
            continue;
        }
        int w = t->worker;
        exp_trial_result r;
        memset(&r, 0, sizeof r);
        r.state = TRK_FAIL;
        r.value = NAN;
        r.last_step = -1;
        exp_trial_deadline_reason(&c->dl, w, t->started, t->heard, c->slowest, r.error);
        fprintf(stderr, "seqtune: %s: trial %d: %s; rank %d gets no more trials\n",
                c->spec->name, t->number, r.error, w);
        if (coord_on_result(c, t->number, &r))   /* removes run[i] */
            return -1;
        c->lost[w] = 1;
        c->n_lost++;
        busy[w] = 1;
    }
    return 0;
}

/* After a signal: the workers that have a trial were signalled too (mpirun
 * forwards SIGINT/SIGTERM) and answer soon; their results are recorded, then
 * every live worker is told to stop, so that all ranks end normally with 130.
 * Returns 0 when every live worker answered, -1 when one did not in time. */
static int coord_drain(coord *c, int *busy, int world)
{
    double until = exp_now() + EXP_WORKER_GRACE_S;
    int rc = 0;
    for (;;) {
        int waiting = 0;
        for (int w = 1; w < world; w++)
            waiting += busy[w] && !c->lost[w];
        if (!waiting)
            break;
        MPI_Status st;
        if (exp_wire_wait(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st, NULL, until))
            return -1;
        if (coord_batch_begin(c))
            return -1;
        rc = coord_on_message(c, &st, busy);
        if (coord_batch_end(c, rc))
            return -1;
    }
    return 0;
}

static int coord_loop_mpi(coord *c, int world)
{
    int *busy = calloc((size_t)world, sizeof *busy);  /* 1 while a worker has a trial */
    pending_send *out = calloc((size_t)world, sizeof *out);
    c->lost = calloc((size_t)world, sizeof *c->lost);
    int rc = 0;
    if (!busy || !out || !c->lost || coord_batch_begin(c)) {
        free(busy);
        free(out);
        return -1;
    }
    for (;;) {
        int n_out = 0;
        for (int w = 1; rc == 0 && w < world && coord_may_start(c); w++) {
            if (busy[w])
                continue;
            pending_send *p = &out[n_out];
            int st = coord_start_trial(c, w, &p->number, &p->seed, &p->params);
            if (st == 1)
                break;   /* nothing left to try */
            if (st) {
                rc = -1;
                break;
            }
            p->worker = w;
            n_out++;
            busy[w] = 1;
        }
        rc = coord_batch_end(c, rc);
        for (int i = 0; i < n_out; i++) {
            if (rc == 0)
                send_trial(out[i].worker, out[i].number, out[i].seed, out[i].params);
            else
                cJSON_Delete(out[i].params);
        }
        if (rc || c->n_run == 0 || stop_signal)
            break;
        MPI_Status st;
        int timed_out = exp_wire_wait(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st,
                                      &stop_signal, next_deadline(c));
        if (coord_batch_begin(c)) {
            rc = -1;
            break;
        }
        if (timed_out) {
            if (stop_signal) {
                rc = coord_batch_end(c, 0);
                break;
            }
            rc = coord_expire(c, busy);
            continue;
        }
        /* Every message already here joins the batch. */
        int more = 1;
        while (rc == 0 && more) {
            rc = coord_on_message(c, &st, busy);
            MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &more, &st);
        }
    }
    if (stop_signal && rc == 0 && coord_drain(c, busy, world) == 0)
        c->drained = 1;
    free(busy);
    free(out);
    return rc;
}

/* ---- MPI mode: worker ------------------------------------------------------------ */

typedef struct worker_ctx {
    int number;
} worker_ctx;

static int worker_report(void *ctx, int step, double value, const cJSON *extra)
{
    worker_ctx *w = ctx;
    cJSON *m = extra ? cJSON_Duplicate(extra, 1) : cJSON_CreateObject();
    cJSON_AddNumberToObject(m, "number", w->number);
    cJSON_AddNumberToObject(m, "step", step);
    cJSON_AddNumberToObject(m, "value", value);
    exp_wire_send(m, 0, EXP_TAG_REPORT, MPI_COMM_WORLD);
    cJSON_Delete(m);
    MPI_Status st;
    exp_wire_wait(0, EXP_TAG_DECISION, MPI_COMM_WORLD, &st, NULL, 0);
    cJSON *ans = exp_wire_recv(&st, MPI_COMM_WORLD);
    int prune = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ans, "prune"));
    cJSON_Delete(ans);
    return prune;
}

/* The seed of a TRIAL message: whole decimal text of an unsigned 64-bit value. */
static int wire_seed_parse(const cJSON *v, uint64_t *out)
{
    if (!cJSON_IsString(v) || v->valuestring[0] < '0' || v->valuestring[0] > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v->valuestring, &end, 10);
    if (errno || *end)
        return -1;
    *out = (uint64_t)x;
    return 0;
}

static void worker_loop(exp_objective *obj)
{
    for (;;) {
        MPI_Status st;
        exp_wire_wait(0, MPI_ANY_TAG, MPI_COMM_WORLD, &st, NULL, 0);
        cJSON *m = exp_wire_recv(&st, MPI_COMM_WORLD);
        if (st.MPI_TAG != EXP_TAG_TRIAL) {
            cJSON_Delete(m);
            return;
        }
        const cJSON *num = cJSON_GetObjectItemCaseSensitive(m, "number");
        const cJSON *seed = cJSON_GetObjectItemCaseSensitive(m, "seed");
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(m, "params");
        worker_ctx w = {cJSON_IsNumber(num) ? num->valueint : -1};
        exp_trial_result r;
        uint64_t trial_seed = 0;
        if (wire_seed_parse(seed, &trial_seed) == 0) {
            exp_objective_eval(obj, w.number, params, trial_seed, worker_report, &w,
                               &stop_signal, &r);
        } else {
            memset(&r, 0, sizeof r);
            r.state = TRK_FAIL;
            r.value = NAN;
            r.last_step = -1;
            snprintf(r.error, sizeof r.error, "the trial message carries no valid seed");
        }
        cJSON *res = cJSON_CreateObject();
        cJSON_AddNumberToObject(res, "number", w.number);
        cJSON_AddStringToObject(res, "state", trk_state_name(r.state));
        if (isfinite(r.value))
            cJSON_AddNumberToObject(res, "value", r.value);
        cJSON_AddNumberToObject(res, "last_step", r.last_step);
        if (r.state == TRK_FAIL)
            cJSON_AddStringToObject(res, "error", r.error);
        if (r.metrics) {
            cJSON_AddItemToObject(res, "metrics", r.metrics);
            r.metrics = NULL;
        }
        exp_wire_send(res, 0, EXP_TAG_RESULT, MPI_COMM_WORLD);
        cJSON_Delete(res);
        exp_trial_result_clear(&r);
        cJSON_Delete(m);
    }
}

/* ---- set-up shared by both modes ------------------------------------------------- */

static int build_study(const exp_spec *spec, const opt_space *space, uint64_t seed,
                       opt_study **out, char err[256])
{
    opt_pruner_config none;   /* reproducible: pruning would depend on timing */
    opt_pruner_config_default(&none, OPT_PRUNER_NONE);
    *out = opt_study_new(space, spec->search.direction, &spec->search.sampler,
                         spec->search.reproducible ? &none : &spec->search.pruner,
                         (unsigned long)seed, err);
    return *out ? 0 : -1;
}

/* Replays every trial of the stored study into the optimizer (resume). */
static int replay_store(coord *c)
{
    trk_run_list runs = {0};
    trk_intermediate *im = NULL;
    int n_im = 0, rc = -1;
    trk_query q = {0};
    if (trk_runs_query(c->store, c->study_id, &q, &runs, c->err))
        goto done;
    if (trk_study_intermediates(c->store, c->study_id, &im, &n_im, c->err))
        goto done;
    int k = 0;
    for (int i = 0; i < runs.n; i++) {
        const trk_run *r = &runs.runs[i];
        opt_trial_params p;
        if (exp_trial_params_from_run(c->space, r, &p, c->err))
            goto done;
        while (k < n_im && im[k].trial_number < r->trial_number)
            k++;
        int k0 = k;
        while (k < n_im && im[k].trial_number == r->trial_number)
            k++;
        int n_steps = k - k0;
        int steps[n_steps > 0 ? n_steps : 1];
        double vals[n_steps > 0 ? n_steps : 1];
        for (int s = 0; s < n_steps; s++) {
            steps[s] = (int)im[k0 + s].step;
            vals[s] = im[k0 + s].value;
        }
        opt_state st = r->state;
        opt_trial_record rec = {r->trial_number, st, r->value, &p, n_steps, steps, vals};
        if (opt_study_replay(c->opt, &rec, c->err))
            goto done;
        if (st != OPT_RUNNING) {
            c->n_finished++;
            c->n_complete += st == OPT_COMPLETE;
            c->n_pruned += st == OPT_PRUNED;
            c->n_fail += st == OPT_FAIL;
        }
    }
    rc = 0;
done:
    trk_run_list_free(&runs);
    free(im);
    return rc;
}

/* The study seed: the spec's, else the one recorded by the first job, else new. */
static uint64_t study_seed(const exp_spec *spec, trk_store *store, int64_t study_id)
{
    if (spec->search.has_seed)
        return (uint64_t)spec->search.seed;
    trk_kv *tags = NULL;
    int n = 0;
    char err[256];
    uint64_t seed = 0;
    int found = 0;
    if (trk_study_tags(store, study_id, &tags, &n, err) == 0) {
        for (int i = 0; i < n; i++)
            if (strcmp(tags[i].key, "sampler_seed") == 0) {
                seed = strtoull(tags[i].value, NULL, 10);
                found = 1;
            }
        trk_kv_free(tags, n);
    }
    if (!found) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = mix_seed((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20), (uint64_t)getpid()) %
               1000000007ull;
    }
    return seed;
}

/*
 * Rank 0 shares the outcome of its set-up, the canonical spec text and the packed
 * data with every rank (MPI_Bcast); workers parse the spec without touching any
 * file. Returns 0, or -1 with err (then every rank has *code != 0).
 */
static int exp_data_share(int *code, char **spec_text, exp_data **data, exp_spec *spec,
                          int rank, double until, char err[256])
{
    /* Rank 0's waits end at the start-up bound (run_deadline.h): a worker that
     * stopped after it reported ready would hold a collective up for ever. */
#define BCAST(b, n, t) if (exp_bcast_bounded(b, n, t, rank, until)) goto timeout
    BCAST(code, 1, MPI_INT);
    if (*code)
        return 0;
    /* "spec_dir\0spec_text": workers resolve relative program paths like rank 0. */
    long dlen = rank == 0 ? (long)strlen(spec->spec_dir ? spec->spec_dir : ".") : 0;
    long len = rank == 0 ? dlen + 1 + (long)strlen(*spec_text) : 0;
    BCAST(&len, 1, MPI_LONG);
    BCAST(&dlen, 1, MPI_LONG);
    char *msg = malloc((size_t)len + 1);
    if (!msg)
        MPI_Abort(MPI_COMM_WORLD, EXP_EXIT_FAILED);
    if (rank == 0) {
        memcpy(msg, spec->spec_dir ? spec->spec_dir : ".", (size_t)dlen + 1);
        memcpy(msg + dlen + 1, *spec_text, (size_t)(len - dlen - 1));
    }
    if (exp_bcast_bounded(msg, (int)len, MPI_CHAR, rank, until)) {
        free(msg);
        goto timeout;
    }
    msg[len] = '\0';
    if (rank != 0) {
        exp_errors errs = {0};
        *spec_text = strdup(msg + dlen + 1);
        if (!*spec_text || exp_spec_parse(*spec_text, msg, 0, spec, &errs)) {
            snprintf(err, 256, "rank %d cannot parse the spec: %s", rank,
                     errs.n ? errs.msg[0] : "?");
            exp_errors_free(&errs);
            MPI_Abort(MPI_COMM_WORLD, EXP_EXIT_FAILED);
        }
    }
    free(msg);
    double *buf = NULL;
    long n = 0;
    if (rank == 0 && exp_data_pack(*data, &buf, &n))
        MPI_Abort(MPI_COMM_WORLD, EXP_EXIT_FAILED);
    if (exp_bcast_bounded(&n, 1, MPI_LONG, rank, until))
        goto timeout_buf;
    if (rank != 0 && n > 0 && !(buf = malloc(sizeof *buf * (size_t)n)))
        MPI_Abort(MPI_COMM_WORLD, EXP_EXIT_FAILED);
    for (long off = 0; off < n; off += 1L << 26) {
        long part = n - off < (1L << 26) ? n - off : (1L << 26);
        if (exp_bcast_bounded(buf + off, (int)part, MPI_DOUBLE, rank, until))
            goto timeout_buf;
    }
    if (rank != 0 && n > 0 && exp_data_unpack(buf, n, data, err)) {
        free(buf);
        MPI_Abort(MPI_COMM_WORLD, EXP_EXIT_FAILED);
    }
    free(buf);
    return 0;
timeout_buf:
    free(buf);
timeout:
    snprintf(err, 256, "start-up: the broadcast of the spec and the candles did not complete "
             "within the start-up bound");
    return -1;
#undef BCAST
}

/* Study tags the report reads: the data file and range, the fold layout and
 * the number of workers. Failures here only lose report details. */
static void study_describe(coord *c, const exp_spec *spec, const exp_data *data,
                           const exp_objective *obj, int workers)
{
    char err[256], buf[64];
    snprintf(buf, sizeof buf, "%d", workers);
    trk_study_set_tag(c->store, c->study_id, "workers", buf, err);
    if (spec->objective_kind != EXP_OBJECTIVE_LSTM)
        return;
    double first, last;
    int rows;
    exp_data_range(data, &first, &last, &rows);
    trk_study_set_tag(c->store, c->study_id, "data_file", spec->data.path, err);
    snprintf(buf, sizeof buf, "%.0f", first);
    trk_study_set_tag(c->store, c->study_id, "data_start", buf, err);
    snprintf(buf, sizeof buf, "%.0f", last);
    trk_study_set_tag(c->store, c->study_id, "data_end", buf, err);
    char *layout = exp_objective_layout(obj, err);
    if (layout)
        trk_study_set_tag(c->store, c->study_id, "fold_layout", layout, err);
    free(layout);
}

static int launched_by_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") ||
           getenv("PMI_SIZE");
}

/*
 * A launcher that started several tasks of this step while MPI sees a world of
 * one: `srun` without a PMI plugin (Slurm's default MpiDefault is none) starts
 * independent copies, each of which would try to coordinate the study alone.
 * 0, or -1 with err naming the fix.
 */
static int launch_check(int world, char err[256])
{
    const char *tasks = getenv("SLURM_STEP_NUM_TASKS");
    long n = tasks ? strtol(tasks, NULL, 10) : 0;
    if (world > 1 || n <= 1)
        return 0;
    snprintf(err, 256, "srun started %ld tasks but MPI sees a world of 1 (no PMI): launch "
             "with `srun --mpi=pmix` (or `mpirun` inside the allocation)", n);
    return -1;
}

/*
 * One coordinator per study: an exclusive flock on <artifact root>/<study name>.lock
 * (the kernel releases it when the process ends, even by SIGKILL). A second
 * `seqtune run --resume` while the first job still runs is refused instead of
 * two coordinators writing the same trials. 0, or -1 with err.
 */
static int study_lock(coord *c, const char *name, char err[256])
{
    char path[4096];
    const char *root = trk_store_artifact_root(c->store);
    if (mkdir(root, 0755) != 0 && errno != EEXIST) {
        snprintf(err, 256, "%.200s: %s", root, strerror(errno));
        return -1;
    }
    trk_study_lock_path(c->store, name, path, sizeof path); /* any name: see admin.h */
    c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (c->lock_fd < 0) {
        snprintf(err, 256, "%.200s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "?";
        ssize_t n = pread(c->lock_fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 1] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        snprintf(err, 256, "study '%.100s' is being run by another seqtune process (pid %s); "
                 "stop it first", name, pid);
        return -1;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(c->lock_fd, 0) != 0 || pwrite(c->lock_fd, pid, (size_t)len, 0) != len) {
        snprintf(err, 256, "%.200s: cannot write the lock", path);
        return -1;
    }
    return 0;
}

/*
 * The candles' fingerprint: "rows <n> (<first>..<last>), <bytes> bytes, sha256 <hex>".
 * A resumed study must train on the candles it started with. 0, or -1 with err.
 */
static int data_fingerprint(const exp_spec *spec, const exp_data *data, char out[256],
                            char err[256])
{
    FILE *f = fopen(spec->data.path, "rb");
    if (!f) {
        snprintf(err, 256, "%.200s: %s", spec->data.path, strerror(errno));
        return -1;
    }
    trk_sha256 h;
    trk_sha256_init(&h);
    unsigned char buf[1 << 16];
    size_t n;
    long long bytes = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        trk_sha256_update(&h, buf, n);
        bytes += (long long)n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, 256, "%.200s: read error", spec->data.path);
        return -1;
    }
    uint8_t digest[32];
    char hex[65];
    trk_sha256_final(&h, digest);
    trk_sha256_to_hex(digest, hex);
    double first, last;
    int rows;
    exp_data_range(data, &first, &last, &rows);
    snprintf(out, 256, "rows %d (%.0f..%.0f), %lld bytes, sha256 %s", rows, first, last, bytes,
             hex);
    return 0;
}

/* Records the data fingerprint with a new study; on resume, refuses candles
 * that differ from the recorded ones (studies from before the fingerprint get
 * it recorded now). 0, or -1 with err. */
static int data_check(coord *c, const exp_spec *spec, const exp_data *data, int existed,
                      char err[256])
{
    (void)data;
    if (spec->objective_kind != EXP_OBJECTIVE_LSTM)
        return 0;
    const char *now = c->data_fp;
    trk_kv *tags = NULL;
    int n = 0;
    const char *then = NULL;
    if (existed && trk_study_tags(c->store, c->study_id, &tags, &n, err))
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(tags[i].key, "data_fingerprint") == 0)
            then = tags[i].value;
    int rc = 0;
    if (then && strcmp(then, now) != 0) {
        snprintf(err, 256, "--resume: %.50s differs from the data the study started on "
                 "(then %.64s...; now %.64s...)", spec->data.path, then, now);
        rc = -1;
    } else if (!then) {
        rc = trk_study_set_tag(c->store, c->study_id, "data_fingerprint", now, err) ? -1 : 0;
    }
    trk_kv_free(tags, n);
    return rc;
}

/* How long `run` waits for a store locked by another program: $SEQTUNE_LOCK_WAIT_S
 * seconds (a positive number), else TRK_WAIT_DEFAULT_S. */
static double lock_wait_s(void)
{
    const char *e = getenv("SEQTUNE_LOCK_WAIT_S");
    char *end;
    double v = e ? strtod(e, &end) : 0;
    return e && end != e && *end == '\0' && v > 0 && v < 1e7 ? v : TRK_WAIT_DEFAULT_S;
}

static void lock_notice(void *ctx, const char *path, double limit_s)
{
    (void)ctx;
    fprintf(stderr, "seqtune: %s: waiting for a lock held by another program (another "
            "writer of the store); giving up after %g s (SEQTUNE_LOCK_WAIT_S), Ctrl-C stops\n",
            path, limit_s);
}

/* Rank 0 (or the only process): everything up to the first trial. Exit code on
 * failure, 0 when the coordinator is ready. */
/* Loads the spec and its data, then opens the store and the study: bad data is
 * refused before the store is created or a study row is written. */
/* Loads the warm-start history (before the study is opened: a bad name leaves
 * no trace in the store). 0 ok, -1 with the error shown. */
static int coord_warm_open(coord *c, const exp_spec *spec)
{
    const char *other = spec->search.warm_start;
    if (strcmp(other, spec->name) == 0) {
        c->warm_not_found = 1;
        exp_cli_error(spec->name, "search.warm_start.study: a study cannot warm-start from itself");
        return -1;
    }
    if (exp_warm_load(&c->warm, c->store, other, c->space, &c->warm_not_found, c->err)) {
        exp_cli_error(spec->name, "%s", c->err);
        return -1;
    }
    return 0;
}

/* Records the history as the study tag warm_start and says so. */
static int coord_warm_tag(coord *c, const exp_spec *spec, int quiet)
{
    const char *other = spec->search.warm_start;
    char tag[512];
    snprintf(tag, sizeof tag, "%s: %d finished trial(s) as history, %d dropped (a parameter "
             "missing or outside this space)", other, c->warm.n, c->warm.n_dropped);
    if (trk_study_set_tag(c->store, c->study_id, "warm_start", tag, c->err)) {
        exp_cli_error(spec->name, "%s", c->err);
        return -1;
    }
    if (!quiet)
        fprintf(stderr, "seqtune: %s: warm start from %s\n", spec->name, tag);
    return 0;
}

static int coord_open(coord *c, const exp_run_options *opt, exp_spec *spec, char **spec_text,
                      exp_data **data, exp_objective **obj)
{
    exp_errors errs = {0};
    if (exp_spec_load(opt->spec_path, spec, &errs)) {
        for (int i = 0; i < errs.n; i++)
            exp_cli_error(opt->spec_path, "%s", errs.msg[i]);
        exp_errors_free(&errs);
        return EXP_EXIT_INPUT;
    }
    if (opt->n_trials > 0)
        spec->search.n_trials = opt->n_trials;
    *spec_text = exp_spec_to_string(spec, 0);
    c->spec = spec;
    c->n_target = spec->search.n_trials;
    if (exp_spec_space(spec, &c->space, c->err)) {
        exp_cli_error(opt->spec_path, "search.space: %s", c->err);
        return EXP_EXIT_INPUT;
    }
    if (exp_data_load(spec, data, c->err)) {
        exp_cli_error("data", "%s", c->err);
        return EXP_EXIT_INPUT;
    }
    /* Everything that can refuse the run is checked before the store is opened:
     * a refused run leaves no study behind (no RUNNING study with no trials
     * that blocks the name). */
    *obj = exp_objective_new(spec, *data, c->err);
    if (!*obj) {
        exp_cli_error(spec->name, "%s", c->err);
        return EXP_EXIT_INPUT;
    }
    opt_study *probe = NULL;
    if (build_study(spec, c->space, 1, &probe, c->err)) {
        exp_cli_error(opt->spec_path, "search: %s", c->err);
        return EXP_EXIT_INPUT;
    }
    opt_study_free(probe);
    if (spec->search.warm_start && access(opt->db_path, F_OK) != 0) {
        /* a new store holds no study to warm-start from: say so, create nothing */
        exp_cli_error(spec->name, "search.warm_start.study: no study '%s' in this store "
                      "(%s does not exist yet)", spec->search.warm_start, opt->db_path);
        return EXP_EXIT_INPUT;
    }
    if (spec->objective_kind == EXP_OBJECTIVE_LSTM) {
        /* Some trial can run (the folds fit at the smallest seq_len; larger
         * ones that do not fit fail as trials), and the candles can be read for
         * their fingerprint. */
        if (exp_objective_fits(*obj, c->err)) {
            exp_cli_error(opt->spec_path, "%s", c->err);
            return EXP_EXIT_INPUT;
        }
        if (data_fingerprint(spec, *data, c->data_fp, c->err)) {
            exp_cli_error("data.path", "%s", c->err);
            return EXP_EXIT_INPUT;
        }
    }
    trk_wait_opts wait = {lock_wait_s(), &stop_signal, lock_notice, NULL};
    c->store = trk_store_open_wait(opt->db_path, TRK_CREATE, &wait, c->err);
    if (!c->store) {
        exp_cli_error(opt->db_path, "%s", c->err);
        return stop_signal ? EXP_EXIT_INTERRUPTED : EXP_EXIT_INPUT;
    }
    if (study_lock(c, spec->name, c->err)) {
        exp_cli_error(spec->name, "%s", c->err);
        return EXP_EXIT_INPUT;
    }
    if (spec->search.warm_start && coord_warm_open(c, spec))
        return c->warm_not_found ? EXP_EXIT_INPUT : EXP_EXIT_FAILED;
    int existed = 0;
    int rc = trk_study_open(c->store, spec->name, *spec_text,
                            exp_direction_name(spec->search.direction),
                            opt->resume ? TRK_RESUME : 0, &c->study_id, &existed, c->err);
    if (rc) {
        exp_cli_error(spec->name, "%s", c->err);
        return EXP_EXIT_INPUT;
    }
    if (data_check(c, spec, *data, existed, c->err)) {
        exp_cli_error("data.path", "%s", c->err);
        return EXP_EXIT_INPUT;
    }
    if (existed) {
        int lost = 0;
        if (trk_study_fail_running(c->store, c->study_id, "lost", &lost, c->err)) {
            exp_cli_error(spec->name, "%s", c->err);
            return EXP_EXIT_FAILED;
        }
        if (lost && !opt->quiet)
            fprintf(stderr, "seqtune: %s: %d trial(s) left running by an earlier job "
                    "recorded as FAIL (lost)\n", spec->name, lost);
    }
    c->seed = study_seed(spec, c->store, c->study_id);
    char seedbuf[32];
    snprintf(seedbuf, sizeof seedbuf, "%" PRIu64, c->seed);
    if (trk_study_set_tag(c->store, c->study_id, "sampler_seed", seedbuf, c->err) ||
        build_study(spec, c->space, c->seed, &c->opt, c->err)) {
        exp_cli_error(spec->name, "%s", c->err);
        return EXP_EXIT_FAILED;
    }
    if (existed && replay_store(c)) {
        exp_cli_error(spec->name, "resume: %s", c->err);
        return EXP_EXIT_FAILED;
    }
    if (exp_enqueue_init(&c->enq, spec->search.enqueue, c->space, c->store, c->study_id,
                         c->err)) {
        exp_cli_error(spec->name, "%s", c->err);
        return EXP_EXIT_FAILED;
    }
    if (spec->search.warm_start && coord_warm_tag(c, spec, opt->quiet))
        return EXP_EXIT_FAILED;
    if (spec->search.reproducible &&
        exp_repro_init(&c->repro, c->space, spec->search.direction, &spec->search.sampler,
                       (unsigned long)c->seed, spec->search.reproducible_lag,
                       spec->search.warm_start ? &c->warm : NULL, c->err)) {
        exp_cli_error(spec->name, "%s", c->err);
        return EXP_EXIT_FAILED;
    }
    if (spec->search.reproducible && spec->search.pruner.kind != OPT_PRUNER_NONE)
        fprintf(stderr, "seqtune: %s: search.reproducible: the %s pruner is off (its decisions "
                "would depend on which trials finished first)\n", spec->name,
                opt_pruner_kind_name(spec->search.pruner.kind));
    return 0;
}

static void coord_close(coord *c)
{
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    exp_run_hosts_free(&c->hosts);
    exp_repro_free(&c->repro);
    exp_enqueue_free(&c->enq);
    exp_warm_free(&c->warm);
    opt_study_free(c->opt);
    opt_space_free(c->space);
    trk_store_close(c->store);
    free(c->run);
    free(c->lost);
}

/* Start-up, phase 1: every worker says it has the spec and the candles. When one
 * does not by the start-up bound (or the broadcast timed out), rank 0 names it,
 * leaves the study INTERRUPTED with no trial, and ends the job (exit 3). */
static void startup_confirm(coord *c, int rank, int world, int shared, double until,
                            char err[256])
{
    if (rank != 0) {
        exp_startup_ready(1);
        return;
    }
    int w = shared ? -1 : exp_startup_wait(world, 1, until, &stop_signal, err);
    if (w == 0)
        return;
    if (w == 1)
        snprintf(err, 256, "start-up: interrupted by signal %d", (int)stop_signal);
    if (shared)   /* name the ranks that did not get the data */
        exp_startup_wait(world, 1, exp_now() + 0.5, NULL, err);
    exp_cli_error(c->spec->name, "%s; no trial was started, the study is INTERRUPTED "
                  "(--resume goes on)", err);
    trk_study_set_status(c->store, c->study_id, TRK_STUDY_INTERRUPTED, err);
    coord_close(c);
    fflush(NULL);
    MPI_Abort(MPI_COMM_WORLD, EXP_EXIT_FAILED);
}

/* Records the trials that were running when a signal came, and the study state. */
static void coord_interrupted(coord *c)
{
    int n = 0;
    char err[256];
    trk_study_fail_running(c->store, c->study_id, "interrupted", &n, err);
    n += c->n_interrupted;   /* the ones the workers answered for themselves */
    trk_study_set_status(c->store, c->study_id, TRK_STUDY_INTERRUPTED, err);
    if (c->progress_shown)
        fputc('\n', stderr);
    fprintf(stderr, "seqtune: %s: interrupted by signal %d; %d finished trial(s) kept, "
            "%d running trial(s) recorded as FAIL (interrupted); continue with --resume\n",
            c->spec->name, (int)stop_signal, c->n_finished - c->n_interrupted, n);
}

int exp_run_main(const exp_run_options *opt)
{
    int mpi = launched_by_mpi();
    int rank = 0, world = 1;
    install_signals();
    exp_deadlines dl;
    exp_deadlines_init(&dl, 0);
    double startup_until = 0;
    char start_err[256];
    if (mpi && exp_startup_init(&rank, &world, &dl, &stop_signal, &startup_until, start_err)) {
        /* nothing is in the store yet: end the job, stopped rank and all */
        exp_cli_error("run", "%s", start_err);
        fflush(NULL);
        MPI_Abort(MPI_COMM_WORLD, EXP_EXIT_FAILED);
    }
    char launch_err[256];
    if (launch_check(world, launch_err)) {
        const char *procid = getenv("SLURM_PROCID");
        if (!procid || strcmp(procid, "0") == 0)
            exp_cli_error("run", "%s", launch_err);
        if (mpi)
            MPI_Finalize();
        return EXP_EXIT_INPUT;
    }
    int code = 0;
    exp_spec spec;
    memset(&spec, 0, sizeof spec);
    coord c;
    memset(&c, 0, sizeof c);
    c.lock_fd = -1;
    char *spec_text = NULL;
    exp_data *data = NULL;
    exp_objective *obj = NULL;
    char err[256] = "";

    if (rank == 0) {
        code = coord_open(&c, opt, &spec, &spec_text, &data, &obj);
    }
    c.dl = dl;
    c.dl.trial_limit_s = spec.trial_timeout_s > 0 ? spec.trial_timeout_s : 0;
    startup_until = exp_now() + dl.startup_s;   /* rank 0's set-up took its own time */
    int shared = mpi ? exp_data_share(&code, &spec_text, &data, &spec, rank, startup_until, err) : 0;
    if (mpi && code == 0 && world > 1)
        startup_confirm(&c, rank, world, shared, startup_until, err);
    if (code)
        goto out;
    if (exp_run_hosts_gather(&c.hosts, mpi, rank, world, &spec, spec_text, err)) {
        exp_cli_error(spec.name, "%s", err);
        code = EXP_EXIT_FAILED;
        goto out;
    }
    if (rank != 0)
        obj = exp_objective_new(&spec, data, err);
    if (!obj) {
        if (rank == 0)
            exp_cli_error(spec.name, "%s", err);
        code = EXP_EXIT_INPUT;
        goto out;   /* every rank fails the same way on the same spec */
    }
    if (rank != 0) {
        worker_loop(obj);
        MPI_Status st;
        exp_wire_wait(0, EXP_TAG_FINISH, MPI_COMM_WORLD, &st, NULL, 0);
        cJSON_Delete(exp_wire_recv(&st, MPI_COMM_WORLD));
        code = stop_signal ? EXP_EXIT_INTERRUPTED : EXP_EXIT_OK;
        goto out;
    }

    study_describe(&c, &spec, data, obj, mpi ? world - 1 : 1);
    c.quiet = opt->quiet;
    c.tty = isatty(2);
    c.t0 = exp_now();
    c.deadline = spec.search.timeout_s > 0 ? c.t0 + spec.search.timeout_s : 0;
    if (!opt->quiet)
        fprintf(stderr, "seqtune: study '%s': %d trial(s) to run (%d already finished), "
                "%s, %d worker(s), store %s\n", spec.name,
                c.n_target > c.n_finished ? c.n_target - c.n_finished : 0, c.n_finished,
                exp_sampler_name(spec.search.sampler.kind), mpi ? world - 1 : 1, opt->db_path);
    if (spec.search.reproducible && mpi && world - 1 > spec.search.reproducible_lag)
        fprintf(stderr, "seqtune: %s: search.reproducible_lag %d < %d workers: at most %d "
                "trials run at once\n", spec.name, spec.search.reproducible_lag, world - 1,
                spec.search.reproducible_lag);
    double cpu0 = cpu_seconds();
    int rc = mpi && world > 1 ? coord_loop_mpi(&c, world) : coord_loop_local(&c, obj);
    double wall = exp_now() - c.t0, cpu = cpu_seconds() - cpu0;
    if (c.progress_shown && !stop_signal)
        fputc('\n', stderr);
    if (stop_signal && rc == 0) {
        coord_interrupted(&c);
        code = EXP_EXIT_INTERRUPTED;
        if (mpi && world > 1 && (!c.drained || c.n_lost)) {
            coord_close(&c);
            MPI_Abort(MPI_COMM_WORLD, EXP_EXIT_INTERRUPTED);
        }
        /* every rank ends normally with 130 (mpirun passes that on) */
        for (int w = 1; mpi && w < world; w++) {
            send_empty(w, EXP_TAG_STOP);
            send_empty(w, EXP_TAG_FINISH);
        }
        goto out;
    }
    for (int w = 1; mpi && w < world; w++)
        if (!c.lost || !c.lost[w])
            send_empty(w, EXP_TAG_STOP);
    if (rc) {
        exp_cli_error(spec.name, "%s", c.err);
        trk_study_fail_running(c.store, c.study_id, c.err, NULL, err);
        trk_study_set_status(c.store, c.study_id, TRK_STUDY_INTERRUPTED, err);
        code = EXP_EXIT_FAILED;
        if (mpi)
            MPI_Abort(MPI_COMM_WORLD, EXP_EXIT_FAILED);
    } else {
        char share[32];
        snprintf(share, sizeof share, "%.4f", wall > 0 ? cpu / wall : 0);
        trk_study_set_tag(c.store, c.study_id, "coordinator_cpu_share", share, err);
        exp_finish_params fp = {&spec, c.store, c.study_id, c.opt, obj, opt->quiet,
                                mpi ? world - 1 : 1, wall, cpu, &stop_signal};
        exp_objective_set_stop(obj, &stop_signal);
        code = exp_finish_study(&fp);
        if (code == EXP_EXIT_OK && stop_signal)
            code = EXP_EXIT_INTERRUPTED;   /* the result is stored; the signal is still news */
    }
    if (c.n_lost) {
        exp_cli_error(spec.name, "%d worker(s) stopped answering; their trials are FAIL and "
                      "the study finished on the others (exit %d)", c.n_lost, EXP_EXIT_FAILED);
        if (code == EXP_EXIT_OK)
            code = EXP_EXIT_FAILED;
        /* MPI_Finalize waits for every rank, the lost ones too: end the job here. */
        coord_close(&c);
        fflush(NULL);
        MPI_Abort(MPI_COMM_WORLD, code);
    }
    for (int w = 1; mpi && w < world; w++)
        send_empty(w, EXP_TAG_FINISH);
out:
    exp_objective_free(obj);
    exp_data_free(data);
    int wrote = rank == 0 && c.store && c.study_id > 0 && code != EXP_EXIT_INPUT;
    coord_close(&c);
    if (wrote && trk_store_verify(opt->db_path, err)) {
        /* The close checkpointed the WAL into the database: what is on disk now
         * is all there is. */
        exp_cli_error(opt->db_path, "the store cannot be read back after the study (%s): its "
                      "-wal file was truncated or removed, or the disk lost writes, while the "
                      "study ran. Recover from a backup copy of the store (with its -wal "
                      "file), or run the study again into a new store", err);
        code = EXP_EXIT_FAILED;
    }
    exp_spec_free(&spec);
    free(spec_text);
    if (mpi)
        MPI_Finalize();
    return code;
}

/* ---- the same set-up for ask/tell from outside (experiments/study_setup.h) ---- */

int exp_study_setup(const exp_spec *spec, trk_store *store, int64_t study_id,
                    opt_space **space, opt_study **opt, uint64_t *seed, char err[256])
{
    coord c;
    memset(&c, 0, sizeof c);
    c.store = store;
    c.study_id = study_id;
    *space = NULL;
    *opt = NULL;
    if (exp_spec_space(spec, &c.space, err))
        return -1;
    c.seed = study_seed(spec, store, study_id);
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, c.seed);
    int rc = trk_study_set_tag(store, study_id, "sampler_seed", buf, err) ||
             build_study(spec, c.space, c.seed, &c.opt, err) || replay_store(&c);
    if (rc && c.err[0])
        snprintf(err, 256, "%s", c.err);
    *space = c.space;
    *opt = c.opt;
    *seed = c.seed;
    return rc ? -1 : 0;
}

uint64_t exp_trial_seed(uint64_t study_seed, int number)
{
    return mix_seed(study_seed, (uint64_t)number);
}
