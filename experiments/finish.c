/*
 * finish.c - the end of a study: the honest check on data the search never saw,
 * the stored result, and the summary a user reads.
 *
 * For the LSTM objective the best trial's parameters are refit on everything
 * before the holdout and evaluated on the holdout exactly once; the holdout
 * metrics (next to buy-and-hold and the Deflated Sharpe Ratio over all trials'
 * Sharpe ratios) and the model file become the study's result. Other objectives
 * store the best trial and its value. A multi-objective study stores its
 * Pareto front; the trial to refit is picked from it later (`best --pick`).
 */
#include "experiments/finish.h"

#include "experiments/cli.h"
#include "experiments/edge.h"
#include "experiments/moo.h"
#include "tracker/query.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The run of trial `number`; 0 when absent. */
static int64_t run_of_trial(trk_store *store, int64_t study_id, int number, trk_run *out,
                            char err[256])
{
    char filter[64];
    snprintf(filter, sizeof filter, "trial_number = %d", number);
    trk_query q = {filter, NULL, 0, 1};
    trk_run_list l = {0};
    if (trk_runs_query(store, study_id, &q, &l, err) || l.n == 0) {
        trk_run_list_free(&l);
        return 0;
    }
    *out = l.runs[0];
    memset(&l.runs[0], 0, sizeof l.runs[0]);
    trk_run_list_free(&l);
    return out->id;
}

/* The params of a stored run as the objective takes them (numbers where the
 * text is numeric, else strings). */
cJSON *exp_run_params_json(const trk_run *r)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; r && i < r->n_params; i++) {
        if (isfinite(r->params[i].num))
            cJSON_AddNumberToObject(o, r->params[i].key, r->params[i].num);
        else
            cJSON_AddStringToObject(o, r->params[i].key, r->params[i].value);
    }
    return o;
}

int exp_print_top_trials(FILE *out, trk_store *store, int64_t study_id,
                         const char *direction, int k, char err[256])
{
    trk_query q = {"state = 'COMPLETE'", "value", strcmp(direction, "maximize") == 0, k};
    trk_run_list l = {0};
    if (trk_runs_query(store, study_id, &q, &l, err))
        return -1;
    fprintf(out, "%-6s %-12s %s\n", "trial", "value", "params");
    for (int i = 0; i < l.n; i++) {
        char params[512] = "";
        size_t off = 0;
        for (int j = 0; j < l.runs[i].n_params && off < sizeof params - 1; j++)
            off += (size_t)snprintf(params + off, sizeof params - off, "%s%s=%s",
                                    j ? " " : "", l.runs[i].params[j].key,
                                    l.runs[i].params[j].value);
        if (strlen(params) > 58)
            strcpy(params + 55, "...");
        fprintf(out, "%-6d %-12.6g %s\n", l.runs[i].trial_number, l.runs[i].value, params);
    }
    if (l.n == 0)
        fprintf(out, "(no completed trial)\n");
    trk_run_list_free(&l);
    return 0;
}

static void print_holdout(FILE *out, const cJSON *result)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(result, "holdout");
    const cJSON *bh = cJSON_GetObjectItemCaseSensitive(result, "buy_and_hold");
    if (!cJSON_IsObject(h))
        return;
    fprintf(out, "\nholdout (never seen by the search):\n  %-16s %12s %12s\n", "metric",
            "model", "buy&hold");
    const cJSON *m;
    cJSON_ArrayForEach(m, h)
    {
        if (!cJSON_IsNumber(m))
            continue;
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(bh, m->string);
        if (cJSON_IsNumber(b))
            fprintf(out, "  %-16s %12.4f %12.4f\n", m->string, m->valuedouble, b->valuedouble);
        else
            fprintf(out, "  %-16s %12.4f %12s\n", m->string, m->valuedouble, "");
    }
    const cJSON *dsr = cJSON_GetObjectItemCaseSensitive(result, "deflated_sharpe");
    if (cJSON_IsNumber(dsr))
        fprintf(out, "  %-16s %12.4f   (P[true Sharpe > 0] after %d evaluated trials)\n",
                "deflated_sharpe", dsr->valuedouble,
                cJSON_GetObjectItemCaseSensitive(result, "n_trials")
                    ? cJSON_GetObjectItemCaseSensitive(result, "n_trials")->valueint : 0);
}

/* 1 (after saying so) when the study has finished trials and every one of them
 * is FAIL: a study that evaluated nothing did not succeed. */
static int all_failed(trk_store *store, int64_t study_id, const char *name)
{
    char err[256];
    trk_query q = {"state != 'FAIL' and state != 'RUNNING'", NULL, 0, 1};
    trk_run_list ok = {0};
    if (trk_runs_query(store, study_id, &q, &ok, err))
        return 0;
    int n_ok = ok.n;
    trk_run_list_free(&ok);
    trk_query qf = {"state = 'FAIL'", "trial_number", 1, 1};
    trk_run_list f = {0};
    if (n_ok || trk_runs_query(store, study_id, &qf, &f, err) || f.n == 0) {
        trk_run_list_free(&f);
        return 0;
    }
    exp_cli_error(name, "every trial failed; the last (trial %d): %s", f.runs[0].trial_number,
                  f.runs[0].error ? f.runs[0].error : "no reason recorded");
    trk_run_list_free(&f);
    return 1;
}

