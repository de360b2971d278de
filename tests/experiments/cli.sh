#!/usr/bin/env bash
# cli.sh - end-to-end tests of the `seqtune` command line: --help for every
# command, --version, unknown commands and options (exit 1 with a hint), synth
# (determinism, errors), and `validate`: one bad spec per error class (exit 2,
# the exact JSON path in the message), all errors at once, and demo.json on
# candles made by `seqtune synth`.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
BIN=${SEQTUNE_BIN:?SEQTUNE_BIN not set}
SRC=${SEQTUNE_SRC:?SEQTUNE_SRC not set}
make_tmp "${TMPDIR:-/tmp}/seqtune_cli.XXXXXX"
fails=0 checks=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# run WANT_RC ARGS...: runs the binary, keeps stdout/stderr in $T/out, $T/err
run() {
  local want=$1; shift
  checks=$((checks + 1))
  "$BIN" "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "seqtune $* exited $rc, expected $want; stderr: $(head -c 600 "$T/err")"
    return 1
  fi
  return 0
}

# has FILE TEXT: FILE contains TEXT literally
has() {
  checks=$((checks + 1))
  grep -qF -- "$2" "$1" || fail "$1 lacks '$2'; it has: $(head -c 800 "$1")"
}

# --- help, version, unknown commands and options ---------------------------------
run 0 --version && has "$T/out" "seqtune 0.1.0"
run 0 version
run 0 --help && has "$T/out" "usage: seqtune"
cmds=$(awk '/^Commands:/{on=1; next} on && /^  [a-z]/{print $1}' "$T/out")
run 1
[ -n "$cmds" ] || fail "no commands listed in --help"
for c in $cmds; do
  run 0 "$c" --help && has "$T/out" "usage: seqtune $c"
  run 0 help "$c" && has "$T/out" "usage: seqtune $c"
done
run 1 valdate x.json && has "$T/err" "seqtune: valdate: unknown command (did you mean 'validate'?)"
run 1 frobnicate && has "$T/err" "seqtune: frobnicate: unknown command"
run 1 --frob && has "$T/err" "unknown option"
run 1 synth --barz 5 -o "$T/x.csv" && has "$T/err" "seqtune: synth: unknown option '--barz' (did you mean '--bars'?)"
run 1 validate --compat x.json && has "$T/err" "(did you mean '--compact'?)"
run 1 validate && has "$T/err" "seqtune: validate: missing SPEC.json"
run 1 validate a.json b.json
run 1 synth && has "$T/err" "seqtune: synth: missing -o FILE"
run 1 synth -o "$T/x.csv" --bars 0 && has "$T/err" "--bars: expected a whole number"
run 1 synth -o "$T/x.csv" --interval 1x && has "$T/err" "--interval: '1x' is not a bar length"
run 1 synth -o "$T/x.csv" --seed abc && has "$T/err" "--seed"
run 1 synth -o
run 2 synth -o "$T/no/such/dir/x.csv" && has "$T/err" "seqtune: synth: $T/no/such/dir/x.csv"

# --- synth: format, determinism ---------------------------------------------------
run 0 synth -o "$T/a.csv" --bars 500 --seed 5 --interval 5m --start 1600000000
run 0 synth -o "$T/b.csv" --bars 500 --seed 5 --interval 5m --start 1600000000
run 0 synth -o "$T/c.csv" --bars 500 --seed 6 --interval 5m --start 1600000000
checks=$((checks + 3))
cmp -s "$T/a.csv" "$T/b.csv" || fail "same seed gave different files"
cmp -s "$T/a.csv" "$T/c.csv" && fail "different seeds gave the same file"
[ "$(wc -l <"$T/a.csv")" -eq 501 ] || fail "500 bars should give 501 lines"
has "$T/a.csv" "timestamp,open,high,low,close,volume"
has "$T/a.csv" "1600000300,"
ls "$T"/a.csv.tmp* >/dev/null 2>&1 && fail "synth left a temporary file"

# --- validate: a valid spec, then one bad spec per error class ---------------------
run 0 synth -o "$T/candles.csv" --bars 300 --seed 1
good='{"name": "t", "data": {"path": "candles.csv"}, "features": ["log_return", "rsi:14"],
 "search": {"sampler": {"name": "tpe", "seed": 3}, "pruner": {"name": "median"},
   "space": {"units": {"type": "int", "low": 4, "high": 16},
             "dropout": {"type": "float", "low": 0, "high": 0.5},
             "batch_size": {"type": "categorical", "choices": [32, 64]}}}}'
echo "$good" >"$T/good.json"
run 0 validate "$T/good.json" && has "$T/out" "\"path\":	\"$T/candles.csv\"" && has "$T/out" '"n_ei_candidates":	24'
run 0 validate --compact "$T/good.json" && has "$T/out" '"pruner":{"name":"median","n_startup_trials":5,"n_warmup_steps":0,"interval":1}'

