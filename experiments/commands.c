/*
 * commands.c - the command table: each subcommand's name, entry point, summary
 * and usage text. It lives in the library (not in main.c) so that every cmd_*
 * and the "did you mean" helpers link the same way in tests as in the binary.
 * A command is listed here only once its machinery works.
 */
#include "experiments/cli.h"
#include "experiments/commands.h"

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
    {"studies", cmd_studies, "List the studies in the store", exp_usage_studies},
    {"trials", cmd_trials, "List, filter and order the trials of a study", exp_usage_trials},
    {"compare", cmd_compare, "Compare runs side by side", exp_usage_compare},
    {"export", cmd_export, "Export a study as CSV, JSON or an Optuna storage", exp_usage_export},
    {NULL, NULL, NULL, NULL},
};

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
