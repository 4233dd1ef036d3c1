/* main_apply_bench.c - chapter 9's figure: loading an AOF, the applier against redis-server.
 * Chapter 9.
 *
 * How fast does the applier apply a stream of writes?  The fairest yard
 * stick is Redis itself doing the same job: a redis-server started with
 * appendonly yes loads its append-only directory before it serves a
 * client, and logs "DB loaded from append only file: X seconds".  This
 * program writes one such directory per workload and, in one run, times
 * redis-server loading it and aof_load() loading it into a fresh keyspace
 * over every store variant, several repeats taking turns, so each ratio
 * compares two figures taken under the same noise.
 *
 * Workloads (n commands each, default 1M; the key and value shapes are
 * redis-benchmark's: 3-byte values "xxx", 12-digit numbers):
 *   set     SET key:<n> xxx, n distinct keys in a scrambled order
 *   lpush   LPUSH mylist xxx until the list has n elements
 *   hset    HSET myhash element:<n> xxx, one hash of n fields
 *   sadd    SADD myset element:<n>, one set of n members
 *   zadd    ZADD myzset <score> element:<n>, one sorted set of n members
 *   mix     every family the command table has, on 100k keys: strings,
 *           counters, lists, hashes, sets, sorted sets, expiries, deletes,
 *           a MULTI/EXEC every 100 commands, stream XADD with explicit IDs
 * The files are written directly, byte for byte as Redis 7.0 appends
 * these commands (a SELECT 0 first, then each command as it is
 * propagated: these are all forms Redis propagates unchanged, XADD with
 * the ID it chose), as one incremental file under a manifest; no base.
 * Writing them is much faster than driving a server through 6M commands,
 * and the loads are the same either way.
 *
 * The batch size (AOF_BATCH_COMMANDS) is swept once per full run on the
 * set workload over ptrie.
 *
 * Output: the report on stdout and in <dir>/<stem>.md, every figure in
 * <dir>/<stem>.csv, a plot in <dir>/<stem>.svg (gnuplot).  A benchmark,
 * not a test: nothing here asserts a speed.
 *
 * Usage: apply-bench [-q] [-o dir] [-s stem] [-n commands] [-r repeats]
 *   -q  quick: 20k commands, 2 repeats, no batch sweep (seconds; CI)
 */
#include "aof.h"
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A command being written to the file. */
typedef struct out {
    FILE *f;
    uint64_t commands;
} out;

static void emit(out *o, int argc, ...)
{
    va_list ap;
    va_start(ap, argc);
    fprintf(o->f, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        const char *a = va_arg(ap, const char *);
        fprintf(o->f, "$%zu\r\n%s\r\n", strlen(a), a);
    }
    va_end(ap);
    o->commands++;
}

/* i-th of n in a scrambled order: 2654435761 is odd and not a multiple
 * of 5, so for n = 10^k it is a permutation. */
static unsigned long scramble(unsigned long i, unsigned long n)
{
    return (unsigned long)((i * 2654435761ull) % n);
}

static bool has(const char *name)
{
    return cmd_lookup(name, strlen(name)) != NULL;
}

static uint64_t rs_state = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
    rs_state ^= rs_state << 13;
    rs_state ^= rs_state >> 7;
    rs_state ^= rs_state << 17;
    return (unsigned)(rs_state % n);
}

typedef struct workload {
    const char *name;
    const char *what;
} workload;

static const workload workloads[] = {
    {"set", "SET key:<12 digits> xxx, distinct keys"},
    {"lpush", "LPUSH mylist xxx onto one list"},
    {"hset", "HSET myhash element:<12 digits> xxx, one hash"},
    {"sadd", "SADD myset element:<12 digits>, one set"},
    {"zadd", "ZADD myzset <score> element:<12 digits>, one sorted set"},
    {"mix", "every family the table has, on 100k keys"},
};
enum { NW = sizeof workloads / sizeof workloads[0] };

/* Write the directory dir/appendonlydir for workload w; returns the
 * commands written.  mixdesc receives the families the mix used. */
