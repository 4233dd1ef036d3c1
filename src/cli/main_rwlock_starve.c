/* main_rwlock_starve.c - measure what reader preference costs a writer, and
 * what a read lock costs a reader.
 * Chapter 2.
 *
 * Starvation mode (the default).  K reader threads loop read sections over
 * a 1,000-key store, each section doing a few lookups; one writer sleeps a
 * fixed interval, then calls store_set() and records how long the call
 * took.  Almost all of that time is the wait for the write lock (the put
 * itself is a fraction of a microsecond), so its distribution shows how
 * long readers keep the writer out.  Both lock variants run the same
 * schedule one after the other, so their figures sit side by side.
 *
 * Readers-only mode (--readers-only).  No writer at all.  It times one read
 * section with one lookup in it on the unsynchronised store with one and
 * two threads (the control: two threads that share nothing they write run
 * as fast as one), then on the rwlock store with one thread and with two:
 * the two readers never wait for each other, yet each pays for moving the
 * lock word's cache line between cores.
 *
 * Figures are wall-clock and depend on the machine and its load; run both
 * modes a few times and compare ratios within one run, not absolute
 * numbers across machines.
 */
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { KEYS = 1000, MAX_READERS = 64 };

typedef struct options {
    int readers;          /* reader threads (starvation mode) */
    double seconds;       /* duration of each run */
    int work;             /* lookups per read section */
    long write_every_us;  /* writer's pause between writes */
    bool readers_only;    /* the read-cost mode instead */
    int ncpu;             /* CPUs online */
} options;

static char keys[KEYS][16];
static size_t key_len[KEYS];

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time this thread has run.  On a shared machine a thread is often
 * descheduled, which would inflate wall-clock time per section; cache
 * misses and atomic stalls still count as CPU time. */
static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t next_rand(uint32_t *x)  /* xorshift32: cheap, per thread */
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static store *make_store(const char *variant)
{
    const store_ops *ops = store_variant(variant);
    store *s = ops ? store_create(ops) : NULL;
    if (s == NULL) {
        fprintf(stderr, "rwlock-starve: cannot create store '%s'\n", variant);
        exit(1);
    }
    for (int i = 0; i < KEYS; i++) {
        value *v = value_new_string("0123456789abcdef", 16, VALUE_NO_EXPIRY);
        if (store_set(s, keys[i], key_len[i], v) != 0) {
            fprintf(stderr, "rwlock-starve: out of memory filling store\n");
            exit(1);
        }
    }
    return s;
}

/* ---- threads ------------------------------------------------------------ */

typedef struct shared {
    store *s;
    int work;
    long write_every_us;
    atomic_bool stop;
    pthread_barrier_t start;
} shared;

typedef struct reader_arg {
    shared *sh;
    uint32_t seed;
    uint64_t sections;
    uint64_t cpu_ns;      /* the thread's CPU time in the loop */
    uint64_t wall_ns;     /* and the wall-clock time */
    int pin_cpu;          /* CPU to run on, or -1 to let the kernel choose */
    size_t sink;          /* keeps the lookups from being optimised away */
} reader_arg;

static void *reader_main(void *arg)
{
    reader_arg *ra = arg;
    shared *sh = ra->sh;
    store_reader *r = store_reader_open(sh->s);
    if (r == NULL)
        abort();
    if (ra->pin_cpu >= 0) {
        /* One reader per CPU, so that two readers really run on two cores
         * (when the machine's other load lets them run at all). */
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(ra->pin_cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    pthread_barrier_wait(&sh->start);
    uint64_t w0 = now_ns();
    uint64_t t0 = thread_cpu_ns();
    /* relaxed: the flag only has to be seen eventually; it guards no data. */
    while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
        store_read_begin(r);
        for (int i = 0; i < sh->work; i++) {
            int k = (int)(next_rand(&ra->seed) % KEYS);
            const value *v = store_get(r, keys[k], key_len[k]);
            ra->sink += v ? value_str_len(v) : 0;
        }
        store_read_end(r);
        ra->sections++;
    }
    ra->cpu_ns = thread_cpu_ns() - t0;
    ra->wall_ns = now_ns() - w0;
    store_reader_close(r);
    return NULL;
}

typedef struct writer_arg {
    shared *sh;
    uint64_t *waits_ns;   /* one entry per completed write */
    size_t n, cap;
} writer_arg;

static void *writer_main(void *arg)
{
    writer_arg *wa = arg;
    shared *sh = wa->sh;
    uint32_t seed = 12345;
    struct timespec pause = {.tv_sec = sh->write_every_us / 1000000,
                             .tv_nsec = (sh->write_every_us % 1000000) * 1000};
    pthread_barrier_wait(&sh->start);
    while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
        nanosleep(&pause, NULL);
        int k = (int)(next_rand(&seed) % KEYS);
        value *v = value_new_string("fedcba9876543210", 16, VALUE_NO_EXPIRY);
        uint64_t t0 = now_ns();
        if (store_set(sh->s, keys[k], key_len[k], v) != 0)
            abort();
        uint64_t waited = now_ns() - t0;
        if (wa->n == wa->cap) {
            size_t cap = wa->cap ? wa->cap * 2 : 4096;
            uint64_t *p = realloc(wa->waits_ns, cap * sizeof *p);
            if (p == NULL)
                abort();
            wa->waits_ns = p;
            wa->cap = cap;
        }
        wa->waits_ns[wa->n++] = waited;
    }
    return NULL;
}

