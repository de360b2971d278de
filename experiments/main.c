/*
 * main.c - the `seqtune` command: dispatches argv[1] through the command table
 * (commands.c); `--help` and `--version` are generated from it.
 * Exit codes: 0 ok, 1 usage error, 2 bad input.
 */
#include "experiments/cli.h"
#include "experiments/commands.h"
#include "trainer/blas.h"

#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static void print_help(FILE *out)
{
    fputs("usage: seqtune [--help] [--version] COMMAND [ARGS]\n\n"
          "Hyperparameter-optimisation studies for LSTM models on market time series.\n\n"
          "Commands:\n", out);
    for (const exp_cmd *c = exp_commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fputs("\nRun 'seqtune COMMAND --help' for a command's options.\n", out);
}


int main(int argc, char **argv)
{
    tr_blas_pick_kernel(argv);
    gsl_set_error_handler_off();
    if (argc < 2) {
        print_help(stderr);
        return EXP_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc > 2 && strcmp(argv[1], "help") == 0 && exp_cmd_find(argv[2])) {
            exp_cli_usage(argv[2], stdout);
            return EXP_EXIT_OK;
        }
        print_help(stdout);
        return EXP_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
        return cmd_version(1, argv + 1);
    const exp_cmd *c = exp_cmd_find(argv[1]);
    if (!c) {
        const char *names[64];
        int n = 0;
        for (const exp_cmd *k = exp_commands; k->name && n < 64; k++)
            names[n++] = k->name;
        const char *hint = exp_closest(argv[1], names, n);
        if (argv[1][0] == '-')
            exp_cli_error(argv[1], "unknown option (see 'seqtune --help')");
        else if (hint)
            exp_cli_error(argv[1], "unknown command (did you mean '%s'?)", hint);
        else
            exp_cli_error(argv[1], "unknown command (see 'seqtune --help')");
        return EXP_EXIT_USAGE;
    }
    return c->fn(argc - 1, argv + 1);
}
