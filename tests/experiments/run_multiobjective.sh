#!/usr/bin/env bash
# run_multiobjective.sh - a multi-objective study end to end (issue 18, item 4):
#   builtin zdt1 under mpirun -np 3 with motpe: every COMPLETE trial has a value
#   per objective in run_values, runs.value is objective 0, the study records
#   both objectives; the front `best --format json` lists equals the set of
#   non-dominated trials computed here from the store, and so does the table;
#   --resume to more trials keeps the values and the front still matches;
#   `best --pick N` records N as the picked trial (its values and params), a
#   trial off the front is refused (exit 2) and the result is left as it was;
#   the report has the Pareto section; the Optuna export loads in Optuna with both
#   directions and its best_trials equal the front; a resume that changes search.metrics is
#   refused (exit 2); ask/tell: tell needs one value per objective. Then an LSTM study on the real 1h candles (3 trials, 2
#   epochs, search.metrics sharpe and max_drawdown) under mpirun -np 3: both
#   metrics stored per trial and equal to the mean of the per-fold metric the
#   store logged, and `best --pick` runs the holdout on the picked trial and
#   exports its model.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?}
DATA=${SEQTUNE_DATA:-}
need_cmd mpirun sqlite3
mpi_root_env
make_tmp
q() { sqlite3 "$T/m.db" "$1"; }

python3 - "$T" <<'PY'
import json, sys
sp = {"x%d" % (i + 1): {"type": "float", "low": 0, "high": 1} for i in range(30)}
spec = {"name": "zdt", "objective": {"builtin": "zdt1"},
        "search": {"n_trials": 40, "sampler": {"name": "motpe", "seed": 7, "n_startup_trials": 8},
                   "metrics": ["f1", "f2"], "directions": ["minimize", "minimize"], "space": sp}}
json.dump(spec, open(sys.argv[1] + "/zdt.json", "w"))
spec["search"]["metrics"] = ["g1", "g2"]
json.dump(spec, open(sys.argv[1] + "/zdt_renamed.json", "w"))
PY

# The non-dominated COMPLETE trials computed from the store alone, as "n n n".
front_from_store() {
  sqlite3 -separator ' ' "$T/m.db" "select r.trial_number, v0.value, v1.value from runs r
    join studies s on s.id = r.study_id
    join run_values v0 on v0.run_id = r.id and v0.objective = 0
    join run_values v1 on v1.run_id = r.id and v1.objective = 1
    where s.name = 'zdt' and r.state = 'COMPLETE'" | python3 -c "
import sys
pts = [(int(t), float(a), float(b)) for t, a, b in (l.split() for l in sys.stdin)]
dom = lambda p, q: p[1] <= q[1] and p[2] <= q[2] and (p[1] < q[1] or p[2] < q[2])
print(' '.join(str(p[0]) for p in sorted(pts) if not any(dom(o, p) for o in pts)))"
}
front_from_best() {
  "$BIN" best --study zdt --db "$T/m.db" --format json | python3 -c "
import json, sys
print(' '.join(str(p['trial']) for p in json.load(sys.stdin)['pareto_front']))"
}

# --- 1. zdt1 under mpirun -np 3 ------------------------------------------------------------
mpirun -np 3 --oversubscribe "$BIN" run "$T/zdt.json" --db "$T/m.db" > "$T/run.out" 2> "$T/run.err"
check "the zdt1 study runs under mpirun -np 3 (exit 0)" [ $? -eq 0 ]
check "40 COMPLETE trials" [ "$(q "select count(*) from runs where state = 'COMPLETE'")" = 40 ]
check "each has a value per objective (80 rows over 40 runs)" \
  [ "$(q "select count(*), count(distinct run_id) from run_values")" = "80|40" ]
check "runs.value is objective 0" \
  [ "$(q "select count(*) from runs r join run_values v on v.run_id = r.id and v.objective = 0 where r.value = v.value")" = 40 ]
check "the values are zdt1's (f1 = x1 for every trial)" \
  [ "$(q "select count(*) from runs r join run_values v on v.run_id = r.id and v.objective = 0 join params p on p.run_id = r.id and p.key = 'x1' where abs(p.num - v.value) < 1e-12")" = 40 ]
check "the study records both objectives" \
  [ "$(q "select group_concat(name || ' ' || direction, ', ') from (select * from study_objectives order by objective)")" = "f1 minimize, f2 minimize" ]
