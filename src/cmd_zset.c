/* cmd_zset.c - the sorted-set writes: ZADD, ZINCRBY, ZREM, the range removals, the pops.
 * Chapter 9.
 *
 * Redis 7.0 propagates ZADD, ZINCRBY, ZREM, ZREMRANGEBY* and ZPOPMIN/MAX
 * as they were typed, and rewrites ZMPOP and the blocking pops, once
 * served, into ZPOPMIN/ZPOPMAX key count (redis/redis src/t_zset.c,
 * genericZpopCommand() and blockingGenericZpopCommand()).  A replica
 * applies both forms; the blocking ones, which a master would park, pop
 * from the first non-empty key or, when there is none, do nothing (a
 * replica never waits).
 *
 * Every handler follows t_zset.c's order of checks, because the first
 * failing check decides the reply text: ZADD parses its options, then
 * its scores, then looks at the key's type; the range removals parse the
 * range before looking at the key; ZPOPMIN parses its count before the
 * type.  Scores are doubles compared as Redis compares them: a score
 * changes only when the new one is != the old (so 0 over -0 keeps -0),
 * GT/LT compare with the current score, and INCR refuses a NaN sum
 * (inf + -inf) before anything changes.  A set emptied by a removal is
 * deleted, as Redis never keeps an empty collection.
 *
 * -0 and the listpack.  Redis keeps a small sorted set as a listpack,
 * where a score is text and -0 is written "0": ZADD of -0 into a small
 * set stores 0, into a skiplist stores -0 (and SAVE writes each as it is
 * held).  So a score added where Redis would write a listpack is
 * normalised (lands_in_listpack()).  pzset's flat form follows Redis's
 * limits while a set grows; Redis never turns a skiplist back into a
 * listpack on removals, while pzset goes flat again at 64 members, so the
 * set remembers that it has been a tree (pzset_was_tree()) and
 * zset_is_listpack() answers as Redis would: a -0 added to a set that
 * outgrew the limits and shrank keeps its sign, as in Redis (found by the
 * consistency checker of chapter 12).  SORT marks its input too, as
 * Redis converts a sorted set it sorts to a skiplist (cmd_sort.c).  An
 * RDB load starts afresh, as Redis's loader converts a small sorted set
 * to a listpack.  What remains: a SORT or SORT_RO that the master does
 * not propagate (no STORE) converts the master's set alone, so Redis's
 * own replica, and this one, then store 0 where the master keeps -0.
 *
 * ZREMRANGEBYLEX over a set whose scores differ.  Redis documents lex
 * ranges only for equal scores, but a master runs the command on any set
 * and its replica must remove what it removed.  Redis walks in score
 * order: from the first member >= min (zzlFirstInLexRange(),
 * zslDeleteRangeByLex()) it deletes members while they are <= max, and a
 * listpack is left alone unless its last member is >= min and its first
 * <= max (zzlIsInLexRange()).  A binary search by member, exact when the
 * scores are equal, removes other members here (found by the consistency
 * checker of chapter 12), so zset_lex_walk_ranks() walks as Redis does.  (A skiplist
 * finds its first member by a descent whose path depends on random node
 * levels; the walk from the head is what a descent through level 0 finds,
 * and Redis's own master and replica can disagree beyond that.)  The
 * reads (ZRANGEBYLEX and its forms, ZRANGESTORE BYLEX, ZLEXCOUNT) walk
 * the same way but check both ends on either encoding and skip LIMIT's
 * offset unchecked (zset_lex_read_ranks(), zset_lex_count()).
 *
 * The shared parsers (doubles as string2d(), and the score and lex
 * ranges of zset_ops.h with the applier's error records) are here too and
 * declared in cmd_zset.h for cmd_zstore.c and cmd_geo.c.
 */
#include "cmd_zset.h"

#include "cmd_num.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared parsers -------------------------------------------------------- */

int zset_arg_double(cmd_ctx *c, size_t i, const char *msg, double *out)
{
    if (!cmd_num_string2d(c->argv[i].str, c->argv[i].len, out))
        return cmd_error_arg(c, (int)i, "ERR %s",
                             msg ? msg : "value is not a valid float");
    return 0;
}

