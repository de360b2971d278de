#!/usr/bin/env bash
# run_lstm_e2e.sh - a real study end to end on the real 1h BTC candles:
#   mpirun -np 3: exactly 8 finished trials, pruned trials present (percentile
#   pruner), a holdout result and a model stored; `best --export` + `predict` on
#   the candles give back the stored holdout accuracy and log loss;
#   world size 1 on the same spec: a complete study with the same set of states;
#   a search space that makes some trials impossible (seq_len longer than a
#   fold): those FAIL with a reason and the study still completes.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?}
DATA=${SEQTUNE_DATA:-}
CSV="$DATA/btcusdt_binance_1h_2021-10-01_2022-10-31.csv"
need_file "$CSV" "real candles"
need_cmd mpirun sqlite3
mpi_root_env
make_tmp
q() { sqlite3 "$1" "$2"; }

spec() {  # spec NAME SEED SEQ_HIGH FOLDS N
  cat > "$T/$1.json" <<EOF
{"name": "$1",
 "data": {"path": "$CSV"},
 "features": ["log_return", "rsi:14", "volume_z:20", "hour_of_day"],
 "target": {"kind": "direction", "horizon": 1},
 "validation": {"folds": $4, "window": "expanding", "val_fraction": 0.15, "holdout_fraction": 0.15},
 "training": {"max_epochs": 3, "patience": 2, "clip_norm": 1.0},
 "search": {"n_trials": $5,
   "sampler": {"name": "tpe", "n_startup_trials": 3, "seed": $2},
   "pruner": {"name": "percentile", "percentile": 25, "n_startup_trials": 2, "n_warmup_steps": 0},
   "metric": "val_log_loss", "direction": "minimize",
   "space": {"seq_len": {"type": "int", "low": 8, "high": $3, "step": 8},
             "units": {"type": "int", "low": 4, "high": 8},
             "learning_rate": {"type": "float", "low": 1e-3, "high": 1e-2, "log": true},
             "batch_size": {"type": "categorical", "choices": [64]}}},
 "backtest": {"fee_bps": 10, "long_threshold": 0.5, "short_threshold": 0.5}}
EOF
}

# --- 1. mpirun -np 3 -----------------------------------------------------------------
spec btc-mpi 11 16 3 8
mpirun -np 3 --oversubscribe "$BIN" run "$T/btc-mpi.json" --db "$T/s.db" --quiet > "$T/mpi.out" 2> "$T/mpi.err"
rc=$?
check "mpirun study exits 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || cat "$T/mpi.err"
DB="$T/s.db"
fin=$(q "$DB" "SELECT count(*) FROM runs r JOIN studies s ON s.id=r.study_id WHERE s.name='btc-mpi' AND state!='RUNNING'")
check "exactly 8 finished trials (got $fin)" test "$fin" = 8
pruned=$(q "$DB" "SELECT count(*) FROM runs WHERE state='PRUNED'")
check "pruned trials present (got $pruned)" test "$pruned" -ge 1
workers=$(q "$DB" "SELECT count(DISTINCT worker) FROM runs")
check "trials ran on both workers (got $workers distinct)" test "$workers" = 2
dup=$(q "$DB" "SELECT count(*) - count(DISTINCT trial_number) FROM runs")
check "no duplicate trial numbers" test "$dup" = 0
"$BIN" best --study btc-mpi --db "$DB" --format json > "$T/best.json"
check "best has a holdout result" grep -q '"holdout"' "$T/best.json"
"$BIN" best --study btc-mpi --db "$DB" --export "$T/model.stm" > /dev/null
check "model exported" test -s "$T/model.stm"
"$BIN" predict --model "$T/model.stm" --data "$CSV" -o "$T/signals.csv" 2> /dev/null
check "predict wrote signals" test -s "$T/signals.csv"
# The holdout metrics recomputed from the signals equal the stored ones.
python3 - "$CSV" "$T/signals.csv" "$T/best.json" <<'PY' > "$T/holdout.txt"
import csv, json, math, sys
candles = list(csv.reader(open(sys.argv[1])))[1:]
ts = [int(r[0]) for r in candles]
close = [float(r[4]) for r in candles]
idx = {t: i for i, t in enumerate(ts)}
sig = {int(r[0]): float(r[1]) for r in list(csv.reader(open(sys.argv[2])))[1:]}
res = json.load(open(sys.argv[3]))
first, last = res["holdout_first"], res["holdout_last"]
n = hits = 0
ll = 0.0
for t in ts:
    if t < first or t > last:
        continue
    i = idx[t]
    if i + 1 >= len(close) or ts[i + 1] > last:   # no label inside the holdout
        continue
    if close[i + 1] == close[i]:                   # deadband 0: neutral rows dropped
        continue
    y = 1 if close[i + 1] > close[i] else 0
    p = min(max(sig[t], 1e-15), 1 - 1e-15)
    n += 1
    hits += (p >= 0.5) == (y == 1)
    ll -= math.log(p) if y else math.log(1 - p)
