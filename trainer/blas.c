/*
 * blas.c - OpenBLAS kernel detection and the fallback described in blas.h.
 */
#include "trainer/blas.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *tr_blas_corename(void)
{
    const char *n = openblas_get_corename();
    return n ? n : "unknown";
}

const char *tr_blas_better_coretype(void)
{
    if (getenv("OPENBLAS_CORETYPE"))
        return NULL;
    const char *core = tr_blas_corename();
    if (strcmp(core, "Prescott") != 0 && strcmp(core, "Core2") != 0 &&
        strcmp(core, "Katmai") != 0)
        return NULL;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
    return NULL;
}

void tr_blas_pick_kernel(char **argv)
{
    const char *core = tr_blas_better_coretype();
    if (!core || setenv("OPENBLAS_CORETYPE", core, 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    unsetenv("OPENBLAS_CORETYPE");   /* exec failed: go on with the generic kernels */
}
