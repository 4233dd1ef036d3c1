/* server_zset.c - read commands of one family: sorted sets: ZRANGE and its forms, ZSCORE, ZUNION, ....
 * Chapter 11.
 *
 * Every handler follows redis/redis src/t_zset.c (7.0.15) in the order of
 * its checks, because the first failing check decides the reply: the
 * ZRANGE family parses its options and its range before it looks the key
 * up (so "ERR min or max is not a float" wins over WRONGTYPE), ZCOUNT and
 * ZLEXCOUNT likewise, while ZUNION and its siblings look every input up
 * (and check its type) before they read WEIGHTS or AGGREGATE, and ZSCAN
 * reads its cursor, then the key, then the options.
 *
 * The ranges, the listpack rules and the set algebra are chapter 9's,
 * shared through zset_ops.h: a ZRANGEBYSCORE here and a ZRANGESTORE
 * there select the very same ranks, and a ZUNION replies with the scores
 * ZUNIONSTORE would store (except that a reply keeps -0, as Redis replies
 * from the skiplist it built before any listpack conversion).
 *
 * Reply shapes.  WITHSCORES is a flat member, score, member, score array
 * in RESP2 and an array of [member, score] pairs in RESP3 (Redis cannot
 * use a map there: the order matters).  Scores are doubles as Redis 7.0
 * prints them (reply_double()); ZSCAN's scores are strings in both
 * protocols (d2string(), as redis/redis src/db.c scanGenericCommand()
 * builds them), so cmd_num_d2string() writes those.
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
 * pass over the set per call, O(n log COUNT).
 *
 * ZRANDMEMBER's picks come from server_rand().  A negative count larger
 * than ZSET_RANDOM_MAX elements is refused rather than built: Redis would
 * fill the client's output buffer until its limit closed the connection.
 */
#include "server_cmd.h"

#include "alloc.h"
#include "cmd_num.h"
#include "server_scan.h"
#include "zset_ops.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** The most elements ZRANDMEMBER with a negative count writes. */
#define ZSET_RANDOM_MAX (1u << 24)

/* ---- replies ------------------------------------------------------------- */

/* One member, with its score when asked: RESP3 nests the pair. */
static int reply_entry(server_ctx *x, const pzset_entry *e, bool withscores)
{
    size_t len;
    const void *m = pzset_entry_member(e, &len);
    if (withscores && x->out->proto == 3 && reply_array(x->out, 2) < 0)
        return -1;
    if (reply_bulk(x->out, m, len) < 0)
        return -1;
    return withscores ? reply_double(x->out, pzset_entry_score(e)) : 0;
}

/* The header of n members, flat pairs in RESP2. */
static int reply_entries_header(server_ctx *x, size_t n, bool withscores)
{
    return reply_array(x->out, withscores && x->out->proto == 2 ? 2 * n : n);
}

/* Reply with the ranks [first, first + n) of z, or their mirror for rev
 * (from first + n - 1 down to first). */
static int reply_ranks(server_ctx *x, const pzset *z, size_t first, size_t n,
                       bool rev, bool withscores)
{
    if (reply_entries_header(x, n, withscores) < 0)
        return -1;
    if (n == 0)
        return 0;
    pzset_iter it;
    pzset_iter_seek(&it, z, rev ? first + n - 1 : first);
    for (size_t k = 0; k < n; k++) {
        if (reply_entry(x, pzset_iter_entry(&it), withscores) < 0)
            return -1;
        if (rev)
            pzset_iter_prev(&it);
        else
            pzset_iter_next(&it);
    }
    return 0;
}

/* ---- the ZRANGE family --------------------------------------------------- */

typedef enum { BY_AUTO, BY_RANK, BY_SCORE, BY_LEX } range_by;
typedef enum { DIR_AUTO, DIR_FORWARD, DIR_REVERSE } range_dir;

/* zrangeGenericCommand(): key at 1, the bounds at 2 and 3, options from
 * 4; by and dir fixed by the command's name, or AUTO for ZRANGE. */
