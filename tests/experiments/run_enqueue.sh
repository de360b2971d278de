#!/usr/bin/env bash
# run_enqueue.sh - search.enqueue (issue 18, item 3): the enqueued configurations
# are trials 0, 1, 2 in order with exactly the given values (a parameter left
# out is sampled inside its bounds), each tagged enqueued=I once; a study cut
# after 2 trials and resumed runs configuration 2 and no configuration again;
# under `mpirun -np 3` the same; in reproducible mode at 1 and 3 ranks the stores
# match; the report's trial table shows the tags; `validate` refuses an unknown
# parameter, a value out of bounds and a value that is not a choice, naming each.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?}
need_cmd mpirun sqlite3
mpi_root_env
make_tmp
# spec FILE EXTRA_SEARCH_KEYS ENQUEUE
spec() {
  cat > "$1" <<SPEC
{"name": "eq",
 "objective": {"builtin": "branin", "sleep_s": 0.01},
 "search": {"n_trials": 8, "sampler": {"name": "tpe", "seed": 5, "n_startup_trials": 3}, $2
   "metric": "value", "direction": "minimize",
   "enqueue": $3,
   "space": {"x1": {"type": "float", "low": -5, "high": 10},
             "x2": {"type": "float", "low": 0, "high": 15, "step": 0.5}}}}
SPEC
}
EQ='[{"x1": 3.14159, "x2": 2.5}, {"x1": -3}, {"x2": 14.5, "x1": 9.42478}]'
spec "$T/e.json" "" "$EQ"
q() { sqlite3 "$1" "$2"; }
has() { [[ " $1" == *" $2"* ]]; }   # has ROWS ROW-PREFIX
# rows "number|enqueued tag|x1|x2" of the first 4 trials
rows() {
  q "$1" "select r.trial_number, coalesce((select value from tags t where t.run_id = r.id and t.key = 'enqueued'), '-'),
            (select value from params p where p.run_id = r.id and p.key = 'x1'),
            (select value from params p where p.run_id = r.id and p.key = 'x2')
          from runs r where r.trial_number < 4 order by 1" | tr '\n' ' '
}
for mode in serial mpi; do
  db="$T/$mode.db"
  if [ $mode = serial ]; then
    "$BIN" run "$T/e.json" --db "$db" --quiet --trials 2 && "$BIN" run "$T/e.json" --db "$db" --quiet --resume
  else
    mpirun -np 3 --oversubscribe "$BIN" run "$T/e.json" --db "$db" --quiet --trials 2 &&
      mpirun -np 3 --oversubscribe "$BIN" run "$T/e.json" --db "$db" --quiet --resume
  fi || { echo "FAIL $mode: run failed"; fail=1; }
  r=$(rows "$db")
  echo "  $mode: $r"
  check "$mode: trial 0 is configuration 0 exactly" has "$r" "0|0|3.1415899999999999|2.5 "
  check "$mode: trial 1 is configuration 1, x2 sampled" has "$r" "1|1|-3|"
  check "$mode: trial 2 is configuration 2 (run after the resume)" has "$r" "2|2|9.4247800000000002|14.5 "
  check "$mode: trial 3 is the sampler's" has "$r" "3|-|"
  x2=$(q "$db" "select p.num from runs r join params p on p.run_id = r.id join tags t on t.run_id = r.id where t.key = 'enqueued' and t.value = '1' and p.key = 'x2'")
  check "$mode: the sampled x2 ($x2) is in [0, 15] on the 0.5 grid" \
    python3 -c "import sys; v = float('$x2'); sys.exit(not (0 <= v <= 15 and (2 * v) == int(2 * v)))"
  check "$mode: 8 trials, 3 enqueued tags, each once" \
    [ "$(q "$db" "select count(*), count(distinct t.value) from runs r left join tags t on t.run_id = r.id and t.key = 'enqueued'")" = "8|3" ]
done
"$BIN" report --study eq -o "$T/r.html" --db "$T/serial.db" 2>/dev/null
check "the report's trial table shows enqueued=0..2" \
  [ "$(grep -o 'enqueued=[0-9]' "$T/r.html" | sort -u | tr '\n' ' ')" = "enqueued=0 enqueued=1 enqueued=2 " ]

spec "$T/rp.json" '"reproducible": true, "reproducible_lag": 2,' "$EQ"
"$BIN" run "$T/rp.json" --db "$T/rp1.db" --quiet 2>/dev/null
mpirun -np 3 --oversubscribe "$BIN" run "$T/rp.json" --db "$T/rp3.db" --quiet 2>/dev/null
d() { q "$1" "select r.trial_number, hex(r.value), p.key, hex(p.num) from runs r join params p on p.run_id = r.id order by 1, 3"; }
check "reproducible with enqueue: np 1 and np 3 stores match" [ "$(d "$T/rp1.db")" = "$(d "$T/rp3.db")" ]
check "reproducible with enqueue: 8 trials" [ "$(q "$T/rp1.db" "select count(*) from runs")" = 8 ]

refused() { [ "$1" = 2 ] && [[ "$2" == *"$3"* ]]; }   # refused RC OUTPUT TEXT: exit 2 saying TEXT
bad() {   # bad WHAT ENQUEUE EXPECTED
  spec "$T/bad.json" "" "$2"
  out=$("$BIN" validate "$T/bad.json" 2>&1); rc=$?
  check "validate refuses $1 (exit 2, '$3')" refused "$rc" "$out" "$3"
}
bad "an unknown parameter" '[{"x3": 1}]' "search.enqueue[0].x3: not a parameter of search.space"
bad "a value out of bounds" '[{"x1": 0}, {"x1": 11}]' "search.enqueue[1].x1: expected a number in [-5, 10], got 11"
bad "a value off the step" '[{"x2": 0.25}]' "search.enqueue[0].x2: expected a number in [0, 15] on its step"
bad "a non-object" '[3]' "search.enqueue[0]: expected an object"
finish