int zset_arg_long(cmd_ctx *c, size_t i, const char *msg, long long *out)
{
    if (!cmd_num_string2ll(c->argv[i].str, c->argv[i].len, out))
        return cmd_error_arg(c, (int)i, "ERR %s",
                             msg ? msg
                                 : "value is not an integer or out of range");
    return 0;
}

int zset_parse_score_range(cmd_ctx *c, size_t imin, size_t imax,
                           pzset_range *out)
{
    int bad = zset_score_range_parse(&c->argv[imin], &c->argv[imax], out);
    if (bad)
        return cmd_error_arg(c, (int)(bad == 1 ? imin : imax),
                             ZSET_ERR_SCORE_RANGE);
    return 0;
}

int zset_parse_lex_range(cmd_ctx *c, size_t imin, size_t imax,
                         pzset_range *out, bool *empty)
{
    int bad = zset_lex_range_parse(&c->argv[imin], &c->argv[imax], out,
                                   empty);
    if (bad)
        return cmd_error_arg(c, (int)(bad == 1 ? imin : imax),
                             ZSET_ERR_LEX_RANGE);
    return 0;
}

/* ---- results --------------------------------------------------------------- */

value *zset_result_new(void)
{
    return value_new_collection(VALUE_ZSET, VALUE_NO_EXPIRY);
}

int zset_store_result(cmd_ctx *c, size_t dst_i, value *v)
{
    const char *key = c->argv[dst_i].str;
    size_t klen = c->argv[dst_i].len;
    if (v && pzset_len(value_as_zset(v)) > 0)
        return keyspace_put(c->ks, c->db, key, klen, v);
    if (v)
        value_free(v);
    return keyspace_delete(c->ks, c->db, key, klen) < 0 ? -1 : 0;
}

/* Delete a key whose set an edit emptied. */
static int delete_if_empty(cmd_ctx *c, size_t key_i, const pzset *z)
{
    if (pzset_len(z) > 0)
        return 0;
    return keyspace_delete(c->ks, c->db, c->argv[key_i].str,
                           c->argv[key_i].len) < 0 ? -1 : 0;
}

/* The set of argument key_i, as a transient of the batch. */
static pzset *edit_zset(cmd_ctx *c, size_t key_i)
{
    value *v = keyspace_edit(c->ks, c->db, c->argv[key_i].str,
                             c->argv[key_i].len);
    if (!v) {
        if (errno == 0)
            errno = EINVAL;
        return NULL;
    }
    return value_edit_zset(v);
}

/* ---- ZADD, ZINCRBY ------------------------------------------------------------ */

/* Whether Redis writes this pair into a listpack: the set is one now
 * (zset_is_listpack()) and stays one with the member (zsetAdd() converts
 * before inserting a member that would break a limit). */
static bool lands_in_listpack(const pzset *z, size_t mlen, bool exists)
{
    if (!zset_is_listpack(z))
        return false;
    return exists || zset_fits_listpack(pzset_len(z) + 1, mlen);
}

/* One pair under the flags (zsetAdd()); the caller has ruled out NaN. */
static int add_one(pzset *z, const resp_value *m, double score,
                   unsigned flags)
{
    double cur;
    pzset *out;
    bool exists = pzset_score(z, m->str, m->len, &cur);
    if (exists) {
        if (flags & ZSET_ADD_NX)
            return 0;
        if (flags & ZSET_ADD_INCR)
            score += cur;
        if (((flags & ZSET_ADD_LT) && score >= cur) ||
            ((flags & ZSET_ADD_GT) && score <= cur))
            return 0;
        if (score == cur)
            return 0;
    } else if (flags & ZSET_ADD_XX) {
        return 0;
    }
    if (lands_in_listpack(z, m->len, exists))
        score = zset_listpack_score(score);
    return pzset_add(z, m->str, m->len, score, &out) < 0 ? -1 : 0;
}

