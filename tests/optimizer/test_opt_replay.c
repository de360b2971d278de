/*
 * test_opt_replay.c - resuming a study: a history (COMPLETE, PRUNED with
 * intermediate values, FAIL, and still RUNNING trials) replayed in reverse order
 * into a fresh study gives exactly the suggestions the uninterrupted study gives
 * next, for every sampler; and the study's bookkeeping (best trial, numbering)
 * survives the replay.
 */
#include <gsl/gsl_errno.h>

#include "optimizer/study.h"
#include "optimizer/testfuncs.h"
#include "tests/check.h"

enum { N = 30, MAXT = 64 };

typedef struct {
    opt_trial_params p;
    opt_state state;
    double value;
    int n_steps;
    int steps[3];
    double vals[3];
} rec;

static void check_replay(const char *fname, opt_sampler_kind kind, int multivariate)
{
    char err[256];
    const opt_testfunc *f = opt_testfunc_find(fname);
    opt_space *s = opt_testfunc_space(f, err);
    opt_sampler_config sc;
    opt_sampler_config_default(&sc, kind);
    sc.multivariate = multivariate;
    sc.grid_points = 10;
    opt_pruner_config pc;
    opt_pruner_config_default(&pc, OPT_PRUNER_SUCCESSIVE_HALVING);
    opt_study *a = opt_study_new(s, OPT_MINIMIZE, &sc, &pc, 99, err);
    CHECK_MSG(a != NULL, "%s", err);
    static rec h[MAXT];
    for (int t = 0; t < N; t++) {
        rec *r = &h[t];
        opt_ask(a, &r->p, err);
        double v = opt_testfunc_eval(f, r->p.values);
        r->n_steps = 0;
        if (t % 7 == 2) {
            for (int step = 0; step < 2; step++) {
                r->steps[step] = step;
                r->vals[step] = v * (2 - step);
                r->n_steps++;
                opt_report(a, r->p.number, step, r->vals[step], err);
                opt_should_prune(a, r->p.number, step);
            }
            r->state = OPT_PRUNED;
        } else {
            r->state = t % 9 == 4 ? OPT_FAIL : t >= N - 2 ? OPT_RUNNING : OPT_COMPLETE;
        }
        r->value = r->state == OPT_PRUNED ? r->vals[1] : r->state == OPT_COMPLETE ? v : NAN;
        if (r->state != OPT_RUNNING)
            opt_tell(a, r->p.number, r->state, r->value, err);
    }
    opt_study *b = opt_study_new(s, OPT_MINIMIZE, &sc, &pc, 99, err);
    for (int t = N - 1; t >= 0; t--) {
        opt_trial_record r = {.number = h[t].p.number, .state = h[t].state,
                              .value = h[t].value, .params = &h[t].p,
                              .n_steps = h[t].n_steps, .steps = h[t].steps,
                              .step_values = h[t].vals};
        CHECK_INT(opt_study_replay(b, &r, err), 0);
    }
    double va, vb;
    CHECK_INT(opt_study_best(a, &va), opt_study_best(b, &vb));
    CHECK(va == vb);
    for (int k = 0; k < 3; k++) {
        opt_trial_params pa, pb;
        CHECK_INT(opt_ask(a, &pa, err), 0);
        CHECK_INT(opt_ask(b, &pb, err), 0);
        CHECK_INT(pa.number, N + k);
        CHECK_INT(pb.number, pa.number);
        int same = memcmp(pa.values, pb.values, sizeof(double) * (size_t)s->n) == 0;
        CHECK_MSG(same, "%s/%s%s: ask %d after replay differs (x0 %.17g vs %.17g)", fname,
                  opt_sampler_kind_name(kind), multivariate ? "" : " univariate", k,
                  pa.values[0], pb.values[0]);
        double v = opt_testfunc_eval(f, pa.values);
        opt_tell(a, pa.number, OPT_COMPLETE, v, err);
        opt_tell(b, pb.number, OPT_COMPLETE, opt_testfunc_eval(f, pb.values), err);
    }
    /* the RUNNING trials from before the replay can still be told */
    CHECK_INT(opt_tell(b, N - 1, OPT_COMPLETE, 1.0, err), 0);
    opt_study_free(a);
    opt_study_free(b);
    opt_space_free(s);
}

int main(void)
{
    gsl_set_error_handler_off();
    check_replay("mixed", OPT_SAMPLER_TPE, 1);
    check_replay("mixed", OPT_SAMPLER_TPE, 0);
    check_replay("mixed", OPT_SAMPLER_GP, 1);
    check_replay("mixed", OPT_SAMPLER_RANDOM, 1);
    check_replay("mixed", OPT_SAMPLER_SOBOL, 1);
    check_replay("branin", OPT_SAMPLER_GRID, 1);
    check_replay("hartmann6", OPT_SAMPLER_TPE, 1);
    return check_done();
}
