#!/usr/bin/env bash
# requeue_resume.sh - pre-emption and cancellation of the README's batch script
# on a real single-node Slurm cluster (cluster.sh), one study of n_trials = 30
# (builtin objective, 0.3 s a trial, 1 coordinator + 2 workers):
#   1. `scontrol requeue` after >= 6 finished trials: Slurm sends SIGTERM, the
#      coordinator records its running trials as FAIL (interrupted), the job is
#      requeued (Restarts=1) and, started again, the script resumes the study;
#   2. `scancel` after >= 12: SIGTERM again, the same record; a new `sbatch` of
#      the same script resumes;
#   3. SIGKILL to every task of the job step (`scontrol listpids`) after >= 18:
#      nothing records anything, the trials stay RUNNING; a new `sbatch` marks
#      them FAIL (lost) and ends the study.
# Asserted on the store: exactly 30 finished trials and none RUNNING, trial
# numbers 0..29 once each, each trial's two parameters once; FAIL (interrupted)
# = the running trials the coordinator reported at 1 and 2 (and its message
# says so), FAIL (lost) = the trials left RUNNING at 3, COMPLETE = the rest.
bin=${SEQTUNE_BIN:?SEQTUNE_BIN is not set}
src=${SEQTUNE_SRC:?SEQTUNE_SRC is not set}
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
. "$src/tests/cluster/cluster.sh"
need_cmd sqlite3
cluster_start || exit $?
mpi_root_env
n_trials=30

d=$CLUSTER_DIR/work/requeue
mkdir -p "$d/build" "$d/experiments/specs"
ln -s "$bin" "$d/build/seqtune"
cat >"$d/experiments/specs/btc_1h.json" <<JSON
{"name": "requeue", "objective": {"builtin": "branin", "sleep_s": 0.3},
 "search": {"n_trials": $n_trials, "direction": "minimize",
  "sampler": {"name": "tpe", "seed": 7, "n_startup_trials": 5}, "pruner": {"name": "none"},
  "space": {"x1": {"type": "float", "low": -5, "high": 10},
            "x2": {"type": "float", "low": 0, "high": 15}}}}
JSON
cluster_readme_block "#SBATCH --job-name=seqtune-btc-1h" >"$d/study.sbatch" || exit 1
grep -q '^#SBATCH --requeue' "$d/study.sbatch" || fail "the README's batch script lacks #SBATCH --requeue"
db=$d/btc.db
q() { sqlite3 -batch -cmd '.timeout 5000' "$db" "$1" 2>/dev/null; }
finished() { q "SELECT count(*) FROM runs WHERE state IN ('COMPLETE','PRUNED','FAIL')"; }
at_least() { [ "$(finished)" -ge "$1" ] 2>/dev/null; }
submit() { (cd "$d" && sbatch --parsable --ntasks=3 --overcommit -o "job.$1.out" --open-mode=append study.sbatch); }
reported() {  # the coordinator's count of interrupted trials in a job's output
    sed -n 's/.* kept, \([0-9]*\) running trial(s) recorded as FAIL (interrupted).*/\1/p' "$1" | tail -n 1
}
state_is() { [ "$(cluster_job_state "$1")" = "$2" ]; }

t0=$(date +%s)
# 1. requeue
j1=$(submit 1) || { echo "FAIL: sbatch"; exit 1; }
cluster_wait 60 at_least 6 || { fail "job $j1: 6 trials did not finish in 60 s"; cat "$d"/job.*.out; exit 1; }
scontrol requeue "$j1" || fail "scontrol requeue $j1"
cluster_wait 60 state_is "$j1" PENDING || fail "job $j1 was not requeued: $(cluster_job_state "$j1")"
i1=$(q "SELECT count(*) FROM runs WHERE state = 'FAIL' AND error = 'interrupted'")
r1=$(q "SELECT count(*) FROM runs WHERE state = 'RUNNING'")
f1=$(finished)
[ "$r1" = 0 ] && [ "$i1" -ge 1 ] && [ "$i1" = "$(reported "$d/job.1.out")" ] &&
    ok "requeue after $f1 finished: $i1 running trial(s) recorded FAIL (interrupted), as the coordinator said" ||
    fail "requeue: $i1 interrupted, $r1 running, the coordinator reported '$(reported "$d/job.1.out")'"
restarts=$(scontrol show job "$j1" | sed -n 's/.* Restarts=\([0-9]*\).*/\1/p')
[ "$restarts" = 1 ] && ok "job $j1 requeued (Restarts=1)" || fail "job $j1: Restarts=$restarts"
# Slurm holds a requeued job for BeginTime (about 2 minutes); start it now,
# but only after the first instance has left the node and the clock has passed
# the second in which its credential was revoked: slurmd refuses a credential
# issued in that same second ("Job credential revoked") and the job then FAILs
# at once (seen in CI: requeue, restart and failure all at 01:47:36).
first_gone() { ! pgrep -f "slurmstepd: \[$j1\." >/dev/null; }
cluster_wait 60 first_gone || fail "job $j1: the first instance's steps did not end in 60 s"
sleep 2
scontrol update JobId="$j1" StartTime=now || fail "scontrol update StartTime=now"

