#!/usr/bin/env bash
# store_readonly.sh - a store on a read-only medium (issue 14, item 5): in a
# private mount namespace a store is copied to a tmpfs that is then remounted
# read-only; studies, trials, report, export and best read it (exit 0, the
# right trial count) and nothing is written there. Needs unshare and mount
# (root or user namespaces); SKIP otherwise.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
bin=${SEQTUNE_BIN:?}
need_cmd unshare
make_tmp
mkdir "$T/ro"
cat >"$T/s.json" <<'JSON'
{"name": "ro", "objective": {"builtin": "branin"},
 "search": {"n_trials": 4, "sampler": {"name": "random", "seed": 1}, "pruner": "none",
   "space": {"x1": {"type": "float", "low": -5, "high": 10}, "x2": {"type": "float", "low": 0, "high": 15}}}}
JSON
"$bin" run "$T/s.json" --db "$T/s.db" --quiet >/dev/null 2>&1 || { echo "FAIL run"; exit 1; }
unshare -m true 2>/dev/null || { echo "SKIP: no mount namespace here"; exit 77; }
export bin T lib_sh="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"
unshare -m bash -c '
  mount -t tmpfs none "$T/ro" 2>/dev/null || exit 77
  cp "$T/s.db" "$T/ro/" && mount -o remount,ro "$T/ro" || exit 77
  touch "$T/ro/x" 2>/dev/null && { echo "FAIL the folder is writable"; exit 1; }
  . "$lib_sh" || exit 1
  db=$T/ro/s.db
  out=$("$bin" studies --db "$db" --format csv 2>"$T/e1"); rc=$?
  check "studies on a read-only medium: exit 0 (got $rc: $(head -c 200 "$T/e1"))" test $rc -eq 0
  check "... lists the study" grep -q "^1,ro,minimize,COMPLETE," <<<"$out"
  n=$("$bin" trials --db "$db" --study ro --format csv 2>/dev/null | tail -n +2 | wc -l)
  check "trials: 4 rows (got $n)" test "$n" -eq 4
  "$bin" report --db "$db" --study ro -o "$T/r.html" 2>/dev/null; rc=$?
  check "report: exit 0 (got $rc)" test $rc -eq 0 -a -s "$T/r.html"
  "$bin" export --db "$db" --study ro --format json -o "$T/e.json" 2>/dev/null; rc=$?
  check "export: exit 0 (got $rc)" test $rc -eq 0 -a -s "$T/e.json"
  "$bin" best --db "$db" --study ro >/dev/null 2>&1; rc=$?
  check "best: exit 0 (got $rc)" test $rc -eq 0
  check "nothing was written beside the store" test "$(ls "$T/ro")" = s.db
  finish'
