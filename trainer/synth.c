/*
 * synth.c - the synthetic candle generator and its fast CSV writer (synth.h).
 *
 * One bar costs a handful of GSL draws and a few exp/log calls; the writer
 * formats fixed-point numbers by hand into a 1 MiB buffer so a million bars
 * take well under a second.
 */
#include "trainer/synth.h"

#include "base/file.h"

#include <gsl/gsl_randist.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYN_YEAR_S (365.25 * 86400.0)
#define SYN_ALPHA 0.12
#define SYN_BETA 0.83
#define SYN_NU 6.0
#define SYN_ANNUAL_VOL 0.65
#define SYN_REGIME_DAYS 30.0
#define SYN_PULL 0.5          /* per year, towards the starting log price */

/* Annual drift and volatility multiplier of the regimes bull, flat, bear. */
static const double regime_drift[3] = {0.9, 0.0, -0.8};
static const double regime_volm[3] = {0.9, 0.75, 1.45};

void tr_synth_defaults(tr_synth_opts *o)
{
    o->bars = 10000;
    o->interval_s = 3600;
    o->start = 1577836800;   /* 2020-01-01 00:00 UTC */
    o->start_price = 30000.0;
    o->random_walk = 0;
    o->edge = 0;
}

int tr_synth_interval_parse(const char *text, long long *seconds, char err[256])
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    long long unit = 1;
    if (end && *end && !end[1]) {
        switch (*end) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        default: unit = 0;
        }
        end++;
    }
    if (errno || end == text || *end || unit == 0 || n < 1 || n > 1000000000LL / unit ||
        !(text[0] >= '0' && text[0] <= '9')) {
        snprintf(err, 256, "'%s' is not a bar length such as 5m, 1h or 1d", text);
        return -1;
    }
    *seconds = n * unit;
    return 0;
}

int tr_synth_init(tr_synth *g, const tr_synth_opts *o, gsl_rng *rng, char err[256])
{
    if (o->bars < 1 || o->interval_s < 1 || !(o->start_price > 0) || !isfinite(o->start_price)) {
        snprintf(err, 256, "synthetic candles need bars >= 1, interval >= 1 s and a start price > 0");
        return -1;
    }
    if (!(o->edge >= 0 && o->edge < 1)) {
        snprintf(err, 256, "edge: expected a number in [0, 1), got %g", o->edge);
        return -1;
    }
    memset(g, 0, sizeof *g);
    g->o = *o;
    g->rng = rng;
    g->dt_years = (double)o->interval_s / SYN_YEAR_S;
    g->var_target = SYN_ANNUAL_VOL * SYN_ANNUAL_VOL * g->dt_years;
    g->omega = g->var_target * (1.0 - SYN_ALPHA - SYN_BETA);
    g->sigma2 = g->var_target;
    g->log_p0 = g->log_p = log(o->start_price);
    g->prev_close = round(o->start_price * 100.0) / 100.0;
    if (g->prev_close < 0.01)
        g->prev_close = 0.01;
    g->regime = 1;
    g->p_switch = fmin(0.5, (double)o->interval_s / (SYN_REGIME_DAYS * 86400.0));
    g->vol0 = 1500.0 * (double)o->interval_s / 3600.0;
    return 0;
}

static double round_to(double v, double scale)
{
    return round(v * scale) / scale;
}

/* The known predictable component: z mixed with the sign of the last return. */
static double edge_shock(const tr_synth *g, double z)
{
    double s = g->last_x > 0 ? 1.0 : g->last_x < 0 ? -1.0 : 0.0;
    return g->o.edge * s + sqrt(1.0 - g->o.edge * g->o.edge) * z;
}

/* Fills the bar from the open (prev close), the log return x, its sd and a volume. */
static void bar_from(tr_synth *g, long long ts, double x, double bar_sigma, double volume,
                     tr_synth_bar *bar);

/* The random walk: i.i.d. N(0, var_target) log returns (plus the edge), volume
 * lognormal and drawn on its own. */
static void random_walk_next(tr_synth *g, tr_synth_bar *bar)
{
    gsl_rng *r = g->rng;
    long long ts = g->o.start + g->i * g->o.interval_s;
    g->i++;
    double sigma = sqrt(g->var_target);
    double z = gsl_ran_gaussian_ziggurat(r, 1.0);
    if (g->o.edge > 0)
        z = edge_shock(g, z);
    double x = sigma * z;
    double volume = g->vol0 * exp(gsl_ran_gaussian_ziggurat(r, 0.35));
    bar_from(g, ts, x, sigma, volume, bar);
}

