/* keyspace_batch.c - the writer's batch: an overlay of pending changes, one commit.
 * Chapter 9.
 *
 * A batch keeps one overlay entry per key it touched, however often it
 * touched it: the encoded key, the pending value (NULL for a delete) and
 * whether the key was in the store when the batch first looked, which is
 * all the per-database counts need.  Entries live in an array in the order
 * keys were first changed, with an open-addressing index of 32-bit slots
 * over it, and their key bytes in an arena of blocks; keyspace_commit() and
 * keyspace_abort() empty the overlay but keep the array, the index and the
 * first block, so a batch of a thousand commands on warm buffers allocates
 * only its values.
 *
 * While the batch is open the writer holds a read section on its own store
 * reader, so that what it reads from the store stays valid; it leaves the
 * section before store_apply(), since a thread must not write inside one
 * (store.h).  Keys are looked up in the overlay first, then in the store.
 *
 * A collection the batch changes is a transient (keyspace_edit()), made
 * once from the stored version with value_edit() and changed in place by
 * every later command of the batch; the stored version is never touched,
 * so readers of older versions keep seeing what they saw.  Commit seals
 * every transient, builds one store_change array (the entries that change
 * the store, then the meta record when the map or the counts changed) and
 * hands it to store_apply().  If that fails, the store is as it was, and
 * the writer's map and counts go back to the copy kept when the batch
 * first changed them: the keyspace is exactly as before the batch.
 */
#include "keyspace_internal.h"
#include "alloc.h"
#include "hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES 16384u /* arena block for short keys */
#define MIN_SLOTS 64u      /* smallest index */

/* ---- the overlay --------------------------------------------------------- */

void ks_overlay_clear(ks_overlay *ov)
{
    for (size_t i = 0; i < ov->n; i++) {
        ks_ent *e = &ov->ents[i];
        value_free(e->v);
        e->v = NULL;
    }
    if (ov->idx != NULL) {
        /* Few entries: clear their slots; many: the whole index. */
        if (ov->n * 4 < ov->mask + 1) {
            for (size_t i = 0; i < ov->n; i++) {
                size_t s = (size_t)ov->ents[i].hash & ov->mask;
                while (ov->idx[s] != 0) {
                    ov->idx[s] = 0;
                    s = (s + 1) & ov->mask;
                }
            }
        } else {
            memset(ov->idx, 0, (ov->mask + 1) * sizeof *ov->idx);
        }
    }
    ov->n = 0;
    /* Keep the newest block for the next batch; free the others. */
    if (ov->arena != NULL) {
        ks_chunk *c = ov->arena->next;
        while (c != NULL) {
            ks_chunk *next = c->next;
            free(c);
            c = next;
        }
        ov->arena->next = NULL;
        ov->arena->used = 0;
        if (ov->arena->cap > CHUNK_BYTES) { /* one huge key: drop it */
            free(ov->arena);
            ov->arena = NULL;
        }
    }
    /* An index grown by one huge batch (a FLUSHALL) is not kept. */
    if (ov->mask + 1 > 65536) {
        free(ov->idx);
        free(ov->ents);
        ov->idx = NULL;
        ov->ents = NULL;
        ov->mask = 0;
        ov->cap = 0;
    }
}

void ks_overlay_free(ks_overlay *ov)
{
    ks_overlay_clear(ov);
    if (ov->arena != NULL)
        free(ov->arena);
    free(ov->idx);
    free(ov->ents);
    memset(ov, 0, sizeof *ov);
}

/* The entry of an encoded key, or NULL. */
static ks_ent *ov_find(const ks_overlay *ov, const unsigned char *k,
                       size_t klen, uint64_t h)
{
    if (ov->n == 0)
        return NULL;
    for (size_t s = (size_t)h & ov->mask;; s = (s + 1) & ov->mask) {
        uint32_t i = ov->idx[s];
        if (i == 0)
            return NULL;
        ks_ent *e = &ov->ents[i - 1];
        if (e->hash == h && e->klen == klen && memcmp(e->key, k, klen) == 0)
            return e;
    }
}

