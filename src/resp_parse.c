/* resp_parse.c - the incremental RESP2 parser: a byte-driven state machine.
 * Chapter 6.
 *
 * Design.  The obvious parser reads until "\r\n", parses the line, and for a
 * bulk string reads until it has len + 2 more bytes.  It works on a test
 * string and fails on a socket: each time a read() brings a few more bytes
 * it starts again from the beginning of the value (quadratic on a slow
 * peer), it needs the whole value in one buffer, and a peer that sends
 * "$2147483647\r\n" makes it wait for, or allocate, two gigabytes.
 *
 * Here every byte moves the machine one step, and everything learnt so far
 * lives in the resp_parser: the state, the header digits as a number, the
 * bytes of a text line, the bulk string being filled, and a stack of the
 * arrays being filled (an element that completes goes into the innermost
 * array; an array that fills up is itself an element of the one outside).
 * A call consumes the bytes it was given and returns; the next call resumes.
 * Large runs (bulk payloads, long lines) are copied with memcpy, so the cost
 * is linear in the input however it is split.
 *
 * Errors name the absolute offset of the offending byte and what the
 * grammar expected there.  After one the parser frees what it was building
 * and stays in the error state: on a byte stream there is no safe place to
 * resynchronise, so the only cure is to drop the connection.
 */
#include "resp.h"
#include "alloc.h"
#include "resp_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* [ch06-finish] */
/* An element is complete.  Put it into the innermost open array; an array
 * that this fills is complete in turn.  Returns 1 when a top-level value is
 * complete (it is then in p->done), 0 when more elements are needed, -1 if
 * out of memory (v is freed). */
static int finish(resp_parser *p, resp_value v)
{
    /* learn: ch06 finish "The design: a byte-driven state machine" */
    while (p->depth > 0) {
        resp_frame *f = &p->stack[p->depth - 1];
        if (f->arr.len == f->cap) {
            size_t cap = f->cap ? f->cap * 2 : 8;
            if (cap > f->want) cap = (size_t)f->want;
            resp_value *e = xrealloc(f->arr.elems, cap * sizeof *e);
            if (!e) { resp_value_clear(&v); return -1; }
            f->arr.elems = e;
            f->cap = cap;
        }
        f->arr.elems[f->arr.len++] = v;
        if (f->arr.len < f->want) return 0;
        v = f->arr;              /* the array is full: it is the element */
        p->depth--;
    }
    p->done = v;
    return 1;
    /* learn: end */
}
/* [ch06-finish] */

static const char *hdr_name(unsigned char h)
{
    switch (h) {
    case '+': return "simple string";
    case '-': return "error reply";
    case ':': return "integer";
    case '$': return "bulk length";
    default:  return "array length";
    }
}

/* White space as C's isspace() sees it in the "C" locale. */
static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
           c == '\f';
}

/* Split an inline command line on white space into an array of bulk
 * strings.  Returns 0 (v->len == 0 for a blank line) or -1 if out of
 * memory. */
static int split_inline(const char *s, size_t n, resp_value *v)
{
    memset(v, 0, sizeof *v);
    v->type = RESP_ARRAY;
    v->is_inline = true;
    size_t cap = 0;
    size_t i = 0;
    for (;;) {
        while (i < n && is_space(s[i])) i++;
        if (i == n) return 0;
        size_t start = i;
        while (i < n && !is_space(s[i])) i++;
        if (v->len == cap) {
            cap = cap ? cap * 2 : 4;
            resp_value *e = xrealloc(v->elems, cap * sizeof *e);
            if (!e) { resp_value_clear(v); return -1; }
            v->elems = e;
        }
        resp_value *a = &v->elems[v->len];
        memset(a, 0, sizeof *a);
        a->type = RESP_BULK;
        a->len = i - start;
        a->str = xmalloc(a->len + 1);
        if (!a->str) { resp_value_clear(v); return -1; }
        memcpy(a->str, s + start, a->len);
        a->str[a->len] = '\0';
        v->len++;
    }
}

/* The LF of a header or text line arrived (at offset at): act on it.
 * Returns like finish(), or -2 after resp_fail(). */
