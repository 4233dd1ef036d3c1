#!/usr/bin/env bash
# rdb_load.sh - chapter 7 benchmark: load a big RDB into a store vs redis-server.
#
# Usage: bench/rdb_load.sh [KEYS]        (default 1000000; run from the repo root)
#
# 1. Starts a private redis-server (loopback, temporary dir, debug commands
#    on), fills it with DEBUG POPULATE KEYS (strings) plus a mix of lists,
#    hashes, sets and sorted sets, small (listpack / intset encodings) and
#    big (quicklist / hashtable / skiplist), and SAVEs dump.rdb.
# 2. Restarts redis-server on that file and reads its own figure from the
#    log ("DB loaded from disk: N seconds"), three times, keeping the best.
# 3. Runs build/rdb-bench on the same file (best of 3).
# Writes everything to bench/results/ch07-rdb-load.txt.  The server is
# stopped on every exit path.  KEEP_DUMP=path keeps a copy of the dump.
set -euo pipefail
keys=${1:-1000000}
root=$(pwd)
out=$root/bench/results/ch07-rdb-load.txt
mkdir -p "$root/bench/results"
make -s build/rdb-bench >/dev/null
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rdb-bench-XXXXXX")
pid=""
port=$(( 20000 + RANDOM % 20000 ))
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

start() {  # start redis-server on $tmp, wait for PING
  redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp" --save '' \
    --appendonly no --enable-debug-command yes --logfile "$tmp/redis.log" \
    --daemonize no >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    if redis-cli -p "$port" PING 2>/dev/null | grep -q PONG; then return 0; fi
    sleep 0.1
  done
  echo "redis-server did not start; log:"; tail -5 "$tmp/redis.log"; exit 1
}
stop() { redis-cli -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true; wait "$pid" 2>/dev/null || true; pid=""; }

echo "== generating: DEBUG POPULATE $keys + collections"
start
redis-cli -p "$port" DEBUG POPULATE "$keys" key 16 >/dev/null
# Small collections (listpack/intset) and a few big ones (quicklist,
# hashtable, skiplist), written with redis-cli --pipe.
awk 'BEGIN {
  for (i = 0; i < 20000; i++) {
    printf "RPUSH list:%d", i; for (j = 0; j < 20; j++) printf " item-%d", j; print "";
    printf "HSET hash:%d", i; for (j = 0; j < 10; j++) printf " field-%d value-%d", j, i; print "";
    printf "SADD set:%d", i; for (j = 0; j < 10; j++) printf " %d", i * 10 + j; print "";
    printf "ZADD zset:%d", i; for (j = 0; j < 10; j++) printf " %d.5 member-%d", j, j; print "";
  }
  for (b = 0; b < 10; b++) {
    for (j = 0; j < 100000; j += 1000) {
      printf "RPUSH biglist:%d", b; for (k = j; k < j + 1000; k++) printf " element-%d", k; print "";
      printf "HSET bighash:%d", b; for (k = j; k < j + 1000; k++) printf " f%d v%d", k, k; print "";
      printf "SADD bigset:%d", b; for (k = j; k < j + 1000; k++) printf " m%d", k; print "";
      printf "ZADD bigzset:%d", b; for (k = j; k < j + 1000; k++) printf " %d m%d", k, k; print "";
    }
  }
}' | redis-cli -p "$port" --pipe >/dev/null
redis-cli -p "$port" SAVE >/dev/null
nkeys=$(redis-cli -p "$port" DBSIZE)
stop
dump=$tmp/dump.rdb
size=$(stat -c %s "$dump")
echo "== dump: $size bytes, $nkeys keys"
if [ -n "${KEEP_DUMP:-}" ]; then cp "$dump" "$KEEP_DUMP"; fi

best=""
for run in 1 2 3; do
  : > "$tmp/redis.log"
  start
  stop
  t=$(grep -o 'DB loaded from disk: [0-9.]* seconds' "$tmp/redis.log" | grep -o '[0-9.]*' | head -1)
  echo "redis-server run $run: $t s"
  if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
done

ours=$(./build/rdb-bench "$dump" --repeat 3)
echo "$ours"
load=$(echo "$ours" | awk '$1 == "load" {print $2}')
{
  echo "# chapter 7: loading an RDB file (bench/rdb_load.sh $keys)"
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB RAM"
  echo "redis-server: $(redis-server --version | cut -d' ' -f3)"
  echo "dump: $size bytes, $nkeys keys (DEBUG POPULATE $keys + 80000 small and 40 big collections)"
  echo
  echo "redis-server load (its log, best of 3): $best s  ->  $(awk "BEGIN{printf \"%.1f MB/s, %.0f keys/s\", $size/$best/1e6, $nkeys/$best}")"
  echo "rdb-bench (best of 3):"
  echo "$ours" | sed 's/^/  /'
  echo
  echo "ratio load / redis-server: $(awk "BEGIN{printf \"%.2f\", $load/$best}")x"
} > "$out"
cat "$out"
