#!/usr/bin/env bash
# grid_exhausted.sh - the grid sampler stops when its grid is exhausted (issue
# 14, item 12): 4 grid points and n_trials 10 give exactly 4 trials with 4
# distinct points, a message that says so, and exit 0, in-process and under
# mpirun -np 3.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
bin=${SEQTUNE_BIN:?}
need_cmd sqlite3
mpi_root_env
make_tmp
cat >"$T/g.json" <<'JSON'
{"name": "grid", "objective": {"command": ["sh", "-c", "read p; echo 1.5"]},
 "search": {"n_trials": 10, "sampler": {"name": "grid", "seed": 3}, "pruner": "none",
   "space": {"x": {"type": "int", "low": 0, "high": 1}, "c": {"type": "categorical", "choices": ["a", "b"]}}}}
JSON
for how in local mpi; do
  db=$T/$how.db
  if [ $how = local ]; then "$bin" run "$T/g.json" --db "$db" >/dev/null 2>"$T/$how.err"; rc=$?
  elif command -v mpirun >/dev/null; then
    mpirun -np 3 --oversubscribe "$bin" run "$T/g.json" --db "$db" >/dev/null 2>"$T/$how.err"; rc=$?
  else echo "SKIP mpi part: no mpirun"; continue; fi
  check "$how: exit 0 (got $rc)" test $rc -eq 0
  n=$(sqlite3 -batch "$db" "SELECT count(*) FROM runs")
  d=$(sqlite3 -batch "$db" "SELECT count(DISTINCT g) FROM (SELECT group_concat(p.key || '=' || p.value) g FROM runs r JOIN params p ON p.run_id = r.id GROUP BY r.id)")
  check "$how: 4 trials (got $n)" test "$n" = 4
  check "$how: 4 distinct points (got $d)" test "$d" = 4
  check "$how: it says the grid is exhausted" grep -q "all 4 grid points have been tried" "$T/$how.err"
done
finish
