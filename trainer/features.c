/*
 * features.c - the indicator registry: names, arguments and their checks.
 */
#include "trainer/features.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tr_feature_info registry[] = {
    {"log_return", 0, 1, {1}, "LAG", "log(close_t / close_{t-LAG})"},
    {"simple_return", 0, 1, {1}, "LAG", "close_t / close_{t-LAG} - 1"},
    {"realized_vol", 0, 1, {24}, "WINDOW", "std of 1-bar log returns over WINDOW bars"},
    {"rsi", 0, 1, {14}, "PERIOD", "Wilder's relative strength index / 100"},
    {"macd", 0, 3, {12, 26, 9}, "FAST:SLOW:SIGNAL", "MACD line / close"},
    {"macd_signal", 0, 3, {12, 26, 9}, "FAST:SLOW:SIGNAL", "MACD signal line / close"},
    {"macd_hist", 0, 3, {12, 26, 9}, "FAST:SLOW:SIGNAL", "MACD histogram / close"},
    {"bollinger_b", 0, 1, {20}, "WINDOW", "Bollinger %B (2 std bands)"},
    {"bollinger_width", 0, 1, {20}, "WINDOW", "Bollinger bandwidth (2 std bands)"},
    {"atr", 0, 1, {14}, "PERIOD", "Wilder's average true range / close"},
    {"stoch_k", 0, 1, {14}, "PERIOD", "stochastic %K / 100"},
    {"stoch_d", 0, 2, {14, 3}, "PERIOD:SMOOTH", "stochastic %D (SMA of %K) / 100"},
    {"williams_r", 0, 1, {14}, "PERIOD", "Williams %R / 100"},
    {"cci", 0, 1, {20}, "PERIOD", "commodity channel index / 100"},
    {"roc", 0, 1, {10}, "PERIOD", "rate of change close_t / close_{t-PERIOD} - 1"},
    {"ema_ratio", 0, 1, {20}, "PERIOD", "close / EMA(close, PERIOD) - 1"},
    {"sma_ratio", 0, 1, {20}, "PERIOD", "close / SMA(close, PERIOD) - 1"},
    {"obv_change", 0, 1, {20}, "PERIOD", "change of on-balance volume over PERIOD / summed volume"},
    {"volume_z", 0, 1, {20}, "WINDOW", "z-score of log volume over WINDOW bars"},
    {"volume_ratio", 0, 1, {20}, "WINDOW", "volume / SMA(volume, WINDOW) - 1"},
    {"hl_range", 0, 0, {0}, "", "(high - low) / close"},
    {"body", 0, 0, {0}, "", "(close - open) / open"},
    {"upper_wick", 0, 0, {0}, "", "(high - max(open, close)) / close"},
    {"lower_wick", 0, 0, {0}, "", "(min(open, close) - low) / close"},
    {"close_position", 0, 0, {0}, "", "(close - low) / (high - low), 0.5 when high = low"},
    {"hour_of_day", 0, 0, {0}, "", "sin and cos of the UTC hour (2 columns)"},
    {"day_of_week", 0, 0, {0}, "", "sin and cos of the UTC weekday (2 columns)"},
};

const tr_feature_info *tr_feature_list(int *n)
{
    *n = (int)(sizeof registry / sizeof registry[0]);
    return registry;
}

int tr_feature_check(const char *text, char err[256])
{
    char name[64];
    size_t len = strcspn(text, ":");
    if (len == 0 || len >= sizeof name) {
        snprintf(err, 256, "'%s' is not a feature name", text);
        return -1;
    }
    memcpy(name, text, len);
    name[len] = '\0';
    int n;
    const tr_feature_info *reg = tr_feature_list(&n);
    const tr_feature_info *f = NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(reg[i].name, name) == 0)
            f = &reg[i];
    if (!f) {
        int off = snprintf(err, 256, "unknown feature '%s'; known:", name);
        for (int i = 0; i < n && off < 250; i++)
            off += snprintf(err + off, 256 - (size_t)off, " %s", reg[i].name);
        return -1;
    }
    const char *p = text + len;
    int nargs = 0;
    while (*p == ':') {
        p++;
        char *end = NULL;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || (*end != ':' && *end != '\0') || v < 1 || v > 100000) {
            snprintf(err, 256, "'%s': argument %d must be a whole number in [1, 100000]",
                     text, nargs + 1);
            return -1;
        }
        nargs++;
        p = end;
    }
    if (nargs < f->min_args || nargs > f->max_args) {
        snprintf(err, 256, "'%s': %s takes %d to %d arguments (%s), got %d", text, name,
                 f->min_args, f->max_args, f->args[0] ? f->args : "none", nargs);
        return -1;
    }
    return 0;
}
