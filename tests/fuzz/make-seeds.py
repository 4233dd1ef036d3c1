#!/usr/bin/env python3
"""make-seeds.py - write the seed corpora of fuzz_apply and fuzz_serve.

Usage: tests/fuzz/make-seeds.py   (from the repository root)

fuzz_apply's seeds are recorded sessions in its compact encoding
(tests/util/fuzz_harness_apply.h): the replication stream redis-server
7.0.15 sent a replica (tests/data/repl/stream.bin), the commands of the AOF
fixture (tests/data/aof/), and a session touching every family, cut into
inputs of a few commands each.  Each command becomes its table index (read
from src/cmd_table.c and the families' tables, in the order the harness
flattens them), an argument-count byte, then per argument the alphabet
entry it equals, or raw bytes (at most 15 per argument); the first key of a
command is mapped onto the harness's keys so the model follows it.

fuzz_serve's seeds are request streams (byte 0 the harness's
configuration byte): inline and RESP commands of every family chapter 11
serves, pipelined, cut mid-frame, with HELLO 3, AUTH, Pub/Sub, blocking
reads and protocol errors, and the recorded stream's writes (refused with
-READONLY).  Rerunning the script rewrites the files.
"""
import os
import re
import sys

ROOT = os.getcwd()
HARNESS = open(os.path.join(ROOT, "tests/util/fuzz_harness_apply.c")).read()


def c_array(name):
    body = re.search(r"%s\[\] = \{(.*?)\};" % name, HARNESS, re.S).group(1)
    return [bytes(s, "ascii").decode("unicode_escape").encode("latin-1")
            for s in re.findall(r'"((?:[^"\\]|\\.)*)"', body)]


KEYS = c_array("keys")
NUMBERS = c_array("numbers")
IDS = c_array("ids")
WORDS = c_array("words")


def command_table():
    order = re.findall(r"^\s+(cmd_\w+_table),", open(
        os.path.join(ROOT, "src/cmd_table.c")).read(), re.M)
    tables = {}
    for f in os.listdir(os.path.join(ROOT, "src")):
        if f.startswith("cmd") and f.endswith(".c"):
            text = open(os.path.join(ROOT, "src", f)).read()
            for m in re.finditer(r"const cmd_spec (cmd_\w+_table)\[\] = \{(.*?)^\};",
                                 text, re.S | re.M):
                tables[m.group(1)] = re.findall(r'\{\s*"([a-z_|]+)"\s*,', m.group(2))
    names = []
    for t in order:
        names.extend(tables[t])
    return names


SPECS = command_table()


def code_for(arg):
    """The byte(s) an argument encodes to."""
    for base, lo, hi, table in ((0x00, 0x00, 0x60, KEYS),
                                (0x60, 0x60, 0x90, NUMBERS),
                                (0x90, 0x90, 0xA8, IDS),
                                (0xA8, 0xA8, 0xF0, WORDS)):
        if arg in table:
            i = table.index(arg)
            for t in range(lo, hi):
                if t % len(table) == i:
                    return bytes([t])
    raw = arg[:15]
    return bytes([0xF0 | len(raw)]) + raw


def encode(cmd, keymap):
    name = cmd[0].lower()
    args = cmd[1:]
    if len(args) > 0 and name + b"|" + args[0].lower() in [s.encode() for s in SPECS]:
        full = (name + b"|" + args[0].lower()).decode()
        args = args[1:]
        nprefix = 2
    else:
        full = name.decode()
        nprefix = 1
    if full not in SPECS:
        return b""
    out = bytes([SPECS.index(full) % 256])
    nargs = min(len(args) + nprefix, 16)
    extra = nargs - nprefix
    if extra > 7:
        # the count byte's arity form: the table's -arity plus up to 7
        extra = 7
    out += bytes([extra & 7])
    if full in ("multi", "exec", "discard", "select", "swapdb") or not args:
        pass
    elif args and args[0] not in KEYS:
        keymap.setdefault(args[0], KEYS[len(keymap) % len(KEYS)])
    for i, a in enumerate(args[:extra]):
        if i == 0 and a in keymap:
            a = keymap[a]
        out += code_for(a)
    return out


def parse_resp_stream(data):
    cmds, i = [], 0
    while i < len(data):
        if data[i:i + 1] != b"*":
            j = data.find(b"\r\n", i)
            if j < 0:
                break
            i = j + 2
            continue
        j = data.index(b"\r\n", i)
        n = int(data[i + 1:j])
        i = j + 2
        cmd = []
        for _ in range(n):
            j = data.index(b"\r\n", i)
            ln = int(data[i + 1:j])
            cmd.append(data[j + 2:j + 2 + ln])
            i = j + 4 + ln
        cmds.append(cmd)
    return cmds


