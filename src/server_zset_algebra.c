/* server_zset_algebra.c - ZUNION, ZINTER, ZDIFF, ZINTERCARD: set algebra answered, not stored.
 * Chapter 11.
 *
 * The algebra itself is chapter 9's (zset_ops.h, zset_algebra()), so a
 * ZUNION here replies with the scores a ZUNIONSTORE on the master stored
 * (except that a reply keeps -0, as Redis replies from the skiplist it
 * built before any listpack conversion).  What this file adds is the
 * grammar without a destination (redis/redis src/t_zset.c,
 * zunionInterDiffGenericCommand(): numkeys at argument 1) in Redis's
 * order of checks: every input is looked up, and its type checked,
 * before WEIGHTS, AGGREGATE or LIMIT is read, so WRONGTYPE wins over a
 * bad weight.  A plain set counts as a sorted set of scores 1, as in
 * Redis.  The result is built as a temporary value and freed after the
 * reply.
 *
 * Thread-safety: as every read handler (server_cmd.h).
 */
#include "server_zset.h"

#include "alloc.h"
#include "cmd_num.h"
#include "zset_ops.h"

#include <stdlib.h>

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
        rc = server_zset_reply_ranks(x, z, 0, len, false, withscores);
    }
    value_free(r);
    return rc;
}

/* ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
 *   [WITHSCORES] */
int server_zunion_cmd(server_ctx *x)
{
    return zsetop_generic(x, ZSET_OP_UNION, false);
}

/* ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE ...]
 *   [WITHSCORES] */
int server_zinter_cmd(server_ctx *x)
{
    return zsetop_generic(x, ZSET_OP_INTER, false);
}

/* ZDIFF numkeys key [key ...] [WITHSCORES] */
int server_zdiff_cmd(server_ctx *x)
{
    return zsetop_generic(x, ZSET_OP_DIFF, false);
}

/* ZINTERCARD numkeys key [key ...] [LIMIT limit] */
int server_zintercard_cmd(server_ctx *x)
{
    return zsetop_generic(x, ZSET_OP_INTER, true);
}
