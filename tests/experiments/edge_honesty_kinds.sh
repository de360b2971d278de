#!/usr/bin/env bash
# edge_honesty_kinds.sh - the verdict for the multiclass and price targets
# (issue 15): the holdout's paired test is filled for them too (multiclass log
# loss per bar against the training class frequencies and the softmax
# baseline; squared error in price units against persistence and the linear
# baseline), so that
#   `synth --random-walk` gives "no edge" for every seed, and
#   `synth --random-walk --edge 0.3` gives "edge" (DM p-value < 0.05 and
#   DSR >= 0.95) for every seed,
# with PBO computed from the trials' per-bar OOS strategy returns, and the
# report's OOS diagnostics present (multiclass: the 3 x 3 confusion and the
# top-class reliability; price: the equity and drawdown).
# Each study: 6000 hourly bars, 3 folds, 6 random-sampler trials.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?}
make_tmp
spec() {   # spec KIND TARGET_JSON
  cat > "$T/$1.json" <<EOS
{
  "name": "$1",
  "data": {"path": "candles.csv"},
  "features": ["log_return", "log_return:4", "volume_z:20"],
  "target": $2,
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
  "backtest": {"fee_bps": 0, "long_threshold": 0.0, "short_threshold": 0.0},
  "selection": {"dsr_min": 0.95, "dm_alpha": 0.05, "pbo_blocks": 16}
}
EOS
}
spec multiclass '{"kind": "multiclass", "horizon": 1, "deadband": 0.002}'
spec price '{"kind": "price", "horizon": 1}'
# study KIND WANT_EDGE(true|false) SYNTH_ARGS...
study() {
  local kind=$1 want=$2; shift 2
  local label="$kind $*"
  rm -rf "$T"/s.db*
  "$BIN" synth -o "$T/candles.csv" --bars 6000 "$@" || { echo "FAIL $label: synth"; fail=1; return; }
  if ! "$BIN" run "$T/$kind.json" --db "$T/s.db" --quiet; then
    echo "FAIL $label: run"; fail=1; return
  fi
  "$BIN" best --study "$kind" --db "$T/s.db" --format json > "$T/best.json"
  local line
  line=$(python3 - "$T/best.json" "$want" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
v = r["verdict"]
want = sys.argv[2] == "true"
keys = ("edge", "reasons", "dsr", "pbo", "dm_pvalue", "dm_pvalue_vs_linear")
ok = all(k in v for k in keys) and v["edge"] == want and len(v["reasons"]) >= 3
# the paired tests exist for this kind, and PBO was computed over all 6 trials
ok = ok and v["dm_pvalue"] is not None and v["dm_pvalue_vs_linear"] is not None
ok = ok and v["pbo"] is not None and v["pbo_trials"] == 6
if want:
    ok = ok and v["dm_pvalue"] < 0.05 and v["dsr"] >= 0.95
f = lambda x: "null" if x is None else "%.4g" % x
print("%s edge=%s dsr=%s pbo=%s dm_p=%s dm_p_vs_linear=%s" % (
    "ok  " if ok else "FAIL", v["edge"], f(v["dsr"]), f(v["pbo"]), f(v["dm_pvalue"]),
    f(v["dm_pvalue_vs_linear"])))
PY
)
  echo "${line:0:4} $label: ${line:5}"
  [ "${line:0:4}" = "ok  " ] || fail=1
  "$BIN" best --study "$kind" --db "$T/s.db" --require-edge > /dev/null
  local rc=$?
  if [ "$want" = true ]; then check "$label: --require-edge exits 0" [ $rc -eq 0 ];
  else check "$label: --require-edge exits 4" [ $rc -eq 4 ]; fi
  "$BIN" report --study "$kind" --db "$T/s.db" -o "$T/report.html" 2>/dev/null
  local banner="No edge: not significant"
  [ "$want" = true ] && banner="Edge: significant"
  local ids="'oos-equity', 'oos-drawdown', 'oos-epochs', 'cscv-scatter', 'cscv-logits'"
  [ "$kind" = multiclass ] && ids="$ids, 'oos-calibration'"
  check "$label: the report opens with the verdict, then the OOS diagnostics" python3 -c "
import sys; h = open('$T/report.html').read()
v, s = h.find('id=\"verdict\"'), h.find('id=\"summary\"')
ok = 0 <= v < s and '$banner' in h[v:s]
ok = ok and all(('id=\"%s\"' % i) in h for i in ($ids,))
if '$kind' == 'multiclass':
    ok = ok and 'predicted flat' in h and 'actual up' in h
sys.exit(0 if ok else 1)"
  if [ "$kind" = multiclass ]; then
    check "$label: 3 x 3 confusion of the holdout samples" python3 -c "
import json, sys
r = json.load(open('$T/best.json'))
m = r['confusion']['matrix']
n = r['dm_noskill']['n']
sys.exit(0 if len(m) == 3 and all(len(x) == 3 for x in m) and sum(map(sum, m)) == n else 1)"
  fi
  cp "$T/report.html" "$T/last_report.html"
}
for seed in ${EDGE_SEEDS:-1 2 3}; do
  study multiclass false --random-walk --seed "$seed"
  study multiclass true --random-walk --edge 0.3 --seed "$seed"
  study price false --random-walk --seed "$seed"
  study price true --random-walk --edge 0.3 --seed "$seed"
done
finish
