/* main_load_test.c - build/load-test: the replica under full load, with
 * forced full syncs, every read command, every reply checked.  Chapter 12.
 *
 *   load-test [--replica PATH] [--duration S] [--clients N] [--threads N]
 *             [--pipeline N] [--writers N] [--wpipeline N]
 *             [--replica-threads N] [--sync-every S] [--min-full-syncs N]
 *             [--keys N] [--large N] [--timeout-ms N] [--seed N]
 *             [--md FILE] [--machine TEXT] [--store NAME] [--churn PCT]
 *
 * A real redis-server master gets a dataset of every type in both of its
 * encodings (load_dataset.c); the replica program follows it; then, for
 * the duration, all at once: reader threads pipeline every read command
 * the replica serves over many connections (load_readers.c, load_gen.c),
 * writers pipeline writes of every type into the master (load_writers.c,
 * load_writes.c), a subscriber takes the master's PUBLISHes off the
 * replica (load_pubsub.c), and this thread samples the replica's lag every 100 ms
 * and forces a full sync every few seconds: the master's backlog is set
 * to 16 KB, so after CLIENT KILL TYPE replica the writers have moved the
 * master past what the backlog holds by the time the replica asks to
 * continue, and the master answers +FULLRESYNC.  The master's own INFO
 * stats (sync_full) must show the full syncs.  After the duration the
 * writers stop, the replica must catch up to the master's offset, and it
 * must exit 0 on SIGTERM with no sanitizer report in its log.
 *
 * Exit status 0 when all of that held; 1 on any malformed reply,
 * unexpected error, replica crash or hang, missing full syncs, or
 * sanitizer report; 2 on bad usage.  The report goes to stdout (and, with
 * --md, to a Markdown file): requests per group, latency percentiles,
 * lag, full syncs, errors by kind.
 */
#include "load.h"

#include "redis_server.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef LOAD_REPLICA_PATH
#define LOAD_REPLICA_PATH "build/replica"
#endif

typedef struct opts {
    const char *replica;
    double duration;
    int clients, threads, pipeline, writers, wpipeline, replica_threads;
    double sync_every;
    int min_full;      /* -1: from the number of forced syncs */
    int keys, large, timeout_ms, churn;
    uint64_t seed;
    const char *md, *machine, *store;
} opts;

static void usage(void)
{
    fprintf(stderr,
            "usage: load-test [--replica PATH] [--duration S] [--clients N]"
            " [--threads N]\n"
            "                 [--pipeline N] [--writers N] [--wpipeline N]"
            " [--replica-threads N]\n"
            "                 [--sync-every S] [--min-full-syncs N] [--keys N]"
            " [--large N]\n"
            "                 [--timeout-ms N] [--seed N] [--md FILE]"
            " [--machine TEXT]\n"
            "                 [--store NAME] [--churn PCT]\n");
}

