#!/usr/bin/env bash
# readme_batch.sh - the README's Slurm batch script, as written, on a real
# single-node Slurm cluster (cluster.sh):
#   1. `sbatch` of the script (srun --mpi=pmix, 1 coordinator + 2 workers) runs a
#      small LSTM study on synthetic candles: the job COMPLETES and the store has
#      exactly n_trials finished trials, numbered 0..n-1 once each, trained on
#      both workers, a holdout result and the model file with its stored SHA-256;
#   2. the same script with the README's `mpirun` line instead of the srun line:
#      the same assertions on a second study;
#   3. `srun` without --mpi=pmix (Slurm's default MpiDefault=none): every task
#      exits 2 with the message naming --mpi=pmix, and no study row is written.
# The script is byte for byte the README's: the test puts build/seqtune (a link
# to $SEQTUNE_BIN) and experiments/specs/btc_1h.json (a small spec) where it
# looks. Command-line options override #SBATCH lines: --ntasks=3 --overcommit
# (this node may have fewer cores than ranks).
bin=${SEQTUNE_BIN:?SEQTUNE_BIN is not set}
src=${SEQTUNE_SRC:?SEQTUNE_SRC is not set}
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
. "$src/tests/cluster/cluster.sh"
need_cmd sqlite3
cluster_start || exit $?
mpi_root_env
n_trials=4

# job_dir NAME: a folder laid out as the README's script expects.
job_dir() {
    local d=$CLUSTER_DIR/work/$1
    mkdir -p "$d/build" "$d/experiments/specs"
    ln -s "$bin" "$d/build/seqtune"
    cp "$CLUSTER_DIR/work/candles.csv" "$d/candles.csv"
    cat >"$d/experiments/specs/btc_1h.json" <<JSON
{"name": "$1", "data": {"path": "../../candles.csv"}, "features": ["log_return", "rsi:14"],
 "validation": {"folds": 2, "val_fraction": 0.2, "holdout_fraction": 0.15},
 "training": {"max_epochs": 2, "patience": 2},
 "search": {"n_trials": $n_trials, "sampler": {"name": "tpe", "seed": 3, "n_startup_trials": 3},
  "pruner": {"name": "none"},
  "space": {"units": {"type": "int", "low": 4, "high": 8},
            "seq_len": {"type": "int", "low": 8, "high": 12}}}}
JSON
    echo "$d"
}

# submit DIR SCRIPT: sbatch from DIR, waits for the end; prints the job id.
submit() {
    local jid
    jid=$(cd "$1" && sbatch --parsable --ntasks=3 --overcommit -o job.out "$2") || return 1
    cluster_job_wait "$jid" 120 || { echo "job $jid did not end in 120 s" >&2; return 1; }
    echo "$jid"
}