/* Make room for one more entry: grow the array and the index. */
static int ov_reserve(ks_overlay *ov)
{
    if (ov->n == ov->cap) {
        size_t cap = ov->cap ? ov->cap * 2 : 32;
        if (cap > UINT32_MAX - 1) {
            errno = ENOMEM;
            return -1;
        }
        ks_ent *e = xrealloc(ov->ents, cap * sizeof *e);
        if (e == NULL)
            return -1;
        ov->ents = e;
        ov->cap = cap;
    }
    if (ov->idx == NULL || (ov->n + 1) * 2 > ov->mask + 1) {
        size_t slots = ov->idx == NULL ? MIN_SLOTS : (ov->mask + 1) * 2;
        while ((ov->n + 1) * 2 > slots)
            slots *= 2;
        uint32_t *idx = xcalloc(slots, sizeof *idx);
        if (idx == NULL)
            return -1;
        for (size_t i = 0; i < ov->n; i++) {
            size_t s = (size_t)ov->ents[i].hash & (slots - 1);
            while (idx[s] != 0)
                s = (s + 1) & (slots - 1);
            idx[s] = (uint32_t)(i + 1);
        }
        free(ov->idx);
        ov->idx = idx;
        ov->mask = slots - 1;
    }
    return 0;
}

/* Copy an encoded key into the arena. */
static unsigned char *ov_keycopy(ks_overlay *ov, const unsigned char *k,
                                 size_t klen)
{
    ks_chunk *c = ov->arena;
    if (c == NULL || c->cap - c->used < klen) {
        size_t cap = klen > CHUNK_BYTES ? klen : CHUNK_BYTES;
        ks_chunk *nc = xmalloc(sizeof *nc + cap);
        if (nc == NULL)
            return NULL;
        nc->cap = cap;
        nc->used = 0;
        /* A big key's block goes behind the current one, which keeps
         * serving short keys. */
        if (c != NULL && klen > CHUNK_BYTES) {
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            ov->arena = nc;
        }
        c = nc;
    }
    unsigned char *p = c->data + c->used;
    memcpy(p, k, klen);
    c->used += klen;
    return p;
}

/* Add an entry for an encoded key that has none.  Its value is NULL. */
static ks_ent *ov_add(ks_overlay *ov, const unsigned char *k, size_t klen,
                      uint64_t h, bool existed)
{
    if (klen > UINT32_MAX) {
        errno = ENOMEM;
        return NULL;
    }
    if (ov_reserve(ov) != 0)
        return NULL;
    unsigned char *copy = ov_keycopy(ov, k, klen);
    if (copy == NULL)
        return NULL;
    size_t s = (size_t)h & ov->mask;
    while (ov->idx[s] != 0)
        s = (s + 1) & ov->mask;
    ks_ent *e = &ov->ents[ov->n];
    *e = (ks_ent){.hash = h, .key = copy, .klen = (uint32_t)klen,
                  .existed = existed, .v = NULL};
    ov->idx[s] = (uint32_t)(++ov->n);
    return e;
}

/* ---- the writer's map and counts ----------------------------------------- */

/* Before the batch first changes the map or a count: keep the published
 * copy, for abort and a failed commit. */
static void meta_touch(keyspace *ks)
{
    if (ks->meta_dirty)
        return;
    memcpy(ks->saved_map, ks->map, ks->ndb * sizeof *ks->map);
    memcpy(ks->saved_counts, ks->counts, ks->ndb * sizeof *ks->counts);
    ks->meta_dirty = true;
}

static void count_add(keyspace *ks, uint16_t phys, int d)
{
    meta_touch(ks);
    ks->counts[phys] += (uint64_t)(int64_t)d;
}

