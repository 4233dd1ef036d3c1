/* hamt_cells.c - build/hamt-bench's timed cells: one run of one measurement.
 *
 * A cell is the smallest thing chapter 5 times: a run of reads, of counter
 * increments, of writes, of table copies, or of the 95/5 mix.  Everything a
 * cell needs (keys, values, the lookup order) is made before its clock
 * starts.  Reads, increments and writes are charged in CPU time of the
 * thread doing them (CLOCK_THREAD_CPUTIME_ID), so time a thread spends
 * descheduled while other programs run is not counted; the mix reports
 * wall-clock throughput, because there a thread waiting for the lock
 * (asleep in the kernel or not) is part of the cost, and counts each
 * thread's context switches to say which kind of waiting it was.  The threads of a cell are pinned to
 * CPUs 0..n-1 when the machine allows, and wait at a barrier so that they
 * start together.  main_hamt_bench.c decides which cells to run and in
 * what order.
 */
#include "hamt_bench.h"

#include "bench.h"
#include "counter.h"
#include "map.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

const char *const cell_count_names[4] = { "none", "shared atomic",
                                          "per-thread, 64 B apart",
                                          "per-thread, 128 B apart" };

static _Alignas(128) _Atomic uint64_t shared_count;

static double now_s(void)
{
    return (double)bench_now_ns() * 1e-9;
}

/* CPU time of the calling thread: time it spent descheduled while other
 * programs ran does not count. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- keys, values, stores --------------------------------------------- */

cell_keys cell_keys_make(long n)
{
    cell_keys ks = { n, malloc((size_t)n * 16), malloc((size_t)n) };
    if (ks.k == NULL || ks.len == NULL) {
        fprintf(stderr, "hamt-bench: out of memory for %ld keys\n", n);
        exit(1);
    }
    for (long i = 0; i < n; i++)
        ks.len[i] = (unsigned char)snprintf(ks.k[i], 16, "key:%ld", i);
    return ks;
}

void cell_keys_free(cell_keys *ks)
{
    free(ks->k);
    free(ks->len);
}

static value *val_for(long i)
{
    char b[16];
    int n = snprintf(b, sizeof b, "v%08ld", i);
    return value_new_string(b, (size_t)n, VALUE_NO_EXPIRY);
}

void cell_fill(store *s, const cell_keys *ks)
{
    store_change ch[1024];
    for (long i = 0; i < ks->n;) {
        long m = 0;
        for (; m < 1024 && i + m < ks->n; m++)
            ch[m] = (store_change){ STORE_CHANGE_SET, ks->k[i + m],
                                    ks->len[i + m], val_for(i + m), 0 };
        if (store_apply(s, ch, (size_t)m) != 0) {
            if (errno != ENOTSUP) {
                fprintf(stderr, "hamt-bench: fill failed\n");
                exit(1);
            }
            for (long j = 0; j < m; j++)
                store_set(s, ch[j].key, ch[j].klen, ch[j].val);
        }
        i += m;
    }
}

cell_stat cell_summarize(double *v, int n)
{
    cell_stat st = { .best = v[0], .worst = v[0] };
    st.n = n < CELL_REPS ? n : CELL_REPS;
    for (int i = 0; i < st.n; i++)
        st.v[i] = v[i];
    for (int i = 1; i < n; i++) {
        st.best = v[i] < st.best ? v[i] : st.best;
        st.worst = v[i] > st.worst ? v[i] : st.worst;
    }
    st.med = bench_median(v, (size_t)n);
    return st;
}

cell_range cell_paired(const cell_stat *a, const cell_stat *b)
{
    cell_range r = { NAN, NAN };
    int n = a->n < b->n ? a->n : b->n;
    for (int i = 0; i < n; i++) {
        double x = a->v[i] / b->v[i];
        if (isnan(x) || isinf(x))
            continue;
        r.lo = isnan(r.lo) || x < r.lo ? x : r.lo;
        r.hi = isnan(r.hi) || x > r.hi ? x : r.hi;
    }
    return r;
}

