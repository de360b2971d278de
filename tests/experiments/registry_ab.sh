#!/usr/bin/env bash
# registry_ab.sh - the model registry and champion/challenger A/B end to end
# (issue 16), on real studies, a real store and fresh candles:
#   two studies, one on planted-edge candles (`synth --random-walk --edge 0.3`),
#   one on a random walk; both registered as versions of one model;
#   a model against itself: no_difference with a difference of exactly 0;
#   random walk (A) against planted edge (B) on fresh planted-edge candles:
#   b_better, and the other way round a_better; `--promote` moves champion only
#   on b_better; the comparisons are in `ab --history`; JSON has the fields;
#   the registered versions survive `study delete`; predict on an alias writes
#   the version into the sidecar; a tampered registered file is refused; bad
#   references exit 2 with a clear message; a schema-2 store migrates to 3;
#   `report --ab` and `report --model` write their pages (checked in headless
#   Chromium when it is installed).
# Each study: 3000 hourly bars, 2 folds, 2 random-sampler trials (< 1 s).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?}
need_cmd sqlite3
make_tmp
cd "$T" || exit 1
export SEQTUNE_DB="$T/s.db"
# jget FILE EXPR: a Python expression over the JSON document `j`
jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

cat > spec_edge.json <<'EOF'
{
  "name": "edge",
  "data": {"path": "edge.csv"},
  "features": ["log_return", "log_return:4", "volume_z:20"],
  "target": {"kind": "direction", "horizon": 1},
  "validation": {"folds": 2, "holdout_fraction": 0.2, "val_fraction": 0.15},
  "training": {"max_epochs": 10, "patience": 3, "seq_len": 4, "batch_size": 64},
  "search": {
    "n_trials": 2,
    "sampler": {"name": "random", "seed": 1},
    "pruner": "none",
    "space": {
      "units":         {"type": "int",   "low": 4, "high": 8},
      "learning_rate": {"type": "float", "low": 1e-2, "high": 3e-2, "log": true}
    }
  },
  "backtest": {"fee_bps": 0, "long_threshold": 0.5, "short_threshold": 0.5}
}
EOF
sed 's/"edge"/"walk"/; s/edge.csv/walk.csv/' spec_edge.json > spec_walk.json
"$BIN" synth -o edge.csv --bars 3000 --random-walk --edge 0.3 --seed 1 || exit 1
"$BIN" synth -o walk.csv --bars 3000 --random-walk --seed 2 || exit 1
# fresh candles: another seed, starting after both training series end
"$BIN" synth -o fresh.csv --bars 3000 --random-walk --edge 0.3 --seed 7 --start 1700000000 || exit 1
"$BIN" synth -o fresh_1d.csv --bars 400 --interval 1d --random-walk --edge 0.3 --seed 7 || exit 1
"$BIN" run spec_edge.json --quiet || { echo "FAIL run edge"; exit 1; }
"$BIN" run spec_walk.json --quiet || { echo "FAIL run walk"; exit 1; }

# ---- registry ------------------------------------------------------------------
check "register the walk model as m@1 champion" \
  "$BIN" register --study walk --name m --alias champion --description "random walk"
check "register the edge model as m@2 challenger" \
  "$BIN" register --study edge --name m --alias challenger --tag origin=planted
"$BIN" models --format json > models.json
check "models json: two versions, aliases, interval, sha256, source" [ "$(jget models.json \
  "[(v['version'], v['aliases'], v['study'], v['interval_s'], len(v['sha256'])) for v in j]")" \
  = "[(1, ['champion'], 'walk', 3600, 64), (2, ['challenger'], 'edge', 3600, 64)]" ]
check "models json: the training span is the fingerprint's first and last bar" [ "$(jget models.json \
  "(j[1]['span_first'], j[1]['span_last'], j[1]['span_first'] + 2999 * 3600)")" \
  = "(1577836800, $((1577836800 + 2999 * 3600)), $((1577836800 + 2999 * 3600)))" ]
check "models json: the version keeps the holdout metrics, verdict and tags" [ "$(jget models.json \
  "(isinstance(j[1]['holdout'], dict), 'edge' in j[1]['verdict'], j[1]['tags'])")" \
  = "(True, True, {'origin': 'planted'})" ]
