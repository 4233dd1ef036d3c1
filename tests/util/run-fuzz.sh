#!/usr/bin/env bash
# run-fuzz.sh - run each libFuzzer target for a fixed time.
#
# Usage: run-fuzz.sh SECONDS build/fuzz/NAME...
# Seeds: tests/fuzz/corpus/NAME/ (kept in the repository: crashes found once
# become regression inputs there) plus every directory listed, one per line,
# in tests/fuzz/NAME.seeds (paths relative to the repository root; a listed
# directory that is missing is an error, not a silent skip).  New inputs go
# to build/fuzz/NAME.corpus/.  FUZZ_JOBS targets run at once (default 2,
# one per core of the CI machine); each one's summary is printed when it
# ends, its whole log is build/fuzz/NAME.log.
set -uo pipefail
secs=$1; shift
jobs=${FUZZ_JOBS:-2}
status=0

run_one() {  # run_one BIN: exit 0 when the target ran clean
  local bin=$1 name work d
  name=$(basename "$bin")
  work=build/fuzz/$name.corpus; mkdir -p "$work" "tests/fuzz/corpus/$name"
  local seeds=("tests/fuzz/corpus/$name")
  if [ -f "tests/fuzz/$name.seeds" ]; then
    while read -r d; do
      [ -z "$d" ] || [[ $d == \#* ]] && continue
      if [ -d "$d" ]; then seeds+=("$d"); else
        echo "!! fuzz $name: seed directory $d (listed in tests/fuzz/$name.seeds) not found in $(pwd)"
        return 1
      fi
    done < "tests/fuzz/$name.seeds"
  fi
  echo "== fuzz $name for ${secs}s (seeds: ${seeds[*]})"
  if ! "$bin" -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix="build/fuzz/$name-" "$work" "${seeds[@]}" \
        > "build/fuzz/$name.log" 2>&1; then
    echo "!! fuzz $name found a failure; see build/fuzz/$name.log"
    tail -n 30 "build/fuzz/$name.log"
    return 1
  fi
  grep -E 'stat::number_of_executed_units|cov:' "build/fuzz/$name.log" | tail -n 2
  echo "ok fuzz $name"
}

running=0
for bin in "$@"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
  run_one "$bin" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status
