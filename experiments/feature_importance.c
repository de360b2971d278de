/*
 * feature_importance.c - permutation importance in the result JSON and its
 * table (see feature_importance.h).
 */
#include "experiments/feature_importance.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
    int g;
    double mean;
} rank_item;

static int by_mean_desc(const void *a, const void *b)
{
    const rank_item *x = a, *y = b;
    if (x->mean != y->mean)
        return x->mean < y->mean ? 1 : -1;
    return x->g - y->g;   /* ties keep the spec's order */
}

int exp_feature_importance(const tr_trial_data *d, const tr_trial_config *cfg,
                           const tr_trial_params *p, cJSON *r, char err[256])
{
    const int G = d->m.n_features;
    double *mean = malloc(sizeof *mean * (size_t)(2 * G + 1)), base = NAN;
    rank_item *rk = malloc(sizeof *rk * (size_t)(G + 1));
    int rc = -1;
    if (!mean || !rk) {
        snprintf(err, 256, "out of memory");
        goto done;
    }
    double *sd = mean + G;
    if (tr_trial_perm_importance(d, cfg, p, EXP_IMPORTANCE_PERMUTATIONS, cfg->seed, &base, mean,
                                 sd, err) < 0)
        goto done;
    for (int g = 0; g < G; g++)
        rk[g] = (rank_item){g, mean[g]};
    qsort(rk, (size_t)G, sizeof *rk, by_mean_desc);
    cJSON *o = cJSON_AddObjectToObject(r, "permutation_importance");
    cJSON_AddStringToObject(o, "measured_on", "walk-forward test spans");
    cJSON_AddNumberToObject(o, "n_permutations", EXP_IMPORTANCE_PERMUTATIONS);
    cJSON_AddNumberToObject(o, "base_loss", base);
    cJSON *a = cJSON_AddArrayToObject(o, "features");
    for (int i = 0; i < G; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "feature", cfg->features[rk[i].g]);
        cJSON_AddNumberToObject(e, "mean", mean[rk[i].g]);
        cJSON_AddNumberToObject(e, "sd", sd[rk[i].g]);
        cJSON_AddItemToArray(a, e);
    }
    rc = 0;
done:
    free(mean);
    free(rk);
    return rc;
}

int exp_feature_importance_print(FILE *out, const cJSON *result)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(result, "permutation_importance");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "features"), *e;
    if (!cJSON_IsArray(a))
        return -1;
    const cJSON *np = cJSON_GetObjectItemCaseSensitive(o, "n_permutations");
    const cJSON *bl = cJSON_GetObjectItemCaseSensitive(o, "base_loss");
    fprintf(out, "\npermutation importance of the inputs (loss increase when a feature is "
            "shuffled across windows; walk-forward test spans, never the holdout; %d "
            "permutations; unpermuted loss %.6g):\n",
            cJSON_IsNumber(np) ? np->valueint : 0, cJSON_IsNumber(bl) ? bl->valuedouble : NAN);
    fprintf(out, "  %-24s %12s %12s\n", "feature", "mean", "sd");
    cJSON_ArrayForEach(e, a)
    {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "feature");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "mean");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "sd");
        fprintf(out, "  %-24s %12.6f %12.6f\n", cJSON_IsString(f) ? f->valuestring : "?",
                cJSON_IsNumber(m) ? m->valuedouble : NAN, cJSON_IsNumber(s) ? s->valuedouble : NAN);
    }
    return 0;
}