int zset_add_pairs(cmd_ctx *c, size_t key_i, unsigned flags, size_t n,
                   const double *scores, const resp_value *member,
                   size_t stride)
{
    const value *cur;
    if (cmd_lookup_type(c, key_i, VALUE_ZSET, &cur) < 0)
        return -1;
    if (!cur) {
        if (flags & ZSET_ADD_XX)
            return 0;
        value *v = zset_result_new();
        if (!v)
            return -1;
        pzset *z = value_edit_zset(v);
        for (size_t j = 0; j < n; j++) {
            if (add_one(z, &member[j * stride], scores[j], flags) < 0) {
                value_free(v);
                return -1;
            }
        }
        return keyspace_put(c->ks, c->db, c->argv[key_i].str,
                            c->argv[key_i].len, v);
    }
    if (flags & ZSET_ADD_INCR) {
        /* INCR takes one pair: refuse a NaN sum before any change. */
        double s;
        if (!(flags & ZSET_ADD_NX) &&
            pzset_score(value_as_zset(cur), member->str, member->len, &s) &&
            isnan(s + scores[0]))
            return cmd_error(c, "ERR resulting score is not a number (NaN)");
    }
    pzset *z = edit_zset(c, key_i);
    if (!z)
        return -1;
    for (size_t j = 0; j < n; j++)
        if (add_one(z, &member[j * stride], scores[j], flags) < 0)
            return -1;
    return 0;
}

/* ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] */
static int cmd_zadd_flags(cmd_ctx *c, unsigned flags)
{
    size_t i = 2;
    for (; i < c->argc; i++) {
        if (cmd_arg_is(c, i, "nx")) flags |= ZSET_ADD_NX;
        else if (cmd_arg_is(c, i, "xx")) flags |= ZSET_ADD_XX;
        else if (cmd_arg_is(c, i, "ch")) { /* the reply only */ }
        else if (cmd_arg_is(c, i, "incr")) flags |= ZSET_ADD_INCR;
        else if (cmd_arg_is(c, i, "gt")) flags |= ZSET_ADD_GT;
        else if (cmd_arg_is(c, i, "lt")) flags |= ZSET_ADD_LT;
        else break;
    }
    size_t left = c->argc - i;
    if (left == 0 || left % 2)
        return cmd_error(c, CMD_ERR_SYNTAX);
    size_t n = left / 2;
    bool nx = flags & ZSET_ADD_NX, xx = flags & ZSET_ADD_XX;
    bool gt = flags & ZSET_ADD_GT, lt = flags & ZSET_ADD_LT;
    if (nx && xx)
        return cmd_error(c, "ERR XX and NX options at the same time are "
                            "not compatible");
    if ((gt && nx) || (lt && nx) || (gt && lt))
        return cmd_error(c, "ERR GT, LT, and/or NX options at the same "
                            "time are not compatible");
    if ((flags & ZSET_ADD_INCR) && n > 1)
        return cmd_error(c, "ERR INCR option supports a single "
                            "increment-element pair");
    double *scores = malloc(n * sizeof(*scores));
    if (!scores)
        return -1;
    int rc = 0;
    for (size_t j = 0; j < n && rc == 0; j++)
        rc = zset_arg_double(c, i + 2 * j, NULL, &scores[j]);
    if (rc == 0)
        rc = zset_add_pairs(c, 1, flags, n, scores, &c->argv[i + 1], 2);
    int saved = errno;
    free(scores);
    errno = saved;
    return rc;
}

static int cmd_zadd(cmd_ctx *c) { return cmd_zadd_flags(c, 0); }

/* ZINCRBY key increment member: ZADD's parser with INCR set, as
 * zincrbyCommand() does, so an option word where the increment belongs
 * ("ZINCRBY k nx m") leaves one argument and is a syntax error there too. */
static int cmd_zincrby(cmd_ctx *c) { return cmd_zadd_flags(c, ZSET_ADD_INCR); }

/* ---- ZREM and the range removals -------------------------------------------- */

/* ZREM key member [member ...] */
static int cmd_zrem(cmd_ctx *c)
{
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_ZSET, &cur) < 0)
        return -1;
    if (!cur)
        return 0;
    bool any = false;
    for (size_t i = 2; i < c->argc && !any; i++)
        any = pzset_score(value_as_zset(cur), c->argv[i].str, c->argv[i].len,
                          NULL);
    if (!any)
        return 0;
    pzset *z = edit_zset(c, 1);
    if (!z)
        return -1;
    for (size_t i = 2; i < c->argc; i++) {
        pzset *out;
        if (pzset_remove(z, c->argv[i].str, c->argv[i].len, &out) < 0)
            return -1;
    }
    return delete_if_empty(c, 1, z);
}

