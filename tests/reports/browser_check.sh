#!/usr/bin/env bash
# browser_check.sh - opens a seqtune HTML report in headless Chromium and checks
# the browser's own DOM: every section present, the page's scripts ran without
# error (html[data-ready], no html[data-js-error], no "Uncaught"/CSP refusal in
# the console log), no element or event handler beyond the report's own two
# scripts, and a screenshot that is not blank. With XSS.html (a report whose
# strings carry <script>alert(1)</script> and "><img src=x onerror=alert(1)>)
# it also checks that those strings show as text and created nothing.
# Usage: browser_check.sh [--studies N] REPORT.html [XSS.html]
# One Chromium start per page plus one for the screenshot. Exit 77 (SKIP) when
# Chromium is absent or cannot start. Usable by end-to-end tests of `seqtune report`.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
studies=1
if [ "${1:-}" = "--studies" ]; then studies=$2; shift 2; fi
report=$1
xss=${2:-}
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ] || [ ! -x "$chromium" ]; then
    echo "SKIP: chromium cannot start (not installed)"; exit 77
fi
make_tmp /tmp/seqtune-browser-XXXXXX
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }

run_chromium() {  # $1 log file, rest: chromium arguments
    local log=$1; shift
    timeout 90 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --user-data-dir="$(mktemp -d "$T/profile-XXXXXX")" \
        --enable-logging=stderr --v=0 "$@" 2>"$log"
}

run_chromium "$T/report.log" --dump-dom "file://$(abs "$report")" >"$T/report.dom"
if ! grep -q '</html>' "$T/report.dom"; then
    echo "SKIP: chromium cannot start"; tail -5 "$T/report.log"; exit 77
fi
if [ -n "$xss" ]; then
    run_chromium "$T/xss.log" --dump-dom "file://$(abs "$xss")" >"$T/xss.dom"
fi
run_chromium "$T/shot.log" --screenshot="$T/shot.png" --window-size=1280,4000 \
    "file://$(abs "$report")" >/dev/null

python3 - "$T" "$studies" "$xss" <<'PY'
import os, re, struct, sys, zlib
from html.parser import HTMLParser

d, studies, with_xss = sys.argv[1], int(sys.argv[2]), bool(sys.argv[3])
fails = []

class Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.ids, self.handlers, self.text = {}, set(), [], []
        self.root = {}
    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        a = dict(attrs)
        if tag == "html":
            self.root = a
        if "id" in a:
            self.ids.add(a["id"])
        self.handlers += [(tag, k) for k, _ in attrs if k.startswith("on")]
    def handle_data(self, data):
        self.text.append(data)

def parse(name):
    p = Dom()
    p.feed(open(os.path.join(d, name), encoding="utf-8").read())
    p.text = "".join(p.text)
    return p

def check_page(name, p, log):
    if p.root.get("data-ready") != "1":
        fails.append(f"{name}: the page script did not finish (no data-ready)")
    if "data-js-error" in p.root:
        fails.append(f"{name}: script error: {p.root['data-js-error']}")
    for line in open(os.path.join(d, log), errors="replace"):
        if re.search(r"Uncaught|Refused to|CONSOLE.*[Ee]rror", line):
            fails.append(f"{name}: console: {line.strip()[:200]}")
    if p.tags.get("script", 0) != 2:
        fails.append(f"{name}: {p.tags.get('script', 0)} <script> elements, expected 2")
    for bad in ("img", "iframe", "object", "embed", "link", "base"):
        if p.tags.get(bad, 0):
            fails.append(f"{name}: {p.tags[bad]} <{bad}> elements, expected 0")
    if p.handlers:
        fails.append(f"{name}: event-handler attributes present: {p.handlers[:5]}")

sections = ["summary", "best", "history", "importance", "slices", "parallel",
            "intermediate", "trials", "spec"]
report_name = "report"
rep = parse("report.dom")
check_page(report_name, rep, "report.log")
want = list(sections) + (["compare"] if studies > 1 else [])
for k in range(2, studies + 1):
    want += [f"{s}-{k}" for s in sections]
missing = [s for s in want if s not in rep.ids]
if missing:
    fails.append(f"{report_name}: sections missing from the DOM: {missing}")
if rep.tags.get("svg", 0) < 5 * studies:
    fails.append(f"{report_name}: only {rep.tags.get('svg', 0)} charts")

if with_xss:
    xss = parse("xss.dom")
    check_page("xss.html", xss, "xss.log")
    for s in ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'):
        if s not in xss.text:
            fails.append(f"xss.html: hostile string {s!r} is not shown as text")

# The screenshot: decode the PNG (8-bit RGB/RGBA) and look for real content.
try:
    raw = open(os.path.join(d, "shot.png"), "rb").read()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, hdr = 8, b"", None
    while pos < len(raw):
        n, kind = struct.unpack(">I4s", raw[pos:pos + 8])
        body = raw[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = hdr[0], hdr[1], hdr[2], hdr[3]
    assert depth == 8 and ctype in (2, 6), f"unexpected PNG format {depth}/{ctype}"
    bpp = 3 if ctype == 2 else 4
    data, stride = zlib.decompress(idat), w * bpp
    # Unfiltering is pure Python: decode the top 1200 rows (header, comparison
    # table and chart), and require a compressed size that a blank page never has.
    prev, colours, ink = bytearray(stride), set(), 0
    if len(idat) < 100000:
        fails.append(f"screenshot compresses to {len(idat)} bytes: nearly blank")
    for y in range(min(h, 1200)):
        f, line = data[y * (stride + 1)], bytearray(data[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        if y % 4 == 0:
            for x in range(0, w, 4):
                px = bytes(line[x * bpp:x * bpp + 3])
                colours.add(px)
                ink += px != b"\xff\xff\xff"
    print(f"screenshot {w}x{h}: {len(colours)} colours, {ink} sampled non-white pixels")
    if w < 1000 or h < 1000 or len(colours) < 20 or ink < 1000:
        fails.append(f"screenshot looks blank: {w}x{h}, {len(colours)} colours, {ink} ink")
except Exception as e:
    fails.append(f"screenshot unreadable: {e}")

for f in fails:
    print("FAIL:", f)
print(f"browser checks: {len(fails)} failed")
sys.exit(1 if fails else 0)
PY
