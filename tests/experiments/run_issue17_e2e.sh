#!/usr/bin/env bash
# run_issue17_e2e.sh - the three-class target, bidirectional layers and L1 in a real
# study on the real 1h BTC candles, end to end:
#   mpirun -np 3: a multiclass study whose space searches bidirectional (false/true)
#   and l1 completes; `best` shows macro-F1 and the confusion matrix (its counts sum
#   to the holdout's samples); the exported model carries the chosen direction
#   count; `predict` writes p_down,p_flat,p_up and recomputing the holdout accuracy,
#   balanced accuracy and log loss from them gives the stored figures;
#   world size 1: a 2-layer bidirectional direction study with L1 round-trips
#   through best --export + predict to the stored holdout log loss.
#   world size 1: a price study; predict's forecast closes give back the stored
#   holdout RMSE and MAE, and its last `horizon` rows are the bars past the end;
#   the report draws the holdout forecast against the actual close and its error.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?}
DATA=${SEQTUNE_DATA:-}
CSV="$DATA/btcusdt_binance_1h_2021-10-01_2022-10-31.csv"
need_file "$CSV" "real candles"
need_cmd mpirun sqlite3
mpi_root_env
make_tmp
q() { sqlite3 "$1" "$2"; }
DB="$T/s.db"

# --- 1. multiclass + bidirectional + l1 under mpirun ---------------------------------
cat > "$T/mc.json" <<SPEC
{"name": "mc",
 "data": {"path": "$CSV"},
 "features": ["log_return", "rsi:14", "volume_z:20"],
 "target": {"kind": "multiclass", "horizon": 1, "deadband": 0.002, "class_weights": [1, 0.8, 1]},
 "validation": {"folds": 2, "val_fraction": 0.15, "holdout_fraction": 0.15},
 "training": {"max_epochs": 2, "patience": 2},
 "search": {"n_trials": 6, "sampler": {"name": "random", "seed": 7},
   "metric": "val_macro_f1", "direction": "maximize",
   "space": {"seq_len": {"type": "int", "low": 8, "high": 16, "step": 8},
             "units": {"type": "int", "low": 4, "high": 8},
             "l1": {"type": "float", "low": 1e-6, "high": 1e-3, "log": true},
             "bidirectional": {"type": "categorical", "choices": [false, true]}}}}
SPEC
"$BIN" validate "$T/mc.json" > "$T/validate.out" 2>&1
check "validate accepts the multiclass spec" grep -q '"multiclass"' "$T/validate.out"
mpirun -np 3 --oversubscribe "$BIN" run "$T/mc.json" --db "$DB" --quiet > "$T/mc.out" 2> "$T/mc.err"
rc=$?
check "mpirun multiclass study exits 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || cat "$T/mc.err"
status=$(q "$DB" "SELECT status FROM studies WHERE name='mc'")
check "multiclass study COMPLETE (got $status)" test "$status" = COMPLETE
nbi=$(q "$DB" "SELECT count(DISTINCT value) FROM params WHERE key='bidirectional'")
check "both direction counts were tried (got $nbi distinct)" test "$nbi" = 2
"$BIN" best --study mc --db "$DB" > "$T/best.txt"
check "best shows macro_f1" grep -q macro_f1 "$T/best.txt"
check "best shows the confusion matrix" grep -q "confusion (rows: label" "$T/best.txt"
"$BIN" best --study mc --db "$DB" --format json > "$T/best.json"
"$BIN" best --study mc --db "$DB" --export "$T/mc.model" > /dev/null
"$BIN" predict --model "$T/mc.model" --data "$CSV" -o "$T/mc.csv" 2> /dev/null
check "predict writes the three probabilities" grep -q '^timestamp,p_down,p_flat,p_up,signal,confidence$' "$T/mc.csv"
python3 - "$CSV" "$T/mc.csv" "$T/best.json" "$T/mc.model" > "$T/mc.txt" <<'PY'
import csv, json, math, struct, sys
candles = list(csv.reader(open(sys.argv[1])))[1:]
ts = [int(r[0]) for r in candles]
close = [float(r[4]) for r in candles]
idx = {t: i for i, t in enumerate(ts)}
sig = {int(r[0]): [float(v) for v in r[1:4]] for r in list(csv.reader(open(sys.argv[2])))[1:]}
res = json.load(open(sys.argv[3]))
first, last, db = res["holdout_first"], res["holdout_last"], 0.002
n = hits = 0
ll = 0.0
rec = [[0, 0] for _ in range(3)]
for t in ts:
    if t < first or t > last:
        continue
    i = idx[t]
    if i + 1 >= len(close) or ts[i + 1] > last:
        continue
    r = math.log(close[i + 1] / close[i])
    y = 2 if r > db else 0 if r < -db else 1
    p = sig[t]
    arg = max(range(3), key=lambda k: (p[k], -k))
    n += 1
    hits += arg == y
    rec[y][0] += arg == y
    rec[y][1] += 1
    ll -= math.log(min(max(p[y], 1e-15), 1 - 1e-15))
