/* pstring_read.c - reading a persistent long string: bytes, bits, pieces.
 * Chapter 8.
 *
 * Every read walks the pieces that cover a byte range: the flat buffer,
 * or the chunks found by one pbtree descent (byte i is in chunk
 * i / chunk size, since every chunk but the last is full) and then the
 * tree's iterator.  Reads touch no reference count, so any thread may
 * read a published version inside its read section.  pstring_check()
 * re-derives those invariants the slow way, for the tests.
 */
#include "pstring_private.h"

#include <stdio.h>
#include <string.h>

/* ---- reads ----------------------------------------------------------------- */

/* Call f on each piece of [off, off + n) (already inside the string). */
static void visit(const pstring *s, size_t off, size_t n,
                  void (*f)(const unsigned char *, size_t, void *), void *arg)
{
    if (n == 0)
        return;
    if (!s->tree) {
        f(s->flat + off, n, arg);
        return;
    }
    size_t C = s->chunk, in = off % C;
    pbtree_iter it;
    pbtree_iter_seek(&it, s->tree, off / C);
    while (n > 0) {
        const pchunk *c = pbtree_iter_elem(&it);
        size_t m = c->len - in < n ? c->len - in : n;
        f(c->b + in, m, arg);
        n -= m;
        in = 0;
        pbtree_iter_next(&it);
    }
}

static void copy_piece(const unsigned char *p, size_t n, void *arg)
{
    unsigned char **dst = arg;
    memcpy(*dst, p, n);
    *dst += n;
}

size_t pstring_read(const pstring *s, size_t offset, size_t len, void *out)
{
    if (offset >= s->len)
        return 0;
    if (len > s->len - offset)
        len = s->len - offset;
    unsigned char *dst = out;
    visit(s, offset, len, copy_piece, &dst);
    return len;
}

int pstring_byte_at(const pstring *s, size_t i)
{
    if (i >= s->len)
        return -1;
    if (!s->tree)
        return s->flat[i];
    const pchunk *c = pbtree_get(s->tree, i / s->chunk);
    return c->b[i % s->chunk];
}

int pstring_getbit(const pstring *s, uint64_t bitoff)
{
    uint64_t byte = bitoff >> 3;
    if (byte >= s->len)
        return 0;
    int b = pstring_byte_at(s, (size_t)byte);
    return (b >> (7 - (bitoff & 7))) & 1;
}

static void count_piece(const unsigned char *p, size_t n, void *arg)
{
    uint64_t *acc = arg, c = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        c += (uint64_t)__builtin_popcountll(w);
    }
    for (; i < n; i++)
        c += (uint64_t)__builtin_popcount(p[i]);
    *acc += c;
}

uint64_t pstring_bitcount(const pstring *s, size_t start, size_t end)
{
    if (start >= s->len || start > end)
        return 0;
    if (end >= s->len)
        end = s->len - 1;
    uint64_t acc = 0;
    visit(s, start, end - start + 1, count_piece, &acc);
    return acc;
}

void pstring_iter_init(pstring_iter *it, const pstring *s)
{
    it->s = s;
    it->done = s->len == 0;
    if (s->tree)
        pbtree_iter_seek(&it->it, s->tree, 0);
}

bool pstring_iter_next(pstring_iter *it, const unsigned char **p, size_t *n)
{
    if (it->done)
        return false;
    if (!it->s->tree) {
        *p = it->s->flat;
        *n = it->s->len;
        it->done = true;
        return true;
    }
    if (!pbtree_iter_valid(&it->it)) {
        it->done = true;
        return false;
    }
    const pchunk *c = pbtree_iter_elem(&it->it);
    *p = c->b;
    *n = c->len;
    pbtree_iter_next(&it->it);
    return true;
}

/* ---- checking -------------------------------------------------------------- */

#define FAIL(...)                                                            \
    do {                                                                     \
        snprintf(err, errlen, __VA_ARGS__);                                  \
        return -1;                                                           \
    } while (0)

int pstring_check(const pstring *s, char *err, size_t errlen)
{
    if (s->refs < 1)
        FAIL("reference count %zu", s->refs);
    if (s->edit && s->refs != 1)
        FAIL("transient with reference count %zu", s->refs);
    if (!s->tree) {
        if (s->len > s->threshold)
            FAIL("flat length %zu above threshold %zu", s->len, s->threshold);
        if (s->len && !s->flat)
            FAIL("flat length %zu with no buffer", s->len);
        if (s->cap < s->len)
            FAIL("flat length %zu above capacity %zu", s->len, s->cap);
        return 0;
    }
    if (s->flat)
        FAIL("chunked string with a flat buffer");
    if (s->len <= s->threshold / 2)
        FAIL("chunked length %zu at most half the threshold %zu", s->len,
             s->threshold);
    char sub[200];
    if (pbtree_check(s->tree, sub, sizeof sub) != 0)
        FAIL("chunk tree: %s", sub);
    size_t C = s->chunk, n = pbtree_len(s->tree), sum = 0, i = 0;
    if (n != (s->len + C - 1) / C)
        FAIL("%zu chunks for length %zu (chunk %zu)", n, s->len, C);
    pbtree_iter it;
    for (pbtree_iter_seek(&it, s->tree, 0); pbtree_iter_valid(&it);
         pbtree_iter_next(&it), i++) {
        const pchunk *c = pbtree_iter_elem(&it);
        if (c->len == 0)
            FAIL("chunk %zu is empty", i);
        if (c->len > c->cap || c->len > C)
            FAIL("chunk %zu holds %u bytes, capacity %u, chunk size %zu", i,
                 c->len, c->cap, C);
        if (i + 1 < n && c->len != C)
            FAIL("chunk %zu (not the last) holds %u bytes, not %zu", i,
                 c->len, C);
        if (c->refs < 1)
            FAIL("chunk %zu has reference count 0", i);
        sum += c->len;
    }
    if (sum != s->len)
        FAIL("chunks hold %zu bytes, length is %zu", sum, s->len);
    return 0;
}