static int parse(int argc, char **argv, opts *o)
{
    *o = (opts){.replica = LOAD_REPLICA_PATH, .duration = 60, .clients = 32,
                .threads = 4, .pipeline = 8, .writers = 2, .wpipeline = 64,
                .replica_threads = 4, .sync_every = 4, .min_full = -1,
                .keys = 16, .large = 4, .timeout_ms = 30000, .churn = 2,
                .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) {
            fprintf(stderr, "load-test: %s: needs a value\n", a);
            return -1;
        }
        const char *v = argv[++i];
        char *end;
        double d = strtod(v, &end);
        bool isnum = *v != '\0' && *end == '\0';
        int *ip = strcmp(a, "--clients") == 0 ? &o->clients
                  : strcmp(a, "--threads") == 0 ? &o->threads
                  : strcmp(a, "--pipeline") == 0 ? &o->pipeline
                  : strcmp(a, "--writers") == 0 ? &o->writers
                  : strcmp(a, "--wpipeline") == 0 ? &o->wpipeline
                  : strcmp(a, "--replica-threads") == 0 ? &o->replica_threads
                  : strcmp(a, "--min-full-syncs") == 0 ? &o->min_full
                  : strcmp(a, "--keys") == 0 ? &o->keys
                  : strcmp(a, "--large") == 0 ? &o->large
                  : strcmp(a, "--timeout-ms") == 0 ? &o->timeout_ms
                  : strcmp(a, "--churn") == 0 ? &o->churn : NULL;
        if (strcmp(a, "--replica") == 0) {
            o->replica = v;
        } else if (strcmp(a, "--md") == 0) {
            o->md = v;
        } else if (strcmp(a, "--machine") == 0) {
            o->machine = v;
        } else if (strcmp(a, "--store") == 0) {
            o->store = v;
        } else if (!isnum || d < 0) {
            fprintf(stderr, "load-test: %s: not a number >= 0: '%s'\n", a, v);
            return -1;
        } else if (ip != NULL) {
            *ip = (int)d;
        } else if (strcmp(a, "--duration") == 0) {
            o->duration = d;
        } else if (strcmp(a, "--sync-every") == 0) {
            o->sync_every = d;
        } else if (strcmp(a, "--seed") == 0) {
            o->seed = (uint64_t)d;
        } else {
            fprintf(stderr, "load-test: unknown flag '%s'\n", a);
            return -1;
        }
    }
    if (o->threads < 1 || o->clients < o->threads || o->pipeline < 1 ||
        o->wpipeline < 1 || o->keys < 1 || o->large > o->keys ||
        o->sync_every <= 0) {
        fprintf(stderr, "load-test: need threads >= 1, clients >= threads, "
                "pipelines >= 1, keys >= 1, large <= keys, sync-every > 0\n");
        return -1;
    }
    if (o->seed == 0)
        o->seed = 1;
    return 0;
}

/* ---- lag samples ----------------------------------------------------------- */

typedef struct samples {
    uint64_t *v;
    size_t n, cap;
    size_t link_down;  /* samples taken while the link was not up */
} samples;

static void sample_add(samples *s, uint64_t x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (s->v == NULL)
            abort();
    }
    s->v[s->n++] = x;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t sample_q(const samples *s, double q)
{
    if (s->n == 0)
        return 0;
    size_t i = (size_t)(q * (double)(s->n - 1) + 0.5);
    return s->v[i < s->n ? i : s->n - 1];
}

/* ---- the run ------------------------------------------------------------------ */

typedef struct world {
    opts o;
    redis_server master;
    load_replica rp;
    load_run run;
    load_reader *readers;
    load_writer *writers;
    pthread_t *rt, *wt, st;
    load_subscriber sub;
    samples lag;
    int kills;
    char redis_version[32];
    long long full0, full1, partial1, partial_err1;
    uint64_t caught_up_ms;
    double secs;            /* the load phase, measured */
    int replica_exit;
    int tsan_warnings, asan_errors, ubsan_errors;
    int failed;
    char why[8][400];
    int nwhy;
} world;

static void fail(world *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(world *w, const char *fmt, ...)
{
    w->failed = 1;
    if (w->nwhy >= 8)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->why[w->nwhy++], sizeof w->why[0], fmt, ap);
    va_end(ap);
}

static long long info_of(load_conn *c, const char *section, const char *name)
{
    char *info = load_conn_call(c, "INFO", section, NULL);
    long long v = info ? load_info_num(info, name) : -1;
    free(info);
    return v;
}

/* One lag sample: the master's offset, then the replica's (so the lag is
 * never under-stated by the order of the two reads).  Returns 1 when the
 * link was up, 0 when down, -1 on a connection failure. */
