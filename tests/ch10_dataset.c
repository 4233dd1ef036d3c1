/* ch10_dataset.c - chapter 10: a keyspace that a full sync replaces whole.
 *
 * Every test runs over every store variant in store_variants[].  Each
 * generation a test switches in carries its own number in every key, so
 * a reader can tell which generation it read and whether one section ever
 * mixed two.  The cases: reader threads reading while the writer switches
 * generations and writes the current one (no mix, dbsize matches, numbers
 * never go back, loaded means never generation 0, the last section sees
 * the last switch); reclaim waiting for every reader to move, section by
 * section; an idle reader held off reclaim until it quiesces (one thread,
 * then a thread that quiesces on its own); closing a reader that holds a
 * retired generation; out of memory while a reader moves (it keeps the
 * old generation and moves at a later section), while switching, making a
 * fresh keyspace, creating the dataset or opening a reader; and the
 * accessors (loaded, generation, retired).
 */
#include "dataset.h"

#include "alloc.h"
#include "test_util.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------- */

#define FOR_EACH_VARIANT(ops) \
    for (const store_ops *const *ops##_p = store_variants; \
         (ops = *ops##_p) != NULL; ops##_p++)

/* Keys every generation holds in db 0, each with the generation number. */
#define GEN_KEYS 32
/* Databases of the test datasets: 0 the numbered keys, 1 extra keys (as
 * many as the generation number mod 7), 2 the writer's tick. */
#define DBS 3

static dataset *make(const store_ops *ops)
{
    dataset *d = dataset_create(ops, DBS);
    ck_assert_msg(d != NULL, "%s: dataset_create: %s", ops->name,
                  strerror(errno));
    return d;
}

static void put(keyspace *ks, unsigned db, const char *k, long n)
{
    char b[24];
    int len = snprintf(b, sizeof b, "%ld", n);
    value *v = value_new_string(b, (size_t)len, VALUE_NO_EXPIRY);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(keyspace_put(ks, db, k, strlen(k), v), 0);
}

static long str_long(const value *v)
{
    char b[32];
    size_t n = value_str_read(v, 0, b, sizeof b - 1);
    b[n] = '\0';
    return atol(b);
}

/* The number under key in db (inside a section), or -1 when absent. */
static long get(keyspace_reader *kr, unsigned db, const char *k)
{
    const value *v = keyspace_get(kr, db, k, strlen(k));
    return v != NULL ? str_long(v) : -1;
}

/* Fill a fresh keyspace with generation g: GEN_KEYS keys "k<i>" = g in
 * db 0, g % 7 keys "x<i>" = g in db 1. */
static void fill(keyspace *ks, long g)
{
    char k[16];
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    for (int i = 0; i < GEN_KEYS; i++) {
        snprintf(k, sizeof k, "k%d", i);
        put(ks, 0, k, g);
    }
    for (long i = 0; i < g % 7; i++) {
        snprintf(k, sizeof k, "x%ld", i);
        put(ks, 1, k, g);
    }
    ck_assert_int_eq(keyspace_commit(ks), 0);
}

/* A full sync: a fresh keyspace filled with generation g, switched in. */
static void sync_gen(dataset *d, long g)
{
    keyspace *ks = dataset_fresh(d);
    ck_assert_ptr_nonnull(ks);
    fill(ks, g);
    ck_assert_int_eq(dataset_switch(d, ks), 0);
    ck_assert_uint_eq(dataset_generation(d), (uint64_t)g);
}

/* Check one section's view (inside it): every key holds one generation
 * number, dbsize agrees; returns that number, or -1 with a message. */
static long check_view(keyspace_reader *kr, char *err, size_t errsz)
{
    long g = get(kr, 0, "k0");
    if (g < 0) {
        /* generation 0 is the empty keyspace the dataset starts with */
        if (keyspace_dbsize(kr, 0) != 0 || keyspace_dbsize(kr, 1) != 0) {
            snprintf(err, errsz, "no k0 but db 0 has %zu keys, db 1 %zu",
                     keyspace_dbsize(kr, 0), keyspace_dbsize(kr, 1));
            return -1;
        }
        return 0;
    }
    char k[16];
    for (int i = 1; i < GEN_KEYS; i++) {
        snprintf(k, sizeof k, "k%d", i);
        long v = get(kr, 0, k);
        if (v != g) {
            snprintf(err, errsz, "k0 holds %ld but %s holds %ld (two "
                     "generations in one section)", g, k, v);
            return -1;
        }
    }
    for (long i = 0; i < g % 7; i++) {
        snprintf(k, sizeof k, "x%ld", i);
        long v = get(kr, 1, k);
        if (v != g) {
            snprintf(err, errsz, "generation %ld: db 1 %s holds %ld", g, k,
                     v);
            return -1;
        }
    }
    if (keyspace_dbsize(kr, 0) != GEN_KEYS ||
        keyspace_dbsize(kr, 1) != (size_t)(g % 7)) {
        snprintf(err, errsz, "generation %ld: dbsize %zu/%zu, not %d/%ld", g,
                 keyspace_dbsize(kr, 0), keyspace_dbsize(kr, 1), GEN_KEYS,
                 g % 7);
        return -1;
    }
    return g;
}

/* One section of r: its generation number as the keys say (-1 on a
 * failed check, with a test failure). */
static long read_gen(dataset_reader *r)
{
    char err[160];
    keyspace_reader *kr = dataset_read_begin(r);
    ck_assert_ptr_nonnull(kr);
    long g = check_view(kr, err, sizeof err);
    dataset_read_end(r);
    ck_assert_msg(g >= 0, "%s", err);
    ck_assert_uint_eq(dataset_reader_generation(r), (uint64_t)g);
    return g;
}

/* ---- accessors, creation ----------------------------------------------------- */

START_TEST(create_loaded_generation_retired)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        errno = 0;
        ck_assert_ptr_null(dataset_create(ops, 0));
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_ptr_null(dataset_create(ops, KEYSPACE_MAX_DBS + 1));
        ck_assert_int_eq(errno, EINVAL);

        dataset *d = make(ops);
        ck_assert(!dataset_loaded(d));
        ck_assert_uint_eq(dataset_generation(d), 0);
        ck_assert_uint_eq(dataset_retired(d), 0);
        ck_assert_uint_eq(dataset_reclaim(d), 0);
        keyspace *cur = dataset_current(d);
        ck_assert_ptr_nonnull(cur);
        ck_assert_uint_eq(keyspace_databases(cur), DBS);

        dataset_reader *r = dataset_reader_open(d);
        ck_assert_ptr_nonnull(r);
        ck_assert_uint_eq(dataset_reader_generation(r), 0);
        ck_assert_int_eq(read_gen(r), 0); /* empty before the first sync */

        /* a fresh keyspace has the dataset's shape and is not visible */
        keyspace *ks = dataset_fresh(d);
        ck_assert_ptr_nonnull(ks);
        ck_assert_ptr_ne(ks, cur);
        ck_assert_uint_eq(keyspace_databases(ks), DBS);
        fill(ks, 1);
        ck_assert_int_eq(read_gen(r), 0);
        ck_assert(!dataset_loaded(d));
        ck_assert_int_eq(dataset_switch(d, ks), 0);
        ck_assert(dataset_loaded(d));
        ck_assert_uint_eq(dataset_generation(d), 1);
        ck_assert_ptr_eq(dataset_current(d), ks);
        ck_assert_uint_eq(dataset_retired(d), 1); /* r holds generation 0 */
        ck_assert_int_eq(read_gen(r), 1);
        ck_assert_uint_eq(dataset_reclaim(d), 1);
        ck_assert_uint_eq(dataset_retired(d), 0);

        /* a load that failed: the fresh keyspace is the caller's to free */
        ks = dataset_fresh(d);
        ck_assert_ptr_nonnull(ks);
        keyspace_destroy(ks);
        ck_assert_uint_eq(dataset_generation(d), 1);
        ck_assert_int_eq(read_gen(r), 1);

        /* the writer keeps writing the current generation */
        for (long t = 1; t <= 3; t++) {
            ck_assert_int_eq(keyspace_batch_begin(dataset_current(d)), 0);
            put(dataset_current(d), 2, "tick", t);
            ck_assert_int_eq(keyspace_commit(dataset_current(d)), 0);
            keyspace_reader *kr = dataset_read_begin(r);
            ck_assert_int_eq(get(kr, 2, "tick"), t);
            dataset_read_end(r);
        }
        sync_gen(d, 2);
        ck_assert(dataset_loaded(d));
        ck_assert_int_eq(read_gen(r), 2);
        keyspace_reader *kr = dataset_read_begin(r);
        ck_assert_int_eq(get(kr, 2, "tick"), -1); /* the new copy has none */
        dataset_read_end(r);
        dataset_reader_close(r);
        dataset_destroy(d);
    }
    store_ops noapply = *store_variants[0];
    noapply.apply = NULL;
    errno = 0;
    ck_assert_ptr_null(dataset_create(&noapply, DBS));
    ck_assert_int_eq(errno, ENOTSUP);
    dataset_destroy(NULL);
    dataset_reader_close(NULL);
}
END_TEST