SESSION = """
SET k1 hello
APPEND k1 world
SET k2 10
INCR k2
INCRBY k2 5
DECRBY k2 100
SETRANGE k3 2 abc
GETDEL k1
SET k1 v PX 100000
PEXPIREAT k1 4102444800000
PERSIST k1
SETBIT bits 7 1
BITFIELD bf SET u8 0 200 INCRBY u8 0 100
BITOP AND dest k2 k3
PFADD hll a b c
PFMERGE hll2 hll
LPUSH l a b c
RPUSH l d e
LPOP l
RPOP l 2
LINSERT l BEFORE a x
LSET l 0 y
LTRIM l 0 1
LMOVE l l2 LEFT RIGHT
SADD s a b c
SREM s a
SMOVE s s2 b
SINTERSTORE s3 s s2
HSET h f1 v1 f2 v2
HDEL h f1
HINCRBY h n 3
HINCRBYFLOAT h f 1.5
HSETNX h f3 v3
ZADD z 1 a 2 b 3 c
ZINCRBY z 2 a
ZREM z b
ZADD z GT CH 5 c
ZREMRANGEBYSCORE z 0 1
ZUNIONSTORE z2 2 z z WEIGHTS 1 2
ZRANGESTORE z3 z 0 -1
GEOADD geo 13.361389 38.115556 a
XADD x 1-0 f v
XADD x 2-0 f w
XGROUP CREATE x g1 0
XGROUP CREATECONSUMER x g1 c1
XCLAIM x g1 c1 0 1-0 FORCE JUSTID
XACK x g1 1-0
XTRIM x MAXLEN 1
XSETID x 5-5
XDEL x 2-0
XGROUP DESTROY x g1
RENAME k2 k4
COPY k4 k5 REPLACE
MOVE k5 1
DEL k4 k5
UNLINK k3
SORT l STORE l3
MULTI
SET k1 a
INCR k1
EXEC
SELECT 1
SET k1 in-db1
SWAPDB 0 1
FLUSHDB
FLUSHALL
"""


def session_cmds():
    return [line.encode().split() for line in SESSION.strip().splitlines()]


def write(dirname, name, data):
    os.makedirs(dirname, exist_ok=True)
    with open(os.path.join(dirname, name), "wb") as f:
        f.write(data)