static uint64_t generate(const char *dir, int w, unsigned long n,
                         char *mixdesc, size_t mdsz)
{
    char path[800];
    snprintf(path, sizeof path, "%s/appendonlydir", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path,
             "%s/appendonlydir/appendonly.aof.manifest", dir);
    FILE *m = fopen(path, "w");
    if (m == NULL) {
        perror(path);
        exit(1);
    }
    fprintf(m, "file appendonly.aof.1.incr.aof seq 1 type i\n");
    fclose(m);
    snprintf(path, sizeof path, "%s/appendonlydir/appendonly.aof.1.incr.aof",
             dir);
    out o = {fopen(path, "w"), 0};
    if (o.f == NULL) {
        perror(path);
        exit(1);
    }
    setvbuf(o.f, NULL, _IOFBF, 1 << 20);
    emit(&o, 2, "SELECT", "0");
    char k[64], f[64], s[64], t[64];
    const char *name = workloads[w].name;
    bool lists = has("lpush"), hashes = has("hset"), sets = has("sadd"),
         zsets = has("zadd"), streams = has("xadd"), keys = has("del"),
         expire = has("pexpireat");
    if (strcmp(name, "mix") == 0)
        snprintf(mixdesc, mdsz, "strings%s%s%s%s%s%s%s, MULTI/EXEC",
                 lists ? ", lists" : "", hashes ? ", hashes" : "",
                 sets ? ", sets" : "", zsets ? ", sorted sets" : "",
                 expire ? ", expiries" : "", keys ? ", DEL" : "",
                 streams ? ", streams" : "");
    for (unsigned long i = 0; o.commands < n; i++) {
        unsigned long x = scramble(i % n, n);
        if (strcmp(name, "set") == 0) {
            snprintf(k, sizeof k, "key:%012lu", x);
            emit(&o, 3, "SET", k, "xxx");
        } else if (strcmp(name, "lpush") == 0) {
            emit(&o, 3, "LPUSH", "mylist", "xxx");
        } else if (strcmp(name, "hset") == 0) {
            snprintf(f, sizeof f, "element:%012lu", x);
            emit(&o, 4, "HSET", "myhash", f, "xxx");
        } else if (strcmp(name, "sadd") == 0) {
            snprintf(f, sizeof f, "element:%012lu", x);
            emit(&o, 3, "SADD", "myset", f);
        } else if (strcmp(name, "zadd") == 0) {
            snprintf(f, sizeof f, "element:%012lu", x);
            snprintf(s, sizeof s, "%lu", x % 100000);
            emit(&o, 4, "ZADD", "myzset", s, f);
        } else {
            unsigned id = rnd(100000);
            snprintf(f, sizeof f, "f%u", rnd(50));
            snprintf(s, sizeof s, "%u", rnd(1000));
            if (i % 100 == 99) {
                snprintf(k, sizeof k, "str:%06u", id);
                emit(&o, 1, "MULTI");
                emit(&o, 3, "SET", k, "in-a-transaction");
                emit(&o, 3, "INCRBY", "counter:0", s);
                emit(&o, 1, "EXEC");
                continue;
            }
            switch (rnd(10)) {
            case 0: snprintf(k, sizeof k, "str:%06u", id);
                emit(&o, 3, "SET", k, "xxx"); break;
            case 1: snprintf(k, sizeof k, "counter:%06u", id % 1000);
                emit(&o, 3, "INCRBY", k, s); break;
            case 2: if (!lists) continue;
                snprintf(k, sizeof k, "list:%06u", id % 1000);
                emit(&o, 3, rnd(2) ? "LPUSH" : "RPUSH", k, "xxx"); break;
            case 3: if (!hashes) continue;
                snprintf(k, sizeof k, "hash:%06u", id % 2000);
                emit(&o, 4, "HSET", k, f, "xxx"); break;
            case 4: if (!sets) continue;
                snprintf(k, sizeof k, "set:%06u", id % 2000);
                emit(&o, 3, rnd(4) ? "SADD" : "SREM", k, f); break;
            case 5: if (!zsets) continue;
                snprintf(k, sizeof k, "zset:%06u", id % 2000);
                emit(&o, 4, "ZADD", k, s, f); break;
            case 6: if (!expire) continue;
                snprintf(k, sizeof k, "str:%06u", id);
                snprintf(t, sizeof t, "%llu", 4102444800000ull + id);
                emit(&o, 3, "PEXPIREAT", k, t); break;
            case 7: if (!keys) continue;
                snprintf(k, sizeof k, "str:%06u", id);
                emit(&o, 2, "DEL", k); break;
            case 8: if (!streams) continue;
                snprintf(k, sizeof k, "stream:%03u", id % 100);
                snprintf(t, sizeof t, "1700000000000-%lu", i);
                emit(&o, 5, "XADD", k, t, "f", "xxx"); break;
            default: snprintf(k, sizeof k, "str:%06u", id);
                emit(&o, 3, "APPEND", k, "yy"); break;
            }
        }
    }
    fclose(o.f);
    return o.commands;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One command over the server's unix socket; the reply's first line. */
static int unix_command(const char *sock, const char *cmd, char *reply,
                        size_t n)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    ssize_t len = (ssize_t)strlen(cmd), got = 0;
    if (write(fd, cmd, (size_t)len) != len ||
        (got = read(fd, reply, n - 1)) <= 0)
        got = 0;
    reply[got] = '\0';
    close(fd);
    return got > 0 ? 0 : -1;
}

