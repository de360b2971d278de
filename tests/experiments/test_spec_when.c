/*
 * test_spec_when.c - conditional parameters in the spec (search.space.NAME.when):
 * every operator and value kind prints back as written and reads back to the
 * same canonical text; the optimizer's space gets the same conditions (string
 * choices by index); a configuration's parameters are active, inactive or
 * undecided by the rule; every kind of bad condition is refused with its path;
 * search.enqueue refuses a value for a parameter the configuration leaves
 * inactive or undecided.
 */
#include "experiments/spec.h"
#include "tests/check.h"

#include <gsl/gsl_errno.h>
#include <math.h>

/* A space of every parent kind; `extra` adds parameters (JSON members). */
static char *spec_with(const char *extra, const char *enqueue)
{
    static const char head[] =
        "{\"name\": \"w\", \"objective\": {\"command\": [\"true\"]},"
        " \"search\": {\"sampler\": \"random\", %s%s%s \"space\": {"
        "  \"layers\": {\"type\": \"int\", \"low\": 1, \"high\": 4},"
        "  \"opt\": {\"type\": \"categorical\", \"choices\": [\"adam\", \"sgd\", \"rms\"]},"
        "  \"batch\": {\"type\": \"categorical\", \"choices\": [32, 64, 128]},"
        "  \"flag\": {\"type\": \"categorical\", \"choices\": [false, true]},"
        "  \"lr\": {\"type\": \"float\", \"low\": 0.001, \"high\": 0.1, \"log\": true}%s%s}}}";
    size_t n = sizeof head + strlen(extra) + (enqueue ? strlen(enqueue) : 0) + 32;
    char *out = malloc(n);
    snprintf(out, n, head, enqueue ? "\"enqueue\": " : "", enqueue ? enqueue : "",
             enqueue ? "," : "", *extra ? ", " : "", extra);
    return out;
}

static const char conditional[] =
    "\"units_2\": {\"type\": \"int\", \"low\": 16, \"high\": 256, \"log\": true,"
    "  \"when\": {\"layers\": {\">=\": 2}}},"
    "\"units_3\": {\"type\": \"int\", \"low\": 16, \"high\": 256, \"when\": {\"units_2\": {\"<\": 100}}},"
    "\"momentum\": {\"type\": \"float\", \"low\": 0, \"high\": 0.99, \"when\": {\"opt\": {\"==\": \"sgd\"}}},"
    "\"beta\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"when\": {\"opt\": {\"in\": [\"adam\", \"rms\"]}}},"
    "\"warm\": {\"type\": \"int\", \"low\": 0, \"high\": 9, \"when\": {\"batch\": {\">\": 32}}},"
    "\"decay\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"when\": {\"flag\": {\"==\": true}}},"
    "\"clip\": {\"type\": \"float\", \"low\": 0, \"high\": 1, \"when\": {\"lr\": {\"<=\": 0.01}}},"
    "\"tail\": {\"type\": \"int\", \"low\": 0, \"high\": 3, \"when\": {\"layers\": {\"!=\": 4}}}";

static int load(const char *json, exp_spec *s, exp_errors *e)
{
    memset(e, 0, sizeof *e);
    int rc = exp_spec_parse(json, NULL, 0, s, e);
    for (int i = 0; rc == 0 && i < e->n; i++)
        fprintf(stderr, "    unexpected: %s\n", e->msg[i]);
    return rc;
}

