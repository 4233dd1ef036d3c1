/* pstream_build.c - building a stream from an RDB file, and checking one.
 * Chapter 8.
 *
 * An RDB file gives a stream in an order a builder can follow without
 * looking back: the entries, ascending; the metadata; then per group its
 * PEL (ID, delivery time, delivery count, but no owner) and its
 * consumers, each with the IDs it owns (redis/redis src/rdb.c,
 * rdbLoadObject()).  The builder therefore makes each nack without an
 * owner, in the transient's own trees (in place, so loading a PEL of n
 * entries copies each node once), and sets the owner when the consumer
 * that owns it arrives: a record the transient made and nobody else has
 * seen may be finished in place.  The checker then finds any nack that
 * no consumer claimed, which Redis's loader rejects too ("Stream CG PEL
 * entry without consumer").
 */
#include "pstream_private.h"

#include "alloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

/* ---- building --------------------------------------------------------------- */

static const pstream_entry *edge(const pstream *s, bool last)
{
    size_t n = pbtree_len(s->entries);
    return n == 0 ? NULL : pbtree_get(s->entries, last ? n - 1 : 0);
}

int pstream_build_meta(pstream *s, pstream_id last_id, pstream_id first_id,
                       pstream_id max_deleted_id, uint64_t entries_added,
                       char *err, size_t errlen, pstream **out)
{
    const pstream_entry *first = edge(s, false), *last = edge(s, true);
    pstream_id f = first != NULL ? pstream_entry_id(first)
                                 : (pstream_id){ 0, 0 };
    errno = EINVAL;
    if (last != NULL && pstream_id_cmp(last_id, pstream_entry_id(last)) < 0)
        return pstream_fail(err, errlen, "stream last ID %" PRIu64 "-%"
                            PRIu64 " is below its last entry's", last_id.ms,
                            last_id.seq);
    if (pstream_id_cmp(first_id, f) != 0)
        return pstream_fail(err, errlen, "stream first ID %" PRIu64 "-%"
                            PRIu64 " is not its first entry's (%" PRIu64
                            "-%" PRIu64 ")", first_id.ms, first_id.seq,
                            f.ms, f.seq);
    if (pstream_id_cmp(max_deleted_id, last_id) > 0)
        return pstream_fail(err, errlen, "stream max deleted ID %" PRIu64
                            "-%" PRIu64 " is above its last ID",
                            max_deleted_id.ms, max_deleted_id.seq);
    if (entries_added < pbtree_len(s->entries))
        return pstream_fail(err, errlen, "stream entries added %" PRIu64
                            " is below its length %zu", entries_added,
                            pbtree_len(s->entries));
    pstream *w;
    int rc = pstream_edit_start(s, &w);
    if (rc == 0) {
        w->last_id = last_id;
        w->first_id = first_id;
        w->max_deleted_id = max_deleted_id;
        w->entries_added = entries_added;
    } else {
        pstream_fail(err, errlen, "out of memory");
    }
    pstream_edit_finish(s, w, rc, true, out);
    return rc;
}

int pstream_build_nack(pstream *s, const void *group, size_t glen,
                       pstream_id id, int64_t delivery_time_ms,
                       uint64_t delivery_count, pstream **out)
{
    const pstream_group *g0 = pstream_group_find(s, group, glen);
    if (g0 == NULL || pstream_pel_get(g0, id) != NULL) {
        errno = g0 == NULL ? ENOENT : EEXIST;
        return -1;
    }
    pstream *w;
    int rc = pstream_edit_start(s, &w);
    pstream_group *g = NULL;
    pstream_nack *n = NULL;
    if (rc == 0) {
        g = pstream_own_group(w, group, glen);
        rc = g != NULL ? pstream_thaw(w, &g->pel) : -1;
    }
    if (rc == 0) {
        n = pstream_nack_new(id, delivery_time_ms, delivery_count, NULL,
                             w->edit);
        rc = n != NULL ? 0 : -1;
    }
    if (rc == 0) {
        pbtree *t;
        rc = pbtree_add(g->pel, n, false, &t) < 0 ? -1 : 0;
    }
    pstream_nack_release(n);
    pstream_edit_finish(s, w, rc, true, out);
    return rc;
}