bal = sum(a / b for a, b in rec if b) / sum(1 for _, b in rec if b)
conf = sum(sum(row) for row in res["holdout_confusion"])
bidir = struct.unpack_from("<I", open(sys.argv[4], "rb").read(), 32)[0]
h = res["holdout"]
print(n, res["n_test"], conf, hits / n, h["accuracy"], bal, h["balanced_accuracy"], ll / n,
      h["log_loss"], bidir, int(res["best_params"]["bidirectional"]))
PY
read -r n ntest nconf acc acc_s bal bal_s ll ll_s bidir bidir_best < "$T/mc.txt"
echo "multiclass holdout from predict: n=$n acc=$acc bal=$bal logloss=$ll; stored: n=$ntest acc=$acc_s bal=$bal_s logloss=$ll_s"
check "predict scores as many holdout samples as stored ($n vs $ntest)" test "$n" = "$ntest"
check "the confusion matrix counts every holdout sample ($nconf)" test "$nconf" = "$ntest"
check "predict's holdout accuracy equals the stored one" \
  python3 -c "import sys; sys.exit(abs($acc - $acc_s) > 1e-12)"
check "predict's holdout balanced accuracy equals the stored one" \
  python3 -c "import sys; sys.exit(abs($bal - $bal_s) > 1e-12)"
check "predict's holdout log loss equals the stored one (1e-4 rel)" \
  python3 -c "import sys; sys.exit(abs($ll - $ll_s) > 1e-4 * abs($ll_s))"
check "the model file's direction flag is the best trial's ($bidir vs $bidir_best)" test "$bidir" = "$bidir_best"

# --- 2. a bidirectional direction model, world size 1 -------------------------------
cat > "$T/bi.json" <<SPEC
{"name": "bi",
 "data": {"path": "$CSV"},
 "features": ["log_return", "rsi:14", "hour_of_day"],
 "target": {"kind": "direction", "horizon": 1},
 "validation": {"folds": 2, "val_fraction": 0.15, "holdout_fraction": 0.15},
 "training": {"max_epochs": 2, "patience": 2, "bidirectional": true, "l1": 1e-5, "layers": 2},
 "search": {"n_trials": 2, "sampler": {"name": "random", "seed": 3},
   "space": {"seq_len": {"type": "int", "low": 8, "high": 16, "step": 8},
             "units": {"type": "int", "low": 4, "high": 6}}},
 "backtest": {"long_threshold": 0.5, "short_threshold": 0.5}}
SPEC
"$BIN" run "$T/bi.json" --db "$DB" --quiet 2> "$T/bi.err"
rc=$?
check "bidirectional study exits 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || cat "$T/bi.err"
"$BIN" best --study bi --db "$DB" --format json > "$T/bbest.json"
"$BIN" best --study bi --db "$DB" --export "$T/bi.model" > /dev/null
"$BIN" predict --model "$T/bi.model" --data "$CSV" -o "$T/bi.csv" 2> /dev/null
python3 - "$CSV" "$T/bi.csv" "$T/bbest.json" "$T/bi.model" > "$T/bi.txt" <<'PY'
import csv, json, math, struct, sys
candles = list(csv.reader(open(sys.argv[1])))[1:]
ts = [int(r[0]) for r in candles]
close = [float(r[4]) for r in candles]
idx = {t: i for i, t in enumerate(ts)}
sig = {int(r[0]): float(r[1]) for r in list(csv.reader(open(sys.argv[2])))[1:]}
res = json.load(open(sys.argv[3]))
first, last = res["holdout_first"], res["holdout_last"]
n = 0
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
    ll -= math.log(p) if y else math.log(1 - p)
bidir = struct.unpack_from("<I", open(sys.argv[4], "rb").read(), 32)[0]
print(n, res["n_test"], ll / n, res["holdout"]["log_loss"], bidir)
PY
read -r n ntest ll ll_s bidir < "$T/bi.txt"
echo "bidirectional holdout from predict: n=$n logloss=$ll; stored: n=$ntest logloss=$ll_s; flag $bidir"
check "bidirectional: predict scores the stored holdout samples" test "$n" = "$ntest"
check "bidirectional: predict's holdout log loss equals the stored one" \
  python3 -c "import sys; sys.exit(abs($ll - $ll_s) > 1e-4 * abs($ll_s))"
