/* store_cow.c - copy-on-write snapshots behind one atomic pointer.
 * Chapter 3; extended in chapter 5.
 *
 * Design.  s->cur points to an immutable snapshot: a kvmap whose table,
 * keys and values nobody changes after publication.  Readers:
 *   read_begin = ebr_enter + one acquire load of s->cur, kept in the reader
 *   handle for the whole section, so every get() of one section reads the
 *   same snapshot, however many writes are published meanwhile.
 * Writers (serialised by s->wlock):
 *   copy the table (map_clone: O(n), keys and values shared, not copied),
 *   apply the change to the private copy, publish it with a release store,
 *   then retire what the new snapshot no longer references: always the old
 *   table, plus the replaced value (set) or the removed key and value (del).
 *   Keys and values that survive into the new snapshot are shared by both,
 *   so they must not be retired.  The old snapshot carries the key and value
 *   only it still references, so one ebr_retire() per write retires all of
 *   it; the snapshot's embedded ebr_node means retiring allocates nothing
 *   and cannot fail, so no write ever waits for readers.
 *
 * Reclamation policy.  The normal store retires to an ebr domain and frees
 * after a grace period.  store_cow_create_unsafe_free() makes a store that
 * frees at once, the way a Go programmer might expect to; chapter 3's first
 * demo shows AddressSanitizer catching the reader that is still inside.
 *
 * Cost model.  A read is an ebr_enter (one exchange on the reader's own
 * cache line), an acquire load (a plain load on x86 and ARMv8.3) and the
 * lookup.  A write is O(n): the whole table is copied.  Chapter 4 measures
 * what that costs, chapter 5 makes the copy O(log n).
 */
#include "store_cow.h"
#include "alloc.h"
#include "ebr.h"
#include "kvmap.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A reader handle is written at every begin and end: each one gets its own
 * 128-byte line pair, like the epoch slots (ebr_private.h). */
#define READER_LINE 128

/* One immutable version of the whole store. */
typedef struct snapshot {
    kvmap kv;
    /* Writer-only, set when the snapshot is retired: what it alone still
     * references (the replaced value, the removed key), freed with it. */
    ebr_node node;
    void *dead_key;
    size_t dead_klen;
    value *dead_val;
    /* The same for a batch (cow_apply): the left[] array of its kvmap_batch,
     * handed over whole, holding the removed keys and the replaced or
     * removed values; dead_bytes is what they add up to. */
    kvmap_left *dead_left;
    size_t dead_n;
    size_t dead_bytes;
} snapshot;

typedef struct cow {
    store base;
    _Atomic(snapshot *) cur; /* the published snapshot */
    pthread_mutex_t wlock;   /* serialises writers */
    ebr *dom;                /* where old snapshots wait for readers */
    bool unsafe_free;        /* free at once (the chapter's broken policy) */
    size_t peak;             /* most bytes held at once, garbage included */
    size_t publishes;        /* snapshots published; guarded by wlock */
} cow;

typedef struct cow_reader {
    _Alignas(READER_LINE) store_reader base;
    ebr_reader *er;
    snapshot *snap; /* the section's snapshot; NULL outside a section */
} cow_reader;

static size_t snapshot_bytes(const snapshot *sn)
{
    return sizeof *sn + kvmap_bytes(&sn->kv);
}

/* Free a snapshot's table, and what it alone referenced: its other keys
 * and values are shared with the snapshot that replaced it. */
static void snapshot_free_table(snapshot *sn)
{
    map_release(&sn->kv.m);
    free(sn->dead_key);
    if (sn->dead_val != NULL)
        value_free(sn->dead_val);
    for (size_t i = 0; i < sn->dead_n; i++) {
        free(sn->dead_left[i].key);
        value_free(sn->dead_left[i].val);
    }
    free(sn->dead_left);
    free(sn);
}

/* The ebr free function: the node is inside a snapshot. */
static void snapshot_reclaim(ebr_node *n)
{
    snapshot_free_table((snapshot *)(void *)((char *)n -
                                             offsetof(snapshot, node)));
}