/* ---- reclaim waits for every reader, section by section -------------------------- */

/* One thread playing several readers (store.h allows that) makes every
 * step deterministic: which reader holds what is decided by the order of
 * the calls, not by scheduling. */
START_TEST(reclaim_only_after_every_reader_moved)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        dataset *d = make(ops);
        sync_gen(d, 1);
        ck_assert_uint_eq(dataset_reclaim(d), 1); /* nobody held gen 0 */

        dataset_reader *a = dataset_reader_open(d);
        dataset_reader *b = dataset_reader_open(d);
        dataset_reader *c = dataset_reader_open(d); /* never reads */
        ck_assert(a != NULL && b != NULL && c != NULL);
        ck_assert_int_eq(read_gen(a), 1);
        ck_assert_int_eq(read_gen(b), 1);

        /* b is inside a section when generation 2 comes in: the section
         * finishes on generation 1, and 1 cannot be freed meanwhile */
        char err[160];
        keyspace_reader *kb = dataset_read_begin(b);
        ck_assert_int_eq(check_view(kb, err, sizeof err), 1);
        sync_gen(d, 2);
        ck_assert_uint_eq(dataset_retired(d), 1);
        ck_assert_uint_eq(dataset_reclaim(d), 0);
        ck_assert_int_eq(check_view(kb, err, sizeof err), 1);
        ck_assert_uint_eq(dataset_reader_generation(b), 1);

        /* a moves; b, still in its section, keeps 1 alive */
        ck_assert_int_eq(read_gen(a), 2);
        ck_assert_uint_eq(dataset_reclaim(d), 0);
        ck_assert_uint_eq(dataset_retired(d), 1);
        dataset_read_end(b);
        /* out of its section b still holds 1 until its next section */
        ck_assert_uint_eq(dataset_reclaim(d), 0);

        /* two more switches before b reads again: 2 is held by a, 1 by b */
        sync_gen(d, 3);
        sync_gen(d, 4);
        ck_assert_uint_eq(dataset_retired(d), 3);
        ck_assert_uint_eq(dataset_reclaim(d), 1); /* 3: nobody read it */
        ck_assert_uint_eq(dataset_retired(d), 2);
        ck_assert_int_eq(read_gen(b), 4); /* straight to the current one */
        ck_assert_uint_eq(dataset_reclaim(d), 1); /* 1 */
        ck_assert_uint_eq(dataset_retired(d), 1);
        ck_assert_int_eq(read_gen(a), 4);
        ck_assert_uint_eq(dataset_reclaim(d), 1); /* 2 */
        ck_assert_uint_eq(dataset_retired(d), 0);
        ck_assert_uint_eq(dataset_reclaim(d), 0);
        ck_assert_int_eq(read_gen(c), 4);
        dataset_reader_close(a);
        dataset_reader_close(b);
        dataset_reader_close(c);
        dataset_destroy(d);
    }
}
END_TEST