# check_study DIR NAME JOBID: the store assertions of parts 1 and 2.
check_study() {
    local d=$1 name=$2 jid=$3 db=$1/btc.db state q
    state=$(cluster_job_state "$jid")
    if [ "$state" = COMPLETED ]; then ok "$name: job $jid COMPLETED"
    else fail "$name: job $jid is $state"; sed 's/^/    /' "$d/job.out" | tail -20; fi
    q() { sqlite3 -batch "$db" "$1" 2>&1; }
    local sid; sid=$(q "SELECT id FROM studies WHERE name = '$name'")
    [ -n "$sid" ] || { fail "$name: no study in $db"; return; }
    local fin run tot nums workers hold model
    fin=$(q "SELECT count(*) FROM runs WHERE study_id = $sid AND state IN ('COMPLETE','PRUNED','FAIL')")
    run=$(q "SELECT count(*) FROM runs WHERE study_id = $sid AND state = 'RUNNING'")
    tot=$(q "SELECT count(*) FROM runs WHERE study_id = $sid")
    nums=$(q "SELECT group_concat(trial_number, ',') FROM (SELECT DISTINCT trial_number FROM runs
              WHERE study_id = $sid ORDER BY trial_number)")
    workers=$(q "SELECT group_concat(worker, ',') FROM (SELECT DISTINCT worker FROM runs
                 WHERE study_id = $sid ORDER BY worker)")
    [ "$fin" = "$n_trials" ] && [ "$run" = 0 ] && [ "$tot" = "$n_trials" ] &&
        ok "$name: exactly $n_trials finished trials, none running" ||
        fail "$name: $fin finished, $run running, $tot rows; expected $n_trials, 0, $n_trials"
    [ "$nums" = "$(seq -s, 0 $((n_trials - 1)))" ] && ok "$name: trial numbers 0..$((n_trials - 1)) once each" ||
        fail "$name: trial numbers $nums"
    [ "$workers" = "1,2" ] && ok "$name: trials ran on workers 1 and 2" || fail "$name: workers $workers, expected 1,2"
    "$bin" best --study "$name" --db "$db" --format json >"$d/best.json" 2>"$d/best.err"
    hold=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["holdout"]["log_loss"] > 0)' \
        "$d/best.json" 2>&1)
    [ "$hold" = True ] && ok "$name: holdout result stored" || fail "$name: no holdout result ($hold)"
    model=$(q "SELECT path || ' ' || sha256 FROM artifacts WHERE study_id = $sid AND kind = 'model'")
    if [ -n "$model" ] && [ "$(sha256sum <"$db.artifacts/${model% *}" | cut -d' ' -f1)" = "${model#* }" ]; then
        ok "$name: the model file, with the stored SHA-256"
    else
        fail "$name: model artifact '$model' missing or with another SHA-256"
    fi
}

"$bin" synth -o "$CLUSTER_DIR/work/candles.csv" --bars 1000 --seed 5 >/dev/null || { echo "FAIL: synth"; exit 1; }
script=$(cluster_readme_block "#SBATCH --job-name=seqtune-btc-1h") || exit 1
grep -q '^srun --mpi=pmix ' <<<"$script" || fail "the README's batch script does not launch with srun --mpi=pmix"

# 1. the script as written
d=$(job_dir readme-srun)
printf '%s\n' "$script" >"$d/study.sbatch"
t0=$(date +%s)
jid=$(submit "$d" study.sbatch) || fail "srun job did not end"
echo "srun job: $(( $(date +%s) - t0 )) s"
check_study "$d" readme-srun "$jid"

# 2. the README's mpirun line in place of the srun line
mpirun_line=$(cluster_readme_block "mpirun ./build/seqtune run") || exit 1
d=$(job_dir readme-mpirun)
printf '%s\n' "$script" | MPIRUN_LINE=$mpirun_line awk '/^srun --mpi=pmix / { print ENVIRON["MPIRUN_LINE"]; next } { print }' \
    >"$d/study.sbatch"
grep -q '^mpirun ' "$d/study.sbatch" || fail "could not put the mpirun line into the script"
t0=$(date +%s)
jid=$(submit "$d" study.sbatch) || fail "mpirun job did not end"
echo "mpirun job: $(( $(date +%s) - t0 )) s"
check_study "$d" readme-mpirun "$jid"

# 3. srun without a PMI plugin: refused before the store is touched
d=$(job_dir readme-nopmi)
printf '%s\n' "$script" | sed 's/^srun --mpi=pmix /srun /' >"$d/study.sbatch"
jid=$(submit "$d" study.sbatch) || fail "no-PMI job did not end"
code=$(scontrol show job "$jid" | sed -n 's/.* ExitCode=\([0-9]*\):.*/\1/p')
[ "$code" = 2 ] && ok "srun without PMI: job exit code 2" || fail "srun without PMI: job exit code '$code', expected 2"
n_msg=$(grep -c 'srun started 3 tasks but MPI sees a world of 1 (no PMI): launch with `srun --mpi=pmix`' "$d/job.out")
[ "$n_msg" = 1 ] && ok "srun without PMI: the message once" || {
    fail "srun without PMI: the message $n_msg times"; sed 's/^/    /' "$d/job.out" | head; }
rows=$(sqlite3 -batch "$d/btc.db" "SELECT count(*) FROM studies" 2>/dev/null)
[ "${rows:-0}" = 0 ] && ok "srun without PMI: no study written" || fail "srun without PMI: $rows study row(s)"

finish
