/*
 * cmd_model.c - the chosen model after a study:
 *   `seqtune best --study NAME [--export MODEL_FILE] [--format table|json]`
 *   `seqtune predict --model MODEL_FILE|NAME@ALIAS|NAME@VERSION --data CANDLES.csv
 *                    [-o SIGNALS.csv] [--long P] [--short P] [--db FILE]`
 *
 * `predict` recomputes the model's features from the candles with the scaler
 * statistics stored in the model file (never refit on the new data), so a
 * window sees exactly what it saw during the holdout evaluation. A registered
 * model (experiments/model_ref.h) is checked against its sha256, and the version
 * used is written beside the signals (SIGNALS.csv.model.json) or, on standard
 * output, named on standard error, so a signal file traces to its model.
 */
#include "base/file.h"
#include "experiments/best_pick.h"
#include "experiments/edge.h"
#include "experiments/moo.h"
#include "experiments/feature_importance.h"
#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/model_ref.h"
#include "experiments/outpath.h"
#include "tracker/query.h"
#include "tracker/sha256.h"
#include "trainer/candles.h"
#include "trainer/model_file.h"
#include "trainer/predict.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole file (at most 1 GiB); caller frees *out. */
static int read_all(const char *path, unsigned char **out, size_t *len, char err[256])
{
    *out = (unsigned char *)base_file_read(path, (size_t)1 << 30, len, err);
    return *out ? 0 : -1;
}

/* ---- best ------------------------------------------------------------------------ */

/* The multiclass holdout confusion matrix (issue 17), when the result has one. */
static void print_confusion(const cJSON *cm)
{
    static const char *const cls[3] = {"down", "flat", "up"};
    if (!cJSON_IsArray(cm) || cJSON_GetArraySize(cm) != 3)
        return;
    printf("  confusion (rows: label, columns: predicted down flat up):\n");
    for (int i = 0; i < 3; i++) {
        const cJSON *row = cJSON_GetArrayItem(cm, i);
        printf("    %-6s", cls[i]);
        for (int j = 0; j < 3; j++) {
            const cJSON *v = cJSON_GetArrayItem(row, j);
            printf(" %8d", cJSON_IsNumber(v) ? v->valueint : 0);
        }
        printf("\n");
    }
}

/* A multi-objective result: its Pareto front, then the picked trial's values. */
static void print_front_and_pick(const cJSON *result, const cJSON *objs, const cJSON *bt,
                                 const char *study)
{
    exp_moo_print_front(stdout, result, study);
    if (!cJSON_IsNumber(bt))
        return;
    printf("\npicked trial %d:", bt->valueint);
    const cJSON *o, *bvs = cJSON_GetObjectItemCaseSensitive(result, "best_values");
    const cJSON *v = bvs ? bvs->child : NULL;
    cJSON_ArrayForEach(o, objs) {
        printf(" %s %.6g", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "name")),
               v ? v->valuedouble : NAN);
        v = v ? v->next : NULL;
    }
    printf("\n");
}

/* `best`'s table: the study, the verdict, the chosen trial (or the front) with its
 * parameters, the holdout and, with `importance`, the inputs' importance. */
