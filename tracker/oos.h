/*
 * oos.h - the per-trial out-of-sample series: for every walk-forward fold of a
 * trial, the net strategy return and the model's prediction (probability or
 * predicted value) of each test bar, and buy-and-hold's return over the same bar
 * (for the report's comparison), as float32 blobs (12 bytes a bar), in the table
 *
 *   oos_series(run_id, fold, row0, n, t0, t1, ret BLOB, pred BLOB, bh BLOB)
 *
 * row0 is the candle row of the fold's first bar (bars are consecutive rows, so
 * the series of different trials line up by row); t0 and t1 are the open times
 * of the first bar and of the bar after the last. A prediction of NaN marks a
 * bar without a window (the strategy stays flat there). The table is created on
 * the first write, so stores of older seqtunes read as having no series; it
 * goes with its run (ON DELETE CASCADE). Documented query:
 *
 *   SELECT r.trial_number, o.fold, o.row0, o.n, o.ret, o.pred, o.bh
 *     FROM oos_series o JOIN runs r ON r.id = o.run_id WHERE r.study_id = ?;
 */
#ifndef TRK_OOS_H
#define TRK_OOS_H

#include "tracker/store.h"

typedef struct trk_oos {
    int64_t run_id;
    int trial_number;
    int state;             /* trk_state of the run */
    int fold, row0, n;
    int64_t t0, t1;
    float *ret, *pred, *bh;   /* (n) each; owned by the list */
} trk_oos;

/* Stores (replaces) fold `fold` of run `run_id`: n bars from candle row row0.
 * Returns 0 or a negative TRK_E* code with err. */
int trk_oos_put(trk_store *s, int64_t run_id, int fold, int row0, int64_t t0, int64_t t1,
                int n, const float *ret, const float *pred, const float *bh, char err[256]);

/* Every stored series of the study's runs (run_id > 0: that run only), ordered
 * by trial number and fold. *out (caller frees with trk_oos_free) may be NULL
 * with *n 0. Returns 0 or a negative TRK_E* code with err. */
int trk_oos_query(trk_store *s, int64_t study_id, int64_t run_id, trk_oos **out, int *n,
                  char err[256]);
void trk_oos_free(trk_oos *l, int n);

/* The run's series for exports: an array of {"fold", "row0", "n", "t0", "t1",
 * "ret": [...], "pred": [...], "bh": [...]} (NaN as null), or NULL with err.
 * The caller frees it with cJSON_Delete (cJSON as in tracker/export.h). */
struct cJSON *trk_oos_json(trk_store *s, int64_t study_id, int64_t run_id, char err[256]);

#endif
