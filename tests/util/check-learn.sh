#!/usr/bin/env bash
# check-learn.sh - the build-it-yourself track works for every chapter.
#
# 1. The marker checker rejects broken markers, naming file and line
#    (nested, unclosed, stray end, malformed, misplaced, unknown section).
# 2. Each chapter's "What you write" list names exactly its marked functions.
# 3. For each chapter N with marked bodies: a learn dir holding the real
#    bodies of chapters 1..N-1 (as if the learner had written them) and the
#    stubs of chapter N builds with -Werror, and chapter N's suites fail with
#    messages that name chapter N; generating again keeps every file as is.
#    Then each marked body alone is stubbed: chapter N's suites must fail
#    and name it, so no marked body goes untested.  Suites run one at a
#    time, those whose files name the function first, and the check stops
#    at the first suite that fails naming it: the answer is the same as
#    running them all, at a fraction of the time.
# 4. A learn dir holding real bodies (markers kept) passes: chapter 1's
#    suites with chapter 1's files, chapter 6's with chapters 1..6's files.
#
# LEARN_CHAPTERS="N..." limits steps 3 and 4 to those chapters.
# Everything is built in build/learn-check/ (never build/ or build/learn/).
# The "real bodies pass" direction for the tree as committed is make test.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=build/learn-check
status=0
fail() { echo "!! check-learn: $*"; status=1; }
learn_py() { python3 tests/util/learn.py "$@"; }

# --- 1. broken markers --------------------------------------------------------
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
mkdir -p "$t/src" "$t/chapters"
printf '# One\n## Good section\n' > "$t/chapters/01-x.md"
bad_case() {  # name, expected "file:line" in the message, then the C text
  local name=$1 where=$2 text=$3 out
  printf '%b' "$text" > "$t/src/bad.c"
  out=$(cd "$t" && python3 "$OLDPWD/tests/util/learn.py" list 2>&1)
  if [ $? -eq 0 ]; then fail "$name: accepted"; 
  elif ! grep -qF "$where" <<<"$out"; then fail "$name: message does not name $where: $out"
  else echo "ok   rejects $name: $out"; fi
}
B='    /* learn: ch01 f "Good section" */\n'
E='    /* learn: end */\n'
bad_case nested src/bad.c:4 "int f(void)\n{\n$B$B    return 0;\n$E}\n"
bad_case unclosed src/bad.c:3 "int f(void)\n{\n$B    return 0;\n}\n"
bad_case stray-end src/bad.c:4 "int f(void)\n{\n    return 0;\n$E}\n"
bad_case malformed src/bad.c:3 "int f(void)\n{\n    /* learn: ch1 f */\n    return 0;\n}\n"
bad_case not-after-brace src/bad.c:4 "int f(void)\n{\n    int x = 0;\n$B    return x;\n$E}\n"
bad_case wrong-name src/bad.c:3 "int g(void)\n{\n$B    return 0;\n$E}\n"
bad_case unknown-section src/bad.c:3 "int f(void)\n{\n    /* learn: ch01 f \"No such\" */\n    return 0;\n$E}\n"
rm -rf "$t"; trap - EXIT

# --- 2. the chapters' lists ---------------------------------------------------
learn_py check-chapters && echo "ok   every chapter's 'What you write' matches its markers" \
  || fail "a chapter's 'What you write' list and the markers in src/ differ"
markers=$(learn_py list) || { fail "the markers in src/ are broken"; exit 1; }

# --- 3. stubs fail, naming their chapter --------------------------------------
mkdir -p "$top"
# TEST_SCALE: the stress suites' sizes; a tenth still reaches every body.
ltest() {  # learn dir, chapter, only-chapter; output in $top/out.log
  TEST_SCALE=${TEST_SCALE:-0.1} make -j2 --no-print-directory learn-test LEARN_DIR="$1" LEARN_BUILD="$top/build" \
    CH="$2" LEARN_ONLY="$3" > "$top/out.log" 2>&1
}
# The suite written for a body, where no test file names the function
# (chapter 11's bodies are reached through the server): tried first.
declare -A hint=([server_client_process]=ch11_server [server_cmd_resolve]=ch11_strings
                 [glob_match]=ch11_keys)
