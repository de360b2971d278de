/*
 * test_synth.c - synthetic candles (trainer/synth.h): the file loads back in the
 * format of ../shared/data, every bar satisfies the OHLC invariants, the same
 * seed gives the same bytes, and the series looks like a market: volatility
 * clustering (lag-1 autocorrelation of squared log returns > 0.1), fat tails
 * (excess kurtosis > 1) and intraday volume seasonality.
 */
#include "trainer/synth.h"
#include "tests/check.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_statistics_double.h>
#include <unistd.h>

static char tmp_dir[256];

typedef struct series {
    long long *ts;
    double *o, *h, *l, *c, *v;
    long n;
} series;

static void series_free(series *s)
{
    free(s->ts);
    free(s->o);
    free(s->h);
    free(s->l);
    free(s->c);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* Checks one decimal field of the file: digits, at most `dec` decimals, no
 * trailing zero after the point, no exponent. */
static int plain_decimal(const char *f, size_t len, int dec)
{
    size_t i = 0, d = 0;
    int point = 0;
    if (len == 0)
        return 0;
    for (; i < len; i++) {
        if (f[i] == '.') {
            if (point)
                return 0;
            point = 1;
        } else if (f[i] < '0' || f[i] > '9') {
            return 0;
        } else if (point) {
            d++;
        }
    }
    if (point && (d == 0 || f[len - 1] == '0'))
        return 0;
    return (int)d <= dec;
}

/* Loads a candle file written by tr_synth_write, checking its format line by line. */
static int load(const char *path, series *s)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512];
    long cap = 1024, bad = 0;
    if (!fgets(line, sizeof line, f) || strcmp(line, "timestamp,open,high,low,close,volume\n") != 0) {
        fprintf(stderr, "bad header: %s", line);
        fclose(f);
        return -1;
    }
    s->ts = malloc(sizeof *s->ts * (size_t)cap);
    double **cols[5] = {&s->o, &s->h, &s->l, &s->c, &s->v};
    for (int k = 0; k < 5; k++)
        *cols[k] = malloc(sizeof(double) * (size_t)cap);
    while (fgets(line, sizeof line, f)) {
        if (s->n == cap) {
            cap *= 2;
            s->ts = realloc(s->ts, sizeof *s->ts * (size_t)cap);
            for (int k = 0; k < 5; k++)
                *cols[k] = realloc(*cols[k], sizeof(double) * (size_t)cap);
        }
        char *p = line, *end;
        s->ts[s->n] = strtoll(p, &end, 10);
        if (*end != ',')
            bad++;
        for (int k = 0; k < 5; k++) {
            p = end + 1;
            double x = strtod(p, &end);
            if (!plain_decimal(p, (size_t)(end - p), k == 4 ? 8 : 2))
                bad++;
            (*cols[k])[s->n] = x;
            if (*end != (k == 4 ? '\n' : ','))
                bad++;
        }
        s->n++;
    }
    fclose(f);
    if (bad)
        fprintf(stderr, "%ld malformed fields in %s\n", bad, path);
    return bad ? -1 : 0;
}

static int write_series(long long bars, long long interval, unsigned long seed, const char *name,
                        series *s)
{
    char path[300], err[256];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    tr_synth_opts o;
    tr_synth_defaults(&o);
    o.bars = bars;
    o.interval_s = interval;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    int rc = tr_synth_write(&o, r, path, err);
    gsl_rng_free(r);
    if (rc != 0) {
        fprintf(stderr, "write failed: %s\n", err);
        return -1;
    }
    rc = load(path, s);
    unlink(path);
    return rc;
}

/* Every bar: low <= min(open, close) <= max(open, close) <= high, prices and
 * volume > 0, times spaced by the interval, each bar opens at the last close. */
