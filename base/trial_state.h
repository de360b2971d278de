/*
 * trial_state.h - the one trial state of the project. The optimizer's trials
 * (optimizer/study.h), the store's runs (tracker/store.h, the `state` column of
 * `runs`) and the reports' trials (reports/model.h) are all this enum; the old
 * per-folder names (OPT_COMPLETE, TRK_COMPLETE, REP_COMPLETE, opt_state,
 * trk_state, rep_state) are aliases of it, so no folder converts between states.
 *
 * The lifecycle, drawn here and nowhere else:
 *
 *          opt_ask / trk_run_start
 *                  │
 *                  ▼
 *   ┌────────── RUNNING ──opt_report(step, value)* (the pruner may answer "stop")
 *   │              │
 *   │              ├─ opt_tell / trk_run_finish ──► COMPLETE  value = the objective (finite)
 *   │              ├─ opt_tell / trk_run_finish ──► PRUNED    value = the last reported value or NaN
 *   │              └─ opt_tell / trk_run_finish ──► FAIL      value NaN, error text (store)
 *   │
 *   └─ trk_study_fail_running ("lost", "interrupted") ──► FAIL
 *
 * Invariants: (1) a trial leaves RUNNING exactly once and never comes back;
 * (2) COMPLETE, PRUNED and FAIL are final; (3) only RUNNING trials take
 * intermediate values; (4) samplers ignore FAIL trials and see RUNNING ones
 * (constant liar, duplicate avoidance).
 *
 * The text form ("RUNNING", "COMPLETE", "PRUNED", "FAIL") is the store's column
 * value and the filter language's literal.
 */
#ifndef BASE_TRIAL_STATE_H
#define BASE_TRIAL_STATE_H

typedef enum { TRIAL_RUNNING = 0, TRIAL_COMPLETE, TRIAL_PRUNED, TRIAL_FAIL } trial_state;

#define TRIAL_N_STATES 4

/* "RUNNING", "COMPLETE", "PRUNED", "FAIL"; "?" for a value out of range. */
const char *trial_state_name(trial_state s);

/* The state spelled `name` (exact upper case, or any case when `any_case`);
 * -1 when there is none. */
int trial_state_parse(const char *name, int any_case);

/* 1 when a trial may go from state `from` to state `to` (RUNNING to one of the
 * final states), else 0. */
static inline int trial_state_can_move(trial_state from, trial_state to)
{
    return from == TRIAL_RUNNING && to != TRIAL_RUNNING && (unsigned)to < TRIAL_N_STATES;
}

#endif
