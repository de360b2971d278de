/*
 * fuzz_candles.c - fuzzes the candle CSV loader (trainer/candles.h).
 *
 * The input is the file's bytes, parsed from memory by tr_candles_parse.
 * Invariants: a refused file has an error sentence; an accepted one has
 * strictly increasing timestamps, finite prices with low <= open, close <= high,
 * a non-negative volume, and segments that start at 0 and never decrease.
 */
#include "fuzz/fuzz.h"

#include "trainer/candles.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tr_candles c;
    char err[256] = "";
    if (tr_candles_parse((const char *)data, size, "fuzz.csv", &c, err) != 0) {
        FUZZ_ASSERT(fuzz_err_ok(err));
        FUZZ_ASSERT(c.n == 0);
        return 0;
    }
    for (int i = 0; i < c.n; i++) {
        FUZZ_ASSERT(isfinite(c.open[i]) && isfinite(c.high[i]) && isfinite(c.low[i]) &&
                    isfinite(c.close[i]) && isfinite(c.volume[i]));
        FUZZ_ASSERT(c.low[i] <= c.high[i]);
        FUZZ_ASSERT(c.low[i] <= c.open[i] && c.open[i] <= c.high[i]);
        FUZZ_ASSERT(c.low[i] <= c.close[i] && c.close[i] <= c.high[i]);
        FUZZ_ASSERT(c.volume[i] >= 0);
        if (i > 0) {
            FUZZ_ASSERT(c.ts[i] > c.ts[i - 1]);
            FUZZ_ASSERT(c.segment[i] >= c.segment[i - 1]);
        } else {
            FUZZ_ASSERT(c.segment[0] == 0);
        }
    }
    FUZZ_ASSERT(c.n < 2 || c.interval > 0);
    tr_candles_free(&c);
    return 0;
}
