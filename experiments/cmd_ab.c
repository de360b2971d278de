/*
 * cmd_ab.c - `seqtune ab --model A --model B --data CANDLES.csv [--from T] [--to T]
 *            [--promote] [--format table|json]` and `seqtune ab --history`:
 * champion against challenger on candles neither has seen (issue 16).
 *
 * Both models predict every window of the candles (trainer/predict.h, causal);
 * the compared bars are those where both have a prediction, the horizon's
 * realised return is known inside the same candle segment and inside
 * [--from, --to]. Per bar: each model's loss and strategy return
 * (trainer/ab.h); then the Diebold-Mariano test, the bootstrap interval of the
 * Sharpe difference and the verdict. Every comparison is recorded in the store
 * (tracker/registry.h) with its per-bar series, for `ab --history` and
 * `report --ab ID`.
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include "base/file.h"
#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/model_ref.h"
#include "tracker/registry.h"
#include "tracker/sha256.h"
#include "trainer/ab.h"
#include "trainer/candles.h"
#include "trainer/model_file.h"
#include "trainer/predict.h"

#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AB_MIN_BARS 30
#define AB_SERIES_COLS 5   /* ts, loss_a, loss_b, ret_a, ret_b per bar */

const char exp_usage_ab[] =
    "usage: seqtune ab --model A --model B --data CANDLES.csv [--from T] [--to T]\n"
    "                  [--promote] [--format table|json] [--seed S] [--boot N]\n"
    "                  [--block L] [--force-interval] [--db FILE]\n"
    "       seqtune ab --history [--name MODEL] [--format table|json] [--db FILE]\n\n"
    "Compares two models on the same bars of candles neither has seen: per bar the\n"
    "loss (log loss for direction models, squared error of the predicted log return\n"
    "for return/price models) and the return of trading the prediction's sign over\n"
    "the next bar. The Diebold-Mariano test (Newey-West) on the loss difference and\n"
    "a stationary block bootstrap of the Sharpe difference (B - A, annualized, 95 %\n"
    "interval) give the verdict b_better, no_difference or a_better with reasons.\n"
    "Every comparison is recorded in the store (`ab --history`, `report --ab ID`).\n\n"
    "  --model REF        a model file, MODEL@VERSION or MODEL@ALIAS (twice: A, then B)\n"
    "  --data FILE        the candles\n"
    "  --from T, --to T   only bars in [T, T'] (Unix seconds or YYYY-MM-DD[THH:MM[:SS]])\n"
    "  --promote          move B's champion alias to B when the verdict is b_better\n"
    "  --format F         table (default) or json\n"
    "  --seed S           the bootstrap's seed (default 1)\n"
    "  --boot N           bootstrap replicates (default 2000)\n"
    "  --block L          mean block length in bars (default n^(1/3))\n"
    "  --force-interval   compare candles of another bar interval than the models'\n"
    "  --history          list the recorded comparisons (of --name MODEL), newest first\n"
    "  --db FILE          the store (default $SEQTUNE_DB, then ./seqtune.db)\n"
    "  --help             show this text\n";

typedef struct ab_opts {
    const char *ref[2], *data, *db, *format, *name;
    double from, to;
    int promote, force, history, n_boot;
    unsigned long seed;
    double block;
} ab_opts;

/* One side of the comparison. */
typedef struct ab_side {
    exp_model_ref ref;
    tr_lstm *m;
    tr_model_meta meta;
    tr_predictions pr;
    tr_ab_target target;
    const char *kind;
} ab_side;

static void side_free(ab_side *s)
{
    tr_predictions_free(&s->pr);
    tr_model_meta_free(&s->meta);
    tr_lstm_free(s->m);
}

