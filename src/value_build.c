/* value_build.c - transients: building and editing collection values.
 * Chapter 8.
 *
 * A collection is built or edited as a transient: a value header with
 * VALUE_F_TRANSIENT set whose payload belongs to the writer alone.
 * value_new_collection() starts one empty (RDB loading), value_edit()
 * starts one from a version, sharing its payload (the type module's own
 * transient, so k edits cost O(k log n) and the version stays intact; a
 * type still in chapter 7's flat form is copied), and value_seal() turns
 * it into a version that may be stored.  The builders here (the names RDB
 * loading has always used) change a transient in place.
 */
#include "value_internal.h"

#include <errno.h>
#include <stdlib.h>

value *value_new_collection(value_type type, int64_t expire_ms)
{
    if (type == VALUE_STRING || type > VALUE_MODULE) {
        errno = EINVAL;
        return NULL;
    }
    value *v = value_header_new(type, expire_ms);
    if (v == NULL)
        return NULL;
    if (type == VALUE_MODULE)
        v->u.module = value_module_new();
    else
        v->u.flat = value_flat_new(type);
    if (v->u.flat == NULL && v->u.module == NULL) {
        free(v);
        errno = ENOMEM;
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
    value_flat *f = value_flat_copy(v->u.flat);
    if (f == NULL)
        return NULL;
    value *t = value_header_new((value_type)v->type, v->expire_ms);
    if (t == NULL) {
        value_flat_release(f);
        return NULL;
    }
    t->u.flat = f;
    t->flags = VALUE_F_TRANSIENT;
    return t;
}

int value_seal(value *v)
{
    if (!(v->flags & VALUE_F_TRANSIENT)) {
        errno = EINVAL;
        return -1;
    }
    if (v->type != VALUE_MODULE)
        value_flat_seal(v->u.flat);
    v->flags &= (uint8_t)~VALUE_F_TRANSIENT;
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

int value_list_push(value *v, const void *p, size_t len)
{
    if (!is_transient_of(v, VALUE_LIST))
        return -1;
    return value_flat_list_push(v->u.flat, p, len);
}

int value_set_add(value *v, const void *p, size_t len)
{
    if (!is_transient_of(v, VALUE_SET))
        return -1;
    return value_flat_set_add(v->u.flat, p, len);
}

int value_hash_add(value *v, const void *f, size_t flen, const void *val,
                   size_t vlen, int64_t expire_ms)
{
    if (!is_transient_of(v, VALUE_HASH))
        return -1;
    return value_flat_hash_add(v->u.flat, f, flen, val, vlen, expire_ms);
}

int value_zset_add(value *v, const void *m, size_t mlen, double score)
{
    if (!is_transient_of(v, VALUE_ZSET))
        return -1;
    return value_flat_zset_add(v->u.flat, m, mlen, score);
}

int value_intern(value *v, const void *bytes, size_t len, value_elem *out)
{
    if (!(v->flags & VALUE_F_TRANSIENT) || v->type == VALUE_STRING) {
        errno = EINVAL;
        return -1;
    }
    struct value_chunk **arena = v->type == VALUE_MODULE
                                     ? &v->u.module->arena
                                     : &v->u.flat->arena;
    return value_arena_copy(arena, bytes, len, out);
}
