/* keyspace.c - databases over one store: life cycle, meta record, readers.
 * Chapter 9; extended in chapter 11.
 *
 * Every key of database d lives in the store under the 2-byte big-endian
 * physical number of d followed by its bytes; the meta record (key "\xff",
 * one byte, so never a data key) holds the map from logical to physical
 * numbers and the number of keys under each physical number.  Its layout,
 * a string value: the number of databases (u32, host order), the map
 * (u16 per database, host order), the counts (u64 per physical number,
 * host order); it never leaves the process, so host order is enough.
 *
 * A reader loads the meta record once, at keyspace_read_begin(), and reads
 * every database through that map until keyspace_read_end(): the map and
 * the keys come from one snapshot of the store, so a SWAPDB or a
 * multi-key batch is seen whole or not at all.  Over store_naive and
 * store_striped a section is not a snapshot (naive has no
 * synchronisation, striped locks one shard per lookup), so there the
 * keyspace adds one rwlock: a reader holds it shared for its section and
 * keyspace_commit() holds it exclusive around store_apply().
 *
 * The writer (keyspace_batch.c) keeps its own copy of the map and counts
 * and never reads the meta record back.
 *
 * One rule follows for a thread that both reads and writes: it must leave
 * its own read sections before keyspace_commit(), as store.h asks of a
 * store's writer (over naive, rwlock and striped the commit would wait for
 * the section's lock, held by the thread itself).
 */
#include "keyspace_internal.h"
#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const unsigned char *ks_encode(ks_keybuf *b, uint16_t phys, const void *key,
                               size_t klen)
{
    if (b->p == NULL) {
        b->p = b->small;
        b->cap = sizeof b->small;
    }
    if (klen > b->cap - 2) {
        if (klen > SIZE_MAX / 2 - 2) {
            errno = ENOMEM;
            return NULL;
        }
        size_t cap = (klen + 2) * 2;
        unsigned char *p = xmalloc(cap);
        if (p == NULL)
            return NULL;
        if (b->p != b->small)
            free(b->p);
        b->p = p;
        b->cap = cap;
    }
    b->p[0] = (unsigned char)(phys >> 8);
    b->p[1] = (unsigned char)phys;
    if (klen > 0)
        memcpy(b->p + 2, key, klen);
    return b->p;
}

void ks_keybuf_free(ks_keybuf *b)
{
    if (b->p != NULL && b->p != b->small)
        free(b->p);
    b->p = NULL;
    b->cap = 0;
}

value *ks_meta_make(unsigned ndb, const uint16_t *map, const uint64_t *counts)
{
    size_t len = KS_META_HDR + (size_t)ndb * (sizeof *map + sizeof *counts);
    unsigned char small[KS_META_HDR + 16 * 10];
    unsigned char *buf = len <= sizeof small ? small : xmalloc(len);
    if (buf == NULL)
        return NULL;
    uint32_t n = ndb;
    memcpy(buf, &n, sizeof n);
    memcpy(buf + KS_META_HDR, map, (size_t)ndb * sizeof *map);
    memcpy(buf + KS_META_HDR + (size_t)ndb * sizeof *map, counts,
           (size_t)ndb * sizeof *counts);
    value *v = value_new_string(buf, len, VALUE_NO_EXPIRY);
    if (buf != small)
        free(buf);
    return v;
}

/* Which variants need the keyspace's own lock (see the file comment). */
static bool needs_lock(const store_ops *ops)
{
    return strcmp(ops->name, "naive") == 0 || strcmp(ops->name, "striped") == 0;
}

