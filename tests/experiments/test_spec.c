/*
 * test_spec.c - the study spec parser (experiments/spec.h): one case per error
 * class, each checking the exact JSON path and wording of the message; all
 * errors reported at once; "did you mean" hints; defaults; the canonical JSON
 * round trip; objective specs that need no data.
 */
#include "experiments/spec.h"
#include "tests/check.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp_dir[256];

/* A valid LSTM spec; the cases below change one field of it at a time. */
static const char base_spec[] =
    "{\"name\": \"unit\", \"data\": {\"path\": \"candles.csv\"},"
    " \"features\": [\"log_return\", \"rsi:14\", \"hour_of_day\"],"
    " \"target\": {\"kind\": \"direction\", \"horizon\": 1},"
    " \"validation\": {\"folds\": 3},"
    " \"training\": {\"max_epochs\": 5},"
    " \"search\": {\"n_trials\": 4, \"sampler\": {\"name\": \"tpe\", \"seed\": 1},"
    "   \"pruner\": {\"name\": \"median\"},"
    "   \"space\": {\"units\": {\"type\": \"int\", \"low\": 4, \"high\": 16},"
    "             \"dropout\": {\"type\": \"float\", \"low\": 0, \"high\": 0.5},"
    "             \"batch_size\": {\"type\": \"categorical\", \"choices\": [32, 64]}}},"
    " \"backtest\": {\"fee_bps\": 5}}";

/* The base spec with the value at dotted `path` replaced by the JSON text
 * `value` (NULL deletes it; missing objects on the way are created).
 * The caller frees the result with free(). */
