#!/usr/bin/python3
"""redis_py_client.py - the Python client (Debian's python3-redis) against a server.

Chapter 11's real-client test runs it with the system Python
(/usr/bin/python3), which is where Debian installs python3-redis:

  redis_py_client.py reads PORT
      the same reads and pipeline against any server; prints one line per
      result (repr), so the test compares the replica's lines with the
      master's.
  redis_py_client.py replica RPORT MPORT
      what only a replica does: a write raises ReadOnlyError; a PUBLISH
      sent to the master (MPORT) reaches a subscriber of the replica
      (RPORT).  Prints "ok: ..." per check; exits 1 naming the first that
      failed.
"""
import sys
import time

import redis


def reads(port):
    r = redis.Redis(host="127.0.0.1", port=port)
    out = [
        ("ping", r.ping()),
        ("echo", r.echo(b"bytes \x00\xff")),
        ("get", r.get("greeting")),
        ("get-missing", r.get("no-such-key")),
        ("mget", r.mget("greeting", "no-such-key", "counter")),
        ("lrange", r.lrange("queue", 0, -1)),
        ("hget", r.hget("user:1", "name")),
        ("hgetall", sorted(r.hgetall("user:1").items())),
        ("smembers", sorted(r.smembers("tags"))),
        ("zrange", r.zrange("scores", 0, -1, withscores=True)),
        ("xrange", r.xrange("events")),
        ("type", r.type("scores")),
        ("exists", r.exists("greeting", "queue", "nope")),
    ]
    try:
        r.lrange("greeting", 0, 1)
        out.append(("wrongtype", "no error"))
    except redis.exceptions.ResponseError as e:
        out.append(("wrongtype", str(e)))
    p = r.pipeline(transaction=False)
    for i in range(50):
        p.get("greeting")
        p.llen("queue")
    res = p.execute()
    out.append(("pipeline", len(res), res[:4]))
    for item in out:
        print(repr(item))


def replica(rport, mport):
    r = redis.Redis(host="127.0.0.1", port=rport)
    m = redis.Redis(host="127.0.0.1", port=mport)
    try:
        r.set("greeting", "changed")
        print("FAILED: a write on the replica did not raise")
        return 1
    except redis.exceptions.ReadOnlyError as e:
        print("ok: write refused:", e)
    ps = r.pubsub()
    ps.subscribe("news")
    first = ps.get_message(timeout=5)
    if not first or first["type"] != "subscribe":
        print("FAILED: no subscribe confirmation:", first)
        return 1
    print("ok: subscribed:", first["channel"], first["data"])
    deadline = time.time() + 10
    got = None
    while time.time() < deadline and got is None:
        m.publish("news", "from the master")
        msg = ps.get_message(timeout=0.5)
        if msg and msg["type"] == "message":
            got = msg
    if got is None:
        print("FAILED: no message reached the replica's subscriber")
        return 1
    print("ok: message:", got["channel"], got["data"])
    ps.close()
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "reads":
        reads(int(sys.argv[2]))
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "replica":
        return replica(int(sys.argv[2]), int(sys.argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
