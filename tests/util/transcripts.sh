#!/usr/bin/env bash
# transcripts.sh - write or check the program output that chapters quote.
#
# Usage: transcripts.sh write [NAME...]   (make transcripts [T="NAME..."])
#        transcripts.sh check [NAME...]   (make check-transcripts, make docs)
#
# A chapter never pastes output.  Every test run, failing test, sanitizer
# report or tool output it shows is docs/transcripts/NAME.txt, included with
# Doxygen's \verbinclude, and docs/transcripts/list says which command makes
# it.  Each line of the list is
#
#     NAME | BUILD TARGETS | MODE | COMMAND
#
# BUILD TARGETS are made first, quietly (so compiler lines never enter a
# transcript); COMMAND then runs from the repository root under bash with
# stdout and stderr together, LC_ALL=C, TZ=UTC, as a top-level make would
# (no MAKEFLAGS or MAKELEVEL inherited) and without the variables that change
# what a test run does (TEST_SCALE, STRESS_VARIANT, CK_RUN_SUITE,
# CK_RUN_CASE, CK_FORK, CK_VERBOSITY unless COMMAND sets them).  Its exit
# status is not recorded: a transcript of a failing test is meant to fail.
# The file holds "$ COMMAND" and then the output, normalized: the absolute
# path of the repository is removed, then tests/util/transcript-normalize.sed
# replaces what varies by itself (addresses, ids, temp paths, dates,
# durations).  The same normalization runs when checking, so the committed
# file is already normalized and `write` on a clean tree changes nothing.
#
# MODE is `exact` (the normalized output must match line for line) or
# `shape`, for output that a race decides: before comparing, "0 failed"
# and "Failures: 0, Errors: 0" become "no failures", then every number
# becomes N, a Check failure or error line ("file:N:F:suite:case:N: ...")
# becomes "file:N:failed:suite:case: <message>", and repeated lines collapse
# into one (uniq).  So how many iterations of a looped test failed, and how,
# is not compared; a shape-checked transcript still fails the check when
# another test fails, when the failing test passes, or when a line appears
# or goes.
# MODE `report` is for a ThreadSanitizer demo, where the schedule decides
# which pair of racing accesses is caught first (and so every stack below
# the headline): only the command line and the headline of each report
# ("WARNING: ThreadSanitizer: data race", "==<pid>==ERROR: ...") are
# compared.  The committed file is still one complete, real run.
#
# `check` runs every command again and prints a unified diff for each
# transcript that differs, with the command that refreshes it.  `write`
# rewrites exactly the transcripts that `check` would reject (and makes
# missing ones); the others are left as they are, so a shape- or
# report-checked transcript keeps its committed run.  Exit
# status: 0 when all match, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-}; shift || true
case $mode in write|check) ;; *) echo "usage: $0 write|check [NAME...]" >&2; exit 2 ;; esac
list=docs/transcripts/list
dir=docs/transcripts
norm=tests/util/transcript-normalize.sed
root=$(pwd -P)

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; s=${s%"${s##*[![:space:]]}"}; printf '%s' "$s"; }

