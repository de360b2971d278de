/*
 * trial_params.c - a trial's parameters as JSON, as store rows and back from a
 * stored run, with inactive parameters absent (experiments/trial_params.h).
 */
#include "experiments/trial_params.h"
#include "tracker/export.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

cJSON *exp_trial_params_json(const opt_space *space, const opt_trial_params *p, int exact)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; o && i < space->n; i++) {
        if (isnan(p->values[i]))
            continue;   /* inactive */
        const char *str = opt_value_string(space, i, p->values[i]);
        if (str)
            cJSON_AddStringToObject(o, space->p[i].name, str);
        else if (exact)
            cJSON_AddItemToObject(o, space->p[i].name,
                                  trk_json_number(opt_value_number(space, i, p->values[i])));
        else
            cJSON_AddNumberToObject(o, space->p[i].name, opt_value_number(space, i, p->values[i]));
    }
    return o;
}

int exp_trial_params_log(trk_store *store, int64_t run_id, const opt_space *space,
                         const opt_trial_params *p, char err[256])
{
    trk_param_in in[OPT_MAX_PARAMS];
    char text[OPT_MAX_PARAMS][128];
    int n = 0;
    for (int i = 0; i < space->n; i++) {
        if (isnan(p->values[i]))
            continue;
        opt_value_format(space, i, p->values[i], text[n], sizeof text[n]);
        in[n] = (trk_param_in){space->p[i].name, text[n], opt_value_number(space, i, p->values[i])};
        n++;
    }
    return n ? trk_run_log_params(store, run_id, in, n, err) : 0;
}

int exp_trial_params_from_run(const opt_space *space, const trk_run *r, opt_trial_params *p,
                              char err[256])
{
    p->number = r->trial_number;
    p->n = space->n;
    for (int j = 0; j < space->n; j++) {
        const char *text = NULL;
        for (int a = 0; a < r->n_params && !text; a++)
            if (strcmp(r->params[a].key, space->p[j].name) == 0)
                text = r->params[a].value;
        p->values[j] = NAN;
        char e2[256];
        if (text && opt_value_parse(space, j, text, &p->values[j], e2)) {
            snprintf(err, 256, "trial %d: %.200s", r->trial_number, e2);
            return -1;
        }
    }
    opt_space_deactivate(space, p->values);
    for (int j = 0; j < space->n; j++)
        if (isnan(p->values[j]) && opt_param_active(space, j, p->values)) {
            snprintf(err, 256, "trial %d in the store has no value for '%s'", r->trial_number,
                     space->p[j].name);
            return -1;
        }
    return 0;
}
