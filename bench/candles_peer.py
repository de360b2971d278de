#!/usr/bin/env python3
"""candles_peer.py - the peer of bench_candles: the same file read with the
Python standard library (csv.reader + int/float per field), best of 3.
Usage: candles_peer.py PATH; prints one JSON line."""
import csv
import json
import sys
import time


def load(path):
    ts, o, h, l, c, v = [], [], [], [], [], []
    with open(path, newline="") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            ts.append(int(row[0]))
            o.append(float(row[1]))
            h.append(float(row[2]))
            l.append(float(row[3]))
            c.append(float(row[4]))
            v.append(float(row[5]))
    return len(ts)


best = 1e9
for _ in range(3):
    t0 = time.perf_counter()
    n = load(sys.argv[1])
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"rows": n, "load_s": round(best, 4)}))
