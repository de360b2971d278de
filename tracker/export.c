/*
 * export.c - study exports (tracker/export.h): CSV, JSON via cJSON, and an
 * Optuna 3.1 RDB file.
 *
 * Optuna facts this file relies on (schema of optuna/storages/_rdb/models.py at
 * Optuna 3.1, alembic revision v3.0.0.d, version_info.schema_version 12):
 * trial states are stored by name; a categorical param's value is the index of its
 * choice; a param's distribution is JSON {"name": "...Distribution", "attributes":
 * {...}}; values and intermediate values carry a type (FINITE, INF_POS, INF_NEG,
 * and NAN for intermediates) with NULL stored for the non-finite ones. A COMPLETE
 * run without a value cannot be a COMPLETE Optuna trial; it is exported as FAIL.
 */
#include "tracker/export.h"
#include "tracker/json_int.h"
#include "tracker/objectives.h"
#include "tracker/oos.h"
#include "tracker/query.h"
#include "tracker/store_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int trk_export_format_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "csv") == 0)
        return TRK_EXPORT_CSV;
    if (strcmp(name, "json") == 0)
        return TRK_EXPORT_JSON;
    if (strcmp(name, "optuna") == 0)
        return TRK_EXPORT_OPTUNA;
    return -1;
}

/* Unix seconds -> "YYYY-MM-DD HH:MM:SS.ffffff" (UTC); sep 'T' for ISO 8601. */
static void fmt_time(double t, char sep, char out[64])
{
    if (isnan(t)) {
        out[0] = '\0';
        return;
    }
    time_t sec = (time_t)floor(t);
    long usec = (long)((t - floor(t)) * 1e6);
    if (usec > 999999)
        usec = 999999;
    struct tm tm;
    gmtime_r(&sec, &tm);
    snprintf(out, 64, "%04d-%02d-%02d%c%02d:%02d:%02d.%06ld", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, sep, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
}

cJSON *trk_json_number(double v)
{
    if (!isfinite(v))
        return cJSON_CreateNull();
    char buf[40];
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return cJSON_CreateRaw(buf);
}

static cJSON *num_or_null(double v)
{
    return trk_json_number(v);
}

/* A param as JSON: its number when it has one, else its text. */
static cJSON *param_json(const trk_param *p)
{
    return isnan(p->num) ? cJSON_CreateString(p->value) : trk_json_number(p->num);
}

/* Collects the runs of a study with everything: caller frees with trk_run_list_free. */
static int all_runs(trk_store *s, const char *name, trk_study_info *si, trk_run_list *runs,
                    char err[256])
{
    int rc = trk_study_get(s, name, si, err);
    if (rc)
        return rc;
    trk_query q = {0};
    if ((rc = trk_runs_query(s, si->id, &q, runs, err)) != 0)
        trk_study_info_clear(si);
    return rc;
}

/* The study object's fields (spec, tags and note, result, counts, best). */
static void ej_study(cJSON *study, const trk_study_info *si, const char *spec,
                     const char *result, int64_t best, int64_t model, const trk_kv *kv, int nkv)
{
    char when[64];
    cJSON_AddStringToObject(study, "name", si->name);
    cJSON_AddStringToObject(study, "direction", si->direction);
    cJSON_AddStringToObject(study, "status", si->status);
    fmt_time(si->created, 'T', when);
    cJSON_AddStringToObject(study, "created", when);
    cJSON *spec_j = spec ? cJSON_Parse(spec) : NULL;
    cJSON_AddItemToObject(study, "spec", spec_j ? spec_j : cJSON_CreateNull());
    cJSON *tags = cJSON_AddObjectToObject(study, "tags");
    const char *note = NULL;
    for (int i = 0; i < nkv; i++) {
        cJSON_AddStringToObject(tags, kv[i].key, kv[i].value);
        if (strcmp(kv[i].key, "seqtune.note") == 0) /* TRK_NOTE_TAG, `seqtune study note` */
            note = kv[i].value;
    }
    cJSON_AddItemToObject(study, "note", note ? cJSON_CreateString(note) : cJSON_CreateNull());
    cJSON *res = result ? cJSON_Parse(result) : NULL;
    cJSON_AddItemToObject(study, "result", res ? res : cJSON_CreateNull());
    cJSON_AddItemToObject(study, "result_best_run_id", best > 0 ? trk_json_int64(best) : cJSON_CreateNull());
    cJSON_AddItemToObject(study, "model_artifact_id", model > 0 ? trk_json_int64(model) : cJSON_CreateNull());
    cJSON *counts = cJSON_AddObjectToObject(study, "counts");
    cJSON_AddNumberToObject(counts, "RUNNING", si->n_running);
    cJSON_AddNumberToObject(counts, "COMPLETE", si->n_complete);
    cJSON_AddNumberToObject(counts, "PRUNED", si->n_pruned);
    cJSON_AddNumberToObject(counts, "FAIL", si->n_fail);
    if (si->best_run_id > 0) {
        cJSON *b = cJSON_AddObjectToObject(study, "best");
        trk_json_add_int64(b, "run_id", si->best_run_id);
        cJSON_AddNumberToObject(b, "trial_number", si->best_trial_number);
        cJSON_AddItemToObject(b, "value", num_or_null(si->best_value));
    } else {
        cJSON_AddNullToObject(study, "best");
    }
}

/* A trial's metrics: last/min/max, last step and count of each. */
static int ej_metrics(trk_store *s, const trk_run *r, cJSON *t, char err[256])
{
    trk_metric_summary *ms = NULL;
    int nms = 0;
    if (trk_metric_summaries(s, r->id, &ms, &nms, err))
        return TRK_ERR;
    cJSON *metrics = cJSON_AddObjectToObject(t, "metrics");
    for (int k = 0; k < nms; k++) {
        cJSON *m = cJSON_AddObjectToObject(metrics, ms[k].key);
        cJSON_AddItemToObject(m, "last", num_or_null(ms[k].last));
        cJSON_AddItemToObject(m, "min", num_or_null(ms[k].min));
        cJSON_AddItemToObject(m, "max", num_or_null(ms[k].max));
        cJSON_AddNumberToObject(m, "last_step", (double)ms[k].last_step);
        cJSON_AddNumberToObject(m, "count", (double)ms[k].count);
    }
    trk_metric_summaries_free(ms, nms);
    return 0;
}

/* A trial's tags and artifacts. */
static int ej_tags_artifacts(trk_store *s, int64_t study_id, const trk_run *r, cJSON *t,
                             char err[256])
{
    trk_kv *kv = NULL;
    int nkv = 0;
    if (trk_run_tags(s, r->id, &kv, &nkv, err))
        return TRK_ERR;
    cJSON *rt = cJSON_AddObjectToObject(t, "tags");
    for (int k = 0; k < nkv; k++)
        cJSON_AddStringToObject(rt, kv[k].key, kv[k].value);
    trk_kv_free(kv, nkv);
    trk_artifact *a = NULL;
    int na = 0;
    if (trk_artifacts_list(s, study_id, r->id, &a, &na, err))
        return TRK_ERR;
    cJSON *arts = cJSON_AddArrayToObject(t, "artifacts");
    for (int k = 0; k < na; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", a[k].kind);
        cJSON_AddStringToObject(o, "path", a[k].path);
        trk_json_add_int64(o, "bytes", a[k].bytes);
        cJSON_AddStringToObject(o, "sha256", a[k].sha256);
        cJSON_AddItemToArray(arts, o);
    }
    trk_artifacts_free(a, na);
    return 0;
}

/* The study's objectives: [{"name", "direction"}] in index order. */
static int ej_objectives(trk_store *s, int64_t study_id, cJSON *study, char err[256])
{
    trk_objective *ob = NULL;
    int n = 0;
    if (trk_study_objectives(s, study_id, &ob, &n, err))
        return TRK_ERR;
    cJSON *a = cJSON_AddArrayToObject(study, "objectives");
    for (int k = 0; k < n; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", ob[k].name);
        cJSON_AddStringToObject(o, "direction", ob[k].maximize ? "maximize" : "minimize");
        cJSON_AddItemToArray(a, o);
    }
    trk_objectives_free(ob, n);
    return 0;
}

/* One trial into trials: attributes, params, metrics, intermediate values (iv
 * from *j on, in trial order), tags, artifacts and OOS series. */
static int ej_trial(trk_store *s, int64_t study_id, const trk_run *r,
                    const trk_intermediate *iv, int niv, int *j, cJSON *trials, char err[256])
{
    char when[64];
    cJSON *t = cJSON_CreateObject();
    cJSON_AddItemToArray(trials, t);
    trk_json_add_int64(t, "run_id", r->id);
    cJSON_AddNumberToObject(t, "trial_number", r->trial_number);
    cJSON_AddStringToObject(t, "state", trk_state_name(r->state));
    cJSON_AddItemToObject(t, "value", num_or_null(r->value));
    trk_run_values rv;   /* a multi-objective trial's value per objective */
    if (trk_run_values_get(s, r->id, &rv, err))
        return TRK_ERR;
    if (rv.n > 0) {
        cJSON *vals = cJSON_AddArrayToObject(t, "values");
        for (int k = 0; k < rv.n; k++)
            cJSON_AddItemToArray(vals, num_or_null(rv.v[k]));
    }
    fmt_time(r->started, 'T', when);
    cJSON_AddStringToObject(t, "started", when);
    fmt_time(r->finished, 'T', when);
    cJSON_AddItemToObject(t, "finished", when[0] ? cJSON_CreateString(when) : cJSON_CreateNull());
    cJSON_AddNumberToObject(t, "worker", r->worker);
    trk_json_add_int64(t, "seed", r->seed);
    cJSON_AddItemToObject(t, "error", r->error ? cJSON_CreateString(r->error) : cJSON_CreateNull());
    cJSON *params = cJSON_AddObjectToObject(t, "params");
    for (int k = 0; k < r->n_params; k++)
        cJSON_AddItemToObject(params, r->params[k].key, param_json(&r->params[k]));
    if (ej_metrics(s, r, t, err))
        return TRK_ERR;
    cJSON *inter = cJSON_AddArrayToObject(t, "intermediate_values");
    while (*j < niv && iv[*j].trial_number < r->trial_number)
        (*j)++;
    for (; *j < niv && iv[*j].run_id == r->id; (*j)++) {
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)iv[*j].step));
        cJSON_AddItemToArray(pair, num_or_null(iv[*j].value));
        cJSON_AddItemToArray(inter, pair);
    }
    if (ej_tags_artifacts(s, study_id, r, t, err))
        return TRK_ERR;
    cJSON *oos = trk_oos_json(s, study_id, r->id, err);   /* per-fold OOS series (oos.h) */
    if (!oos)
        return TRK_ERR;
    cJSON_AddItemToObject(t, "oos_series", oos);
    return 0;
}

