#!/usr/bin/env bash
# test_store_cli.sh - end-to-end checks of `seqtune studies|trials|compare|export`
# on a store built by trk_fixture (the tracker's write API): outputs, 80-column
# tables, CSV/JSON parse, and bad input (missing or non-SQLite --db, unknown
# study, unknown run, malformed filter, injection attempts): exit code 2, a
# `seqtune: <what>: <why>` message, and every file left byte-for-byte untouched.
# Usage: test_store_cli.sh TRK_FIXTURE   (env: SEQTUNE_BIN)
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
FIXTURE=$1
BIN=${SEQTUNE_BIN:?SEQTUNE_BIN is not set}
make_tmp "${TMPDIR:-/tmp}/trk_cli_XXXXXX"
cd "$T"
fails=0; checks=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { checks=$((checks + 1)); }
digest() { if [ -e "$1" ]; then sha256sum "$1" | cut -d' ' -f1; else echo missing; fi; }

"$FIXTURE" store.db || { echo "fixture failed" >&2; exit 1; }
DB_SHA=$(digest store.db)

# run CMD...: captures stdout in out.txt, stderr in err.txt, exit code in $rc
run() { "$BIN" "$@" >out.txt 2>err.txt; rc=$?; }
expect_rc() { ok; [ "$rc" -eq "$1" ] || fail "$2: exit $rc, expected $1 (stderr: $(cat err.txt))"; }
expect_out() { ok; grep -q -- "$1" out.txt || fail "$2: stdout lacks '$1': $(head -c 600 out.txt)"; }
expect_err() { ok; grep -q -- "$1" err.txt || fail "$2: stderr lacks '$1': $(cat err.txt)"; }
fits_80() { ok; local w; w=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' out.txt)
            [ "$w" -le 80 ] || fail "$1: a line is $w columns wide"; }
db_untouched() { ok; [ "$(digest store.db)" = "$DB_SHA" ] || fail "$1: store.db changed"; }

# --- studies
run studies --db store.db;                      expect_rc 0 "studies"
expect_out "^demo  *RUNNING  *min  *6  *3  *1  *1  *1  *0.55" "studies table"
expect_out "^other  *COMPLETE  *max  *2  *2" "studies table"
fits_80 "studies table"
run studies --db store.db --format csv;         expect_rc 0 "studies csv"
expect_out "^id,name,direction,status" "studies csv"
expect_out "^1,demo,minimize,RUNNING,.*,6,1,3,1,1,0.55" "studies csv"
run studies --db store.db --format json;        expect_rc 0 "studies json"
ok; python3 -c 'import json,sys; d=json.load(open("out.txt")); assert [s["name"] for s in d]==["demo","other"] and d[0]["best_value"]==0.55 and d[1]["best_run_id"]==8, d' \
  || fail "studies json content"
SEQTUNE_DB=store.db run studies;               expect_rc 0 "studies via \$SEQTUNE_DB"
expect_out "^demo" "studies via \$SEQTUNE_DB"

# --- trials
run trials --study demo --db store.db;          expect_rc 0 "trials"
fits_80 "trials table"
ok; [ "$(grep -c -E '^ +[0-9]+ +[0-9]+ (COMPLETE|PRUNED|FAIL|RUNNING)' out.txt)" -eq 6 ] || fail "trials: expected 6 rows: $(cat out.txt)"
run trials --study demo --db store.db --filter "params.units >= 64 and state = 'COMPLETE'" --order-by metrics.sharpe desc --format csv
expect_rc 0 "trials filter/order"
ok; [ "$(cut -d, -f2 out.txt | tail -n +2 | tr '\n' ' ')" = "4 0 1 " ] || fail "trials filter/order: trial order $(cut -d, -f2 out.txt | tr '\n' ' ')"
run trials --study demo --db store.db --order-by value --limit 2 --format json
expect_rc 0 "trials json"
ok; python3 -c 'import json; d=json.load(open("out.txt")); assert [r["trial_number"] for r in d]==[4,1] and d[0]["params"]["units"]==96, d' \
  || fail "trials json content: $(cat out.txt)"
run trials --study demo --db store.db --order-by metrics.sharpe desc
expect_rc 0 "trials ordered table"; expect_out "sharpe" "trials ordered table"; fits_80 "trials ordered table"
run trials --study demo --db store.db --filter "state = 'FAIL'" --format csv
expect_out "diverged: loss is NaN" "trials error text"

