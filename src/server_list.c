/* server_list.c - read commands of one family: lists: LRANGE, LLEN, LINDEX, LPOS.
 * Chapter 11.
 *
 * A list is a plist version (src/plist.h): positions are O(1) in the flat
 * form and O(log n) in the tree, and an iterator walks either way in
 * amortised O(1), so LRANGE of any slice costs its length plus one seek.
 * LPOS is plist_find(), which already follows Redis's RANK, COUNT and
 * MAXLEN rules.  The order of checks is Redis 7.0.15's (redis/redis
 * src/t_list.c): LRANGE parses its indexes before it looks the key up,
 * LINDEX after; LPOS parses every option first, and a missing key is an
 * empty array with COUNT, a null without.
 */
#include "server_cmd.h"

#include <limits.h>

/* LRANGE key start stop */
static int lrange(server_ctx *x)
{
    long long start, end;
    SERVER_TRY(server_arg_ll(x, 2, &start));
    SERVER_TRY(server_arg_ll(x, 3, &end));
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_LIST, &v));
    if (v == NULL)
        return reply_array(x->out, 0);
    const plist *l = value_as_list(v);
    long long len = (long long)plist_len(l);
    if (start < 0)
        start += len;
    if (end < 0)
        end += len;
    if (start < 0)
        start = 0;
    if (start > end || start >= len)
        return reply_array(x->out, 0);
    if (end >= len)
        end = len - 1;
    if (reply_array(x->out, (size_t)(end - start + 1)) != 0)
        return -1;
    plist_iter it;
    plist_iter_seek(&it, l, (size_t)start);
    for (long long i = start; i <= end; i++, plist_iter_next(&it)) {
        const velem *e = plist_iter_elem(&it);
        if (reply_bulk(x->out, e->bytes, e->len) != 0)
            return -1;
    }
    return 0;
}

/* LLEN key */
static int llen(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_LIST, &v));
    return reply_integer(x->out,
                         v != NULL ? (int64_t)plist_len(value_as_list(v)) : 0);
}

/* LINDEX key index */
static int lindex(server_ctx *x)
{
    const value *v;
    long long i;
    SERVER_TRY(server_lookup(x, 1, VALUE_LIST, &v));
    if (v == NULL)
        return reply_null(x->out);
    SERVER_TRY(server_arg_ll(x, 2, &i));
    const plist *l = value_as_list(v);
    long long len = (long long)plist_len(l);
    if (i < 0)
        i += len;
    if (i < 0 || i >= len)
        return reply_null(x->out);
    const velem *e = plist_get(l, (size_t)i);
    return reply_bulk(x->out, e->bytes, e->len);
}

/* COUNT and MAXLEN of LPOS: Redis answers a word that is not a number
 * with the same text as a negative one (getPositiveLongFromObjectOrReply()
 * with a message). */
static int lpos_positive(server_ctx *x, size_t i, const char *what,
                         long long *out)
{
    int64_t v;
    if (x->argv[i].len == 0 ||
        resp_parse_int(x->argv[i].str, x->argv[i].len, &v) != 0 || v < 0)
        return server_error(x, "ERR %s can't be negative", what);
    *out = v;
    return SERVER_OK;
}

typedef struct lpos_out {
    server_ctx *x;
    bool failed;
} lpos_out;

static void lpos_emit(size_t pos, void *arg)
{
    lpos_out *o = arg;
    if (!o->failed && reply_integer(o->x->out, (int64_t)pos) != 0)
        o->failed = true;
}

static void lpos_first(size_t pos, void *arg)
{
    *(long long *)arg = (long long)pos;
}

/* LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
static int lpos(server_ctx *x)
{
    long long rank = 1, count = -1, maxlen = 0;
    for (size_t j = 3; j < x->argc; j++) {
        bool more = j + 1 < x->argc;
        if (server_arg_is(x, j, "rank") && more) {
            SERVER_TRY(server_arg_ll(x, ++j, &rank));
            if (rank == 0)
                SERVER_TRY(server_error(
                    x, "ERR RANK can't be zero: use 1 to start from the "
                       "first match, 2 from the second ... or use negative "
                       "to start from the end of the list"));
        } else if (server_arg_is(x, j, "count") && more) {
            SERVER_TRY(lpos_positive(x, ++j, "COUNT", &count));
        } else if (server_arg_is(x, j, "maxlen") && more) {
            SERVER_TRY(lpos_positive(x, ++j, "MAXLEN", &maxlen));
        } else {
            SERVER_TRY(server_syntax_error(x));
        }
    }
    /* Redis 7.0 negates the rank in a long: LONG_MIN stays negative, and
     * then every match from the tail qualifies, the first included. */
    if (rank == LLONG_MIN)
        rank = -1;
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_LIST, &v));
    if (v == NULL)
        return count != -1 ? reply_array(x->out, 0) : reply_null(x->out);
    const plist *l = value_as_list(v);
    const resp_value *e = &x->argv[2];
    if (count == -1) {
        long long at = -1;
        plist_find(l, e->str, e->len, (long)rank, 1, (size_t)maxlen,
                   lpos_first, &at);
        return at >= 0 ? reply_integer(x->out, at) : reply_null(x->out);
    }
    reply_defer d;
    if (reply_defer_begin(x->out, &d, REPLY_DEFER_ARRAY) != 0)
        return -1;
    lpos_out o = {.x = x};
    long n = plist_find(l, e->str, e->len, (long)rank, (size_t)count,
                        (size_t)maxlen, lpos_emit, &o);
    if (o.failed || n < 0)
        return -1;
    return reply_defer_end(x->out, &d, (size_t)n);
}

#define LIST_CMD(nm, ar, fl, handler, since_, sum)                          \
    {.name = nm, .arity = ar, .flags = SERVER_CMD_READ | (fl),             \
     .fn = handler, .first_key = 1, .last_key = 1, .key_step = 1,           \
     .group = "list", .since = since_, .summary = sum}

const server_command server_cmds_list[] = {
    LIST_CMD("lrange", 4, 0, lrange, "1.0.0",
             "Get a range of elements from a list"),
    LIST_CMD("llen", 2, SERVER_CMD_FAST, llen, "1.0.0",
             "Get the length of a list"),
    LIST_CMD("lindex", 3, 0, lindex, "1.0.0",
             "Get an element from a list by its index"),
    LIST_CMD("lpos", -3, 0, lpos, "6.0.6",
             "Return the index of matching elements on a list"),
    {.name = NULL},
};
