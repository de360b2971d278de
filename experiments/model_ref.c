/*
 * model_ref.c - resolving `--model` into a checked file (experiments/model_ref.h).
 */
#include "experiments/model_ref.h"

#include "base/file.h"
#include "tracker/registry.h"
#include "tracker/sha256.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* err = the formatted message, cut at 255 bytes. */
static void set_err(char err[256], const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(char err[256], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, 256, fmt, ap);
    va_end(ap);
}

int exp_model_ref_is_registry(const char *arg)
{
    struct stat sb;
    return arg && strchr(arg, '@') && !strchr(arg, '/') && stat(arg, &sb) != 0;
}

/* The sha256 of file `path` as hex, and its size; 0 or -1 with err. */
static int file_sha(const char *path, char hex[65], int64_t *bytes, char err[256])
{
    size_t len = 0;
    char *data = base_file_read(path, (size_t)1 << 30, &len, err);
    if (!data)
        return -1;
    trk_sha256_hex(data, len, hex);
    *bytes = (int64_t)len;
    free(data);
    return 0;
}

/* The registry half: NAME@REF in store s. */
static int resolve_registered(const char *arg, trk_store *s, exp_model_ref *out, char err[256])
{
    const char *at = strrchr(arg, '@');
    size_t nl = (size_t)(at - arg);
    char e[256];
    if (nl == 0 || nl >= sizeof out->name || !at[1] || strlen(at + 1) >= sizeof out->ref) {
        set_err(err, "'%.100s': expected NAME@VERSION or NAME@ALIAS", arg);
        return -1;
    }
    memcpy(out->name, arg, nl);
    out->name[nl] = '\0';
    snprintf(out->ref, sizeof out->ref, "%s", at + 1);
    trk_model_version v;
    if (trk_model_resolve(s, out->name, out->ref, &v, e)) {
        set_err(err, "%s", e);
        return -1;
    }
    out->registered = 1;
    out->version = v.version;
    out->interval_s = v.interval_s;
    out->trial = v.trial_number;
    snprintf(out->study, sizeof out->study, "%s", v.study_name ? v.study_name : "");
    snprintf(out->path, sizeof out->path, "%s/%s", trk_store_artifact_root(s), v.path);
    int64_t bytes = 0;
    int rc = 0;
    if (file_sha(out->path, out->sha256, &bytes, e)) {
        set_err(err, "version %d: the registered file is missing or unreadable: %s",
                v.version, e);
        rc = -1;
    } else if (bytes != v.bytes || strcmp(out->sha256, v.sha256) != 0) {
        set_err(err, "version %d: the registered file %s does not match its recorded size "
                "and sha256 (tampered or damaged); refusing it", v.version, out->path);
        rc = -1;
    }
    trk_model_version_clear(&v);
    return rc;
}

int exp_model_ref_resolve(const char *arg, trk_store *store, const char *db_path,
                          exp_model_ref *out, char err[256])
{
    memset(out, 0, sizeof *out);
    out->trial = -1;
    if (!exp_model_ref_is_registry(arg)) {
        /* hashed by exp_model_ref_hash once the model loader has accepted it (it
         * refuses FIFOs and devices without blocking on them) */
        snprintf(out->path, sizeof out->path, "%s", arg);
        return 0;
    }
    trk_store *s = store;
    if (!s) {
        char e[256];
        s = trk_store_open(db_path, TRK_READONLY, e);
        if (!s) {
            set_err(err, "the registry's store: %s", e);
            return -1;
        }
    }
    int rc = resolve_registered(arg, s, out, err);
    if (s != store)
        trk_store_close(s);
    return rc;
}

const char *exp_user_name(void)
{
    static char buf[64];
    const char *u = getenv("USER");
    if (u && *u && strlen(u) < sizeof buf)
        return u;
    snprintf(buf, sizeof buf, "uid %u", (unsigned)geteuid());
    return buf;
}

int exp_model_ref_hash(exp_model_ref *ref, char err[256])
{
    int64_t bytes;
    return ref->sha256[0] ? 0 : file_sha(ref->path, ref->sha256, &bytes, err);
}