static int sample_lag(world *w, load_conn *m, load_conn *r)
{
    long long moff = info_of(m, "replication", "master_repl_offset");
    char *info = load_conn_call(r, "INFO", "replication", NULL);
    if (moff < 0 || info == NULL) {
        free(info);
        return -1;
    }
    bool up = strstr(info, "master_link_status:up") != NULL;
    long long roff = load_info_num(info, "slave_repl_offset");
    free(info);
    if (!up || roff < 0) {
        w->lag.link_down++;
        return 0;
    }
    sample_add(&w->lag, moff > roff ? (uint64_t)(moff - roff) : 0);
    return 1;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The load phase: threads running, this thread sampling and killing. */
static void load_phase(world *w)
{
    load_conn m, r;
    if (load_conn_open(&m, w->master.port, 30000) != 0 ||
        load_conn_open(&r, w->rp.port, 30000) != 0) {
        fail(w, "monitor connections failed");
        return;
    }
    uint64_t start = load_now_us();
    uint64_t end = start + (uint64_t)(w->o.duration * 1e6);
    uint64_t last_kill = start;
    while (load_now_us() < end) {
        if (atomic_load_explicit(&w->run.failed, memory_order_relaxed))
            break;
        if (load_replica_gone(&w->rp)) {
            fail(w, "the replica exited during the run (status 0x%x)",
                 w->rp.status);
            break;
        }
        int up = sample_lag(w, &m, &r);
        if (up < 0) {
            fail(w, "INFO on the master or the replica failed: %s %s", m.err,
                 r.err);
            break;
        }
        uint64_t now = load_now_us();
        if (up == 1 && now - last_kill >= (uint64_t)(w->o.sync_every * 1e6) &&
            end - now > 500000) {
            char *k = load_conn_call(&m, "CLIENT", "KILL", "TYPE", "replica",
                                     NULL);
            if (k != NULL && k[0] == ':')
                w->kills++;
            free(k);
            last_kill = now;
        }
        sleep_ms(100);
    }
    w->secs = (double)(load_now_us() - start) / 1e6;
    load_conn_close(&m);
    load_conn_close(&r);
}

/* After the writers stop: the replica reaches the master's offset. */
static void catch_up(world *w)
{
    load_conn m, r;
    if (load_conn_open(&m, w->master.port, 30000) != 0 ||
        load_conn_open(&r, w->rp.port, 30000) != 0) {
        fail(w, "catch-up connections failed");
        return;
    }
    uint64_t start = load_now_us();
    long long moff = info_of(&m, "replication", "master_repl_offset");
    for (;;) {
        char *info = load_conn_call(&r, "INFO", "replication", NULL);
        long long roff = info ? load_info_num(info, "slave_repl_offset") : -1;
        bool up = info && strstr(info, "master_link_status:up");
        free(info);
        if (up && roff >= moff)
            break;
        if (load_now_us() - start > 120u * 1000000u) {
            fail(w, "the replica did not reach the master's offset %lld in "
                 "120 s after the writers stopped (at %lld)", moff, roff);
            break;
        }
        if (load_replica_gone(&w->rp)) {
            fail(w, "the replica exited while catching up");
            break;
        }
        sleep_ms(20);
    }
    w->caught_up_ms = (load_now_us() - start) / 1000;
    w->full1 = info_of(&m, "stats", "sync_full");
    w->partial1 = info_of(&m, "stats", "sync_partial_ok");
    w->partial_err1 = info_of(&m, "stats", "sync_partial_err");
    load_conn_close(&m);
    load_conn_close(&r);
}

/* ---- the report ------------------------------------------------------------------ */

typedef struct totals {
    uint64_t calls[LOAD_MAX_GROUPS];
    load_hist hist[LOAD_MAX_GROUPS];
    load_hist all;
    uint64_t errs[LOAD_ERR_COUNT];
    uint64_t requests, malformed, unexpected, wrong_shape, conn_failures;
    uint64_t churned;
    uint64_t writes, writer_allowed, writer_bad, pushes;
    size_t unused_cmds;
    char unused[512];
} totals;

static void total_up(world *w, totals *t)
{
    memset(t, 0, sizeof *t);
    uint64_t *per_cmd = calloc(load_read_ncmds, sizeof *per_cmd);
    if (per_cmd == NULL)
        abort();
    for (int i = 0; i < w->o.threads; i++) {
        load_reader_stats *s = &w->readers[i].st;
        for (size_t c = 0; c < load_read_ncmds; c++) {
            per_cmd[c] += s->calls[c];
            t->calls[load_group_of((int)c)] += s->calls[c];
            t->requests += s->calls[c];
            for (int k = 0; k < LOAD_ERR_COUNT; k++)
                t->errs[k] += s->errs[c][k];
        }
        for (int g = 0; g < load_group_count(); g++)
            load_hist_merge(&t->hist[g], &s->hist[g]);
        t->malformed += s->malformed;
        t->unexpected += s->unexpected;
        t->wrong_shape += s->wrong_shape;
        t->conn_failures += s->conn_failures;
        t->churned += s->churned;
    }
    for (int g = 0; g < load_group_count(); g++)
        load_hist_merge(&t->all, &t->hist[g]);
    for (size_t c = 0; c < load_read_ncmds; c++)
        if (per_cmd[c] == 0) {
            t->unused_cmds++;
            size_t l = strlen(t->unused);
            snprintf(t->unused + l, sizeof t->unused - l, " %s",
                     load_read_cmds[c].name);
        }
    free(per_cmd);
    qsort(w->lag.v, w->lag.n, sizeof *w->lag.v, cmp_u64);
    for (int i = 0; i < w->o.writers; i++) {
        t->writes += w->writers[i].commands;
        t->writer_allowed += w->writers[i].allowed_errs;
        t->writer_bad += w->writers[i].bad_errs;
        t->pushes += 2 * w->writers[i].pushes;
    }
}

static void print_report(world *w, const totals *t, FILE *out, bool md)
{
    const char *p = md ? "" : "load: ";
    if (md)
        fprintf(out, "| group | requests | p50 us | p99 us | p999 us | "
                "max us |\n|---|---:|---:|---:|---:|---:|\n");
    else
        fprintf(out, "%s%-12s %10s %8s %8s %8s %8s  (latency, us)\n", p,
                "group", "requests", "p50", "p99", "p999", "max");
    for (int g = 0; g <= load_group_count(); g++) {
        bool all = g == load_group_count();
        const load_hist *h = all ? &t->all : &t->hist[g];
        const char *name = all ? "overall" : load_group_name(g);
        unsigned long long n = all ? t->requests : t->calls[g];
        unsigned long long q50 = load_hist_quantile(h, 0.50),
                           q99 = load_hist_quantile(h, 0.99),
                           q999 = load_hist_quantile(h, 0.999),
                           mx = load_hist_quantile(h, 1.0);
        if (md)
            fprintf(out, "| %s | %llu | %llu | %llu | %llu | %llu |\n", name,
                    n, q50, q99, q999, mx);
        else
            fprintf(out, "%s%-12s %10llu %8llu %8llu %8llu %8llu\n", p, name,
                    n, q50, q99, q999, mx);
    }
    if (md)
        fprintf(out, "\n");
    fprintf(out, "%s%sthroughput: %.0f reads/s, %.0f writes/s over %.1f s\n",
            md ? "- " : "", p, (double)t->requests / w->secs,
            (double)t->writes / w->secs, w->secs);
    fprintf(out, "%s%slag: %zu samples (every 100 ms, link up), median %llu "
            "bytes, p99 %llu, max %llu; %zu samples during a sync; caught "
            "up %llu ms after the writers stopped\n", md ? "- " : "", p,
            w->lag.n, (unsigned long long)sample_q(&w->lag, 0.5),
            (unsigned long long)sample_q(&w->lag, 0.99),
            (unsigned long long)sample_q(&w->lag, 1.0), w->lag.link_down,
            (unsigned long long)w->caught_up_ms);
    fprintf(out, "%s%sfull syncs: %lld during the run (master sync_full %lld "
            "-> %lld), %d forced by CLIENT KILL TYPE replica; "
            "sync_partial_ok %lld, sync_partial_err %lld\n", md ? "- " : "",
            p, w->full1 - w->full0, w->full0, w->full1, w->kills, w->partial1,
            w->partial_err1);
    fprintf(out, "%s%serrors:", md ? "- " : "", p);
    for (int k = 0; k < LOAD_ERR_COUNT; k++)
        fprintf(out, "%s %s %llu", k ? "," : "", load_err_name((load_err)k),
                (unsigned long long)t->errs[k]);
    fprintf(out, "; unexpected %llu, malformed %llu, wrong reply type %llu, "
            "connection failures %llu; %llu connections dropped with a "
            "batch unanswered (on purpose); writer errors %llu allowed (BUSYGROUP/NOGROUP), %llu "
            "other\n", (unsigned long long)t->unexpected,
            (unsigned long long)t->malformed,
            (unsigned long long)t->wrong_shape,
            (unsigned long long)t->conn_failures,
            (unsigned long long)t->churned,
            (unsigned long long)t->writer_allowed,
            (unsigned long long)t->writer_bad);
    fprintf(out, "%s%spubsub: %llu of %llu messages published reached the "
            "2 subscribers (RESP2, RESP3)%s\n", md ? "- " : "", p,
            (unsigned long long)w->sub.messages,
            (unsigned long long)t->pushes,
            w->full1 > w->full0 ? " (a full sync loses what was published "
            "while it ran)" : "");
    fprintf(out, "%s%sreplica: exit status %d, ThreadSanitizer warnings %d, "
            "AddressSanitizer errors %d, UBSan errors %d\n", md ? "- " : "", p,
            w->replica_exit, w->tsan_warnings, w->asan_errors,
            w->ubsan_errors);
}

static void machine_name(char *out, size_t n)
{
    char model[200] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f != NULL) {
        char line[512];
        while (fgets(line, sizeof line, f) != NULL)
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                if (c != NULL) {
                    snprintf(model, sizeof model, "%s", c + 2);
                    model[strcspn(model, "\n")] = '\0';
                }
                break;
            }
        fclose(f);
    }
    snprintf(out, n, "%ld CPUs, %s", sysconf(_SC_NPROCESSORS_ONLN), model);
}

