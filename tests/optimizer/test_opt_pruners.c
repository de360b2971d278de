/*
 * test_opt_pruners.c - median, percentile and successive-halving decisions
 * against tables worked out by hand from Optuna's rules (see optimizer/pruner.c),
 * for both directions, with startup, warm-up, intervals, and a replayed history.
 */
#include <gsl/gsl_errno.h>

#include "optimizer/study.h"
#include "tests/check.h"

static opt_space *one_param(void)
{
    char err[256];
    opt_space *s = opt_space_new();
    opt_space_add_float(s, "x", 0, 1, 0, 0, err);
    return s;
}

/* n COMPLETE trials from rows of this table (steps 0, 1, 2; final = step 2).
 * Per-step medians over all five rows: 3.0, 2.0, 1.5. */
static void add_complete(opt_study *st, int first, int n)
{
    char err[256];
    static const double tab[5][3] = {
        {1.0, 0.8, 0.6}, {2.0, 1.5, 1.0}, {3.0, 2.0, 1.5}, {4.0, 3.0, 2.5}, {5.0, 4.0, 3.5}};
    for (int t = first; t < first + n; t++) {
        opt_trial_params p;
        opt_ask(st, &p, err);
        for (int step = 0; step < 3; step++)
            opt_report(st, p.number, step, tab[t][step], err);
        opt_tell(st, p.number, OPT_COMPLETE, tab[t][2], err);
    }
}

/* A new trial reports vals at steps 0..n-1; the decision at the last step. The
 * trial then ends as FAIL, which no pruner counts. */
static int decide(opt_study *st, const double *vals, int n)
{
    char err[256];
    opt_trial_params p;
    opt_ask(st, &p, err);
    int d = 0;
    for (int step = 0; step < n; step++) {
        opt_report(st, p.number, step, vals[step], err);
        d = opt_should_prune(st, p.number, step);
    }
    opt_tell(st, p.number, OPT_FAIL, NAN, err);
    return d;
}

static opt_study *percentile_study(const opt_space *s, opt_direction dir, opt_pruner_kind kind,
                                   double pct, int warmup, int interval)
{
    char err[256];
    opt_pruner_config pc;
    opt_pruner_config_default(&pc, kind);
    pc.percentile = pct;
    pc.n_warmup_steps = warmup;
    pc.interval_steps = interval;
    opt_study *st = opt_study_new(s, dir, NULL, &pc, 1, err);
    add_complete(st, 0, 5);
    return st;
}

static void test_median_and_percentile_tables(void)
{
    char err[256];
    opt_space *s = one_param();
    opt_pruner_config pc;
    opt_pruner_config_default(&pc, OPT_PRUNER_MEDIAN);
    opt_study *st = opt_study_new(s, OPT_MINIMIZE, NULL, &pc, 1, err);
    add_complete(st, 0, 4);
    CHECK_INT(decide(st, (double[]){100.0}, 1), 0); /* 4 COMPLETE < 5 startup */
    add_complete(st, 4, 1);
    CHECK_INT(decide(st, (double[]){100.0}, 1), 1);
    CHECK_INT(decide(st, (double[]){2.5}, 1), 0);           /* 2.5 <= median 3.0 */
    CHECK_INT(decide(st, (double[]){3.5}, 1), 1);           /* 3.5 > 3.0 */
    CHECK_INT(decide(st, (double[]){2.5, 2.2}, 2), 1);      /* best 2.2 > 2.0 */
    CHECK_INT(decide(st, (double[]){2.5, 1.9}, 2), 0);      /* best 1.9 <= 2.0 */
    CHECK_INT(decide(st, (double[]){1.0, 9.0, 9.0}, 3), 0); /* best so far 1.0 <= 1.5 */
    CHECK_INT(decide(st, (double[]){NAN}, 1), 1);           /* no finite value */
    opt_study_free(st);

    /* warm-up: step 0 is never judged */
    st = percentile_study(s, OPT_MINIMIZE, OPT_PRUNER_MEDIAN, 50, 1, 1);
    CHECK_INT(decide(st, (double[]){3.5}, 1), 0);
    CHECK_INT(decide(st, (double[]){3.5, 2.2}, 2), 1);
    opt_study_free(st);
    /* interval 2: step 1 is not the first step of an interval */
    st = percentile_study(s, OPT_MINIMIZE, OPT_PRUNER_MEDIAN, 50, 0, 2);
    CHECK_INT(decide(st, (double[]){2.5, 2.2}, 2), 0);
    CHECK_INT(decide(st, (double[]){2.5, 2.2, 2.0}, 3), 1); /* step 2: 2.0 > 1.5 */
    opt_study_free(st);
    /* maximize: larger is better, the median is the same */
    st = percentile_study(s, OPT_MAXIMIZE, OPT_PRUNER_MEDIAN, 50, 0, 1);
    CHECK_INT(decide(st, (double[]){2.5}, 1), 1);
    CHECK_INT(decide(st, (double[]){3.5}, 1), 0);
    opt_study_free(st);
    /* percentile 25: step-0 threshold 2.0 (minimize), 75th = 4.0 (maximize) */
    st = percentile_study(s, OPT_MINIMIZE, OPT_PRUNER_PERCENTILE, 25, 0, 1);
    CHECK_INT(decide(st, (double[]){2.5}, 1), 1);
    CHECK_INT(decide(st, (double[]){1.5}, 1), 0);
    opt_study_free(st);
    st = percentile_study(s, OPT_MAXIMIZE, OPT_PRUNER_PERCENTILE, 25, 0, 1);
    CHECK_INT(decide(st, (double[]){3.5}, 1), 1);
    CHECK_INT(decide(st, (double[]){4.5}, 1), 0);
    opt_study_free(st);
    /* percentile 30 interpolates: 2.0 + 0.2 * (3.0 - 2.0) = 2.2 */
    st = percentile_study(s, OPT_MINIMIZE, OPT_PRUNER_PERCENTILE, 30, 0, 1);
    CHECK_INT(decide(st, (double[]){2.25}, 1), 1);
    CHECK_INT(decide(st, (double[]){2.15}, 1), 0);
    opt_study_free(st);
    opt_space_free(s);
}

