/*
 * model_ref.h - what `--model` names: a model file, or a registered version
 * NAME@VERSION / NAME@ALIAS in the store (tracker/registry.h). A registered file
 * is read and checked against its recorded size and sha256 before it is used, so
 * a tampered or damaged copy is refused.
 *
 * An argument is a registry reference when it contains '@', no '/', and is not
 * an existing file.
 */
#ifndef EXP_MODEL_REF_H
#define EXP_MODEL_REF_H

#include "tracker/store.h"

#include <stdint.h>

typedef struct exp_model_ref {
    char path[4400];     /* the file to load */
    char sha256[65];     /* of the file as checked */
    int registered;      /* 1: from the registry */
    char name[128];      /* registered name ("" for a plain file) */
    char ref[128];       /* the alias or version as given */
    int version;
    int64_t interval_s;  /* bar interval of the training candles, 0 unknown */
    char study[256];     /* source study ("" unknown) */
    int trial;           /* source trial, -1 unknown */
} exp_model_ref;

/* 1 when `arg` reads as a registry reference (see the top). */
int exp_model_ref_is_registry(const char *arg);

/*
 * Resolves `arg` into *out. A registry reference is looked up in `store` (opened
 * read-only from `db_path` when store is NULL), its file checked and hashed; a
 * plain file is only named (sha256 "" until exp_model_ref_hash). Returns 0, or -1 with err naming the reference and the problem (no
 * such model, version or alias, a missing or tampered file).
 */
int exp_model_ref_resolve(const char *arg, trk_store *store, const char *db_path,
                          exp_model_ref *out, char err[256]);

/* Fills ref->sha256 of a plain file (a no-op when known). 0, or -1 with err. */
int exp_model_ref_hash(exp_model_ref *ref, char err[256]);

/* Who runs this command, for the registry's records: $USER, else "uid N"
 * (a static buffer). */
const char *exp_user_name(void);

#endif
