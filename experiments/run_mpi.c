/*
 * run_mpi.c - the study under MPI: the coordinator's loop over its workers
 * (messages, deadlines, the drain after a signal) and the worker's loop.
 */
#include "experiments/coord.h"

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

void coord_send_empty(int worker, int tag)
{
    cJSON *m = cJSON_CreateObject();
    exp_wire_send(m, worker, tag, MPI_COMM_WORLD);
    cJSON_Delete(m);
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
        exp_wire_result_decode(m, &r);
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

int coord_loop_mpi(coord *c, int world)
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
        if (rc || c->n_run == 0 || exp_stop_signal)
            break;
        MPI_Status st;
        int timed_out = exp_wire_wait(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st,
                                      &exp_stop_signal, next_deadline(c));
        if (coord_batch_begin(c)) {
            rc = -1;
            break;
        }
        if (timed_out) {
            if (exp_stop_signal) {
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
    if (exp_stop_signal && rc == 0 && coord_drain(c, busy, world) == 0)
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

void exp_worker_loop(exp_objective *obj)
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
                               &exp_stop_signal, &r);
        } else {
            memset(&r, 0, sizeof r);
            r.state = TRK_FAIL;
            r.value = NAN;
            r.last_step = -1;
            snprintf(r.error, sizeof r.error, "the trial message carries no valid seed");
        }
        cJSON *res = exp_wire_result_encode(w.number, &r);
        exp_wire_send(res, 0, EXP_TAG_RESULT, MPI_COMM_WORLD);
        cJSON_Delete(res);
        exp_trial_result_clear(&r);
        cJSON_Delete(m);
    }
}

