/*
 * trk_testutil.h - helpers for the tracker tests: a scratch folder removed at the
 * end, a digest of a file's bytes (to prove a file was left untouched), and a
 * store built through the write API.
 */
#ifndef TRK_TESTUTIL_H
#define TRK_TESTUTIL_H

#include "tracker/sha256.h"
#include "tracker/store.h"

#include <dirent.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tu_dir_[512];
static pid_t tu_owner_;

/* rm -rf of one path (no symlinks followed). */
static void tu_rm_(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            tu_rm_(sub);
        }
        if (d)
            closedir(d);
    }
    remove(path);
}

static void tu_cleanup_(void)
{
    if (tu_dir_[0] && getpid() == tu_owner_)
        tu_rm_(tu_dir_);
}

/* A fresh scratch folder (removed at exit by the process that made it). */
static inline const char *tu_scratch(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tu_dir_, sizeof tu_dir_, "%s/trk_test_XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tu_dir_)) {
        perror("mkdtemp");
        exit(1);
    }
    tu_owner_ = getpid();
    atexit(tu_cleanup_);
    return tu_dir_;
}

/* Path of `name` inside the scratch folder (static buffer per call site). */
static inline void tu_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tu_dir_, name);
}

/* sha256 of a whole file's bytes, or "missing". */
static inline void tu_file_sha(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(hex, 65, "missing");
        return;
    }
    trk_sha256 s;
    uint8_t d[32], buf[65536];
    size_t n;
    trk_sha256_init(&s);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        trk_sha256_update(&s, buf, n);
    fclose(f);
    trk_sha256_final(&s, d);
    trk_sha256_to_hex(d, hex);
}

/* Aborts the test with the tracker's message when a call fails. */
#define TU_OK(call) do { int rc_ = (call); if (rc_ != 0) { \
    fprintf(stderr, "FAIL %s:%d: %s -> %d: %s\n", __FILE__, __LINE__, #call, rc_, err); \
    exit(1); } } while (0)

#endif
