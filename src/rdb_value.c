/* rdb_value.c - decoding one RDB value of any type into a `value`.
 * Chapter 7.
 *
 * The RDB type byte says both what the value is and how it was written.
 * Plain encodings (types 0-5) are a count followed by that many strings
 * (and scores).  Every later type wraps one of Redis's compact in-memory
 * encodings in a string (a "blob"); those are read whole (one blob at a
 * time is all that is buffered) and walked with the rdb_blob.h iterators.
 * Quicklists are a count of such blobs.  The result is the same `value`
 * whatever the encoding: a replica does not care how the master happened to
 * store a list, only what is in it.
 *
 * Counts are never trusted for allocation: collections grow as elements
 * actually arrive, so a corrupt count of 2^40 ends in "unexpected end of
 * input", not in a huge malloc.
 */
#include "rdb_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *rdb_type_name(int type)
{
    static const char *const names[] = {
        [0] = "string", [1] = "list", [2] = "set", [3] = "zset",
        [4] = "hash", [5] = "zset_2", [6] = "module_pre_ga",
        [7] = "module_2", [9] = "hash_zipmap", [10] = "list_ziplist",
        [11] = "set_intset", [12] = "zset_ziplist", [13] = "hash_ziplist",
        [14] = "list_quicklist", [15] = "stream_listpacks",
        [16] = "hash_listpack", [17] = "zset_listpack",
        [18] = "list_quicklist_2", [19] = "stream_listpacks_2",
        [20] = "set_listpack", [21] = "stream_listpacks_3",
        [22] = "hash_metadata_pre_ga", [23] = "hash_listpack_ex_pre_ga",
        [24] = "hash_metadata", [25] = "hash_listpack_ex",
    };
    if (type < 0 || type >= (int)(sizeof names / sizeof names[0]))
        return NULL;
    return names[type];
}

static int oom(rdb_ctx *c)
{
    return rdb_fail(c->r, "out of memory");
}

/* Which compact encoding a blob holds. */
typedef struct blob_kind {
    const char *name;
    int (*open)(rdb_blob_iter *, const unsigned char *, size_t);
    int (*next)(rdb_blob_iter *, rdb_blob_entry *);
} blob_kind;

static const blob_kind ZIPLIST = {"ziplist", rdb_ziplist_open,
                                  rdb_ziplist_next};
static const blob_kind LISTPACK = {"listpack", rdb_listpack_open,
                                   rdb_listpack_next};
static const blob_kind INTSET = {"intset", rdb_intset_open, rdb_intset_next};
static const blob_kind ZIPMAP = {"zipmap", rdb_zipmap_open, rdb_zipmap_next};

/* Read a blob string; `at` receives its offset for error messages. */
static int read_blob(rdb_ctx *c, uint64_t *at)
{
    *at = rdb_offset(c->r);
    return rdb_read_string(c->r, &c->blob, NULL);
}

static int blob_error(rdb_ctx *c, uint64_t at, const rdb_blob_iter *it)
{
    return rdb_fail_at(c->r, at, "%s", it->err);
}

/* Parse a score written as text inside a ziplist/listpack. */
static int parse_score(rdb_ctx *c, uint64_t at, const rdb_blob_entry *e,
                       double *out)
{
    char buf[128];
    if (e->is_int) {
        *out = (double)e->ival;
        return 0;
    }
    if (e->len == 0 || e->len >= sizeof buf)
        return rdb_fail_at(c->r, at, "sorted-set score of %zu bytes is not "
                           "a number", e->len);
    memcpy(buf, e->s, e->len);
    buf[e->len] = '\0';
    char *end;
    *out = strtod(buf, &end);
    if (end != buf + e->len || isnan(*out))
        return rdb_fail_at(c->r, at, "sorted-set score \"%s\" is not a "
                           "number", buf);
    return 0;
}

