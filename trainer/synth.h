/*
 * synth.h - realistic synthetic OHLCV candles, so a first study needs no download.
 *
 * The model, bar by bar (all draws from the gsl_rng the caller passes in):
 *   - log return r_t = mu_regime + s(hour) * sqrt(m_regime) * eps_t,
 *     eps_t = sigma_t * z_t, z_t Student-t (nu = 6) scaled to unit variance;
 *   - GARCH(1,1): sigma^2_{t+1} = omega + alpha eps_t^2 + beta sigma^2_t
 *     (alpha 0.12, beta 0.83, unconditional volatility 65 % a year), which gives
 *     volatility clustering and fat tails;
 *   - a three-state Markov chain of drift regimes (bull, flat, bear; about 30 days
 *     each) with their own volatility multiplier m_regime, plus a weak pull of the
 *     log price back to its start so long series stay in a sane price range;
 *   - intraday seasonality (bars shorter than a day): volatility and volume peak
 *     around 15:00 UTC; volume is lower at weekends and rises with |z| and sigma;
 *   - high and low from the extremes of a Brownian bridge between open and close.
 * Prices are rounded to cents and volumes to 1e-8 exactly as the file holds them;
 * every bar satisfies low <= min(open, close) <= max(open, close) <= high, prices
 * > 0, volume > 0, and each bar opens at the previous close.
 * The file format is the one of ../shared/data: a header line
 * `timestamp,open,high,low,close,volume`, Unix seconds, plain decimals.
 */
#ifndef TR_SYNTH_H
#define TR_SYNTH_H

#include <gsl/gsl_rng.h>

typedef struct tr_synth_opts {
    long long bars;         /* >= 1; default 10000 */
    long long interval_s;   /* bar length in seconds, >= 1; default 3600 */
    long long start;        /* open time of the first bar (Unix s); default 1577836800 */
    double start_price;     /* > 0; default 30000 */
    /* Series with a known answer (both off by default: then the output is the
     * realistic series above, byte for byte):
     *   random_walk: i.i.d. Gaussian log returns, no drift, constant volatility
     *     (65 % a year), no seasonality, volume independent of price; nothing
     *     is predictable.
     *   edge X in [0, 1): the unit shock z_t of either series becomes
     *     X sign(r_{t-1}) + sqrt(1 - X^2) z_t, so corr(z_t, sign(r_{t-1})) = X:
     *     the next return leans toward the sign of the last one. */
    int random_walk;
    double edge;
} tr_synth_opts;

/* One candle, with the values exactly as written to the file. */
typedef struct tr_synth_bar {
    long long ts;
    double open, high, low, close, volume;
} tr_synth_bar;

/* The generator's state (fields are private: use the functions). */
typedef struct tr_synth {
    tr_synth_opts o;
    gsl_rng *rng;           /* not owned */
    long long i;            /* bars produced so far */
    double var_target, omega, sigma2, log_p0, log_p, prev_close;
    int regime;
    double p_switch, dt_years, vol0;
    double last_x;          /* the previous bar's log return (for the edge) */
} tr_synth;

/* Fills the defaults above. */
void tr_synth_defaults(tr_synth_opts *o);

/* Parses a bar length such as "5m", "1h", "1d", "30s", "1w" or "3600" (seconds)
 * into seconds; -1 with `err` naming the text when it is not one. */
int tr_synth_interval_parse(const char *text, long long *seconds, char err[256]);

/* Starts a generator; `rng` (seeded by the caller, not owned) must outlive it.
 * Returns 0, or -1 with `err` when an option is out of range. */
int tr_synth_init(tr_synth *g, const tr_synth_opts *o, gsl_rng *rng, char err[256]);

/* Produces the next candle into *bar. Precondition: fewer than o.bars produced. */
void tr_synth_next(tr_synth *g, tr_synth_bar *bar);

/* Writes o->bars candles to `path` durably (temp file in the same folder,
 * fsync, rename). Returns 0, or -1 with `err` naming the file and the reason;
 * on failure `path` is untouched. Same options and same rng seed, same bytes. */
int tr_synth_write(const tr_synth_opts *o, gsl_rng *rng, const char *path, char err[256]);

#endif
