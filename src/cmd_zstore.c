/* cmd_zstore.c - sorted sets computed from others: ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZRANGESTORE.
 * Chapter 9.
 *
 * A master propagates these as typed, so the replica computes the same
 * result from the same inputs, and the scores must agree to the last
 * bit.  Redis's rules (redis/redis src/t_zset.c,
 * zunionInterDiffGenericCommand() and zrangeGenericCommand(), 7.0.15):
 *
 *  - Every input's type is checked before the options are read.
 *  - The union, intersection and difference themselves (weights, NaN,
 *    the smallest-first order of the inputs, the separate accumulator)
 *    are zset_algebra() of zset_ops.h, shared with chapter 11's ZUNION,
 *    ZINTER and ZDIFF; a stored result that fits a listpack has -0 turned
 *    into 0, as Redis's conversion does.
 *  - An empty result deletes the destination; a stored one replaces
 *    whatever the key held, its expiry too.
 *
 * ZRANGESTORE takes the members of a rank, score or lex range, in either
 * direction, with LIMIT offset count for the last two (a negative offset
 * selects nothing, a negative count everything), and stores them with
 * their scores.
 */
#include "cmd_zset.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Add a member to a result transient. */
static int result_add(value *r, const void *m, size_t len, double score)
{
    pzset *out;
    return pzset_add(value_edit_zset(r), m, len, score, &out) < 0 ? -1 : 0;
}

/* ---- ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE ------------------------------------ */

/* Z{UNION,INTER,DIFF}STORE destination numkeys key [key ...]
 *   [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]  (no options for DIFF) */
static int zsetop_store(cmd_ctx *c, zset_op op)
{
    long long n;
    if (zset_arg_long(c, 2, NULL, &n) < 0)
        return -1;
    if (n < 1)
        return cmd_error_arg(c, 2, "ERR at least 1 input key is needed for "
                                   "'%s' command", c->spec->name);
    if ((unsigned long long)n > c->argc - 3)
        return cmd_error(c, CMD_ERR_SYNTAX);
    zset_src *src = calloc((size_t)n, sizeof(*src));
    if (!src)
        return -1;
    int rc = 0;
    size_t j = 3;
    for (size_t i = 0; i < (size_t)n; i++, j++) {
        const value *v = keyspace_lookup(c->ks, c->db, c->argv[j].str,
                                         c->argv[j].len);
        if (v && v->type != VALUE_ZSET && v->type != VALUE_SET) {
            rc = cmd_error(c, CMD_ERR_WRONGTYPE);
            goto out;
        }
        zset_src_init(&src[i], v);
    }
    zset_agg agg = ZSET_AGG_SUM;
    while (j < c->argc) {
        size_t remaining = c->argc - j;
        if (op != ZSET_OP_DIFF && remaining >= (size_t)n + 1 &&
            cmd_arg_is(c, j, "weights")) {
            j++;
            for (size_t i = 0; i < (size_t)n; i++, j++) {
                rc = zset_arg_double(c, j, "weight value is not a float",
                                     &src[i].weight);
                if (rc < 0)
                    goto out;
            }
        } else if (op != ZSET_OP_DIFF && remaining >= 2 &&
                   cmd_arg_is(c, j, "aggregate")) {
            j++;
            if (cmd_arg_is(c, j, "sum")) agg = ZSET_AGG_SUM;
            else if (cmd_arg_is(c, j, "min")) agg = ZSET_AGG_MIN;
            else if (cmd_arg_is(c, j, "max")) agg = ZSET_AGG_MAX;
            else {
                rc = cmd_error_arg(c, (int)j, CMD_ERR_SYNTAX);
                goto out;
            }
            j++;
        } else {
            rc = cmd_error_arg(c, (int)j, CMD_ERR_SYNTAX);
            goto out;
        }
    }
    value *r;
    if (zset_algebra(src, (size_t)n, op, agg, true, &r) < 0) {
        errno = ENOMEM;
        rc = -1;
        goto out;
    }
    rc = zset_store_result(c, 1, r);
out:;
    int saved = errno;
    free(src);
    errno = saved;
    return rc;
}

static int cmd_zunionstore(cmd_ctx *c) { return zsetop_store(c, ZSET_OP_UNION); }
static int cmd_zinterstore(cmd_ctx *c) { return zsetop_store(c, ZSET_OP_INTER); }
static int cmd_zdiffstore(cmd_ctx *c) { return zsetop_store(c, ZSET_OP_DIFF); }

/* ---- ZRANGESTORE ---------------------------------------------------------------- */

/* Copy the ranks [first, end) of z into a new result, in the order
 * Redis emits them (descending for REV), and store it.  Redis starts the
 * result as a listpack when lp (a rank range of at most 128 members, or
 * any score or lex range) and converts it to a skiplist at the first
 * member that breaks a limit, so -0 becomes 0 in the members added
 * before that point only. */
