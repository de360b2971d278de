/*
 * edge.h - the glue between a study and trainer/selection.h: the per-fold
 * out-of-sample series on their way from the trainer (JSON, over MPI like every
 * report) to the store (tracker/oos.h), the paired tests and diagnostics of the
 * holdout, and the verdict the study's result carries ("Selection as a
 * decision", DESIGN.md).
 */
#ifndef EXP_EDGE_H
#define EXP_EDGE_H

#include "experiments/spec.h"
#include "tracker/store.h"
#include "trainer/trial.h"

#include <cjson/cJSON.h>
#include <stdio.h>

/* Exit code of `best --require-edge` when the verdict is no edge. */
#define EXP_EXIT_NO_EDGE 4

/* A fold's series as {"row0", "t0", "t1", "ret": [...], "pred": [...]} (NaN
 * predictions as null). The caller frees with cJSON_Delete; NULL without bars. */
cJSON *exp_edge_oos_json(const tr_fold_curves *cv);

/* Stores extra["oos"] (when present) as fold `fold` of run `run_id`. 0, or a
 * negative TRK_E* code with err. */
int exp_edge_oos_store(trk_store *s, int64_t run_id, int fold, const cJSON *extra,
                       char err[256]);

/* Adds to the holdout result r: "dm_noskill" and "dm_linear" (Diebold-Mariano
 * of the per-sample loss: log loss for direction and multiclass, squared error
 * for return and price, in price units; see tr_fold_curves for the baselines),
 * and "calibration" (10 bins and the Brier score) and "confusion" for
 * direction (2 x 2 at p >= 0.5: tp, fp, tn, fn) and multiclass (top-class
 * reliability; "matrix" K x K, rows actual, columns the argmax, "classes"). */
void exp_edge_holdout_tests(const tr_fold_curves *cv, tr_target_kind kind, cJSON *r);

/* The no-skill baseline's name for a target kind: "majority class",
 * "class frequencies" (multiclass) or "persistence" (return, price). */
const char *exp_edge_noskill_name(tr_target_kind kind);

/* The number of trials that evaluated at least one fold and their annualised
 * Sharpe ratios (*sharpes, caller frees; NULL on error with err). */
double *exp_edge_trial_sharpes(trk_store *s, int64_t study_id, int *n, char err[256]);

/* Adds "pbo" (the CSCV summary, or null) and "verdict" to the study's result r
 * (which holds the holdout figures). 0, or -1 with err on a store error. */
int exp_edge_verdict(trk_store *s, int64_t study_id, const exp_spec *spec, cJSON *r,
                     char err[256]);

/* Prints the result's verdict block ("verdict: edge" / "verdict: no edge" and
 * its reasons, then the PBO figures); nothing when the result has none.
 * Returns 1 for edge, 0 for no edge, -1 when there is no verdict. */
int exp_edge_print_verdict(FILE *out, const cJSON *result);

#endif
