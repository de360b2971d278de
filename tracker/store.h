/*
 * store.h - the experiment store: one SQLite file holding studies, runs (trials),
 * params, metric histories, tags and artifacts (DESIGN.md, "The store").
 *
 * This header is the WRITE side used by the study runner (rank 0 is the only
 * writer during a study) plus opening and closing. The read side (listings,
 * the filter language, metric histories, replay) is tracker/query.h; exports
 * are tracker/export.h.
 *
 * A run's lifecycle (the `state` column of `runs`) is the trial's, drawn in
 * base/trial_state.h: trk_run_start makes a RUNNING run, trk_run_finish or
 * trk_study_fail_running ("lost", "interrupted") finishes it.
 *
 * Invariants: (1) a run leaves RUNNING exactly once; (2) `finished` is set iff the
 * state is not RUNNING; (3) `error` is non-NULL only for FAIL; (4) when
 * trk_run_finish, trk_study_set_status or trk_study_set_result return 0 the change
 * is on disk (WAL fsynced: synchronous=FULL for those commits; metric batches
 * commit with synchronous=NORMAL, durable against a process crash).
 *
 * NaN values (run values, metric values) are stored as SQL NULL and read back as
 * NaN; orderings put them last, filters never match them.
 *
 * Errors: every function that can fail returns 0 or a negative TRK_E* code and
 * fills `err` (256 bytes) with a sentence naming the thing at fault.
 */
#ifndef TRK_STORE_H
#define TRK_STORE_H

#include "base/file.h"
#include "base/trial_state.h"

#include <stddef.h>
#include <signal.h>
#include <stdint.h>

typedef struct trk_store trk_store;

enum {
    TRK_OK = 0,
    TRK_ERR = -1,        /* SQLite or I/O failure */
    TRK_EINVAL = -2,     /* bad argument (name, path, state, filter...) */
    TRK_ENOTFOUND = -3,  /* unknown study or run */
    TRK_EEXISTS = -4,    /* study exists and resume was not asked */
    TRK_EFORMAT = -5,    /* file is not a seqtune store, or a newer schema */
};

/* trk_store_open flags. Without TRK_CREATE a missing file is an error and nothing
 * is created; with TRK_READONLY the file is never written. TRK_NOSYNC (bulk imports,
 * benchmarks) never fsyncs: commits still survive a process crash, but not a power
 * loss, and invariant (4) below does not hold. */
enum { TRK_CREATE = 1, TRK_READONLY = 2, TRK_NOSYNC = 4 };

/* Schema version stored in PRAGMA user_version. */
#define TRK_SCHEMA_VERSION 4

/* The trial state (base/trial_state.h) under the store's names. */
typedef trial_state trk_state;
#define TRK_RUNNING TRIAL_RUNNING
#define TRK_COMPLETE TRIAL_COMPLETE
#define TRK_PRUNED TRIAL_PRUNED
#define TRK_FAIL TRIAL_FAIL
typedef enum { TRK_STUDY_RUNNING = 0, TRK_STUDY_COMPLETE, TRK_STUDY_INTERRUPTED } trk_study_status;

/* The metric key under which a trial's intermediate objective (per fold or step,
 * the pruning value) is logged; the optimizer replay and the Optuna export read it. */
#define TRK_INTERMEDIATE_KEY "objective"

/* "RUNNING", "COMPLETE", ... and back; parse returns -1 for an unknown name. */
static inline const char *trk_state_name(trk_state s) { return trial_state_name(s); }
static inline int trk_state_parse(const char *name) { return trial_state_parse(name, 0); }
const char *trk_study_status_name(trk_study_status s);

/*
 * Opens (flags & TRK_CREATE: creates when missing) the store at `path`, applies
 * forward schema migrations (not with TRK_READONLY), turns on WAL and foreign keys;
 * a lock held by another program is waited for up to TRK_WAIT_DEFAULT_S. A file that is not an SQLite database, or an SQLite file
 * that is not a seqtune store, is refused without being touched. Returns NULL on
 * failure with `err` filled. The caller closes with trk_store_close.
 */
trk_store *trk_store_open(const char *path, int flags, char err[256]);

/* How a store locked by another program is waited for (every wait, the open's
 * included): the limit (0: TRK_WAIT_DEFAULT_S), `stop` (may be NULL: once
 * non-zero, the wait gives up at once, so a signal handler that sets it is
 * honoured) and `notice` (may be NULL), called once per wait after one second
 * with the store path and what it waits for. A wait that gives up fails the
 * operation with "locked by another program for N s" or "interrupted". */
#define TRK_WAIT_DEFAULT_S 60.0
typedef struct trk_wait_opts {
    double limit_s;
    volatile sig_atomic_t *stop;
    void (*notice)(void *ctx, const char *path, double limit_s);
    void *ctx;
} trk_wait_opts;

/* trk_store_open with `wait` (copied; NULL: the defaults, no notice). */
trk_store *trk_store_open_wait(const char *path, int flags, const trk_wait_opts *wait,
                               char err[256]);
void trk_store_close(trk_store *s);

/* The database path and the artifact folder (`<db>.artifacts`); owned by the store. */
const char *trk_store_path(const trk_store *s);
const char *trk_store_artifact_root(const trk_store *s);

/*
 * Groups many write calls into one transaction (imports, benchmarks, a coordinator
 * logging many small things): between begin and end every call is a savepoint, so
 * a failing call still undoes only itself, but nothing is durable, or visible to
 * readers, before trk_store_batch_end returns 0 (which commits with the WAL
 * fsynced). Batches do not nest. Closing the store inside a batch rolls it back.
 */