cJSON *trk_study_export_json(trk_store *s, const char *name, char err[256])
{
    trk_study_info si;
    trk_run_list runs = {0};
    char *spec = NULL, *result = NULL;
    trk_kv *kv = NULL;
    int nkv = 0;
    trk_intermediate *iv = NULL;
    int niv = 0;
    int64_t best = 0, model = 0;
    if (all_runs(s, name, &si, &runs, err) != 0)
        return NULL;
    cJSON *root = cJSON_CreateObject(), *study = cJSON_AddObjectToObject(root, "study");
    if (trk_study_spec(s, si.id, &spec, err) || trk_study_result(s, si.id, &result, &best, &model, err) ||
        trk_study_tags(s, si.id, &kv, &nkv, err) || trk_study_intermediates(s, si.id, &iv, &niv, err))
        goto fail;
    ej_study(study, &si, spec, result, best, model, kv, nkv);
    if (ej_objectives(s, si.id, study, err))
        goto fail;
    cJSON *trials = cJSON_AddArrayToObject(root, "trials");
    for (int i = 0, j = 0; i < runs.n; i++)
        if (ej_trial(s, si.id, &runs.runs[i], iv, niv, &j, trials, err))
            goto fail;
    goto done;
fail:
    cJSON_Delete(root);
    root = NULL;
done:
    trk_kv_free(kv, nkv);
    free(iv);
    free(spec);
    free(result);
    trk_run_list_free(&runs);
    trk_study_info_clear(&si);
    return root;
}

