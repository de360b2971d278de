/*
 * test_selection.c - PBO by CSCV and the Diebold-Mariano test against the
 * independent stdlib-Python reference (selection_reference.py, path in argv[1])
 * on a fixed matrix, and against the cases whose answer is known: identical
 * configurations (every logit 0), one configuration that dominates (PBO near 0),
 * pure noise (PBO near 0.5), identical losses (p = 0.5); and the verdict's rules.
 */
#include "tests/check.h"
#include "trainer/selection.h"

#include <cjson/cJSON.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <unistd.h>

static double *noise_matrix(int t, int n, unsigned long seed, double sd)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    double *m = malloc(sizeof *m * (size_t)t * n);
    for (long i = 0; i < (long)t * n; i++)
        m[i] = gsl_ran_gaussian(g, sd);
    gsl_rng_free(g);
    return m;
}

static double json_num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* A structured matrix (drifts that differ by trial, a slow common cycle) and a
 * pair of autocorrelated loss series, computed here and by the reference. */
static void test_pbo_dm_match_python_reference(const char *script)
{
    const int t = 360, n = 7, s = 10, nl = 300, lag = 3;
    double *m = noise_matrix(t, n, 11, 0.01);
    for (int i = 0; i < t; i++)
        for (int j = 0; j < n; j++)
            m[i * n + j] += 0.0004 * (j - 3) * sin(i / 40.0 + j) + 0.0002 * j;
    double *la = noise_matrix(nl, 1, 12, 0.2), *lb = noise_matrix(nl, 1, 13, 0.2);
    for (int i = 1; i < nl; i++) {
        la[i] = 0.7 + 0.5 * la[i - 1] + la[i] - 0.7 * 0.5;   /* AR(1) around 0.7 */
        lb[i] = 0.72 + 0.3 * lb[i] + 0.6 * la[i] - 0.6 * 0.7;
    }
    char mpath[] = "/tmp/seqtune-sel-m-XXXXXX", lpath[] = "/tmp/seqtune-sel-l-XXXXXX";
    int fm = mkstemp(mpath), fl = mkstemp(lpath);
    FILE *f = fdopen(fm, "w");
    for (int i = 0; i < t; i++)
        for (int j = 0; j < n; j++)
            fprintf(f, "%.17g%c", m[i * n + j], j + 1 < n ? ',' : '\n');
    fclose(f);
    f = fdopen(fl, "w");
    for (int i = 0; i < nl; i++)
        fprintf(f, "%.17g,%.17g\n", la[i], lb[i]);
    fclose(f);
    char cmd[8192], out[4096] = "";
    snprintf(cmd, sizeof cmd, "python3 '%s' %s %d %s %d", script, mpath, s, lpath, lag);
    FILE *p = popen(cmd, "r");
    size_t got = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[got] = '\0';
    CHECK_MSG(p && pclose(p) == 0, "the reference failed: %s", cmd);
    unlink(mpath);
    unlink(lpath);
    cJSON *ref = cJSON_Parse(out);
    CHECK_MSG(ref != NULL, "the reference printed no JSON: %s", out);

    tr_pbo_result r;
    char err[256];
    CHECK(tr_pbo_cscv(m, t, n, s, &r, err) == 0);
    double mean = 0, sd = 0;
    for (int k = 0; k < r.n_splits; k++)
        mean += r.logit[k] / r.n_splits;
    for (int k = 0; k < r.n_splits; k++)
        sd += (r.logit[k] - mean) * (r.logit[k] - mean) / r.n_splits;
    sd = sqrt(sd);
    CHECK_INT(r.n_splits, (int)json_num(ref, "n_splits"));
    CHECK_NEAR(r.pbo, json_num(ref, "pbo"), 1e-12);
    CHECK_NEAR(mean, json_num(ref, "logit_mean"), 1e-9);
    CHECK_NEAR(sd, json_num(ref, "logit_sd"), 1e-9);
    CHECK_NEAR(r.slope, json_num(ref, "slope"), 1e-7);
    CHECK_NEAR(r.p_oos_loss, json_num(ref, "p_oos_loss"), 1e-12);
    fprintf(stderr, "reference matrix %dx%d, S=%d: PBO %.4f (python %.4f), logit mean %.5f, "
            "slope %.5f, P(OOS loss) %.4f\n", t, n, s, r.pbo, json_num(ref, "pbo"), mean,
            r.slope, r.p_oos_loss);
    tr_pbo_result_free(&r);

    tr_dm_result d;
    CHECK(tr_diebold_mariano(la, lb, nl, lag, &d, err) == 0);
    CHECK_NEAR(d.stat, json_num(ref, "dm_stat"), 1e-9);
    CHECK_NEAR(d.pvalue, json_num(ref, "dm_pvalue"), 1e-9);
    CHECK_NEAR(d.mean_diff, json_num(ref, "dm_mean"), 1e-12);
    CHECK_NEAR(d.ci_low, json_num(ref, "dm_lo"), 1e-9);
    CHECK_NEAR(d.ci_high, json_num(ref, "dm_hi"), 1e-9);
    fprintf(stderr, "reference DM (lag %d): stat %.6f p %.6g (python %.6f %.6g)\n", lag, d.stat,
            d.pvalue, json_num(ref, "dm_stat"), json_num(ref, "dm_pvalue"));
    cJSON_Delete(ref);
    free(m);
    free(la);
    free(lb);
}

