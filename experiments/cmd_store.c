/*
 * cmd_store.c - the commands that read the experiment store: `studies`, `trials`,
 * `compare` and `export` (tracker/query.h, tracker/export.h). They open the store
 * read-only (the file is never modified; a missing file is never created), print
 * tables that fit 80 columns, CSV, or JSON (cJSON) for scripts, and exit 0 on
 * success, 1 on a usage error, 2 on bad input (missing or non-SQLite store, unknown
 * study or run, malformed filter).
 */
#include "experiments/cli.h"
#include "experiments/commands.h"
#include "tracker/admin.h"
#include "experiments/trials_view.h"
#include "experiments/trials_predictions.h"
#include "experiments/outpath.h"
#include "tracker/export.h"
#include "tracker/json_int.h"
#include "tracker/query.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char exp_usage_studies[] =
    "usage: seqtune studies [--db FILE] [--format table|csv|json]\n\n"
    "Lists the studies in the store with their run counts per state and best value.\n\n"
    "  --db FILE        the store (default: $SEQTUNE_DB, then ./seqtune.db)\n"
    "  --format F       table (default), csv or json\n";

const char exp_usage_trials[] =
    "usage: seqtune trials --study NAME [--filter EXPR] [--order-by KEY [desc]]\n"
    "                      [--columns LIST] [--limit N] [--format table|csv|json|markdown]\n"
    "                      [--with-predictions] [--db FILE]\n\n"
    "Lists the runs (trials) of a study.\n\n"
    "  --study NAME     the study\n"
    "  --filter EXPR    MLflow-style filter with and, or, not and parentheses:\n"
    "                   params.units >= 64 and (metrics.sharpe > 1 or state = 'PRUNED')\n"
    "                   operators = != < <= > >=, [not] in (...), [not] like / ilike\n"
    "                   (% and _), is [not] null; attributes value, state, worker,\n"
    "                   seed, started, finished, duration, ...; `backticks` for odd keys.\n"
    "                   A key no run has is an error that lists the known ones\n"
    "  --order-by KEY   params.NAME, metrics.NAME (last value) or an attribute (value,\n"
    "                   trial_number, state, ...); add 'desc' to reverse; missing last\n"
    "  --columns LIST   comma-separated: attributes (run_id, trial_number, state, value,\n"
    "                   started, finished, duration, worker, seed, error), params.NAME,\n"
    "                   metrics.NAME, tags.NAME; NAME may be a pattern (params.*,\n"
    "                   metrics.fold*). Default: table shows params, csv and markdown\n"
    "                   every attribute, param, metric and tag\n"
    "  --limit N        at most N runs\n"
    "  --with-predictions  instead, the selected trials' stored out-of-sample series,\n"
    "                   one row per bar: run_id, trial_number, fold, row, time (unix s),\n"
    "                   prediction (the traded signal), bar_return (realised),\n"
    "                   strategy_return (net); format table, csv or json\n"
    "  --format F       table (default; long values shortened with '~', and it says\n"
    "                   so), csv, json or markdown (these never cut a value)\n"
    "  --db FILE        the store (default: $SEQTUNE_DB, then ./seqtune.db)\n";

const char exp_usage_compare[] =
    "usage: seqtune compare RUN RUN... [--only-diff] [--db FILE]\n\n"
    "Shows runs side by side: attributes, params, and each metric's last, min, max.\n\n"
    "  --only-diff      only rows where the runs differ\n"
    "  --db FILE        the store (default: $SEQTUNE_DB, then ./seqtune.db)\n";

const char exp_usage_export[] =
    "usage: seqtune export --study NAME --format csv|json|optuna -o FILE [--db FILE]\n\n"
    "Writes a whole study to FILE (replaced atomically): CSV (one row per run), JSON\n"
    "(everything), or an Optuna 3.1 SQLite storage: optuna.load_study(study_name=NAME,\n"
    "storage=\"sqlite:///FILE\").\n\n"
    "  --study NAME     the study\n"
    "  --format F       csv, json or optuna\n"
    "  -o, --output F   the file to write\n"
    "  --db FILE        the store (default: $SEQTUNE_DB, then ./seqtune.db)\n";

