/* harness.c - one measured run of a workload on a store.
 *
 * A run starts its worker threads, holds them at a barrier until every one
 * of them exists (so thread creation is not timed), lets them run the
 * workload untimed for the warm-up (caches, branch predictors, the CPU's
 * clock all settle), then switches a shared phase word to "measure" and
 * reads the clock, sleeps for the timed phase, switches it to "stop" and
 * reads the clock again.  Each worker counts its operations in its own
 * 128-byte-aligned slot, so the counting itself shares no cache line, and
 * times one read in 64 and one write in 4 with clock_gettime() for the
 * latency percentiles (timing every operation would cost more than a
 * lookup).
 *
 * Each worker also reads its own context-switch counts (getrusage() with
 * RUSAGE_THREAD) when it sees the timed phase start and when it sees it
 * stop.  Voluntary switches are the thread going to sleep, which for a
 * worker that never sleeps on purpose means waiting in the kernel for a
 * lock (a futex); involuntary ones are the scheduler taking its CPU away.
 * They are the evidence for or against "the lock holder was preempted".
 *
 * The seed's harness factors are applied here, not in the stores: key
 * formatting with snprintf() inside the loop, writes that insert a new key
 * every time, and a shared atomic counter bumped by every read.
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

enum { PH_WARM = 0, PH_MEASURE = 1, PH_STOP = 2 };
enum { NSAMPLES = 4096, READ_EVERY = 64, WRITE_EVERY = 4, LINE = 128 };

/* [ch04-worker-slot] */
/* One worker's slot.  Aligned to 128 bytes: two 64-byte lines, because the
 * adjacent-line prefetcher makes neighbours on one 128-byte pair interfere. */
typedef struct worker {
    _Alignas(LINE) const bench_config *cfg;
    struct run *rn;               /* the run this worker belongs to */
    pthread_t tid;
    int id;
    bool writer;                  /* the dedicated writer of a rate run */
    uint64_t ops, reads, writes, misses, errors, sink;
    uint64_t vcsw, ivcsw;         /* context switches in the timed phase */
    size_t nread, nwrite;         /* samples taken (ring buffers) */
    double rsamp[NSAMPLES], wsamp[NSAMPLES];
    /* The counter of BENCH_COUNTER_PRIVATE, alone on its lines. */
    _Alignas(LINE) _Atomic uint64_t private_counter;
    _Alignas(LINE) char pad;
} worker;
/* [ch04-worker-slot] */

/* What the workers share: the phase word (written twice per run by the
 * main thread, read by every worker on every operation, so it stays in
 * every core's cache) and the start barrier. */
typedef struct run {
    _Alignas(LINE) _Atomic int phase;
    _Alignas(LINE) pthread_barrier_t start;
} run;

/* The seed's atomic store counted its reads in one shared word. */
static _Alignas(LINE) _Atomic uint64_t shared_reads;
static _Alignas(LINE) _Atomic uint64_t shared_counter;

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool bench_is_floor(const store_ops *ops)
{
    return strcmp(ops->name, "naive") == 0;
}

int bench_preload(store *st, size_t from, size_t to, double budget_s,
                  double *took_s)
{
    uint64_t t0 = bench_now_ns();
    char key[32];
    int rc = 0;
    for (size_t i = from; i < to; i++) {
        int n = snprintf(key, sizeof key, "key%zu", i);
        if (store_set(st, key, (size_t)n,
                      value_new_string("value", 5, VALUE_NO_EXPIRY)) != 0) {
            rc = -1;
            break;
        }
        if ((i & 255) == 255 && (bench_now_ns() - t0) / 1e9 > budget_s) {
            rc = 1;
            break;
        }
    }
    *took_s = (bench_now_ns() - t0) / 1e9;
    return rc;
}

/* Should operation i be a write?  Spreads (100 - read_pct)% writes evenly:
 * at 95% reads, ops 19, 39, 59, ... write, as the seed's "every 20th op". */
static bool is_write(uint64_t i, uint64_t write_ppm)
{
    return (i + 1) * write_ppm / 1000000 > i * write_ppm / 1000000;
}

/* The calling thread's voluntary and involuntary context switches so far
 * (Linux: RUSAGE_THREAD).  Zero when the call fails. */
static void thread_csw(uint64_t *vol, uint64_t *invol)
{
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) != 0)
        memset(&ru, 0, sizeof ru);
    *vol = (uint64_t)ru.ru_nvcsw;
    *invol = (uint64_t)ru.ru_nivcsw;
}

/* Called when a worker sees the phase change from `was` to `now`: keeps the
 * switch counts of the timed phase (those at its end minus its start). */
static void phase_csw(worker *w, int was, int now)
{
    uint64_t v, i;
    if (was == PH_MEASURE || now == PH_MEASURE) {
        thread_csw(&v, &i);
        if (now == PH_MEASURE) {
            w->vcsw = v;
            w->ivcsw = i;
        } else {
            w->vcsw = v - w->vcsw;
            w->ivcsw = i - w->ivcsw;
        }
    }
}

static void sample(double *ring, size_t *n, double ns)
{
    ring[*n % NSAMPLES] = ns;
    (*n)++;
}