static char *spec_set(const char *text, const char *path, const char *value)
{
    cJSON *root = cJSON_Parse(text);
    cJSON *obj = root;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    char *key = buf, *dot;
    while ((dot = strchr(key, '.'))) {
        *dot = '\0';
        cJSON *next = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (!next)
            next = cJSON_AddObjectToObject(obj, key);
        obj = next;
        key = dot + 1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    if (value)
        cJSON_AddItemToObject(obj, key, cJSON_Parse(value));
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

/* Parses `json` and checks it is refused with an error message starting with
 * `prefix`; prints every message when it is not. */
static void expect_error(int line, const char *json, const char *prefix)
{
    exp_spec s;
    exp_errors e = {0};
    int rc = exp_spec_parse(json, tmp_dir, 1, &s, &e);
    int found = 0;
    for (int i = 0; i < e.n; i++)
        found |= strncmp(e.msg[i], prefix, strlen(prefix)) == 0;
    CHECK_MSG(rc == -1 && found, "line %d: wanted an error starting '%s'; rc %d, %d errors", line,
              prefix, rc, e.n);
    if (!found)
        for (int i = 0; i < e.n; i++)
            fprintf(stderr, "    got: %s\n", e.msg[i]);
    exp_errors_free(&e);
}

/* The base spec with one change must be refused with `prefix`. */
static void expect_set_error(int line, const char *path, const char *value, const char *prefix)
{
    char *json = spec_set(base_spec, path, value);
    expect_error(line, json, prefix);
    free(json);
}
#define SET_ERR(path, value, prefix) expect_set_error(__LINE__, path, value, prefix)

static void test_spec_base_is_valid(void)
{
    exp_spec s;
    exp_errors e = {0};
    int rc = exp_spec_parse(base_spec, tmp_dir, 1, &s, &e);
    CHECK_INT(rc, 0);
    for (int i = 0; i < e.n; i++)
        fprintf(stderr, "    unexpected: %s\n", e.msg[i]);
    CHECK_INT(e.n, 0);
    if (rc == 0) {
        CHECK_STR_CONTAINS(s.data.path, "/candles.csv");
        CHECK(s.data.path[0] == '/');
        CHECK_INT(s.n_features, 3);
        CHECK_INT(s.search.n_space, 3);
        const exp_param *u = exp_spec_param(&s, "units");
        CHECK(u && u->type == EXP_PARAM_INT && u->low == 4 && u->high == 16 && u->step == 1 && !u->log);
        const exp_param *b = exp_spec_param(&s, "batch_size");
        CHECK(b && b->n_choices == 2 && b->choices[1].number == 64);
        CHECK(exp_spec_param(&s, "nope") == NULL);
        /* documented defaults */
        CHECK_INT(s.trial.folds, 3);
        CHECK_NEAR(s.trial.val_fraction, 0.15, 0);
        CHECK_NEAR(s.trial.holdout_fraction, 0.15, 0);
        CHECK_INT(s.trial.rolling, 0);
        CHECK_INT(s.trial.scaler, TR_SCALER_STANDARD);
        CHECK_INT(s.trial.max_epochs, 5);
        CHECK_INT(s.trial.patience, 15);
        CHECK_NEAR(s.trial.plateau_factor, 0.5, 0);
        CHECK_INT(s.trial.blas_threads, 1);
        CHECK_INT(s.search.sampler.kind, OPT_SAMPLER_TPE);
        CHECK_INT(s.search.sampler.n_startup_trials, 10);
        CHECK_INT(s.search.sampler.n_ei_candidates, 24);
        CHECK_INT(s.search.sampler.multivariate, 1);
        CHECK_INT(s.search.sampler.constant_liar, 1);
        CHECK_INT(s.search.has_seed, 1);
        CHECK_INT(s.search.seed, 1);
        CHECK_INT(s.search.pruner.kind, OPT_PRUNER_MEDIAN);
        CHECK_INT(s.search.pruner.n_startup_trials, 5);
        CHECK_INT(s.search.pruner.n_warmup_steps, 0);
        CHECK_INT(s.search.pruner.interval_steps, 1);
        CHECK(strcmp(s.search.metric, "val_log_loss") == 0);
        CHECK_INT(s.search.direction, OPT_MINIMIZE);
        CHECK_NEAR(s.trial.fee_bps, 5, 0);
        CHECK_NEAR(s.trial.long_threshold, 0.55, 0);
        CHECK_INT(s.objective_kind, EXP_OBJECTIVE_LSTM);
    }
    exp_spec_free(&s);
    exp_errors_free(&e);
}

static void test_spec_missing_required(void)
{
    SET_ERR("name", NULL, "name: expected a study name of 1-200 printable characters (required), got nothing");
    SET_ERR("data", NULL, "data: expected an object (required), got nothing");
    SET_ERR("data.path", NULL, "data.path: expected a file path (required), got nothing");
    SET_ERR("features", NULL, "features: expected a non-empty array");
    SET_ERR("search", NULL, "search: expected an object (required), got nothing");
    SET_ERR("search.space", NULL, "search.space: expected an object of parameters (required), got nothing");
    SET_ERR("search.space.units.type", NULL, "search.space.units.type: expected one of int, float, categorical (required)");
    SET_ERR("search.space.units.high", NULL, "search.space.units.high: expected an integer (required), got nothing");
    SET_ERR("search.pruner", "{\"name\": \"percentile\"}",
            "search.pruner.percentile: expected a number in (0, 100) (required by the percentile pruner)");
}

static void test_spec_wrong_types(void)
{
    SET_ERR("name", "42", "name: expected a study name of 1-200 printable characters (UTF-8), got 42");
    SET_ERR("target", "\"up\"", "target: expected an object, got \"up\"");
    SET_ERR("validation.folds", "\"5\"", "validation.folds: expected an integer in [1, 1000], got \"5\"");
    SET_ERR("validation.folds", "2.5", "validation.folds: expected an integer in [1, 1000], got 2.5");
    SET_ERR("training.clip_norm", "0", "training.clip_norm: expected a number > 0, got 0");
    SET_ERR("search.sampler.multivariate", "1", "search.sampler.multivariate: expected true or false, got 1");
    SET_ERR("search.space.units.low", "4.5", "search.space.units.low: expected an integer, got 4.5");
    SET_ERR("features", "[\"rsi\", 7]", "features[1]: expected a feature name such as \"rsi:14\", got 7");
    SET_ERR("validation.val_fraction", "0.95", "validation.val_fraction: expected a number in (0, 0.9], got 0.95");
    SET_ERR("backtest.short_threshold", "0.6", "backtest.short_threshold: expected a number <= long_threshold (0.55), got 0.6");
}

static void test_spec_bounds(void)
{
    SET_ERR("search.space.units.low", "-3", "search.space.units.low: expected a number > 0, got -3");
    SET_ERR("search.space.units.high", "4", "search.space.units.high: expected a number > low (4), got 4");
    SET_ERR("search.space.dropout.low", "0.6", "search.space.dropout.high: expected a number > low (0.6), got 0.5");
    SET_ERR("search.space.dropout.high", "1", "search.space.dropout.high: expected a number in [0, 1), got 1");
    SET_ERR("search.space.layers", "{\"type\": \"int\", \"low\": 1, \"high\": 5}",
            "search.space.layers.high: expected a number in [1, 4], got 5");
    SET_ERR("search.space.seq_len", "{\"type\": \"int\", \"low\": 0, \"high\": 5}",
            "search.space.seq_len.low: expected a number > 0, got 0");
    SET_ERR("search.space.learning_rate", "{\"type\": \"float\", \"low\": -1, \"high\": 0.1}",
            "search.space.learning_rate.low: expected a number > 0, got -1");
    SET_ERR("search.space.l2", "{\"type\": \"float\", \"low\": -0.1, \"high\": 0.1}",
            "search.space.l2.low: expected a number >= 0, got -0.1");
    SET_ERR("search.space.clip_norm", "{\"type\": \"categorical\", \"choices\": [1, 0]}",
            "search.space.clip_norm.choices[1]: expected a number > 0, got 0");
    SET_ERR("search.space.batch_size.choices", "[32, 0]",
            "search.space.batch_size.choices[1]: expected a number > 0, got 0");
    SET_ERR("search.space.units.type", "\"float\"",
            "search.space.units.type: expected \"int\" or \"categorical\" for units, got \"float\"");
}

static void test_spec_log_scale(void)
{
    SET_ERR("search.space.x", "{\"type\": \"float\", \"low\": 0, \"high\": 1, \"log\": true}",
            "search.space.x: expected a parameter the LSTM trainer knows");
    SET_ERR("search.space.l2", "{\"type\": \"float\", \"low\": 0, \"high\": 1, \"log\": true}",
            "search.space.l2.low: expected a number > 0 (\"log\": true), got 0");
    SET_ERR("search.space.units.log", "\"yes\"", "search.space.units.log: expected true or false, got \"yes\"");
    SET_ERR("search.space.l2", "{\"type\": \"float\", \"low\": 0.1, \"high\": 1, \"log\": true, \"step\": 0.1}",
            "search.space.l2.step: expected no step with \"log\": true");
}

static void test_spec_unknown_names(void)
{
    SET_ERR("search.sampler.name", "\"tpf\"",
            "search.sampler.name: expected one of random, sobol, tpe, gp, grid, motpe, nsga2, got \"tpf\" (did you mean \"tpe\"?)");
    SET_ERR("search.pruner.name", "\"medain\"",
            "search.pruner.name: expected one of none, median, percentile, successive_halving, got \"medain\" (did you mean \"median\"?)");
    SET_ERR("search.metric", "\"val_acuracy\"", "search.metric: expected one of val_log_loss");
    SET_ERR("search.metric", "\"val_acuracy\"", "search.metric: expected one of val_log_loss, val_accuracy");
    SET_ERR("features", "[\"rsl:14\"]", "features[0]: expected a known feature, got \"rsl:14\" (did you mean \"rsi\"?)");
    SET_ERR("features", "[\"zzzzzzzz\"]", "features[0]: expected a known feature with valid arguments, got \"zzzzzzzz\" (unknown feature");
    SET_ERR("features", "[\"rsi:x\"]", "features[0]: expected a known feature with valid arguments, got \"rsi:x\"");
    SET_ERR("features", "[\"rsi\", \"rsi\"]", "features[1]: expected each feature once, got \"rsi\" twice");
    SET_ERR("search.space.unitz", "{\"type\": \"int\", \"low\": 1, \"high\": 4}",
            "search.space.unitz: expected a parameter the LSTM trainer knows (seq_len, units, layers, dropout, "
            "learning_rate, batch_size, l2, clip_norm, l1, input_noise, bidirectional, units_1, units_2, units_3, units_4, "
            "dropout_1, dropout_2, dropout_3, dropout_4), got \"unitz\" (did you mean \"units\"?)");
    /* issue 17: l1 and bidirectional */
    SET_ERR("training.l1", "-0.5", "training.l1: expected a number >= 0, got -0.5");
    SET_ERR("training.bidirectional", "1", "training.bidirectional: expected true or false, got 1");
    SET_ERR("search.space.l1", "{\"type\": \"float\", \"low\": -1, \"high\": 0.1}",
            "search.space.l1.low: expected a number >= 0, got -1");
    SET_ERR("search.space.bidirectional", "{\"type\": \"categorical\", \"choices\": [0, 2]}",
            "search.space.bidirectional.choices[1]: expected a number in [0, 1], got 2");
    SET_ERR("search.space.bidirectional", "{\"type\": \"categorical\", \"choices\": [false, \"yes\"]}",
            "search.space.bidirectional.choices[1]: expected a number, got \"yes\"");
    SET_ERR("search.space.bidirectional", "{\"type\": \"float\", \"low\": 0, \"high\": 1}",
            "search.space.bidirectional.type: expected \"int\" or \"categorical\" for bidirectional");
    /* issue 17: the multiclass target */
    SET_ERR("target", "{\"kind\": \"multiclas\", \"deadband\": 0.001}",
            "target.kind: expected one of direction, return, multiclass, price, got \"multiclas\" (did you mean \"multiclass\"?)");
    SET_ERR("target", "{\"kind\": \"multiclass\"}",
            "target.deadband: expected a number > 0 for target.kind \"multiclass\" (required: the flat class's band)");
    SET_ERR("target", "{\"kind\": \"multiclass\", \"deadband\": 0}",
            "target.deadband: expected a number > 0 for target.kind \"multiclass\" (the flat class's band), got 0");
    SET_ERR("target", "{\"kind\": \"multiclass\", \"deadband\": 0.001, \"class_weights\": [1, 2]}",
            "target.class_weights: expected an array of 3 numbers >= 0 (down, flat, up)");
    SET_ERR("target", "{\"kind\": \"multiclass\", \"deadband\": 0.001, \"class_weights\": [1, -2, 1]}",
            "target.class_weights[1]: expected a number >= 0, got -2");
    SET_ERR("target", "{\"kind\": \"multiclass\", \"deadband\": 0.001, \"class_weights\": [0, 0, 0]}",
            "target.class_weights: expected at least one weight > 0");
    SET_ERR("target", "{\"kind\": \"direction\", \"class_weights\": [1, 1, 1]}",
            "target.class_weights: expected no such key unless target.kind is \"multiclass\"");
    SET_ERR("search.metric", "\"val_macro_f1\"",
            "search.metric: expected a metric for target.kind \"direction\", got \"val_macro_f1\"");
    /* issue 17: the price target */
    SET_ERR("target", "{\"kind\": \"prices\"}",
            "target.kind: expected one of direction, return, multiclass, price, got \"prices\" (did you mean \"price\"?)");
    SET_ERR("search.metric", "\"val_rmse\"",
            "search.metric: expected a metric for target.kind \"direction\", got \"val_rmse\"");
    {
        char *t = spec_set(base_spec, "target", "{\"kind\": \"price\", \"horizon\": 2}");
        char *u = spec_set(t, "search.metric", "\"val_log_loss\"");
        expect_error(__LINE__, u, "search.metric: expected a metric for target.kind \"price\", got \"val_log_loss\"");
        free(u);
        u = spec_set(t, "search.metric", "\"val_directional_accuracy\"");
        expect_error(__LINE__, u, "search.direction: expected \"maximize\" for metric val_directional_accuracy");
        free(u);
        free(t);
    }
    SET_ERR("validation.window", "\"rolling_\"", "validation.window: expected one of expanding, rolling, got \"rolling_\" (did you mean \"rolling\"?)");
    SET_ERR("search.direction", "\"maximise\"", "search.direction: expected one of minimize, maximize, got \"maximise\" (did you mean \"maximize\"?)");
    SET_ERR("search.metric", "\"val_accuracy\"",
            "search.direction: expected \"maximize\" for metric val_accuracy (higher is better), got nothing");
    SET_ERR("search.metric", "\"val_mse\"", "search.metric: expected a metric for target.kind \"direction\", got \"val_mse\"");
}

static void test_spec_empty_choices(void)
{
    SET_ERR("search.space.batch_size.choices", "[]",
            "search.space.batch_size.choices: expected a non-empty array of numbers, strings or booleans, got []");
    SET_ERR("search.space.batch_size.choices", "[32, 32]",
            "search.space.batch_size.choices[1]: expected distinct choices, got 32 twice");
    SET_ERR("search.space.batch_size.low", "1",
            "search.space.batch_size.low: expected no such key for a categorical parameter");
}

static void test_spec_unknown_keys(void)
{
    SET_ERR("search.samplr", "{}",
            "search.samplr: expected one of the keys n_trials, timeout_s, sampler, pruner, metric, direction, metrics, directions, space, "
            "reproducible, reproducible_lag, enqueue, warm_start, "
            "got unknown key \"samplr\" (did you mean \"sampler\"?)");
    SET_ERR("nmae", "\"x\"", "nmae: expected one of the keys name, data, features, target, validation, training, "
            "search, backtest, objective, selection, got unknown key \"nmae\" (did you mean \"name\"?)");
    SET_ERR("training.lr_plateau.facter", "0.5", "training.lr_plateau.facter: expected one of the keys factor, patience, got unknown key \"facter\" (did you mean \"factor\"?)");
    SET_ERR("search.space.units.stepp", "2", "search.space.units.stepp: expected one of the keys type, low, high, step, log, choices");
    SET_ERR("search.space.units.units", "2", "search.space.units.units: expected one of the keys");
}

static void test_spec_data_path(void)
{
    SET_ERR("data.path", "\"missing.csv\"", "data.path: expected a readable file, got \"missing.csv\" (");
    SET_ERR("data.path", "\".\"", "data.path: expected a readable file, got \".\" (");
    SET_ERR("data.path", "\"\"", "data.path: expected a file path, got \"\"");
}

static void test_spec_all_errors_at_once(void)
{
    char *a = spec_set(base_spec, "search.space.units.low", "-3");
    char *b = spec_set(a, "search.sampler.name", "\"tpf\"");
    char *c = spec_set(b, "data.path", "\"missing.csv\"");
    char *d = spec_set(c, "validation.scaler", "\"minmaxx\"");
    exp_spec s;
    exp_errors e = {0};
    int rc = exp_spec_parse(d, tmp_dir, 1, &s, &e);
    CHECK_INT(rc, -1);
    CHECK_INT(e.n, 4);
    const char *want[] = {"search.space.units.low:", "search.sampler.name:", "data.path:", "validation.scaler:"};
    for (int k = 0; k < 4; k++) {
        int found = 0;
        for (int i = 0; i < e.n; i++)
            found |= strncmp(e.msg[i], want[k], strlen(want[k])) == 0;
        CHECK_MSG(found, "no error for %s", want[k]);
    }
    exp_errors_free(&e);
    free(a);
    free(b);
    free(c);
    free(d);
}

static void test_spec_sampler_pruner_kinds(void)
{
    SET_ERR("search.sampler", "{\"name\": \"random\", \"constant_liar\": true}",
            "search.sampler.constant_liar: expected one of the keys name, seed, got unknown key");
    SET_ERR("search.sampler", "{\"name\": \"grid\"}", "search.space.dropout.step: expected a step (the grid sampler");
    SET_ERR("search.pruner", "{\"name\": \"successive_halving\", \"reduction_factor\": 1}",
            "search.pruner.reduction_factor: expected an integer in [2, 1000], got 1");
    SET_ERR("search.pruner", "{\"name\": \"successive_halving\", \"min_resource\": \"some\"}",
            "search.pruner.min_resource: expected an integer >= 1 or \"auto\", got \"some\"");
    SET_ERR("search.sampler.seed", "-1", "search.sampler.seed: expected an integer in [0, 9007199254740991], got -1");

    char *j = spec_set(base_spec, "search.sampler", "\"gp\"");
    char *k = spec_set(j, "search.pruner", "{\"name\": \"percentile\", \"percentile\": 25}");
    exp_spec s;
    exp_errors e = {0};
    CHECK_INT(exp_spec_parse(k, tmp_dir, 1, &s, &e), 0);
    CHECK_INT(s.search.sampler.kind, OPT_SAMPLER_GP);
    CHECK_INT(s.search.sampler.n_startup_trials, 10);
    CHECK_INT(s.search.has_seed, 0);
    CHECK_INT(s.search.pruner.kind, OPT_PRUNER_PERCENTILE);
    CHECK_NEAR(s.search.pruner.percentile, 25, 0);
    exp_spec_free(&s);
    exp_errors_free(&e);
    free(j);
    free(k);
}

/* search.metrics / search.directions: the parsed objectives, the defaults they
 * change (nsga2, no pruner), the canonical text without search.metric, and
 * every refusal with its path. */
static void test_spec_multi_objective(void)
{
    char *a = spec_set(base_spec, "search.pruner", NULL);
    char *b = spec_set(a, "search.sampler", NULL);
    char *j = spec_set(b, "search.metrics", "[\"sharpe\", \"max_drawdown\", \"val_accuracy\"]");
    char *k = spec_set(j, "search.directions", "[\"maximize\", \"minimize\", \"maximize\"]");
    exp_spec s, t;
    exp_errors e = {0};
    CHECK_INT(exp_spec_parse(k, tmp_dir, 1, &s, &e), 0);
    CHECK_INT(s.search.n_objectives, 3);
    CHECK_INT(exp_spec_n_objectives(&s), 3);
    CHECK(strcmp(exp_spec_objective_name(&s, 1), "max_drawdown") == 0);
    CHECK_INT(exp_spec_objective_direction(&s, 0), OPT_MAXIMIZE);
    CHECK_INT(exp_spec_objective_direction(&s, 1), OPT_MINIMIZE);
    CHECK_INT(s.search.direction, OPT_MAXIMIZE);
    CHECK(strcmp(s.search.metric, "sharpe") == 0);
    CHECK_INT(s.search.sampler.kind, OPT_SAMPLER_NSGA2);
    CHECK_INT(s.search.sampler.population_size, 50);
    CHECK_INT(s.search.pruner.kind, OPT_PRUNER_NONE);
    char *one = exp_spec_to_string(&s, 0);
    CHECK(strstr(one, "\"metric\":") == NULL && strstr(one, "\"direction\":") == NULL);
    CHECK_STR_CONTAINS(one, "\"metrics\":[\"sharpe\",\"max_drawdown\",\"val_accuracy\"],"
                       "\"directions\":[\"maximize\",\"minimize\",\"maximize\"]");
    CHECK_STR_CONTAINS(one, "\"mutation_prob\":\"auto\"");
    CHECK_INT(exp_spec_parse(one, tmp_dir, 1, &t, &e), 0);
    char *two = exp_spec_to_string(&t, 0);
    CHECK_MSG(strcmp(one, two) == 0, "\n%s\n%s", one, two);
    CHECK_INT(exp_spec_n_objectives(&t), 3);
    free(one);
    free(two);
    exp_spec_free(&t);
    exp_spec_free(&s);
    exp_errors_free(&e);
    /* a single-objective spec keeps its fields and gets 1 */
    CHECK_INT(exp_spec_parse(base_spec, tmp_dir, 1, &s, &e), 0);
    CHECK_INT(s.search.n_objectives, 0);
    CHECK_INT(exp_spec_n_objectives(&s), 1);
    CHECK(strcmp(exp_spec_objective_name(&s, 0), "val_log_loss") == 0);
    exp_spec_free(&s);
    exp_errors_free(&e);

    SET_ERR("search.metrics", "[\"sharpe\"]", "search.metrics: expected an array of 2 to 4 metric names, got [\"sharpe\"]");
    SET_ERR("search.metrics", "[\"sharpe\", \"sharpe\"]",
            "search.metrics[1]: expected each metric once, got \"sharpe\" twice");
    SET_ERR("search.metrics", "[\"val_log_loss\", \"bogus\"]", "search.metrics[1]: expected one of val_log_loss");
    SET_ERR("search.metrics", "[\"val_log_loss\", \"val_mse\"]",
            "search.metrics[1]: expected a metric for target.kind \"direction\", got \"val_mse\"");
    SET_ERR("search.metrics", "[\"val_log_loss\", \"sharpe\"]",
            "search.directions[1]: expected \"maximize\" for metric sharpe (higher is better), got nothing");
    SET_ERR("search.metrics", "[\"val_log_loss\", \"sharpe\"]",
            "search.sampler.name: expected one of motpe, nsga2, random for a multi-objective study");
    SET_ERR("search.metrics", "[\"val_log_loss\", \"sharpe\"]",
            "search.pruner.name: expected \"none\" for a multi-objective study");
    SET_ERR("search.directions", "[\"maximize\"]",
            "search.directions: expected search.metrics beside it");
    expect_error(__LINE__, j, "search.directions[0]: expected \"maximize\" for metric sharpe");
    char *m = spec_set(j, "search.metric", "\"val_log_loss\"");
    expect_error(__LINE__, m, "search.metric: expected no search.metric beside search.metrics");
    free(m);
    m = spec_set(k, "search.directions", "[\"maximize\", \"up\", \"maximize\"]");
    expect_error(__LINE__, m, "search.directions[1]: expected one of minimize, maximize, got \"up\"");
    free(m);
    m = spec_set(k, "search.directions", "[\"maximize\", \"minimize\"]");
    expect_error(__LINE__, m, "search.directions: expected an array of 3 of \"minimize\", \"maximize\"");
    free(m);
    m = spec_set(k, "search.sampler", "{\"name\": \"nsga2\", \"mutation_prob\": 0}");
    expect_error(__LINE__, m, "search.sampler.mutation_prob: expected a number in (0, 1] or \"auto\", got 0");
    free(m);
    const char *zdt = "{\"name\": \"z\", \"objective\": {\"builtin\": \"zdt1\"}, \"search\": {"
                      "\"space\": {\"x1\": {\"type\": \"float\", \"low\": 0, \"high\": 1}}}}";
    expect_error(__LINE__, zdt, "search.metrics: expected 2 objective names for objective.builtin zdt1");
    const char *cmd = "{\"name\": \"c\", \"objective\": {\"command\": [\"true\"]}, \"search\": {"
                      "\"metrics\": [\"a\", \"b\"], \"space\": {\"x\": {\"type\": \"int\", \"low\": 0, "
                      "\"high\": 3}}}}";
    expect_error(__LINE__, cmd, "search.metrics: expected search.metric with objective.command");
    free(a);
    free(b);
    free(j);
    free(k);
}

/* Serialising, parsing the text again and serialising again gives the same text. */
static void test_spec_canonical_round_trip(void)
{
    const char *variants[][2] = {
        {"search.pruner", "{\"name\": \"successive_halving\"}"},
        {"search.sampler", "{\"name\": \"sobol\", \"seed\": 3}"},
        {"target", "{\"kind\": \"return\", \"horizon\": 2}"},
        {"search.space.tag", NULL},
        {"training", "{\"layers\": 2, \"units_1\": 24, \"dropout_2\": 0.1}"},
    };
    for (int v = 0; v < 5; v++) {
        char *json = spec_set(base_spec, variants[v][0], variants[v][1]);
        if (v == 2) {
            char *m = spec_set(json, "search.metric", "\"val_mse\"");
            free(json);
            json = m;
        }
        exp_spec s, t;
        exp_errors e = {0};
        int rc = exp_spec_parse(json, tmp_dir, 1, &s, &e);
        CHECK_MSG(rc == 0, "variant %d refused: %s", v, e.n ? e.msg[0] : "");
        if (rc == 0) {
            char *one = exp_spec_to_string(&s, 0);
            int rc2 = exp_spec_parse(one, "/nonexistent", 1, &t, &e);
            CHECK_MSG(rc2 == 0, "variant %d canonical text refused: %s", v, e.n ? e.msg[0] : "");
            if (rc2 == 0) {
                char *two = exp_spec_to_string(&t, 0);
                CHECK_MSG(strcmp(one, two) == 0, "variant %d:\n%s\n%s", v, one, two);
                free(two);
                exp_spec_free(&t);
            }
            free(one);
            exp_spec_free(&s);
        }
        exp_errors_free(&e);
        free(json);
    }
}

/* Issue 18: units_K / dropout_K, fixed in training or searched, reach each trial's
 * per-layer overrides; unset, they print nothing, so the canonical text (and the
 * stored spec a --resume compares) of a spec without them is what it was. */
static void test_spec_layer_fields(void)
{
    exp_spec s;
    exp_errors e = {0};
    CHECK(exp_spec_parse(base_spec, tmp_dir, 1, &s, &e) == 0);
    char *text = exp_spec_to_string(&s, 0);
    CHECK_MSG(text && !strstr(text, "units_") && !strstr(text, "dropout_"),
              "unset per-layer fields are printed: %s", text ? text : "(null)");
    for (int l = 0; l < 4; l++)
        CHECK(s.params.layer_units[l] == 0 && isnan(s.params.layer_dropout[l]));
    free(text);
    exp_spec_free(&s);

    char *json = spec_set(base_spec, "training",
                          "{\"layers\": 3, \"units_2\": 12, \"dropout_1\": 0, \"dropout_3\": 0.25}");
    char *j2 = spec_set(json, "search.space.units_1", "{\"type\": \"int\", \"low\": 2, \"high\": 9}");
    int rc = exp_spec_parse(j2, tmp_dir, 1, &s, &e);
    CHECK_MSG(rc == 0, "per-layer spec refused: %s", e.n ? e.msg[0] : "");
    if (rc == 0) {
        CHECK_INT(s.params.layer_units[1], 12);
        CHECK(s.params.layer_units[0] == 0 && s.params.layer_units[2] == 0);
        CHECK(s.params.layer_dropout[0] == 0.0 && s.params.layer_dropout[2] == 0.25);
        CHECK(isnan(s.params.layer_dropout[1]) && isnan(s.params.layer_dropout[3]));
        text = exp_spec_to_string(&s, 0);
        CHECK_STR_CONTAINS(text, "\"units_2\":12,\"dropout_1\":0,\"dropout_3\":0.25}");
        CHECK_STR_CONTAINS(text, "\"units_1\":{\"type\":\"int\",\"low\":2,\"high\":9");
        /* a trial: units_1 searched, units_2 fixed, layer 4's value absent */
        cJSON *params = cJSON_Parse("{\"units_1\": 7, \"dropout_2\": 0.4}");
        tr_trial_params p;
        exp_spec_trial_params(&s, params, &p);
        CHECK(p.layer_units[0] == 7 && p.layer_units[1] == 12 && p.layer_units[3] == 0);
        CHECK(p.layer_dropout[1] == 0.4 && p.layer_dropout[2] == 0.25);
        cJSON_Delete(params);
        free(text);
        exp_spec_free(&s);
    }
    exp_errors_free(&e);
    free(json);
    free(j2);
    SET_ERR("training.units_4", "0", "training.units_4: expected an integer in [1, 65536], got 0");
    SET_ERR("training.dropout_2", "1", "training.dropout_2: expected a number in [0, 1), got 1");
    SET_ERR("search.space.units_2", "{\"type\": \"float\", \"low\": 2, \"high\": 8}",
            "search.space.units_2.type: expected \"int\" or \"categorical\" for units_2");
}

/* With an objective, the data-side sections are optional and any names are allowed. */
static void test_spec_objective(void)
{
    const char *builtin =
        "{\"name\": \"b\", \"objective\": {\"builtin\": \"branin\", \"sleep_s\": 0.5},"
        " \"search\": {\"n_trials\": 30, \"sampler\": \"random\", \"pruner\": \"none\","
        "  \"space\": {\"x\": {\"type\": \"float\", \"low\": -5, \"high\": 10},"
        "             \"y\": {\"type\": \"float\", \"low\": 0, \"high\": 15},"
        "             \"mode\": {\"type\": \"categorical\", \"choices\": [\"a\", true, 3]}}}}";
    exp_spec s;
    exp_errors e = {0};
    CHECK_INT(exp_spec_parse(builtin, NULL, 1, &s, &e), 0);
    for (int i = 0; i < e.n; i++)
        fprintf(stderr, "    unexpected: %s\n", e.msg[i]);
    CHECK_INT(s.objective_kind, EXP_OBJECTIVE_BUILTIN);
    CHECK(s.objective.builtin && strcmp(s.objective.builtin, "branin") == 0);
    CHECK_NEAR(s.objective.sleep_s, 0.5, 0);
    CHECK(strcmp(s.search.metric, "value") == 0);
    CHECK_INT(s.search.sampler.kind, OPT_SAMPLER_RANDOM);
    CHECK_INT(s.search.pruner.kind, OPT_PRUNER_NONE);
    CHECK_INT(s.present, 0);
    const exp_param *m = exp_spec_param(&s, "mode");
    CHECK(m && m->n_choices == 3 && m->choices[0].kind == EXP_CHOICE_STRING &&
          m->choices[1].kind == EXP_CHOICE_BOOL && m->choices[2].kind == EXP_CHOICE_NUMBER);
    char *txt = exp_spec_to_string(&s, 0);
    CHECK_STR_CONTAINS(txt, "\"objective\":{\"builtin\":\"branin\",\"sleep_s\":0.5}");
    CHECK(strstr(txt, "\"data\"") == NULL);
    free(txt);
    exp_spec_free(&s);
    exp_errors_free(&e);

    const char *cmd = "{\"name\": \"c\", \"objective\": {\"command\": [\"python3\", \"train.py\"]},"
                      " \"search\": {\"metric\": \"loss\", \"space\": {\"lr\": {\"type\": \"float\","
                      " \"low\": 1e-4, \"high\": 1, \"log\": true}}}}";
    CHECK_INT(exp_spec_parse(cmd, NULL, 1, &s, &e), 0);
    CHECK_INT(s.objective_kind, EXP_OBJECTIVE_COMMAND);
    CHECK_INT(s.objective.argc, 2);
    CHECK(s.objective.argv && strcmp(s.objective.argv[1], "train.py") == 0 && s.objective.argv[2] == NULL);
    CHECK(strcmp(s.search.metric, "loss") == 0);
    exp_spec_free(&s);
    exp_errors_free(&e);

    expect_error(__LINE__, "{\"name\": \"c\", \"objective\": {\"builtin\": \"branni\"}, \"search\": {\"space\":"
                 " {\"x\": {\"type\": \"int\", \"low\": 0, \"high\": 3}}}}",
                 "objective.builtin: expected one of branin, hartmann6, rosenbrock5, styblinski_tang4, mixed, conditional, zdt1, "
                 "got \"branni\" (did you mean \"branin\"?)");
    expect_error(__LINE__, "{\"name\": \"c\", \"objective\": {}, \"search\": {\"space\":"
                 " {\"x\": {\"type\": \"int\", \"low\": 0, \"high\": 3}}}}",
                 "objective: expected exactly one of \"command\" or \"builtin\", got neither");
    expect_error(__LINE__, "{\"name\": \"c\", \"objective\": {\"command\": []}, \"search\": {\"space\":"
                 " {\"x\": {\"type\": \"int\", \"low\": 0, \"high\": 3}}}}",
                 "objective.command: expected a non-empty array of strings");
}

static void test_spec_bad_json_and_file(void)
{
    expect_error(__LINE__, "{\"name\": \"x\",\n  \"search\": }", "spec: expected valid JSON, got a syntax error at line 2, column 13");
    expect_error(__LINE__, "[1, 2]", "spec: expected a JSON object, got [1,2]");
    expect_error(__LINE__, "{\"name\": \"x\"} trailing", "spec: expected valid JSON");
    exp_spec s;
    exp_errors e = {0};
    CHECK_INT(exp_spec_load("/nonexistent/spec.json", &s, &e), -1);
    CHECK_INT(e.n, 1);
    CHECK_STR_CONTAINS(e.n ? e.msg[0] : NULL, "/nonexistent/spec.json: expected a readable spec file");
    exp_errors_free(&e);
    /* exp_spec_load resolves the data path against the spec's folder */
    char path[300];
    snprintf(path, sizeof path, "%s/spec.json", tmp_dir);
    FILE *f = fopen(path, "w");
    fputs(base_spec, f);
    fclose(f);
    CHECK_INT(exp_spec_load(path, &s, &e), 0);
    CHECK_STR_CONTAINS(s.data.path, "/candles.csv");
    CHECK_STR_CONTAINS(s.spec_dir, tmp_dir);
    exp_spec_free(&s);
    exp_errors_free(&e);
}

/* Byte-level mutations of a valid spec: each is accepted (and its canonical
 * text accepted again) or refused with at least one message; never a crash
 * (the ASan build runs this too). */
static void test_spec_fuzz_never_crashes(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2024);
    const char alphabet[] = "{}[]\":,.-0123456789eEtruefalsnl \\x";
    size_t n = strlen(base_spec);
    char *buf = malloc(n + 1);
    int accepted = 0, refused = 0, broken = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(buf, base_spec, n + 1);
        int edits = 1 + (int)gsl_rng_uniform_int(r, 4);
        for (int k = 0; k < edits; k++) {
            size_t at = gsl_rng_uniform_int(r, n);
            double op = gsl_rng_uniform(r);
            if (op < 0.6)
                buf[at] = alphabet[gsl_rng_uniform_int(r, sizeof alphabet - 1)];
            else if (op < 0.9)
                memmove(buf + at, buf + at + 1, n - at);   /* delete one byte */
            else
                buf[at] = '\0';                            /* truncate */
        }
        exp_spec s;
        exp_errors e = {0};
        int rc = exp_spec_parse(buf, tmp_dir, 1, &s, &e);
        if (rc == 0) {
            accepted++;
            char *txt = exp_spec_to_string(&s, 0);
            exp_spec t;
            if (!txt || exp_spec_parse(txt, tmp_dir, 1, &t, &e) != 0)
                broken++;
            else
                exp_spec_free(&t);
            free(txt);
            exp_spec_free(&s);
        } else if (rc == -1 && e.n > 0) {
            refused++;
        } else {
            broken++;
        }
        exp_errors_free(&e);
    }
    fprintf(stderr, "fuzz: %d accepted, %d refused\n", accepted, refused);
    CHECK_INT(broken, 0);
    CHECK(refused > 1000);
    free(buf);
    gsl_rng_free(r);
}

