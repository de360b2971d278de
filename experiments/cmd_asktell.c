/*
 * cmd_asktell.c - `seqtune ask` and `seqtune tell`: seqtune's sampler and store
 * driven from outside (a shell loop, a notebook), as Optuna's CLI offers.
 *
 *   ask:  [create the study from --spec when it is new] → take the study lock →
 *         rebuild the optimizer from the store (study_setup.h) → opt_ask →
 *         record the trial RUNNING with its params and runner tags → print JSON.
 *   tell: take the study lock → log an intermediate value and/or finish the
 *         RUNNING trial (COMPLETE with --value, PRUNED or FAIL) → print JSON.
 *
 * Concurrency: every ask and tell holds the study's coordinator lock (admin.h)
 * while it reads and writes, so any number of processes may ask and tell at once
 * (they queue for milliseconds each) and trial numbers stay unique. A `seqtune
 * run` holds the same lock for its whole study: ask and tell give up after
 * --wait seconds (default 30) and say who holds it.
 */
#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/run_tags.h"
#include "experiments/spec.h"
#include "experiments/study_setup.h"
#include "experiments/trial_params.h"
#include "experiments/trials_view.h"
#include "tracker/admin.h"
#include "tracker/objectives.h"
#include "tracker/query.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char exp_usage_ask[] =
    "usage: seqtune ask --study NAME [--spec SPEC.json] [--db FILE] [--wait S]\n\n"
    "Asks the study's sampler for a new trial, records it RUNNING and prints it as\n"
    "JSON: {\"study\", \"trial\", \"run_id\", \"seed\", \"params\": {...}}. A study that does\n"
    "not exist yet is created from --spec (its objective is then up to the caller).\n"
    "Report back with `seqtune tell`. Safe from many processes at once.\n\n"
    "  --study NAME   the study\n"
    "  --spec FILE    the spec that creates the study when it is new\n"
    "  --db FILE      the store (default: $SEQTUNE_DB, then ./seqtune.db)\n"
    "  --wait S       seconds to wait for the study's lock (default 30)\n"
    "  --help         show this text\n";

const char exp_usage_tell[] =
    "usage: seqtune tell --study NAME --trial N (--value V | --state pruned|fail)\n"
    "                    [--step K --intermediate V] [--db FILE] [--wait S]\n\n"
    "Reports on a trial from `seqtune ask`. --step/--intermediate log an intermediate\n"
    "value (the pruning step) and, alone, print whether the pruner would stop the\n"
    "trial there ({\"prune\": true|false}); --value finishes it COMPLETE, --state\n"
    "pruned or fail finishes it so (a pruned trial keeps its last intermediate value).\n\n"
    "  --study NAME      the study\n"
    "  --trial N         the trial number `ask` printed\n"
    "  --value V         the objective value: the trial is COMPLETE; a multi-objective\n"
    "                    study (search.metrics) takes one per objective: V1,V2,...\n"
    "  --state S         pruned or fail\n"
    "  --step K          an intermediate step (>= 0), with --intermediate V\n"
    "  --db FILE         the store (default: $SEQTUNE_DB, then ./seqtune.db)\n"
    "  --wait S          seconds to wait for the study's lock (default 30)\n"
    "  --help            show this text\n";

/* Takes the study lock, retrying for up to `wait` seconds. 0, or an exit code
 * after a message. */
static int lock_study(const char *cmd, trk_store *s, const char *name, double wait, int *fd)
{
    char err[256];
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned r = (unsigned)getpid();
    for (;;) {
        int rc = trk_study_lock(s, name, fd, err);
        if (rc == 0)
            return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double el = (double)(now.tv_sec - t0.tv_sec) + 1e-9 * (double)(now.tv_nsec - t0.tv_nsec);
        if (rc != TRK_EHELD || el >= wait) {
            exp_cli_error(cmd, "%s", err);
            return EXP_EXIT_INPUT;
        }
        r = r * 1103515245u + 12345u;
        struct timespec d = {0, (long)(2000000 + (r >> 8) % 8000000)}; /* 2-10 ms */
        nanosleep(&d, NULL);
    }
}

/* The stored spec of study `sid`, parsed (data files are not checked). */
static int stored_spec(const char *cmd, trk_store *s, int64_t sid, exp_spec *spec)
{
    char err[256], *text = NULL;
    exp_errors errs = {0};
    if (trk_study_spec(s, sid, &text, err) != 0) {
        exp_cli_error(cmd, "%s", err);
        return EXP_EXIT_INPUT;
    }
    int rc = exp_spec_parse(text, NULL, 0, spec, &errs);
    free(text);
    if (rc) {
        exp_cli_error(cmd, "the stored spec: %s", errs.n ? errs.msg[0] : "unreadable");
        exp_errors_free(&errs);
        return EXP_EXIT_INPUT;
    }
    return 0;
}

