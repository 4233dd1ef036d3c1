/* pstream_group.c - consumer groups and consumers: records, lookups, edits.
 * Chapter 8.
 *
 * A group and a consumer are small records kept in pbtrees ordered by
 * name (Redis keeps both in radix trees, so this is its order too).  A
 * record starts with a pointer to its name's bytes and their length, so
 * that a search key is a record on the stack with only those two fields
 * set: lookups allocate nothing and may run on any reader thread.  A
 * record shared by versions is never changed; an edit copies it (about 64
 * bytes) and puts the copy in the tree.  Inside a transient a record
 * carries the transient's token once the transient has its own copy, and
 * is then changed in place.
 */
#include "pstream_private.h"

#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- records --------------------------------------------------------------- */

/* Groups and consumers both start with (name, name_len): compare those. */
typedef struct named {
    const unsigned char *name;
    uint32_t name_len;
} named;

static int name_cmp(const void *a, const void *b)
{
    const named *x = a, *y = b;
    return velem_cmp_bytes(x->name, x->name_len, y->name, y->name_len);
}

static void consumer_retain(void *p)
{
    ((pstream_consumer *)p)->refs++;
}

void pstream_consumer_release(pstream_consumer *c)
{
    if (c == NULL || --c->refs > 0)
        return;
    pbtree_release(c->pel);
    velem_release(c->name_el);
    pstream_count(-1);
    free(c);
}

static void consumer_release_op(void *p)
{
    pstream_consumer_release(p);
}

static size_t consumer_size(const void *p)
{
    const pstream_consumer *c = p;
    return sizeof *c + velem_bytes(c->name_el) + pbtree_bytes(c->pel);
}

const pbtree_ops pstream_consumer_ops = {
    .retain = consumer_retain,
    .release = consumer_release_op,
    .compare = name_cmp,
    .size = consumer_size,
};

static void group_retain(void *p)
{
    ((pstream_group *)p)->refs++;
}

static void group_release(pstream_group *g)
{
    if (g == NULL || --g->refs > 0)
        return;
    pbtree_release(g->pel);
    pbtree_release(g->consumers);
    velem_release(g->name_el);
    pstream_count(-1);
    free(g);
}

static void group_release_op(void *p)
{
    group_release(p);
}

static size_t group_size(const void *p)
{
    const pstream_group *g = p;
    return sizeof *g + velem_bytes(g->name_el) + pbtree_bytes(g->pel) +
           pbtree_bytes(g->consumers);
}

const pbtree_ops pstream_group_ops = {
    .retain = group_retain,
    .release = group_release_op,
    .compare = name_cmp,
    .size = group_size,
};

pstream_consumer *pstream_consumer_copy(const pstream_consumer *c,
                                        uint64_t edit)
{
    pstream_consumer *n = xmalloc(sizeof *n);
    if (n == NULL)
        return NULL;
    pstream_count(1);
    *n = *c;
    n->refs = 1;
    n->edit = edit;
    velem_retain(n->name_el);
    pbtree_retain(n->pel);
    return n;
}

static pstream_group *group_copy(const pstream_group *g, uint64_t edit)
{
    pstream_group *n = xmalloc(sizeof *n);
    if (n == NULL)
        return NULL;
    pstream_count(1);
    *n = *g;
    n->refs = 1;
    n->edit = edit;
    velem_retain(n->name_el);
    pbtree_retain(n->pel);
    pbtree_retain(n->consumers);
    return n;
}

/* ---- lookups ---------------------------------------------------------------- */

static bool key_ok(size_t len)
{
    return len <= VELEM_MAX_LEN;
}

static void *find_named(const pbtree *t, const void *name, size_t len)
{
    if (t == NULL || !key_ok(len))
        return NULL;
    named key = { name, (uint32_t)len };
    bool eq;
    size_t r = pbtree_rank(t, &key, &eq);
    return eq ? pbtree_get(t, r) : NULL;
}

pstream_group *pstream_group_find(const pstream *s, const void *name,
                                  size_t len)
{
    return find_named(s->groups, name, len);
}

pstream_consumer *pstream_consumer_find(const pbtree *consumers,
                                        const void *name, size_t len)
{
    return find_named(consumers, name, len);
}

const pstream_group *pstream_group_get(const pstream *s, const void *name,
                                       size_t len)
{
    return pstream_group_find(s, name, len);
}

const pstream_consumer *pstream_consumer_get(const pstream_group *g,
                                             const void *name, size_t len)
{
    return pstream_consumer_find(g->consumers, name, len);
}

size_t pstream_groups_len(const pstream *s)
{
    return s->groups != NULL ? pbtree_len(s->groups) : 0;
}

size_t pstream_group_pel_len(const pstream_group *g)
{
    return pbtree_len(g->pel);
}

size_t pstream_group_consumers_len(const pstream_group *g)
{
    return pbtree_len(g->consumers);
}

size_t pstream_consumer_pel_len(const pstream_consumer *c)
{
    return pbtree_len(c->pel);
}