static void do_read(worker *w, store_reader *r, uint64_t i, bool timed)
{
    const bench_config *c = w->cfg;
    char buf[32];
    const char *key;
    size_t klen;
    size_t k = (size_t)(i % c->keys);
    if (c->m.format_keys) {
        klen = (size_t)snprintf(buf, sizeof buf, "key%zu", k);
        key = buf;
    } else {
        key = c->key_names[k];
        klen = strlen(key);
    }
    uint64_t t0 = timed ? bench_now_ns() : 0;
    store_read_begin(r);
    const value *v = store_get(r, key, klen);
    if (v != NULL)
        w->sink += value_str_len(v);
    else
        w->misses++;
    store_read_end(r);
    /* Relaxed is enough: the count is never used to order other memory;
     * what it costs is the cache line moving, not the ordering. */
    if (c->m.shared_counter)
        atomic_fetch_add_explicit(&shared_reads, 1, memory_order_relaxed);
    if (timed)
        sample(w->rsamp, &w->nread, (double)(bench_now_ns() - t0));
}

static void do_write(worker *w, uint64_t wi, bool timed)
{
    const bench_config *c = w->cfg;
    char buf[48];
    const char *key;
    size_t klen;
    if (c->m.growing_keys) {
        /* A new key per write, unique per thread; after grow_cap of them
         * the thread starts overwriting its own, to bound memory. */
        uint64_t n = c->grow_cap ? wi % (c->grow_cap / (size_t)c->threads + 1)
                                 : wi;
        klen = (size_t)snprintf(buf, sizeof buf, "newkey%d_%llu", w->id,
                                (unsigned long long)n);
        key = buf;
    } else if (c->m.format_keys) {
        klen = (size_t)snprintf(buf, sizeof buf, "key%zu",
                                (size_t)(wi % c->keys));
        key = buf;
    } else {
        key = c->key_names[wi % c->keys];
        klen = strlen(key);
    }
    uint64_t t0 = timed ? bench_now_ns() : 0;
    if (store_set(c->st, key, klen,
                  value_new_string("value", 5, VALUE_NO_EXPIRY)) != 0)
        w->errors++;
    if (timed)
        sample(w->wsamp, &w->nwrite, (double)(bench_now_ns() - t0));
}

/* The dedicated writer of a write-rate run: one write every 1/rate s. */
static void writer_loop(worker *w)
{
    const bench_config *c = w->cfg;
    uint64_t period = (uint64_t)(1e9 / c->write_rate);
    uint64_t next = bench_now_ns(), wi = (uint64_t)w->id * 7919;
    int ph, last = PH_WARM;
    while ((ph = atomic_load_explicit(&w->rn->phase,
                                      memory_order_relaxed)) != PH_STOP) {
        if (ph != last)
            phase_csw(w, last, ph);
        last = ph;
        uint64_t now = bench_now_ns();
        if (now < next) {
            uint64_t d = next - now;
            if (d > 2000000)
                d = 2000000; /* wake often enough to notice PH_STOP */
            struct timespec ts = {(time_t)(d / 1000000000u),
                                  (long)(d % 1000000000u)};
            nanosleep(&ts, NULL);
            continue;
        }
        next += period;
        if (next + 1000000000u < now)
            next = now; /* fell a second behind: do not burst to catch up */
        do_write(w, wi++, ph == PH_MEASURE);
        if (ph == PH_MEASURE)
            w->writes++;
    }
    phase_csw(w, last, PH_STOP);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    const bench_config *c = w->cfg;
    store_reader *r = NULL;
    if (c->kind == BENCH_STORE && !w->writer)
        r = store_reader_open(c->st);
    pthread_barrier_wait(&w->rn->start);
    if (w->writer) {
        writer_loop(w);
        return NULL;
    }
    uint64_t write_ppm = c->write_rate > 0 ? 0
        : (uint64_t)llround((100.0 - c->read_pct) * 10000.0);
    /* Clean runs start each thread at its own place in the key space; the
     * seed's goroutines all started at key0. */
    uint64_t i = c->m.format_keys ? 0 : (uint64_t)w->id * 7919;
    uint64_t wi = 0, ops = 0, reads = 0, writes = 0;
    int ph, last = PH_WARM;
    while ((ph = atomic_load_explicit(&w->rn->phase,
                                      memory_order_relaxed)) != PH_STOP) {
        bool m = ph == PH_MEASURE;
        if (ph != last) /* twice per run: start and (below) end */
            phase_csw(w, last, ph);
        last = ph;
        if (c->kind == BENCH_COUNTER_SHARED) {
            atomic_fetch_add_explicit(&shared_counter, 1,
                                      memory_order_relaxed);
        } else if (c->kind == BENCH_COUNTER_PRIVATE) {
            atomic_fetch_add_explicit(&w->private_counter, 1,
                                      memory_order_relaxed);
        } else if (r == NULL) {
            break;
        } else if (is_write(i, write_ppm)) {
            do_write(w, wi, m && wi % WRITE_EVERY == 0);
            wi++;
            writes += m;
        } else {
            do_read(w, r, i, m && i % READ_EVERY == 0);
            reads += m;
        }
        ops += m; /* counted in registers, stored once at the end */
        i++;
    }
    phase_csw(w, last, PH_STOP);
    w->ops = ops;
    w->reads = reads;
    w->writes = writes;
    store_reader_close(r);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    /* learn: ch04 cmp_double "How to benchmark honestly" */
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
    /* learn: end */
}