static void check_invariants(const series *s, long long bars, long long interval, const char *what)
{
    CHECK_INT(s->n, bars);
    long bad = 0;
    for (long i = 0; i < s->n; i++) {
        int ok = s->l[i] > 0 && s->l[i] <= fmin(s->o[i], s->c[i]) &&
                 fmax(s->o[i], s->c[i]) <= s->h[i] && s->v[i] > 0 &&
                 s->ts[i] == 1577836800LL + i * interval && (i == 0 || s->o[i] == s->c[i - 1]);
        if (!ok && bad++ < 5)
            fprintf(stderr, "%s bar %ld: t %lld o %.2f h %.2f l %.2f c %.2f v %.8f\n", what, i,
                    s->ts[i], s->o[i], s->h[i], s->l[i], s->c[i], s->v[i]);
    }
    CHECK_MSG(bad == 0, "%s: %ld bars break the OHLC invariants", what, bad);
}

static void test_synth_invariants_and_format(void)
{
    const long long intervals[] = {300, 3600, 86400};
    for (int k = 0; k < 3; k++) {
        series s;
        char name[32];
        snprintf(name, sizeof name, "inv%d.csv", k);
        CHECK_INT(write_series(20000, intervals[k], 7 + (unsigned long)k, name, &s), 0);
        check_invariants(&s, 20000, intervals[k], name);
        series_free(&s);
    }
}

/* Clustering and fat tails, for several seeds and two intervals. */
static void test_synth_stylised_facts(void)
{
    const long long intervals[] = {3600, 300, 86400};
    for (int k = 0; k < 3; k++)
        for (unsigned long seed = 1; seed <= 3; seed++) {
            series s;
            if (write_series(20000, intervals[k], seed, "facts.csv", &s) != 0) {
                CHECK(0);
                continue;
            }
            long n = s.n - 1;
            double *r2 = malloc(sizeof(double) * (size_t)n), *r = malloc(sizeof(double) * (size_t)n);
            for (long i = 0; i < n; i++) {
                r[i] = log(s.c[i + 1] / s.c[i]);
                r2[i] = r[i] * r[i];
            }
            double acf = gsl_stats_lag1_autocorrelation(r2, 1, (size_t)n);
            double kurt = gsl_stats_kurtosis(r, 1, (size_t)n);
            fprintf(stderr, "interval %llds seed %lu: acf(r^2, 1) = %.3f, excess kurtosis = %.2f\n",
                    intervals[k], seed, acf, kurt);
            CHECK_MSG(acf > 0.1, "interval %lld seed %lu: acf %.3f", intervals[k], seed, acf);
            CHECK_MSG(kurt > 1, "interval %lld seed %lu: kurtosis %.3f", intervals[k], seed, kurt);
            if (intervals[k] == 3600) {
                /* volume peaks in the afternoon (15:00 UTC), is lowest at night */
                double day = 0, night = 0;
                long nd = 0, nn = 0;
                for (long i = 0; i < s.n; i++) {
                    int h = (int)((s.ts[i] % 86400) / 3600);
                    if (h == 15) {
                        day += s.v[i];
                        nd++;
                    } else if (h == 3) {
                        night += s.v[i];
                        nn++;
                    }
                }
                CHECK_MSG(day / nd > 1.5 * night / nn, "mean volume 15h %.1f vs 3h %.1f", day / nd,
                          night / nn);
            }
            free(r);
            free(r2);
            series_free(&s);
        }
}

static int read_all(const char *path, char **out, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    rewind(f);
    *out = malloc((size_t)*len + 1);
    size_t got = fread(*out, 1, (size_t)*len, f);
    fclose(f);
    return got == (size_t)*len ? 0 : -1;
}

