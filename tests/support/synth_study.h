/*
 * synth_study.h - synthetic report inputs for the report tests and the report
 * benchmark (test and bench support, not part of libseqtune).
 */
#ifndef SEQTUNE_TESTS_SUPPORT_SYNTH_STUDY_H
#define SEQTUNE_TESTS_SUPPORT_SYNTH_STUDY_H

#include "reports/edge.h"
#include "reports/model.h"

/* A deterministic synthetic study: n_trials trials over six params (seq_len,
 * units (log), layers, dropout, learning_rate (log), batch_size (categorical)),
 * where learning_rate dominates the objective; about 20% pruned and 3% failed,
 * 5 folds, a holdout result with equity curves of n_curve points. name and
 * strings are copied. Returns 0, or -1 with err set. */
int rep_study_synth(rep_study *out, const char *name, int n_trials, int n_curve,
                    unsigned long seed, char err[256]);

/* A synthetic verdict block: a verdict with every figure, a full CSCV summary
 * (400 scatter points), n_bars of OOS equity over `folds` folds with `epochs`
 * epochs each, calibration and confusion. NULL when out of memory. Free with
 * rep_edge_free. */
rep_edge *rep_edge_synth(int n_bars, int folds, int epochs, unsigned long seed);

#endif
