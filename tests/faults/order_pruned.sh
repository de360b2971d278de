#!/usr/bin/env bash
# order_pruned.sh - a pruned trial's value is its last intermediate value (one
# or two folds), not comparable with a complete trial's mean over every fold
# (issue 14, item 12). `trials --order-by value` ranks every COMPLETE trial
# before every PRUNED one, ascending and descending, shows the fold count each
# value rests on (table FOLDS, json "folds"); `best` and the dashboard's trial
# API agree.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
bin=${SEQTUNE_BIN:?}
make_tmp
srv=
at_exit '[ -n "$srv" ] && kill "$srv" 2>/dev/null'
db=$T/o.db
cat >"$T/s.json" <<'JSON'
{"name": "ord", "objective": {"command": ["sh", "-c", "read p; echo 1.5"]},
 "search": {"n_trials": 5, "sampler": {"name": "random", "seed": 3}, "pruner": "none",
   "direction": "minimize", "space": {"x": {"type": "float", "low": 0, "high": 1}}}}
JSON
for i in 0 1 2 3 4; do "$bin" ask --study ord --spec "$T/s.json" --db "$db" >/dev/null || fail=1; done
t() { "$bin" tell --study ord --db "$db" --trial "$@" >/dev/null || { echo "FAIL tell $*"; fail=1; }; }
# trial 0 COMPLETE 0.5 (3 folds), 1 PRUNED at 0.1 after 1 fold, 2 COMPLETE 0.3
# (3 folds), 3 PRUNED at 0.05 after 2 folds, 4 FAIL.
t 0 --step 0 --intermediate 0.6; t 0 --step 1 --intermediate 0.5; t 0 --step 2 --intermediate 0.4
t 0 --value 0.5
t 1 --step 0 --intermediate 0.1 --state pruned
t 2 --step 0 --intermediate 0.3; t 2 --step 1 --intermediate 0.3; t 2 --step 2 --intermediate 0.3
t 2 --value 0.3
t 3 --step 0 --intermediate 0.9; t 3 --step 1 --intermediate 0.05 --state pruned
t 4 --state fail
order() {  # trial:folds in the order `trials` gives
  "$bin" trials --study ord --db "$db" --order-by "$1" --format json | python3 -c '
import json, sys
print(" ".join("%d:%s" % (r["trial_number"], r["folds"]) for r in json.load(sys.stdin)))'
}
got=$(order value)
check "ascending: complete first, then pruned, FAIL last (got $got)" test "$got" = "2:3 0:3 3:2 1:1 4:None"
got=$(order "value desc")
check "descending: complete first too (got $got)" test "$got" = "0:3 2:3 1:1 3:2 4:None"
"$bin" trials --study ord --db "$db" --order-by value >"$T/table" 2>&1
check "the table has a FOLDS column" grep -q "VALUE FOLDS" "$T/table"
check "the table shows trial 3's 2 folds" grep -Eq "^ +4 +3 PRUNED +0\.05 +2 " "$T/table"
got=$("$bin" trials --study ord --db "$db" --order-by value --limit 1 --format json | python3 -c '
import json, sys; print(json.load(sys.stdin)[0]["trial_number"])')
check "--limit 1 gives the best complete trial (got $got)" test "$got" = 2
# The dashboard's trial API reads the same query.
port=$((20000 + RANDOM % 20000))
"$bin" serve --db "$db" --port $port >/dev/null 2>"$T/serve.err" &
srv=$!
got=
for _ in $(seq 50); do
  got=$(python3 - "$port" <<'PY' 2>/dev/null
import json, sys, urllib.request
u = "http://127.0.0.1:%s/api/studies/ord/trials?order_by=value" % sys.argv[1]
print(" ".join(str(t["number"]) for t in json.load(urllib.request.urlopen(u, timeout=5))["trials"]))
PY
) && [ -n "$got" ] && break
  sleep 0.2
done
check "dashboard: the same order (got $got)" test "$got" = "2 0 3 1 4"
finish
