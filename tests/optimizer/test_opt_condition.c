/*
 * test_opt_condition.c - conditional parameters: a parent naming itself, an
 * unknown parent and a cycle are rejected; a parent with string choices is
 * compared by choice index; a study rebuilt by replay asks the same next trial
 * and replay refuses a value for an inactive parameter; the grid sampler
 * visits exactly the active combinations, once each; every sampler leaves a parameter
 * NaN exactly when its condition fails; TPE (groups) finds the conditional
 * optimum layers = 3, units_3 = 100 within 60 trials.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "optimizer/study.h"

static int fails;
#define CHECK_MSG0(c, m) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d %s: %s\n", __FILE__, __LINE__, #c, m); fails++; } } while (0)
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d %s\n", __FILE__, __LINE__, #c); fails++; } } while (0)

static double run(opt_sampler_kind kind, int *bad)
{
    char err[256];
    opt_space *sp = opt_space_new();
    opt_space_add_int(sp, "layers", 1, 4, 1, 0, err);
    opt_space_add_int(sp, "units_3", 16, 256, 1, 1, err);
    double v = 3;
    CHECK(opt_space_set_condition(sp, 1, "layers", OPT_COND_GE, &v, 1, err) == 0);
    CHECK(opt_space_check_conditions(sp, err) == 0);
    opt_sampler_config sc;
    opt_sampler_config_default(&sc, kind);
    opt_pruner_config pc;
    opt_pruner_config_default(&pc, OPT_PRUNER_NONE);
    opt_study *s = opt_study_new(sp, OPT_MINIMIZE, &sc, &pc, 7, err);
    double best = 1e9;
    for (int t = 0; t < 60 && s; t++) {
        opt_trial_params p;
        if (opt_ask(s, &p, err))
            break;
        double L = p.values[0], u = p.values[1];
        *bad += (L >= 3) != !isnan(u);
        double f = L == 3 ? fabs(log(u) - log(100)) : 3.0 + fabs(L - 3);
        best = f < best ? f : best;
        opt_tell(s, p.number, OPT_COMPLETE, f, err);
    }
    opt_study_free(s);
    opt_space_free(sp);
    return best;
}

/* A conditional TPE study rebuilt by replay asks what the original asks next;
 * replay refuses a value for an inactive parameter. */
static void replay_matches(void)
{
    char err[256];
    opt_space *sp = opt_space_new();
    opt_space_add_int(sp, "layers", 1, 4, 1, 0, err);
    opt_space_add_int(sp, "units_3", 16, 256, 1, 1, err);
    double v = 3;
    opt_space_set_condition(sp, 1, "layers", OPT_COND_GE, &v, 1, err);
    opt_sampler_config sc;
    opt_sampler_config_default(&sc, OPT_SAMPLER_TPE);
    opt_pruner_config pc;
    opt_pruner_config_default(&pc, OPT_PRUNER_NONE);
    opt_study *a = opt_study_new(sp, OPT_MINIMIZE, &sc, &pc, 11, err);
    opt_study *b = opt_study_new(sp, OPT_MINIMIZE, &sc, &pc, 11, err);
    opt_trial_params p, q;
    for (int t = 0; t < 25; t++) {
        CHECK(opt_ask(a, &p, err) == 0);
        double f = p.values[0] == 3 ? fabs(log(p.values[1]) - log(100)) : 3.0;
        CHECK(opt_tell(a, p.number, OPT_COMPLETE, f, err) == 0);
        opt_trial_record rec = {p.number, OPT_COMPLETE, f, &p, 0, NULL, NULL, NULL};
        CHECK_MSG0(opt_study_replay(b, &rec, err) == 0, err);
    }
    CHECK(opt_ask(a, &p, err) == 0 && opt_ask(b, &q, err) == 0);
    CHECK(memcmp(p.values, q.values, sizeof(double) * 2) == 0);
    opt_trial_params bad = {.number = 99, .n = 2, .values = {1, 64}};
    opt_trial_record rec = {99, OPT_COMPLETE, 1.0, &bad, 0, NULL, NULL, NULL};
    CHECK(opt_study_replay(b, &rec, err) < 0);
    opt_study_free(a);
    opt_study_free(b);
    opt_space_free(sp);
}

/* The grid sampler enumerates the active combinations only, each once: layers
 * 1-3, units_2 (4 levels) when layers >= 2, units_3 (4) when layers >= 3, an
 * optimizer and its momentum (3 levels) when it is "sgd": (1 + 4 + 16) x
 * (1 + 3) = 84 points of a 288-point product. */