enum { FMT_TABLE, FMT_CSV, FMT_JSON };

static int parse_format(const char *cmd, const char *text, int *out)
{
    static const char *const names[] = {"table", "csv", "json"};
    for (int i = 0; i < 3; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = i;
            return 0;
        }
    exp_cli_error(cmd, "--format: expected table, csv or json, got '%s'", text);
    return -1;
}



/* Prints `text` in exactly `w` columns (trials_view.h's exp_cell). */
static void cell(const char *text, int w, int right)
{
    exp_cell(text, w, right);
}

static void csv_field(const char *v)
{
    exp_csv_field(v);
}

static void csv_num(double v)
{
    if (!isnan(v))
        printf("%.17g", v);
}

/* An exact JSON number (trials_view.h), null for NaN. */
static cJSON *json_num(double v)
{
    return exp_json_number(v);
}

static void print_json(cJSON *j)
{
    char *t = cJSON_Print(j);
    if (t) {
        puts(t);
        free(t);
    }
    cJSON_Delete(j);
}

static void fmt_time(double t, char out[32])
{
    exp_fmt_time(t, out);
}

/* ---- studies ------------------------------------------------------------------- */

/* The study's note (tag TRK_NOTE_TAG) or NULL, and its tags; the caller frees
 * both (free, trk_kv_free). */
static char *study_note(trk_store *s, int64_t id, trk_kv **tags, int *n)
{
    char err[256];
    *tags = NULL;
    *n = 0;
    if (trk_study_tags(s, id, tags, n, err) != 0)
        return NULL;
    for (int i = 0; i < *n; i++)
        if (strcmp((*tags)[i].key, TRK_NOTE_TAG) == 0)
            return strdup((*tags)[i].value);
    return NULL;
}

/* A note on one table line: control characters as spaces, at most 70 columns. */
static void table_note(const char *note)
{
    printf("    note: ");
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)note; *p && n < 70; p++, n++)
        putchar(*p < 0x20 || *p == 0x7f ? ' ' : *p);
    if (strlen(note) > 70)
        putchar('~');
    putchar('\n');
}

