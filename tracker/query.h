/*
 * query.h - the READ side of the experiment store: study listings, run listings
 * with MLflow's filter language, metric histories and summaries, tags, artifacts,
 * study results, and the per-run intermediate values the optimizer replays on
 * resume. Used by the `studies`/`trials`/`compare`/`export` commands, reports/
 * and the study runner. Any number of readers may run beside the one writer.
 *
 * Filter language (MLflow's search grammar, plus or, not, parentheses, in, is null):
 *
 *     (params.units in (64, 128) or params.act ilike 'RE%') and not state = 'FAIL'
 *
 *   expr     := term (OR term)*            (AND binds tighter than OR)
 *   term     := factor (AND factor)*
 *   factor   := NOT factor | '(' expr ')' | clause      (nesting at most 64 deep)
 *   clause   := KEY OP LITERAL | KEY [NOT] IN '(' LITERAL (',' LITERAL)* ')'
 *             | KEY [NOT] LIKE 'pattern' | KEY [NOT] ILIKE 'pattern' | KEY IS [NOT] NULL
 *   KEY      := params.NAME | metrics.NAME | tags.NAME | attributes.NAME | NAME
 *               (NAME: letters, digits, _ . - / : or `any text` in backticks)
 *   OP       := = | != | <> | < | <= | > | >=
 *   LITERAL  := number | 'text' | "text"   ('' inside quotes is one quote); an IN
 *               list holds only numbers or only strings
 *   attributes: run_id, trial_number, state (alias status), value, worker, seed,
 *               started, finished, duration (finished - started), error
 *
 * Keywords are case-insensitive. LIKE is case-sensitive (% any run, _ one char);
 * ILIKE ignores ASCII case. A params clause with a number compares the param's
 * numeric value, with text its text; a metrics clause compares the metric's last
 * value (highest step, then the latest logged). A clause never matches a run that
 * lacks the key or whose value is NaN, NOT IN and NOT LIKE included; `not (...)`
 * inverts a whole clause, so it does match those runs; IS NULL matches exactly them
 * (an inactive param, a missing tag, a metric never logged or last logged NaN).
 * A params/metrics/tags key that no run of the study has is TRK_EINVAL naming the
 * study's keys of that kind (checked once one run has finished). Every key and
 * literal is bound as an SQL parameter: no SQL is built from user text
 * (tracker/filter.c).
 *
 * Ordering: by any KEY as above, ascending or descending; missing keys and NaN
 * sort last in both directions; ties by trial_number, then run id.
 *
 * Memory: every *_free function frees what the matching call returned.
 */
#ifndef TRK_QUERY_H
#define TRK_QUERY_H

#include "tracker/store.h"

/* A study with its run counts per state and the best COMPLETE value. */
typedef struct trk_study_info {
    int64_t id;
    char *name;
    char *direction;       /* "minimize" | "maximize" */
    char *status;          /* "RUNNING" | "COMPLETE" | "INTERRUPTED" */
    double created;        /* Unix seconds */
    int n_runs, n_running, n_complete, n_pruned, n_fail;
    double best_value;     /* NaN when no COMPLETE run has a value */
    int64_t best_run_id;   /* 0 when none */
    int best_trial_number; /* -1 when none */
} trk_study_info;

/* All studies by id. Caller frees with trk_studies_free. */
int trk_studies_list(trk_store *s, trk_study_info **out, int *n, char err[256]);
/* One study by name (TRK_ENOTFOUND: unknown). Caller frees with trk_study_info_clear. */
int trk_study_get(trk_store *s, const char *name, trk_study_info *out, char err[256]);
void trk_study_info_clear(trk_study_info *st);
void trk_studies_free(trk_study_info *list, int n);

/* The stored spec JSON text of a study; caller free()s *spec_json. */
int trk_study_spec(trk_store *s, int64_t study_id, char **spec_json, char err[256]);

/* The final result; caller free()s *result_json (NULL when none was stored). */
int trk_study_result(trk_store *s, int64_t study_id, char **result_json,
                     int64_t *best_run_id, int64_t *model_artifact_id, char err[256]);

typedef struct trk_param {
    char *key;
    char *value;   /* text form */
    double num;    /* numeric value, NaN when not numeric */
} trk_param;

