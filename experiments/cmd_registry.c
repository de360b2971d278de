/*
 * cmd_registry.c - the model registry on the command line (tracker/registry.h):
 *   `seqtune register --study S [--name NAME] [--alias A] [--description TEXT]
 *                     [--tag KEY=VALUE]...`
 *   `seqtune models [--name NAME] [--format table|csv|json]`
 *   `seqtune alias NAME@VERSION ALIAS`, `seqtune alias --delete NAME ALIAS`
 *
 * `register` copies the study's refit model (checked against the sha256 the study
 * recorded) into the registry with where it came from: the study and trial, the
 * data fingerprint and span, the bar interval of the training candles, the
 * holdout metrics and the verdict.
 */
#include "base/file.h"
#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/model_ref.h"
#include "tracker/query.h"
#include "tracker/registry.h"
#include "tracker/sha256.h"
#include "trainer/candles.h"
#include "trainer/model_file.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TAGS 32

const char exp_usage_register[] =
    "usage: seqtune register --study NAME [--name MODEL] [--alias A] [--description TEXT]\n"
    "                        [--tag KEY=VALUE]... [--db FILE]\n\n"
    "Registers the study's refit model as the next version of MODEL (default: the\n"
    "study's name). The model file is checked against the sha256 the study recorded\n"
    "and copied into the registry (<db>.artifacts/registry/), so deleting the study\n"
    "keeps it. The version records the study and trial, the data fingerprint and\n"
    "span, the bar interval, the holdout metrics and the verdict.\n\n"
    "  --study NAME        the finished study whose best model is registered\n"
    "  --name MODEL        the registered model (A-Z a-z 0-9 . _ -; default the study's name)\n"
    "  --alias A           point alias A (e.g. champion, challenger) at the new version\n"
    "  --description TEXT  free text kept with the version\n"
    "  --tag KEY=VALUE     a tag kept with the version (repeatable)\n"
    "  --db FILE           the store (default $SEQTUNE_DB, then ./seqtune.db)\n"
    "  --help              show this text\n";

const char exp_usage_models[] =
    "usage: seqtune models [--name MODEL] [--format table|csv|json] [--db FILE]\n\n"
    "Lists the registered models, one line per version, with their aliases, source\n"
    "study and trial, target, verdict, time and sha256.\n\n"
    "  --name MODEL   only this model (exit 2 when it is not registered)\n"
    "  --format F     table (default), csv or json (json has every recorded field)\n"
    "  --db FILE      the store (default $SEQTUNE_DB, then ./seqtune.db)\n"
    "  --help         show this text\n";

const char exp_usage_alias[] =
    "usage: seqtune alias MODEL@VERSION ALIAS [--db FILE]\n"
    "       seqtune alias --delete MODEL ALIAS [--db FILE]\n\n"
    "Points ALIAS of MODEL at VERSION (MODEL@OTHER_ALIAS works too), moving it if it\n"
    "pointed elsewhere, or removes it. Every move is kept in the alias history.\n"
    "An unknown model, version or alias exits 2 and says what exists.\n\n"
    "  --delete     remove the alias\n"
    "  --db FILE    the store (default $SEQTUNE_DB, then ./seqtune.db)\n"
    "  --help       show this text\n";

/* What register gathers about the study before it writes anything. */
typedef struct reg_source {
    trk_study_info info;
    cJSON *result;
    unsigned char *bytes;
    size_t len;
    char model_path[4400];
    char *fingerprint;
    double first, last;
    int64_t interval;
    char target[32];
} reg_source;

static void reg_source_free(reg_source *r)
{
    trk_study_info_clear(&r->info);
    cJSON_Delete(r->result);
    free(r->bytes);
    free(r->fingerprint);
}

