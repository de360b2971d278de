#!/usr/bin/env bash
# serve_api.sh - `seqtune serve` against a real store from a real `seqtune run`:
# the JSON API's answers agree with the CLI's own listings (`seqtune studies`,
# `seqtune trials` with the same filter and order), paging joins up, bad
# parameters and filters get 400 with the compiler's message, unknown studies
# and trials 404; security: every response carries the CSP and nosniff
# headers, path traversal and a foreign Host are refused, writes get 405, the
# store file is unchanged, and SIGTERM stops the server with exit 0.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/serve_lib.sh"
make_tmp /tmp/seqtune-serve-api-XXXXXX
SERVE_PID=""
at_exit '[ -n "$SERVE_PID" ] && kill -KILL $SERVE_PID 2>/dev/null'
cat >"$T/spec.json" <<'JSON'
{"name": "api-study", "objective": {"builtin": "branin", "sleep_s": 0},
 "search": {"n_trials": 40, "sampler": {"name": "tpe", "seed": 7, "n_startup_trials": 8},
  "pruner": {"name": "none"}, "direction": "minimize",
  "space": {"x1": {"type": "float", "low": -5, "high": 10},
            "x2": {"type": "float", "low": 0, "high": 15}}}}
JSON
"$SEQTUNE_BIN" run "$T/spec.json" --db "$T/s.db" --quiet || { echo "FAIL: seqtune run"; exit 1; }
"$SEQTUNE_BIN" studies --db "$T/s.db" --format json >"$T/cli_studies.json" || exit 1
"$SEQTUNE_BIN" trials --study api-study --db "$T/s.db" --format json \
    --filter "params.x1 >= 0 and state = 'COMPLETE'" --order-by "value" >"$T/cli_filtered.json" || exit 1
"$SEQTUNE_BIN" trials --study api-study --db "$T/s.db" --format json >"$T/cli_all.json" || exit 1
sum_before=$(sha256sum "$T/s.db" | cut -d' ' -f1)
serve_start "$T/s.db" "$T/serve.log" || exit 1

python3 - "$URL" "$PORT" "$T" <<'PY'
import http.client, json, sys, urllib.parse
url, port, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fails = []