/* What freeing a retired snapshot gives back, for the statistics. */
static size_t snapshot_garbage_bytes(const snapshot *sn)
{
    size_t b = sizeof *sn + map_table_bytes(&sn->kv.m);
    if (sn->dead_key != NULL)
        b += sn->dead_klen ? sn->dead_klen : 1;
    if (sn->dead_val != NULL)
        b += value_charge(sn->dead_val);
    return b + sn->dead_bytes;
}

/* A private copy of old's table, sharing its keys and values. */
static snapshot *snapshot_copy(const snapshot *old)
{
    snapshot *sn = xcalloc(1, sizeof *sn);
    if (sn == NULL)
        return NULL;
    if (map_clone(&sn->kv.m, &old->kv.m) != 0) {
        free(sn);
        return NULL;
    }
    sn->kv.data_bytes = old->kv.data_bytes;
    return sn;
}

static store *cow_create_policy(bool unsafe_free)
{
    cow *s = xcalloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    snapshot *first = xcalloc(1, sizeof *first);
    s->dom = ebr_create();
    if (first == NULL || s->dom == NULL || kvmap_init(&first->kv, 0) != 0) {
        free(first);
        ebr_destroy(s->dom);
        free(s);
        errno = ENOMEM;
        return NULL;
    }
    pthread_mutex_init(&s->wlock, NULL);
    atomic_init(&s->cur, first);
    s->unsafe_free = unsafe_free;
    s->peak = snapshot_bytes(first);
    s->base.ops = &store_cow_ops;
    return &s->base;
}

static store *cow_create(void)
{
    return cow_create_policy(false);
}

store *store_cow_create_unsafe_free(void)
{
    return cow_create_policy(true);
}

static void cow_destroy(store *st)
{
    cow *s = (cow *)st;
    /* Everything retired is owned by the domain, which frees it, unless a
     * reader is still open: then its slot would point into freed memory. */
    if (ebr_destroy(s->dom) != 0) {
        fprintf(stderr, "store_destroy(cow): a reader is still open\n");
        abort();
    }
    /* No reader is open: the current snapshot owns its keys and values. */
    snapshot *cur = atomic_load_explicit(&s->cur, memory_order_relaxed);
    kvmap_free_all(&cur->kv);
    free(cur);
    pthread_mutex_destroy(&s->wlock);
    free(s);
}

static store_reader *cow_reader_open(store *st)
{
    cow_reader *r = xaligned_alloc(READER_LINE, sizeof *r);
    if (r == NULL)
        return NULL;
    memset(r, 0, sizeof *r);
    r->er = ebr_register(((cow *)st)->dom);
    if (r->er == NULL) {
        free(r);
        return NULL;
    }
    r->base.owner = st;
    return &r->base;
}

static void cow_reader_close(store_reader *rd)
{
    cow_reader *r = (cow_reader *)rd;
    if (ebr_unregister(r->er) != 0) { /* EBUSY: inside a read section */
        fprintf(stderr, "store_reader_close(cow): the reader is inside a "
                        "read section\n");
        abort();
    }
    free(r);
}

/* [ch03-read] */
static void cow_read_begin(store_reader *rd)
{
    /* learn: ch03 cow_read_begin "Why lock-free reads are worth the trouble" */
    cow_reader *r = (cow_reader *)rd;
    cow *s = (cow *)rd->owner;
    ebr_enter(r->er); /* from here on, nothing we can load is freed */
    /* acquire: pairs with the writer's release store in publish(), so the
     * table, keys and values it built are all visible before we read them.
     * The pointer is kept for the whole section: one section, one snapshot. */
    r->snap = atomic_load_explicit(&s->cur, memory_order_acquire);
    /* learn: end */
}

static void cow_read_end(store_reader *rd)
{
    /* learn: ch03 cow_read_end "Why lock-free reads are worth the trouble" */
    cow_reader *r = (cow_reader *)rd;
    r->snap = NULL; /* pointers from this section must not be used again */
    ebr_exit(r->er);
    /* learn: end */
}

static const value *cow_get(store_reader *rd, const void *key, size_t klen)
{
    return kvmap_get(&((cow_reader *)rd)->snap->kv, key, klen);
}
/* [ch03-read] */

static size_t cow_count(store_reader *rd)
{
    return ((cow_reader *)rd)->snap->kv.m.count;
}

static int cow_iterate(store_reader *rd, store_iter_fn *fn, void *arg)
{
    return kvmap_iterate(&((cow_reader *)rd)->snap->kv, fn, arg);
}

