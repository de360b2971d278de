/*
 * test_scaler.c - leakage test (c): the scaler statistics of every fold equal
 * the ones computed here by hand (plain loops, qsort, linear-interpolation
 * quantiles) on that fold's training rows only, for the three kinds; plus a
 * five-value case worked on paper, constant columns and refusals.
 */
#include "tests/check.h"
#include "trainer/candles.h"
#include "trainer/features.h"
#include "trainer/labels.h"
#include "trainer/scaler.h"
#include "trainer/split.h"

#include <gsl/gsl_errno.h>

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(const double *s, int n, double q)
{
    double pos = (n - 1) * q;
    int i = (int)floor(pos);
    return i + 1 < n ? s[i] + (pos - i) * (s[i + 1] - s[i]) : s[i];
}

/* Hand statistics of column j over rows [a, b). */
static void hand(const float *x, int nf, int j, int a, int b, tr_scaler_kind k, double *center,
                 double *scale)
{
    int n = b - a;
    double *v = malloc((size_t)n * sizeof *v);
    for (int r = 0; r < n; r++)
        v[r] = x[(size_t)(a + r) * nf + j];
    if (k == TR_SCALER_STANDARD) {
        long double s = 0, ss = 0;
        for (int r = 0; r < n; r++)
            s += v[r];
        long double m = s / n;
        for (int r = 0; r < n; r++)
            ss += (v[r] - m) * (v[r] - m);
        *center = (double)m;
        *scale = sqrt((double)(ss / n));
    } else {
        qsort(v, (size_t)n, sizeof *v, cmp_d);
        if (k == TR_SCALER_MINMAX) {
            *center = v[0];
            *scale = v[n - 1] - v[0];
        } else {
            *center = quantile(v, n, 0.5);
            *scale = quantile(v, n, 0.75) - quantile(v, n, 0.25);
        }
    }
    if (*scale == 0)
        *scale = 1;
    free(v);
}

static void test_small(void)
{
    const float x[10] = {1, 7, 2, 7, 3, 7, 4, 7, 10, 7};   /* 5 rows x 2 columns */
    char err[256];
    tr_scaler s;
    CHECK(tr_scaler_fit(&s, TR_SCALER_STANDARD, x, 2, 0, 5, err) == 0);
    CHECK_NEAR(s.center[0], 4, 1e-12);
    CHECK_NEAR(s.scale[0], sqrt(10.0), 1e-12);
    CHECK_NEAR(s.center[1], 7, 1e-12);
    CHECK_NEAR(s.scale[1], 1, 1e-12);   /* constant column */
    float out[10];
    tr_scaler_apply(&s, x, out, 5);
    CHECK_NEAR(out[8], 6 / sqrt(10.0), 1e-6);
    CHECK_NEAR(out[9], 0, 1e-6);
    tr_scaler_free(&s);
    CHECK(tr_scaler_fit(&s, TR_SCALER_MINMAX, x, 2, 0, 5, err) == 0);
    CHECK_NEAR(s.center[0], 1, 1e-12);
    CHECK_NEAR(s.scale[0], 9, 1e-12);
    tr_scaler_free(&s);
    CHECK(tr_scaler_fit(&s, TR_SCALER_ROBUST, x, 2, 0, 5, err) == 0);
    CHECK_NEAR(s.center[0], 3, 1e-12);
    CHECK_NEAR(s.scale[0], 2, 1e-12);
    tr_scaler_free(&s);
    /* rows 1..2 only: mean 2.5, population sd 0.5 */
    CHECK(tr_scaler_fit(&s, TR_SCALER_STANDARD, x, 2, 1, 3, err) == 0);
    CHECK_NEAR(s.center[0], 2.5, 1e-12);
    CHECK_NEAR(s.scale[0], 0.5, 1e-12);
    tr_scaler_free(&s);
    const float bad[4] = {1, 2, NAN, 4};
    CHECK(tr_scaler_fit(&s, TR_SCALER_STANDARD, bad, 1, 0, 4, err) < 0);
    CHECK_STR_CONTAINS(err, "not finite at row 2");
    CHECK(tr_scaler_fit(&s, TR_SCALER_STANDARD, bad, 1, 2, 2, err) < 0);
    CHECK_STR_CONTAINS(err, "no training rows");
    tr_scaler_kind k;
    CHECK(tr_scaler_parse("robust", &k, err) == 0 && k == TR_SCALER_ROBUST);
    CHECK(tr_scaler_parse("zscore", &k, err) < 0);
    CHECK_STR_CONTAINS(err, "standard, minmax, robust");
}

static void test_folds(const char *dir)
{
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/btcusdt_binance_1h_2021-10-01_2022-10-31.csv", dir);
    tr_candles c;
    if (tr_candles_load(path, &c, err) < 0) {
        CHECK_MSG(0, "%s", err);
        return;
    }
    const char *names[] = {"log_return", "rsi", "volume_z", "hour_of_day", "atr"};
    tr_feature_matrix m;
    CHECK(tr_features_compute(&c, names, 5, &m, err) == 0);
    float *y = malloc((size_t)m.rows * sizeof *y);
    tr_label_spec ls = {TR_TARGET_DIRECTION, 1, 0.0, 0};
    CHECK(tr_labels_make(&c, m.first, m.rows, &ls, y, err) == 0);
    double worst = 0;
    for (int roll = 0; roll < 2; roll++) {
        tr_split_config cfg = {4, roll, 0.2, 0.15, 0, 24, 1, 0};
        tr_split s;
        CHECK(tr_split_make(&cfg, m.rows, y, NULL, &s, err) == 0);
        for (int k = 0; k < s.n_folds; k++)
            for (int kind = 0; kind < 3; kind++) {
                tr_fold *f = &s.folds[k];
                tr_scaler sc;
                CHECK(tr_scaler_fit(&sc, (tr_scaler_kind)kind, m.x, m.cols, f->train_begin,
                                    f->train_end, err) == 0);
                for (int j = 0; j < m.cols; j++) {
                    double ce, sce;
                    hand(m.x, m.cols, j, f->train_begin, f->train_end, (tr_scaler_kind)kind, &ce,
                         &sce);
                    /* the centre relative to the column's spread: a mean of ~1e-17 is 0 */
                    double d1 = fabs(sc.center[j] - ce) / fmax(fabs(ce), sce);
                    double d2 = fabs(sc.scale[j] - sce) / fmax(fabs(sce), 1e-12);
                    worst = fmax(worst, fmax(d1, d2));
                    CHECK_MSG(d1 < 1e-9 && d2 < 1e-9,
                              "fold %d %s column %s: center %.17g vs %.17g, scale %.17g vs %.17g",
                              k, tr_scaler_name((tr_scaler_kind)kind), m.col_names[j],
                              sc.center[j], ce, sc.scale[j], sce);
                }
                tr_scaler_free(&sc);
            }
        tr_split_free(&s);
    }
    fprintf(stderr, "worst relative difference of scaler statistics: %.3g\n", worst);
    free(y);
    tr_features_free(&m);
    tr_candles_free(&c);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_small();
    const char *dir = check_data_dir();
    if (dir)
        test_folds(dir);
    int rc = check_done();
    if (rc == 0 && !dir)
        return check_skip("the real candles are not available: only the small cases ran");
    return rc;
}
