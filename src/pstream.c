/* pstream.c - the persistent stream: versions, transients, metadata, iterators.
 * Chapter 8.
 *
 * The design is in pstream.h, the shared layout and the edit discipline
 * in pstream_private.h.  This file holds what every edit starts from:
 * making and releasing versions, a transient and its end, the helpers
 * that make a tree writable without any visible change, and the iterator
 * that every ID range (entries, group PELs, consumer PELs) shares.
 */
#include "pstream_private.h"

#include "alloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_uint_fast64_t g_tokens;
static atomic_size_t g_records;

void pstream_count(int delta)
{
    /* relaxed: a statistic, read by tests once the writer is done */
    if (delta > 0)
        atomic_fetch_add_explicit(&g_records, 1, memory_order_relaxed);
    else
        atomic_fetch_sub_explicit(&g_records, 1, memory_order_relaxed);
}

size_t pstream_records_live(void)
{
    return atomic_load_explicit(&g_records, memory_order_relaxed);
}

uint64_t pstream_new_token(void)
{
    /* relaxed: a token need only be unique; it orders no other memory */
    return atomic_fetch_add_explicit(&g_tokens, 1, memory_order_relaxed) + 1;
}

int pstream_id_cmp(pstream_id a, pstream_id b)
{
    if (a.ms != b.ms)
        return a.ms < b.ms ? -1 : 1;
    if (a.seq != b.seq)
        return a.seq < b.seq ? -1 : 1;
    return 0;
}

int pstream_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- versions ------------------------------------------------------------ */

pstream *pstream_new(void)
{
    pstream *s = xcalloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->entries = pbtree_new(&pstream_entry_ops);
    if (s->entries == NULL) {
        free(s);
        return NULL;
    }
    s->refs = 1;
    return s;
}

pstream *pstream_retain(pstream *s)
{
    s->refs++;
    return s;
}

void pstream_release(pstream *s)
{
    if (s == NULL || --s->refs > 0)
        return;
    pbtree_release(s->entries);
    pbtree_release(s->groups);
    free(s);
}

const char *pstream_encoding(const pstream *s)
{
    (void)s;
    return "stream";
}

size_t pstream_len(const pstream *s)
{
    return pbtree_len(s->entries);
}

pstream_id pstream_last_id(const pstream *s)
{
    return s->last_id;
}

pstream_id pstream_first_id(const pstream *s)
{
    return s->first_id;
}

pstream_id pstream_max_deleted_id(const pstream *s)
{
    return s->max_deleted_id;
}

uint64_t pstream_entries_added(const pstream *s)
{
    return s->entries_added;
}

size_t pstream_bytes(const pstream *s)
{
    return sizeof *s + pbtree_bytes(s->entries) +
           (s->groups != NULL ? pbtree_bytes(s->groups) : 0);
}

size_t pstream_root_bytes(const pstream *s)
{
    return sizeof *s;
}

/* ---- transients ---------------------------------------------------------- */

pstream *pstream_edit_begin(pstream *s)
{
    if (s->edit != 0) {
        errno = EINVAL;
        return NULL;
    }
    pstream *t = xmalloc(sizeof *t);
    if (t == NULL)
        return NULL;
    *t = *s;
    t->refs = 1;
    t->edit = pstream_new_token();
    pbtree_retain(t->entries);
    if (t->groups != NULL)
        pbtree_retain(t->groups);
    return t;
}

static void freeze(pbtree **slot)
{
    if (*slot != NULL && pbtree_is_transient(*slot))
        *slot = pbtree_edit_end(*slot);
}

pstream *pstream_edit_end(pstream *s)
{
    freeze(&s->entries);
    if (s->groups != NULL && pbtree_is_transient(s->groups)) {
        /* Only a transient groups tree can hold groups this transient
         * owns (own_group() thaws it first), whose trees may be
         * transients too. */
        pbtree_iter it;
        for (pbtree_iter_seek(&it, s->groups, 0); pbtree_iter_valid(&it);
             pbtree_iter_next(&it)) {
            pstream_group *g = pbtree_iter_elem(&it);
            if (g->edit == s->edit) {
                freeze(&g->pel);
                freeze(&g->consumers);
                g->edit = 0;
            }
        }
        freeze(&s->groups);
    }
    s->edit = 0;
    return s;
}

