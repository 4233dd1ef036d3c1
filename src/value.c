/* value.c - the value header: sharing, expiry, embedding and accounting.
 * Chapter 1; extended in chapters 7, 8.
 *
 * A value is a 24-byte header (value.h) over a payload.  This file owns the
 * header's life: reference counts (value_retain(), value_free()), a new
 * header over the same payload for a new expiry (value_with_expire()), the
 * embedded copies a compact store keeps inside its entries, and the
 * per-type dispatch of payload operations, among them the two sizes:
 * value_bytes() (exact, O(n), for tools) and value_charge() (O(1), what
 * the stores count).  Strings are in value_string.c, building and editing
 * collections in value_build.c, the payloads in their type modules.
 *
 * Reference counts are plain integers: only the writer thread retains and
 * frees values (see value.h), and readers never touch a count.
 */
#include "value_internal.h"
#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

value *value_header_new(value_type type, int64_t expire_ms)
{
    value *v = xmalloc(sizeof *v);
    if (v == NULL)
        return NULL;
    v->type = (uint8_t)type;
    v->enc = VALUE_ENC_PAYLOAD;
    v->flags = 0;
    v->spare = 0;
    v->refs = 1;
    v->expire_ms = expire_ms;
    v->u.module = NULL;
    return v;
}

void value_payload_retain(const value *v)
{
    switch ((value_type)v->type) {
    case VALUE_STRING: pstring_retain(v->u.str); break;
    case VALUE_LIST: plist_retain(v->u.list); break;
    case VALUE_SET: pset_retain(v->u.set); break;
    case VALUE_HASH: phash_retain(v->u.hash); break;
    case VALUE_ZSET: pzset_retain(v->u.zset); break;
    case VALUE_STREAM: pstream_retain(v->u.stream); break;
    case VALUE_MODULE: v->u.module->refs++; break;
    }
}

void value_payload_release(value *v)
{
    switch ((value_type)v->type) {
    case VALUE_STRING: pstring_release(v->u.str); break;
    case VALUE_LIST: plist_release(v->u.list); break;
    case VALUE_SET: pset_release(v->u.set); break;
    case VALUE_HASH: phash_release(v->u.hash); break;
    case VALUE_ZSET: pzset_release(v->u.zset); break;
    case VALUE_STREAM: pstream_release(v->u.stream); break;
    case VALUE_MODULE: value_module_release(v->u.module); break;
    }
}

/* [ch08-with-expire] */
/* A standalone copy of v's header (and inline bytes) with another expiry,
 * sharing v's payload. */
static value *header_copy(const value *v, int64_t expire_ms)
{
    /* learn: ch08 header_copy "Expiry outside the payload" */
    value *c;
    if (v->enc == VALUE_ENC_INLINE) {
        size_t n = sizeof *v + v->u.len + 1;
        c = xmalloc(n);
        if (c == NULL)
            return NULL;
        memcpy(c, v, n);
    } else {
        c = xmalloc(sizeof *c);
        if (c == NULL)
            return NULL;
        *c = *v;
        value_payload_retain(v);
    }
    c->flags = 0;
    c->refs = 1;
    c->expire_ms = expire_ms;
    return c;
    /* learn: end */
}
/* [ch08-with-expire] */

value *value_retain(value *v)
{
    if (v->flags & VALUE_F_TRANSIENT) {
        errno = EINVAL;
        return NULL;
    }
    if ((v->flags & VALUE_F_EMBEDDED) || v->refs == UINT32_MAX)
        return header_copy(v, v->expire_ms);
    v->refs++;
    return v;
}

void value_free(value *v)
{
    if (v == NULL || (v->flags & VALUE_F_EMBEDDED))
        return;
    if (--v->refs > 0)
        return;
    if (v->enc == VALUE_ENC_PAYLOAD)
        value_payload_release(v);
    free(v);
}