typedef struct trk_run {
    int64_t id;
    int64_t study_id;
    int trial_number;
    trk_state state;
    double value;        /* NaN when none */
    double started;      /* Unix seconds */
    double finished;     /* NaN while RUNNING */
    int worker;
    int64_t seed;
    char *error;         /* NULL unless FAIL with a reason */
    int n_params;
    trk_param *params;   /* sorted by key */
} trk_run;

typedef struct trk_run_list {
    trk_run *runs;
    int n;
} trk_run_list;

/* What trk_runs_query returns; every field may be NULL/0. */
typedef struct trk_query {
    const char *filter;    /* filter expression, NULL or "" for all runs */
    const char *order_by;  /* KEY, optionally followed by "asc" or "desc" */
    int desc;              /* descending (also set by a trailing "desc") */
    long limit;            /* 0: no limit */
} trk_query;

/*
 * Runs of a study matching `q`, ordered (default: trial_number). A malformed filter
 * or order key is TRK_EINVAL with `err` = "filter: position P: unexpected 'TOKEN'
 * (expected ...)", an unknown key "filter: position P: unknown key 'params.x'
 * (known: ...)". Caller frees with trk_run_list_free.
 */
int trk_runs_query(trk_store *s, int64_t study_id, const trk_query *q, trk_run_list *out,
                   char err[256]);
void trk_run_list_free(trk_run_list *l);

/* One run by id (TRK_ENOTFOUND: unknown). Caller frees with trk_run_clear. */
int trk_run_get(trk_store *s, int64_t run_id, trk_run *out, char err[256]);
void trk_run_clear(trk_run *r);

/* Checks a filter's syntax without a store (the errors of trk_runs_query except
 * the unknown-key check, which needs the study's runs). */
int trk_filter_check(const char *filter, char err[256]);

typedef struct trk_metric_point {
    int64_t step;
    double value;       /* NaN stays NaN */
    double timestamp;
} trk_metric_point;

/* The full history of one metric of a run, by step then logging order.
 * Caller free()s *out (NULL when empty). */
int trk_metric_history(trk_store *s, int64_t run_id, const char *key,
                       trk_metric_point **out, int *n, char err[256]);

typedef struct trk_metric_summary {
    char *key;
    double min, max;   /* over non-NaN values; NaN when all were NaN */
    double last;       /* value at the highest step (latest logged on ties) */
    int64_t last_step;
    int64_t count;
} trk_metric_summary;

/* min/max/last of every metric of a run, sorted by key.
 * Caller frees with trk_metric_summaries_free. */
int trk_metric_summaries(trk_store *s, int64_t run_id, trk_metric_summary **out, int *n,
                         char err[256]);
void trk_metric_summaries_free(trk_metric_summary *m, int n);

/* A key/value pair (tags). */
typedef struct trk_kv {
    char *key;
    char *value;
} trk_kv;

/* Tags of a run / of a study, sorted by key. Caller frees with trk_kv_free. */
int trk_run_tags(trk_store *s, int64_t run_id, trk_kv **out, int *n, char err[256]);
int trk_study_tags(trk_store *s, int64_t study_id, trk_kv **out, int *n, char err[256]);
void trk_kv_free(trk_kv *kv, int n);

typedef struct trk_artifact {
    int64_t id;
    int64_t run_id;      /* 0: study-level */
    char *kind;
    char *path;          /* relative to trk_store_artifact_root() */
    int64_t bytes;
    char sha256[65];
} trk_artifact;

/* Artifacts of a run (run_id > 0) or the study-level ones of study_id (run_id 0).
 * Caller frees with trk_artifacts_free. */
int trk_artifacts_list(trk_store *s, int64_t study_id, int64_t run_id, trk_artifact **out,
                       int *n, char err[256]);
void trk_artifacts_free(trk_artifact *a, int n);

/* One intermediate value of a trial (for optimizer replay). */
typedef struct trk_intermediate {
    int64_t run_id;
    int trial_number;
    int64_t step;
    double value;       /* NaN stays NaN */
} trk_intermediate;

/* Every TRK_INTERMEDIATE_KEY row of a study, by trial_number then step (last logged
 * value per step). Caller free()s *out. */
int trk_study_intermediates(trk_store *s, int64_t study_id, trk_intermediate **out,
                            int *n, char err[256]);

#endif