static void write_md(world *w, const totals *t, int argc, char **argv)
{
    FILE *f = fopen(w->o.md, "w");
    if (f == NULL) {
        fail(w, "cannot write %s", w->o.md);
        return;
    }
    char mach[300], when[64];
    machine_name(mach, sizeof mach);
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    fprintf(f, "# Chapter 12: the load test (`make load`)\n\n");
    fprintf(f, "Machine: %s (%s). Run %s.\n\n", w->o.machine ? w->o.machine
            : "unnamed", mach, when);
    char load[64] = "?";
    FILE *la = fopen("/proc/loadavg", "r");
    if (la != NULL) {
        if (fgets(load, sizeof load, la) == NULL)
            snprintf(load, sizeof load, "?");
        load[strcspn(load, "\n")] = '\0';
        fclose(la);
    }
    fprintf(f, "Load average at the end (/proc/loadavg): %s.\n\n", load);
    fprintf(f, "Command (`make load`):");
    for (int i = 0; i < argc; i++)
        fprintf(f, strchr(argv[i], ' ') ? " '%s'" : " %s", argv[i]);
    fprintf(f, "\n\nA redis-server %s master, %s --threads %d following it; "
            "%d reader connections over %d threads, %d requests in flight "
            "each (half RESP2, half RESP3), %zu commands; %d writers "
            "pipelining %d writes; a full sync forced every %.1f s. "
            "Latency is from a batch's send to each reply, HDR-style "
            "buckets (within 6%%).\n\n", w->redis_version, w->o.replica,
            w->o.replica_threads, w->o.clients, w->o.threads, w->o.pipeline,
            load_read_ncmds, w->o.writers, w->o.wpipeline, w->o.sync_every);
    print_report(w, t, f, true);
    fprintf(f, "- result: %s\n", w->failed ? "FAIL" : "PASS");
    fclose(f);
}

