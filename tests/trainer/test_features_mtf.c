/*
 * test_features_mtf.c - features on a higher timeframe ("rsi:14@4h") and the
 * level features (close_z, volume_log, range_z), on the real 1h BTC candles
 * with two gaps cut into them (the rows tests/make_mtf_fixture.py drops):
 *  - against the independent stdlib-Python reference
 *    (tests/fixtures/features_mtf_btc_1h.csv), warm-up NaNs included;
 *  - no look-ahead, for every registry feature on the base, 4h and 1d
 *    timeframes: computed on the candles cut after row t, or with every row
 *    after t changed, the values of rows <= t are bit for bit the same;
 *  - a half-formed higher-timeframe candle is invisible: changing every bar of
 *    the bucket a row lies in, up to that row, changes no @4h/@1d value there,
 *    while the same change seen from the bucket's last bar does change it;
 *  - the warm-up of a higher-timeframe feature is where its first closed
 *    candle past the indicator's own warm-up appears, and bad timeframes are
 *    refused with the reason;
 *  - the README's feature table lists every registry entry.
 */
#include "tests/check.h"
#include "trainer/candles.h"
#include "trainer/features.h"

#include <gsl/gsl_errno.h>

enum { MAXC = 16 };

/* Rows of the original file the fixture drops (make_mtf_fixture.py DROPPED). */
static int dropped(int i)
{
    return (i >= 1001 && i <= 1003) || (i >= 2400 && i <= 2429);
}

/* A deep copy of c's first n rows (n <= c->n), re-indexed. */
static int copy_rows(const tr_candles *c, int n, tr_candles *out)
{
    char err[256];
    if (tr_candles_alloc(out, n, err) < 0)
        return -1;
    memcpy(out->ts, c->ts, (size_t)n * sizeof *out->ts);
    memcpy(out->open, c->open, (size_t)n * sizeof(double));
    memcpy(out->high, c->high, (size_t)n * sizeof(double));
    memcpy(out->low, c->low, (size_t)n * sizeof(double));
    memcpy(out->close, c->close, (size_t)n * sizeof(double));
    memcpy(out->volume, c->volume, (size_t)n * sizeof(double));
    tr_candles_index(out);
    return 0;
}

/* Multiplies rows a..b (inclusive) of c: prices by 1.37, volume by 0.45. */
static void poison(tr_candles *c, int a, int b)
{
    for (int t = a; t <= b; t++) {
        c->open[t] *= 1.37;
        c->high[t] *= 1.37;
        c->low[t] *= 1.37;
        c->close[t] *= 1.37;
        c->volume[t] *= 0.45;
    }
}

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

static void check_fixture(const tr_candles *c, const char *fixture)
{
    FILE *f = fopen(fixture, "r");
    CHECK_MSG(f != NULL, "cannot open %s", fixture);
    if (!f)
        return;
    static char hdr[4096], line[4096];
    char *names[MAXC], *vals[MAXC], err[256];
    CHECK(fgets(hdr, sizeof hdr, f) != NULL);
    hdr[strcspn(hdr, "\n")] = '\0';
    int nc = split_csv(hdr, names, MAXC), warm;
    double *series[MAXC] = {0};
    for (int k = 1; k < nc; k++) {
        series[k] = malloc((size_t)c->n * sizeof(double));
        int rc = tr_feature_series(c, names[k], series[k], &warm, err);
        CHECK_MSG(rc == 0, "%s: %s", names[k], err);
    }
    int rows = 0, bad = 0, values = 0;
    double worst = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        CHECK_INT(split_csv(line, vals, MAXC), nc);
        int t = atoi(vals[0]);
        rows++;
        for (int k = 1; k < nc; k++) {
            double got = series[k][t];
            if (!strcmp(vals[k], "nan")) {
                if (!isnan(got) && bad++ < 10)
                    fprintf(stderr, "%s row %d: expected NaN, got %.17g\n", names[k], t, got);
                continue;
            }
            double want = strtod(vals[k], NULL), diff = fabs(got - want);
            values++;
            if (!(diff <= 1e-9 * fabs(want) + 1e-12)) {
                if (bad++ < 10)
                    fprintf(stderr, "%s row %d: got %.17g, expected %.17g\n", names[k], t, got, want);
            } else if (diff > 0 && diff / fmax(fabs(want), 1e-300) > worst) {
                worst = diff / fmax(fabs(want), 1e-300);
            }
        }
    }
    fclose(f);
    fprintf(stderr, "fixture: %d rows x %d columns, %d values, worst relative difference %.3g\n",
            rows, nc - 1, values, worst);
    CHECK(rows > 1000);
    CHECK(values > 8000);
    CHECK_INT(bad, 0);
    for (int k = 1; k < nc; k++)
        free(series[k]);
}

