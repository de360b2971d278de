/*
 * test_opt_moo.c - multi-objective studies on ZDT1 (10 parameters, 200 trials,
 * 3 seeds): MOTPE and NSGA-II each reach a larger mean hypervolume (reference
 * point (11, 11)) than random
 * search; the study's Pareto front equals the non-dominated set found by brute
 * force; a pruner or a single-objective sampler is refused; a replayed study
 * suggests the same as the one it copies.
 */
#include <gsl/gsl_errno.h>

#include "base/pareto.h"
#include "optimizer/study.h"
#include "optimizer/testfuncs.h"
#include "tests/check.h"

#define D 10
#define N 200

static double run(opt_sampler_kind kind, unsigned long seed, int check_front)
{
    char err[256];
    opt_space *sp = opt_space_new();
    for (int j = 0; j < D; j++) {
        char nm[8];
        snprintf(nm, sizeof nm, "x%d", j);
        opt_space_add_float(sp, nm, 0, 1, 0, 0, err);
    }
    opt_sampler_config sc;
    opt_sampler_config_default(&sc, kind);
    opt_study *st = opt_study_new(sp, OPT_MINIMIZE, &sc, NULL, seed, err);
    opt_direction dirs[2] = {OPT_MINIMIZE, OPT_MINIMIZE};
    CHECK_INT(opt_study_set_objectives(st, 2, dirs, err), 0);
    static double f[N * 2];
    for (int t = 0; t < N; t++) {
        opt_trial_params p;
        if (opt_ask(st, &p, err) < 0) {
            fprintf(stderr, "ask: %s\n", err);
            break;
        }
        opt_zdt1(p.values, D, f + 2 * t);
        CHECK_INT(opt_tell_values(st, p.number, OPT_COMPLETE, f + 2 * t, err), 0);
    }
    double ref[2] = {11, 11};
    double hv = base_hypervolume(f, N, 2, ref);
    if (check_front) {
        int nums[N], k = opt_study_pareto(st, nums), want = 0;
        for (int i = 0; i < N; i++) {
            int dom = 0;
            for (int j = 0; j < N && !dom; j++)
                dom = base_dominates(f + 2 * j, f + 2 * i, 2);
            want += !dom;
        }
        CHECK_INT(k, want);
        double front[N * 2];
        for (int a = 0; a < k; a++) {
            front[2 * a] = f[2 * nums[a]];
            front[2 * a + 1] = f[2 * nums[a] + 1];
        }
        CHECK_NEAR(base_hypervolume(front, k, 2, ref), hv, 1e-12);
    }
    opt_study_free(st);
    opt_space_free(sp);
    return hv;
}

/* A study rebuilt by replay (values in the record) suggests what the one it
 * copies suggests next, for MOTPE and NSGA-II; a COMPLETE record without its
 * values is refused. */
static void test_replay_with_values_suggests_the_same(opt_sampler_kind kind)
{
    char err[256];
    opt_space *sp = opt_space_new();
    for (int j = 0; j < D; j++) {
        char nm[8];
        snprintf(nm, sizeof nm, "x%d", j);
        opt_space_add_float(sp, nm, 0, 1, 0, 0, err);
    }
    opt_sampler_config sc;
    opt_sampler_config_default(&sc, kind);
    sc.population_size = 8;
    opt_direction dirs[2] = {OPT_MINIMIZE, OPT_MAXIMIZE}, got[OPT_MAX_OBJECTIVES];
    opt_study *a = opt_study_new(sp, OPT_MINIMIZE, &sc, NULL, 5, err);
    opt_study *b = opt_study_new(sp, OPT_MINIMIZE, &sc, NULL, 5, err);
    CHECK_INT(opt_study_set_objectives(a, 2, dirs, err), 0);
    CHECK_INT(opt_study_set_objectives(b, 2, dirs, err), 0);
    CHECK_INT(opt_study_directions(b, got), 2);
    CHECK_INT(got[1], OPT_MAXIMIZE);
    double f[2];
    for (int t = 0; t < 30; t++) {
        opt_trial_params p;
        opt_ask(a, &p, err);
        opt_zdt1(p.values, D, f);
        f[1] = -f[1];
        opt_tell_values(a, p.number, OPT_COMPLETE, f, err);
        opt_trial_record rec = {p.number, OPT_COMPLETE, f[0], &p, 0, NULL, NULL, f};
        CHECK_INT(opt_study_replay(b, &rec, err), 0);
    }
    opt_trial_params pa, pb;
    CHECK_INT(opt_ask(a, &pa, err), 0);
    CHECK_INT(opt_ask(b, &pb, err), 0);
    int same = pa.number == pb.number;
    for (int j = 0; j < D; j++)
        same &= pa.values[j] == pb.values[j];
    CHECK_MSG(same, "%s: the replayed study suggests otherwise", opt_sampler_kind_name(kind));
    opt_trial_record bare = {100, OPT_COMPLETE, 1.0, &pa, 0, NULL, NULL, NULL};
    CHECK_INT(opt_study_replay(b, &bare, err), -1);
    CHECK_STR_CONTAINS(err, "without a finite value of objective 1");
    opt_study_free(a);
    opt_study_free(b);
    opt_space_free(sp);
}

int main(void)
{
    gsl_set_error_handler_off();
    double hr = 0, ht = 0, hn = 0;
    for (unsigned long seed = 1; seed <= 3; seed++) {
        hr += run(OPT_SAMPLER_RANDOM, seed, 0) / 3;
        ht += run(OPT_SAMPLER_MOTPE, seed, seed == 1) / 3;
        hn += run(OPT_SAMPLER_NSGA2, seed, seed == 1) / 3;
    }
    printf("ZDT1 d=%d, %d trials, mean hypervolume (ref 11,11): random %.4f motpe %.4f nsga2 %.4f\n",
           D, N, hr, ht, hn);
    CHECK_MSG(ht > hr, "motpe %.4f vs random %.4f", ht, hr);
    CHECK_MSG(hn > hr, "nsga2 %.4f vs random %.4f", hn, hr);
    CHECK_NEAR(run(OPT_SAMPLER_MOTPE, 9, 0), run(OPT_SAMPLER_MOTPE, 9, 0), 0);
    test_replay_with_values_suggests_the_same(OPT_SAMPLER_MOTPE);
    test_replay_with_values_suggests_the_same(OPT_SAMPLER_NSGA2);

    /* refusals */
    char err[256];
    opt_space *sp = opt_space_new();
    opt_space_add_float(sp, "x", 0, 1, 0, 0, err);
    opt_direction dirs[2] = {OPT_MAXIMIZE, OPT_MINIMIZE};
    opt_pruner_config pc;
    opt_pruner_config_default(&pc, OPT_PRUNER_MEDIAN);
    opt_sampler_config sc;
    opt_sampler_config_default(&sc, OPT_SAMPLER_MOTPE);
    opt_study *st = opt_study_new(sp, OPT_MAXIMIZE, &sc, &pc, 1, err);
    CHECK_INT(opt_study_set_objectives(st, 2, dirs, err), -1);
    CHECK_STR_CONTAINS(err, "pruning is off");
    opt_study_free(st);
    opt_sampler_config_default(&sc, OPT_SAMPLER_GP);
    st = opt_study_new(sp, OPT_MAXIMIZE, &sc, NULL, 1, err);
    CHECK_INT(opt_study_set_objectives(st, 2, dirs, err), -1);
    CHECK_STR_CONTAINS(err, "single-objective");
    opt_study_free(st);
    opt_space_free(sp);
    return check_done();
}
