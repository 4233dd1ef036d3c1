#!/usr/bin/env bash
# expect-fail.sh - check that every shipped exercise starter fails its tests.
#
# An exercise whose tests pass before the learner writes anything teaches
# nothing, so a starter that passes is an error here.  So is a starter that
# "fails" without running its tests: a program that is missing (the starter
# did not build), that crashes or times out before printing its score line,
# or that ran no test at all.  Those say nothing about the exercise; they
# would only hide a broken one.  A valid failing starter prints its score
# line with at least one test failed, and exits non-zero.
set -uo pipefail
unset CK_RUN_SUITE CK_RUN_CASE    # a starter must fail its whole suite
status=0
log_dir=build/test-logs; mkdir -p "$log_dir"
for prog in "$@"; do
  if [ ! -x "$prog" ]; then
    echo "!! $prog: not found or not executable (did the starter build?)"
    status=1; continue
  fi
  log="$log_dir/expect-fail-$(echo "$prog" | tr / -).log"
  CK_VERBOSITY=silent timeout -k 5 600 "$prog" > "$log" 2>&1
  rc=$?
  line=$(grep '^SCORE ' "$log" | tail -n 1)
  if ! [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
    echo "!! $prog: no score line (exit status $rc: crashed, timed out or not a test program); see $log"
    status=1
  elif [ $((BASH_REMATCH[1] + BASH_REMATCH[2])) -eq 0 ]; then
    echo "!! $prog: ran no test; a starter must run its tests and fail them"
    status=1
  elif [ "${BASH_REMATCH[2]}" -eq 0 ] || [ "$rc" -eq 0 ]; then
    echo "!! $prog: the starter passes its tests; it should fail until solved"
    status=1
  else
    echo "ok $prog: fails as shipped (${BASH_REMATCH[1]} passed, ${BASH_REMATCH[2]} failed)"
  fi
done
exit $status
