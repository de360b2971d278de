/*
 * cmd_synth.c - `seqtune synth -o FILE`: writes synthetic candles (trainer/synth.h)
 * in the format of ../shared/data, so a new user's first study needs no download.
 */
#include "experiments/cli.h"
#include "experiments/commands.h"
#include "trainer/synth.h"

#include <gsl/gsl_rng.h>
#include <limits.h>
#include <stdlib.h>

int cmd_synth(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"output", required_argument, NULL, 'o'},
        {"bars", required_argument, NULL, 'n'},
        {"interval", required_argument, NULL, 'i'},
        {"seed", required_argument, NULL, 's'},
        {"start", required_argument, NULL, 'S'},
        {"random-walk", no_argument, NULL, 'R'},
        {"edge", required_argument, NULL, 'E'},
        {NULL, 0, NULL, 0},
    };
    tr_synth_opts o;
    tr_synth_defaults(&o);
    const char *out = NULL;
    long seed = 42, v;
    char err[256];
    int c;
    optind = 1;
    while ((c = exp_cli_getopt(argc, argv, "synth", "ho:n:i:s:RE:", opts)) != -1) {
        switch (c) {
        case 'h':
            exp_cli_usage("synth", stdout);
            return EXP_EXIT_OK;
        case 'o':
            out = optarg;
            break;
        case 'n':
            if (exp_parse_long(optarg, 1, 1000000000L, "synth", "--bars", &v) != 0)
                return EXP_EXIT_USAGE;
            o.bars = v;
            break;
        case 'i':
            if (tr_synth_interval_parse(optarg, &o.interval_s, err) != 0) {
                exp_cli_error("synth", "--interval: %s", err);
                return EXP_EXIT_USAGE;
            }
            break;
        case 's':
            if (exp_parse_long(optarg, 0, LONG_MAX, "synth", "--seed", &seed) != 0)
                return EXP_EXIT_USAGE;
            break;
        case 'S':
            if (exp_parse_long(optarg, 0, 253402300799L, "synth", "--start", &v) != 0)
                return EXP_EXIT_USAGE;
            o.start = v;
            break;
        case 'R':
            o.random_walk = 1;
            break;
        case 'E': {
            char *end = NULL;
            o.edge = strtod(optarg, &end);
            if (end == optarg || *end || !(o.edge >= 0 && o.edge < 1)) {
                exp_cli_error("synth", "--edge: expected a number in [0, 1), got '%s'", optarg);
                return EXP_EXIT_USAGE;
            }
            break;
        }
        default:
            return EXP_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        exp_cli_error("synth", "unexpected argument '%s' (see 'seqtune synth --help')", argv[optind]);
        return EXP_EXIT_USAGE;
    }
    if (!out) {
        exp_cli_error("synth", "missing -o FILE (see 'seqtune synth --help')");
        return EXP_EXIT_USAGE;
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) {
        exp_cli_error("synth", "out of memory");
        return EXP_EXIT_INPUT;
    }
    gsl_rng_set(rng, (unsigned long)seed);
    int rc = tr_synth_write(&o, rng, out, err);
    gsl_rng_free(rng);
    if (rc != 0) {
        exp_cli_error("synth", "%s", err);
        return EXP_EXIT_INPUT;
    }
    return EXP_EXIT_OK;
}
