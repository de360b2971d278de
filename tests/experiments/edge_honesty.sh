#!/usr/bin/env bash
# edge_honesty.sh - the verdict's honesty and power on series with a known answer:
#   `synth --random-walk` (nothing predictable): the verdict is "no edge" for
#   every seed, and `best --require-edge` exits 4;
#   `synth --random-walk --edge 0.3` (each shock leans toward the sign of the
#   last return with correlation 0.3): "edge" for every seed, exit 0;
#   every trial stores one out-of-sample series per fold (row-aligned, float32
#   blobs of 4 bytes a bar), in-process and under mpirun -np 3 (carried over
#   MPI), and the verdict JSON holds dsr, pbo, dm_pvalue, dm_pvalue_vs_linear.
# Each study: 6000 hourly bars, 3 folds, 6 random-sampler trials (about 2 s of CPU).
# Seeds 1-3 in CI; EDGE_SEEDS="1 2 3 4 5" tries more.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?}
need_cmd sqlite3
mpi_root_env
make_tmp
cat > "$T/spec.json" <<'EOF'
{
  "name": "honesty",
  "data": {"path": "candles.csv"},
  "features": ["log_return", "log_return:4", "volume_z:20"],
  "target": {"kind": "direction", "horizon": 1},
  "validation": {"folds": 3, "holdout_fraction": 0.2, "val_fraction": 0.15},
  "training": {"max_epochs": 15, "patience": 4, "seq_len": 4, "batch_size": 64},
  "search": {
    "n_trials": 6,
    "sampler": {"name": "random", "seed": 1},
    "pruner": "none",
    "space": {
      "units":         {"type": "int",   "low": 2, "high": 8},
      "learning_rate": {"type": "float", "low": 3e-3, "high": 3e-2, "log": true}
    }
  },
  "backtest": {"fee_bps": 0, "long_threshold": 0.5, "short_threshold": 0.5},
  "selection": {"dsr_min": 0.95, "dm_alpha": 0.05, "pbo_blocks": 16}
}
EOF
# study LABEL WANT_EDGE(true|false) [mpirun -np N] -- SYNTH_ARGS...
study() {
  local label=$1 want=$2; shift 2
  local launch=()
  while [ "$1" != "--" ]; do launch+=("$1"); shift; done
  shift
  rm -rf "$T"/s.db*
  "$BIN" synth -o "$T/candles.csv" --bars 6000 "$@" || { echo "FAIL $label: synth"; fail=1; return; }
  if ! "${launch[@]}" "$BIN" run "$T/spec.json" --db "$T/s.db" --quiet; then
    echo "FAIL $label: run"; fail=1; return
  fi
  "$BIN" best --study honesty --db "$T/s.db" --format json > "$T/best.json"
  local line
  line=$(python3 - "$T/best.json" "$want" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["verdict"]
want = sys.argv[2] == "true"
keys = ("edge", "reasons", "dsr", "pbo", "dm_pvalue", "dm_pvalue_vs_linear")
ok = all(k in v for k in keys) and v["edge"] == want and len(v["reasons"]) >= 3
f = lambda x: "null" if x is None else "%.4g" % x
print("%s edge=%s dsr=%s pbo=%s dm_p=%s dm_p_vs_linear=%s" % (
    "ok  " if ok else "FAIL", v["edge"], f(v["dsr"]), f(v["pbo"]), f(v["dm_pvalue"]),
    f(v["dm_pvalue_vs_linear"])))
PY
)
  echo "${line:0:4} $label: ${line:5}"
  [ "${line:0:4}" = "ok  " ] || fail=1
  "$BIN" best --study honesty --db "$T/s.db" --require-edge > "$T/best.txt"
  local rc=$?
  if [ "$want" = true ]; then
    check "$label: --require-edge exits 0" [ $rc -eq 0 ]
    check "$label: the table opens with the verdict" grep -q "^verdict: EDGE" "$T/best.txt"
  else
    check "$label: --require-edge exits 4" [ $rc -eq 4 ]
    check "$label: the table opens with the verdict" grep -q "^verdict: NO EDGE" "$T/best.txt"
  fi
  # the report opens with the same verdict, then the OOS diagnostics
  "$BIN" report --study honesty --db "$T/s.db" -o "$T/report.html" 2>/dev/null
  local banner="No edge: not significant"
  [ "$want" = true ] && banner="Edge: significant"
  check "$label: the report opens with the verdict" python3 -c "
import sys; h = open('$T/report.html').read()
v, s = h.find('id=\"verdict\"'), h.find('id=\"summary\"')
ok = 0 <= v < s and '$banner' in h[v:s]
ok = ok and all(('id=\"%s\"' % i) in h for i in ('oos-equity', 'oos-drawdown', 'oos-epochs', 'oos-calibration', 'cscv-scatter', 'cscv-logits'))
sys.exit(0 if ok else 1)"
  cp "$T/report.html" "$T/last_report.html"
  # the export carries every trial's series, equal to the stored float32 blobs
  "$BIN" export --study honesty --db "$T/s.db" --format json -o "$T/export.json" 2>/dev/null
  check "$label: the JSON export holds the series" python3 -c "
import json, sqlite3, struct, sys
t = json.load(open('$T/export.json'))['trials']
db = sqlite3.connect('$T/s.db')
ok = len(t) == 6
for tr in t:
    ok = ok and len(tr['oos_series']) == 3
    for f in tr['oos_series']:
        (blob,) = db.execute('SELECT ret FROM oos_series WHERE run_id = ? AND fold = ?', (tr['run_id'], f['fold'])).fetchone()
        # as float32 values (JSON keeps no sign of zero: -0.0 reads back as 0)
        got = struct.unpack('%df' % f['n'], struct.pack('%df' % f['n'], *f['ret']))
        ok = ok and len(f['ret']) == f['n'] and got == struct.unpack('%df' % f['n'], blob)
sys.exit(0 if ok else 1)"
  # 6 trials x 3 folds, each series 4 bytes a bar for returns and for predictions
  check "$label: one series per trial and fold" \
    [ "$(sqlite3 "$T/s.db" "SELECT count(*) FROM oos_series")" = 18 ]
  check "$label: float32 blobs" \
    [ "$(sqlite3 "$T/s.db" "SELECT count(*) FROM oos_series WHERE length(ret) = 4 * n AND length(pred) = 4 * n AND length(bh) = 4 * n AND n > 100")" = 18 ]
}
for seed in ${EDGE_SEEDS:-1 2 3}; do
  study "random walk, seed $seed" false -- --random-walk --seed "$seed"
