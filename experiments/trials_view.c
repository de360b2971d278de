/*
 * trials_view.c - `seqtune trials --columns` and its formats (trials_view.h).
 * Each run's params, metric summaries and tags are read once; every column is
 * then a lookup. Patterns are matched with fnmatch(3) against the keys the runs
 * have, in sorted order.
 */
#include "experiments/trials_view.h"
#include "experiments/cli.h"
#include "tracker/export.h"

#include <cjson/cJSON.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- shared output helpers --------------------------------------------------------- */

void exp_csv_field(const char *v)
{
    if (!v)
        return;
    if (!strpbrk(v, ",\"\n\r")) {
        fputs(v, stdout);
        return;
    }
    putchar('"');
    for (; *v; v++) {
        if (*v == '"')
            putchar('"');
        putchar(*v);
    }
    putchar('"');
}

void exp_fmt_time(double t, char out[32])
{
    if (isnan(t)) {
        out[0] = '\0';
        return;
    }
    time_t sec = (time_t)t;
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int exp_cell(const char *text, int w, int right)
{
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        chars += (*p & 0xC0) != 0x80;
    int show = chars > w ? w - 1 : chars, pad = w - (chars > w ? w : chars);
    if (right)
        printf("%*s", pad, "");
    int k = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p & 0xC0) != 0x80 && k++ == show)
            break;
        putchar(*p < 0x20 || *p == 0x7f ? '?' : *p);
    }
    if (chars > w)
        putchar('~');
    if (!right)
        printf("%*s", pad, "");
    return chars > w;
}

struct cJSON *exp_json_number(double v)
{
    return trk_json_number(v);
}

/* ---- columns ------------------------------------------------------------------------ */

typedef enum { C_ATTR, C_PARAM, C_METRIC, C_TAG } col_kind;

static const char *const attr_names[] = {"run_id", "trial_number", "state", "value", "started",
                                         "finished", "duration", "worker", "seed", "error"};
#define N_ATTR ((int)(sizeof attr_names / sizeof attr_names[0]))

typedef struct col {
    col_kind kind;
    int attr;          /* C_ATTR: index in attr_names */
    const char *key;   /* param/metric/tag key (owned by the key lists) */
    char *header;      /* "params.units" etc. */
} col;

/* What one run has, read once. */
typedef struct run_data {
    trk_metric_summary *m;
    int nm;
    trk_kv *t;
    int nt;
} run_data;

typedef struct keyset {
    const char **k;
    int n, cap;
} keyset;

static int keyset_add(keyset *ks, const char *key)
{
    int lo = 0, hi = ks->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2, c = strcmp(ks->k[mid], key);
        if (c == 0)
            return 0;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (ks->n == ks->cap) {
        int cap = ks->cap ? 2 * ks->cap : 16;
        const char **g = realloc(ks->k, sizeof *g * (size_t)cap);
        if (!g)
            return -1;
        ks->k = g;
        ks->cap = cap;
    }
    memmove(ks->k + lo + 1, ks->k + lo, sizeof *ks->k * (size_t)(ks->n - lo));
    ks->k[lo] = key;
    ks->n++;
    return 0;
}

typedef struct view {
    const trk_run_list *l;
    run_data *d;
    keyset keys[4];    /* by col_kind; [C_ATTR] unused */
    col *c;
    int n, cap;
} view;

static int add_col(view *v, col_kind kind, int attr, const char *key, const char *prefix)
{
    if (v->n == v->cap) {
        int cap = v->cap ? 2 * v->cap : 32;
        col *g = realloc(v->c, sizeof *g * (size_t)cap);
        if (!g)
            return -1;
        v->c = g;
        v->cap = cap;
    }
    size_t len = strlen(prefix) + (key ? strlen(key) : strlen(attr_names[attr])) + 1;
    char *h = malloc(len);
    if (!h)
        return -1;
    snprintf(h, len, "%s%s", prefix, key ? key : attr_names[attr]);
    v->c[v->n++] = (col){kind, attr, key, h};
    return 0;
}