/* Unix seconds or YYYY-MM-DD[THH:MM[:SS]] (UTC); 0 or -1. */
static int parse_time(const char *text, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end != text && !*end && isfinite(v)) {
        *out = v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *fmts[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
    for (int i = 0; i < 3; i++) {
        memset(&tm, 0, sizeof tm);
        const char *e = strptime(text, fmts[i], &tm);
        if (e && !*e) {
            *out = (double)timegm(&tm);
            return 0;
        }
    }
    return -1;
}

static int parse_opts(int argc, char **argv, ab_opts *o)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},  {"data", required_argument, NULL, 'D'},
        {"from", required_argument, NULL, 'F'},   {"to", required_argument, NULL, 'T'},
        {"promote", no_argument, NULL, 'P'},      {"format", required_argument, NULL, 'f'},
        {"force-interval", no_argument, NULL, 'I'}, {"history", no_argument, NULL, 'H'},
        {"name", required_argument, NULL, 'n'},   {"seed", required_argument, NULL, 's'},
        {"boot", required_argument, NULL, 'b'},   {"block", required_argument, NULL, 'B'},
        {"db", required_argument, NULL, 'd'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, n_models = 0;
    long v;
    while ((c = exp_cli_getopt(argc, argv, "ab", "m:f:d:h", opts)) != -1) {
        switch (c) {
        case 'm':
            if (n_models == 2) {
                exp_cli_error("ab", "--model: give exactly two (A, then B)");
                return EXP_EXIT_USAGE;
            }
            o->ref[n_models++] = optarg;
            break;
        case 'D': o->data = optarg; break;
        case 'F':
        case 'T':
            if (parse_time(optarg, c == 'F' ? &o->from : &o->to)) {
                exp_cli_error("ab", "--%s: expected Unix seconds or YYYY-MM-DD[THH:MM[:SS]], "
                              "got '%s'", c == 'F' ? "from" : "to", optarg);
                return EXP_EXIT_USAGE;
            }
            break;
        case 'P': o->promote = 1; break;
        case 'f': o->format = optarg; break;
        case 'I': o->force = 1; break;
        case 'H': o->history = 1; break;
        case 'n': o->name = optarg; break;
        case 's':
            if (exp_parse_long(optarg, 0, 2147483647L, "ab", "--seed", &v))
                return EXP_EXIT_USAGE;
            o->seed = (unsigned long)v;
            break;
        case 'b':
            if (exp_parse_long(optarg, 100, 1000000L, "ab", "--boot", &v))
                return EXP_EXIT_USAGE;
            o->n_boot = (int)v;
            break;
        case 'B': {
            char *end;
            o->block = strtod(optarg, &end);
            if (end == optarg || *end || !(o->block >= 1) || !isfinite(o->block)) {
                exp_cli_error("ab", "--block: expected a mean block length >= 1, got '%s'",
                              optarg);
                return EXP_EXIT_USAGE;
            }
            break;
        }
        case 'd': o->db = optarg; break;
        case 'h': exp_cli_usage("ab", stdout); return -1;
        default: return EXP_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        exp_cli_error("ab", "unexpected argument '%s'", argv[optind]);
        return EXP_EXIT_USAGE;
    }
    if (strcmp(o->format, "table") != 0 && strcmp(o->format, "json") != 0) {
        exp_cli_error("ab", "--format: expected table or json, got '%s'", o->format);
        return EXP_EXIT_USAGE;
    }
    if (!o->history && (n_models != 2 || !o->data)) {
        exp_cli_error("ab", "--model A --model B and --data CANDLES.csv are required "
                      "(see 'seqtune ab --help')");
        return EXP_EXIT_USAGE;
    }
    if (o->from > o->to) {
        exp_cli_error("ab", "--from %.0f is after --to %.0f", o->from, o->to);
        return EXP_EXIT_USAGE;
    }
    return 0;
}

/* Loads side s's model and names its target; EXP_EXIT_* code. */
static int side_load(ab_side *s, const char *arg, trk_store *store, const char *db)
{
    char err[256];
    if (exp_model_ref_resolve(arg, store, db, &s->ref, err)) {
        exp_cli_error(arg, "%s", err);
        return EXP_EXIT_INPUT;
    }
    if (tr_model_load(s->ref.path, 256, 1, &s->m, &s->meta, err)) {
        exp_cli_error(arg, "%s", err);
        return EXP_EXIT_INPUT;
    }
    if (exp_model_ref_hash(&s->ref, err)) {
        exp_cli_error(arg, "%s", err);
        return EXP_EXIT_INPUT;
    }
    if (!s->meta.scaler_center || !s->meta.scaler_scale) {
        exp_cli_error(arg, "the model file has no scaler statistics");
        return EXP_EXIT_INPUT;
    }
    s->target = s->meta.n_classes == 3 ? TR_AB_MULTICLASS
                : strcmp(s->meta.target_kind, "direction") == 0 ? TR_AB_DIRECTION : TR_AB_RETURN;
    s->kind = s->meta.n_classes == 3 ? "multiclass" : s->meta.has_target_scaler ? "price"
              : s->meta.target_kind;
    return EXP_EXIT_OK;
}

/* The checks that need both models and the candles. */
static int sides_check(const ab_side *s, const tr_candles *cd, const ab_opts *o)
{
    if (s[0].target != s[1].target || s[0].meta.horizon != s[1].meta.horizon ||
        (s[0].target == TR_AB_MULTICLASS && s[0].meta.deadband != s[1].meta.deadband)) {
        exp_cli_error("ab", "A predicts %s over %d bars, B %s over %d bars: a paired loss "
                      "needs the same target and horizon", s[0].kind, s[0].meta.horizon,
                      s[1].kind, s[1].meta.horizon);
        return EXP_EXIT_INPUT;
    }
    for (int k = 0; k < 2; k++) {
        int64_t want = s[k].ref.interval_s;
        if (want > 0 && want != cd->interval && !o->force) {
            exp_cli_error(o->data, "bars of %lld s, but model %c (%s) was trained on bars of "
                          "%lld s (--force-interval compares anyway)", (long long)cd->interval,
                          'A' + k, o->ref[k], (long long)want);
            return EXP_EXIT_INPUT;
        }
    }
    return EXP_EXIT_OK;
}

/* The paired per-bar series (n rows of AB_SERIES_COLS, caller frees) over the bars
 * both sides predicted; NULL with *n = 0 on out of memory. */
static double *pair_series(const ab_side *s, const tr_candles *cd, const ab_opts *o, int *n)
{
    const tr_predictions *a = &s[0].pr, *b = &s[1].pr;
    int h = a->horizon, cap = a->n < b->n ? a->n : b->n;
    double *out = malloc(((size_t)cap + 1) * AB_SERIES_COLS * sizeof *out);
    *n = 0;
    if (!out)
        return NULL;
    for (int i = 0, j = 0; i < a->n && j < b->n;) {
        if (a->row[i] < b->row[j]) {
            i++;
            continue;
        }
        if (b->row[j] < a->row[i]) {
            j++;
            continue;
        }
        int t = a->row[i], end = t + (h > 1 ? h : 1);
        if (end < cd->n && cd->segment[end] == cd->segment[t] && cd->ts[t] >= o->from &&
            cd->ts[end] <= o->to) {
            double fwd = log(cd->close[t + h] / cd->close[t]);
            double next = log(cd->close[t + 1] / cd->close[t]);
            double la, lb, ra, rb;
            tr_ab_bar(s[0].target, a->value + (size_t)i * a->n_out, s[0].meta.deadband, fwd,
                      next, &la, &ra);
            tr_ab_bar(s[1].target, b->value + (size_t)j * b->n_out, s[1].meta.deadband, fwd,
                      next, &lb, &rb);
            if (isfinite(la) && isfinite(lb) && isfinite(ra) && isfinite(rb)) {
                double *row = out + (size_t)*n * AB_SERIES_COLS;
                row[0] = (double)cd->ts[t];
                row[1] = la;
                row[2] = lb;
                row[3] = ra;
                row[4] = rb;
                (*n)++;
            }
        }
        i++;
        j++;
    }
    return out;
}

/* Column k of the series as its own array (caller frees). */
static double *column(const double *series, int n, int k)
{
    double *c = malloc(((size_t)n + 1) * sizeof *c);
    for (int i = 0; c && i < n; i++)
        c[i] = series[(size_t)i * AB_SERIES_COLS + k];
    return c;
}

static cJSON *side_json(const ab_side *s, const char *arg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ref", arg);
    if (s->ref.registered) {
        cJSON_AddStringToObject(o, "name", s->ref.name);
        cJSON_AddNumberToObject(o, "version", s->ref.version);
    }
    cJSON_AddStringToObject(o, "sha256", s->ref.sha256);
    cJSON_AddStringToObject(o, "target", s->kind);
    return o;
}

/* The figures of a comparison as JSON (the caller deletes it). */
static cJSON *figures_json(const tr_ab_result *r, const ab_side *s, const ab_opts *o,
                           const double *series, double annualize, int64_t interval)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "verdict", tr_ab_verdict_name(r->verdict));
    cJSON *why = cJSON_AddArrayToObject(j, "reasons");
    for (int i = 0; i < TR_AB_REASONS; i++)
        cJSON_AddItemToArray(why, cJSON_CreateString(r->reasons[i]));
    cJSON_AddItemToObject(j, "model_a", side_json(&s[0], o->ref[0]));
    cJSON_AddItemToObject(j, "model_b", side_json(&s[1], o->ref[1]));
    cJSON_AddStringToObject(j, "data", o->data);
    cJSON_AddNumberToObject(j, "n_bars", r->n);
    cJSON *span = cJSON_AddArrayToObject(j, "span");
    cJSON_AddItemToArray(span, cJSON_CreateNumber(series[0]));
    cJSON_AddItemToArray(span, cJSON_CreateNumber(series[(size_t)(r->n - 1) * AB_SERIES_COLS]));
    cJSON_AddNumberToObject(j, "interval_s", (double)interval);
    cJSON_AddNumberToObject(j, "loss_a", r->loss_a);
    cJSON_AddNumberToObject(j, "loss_b", r->loss_b);
    cJSON_AddNumberToObject(j, "loss_diff", r->dm.mean_diff);
    cJSON_AddNumberToObject(j, "dm_stat", isfinite(r->dm.stat) ? r->dm.stat
                            : r->dm.stat > 0 ? 1e308 : -1e308);
    cJSON_AddNumberToObject(j, "dm_pvalue", r->dm_p_two);
    cJSON_AddNumberToObject(j, "dm_lag", r->dm.lag);
    cJSON_AddNumberToObject(j, "sharpe_a", r->sharpe_a);
    cJSON_AddNumberToObject(j, "sharpe_b", r->sharpe_b);
    cJSON_AddNumberToObject(j, "sharpe_diff", r->sharpe_diff);
    cJSON *ci = cJSON_AddArrayToObject(j, "sharpe_diff_ci");
    cJSON_AddItemToArray(ci, cJSON_CreateNumber(r->ci_low));
    cJSON_AddItemToArray(ci, cJSON_CreateNumber(r->ci_high));
    cJSON_AddNumberToObject(j, "annualization", annualize);
    cJSON_AddNumberToObject(j, "n_boot", r->n_boot);
    cJSON_AddNumberToObject(j, "mean_block", r->mean_block);
    cJSON_AddNumberToObject(j, "seed", (double)o->seed);
    return j;
}

