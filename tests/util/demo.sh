#!/usr/bin/env bash
# demo.sh - make demo: build/replica following a live redis-server, read with redis-cli.
#
# Usage: tests/util/demo.sh [path/to/replica]   (make demo builds it first)
#
# Starts, in a temporary directory and on free loopback ports:
#   - a redis-server master holding a small dataset of every type,
#   - build/replica following it,
#   - (for the last step) a real `redis-server --replicaof` of the same
#     master, to compare speeds with.
# Then shows, with redis-cli: reads of every type on the replica, INFO
# replication of the master and of the replica, ROLE, a write refused with
# -READONLY, a write on the master seen on the replica, a SUBSCRIBE on the
# replica receiving a PUBLISH sent to the master, and a short
# redis-benchmark of both replicas.  Every process it starts is stopped on
# exit, whatever happens (trap).  Installs nothing: `make demo` runs
# `make deps` first.  About 30 s.
set -euo pipefail

REPLICA=${1:-build/replica}
CLI=(redis-cli --no-raw)
[ -x "$REPLICA" ] || { echo "demo: $REPLICA is missing (make demo builds it)"; exit 1; }
for p in redis-server redis-cli redis-benchmark; do
  command -v "$p" >/dev/null || { echo "demo: $p is missing (make deps installs it)"; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/replica-demo.XXXXXX")
pids=()
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A loopback port nobody listens on (bash's /dev/tcp connect fails).
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
  done
}

# Wait until `redis-cli -p PORT CMD...` prints a line matching PATTERN.
wait_for() {
  local what=$1 port=$2 pattern=$3; shift 3
  for _ in $(seq 1 150); do
    if redis-cli -p "$port" "$@" 2>/dev/null | tr -d '\r' | grep -q "$pattern"; then
      return 0
    fi
    sleep 0.1
  done
  echo "demo: timed out waiting for $what"; return 1
}

if [ -t 1 ]; then say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }; else say() { printf '\n== %s\n' "$*"; }; fi

MPORT=$(free_port)
mkdir -p "$tmp/master"
# (--repl-diskless-sync-delay 0: start a replica's sync at once, instead of
# waiting 5 s for more replicas to ask.)
redis-server --port "$MPORT" --bind 127.0.0.1 --dir "$tmp/master" --save '' \
  --appendonly no --logfile "$tmp/master.log" --repl-diskless-sync-delay 0 &
pids+=($!)
wait_for "the master" "$MPORT" PONG PING

say "a master on 127.0.0.1:$MPORT, with one key of every type"
m() { redis-cli -p "$MPORT" "$@" >/dev/null; }
m SET greeting "hello, replica"
m SET counter 41
m SET session:1 token EX 3600
m RPUSH queue job1 job2 job3
m HSET user:1 name Ada lang C born 1815
m SADD tags fast persistent lock-free
m ZADD scores 3 carol 1 alice 2 bob
m XADD events '1-1' kind login user ada
m XADD events '2-1' kind logout user ada
m PFADD visitors a b c d e
m GEOADD places 2.3522 48.8566 paris 13.405 52.52 berlin
m SETBIT flags 7 1
redis-cli -p "$MPORT" DBSIZE | sed 's/^/master DBSIZE: /'

RPORT=$(free_port)
say "build/replica following it, serving on 127.0.0.1:$RPORT"
printf '$ %s --master 127.0.0.1:%s --port %s --threads 2\n' "$REPLICA" "$MPORT" "$RPORT"
"$REPLICA" --master "127.0.0.1:$MPORT" --port "$RPORT" --threads 2 \
  > "$tmp/replica.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
  grep -q 'streaming from' "$tmp/replica.log" 2>/dev/null && break
  kill -0 "${pids[-1]}" 2>/dev/null || { cat "$tmp/replica.log"; echo "demo: build/replica exited"; exit 1; }
  sleep 0.1
done
grep -q 'streaming from' "$tmp/replica.log" || { cat "$tmp/replica.log"; echo "demo: no sync in 30 s"; exit 1; }
echo "its log (redis-server's format: pid:role date time level message):"
sed 's/^/  /' "$tmp/replica.log"

