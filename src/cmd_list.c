/* cmd_list.c - the list commands: pushes, pops, moves, LSET, LINSERT, LREM, LTRIM.
 * Chapter 9.
 *
 * Every list write Redis 7.0.15 accepts, in the form a client sends it
 * and in the form the master propagates (redis/redis src/t_list.c).  Most
 * list commands are propagated as they were typed; the exceptions are the
 * blocking ones.  A BLPOP or BRPOP that finds data is propagated as LPOP
 * or RPOP of the key it served, a BLMPOP (and LMPOP) as LPOP/RPOP key
 * count with the count it actually popped, a BLMOVE as LMOVE and a
 * BRPOPLPUSH as RPOPLPUSH.  So a replica never receives a blocking
 * command; when one appears in the input anyway (an AOF written by hand, a
 * tool), it is applied as Redis's own AOF loader applies it: its client
 * cannot block (redis/redis src/aof.c gives it CLIENT_DENY_BLOCKING), so
 * with data it acts as its non-blocking form and without data it acts as
 * a timeout, changing nothing.
 *
 * Each handler checks its arguments in the order Redis does (so the same
 * bad command fails with the same text), then the key types, and only
 * then edits: the list is taken with keyspace_edit() (the batch's
 * transient, changed in place) or made with value_new_collection(), and a
 * list left empty is deleted, as Redis never keeps one.  The two forms
 * of plist (flat "listpack", tree "quicklist") are plist's business.
 */
#include "cmd.h"
#include "cmd_num.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>

/* Which end of a list. */
enum { LIST_HEAD = 0, LIST_TAIL = 1 };

static const char ERR_POSITIVE[] =
    "ERR value is out of range, must be positive";

/* The key bytes of argument i. */
#define ARG(c, i) ((c)->argv[(i)].str)
#define ARGLEN(c, i) ((c)->argv[(i)].len)

/* The list transient of key argument i, made (empty) when the key is
 * absent.  Call only after every check passed.  NULL with errno ENOMEM. */
static plist *list_open(cmd_ctx *c, size_t i)
{
    const void *k = ARG(c, i);
    size_t kl = ARGLEN(c, i);
    if (keyspace_lookup(c->ks, c->db, k, kl) == NULL) {
        value *nv = value_new_collection(VALUE_LIST, VALUE_NO_EXPIRY);
        if (nv == NULL || keyspace_put(c->ks, c->db, k, kl, nv) != 0)
            return NULL;
    }
    value *v = keyspace_edit(c->ks, c->db, k, kl);
    if (v == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    return value_edit_list(v);
}

/* Delete key argument i when its list l is empty.  0, or -1 ENOMEM. */
static int list_drop_if_empty(cmd_ctx *c, size_t i, const plist *l)
{
    if (plist_len(l) > 0)
        return 0;
    return keyspace_delete(c->ks, c->db, ARG(c, i), ARGLEN(c, i)) < 0 ? -1
                                                                      : 0;
}

/* LEFT or RIGHT (redis/redis getListPositionFromObjectOrReply()). */
static int list_where(cmd_ctx *c, size_t i, int *where)
{
    if (cmd_arg_is(c, i, "right"))
        *where = LIST_TAIL;
    else if (cmd_arg_is(c, i, "left"))
        *where = LIST_HEAD;
    else
        return cmd_error_arg(c, (int)i, CMD_ERR_SYNTAX);
    return 0;
}

/* A long parsed with Redis's getRangeLongFromObjectOrReply(): msg is the
 * text for both a non-number and one out of [min, max]. */
static int list_range_long(cmd_ctx *c, size_t i, long long min,
                           long long max, const char *msg, long long *out)
{
    if (cmd_arg_int(c, i, out) != 0)
        return cmd_error_arg(c, (int)i, "%s", msg);
    if (*out < min || *out > max)
        return cmd_error_arg(c, (int)i, "%s", msg);
    return 0;
}

/* A blocking command's timeout in seconds (redis/redis src/timeout.c,
 * getTimeoutFromObjectOrReply(): a long double, no spaces, not negative
 * once rounded up to milliseconds).  Only checked: the applier never
 * waits. */
static int list_timeout(cmd_ctx *c, size_t i)
{
    long double v;
    if (!cmd_num_string2ld(ARG(c, i), ARGLEN(c, i), &v))
        return cmd_error_arg(c, (int)i,
                             "ERR timeout is not a float or out of range");
    /* Redis converts ceill(v * 1000) to a long long; on x86-64 a value
     * beyond that range (inf included) becomes LLONG_MIN: negative. */
    long double ms = ceill(v * 1000.0L);
    if (ms < 0 || ms >= 9223372036854775808.0L)
        return cmd_error_arg(c, (int)i, "ERR timeout is negative");
    return 0;
}

/* ---- pushes ---------------------------------------------------------------- */

/* LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...] */
static int list_push(cmd_ctx *c, int where, bool xx)
{
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_LIST, &cur) != 0)
        return -1;
    if (cur == NULL && xx)
        return 0;
    plist *l = list_open(c, 1);
    if (l == NULL)
        return -1;
    for (size_t j = 2; j < c->argc; j++) {
        int rc = where == LIST_HEAD
                     ? plist_push_front(l, ARG(c, j), ARGLEN(c, j), &l)
                     : plist_push_back(l, ARG(c, j), ARGLEN(c, j), &l);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int cmd_lpush(cmd_ctx *c) { return list_push(c, LIST_HEAD, false); }
static int cmd_rpush(cmd_ctx *c) { return list_push(c, LIST_TAIL, false); }
static int cmd_lpushx(cmd_ctx *c) { return list_push(c, LIST_HEAD, true); }
static int cmd_rpushx(cmd_ctx *c) { return list_push(c, LIST_TAIL, true); }

/* ---- in place: LINSERT, LSET, LREM, LTRIM ------------------------------------ */

static void list_found(size_t pos, void *arg) { *(size_t *)arg = pos; }

/* LINSERT key BEFORE|AFTER pivot element */
static int cmd_linsert(cmd_ctx *c)
{
    size_t after;
    if (cmd_arg_is(c, 2, "after"))
        after = 1;
    else if (cmd_arg_is(c, 2, "before"))
        after = 0;
    else
        return cmd_error_arg(c, 2, CMD_ERR_SYNTAX);
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_LIST, &cur) != 0)
        return -1;
    if (cur == NULL)
        return 0;
    size_t pos = SIZE_MAX;
    plist_find(value_as_list(cur), ARG(c, 3), ARGLEN(c, 3), 1, 1, 0,
               list_found, &pos);
    if (pos == SIZE_MAX)
        return 0; /* no pivot: Redis replies -1 and changes nothing */
    plist *l = list_open(c, 1);
    if (l == NULL)
        return -1;
    return plist_insert(l, pos + after, ARG(c, 4), ARGLEN(c, 4), &l);
}