/* The canonical text keeps each condition as written and reads back unchanged. */
static void test_when_round_trip(void)
{
    char *json = spec_with(conditional, NULL);
    exp_spec s, t;
    exp_errors e;
    CHECK_INT(load(json, &s, &e), 0);
    char *one = exp_spec_to_string(&s, 0);
    CHECK_STR_CONTAINS(one, "\"units_2\":{\"type\":\"int\",\"low\":16,\"high\":256,\"step\":1,"
                            "\"log\":true,\"when\":{\"layers\":{\">=\":2}}}");
    CHECK_STR_CONTAINS(one, "\"when\":{\"units_2\":{\"<\":100}}");
    CHECK_STR_CONTAINS(one, "\"when\":{\"opt\":{\"==\":\"sgd\"}}");
    CHECK_STR_CONTAINS(one, "\"when\":{\"opt\":{\"in\":[\"adam\",\"rms\"]}}");
    CHECK_STR_CONTAINS(one, "\"when\":{\"batch\":{\">\":32}}");
    CHECK_STR_CONTAINS(one, "\"when\":{\"flag\":{\"==\":true}}");
    CHECK_STR_CONTAINS(one, "\"when\":{\"lr\":{\"<=\":0.01}}");
    CHECK_STR_CONTAINS(one, "\"when\":{\"layers\":{\"!=\":4}}");
    CHECK(strstr(one, "\"layers\":{\"type\":\"int\",\"low\":1,\"high\":4,\"step\":1,\"log\":false}"));
    exp_errors_free(&e);
    CHECK_INT(load(one, &t, &e), 0);
    char *two = exp_spec_to_string(&t, 0);
    CHECK_MSG(strcmp(one, two) == 0, "round trip differs:\n%s\n%s", one, two);
    const exp_param *b = exp_spec_param(&t, "beta");
    CHECK(b && b->when.op == OPT_COND_IN && b->when.n_values == 2 &&
          b->when.values[1].kind == EXP_CHOICE_STRING && strcmp(b->when.values[1].text, "rms") == 0);
    free(one);
    free(two);
    free(json);
    exp_spec_free(&s);
    exp_spec_free(&t);
    exp_errors_free(&e);
}

/* The optimizer's space: same parents and operators; a string parent's values
 * become choice indexes, booleans 0/1; activity follows the rule. */
static void test_when_optimizer_space(void)
{
    char *json = spec_with(conditional, NULL);
    exp_spec s;
    exp_errors e;
    opt_space *sp = NULL;
    char err[256] = "";
    CHECK_INT(load(json, &s, &e), 0);
    CHECK_MSG(exp_spec_space(&s, &sp, err) == 0, "%s", err);
    if (sp) {
        int u2 = opt_space_find(sp, "units_2"), u3 = opt_space_find(sp, "units_3");
        int mo = opt_space_find(sp, "momentum"), be = opt_space_find(sp, "beta");
        int de = opt_space_find(sp, "decay");
        CHECK(sp->p[u2].when.op == OPT_COND_GE && sp->p[u2].when.v[0] == 2 &&
              sp->p[u2].when.parent == opt_space_find(sp, "layers"));
        CHECK(sp->p[mo].when.op == OPT_COND_EQ && sp->p[mo].when.v[0] == 1);  /* "sgd" */
        CHECK(sp->p[be].when.n == 2 && sp->p[be].when.v[0] == 0 && sp->p[be].when.v[1] == 2);
        CHECK(sp->p[de].when.v[0] == 1);
        /* layers 2, opt rms (index 2), batch 32 (index 0), flag true, lr 0.05 */
        double x[OPT_MAX_PARAMS];
        for (int i = 0; i < sp->n; i++)
            x[i] = sp->p[i].kind == OPT_PARAM_CATEGORICAL ? 0 : sp->p[i].low;
        x[opt_space_find(sp, "layers")] = 2;
        x[opt_space_find(sp, "opt")] = 2;
        x[opt_space_find(sp, "flag")] = 1;
        x[opt_space_find(sp, "lr")] = 0.05;
        x[u2] = 128;
        opt_space_deactivate(sp, x);
        CHECK(!isnan(x[u2]) && isnan(x[u3]));            /* units_2 128: not < 100 */
        CHECK(isnan(x[mo]) && !isnan(x[be]));
        CHECK(isnan(x[opt_space_find(sp, "warm")]));      /* batch 32: not > 32 */
        CHECK(!isnan(x[de]) && isnan(x[opt_space_find(sp, "clip")]));
        CHECK(!isnan(x[opt_space_find(sp, "tail")]));
    }
    opt_space_free(sp);
    free(json);
    exp_spec_free(&s);
    exp_errors_free(&e);
}