keyspace *keyspace_create(const store_ops *variant, unsigned databases)
{
    if (databases < 1 || databases > KEYSPACE_MAX_DBS || variant == NULL) {
        errno = EINVAL;
        return NULL;
    }
    if (variant->apply == NULL) {
        errno = ENOTSUP;
        return NULL;
    }
    keyspace *ks = xcalloc(1, sizeof *ks);
    if (ks == NULL)
        return NULL;
    ks->ndb = databases;
    ks->locked = needs_lock(variant);
    if (ks->locked && pthread_rwlock_init(&ks->lock, NULL) != 0) {
        free(ks);
        errno = ENOMEM;
        return NULL;
    }
    ks->map = xcalloc(databases, sizeof *ks->map);
    ks->saved_map = xcalloc(databases, sizeof *ks->saved_map);
    ks->counts = xcalloc(databases, sizeof *ks->counts);
    ks->saved_counts = xcalloc(databases, sizeof *ks->saved_counts);
    if (ks->map == NULL || ks->saved_map == NULL || ks->counts == NULL ||
        ks->saved_counts == NULL)
        goto fail;
    for (unsigned i = 0; i < databases; i++)
        ks->map[i] = (uint16_t)i;
    ks->s = store_create(variant);
    if (ks->s == NULL)
        goto fail;
    ks->wr = store_reader_open(ks->s);
    if (ks->wr == NULL)
        goto fail;
    value *meta = ks_meta_make(databases, ks->map, ks->counts);
    if (meta == NULL || store_set(ks->s, KS_META_KEY, KS_META_KLEN, meta) != 0)
        goto fail; /* store_set took meta */
    return ks;
fail:
    keyspace_destroy(ks);
    errno = ENOMEM;
    return NULL;
}

void keyspace_destroy(keyspace *ks)
{
    if (ks == NULL)
        return;
    keyspace_abort(ks);
    ks_overlay_free(&ks->ov);
    free(ks->changes);
    ks_keybuf_free(&ks->kb);
    store_reader_close(ks->wr);
    store_destroy(ks->s);
    if (ks->locked)
        pthread_rwlock_destroy(&ks->lock);
    free(ks->map);
    free(ks->saved_map);
    free(ks->counts);
    free(ks->saved_counts);
    free(ks);
}

unsigned keyspace_databases(const keyspace *ks)
{
    return ks->ndb;
}

store *keyspace_store(keyspace *ks)
{
    return ks->s;
}

/* ---- readers ------------------------------------------------------------- */

keyspace_reader *keyspace_reader_open(keyspace *ks)
{
    keyspace_reader *r = xcalloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->ks = ks;
    r->sr = store_reader_open(ks->s);
    if (r->sr == NULL) {
        free(r);
        errno = ENOMEM;
        return NULL;
    }
    return r;
}

void keyspace_reader_close(keyspace_reader *r)
{
    if (r == NULL)
        return;
    store_reader_close(r->sr);
    ks_keybuf_free(&r->kb);
    free(r);
}

/* [ch09-read-begin] */
void keyspace_read_begin(keyspace_reader *r)
{
    /* learn: ch09 keyspace_read_begin "Sixteen databases in one store" */
    assert(!r->in_section && "keyspace_read_begin: already in a section");
    if (r->ks->locked)
        pthread_rwlock_rdlock(&r->ks->lock);
    store_read_begin(r->sr);
    r->meta = store_get(r->sr, KS_META_KEY, KS_META_KLEN);
    assert(r->meta != NULL && r->meta->type == VALUE_STRING);
    r->mb = value_str_bytes(r->meta);
    r->in_section = true;
    /* learn: end */
}
/* [ch09-read-begin] */

void keyspace_read_end(keyspace_reader *r)
{
    assert(r->in_section && "keyspace_read_end outside a section");
    r->in_section = false;
    r->meta = NULL;
    r->mb = NULL;
    store_read_end(r->sr);
    if (r->ks->locked)
        pthread_rwlock_unlock(&r->ks->lock);
}

/* Read n bytes of this section's meta record at off. */
static void meta_read(const keyspace_reader *r, size_t off, void *out,
                      size_t n)
{
    if (r->mb != NULL)
        memcpy(out, r->mb + off, n);
    else
        value_str_read(r->meta, off, out, n);
}

static uint16_t reader_phys(const keyspace_reader *r, unsigned db)
{
    uint16_t p;
    meta_read(r, KS_META_HDR + (size_t)db * sizeof p, &p, sizeof p);
    return p;
}