/* ---- an idle reader, and quiesce ------------------------------------------------- */

START_TEST(idle_reader_holds_until_quiesce)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        dataset *d = make(ops);
        dataset_reader *r = dataset_reader_open(d);
        ck_assert_ptr_nonnull(r);
        dataset_reader_quiesce(r); /* holds nothing: nothing to do */
        ck_assert_int_eq(read_gen(r), 0);
        dataset_reader_quiesce(r); /* 0 is current: keeps it */
        sync_gen(d, 1);
        sync_gen(d, 2);
        /* r reads nothing for a while: generation 0 stays */
        for (int i = 0; i < 3; i++)
            ck_assert_uint_eq(dataset_reclaim(d), (i == 0 ? 1u : 0u));
        ck_assert_uint_eq(dataset_retired(d), 1);
        dataset_reader_quiesce(r);
        ck_assert_uint_eq(dataset_reclaim(d), 1);
        ck_assert_uint_eq(dataset_retired(d), 0);
        dataset_reader_quiesce(r); /* twice is harmless */
        ck_assert_uint_eq(dataset_reader_generation(r), 0); /* last read */
        ck_assert_int_eq(read_gen(r), 2);
        dataset_reader_quiesce(r); /* 2 is current: kept */
        ck_assert_uint_eq(dataset_retired(d), 0);
        sync_gen(d, 3);
        ck_assert_uint_eq(dataset_reclaim(d), 0);
        ck_assert_int_eq(read_gen(r), 3);
        ck_assert_uint_eq(dataset_reclaim(d), 1);
        dataset_reader_close(r);
        dataset_destroy(d);
    }
}
END_TEST