static void print_json(cJSON *o)
{
    char *t = cJSON_PrintUnformatted(o);
    if (t)
        puts(t);
    free(t);
    cJSON_Delete(o);
}

/* Reads ask's options; -1 to go on, else the exit code (after a message, or
 * the help text). */
static int ask_parse(int argc, char **argv, const char *cmd, const char **study,
                     const char **spec_path, const char **db, double *wait)
{
    static const struct option lo[] = {
        {"study", required_argument, NULL, 's'}, {"spec", required_argument, NULL, 'p'},
        {"db", required_argument, NULL, 'd'},    {"wait", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = exp_cli_getopt(argc, argv, cmd, "h", lo)) != -1) {
        if (c == 'h') {
            exp_cli_usage(cmd, stdout);
            return EXP_EXIT_OK;
        } else if (c == 's') {
            *study = optarg;
        } else if (c == 'p') {
            *spec_path = optarg;
        } else if (c == 'd') {
            *db = optarg;
        } else if (c == 'w') {
            char *end;
            *wait = strtod(optarg, &end);
            if (*end || !(*wait >= 0)) {
                exp_cli_error(cmd, "--wait: expected seconds >= 0, got '%s'", optarg);
                return EXP_EXIT_USAGE;
            }
        } else {
            return EXP_EXIT_USAGE;
        }
    }
    if (optind < argc || (!*study && !*spec_path)) {
        exp_cli_error(cmd, optind < argc ? "unexpected argument '%s'" : "--study NAME is required%s",
                      optind < argc ? argv[optind] : "");
        return EXP_EXIT_USAGE;
    }
    return -1;
}

/* --spec: loads it into *spec and checks that it names *study (taken from it
 * when not given). 0, or an exit code after a message. */
static int ask_load_spec(const char *cmd, const char *path, const char **study, exp_spec *spec)
{
    exp_errors errs = {0};
    if (exp_spec_load(path, spec, &errs)) {
        for (int i = 0; i < errs.n; i++)
            exp_cli_error(path, "%s", errs.msg[i]);
        exp_errors_free(&errs);
        return EXP_EXIT_INPUT;
    }
    if (!*study)
        *study = spec->name;
    if (strcmp(*study, spec->name) != 0) {
        exp_cli_error(cmd, "--study '%s' but the spec names '%s'", *study, spec->name);
        return EXP_EXIT_INPUT;
    }
    return 0;
}

/* Prints the asked trial. */
static void ask_print(const char *study, const opt_space *space, const opt_trial_params *p,
                      int64_t run_id, uint64_t tseed)
{
    cJSON *o = cJSON_CreateObject(), *pj;
    char num[32];
    cJSON_AddStringToObject(o, "study", study);
    cJSON_AddNumberToObject(o, "trial", p->number);
    cJSON_AddNumberToObject(o, "run_id", (double)run_id);
    snprintf(num, sizeof num, "%" PRIu64, tseed);
    cJSON_AddItemToObject(o, "seed", cJSON_CreateRaw(num));
    if ((pj = exp_trial_params_json(space, p, 1)))
        cJSON_AddItemToObject(o, "params", pj);
    print_json(o);
}

