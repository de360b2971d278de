#!/usr/bin/env bash
# test_browser.sh - writes two fixture reports with test_report --fixtures (two
# studies, the first with the real 1h candles' holdout when they are present;
# and one full of hostile strings) and checks them in headless Chromium with
# browser_check.sh. Usage: test_browser.sh PATH/TO/test_report
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
fixture=$1
here=$(cd "$(dirname "$0")" && pwd)
make_tmp /tmp/seqtune-fixtures-XXXXXX
"$fixture" --fixtures "$T" || { echo "FAIL: could not write the fixture reports"; exit 1; }
bash "$here/browser_check.sh" --studies 2 "$T/report.html" "$T/xss.html"
