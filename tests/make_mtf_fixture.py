#!/usr/bin/env python3
"""make_mtf_fixture.py - reference values for the level features and for
features on a higher timeframe (trainer/features.c, trainer/timeframe.c),
written from their definitions with the Python standard library only.

Usage: python3 tests/make_mtf_fixture.py DATA_1h.csv > tests/fixtures/features_mtf_btc_1h.csv

The candles are the real 1h ones with the rows in DROPPED removed, so that
gaps (one that swallows the end of a 4h bucket, one that swallows a whole UTC
day) are part of the reference; tests/trainer/test_features_mtf.c removes the
same rows.

Higher timeframe, as defined independently here: candles of P seconds are
grouped by floor(ts / P) (buckets without bars have no candle); a candle is
open of the first bar, max high, min low, close of the last bar, summed
volume. At base bar t the visible candle is the latest one whose bucket has
ended by the close of bar t (bucket end <= ts[t] + 3600), so a still forming
candle is never used. The indicator is computed on the higher-timeframe
candles and its value of the visible candle is the base bar's value ("nan"
when there is none yet or it is in the indicator's warm-up).

Output: "row,<column>,..." then every 7th row and the first 60, 17 digits.
"""
import csv
import math
import statistics
import sys

DROPPED = set(range(1001, 1004)) | set(range(2400, 2430))   # rows of the original file
HOUR = 3600


def load(path):
    rows = []
    with open(path) as f:
        r = csv.reader(f)
        next(r)
        for i, (t, o, h, l, c, v) in enumerate(r):
            if i not in DROPPED:
                rows.append((int(t), float(o), float(h), float(l), float(c), float(v)))
    return rows


def resample(rows, period):
    out = []
    for t, o, h, l, c, v in rows:
        b = t // period
        if out and out[-1][0] == b * period:
            _, oo, hh, ll, _, vv = out[-1]
            out[-1] = (b * period, oo, max(hh, h), min(ll, l), c, vv + v)
        else:
            out.append((b * period, o, h, l, c, v))
    return out


def rsi(rows, p):
    cl = [r[4] for r in rows]
    n = len(cl)
    out = [math.nan] * n
    gains = [max(cl[t] - cl[t - 1], 0.0) for t in range(1, n)]
    losses = [max(cl[t - 1] - cl[t], 0.0) for t in range(1, n)]
    if len(gains) < p:
        return out
    ag, al = sum(gains[:p]) / p, sum(losses[:p]) / p
    for t in range(p, n):
        if t > p:
            ag = (ag * (p - 1) + gains[t - 1]) / p
            al = (al * (p - 1) + losses[t - 1]) / p
        out[t] = 0.5 if ag + al == 0 else ag / (ag + al)
    return out


def log_return(rows):
    cl = [r[4] for r in rows]
    return [math.nan] + [math.log(cl[t] / cl[t - 1]) for t in range(1, len(cl))]


def zscore(xs, w):
    out = [math.nan] * len(xs)
    for t in range(w - 1, len(xs)):
        win = xs[t - w + 1:t + 1]
        m, sd = statistics.fmean(win), statistics.pstdev(win)
        out[t] = (xs[t] - m) / sd if sd > 0 else 0.0
    return out


def close_z(rows, w):
    return zscore([r[4] for r in rows], w)


def range_z(rows, w):
    return zscore([(r[2] - r[3]) / r[4] for r in rows], w)


def on_timeframe(rows, period, indicator):
    """The indicator on `period` candles, seen from each base bar."""
    htf = resample(rows, period)
    vals = indicator(htf)
    ends = [c[0] + period for c in htf]
    out, j = [], -1
    for t, *_ in rows:
        while j + 1 < len(htf) and ends[j + 1] <= t + HOUR:
            j += 1
        out.append(vals[j] if j >= 0 else math.nan)
    return out


def main():
    rows = load(sys.argv[1])
    cols = {
        "close_z:20": close_z(rows, 20),
        "volume_log": [math.log(1.0 + r[5]) for r in rows],
        "range_z:20": range_z(rows, 20),
        "rsi:14@4h": on_timeframe(rows, 4 * HOUR, lambda c: rsi(c, 14)),
        "log_return@1d": on_timeframe(rows, 24 * HOUR, log_return),
        "close_z:5@1d": on_timeframe(rows, 24 * HOUR, lambda c: close_z(c, 5)),
        "volume_log@4h": on_timeframe(rows, 4 * HOUR, lambda c: [math.log(1.0 + x[5]) for x in c]),
    }
    names = list(cols)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["row"] + names)
    for t in range(len(rows)):
        if t < 60 or t % 7 == 0:
            out.writerow([t] + ["nan" if math.isnan(cols[k][t]) else "%.17g" % cols[k][t]
                                for k in names])


if __name__ == "__main__":
    main()