/* exp_spec_param_active on configurations: 1, 0, or -1 when an ancestor is left out. */
static void test_when_config_activity(void)
{
    char *json = spec_with(conditional, NULL);
    exp_spec s;
    exp_errors e;
    CHECK_INT(load(json, &s, &e), 0);
    cJSON *c = cJSON_Parse("{\"layers\": 3, \"units_2\": 64, \"opt\": \"sgd\", \"flag\": 1}");
    CHECK_INT(exp_spec_param_active(&s, "layers", c), 1);
    CHECK_INT(exp_spec_param_active(&s, "units_3", c), 1);
    CHECK_INT(exp_spec_param_active(&s, "momentum", c), 1);
    CHECK_INT(exp_spec_param_active(&s, "beta", c), 0);
    CHECK_INT(exp_spec_param_active(&s, "decay", c), 1);   /* true travels as 1 */
    CHECK_INT(exp_spec_param_active(&s, "warm", c), -1);   /* batch left out */
    cJSON_Delete(c);
    c = cJSON_Parse("{\"layers\": 1}");
    CHECK_INT(exp_spec_param_active(&s, "units_2", c), 0);
    CHECK_INT(exp_spec_param_active(&s, "units_3", c), 0);  /* its parent is inactive */
    cJSON_Delete(c);
    c = cJSON_Parse("{}");
    CHECK_INT(exp_spec_param_active(&s, "units_3", c), -1);
    cJSON_Delete(c);
    free(json);
    exp_spec_free(&s);
    exp_errors_free(&e);
}

static void expect(int line, const char *extra, const char *enqueue, const char *msg)
{
    char *json = spec_with(extra, enqueue);
    exp_spec s;
    exp_errors e = {0};
    int rc = exp_spec_parse(json, NULL, 0, &s, &e), found = 0;
    for (int i = 0; i < e.n; i++)
        found |= strcmp(e.msg[i], msg) == 0;
    CHECK_MSG(rc == -1 && found, "line %d: wanted '%s'", line, msg);
    for (int i = 0; !found && i < e.n; i++)
        fprintf(stderr, "    got: %s\n", e.msg[i]);
    exp_errors_free(&e);
    free(json);
}
#define EXPECT(extra, msg) expect(__LINE__, extra, NULL, msg)
#define P(when) "\"x\": {\"type\": \"int\", \"low\": 0, \"high\": 3, \"when\": " when "}"