/* An event-loop thread: it reads once, then only quiesces from its
 * "timer" until told to stop. */
typedef struct idle_arg {
    dataset *d;
    atomic_int state;   /* 0 starting, 1 has read, 2 stop */
    long first;         /* generation of its one read */
} idle_arg;

static void *idle_main(void *p)
{
    idle_arg *a = p;
    dataset_reader *r = dataset_reader_open(a->d);
    if (r == NULL)
        return NULL;
    keyspace_reader *kr = dataset_read_begin(r);
    a->first = kr != NULL ? get(kr, 0, "k0") : -2;
    if (kr != NULL)
        dataset_read_end(r);
    /* release: the test reads `first` after it sees state 1 */
    atomic_store_explicit(&a->state, 1, memory_order_release);
    /* acquire: nothing rides on it but the stop; kept symmetric */
    while (atomic_load_explicit(&a->state, memory_order_acquire) != 2) {
        dataset_reader_quiesce(r);
        sched_yield();
    }
    dataset_reader_close(r);
    return NULL;
}

START_TEST(idle_thread_quiesces_and_lets_go)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        dataset *d = make(ops);
        sync_gen(d, 1);
        idle_arg a = {.d = d};
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, idle_main, &a), 0);
        while (atomic_load_explicit(&a.state, memory_order_acquire) != 1)
            sched_yield();
        ck_assert_int_eq(a.first, 1);
        /* generation 0 was never read: gone at once */
        ck_assert_uint_eq(dataset_reclaim(d), 1);
        sync_gen(d, 2);
        /* the thread never reads again, yet lets go of 1 on its own; the
         * wait is bounded only by Check's timeout */
        unsigned freed = 0;
        while (freed == 0) {
            freed = dataset_reclaim(d);
            if (freed == 0)
                sched_yield();
        }
        ck_assert_uint_eq(freed, 1);
        ck_assert_uint_eq(dataset_retired(d), 0);
        atomic_store_explicit(&a.state, 2, memory_order_release);
        pthread_join(t, NULL);
        dataset_destroy(d);
    }
}
END_TEST

/* ---- closing a reader that holds a retired generation ------------------------------ */

