/* value_flat.c - chapter 7's flat collections behind the value API.
 * Chapter 8.
 *
 * The code chapter 7 wrote for immutable collections (see value_flat.h for
 * the layout and why), moved out of value.c so that each type's part can
 * be deleted when its chapter-8 module takes over.  Element descriptors
 * live in one growable array, their bytes in the payload's arena, and
 * sets, hashes and sorted sets have a map.h table from element bytes to
 * position + 1 (0 would read as a NULL pointer).  An edit of a flat value
 * is a deep copy (value_flat_copy()) followed by builder calls: O(n), the
 * cost the persistent modules remove.
 */
#include "value_internal.h"
#include "alloc.h"
#include "map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

value_flat *value_flat_new(value_type type)
{
    value_flat *f = xcalloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->refs = 1;
    f->type = (uint8_t)type;
    if (type == VALUE_SET || type == VALUE_ZSET || type == VALUE_HASH) {
        struct map *m = xmalloc(sizeof *m);
        if (m == NULL || map_init(m, 0, NULL) != 0) {
            free(m);
            free(f);
            errno = ENOMEM;
            return NULL;
        }
        if (type == VALUE_SET)
            f->u.set.index = m;
        else if (type == VALUE_ZSET)
            f->u.zset.index = m;
        else
            f->u.hash.index = m;
    }
    return f;
}

/* Make room for one more slot of elem_size bytes in *arr (f->cap slots). */
static int grow(value_flat *f, void **arr, size_t count, size_t elem_size)
{
    if (count < f->cap)
        return 0;
    size_t cap = f->cap < 4 ? 4 : f->cap * 2;
    if (cap > SIZE_MAX / elem_size) {
        errno = ENOMEM;
        return -1;
    }
    void *n = xrealloc(*arr, cap * elem_size);
    if (n == NULL)
        return -1;
    *arr = n;
    f->cap = cap;
    return 0;
}

/* Position stored in an index table: position + 1, as a pointer. */
static void *pos_ptr(size_t pos)
{
    return (void *)(uintptr_t)(pos + 1);
}

static long ptr_pos(const void *p)
{
    return (long)((uintptr_t)p - 1);
}

int value_flat_list_push(value_flat *f, const void *p, size_t len)
{
    value_flat_list *l = &f->u.list;
    if (grow(f, (void **)&l->items, l->count, sizeof(value_elem)) != 0)
        return -1;
    if (value_arena_copy(&f->arena, p, len, &l->items[l->count]) != 0)
        return -1;
    l->count++;
    return 0;
}

int value_flat_set_add(value_flat *f, const void *p, size_t len)
{
    value_flat_set *s = &f->u.set;
    if (map_find(s->index, p, len) != NULL)
        return 0;
    if (grow(f, (void **)&s->members, s->count, sizeof(value_elem)) != 0)
        return -1;
    value_elem *e = &s->members[s->count];
    if (value_arena_copy(&f->arena, p, len, e) != 0)
        return -1;
    if (map_insert(s->index, e->bytes, e->len, pos_ptr(s->count)) != 0) {
        errno = ENOMEM;
        return -1;
    }
    s->count++;
    return 1;
}

int value_flat_hash_add(value_flat *f, const void *k, size_t klen,
                        const void *val, size_t vlen, int64_t expire_ms)
{
    value_flat_hash *h = &f->u.hash;
    size_t n = h->count;
    if (map_find(h->index, k, klen) != NULL)
        return 0;
    if (n >= f->cap) {
        /* fv holds pairs, so one "slot" of f->cap is two value_elems. */
        if (grow(f, (void **)&h->fv, n, 2 * sizeof(value_elem)) != 0)
            return -1;
        if (h->field_expire_ms != NULL) {
            int64_t *ex = xrealloc(h->field_expire_ms, f->cap * sizeof *ex);
            if (ex == NULL)
                return -1;
            h->field_expire_ms = ex;
        }
    }
    if (expire_ms != VALUE_NO_EXPIRY && h->field_expire_ms == NULL) {
        int64_t *ex = xmalloc((f->cap ? f->cap : 1) * sizeof *ex);
        if (ex == NULL)
            return -1;
        for (size_t i = 0; i < n; i++)
            ex[i] = VALUE_NO_EXPIRY;
        h->field_expire_ms = ex;
    }
    value_elem *e = &h->fv[2 * n];
    if (value_arena_copy(&f->arena, k, klen, &e[0]) != 0 ||
        value_arena_copy(&f->arena, val, vlen, &e[1]) != 0)
        return -1;
    if (map_insert(h->index, e[0].bytes, e[0].len, pos_ptr(n)) != 0) {
        errno = ENOMEM;
        return -1;
    }
    if (h->field_expire_ms != NULL)
        h->field_expire_ms[n] = expire_ms;
    h->count++;
    return 1;
}

