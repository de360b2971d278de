#!/usr/bin/env bash
# test_browser.sh - writes two fixture reports with test_report --fixtures (two
# studies, the first with the real 1h candles' holdout when they are present;
# and one full of hostile strings) and checks them in headless Chromium with
# browser_check.sh. Usage: test_browser.sh PATH/TO/test_report
set -u
fixture=$1
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/seqtune-fixtures-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$fixture" --fixtures "$dir" || { echo "FAIL: could not write the fixture reports"; exit 1; }
bash "$here/browser_check.sh" --studies 2 "$dir/report.html" "$dir/xss.html"
