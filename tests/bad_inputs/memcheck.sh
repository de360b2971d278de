#!/usr/bin/env bash
# memcheck.sh cli|run - runs seqtune under valgrind memcheck (issue 9, item 4):
# no invalid access, no use of uninitialised values, no definite or indirect
# leak (--errors-for-leak-kinds=definite,indirect), or the test fails.
#   cli: the commands that exist on every branch (synth, validate, a refused
#        spec, studies/trials/export on a small store when the helper is given
#        as $2);
#   run: a small end-to-end study (builtin objective, then a 2-trial LSTM study
#        on synthetic candles), then trials, best --export, predict with the
#        exported model, and report over its store.
# Declared in meson only for the plain build (valgrind cannot run ASan code).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
bin=${SEQTUNE_BIN:?SEQTUNE_BIN is not set}
mode=${1:-cli}
mkstore=${2:-}
need_cmd valgrind
make_tmp
export OPENBLAS_NUM_THREADS=1
failures=0
vg() {  # vg NAME WANT_EXIT ARGS...: one seqtune command under memcheck
  local name=$1 want=$2; shift 2
  valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
    --log-file="$T/vg.$name.log" "$bin" "$@" >"$T/out.$name" 2>"$T/err.$name"
  local rc=$?
  if [ "$rc" -eq 99 ] || grep -qE 'Invalid (read|write|free)|uninitialised|definitely lost: [1-9]|indirectly lost: [1-9]' "$T/vg.$name.log"; then
    echo "FAIL $name: memcheck errors"; grep -E '^==[0-9]+== ' "$T/vg.$name.log" | head -40
    failures=$((failures + 1))
  elif [ "$rc" -ne "$want" ]; then
    echo "FAIL $name: exit $rc, expected $want"; head -5 "$T/err.$name"
    failures=$((failures + 1))
  else
    echo "ok $name (exit $rc; $(grep -o 'ERROR SUMMARY: [0-9]* errors' "$T/vg.$name.log"))"
  fi
}
case $mode in
cli)
  vg synth 0 synth -o "$T/c.csv" --bars 500 --seed 3
  sed "s#\"../candles/good.csv\"#\"$T/c.csv\"#" "${SEQTUNE_SRC:-.}/tests/bad_inputs/specs/good.json" >"$T/good.json"
  vg validate 0 validate "$T/good.json"
  vg validate_bad 2 validate "${SEQTUNE_SRC:-.}/tests/bad_inputs/specs/low_ge_high.json"
  if [ -n "$mkstore" ] && [ -x "$mkstore" ]; then
    "$mkstore" "$T/s.db" || { echo "FAIL: store helper"; exit 1; }
    vg trials 0 trials --db "$T/s.db" --study s --filter "params.units >= 32 and tags.note = 'slow'" --order-by "metrics.val_loss desc"
    vg export 0 export --db "$T/s.db" --study s --format json -o "$T/e.json"
    vg filter_bad 2 trials --db "$T/s.db" --study s --filter "state = 'x"
  fi
  ;;
run)
  "$bin" run --help >/dev/null 2>&1 || { echo "SKIP: this seqtune has no 'run' command yet"; exit 77; }
  cat >"$T/branin.json" <<'JSON'
{"name": "vg-branin", "objective": {"builtin": "branin", "sleep_s": 0},
 "search": {"n_trials": 6, "sampler": {"name": "tpe", "seed": 1, "n_startup_trials": 3},
  "pruner": {"name": "none"},
  "space": {"x1": {"type": "float", "low": -5, "high": 10},
            "x2": {"type": "float", "low": 0, "high": 15}}}}
JSON
  vg run_branin 0 run "$T/branin.json" --db "$T/r.db" --quiet
  "$bin" synth -o "$T/candles.csv" --bars 600 --seed 5 >/dev/null || exit 1
  cat >"$T/lstm.json" <<'JSON'
{"name": "vg-lstm", "data": {"path": "candles.csv"}, "features": ["log_return", "rsi:14"],
 "validation": {"folds": 2, "val_fraction": 0.2, "holdout_fraction": 0.15},
 "training": {"max_epochs": 2, "patience": 1},
 "search": {"n_trials": 2, "sampler": {"name": "random", "seed": 2}, "pruner": {"name": "median"},
  "space": {"units": {"type": "int", "low": 4, "high": 8},
            "seq_len": {"type": "int", "low": 8, "high": 12}}}}
JSON
  vg run_lstm 0 run "$T/lstm.json" --db "$T/r.db" --quiet
  vg trials_after_run 0 trials --db "$T/r.db" --study vg-lstm
  vg best_export 0 best --db "$T/r.db" --study vg-lstm --export "$T/m.stm"
  vg predict 0 predict --model "$T/m.stm" --data "$T/candles.csv" -o "$T/signals.csv"
  vg report 0 report --db "$T/r.db" --study vg-lstm --study vg-branin -o "$T/r.html"
  ;;
*) echo "usage: memcheck.sh cli|run [MKSTORE]"; exit 1 ;;
esac
[ "$failures" -eq 0 ] || exit 1
