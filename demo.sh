#!/usr/bin/env bash
# demo.sh - a new user's first study on a fresh Debian machine, in one command:
# installs the missing Debian packages (.ci/deps, sudo when not root), builds
# seqtune, makes synthetic candles with `seqtune synth`, checks the demo spec and
# runs the demo study with 2 MPI workers, then writes its HTML report.
# Everything it writes goes to ./build and ./demo (both ignored by git).
set -euo pipefail
cd "$(dirname "$0")"
BIN=./build/seqtune
step() { printf '\n==> %s\n' "$*"; }

step "1/5 Debian packages (.ci/deps installs what is missing)"
bash .ci/deps

step "2/5 build: meson + ninja into ./build"
[ -f build/build.ninja ] || meson setup build
meson compile -C build

step "3/5 synthetic candles: demo/candles_1h.csv (6000 hourly bars, seed 7)"
mkdir -p demo
"$BIN" synth -o demo/candles_1h.csv --bars 6000 --interval 1h --seed 7
head -3 demo/candles_1h.csv

step "4/5 the study spec: experiments/specs/demo.json"
"$BIN" validate --compact experiments/specs/demo.json >/dev/null
echo "valid (see it with defaults filled in: $BIN validate experiments/specs/demo.json)"

step "5/5 the demo study: 12 trials on 2 MPI workers (rank 0 coordinates), then the report"
if [ "$(id -u)" -eq 0 ]; then   # Open MPI refuses root unless told
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
rm -rf demo/seqtune.db demo/seqtune.db-wal demo/seqtune.db-shm demo/seqtune.db.artifacts
mpirun -np 3 --oversubscribe "$BIN" run experiments/specs/demo.json --db demo/seqtune.db
"$BIN" report --study demo --db demo/seqtune.db -o demo/report.html
echo
"$BIN" best --study demo --db demo/seqtune.db
echo
echo "report: $(pwd)/demo/report.html"
