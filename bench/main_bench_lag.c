/* main_bench_lag.c - chapter 10's lag figure: how far behind its master's
 * stream our link runs, beside a real Redis replica of the same master.
 * Chapter 10.
 *
 * Once synced, a replica's staleness is its lag: how many bytes of the
 * stream the master has written that the replica has not applied, and how
 * long it takes the replica to reach the master's position of a given
 * moment.  This program starts a master and two replicas of it, both
 * following the whole time: repl.h's link into a dataset (with reader
 * threads reading it all along, as a server's would), and a real
 * redis-server told REPLICAOF.  Then, each repeat, `redis-benchmark -P 32`
 * writes to the master (every write test it has: SET, INCR, LPUSH, RPUSH,
 * LPOP, RPOP, SADD, HSET, SPOP, ZADD, ZPOPMIN, MSET, XADD), and every
 * few milliseconds the main thread reads, in this order, the master's
 * master_repl_offset (INFO), our link's offset (repl_status_get()) and the
 * real replica's slave_repl_offset (INFO).
 *
 * Lag in bytes at a sample: the master's offset minus the replica's (0 if
 * the replica's later read already passed it).  Lag in seconds at a
 * sample: the time from reading the master's offset to the first later
 * sample where the replica had reached it (so its resolution is the
 * sampling interval).  Both are taken over the samples while
 * redis-benchmark runs; the catch-up time is from its end to the replica
 * reaching the master's final offset.  Median and max per repeat; the
 * tables give the median of those over the repeats with [min, max], and
 * the ratio ours / redis-server's per repeat.  A benchmark, not a test:
 * nothing here asserts a speed.
 *
 * The master runs with client-output-buffer-limit replica 0 0 0, so a
 * replica that falls far behind is not disconnected (the reconnects
 * column would show it).
 *
 * Output: the report on stdout and in <dir>/<stem>.md, every figure in
 * <dir>/<stem>.csv, every sample in <dir>/<stem>-samples.csv.
 *
 * Usage: bench-lag [-q] [-o dir] [-s stem] [-n requests] [-r repeats]
 *                  [-v variant] [-t readers,...] [-i interval_ms]
 *   -q  quick: 2,000 requests per test, 1 repeat (seconds; CI)
 */
#include "dataset.h"
#include "redis_server.h"
#include "repl.h"
#include "repl_bench.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAXREP = 16, MAXREADERS = 8, MAXCONF = 4 };

static const char tests[] =
    "set,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,mset,xadd";

/** One sample: the master's offset and each replica's, with times. */
typedef struct sample {
    double tm, to, tr;  /* when each was read (monotonic s) */
    int64_t m, o, r;    /* master, ours, redis replica */
    bool running;       /* redis-benchmark was running */
} sample;

/** Per repeat, per replica. */
typedef struct lag {
    double bytes_med, bytes_max, secs_med, secs_max, catchup;
} lag;

/* ---- reader threads ------------------------------------------------------- */

typedef struct readers {
    dataset *ds;
    atomic_bool stop;
    atomic_uint_fast64_t reads; /* sections entered, all threads */
    atomic_uint_fast64_t hits;  /* keys found */
} readers;

static void *reader_main(void *arg)
{
    readers *rs = arg;
    dataset_reader *r = dataset_reader_open(rs->ds);
    if (r == NULL)
        return NULL;
    uint64_t x = 88172645463325252ull ^ (uint64_t)(uintptr_t)&r;
    uint64_t reads = 0, hits = 0;
    char key[32];
    /* relaxed: stop is a flag with nothing published behind it. */
    while (!atomic_load_explicit(&rs->stop, memory_order_relaxed)) {
        keyspace_reader *kr = dataset_read_begin(r);
        for (int i = 0; i < 16; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            int n = snprintf(key, sizeof key, "key:%012llu",
                             (unsigned long long)(x % 100000));
            hits += keyspace_get(kr, 0, key, (size_t)n) != NULL;
        }
        dataset_read_end(r);
        reads++;
    }
    dataset_reader_close(r);
    /* relaxed: the main thread reads the sums after pthread_join(), which
     * orders them. */
    atomic_fetch_add_explicit(&rs->reads, reads, memory_order_relaxed);
    atomic_fetch_add_explicit(&rs->hits, hits, memory_order_relaxed);
    return NULL;
}

