/* store_ptrie.c - lock-free reads of a CHAMP trie of compact key entries.
 * Chapter 8; extended in chapter 11.
 *
 * Chapter 5's hamt store, rebuilt for memory.  Readers are unchanged:
 * enter an epoch section, load the published version with acquire, read
 * it.  The writer (one at a time, under a mutex) path-copies through the
 * persistent trie, publishes the new version with a release store, and
 * retires the old version through the epochs; retiring drops the store's
 * one reference when the grace period ends, and the nodes and entries no
 * newer version shares are freed then (reference-counted nodes, ptrie.h).
 * A batch (store_apply()) is one transient: each node copied once, the
 * result published once, or thrown away whole if any change fails.
 *
 * Where the bytes go (chapter 8's target: the DEBUG POPULATE dataset in
 * no more bytes a key than Redis).  A trie element is one compact entry,
 * ONE malloc block: an 8-byte header (the entry's reference count, the
 * key length and a flag), then either the value itself, embedded (a
 * string held inline, up to PSTRING_THRESHOLD bytes: value_embed()), or
 * a pointer to it (a pstring or a collection, one reference), then the
 * key bytes.  The
 * value comes first because it needs 8-byte alignment and the key does
 * not: no padding between them.  For "key:123456" -> "value:123456":
 *
 *     header 8 + value 24 + "value:123456\0" 13 + "key:123456" 10 = 55
 *
 * and glibc's malloc hands out request + 8 rounded up to 16 (32 at least),
 * so the entry is one 64-byte chunk.  Chapter 5's hamt keeps the key and
 * the value in two blocks (32- and 48-byte chunks) and a 16-byte slot;
 * Redis pays 32 (dictEntry), 16 (key sds), 32 (embedded-string robj) and
 * an 8-byte bucket, 88 B (jemalloc's size classes; redis/redis src/db.c
 * dbAdd, src/object.c createEmbeddedStringObject).
 *
 * The trie's share is its nodes: a 24-byte header and one 8-byte slot per
 * element or child (ptrie.h).  At a million keys, with random 5-bit hash
 * chunks, levels 0..2 are full (1,057 nodes of 32 slots, 288-byte
 * chunks, 0.3 B a key).  Each of the 32,768 nodes at level 3 sees about
 * 30.5 keys over 32 positions (Poisson, mean 0.95): about 12 positions
 * hold one key and 8 hold two or more, which need a level-4 node; so a
 * level-3 node has about 20 slots (184 bytes, a 192- or 208-byte chunk):
 * 6.3 B a key.  The 260,000 level-4 nodes hold 2.3 slots on average: two
 * slots are 40 bytes (a 48-byte chunk), three are 48 (a 64-byte chunk):
 * 13.6 B a key, and level 5 adds 0.7.  Nodes: 21.0 B a key, entries 64,
 * 85 B in all against Redis's 88.  With a 32-byte node header a
 * two-slot node would be a 64-byte chunk and the nodes 24.6 B a key: 88.6
 * B, over the target; that is why ptrie's header is 24 bytes.
 *
 * Measured (bench/results/ch08-mem.md, make bench-mem, 1M keys, one
 * store_set() each): 72.6 B a key requested, 85.6 B of heap (mallinfo2),
 * against 88.5 B of Redis's used_memory.  The heap figure is a little
 * over the sum of chunks because glibc hands out a reused free chunk
 * whole when less than 32 bytes would be left over.
 *
 * Memory accounting (store_stats): bytes is the entries (and the values
 * they point to, at value_charge()), counted as each write happens, plus
 * the published trie's nodes, counted when the figures are read
 * (O(nodes));
 * peak_bytes is the most of entries, retired entries and nodes as last
 * counted; a retired version is charged the entries it alone holds.
 */
#include "store_ptrie.h"
#include "alloc.h"
#include "ebr.h"
#include "ptrie.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Changes published between two attempts to advance the epoch. */
#define RECLAIM_EVERY 16

/* Longest key: the length shares its 32 bits with the embedded flag. */
#define KEY_MAX ((size_t)INT32_MAX)

/* ---- compact key entries ------------------------------------------------ */

/* [ch08-entry] */
/** One key and its value: a trie element. */
typedef struct pentry {
    uint32_t refs;         /**< trie node slots holding it (writer only) */
    unsigned klen : 31;    /**< key length */
    unsigned embedded : 1; /**< body is the value, not a pointer to it */
    /** The value (embedded) or a value pointer, then the key bytes. */
    unsigned char body[];
} pentry;
/* [ch08-entry] */

