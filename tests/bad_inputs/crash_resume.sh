#!/usr/bin/env bash
# crash_resume.sh - crash consistency of `seqtune run` (issue 9, item 3).
#
# Runs a small builtin-objective study (branin, 0.05 s per trial), SIGKILLs the
# run at 20 seeded random moments, resumes with --resume each time, lets the
# last resume finish, and checks the store: PRAGMA integrity_check is ok after
# every kill, exactly n_trials finished trials (none left RUNNING), no
# duplicate trial numbers, every COMPLETE trial has its value and both
# parameters, and every artifact file exists with the recorded size and
# SHA-256. Needs: $SEQTUNE_BIN with `run`, sqlite3, sha256sum.
# Seeded (CRASH_SEED, default 9) so a failure replays with the same kill times.
set -u
bin=${SEQTUNE_BIN:?SEQTUNE_BIN is not set}
seed=${CRASH_SEED:-9}
kills=${CRASH_KILLS:-20}
n_trials=200
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 is not installed"; exit 77; }
"$bin" run --help >/dev/null 2>&1 || { echo "SKIP: this seqtune has no 'run' command yet"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/crash.db
cat >"$tmp/spec.json" <<JSON
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
resume=""
for ((k = 1; k <= kills; k++)); do
  # a kill moment between 20 ms and 600 ms after start (startup, mid-trial, mid-write)
  delay_ms=$((20 + RANDOM % 581))
  "$bin" run "$tmp/spec.json" --db "$db" --quiet $resume >"$tmp/out.$k" 2>"$tmp/err.$k" &
  pid=$!
  sleep "$(printf '0.%03d' "$delay_ms")"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  resume="--resume"
  if [ "$rc" -ne 137 ] && [ "$rc" -ne 0 ]; then
    fail "round $k: run exited $rc before the kill"; sed 's/^/    /' "$tmp/err.$k" | head -5
  fi
  if [ -f "$db" ]; then
    ic=$(q 'PRAGMA integrity_check')
    [ "$ic" = ok ] || fail "round $k (killed after ${delay_ms} ms): integrity_check: $ic"
  fi
  echo "round $k: killed after ${delay_ms} ms (exit $rc); finished so far: $(q "SELECT count(*) FROM runs WHERE state != 'RUNNING'" 2>/dev/null)"
done
"$bin" run "$tmp/spec.json" --db "$db" --quiet --resume >"$tmp/out.final" 2>"$tmp/err.final"
rc=$?
[ "$rc" -eq 0 ] || { fail "the final resume exited $rc"; sed 's/^/    /' "$tmp/err.final" | head -5; }

ic=$(q 'PRAGMA integrity_check'); [ "$ic" = ok ] || fail "final integrity_check: $ic"
finished=$(q "SELECT count(*) FROM runs WHERE state != 'RUNNING'")
running=$(q "SELECT count(*) FROM runs WHERE state = 'RUNNING'")
[ "$finished" = "$n_trials" ] || fail "finished trials: $finished, expected $n_trials"
[ "$running" = 0 ] || fail "$running trial(s) still RUNNING"
dups=$(q "SELECT count(*) FROM (SELECT study_id, trial_number FROM runs GROUP BY 1, 2 HAVING count(*) > 1)")
[ "$dups" = 0 ] || fail "$dups duplicate trial number(s)"
incomplete=$(q "SELECT count(*) FROM runs r WHERE r.state = 'COMPLETE' AND (r.value IS NULL OR
  (SELECT count(*) FROM params p WHERE p.run_id = r.id AND p.key IN ('x1', 'x2')) != 2)")
[ "$incomplete" = 0 ] || fail "$incomplete COMPLETE trial(s) without value or both params"
n_complete=$(q "SELECT count(*) FROM runs WHERE state = 'COMPLETE'")
[ "${n_complete:-0}" -ge $((n_trials - kills)) ] || fail "only $n_complete COMPLETE trials"
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
echo "$kills kills, $finished finished trials ($n_complete COMPLETE), $n_art artifact(s) checked"
[ "$failures" -eq 0 ] || { echo "$failures check(s) failed (CRASH_SEED=$seed)"; exit 1; }
echo "crash consistency ok"