static void test_synth_same_seed_same_file(void)
{
    char a[300], b[300], c[300], err[256];
    snprintf(a, sizeof a, "%s/a.csv", tmp_dir);
    snprintf(b, sizeof b, "%s/b.csv", tmp_dir);
    snprintf(c, sizeof c, "%s/c.csv", tmp_dir);
    tr_synth_opts o;
    tr_synth_defaults(&o);
    o.bars = 5000;
    const char *paths[] = {a, b, c};
    const unsigned long seeds[] = {11, 11, 12};
    for (int i = 0; i < 3; i++) {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, seeds[i]);
        CHECK_INT(tr_synth_write(&o, r, paths[i], err), 0);
        gsl_rng_free(r);
    }
    char *ta = NULL, *tb = NULL, *tc = NULL;
    long la = 0, lb = 0, lc = 0;
    CHECK_INT(read_all(a, &ta, &la), 0);
    CHECK_INT(read_all(b, &tb, &lb), 0);
    CHECK_INT(read_all(c, &tc, &lc), 0);
    CHECK_MSG(la == lb && ta && tb && memcmp(ta, tb, (size_t)la) == 0, "same seed, different files");
    CHECK_MSG(!(la == lc && ta && tc && memcmp(ta, tc, (size_t)la) == 0), "different seeds, same file");
    free(ta);
    free(tb);
    free(tc);

    /* tr_synth_next gives the values the file holds */
    series s;
    CHECK_INT(load(a, &s), 0);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    tr_synth g;
    CHECK_INT(tr_synth_init(&g, &o, r, err), 0);
    long diff = 0;
    for (long i = 0; i < s.n; i++) {
        tr_synth_bar bar;
        tr_synth_next(&g, &bar);
        diff += bar.ts != s.ts[i] || fabs(bar.open - s.o[i]) > 1e-9 || fabs(bar.high - s.h[i]) > 1e-9 ||
                fabs(bar.low - s.l[i]) > 1e-9 || fabs(bar.close - s.c[i]) > 1e-9 ||
                fabs(bar.volume - s.v[i]) > 1e-9;
    }
    CHECK_MSG(diff == 0, "%ld bars differ between tr_synth_next and the file", diff);
    gsl_rng_free(r);
    series_free(&s);
    unlink(a);
    unlink(b);
    unlink(c);
}

static void test_synth_interval_parse_and_errors(void)
{
    long long s = 0;
    char err[256];
    const char *good[] = {"5m", "1h", "1d", "30s", "1w", "3600", "15m", "4h"};
    const long long want[] = {300, 3600, 86400, 30, 604800, 3600, 900, 14400};
    for (int i = 0; i < 8; i++) {
        CHECK_INT(tr_synth_interval_parse(good[i], &s, err), 0);
        CHECK_INT(s, want[i]);
    }
    const char *bad[] = {"", "h", "1x", "0h", "-1h", "1hh", "1.5h", " 1h"};
    for (int i = 0; i < 8; i++) {
        CHECK_MSG(tr_synth_interval_parse(bad[i], &s, err) == -1, "'%s' accepted", bad[i]);
    }
    CHECK_STR_CONTAINS(err, "is not a bar length");

    tr_synth_opts o;
    tr_synth_defaults(&o);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    CHECK_INT(tr_synth_write(&o, r, "/nonexistent/dir/x.csv", err), -1);
    CHECK_STR_CONTAINS(err, "/nonexistent/dir/x.csv");
    o.bars = 0;
    char path[300];
    snprintf(path, sizeof path, "%s/zero.csv", tmp_dir);
    CHECK_INT(tr_synth_write(&o, r, path, err), -1);
    CHECK(access(path, F_OK) != 0);
    /* a single bar is a valid file */
    o.bars = 1;
    CHECK_INT(tr_synth_write(&o, r, path, err), 0);
    series one;
    CHECK_INT(load(path, &one), 0);
    check_invariants(&one, 1, 3600, "one bar");
    series_free(&one);
    unlink(path);
    gsl_rng_free(r);
}

int main(void)
{
    gsl_set_error_handler_off();
    const char *t = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/seqtune_synth_XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_synth_invariants_and_format();
    test_synth_stylised_facts();
    test_synth_same_seed_same_file();
    test_synth_interval_parse_and_errors();
    rmdir(tmp_dir);
    return check_done();
}
