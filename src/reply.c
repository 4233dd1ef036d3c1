/* reply.c - replies in RESP2 or RESP3, over chapter 6's resp_buf.
 * Chapter 11.
 *
 * Most shapes differ between the protocols only in one type byte, so they
 * share header(): RESP3's '%', '~' and '>' become '*' for a RESP2 client,
 * and RESP3's single null "_" stands in for both of RESP2's nulls.  A
 * reply that takes two appends (a verbatim string's header and body)
 * remembers out.len first and puts it back on failure, which is all "leave
 * the buffer unchanged" asks of an append-only buffer.  A deferred header
 * reserves the widest header there can be ("*" and 20 digits and CRLF) and,
 * once the count is known, writes the real one and moves the elements back
 * over the unused room: one memmove, no allocation, so the end of a long
 * SCAN reply cannot fail.
 */
#include "reply.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* "*" + 20 digits (SIZE_MAX on 64 bits) + CRLF. */
#define HEADER_MAX 23

void reply_init(reply_buf *r, int proto)
{
    resp_buf_init(&r->out);
    r->proto = proto == 3 ? 3 : 2;
}

int reply_set_proto(reply_buf *r, int proto)
{
    if (proto != 2 && proto != 3) return -1;
    r->proto = proto;
    return 0;
}

void reply_free(reply_buf *r)
{
    if (!r) return;
    resp_buf_free(&r->out);
}

/* "<type><n>\r\n" into out (HEADER_MAX bytes at least); its length. */
static size_t format_header(char *out, char type, size_t n)
{
    int k = snprintf(out, HEADER_MAX + 1, "%c%zu\r\n", type, n);
    return (size_t)k;
}

static int header(reply_buf *r, char type3, size_t n)
{
    char tmp[HEADER_MAX + 1];
    size_t k = format_header(tmp, r->proto == 3 ? type3 : '*', n);
    return resp_buf_append(&r->out, tmp, k);
}

static bool has_crlf(const char *s, size_t n)
{
    return memchr(s, '\r', n) != NULL || memchr(s, '\n', n) != NULL;
}

int reply_simple(reply_buf *r, const char *s)
{
    return resp_write_simple(&r->out, s, strlen(s));
}

int reply_error(reply_buf *r, const char *s)
{
    return resp_write_error(&r->out, s, strlen(s));
}

int reply_integer(reply_buf *r, int64_t v)
{
    return resp_write_integer(&r->out, v);
}

int reply_bulk(reply_buf *r, const void *p, size_t n)
{
    return resp_write_bulk(&r->out, p, n);
}

int reply_null(reply_buf *r)
{
    return r->proto == 3 ? resp_buf_append(&r->out, "_\r\n", 3)
                         : resp_write_null(&r->out);
}

int reply_null_array(reply_buf *r)
{
    return r->proto == 3 ? resp_buf_append(&r->out, "_\r\n", 3)
                         : resp_write_null_array(&r->out);
}

int reply_array(reply_buf *r, size_t n)
{
    return header(r, '*', n);
}

int reply_map(reply_buf *r, size_t n)
{
    if (r->proto == 3) return header(r, '%', n);
    if (n > SIZE_MAX / 2) return -1;
    return header(r, '*', 2 * n);
}

int reply_set(reply_buf *r, size_t n)
{
    return header(r, '~', n);
}

int reply_push(reply_buf *r, size_t n)
{
    return header(r, '>', n);
}

size_t reply_format_double(double d, char out[REPLY_DOUBLE_MAX + 1])
{
    /* Spelled out: printf may write "-nan", or "inf" differently on other
     * C libraries, and RESP3 names exactly these three. */
    const char *word = isnan(d) ? "nan" : isinf(d) ? (d > 0 ? "inf" : "-inf")
                                                   : NULL;
    if (word) {
        size_t k = strlen(word);
        memcpy(out, word, k + 1);
        return k;
    }
    /* 17 significant digits read back as the same double (C11 5.2.4.2.2,
     * DECIMAL_DIG for double); Redis 7.0 sends exactly this text, for
     * example "0.10000000000000001" for 0.1.  At most "-1.2345678901234567e-308":
     * 24 bytes. */
    int k = snprintf(out, REPLY_DOUBLE_MAX + 1, "%.17g", d);
    return (size_t)k;
}

