/*
 * serve_int.h - private to the dashboard (reports/serve*.c): a parsed request,
 * a reply, the pool of read-only store handles and the cache of loaded studies.
 *
 * Threads: libmicrohttpd runs one thread per connection. A request borrows one
 * store handle from the pool for as long as it reads (a trk_store is not shared
 * between threads), and takes a cached study's lock while it refreshes or
 * renders it.
 */
#ifndef REPORTS_SERVE_INT_H
#define REPORTS_SERVE_INT_H

#include "reports/buf.h"
#include "reports/model.h"
#include "tracker/query.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>

#define SV_MAX_ARGS 16
#define SV_MAX_SEGS 8

/* A GET request: the path split at '/' and percent-decoded per segment, and the
 * query arguments decoded (repeated keys kept, in order). */
typedef struct sv_req {
    const char *seg[SV_MAX_SEGS];
    int n_seg;
    const char *key[SV_MAX_ARGS], *val[SV_MAX_ARGS];
    int n_args;
} sv_req;

typedef struct sv_reply {
    int status;                  /* HTTP status */
    const char *type;            /* Content-Type */
    rep_buf body;
    const char *allow;           /* Allow header for 405, else NULL */
} sv_reply;

/* One study as the dashboard keeps it between requests: loaded once in full,
 * then brought up to date with only the trials that finished or run since. */
typedef struct sv_study {
    char *name;
    pthread_mutex_t lock;
    int loaded;
    rep_study st;
    int *index;                  /* trial number -> index in st.trials, -1 none */
    int index_cap;
    double cursor;               /* latest `finished` seen (store clock), 0 none */
    char *status;                /* study status at the last refresh */
    int counts[5];               /* runs, running, complete, pruned, fail then */
    unsigned long gen;           /* bumped whenever st changes */
    double refreshed;            /* monotonic time of the last refresh */
    double accessed;             /* monotonic time of the last request for it */
    rep_buf page;                /* rendered study page of generation page_gen */
    unsigned long page_gen;
    double page_time;            /* monotonic time it was rendered */
    double page_cost;            /* seconds that render took */
    int has_page;
    struct sv_study *next;
} sv_study;

typedef struct sv_ctx {
    trk_store **stores;          /* the pool */
    int *busy;
    int n_stores;
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_cond;
    pthread_mutex_t cache_lock;
    sv_study *studies;
} sv_ctx;

trk_store *sv_store_get(sv_ctx *c);
void sv_store_put(sv_ctx *c, trk_store *s);

/* The argument `key` (first occurrence) or NULL. */
const char *sv_arg(const sv_req *r, const char *key);
/* 400 unless every argument's key is one of the NULL-terminated `known`. */
int sv_args_check(const sv_req *r, const char *const *known, sv_reply *out, int json);
/* Parses argument `key` as an integer in [lo, hi] (absent: def); -1 after a 400. */
int sv_arg_long(const sv_req *r, const char *key, long lo, long hi, long def, long *v,
                sv_reply *out, int json);

/* Sets an error reply: JSON {"error": msg} or a small HTML page. */
/* A 200 reply of root as compact JSON (root is freed; 500 when it is NULL or out of memory). */
void sv_reply_json(sv_reply *out, cJSON *root);
/* o[key] = v, or null when v is not finite / NULL. */
void sv_json_num(cJSON *o, const char *key, double v);
void sv_json_str(cJSON *o, const char *key, const char *v);

void sv_error(sv_reply *out, int status, int json, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends s percent-encoded for a URL path segment or query value. */
void sv_url_esc(rep_buf *b, const char *s);
double sv_now(void);

/* The cached study `name`, refreshed when older than max_age_s (0: always).
 * Returns it locked (unlock with pthread_mutex_unlock), or NULL with err and
 * *status (404 unknown study, 500 store failure). */
sv_study *sv_study_acquire(sv_ctx *c, trk_store *s, const char *name, double max_age_s,
                           int *status, char err[256]);
void sv_cache_free(sv_ctx *c);
/* One round of the background refresh: every study asked for recently and not
 * refreshed within a second is brought up to date, then `after` (may be NULL)
 * is called on it, still locked. */
void sv_cache_tick(sv_ctx *c, void (*after)(sv_study *cs));
/* Renders the locked study's page again if it changed (serve_pages.c). */
void sv_study_page_refresh(sv_study *cs);

/* One page of a study's trials: trk_runs_query with filter and order (the
 * tracker's compiler), rows [offset, offset+limit); *more = 1 when rows follow.
 * TRK_EINVAL carries the compiler's message. Caller frees with trk_run_list_free. */
int sv_trials_page(sv_ctx *c, trk_store *s, const char *name, int64_t study_id,
                   const char *filter, const char *order_by, long limit, long offset,
                   trk_run_list *out, int *more, char err[256]);

/* The run of trial `number_text` (decimal) of `study`, found through the filter
 * compiler ("trial_number = N"): 0 with *si and *one (one run) filled, which the
 * caller frees; or -1 with an error reply set (400, 404, 500). */
int sv_find_trial(trk_store *s, const char *study, const char *number_text, int json,
                  trk_study_info *si, trk_run_list *one, sv_reply *out);

/* Endpoints (serve_api.c: JSON; serve_pages.c: HTML). */
void sv_api(sv_ctx *c, const sv_req *r, sv_reply *out);
void sv_page(sv_ctx *c, const sv_req *r, sv_reply *out);
/* Loads the newest 16 studies and renders their pages ahead of the first
 * request (the server's start-up thread); returns early once *stop is set. */
void sv_warm(sv_ctx *c, const atomic_int *stop);
/* The pages' script (report table sorting + live updates). */
const char *sv_script(void);

/* ---- registry pages and JSON (serve_models.c) ---- */
/* /api/models[/NAME], /api/ab[/ID] and /models[/NAME], /ab[/ID]: 1 when the
 * path is theirs (the reply is then set), else 0. */
int sv_models_api(sv_ctx *c, const sv_req *r, sv_reply *out);
int sv_models_page(sv_ctx *c, const sv_req *r, sv_reply *out);
/* Links to the model versions registered from `study` (nothing when none). */
void sv_study_models(rep_buf *b, trk_store *s, const char *study);
/* The dashboard's page frame (serve_pages.c): title escaped, study may be NULL. */
void sv_page_frame_open(rep_buf *b, const char *title, const char *study);
void sv_page_frame_close(rep_buf *b);


#endif
