/*
 * test_features.c - every indicator against the independent Python reference
 * (tests/make_feature_fixture.py -> tests/fixtures/features_btc_1h.csv) on the
 * real 1h BTC candles, to 1e-6 relative; the warm-up (NaN) rows must match too.
 * Also: the matrix drops the largest warm-up, time features are refused where
 * the interval does not allow them, unknown names list the known ones.
 */
#include "tests/check.h"
#include "trainer/candles.h"
#include "trainer/features.h"

#include <gsl/gsl_errno.h>

static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n;
}

enum { MAXC = 64 };

static void check_fixture(const tr_candles *c, const char *fixture)
{
    FILE *f = fopen(fixture, "r");
    CHECK_MSG(f != NULL, "cannot open %s", fixture);
    if (!f)
        return;
    static char hdr[8192], line[8192];
    char *names[MAXC], *vals[MAXC];
    CHECK(fgets(hdr, sizeof hdr, f) != NULL);
    hdr[strcspn(hdr, "\n")] = '\0';
    int nc = split_csv(hdr, names, MAXC);
    double *series[MAXC] = {0};
    int col[MAXC] = {0}, warm[MAXC] = {0};
    char err[256];
    for (int k = 1; k < nc; k++) {
        char base[64];
        snprintf(base, sizeof base, "%s", names[k]);
        char *dot = strchr(base, '.');
        if (dot) {
            col[k] = !strcmp(dot, ".cos");
            *dot = '\0';
        }
        int w = tr_feature_columns(base);
        series[k] = malloc((size_t)c->n * (size_t)w * sizeof(double));
        int rc = tr_feature_series(c, base, series[k], &warm[k], err);
        CHECK_MSG(rc == 0, "%s: %s", base, err);
        if (rc)
            return;
        if (w == 1)
            col[k] = 0;
    }
    int rows = 0, bad = 0;
    double worst = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        int n = split_csv(line, vals, MAXC);
        CHECK_INT(n, nc);
        int t = atoi(vals[0]);
        rows++;
        for (int k = 1; k < nc; k++) {
            int w = strchr(names[k], '.') ? 2 : 1;
            double got = series[k][(size_t)t * w + col[k]];
            if (!strcmp(vals[k], "nan")) {
                if (!isnan(got) && bad++ < 10)
                    fprintf(stderr, "%s row %d: expected warm-up NaN, got %.17g\n", names[k], t,
                            got);
                continue;
            }
            double want = strtod(vals[k], NULL);
            double diff = fabs(got - want);
            double rel = diff / fmax(fabs(want), 1e-300);
            if (!(diff <= 1e-6 * fabs(want) + 1e-13)) {
                if (bad++ < 10)
                    fprintf(stderr, "%s row %d: got %.17g, expected %.17g\n", names[k], t, got,
                            want);
            } else if (diff > 1e-13 && rel > worst) {
                worst = rel;
            }
        }
    }
    fclose(f);
    fprintf(stderr, "%d fixture rows x %d columns, worst relative difference %.3g\n", rows,
            nc - 1, worst);
    CHECK(rows > 200);
    CHECK_INT(bad, 0);
    for (int k = 1; k < nc; k++)
        free(series[k]);
}

int main(void)
{
    gsl_set_error_handler_off();
    const char *dir = check_data_dir();
    if (!dir)
        return check_skip("the real candles (SEQTUNE_DATA) are not available");
    char path[4096], fixture[4096], err[256];
    snprintf(path, sizeof path, "%s/btcusdt_binance_1h_2021-10-01_2022-10-31.csv", dir);
    snprintf(fixture, sizeof fixture, "%s/tests/fixtures/features_btc_1h.csv",
             getenv("SEQTUNE_SRC") ? getenv("SEQTUNE_SRC") : ".");
    tr_candles c;
    int rc = tr_candles_load(path, &c, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc)
        return check_done();

    int nreg;
    const tr_feature_info *reg = tr_feature_list(&nreg);
    CHECK(nreg >= 25);
    check_fixture(&c, fixture);

    /* Every registry feature with its defaults, in one matrix. */
    const char *names[64];
    for (int i = 0; i < nreg; i++)
        names[i] = reg[i].name;
    tr_feature_matrix m;
    rc = tr_features_compute(&c, names, nreg, &m, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK_INT(m.cols, nreg + 2);
        int maxw = 0;
        for (int i = 0; i < nreg; i++)
            maxw = m.warmup[i] > maxw ? m.warmup[i] : maxw;
        CHECK_INT(m.first, maxw);
        CHECK_INT(m.first, 33);   /* macd_signal 12:26:9: 26 - 1 + 9 - 1 */
        CHECK_INT(m.rows, c.n - m.first);
        int nonfinite = 0;
        for (size_t i = 0; i < (size_t)m.rows * m.cols; i++)
            nonfinite += !isfinite(m.x[i]);
        CHECK_INT(nonfinite, 0);
        /* Row 0 of the matrix is candle row `first`: rsi there equals the series. */
        double *s = malloc((size_t)c.n * sizeof *s);
        int w;
        CHECK(tr_feature_series(&c, "rsi", s, &w, err) == 0);
        CHECK_NEAR(m.x[m.col[3]], s[m.first], 1e-6);
        CHECK_STR_CONTAINS(m.col_names[m.col[25] + 1], "hour_of_day.cos");
        free(s);
        tr_features_free(&m);
    }

    /* Causality: every feature over the first 3000 candles equals the same
     * feature over all of them on those rows, bit for bit. */
    tr_candles head = c;
    head.n = 3000;
    double *full = malloc((size_t)c.n * 2 * sizeof *full), *part = malloc(3000 * 2 * sizeof *part);
    for (int i = 0; i < nreg; i++) {
        int w1, w2, nc = tr_feature_columns(reg[i].name);
        CHECK(tr_feature_series(&c, reg[i].name, full, &w1, err) == 0);
        CHECK(tr_feature_series(&head, reg[i].name, part, &w2, err) == 0);
        CHECK_INT(w1, w2);
        int diff = 0;
        for (int t = w1 * nc; t < 3000 * nc; t++)
            diff += memcmp(&full[t], &part[t], sizeof(double)) != 0;
        CHECK_MSG(diff == 0, "%s: %d values depend on later candles", reg[i].name, diff);
    }
    free(full);
    free(part);

    /* Refusals. */
    const char *bad1[] = {"rsi", "rsx:14"};
    CHECK(tr_features_compute(&c, bad1, 2, &m, err) < 0);
    CHECK_STR_CONTAINS(err, "unknown feature 'rsx'");
    CHECK_STR_CONTAINS(err, "bollinger_b");
    const char *bad2[] = {"sma_ratio:20000"};
    CHECK(tr_features_compute(&c, bad2, 1, &m, err) < 0);
    CHECK_STR_CONTAINS(err, "warm-up");
    tr_candles_free(&c);

    snprintf(path, sizeof path, "%s/btcusdt_binance_1d_2017-08-17_2023-08-14.csv", dir);
    rc = tr_candles_load(path, &c, err);
    CHECK_MSG(rc == 0, "%s", err);
    const char *daily[] = {"log_return", "hour_of_day"};
    CHECK(tr_features_compute(&c, daily, 2, &m, err) < 0);
    CHECK_STR_CONTAINS(err, "intraday");
    const char *daily2[] = {"log_return", "day_of_week"};
    rc = tr_features_compute(&c, daily2, 2, &m, err);
    CHECK_MSG(rc == 0, "%s", err);
    tr_features_free(&m);
    tr_candles_free(&c);
    return check_done();
}