static void print_table(const tr_ab_result *r, const ab_side *s, const ab_opts *o,
                        const double *series)
{
    char t0[32], t1[32];
    time_t a = (time_t)series[0], b = (time_t)series[(size_t)(r->n - 1) * AB_SERIES_COLS];
    strftime(t0, sizeof t0, "%Y-%m-%d %H:%M", gmtime(&a));
    strftime(t1, sizeof t1, "%Y-%m-%d %H:%M", gmtime(&b));
    printf("A/B on %s: %d bars, %s .. %s UTC\n", o->data, r->n, t0, t1);
    printf("  A  %-28s %s sha256 %.12s\n", o->ref[0], s[0].kind, s[0].ref.sha256);
    printf("  B  %-28s %s sha256 %.12s\n", o->ref[1], s[1].kind, s[1].ref.sha256);
    printf("  %-22s %12s %12s %12s\n", "", "A", "B", "B - A");
    printf("  %-22s %12.6f %12.6f %12.6f\n", "mean loss", r->loss_a, r->loss_b,
           r->loss_b - r->loss_a);
    printf("  %-22s %12.4f %12.4f %12.4f\n", "Sharpe (annualized)", r->sharpe_a, r->sharpe_b,
           r->sharpe_diff);
    printf("  %-22s [%.4f, %.4f]\n", "Sharpe B-A 95% CI", r->ci_low, r->ci_high);
    printf("  %-22s stat %.4g, p = %.4g (two-sided, lag %d)\n", "Diebold-Mariano",
           isfinite(r->dm.stat) ? r->dm.stat : 0.0, r->dm_p_two, r->dm.lag);
    printf("verdict: %s\n", tr_ab_verdict_name(r->verdict));
    for (int i = 0; i < TR_AB_REASONS; i++)
        printf("  - %s\n", r->reasons[i]);
}