/* Add a (field, value, expiry) to a hash; duplicates are corruption. */
static int hash_add(rdb_ctx *c, uint64_t at, value *v, const void *f,
                    size_t fl, const void *val, size_t vl, int64_t exp)
{
    int rc = value_hash_add(v, f, fl, val, vl, exp);
    if (rc < 0)
        return oom(c);
    if (rc == 0)
        return rdb_fail_at(c->r, at, "duplicate hash field \"%.*s\"",
                           (int)(fl > 64 ? 64 : fl), (const char *)f);
    return 0;
}

static int set_add(rdb_ctx *c, uint64_t at, value *v, const void *m,
                   size_t ml)
{
    int rc = value_set_add(v, m, ml);
    if (rc < 0)
        return oom(c);
    if (rc == 0)
        return rdb_fail_at(c->r, at, "duplicate set member \"%.*s\"",
                           (int)(ml > 64 ? 64 : ml), (const char *)m);
    return 0;
}

static int zset_add(rdb_ctx *c, uint64_t at, value *v, const void *m,
                    size_t ml, double score)
{
    if (isnan(score))
        return rdb_fail_at(c->r, at, "sorted-set score is NaN");
    int rc = value_zset_add(v, m, ml, score);
    if (rc < 0)
        return oom(c);
    if (rc == 0)
        return rdb_fail_at(c->r, at, "duplicate sorted-set member \"%.*s\"",
                           (int)(ml > 64 ? 64 : ml), (const char *)m);
    return 0;
}

/* [ch07-fill-blob] */
/*
 * Walk the blob in c->blob and add its elements to v, `group` elements at a
 * time: 1 for lists and sets, 2 for hashes (field, value) and sorted sets
 * (member, score), 3 for hashes with field TTLs (field, value, ttl).
 */
static int fill_from_blob(rdb_ctx *c, uint64_t at, const blob_kind *k,
                          value *v, int group)
{
    rdb_blob_iter it;
    rdb_blob_entry e[3];
    int rc, n = 0;
    if (k->open(&it, c->blob.p, c->blob.len) != 0)
        return blob_error(c, at, &it);
    while ((rc = k->next(&it, &e[n])) == 1) {
        if (++n < group)
            continue;
        n = 0;
        switch (v->type) {
        case VALUE_LIST:
            if (value_list_push(v, e[0].s, e[0].len) != 0)
                return oom(c);
            break;
        case VALUE_SET:
            if (set_add(c, at, v, e[0].s, e[0].len) != 0)
                return -1;
            break;
        case VALUE_ZSET: {
            double score = 0;
            if (parse_score(c, at, &e[1], &score) != 0 ||
                zset_add(c, at, v, e[0].s, e[0].len, score) != 0)
                return -1;
            break;
        }
        default: { /* VALUE_HASH */
            int64_t exp = VALUE_NO_EXPIRY;
            if (group == 3) {
                if (!e[2].is_int || e[2].ival < 0)
                    return rdb_fail_at(c->r, at, "hash field TTL is not a "
                                       "non-negative integer");
                if (e[2].ival != 0)
                    exp = e[2].ival;
            }
            if (hash_add(c, at, v, e[0].s, e[0].len, e[1].s, e[1].len,
                         exp) != 0)
                return -1;
        }
        }
    }
    if (rc < 0)
        return blob_error(c, at, &it);
    if (n != 0)
        return rdb_fail_at(c->r, at, "%s holds %zu elements, not a multiple "
                           "of %d", k->name, it.index, group);
/* [ch07-fill-blob] */
    if (k == &INTSET)
        return it.width;
    return 0;
}

