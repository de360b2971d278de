/*
 * test_query.c - the filter language and ordering of trk_runs_query against
 * hand-built expectations on a seven-run study: numeric and text params, metric
 * last values, attributes, tags, backticked keys, ties, missing keys and NaN sorted
 * last, limits; malformed filters name the offending token and its position;
 * SQL injection attempts in names, keys, literals and tags are inert.
 */
#include "tests/check.h"
#include "tests/tracker/trk_testutil.h"
#include "tracker/query.h"

#include <gsl/gsl_rng.h>
#include <math.h>

static char err[256];
static trk_store *S;
static int64_t SID, RUN[7];

/* Runs the query and compares the trial numbers in order with `want` (-1 ends). */
static void expect(const char *filter, const char *order, int desc, long limit, const int *want,
                   int line)
{
    trk_query q = {filter, order, desc, limit};
    trk_run_list l;
    int rc = trk_runs_query(S, SID, &q, &l, err);
    check_count_++;
    if (rc != 0) {
        check_failures_++;
        fprintf(stderr, "FAIL line %d: filter '%s' order '%s': error %s\n", line,
                filter ? filter : "", order ? order : "", err);
        return;
    }
    int n = 0;
    while (want[n] >= 0)
        n++;
    int ok = l.n == n;
    for (int i = 0; ok && i < n; i++)
        ok = l.runs[i].trial_number == want[i];
    if (!ok) {
        check_failures_++;
        fprintf(stderr, "FAIL line %d: filter '%s' order '%s'%s: got [", line,
                filter ? filter : "", order ? order : "", desc ? " desc" : "");
        for (int i = 0; i < l.n; i++)
            fprintf(stderr, "%s%d", i ? "," : "", l.runs[i].trial_number);
        fprintf(stderr, "] want [");
        for (int i = 0; i < n; i++)
            fprintf(stderr, "%s%d", i ? "," : "", want[i]);
        fprintf(stderr, "]\n");
    }
    trk_run_list_free(&l);
}
#define EXPECT(f, o, d, lim, ...) do { static const int w_[] = {__VA_ARGS__, -1}; \
    expect(f, o, d, lim, w_, __LINE__); } while (0)
#define EXPECT_NONE(f) do { static const int w_[] = {-1}; expect(f, NULL, 0, 0, w_, __LINE__); } while (0)

static void bad_filter(const char *filter, const char *want1, const char *want2)
{
    trk_query q = {filter, NULL, 0, 0};
    trk_run_list l;
    int rc = trk_runs_query(S, SID, &q, &l, err);
    CHECK_MSG(rc == TRK_EINVAL, "filter '%s' accepted (rc %d)", filter, rc);
    CHECK_STR_CONTAINS(err, want1);
    if (want2)
        CHECK_STR_CONTAINS(err, want2);
    CHECK_INT(trk_filter_check(filter, err), TRK_EINVAL);
}

/* A filter that parses but names a key the study's runs do not have. */
static void bad_key(const char *filter, const char *want1, const char *want2)
{
    trk_query q = {filter, NULL, 0, 0};
    trk_run_list l;
    int rc = trk_runs_query(S, SID, &q, &l, err);
    CHECK_MSG(rc == TRK_EINVAL, "filter '%s' accepted (rc %d)", filter, rc);
    CHECK_STR_CONTAINS(err, want1);
    if (want2)
        CHECK_STR_CONTAINS(err, want2);
    CHECK_INT(trk_filter_check(filter, err), 0);
}

static void add_run(int t, trk_state st, double value, const char *units, const char *act,
                    const double *sharpe, int nsharpe, const char *error)
{
    int64_t r;
    TU_OK(trk_run_start(S, SID, t, 1 + t % 3, 100 + t, &r, err));
    RUN[t] = r;
    trk_param_in p[3];
    int np = 0;
    if (units)
        p[np++] = (trk_param_in){"units", units, strtod(units, NULL)};
    if (act)
        p[np++] = (trk_param_in){"act", act, NAN};
    if (t == 1)
        p[np++] = (trk_param_in){"odd key", "x", NAN};
    TU_OK(trk_run_log_params(S, r, p, np, err));
    trk_metric_in m[4];
    for (int i = 0; i < nsharpe; i++)
        m[i] = (trk_metric_in){"sharpe", i, sharpe[i], 0};
    TU_OK(trk_run_log_metrics(S, r, m, nsharpe, err));
    if (st != TRK_RUNNING)
        TU_OK(trk_run_finish(S, r, st, value, error, err));
}

