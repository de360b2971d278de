/*
 * test_opt_space.c - the search space and the study's config checks: bad
 * definitions are refused with a message naming the parameter, values survive a
 * format/parse round trip, every sampler keeps every value in bounds and on its
 * step grid, and unknown sampler/pruner names are refused.
 */
#include <gsl/gsl_errno.h>

#include "optimizer/study.h"
#include "optimizer/testfuncs.h"
#include "tests/check.h"

static void test_bad_definitions(void)
{
    char err[256];
    opt_space *s = opt_space_new();
    CHECK_INT(opt_space_add_float(s, "lr", 1.0, 1.0, 0, 0, err), -1);
    CHECK_STR_CONTAINS(err, "lr");
    CHECK_INT(opt_space_add_float(s, "lr", 2.0, 1.0, 0, 0, err), -1);
    CHECK_STR_CONTAINS(err, "low");
    CHECK_INT(opt_space_add_float(s, "lr", 0.0, 1.0, 1, 0, err), -1);
    CHECK_STR_CONTAINS(err, "log");
    CHECK_INT(opt_space_add_float(s, "lr", 1e-3, 1.0, 1, 0.1, err), -1);
    CHECK_INT(opt_space_add_float(s, "x", 0, 1, 0, 2.0, err), -1);
    CHECK_INT(opt_space_add_int(s, "units", 5, 5, 1, 0, err), -1);
    CHECK_INT(opt_space_add_int(s, "units", 0, 10, 1, 1, err), -1);
    CHECK_INT(opt_space_add_int(s, "units", 1, 10, 0, 0, err), -1);
    CHECK_STR_CONTAINS(err, "step");
    CHECK_INT(opt_space_add_categorical_str(s, "act", NULL, 0, err), -1);
    const char *dup[2] = {"relu", "relu"};
    CHECK_INT(opt_space_add_categorical_str(s, "act", dup, 2, err), -1);
    CHECK_STR_CONTAINS(err, "twice");
    CHECK_INT(s->n, 0);
    CHECK_INT(opt_space_add_int(s, "units", 1, 10, 1, 0, err), 0);
    CHECK_INT(opt_space_add_int(s, "units", 1, 10, 1, 0, err), -1);
    CHECK_STR_CONTAINS(err, "defined twice");
    opt_space_free(s);
}

static void test_bad_study_configs(void)
{
    char err[256];
    opt_space *s = opt_space_new();
    opt_sampler_config sc;
    opt_pruner_config pc;
    opt_sampler_config_default(&sc, OPT_SAMPLER_TPE);
    opt_pruner_config_default(&pc, OPT_PRUNER_MEDIAN);
    CHECK(opt_study_new(s, OPT_MINIMIZE, &sc, &pc, 1, err) == NULL);
    CHECK_STR_CONTAINS(err, "at least one parameter");
    opt_space_add_float(s, "x", 0, 1, 0, 0, err);
    sc.n_ei_candidates = 0;
    CHECK(opt_study_new(s, OPT_MINIMIZE, &sc, &pc, 1, err) == NULL);
    CHECK_STR_CONTAINS(err, "n_ei_candidates");
    opt_sampler_config_default(&sc, OPT_SAMPLER_TPE);
    sc.n_startup_trials = -1;
    CHECK(opt_study_new(s, OPT_MINIMIZE, &sc, &pc, 1, err) == NULL);
    CHECK_STR_CONTAINS(err, "n_startup_trials");
    opt_sampler_config_default(&sc, OPT_SAMPLER_TPE);
    pc.interval_steps = 0;
    CHECK(opt_study_new(s, OPT_MINIMIZE, &sc, &pc, 1, err) == NULL);
    CHECK_STR_CONTAINS(err, "interval_steps");
    opt_pruner_config_default(&pc, OPT_PRUNER_SUCCESSIVE_HALVING);
    pc.reduction_factor = 1;
    CHECK(opt_study_new(s, OPT_MINIMIZE, &sc, &pc, 1, err) == NULL);
    CHECK_STR_CONTAINS(err, "reduction_factor");
    opt_pruner_config_default(&pc, OPT_PRUNER_NONE);
    CHECK(opt_study_new(s, (opt_direction)7, &sc, &pc, 1, err) == NULL);
    CHECK_STR_CONTAINS(err, "direction");
    opt_sampler_kind k;
    opt_pruner_kind pk;
    CHECK_INT(opt_sampler_kind_parse("tpe", &k, err), 0);
    CHECK_INT(k, OPT_SAMPLER_TPE);
    CHECK_INT(opt_sampler_kind_parse("cmaes", &k, err), -1);
    CHECK_STR_CONTAINS(err, "cmaes");
    CHECK_STR_CONTAINS(err, "tpe");
    CHECK_INT(opt_pruner_kind_parse("successive_halving", &pk, err), 0);
    CHECK_INT(pk, OPT_PRUNER_SUCCESSIVE_HALVING);
    CHECK_INT(opt_pruner_kind_parse("hyperband", &pk, err), -1);
    /* the grid sampler refuses a grid that is too large */
    opt_space *big = opt_space_new();
    for (int i = 0; i < 5; i++) {
        char name[8];
        snprintf(name, sizeof name, "i%d", i);
        opt_space_add_int(big, name, 0, 99, 1, 0, err);
    }
    opt_sampler_config_default(&sc, OPT_SAMPLER_GRID);
    CHECK(opt_study_new(big, OPT_MINIMIZE, &sc, NULL, 1, err) == NULL);
    CHECK_STR_CONTAINS(err, "grid");
    opt_space_free(big);
    opt_space_free(s);
}