r() { printf '$ redis-cli -p %s %s\n' "$RPORT" "$*"; "${CLI[@]}" -p "$RPORT" "$@"; }
say "reads of every type, on the replica"
r GET greeting
r GET counter
r TTL session:1
r LRANGE queue 0 -1
r HGETALL user:1
r SMISMEMBER tags fast slow
r ZRANGE scores 0 -1 WITHSCORES
r XRANGE events - +
r PFCOUNT visitors
r GEODIST places paris berlin km
r GETBIT flags 7
r TYPE scores
r DBSIZE

say "INFO replication of the master, then of the replica"
printf '$ redis-cli -p %s INFO replication\n' "$MPORT"
redis-cli -p "$MPORT" INFO replication | tr -d '\r' | grep -v '^$'
printf '$ redis-cli -p %s INFO replication\n' "$RPORT"
redis-cli -p "$RPORT" INFO replication | tr -d '\r' | grep -v '^$'

say "ROLE on the replica"
r ROLE

say "a write on the replica is refused"
r SET greeting changed || true

say "a write on the master is seen on the replica"
printf '$ redis-cli -p %s SET greeting "hello again"\n' "$MPORT"
redis-cli -p "$MPORT" SET greeting "hello again"
wait_for "the write to reach the replica" "$RPORT" 'hello again' GET greeting
r GET greeting

say "SUBSCRIBE on the replica, PUBLISH on the master"
printf '$ redis-cli -p %s SUBSCRIBE news    (in the background)\n' "$RPORT"
redis-cli -p "$RPORT" SUBSCRIBE news > "$tmp/sub.txt" &
sub=$!
pids+=($sub)
for _ in $(seq 1 50); do grep -q subscribe "$tmp/sub.txt" 2>/dev/null && break; sleep 0.1; done
printf '$ redis-cli -p %s PUBLISH news "the replica hears the master"\n' "$MPORT"
redis-cli -p "$MPORT" PUBLISH news "the replica hears the master"
echo "(0: no client of the master itself subscribed; its replicas pass the message on)"
for _ in $(seq 1 50); do grep -q 'hears' "$tmp/sub.txt" && break; sleep 0.1; done
kill "$sub" 2>/dev/null || true
wait "$sub" 2>/dev/null || true
echo "the subscriber printed:"
sed 's/^/  /' "$tmp/sub.txt"
grep -q 'the replica hears the master' "$tmp/sub.txt" \
  || { echo "demo: the subscriber did not receive the message"; exit 1; }

say "speed: our replica beside a real redis-server replica of the same master"
R2PORT=$(free_port)
mkdir -p "$tmp/redis-replica"
redis-server --port "$R2PORT" --bind 127.0.0.1 --dir "$tmp/redis-replica" \
  --save '' --appendonly no --logfile "$tmp/redis-replica.log" \
  --replicaof 127.0.0.1 "$MPORT" &
pids+=($!)
wait_for "the redis-server replica" "$R2PORT" 'master_link_status:up' INFO replication
# Keys for GET to find, and the list LRANGE reads (written to the master).
redis-benchmark -p "$MPORT" -q -t set -n 20000 -r 10000 -P 16 >/dev/null
redis-benchmark -p "$MPORT" -q -t lpush -n 1000 -P 16 >/dev/null
# WAIT: until both replicas have acknowledged every write so far.  WAIT
# waits for its own connection's writes, so one PUBLISH goes first (it is
# propagated, and changes no key).
printf 'PUBLISH demo-sync x\nWAIT 2 10000\n' | redis-cli -p "$MPORT" >/dev/null
echo "(2 vCPUs shared with everything else here: figures are noisy; make bench-serve measures properly)"
for t in "build/replica:$RPORT" "redis-server --replicaof:$R2PORT"; do
  name=${t%:*} port=${t##*:}
  echo "-- $name (port $port)"
  redis-benchmark -p "$port" -q -t get -n 50000 -r 10000 -P 16 -c 20 | tr '\r' '\n' | grep 'requests per second' | tail -1
  redis-benchmark -p "$port" -q -n 5000 -c 20 LRANGE mylist 0 99 | tr '\r' '\n' | grep 'requests per second' | tail -1
done

say "the replica's log"
cat "$tmp/replica.log"
echo
echo "demo: done; everything it started is stopped and $tmp removed."