static_assert(offsetof(pentry, body) % alignof(value) == 0,
              "an embedded value must be aligned (malloc aligns the entry)");

/* Bytes of the body before the key. */
static size_t body_size(const pentry *e)
{
    if (!e->embedded)
        return sizeof(value *);
    return value_embed_size((const value *)(const void *)e->body);
}

static const value *entry_value(const pentry *e)
{
    if (e->embedded)
        return (const value *)(const void *)e->body;
    value *v;
    memcpy(&v, e->body, sizeof v);
    return v;
}

static const unsigned char *entry_key(const pentry *e)
{
    return e->body + body_size(e);
}

/* Bytes requested for the entry, and for the value it points to. */
static size_t entry_bytes(const pentry *e)
{
    size_t b = sizeof *e + body_size(e) + e->klen;
    return e->embedded ? b : b + value_charge(entry_value(e));
}

/* A new entry (one reference, the caller's) for key and v.  Takes v on
 * success (an embedded v is freed at once); on failure v stays the
 * caller's and errno is ENOMEM (EINVAL: a key over KEY_MAX bytes). */
static pentry *entry_new(const void *key, size_t klen, value *v)
{
    if (klen > KEY_MAX) {
        errno = EINVAL;
        return NULL;
    }
    size_t es = value_embed_size(v); /* 0: not an inline string */
    size_t bs = es > 0 ? es : sizeof(value *);
    pentry *e = xmalloc(sizeof *e + bs + klen);
    if (e == NULL)
        return NULL;
    e->refs = 1;
    e->klen = (unsigned)klen;
    e->embedded = es > 0;
    if (es > 0) {
        value_embed(v, e->body);
        value_free(v); /* the entry holds a copy; drop the caller's one */
    } else {
        memcpy(e->body, &v, sizeof v);
    }
    if (klen > 0)
        memcpy(e->body + bs, key, klen);
    return e;
}

static void entry_retain(void *p)
{
    ((pentry *)p)->refs++;
}

static void entry_release(void *p)
{
    pentry *e = p;
    if (--e->refs > 0)
        return;
    if (!e->embedded)
        value_free((value *)entry_value(e));
    free(e);
}

static const void *entry_key_of(const void *p, size_t *len)
{
    const pentry *e = p;
    *len = e->klen;
    return entry_key(e);
}

static size_t entry_size(const void *p)
{
    return entry_bytes(p);
}

static const ptrie_ops entry_ops = {
    .retain = entry_retain,
    .release = entry_release,
    .key = entry_key_of,
    .size = entry_size,
};

/* ---- the store ---------------------------------------------------------- */

/** A replaced version waiting for its grace period. */
typedef struct retired {
    ebr_node node; /**< the domain's queue link */
    ptrie *t;      /**< the version; the store's reference to it */
} retired;

/** The ptrie store. */
typedef struct ps {
    store base;              /**< the shared part */
    ebr *ebr;                /**< where replaced versions wait */
    /** The published version, alone on its line pair: every reader loads
     *  it, and the writer's fields below change on every write. */
    _Alignas(128) _Atomic(ptrie *) root;
    /** One writer at a time; guards the fields that follow. */
    _Alignas(128) pthread_mutex_t wlock;
    size_t entry_bytes;      /**< entries (and their values), published */
    size_t node_bytes;       /**< nodes, as last counted (stats, check) */
    size_t peak;             /**< most bytes held, garbage included */
    size_t since_reclaim;    /**< changes since the last ebr_reclaim */
    size_t publishes;        /**< versions published */
    retired *spare;          /**< allocated before a write that may need it */
} ps;

/** A reader: written at every begin and end, so alone on a line pair. */
typedef struct ps_reader {
    _Alignas(128) store_reader base; /**< the shared part */
    ebr_reader *er;  /**< this thread's epoch slot */
    const ptrie *snap; /**< the version this section reads */
} ps_reader;

static store *ps_create(void)
{
    ps *s = xaligned_alloc(128, sizeof *s);
    if (s == NULL)
        return NULL;
    memset(s, 0, sizeof *s);
    s->ebr = ebr_create();
    ptrie *t = s->ebr != NULL ? ptrie_new(&entry_ops) : NULL;
    if (t == NULL) {
        ebr_destroy(s->ebr);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->wlock, NULL);
    atomic_init(&s->root, t);
    s->base.ops = &store_ptrie_ops;
    return &s->base;
}

