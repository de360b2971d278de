#!/usr/bin/env bash
# crash_resume.sh - crash consistency of `seqtune run` (issue 9, item 3).
#
# Phase 1: a builtin-objective study (branin, 0.05 s per trial, 200 trials) is
# SIGKILLed at 20 seeded random moments and resumed with --resume each time; the
# last resume finishes. Phase 2: a tiny LSTM study on synthetic candles (40
# trials, 2 folds) is killed 5 times the same way, so kills also land in
# training, metric logging and the final model export. Checks on both stores:
# PRAGMA integrity_check is ok after every kill, exactly n_trials finished
# trials (none left RUNNING), no duplicate trial numbers, every COMPLETE trial
# has its value and parameters (LSTM: every fold's metrics), and every artifact
# file exists with the recorded size and SHA-256 (LSTM: at least the model).
# Phase 3: the -wal file truncated (to 0 and to half) or removed under a running
# study: exit 0 only over a store that reads back whole, else exit 3 saying how
# to recover.
# Needs: $SEQTUNE_BIN with `run`, sqlite3, sha256sum.
# Seeded (CRASH_SEED, default 9) so a failure replays with the same kill times.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
bin=${SEQTUNE_BIN:?SEQTUNE_BIN is not set}
seed=${CRASH_SEED:-9}
kills=${CRASH_KILLS:-20}
n_trials=200
need_cmd sqlite3
"$bin" run --help >/dev/null 2>&1 || { echo "SKIP: this seqtune has no 'run' command yet"; exit 77; }
make_tmp
db=$T/crash.db
cat >"$T/spec.json" <<JSON
{"name": "crash", "objective": {"builtin": "branin", "sleep_s": 0.05},
 "search": {"n_trials": $n_trials, "direction": "minimize",
  "sampler": {"name": "tpe", "seed": 5, "n_startup_trials": 10}, "pruner": {"name": "none"},
  "space": {"x1": {"type": "float", "low": -5, "high": 10},
            "x2": {"type": "float", "low": 0, "high": 15}}}}
JSON
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
q() { sqlite3 -batch "$db" "$1" 2>&1; }

RANDOM=$seed
# crash_study SPEC DB KILLS MAX_MS: KILLS runs, each SIGKILLed after 20..MAX_MS ms
# (startup, mid-trial, mid-write), then one resume that must finish.
crash_study() {
  local spec=$1 db=$2 n=$3 max_ms=$4 resume="" k delay_ms pid rc
  for ((k = 1; k <= n; k++)); do
    delay_ms=$((20 + RANDOM % (max_ms - 19)))
    "$bin" run "$spec" --db "$db" --quiet $resume >"$T/out" 2>"$T/err" &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -KILL "$pid" 2>/dev/null
    { wait "$pid"; } 2>/dev/null
    rc=$?
    resume="--resume"
    if [ "$rc" -ne 137 ] && [ "$rc" -ne 0 ]; then
      fail "$(basename "$db") round $k: run exited $rc before the kill"; sed 's/^/    /' "$T/err" | head -5
    fi
    if [ -f "$db" ]; then
      ic=$(sqlite3 -batch "$db" 'PRAGMA integrity_check' 2>&1)
      [ "$ic" = ok ] || fail "$(basename "$db") round $k (killed after ${delay_ms} ms): integrity_check: $ic"
    fi
    echo "$(basename "$db") round $k: killed after ${delay_ms} ms (exit $rc); finished so far:" \
      "$(sqlite3 -batch "$db" "SELECT count(*) FROM runs WHERE state != 'RUNNING'" 2>/dev/null)"
  done
  "$bin" run "$spec" --db "$db" --quiet --resume >"$T/out" 2>"$T/err"
  rc=$?
  [ "$rc" -eq 0 ] || { fail "$(basename "$db"): the final resume exited $rc"; sed 's/^/    /' "$T/err" | head -5; }
}

