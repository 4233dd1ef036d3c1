/* store_hamt.c - lock-free reads of a persistent trie, epochs for memory.
 * Chapter 5; extended in chapter 11.
 *
 * Readers: enter an epoch section, load the root with acquire, and read
 * that version for the rest of the section.  The acquire load pairs with
 * the writer's release store of the root, so every node, key and value the
 * writer built before publishing is visible to a reader that sees the new
 * root.  Nothing a reader can reach is ever modified, and nothing is freed
 * until the reader leaves its section: that is the same contract as
 * store_cow, only the snapshot is a tree instead of a table.
 *
 * Writers: one at a time, under a mutex (the replica has a single writer;
 * the mutex only keeps the store correct if there are more).  A write is a
 * hamt_edit of one change: path-copy, publish the new root, retire what
 * the new version no longer reaches, and give the epoch a chance to move.
 * store_apply() is the same with many changes in one edit.  A write that
 * fails, or changes nothing (a delete of an absent key, an empty batch),
 * publishes nothing: hamt_edit_abort() drops the private version, and the
 * published one stays as it was.
 *
 * Memory accounting: bytes is the published version (nodes, keys, values
 * at their value_charge()); peak_bytes also counts what was retired and
 * not yet freed, because that memory is still held: it is what a write
 * costs beyond the live data.
 */
#include "store_hamt.h"
#include "alloc.h"
#include "ebr.h"
#include "hamt.h"
#include "hash.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Changes published between two attempts to advance the epoch (see
 * publish()); a batch counts all its changes. */
#define RECLAIM_EVERY 16

/** The hamt store. */
typedef struct hs {
    store base;                /**< the shared part */
    ebr *ebr;                  /**< where replaced objects wait */
    /** The published version, alone on its line pair: every reader loads
     *  it, and the writer's own fields below change on every write. */
    _Alignas(128) _Atomic(hamt_node *) root;
    /** One writer at a time; guards the fields that follow. */
    _Alignas(128) pthread_mutex_t wlock;
    uint64_t token;            /**< last edit token used */
    hamt_edit edit;            /**< reused by every write */
    size_t node_bytes;         /**< nodes and keys of the published version */
    size_t val_bytes;          /**< values of the published version */
    size_t peak;               /**< most bytes held, garbage included */
    size_t since_reclaim;      /**< changes since the last ebr_reclaim */
    size_t publishes;          /**< versions published */
    struct bundle *spare;      /**< room to retire the open edit's garbage */
} hs;

/** A reader of the hamt store: written at every begin and end, so each
 *  handle is alone on a 128-byte line pair, like its epoch slot. */
typedef struct hs_reader {
    _Alignas(128) store_reader base; /**< the shared part */
    ebr_reader *er;        /**< this thread's epoch slot */
    const hamt_node *snap; /**< the version this section reads */
} hs_reader;

static void free_value(void *p)
{
    value_free(p);
}

static store *hs_create(void)
{
    hs *s = xaligned_alloc(128, sizeof *s);
    if (s == NULL)
        return NULL;
    memset(s, 0, sizeof *s);
    s->ebr = ebr_create();
    if (s->ebr == NULL) {
        free(s);
        return NULL;
    }
    /* Adaptive: a write holds the lock for well under a microsecond, so a
     * second writer spins briefly instead of sleeping in the kernel. */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&s->wlock, &ma);
    pthread_mutexattr_destroy(&ma);
    atomic_init(&s->root, NULL);
    s->base.ops = &store_hamt_ops;
    return &s->base;
}

static void hs_destroy(store *st)
{
    hs *s = (hs *)st;
    /* ebr_destroy() frees what is retired, unless a reader is still open:
     * then its slot would point into freed memory. */
    if (ebr_destroy(s->ebr) != 0) {
        fprintf(stderr, "store_destroy(hamt): a reader is still open\n");
        abort();
    }
    /* No reader is open, so the published version is the only one left. */
    hamt_free_tree(atomic_load_explicit(&s->root, memory_order_relaxed),
                   free_value);
    hamt_edit_release(&s->edit);
    free(s->spare);
    pthread_mutex_destroy(&s->wlock);
    free(s);
}

static store_reader *hs_reader_open(store *st)
{
    hs_reader *r = xaligned_alloc(128, sizeof *r);
    if (r == NULL)
        return NULL;
    memset(r, 0, sizeof *r);
    r->er = ebr_register(((hs *)st)->ebr);
    if (r->er == NULL) {
        free(r);
        return NULL;
    }
    r->base.owner = st;
    return &r->base;
}

static void hs_reader_close(store_reader *rb)
{
    hs_reader *r = (hs_reader *)rb;
    if (ebr_unregister(r->er) != 0) { /* EBUSY: inside a read section */
        fprintf(stderr, "store_reader_close(hamt): the reader is inside a "
                        "read section\n");
        abort();
    }
    free(r);
}