/* Put the published map and counts back. */
static void meta_restore(keyspace *ks)
{
    if (!ks->meta_dirty)
        return;
    memcpy(ks->map, ks->saved_map, ks->ndb * sizeof *ks->map);
    memcpy(ks->counts, ks->saved_counts, ks->ndb * sizeof *ks->counts);
    ks->meta_dirty = false;
}

/* ---- one key, as the batch sees it ---------------------------------------- */

/** A key resolved for the batch: its encoding, hash, entry and value. */
typedef struct ks_slot {
    const unsigned char *k; /**< encoded key (in ks->kb) */
    size_t klen;            /**< its length */
    uint64_t h;             /**< its hash */
    uint16_t phys;          /**< its physical database */
    ks_ent *e;              /**< its overlay entry, or NULL */
    const value *v;         /**< what the batch sees: the entry's value, or
                                 the store's when there is no entry */
} ks_slot;

static int resolve(keyspace *ks, unsigned db, const void *key, size_t klen,
                   ks_slot *out)
{
    assert(ks->in_batch && "keyspace: no batch is open");
    assert(db < ks->ndb && "keyspace: database out of range");
    out->phys = ks->map[db];
    out->k = ks_encode(&ks->kb, out->phys, key, klen);
    if (out->k == NULL)
        return -1;
    out->klen = klen + 2;
    out->h = hash_bytes(out->k, out->klen);
    out->e = ov_find(&ks->ov, out->k, out->klen, out->h);
    out->v = out->e != NULL ? out->e->v : store_get(ks->wr, out->k, out->klen);
    return 0;
}

/* The entry for a resolved key, made when it has none. */
static ks_ent *slot_entry(keyspace *ks, ks_slot *s)
{
    if (s->e == NULL)
        s->e = ov_add(&ks->ov, s->k, s->klen, s->h, s->v != NULL);
    return s->e;
}

/* ---- the batch API --------------------------------------------------------- */

int keyspace_batch_begin(keyspace *ks)
{
    if (ks->in_batch) {
        errno = EBUSY;
        return -1;
    }
    ks->in_batch = true;
    ks->meta_dirty = false;
    store_read_begin(ks->wr);
    return 0;
}

bool keyspace_in_batch(const keyspace *ks)
{
    return ks->in_batch;
}

const value *keyspace_lookup(keyspace *ks, unsigned db, const void *key,
                             size_t klen)
{
    ks_slot s;
    if (resolve(ks, db, key, klen, &s) != 0)
        return NULL;
    return s.v;
}

int keyspace_put(keyspace *ks, unsigned db, const void *key, size_t klen,
                 value *v)
{
    ks_slot s;
    if (resolve(ks, db, key, klen, &s) != 0 || slot_entry(ks, &s) == NULL) {
        value_free(v);
        return -1;
    }
    if (s.e->v == v) /* already pending under this key */
        return 0;
    if (s.v == NULL)
        count_add(ks, s.phys, +1);
    value_free(s.e->v);
    s.e->v = v;
    return 0;
}

int keyspace_delete(keyspace *ks, unsigned db, const void *key, size_t klen)
{
    ks_slot s;
    if (resolve(ks, db, key, klen, &s) != 0)
        return -1;
    if (s.v == NULL)
        return 0;
    if (slot_entry(ks, &s) == NULL)
        return -1;
    value_free(s.e->v);
    s.e->v = NULL;
    count_add(ks, s.phys, -1);
    return 1;
}

value *keyspace_edit(keyspace *ks, unsigned db, const void *key, size_t klen)
{
    ks_slot s;
    if (resolve(ks, db, key, klen, &s) != 0)
        return NULL;
    if (s.v == NULL) {
        errno = 0;
        return NULL;
    }
    if (s.v->type == VALUE_STRING || s.v->type == VALUE_MODULE) {
        errno = EINVAL;
        return NULL;
    }
    if (value_is_transient(s.v))
        return s.e->v; /* the batch's own transient */
    /* The transient first, then the entry: an entry made for a stored key
     * with no value would read as a delete if the edit then failed. */
    value *t = value_edit(s.v);
    if (t == NULL)
        return NULL;
    if (slot_entry(ks, &s) == NULL) {
        value_free(t);
        return NULL;
    }
    value_free(s.e->v); /* a pending version (the store's stays put) */
    s.e->v = t;
    return t;
}

