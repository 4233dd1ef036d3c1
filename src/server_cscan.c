/* server_cscan.c - HSCAN and SSCAN: cursor parsing, order keys, one call's plan.
 * Chapter 11.
 *
 * See server_cscan.h for why the cursor is an order key rather than a
 * position: positions move when an element before them is deleted, order
 * keys never do.
 */
#include "server_cscan.h"

#include "glob.h"
#include "hash.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

int cscan_parse_cursor(server_ctx *x, size_t i, uint64_t *out)
{
    const char *s = x->argv[i].str;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    /* argv strings are NUL-terminated, so *end is '\0' exactly where
     * Redis's C-string parse stops. */
    if (isspace((unsigned char)s[0]) || *end != '\0' || errno == ERANGE)
        return server_error(x, "ERR invalid cursor");
    *out = (uint64_t)v;
    return SERVER_OK;
}

int cscan_parse_opts(server_ctx *x, size_t first, cscan_opts *o)
{
    o->count = 10;
    o->pat = NULL;
    o->patlen = 0;
    for (size_t i = first; i < x->argc; i += 2) {
        bool more = x->argc - i >= 2;
        if (server_arg_is(x, i, "count") && more) {
            long long c;
            int rc = server_arg_ll(x, i + 1, &c);
            if (rc != SERVER_OK)
                return rc;
            if (c < 1)
                return server_syntax_error(x);
            o->count = c > LONG_MAX ? LONG_MAX : (long)c;
        } else if (server_arg_is(x, i, "match") && more) {
            o->pat = x->argv[i + 1].str;
            o->patlen = x->argv[i + 1].len;
            if (o->patlen == 1 && o->pat[0] == '*')
                o->pat = NULL;
        } else {
            return server_syntax_error(x);
        }
    }
    return SERVER_OK;
}

bool cscan_match(const cscan_opts *o, const void *p, size_t n)
{
    return o->pat == NULL || glob_match(o->pat, o->patlen, p, n, false);
}

uint64_t cscan_order_key(const void *p, size_t n)
{
    uint64_t h = hash_bytes(p, n), k = 0;
    for (unsigned d = 0; d < 12; d++)
        k |= ((h >> (5 * d)) & 31u) << (59 - 5 * d);
    return k | (h >> 60);
}

static uint64_t key_at(const void *coll, cscan_nth_fn *nth, size_t i)
{
    size_t len;
    const void *p = nth(coll, i, &len);
    return cscan_order_key(p, len);
}

uint64_t cscan_plan(const void *coll, size_t n, cscan_nth_fn *nth,
                    const cscan_opts *o, size_t *from, size_t *to)
{
    /* The first position whose order key is >= the cursor. */
    size_t lo = 0, hi = n;
    if (o->cursor != 0)
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (key_at(coll, nth, mid) < o->cursor)
                lo = mid + 1;
            else
                hi = mid;
        }
    size_t end = lo;
    uint64_t last = 0;
    for (long taken = 0; end < n && taken < o->count; taken++)
        last = key_at(coll, nth, end++);
    /* Never stop inside a run of equal order keys. */
    uint64_t next = 0;
    while (end < n && (next = key_at(coll, nth, end)) == last && end > lo)
        end++;
    *from = lo;
    *to = end;
    return end < n ? next : 0;
}

int cscan_reply_head(server_ctx *x, uint64_t cursor)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%" PRIu64, cursor);
    return reply_array(x->out, 2) == 0 &&
                   reply_bulk(x->out, buf, (size_t)n) == 0
               ? 0
               : -1;
}
