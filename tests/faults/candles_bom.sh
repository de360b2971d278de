#!/usr/bin/env bash
# candles_bom.sh - a UTF-8 byte order mark before the candles (issue 14, item
# 11): a headerless file with a BOM keeps its first candle (same row count and
# first time as without), and so does a file with a BOM and a header.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
bin=${SEQTUNE_BIN:?}
make_tmp
"$bin" synth -o "$T/h.csv" --bars 600 --seed 2 >/dev/null
tail -n +2 "$T/h.csv" >"$T/plain.csv"
{ printf '\xEF\xBB\xBF'; cat "$T/plain.csv"; } >"$T/bom.csv"
{ printf '\xEF\xBB\xBF'; cat "$T/h.csv"; } >"$T/bomhdr.csv"
for f in h plain bom bomhdr; do
  cat >"$T/$f.json" <<JSON
{"name": "bom", "data": {"path": "$f.csv"}, "features": ["log_return"],
 "validation": {"folds": 1, "holdout_fraction": 0.1},
 "search": {"n_trials": 1, "space": {"units": {"type": "int", "low": 4, "high": 8}}}}
JSON
  "$bin" validate "$T/$f.json" 2>"$T/$f.err" >/dev/null
  echo "$f: $(grep '^candles:' "$T/$f.err" | cut -c1-60)"
done
want=$(grep '^candles:' "$T/h.err" | cut -d';' -f1)
check "the plain file: 600 rows" grep -q "^candles: 600 rows" "$T/h.err"
for f in plain bom bomhdr; do
  check "$f: the same rows and first time as the plain file" test "$(grep '^candles:' "$T/$f.err" | cut -d';' -f1)" = "$want"
done
finish
