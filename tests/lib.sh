# tests/lib.sh - the preamble and assertions the shell tests share. A test sources
# it first, by its own path (meson passes nothing for it):
#   . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1
# Sourcing sets `set -u` and starts the counters; then:
#   need_cmd CMD...      SKIP (exit 77, "SKIP: CMD not installed") unless every CMD
#                        is on PATH
#   need_file FILE WHAT  SKIP ("SKIP: WHAT not found at FILE") unless FILE is readable
#   mpi_root_env         lets Open MPI run as root, and under ASan unwinds fully so
#                        that lsan.supp matches Open MPI's own leaks
#   make_tmp [TEMPLATE]  T = a new folder (mktemp -d [TEMPLATE]), removed at exit
#   at_exit 'CMD'        CMD runs at exit (in order, before T is removed), e.g. to
#                        kill a server the test started; its variables expand then
#   check WHAT CMD...    runs CMD: prints "ok   WHAT" or "FAIL WHAT" and counts
#   ok MSG / fail MSG    for tests that decide themselves: "ok   MSG" or "FAIL: MSG",
#                        counted the same way
#   finish               prints "N passed, N failed" and exits 0, or 1 when a check
#                        failed or the test set fail=1 itself (a FAIL line says why)
# A test may still set fail=1 after printing its own FAIL line, and may define its
# own ok/fail after sourcing (then it keeps its own summary too).
set -u

fail=0            # 1 once anything failed; tests set it themselves too
lib_passed=0
lib_failed=0
lib_at_exit=""   # T is not reset: a shell that inherits it (unshare bash -c) keeps it

need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null || { echo "SKIP: $c not installed"; exit 77; }
  done
}

need_file() {
  [ -r "$1" ] || { echo "SKIP: $2 not found at $1"; exit 77; }
}

mpi_root_env() {
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export ASAN_OPTIONS="${ASAN_OPTIONS:-}:fast_unwind_on_malloc=0"
}

lib_exit() {
  eval "$lib_at_exit"
  [ -n "${T:-}" ] && rm -rf "$T"
}

at_exit() {
  lib_at_exit="$lib_at_exit$1
"
  trap lib_exit EXIT
}

make_tmp() {
  T=$(mktemp -d "$@")
  [ -d "$T" ] || { echo "FAIL mktemp"; exit 1; }
  trap lib_exit EXIT
}

check() {
  local what=$1; shift
  if "$@"; then
    echo "ok   $what"; lib_passed=$((lib_passed + 1))
  else
    echo "FAIL $what"; lib_failed=$((lib_failed + 1)); fail=1
  fi
}

ok() { echo "ok   $*"; lib_passed=$((lib_passed + 1)); }
fail() { echo "FAIL: $*"; lib_failed=$((lib_failed + 1)); fail=1; }

finish() {
  local note=""
  [ "$fail" -ne 0 ] && [ "$lib_failed" -eq 0 ] && note=" (and a FAIL line above)"
  echo "$lib_passed passed, $lib_failed failed$note"
  [ "$fail" -eq 0 ] && [ "$lib_failed" -eq 0 ] && exit 0
  exit 1
}
