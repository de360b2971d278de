/*
 * main.c - the `seqtune` command: one table maps each subcommand to its cmd_*
 * function, summary and usage; `--help` and `--version` are generated from it.
 * Exit codes: 0 ok, 1 usage error, 2 bad input.
 */
#include "experiments/cli.h"
#include "experiments/commands.h"

#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>

const exp_cmd exp_commands[] = {
    {"version", cmd_version, "Print the version",
     "usage: seqtune version\n\nPrints seqtune's version.\n"},
    {"validate", cmd_validate, "Check a study spec and print it with defaults filled in",
     "usage: seqtune validate SPEC.json [--compact]\n\n"
     "Loads the study spec, checks every field and prints it back as JSON with every\n"
     "default filled in (the text the store keeps). A bad spec prints all of its\n"
     "errors, one per line as 'JSON.path: expected ..., got ...', and exits 2.\n\n"
     "  --compact   print the JSON on one line\n"
     "  --help      show this text\n"},
    {"synth", cmd_synth, "Write realistic synthetic OHLCV candles",
     "usage: seqtune synth -o FILE [--bars N] [--interval 1h] [--seed S] [--start UNIX]\n\n"
     "Writes synthetic candles (timestamp,open,high,low,close,volume; Unix seconds)\n"
     "with GARCH(1,1) volatility clustering, Student-t shocks, switching drift\n"
     "regimes and intraday volume/volatility seasonality. Same seed, same file.\n\n"
     "  -o, --output FILE   the CSV to write (replaced atomically)\n"
     "  -n, --bars N        number of candles (default 10000)\n"
     "  -i, --interval I    bar length: Ns, Nm, Nh or Nd, e.g. 5m, 1h, 1d (default 1h)\n"
     "  -s, --seed S        random seed (default 42)\n"
     "      --start UNIX    open time of the first bar (default 1577836800, 2020-01-01)\n"
     "  -h, --help          show this text\n"},
    {NULL, NULL, NULL, NULL},
};

static void print_help(FILE *out)
{
    fputs("usage: seqtune [--help] [--version] COMMAND [ARGS]\n\n"
          "Hyperparameter-optimisation studies for LSTM models on market time series.\n\n"
          "Commands:\n", out);
    for (const exp_cmd *c = exp_commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fputs("\nRun 'seqtune COMMAND --help' for a command's options.\n", out);
}

int cmd_version(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        exp_cli_usage("version", stdout);
        return EXP_EXIT_OK;
    }
    if (argc > 1) {
        exp_cli_error("version", "unexpected argument '%s'", argv[1]);
        return EXP_EXIT_USAGE;
    }
    printf("seqtune %s\n", SEQTUNE_VERSION);
    return EXP_EXIT_OK;
}

int main(int argc, char **argv)
{
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
