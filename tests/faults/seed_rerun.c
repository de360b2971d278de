/*
 * seed_rerun.c - re-runs one stored trial from its stored seed, in this process,
 * and checks that it gives the stored value bit for bit (issue 14, item 1).
 *
 * usage: seed_rerun SPEC.json DB TRIAL_NUMBER
 * Loads the spec and its candles, reads the trial's parameters, seed and value
 * from the store (read-only), evaluates the objective with that seed and prints
 * "stored S recomputed R seed N". Exit 0 when the bits agree, 1 otherwise.
 */
#include "experiments/objective.h"
#include "experiments/spec.h"
#include "tracker/query.h"
#include "tracker/store.h"
#include "trainer/blas.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    tr_blas_pick_kernel(argv);   /* the kernels seqtune ran the trials with */
    if (argc != 4) {
        fprintf(stderr, "usage: seed_rerun SPEC.json DB TRIAL_NUMBER\n");
        return 2;
    }
    char err[256] = "";
    exp_spec spec;
    exp_errors errs = {0};
    memset(&spec, 0, sizeof spec);
    if (exp_spec_load(argv[1], &spec, &errs)) {
        fprintf(stderr, "seed_rerun: %s: %s\n", argv[1], errs.n ? errs.msg[0] : "?");
        return 2;
    }
    trk_store *store = trk_store_open(argv[2], TRK_READONLY, err);
    int64_t study_id = 0;
    if (!store || trk_study_find(store, spec.name, &study_id, err)) {
        fprintf(stderr, "seed_rerun: %s: %s\n", argv[2], err);
        return 2;
    }
    char filter[64];
    snprintf(filter, sizeof filter, "trial_number = %d", atoi(argv[3]));
    trk_query q = {filter, NULL, 0, 1};
    trk_run_list l = {0};
    if (trk_runs_query(store, study_id, &q, &l, err) || l.n != 1) {
        fprintf(stderr, "seed_rerun: trial %s: %s\n", argv[3], l.n ? err : "not found");
        return 2;
    }
    const trk_run *r = &l.runs[0];
    cJSON *params = cJSON_CreateObject();
    for (int i = 0; i < r->n_params; i++) {
        if (isfinite(r->params[i].num))
            cJSON_AddNumberToObject(params, r->params[i].key, r->params[i].num);
        else
            cJSON_AddStringToObject(params, r->params[i].key, r->params[i].value);
    }
    exp_data *data = NULL;
    exp_objective *obj = NULL;
    if (exp_data_load(&spec, &data, err) || !(obj = exp_objective_new(&spec, data, err))) {
        fprintf(stderr, "seed_rerun: %s\n", err);
        return 2;
    }
    exp_trial_result res;
    exp_objective_eval(obj, r->trial_number, params, (uint64_t)r->seed, NULL, NULL, NULL, &res);
    printf("stored %.17g recomputed %.17g seed %" PRId64 " state %s\n", r->value, res.value,
           r->seed, trk_state_name(res.state));
    int same = res.state == r->state && memcmp(&res.value, &r->value, sizeof res.value) == 0;
    exp_trial_result_clear(&res);
    cJSON_Delete(params);
    exp_objective_free(obj);
    exp_data_free(data);
    trk_run_list_free(&l);
    trk_store_close(store);
    exp_spec_free(&spec);
    return same ? 0 : 1;
}