/* Expands one --columns item into columns; TRK_EINVAL with err for an unknown one. */
static int expand(view *v, const char *item, char err[256])
{
    static const char *const prefixes[] = {NULL, "params.", "metrics.", "tags."};
    for (int a = 0; a < N_ATTR; a++)
        if (strcmp(item, attr_names[a]) == 0 ||
            (strncmp(item, "attributes.", 11) == 0 && strcmp(item + 11, attr_names[a]) == 0))
            return add_col(v, C_ATTR, a, NULL, "");
    for (int k = C_PARAM; k <= C_TAG; k++) {
        size_t pl = strlen(prefixes[k]);
        if (strncmp(item, prefixes[k], pl) != 0)
            continue;
        const char *pat = item + pl;
        int glob = strpbrk(pat, "*?[") != NULL, found = 0;
        const keyset *ks = &v->keys[k];
        for (int i = 0; i < ks->n; i++)
            if (glob ? fnmatch(pat, ks->k[i], 0) == 0 : strcmp(pat, ks->k[i]) == 0) {
                if (add_col(v, (col_kind)k, 0, ks->k[i], prefixes[k]))
                    return TRK_ERR;
                found = 1;
            }
        if (found || glob)
            return 0;
        char known[160] = "";
        size_t len = 0;
        for (int i = 0; i < ks->n && len < sizeof known; i++) {
            int w = snprintf(known + len, sizeof known - len, "%s%s%s", i ? ", " : "",
                             prefixes[k], ks->k[i]);
            len += w > 0 ? (size_t)w : 0;
        }
        if (len >= sizeof known)
            memcpy(known + sizeof known - 5, "...", 4);
        snprintf(err, 256, "unknown column '%.60s' (known: %s)", item, ks->n ? known : "none");
        return TRK_EINVAL;
    }
    snprintf(err, 256, "unknown column '%.60s' (attributes: run_id, trial_number, state, value, "
             "started, finished, duration, worker, seed, error; or params.*, metrics.*, tags.*)",
             item);
    return TRK_EINVAL;
}

/* One cell: its text (NULL when missing) in buf, *num set for numbers (NaN
 * otherwise), *exact set for integers that JSON must print exactly. */
static const char *cell_value(const view *v, int r, const col *c, int csv, char buf[64],
                              double *num, int *exact)
{
    const trk_run *run = &v->l->runs[r];
    const run_data *d = &v->d[r];
    *num = NAN;
    *exact = 0;
    switch (c->kind) {
    case C_ATTR:
        switch (c->attr) {
        case 0: *exact = 1; snprintf(buf, 64, "%lld", (long long)run->id); return buf;
        case 1: *exact = 1; snprintf(buf, 64, "%d", run->trial_number); return buf;
        case 2: return trk_state_name(run->state);
        case 3: *num = run->value; break;
        case 4: exp_fmt_time(run->started, buf); return buf[0] ? buf : NULL;
        case 5: exp_fmt_time(run->finished, buf); return buf[0] ? buf : NULL;
        case 6: *num = run->finished - run->started; break;
        case 7: *exact = 1; snprintf(buf, 64, "%d", run->worker); return buf;
        case 8: *exact = 1; snprintf(buf, 64, "%lld", (long long)run->seed); return buf;
        default: return run->error;
        }
        break;
    case C_PARAM:
        for (int i = 0; i < run->n_params; i++)
            if (strcmp(run->params[i].key, c->key) == 0) {
                *num = run->params[i].num;
                return run->params[i].value;
            }
        return NULL;
    case C_METRIC:
        for (int i = 0; i < d->nm; i++)
            if (strcmp(d->m[i].key, c->key) == 0)
                *num = d->m[i].last;
        break;
    case C_TAG:
        for (int i = 0; i < d->nt; i++)
            if (strcmp(d->t[i].key, c->key) == 0)
                return d->t[i].value;
        return NULL;
    }
    if (isnan(*num))
        return NULL;
    /* shortest text that reads back as the same double (csv keeps %.17g) */
    if (!csv)
        for (int p = 6; p <= 17; p++) {
            snprintf(buf, 64, "%.*g", p, *num);
            if (strtod(buf, NULL) == *num)
                return buf;
        }
    snprintf(buf, 64, "%.17g", *num);
    return buf;
}

