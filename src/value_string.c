/* value_string.c - string values: inline when short, a pstring when long.
 * Chapter 8.
 *
 * Most Redis strings are short, so a string of up to PSTRING_THRESHOLD
 * (4 KiB) bytes is one allocation: the 24-byte header, the bytes and a NUL
 * ("value:123456" is 37 bytes, a 48-byte malloc chunk).  Copying such a
 * string whole on APPEND, SETRANGE or SETBIT is cheaper than any tree.  A
 * longer one (made long, or grown past the threshold by an edit) holds a
 * pstring (pstring.h), whose edits cost O(log n + bytes written) and share
 * every untouched chunk with the old version.  Every edit returns a new
 * version and leaves the one it was given intact.
 */
#include "value_internal.h"
#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* An inline string of len bytes, uninitialised; NUL written. */
static value *inline_new(size_t len, int64_t expire_ms)
{
    value *v = xmalloc(sizeof *v + len + 1);
    if (v == NULL)
        return NULL;
    v->type = VALUE_STRING;
    v->enc = VALUE_ENC_INLINE;
    v->flags = 0;
    v->spare = 0;
    v->refs = 1;
    v->expire_ms = expire_ms;
    v->u.len = (uint32_t)len;
    ((unsigned char *)(v + 1))[len] = '\0';
    return v;
}

static unsigned char *inline_bytes(value *v)
{
    return (unsigned char *)(v + 1);
}

/* A header over a pstring version (taken over: released on failure). */
static value *wrap(pstring *s, int64_t expire_ms)
{
    value *v = value_header_new(VALUE_STRING, expire_ms);
    if (v == NULL) {
        pstring_release(s);
        return NULL;
    }
    v->u.str = s;
    return v;
}

value *value_new_string(const void *bytes, size_t len, int64_t expire_ms)
{
    if (len <= PSTRING_THRESHOLD) {
        value *v = inline_new(len, expire_ms);
        if (v != NULL && len > 0)
            memcpy(inline_bytes(v), bytes, len);
        return v;
    }
    pstring *s = pstring_new(bytes, len);
    return s == NULL ? NULL : wrap(s, expire_ms);
}

size_t value_str_len(const value *v)
{
    return v->enc == VALUE_ENC_INLINE ? v->u.len : pstring_len(v->u.str);
}

const unsigned char *value_str_bytes(const value *v)
{
    if (v->enc == VALUE_ENC_INLINE)
        return (const unsigned char *)(v + 1);
    if (pstring_is_chunked(v->u.str))
        return NULL;
    pstring_iter it;
    const unsigned char *p;
    size_t n;
    pstring_iter_init(&it, v->u.str);
    return pstring_iter_next(&it, &p, &n) ? p : (const unsigned char *)"";
}

size_t value_str_read(const value *v, size_t off, void *buf, size_t n)
{
    if (v->enc != VALUE_ENC_INLINE)
        return pstring_read(v->u.str, off, n, buf);
    if (off >= v->u.len)
        return 0;
    if (n > v->u.len - off)
        n = v->u.len - off;
    memcpy(buf, (const unsigned char *)(v + 1) + off, n);
    return n;
}

/* The edits.  Each computes the new length; when it fits inline the new
 * version is an inline copy edited in place, otherwise the edit runs on
 * the pstring (made from the inline bytes first when v is inline). */
typedef enum { ED_APPEND, ED_SETRANGE, ED_SETBIT } edit_kind;

typedef struct edit {
    edit_kind kind;
    size_t off;       /* SETRANGE: where */
    const void *p;    /* APPEND, SETRANGE: the bytes */
    size_t n;         /* their length */
    uint64_t bitoff;  /* SETBIT */
    int bit;          /* SETBIT */
    int *oldbit;      /* SETBIT */
} edit;