done
for seed in ${EDGE_SEEDS:-1 2 3}; do
  study "edge 0.3, seed $seed" true -- --random-walk --edge 0.3 --seed "$seed"
done
# the last edge report in the browser: sections present, scripts ran, nothing blank
if [ -n "${SEQTUNE_SRC:-}" ] && [ -f "$SEQTUNE_SRC/tests/reports/browser_check.sh" ]; then
  bash "$SEQTUNE_SRC/tests/reports/browser_check.sh" "$T/last_report.html"
  rc=$?
  if [ $rc -eq 77 ]; then echo "skip browser check (no chromium)"; else check "the report passes the browser check" [ $rc -eq 0 ]; fi
fi
# issue 14, item 13: the DSR counts every evaluated trial, pruned ones too
rm -rf "$T"/s.db*
python3 - "$T/spec.json" "$T/pruned.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["name"] = "pruned"
s["search"]["n_trials"] = 10
s["search"]["pruner"] = {"name": "median", "n_startup_trials": 1, "n_warmup_steps": 0}
json.dump(s, open(sys.argv[2], "w"))
PY
"$BIN" synth -o "$T/candles.csv" --bars 6000 --random-walk --seed 4
"$BIN" run "$T/pruned.json" --db "$T/s.db" --quiet
"$BIN" best --study pruned --db "$T/s.db" --format json > "$T/pruned_best.json"
"$BIN" best --study pruned --db "$T/s.db" > "$T/pruned_best.txt"
pruned=$(sqlite3 "$T/s.db" "SELECT count(*) FROM runs WHERE state = 'PRUNED'")
evaluated=$(sqlite3 "$T/s.db" "SELECT count(*) FROM runs WHERE state IN ('COMPLETE', 'PRUNED')")
echo "pruned study: $pruned pruned, $evaluated evaluated"
check "some trials were pruned" [ "$pruned" -gt 0 ]
check "the DSR counts complete and pruned trials" python3 -c "
import json, sys
r = json.load(open('$T/pruned_best.json'))
sys.exit(0 if r['n_trials'] == $evaluated == r['verdict']['dsr_trials'] else 1)"
check "best names the count" grep -q "over $evaluated evaluated trials" "$T/pruned_best.txt"
if command -v mpirun >/dev/null; then
  # (the trial values themselves differ from in-process until 64-bit seeds cross
  # the wire exactly: issue 14, item 1; the series must all arrive)
  study "edge 0.3, seed 1, mpirun -np 3" true mpirun -np 3 --oversubscribe -- --random-walk --edge 0.3 --seed 1
  check "mpirun: PBO over all 6 trials" python3 -c "
import json,sys
b=json.load(open('$T/best.json'))['verdict']
sys.exit(0 if b['pbo'] is not None and b['pbo_trials'] == 6 else 1)"
fi
finish