static void test_values_round_trip(void)
{
    char err[256], buf[64];
    const opt_testfunc *f = opt_testfunc_find("mixed");
    CHECK(f != NULL);
    CHECK(opt_testfunc_find("nope") == NULL);
    opt_space *s = opt_testfunc_space(f, err);
    const char *acts[3] = {"relu", "tanh", "gelu"};
    CHECK_INT(opt_space_add_categorical_str(s, "act", acts, 3, err), 0);
    double v;
    CHECK_INT(opt_value_parse(s, 0, "64", &v, err), 0);
    CHECK_NEAR(v, 64, 0);
    CHECK_INT(opt_value_parse(s, 0, "66", &v, err), -1); /* off the step-4 grid */
    CHECK_STR_CONTAINS(err, "window");
    CHECK_INT(opt_value_parse(s, 1, "300", &v, err), -1);
    CHECK_STR_CONTAINS(err, "outside");
    CHECK_INT(opt_value_parse(s, 5, "64", &v, err), 0);
    CHECK_NEAR(v, 1, 0); /* index of choice 64 */
    CHECK_NEAR(opt_value_number(s, 5, v), 64, 0);
    CHECK_INT(opt_value_parse(s, 5, "48", &v, err), -1);
    CHECK_INT(opt_value_parse(s, 6, "gelu", &v, err), 0);
    CHECK_NEAR(v, 2, 0);
    CHECK(strcmp(opt_value_string(s, 6, v), "gelu") == 0);
    CHECK(isnan(opt_value_number(s, 6, v)));
    CHECK_INT(opt_value_parse(s, 6, "selu", &v, err), -1);
    CHECK_INT(opt_value_parse(s, 3, "0.1x", &v, err), -1);
    CHECK_STR_CONTAINS(err, "not a number");
    opt_value_format(s, 4, 0.00123456789012345678, buf, sizeof buf);
    CHECK_INT(opt_value_parse(s, 4, buf, &v, err), 0);
    CHECK(v == 0.00123456789012345678);
    opt_value_format(s, 1, 128, buf, sizeof buf);
    CHECK(strcmp(buf, "128") == 0);
    opt_trial_params p = {.number = 0, .n = 7, .values = {64, 96, 2, 0.2, 1e-3, 2, 0}};
    CHECK_NEAR(opt_params_get(s, &p, "batch_size"), 128, 0);
    CHECK_NEAR(opt_params_get(s, &p, "width"), 96, 0);
    CHECK(isnan(opt_params_get(s, &p, "nope")));
    CHECK(strcmp(opt_params_get_string(s, &p, "act"), "relu") == 0);
    CHECK_NEAR(opt_testfunc_eval(f, p.values), 0.35, 1e-12);
    opt_space_free(s);
}

