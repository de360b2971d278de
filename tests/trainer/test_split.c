/*
 * test_split.c - walk-forward layout and purge (leakage test d): on synthetic
 * rows and on the real 1h candles, for every fold, both window kinds, with and
 * without embargo and for horizons 1 and 3: spans are ordered and tile the
 * search rows, every kept sample satisfies the rules of split.h, every sample
 * that satisfies them is kept, and no training/validation label time reaches
 * the next span. Also the gap rule and the rendered layout.
 */
#include "tests/check.h"
#include "trainer/candles.h"
#include "trainer/features.h"
#include "trainer/labels.h"
#include "trainer/split.h"

static int expected_count(const tr_split_config *cfg, const float *y, const int *seg, int a,
                          int b, int limit)
{
    int n = 0;
    for (int e = a; e < b; e++)
        n += e >= cfg->seq_len - 1 && !isnan(y[e]) && e + cfg->horizon + cfg->embargo < limit &&
             (!seg || cfg->keep_gap_windows || seg[e] == seg[e - cfg->seq_len + 1]);
    return n;
}

/* Checks one span's samples against the rule; ts (optional) = time of each row. */
static int check_span(const tr_split_config *cfg, const int *ends, int n, int a, int b,
                      int next_begin, const float *y, const int64_t *ts, int rows)
{
    int bad = 0;
    for (int i = 0; i < n; i++) {
        int e = ends[i];
        bad += e < a || e >= b || (i > 0 && e <= ends[i - 1]) || e < cfg->seq_len - 1 ||
               isnan(y[e]);
        bad += e + cfg->horizon + cfg->embargo >= next_begin;
        /* label time (close of bar e + horizon) before the next span's first bar */
        if (ts && next_begin < rows)
            bad += ts[e + cfg->horizon] >= ts[next_begin];
    }
    return bad;
}

static void check_layout(const tr_split_config *cfg, int rows, const float *y, const int *seg,
                         const int64_t *ts)
{
    tr_split s;
    char err[256];
    int rc = tr_split_make(cfg, rows, y, seg, &s, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        rc = tr_split_check(&s, err);
        CHECK_MSG(rc == 0, "%s", err);
        if (rc)
            tr_split_free(&s);
    }
    if (rc)
        return;
    int H = s.holdout_begin;
    CHECK_INT(H, rows - (int)lround(cfg->holdout_fraction * rows));
    CHECK_INT(s.folds[cfg->folds - 1].test_end, H);
    for (int k = 0; k < s.n_folds; k++) {
        tr_fold *f = &s.folds[k];
        CHECK(f->train_begin >= 0 && f->train_begin < f->train_end);
        CHECK(f->train_end == f->val_begin && f->val_end == f->test_begin &&
              f->test_begin < f->test_end);
        if (k > 0) {
            CHECK_INT(f->test_begin, s.folds[k - 1].test_end);
            CHECK_INT(f->test_end - f->test_begin, s.folds[0].test_end - s.folds[0].test_begin);
        }
        if (cfg->rolling)
            CHECK_INT(f->test_begin - f->train_begin, s.folds[0].test_begin);
        else
            CHECK_INT(f->train_begin, 0);
        CHECK_INT(f->val_end - f->val_begin,
                  (int)lround(cfg->val_fraction * (f->test_begin - f->train_begin)));
        int bad = check_span(cfg, f->train, f->n_train, f->train_begin, f->train_end,
                             f->val_begin == f->val_end ? f->test_begin : f->val_begin, y, ts,
                             rows) +
                  check_span(cfg, f->val, f->n_val, f->val_begin, f->val_end, f->test_begin, y,
                             ts, rows) +
                  check_span(cfg, f->test, f->n_test, f->test_begin, f->test_end, f->test_end,
                             y, ts, rows);
        CHECK_MSG(bad == 0, "fold %d (%s, embargo %d, horizon %d): %d samples break the rule", k,
                  cfg->rolling ? "rolling" : "expanding", cfg->embargo, cfg->horizon, bad);
        CHECK_INT(f->n_train, expected_count(cfg, y, seg, f->train_begin, f->train_end,
                                             f->train_end));
        CHECK_INT(f->n_val, expected_count(cfg, y, seg, f->val_begin, f->val_end, f->val_end));
        CHECK_INT(f->n_test, expected_count(cfg, y, seg, f->test_begin, f->test_end,
                                            f->test_end));
    }
    for (int i = 0; i < s.n_holdout; i++)
        CHECK(s.holdout[i] >= H && !isnan(y[s.holdout[i]]));
    /* The final fold: train on the search rows, test on exactly the holdout windows. */
    tr_fold f;
    if (cfg->holdout_fraction > 0) {
        rc = tr_split_final_fold(cfg, &s, y, seg, &f, err);
        CHECK_MSG(rc == 0, "%s", err);
        if (rc == 0) {
            CHECK_INT(f.val_end, H);
            CHECK_INT(f.test_begin, H);
            CHECK_INT(f.test_end, rows);
            CHECK(f.n_test == s.n_holdout &&
                  memcmp(f.test, s.holdout, (size_t)f.n_test * sizeof(int)) == 0);
            CHECK_INT(check_span(cfg, f.train, f.n_train, 0, f.train_end,
                                 f.val_begin == f.val_end ? H : f.val_begin, y, ts, rows), 0);
            CHECK_INT(check_span(cfg, f.val, f.n_val, f.val_begin, f.val_end, H, y, ts, rows), 0);
            CHECK_INT(f.n_train, expected_count(cfg, y, seg, 0, f.train_end, f.train_end));
            tr_fold_free(&f);
        }
    }
    tr_split_free(&s);
}