/* The study's model artifact, read and checked; 0 or -1 with err. */
static int read_model(trk_store *s, reg_source *r, int64_t model_id, char err[256])
{
    trk_artifact *arts = NULL;
    int n = 0, rc = -1;
    if (trk_artifacts_list(s, r->info.id, 0, &arts, &n, err))
        return -1;
    const trk_artifact *a = NULL;
    for (int i = 0; i < n; i++)
        if (arts[i].id == model_id)
            a = &arts[i];
    char hex[65];
    if (!a) {
        snprintf(err, 256, "the study stored no model (its objective is not the LSTM trainer, "
                 "or no trial completed)");
    } else {
        snprintf(r->model_path, sizeof r->model_path, "%s/%s", trk_store_artifact_root(s),
                 a->path);
        r->bytes = (unsigned char *)base_file_read(r->model_path, (size_t)1 << 30, &r->len, err);
        if (r->bytes) {
            trk_sha256_hex(r->bytes, r->len, hex);
            if ((int64_t)r->len != a->bytes || strcmp(hex, a->sha256) != 0)
                snprintf(err, 256, "the model artifact %.180s does not match its recorded size "
                         "and sha256 (damaged)", r->model_path);
            else
                rc = 0;
        }
    }
    trk_artifacts_free(arts, n);
    return rc;
}

/* The data side: fingerprint tag, its span, the candles' interval, the target. */
static void read_data_side(trk_store *s, reg_source *r)
{
    char err[256];
    trk_kv *tags = NULL;
    int n = 0;
    r->first = r->last = NAN;
    if (trk_study_tags(s, r->info.id, &tags, &n, err) == 0)
        for (int i = 0; i < n; i++)
            if (strcmp(tags[i].key, "data_fingerprint") == 0) {
                r->fingerprint = strdup(tags[i].value);
                /* "rows N (FIRST..LAST), ...": whole Unix seconds (a %lf would
                 * take the first '.' of ".." as a decimal point) */
                const char *p = strchr(tags[i].value, '(');
                long long a, b;
                if (p && sscanf(p, "(%lld..%lld)", &a, &b) == 2) {
                    r->first = (double)a;
                    r->last = (double)b;
                }
            }
    trk_kv_free(tags, n);
    char *spec_text = NULL;
    if (trk_study_spec(s, r->info.id, &spec_text, err) == 0) {
        cJSON *spec = cJSON_Parse(spec_text);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(spec, "data"), "path");
        tr_candles cd;
        memset(&cd, 0, sizeof cd);
        if (cJSON_IsString(p) && tr_candles_load(p->valuestring, &cd, err) == 0)
            r->interval = cd.interval;
        tr_candles_free(&cd);
        cJSON_Delete(spec);
    }
    free(spec_text);
    tr_lstm *m = NULL;
    tr_model_meta meta;
    memset(&meta, 0, sizeof meta);
    if (tr_model_load(r->model_path, 1, 1, &m, &meta, err) == 0)
        snprintf(r->target, sizeof r->target, "%s",
                 meta.n_classes == 3 ? "multiclass"
                 : meta.has_target_scaler ? "price" : meta.target_kind);
    tr_model_meta_free(&meta);
    tr_lstm_free(m);
}

/* --tag KEY=VALUE list as a JSON object text (caller frees); NULL on a bad tag. */
static char *tags_json(char *const *tags, int n)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(tags[i], '=');
        if (!eq || eq == tags[i]) {
            exp_cli_error("register", "--tag: expected KEY=VALUE, got '%s'", tags[i]);
            cJSON_Delete(o);
            return NULL;
        }
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(eq - tags[i]), tags[i]);
        cJSON_DeleteItemFromObjectCaseSensitive(o, key);
        cJSON_AddStringToObject(o, key, eq + 1);
    }
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return t;
}

/* The registration itself, once the study's side is gathered. */
static int register_source(trk_store *s, reg_source *r, const char *name, const char *alias,
                           const char *description, const char *tags)
{
    char err[256];
    const cJSON *bt = cJSON_GetObjectItemCaseSensitive(r->result, "best_trial");
    char *metrics = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(r->result, "holdout"));
    char *verdict = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(r->result, "verdict"));
    trk_model_version_in in = {
        .name = name, .study_name = r->info.name, .study_id = r->info.id,
        .trial_number = cJSON_IsNumber(bt) ? bt->valueint : -1,
        .data_fingerprint = r->fingerprint, .span_first = r->first, .span_last = r->last,
        .interval_s = r->interval, .target_kind = r->target[0] ? r->target : NULL,
        .metrics_json = metrics, .verdict_json = verdict, .description = description,
        .tags_json = tags, .alias = alias, .who = exp_user_name(),
    };
    int version = 0;
    int rc = trk_model_register(s, &in, r->bytes, r->len, &version, err);
    free(metrics);
    free(verdict);
    if (rc) {
        exp_cli_error(name, "%s", err);
        return EXP_EXIT_INPUT;
    }
    char hex[65];
    trk_sha256_hex(r->bytes, r->len, hex);
    printf("registered %s version %d (from study %s trial %d, %zu bytes, sha256 %.16s...)%s%s\n",
           name, version, r->info.name, in.trial_number, r->len, hex, alias ? ", alias " : "",
           alias ? alias : "");
    if (r->interval <= 0)
        printf("note: the study's candles are gone, so the bar interval is not recorded and "
               "'seqtune ab' cannot check it\n");
    return EXP_EXIT_OK;
}

