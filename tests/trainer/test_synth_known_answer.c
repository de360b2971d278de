/*
 * test_synth_known_answer.c - the synthetic series whose answer is known
 * (trainer/synth.h): without the new options the file is the one the previous
 * generator wrote (its sha256 recorded before --random-walk/--edge existed);
 * --random-walk has no drift, no autocorrelation, no volatility clustering and
 * volume unrelated to |return|; --edge X makes the unit shock correlate with
 * the sign of the last return at X, on both series.
 */
#include "tests/check.h"
#include "tracker/sha256.h"
#include "trainer/synth.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_statistics_double.h>
#include <unistd.h>

/* n bars' log returns and volumes from the generator with these options. */
static void series(tr_synth_opts *o, unsigned long seed, double *r, double *v)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    tr_synth s;
    char err[256];
    CHECK(tr_synth_init(&s, o, g, err) == 0);
    double prev = o->start_price;
    for (long long i = 0; i < o->bars; i++) {
        tr_synth_bar b;
        tr_synth_next(&s, &b);
        r[i] = log(b.close / prev);
        v[i] = b.volume;
        prev = b.close;
    }
    gsl_rng_free(g);
}

static void test_default_output_is_unchanged(void)
{
    tr_synth_opts o;
    tr_synth_defaults(&o);
    o.bars = 20000;
    char path[] = "/tmp/seqtune-synth-XXXXXX", err[256];
    int fd = mkstemp(path);
    close(fd);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 3);
    CHECK(tr_synth_write(&o, g, path, err) == 0);
    gsl_rng_free(g);
    FILE *f = fopen(path, "rb");
    static char buf[4 << 20];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    unlink(path);
    char hex[65];
    trk_sha256_hex(buf, n, hex);
    /* `seqtune synth --bars 20000 --seed 3` of the generator before this change */
    CHECK_MSG(strcmp(hex, "f19db303d8e03a1c2ed3820dfbfdae65a58eac021d3aac16dec3b79025f0c47a") == 0,
              "default output changed: sha256 %s", hex);
}

static double lag1(const double *x, int n)
{
    return gsl_stats_correlation(x, 1, x + 1, 1, (size_t)n - 1);
}

static void test_random_walk_has_nothing_to_predict(void)
{
    enum { N = 40000 };
    static double r[N], v[N], sq[N], ab[N];
    tr_synth_opts o;
    tr_synth_defaults(&o);
    o.bars = N;
    o.random_walk = 1;
    series(&o, 5, r, v);
    for (int i = 0; i < N; i++)
        sq[i] = r[i] * r[i], ab[i] = fabs(r[i]);
    double tol = 4 / sqrt((double)N);   /* 4 standard errors */
    double mean = gsl_stats_mean(r, 1, N), sd = gsl_stats_sd(r, 1, N);
    fprintf(stderr, "random walk: mean %.2e sd %.5f, acf1 %.4f, acf1 of r^2 %.4f, "
            "corr(volume, |r|) %.4f (tol %.4f)\n", mean, sd, lag1(r, N), lag1(sq, N),
            gsl_stats_correlation(v, 1, ab, 1, N), tol);
    CHECK(fabs(mean) < 4 * sd / sqrt((double)N));
    CHECK_NEAR(sd, 0.65 / sqrt(365.25 * 24), 0.05 * sd);
    CHECK(fabs(lag1(r, N)) < tol);
    CHECK(fabs(lag1(sq, N)) < tol);                        /* no volatility clustering */
    CHECK(fabs(gsl_stats_correlation(v, 1, ab, 1, N)) < tol);   /* volume independent */
}

static void test_edge_sets_the_lean(void)
{
    enum { N = 40000 };
    static double r[N], v[N], z[N], s[N];
    for (int rw = 1; rw >= 0; rw--) {
        tr_synth_opts o;
        tr_synth_defaults(&o);
        o.bars = N;
        o.random_walk = rw;
        o.edge = 0.3;
        series(&o, 6, r, v);
        int m = 0;
        for (int i = 1; i < N; i++) {
            s[m] = r[i - 1] > 0 ? 1 : -1;
            z[m++] = r[i] > 0 ? 1 : -1;
        }
        double agree = 0;
        for (int i = 0; i < m; i++)
            agree += (s[i] == z[i]) / (double)m;
        /* P(same sign) = Phi(X / sqrt(1 - X^2)) for Gaussian shocks: 0.6241 at X = 0.3 */
        fprintf(stderr, "%s --edge 0.3: P(next return has the sign of the last) %.4f\n",
                rw ? "random walk" : "realistic", agree);
        if (rw)
            CHECK_NEAR(agree, 0.6241, 0.015);
        else
            CHECK(agree > 0.58 && agree < 0.67);
    }
    tr_synth_opts o;
    tr_synth_defaults(&o);
    o.edge = 1.0;
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    tr_synth sy;
    char err[256];
    CHECK(tr_synth_init(&sy, &o, g, err) < 0);
    CHECK_STR_CONTAINS(err, "edge");
    gsl_rng_free(g);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_default_output_is_unchanged();
    test_random_walk_has_nothing_to_predict();
    test_edge_sets_the_lean();
    return check_done();
}
