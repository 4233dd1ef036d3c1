/* value.c - construction, destruction and expiry of stored values.
 * Chapter 1; extended in chapter 7.
 *
 * Strings are one allocation: the struct followed by the bytes.  Collections
 * keep their element bytes in an arena of chunks owned by the value (see
 * value.h for why), their element descriptors in one growable array, and,
 * for sets, hashes and sorted sets, a map.h table from element bytes to
 * position + 1 (0 would read as a NULL pointer).  Streams and module values
 * keep their own small structs, with all byte strings in the arena too.
 */
#include "value.h"
#include "alloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "map.h"

/* One arena chunk; elements are bump-allocated from data[]. */
struct value_chunk {
    struct value_chunk *next;
    size_t used, cap;
    unsigned char data[];
};

/* First chunk small (most collections are small), then doubling to 64 KiB;
 * an element bigger than that gets a chunk of its own. */
#define CHUNK_MIN 256
#define CHUNK_MAX 65536

value *value_new_string(const void *bytes, size_t len, int64_t expire_ms)
{
    if (len > SIZE_MAX - sizeof(value) - 1)
        return NULL;
    value *v = xmalloc(sizeof *v + len + 1);
    if (v == NULL)
        return NULL;
    v->type = VALUE_STRING;
    v->expire_ms = expire_ms;
    v->arena = NULL;
    v->cap = 0;
    v->u.str.len = len;
    v->u.str.bytes = (unsigned char *)(v + 1);
    if (len > 0)
        memcpy(v->u.str.bytes, bytes, len);
    v->u.str.bytes[len] = '\0';
    return v;
}

value *value_new_collection(value_type type, int64_t expire_ms)
{
    if (type == VALUE_STRING || type > VALUE_MODULE)
        return NULL;
    value *v = xcalloc(1, sizeof *v);
    if (v == NULL)
        return NULL;
    v->type = type;
    v->expire_ms = expire_ms;
    if (type == VALUE_STREAM) {
        v->u.stream = xcalloc(1, sizeof *v->u.stream);
        if (v->u.stream == NULL)
            goto fail;
    } else if (type == VALUE_MODULE) {
        v->u.module = xcalloc(1, sizeof *v->u.module);
        if (v->u.module == NULL)
            goto fail;
    } else if (type != VALUE_LIST) {
        struct map *m = xmalloc(sizeof *m);
        if (m == NULL || map_init(m, 0, NULL) != 0) {
            free(m);
            goto fail;
        }
        if (type == VALUE_SET)
            v->u.set.index = m;
        else if (type == VALUE_ZSET)
            v->u.zset.index = m;
        else
            v->u.hash.index = m;
    }
    return v;
fail:
    free(v);
    return NULL;
}

int value_intern(value *v, const void *bytes, size_t len, value_elem *out)
{
    struct value_chunk *c = v->arena;
    if (len > SIZE_MAX / 2)
        return -1;
    if (c == NULL || c->cap - c->used < len + 1) {
        size_t cap = c == NULL ? CHUNK_MIN : c->cap * 2;
        if (cap > CHUNK_MAX)
            cap = CHUNK_MAX;
        if (cap < len + 1)
            cap = len + 1;
        struct value_chunk *n = xmalloc(sizeof *n + cap);
        if (n == NULL)
            return -1;
        n->cap = cap;
        n->used = 0;
        /* A dedicated big chunk goes behind the current one so that the
         * current chunk's free space stays usable for small elements. */
        if (c != NULL && len + 1 > CHUNK_MAX) {
            n->next = c->next;
            c->next = n;
        } else {
            n->next = c;
            v->arena = n;
        }
        c = n;
    }
    out->bytes = c->data + c->used;
    out->len = len;
    if (len > 0)
        memcpy(out->bytes, bytes, len);
    out->bytes[len] = '\0';
    c->used += len + 1;
    return 0;
}

