/*
 * cmd_compare.c - `seqtune compare RUN RUN...`: runs side by side, their
 * attributes, params (the union of keys) and metrics (last / min / max).
 */
#include "experiments/cli.h"
#include "experiments/commands.h"
#include "experiments/trials_view.h"
#include "tracker/query.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The comparison as rows of one label (kept whole: long metric names show in
 * full) and one cell per run, printed afterwards in blocks of as many runs as fit
 * 80 columns beside the labels. */
typedef struct cmp_table {
    int n;             /* runs */
    int rows, cap;
    char **label;
    char (*cells)[32]; /* rows x n */
} cmp_table;

/* Adds a row (cells[0..n)); with only_diff, rows whose cells are all equal are
 * dropped. -1 when out of memory. */
static int cmp_add(cmp_table *t, const char *label, char cells[][32], int only_diff)
{
    int same = 1;
    for (int i = 1; i < t->n; i++)
        same &= strcmp(cells[i], cells[0]) == 0;
    if (only_diff && same)
        return 0;
    if (t->rows == t->cap) {
        int cap = t->cap ? 2 * t->cap : 32;
        char **l = realloc(t->label, sizeof *l * (size_t)cap);
        if (!l)
            return -1;
        t->label = l;
        char (*c)[32] = realloc(t->cells, sizeof *c * (size_t)cap * (size_t)t->n);
        if (!c)
            return -1;
        t->cells = c;
        t->cap = cap;
    }
    if (!(t->label[t->rows] = strdup(label)))
        return -1;
    memcpy(t->cells[(size_t)t->rows * (size_t)t->n], cells, sizeof cells[0] * (size_t)t->n);
    t->rows++;
    return 0;
}

static void cmp_print(const cmp_table *t, const long *ids, const trk_run *runs,
                      char *const *names)
{
    for (int i = 0; i < t->n; i++) /* which trial of which study each column is, in full */
        printf("run %ld: trial %d of study %s\n", ids[i], runs[i].trial_number, names[i]);
    putchar('\n');
    int lw = 8;
    for (int r = 0; r < t->rows; r++) {
        int chars = 0;
        for (const unsigned char *p = (const unsigned char *)t->label[r]; *p; p++)
            chars += (*p & 0xC0) != 0x80;
        if (chars > lw)
            lw = chars;
    }
    int w = 10;
    for (int r = 0; r < t->rows * t->n; r++)
        if ((int)strlen(t->cells[r]) > w)
            w = (int)strlen(t->cells[r]);
    if (w > 14)
        w = 14;
    int per = (80 - lw) / (w + 1);
    if (per < 1)
        per = 1;
    for (int b = 0; b < t->n; b += per) {
        int e = b + per < t->n ? b + per : t->n;
        if (b > 0)
            putchar('\n');
        exp_cell("", lw, 0);
        for (int i = b; i < e; i++) {
            char h[32];
            snprintf(h, sizeof h, "run %ld #%d", ids[i], runs[i].trial_number);
            putchar(' ');
            exp_cell(h, w, 1);
        }
        putchar('\n');
        for (int r = 0; r < t->rows; r++) {
            exp_cell(t->label[r], lw, 0);
            for (int i = b; i < e; i++) {
                putchar(' ');
                exp_cell(t->cells[(size_t)r * (size_t)t->n + (size_t)i], w, 1);
            }
            putchar('\n');
        }
    }
}

/* compare's options and run ids: -1 to go on, else the exit code. */
static int cmp_args(int argc, char **argv, const char **db, int *only_diff, long ids[64], int *n)
{
    static const struct option lo[] = {
        {"only-diff", no_argument, NULL, 'x'},
        {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = exp_cli_getopt(argc, argv, "compare", "h", lo)) != -1) {
        if (c == 'h') {
            exp_cli_usage("compare", stdout);
            return EXP_EXIT_OK;
        } else if (c == 'x') {
            *only_diff = 1;
        } else if (c == 'd') {
            *db = optarg;
        } else {
            return EXP_EXIT_USAGE;
        }
    }
    *n = argc - optind;
    if (*n < 2) {
        exp_cli_error("compare", "needs at least two run ids (see 'seqtune compare --help')");
        return EXP_EXIT_USAGE;
    }
    if (*n > 64) {
        exp_cli_error("compare", "at most 64 runs at once, got %d", *n);
        return EXP_EXIT_USAGE;
    }
    for (int i = 0; i < *n; i++)
        if (exp_parse_long(argv[optind + i], 1, 1L << 62, "compare", "RUN", &ids[i]))
            return EXP_EXIT_USAGE;
    return -1;
}

/* The metrics rows: the union of keys in first-seen order, last / min / max
 * each. -1 when out of memory. */
