/*
 * test_export_optuna.c - the Optuna export checked by real Optuna 3.1: a study with
 * int (log, step), float (log, step), numeric and text categorical params, runs in
 * every state, a -inf value (Optuna 3.1 stores infinities as NULL and its best-trial
 * query sorts NULL first, so +inf would wrongly win a minimisation there too), NaN values and intermediate values, and a param outside
 * the search space, is exported with trk_export_study(..., TRK_EXPORT_OPTUNA, ...);
 * tests/tracker/check_optuna.py loads it with optuna.load_study and compares trial
 * count, numbers, states, params, distributions, values, intermediate values, user
 * attributes and the best trial with the expectations written here. Skips (77)
 * when /usr/bin/python3 cannot import optuna. Also checks that the CSV and JSON
 * exports agree on the same study.
 */
#include "tests/check.h"
#include "tests/tracker/trk_testutil.h"
#include "tracker/export.h"
#include "tracker/query.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <sys/wait.h>

static const char *SPEC =
    "{\"name\":\"opt\",\"search\":{\"direction\":\"minimize\",\"space\":{"
    "\"units\":{\"type\":\"int\",\"low\":16,\"high\":256,\"log\":true},"
    "\"seq_len\":{\"type\":\"int\",\"low\":20,\"high\":120,\"step\":4},"
    "\"dropout\":{\"type\":\"float\",\"low\":0.0,\"high\":0.5},"
    "\"lr\":{\"type\":\"float\",\"low\":1e-4,\"high\":1e-2,\"log\":true},"
    "\"quant\":{\"type\":\"float\",\"low\":0.0,\"high\":1.0,\"step\":0.25},"
    "\"batch_size\":{\"type\":\"categorical\",\"choices\":[32,64,128]},"
    "\"act\":{\"type\":\"categorical\",\"choices\":[\"relu\",\"tanh\"]}}}}";

typedef struct { trk_state st; double value; const char *optuna_state; const char *error; } trial_def;