check "models csv has a header and two rows" [ "$("$BIN" models --format csv | wc -l)" = 3 ]

# ---- bad references ------------------------------------------------------------
bad() {   # bad LABEL SUBSTRING ARGS...: exit 2 and the message
  local label=$1 want=$2; shift 2
  "$BIN" "$@" > out.txt 2> err.txt
  local rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$want" err.txt; then echo "ok   $label (exit 2: $(head -1 err.txt))"
  else echo "FAIL $label: exit $rc, stderr: $(cat err.txt)"; fail=1; fi
}
bad "m@9 is refused" "model 'm' has no version 9 (versions 1..2)" \
  predict --model m@9 --data fresh.csv -o sig.csv
bad "an unknown alias is refused" "model 'm' has no alias 'staging' (aliases: challenger, champion)" \
  ab --model m@staging --model m@1 --data fresh.csv
bad "an unknown model is refused" "no registered model 'nope'" \
  predict --model nope@champion --data fresh.csv -o sig.csv
bad "alias to a missing version" "model 'm' has no version 7" alias m@7 champion
bad "alias names are checked" "all digits would read as a version" alias m@1 123
bad "ab on daily candles with hourly models" "trained on bars of 3600 s" \
  ab --model m@1 --model m@2 --data fresh_1d.csv
bad "--promote with a plain file as B" "promotion needs NAME@VERSION" \
  ab --model m@1 --model edge.csv --data fresh.csv --promote

# ---- A/B ---------------------------------------------------------------------------
"$BIN" ab --model m@2 --model m@challenger --data fresh.csv --format json --promote > self.json \
  2> self.err
check "self vs self: no_difference, difference exactly 0, p = 1, interval [0, 0]" \
  [ "$(jget self.json "(j['verdict'], j['loss_diff'], j['sharpe_diff'], j['dm_pvalue'], j['sharpe_diff_ci'])")" \
  = "('no_difference', 0, 0, 1, [0, 0])" ]
check "self vs self with --promote: not promoted" grep -q "not promoted" self.err
check "champion still on version 1" [ "$(jget <("$BIN" models --format json) \
  "[v['version'] for v in j if 'champion' in v['aliases']]")" = "[1]" ]

echo "---- the A/B table: random walk (A, champion) vs planted edge (B, challenger) ----"
"$BIN" ab --model m@champion --model m@challenger --data fresh.csv | tee ab_b.txt
echo "----"
check "walk vs edge: b_better" grep -q "^verdict: b_better" ab_b.txt
"$BIN" ab --model m@challenger --model m@champion --data fresh.csv --format json --promote \
  > ab_a.json 2> ab_a.err
check "edge vs walk: a_better" [ "$(jget ab_a.json "j['verdict']")" = a_better ]
check "a_better with --promote: champion does not move" grep -q "not promoted" ab_a.err
check "json has verdict, dm_pvalue, sharpe_diff, sharpe_diff_ci (2), n_bars" [ "$(jget ab_a.json \
  "all(k in j for k in ('verdict','dm_pvalue','sharpe_diff','n_bars')) and len(j['sharpe_diff_ci']) == 2 and j['n_bars'] > 2900")" = True ]
check "edge vs walk: the Sharpe difference is negative and its interval below 0" \
  [ "$(jget ab_a.json "j['sharpe_diff'] < 0 and j['sharpe_diff_ci'][1] < 0 and j['dm_pvalue'] < 0.05")" = True ]
"$BIN" ab --model m@champion --model m@challenger --data fresh.csv --promote > ab_p.txt 2>&1
check "walk vs edge with --promote: promoted" grep -q "promoted: m@champion -> version 2" ab_p.txt
check "champion now on version 2" [ "$(jget <("$BIN" models --format json) \
  "[v['version'] for v in j if 'champion' in v['aliases']]")" = "[2]" ]
"$BIN" ab --model m@1 --model m@2 --data fresh.csv --from 2024-01-01 --to 2024-02-01 \
  --format json > span.json 2>/dev/null
check "--from/--to: 745 hourly bars of January 2024 at most, inside the span" [ "$(jget span.json \
  "j['n_bars'] <= 745 and j['n_bars'] > 700 and j['span'][0] >= 1704067200 and j['span'][1] <= 1706745600")" = True ]