/* ---- CSV ------------------------------------------------------------------------- */

static void csv_field(FILE *f, const char *v)
{
    if (!v)
        return;
    if (strpbrk(v, ",\"\n\r") == NULL) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', f);
        fputc(*v, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    if (!isnan(v))
        fprintf(f, "%.17g", v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds `key` to a growing set (array kept unsorted; deduplicated). */
static int set_add(char ***set, int *n, int *cap, const char *key)
{
    for (int i = 0; i < *n; i++)
        if (strcmp((*set)[i], key) == 0)
            return 0;
    if (*n == *cap) {
        int c = *cap ? 2 * *cap : 16;
        char **p = realloc(*set, sizeof *p * (size_t)c);
        if (!p)
            return -1;
        *set = p;
        *cap = c;
    }
    if (!((*set)[*n] = strdup(key)))
        return -1;
    (*n)++;
    return 0;
}

static int export_csv(trk_store *s, const char *name, const char *path, char err[256])
{
    trk_study_info si;
    trk_run_list runs = {0};
    char **pk = NULL, **mk = NULL, tmp[TRK_TEMP_NAME_MAX], when[64];
    int npk = 0, cpk = 0, nmk = 0, cmk = 0, rc = TRK_ERR;
    trk_metric_summary **ms = NULL;
    int *nms = NULL;
    FILE *f = NULL;
    if ((rc = all_runs(s, name, &si, &runs, err)) != 0)
        return rc;
    rc = TRK_ERR;
    ms = calloc((size_t)runs.n + 1, sizeof *ms);
    nms = calloc((size_t)runs.n + 1, sizeof *nms);
    if (!ms || !nms)
        goto oom;
    for (int i = 0; i < runs.n; i++) {
        for (int k = 0; k < runs.runs[i].n_params; k++)
            if (set_add(&pk, &npk, &cpk, runs.runs[i].params[k].key))
                goto oom;
        if (trk_metric_summaries(s, runs.runs[i].id, &ms[i], &nms[i], err))
            goto fail;
        for (int k = 0; k < nms[i]; k++)
            if (set_add(&mk, &nmk, &cmk, ms[i][k].key))
                goto oom;
    }
    qsort(pk, (size_t)npk, sizeof *pk, cmp_str);
    qsort(mk, (size_t)nmk, sizeof *mk, cmp_str);
    trk_file_temp_name(path, tmp);
    if (!(f = fopen(tmp, "wb"))) {
        snprintf(err, 256, "%.200s: %s", path, strerror(errno));
        goto fail;
    }
    fputs("run_id,trial_number,state,value,started,finished,worker,seed,error", f);
    for (int k = 0; k < npk; k++) {
        char h[600];
        snprintf(h, sizeof h, "params.%s", pk[k]);
        fputc(',', f);
        csv_field(f, h);
    }
    for (int k = 0; k < nmk; k++) {
        char h[600];
        snprintf(h, sizeof h, "metrics.%s", mk[k]);
        fputc(',', f);
        csv_field(f, h);
    }
    fputc('\n', f);
    for (int i = 0; i < runs.n; i++) {
        const trk_run *r = &runs.runs[i];
        fprintf(f, "%lld,%d,%s,", (long long)r->id, r->trial_number, trk_state_name(r->state));
        csv_num(f, r->value);
        fmt_time(r->started, 'T', when);
        fprintf(f, ",%s,", when);
        fmt_time(r->finished, 'T', when);
        fprintf(f, "%s,%d,%lld,", when, r->worker, (long long)r->seed);
        csv_field(f, r->error);
        for (int k = 0; k < npk; k++) {
            fputc(',', f);
            for (int q = 0; q < r->n_params; q++)
                if (strcmp(r->params[q].key, pk[k]) == 0)
                    csv_field(f, r->params[q].value);
        }
        for (int k = 0; k < nmk; k++) {
            fputc(',', f);
            for (int q = 0; q < nms[i]; q++)
                if (strcmp(ms[i][q].key, mk[k]) == 0)
                    csv_num(f, ms[i][q].last);
        }
        fputc('\n', f);
    }
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    f = NULL;
    if (bad) {
        snprintf(err, 256, "%.200s: write failed", path);
        unlink(tmp);
        goto fail;
    }
    rc = trk_file_commit(tmp, path, err);
    goto done;
oom:
    snprintf(err, 256, "export: out of memory");
fail:
    if (f) {
        fclose(f);
        unlink(tmp);
    }
    rc = TRK_ERR;
done:
    for (int i = 0; ms && i < runs.n; i++)
        trk_metric_summaries_free(ms[i], nms[i]);
    free(ms);
    free(nms);
    for (int k = 0; k < npk; k++)
        free(pk[k]);
    for (int k = 0; k < nmk; k++)
        free(mk[k]);
    free(pk);
    free(mk);
    trk_run_list_free(&runs);
    trk_study_info_clear(&si);
    return rc;
}

/* ---- Optuna ------------------------------------------------------------------------ */

static const char optuna_schema[] =
    "CREATE TABLE studies (study_id INTEGER NOT NULL, study_name VARCHAR(512) NOT NULL,"
    " PRIMARY KEY (study_id));"
    "CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name);"
    "CREATE TABLE version_info (version_info_id INTEGER NOT NULL, schema_version INTEGER,"
    " library_version VARCHAR(256), PRIMARY KEY (version_info_id), CHECK (version_info_id=1));"
    "CREATE TABLE study_directions (study_direction_id INTEGER NOT NULL,"
    " direction VARCHAR(8) NOT NULL, study_id INTEGER NOT NULL, objective INTEGER NOT NULL,"
    " PRIMARY KEY (study_direction_id), UNIQUE (study_id, objective),"
    " FOREIGN KEY(study_id) REFERENCES studies (study_id));"
    "CREATE TABLE study_user_attributes (study_user_attribute_id INTEGER NOT NULL,"
    " study_id INTEGER, \"key\" VARCHAR(512), value_json TEXT,"
    " PRIMARY KEY (study_user_attribute_id), UNIQUE (study_id, \"key\"),"
    " FOREIGN KEY(study_id) REFERENCES studies (study_id));"
    "CREATE TABLE study_system_attributes (study_system_attribute_id INTEGER NOT NULL,"
    " study_id INTEGER, \"key\" VARCHAR(512), value_json TEXT,"
    " PRIMARY KEY (study_system_attribute_id), UNIQUE (study_id, \"key\"),"
    " FOREIGN KEY(study_id) REFERENCES studies (study_id));"
    "CREATE TABLE trials (trial_id INTEGER NOT NULL, number INTEGER, study_id INTEGER,"
    " state VARCHAR(8) NOT NULL, datetime_start DATETIME, datetime_complete DATETIME,"
    " PRIMARY KEY (trial_id), FOREIGN KEY(study_id) REFERENCES studies (study_id));"
    "CREATE TABLE trial_user_attributes (trial_user_attribute_id INTEGER NOT NULL,"
    " trial_id INTEGER, \"key\" VARCHAR(512), value_json TEXT,"
    " PRIMARY KEY (trial_user_attribute_id), UNIQUE (trial_id, \"key\"),"
    " FOREIGN KEY(trial_id) REFERENCES trials (trial_id));"
    "CREATE TABLE trial_system_attributes (trial_system_attribute_id INTEGER NOT NULL,"
    " trial_id INTEGER, \"key\" VARCHAR(512), value_json TEXT,"
    " PRIMARY KEY (trial_system_attribute_id), UNIQUE (trial_id, \"key\"),"
    " FOREIGN KEY(trial_id) REFERENCES trials (trial_id));"
    "CREATE TABLE trial_params (param_id INTEGER NOT NULL, trial_id INTEGER,"
    " param_name VARCHAR(512), param_value FLOAT, distribution_json TEXT,"
    " PRIMARY KEY (param_id), UNIQUE (trial_id, param_name),"
    " FOREIGN KEY(trial_id) REFERENCES trials (trial_id));"
    "CREATE TABLE trial_values (trial_value_id INTEGER NOT NULL, trial_id INTEGER NOT NULL,"
    " objective INTEGER NOT NULL, value FLOAT, value_type VARCHAR(7) NOT NULL,"
    " PRIMARY KEY (trial_value_id), UNIQUE (trial_id, objective),"
    " FOREIGN KEY(trial_id) REFERENCES trials (trial_id));"
    "CREATE TABLE trial_intermediate_values (trial_intermediate_value_id INTEGER NOT NULL,"
    " trial_id INTEGER NOT NULL, step INTEGER NOT NULL, intermediate_value FLOAT,"
    " intermediate_value_type VARCHAR(7) NOT NULL, PRIMARY KEY (trial_intermediate_value_id),"
    " UNIQUE (trial_id, step), FOREIGN KEY(trial_id) REFERENCES trials (trial_id));"
    "CREATE TABLE trial_heartbeats (trial_heartbeat_id INTEGER NOT NULL,"
    " trial_id INTEGER NOT NULL, heartbeat DATETIME NOT NULL, PRIMARY KEY (trial_heartbeat_id),"
    " UNIQUE (trial_id), FOREIGN KEY(trial_id) REFERENCES trials (trial_id));"
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,"
    " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));"
    "INSERT INTO version_info VALUES (1, 12, '3.1.0');"
    "INSERT INTO alembic_version VALUES ('v3.0.0.d');";

enum { OQ_STUDY, OQ_DIR, OQ_SATTR, OQ_TRIAL, OQ_PARAM, OQ_VALUE, OQ_INTER, OQ_TATTR, OQ_N };
static const char *const optuna_sql[OQ_N] = {
    "INSERT INTO studies(study_id, study_name) VALUES(1, ?1)",
    "INSERT INTO study_directions(direction, study_id, objective) VALUES(?1, 1, ?2)",
    "INSERT INTO study_user_attributes(study_id, \"key\", value_json) VALUES(1, ?1, ?2)",
    "INSERT INTO trials(trial_id, number, study_id, state, datetime_start, datetime_complete)"
    " VALUES(?1, ?2, 1, ?3, ?4, ?5)",
    "INSERT INTO trial_params(trial_id, param_name, param_value, distribution_json)"
    " VALUES(?1, ?2, ?3, ?4)",
    "INSERT INTO trial_values(trial_id, objective, value, value_type) VALUES(?1, ?2, ?3, ?4)",
    "INSERT INTO trial_intermediate_values(trial_id, step, intermediate_value,"
    " intermediate_value_type) VALUES(?1, ?2, ?3, ?4)",
    "INSERT INTO trial_user_attributes(trial_id, \"key\", value_json) VALUES(?1, ?2, ?3)",
};

/* Optuna's distribution JSON for one search.space entry; NULL when it has none.
 * Caller frees with cJSON_Delete. */
static cJSON *optuna_distribution(const cJSON *dim)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(dim, "type");
    if (!cJSON_IsString(type))
        return NULL;
    const cJSON *low = cJSON_GetObjectItemCaseSensitive(dim, "low");
    const cJSON *high = cJSON_GetObjectItemCaseSensitive(dim, "high");
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(dim, "step");
    int log = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dim, "log"));
    cJSON *d = cJSON_CreateObject(), *a;
    if (strcmp(type->valuestring, "int") == 0 && cJSON_IsNumber(low) && cJSON_IsNumber(high)) {
        cJSON_AddStringToObject(d, "name", "IntDistribution");
        a = cJSON_AddObjectToObject(d, "attributes");
        cJSON_AddBoolToObject(a, "log", log);
        cJSON_AddNumberToObject(a, "step", cJSON_IsNumber(step) ? step->valuedouble : 1);
        cJSON_AddNumberToObject(a, "low", low->valuedouble);
        cJSON_AddNumberToObject(a, "high", high->valuedouble);
    } else if (strcmp(type->valuestring, "float") == 0 && cJSON_IsNumber(low) &&
               cJSON_IsNumber(high)) {
        cJSON_AddStringToObject(d, "name", "FloatDistribution");
        a = cJSON_AddObjectToObject(d, "attributes");
        if (cJSON_IsNumber(step))
            cJSON_AddNumberToObject(a, "step", step->valuedouble);
        else
            cJSON_AddNullToObject(a, "step");
        cJSON_AddNumberToObject(a, "low", low->valuedouble);
        cJSON_AddNumberToObject(a, "high", high->valuedouble);
        cJSON_AddBoolToObject(a, "log", log);
    } else if (strcmp(type->valuestring, "categorical") == 0 &&
               cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(dim, "choices"))) {
        cJSON_AddStringToObject(d, "name", "CategoricalDistribution");
        a = cJSON_AddObjectToObject(d, "attributes");
        cJSON_AddItemToObject(a, "choices",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(dim, "choices"), 1));
    } else {
        cJSON_Delete(d);
        return NULL;
    }
    return d;
}

