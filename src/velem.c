/* velem.c - immutable reference-counted byte strings shared by versions.
 * Chapter 8.
 *
 * One allocation per element: the 8-byte header, the bytes and a NUL.
 * The functions are tiny on purpose; the point of the file is the
 * ownership rule in velem.h (counts changed by the writer only).
 */
#include "velem.h"
#include "alloc.h"

#include <errno.h>
#include <string.h>

velem *velem_new(const void *p, size_t len)
{
    /* learn: ch08 velem_new "Elements are shared objects" */
    if (len > VELEM_MAX_LEN) {
        errno = EINVAL;
        return NULL;
    }
    velem *e = xmalloc(sizeof *e + len + 1);
    if (e == NULL)
        return NULL;
    e->refs = 1;
    e->len = (uint32_t)len;
    if (len > 0)
        memcpy(e->bytes, p, len);
    e->bytes[len] = '\0';
    return e;
    /* learn: end */
}

velem *velem_retain(velem *e)
{
    if (e != NULL)
        e->refs++;
    return e;
}

/* [ch08-velem-release] */
void velem_release(velem *e)
{
    /* learn: ch08 velem_release "Elements are shared objects" */
    if (e != NULL && --e->refs == 0)
        free(e);
    /* learn: end */
}
/* [ch08-velem-release] */

int velem_cmp_bytes(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n > 0 ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

int velem_eq(const velem *e, const void *p, size_t len)
{
    return e->len == len && (len == 0 || memcmp(e->bytes, p, len) == 0);
}

size_t velem_bytes(const velem *e)
{
    return sizeof *e + (size_t)e->len + 1;
}

void velem_retain_op(void *e)
{
    velem_retain(e);
}

void velem_release_op(void *e)
{
    velem_release(e);
}

size_t velem_size_op(const void *e)
{
    return velem_bytes(e);
}

const void *velem_key_op(const void *e, size_t *len)
{
    const velem *v = e;
    *len = v->len;
    return v->bytes;
}