static void print_table(const view *v)
{
    int *w = calloc((size_t)v->n, sizeof *w), cut = 0;
    char buf[64];
    double num;
    int exact;
    for (int j = 0; w && j < v->n; j++) {
        w[j] = (int)strlen(v->c[j].header);
        for (int r = 0; r < v->l->n; r++) {
            const char *t = cell_value(v, r, &v->c[j], 0, buf, &num, &exact);
            int len = t ? (int)strlen(t) : 1;
            if (len > w[j])
                w[j] = len;
        }
        w[j] = w[j] < 3 ? 3 : w[j] > 24 ? 24 : w[j];
    }
    for (int j = 0; w && j < v->n; j++) {
        if (j)
            putchar(' ');
        cut += exp_cell(v->c[j].header, w[j], 0);
    }
    putchar('\n');
    for (int r = 0; w && r < v->l->n; r++) {
        for (int j = 0; j < v->n; j++) {
            const char *t = cell_value(v, r, &v->c[j], 0, buf, &num, &exact);
            if (j)
                putchar(' ');
            cut += exp_cell(t ? t : "-", w[j], !isnan(num) || exact);
        }
        putchar('\n');
    }
    if (cut)
        printf("(%d value(s) shortened with '~' to fit: --format csv, json or markdown "
               "show every value in full)\n", cut);
    free(w);
}

static void print_csv(const view *v)
{
    char buf[64];
    double num;
    int exact;
    for (int j = 0; j < v->n; j++) {
        if (j)
            putchar(',');
        exp_csv_field(v->c[j].header);
    }
    putchar('\n');
    for (int r = 0; r < v->l->n; r++) {
        for (int j = 0; j < v->n; j++) {
            if (j)
                putchar(',');
            exp_csv_field(cell_value(v, r, &v->c[j], 1, buf, &num, &exact));
        }
        putchar('\n');
    }
}

/* A Markdown table cell: '|' and '\' escaped, line breaks as <br>, never cut. */
static void md_cell(const char *t)
{
    putchar(' ');
    for (; t && *t; t++) {
        if (*t == '|' || *t == '\\')
            putchar('\\');
        if (*t == '\n')
            fputs("<br>", stdout);
        else if (*t != '\r')
            putchar(*t);
    }
    fputs(" |", stdout);
}

static void print_markdown(const view *v)
{
    char buf[64];
    double num;
    int exact;
    putchar('|');
    for (int j = 0; j < v->n; j++)
        md_cell(v->c[j].header);
    fputs("\n|", stdout);
    for (int j = 0; j < v->n; j++) {
        int right = v->c[j].kind == C_METRIC || (v->c[j].kind == C_ATTR && v->c[j].attr != 2 &&
                                                 v->c[j].attr != 4 && v->c[j].attr != 5 &&
                                                 v->c[j].attr != 9);
        fputs(right ? " ---: |" : " --- |", stdout);
    }
    putchar('\n');
    for (int r = 0; r < v->l->n; r++) {
        putchar('|');
        for (int j = 0; j < v->n; j++) {
            const char *t = cell_value(v, r, &v->c[j], 0, buf, &num, &exact);
            md_cell(t ? t : "");
        }
        putchar('\n');
    }
}

static void print_json(const view *v)
{
    char buf[64];
    double num;
    int exact;
    cJSON *arr = cJSON_CreateArray();
    for (int r = 0; r < v->l->n; r++) {
        cJSON *o = cJSON_CreateObject();
        for (int j = 0; j < v->n; j++) {
            const char *t = cell_value(v, r, &v->c[j], 0, buf, &num, &exact);
            cJSON *x = !t       ? cJSON_CreateNull()
                       : exact  ? cJSON_CreateRaw(t) /* int64 seeds stay exact */
                       : !isnan(num) && isfinite(num) ? exp_json_number(num)
                                                      : cJSON_CreateString(t);
            cJSON_AddItemToObject(o, v->c[j].header, x);
        }
        cJSON_AddItemToArray(arr, o);
    }
    char *text = cJSON_Print(arr);
    if (text)
        puts(text);
    free(text);
    cJSON_Delete(arr);
}

