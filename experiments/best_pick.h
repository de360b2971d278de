/*
 * best_pick.h - `seqtune best --pick N`: a multi-objective study's trial N of
 * the Pareto front refit, checked once on the holdout and stored as the
 * study's model and result (best_pick.c says how).
 */
#ifndef EXP_BEST_PICK_H
#define EXP_BEST_PICK_H

/* Picks trial `pick` of study `study` in the store at db_path (opened for
 * writing). Returns an exit code after saying what went wrong: 0; 2 for a
 * study without a result, with one objective, a trial not on the front, or
 * other candles than the study's; 3 when the refit failed. */
int exp_best_pick(const char *db_path, const char *study, int pick);

#endif