static void print_best_table(const trk_study_info *info, const cJSON *result, int importance)
{
    const cJSON *bt = cJSON_GetObjectItemCaseSensitive(result, "best_trial");
    const cJSON *bv = cJSON_GetObjectItemCaseSensitive(result, "best_value");
    printf("study %s (%s, %d trials: %d complete, %d pruned, %d failed)\n", info->name,
           info->status, info->n_runs, info->n_complete, info->n_pruned, info->n_fail);
    if (exp_edge_print_verdict(stdout, result) >= 0)
        printf("\n");
    const cJSON *objs = cJSON_GetObjectItemCaseSensitive(result, "objectives");
    if (cJSON_IsArray(objs))   /* multi-objective: the front, then the pick */
        print_front_and_pick(result, objs, bt, info->name);
    else if (cJSON_IsNumber(bt))
        printf("best trial %d, %s %.6g\n", bt->valueint, info->direction,
               cJSON_IsNumber(bv) ? bv->valuedouble : NAN);
    const cJSON *p, *params = cJSON_GetObjectItemCaseSensitive(result, "best_params");
    cJSON_ArrayForEach(p, params)
    {
        if (cJSON_IsNumber(p))
            printf("  %-16s %.10g\n", p->string, p->valuedouble);
        else if (cJSON_IsString(p))
            printf("  %-16s %s\n", p->string, p->valuestring);
    }
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(result, "holdout");
    const cJSON *bh = cJSON_GetObjectItemCaseSensitive(result, "buy_and_hold");
    if (cJSON_IsObject(h)) {
        printf("holdout (evaluated once, after the search):\n  %-18s %12s %12s\n",
               "metric", "model", "buy&hold");
        cJSON_ArrayForEach(p, h)
        {
            const cJSON *b = cJSON_GetObjectItemCaseSensitive(bh, p->string);
            if (cJSON_IsNumber(b))
                printf("  %-18s %12.4f %12.4f\n", p->string, p->valuedouble, b->valuedouble);
            else
                printf("  %-18s %12.4f\n", p->string, p->valuedouble);
        }
    }
    print_confusion(cJSON_GetObjectItemCaseSensitive(result, "holdout_confusion"));
    const cJSON *dsr = cJSON_GetObjectItemCaseSensitive(result, "deflated_sharpe");
    if (cJSON_IsNumber(dsr))
        printf("  %-18s %12.4f   (over %d evaluated trials: complete, pruned, failed "
               "after a fold)\n", "deflated_sharpe", dsr->valuedouble,
               (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(result, "n_trials")));
    if (importance && exp_feature_importance_print(stdout, result) < 0)
        printf("\npermutation importance: not in this study's result (it was run by a "
               "seqtune without it)\n");
}

/* --export: copies the study's model artifact (model_id) to path after checking
 * its recorded size and sha256. 0, or -1 after a message. */
static int best_export(trk_store *s, const char *study, int64_t study_id, int64_t model_id,
                       const char *path, int table)
{
    char err[256], src[4096], hex[65];
    trk_artifact *arts = NULL;
    int n_arts = 0, rc = -1;
    unsigned char *bytes = NULL;
    size_t len = 0;
    if (trk_artifacts_list(s, study_id, 0, &arts, &n_arts, err)) {
        exp_cli_error(study, "%s", err);
        return -1;
    }
    const trk_artifact *a = NULL;
    for (int i = 0; i < n_arts; i++)
        if (arts[i].id == model_id)
            a = &arts[i];
    if (!a) {
        exp_cli_error(study, "the study stored no model (its objective is not the LSTM "
                      "trainer, or no trial completed)");
        goto out;
    }
    snprintf(src, sizeof src, "%s/%s", trk_store_artifact_root(s), a->path);
    if (read_all(src, &bytes, &len, err)) {
        exp_cli_error("--export", "the model artifact is missing: %s", err);
        goto out;
    }
    trk_sha256_hex(bytes, len, hex);
    if ((int64_t)len != a->bytes || strcmp(hex, a->sha256) != 0) {
        exp_cli_error("--export", "the model artifact %s does not match its recorded "
                      "size and sha256 (damaged)", src);
        goto out;
    }
    if (trk_file_write_durable(path, bytes, len, err)) {
        exp_cli_error("--export", "%s", err);
        goto out;
    }
    if (table)
        printf("model written to %s (%zu bytes, sha256 %.16s...)\n", path, len, hex);
    rc = 0;
out:
    free(bytes);
    trk_artifacts_free(arts, n_arts);
    return rc;
}

