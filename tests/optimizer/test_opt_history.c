/*
 * test_opt_history.c - optimizer/history.h: opt_suggest gives exactly what
 * opt_ask would give for that number and starts no trial; opt_ask_fixed keeps
 * the given values, takes the sampler's for the others (the same values opt_ask
 * gives them) and starts the trial; opt_ask_given refuses a value outside the
 * space; two views holding a's trials below k - L (replayed as the reproducible
 * mode does) suggest the same for k, bit for bit.
 */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <string.h>

#include "optimizer/history.h"
#include "optimizer/testfuncs.h"
#include "tests/check.h"

enum { N = 24, LAG = 3 };

static opt_study *new_study(const opt_space *s, opt_sampler_kind kind)
{
    char err[256];
    opt_sampler_config sc;
    opt_sampler_config_default(&sc, kind);
    sc.n_startup_trials = 5;
    opt_pruner_config pc;
    opt_pruner_config_default(&pc, OPT_PRUNER_NONE);
    opt_study *st = opt_study_new(s, OPT_MINIMIZE, &sc, &pc, 17, err);
    CHECK_MSG(st != NULL, "%s", err);
    return st;
}

static void check_sampler(opt_sampler_kind kind)
{
    char err[256];
    const opt_testfunc *f = opt_testfunc_find("branin");
    opt_space *s = opt_testfunc_space(f, err);
    opt_study *a = new_study(s, kind), *b = new_study(s, kind);
    for (int t = 0; t < N; t++) {
        opt_trial_params sug, got;
        CHECK_INT(opt_suggest(a, t, &sug, err), 0);
        CHECK_INT(opt_study_n_trials(a), t);   /* nothing started */
        CHECK_INT(opt_ask(a, &got, err), 0);
        CHECK_INT(got.number, t);
        CHECK(memcmp(sug.values, got.values, sizeof(double) * (size_t)s->n) == 0);
        /* b: x1 fixed at 2.5 on even trials, x2 from the sampler */
        double fixed[OPT_MAX_PARAMS] = {t % 2 ? NAN : 2.5, NAN};
        opt_trial_params fb;
        CHECK_INT(opt_ask_fixed(b, fixed, &fb, err), 0);
        CHECK_INT(fb.number, t);
        if (t % 2 == 0)
            CHECK(fb.values[0] == 2.5);
        double v = opt_testfunc_eval(f, got.values);
        CHECK_INT(opt_tell(a, t, OPT_COMPLETE, v, err), 0);
        CHECK_INT(opt_tell(b, t, OPT_COMPLETE, opt_testfunc_eval(f, fb.values), err), 0);
        if (t == 0) /* same generator, same history: x2 is opt_ask's */
            CHECK(fb.values[1] == got.values[1]);
    }
    CHECK_INT(opt_study_n_trials(b), N);
    opt_trial_params bad = {.n = s->n, .values = {11, 1}};   /* x1 in [-5, 10] */
    CHECK_INT(opt_ask_given(b, &bad, err), -1);
    CHECK_STR_CONTAINS(err, "trial");
    CHECK_INT(opt_study_n_trials(b), N);

    /* Two views of a's trials below k - LAG agree on trial k. */
    int k = N;
    opt_study *v1 = new_study(s, kind), *v2 = new_study(s, kind);
    for (int i = 0; i < k - LAG; i++) {
        int number;
        opt_state st;
        double val;
        opt_trial_params p;
        opt_study_trial_info(a, i, &number, &st, &val, &p);
        opt_trial_record rec = {number, st, val, &p, 0, NULL, NULL, NULL};
        CHECK_INT(opt_study_replay(v1, &rec, err), 0);
        CHECK_INT(opt_study_replay(v2, &rec, err), 0);
    }
    opt_trial_params s1, s2;
    CHECK_INT(opt_suggest(v1, k, &s1, err), 0);
    CHECK_INT(opt_suggest(v2, k, &s2, err), 0);
    CHECK(memcmp(s1.values, s2.values, sizeof(double) * (size_t)s->n) == 0);
    opt_study_free(v1);
    opt_study_free(v2);
    opt_study_free(a);
    opt_study_free(b);
    opt_space_free(s);
}

int main(void)
{
    gsl_set_error_handler_off();
    check_sampler(OPT_SAMPLER_TPE);
    check_sampler(OPT_SAMPLER_GP);
    check_sampler(OPT_SAMPLER_RANDOM);
    return check_done();
}