int pstream_build_consumer(pstream *s, const void *group, size_t glen,
                           const void *name, size_t len, int64_t seen_ms,
                           int64_t active_ms, const pstream_id *ids,
                           size_t nids, pstream **out)
{
    const pstream_group *g0 = pstream_group_find(s, group, glen);
    if (g0 == NULL) {
        errno = ENOENT;
        return -1;
    }
    if (pstream_consumer_find(g0->consumers, name, len) != NULL) {
        errno = EEXIST;
        return -1;
    }
    /* Every check first: nothing is changed unless all pass. */
    for (size_t i = 0; i < nids; i++) {
        const pstream_nack *n = pstream_pel_get(g0, ids[i]);
        if (i > 0 && pstream_id_cmp(ids[i - 1], ids[i]) >= 0) {
            errno = EINVAL;
            return -1;
        }
        if (n == NULL || n->owner != NULL) {
            errno = n == NULL ? ENOENT : EEXIST;
            return -1;
        }
        if (n->edit != s->edit || s->edit == 0) {
            errno = EINVAL; /* not made by this transient's builder */
            return -1;
        }
    }
    pstream_nack **arr = nids > 0 ? xmalloc(nids * sizeof *arr) : NULL;
    if (nids > 0 && arr == NULL)
        return -1;
    for (size_t i = 0; i < nids; i++)
        arr[i] = (pstream_nack *)pstream_pel_get(g0, ids[i]);
    pstream *w;
    pstream_group *g = NULL;
    pstream_consumer *c = NULL;
    pbtree *pel = NULL, *t;
    int rc = pstream_edit_start(s, &w);
    if (rc == 0) {
        g = pstream_own_group(w, group, glen);
        c = pstream_consumer_new(name, len, seen_ms, active_ms, w->edit);
        rc = g != NULL && c != NULL
                 ? pbtree_from_array(&pstream_cpel_ops, (void *const *)arr,
                                     nids, &pel)
                 : -1;
    }
    if (rc == 0) {
        pbtree_release(c->pel);
        c->pel = pel;
        rc = pstream_thaw(w, &g->consumers);
    }
    if (rc == 0)
        rc = pbtree_add(g->consumers, c, false, &t) < 0 ? -1 : 0;
    if (rc == 0) /* the nacks are this transient's own, unseen: finish them */
        for (size_t i = 0; i < nids; i++)
            arr[i]->owner = velem_retain(c->name_el);
    pstream_consumer_release(c);
    free(arr);
    pstream_edit_finish(s, w, rc, true, out);
    return rc;
}

/* ---- checking ---------------------------------------------------------------- */

static int tree_ok(const pbtree *t, const char *what, char *err,
                   size_t errlen)
{
    char e[200];
    if (pbtree_check(t, e, sizeof e) != 0)
        return pstream_fail(err, errlen, "%s: %s", what, e);
    return 0;
}

