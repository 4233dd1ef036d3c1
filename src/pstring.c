/* pstring.c - a persistent long string: flat below a threshold, chunks above.
 * Chapter 8.
 *
 * The design is in pstring.h.  Every edit that writes bytes goes through
 * one function, write_chunks(), given a pbtree transient: it plans the
 * chunks the edit touches (allocating every new one first), then puts
 * them in the tree, then writes in place the chunks the transient
 * already owns.  An edit of a version runs it on a fresh private
 * transient that it drops on failure; an edit of a transient undoes its
 * tree changes on failure.
 */
#include "pstring.h"

#include "alloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pstring_private.h"


static size_t g_threshold = PSTRING_THRESHOLD;
static size_t g_chunk = PSTRING_CHUNK;
static atomic_size_t g_allocated;
static atomic_size_t g_live;
static atomic_uint_fast64_t g_edit_ids;

static uint64_t new_edit_id(void)
{
    /* relaxed: ids need only be unique, no other memory is ordered by it */
    return atomic_fetch_add_explicit(&g_edit_ids, 1, memory_order_relaxed) + 1;
}

static void count_bytes(size_t n)
{
    /* relaxed: statistics, read by tests after the edit on one thread */
    atomic_fetch_add_explicit(&g_allocated, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&g_live, n, memory_order_relaxed);
}

static void uncount_bytes(size_t n)
{
    atomic_fetch_sub_explicit(&g_live, n, memory_order_relaxed);
}

size_t pstring_bytes_live(void)
{
    return atomic_load_explicit(&g_live, memory_order_relaxed);
}

size_t pstring_bytes_allocated(void)
{
    return atomic_load_explicit(&g_allocated, memory_order_relaxed);
}

int pstring_set_limits(size_t threshold, size_t chunk)
{
    if (threshold < 1 || chunk < 1 || chunk > (1u << 31)) {
        errno = EINVAL;
        return -1;
    }
    g_threshold = threshold;
    g_chunk = chunk;
    return 0;
}

/* ---- chunks -------------------------------------------------------------- */

static void chunk_retain(void *e)
{
    ((pchunk *)e)->refs++;
}

static void chunk_release(void *e)
{
    pchunk *c = e;
    if (c && --c->refs == 0) {
        uncount_bytes(c->cap);
        free(c);
    }
}

static size_t chunk_size(const void *e)
{
    return sizeof(pchunk) + ((const pchunk *)e)->cap;
}

static const pbtree_ops chunk_ops = {
    .retain = chunk_retain,
    .release = chunk_release,
    .compare = NULL,
    .size = chunk_size,
};

static pchunk *chunk_new(size_t cap, uint64_t edit)
{
    pchunk *c = xmalloc(sizeof *c + cap);
    if (!c)
        return NULL;
    count_bytes(cap);
    c->refs = 1;
    c->edit = edit;
    c->len = 0;
    c->cap = (uint32_t)cap;
    return c;
}

/* Write what an edit puts in [cs, cs + n), the bytes of one chunk that
 * starts at string offset cs: zeros where the string grows
 * ([oldlen, ...)), then data over [off, off + dn).  Bytes below oldlen and
 * outside the data are left as they are. */
static void paint(unsigned char *dst, size_t cs, size_t n, size_t oldlen,
                  size_t off, const unsigned char *data, size_t dn)
{
    size_t end = cs + n;
    size_t z = oldlen > cs ? oldlen : cs;
    if (z < end)
        memset(dst + (z - cs), 0, end - z);
    size_t a = off > cs ? off : cs;
    size_t b = off + dn < end ? off + dn : end;
    if (a < b)
        memcpy(dst + (a - cs), data + (a - off), b - a);
}

/* One chunk an edit touches: the new chunk (NULL: write the owned old one
 * in place) and, for an undo, the old one it replaces. */
typedef struct plan_entry {
    pchunk *nc;
    pchunk *old;
} plan_entry;