/* Types 1-5: a count, then strings (and scores). */
static int read_plain(rdb_ctx *c, int type, value *v)
{
    uint64_t count;
    if (rdb_read_len(c->r, &count, NULL) != 0)
        return -1;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t at = rdb_offset(c->r);
        if (rdb_read_string(c->r, &c->s1, NULL) != 0)
            return -1;
        if (type == 1) {
            if (value_list_push(v, c->s1.p, c->s1.len) != 0)
                return oom(c);
        } else if (type == 2) {
            if (set_add(c, at, v, c->s1.p, c->s1.len) != 0)
                return -1;
        } else if (type == 3 || type == 5) {
            double score = 0;
            if ((type == 3 ? rdb_read_double_text(c->r, &score)
                           : rdb_read_double_bin(c->r, &score)) != 0 ||
                zset_add(c, at, v, c->s1.p, c->s1.len, score) != 0)
                return -1;
        } else {
            if (rdb_read_string(c->r, &c->s2, NULL) != 0 ||
                hash_add(c, at, v, c->s1.p, c->s1.len, c->s2.p, c->s2.len,
                         VALUE_NO_EXPIRY) != 0)
                return -1;
        }
    }
    return 0;
}

/* Types 14 and 18: a count of nodes, each a ziplist / listpack / plain. */
static int read_quicklist(rdb_ctx *c, int type, value *v, rdb_key_info *info)
{
    uint64_t count;
    if (rdb_read_len(c->r, &count, NULL) != 0)
        return -1;
    c->kinds.len = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t container = 2, at;
        if (type == 18) {
            at = rdb_offset(c->r);
            if (rdb_read_len(c->r, &container, NULL) != 0)
                return -1;
            if (container != 1 && container != 2)
                return rdb_fail_at(c->r, at, "quicklist node container %"
                                   PRIu64 " (1 plain, 2 packed)", container);
        }
        if (read_blob(c, &at) != 0)
            return -1;
        if (container == 1) {
            if (value_list_push(v, c->blob.p, c->blob.len) != 0)
                return oom(c);
        } else if (fill_from_blob(c, at, type == 14 ? &ZIPLIST : &LISTPACK,
                                  v, 1) < 0) {
            return -1;
        }
        if (type == 18) {
            if (rdb_buf_reserve(&c->kinds, c->kinds.len + 1) != 0)
                return oom(c);
            c->kinds.p[c->kinds.len++] = container == 1 ? 'L' : 'P';
            c->kinds.p[c->kinds.len] = '\0';
        }
    }
    info->nodes = (long)count;
    if (type == 18)
        info->node_kinds = c->kinds.len ? (const char *)c->kinds.p : "";
    return 0;
}

/* Types 22 and 24: hash whose fields may carry TTLs, one record each. */
static int read_hash_metadata(rdb_ctx *c, int type, value *v,
                              rdb_key_info *info)
{
    uint64_t min_expire = 0, count;
    if (type == 24) {
        if (rdb_read_uint_le(c->r, 8, &min_expire) != 0)
            return -1;
        info->min_expire_ms = (int64_t)min_expire;
    }
    if (rdb_read_len(c->r, &count, NULL) != 0)
        return -1;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t at = rdb_offset(c->r), ttl, exp;
        if (rdb_read_len(c->r, &ttl, NULL) != 0)
            return -1;
        /* 24 stores TTLs relative to the minimum (+1, 0 meaning none);
         * the 7.4 release candidates (22) stored them absolute. */
        exp = (type == 24 && ttl != 0) ? ttl + min_expire - 1 : ttl;
        if (exp > (UINT64_C(1) << 48) - 1)
            return rdb_fail_at(c->r, at, "hash field expiry %" PRIu64
                               " out of range", exp);
        if (rdb_read_string(c->r, &c->s1, NULL) != 0 ||
            rdb_read_string(c->r, &c->s2, NULL) != 0 ||
            hash_add(c, at, v, c->s1.p, c->s1.len, c->s2.p, c->s2.len,
                     exp == 0 ? VALUE_NO_EXPIRY : (int64_t)exp) != 0)
            return -1;
    }
    return 0;
}

