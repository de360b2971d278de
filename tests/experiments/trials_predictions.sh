#!/usr/bin/env bash
# trials_predictions.sh - `seqtune trials --with-predictions` (issue 15, item 1):
# the stored per-bar out-of-sample series of the selected trials, read back in
# csv and json and compared value by value with the float32 blobs of the
# oos_series table (sqlite3 module), the rows and bar times with the candle
# file, the strategy return with the position the stored prediction implies
# (long above long_threshold, short below short_threshold, no fee), and
# --filter selecting the trials; bad combinations are usage errors.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?}
make_tmp
cat > "$T/spec.json" <<'EOF2'
{
  "name": "preds",
  "data": {"path": "candles.csv"},
  "features": ["log_return", "log_return:4"],
  "target": {"kind": "direction", "horizon": 1},
  "validation": {"folds": 3, "holdout_fraction": 0.2, "val_fraction": 0.15},
  "training": {"max_epochs": 4, "patience": 2, "seq_len": 4, "batch_size": 64},
  "search": {"n_trials": 3, "sampler": {"name": "random", "seed": 3}, "pruner": "none",
             "space": {"units": {"type": "int", "low": 2, "high": 6}}},
  "backtest": {"fee_bps": 0, "long_threshold": 0.55, "short_threshold": 0.45}
}
EOF2
"$BIN" synth -o "$T/candles.csv" --bars 3000 --random-walk --edge 0.3 --seed 5 || exit 1
"$BIN" run "$T/spec.json" --db "$T/s.db" --quiet || { echo "FAIL run"; exit 1; }
"$BIN" trials --study preds --db "$T/s.db" --with-predictions --format csv > "$T/p.csv"
check "csv exits 0" [ $? -eq 0 ]
"$BIN" trials --study preds --db "$T/s.db" --with-predictions --format json > "$T/p.json"
check "json exits 0" [ $? -eq 0 ]
"$BIN" trials --study preds --db "$T/s.db" --with-predictions > "$T/p.txt"
check "table exits 0" [ $? -eq 0 ]
"$BIN" trials --study preds --db "$T/s.db" --with-predictions --format csv \
  --filter "trial_number = 1" > "$T/one.csv"
check "the output equals the stored series" python3 - "$T" <<'PY'
import csv, json, math, sqlite3, struct, sys
T = sys.argv[1]
db = sqlite3.connect(T + "/s.db")
ts = [int(r["timestamp"]) for r in csv.DictReader(open(T + "/candles.csv"))]
stored = {}
for run, tn, fold, row0, n, ret, pred, bh in db.execute(
        "SELECT o.run_id, r.trial_number, o.fold, o.row0, o.n, o.ret, o.pred, o.bh "
        "FROM oos_series o JOIN runs r ON r.id = o.run_id ORDER BY r.trial_number, o.fold"):
    u = lambda b: struct.unpack("%df" % n, b)
    stored[(run, fold)] = (tn, row0, u(ret), u(pred), u(bh))
f32 = lambda x: struct.unpack("f", struct.pack("f", float(x)))[0]
same = lambda a, b: (math.isnan(a) and b in ("", None)) or (b not in ("", None) and f32(b) == a)
ok, rows, trades = True, 0, 0
seen = set()
for r in csv.DictReader(open(T + "/p.csv")):
    key = (int(r["run_id"]), int(r["fold"]))
    tn, row0, ret, pred, bh = stored[key]
    b = int(r["row"]) - row0
    seen.add(key)
    ok &= int(r["trial_number"]) == tn and 0 <= b < len(ret)
    ok &= int(r["time"]) == ts[int(r["row"])]          # the candle's open time
    ok &= same(pred[b], r["prediction"]) and same(bh[b], r["bar_return"])
    ok &= same(ret[b], r["strategy_return"])
    # no fee: the net return is the position the prediction implies times the bar's
    if r["prediction"]:
        p = float(r["prediction"])
        pos = 1 if p > 0.55 else -1 if p < 0.45 else 0
        trades += pos != 0
        ok &= abs(float(r["strategy_return"]) - pos * float(r["bar_return"])) < 1e-6
    rows += 1
ok &= seen == set(stored) and rows == sum(len(v[2]) for v in stored.values()) and trades > 100
j = json.load(open(T + "/p.json"))
ok &= len(j) == 3 and sum(len(t["folds"]) for t in j) == len(stored)
for t in j:
    for f in t["folds"]:
        tn, row0, ret, pred, bh = stored[(t["run_id"], f["fold"])]
        ok &= t["trial_number"] == tn and f["row0"] == row0 and f["n"] == len(ret)
        ok &= f["row"] == list(range(row0, row0 + len(ret)))
        ok &= f["time"] == ts[row0:row0 + len(ret)]
        ok &= all(same(a, b) for a, b in zip(pred, f["prediction"]))
        ok &= all(same(a, b) for a, b in zip(ret, f["strategy_return"]))
        ok &= all(same(a, b) for a, b in zip(bh, f["bar_return"]))
one = list(csv.DictReader(open(T + "/one.csv")))
ok &= len(one) > 0 and all(r["trial_number"] == "1" for r in one)
ok &= len(one) == sum(len(v[2]) for v in stored.values() if v[0] == 1)
txt = open(T + "/p.txt").read().splitlines()
ok &= txt[0].split()[:3] == ["RUN", "TRIAL", "FOLD"] and len(txt) == rows + 1
print("%d bars over %d series, %d traded" % (rows, len(stored), trades))
sys.exit(0 if ok else 1)
PY
"$BIN" trials --study preds --db "$T/s.db" --with-predictions --columns run_id > /dev/null 2> "$T/err"
rc=$?
check "--with-predictions with --columns is a usage error naming the option" \
  bash -c "[ $rc -eq 1 ] && grep -q -- '--with-predictions' '$T/err'"
"$BIN" trials --study preds --db "$T/s.db" --with-predictions --format markdown > /dev/null 2>&1
check "--with-predictions with markdown is a usage error" [ $? -eq 1 ]
finish
