/*
 * replay.c - the main of the fuzz replay tests: feeds every regular file of the
 * folders (or files) named on the command line to a fuzz target's
 * LLVMFuzzerTestOneInput (fuzz/fuzz_NAME.c compiled with -DFUZZ_REPLAY).
 * A broken invariant aborts, a sanitizer report fails the ASan build (where one
 * allocation above 512 MB is also a failure, as -malloc_limit_mb is for the fuzzer:
 * a small input must not make a loader allocate gigabytes); a folder
 * that does not exist is allowed (no regressions kept yet), but at least one
 * input must have been replayed.
 */
#include "fuzz/fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <gsl/gsl_errno.h>
#include <string.h>
#include <sys/stat.h>

/* ASan's defaults for this program (ASAN_OPTIONS can still override them). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "max_allocation_size_mb=512";
}

/* Replays one file; 0 or -1 when it cannot be read. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "FAIL %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        uint8_t *b = realloc(buf, cap * 2);
        if (!b) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b;
        cap *= 2;
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "FAIL %s: out of memory\n", path);
        return -1;
    }
    /* a copy of exactly n bytes, so ASan sees any read past the input */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file of `dir` in name order; the count or -1. */
static int replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    char **names = NULL;
    int n = 0, cap = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, sizeof *nn * (size_t)cap);
            if (!nn) { rc = -1; break; }
            names = nn;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) { rc = -1; break; }
        n++;
    }
    closedir(d);
    if (rc == 0)
        qsort(names, (size_t)n, sizeof *names, cmp_str);
    int count = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(path) != 0)
                rc = -1;
            else
                count++;
        }
        free(names[i]);
    }
    free(names);
    return rc ? -1 : count;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    int total = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int k;
        if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode))
            k = replay_file(argv[i]) == 0 ? 1 : -1;
        else
            k = replay_dir(argv[i]);
        if (k < 0)
            bad = 1;
        else
            total += k;
        fprintf(stderr, "%s: %d inputs replayed\n", argv[i], k < 0 ? 0 : k);
    }
    if (bad || total == 0) {
        fprintf(stderr, "FAIL: %s\n", bad ? "an input could not be replayed" : "no inputs found");
        return 1;
    }
    fprintf(stderr, "%d inputs replayed, no invariant broken\n", total);
    return 0;
}