/* Nearest-rank percentile of the samples of all workers. */
static double percentile(worker *ws, int n, bool reads, double p)
{
    /* learn: ch04 percentile "How to benchmark honestly" */
    size_t total = 0;
    for (int t = 0; t < n; t++) {
        size_t k = reads ? ws[t].nread : ws[t].nwrite;
        total += k < NSAMPLES ? k : NSAMPLES;
    }
    if (total == 0)
        return NAN;
    double *all = malloc(total * sizeof *all);
    if (all == NULL)
        return NAN;
    size_t j = 0;
    for (int t = 0; t < n; t++) {
        size_t k = reads ? ws[t].nread : ws[t].nwrite;
        k = k < NSAMPLES ? k : NSAMPLES;
        memcpy(all + j, reads ? ws[t].rsamp : ws[t].wsamp, k * sizeof *all);
        j += k;
    }
    qsort(all, total, sizeof *all, cmp_double);
    size_t rank = (size_t)ceil(p / 100.0 * (double)total);
    double v = all[rank > 0 ? rank - 1 : 0];
    free(all);
    return v;
    /* learn: end */
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int bench_run(const bench_config *cfg, bench_result *out)
{
    int nw = cfg->threads + (cfg->write_rate > 0 ? 1 : 0);
    worker *ws = aligned_alloc(LINE, sizeof(worker) * (size_t)nw);
    run *rn = aligned_alloc(LINE, sizeof *rn);
    if (ws == NULL || rn == NULL) {
        free(ws);
        free(rn);
        return -1;
    }
    memset(ws, 0, sizeof(worker) * (size_t)nw);
    atomic_init(&rn->phase, PH_WARM);
    pthread_barrier_init(&rn->start, NULL, (unsigned)nw + 1);
    int started = 0;
    for (int t = 0; t < nw; t++) {
        ws[t].cfg = cfg;
        ws[t].rn = rn;
        ws[t].id = t;
        ws[t].writer = t == cfg->threads;
        if (pthread_create(&ws[t].tid, NULL, worker_main, &ws[t]) != 0)
            break;
        started++;
    }
    /* [ch04-timed-phase] */
    if (started < nw) { /* cannot happen in practice; unblock and give up */
        atomic_store(&rn->phase, PH_STOP);
        for (int t = started; t < nw; t++)
            pthread_barrier_wait(&rn->start);
    } else {
        pthread_barrier_wait(&rn->start);
    }
    sleep_s(cfg->warmup);
    /* Relaxed stores and loads of the phase are enough: it only says when
     * to start and stop counting, no data travels with it, and the counts
     * come back through pthread_join(), which orders everything. */
    uint64_t t0 = bench_now_ns();
    atomic_store_explicit(&rn->phase, PH_MEASURE, memory_order_relaxed);
    sleep_s(cfg->seconds);
    atomic_store_explicit(&rn->phase, PH_STOP, memory_order_relaxed);
    uint64_t t1 = bench_now_ns();
    for (int t = 0; t < started; t++)
        pthread_join(ws[t].tid, NULL); /* join publishes the counts */
    /* [ch04-timed-phase] */
    pthread_barrier_destroy(&rn->start);

    memset(out, 0, sizeof *out);
    out->wall_s = (double)(t1 - t0) / 1e9;
    for (int t = 0; t < nw; t++) {
        out->ops += ws[t].ops;
        out->reads += ws[t].reads;
        out->writes += ws[t].writes;
        out->misses += ws[t].misses;
        out->errors += ws[t].errors;
        out->vcsw += ws[t].vcsw;
        out->ivcsw += ws[t].ivcsw;
    }
    double ops = out->ops ? (double)out->ops : NAN;
    out->ns_per_op = (double)(t1 - t0) / ops;
    out->thread_ns = out->ns_per_op * cfg->threads;
    out->ops_per_s = ops / out->wall_s;
    out->writes_per_s = (double)out->writes / out->wall_s;
    out->read_p50 = percentile(ws, nw, true, 50);
    out->read_p99 = percentile(ws, nw, true, 99);
    out->write_p50 = percentile(ws, nw, false, 50);
    out->write_p99 = percentile(ws, nw, false, 99);
    if (cfg->kind == BENCH_STORE) {
        store_stats st;
        store_stats_get(cfg->st, &st);
        out->keys_end = st.keys;
        out->bytes_end = st.bytes;
        out->peak_bytes = st.peak_bytes;
    }
    free(ws);
    free(rn);
    return started == nw ? 0 : -1;
}

double bench_median(double *v, size_t n)
{
    /* learn: ch04 bench_median "How to benchmark honestly" */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            v[k++] = v[i];
    if (k == 0)
        return NAN;
    qsort(v, k, sizeof *v, cmp_double);
    return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
    /* learn: end */
}
