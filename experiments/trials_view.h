/*
 * trials_view.h - `seqtune trials` output by columns: --columns picks attributes
 * (run_id, trial_number, state, value, started, finished, duration, worker, seed,
 * error), params.NAME, metrics.NAME (last value), tags.NAME, each NAME possibly a
 * shell pattern (params.*, metrics.fold*). Formats: an aligned table (cells may be
 * shortened with '~', and a note says so), CSV and JSON (never cut; seeds exact)
 * and a Markdown table (never cut; '|' escaped). Also the output helpers that the
 * store commands share.
 */
#ifndef EXP_TRIALS_VIEW_H
#define EXP_TRIALS_VIEW_H

#include "tracker/query.h"

#include <stddef.h>

enum { EXP_FMT_TABLE, EXP_FMT_CSV, EXP_FMT_JSON, EXP_FMT_MARKDOWN };

/* The default columns of csv and markdown: every attribute, param, metric, tag. */
#define EXP_TRIALS_ALL "run_id,trial_number,state,value,started,finished,worker,seed,error," \
                       "params.*,metrics.*,tags.*"

/*
 * Prints runs `l` of a study in format `fmt` with the columns named by the
 * comma-separated `columns`. A name that matches nothing and is no pattern is
 * an error (2) naming the known keys of its kind, printed by the caller from err.
 * 0 on success.
 */
int exp_trials_view(trk_store *s, const trk_run_list *l, const char *columns, int fmt,
                    char err[256]);

/* A JSON number that reads back as exactly `v` (the shortest such %.Ng text, as
 * a raw cJSON item); null for NaN and infinities. Caller owns the item. */
struct cJSON;
struct cJSON *exp_json_number(double v);

/* A CSV field, quoted when it holds a comma, quote or line break (NULL: empty). */
void exp_csv_field(const char *v);
/* Unix seconds as 2024-01-31T12:00:00Z; "" for NaN. */
void exp_fmt_time(double t, char out[32]);
/* `text` in exactly w columns, one per UTF-8 character, cut with '~' at a
 * character boundary; control characters as '?'. Returns 1 if it was cut. */
int exp_cell(const char *text, int w, int right);

/* Opens the store read-only (exp_db_path(opt_db)); prints the error as cmd's
 * and returns NULL on failure. */
trk_store *exp_open_store(const char *cmd, const char *opt_db);
/* A number for a table cell: %.6g, "-" for NaN. */
void exp_fmt_num(double v, char *out, size_t n);
/* The text of param `key` of run r, or NULL. */
const char *exp_run_param(const trk_run *r, const char *key);
/* Sorted union of the param keys of a run list (NULL when out of memory); the
 * caller frees the array, not the keys. */
const char **exp_param_keys(const trk_run_list *l, int *n);

#endif
