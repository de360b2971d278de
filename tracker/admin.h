/*
 * admin.h - study management on the experiment store: deleting a study with all
 * that belongs to it, renaming it, study tags and the study's note, the check on
 * study names, and the per-study coordinator lock that a running study holds.
 *
 * A study name is 1..TRK_STUDY_NAME_MAX characters of printable UTF-8 (no control
 * characters, no invalid sequences): spaces, quotes, `<script>` are all allowed, so
 * every output escapes names for its format. File names never contain a study's
 * name: artifacts live under the study's id, and the lock file is named after the
 * name only when that is [A-Za-z0-9._-], else after its sha256.
 *
 * Errors as in store.h, plus TRK_EHELD: a coordinator holds the study.
 */
#ifndef TRK_ADMIN_H
#define TRK_ADMIN_H

#include "tracker/store.h"

#include <stddef.h>

#define TRK_EHELD (-16)
#define TRK_STUDY_NAME_MAX 200 /* characters (code points), not bytes */
#define TRK_NOTE_TAG "seqtune.note"

/* One tag to write. */
typedef struct trk_kv_in {
    const char *key;
    const char *value;
} trk_kv_in;

/* 0 if `name` is a valid study name, else TRK_EINVAL with err saying why
 * ("study name: character 7 is a control character (U+000A)"). */
int trk_study_name_check(const char *name, char err[256]);

/* The coordinator lock file of study `name`: <artifact root>/<name>.lock, or
 * <artifact root>/study-<sha256 of name>.lock when the name has other characters
 * than [A-Za-z0-9._-]. Truncated to n bytes. */
void trk_study_lock_path(const trk_store *s, const char *name, char *out, size_t n);

/*
 * Takes the coordinator lock of study `name` without waiting (an exclusive flock,
 * which the kernel drops when the process ends, even by SIGKILL) and writes this
 * process's pid into it. *fd is the lock (close it to release). TRK_EHELD with the
 * holder's pid in err when another process holds it.
 */
int trk_study_lock(trk_store *s, const char *name, int *fd, char err[256]);

/* What trk_study_delete removed. */
typedef struct trk_delete_stats {
    int64_t runs, metrics, artifacts; /* rows */
    int files;                        /* artifact files removed after the commit */
} trk_delete_stats;

/*
 * Deletes study `name` and everything that belongs to it (runs, params, metric
 * histories and summaries, tags, artifacts rows) in one transaction, durable when
 * it returns; then, after the commit, its artifact and model files (the folder
 * <artifact root>/<study id>/). A crash before the commit leaves the whole study,
 * after it none of its rows (at worst some files to remove by hand). Refused with
 * TRK_EHELD while a coordinator holds the study. `st` may be NULL.
 */
int trk_study_delete(trk_store *s, const char *name, trk_delete_stats *st, char err[256]);

/* Renames a study (and the "name" of its stored spec). TRK_EEXISTS when `to` is
 * taken, TRK_EINVAL for a bad name, TRK_EHELD while a coordinator holds it. */
int trk_study_rename(trk_store *s, const char *from, const char *to, char err[256]);

/* Sets (replaces) `n` tags of a run in one transaction (the runner's tags of a
 * new trial: worker, host, seed, objective, spec_hash). */
int trk_run_set_tags(trk_store *s, int64_t run_id, const trk_kv_in *kv, int n, char err[256]);

/* Removes a study tag; *removed (may be NULL) says whether it existed. */
int trk_study_unset_tag(trk_store *s, int64_t study_id, const char *key, int *removed,
                        char err[256]);

/* Removes a run tag; *removed (may be NULL) says whether it existed. */
int trk_run_unset_tag(trk_store *s, int64_t run_id, const char *key, int *removed,
                      char err[256]);

#endif
