/*
 * cmd_run.c - `seqtune run SPEC.json [--db FILE] [--trials N] [--resume] [--quiet]`.
 */
#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/run.h"

#include <limits.h>

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"trials", required_argument, NULL, 'n'},
        {"resume", no_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    exp_run_options o = {0};
    const char *db = NULL;
    int c;
    while ((c = exp_cli_getopt(argc, argv, "run", "d:n:rqh", opts)) != -1) {
        long v;
        switch (c) {
        case 'd': db = optarg; break;
        case 'n':
            if (exp_parse_long(optarg, 1, INT_MAX, "run", "--trials", &v))
                return EXP_EXIT_USAGE;
            o.n_trials = (int)v;
            break;
        case 'r': o.resume = 1; break;
        case 'q': o.quiet = 1; break;
        case 'h': exp_cli_usage("run", stdout); return EXP_EXIT_OK;
        default: return EXP_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        exp_cli_error("run", "missing SPEC.json (see 'seqtune run --help')");
        return EXP_EXIT_USAGE;
    }
    if (optind < argc - 1) {
        exp_cli_error("run", "one SPEC.json expected, got '%s' too", argv[optind + 1]);
        return EXP_EXIT_USAGE;
    }
    o.spec_path = argv[optind];
    o.db_path = exp_db_path(db);
    return exp_run_main(&o);
}
