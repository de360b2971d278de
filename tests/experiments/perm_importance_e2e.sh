#!/usr/bin/env bash
# perm_importance_e2e.sh - the inputs' permutation importance of the best model
# (issue 19, item 3), end to end through `seqtune run` and `best --importance`:
#   on `synth --random-walk --edge 0.3` (each shock leans toward the sign of
#   the last return) with the informative `log_return` among pure-noise
#   inputs (volume_z:20, hour_of_day as one sin/cos group, volume_log; the
#   random walk's volume is independent of price and the bars are i.i.d.),
#   log_return ranks first, its mean loss increase clears every noise
#   feature's by more than 3 of its sds, and the noise features stay near 0;
#   it is measured on the walk-forward test spans only: poisoning every
#   holdout candle (prices x 1.7 and volumes x 5 from the holdout's first row
#   on) leaves it bit-for-bit identical while the holdout result changes;
#   `best --format json` carries it, `best --importance` prints it, and the
#   report draws it beside the hyperparameter importance.
# Each study: 6000 hourly bars, 3 folds, 4 random-sampler trials.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?}
make_tmp
cat > "$T/spec.json" <<'EOF2'
{
  "name": "imp",
  "data": {"path": "candles.csv"},
  "features": ["volume_z:20", "log_return", "hour_of_day", "volume_log"],
  "target": {"kind": "direction", "horizon": 1},
  "validation": {"folds": 3, "holdout_fraction": 0.2, "val_fraction": 0.15},
  "training": {"max_epochs": 15, "patience": 4, "seq_len": 4, "batch_size": 64},
  "search": {"n_trials": 4, "sampler": {"name": "random", "seed": 1}, "pruner": "none",
             "space": {"units": {"type": "int", "low": 2, "high": 8},
                       "learning_rate": {"type": "float", "low": 3e-3, "high": 3e-2,
                                         "log": true}}},
  "backtest": {"fee_bps": 0, "long_threshold": 0.5, "short_threshold": 0.5}
}
EOF2
for seed in ${IMP_SEEDS:-1 2}; do
  rm -rf "$T"/s.db* "$T"/p.db*
  "$BIN" synth -o "$T/candles.csv" --bars 6000 --random-walk --edge 0.3 --seed "$seed" || exit 1
  "$BIN" run "$T/spec.json" --db "$T/s.db" --quiet || { echo "FAIL run"; fail=1; continue; }
  "$BIN" best --study imp --db "$T/s.db" --format json > "$T/a.json"
  "$BIN" best --study imp --db "$T/s.db" --importance > "$T/a.txt"
  check "seed $seed: the planted feature ranks first, clear of the noise" python3 - "$T/a.json" <<'PY'
import json, sys
pi = json.load(open(sys.argv[1]))["permutation_importance"]
f = pi["features"]
print("  " + ", ".join("%s %.4f +- %.4f" % (e["feature"], e["mean"], e["sd"]) for e in f))
ok = pi["measured_on"] == "walk-forward test spans" and pi["n_permutations"] == 5
ok = ok and len(f) == 4 and f[0]["feature"] == "log_return"
ok = ok and all(f[0]["mean"] - 3 * f[0]["sd"] > e["mean"] for e in f[1:])
ok = ok and all(abs(e["mean"]) < 0.2 * f[0]["mean"] for e in f[1:])
ok = ok and all(e["sd"] >= 0 for e in f)
sys.exit(0 if ok else 1)
PY
  check "seed $seed: best --importance prints the table, planted feature first" python3 -c "
import sys
t = open('$T/a.txt').read().splitlines()
i = next(k for k, l in enumerate(t) if l.startswith('permutation importance'))
sys.exit(0 if 'never the holdout' in t[i] and t[i + 2].split()[0] == 'log_return' and len(t) >= i + 6 else 1)"
  # poison the holdout: every candle from the holdout's first row on
  python3 - "$T/candles.csv" "$T/a.json" "$T/poisoned.csv" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
first = json.load(open(sys.argv[2]))["holdout_first"]   # open time of the holdout's first window end
w = csv.DictWriter(open(sys.argv[3], "w", newline=""), fieldnames=rows[0].keys())
w.writeheader()
n = 0
for r in rows:
    if int(r["timestamp"]) >= first:
        for k in ("open", "high", "low", "close"):
            r[k] = "%.2f" % (float(r[k]) * 1.7)
        r["volume"] = "%.8f" % (float(r["volume"]) * 5)
        n += 1
    w.writerow(r)
print("  poisoned %d of %d candles" % (n, len(rows)))
PY
  cp "$T/poisoned.csv" "$T/candles.csv"
  "$BIN" run "$T/spec.json" --db "$T/p.db" --quiet || { echo "FAIL poisoned run"; fail=1; continue; }
  "$BIN" best --study imp --db "$T/p.db" --format json > "$T/b.json"
  check "seed $seed: poisoning the holdout changes the holdout, not the importance" python3 -c "
import json, sys
a, b = json.load(open('$T/a.json')), json.load(open('$T/b.json'))
same = a['permutation_importance'] == b['permutation_importance']
moved = a['holdout'] != b['holdout']
sys.exit(0 if same and moved and a['best_params'] == b['best_params'] else 1)"
done
# the control: the same poisoning moved into the walk-forward test spans (the
# 100 candles before the holdout) does change the importance, so the check
# above can fail
python3 - "$T/poisoned.csv" "$T/a.json" "$T/control.csv" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
first = json.load(open(sys.argv[2]))["holdout_first"]
i0 = next(i for i, r in enumerate(rows) if int(r["timestamp"]) >= first)
for r in rows[i0 - 100:i0]:
    for k in ("open", "high", "low", "close"):
        r[k] = "%.2f" % (float(r[k]) * 1.7)
    r["volume"] = "%.8f" % (float(r["volume"]) * 5)
w = csv.DictWriter(open(sys.argv[3], "w", newline=""), fieldnames=rows[0].keys())
w.writeheader()
w.writerows(rows)
PY
cp "$T/control.csv" "$T/candles.csv"
rm -rf "$T"/c.db*
"$BIN" run "$T/spec.json" --db "$T/c.db" --quiet || { echo "FAIL control run"; fail=1; }
"$BIN" best --study imp --db "$T/c.db" --format json > "$T/c.json"
check "control: poisoning the test spans changes the importance" python3 -c "
import json, sys
b, c = json.load(open('$T/b.json')), json.load(open('$T/c.json'))
sys.exit(0 if b['permutation_importance'] != c['permutation_importance'] else 1)"
# the report: the inputs' importance beside the hyperparameter importance
"$BIN" report --study imp --db "$T/p.db" -o "$T/report.html" 2>/dev/null
check "the report draws it after the parameter importance" python3 -c "
import sys
h = open('$T/report.html').read()
p, f = h.find('id=\"importance\"'), h.find('id=\"feature-importance\"')
ok = 0 <= p < f and 'log_return' in h[f:] and 'walk-forward test spans' in h[f:]
sys.exit(0 if ok else 1)"
if [ -n "${SEQTUNE_SRC:-}" ] && [ -f "$SEQTUNE_SRC/tests/reports/browser_check.sh" ]; then
  bash "$SEQTUNE_SRC/tests/reports/browser_check.sh" "$T/report.html"
  rc=$?
  if [ $rc -eq 77 ]; then echo "skip browser check (no chromium)"; else check "the report passes the browser check" [ $rc -eq 0 ]; fi
fi
finish
