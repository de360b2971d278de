/*
 * feature_importance.c - the report's input-importance section (see
 * feature_importance.h).
 */
#include "reports/feature_importance.h"

#include "reports/svg.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

void rep_feature_importance_section(rep_buf *b, const rep_edge *e, const char *name, int k)
{
    const cJSON *pi = e ? cJSON_GetObjectItemCaseSensitive(rep_edge_result(e),
                                                           "permutation_importance") : NULL;
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(pi, "features"), *f;
    int n = cJSON_GetArraySize(fs);
    if (!cJSON_IsArray(fs) || n < 1)
        return;
    char id[48];
    snprintf(id, sizeof id, k == 0 ? "feature-importance" : "feature-importance-%d", k + 1);
    rep_buf_printf(b, "<section id=\"%s\"><h2>Input importance \xE2\x80\x94 ", id);
    rep_buf_esc(b, name);
    rep_buf_put(b, "</h2>");
    const char **labels = malloc(sizeof *labels * (size_t)n);
    double *v = malloc(sizeof *v * (size_t)n);
    if (!labels || !v) {
        b->oom = 1;
        goto done;
    }
    int m = 0;
    cJSON_ArrayForEach(f, fs)
    {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(f, "feature");
        labels[m] = cJSON_IsString(nm) ? nm->valuestring : "?";
        v[m++] = fmax(0, num(f, "mean"));
    }
    snprintf(id, sizeof id, k == 0 ? "feature-imp" : "feature-imp-%d", k + 1);
    rep_svg_hbars(b, id, "Permutation importance: loss increase when shuffled", labels, v, m,
                  "#1f77b4", "loss increase");
    rep_buf_put(b, "<table><thead><tr><th>feature</th><th>mean loss increase</th><th>sd</th>"
                "</tr></thead><tbody>");
    cJSON_ArrayForEach(f, fs)
    {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(f, "feature");
        rep_buf_put(b, "<tr><td>");
        rep_buf_esc(b, cJSON_IsString(nm) ? nm->valuestring : "?");
        rep_buf_printf(b, "</td><td class=\"n\">%.6f</td><td class=\"n\">%.6f</td></tr>",
                       num(f, "mean"), num(f, "sd"));
    }
    rep_buf_printf(b, "</tbody></table><p class=\"note\">The best parameters retrained on each "
                   "walk-forward fold; on that fold's test windows each feature's values "
                   "(both columns of a sin/cos pair together) are shuffled across windows, "
                   "each window keeping its time order, %d seeded times; the mean and sd of the "
                   "loss increase over the unpermuted loss %.6g, folds weighted by their test "
                   "windows. Measured on the walk-forward test spans only, never the holdout. "
                   "A value near 0 or below: the model does not use the feature.</p>",
                   (int)num(pi, "n_permutations"), num(pi, "base_loss"));
done:
    free(labels);
    free(v);
    rep_buf_put(b, "</section>\n");
}