static int zrange_generic(server_ctx *x, range_by by, range_dir dir)
{
    bool withscores = false;
    long long offset = 0, limit = -1;
    for (size_t j = 4; j < x->argc; j++) {
        size_t left = x->argc - j - 1;
        if (server_arg_is(x, j, "withscores")) {
            withscores = true;
        } else if (server_arg_is(x, j, "limit") && left >= 2) {
            SERVER_TRY(server_arg_ll(x, j + 1, &offset));
            SERVER_TRY(server_arg_ll(x, j + 2, &limit));
            j += 2;
        } else if (dir == DIR_AUTO && server_arg_is(x, j, "rev")) {
            dir = DIR_REVERSE;
        } else if (by == BY_AUTO && server_arg_is(x, j, "bylex")) {
            by = BY_LEX;
        } else if (by == BY_AUTO && server_arg_is(x, j, "byscore")) {
            by = BY_SCORE;
        } else {
            SERVER_TRY(server_syntax_error(x));
        }
    }
    if (dir == DIR_AUTO)
        dir = DIR_FORWARD;
    if (by == BY_AUTO)
        by = BY_RANK;
    if (limit != -1 && by == BY_RANK)
        SERVER_TRY(server_error(x, "ERR syntax error, LIMIT is only "
                                "supported in combination with either "
                                "BYSCORE or BYLEX"));
    if (withscores && by == BY_LEX)
        SERVER_TRY(server_error(x, "ERR syntax error, WITHSCORES not "
                                "supported in combination with BYLEX"));
    bool rev = dir == DIR_REVERSE;
    size_t imin = 2, imax = 3;
    if (rev && by != BY_RANK) { /* the range is given as max, min */
        imin = 3;
        imax = 2;
    }
    long long start = 0, stop = 0;
    pzset_range r;
    bool empty = false;
    if (by == BY_RANK) {
        SERVER_TRY(server_arg_ll(x, imin, &start));
        SERVER_TRY(server_arg_ll(x, imax, &stop));
    } else if (by == BY_SCORE) {
        if (zset_score_range_parse(&x->argv[imin], &x->argv[imax], &r))
            SERVER_TRY(server_error(x, ZSET_ERR_SCORE_RANGE));
    } else if (zset_lex_range_parse(&x->argv[imin], &x->argv[imax], &r,
                                    &empty)) {
        SERVER_TRY(server_error(x, ZSET_ERR_LEX_RANGE));
    }
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_ZSET, &v));
    if (v == NULL)
        return reply_array(x->out, 0);
    const pzset *z = value_as_zset(v);
    long long len = (long long)pzset_len(z);
    if (by == BY_RANK) {
        if (start < 0) start += len;
        if (stop < 0) stop += len;
        if (start < 0) start = 0;
        if (start > stop || start >= len)
            return reply_array(x->out, 0);
        if (stop >= len) stop = len - 1;
        size_t n = (size_t)(stop - start + 1);
        /* ZREVRANGE's rank 0 is the highest score. */
        size_t first = rev ? (size_t)(len - 1 - stop) : (size_t)start;
        return reply_ranks(x, z, first, n, rev, withscores);
    }
    size_t first, end;
    zset_range_ranks(z, &r, empty, &first, &end);
    /* LIMIT: a negative offset selects nothing (Redis's "while
     * (offset--)" skips every member), a negative count everything. */
    size_t avail = end - first;
    if (offset < 0 || (unsigned long long)offset >= avail)
        return reply_array(x->out, 0);
    avail -= (size_t)offset;
    size_t take = limit < 0 || (unsigned long long)limit > avail
                      ? avail : (size_t)limit;
    size_t from = rev ? end - (size_t)offset - take : first + (size_t)offset;
    return reply_ranks(x, z, from, take, rev, withscores);
}

/* ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count]
 *   [WITHSCORES] */
static int cmd_zrange(server_ctx *x)
{
    return zrange_generic(x, BY_AUTO, DIR_AUTO);
}

/* ZREVRANGE key start stop [WITHSCORES] */
static int cmd_zrevrange(server_ctx *x)
{
    return zrange_generic(x, BY_RANK, DIR_REVERSE);
}

/* ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] */
static int cmd_zrangebyscore(server_ctx *x)
{
    return zrange_generic(x, BY_SCORE, DIR_FORWARD);
}

/* ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count] */
static int cmd_zrevrangebyscore(server_ctx *x)
{
    return zrange_generic(x, BY_SCORE, DIR_REVERSE);
}

/* ZRANGEBYLEX key min max [LIMIT offset count] */
static int cmd_zrangebylex(server_ctx *x)
{
    return zrange_generic(x, BY_LEX, DIR_FORWARD);
}

