/* pstream_entry.c - stream entries: XADD, XDEL, XTRIM, XSETID and ranges.
 * Chapter 8.
 *
 * An entry is one immutable allocation: a 24-byte header (reference
 * count, pair count, ID), 2 * nfields + 1 offsets of 4 bytes, then every
 * field and value with a NUL after each.  One allocation instead of one
 * per string keeps a two-field entry with short strings in one 64-byte
 * malloc chunk, and the offsets make the i-th string O(1).  Entries are
 * shared by every version that holds them and freed by the last.  Each
 * edit here changes one tree (the entries) and then the metadata, which
 * cannot fail, so it is atomic on a transient as it is.
 */
#include "pstream_private.h"

#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- entry records --------------------------------------------------------- */

static void entry_retain(void *e)
{
    ((pstream_entry *)e)->refs++;
}

static void entry_release(void *e)
{
    pstream_entry *en = e;
    if (en != NULL && --en->refs == 0) {
        pstream_count(-1);
        free(en);
    }
}

static int entry_cmp(const void *a, const void *b)
{
    return pstream_id_cmp(((const pstream_entry *)a)->id,
                          ((const pstream_entry *)b)->id);
}

static size_t entry_size(const void *e)
{
    const pstream_entry *en = e;
    return sizeof *en + (2 * (size_t)en->nfields + 1) * sizeof en->off[0] +
           en->off[2 * en->nfields];
}

const pbtree_ops pstream_entry_ops = {
    .retain = entry_retain,
    .release = entry_release,
    .compare = entry_cmp,
    .size = entry_size,
};

static const unsigned char *entry_bytes(const pstream_entry *e)
{
    return (const unsigned char *)&e->off[2 * (size_t)e->nfields + 1];
}

static pstream_entry *entry_new(pstream_id id, const pstream_str *fv,
                                size_t nfields)
{
    size_t nstr = 2 * nfields, total = 0;
    if (nfields > UINT32_MAX / 4) {
        errno = EINVAL;
        return NULL;
    }
    for (size_t i = 0; i < nstr; i++) {
        if (fv[i].len > UINT32_MAX - 1 - total) {
            errno = EINVAL; /* offsets are 32-bit: 4 GiB per entry */
            return NULL;
        }
        total += fv[i].len + 1;
    }
    size_t head = sizeof(pstream_entry) + (nstr + 1) * sizeof(uint32_t);
    pstream_entry *e = xmalloc(head + total);
    if (e == NULL)
        return NULL;
    pstream_count(1);
    e->refs = 1;
    e->nfields = (uint32_t)nfields;
    e->id = id;
    unsigned char *b = (unsigned char *)e + head;
    uint32_t at = 0;
    for (size_t i = 0; i < nstr; i++) {
        e->off[i] = at;
        if (fv[i].len > 0)
            memcpy(b + at, fv[i].p, fv[i].len);
        at += (uint32_t)fv[i].len;
        b[at++] = '\0';
    }
    e->off[nstr] = at;
    return e;
}

pstream_id pstream_entry_id(const pstream_entry *e)
{
    return e->id;
}

size_t pstream_entry_nfields(const pstream_entry *e)
{
    return e->nfields;
}

static const unsigned char *entry_str(const pstream_entry *e, size_t j,
                                      size_t *len)
{
    *len = e->off[j + 1] - e->off[j] - 1;
    return entry_bytes(e) + e->off[j];
}

const unsigned char *pstream_entry_field(const pstream_entry *e, size_t i,
                                         size_t *len)
{
    return entry_str(e, 2 * i, len);
}

const unsigned char *pstream_entry_value(const pstream_entry *e, size_t i,
                                         size_t *len)
{
    return entry_str(e, 2 * i + 1, len);
}

/* ---- reads ------------------------------------------------------------------ */

const pstream_entry *pstream_get(const pstream *s, pstream_id id)
{
    struct pstream_entry key = { 0, 0, id };
    bool eq;
    size_t r = pbtree_rank(s->entries, &key, &eq);
    return eq ? pbtree_get(s->entries, r) : NULL;
}

void pstream_range(pstream_iter *it, const pstream *s, pstream_id lo,
                   pstream_id hi, bool rev)
{
    pstream_iter_ids(it, s->entries, PSTREAM_IT_ENTRIES, lo, hi, rev);
}

const pstream_entry *pstream_range_next(pstream_iter *it)
{
    return pstream_iter_step(it);
}

/* first_id after entries left the front (Redis: streamGetEdgeID()). */
static void refresh_first(pstream *w)
{
    const pstream_entry *e = pbtree_len(w->entries) > 0
                                 ? pbtree_get(w->entries, 0)
                                 : NULL;
    w->first_id = e != NULL ? e->id : (pstream_id){ 0, 0 };
}