void pstream_groups(pstream_iter *it, const pstream *s)
{
    pstream_iter_all(it, s->groups);
}

const pstream_group *pstream_groups_next(pstream_iter *it)
{
    return pstream_iter_step(it);
}

void pstream_consumers(pstream_iter *it, const pstream_group *g)
{
    pstream_iter_all(it, g->consumers);
}

const pstream_consumer *pstream_consumers_next(pstream_iter *it)
{
    return pstream_iter_step(it);
}

/* ---- the groups tree of a transient ---------------------------------------- */

pstream_group *pstream_own_group(pstream *w, const void *name, size_t len)
{
    pstream_group *g = pstream_group_find(w, name, len);
    if (g == NULL) {
        errno = ENOENT;
        return NULL;
    }
    if (g->edit == w->edit)
        return g;
    if (pstream_thaw(w, &w->groups) != 0)
        return NULL;
    pstream_group *n = group_copy(g, w->edit);
    if (n == NULL)
        return NULL;
    pbtree *t;
    int rc = pbtree_add(w->groups, n, true, &t);
    group_release(n); /* the tree holds it, or nobody does */
    return rc < 0 ? NULL : n;
}

/* ---- group edits ------------------------------------------------------------ */

int pstream_group_create(pstream *s, const void *name, size_t len,
                         pstream_id last_id, uint64_t entries_read,
                         pstream **out)
{
    if (!key_ok(len)) {
        errno = EINVAL;
        return -1;
    }
    if (pstream_group_find(s, name, len) != NULL) {
        *out = s->edit != 0 ? s : pstream_retain(s);
        return 0;
    }
    pstream_group *g = xcalloc(1, sizeof *g);
    if (g == NULL)
        return -1;
    pstream_count(1);
    g->refs = 1;
    g->name_el = velem_new(name, len);
    g->pel = pbtree_new(&pstream_nack_ops);
    g->consumers = pbtree_new(&pstream_consumer_ops);
    g->last_id = last_id;
    g->entries_read = entries_read;
    pstream *w = NULL;
    int rc = g->name_el && g->pel && g->consumers ? 0 : -1;
    if (rc == 0) {
        g->name = g->name_el->bytes;
        g->name_len = g->name_el->len;
        rc = pstream_edit_start(s, &w);
    }
    if (rc == 0) {
        g->edit = w->edit;
        if (w->groups == NULL) {
            w->groups = pbtree_new(&pstream_group_ops);
            rc = w->groups != NULL ? 0 : -1;
        }
    }
    if (rc == 0)
        rc = pstream_thaw(w, &w->groups);
    if (rc == 0) {
        pbtree *t;
        rc = pbtree_add(w->groups, g, false, &t) < 0 ? -1 : 0;
    }
    group_release(g);
    if (w != NULL)
        pstream_edit_finish(s, w, rc, true, out);
    return rc < 0 ? -1 : 1;
}

int pstream_group_destroy(pstream *s, const void *name, size_t len,
                          pstream **out)
{
    if (pstream_group_find(s, name, len) == NULL) {
        *out = s->edit != 0 ? s : pstream_retain(s);
        return 0;
    }
    pstream *w;
    int rc = pstream_edit_start(s, &w);
    if (rc == 0)
        rc = pstream_thaw(w, &w->groups);
    if (rc == 0) {
        named key = { name, (uint32_t)len };
        pbtree *t;
        rc = pbtree_remove(w->groups, &key, &t) < 0 ? -1 : 0;
    }
    pstream_edit_finish(s, w, rc, true, out);
    return rc < 0 ? -1 : 1;
}

int pstream_group_set_id(pstream *s, const void *name, size_t len,
                         pstream_id last_id, uint64_t entries_read,
                         pstream **out)
{
    if (pstream_group_find(s, name, len) == NULL) {
        errno = ENOENT;
        return -1;
    }
    pstream *w;
    int rc = pstream_edit_start(s, &w);
    pstream_group *g = NULL;
    if (rc == 0) {
        g = pstream_own_group(w, name, len);
        rc = g != NULL ? 0 : -1;
    }
    if (rc == 0) {
        g->last_id = last_id;
        g->entries_read = entries_read;
    }
    pstream_edit_finish(s, w, rc, true, out);
    return rc;
}

/* ---- consumer edits --------------------------------------------------------- */

pstream_consumer *pstream_consumer_new(const void *name, size_t len,
                                       int64_t seen, int64_t active,
                                       uint64_t edit)
{
    pstream_consumer *c = xcalloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    pstream_count(1);
    c->refs = 1;
    c->edit = edit;
    c->seen_time_ms = seen;
    c->active_time_ms = active;
    c->name_el = velem_new(name, len);
    c->pel = pbtree_new(&pstream_cpel_ops);
    if (c->name_el == NULL || c->pel == NULL) {
        pstream_consumer_release(c);
        return NULL;
    }
    c->name = c->name_el->bytes;
    c->name_len = c->name_el->len;
    return c;
}

/* Put c (new, or a copy replacing its old self) in the consumers tree of
 * the group w owns; the one visible step, so it is last. */
