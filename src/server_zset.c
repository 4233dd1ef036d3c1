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
 * protocols (server_zset_scan.c).
 *
 * The family is three files: this one (the replies, the ZRANGE family,
 * counts and lookups, and the family's table), server_zset_scan.c
 * (ZRANDMEMBER, ZSCAN) and server_zset_algebra.c (ZUNION and its
 * siblings); server_zset.h joins them.
 */
#include "server_zset.h"

#include "zset_ops.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- replies ------------------------------------------------------------- */

/* One member, with its score when asked: RESP3 nests the pair. */
int server_zset_reply_entry(server_ctx *x, const pzset_entry *e,
                            bool withscores)
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
int server_zset_reply_header(server_ctx *x, size_t n, bool withscores)
{
    return reply_array(x->out, withscores && x->out->proto == 2 ? 2 * n : n);
}

/* Reply with the ranks [first, first + n) of z, or their mirror for rev
 * (from first + n - 1 down to first). */
int server_zset_reply_ranks(server_ctx *x, const pzset *z, size_t first,
                            size_t n, bool rev, bool withscores)
{
    if (server_zset_reply_header(x, n, withscores) < 0)
        return -1;
    if (n == 0)
        return 0;
    pzset_iter it;
    pzset_iter_seek(&it, z, rev ? first + n - 1 : first);
    for (size_t k = 0; k < n; k++) {
        if (server_zset_reply_entry(x, pzset_iter_entry(&it), withscores) <
            0)
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
        return server_zset_reply_ranks(x, z, first, n, rev, withscores);
    }
    size_t first, end;
    /* LIMIT: a negative offset selects nothing (Redis's "while
     * (offset--)" skips every member), a negative count everything. */
    if (offset < 0)
        return reply_array(x->out, 0);
    if (by == BY_LEX) { /* Redis's walk in score order (zset_ops.h) */
        zset_lex_read_ranks(z, &r, empty, rev, (size_t)offset, &first,
                            &end);
        offset = 0;
    } else {
        zset_range_ranks(z, &r, empty, &first, &end);
    }
    size_t avail = end - first;
    if ((unsigned long long)offset >= avail)
        return reply_array(x->out, 0);
    avail -= (size_t)offset;
    size_t take = limit < 0 || (unsigned long long)limit > avail
                      ? avail : (size_t)limit;
    size_t from = rev ? end - (size_t)offset - take : first + (size_t)offset;
    return server_zset_reply_ranks(x, z, from, take, rev, withscores);
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
    return reply_integer(x->out,
                         (int64_t)zset_lex_count(value_as_zset(v), &r, empty));
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
    {"zrandmember", -2, ZREAD | SERVER_CMD_RANDOM, server_zrandmember_cmd,
     1, 1, 1, "sorted-set", "6.2.0", "Get one or multiple random elements from a "
     "sorted set", NULL},
    {"zscan", -3, ZREAD | SERVER_CMD_RANDOM, server_zscan_cmd, 1, 1, 1,
     "sorted-set", "2.8.0", "Incrementally iterate sorted sets elements "
     "and associated scores", NULL},
    {"zunion", -3, ZREAD, server_zunion_cmd, 0, 0, 0, "sorted-set", "6.2.0",
     "Add multiple sorted sets", NULL},
    {"zinter", -3, ZREAD, server_zinter_cmd, 0, 0, 0, "sorted-set", "6.2.0",
     "Intersect multiple sorted sets", NULL},
    {"zdiff", -3, ZREAD, server_zdiff_cmd, 0, 0, 0, "sorted-set", "6.2.0",
     "Subtract multiple sorted sets", NULL},
    {"zintercard", -3, ZREAD, server_zintercard_cmd, 0, 0, 0, "sorted-set",
     "7.0.0", "Intersect multiple sorted sets and return the cardinality "
     "of the result", NULL},
    {.name = NULL},
};