int cmd_studies(int argc, char **argv)
{
    static const struct option lo[] = {
        {"db", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    int fmt = FMT_TABLE, c;
    optind = 1;
    while ((c = exp_cli_getopt(argc, argv, "studies", "h", lo)) != -1) {
        if (c == 'h') {
            exp_cli_usage("studies", stdout);
            return EXP_EXIT_OK;
        } else if (c == 'd') {
            db = optarg;
        } else if (c == 'f') {
            if (parse_format("studies", optarg, &fmt))
                return EXP_EXIT_USAGE;
        } else {
            return EXP_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        exp_cli_error("studies", "unexpected argument '%s'", argv[optind]);
        return EXP_EXIT_USAGE;
    }
    trk_store *s = exp_open_store("studies", db);
    if (!s)
        return EXP_EXIT_INPUT;
    char err[256];
    trk_study_info *l = NULL;
    int n = 0;
    if (trk_studies_list(s, &l, &n, err) != 0) {
        exp_cli_error("studies", "%s", err);
        trk_store_close(s);
        return EXP_EXIT_INPUT;
    }
    if (fmt == FMT_TABLE) {
        printf("%-20s %-11s %-3s %6s %6s %5s %5s %4s %11s\n", "NAME", "STATUS", "DIR", "RUNS",
               "COMPL", "PRUNE", "FAIL", "RUN", "BEST");
        for (int i = 0; i < n; i++) {
            char best[32];
            exp_fmt_num(l[i].best_value, best, sizeof best);
            cell(l[i].name, 20, 0);
            printf(" %-11s %-3.3s %6d %6d %5d %5d %4d ", l[i].status, l[i].direction, l[i].n_runs,
                   l[i].n_complete, l[i].n_pruned, l[i].n_fail, l[i].n_running);
            cell(best, 11, 1);
            putchar('\n');
            trk_kv *tags;
            int nt;
            char *note = study_note(s, l[i].id, &tags, &nt);
            if (note)
                table_note(note);
            free(note);
            trk_kv_free(tags, nt);
        }
    } else if (fmt == FMT_CSV) {
        puts("id,name,direction,status,created,runs,running,complete,pruned,fail,best_value,"
             "best_run_id,best_trial_number,note");
        for (int i = 0; i < n; i++) {
            char when[32];
            fmt_time(l[i].created, when);
            printf("%lld,", (long long)l[i].id);
            csv_field(l[i].name);
            printf(",%s,%s,%s,%d,%d,%d,%d,%d,", l[i].direction, l[i].status, when, l[i].n_runs,
                   l[i].n_running, l[i].n_complete, l[i].n_pruned, l[i].n_fail);
            csv_num(l[i].best_value);
            if (l[i].best_run_id > 0)
                printf(",%lld,%d,", (long long)l[i].best_run_id, l[i].best_trial_number);
            else
                printf(",,,");
            trk_kv *tags;
            int nt;
            char *note = study_note(s, l[i].id, &tags, &nt);
            csv_field(note);
            putchar('\n');
            free(note);
            trk_kv_free(tags, nt);
        }
    } else {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            char when[32];
            fmt_time(l[i].created, when);
            cJSON_AddNumberToObject(o, "id", (double)l[i].id);
            cJSON_AddStringToObject(o, "name", l[i].name);
            cJSON_AddStringToObject(o, "direction", l[i].direction);
            cJSON_AddStringToObject(o, "status", l[i].status);
            cJSON_AddStringToObject(o, "created", when);
            cJSON_AddNumberToObject(o, "runs", l[i].n_runs);
            cJSON_AddNumberToObject(o, "running", l[i].n_running);
            cJSON_AddNumberToObject(o, "complete", l[i].n_complete);
            cJSON_AddNumberToObject(o, "pruned", l[i].n_pruned);
            cJSON_AddNumberToObject(o, "fail", l[i].n_fail);
            cJSON_AddItemToObject(o, "best_value", json_num(l[i].best_value));
            cJSON_AddItemToObject(o, "best_run_id", l[i].best_run_id > 0
                                  ? cJSON_CreateNumber((double)l[i].best_run_id) : cJSON_CreateNull());
            trk_kv *tags;
            int nt;
            char *note = study_note(s, l[i].id, &tags, &nt);
            cJSON_AddItemToObject(o, "note", note ? cJSON_CreateString(note) : cJSON_CreateNull());
            cJSON *tj = cJSON_AddObjectToObject(o, "tags");
            for (int k = 0; k < nt; k++)
                if (strcmp(tags[k].key, TRK_NOTE_TAG) != 0)
                    cJSON_AddStringToObject(tj, tags[k].key, tags[k].value);
            free(note);
            trk_kv_free(tags, nt);
            cJSON_AddItemToArray(arr, o);
        }
        print_json(arr);
    }
    trk_studies_free(l, n);
    trk_store_close(s);
    return EXP_EXIT_OK;
}

/* ---- trials -------------------------------------------------------------------- */



/* The last value of metric `key` of a run (NaN when absent). */
static double metric_last(trk_store *s, int64_t run_id, const char *key)
{
    char err[256];
    trk_metric_summary *m = NULL;
    int n = 0;
    double v = NAN;
    if (trk_metric_summaries(s, run_id, &m, &n, err) == 0)
        for (int i = 0; i < n; i++)
            if (strcmp(m[i].key, key) == 0)
                v = m[i].last;
    trk_metric_summaries_free(m, n);
    return v;
}

/* How many folds (pruning steps) a run's value rests on: the steps of its
 * intermediate values; 0 when it has none (a FAIL, or an objective without steps). */
static int run_folds(trk_store *s, int64_t run_id)
{
    char err[256];
    trk_metric_summary *m = NULL;
    int n = 0, folds = 0;
    if (trk_metric_summaries(s, run_id, &m, &n, err) == 0)
        for (int i = 0; i < n; i++)
            if (strcmp(m[i].key, TRK_INTERMEDIATE_KEY) == 0)
                folds = (int)m[i].last_step + 1;
    trk_metric_summaries_free(m, n);
    return folds;
}

static void trials_table(trk_store *s, const trk_run_list *l, const char *metric)
{
    int nk = 0;
    const char **keys = exp_param_keys(l, &nk);
    /* fixed part: RUN(7) TRIAL(5) STATE(8) VALUE(11) FOLDS(5) [metric(11)] = 41 or 53 */
    int used = 7 + 1 + 5 + 1 + 8 + 1 + 11 + 6 + (metric ? 12 : 0);
    int width[64], shown = 0;
    for (int k = 0; k < nk && shown < 64; k++) {
        int w = (int)strlen(keys[k]);
        for (int i = 0; i < l->n; i++) {
            const char *v = exp_run_param(&l->runs[i], keys[k]);
            if (v && (int)strlen(v) > w)
                w = (int)strlen(v);
        }
        if (w > 12)
            w = 12;
        if (w < 4)
            w = 4;
        if (used + 1 + w > 80)
            break;
        width[shown++] = w;
        used += 1 + w;
    }
    printf("%7s %5s %-8s %11s %5s", "RUN", "TRIAL", "STATE", "VALUE", "FOLDS");
    if (metric) {
        putchar(' ');
        cell(metric, 11, 1);
    }
    for (int k = 0; k < shown; k++) {
        putchar(' ');
        cell(keys[k], width[k], 0);
    }
    putchar('\n');
    for (int i = 0; i < l->n; i++) {
        const trk_run *r = &l->runs[i];
        char v[32];
        exp_fmt_num(r->value, v, sizeof v);
        printf("%7lld %5d %-8s ", (long long)r->id, r->trial_number, trk_state_name(r->state));
        cell(v, 11, 1);
        int folds = isnan(r->value) ? 0 : run_folds(s, r->id);
        if (folds > 0)
            printf(" %5d", folds);
        else
            printf(" %5s", "-");
        if (metric) {
            exp_fmt_num(metric_last(s, r->id, metric), v, sizeof v);
            putchar(' ');
            cell(v, 11, 1);
        }
        for (int k = 0; k < shown; k++) {
            const char *p = exp_run_param(r, keys[k]);
            putchar(' ');
            cell(p ? p : "-", width[k], 0);
        }
        putchar('\n');
    }
    if (shown < nk)
        printf("(%d more params not shown: use --format csv or json)\n", nk - shown);
    free(keys);
}

static void trials_json(trk_store *s, const trk_run_list *l)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < l->n; i++) {
        const trk_run *r = &l->runs[i];
        cJSON *o = cJSON_CreateObject();
        char t[32];
        trk_json_add_int64(o, "run_id", r->id);
        cJSON_AddNumberToObject(o, "trial_number", r->trial_number);
        cJSON_AddStringToObject(o, "state", trk_state_name(r->state));
        cJSON_AddItemToObject(o, "value", json_num(r->value));
        int folds = isnan(r->value) ? 0 : run_folds(s, r->id);
        cJSON_AddItemToObject(o, "folds", folds > 0 ? cJSON_CreateNumber(folds) : cJSON_CreateNull());
        fmt_time(r->started, t);
        cJSON_AddStringToObject(o, "started", t);
        fmt_time(r->finished, t);
        cJSON_AddItemToObject(o, "finished", t[0] ? cJSON_CreateString(t) : cJSON_CreateNull());
        cJSON_AddNumberToObject(o, "worker", r->worker);
        trk_json_add_int64(o, "seed", r->seed);
        cJSON_AddItemToObject(o, "error", r->error ? cJSON_CreateString(r->error) : cJSON_CreateNull());
        cJSON *p = cJSON_AddObjectToObject(o, "params");
        for (int k = 0; k < r->n_params; k++)
            cJSON_AddItemToObject(p, r->params[k].key, isnan(r->params[k].num)
                                  ? cJSON_CreateString(r->params[k].value)
                                  : exp_json_number(r->params[k].num));
        char err[256];
        trk_metric_summary *m = NULL;
        trk_kv *tags = NULL;
        int nm = 0, nt = 0;
        cJSON *mj = cJSON_AddObjectToObject(o, "metrics"), *tj = cJSON_AddObjectToObject(o, "tags");
        if (trk_metric_summaries(s, r->id, &m, &nm, err) == 0)
            for (int k = 0; k < nm; k++)
                cJSON_AddItemToObject(mj, m[k].key, json_num(m[k].last));
        if (trk_run_tags(s, r->id, &tags, &nt, err) == 0)
            for (int k = 0; k < nt; k++)
                cJSON_AddStringToObject(tj, tags[k].key, tags[k].value);
        trk_metric_summaries_free(m, nm);
        trk_kv_free(tags, nt);
        cJSON_AddItemToArray(arr, o);
    }
    print_json(arr);
}

