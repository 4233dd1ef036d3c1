/* phash_field.c - one hash field: a name, a value and maybe an expiry, in one allocation.
 * Chapter 8.
 *
 * A field is immutable once made and shared by every version that holds
 * it, so it is reference counted like a velem (src/velem.h): only the
 * writer changes the count, readers never touch it.  The expiry, when
 * there is one, is the first 8 bytes of data, read and written with
 * memcpy because the 12-byte header leaves it 4-byte aligned; a field
 * with no expiry does not pay for it.  This file also holds the two
 * operation tables that let the trie and the expiry index hold fields.
 */
#include "phash_private.h"

#include "alloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

static atomic_size_t g_live;

size_t phash_fields_live(void)
{
    /* relaxed: a statistic, read by tests after the writer's edits */
    return atomic_load_explicit(&g_live, memory_order_relaxed);
}

static size_t alloc_size(size_t flen, size_t vlen, bool exp)
{
    return sizeof(phash_field) + (exp ? sizeof(int64_t) : 0) + flen + 1 +
           vlen + 1;
}

phash_field *phash_field_new(const void *f, size_t flen, const void *v,
                             size_t vlen, int64_t expire_ms)
{
    if (flen > PHASH_MAX_LEN || vlen > PHASH_MAX_LEN || expire_ms < -1) {
        errno = EINVAL;
        return NULL;
    }
    bool exp = expire_ms != PHASH_NO_EXPIRE;
    phash_field *e = xmalloc(alloc_size(flen, vlen, exp));
    if (e == NULL)
        return NULL;
    e->refs = 1;
    e->flen = (uint32_t)flen;
    e->vlen = (unsigned)vlen;
    e->has_expire = exp;
    unsigned char *p = e->data;
    if (exp) {
        memcpy(p, &expire_ms, sizeof expire_ms);
        p += sizeof expire_ms;
    }
    if (flen > 0)
        memcpy(p, f, flen);
    p[flen] = '\0';
    p += flen + 1;
    if (vlen > 0)
        memcpy(p, v, vlen);
    p[vlen] = '\0';
    /* relaxed: a statistic (see phash_fields_live()) */
    atomic_fetch_add_explicit(&g_live, 1, memory_order_relaxed);
    return e;
}

phash_field *phash_field_retain(phash_field *f)
{
    if (f != NULL)
        f->refs++;
    return f;
}

void phash_field_release(phash_field *f)
{
    if (f != NULL && --f->refs == 0) {
        free(f);
        atomic_fetch_sub_explicit(&g_live, 1, memory_order_relaxed);
    }
}

const unsigned char *phash_field_name(const phash_field *f, size_t *len)
{
    if (len)
        *len = f->flen;
    return f->data + (f->has_expire ? sizeof(int64_t) : 0);
}

const unsigned char *phash_field_value(const phash_field *f, size_t *len)
{
    if (len)
        *len = f->vlen;
    return phash_field_name(f, NULL) + f->flen + 1;
}

int64_t phash_field_expire(const phash_field *f)
{
    int64_t e = PHASH_NO_EXPIRE;
    if (f->has_expire)
        memcpy(&e, f->data, sizeof e);
    return e;
}

size_t phash_field_bytes(const phash_field *f)
{
    return alloc_size(f->flen, f->vlen, f->has_expire);
}

bool phash_field_is(const phash_field *f, const void *name, size_t len)
{
    return f->flen == len &&
           (len == 0 || memcmp(phash_field_name(f, NULL), name, len) == 0);
}

int phash_field_expiry_cmp(const void *a, const void *b)
{
    const phash_field *x = a, *y = b;
    int64_t ex = phash_field_expire(x), ey = phash_field_expire(y);
    if (ex != ey)
        return ex < ey ? -1 : 1;
    size_t n = x->flen < y->flen ? x->flen : y->flen;
    int c = n ? memcmp(phash_field_name(x, NULL), phash_field_name(y, NULL), n)
              : 0;
    if (c != 0)
        return c;
    return x->flen < y->flen ? -1 : x->flen > y->flen ? 1 : 0;
}

/* ---- operation tables ----------------------------------------------------- */

static void op_retain(void *e)
{
    phash_field_retain(e);
}

static void op_release(void *e)
{
    phash_field_release(e);
}

static const void *op_key(const void *e, size_t *len)
{
    return phash_field_name(e, len);
}

static size_t op_size(const void *e)
{
    return phash_field_bytes(e);
}

const ptrie_ops phash_field_trie_ops = {
    .retain = op_retain,
    .release = op_release,
    .key = op_key,
    .size = op_size,
};

/* The index holds the same fields as the trie: size NULL, so that
 * phash_bytes() counts each field once. */
const pbtree_ops phash_field_expiry_ops = {
    .retain = op_retain,
    .release = op_release,
    .compare = phash_field_expiry_cmp,
    .size = NULL,
};