/* ---- main ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    static world w;
    if (parse(argc, argv, &w.o) != 0) {
        usage();
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    char err[4096];
    int nread = load_gen_check_coverage(err, sizeof err);
    if (nread < 0) {
        printf("load: FAIL: read commands of the server's tables with no "
               "generator in tests/load/load_gen.c:%s\n", err);
        return 1;
    }
    printf("load: %d read commands in the server's tables, all generated; "
           "%zu commands sent in all\n", nread, load_read_ncmds);
    static const char *const margs[] = {
        "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0",
        "--repl-backlog-size", "16384", NULL};
    if (redis_server_start(&w.master, margs, err, sizeof err) != 0) {
        printf("load: FAIL: master: %s\n", err);
        return 1;
    }
    load_shape sh = {.keys = w.o.keys, .large = w.o.large};
    uint64_t t0 = load_now_us();
    if (load_dataset_fill(w.master.port, &sh, err, sizeof err) != 0) {
        printf("load: FAIL: %s\n", err);
        redis_server_stop(&w.master);
        return 1;
    }
    printf("load: master on port %d filled: %d keys of each of %d kinds "
           "(%d big) in %.1f s\n", w.master.port, sh.keys, LK_COUNT, sh.large,
           (double)(load_now_us() - t0) / 1e6);
    if (load_replica_start(&w.rp, w.o.replica, w.master.port,
                           w.o.replica_threads, w.o.store, err,
                           sizeof err) != 0) {
        printf("load: FAIL: replica: %s\n", err);
        redis_server_stop(&w.master);
        return 1;
    }
    printf("load: %s --threads %d --store %s on port %d, first sync done\n",
           w.o.replica, w.o.replica_threads,
           w.o.store ? w.o.store : "(default)", w.rp.port);
    {
        load_conn m;
        if (load_conn_open(&m, w.master.port, 30000) == 0) {
            w.full0 = info_of(&m, "stats", "sync_full");
            char *info = load_conn_call(&m, "INFO", "server", NULL);
            const char *v = info ? strstr(info, "redis_version:") : NULL;
            snprintf(w.redis_version, sizeof w.redis_version, "%.*s",
                     v ? (int)strcspn(v + 14, "\r\n") : 1, v ? v + 14 : "?");
            free(info);
            load_conn_close(&m);
        }
    }
    w.run = (load_run){.port = w.rp.port, .master_port = w.master.port,
                       .shape = sh, .pipeline = w.o.pipeline,
                       .wpipeline = w.o.wpipeline,
                       .timeout_ms = w.o.timeout_ms,
                       .churn_pct = w.o.churn, .seed = w.o.seed};
    w.run.conns_per_thread = w.o.clients / w.o.threads;
    w.readers = calloc((size_t)w.o.threads, sizeof *w.readers);
    w.writers = calloc((size_t)(w.o.writers + 1), sizeof *w.writers);
    w.rt = calloc((size_t)w.o.threads, sizeof *w.rt);
    w.wt = calloc((size_t)(w.o.writers + 1), sizeof *w.wt);
    if (!w.readers || !w.writers || !w.rt || !w.wt)
        abort();
    printf("load: %d s: %d reader connections over %d threads, %d in "
           "flight each; %d writers x %d; a full sync every %.1f s\n",
           (int)w.o.duration, w.run.conns_per_thread * w.o.threads,
           w.o.threads, w.o.pipeline, w.o.writers, w.o.wpipeline,
           w.o.sync_every);
    for (int i = 0; i < w.o.threads; i++) {
        load_reader_init(&w.readers[i], &w.run, i);
        if (pthread_create(&w.rt[i], NULL, load_reader_main, &w.readers[i]))
            abort();
    }
    /* The subscriptions first, so that every PUBLISH has its listeners. */
    w.sub = (load_subscriber){.run = &w.run};
    if (pthread_create(&w.st, NULL, load_subscriber_main, &w.sub))
        abort();
    for (uint64_t t1 = load_now_us();
         !atomic_load_explicit(&w.sub.ready, memory_order_acquire);
         sleep_ms(10))
        if (w.sub.fail[0] != '\0' || load_now_us() - t1 > 30000000u) {
            printf("load: FAIL: the subscriber did not subscribe: %s\n",
                   w.sub.fail);
            atomic_store_explicit(&w.run.stop, 1, memory_order_relaxed);
            atomic_store_explicit(&w.sub.stop, 1, memory_order_relaxed);
            pthread_join(w.st, NULL);
            for (int i = 0; i < w.o.threads; i++)
                pthread_join(w.rt[i], NULL);
            load_replica_stop(&w.rp, 60);
            redis_server_stop(&w.master);
            return 1;
        }
    for (int i = 0; i < w.o.writers; i++) {
        w.writers[i] = (load_writer){.run = &w.run, .id = i};
        if (pthread_create(&w.wt[i], NULL, load_writer_main, &w.writers[i]))
            abort();
    }
    load_phase(&w);
    atomic_store_explicit(&w.run.stop, 1, memory_order_relaxed);

    for (int i = 0; i < w.o.writers; i++)
        pthread_join(w.wt[i], NULL);
    for (int i = 0; i < w.o.threads; i++)
        pthread_join(w.rt[i], NULL);
    if (!load_replica_gone(&w.rp))
        catch_up(&w);
    totals t;
    total_up(&w, &t);
    /* The last messages: the replica has applied them; their delivery to
     * the subscribers follows (up to 10 s, or 1 s with no progress). */
    uint64_t last = 0, since = load_now_us(), waited = load_now_us();
    for (;;) {
        uint64_t got = atomic_load_explicit(&w.sub.messages,
                                            memory_order_relaxed);
        if (got != last)
            last = got, since = load_now_us();
        if (got >= t.pushes || load_now_us() - since > 1000000 ||
            load_now_us() - waited > 10000000 || w.sub.fail[0] != '\0')
            break;
        sleep_ms(20);
    }
    atomic_store_explicit(&w.sub.stop, 1, memory_order_relaxed);
    pthread_join(w.st, NULL);
    w.replica_exit = load_replica_stop(&w.rp, 60);
    w.tsan_warnings = load_replica_log_count(&w.rp, "WARNING: ThreadSanitizer");
    w.asan_errors = load_replica_log_count(&w.rp, "ERROR: AddressSanitizer");
    w.ubsan_errors = load_replica_log_count(&w.rp, "runtime error:");
    redis_server_stop(&w.master);

    /* the verdict */
    for (int i = 0; i < w.o.threads; i++)
        for (int j = 0; j < w.readers[i].st.nfails; j++)
            fail(&w, "%s", w.readers[i].st.fails[j]);
    for (int i = 0; i < w.o.writers; i++)
        if (w.writers[i].fail[0] != '\0')
            fail(&w, "%s", w.writers[i].fail);
    if (w.sub.fail[0] != '\0')
        fail(&w, "%s", w.sub.fail);
    if (t.unused_cmds > 0 && w.secs >= 2)
        fail(&w, "commands never sent:%s", t.unused);
    if (w.replica_exit != 0)
        fail(&w, "the replica's exit status after SIGTERM was %d (66: "
             "ThreadSanitizer reported; -1: it had to be killed)",
             w.replica_exit);
    if (w.tsan_warnings + w.asan_errors + w.ubsan_errors > 0)
        fail(&w, "sanitizer reports in the replica's log %s", w.rp.log);
    int need = w.o.min_full >= 0 ? w.o.min_full : (w.kills + 1) / 2;
    if (w.full1 - w.full0 < need)
        fail(&w, "%lld full syncs during the run, fewer than %d (%d forced)",
             w.full1 - w.full0, need, w.kills);
    if (w.full1 == w.full0 && w.kills == 0 && t.pushes != w.sub.messages)
        fail(&w, "with no sync in the run, the subscribers got %llu "
             "messages of the %llu published",
             (unsigned long long)w.sub.messages,
             (unsigned long long)t.pushes);
    if (w.sub.messages > t.pushes)
        fail(&w, "the subscribers got %llu messages, more than the %llu "
             "published", (unsigned long long)w.sub.messages,
             (unsigned long long)t.pushes);
    if (t.requests == 0)
        fail(&w, "no read was answered");
    print_report(&w, &t, stdout, false);
    if (w.o.md != NULL)
        write_md(&w, &t, argc, argv);
    if (w.failed) {
        for (int i = 0; i < w.nwhy; i++)
            printf("load: FAIL: %s\n", w.why[i]);
        if (w.tsan_warnings + w.asan_errors + w.ubsan_errors > 0) {
            load_replica_log_print(&w.rp, "Sanitizer", 200);
            load_replica_log_print(&w.rp, "runtime error:", 40);
        }
        printf("load: replica log kept: %s\n", w.rp.log);
    } else {
        load_replica_cleanup(&w.rp);
        printf("load: PASS\n");
    }
    for (int i = 0; i < w.o.threads; i++)
        load_reader_free(&w.readers[i]);
    free(w.readers), free(w.writers), free(w.rt), free(w.wt), free(w.lag.v);
    return w.failed ? 1 : 0;
}
