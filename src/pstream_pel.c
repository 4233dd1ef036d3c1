/* pstream_pel.c - pending entries lists: XREADGROUP deliveries, XACK, XCLAIM.
 * Chapter 8.
 *
 * A pending entry is one immutable nack record (ID, delivery time,
 * delivery count, owner's name) held by two trees: the group's PEL and
 * its owner's PEL, both ordered by ID.  Redis does the same with one
 * streamNACK in two radix trees (redis/redis src/stream.h).  Changing a
 * delivery makes a new record and puts it in both trees, so every edit
 * here touches up to four trees: the group PEL, the new owner's PEL, the
 * old owner's PEL and the consumers tree that holds both owners.  The
 * consumer PELs are edited as versions inside fresh consumer records; the
 * group PEL and the consumers tree as private transients (forked from the
 * group's), swapped in only when every step has succeeded.  O(log n) per
 * edit, and a failure leaves the stream exactly as it was.
 */
#include "pstream_private.h"

#include "alloc.h"

#include <errno.h>
#include <stdlib.h>

/* ---- nack records ------------------------------------------------------------ */

static void nack_retain(void *p)
{
    ((pstream_nack *)p)->refs++;
}

void pstream_nack_release(pstream_nack *n)
{
    if (n == NULL || --n->refs > 0)
        return;
    velem_release(n->owner);
    pstream_count(-1);
    free(n);
}

static void nack_release_op(void *p)
{
    pstream_nack_release(p);
}

static int nack_cmp(const void *a, const void *b)
{
    return pstream_id_cmp(((const pstream_nack *)a)->id,
                          ((const pstream_nack *)b)->id);
}

static size_t nack_size(const void *p)
{
    (void)p;
    return sizeof(pstream_nack);
}

const pbtree_ops pstream_nack_ops = {
    .retain = nack_retain,
    .release = nack_release_op,
    .compare = nack_cmp,
    .size = nack_size,
};

const pbtree_ops pstream_cpel_ops = {
    .retain = nack_retain,
    .release = nack_release_op,
    .compare = nack_cmp,
    .size = NULL,
};

pstream_nack *pstream_nack_new(pstream_id id, int64_t time, uint64_t count,
                               velem *owner, uint64_t edit)
{
    pstream_nack *n = xmalloc(sizeof *n);
    if (n == NULL)
        return NULL;
    pstream_count(1);
    n->refs = 1;
    n->spare = 0;
    n->edit = edit;
    n->id = id;
    n->delivery_time_ms = time;
    n->delivery_count = count;
    n->owner = velem_retain(owner);
    return n;
}

/* ---- reads ---------------------------------------------------------------------- */

static const pstream_nack *tree_nack(const pbtree *t, pstream_id id)
{
    pstream_nack key = { .id = id };
    bool eq;
    size_t r = pbtree_rank(t, &key, &eq);
    return eq ? pbtree_get(t, r) : NULL;
}

const pstream_nack *pstream_pel_get(const pstream_group *g, pstream_id id)
{
    return tree_nack(g->pel, id);
}

void pstream_pel_range(pstream_iter *it, const pstream_group *g,
                       pstream_id lo, pstream_id hi, bool rev)
{
    pstream_iter_ids(it, g->pel, PSTREAM_IT_NACKS, lo, hi, rev);
}

void pstream_consumer_pel_range(pstream_iter *it, const pstream_consumer *c,
                                pstream_id lo, pstream_id hi, bool rev)
{
    pstream_iter_ids(it, c->pel, PSTREAM_IT_NACKS, lo, hi, rev);
}

const pstream_nack *pstream_pel_next(pstream_iter *it)
{
    return pstream_iter_step(it);
}

/* ---- edits ------------------------------------------------------------------------ */

/* A copy of c (owned by edit) whose PEL has n put in (replacing the nack of
 * its ID), or, with n NULL, the nack of id taken out. */
static pstream_consumer *consumer_with(const pstream_consumer *c,
                                       uint64_t edit, pstream_nack *n,
                                       pstream_id id)
{
    pstream_consumer *k = pstream_consumer_copy(c, edit);
    if (k == NULL)
        return NULL;
    pbtree *t;
    pstream_nack key = { .id = id };
    int rc = n != NULL ? pbtree_add(k->pel, n, true, &t)
                       : pbtree_remove(k->pel, &key, &t);
    if (rc < 0) {
        pstream_consumer_release(k);
        return NULL;
    }
    pbtree_release(k->pel);
    k->pel = t;
    return k;
}

/* The work of one PEL edit of group g (owned by w): the new nack n (NULL
 * for an acknowledgement), the new owner's and the old owner's records. */
typedef struct pel_edit {
    pbtree *wpel, *wcons;
    pstream_consumer *to, *from;
} pel_edit;

static void pel_edit_drop(pel_edit *e)
{
    pbtree_release(e->wpel);
    pbtree_release(e->wcons);
    pstream_consumer_release(e->to);
    pstream_consumer_release(e->from);
}

/* Set id's nack to n (owned by consumer c) or, with n NULL, remove it;
 * old is the nack now pending for id (or NULL).  Atomic. */