/* Run `readers` reader threads (and a writer if `writer` is not NULL) for
 * `seconds`; fill ra[] and *writer. */
static void run(store *s, const options *o, int readers, bool pin,
                reader_arg *ra, writer_arg *writer)
{
    shared sh = {.s = s, .work = o->work, .write_every_us = o->write_every_us};
    pthread_t tid[MAX_READERS + 1];
    int parties = readers + (writer ? 1 : 0);
    atomic_init(&sh.stop, false);
    pthread_barrier_init(&sh.start, NULL, (unsigned)parties + 1);
    for (int i = 0; i < readers; i++) {
        ra[i] = (reader_arg){.sh = &sh, .seed = 0x9e3779b9u * (unsigned)(i + 1),
                             .pin_cpu = pin ? i % o->ncpu : -1};
        if (pthread_create(&tid[i], NULL, reader_main, &ra[i]) != 0)
            abort();
    }
    if (writer) {
        *writer = (writer_arg){.sh = &sh};
        if (pthread_create(&tid[readers], NULL, writer_main, writer) != 0)
            abort();
    }
    pthread_barrier_wait(&sh.start);
    struct timespec d = {.tv_sec = (time_t)o->seconds,
                         .tv_nsec = (long)((o->seconds - (double)(time_t)o->seconds) * 1e9)};
    nanosleep(&d, NULL);
    atomic_store_explicit(&sh.stop, true, memory_order_relaxed);
    for (int i = 0; i < parties; i++)
        pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&sh.start);
}

/* ---- the two modes ------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_us(const uint64_t *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)sorted[i] / 1000.0;
}

static void starvation(const options *o)
{
    static const char *const variants[] = {"rwlock", "rwlock-rp"};
    reader_arg ra[MAX_READERS];
    printf("rwlock-starve: %d readers, %d lookups per read section, "
           "a write every %ld us, %.1f s per variant, %d keys\n\n",
           o->readers, o->work, o->write_every_us, o->seconds, KEYS);
    printf("%-10s %8s %10s %10s %12s %16s\n", "variant", "writes",
           "p50 wait", "p99 wait", "max wait", "reader sections/s");
    for (int v = 0; v < 2; v++) {
        store *s = make_store(variants[v]);
        writer_arg w;
        run(s, o, o->readers, false, ra, &w);
        uint64_t sections = 0;
        for (int i = 0; i < o->readers; i++)
            sections += ra[i].sections;
        qsort(w.waits_ns, w.n, sizeof w.waits_ns[0], cmp_u64);
        printf("%-10s %8zu %8.1f us %8.1f us %10.1f us %16.3g\n", variants[v],
               w.n, pct_us(w.waits_ns, w.n, 0.50), pct_us(w.waits_ns, w.n, 0.99),
               pct_us(w.waits_ns, w.n, 1.0), (double)sections / o->seconds);
        free(w.waits_ns);
        store_destroy(s);
    }
    printf("\n(wait = duration of store_set(): the write-lock wait plus a "
           "sub-microsecond put)\n");
}

/* Mean over threads of each thread's wall and CPU ns per section. */
static void ns_per_section(const char *variant, const options *o,
                           int threads, double *wall, double *cpu)
{
    reader_arg ra[MAX_READERS];
    store *s = make_store(variant);
    run(s, o, threads, true, ra, NULL);
    *wall = *cpu = 0;
    for (int i = 0; i < threads; i++) {
        double n = (double)(ra[i].sections ? ra[i].sections : 1);
        *wall += (double)ra[i].wall_ns / n / threads;
        *cpu += (double)ra[i].cpu_ns / n / threads;
    }
    store_destroy(s);
}