static int line_done(resp_parser *p, uint64_t at)
{
    resp_value v;
    memset(&v, 0, sizeof v);
    switch (p->hdr) {
    case '+':
    case '-':
        v.type = p->hdr == '+' ? RESP_SIMPLE : RESP_ERROR;
        v.len = p->line_len;
        v.str = xmalloc(v.len + 1);
        if (!v.str) return resp_oom(p, at), -2;
        if (v.len) memcpy(v.str, p->line, v.len);
        v.str[v.len] = '\0';
        return finish(p, v);
    case ':':
        v.type = RESP_INTEGER;
        v.integer = p->neg ? (int64_t)(0 - p->num) : (int64_t)p->num;
        return finish(p, v);
    case '$':
        if (p->neg) { v.type = RESP_NULL; return finish(p, v); }
        if (p->num > p->lim.max_value ||
            p->lim.max_value - p->num < at + 1 - p->value_start + 2)
            return resp_fail(p, p->hdr_offset, "a bulk string of %llu bytes "
                             "would make the value longer than the limit of "
                             "%llu bytes", (unsigned long long)p->num,
                             (unsigned long long)p->lim.max_value), -2;
        /* Memory follows the bytes that arrive, not the announced length:
         * start small, double as the payload comes in. */
        p->bulk.type = RESP_BULK;
        p->bulk.len = 0;
        p->bulk_want = p->num;
        p->bulk_cap = p->num + 1 < 4096 ? (size_t)p->num + 1 : 4096;
        p->bulk.str = xmalloc(p->bulk_cap);
        if (!p->bulk.str) return resp_oom(p, at), -2;
        p->state = p->num ? S_BULK : S_BULK_CR;
        return 0;
    default: /* '*' */
        if (p->neg) { v.type = RESP_NULL_ARRAY; return finish(p, v); }
        v.type = RESP_ARRAY;
        if (p->num == 0) return finish(p, v);
        if (p->depth >= p->lim.max_depth)
            return resp_fail(p, p->hdr_offset, "arrays nested deeper than "
                             "the limit of %u", p->lim.max_depth), -2;
        if (p->depth == p->stack_cap) {
            unsigned cap = p->stack_cap ? p->stack_cap * 2 : 4;
            resp_frame *s = xrealloc(p->stack, cap * sizeof *s);
            if (!s) return resp_oom(p, at), -2;
            p->stack = s;
            p->stack_cap = cap;
        }
        resp_frame *f = &p->stack[p->depth++];
        f->arr = v;
        f->cap = 0;
        f->want = p->num;
        return 0;
    }
}

/* [ch06-digit] */
/* One byte of a ':', '$' or '*' header number. */
static resp_status header_byte(resp_parser *p, unsigned char c, uint64_t at)
{
    /* learn: ch06 header_byte "The design: a byte-driven state machine" */
    char b[8];
    bool is_len = p->hdr != ':';
    if (++p->line_len > p->lim.max_line)
        return resp_fail(p, at, "%s line longer than the limit of %zu bytes",
                         hdr_name(p->hdr), p->lim.max_line);
    if (c == '-' && !p->neg && !p->digits) {
        p->neg = true;
        return RESP_NEED_MORE;
    }
    if (c >= '0' && c <= '9') {
        if (is_len && p->neg) {          /* the only negative length is -1 */
            if (p->digits)
                return resp_fail(p, at, "expected '\\r' after -1, got %s",
                                 resp_show(c, b));
            if (c != '1')
                return resp_fail(p, at, "expected '1' after '-' (only -1 may "
                                 "be negative), got %s", resp_show(c, b));
        }
        uint64_t d = (uint64_t)(c - '0');
        uint64_t max = p->hdr == '$' ? p->lim.max_bulk
                     : p->hdr == '*' ? p->lim.max_array
                     : p->neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        if (p->num > max / 10 || (p->num == max / 10 && d > max % 10)) {
            if (p->hdr == ':')
                return resp_fail(p, at, "integer does not fit in 64 bits");
            /* Name the digit that crossed the limit, not the header. */
            return resp_fail(p, at, "%s exceeds the limit of %llu",
                             hdr_name(p->hdr), (unsigned long long)max);
        }
        p->num = p->num * 10 + d;
        p->digits = true;
        return RESP_NEED_MORE;
    }
    if (c == '\r' && p->digits) {
        p->state = S_LF;
        return RESP_NEED_MORE;
    }
    if (p->digits)
        return resp_fail(p, at, "expected a digit or '\\r' in %s, got %s",
                         hdr_name(p->hdr), resp_show(c, b));
    return resp_fail(p, at, p->neg ? "expected a digit in %s, got %s"
                                   : "expected a digit or '-' in %s, got %s",
                     hdr_name(p->hdr), resp_show(c, b));
    /* learn: end */
}
/* [ch06-digit] */

/* A type byte (state S_START).  Returns RESP_NEED_MORE to go on. */
static resp_status type_byte(resp_parser *p, unsigned char c, uint64_t at)
{
    /* learn: ch06 type_byte "The design: a byte-driven state machine" */
    char b[8];
    if (p->depth > 0 && at - p->value_start > p->lim.max_value)
        return resp_fail(p, at, "value longer than the limit of %llu bytes",
                         (unsigned long long)p->lim.max_value);
    p->hdr = c;
    p->hdr_offset = at;
    p->line_len = 0;
    switch (c) {
    case '+': case '-':
        p->state = S_TEXT;
        return RESP_NEED_MORE;
    case ':': case '$': case '*':
        p->neg = p->digits = false;
        p->num = 0;
        p->state = S_NUM;
        return RESP_NEED_MORE;
    }
    if (p->depth == 0 && p->lim.allow_inline) {
        p->state = S_INLINE;     /* the byte is re-read as inline text */
        return RESP_OK;
    }
    return resp_fail(p, at, "expected a type byte ('+', '-', ':', '$' or "
                     "'*')%s, got %s", p->depth ? " for an array element" : "",
                     resp_show(c, b));
    /* learn: end */
}

