#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] [BUILD_DIR] - runs each libFuzzer target for SECONDS
# (default 60) on its seed corpus fuzz/corpus/NAME/ plus its kept regressions,
# prints one line per target ("PASS fuzz_NAME: N executions in S s" or
# "FAIL fuzz_NAME: ..."), and exits 1 if any target crashed, leaked or broke an
# invariant. New corpus entries go to a scratch folder, never into fuzz/corpus.
# A crashing input is saved under BUILD_DIR/fuzz-crashes/NAME/: fix the bug, then
# copy the input to fuzz/regressions/NAME/ so the replay test keeps it fixed.
#
# Build first:  CC=clang meson setup build-fuzz -Dfuzz=true -Dbuildtype=debugoptimized
#               meson compile -C build-fuzz
# Longer run:   fuzz/run.sh 3600    (or one target by hand:
#               build-fuzz/fuzz/fuzz_spec -max_total_time=3600 /tmp/c fuzz/corpus/spec)
set -u
cd "$(dirname "$0")/.."
secs=${1:-60}
build=${2:-build-fuzz}
targets="spec candles filter model"
status=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in $targets; do
  bin="$build/fuzz/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "SKIP fuzz_$t: not built (its module is not on this branch yet)"
    continue
  fi
  mkdir -p "$work/$t" "$build/fuzz-crashes/$t"
  dirs="fuzz/corpus/$t"
  [ -d "fuzz/regressions/$t" ] && dirs="$dirs fuzz/regressions/$t"
  dict=""
  [ -f "fuzz/dict/$t.dict" ] && dict="-dict=fuzz/dict/$t.dict"
  log="$work/$t.log"
  # shellcheck disable=SC2086
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build/fuzz-crashes/$t/" $dict "$work/$t" $dirs >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  [ -z "$runs" ] && runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
  if [ $rc -eq 0 ] && ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
    echo "PASS fuzz_$t: ${runs:-?} executions in $secs s"
  else
    status=1
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "FAIL fuzz_$t: exit $rc after ${runs:-?} executions; input: ${crash:-none saved}"
    grep -E 'ERROR:|runtime error:|invariant broken|^    #[0-9]' "$log" | head -25 | sed 's/^/    /'
  fi
done
exit $status
