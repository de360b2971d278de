/*
 * run_tags.h - the tags the study runner writes on every trial it starts, so that
 * runs are queryable by where and how they ran (`--filter "tags.host = 'n1'"`,
 * `trials --columns tags.host`): worker (rank), host (the worker's processor
 * name), seed (the trial's seed, exact), objective (lstm, command, builtin:NAME)
 * and spec_hash (first 16 hex digits of the sha256 of the canonical spec text).
 */
#ifndef EXP_RUN_TAGS_H
#define EXP_RUN_TAGS_H

#include "experiments/spec.h"
#include "tracker/store.h"

#include <stdint.h>

typedef struct exp_run_hosts {
    char **name;   /* name[rank]; world entries */
    int n;
    char spec_hash[17];
    char objective[96];
} exp_run_hosts;

/*
 * Every rank calls this once after the spec is shared: under MPI rank 0 gathers
 * the processor name of each rank (MPI_Gather), without MPI it records its own
 * host name. Rank 0 also notes the spec's hash and objective kind. 0, or -1 with
 * err. Free with exp_run_hosts_free.
 */
int exp_run_hosts_gather(exp_run_hosts *h, int mpi, int rank, int world, const exp_spec *spec,
                         const char *spec_text, char err[256]);
void exp_run_hosts_free(exp_run_hosts *h);

/* Writes the five runner tags of a new trial in one transaction. */
int exp_run_tags_write(trk_store *s, int64_t run_id, int worker, uint64_t seed,
                       const exp_run_hosts *h, char err[256]);

#endif