# check_store DB N_TRIALS N_PARAMS: the checks common to both studies.
check_store() {
  db=$1
  local n=$2 np=$3
  ic=$(q 'PRAGMA integrity_check'); [ "$ic" = ok ] || fail "$db: final integrity_check: $ic"
  finished=$(q "SELECT count(*) FROM runs WHERE state != 'RUNNING'")
  running=$(q "SELECT count(*) FROM runs WHERE state = 'RUNNING'")
  [ "$finished" = "$n" ] || fail "$(basename "$db"): finished trials: $finished, expected $n"
  [ "$running" = 0 ] || fail "$(basename "$db"): $running trial(s) still RUNNING"
  dups=$(q "SELECT count(*) FROM (SELECT study_id, trial_number FROM runs GROUP BY 1, 2 HAVING count(*) > 1)")
  [ "$dups" = 0 ] || fail "$(basename "$db"): $dups duplicate trial number(s)"
  incomplete=$(q "SELECT count(*) FROM runs r WHERE r.state = 'COMPLETE' AND (r.value IS NULL OR
    (SELECT count(*) FROM params p WHERE p.run_id = r.id) != $np)")
  [ "$incomplete" = 0 ] || fail "$(basename "$db"): $incomplete COMPLETE trial(s) without value or all params"
  n_complete=$(q "SELECT count(*) FROM runs WHERE state = 'COMPLETE'")
  # artifacts: each recorded file exists under <db>.artifacts with its size and sha256
  n_art=0
  while IFS='|' read -r path bytes sum; do
    [ -z "$path" ] && continue
    n_art=$((n_art + 1))
    f="$db.artifacts/$path"
    if [ ! -f "$f" ]; then fail "artifact $path is missing"; continue; fi
    [ "$(stat -c %s "$f")" = "$bytes" ] || fail "artifact $path: $(stat -c %s "$f") bytes, recorded $bytes"
    [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$sum" ] || fail "artifact $path: sha256 differs from the store"
  done < <(q "SELECT path, bytes, sha256 FROM artifacts")
  echo "$(basename "$db"): $finished finished trials ($n_complete COMPLETE), $n_art artifact(s) checked"
}

crash_study "$T/spec.json" "$db" "$kills" 600
check_store "$db" "$n_trials" 2
[ "${n_complete:-0}" -ge $((n_trials - kills)) ] || fail "only $n_complete COMPLETE branin trials"

# phase 2: the LSTM trainer, its fold metrics and the model artifact
"$bin" synth -o "$T/candles.csv" --bars 1500 --seed 5 >/dev/null || fail "synth failed"
cat >"$T/lstm.json" <<JSON
{"name": "crash-lstm", "data": {"path": "candles.csv"}, "features": ["log_return", "rsi:14"],
 "validation": {"folds": 2, "val_fraction": 0.2, "holdout_fraction": 0.15},
 "training": {"max_epochs": 3, "patience": 2},
 "search": {"n_trials": 40, "sampler": {"name": "random", "seed": 2}, "pruner": {"name": "none"},
  "space": {"units": {"type": "int", "low": 4, "high": 8},
            "seq_len": {"type": "int", "low": 8, "high": 12}}}}
JSON
crash_study "$T/lstm.json" "$T/lstm.db" 5 400
check_store "$T/lstm.db" 40 2
folds_missing=$(q "SELECT count(*) FROM runs r WHERE r.state = 'COMPLETE' AND
  (SELECT count(DISTINCT step) FROM metrics m WHERE m.run_id = r.id AND m.key = 'fold.n_test') != 2")
[ "$folds_missing" = 0 ] || fail "lstm: $folds_missing COMPLETE trial(s) without both folds' metrics"
[ "$n_art" -ge 1 ] || fail "lstm: no artifact recorded (expected the model)"
# phase 3 (issue 14, item 3): the -wal file truncated or removed under a running
# study. The run must not report success over a store it cannot read back:
# either it exits 0 and the store passes integrity_check with every trial, or it
# exits 3 saying that the store cannot be read back and how to recover.
cat >"$T/wal.json" <<JSON
{"name": "wal", "objective": {"builtin": "branin", "sleep_s": 0.03},
 "search": {"n_trials": 60, "sampler": {"name": "random", "seed": 1}, "pruner": {"name": "none"},
  "space": {"x1": {"type": "float", "low": -5, "high": 10}, "x2": {"type": "float", "low": 0, "high": 15}}}}
JSON
for how in truncate remove truncate-half; do
  wdb=$T/wal-$how.db
  "$bin" run "$T/wal.json" --db "$wdb" --quiet >/dev/null 2>"$T/wal.err" &
  pid=$!
  for ((i = 0; i < 100; i++)); do [ -s "$wdb-wal" ] && break; sleep 0.02; done
  sleep 0.5
  case $how in
    truncate) truncate -s 0 "$wdb-wal" ;;
    remove) rm -f "$wdb-wal" ;;
    truncate-half) truncate -s $(( $(stat -c %s "$wdb-wal") / 2 )) "$wdb-wal" ;;
  esac
  wait "$pid"; rc=$?
  ic=$(sqlite3 -batch "$wdb" 'PRAGMA integrity_check' 2>&1)
  nf=$(sqlite3 -batch "$wdb" "SELECT count(*) FROM runs WHERE state != 'RUNNING'" 2>&1)
  echo "wal $how: exit $rc, integrity_check '$ic', finished '$nf'"
  if [ "$rc" -eq 0 ]; then
    [ "$ic" = ok ] && [ "$nf" = 60 ] || fail "wal $how: exit 0 over a store that does not read back ($ic, $nf trials)"
  elif [ "$rc" -eq 3 ]; then
    grep -q "cannot be read back.*Recover from a backup" "$T/wal.err" ||
      fail "wal $how: exit 3 without saying what happened and how to recover: $(head -c 300 "$T/wal.err")"
  else
    fail "wal $how: exit $rc (expected 0 with an intact store, or 3)"
  fi
done
[ "$failures" -eq 0 ] || { echo "$failures check(s) failed (CRASH_SEED=$seed)"; exit 1; }
echo "crash consistency ok"
