#!/usr/bin/env bash
# bad_inputs.sh [MKSTORE] - runs every case of cases.tsv (this folder) with
# $SEQTUNE_BIN and checks, for each: the exit code (2 bad input, 1 usage), that
# stderr names the problem (the expected substring) and starts with "seqtune: "
# (or "usage: seqtune" for a usage error), that no line of it names a file given
# on the command line twice, that there is no sanitizer report, and
# that a database given to the command (--db, or ./seqtune.db) is byte-identical
# afterwards (sha256) and is not created when it did not exist.
# MKSTORE (optional) is the bad_inputs_mkstore helper that writes @STORE@; it is
# built once tracker/ is on the branch. Cases marked pending:CMD print PENDING and
# are not counted. The last line is "N passed, N failed, N pending, N skipped".
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
here=$(cd "$(dirname "$0")" && pwd)
bin=${SEQTUNE_BIN:?SEQTUNE_BIN is not set}
src=${SEQTUNE_SRC:-$here/../..}
data=${SEQTUNE_DATA:-}
mkstore=${1:-}
bin=$(realpath "$bin"); [ -n "$mkstore" ] && mkstore=$(realpath "$mkstore")   # cases run in a temp cwd
only=${BAD_INPUTS_ONLY:-}      # run only the case of this name (for debugging)
activate=" ${BAD_INPUTS_ACTIVATE:-} "   # e.g. "run predict": run those pending cases too
make_tmp
at_exit 'chmod -R u+rwx "$T" 2>/dev/null'

passed=0; failed=0; pending=0; skipped=0

fail() { echo "FAIL $name: $*"; failed=$((failed + 1)); }

# A valid spec in $tmp whose data.path is $1 (absolute); prints its path.
spec_for() {
  local out="$tmp/spec_$(basename "$1" .csv).json"
  sed "s#\"../candles/good.csv\"#\"$1\"#" "$here/specs/good.json" >"$out"
  echo "$out"
}

