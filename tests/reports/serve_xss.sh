#!/usr/bin/env bash
# serve_xss.sh - hostile strings in the store must show as text in the
# dashboard, never as markup. Study "xss-run" is a real `seqtune run` whose
# categorical choices carry HTML/JS and whose failing trials print it on stderr
# (so it lands in error texts); test_xss_store adds a study whose name, params,
# tags, fold layout and error texts carry <script>alert(1)</script> and
# "><img src=x onerror=alert(1)>. Headless Chromium loads each page (study
# list, the hostile study's page and trial table, trial pages with those error
# texts, the comparison of both studies) and its DOM is checked: the hostile
# strings are there as text, no element or handler came from them, the one
# script is the server's.
# Usage: serve_xss.sh PATH/TO/test_xss_store
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
writer=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/serve_lib.sh"
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ] || [ ! -x "$chromium" ]; then
    echo "SKIP: chromium is not installed"; exit 77
fi
make_tmp /tmp/seqtune-serve-xss-XXXXXX
SERVE_PID=""
at_exit '[ -n "$SERVE_PID" ] && kill -KILL $SERVE_PID 2>/dev/null'
cat >"$T/x.json" <<'JSON'
{
  "name": "xss-run",
  "objective": {"command": ["sh", "-c",
    "p=$(cat); case \"$p\" in *script*) echo '<script>alert(1)</script>' >&2; exit 3;; esac; echo 0.5"]},
  "search": {
    "n_trials": 6,
    "sampler": {"name": "random", "seed": 1},
    "metric": "val", "direction": "minimize",
    "space": {
      "x": {"type": "float", "low": 0, "high": 1},
      "k": {"type": "categorical",
            "choices": ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>"]}
    }
  }
}
JSON
"$SEQTUNE_BIN" run "$T/x.json" --db "$T/x.db" --quiet || { echo "FAIL: seqtune run x.json"; exit 1; }
"$writer" "$T/x.db" || { echo "FAIL: test_xss_store"; exit 1; }
failed=$("$SEQTUNE_BIN" trials --study xss-run --db "$T/x.db" --format json --filter "state = 'FAIL'" |
         python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["trial_number"])') ||
    { echo "FAIL: xss-run has no failed trial"; exit 1; }
serve_start "$T/x.db" "$T/serve.log" || exit 1
E=$(python3 -c 'import urllib.parse; print(urllib.parse.quote("<script>alert(1)</script>", safe=""))')
pages="/ /studies/$E /studies/$E/trials?order_by=value /studies/$E/trials/2
/studies/xss-run/trials/$failed /compare?study=xss-run&study=$E"
i=0
fail=0
for p in $pages; do
    i=$((i + 1))
    code=$(curl -s -o "$T/raw$i.html" -w '%{http_code}' "${URL%/}$p")
    [ "$code" = 200 ] || { echo "FAIL: $p: HTTP $code"; fail=1; }
    timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --user-data-dir="$T/profile$i" --enable-logging=stderr --v=0 \
        --dump-dom "${URL%/}$p" >"$T/dom$i.html" 2>"$T/log$i.txt"
    if ! grep -q '</html>' "$T/dom$i.html"; then
        echo "SKIP: chromium cannot start"; tail -5 "$T/log$i.txt"; exit 77
    fi
    echo "$p" >"$T/path$i"
done
python3 - "$T" "$i" <<'PY' || fail=1
import os, re, sys
from html.parser import HTMLParser
d, n = sys.argv[1], int(sys.argv[2])
S1, S2 = "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'
fails = []
class Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.handlers, self.text, self.scripts, self.root = {}, [], [], [], {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "html": self.root = a
        if tag == "script": self.scripts.append(a.get("src"))
        self.handlers += [(tag, k) for k, _ in attrs if k.startswith("on")]
    def handle_data(self, data):
        self.text.append(data)
for k in range(1, n + 1):
    path = open(f"{d}/path{k}").read().strip()
    p = Dom(); p.feed(open(f"{d}/dom{k}.html", encoding="utf-8").read()); text = "".join(p.text)
    raw = open(f"{d}/raw{k}.html", encoding="utf-8").read()
    if p.scripts != ["/static/serve.js"]:
        fails.append(f"{path}: scripts {p.scripts}, expected only /static/serve.js")
    for bad in ("img", "iframe", "object", "embed", "link", "base"):
        if p.tags.get(bad): fails.append(f"{path}: {p.tags[bad]} <{bad}> elements")
    if p.handlers: fails.append(f"{path}: event-handler attributes {p.handlers[:3]}")
    if "data-js-error" in p.root: fails.append(f"{path}: script error {p.root['data-js-error']}")
    if raw.count("<script") != 1 or "<img" in raw:
        fails.append(f"{path}: unescaped markup in the served HTML")
    want = [S1, S2] if path.endswith("/trials/2") or path.startswith("/compare") else [S1]
    for s in want:
        if s not in text: fails.append(f"{path}: hostile string {s!r} not shown as text")
    if "trials/" in path and "error" not in text.lower():
        fails.append(f"{path}: no error text shown")
    for line in open(f"{d}/log{k}.txt", errors="replace"):
        if re.search(r"Uncaught|Refused to", line): fails.append(f"{path}: console {line.strip()[:160]}")
    print(f"{path}: {len(text)} characters of text, scripts {p.scripts}")
for f in fails: print("FAIL:", f)
print(f"serve xss checks: {len(fails)} failed")
sys.exit(1 if fails else 0)
PY
serve_stop || fail=1
[ $fail -eq 0 ] && echo "serve xss: ok"
exit $fail