/* Number of rows <= t whose values (nc columns) differ bit for bit. */
static int differ(const double *a, const double *b, int t, int nc)
{
    int d = 0;
    for (int i = 0; i < (t + 1) * nc; i++)
        d += memcmp(&a[i], &b[i], sizeof(double)) != 0;
    return d;
}

/* The leak checks of one feature text on c (n rows); 0 when the feature is
 * refused on these candles (reported), else the number of checks done. */
static int check_causal(const tr_candles *c, const char *text)
{
    static const int cuts[] = {70, 401, 1002, 1003, 1500, 2398, 2402, 2500, 2877};
    char err[256];
    int nc = tr_feature_columns(text), w, w2;
    size_t sz = (size_t)c->n * nc * sizeof(double);
    double *full = malloc(sz), *other = malloc(sz);
    int checks = 0;
    if (tr_feature_series(c, text, full, &w, err) < 0) {
        CHECK_MSG(strstr(err, "intraday") || strstr(err, "sub-weekly"), "%s: %s", text, err);
        goto done;
    }
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        int t = cuts[k];
        tr_candles cut, pois;
        CHECK(copy_rows(c, t + 1, &cut) == 0);
        CHECK(copy_rows(c, c->n, &pois) == 0);
        poison(&pois, t + 1, c->n - 1);
        CHECK(tr_feature_series(&cut, text, other, &w2, err) == 0);
        int d1 = differ(full, other, t, nc);
        CHECK(tr_feature_series(&pois, text, other, &w2, err) == 0);
        int d2 = differ(full, other, t, nc);
        CHECK_MSG(d1 == 0, "%s: %d values at rows <= %d change when the candles end at %d",
                  text, d1, t, t);
        CHECK_MSG(d2 == 0, "%s: %d values at rows <= %d change with the rows after %d",
                  text, d2, t, t);
        checks += 2;
        tr_candles_free(&cut);
        tr_candles_free(&pois);
    }
done:
    free(full);
    free(other);
    return checks;
}

/* The forming bucket: for a row t inside a bucket of `period` (not its last
 * slot), changing the bucket's bars up to t leaves the value at t; seen from
 * the bucket's last slot the same change shows. */
static void check_forming(const tr_candles *c, const char *text, int64_t period)
{
    char err[256];
    int w, nc = tr_feature_columns(text), tested = 0, seen = 0;
    size_t sz = (size_t)c->n * nc * sizeof(double);
    double *base = malloc(sz), *other = malloc(sz);
    CHECK(tr_feature_series(c, text, base, &w, err) == 0);
    for (int t = w + 5; t < c->n - 30 && tested < 40; t += 97) {
        int64_t start = c->ts[t] / period * period, end = start + period;
        if (c->ts[t] + c->interval == end)
            continue;                       /* t closes its bucket: not forming */
        int a = t;
        while (a > 0 && c->ts[a - 1] >= start)
            a--;
        int last = t;
        while (last + 1 < c->n && c->ts[last + 1] < end)
            last++;
        tr_candles p;
        CHECK(copy_rows(c, c->n, &p) == 0);
        poison(&p, a, last);
        CHECK(tr_feature_series(&p, text, other, &w, err) == 0);
        for (int r = a; r <= t; r++)
            CHECK_MSG(memcmp(&base[(size_t)r * nc], &other[(size_t)r * nc], nc * sizeof(double)) == 0,
                      "%s: row %d sees the forming candle of its bucket (changed rows %d..%d)",
                      text, r, a, last);
        if (c->ts[last] + c->interval == end)
            seen += memcmp(&base[(size_t)last * nc], &other[(size_t)last * nc], nc * sizeof(double)) != 0;
        tested++;
        tr_candles_free(&p);
    }
    fprintf(stderr, "%s: %d forming buckets invisible; the change showed at %d bucket ends\n",
            text, tested, seen);
    CHECK(tested >= 20);
    CHECK_MSG(seen >= tested / 2, "%s: changing a bucket showed at only %d of %d bucket ends",
              text, seen, tested);
    free(base);
    free(other);
}

