/*
 * split.c - walk-forward folds with purge and embargo (see split.h).
 */
#include "trainer/split.h"

#include "trainer/candles.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tr_split_free(tr_split *s)
{
    for (int k = 0; s->folds && k < s->n_folds; k++)
        tr_fold_free(&s->folds[k]);
    free(s->folds);
    free(s->holdout);
    memset(s, 0, sizeof *s);
}

/* The kept window ends of span [a, b) whose labels end before `limit`
 * (e + horizon + embargo < limit). *out is malloc'd (at least 1 element). */
static int collect(const tr_split_config *cfg, const float *y, const int *segment, int a, int b,
                   int limit, int **out, int *n)
{
    *n = 0;
    *out = malloc((size_t)(b > a ? b - a : 1) * sizeof **out);
    if (!*out)
        return -1;
    for (int e = a; e < b; e++) {
        if (e < cfg->seq_len - 1 || !isfinite(y[e]))
            continue;
        if ((long)e + cfg->horizon + cfg->embargo >= limit)
            continue;
        if (segment && !cfg->keep_gap_windows && segment[e] != segment[e - cfg->seq_len + 1])
            continue;
        (*out)[(*n)++] = e;
    }
    return 0;
}

int tr_split_make(const tr_split_config *cfg, int rows, const float *y, const int *segment,
                  tr_split *s, char err[256])
{
    memset(s, 0, sizeof *s);
    if (cfg->folds < 1) {
        snprintf(err, 256, "validation.folds: expected a whole number >= 1, got %d", cfg->folds);
        return -1;
    }
    if (!(cfg->val_fraction >= 0 && cfg->val_fraction < 1)) {
        snprintf(err, 256, "validation.val_fraction: expected a number in [0, 1), got %g",
                 cfg->val_fraction);
        return -1;
    }
    if (!(cfg->holdout_fraction >= 0 && cfg->holdout_fraction < 1)) {
        snprintf(err, 256, "validation.holdout_fraction: expected a number in [0, 1), got %g",
                 cfg->holdout_fraction);
        return -1;
    }
    if (cfg->embargo < 0 || cfg->seq_len < 1 || cfg->horizon < 1) {
        snprintf(err, 256, "%s", cfg->embargo < 0 ? "validation.embargo: expected >= 0"
                                 : cfg->seq_len < 1 ? "seq_len: expected >= 1"
                                                    : "target.horizon: expected >= 1");
        return -1;
    }
    int H = rows - (int)lround(cfg->holdout_fraction * rows);
    int T = H / (cfg->folds + 1);
    int first_len = H - cfg->folds * T;
    if (T < 1) {
        snprintf(err, 256, "validation.folds: %d folds need at least %d search rows, there are %d",
                 cfg->folds, cfg->folds + 1, H);
        return -1;
    }
    s->rows = rows;
    s->holdout_begin = H;
    s->folds = calloc((size_t)cfg->folds, sizeof *s->folds);
    if (!s->folds)
        goto oom;
    s->n_folds = cfg->folds;
    for (int k = 0; k < cfg->folds; k++) {
        tr_fold *f = &s->folds[k];
        f->test_begin = first_len + k * T;
        f->test_end = f->test_begin + T;
        f->train_begin = cfg->rolling ? f->test_begin - first_len : 0;
        int train_len = f->test_begin - f->train_begin;
        int val_len = (int)lround(cfg->val_fraction * train_len);
        f->val_end = f->test_begin;
        f->val_begin = f->train_end = f->val_end - val_len;
        if (collect(cfg, y, segment, f->train_begin, f->train_end, f->train_end, &f->train,
                    &f->n_train) < 0 ||
            collect(cfg, y, segment, f->val_begin, f->val_end, f->val_end, &f->val,
                    &f->n_val) < 0 ||
            collect(cfg, y, segment, f->test_begin, f->test_end, f->test_end, &f->test,
                    &f->n_test) < 0)
            goto oom;
    }
    if (collect(cfg, y, segment, H, rows, rows + cfg->horizon + cfg->embargo, &s->holdout,
                &s->n_holdout) < 0)
        goto oom;
    return 0;
oom:
    snprintf(err, 256, "out of memory splitting %d rows", rows);
    tr_split_free(s);
    return -1;
}

void tr_fold_free(tr_fold *f)
{
    free(f->train);
    free(f->val);
    free(f->test);
    memset(f, 0, sizeof *f);
}

