/*
 * objective.c - evaluates one trial in a worker: dispatches on the spec's
 * objective kind. The LSTM objective lives in objective_lstm.c; this file holds
 * the external-program and builtin test-function objectives and the common
 * result handling.
 */
#include "experiments/objective.h"

#include "experiments/command.h"
#include "experiments/objective_lstm.h"
#include "optimizer/testfuncs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct exp_objective {
    const exp_spec *spec;
    const opt_testfunc *func;   /* builtin */
    opt_space *func_space;      /* builtin: the function's own space */
    exp_lstm_objective *lstm;   /* LSTM */
};

void exp_trial_result_clear(exp_trial_result *r)
{
    cJSON_Delete(r->metrics);
    r->metrics = NULL;
}

/* A builtin's parameters are active under the same conditions in the spec as
 * in the function's own space (the function reads only its active values). */
static int builtin_conditions_match(const exp_spec *spec, const opt_space *fs, char err[256])
{
    opt_space *sp;
    if (exp_spec_space(spec, &sp, err))
        return -1;
    int rc = 0;
    for (int i = 0; i < fs->n && rc == 0; i++) {
        const opt_cond *want = &fs->p[i].when;
        int j = opt_space_find(sp, fs->p[i].name);
        const opt_cond *got = &sp->p[j].when;
        int same = want->op == got->op && want->n == got->n &&
                   (want->op == OPT_COND_NONE ||
                    strcmp(fs->p[want->parent].name, sp->p[got->parent].name) == 0);
        for (int k = 0; same && k < want->n; k++)
            same = want->v[k] == got->v[k];
        if (same)
            continue;
        rc = -1;
        char v[80];
        const char *str = want->op == OPT_COND_NONE ? NULL
                          : opt_value_string(fs, want->parent, want->v[0]);
        if (str)
            snprintf(v, sizeof v, "\"%.60s\"", str);
        else
            snprintf(v, sizeof v, "%g", want->v[0]);
        if (want->op == OPT_COND_NONE)
            snprintf(err, 256, "objective.builtin: %s needs search.space.%s without a \"when\"",
                     spec->objective.builtin, fs->p[i].name);
        else
            snprintf(err, 256, "objective.builtin: %s needs search.space.%s.when {\"%s\": "
                     "{\"%s\": %s}}", spec->objective.builtin, fs->p[i].name,
                     fs->p[want->parent].name, opt_cond_op_name(want->op), v);
    }
    opt_space_free(sp);
    return rc;
}

exp_objective *exp_objective_new(const exp_spec *spec, const exp_data *data, char err[256])
{
    exp_objective *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, 256, "out of memory");
        return NULL;
    }
    o->spec = spec;
    if (spec->objective_kind == EXP_OBJECTIVE_BUILTIN) {
        o->func = opt_testfunc_find(spec->objective.builtin);
        if (!o->func) {
            snprintf(err, 256, "objective.builtin: unknown function '%s'", spec->objective.builtin);
            goto fail;
        }
        o->func_space = opt_testfunc_space(o->func, err);
        if (!o->func_space)
            goto fail;
        /* The spec must search exactly the function's parameters. */
        for (int i = 0; i < o->func_space->n; i++) {
            if (!exp_spec_param(spec, o->func_space->p[i].name)) {
                snprintf(err, 256, "objective.builtin: %s needs search.space.%s",
                         spec->objective.builtin, o->func_space->p[i].name);
                goto fail;
            }
        }
        if (spec->search.n_space != o->func_space->n) {
            snprintf(err, 256, "objective.builtin: %s takes %d parameters, search.space has %d",
                     spec->objective.builtin, o->func_space->n, spec->search.n_space);
            goto fail;
        }
        if (builtin_conditions_match(spec, o->func_space, err))
            goto fail;
    } else if (spec->objective_kind == EXP_OBJECTIVE_LSTM) {
        o->lstm = exp_lstm_objective_new(spec, data, err);
        if (!o->lstm)
            goto fail;
    }
    return o;
fail:
    exp_objective_free(o);
    return NULL;
}

void exp_objective_free(exp_objective *o)
{
    if (!o)
        return;
    opt_space_free(o->func_space);
    exp_lstm_objective_free(o->lstm);
    free(o);
}

void exp_objective_set_stop(exp_objective *o, volatile sig_atomic_t *stop)
{
    if (o->lstm)
        exp_lstm_objective_set_stop(o->lstm, stop);
}

static void sleep_s(double s, volatile sig_atomic_t *stop)
{
    while (s > 0 && !(stop && *stop)) {
        double part = s < 0.05 ? s : 0.05;
        struct timespec ts = {(time_t)part, (long)((part - (double)(time_t)part) * 1e9)};
        nanosleep(&ts, NULL);
        s -= part;
    }
}