def req(path, method="GET", host=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    c.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
    if body is not None:
        c.putheader("Content-Length", str(len(body)))
    c.endheaders()
    if body is not None:
        c.send(body)
    r = c.getresponse()
    data = r.read()
    headers = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    csp = headers.get("content-security-policy", "")
    if "default-src 'none'" not in csp or "script-src 'self'" not in csp or "unsafe-inline" in csp.split("style-src")[0]:
        fails.append(f"{method} {path}: CSP header missing or weak: {csp!r}")
    if headers.get("x-content-type-options") != "nosniff":
        fails.append(f"{method} {path}: no X-Content-Type-Options: nosniff")
    return r.status, headers, data

def get_json(path, want=200):
    st, h, data = req(path)
    if st != want:
        fails.append(f"GET {path}: status {st}, expected {want}: {data[:200]!r}")
        return None
    if not h.get("content-type", "").startswith("application/json"):
        fails.append(f"GET {path}: content-type {h.get('content-type')}")
    return json.loads(data)

q = urllib.parse.quote
cli_studies = json.load(open(f"{tmp}/cli_studies.json"))
cli_all = json.load(open(f"{tmp}/cli_all.json"))
cli_f = json.load(open(f"{tmp}/cli_filtered.json"))

# /api/studies agrees with `seqtune studies`
s = get_json("/api/studies")
if s:
    a, c = s["studies"][0], cli_studies[0]
    checks = [("name", a["name"], c["name"]), ("total", a["counts"]["total"], c["runs"]),
              ("COMPLETE", a["counts"]["COMPLETE"], c["complete"]),
              ("FAIL", a["counts"]["FAIL"], c["fail"]), ("best", a["best_value"], c["best_value"]),
              ("status", a["status"], c["status"])]
    for k, x, y in checks:
        if x != y:
            fails.append(f"/api/studies {k}: {x!r} != CLI {y!r}")
    if a["counts"]["total"] != 40:
        fails.append(f"/api/studies: {a['counts']['total']} trials, expected 40")

d = get_json("/api/studies/api-study")
if d:
    if d["spec"]["search"]["n_trials"] != 40 or d["direction"] != "minimize":
        fails.append(f"/api/studies/api-study: spec or direction wrong: {d['direction']}")
    best = min(t["value"] for t in cli_all if t["state"] == "COMPLETE")
    if abs(d["best_value"] - best) > 1e-12:
        fails.append(f"best_value {d['best_value']} != min over the CLI's trials {best}")

# Filter and order: the same rows as `seqtune trials --filter ... --order-by value`
f = "params.x1 >= 0 and state = 'COMPLETE'"
t = get_json(f"/api/studies/api-study/trials?filter={q(f)}&order_by=value&limit=1000")
if t:
    got = [x["number"] for x in t["trials"]]
    want = [x["trial_number"] for x in cli_f]
    if got != want or not want:
        fails.append(f"filtered trials {got} != CLI {want}")
    if any(x["params"]["x1"] < 0 or x["state"] != "COMPLETE" for x in t["trials"]):
        fails.append("filtered trials contain rows the filter excludes")
    vals = [x["value"] for x in t["trials"]]
    if vals != sorted(vals):
        fails.append("order_by=value is not ascending")

# Paging: 40 trials by 7 join up to the whole list in trial order, 'more' right
seen = []
for off in range(0, 42, 7):
    p = get_json(f"/api/studies/api-study/trials?limit=7&offset={off}")
    if not p:
        break
    seen += [x["number"] for x in p["trials"]]
    if p["more"] != (off + 7 < 40):
        fails.append(f"offset {off}: more={p['more']}")
if seen != [x["trial_number"] for x in cli_all]:
    fails.append(f"paged trial numbers {seen[:10]}... != CLI's")

# One trial: params and value as the CLI has them, its metric history present
one = get_json("/api/studies/api-study/trials/5")
ref = [x for x in cli_all if x["trial_number"] == 5][0]
if one:
    if one["value"] != ref["value"] or one["params"] != ref["params"] or one["number"] != 5:
        fails.append(f"trial 5: {one['value']} {one['params']} != CLI {ref['value']} {ref['params']}")
    if "metrics" not in one or "tags" not in one:
        fails.append("trial 5: no metrics/tags fields")

# Updates: since=0 returns all 40 finished; the returned cursor returns none
u = get_json("/api/studies/api-study/updates?since=0")
if u:
    if len(u["finished"]) != 40 or u["status"] != "COMPLETE" or u["running"]:
        fails.append(f"updates since 0: {len(u['finished'])} finished, status {u['status']}")
    u2 = get_json(f"/api/studies/api-study/updates?since={u['cursor']}")
    if u2 and u2["finished"]:
        fails.append(f"updates since the cursor: {len(u2['finished'])} trials again")

# Bad parameters: 400 naming the parameter; the filter compiler's message
for path, needle in [("/api/studies/api-study/trials?limit=0", "limit"),
                     ("/api/studies/api-study/trials?limit=abc", "limit"),
                     ("/api/studies/api-study/trials?offset=-1", "offset"),
                     ("/api/studies/api-study/trials?colour=red", "colour"),
                     ("/api/studies/api-study/trials?filter=" + q("params.x1 >>= 3"), "position"),
                     ("/api/studies/api-study/trials?order_by=" + q("nosuch.key"), "order"),
                     ("/api/studies/api-study/updates?since=abc", "since"),
                     ("/api/studies/api-study/updates?wait=99", "wait"),
                     ("/api/studies/api-study/trials/x1", "trial number")]:
    e = get_json(path, 400)
    if e and needle not in e.get("error", ""):
        fails.append(f"{path}: error {e.get('error')!r} does not name {needle!r}")
for path in ["/api/studies/nosuch", "/api/studies/nosuch/trials", "/api/studies/api-study/trials/999",
             "/api/nothing", "/studies/nosuch", "/nothing"]:
    st, _, _ = req(path)
    if st != 404:
        fails.append(f"{path}: status {st}, expected 404")

# Security: traversal, Host, methods
for path in ["/static/../../../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd",
             "/studies/..%2f..%2fetc%2fpasswd", "/studies/%2e%2e", "/api/studies/..",
             "/studies/a%5c..%5cb", "/studies/%2e"]:
    st, _, data = req(path)
    if st != 400 or b"root:" in data:
        fails.append(f"traversal {path}: status {st}, expected 400")
for host in ["evil.example", "evil.example:%d" % port, "127.0.0.1:1", "localhost.evil.example", ""]:
    st, _, data = req("/api/studies", host=host)
    if st != 421 or b"api-study" in data:
        fails.append(f"Host {host!r}: status {st}, expected 421 and no data")
for host in [f"localhost:{port}", f"127.0.0.1:{port}", "localhost"]:
    st, _, _ = req("/api/studies", host=host)
    if st != 200:
        fails.append(f"Host {host!r}: status {st}, expected 200")
st, h, data = req("/api/studies", method="HEAD")
if st != 200 or data or int(h.get("content-length", "0")) < 100:
    fails.append(f"HEAD /api/studies: status {st}, {len(data)} body bytes, length {h.get('content-length')}")
for m in ["POST", "PUT", "DELETE"]:
    st, h, _ = req("/api/studies/api-study", method=m, body=b"{}")
    if st != 405 or "GET" not in h.get("allow", ""):
        fails.append(f"{m}: status {st}, expected 405 with Allow")
# Pages answer and carry the headers too
for path in ["/", "/studies/api-study", "/studies/api-study/trials?order_by=value&limit=5",
             "/studies/api-study/trials/3", "/static/serve.js"]:
    st, h, data = req(path)
    if st != 200:
        fails.append(f"{path}: status {st}")
st, _, data = req("/studies/api-study/trials?filter=" + q("params.x1 >>= 3"))
if st != 400 or b"position" not in data:
    fails.append(f"trials page with a bad filter: status {st}, no compiler message")

for f in fails:
    print("FAIL:", f)
print(f"serve api checks: {len(fails)} failed")
sys.exit(1 if fails else 0)
PY
rc=$?
serve_stop || rc=1
sum_after=$(sha256sum "$T/s.db" | cut -d' ' -f1)
# Bad command lines: a missing store (2), a bad port (1), an address not of this machine (2).
"$SEQTUNE_BIN" serve --db "$T/missing.db" --port 0 2>"$T/e1"; c1=$?
"$SEQTUNE_BIN" serve --db "$T/s.db" --port 70000 2>"$T/e2"; c2=$?
"$SEQTUNE_BIN" serve --db "$T/s.db" --host 192.0.2.1 --port 0 2>"$T/e3"; c3=$?
[ $c1 -eq 2 ] && grep -q "seqtune: .*missing.db" "$T/e1" || { echo "FAIL: missing store: exit $c1: $(cat "$T/e1")"; rc=1; }
[ $c2 -eq 1 ] && grep -q -- "--port" "$T/e2" || { echo "FAIL: --port 70000: exit $c2: $(cat "$T/e2")"; rc=1; }
[ $c3 -eq 2 ] && grep -q -- "--host" "$T/e3" || { echo "FAIL: --host 192.0.2.1: exit $c3: $(cat "$T/e3")"; rc=1; }
[ ! -e "$T/missing.db" ] || { echo "FAIL: serve created a store"; rc=1; }
[ "$sum_before" = "$sum_after" ] || { echo "FAIL: the store file changed while served"; rc=1; }
[ $rc -eq 0 ] && echo "serve api: ok"
exit $rc
