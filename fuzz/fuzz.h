/*
 * fuzz.h - what every fuzz target in fuzz/ shares.
 *
 * Each fuzz/fuzz_NAME.c defines libFuzzer's entry point LLVMFuzzerTestOneInput.
 * Built with -Dfuzz=true (clang) it is linked with -fsanitize=fuzzer into the
 * fuzzer binary fuzz_NAME; built with -DFUZZ_REPLAY it is linked with
 * tests/fuzz/replay.c into a normal test that feeds it every file of the seed
 * corpus and of fuzz/regressions/NAME/. A target never prints on a refused
 * input; it calls FUZZ_ASSERT on a broken invariant, which aborts (a crash for
 * libFuzzer, a failed test for the replay).
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with the broken invariant named: the fuzzer keeps the input as a crash. */
#define FUZZ_ASSERT(cond) do { if (!(cond)) { \
    fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    abort(); } } while (0)

/* The input as a NUL-terminated string (caller frees); an embedded NUL ends it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < size; i++)
        s[i] = (char)data[i];
    s[size] = '\0';
    return s;
}

/* An error buffer is a sentence: non-empty and NUL-terminated within 256 bytes. */
static inline int fuzz_err_ok(const char err[256])
{
    for (int i = 0; i < 256; i++)
        if (err[i] == '\0')
            return i > 0;
    return 0;
}

#endif