START_TEST(close_with_generation_held)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        dataset *d = make(ops);
        sync_gen(d, 1);
        dataset_reader *r = dataset_reader_open(d);
        dataset_reader *never = dataset_reader_open(d);
        ck_assert(r != NULL && never != NULL);
        ck_assert_int_eq(read_gen(r), 1);
        sync_gen(d, 2);
        ck_assert_uint_eq(dataset_reclaim(d), 1); /* 0; r holds 1 */
        ck_assert_uint_eq(dataset_retired(d), 1);
        dataset_reader_close(r);   /* lets go of 1 */
        dataset_reader_close(never);
        ck_assert_uint_eq(dataset_retired(d), 1); /* the writer frees it */
        ck_assert_uint_eq(dataset_reclaim(d), 1);
        ck_assert_uint_eq(dataset_retired(d), 0);

        /* destroying with retired generations not yet reclaimed frees
         * them too (Valgrind and ASan check nothing leaks) */
        r = dataset_reader_open(d);
        ck_assert_int_eq(read_gen(r), 2);
        sync_gen(d, 3);
        sync_gen(d, 4);
        dataset_reader_close(r);
        ck_assert_uint_eq(dataset_retired(d), 2);
        dataset_destroy(d);
    }
}
END_TEST

/* ---- out of memory ------------------------------------------------------------------- */

START_TEST(failed_allocation_when_moving_keeps_the_old_generation)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        dataset *d = make(ops);
        sync_gen(d, 1);
        dataset_reader *r = dataset_reader_open(d);
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(read_gen(r), 1);
        sync_gen(d, 2);
        ck_assert_uint_eq(dataset_reclaim(d), 1); /* 0 */
        /* fail the 1st, 2nd, ... allocation of the move until it is made */
        unsigned long n;
        for (n = 1;; n++) {
            alloc_fail_nth(n);
            keyspace_reader *kr = dataset_read_begin(r);
            unsigned long fired = alloc_fail_fired();
            alloc_fail_off();
            ck_assert_ptr_nonnull(kr);
            char err[160];
            long g = check_view(kr, err, sizeof err);
            dataset_read_end(r);
            ck_assert_msg(g >= 0, "%s: %s", ops->name, err);
            if (fired == 0) {
                ck_assert_int_eq(g, 2);
                break;
            }
            /* the move failed: a complete copy, the old one, still held */
            ck_assert_msg(g == 1, "%s: allocation %lu failed, read %ld",
                          ops->name, n, g);
            ck_assert_uint_eq(dataset_reader_generation(r), 1);
            ck_assert_uint_eq(dataset_reclaim(d), 0);
            ck_assert_uint_eq(dataset_retired(d), 1);
        }
        ck_assert_msg(n > 1, "%s: the move allocated nothing", ops->name);
        ck_assert_uint_eq(dataset_reader_generation(r), 2);
        ck_assert_uint_eq(dataset_reclaim(d), 1); /* 1, now let go */
        ck_assert_uint_eq(dataset_retired(d), 0);

        /* holding nothing (after quiesce), a failed move has nothing to
         * fall back on: NULL, outside any section, and a retry works */
        sync_gen(d, 3);
        dataset_reader_quiesce(r);
        ck_assert_uint_eq(dataset_reclaim(d), 1);
        alloc_fail_nth(1);
        errno = 0;
        ck_assert_ptr_null(dataset_read_begin(r));
        ck_assert_int_eq(errno, ENOMEM);
        alloc_fail_off();
        ck_assert_int_eq(read_gen(r), 3);
        dataset_reader_close(r);
        dataset_destroy(d);
    }
}
END_TEST

