/*
 * edge.h - the report's verdict block and out-of-sample diagnostics (issue 15):
 * edge or no edge with its reasons, the CSCV picture (IS vs OOS Sharpe of the
 * in-sample winner, the logit histogram), and for the best trial its
 * walk-forward out-of-sample equity over every test span next to buy-and-hold,
 * its drawdown, the per-epoch train/validation loss of each fold, and the
 * holdout's reliability diagram (Brier score) and confusion matrix.
 *
 * Everything is read from the store (the study's result JSON, tracker/oos.h,
 * the metric histories) by rep_edge_load; rep_edge_section renders it with the
 * chart module (svg.h), offline and in one file like the rest of the report.
 */
#ifndef REP_EDGE_H
#define REP_EDGE_H

#include "reports/buf.h"
#include "tracker/store.h"

typedef struct rep_edge rep_edge;

/* Loads what the sections need for the study `study_id` whose result is
 * `result_json` and whose best run is `best_run` (0: none). *out is NULL when
 * the result has no verdict. Returns 0, or -1 with err on a store error. The
 * caller frees *out with rep_edge_free. */
int rep_edge_load(trk_store *store, int64_t study_id, int64_t best_run, const char *result_json,
                  rep_edge **out, char err[256]);
void rep_edge_free(rep_edge *e);
/* The study's result JSON the sections read (owned by e). */
const struct cJSON *rep_edge_result(const rep_edge *e);

/* The verdict section (id "verdict", "verdict-<k>" for the k-th study) and the
 * diagnostics section ("oos"); nothing when e is NULL. name is escaped. */
void rep_edge_section(rep_buf *b, const rep_edge *e, const char *name, int k);


#endif
