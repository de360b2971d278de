/*
 * timeframe.c - resampling into UTC-aligned higher-timeframe candles and the
 * map from each base bar to the last closed one (timeframe.h).
 */
#include "trainer/timeframe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tr_timeframe_parse(const char *text, int64_t *seconds, char err[256])
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || v < 1 || v > 100000 || !*end || end[1] != '\0' ||
        !strchr("mhd", *end)) {
        snprintf(err, 256, "timeframe '%.40s': expected a whole number and m, h or d "
                 "(\"15m\", \"4h\", \"1d\")", text);
        return -1;
    }
    *seconds = (int64_t)v * (*end == 'm' ? 60 : *end == 'h' ? 3600 : 86400);
    return 0;
}

/* floor(a / b) for b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int tr_candles_resample(const tr_candles *c, int64_t period, tr_candles *out, int **visible,
                        char err[256])
{
    memset(out, 0, sizeof *out);
    *visible = NULL;
    const int64_t iv = c->interval;
    if (c->n < 2 || iv <= 0) {
        snprintf(err, 256, "a higher timeframe needs at least 2 candles");
        return -1;
    }
    if (period <= iv || period % iv != 0) {
        snprintf(err, 256, "the timeframe of %lld s must be a whole multiple of the candles' "
                 "interval (%lld s) and longer than it", (long long)period, (long long)iv);
        return -1;
    }
    if (86400 % period != 0 && period % 86400 != 0) {
        snprintf(err, 256, "the timeframe of %lld s neither divides a day nor is a whole "
                 "number of days, so its candles cannot start on UTC boundaries",
                 (long long)period);
        return -1;
    }
    int nb = 0;
    for (int t = 0; t < c->n; t++) {
        if (c->ts[t] % iv != 0) {
            snprintf(err, 256, "a higher timeframe needs candles on the grid of their interval "
                     "(%lld s); row %d at %lld is off it", (long long)iv, t, (long long)c->ts[t]);
            return -1;
        }
        nb += t == 0 || floor_div(c->ts[t], period) != floor_div(c->ts[t - 1], period);
    }
    int *vis = malloc((size_t)c->n * sizeof *vis);
    if (!vis || tr_candles_alloc(out, nb, err) < 0) {
        free(vis);
        tr_candles_free(out);
        snprintf(err, 256, "out of memory for %d higher-timeframe candles", nb);
        return -1;
    }
    int h = -1;
    for (int t = 0; t < c->n; t++) {
        int64_t b = floor_div(c->ts[t], period);
        if (h < 0 || floor_div(out->ts[h], period) != b) {
            h++;
            out->ts[h] = b * period;
            out->open[h] = c->open[t];
            out->high[h] = c->high[t];
            out->low[h] = c->low[t];
            out->volume[h] = 0;
        }
        if (c->high[t] > out->high[h])
            out->high[h] = c->high[t];
        if (c->low[t] < out->low[h])
            out->low[h] = c->low[t];
        out->close[h] = c->close[t];
        out->volume[h] += c->volume[t];
        /* The bucket of bar t is closed only by its last slot; otherwise the
         * previous candle (every bar of it lies before t) is the last closed. */
        vis[t] = c->ts[t] + iv == (b + 1) * period ? h : h - 1;
    }
    tr_candles_index(out);
    *visible = vis;
    return 0;
}
