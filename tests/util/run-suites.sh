#!/usr/bin/env bash
# run-suites.sh - run test programs, print a score line for each and a total.
#
# Usage: run-suites.sh "RUNNER" PROGRAM...
# RUNNER (may be empty) is put in front of each program, e.g. "valgrind ...".
# Every program prints "SCORE <label>: P passed, F failed" as its last line
# (tests/util/test_main.c).  A program that crashes or times out counts as a
# failure even if it printed nothing.  Exit status: non-zero on any failure.
set -uo pipefail
runner=$1; shift
limit=${TEST_PROGRAM_TIMEOUT:-900}
[ $# -gt 0 ] || { echo "run-suites: no test programs selected"; exit 1; }
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
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "!! $name exited with status $rc (crash, sanitizer report or timeout); see $log"
    f=1
  fi
  [ "$rc" -ne 0 ] && status=1
  [ "$f" -ne 0 ] && status=1
  echo "score $name: $p passed, $f failed"
  total_p=$((total_p + p)); total_f=$((total_f + f))
done
echo "total: $total_p passed, $total_f failed"
exit $status