static int consumers_put(pstream *w, pstream_group *g, pstream_consumer *c)
{
    if (pstream_thaw(w, &g->consumers) != 0)
        return -1;
    pbtree *t;
    return pbtree_add(g->consumers, c, true, &t) < 0 ? -1 : 0;
}

int pstream_consumer_create(pstream *s, const void *group, size_t glen,
                            const void *name, size_t len, int64_t seen_ms,
                            int64_t active_ms, pstream **out)
{
    const pstream_group *g0 = pstream_group_find(s, group, glen);
    if (g0 == NULL || !key_ok(len)) {
        errno = g0 == NULL ? ENOENT : EINVAL;
        return -1;
    }
    if (pstream_consumer_find(g0->consumers, name, len) != NULL) {
        *out = s->edit != 0 ? s : pstream_retain(s);
        return 0;
    }
    pstream *w;
    int rc = pstream_edit_start(s, &w);
    pstream_group *g = NULL;
    pstream_consumer *c = NULL;
    if (rc == 0) {
        g = pstream_own_group(w, group, glen);
        c = pstream_consumer_new(name, len, seen_ms, active_ms, w->edit);
        rc = g != NULL && c != NULL ? 0 : -1;
    }
    if (rc == 0)
        rc = consumers_put(w, g, c);
    pstream_consumer_release(c);
    pstream_edit_finish(s, w, rc, true, out);
    return rc < 0 ? -1 : 1;
}

int pstream_consumer_touch(pstream *s, const void *group, size_t glen,
                           const void *name, size_t len, int64_t seen_ms,
                           int64_t active_ms, pstream **out)
{
    const pstream_group *g0 = pstream_group_find(s, group, glen);
    if (g0 == NULL || pstream_consumer_find(g0->consumers, name, len) ==
                          NULL) {
        errno = ENOENT;
        return -1;
    }
    pstream *w;
    int rc = pstream_edit_start(s, &w);
    pstream_group *g = NULL;
    pstream_consumer *c = NULL;
    if (rc == 0) {
        g = pstream_own_group(w, group, glen);
        rc = g != NULL ? 0 : -1;
    }
    if (rc == 0) {
        c = pstream_consumer_find(g->consumers, name, len);
        if (c->edit == w->edit) { /* ours: in place */
            c->seen_time_ms = seen_ms;
            if (active_ms != -1)
                c->active_time_ms = active_ms;
            c = NULL;
        } else {
            c = pstream_consumer_copy(c, w->edit);
            rc = c != NULL ? 0 : -1;
            if (rc == 0) {
                c->seen_time_ms = seen_ms;
                if (active_ms != -1)
                    c->active_time_ms = active_ms;
                rc = consumers_put(w, g, c);
            }
        }
    }
    pstream_consumer_release(c);
    pstream_edit_finish(s, w, rc, true, out);
    return rc;
}

long long pstream_consumer_delete(pstream *s, const void *group, size_t glen,
                                  const void *name, size_t len,
                                  pstream **out)
{
    const pstream_group *g0 = pstream_group_find(s, group, glen);
    if (g0 == NULL) {
        errno = ENOENT;
        return -1;
    }
    const pstream_consumer *c0 = pstream_consumer_find(g0->consumers, name,
                                                       len);
    if (c0 == NULL) {
        *out = s->edit != 0 ? s : pstream_retain(s);
        return 0;
    }
    long long k = (long long)pbtree_len(c0->pel);
    pstream *w;
    pbtree *wpel = NULL, *wcons = NULL, *t;
    pstream_group *g = NULL;
    int rc = pstream_edit_start(s, &w);
    if (rc == 0) {
        g = pstream_own_group(w, group, glen);
        rc = g != NULL ? 0 : -1;
    }
    /* Two trees change: edit private transients of both, swap at the end. */
    if (rc == 0) {
        wcons = pstream_fork_tree(&g->consumers);
        wpel = k > 0 ? pstream_fork_tree(&g->pel) : NULL;
        rc = wcons != NULL && (k == 0 || wpel != NULL) ? 0 : -1;
    }
    if (rc == 0 && k > 0) {
        const pstream_consumer *c = pstream_consumer_find(g->consumers,
                                                          name, len);
        pbtree_iter it;
        for (pbtree_iter_seek(&it, c->pel, 0); rc == 0 &&
                                               pbtree_iter_valid(&it);
             pbtree_iter_next(&it))
            rc = pbtree_remove(wpel, pbtree_iter_elem(&it), &t) < 0 ? -1 : 0;
    }
    if (rc == 0) {
        named key = { name, (uint32_t)len };
        rc = pbtree_remove(wcons, &key, &t) < 0 ? -1 : 0;
    }
    if (rc == 0) {
        pstream_swap_tree(&g->consumers, wcons, true);
        if (wpel != NULL)
            pstream_swap_tree(&g->pel, wpel, true);
    } else {
        pbtree_release(wcons);
        pbtree_release(wpel);
    }
    pstream_edit_finish(s, w, rc, true, out);
    return rc < 0 ? -1 : k;
}
