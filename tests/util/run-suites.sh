#!/usr/bin/env bash
# run-suites.sh - run test programs, print a score line for each and a total.
#
# Usage: run-suites.sh "RUNNER" PROGRAM...
# RUNNER (may be empty) is put in front of each program, e.g. "valgrind ...".
# Every program prints "SCORE <label>: P passed, F failed" as its last line
# (tests/util/test_main.c).  A program that crashes or times out counts as a
# failure even if it printed nothing.  Running no test is a failure too: a
# program that ran none fails, unless CK_RUN_SUITE / CK_RUN_CASE (make's
# SUITE= / CASE=) selected tests that live in another of the programs; and a
# run in which no program ran a test fails, listing the suites and test
# cases there are.  Exit status: non-zero on any failure.
set -uo pipefail
runner=$1; shift
limit=${TEST_PROGRAM_TIMEOUT:-900}
[ $# -gt 0 ] || { echo "run-suites: no test programs selected"; exit 1; }
nothing_ran=2    # TEST_MAIN_NOTHING_RAN in tests/util/test_main.h
filter=""
[ -n "${CK_RUN_SUITE:-}" ] && filter="$filter SUITE=$CK_RUN_SUITE"
[ -n "${CK_RUN_CASE:-}" ] && filter="$filter CASE=$CK_RUN_CASE"

# sources PROGRAM: the test sources built into a program, from the naming
# rules of the Makefile (build[/mode]/test-chNN, build/exercise/chNN,
# build/solution/chNN), plus the store contract when a chapter uses it.
sources() {
  local base num files=()
  base=$(basename "$1")
  num=${base##*ch}
  case $1 in
    *exercise/ch*|*solution/ch*) files=(tests/exercises/ch"$num"_*.c) ;;
    *test-ch*) files=(tests/ch"$num"_*.c) ;;
  esac
  [ -e "${files[0]:-}" ] || return 0
  printf '%s\n' "${files[@]}"
  grep -l 'store_contract_suite(' "${files[@]}" >/dev/null 2>&1 \
    && echo tests/util/store_contract.c
}

# names PROGRAM WHAT: the suite names (WHAT=suite) or test case names
# (WHAT=case) given in the program's sources, one line, space-separated.
names() {
  local re
  if [ "$2" = suite ]; then
    re='(suite_create|store_contract_suite)\("[^"]+"'
  else
    re='test_tcase\("[^"]+"'
  fi
  mapfile -t srcs < <(sources "$1")
  [ ${#srcs[@]} -gt 0 ] || return 0
  grep -ohE "$re" "${srcs[@]}" | sed -E 's/.*\("//; s/"$//' | awk '!seen[$0]++' \
    | tr '\n' ' ' | sed 's/ $//'
}

total_p=0; total_f=0; status=0
log_dir=build/test-logs; mkdir -p "$log_dir"
for prog in "$@"; do
  name=${prog#build/}
  log="$log_dir/$(echo "$prog" | tr / -).log"
  echo "== $prog"
  # shellcheck disable=SC2086
  timeout --foreground -k 10 "$limit" $runner "$prog" 2>&1 | tee "$log" | grep -v '^SCORE '
  rc=${PIPESTATUS[0]}
  line=$(grep '^SCORE ' "$log" | tail -n 1)
  if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
    p=${BASH_REMATCH[1]}; f=${BASH_REMATCH[2]}
  else
    p=0; f=1
  fi
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    if [ -n "$filter" ] && { [ "$rc" -eq 0 ] || [ "$rc" -eq "$nothing_ran" ]; }; then
      echo "-- $name: nothing here matches$filter"
      rc=0
    else
      echo "!! $name ran no test; a run of nothing is not a pass"
      f=1
    fi
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "!! $name exited with status $rc (crash, sanitizer report or timeout); see $log"
    f=1
  fi
  [ "$rc" -ne 0 ] && status=1
  [ "$f" -ne 0 ] && status=1
  echo "score $name: $p passed, $f failed"
  total_p=$((total_p + p)); total_f=$((total_f + f))
done
if [ $((total_p + total_f)) -eq 0 ]; then
  echo "!! no test ran:${filter:- the programs have no tests} matched nothing in $*"
  for prog in "$@"; do
    s=$(names "$prog" suite); c=$(names "$prog" case)
    [ -n "$s" ] && echo "   ${prog#build/} suites: $s"
    [ -n "$c" ] && echo "   ${prog#build/} test cases: $c"
  done
  total_f=1; status=1
fi
echo "total: $total_p passed, $total_f failed"
exit $status
