/* server_zset_scan.c - ZRANDMEMBER and ZSCAN: the sorted-set reads that ignore score order.
 * Chapter 11.
 *
 * The two commands of the family that do not walk ranks in order, so
 * neither uses the range machinery of server_zset.c; they share only its
 * reply helpers (server_zset.h).
 *
 * ZSCAN.  A small set (the listpack form) is returned whole with cursor
 * 0, exactly as Redis does.  A big one is walked in the order of a fixed
 * 63-bit hash of each member: the cursor is the lowest hash not yet
 * returned, each call returns the COUNT members with the lowest hashes
 * from the cursor on (all members sharing the last hash together).  A
 * member's place in that order depends on nothing else, so every member
 * present from the first call to the last is returned, and exactly once,
 * which is Redis's guarantee (and a little more); the cursor stays below
 * 2^63 because Redis prints cursors as signed numbers.  The cost is one
 * pass over the set per call, O(n log COUNT).  ZSCAN reads its cursor,
 * then the key, then the options (server_scan.h), as redis/redis
 * src/t_zset.c zscanCommand() does.  Its scores are strings in both
 * protocols (d2string(), as redis/redis src/db.c scanGenericCommand()
 * builds them), so cmd_num_d2string() writes those.
 *
 * ZRANDMEMBER's picks come from server_rand().  A negative count larger
 * than ZSET_RANDOM_MAX elements is refused rather than built: Redis would
 * fill the client's output buffer until its limit closed the connection.
 *
 * Thread-safety: as every read handler (server_cmd.h).
 */
#include "server_zset.h"

#include "alloc.h"
#include "cmd_num.h"
#include "server_scan.h"
#include "zset_ops.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** The most elements ZRANDMEMBER with a negative count writes. */
#define ZSET_RANDOM_MAX (1u << 24)

/* ---- ZRANDMEMBER --------------------------------------------------------- */

/* A uniform rank below n (n > 0). */
static size_t random_rank(server_ctx *x, size_t n)
{
    return (size_t)(server_rand(x) % n);
}

/* A set of distinct ranks, open addressing (rank + 1 stored, 0 empty). */
typedef struct rank_set {
    size_t *slot;
    size_t mask;
} rank_set;

/* Add a rank; true when it was not there yet. */
static bool rank_set_add(rank_set *s, size_t rank)
{
    size_t i = (rank * UINT64_C(0x9e3779b97f4a7c15)) & s->mask;
    while (s->slot[i] != 0) {
        if (s->slot[i] == rank + 1)
            return false;
        i = (i + 1) & s->mask;
    }
    s->slot[i] = rank + 1;
    return true;
}

/* count distinct random members of z (0 < count < n), in random order:
 * a partial Fisher-Yates shuffle when count is a large part of the set,
 * else draws rejected when seen before. */
static int random_distinct(server_ctx *x, const pzset *z, size_t n,
                           size_t count, bool withscores)
{
    if (server_zset_reply_header(x, count, withscores) < 0)
        return -1;
    if (count * 3 > n) {
        size_t *r = xmalloc(n * sizeof(*r));
        if (r == NULL)
            return -1;
        for (size_t i = 0; i < n; i++)
            r[i] = i;
        int rc = 0;
        for (size_t i = 0; i < count && rc == 0; i++) {
            size_t j = i + random_rank(x, n - i);
            size_t t = r[i];
            r[i] = r[j];
            r[j] = t;
            rc = server_zset_reply_entry(x, pzset_at(z, r[i]), withscores);
        }
        free(r);
        return rc;
    }
    size_t cap = 16;
    while (cap < count * 2)
        cap *= 2;
    rank_set s = {xcalloc(cap, sizeof(size_t)), cap - 1};
    if (s.slot == NULL)
        return -1;
    int rc = 0;
    for (size_t k = 0; k < count && rc == 0;) {
        size_t rank = random_rank(x, n);
        if (!rank_set_add(&s, rank))
            continue;
        rc = server_zset_reply_entry(x, pzset_at(z, rank), withscores);
        k++;
    }
    free(s.slot);
    return rc;
}