static void ps_destroy(store *st)
{
    ps *s = (ps *)st;
    /* Frees (releases) every retired version, unless a reader is open. */
    if (ebr_destroy(s->ebr) != 0) {
        fprintf(stderr, "store_destroy(ptrie): a reader is still open\n");
        abort();
    }
    ptrie_release(atomic_load_explicit(&s->root, memory_order_relaxed));
    free(s->spare);
    pthread_mutex_destroy(&s->wlock);
    free(s);
}

static store_reader *ps_reader_open(store *st)
{
    ps_reader *r = xaligned_alloc(128, sizeof *r);
    if (r == NULL)
        return NULL;
    memset(r, 0, sizeof *r);
    r->er = ebr_register(((ps *)st)->ebr);
    if (r->er == NULL) {
        free(r);
        return NULL;
    }
    r->base.owner = st;
    return &r->base;
}

static void ps_reader_close(store_reader *rb)
{
    ps_reader *r = (ps_reader *)rb;
    if (ebr_unregister(r->er) != 0) { /* EBUSY: inside a read section */
        fprintf(stderr, "store_reader_close(ptrie): the reader is inside a "
                        "read section\n");
        abort();
    }
    free(r);
}

static void ps_read_begin(store_reader *rb)
{
    ps_reader *r = (ps_reader *)rb;
    ebr_enter(r->er);
    /* acquire: pairs with the writer's release store in publish(); every
     * node and entry of this version was written before that store. */
    r->snap = atomic_load_explicit(&((ps *)rb->owner)->root,
                                   memory_order_acquire);
}

static void ps_read_end(store_reader *rb)
{
    ps_reader *r = (ps_reader *)rb;
    r->snap = NULL;
    ebr_exit(r->er);
}

static const value *ps_get(store_reader *rb, const void *key, size_t klen)
{
    const pentry *e = ptrie_get(((ps_reader *)rb)->snap, key, klen);
    return e != NULL ? entry_value(e) : NULL;
}

static size_t ps_count(store_reader *rb)
{
    return ptrie_len(((ps_reader *)rb)->snap);
}

