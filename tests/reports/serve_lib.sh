# serve_lib.sh - sourced by the serve_*.sh tests: start `seqtune serve` on a free
# loopback port and stop it. After serve_start DB LOG: $SERVE_PID, $URL
# (http://127.0.0.1:PORT/) and $PORT are set; serve_stop sends SIGTERM and
# checks the exit status (0) within 10 s.
serve_start() {
    local db=$1 log=$2
    "$SEQTUNE_BIN" serve --db "$db" --port 0 2>"$log" &
    SERVE_PID=$!
    URL=""
    for _ in $(seq 1 100); do
        URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$log" | head -1)
        [ -n "$URL" ] && break
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$URL" ]; then
        echo "FAIL: seqtune serve did not start"; cat "$log"; return 1
    fi
    PORT=${URL##*:}; PORT=${PORT%/}
}

serve_stop() {
    kill -TERM "$SERVE_PID" 2>/dev/null
    local i
    for i in $(seq 1 100); do
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SERVE_PID" 2>/dev/null; then
        echo "FAIL: seqtune serve still running 10 s after SIGTERM"; kill -KILL "$SERVE_PID"; return 1
    fi
    wait "$SERVE_PID"
    local rc=$?
    [ "$rc" -eq 0 ] || { echo "FAIL: seqtune serve exited $rc after SIGTERM"; return 1; }
}
