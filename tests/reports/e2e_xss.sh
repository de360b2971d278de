#!/usr/bin/env bash
# e2e_xss.sh - hostile strings from a real store must show as text in the report.
# Study "xss-run" is a real `seqtune run` with an external command objective whose
# categorical choices carry HTML/JS and whose failing trials print it on stderr
# (so it lands in error texts); the spec parser refuses such study, metric and
# parameter names, so test_xss_store writes a second study with them (and hostile
# tags, fold layout, data file) through the tracker's write API. Both go into one
# `seqtune report`, whose DOM browser_check.sh inspects in headless Chromium.
# Usage: e2e_xss.sh PATH/TO/test_xss_store
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
writer=$1
here=$(cd "$(dirname "$0")" && pwd)
make_tmp /tmp/seqtune-e2e-xss-XXXXXX
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
"$SEQTUNE_BIN" report --study xss-run --study '<script>alert(1)</script>' --db "$T/x.db" \
    -o "$T/x.html" || { echo "FAIL: seqtune report"; exit 1; }
fail=0
# The raw HTML: no hostile tag survives unescaped (the report's own 2 scripts only).
n=$(grep -o '<script' "$T/x.html" | wc -l)
[ "$n" -eq 2 ] || { echo "FAIL: x.html has $n '<script' openings, expected 2"; fail=1; }
if grep -q '<img' "$T/x.html"; then echo "FAIL: x.html has an unescaped <img"; fail=1; fi
grep -q 'exited with 3: &lt;script&gt;' "$T/x.html" ||
    { echo "FAIL: the failed trials' error text is not in the report"; fail=1; }
bash "$here/browser_check.sh" --studies 2 "$T/x.html" "$T/x.html"
rc=$?
[ $fail -ne 0 ] && exit 1
[ $rc -ne 0 ] && exit $rc
echo "e2e xss: ok"