int main(void)
{
    char path[600];
    tu_scratch();
    tu_path(path, sizeof path, "q.db");
    S = trk_store_open(path, TRK_CREATE, err);
    if (!S) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    TU_OK(trk_study_open(S, "q", "{}", "minimize", 0, &SID, NULL, err));
    /* A decoy study whose runs must never appear. */
    int64_t other, orun;
    TU_OK(trk_study_open(S, "decoy", "{}", "minimize", 0, &other, NULL, err));
    TU_OK(trk_run_start(S, other, 0, 0, 0, &orun, err));
    trk_param_in dp = {"units", "64", 64};
    TU_OK(trk_run_log_params(S, orun, &dp, 1, err));

    const double s0[] = {0.2, 1.5}, s1[] = {0.8}, s2[] = {1.0, NAN}, s4[] = {2.0},
                 s5[] = {1.5}, s6[] = {0.1, 3.0};
    add_run(0, TRK_COMPLETE, 0.5, "64", "relu", s0, 2, NULL);
    add_run(1, TRK_COMPLETE, 0.3, "32", "tanh", s1, 1, NULL);
    add_run(2, TRK_PRUNED, NAN, "128", "relu", s2, 2, NULL);
    add_run(3, TRK_FAIL, NAN, "256", "relu", NULL, 0, "boom: diverged");
    add_run(4, TRK_COMPLETE, 0.3, "64", "re'lu", s4, 1, NULL);
    add_run(5, TRK_COMPLETE, NAN, NULL, "tanh", s5, 1, NULL);
    add_run(6, TRK_RUNNING, NAN, "16", NULL, s6, 2, NULL);
    TU_OK(trk_run_set_tag(S, RUN[0], "team", "a", err));
    TU_OK(trk_run_set_tag(S, RUN[1], "team", "b", err));
    TU_OK(trk_run_set_tag(S, RUN[4], "epochs", "12", err));
    TU_OK(trk_run_set_tag(S, RUN[5], "epochs", "n/a", err));
    TU_OK(trk_run_set_tag(S, RUN[6], "epochs", "9.5", err));

    /* filters, default order = trial_number */
    EXPECT(NULL, NULL, 0, 0, 0, 1, 2, 3, 4, 5, 6);
    EXPECT("  ", NULL, 0, 0, 0, 1, 2, 3, 4, 5, 6);
    EXPECT("params.units >= 64", NULL, 0, 0, 0, 2, 3, 4);
    EXPECT("params.units >= 64 and metrics.sharpe > 1 and state = 'COMPLETE'", NULL, 0, 0, 0, 4);
    EXPECT("params.units >= 64 AND metrics.sharpe > 1 And state = \"COMPLETE\"", NULL, 0, 0, 0, 4);
    EXPECT("metrics.sharpe > 1", NULL, 0, 0, 0, 4, 5, 6);
    EXPECT("metrics.sharpe < 100", NULL, 0, 0, 0, 1, 4, 5, 6); /* NaN last value never matches */
    EXPECT("params.act = 'relu'", NULL, 0, 0, 0, 2, 3);
    EXPECT("params.act LIKE 're%'", NULL, 0, 0, 0, 2, 3, 4);
    EXPECT("params.act ILIKE 'RE%'", NULL, 0, 0, 0, 2, 3, 4);
    EXPECT("params.act = 're''lu'", NULL, 0, 0, 4);
    EXPECT("params.units = '64'", NULL, 0, 0, 0, 4);
    EXPECT("value < 0.4", NULL, 0, 0, 1, 4);
    EXPECT("value > 0", NULL, 0, 0, 0, 1, 4);
    EXPECT("state != 'COMPLETE'", NULL, 0, 0, 2, 3, 6);
    EXPECT("attributes.state = 'pruned'", NULL, 0, 0, 2);
    EXPECT("status = 'FAIL'", NULL, 0, 0, 3);
    EXPECT("trial_number <= 1", NULL, 0, 0, 0, 1);
    EXPECT("tags.team = 'a'", NULL, 0, 0, 0);
    EXPECT("params.units != 64", NULL, 0, 0, 1, 2, 3, 6);
    EXPECT("params.`odd key` = 'x'", NULL, 0, 0, 1);
    EXPECT("params.\"odd key\" = 'x'", NULL, 0, 0, 1);
    EXPECT("metrics.sharpe >= 1.5 and params.act != 'tanh'", NULL, 0, 0, 0, 4);
    EXPECT("error LIKE '%diverged%'", NULL, 0, 0, 3);
    EXPECT("worker = 1 and seed >= 100", NULL, 0, 0, 0, 3, 6);
    EXPECT("metrics.sharpe > 1e0", NULL, 0, 0, 0, 4, 5, 6);
    EXPECT("params.units > -1.5e2", NULL, 0, 0, 0, 1, 2, 3, 4, 6);
    bad_key("params.nothing = 1", "position 1: unknown key 'params.nothing'",
            "known: params.act, params.odd key, params.units");
    bad_key("state = 'FAIL' or metrics.nothing > 0", "position 19: unknown key 'metrics.nothing'",
            "known: metrics.sharpe");
    bad_key("tags.tema = 'a'", "unknown key 'tags.tema'", "known: tags.epochs, tags.team");

    /* or, not, parentheses, in, not in, like/ilike, is null, duration (hand-computed
     * from the table above: worker = 1 + t % 3, run 6 still RUNNING) */
    EXPECT("params.units = 32 or params.units = 128", NULL, 0, 0, 1, 2);
    EXPECT("state = 'FAIL' or metrics.sharpe >= 2", NULL, 0, 0, 3, 4, 6);
    EXPECT("not state = 'COMPLETE'", NULL, 0, 0, 2, 3, 6);
    EXPECT("not params.units >= 64", NULL, 0, 0, 1, 5, 6); /* 5 has no units */
    EXPECT("not not state = 'FAIL'", NULL, 0, 0, 3);
    EXPECT("params.units in (32, 256)", NULL, 0, 0, 1, 3);
    EXPECT("params.units not in (64,16)", NULL, 0, 0, 1, 2, 3); /* missing never matches */
    EXPECT("params.act IN ('tanh', 're''lu')", NULL, 0, 0, 1, 4, 5);
    EXPECT("state in ('pruned', 'fail')", NULL, 0, 0, 2, 3);
    EXPECT("worker in (3)", NULL, 0, 0, 2, 5);
    EXPECT("metrics.sharpe in (1.5, 7)", NULL, 0, 0, 0, 5);
    EXPECT_NONE("params.act like 'RE%'"); /* LIKE is case-sensitive */
    EXPECT("params.act like 'r_lu'", NULL, 0, 0, 0, 2, 3);
    EXPECT("params.act ilike 'RE%'", NULL, 0, 0, 0, 2, 3, 4);
    EXPECT("params.act not like 're%'", NULL, 0, 0, 1, 5);
    EXPECT("params.act not ilike 'T%'", NULL, 0, 0, 0, 2, 3, 4);
    EXPECT("params.units is null", NULL, 0, 0, 5);
    EXPECT("params.act IS NULL", NULL, 0, 0, 6);
    EXPECT("metrics.sharpe is null", NULL, 0, 0, 2, 3); /* NaN last value, no value */
    EXPECT("metrics.sharpe is not null", NULL, 0, 0, 0, 1, 4, 5, 6);
    EXPECT("value is null", NULL, 0, 0, 2, 3, 5, 6);
    EXPECT("tags.team is null and trial_number < 4", NULL, 0, 0, 2, 3);
    EXPECT("error is not null", NULL, 0, 0, 3);
    EXPECT("(state = 'COMPLETE' or state = 'PRUNED') and params.act = 'relu'", NULL, 0, 0, 0, 2);
    EXPECT("state = 'COMPLETE' or state = 'PRUNED' and params.act = 'relu'", NULL, 0, 0, 0, 1,
           2, 4, 5); /* and binds tighter than or */
    EXPECT("not (params.units >= 64 or params.act = 'tanh')", NULL, 0, 0, 6);
    EXPECT("((((trial_number = 1))))", NULL, 0, 0, 1);
    EXPECT("duration >= 0", NULL, 0, 0, 0, 1, 2, 3, 4, 5);
    EXPECT("tags.epochs > 9", NULL, 0, 0, 4, 6); /* tags that read as numbers, by value */
    EXPECT("tags.epochs = 12 or tags.epochs = 'n/a'", NULL, 0, 0, 4, 5);
    EXPECT("tags.epochs in (9.5, 12)", NULL, 0, 0, 4, 6);
    EXPECT("tags.epochs not in (12)", NULL, 0, 0, 6);
    EXPECT("attributes.duration is null", NULL, 0, 0, 6);
    EXPECT("state = 'FAIL' or metrics.sharpe > 1", "metrics.sharpe desc", 0, 0, 6, 4, 0, 5, 3);
    EXPECT("metrics.sharpe > 1 and not state = 'RUNNING'", "metrics.sharpe desc", 0, 0, 4, 0, 5);
    EXPECT("metrics.sharpe > 1 or params.units = 32", "metrics.sharpe", 0, 0, 1, 0, 5, 4, 6);
    bad_filter("(state = 'FAIL'", "position 16", "')'");
    bad_filter("params.units in 32", "position 17", "'('");
    bad_filter("params.units in (32, 'a')", "position 22", "the list holds numbers");
    bad_filter("params.units in (32", "position 20", "','");
    bad_filter("params.units not = 3", "position 14", "NOT goes before");
    bad_filter("params.units is 3", "position 17", "NULL");
    bad_filter("state = 'FAIL' or", "position 18", "end of filter");
    bad_filter("not", "position 4", "end of filter");
    bad_filter("()", "position 2", "a key");
    {
        char deep[300];
        memset(deep, '(', 100);
        snprintf(deep + 100, sizeof deep - 100, "state = 'FAIL'");
        bad_filter(deep, "position 66", "at most 64");
    }
    char by_id[64];
    snprintf(by_id, sizeof by_id, "run_id = %lld", (long long)RUN[3]);
    EXPECT(by_id, NULL, 0, 0, 3);

    /* ordering: ties by trial_number, missing and NaN last in both directions */
    EXPECT(NULL, "metrics.sharpe", 1, 0, 6, 4, 0, 5, 1, 2, 3);
    EXPECT(NULL, "metrics.sharpe desc", 0, 0, 6, 4, 0, 5, 1, 2, 3);
    EXPECT(NULL, "metrics.sharpe", 0, 0, 1, 0, 5, 4, 6, 2, 3);
    EXPECT(NULL, "metrics.sharpe ASC", 1, 0, 1, 0, 5, 4, 6, 2, 3);
    EXPECT(NULL, "value", 0, 0, 1, 4, 0, 2, 3, 5, 6);
    EXPECT(NULL, "value", 1, 0, 0, 1, 4, 2, 3, 5, 6);
    EXPECT(NULL, "params.units desc", 0, 0, 3, 2, 0, 4, 1, 6, 5);
    EXPECT(NULL, "params.units", 0, 0, 6, 1, 0, 4, 2, 3, 5);
    EXPECT(NULL, "trial_number desc", 0, 0, 6, 5, 4, 3, 2, 1, 0);
    EXPECT(NULL, "state", 0, 0, 0, 1, 4, 5, 3, 2, 6);
    EXPECT(NULL, "tags.team desc", 0, 0, 1, 0, 2, 3, 4, 5, 6);
    EXPECT(NULL, "params.`odd key`", 0, 0, 1, 0, 2, 3, 4, 5, 6);
    EXPECT(NULL, "metrics.sharpe desc", 0, 2, 6, 4);
    EXPECT("state = 'COMPLETE'", "metrics.sharpe desc", 0, 0, 4, 0, 5, 1);
    EXPECT("state = 'COMPLETE'", "value", 0, 3, 1, 4, 0);
    EXPECT("metrics.sharpe > 1", "metrics.sharpe", 0, 0, 0, 5, 4, 6);
    EXPECT("metrics.sharpe > 1 and metrics.sharpe <= 2", "metrics.sharpe desc", 0, 0, 4, 0, 5);
    EXPECT("metrics.sharpe < 1", "metrics.sharpe", 0, 0, 1);

    /* run rows carry their params */
    {
        trk_query q = {"trial_number = 0", NULL, 0, 0};
        trk_run_list l;
        TU_OK(trk_runs_query(S, SID, &q, &l, err));
        CHECK_INT(l.n, 1);
        if (l.n == 1) {
            CHECK_INT(l.runs[0].n_params, 2);
            CHECK_NEAR(l.runs[0].value, 0.5, 0);
            CHECK_INT(l.runs[0].state, TRK_COMPLETE);
        }
        trk_run_list_free(&l);
    }

    /* malformed filters: position (1-based) and token */
    bad_filter("params.units >> 64", "position 15", "'>'");
    bad_filter("foo.bar = 1", "position 1", "'foo.bar'");
    bad_filter("params.units = 'abc", "position 16", "closing quote");
    bad_filter("metrics.sharpe > 'x'", "position 18", "a number");
    bad_filter("state = 'DONE'", "position 9", "'DONE'");
    bad_filter("params.units >= 64 and", "position 23", "end of filter");
    bad_filter("bogus = 1", "position 1", "'bogus'");
    bad_filter("value = 'x'", "position 9", "a number");
    bad_filter("params.units 64", "position 14", "an operator");
    bad_filter("params.units = 64 params.act = 'x'", "position 19", "'and'");
    bad_filter("params.`unclosed = 1", "position 8", "backtick");
    bad_filter("params. = 1", "position 8", "name");
    bad_filter("value = 1x", "position 9", "'1x'");
    bad_filter("params.act LIKE 5", "position 17", "pattern");
    {
        trk_query q = {NULL, "metrics.sharpe sideways", 0, 0};
        trk_run_list l;
        CHECK_INT(trk_runs_query(S, SID, &q, &l, err), TRK_EINVAL);
        CHECK_STR_CONTAINS(err, "order: position 16");
        q.order_by = "nonsense";
        CHECK_INT(trk_runs_query(S, SID, &q, &l, err), TRK_EINVAL);
        CHECK_STR_CONTAINS(err, "order:");
    }

    /* injection attempts are data, never SQL */
    EXPECT_NONE("params.act = 'x'' OR 1=1 --'");
    bad_key("params.`units = 1 OR 1=1; DROP TABLE runs; --` = 'x'", "unknown key", NULL);
    EXPECT_NONE("tags.team = 'a'' OR ''1''=''1'");
    EXPECT(NULL, "params.`x) ; DROP TABLE runs; --`", 0, 0, 0, 1, 2, 3, 4, 5, 6);
    const char *evil = "x'); DROP TABLE studies; --";
    int64_t eid, found;
    TU_OK(trk_study_open(S, evil, "{\"a\":\"'; DROP TABLE runs; --\"}", "minimize", 0, &eid, NULL, err));
    TU_OK(trk_study_find(S, evil, &found, err));
    CHECK_INT(found, eid);
    TU_OK(trk_run_set_tag(S, RUN[2], "k'; DROP TABLE tags; --", "v'); DELETE FROM runs; --", err));
    EXPECT("tags.`k'; DROP TABLE tags; --` = 'v''); DELETE FROM runs; --'", NULL, 0, 0, 2);
    EXPECT(NULL, NULL, 0, 0, 0, 1, 2, 3, 4, 5, 6);
    trk_study_info *list;
    int n;
    TU_OK(trk_studies_list(S, &list, &n, err));
    CHECK_INT(n, 3);
    if (n == 3)
        CHECK_STR_CONTAINS(list[2].name, evil);
    trk_studies_free(list, n);

    /* fuzz: random token soups and byte mutations of valid filters never crash;
     * an error always names a position inside the text */
    {
        static const char *const toks[] = {"params.", "metrics.", "tags.", "attributes.", "units",
            "sharpe", "state", "value", "`odd key`", "`", "'", "\"", "'x''y'", "=", "!=", "<",
            "<=", ">", ">=", "LIKE", "and", "or", "not ", " in ", "(1, 2)", " is null", ",", "64", "-1.5e3", "1e999", "'COMPLETE'", " ",
            "  ", ".", "(", ")", ";", "--", "\\", "%", "\xc3\xa9"};
        const int ntok = (int)(sizeof toks / sizeof toks[0]);
        gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(rng, 7);
        char f[512];
        int accepted = 0;
        for (int it = 0; it < 3000; it++) {
            size_t len = 0;
            int n = 1 + (int)gsl_rng_uniform_int(rng, 12);
            for (int k = 0; k < n; k++)
                len += (size_t)snprintf(f + len, sizeof f - len, "%s",
                                        toks[gsl_rng_uniform_int(rng, (unsigned long)ntok)]);
            if (it % 3 == 0) /* flip a byte of a valid filter instead */
                len = (size_t)snprintf(f, sizeof f, "params.units >= 64 and metrics.sharpe > 1"),
                f[gsl_rng_uniform_int(rng, len)] = (char)(1 + gsl_rng_uniform_int(rng, 255));
            int rc = trk_filter_check(f, err);
            if (rc == 0) {
                accepted++;
                trk_query q = {f, NULL, 0, 0};
                trk_run_list l;
                int qrc = trk_runs_query(S, SID, &q, &l, err);
                CHECK_MSG(qrc == 0 || (qrc == TRK_EINVAL && strstr(err, "unknown key")),
                          "accepted '%s' fails: %s", f, err);
                trk_run_list_free(&l);
            } else {
                CHECK_MSG(rc == TRK_EINVAL && strstr(err, "position ") != NULL, "'%s': %s", f, err);
            }
        }
        fprintf(stderr, "fuzz: %d of 3000 filters were valid\n", accepted);
        gsl_rng_free(rng);
    }

    trk_store_close(S);
    return check_done();
}
