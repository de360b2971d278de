/*
 * objectives.h - a study's objectives and the per-objective values of its runs
 * (schema step 4). Every study that `seqtune run` or `ask` creates records its
 * objectives: one row (the search.metric and direction) for a single-objective
 * study, 2..TRK_MAX_OBJECTIVES for a multi-objective one (search.metrics). A
 * multi-objective study's COMPLETE runs have one value per objective in
 * `run_values`; `runs.value` keeps objective 0, so every reader of runs.value
 * (filters, orderings, exports, the report's history) sees the first objective.
 *
 * Tables: study_objectives(study_id, objective, name, direction) and
 * run_values(run_id, objective, value), both deleted with their study or run.
 * The migration to step 4 gives every existing study its one objective (the
 * spec's search.metric, else "value", and the study's direction).
 */
#ifndef TRK_OBJECTIVES_H
#define TRK_OBJECTIVES_H

#include "tracker/store.h"

#define TRK_MAX_OBJECTIVES 4

/* The SQL of schema step 4 (store.c runs it); NULL for another version. */
const char *trk_objectives_schema_step(int version);

/*
 * Records the study's n objectives (1..TRK_MAX_OBJECTIVES; names and directions
 * "minimize" | "maximize"). A study that has none yet gets them; one that has
 * them must have the same ones (a resumed study: TRK_EINVAL with err naming
 * both lists, nothing changed).
 */
int trk_study_set_objectives(trk_store *s, int64_t study_id, int n, const char *const *names,
                             const char *const *directions, char err[256]);

typedef struct trk_objective {
    char *name;
    int maximize;   /* 0 minimize, 1 maximize */
} trk_objective;

/* The study's objectives in index order (*n 0 when it has none recorded).
 * Caller frees with trk_objectives_free. */
int trk_study_objectives(trk_store *s, int64_t study_id, trk_objective **out, int *n,
                         char err[256]);
void trk_objectives_free(trk_objective *o, int n);

/* Stores (replaces) the n values of a run's objectives 0..n-1 (NaN as NULL),
 * in one transaction (a savepoint inside a batch). */
int trk_run_set_values(trk_store *s, int64_t run_id, const double *values, int n,
                       char err[256]);

/* One run's objective values: v[k] for objective k < n (NaN when missing). */
typedef struct trk_run_values {
    int64_t run_id;
    int trial_number;
    int n;
    double v[TRK_MAX_OBJECTIVES];
} trk_run_values;

/* One run's values (out->n 0 when it has none). */
int trk_run_values_get(trk_store *s, int64_t run_id, trk_run_values *out, char err[256]);

/* Every run of the study that has objective values, by trial number. Caller
 * free()s *out (NULL when none). */
int trk_study_run_values(trk_store *s, int64_t study_id, trk_run_values **out, int *n,
                         char err[256]);

#endif
