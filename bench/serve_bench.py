#!/usr/bin/env python3
"""serve_bench.py - chapter 11's figures: build/replica serving reads beside a real Redis replica.

make bench-serve runs it.  One redis-server master, one real
`redis-server --replicaof` of it and build/replica following it, all on
loopback, in one run, so every ratio is of two figures taken under the
same noise (a shared 2-vCPU machine is noisy: only ratios mean much).

1. Reads, no writes.  redis-benchmark against ours (--threads 1, then 2)
   and against the Redis replica, taking turns, each repeat:
     GET     -t get -P 16 -c 50 -n 1000000 -r 100000
     MGET    10 keys a command (redis-benchmark 7.0's -t has no mget: the
             custom command `MGET key:__rand_int__ x10`)
     LRANGE  `LRANGE mylist 0 99`, what -t lrange_100 sends (its LPUSH
             phase is a write, which any replica refuses)
   Requests a second, p50 and p99 (redis-benchmark --csv); the ratio
   ours / Redis's per repeat; median [min, max] over the repeats.
2. The seed's question.  The same GET load while the master takes
   `redis-benchmark -P 32` writes at full speed, for each store variant
   that can serve concurrent readers (all of store_variants but "naive"):
   read rps, p50, p99, and each replica's lag in bytes (master_repl_offset
   minus the replica's slave_repl_offset, both from INFO replication,
   sampled every 50 ms while the writes run), beside the Redis replica
   under the same load in the same run.
3. Memory.  The replica's resident memory per key (VmRSS after the sync
   minus VmRSS of the same program before it, over the keys) beside the
   Redis replica's used_memory per key (and its RSS), for 1M keys (DEBUG
   POPULATE) and for a dataset of every type.

Writes <out>/<stem>.md and <out>/<stem>.csv (default bench/results/
ch11-serve).  --quick: small counts, 1 repeat, two stores, results in
build/ (seconds; make bench-serve QUICK=1, and make bench-smoke).
A benchmark, not a test: nothing here asserts a speed.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

# ---- processes -----------------------------------------------------------------

procs = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(argv, log):
    f = open(log, "wb")
    p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT)
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p in procs:
        procs.remove(p)


def stop_all():
    for p in list(procs):
        stop(p)


class Client:
    """The least RESP needed: inline commands, one reply."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.s.makefile("rb")

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self.read()

    def read(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("closed")
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data.decode(errors="replace")
        if t == b"*":
            return [self.read() for _ in range(int(rest))]
        raise RuntimeError("unexpected reply %r" % line)

    def close(self):
        self.s.close()


def info(port, section="replication"):
    c = Client(port)
    try:
        text = c.call("INFO", section)
    finally:
        c.close()
    return dict(l.split(":", 1) for l in text.split("\r\n") if ":" in l)


def wait_up(port, what, secs=120):
    end = time.time() + secs
    while time.time() < end:
        try:
            if info(port).get("master_link_status") == "up":
                return
        except (OSError, RuntimeError, ConnectionError):
            pass
        time.sleep(0.1)
    sys.exit("serve_bench: %s never had its link up" % what)


def wait_caught_up(mport, ports, secs=300, fatal=True):
    """Until every replica's offset reaches the master's (WAIT does it).
    WAIT waits for the writes of its own connection only, so a PUBLISH
    (propagated, no key changed) goes first."""
    c = Client(mport)
    try:
        c.call("PUBLISH", "bench-sync", "x")
        got = c.call("WAIT", len(ports), secs * 1000)
    finally:
        c.close()
    if got < len(ports) and fatal:
        sys.exit("serve_bench: replicas did not catch up in %d s" % secs)
    return got >= len(ports)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pipe_in(port, lines):
    """Send inline commands through redis-cli --pipe."""
    data = "".join(lines).encode()
    r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=data,
                       capture_output=True)
    if r.returncode != 0 or b"errors: 0" not in r.stdout:
        sys.exit("serve_bench: redis-cli --pipe: %s" % r.stdout[-500:])