/* A builtin test function at the trial's params (mapped into its own space). */
static void eval_builtin(exp_objective *o, const cJSON *params, volatile sig_atomic_t *stop,
                         exp_trial_result *out)
{
    const opt_space *sp = o->func_space;
    double x[OPT_MAX_PARAMS];
    char err[256];
    sleep_s(o->spec->objective.sleep_s, stop);
    if (stop && *stop) {
        out->state = TRK_FAIL;
        snprintf(out->error, sizeof out->error, "interrupted");
        return;
    }
    for (int i = 0; i < sp->n; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, sp->p[i].name);
        char text[64];
        x[i] = NAN;
        if (!v && sp->p[i].when.op != OPT_COND_NONE)
            continue;   /* inactive: checked below */
        if (cJSON_IsNumber(v))
            snprintf(text, sizeof text, "%.17g", v->valuedouble);
        else if (cJSON_IsString(v))
            snprintf(text, sizeof text, "%s", v->valuestring);
        else
            text[0] = '\0';
        if (opt_value_parse(sp, i, text, &x[i], err)) {
            out->state = TRK_FAIL;
            snprintf(out->error, sizeof out->error, "%.63s: %.180s", sp->p[i].name, err);
            return;
        }
    }
    opt_space_deactivate(sp, x);
    for (int i = 0; i < sp->n; i++)
        if (isnan(x[i]) && opt_param_active(sp, i, x)) {
            out->state = TRK_FAIL;
            snprintf(out->error, sizeof out->error, "%.63s: no value (the parameter is active)",
                     sp->p[i].name);
            return;
        }
    double v[OPT_MAX_OBJECTIVES];
    opt_testfunc_eval_values(o->func, x, v);
    out->value = v[0];
    out->state = TRK_COMPLETE;
    int n = opt_testfunc_n_objectives(o->func);
    for (int k = 0; k < n; k++)
        if (!isfinite(v[k])) {
            out->state = TRK_FAIL;
            snprintf(out->error, sizeof out->error, "the function returned %g%s", v[k],
                     n > 1 ? (k ? " (second objective)" : " (first objective)") : "");
        }
    if (n > 1 && out->state == TRK_COMPLETE) {
        out->n_values = n;
        memcpy(out->values, v, sizeof(double) * (size_t)n);
    }
}

typedef struct cmd_ctx {
    exp_report_fn report;
    void *ctx;
} cmd_ctx;

static int cmd_step(void *ctx, int step, double value)
{
    cmd_ctx *c = ctx;
    return c->report ? c->report(c->ctx, step, value, NULL) : 0;
}

static void eval_command(exp_objective *o, const cJSON *params, exp_report_fn report,
                         void *ctx, volatile sig_atomic_t *stop, exp_trial_result *out)
{
    char *text = cJSON_PrintUnformatted(params);
    size_t n = text ? strlen(text) : 0;
    char *input = malloc(n + 2);
    if (!text || !input) {
        out->state = TRK_FAIL;
        snprintf(out->error, sizeof out->error, "out of memory");
        goto done;
    }
    memcpy(input, text, n);
    input[n] = '\n';
    input[n + 1] = '\0';
    cmd_ctx c = {report, ctx};
    double value = NAN;
    int last = -1;
    int rc = exp_command_run(o->spec->objective.argv, input, o->spec->trial_timeout_s,
                             o->spec->spec_dir, cmd_step, &c, stop, &value, &last, out->error);
    out->value = value;
    out->last_step = last;
    out->state = rc == EXP_CMD_COMPLETE ? TRK_COMPLETE
                 : rc == EXP_CMD_PRUNED ? TRK_PRUNED : TRK_FAIL;
done:
    cJSON_free(text);
    free(input);
}

int exp_objective_eval(exp_objective *o, int number, const cJSON *params, uint64_t seed,
                       exp_report_fn report, void *ctx, volatile sig_atomic_t *stop,
                       exp_trial_result *out)
{
    memset(out, 0, sizeof *out);
    out->value = NAN;
    out->last_step = -1;
    (void)number;
    switch (o->spec->objective_kind) {
    case EXP_OBJECTIVE_BUILTIN:
        eval_builtin(o, params, stop, out);
        break;
    case EXP_OBJECTIVE_COMMAND:
        eval_command(o, params, report, ctx, stop, out);
        break;
    case EXP_OBJECTIVE_LSTM:
        exp_lstm_objective_eval(o->lstm, params, seed, report, ctx, stop, out);
        break;
    }
    return 0;
}

char *exp_objective_layout(const exp_objective *o, char err[256])
{
    return o->lstm ? exp_lstm_objective_layout(o->lstm, err) : NULL;
}

int exp_objective_fits(const exp_objective *o, char err[256])
{
    return o->lstm ? exp_lstm_objective_fits(o->lstm, err) : 0;
}

int exp_objective_holdout(exp_objective *o, const cJSON *params, uint64_t seed,
                          const double *trial_sharpes, int n_sharpes, cJSON **result,
                          unsigned char **model, size_t *model_len, char err[256])
{
    if (!o->lstm) {
        snprintf(err, 256, "this objective has no holdout evaluation");
        return -1;
    }
    return exp_lstm_objective_holdout(o->lstm, params, seed, trial_sharpes, n_sharpes, result,
                                      model, model_len, err);
}