int keyspace_set_expire(keyspace *ks, unsigned db, const void *key,
                        size_t klen, int64_t expire_ms)
{
    ks_slot s;
    if (resolve(ks, db, key, klen, &s) != 0)
        return -1;
    if (s.v == NULL)
        return 0;
    if (s.v->expire_ms == expire_ms)
        return 1;
    if (value_is_transient(s.v)) {
        s.e->v->expire_ms = expire_ms;
        return 1;
    }
    value *nv; /* the new header first, as in keyspace_edit() */
    if (value_with_expire(s.v, expire_ms, &nv) != 0)
        return -1;
    if (slot_entry(ks, &s) == NULL) {
        value_free(nv);
        return -1;
    }
    value_free(s.e->v);
    s.e->v = nv;
    return 1;
}

int keyspace_swap(keyspace *ks, unsigned a, unsigned b)
{
    assert(ks->in_batch && "keyspace_swap: no batch is open");
    if (a >= ks->ndb || b >= ks->ndb) {
        errno = EINVAL;
        return -1;
    }
    if (a == b)
        return 0;
    meta_touch(ks);
    uint16_t t = ks->map[a];
    ks->map[a] = ks->map[b];
    ks->map[b] = t;
    return 0;
}

/** keyspace_flush()'s walk: the physical numbers being emptied. */
typedef struct flush_ctx {
    keyspace *ks;
    const bool *gone; /**< by physical number (NULL: one number only) */
    uint16_t phys;    /**< the one number, when gone is NULL */
} flush_ctx;

static bool flush_hits(const flush_ctx *f, const unsigned char *k, size_t klen)
{
    if (klen < 2)
        return false; /* the meta record */
    uint16_t p = (uint16_t)(k[0] << 8 | k[1]);
    return f->gone != NULL ? f->gone[p] : p == f->phys;
}

/* A stored key of an emptied database: pending delete unless the overlay
 * already has the key (those were dealt with first). */
static int flush_one(const void *key, size_t klen, const value *v, void *arg)
{
    (void)v;
    const flush_ctx *f = arg;
    if (!flush_hits(f, key, klen))
        return 0;
    uint64_t h = hash_bytes(key, klen);
    if (ov_find(&f->ks->ov, key, klen, h) != NULL)
        return 0;
    return ov_add(&f->ks->ov, key, klen, h, true) != NULL ? 0 : -1;
}

long long keyspace_flush(keyspace *ks, uint32_t db)
{
    assert(ks->in_batch && "keyspace_flush: no batch is open");
    if (db != KEYSPACE_ALL_DBS && db >= ks->ndb) {
        errno = EINVAL;
        return -1;
    }
    bool *gone = NULL;
    flush_ctx f = {ks, NULL, 0};
    unsigned long long removed = 0;
    if (db == KEYSPACE_ALL_DBS) {
        for (unsigned p = 0; p < ks->ndb; p++)
            removed += ks->counts[p];
        if (removed == 0)
            return 0;
        gone = xcalloc(ks->ndb, sizeof *gone);
        if (gone == NULL)
            return -1;
        for (unsigned p = 0; p < ks->ndb; p++)
            gone[p] = ks->counts[p] > 0;
        f.gone = gone;
    } else {
        f.phys = ks->map[db];
        removed = ks->counts[f.phys];
        if (removed == 0)
            return 0;
    }
    /* Pending entries first: their values go now.  Then the stored keys
     * that have no entry get a pending delete each.  If that walk runs out
     * of memory, the entries it added are deletes not yet counted, and the
     * batch must be aborted anyway. */
    for (size_t i = 0; i < ks->ov.n; i++) {
        ks_ent *e = &ks->ov.ents[i];
        if (flush_hits(&f, e->key, e->klen)) {
            value_free(e->v);
            e->v = NULL;
        }
    }
    int rc = store_iterate(ks->wr, flush_one, &f);
    meta_touch(ks);
    for (unsigned p = 0; p < ks->ndb; p++)
        if (gone != NULL ? gone[p] : p == f.phys)
            ks->counts[p] = 0;
    free(gone);
    if (rc != 0) {
        errno = ENOMEM;
        return -1;
    }
    return (long long)removed;
}