static void grid_active_only(void)
{
    char err[256];
    opt_space *sp = opt_space_new();
    const char *const opts[] = {"adam", "sgd"};
    opt_space_add_int(sp, "units_2", 16, 64, 16, 0, err);
    opt_space_add_int(sp, "layers", 1, 3, 1, 0, err);
    opt_space_add_int(sp, "units_3", 16, 64, 16, 0, err);
    opt_space_add_categorical_str(sp, "optimizer", opts, 2, err);
    opt_space_add_float(sp, "momentum", 0.5, 0.9, 0, 0.2, err);
    double two = 2, three = 3, sgd = 1;
    opt_space_set_condition(sp, 0, "layers", OPT_COND_GE, &two, 1, err);
    opt_space_set_condition(sp, 2, "layers", OPT_COND_GE, &three, 1, err);
    opt_space_set_condition(sp, 4, "optimizer", OPT_COND_EQ, &sgd, 1, err);
    opt_sampler_config sc;
    opt_sampler_config_default(&sc, OPT_SAMPLER_GRID);
    opt_pruner_config pc;
    opt_pruner_config_default(&pc, OPT_PRUNER_NONE);
    opt_study *s = opt_study_new(sp, OPT_MINIMIZE, &sc, &pc, 5, err);
    CHECK_MSG0(s != NULL, err);
    double seen[100][OPT_MAX_PARAMS];
    int n = 0, rc = 0, dup = 0, bad = 0;
    opt_trial_params p;
    while (s && n < 100 && (rc = opt_ask(s, &p, err)) == 0) {
        bad += isnan(p.values[0]) != (p.values[1] < 2) || isnan(p.values[2]) != (p.values[1] < 3) ||
               isnan(p.values[4]) != (p.values[3] == 0) || isnan(p.values[1]) || isnan(p.values[3]);
        for (int k = 0; k < n; k++)
            dup += memcmp(seen[k], p.values, sizeof(double) * 5) == 0;
        memcpy(seen[n++], p.values, sizeof(double) * 5);
        opt_tell(s, p.number, OPT_COMPLETE, 1.0, err);
    }
    printf("grid: %d points before exhausted (want 84), %d duplicates, %d against the rule\n", n,
           dup, bad);
    CHECK(n == 84 && rc == OPT_EXHAUSTED && dup == 0 && bad == 0);
    opt_study_free(s);
    opt_space_free(sp);
}

int main(void)
{
    replay_matches();
    grid_active_only();
    char err[256];
    opt_space *sp = opt_space_new();
    opt_space_add_int(sp, "a", 1, 4, 1, 0, err);
    opt_space_add_int(sp, "b", 1, 4, 1, 0, err);
    double v = 2;
    CHECK(opt_space_set_condition(sp, 0, "nope", OPT_COND_EQ, &v, 1, err) < 0);
    CHECK(opt_space_set_condition(sp, 0, "a", OPT_COND_EQ, &v, 1, err) < 0);
    CHECK(opt_space_set_condition(sp, 0, "b", OPT_COND_EQ, &v, 1, err) == 0);
    CHECK(opt_space_set_condition(sp, 1, "a", OPT_COND_EQ, &v, 1, err) == 0);
    CHECK(opt_space_check_conditions(sp, err) < 0);
    CHECK(opt_cond_op_parse("=>") == OPT_COND_NONE && opt_cond_op_parse(">=") == OPT_COND_GE);
    opt_space_free(sp);
    /* a parent with string choices is compared by the index of its choice */
    sp = opt_space_new();
    const char *const opts[] = {"adam", "sgd"};
    opt_space_add_categorical_str(sp, "opt", opts, 2, err);
    opt_space_add_float(sp, "momentum", 0, 1, 0, 0, err);
    double sgd = 1;
    CHECK(opt_space_set_condition(sp, 1, "opt", OPT_COND_EQ, &sgd, 1, err) == 0);
    double with_sgd[2] = {1, 0.5}, with_adam[2] = {0, 0.5};
    CHECK(opt_param_active(sp, 1, with_sgd) == 1 && opt_param_active(sp, 1, with_adam) == 0);
    opt_space_free(sp);
    opt_sampler_kind kinds[] = {OPT_SAMPLER_RANDOM, OPT_SAMPLER_SOBOL, OPT_SAMPLER_GP,
                                OPT_SAMPLER_TPE};
    for (int k = 0; k < 4; k++) {
        int bad = 0;
        double best = run(kinds[k], &bad);
        printf("%s: best %.4f, wrongly active/inactive %d\n", opt_sampler_kind_name(kinds[k]),
               best, bad);
        CHECK(bad == 0);
        if (kinds[k] == OPT_SAMPLER_TPE)
            CHECK(best < 0.1);
    }
    return fails != 0;
}
