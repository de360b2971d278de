/*
 * test_candles.c - the candle loader: the three dialects (canonical, Binance
 * kline with and without header, ISO dates), one bad file per error class with
 * its line number, gap detection and the segment rule, and the writer
 * (byte-identical round trip of the real 1h file, exact plain decimals).
 */
#include "tests/check.h"
#include "trainer/candles.h"

#include <unistd.h>

static char tmpdir[256];

static int parse(const char *text, tr_candles *c, char err[256])
{
    return tr_candles_parse(text, strlen(text), "t.csv", c, err);
}

/* A bad file must fail with "t.csv line N" and the words of its class. */
static void bad(const char *text, int line, const char *words)
{
    tr_candles c;
    char err[256] = "", want[64];
    int rc = parse(text, &c, err);
    CHECK_MSG(rc < 0, "accepted: %s", text);
    snprintf(want, sizeof want, "t.csv line %d:", line);
    CHECK_STR_CONTAINS(err, want);
    CHECK_STR_CONTAINS(err, words);
    CHECK_INT(c.n, 0);
}

static void test_dialects(void)
{
    tr_candles c;
    char err[256];
    const char *canon = "timestamp,open,high,low,close,volume\n"
                        "1633046400,43820.01,44059,43661.63,43694.48,2001.56071\n"
                        "1633050000,43696.14,43803.94,43417.61,43742.74,1292.55848\r\n";
    CHECK(parse(canon, &c, err) == 0);
    CHECK_INT(c.n, 2);
    CHECK_INT(c.ts[1], 1633050000);
    CHECK(c.open[0] == 43820.01 && c.volume[1] == 1292.55848 && c.high[0] == 44059);
    CHECK_INT(c.interval, 3600);
    tr_candles_free(&c);

    /* Binance kline, no header, ms times, 12 columns. */
    const char *kl = "1657756800000,20234.87000000,20430.76000000,20203.66000000,20371.91000000,"
                     "1688.88193000,1657757099999,34329113.63,29633,867.2,17623069.28,0\n"
                     "1657757100000,20373.50000000,20384.67000000,20263.93000000,20267.88000000,"
                     "876.86626000,1657757399999,17803012.08,17993,404.1,8213043.33,0\n";
    CHECK(parse(kl, &c, err) == 0);
    CHECK_INT(c.n, 2);
    CHECK_INT(c.ts[0], 1657756800);
    CHECK_INT(c.interval, 300);
    CHECK(c.close[1] == 20267.88);
    tr_candles_free(&c);

    /* The same with a header line. */
    const char *klh = "open_time,open,high,low,close,volume,close_time,quote_volume,trades,"
                      "taker_base,taker_quote,ignore\n"
                      "1657756800000,20234.87,20430.76,20203.66,20371.91,1688.88193,"
                      "1657757099999,1,1,1,1,0\n";
    CHECK(parse(klh, &c, err) == 0);
    CHECK_INT(c.n, 1);
    CHECK_INT(c.ts[0], 1657756800);
    tr_candles_free(&c);

    /* 7 columns (open time ms, o, h, l, c, v, close time), as some exports have. */
    CHECK(parse("open_time,open,high,low,close,volume,close_time\n"
                "1633046400000,43820.01,44059,43661.63,43694.48,2001.56071,1633049999999\n",
                &c, err) == 0);
    CHECK(c.n == 1 && c.ts[0] == 1633046400 && c.close[0] == 43694.48);
    tr_candles_free(&c);

    /* ISO-8601 dates, three spellings, and a daily file with only dates. */
    const char *iso = "date,open,high,low,close,volume\n"
                      "2021-10-01T00:00:00Z,10,11,9,10.5,1\n"
                      "2021-10-01 01:00:00,10,11,9,10.5,1\n"
                      "2021-10-01T04:00:00+02:00,10,11,9,10.5,1\n";
    CHECK_MSG(parse(iso, &c, err) == 0, "%s", err);
    CHECK_INT(c.n, 3);
    CHECK_INT(c.ts[0], 1633046400);
    CHECK_INT(c.ts[1], 1633050000);
    CHECK_INT(c.ts[2], 1633053600);
    tr_candles_free(&c);
    CHECK(parse("2020-02-28,1,1,1,1,0\n2020-02-29,1,1,1,1,0\n2020-03-01,1,1,1,1,0\n", &c, err) == 0);
    CHECK_INT(c.ts[2] - c.ts[1], 86400);
    CHECK_INT(c.ts[0], 1582848000);
    char when[32];
    tr_format_time(c.ts[1], when);
    CHECK_STR_CONTAINS(when, "2020-02-29 00:00");
    tr_candles_free(&c);
}