want=$(front_from_store); got=$(front_from_best)
echo "  front: $got"
check "best's front equals the non-dominated set from the store" [ -n "$want" -a "$got" = "$want" ]
check "run ends with the front and how to pick" grep -q "seqtune best --study \"zdt\" --pick TRIAL" "$T/run.out"
table_front=$("$BIN" best --study zdt --db "$T/m.db" | awk '/^trial /{on=1; next} on && /^[0-9]/{printf "%s ", $1}' | sed 's/ $//')
check "the table lists the same trials" [ "$table_front" = "$want" ]

# --- 2. resume ------------------------------------------------------------------------------
mpirun -np 3 --oversubscribe "$BIN" run "$T/zdt.json" --db "$T/m.db" --resume --trials 60 --quiet 2> "$T/resume.err"
check "--resume to 60 trials (exit 0)" [ $? -eq 0 ]
check "60 runs with values" [ "$(q "select count(distinct run_id) from run_values")" = 60 ]
want=$(front_from_store)
check "the resumed study's front matches the store" [ "$(front_from_best)" = "$want" ]
"$BIN" run "$T/zdt_renamed.json" --db "$T/m.db" --resume --trials 70 --quiet 2> "$T/renamed.err"
rc=$?
check "a resume that changes search.metrics is refused (exit 2)" [ $rc -eq 2 ]
check "  and says which objectives the study has" grep -q "objectives are f1 (minimize), f2 (minimize)" "$T/renamed.err"
check "  and runs no trial" [ "$(q "select count(*) from runs")" = 60 ]

# --- 3. best --pick --------------------------------------------------------------------------
pick=${want%% *}
off=$(q "select min(trial_number) from runs where trial_number not in ($(echo "$want" | tr ' ' ','))")
before=$(q "select result from studies")
"$BIN" best --study zdt --db "$T/m.db" --pick "$off" > /dev/null 2> "$T/off.err"
check "--pick of trial $off (off the front) is refused (exit 2)" [ $? -eq 2 ]
check "  naming the front" grep -q "not on the Pareto front" "$T/off.err"
check "  and leaves the result alone" [ "$(q "select result from studies")" = "$before" ]
"$BIN" best --study zdt --db "$T/m.db" --pick "$pick" --format json > "$T/pick.json"
check "--pick $pick (exit 0)" [ $? -eq 0 ]
check "  the result records the picked trial, its values and params" python3 - "$T/pick.json" "$pick" \
  "$(q "select group_concat(printf('%.17g', v.value), ' ') from (select v.value from run_values v join runs r on r.id = v.run_id where r.trial_number = $pick order by v.objective) v")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2]); vals = [float(x) for x in sys.argv[3].split()]
ok = r["picked_trial"] == n and r["best_trial"] == n and len(r["best_values"]) == len(vals) == 2
ok = ok and all(abs(a - b) <= 1e-13 * max(1, abs(b)) for a, b in zip(r["best_values"], vals))
ok = ok and len(r["best_params"]) == 30 and r["objectives"][1] == {"name": "f2", "direction": "minimize"}
sys.exit(0 if ok else 1)
PY
check "  and best_run_id is its run" \
  [ "$(q "select r.trial_number from studies s join runs r on r.id = s.best_run_id")" = "$pick" ]
"$BIN" report --study zdt --db "$T/m.db" -o "$T/r.html" 2>/dev/null
check "the report has the Pareto section with the hypervolume" \
  python3 -c "import sys; h = open(sys.argv[1]).read(); i = h.find('<section id=\"pareto\">');
sys.exit(not (i >= 0 and 'Final hypervolume' in h[i:h.find('</section>', i)]))" "$T/r.html"
check "  and says which trial was picked" grep -q "Trial $pick was picked for the holdout" "$T/r.html"

