/* resp_write.c - the RESP2 writer: replies and commands into a growable buffer.
 * Chapter 6.
 *
 * Writing is the easy half of a protocol, so the only design choices are
 * about failure.  Every function either appends a whole, well-formed
 * element or leaves the buffer as it was: a reply is never cut in half by a
 * failed allocation, and a simple string or error that contains CR or LF
 * (which would end the line early and let the rest of the text be read as
 * a second reply) is refused instead of written.  The caller sends
 * b->data[0..len) and resets len when the socket has taken it.
 */
#include "resp.h"
#include "alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void resp_buf_init(resp_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void resp_buf_free(resp_buf *b)
{
    if (!b) return;
    free(b->data);
    resp_buf_init(b);
}

static int reserve(resp_buf *b, size_t more)
{
    if (more <= b->cap - b->len) return 0;
    if (more > SIZE_MAX / 2 - b->len) return -1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < more) cap *= 2;
    char *d = xrealloc(b->data, cap);
    if (!d) return -1;
    b->data = d;
    b->cap = cap;
    return 0;
}

int resp_buf_append(resp_buf *b, const void *p, size_t n)
{
    if (n == 0) return 0;
    if (reserve(b, n) != 0) return -1;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

/* "<type><number>\r\n", the header of integers, bulks and arrays. */
static int write_header(resp_buf *b, char type, int64_t n)
{
    char tmp[32];
    int k = snprintf(tmp, sizeof tmp, "%c%" PRId64 "\r\n", type, n);
    return resp_buf_append(b, tmp, (size_t)k);
}

/* [ch06-write-line] */
static int write_line(resp_buf *b, char type, const char *s, size_t n)
{
    if (n > 0 && (memchr(s, '\r', n) || memchr(s, '\n', n))) return -1;
    if (reserve(b, n + 3) != 0) return -1;
    b->data[b->len++] = type;
    if (n) memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len++] = '\r';
    b->data[b->len++] = '\n';
    return 0;
}
/* [ch06-write-line] */

int resp_write_simple(resp_buf *b, const char *s, size_t n)
{
    return write_line(b, '+', s, n);
}

int resp_write_error(resp_buf *b, const char *s, size_t n)
{
    return write_line(b, '-', s, n);
}

int resp_write_integer(resp_buf *b, int64_t v)
{
    return write_header(b, ':', v);
}

/* [ch06-write-bulk] */
int resp_write_bulk(resp_buf *b, const void *p, size_t n)
{
    size_t before = b->len;
    if (reserve(b, n + 32) != 0 || write_header(b, '$', (int64_t)n) != 0)
        return -1;
    if (n) memcpy(b->data + b->len, p, n);   /* room reserved above */
    b->len += n;
    if (resp_buf_append(b, "\r\n", 2) != 0) {
        b->len = before;
        return -1;
    }
    return 0;
}
/* [ch06-write-bulk] */

int resp_write_null(resp_buf *b)
{
    return resp_buf_append(b, "$-1\r\n", 5);
}

int resp_write_null_array(resp_buf *b)
{
    return resp_buf_append(b, "*-1\r\n", 5);
}

int resp_write_array(resp_buf *b, size_t n)
{
    return write_header(b, '*', (int64_t)n);
}

int resp_write_command(resp_buf *b, size_t argc, const char *const *argv,
                       const size_t *lens)
{
    size_t before = b->len;
    int rc = resp_write_array(b, argc);
    for (size_t i = 0; rc == 0 && i < argc; i++)
        rc = resp_write_bulk(b, argv[i], lens ? lens[i] : strlen(argv[i]));
    if (rc != 0) b->len = before;
    return rc;
}

static int write_value(resp_buf *b, const resp_value *v)
{
    switch (v->type) {
    case RESP_SIMPLE:     return resp_write_simple(b, v->str, v->len);
    case RESP_ERROR:      return resp_write_error(b, v->str, v->len);
    case RESP_INTEGER:    return resp_write_integer(b, v->integer);
    case RESP_BULK:       return resp_write_bulk(b, v->str, v->len);
    case RESP_NULL:       return resp_write_null(b);
    case RESP_NULL_ARRAY: return resp_write_null_array(b);
    case RESP_ARRAY:
        if (resp_write_array(b, v->len) != 0) return -1;
        for (size_t i = 0; i < v->len; i++)
            if (write_value(b, &v->elems[i]) != 0) return -1;
        return 0;
    }
    return -1;
}

int resp_write_value(resp_buf *b, const resp_value *v)
{
    size_t before = b->len;
    if (write_value(b, v) != 0) {
        b->len = before;
        return -1;
    }
    return 0;
}
