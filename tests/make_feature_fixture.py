#!/usr/bin/env python3
"""make_feature_fixture.py - reference values for every indicator of
trainer/features.c, written from the textbook definitions with the Python
standard library only (statistics, math), independently of the C code.

Usage: python3 tests/make_feature_fixture.py DATA.csv > tests/fixtures/features_btc_1h.csv

Output: one header line "row,<column>,..." and every 47th candle row plus the
first 60 rows (warm-up edges), values with 17 significant digits, "nan" where a
feature is undefined (warm-up). Conventions (the same as features.h documents):
EMA(n) alpha = 2/(n+1) seeded with the SMA of its first n inputs; Wilder
smoothing alpha = 1/n seeded the same way; population std except realized_vol.
"""
import csv
import math
import statistics
import sys


def load(path):
    rows = []
    with open(path) as f:
        r = csv.reader(f)
        next(r)
        for t, o, h, l, c, v in r:
            rows.append((int(t), float(o), float(h), float(l), float(c), float(v)))
    return rows


def nan_list(n):
    return [math.nan] * n


def sma_at(xs, t, n):
    return statistics.fmean(xs[t - n + 1:t + 1])


def ema(xs, start, n):
    """EMA over xs[start:], seeded with the mean of its first n values."""
    out = nan_list(len(xs))
    k = 2.0 / (n + 1)
    seed = start + n - 1
    if seed >= len(xs):
        return out
    out[seed] = statistics.fmean(xs[start:seed + 1])
    for t in range(seed + 1, len(xs)):
        out[t] = xs[t] * k + out[t - 1] * (1 - k)
    return out


def wilder(values, first, n):
    """Wilder's smoothing of values[first:], seeded with the mean of n values."""
    out = nan_list(len(values))
    seed = first + n - 1
    out[seed] = sum(values[first:seed + 1]) / n
    for t in range(seed + 1, len(values)):
        out[t] = (out[t - 1] * (n - 1) + values[t]) / n
    return out