# --- compare
run compare 1 2 5 --db store.db;                expect_rc 0 "compare"
expect_out "params.units  *64  *128  *96" "compare params"
expect_out "metrics.sharpe last" "compare metrics"; fits_80 "compare"
all=$(wc -l <out.txt)
run compare 1 2 3 4 5 6 7 8 --db store.db;      expect_rc 0 "compare 8 runs"
fits_80 "compare 8 runs"; expect_out "run 8" "compare 8 runs"
run compare 1 5 --only-diff --db store.db;      expect_rc 0 "compare --only-diff"
ok; [ "$(wc -l <out.txt)" -lt "$all" ] || fail "--only-diff did not drop rows"
ok; ! grep -q "^study id" out.txt || fail "--only-diff kept an equal row"

# --- export
for f in csv json optuna; do
  run export --study demo --format $f -o "out.$f" --db store.db; expect_rc 0 "export $f"
  ok; [ -s "out.$f" ] || fail "export $f: empty or missing"
done
ok; [ "$(wc -l <out.csv)" -eq 7 ] || fail "export csv: $(wc -l <out.csv) lines"
ok; python3 -c 'import json; d=json.load(open("out.json")); assert d["study"]["name"]=="demo" and len(d["trials"])==6 and d["trials"][0]["intermediate_values"][0]==[0,0.7]' \
  || fail "export json content"
ok; ! ls ./*.tmp.* >/dev/null 2>&1 || fail "export left a temp file"
db_untouched "after successful commands"

# --- bad input: exit 2, message, nothing touched
run studies --db nothere.db;                    expect_rc 2 "missing --db"
expect_err "^seqtune: studies: nothere.db: no such file" "missing --db"
ok; [ ! -e nothere.db ] || fail "missing --db: the file was created"
printf 'timestamp,open\n1,2\n' >notsql.db; NS=$(digest notsql.db)
for cmd in "studies" "trials --study demo" "compare 1 2" "export --study demo --format csv -o x.csv"; do
  run $cmd --db notsql.db;                      expect_rc 2 "non-SQLite --db ($cmd)"
  expect_err "not an SQLite database" "non-SQLite --db ($cmd)"
  ok; [ "$(digest notsql.db)" = "$NS" ] || fail "non-SQLite --db ($cmd): file changed"
done
ok; [ ! -e x.csv ] || fail "export to x.csv happened from a bad store"
run trials --study nope --db store.db;          expect_rc 2 "unknown study"
expect_err "^seqtune: --study: no study named 'nope'" "unknown study"
echo keep >target.csv; TS=$(digest target.csv)
run export --study nope --format csv -o target.csv --db store.db; expect_rc 2 "export unknown study"
ok; [ "$(digest target.csv)" = "$TS" ] || fail "export unknown study: target changed"
run compare 1 999 --db store.db;                expect_rc 2 "unknown run"
expect_err "^seqtune: compare: run 999: no such run" "unknown run"
run trials --study demo --filter "params.units >> 64" --db store.db; expect_rc 2 "malformed filter"
expect_err "^seqtune: --filter: position 15: unexpected '>'" "malformed filter"
run trials --study demo --filter "params.unitz >= 64 or value < 1" --db store.db; expect_rc 2 "unknown key"
expect_err "position 1: unknown key 'params.unitz' (known: " "unknown key"
run trials --study demo --order-by "metrics.sharpe sideways" --db store.db; expect_rc 2 "bad order"
expect_err "^seqtune: --order-by: position 16" "bad order"
run trials --study "demo' OR '1'='1" --db store.db; expect_rc 2 "injected study name"
run trials --study demo --filter "params.units = '1'' OR ''1''=''1'" --db store.db --format csv
expect_rc 0 "injected literal"; ok; [ "$(wc -l <out.txt)" -eq 1 ] || fail "injected literal matched rows"
run trials --study demo --order-by 'params.`units; DROP TABLE runs`' --db store.db --format csv
expect_rc 0 "injected order key"; ok; [ "$(wc -l <out.txt)" -eq 7 ] || fail "injected order key"
db_untouched "after bad input"

# --- usage errors: exit 1
run trials --db store.db;                       expect_rc 1 "trials without --study"
run studies --db store.db --format xml;         expect_rc 1 "bad --format"
run compare 1 --db store.db;                    expect_rc 1 "compare one run"
run export --study demo --format parquet -o y --db store.db; expect_rc 1 "bad export format"
run trials --study demo --limti 3 --db store.db; expect_rc 1 "misspelt option"
expect_err "did you mean '--limit'" "misspelt option"
for c in studies trials compare export; do run $c --help; expect_rc 0 "$c --help"; expect_out "^usage: seqtune $c" "$c --help"; done
db_untouched "at the end"

echo "$checks checks, $fails failed" >&2
[ "$fails" -eq 0 ]
