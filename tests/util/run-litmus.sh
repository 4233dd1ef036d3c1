#!/usr/bin/env bash
# run-litmus.sh - run the memory-model primer's litmus programs (chapter 1b)
# and check what each one must show.
#
# build/litmus/sb: the store-buffering test.  seq_cst must never show the
#   forbidden outcome (sb exits 1 if it does).  The weak orders' counts are
#   printed; on x86-64 with two or more CPUs they are expected to be > 0 and
#   "not observed" is reported as a warning, not a failure: on a shared
#   virtual machine the two threads may not run at the same instant for the
#   whole time budget (both vCPUs on one physical core), and then no
#   reordering can be seen.  LITMUS_STRICT=1 makes it a failure.
# build/litmus/condvar: deterministic; its output must equal the committed
#   transcript docs/transcripts/ch01b-litmus-condvar.txt, which chapter 1b
#   includes (its first line is the "$ build/litmus/condvar" of every
#   transcript; the rest is the output).  That file is the one source of
#   truth: `make check-transcripts` compares it too, and
#   `make transcripts T=ch01b-litmus-condvar` rewrites it.
set -uo pipefail
status=0
for prog in "$@"; do
  name=$(basename "$prog")
  case $name in
    sb)
      args=(--budget "${LITMUS_BUDGET:-10}")
      [ "${LITMUS_STRICT:-0}" = 1 ] && args+=(--strict)
      out=$(timeout -k 5 120 "$prog" "${args[@]}" 2>&1); rc=$?
      printf '%s\n' "$out" | sed 's/^/   /'
      if [ $rc -ne 0 ]; then
        echo "!! sb: exit $rc (seq_cst showed the forbidden outcome, or --strict and a weak order did not)"
        status=1
      elif grep -q 'not observed' <<<"$out"; then
        if [ "$(uname -m)" = x86_64 ] && [ "$(nproc)" -ge 2 ]; then
          echo "ok sb: seq_cst never showed it; WARNING: a weak order was not observed on this x86-64 machine within the budget (see tests/litmus/sb.c)"
        else
          echo "ok sb: seq_cst never showed it; weak orders not observed ($(uname -m), $(nproc) CPUs: not required here)"
        fi
      else
        echo "ok sb: relaxed and release/acquire showed the forbidden outcome, seq_cst never did"
      fi ;;
    condvar)
      want=docs/transcripts/ch01b-litmus-condvar.txt
      out=$(timeout -k 5 120 "$prog" 2>&1); rc=$?
      if [ $rc -eq 0 ] && tail -n +2 "$want" | diff -u - <(printf '%s\n' "$out") >/dev/null; then
        echo "ok condvar: each wrong wait failed as shown, each right one worked; output matches $want"
      else
        echo "!! condvar: exit $rc, or output differs from $want:"
        tail -n +2 "$want" | diff -u --label "$want" --label "$prog" - <(printf '%s\n' "$out") | tail -n 20
        status=1
      fi ;;
    *) echo "!! $name: unknown litmus program"; status=1 ;;
  esac
done
exit $status