/* Free old once no reader can hold it (or at once, for the unsafe policy).
 * Caller holds s->wlock.  Cannot fail and never waits: the queue link is
 * inside the snapshot. */
static void retire(cow *s, snapshot *old)
{
    if (s->unsafe_free) {
        snapshot_free_table(old); /* WRONG on purpose: a reader may still
                                   * be inside old */
        return;
    }
    ebr_retire(s->dom, &old->node, snapshot_reclaim,
               snapshot_garbage_bytes(old));
}

/* Record the peak: the live snapshot plus the garbage waiting for readers,
 * since both are memory the process holds.  Caller holds s->wlock. */
static void note_peak(cow *s)
{
    size_t garbage = 0;
    ebr_stats(s->dom, NULL, &garbage);
    size_t now = snapshot_bytes(atomic_load_explicit(&s->cur,
                                                     memory_order_relaxed));
    if (now + garbage > s->peak)
        s->peak = now + garbage;
}

/* [ch03-publish] */
/* Make next the current snapshot and retire old's table, together with
 * the key (dead_key, klen bytes) and value that next no longer references.
 * Caller holds s->wlock and built next privately. */
static void publish(cow *s, snapshot *old, snapshot *next, void *dead_key,
                    size_t klen, value *dead_val)
{
    /* learn: ch03 publish "Why lock-free reads are worth the trouble" */
    /* release: everything written into next (the copied table, the new key
     * and value) happens before any reader's acquire load that sees it. */
    atomic_store_explicit(&s->cur, next, memory_order_release);
    s->publishes++;
    /* old is now unreachable for readers that enter from here on; readers
     * already inside keep it until they leave.  The dead_* fields are
     * writer-only: readers of old read its table, never these. */
    old->dead_key = dead_key;
    old->dead_klen = klen;
    old->dead_val = dead_val;
    retire(s, old);
    /* learn: end */
}

static int cow_set(store *st, const void *key, size_t klen, value *v)
{
    /* learn: ch03 cow_set "Why lock-free reads are worth the trouble" */
    cow *s = (cow *)st;
    pthread_mutex_lock(&s->wlock);
    /* relaxed: only writers store s->cur, and we hold their mutex. */
    snapshot *old = atomic_load_explicit(&s->cur, memory_order_relaxed);
    snapshot *next = snapshot_copy(old); /* the O(n) copy */
    value *replaced = NULL;
    if (next == NULL || kvmap_put(&next->kv, key, klen, v, &replaced) != 0) {
        if (next != NULL)
            snapshot_free_table(next); /* never published: free at once */
        pthread_mutex_unlock(&s->wlock);
        value_free(v);
        errno = ENOMEM;
        return -1;
    }
    /* the key itself lives on, shared with next; the value it replaced
     * leaves with old */
    publish(s, old, next, NULL, 0, replaced);
    note_peak(s);
    pthread_mutex_unlock(&s->wlock);
    ebr_reclaim(s->dom); /* free what earlier writes retired, if safe */
    return 0;
    /* learn: end */
}
/* [ch03-publish] */

static int cow_del(store *st, const void *key, size_t klen)
{
    cow *s = (cow *)st;
    pthread_mutex_lock(&s->wlock);
    snapshot *old = atomic_load_explicit(&s->cur, memory_order_relaxed);
    if (kvmap_get(&old->kv, key, klen) == NULL) {
        pthread_mutex_unlock(&s->wlock); /* absent: nothing to copy */
        return 0;
    }
    snapshot *next = snapshot_copy(old);
    if (next == NULL) {
        pthread_mutex_unlock(&s->wlock);
        errno = ENOMEM;
        return -1;
    }
    void *old_key = NULL;
    value *old_val = NULL;
    kvmap_remove(&next->kv, key, klen, &old_key, &old_val);
    /* Neither is in next: both go with old, once its readers have left. */
    publish(s, old, next, old_key, klen, old_val);
    note_peak(s);
    pthread_mutex_unlock(&s->wlock);
    ebr_reclaim(s->dom);
    return 1;
}

/* [ch05-cow-apply] */
/* The first change that needs a new snapshot: a SET, or a DEL of a key
 * the old snapshot holds (with no SET before it, no other key can be
 * there).  n when none does: the batch changes nothing. */