int exp_trials_view(trk_store *s, const trk_run_list *l, const char *columns, int fmt,
                    char err[256])
{
    view v = {0};
    v.l = l;
    err[0] = '\0';
    int rc = 0;
    char *list = strdup(columns ? columns : EXP_TRIALS_ALL);
    v.d = calloc((size_t)(l->n ? l->n : 1), sizeof *v.d);
    if (!list || !v.d) {
        snprintf(err, 256, "out of memory");
        rc = TRK_ERR;
        goto out;
    }
    for (int r = 0; r < l->n && !rc; r++) {
        if ((rc = trk_metric_summaries(s, l->runs[r].id, &v.d[r].m, &v.d[r].nm, err)) ||
            (rc = trk_run_tags(s, l->runs[r].id, &v.d[r].t, &v.d[r].nt, err)))
            break;
        for (int i = 0; i < l->runs[r].n_params && !rc; i++)
            rc = keyset_add(&v.keys[C_PARAM], l->runs[r].params[i].key);
        for (int i = 0; i < v.d[r].nm && !rc; i++)
            rc = keyset_add(&v.keys[C_METRIC], v.d[r].m[i].key);
        for (int i = 0; i < v.d[r].nt && !rc; i++)
            rc = keyset_add(&v.keys[C_TAG], v.d[r].t[i].key);
        if (rc == -1 && !err[0])
            snprintf(err, 256, "out of memory");
    }
    for (char *save = NULL, *item = strtok_r(list, ",", &save); item && !rc;
         item = strtok_r(NULL, ",", &save)) {
        while (*item == ' ')
            item++;
        size_t n = strlen(item);
        while (n && item[n - 1] == ' ')
            item[--n] = '\0';
        if (n)
            rc = expand(&v, item, err);
    }
    if (!rc && v.n == 0) {
        snprintf(err, 256, "no columns to show");
        rc = TRK_EINVAL;
    }
    if (!rc) {
        if (fmt == EXP_FMT_CSV)
            print_csv(&v);
        else if (fmt == EXP_FMT_JSON)
            print_json(&v);
        else if (fmt == EXP_FMT_MARKDOWN)
            print_markdown(&v);
        else
            print_table(&v);
    }
out:
    for (int r = 0; v.d && r < l->n; r++) {
        trk_metric_summaries_free(v.d[r].m, v.d[r].nm);
        trk_kv_free(v.d[r].t, v.d[r].nt);
    }
    for (int j = 0; j < v.n; j++)
        free(v.c[j].header);
    for (int k = 0; k < 4; k++)
        free(v.keys[k].k);
    free(v.c);
    free(v.d);
    free(list);
    return rc;
}

/* Opens the store read-only; prints the error and returns NULL on failure. */
trk_store *exp_open_store(const char *cmd, const char *opt_db)
{
    char err[256];
    trk_store *s = trk_store_open(exp_db_path(opt_db), TRK_READONLY, err);
    if (!s)
        exp_cli_error(cmd, "%s", err);
    return s;
}

/* A number for a table cell: %.6g, "-" for NaN. */
void exp_fmt_num(double v, char *out, size_t n)
{
    if (isnan(v))
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%.6g", v);
}

/* The text of param `key` of run r, or NULL. */
const char *exp_run_param(const trk_run *r, const char *key)
{
    for (int i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i].key, key) == 0)
            return r->params[i].value;
    return NULL;
}

/* Sorted union of the param keys of a run list; caller frees the array (not the keys). */
const char **exp_param_keys(const trk_run_list *l, int *n)
{
    int cap = 16;
    const char **k = malloc(sizeof *k * (size_t)cap);
    *n = 0;
    for (int i = 0; k && i < l->n; i++)
        for (int p = 0; p < l->runs[i].n_params; p++) {
            const char *key = l->runs[i].params[p].key;
            int j = 0;
            while (j < *n && strcmp(k[j], key) < 0)
                j++;
            if (j < *n && strcmp(k[j], key) == 0)
                continue;
            if (*n == cap) {
                cap *= 2;
                const char **g = realloc(k, sizeof *k * (size_t)cap);
                if (!g) {
                    free(k);
                    return NULL;
                }
                k = g;
            }
            memmove(k + j + 1, k + j, sizeof *k * (size_t)(*n - j));
            k[j] = key;
            (*n)++;
        }
    return k;
}
