#!/usr/bin/env bash
# resume_data.sh - `--resume` on other candles is refused (issue 14, item 4).
# A study records its data's fingerprint (rows and time range, size, sha256);
# a resume over a changed file (other candles; or the same size with one price
# digit changed) exits 2 naming both fingerprints and adds no trial; with the
# original file back the resume goes on to n_trials.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
bin=${SEQTUNE_BIN:?}
need_cmd sqlite3
make_tmp
n_runs() { sqlite3 -batch "$T/s.db" "SELECT count(*) FROM runs"; }

"$bin" synth -o "$T/candles.csv" --bars 700 --seed 4 >/dev/null
cp "$T/candles.csv" "$T/original.csv"
cat >"$T/spec.json" <<'JSON'
{"name": "fp", "data": {"path": "candles.csv"}, "features": ["log_return"],
 "validation": {"folds": 1, "val_fraction": 0.2, "holdout_fraction": 0.1},
 "training": {"max_epochs": 1, "patience": 1, "units": 4, "seq_len": 8},
 "search": {"n_trials": 2, "sampler": {"name": "random", "seed": 1}, "pruner": "none",
   "space": {"dropout": {"type": "float", "low": 0.0, "high": 0.2}}}}
JSON
"$bin" run "$T/spec.json" --db "$T/s.db" --quiet >/dev/null 2>"$T/1.err"; rc=$?
check "first job exits 0 (got $rc)" test $rc -eq 0
fp=$(sqlite3 -batch "$T/s.db" "SELECT value FROM study_tags WHERE key = 'data_fingerprint'" 2>/dev/null ||
     sqlite3 -batch "$T/s.db" "SELECT value FROM tags WHERE key = 'data_fingerprint'")
echo "recorded: $fp"
check "the fingerprint is recorded" grep -q "sha256 $(sha256sum <"$T/candles.csv" | cut -c1-64)" <<<"$fp"

# other candles under the same name
"$bin" synth -o "$T/candles.csv" --bars 700 --seed 5 >/dev/null
before=$(n_runs)
"$bin" run "$T/spec.json" --db "$T/s.db" --quiet --resume --trials 4 >/dev/null 2>"$T/2.err"; rc=$?
check "resume over other candles: exit 2 (got $rc)" test $rc -eq 2
check "... the message names both" grep -q "differs from the data the study started on (then rows 700.*now rows 700" "$T/2.err"
check "... and no trial was added" test "$(n_runs)" = "$before"
cat "$T/2.err"

# the same size, one digit of one price changed
cp "$T/original.csv" "$T/candles.csv"
awk -F, -v OFS=, 'NR == 300 { d = substr($6, length($6)); $6 = substr($6, 1, length($6) - 1) (d == "1" ? "2" : "1") } 1' \
  "$T/original.csv" >"$T/candles.csv"
check "the edit changed the file" test "$(sha256sum <"$T/candles.csv")" != "$(sha256sum <"$T/original.csv")"
check "the edit kept the size" test "$(stat -c %s "$T/candles.csv")" = "$(stat -c %s "$T/original.csv")"
"$bin" run "$T/spec.json" --db "$T/s.db" --quiet --resume --trials 4 >/dev/null 2>"$T/3.err"; rc=$?
check "resume over one changed digit: exit 2 (got $rc)" test $rc -eq 2
check "... because the data differs" grep -q "differs from the data" "$T/3.err"

# the original back: the resume runs
cp "$T/original.csv" "$T/candles.csv"
"$bin" run "$T/spec.json" --db "$T/s.db" --quiet --resume --trials 4 >/dev/null 2>"$T/4.err"; rc=$?
check "resume over the original candles: exit 0 (got $rc)" test $rc -eq 0
check "... to 4 trials" test "$(n_runs)" = 4
finish
