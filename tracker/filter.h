/*
 * filter.h - private to tracker/: the compiler of the filter language and order
 * keys (grammar in tracker/query.h) into one parameterised SELECT over a study's
 * runs. query.c runs what it builds; the dashboard and the commands reach it
 * through trk_runs_query and trk_filter_check.
 *
 * The SQL text is assembled from fixed fragments only; every key and literal of
 * the user's text becomes a numbered parameter (trk_sql.b), bound by
 * trk_sql_prepare. So user text reaches SQLite only as a bound value.
 */
#ifndef TRK_FILTER_H
#define TRK_FILTER_H

#include "tracker/store_int.h"

typedef struct trk_filter trk_filter; /* a parsed filter */
typedef struct trk_order trk_order;   /* a parsed order key */

/* One bound value: a number, or text owned by the filter or order it came from. */
typedef struct trk_sql_binding {
    int is_num;
    double num;
    const char *text;
} trk_sql_binding;

/* A SELECT being built and its bindings; zero-initialise, free with trk_sql_free. */
typedef struct trk_sql {
    char *s;
    size_t len, cap;
    int oom;
    trk_sql_binding *b;
    int nb, bcap;
} trk_sql;

/* Parses a filter (NULL or "" is the empty filter, matching every run). TRK_EINVAL
 * with err = "filter: position P: unexpected 'TOKEN' (expected ...)". The caller
 * frees *out with trk_filter_free. */
int trk_filter_parse(const char *text, trk_filter **out, char err[256]);
void trk_filter_free(trk_filter *f);

/* The params, metrics and tags keys a filter names, for checking them against a
 * study's (query.c): fn gets each with its kind and its 0-based position in the
 * text; a non-zero return stops the walk and is returned. */
enum { TRK_KEY_PARAM, TRK_KEY_METRIC, TRK_KEY_TAG };
typedef int (*trk_filter_key_fn)(int kind, const char *key, size_t pos, void *ctx);
int trk_filter_keys(const trk_filter *f, trk_filter_key_fn fn, void *ctx);

/* Parses an order key "KEY [asc|desc]"; *desc is set by a trailing word and left
 * alone otherwise. Errors as above with "order:". Caller frees with trk_order_free. */
int trk_order_parse(const char *text, trk_order **out, int *desc, char err[256]);
void trk_order_free(trk_order *o);

/* Whether some runs may lack the order key (then the query has a second part). */
int trk_order_may_miss(const trk_order *o);

/*
 * The SELECT (id, study_id, trial_number, state, value, started, finished, worker,
 * seed, error) for one part of a study's runs (see query.c's trk_runs_query): part
 * 0 the runs having the order key, sorted by it, part 1 those without it. `o` may be
 * NULL (by trial_number, one part). On out of memory q->oom is set. `f` and `o` must
 * outlive q's use (the bindings point into them).
 */
void trk_runs_sql(trk_sql *q, int64_t study_id, const trk_filter *f, const trk_order *o,
                  int desc, int part, long limit);

/* Prepares q's text and binds its values; the caller finalizes *st. */
int trk_sql_prepare(trk_store *s, const trk_sql *q, sqlite3_stmt **st, char err[256]);
void trk_sql_free(trk_sql *q);

#endif