/* ZREVRANGEBYLEX key max min [LIMIT offset count] */
static int cmd_zrevrangebylex(server_ctx *x)
{
    return zrange_generic(x, BY_LEX, DIR_REVERSE);
}

/* ---- counts and lookups -------------------------------------------------- */

/* ZCOUNT key min max */
static int cmd_zcount(server_ctx *x)
{
    pzset_range r;
    if (zset_score_range_parse(&x->argv[2], &x->argv[3], &r))
        SERVER_TRY(server_error(x, ZSET_ERR_SCORE_RANGE));
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_ZSET, &v));
    if (v == NULL)
        return reply_integer(x->out, 0);
    size_t first, end;
    zset_range_ranks(value_as_zset(v), &r, false, &first, &end);
    return reply_integer(x->out, (int64_t)(end - first));
}

/* ZLEXCOUNT key min max */
static int cmd_zlexcount(server_ctx *x)
{
    pzset_range r;
    bool empty;
    if (zset_lex_range_parse(&x->argv[2], &x->argv[3], &r, &empty))
        SERVER_TRY(server_error(x, ZSET_ERR_LEX_RANGE));
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_ZSET, &v));
    if (v == NULL)
        return reply_integer(x->out, 0);
    size_t first, end;
    zset_range_ranks(value_as_zset(v), &r, empty, &first, &end);
    return reply_integer(x->out, (int64_t)(end - first));
}

/* ZCARD key */
static int cmd_zcard(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_ZSET, &v));
    return reply_integer(x->out,
                         v ? (int64_t)pzset_len(value_as_zset(v)) : 0);
}

/* ZSCORE key member */
static int cmd_zscore(server_ctx *x)
{
    const value *v;
    double s;
    SERVER_TRY(server_lookup(x, 1, VALUE_ZSET, &v));
    if (v == NULL || !pzset_score(value_as_zset(v), x->argv[2].str,
                                  x->argv[2].len, &s))
        return reply_null(x->out);
    return reply_double(x->out, s);
}

/* ZMSCORE key member [member ...]: a missing key is an empty set. */
static int cmd_zmscore(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_ZSET, &v));
    if (reply_array(x->out, x->argc - 2) < 0)
        return -1;
    for (size_t j = 2; j < x->argc; j++) {
        double s;
        int rc = v && pzset_score(value_as_zset(v), x->argv[j].str,
                                  x->argv[j].len, &s)
                     ? reply_double(x->out, s)
                     : reply_null(x->out);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ZRANK / ZREVRANK key member (Redis 7.0: no WITHSCORE). */
static int zrank_generic(server_ctx *x, bool rev)
{
    const value *v;
    size_t rank;
    SERVER_TRY(server_lookup(x, 1, VALUE_ZSET, &v));
    if (v == NULL)
        return reply_null(x->out);
    const pzset *z = value_as_zset(v);
    if (!pzset_rank(z, x->argv[2].str, x->argv[2].len, &rank))
        return reply_null(x->out);
    return reply_integer(x->out,
                         (int64_t)(rev ? pzset_len(z) - 1 - rank : rank));
}

static int cmd_zrank(server_ctx *x) { return zrank_generic(x, false); }
static int cmd_zrevrank(server_ctx *x) { return zrank_generic(x, true); }

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
    if (reply_entries_header(x, count, withscores) < 0)
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
            rc = reply_entry(x, pzset_at(z, r[i]), withscores);
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
        rc = reply_entry(x, pzset_at(z, rank), withscores);
        k++;
    }
    free(s.slot);
    return rc;
}

/* ZRANDMEMBER key [count [WITHSCORES]] */
static int cmd_zrandmember(server_ctx *x)
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
        if (reply_entries_header(x, (size_t)count, withscores) < 0)
            return -1;
        for (size_t k = 0; k < count; k++)
            if (reply_entry(x, pzset_at(z, random_rank(x, n)),
                            withscores) < 0)
                return -1;
        return 0;
    }
    if ((unsigned long long)l >= n) /* the whole set, highest first, as
                                       Redis's zuiNext() walks a set */
        return reply_ranks(x, z, 0, n, true, withscores);
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
static int cmd_zscan(server_ctx *x)
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
    if (strcmp(pzset_encoding(z), "listpack") == 0)
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