def apply_seeds():
    d = os.path.join(ROOT, "tests/fuzz/corpus/apply")
    sources = {
        "stream": parse_resp_stream(open(os.path.join(
            ROOT, "tests/data/repl/stream.bin"), "rb").read()),
        "aof": parse_resp_stream(open(os.path.join(
            ROOT, "tests/data/aof/appendonlydir/appendonly.aof.1.incr.aof"),
            "rb").read()),
        "session": session_cmds(),
    }
    n = 0
    for src, cmds in sources.items():
        for start in range(0, len(cmds), 8):
            keymap = {}
            data = b"".join(encode(c, keymap) for c in cmds[start:start + 8])
            if data:
                write(d, "%s-%02d" % (src, start // 8), data)
                n += 1
    return n


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def inline(*lines):
    return b"".join(l.encode() + b"\r\n" for l in lines)


SERVE = {
    "ping": inline("PING", "PING hi", "ECHO ok"),
    "strings": inline("GET k1", "MGET k1 k2 nope", "STRLEN k3",
                      "GETRANGE k3 0 10", "GETBIT bits 77", "BITCOUNT bits",
                      "BITPOS bits 1", "SUBSTR k3 1 3", "LCS k1 k3"),
    "strings-resp": resp("GET", "k1") + resp("GET", "k2") +
    resp("GETEX", "k1") + resp("EXISTS", "k1", "gone", "later"),
    "keys": inline("TYPE h", "TTL later", "PTTL gone", "EXPIRETIME later",
                   "DBSIZE", "KEYS *", "SCAN 0 COUNT 5", "SCAN 0 TYPE list",
                   "RANDOMKEY", "OBJECT ENCODING l", "DUMP k1",
                   "TOUCH k1 k2"),
    "hash": inline("HGET h f1", "HGETALL h", "HMGET h f1 f2 nope", "HLEN h",
                   "HKEYS h", "HVALS h", "HSTRLEN h f1", "HEXISTS h f2",
                   "HSCAN h 0", "HRANDFIELD h 2 WITHVALUES"),
    "list": inline("LRANGE l 0 -1", "LINDEX l 2", "LLEN l", "LPOS l a COUNT 0",
                   "SORT l ALPHA LIMIT 0 3", "SORT_RO l BY nosort"),
    "set": inline("SMEMBERS s", "SISMEMBER s a", "SMISMEMBER s a z",
                  "SCARD s", "SINTER s s2", "SUNION s s2", "SDIFF s s2",
                  "SINTERCARD 2 s s2", "SRANDMEMBER s -3", "SSCAN s 0"),
    "zset": inline("ZRANGE z 0 -1 WITHSCORES", "ZRANGE z (1 +inf BYSCORE",
                   "ZRANGEBYLEX z2 [a (c", "ZREVRANGE z 0 1", "ZSCORE z a",
                   "ZMSCORE z a b", "ZRANK z c", "ZCOUNT z -inf +inf",
                   "ZLEXCOUNT z2 - +", "ZUNION 2 z z2 WITHSCORES",
                   "ZINTER 2 z z2", "ZDIFF 2 z z2", "ZRANDMEMBER z 2",
                   "ZSCAN z 0"),
    "stream": inline("XRANGE x - +", "XREVRANGE x + - COUNT 1", "XLEN x",
                     "XREAD COUNT 2 STREAMS x 0", "XINFO STREAM x",
                     "XINFO GROUPS x", "XINFO CONSUMERS x g1",
                     "XPENDING x g1", "XINFO STREAM x FULL"),
    "geo": inline("GEOPOS geo Palermo nope", "GEODIST geo Palermo Catania km",
                  "GEOHASH geo Palermo", "GEOSEARCH geo FROMMEMBER Palermo "
                  "BYRADIUS 200 km WITHDIST ASC",
                  "GEORADIUS_RO geo 15 37 200 km WITHCOORD"),
    "hll": inline("PFCOUNT hll", "GET hll"),
    "hello3": resp("HELLO", "3") + inline("HGETALL h", "ZRANGE z 0 -1 "
                                         "WITHSCORES", "SMEMBERS s",
                                         "XINFO STREAM x", "CONFIG GET port",
                                         "HELLO 2", "GET k1"),
    "hello-auth": inline("HELLO 3 AUTH default pw SETNAME me", "CLIENT INFO",
                         "GET k1"),
    "auth": inline("GET k1", "AUTH pw", "GET k1", "AUTH wrong", "AUTH a b c"),
    "server": inline("INFO", "INFO replication", "ROLE", "TIME", "LASTSAVE",
                     "COMMAND COUNT", "COMMAND INFO get", "COMMAND DOCS get",
                     "CONFIG GET maxclients", "MEMORY USAGE k1", "LOLWUT"),
    "clients": inline("CLIENT ID", "CLIENT SETNAME fz", "CLIENT GETNAME",
                      "CLIENT LIST", "CLIENT INFO", "CLIENT NO-EVICT on",
                      "CLIENT KILL ID 999", "CLIENT REPLY ON", "RESET"),
    "select": inline("SELECT 1", "GET k1", "LRANGE l 0 -1", "SELECT 99",
                     "SELECT x", "SELECT 0", "GET k1"),
    "pubsub": inline("SUBSCRIBE ch", "PSUBSCRIBE c*", "PING", "PUBLISH ch hi",
                     "PUBSUB CHANNELS", "PUBSUB NUMSUB ch", "UNSUBSCRIBE",
                     "PUNSUBSCRIBE", "PUBLISH ch again"),
    "pubsub3": resp("HELLO", "3") + inline("SUBSCRIBE ch", "PUBLISH ch m",
                                           "GET k1", "SSUBSCRIBE sh"),
    "blocking": inline("BLPOP nolist 0.01", "BRPOP l 0.01", "GET k1",
                       "XREAD BLOCK 10 STREAMS x $", "BZPOPMIN noz 0.01",
                       "BLMOVE l l2 LEFT RIGHT 0.01"),
    "block-forever": inline("XREAD BLOCK 0 STREAMS x $", "GET k1"),
    "multi": inline("MULTI", "GET k1", "INCR k2", "EXEC", "DISCARD", "WATCH k1"),
    "writes": b"".join(resp(*c) for c in session_cmds()[:24]),
    "errors": inline("NOSUCHCOMMAND a b", "GET", "GET a b", "SET k v",
                     "HGET h", "LRANGE l a b", "ZRANGE z 0 1 LIMIT 0",
                     "OBJECT NOSUCH", "XREAD STREAMS x"),
    "quit": inline("GET k1", "QUIT", "GET k2"),
    "proto-bulk": b"*1\r\n$abc\r\nPING\r\n",
    "proto-mbulk": b"*x\r\nPING\r\n",
    "proto-bad-start": b"*2\r\n$3\r\nGET\r\n:1\r\n",
    "proto-quote": inline('SET "a b c'),
    "inline-quotes": inline('ECHO "a\\x41b\\n"', "ECHO 'it''s'", "ECHO "
                            '"\\t\\r"', 'GET   k1   ', ""),
    "empty-lines": b"\r\n\n\n*0\r\n*-1\r\nPING\n",
    "big-array": b"*1048577\r\n",
    "big-bulk": b"*1\r\n$536870913\r\n",
    "partial": resp("GET", "k1")[:-3],
}


def serve_seeds():
    d = os.path.join(ROOT, "tests/fuzz/corpus/serve")
    n = 0
    for name, body in SERVE.items():
        cfg = 0x80 if "auth" in name else 0
        for mode in (0, 1, 2):
            write(d, "%s-%d" % (name, mode), bytes([cfg | mode]) + body)
            n += 1
    stream = open(os.path.join(ROOT, "tests/data/repl/stream.bin"), "rb").read()
    for i in range(0, len(stream), 512):
        write(d, "stream-%02d" % (i // 512), b"\x03" + stream[i:i + 512])
        n += 1
    return n


def main():
    if not os.path.exists(os.path.join(ROOT, "src/cmd_table.c")):
        sys.exit("make-seeds.py: run from the repository root")
    print("apply: %d seeds, serve: %d seeds" % (apply_seeds(), serve_seeds()))


main()