/* Make the edit "zero-pad to off, write data[0..dn) at off" on a chunk
 * tree transient tt holding oldlen bytes.  Chunks owned by edit (with
 * room) are written in place; others are replaced by new ones, with cap
 * C when roomy (a transient will grow them) or exactly their length.
 * undo: on failure, put the tree back (a user transient); otherwise the
 * caller drops tt.  Returns 0 or -1 (ENOMEM). */
static int write_chunks(pbtree *tt, size_t oldlen, size_t C, uint64_t edit,
                        bool roomy, bool undo, size_t off,
                        const unsigned char *data, size_t dn)
{
    if (dn == 0 && off <= oldlen)
        return 0;
    size_t newlen = off + dn > oldlen ? off + dn : oldlen;
    size_t lo = off < oldlen ? off : oldlen;
    size_t first = lo / C, last = (off + dn - 1) / C; /* bytes [lo, off+dn) */
    size_t nold = (oldlen + C - 1) / C, k = last - first + 1;
    plan_entry small[4], *plan = small;
    if (k > SIZE_MAX / sizeof *plan) {
        errno = ENOMEM;
        return -1;
    }
    if (k > 4 && !(plan = xmalloc(k * sizeof *plan)))
        return -1;
    /* Phase 1: allocate and fill every new chunk. */
    size_t made = 0, done = 0;
    for (size_t i = first; i <= last; i++, made++) {
        size_t cs = i * C, nl = newlen - cs < C ? newlen - cs : C;
        pchunk *oc = i < nold ? pbtree_get(tt, i) : NULL;
        plan[made].old = NULL;
        plan[made].nc = NULL;
        if (oc && edit && oc->edit == edit && oc->cap >= nl)
            continue; /* written in place in phase 3 */
        pchunk *nc = chunk_new(roomy ? C : nl, edit);
        if (!nc)
            goto fail;
        if (oc)
            memcpy(nc->b, oc->b, oc->len);
        paint(nc->b, cs, nl, oldlen, off, data, dn);
        nc->len = (uint32_t)nl;
        plan[made].nc = nc;
    }
    /* Phase 2: put them in the tree. */
    for (size_t i = first; i <= last; i++, done++) {
        plan_entry *pe = &plan[done];
        pbtree *dummy;
        int rc;
        if (!pe->nc)
            continue;
        if (i < nold) {
            if (undo) { /* keep the old chunk alive for an undo */
                pe->old = pbtree_get(tt, i);
                chunk_retain(pe->old);
            }
            rc = pbtree_set(tt, i, pe->nc, &dummy);
        } else {
            rc = pbtree_push_back(tt, pe->nc, &dummy);
        }
        if (rc != 0)
            goto fail;
    }
    /* Phase 3: nothing can fail any more. */
    for (size_t i = first; i <= last; i++) {
        plan_entry *pe = &plan[i - first];
        if (pe->nc) {
            chunk_release(pe->nc); /* the tree holds it now */
            chunk_release(pe->old);
            continue;
        }
        pchunk *oc = pbtree_get(tt, i);
        size_t cs = i * C, nl = newlen - cs < C ? newlen - cs : C;
        paint(oc->b, cs, nl, oldlen, off, data, dn);
        oc->len = (uint32_t)nl;
    }
    if (plan != small)
        free(plan);
    return 0;

fail:
    /* Undo, newest first, the tree changes of entries [0, done); the
     * entry that failed changed nothing (pbtree's guarantee). */
    if (undo) {
        for (size_t j = done; j-- > 0;) {
            pbtree *dummy;
            int rc = 0;
            if (!plan[j].nc)
                continue;
            if (plan[j].old)
                rc = pbtree_set(tt, first + j, plan[j].old, &dummy);
            else
                rc = pbtree_delete(tt, pbtree_len(tt) - 1, &dummy);
            if (rc != 0)
                abort(); /* nodes the transient owns: no allocation */
        }
    }
    for (size_t j = 0; j < made; j++) {
        chunk_release(plan[j].nc);
        chunk_release(plan[j].old);
    }
    if (plan != small)
        free(plan);
    errno = ENOMEM;
    return -1;
}

