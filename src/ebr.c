/* ebr.c - epoch-based reclamation in C11 atomics (see ebr.h for the idea).
 * Chapter 3.
 *
 * Design.  Three kinds of shared state, each with one rule:
 *   - d->epoch: the global epoch.  Written only under d->lock (by an
 *     advance), read by readers on entry.  It sits alone on its 128-byte
 *     line: writers take d->lock on every retire, and if the mutex shared
 *     the epoch's line, every write would cost every reader a cache miss.
 *   - r->announced: a reader's slot.  Written only by its reader (the epoch
 *     it entered in, or 0 when outside a section), read by the writer's scan.
 *     Each slot sits alone on a 128-byte line: a reader entering and leaving
 *     writes only its own line, which is why epoch readers scale and
 *     reference counts do not.
 *   - the reader list and the retired list: plain data under d->lock.
 * Retired objects are kept in one FIFO list in retirement order, linked
 * through the ebr_node inside each object; their epoch tags never decrease
 * along it, so freeing stops at the first object that is not yet safe.
 * Safe objects are cut off the list under the lock and freed after it is
 * dropped, so a free function may call back into the domain.
 *
 * Why the retry loop in ebr_enter().  A reader reads the epoch and then
 * announces it; between the two, the writer may advance twice and free an
 * object the reader is about to find.  Reading the epoch again after the
 * announcement, with seq_cst on both the announcement and that second read,
 * closes the gap: either the scan saw the announcement (and did not
 * advance past it), or the second read sees the newer epoch and the reader
 * announces again.  Whatever epoch a reader finally announces, it read that
 * value from the store that set it, so it also sees every pointer the
 * writer unlinked before that advance.
 *
 * Threads that exit.  Every thread that registers a slot gets a
 * thread-exit destructor (one process-wide pthread key).  It clears the
 * announcement of each slot the thread still holds, so a thread that dies
 * inside a section no longer holds the epoch back.  The per-thread lists
 * are guarded by one process-wide mutex, taken only by register,
 * unregister and thread exit, never by a section.
 */
#include "ebr_private.h"
#include "alloc.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef EBR_TEST_HOOKS
void (*ebr_test_enter_hook)(ebr_reader *r, uint64_t seen);
#endif

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- threads ------------------------------------------------------------ */

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_key;
static int key_err;
static pthread_mutex_t owners_lock = PTHREAD_MUTEX_INITIALIZER;
/* The calling thread's list of slots.  Static TLS stays valid while the
 * thread's key destructors run, so no allocation (and no leak) is needed. */
static _Thread_local ebr_thread tls_self;

/* Runs in the exiting thread, once per thread that registered a slot. */
static void thread_exit(void *p)
{
    ebr_thread *t = p;
    pthread_mutex_lock(&owners_lock);
    for (ebr_reader *r = t->slots; r != NULL; r = r->tnext) {
        /* release, as in ebr_exit: whatever this thread read inside the
         * section happens before the scan that sees 0.  The thread will
         * never use a pointer again, so closing its section is safe. */
        uint64_t a = atomic_exchange_explicit(&r->announced, 0,
                                              memory_order_release);
        if (a != 0) {
            /* relaxed: a statistic, read under no ordering promise. */
            atomic_fetch_add_explicit(&r->domain->forced_exits, 1,
                                      memory_order_relaxed);
            fprintf(stderr, "ebr: a thread exited inside a read section "
                            "(epoch %" PRIu64 "); the section was closed\n",
                    a);
        }
        r->owner = NULL;
    }
    t->slots = NULL;
    pthread_mutex_unlock(&owners_lock);
}

static void make_key(void)
{
    key_err = pthread_key_create(&thread_key, thread_exit);
}

/* Tie r to the calling thread.  Returns 0 or -1 (ENOMEM). */
static int own_slot(ebr_reader *r)
{
    if (pthread_once(&key_once, make_key) != 0 || key_err != 0)
        return -1;
    if (pthread_getspecific(thread_key) == NULL &&
        pthread_setspecific(thread_key, &tls_self) != 0)
        return -1;
    pthread_mutex_lock(&owners_lock);
    r->owner = &tls_self;
    r->tnext = tls_self.slots;
    tls_self.slots = r;
    pthread_mutex_unlock(&owners_lock);
    return 0;
}