/* Make room for one more slot of elem_size bytes in *arr (v->cap slots). */
static int grow(value *v, void **arr, size_t count, size_t elem_size)
{
    if (count < v->cap)
        return 0;
    size_t cap = v->cap < 4 ? 4 : v->cap * 2;
    if (cap > SIZE_MAX / elem_size)
        return -1;
    void *n = xrealloc(*arr, cap * elem_size);
    if (n == NULL)
        return -1;
    *arr = n;
    v->cap = cap;
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

int value_list_push(value *v, const void *p, size_t len)
{
    if (grow(v, (void **)&v->u.list.items, v->u.list.count,
             sizeof(value_elem)) != 0)
        return -1;
    if (value_intern(v, p, len, &v->u.list.items[v->u.list.count]) != 0)
        return -1;
    v->u.list.count++;
    return 0;
}

int value_set_add(value *v, const void *p, size_t len)
{
    if (map_find(v->u.set.index, p, len) != NULL)
        return 0;
    if (grow(v, (void **)&v->u.set.members, v->u.set.count,
             sizeof(value_elem)) != 0)
        return -1;
    value_elem *e = &v->u.set.members[v->u.set.count];
    if (value_intern(v, p, len, e) != 0 ||
        map_insert(v->u.set.index, e->bytes, e->len,
                   pos_ptr(v->u.set.count)) != 0)
        return -1;
    v->u.set.count++;
    return 1;
}

int value_hash_add(value *v, const void *f, size_t flen, const void *val,
                   size_t vlen, int64_t expire_ms)
{
    size_t n = v->u.hash.count;
    if (map_find(v->u.hash.index, f, flen) != NULL)
        return 0;
    if (n >= v->cap) {
        /* fv holds pairs, so one "slot" of v->cap is two value_elems. */
        if (grow(v, (void **)&v->u.hash.fv, n, 2 * sizeof(value_elem)) != 0)
            return -1;
        if (v->u.hash.field_expire_ms != NULL) {
            int64_t *ex = xrealloc(v->u.hash.field_expire_ms,
                                  v->cap * sizeof *ex);
            if (ex == NULL)
                return -1;
            v->u.hash.field_expire_ms = ex;
        }
    }
    if (expire_ms != VALUE_NO_EXPIRY && v->u.hash.field_expire_ms == NULL) {
        int64_t *ex = xmalloc((v->cap ? v->cap : 1) * sizeof *ex);
        if (ex == NULL)
            return -1;
        for (size_t i = 0; i < n; i++)
            ex[i] = VALUE_NO_EXPIRY;
        v->u.hash.field_expire_ms = ex;
    }
    value_elem *e = &v->u.hash.fv[2 * n];
    if (value_intern(v, f, flen, &e[0]) != 0 ||
        value_intern(v, val, vlen, &e[1]) != 0 ||
        map_insert(v->u.hash.index, e[0].bytes, e[0].len, pos_ptr(n)) != 0)
        return -1;
    if (v->u.hash.field_expire_ms != NULL)
        v->u.hash.field_expire_ms[n] = expire_ms;
    v->u.hash.count++;
    return 1;
}

int value_zset_add(value *v, const void *m, size_t mlen, double score)
{
    if (map_find(v->u.zset.index, m, mlen) != NULL)
        return 0;
    if (grow(v, (void **)&v->u.zset.entries, v->u.zset.count,
             sizeof(value_zentry)) != 0)
        return -1;
    value_zentry *z = &v->u.zset.entries[v->u.zset.count];
    if (value_intern(v, m, mlen, &z->member) != 0 ||
        map_insert(v->u.zset.index, z->member.bytes, z->member.len,
                   pos_ptr(v->u.zset.count)) != 0)
        return -1;
    z->score = score;
    v->u.zset.count++;
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

int value_seal(value *v)
{
    if (v->type != VALUE_ZSET || v->u.zset.count < 2)
        return 0;
    qsort(v->u.zset.entries, v->u.zset.count, sizeof(value_zentry),
          zentry_cmp);
    for (size_t i = 0; i < v->u.zset.count; i++) {
        value_zentry *z = &v->u.zset.entries[i];
        map_entry *e = map_find(v->u.zset.index, z->member.bytes,
                                z->member.len);
        if (e == NULL)
            return -1;
        e->val = pos_ptr(i);
    }
    return 0;
}

size_t value_count(const value *v)
{
    switch (v->type) {
    case VALUE_STRING: return 1;
    case VALUE_LIST: return v->u.list.count;
    case VALUE_SET: return v->u.set.count;
    case VALUE_ZSET: return v->u.zset.count;
    case VALUE_HASH: return v->u.hash.count;
    case VALUE_STREAM: return v->u.stream->nentries;
    case VALUE_MODULE: return v->u.module->nops;
    }
    return 0;
}

long value_hash_find(const value *v, const void *f, size_t flen)
{
    map_entry *e = map_find(v->u.hash.index, f, flen);
    return e == NULL ? -1 : ptr_pos(e->val);
}

bool value_set_has(const value *v, const void *m, size_t mlen)
{
    return map_find(v->u.set.index, m, mlen) != NULL;
}

bool value_zset_score(const value *v, const void *m, size_t mlen,
                      double *score)
{
    map_entry *e = map_find(v->u.zset.index, m, mlen);
    if (e == NULL)
        return false;
    if (score != NULL)
        *score = v->u.zset.entries[ptr_pos(e->val)].score;
    return true;
}

const char *value_type_name(value_type t)
{
    static const char *const names[] = {"string", "list", "set", "zset",
                                        "hash", "stream", "module"};
    return (unsigned)t <= VALUE_MODULE ? names[t] : "unknown";
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
    if (s == NULL)
        return;
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
    free(s);
}

void value_free(value *v)
{
    if (v == NULL)
        return;
    switch (v->type) {
    case VALUE_STRING: /* one allocation, no arena */
        free(v);
        return;
    case VALUE_LIST:
        free(v->u.list.items);
        break;
    case VALUE_SET:
        free(v->u.set.members);
        free_index(v->u.set.index);
        break;
    case VALUE_ZSET:
        free(v->u.zset.entries);
        free_index(v->u.zset.index);
        break;
    case VALUE_HASH:
        free(v->u.hash.fv);
        free(v->u.hash.field_expire_ms);
        free_index(v->u.hash.index);
        break;
    case VALUE_STREAM:
        free_stream(v->u.stream);
        break;
    case VALUE_MODULE:
        if (v->u.module != NULL)
            free(v->u.module->ops);
        free(v->u.module);
        break;
    }
    struct value_chunk *c = v->arena;
    while (c != NULL) {
        struct value_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(v);
}

bool value_is_expired(const value *v, int64_t now_ms)
{
    return v->expire_ms != VALUE_NO_EXPIRY && v->expire_ms <= now_ms;
}

static size_t stream_bytes(const value_stream *s)
{
    size_t b = sizeof *s + s->nentries * sizeof(value_stream_entry);
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

size_t value_bytes(const value *v)
{
    size_t b = sizeof *v;
    switch (v->type) {
    case VALUE_STRING:
        return sizeof *v + v->u.str.len + 1;
    case VALUE_LIST:
        b += v->cap * sizeof(value_elem);
        break;
    case VALUE_SET:
        b += v->cap * sizeof(value_elem) + map_table_bytes(v->u.set.index);
        break;
    case VALUE_ZSET:
        b += v->cap * sizeof(value_zentry) + map_table_bytes(v->u.zset.index);
        break;
    case VALUE_HASH:
        b += v->cap * 2 * sizeof(value_elem) +
             map_table_bytes(v->u.hash.index) +
             (v->u.hash.field_expire_ms ? v->cap * sizeof(int64_t) : 0);
        break;
    case VALUE_STREAM:
        b += stream_bytes(v->u.stream);
        break;
    case VALUE_MODULE:
        b += sizeof(value_module) + v->u.module->nops * sizeof(value_module_op);
        break;
    }
    for (const struct value_chunk *c = v->arena; c != NULL; c = c->next)
        b += sizeof *c + c->cap;
    return b;
}

int64_t value_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