int cmd_register(int argc, char **argv)
{
    static const struct option opts[] = {
        {"study", required_argument, NULL, 's'}, {"name", required_argument, NULL, 'n'},
        {"alias", required_argument, NULL, 'a'}, {"description", required_argument, NULL, 'D'},
        {"tag", required_argument, NULL, 't'},   {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *study = NULL, *name = NULL, *alias = NULL, *description = NULL, *db = NULL;
    char *tags[MAX_TAGS];
    int n_tags = 0, c;
    while ((c = exp_cli_getopt(argc, argv, "register", "s:n:a:D:t:d:h", opts)) != -1) {
        switch (c) {
        case 's': study = optarg; break;
        case 'n': name = optarg; break;
        case 'a': alias = optarg; break;
        case 'D': description = optarg; break;
        case 't':
            if (n_tags == MAX_TAGS) {
                exp_cli_error("register", "at most %d --tag options", MAX_TAGS);
                return EXP_EXIT_USAGE;
            }
            tags[n_tags++] = optarg;
            break;
        case 'd': db = optarg; break;
        case 'h': exp_cli_usage("register", stdout); return EXP_EXIT_OK;
        default: return EXP_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        exp_cli_error("register", "unexpected argument '%s'", argv[optind]);
        return EXP_EXIT_USAGE;
    }
    if (!study) {
        exp_cli_error("register", "--study NAME is required (see 'seqtune register --help')");
        return EXP_EXIT_USAGE;
    }
    char err[256];
    if (!name)
        name = study;
    if (trk_reg_name_check("model name", name, 0, err) ||
        (alias && trk_reg_name_check("alias", alias, 1, err))) {
        exp_cli_error("register", "%s%s", err, name == study && !strstr(err, "alias")
                      ? " (the study's name; give --name)" : "");
        return EXP_EXIT_INPUT;
    }
    char *tj = tags_json(tags, n_tags);
    if (!tj)
        return EXP_EXIT_USAGE;
    const char *path = exp_db_path(db);
    trk_store *s = trk_store_open(path, 0, err);
    if (!s) {
        exp_cli_error(path, "%s", err);
        free(tj);
        return EXP_EXIT_INPUT;
    }
    reg_source r;
    memset(&r, 0, sizeof r);
    char *result_text = NULL;
    int64_t best_run = 0, model_id = 0;
    int code = EXP_EXIT_INPUT;
    if (trk_study_get(s, study, &r.info, err) ||
        trk_study_result(s, r.info.id, &result_text, &best_run, &model_id, err)) {
        exp_cli_error(study, "%s", err);
    } else if (!result_text || !(r.result = cJSON_Parse(result_text))) {
        exp_cli_error(study, "the study has no result yet (status %s): finish it with "
                      "'seqtune run SPEC.json --resume'", r.info.status);
    } else if (read_model(s, &r, model_id, err)) {
        exp_cli_error(study, "%s", err);
    } else {
        read_data_side(s, &r);
        code = register_source(s, &r, name, alias, description, tj);
    }
    free(result_text);
    free(tj);
    reg_source_free(&r);
    trk_store_close(s);
    return code;
}

/* ---- models ------------------------------------------------------------------------ */

static const char *verdict_word(const char *verdict_json)
{
    cJSON *v = cJSON_Parse(verdict_json ? verdict_json : "null");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(v, "edge");
    const char *w = cJSON_IsTrue(e) ? "edge" : cJSON_IsFalse(e) ? "no edge" : "-";
    cJSON_Delete(v);
    return w;
}

static void time_text(double t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M", &tm);
}

static cJSON *version_json(const trk_model_version *v)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", v->name);
    cJSON_AddNumberToObject(o, "version", v->version);
    cJSON *al = cJSON_AddArrayToObject(o, "aliases");
    char buf[512];
    snprintf(buf, sizeof buf, "%s", v->aliases);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        cJSON_AddItemToArray(al, cJSON_CreateString(t));
    if (v->study_name)
        cJSON_AddStringToObject(o, "study", v->study_name);
    cJSON_AddNumberToObject(o, "study_id", (double)v->study_id);
    if (v->trial_number >= 0)
        cJSON_AddNumberToObject(o, "trial", v->trial_number);
    cJSON_AddStringToObject(o, "path", v->path);
    cJSON_AddNumberToObject(o, "bytes", (double)v->bytes);
    cJSON_AddStringToObject(o, "sha256", v->sha256);
    if (v->data_fingerprint)
        cJSON_AddStringToObject(o, "data_fingerprint", v->data_fingerprint);
    if (isfinite(v->span_first))
        cJSON_AddNumberToObject(o, "span_first", v->span_first);
    if (isfinite(v->span_last))
        cJSON_AddNumberToObject(o, "span_last", v->span_last);
    if (v->interval_s > 0)
        cJSON_AddNumberToObject(o, "interval_s", (double)v->interval_s);
    if (v->target_kind)
        cJSON_AddStringToObject(o, "target", v->target_kind);
    cJSON_AddItemToObject(o, "holdout", cJSON_Parse(v->metrics_json ? v->metrics_json : "null"));
    cJSON_AddItemToObject(o, "verdict", cJSON_Parse(v->verdict_json ? v->verdict_json : "null"));
    if (v->description)
        cJSON_AddStringToObject(o, "description", v->description);
    cJSON_AddItemToObject(o, "tags", cJSON_Parse(v->tags_json ? v->tags_json : "{}"));
    cJSON_AddNumberToObject(o, "created", v->created);
    return o;
}

/* One CSV field, quoted when it needs to be. */
static void csv_field(const char *s, int last)
{
    s = s ? s : "";
    if (strpbrk(s, ",\"\n\r")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    putchar(last ? '\n' : ',');
}

static void print_versions(const trk_model_version *v, int n, const char *format)
{
    char t[32], num[64];
    if (strcmp(format, "json") == 0) {
        cJSON *a = cJSON_CreateArray();
        for (int i = 0; i < n; i++)
            cJSON_AddItemToArray(a, version_json(&v[i]));
        char *text = cJSON_Print(a);
        printf("%s\n", text ? text : "[]");
        cJSON_free(text);
        cJSON_Delete(a);
        return;
    }
    if (strcmp(format, "csv") == 0) {
        printf("name,version,aliases,study,trial,target,interval_s,sha256,bytes,created,"
               "verdict,description\n");
        for (int i = 0; i < n; i++) {
            csv_field(v[i].name, 0);
            printf("%d,", v[i].version);
            csv_field(v[i].aliases, 0);
            csv_field(v[i].study_name, 0);
            printf("%d,", v[i].trial_number);
            csv_field(v[i].target_kind, 0);
            printf("%lld,%s,%lld,%.0f,", (long long)v[i].interval_s, v[i].sha256,
                   (long long)v[i].bytes, v[i].created);
            csv_field(verdict_word(v[i].verdict_json), 0);
            csv_field(v[i].description, 1);
        }
        return;
    }
    if (n == 0) {
        printf("no registered models (see 'seqtune register --help')\n");
        return;
    }
    printf("%-20s %4s %-22s %-20s %5s %-10s %-8s %-16s %-12s %s\n", "model", "ver", "aliases",
           "study", "trial", "target", "verdict", "registered", "sha256", "description");
    for (int i = 0; i < n; i++) {
        time_text(v[i].created, t);
        snprintf(num, sizeof num, "%d", v[i].trial_number);
        printf("%-20s %4d %-22s %-20s %5s %-10s %-8s %-16s %-12.12s %s\n", v[i].name,
               v[i].version, v[i].aliases[0] ? v[i].aliases : "-",
               v[i].study_name ? v[i].study_name : "-", v[i].trial_number >= 0 ? num : "-",
               v[i].target_kind ? v[i].target_kind : "-", verdict_word(v[i].verdict_json), t,
               v[i].sha256, v[i].description ? v[i].description : "");
    }
}

int cmd_models(int argc, char **argv)
{
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'}, {"format", required_argument, NULL, 'f'},
        {"db", required_argument, NULL, 'd'},   {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL, *format = "table", *db = NULL;
    int c;
    while ((c = exp_cli_getopt(argc, argv, "models", "n:f:d:h", opts)) != -1) {
        switch (c) {
        case 'n': name = optarg; break;
        case 'f': format = optarg; break;
        case 'd': db = optarg; break;
        case 'h': exp_cli_usage("models", stdout); return EXP_EXIT_OK;
        default: return EXP_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        exp_cli_error("models", "unexpected argument '%s'", argv[optind]);
        return EXP_EXIT_USAGE;
    }
    if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json")) {
        exp_cli_error("models", "--format: expected table, csv or json, got '%s'", format);
        return EXP_EXIT_USAGE;
    }
    char err[256];
    const char *path = exp_db_path(db);
    trk_store *s = trk_store_open(path, TRK_READONLY, err);
    if (!s) {
        exp_cli_error(path, "%s", err);
        return EXP_EXIT_INPUT;
    }
    trk_model_version *v = NULL;
    int n = 0, code = EXP_EXIT_OK;
    if (trk_model_versions(s, name, &v, &n, err)) {
        exp_cli_error(name ? name : "models", "%s", err);
        code = EXP_EXIT_INPUT;
    } else {
        print_versions(v, n, format);
    }
    trk_model_versions_free(v, n);
    trk_store_close(s);
    return code;
}

/* ---- alias ------------------------------------------------------------------------- */

int cmd_alias(int argc, char **argv)
{
    static const struct option opts[] = {
        {"delete", no_argument, NULL, 'x'}, {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},   {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    int del = 0, c;
    while ((c = exp_cli_getopt(argc, argv, "alias", "d:h", opts)) != -1) {
        switch (c) {
        case 'x': del = 1; break;
        case 'd': db = optarg; break;
        case 'h': exp_cli_usage("alias", stdout); return EXP_EXIT_OK;
        default: return EXP_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        exp_cli_error("alias", del ? "--delete takes NAME ALIAS" : "expected NAME@VERSION ALIAS "
                      "(see 'seqtune alias --help')");
        return EXP_EXIT_USAGE;
    }
    const char *target = argv[optind], *alias = argv[optind + 1];
    char err[256], name[128];
    const char *at = strrchr(target, '@');
    if (!del && (!at || at == target || !at[1] || (size_t)(at - target) >= sizeof name)) {
        exp_cli_error("alias", "'%s': expected NAME@VERSION (or NAME@ALIAS)", target);
        return EXP_EXIT_INPUT;
    }
    snprintf(name, sizeof name, "%.*s", del ? (int)strlen(target) : (int)(at - target), target);
    const char *path = exp_db_path(db);
    trk_store *s = trk_store_open(path, 0, err);
    if (!s) {
        exp_cli_error(path, "%s", err);
        return EXP_EXIT_INPUT;
    }
    int code = EXP_EXIT_INPUT;
    trk_model_version v;
    memset(&v, 0, sizeof v);
    if (del) {
        if (trk_model_alias_delete(s, name, alias, exp_user_name(), err))
            exp_cli_error(target, "%s", err);
        else {
            printf("%s: alias %s removed\n", name, alias);
            code = EXP_EXIT_OK;
        }
    } else if (trk_model_resolve(s, name, at + 1, &v, err) ||
               trk_model_alias_set(s, name, v.version, alias, exp_user_name(), "set by hand",
                                   err)) {
        exp_cli_error(target, "%s", err);
    } else {
        printf("%s@%s -> version %d\n", name, alias, v.version);
        code = EXP_EXIT_OK;
    }
    trk_model_version_clear(&v);
    trk_store_close(s);
    return code;
}
