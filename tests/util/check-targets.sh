#!/usr/bin/env bash
# check-targets.sh - the make targets and test runners refuse to pass on nothing.
#
# Usage: tests/util/check-targets.sh        (from the repository root)
#
# A check that runs no test and exits 0 tells a learner they passed.  This
# script runs each invocation that once did that -- an exercise chapter
# written as CH=1, no CH, a chapter that does not exist, a SUITE or CASE
# that matches nothing, a starter that runs no test -- and asserts that it
# now fails with a message saying what was wrong and what is valid.  It
# also runs the good forms, so that it cannot pass by everything failing.
# The runners are exercised on tiny stand-in programs (shell scripts that
# print a score line), the make targets on the real, already built test
# programs (chapter 6's suites take well under a second).  Exit status:
# non-zero if any expectation does not hold.
set -uo pipefail
cd "$(dirname "$0")/../.."
export MAKEFLAGS="${MAKEFLAGS:-} --no-print-directory"
unset CK_RUN_SUITE CK_RUN_CASE SUITE CASE CH

failures=0
checks=0
out=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$out" "$tmp"' EXIT

# run DESC EXPECT REGEX CMD...: run CMD; EXPECT is "fail" (exit status must
# be non-zero) or "ok" (must be zero); the output, stdout and stderr
# together, must match the extended regular expression REGEX.
run() {
  local desc=$1 expect=$2 regex=$3; shift 3
  checks=$((checks + 1))
  "$@" > "$out" 2>&1
  local rc=$?
  local why=""
  if [ "$expect" = fail ] && [ "$rc" -eq 0 ]; then
    why="exited 0, expected a failure"
  elif [ "$expect" = ok ] && [ "$rc" -ne 0 ]; then
    why="exited $rc, expected 0"
  elif ! grep -Eq -- "$regex" "$out"; then
    why="output does not match /$regex/"
  fi
  if [ -n "$why" ]; then
    failures=$((failures + 1))
    echo "FAIL $desc: $why; last lines of its output:"
    tail -n 8 "$out" | sed 's/^/     | /'
  else
    echo "ok   $desc"
  fi
}

# Stand-in test programs: each prints a score line the way
# tests/util/test_main.c does, or crashes.
fake() {  # fake NAME EXIT-STATUS [SCORE-LINE]
  local f="$tmp/$1"
  { echo '#!/bin/sh'
    [ -n "${3:-}" ] && echo "echo '$3'"
    echo "exit $2"; } > "$f"
  chmod +x "$f"
}
fake ran-nothing 0 "SCORE fake: 0 passed, 0 failed"
fake ran-nothing-rc2 2 "SCORE fake: 0 passed, 0 failed"
fake passes 0 "SCORE fake: 3 passed, 0 failed"
fake fails 1 "SCORE fake: 1 passed, 2 failed"
fake no-score 139
printf '#!/bin/sh\nkill -SEGV $$\n' > "$tmp/crashes"; chmod +x "$tmp/crashes"

echo "== runners"
run "run-suites.sh: a program that ran no test fails" fail 'ran no test' \
    tests/util/run-suites.sh "" "$tmp/ran-nothing"
run "run-suites.sh: a program that ran no test fails (exit 2)" fail 'ran no test' \
    tests/util/run-suites.sh "" "$tmp/ran-nothing-rc2"
run "run-suites.sh: a passing program passes" ok 'total: 3 passed, 0 failed' \
    tests/util/run-suites.sh "" "$tmp/passes"
run "run-suites.sh: a failing program fails" fail 'total: 1 passed, 2 failed' \
    tests/util/run-suites.sh "" "$tmp/fails"
run "expect-fail.sh: a starter that fails its tests is accepted" ok 'ok .*fails: ' \
    tests/util/expect-fail.sh "$tmp/fails"
run "expect-fail.sh: a starter that passes is an error" fail 'passes its tests' \
    tests/util/expect-fail.sh "$tmp/passes"