bool pstream_is_transient(const pstream *s)
{
    return s->edit != 0;
}

int pstream_edit_start(pstream *s, pstream **w)
{
    *w = s->edit != 0 ? s : pstream_edit_begin(s);
    return *w != NULL ? 0 : -1;
}

void pstream_edit_finish(pstream *s, pstream *w, int rc, bool changed,
                         pstream **out)
{
    if (w == s) {
        if (rc >= 0)
            *out = s;
        return;
    }
    if (rc < 0 || !changed) {
        pstream_release(w);
        if (rc >= 0)
            *out = pstream_retain(s);
        return;
    }
    *out = pstream_edit_end(w);
}

int pstream_thaw(const pstream *s, pbtree **slot)
{
    if (s->edit == 0 || pbtree_is_transient(*slot))
        return 0;
    pbtree *t = pbtree_edit_begin(*slot);
    if (t == NULL)
        return -1;
    pbtree_release(*slot); /* the transient shares its nodes */
    *slot = t;
    return 0;
}

pbtree *pstream_fork_tree(pbtree **slot)
{
    freeze(slot);
    return pbtree_edit_begin(*slot);
}

void pstream_swap_tree(pbtree **slot, pbtree *w, bool keep_transient)
{
    pbtree_release(*slot);
    *slot = keep_transient ? w : pbtree_edit_end(w);
}

/* ---- iterating ID ranges -------------------------------------------------- */


static pstream_id elem_id(const pstream_iter *it, const void *e)
{
    return it->kind == PSTREAM_IT_ENTRIES ? ((const pstream_entry *)e)->id
                                  : ((const pstream_nack *)e)->id;
}

/* Place it at the first element >= id (ENTRIES or NACKS trees). */
static void seek_id(pstream_iter *it, const pbtree *t, pstream_id id)
{
    if (it->kind == PSTREAM_IT_ENTRIES) {
        struct pstream_entry key = { 0, 0, id };
        pbtree_iter_seek_key(&it->it, t, &key);
    } else {
        pstream_nack key = { .id = id };
        pbtree_iter_seek_key(&it->it, t, &key);
    }
}

void pstream_iter_ids(pstream_iter *it, const pbtree *t, int kind,
                      pstream_id lo, pstream_id hi, bool rev)
{
    it->lo = lo;
    it->hi = hi;
    it->rev = rev;
    it->kind = (unsigned char)kind;
    if (!rev) {
        seek_id(it, t, lo);
        return;
    }
    seek_id(it, t, hi);
    if (!pbtree_iter_valid(&it->it) ||
        pstream_id_cmp(elem_id(it, pbtree_iter_elem(&it->it)), hi) > 0)
        pbtree_iter_prev(&it->it);
}

void *pstream_iter_step(pstream_iter *it)
{
    if (it->it.t == NULL || !pbtree_iter_valid(&it->it))
        return NULL;
    void *e = pbtree_iter_elem(&it->it);
    if (it->kind != PSTREAM_IT_ALL) {
        pstream_id id = elem_id(it, e);
        if (it->rev ? pstream_id_cmp(id, it->lo) < 0
                    : pstream_id_cmp(id, it->hi) > 0)
            return NULL;
    }
    if (it->rev)
        pbtree_iter_prev(&it->it);
    else
        pbtree_iter_next(&it->it);
    return e;
}

void pstream_iter_all(pstream_iter *it, const pbtree *t)
{
    it->rev = false;
    it->kind = PSTREAM_IT_ALL;
    if (t == NULL)
        it->it.t = NULL;
    else
        pbtree_iter_seek(&it->it, t, 0);
}
