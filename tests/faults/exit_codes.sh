#!/usr/bin/env bash
# exit_codes.sh - what `seqtune run` exits with when things go wrong (issue 14,
# items 8 and 9):
#   every trial FAIL: exit 3 with the last reason, in-process and under mpirun;
#   SIGTERM to the job's processes under mpirun (as srun/scancel deliver it):
#     every rank ends normally, mpirun exits 130, no trial left RUNNING;
#   SIGTERM during the refit after the search: exit 130, the study INTERRUPTED
#     (no result stored), and --resume then refits and exits 0;
#   a worker stopped with SIGSTOP under mpirun -np 3: its trial is FAIL ("worker
#     2 stopped answering") after the trial's limit plus the grace period, that
#     rank gets no more work, the study finishes on the other worker and exits 3.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
bin=${SEQTUNE_BIN:?}
need_cmd mpirun sqlite3
mpi_root_env
make_tmp
stopped=""
at_exit '[ -n "$stopped" ] && kill -CONT $stopped 2>/dev/null'
q() { sqlite3 -batch "$1" "$2"; }
# rank_pid MPIRUN_PID RANK: the pid of that rank of the job
rank_pid() {
  local p
  for p in $(pgrep -P "$1"); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo "$p"; return; }
  done
}

# --- every trial fails: 3 ------------------------------------------------------------
cat >"$T/allfail.json" <<'JSON'
{"name": "allfail", "objective": {"command": ["sh", "-c", "echo boom >&2; exit 4"]},
 "search": {"n_trials": 3, "sampler": "random", "space": {"x": {"type": "float", "low": 0, "high": 1}}}}
JSON
"$bin" run "$T/allfail.json" --db "$T/f1.db" --quiet 2>"$T/f1.err"; rc=$?
check "every trial failed, in-process: exit 3 (got $rc)" test $rc -eq 3
check "the message gives the last reason" grep -q "every trial failed.*exited with 4: boom" "$T/f1.err"
mpirun -np 2 --oversubscribe "$bin" run "$T/allfail.json" --db "$T/f2.db" --quiet 2>"$T/f2.err"; rc=$?
check "every trial failed, mpirun -np 2: exit 3 (got $rc)" test $rc -eq 3

# --- SIGTERM to the ranks under mpirun: 130 ---------------------------------------------
cat >"$T/slow.json" <<'JSON'
{"name": "slow", "objective": {"builtin": "branin", "sleep_s": 0.4},
 "search": {"n_trials": 40, "sampler": {"name": "random", "seed": 1}, "pruner": "none",
   "space": {"x1": {"type": "float", "low": -5, "high": 10}, "x2": {"type": "float", "low": 0, "high": 15}}}}
JSON
mpirun -np 3 --oversubscribe "$bin" run "$T/slow.json" --db "$T/s.db" --quiet 2>"$T/s.err" & mp=$!
sleep 2
pkill -TERM -P $mp
wait $mp; rc=$?
check "SIGTERM to the job's ranks under mpirun: exit 130 (got $rc)" test $rc -eq 130
check "no trial left RUNNING" test "$(q "$T/s.db" "SELECT count(*) FROM runs WHERE state='RUNNING'")" = 0
check "the study is INTERRUPTED" test "$(q "$T/s.db" "SELECT status FROM studies")" = INTERRUPTED

# --- SIGTERM during the refit: 130, then --resume refits ---------------------------------
"$bin" synth -o "$T/candles.csv" --bars 2000 --seed 3 >/dev/null
cat >"$T/refit.json" <<'JSON'
{"name": "refit", "data": {"path": "candles.csv"}, "features": ["log_return", "rsi:14"],
 "validation": {"folds": 1, "val_fraction": 0.2, "holdout_fraction": 0.1},
 "training": {"max_epochs": 60, "patience": 60, "units": 16, "seq_len": 16},
 "search": {"n_trials": 1, "sampler": {"name": "random", "seed": 1}, "pruner": "none",
   "space": {"dropout": {"type": "float", "low": 0.0, "high": 0.2}}}}
