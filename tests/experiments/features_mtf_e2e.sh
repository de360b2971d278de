#!/usr/bin/env bash
# features_mtf_e2e.sh - higher-timeframe and level features end to end: a small
# LSTM study on synthetic 1h candles with rsi:14@4h, log_return@1d, close_z:20,
# volume_log and range_z:20@4h ends with exactly 3 finished trials and a model;
# the exported model names those features, and `predict` on the same candles
# cut after row 1700 (inside a 4h bucket and a day) gives, for every bar it
# has, the same signal line as on all 2000 rows (a forming 4h/1d candle at the
# cut would change them otherwise),
# and one line per bar from the features' warm-up (row 79) and the window on.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
bin=${SEQTUNE_BIN:?SEQTUNE_BIN is not set}
need_cmd sqlite3
make_tmp /tmp/seqtune-mtf-XXXXXX

"$bin" synth -o "$T/c.csv" --bars 2000 --seed 11 >/dev/null || { echo "FAIL: synth"; exit 1; }
cat >"$T/spec.json" <<'JSON'
{"name": "mtf", "data": {"path": "c.csv"},
 "features": ["log_return", "rsi:14@4h", "log_return@1d", "close_z:20", "volume_log", "range_z:20@4h"],
 "validation": {"folds": 2, "val_fraction": 0.2, "holdout_fraction": 0.15},
 "training": {"max_epochs": 2, "patience": 2, "seq_len": 12},
 "search": {"n_trials": 3, "sampler": {"name": "random", "seed": 4}, "pruner": {"name": "none"},
  "space": {"units": {"type": "int", "low": 4, "high": 8}}}}
JSON
"$bin" validate "$T/spec.json" >/dev/null 2>"$T/err" && ok "validate accepts the features" ||
    { fail "validate: $(cat "$T/err")"; }
"$bin" run "$T/spec.json" --db "$T/s.db" --quiet 2>"$T/err" || { fail "run: $(tail -3 "$T/err")"; }
fin=$(sqlite3 "$T/s.db" "SELECT count(*) FROM runs WHERE state IN ('COMPLETE','PRUNED','FAIL')")
comp=$(sqlite3 "$T/s.db" "SELECT count(*) FROM runs WHERE state = 'COMPLETE'")
[ "$fin" = 3 ] && [ "$comp" = 3 ] && ok "3 finished trials, all COMPLETE" || fail "$fin finished, $comp COMPLETE"
"$bin" best --study mtf --db "$T/s.db" --export "$T/m.stm" >/dev/null 2>"$T/err" ||
    fail "best --export: $(tail -3 "$T/err")"
for f in "rsi:14@4h" "log_return@1d" "close_z:20" "volume_log" "range_z:20@4h"; do
    grep -aqF "$f" "$T/m.stm" || fail "the model file does not name $f"
done
head -n 1702 "$T/c.csv" >"$T/cut.csv"   # header + rows 0..1700: 1700 opens a 4h bucket, 20:00 UTC
"$bin" predict --model "$T/m.stm" --data "$T/c.csv" -o "$T/full.csv" 2>"$T/err" ||
    fail "predict: $(tail -3 "$T/err")"
"$bin" predict --model "$T/m.stm" --data "$T/cut.csv" -o "$T/cut_sig.csv" 2>"$T/err" ||
    fail "predict on the cut candles: $(tail -3 "$T/err")"
n_cut=$(($(wc -l <"$T/cut_sig.csv") - 1))
n_full=$(($(wc -l <"$T/full.csv") - 1))
same=$(head -n $((n_cut + 1)) "$T/full.csv" | cmp -s - "$T/cut_sig.csv" && echo yes)
[ "$same" = yes ] && [ "$n_full" = $((n_cut + 299)) ] &&
    ok "predict: the $n_cut signals of the cut candles equal the first $n_cut of all $n_full" ||
    fail "predict: cut $n_cut lines, full $n_full, identical prefix: ${same:-no}"
# The largest warm-up is range_z:20@4h's: 20 closed 4h candles, the 20th closed by
# row 19 * 4 + 3 = 79 (synth starts at 00:00 UTC); with the window of 12 the first
# signal is at row 90, and there is one per row from there on.
first_ts=$(sed -n 2p "$T/full.csv" | cut -d, -f1)
want_ts=$(sed -n "$((79 + 11 + 2))p" "$T/c.csv" | cut -d, -f1)
[ "$first_ts" = "$want_ts" ] && [ "$n_full" = $((2000 - 90)) ] &&
    ok "signals from row 90 ($first_ts) on, one per row" ||
    fail "first signal at $first_ts, expected $want_ts (row 90); $n_full lines, expected 1910"
finish
