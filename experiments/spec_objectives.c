/*
 * spec_objectives.c - search.metrics and search.directions: a multi-objective
 * study, whose trials report 2-4 metrics at once and whose result is the Pareto
 * front of them, instead of search.metric and search.direction.
 *
 * The rows come after metric and direction in the search section's field table
 * (spec_fields.c) and exclude them. A multi-objective spec samples with motpe,
 * nsga2 or random (nsga2 when search.sampler is left out, as Optuna's default
 * for several directions) and does not prune: no pruner compares trials on
 * several objectives, so search.pruner is none by default and any other pruner
 * is refused. Each direction must agree with its LSTM metric's natural one, as
 * search.direction must. metrics[0] and directions[0] also fill search.metric
 * and search.direction: the first objective is the trial's `value` (the store's
 * runs.value, the per-fold pruning value).
 */
#include "experiments/spec.h"
#include "experiments/spec_internal.h"

#include "optimizer/testfuncs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const direction_names[] = {"minimize", "maximize", NULL};

int exp_spec_n_objectives(const exp_spec *s)
{
    return s->search.n_objectives > 1 ? s->search.n_objectives : 1;
}

const char *exp_spec_objective_name(const exp_spec *s, int k)
{
    return s->search.n_objectives > 1 ? s->search.metrics[k] : s->search.metric;
}

opt_direction exp_spec_objective_direction(const exp_spec *s, int k)
{
    return s->search.n_objectives > 1 ? s->search.directions[k] : s->search.direction;
}

/* The number of objectives objective.builtin returns (1 for other objectives). */
static int builtin_objectives(const exp_spec *s)
{
    const opt_testfunc *f = s->objective_kind == EXP_OBJECTIVE_BUILTIN && s->objective.builtin
                                ? opt_testfunc_find(s->objective.builtin) : NULL;
    return f ? opt_testfunc_n_objectives(f) : 1;
}

/* A multi-objective spec's sampler (motpe, nsga2, random; nsga2 when left out)
 * and pruner (none). */
static void check_sampler_pruner(ctx *c, const cJSON *sr, exp_spec *s)
{
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(sr, "sampler");
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(sr, "pruner");
    opt_sampler_kind k = s->search.sampler.kind;
    if (!sv) {
        opt_sampler_config_default(&s->search.sampler, OPT_SAMPLER_NSGA2);
    } else if (k != OPT_SAMPLER_MOTPE && k != OPT_SAMPLER_NSGA2 && k != OPT_SAMPLER_RANDOM) {
        const cJSON *nm = cJSON_IsObject(sv) ? cJSON_GetObjectItemCaseSensitive(sv, "name") : sv;
        exp_rd_expect(c, cJSON_IsObject(sv) ? "search.sampler.name" : "search.sampler",
                      "one of motpe, nsga2, random for a multi-objective study (search.metrics)",
                      nm);
    }
    if (!pv) {
        opt_pruner_config_default(&s->search.pruner, OPT_PRUNER_NONE);
    } else if (s->search.pruner.kind != OPT_PRUNER_NONE) {
        const cJSON *nm = cJSON_IsObject(pv) ? cJSON_GetObjectItemCaseSensitive(pv, "name") : pv;
        exp_rd_expect(c, cJSON_IsObject(pv) ? "search.pruner.name" : "search.pruner",
                      "\"none\" for a multi-objective study (no pruner compares trials on "
                      "several objectives)", nm);
    }
}

/* Each name of the array m: an LSTM metric, or any plain name for the other
 * objectives; distinct. Returns the number of good names (all or error). */
static int read_names(ctx *c, const cJSON *m, int n, exp_spec *s, char *names[])
{
    int good = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *it = cJSON_GetArrayItem(m, i);
        char p[64];
        snprintf(p, sizeof p, "search.metrics[%d]", i);
        const char *name = NULL;
        if (c->lstm) {
            int k = exp_rd_check_metric(c, it, p, s);
            name = k >= 0 ? exp_metric_names[k] : NULL;
        } else if (!cJSON_IsString(it) || !exp_rd_good_name(it->valuestring)) {
            exp_rd_expect(c, p, "a name of letters, digits, '_', '-', '.'", it);
        } else {
            name = it->valuestring;
        }
        for (int j = 0; name && j < i; j++)
            if (names[j] && strcmp(names[j], name) == 0) {
                exp_errors_add(c->errs, "%s: expected each metric once, got \"%s\" twice", p,
                               name);
                name = NULL;
            }
        names[i] = name ? strdup(name) : NULL;
        good += names[i] != NULL;
    }
    return good;
}