/* [ch09-handler] */
/* LSET key index element */
static int cmd_lset(cmd_ctx *c)
{
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_LIST, &cur) != 0)
        return -1;
    if (cur == NULL)
        return cmd_error(c, CMD_ERR_NOKEY);
    long long idx;
    if (cmd_arg_int(c, 2, &idx) != 0)
        return -1;
    long long len = (long long)plist_len(value_as_list(cur));
    if (idx < 0)
        idx += len;
    if (idx < 0 || idx >= len)
        return cmd_error_arg(c, 2, CMD_ERR_RANGE);
    plist *l = list_open(c, 1);
    if (l == NULL)
        return -1;
    return plist_set(l, (size_t)idx, ARG(c, 3), ARGLEN(c, 3), &l);
}
/* [ch09-handler] */

/* LREM key count element: count > 0 from the head, < 0 from the tail, 0
 * every match. */
static int cmd_lrem(cmd_ctx *c)
{
    long long count;
    if (cmd_arg_int(c, 2, &count) != 0)
        return -1;
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_LIST, &cur) != 0)
        return -1;
    if (cur == NULL)
        return 0;
    if (plist_find(value_as_list(cur), ARG(c, 3), ARGLEN(c, 3), 1, 1, 0,
                   list_found, &(size_t){0}) == 0)
        return 0; /* nothing matches: no edit at all */
    /* Redis negates count as a long; LONG_MIN's negation is not a long,
     * and in effect removes every match from the tail. */
    if (count == LLONG_MIN)
        count = -LLONG_MAX;
    plist *l = list_open(c, 1);
    if (l == NULL)
        return -1;
    size_t removed;
    if (plist_remove_matching(l, ARG(c, 3), ARGLEN(c, 3), (long)count,
                              &removed, &l) != 0)
        return -1;
    return list_drop_if_empty(c, 1, l);
}

/* LTRIM key start stop */
static int cmd_ltrim(cmd_ctx *c)
{
    long long start, end;
    if (cmd_arg_int(c, 2, &start) != 0 || cmd_arg_int(c, 3, &end) != 0)
        return -1;
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_LIST, &cur) != 0)
        return -1;
    if (cur == NULL)
        return 0;
    long long llen = (long long)plist_len(value_as_list(cur));
    long long ltrim, rtrim;
    if (start < 0)
        start = llen + start;
    if (end < 0)
        end = llen + end;
    if (start < 0)
        start = 0;
    if (start > end || start >= llen) {
        ltrim = llen; /* an empty range empties the list */
        rtrim = 0;
    } else {
        if (end >= llen)
            end = llen - 1;
        ltrim = start;
        rtrim = llen - end - 1;
    }
    if (ltrim == 0 && rtrim == 0)
        return 0;
    plist *l = list_open(c, 1);
    if (l == NULL)
        return -1;
    if (plist_delete_range(l, 0, (size_t)ltrim, &l) != 0)
        return -1;
    size_t n = plist_len(l);
    if (plist_delete_range(l, n - (size_t)rtrim, n, &l) != 0)
        return -1;
    return list_drop_if_empty(c, 1, l);
}