cell_range cell_unpaired(const cell_stat *a, const cell_stat *b)
{
    return (cell_range){ a->best / b->worst, a->worst / b->best };
}

/* ---- a team of threads ------------------------------------------------ */

/* The first member of every cell's per-thread job: which CPU to pin to and
 * the barrier all threads of the cell start from. */
typedef struct team {
    int cpu;
    pthread_barrier_t *bar;
    pthread_t tid;
} team;

/* Run fn on each of n jobs (each job `size` bytes, starting with a team),
 * one thread per job, and wait for all of them. */
static void team_run(void *jobs, size_t size, int n, void *(*fn)(void *))
{
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        team *m = (team *)((char *)jobs + (size_t)i * size);
        m->cpu = i;
        m->bar = &bar;
        pthread_create(&m->tid, NULL, fn, m);
    }
    for (int i = 0; i < n; i++)
        pthread_join(((team *)((char *)jobs + (size_t)i * size))->tid, NULL);
    pthread_barrier_destroy(&bar);
}

/* Pin the calling thread to one CPU (ignored where that is not allowed). */
static void team_pin(const team *m)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(m->cpu % (n > 0 ? n : 1), &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* ---- reads and counters ----------------------------------------------- */

typedef struct read_job {
    team t;
    store *s;
    const cell_keys *ks;
    const unsigned *order; /* random lookup order, CELL_ORDER entries */
    enum cell_count mode;
    counter *ctr;
    double secs;
    double ns_per_op;
    size_t sink;
} read_job;

/* [ch05-bench-read] */
static void *read_thread(void *arg)
{
    read_job *j = arg;
    team_pin(&j->t);
    store_reader *r = store_reader_open(j->s);
    int slot = j->ctr != NULL ? counter_claim(j->ctr) : -1;
    size_t sink = 0;
    pthread_barrier_wait(j->t.bar);
    long ops = 0;
    double t0 = now_s(), t1, c0 = cpu_s();
    do {
        for (int i = 0; i < CELL_ORDER; i++) {
            unsigned k = j->order[i];
            store_read_begin(r);
            const value *v = store_get(r, j->ks->k[k], j->ks->len[k]);
            sink += value_str_len(v);
            store_read_end(r);
            if (j->mode == CELL_COUNT_SHARED)
                atomic_fetch_add_explicit(&shared_count, 1,
                                          memory_order_relaxed);
            else if (slot >= 0)
                counter_add(j->ctr, slot, 1);
        }
        ops += CELL_ORDER;
        t1 = now_s();
    } while (t1 - t0 < j->secs);
    j->ns_per_op = (cpu_s() - c0) * 1e9 / (double)ops;
    j->sink = sink;
    store_reader_close(r);
    return NULL;
}
/* [ch05-bench-read] */

/* A per-thread counter for the slot modes, NULL for the others. */
static counter *counter_for(enum cell_count mode)
{
    if (mode != CELL_COUNT_SLOT64 && mode != CELL_COUNT_SLOT128)
        return NULL;
    return counter_create(CELL_MAX_THREADS,
                          mode == CELL_COUNT_SLOT64 ? 64 : 128);
}

double cell_read(store *s, const cell_keys *ks, const unsigned *order,
                 int threads, enum cell_count mode, double secs)
{
    counter *ctr = counter_for(mode);
    read_job jobs[CELL_MAX_THREADS];
    for (int i = 0; i < threads; i++)
        jobs[i] = (read_job){ .s = s, .ks = ks, .order = order,
                              .mode = mode, .ctr = ctr, .secs = secs };
    team_run(jobs, sizeof jobs[0], threads, read_thread);
    double sum = 0;
    for (int i = 0; i < threads; i++)
        sum += jobs[i].ns_per_op;
    counter_destroy(ctr);
    return sum / threads;
}

typedef struct inc_job {
    team t;
    enum cell_count mode;
    counter *ctr;
    double secs;
    double ns_per_op;
} inc_job;

static void *inc_thread(void *arg)
{
    inc_job *j = arg;
    team_pin(&j->t);
    int slot = j->ctr != NULL ? counter_claim(j->ctr) : -1;
    pthread_barrier_wait(j->t.bar);
    long ops = 0;
    double t0 = now_s(), t1, c0 = cpu_s();
    do {
        for (int i = 0; i < 65536; i++) {
            if (j->mode == CELL_COUNT_SHARED)
                atomic_fetch_add_explicit(&shared_count, 1,
                                          memory_order_relaxed);
            else
                counter_add(j->ctr, slot, 1);
        }
        ops += 65536;
        t1 = now_s();
    } while (t1 - t0 < j->secs / 2);
    j->ns_per_op = (cpu_s() - c0) * 1e9 / (double)ops;
    return NULL;
}

double cell_increment(int threads, enum cell_count mode, double secs)
{
    counter *ctr = counter_for(mode);
    inc_job jobs[CELL_MAX_THREADS];
    for (int i = 0; i < threads; i++)
        jobs[i] = (inc_job){ .mode = mode, .ctr = ctr, .secs = secs };
    team_run(jobs, sizeof jobs[0], threads, inc_thread);
    double sum = 0;
    for (int i = 0; i < threads; i++)
        sum += jobs[i].ns_per_op;
    counter_destroy(ctr);
    return sum / threads;
}

/* ---- writes ----------------------------------------------------------- */

cell_stat cell_write(store *s, const cell_keys *ks, int batch,
                     double budget_s)
{
    double v[CELL_REPS];
    unsigned seed = 7;
    long maxw = 1 << 20;
    value **vals = malloc((size_t)maxw * sizeof *vals);
    long *which = malloc((size_t)maxw * sizeof *which);
    for (int rep = 0; rep < CELL_REPS; rep++) {
        /* Values and key choices made before timing; at most maxw writes,
         * and never longer than the budget. */
        long w = 0;
        double t0 = cpu_s(), t1 = t0;
        long prepared = 0;
        while (t1 - t0 < budget_s && w < maxw) {
            long chunk = batch > 0 ? batch : 64;
            if (w + chunk > maxw)
                break;
            double p0 = cpu_s();
            for (long i = 0; i < chunk; i++) {
                which[w + i] = rand_r(&seed) % ks->n;
                vals[w + i] = val_for(w + i);
            }
            prepared += chunk;
            double p1 = cpu_s();
            t0 += p1 - p0; /* preparation does not count */
            if (batch > 0) {
                store_change ch[CELL_BATCH];
                for (long i = 0; i < chunk; i++)
                    ch[i] = (store_change){ STORE_CHANGE_SET,
                                            ks->k[which[w + i]],
                                            ks->len[which[w + i]],
                                            vals[w + i], 0 };
                store_apply(s, ch, (size_t)chunk);
            } else {
                for (long i = 0; i < chunk; i++)
                    store_set(s, ks->k[which[w + i]], ks->len[which[w + i]],
                              vals[w + i]);
            }
            w += chunk;
            t1 = cpu_s();
        }
        v[rep] = (t1 - t0) * 1e9 / (double)(prepared > 0 ? prepared : 1);
    }
    free(vals);
    free(which);
    return cell_summarize(v, CELL_REPS);
}

cell_stat cell_clone(long n, double budget_s)
{
    map m;
    cell_keys ks = cell_keys_make(n);
    map_init(&m, (size_t)n, NULL);
    for (long i = 0; i < n; i++)
        map_insert(&m, ks.k[i], ks.len[i], NULL);
    double v[CELL_REPS];
    for (int rep = 0; rep < CELL_REPS; rep++) {
        long c = 0;
        double t0 = cpu_s(), t1;
        do {
            map copy;
            map_clone(&copy, &m);
            map_release(&copy);
            c++;
            t1 = cpu_s();
        } while (t1 - t0 < budget_s);
        v[rep] = (t1 - t0) * 1e9 / (double)c;
    }
    map_release(&m);
    cell_keys_free(&ks);
    return cell_summarize(v, CELL_REPS);
}

/* ---- the mix ---------------------------------------------------------- */

typedef struct mix_job {
    team t;
    store *s;
    const cell_keys *ks;
    int write_pct;
    double secs;
    long ops;
    double wall;
    long vcsw, ivcsw; /* context switches during the timed loop */
} mix_job;

/* The calling thread's context switches so far (Linux RUSAGE_THREAD). */
static void thread_csw(long *vol, long *invol)
{
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) != 0)
        memset(&ru, 0, sizeof ru);
    *vol = ru.ru_nvcsw;
    *invol = ru.ru_nivcsw;
}