/* Remove the ranks [first, end) of argument 1's set, deleting the key
 * when nothing is left. */
static int remove_ranks(cmd_ctx *c, size_t first, size_t end)
{
    if (first >= end)
        return 0;
    pzset *z = edit_zset(c, 1);
    pzset *out;
    if (!z || pzset_remove_range_by_rank(z, first, end, &out) < 0)
        return -1;
    return delete_if_empty(c, 1, z);
}

/* ZREMRANGEBYRANK key start stop */
static int cmd_zremrangebyrank(cmd_ctx *c)
{
    long long start, stop;
    const value *cur;
    if (zset_arg_long(c, 2, NULL, &start) < 0 ||
        zset_arg_long(c, 3, NULL, &stop) < 0 ||
        cmd_lookup_type(c, 1, VALUE_ZSET, &cur) < 0)
        return -1;
    if (!cur)
        return 0;
    long long len = (long long)pzset_len(value_as_zset(cur));
    if (start < 0) start += len;
    if (stop < 0) stop += len;
    if (start < 0) start = 0;
    if (start > stop || start >= len)
        return 0;
    if (stop >= len) stop = len - 1;
    return remove_ranks(c, (size_t)start, (size_t)stop + 1);
}

/* ZREMRANGEBYSCORE key min max */
static int cmd_zremrangebyscore(cmd_ctx *c)
{
    pzset_range r;
    const value *cur;
    if (zset_parse_score_range(c, 2, 3, &r) < 0 ||
        cmd_lookup_type(c, 1, VALUE_ZSET, &cur) < 0)
        return -1;
    if (!cur)
        return 0;
    size_t first, end;
    zset_range_ranks(value_as_zset(cur), &r, false, &first, &end);
    return remove_ranks(c, first, end);
}

/* ZREMRANGEBYLEX key min max */
static int cmd_zremrangebylex(cmd_ctx *c)
{
    pzset_range r;
    bool empty;
    const value *cur;
    if (zset_parse_lex_range(c, 2, 3, &r, &empty) < 0 ||
        cmd_lookup_type(c, 1, VALUE_ZSET, &cur) < 0)
        return -1;
    if (!cur)
        return 0;
    size_t first, end;
    zset_lex_walk_ranks(value_as_zset(cur), &r, empty, false, &first, &end);
    return remove_ranks(c, first, end);
}

/* ---- pops -------------------------------------------------------------------- */

/* Pop count members (min or max) from the first existing key among
 * arguments [k0, k0 + nkeys), as genericZpopCommand(): a key of another
 * type before any set is WRONGTYPE. */
static int pop_first(cmd_ctx *c, size_t k0, size_t nkeys, bool max,
                     long long count)
{
    for (size_t k = k0; k < k0 + nkeys; k++) {
        const value *cur;
        if (cmd_lookup_type(c, k, VALUE_ZSET, &cur) < 0)
            return -1;
        if (!cur)
            continue;
        if (count == 0)
            return 0;
        pzset *z = edit_zset(c, k);
        pzset *out;
        if (!z)
            return -1;
        int rc = max ? pzset_pop_max(z, (size_t)count, &out)
                     : pzset_pop_min(z, (size_t)count, &out);
        if (rc < 0)
            return -1;
        return delete_if_empty(c, k, z);
    }
    return 0;
}

/* ZPOPMIN|ZPOPMAX key [count] */
static int zpop(cmd_ctx *c, bool max)
{
    long long count = 1;
    if (c->argc > 3)
        return cmd_error(c, CMD_ERR_SYNTAX);
    if (c->argc == 3 &&
        (zset_arg_long(c, 2, "value is out of range, must be positive",
                       &count) < 0))
        return -1;
    if (count < 0)
        return cmd_error_arg(c, 2,
                             "ERR value is out of range, must be positive");
    return pop_first(c, 1, 1, max, count);
}

static int cmd_zpopmin(cmd_ctx *c) { return zpop(c, false); }
static int cmd_zpopmax(cmd_ctx *c) { return zpop(c, true); }

/* A blocking command's timeout in seconds (getTimeoutFromObjectOrReply()
 * with UNIT_SECONDS): a long double, times 1000, rounded up; negative is
 * refused.  Out of the range of a long long the conversion gives
 * LLONG_MIN on x86-64, which Redis then reports as negative. */
