/*
 * wire.c - JSON messages over MPI and a wait that sleeps instead of spinning
 * (Open MPI's blocking receive busy-polls a core; a coordinator that waits for
 * minutes must not), and the codec of a trial's RESULT.
 */
#include "experiments/wire.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

/*
 * Replaces every number in `j` by its shortest exact decimal text ("%.17g", a
 * raw item). cJSON prints a double with 15 digits whenever that reads back
 * within an epsilon of it, so the last bits of a trial's value would change on
 * the way to rank 0; 17 significant digits always read back as the same double.
 * Non-finite numbers become null, as cJSON prints them.
 */
static int exact_numbers(cJSON *j)
{
    cJSON *next;
    for (cJSON *c = j ? j->child : NULL; c; c = next) {
        next = c->next;
        if (cJSON_IsNumber(c)) {
            char text[40];
            if (isfinite(c->valuedouble))
                snprintf(text, sizeof text, "%.17g", c->valuedouble);
            else
                snprintf(text, sizeof text, "null");
            cJSON *raw = cJSON_CreateRaw(text);
            if (raw) {   /* the key moves to the replacement (ViaPointer keeps none) */
                raw->string = c->string;
                raw->type |= c->type & cJSON_StringIsConst;
                c->string = NULL;
            }
            if (!raw || !cJSON_ReplaceItemViaPointer(j, c, raw)) {
                cJSON_Delete(raw);
                return -1;
            }
        } else if (exact_numbers(c)) {
            return -1;
        }
    }
    return 0;
}

int exp_wire_send(const cJSON *msg, int dest, int tag, MPI_Comm comm)
{
    cJSON *copy = cJSON_Duplicate(msg, 1);
    char *text = copy && exact_numbers(copy) == 0 ? cJSON_PrintUnformatted(copy) : NULL;
    cJSON_Delete(copy);
    if (!text)
        return -1;
    int rc = MPI_Send(text, (int)strlen(text), MPI_CHAR, dest, tag, comm);
    cJSON_free(text);
    return rc == MPI_SUCCESS ? 0 : -1;
}

int exp_wire_wait(int source, int tag, MPI_Comm comm, MPI_Status *status,
                  volatile sig_atomic_t *stop, double deadline_s)
{
    /* Linux rounds every sleep up by the timer slack (50 us by default), which
     * would put a floor under each message round trip; ask for 1 us. */
    static int slack_set = 0;
    if (!slack_set) {
        prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
        slack_set = 1;
    }
    long sleep_ns = 10 * 1000, slept = 0;
    /* A reply that is already on its way arrives within microseconds: probe
     * without sleeping for the first 50 us. */
    double spin_until = exp_now() + 50e-6;
    for (;;) {
        int flag = 0;
        MPI_Iprobe(source, tag, comm, &flag, status);
        if (flag)
            return 0;
        if (exp_now() >= spin_until)
            break;
    }
    for (;;) {
        int flag = 0;
        MPI_Iprobe(source, tag, comm, &flag, status);
        if (flag)
            return 0;
        if (stop && *stop)
            return 1;
        if (deadline_s > 0 && exp_now() >= deadline_s)
            return 1;
        struct timespec ts = {0, sleep_ns};
        nanosleep(&ts, NULL);
        slept += sleep_ns;
        /* Replies to a message come within a few ms (instant trials, pruning
         * decisions): poll every 250 us for the first 20 ms of a wait, then back
         * off to 2 ms, so that a long wait (trials that take seconds) costs
         * under 2 % of a core even with dozens of peers to probe. */
        if (sleep_ns < (slept < 20L * 1000 * 1000 ? 250L * 1000 : 2L * 1000 * 1000))
            sleep_ns *= 2;
    }
}

cJSON *exp_wire_recv(const MPI_Status *status, MPI_Comm comm)
{
    int n = 0;
    MPI_Get_count(status, MPI_CHAR, &n);
    char *buf = malloc((size_t)n + 1);
    if (!buf)
        return NULL;
    MPI_Status st;
    MPI_Recv(buf, n, MPI_CHAR, status->MPI_SOURCE, status->MPI_TAG, comm, &st);
    buf[n] = '\0';
    cJSON *msg = cJSON_ParseWithLength(buf, (size_t)n);
    free(buf);
    return msg;
}

cJSON *exp_wire_result_encode(int number, exp_trial_result *r)
{
    cJSON *res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "number", number);
    cJSON_AddStringToObject(res, "state", trk_state_name(r->state));
    if (isfinite(r->value))
        cJSON_AddNumberToObject(res, "value", r->value);
    if (r->n_values > 0)
        cJSON_AddItemToObject(res, "values", cJSON_CreateDoubleArray(r->values, r->n_values));
    cJSON_AddNumberToObject(res, "last_step", r->last_step);
    if (r->state == TRK_FAIL)
        cJSON_AddStringToObject(res, "error", r->error);
    if (r->metrics) {
        cJSON_AddItemToObject(res, "metrics", r->metrics);
        r->metrics = NULL;
    }
    return res;
}

void exp_wire_result_decode(const cJSON *m, exp_trial_result *r)
{
    memset(r, 0, sizeof *r);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(m, "state");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "value");
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(m, "values");
    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(m, "last_step");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(m, "error");
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(m, "metrics");
    int s = cJSON_IsString(st) ? trk_state_parse(st->valuestring) : -1;
    r->state = s < 0 ? TRK_FAIL : (trk_state)s;
    r->value = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    r->last_step = cJSON_IsNumber(ls) ? ls->valueint : -1;
    int n = cJSON_IsArray(vs) ? cJSON_GetArraySize(vs) : 0;
    for (int k = 0; k < n && k < OPT_MAX_OBJECTIVES; k++) {
        const cJSON *x = cJSON_GetArrayItem(vs, k);
        r->values[k] = cJSON_IsNumber(x) ? x->valuedouble : NAN;   /* null: not finite */
    }
    r->n_values = n < OPT_MAX_OBJECTIVES ? n : OPT_MAX_OBJECTIVES;
    snprintf(r->error, sizeof r->error, "%s", cJSON_IsString(e) ? e->valuestring : "");
    if (s < 0)
        snprintf(r->error, sizeof r->error, "worker sent no valid state");
    r->metrics = cJSON_IsObject(mt) ? cJSON_Duplicate(mt, 1) : NULL;
}