def resp(*args):
    out = "*%d\r\n" % len(args)
    for a in args:
        a = str(a)
        out += "$%d\r\n%s\r\n" % (len(a.encode()), a)
    return out


def populate_reads(mport, keys):
    """key:%012d as redis-benchmark -r names them, and mylist (600)."""
    pipe_in(mport, (resp("SET", "key:%012d" % i, "x" * 3)
                    for i in range(keys)))
    pipe_in(mport, (resp("RPUSH", "mylist", *("e%d" % j for j in range(100)))
                    for _ in range(6)))


def populate_types(mport, n):
    """n keys of each type: strings, hashes, lists, sets, sorted sets,
    streams (small: listpack-like encodings)."""
    lines = []
    for i in range(n):
        lines.append(resp("SET", "s:%d" % i, "value-%d" % i))
        lines.append(resp("HSET", "h:%d" % i, "a", i, "b", "x", "c", "yy"))
        lines.append(resp("RPUSH", "l:%d" % i, "a", "b", "c", i))
        lines.append(resp("SADD", "t:%d" % i, "a", "b", i))
        lines.append(resp("ZADD", "z:%d" % i, 1, "a", 2, "b", 3, i))
        lines.append(resp("XADD", "x:%d" % i, "*", "f", i))
    pipe_in(mport, lines)


# ---- redis-benchmark -------------------------------------------------------------

MGET = ["MGET"] + ["key:__rand_int__"] * 10
LRANGE = ["LRANGE", "mylist", "0", "99"]


def bench(port, test, n, clients=50, pipeline=16, keyspace=100000):
    argv = ["redis-benchmark", "-p", str(port), "--csv", "-n", str(n),
            "-c", str(clients), "-P", str(pipeline), "-r", str(keyspace)]
    if test == "get":
        argv += ["-t", "get"]
    elif test == "mget":
        argv += MGET
    else:
        argv += LRANGE
    r = subprocess.run(argv, capture_output=True, text=True)
    rows = [l for l in r.stdout.splitlines() if l and not l.startswith('"test"')]
    if r.returncode != 0 or not rows or "rror" in r.stdout + r.stderr:
        sys.exit("serve_bench: %s failed: %s %s" % (" ".join(argv), r.stdout,
                                                    r.stderr))
    f = [x.strip('"') for x in rows[-1].split('","')]
    # "test","rps","avg","min","p50","p95","p99","max"
    return {"rps": float(f[1]), "p50": float(f[4]), "p99": float(f[6])}


def spread(v):
    v = [x for x in v if x is not None]
    if not v:
        return None, None, None
    return statistics.median(v), min(v), max(v)


def fmt(v, digits=0):
    m, lo, hi = spread(v)
    if m is None:
        return "n/a"
    f = "%%.%df" % digits
    if len(v) == 1:
        return f % m
    return (f + " [" + f + ", " + f + "]") % (m, lo, hi)


# ---- the run ---------------------------------------------------------------------

def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return "%d-vCPU KVM guest, %s, shared, noisy; load average %s at the start" \
        % (os.cpu_count(), cpu, load)