int reply_double(reply_buf *r, double d)
{
    char text[REPLY_DOUBLE_MAX + 1];
    size_t k = reply_format_double(d, text);
    if (r->proto == 2) return resp_write_bulk(&r->out, text, k);
    char line[REPLY_DOUBLE_MAX + 4];
    line[0] = ',';
    memcpy(line + 1, text, k);
    memcpy(line + 1 + k, "\r\n", 2);
    return resp_buf_append(&r->out, line, k + 3);
}

/* Added for server_geo.c (GEOPOS coordinates); see reply.h. */
int reply_double_text(reply_buf *r, const char *text, size_t n)
{
    if (n == 0 || n > REPLY_DOUBLE_MAX * 4 || has_crlf(text, n))
        return -1;
    if (r->proto == 2) return resp_write_bulk(&r->out, text, n);
    char line[REPLY_DOUBLE_MAX * 4 + 3];
    line[0] = ',';
    memcpy(line + 1, text, n);
    memcpy(line + 1 + n, "\r\n", 2);
    return resp_buf_append(&r->out, line, n + 3);
}

int reply_bool(reply_buf *r, bool v)
{
    if (r->proto == 2) return resp_write_integer(&r->out, v ? 1 : 0);
    return resp_buf_append(&r->out, v ? "#t\r\n" : "#f\r\n", 4);
}

int reply_verbatim(reply_buf *r, const char *fmt, const void *p, size_t n)
{
    if (strlen(fmt) != 3 || memchr(fmt, ':', 3) || has_crlf(fmt, 3))
        return -1;
    if (r->proto == 2) return resp_write_bulk(&r->out, p, n);
    if (n > SIZE_MAX - 4) return -1;
    size_t mark = r->out.len;
    char head[HEADER_MAX + 4 + 1];
    size_t k = format_header(head, '=', n + 4);
    memcpy(head + k, fmt, 3);
    head[k + 3] = ':';
    if (resp_buf_append(&r->out, head, k + 4) != 0 ||
        resp_buf_append(&r->out, p, n) != 0 ||
        resp_buf_append(&r->out, "\r\n", 2) != 0) {
        r->out.len = mark;
        return -1;
    }
    return 0;
}

int reply_bignum(reply_buf *r, const char *digits, size_t n)
{
    size_t i = (n > 0 && digits[0] == '-') ? 1 : 0;
    if (i == n) return -1;
    for (size_t j = i; j < n; j++)
        if (digits[j] < '0' || digits[j] > '9') return -1;
    if (r->proto == 2) return resp_write_bulk(&r->out, digits, n);
    size_t mark = r->out.len;
    if (resp_buf_append(&r->out, "(", 1) != 0 ||
        resp_buf_append(&r->out, digits, n) != 0 ||
        resp_buf_append(&r->out, "\r\n", 2) != 0) {
        r->out.len = mark;
        return -1;
    }
    return 0;
}

int reply_defer_begin(reply_buf *r, reply_defer *d, reply_defer_kind kind)
{
    static const char room[HEADER_MAX] = { 0 };
    d->at = r->out.len;
    d->kind = kind;
    return resp_buf_append(&r->out, room, sizeof room);
}

int reply_defer_end(reply_buf *r, const reply_defer *d, size_t n)
{
    char type = '*';
    if (d->kind == REPLY_DEFER_MAP) {
        if (r->proto == 3) {
            type = '%';
        } else {
            if (n > SIZE_MAX / 2) return -1;
            n *= 2;
        }
    } else if (d->kind == REPLY_DEFER_SET && r->proto == 3) {
        type = '~';
    }
    char tmp[HEADER_MAX + 1];
    size_t k = format_header(tmp, type, n);
    char *at = r->out.data + d->at;
    size_t tail = r->out.len - d->at - HEADER_MAX;
    /* The header is never wider than the room, so it fits, and the
     * elements move towards the start: memmove handles the overlap. */
    memmove(at + k, at + HEADER_MAX, tail);
    memcpy(at, tmp, k);
    r->out.len -= HEADER_MAX - k;
    return 0;
}