"$BIN" export --study zdt --db "$T/m.db" --format optuna -o "$T/optuna.db"
check "the Optuna export (exit 0)" [ $? -eq 0 ]
"$BIN" export --study zdt --db "$T/m.db" --format json -o "$T/export.json"
check "the JSON export has the objectives and each trial's values" python3 - "$T/export.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ok = [o["name"] for o in d["study"]["objectives"]] == ["f1", "f2"]
ok = ok and all(len(t["values"]) == 2 and t["values"][0] == t["value"] for t in d["trials"])
sys.exit(0 if ok and len(d["trials"]) == 60 else 1)
PY
if /usr/bin/python3 -c 'import optuna' 2>/dev/null; then
  ofront=$(/usr/bin/python3 -c "
import optuna, sys
optuna.logging.set_verbosity(optuna.logging.WARNING)
s = optuna.load_study(study_name='zdt', storage='sqlite:///' + sys.argv[1])
assert [d.name for d in s.directions] == ['MINIMIZE', 'MINIMIZE'] and len(s.trials[0].values) == 2
print(' '.join(str(t.number) for t in sorted(s.best_trials, key=lambda t: t.number)))" "$T/optuna.db")
  check "Optuna loads it with two directions, and its best_trials are the front ($ofront)" \
    [ "$ofront" = "$(front_from_best)" ]
else
  echo "SKIP (Optuna check): optuna not importable by /usr/bin/python3"
fi

# --- 3b. ask/tell from an outer loop --------------------------------------------------------
"$BIN" ask --spec "$T/zdt.json" --db "$T/at.db" > "$T/ask.json" 2>/dev/null
check "ask creates the study and gives trial 0" grep -q '"trial":0' "$T/ask.json"
"$BIN" tell --study zdt --trial 0 --value 0.5 --db "$T/at.db" > /dev/null 2> "$T/tell1.err"
check "tell with one value is refused (exit 2)" [ $? -eq 2 ]
check "  naming both objectives" grep -q "the study has 2 objectives (f1, f2): give 2 numbers" "$T/tell1.err"
"$BIN" tell --study zdt --trial 0 --value 0.5,2.25 --db "$T/at.db" > "$T/tell2.json"
check "tell --value 0.5,2.25 completes trial 0 with both values" \
  [ "$(sqlite3 "$T/at.db" "select r.state, r.value, group_concat(v.value, ' ') from runs r join run_values v on v.run_id = r.id group by r.id")" = "COMPLETE|0.5|0.5 2.25" ]
"$BIN" ask --study zdt --db "$T/at.db" > "$T/ask2.json" 2>/dev/null
check "the next ask replays it (trial 1)" grep -q '"trial":1' "$T/ask2.json"

# --- 4. LSTM on the real candles ----------------------------------------------------------
CSV="$DATA/btcusdt_binance_1h_2021-10-01_2022-10-31.csv"
if [ ! -r "$CSV" ]; then
  echo "SKIP (part 4): real candles not found at $CSV"
else
  cat > "$T/lstm.json" <<EOF
{"name": "btc-moo",
 "data": {"path": "$CSV"},
 "features": ["log_return", "rsi:14"],
 "validation": {"folds": 2, "holdout_fraction": 0.15},
 "training": {"max_epochs": 2, "patience": 1},
 "search": {"n_trials": 3, "sampler": {"name": "motpe", "seed": 3},
   "metrics": ["sharpe", "max_drawdown"], "directions": ["maximize", "minimize"],
   "space": {"units": {"type": "int", "low": 4, "high": 8},
             "seq_len": {"type": "int", "low": 8, "high": 16, "step": 8}}},
 "backtest": {"fee_bps": 0}}
EOF
  mpirun -np 3 --oversubscribe "$BIN" run "$T/lstm.json" --db "$T/l.db" --quiet 2> "$T/lstm.err"
  check "the LSTM multi-objective study runs under mpirun -np 3 (exit 0)" [ $? -eq 0 ]
  l() { sqlite3 "$T/l.db" "$1"; }
  nc=$(l "select count(*) from runs where state = 'COMPLETE'")
  check "its COMPLETE trials ($nc of 3) have sharpe and max_drawdown" \
    [ "$nc" -ge 1 -a "$(l "select count(*) from run_values")" = $((2 * nc)) ]
  check "each is the mean over the folds of the metric the folds logged" \
    [ "$(l "select count(*) from runs r join run_values v on v.run_id = r.id
           where abs(v.value - (select avg(m.value) from metrics m where m.run_id = r.id and m.key =
                 case v.objective when 0 then 'fold.sharpe' else 'fold.max_drawdown' end)) < 1e-9")" = $((2 * nc)) ]
  lpick=$("$BIN" best --study btc-moo --db "$T/l.db" --format json | python3 -c "
import json, sys; print(json.load(sys.stdin)['pareto_front'][0]['trial'])")
  "$BIN" best --study btc-moo --db "$T/l.db" --pick "$lpick" --export "$T/m.model" > "$T/lpick.out" 2> "$T/lpick.err"
  rc=$?
  check "best --pick $lpick refits it and exports the model (exit 0)" [ $rc -eq 0 -a -s "$T/m.model" ]
  check "  the holdout was evaluated for the picked trial" \
    python3 - "$T/l.db" "$lpick" <<'PY'
import json, sqlite3, sys
r = json.loads(sqlite3.connect(sys.argv[1]).execute("select result from studies").fetchone()[0])
n = int(sys.argv[2])
sys.exit(0 if r["picked_trial"] == n and "sharpe" in r["holdout"] and "verdict" in r else 1)
PY
  check "  the table shows the pick and the holdout" grep -q "picked trial $lpick:" "$T/lpick.out"
fi
finish
