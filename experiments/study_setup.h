/*
 * study_setup.h - the optimizer of a stored study, built as `seqtune run` builds
 * it (search space, sampler and pruner from the spec, the study's sampler seed,
 * every stored trial replayed), for the ask/tell commands (cmd_asktell.c).
 * Implemented beside the runner in run.c.
 */
#ifndef EXP_STUDY_SETUP_H
#define EXP_STUDY_SETUP_H

#include "experiments/spec.h"
#include "optimizer/study.h"
#include "tracker/store.h"

#include <stdint.h>

/* Builds *space and *opt (the caller frees both: opt_study_free, opt_space_free,
 * also on failure) and the study's seed, recording it as the sampler_seed tag when
 * new. 0, or -1 with err. */
int exp_study_setup(const exp_spec *spec, trk_store *store, int64_t study_id,
                    opt_space **space, opt_study **opt, uint64_t *seed, char err[256]);

/* The seed of trial `number` (the runner's per-trial seed). */
uint64_t exp_trial_seed(uint64_t study_seed, int number);

#endif
