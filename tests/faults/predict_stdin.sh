#!/usr/bin/env bash
# predict_stdin.sh - model files and candles that are not regular files (issue
# 14, item 10): `predict --data -` reads the candles from a pipe and from a FIFO
# and writes the same signals as from the file; a model that is a FIFO or
# /dev/zero is refused at once (exit 2, "is not a regular file").
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
timeout 10 "$bin" predict --model "$T/model.fifo" --data "$fix/candles/good.csv" 2>"$T/mf.err" <&- &
pid=$!
sleep 0.3; exec 3>"$T/model.fifo"; exec 3>&-   # a writer opens and closes, so open() returns
wait $pid; rc=$?
check "a model that is a FIFO: exit 2 (got $rc)" test $rc -eq 2
check "... is not a regular file" grep -q "is not a regular file" "$T/mf.err"
timeout 10 "$bin" predict --model /dev/zero --data "$fix/candles/good.csv" 2>"$T/z.err"; rc=$?
check "a model that is /dev/zero: exit 2 at once (got $rc)" test $rc -eq 2
finish