static void test_synthetic(void)
{
    enum { R = 1000 };
    float y[R];
    int seg[R];
    for (int i = 0; i < R; i++) {
        y[i] = (i % 7 == 3) ? NAN : (float)(i % 2);
        seg[i] = i < 400 ? 0 : i < 401 ? 1 : 2;
    }
    for (int h = 1; h <= 3; h += 2)
        for (int roll = 0; roll < 2; roll++)
            for (int emb = 0; emb <= 5; emb += 5)
                for (int gaps = 0; gaps < 2; gaps++) {
                    tr_split_config cfg = {4, roll, 0.15, 0.15, emb, 10, h, gaps};
                    check_layout(&cfg, R, y, seg, NULL);
                }
    /* A gap at row 400: windows of 10 rows ending at 400..409 cross it. */
    tr_split_config cfg = {1, 0, 0.0, 0.0, 0, 10, 1, 0};
    tr_split s;
    char err[256];
    CHECK(tr_split_make(&cfg, R, y, seg, &s, err) == 0);
    CHECK_INT(s.folds[0].train_end, 500);
    for (int i = 0; i < s.folds[0].n_train; i++)
        CHECK(s.folds[0].train[i] < 400 || s.folds[0].train[i] >= 410);
    int n_drop = s.folds[0].n_train;
    tr_split_free(&s);
    cfg.keep_gap_windows = 1;
    CHECK(tr_split_make(&cfg, R, y, seg, &s, err) == 0);
    CHECK_INT(s.folds[0].n_train - n_drop, 10 - 2);   /* rows 402 and 409 have NaN labels */
    /* The rendered layout. */
    char *txt = tr_split_describe(&s, NULL);
    CHECK_STR_CONTAINS(txt, "fold 0");
    CHECK_STR_CONTAINS(txt, "row 500 .. row 999");
    CHECK_STR_CONTAINS(txt, "holdout  (empty)");
    free(txt);
    tr_split_free(&s);

    /* Boundaries and bad configs. */
    cfg = (tr_split_config){3, 0, 0.2, 0.1, 0, 1, 1, 0};
    CHECK(tr_split_make(&cfg, 3, y, NULL, &s, err) < 0);
    CHECK_STR_CONTAINS(err, "validation.folds: 3 folds need at least 4 search rows");
    CHECK(tr_split_make(&cfg, 6, y, NULL, &s, err) == 0);
    CHECK(tr_split_check(&s, err) < 0);
    CHECK_STR_CONTAINS(err, "fold 0 has");
    tr_split_free(&s);
    cfg.folds = 0;
    CHECK(tr_split_make(&cfg, R, y, NULL, &s, err) < 0);
    CHECK_STR_CONTAINS(err, "validation.folds");
    cfg = (tr_split_config){2, 0, 1.5, 0.1, 0, 1, 1, 0};
    CHECK(tr_split_make(&cfg, R, y, NULL, &s, err) < 0);
    CHECK_STR_CONTAINS(err, "validation.val_fraction");
    cfg = (tr_split_config){2, 0, 0.1, 0.1, 0, 400, 1, 0};
    CHECK(tr_split_make(&cfg, R, y, NULL, &s, err) == 0);
    CHECK(tr_split_check(&s, err) < 0);
    CHECK_STR_CONTAINS(err, "fold 0 has 0 training");
    tr_split_free(&s);
}

static void test_real(const char *dir)
{
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/btcusdt_binance_1h_2021-10-01_2022-10-31.csv", dir);
    tr_candles c;
    int rc = tr_candles_load(path, &c, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc)
        return;
    const char *names[] = {"log_return", "rsi:14", "macd:12:26:9"};
    tr_feature_matrix m;
    CHECK(tr_features_compute(&c, names, 3, &m, err) == 0);
    float *y = malloc((size_t)m.rows * sizeof *y);
    for (int h = 1; h <= 3; h += 2) {
        tr_label_spec ls = {TR_TARGET_DIRECTION, h, 0.0, 0};
        CHECK(tr_labels_make(&c, m.first, m.rows, &ls, y, err) == 0);
        for (int roll = 0; roll < 2; roll++)
            for (int emb = 0; emb <= 24; emb += 24) {
                tr_split_config cfg = {5, roll, 0.15, 0.15, emb, 48, h, 0};
                check_layout(&cfg, m.rows, y, c.segment + m.first, c.ts + m.first);
            }
    }
    tr_split_config cfg = {5, 0, 0.15, 0.15, 0, 48, 1, 0};
    tr_split s;
    CHECK(tr_split_make(&cfg, m.rows, y, c.segment + m.first, &s, err) == 0);
    char *txt = tr_split_describe(&s, c.ts + m.first);
    CHECK_STR_CONTAINS(txt, "9479 rows: 8057 for the search in 5 folds, 1422 holdout");
    CHECK_STR_CONTAINS(txt, "2022-10-31 23:00");
    CHECK_STR_CONTAINS(txt, "fold 4");
    free(txt);
    tr_split_free(&s);
    free(y);
    tr_features_free(&m);
    tr_candles_free(&c);
}

int main(void)
{
    test_synthetic();
    const char *dir = check_data_dir();
    if (dir)
        test_real(dir);
    int rc = check_done();
    if (rc == 0 && !dir)
        return check_skip("the real candles are not available: only the synthetic cases ran");
    return rc;
}
