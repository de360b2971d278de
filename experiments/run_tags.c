/*
 * run_tags.c - the runner's per-trial tags (experiments/run_tags.h): host names
 * gathered once over MPI, then five tags per trial in one store transaction.
 */
#include "experiments/run_tags.h"
#include "tracker/admin.h"
#include "tracker/sha256.h"

#include <inttypes.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int exp_run_hosts_gather(exp_run_hosts *h, int mpi, int rank, int world, const exp_spec *spec,
                         const char *spec_text, char err[256])
{
    memset(h, 0, sizeof *h);
    char me[MPI_MAX_PROCESSOR_NAME + 1] = "";
    int len = 0;
    if (mpi)
        MPI_Get_processor_name(me, &len);
    else if (gethostname(me, sizeof me - 1) != 0)
        snprintf(me, sizeof me, "?");
    char *all = NULL;
    int n = mpi ? world : 1;
    if (rank == 0 && !(all = calloc((size_t)n, sizeof me))) {
        snprintf(err, 256, "host names: out of memory");
        return -1;
    }
    if (mpi)
        MPI_Gather(me, (int)sizeof me, MPI_CHAR, all, (int)sizeof me, MPI_CHAR, 0, MPI_COMM_WORLD);
    else
        memcpy(all, me, sizeof me);
    if (rank != 0)
        return 0;
    h->name = calloc((size_t)n, sizeof *h->name);
    for (int i = 0; h->name && i < n; i++) {
        all[(size_t)i * sizeof me + sizeof me - 1] = '\0';
        h->name[i] = strdup(all + (size_t)i * sizeof me);
    }
    free(all);
    h->n = n;
    uint8_t d[32];
    trk_sha256 sh;
    trk_sha256_init(&sh);
    trk_sha256_update(&sh, spec_text, strlen(spec_text));
    trk_sha256_final(&sh, d);
    char hex[65];
    trk_sha256_to_hex(d, hex);
    snprintf(h->spec_hash, sizeof h->spec_hash, "%.16s", hex);
    if (spec->objective_kind == EXP_OBJECTIVE_BUILTIN)
        snprintf(h->objective, sizeof h->objective, "builtin:%.80s",
                 spec->objective.builtin ? spec->objective.builtin : "?");
    else
        snprintf(h->objective, sizeof h->objective, "%s",
                 spec->objective_kind == EXP_OBJECTIVE_COMMAND ? "command" : "lstm");
    return h->name ? 0 : -1;
}

void exp_run_hosts_free(exp_run_hosts *h)
{
    for (int i = 0; h->name && i < h->n; i++)
        free(h->name[i]);
    free(h->name);
    memset(h, 0, sizeof *h);
}

int exp_run_tags_write(trk_store *s, int64_t run_id, int worker, uint64_t seed,
                       const exp_run_hosts *h, char err[256])
{
    char w[16], sd[32];
    snprintf(w, sizeof w, "%d", worker);
    snprintf(sd, sizeof sd, "%" PRIu64, seed);
    const char *host = h->name && worker >= 0 && worker < h->n && h->name[worker]
                       ? h->name[worker] : h->name && h->n == 1 ? h->name[0] : "?";
    trk_kv_in kv[] = {{"worker", w}, {"host", host}, {"seed", sd},
                      {"objective", h->objective[0] ? h->objective : "?"},
                      {"spec_hash", h->spec_hash[0] ? h->spec_hash : "?"}};
    return trk_run_set_tags(s, run_id, kv, 5, err);
}
