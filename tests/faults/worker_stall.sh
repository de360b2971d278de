#!/usr/bin/env bash
# worker_stall.sh - the coordinator's bounds on a worker that stops answering
# (issue 14, item 8; experiments/run_deadline.h), under mpirun -np 3:
#   a rank stopped (SIGSTOP) before it starts: `run` ends within the start-up
#     bound (SEQTUNE_STARTUP_S=3) with exit 3 and a message that says so, no
#     study is written, and no process of the job is left behind;
#   a rank that dies before it starts: the job ends non-zero at once, no study;
#   a worker stopped during the search WITHOUT training.trial_timeout_s: its
#     trial is FAIL ("worker 2 stopped answering") once it has been silent for
#     max(SEQTUNE_STALL_S, 10 x the slowest trial), the other worker completes
#     every other trial, exit 3, and no process is left behind.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
bin=${SEQTUNE_BIN:?}
need_cmd mpirun sqlite3
mpi_root_env
make_tmp
stopped=""
at_exit '[ -n "$stopped" ] && kill -CONT $stopped 2>/dev/null'
q() { sqlite3 -batch "$1" "$2"; }
# job_left TAG: processes still running with TAG (a path unique to one case) in argv
job_left() { pgrep -f -- "$1" | grep -vx "$$" | wc -l; }
rank_pid() {
  local p
  for p in $(pgrep -P "$1"); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo "$p"; return; }
  done
}
cat >"$T/wrap.sh" <<'SH'
#!/bin/bash
# rank $STALL_RANK stops itself ($STALL_HOW=stop) or exits (die) before seqtune starts
if [ "${OMPI_COMM_WORLD_RANK:-}" = "${STALL_RANK:-x}" ]; then
  case "${STALL_HOW:-stop}" in stop) kill -STOP $$ ;; die) exit 1 ;; esac
fi
exec "$@"
SH
chmod +x "$T/wrap.sh"
spec() {  # NAME N_TRIALS
  cat >"$T/$1.json" <<JSON
{"name": "$1", "objective": {"builtin": "branin", "sleep_s": 0.3},
 "search": {"n_trials": $2, "sampler": {"name": "random", "seed": 2}, "pruner": "none",
   "space": {"x1": {"type": "float", "low": -5, "high": 10}, "x2": {"type": "float", "low": 0, "high": 15}}}}
JSON
}

# --- stopped before start-up ------------------------------------------------------------
spec early 4
t0=$(date +%s)
SEQTUNE_STARTUP_S=3 STALL_RANK=2 STALL_HOW=stop timeout 60 mpirun -np 3 --oversubscribe \
  "$T/wrap.sh" "$bin" run "$T/early.json" --db "$T/early.db" --quiet >/dev/null 2>"$T/early.err"
rc=$?
t1=$(date +%s)
check "stopped before start-up: exit 3 (got $rc)" test $rc -eq 3
check "... within 15 s ($((t1 - t0)) s)" test $((t1 - t0)) -le 15
check "... the message names the start-up bound" grep -q "start-up did not finish within 3 s" "$T/early.err"
check "... no study written" test "$(q "$T/early.db" "SELECT count(*) FROM studies" 2>/dev/null || echo 0)" = 0
sleep 1
check "... no process of the job left" test "$(job_left "$T/early.json")" = 0

# --- dies before start-up ---------------------------------------------------------------
STALL_RANK=1 STALL_HOW=die timeout 60 mpirun -np 3 --oversubscribe \
  "$T/wrap.sh" "$bin" run "$T/early.json" --db "$T/dead.db" --quiet >/dev/null 2>"$T/dead.err"
rc=$?
check "dies before start-up: non-zero exit (got $rc)" test $rc -ne 0
check "... no study written" test "$(q "$T/dead.db" "SELECT count(*) FROM studies" 2>/dev/null || echo 0)" = 0
sleep 1
check "... no process of the job left" test "$(job_left "$T/early.json")" = 0

# --- stopped during the search, no trial_timeout_s ----------------------------------------
spec stall 12
t0=$(date +%s)
SEQTUNE_STALL_S=2 timeout 90 mpirun -np 3 --oversubscribe "$bin" run "$T/stall.json" \
  --db "$T/s.db" --quiet 2>"$T/s.err" & mp=$!
for ((i = 0; i < 100; i++)); do
  mpid=$(pgrep -P $mp -x mpirun | head -1)
  [ -n "$mpid" ] && stopped=$(rank_pid "$mpid" 2)
  [ -n "$stopped" ] && break
  sleep 0.1
done
for ((i = 0; i < 300; i++)); do
  [ "$(q "$T/s.db" "SELECT count(*) FROM runs WHERE worker = 2 AND state = 'COMPLETE'" 2>/dev/null)" -ge 1 ] 2>/dev/null && break
  sleep 0.1
done
check "found rank 2 ($stopped)" test -n "$stopped"
kill -STOP $stopped
wait $mp; rc=$?
t1=$(date +%s)
kill -CONT $stopped 2>/dev/null; stopped=""
check "stopped worker, no trial limit: exit 3 (got $rc)" test $rc -eq 3
check "... within 40 s ($((t1 - t0)) s)" test $((t1 - t0)) -le 40
lost=$(q "$T/s.db" "SELECT count(*) FROM runs WHERE state='FAIL' AND error LIKE 'worker 2 stopped answering (not heard from%'")
check "... one trial FAIL: worker 2 stopped answering ($lost)" test "$lost" = 1
check "... the 11 others COMPLETE" \
  test "$(q "$T/s.db" "SELECT count(*) FROM runs WHERE state = 'COMPLETE'")" = 11
check "... nothing left RUNNING" test "$(q "$T/s.db" "SELECT count(*) FROM runs WHERE state = 'RUNNING'")" = 0
check "... the message says what happened" grep -q "stopped answering" "$T/s.err"
sleep 1
check "... no process of the job left" test "$(job_left "$T/stall.json")" = 0
finish