/* Optuna's internal value of a param under `dim`; 0 with *out, -1 if it does not fit. */
static int optuna_internal(const cJSON *dim, const trk_param *p, double *out)
{
    const char *type = cJSON_GetObjectItemCaseSensitive(dim, "type")->valuestring;
    if (strcmp(type, "categorical") != 0) {
        if (isnan(p->num))
            return -1;
        *out = p->num;
        return 0;
    }
    int i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(dim, "choices")) {
        if ((cJSON_IsNumber(c) && !isnan(p->num) && c->valuedouble == p->num) ||
            (cJSON_IsString(c) && strcmp(c->valuestring, p->value) == 0) ||
            (cJSON_IsTrue(c) && strcmp(p->value, "true") == 0) ||
            (cJSON_IsFalse(c) && strcmp(p->value, "false") == 0) ||
            (cJSON_IsNull(c) && strcmp(p->value, "null") == 0)) {
            *out = i;
            return 0;
        }
        i++;
    }
    return -1;
}

static const char *value_type(double v, int intermediate)
{
    if (isnan(v))
        return intermediate ? "NAN" : NULL;
    if (isinf(v))
        return v > 0 ? "INF_POS" : "INF_NEG";
    return "FINITE";
}

/* Steps one insert; 0 or -1 with err. */
static int oq_step(sqlite3 *db, sqlite3_stmt *st, char err[256])
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, 256, "optuna export: %s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static void bind_json_text(sqlite3_stmt *st, int i, cJSON *j)
{
    char *t = cJSON_PrintUnformatted(j);
    sqlite3_bind_text(st, i, t ? t : "null", -1, SQLITE_TRANSIENT);
    free(t);
    cJSON_Delete(j);
}