/* Every sampler keeps ints on their step grid and everything inside bounds. */
static void test_bounds_and_steps(void)
{
    char err[256];
    opt_space *s = opt_space_new();
    opt_space_add_int(s, "seq", 3, 50, 4, 0, err); /* 3, 7, ..., 47 */
    opt_space_add_int(s, "units", 1, 1000, 1, 1, err);
    opt_space_add_float(s, "drop", 0, 1, 0, 0.25, err);
    opt_space_add_float(s, "lr", 1e-5, 1e-1, 1, 0, err);
    const double bs[3] = {16, 32, 64};
    opt_space_add_categorical_num(s, "bs", bs, 3, err);
    CHECK_NEAR(s->p[0].high, 47, 0);
    const opt_sampler_kind kinds[5] = {OPT_SAMPLER_RANDOM, OPT_SAMPLER_SOBOL, OPT_SAMPLER_TPE,
                                       OPT_SAMPLER_GP, OPT_SAMPLER_GRID};
    for (int k = 0; k < 5; k++) {
        opt_sampler_config sc;
        opt_sampler_config_default(&sc, kinds[k]);
        sc.grid_points = 3;
        opt_study *st = opt_study_new(s, OPT_MINIMIZE, &sc, NULL, 5, err);
        CHECK_MSG(st != NULL, "%s", err);
        if (!st)
            continue;
        int bad = 0, n = kinds[k] == OPT_SAMPLER_GP ? 25 : 150;
        for (int t = 0; t < n; t++) {
            opt_trial_params p;
            CHECK_INT(opt_ask(st, &p, err), 0);
            for (int i = 0; i < s->n; i++)
                if (opt_value_check(s, i, p.values[i], err) < 0) {
                    if (bad++ < 3)
                        fprintf(stderr, "%s: %s\n", opt_sampler_kind_name(kinds[k]), err);
                }
            double seq = p.values[0], units = p.values[1];
            bad += fmod(seq - 3, 4) != 0 || units != round(units);
            double v = fabs(seq - 23) + fabs(log(units / 50)) + p.values[2] + p.values[4];
            opt_tell(st, p.number, t % 7 == 3 ? OPT_FAIL : OPT_COMPLETE, v, err);
        }
        CHECK_MSG(bad == 0, "%s: %d values off grid or out of bounds",
                  opt_sampler_kind_name(kinds[k]), bad);
        opt_study_free(st);
    }
    opt_space_free(s);
}

/* Lifecycle errors: unknown trials, double tells, bad values. */
static void test_lifecycle_errors(void)
{
    char err[256];
    opt_space *s = opt_space_new();
    opt_space_add_float(s, "x", 0, 1, 0, 0, err);
    opt_study *st = opt_study_new(s, OPT_MINIMIZE, NULL, NULL, 1, err);
    opt_trial_params p;
    CHECK_INT(opt_ask(st, &p, err), 0);
    CHECK_INT(p.number, 0);
    CHECK_INT(opt_report(st, 5, 0, 1.0, err), -1);
    CHECK_STR_CONTAINS(err, "trial 5");
    CHECK_INT(opt_report(st, 0, -1, 1.0, err), -1);
    CHECK_INT(opt_tell(st, 0, OPT_COMPLETE, NAN, err), -1);
    CHECK_STR_CONTAINS(err, "finite");
    CHECK_INT(opt_tell(st, 0, OPT_COMPLETE, 0.5, err), 0);
    CHECK_INT(opt_tell(st, 0, OPT_COMPLETE, 0.5, err), -1);
    CHECK_STR_CONTAINS(err, "already finished");
    CHECK_INT(opt_should_prune(st, 0, 0), -1);
    CHECK_INT(opt_study_best(st, NULL), 0);
    opt_trial_params bad = {.number = 3, .n = 1, .values = {1.5}};
    opt_trial_record r = {.number = 3, .state = OPT_COMPLETE, .value = 1, .params = &bad};
    CHECK_INT(opt_study_replay(st, &r, err), -1);
    CHECK_STR_CONTAINS(err, "outside");
    bad.values[0] = 0.25;
    r.number = 0;
    CHECK_INT(opt_study_replay(st, &r, err), -1);
    CHECK_STR_CONTAINS(err, "already");
    opt_study_free(st);
    opt_space_free(s);
}

/* In a 12-point discrete space the first 12 suggestions are all different,
 * whatever the sampler. */