START_TEST(failed_allocations_elsewhere_change_nothing)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        /* dataset_create: every allocation it makes, failed in turn */
        dataset *d = NULL;
        unsigned long n;
        for (n = 1; d == NULL; n++) {
            alloc_fail_nth(n);
            errno = 0;
            d = dataset_create(ops, DBS);
            unsigned long fired = alloc_fail_fired();
            alloc_fail_off();
            if (d == NULL) {
                ck_assert_uint_eq(fired, 1);
                ck_assert_int_eq(errno, ENOMEM);
            }
        }
        ck_assert_uint_gt(n, 2);

        /* dataset_reader_open */
        alloc_fail_nth(1);
        errno = 0;
        ck_assert_ptr_null(dataset_reader_open(d));
        ck_assert_int_eq(errno, ENOMEM);
        alloc_fail_off();
        dataset_reader *r = dataset_reader_open(d);
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(read_gen(r), 0);

        /* dataset_fresh */
        keyspace *ks = NULL;
        for (n = 1; ks == NULL; n++) {
            alloc_fail_nth(n);
            errno = 0;
            ks = dataset_fresh(d);
            alloc_fail_off();
            if (ks == NULL)
                ck_assert_int_eq(errno, ENOMEM);
        }
        ck_assert_uint_gt(n, 2);
        fill(ks, 1);

        /* dataset_switch: nothing changes, ks is still ours */
        alloc_fail_nth(1);
        errno = 0;
        ck_assert_int_eq(dataset_switch(d, ks), -1);
        ck_assert_int_eq(errno, ENOMEM);
        alloc_fail_off();
        ck_assert(!dataset_loaded(d));
        ck_assert_uint_eq(dataset_generation(d), 0);
        ck_assert_uint_eq(dataset_retired(d), 0);
        ck_assert_ptr_ne(dataset_current(d), ks);
        ck_assert_int_eq(read_gen(r), 0);
        ck_assert_int_eq(dataset_switch(d, ks), 0);
        ck_assert(dataset_loaded(d));
        ck_assert_int_eq(read_gen(r), 1);
        ck_assert_uint_eq(dataset_reclaim(d), 1);
        dataset_reader_close(r);
        dataset_destroy(d);
    }
}
END_TEST

/* ---- reader threads while the writer switches ------------------------------------------ */

#define READERS 2

typedef struct race {
    dataset *d;
    long last_gen;        /* the writer's last generation */
    atomic_bool done;     /* the writer switched its last generation */
    atomic_long sections; /* sections checked, every reader */
    atomic_long moved;    /* sections that read a newer generation */
    pthread_mutex_t err_mu;
    char err[200];        /* first failure (under err_mu) */
} race;

static void fail_race(race *rc, const char *who, const char *msg)
{
    pthread_mutex_lock(&rc->err_mu);
    if (rc->err[0] == '\0')
        snprintf(rc->err, sizeof rc->err, "%s: %s", who, msg);
    pthread_mutex_unlock(&rc->err_mu);
}

static bool race_failed(race *rc)
{
    pthread_mutex_lock(&rc->err_mu);
    bool f = rc->err[0] != '\0';
    pthread_mutex_unlock(&rc->err_mu);
    return f;
}

static void *race_reader(void *p)
{
    race *rc = p;
    char err[160];
    dataset_reader *r = dataset_reader_open(rc->d);
    if (r == NULL) {
        fail_race(rc, "reader", "dataset_reader_open failed");
        return NULL;
    }
    long prev = 0, iter = 0;
    bool last = false;
    while (!last && !race_failed(rc)) {
        /* acquire: pairs with the writer's release after its last switch,
         * so the section after this load must read the last generation */
        last = atomic_load_explicit(&rc->done, memory_order_acquire);
        bool loaded = dataset_loaded(rc->d);
        keyspace_reader *kr = dataset_read_begin(r);
        if (kr == NULL) {
            fail_race(rc, "reader", "dataset_read_begin returned NULL");
            break;
        }
        long g = check_view(kr, err, sizeof err);
        /* the writer's tick: both keys written by one batch */
        long t1 = get(kr, 2, "tick"), t2 = get(kr, 2, "tock");
        dataset_read_end(r);
        if (g < 0) {
            fail_race(rc, "reader", err);
        } else if ((uint64_t)g != dataset_reader_generation(r)) {
            snprintf(err, sizeof err, "keys say generation %ld, the reader "
                     "%llu", g,
                     (unsigned long long)dataset_reader_generation(r));
            fail_race(rc, "reader", err);
        } else if (g < prev) {
            snprintf(err, sizeof err, "generation %ld after %ld", g, prev);
            fail_race(rc, "reader", err);
        } else if (loaded && g == 0) {
            fail_race(rc, "reader", "dataset_loaded() was true, then a "
                      "section read the empty generation 0");
        } else if (t1 != t2) {
            snprintf(err, sizeof err, "generation %ld: tick %ld, tock %ld "
                     "(half a batch)", g, t1, t2);
            fail_race(rc, "reader", err);
        } else if (last && g != rc->last_gen) {
            snprintf(err, sizeof err, "section after the last switch read "
                     "generation %ld, not %ld", g, rc->last_gen);
            fail_race(rc, "reader", err);
        }
        if (g > prev)
            atomic_fetch_add_explicit(&rc->moved, 1, memory_order_relaxed);
        prev = g > prev ? g : prev;
        /* relaxed: counters read after pthread_join */
        atomic_fetch_add_explicit(&rc->sections, 1, memory_order_relaxed);
        if (++iter % 8 == 0)
            dataset_reader_quiesce(r); /* as an event loop's timer would */
        /* Between sections a server does other work.  Without a pause,
         * two readers on two CPUs always have a section open, and over a
         * reader-preferring lock (rwlock-rp, striped, the keyspace's own
         * lock) the writer's commits wait behind them for a long time. */
        sched_yield();
    }
    dataset_reader_close(r);
    return NULL;
}