"$BIN" ab --history --format json > hist.json
check "history: 5 comparisons, newest first, one promoted" [ "$(jget hist.json \
  "([h['id'] for h in j], sum(1 for h in j if h['promoted']))")" = "([5, 4, 3, 2, 1], 1)" ]
check "history table names the verdicts" grep -q "b_better" <("$BIN" ab --history --name m)

# ---- reports ---------------------------------------------------------------------------
check "report --ab 4 writes the page" "$BIN" report --ab 4 -o ab.html
check "the A/B page has both equity curves, the loss difference and the verdict" \
  python3 - ab.html <<'PY'
import sys
h = open(sys.argv[1]).read()
sys.exit(0 if h.count("<svg") >= 2 and "b_better" in h and "loss difference" in h.lower() else 1)
PY
check "report --model m writes the history page" "$BIN" report --model m -o m.html
check "the model page lists versions, alias moves and comparisons" \
  python3 - m.html <<'PY'
import sys
h = open(sys.argv[1]).read()
sys.exit(0 if "champion" in h and "promoted by A/B comparison 4" in h and "walk" in h else 1)
PY
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$chromium" ]; then   # the pages as a browser builds them: charts drawn, no script error
  for page in ab.html m.html; do
    timeout 90 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
      --disable-dev-shm-usage --user-data-dir="$T/profile-$page" --enable-logging=stderr --v=0 \
      --dump-dom "file://$T/$page" > "$page.dom" 2> "$page.log"
    if grep -q '</html>' "$page.dom"; then
      check "chromium: $page has its charts and no script error" python3 - "$page.dom" "$page.log" <<'PY'
import sys
dom, log = open(sys.argv[1]).read(), open(sys.argv[2]).read()
sys.exit(0 if dom.count("<svg") >= 1 and "data-js-error" not in dom and "Uncaught" not in log else 1)
PY
    else
      echo "skip chromium: $page (chromium cannot start)"
    fi
  done
fi
bad "report --ab of an unknown comparison" "no A/B comparison 99" report --ab 99 -o x.html

# ---- predict on an alias ---------------------------------------------------------------
check "predict on m@champion" "$BIN" predict --model m@champion --data fresh.csv -o sig.csv
check "the sidecar names version 2 and its sha256" [ "$(jget sig.csv.model.json \
  "(j['model'], j['version'], j['reference'], len(j['sha256']))")" = "('m', 2, 'm@champion', 64)" ]

# ---- the registry outlives the study ----------------------------------------------------
check "delete the source study" "$BIN" study delete edge --yes
check "m@2 still resolves after the study is gone" \
  "$BIN" predict --model m@2 --data fresh.csv -o sig2.csv
check "the aliases survive" [ "$(jget <("$BIN" models --format json) "sorted(sum([v['aliases'] for v in j], []))")" \
  = "['challenger', 'champion']" ]
check "alias --delete removes challenger" "$BIN" alias --delete m challenger
bad "a deleted alias is gone" "no alias 'challenger'" predict --model m@challenger --data fresh.csv -o s.csv

# ---- a tampered registered file -----------------------------------------------------------
f=$(ls "$T"/s.db.artifacts/registry/*/1/model.bin)
printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
bad "a tampered registered file is refused by predict" "does not match its recorded size and sha256" \
  predict --model m@1 --data fresh.csv -o s.csv
bad "and by ab" "tampered" ab --model m@1 --model m@2 --data fresh.csv

# ---- migration from schema 2 --------------------------------------------------------------
sqlite3 s.db "DROP TABLE ab_comparisons; DROP TABLE alias_events; DROP TABLE model_aliases;
  DROP TABLE model_versions; DROP TABLE registered_models; DROP TABLE run_values;
  DROP TABLE study_objectives; PRAGMA user_version=2;"
check "a schema-2 store is migrated by the next writer" "$BIN" register --study walk --name w
check "and is at version 4 with the registry tables" [ "$(sqlite3 s.db "PRAGMA user_version; \
  SELECT count(*) FROM model_versions;" | tr '\n' ' ')" = "4 1 " ]

finish