/* Build a chunk tree version holding bytes[0..len), len >= 1. */
static pbtree *tree_from_bytes(const unsigned char *bytes, size_t len,
                               size_t C, uint64_t edit, bool roomy)
{
    size_t n = (len + C - 1) / C, made = 0;
    pbtree *t = NULL;
    pchunk **cs = xmalloc(n * sizeof *cs);
    if (!cs)
        return NULL;
    for (; made < n; made++) {
        size_t nl = len - made * C < C ? len - made * C : C;
        pchunk *c = chunk_new(roomy ? C : nl, edit);
        if (!c)
            goto out;
        memcpy(c->b, bytes + made * C, nl);
        c->len = (uint32_t)nl;
        cs[made] = c;
    }
    if (pbtree_from_array(&chunk_ops, (void *const *)cs, n, &t) != 0)
        t = NULL;
out:
    for (size_t i = 0; i < made; i++)
        chunk_release(cs[i]);
    free(cs);
    if (!t)
        errno = ENOMEM;
    return t;
}

static pstring *header_new(const pstring *like)
{
    pstring *s = xmalloc(sizeof *s);
    if (!s)
        return NULL;
    s->refs = 1;
    s->len = 0;
    s->edit = 0;
    s->threshold = like ? like->threshold : g_threshold;
    s->chunk = like ? like->chunk : g_chunk;
    s->flat = NULL;
    s->cap = 0;
    s->tree = NULL;
    return s;
}

static unsigned char *flat_alloc(size_t n)
{
    unsigned char *p = xmalloc(n ? n : 1);
    if (p)
        count_bytes(n);
    return p;
}

pstring *pstring_new(const void *bytes, size_t len)
{
    pstring *s = header_new(NULL);
    if (!s)
        return NULL;
    if (len <= s->threshold) {
        if (len) {
            if (!(s->flat = flat_alloc(len)))
                goto fail;
            memcpy(s->flat, bytes, len);
            s->cap = len;
        }
    } else if (!(s->tree = tree_from_bytes(bytes, len, s->chunk, 0, false))) {
        goto fail;
    }
    s->len = len;
    return s;
fail:
    free(s);
    errno = ENOMEM;
    return NULL;
}

pstring *pstring_retain(pstring *s)
{
    s->refs++;
    return s;
}

void pstring_release(pstring *s)
{
    if (!s || --s->refs > 0)
        return;
    uncount_bytes(s->cap);
    free(s->flat);
    pbtree_release(s->tree);
    free(s);
}

size_t pstring_len(const pstring *s)
{
    return s->len;
}

bool pstring_is_chunked(const pstring *s)
{
    return s->tree != NULL;
}

size_t pstring_bytes_used(const pstring *s)
{
    return sizeof *s + (s->tree ? pbtree_bytes(s->tree) : s->cap);
}

size_t pstring_charge(const pstring *s)
{
    if (s->tree == NULL)
        return sizeof *s + s->cap;
    size_t chunks = s->len / s->chunk + (s->len % s->chunk != 0);
    return sizeof *s + chunks * (sizeof(pchunk) + s->chunk);
}

/* ---- edits ----------------------------------------------------------------- */

static void set_out(pstring *s, pstring **out)
{
    *out = s->edit ? s : pstring_retain(s);
}