static size_t first_change(const snapshot *old, const store_change *ch,
                           size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ch[i].kind == STORE_CHANGE_SET ||
            kvmap_get(&old->kv, ch[i].key, ch[i].klen) != NULL)
            return i;
    return n;
}

/* One copy of the table for the whole batch, published once.  Every
 * allocation is made before the copy changes (kvmap_batch.c), so on
 * failure the private copy is dropped and the old snapshot stays. */
static int cow_apply(store *st, store_change *ch, size_t n)
{
    cow *s = (cow *)st;
    kvmap_batch b;
    if (kvmap_batch_prepare(&b, ch, n) != 0) /* key copies, outside the lock */
        return -1;
    pthread_mutex_lock(&s->wlock);
    snapshot *old = atomic_load_explicit(&s->cur, memory_order_relaxed);
    size_t first = first_change(old, ch, n);
    if (first == n) { /* only deletes of absent keys: publish nothing */
        pthread_mutex_unlock(&s->wlock);
        for (size_t i = 0; i < n; i++)
            ch[i].result = 0;
        kvmap_batch_end(&b);
        return 0;
    }
    snapshot *next = snapshot_copy(old); /* the one O(n) copy */
    if (next == NULL || kvmap_reserve(&next->kv, b.sets) != 0) {
        size_t failed = next == NULL ? first : kvmap_batch_first_set(&b);
        if (next != NULL)
            snapshot_free_table(next); /* never published: free at once */
        pthread_mutex_unlock(&s->wlock);
        kvmap_batch_abort(&b, failed);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        kvmap_batch_apply(&next->kv, &b, i);
    /* What the batch replaced or removed may be in a reader's hands: it
     * goes with the old snapshot, left[] handed over whole, so retiring
     * still allocates nothing.  A SET's unused key copy (the key existed)
     * was never published and is freed at once. */
    size_t dead = 0;
    for (size_t i = 0; i < n; i++) {
        kvmap_left *l = &b.left[i];
        if (ch[i].kind == STORE_CHANGE_SET) {
            free(l->key);
            l->key = NULL;
        } else if (l->key != NULL) {
            dead += ch[i].klen ? ch[i].klen : 1;
        }
        if (l->val != NULL)
            dead += value_charge(l->val);
    }
    old->dead_left = b.left;
    old->dead_n = n;
    old->dead_bytes = dead;
    b.left = NULL;
    b.n = 0;
    publish(s, old, next, NULL, 0, NULL);
    note_peak(s);
    pthread_mutex_unlock(&s->wlock);
    kvmap_batch_end(&b);
    ebr_reclaim(s->dom);
    return 0;
}
/* [ch05-cow-apply] */

static void cow_stats(store *st, store_stats *out)
{
    cow *s = (cow *)st;
    pthread_mutex_lock(&s->wlock);
    snapshot *cur = atomic_load_explicit(&s->cur, memory_order_relaxed);
    *out = (store_stats){
        .keys = cur->kv.m.count,
        .bytes = snapshot_bytes(cur),
        .peak_bytes = s->peak,
        .publishes = s->publishes,
    };
    pthread_mutex_unlock(&s->wlock);
    ebr_report rep;
    ebr_report_get(s->dom, &rep);
    out->retired_pending = rep.pending;
    out->retired_bytes = rep.pending_bytes;
    out->retired_peak = rep.peak_bytes;
}

void store_cow_synchronize(store *st)
{
    ebr_synchronize(((cow *)st)->dom);
}

void store_cow_set_alarm(store *st, size_t bytes, ebr_alarm_fn *fn,
                         void *arg)
{
    ebr_set_alarm(((cow *)st)->dom, bytes, fn, arg);
}

const store_ops store_cow_ops = {
    .name = "cow",
    .summary = "atomic copy-on-write snapshots, epoch-based reclamation",
    .create = cow_create,
    .destroy = cow_destroy,
    .reader_open = cow_reader_open,
    .reader_close = cow_reader_close,
    .read_begin = cow_read_begin,
    .read_end = cow_read_end,
    .get = cow_get,
    .count = cow_count,
    .iterate = cow_iterate,
    .set = cow_set,
    .del = cow_del,
    .stats = cow_stats,
    .apply = cow_apply,
};