int main(void)
{
    char path[600], out[600], expected[600], err[256];
    tu_scratch();
    tu_path(path, sizeof path, "store.db");
    tu_path(out, sizeof out, "optuna.db");
    tu_path(expected, sizeof expected, "expected.json");
    trk_store *s = trk_store_open(path, TRK_CREATE, err);
    TU_OK(s ? 0 : -1);
    int64_t sid, rid;
    TU_OK(trk_study_open(s, "opt-study", SPEC, "minimize", 0, &sid, NULL, err));
    const trial_def defs[] = {
        {TRK_COMPLETE, 0.61, "COMPLETE", NULL},
        {TRK_COMPLETE, -INFINITY, "COMPLETE", NULL},
        {TRK_PRUNED, 0.8, "PRUNED", NULL},
        {TRK_FAIL, NAN, "FAIL", "diverged"},
        {TRK_COMPLETE, NAN, "FAIL", NULL},   /* no value: Optuna cannot hold it COMPLETE */
        {TRK_RUNNING, NAN, "RUNNING", NULL},
        {TRK_COMPLETE, 0.5, "COMPLETE", NULL},
    };
    const int n = (int)(sizeof defs / sizeof defs[0]);
    cJSON *want = cJSON_CreateObject();
    cJSON_AddStringToObject(want, "direction", "MINIMIZE");
    cJSON_AddNumberToObject(want, "best_number", 1); /* -inf is the minimum */
    cJSON *wt = cJSON_AddArrayToObject(want, "trials");
    for (int t = 0; t < n; t++) {
        char units[32], seq[32], drop[32], lr[32], quant[32], batch[32];
        int u = 16 << (t % 5), sq = 20 + 4 * t, b = 32 << (t % 3);
        double d = 0.05 * t + 0.01, l = 1e-4 * (t + 1), q = 0.25 * (t % 5);
        snprintf(units, sizeof units, "%d", u);
        snprintf(seq, sizeof seq, "%d", sq);
        snprintf(drop, sizeof drop, "%.17g", d);
        snprintf(lr, sizeof lr, "%.17g", l);
        snprintf(quant, sizeof quant, "%.17g", q);
        snprintf(batch, sizeof batch, "%d", b);
        const char *act = t % 2 ? "tanh" : "relu";
        /* seeds above 2^53 (a double cannot hold them): the export must keep them exact */
        const int64_t seed = (int64_t)0x7FFFFFFFFFFFF001LL - 2 * t;
        TU_OK(trk_run_start(s, sid, t, 1 + t % 2, seed, &rid, err));
        trk_param_in p[8] = {{"units", units, u}, {"seq_len", seq, sq}, {"dropout", drop, d},
                             {"lr", lr, l}, {"quant", quant, q}, {"batch_size", batch, b},
                             {"act", act, NAN}, {"note", "hello", NAN}};
        int np = t == 6 ? 8 : 7;
        TU_OK(trk_run_log_params(s, rid, p, np, err));
        cJSON *w = cJSON_CreateObject(), *wp = cJSON_AddObjectToObject(w, "params");
        cJSON *wd = cJSON_AddObjectToObject(w, "dists"), *wi = cJSON_AddArrayToObject(w, "intermediate");
        cJSON_AddNumberToObject(w, "number", t);
        cJSON_AddStringToObject(w, "state", defs[t].optuna_state);
        cJSON_AddNumberToObject(wp, "units", u);
        cJSON_AddNumberToObject(wp, "seq_len", sq);
        cJSON_AddNumberToObject(wp, "dropout", d);
        cJSON_AddNumberToObject(wp, "lr", l);
        cJSON_AddNumberToObject(wp, "quant", q);
        cJSON_AddNumberToObject(wp, "batch_size", b);
        cJSON_AddStringToObject(wp, "act", act);
        const char *dn[] = {"units", "IntDistribution", "seq_len", "IntDistribution", "dropout",
                            "FloatDistribution", "lr", "FloatDistribution", "quant",
                            "FloatDistribution", "batch_size", "CategoricalDistribution", "act",
                            "CategoricalDistribution"};
        for (int k = 0; k < 14; k += 2)
            cJSON_AddStringToObject(wd, dn[k], dn[k + 1]);
        cJSON *ua = cJSON_AddObjectToObject(w, "user_attrs");
        cJSON_AddNumberToObject(ua, "seqtune_run_id", (double)rid);
        char seed_text[32];
        snprintf(seed_text, sizeof seed_text, "%lld", (long long)seed);
        cJSON_AddItemToObject(ua, "seed", cJSON_CreateRaw(seed_text));
        if (t == 6)
            cJSON_AddStringToObject(ua, "note", "hello");
        if (defs[t].error)
            cJSON_AddStringToObject(ua, "error", defs[t].error);
        /* intermediate values: folds 0..2, with NaN and -inf in the RUNNING trial */
        int folds = defs[t].st == TRK_PRUNED ? 1 : 3;
        for (int f = 0; f < folds; f++) {
            double v = 0.9 - 0.05 * f - 0.01 * t;
            if (t == 5 && f == 1)
                v = NAN;
            if (t == 5 && f == 2)
                v = -INFINITY;
            trk_metric_in m[] = {{TRK_INTERMEDIATE_KEY, f, v, 0}, {"val_loss", f, v + 1, 0}};
            TU_OK(trk_run_log_metrics(s, rid, m, 2, err));
            cJSON *pair = cJSON_CreateArray();
            cJSON_AddItemToArray(pair, cJSON_CreateNumber(f));
            cJSON_AddItemToArray(pair, isnan(v) ? cJSON_CreateString("nan")
                                       : isinf(v) ? cJSON_CreateString(v > 0 ? "inf" : "-inf")
                                                  : cJSON_CreateNumber(v));
            cJSON_AddItemToArray(wi, pair);
            if (f == folds - 1) { /* every metric's last value is a user attribute */
                char a[40], b[40];
                snprintf(a, sizeof a, "%.17g", v);
                snprintf(b, sizeof b, "%.17g", v + 1);
                cJSON_AddItemToObject(ua, "metrics.objective",
                                      isfinite(v) ? cJSON_CreateRaw(a) : cJSON_CreateNull());
                cJSON_AddItemToObject(ua, "metrics.val_loss",
                                      isfinite(v) ? cJSON_CreateRaw(b) : cJSON_CreateNull());
            }
        }
        double ev = defs[t].value;
        int has = (defs[t].st == TRK_COMPLETE || defs[t].st == TRK_PRUNED) && !isnan(ev);
        cJSON_AddItemToObject(w, "value", !has ? cJSON_CreateNull()
                                          : isinf(ev) ? cJSON_CreateString(ev > 0 ? "inf" : "-inf") : cJSON_CreateNumber(ev));
        cJSON_AddItemToArray(wt, w);
        if (defs[t].st != TRK_RUNNING)
            TU_OK(trk_run_finish(s, rid, defs[t].st, defs[t].value, defs[t].error, err));
    }
    char *text = cJSON_Print(want);
    FILE *f = fopen(expected, "w");
    fputs(text, f);
    fclose(f);
    free(text);
    cJSON_Delete(want);

    TU_OK(trk_export_study(s, "opt-study", TRK_EXPORT_OPTUNA, out, err));
    CHECK_INT(trk_export_study(s, "missing", TRK_EXPORT_OPTUNA, out, err), TRK_ENOTFOUND);

    /* CSV and JSON agree with the store on the same study */
    char csv[600], json[600];
    tu_path(csv, sizeof csv, "s.csv");
    tu_path(json, sizeof json, "s.json");
    TU_OK(trk_export_study(s, "opt-study", TRK_EXPORT_CSV, csv, err));
    TU_OK(trk_export_study(s, "opt-study", TRK_EXPORT_JSON, json, err));
    f = fopen(csv, "r");
    int lines = 0, c;
    while (f && (c = fgetc(f)) != EOF)
        lines += c == '\n';
    if (f)
        fclose(f);
    CHECK_INT(lines, n + 1);
    f = fopen(json, "r");
    static char buf[1 << 20];
    size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[len] = '\0';
    cJSON *doc = cJSON_Parse(buf);
    CHECK(doc != NULL);
    cJSON *trials = cJSON_GetObjectItem(doc, "trials");
    CHECK_INT(cJSON_GetArraySize(trials), n);
    cJSON *t5 = cJSON_GetArrayItem(trials, 5);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(t5, "intermediate_values")), 3);
    CHECK(cJSON_IsNull(cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(t5, "intermediate_values"), 1), 1)));
    /* best is trial 1 (run 2) at -inf, which JSON writes as null */
    cJSON *best = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "study"), "best");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(best, "value")));
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(best, "run_id")) &&
          cJSON_GetObjectItem(best, "run_id")->valuedouble == 2);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(best, "trial_number")) &&
          cJSON_GetObjectItem(best, "trial_number")->valuedouble == 1);
    cJSON_Delete(doc);
    trk_store_close(s);

    if (system("/usr/bin/python3 -c 'import optuna' >/dev/null 2>&1") != 0)
        return check_skip("/usr/bin/python3 cannot import optuna (install python3-optuna)");
    const char *src = getenv("SEQTUNE_SRC");
    char script[1200];
    snprintf(script, sizeof script, "%s/tests/tracker/check_optuna.py", src ? src : ".");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/usr/bin/python3", "python3", script, out, "opt-study", expected, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "check_optuna.py: status %d", status);
    return check_done();
}