static void readers_only(const options *o)
{
    struct {
        const char *label, *variant;
        int threads;
    } rows[] = {
        {"naive, 1 thread", "naive", 1},
        {"naive, 2 threads", "naive", 2},
        {"rwlock, 1 thread", "rwlock", 1},
        {"rwlock, 2 threads", "rwlock", 2},
    };
    printf("rwlock-starve --readers-only: read section + %d lookup(s), "
           "%.1f s per row, %d keys, no writer\n\n", o->work, o->seconds, KEYS);
    printf("%-20s %10s %9s %10s %9s\n", "store", "wall ns", "vs naive",
           "CPU ns", "vs naive");
    double wall0 = 0, cpu0 = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double wall, cpu;
        ns_per_section(rows[i].variant, o, rows[i].threads, &wall, &cpu);
        if (i == 0) {
            wall0 = wall;
            cpu0 = cpu;
        }
        printf("%-20s %10.1f %8.1fx %10.1f %8.1fx\n", rows[i].label, wall,
               wall / wall0, cpu, cpu / cpu0);
    }
    printf("\n(ns per read section + lookup, per thread; readers pinned one "
           "per CPU;\n wall time includes time the thread was descheduled, "
           "CPU time does not)\n");
}

/* ---- arguments ---------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rwlock-starve [--readers K] [--seconds D] [--work N]\n"
            "                     [--write-every-us U]\n"
            "       rwlock-starve --readers-only [--seconds D] [--work N]\n"
            "\n"
            "  --readers K        reader threads, 1..%d (default: number of CPUs, at least 2)\n"
            "  --seconds D        seconds per run, 0.1..600 (default 2)\n"
            "  --work N           lookups per read section, 1..100000\n"
            "                     (default 8; 1 with --readers-only)\n"
            "  --write-every-us U writer's pause between writes, 0..1000000 (default 1000)\n"
            "  --readers-only     time read sections of naive vs rwlock at 1 and 2 threads\n",
            MAX_READERS);
}

static void bad_arg(const char *opt, const char *arg, const char *want)
{
    fprintf(stderr, "rwlock-starve: %s: '%s' is not %s\n", opt, arg, want);
    fprintf(stderr, "run 'rwlock-starve --help' for usage\n");
    exit(2);
}

static long parse_long(const char *opt, const char *arg, long lo, long hi)
{
    char want[80];
    snprintf(want, sizeof want, "a whole number from %ld to %ld", lo, hi);
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || v < lo || v > hi)
        bad_arg(opt, arg, want);
    return v;
}

static double parse_seconds(const char *opt, const char *arg)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno != 0 || end == arg || *end != '\0' || !(v >= 0.1 && v <= 600))
        bad_arg(opt, arg, "a number of seconds from 0.1 to 600");
    return v;
}

static options parse_args(int argc, char **argv)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    options o = {.readers = (int)(ncpu < 2 ? 2 : ncpu > MAX_READERS ? MAX_READERS : ncpu),
                 .seconds = 2, .work = 0, .write_every_us = 1000,
                 .ncpu = ncpu < 1 ? 1 : (int)ncpu};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--readers-only") == 0) {
            o.readers_only = true;
            continue;
        }
        bool known = strcmp(a, "--readers") == 0 || strcmp(a, "--seconds") == 0
                     || strcmp(a, "--work") == 0
                     || strcmp(a, "--write-every-us") == 0;
        if (!known) {
            fprintf(stderr, "rwlock-starve: unknown argument '%s'\n", a);
            usage(stderr);
            exit(2);
        }
        if (i + 1 == argc) {
            fprintf(stderr, "rwlock-starve: %s needs a value\n", a);
            exit(2);
        }
        const char *v = argv[++i];
        if (strcmp(a, "--readers") == 0)
            o.readers = (int)parse_long(a, v, 1, MAX_READERS);
        else if (strcmp(a, "--seconds") == 0)
            o.seconds = parse_seconds(a, v);
        else if (strcmp(a, "--work") == 0)
            o.work = (int)parse_long(a, v, 1, 100000);
        else
            o.write_every_us = parse_long(a, v, 0, 1000000);
    }
    if (o.work == 0)
        o.work = o.readers_only ? 1 : 8;
    return o;
}

int main(int argc, char **argv)
{
    options o = parse_args(argc, argv);
    for (int i = 0; i < KEYS; i++)
        key_len[i] = (size_t)snprintf(keys[i], sizeof keys[i], "key:%04d", i);
    if (o.readers_only)
        readers_only(&o);
    else
        starvation(&o);
    return 0;
}
