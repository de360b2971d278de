#!/usr/bin/env bash
# serve_live.sh - the dashboard while a real study runs: `seqtune run` in the
# background (a builtin objective that sleeps, so trials finish every ~0.2 s),
# `seqtune serve` over the same store, and headless Chromium on the study page
# for 8 s of page time. Its DOM must show more finished trials than the page
# had when served, rows added by the live updates, every report section, the
# page script's own checks passed and no other script. Then 200 concurrent
# requests from a bounded loopback load loop (one per thread, 30 s limit) must
# all get 200, and the study must still finish all of its trials, none failed.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/serve_lib.sh"
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ] || [ ! -x "$chromium" ]; then
    echo "SKIP: chromium is not installed"; exit 77
fi
make_tmp /tmp/seqtune-serve-live-XXXXXX
SERVE_PID=""
RUN_PID=""
at_exit '[ -n "$SERVE_PID" ] && kill -KILL $SERVE_PID 2>/dev/null'
at_exit '[ -n "$RUN_PID" ] && kill -KILL $RUN_PID 2>/dev/null'
N=100
cat >"$T/spec.json" <<JSON
{"name": "live-study", "objective": {"builtin": "branin", "sleep_s": 0.2},
 "search": {"n_trials": $N, "sampler": {"name": "tpe", "seed": 5, "n_startup_trials": 10},
  "pruner": {"name": "none"}, "direction": "minimize",
  "space": {"x1": {"type": "float", "low": -5, "high": 10},
            "x2": {"type": "float", "low": 0, "high": 15}}}}
JSON
"$SEQTUNE_BIN" run "$T/spec.json" --db "$T/s.db" --quiet &
RUN_PID=$!
complete() {
    "$SEQTUNE_BIN" studies --db "$T/s.db" --format json 2>/dev/null |
        python3 -c 'import json,sys; s=json.load(sys.stdin); print(s[0]["complete"] if s else 0)' 2>/dev/null || echo 0
}
for _ in $(seq 1 100); do
    [ "$(complete)" -ge 3 ] && break
    sleep 0.1
done
serve_start "$T/s.db" "$T/serve.log" || exit 1
curl -s "${URL}studies/live-study" >"$T/served.html"
before=$(grep -o 'id="n-COMPLETE">[0-9]*' "$T/served.html" | grep -o '[0-9]*$')
echo "served page: $before complete trials"
timeout 90 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --user-data-dir="$T/profile" --enable-logging=stderr --v=0 \
    --virtual-time-budget=8000 --dump-dom "${URL}studies/live-study" >"$T/dom.html" 2>"$T/chrome.log"
if ! grep -q '</html>' "$T/dom.html"; then
    echo "SKIP: chromium cannot start"; tail -5 "$T/chrome.log"; exit 77
fi
fail=0
python3 - "$T/dom.html" "$T/chrome.log" "${before:-0}" <<'PY' || fail=1
import re, sys
from html.parser import HTMLParser
dom, log, before = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2], int(sys.argv[3])
fails = []
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.tags, self.live_rows, self.root, self.livesec, self.handlers = {}, {}, 0, {}, {}, []
        self.cur = None; self.text = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "html": self.root = a
        if a.get("id"): self.ids[a["id"]] = a; self.cur = a["id"]
        if a.get("id") == "live": self.livesec = a
        if tag == "tr" and a.get("data-live") == "1": self.live_rows += 1
        self.handlers += [(tag, k) for k in a if k.startswith("on")]
    def handle_data(self, d):
        if self.cur: self.text[self.cur] = self.text.get(self.cur, "") + d
    def handle_endtag(self, tag):
        self.cur = None
p = P(); p.feed(dom)
after = int(p.text.get("n-COMPLETE", "0").strip() or 0)
print(f"DOM after 8 s of page time: {after} complete trials (served page: {before}), "
      f"{p.live_rows} rows added live, {p.livesec.get('data-polls')} polls")
if after <= before: fails.append(f"the DOM shows {after} complete trials, not more than the {before} served")
if p.live_rows < 1: fails.append("no trial rows were added by the live updates")
if int(p.livesec.get("data-polls", "0")) < 1: fails.append("the page never polled")
if "data-live-error" in p.livesec: fails.append(f"live error: {p.livesec['data-live-error']}")
if p.root.get("data-ready") != "1": fails.append("the page script did not finish (no data-ready)")
if "data-js-error" in p.root: fails.append(f"script error: {p.root['data-js-error']}")
for s in ["summary", "best", "history", "importance", "slices", "parallel", "intermediate", "spec", "live", "latest"]:
    if s not in p.ids: fails.append(f"section {s} missing")
if p.tags.get("script", 0) != 1: fails.append(f"{p.tags.get('script', 0)} script elements, expected 1")
if p.tags.get("svg", 0) < 4: fails.append(f"only {p.tags.get('svg', 0)} charts")
if p.handlers: fails.append(f"event-handler attributes: {p.handlers[:3]}")
for line in open(log, errors="replace"):
    if re.search(r"Uncaught|Refused to|Content.Security.Policy", line):
        fails.append("console: " + line.strip()[:200])
for f in fails: print("FAIL:", f)
sys.exit(1 if fails else 0)
PY
# 200 concurrent requests over loopback, each thread one request, bounded in time.
python3 - "$PORT" <<'PY' || fail=1
import http.client, sys, threading, time
port, n = int(sys.argv[1]), 200
paths = ["/api/studies", "/api/studies/live-study", "/api/studies/live-study/trials?order_by=value&limit=20",
         "/api/studies/live-study/updates?since=0", "/studies/live-study", "/studies/live-study/trials",
         "/", "/api/studies/live-study/trials/1"]
res, go = [None] * n, threading.Barrier(n)
def one(i):
    try:
        go.wait(timeout=10)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", paths[i % len(paths)])
        r = c.getresponse(); body = r.read()
        res[i] = (r.status, len(body))
        c.close()
    except Exception as e:
        res[i] = ("error", repr(e))
t0 = time.time()
th = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in th: t.start()
for t in th: t.join(timeout=40)
bad = [(i, r) for i, r in enumerate(res) if r is None or r[0] != 200 or r[1] == 0]
print(f"load: {n} concurrent requests in {time.time() - t0:.2f} s, {n - len(bad)} answered 200")
for i, r in bad[:5]: print(f"FAIL: request {i} {paths[i % len(paths)]}: {r}")
sys.exit(1 if bad else 0)
PY
wait "$RUN_PID"
rc=$?
RUN_PID=""
[ "$rc" -eq 0 ] || { echo "FAIL: seqtune run exited $rc while served"; fail=1; }
"$SEQTUNE_BIN" studies --db "$T/s.db" --format json >"$T/st.json"
python3 - "$T/st.json" "$N" <<'PY' || fail=1
import json, sys
s, n = json.load(open(sys.argv[1]))[0], int(sys.argv[2])
print(f"study after the load: {s['runs']} runs, {s['complete']} complete, {s['fail']} failed, {s['status']}")
ok = s["runs"] == n and s["complete"] == n and s["fail"] == 0 and s["status"] == "COMPLETE"
if not ok: print("FAIL: the running study lost trials or failed some")
sys.exit(0 if ok else 1)
PY
serve_stop || fail=1
[ $fail -eq 0 ] && echo "serve live: ok"
exit $fail
