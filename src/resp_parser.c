/* resp_parser.c - the parser's life cycle, its error state, and line mode.
 * Chapter 6.
 *
 * resp_parse.c holds the grammar of RESP values.  This file holds what every
 * entry point shares: creating and freeing a parser, the one way into the
 * error state (resp_fail(), which frees the half-built value so that an
 * error can never leak), the bounded line buffer, and the two entry points
 * for the parts of the replication stream that are not values:
 * resp_read_line() for handshake lines and snapshot headers, and
 * resp_parser_advance() for raw snapshot bytes the caller consumed itself.
 * Keeping them on one parser means one absolute offset for the whole
 * connection.
 */
#include "resp.h"
#include "alloc.h"
#include "resp_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

resp_limits resp_limits_default(void)
{
    resp_limits l = {
        .max_bulk = RESP_DEFAULT_MAX_BULK,
        .max_array = RESP_DEFAULT_MAX_ARRAY,
        .max_depth = RESP_DEFAULT_MAX_DEPTH,
        .max_line = RESP_DEFAULT_MAX_LINE,
        .max_value = RESP_DEFAULT_MAX_VALUE,
        .allow_inline = true,
    };
    return l;
}

void resp_parser_init(resp_parser *p, const resp_limits *lim)
{
    memset(p, 0, sizeof *p);
    p->lim = lim ? *lim : resp_limits_default();
    if (p->lim.max_depth == 0) p->lim.max_depth = 1;
    if (p->lim.max_line == 0) p->lim.max_line = 1;
    p->state = S_START;
}

/* Free the value being built (not the line buffer, which is reused). */
static void drop_partial(resp_parser *p)
{
    resp_value_clear(&p->bulk);
    p->bulk_cap = 0;
    for (unsigned i = 0; i < p->depth; i++) resp_value_clear(&p->stack[i].arr);
    p->depth = 0;
}

void resp_parser_free(resp_parser *p)
{
    if (!p) return;
    drop_partial(p);
    free(p->stack);
    free(p->line);
    memset(p, 0, sizeof *p);
}

const char *resp_parser_error(const resp_parser *p)
{
    return p->state == S_ERROR ? p->err : NULL;
}

/* A byte as a message shows it: 'x', '\r', '\x00'. */
const char *resp_show(unsigned char c, char out[8])
{
    switch (c) {
    case '\r': return "'\\r'";
    case '\n': return "'\\n'";
    case '\t': return "'\\t'";
    case '\'': return "'\\''";
    case '\\': return "'\\\\'";
    }
    if (c >= 0x20 && c < 0x7f) snprintf(out, 8, "'%c'", c);
    else snprintf(out, 8, "'\\x%02x'", c);
    return out;
}

/* Enter the error state: "byte <at>: <message>". */
resp_status resp_fail(resp_parser *p, uint64_t at, const char *fmt, ...)
{
    int n = snprintf(p->err, sizeof p->err, "byte %llu: ",
                     (unsigned long long)at);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, sizeof p->err - (size_t)n, fmt, ap);
    va_end(ap);
    p->err_offset = at;
    drop_partial(p);
    p->state = S_ERROR;
    return RESP_ERR;
}

/* Room for want bytes (plus a NUL) in the line buffer. */
static int line_reserve(resp_parser *p, size_t want)
{
    if (want + 1 <= p->line_cap) return 0;
    size_t cap = p->line_cap ? p->line_cap : 64;
    while (cap < want + 1) cap *= 2;
    char *n = xrealloc(p->line, cap);
    if (!n) return -1;
    p->line = n;
    p->line_cap = cap;
    return 0;
}

resp_status resp_oom(resp_parser *p, uint64_t at)
{
    return resp_fail(p, at, "out of memory");
}

/* Length of the run of bytes before the first of stop1/stop2. */
size_t resp_run_until(const unsigned char *s, size_t n, int stop1, int stop2)
{
    size_t i = 0;
    while (i < n && s[i] != stop1 && s[i] != stop2) i++;
    return i;
}

/* Append a run of line bytes (s[0] is at offset at).  A line may hold
 * max_line bytes, plus `slack` for a CR that is stripped later; the error
 * names the first byte beyond max_line. */
resp_status resp_line_append(resp_parser *p, const unsigned char *s,
                               size_t n, size_t slack, uint64_t at,
                               const char *what)
{
    size_t limit = p->lim.max_line + slack;
    if (n > limit - p->line_len)
        return resp_fail(p, at - p->line_len + p->lim.max_line,
                         "%s longer than the limit of %zu bytes", what,
                         p->lim.max_line);
    if (line_reserve(p, p->line_len + n) != 0) return resp_oom(p, at);
    memcpy(p->line + p->line_len, s, n);
    p->line_len += n;
    return RESP_NEED_MORE;
}

/* The LF of an inline command or raw line is at offset at: drop a CR
 * before it and check the length again. */
resp_status resp_line_end(resp_parser *p, uint64_t at, const char *what)
{
    uint64_t start = at - p->line_len;
    if (p->line_len > 0 && p->line[p->line_len - 1] == '\r') p->line_len--;
    if (p->line_len > p->lim.max_line)
        return resp_fail(p, start + p->lim.max_line, "%s longer than the "
                         "limit of %zu bytes", what, p->lim.max_line);
    if (line_reserve(p, p->line_len) != 0) return resp_oom(p, at);
    p->line[p->line_len] = '\0';
    return RESP_OK;
}

/* [ch06-read-line] */
resp_status resp_read_line(resp_parser *p, const void *buf, size_t len,
                           size_t *used, const char **line, size_t *line_len)
{
    const unsigned char *s = buf;
    *used = 0;
    if (p->state == S_ERROR) return RESP_ERR;
    if (p->state != S_RAWLINE) {
        if (p->state != S_START || p->depth > 0)
            return resp_fail(p, p->offset, "resp_read_line() called with a "
                             "value half parsed");
        p->state = S_RAWLINE;
        p->line_len = 0;
    }
    size_t n = resp_run_until(s, len, '\n', '\n');
    if (resp_line_append(p, s, n, 1, p->offset, "line") != RESP_NEED_MORE)
        return RESP_ERR;
    if (n == len) {
        p->offset += n;
        *used = n;
        return RESP_NEED_MORE;
    }
    if (resp_line_end(p, p->offset + n, "line") != RESP_OK) return RESP_ERR;
    p->offset += n + 1;
    *used = n + 1;
    p->state = S_START;
    p->last_size = p->offset - p->value_start;
    p->value_start = p->offset;
    *line = p->line;
    *line_len = p->line_len;
    return RESP_OK;
}
/* [ch06-read-line] */

int resp_parser_advance(resp_parser *p, uint64_t n)
{
    if (p->state == S_ERROR) return -1;
    if (p->state != S_START || p->depth > 0) {
        resp_fail(p, p->offset, "resp_parser_advance() called with a value "
                  "or line half read");
        return -1;
    }
    p->offset += n;
    p->value_start = p->offset;
    return 0;
}

int resp_parse_int(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = n > 0 && s[0] == '-';
    if (neg) i++;
    if (i == n || n - i > 19) return -1;
    uint64_t v = 0, max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > max / 10 || (v == max / 10 && d > max % 10)) return -1;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}