/* Successive halving, min resource 1, reduction factor 4: rungs end at steps 1,
 * 4, 16. Each trial reports its value at steps 0 and 1; the decision at step 1. */
static const double sha_vals[9] = {5, 3, 4, 1, 2, 1.5, 0.5, 1.2, 0.9};
/* minimize: promoted when value <= the (n/4)-th best of the n rung values */
static const int sha_min[9] = {0, 0, 1, 0, 1, 1, 0, 1, 0};
static const int sha_max[9] = {0, 1, 1, 1, 1, 1, 1, 1, 1};

static int sha_trial(opt_study *st, double v, int *number)
{
    char err[256];
    opt_trial_params p;
    opt_ask(st, &p, err);
    *number = p.number;
    opt_report(st, p.number, 0, v, err);
    int d0 = opt_should_prune(st, p.number, 0);
    opt_report(st, p.number, 1, v, err);
    int d1 = opt_should_prune(st, p.number, 1);
    return d0 * 10 + d1; /* step 0 never decides: 10+ means a bug */
}

static void test_successive_halving_table(void)
{
    char err[256];
    opt_space *s = one_param();
    opt_pruner_config pc;
    opt_pruner_config_default(&pc, OPT_PRUNER_SUCCESSIVE_HALVING);
    pc.min_resource = 1;   /* the table below is for a minimum resource of 1 step */
    opt_study *st = opt_study_new(s, OPT_MINIMIZE, NULL, &pc, 1, err);
    int num[9];
    for (int t = 0; t < 9; t++) {
        int d = sha_trial(st, sha_vals[t], &num[t]);
        CHECK_MSG(d == sha_min[t], "minimize trial %d value %g: decision %d, expected %d", t,
                  sha_vals[t], d, sha_min[t]);
        if (t != 3)
            opt_tell(st, num[t], d ? OPT_PRUNED : OPT_COMPLETE, sha_vals[t], err);
    }
    /* trial 3 goes on: no rung between steps 1 and 4, alone at rung 1 */
    opt_report(st, num[3], 2, 0.9, err);
    CHECK_INT(opt_should_prune(st, num[3], 2), 0);
    opt_report(st, num[3], 4, 0.7, err);
    CHECK_INT(opt_should_prune(st, num[3], 4), 0);
    opt_tell(st, num[3], OPT_COMPLETE, 0.7, err);

    /* replay the history into a fresh study: the rungs come back */
    opt_study *re = opt_study_new(s, OPT_MINIMIZE, NULL, &pc, 1, err);
    for (int i = 0; i < opt_study_n_trials(st); i++) {
        opt_trial_params p;
        int number;
        opt_state state;
        double value;
        opt_study_trial_info(st, i, &number, &state, &value, &p);
        int steps3[3] = {0, 1, 2}, steps5[4] = {0, 1, 2, 4};
        double vals[4] = {sha_vals[i], sha_vals[i], 0.9, 0.7};
        opt_trial_record r = {.number = number, .state = state, .value = value, .params = &p,
                              .n_steps = i == 3 ? 4 : 2, .steps = i == 3 ? steps5 : steps3,
                              .step_values = vals};
        CHECK_INT(opt_study_replay(re, &r, err), 0);
    }
    /* 10 values at rung 0: promoted if <= the 2nd best (0.9) */
    int n1, n2;
    CHECK_INT(sha_trial(st, 0.95, &n1), 1);
    CHECK_INT(sha_trial(re, 0.95, &n2), 1);
    CHECK_INT(n1, n2);
    CHECK_INT(sha_trial(st, 0.8, &n1), 0);
    CHECK_INT(sha_trial(re, 0.8, &n2), 0);
    opt_study_free(st);
    opt_study_free(re);

    st = opt_study_new(s, OPT_MAXIMIZE, NULL, &pc, 1, err);
    for (int t = 0; t < 9; t++) {
        int d = sha_trial(st, sha_vals[t], &num[t]);
        CHECK_MSG(d == sha_max[t], "maximize trial %d value %g: decision %d, expected %d", t,
                  sha_vals[t], d, sha_max[t]);
        opt_tell(st, num[t], d ? OPT_PRUNED : OPT_COMPLETE, sha_vals[t], err);
    }
    /* 10 values: promoted if >= the 2nd largest (4.5 itself) */
    CHECK_INT(sha_trial(st, 4.5, &n1), 0);
    opt_study_free(st);
    opt_space_free(s);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_median_and_percentile_tables();
    test_successive_halving_table();
    return check_done();
}