/* The data file's sha256 (hex) or "" when it cannot be read. */
static void data_sha(const char *path, char hex[65])
{
    char err[256];
    size_t len = 0;
    char *d = base_file_read(path, (size_t)1 << 30, &len, err);
    hex[0] = '\0';
    if (d)
        trk_sha256_hex(d, len, hex);
    free(d);
}

/* Records the comparison (and promotes); prints what happened. EXP_EXIT_* code. */
static int record(trk_store *st, const tr_ab_result *r, const ab_side *s, const ab_opts *o,
                  cJSON *fig, double *series, int json)
{
    char err[256], dhex[65];
    data_sha(o->data, dhex);
    int promote = o->promote && r->verdict == TR_AB_B_BETTER;
    cJSON_AddBoolToObject(fig, "promoted", promote);
    char *ftext = cJSON_PrintUnformatted(fig);
    trk_ab_record rec = {
        .who = (char *)exp_user_name(), .ref_a = (char *)o->ref[0], .ref_b = (char *)o->ref[1],
        .name_a = s[0].ref.registered ? (char *)s[0].ref.name : NULL,
        .name_b = s[1].ref.registered ? (char *)s[1].ref.name : NULL,
        .version_a = s[0].ref.version, .version_b = s[1].ref.version,
        .data_path = (char *)o->data, .data_sha256 = dhex, .span_first = series[0],
        .span_last = series[(size_t)(r->n - 1) * AB_SERIES_COLS], .n_bars = r->n,
        .verdict = (char *)tr_ab_verdict_name(r->verdict), .figures_json = ftext,
        .series = series, .series_bytes = (size_t)r->n * AB_SERIES_COLS * sizeof(double),
    };
    memcpy(rec.sha_a, s[0].ref.sha256, 65);
    memcpy(rec.sha_b, s[1].ref.sha256, 65);
    int64_t id = 0;
    int rc = trk_ab_add(st, &rec, promote, &id, err);
    free(ftext);
    if (rc) {
        exp_cli_error(trk_store_path(st), "recording the comparison: %s", err);
        return EXP_EXIT_INPUT;
    }
    cJSON_AddNumberToObject(fig, "id", (double)id);
    FILE *out = json ? stderr : stdout;
    if (o->promote && promote)
        fprintf(out, "promoted: %s@%s -> version %d (verdict b_better)\n", s[1].ref.name,
                TRK_CHAMPION, s[1].ref.version);
    else if (o->promote)
        fprintf(out, "not promoted: the verdict is %s, so %s@%s stays where it was\n",
                tr_ab_verdict_name(r->verdict), s[1].ref.name, TRK_CHAMPION);
    fprintf(out, "recorded as A/B comparison %lld in %s\n", (long long)id, trk_store_path(st));
    return EXP_EXIT_OK;
}