# 2. scancel, then a new sbatch of the same script
cluster_wait 120 at_least 12 || {
    fail "the requeued job did not reach 12 finished trials in 120 s ($(finished) finished, job $(cluster_job_state "$j1"))"
    cat "$d"/job.*.out; scontrol show job "$j1"; tail -n 30 "$CLUSTER_DIR/log/slurmctld.log"; exit 1; }
scancel "$j1"
cluster_job_wait "$j1" 60 || fail "job $j1 did not end after scancel"
i2=$(q "SELECT count(*) FROM runs WHERE state = 'FAIL' AND error = 'interrupted'")
r2=$(q "SELECT count(*) FROM runs WHERE state = 'RUNNING'")
n2=$(reported "$d/job.1.out")
[ "$r2" = 0 ] && [ "$((i2 - i1))" -ge 1 ] && [ "$((i2 - i1))" = "$n2" ] &&
    ok "scancel: $((i2 - i1)) more running trial(s) recorded FAIL (interrupted)" ||
    fail "scancel: $((i2 - i1)) more interrupted, $r2 running, the coordinator reported '$n2'"

# 3. a new job, killed with SIGKILL: its running trials stay RUNNING
j2=$(submit 2) || { echo "FAIL: sbatch"; exit 1; }
cluster_wait 60 at_least 18 || { fail "job $j2 did not reach 18 finished trials"; cat "$d"/job.*.out; exit 1; }
# (Slurm turns `scancel --signal=KILL` into an ordinary cancel with SIGTERM
# first, so the tasks of step 0 are SIGKILLed by pid, all at once, as a node
# that dies would lose them.)
tasks=$(scontrol listpids "$j2.0" | awk 'NR > 1 && $4 != "-" { print $1 }')
[ -n "$tasks" ] || fail "scontrol listpids $j2.0 found no tasks"
kill -KILL $tasks
cluster_job_wait "$j2" 60 || fail "job $j2 did not end after SIGKILL"
lost=$(q "SELECT count(*) FROM runs WHERE state = 'RUNNING'")
[ "$lost" -ge 1 ] && ok "SIGKILL left $lost trial(s) RUNNING" || fail "SIGKILL left $lost trials RUNNING, expected >= 1"

j3=$(submit 3) || { echo "FAIL: sbatch"; exit 1; }
cluster_job_wait "$j3" 120 || fail "job $j3 did not end"
state_is "$j3" COMPLETED && ok "job $j3 COMPLETED" || { fail "job $j3 is $(cluster_job_state "$j3")"; tail -20 "$d/job.3.out"; }
echo "requeue, scancel, kill and resume: $(( $(date +%s) - t0 )) s"

fin=$(finished)
run=$(q "SELECT count(*) FROM runs WHERE state = 'RUNNING'")
tot=$(q "SELECT count(*) FROM runs")
[ "$fin" = $n_trials ] && [ "$run" = 0 ] && [ "$tot" = $n_trials ] &&
    ok "exactly $n_trials finished trials, none running" ||
    fail "$fin finished, $run running, $tot rows; expected $n_trials, 0, $n_trials"
nums=$(q "SELECT group_concat(trial_number, ',') FROM (SELECT DISTINCT trial_number FROM runs ORDER BY 1)")
[ "$nums" = "$(seq -s, 0 $((n_trials - 1)))" ] && ok "trial numbers 0..$((n_trials - 1)) once each" ||
    fail "trial numbers: $nums"
dup=$(q "SELECT count(*) FROM (SELECT run_id, key FROM params GROUP BY 1, 2 HAVING count(*) > 1)")
np=$(q "SELECT count(*) FROM runs r WHERE (SELECT count(*) FROM params p WHERE p.run_id = r.id) != 2")
[ "$dup" = 0 ] && [ "$np" = 0 ] && ok "every trial has its 2 parameters, once" ||
    fail "$dup duplicated parameter(s), $np trial(s) without exactly 2"
dupm=$(q "SELECT count(*) FROM (SELECT run_id, key, step FROM metrics GROUP BY 1, 2, 3 HAVING count(*) > 1)")
[ "$dupm" = 0 ] && ok "no metric row twice" || fail "$dupm duplicated metric row(s)"
fi_int=$(q "SELECT count(*) FROM runs WHERE state = 'FAIL' AND error = 'interrupted'")
fi_lost=$(q "SELECT count(*) FROM runs WHERE state = 'FAIL' AND error = 'lost'")
fi_all=$(q "SELECT count(*) FROM runs WHERE state = 'FAIL'")
comp=$(q "SELECT count(*) FROM runs WHERE state = 'COMPLETE' AND value IS NOT NULL")
[ "$fi_int" = "$i2" ] && [ "$fi_lost" = "$lost" ] && [ "$fi_all" = $((i2 + lost)) ] &&
    [ "$comp" = $((n_trials - i2 - lost)) ] &&
    ok "FAIL: $fi_int interrupted + $fi_lost lost; $comp COMPLETE with a value" ||
    fail "FAIL interrupted $fi_int (expected $i2), lost $fi_lost (expected $lost), all $fi_all; COMPLETE $comp"
studies=$(q "SELECT count(*) FROM studies")
[ "$studies" = 1 ] || fail "$studies studies in the store, expected 1"

[ "$fail" -eq 0 ] || cat "$d"/job.*.out | tail -40
finish