static int parse_timeout(cmd_ctx *c, size_t i)
{
    long double t;
    if (!cmd_num_string2ld(c->argv[i].str, c->argv[i].len, &t))
        return cmd_error_arg(c, (int)i,
                             "ERR timeout is not a float or out of range");
    long double ms = ceill(t * 1000.0L);
    if (!(ms >= -9223372036854775808.0L && ms < 9223372036854775808.0L) ||
        ms < 0)
        return cmd_error_arg(c, (int)i, "ERR timeout is negative");
    return 0;
}

/* BZPOPMIN|BZPOPMAX key [key ...] timeout: served at once from the first
 * non-empty key, or (where the master would block) nothing happens. */
static int bzpop(cmd_ctx *c, bool max)
{
    if (parse_timeout(c, c->argc - 1) < 0)
        return -1;
    return pop_first(c, 1, c->argc - 2, max, 1);
}

static int cmd_bzpopmin(cmd_ctx *c) { return bzpop(c, false); }
static int cmd_bzpopmax(cmd_ctx *c) { return bzpop(c, true); }

/* ZMPOP numkeys key [key ...] MIN|MAX [COUNT count], and BZMPOP with a
 * timeout first (zmpopGenericCommand()). */
static int zmpop(cmd_ctx *c, size_t numkeys_i, bool blocking)
{
    long long numkeys, count = -1;
    const char *nkmsg = "numkeys should be greater than 0";
    if (zset_arg_long(c, numkeys_i, nkmsg, &numkeys) < 0)
        return -1;
    if (numkeys < 1)
        return cmd_error_arg(c, (int)numkeys_i, "ERR %s", nkmsg);
    if ((unsigned long long)numkeys >= c->argc - numkeys_i - 1)
        return cmd_error(c, CMD_ERR_SYNTAX);
    size_t where_i = numkeys_i + (size_t)numkeys + 1;
    bool max;
    if (cmd_arg_is(c, where_i, "min"))
        max = false;
    else if (cmd_arg_is(c, where_i, "max"))
        max = true;
    else
        return cmd_error_arg(c, (int)where_i, CMD_ERR_SYNTAX);
    for (size_t j = where_i + 1; j < c->argc; j++) {
        if (count == -1 && cmd_arg_is(c, j, "count") && j + 1 < c->argc) {
            const char *cmsg = "count should be greater than 0";
            j++;
            if (zset_arg_long(c, j, cmsg, &count) < 0)
                return -1;
            if (count < 1)
                return cmd_error_arg(c, (int)j, "ERR %s", cmsg);
        } else {
            return cmd_error_arg(c, (int)j, CMD_ERR_SYNTAX);
        }
    }
    if (count == -1)
        count = 1;
    if (blocking && parse_timeout(c, 1) < 0)
        return -1;
    return pop_first(c, numkeys_i + 1, (size_t)numkeys, max, count);
}

static int cmd_zmpop(cmd_ctx *c) { return zmpop(c, 1, false); }
static int cmd_bzmpop(cmd_ctx *c) { return zmpop(c, 2, true); }

/** The sorted-set write commands (arity as COMMAND INFO reports it). */
const cmd_spec cmd_zset_table[] = {
    {"zadd", -4, CMD_WRITE, cmd_zadd},
    {"zincrby", 4, CMD_WRITE, cmd_zincrby},
    {"zrem", -3, CMD_WRITE, cmd_zrem},
    {"zremrangebyscore", 4, CMD_WRITE, cmd_zremrangebyscore},
    {"zremrangebyrank", 4, CMD_WRITE, cmd_zremrangebyrank},
    {"zremrangebylex", 4, CMD_WRITE, cmd_zremrangebylex},
    {"zpopmin", -2, CMD_WRITE, cmd_zpopmin},
    {"zpopmax", -2, CMD_WRITE, cmd_zpopmax},
    {"zmpop", -4, CMD_WRITE, cmd_zmpop},
    {"bzpopmin", -3, CMD_WRITE, cmd_bzpopmin},
    {"bzpopmax", -3, CMD_WRITE, cmd_bzpopmax},
    {"bzmpop", -5, CMD_WRITE, cmd_bzmpop},
    {0},
};