int trk_store_batch_begin(trk_store *s, char err[256]);
int trk_store_batch_end(trk_store *s, char err[256]);

/* ---- studies ---------------------------------------------------------------- */

/* trk_study_open flags */
enum { TRK_RESUME = 1 };

/*
 * Creates study `name` with its spec (JSON text, stored verbatim) and direction
 * ("minimize" or "maximize"), or, with TRK_RESUME, opens the existing one. An
 * existing study without TRK_RESUME is TRK_EEXISTS (the message suggests --resume);
 * resuming with a different direction or search space (`search.space`) is
 * TRK_EINVAL; other spec changes are accepted and the stored spec is replaced.
 * `*existed` (may be NULL) tells whether it was resumed. Status becomes RUNNING.
 */
int trk_study_open(trk_store *s, const char *name, const char *spec_json,
                   const char *direction, int flags, int64_t *study_id, int *existed,
                   char err[256]);

/* Looks a study up by name; TRK_ENOTFOUND when there is none. */
int trk_study_find(trk_store *s, const char *name, int64_t *study_id, char err[256]);

int trk_study_set_status(trk_store *s, int64_t study_id, trk_study_status st, char err[256]);

/* Sets (replaces) a study-level tag. */
int trk_study_set_tag(trk_store *s, int64_t study_id, const char *key, const char *value,
                      char err[256]);

/*
 * Stores the study's final result: `result_json` (holdout metrics etc., JSON text,
 * may be NULL), the best run (0 = none) and the model artifact id (0 = none).
 */
int trk_study_set_result(trk_store *s, int64_t study_id, const char *result_json,
                         int64_t best_run_id, int64_t model_artifact_id, char err[256]);

/* Marks every RUNNING run of the study FAIL with error text `reason`
 * ("lost", "interrupted"); `*n_marked` (may be NULL) gets the count. */
int trk_study_fail_running(trk_store *s, int64_t study_id, const char *reason,
                           int *n_marked, char err[256]);

/* ---- runs ------------------------------------------------------------------- */

/* Starts trial `trial_number` (unique within the study) on `worker` with `seed`;
 * the new run is RUNNING. */
int trk_run_start(trk_store *s, int64_t study_id, int trial_number, int worker,
                  int64_t seed, int64_t *run_id, char err[256]);

/* A parameter: its text form and its numeric value (NaN when not numeric). */
typedef struct trk_param_in {
    const char *key;
    const char *value;
    double num;
} trk_param_in;

/* Logs (replaces) `n` params of a run in one transaction. */
int trk_run_log_params(trk_store *s, int64_t run_id, const trk_param_in *p, int n,
                       char err[256]);

/* One metric row; timestamp 0 means "now" (Unix seconds). */
typedef struct trk_metric_in {
    const char *key;
    int64_t step;
    double value;
    double timestamp;
} trk_metric_in;

/* Appends `n` metric rows of a run in one transaction (a whole epoch or fold). */
int trk_run_log_metrics(trk_store *s, int64_t run_id, const trk_metric_in *m, int n,
                        char err[256]);

/* Sets (replaces) a run tag. */
int trk_run_set_tag(trk_store *s, int64_t run_id, const char *key, const char *value,
                    char err[256]);

/*
 * Finishes a RUNNING run: state COMPLETE, PRUNED or FAIL, its objective value (NaN
 * for none) and error text (FAIL only, may be NULL). Durable when it returns 0.
 * A run that is not RUNNING is TRK_EINVAL.
 */
int trk_run_finish(trk_store *s, int64_t run_id, trk_state state, double value,
                   const char *error, char err[256]);

/* ---- artifacts -------------------------------------------------------------- */

/*
 * Records an artifact of a run (run_id > 0) or of the study itself (run_id 0):
 * `len` bytes of `data` are written durably to
 * `<artifact root>/<study id>/<run id | "study">/<name>`; bytes and sha256 are
 * stored. `name` is a relative file name; absolute names, empty components and
 * `..` are refused (TRK_EINVAL). `*artifact_id` may be NULL.
 */
int trk_artifact_put(trk_store *s, int64_t study_id, int64_t run_id, const char *kind,
                     const char *name, const void *data, size_t len, int64_t *artifact_id,
                     char err[256]);

/* Same as trk_artifact_put with the contents of file `src_path`. */
int trk_artifact_put_file(trk_store *s, int64_t study_id, int64_t run_id, const char *kind,
                          const char *name, const char *src_path, int64_t *artifact_id,
                          char err[256]);

/* Writes `len` bytes to `path` durably: a temporary file beside it, fsync,
 * rename(), so a crash leaves the old file or the new one, never half of one.
 * The artifacts use it, and so do commands that write files a user keeps.
 * 0, or TRK_ERR with err naming the file. */
static inline int trk_file_write_durable(const char *path, const void *data, size_t len,
                                         char err[256])
{
    return base_file_write(path, data, len, err) == 0 ? 0 : TRK_ERR;
}

/* The same in two steps, for writers that stream into a file (CSV, an SQLite
 * database): trk_file_temp_name gives the temporary name beside `path` (out holds
 * at least TRK_TEMP_NAME_MAX bytes); after the caller has written and closed it,
 * trk_file_commit fsyncs it and renames it onto `path`, removing it on failure.
 * 0, or TRK_ERR with err naming the file. */
#define TRK_TEMP_NAME_MAX BASE_TEMP_NAME_MAX
static inline void trk_file_temp_name(const char *path, char out[TRK_TEMP_NAME_MAX])
{
    base_file_temp_name(path, out);
}
static inline int trk_file_commit(const char *tmp, const char *path, char err[256])
{
    return base_file_commit(tmp, path, err) == 0 ? 0 : TRK_ERR;
}

#endif