/* ZRANDMEMBER key [count [WITHSCORES]] */
int server_zrandmember_cmd(server_ctx *x)
{
    long long l = 0;
    bool withscores = false;
    if (x->argc >= 3) {
        SERVER_TRY(server_arg_ll(x, 2, &l));
        if (l < -LONG_MAX)
            SERVER_TRY(server_error(x, "ERR value is out of range, value "
                                    "must between %ld and %ld",
                                    -LONG_MAX, LONG_MAX));
        if (x->argc > 4 ||
            (x->argc == 4 && !server_arg_is(x, 3, "withscores")))
            SERVER_TRY(server_syntax_error(x));
        if (x->argc == 4) {
            withscores = true;
            if (l < -LONG_MAX / 2 || l > LONG_MAX / 2)
                SERVER_TRY(server_error(x, "ERR value is out of range"));
        }
    }
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_ZSET, &v));
    if (x->argc < 3) {
        if (v == NULL)
            return reply_null(x->out);
        const pzset *z = value_as_zset(v);
        size_t len;
        const void *m = pzset_entry_member(
            pzset_at(z, random_rank(x, pzset_len(z))), &len);
        return reply_bulk(x->out, m, len);
    }
    if (v == NULL || l == 0)
        return reply_array(x->out, 0);
    const pzset *z = value_as_zset(v);
    size_t n = pzset_len(z);
    if (l < 0 || l == 1) { /* with repetitions, in random order */
        unsigned long long count = l < 0 ? 0ull - (unsigned long long)l : 1;
        if (count > ZSET_RANDOM_MAX)
            SERVER_TRY(server_error(x, "ERR count is too large: at most %u "
                                    "random members per call",
                                    ZSET_RANDOM_MAX));
        if (server_zset_reply_header(x, (size_t)count, withscores) < 0)
            return -1;
        for (size_t k = 0; k < count; k++)
            if (server_zset_reply_entry(x, pzset_at(z, random_rank(x, n)),
                                        withscores) < 0)
                return -1;
        return 0;
    }
    if ((unsigned long long)l >= n) /* the whole set, highest first, as
                                       Redis's zuiNext() walks a set */
        return server_zset_reply_ranks(x, z, 0, n, true, withscores);
    return random_distinct(x, z, n, (size_t)l, withscores);
}

/* ---- ZSCAN --------------------------------------------------------------- */

/* A member's place in a big set's scan: FNV-1a, 63 bits. */
static uint64_t scan_hash(const void *p, size_t len)
{
    const unsigned char *b = p;
    uint64_t h = UINT64_C(1469598103934665603);
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= UINT64_C(1099511628211);
    }
    return h >> 1;
}

/* A max-heap of the k lowest hashes seen. */
typedef struct hash_heap {
    uint64_t *h;
    size_t n, k;
} hash_heap;

static void heap_sift_down(hash_heap *hp, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < hp->n && hp->h[l] > hp->h[m]) m = l;
        if (r < hp->n && hp->h[r] > hp->h[m]) m = r;
        if (m == i)
            return;
        uint64_t t = hp->h[i];
        hp->h[i] = hp->h[m];
        hp->h[m] = t;
        i = m;
    }
}