int main(void)
{
    gsl_set_error_handler_off();
    const char *dir = check_data_dir();
    if (!dir)
        return check_skip("the real candles (SEQTUNE_DATA) are not available");
    char path[4096], fixture[4096], err[256];
    snprintf(path, sizeof path, "%s/btcusdt_binance_1h_2021-10-01_2022-10-31.csv", dir);
    snprintf(fixture, sizeof fixture, "%s/tests/fixtures/features_mtf_btc_1h.csv",
             getenv("SEQTUNE_SRC") ? getenv("SEQTUNE_SRC") : ".");
    tr_candles raw, c;
    int rc = tr_candles_load(path, &raw, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc)
        return check_done();
    /* The candles with the fixture's gaps. */
    int n = 0;
    CHECK(tr_candles_alloc(&c, raw.n, err) == 0);
    for (int i = 0; i < raw.n; i++) {
        if (dropped(i))
            continue;
        c.ts[n] = raw.ts[i];
        c.open[n] = raw.open[i];
        c.high[n] = raw.high[i];
        c.low[n] = raw.low[i];
        c.close[n] = raw.close[i];
        c.volume[n] = raw.volume[i];
        n++;
    }
    c.n = n;
    tr_candles_index(&c);
    CHECK_INT(c.n_gaps, 2);
    check_fixture(&c, fixture);

    /* No look-ahead: every registry feature on three timeframes (3000 rows). */
    tr_candles head;
    CHECK(copy_rows(&c, 3000, &head) == 0);
    int nreg, checks = 0, texts = 0;
    const tr_feature_info *reg = tr_feature_list(&nreg);
    static const char *const tfs[] = {"", "@4h", "@1d"};
    for (int i = 0; i < nreg; i++)
        for (int k = 0; k < 3; k++) {
            char text[96];
            snprintf(text, sizeof text, "%s%s", reg[i].name, tfs[k]);
            int d = check_causal(&head, text);
            checks += d;
            texts += d > 0;
        }
    fprintf(stderr, "causality: %d feature texts, %d cut/poison checks\n", texts, checks);
    CHECK_INT(texts, 3 * nreg - 1);   /* hour_of_day@1d is refused: a daily candle has no hour */

    check_forming(&head, "rsi:14@4h", 4 * 3600);
    check_forming(&head, "volume_log@4h", 4 * 3600);
    check_forming(&head, "close_z:5@1d", 86400);
    check_forming(&head, "atr@4h", 4 * 3600);

    /* Warm-up: rsi:14 needs 14 closed 4h candles; the 15th closes at row 59
     * (the candles start at 00:00 UTC), before the first gap. */
    const char *mix[] = {"log_return", "rsi:14@4h", "volume_log"};
    tr_feature_matrix m;
    rc = tr_features_compute(&head, mix, 3, &m, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK_INT(m.warmup[1], 59);
        CHECK_INT(m.first, 59);
        CHECK_INT(m.cols, 3);
        CHECK_STR_CONTAINS(m.col_names[1], "rsi:14@4h");
        tr_features_free(&m);
    }

    /* The README's feature table has a row for every registry entry. */
    char readme[4096];
    snprintf(readme, sizeof readme, "%s/README.md", getenv("SEQTUNE_SRC") ? getenv("SEQTUNE_SRC") : ".");
    FILE *rf = fopen(readme, "r");
    CHECK_MSG(rf != NULL, "cannot open %s", readme);
    if (rf) {
        static char text[1 << 20];
        size_t len = fread(text, 1, sizeof text - 1, rf);
        text[len] = '\0';
        fclose(rf);
        for (int i = 0; i < nreg; i++) {
            char row[96];
            snprintf(row, sizeof row, "| `%s` |", reg[i].name);
            CHECK_MSG(strstr(text, row) != NULL, "README.md has no feature row %s", row);
        }
    }

    /* Refusals, with the reason. */
    static const struct { const char *text, *why; } bad[] = {
        {"rsi:14@90m", "whole multiple"}, {"rsi@1h", "longer than"},
        {"rsi@7h", "UTC boundaries"},     {"rsi@4x", "expected a whole number and m, h or d"},
        {"rsi@", "expected a whole number"}, {"hour_of_day@1d", "intraday"},
        {"close_z:1", "at least 2"},     {"range_z:1@4h", "at least 2"},
    };
    double *s = malloc((size_t)head.n * 2 * sizeof *s);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int w;
        CHECK_MSG(tr_feature_series(&head, bad[k].text, s, &w, err) < 0, "%s was accepted",
                  bad[k].text);
        CHECK_STR_CONTAINS(err, bad[k].why);
    }
    CHECK(tr_feature_check("rsi:14@4h", err) == 0);
    CHECK(tr_feature_check("macd:12:26:9@1d", err) == 0);
    CHECK(tr_feature_check("rsi:14@4", err) < 0);
    head.ts[100] += 60;   /* a candle off the hourly grid */
    int w;
    CHECK(tr_feature_series(&head, "rsi@4h", s, &w, err) < 0);
    CHECK_STR_CONTAINS(err, "grid");
    free(s);
    tr_candles_free(&head);
    tr_candles_free(&c);
    tr_candles_free(&raw);
    return check_done();
}
