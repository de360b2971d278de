#!/usr/bin/env bash
# run_signals.sh - what a job that dies or is stopped leaves behind:
#   SIGKILL of the whole mpirun job after some trials finished, then --resume:
#   exactly n_trials finished, no duplicate trial numbers, the killed RUNNING
#   trials recorded as FAIL ("lost"), the store intact;
#   without --resume an existing study is refused with a hint (exit 2);
#   SIGTERM (Slurm pre-emption) to mpirun and to a single process: a non-zero
#   exit, running trials FAIL ("interrupted"), every finished trial kept;
#   an external command objective: steps reported, pruning terminates it,
#   a failing program is a FAIL with its stderr tail.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?}
need_cmd mpirun sqlite3
mpi_root_env
make_tmp
q() { sqlite3 "$DB" "$1"; }
finished() { q "SELECT count(*) FROM runs r JOIN studies s ON s.id=r.study_id WHERE s.name='$1' AND state!='RUNNING'" 2>/dev/null || echo 0; }
wait_finished() {  # wait_finished STUDY N TIMEOUT_S
  local i=0
  while [ "$(finished "$1")" -lt "$2" ] && [ $i -lt $(($3 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
}
branin() {  # branin NAME N SLEEP
  cat > "$T/$1.json" <<EOF
{"name": "$1", "objective": {"builtin": "branin", "sleep_s": $3},
 "search": {"n_trials": $2, "sampler": {"name": "tpe", "n_startup_trials": 5, "seed": 3},
   "space": {"x1": {"type": "float", "low": -5, "high": 10},
             "x2": {"type": "float", "low": 0, "high": 15}}}}
EOF
}
DB="$T/s.db"

# --- SIGKILL the whole job, then resume ------------------------------------------------
branin killed 20 0.3
setsid mpirun -np 3 --oversubscribe "$BIN" run "$T/killed.json" --db "$DB" --quiet \
  > "$T/k1.out" 2>&1 &
pid=$!
wait_finished killed 6 60
# The whole job: mpirun and every rank (Open MPI gives ranks their own process
# groups, so killing mpirun's group alone leaves the coordinator running).
pkill -KILL -f "seqtune run $T/killed.json" 2>/dev/null
kill -KILL -- -"$pid" 2>/dev/null
wait "$pid" 2>/dev/null
before=$(finished killed)
running=$(q "SELECT count(*) FROM runs WHERE state='RUNNING'")
echo "killed after $before finished trials with $running running"
check "trials were running when the job was killed" test "$running" -ge 1
check "integrity after SIGKILL" test "$(q 'PRAGMA integrity_check')" = ok
"$BIN" run "$T/killed.json" --db "$DB" --quiet 2> "$T/noresume.err"
rc=$?
check "without --resume: exit 2 (got $rc)" test $rc -eq 2
check "without --resume: the message suggests --resume" grep -q -- "--resume" "$T/noresume.err"
# A second coordinator on a study that is still running is refused.
branin locked 6 1.0
"$BIN" run "$T/locked.json" --db "$DB" --quiet 2>/dev/null &
lpid=$!
sleep 0.5
"$BIN" run "$T/locked.json" --db "$DB" --resume --quiet 2> "$T/locked.err"
rc=$?
check "a second coordinator is refused (exit 2, got $rc)" test $rc -eq 2
check "the refusal names the running process" grep -q "being run by another seqtune process (pid $lpid)" "$T/locked.err"
wait $lpid
mpirun -np 3 --oversubscribe "$BIN" run "$T/killed.json" --db "$DB" --resume --quiet \
  > "$T/k2.out" 2>&1
rc=$?
check "resume exits 0 (got $rc)" test $rc -eq 0
check "exactly 20 finished trials after resume (got $(finished killed))" test "$(finished killed)" = 20
kid=$(q "SELECT id FROM studies WHERE name='killed'")
check "no duplicate trial numbers" test "$(q "SELECT count(*) - count(DISTINCT trial_number) FROM runs WHERE study_id=$kid")" = 0
lost=$(q "SELECT count(*) FROM runs WHERE study_id=$kid AND state='FAIL' AND error='lost'")
check "the killed running trials are FAIL (lost): $lost of $running" test "$lost" = "$running"
check "nothing left RUNNING" test "$(q "SELECT count(*) FROM runs WHERE study_id=$kid AND state='RUNNING'")" = 0
check "every trial before the kill kept" test "$(q "SELECT count(*) FROM runs WHERE study_id=$kid AND state='COMPLETE'")" -ge "$before"
check "study COMPLETE" test "$(q "SELECT status FROM studies WHERE name='killed'")" = COMPLETE

# --- SIGTERM to mpirun ------------------------------------------------------------------
branin termed 40 0.3
mpirun -np 3 --oversubscribe "$BIN" run "$T/termed.json" --db "$DB" --quiet \
  > "$T/t1.out" 2> "$T/t1.err" &
pid=$!
wait_finished termed 4 60
done_before=$(finished termed)
kill -TERM "$pid"
wait "$pid"
rc=$?
echo "mpirun exit after SIGTERM: $rc"
check "SIGTERM: non-zero exit" test $rc -ne 0
check "SIGTERM: integrity" test "$(q 'PRAGMA integrity_check')" = ok
sid=$(q "SELECT id FROM studies WHERE name='termed'")
check "SIGTERM: nothing left RUNNING" test "$(q "SELECT count(*) FROM runs WHERE study_id=$sid AND state='RUNNING'")" = 0
check "SIGTERM: finished trials kept ($done_before)" test "$(q "SELECT count(*) FROM runs WHERE study_id=$sid AND state='COMPLETE'")" -ge "$done_before"
check "SIGTERM: running trials FAIL (interrupted)" test "$(q "SELECT count(*) FROM runs WHERE study_id=$sid AND error='interrupted'")" -ge 1
check "SIGTERM: study INTERRUPTED" test "$(q "SELECT status FROM studies WHERE id=$sid")" = INTERRUPTED

# --- SIGTERM to a single process ----------------------------------------------------------
branin single 40 0.3
"$BIN" run "$T/single.json" --db "$DB" --quiet 2> "$T/s1.err" &
pid=$!
wait_finished single 3 60
kill -TERM "$pid"
wait "$pid"
rc=$?
check "single process SIGTERM: exit 130 (got $rc)" test $rc -eq 130
check "single process SIGTERM: the message says how to continue" grep -q -- "--resume" "$T/s1.err"
sid=$(q "SELECT id FROM studies WHERE name='single'")
check "single process SIGTERM: nothing left RUNNING" test "$(q "SELECT count(*) FROM runs WHERE study_id=$sid AND state='RUNNING'")" = 0
"$BIN" run "$T/single.json" --db "$DB" --quiet --resume 2> /dev/null
check "single process: resume completes 40" test "$(finished single)" = 40

# --- an external program as the objective -----------------------------------------------
cat > "$T/obj.sh" <<'EOF'
#!/bin/sh
# reads {"x": ...}; reports 4 steps; fails on purpose when x > 0.9
read -r p
x=$(echo "$p" | sed 's/.*"x":\([-0-9.e]*\).*/\1/')
case "$p" in *'"x":0.9'*|*'"x":1'*) echo "x too large: $x" >&2; exit 3;; esac
for s in 0 1 2 3; do echo "$s $x"; sleep 0.02; done
echo "$x"
EOF
chmod +x "$T/obj.sh"
cat > "$T/cmd.json" <<EOF
{"name": "cmd", "objective": {"command": ["./obj.sh"]},
 "search": {"n_trials": 16, "sampler": {"name": "random", "seed": 2},
   "pruner": {"name": "median", "n_startup_trials": 3},
   "space": {"x": {"type": "float", "low": 0, "high": 1}}}}
EOF
mpirun -np 3 --oversubscribe "$BIN" run "$T/cmd.json" --db "$DB" --quiet 2> "$T/c.err"
rc=$?
check "command objective study exits 0 (got $rc)" test $rc -eq 0
sid=$(q "SELECT id FROM studies WHERE name='cmd'")
check "command objective: 16 finished" test "$(finished cmd)" = 16
check "command objective: steps logged" test "$(q "SELECT count(*) FROM metrics m JOIN runs r ON r.id=m.run_id WHERE r.study_id=$sid AND m.key='objective'")" -ge 16
check "command objective: pruned trials (median) present" test "$(q "SELECT count(*) FROM runs WHERE study_id=$sid AND state='PRUNED'")" -ge 1
nf=$(q "SELECT count(*) FROM runs WHERE study_id=$sid AND state='FAIL' AND error LIKE '%exited with 3%x too large%'")
big=$(q "SELECT count(*) FROM runs r JOIN params p ON p.run_id=r.id WHERE r.study_id=$sid AND p.key='x' AND p.value LIKE '0.9%'")
check "command objective: failing runs are FAIL with the stderr tail ($nf of $big)" test "$nf" = "$big"
# --- search.timeout_s: no new trial after the deadline, running ones finish -----------
cat > "$T/budget.json" <<EOF
{"name": "budget", "objective": {"builtin": "branin", "sleep_s": 0.2},
 "search": {"n_trials": 1000, "timeout_s": 1.0, "sampler": {"name": "random", "seed": 1},
   "space": {"x1": {"type": "float", "low": -5, "high": 10},
             "x2": {"type": "float", "low": 0, "high": 15}}}}
EOF
"$BIN" run "$T/budget.json" --db "$DB" --quiet 2> "$T/b.err"
rc=$?
nb=$(finished budget)
check "timeout_s: exit 0 (got $rc)" test $rc -eq 0
check "timeout_s: stopped early, every started trial finished ($nb of 1000)" \
  test "$nb" -ge 3 -a "$nb" -le 8
check "timeout_s: nothing left RUNNING" test "$(q "SELECT count(*) FROM runs WHERE state='RUNNING'")" = 0
check "timeout_s: study COMPLETE" test "$(q "SELECT status FROM studies WHERE name='budget'")" = COMPLETE

# --- training.trial_timeout_s fails a trial that runs too long ---------------------------
cat > "$T/slow.sh" <<'EOF'
#!/bin/sh
read -r p
case "$p" in *'"x":0.5'*) sleep 30;; esac
echo 1
EOF
chmod +x "$T/slow.sh"
cat > "$T/slow.json" <<EOF
{"name": "slow", "objective": {"command": ["./slow.sh"]},
 "training": {"trial_timeout_s": 0.5},
 "search": {"n_trials": 4, "sampler": {"name": "grid"},
   "space": {"x": {"type": "categorical", "choices": [0.5, 2, 3, 4]}}}}
EOF
"$BIN" run "$T/slow.json" --db "$DB" --quiet 2> "$T/slow.err"
rc=$?
check "trial_timeout_s: the study completes (exit $rc)" test $rc -eq 0
check "trial_timeout_s: the slow trial FAILs with the time limit" \
  test "$(q "SELECT count(*) FROM runs r JOIN studies s ON s.id=r.study_id WHERE s.name='slow' AND state='FAIL' AND error LIKE 'time limit%'")" = 1
check "trial_timeout_s: the others COMPLETE" \
  test "$(q "SELECT count(*) FROM runs r JOIN studies s ON s.id=r.study_id WHERE s.name='slow' AND state='COMPLETE'")" = 3
finish
