/*
 * run_enqueue.h - the runner's side of search.enqueue: the configurations as
 * optimizer values, which of them a trial has run (tag `enqueued` = the
 * configuration's index, also read back on --resume), and the next one due.
 */
#ifndef EXP_RUN_ENQUEUE_H
#define EXP_RUN_ENQUEUE_H

#include "optimizer/space.h"
#include "tracker/store.h"

#include <cjson/cJSON.h>

typedef struct exp_enqueue {
    int n;
    double (*fixed)[OPT_MAX_PARAMS];  /* per configuration, space order; NaN = sampled */
    int *done;                        /* 1 once a trial of the study ran it */
} exp_enqueue;

/* From the spec's checked list (NULL: none) over space; the study's runs tagged
 * `enqueued` mark theirs done. 0 ok, -1 and err. */
int exp_enqueue_init(exp_enqueue *q, const cJSON *list, const opt_space *space, trk_store *store,
                     int64_t study_id, char err[256]);
void exp_enqueue_free(exp_enqueue *q);
/* The index of the first configuration not run yet, or -1. */
int exp_enqueue_next(const exp_enqueue *q);
/* Tags run_id as configuration i's trial and marks it done. 0 ok, -1 and err. */
int exp_enqueue_mark(exp_enqueue *q, int i, trk_store *store, int64_t run_id, char err[256]);

#endif
