#!/usr/bin/env bash
# expect-fail.sh - check that every shipped exercise starter fails its tests.
#
# An exercise whose tests pass before the learner writes anything teaches
# nothing, so a starter that passes is an error here.
set -uo pipefail
status=0
for prog in "$@"; do
  if CK_VERBOSITY=silent timeout -k 5 600 "$prog" >/dev/null 2>&1; then
    echo "!! $prog: the starter passes its tests; it should fail until solved"
    status=1
  else
    echo "ok $prog: fails as shipped"
  fi
done
exit $status