static void test_pbo_identical_configurations_give_logit_zero(void)
{
    const int t = 200, n = 5;
    double *col = noise_matrix(t, 1, 3, 0.01), *m = malloc(sizeof *m * t * n);
    for (int i = 0; i < t; i++)
        for (int j = 0; j < n; j++)
            m[i * n + j] = col[i];
    tr_pbo_result r;
    char err[256];
    CHECK(tr_pbo_cscv(m, t, n, 16, &r, err) == 0);
    CHECK_INT(r.n_splits, 12870);
    int zero = 1;
    for (int k = 0; k < r.n_splits; k++)
        zero &= r.logit[k] == 0;
    CHECK_MSG(zero, "identical configurations: every logit must be 0");
    CHECK_NEAR(r.pbo, 1.0, 0);   /* logit <= 0 counts: the winner is no better than any */
    tr_pbo_result_free(&r);
    free(m);
    free(col);
}

static void test_pbo_dominant_configuration_near_zero(void)
{
    const int t = 800, n = 10;
    double *m = noise_matrix(t, n, 5, 0.01);
    for (int i = 0; i < t; i++)
        m[i * n + 4] += 0.006;     /* 0.6 sd per bar, in every block */
    tr_pbo_result r;
    char err[256];
    CHECK(tr_pbo_cscv(m, t, n, 16, &r, err) == 0);
    CHECK_MSG(r.pbo < 0.02, "PBO %.4f with one dominant configuration", r.pbo);
    CHECK_MSG(r.p_oos_loss < 0.02, "P(OOS loss) %.4f", r.p_oos_loss);
    fprintf(stderr, "dominant: PBO %.4f\n", r.pbo);
    tr_pbo_result_free(&r);
    free(m);
}

static void test_pbo_pure_noise_near_half(void)
{
    double sum = 0;
    const int seeds = 12;
    for (int k = 0; k < seeds; k++) {
        double *m = noise_matrix(640, 20, 100 + k, 0.01);
        tr_pbo_result r;
        char err[256];
        CHECK(tr_pbo_cscv(m, 640, 20, 16, &r, err) == 0);
        sum += r.pbo;
        tr_pbo_result_free(&r);
        free(m);
    }
    fprintf(stderr, "pure noise: mean PBO over %d matrices %.4f\n", seeds, sum / seeds);
    CHECK_MSG(fabs(sum / seeds - 0.5) < 0.12, "mean PBO %.4f on noise", sum / seeds);
}

static void test_pbo_refuses_bad_shapes(void)
{
    double m[64] = {0};
    tr_pbo_result r;
    char err[256];
    CHECK(tr_pbo_cscv(m, 32, 1, 4, &r, err) < 0);
    CHECK(tr_pbo_cscv(m, 32, 2, 5, &r, err) < 0);
    CHECK(tr_pbo_cscv(m, 6, 2, 4, &r, err) < 0);
    m[3] = NAN;
    CHECK(tr_pbo_cscv(m, 32, 2, 4, &r, err) < 0);
    CHECK_STR_CONTAINS(err, "not finite");
}

