#!/usr/bin/env bash
# e2e_report.sh - end to end: two tiny real studies on the 1h BTC candles
# (`seqtune run`, world size 1, a median pruner so some trials stop early),
# then `seqtune report` for one study and for both side by side, each checked
# in headless Chromium by browser_check.sh (sections, script errors, no
# injected elements, screenshot not blank). Also asserts on the HTML that the
# real study's holdout, fold layout and learning curves reached the page.
# Skips (77) without the candles; browser_check.sh skips without Chromium.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
csv=${SEQTUNE_DATA:-}/btcusdt_binance_1h_2021-10-01_2022-10-31.csv
need_file "$csv" "real 1h candles"
make_tmp /tmp/seqtune-e2e-report-XXXXXX
fail=0
check() { if ! grep -q -- "$2" "$1"; then echo "FAIL: $(basename "$1") lacks $3"; fail=1; fi; }

spec() {  # $1 study name, $2 seed
    cat <<JSON
{
  "name": "$1",
  "data": {"path": "$csv"},
  "features": ["log_return", "rsi:14", "hour_of_day"],
  "target": {"kind": "direction", "horizon": 1, "deadband": 0.0},
  "validation": {"folds": 3, "window": "expanding", "val_fraction": 0.15,
                 "holdout_fraction": 0.15, "embargo": 0},
  "training": {"max_epochs": 3, "patience": 2, "clip_norm": 1.0},
  "search": {
    "n_trials": 6, "timeout_s": 0,
    "sampler": {"name": "tpe", "n_startup_trials": 3, "seed": $2},
    "pruner": {"name": "median", "n_startup_trials": 2, "n_warmup_steps": 0},
    "metric": "val_log_loss", "direction": "minimize",
    "space": {
      "seq_len":       {"type": "int",   "low": 8,    "high": 16, "step": 8},
      "units":         {"type": "int",   "low": 4,    "high": 8},
      "learning_rate": {"type": "float", "low": 1e-3, "high": 1e-2, "log": true},
      "batch_size":    {"type": "categorical", "choices": [64]}
    }
  },
  "backtest": {"fee_bps": 10, "long_threshold": 0.55, "short_threshold": 0.45}
}
JSON
}

spec e2e-a 7 >"$T/a.json"
spec e2e-b 11 >"$T/b.json"
for s in a b; do
    if ! "$SEQTUNE_BIN" run "$T/$s.json" --db "$T/s.db" --quiet; then
        echo "FAIL: seqtune run $s.json"; exit 1
    fi
done
"$SEQTUNE_BIN" report --study e2e-a --db "$T/s.db" -o "$T/r.html" ||
    { echo "FAIL: seqtune report (one study)"; exit 1; }
"$SEQTUNE_BIN" report --study e2e-a --study e2e-b --db "$T/s.db" -o "$T/c.html" ||
    { echo "FAIL: seqtune report (two studies)"; exit 1; }

# What the runner stored must reach the page (not only empty sections).
r=$T/r.html
check "$r" 'btcusdt_binance_1h_2021-10-01_2022-10-31.csv' "the data file"
check "$r" '2021-10-01' "the data start date"
check "$r" 'walk-forward layout' "the fold layout"
check "$r" 'Deflated Sharpe Ratio: <b>[0-9]' "a Deflated Sharpe Ratio value"
check "$r" 'Holdout equity' "the holdout equity chart"
check "$r" 'trials with per-fold values drawn' "the learning curves"
check "$r" '>6: ' "the trial count"
check "$r" '>[1-9][0-9]* pruned<' "a pruned trial (the median pruner stopped none)"
check "$r" 'class="layout"' "the fold layout block (kept line breaks)"
check "$r" 'pruned here' "the pruned trials' stop marks in the learning curves"
check "$T/c.html" 'id="compare"' "the comparison section"
check "$T/c.html" 'e2e-b' "the second study"
if ! grep -q '<th>Sharpe</th><td class="n">-\?[0-9]' "$r"; then
    echo "FAIL: r.html: the holdout Sharpe is empty"; fail=1
fi

bash "$SEQTUNE_SRC/tests/reports/browser_check.sh" "$r"
rc1=$?
bash "$SEQTUNE_SRC/tests/reports/browser_check.sh" --studies 2 "$T/c.html"
rc2=$?
[ $fail -ne 0 ] && exit 1
[ $rc1 -ne 0 ] && [ $rc1 -ne 77 ] && exit 1
[ $rc2 -ne 0 ] && [ $rc2 -ne 77 ] && exit 1
[ $rc1 -eq 77 ] && exit 77
echo "e2e report: ok"
exit 0
