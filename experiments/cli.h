/*
 * cli.h - shared helpers for the `seqtune` subcommands.
 *
 * Every subcommand is a `cmd_*` function listed in the table in main.c. A command
 * parses its own options, prints its own usage, and returns an exit code:
 * 0 success, 1 usage error, 2 bad input (DESIGN.md, "The command line").
 * Errors go to stderr as `seqtune: <what>: <why>`.
 */
#ifndef EXP_CLI_H
#define EXP_CLI_H

#include <getopt.h>
#include <stdio.h>

/* Exit codes: 3 = the study could not run to its end (a store or MPI failure),
 * 130 = interrupted by SIGINT/SIGTERM (finished trials are kept; --resume). */
enum { EXP_EXIT_OK = 0, EXP_EXIT_USAGE = 1, EXP_EXIT_INPUT = 2, EXP_EXIT_FAILED = 3,
       EXP_EXIT_INTERRUPTED = 130 };

/* A subcommand: name, entry point, one-line summary, usage text. */
typedef struct exp_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    const char *usage;   /* full --help text, first line "usage: seqtune NAME ..." */
} exp_cmd;

/* The command table (main.c); terminated by an entry whose name is NULL. */
extern const exp_cmd exp_commands[];

/* Looks a command up by name; NULL when there is none. */
const exp_cmd *exp_cmd_find(const char *name);

/* Prints `seqtune: <what>: <why>` to stderr (printf-style why);
 * `seqtune: <why>` when why already names <what> as "<what>:" (a file's own error). */
void exp_cli_error(const char *what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints the usage text of command `name` to `out`. */
void exp_cli_usage(const char *name, FILE *out);

/*
 * getopt_long with seqtune's messages: returns the option character, -1 at the
 * end, or '?' after printing `seqtune: CMD: unknown option '--x'` (with the closest
 * known option as a hint) or a missing-argument message. Commands list
 * {"help", no_argument, NULL, 'h'} in `longopts` and print their usage on 'h'.
 */
int exp_cli_getopt(int argc, char **argv, const char *cmd, const char *shortopts,
                   const struct option *longopts);

/* Levenshtein distance between two short strings (for "did you mean"). */
int exp_edit_distance(const char *a, const char *b);

/* The closest of `n` candidates to `word`, or NULL when none is close (distance
 * more than a third of the word's length, at least 2). */
const char *exp_closest(const char *word, const char *const *candidates, int n);

/* Parses a whole decimal integer in [lo, hi]; -1 with a message naming `what`. */
int exp_parse_long(const char *text, long lo, long hi, const char *cmd,
                   const char *what, long *out);

/* Seconds on CLOCK_MONOTONIC. */
double exp_now(void);

/* The database path: --db value if given, else $SEQTUNE_DB, else ./seqtune.db. */
const char *exp_db_path(const char *opt_db);

#endif