/* Trial tid's params: those of the search space as Optuna params with their
 * distribution (internal representation), the others as user attributes. */
static int oq_params(sqlite3 *db, sqlite3_stmt **st, const cJSON *space, const trk_run *r,
                     int64_t tid, char err[256])
{
    for (int k = 0; k < r->n_params; k++) {
        const trk_param *p = &r->params[k];
        const cJSON *dim = space ? cJSON_GetObjectItemCaseSensitive(space, p->key) : NULL;
        cJSON *dist = dim ? optuna_distribution(dim) : NULL;
        double internal;
        if (dist && optuna_internal(dim, p, &internal) == 0) {
            sqlite3_bind_int64(st[OQ_PARAM], 1, tid);
            sqlite3_bind_text(st[OQ_PARAM], 2, p->key, -1, SQLITE_STATIC);
            sqlite3_bind_double(st[OQ_PARAM], 3, internal);
            bind_json_text(st[OQ_PARAM], 4, dist);
            if (oq_step(db, st[OQ_PARAM], err))
                return TRK_ERR;
        } else {
            /* Not in the search space: kept as a user attribute. */
            cJSON_Delete(dist);
            sqlite3_bind_int64(st[OQ_TATTR], 1, tid);
            sqlite3_bind_text(st[OQ_TATTR], 2, p->key, -1, SQLITE_STATIC);
            bind_json_text(st[OQ_TATTR], 3, param_json(p));
            if (oq_step(db, st[OQ_TATTR], err))
                return TRK_ERR;
        }
    }
    return 0;
}

