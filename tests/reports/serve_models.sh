#!/usr/bin/env bash
# serve_models.sh - the dashboard's registry pages and JSON (issue 16 in issue 21):
# a real store with two small studies (3000 hourly synthetic bars, 2 trials each),
# both registered as versions of model m (version 2 with a hostile description and
# tag), one A/B comparison recorded by `seqtune ab`; a real `seqtune serve` over it.
# Checks: /api/models, /api/models/m, /api/ab, /api/ab/1 field by field against the
# store (python3's sqlite3, read-only); 404 for an unknown model or id, 400 for a
# malformed id; the pages (models list, model page, A/B page, study list and study
# page links) return the values; the hostile strings appear only escaped; headless
# Chromium (when installed) opens the pages with no console error and the DOM shows
# the text, not markup.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
. "$(dirname "$0")/serve_lib.sh"
need_cmd curl
make_tmp
at_exit '[ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null'
cd "$T" || exit 1
BIN=$SEQTUNE_BIN
export SEQTUNE_DB="$T/s.db"
cat > spec_edge.json <<'JSON'
{
  "name": "edge", "data": {"path": "edge.csv"},
  "features": ["log_return", "log_return:4"],
  "target": {"kind": "direction", "horizon": 1},
  "validation": {"folds": 2, "holdout_fraction": 0.2, "val_fraction": 0.15},
  "training": {"max_epochs": 5, "patience": 3, "seq_len": 4, "batch_size": 64},
  "search": {"n_trials": 2, "sampler": {"name": "random", "seed": 1}, "pruner": "none",
    "space": {"units": {"type": "int", "low": 4, "high": 8}}},
  "backtest": {"fee_bps": 0, "long_threshold": 0.5, "short_threshold": 0.5}
}
JSON
sed 's/"edge"/"walk"/; s/edge.csv/walk.csv/' spec_edge.json > spec_walk.json
"$BIN" synth -o edge.csv --bars 3000 --random-walk --edge 0.3 --seed 1 >/dev/null || exit 1
"$BIN" synth -o walk.csv --bars 3000 --random-walk --seed 2 >/dev/null || exit 1
"$BIN" synth -o fresh.csv --bars 2000 --random-walk --edge 0.3 --seed 7 --start 1700000000 \
  >/dev/null || exit 1
"$BIN" run spec_edge.json --quiet || { echo "FAIL run edge"; exit 1; }
"$BIN" run spec_walk.json --quiet || { echo "FAIL run walk"; exit 1; }
HOSTILE='<script>alert(1)</script>"><img src=x onerror=alert(2)>'
"$BIN" register --study walk --name m --alias champion --description "random walk" >/dev/null ||
  { echo "FAIL register walk"; exit 1; }
"$BIN" register --study edge --name m --alias challenger --description "$HOSTILE" \
  --tag "k<b>=$HOSTILE" >/dev/null || { echo "FAIL register edge"; exit 1; }
"$BIN" ab --model m@champion --model m@challenger --data fresh.csv --format json >ab.json 2>/dev/null ||
  { echo "FAIL ab"; exit 1; }

serve_start "$T/s.db" "$T/serve.log" || exit 1
fail=0
get() {  # get PATH FILE: the HTTP status
  curl -s -o "$2" -w '%{http_code}' "${URL%/}$1"
}
for p in /api/models /api/models/m /api/ab /api/ab/1; do
  code=$(get "$p" "$T/$(echo "$p" | tr / _).json")
  [ "$code" = 200 ] || { echo "FAIL $p: HTTP $code"; fail=1; }
done
python3 - "$T" "$HOSTILE" <<'PY' || fail=1
import json, sqlite3, sys
d, hostile = sys.argv[1], sys.argv[2]
db = sqlite3.connect("file:%s/s.db?mode=ro" % d, uri=True)
db.row_factory = sqlite3.Row
load = lambda p: json.load(open("%s/%s.json" % (d, p.replace("/", "_"))))
fails = []
def eq(what, got, want):
    ok = got == want
    print(("ok   " if ok else "FAIL ") + "%s: %r%s" % (what, got, "" if ok else " != %r" % (want,)))
    if not ok: fails.append(what)
vers = db.execute("SELECT v.* FROM model_versions v JOIN registered_models m ON m.id = v.model_id"
                  " WHERE m.name = 'm' ORDER BY v.version").fetchall()
models = load("/api/models")
eq("/api/models: one model m with 2 versions", [(x["name"], x["versions"]) for x in models], [("m", 2)])
eq("/api/models: aliases", models[0]["aliases"], {"champion": 1, "challenger": 2})
lv = vers[-1]
eq("/api/models: latest sha256", models[0]["latest"]["sha256"], lv["sha256"])
eq("/api/models: latest holdout", models[0]["latest"]["holdout"], json.loads(lv["metrics"]))
eq("/api/models: latest verdict", models[0]["latest"]["verdict"], json.loads(lv["verdict"]))
m = load("/api/models/m")
for i, v in enumerate(vers):
    g = m["versions"][i]
    for k, col in (("version", "version"), ("study", "study_name"), ("study_id", "study_id"),
                   ("trial", "trial_number"), ("sha256", "sha256"), ("bytes", "bytes"),
                   ("data_fingerprint", "data_fingerprint"), ("description", "description")):
        eq("/api/models/m v%d %s" % (v["version"], k), g[k], v[col])
    eq("/api/models/m v%d tags" % v["version"], g["tags"], json.loads(v["tags"]))
eq("/api/models/m: the hostile description comes back verbatim", m["versions"][1]["description"], hostile)
ev = db.execute("SELECT e.alias, e.version FROM alias_events e JOIN registered_models m ON"
                " m.id = e.model_id WHERE m.name = 'm' ORDER BY e.rowid").fetchall()