/* ---- ZUNION, ZINTER, ZDIFF, ZINTERCARD ----------------------------------- */

/* zunionInterDiffGenericCommand() without a destination: numkeys at 1. */
static int zsetop_generic(server_ctx *x, zset_op op, bool card_only)
{
    long long n;
    SERVER_TRY(server_arg_ll(x, 1, &n));
    if (n < 1) {
        char name[32];
        server_cmd_fullname(x, name, sizeof name);
        SERVER_TRY(server_error(x, "ERR at least 1 input key is needed for "
                                "'%s' command", name));
    }
    if ((unsigned long long)n > x->argc - 2)
        SERVER_TRY(server_syntax_error(x));
    zset_src *src = xcalloc((size_t)n, sizeof(*src));
    if (src == NULL)
        return -1;
    int rc = SERVER_OK;
    size_t j = 2;
    for (size_t i = 0; i < (size_t)n && rc == SERVER_OK; i++, j++) {
        const value *v;
        rc = server_lookup(x, j, -1, &v);
        if (rc == SERVER_OK && v && v->type != VALUE_ZSET &&
            v->type != VALUE_SET)
            rc = server_error(x, "WRONGTYPE Operation against a key holding "
                              "the wrong kind of value");
        if (rc == SERVER_OK)
            zset_src_init(&src[i], rc == SERVER_OK ? v : NULL);
    }
    zset_agg agg = ZSET_AGG_SUM;
    bool withscores = false;
    long long limit = 0;
    while (rc == SERVER_OK && j < x->argc) {
        size_t remaining = x->argc - j;
        if (op != ZSET_OP_DIFF && !card_only &&
            remaining >= (size_t)n + 1 && server_arg_is(x, j, "weights")) {
            j++;
            for (size_t i = 0; i < (size_t)n && rc == SERVER_OK; i++, j++)
                if (!cmd_num_string2d(x->argv[j].str, x->argv[j].len,
                                      &src[i].weight))
                    rc = server_error(x, "ERR weight value is not a float");
        } else if (op != ZSET_OP_DIFF && !card_only && remaining >= 2 &&
                   server_arg_is(x, j, "aggregate")) {
            j++;
            if (server_arg_is(x, j, "sum")) agg = ZSET_AGG_SUM;
            else if (server_arg_is(x, j, "min")) agg = ZSET_AGG_MIN;
            else if (server_arg_is(x, j, "max")) agg = ZSET_AGG_MAX;
            else rc = server_syntax_error(x);
            j++;
        } else if (!card_only && server_arg_is(x, j, "withscores")) {
            withscores = true;
            j++;
        } else if (card_only && remaining >= 2 &&
                   server_arg_is(x, j, "limit")) {
            if (!cmd_num_string2ll(x->argv[j + 1].str, x->argv[j + 1].len,
                                   &limit) || limit < 0)
                rc = server_error(x, "ERR LIMIT can't be negative");
            j += 2;
        } else {
            rc = server_syntax_error(x);
        }
    }
    value *r = NULL;
    if (rc == SERVER_OK &&
        zset_algebra(src, (size_t)n, op, agg, false, &r) < 0)
        rc = SERVER_NOMEM;
    free(src);
    if (rc != SERVER_OK)
        return rc == SERVER_REPLIED ? 0 : -1;
    const pzset *z = value_as_zset(r);
    size_t len = pzset_len(z);
    if (card_only) {
        if (limit > 0 && (unsigned long long)limit < len)
            len = (size_t)limit;
        rc = reply_integer(x->out, (int64_t)len);
    } else {
        rc = reply_ranks(x, z, 0, len, false, withscores);
    }
    value_free(r);
    return rc;
}

/* ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
 *   [WITHSCORES] */
static int cmd_zunion(server_ctx *x)
{
    return zsetop_generic(x, ZSET_OP_UNION, false);
}

/* ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE ...]
 *   [WITHSCORES] */
static int cmd_zinter(server_ctx *x)
{
    return zsetop_generic(x, ZSET_OP_INTER, false);
}

/* ZDIFF numkeys key [key ...] [WITHSCORES] */
static int cmd_zdiff(server_ctx *x)
{
    return zsetop_generic(x, ZSET_OP_DIFF, false);
}