def stores(replica):
    """store_variants minus naive (one thread only), from --help's list."""
    names = ["rwlock", "rwlock-rp", "cow", "hamt", "striped", "ptrie"]
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-q", "--quick", action="store_true")
    ap.add_argument("-o", "--out", default=None)
    ap.add_argument("-s", "--stem", default=None)
    ap.add_argument("--replica", default="build/replica")
    ap.add_argument("-r", "--repeats", type=int, default=None)
    ap.add_argument("--stores", default=None,
                    help="comma-separated store variants for part 2")
    ap.add_argument("-n", "--requests", type=int, default=None,
                    help="GET requests per run (default 1000000)")
    ap.add_argument("-w", "--writes", type=int, default=None,
                    help="writer requests per test (default 200000)")
    a = ap.parse_args()
    quick = a.quick
    out = a.out or ("build" if quick else "bench/results")
    stem = a.stem or ("bench-serve-quick" if quick else "ch11-serve")
    repeats = a.repeats or (1 if quick else 3)
    n_get = a.requests or (20000 if quick else 1000000)
    keys = 2000 if quick else 100000
    mem_keys = 20000 if quick else 1000000
    type_keys = 2000 if quick else 100000
    writes = a.writes or (20000 if quick else 200000)
    settle = 0.3 if quick else 1.5
    store_list = (a.stores.split(",") if a.stores else
                  (["hamt", "ptrie"] if quick else stores(a.replica)))
    tmp = tempfile.mkdtemp(prefix="bench-serve.")
    t0 = time.time()
    md, csv = [], ["part,replica,threads,store,test,repeat,rps,p50_ms,p99_ms,"
                   "lag_median_bytes,lag_max_bytes,extra"]
    mach = machine()

    def write(final):
        head = ["# Chapter 11: serving reads, build/replica beside a real Redis replica\n",
                "Machine: %s.  redis-server %s; everything on loopback; %s "
                "%.0f s.  Command: `%s`.  A benchmark: nothing here is "
                "asserted.\n"
                % (mach, subprocess.run(["redis-server", "--version"],
                                        capture_output=True, text=True)
                   .stdout.split()[2].split("=")[1],
                   "one run of" if final else "INCOMPLETE (stopped) after",
                   time.time() - t0,
                   "make bench-serve" + (" QUICK=1" if quick else "")
                   if len(sys.argv) <= 3 else
                   "python3 bench/serve_bench.py " + " ".join(sys.argv[1:]))]
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, stem + ".md"), "w") as f:
            f.write("\n".join(head + md) + "\n")
        with open(os.path.join(out, stem + ".csv"), "w") as f:
            f.write("\n".join(csv) + "\n")

    def redis(port, name, *extra):
        d = os.path.join(tmp, name)
        os.makedirs(d)
        return start(["redis-server", "--port", str(port), "--bind",
                      "127.0.0.1", "--dir", d, "--save", "", "--appendonly",
                      "no", "--repl-diskless-sync-delay", "0"] + list(extra),
                     os.path.join(tmp, name + ".log"))

    def ours(port, mport, threads, store):
        return start([a.replica, "--master", "127.0.0.1:%d" % mport,
                      "--port", str(port), "--threads", str(threads),
                      "--store", store],
                     os.path.join(tmp, "replica-%s-%d.log" % (store, threads)))

    try:
        mport, rport = free_port(), free_port()
        master = redis(mport, "master", "--client-output-buffer-limit",
                       "replica 0 0 0", "--enable-debug-command", "yes")
        time.sleep(0.3)
        populate_reads(mport, keys)
        real = redis(rport, "redis-replica", "--replicaof", "127.0.0.1",
                     str(mport))
        wait_up(rport, "the Redis replica")

        # -- 1. reads, no writes
        md.append("## Reads, no writes: ours beside the Redis replica\n")
        md.append("`redis-benchmark -P 16 -c 50 -r 100000`: GET `-t get -n %d`; "
                  "MGET of 10 keys `-n %d`; `LRANGE mylist 0 99` `-n %d`.  "
                  "%d repeat%s, taking turns.  Ratio: ours / Redis's in the "
                  "same repeat.\n" % (n_get, n_get // 5, n_get // 20, repeats,
                                      "" if repeats == 1 else "s"))
        md.append("| threads | test | ours, rps | Redis, rps | ratio | ours p50 / p99, ms | Redis p50 / p99, ms |")
        md.append("|---:|---|---:|---:|---:|---:|---:|")
        for threads in (1, 2):
            oport = free_port()
            o = ours(oport, mport, threads, "hamt")
            wait_up(oport, "build/replica")
            wait_caught_up(mport, [rport, oport])
            for test, n in (("get", n_get), ("mget", n_get // 5),
                            ("lrange", n_get // 20)):
                res = {"ours": [], "redis": []}
                for rep in range(repeats):
                    order = [("ours", oport), ("redis", rport)]
                    if rep % 2:
                        order.reverse()
                    for who, port in order:
                        r = bench(port, test, n)
                        res[who].append(r)
                        csv.append("reads,%s,%d,hamt,%s,%d,%.0f,%.3f,%.3f,,,"
                                   % (who, threads, test, rep, r["rps"],
                                      r["p50"], r["p99"]))
                ratio = [x["rps"] / y["rps"] for x, y in
                         zip(res["ours"], res["redis"])]
                for i, v in enumerate(ratio):
                    csv.append("reads,ratio,%d,hamt,%s,%d,%.3f,,,,," %
                               (threads, test, i, v))
                md.append("| %d | %s | %s | %s | %s | %s / %s | %s / %s |" % (
                    threads, test, fmt([x["rps"] for x in res["ours"]]),
                    fmt([x["rps"] for x in res["redis"]]), fmt(ratio, 2),
                    fmt([x["p50"] for x in res["ours"]], 3),
                    fmt([x["p99"] for x in res["ours"]], 3),
                    fmt([x["p50"] for x in res["redis"]], 3),
                    fmt([x["p99"] for x in res["redis"]], 3)))
                print(md[-1], flush=True)
            stop(o)

        write(False)

        # -- 2. reads under full-speed writes, per store
        md.append("\n## The seed's question: reads while the master writes at full speed\n")
        md.append("Writer: `redis-benchmark -P 32 -c 16 -n %d -r 100000 -t "
                  "set,incr,lpush,hset,sadd,zadd` on the master (-n "
                  "requests per test); at the same "
                  "time readers: `redis-benchmark -t get -P 16 -c 50 -n %d "
                  "-r 100000` on one replica.  Ours with --threads 2.  Lag: "
                  "master_repl_offset minus the replica's slave_repl_offset "
                  "(INFO replication), sampled every 50 ms while both run; "
                  "catch-up: from the writer's end until the replica reached "
                  "the master's final offset.  %d repeat%s per store, the "
                  "Redis replica under the same load right after ours.\n" % (
                      writes, n_get, repeats, "" if repeats == 1 else "s"))
        md.append("| store | replica | read rps | p50, ms | p99, ms | lag median, bytes | lag max, bytes | catch-up, s | read rps ratio |")
        md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")

        def loaded_run(port):
            wr = subprocess.Popen(
                ["redis-benchmark", "-p", str(mport), "-P", "32", "-c", "16",
                 "-n", str(writes), "-r", "100000", "-q", "-t",
                 "set,incr,lpush,hset,sadd,zadd"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            rd = {}
            import threading
            th = threading.Thread(target=lambda: rd.update(
                bench(port, "get", n_get)))
            th.start()
            lags = []
            m_c, r_c = Client(mport), Client(port)

            def offs():
                mo = int(dict(l.split(":", 1) for l in m_c.call(
                    "INFO", "replication").split("\r\n") if ":" in l)
                    ["master_repl_offset"])
                ro = int(dict(l.split(":", 1) for l in r_c.call(
                    "INFO", "replication").split("\r\n") if ":" in l)
                    .get("slave_repl_offset", -1))
                if ro < 0:
                    sys.exit("serve_bench: INFO replication of port %d has "
                             "no slave_repl_offset" % port)
                return mo, ro
            while wr.poll() is None:
                mo, ro = offs()
                lags.append(max(0, mo - ro))
                time.sleep(0.05)
            t_end = time.time()
            final, _ = offs()
            catch = None
            while time.time() - t_end < 120:
                _, ro = offs()
                if ro >= final:
                    catch = time.time() - t_end
                    break
                time.sleep(0.01)
            th.join()
            m_c.close()
            r_c.close()
            return rd, lags, catch

        for store in store_list:
            oport = free_port()
            o = ours(oport, mport, 2, store)
            wait_up(oport, "build/replica --store " + store)
            wait_caught_up(mport, [rport, oport])
            res = {"ours": [], "redis": []}
            behind = False
            for rep in range(repeats):
                for who, port in (("ours", oport), ("redis", rport)):
                    rd, lags, catch = loaded_run(port)
                    res[who].append((rd, lags, catch))
                    if not wait_caught_up(mport, [rport, oport], 120, False):
                        behind = True
                        break
                    lm = statistics.median(lags) if lags else 0
                    lx = max(lags) if lags else 0
                    csv.append("loaded,%s,2,%s,get,%d,%.0f,%.3f,%.3f,%d,%d,"
                               "catchup_s=%s" % (
                                   who, store, rep, rd["rps"], rd["p50"],
                                   rd["p99"], lm, lx,
                                   "%.3f" % catch if catch is not None else ""))
            ratio = [x[0]["rps"] / y[0]["rps"] for x, y in
                     zip(res["ours"], res["redis"])]
            if behind:
                md.append("| %s | ours | still behind 120 s after the "
                          "writes: no more repeats of this store | | | | | | |"
                          % store)
            for who in ("ours", "redis"):
                rs = res[who]
                md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    store, "ours" if who == "ours" else "Redis",
                    fmt([x[0]["rps"] for x in rs]),
                    fmt([x[0]["p50"] for x in rs], 3),
                    fmt([x[0]["p99"] for x in rs], 3),
                    fmt([statistics.median(x[1]) if x[1] else 0 for x in rs]),
                    fmt([max(x[1]) if x[1] else 0 for x in rs]),
                    fmt([x[2] for x in rs], 3),
                    fmt(ratio, 2) if who == "ours" else ""))
                print(md[-1], flush=True)
            stop(o)

        write(False)

        # -- 3. memory
        md.append("\n## Memory per key\n")
        md.append("Each replica syncs from a master holding the dataset; its "
                  "figure minus the same replica's of an empty master, over "
                  "the keys.  Ours: VmRSS (everything the process holds).  "
                  "Redis: used_memory (its allocator's count) and VmRSS.  "
                  "Ratio: ours / Redis's used_memory.\n")
        md.append("| dataset | keys | store | ours RSS, bytes/key | Redis used_memory, bytes/key | Redis RSS, bytes/key | ratio |")
        md.append("|---|---:|---|---:|---:|---:|---:|")
        stop(real)
        stop(master)

        def measure(mport, store):
            """(our RSS, Redis used_memory, Redis RSS) in bytes, synced."""
            oport, rport = free_port(), free_port()
            o = ours(oport, mport, 1, store)
            real = redis(rport, "mem-replica-%d" % rport, "--replicaof",
                         "127.0.0.1", str(mport))
            wait_up(oport, "build/replica")
            wait_up(rport, "the Redis replica")
            wait_caught_up(mport, [rport, oport])
            time.sleep(settle)  # let the first, empty generation be freed
            got = (rss_kb(o.pid) * 1024, int(info(rport, "memory")
                                              ["used_memory"]),
                   rss_kb(real.pid) * 1024)
            stop(o)
            stop(real)
            return got

        for ds in ("strings", "every type"):
            mport = free_port()
            master = redis(mport, "mem-master-%s" % ds[0],
                           "--enable-debug-command", "yes",
                           "--client-output-buffer-limit", "replica 0 0 0")
            time.sleep(0.3)
            base = {st: measure(mport, st) for st in ("hamt", "ptrie")}
            c = Client(mport)
            if ds == "strings":
                c.call("DEBUG", "POPULATE", mem_keys)
            else:
                populate_types(mport, type_keys)
            nkeys = c.call("DBSIZE")
            c.close()
            for store in ("hamt", "ptrie"):
                full = measure(mport, store)
                ok, ru, rr = ((full[i] - base[store][i]) / nkeys
                              for i in range(3))
                md.append("| %s | %d | %s | %.1f | %.1f | %.1f | %.2f |" % (
                    ds, nkeys, store, ok, ru, rr, ok / ru))
                tag = ds.replace(" ", "_")
                csv.append("memory,ours,1,%s,%s,0,,,,,,rss_bytes_per_key=%.1f"
                           % (store, tag, ok))
                csv.append("memory,redis,1,%s,%s,0,,,,,,used_memory_per_key="
                           "%.1f;rss_per_key=%.1f" % (store, tag, ru, rr))
                print(md[-1], flush=True)
            stop(master)
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    write(True)
    print("serve_bench: wrote %s/%s.{md,csv}" % (out, stem))

if __name__ == "__main__":
    main()
