/*
 * best_pick.c - `seqtune best --study NAME --pick N`: the choice a
 * multi-objective study leaves to its user. Trial N of the study's Pareto front
 * goes through the end of a single-objective study (experiments/finish.c): it
 * is refit on everything before the holdout with the stored spec, evaluated on
 * the holdout once, given its verdict, and its model becomes the study's
 * model; the study's result (the front, the search figures) records the pick.
 * The candles must be the ones the study ran on (their fingerprint), and the
 * study's coordinator lock is held while the store is written, so a `run
 * --resume` of the same study cannot interleave.
 */
#include "experiments/best_pick.h"

#include "experiments/cli.h"
#include "experiments/finish.h"
#include "experiments/moo.h"
#include "experiments/objective_lstm.h"
#include "tracker/admin.h"
#include "tracker/query.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The search figures of the previous result, carried into the new one. */
static void search_figures(const cJSON *prev, exp_finish_params *fp)
{
    double wall = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(prev, "search_wall_s"));
    double share =
        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(prev, "coordinator_cpu_share"));
    double workers = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(prev, "workers"));
    fp->wall_s = isfinite(wall) ? wall : 0;
    fp->coord_cpu_s = isfinite(share) ? share * fp->wall_s : 0;
    fp->workers = isfinite(workers) ? (int)workers : 0;
}

/* The trials of the front a result lists, as "3, 7, 12" (for the refusal). */
static void front_list(const cJSON *result, char *out, size_t cap)
{
    size_t off = 0;
    const cJSON *p;
    out[0] = '\0';
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(result, "pareto_front"))
        if (off < cap)
            off += (size_t)snprintf(out + off, cap - off, "%s%d", off ? ", " : "",
                                    (int)cJSON_GetNumberValue(
                                        cJSON_GetObjectItemCaseSensitive(p, "trial")));
}

/* The stored candles are the ones the study ran on; 0, or -1 after a message. */
static int same_candles(trk_store *s, int64_t study_id, const exp_spec *spec,
                        const exp_data *data)
{
    char now[256], err[256];
    trk_kv *tags = NULL;
    int n = 0, rc = 0;
    if (exp_data_fingerprint(spec, data, now, err) ||
        trk_study_tags(s, study_id, &tags, &n, err)) {
        exp_cli_error("data.path", "%s", err);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (strcmp(tags[i].key, "data_fingerprint") == 0 && strcmp(tags[i].value, now) != 0) {
            exp_cli_error("data.path", "--pick: %.50s differs from the data the study ran on "
                          "(then %.64s...; now %.64s...)", spec->data.path, tags[i].value, now);
            rc = -1;
        }
    trk_kv_free(tags, n);
    return rc;
}

/* The stored spec of the study, checked as `run` checks it (its data file must
 * still be there). 0, or -1 after a message. */
static int stored_spec(trk_store *s, int64_t study_id, const char *name, exp_spec *spec)
{
    char *text = NULL, err[256];
    exp_errors errs = {0};
    if (trk_study_spec(s, study_id, &text, err)) {
        exp_cli_error(name, "%s", err);
        return -1;
    }
    int rc = exp_spec_parse(text, ".", 1, spec, &errs);
    for (int i = 0; rc && i < errs.n; i++)
        exp_cli_error(name, "the study's spec: %s", errs.msg[i]);
    exp_errors_free(&errs);
    free(text);
    return rc ? -1 : 0;
}

int exp_best_pick(const char *db_path, const char *study, int pick)
{
    char err[256];
    int code = EXP_EXIT_INPUT, lock = -1;
    trk_study_info info;
    memset(&info, 0, sizeof info);
    exp_spec spec;
    memset(&spec, 0, sizeof spec);
    char *result_text = NULL;
    cJSON *prev = NULL;
    exp_data *data = NULL;
    exp_objective *obj = NULL;
    int64_t best_run = 0, model_id = 0;
    trk_store *s = trk_store_open(db_path, 0, err);
    if (!s) {
        exp_cli_error(db_path, "%s", err);
        return EXP_EXIT_INPUT;
    }
    if (trk_study_get(s, study, &info, err) ||
        trk_study_result(s, info.id, &result_text, &best_run, &model_id, err)) {
        exp_cli_error(study, "%s", err);
        goto done;
    }
    if (!result_text || !(prev = cJSON_Parse(result_text))) {
        exp_cli_error(study, "the study has no result yet (status %s): finish it with "
                      "'seqtune run SPEC.json --resume'", info.status);
        goto done;
    }
    if (trk_study_lock(s, info.name, &lock, err)) {
        exp_cli_error(study, "%s", err);
        goto done;
    }
    if (stored_spec(s, info.id, study, &spec))
        goto done;
    if (spec.search.n_objectives < 2) {
        exp_cli_error("--pick", "study '%s' has one objective (%s): its best trial is the "
                      "choice, and `run` checked it already", study, spec.search.metric);
        goto done;
    }
    if (!exp_moo_on_front(prev, pick)) {
        char list[200];
        front_list(prev, list, sizeof list);
        exp_cli_error("--pick", "trial %d is not on the Pareto front of '%s' (its trials: %s)",
                      pick, study, list[0] ? list : "none");
        goto done;
    }
    if (exp_data_load(&spec, &data, err)) {
        exp_cli_error("data", "%s", err);
        goto done;
    }
    if (spec.objective_kind == EXP_OBJECTIVE_LSTM && same_candles(s, info.id, &spec, data))
        goto done;
    if (!(obj = exp_objective_new(&spec, data, err))) {
        exp_cli_error(study, "%s", err);
        goto done;
    }
    if (spec.objective_kind == EXP_OBJECTIVE_LSTM)
        fprintf(stderr, "seqtune: %s: refitting trial %d on all data before the holdout\n",
                study, pick);
    exp_finish_params fp = {&spec, s, info.id, NULL, obj, 1, 0, 0, 0, NULL, pick};
    search_figures(prev, &fp);
    code = exp_finish_study(&fp);
done:
    exp_objective_free(obj);
    exp_data_free(data);
    exp_spec_free(&spec);
    cJSON_Delete(prev);
    free(result_text);
    trk_study_info_clear(&info);
    if (lock >= 0)
        close(lock);
    trk_store_close(s);
    return code;
}
