#!/usr/bin/env bash
# predict_stdin.sh - model files and candles that are not regular files (issue
# 14, item 10): `predict --data -` reads the candles from a pipe and from a FIFO
# and writes the same signals as from the file; a model that is a FIFO or
# /dev/zero is refused at once (exit 2, "is not a regular file"), and so are a
# FIFO given as the spec, the candles file or the store: with no writer on the
# FIFO (opening one for reading would wait for a writer for ever).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
bin=${SEQTUNE_BIN:?}
fix=${SEQTUNE_SRC:?}/tests/bad_inputs
make_tmp
m=$fix/models/good.model
"$bin" predict --model "$m" --data "$fix/candles/good.csv" -o "$T/file.csv" 2>/dev/null
check "predict from the file: exit 0" test $? -eq 0 -a -s "$T/file.csv"
cat "$fix/candles/good.csv" | "$bin" predict --model "$m" --data - -o "$T/pipe.csv" 2>"$T/pipe.err"
check "predict --data - from a pipe: exit 0 ($(head -c 200 "$T/pipe.err"))" test $? -eq 0
check "... the same signals as from the file" cmp -s "$T/file.csv" "$T/pipe.csv"
mkfifo "$T/fifo"
cat "$fix/candles/good.csv" >"$T/fifo" &
"$bin" predict --model "$m" --data - -o "$T/fifo.csv" <"$T/fifo" 2>/dev/null
check "predict --data - from a FIFO: the same signals" cmp -s "$T/file.csv" "$T/fifo.csv"
mkfifo "$T/model.fifo"
timeout 10 "$bin" predict --model "$T/model.fifo" --data "$fix/candles/good.csv" 2>"$T/mf.err" <&-
rc=$?
check "a model that is a FIFO, no writer: exit 2 (got $rc)" test $rc -eq 2
check "... is not a regular file" grep -q "is not a regular file" "$T/mf.err"
timeout 10 "$bin" predict --model "$m" --data "$T/fifo" 2>"$T/df.err" <&-; rc=$?
check "candles that are a FIFO, no writer: exit 2 (got $rc)" test $rc -eq 2
check "... not a regular file" grep -q "not a regular file" "$T/df.err"
for c in validate run; do
    timeout 10 "$bin" $c "$T/fifo" 2>"$T/sf.err" <&-; rc=$?
    check "$c with a spec that is a FIFO, no writer: exit 2 (got $rc)" test $rc -eq 2
    check "... names it" grep -q "expected a readable spec file, got something that is not a regular file" "$T/sf.err"
done
mkdir "$T/dir.json"
timeout 10 "$bin" validate "$T/dir.json" 2>"$T/dir.err"; rc=$?
check "a spec that is a directory: exit 2 (got $rc), named" test $rc -eq 2 -a -n "$(grep 'got a directory' "$T/dir.err")"
timeout 10 "$bin" models --db "$T/fifo" 2>"$T/bf.err" <&-; rc=$?
check "a store that is a FIFO, no writer: exit 2 (got $rc)" test $rc -eq 2
timeout 10 "$bin" predict --model /dev/zero --data "$fix/candles/good.csv" 2>"$T/z.err"; rc=$?
check "a model that is /dev/zero: exit 2 at once (got $rc)" test $rc -eq 2
finish