# suites NN [NAME...]: chapter NN's suite names: the hinted ones, then those
# whose test files mention one of the NAMEs (the likeliest to reach those
# bodies), then the rest.
suites() {
  local nn=$1; shift
  local files=(tests/ch"$nn"_*.c) first=() f
  for name in "$@"; do [ -n "${hint[$name]:-}" ] && echo "${hint[$name]}"; done
  for f in "${files[@]}"; do
    for name in "$@"; do grep -qw "$name" "$f" && { first+=("$f"); break; }; done
  done
  { for f in "${first[@]}" "${files[@]}"; do
      grep -ohE '(suite_create|store_contract_suite)\("[^"]+"' "$f" | sed -E 's/.*\("//; s/"$//'
    done; } | awk '!seen[$0]++'
}
# first_fail DIR N NN PATTERN NAME...: run chapter N's suites one by one
# until one fails with PATTERN in its output; 0 then (its output stays in
# $top/out.log), 1 if every suite passed, 2 if some failed but none named it.
first_fail() {
  local dir=$1 n=$2 nn=$3 pattern=$4 suite failed=0; shift 4
  for suite in $(suites "$nn" "$@"); do
    if SUITE=$suite ltest "$dir" "$n" "$nn"; then continue; fi
    grep -q "$pattern" "$top/out.log" && { hit=$suite; return 0; }
    failed=1
  done
  return $((failed ? 2 : 1))
}

for md in chapters/[0-9][0-9]-*.md; do
  nn=$(basename "$md" | cut -c1-2); n=$((10#$nn))
  # LEARN_CHAPTERS="11 12": check only those (the default is every chapter).
  [ -z "${LEARN_CHAPTERS:-}" ] || grep -qw "$n" <<<"$LEARN_CHAPTERS" || continue
  grep -q " ch$nn " <<<"$markers" || { echo "ok   ch$nn: no marked bodies"; continue; }
  dir=$top/ch$nn; rm -rf "$dir"
  for ((m = 1; m < n; m++)); do learn_py gen --chapter $m --dir "$dir" --real >/dev/null; done
  learn_py gen --chapter "$n" --dir "$dir" > "$top/gen.log" || { fail "ch$nn: make learn failed"; cat "$top/gen.log"; continue; }
  sum=$(cat "$dir"/*.c | md5sum)
  learn_py gen --chapter "$n" --dir "$dir" > "$top/gen2.log"
  [ "$(cat "$dir"/*.c | md5sum)" = "$sum" ] && grep -q 'kept' "$top/gen2.log" \
    || fail "ch$nn: a second make learn changed the learner's files"
  t0=$SECONDS
  names=$(awk -v c="ch$nn" '$2 == c { print $3 }' <<<"$markers")
  # shellcheck disable=SC2086
  first_fail "$dir" "$n" "$nn" "is yours to write: see chapter $n, section '" $names; r=$?
  if [ $r -eq 1 ]; then
    fail "ch$nn: the stubs pass chapter $n's suites"; tail -n 5 "$top/out.log"
  elif [ $r -eq 2 ]; then
    fail "ch$nn: chapter $n's failures do not point at chapter $n"; tail -n 10 "$top/out.log"
  elif ! grep -q "^score learn-check/build/test-ch$nn: [0-9]* passed, [1-9]" "$top/out.log"; then
    fail "ch$nn: the stubs did not build or run (see below)"; tail -n 30 "$top/out.log"
  else
    echo "ok   ch$nn: all stubs build and fail ($(grep "^score" "$top/out.log" | sed 's/.*: //'), suite $hit) $((SECONDS - t0)) s"
  fi
  # Each body on its own: a stub the chapter's tests never reach would be a
  # body that no test checks.
  # Only chapter N's files are made again, so only they are recompiled.
  mine=$(sed -n 's/^learn: created \(\S*\) .*/\1/p' "$top/gen.log")
  for name in $names; do
    rm -f $mine
    learn_py gen --chapter "$n" --dir "$dir" --only "$name" >/dev/null
    t0=$SECONDS
    first_fail "$dir" "$n" "$nn" "learn: $name() is yours to write: see chapter $n, section '" "$name"; r=$?
    if [ $r -eq 1 ]; then
      fail "ch$nn: chapter $n's suites pass with $name() stubbed: no test reaches it"
    elif [ $r -eq 2 ]; then
      fail "ch$nn: $name() stubbed fails without naming it"; tail -n 20 "$top/out.log"
    else
      echo "ok   ch$nn: $name() stubbed alone fails ($(grep "^score" "$top/out.log" | sed 's/.*: //'), suite $hit) $((SECONDS - t0)) s"
    fi
  done
done

# --- 4. real bodies pass ------------------------------------------------------
for n in 1 6; do
  [ -z "${LEARN_CHAPTERS:-}" ] || grep -qw "$n" <<<"$LEARN_CHAPTERS" || continue
  nn=$(printf '%02d' $n); dir=$top/real$nn; rm -rf "$dir"
  for ((m = 1; m <= n; m++)); do learn_py gen --chapter $m --dir "$dir" --real >/dev/null; done
  if ltest "$dir" "$n" "$nn"; then
    echo "ok   ch$nn: real bodies in $dir pass ($(grep "^score" "$top/out.log" | sed 's/.*: //'))"
  else
    fail "ch$nn: real bodies in a learn dir fail"; tail -n 20 "$top/out.log"
  fi
done

[ $status -eq 0 ] && echo "check-learn: every chapter's stubs fail and point at it; real bodies pass"
exit $status