int cmd_best(int argc, char **argv)
{
    static const struct option opts[] = {
        {"study", required_argument, NULL, 's'}, {"export", required_argument, NULL, 'e'},
        {"db", required_argument, NULL, 'd'},    {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},        {"require-edge", no_argument, NULL, 'E'},
        {"importance", no_argument, NULL, 'I'},  {"pick", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    const char *study = NULL, *export_path = NULL, *db = NULL, *format = "table";
    int c, require_edge = 0, importance = 0;
    long pick = -1;
    while ((c = exp_cli_getopt(argc, argv, "best", "s:e:d:f:hEIp:", opts)) != -1) {
        switch (c) {
        case 'p':
            if (exp_parse_long(optarg, 0, 1L << 30, "best", "--pick", &pick))
                return EXP_EXIT_USAGE;
            break;
        case 'E': require_edge = 1; break;
        case 'I': importance = 1; break;
        case 's': study = optarg; break;
        case 'e': export_path = optarg; break;
        case 'd': db = optarg; break;
        case 'f': format = optarg; break;
        case 'h': exp_cli_usage("best", stdout); return EXP_EXIT_OK;
        default: return EXP_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        exp_cli_error("best", "unexpected argument '%s'", argv[optind]);
        return EXP_EXIT_USAGE;
    }
    if (!study) {
        exp_cli_error("best", "--study NAME is required (see 'seqtune best --help')");
        return EXP_EXIT_USAGE;
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
        exp_cli_error("best", "--format: expected table or json, got '%s'", format);
        return EXP_EXIT_USAGE;
    }
    char err[256];
    const char *path = exp_db_path(db);
    if (pick >= 0) {   /* writes the pick's result, then shows it as below */
        int pc = exp_best_pick(path, study, (int)pick);
        if (pc != EXP_EXIT_OK)
            return pc;
    }
    trk_store *s = trk_store_open(path, TRK_READONLY, err);
    if (!s) {
        exp_cli_error(path, "%s", err);
        return EXP_EXIT_INPUT;
    }
    if (export_path &&
        exp_output_not_store(export_path, path, trk_store_artifact_root(s), err)) {
        exp_cli_error(export_path, "%s", err);
        trk_store_close(s);
        return EXP_EXIT_INPUT;
    }
    int code = EXP_EXIT_INPUT;
    trk_study_info info;
    memset(&info, 0, sizeof info);
    char *result_text = NULL;
    int64_t best_run = 0, model_id = 0;
    cJSON *result = NULL;
    if (trk_study_get(s, study, &info, err) ||
        trk_study_result(s, info.id, &result_text, &best_run, &model_id, err)) {
        exp_cli_error(study, "%s", err);
        goto done;
    }
    if (!result_text) {
        exp_cli_error(study, "the study has no result yet (status %s): finish it with "
                      "'seqtune run SPEC.json --resume'", info.status);
        goto done;
    }
    result = cJSON_Parse(result_text);
    if (strcmp(format, "json") == 0) {
        char *pretty = cJSON_Print(result);
        printf("%s\n", pretty ? pretty : "null");
        cJSON_free(pretty);
    } else {
        print_best_table(&info, result, importance);
    }
    if (export_path && best_export(s, study, info.id, model_id, export_path,
                                   strcmp(format, "table") == 0))
        goto done;
    code = EXP_EXIT_OK;
    /* --require-edge: exit 4 unless the verdict is edge (no verdict: no edge shown) */
    if (require_edge &&
        !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(result,
                      "verdict"), "edge")))
        code = EXP_EXIT_NO_EDGE;
done:
    cJSON_Delete(result);
    free(result_text);
    trk_study_info_clear(&info);
    trk_store_close(s);
    return code;
}

/* ---- predict --------------------------------------------------------------------- */

/* The signals CSV of predictions pr on candles cd (the caller frees it; NULL on
 * out of memory; *len gets its length). Direction: probability of up; return:
 * the predicted return; multiclass (issue 17): the three class probabilities,
 * signal on P(up) - P(down); price (issue 17): one row per forecast bar (its
 * time, actual close when known, forecast close, the forecast's origin bar,
 * predicted log return), including the bars past the end of the candles. */
static char *predict_csv(const tr_predictions *pr, const tr_candles *cd, int direction,
                         double long_th, double short_th, size_t *len)
{
    int multi = pr->n_out > 1;
    size_t cap = 128 + (size_t)pr->n * 128, off = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    if (pr->price)
        off += (size_t)snprintf(buf, cap, "timestamp,close,predicted_close,origin,"
                                "predicted_return,signal\n");
    else
        off += (size_t)snprintf(buf, cap, "timestamp,%s,signal,confidence\n",
                                multi ? "p_down,p_flat,p_up"
                                : direction ? "probability" : "predicted_return");
    for (int i = 0; i < pr->n; i++) {
        if (pr->price) {
            int ti = pr->row[i] + pr->horizon;
            long long tt = ti < cd->n ? (long long)cd->ts[ti]
                           : (long long)(cd->ts[cd->n - 1] +
                                         (int64_t)(ti - (cd->n - 1)) * cd->interval);
            char act[40] = "";
            if (ti < cd->n)
                snprintf(act, sizeof act, "%.10g", cd->close[ti]);
            double r = pr->value[i];
            const char *sig = r > long_th ? "long" : r < short_th ? "short" : "flat";
            off += (size_t)snprintf(buf + off, cap - off, "%lld,%s,%.10g,%lld,%.8f,%s\n", tt,
                                    act, pr->price[i], (long long)pr->ts[i], r, sig);
        } else if (multi) {
            /* long on up, short on down: P(up) - P(down) against the thresholds;
             * the confidence is the most likely class's probability */
            const float *q = pr->value + (size_t)i * pr->n_out;
            double sd = (double)q[2] - q[0], conf = fmax(q[0], fmax(q[1], q[2]));
            const char *sig = sd > long_th ? "long" : sd < short_th ? "short" : "flat";
            off += (size_t)snprintf(buf + off, cap - off, "%lld,%.6f,%.6f,%.6f,%s,%.6f\n",
                                    (long long)pr->ts[i], q[0], q[1], q[2], sig, conf);
        } else {
            double p = pr->value[i];
            const char *sig = p > long_th ? "long" : p < short_th ? "short" : "flat";
            double conf = direction ? fabs(2 * p - 1) : fabs(p);
            off += (size_t)snprintf(buf + off, cap - off, "%lld,%.6f,%s,%.6f\n",
                                    (long long)pr->ts[i], p, sig, conf);
        }
    }
    *len = off;
    return buf;
}

/* `--data -`: the candles from standard input (a pipe, a FIFO or a file), at
 * most 1 GiB. 0, or -1 with err. */
static int candles_from_stdin(tr_candles *cd, char err[256])
{
    const size_t max = (size_t)1 << 30;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            snprintf(err, 256, "standard input: out of memory");
            return -1;
        }
        size_t got = fread(buf + len, 1, cap - len, stdin);
        len += got;
        if (got == 0)
            break;
        if (len == cap) {
            if (cap >= max) {
                snprintf(err, 256, "standard input: more than 1 GiB of candles");
                free(buf);
                return -1;
            }
            char *more = realloc(buf, cap * 2);
            if (!more)
                free(buf);
            buf = more;
            cap *= 2;
        }
    }
    if (ferror(stdin)) {
        snprintf(err, 256, "standard input: read error");
        free(buf);
        return -1;
    }
    int rc = tr_candles_parse(buf, len, "standard input", cd, err);
    free(buf);
    return rc;
}