int cmd_ask(int argc, char **argv)
{
    const char *cmd = "ask", *study = NULL, *spec_path = NULL, *db = NULL;
    double wait = 30;
    int rc = ask_parse(argc, argv, cmd, &study, &spec_path, &db, &wait), lock = -1;
    if (rc >= 0)
        return rc;
    exp_spec spec;
    memset(&spec, 0, sizeof spec);
    char *spec_text = NULL, err[256];
    opt_space *space = NULL;
    opt_study *opt = NULL;
    exp_run_hosts hosts = {0};
    trk_store *s = NULL;
    if (spec_path) {
        if ((rc = ask_load_spec(cmd, spec_path, &study, &spec)) != 0)
            goto out;
        spec_text = exp_spec_to_string(&spec, 0);
    }
    rc = EXP_EXIT_INPUT;
    if (!(s = trk_store_open(exp_db_path(db), spec_path ? TRK_CREATE : 0, err))) {
        exp_cli_error(cmd, "%s", err);
        goto out;
    }
    if ((rc = lock_study(cmd, s, study, wait, &lock)) != 0)
        goto out;
    rc = EXP_EXIT_INPUT;
    int64_t sid;
    int frc = trk_study_find(s, study, &sid, err);
    if (frc == TRK_ENOTFOUND && spec_text) {
        frc = trk_study_open(s, study, spec_text, exp_direction_name(spec.search.direction), 0,
                             &sid, NULL, err);
    } else if (frc == 0 && !spec_path) {
        if ((rc = stored_spec(cmd, s, sid, &spec)) != 0)
            goto out;
        rc = EXP_EXIT_INPUT;
    }
    if (frc) {
        exp_cli_error(cmd, "%s%s", err, frc == TRK_ENOTFOUND ? " (give --spec to create it)" : "");
        goto out;
    }
    uint64_t seed;
    opt_trial_params p;
    int64_t run_id;
    if (!spec_text)
        spec_text = exp_spec_to_string(&spec, 0);
    rc = EXP_EXIT_FAILED;
    if (exp_study_setup(&spec, s, sid, &space, &opt, &seed, err) || opt_ask(opt, &p, err) ||
        exp_run_hosts_gather(&hosts, 0, 0, 1, &spec, spec_text ? spec_text : "", err)) {
        exp_cli_error(cmd, "%s", err);
        goto out;
    }
    uint64_t tseed = exp_trial_seed(seed, p.number);
    if (trk_run_start(s, sid, p.number, 0, (int64_t)tseed, &run_id, err) ||
        exp_trial_params_log(s, run_id, space, &p, err) ||
        exp_run_tags_write(s, run_id, 0, tseed, &hosts, err)) {
        exp_cli_error(cmd, "%s", err);
        goto out;
    }
    ask_print(study, space, &p, run_id, tseed);
    rc = EXP_EXIT_OK;
out:
    exp_run_hosts_free(&hosts);
    opt_study_free(opt);
    opt_space_free(space);
    if (lock >= 0)
        close(lock);
    trk_store_close(s);
    free(spec_text);
    exp_spec_free(&spec);
    return rc;
}

/* --value: one finite number, or a comma-separated list of 2..TRK_MAX_OBJECTIVES
 * (a multi-objective study). The count into *n; -1 after a message. */
static int parse_values(const char *cmd, const char *text, double *out, int *n)
{
    const char *p = text;
    for (*n = 0; *n < TRK_MAX_OBJECTIVES; p++) {
        char *end;
        out[*n] = strtod(p, &end);
        if (end == p || (*end && *end != ',') || !isfinite(out[*n]))
            break;
        (*n)++;
        if (!*end)
            return 0;
        p = end;
    }
    exp_cli_error(cmd, "--value: expected a finite number, or up to %d comma-separated (one "
                  "per objective), got '%s'", TRK_MAX_OBJECTIVES, text);
    return -1;
}

/* A COMPLETE tell gives one value per objective of the study, stored per
 * objective when there are several. 0, or an exit code after a message. */
static int tell_values(const char *cmd, trk_store *s, int64_t sid, int64_t run_id,
                       const double *v, int n)
{
    char err[256];
    trk_objective *ob = NULL;
    int n_ob = 0;
    if (trk_study_objectives(s, sid, &ob, &n_ob, err)) {
        exp_cli_error(cmd, "%s", err);
        return EXP_EXIT_FAILED;
    }
    int want = n_ob > 1 ? n_ob : 1, rc = 0;
    if (n != want) {
        char names[160] = "";
        for (int k = 0, off = 0; k < n_ob && off < (int)sizeof names; k++)
            off += snprintf(names + off, sizeof names - (size_t)off, "%s%s", k ? ", " : "",
                            ob[k].name);
        exp_cli_error(cmd, "--value: the study has %d objective%s (%s): give %d number%s", want,
                      want > 1 ? "s" : "", names, want, want > 1 ? "s, comma-separated" : "");
        rc = EXP_EXIT_INPUT;
    } else if (want > 1 && trk_run_set_values(s, run_id, v, n, err)) {
        exp_cli_error(cmd, "%s", err);
        rc = EXP_EXIT_FAILED;
    }
    trk_objectives_free(ob, n_ob);
    return rc;
}

/* Finishes the RUNNING run with state and value (values: a COMPLETE tell's
 * one per objective) and adds what was told to o. 0, or an exit code after a
 * message. */