/* [ch05-read] */
static void hs_read_begin(store_reader *rb)
{
    hs_reader *r = (hs_reader *)rb;
    ebr_enter(r->er);
    /* acquire: pairs with the writer's release store in publish(); the
     * nodes of this version were all written before that store. */
    r->snap = atomic_load_explicit(&((hs *)rb->owner)->root,
                                   memory_order_acquire);
}

static void hs_read_end(store_reader *rb)
{
    hs_reader *r = (hs_reader *)rb;
    r->snap = NULL;
    ebr_exit(r->er);
}

static const value *hs_get(store_reader *rb, const void *key, size_t klen)
{
    hs_reader *r = (hs_reader *)rb;
    return hamt_get(r->snap, hash_bytes(key, klen), key, klen);
}
/* [ch05-read] */

static size_t hs_count(store_reader *rb)
{
    return hamt_size(((hs_reader *)rb)->snap);
}

/** Adapts a store_iter_fn to a hamt_iter_fn. */
typedef struct iter_ctx {
    store_iter_fn *fn; /**< the caller's callback */
    void *arg;         /**< its argument */
} iter_ctx;

static int iter_cb(const hamt_key *k, void *val, void *arg)
{
    iter_ctx *c = arg;
    return c->fn(k->bytes, k->len, val, c->arg);
}

static int hs_iterate(store_reader *rb, store_iter_fn *fn, void *arg)
{
    iter_ctx c = { fn, arg };
    return hamt_iterate(((hs_reader *)rb)->snap, iter_cb, &c);
}

/* ---- SCAN: resuming a walk at a scan position (store.h) --------------------- */

/** One store_scan() call's state. */
typedef struct scan_ctx {
    uint64_t cursor;   /**< first position to visit */
    size_t left;       /**< keys still wanted before the walk may stop */
    uint64_t last;     /**< position of the last key visited */
    bool stopped;      /**< a key past the slice was found */
    uint64_t next;     /**< ... and this is its position */
    store_iter_fn *fn; /**< the caller's callback */
    void *arg;         /**< its argument */
} scan_ctx;

/* The piece of a scan position that depth d reads (store_scan_pos()
 * puts depth 0 in the top 5 bits, depth 12 in the low 4). */
static unsigned cursor_piece(uint64_t cursor, unsigned d)
{
    return d < 12 ? (unsigned)(cursor >> (59 - 5 * d)) & 31u
                  : (unsigned)cursor & 15u;
}

/* Visit one key in position order: stop at the first key of a new
 * position once enough were visited. */
static int scan_key(scan_ctx *c, const hamt_key *k, void *val)
{
    uint64_t p = store_scan_pos(k->bytes, k->len);
    if (p < c->cursor)
        return 0;
    if (c->left == 0 && p != c->last) {
        c->stopped = true;
        c->next = p;
        return 1;
    }
    c->last = p;
    if (c->left > 0)
        c->left--;
    return c->fn(k->bytes, k->len, val, c->arg);
}

/* Walk a subtree in slot order.  on_path: the subtree holds the cursor's
 * own path, so the slots before the cursor's piece hold only positions
 * below it and are skipped without a look. */