static int new_len(size_t len, const edit *e, size_t *out)
{
    switch (e->kind) {
    case ED_APPEND:
        if (e->n > SIZE_MAX - len)
            return -1;
        *out = len + e->n;
        return 0;
    case ED_SETRANGE:
        if (e->n == 0) {
            *out = len;
            return 0;
        }
        if (e->off > SIZE_MAX - e->n)
            return -1;
        *out = e->off + e->n > len ? e->off + e->n : len;
        return 0;
    case ED_SETBIT:
        if (e->bitoff / 8 >= SIZE_MAX)
            return -1;
        *out = (size_t)(e->bitoff / 8) + 1 > len ? (size_t)(e->bitoff / 8) + 1
                                                 : len;
        return 0;
    }
    return -1;
}

/* Apply e to the n bytes at b (room for the new length nl), in place. */
static void apply_inline(unsigned char *b, size_t len, size_t nl,
                         const edit *e)
{
    if (nl > len)
        memset(b + len, 0, nl - len);
    switch (e->kind) {
    case ED_APPEND:
        if (e->n > 0)
            memcpy(b + len, e->p, e->n);
        break;
    case ED_SETRANGE:
        if (e->n > 0)
            memcpy(b + e->off, e->p, e->n);
        break;
    case ED_SETBIT: {
        size_t byte = (size_t)(e->bitoff / 8);
        unsigned mask = 0x80u >> (e->bitoff % 8);
        if (e->oldbit != NULL)
            *e->oldbit = (b[byte] & mask) != 0;
        if (e->bit)
            b[byte] |= (unsigned char)mask;
        else
            b[byte] &= (unsigned char)~mask;
        break;
    }
    }
}

static int apply_pstring(pstring *s, const edit *e, pstring **out)
{
    switch (e->kind) {
    case ED_APPEND: return pstring_append(s, e->p, e->n, out);
    case ED_SETRANGE: return pstring_setrange(s, e->off, e->p, e->n, out);
    case ED_SETBIT:
        return pstring_setbit(s, e->bitoff, e->bit, out, e->oldbit);
    }
    return -1;
}

static int str_edit(const value *v, const edit *e, value **out)
{
    if (v->type != VALUE_STRING) {
        errno = EINVAL;
        return -1;
    }
    size_t len = value_str_len(v), nl;
    if (new_len(len, e, &nl) != 0) {
        errno = EINVAL;
        return -1;
    }
    if (v->enc == VALUE_ENC_INLINE && nl <= PSTRING_THRESHOLD) {
        value *c = inline_new(nl, v->expire_ms);
        if (c == NULL)
            return -1;
        memcpy(inline_bytes(c), v + 1, len);
        apply_inline(inline_bytes(c), len, nl, e);
        *out = c;
        return 0;
    }
    bool made = v->enc == VALUE_ENC_INLINE; /* a pstring of our own */
    pstring *from = made ? pstring_new(v + 1, len) : v->u.str;
    if (from == NULL)
        return -1;
    pstring *to;
    int rc = apply_pstring(from, e, &to);
    if (made)
        pstring_release(from);
    if (rc != 0)
        return -1;
    value *c = wrap(to, v->expire_ms);
    if (c == NULL)
        return -1;
    *out = c;
    return 0;
}

int value_str_append(const value *v, const void *p, size_t n, value **out)
{
    edit e = {.kind = ED_APPEND, .p = p, .n = n};
    return str_edit(v, &e, out);
}

int value_str_setrange(const value *v, size_t off, const void *p, size_t n,
                       value **out)
{
    edit e = {.kind = ED_SETRANGE, .off = off, .p = p, .n = n};
    return str_edit(v, &e, out);
}

int value_str_setbit(const value *v, uint64_t bitoff, int bit, value **out,
                     int *oldbit)
{
    edit e = {.kind = ED_SETBIT, .bitoff = bitoff, .bit = bit != 0,
              .oldbit = oldbit};
    return str_edit(v, &e, out);
}
