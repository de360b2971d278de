#!/usr/bin/env bash
# job_array.sh - the README's job-array script on a real single-node Slurm
# cluster (cluster.sh): three small LSTM studies (synthetic candles, 4 trials
# each, 60 epochs so that a study outlasts the spread of task start-up;
# submitted with --oversubscribe so that the tasks share the cores) that
# differ in name and sampler seed (0, 1, 2), one array task each
# (1 coordinator + 2 workers), all into one store, then the README's report
# line. Asserted: every array task COMPLETED; each study exactly 4 finished
# trials, numbered 0..3 once each, its own seed in the sampler_seed tag and its
# own first suggestion; at least two coordinators wrote the store at the same
# time; the report's comparison table has one row per study with the store's
# best value (as %.6g), trial count and COMPLETE count.
bin=${SEQTUNE_BIN:?SEQTUNE_BIN is not set}
src=${SEQTUNE_SRC:?SEQTUNE_SRC is not set}
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
. "$src/tests/cluster/cluster.sh"
need_cmd sqlite3
cluster_start || exit $?
mpi_root_env
n_trials=4

d=$CLUSTER_DIR/work/array
mkdir -p "$d/build" "$d/experiments/specs"
ln -s "$bin" "$d/build/seqtune"
"$bin" synth -o "$d/candles.csv" --bars 1000 --seed 5 >/dev/null || { echo "FAIL: synth"; exit 1; }
for k in 0 1 2; do
    cat >"$d/experiments/specs/btc_1h_seed$k.json" <<JSON
{"name": "btc-1h-seed$k", "data": {"path": "../../candles.csv"}, "features": ["log_return", "rsi:14"],
 "validation": {"folds": 2, "val_fraction": 0.2, "holdout_fraction": 0.15},
 "training": {"max_epochs": 60, "patience": 60},
 "search": {"n_trials": $n_trials, "sampler": {"name": "tpe", "seed": $k, "n_startup_trials": 3},
  "pruner": {"name": "none"},
  "space": {"units": {"type": "int", "low": 4, "high": 8},
            "seq_len": {"type": "int", "low": 8, "high": 12},
            "learning_rate": {"type": "float", "low": 1e-3, "high": 1e-2, "log": true}}}}
JSON
done
cluster_readme_block "#SBATCH --array=0-2" >"$d/seeds.sbatch" || exit 1
report_line=$(cluster_readme_block "report --db seeds.db") || exit 1

t0=$(date +%s)
jid=$(cd "$d" && sbatch --parsable --ntasks=3 --overcommit --oversubscribe -o 'job.%a.out' seeds.sbatch) || { echo "FAIL: sbatch"; exit 1; }
cluster_job_wait "$jid" 180 || fail "array job $jid did not end in 180 s"
echo "job array: $(( $(date +%s) - t0 )) s"
states=$(scontrol show job "$jid" | sed -n 's/.*JobState=\([A-Z]*\).*/\1/p' | sort | uniq -c | sed 's/^ *//')
[ "$states" = "3 COMPLETED" ] && ok "array job $jid: 3 tasks COMPLETED" ||
    { fail "array job $jid: states $states"; tail -n 20 "$d"/job.*.out; }

db=$d/seeds.db
q() { sqlite3 -batch "$db" "$1" 2>&1; }
first=""
for k in 0 1 2; do
    name=btc-1h-seed$k
    sid=$(q "SELECT id FROM studies WHERE name = '$name'")
    [ -n "$sid" ] || { fail "$name: not in the store"; continue; }
    fin=$(q "SELECT count(*) FROM runs WHERE study_id = $sid AND state IN ('COMPLETE','PRUNED','FAIL')")
    tot=$(q "SELECT count(*) FROM runs WHERE study_id = $sid")
    nums=$(q "SELECT group_concat(trial_number, ',') FROM (SELECT DISTINCT trial_number FROM runs
              WHERE study_id = $sid ORDER BY 1)")
    [ "$fin" = $n_trials ] && [ "$tot" = $n_trials ] && [ "$nums" = "$(seq -s, 0 $((n_trials - 1)))" ] &&
        ok "$name: exactly $n_trials finished trials, numbered 0..$((n_trials - 1))" ||
        fail "$name: $fin finished, $tot rows, numbers $nums"
    seed=$(q "SELECT value FROM study_tags WHERE study_id = $sid AND key = 'sampler_seed'")
    [ "$seed" = "$k" ] && ok "$name: sampler seed $seed" || fail "$name: sampler_seed tag '$seed', expected $k"
    first="$first$(q "SELECT group_concat(p.key || '=' || p.value, ' ') FROM params p JOIN runs r ON r.id = p.run_id
                     WHERE r.study_id = $sid AND r.trial_number = 0 ORDER BY p.key")
"
done
ndist=$(printf '%s' "$first" | sort -u | grep -c .)
[ "$ndist" = 3 ] && ok "three different first suggestions" || fail "first suggestions not all different: $first"
overlap=$(q "WITH s AS (SELECT study_id, min(started) AS a, max(finished) AS b FROM runs GROUP BY study_id)
             SELECT count(*) FROM s x JOIN s y ON x.study_id < y.study_id WHERE x.a < y.b AND y.a < x.b")
[ "${overlap:-0}" -ge 1 ] && ok "$overlap pair(s) of coordinators wrote the store at the same time" ||
    fail "no two studies ran at the same time ($overlap): the array did not test concurrent coordinators"

(cd "$d" && eval "$report_line") >"$d/report.out" 2>&1 || { fail "the report line failed"; cat "$d/report.out"; }
expected=$(q "SELECT s.name, (SELECT min(value) FROM runs r WHERE r.study_id = s.id AND r.state = 'COMPLETE'),
                     (SELECT count(*) FROM runs r WHERE r.study_id = s.id),
                     (SELECT count(*) FROM runs r WHERE r.study_id = s.id AND r.state = 'COMPLETE')
              FROM studies s ORDER BY s.name")
cmp=$(python3 - "$d/seeds.html" "$expected" <<'PY'
import html.parser, sys
page, expected = open(sys.argv[1]).read(), sys.argv[2]
start = page.find('<section id="compare">')
if start < 0:
    sys.exit("no comparison section")
part = page[start:page.find("</table>", start)]
class Rows(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.rows = []; self.cell = None; self.body = False
    def handle_starttag(self, tag, attrs):
        if tag == "tbody": self.body = True
        elif tag == "tr" and self.body: self.rows.append([])
        elif tag == "td" and self.body: self.cell = ""
    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.rows[-1].append(self.cell.strip()); self.cell = None
    def handle_data(self, data):
        if self.cell is not None: self.cell += data
p = Rows(); p.feed(part)
got = sorted((r[0], r[2], r[11], r[12]) for r in p.rows)
want = sorted((n, "%.6g" % float(v), t, c) for n, v, t, c in
              (line.split("|") for line in expected.splitlines()))
if got != want:
    sys.exit("report rows %s, the store says %s" % (got, want))
print(len(got))
PY
)
[ "$cmp" = 3 ] && ok "the report compares the 3 studies with the store's best values and counts" ||
    fail "report: $cmp"

finish
