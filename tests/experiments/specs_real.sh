#!/usr/bin/env bash
# specs_real.sh - the example specs for the real candles (experiments/specs/btc_*.json)
# validate. Their data paths are relative (../../../shared/data/...); when the
# candles live elsewhere (meson option data_dir), the test points a copy at them.
# SKIP (exit 77) when the real candles are absent.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?} SRC=${SEQTUNE_SRC:?} DATA=${SEQTUNE_DATA:-}
need_file "$DATA/btcusdt_binance_1h_2021-10-01_2022-10-31.csv" "the real candles (set -Ddata_dir=...)"
make_tmp "${TMPDIR:-/tmp}/seqtune_specs.XXXXXX"
fails=0
for spec in "$SRC"/experiments/specs/btc_*.json; do
  sed "s#\.\./\.\./\.\./shared/data#$DATA#" "$spec" >"$T/$(basename "$spec")"
  if ! "$BIN" validate "$T/$(basename "$spec")" >"$T/out" 2>"$T/err"; then
    echo "FAIL: $spec does not validate: $(cat "$T/err")" >&2; fails=$((fails + 1))
  fi
done
# in place too, when the checkout sits beside ../shared as the specs assume
if [ -d "$SRC/../shared/data" ]; then
  "$BIN" validate "$SRC/experiments/specs/btc_1h.json" >/dev/null 2>"$T/err" ||
    { echo "FAIL: btc_1h.json in place: $(cat "$T/err")" >&2; fails=$((fails + 1)); }
fi
echo "$fails failed" >&2
[ "$fails" -eq 0 ]