/* SIGNALS.csv.model.json: which registered version made the signals. 0, or -1
 * after printing the error. */
static int write_model_sidecar(const char *out_path, const char *arg, const exp_model_ref *ref)
{
    char path[4200], err[256];
    snprintf(path, sizeof path, "%s.model.json", out_path);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "reference", arg);
    cJSON_AddStringToObject(o, "model", ref->name);
    cJSON_AddNumberToObject(o, "version", ref->version);
    cJSON_AddStringToObject(o, "sha256", ref->sha256);
    if (ref->study[0])
        cJSON_AddStringToObject(o, "study", ref->study);
    if (ref->trial >= 0)
        cJSON_AddNumberToObject(o, "trial", ref->trial);
    cJSON_AddStringToObject(o, "signals", out_path);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    int rc = text ? trk_file_write_durable(path, text, strlen(text), err) : -1;
    if (rc)
        exp_cli_error(path, "%s", text ? err : "out of memory");
    cJSON_free(text);
    return rc ? -1 : 0;
}

/* Writes the signals of predictions pr (to out_path, or stdout) with the
 * thresholds, a NaN one taken from the target's default. The exit code. */
static int predict_emit(const tr_predictions *pr, const tr_candles *cd, const tr_model_meta *meta,
                        double long_th, double short_th, const char *out_path,
                        const char *model_arg, const exp_model_ref *ref)
{
    char err[256];
    int multi = pr->n_out > 1;   /* class probabilities: down, flat, up */
    int direction = !multi && !pr->price && strcmp(meta->target_kind, "return") != 0;
    if (isnan(long_th))
        long_th = multi ? 0.1 : direction ? 0.55 : 0.0;   /* price, return: 0 */
    if (isnan(short_th))
        short_th = multi ? -0.1 : direction ? 0.45 : 0.0;
    if (short_th > long_th) {
        exp_cli_error("predict", "--short %g is above --long %g", short_th, long_th);
        return EXP_EXIT_USAGE;
    }
    size_t off = 0;
    char *buf = predict_csv(pr, cd, direction, long_th, short_th, &off);
    int code = EXP_EXIT_INPUT;
    if (!buf) {
        exp_cli_error("predict", "out of memory");
        return code;
    }
    if (out_path) {
        if (trk_file_write_durable(out_path, buf, off, err)) {
            exp_cli_error("-o", "%s", err);
            goto done;
        }
        fprintf(stderr, "seqtune: predict: %d signals written to %s\n", pr->n, out_path);
        if (ref->registered && write_model_sidecar(out_path, model_arg, ref))
            goto done;
    } else {
        fwrite(buf, 1, off, stdout);
        if (ref->registered)
            fprintf(stderr, "seqtune: predict: model %s version %d (%s, sha256 %s)\n", ref->name,
                    ref->version, model_arg, ref->sha256);
    }
    code = EXP_EXIT_OK;
done:
    free(buf);
    return code;
}

