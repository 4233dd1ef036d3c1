/* rdb_valkey.c - what Valkey 9 writes under its own magic: HASH_2 and
 * SLOT_IMPORT.
 * Chapter 7.
 *
 * Valkey forked from Redis 7.2 (RDB 11) and, from 9.0, writes "VALKEY080":
 * its own magic and a version number far above Redis's, because Redis 7.4
 * and later took 12 upwards for formats Valkey does not share.  Type
 * numbers 22 and up therefore mean different things under the two magics
 * (valkey-io/valkey src/rdb.h, RDB_FOREIGN_TYPE_MIN), and this file reads
 * Valkey's two additions:
 *
 *  - type 22, HASH_2, a hash whose fields may expire: a count, then per
 *    field its name, its value and an 8-byte little-endian signed expiry in
 *    Unix milliseconds, -1 meaning "none" (Valkey writes it for hashes with
 *    at least one volatile field; all others stay type 4 or 16);
 *  - opcode 0xF3, SLOT_IMPORT, one per atomic slot migration into this node
 *    that was under way: the job's name, a count of slot ranges, then each
 *    range's first and last slot as lengths.
 *
 * Both are plain sequences of RDB primitives, so they stream like the rest:
 * nothing is allocated from a count, only as elements actually arrive.
 */
#include "rdb_internal.h"
#include "alloc.h"

#include <inttypes.h>
#include <stdlib.h>

/** Hash slots in a cluster (valkey-io/valkey src/cluster.h CLUSTER_SLOTS). */
#define RDB_CLUSTER_SLOTS 16384

/* [ch07-hash2] */
int rdb_read_hash2(rdb_ctx *c, value *v)
{
    uint64_t count, u;
    if (rdb_read_len(c->r, &count, NULL) != 0)
        return -1;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t at = rdb_offset(c->r);
        if (rdb_read_string(c->r, &c->s1, NULL) != 0 ||
            rdb_read_string(c->r, &c->s2, NULL) != 0)
            return -1;
        uint64_t exp_at = rdb_offset(c->r);
        if (rdb_read_uint_le(c->r, 8, &u) != 0)
            return -1;
        int64_t exp = (int64_t)u;
        if (exp < VALUE_NO_EXPIRY)
            return rdb_fail_at(c->r, exp_at, "hash field expiry %" PRId64
                               " is not a Unix time in ms nor -1 (none)", exp);
        int rc = value_hash_add(v, c->s1.p, c->s1.len, c->s2.p, c->s2.len,
                                exp);
        if (rc < 0)
            return rdb_fail(c->r, "out of memory");
        if (rc == 0)
            return rdb_fail_at(c->r, at, "duplicate hash field \"%.*s\"",
                               (int)(c->s1.len > 64 ? 64 : c->s1.len),
                               (const char *)c->s1.p);
    }
    return 0;
}
/* [ch07-hash2] */

int rdb_read_slot_import(rdb_ctx *c)
{
    uint64_t at = rdb_offset(c->r) - 1; /* the opcode */
    uint64_t n, lo, hi;
    rdb_slot_range *ranges = NULL;
    size_t cap = 0;
    int rc = -1;
    if (rdb_read_string(c->r, &c->s2, NULL) != 0 ||
        rdb_read_len(c->r, &n, NULL) != 0)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        if (rdb_read_len(c->r, &lo, NULL) != 0 ||
            rdb_read_len(c->r, &hi, NULL) != 0)
            goto out;
        if (hi >= RDB_CLUSTER_SLOTS || lo > hi) {
            rdb_fail_at(c->r, at, "SLOT_IMPORT range %" PRIu64 ": slots %"
                        PRIu64 "-%" PRIu64 " (a cluster has slots 0 to %d)",
                        i + 1, lo, hi, RDB_CLUSTER_SLOTS - 1);
            goto out;
        }
        if (i == cap) { /* grow as ranges arrive, never from the count */
            cap = cap ? 2 * cap : 4;
            rdb_slot_range *p = xrealloc(ranges, cap * sizeof *p);
            if (p == NULL) {
                rdb_fail(c->r, "out of memory");
                goto out;
            }
            ranges = p;
        }
        ranges[i] = (rdb_slot_range){(uint16_t)lo, (uint16_t)hi};
    }
    const rdb_handler *h = c->h;
    if (h != NULL && h->slot_import != NULL &&
        h->slot_import(h->arg, &c->s2, ranges, (size_t)n) != 0) {
        rdb_fail(c->r, "stopped by the handler");
        goto out;
    }
    rc = 0;
out:
    free(ranges);
    return rc;
}