static int scan_node(scan_ctx *c, const hamt_node *nd, unsigned d,
                     bool on_path)
{
    if (nd->bitmap == 0) { /* a collision node: one position */
        for (uint32_t j = 0; j < nd->n; j++) {
            int rc = scan_key(c, nd->slots[j].key, nd->slots[j].u.val);
            if (rc != 0)
                return rc;
        }
        return 0;
    }
    unsigned from = on_path ? cursor_piece(c->cursor, d) : 0;
    uint32_t j = 0;
    for (unsigned i = 0; i < HAMT_FANOUT; i++) {
        if ((nd->bitmap & (1u << i)) == 0)
            continue;
        const hamt_slot *sl = &nd->slots[j++];
        if (i < from)
            continue;
        int rc = sl->key != NULL
                     ? scan_key(c, sl->key, sl->u.val)
                     : scan_node(c, sl->u.child, d + 1, on_path && i == from);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int hs_scan(store_reader *rb, uint64_t cursor, size_t count,
                   store_iter_fn *fn, void *arg, uint64_t *next)
{
    const hamt_node *root = ((hs_reader *)rb)->snap;
    scan_ctx c = {.cursor = cursor, .left = count, .fn = fn, .arg = arg};
    int rc = root != NULL ? scan_node(&c, root, 0, true) : 0;
    if (c.stopped) {
        *next = c.next;
        return 0;
    }
    if (rc == 0)
        *next = 0;
    return rc;
}

/* ---- writing ------------------------------------------------------------ */

static void write_begin(hs *s)
{
    pthread_mutex_lock(&s->wlock);
    /* relaxed: only writers store the root, and the mutex orders us after
     * the previous writer. */
    hamt_edit_begin(&s->edit,
                    atomic_load_explicit(&s->root, memory_order_relaxed),
                    s->node_bytes, ++s->token, hash_bytes);
}

/** All the garbage of one write, retired as one object: one ebr_retire()
 *  (one lock) per write instead of one per node.  The bundle is allocated
 *  before the change it will carry (reserve_bundle()), so retiring it at
 *  publish cannot fail, and no write ever waits for readers. */
typedef struct bundle {
    ebr_node node;     /**< the domain's queue link */
    size_t cap;        /**< entries allocated */
    size_t n;          /**< entries used */
    hamt_garbage g[];  /**< what the write replaced */
} bundle;

static void bundle_free(ebr_node *node)
{
    bundle *b = (bundle *)(void *)((char *)node - offsetof(bundle, node));
    for (size_t i = 0; i < b->n; i++)
        b->g[i].free_fn(b->g[i].p);
    free(b);
}

/* Give the spare bundle room for the edit's garbage so far plus what one
 * more change can add (the room edit_one() reserves on the edit itself).
 * Called before the change, so the bundle cannot be too small at publish.
 * Sized to the write, not to the edit's reused array, which keeps the size
 * of its largest batch.  Returns 0 or -1 (ENOMEM, nothing changed). */
static int reserve_bundle(hs *s)
{
    size_t need = s->edit.ngarbage + HAMT_EDIT_RESERVE + 1;
    size_t cap = s->spare != NULL ? s->spare->cap : 0;
    if (cap >= need)
        return 0;
    if (cap > 0 && need < 2 * cap)
        need = 2 * cap; /* a batch grows it by doubling */
    bundle *b = xrealloc(s->spare, sizeof *b + need * sizeof b->g[0]);
    if (b == NULL)
        return -1;
    b->cap = need;
    s->spare = b;
    return 0;
}

static void forget(void *ctx, const hamt_garbage *g)
{
    (void)ctx;
    (void)g;
}

static void retire_garbage(hs *s)
{
    hamt_edit *e = &s->edit;
    size_t n = e->ngarbage, bytes = 0;
    if (n == 0) {
        hamt_edit_end(e, forget, NULL);
        return;
    }
    bundle *b = s->spare;
    assert(b != NULL && b->cap >= n); /* reserve_bundle() made the room */
    s->spare = NULL;
    b->n = n;
    memcpy(b->g, e->garbage, n * sizeof b->g[0]);
    for (size_t i = 0; i < n; i++)
        bytes += b->g[i].bytes;
    hamt_edit_end(e, forget, NULL); /* the bundle owns them now */
    ebr_retire(s->ebr, &b->node, bundle_free, bytes);
}

/* [ch05-publish] */
static void publish(hs *s, size_t changes)
{
    /* release: every node, key and value of the new version was written
     * before this store; a reader's acquire load of the root sees them. */
    atomic_store_explicit(&s->root, s->edit.root, memory_order_release);
    s->publishes++;
    s->node_bytes = s->edit.bytes;
    /* Only now is the garbage unreachable for readers that enter. */
    retire_garbage(s);
    size_t pending_bytes;
    ebr_stats(s->ebr, NULL, &pending_bytes);
    size_t held = s->node_bytes + s->val_bytes + pending_bytes;
    if (held > s->peak)
        s->peak = held;
    s->since_reclaim += changes;
    bool reclaim = s->since_reclaim >= RECLAIM_EVERY;
    if (reclaim)
        s->since_reclaim = 0;
    pthread_mutex_unlock(&s->wlock);
    /* Non-blocking: frees what older versions left, if readers allow.  Not
     * on every write: advancing the epoch writes the epoch counter, a line
     * every reader loads on entry, so each advance costs every reader a
     * cache miss.  Garbage waits a little longer instead. */
    if (reclaim)
        ebr_reclaim(s->ebr);
}
/* [ch05-publish] */

/* One SET or DEL into the open edit; returns what store_set/del would.
 * A replaced or removed value goes on the edit's garbage list.  On failure
 * the value stays the caller's. */
static int edit_one(hs *s, store_change_kind kind, const void *key,
                    size_t klen, value *v)
{
    /* Room for the nodes of one path and the value, reserved first, so
     * that queuing the old value below cannot fail after the change. */
    if (hamt_edit_reserve(&s->edit, HAMT_EDIT_RESERVE + 1) != 0 ||
        reserve_bundle(s) != 0)
        return -1;
    void *old = NULL;
    int rc;
    if (kind == STORE_CHANGE_SET) {
        rc = hamt_edit_set(&s->edit, key, klen, v, &old);
        if (rc != 0)
            return -1;
        s->val_bytes += value_charge(v);
    } else {
        rc = hamt_edit_del(&s->edit, key, klen, &old);
        if (rc <= 0)
            return rc;
    }
    if (old != NULL) {
        size_t b = value_charge(old);
        s->val_bytes -= b;
        hamt_edit_defer(&s->edit, old, free_value, b); /* room reserved */
    }
    return rc;
}

/* End a write that failed or changed nothing: drop the private version
 * (the published one stays, and nothing is retired) and unlock. */
static void write_cancel(hs *s, size_t val_bytes)
{
    hamt_edit_abort(&s->edit);
    s->val_bytes = val_bytes;
    pthread_mutex_unlock(&s->wlock);
}

/* True if the private version differs from the published one. */
static bool edit_changed(const hs *s)
{
    return s->edit.root != s->edit.base || s->edit.ngarbage > 0;
}

/* [ch05-set] */
static int hs_set(store *st, const void *key, size_t klen, value *v)
{
    hs *s = (hs *)st;
    write_begin(s);
    size_t val_bytes = s->val_bytes;
    if (edit_one(s, STORE_CHANGE_SET, key, klen, v) != 0) {
        write_cancel(s, val_bytes); /* the old version stays published */
        value_free(v);
        return -1;
    }
    publish(s, 1);
    return 0;
}
/* [ch05-set] */

static int hs_del(store *st, const void *key, size_t klen)
{
    hs *s = (hs *)st;
    write_begin(s);
    size_t val_bytes = s->val_bytes;
    int rc = edit_one(s, STORE_CHANGE_DEL, key, klen, NULL);
    if (rc <= 0) /* failed, or absent: nothing to publish */
        write_cancel(s, val_bytes);
    else
        publish(s, 1);
    return rc;
}

/* [ch05-apply] */
static int hs_apply(store *st, store_change *ch, size_t n)
{
    hs *s = (hs *)st;
    write_begin(s);
    size_t val_bytes = s->val_bytes;
    for (size_t i = 0; i < n; i++) {
        ch[i].result = edit_one(s, ch[i].kind, ch[i].key, ch[i].klen,
                                ch[i].val);
        if (ch[i].result >= 0)
            continue;
        /* All or nothing: throw the private version away, the published
         * one stays, and every value of the batch is freed. */
        write_cancel(s, val_bytes);
        for (size_t j = 0; j < n; j++) {
            ch[j].result = j == i ? -1 : 0;
            if (ch[j].kind == STORE_CHANGE_SET)
                value_free(ch[j].val);
        }
        errno = ENOMEM;
        return -1;
    }
    if (edit_changed(s))
        publish(s, n); /* readers see all n changes at once */
    else
        write_cancel(s, val_bytes); /* empty, or only absent deletes */
    return 0;
}
/* [ch05-apply] */

static void hs_stats(store *st, store_stats *out)
{
    hs *s = (hs *)st;
    pthread_mutex_lock(&s->wlock);
    ebr_report rep;
    ebr_report_get(s->ebr, &rep);
    *out = (store_stats){
        .keys = hamt_size(atomic_load_explicit(&s->root,
                                               memory_order_relaxed)),
        .bytes = s->node_bytes + s->val_bytes,
        .peak_bytes = s->peak,
        .retired_pending = rep.pending,
        .retired_bytes = rep.pending_bytes,
        .retired_peak = rep.peak_bytes,
        .publishes = s->publishes,
    };
    pthread_mutex_unlock(&s->wlock);
}

int store_hamt_check(store *st, char *err, size_t errlen)
{
    hs *s = (hs *)st;
    pthread_mutex_lock(&s->wlock);
    int rc = hamt_check(atomic_load_explicit(&s->root, memory_order_relaxed),
                        err, errlen);
    pthread_mutex_unlock(&s->wlock);
    return rc;
}

void store_hamt_set_alarm(store *st, size_t bytes, ebr_alarm_fn *fn,
                          void *arg)
{
    ebr_set_alarm(((hs *)st)->ebr, bytes, fn, arg);
}

const store_ops store_hamt_ops = {
    .name = "hamt",
    .summary = "persistent hash trie: lock-free reads, O(log n) path-copy "
               "writes, batches",
    .create = hs_create,
    .destroy = hs_destroy,
    .reader_open = hs_reader_open,
    .reader_close = hs_reader_close,
    .read_begin = hs_read_begin,
    .read_end = hs_read_end,
    .get = hs_get,
    .count = hs_count,
    .iterate = hs_iterate,
    .set = hs_set,
    .del = hs_del,
    .stats = hs_stats,
    .apply = hs_apply,
    .scan = hs_scan,
};