static int pel_apply(pstream *w, pstream_group *g, pstream_id id,
                     pstream_nack *n, const pstream_consumer *c,
                     const pstream_nack *old)
{
    pel_edit e = { NULL, NULL, NULL, NULL };
    const pstream_consumer *oc = NULL;
    if (old != NULL && old->owner != NULL &&
        (c == NULL || !velem_eq(old->owner, c->name, c->name_len)))
        oc = pstream_consumer_find(g->consumers, old->owner->bytes,
                                   old->owner->len);
    int rc = 0;
    pbtree *t;
    e.wpel = pstream_fork_tree(&g->pel);
    if (e.wpel == NULL)
        rc = -1;
    if (rc == 0 && (c != NULL || oc != NULL)) {
        e.wcons = pstream_fork_tree(&g->consumers);
        rc = e.wcons != NULL ? 0 : -1;
    }
    if (rc == 0 && c != NULL) {
        e.to = consumer_with(c, w->edit, n, id);
        rc = e.to != NULL ? 0 : -1;
    }
    if (rc == 0 && oc != NULL) {
        e.from = consumer_with(oc, w->edit, NULL, id);
        rc = e.from != NULL ? 0 : -1;
    }
    if (rc == 0) {
        pstream_nack key = { .id = id };
        rc = n != NULL ? pbtree_add(e.wpel, n, true, &t)
                       : pbtree_remove(e.wpel, &key, &t);
        rc = rc < 0 ? -1 : 0;
    }
    if (rc == 0 && e.to != NULL)
        rc = pbtree_add(e.wcons, e.to, true, &t) < 0 ? -1 : 0;
    if (rc == 0 && e.from != NULL)
        rc = pbtree_add(e.wcons, e.from, true, &t) < 0 ? -1 : 0;
    if (rc == 0) { /* nothing can fail from here on */
        pstream_swap_tree(&g->pel, e.wpel, true);
        e.wpel = NULL;
        if (e.wcons != NULL) {
            pstream_swap_tree(&g->consumers, e.wcons, true);
            e.wcons = NULL;
        }
    }
    pel_edit_drop(&e);
    return rc;
}

/* pel_add and pel_claim: claim_only leaves an ID that is not pending. */
static int pel_set(pstream *s, const void *group, size_t glen, pstream_id id,
                   const void *consumer, size_t clen, int64_t time,
                   uint64_t count, bool claim_only, pstream **out)
{
    const pstream_group *g0 = pstream_group_find(s, group, glen);
    if (g0 == NULL ||
        pstream_consumer_find(g0->consumers, consumer, clen) == NULL) {
        errno = ENOENT;
        return -1;
    }
    const pstream_nack *old = tree_nack(g0->pel, id);
    if (claim_only && old == NULL) {
        *out = s->edit != 0 ? s : pstream_retain(s);
        return 0;
    }
    pstream *w;
    int rc = pstream_edit_start(s, &w);
    pstream_group *g = NULL;
    pstream_nack *n = NULL;
    if (rc == 0) {
        g = pstream_own_group(w, group, glen);
        rc = g != NULL ? 0 : -1;
    }
    const pstream_consumer *c = NULL;
    if (rc == 0) {
        c = pstream_consumer_find(g->consumers, consumer, clen);
        n = pstream_nack_new(id, time, count, c->name_el, w->edit);
        rc = n != NULL ? 0 : -1;
    }
    if (rc == 0)
        rc = pel_apply(w, g, id, n, c, old);
    pstream_nack_release(n);
    pstream_edit_finish(s, w, rc, true, out);
    if (rc < 0)
        return -1;
    return claim_only || old == NULL ? 1 : 0;
}

int pstream_pel_add(pstream *s, const void *group, size_t glen,
                    pstream_id id, const void *consumer, size_t clen,
                    int64_t delivery_time_ms, uint64_t delivery_count,
                    pstream **out)
{
    return pel_set(s, group, glen, id, consumer, clen, delivery_time_ms,
                   delivery_count, false, out);
}

int pstream_pel_claim(pstream *s, const void *group, size_t glen,
                      pstream_id id, const void *consumer, size_t clen,
                      int64_t delivery_time_ms, uint64_t delivery_count,
                      pstream **out)
{
    return pel_set(s, group, glen, id, consumer, clen, delivery_time_ms,
                   delivery_count, true, out);
}

int pstream_pel_ack(pstream *s, const void *group, size_t glen,
                    pstream_id id, pstream **out)
{
    const pstream_group *g0 = pstream_group_find(s, group, glen);
    if (g0 == NULL) {
        errno = ENOENT;
        return -1;
    }
    const pstream_nack *old = tree_nack(g0->pel, id);
    if (old == NULL) {
        *out = s->edit != 0 ? s : pstream_retain(s);
        return 0;
    }
    pstream *w;
    int rc = pstream_edit_start(s, &w);
    pstream_group *g = NULL;
    if (rc == 0) {
        g = pstream_own_group(w, group, glen);
        rc = g != NULL ? 0 : -1;
    }
    if (rc == 0)
        rc = pel_apply(w, g, id, NULL, NULL, tree_nack(g->pel, id));
    pstream_edit_finish(s, w, rc, true, out);
    return rc < 0 ? -1 : 1;
}
