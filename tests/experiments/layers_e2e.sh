#!/usr/bin/env bash
# layers_e2e.sh PRINT_MODEL_LAYERS - per-layer sizes (issue 18) in a real study on the
# real 1h BTC candles under mpirun -np 3 (2 workers):
#   layers fixed at 3, units 3 and dropout_2 0.15 fixed, units_1 (4-12) and units_2
#   (4-8) searched, and units_4 searched too although no trial has a fourth layer;
#   - the study completes 6 trials on both workers; every trial's params in the
#     store hold units_1, units_2 and units_4 as whole numbers inside their bounds,
#     and the trials tried more than one size;
#   - the exported best model file, read back with the product's loader
#     (PRINT_MODEL_LAYERS), has 3 layers of units_1, units_2 of the best trial and
#     3 (layer 3 has no units_3: it takes units), dropouts 0, 0.15, 0, and the
#     weight count of those sizes; units_4 left no trace;
#   - `predict` with it scores the holdout to the stored accuracy and log loss.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?}
PML=${1:?usage: layers_e2e.sh PRINT_MODEL_LAYERS}
DATA=${SEQTUNE_DATA:-}
CSV="$DATA/btcusdt_binance_1h_2021-10-01_2022-10-31.csv"
need_file "$CSV" "real candles"
need_cmd mpirun sqlite3
mpi_root_env
make_tmp
q() { sqlite3 "$DB" "$1"; }
DB="$T/s.db"

cat > "$T/layers.json" <<EOF
{"name": "layers",
 "data": {"path": "$CSV"},
 "features": ["log_return", "rsi:14", "volume_z:20"],
 "target": {"kind": "direction", "horizon": 1},
 "validation": {"folds": 2, "val_fraction": 0.15, "holdout_fraction": 0.15},
 "training": {"max_epochs": 3, "patience": 2, "seq_len": 16, "layers": 3, "units": 3,
              "dropout_2": 0.15, "batch_size": 64},
 "search": {"n_trials": 6,
   "sampler": {"name": "random", "seed": 18}, "pruner": "none",
   "space": {"units_1": {"type": "int", "low": 4, "high": 12},
             "units_2": {"type": "int", "low": 4, "high": 8},
             "units_4": {"type": "int", "low": 20, "high": 30}}},
 "backtest": {"fee_bps": 10, "long_threshold": 0.5, "short_threshold": 0.5}}
EOF
mpirun -np 3 --oversubscribe "$BIN" run "$T/layers.json" --db "$DB" --quiet > "$T/run.out" 2> "$T/run.err"
rc=$?
check "mpirun study exits 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || cat "$T/run.err"
fin=$(q "SELECT count(*) FROM runs WHERE state = 'COMPLETE'")
check "6 complete trials (got $fin)" test "$fin" = 6
workers=$(q "SELECT count(DISTINCT worker) FROM runs")
check "trials ran on both workers (got $workers distinct)" test "$workers" = 2

# every trial's params: the three searched keys, whole numbers inside their bounds
for spec in "units_1 4 12" "units_2 4 8" "units_4 20 30"; do
  set -- $spec
  n=$(q "SELECT count(*) FROM params WHERE key = '$1' AND num BETWEEN $2 AND $3 AND num = CAST(num AS INTEGER)")
  check "$1 recorded for all 6 trials, within [$2, $3] (got $n)" test "$n" = 6
done
distinct=$(q "SELECT count(DISTINCT value) FROM params WHERE key = 'units_1'")
check "the trials tried more than one units_1 ($distinct distinct)" test "$distinct" -ge 2
q "SELECT r.trial_number, group_concat(p.key || '=' || p.value, ' ') FROM runs r JOIN params p ON p.run_id = r.id GROUP BY r.id ORDER BY r.trial_number"

"$BIN" best --study layers --db "$DB" --format json > "$T/best.json"
"$BIN" best --study layers --db "$DB" --export "$T/model.stm" > /dev/null
check "model exported" test -s "$T/model.stm"
"$PML" "$T/model.stm" > "$T/arch.json"
check "the loader reads the model file back" test -s "$T/arch.json"
cat "$T/arch.json"
python3 - "$T/best.json" "$T/arch.json" <<'PY' > "$T/arch.txt"
import json, sys
best = json.load(open(sys.argv[1]))["best_params"]
a = json.load(open(sys.argv[2]))
want_u = [int(best["units_1"]), int(best["units_2"]), 3]
F = 3   # log_return, rsi, volume_z
want_n, k = 0, F
for h in want_u:
    want_n += 4 * h * (k + h + 2)
    k = h
want_n += want_u[-1] + 1
drop_ok = all(abs(p - w) < 1e-6 for p, w in zip(a["dropout"], [0, 0.15, 0]))
print(a["layers"], " ".join(map(str, a["units"])), " ".join(map(str, want_u)),
      int(drop_ok), a["n_params"], want_n)
PY
read -r nl u1 u2 u3 w1 w2 w3 drop_ok np want_np < "$T/arch.txt"
check "the model has 3 layers, not 4 (got $nl)" test "$nl" = 3
check "its layer sizes are the best trial's units_1, units_2 and units ($u1 $u2 $u3 vs $w1 $w2 $w3)" \
  test "$u1 $u2 $u3" = "$w1 $w2 $w3"
check "its layer dropouts are 0, 0.15, 0" test "$drop_ok" = 1
check "its weight count is that of those sizes ($np vs $want_np)" test "$np" = "$want_np"

"$BIN" predict --model "$T/model.stm" --data "$CSV" -o "$T/signals.csv" 2> "$T/predict.err"
rc=$?
check "predict exits 0 (got $rc)" test $rc -eq 0
python3 - "$CSV" "$T/signals.csv" "$T/best.json" <<'PY' > "$T/holdout.txt"
import csv, json, math, sys
candles = list(csv.reader(open(sys.argv[1])))[1:]
ts = [int(r[0]) for r in candles]
close = [float(r[4]) for r in candles]
idx = {t: i for i, t in enumerate(ts)}
sig = {int(r[0]): float(r[1]) for r in list(csv.reader(open(sys.argv[2])))[1:] if r[1] != ""}
res = json.load(open(sys.argv[3]))
first, last = res["holdout_first"], res["holdout_last"]
n = hits = 0
ll = 0.0
for t in ts:
    if t < first or t > last:
        continue
    i = idx[t]
    if i + 1 >= len(close) or ts[i + 1] > last or close[i + 1] == close[i]:
        continue
    y = 1 if close[i + 1] > close[i] else 0
    p = min(max(sig[t], 1e-15), 1 - 1e-15)
    n += 1
    hits += (p >= 0.5) == (y == 1)
    ll -= math.log(p) if y else math.log(1 - p)
print(n, res["n_test"], hits / n, res["holdout"]["accuracy"], ll / n, res["holdout"]["log_loss"])
PY
read -r n ntest acc acc_s ll ll_s < "$T/holdout.txt"
echo "holdout from predict: n=$n acc=$acc logloss=$ll; stored: n=$ntest acc=$acc_s logloss=$ll_s"
check "predict scores as many holdout samples as stored ($n vs $ntest)" test "$n" = "$ntest"
check "predict's holdout accuracy equals the stored one" \
  python3 -c "import sys; sys.exit(abs($acc - $acc_s) > 1e-12)"
check "predict's holdout log loss equals the stored one (1e-4 rel)" \
  python3 -c "import sys; sys.exit(abs($ll - $ll_s) > 1e-4 * abs($ll_s))"
check "store integrity" test "$(q 'PRAGMA integrity_check')" = ok
finish