static int tell_finish(const char *cmd, trk_store *s, int64_t sid, int64_t run_id, trk_state state,
                       double value, const double *values, int n_values, cJSON *o)
{
    char err[256];
    int rc = state == TRK_COMPLETE ? tell_values(cmd, s, sid, run_id, values, n_values) : 0;
    if (rc)
        return rc;
    if (trk_run_finish(s, run_id, state, value,
                       state == TRK_FAIL ? "reported failed by seqtune tell" : NULL, err)) {
        exp_cli_error(cmd, "%s", err);
        return EXP_EXIT_FAILED;
    }
    cJSON_AddStringToObject(o, "state", trk_state_name(state));
    cJSON_AddItemToObject(o, "value", exp_json_number(value));
    if (n_values > 1)
        cJSON_AddItemToObject(o, "values", cJSON_CreateDoubleArray(values, n_values));
    return 0;
}

/* A finite number from an option; -1 after a message. */
static int parse_num(const char *cmd, const char *opt, const char *text, double *out)
{
    char *end;
    *out = strtod(text, &end);
    if (end == text || *end || !isfinite(*out)) {
        exp_cli_error(cmd, "%s: expected a finite number, got '%s'", opt, text);
        return -1;
    }
    return 0;
}

/* What `tell` was given. */
typedef struct {
    const char *study, *db;
    long trial, step;
    double value, inter, wait, values[TRK_MAX_OBJECTIVES];
    int have_value, have_inter, state, n_values;
} tell_args;

/* --state's word: a trk_state, or -1. */
static int parse_state(const char *w)
{
    if (strcmp(w, "pruned") == 0 || strcmp(w, "PRUNED") == 0)
        return TRK_PRUNED;
    if (strcmp(w, "fail") == 0 || strcmp(w, "FAIL") == 0)
        return TRK_FAIL;
    if (strcmp(w, "complete") == 0 || strcmp(w, "COMPLETE") == 0)
        return TRK_COMPLETE;
    return -1;
}

/* Reads the options into *t; -1 to go on, else the exit code (after a message,
 * or the help text). */
