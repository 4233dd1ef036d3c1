#!/usr/bin/env bash
# ch10-session.sh - the conversation chapter 10 quotes, from a real master.
#
# Usage: tests/util/ch10-session.sh raw|tail
#
# Starts a private redis-server (a free loopback port, a temporary
# directory, snapshots on disk so the framing is `$<len>`), writes one key,
# then runs build/repl-tail against it (--raw: the bytes of the handshake
# and the stream; tail: one line per command) while redis-cli makes a few
# writes across two databases and one transaction.  The server is stopped
# and its directory removed whatever happens.  The transcripts
# ch10-handshake and ch10-tail are this script's output.
set -euo pipefail
mode=${1:-raw}
case $mode in raw|tail) ;; *) echo "usage: $0 raw|tail" >&2; exit 2 ;; esac
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' \
  --appendonly no --repl-diskless-sync no --logfile "$dir/log" &
server=$!
tail_pid=
cleanup() {
  [ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null || true
  kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
cli() { redis-cli -p "$port" "$@" >/dev/null; }
for _ in $(seq 100); do
  redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
  sleep 0.05
done
cli set greeting hello
flags=(); [ "$mode" = raw ] && flags=(--raw)
build/repl-tail --port "$port" "${flags[@]}" >"$dir/out" 2>&1 &
tail_pid=$!
# Write once the replica is online (the master lists it as state=online).
for _ in $(seq 200); do
  redis-cli -p "$port" info replication | grep -q 'state=online' && break
  sleep 0.05
done
cli set counter 1
cli incr counter
printf 'MULTI\nRPUSH queue a b\nINCR counter\nEXEC\n' | redis-cli -p "$port" >/dev/null
cli -n 2 set other x
# The last write is in database 2; stop the tail once it has printed it.
for _ in $(seq 200); do
  grep -q 'other' "$dir/out" && break
  sleep 0.05
done
sleep 0.2
kill "$tail_pid" 2>/dev/null || true
wait "$tail_pid" 2>/dev/null || true
tail_pid=
# A master also pings its replicas every 10 seconds; whether one falls in
# this second is chance, so PING lines are left out of the transcript.
grep -v -i -E '^@[0-9]+ .*PING\\r\\n"$|^offset=[0-9]+ db=[0-9]+ "ping"$' "$dir/out"