static int store_ranks(cmd_ctx *c, const pzset *z, size_t first, size_t end,
                       bool rev, bool lp)
{
    value *r = NULL;
    if (first < end) {
        r = zset_result_new();
        if (!r)
            return -1;
        pzset_iter it;
        pzset_iter_seek(&it, z, rev ? end - 1 : first);
        for (size_t k = 0; k < end - first; k++) {
            const pzset_entry *e = pzset_iter_entry(&it);
            size_t len;
            const void *m = pzset_entry_member(e, &len);
            double score = pzset_entry_score(e);
            if (lp && !zset_fits_listpack(k + 1, len))
                lp = false;
            if (lp)
                score = zset_listpack_score(score);
            if (result_add(r, m, len, score) < 0) {
                value_free(r);
                return -1;
            }
            if (rev)
                pzset_iter_prev(&it);
            else
                pzset_iter_next(&it);
        }
    }
    return zset_store_result(c, 1, r);
}

/* ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] */
static int cmd_zrangestore(cmd_ctx *c)
{
    enum { BY_RANK, BY_SCORE, BY_LEX } by = BY_RANK;
    bool by_set = false, rev = false;
    long long offset = 0, limit = -1;
    for (size_t j = 5; j < c->argc; j++) {
        size_t left = c->argc - j - 1;
        if (cmd_arg_is(c, j, "limit") && left >= 2) {
            if (zset_arg_long(c, j + 1, NULL, &offset) < 0 ||
                zset_arg_long(c, j + 2, NULL, &limit) < 0)
                return -1;
            j += 2;
        } else if (!rev && cmd_arg_is(c, j, "rev")) {
            rev = true;
        } else if (!by_set && cmd_arg_is(c, j, "bylex")) {
            by = BY_LEX;
            by_set = true;
        } else if (!by_set && cmd_arg_is(c, j, "byscore")) {
            by = BY_SCORE;
            by_set = true;
        } else {
            return cmd_error_arg(c, (int)j, CMD_ERR_SYNTAX);
        }
    }
    if (limit != -1 && by == BY_RANK)
        return cmd_error(c, "ERR syntax error, LIMIT is only supported in "
                            "combination with either BYSCORE or BYLEX");
    size_t imin = 3, imax = 4;
    if (rev && by != BY_RANK) {
        imin = 4;
        imax = 3;
    }
    long long start = 0, stop = 0;
    pzset_range r;
    bool empty = false;
    if (by == BY_RANK) {
        if (zset_arg_long(c, imin, NULL, &start) < 0 ||
            zset_arg_long(c, imax, NULL, &stop) < 0)
            return -1;
    } else if (by == BY_SCORE) {
        if (zset_parse_score_range(c, imin, imax, &r) < 0)
            return -1;
    } else if (zset_parse_lex_range(c, imin, imax, &r, &empty) < 0) {
        return -1;
    }
    const value *src;
    if (cmd_lookup_type(c, 2, VALUE_ZSET, &src) < 0)
        return -1;
    if (!src)
        return zset_store_result(c, 1, NULL);
    const pzset *z = value_as_zset(src);
    long long len = (long long)pzset_len(z);
    if (by == BY_RANK) {
        if (start < 0) start += len;
        if (stop < 0) stop += len;
        if (start < 0) start = 0;
        if (start > stop || start >= len)
            return zset_store_result(c, 1, NULL);
        if (stop >= len) stop = len - 1;
        bool lp = zset_fits_listpack((size_t)(stop - start + 1), 0);
        if (rev) {
            long long s = len - 1 - stop;
            stop = len - 1 - start;
            start = s;
        }
        return store_ranks(c, z, (size_t)start, (size_t)stop + 1, rev, lp);
    }
    size_t first, end;
    /* LIMIT: skip offset members in the walk's direction, then keep at
     * most limit of them (Redis's "while (offset--)" skips everything for
     * a negative offset; a negative limit keeps everything). */
    if (offset < 0)
        return zset_store_result(c, 1, NULL);
    if (by == BY_LEX) { /* Redis's walk, which skips the offset itself */
        zset_lex_read_ranks(z, &r, empty, rev, (size_t)offset, &first, &end);
        offset = 0;
    } else {
        zset_range_ranks(z, &r, empty, &first, &end);
    }
    size_t avail = end - first;
    if ((unsigned long long)offset >= avail)
        return zset_store_result(c, 1, NULL);
    avail -= (size_t)offset;
    size_t take = limit < 0 || (unsigned long long)limit > avail
                      ? avail : (size_t)limit;
    if (rev)
        return store_ranks(c, z, end - (size_t)offset - take,
                           end - (size_t)offset, true, true);
    return store_ranks(c, z, first + (size_t)offset,
                       first + (size_t)offset + take, false, true);
}

/** The commands that store a computed sorted set. */
const cmd_spec cmd_zstore_table[] = {
    {"zunionstore", -4, CMD_WRITE, cmd_zunionstore},
    {"zinterstore", -4, CMD_WRITE, cmd_zinterstore},
    {"zdiffstore", -4, CMD_WRITE, cmd_zdiffstore},
    {"zrangestore", -5, CMD_WRITE, cmd_zrangestore},
    {0},
};