/* The one edit that writes: zero-pad s to off, write data[0..dn) at off. */
static int edit_write(pstring *s, size_t off, const unsigned char *data,
                      size_t dn, pstring **out)
{
    if (dn > SIZE_MAX - off) {
        errno = EINVAL;
        return -1;
    }
    if (dn == 0 && off <= s->len) {
        set_out(s, out);
        return 0;
    }
    size_t newlen = off + dn > s->len ? off + dn : s->len;
    bool tr = s->edit != 0;
    if (!s->tree && newlen <= s->threshold) { /* flat stays flat */
        if (tr) {
            if (newlen > s->cap) {
                size_t nc = s->cap * 2 > newlen ? s->cap * 2 : newlen;
                if (nc > s->threshold)
                    nc = s->threshold;
                unsigned char *p = xrealloc(s->flat, nc);
                if (!p)
                    return -1;
                count_bytes(nc - s->cap);
                s->flat = p;
                s->cap = nc;
            }
            paint(s->flat, 0, newlen, s->len, off, data, dn);
            s->len = newlen;
            *out = s;
            return 0;
        }
        pstring *ns = header_new(s);
        if (!ns || !(ns->flat = flat_alloc(newlen))) {
            free(ns);
            errno = ENOMEM;
            return -1;
        }
        if (s->len)
            memcpy(ns->flat, s->flat, s->len);
        paint(ns->flat, 0, newlen, s->len, off, data, dn);
        ns->len = ns->cap = newlen;
        *out = ns;
        return 0;
    }
    if (tr && s->tree) { /* a chunked transient: in place */
        if (write_chunks(s->tree, s->len, s->chunk, s->edit, true, true, off,
                         data, dn) != 0)
            return -1;
        s->len = newlen;
        *out = s;
        return 0;
    }
    /* A chunked version, or a flat string growing past the threshold:
     * work on a private transient of the (new) tree. */
    pstring *ns = tr ? NULL : header_new(s);
    if (!tr && !ns)
        return -1;
    uint64_t id = tr ? s->edit : new_edit_id();
    pbtree *tt;
    if (s->tree) {
        tt = pbtree_edit_begin(s->tree);
    } else if (s->len) {
        pbtree *v = tree_from_bytes(s->flat, s->len, s->chunk, id, tr);
        tt = v ? pbtree_edit_begin(v) : NULL;
        pbtree_release(v);
    } else {
        pbtree *v = pbtree_new(&chunk_ops);
        tt = v ? pbtree_edit_begin(v) : NULL;
        pbtree_release(v);
    }
    if (!tt || write_chunks(tt, s->len, s->chunk, id, tr, false, off, data,
                            dn) != 0) {
        pbtree_release(tt);
        free(ns);
        errno = ENOMEM;
        return -1;
    }
    if (tr) { /* flat transient becomes a chunked one */
        uncount_bytes(s->cap);
        free(s->flat);
        s->flat = NULL;
        s->cap = 0;
        s->tree = tt;
        s->len = newlen;
        *out = s;
        return 0;
    }
    ns->tree = pbtree_edit_end(tt);
    ns->len = newlen;
    *out = ns;
    return 0;
}

int pstring_append(pstring *s, const void *bytes, size_t len, pstring **out)
{
    return edit_write(s, s->len, bytes, len, out);
}

int pstring_setrange(pstring *s, size_t offset, const void *bytes, size_t len,
                     pstring **out)
{
    if (len == 0) { /* Redis: SETRANGE with an empty value pads nothing */
        set_out(s, out);
        return 0;
    }
    return edit_write(s, offset, bytes, len, out);
}

int pstring_setbit(pstring *s, uint64_t bitoff, int bit, pstring **out,
                   int *oldbit)
{
    uint64_t byte = bitoff >> 3;
    if (byte >= SIZE_MAX) {
        errno = EINVAL;
        return -1;
    }
    int b = pstring_byte_at(s, (size_t)byte);
    unsigned char v = b < 0 ? 0 : (unsigned char)b;
    unsigned char mask = (unsigned char)(0x80u >> (bitoff & 7));
    int old = (v & mask) != 0;
    unsigned char nv = bit ? (unsigned char)(v | mask)
                           : (unsigned char)(v & ~mask);
    int rc;
    if (b >= 0 && nv == v) {
        set_out(s, out);
        rc = 0;
    } else {
        rc = edit_write(s, (size_t)byte, &nv, 1, out);
    }
    if (rc == 0 && oldbit)
        *oldbit = old;
    return rc;
}