int value_flat_zset_add(value_flat *f, const void *m, size_t mlen,
                        double score)
{
    value_flat_zset *z = &f->u.zset;
    if (map_find(z->index, m, mlen) != NULL)
        return 0;
    if (grow(f, (void **)&z->entries, z->count, sizeof(value_zentry)) != 0)
        return -1;
    value_zentry *e = &z->entries[z->count];
    if (value_arena_copy(&f->arena, m, mlen, &e->member) != 0)
        return -1;
    if (map_insert(z->index, e->member.bytes, e->member.len,
                   pos_ptr(z->count)) != 0) {
        errno = ENOMEM;
        return -1;
    }
    e->score = score;
    z->count++;
    return 1;
}

/* Redis's sorted-set order: by score, then by member bytes. */
static int zentry_cmp(const void *pa, const void *pb)
{
    const value_zentry *a = pa, *b = pb;
    if (a->score < b->score)
        return -1;
    if (a->score > b->score)
        return 1;
    size_t n = a->member.len < b->member.len ? a->member.len : b->member.len;
    int c = memcmp(a->member.bytes, b->member.bytes, n);
    if (c != 0)
        return c;
    return (a->member.len > b->member.len) - (a->member.len < b->member.len);
}

void value_flat_seal(value_flat *f)
{
    value_flat_zset *z = &f->u.zset;
    if (f->type != VALUE_ZSET || z->count < 2)
        return;
    qsort(z->entries, z->count, sizeof(value_zentry), zentry_cmp);
    for (size_t i = 0; i < z->count; i++) {
        /* Every member is in the table (value_flat_zset_add put it
         * there), so the lookup cannot miss. */
        map_entry *e = map_find(z->index, z->entries[i].member.bytes,
                                z->entries[i].member.len);
        e->val = pos_ptr(i);
    }
}

value_flat *value_flat_copy(const value_flat *f)
{
    if (f->type == VALUE_STREAM) {
        errno = EINVAL;
        return NULL;
    }
    value_flat *c = value_flat_new(f->type);
    if (c == NULL)
        return NULL;
    int rc = 0;
    switch (f->type) {
    case VALUE_LIST:
        for (size_t i = 0; rc >= 0 && i < f->u.list.count; i++)
            rc = value_flat_list_push(c, f->u.list.items[i].bytes,
                                      f->u.list.items[i].len);
        break;
    case VALUE_SET:
        for (size_t i = 0; rc >= 0 && i < f->u.set.count; i++)
            rc = value_flat_set_add(c, f->u.set.members[i].bytes,
                                    f->u.set.members[i].len);
        break;
    case VALUE_ZSET:
        for (size_t i = 0; rc >= 0 && i < f->u.zset.count; i++)
            rc = value_flat_zset_add(c, f->u.zset.entries[i].member.bytes,
                                     f->u.zset.entries[i].member.len,
                                     f->u.zset.entries[i].score);
        break;
    case VALUE_HASH: {
        const value_flat_hash *h = &f->u.hash;
        for (size_t i = 0; rc >= 0 && i < h->count; i++)
            rc = value_flat_hash_add(
                c, h->fv[2 * i].bytes, h->fv[2 * i].len,
                h->fv[2 * i + 1].bytes, h->fv[2 * i + 1].len,
                h->field_expire_ms ? h->field_expire_ms[i] : VALUE_NO_EXPIRY);
        break;
    }
    }
    if (rc < 0) {
        value_flat_release(c);
        return NULL;
    }
    return c;
}

size_t value_flat_count(const value_flat *f)
{
    switch (f->type) {
    case VALUE_LIST: return f->u.list.count;
    case VALUE_SET: return f->u.set.count;
    case VALUE_ZSET: return f->u.zset.count;
    case VALUE_HASH: return f->u.hash.count;
    case VALUE_STREAM: return f->u.stream.nentries;
    }
    return 0;
}