int cmd_predict(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'}, {"data", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'}, {"long", required_argument, NULL, 'L'},
        {"short", required_argument, NULL, 'S'}, {"help", no_argument, NULL, 'h'},
        {"db", required_argument, NULL, 'D'},    {NULL, 0, NULL, 0},
    };
    const char *model_path = NULL, *data_path = NULL, *out_path = NULL, *db = NULL;
    double long_th = NAN, short_th = NAN;
    int c;
    while ((c = exp_cli_getopt(argc, argv, "predict", "m:d:o:h", opts)) != -1) {
        char *end;
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'd': data_path = optarg; break;
        case 'o': out_path = optarg; break;
        case 'D': db = optarg; break;
        case 'L':
        case 'S': {
            double v = strtod(optarg, &end);
            if (end == optarg || *end || !isfinite(v)) {
                exp_cli_error("predict", "--%s: expected a number, got '%s'",
                              c == 'L' ? "long" : "short", optarg);
                return EXP_EXIT_USAGE;
            }
            *(c == 'L' ? &long_th : &short_th) = v;
            break;
        }
        case 'h': exp_cli_usage("predict", stdout); return EXP_EXIT_OK;
        default: return EXP_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        exp_cli_error("predict", "unexpected argument '%s'", argv[optind]);
        return EXP_EXIT_USAGE;
    }
    if (!model_path || !data_path) {
        exp_cli_error("predict", "--model FILE and --data CANDLES.csv are required "
                      "(see 'seqtune predict --help')");
        return EXP_EXIT_USAGE;
    }
    if (short_th > long_th) {   /* comparisons with an unset NaN are false */
        exp_cli_error("predict", "--short %g is above --long %g", short_th, long_th);
        return EXP_EXIT_USAGE;
    }
    char err[256];
    exp_model_ref ref;
    if (exp_model_ref_resolve(model_path, NULL, exp_db_path(db), &ref, err)) {
        exp_cli_error(model_path, "%s", err);
        return EXP_EXIT_INPUT;
    }
    const char *model_arg = model_path;
    model_path = ref.path;
    if (out_path && (exp_output_not_input(out_path, model_path, "model file", err) ||
                     (strcmp(data_path, "-") != 0 &&
                      exp_output_not_input(out_path, data_path, "candle file", err)))) {
        exp_cli_error(out_path, "%s", err);
        return EXP_EXIT_INPUT;
    }
    int code = EXP_EXIT_INPUT;
    tr_lstm *m = NULL;
    tr_model_meta meta;
    memset(&meta, 0, sizeof meta);
    tr_candles cd;
    memset(&cd, 0, sizeof cd);
    tr_predictions pr;
    memset(&pr, 0, sizeof pr);
    if (tr_model_load(model_path, 256, 1, &m, &meta, err)) {
        exp_cli_error(model_path, "%s", err);
        goto done;
    }
    if (meta.n_features > 256 || !meta.scaler_center || !meta.scaler_scale) {
        exp_cli_error(model_path, "the model file has no scaler statistics");
        goto done;
    }
    if (strcmp(data_path, "-") == 0 ? candles_from_stdin(&cd, err)
                                    : tr_candles_load(data_path, &cd, err)) {
        exp_cli_error(data_path, "%s", err);
        goto done;
    }
    int prc = tr_predict_candles(m, &meta, &cd, &pr, err);
    if (prc) {
        exp_cli_error(prc == TR_PREDICT_EDATA ? data_path
                      : prc == TR_PREDICT_EMODEL ? model_path : "predict", "%s", err);
        goto done;
    }
    code = predict_emit(&pr, &cd, &meta, long_th, short_th, out_path, model_arg, &ref);
done:
    tr_predictions_free(&pr);
    tr_candles_free(&cd);
    tr_model_meta_free(&meta);
    tr_lstm_free(m);
    return code;
}