eq("/api/models/m: alias history", [(h["alias"], h["version"]) for h in m["alias_history"]],
   [(r[0], r[1]) for r in ev])
ab_rows = db.execute("SELECT id, verdict, n_bars, figures, ref_a, ref_b FROM ab_comparisons").fetchall()
eq("/api/models/m: its A/B comparisons", [a["id"] for a in m["ab"]], [r["id"] for r in ab_rows])
ab = load("/api/ab")
eq("/api/ab: ids", [a["id"] for a in ab], [r["id"] for r in ab_rows])
one = load("/api/ab/1")
r = ab_rows[0]
for k in ("verdict", "n_bars", "ref_a", "ref_b"):
    eq("/api/ab/1 %s" % k, one[k], r[k])
eq("/api/ab/1 figures", one["figures"], json.loads(r["figures"]))
cli = json.load(open("%s/ab.json" % d))
eq("/api/ab/1 = the command's own JSON (verdict, dm_pvalue, sharpe_diff, ci)",
   (one["verdict"], one["figures"]["dm_pvalue"], one["figures"]["sharpe_diff"], one["figures"]["sharpe_diff_ci"]),
   (cli["verdict"], cli["dm_pvalue"], cli["sharpe_diff"], cli["sharpe_diff_ci"]))
sys.exit(1 if fails else 0)
PY
# unknown names and ids
for p in /api/models/nope /api/ab/99 /models/nope /ab/99 "/models/%3Cscript%3E"; do
  code=$(get "$p" "$T/err.out")
  if [ "$code" = 404 ]; then echo "ok   $p: 404"; else echo "FAIL $p: HTTP $code"; fail=1; fi
done
for p in /api/ab/x1 /ab/0 "/models?x=1"; do
  code=$(get "$p" "$T/err.out")
  if [ "$code" = 400 ]; then echo "ok   $p: 400"; else echo "FAIL $p: HTTP $code"; fail=1; fi
done
# the pages: values shown, hostile strings only escaped
pages="/models /models/m /ab /ab/1 / /studies/edge"
i=0
for p in $pages; do
  i=$((i + 1))
  code=$(get "$p" "$T/page$i.html")
  [ "$code" = 200 ] || { echo "FAIL $p: HTTP $code"; fail=1; }
  if grep -q -e '<script>alert' -e '<img src=x' -e '<b>=' "$T/page$i.html"; then
    echo "FAIL $p: a hostile string is in the page unescaped"; fail=1
  fi
done
sha2=$(python3 -c "import json;print(json.load(open('$T/_api_models_m.json'))['versions'][1]['sha256'])")
verdict=$(python3 -c "import json;print(json.load(open('$T/ab.json'))['verdict'])")
chk() { if grep -q -- "$2" "$3"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
chk "models list links model m" 'href="/models/m"' "$T/page1.html"
chk "models list shows both aliases" 'challenger &#8594; 2\|challenger → 2' "$T/page1.html"
chk "model page shows version 2's sha256" "$sha2" "$T/page2.html"
chk "model page shows the escaped description" '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/page2.html"
chk "model page links the source study and trial" 'href="/studies/edge/trials/' "$T/page2.html"
chk "model page links the comparison" 'href="/ab/1"' "$T/page2.html"
chk "A/B list links comparison 1" 'href="/ab/1"' "$T/page3.html"
chk "A/B page: the verdict" "verdict: $verdict" "$T/page4.html"
chk "A/B page: the equity chart of report --ab" 'id="ab1-eq"' "$T/page4.html"
chk "A/B page: the loss-difference chart" 'id="ab1-loss"' "$T/page4.html"
chk "study list links m@2 on the edge study" 'href="/models/m">m@2' "$T/page5.html"
chk "study page lists m@2" 'id="registered">Registered models: <span class="models"><a href="/models/m">m@2' "$T/page6.html"

chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -n "$chromium" ] && [ -x "$chromium" ]; then
  i=0
  for p in /models /models/m /ab/1; do
    i=$((i + 1))
    timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync \
      --disable-dev-shm-usage --user-data-dir="$T/profile$i" --enable-logging=stderr --v=0 \
      --dump-dom "${URL%/}$p" >"$T/dom$i.html" 2>"$T/log$i.txt"
    if ! grep -q '</html>' "$T/dom$i.html"; then echo "FAIL chromium $p: no DOM"; fail=1; continue; fi
    if grep -q 'CONSOLE' "$T/log$i.txt"; then
      echo "FAIL chromium $p: console: $(grep CONSOLE "$T/log$i.txt" | head -2)"; fail=1
    else echo "ok   chromium $p: no console message"; fi
  done
  python3 - "$T" "$HOSTILE" "$verdict" <<'PY' || fail=1
import sys
from html.parser import HTMLParser
d, hostile, verdict = sys.argv[1:4]
class Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True); self.text = []; self.bad = []
    def handle_starttag(self, tag, attrs):
        if tag == "img": self.bad.append("img")
        self.bad += [k for k, _ in attrs if k.startswith("on")]
    def handle_data(self, data): self.text.append(data)
fails = 0
for i, want in ((1, "m"), (2, hostile), (3, "verdict: " + verdict)):
    p = Dom(); p.feed(open("%s/dom%d.html" % (d, i)).read()); text = "".join(p.text)
    ok = want in text and not p.bad
    print(("ok   " if ok else "FAIL ") + "DOM %d shows %r as text, no injected element: %s" % (i, want[:30], p.bad))
    fails += not ok
sys.exit(1 if fails else 0)
PY
else
  echo "note: chromium not installed, DOM checks skipped"
fi
serve_stop || fail=1
[ "$fail" = 0 ] && echo "PASS serve_models" || echo "FAIL serve_models"
exit "$fail"