static void heap_offer(hash_heap *hp, uint64_t h)
{
    if (hp->n < hp->k) {
        size_t i = hp->n++;
        hp->h[i] = h;
        while (i > 0 && hp->h[(i - 1) / 2] < hp->h[i]) {
            uint64_t t = hp->h[i];
            hp->h[i] = hp->h[(i - 1) / 2];
            hp->h[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
    } else if (h < hp->h[0]) {
        hp->h[0] = h;
        heap_sift_down(hp, 0);
    }
}

/* One pair of the reply, when it passes MATCH. */
static int scan_emit(server_ctx *x, const server_scan_args *a,
                     const pzset_entry *e, size_t *n)
{
    size_t len;
    const void *m = pzset_entry_member(e, &len);
    if (!server_scan_match(a, m, len))
        return 0;
    char buf[CMD_NUM_D_SIZE];
    size_t sl = cmd_num_d2string(buf, sizeof buf, pzset_entry_score(e));
    if (reply_bulk(x->out, m, len) < 0 || reply_bulk(x->out, buf, sl) < 0)
        return -1;
    (*n)++;
    return 0;
}

/* The reply: [cursor, [member, score, ...]]. */
static int scan_reply(server_ctx *x, const server_scan_args *a,
                      const pzset *z, uint64_t lo, uint64_t hi, bool all,
                      uint64_t next)
{
    char cur[24];
    int cl = snprintf(cur, sizeof cur, "%llu", (unsigned long long)next);
    reply_defer d;
    size_t n = 0;
    if (reply_array(x->out, 2) < 0 || reply_bulk(x->out, cur, (size_t)cl) < 0 ||
        reply_defer_begin(x->out, &d, REPLY_DEFER_ARRAY) < 0)
        return -1;
    pzset_iter it;
    for (pzset_iter_seek(&it, z, 0); pzset_iter_valid(&it);
         pzset_iter_next(&it)) {
        const pzset_entry *e = pzset_iter_entry(&it);
        if (!all) {
            size_t len;
            const void *m = pzset_entry_member(e, &len);
            uint64_t h = scan_hash(m, len);
            if (h < lo || h > hi)
                continue;
        }
        if (scan_emit(x, a, e, &n) < 0)
            return -1;
    }
    return reply_defer_end(x->out, &d, 2 * n);
}

/* ZSCAN key cursor [MATCH pattern] [COUNT count] */
int server_zscan_cmd(server_ctx *x)
{
    uint64_t cursor = 0;
    server_scan_args a;
    SERVER_TRY(server_scan_cursor(x, 2, &cursor));
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_ZSET, &v));
    if (v == NULL) {
        if (reply_array(x->out, 2) < 0 || reply_bulk(x->out, "0", 1) < 0)
            return -1;
        return reply_array(x->out, 0);
    }
    SERVER_TRY(server_scan_parse(x, 2, false, &a));
    const pzset *z = value_as_zset(v);
    if (zset_is_listpack(z))
        return scan_reply(x, &a, z, 0, 0, true, 0);
    /* Pass 1: the COUNT lowest hashes from the cursor on, and the
     * lowest hash above them (the next cursor). */
    size_t n = pzset_len(z);
    hash_heap hp = {NULL, 0, (unsigned long long)a.count < n ? (size_t)a.count
                                                             : n};
    hp.h = xmalloc(hp.k * sizeof(uint64_t));
    if (hp.h == NULL)
        return -1;
    pzset_iter it;
    for (pzset_iter_seek(&it, z, 0); pzset_iter_valid(&it);
         pzset_iter_next(&it)) {
        size_t len;
        const void *m = pzset_entry_member(pzset_iter_entry(&it), &len);
        uint64_t h = scan_hash(m, len);
        if (h >= cursor)
            heap_offer(&hp, h);
    }
    uint64_t hi = hp.n > 0 ? hp.h[0] : 0, next = 0;
    bool any = hp.n > 0;
    free(hp.h);
    if (any) {
        for (pzset_iter_seek(&it, z, 0); pzset_iter_valid(&it);
             pzset_iter_next(&it)) {
            size_t len;
            const void *m = pzset_entry_member(pzset_iter_entry(&it), &len);
            uint64_t h = scan_hash(m, len);
            if (h > hi && (next == 0 || h < next))
                next = h;
        }
    } else {
        cursor = 1; /* nothing left: an empty page */
    }
    return scan_reply(x, &a, z, cursor, hi, false, next);
}
