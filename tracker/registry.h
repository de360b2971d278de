/*
 * registry.h - the model registry and the A/B record in the experiment store
 * (DESIGN.md, "Selection as a decision"; schema step 3).
 *
 * A registered model has a name and numbered versions 1, 2, ...; a version is a
 * copy of a study's model file kept under <artifact root>/registry/<model id>/
 * <version>/model.bin, so deleting the source study (trk_study_delete removes
 * <artifact root>/<study id>/ only) leaves it usable. A version records where it
 * came from (study name and id, trial), the file's size and sha256, the data it
 * was trained on (fingerprint, first/last bar, bar interval), its holdout metrics
 * and verdict (JSON text), a description, tags (JSON object text) and the time.
 * Aliases ("champion", "challenger", any name) point at one version each; every
 * move or removal of an alias is also appended to alias_events (who, when, why),
 * which is the alias history a report draws.
 *
 * An A/B comparison (`seqtune ab`) is one row of ab_comparisons: both references,
 * the span, the figures (JSON text), the verdict, the per-bar series (a BLOB) and
 * whether it promoted B to champion (in the same transaction as the row).
 *
 * Names of models and aliases are 1..TRK_REG_NAME_MAX characters of
 * [A-Za-z0-9._-] that do not start with '.' or '-' (they appear in NAME@ALIAS
 * references on the command line); an alias is not all digits (NAME@3 is a
 * version).
 *
 * Errors as in store.h: TRK_EINVAL (a bad name), TRK_ENOTFOUND (no such model,
 * version or alias: err says which, and what there is instead).
 * Memory: every *_free / *_clear releases what the matching call filled.
 */
#ifndef TRK_REGISTRY_H
#define TRK_REGISTRY_H

#include "tracker/store.h"

#include <stddef.h>
#include <stdint.h>

#define TRK_REG_NAME_MAX 100
#define TRK_CHAMPION "champion"

/* 0 if `name` is a valid model or alias name (`what` is "model name" or "alias"
 * for the message), else TRK_EINVAL with err saying why. */
int trk_reg_name_check(const char *what, const char *name, int is_alias, char err[256]);

/* One registered version (strings owned; NULL when not recorded). */
typedef struct trk_model_version {
    char *name;
    int version;
    char *study_name;       /* the source study's name when registered */
    int64_t study_id;
    int trial_number;       /* -1: not recorded */
    char *path;             /* the kept file, relative to trk_store_artifact_root() */
    int64_t bytes;
    char sha256[65];
    char *data_fingerprint;
    double span_first, span_last;   /* Unix seconds of the first and last bar; NaN unknown */
    int64_t interval_s;     /* bar interval of the training candles; 0 unknown */
    char *target_kind;
    char *metrics_json;     /* the holdout metrics */
    char *verdict_json;     /* the study's verdict */
    char *description;
    char *tags_json;        /* a JSON object */
    double created;
    char *aliases;          /* "champion,challenger"; "" when none */
} trk_model_version;

/* What trk_model_register records (borrowed; NULL/NaN/0/-1 for not known). */
typedef struct trk_model_version_in {
    const char *name, *study_name;
    int64_t study_id;
    int trial_number;
    const char *data_fingerprint;
    double span_first, span_last;
    int64_t interval_s;
    const char *target_kind, *metrics_json, *verdict_json, *description, *tags_json;
    const char *alias;      /* set this alias to the new version; NULL none */
    const char *who;        /* for the alias event */
} trk_model_version_in;

/*
 * Registers a new version of model in->name (creating the model on its first
 * version) with the `len` bytes of the model file: the file is written durably
 * to its registry folder inside the transaction that inserts the row, and
 * removed again if the commit fails. *version gets the new number.
 */
int trk_model_register(trk_store *s, const trk_model_version_in *in, const void *data,
                       size_t len, int *version, char err[256]);

/* Points `alias` of model `name` at `version` (which must exist); `who` and
 * `reason` (may be NULL) go to the alias history. */
int trk_model_alias_set(trk_store *s, const char *name, int version, const char *alias,
                        const char *who, const char *reason, char err[256]);

/* Removes alias `alias` of model `name` (TRK_ENOTFOUND when it is not set). */
int trk_model_alias_delete(trk_store *s, const char *name, const char *alias, const char *who,
                           char err[256]);

/* Every version of model `name` (NULL: of every model), by name then version.
 * TRK_ENOTFOUND when `name` is given and not registered. Free with
 * trk_model_versions_free. */
int trk_model_versions(trk_store *s, const char *name, trk_model_version **out, int *n,
                       char err[256]);
void trk_model_versions_free(trk_model_version *v, int n);
void trk_model_version_clear(trk_model_version *v);

/*
 * Resolves `ref` of model `name`: all digits is a version number, anything else
 * an alias. TRK_ENOTFOUND with err naming what is missing and what exists ("model
 * 'm' has no version 9 (versions 1..2)", "... no alias 'x' (aliases: champion)",
 * "no registered model 'm'"). The caller clears *out.
 */
int trk_model_resolve(trk_store *s, const char *name, const char *ref, trk_model_version *out,
                      char err[256]);

/* One move (version > 0) or removal (version 0) of an alias. */
typedef struct trk_alias_event {
    char *alias;
    int version;
    double at;
    char *who, *reason;
} trk_alias_event;

/* The alias history of model `name`, oldest first. Free with trk_alias_events_free. */
int trk_model_alias_events(trk_store *s, const char *name, trk_alias_event **out, int *n,
                           char err[256]);
void trk_alias_events_free(trk_alias_event *e, int n);

/* One A/B comparison. As input (trk_ab_add) every pointer is borrowed; as output
 * (trk_ab_list, trk_ab_get) owned: clear with trk_ab_record_clear. */
typedef struct trk_ab_record {
    int64_t id;
    double created;
    char *who;
    char *ref_a, *ref_b;          /* as given: NAME@ALIAS, NAME@VERSION or a file path */
    char *name_a, *name_b;        /* registered names; NULL for plain files */
    int version_a, version_b;     /* 0 for plain files */
    char sha_a[65], sha_b[65];
    char *data_path, *data_sha256;
    double span_first, span_last; /* open times of the first and last compared bar */
    int n_bars;
    char *verdict;                /* "a_better" | "no_difference" | "b_better" */
    char *figures_json;
    void *series;                 /* per-bar doubles (the command's layout) */
    size_t series_bytes;
    int promoted;                 /* champion moved to B by this comparison */
} trk_ab_record;

/* Records r (r->id, created are set here) and, when `promote` is non-zero, moves
 * alias TRK_CHAMPION of r->name_b to r->version_b in the same transaction
 * (r->promoted is then stored as 1). *id may be NULL. */
int trk_ab_add(trk_store *s, trk_ab_record *r, int promote, int64_t *id, char err[256]);

/* Comparisons that involve model `name` as A or B (NULL: all), newest first, without
 * their series. Free with trk_ab_records_free. */
int trk_ab_list(trk_store *s, const char *name, trk_ab_record **out, int *n, char err[256]);
/* One comparison with its series; TRK_ENOTFOUND for an unknown id. */
int trk_ab_get(trk_store *s, int64_t id, trk_ab_record *out, char err[256]);
void trk_ab_record_clear(trk_ab_record *r);
void trk_ab_records_free(trk_ab_record *r, int n);

#endif
