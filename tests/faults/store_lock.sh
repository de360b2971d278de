#!/usr/bin/env bash
# store_lock.sh - a store locked by another program, and the one-coordinator
# lock through a symlink (issue 14, item 5):
#   a program holds an EXCLUSIVE transaction on the store: `seqtune run` says
#   within about a second that it waits and for what, gives up after
#   SEQTUNE_LOCK_WAIT_S (exit 2, "gave up after waiting 3 s"), and a SIGTERM
#   while it waits ends it at once with 130;
#   a study running on real.db refuses a second coordinator reached through a
#   symlink link.db -> real.db.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
bin=${SEQTUNE_BIN:?}
need_cmd python3
make_tmp
holder=""; first=""
at_exit '[ -n "$holder" ] && kill $holder 2>/dev/null'
at_exit '[ -n "$first" ] && kill $first 2>/dev/null'
spec() {  # spec NAME N SLEEP
  cat >"$T/$1.json" <<JSON
{"name": "$1", "objective": {"builtin": "branin", "sleep_s": $3},
 "search": {"n_trials": $2, "sampler": {"name": "random", "seed": 1}, "pruner": "none",
   "space": {"x1": {"type": "float", "low": -5, "high": 10}, "x2": {"type": "float", "low": 0, "high": 15}}}}
JSON
}
now() { date +%s.%N; }
spec a 2 0; spec b 2 0; spec c 2 0
"$bin" run "$T/a.json" --db "$T/s.db" --quiet >/dev/null 2>&1 || { echo "FAIL first study"; exit 1; }

python3 - "$T/s.db" "$T/locked" <<'PY' &
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
con.execute("INSERT INTO study_tags SELECT id, 'held', 'x' FROM studies LIMIT 0")
open(sys.argv[2], "w").write("1")
time.sleep(60)
PY
holder=$!
for ((i = 0; i < 100; i++)); do [ -f "$T/locked" ] && break; sleep 0.05; done
check "the other program holds the lock" test -f "$T/locked"

t0=$(now)
SEQTUNE_LOCK_WAIT_S=3 "$bin" run "$T/b.json" --db "$T/s.db" --quiet >/dev/null 2>"$T/b.err" & pid=$!
seen=""
while kill -0 $pid 2>/dev/null; do
  [ -z "$seen" ] && grep -q "waiting for a lock" "$T/b.err" && seen=$(now)
  sleep 0.05
done
wait $pid; rc=$?
t1=$(now)
[ -z "$seen" ] && grep -q "waiting for a lock" "$T/b.err" && seen=$t1
cat "$T/b.err"
check "it says that it waits" grep -q "waiting for a lock held by another program" "$T/b.err"
check "... within 1.5 s ($(echo "${seen:-99} - $t0" | bc) s)" test "$(echo "${seen:-99} - $t0 < 1.5" | bc)" = 1
check "it gives up after SEQTUNE_LOCK_WAIT_S=3: exit 2 (got $rc)" test $rc -eq 2
check "... saying so" grep -q "gave up after waiting 3 s" "$T/b.err"
check "... after 3-6 s ($(echo "$t1 - $t0" | bc) s)" test "$(echo "$t1 - $t0 >= 3 && $t1 - $t0 < 6" | bc)" = 1

"$bin" run "$T/c.json" --db "$T/s.db" --quiet >/dev/null 2>"$T/c.err" & pid=$!
sleep 1.5
t0=$(now)
kill -TERM $pid
wait $pid; rc=$?
t1=$(now)
check "SIGTERM while waiting: exit 130 (got $rc)" test $rc -eq 130
check "... within 1 s ($(echo "$t1 - $t0" | bc) s)" test "$(echo "$t1 - $t0 < 1" | bc)" = 1
kill $holder 2>/dev/null; wait $holder 2>/dev/null; holder=""

# one coordinator per study, through a symlink too
spec slow 30 0.2
ln -s real.db "$T/link.db"
"$bin" run "$T/slow.json" --db "$T/real.db" --quiet >/dev/null 2>&1 & first=$!
for ((i = 0; i < 100; i++)); do [ -f "$T/real.db.artifacts/slow.lock" ] && break; sleep 0.05; done
sleep 0.5
"$bin" run "$T/slow.json" --db "$T/link.db" --quiet --resume >/dev/null 2>"$T/link.err"; rc=$?
check "a second coordinator through a symlink is refused: exit 2 (got $rc)" test $rc -eq 2
check "... as the study being run by another process" grep -q "being run by another seqtune process" "$T/link.err"
kill $first 2>/dev/null; wait $first 2>/dev/null; first=""
finish
