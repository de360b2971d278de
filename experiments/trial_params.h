/*
 * trial_params.h - a trial's parameter values between the optimizer and the
 * rest of the program: the JSON object a worker receives and `ask` prints, the
 * store's params rows, and the values read back from a stored run (resume,
 * warm start, ask/tell).
 *
 * An inactive parameter (its condition fails; NaN in opt_trial_params, see
 * optimizer/space.h) is absent everywhere: no key in the JSON, no params row.
 * Read back, an absent parameter is inactive; a parameter that is active by
 * its condition must have a value.
 */
#ifndef EXP_TRIAL_PARAMS_H
#define EXP_TRIAL_PARAMS_H

#include "optimizer/study.h"
#include "tracker/query.h"
#include "tracker/store.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* The active parameters of p as a JSON object name -> number | string (a
 * string categorical's choice). `exact`: numbers as raw items of the shortest
 * text that reads back to the same double (for printing; cJSON's own printer
 * rounds), else cJSON numbers (for reading in the same process). NULL when out
 * of memory; the caller frees with cJSON_Delete. */
cJSON *exp_trial_params_json(const opt_space *space, const opt_trial_params *p, int exact);

/* Logs the active parameters of p as run_id's params rows (text and number).
 * 0, or -1 with err. */
int exp_trial_params_log(trk_store *store, int64_t run_id, const opt_space *space,
                         const opt_trial_params *p, char err[256]);

/* The values of stored run r in space (number = r's trial number): an absent
 * parameter is inactive (NaN), and so is one whose condition fails here (its
 * stored value is ignored: a study with another space, for the warm start).
 * 0, or -1 with err when an active parameter has no value or a value outside
 * this space. */
int exp_trial_params_from_run(const opt_space *space, const trk_run *r, opt_trial_params *p,
                              char err[256]);

#endif