/* [ch06-feed] */
resp_status resp_parse(resp_parser *p, const void *buf, size_t len,
                       size_t *used, resp_value *out)
{
    /* learn: ch06 resp_parse "The design: a byte-driven state machine" */
    const unsigned char *s = buf;
    size_t i = 0;
    resp_status st = RESP_NEED_MORE;
    int r = 0;
    char b[8];
    *used = 0;
    if (p->state == S_ERROR) return RESP_ERR;
    if (p->state == S_RAWLINE)
        return resp_fail(p, p->offset, "resp_parse() called with a line "
                         "half read");
    while (i < len && st == RESP_NEED_MORE && r == 0) {
        uint64_t at = p->offset + i;     /* absolute offset of s[i] */
        unsigned char c = s[i];
        size_t n;
        switch (p->state) {
        case S_START:
            st = type_byte(p, c, at);
            if (st == RESP_OK) { st = RESP_NEED_MORE; continue; } /* inline */
            i++;
            break;
        case S_TEXT:
            n = resp_run_until(s + i, len - i, '\r', '\n');
            st = resp_line_append(p, s + i, n, 0, at, hdr_name(p->hdr));
            i += n;
            if (st != RESP_NEED_MORE || i == len) break;
            if (s[i] == '\n')
                st = resp_fail(p, p->offset + i, "expected '\\r' before "
                               "'\\n' in %s", hdr_name(p->hdr));
            else { p->state = S_LF; i++; }
            break;
        case S_NUM:
            st = header_byte(p, c, at);
            i++;
            break;
        case S_LF:
            if (c != '\n') {
                st = resp_fail(p, at, "expected '\\n' after '\\r', got %s",
                               resp_show(c, b));
                break;
            }
            i++;
            p->state = S_START;          /* line_done() may change it */
            r = line_done(p, at);
            break;
        case S_BULK:
            n = len - i;
            if (n > p->bulk_want - p->bulk.len)
                n = (size_t)(p->bulk_want - p->bulk.len);
            if (p->bulk.len + n + 1 > p->bulk_cap) {
                size_t cap = p->bulk_cap * 2;
                if (cap < p->bulk.len + n + 1) cap = p->bulk.len + n + 1;
                if (cap > p->bulk_want + 1) cap = (size_t)p->bulk_want + 1;
                char *nb = xrealloc(p->bulk.str, cap);
                if (!nb) { st = resp_oom(p, at); break; }
                p->bulk.str = nb;
                p->bulk_cap = cap;
            }
            memcpy(p->bulk.str + p->bulk.len, s + i, n);
            p->bulk.len += n;
            i += n;
            if (p->bulk.len == p->bulk_want) p->state = S_BULK_CR;
            break;
        case S_BULK_CR:
            if (c != '\r')
                st = resp_fail(p, at, "expected '\\r' after the %llu-byte "
                               "payload of a bulk string, got %s",
                               (unsigned long long)p->bulk_want,
                               resp_show(c, b));
            else { p->state = S_BULK_LF; i++; }
            break;
        case S_BULK_LF:
            if (c != '\n') {
                st = resp_fail(p, at, "expected '\\n' after '\\r', got %s",
                               resp_show(c, b));
                break;
            }
            i++;
            p->state = S_START;
            p->bulk.str[p->bulk.len] = '\0';
            resp_value v = p->bulk;
            memset(&p->bulk, 0, sizeof p->bulk);
            p->bulk_cap = 0;
            r = finish(p, v);
            if (r < 0) st = resp_oom(p, at);
            break;
        /* [ch06-feed] */
        /* [ch06-inline] */
        case S_INLINE:
            n = resp_run_until(s + i, len - i, '\n', '\n');
            st = resp_line_append(p, s + i, n, 1, at, "inline command");
            i += n;
            if (st != RESP_NEED_MORE || i == len) break;
            if (resp_line_end(p, p->offset + i, "inline command") != RESP_OK) {
                st = RESP_ERR;
                break;
            }
            i++;                                     /* the LF */
            p->state = S_START;
            if (split_inline(p->line, p->line_len, &p->done) != 0) {
                st = resp_oom(p, at);
                break;
            }
            if (p->done.len == 0) resp_value_clear(&p->done); /* blank line */
            else r = 1;
            break;
        /* [ch06-inline] */
        default:
            st = resp_fail(p, at, "internal error: bad parser state %d",
                           p->state);
        }
        if (r == -2) st = RESP_ERR;
    }
    /* [ch06-done] */
    p->offset += i;
    *used = i;
    if (st == RESP_ERR) return RESP_ERR;
    if (r < 0) return resp_oom(p, p->offset);
    if (r == 1) {                        /* a top-level value is complete */
        *out = p->done;
        memset(&p->done, 0, sizeof p->done);
        p->last_size = p->offset - p->value_start;
        p->value_start = p->offset;
        return RESP_OK;
    }
    return RESP_NEED_MORE;
    /* [ch06-done] */
    /* learn: end */
}
