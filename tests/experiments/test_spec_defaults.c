/*
 * test_spec_defaults.c - every default of a spec is its owner's: a spec that
 * says nothing gets exactly tr_trial_config_default, tr_trial_params_default,
 * opt_sampler_config_default(TPE) and opt_pruner_config_default(MEDIAN);
 * omitting search.sampler is the same as naming "tpe" (three spellings, one
 * config, one canonical text); a trial's hyperparameters come from the field
 * table (searched values over the fixed ones).
 */
#include "experiments/spec.h"
#include "tests/check.h"

#include <math.h>
#include <string.h>

static const char minimal[] =
    "{\"name\": \"d\", \"objective\": {\"builtin\": \"branin\"},"
    " \"search\": {%s \"space\": {\"x\": {\"type\": \"float\", \"low\": 0, \"high\": 1}}}}";

static int parse(const char *sampler, exp_spec *s)
{
    char text[512];
    snprintf(text, sizeof text, minimal, sampler);
    exp_errors e = {0};
    int rc = exp_spec_parse(text, ".", 0, s, &e);
    for (int i = 0; i < e.n; i++)
        fprintf(stderr, "  %s\n", e.msg[i]);
    exp_errors_free(&e);
    return rc;
}

static void test_spec_omitted_sampler_is_named_tpe(void)
{
    const char *forms[3] = {"", "\"sampler\": \"tpe\",", "\"sampler\": {\"name\": \"tpe\"},"};
    exp_spec s[3];
    char *text[3];
    for (int i = 0; i < 3; i++) {
        CHECK_MSG(parse(forms[i], &s[i]) == 0, "form %d refused", i);
        text[i] = exp_spec_to_string(&s[i], 0);
    }
    opt_sampler_config tpe;
    opt_sampler_config_default(&tpe, OPT_SAMPLER_TPE);
    for (int i = 0; i < 3; i++) {
        CHECK_MSG(memcmp(&s[i].search.sampler, &tpe, sizeof tpe) == 0,
                  "form %d: sampler config differs from opt_sampler_config_default(TPE)", i);
        CHECK_INT(s[i].search.sampler.multivariate, 1);
        CHECK_INT(s[i].search.sampler.constant_liar, 1);
        CHECK_MSG(text[i] && text[0] && strcmp(text[i], text[0]) == 0,
                  "form %d prints\n  %s\nform 0 prints\n  %s", i, text[i], text[0]);
    }
    CHECK_STR_CONTAINS(text[0], "\"multivariate\":true,\"constant_liar\":true");
    for (int i = 0; i < 3; i++) {
        free(text[i]);
        exp_spec_free(&s[i]);
    }
}

static void test_spec_defaults_are_the_owners(void)
{
    exp_spec s;
    CHECK(parse("", &s) == 0);
    opt_pruner_config pc;
    opt_pruner_config_default(&pc, OPT_PRUNER_MEDIAN);
    CHECK_MSG(memcmp(&s.search.pruner, &pc, sizeof pc) == 0,
              "pruner config differs from opt_pruner_config_default(MEDIAN)");
    tr_trial_params p;
    tr_trial_params_default(&p);
    CHECK_MSG(memcmp(&s.params, &p, sizeof p) == 0,
              "fixed hyperparameters differ from tr_trial_params_default");
    tr_trial_config c;
    tr_trial_config_default(&c);
    CHECK_INT(s.trial.folds, c.folds);
    CHECK_INT(s.trial.max_epochs, c.max_epochs);
    CHECK_INT(s.trial.patience, c.patience);
    CHECK_NEAR(s.trial.plateau_factor, c.plateau_factor, 0);
    CHECK_NEAR(s.trial.val_fraction, c.val_fraction, 0);
    CHECK_NEAR(s.trial.long_threshold, c.long_threshold, 0);
    CHECK_INT(s.trial.blas_threads, c.blas_threads);
    CHECK_INT(s.trial.target.kind, c.target.kind);
    CHECK_INT(s.trial.scaler, c.scaler);
    CHECK_INT(s.search.direction, OPT_MINIMIZE);
    exp_spec_free(&s);
}

static void test_spec_trial_params_from_table(void)
{
    exp_spec s;
    CHECK(parse("", &s) == 0);
    s.params.units = 48;
    cJSON *params = cJSON_Parse("{\"seq_len\": 12, \"learning_rate\": 0.02, \"l2\": 0.5,"
                                " \"x\": 3, \"dropout\": \"high\"}");
    tr_trial_params p;
    exp_spec_trial_params(&s, params, &p);
    CHECK_INT(p.seq_len, 12);
    CHECK_NEAR(p.learning_rate, 0.02, 0);
    CHECK_NEAR(p.l2, 0.5, 0);
    CHECK_INT(p.units, 48);                       /* fixed value: not searched */
    CHECK_NEAR(p.dropout, s.params.dropout, 0);   /* not a number: the fixed value stays */
    CHECK_INT(p.batch_size, s.params.batch_size);
    cJSON_Delete(params);
    /* per-layer values: a searched one wins, an absent or NaN (inactive) one
     * leaves the fixed value, which by default is "every layer's" (0, NaN) */
    s.params.layer_units[3] = 5;
    params = cJSON_Parse("{\"units_1\": 12, \"dropout_2\": 0}");
    cJSON_AddNumberToObject(params, "units_4", NAN);
    cJSON_AddNumberToObject(params, "dropout_3", NAN);
    exp_spec_trial_params(&s, params, &p);
    CHECK(p.layer_units[0] == 12 && p.layer_units[1] == 0 && p.layer_units[2] == 0);
    CHECK_INT(p.layer_units[3], 5);
    CHECK(p.layer_dropout[1] == 0.0 && isnan(p.layer_dropout[0]) && isnan(p.layer_dropout[2]));
    cJSON_Delete(params);
    const char *const *names = exp_lstm_param_names();
    int n = 0;
    while (names[n])
        n++;
    CHECK(n >= 8);   /* seq_len .. clip_norm, and any added since */
    CHECK(strcmp(names[0], exp_seq_len_param) == 0);
    exp_spec_free(&s);
}

int main(void)
{
    test_spec_omitted_sampler_is_named_tpe();
    test_spec_defaults_are_the_owners();
    test_spec_trial_params_from_table();
    return check_done();
}
