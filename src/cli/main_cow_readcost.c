/* main_cow_readcost.c - what one read costs under each read-side scheme.
 * Chapter 3.
 *
 * Chapter 3's claim is that a copy-on-write reader with epoch reclamation
 * costs about what an unsynchronised lookup costs, at any thread count,
 * while a reader that writes a shared cache line (a read lock, a reference
 * count) gets slower as soon as a second core reads too.  This program
 * measures just that, read-only, one read section per lookup:
 *
 *   naive     store_naive: no synchronisation (safe here: nobody writes)
 *   rwlock    store_rwlock: rdlock + lookup + unlock
 *   refcount  a snapshot pointer with a reference count: load, increment,
 *             lookup, decrement.  Only the cost: with no writer running,
 *             its load/increment window (tests/demo/asan_ch03_refcount_window.c)
 *             never opens; any fix for that window adds work, so this is a
 *             lower bound.
 *   cow       store_cow: ebr_enter + acquire load + lookup + ebr_exit
 *
 * Method: keys are built before timing; each thread runs a short warm-up,
 * waits on a barrier, then looks up keys in a precomputed random order for
 * a fixed time.  ns/op is the thread's elapsed time over its operations,
 * averaged over threads; each cell shows the median and the best of five
 * runs (on a shared machine the best is the better estimate of the cost
 * itself, the median shows the noise).  The ratio column divides the median
 * by naive's median at one thread.
 *
 * Usage: cow-readcost [-s seconds per run] [-k keys] [-T max threads]
 */
#include "ebr.h"
#include "kvmap.h"
#include "store.h"
#include "store_cow.h"
#include "store_naive.h"
#include "store_rwlock.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 16
#define ORDER 4096 /* lookups follow a random order of this length */

/* --- the reference-counted snapshot (read side only) --------------------- */

typedef struct rc_snap {
    _Alignas(128) _Atomic long refs;
    kvmap kv;
} rc_snap;

static _Atomic(rc_snap *) rc_cur;

/* --- one benchmark cell ---------------------------------------------------- */

typedef struct cell {
    const char *variant;
    store *s;           /* NULL for refcount */
    char **keys;
    size_t *klens;
    unsigned *order;
    double seconds;
    int threads;
    pthread_barrier_t start;
    double ns[MAX_THREADS];
} cell;

typedef struct worker {
    cell *c;
    int id;
} worker;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t one_read(cell *c, store_reader *r, unsigned i)
{
    const char *k = c->keys[c->order[i]];
    size_t kl = c->klens[c->order[i]];
    if (r == NULL) {
        /* acquire: see the table the snapshot was built with */
        rc_snap *p = atomic_load_explicit(&rc_cur, memory_order_acquire);
        atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
        const value *v = kvmap_get(&p->kv, k, kl);
        size_t n = v ? value_str_len(v) : 0;
        /* release: our reads happen before a free by the last releaser */
        atomic_fetch_sub_explicit(&p->refs, 1, memory_order_release);
        return n;
    }
    store_read_begin(r);
    const value *v = store_get(r, k, kl);
    size_t n = v ? value_str_len(v) : 0;
    store_read_end(r);
    return n;
}

static void *run_worker(void *p)
{
    worker *w = p;
    cell *c = w->c;
    cpu_set_t cpus; /* spread threads over CPUs; ignore failure */
    CPU_ZERO(&cpus);
    CPU_SET(w->id % (int)sysconf(_SC_NPROCESSORS_ONLN), &cpus);
    pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);
    store_reader *r = c->s ? store_reader_open(c->s) : NULL;
    size_t sink = 0;
    unsigned i = (unsigned)w->id * 977u;
    for (int j = 0; j < 100000; j++) /* warm-up: caches, branch predictors */
        sink += one_read(c, r, i++ % ORDER);
    pthread_barrier_wait(&c->start);
    double t0 = now_s(), t1;
    long ops = 0;
    do {
        for (int j = 0; j < 4096; j++)
            sink += one_read(c, r, i++ % ORDER);
        ops += 4096;
    } while ((t1 = now_s()) - t0 < c->seconds);
    c->ns[w->id] = (t1 - t0) * 1e9 / (double)ops;
    store_reader_close(r);
    if (sink == 42) /* keep the lookups from being optimised away */
        fputc(' ', stderr);
    return NULL;
}