static void disown_slot(ebr_reader *r)
{
    pthread_mutex_lock(&owners_lock);
    if (r->owner != NULL) {
        for (ebr_reader **pp = &r->owner->slots; *pp != NULL;
             pp = &(*pp)->tnext) {
            if (*pp == r) {
                *pp = r->tnext;
                break;
            }
        }
        r->owner = NULL;
    }
    pthread_mutex_unlock(&owners_lock);
}

/* ---- domains and slots -------------------------------------------------- */

ebr *ebr_create(void)
{
    ebr *d = xaligned_alloc(EBR_LINE, sizeof *d);
    if (d == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    atomic_init(&d->epoch, 1); /* 0 is reserved for "not in a section" */
    pthread_mutex_init(&d->lock, NULL);
    d->readers = NULL;
    d->head = d->tail = NULL;
    atomic_init(&d->pending, 0);
    atomic_init(&d->pending_bytes, 0);
    d->peak_bytes = 0;
    d->advanced_ns = now_ns();
    d->alarm_bytes = d->alarm_next = EBR_ALARM_BYTES;
    d->alarm_fn = NULL;
    d->alarm_arg = NULL;
    atomic_init(&d->forced_exits, 0);
    return d;
}

/* Cut the retired objects whose tag is at least two epochs old off the
 * head of the list and return them as a list.  Caller holds d->lock. */
static ebr_node *detach_safe(ebr *d, uint64_t epoch)
{
    ebr_node *first = d->head, *last = NULL;
    size_t n = 0, bytes = 0;
    for (ebr_node *g = d->head; g != NULL && g->epoch + 2 <= epoch;
         g = g->next) {
        last = g;
        n++;
        bytes += g->bytes;
    }
    if (last == NULL)
        return NULL;
    d->head = last->next;
    if (d->head == NULL)
        d->tail = NULL;
    last->next = NULL;
    /* relaxed: written only under d->lock; lock-free readers of the
     * figures (ebr_stats) need the values, not any memory with them. */
    size_t left = atomic_load_explicit(&d->pending_bytes,
                                       memory_order_relaxed) - bytes;
    atomic_store_explicit(&d->pending, atomic_load_explicit(
                              &d->pending, memory_order_relaxed) - n,
                          memory_order_relaxed);
    atomic_store_explicit(&d->pending_bytes, left, memory_order_relaxed);
    if (left < d->alarm_bytes)
        d->alarm_next = d->alarm_bytes; /* back under: re-arm the alarm */
    return first;
}

/* Free a detached list.  Called with no lock held. */
static size_t free_list(ebr_node *g)
{
    size_t n = 0;
    while (g != NULL) {
        ebr_node *next = g->next; /* read first: free_fn frees g */
        g->free_fn(g);
        g = next;
        n++;
    }
    return n;
}

int ebr_destroy(ebr *d)
{
    if (d == NULL)
        return 0;
    pthread_mutex_lock(&d->lock);
    bool busy = d->readers != NULL;
    ebr_node *all = busy ? NULL : detach_safe(d, UINT64_MAX);
    pthread_mutex_unlock(&d->lock);
    if (busy) {
        errno = EBUSY; /* a slot still points at d: freeing it would leave
                        * that slot dangling */
        return -1;
    }
    /* No reader is registered, so everything is safe: free it all. */
    free_list(all);
    pthread_mutex_destroy(&d->lock);
    free(d);
    return 0;
}

ebr_reader *ebr_register(ebr *d)
{
    ebr_reader *r = xaligned_alloc(EBR_LINE, sizeof *r);
    if (r == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    atomic_init(&r->announced, 0);
    r->domain = d;
    r->owner = NULL;
    r->tnext = NULL;
    if (own_slot(r) != 0) {
        free(r);
        errno = ENOMEM;
        return NULL;
    }
    pthread_mutex_lock(&d->lock);
    r->next = d->readers;
    d->readers = r;
    pthread_mutex_unlock(&d->lock);
    return r;
}

int ebr_unregister(ebr_reader *r)
{
    if (r == NULL)
        return 0;
    /* acquire: if the slot's thread closed the section by exiting (the
     * destructor), see that close before deciding. */
    if (atomic_load_explicit(&r->announced, memory_order_acquire) != 0) {
        errno = EBUSY; /* inside a section: the scan must keep seeing it */
        return -1;
    }
    ebr *d = r->domain;
    pthread_mutex_lock(&d->lock);
    for (ebr_reader **pp = &d->readers; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    }
    pthread_mutex_unlock(&d->lock);
    disown_slot(r);
    free(r);
    return 0;
}

/* ---- sections ----------------------------------------------------------- */

/* [ch03-ebr-enter] */
void ebr_enter(ebr_reader *r)
{
    /* learn: ch03 ebr_enter "The reader's side in C11 atomics" */
    ebr *d = r->domain;
    /* relaxed: only a first guess; the seq_cst re-read below decides. */
    uint64_t e = atomic_load_explicit(&d->epoch, memory_order_relaxed);
    for (;;) {
        EBR_ENTER_HOOK(r, e); /* tests only: the epoch may move here */
        /* seq_cst: the announcement and the re-read must not be reordered
         * (a store followed by a load is the one reordering x86 does), and
         * both must be in one total order with the writer's seq_cst scan:
         * either the scan sees this announcement, or the re-read sees any
         * advance the scan allowed. */
        atomic_exchange_explicit(&r->announced, e, memory_order_seq_cst);
        uint64_t now = atomic_load_explicit(&d->epoch, memory_order_seq_cst);
        if (now == e)
            return; /* announced the current epoch: we are protected */
        e = now;    /* the epoch moved under us: announce the newer one */
    }
    /* learn: end */
}

void ebr_exit(ebr_reader *r)
{
    /* learn: ch03 ebr_exit "The reader's side in C11 atomics" */
    /* release: every read this reader made inside the section happens
     * before the writer's scan that sees 0, hence before any free. */
    atomic_store_explicit(&r->announced, 0, memory_order_release);
    /* learn: end */
}
/* [ch03-ebr-enter] */

/* [ch03-ebr-advance] */
/* Advance the epoch by one if every reader is idle or in the current
 * epoch.  Caller holds d->lock (so the epoch cannot move meanwhile). */
static bool try_advance(ebr *d)
{
    /* learn: ch03 try_advance "The writer's side" */
    uint64_t e = atomic_load_explicit(&d->epoch, memory_order_relaxed);
    for (ebr_reader *r = d->readers; r != NULL; r = r->next) {
        /* seq_cst: pairs with the reader's seq_cst announce/re-read (see
         * ebr_enter); reading a 0 stored by ebr_exit also acquires
         * everything that reader did in its section. */
        uint64_t a = atomic_load_explicit(&r->announced, memory_order_seq_cst);
        if (a != 0 && a != e)
            return false; /* still inside a section begun in epoch e-1 */
    }
    /* seq_cst: a reader whose re-read sees e+1 must also see every pointer
     * unlinked before this advance (release would give that); seq_cst also
     * puts the store in the total order that ebr_enter relies on. */
    atomic_store_explicit(&d->epoch, e + 1, memory_order_seq_cst);
    d->advanced_ns = now_ns();
    return true;
    /* learn: end */
}
/* [ch03-ebr-advance] */

/* ---- retiring and reclaiming -------------------------------------------- */

/* Fill rep from d.  Caller holds d->lock. */
static void fill_report(ebr *d, ebr_report *rep)
{
    *rep = (ebr_report){
        .pending = atomic_load_explicit(&d->pending, memory_order_relaxed),
        .pending_bytes = atomic_load_explicit(&d->pending_bytes,
                                              memory_order_relaxed),
        .peak_bytes = d->peak_bytes,
        .epoch = atomic_load_explicit(&d->epoch, memory_order_relaxed),
        .stalled_s = (double)(now_ns() - d->advanced_ns) / 1e9,
        .forced_exits = atomic_load_explicit(&d->forced_exits,
                                             memory_order_relaxed),
    };
}

static void default_alarm(void *arg, const ebr_report *rep)
{
    (void)arg;
    fprintf(stderr, "ebr: %.1f MB in %zu retired objects wait for readers "
                    "(peak %.1f MB); epoch %" PRIu64 ", last advanced %.1f s "
                    "ago\n",
            (double)rep->pending_bytes / 1e6, rep->pending,
            (double)rep->peak_bytes / 1e6, rep->epoch, rep->stalled_s);
}

/* [ch03-ebr-retire] */
void ebr_retire(ebr *d, ebr_node *n, void (*free_fn)(ebr_node *n),
                size_t bytes)
{
    /* learn: ch03 ebr_retire "The writer's side" */
    n->free_fn = free_fn;
    n->bytes = bytes;
    n->next = NULL;
    ebr_report rep;
    ebr_alarm_fn *fn = NULL;
    void *arg = NULL;
    bool alarm = false;
    pthread_mutex_lock(&d->lock);
    /* Tag with the epoch read after the object was unlinked (the caller
     * unlinked it before calling us): readers of this epoch or the one
     * before may still hold it, readers of epoch tag+1 and later cannot. */
    n->epoch = atomic_load_explicit(&d->epoch, memory_order_relaxed);
    if (d->tail != NULL)
        d->tail->next = n;
    else
        d->head = n;
    d->tail = n;
    /* relaxed: see detach_safe(). */
    atomic_store_explicit(&d->pending, atomic_load_explicit(
                              &d->pending, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    size_t now = atomic_load_explicit(&d->pending_bytes,
                                      memory_order_relaxed) + bytes;
    atomic_store_explicit(&d->pending_bytes, now, memory_order_relaxed);
    if (now > d->peak_bytes)
        d->peak_bytes = now;
    if (d->alarm_bytes != 0 && now >= d->alarm_next) {
        /* Raise it once per doubling, not once per write. */
        while (d->alarm_next <= now && d->alarm_next <= SIZE_MAX / 2)
            d->alarm_next *= 2;
        fill_report(d, &rep);
        fn = d->alarm_fn != NULL ? d->alarm_fn : default_alarm;
        arg = d->alarm_arg;
        alarm = true;
    }
    pthread_mutex_unlock(&d->lock);
    if (alarm)
        fn(arg, &rep); /* no lock held: the callback may log, or read stats */
    /* learn: end */
}
/* [ch03-ebr-retire] */

size_t ebr_reclaim(ebr *d)
{
    ebr_node *safe = NULL;
    pthread_mutex_lock(&d->lock);
    if (d->head != NULL) { /* nothing retired: no reason to scan readers */
        try_advance(d);
        safe = detach_safe(d, atomic_load_explicit(&d->epoch,
                                                   memory_order_relaxed));
    }
    pthread_mutex_unlock(&d->lock);
    return free_list(safe);
}

void ebr_synchronize(ebr *d)
{
    /* Everything retired so far carries a tag <= start, so it is free once
     * the epoch reaches start + 2. */
    pthread_mutex_lock(&d->lock);
    uint64_t start = atomic_load_explicit(&d->epoch, memory_order_relaxed);
    pthread_mutex_unlock(&d->lock);
    for (unsigned waits = 0;;) {
        pthread_mutex_lock(&d->lock);
        bool moved = atomic_load_explicit(&d->epoch, memory_order_relaxed) >=
                         start + 2 ||
                     try_advance(d);
        uint64_t e = atomic_load_explicit(&d->epoch, memory_order_relaxed);
        ebr_node *safe = moved ? detach_safe(d, e) : NULL;
        pthread_mutex_unlock(&d->lock);
        free_list(safe);
        if (e >= start + 2)
            return;
        if (moved)
            continue;
        /* A reader is still in an older section: let it run, yielding
         * first, then sleeping 50 us at a time so a long wait burns no CPU. */
        if (waits++ < 64)
            sched_yield();
        else
            nanosleep(&(struct timespec){ .tv_nsec = 50000 }, NULL);
    }
}

void ebr_stats(ebr *d, size_t *pending, size_t *pending_bytes)
{
    /* relaxed: figures only; see detach_safe().  No lock, so a writer that
     * asks after every write touches none of the domain's shared lines. */
    if (pending != NULL)
        *pending = atomic_load_explicit(&d->pending, memory_order_relaxed);
    if (pending_bytes != NULL)
        *pending_bytes = atomic_load_explicit(&d->pending_bytes,
                                              memory_order_relaxed);
}

void ebr_report_get(ebr *d, ebr_report *out)
{
    pthread_mutex_lock(&d->lock);
    fill_report(d, out);
    pthread_mutex_unlock(&d->lock);
}

void ebr_set_alarm(ebr *d, size_t bytes, ebr_alarm_fn *fn, void *arg)
{
    pthread_mutex_lock(&d->lock);
    d->alarm_bytes = d->alarm_next = bytes;
    d->alarm_fn = fn;
    d->alarm_arg = arg;
    pthread_mutex_unlock(&d->lock);
}

uint64_t ebr_epoch(ebr *d)
{
    /* acquire: a caller comparing epochs also sees what led to them. */
    return atomic_load_explicit(&d->epoch, memory_order_acquire);
}