/* Trial tid's user attributes: the run's id, worker, seed and error, and every
 * metric's last value as "metrics.KEY". */
static int oq_attrs(trk_store *s, sqlite3 *db, sqlite3_stmt **st, const trk_run *r, int64_t tid,
                    char err[256])
{
    struct { const char *key; cJSON *v; } attrs[] = {
        {"seqtune_run_id", trk_json_int64(r->id)},
        {"worker", cJSON_CreateNumber(r->worker)},
        {"seed", trk_json_int64(r->seed)},
        {"error", r->error ? cJSON_CreateString(r->error) : NULL},
    };
    for (size_t a = 0; a < sizeof attrs / sizeof attrs[0]; a++) {
        if (!attrs[a].v)
            continue;
        sqlite3_bind_int64(st[OQ_TATTR], 1, tid);
        sqlite3_bind_text(st[OQ_TATTR], 2, attrs[a].key, -1, SQLITE_STATIC);
        bind_json_text(st[OQ_TATTR], 3, attrs[a].v);
        attrs[a].v = NULL;
        if (oq_step(db, st[OQ_TATTR], err)) {
            for (size_t b = a + 1; b < sizeof attrs / sizeof attrs[0]; b++)
                cJSON_Delete(attrs[b].v);
            return TRK_ERR;
        }
    }
    trk_metric_summary *ms = NULL;
    int nms = 0, rc = 0;
    if (trk_metric_summaries(s, r->id, &ms, &nms, err))
        return TRK_ERR;
    for (int k = 0; k < nms && !rc; k++) {
        char key[600];
        snprintf(key, sizeof key, "metrics.%s", ms[k].key);
        sqlite3_bind_int64(st[OQ_TATTR], 1, tid);
        sqlite3_bind_text(st[OQ_TATTR], 2, key, -1, SQLITE_TRANSIENT);
        bind_json_text(st[OQ_TATTR], 3, trk_json_number(ms[k].last));
        rc = oq_step(db, st[OQ_TATTR], err) ? TRK_ERR : 0;
    }
    trk_metric_summaries_free(ms, nms);
    return rc;
}

