/* hamt_edit.c - building a new hamt version by path copying.
 * Chapter 5.
 *
 * Every write walks from the root to the key and makes each node on the way
 * "writable" first: a node that belongs to the current edit (its edit field
 * equals the edit's token) is changed in place; any other node is copied,
 * and the original goes on the garbage list because the new version no
 * longer reaches it.  Nodes are made writable top-down, before anything
 * below them changes, so that an allocation failure half-way leaves a
 * version with the same keys: a writable copy is equal to its original.
 * A caller that wants none of an edit's changes after all (a batch whose
 * later change failed) calls hamt_edit_abort(), which frees what the edit
 * made and returns to the version it started from.
 *
 * Deletion keeps the tree canonical: a subtree left with one key is
 * replaced by that key, and a branch left holding only a collision node is
 * replaced by the collision node (collision nodes do not depend on their
 * depth: all their keys have the same full hash).
 */
#include "hamt_private.h"
#include "alloc.h"
#include "hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* 1: a push-down whose insert failed is taken out again (see
 * set_in_collision).  (#ifndef only so that tests/broken/ch05_pushdown.c can
 * put the bug back for chapter 5's failing test; the library is always 1.) */
#ifndef HAMT_UNDO_PUSHDOWN
#define HAMT_UNDO_PUSHDOWN 1
#endif

/* ---- edits: allocation and garbage ------------------------------------- */

void hamt_edit_begin(hamt_edit *e, hamt_node *root, size_t bytes,
                     uint64_t token, hamt_hash_fn *hash)
{
    /* The garbage array survives from one edit to the next (the caller may
     * reuse a hamt_edit); a zeroed struct starts with none. */
    e->root = root;
    e->base = root;
    e->base_bytes = bytes;
    e->bytes = bytes;
    e->token = token;
    e->hash = hash != NULL ? hash : hash_bytes;
    e->ngarbage = 0;
}

int hamt_edit_reserve(hamt_edit *e, size_t more)
{
    if (e->capgarbage - e->ngarbage >= more)
        return 0;
    size_t cap = e->capgarbage ? e->capgarbage * 2 : 32;
    while (cap - e->ngarbage < more)
        cap *= 2;
    hamt_garbage *g = xrealloc(e->garbage, cap * sizeof *g);
    if (g == NULL) {
        errno = ENOMEM;
        return -1;
    }
    e->garbage = g;
    e->capgarbage = cap;
    return 0;
}

/* Room was reserved at the start of the operation, so this cannot fail. */
static void garbage_push(hamt_edit *e, void *p, void (*free_fn)(void *),
                         size_t bytes)
{
    e->garbage[e->ngarbage++] = (hamt_garbage){ p, free_fn, bytes };
}

int hamt_edit_defer(hamt_edit *e, void *p, void (*free_fn)(void *),
                    size_t bytes)
{
    if (hamt_edit_reserve(e, 1) != 0)
        return -1;
    garbage_push(e, p, free_fn, bytes);
    return 0;
}

void hamt_edit_end(hamt_edit *e,
                   void (*retire)(void *ctx, const hamt_garbage *g),
                   void *ctx)
{
    for (size_t i = 0; i < e->ngarbage; i++)
        retire(ctx, &e->garbage[i]);
    e->ngarbage = 0;
}

/* How a removed key copy is freed: its own function, so that
 * hamt_edit_abort() can tell key copies from nodes on the garbage list. */
static void key_free(void *p)
{
    free(p);
}

/* True if k is a key copy of the base version (the same pointer). */
static bool in_base(const hamt_edit *e, const hamt_key *k)
{
    const hamt_slot *s = hamt_find_slot(e->base, k->hash, k->bytes, k->len);
    return s != NULL && s->key == k;
}

/* Free the nodes of ours below nd, and the key copies they hold that the
 * base version does not: those are the edit's.  Shared nodes stop the
 * walk, because everything under them belongs to the base version. */
static void drop_ours(hamt_edit *e, hamt_node *nd)
{
    if (nd == NULL || nd->edit != e->token)
        return;
    for (uint32_t i = 0; i < nd->n; i++) {
        const hamt_key *k = nd->slots[i].key;
        if (k == NULL)
            drop_ours(e, nd->slots[i].u.child);
        else if (!in_base(e, k))
            free((void *)k);
    }
    free(nd);
}

/* [ch05-abort] */
void hamt_edit_abort(hamt_edit *e)
{
    drop_ours(e, e->root);
    /* A key the edit inserted and then deleted waits on the garbage list;
     * everything else there belongs to the base version or the caller. */
    for (size_t i = 0; i < e->ngarbage; i++) {
        hamt_garbage *g = &e->garbage[i];
        if (g->free_fn == key_free && !in_base(e, g->p))
            free(g->p);
    }
    e->ngarbage = 0;
    e->root = e->base;
    e->bytes = e->base_bytes;
}
/* [ch05-abort] */

void hamt_edit_release(hamt_edit *e)
{
    free(e->garbage);
    e->garbage = NULL;
    e->ngarbage = e->capgarbage = 0;
}

static hamt_node *node_new(hamt_edit *e, uint32_t n)
{
    hamt_node *nd = xmalloc(hamt_node_bytes(n));
    if (nd == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    nd->edit = e->token;
    nd->bitmap = 0;
    nd->n = n;
    nd->size = 0;
    e->bytes += hamt_node_bytes(n);
    return nd;
}

/* A node that leaves the version.  One of ours was never published, so no
 * reader can hold it and it is freed now; any other node may be in use by
 * a reader and waits on the garbage list for a grace period. */
static void node_leave(hamt_edit *e, hamt_node *nd)
{
    e->bytes -= hamt_node_bytes(nd->n);
    if (nd->edit == e->token)
        free(nd);
    else
        garbage_push(e, nd, free, hamt_node_bytes(nd->n));
}

/* [ch05-writable] */
/* Make *where a node this edit may change: ours already, or a fresh copy
 * (the original goes to the garbage list).  Returns 0 or -1 (ENOMEM). */
static int make_writable(hamt_edit *e, hamt_node **where)
{
    hamt_node *nd = *where;
    if (nd->edit == e->token)
        return 0; /* created by this edit, not published: change in place */
    hamt_node *c = node_new(e, nd->n);
    if (c == NULL)
        return -1;
    c->bitmap = nd->bitmap;
    c->size = nd->size;
    memcpy(c->slots, nd->slots, nd->n * sizeof(hamt_slot));
    node_leave(e, nd);
    *where = c;
    return 0;
}
/* [ch05-writable] */

/* Make *where a writable node with one more slot, a gap at pos. */
static int insert_gap(hamt_edit *e, hamt_node **where, unsigned pos)
{
    hamt_node *nd = *where;
    uint32_t n = nd->n;
    hamt_node *c;
    if (nd->edit == e->token) {
        c = xrealloc(nd, hamt_node_bytes(n + 1));
        if (c == NULL) {
            errno = ENOMEM;
            return -1;
        }
        memmove(&c->slots[pos + 1], &c->slots[pos],
                (n - pos) * sizeof(hamt_slot));
        e->bytes += sizeof(hamt_slot);
    } else {
        c = node_new(e, n + 1);
        if (c == NULL)
            return -1;
        c->bitmap = nd->bitmap;
        c->size = nd->size;
        memcpy(c->slots, nd->slots, pos * sizeof(hamt_slot));
        memcpy(&c->slots[pos + 1], &nd->slots[pos],
               (n - pos) * sizeof(hamt_slot));
        node_leave(e, nd);
    }
    c->n = n + 1;
    *where = c;
    return 0;
}

/* Remove slot pos from a node that is already writable.  Shrinking the
 * block is best effort: if realloc fails, the node keeps its old block. */
static void remove_slot(hamt_edit *e, hamt_node **where, unsigned pos)
{
    hamt_node *nd = *where;
    memmove(&nd->slots[pos], &nd->slots[pos + 1],
            (nd->n - pos - 1) * sizeof(hamt_slot));
    nd->n--;
    e->bytes -= sizeof(hamt_slot);
    hamt_node *c = xrealloc(nd, hamt_node_bytes(nd->n));
    if (c != NULL)
        *where = c;
}

static hamt_key *key_new(uint64_t h, const void *key, size_t klen)
{
    hamt_key *k = xmalloc(sizeof *k + klen);
    if (k == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    k->hash = h;
    k->len = klen;
    if (klen > 0)
        memcpy(k->bytes, key, klen);
    return k;
}

/* Free a chain of nodes this edit made and never linked (error path). */
static void drop_new_nodes(hamt_edit *e, hamt_node *nd)
{
    while (nd != NULL) {
        hamt_node *next = NULL;
        for (uint32_t i = 0; i < nd->n; i++)
            if (nd->slots[i].key == NULL)
                next = nd->slots[i].u.child;
        node_leave(e, nd);
        nd = next;
    }
}

/* ---- insert ------------------------------------------------------------- */

/** What set_in() carries down the path, and what it reports back. */
typedef struct set_args {
    uint64_t h;       /**< the key's hash */
    const void *key;  /**< key bytes */
    size_t klen;      /**< key length */
    void *val;        /**< the new value */
    hamt_key *newkey; /**< allocated up front when the key is new */
    void *replaced;   /**< out: the value replaced, or NULL */
    int added;        /**< out: 1 if the key was new */
} set_args;

/* A subtree at depth `shift` holding two keys with different hashes (or a
 * collision node when the hashes are equal). */
static hamt_node *pair_node(hamt_edit *e, unsigned shift,
                            const hamt_key *k0, void *v0,
                            const hamt_key *k1, void *v1)
{
    if (k0->hash == k1->hash) {
        hamt_node *c = node_new(e, 2);
        if (c == NULL)
            return NULL;
        c->slots[0] = (hamt_slot){ .key = k0, .u.val = v0 };
        c->slots[1] = (hamt_slot){ .key = k1, .u.val = v1 };
        c->size = 2;
        return c;
    }
    unsigned i0 = index_at(k0->hash, shift), i1 = index_at(k1->hash, shift);
    if (i0 == i1) { /* same piece at this depth: one child, one level down */
        hamt_node *sub = pair_node(e, shift + HAMT_BITS, k0, v0, k1, v1);
        if (sub == NULL)
            return NULL;
        hamt_node *nd = node_new(e, 1);
        if (nd == NULL) {
            drop_new_nodes(e, sub);
            return NULL;
        }
        nd->bitmap = UINT32_C(1) << i0;
        nd->slots[0] = (hamt_slot){ .key = NULL, .u.child = sub };
        nd->size = 2;
        return nd;
    }
    hamt_node *nd = node_new(e, 2);
    if (nd == NULL)
        return NULL;
    nd->bitmap = (UINT32_C(1) << i0) | (UINT32_C(1) << i1);
    hamt_slot a = { .key = k0, .u.val = v0 }, b = { .key = k1, .u.val = v1 };
    nd->slots[0] = i0 < i1 ? a : b;
    nd->slots[1] = i0 < i1 ? b : a;
    nd->size = 2;
    return nd;
}

static int set_in(hamt_edit *e, hamt_node **where, unsigned shift,
                  set_args *a);

static int set_in_collision(hamt_edit *e, hamt_node **where, unsigned shift,
                            set_args *a)
{
    hamt_node *nd = *where;
    uint64_t ch = nd->slots[0].key->hash;
    if (a->h == ch) {
        for (uint32_t i = 0; i < nd->n; i++) {
            if (key_is(nd->slots[i].key, a->h, a->key, a->klen)) {
                if (make_writable(e, where) != 0)
                    return -1;
                a->replaced = (*where)->slots[i].u.val;
                (*where)->slots[i].u.val = a->val;
                return 0;
            }
        }
        if (insert_gap(e, where, nd->n) != 0)
            return -1;
        nd = *where;
        nd->slots[nd->n - 1] = (hamt_slot){ .key = a->newkey, .u.val = a->val };
        nd->size++;
        a->added = 1;
        return 0;
    }
    /* A key with another hash reached this collision node: push the node
     * one level down under a new branch, then insert into the branch. */
    hamt_node *b = node_new(e, 1);
    if (b == NULL)
        return -1;
    b->bitmap = UINT32_C(1) << index_at(ch, shift);
    b->slots[0] = (hamt_slot){ .key = NULL, .u.child = nd };
    b->size = nd->size;
    *where = b;
    int rc = set_in(e, where, shift, a);
    if (rc == 0 || !HAMT_UNDO_PUSHDOWN)
        return rc;
    /* The insert below failed and left b as it was: one child, the
     * collision node (a deeper push-down undid itself the same way).  A
     * branch holding only a collision node is not canonical: take b out
     * again, so the version is exactly what it was. */
    b = *where;
    *where = b->slots[0].u.child;
    node_leave(e, b);
    return -1;
}

/* [ch05-set-in] */
static int set_in(hamt_edit *e, hamt_node **where, unsigned shift,
                  set_args *a)
{
    /* learn: ch05 set_in "Path copying" */
    if (is_collision(*where))
        return set_in_collision(e, where, shift, a);
    uint32_t bit = UINT32_C(1) << index_at(a->h, shift);
    unsigned pos = slot_pos((*where)->bitmap, bit);
    if (((*where)->bitmap & bit) == 0) { /* free index: the key goes here */
        if (insert_gap(e, where, pos) != 0)
            return -1;
        hamt_node *nd = *where;
        nd->bitmap |= bit;
        nd->slots[pos] = (hamt_slot){ .key = a->newkey, .u.val = a->val };
        nd->size++;
        a->added = 1;
        return 0;
    }
    if (make_writable(e, where) != 0) /* copy this node before going on */
        return -1;
    hamt_node *nd = *where;
    hamt_slot *s = &nd->slots[pos];
    if (s->key == NULL) { /* a subtree: path-copy one level down */
        if (set_in(e, &s->u.child, shift + HAMT_BITS, a) != 0)
            return -1;
        nd->size += (size_t)a->added;
        return 0;
    }
    if (key_is(s->key, a->h, a->key, a->klen)) { /* replace the value */
        a->replaced = s->u.val;
        s->u.val = a->val;
        return 0;
    }
    /* Another key holds this index: both move into a new subtree. */
    hamt_node *sub = pair_node(e, shift + HAMT_BITS, s->key, s->u.val,
                               a->newkey, a->val);
    if (sub == NULL)
        return -1;
    *s = (hamt_slot){ .key = NULL, .u.child = sub };
    nd->size++;
    a->added = 1;
    return 0;
    /* learn: end */
}
/* [ch05-set-in] */

int hamt_edit_set(hamt_edit *e, const void *key, size_t klen, void *val,
                  void **replaced)
{
    set_args a = { .h = e->hash(key, klen), .key = key, .klen = klen,
                   .val = val };
    /* At most one node per level, plus a pushed-down collision node. */
    if (hamt_edit_reserve(e, HAMT_EDIT_RESERVE) != 0)
        return -1;
    if (hamt_find_slot(e->root, a.h, key, klen) == NULL) {
        a.newkey = key_new(a.h, key, klen);
        if (a.newkey == NULL)
            return -1;
    }
    int rc;
    if (e->root == NULL) {
        hamt_node *r = node_new(e, 1);
        rc = r != NULL ? 0 : -1;
        if (r != NULL) {
            r->bitmap = UINT32_C(1) << index_at(a.h, 0);
            r->slots[0] = (hamt_slot){ .key = a.newkey, .u.val = val };
            r->size = 1;
            e->root = r;
        }
    } else {
        rc = set_in(e, &e->root, 0, &a);
    }
    if (rc != 0) {
        free(a.newkey);
        return -1;
    }
    if (a.newkey != NULL)
        e->bytes += key_bytes(a.newkey);
    *replaced = a.replaced;
    return 0;
}

/* ---- delete ------------------------------------------------------------- */

/** What del_in() carries down the path, and what it reports back. */
typedef struct del_args {
    uint64_t h;             /**< the key's hash */
    const void *key;        /**< key bytes */
    size_t klen;            /**< key length */
    const hamt_key *oldkey; /**< out: the removed key copy */
    void *oldval;           /**< out: the removed value */
} del_args;

/* [ch05-del-in] */
/* Remove a key known to be in the subtree *where. */
static int del_in(hamt_edit *e, hamt_node **where, unsigned shift,
                  del_args *a)
{
    /* learn: ch05 del_in "Deleting, and keeping one shape per key set" */
    if (make_writable(e, where) != 0)
        return -1;
    hamt_node *nd = *where;
    unsigned pos;
    if (is_collision(nd)) {
        for (pos = 0; !key_is(nd->slots[pos].key, a->h, a->key, a->klen);)
            pos++;
    } else {
        uint32_t bit = UINT32_C(1) << index_at(a->h, shift);
        pos = slot_pos(nd->bitmap, bit);
        hamt_slot *s = &nd->slots[pos];
        if (s->key == NULL) {
            if (del_in(e, &s->u.child, shift + HAMT_BITS, a) != 0)
                return -1;
            nd->size--;
            hamt_node *c = s->u.child; /* writable now: made so below */
            if (c->size == 1) {
                /* One key left down there: it moves up into this slot. */
                *s = c->slots[0];
                node_leave(e, c);
            } else if (!is_collision(c) && c->n == 1 &&
                       c->slots[0].key == NULL &&
                       is_collision(c->slots[0].u.child)) {
                /* A branch holding only a collision node: skip it. */
                s->u.child = c->slots[0].u.child;
                node_leave(e, c);
            }
            return 0;
        }
        nd->bitmap &= ~bit;
    }
    a->oldkey = nd->slots[pos].key;
    a->oldval = nd->slots[pos].u.val;
    remove_slot(e, where, pos);
    (*where)->size--;
    return 0;
    /* learn: end */
}
/* [ch05-del-in] */

int hamt_edit_del(hamt_edit *e, const void *key, size_t klen, void **removed)
{
    del_args a = { .h = e->hash(key, klen), .key = key, .klen = klen };
    if (hamt_find_slot(e->root, a.h, key, klen) == NULL)
        return 0; /* absent: nothing copied, nothing to publish */
    if (hamt_edit_reserve(e, HAMT_EDIT_RESERVE) != 0)
        return -1;
    if (del_in(e, &e->root, 0, &a) != 0)
        return -1;
    if (e->root->n == 0) { /* the last key is gone */
        node_leave(e, e->root);
        e->root = NULL;
    }
    e->bytes -= key_bytes(a.oldkey);
    garbage_push(e, (void *)a.oldkey, key_free, key_bytes(a.oldkey));
    *removed = a.oldval;
    return 1;
}