print(n, res["n_test"], hits / n, res["holdout"]["accuracy"], ll / n, res["holdout"]["log_loss"])
PY
read -r n ntest acc acc_stored ll ll_stored < "$T/holdout.txt"
echo "holdout from predict: n=$n acc=$acc logloss=$ll; stored: n=$ntest acc=$acc_stored logloss=$ll_stored"
check "predict scores as many holdout samples as the stored result" test "$n" = "$ntest"
check "predict's holdout accuracy equals the stored one" \
  python3 -c "import sys; sys.exit(abs($acc - $acc_stored) > 1e-12)"
check "predict's holdout log loss equals the stored one (1e-4 rel)" \
  python3 -c "import sys; sys.exit(abs($ll - $ll_stored) > 1e-4 * abs($ll_stored))"
arts=$(q "$DB" "SELECT count(*) FROM artifacts WHERE kind='model'")
check "model artifact recorded" test "$arts" = 1

# --- 2. world size 1, same spec ------------------------------------------------------
sed 's/"btc-mpi"/"btc-one"/' "$T/btc-mpi.json" > "$T/btc-one.json"
"$BIN" run "$T/btc-one.json" --db "$DB" --quiet 2> "$T/one.err"
rc=$?
check "world size 1 exits 0 (got $rc)" test $rc -eq 0
states_mpi=$(q "$DB" "SELECT group_concat(state) FROM (SELECT DISTINCT state FROM runs r JOIN studies s ON s.id=r.study_id WHERE s.name='btc-mpi' ORDER BY state)")
states_one=$(q "$DB" "SELECT group_concat(state) FROM (SELECT DISTINCT state FROM runs r JOIN studies s ON s.id=r.study_id WHERE s.name='btc-one' ORDER BY state)")
check "same set of states ($states_mpi vs $states_one)" test "$states_mpi" = "$states_one"
status=$(q "$DB" "SELECT status FROM studies WHERE name='btc-one'")
check "world-size-1 study COMPLETE (got $status)" test "$status" = COMPLETE

# --- 3. impossible trials fail with a reason, the study completes ---------------------
# 4 folds on 1/4 of the data: a fold's training span cannot hold a 400-bar window.
head -n 2400 "$CSV" > "$T/short.csv"
spec btc-fail 5 480 4 6
sed -i "s|$CSV|$T/short.csv|; s/\"low\": 8, \"high\": 480, \"step\": 8/\"low\": 8, \"high\": 488, \"step\": 480/; s/\"n_startup_trials\": 3/\"n_startup_trials\": 10/" "$T/btc-fail.json"
"$BIN" run "$T/btc-fail.json" --db "$DB" --quiet 2> "$T/fail.err"
rc=$?
nfail=$(q "$DB" "SELECT count(*) FROM runs r JOIN studies s ON s.id=r.study_id WHERE s.name='btc-fail' AND state='FAIL' AND error IS NOT NULL AND error != ''")
nfin=$(q "$DB" "SELECT count(*) FROM runs r JOIN studies s ON s.id=r.study_id WHERE s.name='btc-fail' AND state!='RUNNING'")
# exit 0 when some trial was possible, 3 when every trial failed (issue 14, item 9)
want=0; [ "$nfail" = "$nfin" ] && want=3
check "study with impossible trials exits $want (got $rc)" test $rc -eq $want
check "impossible trials FAIL with a reason (got $nfail)" test "$nfail" -ge 1
check "the study still finishes 6 trials (got $nfin)" test "$nfin" = 6
q "$DB" "SELECT trial_number, error FROM runs r JOIN studies s ON s.id=r.study_id WHERE s.name='btc-fail' AND state='FAIL' LIMIT 1"
check "store integrity" test "$(q "$DB" 'PRAGMA integrity_check')" = ok
finish
