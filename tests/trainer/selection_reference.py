#!/usr/bin/env python3
"""selection_reference.py - an independent stdlib-only reference of PBO by CSCV
(Bailey, Borwein, Lopez de Prado, Zhu) and the Diebold-Mariano test with a
Newey-West (Bartlett) variance, for tests/trainer/test_selection.c.

usage: selection_reference.py MATRIX.csv S LOSSES.csv LAG
  MATRIX.csv: one row per bar, one column per trial (per-bar returns)
  LOSSES.csv: two columns, loss_a,loss_b per sample
Prints one JSON object: pbo, logit_mean, logit_sd, slope, p_oos_loss, n_splits,
dm_stat, dm_pvalue, dm_mean, dm_lo, dm_hi.
It works on the bars themselves (no block sums) and ranks by sorting."""
import itertools
import json
import math
import statistics
import sys


def sharpe(xs):
    if len(xs) < 2:
        return 0.0
    sd = statistics.stdev(xs)
    return statistics.fmean(xs) / sd if sd > 0 else 0.0


def pbo(rows, s):
    t, n = len(rows), len(rows[0])
    blocks = [list(range(b * t // s, (b + 1) * t // s)) for b in range(s)]
    logits, iss, ooss = [], [], []
    for chosen in itertools.combinations(range(s), s // 2):
        ins = [i for b in chosen for i in blocks[b]]
        outs = [i for b in range(s) if b not in chosen for i in blocks[b]]
        is_perf = [sharpe([rows[i][j] for i in ins]) for j in range(n)]
        oos_perf = [sharpe([rows[i][j] for i in outs]) for j in range(n)]
        best = max(range(n), key=lambda j: (is_perf[j], -j))
        # mean rank of the best's OOS performance among all n (1 = worst)
        order = sorted(oos_perf)
        first = order.index(oos_perf[best]) + 1
        count = order.count(oos_perf[best])
        rank = first + (count - 1) / 2
        w = rank / (n + 1)
        logits.append(math.log(w / (1 - w)))
        iss.append(is_perf[best])
        ooss.append(oos_perf[best])
    slope = statistics.linear_regression(iss, ooss).slope if len(set(iss)) > 1 else float("nan")
    return {
        "pbo": sum(1 for x in logits if x <= 0) / len(logits),
        "logit_mean": statistics.fmean(logits),
        "logit_sd": statistics.pstdev(logits),
        "slope": slope,
        "p_oos_loss": sum(1 for x in ooss if x < 0) / len(ooss),
        "n_splits": len(logits),
    }


def dm(a, b, lag):
    d = [x - y for x, y in zip(a, b)]
    n = len(d)
    if lag < 0:
        lag = int(math.floor(4 * (n / 100) ** (2 / 9)))
    m = statistics.fmean(d)
    gam = [sum((d[i] - m) * (d[i - k] - m) for i in range(k, n)) / n for k in range(lag + 1)]
    lrv = gam[0] + 2 * sum((1 - k / (lag + 1)) * gam[k] for k in range(1, lag + 1))
    se = math.sqrt(lrv / n)
    stat = m / se
    nd = statistics.NormalDist()
    z = nd.inv_cdf(0.975)
    return {"dm_stat": stat, "dm_pvalue": nd.cdf(stat), "dm_mean": m,
            "dm_lo": m - z * se, "dm_hi": m + z * se}


def read(path):
    with open(path) as f:
        return [[float(x) for x in line.split(",")] for line in f if line.strip()]


def main():
    rows = read(sys.argv[1])
    out = pbo(rows, int(sys.argv[2]))
    losses = read(sys.argv[3])
    out.update(dm([r[0] for r in losses], [r[1] for r in losses], int(sys.argv[4])))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