/* Trial tid's values: objective 0 is the run's value; a multi-objective
 * study's (n_obj > 1) COMPLETE run has one per objective (tracker/objectives.h). */
static int oq_values(trk_store *s, sqlite3 *db, sqlite3_stmt **st, const trk_run *r,
                     int64_t tid, int n_obj, char err[256])
{
    trk_run_values rv = {.n = 1, .v = {r->value}};
    if (n_obj > 1 && r->state == TRK_COMPLETE && trk_run_values_get(s, r->id, &rv, err))
        return TRK_ERR;
    for (int k = 0; k < rv.n; k++) {
        sqlite3_bind_int64(st[OQ_VALUE], 1, tid);
        sqlite3_bind_int(st[OQ_VALUE], 2, k);
        if (isfinite(rv.v[k]))
            sqlite3_bind_double(st[OQ_VALUE], 3, rv.v[k]);
        sqlite3_bind_text(st[OQ_VALUE], 4, value_type(rv.v[k], 0), -1, SQLITE_STATIC);
        if (oq_step(db, st[OQ_VALUE], err))
            return TRK_ERR;
    }
    return 0;
}

/* One run as Optuna trial tid: the trial row, params, attributes, its value(s)
 * and its intermediate values (iv from *j on, in trial order). */
static int oq_trial(trk_store *s, sqlite3 *db, sqlite3_stmt **st, const cJSON *space,
                    const trk_run *r, int64_t tid, int n_obj, const trk_intermediate *iv,
                    int niv, int *j, char err[256])
{
    char t0[64], t1[64];
    const char *state = trk_state_name(r->state);
    int has_value = r->state == TRK_COMPLETE || r->state == TRK_PRUNED;
    if (r->state == TRK_COMPLETE && isnan(r->value))
        state = "FAIL", has_value = 0;
    if (isnan(r->value))
        has_value = 0;
    fmt_time(r->started, ' ', t0);
    fmt_time(r->finished, ' ', t1);
    sqlite3_bind_int64(st[OQ_TRIAL], 1, tid);
    sqlite3_bind_int(st[OQ_TRIAL], 2, r->trial_number);
    sqlite3_bind_text(st[OQ_TRIAL], 3, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(st[OQ_TRIAL], 4, t0, -1, SQLITE_TRANSIENT);
    if (t1[0] && r->state != TRK_RUNNING)
        sqlite3_bind_text(st[OQ_TRIAL], 5, t1, -1, SQLITE_TRANSIENT);
    if (oq_step(db, st[OQ_TRIAL], err) || oq_params(db, st, space, r, tid, err) ||
        oq_attrs(s, db, st, r, tid, err))
        return TRK_ERR;
    if (has_value && oq_values(s, db, st, r, tid, n_obj, err))
        return TRK_ERR;
    while (*j < niv && iv[*j].trial_number < r->trial_number)
        (*j)++;
    for (; *j < niv && iv[*j].run_id == r->id; (*j)++) {
        sqlite3_bind_int64(st[OQ_INTER], 1, tid);
        sqlite3_bind_int64(st[OQ_INTER], 2, iv[*j].step);
        if (isfinite(iv[*j].value))
            sqlite3_bind_double(st[OQ_INTER], 3, iv[*j].value);
        sqlite3_bind_text(st[OQ_INTER], 4, value_type(iv[*j].value, 1), -1, SQLITE_STATIC);
        if (oq_step(db, st[OQ_INTER], err))
            return TRK_ERR;
    }
    return 0;
}

/* The study's directions, one per objective (the study's direction when it has
 * none recorded); *n_obj gets their number. */
static int oq_directions(trk_store *s, sqlite3 *db, sqlite3_stmt **st, const trk_study_info *si,
                         int *n_obj, char err[256])
{
    trk_objective *ob = NULL;
    int n = 0;
    if (trk_study_objectives(s, si->id, &ob, &n, err))
        return TRK_ERR;
    *n_obj = n > 0 ? n : 1;
    int rc = 0;
    for (int k = 0; k < *n_obj && rc == 0; k++) {
        int max = n > 0 ? ob[k].maximize : strcmp(si->direction, "maximize") == 0;
        sqlite3_bind_text(st[OQ_DIR], 1, max ? "MAXIMIZE" : "MINIMIZE", -1, SQLITE_STATIC);
        sqlite3_bind_int(st[OQ_DIR], 2, k);
        rc = oq_step(db, st[OQ_DIR], err) ? TRK_ERR : 0;
    }
    trk_objectives_free(ob, n);
    return rc;
}

static int export_optuna(trk_store *s, const char *name, const char *path, char err[256])
{
    trk_study_info si;
    trk_run_list runs = {0};
    char *spec = NULL, tmp[TRK_TEMP_NAME_MAX];
    trk_intermediate *iv = NULL;
    int niv = 0, rc, n_obj = 1;
    sqlite3 *db = NULL;
    sqlite3_stmt *st[OQ_N] = {0};
    cJSON *spec_j = NULL;
    if ((rc = all_runs(s, name, &si, &runs, err)) != 0)
        return rc;
    rc = TRK_ERR;
    if (trk_study_spec(s, si.id, &spec, err) || trk_study_intermediates(s, si.id, &iv, &niv, err))
        goto fail;
    spec_j = cJSON_Parse(spec);
    const cJSON *space = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(spec_j, "search"), "space");
    trk_file_temp_name(path, tmp);
    unlink(tmp);
    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, optuna_schema, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, 256, "%.200s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
        goto fail;
    }
    for (int i = 0; i < OQ_N; i++)
        if (sqlite3_prepare_v2(db, optuna_sql[i], -1, &st[i], NULL) != SQLITE_OK) {
            snprintf(err, 256, "optuna export: %s", sqlite3_errmsg(db));
            goto fail;
        }
    sqlite3_bind_text(st[OQ_STUDY], 1, si.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st[OQ_SATTR], 1, "seqtune_spec", -1, SQLITE_STATIC);
    sqlite3_bind_text(st[OQ_SATTR], 2, spec_j ? spec : "null", -1, SQLITE_STATIC);
    if (oq_step(db, st[OQ_STUDY], err) || oq_directions(s, db, st, &si, &n_obj, err) ||
        oq_step(db, st[OQ_SATTR], err))
        goto fail;
    for (int i = 0, j = 0; i < runs.n; i++)
        if (oq_trial(s, db, st, space, &runs.runs[i], i + 1, n_obj, iv, niv, &j, err))
            goto fail;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, 256, "%.200s: %s", path, sqlite3_errmsg(db));
        goto fail;
    }
    for (int i = 0; i < OQ_N; i++)
        sqlite3_finalize(st[i]);
    memset(st, 0, sizeof st);
    sqlite3_close(db);
    db = NULL;
    rc = trk_file_commit(tmp, path, err);
    goto done;
