#!/usr/bin/env bash
# run_reproducible.sh - search.reproducible (issue 18, item 5): the same spec and
# seed give the same stores, bit for bit (each trial's number, state, value and
# every parameter's text and number, compared as hex), at world size 1 and under
# `mpirun -np 2` and `-np 3`, for TPE (constant liar on) and GP; a study stopped
# after 12 trials and resumed under another rank count ends as the straight run;
# without `reproducible` the 3-rank TPE study differs from the serial one (the
# comparison can tell them apart).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?}
need_cmd mpirun sqlite3
mpi_root_env
make_tmp
# spec NAME SAMPLER REPRODUCIBLE N -> $T/NAME.json
spec() {
  cat > "$T/$1.json" <<SPEC
{"name": "$1",
 "objective": {"builtin": "branin", "sleep_s": 0.02},
 "search": {"n_trials": $4, "sampler": {"name": "$2", "seed": 11, "n_startup_trials": 4},
   "metric": "value", "direction": "minimize", "reproducible": $3, "reproducible_lag": 3,
   "space": {"x1": {"type": "float", "low": -5, "high": 10},
             "x2": {"type": "float", "low": 0, "high": 15}}}}
SPEC
}
# run NP SPEC DB [args]: world size 1 without mpirun
run() {
  local np=$1 s=$2 db=$3; shift 3
  if [ "$np" = 1 ]; then "$BIN" run "$s" --db "$db" --quiet "$@"
  else mpirun -np "$np" --oversubscribe "$BIN" run "$s" --db "$db" --quiet "$@"; fi
}
# dump DB: every trial's number, state, value and parameters, exactly
dump() {
  sqlite3 "$1" "select r.trial_number, r.state, hex(r.value), p.key, p.value, hex(p.num)
                from runs r join params p on p.run_id = r.id order by r.trial_number, p.key"
}
ntrials() { sqlite3 "$1" "select count(*) from runs where state = 'COMPLETE'"; }

for sampler in tpe gp; do
  n=30; [ $sampler = gp ] && n=16
  spec "r_$sampler" "$sampler" true $n
  for np in 1 2 3; do
    run $np "$T/r_$sampler.json" "$T/${sampler}_$np.db" 2>"$T/err_${sampler}_$np" ||
      { echo "FAIL $sampler np $np: exit $?"; cat "$T/err_${sampler}_$np"; fail=1; }
    dump "$T/${sampler}_$np.db" > "$T/${sampler}_$np.txt"
  done
  check "$sampler: np 1 ran $n trials" [ "$(ntrials "$T/${sampler}_1.db")" = $n ]
  check "$sampler: np 1 and np 2 stores are identical" cmp -s "$T/${sampler}_1.txt" "$T/${sampler}_2.txt"
  check "$sampler: np 1 and np 3 stores are identical" cmp -s "$T/${sampler}_1.txt" "$T/${sampler}_3.txt"
done
check "the pruner is said to be off" grep -q "search.reproducible: the median pruner is off" "$T/err_tpe_1"

# stop after 12, resume to 30 at another rank count
run 3 "$T/r_tpe.json" "$T/res.db" --trials 12
run 2 "$T/r_tpe.json" "$T/res.db" --resume
dump "$T/res.db" > "$T/res.txt"
check "12 trials at np 3 + resume at np 2 = the straight run" cmp -s "$T/tpe_1.txt" "$T/res.txt"

# the control: without reproducible, 3 ranks give another study than 1
spec "c_tpe" tpe false 30
run 1 "$T/c_tpe.json" "$T/c1.db"
run 3 "$T/c_tpe.json" "$T/c3.db"
check "control: without reproducible np 1 and np 3 differ" \
  bash -c "! cmp -s <(sed 's/^/x/' <(sqlite3 '$T/c1.db' 'select r.trial_number, hex(p.num) from runs r join params p on p.run_id = r.id order by 1, p.key')) \
                    <(sed 's/^/x/' <(sqlite3 '$T/c3.db' 'select r.trial_number, hex(p.num) from runs r join params p on p.run_id = r.id order by 1, p.key'))"

finish
