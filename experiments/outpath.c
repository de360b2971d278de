/*
 * outpath.c - refuses an output path that is one of the command's inputs
 * (outpath.h).
 */
#include "experiments/outpath.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The canonical spelling of `path`: realpath of the whole path when it exists
 * (symlinks followed), else realpath of its folder plus its last name. 0, or -1
 * when the folder does not exist either (then nothing there can be an input). */
static int canonical(const char *path, char out[PATH_MAX])
{
    if (realpath(path, out))
        return 0;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : path;
    if (slash == dir)
        snprintf(dir, sizeof dir, "/");
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    char real[PATH_MAX];
    if (!realpath(dir, real) || strlen(real) + strlen(base) + 2 > PATH_MAX)
        return -1;
    size_t n = strlen(real);
    memcpy(out, real, n);
    if (strcmp(real, "/") != 0)
        out[n++] = '/';
    memcpy(out + n, base, strlen(base) + 1);
    return 0;
}

/* 1 when `a` and `b` are the same file: same device and inode when both exist,
 * else the same canonical path. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char ca[PATH_MAX], cb[PATH_MAX];
    return canonical(a, ca) == 0 && canonical(b, cb) == 0 && strcmp(ca, cb) == 0;
}

int exp_output_not_input(const char *out, const char *input, const char *what, char err[256])
{
    if (input && same_file(out, input)) {
        snprintf(err, 256, "is the %s being read (the same file as %.120s); "
                 "write somewhere else", what, input);
        return -1;
    }
    return 0;
}

int exp_output_not_store(const char *out, const char *db_path, const char *artifact_root,
                         char err[256])
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[PATH_MAX];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", db_path, suffix[i]);
        if (same_file(out, p)) {
            if (i)
                snprintf(err, 256, "is the experiment store's %s file (the same file as %.120s); "
                         "write somewhere else", suffix[i] + 1, p);
            else
                snprintf(err, 256, "is the experiment store (the same file as %.120s); "
                         "write somewhere else", p);
            return -1;
        }
    }
    /* Inside the artifact folder: the folder's canonical path is a prefix of
     * the output's. */
    char co[PATH_MAX], ca[PATH_MAX];
    if (artifact_root && canonical(out, co) == 0 && canonical(artifact_root, ca) == 0) {
        size_t n = strlen(ca);
        if (strncmp(co, ca, n) == 0 && (co[n] == '\0' || co[n] == '/')) {
            snprintf(err, 256, "is inside the experiment store's artifact folder %.120s; "
                     "write somewhere else", artifact_root);
            return -1;
        }
    }
    return 0;
}