/* Start redis-server on dir's AOF and take its own load time from its
 * log.  It listens on a unix socket only (no port to race for), and
 * this waits as long as loading takes: tests/util/redis_server.c gives a
 * server 10 s to answer, less than 1M commands take on a busy machine.
 * keys receives DBSIZE.  Returns seconds, or NAN. */
static double redis_load(const char *dir, long long *keys, char *version,
                         size_t vsz)
{
    char sock[300], logp[300], line[512];
    snprintf(sock, sizeof sock, "%s/redis.sock", dir);
    snprintf(logp, sizeof logp, "%s/redis.log", dir);
    unlink(logp);
    pid_t parent = getpid(), pid = fork();
    if (pid < 0)
        return NAN;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* dies with the benchmark */
        if (getppid() != parent)
            _exit(127);
        execlp("redis-server", "redis-server", "--port", "0",
               "--unixsocket", sock, "--dir", dir, "--save", "",
               "--appendonly", "yes", "--auto-aof-rewrite-percentage", "0",
               "--logfile", logp, "--daemonize", "no", (char *)NULL);
        _exit(127);
    }
    double secs = NAN;
    bool ready = false;
    for (int i = 0; i < 6000 && !ready; i++) { /* 10 minutes at most */
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            fprintf(stderr, "apply-bench: redis-server exited; see %s\n",
                    logp);
            return NAN;
        }
        FILE *lf = fopen(logp, "r");
        while (lf != NULL && fgets(line, sizeof line, lf) != NULL) {
            const char *p = strstr(line, "DB loaded from append only file: ");
            if (p != NULL)
                secs = atof(p + 33);
            const char *v = strstr(line, "Redis version=");
            if (v != NULL && version[0] == '\0')
                snprintf(version, vsz, "%.*s", (int)strcspn(v + 14, ", "),
                         v + 14);
            if (strstr(line, "eady to accept connections") != NULL)
                ready = true;
        }
        if (lf != NULL)
            fclose(lf);
    }
    char reply[128];
    if (ready && unix_command(sock, "*1\r\n$6\r\nDBSIZE\r\n", reply,
                              sizeof reply) == 0 && reply[0] == ':')
        *keys = atoll(reply + 1);
    if (!ready || unix_command(sock, "*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE"
                               "\r\n", reply, sizeof reply) != 0)
        kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (isnan(secs))
        fprintf(stderr, "apply-bench: no load time in %s\n", logp);
    return secs;
}

typedef struct cell {
    int w;
    const char *variant; /* NULL: redis-server */
    unsigned batch;
    double secs[16];
    int nrep;
    double ratio[16];
    long long keys;
    uint64_t refused;
} cell;

