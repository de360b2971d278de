/*
 * trials_predictions.h - `seqtune trials --with-predictions`: the stored
 * per-bar out-of-sample series (tracker/oos.h) of the selected trials, one row
 * per bar: run_id, trial_number, fold (-1 the holdout, when stored), row (the
 * candle row), time (the bar's open time, unix seconds), prediction (the
 * traded signal; empty/null for a bar without a window), bar_return (the
 * realised close-to-close return of the bar held) and strategy_return (the
 * model's net return of the bar). Values are the stored float32 numbers,
 * printed so that they read back exactly.
 */
#ifndef EXP_TRIALS_PREDICTIONS_H
#define EXP_TRIALS_PREDICTIONS_H

#include "tracker/query.h"

/* Prints the series of the runs `l` of study `study_id` in format fmt
 * (EXP_FMT_TABLE, EXP_FMT_CSV or EXP_FMT_JSON, trials_view.h). JSON: an array
 * of {"run_id", "trial_number", "state", "folds": [{"fold", "row0", "n", "t0",
 * "t1", "row": [...], "time": [...], "prediction": [...], "bar_return": [...],
 * "strategy_return": [...]}]}. 0, or a negative TRK_E* code with err. */
int exp_trials_predictions(trk_store *s, int64_t study_id, const trk_run_list *l, int fmt,
                           char err[256]);

#endif