static void test_no_duplicates_in_discrete_spaces(void)
{
    char err[256];
    opt_space *s = opt_space_new();
    opt_space_add_int(s, "layers", 1, 4, 1, 0, err);
    const char *acts[3] = {"relu", "tanh", "gelu"};
    opt_space_add_categorical_str(s, "act", acts, 3, err);
    const opt_sampler_kind kinds[5] = {OPT_SAMPLER_RANDOM, OPT_SAMPLER_SOBOL, OPT_SAMPLER_TPE,
                                       OPT_SAMPLER_GP, OPT_SAMPLER_GRID};
    for (int k = 0; k < 5; k++) {
        opt_sampler_config sc;
        opt_sampler_config_default(&sc, kinds[k]);
        sc.n_startup_trials = 4;
        opt_study *st = opt_study_new(s, OPT_MINIMIZE, &sc, NULL, 3, err);
        int seen[4][3] = {{0}}, dups = 0;
        for (int t = 0; t < 12; t++) {
            opt_trial_params p;
            opt_ask(st, &p, err);
            int a = (int)p.values[0] - 1, b = (int)p.values[1];
            dups += seen[a][b]++ > 0;
            opt_tell(st, p.number, OPT_COMPLETE, a + 0.5 * b, err);
        }
        CHECK_MSG(dups == 0, "%s: %d duplicate suggestions in 12 asks of a 12-point space",
                  opt_sampler_kind_name(kinds[k]), dups);
        opt_study_free(st);
    }
    opt_space_free(s);
}

/* A 600-point space filled to the last point by random and TPE asks (the study's
 * hash of seen points grows several times on the way): every point comes exactly
 * once; a study rebuilt by replaying the first 450 trials keeps avoiding them. */
static void test_no_duplicates_until_exhausted(void)
{
    char err[256];
    opt_space *s = opt_space_new();
    opt_space_add_int(s, "a", 0, 29, 1, 0, err);
    opt_space_add_int(s, "b", 0, 19, 1, 0, err);
    const opt_sampler_kind kinds[2] = {OPT_SAMPLER_RANDOM, OPT_SAMPLER_TPE};
    for (int k = 0; k < 2; k++) {
        opt_sampler_config sc;
        opt_sampler_config_default(&sc, kinds[k]);
        opt_study *st = opt_study_new(s, OPT_MINIMIZE, &sc, NULL, 11, err);
        opt_study *re = opt_study_new(s, OPT_MINIMIZE, &sc, NULL, 11, err);
        static int seen[30][20];
        memset(seen, 0, sizeof seen);
        int dups = 0, redups = 0;
        for (int t = 0; t < 600; t++) {
            opt_trial_params p;
            if (opt_ask(st, &p, err) != 0)
                break;
            int a = (int)p.values[0], b = (int)p.values[1];
            dups += seen[a][b]++ > 0;
            double v = (a - 20) * (a - 20) + (b - 5) * (b - 5);
            opt_tell(st, p.number, OPT_COMPLETE, v, err);
            if (t < 450) {
                opt_trial_record r = {.number = p.number, .state = OPT_COMPLETE, .value = v,
                                      .params = &p};
                CHECK_INT(opt_study_replay(re, &r, err), 0);
            } else if (t == 450) {
                opt_trial_params q;
                CHECK_INT(opt_ask(re, &q, err), 0);
                CHECK_MSG(q.values[0] == p.values[0] && q.values[1] == p.values[1],
                          "%s: replayed study's next suggestion differs",
                          opt_sampler_kind_name(kinds[k]));
                redups += seen[(int)q.values[0]][(int)q.values[1]] > 0 &&
                          !(q.values[0] == p.values[0] && q.values[1] == p.values[1]);
            }
        }
        CHECK_MSG(dups == 0, "%s: %d duplicate suggestions in 600 asks of a 600-point space",
                  opt_sampler_kind_name(kinds[k]), dups);
        CHECK_MSG(redups == 0, "%s: the replayed study suggested a point already tried",
                  opt_sampler_kind_name(kinds[k]));
        opt_study_free(st);
        opt_study_free(re);
    }
    opt_space_free(s);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_bad_definitions();
    test_bad_study_configs();
    test_values_round_trip();
    test_bounds_and_steps();
    test_lifecycle_errors();
    test_no_duplicates_in_discrete_spaces();
    test_no_duplicates_until_exhausted();
    return check_done();
}