static void free_index(struct map *m)
{
    if (m != NULL) {
        map_release(m);
        free(m);
    }
}

static void free_stream(value_stream *s)
{
    for (size_t i = 0; i < s->nentries; i++)
        free(s->entries[i].fv);
    free(s->entries);
    for (size_t g = 0; g < s->ngroups; g++) {
        value_stream_group *grp = &s->groups[g];
        for (size_t c = 0; c < grp->nconsumers; c++)
            free(grp->consumers[c].pel);
        free(grp->consumers);
        free(grp->pel);
    }
    free(s->groups);
}

void value_flat_release(value_flat *f)
{
    if (f == NULL || --f->refs > 0)
        return;
    switch (f->type) {
    case VALUE_LIST:
        free(f->u.list.items);
        break;
    case VALUE_SET:
        free(f->u.set.members);
        free_index(f->u.set.index);
        break;
    case VALUE_ZSET:
        free(f->u.zset.entries);
        free_index(f->u.zset.index);
        break;
    case VALUE_HASH:
        free(f->u.hash.fv);
        free(f->u.hash.field_expire_ms);
        free_index(f->u.hash.index);
        break;
    case VALUE_STREAM:
        free_stream(&f->u.stream);
        break;
    }
    value_arena_free(f->arena);
    free(f);
}

static size_t stream_bytes(const value_stream *s)
{
    size_t b = s->nentries * sizeof(value_stream_entry);
    for (size_t i = 0; i < s->nentries; i++)
        b += 2 * s->entries[i].nfields * sizeof(value_elem);
    for (size_t g = 0; g < s->ngroups; g++) {
        const value_stream_group *grp = &s->groups[g];
        b += sizeof *grp + grp->npel * sizeof(value_stream_nack);
        for (size_t c = 0; c < grp->nconsumers; c++)
            b += sizeof(value_stream_consumer) +
                 grp->consumers[c].npel * sizeof(value_stream_id);
    }
    return b;
}

size_t value_flat_bytes(const value_flat *f)
{
    size_t b = sizeof *f + value_arena_bytes(f->arena);
    switch (f->type) {
    case VALUE_LIST:
        b += f->cap * sizeof(value_elem);
        break;
    case VALUE_SET:
        b += f->cap * sizeof(value_elem) + map_table_bytes(f->u.set.index);
        break;
    case VALUE_ZSET:
        b += f->cap * sizeof(value_zentry) + map_table_bytes(f->u.zset.index);
        break;
    case VALUE_HASH:
        b += f->cap * 2 * sizeof(value_elem) +
             map_table_bytes(f->u.hash.index) +
             (f->u.hash.field_expire_ms ? f->cap * sizeof(int64_t) : 0);
        break;
    case VALUE_STREAM:
        b += stream_bytes(&f->u.stream);
        break;
    }
    return b;
}

/* ---- the accessors of value_flat.h --------------------------------------- */

const value_flat_list *value_as_list(const value *v)
{
    return &v->u.flat->u.list;
}

const value_flat_set *value_as_set(const value *v)
{
    return &v->u.flat->u.set;
}

const value_flat_zset *value_as_zset(const value *v)
{
    return &v->u.flat->u.zset;
}

const value_flat_hash *value_as_hash(const value *v)
{
    return &v->u.flat->u.hash;
}

const value_stream *value_as_stream(const value *v)
{
    return &v->u.flat->u.stream;
}

value_stream *value_edit_stream(value *v)
{
    if (v->type != VALUE_STREAM || !(v->flags & VALUE_F_TRANSIENT)) {
        errno = EINVAL;
        return NULL;
    }
    return &v->u.flat->u.stream;
}

long value_hash_find(const value *v, const void *f, size_t flen)
{
    map_entry *e = map_find(value_as_hash(v)->index, f, flen);
    return e == NULL ? -1 : ptr_pos(e->val);
}

bool value_set_has(const value *v, const void *m, size_t mlen)
{
    return map_find(value_as_set(v)->index, m, mlen) != NULL;
}

bool value_zset_score(const value *v, const void *m, size_t mlen,
                      double *score)
{
    const value_flat_zset *z = value_as_zset(v);
    map_entry *e = map_find(z->index, m, mlen);
    if (e == NULL)
        return false;
    if (score != NULL)
        *score = z->entries[ptr_pos(e->val)].score;
    return true;
}
