/* keyspace_batch.c - the writer's batch: pending changes, then one commit.
 * Chapter 9.
 *
 * A batch keeps one overlay entry per key it touched, however often it
 * touched it: the encoded key, the pending value (NULL for a delete) and
 * whether the key was in the store when the batch first looked, which is
 * all the per-database counts need (keyspace_overlay.c keeps them, and
 * keeps its buffers between batches, so a batch of a thousand commands on
 * warm buffers allocates only its values).
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

/* Whether (phys, key) is the key resolved last, still encoded in kb. */
static bool is_last(const keyspace *ks, uint16_t phys, const void *key,
                    size_t klen)
{
    const unsigned char *p = ks->kb.p;
    return ks->last_valid && ks->last_klen == klen + 2 &&
           p[0] == (unsigned char)(phys >> 8) && p[1] == (unsigned char)phys &&
           (klen == 0 || memcmp(p + 2, key, klen) == 0);
}

static int resolve(keyspace *ks, unsigned db, const void *key, size_t klen,
                   ks_slot *out)
{
    assert(ks->in_batch && "keyspace: no batch is open");
    assert(db < ks->ndb && "keyspace: database out of range");
    out->phys = ks->map[db];
    out->klen = klen + 2;
    if (is_last(ks, out->phys, key, klen)) {
        out->k = ks->kb.p;
        out->h = ks->last_hash;
        out->e = ks->last_ent != SIZE_MAX ? &ks->ov.ents[ks->last_ent] : NULL;
        out->v = out->e != NULL ? out->e->v : ks->last_sv;
        return 0;
    }
    out->k = ks_encode(&ks->kb, out->phys, key, klen);
    if (out->k == NULL) {
        ks->last_valid = false;
        return -1;
    }
    out->h = hash_bytes(out->k, out->klen);
    out->e = ks_overlay_find(&ks->ov, out->k, out->klen, out->h);
    out->v = out->e != NULL ? out->e->v : store_get(ks->wr, out->k, out->klen);
    ks->last_valid = true;
    ks->last_klen = out->klen;
    ks->last_hash = out->h;
    ks->last_ent = out->e != NULL ? (size_t)(out->e - ks->ov.ents) : SIZE_MAX;
    ks->last_sv = out->v;
    return 0;
}

/* The entry for a resolved key, made when it has none. */
static ks_ent *slot_entry(keyspace *ks, ks_slot *s)
{
    if (s->e == NULL) {
        ks->last_valid = false; /* the index may move; kb may be reused */
        s->e = ks_overlay_add(&ks->ov, s->k, s->klen, s->h, s->v != NULL);
        if (s->e != NULL && s->k == ks->kb.p) {
            ks->last_valid = true;
            ks->last_ent = (size_t)(s->e - ks->ov.ents);
        }
    }
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

/* [ch09-swap] */
int keyspace_swap(keyspace *ks, unsigned a, unsigned b)
{
    /* learn: ch09 keyspace_swap "Sixteen databases in one store" */
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
    /* learn: end */
}
/* [ch09-swap] */

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
    if (ks_overlay_find(&f->ks->ov, key, klen, h) != NULL)
        return 0;
    return ks_overlay_add(&f->ks->ov, key, klen, h, true) != NULL ? 0 : -1;
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
    ks->last_valid = false; /* flush_one() adds entries */
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
    ks->last_valid = false;
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

/* [ch09-commit] */
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
/* [ch09-commit] */