int tr_split_final_fold(const tr_split_config *cfg, const tr_split *s, const float *y,
                        const int *segment, tr_fold *f, char err[256])
{
    memset(f, 0, sizeof *f);
    int H = s->holdout_begin;
    f->train_begin = 0;
    f->val_end = f->test_begin = H;
    f->val_begin = f->train_end = H - (int)lround(cfg->val_fraction * H);
    f->test_end = s->rows;
    if (collect(cfg, y, segment, f->train_begin, f->train_end, f->train_end, &f->train,
                &f->n_train) < 0 ||
        collect(cfg, y, segment, f->val_begin, f->val_end, f->val_end, &f->val, &f->n_val) < 0 ||
        collect(cfg, y, segment, f->test_begin, f->test_end,
                f->test_end + cfg->horizon + cfg->embargo, &f->test, &f->n_test) < 0) {
        snprintf(err, 256, "out of memory for the final fold");
        goto fail;
    }
    if (f->n_train < 1 || f->n_test < 1) {
        snprintf(err, 256, "validation.holdout_fraction: the final fold has %d training and %d "
                 "holdout samples", f->n_train, f->n_test);
        goto fail;
    }
    return 0;
fail:
    tr_fold_free(f);
    return -1;
}

int tr_split_check(const tr_split *s, char err[256])
{
    for (int k = 0; k < s->n_folds; k++) {
        const tr_fold *f = &s->folds[k];
        if (f->n_train < 1 || f->n_test < 1) {
            snprintf(err, 256, "validation: fold %d has %d training and %d test samples; use "
                     "fewer folds or a shorter seq_len (%d rows in all)", k, f->n_train,
                     f->n_test, s->rows);
            return -1;
        }
    }
    return 0;
}

/* Appends one formatted line to a growing buffer; returns -1 when out of memory. */
static int append(char **buf, size_t *len, size_t *cap, const char *line)
{
    size_t l = strlen(line);
    if (*len + l + 1 > *cap) {
        size_t nc = (*cap + l + 1) * 2;
        char *nb = realloc(*buf, nc);
        if (!nb)
            return -1;
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, line, l + 1);
    *len += l;
    return 0;
}

static void span_line(char *line, size_t cap, const char *label, int a, int b, int samples,
                      const int64_t *ts)
{
    if (b <= a) {
        snprintf(line, cap, "  %-8s (empty)\n", label);
        return;
    }
    char d0[32], d1[32];
    if (ts) {
        tr_format_time(ts[a], d0);
        tr_format_time(ts[b - 1], d1);
    } else {
        snprintf(d0, sizeof d0, "row %d", a);
        snprintf(d1, sizeof d1, "row %d", b - 1);
    }
    snprintf(line, cap, "  %-8s %s .. %s  %6d rows  %6d samples\n", label, d0, d1, b - a,
             samples);
}

char *tr_split_describe(const tr_split *s, const int64_t *ts)
{
    char *buf = NULL, line[256];
    size_t len = 0, cap = 0;
    snprintf(line, sizeof line, "%d rows: %d for the search in %d folds, %d holdout\n", s->rows,
             s->holdout_begin, s->n_folds, s->rows - s->holdout_begin);
    if (append(&buf, &len, &cap, line) < 0)
        goto fail;
    for (int k = 0; k < s->n_folds; k++) {
        const tr_fold *f = &s->folds[k];
        snprintf(line, sizeof line, "fold %d\n", k);
        if (append(&buf, &len, &cap, line) < 0)
            goto fail;
        span_line(line, sizeof line, "train", f->train_begin, f->train_end, f->n_train, ts);
        if (append(&buf, &len, &cap, line) < 0)
            goto fail;
        span_line(line, sizeof line, "val", f->val_begin, f->val_end, f->n_val, ts);
        if (append(&buf, &len, &cap, line) < 0)
            goto fail;
        span_line(line, sizeof line, "test", f->test_begin, f->test_end, f->n_test, ts);
        if (append(&buf, &len, &cap, line) < 0)
            goto fail;
    }
    span_line(line, sizeof line, "holdout", s->holdout_begin, s->rows, s->n_holdout, ts);
    if (append(&buf, &len, &cap, line) < 0)
        goto fail;
    return buf;
fail:
    free(buf);
    return NULL;
}