run "expect-fail.sh: a starter that runs no test is an error" fail 'ran no test' \
    tests/util/expect-fail.sh "$tmp/ran-nothing"
run "expect-fail.sh: a starter that crashes without a score is an error" fail 'no score line' \
    tests/util/expect-fail.sh "$tmp/crashes"
run "expect-fail.sh: a starter that prints nothing is an error" fail 'no score line' \
    tests/util/expect-fail.sh "$tmp/no-score"
run "expect-fail.sh: a missing starter program is an error" fail 'not found' \
    tests/util/expect-fail.sh "$tmp/does-not-exist"

echo "== make test: chapter selection and filters"
chapters=$(ls tests/ch[0-9][0-9]_*.c | sed 's|tests/ch\([0-9][0-9]\)_.*|\1|' | sort -u)
last=$(echo "$chapters" | tail -n 1)
next=$(printf '%02d' $((10#$last + 1)))
run "make test CH=$next (beyond the last chapter) fails naming chapter $last" \
    fail "CH=$next.*$last" make test CH="$next"
run "make test CH=0 fails" fail "CH=0 .*chapter" make test CH=0
run "make test CH=abc fails" fail "CH=abc .*chapter" make test CH=abc
run "make test-ch06 SUITE=nosuchsuite fails, naming the suites" \
    fail 'no test ran' make test-ch06 SUITE=nosuchsuite
run "make test-ch06 SUITE=nosuchsuite names the suites available" \
    fail 'suites: .*ch06_resp_write' make test-ch06 SUITE=nosuchsuite
run "make test-ch06 CASE=nosuchcase fails, naming the test cases" \
    fail 'test cases: .*round_trip' make test-ch06 CASE=nosuchcase
run "make test-ch06 SUITE=ch06_resp_write runs it" \
    ok 'score test-ch06: [1-9][0-9]* passed, 0 failed' make test-ch06 SUITE=ch06_resp_write
run "make test-ch06 CASE=round_trip runs it" \
    ok 'score test-ch06: [1-9][0-9]* passed, 0 failed' make test-ch06 CASE=round_trip
run "make test CH=6 SUITE=ch06_resp_write: other chapters matching nothing is fine" \
    ok 'total: [1-9][0-9]* passed, 0 failed' make test CH=6 SUITE=ch06_resp_write
run "make test CH=06 SUITE=nosuchsuite: no chapter matched, fails" \
    fail 'no test ran' make test CH=06 SUITE=nosuchsuite

echo "== make exercise"
ex_first=$(ls -d exercises/ch[0-9][0-9] | head -n 1 | sed 's|exercises/ch||')
ex_last=$(ls -d exercises/ch[0-9][0-9] | tail -n 1 | sed 's|exercises/ch||')
ex_next=$(printf '%02d' $((10#$ex_last + 1)))
ex_one=$((10#$ex_first))
run "make exercise (no CH) fails naming the chapters" \
    fail "CH=.*$ex_first.*$ex_last" make exercise
run "make exercise CH=$ex_next (no such exercises) fails naming the chapters" \
    fail "CH=$ex_next.*$ex_first.*$ex_last" make exercise CH="$ex_next"
run "make exercise CH=abc fails" fail "CH=abc.*$ex_last" make exercise CH=abc
# A shipped starter fails its tests, so these exit non-zero; what matters is
# that tests ran (a score with a non-zero count).
run "make exercise CH=$ex_one runs chapter $ex_first's exercise tests" \
    any "score exercise/ch$ex_first: ([1-9][0-9]* passed, [0-9]+|[0-9]+ passed, [1-9][0-9]*) failed" \
    make exercise CH="$ex_one"
run "make exercise CH=$ex_first runs them too" \
    any "score exercise/ch$ex_first: ([1-9][0-9]* passed, [0-9]+|[0-9]+ passed, [1-9][0-9]*) failed" \
    make exercise CH="$ex_first"

echo "check-targets: $((checks - failures)) of $checks expectations hold"
[ "$failures" -eq 0 ]
