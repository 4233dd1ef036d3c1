/* server_cscan.c - HSCAN and SSCAN: order keys, one call's plan, the reply.
 * Chapter 11.
 *
 * See server_cscan.h for why the cursor is an order key rather than a
 * position: positions move when an element before them is deleted, order
 * keys never do.  The arguments are parsed by server_scan.h, as SCAN's.
 */
#include "server_cscan.h"

#include "hash.h"

#include <inttypes.h>
#include <stdio.h>

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
                    const server_scan_args *o, size_t *from, size_t *to)
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
    for (long long taken = 0; end < n && taken < o->count; taken++)
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

int cscan_reply_missing(server_ctx *x)
{
    return cscan_reply_head(x, 0) != 0 ? -1 : reply_array(x->out, 0);
}

int cscan_reply(server_ctx *x, server_scan_args *a, const void *coll,
                size_t n, bool whole, cscan_nth_fn *nth, cscan_emit_fn *emit)
{
    SERVER_TRY(server_scan_options(x, 3, false, a));
    size_t from = 0, to = n;
    uint64_t next = whole ? 0 : cscan_plan(coll, n, nth, a, &from, &to);
    reply_defer d;
    if (cscan_reply_head(x, next) != 0 ||
        reply_defer_begin(x->out, &d, REPLY_DEFER_ARRAY) != 0)
        return -1;
    size_t shown = 0;
    for (size_t i = from; i < to; i++) {
        size_t len;
        const void *p = nth(coll, i, &len);
        if (!server_scan_match(a, p, len))
            continue;
        int k = emit(x, coll, i);
        if (k < 0)
            return -1;
        shown += (size_t)k;
    }
    return reply_defer_end(x->out, &d, shown);
}