int value_with_expire(const value *v, int64_t expire_ms, value **out)
{
    if (v->flags & VALUE_F_TRANSIENT) {
        errno = EINVAL;
        return -1;
    }
    value *c = header_copy(v, expire_ms);
    if (c == NULL)
        return -1;
    *out = c;
    return 0;
}

size_t value_embed_size(const value *v)
{
    if (v->type != VALUE_STRING || v->enc != VALUE_ENC_INLINE ||
        (v->flags & VALUE_F_TRANSIENT))
        return 0;
    return sizeof *v + v->u.len + 1;
}

value *value_embed(const value *v, void *dst)
{
    value *e = dst;
    memcpy(e, v, value_embed_size(v));
    e->flags = VALUE_F_EMBEDDED;
    e->refs = 0;
    return e;
}

bool value_is_expired(const value *v, int64_t now_ms)
{
    return v->expire_ms != VALUE_NO_EXPIRY && v->expire_ms <= now_ms;
}

size_t value_bytes(const value *v)
{
    size_t head = (v->flags & VALUE_F_EMBEDDED) ? 0 : sizeof *v;
    if (v->enc == VALUE_ENC_INLINE)
        return head ? head + v->u.len + 1 : 0;
    switch ((value_type)v->type) {
    case VALUE_STRING: return head + pstring_bytes_used(v->u.str);
    case VALUE_LIST: return head + plist_bytes(v->u.list);
    case VALUE_SET: return head + pset_bytes(v->u.set);
    case VALUE_HASH: return head + phash_bytes(v->u.hash);
    case VALUE_ZSET: return head + pzset_bytes(v->u.zset);
    case VALUE_STREAM: return head + pstream_bytes(v->u.stream);
    case VALUE_MODULE: return head + value_module_bytes(v->u.module);
    }
    return head;
}

/* [ch08-value-charge] */
size_t value_charge(const value *v)
{
    size_t head = (v->flags & VALUE_F_EMBEDDED) ? 0 : sizeof *v;
    if (v->enc == VALUE_ENC_INLINE)
        return head ? head + v->u.len + 1 : 0;
    switch ((value_type)v->type) {
    case VALUE_STRING: return head + pstring_charge(v->u.str);
    case VALUE_LIST: return head + plist_root_bytes(v->u.list);
    case VALUE_SET: return head + pset_root_bytes(v->u.set);
    case VALUE_HASH: return head + phash_root_bytes(v->u.hash);
    case VALUE_ZSET: return head + pzset_root_bytes(v->u.zset);
    case VALUE_STREAM: return head + pstream_root_bytes(v->u.stream);
    case VALUE_MODULE: return head + sizeof *v->u.module;
    }
    return head;
}
/* [ch08-value-charge] */

size_t value_count(const value *v)
{
    switch ((value_type)v->type) {
    case VALUE_STRING: return 1;
    case VALUE_LIST: return plist_len(v->u.list);
    case VALUE_SET: return pset_len(v->u.set);
    case VALUE_HASH: return phash_len(v->u.hash);
    case VALUE_ZSET: return pzset_len(v->u.zset);
    case VALUE_STREAM: return pstream_len(v->u.stream);
    case VALUE_MODULE: return v->u.module->nops;
    }
    return 0;
}

const plist *value_as_list(const value *v)
{
    return v->u.list;
}

const pset *value_as_set(const value *v)
{
    return v->u.set;
}

const phash *value_as_hash(const value *v)
{
    return v->u.hash;
}

const pzset *value_as_zset(const value *v)
{
    return v->u.zset;
}

const pstream *value_as_stream(const value *v)
{
    return v->u.stream;
}

const char *value_type_name(value_type t)
{
    static const char *const names[] = {"string", "list", "set", "zset",
                                        "hash", "stream", "module"};
    return (unsigned)t <= VALUE_MODULE ? names[t] : "unknown";
}

int64_t value_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