int pstring_truncate(pstring *s, size_t len, pstring **out)
{
    if (len > s->len) {
        errno = EINVAL;
        return -1;
    }
    if (len == s->len) {
        set_out(s, out);
        return 0;
    }
    bool tr = s->edit != 0;
    if (!s->tree || len <= s->threshold / 2) { /* the result is flat */
        unsigned char *p = NULL;
        if ((s->tree || !tr) && len && !(p = flat_alloc(len)))
            return -1;
        if (p)
            pstring_read(s, 0, len, p);
        pstring *ns = tr ? s : header_new(s);
        if (!ns) {
            if (p)
                uncount_bytes(len);
            free(p);
            return -1;
        }
        if (tr) {
            if (s->tree) {
                pbtree_release(s->tree);
                s->tree = NULL;
                s->flat = p;
                s->cap = len;
            }
        } else {
            ns->flat = p;
            ns->cap = len;
        }
        ns->len = len;
        *out = ns;
        return 0;
    }
    size_t C = s->chunk, k = (len + C - 1) / C, ll = len - (k - 1) * C;
    size_t n = pbtree_len(s->tree);
    pchunk *oc = pbtree_get(s->tree, k - 1);
    pbtree *dummy;
    if (tr) {
        pchunk *nc = NULL;
        bool inplace = oc->edit == s->edit || oc->len == ll;
        if (!inplace) {
            if (!(nc = chunk_new(C, s->edit)))
                return -1;
            memcpy(nc->b, oc->b, ll);
            nc->len = (uint32_t)ll;
            chunk_retain(oc);
            if (pbtree_set(s->tree, k - 1, nc, &dummy) != 0) {
                chunk_release(oc);
                chunk_release(nc);
                return -1;
            }
        }
        if (pbtree_delete_range(s->tree, k, n, &dummy) != 0) {
            if (nc) {
                if (pbtree_set(s->tree, k - 1, oc, &dummy) != 0)
                    abort(); /* owned path: no allocation */
                chunk_release(oc);
                chunk_release(nc);
            }
            return -1;
        }
        if (nc) {
            chunk_release(oc);
            chunk_release(nc);
        } else if (oc->len != ll) {
            oc->len = (uint32_t)ll; /* owned by this transient */
        }
        s->len = len;
        *out = s;
        return 0;
    }
    pstring *ns = header_new(s);
    pbtree *tt = ns ? pbtree_edit_begin(s->tree) : NULL;
    pchunk *nc = NULL;
    if (tt && oc->len != ll && (nc = chunk_new(ll, 0)) != NULL) {
        memcpy(nc->b, oc->b, ll);
        nc->len = (uint32_t)ll;
    }
    if (!tt || (oc->len != ll && !nc) ||
        (nc && pbtree_set(tt, k - 1, nc, &dummy) != 0) ||
        pbtree_delete_range(tt, k, n, &dummy) != 0) {
        chunk_release(nc);
        pbtree_release(tt);
        free(ns);
        errno = ENOMEM;
        return -1;
    }
    chunk_release(nc);
    ns->tree = pbtree_edit_end(tt);
    ns->len = len;
    *out = ns;
    return 0;
}

/* ---- transients ------------------------------------------------------------ */

pstring *pstring_edit_begin(pstring *s)
{
    if (s->edit) {
        errno = EINVAL;
        return NULL;
    }
    pstring *t = header_new(s);
    if (!t)
        return NULL;
    if (s->tree) {
        if (!(t->tree = pbtree_edit_begin(s->tree))) {
            free(t);
            return NULL;
        }
    } else if (s->len) {
        if (!(t->flat = flat_alloc(s->len))) {
            free(t);
            return NULL;
        }
        memcpy(t->flat, s->flat, s->len);
        t->cap = s->len;
    }
    t->len = s->len;
    t->edit = new_edit_id();
    return t;
}

pstring *pstring_edit_end(pstring *s)
{
    if (s->tree)
        s->tree = pbtree_edit_end(s->tree);
    s->edit = 0;
    return s;
}
