/*
 * command.h - an external program as a trial's objective.
 *
 * The worker runs the spec's `objective.command` once per trial: the trial's
 * parameters go to its stdin as one JSON object; every stdout line of the form
 * `STEP VALUE` is an intermediate value (reported for pruning), and the last line
 * that is a single number is the final value. Numbers are decimals (exponents
 * allowed); a line that starts like a number but is not one ("0x10", "1.5abc")
 * fails the trial, other lines are log text. A stdout line over 4096 bytes or
 * more than 100000 step lines fail it too. The program leads its own process
 * group: a prune decision, the per-trial time limit (which holds after it
 * closed its pipes) or a stop request ends the whole group (SIGTERM, then
 * SIGKILL after a grace period), and what is left of the group when the program
 * exits is killed. A non-zero exit or a missing final value is a failure whose
 * message carries the tail of the program's stderr.
 */
#ifndef EXP_COMMAND_H
#define EXP_COMMAND_H

#include <signal.h>

enum { EXP_CMD_COMPLETE = 0, EXP_CMD_PRUNED = 1, EXP_CMD_FAIL = -1 };

/* Called for every `STEP VALUE` line; returns non-zero to prune the trial. */
typedef int (*exp_step_fn)(void *ctx, int step, double value);

/*
 * Runs argv (argv[0] looked up in PATH) with `stdin_text` on its stdin, in
 * folder `cwd` (NULL: the current one; relative program paths resolve there).
 * timeout_s <= 0 means no limit; `stop` (may be NULL) is polled and, once
 * non-zero, terminates the program and fails the trial ("interrupted").
 * Returns EXP_CMD_COMPLETE with *value set, EXP_CMD_PRUNED with *value the last
 * intermediate value and *last_step its step, or EXP_CMD_FAIL with `err` filled.
 */
int exp_command_run(char *const argv[], const char *stdin_text, double timeout_s,
                    const char *cwd, exp_step_fn on_step, void *ctx, volatile sig_atomic_t *stop,
                    double *value, int *last_step, char err[256]);

#endif