static int tell_parse(int argc, char **argv, const char *cmd, tell_args *t)
{
    static const struct option lo[] = {
        {"study", required_argument, NULL, 's'}, {"trial", required_argument, NULL, 't'},
        {"value", required_argument, NULL, 'v'}, {"state", required_argument, NULL, 'S'},
        {"step", required_argument, NULL, 'k'},  {"intermediate", required_argument, NULL, 'i'},
        {"db", required_argument, NULL, 'd'},    {"wait", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    *t = (tell_args){.trial = -1, .step = -1, .value = NAN, .inter = NAN, .wait = 30, .state = -1};
    int c;
    optind = 1;
    while ((c = exp_cli_getopt(argc, argv, cmd, "h", lo)) != -1) {
        switch (c) {
        case 'h': exp_cli_usage(cmd, stdout); return EXP_EXIT_OK;
        case 's': t->study = optarg; break;
        case 'd': t->db = optarg; break;
        case 't':
            if (exp_parse_long(optarg, 0, 1L << 30, cmd, "--trial", &t->trial))
                return EXP_EXIT_USAGE;
            break;
        case 'k':
            if (exp_parse_long(optarg, 0, 1L << 40, cmd, "--step", &t->step))
                return EXP_EXIT_USAGE;
            break;
        case 'v':
            if (parse_values(cmd, optarg, t->values, &t->n_values))
                return EXP_EXIT_USAGE;
            t->value = t->values[0];
            t->have_value = 1;
            break;
        case 'i':
            if (parse_num(cmd, "--intermediate", optarg, &t->inter))
                return EXP_EXIT_USAGE;
            t->have_inter = 1;
            break;
        case 'w':
            if (parse_num(cmd, "--wait", optarg, &t->wait) || t->wait < 0)
                return EXP_EXIT_USAGE;
            break;
        case 'S':
            if ((t->state = parse_state(optarg)) < 0) {
                exp_cli_error(cmd, "--state: expected pruned or fail, got '%s'", optarg);
                return EXP_EXIT_USAGE;
            }
            break;
        default:
            return EXP_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        exp_cli_error(cmd, "unexpected argument '%s'", argv[optind]);
        return EXP_EXIT_USAGE;
    }
    if (!t->study || t->trial < 0) {
        exp_cli_error(cmd, "--study NAME and --trial N are required (see 'seqtune tell --help')");
        return EXP_EXIT_USAGE;
    }
    if ((t->step >= 0) != t->have_inter) {
        exp_cli_error(cmd, "--step and --intermediate go together");
        return EXP_EXIT_USAGE;
    }
    if (t->have_value && t->state < 0)
        t->state = TRK_COMPLETE;
    if (t->state == TRK_COMPLETE && !t->have_value) {
        exp_cli_error(cmd, "a complete trial needs --value V");
        return EXP_EXIT_USAGE;
    }
    if (t->state < 0 && !t->have_inter) {
        exp_cli_error(cmd, "nothing to tell: give --value, --state or --step with --intermediate");
        return EXP_EXIT_USAGE;
    }
    return -1;
}

/* The RUNNING run of trial t->trial into *l (one run). 0, or an exit code after
 * a message. */
static int tell_find_running(const char *cmd, trk_store *s, int64_t sid, const tell_args *t,
                             trk_run_list *l)
{
    char err[256], filter[48];
    snprintf(filter, sizeof filter, "trial_number = %ld", t->trial);
    trk_query q = {filter, NULL, 0, 0};
    if (trk_runs_query(s, sid, &q, l, err)) {
        exp_cli_error(cmd, "%s", err);
        return EXP_EXIT_INPUT;
    }
    if (l->n != 1) {
        exp_cli_error(cmd, "study '%s' has no trial %ld", t->study, t->trial);
        return EXP_EXIT_INPUT;
    }
    if (l->runs[0].state != TRK_RUNNING) {
        exp_cli_error(cmd, "trial %ld is %s already; only a RUNNING trial takes reports", t->trial,
                      trk_state_name(l->runs[0].state));
        return EXP_EXIT_INPUT;
    }
    return 0;
}

/* An intermediate alone: adds to o whether the study's pruner would stop the
 * trial at this step. 0, or an exit code after a message. */
static int tell_prune_check(const char *cmd, trk_store *s, int64_t sid, const tell_args *t,
                            cJSON *o)
{
    char err[256] = "";
    exp_spec spec;
    memset(&spec, 0, sizeof spec);
    opt_space *space = NULL;
    opt_study *opt = NULL;
    uint64_t seed;
    int rc = 0;
    if (stored_spec(cmd, s, sid, &spec) != 0 ||
        exp_study_setup(&spec, s, sid, &space, &opt, &seed, err)) {
        if (err[0])
            exp_cli_error(cmd, "%s", err);
        rc = EXP_EXIT_FAILED;
    } else {
        cJSON_AddNumberToObject(o, "step", (double)t->step);
        cJSON_AddBoolToObject(o, "prune",
                              opt_should_prune(opt, (int)t->trial, (int)t->step) == 1);
    }
    opt_study_free(opt);
    opt_space_free(space);
    exp_spec_free(&spec);
    return rc;
}

int cmd_tell(int argc, char **argv)
{
    const char *cmd = "tell";
    tell_args t;
    int rc = tell_parse(argc, argv, cmd, &t), lock = -1;
    if (rc >= 0)
        return rc;
    char err[256];
    rc = EXP_EXIT_INPUT;
    trk_run_list l = {0};
    trk_store *s = trk_store_open(exp_db_path(t.db), 0, err);
    int64_t sid;
    cJSON *o = NULL;
    if (!s || trk_study_find(s, t.study, &sid, err)) {
        exp_cli_error(cmd, "%s", err);
        goto out;
    }
    if ((rc = lock_study(cmd, s, t.study, t.wait, &lock)) != 0 ||
        (rc = tell_find_running(cmd, s, sid, &t, &l)) != 0)
        goto out;
    const trk_run *r = &l.runs[0];
    if (t.have_inter) {
        trk_metric_in m = {TRK_INTERMEDIATE_KEY, t.step, t.inter, 0};
        if (trk_run_log_metrics(s, r->id, &m, 1, err)) {
            exp_cli_error(cmd, "%s", err);
            rc = EXP_EXIT_FAILED;
            goto out;
        }
    }
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "study", t.study);
    cJSON_AddNumberToObject(o, "trial", (double)t.trial);
    if (t.state < 0) {
        rc = tell_prune_check(cmd, s, sid, &t, o);
    } else {
        if (t.state == TRK_PRUNED && !t.have_value && t.have_inter)
            t.value = t.inter;
        rc = tell_finish(cmd, s, sid, r->id, (trk_state)t.state,
                         t.have_value || t.state == TRK_PRUNED ? t.value : NAN, t.values,
                         t.n_values, o);
    }
    if (rc == 0) {
        print_json(o);
        o = NULL;
    }
out:
    cJSON_Delete(o);
    trk_run_list_free(&l);
    if (lock >= 0)
        close(lock);
    trk_store_close(s);
    return rc;
}