check "the model file says bidirectional" test "$bidir" = 1

# --- 3. the price target, world size 1 ---------------------------------------------
cat > "$T/px.json" <<SPEC
{"name": "px",
 "data": {"path": "$CSV"},
 "features": ["log_return", "rsi:14"],
 "target": {"kind": "price", "horizon": 2},
 "validation": {"folds": 2, "val_fraction": 0.15, "holdout_fraction": 0.15},
 "training": {"max_epochs": 2, "patience": 2},
 "search": {"n_trials": 2, "sampler": {"name": "random", "seed": 5}, "metric": "val_rmse",
   "space": {"seq_len": {"type": "int", "low": 8, "high": 16, "step": 8},
             "units": {"type": "int", "low": 4, "high": 6}}}}
SPEC
"$BIN" run "$T/px.json" --db "$DB" --quiet 2> "$T/px.err"
rc=$?
check "price study exits 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || cat "$T/px.err"
"$BIN" best --study px --db "$DB" > "$T/pbest.txt"
check "best shows the RMSE against persistence" grep -q persistence_rmse "$T/pbest.txt"
"$BIN" best --study px --db "$DB" --format json > "$T/pbest.json"
"$BIN" best --study px --db "$DB" --export "$T/px.model" > /dev/null
"$BIN" predict --model "$T/px.model" --data "$CSV" -o "$T/px.csv" 2> /dev/null
check "predict writes timestamp,close,predicted_close" grep -q '^timestamp,close,predicted_close,origin,predicted_return,signal$' "$T/px.csv"
python3 - "$CSV" "$T/px.csv" "$T/pbest.json" > "$T/px.txt" <<'PY'
import csv, json, math, sys
candles = list(csv.reader(open(sys.argv[1])))[1:]
ts = [int(r[0]) for r in candles]
close = [float(r[4]) for r in candles]
idx = {t: i for i, t in enumerate(ts)}
rows = list(csv.reader(open(sys.argv[2])))[1:]
res = json.load(open(sys.argv[3]))
first, last, h = res["holdout_first"], res["holdout_last"], 2
fc = {int(r[3]): float(r[2]) for r in rows}     # origin -> forecast close
se = ae = 0.0
n = 0
for t in ts:
    if t < first or t > last:
        continue
    i = idx[t]
    if i + h >= len(close) or ts[i + h] > last:
        continue
    e = fc[t] - close[i + h]
    se += e * e
    ae += abs(e)
    n += 1
past = [r for r in rows if r[1] == ""]
step = ts[-1] - ts[-2]
ok_past = len(past) == h and [int(r[0]) for r in past] == [ts[-1] + step * (k + 1) for k in range(h)]
hd = res["holdout"]
print(n, res["n_test"], math.sqrt(se / n), hd["rmse"], ae / n, hd["mae"], int(ok_past))
PY
read -r n ntest rmse rmse_s mae mae_s ok_past < "$T/px.txt"
echo "price holdout from predict: n=$n rmse=$rmse mae=$mae; stored: n=$ntest rmse=$rmse_s mae=$mae_s"
check "price: predict forecasts every stored holdout sample" test "$n" = "$ntest"
check "price: predict's holdout RMSE equals the stored one (1e-5 rel)" \
  python3 -c "import sys; sys.exit(abs($rmse - $rmse_s) > 1e-5 * abs($rmse_s))"
check "price: predict's holdout MAE equals the stored one (1e-5 rel)" \
  python3 -c "import sys; sys.exit(abs($mae - $mae_s) > 1e-5 * abs($mae_s))"
check "price: the last 2 rows forecast the bars past the end" test "$ok_past" = 1
"$BIN" report --study px --db "$DB" -o "$T/px.html" 2> /dev/null
check "the price report draws forecast vs actual" grep -q 'Holdout forecast vs actual close' "$T/px.html"
check "the price report draws the error over time" grep -q 'Holdout forecast error over time' "$T/px.html"
nfc=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['forecast']['t']))" "$T/pbest.json")
check "the stored forecast curve covers the holdout samples ($nfc)" test "$nfc" = "$ntest"
"$BIN" report --study mc --db "$DB" -o "$T/mc.html" 2> /dev/null
check "the multiclass report names its objective" grep -q 'macro_f1' "$T/mc.html"
check "store integrity" test "$(q "$DB" 'PRAGMA integrity_check')" = ok
finish
