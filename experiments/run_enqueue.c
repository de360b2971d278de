/*
 * run_enqueue.c - search.enqueue in the runner (experiments/run_enqueue.h).
 */
#include "experiments/run_enqueue.h"
#include "tracker/admin.h"
#include "tracker/query.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The optimizer value of JSON value v for parameter i (checked by the spec). */
static int json_value(const opt_space *space, int i, const cJSON *v, double *out, char err[256])
{
    char text[64];
    if (cJSON_IsString(v))
        return opt_value_parse(space, i, v->valuestring, out, err);
    if (cJSON_IsBool(v))
        snprintf(text, sizeof text, "%d", cJSON_IsTrue(v) ? 1 : 0);
    else
        snprintf(text, sizeof text, "%.17g", v->valuedouble);
    return opt_value_parse(space, i, text, out, err);
}

/* Marks done the configurations the study's stored runs are tagged with. */
static int read_done(exp_enqueue *q, trk_store *store, int64_t study_id, char err[256])
{
    trk_run_list runs = {0};
    trk_query all = {0};
    if (trk_runs_query(store, study_id, &all, &runs, err))
        return -1;
    int rc = 0;
    for (int r = 0; rc == 0 && r < runs.n; r++) {
        trk_kv *kv = NULL;
        int n = 0;
        if (trk_run_tags(store, runs.runs[r].id, &kv, &n, err)) {
            rc = -1;
            break;
        }
        for (int k = 0; k < n; k++) {
            if (strcmp(kv[k].key, "enqueued") != 0)
                continue;
            char *end;
            long i = strtol(kv[k].value, &end, 10);
            if (*end == '\0' && i >= 0 && i < q->n)
                q->done[i] = 1;
        }
        trk_kv_free(kv, n);
    }
    trk_run_list_free(&runs);
    return rc;
}

int exp_enqueue_init(exp_enqueue *q, const cJSON *list, const opt_space *space, trk_store *store,
                     int64_t study_id, char err[256])
{
    memset(q, 0, sizeof *q);
    int n = list ? cJSON_GetArraySize(list) : 0;
    if (n == 0)
        return 0;
    q->fixed = malloc(sizeof *q->fixed * (size_t)n);
    q->done = calloc((size_t)n, sizeof *q->done);
    if (!q->fixed || !q->done) {
        snprintf(err, 256, "search.enqueue: out of memory");
        exp_enqueue_free(q);
        return -1;
    }
    q->n = n;
    int c = 0;
    for (const cJSON *o = list->child; o; o = o->next, c++) {
        for (int i = 0; i < space->n; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, space->p[i].name);
            char e2[256];
            q->fixed[c][i] = NAN;
            if (v && json_value(space, i, v, &q->fixed[c][i], e2)) {
                snprintf(err, 256, "search.enqueue[%d].%s: %.180s", c, space->p[i].name, e2);
                exp_enqueue_free(q);
                return -1;
            }
        }
    }
    if (read_done(q, store, study_id, err)) {
        exp_enqueue_free(q);
        return -1;
    }
    return 0;
}

void exp_enqueue_free(exp_enqueue *q)
{
    free(q->fixed);
    free(q->done);
    memset(q, 0, sizeof *q);
}

int exp_enqueue_next(const exp_enqueue *q)
{
    for (int i = 0; i < q->n; i++)
        if (!q->done[i])
            return i;
    return -1;
}

int exp_enqueue_mark(exp_enqueue *q, int i, trk_store *store, int64_t run_id, char err[256])
{
    char idx[16];
    snprintf(idx, sizeof idx, "%d", i);
    trk_kv_in kv[] = {{"enqueued", idx}};
    if (trk_run_set_tags(store, run_id, kv, 1, err))
        return -1;
    q->done[i] = 1;
    return 0;
}