size_t keyspace_batch_dbsize(keyspace *ks, unsigned db)
{
    return db < ks->ndb ? (size_t)ks->counts[ks->map[db]] : 0;
}

/* End the batch: pending values freed, overlay emptied, section left. */
static void batch_end(keyspace *ks, bool in_section)
{
    ks_overlay_clear(&ks->ov);
    if (in_section)
        store_read_end(ks->wr);
    ks->in_batch = false;
    ks->meta_dirty = false;
}

void keyspace_abort(keyspace *ks)
{
    if (!ks->in_batch)
        return;
    meta_restore(ks);
    batch_end(ks, true);
}

/* The meta record changed if the map or a count differs from the saved
 * (published) copy. */
static bool meta_changed(const keyspace *ks)
{
    return ks->meta_dirty &&
           (memcmp(ks->map, ks->saved_map, ks->ndb * sizeof *ks->map) != 0 ||
            memcmp(ks->counts, ks->saved_counts,
                   ks->ndb * sizeof *ks->counts) != 0);
}

int keyspace_commit(keyspace *ks)
{
    assert(ks->in_batch && "keyspace_commit: no batch is open");
    ks_overlay *ov = &ks->ov;
    bool meta = meta_changed(ks);
    size_t need = ov->n + (meta ? 1 : 0);
    if (need == 0) {
        batch_end(ks, true);
        return 0;
    }
    /* Everything that can fail before the store is asked comes first. */
    if (need > ks->changes_cap) {
        size_t cap = ks->changes_cap ? ks->changes_cap : 64;
        while (cap < need)
            cap *= 2;
        store_change *c = xrealloc(ks->changes, cap * sizeof *c);
        if (c == NULL)
            goto fail;
        ks->changes = c;
        ks->changes_cap = cap;
    }
    value *mv = NULL;
    if (meta && (mv = ks_meta_make(ks->ndb, ks->map, ks->counts)) == NULL)
        goto fail;
    size_t n = 0;
    for (size_t i = 0; i < ov->n; i++) {
        ks_ent *e = &ov->ents[i];
        if (e->v == NULL && !e->existed)
            continue; /* made and deleted inside the batch */
        store_change *c = &ks->changes[n++];
        c->key = e->key;
        c->klen = e->klen;
        c->result = 0;
        if (e->v == NULL) {
            c->kind = STORE_CHANGE_DEL;
            c->val = NULL;
        } else {
            if (value_is_transient(e->v))
                value_seal(e->v);
            c->kind = STORE_CHANGE_SET;
            c->val = e->v;
            e->v = NULL; /* the store's now, whatever happens */
        }
    }
    if (mv != NULL)
        ks->changes[n++] = (store_change){.kind = STORE_CHANGE_SET,
                                          .key = KS_META_KEY,
                                          .klen = KS_META_KLEN, .val = mv};
    store_read_end(ks->wr); /* no writes inside a section */
    if (ks->locked)
        pthread_rwlock_wrlock(&ks->lock);
    int rc = n > 0 ? store_apply(ks->s, ks->changes, n) : 0;
    int err = errno;
    if (ks->locked)
        pthread_rwlock_unlock(&ks->lock);
    if (rc != 0)
        meta_restore(ks);
    batch_end(ks, false);
    errno = err;
    return rc;
fail:
    meta_restore(ks);
    batch_end(ks, true);
    errno = ENOMEM;
    return -1;
}