void tr_synth_next(tr_synth *g, tr_synth_bar *bar)
{
    if (g->o.random_walk) {
        random_walk_next(g, bar);
        return;
    }
    gsl_rng *r = g->rng;
    long long ts = g->o.start + g->i * g->o.interval_s;
    g->i++;

    /* regime switch: leave the current state with p_switch, to one of the others */
    if (gsl_rng_uniform(r) < g->p_switch)
        g->regime = (g->regime + 1 + (int)gsl_rng_uniform_int(r, 2)) % 3;

    /* seasonality by time of day (intraday bars only) and weekday */
    double season_vol = 1.0, season_volume = 1.0;
    long long day_s = ((ts % 86400) + 86400) % 86400;
    if (g->o.interval_s < 86400) {
        double phase = 2.0 * M_PI * ((double)day_s / 3600.0 - 15.0) / 24.0;
        season_vol = sqrt(1.0 + 0.5 * cos(phase));
        season_volume = 1.0 + 0.6 * cos(phase);
    }
    long long days = ts >= 0 ? ts / 86400 : -((-ts + 86399) / 86400);
    int dow = (int)(((days + 4) % 7 + 7) % 7);   /* 0 = Sunday (1970-01-01 was a Thursday) */
    if (dow == 0 || dow == 6)
        season_volume *= 0.65;

    /* GARCH(1,1) innovation with unit-variance Student-t shocks */
    double sigma = sqrt(g->sigma2);
    double z = gsl_ran_tdist(r, SYN_NU) * sqrt((SYN_NU - 2.0) / SYN_NU);
    if (g->o.edge > 0)
        z = edge_shock(g, z);
    double eps = sigma * z;
    double bar_sigma = season_vol * sqrt(regime_volm[g->regime]) * sigma;
    double mu = (regime_drift[g->regime] - SYN_PULL * (g->log_p - g->log_p0)) * g->dt_years;
    double x = mu + season_vol * sqrt(regime_volm[g->regime]) * eps;
    g->sigma2 = g->omega + SYN_ALPHA * eps * eps + SYN_BETA * g->sigma2;

    /* extremes of a Brownian bridge from 0 to x with variance bar_sigma^2 */
    double u1 = gsl_rng_uniform_pos(r), u2 = gsl_rng_uniform_pos(r);
    double s2 = bar_sigma * bar_sigma;
    double hi = 0.5 * (x + sqrt(x * x - 2.0 * s2 * log(u1)));
    double lo = 0.5 * (x - sqrt(x * x - 2.0 * s2 * log(u2)));

    double open = g->prev_close;
    double close = round_to(open * exp(x), 100.0);
    if (close < 0.01)
        close = 0.01;
    double high = fmax(round_to(open * exp(hi), 100.0), fmax(open, close));
    double low = fmin(round_to(open * exp(lo), 100.0), fmin(open, close));
    if (low < 0.01)
        low = 0.01;

    /* volume: seasonality, activity with |z| and the volatility level, lognormal noise */
    double activity = pow(sigma * sigma / g->var_target, 0.4) * (0.6 + 0.4 * fabs(z));
    double volume = g->vol0 * season_volume * activity * exp(gsl_ran_gaussian_ziggurat(r, 0.35));
    volume = round_to(volume, 1e8);
    if (volume < 1e-8)
        volume = 1e-8;

    g->log_p = log(close);
    g->last_x = x;
    g->prev_close = close;
    bar->ts = ts;
    bar->open = open;
    bar->high = high;
    bar->low = low;
    bar->close = close;
    bar->volume = volume;
}