# Expands the placeholders of one command line into $expanded (setting up the
# fixtures it names in $tmp); on failure $why says why. Returns 3 for "skip".
expand() {
  local s=$1 tok rel
  s=${s//@FIX@/$here}; s=${s//@TMP@/$tmp}; s=${s//@SRC@/$src}; s=${s//@DATA@/$data}
  if [[ $s == *@STORE@* ]]; then
    [ -n "$mkstore" ] && [ -x "$mkstore" ] || { why="needs the store helper (bad_inputs_mkstore)"; return 1; }
    "$mkstore" "$tmp/store.db" >/dev/null 2>"$tmp/mkstore.err" || { why=$(cat "$tmp/mkstore.err"); return 1; }
    s=${s//@STORE@/$tmp/store.db}
  fi
  while [[ $s =~ @COPY:([^@]*)@ ]]; do
    tok=${BASH_REMATCH[0]}; rel=${BASH_REMATCH[1]}
    cp "$here/$rel" "$tmp/" || { why="cannot copy $rel"; return 1; }
    s=${s//"$tok"/$tmp/$(basename "$rel")}
  done
  if [[ $s == *@SPECFOR:UNREADABLE@* ]]; then
    [ "$(id -u)" -eq 0 ] && { why="root reads any file"; return 3; }
    cp "$here/candles/good.csv" "$tmp/unreadable.csv" && chmod 000 "$tmp/unreadable.csv"
    s=${s//@SPECFOR:UNREADABLE@/$(spec_for "$tmp/unreadable.csv")}
  fi
  while [[ $s =~ @SPECFOR:([^@]*)@ ]]; do
    tok=${BASH_REMATCH[0]}; rel=${BASH_REMATCH[1]}
    s=${s//"$tok"/$(spec_for "$here/$rel")}
  done
  expanded=$s
}

n=0
while IFS=$'\t' read -r name state code want cmd; do
  [[ -z $name || $name == \#* ]] && continue
  [ -n "$only" ] && [ "$name" != "$only" ] && continue
  n=$((n + 1))
  if [[ $state == pending:* && $activate == *" ${state#pending:} "* ]]; then
    state=active
  fi
  if [[ $state == pending:* ]]; then
    c=${state#pending:}
    note=""
    "$bin" "$c" --help >/dev/null 2>&1 && note=" (seqtune $c exists now: switch this case on)"
    echo "PENDING $name: needs 'seqtune $c'$note"
    pending=$((pending + 1)); continue
  fi
  if [ "$state" != active ]; then
    fail "unknown state '$state'"; continue
  fi
  tmp="$T/$name"; mkdir -p "$tmp"
  expanded=""; why=""
  expand "$cmd"; erc=$?
  if [ $erc -eq 3 ]; then echo "SKIP $name: $why"; skipped=$((skipped + 1)); continue; fi
  if [ $erc -ne 0 ]; then fail "setup: $why"; continue; fi
  eval "args=( $expanded )"
  # the databases the command may touch: every --db value, and ./seqtune.db
  dbs=("$tmp/seqtune.db")
  for ((i = 0; i < ${#args[@]}; i++)); do
    [ "${args[$i]}" = --db ] && [ $((i + 1)) -lt ${#args[@]} ] && dbs+=("${args[$((i + 1))]}")
  done
  sums=()
  for d in "${dbs[@]}"; do
    if [ -f "$d" ]; then sums+=("$(sha256sum <"$d")"); elif [ -e "$d" ]; then sums+=(other); else sums+=(absent); fi
  done
  (cd "$tmp" && env -u SEQTUNE_DB timeout 120 "$bin" "${args[@]}") >"$tmp/.stdout" 2>"$tmp/.stderr" </dev/null
  rc=$?
  err=$(cat "$tmp/.stderr")
  bad=""
  [ "$rc" = "$code" ] || bad="exit $rc, expected $code"
  if [[ $err != *"$want"* ]]; then bad="${bad:+$bad; }stderr does not contain '$want'"; fi
  first=$(head -n 1 "$tmp/.stderr")
  if [[ $first != "seqtune: "* && ! ( $code == 1 && $first == "usage: seqtune"* ) ]]; then
    bad="${bad:+$bad; }stderr does not start with 'seqtune: '"
  fi
  # a message names each file once ("seqtune: F: F: ..." says it twice)
  for a in "${args[@]}"; do
    [[ $a == */* ]] || continue
    while IFS= read -r line; do
      rest=${line#*"$a:"}
      if [[ $rest != "$line" && $rest == *"$a:"* ]]; then
        bad="${bad:+$bad; }stderr names $a twice in one line"; break
      fi
    done <"$tmp/.stderr"
  done
  if grep -qE 'ERROR: (Address|Leak|Undefined|Memory)Sanitizer|runtime error:|^SUMMARY: ' "$tmp/.stderr"; then
    bad="${bad:+$bad; }sanitizer report"
  fi
  for ((i = 0; i < ${#dbs[@]}; i++)); do
    d=${dbs[$i]}
    if [ -f "$d" ]; then now=$(sha256sum <"$d"); elif [ -e "$d" ]; then now=other; else now=absent; fi
    if [ "$now" != "${sums[$i]}" ]; then
      if [ "${sums[$i]}" = absent ]; then bad="${bad:+$bad; }created database $d"
      else bad="${bad:+$bad; }database $d changed"; fi
    fi
  done
  if [ -n "$bad" ]; then
    fail "$bad"
    echo "    command: seqtune ${args[*]}"
    sed 's/^/    stderr: /' "$tmp/.stderr" | head -8
  else
    echo "ok $name (exit $rc)"
    passed=$((passed + 1))
  fi
done <"$here/cases.tsv"

[ "$n" -eq 0 ] && { echo "FAIL: no case ran (BAD_INPUTS_ONLY='$only')"; failed=$((failed + 1)); }
echo "$passed passed, $failed failed, $pending pending, $skipped skipped"
[ "$failed" -eq 0 ]