static int ps_iterate(store_reader *rb, store_iter_fn *fn, void *arg)
{
    ptrie_iter it;
    ptrie_iter_init(&it, ((ps_reader *)rb)->snap);
    const pentry *e;
    while ((e = ptrie_iter_next(&it)) != NULL) {
        int rc = fn(entry_key(e), e->klen, entry_value(e), arg);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- SCAN: resuming a walk at a scan position (store.h) --------------------- */

/* The trie iterates in scan-position order (ptrie.h: positions 0..31 of
 * each node in turn, the pieces store_scan_pos() reads most significant
 * first), and ptrie_nth() finds the i-th element in O(log n); so a binary
 * search over i finds the first element at or past the cursor, and the
 * slice is read with ptrie_nth() from there: O(log^2 n + count log n). */
static uint64_t nth_pos(const ptrie *t, size_t i, const pentry **e)
{
    *e = ptrie_nth(t, i);
    return store_scan_pos(entry_key(*e), (*e)->klen);
}

static int ps_scan(store_reader *rb, uint64_t cursor, size_t count,
                   store_iter_fn *fn, void *arg, uint64_t *next)
{
    const ptrie *t = ((ps_reader *)rb)->snap;
    size_t n = ptrie_len(t), lo = 0, hi = n;
    const pentry *e;
    while (lo < hi) { /* first i whose position is >= cursor */
        size_t mid = lo + (hi - lo) / 2;
        if (nth_pos(t, mid, &e) < cursor)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint64_t last = 0;
    for (size_t i = lo, seen = 0; i < n; i++, seen++) {
        uint64_t p = nth_pos(t, i, &e);
        if (seen >= count && p != last) {
            *next = p;
            return 0;
        }
        last = p;
        int rc = fn(entry_key(e), e->klen, entry_value(e), arg);
        if (rc != 0)
            return rc;
    }
    *next = 0;
    return 0;
}

/* ---- writing ------------------------------------------------------------ */

static void retired_free(ebr_node *n)
{
    retired *r = (retired *)(void *)((char *)n - offsetof(retired, node));
    ptrie_release(r->t); /* on the writer: see publish() */
    free(r);
}

/* The record that will retire the published version, allocated before
 * the write changes anything, so that publishing cannot fail. */
static int reserve_retired(ps *s)
{
    if (s->spare == NULL)
        s->spare = xmalloc(sizeof *s->spare);
    return s->spare != NULL ? 0 : -1;
}

static ptrie *published(ps *s)
{
    /* relaxed: only writers store the root, under the mutex we hold. */
    return atomic_load_explicit(&s->root, memory_order_relaxed);
}

/* Publish next (the caller's reference becomes the store's), retire the
 * old version, charge the write's entries, and give the epoch a chance to
 * move.  freed: bytes of the entries the old version alone now holds. */
static void publish(ps *s, ptrie *next, size_t changes, size_t freed)
{
    ptrie *old = published(s);
    /* release: every node and entry of next was written before this
     * store; a reader's acquire load of the root sees them. */
    atomic_store_explicit(&s->root, next, memory_order_release);
    s->publishes++;
    retired *r = s->spare; /* reserve_retired() made it */
    s->spare = NULL;
    r->t = old;
    ebr_retire(s->ebr, &r->node, retired_free, freed);
    size_t pending;
    ebr_stats(s->ebr, NULL, &pending);
    size_t held = s->entry_bytes + s->node_bytes + pending;
    if (held > s->peak)
        s->peak = held;
    s->since_reclaim += changes;
    if (s->since_reclaim >= RECLAIM_EVERY) {
        s->since_reclaim = 0;
        /* Under the writer lock: the free function releases versions,
         * and reference counts are changed by one thread at a time.
         * Non-blocking: frees only what no reader can still hold. */
        ebr_reclaim(s->ebr);
    }
}

/* One SET into t (a version: *out gets the new one; a transient: changed
 * in place).  Takes v.  Returns 0, or -1 (t unchanged, v freed).  *added
 * gets the entry bytes added; *freed those of a replaced entry. */
static int put_one(ptrie *t, const void *key, size_t klen, value *v,
                   ptrie **out, size_t *added, size_t *freed)
{
    pentry *e = entry_new(key, klen, v);
    if (e == NULL) {
        value_free(v);
        return -1;
    }
    const pentry *old = ptrie_get(t, key, klen);
    size_t old_bytes = old != NULL ? entry_bytes(old) : 0;
    int rc = ptrie_put(t, e, true, out);
    size_t bytes = entry_bytes(e);
    entry_release(e); /* the trie holds it now, or it is freed */
    if (rc < 0)
        return -1;
    *added += bytes;
    *freed += old_bytes;
    return 0;
}

/* One DEL from t, like put_one(); returns 1, 0 (absent) or -1. */
static int del_one(ptrie *t, const void *key, size_t klen, ptrie **out,
                   size_t *freed)
{
    const pentry *old = ptrie_get(t, key, klen);
    if (old == NULL)
        return 0;
    size_t old_bytes = entry_bytes(old);
    int rc = ptrie_remove(t, key, klen, out);
    assert(rc != 0); /* it was there: removed, or out of memory */
    if (rc > 0)
        *freed += old_bytes;
    return rc;
}

static int ps_set(store *st, const void *key, size_t klen, value *v)
{
    ps *s = (ps *)st;
    pthread_mutex_lock(&s->wlock);
    ptrie *next;
    size_t added = 0, freed = 0;
    if (reserve_retired(s) != 0) {
        pthread_mutex_unlock(&s->wlock);
        value_free(v);
        return -1;
    }
    if (put_one(published(s), key, klen, v, &next, &added, &freed) != 0) {
        pthread_mutex_unlock(&s->wlock); /* the old version stays */
        return -1;
    }
    s->entry_bytes += added - freed;
    publish(s, next, 1, freed);
    pthread_mutex_unlock(&s->wlock);
    return 0;
}

static int ps_del(store *st, const void *key, size_t klen)
{
    ps *s = (ps *)st;
    pthread_mutex_lock(&s->wlock);
    ptrie *next = NULL;
    size_t freed = 0;
    int rc = reserve_retired(s);
    if (rc == 0)
        rc = del_one(published(s), key, klen, &next, &freed);
    if (rc > 0) {
        s->entry_bytes -= freed;
        publish(s, next, 1, freed);
    }
    pthread_mutex_unlock(&s->wlock);
    return rc; /* 0: absent, nothing published; -1: nothing changed */
}

static int ps_apply(store *st, store_change *ch, size_t n)
{
    ps *s = (ps *)st;
    pthread_mutex_lock(&s->wlock);
    ptrie *t = reserve_retired(s) == 0 ? ptrie_edit_begin(published(s))
                                       : NULL;
    size_t added = 0, freed = 0, i = 0;
    bool changed = false;
    int rc = t != NULL ? 0 : -1;
    for (; rc >= 0 && i < n; i++) {
        ptrie *same; /* a transient is changed in place: same == t */
        if (ch[i].kind == STORE_CHANGE_SET) {
            rc = put_one(t, ch[i].key, ch[i].klen, ch[i].val, &same,
                         &added, &freed); /* takes the value */
            changed = true;
        } else {
            rc = del_one(t, ch[i].key, ch[i].klen, &same, &freed);
            changed |= rc > 0;
        }
        ch[i].result = rc;
    }
    if (rc < 0) {
        /* All or nothing: the transient goes (with the entries it made),
         * the published version stays, every value of the batch is freed:
         * the changes up to the failed one took theirs (put_one()), the
         * rest are freed here.  No transient at all is charged to change
         * 0. */
        ptrie_release(t);
        pthread_mutex_unlock(&s->wlock);
        size_t taken = t != NULL ? i : 0; /* changes 0..taken-1 ran */
        size_t failed = taken > 0 ? taken - 1 : 0;
        for (size_t j = 0; j < n; j++) {
            ch[j].result = j == failed ? -1 : 0;
            if (j >= taken && ch[j].kind == STORE_CHANGE_SET)
                value_free(ch[j].val);
        }
        errno = ENOMEM;
        return -1;
    }
    ptrie *next = ptrie_edit_end(t);
    if (changed) {
        s->entry_bytes += added - freed;
        publish(s, next, n, freed); /* readers see all n changes at once */
    } else {
        ptrie_release(next); /* empty, or only absent deletes */
    }
    pthread_mutex_unlock(&s->wlock);
    return 0;
}

static void ps_stats(store *st, store_stats *out)
{
    ps *s = (ps *)st;
    pthread_mutex_lock(&s->wlock);
    ptrie *t = published(s);
    ptrie_stats ts;
    ptrie_stats_get(t, &ts);
    s->node_bytes = ts.node_bytes;
    size_t bytes = s->entry_bytes + s->node_bytes;
    ebr_report rep;
    ebr_report_get(s->ebr, &rep);
    if (bytes + rep.pending_bytes > s->peak)
        s->peak = bytes + rep.pending_bytes;
    *out = (store_stats){
        .keys = ptrie_len(t),
        .bytes = bytes,
        .peak_bytes = s->peak,
        .retired_pending = rep.pending,
        .retired_bytes = rep.pending_bytes,
        .retired_peak = rep.peak_bytes,
        .publishes = s->publishes,
    };
    pthread_mutex_unlock(&s->wlock);
}

/* An entry is well formed: its refs count, its value readable. */
static int check_entry(const pentry *e, char *err, size_t errlen)
{
    const value *v = entry_value(e);
    if (e->refs == 0)
        snprintf(err, errlen, "entry of a %u-byte key has no reference",
                 (unsigned)e->klen);
    else if (v == NULL)
        snprintf(err, errlen, "entry of a %u-byte key has no value",
                 (unsigned)e->klen);
    else if (e->embedded && (!(v->flags & VALUE_F_EMBEDDED) ||
                             value_embed_size(v) == 0))
        snprintf(err, errlen, "entry of a %u-byte key embeds a value that "
                 "cannot be embedded", (unsigned)e->klen);
    else
        return 0;
    return -1;
}

int store_ptrie_check(store *st, char *err, size_t errlen)
{
    ps *s = (ps *)st;
    pthread_mutex_lock(&s->wlock);
    ptrie *t = published(s);
    int rc = ptrie_check(t, err, errlen);
    size_t bytes = 0;
    ptrie_iter it;
    ptrie_iter_init(&it, t);
    const pentry *e;
    while (rc == 0 && (e = ptrie_iter_next(&it)) != NULL) {
        rc = check_entry(e, err, errlen);
        bytes += entry_bytes(e);
    }
    if (rc == 0 && bytes != s->entry_bytes) {
        snprintf(err, errlen, "entries hold %zu bytes, the store counts "
                 "%zu", bytes, s->entry_bytes);
        rc = -1;
    }
    pthread_mutex_unlock(&s->wlock);
    return rc;
}

const store_ops store_ptrie_ops = {
    .name = "ptrie",
    .summary = "persistent CHAMP trie of compact key entries: lock-free "
               "reads, O(log n) writes, about 64 B + nodes per short key",
    .create = ps_create,
    .destroy = ps_destroy,
    .reader_open = ps_reader_open,
    .reader_close = ps_reader_close,
    .read_begin = ps_read_begin,
    .read_end = ps_read_end,
    .get = ps_get,
    .count = ps_count,
    .iterate = ps_iterate,
    .set = ps_set,
    .del = ps_del,
    .stats = ps_stats,
    .apply = ps_apply,
    .scan = ps_scan,
};