/* ---- the measurement ------------------------------------------------------ */

static void quiet_log(void *arg, repl_log_level level, const char *msg)
{
    (void)arg;
    if (level >= REPL_LOG_WARN)
        fprintf(stderr, "bench-lag: %s\n", msg);
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Start redis-benchmark against the master; its -q output goes to out. */
static pid_t start_benchmark(int port, unsigned long n, const char *out)
{
    char p[16], nb[32];
    snprintf(p, sizeof p, "%d", port);
    snprintf(nb, sizeof nb, "%lu", n);
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execlp("redis-benchmark", "redis-benchmark", "-h", "127.0.0.1", "-p",
               p, "-P", "32", "-c", "16", "-n", nb, "-r", "100000", "-t",
               tests, "-q", (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* The requests per second redis-benchmark -q printed, summed over tests
 * (its lines read "SET: 123456.79 requests per second, p50=..."). */
static double benchmark_rps(const char *out, int *ntests)
{
    FILE *f = fopen(out, "r");
    char buf[8192];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    double total = 0;
    *ntests = 0;
    /* -q rewrites its progress line with \r, so every \r or \n may start
     * a line. */
    for (char *save, *l = strtok_r(buf, "\r\n", &save); l;
         l = strtok_r(NULL, "\r\n", &save)) {
        char *c = strstr(l, ": ");
        if (c != NULL && strstr(l, "requests per second") != NULL &&
            strstr(l, "rps=") == NULL) {
            total += atof(c + 2);
            (*ntests)++;
        }
    }
    return total;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median and max of v[0..n) (NaNs left out); n may be 0. */
static void med_max(double *v, size_t n, double *med, double *max)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            v[k++] = v[i];
    if (k == 0) {
        *med = *max = NAN;
        return;
    }
    qsort(v, k, sizeof v[0], cmp_d);
    *med = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
    *max = v[k - 1];
}

/* The lag of one replica (which = 0 ours, 1 redis) over the samples. */
static lag lag_of(const sample *s, size_t n, int which, double end_t)
{
    double *b = calloc(n + 1, sizeof *b), *t = calloc(n + 1, sizeof *t);
    size_t nb = 0, nt = 0;
    lag out = {NAN, NAN, NAN, NAN, NAN};
    if (b == NULL || t == NULL) {
        free(b);
        free(t);
        return out;
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (!s[i].running)
            continue;
        int64_t rep = which == 0 ? s[i].o : s[i].r;
        b[nb++] = s[i].m > rep ? (double)(s[i].m - rep) : 0;
        if (j < i)
            j = i;
        while (j < n && (which == 0 ? s[j].o : s[j].r) < s[i].m)
            j++;
        if (j < n) {
            double tj = which == 0 ? s[j].to : s[j].tr;
            t[nt++] = tj > s[i].tm ? tj - s[i].tm : 0;
        } else {
            t[nt++] = NAN; /* not caught up within the samples */
        }
    }
    med_max(b, nb, &out.bytes_med, &out.bytes_max);
    med_max(t, nt, &out.secs_med, &out.secs_max);
    /* catch-up: the first sample after the end where it reached the
     * master's offset at the end (the first sample after it: later ones
     * may count a PING the master sent while the replicas caught up) */
    int64_t final = n > 0 ? s[n - 1].m : 0;
    for (size_t i = 0; i < n; i++)
        if (s[i].tm >= end_t) {
            final = s[i].m;
            break;
        }
    for (size_t i = 0; i < n; i++) {
        double ti = which == 0 ? s[i].to : s[i].tr;
        if (ti >= end_t && (which == 0 ? s[i].o : s[i].r) >= final) {
            out.catchup = ti - end_t;
            break;
        }
    }
    free(b);
    free(t);
    return out;
}

int main(int argc, char **argv)
{
    bool quick = false;
    const char *outdir = NULL, *stem = NULL, *variant = "hamt";
    unsigned long n = 100000;
    int reps = 3;
    const char *readers_arg = "2,0";
    double interval = 0.01;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-q") == 0)
            quick = true;
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            outdir = argv[++i];
        else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            stem = argv[++i];
        else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "-v") == 0 && i + 1 < argc)
            variant = argv[++i];
        else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
            readers_arg = argv[++i];
        else if (strcmp(argv[i], "-i") == 0 && i + 1 < argc)
            interval = atof(argv[++i]) / 1000;
        else {
            fprintf(stderr, "usage: bench-lag [-q] [-o dir] [-s stem] "
                    "[-n requests] [-r repeats] [-v variant] [-t readers,...] "
                    "[-i interval_ms]\n");
            return 2;
        }
    }
    if (quick) {
        n = 2000;
        reps = 1;
    }
    int conf[MAXCONF], nconf = 0;
    for (const char *p = readers_arg; *p != '\0' && nconf < MAXCONF;) {
        char *end;
        long t = strtol(p, &end, 10);
        if (end == p || t < 0 || t > MAXREADERS || (*end && *end != ',')) {
            nconf = 0;
            break;
        }
        conf[nconf++] = (int)t;
        p = *end ? end + 1 : end;
    }
    if (reps < 1 || reps > MAXREP || n < 100 || nconf == 0 ||
        !(interval >= 0.001 && interval <= 1)) {
        fprintf(stderr, "bench-lag: -r 1..%d, -n at least 100, -t a list "
                "of reader counts 0..%d (e.g. 2,0), -i 1..1000 ms\n",
                MAXREP, MAXREADERS);
        return 2;
    }
    const store_ops *ops = store_variant(variant);
    if (ops == NULL) {
        fprintf(stderr, "bench-lag: -v: no store variant '%s'\n", variant);
        return 2;
    }
    char cmdline[300] = "build/bench-lag";
    for (int i = 1; i < argc; i++) {
        size_t used = strlen(cmdline);
        snprintf(cmdline + used, sizeof cmdline - used, " %s", argv[i]);
    }
    if (outdir == NULL)
        outdir = quick ? "build" : "bench/results";
    if (stem == NULL)
        stem = quick ? "bench-lag-quick" : "ch10-lag";

    char machine[600], version[64] = "?", err[1024];
    rb_machine(machine, sizeof machine);
    const char *mextra[] = {"--repl-diskless-sync-delay", "0",
                            "--client-output-buffer-limit", "replica", "0",
                            "0", "0", NULL};
    redis_server master, replica;
    if (redis_server_start(&master, mextra, err, sizeof err) != 0) {
        fprintf(stderr, "bench-lag: master: %s\n", err);
        return 1;
    }
    if (redis_server_start(&replica, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "bench-lag: replica: %s\n", err);
        redis_server_stop(&master);
        return 1;
    }
    resp_client mc, rc;
    if (resp_client_open(&mc, master.port) != 0 ||
        resp_client_open(&rc, replica.port) != 0) {
        fprintf(stderr, "bench-lag: cannot connect to the servers\n");
        redis_server_stop(&replica);
        redis_server_stop(&master);
        return 1;
    }
    rb_info(&mc, "server", "redis_version", version, sizeof version);
    char mport[16];
    snprintf(mport, sizeof mport, "%d", master.port);

    /* Both replicas follow the master from the start. */
    dataset *ds = dataset_create(ops, 16);
    repl_options o = repl_options_default();
    o.host = "127.0.0.1";
    o.port = master.port;
    o.log = quiet_log;
    repl *link = ds ? repl_create(&o, ds, err, sizeof err) : NULL;
    if (link == NULL || repl_start(link) != 0 ||
        rb_call(&rc, "REPLICAOF", "127.0.0.1", mport, NULL) != 0) {
        fprintf(stderr, "bench-lag: cannot start the replicas: %s\n",
                link ? rc.err : err);
        return 1;
    }
    double t0 = rb_now();
    char v[64] = "";
    while (rb_now() - t0 < 60 &&
           !(dataset_loaded(ds) &&
             rb_info(&rc, "replication", "master_link_status", v,
                     sizeof v) == 0 && strcmp(v, "up") == 0))
        sleep_s(0.01);
    /* Loaded is not yet streaming: after a diskless snapshot the master
     * puts a replica online (and starts its stream) at the first ACK it
     * gets after reaping its RDB child, which the replica's next periodic
     * ACK brings, up to a second later.  Wait for both to be online on
     * the master's side. */
    int online = 0;
    while (rb_now() - t0 < 60 && online < 2) {
        sleep_s(0.01);
        resp_value iv;
        online = 0;
        if (resp_client_calll(&mc, &iv, "INFO", "replication", NULL) == 0 &&
            iv.type == RESP_BULK)
            for (const char *p = strstr(iv.str, "state=online"); p != NULL;
                 p = strstr(p + 1, "state=online"))
                online++;
        resp_value_clear(&iv);
    }
    /* Online is not yet streaming either: the master starts the stream
     * of a replica put online after a diskless snapshot at its next ACK
     * (replconfCommand(), repl_start_cmd_stream_on_ack).  So: one write,
     * and wait for both replicas to have it. */
    bool streaming = false;
    if (online == 2 && rb_call(&mc, "SET", "bench-lag:ready", "1", NULL) == 0)
        while (!streaming && rb_now() - t0 < 60) {
            int64_t m = rb_info_int(&mc, "replication", "master_repl_offset");
            repl_status st0;
            repl_status_get(link, &st0);
            streaming = m > 0 && (int64_t)st0.offset >= m &&
                        rb_info_int(&rc, "replication",
                                    "slave_repl_offset") >= m;
            if (!streaming)
                sleep_s(0.01);
        }
    if (!dataset_loaded(ds) || strcmp(v, "up") != 0 || !streaming) {
        fprintf(stderr, "bench-lag: the replicas were not streaming after "
                "60 s\n");
        return 1;
    }
    lag lags[MAXREP][MAXCONF][2];
    double rps[MAXREP][MAXCONF], run_s[MAXREP][MAXCONF];
    double reads_per_s[MAXREP][MAXCONF];
    int ntests = 0;
    size_t cap = 1 << 16;
    sample *s = malloc(cap * sizeof *s);
    char samples_path[700], bench_out[700];
    snprintf(samples_path, sizeof samples_path, "%s/%s-samples.csv", outdir,
             stem);
    snprintf(bench_out, sizeof bench_out, "/tmp/bench-lag-%ld.out",
             (long)getpid());
    FILE *sf = fopen(samples_path, "w");
    if (s == NULL || sf == NULL) {
        fprintf(stderr, "bench-lag: cannot write %s\n", samples_path);
        return 1;
    }
    fprintf(sf, "repeat,readers,t_s,running,master_offset,ours_offset,"
                "redis_offset\n");
    double t_all = rb_now();
    for (int r = 0; r < reps; r++)
    for (int c = 0; c < nconf; c++) {
        readers rd = {.ds = ds};
        atomic_init(&rd.stop, false);
        atomic_init(&rd.reads, 0);
        atomic_init(&rd.hits, 0);
        pthread_t th[MAXREADERS];
        for (int i = 0; i < conf[c]; i++)
            pthread_create(&th[i], NULL, reader_main, &rd);
        size_t ns = 0;
        double start = rb_now(), end_t = 0;
        pid_t pid = start_benchmark(master.port, n, bench_out);
        bool running = pid > 0;
        for (;;) {
            double due = rb_now() + interval;
            if (ns == cap) {
                sample *bigger = realloc(s, 2 * cap * sizeof *s);
                if (bigger == NULL)
                    break;
                s = bigger;
                cap *= 2;
            }
            sample *x = &s[ns];
            x->tm = rb_now();
            x->m = rb_info_int(&mc, "replication", "master_repl_offset");
            x->to = rb_now();
            repl_status st;
            repl_status_get(link, &st);
            x->o = (int64_t)st.offset;
            x->tr = rb_now();
            x->r = rb_info_int(&rc, "replication", "slave_repl_offset");
            x->running = running;
            ns++;
            if (running && waitpid(pid, NULL, WNOHANG) == pid) {
                running = false;
                end_t = rb_now();
            }
            if (!running && x->o >= s[ns - 1].m && x->r >= s[ns - 1].m &&
                end_t > 0 && x->tm > end_t)
                break;
            if (!running && rb_now() - end_t > 120) {
                fprintf(stderr, "bench-lag: a replica did not catch up in "
                        "120 s\n");
                break;
            }
            sleep_s(due - rb_now());
        }
        double t_stop = rb_now();
        atomic_store_explicit(&rd.stop, true, memory_order_relaxed);
        for (int i = 0; i < conf[c]; i++)
            pthread_join(th[i], NULL);
        reads_per_s[r][c] = (double)atomic_load_explicit(
                                &rd.reads, memory_order_relaxed) /
                            (t_stop - start);
        run_s[r][c] = end_t - start;
        rps[r][c] = benchmark_rps(bench_out, &ntests) /
                    (ntests ? ntests : 1);
        lags[r][c][0] = lag_of(s, ns, 0, end_t);
        lags[r][c][1] = lag_of(s, ns, 1, end_t);
        for (size_t i = 0; i < ns; i++)
            fprintf(sf, "%d,%d,%.4f,%d,%" PRId64 ",%" PRId64 ",%" PRId64
                    "\n", r + 1, conf[c], s[i].tm - start, s[i].running,
                    s[i].m, s[i].o, s[i].r);
        fprintf(stderr, "bench-lag: repeat %d, %d readers: %.1f s, %.0f "
                "requests/s; lag median ours %.0f B %.4f s, redis %.0f B "
                "%.4f s\n", r + 1, conf[c], run_s[r][c], rps[r][c],
                lags[r][c][0].bytes_med, lags[r][c][0].secs_med,
                lags[r][c][1].bytes_med, lags[r][c][1].secs_med);
    }
    double wall = rb_now() - t_all;
    fclose(sf);
    unlink(bench_out);
    repl_status st;
    repl_status_get(link, &st);
    int64_t master_off = rb_info_int(&mc, "replication",
                                     "master_repl_offset");
    repl_stop(link);
    repl_destroy(link);
    dataset_destroy(ds);
    resp_client_close(&mc);
    resp_client_close(&rc);
    redis_server_stop(&replica);
    redis_server_stop(&master);
    free(s);

    char path[700];
    snprintf(path, sizeof path, "%s/%s.md", outdir, stem);
    FILE *md = fopen(path, "w");
    snprintf(path, sizeof path, "%s/%s.csv", outdir, stem);
    FILE *csv = fopen(path, "w");
    if (md == NULL || csv == NULL) {
        fprintf(stderr, "bench-lag: cannot write to %s\n", outdir);
        return 1;
    }
    FILE *outs[2] = {stdout, md};
    const char *names[2] = {"ours", "redis-server"};
    double all_rps[MAXREP * MAXCONF];
    for (int r = 0; r < reps; r++)
        for (int c = 0; c < nconf; c++)
            all_rps[r * nconf + c] = rps[r][c];
    double rm, rl, rh;
    rb_stats(all_rps, reps * nconf, &rm, &rl, &rh);
    for (int f_i = 0; f_i < 2; f_i++) {
        FILE *f = outs[f_i];
        fprintf(f, "# Chapter 10: stream lag, our link beside a real Redis "
                   "replica\n\n");
        fprintf(f, "Machine: %s.  redis-server %s: one master, two replicas "
                   "following it at once (ours over the %s store, with "
                   "reader threads reading 16 keys per section all along "
                   "in the runs that have them; a redis-server told "
                   "REPLICAOF), all on loopback.  Load: `redis-benchmark "
                   "-P 32 -c 16 -n %lu -r 100000 -t %s`, %d repeat%s of "
                   "each reader count, taking turns; the master served "
                   "%.0f requests/s per test (median; [%.0f, %.0f]).  "
                   "Offsets sampled every %.0f ms.  %.0f s in all.  "
                   "Command: `%s` (`make bench-sync` runs it with the "
                   "defaults).\n\n", machine, version, variant, n, tests,
                reps, reps == 1 ? "" : "s", rm, rl, rh, interval * 1000,
                wall, cmdline);
        fprintf(f, "Lag in bytes: master_repl_offset minus the replica's "
                   "offset (ours: the link's status offset; redis-server: "
                   "INFO slave_repl_offset).  Lag in seconds: from reading "
                   "the master's offset to the first sample where the "
                   "replica had reached it (so nothing below the %.0f ms "
                   "sampling interval can be told apart).  Per run the "
                   "median and the max over the samples taken while "
                   "redis-benchmark ran; below, the median over the "
                   "repeats [min, max].  Catch-up: from redis-benchmark's "
                   "exit to the replica at the master's offset then.  "
                   "Ratios: ours / redis-server's in the same run; a run "
                   "where redis-server's figure is 0 gives none (n/a).  "
                   "Our reader threads never sleep: on 2 vCPUs each one "
                   "takes CPU time the link thread, the master and the "
                   "other replica also need.\n\n", interval * 1000);
        for (int c = 0; c < nconf; c++) {
            double rd_m, rd_l, rd_h, rr[MAXREP];
            for (int r = 0; r < reps; r++)
                rr[r] = reads_per_s[r][c];
            rb_stats(rr, reps, &rd_m, &rd_l, &rd_h);
            fprintf(f, "## %d reader thread%s", conf[c],
                    conf[c] == 1 ? "" : "s");
            if (conf[c] > 0)
                fprintf(f, " (%.0f sections a second, median)", rd_m);
            fprintf(f, "\n\n| replica | lag median, bytes | lag max, "
                       "bytes | lag median, s | lag max, s | catch-up, s "
                       "|\n|---|---:|---:|---:|---:|---:|\n");
            for (int w = 0; w < 3; w++) {
                fprintf(f, "| %s |", w < 2 ? names[w] : "ratio");
                for (int k = 0; k < 5; k++) {
                    double a[MAXREP], m, lo, hi;
                    for (int r = 0; r < reps; r++) {
                        const lag *x = &lags[r][c][w < 2 ? w : 0],
                                  *y = &lags[r][c][1];
                        double fv[2][5] = {
                            {x->bytes_med, x->bytes_max, x->secs_med,
                             x->secs_max, x->catchup},
                            {y->bytes_med, y->bytes_max, y->secs_med,
                             y->secs_max, y->catchup}};
                        a[r] = w < 2 ? fv[0][k]
                             : fv[1][k] > 0 ? fv[0][k] / fv[1][k] : NAN;
                    }
                    rb_stats(a, reps, &m, &lo, &hi);
                    if (isnan(m))
                        fprintf(f, " n/a |");
                    else if (w == 2)
                        fprintf(f, " %.2f [%.2f, %.2f] |", m, lo, hi);
                    else if (k < 2)
                        fprintf(f, " %.0f [%.0f, %.0f] |", m, lo, hi);
                    else
                        fprintf(f, " %.3f [%.3f, %.3f] |", m, lo, hi);
                }
                fprintf(f, "\n");
            }
            fprintf(f, "\n");
        }
        fprintf(f, "Ours at the end: offset %" PRIu64 " of the master's "
                   "%" PRId64 ", %" PRIu64 " commands applied, %" PRIu64
                   " refused, %" PRIu64 " reconnects, %" PRIu64 " full "
                   "sync%s.\n", st.offset, master_off, st.commands_applied,
                st.commands_refused, st.reconnects, st.full_syncs,
                st.full_syncs == 1 ? "" : "s");
    }
    fprintf(csv, "repeat,readers,replica,lag_bytes_median,lag_bytes_max,"
                 "lag_s_median,lag_s_max,catchup_s,requests_per_s,run_s,"
                 "reader_sections_per_s\n");
    for (int r = 0; r < reps; r++)
        for (int c = 0; c < nconf; c++)
            for (int w = 0; w < 2; w++) {
                const lag *x = &lags[r][c][w];
                fprintf(csv, "%d,%d,%s,%.0f,%.0f,%.6f,%.6f,%.6f,%.0f,%.3f,"
                             "%.0f\n", r + 1, conf[c], names[w],
                        x->bytes_med, x->bytes_max, x->secs_med,
                        x->secs_max, x->catchup, rps[r][c], run_s[r][c],
                        reads_per_s[r][c]);
            }
    fclose(md);
    fclose(csv);
    return 0;
}
