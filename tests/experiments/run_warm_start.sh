#!/usr/bin/env bash
# run_warm_start.sh - search.warm_start (issue 18, item 3): over 10 seeds, a TPE
# study of 10 trials on branin that warm-starts from a 30-trial study reaches a
# lower mean regret (best - 0.397887) than the same study cold; the warm study's
# own trials are numbered 0..9, there are 10 of them and its best is the best of
# its own values (the history is not its trials); a source trial outside the new
# bounds is dropped and counted in the study tag warm_start, which the report
# shows; with reproducible on, 1 and 3 ranks give the same warm study; an
# unknown study (leaving no study behind) and the study itself are refused (exit
# 2); `validate` refuses a
# warm_start without a study name.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?}
need_cmd mpirun sqlite3
mpi_root_env
make_tmp
q() { sqlite3 "$T/w.db" "$1"; }
# mk NAME N_TRIALS SEED EXTRA_SEARCH_KEYS X2_HIGH
mk() {
  cat > "$T/$1.json" <<SPEC
{"name": "$1", "objective": {"builtin": "branin"},
 "search": {"n_trials": $2, "sampler": {"name": "tpe", "seed": $3}, "pruner": {"name": "none"},
   "metric": "value", "direction": "minimize", $4
   "space": {"x1": {"type": "float", "low": -5, "high": 10},
             "x2": {"type": "float", "low": 0, "high": $5}}}}
SPEC
}
refused() { [ "$1" = 2 ] && [[ "$2" == *"$3"* ]]; }   # refused RC OUTPUT TEXT: exit 2 saying TEXT
same_trials() { [ -n "$1" ] && [ "$1" = "$2" ]; }     # same_trials DUMP1 DUMP2: equal, not empty
best() { q "select min(r.value) from runs r join studies s on s.id = r.study_id where s.name = '$1' and r.state = 'COMPLETE'"; }
warm=""; cold=""
for seed in 1 2 3 4 5 6 7 8 9 10; do
  mk "src$seed" 30 $((100 + seed)) "" 15
  mk "warm$seed" 10 "$seed" "\"warm_start\": {\"study\": \"src$seed\"}," 12
  mk "cold$seed" 10 "$seed" "" 12
  for s in "src$seed" "warm$seed" "cold$seed"; do
    "$BIN" run "$T/$s.json" --db "$T/w.db" --quiet 2>>"$T/err" || { echo "FAIL run $s"; fail=1; }
  done
  warm="$warm $(best "warm$seed")"; cold="$cold $(best "cold$seed")"
done
read -r mw mc < <(python3 -c "
import sys
w = [float(x) - 0.39788735772973816 for x in '$warm'.split()]
c = [float(x) - 0.39788735772973816 for x in '$cold'.split()]
print('%.6g %.6g' % (sum(w) / len(w), sum(c) / len(c)))")
echo "  mean regret over 10 seeds at 10 trials: warm $mw, cold $mc"
check "warm start beats cold (mean regret $mw < $mc)" python3 -c "import sys; sys.exit(not ($mw < $mc))"
check "the warm study has its own 10 trials, numbered 0..9" \
  [ "$(q "select count(*), min(trial_number), max(trial_number) from runs r join studies s on s.id = r.study_id where s.name = 'warm1'")" = "10|0|9" ]
bw=$("$BIN" best --study warm1 --db "$T/w.db" --format json 2>/dev/null |
     python3 -c "import json, sys; print(repr(float(json.load(sys.stdin)['best_value'])))")
check "best is the best of its own trials ($bw)" \
  [ "$(q "select min(r.value) = $bw from runs r join studies s on s.id = r.study_id where s.name = 'warm1' and r.state = 'COMPLETE'")" = 1 ]
dropped=$(q "select count(*) from runs r join studies s on s.id = r.study_id join params p on p.run_id = r.id
             where s.name = 'src1' and p.key = 'x2' and p.num > 12")
tag=$(q "select t.value from study_tags t join studies s on s.id = t.study_id where s.name = 'warm1' and t.key = 'warm_start'")
check "the tag counts $((30 - dropped)) used and $dropped dropped ($tag)" \
  [ "$tag" = "src1: $((30 - dropped)) finished trial(s) as history, $dropped dropped (a parameter missing or outside this space)" ]
"$BIN" report --study warm1 -o "$T/r.html" --db "$T/w.db" 2>/dev/null
check "the report shows the warm start" grep -q "Warm start</th><td>src1: " "$T/r.html"

mk rp 12 4 '"warm_start": {"study": "src1"}, "reproducible": true, "reproducible_lag": 2,' 12
sed 's/"rp"/"rp3"/' "$T/rp.json" > "$T/rp3.json"
"$BIN" run "$T/rp.json" --db "$T/w.db" --quiet 2>/dev/null
mpirun -np 3 --oversubscribe "$BIN" run "$T/rp3.json" --db "$T/w.db" --quiet 2>/dev/null
d() { q "select r.trial_number, hex(r.value), p.key, hex(p.num) from runs r join studies s on s.id = r.study_id join params p on p.run_id = r.id where s.name = '$1' order by 1, 3"; }
check "reproducible warm start: np 1 and np 3 give the same trials" same_trials "$(d rp)" "$(d rp3)"

mk nosuch 5 1 '"warm_start": {"study": "nosuch-study"},' 12
out=$("$BIN" run "$T/nosuch.json" --db "$T/w.db" --quiet 2>&1); rc=$?
check "an unknown study is refused (exit $rc: $out)" \
  refused "$rc" "$out" "search.warm_start.study: no study 'nosuch-study' in this store"
check "the refused study left nothing in the store" [ "$(q "select count(*) from studies where name = 'nosuch'")" = 0 ]
mk self 5 1 '"warm_start": {"study": "self"},' 12
out=$("$BIN" run "$T/self.json" --db "$T/w.db" --quiet 2>&1); rc=$?
check "warm start from itself is refused (exit $rc)" refused "$rc" "$out" "cannot warm-start from itself"
mk bad 5 1 '"warm_start": {"name": "x"},' 12
out=$("$BIN" validate "$T/bad.json" 2>&1); rc=$?
check "validate refuses warm_start without study (exit $rc)" \
  refused "$rc" "$out" "search.warm_start.study: expected the name of a study"
finish