START_TEST(switch_while_readers_read)
{
    const store_ops *ops;
    long gens = test_scale(400, 12);
    FOR_EACH_VARIANT(ops) {
        race rc = {.d = make(ops), .last_gen = gens};
        pthread_mutex_init(&rc.err_mu, NULL);
        pthread_t t[READERS];
        for (int i = 0; i < READERS; i++)
            ck_assert_int_eq(pthread_create(&t[i], NULL, race_reader, &rc),
                             0);
        unsigned freed = 0;
        long tick = 0;
        for (long g = 1; g <= gens && !race_failed(&rc); g++) {
            sync_gen(rc.d, g);
            /* the stream goes on writing the current generation */
            for (int b = 0; b < 3; b++) {
                keyspace *cur = dataset_current(rc.d);
                ck_assert_int_eq(keyspace_batch_begin(cur), 0);
                tick++;
                put(cur, 2, "tick", tick);
                put(cur, 2, "tock", tick);
                ck_assert_int_eq(keyspace_commit(cur), 0);
            }
            freed += dataset_reclaim(rc.d);
            /* let the readers run a few sections on this generation (they
             * stop only on a failure, which ends this loop too) */
            long s0 = atomic_load_explicit(&rc.sections, memory_order_relaxed);
            while (atomic_load_explicit(&rc.sections, memory_order_relaxed) <
                       s0 + 2 * READERS && !race_failed(&rc))
                sched_yield();
        }
        /* release: a reader that sees done reads the last generation */
        atomic_store_explicit(&rc.done, true, memory_order_release);
        for (int i = 0; i < READERS; i++)
            pthread_join(t[i], NULL);
        ck_assert_msg(rc.err[0] == '\0', "%s: %s", ops->name, rc.err);
        freed += dataset_reclaim(rc.d);
        /* every reader closed: every generation but the current is gone */
        ck_assert_uint_eq(freed, (unsigned)gens);
        ck_assert_uint_eq(dataset_retired(rc.d), 0);
        ck_assert_uint_eq(dataset_generation(rc.d), (uint64_t)gens);
        /* each reader's last section read the last generation, after
         * starting on an earlier one */
        ck_assert_int_ge(atomic_load(&rc.sections), READERS);
        ck_assert_int_ge(atomic_load(&rc.moved), READERS);
        pthread_mutex_destroy(&rc.err_mu);
        dataset_destroy(rc.d);
    }
}
END_TEST

Suite *ch10_dataset_suite(void)
{
    Suite *s = suite_create("ch10_dataset");
    TCase *tc = test_tcase("dataset", 60);
    tcase_add_test(tc, create_loaded_generation_retired);
    tcase_add_test(tc, reclaim_only_after_every_reader_moved);
    tcase_add_test(tc, idle_reader_holds_until_quiesce);
    tcase_add_test(tc, close_with_generation_held);
    tcase_add_test(tc, failed_allocation_when_moving_keeps_the_old_generation);
    tcase_add_test(tc, failed_allocations_elsewhere_change_nothing);
    suite_add_tcase(s, tc);
    TCase *tt = test_tcase("threads", 120);
    tcase_add_test(tt, idle_thread_quiesces_and_lets_go);
    tcase_add_test(tt, switch_while_readers_read);
    suite_add_tcase(s, tt);
    return s;
}