static void test_dm_known_cases(void)
{
    const int n = 500;
    double *a = noise_matrix(n, 1, 7, 0.1), *b = malloc(sizeof *b * n);
    tr_dm_result d;
    char err[256];
    CHECK(tr_diebold_mariano(a, a, n, -1, &d, err) == 0);
    CHECK_NEAR(d.pvalue, 0.5, 0);
    CHECK_NEAR(d.mean_diff, 0, 0);
    CHECK_INT(d.lag, 5);    /* floor(4 (500/100)^(2/9)) */
    double *e = noise_matrix(n, 1, 8, 0.1);
    for (int i = 0; i < n; i++)
        b[i] = a[i] + 0.05 + e[i];     /* a better by 0.05, noise sd 0.1 */
    CHECK(tr_diebold_mariano(a, b, n, -1, &d, err) == 0);
    CHECK_MSG(d.pvalue < 1e-6, "p %.3g for a clear difference", d.pvalue);
    CHECK(d.ci_low < -0.05 + 0.03 && d.ci_high > -0.05 - 0.03 && d.ci_high < 0);
    CHECK(tr_diebold_mariano(b, a, n, -1, &d, err) == 0);
    CHECK(d.pvalue > 1 - 1e-6);
    CHECK(tr_diebold_mariano(a, b, 1, -1, &d, err) < 0);
    free(a);
    free(b);
    free(e);
}

static void test_verdict_needs_both_criteria(void)
{
    tr_selection_config c;
    tr_selection_config_default(&c);
    tr_verdict v;
    tr_verdict_input in = {0.97, 30, 0.01, "majority class", 0.2, 0.3, 25, NULL};
    tr_verdict_decide(&in, &c, &v);
    CHECK_INT(v.edge, 1);
    CHECK_INT(v.n_reasons, 4);
    CHECK_STR_CONTAINS(v.reasons[0], "0.970 >= 0.95 over 30 evaluated trials");
    CHECK_STR_CONTAINS(v.reasons[1], "p = 0.0100 < 0.05");
    CHECK_STR_CONTAINS(v.reasons[2], "adds no significant value");
    CHECK_STR_CONTAINS(v.reasons[2], "linear (logistic) baseline");   /* NULL: logistic */
    CHECK_STR_CONTAINS(v.reasons[3], "ranking carries");
    in.linear_name = "softmax";   /* multiclass names its own linear baseline */
    tr_verdict_decide(&in, &c, &v);
    CHECK_STR_CONTAINS(v.reasons[2], "linear (softmax) baseline");
    in.linear_name = NULL;
    in.dsr = 0.94;
    tr_verdict_decide(&in, &c, &v);
    CHECK_INT(v.edge, 0);
    in.dsr = 0.99;
    in.dm_p_noskill = 0.05;
    tr_verdict_decide(&in, &c, &v);
    CHECK_INT(v.edge, 0);
    in.dm_p_noskill = NAN;
    tr_verdict_decide(&in, &c, &v);
    CHECK_INT(v.edge, 0);
    in.dm_p_noskill = 0.001;
    in.pbo = NAN;
    in.pbo_trials = 2;
    in.dm_p_linear = NAN;
    tr_verdict_decide(&in, &c, &v);
    CHECK_INT(v.edge, 1);   /* PBO and the linear test do not change it */
    CHECK_INT(v.n_reasons, 3);
    CHECK_STR_CONTAINS(v.reasons[2], "PBO not computed: 2 trial(s)");
    in.pbo = 0.6;
    tr_verdict_decide(&in, &c, &v);
    CHECK_STR_CONTAINS(v.reasons[2], "no better than a random configuration");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_selection selection_reference.py\n");
        return 2;
    }
    gsl_set_error_handler_off();
    test_pbo_dm_match_python_reference(argv[1]);
    test_pbo_identical_configurations_give_logit_zero();
    test_pbo_dominant_configuration_near_zero();
    test_pbo_pure_noise_near_half();
    test_pbo_refuses_bad_shapes();
    test_dm_known_cases();
    test_verdict_needs_both_criteria();
    return check_done();
}