int exp_finish_study(const exp_finish_params *p)
{
    char err[256] = "";
    const exp_spec *spec = p->spec;
    int moo = spec->search.n_objectives > 1;
    double best_value = NAN;
    int best = p->pick >= 0 ? p->pick : moo ? -1 : opt_study_best(p->opt, &best_value);
    trk_run best_run;
    memset(&best_run, 0, sizeof best_run);
    int64_t best_run_id = best >= 0 ? run_of_trial(p->store, p->study_id, best, &best_run, err)
                                    : 0;
    if (p->pick >= 0)
        best_value = best_run.value;
    cJSON *result = NULL;
    int64_t model_id = 0;
    int code = EXP_EXIT_OK;

    if (best_run_id && spec->objective_kind == EXP_OBJECTIVE_LSTM) {
        cJSON *params = exp_run_params_json(&best_run);
        int n_sh = 0;
        double *sh = exp_edge_trial_sharpes(p->store, p->study_id, &n_sh, err);
        unsigned char *model = NULL;
        size_t model_len = 0;
        if (!p->quiet)
            fprintf(stderr, "seqtune: %s: refitting trial %d on all data before the holdout\n",
                    spec->name, best);
        if (exp_objective_holdout(p->obj, params, (uint64_t)best_run.seed, sh, n_sh, &result,
                                  &model, &model_len, err) && p->stop && *p->stop) {
            exp_cli_error(spec->name, "interrupted by signal %d during the refit of trial %d; "
                          "every trial is kept; %s", (int)*p->stop, best,
                          p->pick >= 0 ? "the study keeps its result" : "--resume refits");
            if (p->pick < 0)
                trk_study_set_status(p->store, p->study_id, TRK_STUDY_INTERRUPTED, err);
            code = EXP_EXIT_INTERRUPTED;
        } else if (!result) {
            exp_cli_error(spec->name, "holdout evaluation of trial %d: %s", best, err);
            code = EXP_EXIT_FAILED;
        } else if (trk_artifact_put(p->store, p->study_id, 0, "model", "model.stm", model,
                                    model_len, &model_id, err)) {
            exp_cli_error(spec->name, "storing the model: %s", err);
            code = EXP_EXIT_FAILED;
        }
        if (result && exp_edge_verdict(p->store, p->study_id, spec, result, err)) {
            exp_cli_error(spec->name, "the verdict: %s", err);
            code = EXP_EXIT_FAILED;
        }
        free(model);
        free(sh);
        cJSON_Delete(params);
    }
    if (code == EXP_EXIT_INTERRUPTED) {
        cJSON_Delete(result);
        trk_run_clear(&best_run);
        return code;
    }
    if (!result)
        result = cJSON_CreateObject();
    if (best_run_id) {
        cJSON_AddNumberToObject(result, "best_trial", best);
        cJSON_AddNumberToObject(result, "best_value", best_value);
        cJSON_AddItemToObject(result, "best_params", exp_run_params_json(&best_run));
    } else {
        cJSON_AddNullToObject(result, "best_trial");
    }
    if (moo && exp_moo_result_json(p->store, p->study_id, result, err)) {
        exp_cli_error(spec->name, "the Pareto front: %s", err);
        code = EXP_EXIT_FAILED;
    }
    if (moo && best_run_id) {
        cJSON_AddNumberToObject(result, "picked_trial", best);
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(result, "pareto_front"))
            if ((int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(f, "trial")) == best)
                cJSON_AddItemToObject(result, "best_values",
                                      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(f, "values"), 1));
    }
    cJSON_AddNumberToObject(result, "search_wall_s", p->wall_s);
    cJSON_AddNumberToObject(result, "coordinator_cpu_share",
                            p->wall_s > 0 ? p->coord_cpu_s / p->wall_s : 0);
    cJSON_AddNumberToObject(result, "workers", p->workers);
    char *text = cJSON_PrintUnformatted(result);
    if (code == EXP_EXIT_OK &&
        (trk_study_set_result(p->store, p->study_id, text, best_run_id, model_id, err) ||
         trk_study_set_status(p->store, p->study_id, TRK_STUDY_COMPLETE, err))) {
        exp_cli_error(spec->name, "storing the result: %s", err);
        code = EXP_EXIT_FAILED;
    }
    cJSON_free(text);

    if (!p->quiet && moo) {
        fprintf(stdout, "\nstudy '%s': ", spec->name);
        exp_moo_print_front(stdout, result, spec->name);
        if (best_run_id)
            fprintf(stdout, "\npicked trial: %d\n", best);
    } else if (!p->quiet) {
        fprintf(stdout, "\nstudy '%s': top trials (%s %s)\n", spec->name,
                exp_direction_name(spec->search.direction), spec->search.metric);
        exp_print_top_trials(stdout, p->store, p->study_id,
                             exp_direction_name(spec->search.direction), 5, err);
        if (best_run_id)
            fprintf(stdout, "\nbest trial: %d  value %.6g\n", best, best_value);
        else
            fprintf(stdout, "\nno trial completed: nothing to refit\n");
    }
    if (!p->quiet) {
        print_holdout(stdout, result);
        exp_edge_print_verdict(stdout, result);
        if (model_id)
            fprintf(stdout, "\nmodel stored: seqtune best --study %s --export MODEL_FILE\n",
                    spec->name);
    }
    cJSON_Delete(result);
    trk_run_clear(&best_run);
    if (code == EXP_EXIT_OK && all_failed(p->store, p->study_id, spec->name))
        code = EXP_EXIT_FAILED;
    return code;
}