static int cmp_metric_rows(cmp_table *t, trk_metric_summary *const *ms, const int *nms,
                           char (*cells)[32], int only_diff)
{
    static const char *const what[] = {"last", "min", "max"};
    int n = t->n, oom = 0;
    for (int i = 0; i < n; i++)
        for (int m = 0; m < nms[i]; m++) {
            const char *key = ms[i][m].key;
            int seen = 0;
            for (int j = 0; j < i && !seen; j++)
                for (int q = 0; q < nms[j] && !seen; q++)
                    seen = strcmp(ms[j][q].key, key) == 0;
            if (seen)
                continue;
            for (int stat = 0; stat < 3; stat++) {
                char label[600];
                snprintf(label, sizeof label, "metrics.%s %s", key, what[stat]);
                for (int j = 0; j < n; j++) {
                    snprintf(cells[j], 32, "-");
                    for (int q = 0; q < nms[j]; q++)
                        if (strcmp(ms[j][q].key, key) == 0)
                            exp_fmt_num(stat == 0 ? ms[j][q].last : stat == 1 ? ms[j][q].min
                                                                          : ms[j][q].max,
                                    cells[j], 32);
                }
                oom |= cmp_add(t, label, cells, only_diff);
            }
        }
    return oom ? -1 : 0;
}

/* Every row of the table: the run's attributes, its params (the union of keys
 * in sorted order, from *keys, which the caller frees) and its metrics. -1
 * when out of memory. */
static int cmp_rows(cmp_table *t, trk_run *runs, char *const *names,
                    trk_metric_summary *const *ms, const int *nms, char (*cells)[32],
                    int only_diff, const char ***keys)
{
    int n = t->n, oom = 0;
#define ROW(label, ...) do { for (int i_ = 0; i_ < n; i_++) snprintf(cells[i_], 32, __VA_ARGS__); \
    oom |= cmp_add(t, label, cells, only_diff); } while (0)
    ROW("study", "%s", names[i_]);
    ROW("trial", "%d", runs[i_].trial_number);
    ROW("state", "%s", trk_state_name(runs[i_].state));
    for (int i = 0; i < n; i++)
        exp_fmt_num(runs[i].value, cells[i], 32);
    oom |= cmp_add(t, "value", cells, only_diff);
    ROW("worker", "%d", runs[i_].worker);
    ROW("seed", "%lld", (long long)runs[i_].seed);
#undef ROW
    trk_run_list all = {runs, n};
    int nk = 0;
    *keys = exp_param_keys(&all, &nk);
    for (int k = 0; k < nk; k++) {
        char label[600];
        snprintf(label, sizeof label, "params.%s", (*keys)[k]);
        for (int i = 0; i < n; i++) {
            const char *v = exp_run_param(&runs[i], (*keys)[k]);
            snprintf(cells[i], 32, "%s", v ? v : "-");
        }
        oom |= cmp_add(t, label, cells, only_diff);
    }
    return oom | cmp_metric_rows(t, ms, nms, cells, only_diff) ? -1 : 0;
}

int cmd_compare(int argc, char **argv)
{
    const char *db = NULL;
    int only_diff = 0, n = 0;
    long ids[64];
    int arc = cmp_args(argc, argv, &db, &only_diff, ids, &n);
    if (arc >= 0)
        return arc;
    trk_store *s = exp_open_store("compare", db);
    if (!s)
        return EXP_EXIT_INPUT;
    char err[256], (*cells)[32] = calloc((size_t)n, 32);
    trk_run *runs = calloc((size_t)n, sizeof *runs);
    trk_metric_summary **ms = calloc((size_t)n, sizeof *ms);
    int *nms = calloc((size_t)n, sizeof *nms), got = 0, rc = EXP_EXIT_INPUT;
    cmp_table t = {n, 0, 0, NULL, NULL};
    trk_study_info *studies = NULL;
    int n_studies = 0;
    char *names[64];
    const char **keys = NULL;
    if (!cells || !runs || !ms || !nms) {
        exp_cli_error("compare", "out of memory");
        goto out;
    }
    if (trk_studies_list(s, &studies, &n_studies, err) != 0) {
        exp_cli_error("compare", "%s", err);
        goto out;
    }
    for (; got < n; got++) {
        if (trk_run_get(s, ids[got], &runs[got], err) != 0 ||
            trk_metric_summaries(s, ids[got], &ms[got], &nms[got], err) != 0) {
            exp_cli_error("compare", "%s", err);
            got++;
            goto out;
        }
        names[got] = "?";
        for (int k = 0; k < n_studies; k++)
            if (studies[k].id == runs[got].study_id)
                names[got] = studies[k].name;
    }
    if (cmp_rows(&t, runs, names, ms, nms, cells, only_diff, &keys) < 0) {
        exp_cli_error("compare", "out of memory");
        goto out;
    }
    cmp_print(&t, ids, runs, names);
    rc = EXP_EXIT_OK;
out:
    for (int i = 0; i < got; i++) {
        trk_run_clear(&runs[i]);
        trk_metric_summaries_free(ms[i], nms[i]);
    }
    free(keys);
    for (int r = 0; r < t.rows; r++)
        free(t.label[r]);
    trk_studies_free(studies, n_studies);
    free(t.label);
    free(t.cells);
    free(cells);
    free(runs);
    free(ms);
    free(nms);
    trk_store_close(s);
    return rc;
}