# bad NAME JSON_PATH_MESSAGE PYTHON_EDIT: writes good.json changed by the python
# statement (on dict s) to NAME.json and expects exit 2 and the message.
bad() {
  local name=$1 msg=$2 edit=$3
  python3 -c "import json,sys; s=json.load(open('$T/good.json')); $edit; json.dump(s, open('$T/$name.json','w'))" \
    || { fail "python edit for $name"; return; }
  run 2 validate "$T/$name.json" && has "$T/err" "seqtune: $T/$name.json: $msg"
}
bad missing_name   'name: expected a study name of 1-200 printable characters' "del s['name']"
bad missing_space  'search.space: expected an object of parameters (required), got nothing' "del s['search']['space']"
bad wrong_type     'search.space.units.low: expected an integer, got "4"' "s['search']['space']['units']['low']='4'"
bad low_ge_high    'search.space.units.high: expected a number > low (16), got 16' "s['search']['space']['units']['low']=16"
bad log_low        'search.space.dropout.low: expected a number > 0 ("log": true), got 0' "s['search']['space']['dropout']['log']=True"
bad lstm_range     'search.space.units.low: expected a number > 0, got -3' "s['search']['space']['units']['low']=-3"
bad dropout_range  'search.space.dropout.high: expected a number in [0, 1), got 1' "s['search']['space']['dropout']['high']=1"
bad sampler_name   'search.sampler.name: expected one of random, sobol, tpe, gp, grid, motpe, nsga2, got "tpf" (did you mean "tpe"?)' "s['search']['sampler']['name']='tpf'"
bad pruner_name    'search.pruner.name: expected one of none, median, percentile, successive_halving, got "mediam" (did you mean "median"?)' "s['search']['pruner']['name']='mediam'"
bad metric_name    'search.metric: expected one of val_log_loss, val_accuracy, val_balanced_accuracy, val_auc, val_brier, val_mcc, val_mse, val_mae, sharpe, sortino, total_return, max_drawdown, val_macro_f1, val_rmse, val_mape, val_directional_accuracy, got "val_acu" (did you mean "val_auc"?)' "s['search']['metric']='val_acu'; s['search']['direction']='maximize'"
bad feature_name   'features[1]: expected a known feature, got "rsl:14" (did you mean "rsi"?)' "s['features'][1]='rsl:14'"
bad empty_choices  'search.space.batch_size.choices: expected a non-empty array of numbers, strings or booleans, got []' "s['search']['space']['batch_size']['choices']=[]"
bad unknown_key    'search.space.units.hihg: expected one of the keys type, low, high, step, log, choices, when, got unknown key "hihg" (did you mean "high"?)' "s['search']['space']['units']['hihg']=3"
bad unknown_param  'search.space.unitz: expected a parameter the LSTM trainer knows' "s['search']['space']['unitz']=s['search']['space'].pop('units')"
bad data_missing   'data.path: expected a readable file, got "nope.csv"' "s['data']['path']='nope.csv'"
bad data_dir       'data.path: expected a readable file, got "."' "s['data']['path']='.'"
has "$T/err" "1 error; the spec was refused"
bad all_at_once    '4 errors; the spec was refused' "s['name']=''; s['search']['sampler']['name']='tpf'; s['features']=['zzz']; s['validation']={'folds': 0}"
has "$T/err" "name: expected"
has "$T/err" "search.sampler.name: expected"
has "$T/err" "features[0]: expected"
has "$T/err" "validation.folds: expected an integer in [1, 1000], got 0"
printf '{"name": "x",\n "search": }' >"$T/syntax.json"
run 2 validate "$T/syntax.json" && has "$T/err" "seqtune: $T/syntax.json: expected valid JSON, got a syntax error at line 2, column 12"
run 2 validate "$T/none.json" && has "$T/err" "seqtune: $T/none.json: expected a readable spec file"

# --- demo.json validates beside candles made by synth; its output validates again ---
mkdir -p "$T/repo/experiments/specs" "$T/repo/demo"
cp "$SRC/experiments/specs/demo.json" "$T/repo/experiments/specs/"
run 0 synth -o "$T/repo/demo/candles_1h.csv" --bars 2000 --seed 7
run 0 validate "$T/repo/experiments/specs/demo.json" && has "$T/out" "$T/repo/demo/candles_1h.csv"
cp "$T/out" "$T/demo_canonical.json"
run 0 validate "$T/demo_canonical.json"
checks=$((checks + 1))
cmp -s "$T/out" "$T/demo_canonical.json" || fail "validate's output does not validate to itself"

echo "$checks checks, $fails failed" >&2
[ "$fails" -eq 0 ]