int cmd_trials(int argc, char **argv)
{
    static const struct option lo[] = {
        {"study", required_argument, NULL, 's'},
        {"filter", required_argument, NULL, 'F'},
        {"order-by", required_argument, NULL, 'o'},
        {"limit", required_argument, NULL, 'l'},
        {"format", required_argument, NULL, 'f'},
        {"columns", required_argument, NULL, 'c'},
        {"with-predictions", no_argument, NULL, 'P'},
        {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *study = NULL, *columns = NULL;
    char order[1024] = "";
    trk_query q = {0};
    int fmt = FMT_TABLE, c, preds = 0;
    long limit = 0;
    optind = 1;
    while ((c = exp_cli_getopt(argc, argv, "trials", "h", lo)) != -1) {
        switch (c) {
        case 'h':
            exp_cli_usage("trials", stdout);
            return EXP_EXIT_OK;
        case 's': study = optarg; break;
        case 'F': q.filter = optarg; break;
        case 'd': db = optarg; break;
        case 'o':
            snprintf(order, sizeof order, "%s", optarg);
            if (optind < argc && (strcasecmp(argv[optind], "desc") == 0 ||
                                  strcasecmp(argv[optind], "asc") == 0)) {
                q.desc = strcasecmp(argv[optind], "desc") == 0;
                optind++;
            }
            break;
        case 'l':
            if (exp_parse_long(optarg, 1, 1000000000L, "trials", "--limit", &limit))
                return EXP_EXIT_USAGE;
            break;
        case 'f':
            if (strcmp(optarg, "markdown") == 0)
                fmt = EXP_FMT_MARKDOWN;
            else if (parse_format("trials", optarg, &fmt))
                return EXP_EXIT_USAGE;
            break;
        case 'c': columns = optarg; break;
        case 'P': preds = 1; break;
        default:
            return EXP_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        exp_cli_error("trials", "unexpected argument '%s'", argv[optind]);
        return EXP_EXIT_USAGE;
    }
    if (preds && (columns || fmt == EXP_FMT_MARKDOWN)) {
        exp_cli_error("--with-predictions", "prints its own columns in table, csv or json: "
                      "drop %s", columns ? "--columns" : "--format markdown");
        return EXP_EXIT_USAGE;
    }
    if (!study) {
        exp_cli_error("trials", "--study NAME is required (see 'seqtune trials --help')");
        return EXP_EXIT_USAGE;
    }
    q.order_by = order[0] ? order : NULL;
    q.limit = limit;
    char err[256];
    if (trk_filter_check(q.filter, err) != 0) {
        exp_cli_error("--filter", "%s", strncmp(err, "filter: ", 8) == 0 ? err + 8 : err);
        return EXP_EXIT_INPUT;
    }
    trk_store *s = exp_open_store("trials", db);
    if (!s)
        return EXP_EXIT_INPUT;
    int64_t sid;
    trk_run_list l = {0};
    int rc = EXP_EXIT_INPUT;
    if (trk_study_find(s, study, &sid, err) != 0) {
        exp_cli_error("--study", "%s", err);
        goto out;
    }
    if (trk_runs_query(s, sid, &q, &l, err) != 0) {
        if (strncmp(err, "order: ", 7) == 0)
            exp_cli_error("--order-by", "%s", err + 7);
        else
            exp_cli_error("trials", "%s", err);
        goto out;
    }
    /* Show the ordering metric as a column when the order key is a metric. */
    const char *metric = NULL;
    if (q.order_by && strncmp(q.order_by, "metrics.", 8) == 0) {
        static char mkey[1024];
        snprintf(mkey, sizeof mkey, "%s", q.order_by + 8);
        char *sp = strchr(mkey, ' ');
        if (sp)
            *sp = '\0';
        if (mkey[0] != '`' && mkey[0] != '"')
            metric = mkey;
    }
    rc = EXP_EXIT_OK;
    if (preds) {
        if (exp_trials_predictions(s, sid, &l, fmt, err) != 0) {
            exp_cli_error("trials", "%s", err);
            rc = EXP_EXIT_INPUT;
        }
    } else if (fmt == FMT_TABLE && !columns) {
        trials_table(s, &l, metric);
    } else if (fmt == FMT_JSON && !columns) {
        trials_json(s, &l);
    } else if (exp_trials_view(s, &l, columns, fmt, err) != 0) {
        exp_cli_error("--columns", "%s", err);
        rc = EXP_EXIT_INPUT;
    }
out:
    trk_run_list_free(&l);
    trk_store_close(s);
    return rc;
}

/* ---- export -------------------------------------------------------------------- */

int cmd_export(int argc, char **argv)
{
    static const struct option lo[] = {
        {"study", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *study = NULL, *out = NULL, *format = NULL;
    int c;
    optind = 1;
    while ((c = exp_cli_getopt(argc, argv, "export", "ho:", lo)) != -1) {
        switch (c) {
        case 'h':
            exp_cli_usage("export", stdout);
            return EXP_EXIT_OK;
        case 's': study = optarg; break;
        case 'f': format = optarg; break;
        case 'o': out = optarg; break;
        case 'd': db = optarg; break;
        default: return EXP_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        exp_cli_error("export", "unexpected argument '%s'", argv[optind]);
        return EXP_EXIT_USAGE;
    }
    if (!study || !format || !out) {
        exp_cli_error("export", "--study, --format and -o are required (see 'seqtune export --help')");
        return EXP_EXIT_USAGE;
    }
    int fmt = trk_export_format_parse(format);
    if (fmt < 0) {
        exp_cli_error("export", "--format: expected csv, json or optuna, got '%s'", format);
        return EXP_EXIT_USAGE;
    }
    trk_store *s = exp_open_store("export", db);
    if (!s)
        return EXP_EXIT_INPUT;
    char err[256];
    if (exp_output_not_store(out, trk_store_path(s), trk_store_artifact_root(s), err)) {
        exp_cli_error(out, "%s", err);
        trk_store_close(s);
        return EXP_EXIT_INPUT;
    }
    int rc = trk_export_study(s, study, (trk_export_format)fmt, out, err);
    trk_store_close(s);
    if (rc != 0) {
        exp_cli_error(rc == TRK_ENOTFOUND ? "--study" : "export", "%s", err);
        return EXP_EXIT_INPUT;
    }
    return EXP_EXIT_OK;
}