/* Predicts, pairs, compares, prints and records, once both sides are loaded. */
static int compare(ab_side *s, const tr_candles *cd, const ab_opts *o, trk_store *st)
{
    char err[256];
    for (int k = 0; k < 2; k++) {
        int prc = tr_predict_candles(s[k].m, &s[k].meta, cd, &s[k].pr, err);
        if (prc) {
            exp_cli_error(prc == TR_PREDICT_EDATA ? o->data : o->ref[k], "%s", err);
            return EXP_EXIT_INPUT;
        }
    }
    int n = 0, code = EXP_EXIT_INPUT;
    double *series = pair_series(s, cd, o, &n);
    double *col[4] = {NULL, NULL, NULL, NULL};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!series || !rng) {
        exp_cli_error("ab", "out of memory");
        goto done;
    }
    if (n < AB_MIN_BARS) {
        exp_cli_error(o->data, "only %d bars where both models predict and the outcome is "
                      "known (at least %d needed): more candles, or a wider --from/--to",
                      n, AB_MIN_BARS);
        goto done;
    }
    for (int k = 0; k < 4; k++)
        if (!(col[k] = column(series, n, k + 1)))
            goto done;
    gsl_rng_set(rng, o->seed);
    tr_ab_config cfg;
    tr_ab_config_default(&cfg);
    cfg.n_boot = o->n_boot;
    cfg.mean_block = o->block;
    double annualize = cd->interval > 0 ? sqrt(365.25 * 86400.0 / (double)cd->interval) : 1;
    cfg.annualize = annualize;
    tr_ab_result r;
    if (tr_ab_compare(col[0], col[1], col[2], col[3], n, &cfg, rng, &r, err)) {
        exp_cli_error("ab", "%s", err);
        goto done;
    }
    cJSON *fig = figures_json(&r, s, o, series, annualize, cd->interval);
    int json = strcmp(o->format, "json") == 0;
    if (!json)
        print_table(&r, s, o, series);
    code = record(st, &r, s, o, fig, series, json);
    if (json) {
        char *text = cJSON_Print(fig);
        printf("%s\n", text ? text : "{}");
        cJSON_free(text);
    }
    cJSON_Delete(fig);