/* ZINTERCARD numkeys key [key ...] [LIMIT limit] */
static int cmd_zintercard(server_ctx *x)
{
    return zsetop_generic(x, ZSET_OP_INTER, true);
}

/* ---- the table ----------------------------------------------------------- */

#define ZREAD SERVER_CMD_READ
#define ZFAST (SERVER_CMD_READ | SERVER_CMD_FAST)

/** The sorted-set read commands (arities and keys as Redis 7.0's table). */
const server_command server_cmds_zset[] = {
    {"zrange", -4, ZREAD, cmd_zrange, 1, 1, 1, "sorted-set", "1.2.0",
     "Return a range of members in a sorted set", NULL},
    {"zrevrange", -4, ZREAD, cmd_zrevrange, 1, 1, 1, "sorted-set", "1.2.0",
     "Return a range of members in a sorted set, by index, with scores "
     "ordered from high to low", NULL},
    {"zrangebyscore", -4, ZREAD, cmd_zrangebyscore, 1, 1, 1, "sorted-set",
     "1.0.5", "Return a range of members in a sorted set, by score", NULL},
    {"zrevrangebyscore", -4, ZREAD, cmd_zrevrangebyscore, 1, 1, 1,
     "sorted-set", "2.2.0",
     "Return a range of members in a sorted set, by score, with scores "
     "ordered from high to low", NULL},
    {"zrangebylex", -4, ZREAD, cmd_zrangebylex, 1, 1, 1, "sorted-set",
     "2.8.9", "Return a range of members in a sorted set, by "
     "lexicographical range", NULL},
    {"zrevrangebylex", -4, ZREAD, cmd_zrevrangebylex, 1, 1, 1, "sorted-set",
     "2.8.9", "Return a range of members in a sorted set, by "
     "lexicographical range, ordered from higher to lower strings", NULL},
    {"zcount", 4, ZFAST, cmd_zcount, 1, 1, 1, "sorted-set", "2.0.0",
     "Count the members in a sorted set with scores within the given "
     "values", NULL},
    {"zlexcount", 4, ZFAST, cmd_zlexcount, 1, 1, 1, "sorted-set", "2.8.9",
     "Count the number of members in a sorted set between a given "
     "lexicographical range", NULL},
    {"zcard", 2, ZFAST, cmd_zcard, 1, 1, 1, "sorted-set", "1.2.0",
     "Get the number of members in a sorted set", NULL},
    {"zscore", 3, ZFAST, cmd_zscore, 1, 1, 1, "sorted-set", "1.2.0",
     "Get the score associated with the given member in a sorted set",
     NULL},
    {"zmscore", -3, ZFAST, cmd_zmscore, 1, 1, 1, "sorted-set", "6.2.0",
     "Get the score associated with the given members in a sorted set",
     NULL},
    {"zrank", 3, ZFAST, cmd_zrank, 1, 1, 1, "sorted-set", "2.0.0",
     "Determine the index of a member in a sorted set", NULL},
    {"zrevrank", 3, ZFAST, cmd_zrevrank, 1, 1, 1, "sorted-set", "2.0.0",
     "Determine the index of a member in a sorted set, with scores ordered "
     "from high to low", NULL},
    {"zrandmember", -2, ZREAD | SERVER_CMD_RANDOM, cmd_zrandmember, 1, 1, 1,
     "sorted-set", "6.2.0", "Get one or multiple random elements from a "
     "sorted set", NULL},
    {"zscan", -3, ZREAD | SERVER_CMD_RANDOM, cmd_zscan, 1, 1, 1,
     "sorted-set", "2.8.0", "Incrementally iterate sorted sets elements "
     "and associated scores", NULL},
    {"zunion", -3, ZREAD, cmd_zunion, 0, 0, 0, "sorted-set", "6.2.0",
     "Add multiple sorted sets", NULL},
    {"zinter", -3, ZREAD, cmd_zinter, 0, 0, 0, "sorted-set", "6.2.0",
     "Intersect multiple sorted sets", NULL},
    {"zdiff", -3, ZREAD, cmd_zdiff, 0, 0, 0, "sorted-set", "6.2.0",
     "Subtract multiple sorted sets", NULL},
    {"zintercard", -3, ZREAD, cmd_zintercard, 0, 0, 0, "sorted-set",
     "7.0.0", "Intersect multiple sorted sets and return the cardinality "
     "of the result", NULL},
    {.name = NULL},
};
