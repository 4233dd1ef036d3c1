#!/usr/bin/env python3
"""record-stream.py - record a real master's replication stream for chapter 10.

Starts redis-server on a free loopback port in a temporary directory, becomes
its replica by hand (PING, REPLCONF capa, PSYNC ? -1), reads the (empty)
snapshot, then drives writes of several families on the master through a
second connection: a SELECT into another database, a MULTI/EXEC, a script
(replicated as its effects inside MULTI/EXEC), a WAIT (the master then sends
REPLCONF GETACK *), a pause long enough for the master's PING.  It saves the
master's dataset with SAVE and writes, next to this script:

  stream.bin   the stream bytes, from the first after the snapshot up to the
               master's master_repl_offset at SAVE time
  stream.rdb   the master's dump.rdb at that point
  stream.txt   "start <offset of +FULLRESYNC>" and "end <master_repl_offset>"

Usage: tests/data/repl/record-stream.py   (needs redis-server on PATH)
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def command(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        i = self.buf.index(b"\r\n")
        line, self.buf = self.buf[:i], self.buf[i + 2:]
        return line

    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise SystemExit("record-stream: the master closed the link")
        self.buf += d

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def reply(self):
        """One reply, as nested Python values (enough for this script)."""
        line = self.line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b":"):
            return rest
        if t == b"-":
            raise SystemExit("record-stream: error reply %r" % rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.take(n + 2)[:-2]
        if t == b"*":
            return [self.reply() for _ in range(int(rest))]
        raise SystemExit("record-stream: unexpected reply %r" % line)

    def call(self, *args):
        self.s.sendall(command(*args))
        return self.reply()


def main():
    tmp = tempfile.mkdtemp(prefix="record-stream-")
    port = free_port()
    srv = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
         "--dir", tmp, "--save", "", "--appendonly", "no",
         "--repl-ping-replica-period", "1", "--repl-diskless-sync", "no",
         "--logfile", os.path.join(tmp, "redis.log")])
    try:
        for _ in range(100):
            try:
                cli = Conn(port)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("record-stream: redis-server did not start")
        rep = Conn(port)
        assert rep.call("PING") == b"PONG"
        assert rep.call("REPLCONF", "capa", "eof", "capa", "psync2") == b"OK"
        rep.s.sendall(command("PSYNC", "?", "-1"))
        line = rep.line()
        while line == b"":
            line = rep.line()
        kind, _replid, start = line.split()
        assert kind == b"+FULLRESYNC", line
        start = int(start)
        while rep.buf[:1] in (b"\n", b""):
            if rep.buf[:1] == b"\n":
                rep.buf = rep.buf[1:]
            else:
                rep.fill()
        hdr = rep.line()
        assert hdr.startswith(b"$") and not hdr.startswith(b"$EOF:"), hdr
        rep.take(int(hdr[1:]))  # the empty snapshot
        stream = rep.buf
        rep.buf = b""

        writes = [
            ("SET", "greeting", "hello"),
            ("SET", "session", "abc", "EX", "2000000000"),
            ("INCR", "counter"), ("INCRBY", "counter", "41"),
            ("APPEND", "greeting", " world"),
            ("INCRBYFLOAT", "price", "10.5"),
            ("RPUSH", "queue", "a", "b", "c", "d"), ("LPOP", "queue"),
            ("HSET", "user:1", "name", "ada", "lang", "c"),
            ("HINCRBY", "user:1", "visits", "3"),
            ("SADD", "tags", "x", "y", "z", "w"), ("SPOP", "tags"),
            ("ZADD", "board", "10", "ann", "20", "bob", "30", "cy"),
            ("ZINCRBY", "board", "5", "ann"),
            ("XADD", "events", "*", "kind", "login"),
            ("XGROUP", "CREATE", "events", "g1", "0"),
            ("SETBIT", "bits", "7", "1"),
            ("PFADD", "visitors", "a", "b", "c"),
            ("GEOADD", "places", "13.361389", "38.115556", "Palermo"),
            ("EXPIRE", "greeting", "2100000000"),
        ]
        for w in writes:
            cli.call(*w)
        cli.call("SELECT", "2")
        cli.call("SET", "other", "db2")
        cli.call("LPUSH", "list2", "p", "q")
        cli.call("SELECT", "0")
        cli.call("MULTI")
        for w in [("INCR", "counter"), ("LPUSH", "queue", "z"),
                  ("HDEL", "user:1", "lang"), ("SET", "in-multi", "1")]:
            assert cli.call(*w) == b"QUEUED"
        cli.call("EXEC")
        cli.call("EVAL", "redis.call('set', KEYS[1], ARGV[1]); "
                 "redis.call('incr', 'counter'); return 1", "1", "scripted",
                 "yes")
        cli.call("WAIT", "1", "200")  # GETACK in the stream
        time.sleep(1.5)               # a PING in the stream
        for w in [("DEL", "in-multi"), ("RENAME", "bits", "bits2"),
                  ("COPY", "queue", "queue-copy"),
                  ("ZREM", "board", "cy"), ("SET", "last", "write")]:
            cli.call(*w)
        cli.call("SAVE")
        info = cli.call("INFO", "replication").decode()
        end = int([l.split(":")[1] for l in info.split("\r\n")
                   if l.startswith("master_repl_offset:")][0])
        rep.s.settimeout(10)
        while len(stream) < end - start:
            stream += rep.s.recv(65536)
        stream = stream[:end - start]
        for name in ("GETACK", "PING", "SELECT", "MULTI"):
            assert name.encode() in stream.upper(), name
        with open(os.path.join(HERE, "stream.bin"), "wb") as f:
            f.write(stream)
        shutil.copy(os.path.join(tmp, "dump.rdb"),
                    os.path.join(HERE, "stream.rdb"))
        with open(os.path.join(HERE, "stream.txt"), "w") as f:
            f.write("start %d\nend %d\n" % (start, end))
        print("record-stream: %d bytes, offsets %d..%d" %
              (len(stream), start, end))
    finally:
        srv.terminate()
        srv.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