const value *keyspace_get(keyspace_reader *r, unsigned db, const void *key,
                          size_t klen)
{
    if (db >= r->ks->ndb)
        return NULL;
    const unsigned char *k = ks_encode(&r->kb, reader_phys(r, db), key, klen);
    return k != NULL ? store_get(r->sr, k, klen + 2) : NULL;
}

const value *keyspace_get_live(keyspace_reader *r, unsigned db,
                               const void *key, size_t klen, int64_t now_ms)
{
    const value *v = keyspace_get(r, db, key, klen);
    return v != NULL && !value_is_expired(v, now_ms) ? v : NULL;
}

size_t keyspace_dbsize(keyspace_reader *r, unsigned db)
{
    if (db >= r->ks->ndb)
        return 0;
    uint64_t c;
    meta_read(r, KS_META_HDR + (size_t)r->ks->ndb * sizeof(uint16_t) +
                     (size_t)reader_phys(r, db) * sizeof c,
              &c, sizeof c);
    return (size_t)c;
}

/** keyspace_iterate()'s filter: one physical number's keys, unprefixed. */
typedef struct iter_ctx {
    unsigned char p0, p1; /**< the physical number, big-endian */
    store_iter_fn *fn;    /**< the caller's callback */
    void *arg;            /**< its argument */
} iter_ctx;

static int iter_one(const void *key, size_t klen, const value *v, void *arg)
{
    const iter_ctx *c = arg;
    const unsigned char *k = key;
    if (klen < 2 || k[0] != c->p0 || k[1] != c->p1)
        return 0;
    return c->fn(k + 2, klen - 2, v, c->arg);
}

int keyspace_iterate(keyspace_reader *r, unsigned db, store_iter_fn *fn,
                     void *arg)
{
    if (db >= r->ks->ndb)
        return 0;
    if (keyspace_dbsize(r, db) == 0)
        return 0; /* no walk of the whole store for an empty database */
    uint16_t p = reader_phys(r, db);
    iter_ctx c = {(unsigned char)(p >> 8), (unsigned char)p, fn, arg};
    return store_iterate(r->sr, iter_one, &c);
}

int keyspace_scan(keyspace_reader *r, unsigned db, uint64_t cursor,
                  size_t count, store_iter_fn *fn, void *arg, uint64_t *next)
{
    if (db >= r->ks->ndb || keyspace_dbsize(r, db) == 0) {
        *next = 0;
        return 0;
    }
    uint16_t p = reader_phys(r, db);
    iter_ctx c = {(unsigned char)(p >> 8), (unsigned char)p, fn, arg};
    return store_scan(r->sr, cursor, count, iter_one, &c, next);
}

/* ---- sorted walks, for dumps and comparisons ------------------------------ */

bool ks_section_enter(keyspace_reader *r)
{
    if (r->in_section)
        return false;
    keyspace_read_begin(r);
    return true;
}

/** ks_sorted_keys()'s collector. */
typedef struct key_list {
    ks_key *k;      /**< the array */
    size_t n;       /**< used */
    size_t cap;     /**< allocated */
} key_list;

static int collect_key(const void *key, size_t klen, const value *v,
                       void *arg)
{
    key_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        ks_key *k = xrealloc(l->k, cap * sizeof *k);
        if (k == NULL)
            return -1;
        l->k = k;
        l->cap = cap;
    }
    l->k[l->n++] = (ks_key){key, klen, v};
    return 0;
}

static int key_cmp(const void *pa, const void *pb)
{
    const ks_key *a = pa, *b = pb;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = n > 0 ? memcmp(a->k, b->k, n) : 0;
    if (c != 0)
        return c;
    return (a->klen > b->klen) - (a->klen < b->klen);
}

int ks_sorted_keys(keyspace_reader *r, unsigned db, ks_key **out, size_t *n)
{
    key_list l = {0};
    *out = NULL;
    *n = 0;
    if (keyspace_dbsize(r, db) == 0)
        return 0;
    if (keyspace_iterate(r, db, collect_key, &l) != 0) {
        free(l.k);
        errno = ENOMEM;
        return -1;
    }
    if (l.n > 1)
        qsort(l.k, l.n, sizeof *l.k, key_cmp);
    *out = l.k;
    *n = l.n;
    return 0;
}