static void test_errors(void)
{
    const char *h = "timestamp,open,high,low,close,volume\n";
    char buf[1024];
    snprintf(buf, sizeof buf, "%s1,10,11,9,10,1\n2,10,1x1,9,10,1\n", h);
    bad(buf, 3, "high '1x1' is not a number");
    snprintf(buf, sizeof buf, "%s1,10,11,9,10,1\n2,10,11,9,nan,1\n", h);
    bad(buf, 3, "close 'nan' is not a number");
    snprintf(buf, sizeof buf, "%s1,10,11,9,10,1\n2,10,11,9,10,\n", h);
    bad(buf, 3, "volume");
    snprintf(buf, sizeof buf, "%s1,10,11,9,10,1\n\n3,0,11,9,10,1\n", h);
    bad(buf, 4, "open 0 is not a positive price");
    snprintf(buf, sizeof buf, "%s1,10,11,-9,10,1\n", h);
    bad(buf, 2, "low -9 is not a positive price");
    snprintf(buf, sizeof buf, "%s1,10,11,9,10,1\n2,10,11,9,10,1\n3,10,62000,63500,10,1\n", h);
    bad(buf, 4, "high 62000 < low 63500");
    snprintf(buf, sizeof buf, "%s1,10,11,9,10,1\n2,12,11,9,10,1\n", h);
    bad(buf, 3, "open 12 is outside [low 9, high 11]");
    snprintf(buf, sizeof buf, "%s1,10,11,9,10,1\n2,10,11,9,8.5,1\n", h);
    bad(buf, 3, "close 8.5 is outside");
    snprintf(buf, sizeof buf, "%s5,10,11,9,10,1\n4,10,11,9,10,1\n", h);
    bad(buf, 3, "timestamp 4 is before the previous row's 5");
    snprintf(buf, sizeof buf, "%s5,10,11,9,10,1\n6,10,11,9,10,1\n6,10,11,9,10,1\n", h);
    bad(buf, 4, "timestamp 6 duplicates the previous row's 6");
    snprintf(buf, sizeof buf, "%s5,10,11,9,10,1\n6,10,11,9,10\n", h);
    bad(buf, 3, "expected 6 columns, got 5");
    snprintf(buf, sizeof buf, "%s5,10,11,9,10\n", h);
    bad(buf, 2, "expected 6 columns");
    snprintf(buf, sizeof buf, "%s5,10,11,9,10,1,3\n6,10,11,9,10,1\n", h);
    bad(buf, 3, "expected 7 columns, got 6");
    snprintf(buf, sizeof buf, "%s5,10,11,9,10,1\n2021-13-01,10,11,9,10,1\n", h);
    bad(buf, 3, "timestamp '2021-13-01' is not a whole number");
    snprintf(buf, sizeof buf, "%s5,10,11,9,10,-1\n", h);
    bad(buf, 2, "volume -1 is negative");

    tr_candles c;
    char err[256];
    CHECK(parse("timestamp,open,high,low,close,volume\n", &c, err) < 0);
    CHECK_STR_CONTAINS(err, "no candle rows");
    CHECK(tr_candles_load("/nonexistent/x.csv", &c, err) < 0);
    CHECK_STR_CONTAINS(err, "/nonexistent/x.csv");
}