/* ---- edits ------------------------------------------------------------------ */

int pstream_add(pstream *s, pstream_id id, const pstream_str *fv,
                size_t nfields, pstream **out)
{
    if (pstream_id_cmp(id, s->last_id) <= 0) {
        errno = EINVAL;
        return -1;
    }
    pstream_entry *e = entry_new(id, fv, nfields);
    if (e == NULL)
        return -1;
    pstream *w;
    int rc = pstream_edit_start(s, &w);
    if (rc == 0)
        rc = pstream_thaw(w, &w->entries);
    if (rc == 0) {
        pbtree *t;
        rc = pbtree_push_back(w->entries, e, &t) == 0 ? 0 : -1;
    }
    entry_release(e); /* the tree holds it now, or nobody does */
    if (rc == 0) {
        w->last_id = id;
        w->entries_added++;
        if (pbtree_len(w->entries) == 1)
            w->first_id = id;
    }
    pstream_edit_finish(s, w, rc, true, out);
    return rc;
}

int pstream_delete(pstream *s, pstream_id id, pstream **out)
{
    if (pstream_get(s, id) == NULL) {
        *out = s->edit != 0 ? s : pstream_retain(s);
        return 0;
    }
    pstream *w;
    int rc = pstream_edit_start(s, &w);
    if (rc == 0)
        rc = pstream_thaw(w, &w->entries);
    if (rc == 0) {
        struct pstream_entry key = { 0, 0, id };
        pbtree *t;
        rc = pbtree_remove(w->entries, &key, &t) < 0 ? -1 : 0;
    }
    if (rc == 0) {
        if (pstream_id_cmp(id, w->max_deleted_id) > 0)
            w->max_deleted_id = id;
        if (pstream_id_cmp(id, w->first_id) == 0 ||
            pbtree_len(w->entries) == 0)
            refresh_first(w);
    }
    pstream_edit_finish(s, w, rc, true, out);
    return rc < 0 ? -1 : 1;
}

/* Delete the first k entries. */
static long long trim_front(pstream *s, size_t k, pstream **out)
{
    if (k == 0) {
        *out = s->edit != 0 ? s : pstream_retain(s);
        return 0;
    }
    pstream *w;
    int rc = pstream_edit_start(s, &w);
    if (rc == 0)
        rc = pstream_thaw(w, &w->entries);
    if (rc == 0) {
        pbtree *t;
        rc = pbtree_delete_range(w->entries, 0, k, &t);
    }
    if (rc == 0)
        refresh_first(w);
    pstream_edit_finish(s, w, rc, true, out);
    return rc < 0 ? -1 : (long long)k;
}

static size_t cap_limit(size_t k, uint64_t limit)
{
    return limit != 0 && k > limit ? (size_t)limit : k;
}

long long pstream_trim_maxlen(pstream *s, uint64_t maxlen, uint64_t limit,
                              pstream **out)
{
    size_t n = pbtree_len(s->entries);
    size_t k = n > maxlen ? n - (size_t)maxlen : 0;
    return trim_front(s, cap_limit(k, limit), out);
}

long long pstream_trim_minid(pstream *s, pstream_id minid, uint64_t limit,
                             pstream **out)
{
    struct pstream_entry key = { 0, 0, minid };
    size_t k = pbtree_rank(s->entries, &key, NULL);
    return trim_front(s, cap_limit(k, limit), out);
}

int pstream_set_id(pstream *s, pstream_id id, long long entries_added,
                   const pstream_id *max_deleted, pstream **out)
{
    pstream_id zero = { 0, 0 };
    bool set_md = max_deleted != NULL && pstream_id_cmp(*max_deleted, zero);
    size_t n = pbtree_len(s->entries);
    if ((set_md && pstream_id_cmp(id, *max_deleted) < 0) ||
        pstream_id_cmp(id, s->max_deleted_id) < 0 ||
        (n > 0 && pstream_id_cmp(id, ((const pstream_entry *)pbtree_get(
                                          s->entries, n - 1))->id) < 0) ||
        (entries_added != -1 &&
         (entries_added < 0 || (n > 0 && (uint64_t)entries_added < n)))) {
        errno = EINVAL;
        return -1;
    }
    pstream *w;
    int rc = pstream_edit_start(s, &w);
    if (rc == 0) {
        w->last_id = id;
        if (entries_added != -1)
            w->entries_added = (uint64_t)entries_added;
        if (set_md)
            w->max_deleted_id = *max_deleted;
    }
    pstream_edit_finish(s, w, rc, true, out);
    return rc;
}