static void bar_from(tr_synth *g, long long ts, double x, double bar_sigma, double volume,
                     tr_synth_bar *bar)
{
    gsl_rng *r = g->rng;
    double u1 = gsl_rng_uniform_pos(r), u2 = gsl_rng_uniform_pos(r);
    double s2 = bar_sigma * bar_sigma;
    double hi = 0.5 * (x + sqrt(x * x - 2.0 * s2 * log(u1)));
    double lo = 0.5 * (x - sqrt(x * x - 2.0 * s2 * log(u2)));
    double open = g->prev_close;
    double close = fmax(0.01, round_to(open * exp(x), 100.0));
    double high = fmax(round_to(open * exp(hi), 100.0), fmax(open, close));
    double low = fmax(0.01, fmin(round_to(open * exp(lo), 100.0), fmin(open, close)));
    volume = fmax(1e-8, round_to(volume, 1e8));
    g->log_p = log(close);
    g->last_x = x;
    g->prev_close = close;
    *bar = (tr_synth_bar){ts, open, high, low, close, volume};
}

/* ---- the CSV writer ------------------------------------------------------------ */

typedef struct writer {
    int fd;
    char *buf;
    size_t len, cap;
    int failed;
} writer;

static void w_flush(writer *w)
{
    size_t off = 0;
    while (off < w->len && !w->failed) {
        ssize_t n = write(w->fd, w->buf + off, w->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            w->failed = errno ? errno : EIO;
        else
            off += (size_t)n;
    }
    w->len = 0;
}

/* Appends a non-negative integer in decimal. */
static char *put_u(char *p, unsigned long long v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* Appends v (>= 0) with at most `dec` decimals, trailing zeros trimmed. */
static char *put_fixed(char *p, double v, int dec, unsigned long long scale)
{
    unsigned long long s = (unsigned long long)llround(v * (double)scale);
    p = put_u(p, s / scale);
    unsigned long long frac = s % scale;
    if (frac) {
        *p++ = '.';
        char digits[20];
        for (int i = dec - 1; i >= 0; i--) {
            digits[i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        int n = dec;
        while (n > 0 && digits[n - 1] == '0')
            n--;
        memcpy(p, digits, (size_t)n);
        p += n;
    }
    return p;
}

static char *put_ll(char *p, long long v)
{
    if (v < 0) {
        *p++ = '-';
        return put_u(p, (unsigned long long)(-(v + 1)) + 1);
    }
    return put_u(p, (unsigned long long)v);
}

int tr_synth_write(const tr_synth_opts *o, gsl_rng *rng, const char *path, char err[256])
{
    tr_synth g;
    writer w = {-1, NULL, 0, 1 << 20, 0};
    char *tmp = NULL;
    if (tr_synth_init(&g, o, rng, err) != 0)
        return -1;
    tmp = malloc(BASE_TEMP_NAME_MAX);
    w.buf = malloc(w.cap);
    if (!tmp || !w.buf) {
        snprintf(err, 256, "%s: out of memory", path);
        goto fail;
    }
    base_file_temp_name(path, tmp);
    w.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (w.fd < 0) {
        snprintf(err, 256, "%s: cannot create a file there: %s", path, strerror(errno));
        free(tmp);
        tmp = NULL;
        goto fail;
    }
    static const char header[] = "timestamp,open,high,low,close,volume\n";
    memcpy(w.buf, header, sizeof header - 1);
    w.len = sizeof header - 1;
    for (long long i = 0; i < o->bars && !w.failed; i++) {
        tr_synth_bar b;
        tr_synth_next(&g, &b);
        if (w.len + 160 > w.cap)
            w_flush(&w);
        char *p = w.buf + w.len;
        p = put_ll(p, b.ts);
        *p++ = ',';
        p = put_fixed(p, b.open, 2, 100);
        *p++ = ',';
        p = put_fixed(p, b.high, 2, 100);
        *p++ = ',';
        p = put_fixed(p, b.low, 2, 100);
        *p++ = ',';
        p = put_fixed(p, b.close, 2, 100);
        *p++ = ',';
        p = put_fixed(p, b.volume, 8, 100000000ULL);
        *p++ = '\n';
        w.len = (size_t)(p - w.buf);
    }
    w_flush(&w);
    if (w.failed) {
        snprintf(err, 256, "%s: write failed: %s", path, strerror(w.failed));
        goto fail;
    }
    int fd = w.fd;
    w.fd = -1;
    if (base_file_commit_fd(fd, tmp, path, err) != 0) {
        free(tmp);
        tmp = NULL;
        goto fail;
    }
    free(tmp);
    free(w.buf);
    return 0;
fail:
    if (w.fd >= 0)
        close(w.fd);
    if (tmp)
        unlink(tmp);
    free(tmp);
    free(w.buf);
    return -1;
}