void exp_rd_read_metrics(ctx *c, const cJSON *sr, const char *path, const field *f, exp_spec *s)
{
    (void)path;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(sr, f->key);
    int want = builtin_objectives(s);
    if (!m) {
        if (want > 1)
            exp_errors_add(c->errs, "search.metrics: expected %d objective names for "
                           "objective.builtin %s (it returns %d objectives), got nothing",
                           want, s->objective.builtin, want);
        return;
    }
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(sr, "metric");
    const cJSON *dir = cJSON_GetObjectItemCaseSensitive(sr, "direction");
    if (one)
        exp_rd_expect(c, "search.metric", "no search.metric beside search.metrics (one or "
                      "the other)", one);
    if (dir)
        exp_rd_expect(c, "search.direction", "no search.direction beside search.metrics (use "
                      "search.directions)", dir);
    if (s->objective_kind == EXP_OBJECTIVE_COMMAND) {
        exp_rd_expect(c, "search.metrics", "search.metric with objective.command (a program "
                      "reports one final value)", m);
        return;
    }
    int n = cJSON_IsArray(m) ? cJSON_GetArraySize(m) : 0;
    if (n < 2 || n > OPT_MAX_OBJECTIVES) {
        char e[96];
        snprintf(e, sizeof e, "an array of 2 to %d metric names", OPT_MAX_OBJECTIVES);
        exp_rd_expect(c, "search.metrics", e, m);
        return;
    }
    if (s->objective_kind == EXP_OBJECTIVE_BUILTIN && n != want) {
        char e[160];
        snprintf(e, sizeof e, "%d name%s (objective.builtin %s returns %d objective%s)", want,
                 want > 1 ? "s" : "", s->objective.builtin ? s->objective.builtin : "?", want,
                 want > 1 ? "s" : "");
        exp_rd_expect(c, "search.metrics", e, m);
        return;
    }
    char *names[OPT_MAX_OBJECTIVES] = {0};
    if (read_names(c, m, n, s, names) < n) {
        for (int i = 0; i < n; i++)
            free(names[i]);
        return;
    }
    s->search.n_objectives = n;
    for (int i = 0; i < n; i++)
        s->search.metrics[i] = names[i];
    free(s->search.metric);
    s->search.metric = strdup(names[0]);
    check_sampler_pruner(c, sr, s);
}

void exp_rd_print_metrics(cJSON *o, const field *f, const exp_spec *s)
{
    if (s->search.n_objectives < 2)
        return;
    cJSON *a = cJSON_AddArrayToObject(o, f->key);
    for (int i = 0; a && i < s->search.n_objectives; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(s->search.metrics[i]));
}

void exp_rd_read_directions(ctx *c, const cJSON *sr, const char *path, const field *f,
                            exp_spec *s)
{
    (void)path;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(sr, f->key);
    int n = s->search.n_objectives;
    if (n < 2) {
        if (d && !cJSON_GetObjectItemCaseSensitive(sr, "metrics"))
            exp_rd_expect(c, "search.directions", "search.metrics beside it (search.direction "
                          "goes with search.metric)", d);
        return;
    }
    if (d && (!cJSON_IsArray(d) || cJSON_GetArraySize(d) != n)) {
        char e[128];
        snprintf(e, sizeof e, "an array of %d of \"minimize\", \"maximize\" (one per metric)", n);
        exp_rd_expect(c, "search.directions", e, d);
        return;
    }
    for (int i = 0; i < n; i++) {
        char p[64];
        snprintf(p, sizeof p, "search.directions[%d]", i);
        const cJSON *it = d ? cJSON_GetArrayItem(d, i) : NULL;
        s->search.directions[i] = OPT_MINIMIZE;
        if (it) {
            int k = exp_rd_check_enum(c, it, p, direction_names);
            if (k < 0)
                continue;
            s->search.directions[i] = (opt_direction)k;
        }
        exp_rd_check_direction(c, p, s->search.metrics[i], s->search.directions[i], it);
    }
    s->search.direction = s->search.directions[0];
}

void exp_rd_print_directions(cJSON *o, const field *f, const exp_spec *s)
{
    if (s->search.n_objectives < 2)
        return;
    cJSON *a = cJSON_AddArrayToObject(o, f->key);
    for (int i = 0; a && i < s->search.n_objectives; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(direction_names[s->search.directions[i]]));
}