static double run_cell(cell *c)
{
    pthread_t t[MAX_THREADS];
    worker w[MAX_THREADS];
    pthread_barrier_init(&c->start, NULL, (unsigned)c->threads);
    for (int i = 0; i < c->threads; i++) {
        w[i] = (worker){ c, i };
        pthread_create(&t[i], NULL, run_worker, &w[i]);
    }
    double sum = 0;
    for (int i = 0; i < c->threads; i++) {
        pthread_join(t[i], NULL);
        sum += c->ns[i];
    }
    pthread_barrier_destroy(&c->start);
    return sum / c->threads;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static value *val(int i)
{
    char b[32];
    int n = snprintf(b, sizeof b, "value:%d", i);
    return value_new_string(b, (size_t)n, VALUE_NO_EXPIRY);
}

int main(int argc, char **argv)
{
    double seconds = 0.3;
    int nkeys = 1000, max_threads = 2, opt;
    while ((opt = getopt(argc, argv, "s:k:T:")) != -1) {
        if (opt == 's')
            seconds = atof(optarg);
        else if (opt == 'k')
            nkeys = atoi(optarg);
        else if (opt == 'T')
            max_threads = atoi(optarg);
        else {
            fprintf(stderr, "usage: %s [-s seconds] [-k keys] [-T threads]\n",
                    argv[0]);
            return 2;
        }
    }
    if (seconds <= 0 || nkeys < 1 || max_threads < 1 ||
        max_threads > MAX_THREADS) {
        fprintf(stderr, "cow-readcost: need -s > 0, -k >= 1, 1 <= -T <= %d\n",
                MAX_THREADS);
        return 2;
    }
    char **keys = calloc((size_t)nkeys, sizeof *keys);
    size_t *klens = calloc((size_t)nkeys, sizeof *klens);
    unsigned *order = calloc(ORDER, sizeof *order);
    if (keys == NULL || klens == NULL || order == NULL)
        return 1;
    for (int i = 0; i < nkeys; i++) {
        keys[i] = malloc(24);
        klens[i] = (size_t)snprintf(keys[i], 24, "key:%d", i);
    }
    uint64_t x = 88172645463325252ULL; /* xorshift64: a fixed random order */
    for (int i = 0; i < ORDER; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        order[i] = (unsigned)(x % (uint64_t)nkeys);
    }

    const char *names[] = { "naive", "rwlock", "refcount", "cow" };
    const store_ops *ops[] = { &store_naive_ops, &store_rwlock_ops, NULL,
                               &store_cow_ops };
    printf("# cow-readcost: %d keys, %.2f s per run, 5 runs, "
           "one read section per lookup\n", nkeys, seconds);
    printf("%-10s %7s %12s %10s %10s\n", "variant", "threads",
           "median ns/op", "best", "x naive@1");
    double base = 0;
    for (int v = 0; v < 4; v++) {
        store *s = NULL;
        rc_snap *rc = NULL;
        if (ops[v] != NULL) {
            s = store_create(ops[v]);
            for (int i = 0; i < nkeys; i++)
                store_set(s, keys[i], klens[i], val(i));
        } else {
            rc = aligned_alloc(128, sizeof *rc);
            atomic_init(&rc->refs, 1);
            kvmap_init(&rc->kv, 0);
            for (int i = 0; i < nkeys; i++) {
                value *old;
                kvmap_put(&rc->kv, keys[i], klens[i], val(i), &old);
            }
            atomic_store(&rc_cur, rc);
        }
        for (int t = 1; t <= max_threads; t++) {
            cell c = { .variant = names[v], .s = s, .keys = keys,
                       .klens = klens, .order = order, .seconds = seconds,
                       .threads = t };
            double runs[5];
            for (int rep = 0; rep < 5; rep++)
                runs[rep] = run_cell(&c);
            qsort(runs, 5, sizeof runs[0], cmp_double);
            if (v == 0 && t == 1)
                base = runs[2];
            printf("%-10s %7d %12.2f %10.2f %10.2f\n", names[v], t, runs[2],
                   runs[0], runs[2] / base);
            fflush(stdout);
        }
        if (s != NULL)
            store_destroy(s);
        if (rc != NULL) {
            kvmap_free_all(&rc->kv);
            free(rc);
        }
    }
    for (int i = 0; i < nkeys; i++)
        free(keys[i]);
    free(keys);
    free(klens);
    free(order);
    return 0;
}