JSON
"$bin" run "$T/refit.json" --db "$T/r.db" >/dev/null 2>"$T/r.err" & pid=$!
for ((i = 0; i < 1200; i++)); do grep -q refitting "$T/r.err" && break; sleep 0.05; done
check "the refit started" grep -q refitting "$T/r.err"
kill -TERM $pid
wait $pid; rc=$?
check "SIGTERM during the refit: exit 130 (got $rc)" test $rc -eq 130
check "the refit's message says so" grep -q "during the refit" "$T/r.err"
check "the study is INTERRUPTED, with no result" \
  test "$(q "$T/r.db" "SELECT status || ',' || coalesce(result, 'none') FROM studies")" = "INTERRUPTED,none"
timeout 60 "$bin" run "$T/refit.json" --db "$T/r.db" --resume --quiet >/dev/null 2>"$T/r2.err"; rc=$?
check "--resume after an interrupted refit: exit 0 (got $rc)" test $rc -eq 0
check "... and the study is COMPLETE with a result" \
  test "$(q "$T/r.db" "SELECT status || ',' || (result IS NOT NULL) FROM studies")" = "COMPLETE,1"

# --- a stopped worker: FAIL after limit + grace, the study finishes on the other: 3 -----------
cat >"$T/stop.json" <<'JSON'
{"name": "stopw", "objective": {"builtin": "branin", "sleep_s": 0.3},
 "training": {"trial_timeout_s": 1},
 "search": {"n_trials": 12, "sampler": {"name": "random", "seed": 2}, "pruner": "none",
   "space": {"x1": {"type": "float", "low": -5, "high": 10}, "x2": {"type": "float", "low": 0, "high": 15}}}}
JSON
t0=$(date +%s)
timeout 60 mpirun -np 3 --oversubscribe "$bin" run "$T/stop.json" --db "$T/w.db" --quiet 2>"$T/w.err" & mp=$!
stopped=""
for ((i = 0; i < 100; i++)); do
  mpid=$(pgrep -P $mp -x mpirun | head -1)
  [ -n "$mpid" ] && stopped=$(rank_pid "$mpid" 2)
  [ -n "$stopped" ] && break
  sleep 0.1
done
# Stop it once it works on trials (the set-up broadcast before that is a
# collective call that a stopped rank holds up).
for ((i = 0; i < 300; i++)); do
  [ "$(q "$T/w.db" "SELECT count(*) FROM runs WHERE worker = 2 AND state = 'COMPLETE'" 2>/dev/null)" -ge 1 ] 2>/dev/null && break
  sleep 0.1
done
check "found rank 2 ($stopped)" test -n "$stopped"
kill -STOP $stopped
wait $mp; rc=$?
t1=$(date +%s)
kill -CONT $stopped 2>/dev/null; kill -KILL $stopped 2>/dev/null; stopped=""
check "a stopped worker: exit 3 (got $rc)" test $rc -eq 3
check "... within 40 s ($((t1 - t0)) s)" test $((t1 - t0)) -le 40
lost=$(q "$T/w.db" "SELECT count(*) FROM runs WHERE state='FAIL' AND error LIKE 'worker 2 stopped answering%'")
check "one trial FAIL: worker 2 stopped answering ($lost)" test "$lost" = 1
check "the other worker finished the study (12 finished)" \
  test "$(q "$T/w.db" "SELECT count(*) FROM runs WHERE state != 'RUNNING'")" = 12
check "rank 2 got nothing after it stopped" \
  test "$(q "$T/w.db" "SELECT count(*) FROM runs WHERE worker = 2 AND state = 'COMPLETE' AND
           trial_number > (SELECT trial_number FROM runs WHERE error LIKE 'worker 2 stopped%')")" = 0
check "the message says what happened" grep -q "stopped answering" "$T/w.err"
finish