/* aof_load over a variant; seconds, or NAN. */
static double our_load(const char *dir, const char *variant, unsigned batch,
                       long long *keys, uint64_t *refused)
{
    keyspace *ks = keyspace_create(store_variant(variant), 16);
    if (ks == NULL) {
        fprintf(stderr, "apply-bench: keyspace over %s: %s\n", variant,
                strerror(errno));
        return NAN;
    }
    char path[800];
    snprintf(path, sizeof path, "%s/appendonlydir", dir);
    aof_options opt = {.batch_commands = batch};
    aof_result res;
    double t0 = now_s();
    int rc = aof_load(ks, path, &opt, &res);
    double secs = now_s() - t0;
    if (rc != 0) {
        fprintf(stderr, "apply-bench: %s: %s\n", variant, res.error);
        secs = NAN;
    }
    if (res.refused > 0 && *refused == 0)
        fprintf(stderr, "apply-bench: %s: %" PRIu64 " refused, the first: "
                "%s\n", variant, res.refused, res.first_refusal);
    *refused = res.refused;
    keyspace_reader *r = keyspace_reader_open(ks);
    keyspace_read_begin(r);
    *keys = (long long)keyspace_dbsize(r, 0);
    keyspace_read_end(r);
    keyspace_reader_close(r);
    aof_result_free(&res);
    keyspace_destroy(ks);
    return secs;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* median, min, max of v[0..n) */
static void stats(const double *v, int n, double *med, double *lo,
                  double *hi)
{
    double s[16];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(v[i]))
            s[k++] = v[i];
    if (k == 0) {
        *med = *lo = *hi = NAN;
        return;
    }
    qsort(s, (size_t)k, sizeof s[0], cmp_d);
    *med = k % 2 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
    *lo = s[0];
    *hi = s[k - 1];
}

static void plot(const char *dir, const char *stem, const cell *c, int nc,
                 const char *const *variants, int nv)
{
    FILE *g = popen("gnuplot 2>/dev/null", "w");
    if (g == NULL) {
        fprintf(stderr, "apply-bench: gnuplot not found; no plot\n");
        return;
    }
    fprintf(g, "set terminal svg size 900,420 dynamic font 'sans,11'\n"
               "set output '%s/%s.svg'\n"
               "set title 'Chapter 9: AOF load time, applier / redis-server "
               "(median of repeats, bars: min to max; below 1 is faster)'\n"
               "set style data histogram\n"
               "set style histogram errorbars gap 2 lw 1\n"
               "set style fill solid 0.8 border -1\nset boxwidth 0.9\n"
               "set grid ytics\nset ylabel 'time ratio'\nset yrange [0:*]\n"
               "set key outside right top vertical font ',9'\n"
               "set arrow from graph 0, first 1 to graph 1, first 1 nohead "
               "dt 2 lw 1.5 front\n", dir, stem);
    fprintf(g, "$d << EOD\n");
    for (int w = 0; w < NW; w++) {
        fprintf(g, "%s", workloads[w].name);
        for (int v = 0; v < nv; v++) {
            double med = NAN, lo = NAN, hi = NAN;
            for (int i = 0; i < nc; i++)
                if (c[i].w == w && c[i].variant != NULL && c[i].batch == 0 &&
                    strcmp(c[i].variant, variants[v]) == 0)
                    stats(c[i].ratio, c[i].nrep, &med, &lo, &hi);
            fprintf(g, " %.4f %.4f %.4f", med, lo, hi);
        }
        fprintf(g, "\n");
    }
    fprintf(g, "EOD\nplot ");
    for (int v = 0; v < nv; v++)
        fprintf(g, "%s$d using %d:%d:%d:xtic(1) title '%s'", v ? ", " : "",
                2 + 3 * v, 3 + 3 * v, 4 + 3 * v, variants[v]);
    fprintf(g, "\n");
    pclose(g);
}