fail:
    rc = TRK_ERR;
    for (int i = 0; i < OQ_N; i++)
        sqlite3_finalize(st[i]);
    if (db) {
        sqlite3_close(db);
        unlink(tmp);
    }
done:
    cJSON_Delete(spec_j);
    free(spec);
    free(iv);
    trk_run_list_free(&runs);
    trk_study_info_clear(&si);
    return rc;
}

/* The export proper, inside the read snapshot taken by trk_export_study. */
static int export_study(trk_store *s, const char *name, trk_export_format fmt,
                        const char *out_path, char err[256])
{
    if (!out_path || !*out_path) {
        snprintf(err, 256, "export: the output path is empty");
        return TRK_EINVAL;
    }
    if (fmt == TRK_EXPORT_CSV)
        return export_csv(s, name, out_path, err);
    if (fmt == TRK_EXPORT_OPTUNA)
        return export_optuna(s, name, out_path, err);
    if (fmt != TRK_EXPORT_JSON) {
        snprintf(err, 256, "export: unknown format %d", (int)fmt);
        return TRK_EINVAL;
    }
    cJSON *doc = trk_study_export_json(s, name, err);
    if (!doc) {
        int64_t id;
        char e2[256];
        return trk_study_find(s, name, &id, e2) == TRK_ENOTFOUND ? TRK_ENOTFOUND : TRK_ERR;
    }
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (!text) {
        snprintf(err, 256, "export: out of memory");
        return TRK_ERR;
    }
    size_t n = strlen(text);
    char *withnl = realloc(text, n + 2);
    if (withnl) {
        text = withnl;
        text[n] = '\n';
        text[n + 1] = '\0';
    }
    int rc = trk_file_write_durable(out_path, text, strlen(text), err);
    free(text);
    return rc;
}

int trk_export_study(trk_store *s, const char *name, trk_export_format fmt,
                     const char *out_path, char err[256])
{
    int began = trk_read_begin(s); /* one snapshot even while a study is running */
    int rc = export_study(s, name, fmt, out_path, err);
    trk_read_end(s, began);
    return rc;
}
