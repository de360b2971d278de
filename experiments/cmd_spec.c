/*
 * cmd_spec.c - `seqtune validate SPEC.json`: loads a study spec (spec.h) and
 * prints it back as canonical JSON with every default filled in, or prints all
 * of its errors and exits 2. Nothing else is read or written.
 */
#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/objective_lstm.h"
#include "experiments/spec.h"

#include <stdlib.h>
#include <string.h>

/* Prints every spec error as `seqtune: SPEC: <path>: expected ..., got ...`. */
static void print_errors(const char *spec, const exp_errors *e)
{
    for (int i = 0; i < e->n; i++)
        exp_cli_error(spec, "%s", e->msg[i]);
    int total = e->n + e->dropped;
    exp_cli_error(spec, "%d error%s; the spec was refused", total, total == 1 ? "" : "s");
}

int cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"compact", no_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    int compact = 0, c;
    optind = 1;
    while ((c = exp_cli_getopt(argc, argv, "validate", "hc", opts)) != -1) {
        switch (c) {
        case 'h':
            exp_cli_usage("validate", stdout);
            return EXP_EXIT_OK;
        case 'c':
            compact = 1;
            break;
        default:
            return EXP_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        exp_cli_error("validate", argc - optind == 0 ? "missing SPEC.json (see 'seqtune validate --help')"
                                                   : "expected one SPEC.json (see 'seqtune validate --help')");
        return EXP_EXIT_USAGE;
    }
    const char *path = argv[optind];
    exp_spec spec;
    exp_errors errs = {0};
    if (exp_spec_load(path, &spec, &errs) != 0) {
        print_errors(path, &errs);
        exp_errors_free(&errs);
        return EXP_EXIT_INPUT;
    }
    /* The LSTM objective: the candles load and the folds fit (stderr, so that
     * stdout stays the JSON a script reads). */
    int code = EXP_EXIT_OK;
    if (spec.objective_kind == EXP_OBJECTIVE_LSTM) {
        char err[256];
        exp_data *data = NULL;
        exp_lstm_objective *o = NULL;
        char *layout = NULL;
        if (exp_data_load(&spec, &data, err) != 0) {
            exp_cli_error(spec.data.path, "%s", err);
            code = EXP_EXIT_INPUT;
        } else if (!(o = exp_lstm_objective_new(&spec, data, err)) ||
                   !(layout = exp_lstm_objective_layout(o, err))) {
            exp_cli_error(path, "%s", err);
            code = EXP_EXIT_INPUT;
        } else {
            fputs(layout, stderr);
        }
        free(layout);
        exp_lstm_objective_free(o);
        exp_data_free(data);
    } else {
        /* A builtin function searches exactly its own parameters: what `run`
         * checks before it creates the study. */
        char err[256];
        exp_objective *o = exp_objective_new(&spec, NULL, err);
        if (!o) {
            exp_cli_error(path, "%s", err);
            code = EXP_EXIT_INPUT;
        }
        exp_objective_free(o);
    }
    char *text = code ? NULL : exp_spec_to_string(&spec, !compact);
    exp_spec_free(&spec);
    exp_errors_free(&errs);
    if (code)
        return code;
    if (!text) {
        exp_cli_error("validate", "out of memory");
        return EXP_EXIT_INPUT;
    }
    puts(text);
    free(text);
    return EXP_EXIT_OK;
}