int main(int argc, char **argv)
{
    bool quick = false;
    const char *outdir = NULL, *stem = NULL;
    unsigned long n = 1000000;
    int reps = 3;
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
        else {
            fprintf(stderr, "usage: apply-bench [-q] [-o dir] [-s stem] "
                            "[-n commands] [-r repeats]\n");
            return 2;
        }
    }
    if (quick) {
        n = 20000;
        reps = 2;
    }
    char cmdline[300] = "build/apply-bench";
    for (int i = 1; i < argc; i++) {
        size_t used = strlen(cmdline);
        snprintf(cmdline + used, sizeof cmdline - used, " %s", argv[i]);
    }
    if (reps < 1 || reps > 16 || n < 100) {
        fprintf(stderr, "apply-bench: -r 1..16, -n at least 100\n");
        return 2;
    }
    if (outdir == NULL)
        outdir = quick ? "build" : "bench/results";
    if (stem == NULL)
        stem = quick ? "bench-apply-quick" : "ch09-apply";
    const char *variants[16];
    int nv = 0;
    for (int i = 0; store_variants[i] != NULL; i++)
        if (store_variants[i]->apply != NULL)
            variants[nv++] = store_variants[i]->name;

    char model[256], machine[600], version[64] = "";
    bench_cpu_model(model, sizeof model);
    double la[3] = {0, 0, 0};
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf == NULL || fscanf(lf, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
        la[0] = la[1] = la[2] = 0;
    if (lf != NULL)
        fclose(lf);
    snprintf(machine, sizeof machine, "%ld-vCPU KVM guest, %s, shared, "
             "noisy; load average %.2f %.2f %.2f at the start",
             sysconf(_SC_NPROCESSORS_ONLN), model, la[0], la[1], la[2]);

    char tmp[] = "/tmp/apply-bench-XXXXXX";
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    /* cells: per workload, redis + each variant at the default batch,
     * then (full runs) a batch-size sweep over ptrie */
    static const unsigned sweep[] = {64, 1024, 16384, 262144};
    enum { NSWEEP = sizeof sweep / sizeof sweep[0] };
    cell *cells = calloc((size_t)NW * (1 + (size_t)nv + NSWEEP), sizeof *cells);
    int nc = 0;
    uint64_t cmds[NW], bytes[NW];
    char mixdesc[200] = "";
    double t_run = now_s();
    for (int w = 0; w < NW; w++) {
        char dir[200];
        snprintf(dir, sizeof dir, "%s/%s", tmp, workloads[w].name);
        mkdir(dir, 0755);
        cmds[w] = generate(dir, w, n, mixdesc, sizeof mixdesc);
        char f[300];
        snprintf(f, sizeof f, "%s/appendonlydir/appendonly.aof.1.incr.aof",
                 dir);
        struct stat st;
        bytes[w] = stat(f, &st) == 0 ? (uint64_t)st.st_size : 0;
        int first = nc;
        cells[nc++] = (cell){.w = w, .variant = NULL};
        for (int v = 0; v < nv; v++)
            cells[nc++] = (cell){.w = w, .variant = variants[v]};
        bool sweep_here = strcmp(workloads[w].name, "set") == 0;
        if (!quick && sweep_here)
            for (int b = 0; b < NSWEEP; b++)
                cells[nc++] = (cell){.w = w, .variant = "ptrie",
                                     .batch = sweep[b]};
        fprintf(stderr, "apply-bench: %s: %" PRIu64 " commands, %" PRIu64
                " bytes\n", workloads[w].name, cmds[w], bytes[w]);
        for (int r = 0; r < reps; r++)
            for (int i = first; i < nc; i++) {
                cell *c = &cells[i];
                if (c->batch != 0 && r > 0)
                    continue; /* the sweep runs once */
                double s = c->variant == NULL
                    ? redis_load(dir, &c->keys, version, sizeof version)
                    : our_load(dir, c->variant, c->batch, &c->keys,
                               &c->refused);
                fprintf(stderr, "apply-bench: %s, repeat %d, %s%s: %.3f s\n",
                        workloads[w].name, r + 1,
                        c->variant ? c->variant : "redis-server",
                        c->batch ? " (batch sweep)" : "", s);
                c->secs[c->nrep] = s;
                c->ratio[c->nrep] = s / cells[first].secs[r];
                c->nrep++;
            }
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "apply-bench: could not remove %s\n", dir);
    }
    rmdir(tmp);
    double wall = now_s() - t_run;

    /* the report */
    char path[700];
    snprintf(path, sizeof path, "%s/%s.md", outdir, stem);
    FILE *md = fopen(path, "w");
    snprintf(path, sizeof path, "%s/%s.csv", outdir, stem);
    FILE *csv = fopen(path, "w");
    if (md == NULL || csv == NULL) {
        fprintf(stderr, "apply-bench: cannot write to %s\n", outdir);
        return 1;
    }
    FILE *outs[2] = {stdout, md};
    for (int o = 0; o < 2; o++) {
        FILE *f = outs[o];
        fprintf(f, "# Chapter 9: loading an AOF, the applier against "
                   "redis-server\n\n");
        fprintf(f, "Machine: %s.  redis-server %s.  %lu commands per "
                   "workload, %d repeats taking turns (redis-server, then "
                   "each variant), %.0f s in all.  Command: `%s` (`make "
                   "bench-apply` runs it with the defaults: 1M commands, "
                   "3 repeats).\n\n", machine,
                version[0] ? version : "?", n, reps, wall, cmdline);
        fprintf(f, "redis-server's time is its own log line \"DB loaded "
                   "from append only file: X seconds\" (3 decimals); ours "
                   "is aof_load() into a fresh 16-database keyspace, "
                   "batches of %u commands or %" PRIu64 " MiB.  Ratio: "
                   "ours / redis-server's in the same repeat, median "
                   "[min, max] over the repeats.  The mix used: %s.\n\n",
                AOF_BATCH_COMMANDS, AOF_BATCH_BYTES >> 20, mixdesc);
        for (int w = 0; w < NW; w++) {
            fprintf(f, "## %s: %s (%" PRIu64 " commands, %.1f MB)\n\n",
                    workloads[w].name, workloads[w].what, cmds[w],
                    (double)bytes[w] / 1e6);
            fprintf(f, "| loader | batch | median s | ratio | min | max | "
                       "keys in db 0 | refused |\n"
                       "|---|---:|---:|---:|---:|---:|---:|---:|\n");
            for (int i = 0; i < nc; i++) {
                const cell *c = &cells[i];
                if (c->w != w)
                    continue;
                double med, lo, hi, rmed, rlo, rhi;
                stats(c->secs, c->nrep, &med, &lo, &hi);
                stats(c->ratio, c->nrep, &rmed, &rlo, &rhi);
                char batch[32];
                if (c->variant == NULL)
                    snprintf(batch, sizeof batch, "-");
                else
                    snprintf(batch, sizeof batch, "%u",
                             c->batch ? c->batch : AOF_BATCH_COMMANDS);
                fprintf(f, "| %s | %s | %.3f | %.2f | %.2f | %.2f | %lld | "
                           "%" PRIu64 " |\n",
                        c->variant ? c->variant : "redis-server", batch, med,
                        rmed, rlo, rhi, c->keys, c->refused);
            }
            fprintf(f, "\n");
        }
    }
    fprintf(csv, "workload,commands,bytes,loader,batch,repeat,seconds,"
                 "ratio,keys,refused\n");
    for (int i = 0; i < nc; i++) {
        const cell *c = &cells[i];
        for (int r = 0; r < c->nrep; r++)
            fprintf(csv, "%s,%" PRIu64 ",%" PRIu64 ",%s,%u,%d,%.6f,%.4f,"
                         "%lld,%" PRIu64 "\n",
                    workloads[c->w].name, cmds[c->w], bytes[c->w],
                    c->variant ? c->variant : "redis-server",
                    c->variant ? (c->batch ? c->batch : AOF_BATCH_COMMANDS)
                               : 0,
                    r + 1, c->secs[r], c->ratio[r], c->keys, c->refused);
    }
    fclose(md);
    fclose(csv);
    plot(outdir, stem, cells, nc, variants, nv);
    free(cells);
    return 0;
}
