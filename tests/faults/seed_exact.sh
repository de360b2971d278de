#!/usr/bin/env bash
# seed_exact.sh RERUN - every trial reproducible (issue 14, item 1).
# One LSTM spec with the random sampler (its suggestions do not depend on timing)
# runs in-process, under `mpirun -np 2` and under `mpirun -np 3`: every trial has
# the same stored seed and bit-identical value in the three stores. The stored
# seeds use all 63 bits (a double would round them), the JSON export carries them
# exactly, and a stored trial re-run in-process from its stored seed (RERUN, the
# seed_rerun helper) gives its stored value bit for bit.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
bin=${SEQTUNE_BIN:?}
rerun=${1:?usage: seed_exact.sh SEED_RERUN}
need_cmd mpirun sqlite3
mpi_root_env
make_tmp

"$bin" synth -o "$T/candles.csv" --bars 900 --seed 11 >/dev/null || { echo "FAIL synth"; exit 1; }
cat >"$T/spec.json" <<'JSON'
{"name": "seeds", "data": {"path": "candles.csv"}, "features": ["log_return", "rsi:14"],
 "validation": {"folds": 2, "val_fraction": 0.2, "holdout_fraction": 0.1},
 "training": {"max_epochs": 2, "patience": 2, "units": 4, "batch_size": 32},
 "search": {"n_trials": 6, "sampler": {"name": "random", "seed": 7}, "pruner": {"name": "none"},
  "space": {"seq_len": {"type": "int", "low": 6, "high": 10},
            "dropout": {"type": "float", "low": 0.0, "high": 0.3}}}}
JSON
rows() {  # trial, seed, the value's exact bits (as %.17e), state
  sqlite3 -batch "$1" "SELECT trial_number, seed, printf('%.17e', value), state FROM runs ORDER BY trial_number"
}
"$bin" run "$T/spec.json" --db "$T/local.db" --quiet >/dev/null 2>"$T/local.err"; rc=$?
check "in-process run exits 0 (got $rc)" test $rc -eq 0
check "in-process run: 6 COMPLETE trials" test "$(sqlite3 "$T/local.db" "SELECT count(*) FROM runs WHERE state='COMPLETE'")" = 6
rows "$T/local.db" >"$T/local.rows"
for np in 2 3; do
  mpirun -np $np --oversubscribe "$bin" run "$T/spec.json" --db "$T/mpi$np.db" --quiet >/dev/null 2>"$T/mpi$np.err"
  rc=$?
  check "mpirun -np $np exits 0 (got $rc)" test $rc -eq 0
  rows "$T/mpi$np.db" >"$T/mpi$np.rows"
  if cmp -s "$T/local.rows" "$T/mpi$np.rows"; then
    echo "ok   mpirun -np $np: every trial's seed and value bit-identical to in-process"
  else
    echo "FAIL mpirun -np $np: trials differ from in-process"; diff "$T/local.rows" "$T/mpi$np.rows" | head -8; fail=1
  fi
done
cat "$T/local.rows"
# The seeds need more than a double's 53 bits, or this test would not test anything.
big=$(sqlite3 "$T/local.db" "SELECT count(*) FROM runs WHERE seed > 9007199254740992")
check "stored seeds above 2^53 ($big of 6)" test "$big" -ge 3
# The JSON export writes them as exact integers.
"$bin" export --db "$T/mpi3.db" --study seeds --format json -o "$T/export.json" 2>"$T/export.err"
check "export json exits 0" test $? -eq 0
python3 - "$T/export.json" "$T/local.rows" <<'PY' || fail=1
import json, sys
doc = json.load(open(sys.argv[1]))
trials = doc["trials"] if "trials" in doc else doc["study"]["trials"]
stored = {int(l.split("|")[0]): int(l.split("|")[1]) for l in open(sys.argv[2])}
got = {t["trial_number"]: t["seed"] for t in trials}
bad = [n for n in stored if got.get(n) != stored[n] or not isinstance(got.get(n), int)]
print(("FAIL" if bad else "ok  ") + " export json: seeds exact (%d trials, bad: %s)" % (len(got), bad))
sys.exit(1 if bad else 0)
PY
# Re-running trials from their stored seed (in this process) gives their stored value.
for n in 1 4; do
  out=$("$rerun" "$T/spec.json" "$T/mpi3.db" $n 2>&1)
  check "trial $n re-run from its stored seed: $out" test $? -eq 0
done
finish
