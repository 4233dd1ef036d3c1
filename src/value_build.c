/* value_build.c - transients: building and editing collection values.
 * Chapter 8; extended in chapter 9.
 *
 * A collection is built or edited as a transient: a value header with
 * VALUE_F_TRANSIENT set over the type module's own transient, which
 * belongs to the writer alone.  value_new_collection() starts one empty
 * (RDB loading), value_edit() starts one from a version (X_edit_begin():
 * the transient shares every node with the version, copies each node it
 * changes once for the whole batch, and never touches the version), and
 * value_seal() freezes it (X_edit_end()) into a version that may be
 * stored.  The builders here, the names RDB loading has always used, are
 * the modules' edits with out == the transient; a stream is filled
 * through value_edit_stream() by pstream's own builder (rdb_stream.c).
 * Module values are built once, by rdb_module.c, and never edited.
 */
#include "value_internal.h"

#include <errno.h>
#include <stdlib.h>

/* A transient module object of a collection type, made from nothing. */
static int new_payload(value *v)
{
    void *made = NULL;
    switch ((value_type)v->type) {
    case VALUE_LIST: {
        plist *l = plist_new();
        made = v->u.list = l ? plist_edit_begin(l) : NULL;
        plist_release(l);
        break;
    }
    case VALUE_SET: {
        pset *s = pset_new();
        made = v->u.set = s ? pset_edit_begin(s) : NULL;
        pset_release(s);
        break;
    }
    case VALUE_HASH: {
        phash *h = phash_new();
        made = v->u.hash = h ? phash_edit_begin(h) : NULL;
        phash_release(h);
        break;
    }
    case VALUE_ZSET: {
        pzset *z = pzset_new();
        made = v->u.zset = z ? pzset_edit_begin(z) : NULL;
        pzset_release(z);
        break;
    }
    case VALUE_STREAM: {
        pstream *s = pstream_new();
        made = v->u.stream = s ? pstream_edit_begin(s) : NULL;
        pstream_release(s);
        break;
    }
    case VALUE_MODULE: made = v->u.module = value_module_new(); break;
    case VALUE_STRING: break;
    }
    if (made == NULL) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

value *value_new_collection(value_type type, int64_t expire_ms)
{
    if (type == VALUE_STRING || type > VALUE_MODULE) {
        errno = EINVAL;
        return NULL;
    }
    value *v = value_header_new(type, expire_ms);
    if (v == NULL)
        return NULL;
    if (new_payload(v) != 0) {
        free(v);
        return NULL;
    }
    v->flags = VALUE_F_TRANSIENT;
    return v;
}

value *value_edit(const value *v)
{
    if (v->type == VALUE_STRING || v->type == VALUE_MODULE ||
        (v->flags & VALUE_F_TRANSIENT)) {
        errno = EINVAL;
        return NULL;
    }
    value *t = value_header_new((value_type)v->type, v->expire_ms);
    if (t == NULL)
        return NULL;
    void *made = NULL;
    switch ((value_type)v->type) {
    case VALUE_LIST: made = t->u.list = plist_edit_begin(v->u.list); break;
    case VALUE_SET: made = t->u.set = pset_edit_begin(v->u.set); break;
    case VALUE_HASH: made = t->u.hash = phash_edit_begin(v->u.hash); break;
    case VALUE_ZSET: made = t->u.zset = pzset_edit_begin(v->u.zset); break;
    case VALUE_STREAM:
        made = t->u.stream = pstream_edit_begin(v->u.stream);
        break;
    default: break;
    }
    if (made == NULL) {
        free(t);
        return NULL; /* errno from X_edit_begin() */
    }
    t->flags = VALUE_F_TRANSIENT;
    return t;
}

int value_seal(value *v)
{
    if (!(v->flags & VALUE_F_TRANSIENT)) {
        errno = EINVAL;
        return -1;
    }
    switch ((value_type)v->type) {
    case VALUE_LIST: v->u.list = plist_edit_end(v->u.list); break;
    case VALUE_SET: v->u.set = pset_edit_end(v->u.set); break;
    case VALUE_HASH: v->u.hash = phash_edit_end(v->u.hash); break;
    case VALUE_ZSET: v->u.zset = pzset_edit_end(v->u.zset); break;
    case VALUE_STREAM: v->u.stream = pstream_edit_end(v->u.stream); break;
    default: break;
    }
    v->flags &= (uint8_t)~VALUE_F_TRANSIENT;
    return 0;
}

int value_fork(value *t, value **out)
{
    if (!(t->flags & VALUE_F_TRANSIENT) || t->type == VALUE_MODULE ||
        t->type == VALUE_STRING) {
        errno = EINVAL;
        return -1;
    }
    value *copy = value_header_new((value_type)t->type, t->expire_ms);
    if (copy == NULL)
        return -1;
    /* The module's transient becomes the copy's version (X_edit_end()
     * returns the same object, now frozen), and t starts a new transient
     * over it, as value_edit() would. */
    void *made = NULL;
    switch ((value_type)t->type) {
    case VALUE_LIST:
        t->u.list = copy->u.list = plist_edit_end(t->u.list);
        made = plist_edit_begin(copy->u.list);
        if (made != NULL)
            t->u.list = made;
        break;
    case VALUE_SET:
        t->u.set = copy->u.set = pset_edit_end(t->u.set);
        made = pset_edit_begin(copy->u.set);
        if (made != NULL)
            t->u.set = made;
        break;
    case VALUE_HASH:
        t->u.hash = copy->u.hash = phash_edit_end(t->u.hash);
        made = phash_edit_begin(copy->u.hash);
        if (made != NULL)
            t->u.hash = made;
        break;
    case VALUE_ZSET:
        t->u.zset = copy->u.zset = pzset_edit_end(t->u.zset);
        made = pzset_edit_begin(copy->u.zset);
        if (made != NULL)
            t->u.zset = made;
        break;
    case VALUE_STREAM:
        t->u.stream = copy->u.stream = pstream_edit_end(t->u.stream);
        made = pstream_edit_begin(copy->u.stream);
        if (made != NULL)
            t->u.stream = made;
        break;
    default: break;
    }
    if (made == NULL) {
        /* t's object is the frozen version now: t is a version over it,
         * and the copy's header, which never took a reference, goes. */
        t->flags &= (uint8_t)~VALUE_F_TRANSIENT;
        free(copy);
        errno = ENOMEM;
        return -1;
    }
    *out = copy;
    return 0;
}

bool value_is_transient(const value *v)
{
    return (v->flags & VALUE_F_TRANSIENT) != 0;
}

/* Whether v is a transient of type t; EINVAL if not. */
static bool is_transient_of(const value *v, value_type t)
{
    if (v->type == t && (v->flags & VALUE_F_TRANSIENT))
        return true;
    errno = EINVAL;
    return false;
}

plist *value_edit_list(value *v)
{
    return is_transient_of(v, VALUE_LIST) ? v->u.list : NULL;
}

pset *value_edit_set(value *v)
{
    return is_transient_of(v, VALUE_SET) ? v->u.set : NULL;
}

phash *value_edit_hash(value *v)
{
    return is_transient_of(v, VALUE_HASH) ? v->u.hash : NULL;
}

pzset *value_edit_zset(value *v)
{
    return is_transient_of(v, VALUE_ZSET) ? v->u.zset : NULL;
}

pstream *value_edit_stream(value *v)
{
    return is_transient_of(v, VALUE_STREAM) ? v->u.stream : NULL;
}

int value_list_push(value *v, const void *p, size_t len)
{
    plist *l = value_edit_list(v), *out;
    return l == NULL ? -1 : plist_push_back(l, p, len, &out);
}

int value_set_add(value *v, const void *p, size_t len)
{
    pset *s = value_edit_set(v), *out;
    return s == NULL ? -1 : pset_add(s, p, len, &out);
}

int value_hash_add(value *v, const void *f, size_t flen, const void *val,
                   size_t vlen, int64_t expire_ms)
{
    phash *h = value_edit_hash(v), *out;
    if (h == NULL)
        return -1;
    if (phash_get(h, f, flen) != NULL)
        return 0; /* a builder never replaces: the first field stays */
    return phash_set(h, f, flen, val, vlen, expire_ms, &out);
}

int value_zset_add(value *v, const void *m, size_t mlen, double score)
{
    pzset *z = value_edit_zset(v), *out;
    if (z == NULL)
        return -1;
    if (pzset_score(z, m, mlen, NULL))
        return 0; /* a builder never replaces: the first score stays */
    return pzset_add(z, m, mlen, score, &out);
}

int value_intern(value *v, const void *bytes, size_t len, value_elem *out)
{
    if (!is_transient_of(v, VALUE_MODULE))
        return -1;
    return value_arena_copy(&v->u.module->arena, bytes, len, out);
}
