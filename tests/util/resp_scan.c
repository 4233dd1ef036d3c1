/* resp_scan.c - where a RESP2/RESP3 reply ends, and its canonical form
 * (see resp_scan.h).  Chapter 11.
 *
 * One recursive descent does both jobs: with no output buffer it only
 * walks the bytes (resp_scan()), with one it copies them, and inside a
 * container whose order does not count it writes each element (or pair)
 * into a scratch buffer first, sorts the pieces and appends them in order.
 */
#include "resp_scan.h"

#include "resp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scan {
    const char *b;  /* the bytes */
    size_t len;     /* their count */
    size_t pos;     /* the next byte to read */
    unsigned flags; /* RESP_CANON_* */
    char *err;      /* where a reason goes (may be NULL) */
    size_t errsz;
} scan;

/* Results of the walk. */
enum { SCAN_OK = 1, SCAN_MORE = 0, SCAN_BAD = -1 };

static int bad(scan *s, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(scan *s, size_t at, const char *fmt, ...)
{
    if (s->err != NULL && s->errsz > 0) {
        char why[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        snprintf(s->err, s->errsz, "byte %zu: %s", at, why);
    }
    return SCAN_BAD;
}

static int emit(resp_buf *out, const char *p, size_t n)
{
    return out == NULL || resp_buf_append(out, p, n) == 0 ? SCAN_OK
                                                          : SCAN_BAD;
}

/* The line starting at s->pos (after the type byte): sets *end to the
 * offset of its CR. */
static int line(scan *s, size_t *end)
{
    const char *cr = memchr(s->b + s->pos, '\r', s->len - s->pos);
    if (cr == NULL)
        return SCAN_MORE;
    size_t i = (size_t)(cr - s->b);
    if (i + 1 >= s->len)
        return SCAN_MORE;
    if (s->b[i + 1] != '\n')
        return bad(s, i + 1, "CR not followed by LF");
    *end = i;
    return SCAN_OK;
}

/* A decimal header such as the 12 of "$12": -1 allowed when may_null. */
static int header(scan *s, size_t start, size_t end, bool may_null,
                  int64_t *n)
{
    if (resp_parse_int(s->b + start, end - start, n) != 0 || end == start)
        return bad(s, start, "bad length \"%.*s\"",
                   (int)(end - start > 20 ? 20 : end - start), s->b + start);
    if (*n < -1 || (*n == -1 && !may_null))
        return bad(s, start, "negative length %lld", (long long)*n);
    return SCAN_OK;
}

typedef struct piece {
    size_t off, len;
} piece;

/* qsort_r's comparison: base is the scratch buffer the pieces are in. */
static int piece_cmp(const void *pa, const void *pb, void *base)
{
    const piece *a = pa, *b = pb;
    const char *sort_base = base;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(sort_base + a->off, sort_base + b->off, n);
    if (c != 0)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

static int value(scan *s, resp_buf *out, int depth, bool top);

/* count elements, in groups of `group`, sorted when `unordered`. */
static int elements(scan *s, resp_buf *out, int depth, uint64_t count,
                    unsigned group, bool unordered)
{
    if (!unordered || out == NULL) {
        for (uint64_t i = 0; i < count; i++) {
            int rc = value(s, out, depth + 1, false);
            if (rc != SCAN_OK)
                return rc;
        }
        return SCAN_OK;
    }
    uint64_t groups = count / group;
    if (groups > s->len) /* each element is at least 3 bytes */
        return SCAN_MORE;
    resp_buf tmp;
    resp_buf_init(&tmp);
    piece *p = groups ? calloc((size_t)groups, sizeof *p) : NULL;
    int rc = groups && p == NULL ? SCAN_BAD : SCAN_OK;
    for (uint64_t g = 0; rc == SCAN_OK && g < groups; g++) {
        p[g].off = tmp.len;
        for (unsigned k = 0; rc == SCAN_OK && k < group; k++)
            rc = value(s, &tmp, depth + 1, false);
        p[g].len = tmp.len - p[g].off;
    }
    if (rc == SCAN_OK && groups > 0) {
        qsort_r(p, (size_t)groups, sizeof *p, piece_cmp, tmp.data);
        for (uint64_t g = 0; rc == SCAN_OK && g < groups; g++)
            rc = emit(out, tmp.data + p[g].off, p[g].len);
    }
    free(p);
    resp_buf_free(&tmp);
    return rc;
}

static int value(scan *s, resp_buf *out, int depth, bool top)
{
    if (depth > RESP_SCAN_MAX_DEPTH)
        return bad(s, s->pos, "nested deeper than %d", RESP_SCAN_MAX_DEPTH);
    if (s->pos >= s->len)
        return SCAN_MORE;
    size_t start = s->pos;
    char t = s->b[s->pos++];
    size_t end = 0;
    int rc = line(s, &end);
    if (rc != SCAN_OK)
        return rc;
    const char *body = s->b + start + 1;
    size_t blen = end - start - 1;
    int64_t n = 0;
    switch (t) {
    case '+': case '-': case ',':
        break;
    case ':': case '(':
        if (resp_parse_int(body, blen, &n) != 0 && t == ':')
            return bad(s, start + 1, "bad integer");
        if (blen == 0)
            return bad(s, start + 1, "empty number");
        break;
    case '_':
        if (blen != 0)
            return bad(s, start + 1, "null with text");
        break;
    case '#':
        if (blen != 1 || (body[0] != 't' && body[0] != 'f'))
            return bad(s, start + 1, "boolean neither t nor f");
        break;
    case '$': case '!': case '=': {
        if ((rc = header(s, start + 1, end, t == '$', &n)) != SCAN_OK)
            return rc;
        s->pos = end + 2;
        if (n < 0)
            return emit(out, s->b + start, s->pos - start);
        if ((uint64_t)n + 2 > s->len - s->pos)
            return SCAN_MORE;
        size_t tail = s->pos + (size_t)n;
        if (s->b[tail] != '\r' || s->b[tail + 1] != '\n')
            return bad(s, tail, "string of %lld bytes not followed by CRLF",
                       (long long)n);
        if (t == '=' && (n < 4 || s->b[s->pos + 3] != ':'))
            return bad(s, s->pos, "verbatim string without a format");
        s->pos = tail + 2;
        return emit(out, s->b + start, s->pos - start);
    }
    case '*': case '~': case '>': case '%': case '|': {
        if ((rc = header(s, start + 1, end, t == '*', &n)) != SCAN_OK)
            return rc;
        s->pos = end + 2;
        bool map = t == '%' || t == '|';
        if (map && (uint64_t)n > UINT64_MAX / 2)
            return bad(s, start + 1, "map too long");
        uint64_t count = n < 0 ? 0 : map ? 2 * (uint64_t)n : (uint64_t)n;
        if (t == '|') { /* skip the attribute, then take the next value */
            if ((rc = elements(s, NULL, depth, count, 1, false)) != SCAN_OK)
                return rc;
            return value(s, out, depth, top);
        }
        if ((rc = emit(out, s->b + start, end + 2 - start)) != SCAN_OK)
            return rc;
        bool nested = (s->flags & RESP_CANON_NESTED) && (t == '~' || map);
        bool at_top = top && (s->flags & RESP_CANON_TOP);
        unsigned group = map || (at_top && t == '*' &&
                                 (s->flags & RESP_CANON_PAIRS)) ? 2 : 1;
        if (count % group != 0)
            return bad(s, start + 1, "odd number of elements for pairs");
        return elements(s, out, depth, count, group, nested || at_top);
    }
    default:
        return bad(s, start, "unknown type byte 0x%02x",
                   (unsigned char)t);
    }
    s->pos = end + 2;
    return emit(out, s->b + start, s->pos - start);
}

int resp_scan(const char *buf, size_t len, size_t *used, char *err,
              size_t errsz)
{
    scan s = {.b = buf, .len = len, .err = err, .errsz = errsz};
    int rc = value(&s, NULL, 0, true);
    if (rc == SCAN_OK)
        *used = s.pos;
    return rc;
}

int resp_canonical(const char *buf, size_t len, unsigned flags, char **out,
                   size_t *outlen, char *err, size_t errsz)
{
    scan s = {.b = buf, .len = len, .flags = flags, .err = err,
              .errsz = errsz};
    resp_buf b;
    resp_buf_init(&b);
    int rc = value(&s, &b, 0, true);
    if (rc == SCAN_MORE)
        rc = bad(&s, len, "the reply is cut short");
    else if (rc == SCAN_OK && s.pos != len)
        rc = bad(&s, s.pos, "%zu bytes after the reply", len - s.pos);
    if (rc == SCAN_OK && resp_buf_append(&b, "", 1) != 0)
        rc = SCAN_BAD;
    if (rc != SCAN_OK) {
        if (err != NULL && errsz > 0 && err[0] == '\0')
            snprintf(err, errsz, "out of memory");
        resp_buf_free(&b);
        return -1;
    }
    *out = b.data;
    *outlen = b.len - 1;
    return 0;
}

int resp_reply_equal(const char *a, size_t alen, const char *b, size_t blen,
                     unsigned flags, char *err, size_t errsz)
{
    if (err != NULL && errsz > 0)
        err[0] = '\0';
    if (flags == 0)
        return alen == blen && memcmp(a, b, alen) == 0;
    char *ca, *cb;
    size_t la, lb;
    if (resp_canonical(a, alen, flags, &ca, &la, err, errsz) != 0)
        return -1;
    if (resp_canonical(b, blen, flags, &cb, &lb, err, errsz) != 0) {
        free(ca);
        return -1;
    }
    int eq = la == lb && memcmp(ca, cb, la) == 0;
    free(ca);
    free(cb);
    return eq;
}
