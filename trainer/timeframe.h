/*
 * timeframe.h - higher-timeframe candles for features such as "rsi:14@4h":
 * resampling base candles into UTC-aligned buckets and, for each base bar, the
 * last higher-timeframe candle that is fully closed at that bar.
 *
 * A bucket of P seconds starts at a multiple of P since the Unix epoch (so 4h
 * buckets start at 00:00, 04:00, ... UTC and 1d buckets at UTC midnight). Its
 * candle is the open of its first bar, the highest high, the lowest low, the
 * close of its last bar and the summed volume, stamped with the bucket's start;
 * a bucket without bars has no candle (a gap, as in the base candles, and the
 * features treat neighbouring candles as adjacent). Base bar t closes its
 * bucket when it is the bucket's last slot (ts + interval = bucket end); the
 * candle of the bucket t lies in is visible at t only then, never while it is
 * still forming. That needs base candles on the grid of their interval
 * (timestamps multiples of it) and a period that is a whole multiple of the
 * interval and either divides a day or is a whole number of days.
 */
#ifndef TR_TIMEFRAME_H
#define TR_TIMEFRAME_H

#include "trainer/candles.h"

#include <stdint.h>

/* Parses "15m", "4h", "1d" (a whole number 1..100000 and a unit of minutes,
 * hours or days) into seconds. 0, or -1 with err. */
int tr_timeframe_parse(const char *text, int64_t *seconds, char err[256]);

/* Resamples c into candles of `period` seconds (*out, caller frees with
 * tr_candles_free) and fills *visible (c->n ints, caller frees with free):
 * visible[t] is the index in *out of the last candle fully closed at base bar
 * t, -1 when none is. Causal: visible[t] and the candles it names depend on
 * base rows <= t only. Refuses (-1, err) a period that is not a multiple of
 * the interval or not longer than it, one that does not align with UTC days,
 * and candles off the grid of their interval. */
int tr_candles_resample(const tr_candles *c, int64_t period, tr_candles *out, int **visible,
                        char err[256]);

#endif
