/*
 * blas.h - which OpenBLAS kernel this process runs on.
 *
 * OpenBLAS 0.3.21 (Debian 12) does not know some newer x86 CPUs and falls back
 * to its generic "Prescott" (SSE3) kernels, about 6x slower at sgemm than the
 * AVX-512 ones on the same machine. OpenBLAS reads OPENBLAS_CORETYPE only when
 * it is loaded, so the fix has to happen before the program starts: main()
 * asks tr_blas_better_coretype() and, when it names a kernel, sets the variable
 * and executes itself again.
 */
#ifndef TR_BLAS_H
#define TR_BLAS_H

/* The OpenBLAS core name in use ("SkylakeX", "Haswell", "Prescott", ...). */
const char *tr_blas_corename(void);

/* The kernel to ask for when OpenBLAS fell back to generic kernels on a CPU
 * that has AVX-512 ("SkylakeX") or AVX2 ("Haswell"); NULL when the detected one
 * is fine or OPENBLAS_CORETYPE is already set. */
const char *tr_blas_better_coretype(void);

/* Executes this program again (argv as given to main) with OPENBLAS_CORETYPE
 * set when tr_blas_better_coretype() names a kernel; returns only when nothing
 * needs doing or the exec failed (then with the kernels OpenBLAS chose). Every
 * program whose numbers are compared with seqtune's calls it first in main, so
 * that both run the same kernels. */
void tr_blas_pick_kernel(char **argv);

#endif