static void test_gaps(void)
{
    tr_candles c;
    char err[256];
    /* 60 s bars, a 3-bar gap after row 2 and a 2-bar gap after row 5. */
    const char *g = "0,1,1,1,1,1\n60,1,1,1,1,1\n120,1,1,1,1,1\n300,1,1,1,1,1\n360,1,1,1,1,1\n"
                    "420,1,1,1,1,1\n540,1,1,1,1,1\n600,1,1,1,1,1\n660,1,1,1,1,1\n";
    CHECK(parse(g, &c, err) == 0);
    CHECK_INT(c.interval, 60);
    CHECK_INT(c.n_gaps, 2);
    CHECK_INT(c.largest_gap, 180);
    CHECK_INT(c.segment[2], 0);
    CHECK_INT(c.segment[3], 1);
    CHECK_INT(c.segment[8], 2);
    CHECK_INT(tr_candles_spans_gap(&c, 2, 3), 0);
    CHECK_INT(tr_candles_spans_gap(&c, 3, 2), 1);
    CHECK_INT(tr_candles_spans_gap(&c, 5, 3), 0);
    CHECK_INT(tr_candles_spans_gap(&c, 8, 4), 1);
    CHECK_INT(tr_candles_spans_gap(&c, 8, 1), 0);
    tr_candles_free(&c);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

static void test_writer(void)
{
    tr_candles c;
    char err[256], out[512];
    CHECK(tr_candles_alloc(&c, 2, err) == 0);
    c.ts[0] = 100;
    c.ts[1] = 160;
    double v[2][5] = {{0.1, 0.3, 0.05, 0.2, 1e-8}, {20234.87, 20430.76, 20000, 20371.910001, 0}};
    for (int i = 0; i < 2; i++) {
        c.open[i] = v[i][0];
        c.high[i] = v[i][1];
        c.low[i] = v[i][2];
        c.close[i] = v[i][3];
        c.volume[i] = v[i][4];
    }
    tr_candles_index(&c);
    snprintf(out, sizeof out, "%s/w.csv", tmpdir);
    CHECK_MSG(tr_candles_write_csv(out, &c, err) == 0, "%s", err);
    size_t len;
    char *txt = slurp(out, &len);
    CHECK_STR_CONTAINS(txt, "timestamp,open,high,low,close,volume\n"
                            "100,0.1,0.3,0.05,0.2,0.00000001\n"
                            "160,20234.87,20430.76,20000,20371.910001,0\n");
    free(txt);
    tr_candles d;
    CHECK_MSG(tr_candles_load(out, &d, err) == 0, "%s", err);
    CHECK_INT(d.n, 2);
    for (int i = 0; i < 2; i++)
        CHECK(d.open[i] == c.open[i] && d.close[i] == c.close[i] && d.volume[i] == c.volume[i]);
    tr_candles_free(&d);
    unlink(out);
    tr_candles_free(&c);
    snprintf(out, sizeof out, "%s/no/such/dir/w.csv", tmpdir);
    CHECK(tr_candles_write_csv(out, &c, err) < 0);
    CHECK_STR_CONTAINS(err, "no/such/dir");
}

/* Load the real files; write the 1h one back and compare bytes. */
static void test_real(const char *dir)
{
    static const struct { const char *file; int n; int64_t interval; } files[] = {
        {"btcusdt_binance_1h_2021-10-01_2022-10-31.csv", 9504, 3600},
        {"btcusdt_binance_1d_2017-08-17_2023-08-14.csv", 2189, 86400},
        {"btcusdt_binance_5m_2022-07-14_2022-08-16.csv", 9792, 300},
    };
    char path[4096], out[512], err[256];
    for (int i = 0; i < 3; i++) {
        tr_candles c;
        snprintf(path, sizeof path, "%s/%s", dir, files[i].file);
        int rc = tr_candles_load(path, &c, err);
        CHECK_MSG(rc == 0, "%s", err);
        if (rc)
            continue;
        CHECK_INT(c.n, files[i].n);
        CHECK_INT(c.interval, files[i].interval);
        CHECK_INT(c.n_gaps, 0);
        CHECK_INT(c.largest_gap, files[i].interval);
        if (i == 0) {
            CHECK_INT(c.ts[0], 1633046400);
            CHECK(c.open[0] == 43820.01 && c.high[0] == 44059 && c.volume[0] == 2001.56071);
            snprintf(out, sizeof out, "%s/rt.csv", tmpdir);
            CHECK(tr_candles_write_csv(out, &c, err) == 0);
            size_t la, lb;
            char *a = slurp(path, &la), *b = slurp(out, &lb);
            CHECK_MSG(a && b && la == lb && memcmp(a, b, la) == 0,
                      "the rewritten 1h file differs from the original");
            free(a);
            free(b);
            unlink(out);
        }
        tr_candles_free(&c);
    }
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_candles.XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    test_dialects();
    test_errors();
    test_gaps();
    test_writer();
    const char *dir = check_data_dir();
    if (dir)
        test_real(dir);
    rmdir(tmpdir);
    int rc = check_done();
    if (rc == 0 && !dir)
        return check_skip("the real candles (SEQTUNE_DATA) are not available: only the "
                          "synthetic cases ran");
    return rc;
}
