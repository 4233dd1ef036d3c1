/* ebr.c - epoch-based reclamation in C11 atomics (see ebr.h for the idea).
 *
 * Design.  Three kinds of shared state, each with one rule:
 *   - d->epoch: the global epoch.  Written only under d->lock (by an
 *     advance), read by readers on entry.
 *   - r->announced: a reader's slot.  Written only by its reader (the epoch
 *     it entered in, or 0 when outside a section), read by the writer's scan.
 *     Each slot sits alone on a 128-byte line: a reader entering and leaving
 *     writes only its own line, which is why epoch readers scale and
 *     reference counts do not.
 *   - the reader list and the retired list: plain data under d->lock.
 * Retired objects are kept in one FIFO list in retirement order; their
 * epoch tags never decrease along it, so freeing stops at the first object
 * that is not yet safe.
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
 */
#include "ebr.h"
#include "alloc.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

/* Two 64-byte lines: the adjacent-line prefetcher pulls pairs of lines, so
 * 64-byte padding still lets two readers' slots share traffic. */
#define EBR_LINE 128

struct ebr_reader {
    /* 0 outside a critical section, else the epoch announced on entry. */
    _Alignas(EBR_LINE) _Atomic uint64_t announced;
    ebr *domain;
    ebr_reader *next; /* in d->readers, under d->lock */
};

typedef struct ebr_garbage {
    void *p;
    void (*free_fn)(void *p);
    size_t bytes;
    uint64_t epoch; /* the global epoch when it was retired */
    struct ebr_garbage *next;
} ebr_garbage;

struct ebr {
    _Alignas(EBR_LINE) _Atomic uint64_t epoch;
    pthread_mutex_t lock;
    ebr_reader *readers;
    ebr_garbage *head, *tail; /* retired, oldest first */
    size_t pending, pending_bytes;
};

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
    d->pending = d->pending_bytes = 0;
    return d;
}

/* Free the retired objects at the head of the list whose tag is at least
 * two epochs old.  Caller holds d->lock. */
static size_t free_safe(ebr *d, uint64_t epoch)
{
    size_t n = 0;
    while (d->head != NULL && d->head->epoch + 2 <= epoch) {
        ebr_garbage *g = d->head;
        d->head = g->next;
        if (d->head == NULL)
            d->tail = NULL;
        d->pending--;
        d->pending_bytes -= g->bytes;
        g->free_fn(g->p);
        free(g);
        n++;
    }
    return n;
}

void ebr_destroy(ebr *d)
{
    if (d == NULL)
        return;
    /* No reader is registered, so everything is safe: free it all. */
    free_safe(d, UINT64_MAX);
    pthread_mutex_destroy(&d->lock);
    free(d);
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
    pthread_mutex_lock(&d->lock);
    r->next = d->readers;
    d->readers = r;
    pthread_mutex_unlock(&d->lock);
    return r;
}

void ebr_unregister(ebr_reader *r)
{
    if (r == NULL)
        return;
    ebr *d = r->domain;
    pthread_mutex_lock(&d->lock);
    for (ebr_reader **pp = &d->readers; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    }
    pthread_mutex_unlock(&d->lock);
    free(r);
}

/* [ch03-ebr-enter] */
void ebr_enter(ebr_reader *r)
{
    /* learn: ch03 ebr_enter "The reader's side in C11 atomics" */
    ebr *d = r->domain;
    /* relaxed: only a first guess; the seq_cst re-read below decides. */
    uint64_t e = atomic_load_explicit(&d->epoch, memory_order_relaxed);
    for (;;) {
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
    return true;
    /* learn: end */
}
/* [ch03-ebr-advance] */

int ebr_retire(ebr *d, void *p, void (*free_fn)(void *p), size_t bytes)
{
    /* learn: ch03 ebr_retire "The writer's side" */
    ebr_garbage *g = xmalloc(sizeof *g);
    if (g == NULL) {
        errno = ENOMEM;
        return -1;
    }
    g->p = p;
    g->free_fn = free_fn;
    g->bytes = bytes;
    g->next = NULL;
    pthread_mutex_lock(&d->lock);
    /* Tag with the epoch read after p was unlinked (the caller unlinked it
     * before calling us): readers of this epoch or the one before may
     * still hold p, readers of epoch tag+1 and later cannot. */
    g->epoch = atomic_load_explicit(&d->epoch, memory_order_relaxed);
    if (d->tail != NULL)
        d->tail->next = g;
    else
        d->head = g;
    d->tail = g;
    d->pending++;
    d->pending_bytes += bytes;
    pthread_mutex_unlock(&d->lock);
    return 0;
    /* learn: end */
}

size_t ebr_reclaim(ebr *d)
{
    pthread_mutex_lock(&d->lock);
    size_t n = 0;
    if (d->head != NULL) { /* nothing retired: no reason to scan readers */
        try_advance(d);
        n = free_safe(d, atomic_load_explicit(&d->epoch, memory_order_relaxed));
    }
    pthread_mutex_unlock(&d->lock);
    return n;
}

void ebr_synchronize(ebr *d)
{
    /* Everything retired so far carries a tag <= start, so it is free once
     * the epoch reaches start + 2. */
    pthread_mutex_lock(&d->lock);
    uint64_t start = atomic_load_explicit(&d->epoch, memory_order_relaxed);
    for (unsigned waits = 0;; waits++) {
        uint64_t e = atomic_load_explicit(&d->epoch, memory_order_relaxed);
        if (e >= start + 2 || try_advance(d)) {
            e = atomic_load_explicit(&d->epoch, memory_order_relaxed);
            free_safe(d, e);
            if (e >= start + 2)
                break;
            continue;
        }
        /* A reader is still in an older section: let it run, yielding
         * first, then sleeping 50 us at a time so a long wait burns no CPU. */
        pthread_mutex_unlock(&d->lock);
        if (waits < 64)
            sched_yield();
        else
            nanosleep(&(struct timespec){ .tv_nsec = 50000 }, NULL);
        pthread_mutex_lock(&d->lock);
    }
    pthread_mutex_unlock(&d->lock);
}

void ebr_stats(ebr *d, size_t *pending, size_t *pending_bytes)
{
    pthread_mutex_lock(&d->lock);
    if (pending != NULL)
        *pending = d->pending;
    if (pending_bytes != NULL)
        *pending_bytes = d->pending_bytes;
    pthread_mutex_unlock(&d->lock);
}

uint64_t ebr_epoch(ebr *d)
{
    /* acquire: a caller comparing epochs also sees what led to them. */
    return atomic_load_explicit(&d->epoch, memory_order_acquire);
}