/* selection (issue 15): the verdict's thresholds, their defaults and bounds */
static void test_spec_selection_thresholds(void)
{
    exp_spec s;
    exp_errors e = {0};
    CHECK_INT(exp_spec_parse(base_spec, tmp_dir, 1, &s, &e), 0);
    CHECK_NEAR(s.selection.dsr_min, 0.95, 0);
    CHECK_NEAR(s.selection.dm_alpha, 0.05, 0);
    CHECK_INT(s.selection.pbo_blocks, 16);
    exp_spec_free(&s);
    char *json = spec_set(base_spec, "selection.pbo_blocks", "8");
    CHECK_INT(exp_spec_parse(json, tmp_dir, 1, &s, &e), 0);
    CHECK_INT(s.selection.pbo_blocks, 8);
    exp_spec_free(&s);
    free(json);
    exp_errors_free(&e);
    SET_ERR("selection.pbo_blocks", "7", "selection.pbo_blocks: expected an even integer in [2, 24], got 7");
    SET_ERR("selection.pbo_blocks", "26", "selection.pbo_blocks: expected an integer in [2, 24], got 26");
    SET_ERR("selection.dsr_min", "1", "selection.dsr_min: expected a number in (0, 1), got 1");
    SET_ERR("selection.dm_alpha", "0.7", "selection.dm_alpha: expected a number in (0, 0.5], got 0.7");
    SET_ERR("selection.dsr", "0.9", "selection.dsr: expected one of the keys dsr_min, dm_alpha, pbo_max");
}

int main(void)
{
    gsl_set_error_handler_off();
    const char *t = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/seqtune_spec_XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    char data[300];
    snprintf(data, sizeof data, "%s/candles.csv", tmp_dir);
    FILE *f = fopen(data, "w");
    fputs("timestamp,open,high,low,close,volume\n", f);
    fclose(f);

    test_spec_base_is_valid();
    test_spec_missing_required();
    test_spec_wrong_types();
    test_spec_bounds();
    test_spec_log_scale();
    test_spec_unknown_names();
    test_spec_empty_choices();
    test_spec_unknown_keys();
    test_spec_selection_thresholds();
    test_spec_data_path();
    test_spec_all_errors_at_once();
    test_spec_sampler_pruner_kinds();
    test_spec_multi_objective();
    test_spec_canonical_round_trip();
    test_spec_layer_fields();
    test_spec_objective();
    test_spec_bad_json_and_file();
    test_spec_fuzz_never_crashes();

    char p[300];
    snprintf(p, sizeof p, "%s/spec.json", tmp_dir);
    unlink(p);
    unlink(data);
    rmdir(tmp_dir);
    return check_done();
}