/* [ch05-bench-mix] */
static void *mix_thread(void *arg)
{
    mix_job *j = arg;
    team_pin(&j->t);
    store_reader *r = store_reader_open(j->s);
    unsigned seed = (unsigned)j->t.cpu * 7919u + 1;
    /* Values for the writes are made before timing, like the keys. */
    enum { NV = 65536 };
    value **vals = malloc(NV * sizeof *vals);
    for (long i = 0; i < NV; i++)
        vals[i] = val_for(i);
    long nv = 0;
    size_t sink = 0;
    pthread_barrier_wait(j->t.bar);
    long ops = 0, v0, i0;
    thread_csw(&v0, &i0);
    double t0 = now_s(), t1;
    do {
        for (int i = 0; i < 1000; i++) {
            long k = rand_r(&seed) % j->ks->n;
            if ((int)(rand_r(&seed) % 100) < j->write_pct && nv < NV) {
                store_set(j->s, j->ks->k[k], j->ks->len[k], vals[nv++]);
            } else {
                store_read_begin(r);
                const value *v = store_get(r, j->ks->k[k], j->ks->len[k]);
                sink += value_str_len(v);
                store_read_end(r);
            }
        }
        ops += 1000;
        t1 = now_s();
    } while (t1 - t0 < j->secs * 2 && nv < NV);
    thread_csw(&j->vcsw, &j->ivcsw);
    j->vcsw -= v0; /* voluntary: slept, i.e. waited on a futex */
    j->ivcsw -= i0;
    j->ops = ops + (long)(sink & 0);
    j->wall = t1 - t0;
    for (long i = nv; i < NV; i++)
        value_free(vals[i]);
    free(vals);
    store_reader_close(r);
    return NULL;
}
/* [ch05-bench-mix] */

double cell_mix(const char *variant, const cell_keys *ks, int threads,
                int write_pct, double secs, cell_csw *csw)
{
    store *s = store_create(store_variant(variant));
    cell_fill(s, ks);
    mix_job jobs[CELL_MAX_THREADS];
    for (int i = 0; i < threads; i++)
        jobs[i] = (mix_job){ .s = s, .ks = ks, .write_pct = write_pct,
                             .secs = secs };
    team_run(jobs, sizeof jobs[0], threads, mix_thread);
    double total = 0, ops = 0, vol = 0, invol = 0;
    for (int i = 0; i < threads; i++) {
        total += (double)jobs[i].ops / jobs[i].wall;
        ops += (double)jobs[i].ops;
        vol += (double)jobs[i].vcsw;
        invol += (double)jobs[i].ivcsw;
    }
    if (csw != NULL)
        *csw = (cell_csw){ ops > 0 ? 1000 * vol / ops : NAN,
                           ops > 0 ? 1000 * invol / ops : NAN };
    store_destroy(s);
    return total / 1e6;
}
