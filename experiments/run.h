/*
 * run.h - `seqtune run`: one study end to end (DESIGN.md, "One study, end to end").
 *
 * World size 1 (no mpirun): trials run one after another in this process.
 * Under mpirun/srun: rank 0 coordinates (the only one that touches the store and
 * the artifact folder) and ranks 1..N-1 evaluate trials as they are handed out,
 * with no barrier between trials.
 */
#ifndef EXP_RUN_H
#define EXP_RUN_H

typedef struct exp_run_options {
    const char *spec_path;
    const char *db_path;     /* resolved (exp_db_path) */
    int n_trials;            /* 0: the spec's search.n_trials */
    int resume;
    int quiet;
} exp_run_options;

/* Runs the study; returns the process exit code (0 ok, 2 bad input, 3 the study
 * could not run, 130 interrupted). Calls MPI_Init/MPI_Finalize itself when
 * started under an MPI launcher. */
int exp_run_main(const exp_run_options *opt);

#endif