def compute(rows):
    ts = [r[0] for r in rows]
    op = [r[1] for r in rows]
    hi = [r[2] for r in rows]
    lo = [r[3] for r in rows]
    cl = [r[4] for r in rows]
    vo = [r[5] for r in rows]
    n = len(rows)
    cols = {}

    def ret(lag, log):
        out = nan_list(n)
        for t in range(lag, n):
            out[t] = math.log(cl[t] / cl[t - lag]) if log else cl[t] / cl[t - lag] - 1.0
        return out

    cols["log_return"] = ret(1, True)
    cols["log_return:4"] = ret(4, True)
    cols["simple_return"] = ret(1, False)
    cols["simple_return:24"] = ret(24, False)
    cols["roc"] = ret(10, False)

    one = [math.nan] + [math.log(cl[t] / cl[t - 1]) for t in range(1, n)]
    for w in (24, 5):
        out = nan_list(n)
        for t in range(w, n):
            out[t] = statistics.stdev(one[t - w + 1:t + 1])
        cols["realized_vol" if w == 24 else "realized_vol:5"] = out

    for p in (14, 7):
        gains = [0.0] + [max(cl[t] - cl[t - 1], 0.0) for t in range(1, n)]
        losses = [0.0] + [max(cl[t - 1] - cl[t], 0.0) for t in range(1, n)]
        ag, al = wilder(gains, 1, p), wilder(losses, 1, p)
        out = nan_list(n)
        for t in range(p, n):
            if ag[t] + al[t] == 0:
                out[t] = 0.5
            else:   # RSI/100 = 1 - 1/(1+RS)
                out[t] = 1.0 - 1.0 / (1.0 + ag[t] / al[t]) if al[t] > 0 else 1.0
        cols["rsi" if p == 14 else "rsi:7"] = out

    for (f, s, g) in ((12, 26, 9), (5, 13, 4)):
        ef, es = ema(cl, 0, f), ema(cl, 0, s)
        w = max(f, s) - 1
        line = nan_list(n)
        for t in range(w, n):
            line[t] = ef[t] - es[t]
        sig = ema(line, w, g)
        suffix = "" if f == 12 else ":%d:%d:%d" % (f, s, g)
        a, b, c = nan_list(n), nan_list(n), nan_list(n)
        for t in range(w, n):
            a[t] = line[t] / cl[t]
        for t in range(w + g - 1, n):
            b[t] = sig[t] / cl[t]
            c[t] = (line[t] - sig[t]) / cl[t]
        cols["macd" + suffix], cols["macd_signal" + suffix], cols["macd_hist" + suffix] = a, b, c

    pb, bw = nan_list(n), nan_list(n)
    for t in range(19, n):
        win = cl[t - 19:t + 1]
        mid = statistics.fmean(win)
        sd = statistics.pstdev(win)
        upper, lower = mid + 2 * sd, mid - 2 * sd
        pb[t] = (cl[t] - lower) / (upper - lower) if upper > lower else 0.5
        bw[t] = (upper - lower) / mid
    cols["bollinger_b"], cols["bollinger_width"] = pb, bw

    tr = [math.nan] + [max(hi[t] - lo[t], abs(hi[t] - cl[t - 1]), abs(lo[t] - cl[t - 1]))
                       for t in range(1, n)]
    atr = wilder(tr, 1, 14)
    cols["atr"] = [atr[t] / cl[t] if t >= 14 else math.nan for t in range(n)]

    def k_at(t, p):
        hh, ll = max(hi[t - p + 1:t + 1]), min(lo[t - p + 1:t + 1])
        return (cl[t] - ll) / (hh - ll) if hh > ll else 0.5

    cols["stoch_k"] = [k_at(t, 14) if t >= 13 else math.nan for t in range(n)]
    cols["stoch_d"] = [statistics.fmean([k_at(i, 14) for i in range(t - 2, t + 1)])
                       if t >= 15 else math.nan for t in range(n)]

    wr = nan_list(n)
    for t in range(13, n):
        hh, ll = max(hi[t - 13:t + 1]), min(lo[t - 13:t + 1])
        wr[t] = (cl[t] - hh) / (hh - ll) if hh > ll else -0.5
    cols["williams_r"] = wr

    tp = [(hi[t] + lo[t] + cl[t]) / 3.0 for t in range(n)]
    cci = nan_list(n)
    for t in range(19, n):
        win = tp[t - 19:t + 1]
        m = statistics.fmean(win)
        md = statistics.fmean([abs(x - m) for x in win])
        cci[t] = (tp[t] - m) / (0.015 * md) / 100.0 if md > 0 else 0.0
    cols["cci"] = cci

    e20 = ema(cl, 0, 20)
    cols["ema_ratio"] = [cl[t] / e20[t] - 1 if t >= 19 else math.nan for t in range(n)]
    e50 = ema(cl, 0, 50)
    cols["ema_ratio:50"] = [cl[t] / e50[t] - 1 if t >= 49 else math.nan for t in range(n)]
    cols["sma_ratio"] = [cl[t] / sma_at(cl, t, 20) - 1 if t >= 19 else math.nan
                         for t in range(n)]

    obv = [0.0] * n
    for t in range(1, n):
        d = cl[t] - cl[t - 1]
        obv[t] = obv[t - 1] + (vo[t] if d > 0 else -vo[t] if d < 0 else 0.0)
    oc = nan_list(n)
    for t in range(20, n):
        sv = sum(vo[t - 19:t + 1])
        oc[t] = (obv[t] - obv[t - 20]) / sv if sv > 0 else 0.0
    cols["obv_change"] = oc

    lv = [math.log(1.0 + v) for v in vo]
    vz, vr = nan_list(n), nan_list(n)
    for t in range(19, n):
        win = lv[t - 19:t + 1]
        m, sd = statistics.fmean(win), statistics.pstdev(win)
        vz[t] = (lv[t] - m) / sd if sd > 0 else 0.0
        mv = statistics.fmean(vo[t - 19:t + 1])
        vr[t] = vo[t] / mv - 1 if mv > 0 else 0.0
    cols["volume_z"], cols["volume_ratio"] = vz, vr

    cols["hl_range"] = [(hi[t] - lo[t]) / cl[t] for t in range(n)]
    cols["body"] = [(cl[t] - op[t]) / op[t] for t in range(n)]
    cols["upper_wick"] = [(hi[t] - max(op[t], cl[t])) / cl[t] for t in range(n)]
    cols["lower_wick"] = [(min(op[t], cl[t]) - lo[t]) / cl[t] for t in range(n)]
    cols["close_position"] = [(cl[t] - lo[t]) / (hi[t] - lo[t]) if hi[t] > lo[t] else 0.5
                              for t in range(n)]
    # hour of day as a fraction of the UTC day; weekday with Monday = 0
    # (1970-01-01 was a Thursday).
    hod = [2 * math.pi * (t % 86400) / 86400.0 for t in ts]
    dow = [2 * math.pi * ((t // 86400 + 3) % 7) / 7.0 for t in ts]
    cols["hour_of_day.sin"] = [math.sin(a) for a in hod]
    cols["hour_of_day.cos"] = [math.cos(a) for a in hod]
    cols["day_of_week.sin"] = [math.sin(a) for a in dow]
    cols["day_of_week.cos"] = [math.cos(a) for a in dow]
    return cols


def main():
    rows = load(sys.argv[1])
    cols = compute(rows)
    names = list(cols)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["row"] + names)
    for t in range(len(rows)):
        if t < 60 or t % 47 == 0:
            out.writerow([t] + ["nan" if math.isnan(cols[k][t]) else "%.17g" % cols[k][t]
                                for k in names])


if __name__ == "__main__":
    main()