names=(); builds=(); modes=(); cmds=(); declare -A listed=()
while IFS='|' read -r n b m c; do
  n=$(trim "$n")
  [[ -z $n || $n == \#* ]] && continue
  names+=("$n"); builds+=("$(trim "$b")"); modes+=("$(trim "$m")"); cmds+=("$(trim "$c")")
  listed[$n]=1
done < "$list"

want=("$@")
selected() {
  [ ${#want[@]} -eq 0 ] && return 0
  local w; for w in "${want[@]}"; do [ "$w" = "$1" ] && return 0; done
  return 1
}
status=0
for w in "${want[@]}"; do
  [ -n "${listed[$w]:-}" ] \
    || { echo "transcripts: no transcript named '$w' in $list"; status=1; }
done
for i in "${!names[@]}"; do
  case ${modes[$i]} in exact|shape|report) ;; *)
    echo "transcripts: ${names[$i]}: mode must be exact, shape or report, not '${modes[$i]}'"; status=1 ;;
  esac
done
# Every file in the directory is listed, so none is left to rot.
for f in "$dir"/*.txt; do
  [ -e "$f" ] || continue
  n=$(basename "$f" .txt)
  [ -n "${listed[$n]:-}" ] \
    || { echo "transcripts: $f is not in $list (remove it or add its command)"; status=1; }
done
[ $status -eq 0 ] || exit $status

clean_env=(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES
           -u TEST_SCALE -u STRESS_VARIANT -u CK_RUN_SUITE -u CK_RUN_CASE
           -u CK_FORK -u CK_VERBOSITY -u TSAN_OPTIONS -u ASAN_OPTIONS
           -u UBSAN_OPTIONS LC_ALL=C TZ=UTC)

# Build everything the selected commands need, once, quietly.
targets=()
for i in "${!names[@]}"; do
  selected "${names[$i]}" || continue
  # shellcheck disable=SC2206
  [ -n "${builds[$i]}" ] && [ "${builds[$i]}" != - ] && targets+=(${builds[$i]})
done
if [ ${#targets[@]} -gt 0 ]; then
  blog=$(mktemp); trap 'rm -f "$blog"' EXIT
  if ! "${clean_env[@]}" make -s -j"$(nproc)" --no-print-directory \
       $(printf '%s\n' "${targets[@]}" | sort -u) > "$blog" 2>&1; then
    cat "$blog"; echo "transcripts: building the programs the transcripts run failed"
    exit 1
  fi
fi

# run I: the normalized transcript of command I on stdout.
run() {
  local cmd=${cmds[$1]}
  printf '$ %s\n' "$cmd"
  "${clean_env[@]}" bash -c "$cmd" 2>&1 < /dev/null \
    | sed "s#$root/##g" | sed -E -f "$norm"
}
shape() {
  sed -E 's/\b0 failed/no failures/g; s/Failures: 0, Errors: 0/no failures/
          s/[0-9]+/N/g; s/^([^: ]+:N:)[EF](:[^:]*:[^:]*:)N:.*/\1failed\2 <message>/' | uniq
}
headlines() {
  grep -E '^(\$ |WARNING: |==<pid>==ERROR: )' || true
}

for i in "${!names[@]}"; do
  name=${names[$i]}
  selected "$name" || continue
  file=$dir/$name.txt
  fresh=$(mktemp)
  run "$i" > "$fresh"
  filter=cat
  case ${modes[$i]} in shape) filter=shape ;; report) filter=headlines ;; esac
  a=$(mktemp); b=$(mktemp)
  [ -f "$file" ] && $filter < "$file" > "$a"
  $filter < "$fresh" > "$b"
  if [ "$mode" = write ]; then
    # Rewrite only what the check would reject, so that a racy transcript
    # is not rewritten by every run and a clean tree stays clean.
    if [ -f "$file" ] && cmp -s "$a" "$b"; then
      echo "transcripts: $name unchanged"
    else
      cp "$fresh" "$file"; echo "transcripts: wrote $file"
    fi
  elif [ ! -f "$file" ]; then
    echo "transcripts: $file is missing; make it with: make transcripts T=$name"
    status=1
  elif ! diff -u --label "$file (committed)" --label "$name (fresh run)" "$a" "$b"; then
    echo "transcripts: $file differs from a fresh run of: ${cmds[$i]}"
    [ "${modes[$i]}" = shape ] && echo "transcripts: ($name is shape-checked: which tests fail is compared, not how often or with which message)"
    [ "${modes[$i]}" = report ] && echo "transcripts: ($name is report-checked: only the headline of each sanitizer report is compared)"
    echo "transcripts: if the change is intended, refresh it with: make transcripts T=$name"
    status=1
  fi
  rm -f "$a" "$b"
  rm -f "$fresh"
done
if [ "$mode" = check ] && [ $status -eq 0 ]; then
  echo "transcripts: every transcript matches a fresh run of its command"
fi
exit $status
