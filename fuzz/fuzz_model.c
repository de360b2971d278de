/*
 * fuzz_model.c - fuzzes the model file loader (trainer/model_file.h).
 *
 * tr_model_load reads a path, so each input is written to one private temp
 * file (made once per process) and loaded from there. Invariant: a refused file
 * has an error sentence; an accepted one has a sane architecture and metadata.
 * The loader checks the file's FNV-1a 64 checksum, which random mutations
 * almost never keep right, so the first input byte picks a mode: odd = the
 * rest is a file body and the target appends its correct checksum (this is
 * what reaches the parser of the header, metadata and weights); even = the
 * rest is written as it is (checksum and truncation paths).
 */
#include "fuzz/fuzz.h"

#include "trainer/model_file.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char tmp_path[64];

/* FNV-1a 64 over n bytes, as model_file.h specifies the checksum. */
static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void tmp_remove(void)
{
    if (tmp_path[0])
        unlink(tmp_path);
}

/* The private temp file, created on the first call; NULL if that fails. */
static const char *tmp_file(void)
{
    if (tmp_path[0])
        return tmp_path;
    snprintf(tmp_path, sizeof tmp_path, "/tmp/fuzz_model_XXXXXX");
    int fd = mkstemp(tmp_path);
    if (fd < 0) {
        tmp_path[0] = '\0';
        return NULL;
    }
    close(fd);
    atexit(tmp_remove);
    return tmp_path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = tmp_file();
    if (!path)
        return 0;
    if (size == 0)
        return 0;
    int add_checksum = data[0] & 1;
    data++;
    size--;
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    size_t w = fwrite(data, 1, size, f);
    int ok = w == size;
    if (add_checksum) {
        uint64_t h = fnv1a64(data, size);
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (uint8_t)(h >> (8 * i));
        ok = ok && fwrite(le, 1, 8, f) == 8;
    }
    if (fclose(f) != 0 || !ok)
        return 0;
    tr_lstm *m = NULL;
    tr_model_meta meta;
    memset(&meta, 0, sizeof meta);
    char err[256] = "";
    if (tr_model_load(path, 1, 1, &m, &meta, err) != 0) {
        FUZZ_ASSERT(fuzz_err_ok(err));
        FUZZ_ASSERT(m == NULL);
        tr_model_meta_free(&meta);
        return 0;
    }
    FUZZ_ASSERT(m != NULL);
    FUZZ_ASSERT(meta.n_features >= 0);
    for (int i = 0; i < meta.n_features; i++)
        FUZZ_ASSERT(meta.feature_names && meta.feature_names[i]);
    tr_lstm_free(m);
    tr_model_meta_free(&meta);
    return 0;
}