/* ---- pops ---------------------------------------------------------------------- */

/* Pop up to count items from one end of the list at key argument i
 * (known to exist and hold a list), deleting the key when it empties. */
static int list_pop_n(cmd_ctx *c, size_t i, int where, long long count)
{
    plist *l = list_open(c, i);
    if (l == NULL)
        return -1;
    size_t n = plist_len(l);
    size_t k = count < 0 || (unsigned long long)count > n ? n
                                                          : (size_t)count;
    if (where == LIST_HEAD) {
        if (plist_delete_range(l, 0, k, &l) != 0)
            return -1;
    } else if (plist_delete_range(l, n - k, n, &l) != 0) {
        return -1;
    }
    return list_drop_if_empty(c, i, l);
}

/* LPOP/RPOP key [count] */
static int list_pop(cmd_ctx *c, int where)
{
    long long count = 1;
    if (c->argc > 3)
        return cmd_error(c, "ERR wrong number of arguments for '%s' command",
                         c->spec->name);
    if (c->argc == 3) {
        /* getPositiveLongFromObjectOrReply(): one text for both */
        if (list_range_long(c, 2, 0, LONG_MAX, ERR_POSITIVE, &count) != 0)
            return -1;
    }
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_LIST, &cur) != 0)
        return -1;
    if (cur == NULL || count == 0)
        return 0;
    return list_pop_n(c, 1, where, count);
}

static int cmd_lpop(cmd_ctx *c) { return list_pop(c, LIST_HEAD); }
static int cmd_rpop(cmd_ctx *c) { return list_pop(c, LIST_TAIL); }

/* The first key of argv[first, first + n) that holds a non-empty list, as
 * Redis's multi-key pops look for it: an absent key is skipped, a key of
 * another type fails the command.  *found is 0 when none has data. */
static int list_first_nonempty(cmd_ctx *c, size_t first, size_t n,
                               size_t *found)
{
    *found = 0;
    for (size_t j = first; j < first + n; j++) {
        const value *v;
        if (cmd_lookup_type(c, j, VALUE_LIST, &v) != 0)
            return -1;
        if (v != NULL && plist_len(value_as_list(v)) > 0) {
            *found = j;
            return 0;
        }
    }
    return 0;
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count], and BLMPOP's
 * arguments from numkeys_idx on (timeout_idx > 0: BLMPOP, whose timeout
 * Redis checks after the rest). */
static int list_mpop(cmd_ctx *c, size_t numkeys_idx, size_t timeout_idx)
{
    long long numkeys, count = -1;
    if (list_range_long(c, numkeys_idx, 1, LONG_MAX,
                        "ERR numkeys should be greater than 0",
                        &numkeys) != 0)
        return -1;
    /* numkeys beyond the arguments: Redis finds no LEFT|RIGHT there. */
    if ((unsigned long long)numkeys + numkeys_idx + 1 >= c->argc)
        return cmd_error_arg(c, (int)numkeys_idx, CMD_ERR_SYNTAX);
    size_t where_idx = numkeys_idx + (size_t)numkeys + 1;
    int where;
    if (list_where(c, where_idx, &where) != 0)
        return -1;
    for (size_t j = where_idx + 1; j < c->argc; j++) {
        if (count == -1 && cmd_arg_is(c, j, "count") && j + 1 < c->argc) {
            j++;
            if (list_range_long(c, j, 1, LONG_MAX,
                                "ERR count should be greater than 0",
                                &count) != 0)
                return -1;
        } else {
            return cmd_error_arg(c, (int)j, CMD_ERR_SYNTAX);
        }
    }
    if (count == -1)
        count = 1;
    if (timeout_idx > 0 && list_timeout(c, timeout_idx) != 0)
        return -1;
    size_t key;
    if (list_first_nonempty(c, numkeys_idx + 1, (size_t)numkeys, &key) != 0)
        return -1;
    if (key == 0)
        return 0; /* nothing to pop (BLMPOP: a timeout) */
    return list_pop_n(c, key, where, count);
}

static int cmd_lmpop(cmd_ctx *c) { return list_mpop(c, 1, 0); }
/* BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
static int cmd_blmpop(cmd_ctx *c) { return list_mpop(c, 2, 1); }

/* BLPOP/BRPOP key [key ...] timeout: the first non-empty list loses one
 * item (propagated by Redis as LPOP/RPOP key); none: a timeout. */
