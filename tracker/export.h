/*
 * export.h - writes a whole study out of the store: CSV (one row per run: its
 * attributes, params and the last value of each metric), JSON (everything:
 * study, spec, tags, result, runs with params, metric summaries, intermediate
 * values, tags, artifacts) or an Optuna 3.1 RDB SQLite file that
 * `optuna.load_study(study_name=NAME, storage="sqlite:///FILE")` opens with every
 * trial's state, params (distributions from the spec's search.space), value and
 * intermediate values (TRK_INTERMEDIATE_KEY), and as user attributes the run id,
 * worker, seed (an exact integer), error and every metric's last value
 * ("metrics.KEY"). JSON numbers are exact (shortest round-trip text), seeds exact
 * integers; the JSON study carries its tags and note.
 *
 * Files are written durably: a temp file beside the target, fsync, rename().
 */
#ifndef TRK_EXPORT_H
#define TRK_EXPORT_H

#include "tracker/store.h"

typedef enum { TRK_EXPORT_CSV, TRK_EXPORT_JSON, TRK_EXPORT_OPTUNA } trk_export_format;

/* "csv" | "json" | "optuna" -> format; -1 for anything else. */
int trk_export_format_parse(const char *name);

/* Exports study `name` to `out_path` (replaced if it exists). TRK_ENOTFOUND for an
 * unknown study; the target is untouched on any failure. */
int trk_export_study(trk_store *s, const char *name, trk_export_format fmt,
                     const char *out_path, char err[256]);

/* A JSON number that reads back as exactly `v` (the shortest %.15g..%.17g text
 * that round-trips, as a raw cJSON item; cJSON's own printing keeps 15 digits);
 * null for NaN and infinities. The caller owns the item. */
struct cJSON *trk_json_number(double v);

/* The JSON document of the study (as written by TRK_EXPORT_JSON).
 * Caller frees with cJSON_Delete. NULL on failure with err filled. */
struct cJSON *trk_study_export_json(trk_store *s, const char *name, char err[256]);

#endif
