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
     "usage: seqtune synth -o FILE [--bars N] [--interval 1h] [--seed S] [--start UNIX]\n"
     "                     [--random-walk] [--edge X]\n\n"
     "Writes synthetic candles (timestamp,open,high,low,close,volume; Unix seconds)\n"
     "with GARCH(1,1) volatility clustering, Student-t shocks, switching drift\n"
     "regimes and intraday volume/volatility seasonality. Same seed, same file.\n\n"
     "  -o, --output FILE   the CSV to write (replaced atomically)\n"
     "  -n, --bars N        number of candles (default 10000)\n"
     "  -i, --interval I    bar length: Ns, Nm, Nh or Nd, e.g. 5m, 1h, 1d (default 1h)\n"
     "  -s, --seed S        random seed (default 42)\n"
     "      --start UNIX    open time of the first bar (default 1577836800, 2020-01-01)\n"
     "      --random-walk   i.i.d. Gaussian returns instead: no drift, no volatility\n"
     "                      clustering, volume independent of price (nothing to predict)\n"
     "      --edge X        a known predictable part of strength X in [0, 1): each\n"
     "                      shock leans toward the sign of the last return (correlation X)\n"
     "  -h, --help          show this text\n"},
    {"studies", cmd_studies, "List the studies in the store", exp_usage_studies},
    {"trials", cmd_trials, "List, filter and order the trials of a study", exp_usage_trials},
    {"compare", cmd_compare, "Compare runs side by side", exp_usage_compare},
    {"export", cmd_export, "Export a study as CSV, JSON or an Optuna storage", exp_usage_export},
    {"run", cmd_run, "Run or resume a study (under mpirun: rank 0 coordinates, the rest train)",
     "usage: seqtune run SPEC.json [--db FILE] [--trials N] [--resume] [--quiet]\n\n"
     "Runs the study the spec describes until search.n_trials trials have finished\n"
     "(COMPLETE, PRUNED or FAIL) or search.timeout_s has passed, then refits the best\n"
     "trial on all data before the holdout, evaluates it once on the holdout and\n"
     "stores the result and the model. Without an MPI launcher the trials run one\n"
     "after another in this process; under `mpirun -np N` (or `srun --mpi=pmix`)\n"
     "rank 0 coordinates and ranks 1..N-1 train, one trial each at a time.\n\n"
     "  --db FILE     the store (default $SEQTUNE_DB, then ./seqtune.db)\n"
     "  --trials N    run N trials in all instead of search.n_trials\n"
     "  --resume      continue a study whose job stopped; its running trials become\n"
     "                FAIL (lost) and the optimizer is rebuilt from the store\n"
     "  --quiet       no progress output and no summary\n"
     "  --help        show this text\n\n"
     "Exit codes: 0 done, 1 usage, 2 bad spec/data/store, 3 the study failed\n"
     "(every trial failed, a worker stopped answering, the store failed), 130\n"
     "interrupted (SIGINT/SIGTERM: finished trials are kept; use --resume).\n"
     "A store locked by another program is waited for $SEQTUNE_LOCK_WAIT_S s (60).\n"},
    {"best", cmd_best, "Show the chosen trial, its holdout result, and export its model",
     "usage: seqtune best --study NAME [--export MODEL_FILE] [--require-edge] [--importance]\n"
     "                    [--pick TRIAL] [--format table|json] [--db FILE]\n\n"
     "Opens with the verdict: edge or no edge after accounting for the search (the\n"
     "Deflated Sharpe Ratio over every evaluated trial, and a Diebold-Mariano test of\n"
     "the holdout loss against no skill), with the reasons, the LSTM-vs-linear test\n"
     "and the PBO. Then the best trial of a finished study with its parameters and\n"
     "the result of the single holdout evaluation (next to buy-and-hold). --export\n"
     "writes the refit model (checked against its recorded sha256) for `seqtune predict`.\n\n"
     "  --require-edge       exit 4 when the verdict is no edge (or the study has none)\n"
     "  --importance         also the permutation importance of each input feature\n"
     "                       (loss increase, mean and sd over 5 seeded permutations, on\n"
     "                       the walk-forward test spans, never the holdout); the JSON\n"
     "                       always holds it as \"permutation_importance\"\n"
     "  --study NAME         the study\n"
     "  --pick TRIAL         a multi-objective study (search.metrics) lists its Pareto\n"
     "                       front and has no best trial: refit TRIAL of the front,\n"
     "                       check it once on the holdout and make it the study's model\n"
     "                       (writes the store; again with another trial replaces it)\n"
     "  --export FILE        write the model file there (replaced atomically)\n"
     "  --format table|json  output format (default table)\n"
     "  --db FILE            the store (default $SEQTUNE_DB, then ./seqtune.db)\n"
     "  --help               show this text\n"},
    {"predict", cmd_predict, "Signals from a saved model on new candles",
     "usage: seqtune predict --model MODEL_FILE|MODEL@ALIAS|MODEL@VERSION --data CANDLES.csv\n"
     "                       [-o SIGNALS.csv] [--long P] [--short P] [--db FILE]\n\n"
     "Recomputes the model's features on the candles, scales them with the statistics\n"
     "stored in the model (never refit on new data) and writes one line per bar with a\n"
     "full window: timestamp, probability (or predicted_return), signal (long if above\n"
     "--long, short if below --short, else flat) and confidence (|2p-1|, or |return|).\n\n"
     "  --model FILE      a model from `seqtune best --export`, or a registered\n"
     "                    version MODEL@ALIAS / MODEL@VERSION (checked against its\n"
     "                    sha256; the version used goes to SIGNALS.csv.model.json)\n"
     "  --db FILE         the store of a registered model (default $SEQTUNE_DB, then\n"
     "                    ./seqtune.db)\n"
     "  --data FILE       candles (canonical, Binance kline or ISO-date CSV);\n"
     "                    '-' reads them from standard input (a pipe or FIFO)\n"
     "  -o, --output FILE the CSV to write (default: standard output)\n"
     "  --long P          long threshold (default 0.55; 0 for a return model)\n"
     "  --short P         short threshold (default 0.45; 0 for a return model)\n"
     "  --help            show this text\n"},
    {"report", cmd_report, "Write a self-contained HTML report of one or more studies",
     "usage: seqtune report --study NAME [--study NAME...] -o REPORT.html [--db FILE]\n"
     "       seqtune report --ab ID -o AB.html [--db FILE]\n"
     "       seqtune report --model MODEL -o MODEL.html [--db FILE]\n\n"
     "Writes one HTML file that reads offline (inline CSS and SVG, no network): summary,\n"
     "best trial with its holdout result next to buy-and-hold and the baselines,\n"
     "optimisation history, parameter importance, slices, parallel coordinates,\n"
     "per-fold learning curves, every trial, and the spec. Several --study options\n"
     "add a side-by-side comparison and a view of how their specs differ.\n\n"
     "  --study NAME     a study (repeat for a comparison, at most 16)\n"
     "  --ab ID          one A/B comparison (`seqtune ab --history`): both equity\n"
     "                   curves, the loss difference over time, the verdict\n"
     "  --model MODEL    a registered model's history: versions, alias moves, A/B results\n"
     "  -o, --output F   the HTML file to write (replaced atomically)\n"
     "  --db FILE        the store (default $SEQTUNE_DB, then ./seqtune.db)\n"
     "  --help           show this text\n"},
    {"study", cmd_study, "Delete, rename, tag or annotate a study", exp_usage_study},
    {"tag", cmd_tag, "Set or remove user tags on a run", exp_usage_tag},
    {"serve", cmd_serve, "Serve a live read-only dashboard (HTML + JSON) over the store", exp_usage_serve},
    {"ask", cmd_ask, "Ask the study's sampler for a trial (ask/tell from outside)", exp_usage_ask},
    {"tell", cmd_tell, "Report a trial's value, pruning or failure (ask/tell)", exp_usage_tell},
    {"register", cmd_register, "Register a study's model as a new version in the model registry",
     exp_usage_register},
    {"models", cmd_models, "List registered models, their versions and aliases", exp_usage_models},
    {"alias", cmd_alias, "Point an alias (champion, challenger, ...) at a model version",
     exp_usage_alias},
    {"ab", cmd_ab, "Compare two models on new candles (Diebold-Mariano, bootstrap Sharpe)",
     exp_usage_ab},
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