static int check_group(const pstream_group *g, char *err, size_t errlen)
{
    const char *gn = (const char *)g->name;
    if (g->name_el == NULL || g->name != g->name_el->bytes ||
        g->name_len != g->name_el->len || g->refs == 0)
        return pstream_fail(err, errlen, "group %s: bad record", gn);
    if (tree_ok(g->pel, "group PEL", err, errlen) != 0 ||
        tree_ok(g->consumers, "consumers", err, errlen) != 0)
        return -1;
    size_t owned = 0;
    pbtree_iter it;
    for (pbtree_iter_seek(&it, g->consumers, 0); pbtree_iter_valid(&it);
         pbtree_iter_next(&it)) {
        const pstream_consumer *c = pbtree_iter_elem(&it);
        const char *cn = (const char *)c->name;
        if (c->name_el == NULL || c->name != c->name_el->bytes ||
            c->name_len != c->name_el->len || c->refs == 0)
            return pstream_fail(err, errlen, "group %s: consumer %s: bad "
                                "record", gn, cn);
        if (tree_ok(c->pel, "consumer PEL", err, errlen) != 0)
            return -1;
        pbtree_iter jt;
        for (pbtree_iter_seek(&jt, c->pel, 0); pbtree_iter_valid(&jt);
             pbtree_iter_next(&jt)) {
            const pstream_nack *n = pbtree_iter_elem(&jt);
            if (pstream_pel_get(g, n->id) != n)
                return pstream_fail(err, errlen, "group %s: consumer %s: "
                                    "pending %" PRIu64 "-%" PRIu64 " is not "
                                    "the group's", gn, cn, n->id.ms,
                                    n->id.seq);
            if (n->owner == NULL ||
                !velem_eq(n->owner, c->name, c->name_len))
                return pstream_fail(err, errlen, "group %s: consumer %s: "
                                    "pending %" PRIu64 "-%" PRIu64 " names "
                                    "another owner", gn, cn, n->id.ms,
                                    n->id.seq);
        }
        owned += pbtree_len(c->pel);
    }
    for (pbtree_iter_seek(&it, g->pel, 0); pbtree_iter_valid(&it);
         pbtree_iter_next(&it)) {
        const pstream_nack *n = pbtree_iter_elem(&it);
        if (n->owner == NULL)
            return pstream_fail(err, errlen, "group %s: pending %" PRIu64
                                "-%" PRIu64 " has no consumer", gn,
                                n->id.ms, n->id.seq);
        if (n->refs < 2) /* the group's PEL and its owner's */
            return pstream_fail(err, errlen, "group %s: pending %" PRIu64
                                "-%" PRIu64 " held by fewer than two trees",
                                gn, n->id.ms, n->id.seq);
        const pstream_consumer *c = pstream_consumer_get(
            g, n->owner->bytes, n->owner->len);
        if (c == NULL)
            return pstream_fail(err, errlen, "group %s: pending %" PRIu64
                                "-%" PRIu64 " owned by absent consumer %s",
                                gn, n->id.ms, n->id.seq, n->owner->bytes);
        pstream_nack key = { .id = n->id };
        bool eq;
        size_t r = pbtree_rank(c->pel, &key, &eq);
        if (!eq || pbtree_get(c->pel, r) != n)
            return pstream_fail(err, errlen, "group %s: pending %" PRIu64
                                "-%" PRIu64 " missing from consumer %s's "
                                "PEL", gn, n->id.ms, n->id.seq,
                                n->owner->bytes);
    }
    if (owned != pbtree_len(g->pel))
        return pstream_fail(err, errlen, "group %s: consumers own %zu "
                            "pending, the group has %zu", gn, owned,
                            pbtree_len(g->pel));
    return 0;
}

int pstream_check(const pstream *s, char *err, size_t errlen)
{
    if (s->refs == 0)
        return pstream_fail(err, errlen, "stream has no references");
    if (tree_ok(s->entries, "entries", err, errlen) != 0)
        return -1;
    const pstream_entry *first = edge(s, false), *last = edge(s, true);
    pstream_id f = first ? pstream_entry_id(first) : (pstream_id){ 0, 0 };
    if (last != NULL && pstream_id_cmp(pstream_entry_id(last),
                                       s->last_id) > 0)
        return pstream_fail(err, errlen, "last entry above last ID %" PRIu64
                            "-%" PRIu64, s->last_id.ms, s->last_id.seq);
    if (pstream_id_cmp(f, s->first_id) != 0)
        return pstream_fail(err, errlen, "first ID %" PRIu64 "-%" PRIu64
                            " is not the first entry's %" PRIu64 "-%" PRIu64,
                            s->first_id.ms, s->first_id.seq, f.ms, f.seq);
    if (pstream_id_cmp(s->max_deleted_id, s->last_id) > 0)
        return pstream_fail(err, errlen, "max deleted ID above last ID");
    if (s->entries_added < pbtree_len(s->entries))
        return pstream_fail(err, errlen, "entries added %" PRIu64
                            " below length %zu", s->entries_added,
                            pbtree_len(s->entries));
    if (s->groups == NULL)
        return 0;
    if (tree_ok(s->groups, "groups", err, errlen) != 0)
        return -1;
    pbtree_iter it;
    for (pbtree_iter_seek(&it, s->groups, 0); pbtree_iter_valid(&it);
         pbtree_iter_next(&it))
        if (check_group(pbtree_iter_elem(&it), err, errlen) != 0)
            return -1;
    return 0;
}
