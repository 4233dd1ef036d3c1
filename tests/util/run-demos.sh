#!/usr/bin/env bash
# run-demos.sh - run each deliberately broken demo and insist that the
# sanitizer it was built with reports the bug.
#
# build/demo/tsan_* must print "WARNING: ThreadSanitizer: data race";
# build/demo/asan_* must print "ERROR: AddressSanitizer: heap-use-after-free".
# A demo that runs clean means the lesson has silently stopped working.
# A demo whose name ends in _clean is the corrected twin of one of them: it
# must exit 0 with no sanitizer report at all.
set -uo pipefail
status=0
for prog in "$@"; do
  name=$(basename "$prog")
  case $name in
    tsan_*) want='WARNING: ThreadSanitizer: data race' ;;
    asan_*) want='ERROR: AddressSanitizer: heap-use-after-free' ;;
    *) echo "!! $name: unknown demo kind"; status=1; continue ;;
  esac
  out=$(TSAN_OPTIONS=halt_on_error=1 ASAN_OPTIONS=halt_on_error=1 \
        timeout -k 5 120 "$prog" 2>&1)
  rc=$?
  if [[ $name == *_clean ]]; then
    if [ $rc -eq 0 ] && ! grep -qE 'ThreadSanitizer|AddressSanitizer|runtime error' <<<"$out"; then
      echo "ok $name: runs clean under its sanitizer, as it should"
    else
      echo "!! $name: expected no sanitizer report and exit 0 (exit $rc)"
      printf '%s\n' "$out" | tail -n 20
      status=1
    fi
  elif grep -q "$want" <<<"$out"; then
    echo "ok $name: sanitizer reported \"$want\" as it should"
  else
    echo "!! $name: expected the sanitizer to report \"$want\"; it did not"
    printf '%s\n' "$out" | tail -n 20
    status=1
  fi
done
exit $status