static value_type type_of(int type)
{
    switch (type) {
    case 1: case 10: case 14: case 18: return VALUE_LIST;
    case 2: case 11: case 20: return VALUE_SET;
    case 3: case 5: case 12: case 17: return VALUE_ZSET;
    case 4: case 9: case 13: case 16: case 22: case 23: case 24: case 25:
        return VALUE_HASH;
    case 15: case 19: case 21: return VALUE_STREAM;
    case 7: return VALUE_MODULE;
    default: return VALUE_STRING;
    }
}

static int read_collection(rdb_ctx *c, int type, value *v,
                           rdb_key_info *info)
{
    uint64_t at;
    int w;
    switch (type) {
    case 1: case 2: case 3: case 4: case 5:
        return read_plain(c, type, v);
    case 14: case 18:
        return read_quicklist(c, type, v, info);
    case 22: case 24:
        if (c->valkey) /* Valkey's HASH_2 (only 22 gets here) */
            return rdb_read_hash2(c, v);
        return read_hash_metadata(c, type, v, info);
    case 15: case 19: case 21:
        return rdb_read_stream(c, type, v, info);
    case 7: {
        uint64_t id;
        if (rdb_read_len(c->r, &id, NULL) != 0)
            return -1;
        return rdb_read_module_ops(c, id, v);
    }
    case 25: {
        uint64_t min_expire;
        if (rdb_read_uint_le(c->r, 8, &min_expire) != 0)
            return -1;
        info->min_expire_ms = (int64_t)min_expire;
        break;
    }
    }
    if (read_blob(c, &at) != 0)
        return -1;
    switch (type) {
    case 9: return fill_from_blob(c, at, &ZIPMAP, v, 2);
    case 10: return fill_from_blob(c, at, &ZIPLIST, v, 1);
    case 11:
        w = fill_from_blob(c, at, &INTSET, v, 1);
        if (w > 0)
            info->intset_width = w;
        return w < 0 ? -1 : 0;
    case 12: case 13: return fill_from_blob(c, at, &ZIPLIST, v, 2);
    case 16: case 17: return fill_from_blob(c, at, &LISTPACK, v, 2);
    case 20: return fill_from_blob(c, at, &LISTPACK, v, 1);
    default: /* 23, 25 */
        return fill_from_blob(c, at, &LISTPACK, v, 3);
    }
}

int rdb_read_object(rdb_ctx *c, int type, value **out, rdb_key_info *info)
{
    uint64_t at = rdb_offset(c->r) - 1; /* the type byte */
    *out = NULL;
    info->rdb_type = type;
    info->encoding = rdb_type_name(type);
    if (type == 0) {
        if (rdb_read_string(c->r, &c->s1, &info->string_enc) != 0)
            return -1;
        *out = value_new_string(c->s1.p, c->s1.len, VALUE_NO_EXPIRY);
        return *out == NULL ? oom(c) : 0;
    }
    if (type == 6)
        return rdb_fail_at(c->r, at, "module value of the Redis 4.0 release "
                           "candidates (type 6, MODULE_PRE_GA) cannot be "
                           "skipped without the module");
    if (c->valkey && type >= 23) /* Valkey 9.0 ends at 22, HASH_2 */
        return rdb_fail_at(c->r, info->offset, "value type %d is not defined "
                           "under the VALKEY magic (Valkey 9.0 and 9.1 write "
                           "types 0 to 22)", type);
    if (c->valkey && type == 22)
        info->encoding = "hash_2"; /* not Redis's 7.4 rc type 22 */
    if (info->encoding == NULL || type == 8)
        return rdb_fail_at(c->r, at, "unknown value type %d", type);
    value *v = value_new_collection(type_of(type), VALUE_NO_EXPIRY);
    if (v == NULL)
        return oom(c);
    if (read_collection(c, type, v, info) != 0 || value_seal(v) != 0) {
        if (!c->r->failed)
            oom(c);
        value_free(v);
        return -1;
    }
    *out = v;
    return 0;
}
