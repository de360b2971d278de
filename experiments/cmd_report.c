/*
 * cmd_report.c - `seqtune report --study NAME [--study NAME...] -o REPORT.html`:
 * one self-contained HTML file (reports/) from the store, for one study or a
 * comparison of several; `report --ab ID` (one A/B comparison) and `report --model
 * NAME` (a registered model's history) write the registry's pages (reports/ab.h).
 */
#include "experiments/cli.h"
#include "experiments/outpath.h"
#include "experiments/commands.h"
#include "reports/ab.h"
#include "reports/load.h"
#include "reports/report.h"
#include "tracker/store.h"

#include <stdlib.h>
#include <string.h>

#define MAX_STUDIES 16

/* `report --ab ID` / `report --model NAME`. */
static int registry_page(const char *db, long ab_id, const char *model, const char *out)
{
    char err[256];
    const char *path = exp_db_path(db);
    trk_store *s = trk_store_open(path, TRK_READONLY, err);
    if (!s) {
        exp_cli_error(path, "%s", err);
        return EXP_EXIT_INPUT;
    }
    int code = EXP_EXIT_INPUT;
    if (exp_output_not_store(out, path, trk_store_artifact_root(s), err))
        exp_cli_error(out, "%s", err);
    else if (rep_registry_write_html(s, ab_id, model, out, err))
        exp_cli_error(model ? model : "--ab", "%s", err);
    else {
        fprintf(stderr, "seqtune: report: %s written to %s\n",
                model ? "model history" : "A/B comparison", out);
        code = EXP_EXIT_OK;
    }
    trk_store_close(s);
    return code;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"study", required_argument, NULL, 's'}, {"output", required_argument, NULL, 'o'},
        {"db", required_argument, NULL, 'd'},    {"help", no_argument, NULL, 'h'},
        {"ab", required_argument, NULL, 'a'},    {"model", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    const char *names[MAX_STUDIES], *out = NULL, *db = NULL, *model = NULL;
    int n = 0, c;
    long ab_id = 0;
    while ((c = exp_cli_getopt(argc, argv, "report", "s:o:d:h", opts)) != -1) {
        switch (c) {
        case 's':
            if (n == MAX_STUDIES) {
                exp_cli_error("report", "at most %d studies in one report", MAX_STUDIES);
                return EXP_EXIT_USAGE;
            }
            names[n++] = optarg;
            break;
        case 'o': out = optarg; break;
        case 'a':
            if (exp_parse_long(optarg, 1, 2147483647L, "report", "--ab", &ab_id))
                return EXP_EXIT_USAGE;
            break;
        case 'm': model = optarg; break;
        case 'd': db = optarg; break;
        case 'h': exp_cli_usage("report", stdout); return EXP_EXIT_OK;
        default: return EXP_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        exp_cli_error("report", "unexpected argument '%s'", argv[optind]);
        return EXP_EXIT_USAGE;
    }
    if ((ab_id || model) && out && n == 0 && !(ab_id && model))
        return registry_page(db, ab_id, model, out);
    if (n == 0 || !out) {
        exp_cli_error("report", "--study NAME and -o REPORT.html are required "
                      "(see 'seqtune report --help')");
        return EXP_EXIT_USAGE;
    }
    char err[256];
    const char *path = exp_db_path(db);
    trk_store *s = trk_store_open(path, TRK_READONLY, err);
    if (!s) {
        exp_cli_error(path, "%s", err);
        return EXP_EXIT_INPUT;
    }
    rep_study studies[MAX_STUDIES];
    int loaded = 0, code = EXP_EXIT_INPUT;
    if (exp_output_not_store(out, path, trk_store_artifact_root(s), err)) {
        exp_cli_error(out, "%s", err);
        trk_store_close(s);
        return EXP_EXIT_INPUT;
    }
    for (; loaded < n; loaded++) {
        if (rep_study_load(s, names[loaded], &studies[loaded], err)) {
            exp_cli_error(names[loaded], "%s", err);
            rep_study_free(&studies[loaded]);
            goto done;
        }
    }
    double t0 = exp_now();
    if (rep_write_html(studies, n, out, err)) {
        exp_cli_error(out, "%s", err);
        goto done;
    }
    fprintf(stderr, "seqtune: report: %d stud%s written to %s in %.0f ms\n", n,
            n == 1 ? "y" : "ies", out, 1000 * (exp_now() - t0));
    code = EXP_EXIT_OK;
done:
    for (int i = 0; i < loaded; i++)
        rep_study_free(&studies[i]);
    trk_store_close(s);
    return code;
}