done:
    for (int k = 0; k < 4; k++)
        free(col[k]);
    free(series);
    gsl_rng_free(rng);
    return code;
}

/* `ab --history`: every recorded comparison (of --name's model), newest first. */
static int history(trk_store *st, const ab_opts *o)
{
    char err[256];
    trk_ab_record *r = NULL;
    int n = 0;
    if (trk_ab_list(st, o->name, &r, &n, err)) {
        exp_cli_error("ab --history", "%s", err);
        return EXP_EXIT_INPUT;
    }
    if (strcmp(o->format, "json") == 0) {
        cJSON *a = cJSON_CreateArray();
        for (int i = 0; i < n; i++) {
            cJSON *f = cJSON_Parse(r[i].figures_json);
            if (!f)
                f = cJSON_CreateObject();
            cJSON_DeleteItemFromObjectCaseSensitive(f, "id");
            cJSON_AddNumberToObject(f, "id", (double)r[i].id);
            cJSON_AddNumberToObject(f, "created", r[i].created);
            cJSON_AddStringToObject(f, "who", r[i].who ? r[i].who : "");
            cJSON_AddItemToArray(a, f);
        }
        char *text = cJSON_Print(a);
        printf("%s\n", text ? text : "[]");
        cJSON_free(text);
        cJSON_Delete(a);
    } else if (n == 0) {
        printf("no A/B comparisons recorded\n");
    } else {
        printf("%4s %-16s %-12s %-24s %-24s %6s %-13s %s\n", "id", "when (UTC)", "who", "A", "B",
               "bars", "verdict", "promoted");
        for (int i = 0; i < n; i++) {
            char t[32];
            time_t tt = (time_t)r[i].created;
            strftime(t, sizeof t, "%Y-%m-%d %H:%M", gmtime(&tt));
            printf("%4lld %-16s %-12.12s %-24.24s %-24.24s %6d %-13s %s\n", (long long)r[i].id, t,
                   r[i].who ? r[i].who : "-", r[i].ref_a, r[i].ref_b, r[i].n_bars, r[i].verdict,
                   r[i].promoted ? "yes" : "no");
        }
    }
    trk_ab_records_free(r, n);
    return EXP_EXIT_OK;
}

int cmd_ab(int argc, char **argv)
{
    ab_opts o = {.format = "table", .from = -INFINITY, .to = INFINITY, .n_boot = 2000,
                 .seed = 1};
    int code = parse_opts(argc, argv, &o);
    if (code)
        return code < 0 ? EXP_EXIT_OK : code;
    gsl_set_error_handler_off();
    if (o.promote && !exp_model_ref_is_registry(o.ref[1])) {
        exp_cli_error("--promote", "model B '%s' is a plain file: promotion needs "
                      "NAME@VERSION or NAME@ALIAS", o.ref[1]);
        return EXP_EXIT_INPUT;
    }
    char err[256];
    const char *path = exp_db_path(o.db);
    trk_store *st = trk_store_open(path, o.history ? TRK_READONLY : TRK_CREATE, err);
    if (!st) {
        exp_cli_error(path, "%s", err);
        return EXP_EXIT_INPUT;
    }
    if (o.history) {
        code = history(st, &o);
        trk_store_close(st);
        return code;
    }
    ab_side s[2];
    memset(s, 0, sizeof s);
    tr_candles cd;
    memset(&cd, 0, sizeof cd);
    code = side_load(&s[0], o.ref[0], st, path);
    if (!code)
        code = side_load(&s[1], o.ref[1], st, path);
    if (!code && tr_candles_load(o.data, &cd, err)) {
        exp_cli_error(o.data, "%s", err);
        code = EXP_EXIT_INPUT;
    }
    if (!code)
        code = sides_check(s, &cd, &o);
    if (!code)
        code = compare(s, &cd, &o, st);
    tr_candles_free(&cd);
    side_free(&s[0]);
    side_free(&s[1]);
    trk_store_close(st);
    return code;
}