static int list_bpop(cmd_ctx *c, int where)
{
    if (list_timeout(c, c->argc - 1) != 0)
        return -1;
    size_t key;
    if (list_first_nonempty(c, 1, c->argc - 2, &key) != 0)
        return -1;
    if (key == 0)
        return 0;
    return list_pop_n(c, key, where, 1);
}

static int cmd_blpop(cmd_ctx *c) { return list_bpop(c, LIST_HEAD); }
static int cmd_brpop(cmd_ctx *c) { return list_bpop(c, LIST_TAIL); }

/* ---- moves ------------------------------------------------------------------------- */

/* Move one item from an end of the list at argv[1] to an end of the list
 * at argv[2] (redis/redis lmoveGenericCommand()).  The item moves as the
 * same element (plist shares it); the source is deleted when it empties,
 * unless it is also the destination (a rotation). */
static int list_move(cmd_ctx *c, int from, int to)
{
    const value *src, *dst;
    if (cmd_lookup_type(c, 1, VALUE_LIST, &src) != 0)
        return -1;
    if (src == NULL || plist_len(value_as_list(src)) == 0)
        return 0;
    if (cmd_lookup_type(c, 2, VALUE_LIST, &dst) != 0)
        return -1;
    plist *sl = list_open(c, 1);
    if (sl == NULL)
        return -1;
    velem *e;
    int rc = from == LIST_HEAD ? plist_pop_front(sl, &e, &sl)
                               : plist_pop_back(sl, &e, &sl);
    if (rc != 0)
        return -1;
    bool same = ARGLEN(c, 1) == ARGLEN(c, 2) &&
                memcmp(ARG(c, 1), ARG(c, 2), ARGLEN(c, 1)) == 0;
    if (!same && list_drop_if_empty(c, 1, sl) != 0) {
        velem_release(e);
        return -1;
    }
    plist *dl = same ? sl : list_open(c, 2);
    if (dl == NULL) {
        velem_release(e);
        return -1;
    }
    rc = to == LIST_HEAD ? plist_push_elem_front(dl, e, &dl)
                         : plist_push_elem_back(dl, e, &dl);
    velem_release(e);
    return rc;
}

/* LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
static int cmd_lmove(cmd_ctx *c)
{
    int from, to;
    if (list_where(c, 3, &from) != 0 || list_where(c, 4, &to) != 0)
        return -1;
    return list_move(c, from, to);
}

/* RPOPLPUSH source destination */
static int cmd_rpoplpush(cmd_ctx *c)
{
    return list_move(c, LIST_TAIL, LIST_HEAD);
}

/* BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout */
static int cmd_blmove(cmd_ctx *c)
{
    int from, to;
    if (list_where(c, 3, &from) != 0 || list_where(c, 4, &to) != 0 ||
        list_timeout(c, 5) != 0)
        return -1;
    return list_move(c, from, to);
}

/* BRPOPLPUSH source destination timeout */
static int cmd_brpoplpush(cmd_ctx *c)
{
    if (list_timeout(c, 3) != 0)
        return -1;
    return list_move(c, LIST_TAIL, LIST_HEAD);
}

/* The list commands (arities as Redis 7.0.15's COMMAND INFO). */
const cmd_spec cmd_list_table[] = {
    {"lpush", -3, CMD_WRITE, cmd_lpush},
    {"rpush", -3, CMD_WRITE, cmd_rpush},
    {"lpushx", -3, CMD_WRITE, cmd_lpushx},
    {"rpushx", -3, CMD_WRITE, cmd_rpushx},
    {"linsert", 5, CMD_WRITE, cmd_linsert},
    {"lset", 4, CMD_WRITE, cmd_lset},
    {"lrem", 4, CMD_WRITE, cmd_lrem},
    {"ltrim", 4, CMD_WRITE, cmd_ltrim},
    {"lpop", -2, CMD_WRITE, cmd_lpop},
    {"rpop", -2, CMD_WRITE, cmd_rpop},
    {"rpoplpush", 3, CMD_WRITE, cmd_rpoplpush},
    {"lmove", 5, CMD_WRITE, cmd_lmove},
    {"lmpop", -4, CMD_WRITE, cmd_lmpop},
    {"blpop", -3, CMD_WRITE, cmd_blpop},
    {"brpop", -3, CMD_WRITE, cmd_brpop},
    {"blmove", 6, CMD_WRITE, cmd_blmove},
    {"brpoplpush", 4, CMD_WRITE, cmd_brpoplpush},
    {"blmpop", -5, CMD_WRITE, cmd_blmpop},
    {NULL, 0, 0, NULL},
};