static void test_when_errors(void)
{
    EXPECT(P("{\"layer\": {\">=\": 2}}"), "search.space.x.when: expected a parameter of "
           "search.space as the parent, got unknown \"layer\" (did you mean \"layers\"?)");
    EXPECT(P("{\"x\": {\"==\": 2}}"), "search.space.x.when: expected another parameter as the "
           "parent, got \"x\" itself");
    EXPECT(P("{\"layers\": {\"=>\": 2}}"), "search.space.x.when.layers: expected one of the "
           "operators ==, !=, <, <=, >, >=, in, got \"=>\" (did you mean \">=\"?)");
    EXPECT(P("{\"layers\": {\"like\": 2}}"), "search.space.x.when.layers: expected one of the "
           "operators ==, !=, <, <=, >, >=, in, got \"like\"");
    EXPECT(P("{\"layers\": {\"==\": 7}}"), "search.space.x.when.layers.==: expected a value of "
           "layers (an integer in [1, 4]), got 7");
    EXPECT(P("{\"layers\": {\">\": 4}}"), "search.space.x.when.layers.>: expected a number in "
           "[1, 4) (some value of layers must be above it), got 4");
    EXPECT(P("{\"lr\": {\"<\": 0.2}}"), "search.space.x.when.lr.<: expected a number in "
           "(0.001, 0.1] (some value of lr must be below it), got 0.2");
    EXPECT(P("{\"opt\": {\"<\": \"sgd\"}}"), "search.space.x.when.opt.<: expected ==, != or in "
           "(the choices of opt are not all numbers, so they have no order), got \"<\"");
    EXPECT(P("{\"opt\": {\"==\": \"sdg\"}}"), "search.space.x.when.opt.==: expected a value of "
           "opt (one of the parameter's choices), got \"sdg\"");
    EXPECT(P("{\"batch\": {\"==\": 48}}"), "search.space.x.when.batch.==: expected a value of "
           "batch (one of the parameter's choices), got 48");
    EXPECT(P("{\"opt\": {\"==\": \"sgd\"}, \"layers\": {\"==\": 1}}"), "search.space.x.when: "
           "expected one parent parameter, got 2 (\"opt\", \"layers\")");
    EXPECT(P("{\"layers\": {\"in\": []}}"), "search.space.x.when.layers.in: expected an array "
           "of 1-16 values of layers, got []");
    EXPECT(P("{\"layers\": {\"in\": [1, 1]}}"), "search.space.x.when.layers.in[1]: expected "
           "distinct values, got 1");
    EXPECT(P("{\"layers\": {\"==\": 2, \"!=\": 3}}"), "search.space.x.when.layers: expected an "
           "object of one operator (==, !=, <, <=, >, >=, in) and its value, such as {\">=\": 2}, "
           "got {\"==\":2,\"!=\":3}");
    EXPECT(P("{\"layers\": 2}"), "search.space.x.when.layers: expected an object of one operator "
           "(==, !=, <, <=, >, >=, in) and its value, such as {\">=\": 2}, got 2");
    EXPECT(P("\"layers\""), "search.space.x.when: expected an object {\"PARENT\": {\"OP\": "
           "VALUE}} such as {\"layers\": {\">=\": 2}}, got \"layers\"");
    EXPECT("\"a\": {\"type\": \"int\", \"low\": 0, \"high\": 3, \"when\": {\"b\": {\"==\": 1}}},"
           "\"b\": {\"type\": \"int\", \"low\": 0, \"high\": 3, \"when\": {\"c\": {\"==\": 1}}},"
           "\"c\": {\"type\": \"int\", \"low\": 0, \"high\": 3, \"when\": {\"a\": {\"==\": 1}}}",
           "search.space.a.when: expected no cycle of conditions, got a -> b -> c -> a");
}

static void test_when_enqueue(void)
{
    expect(__LINE__, conditional, "[{\"layers\": 1, \"units_2\": 32}]",
           "search.enqueue[0].units_2: expected no value (units_2 is inactive in this "
           "configuration: it is active only when layers >= 2), got 32");
    expect(__LINE__, conditional, "[{\"layers\": 2, \"units_3\": 20}]",
           "search.enqueue[0].units_3: expected a value only with the parameters it depends on "
           "(units_3 is active only when units_2 < 100; give units_2 too), got 20");
    expect(__LINE__, conditional, "[{\"units_3\": 20}]",
           "search.enqueue[0].units_3: expected a value only with the parameters it depends on "
           "(units_3 is active only when units_2 < 100; give units_2 too), got 20");
    char *json = spec_with(conditional, "[{\"layers\": 3, \"units_2\": 50, \"units_3\": 20},"
                                        " {\"layers\": 2}]");
    exp_spec s;
    exp_errors e;
    CHECK_INT(load(json, &s, &e), 0);   /* active ones given or left to the sampler */
    exp_spec_free(&s);
    exp_errors_free(&e);
    free(json);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_when_round_trip();
    test_when_optimizer_space();
    test_when_config_activity();
    test_when_errors();
    test_when_enqueue();
    return check_done();
}
