/* server_hash.c - read commands of one family: hashes: HGET, HGETALL, HSCAN, ....
 * Chapter 11.
 *
 * Every command here reads one phash version (src/phash.h) that stays
 * valid for the whole command, so none of them copies the hash.  What
 * needs care is what a client must not see: a field whose own expiry
 * (Redis 7.4's HPEXPIREAT, which a phash keeps) has passed is missing,
 * exactly as an expired key is missing.  A phash keeps its smallest field
 * expiry in O(1) (phash_min_expire()), so a hash with nothing due costs
 * nothing extra; only a hash holding an expired field pays a walk to
 * skip it.  Reply shapes and error texts are Redis 7.0.15's (redis/redis
 * src/t_hash.c): HGETALL is a map (RESP2: the flat field, value array),
 * HRANDFIELD ... WITHVALUES in RESP3 is an array of two-element arrays,
 * HSCAN is always arrays.
 */
#include "server_cmd.h"

#include "server_cscan.h"
#include "server_sample.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- fields a client can see ------------------------------------------ */

static bool field_live(const phash_field *f, int64_t now_ms)
{
    int64_t e = phash_field_expire(f);
    return e == PHASH_NO_EXPIRE || e > now_ms;
}

/* Whether some field of h may be expired at now_ms (O(1)). */
static bool some_expired(const phash *h, int64_t now_ms)
{
    int64_t m = phash_min_expire(h);
    return m != PHASH_NO_EXPIRE && m <= now_ms;
}

/* The number of live fields: O(1) unless a field is due. */
static size_t live_len(const phash *h, int64_t now_ms)
{
    if (!some_expired(h, now_ms))
        return phash_len(h);
    size_t n = 0;
    phash_iter it;
    const phash_field *f;
    phash_iter_init(&it, h);
    while ((f = phash_iter_next(&it)) != NULL)
        n += field_live(f, now_ms);
    return n;
}

/* One live field by name, or NULL. */
static const phash_field *live_get(const server_ctx *x, const value *v,
                                   size_t arg)
{
    if (v == NULL)
        return NULL;
    const phash_field *f = phash_get(value_as_hash(v), x->argv[arg].str,
                                     x->argv[arg].len);
    return f != NULL && field_live(f, x->now_ms) ? f : NULL;
}

static int reply_name(server_ctx *x, const phash_field *f)
{
    size_t n;
    const unsigned char *p = phash_field_name(f, &n);
    return reply_bulk(x->out, p, n);
}

static int reply_value(server_ctx *x, const phash_field *f)
{
    size_t n;
    const unsigned char *p = phash_field_value(f, &n);
    return reply_bulk(x->out, p, n);
}

/* ---- single fields ------------------------------------------------------ */

/* HGET key field */
static int hget(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_HASH, &v));
    const phash_field *f = live_get(x, v, 2);
    return f != NULL ? reply_value(x, f) : reply_null(x->out);
}

/* HMGET key field [field ...] */
static int hmget(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_HASH, &v));
    if (reply_array(x->out, x->argc - 2) != 0)
        return -1;
    for (size_t i = 2; i < x->argc; i++) {
        const phash_field *f = live_get(x, v, i);
        if ((f != NULL ? reply_value(x, f) : reply_null(x->out)) != 0)
            return -1;
    }
    return 0;
}

/* HEXISTS key field */
static int hexists(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_HASH, &v));
    return reply_integer(x->out, live_get(x, v, 2) != NULL);
}

/* HSTRLEN key field */
static int hstrlen(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_HASH, &v));
    const phash_field *f = live_get(x, v, 2);
    size_t n = 0;
    if (f != NULL)
        phash_field_value(f, &n);
    return reply_integer(x->out, (int64_t)n);
}

/* HLEN key */
static int hlen(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_HASH, &v));
    return reply_integer(
        x->out, v != NULL ? (int64_t)live_len(value_as_hash(v), x->now_ms) : 0);
}

/* ---- whole hashes ------------------------------------------------------- */

enum { WANT_NAMES = 1, WANT_VALUES = 2 };

/* HGETALL, HKEYS, HVALS: every live field, in the hash's order. */
static int whole(server_ctx *x, unsigned want)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_HASH, &v));
    size_t n = v != NULL ? live_len(value_as_hash(v), x->now_ms) : 0;
    int rc = want == (WANT_NAMES | WANT_VALUES) ? reply_map(x->out, n)
                                                : reply_array(x->out, n);
    if (rc != 0 || v == NULL)
        return rc;
    phash_iter it;
    const phash_field *f;
    phash_iter_init(&it, value_as_hash(v));
    while ((f = phash_iter_next(&it)) != NULL) {
        if (!field_live(f, x->now_ms))
            continue;
        if (((want & WANT_NAMES) && reply_name(x, f) != 0) ||
            ((want & WANT_VALUES) && reply_value(x, f) != 0))
            return -1;
    }
    return 0;
}

static int hgetall(server_ctx *x) { return whole(x, WANT_NAMES | WANT_VALUES); }
static int hkeys(server_ctx *x) { return whole(x, WANT_NAMES); }
static int hvals(server_ctx *x) { return whole(x, WANT_VALUES); }

/* ---- HRANDFIELD --------------------------------------------------------- */

/* The live fields as positions can reach them: the hash itself when
 * nothing is due, else an array of the live ones. */
typedef struct hview {
    const phash *h;
    const phash_field **live; /* NULL: every field of h is live */
    size_t n;
} hview;

static int hview_init(const server_ctx *x, const phash *h, hview *hv)
{
    hv->h = h;
    hv->live = NULL;
    hv->n = phash_len(h);
    if (!some_expired(h, x->now_ms))
        return 0;
    hv->live = malloc((hv->n ? hv->n : 1) * sizeof *hv->live);
    if (hv->live == NULL)
        return -1;
    size_t n = 0;
    phash_iter it;
    const phash_field *f;
    phash_iter_init(&it, h);
    while ((f = phash_iter_next(&it)) != NULL)
        if (field_live(f, x->now_ms))
            hv->live[n++] = f;
    hv->n = n;
    return 0;
}

static const phash_field *hview_nth(const hview *hv, size_t i)
{
    return hv->live != NULL ? hv->live[i] : phash_nth(hv->h, i);
}

/* One pick of a count reply: the name alone, or the name and its value
 * (RESP2: two elements; RESP3: a two-element array). */
static int pick_name(server_ctx *x, const void *hv, size_t i)
{
    return reply_name(x, hview_nth(hv, i));
}

static int pick_with_value(server_ctx *x, const void *hv, size_t i)
{
    const phash_field *f = hview_nth(hv, i);
    if (x->out->proto == 3 && reply_array(x->out, 2) != 0)
        return -1;
    return reply_name(x, f) != 0 ? -1 : reply_value(x, f);
}

static int randfield_count(server_ctx *x, const hview *hv, long long l,
                           bool withvalues)
{
    if (!withvalues)
        return server_sample_reply(x, hv, hv->n, l, 1, pick_name);
    return server_sample_reply(x, hv, hv->n, l, x->out->proto == 2 ? 2 : 1,
                               pick_with_value);
}

/* HRANDFIELD key [count [WITHVALUES]] */
static int hrandfield(server_ctx *x)
{
    long long l = 0;
    bool withvalues = false;
    if (x->argc >= 3) {
        SERVER_TRY(server_arg_ll(x, 2, &l));
        if (l < -LONG_MAX)
            SERVER_TRY(server_error(x, "ERR value is out of range, value "
                                       "must between %ld and %ld",
                                    -LONG_MAX, LONG_MAX));
        if (x->argc > 4 || (x->argc == 4 && !server_arg_is(x, 3, "withvalues")))
            SERVER_TRY(server_syntax_error(x));
        if (x->argc == 4) {
            withvalues = true;
            if (l < -LONG_MAX / 2 || l > LONG_MAX / 2)
                SERVER_TRY(server_error(x, "ERR value is out of range"));
        }
    }
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_HASH, &v));
    hview hv = {0};
    if (v != NULL && hview_init(x, value_as_hash(v), &hv) != 0)
        return -1;
    int rc;
    if (x->argc >= 3)
        rc = randfield_count(x, &hv, l, withvalues);
    else if (hv.n == 0)
        rc = reply_null(x->out);
    else
        rc = reply_name(x, hview_nth(&hv, server_sample_one(x, hv.n)));
    free(hv.live);
    return rc;
}

/* ---- HSCAN -------------------------------------------------------------- */

static const void *hash_nth_name(const void *coll, size_t i, size_t *len)
{
    return phash_field_name(phash_nth(coll, i), len);
}

/* A live field as name, value. */
static int hscan_emit(server_ctx *x, const void *h, size_t i)
{
    const phash_field *f = phash_nth(h, i);
    if (!field_live(f, x->now_ms))
        return 0;
    return reply_name(x, f) != 0 || reply_value(x, f) != 0 ? -1 : 2;
}

/* HSCAN key cursor [MATCH pattern] [COUNT count] */
static int hscan(server_ctx *x)
{
    server_scan_args a;
    SERVER_TRY(server_scan_cursor(x, 2, &a.cursor));
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_HASH, &v));
    if (v == NULL)
        return cscan_reply_missing(x);
    const phash *h = value_as_hash(v);
    /* The flat form (a listpack in Redis) is answered whole. */
    return cscan_reply(x, &a, h, phash_len(h),
                       strcmp(phash_encoding(h), "hashtable") != 0,
                       hash_nth_name, hscan_emit);
}

#define HASH_CMD(nm, ar, fl, handler, sum)                                       \
    {.name = nm, .arity = ar, .flags = SERVER_CMD_READ | (fl), .fn = handler, \
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "hash",         \
     .since = "2.0.0", .summary = sum}

const server_command server_cmds_hash[] = {
    HASH_CMD("hget", 3, SERVER_CMD_FAST, hget,
             "Get the value of a hash field"),
    HASH_CMD("hmget", -3, SERVER_CMD_FAST, hmget,
             "Get the values of all the given hash fields"),
    HASH_CMD("hgetall", 2, SERVER_CMD_UNORDERED, hgetall,
             "Get all the fields and values in a hash"),
    HASH_CMD("hkeys", 2, SERVER_CMD_UNORDERED, hkeys,
             "Get all the fields in a hash"),
    HASH_CMD("hvals", 2, SERVER_CMD_UNORDERED, hvals,
             "Get all the values in a hash"),
    HASH_CMD("hlen", 2, SERVER_CMD_FAST, hlen,
             "Get the number of fields in a hash"),
    HASH_CMD("hexists", 3, SERVER_CMD_FAST, hexists,
             "Determine if a hash field exists"),
    {.name = "hstrlen", .arity = 3, .flags = SERVER_CMD_READ | SERVER_CMD_FAST,
     .fn = hstrlen, .first_key = 1, .last_key = 1, .key_step = 1,
     .group = "hash", .since = "3.2.0",
     .summary = "Get the length of the value of a hash field"},
    {.name = "hrandfield", .arity = -2,
     .flags = SERVER_CMD_READ | SERVER_CMD_RANDOM, .fn = hrandfield,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "hash",
     .since = "6.2.0",
     .summary = "Get one or multiple random fields from a hash"},
    {.name = "hscan", .arity = -3,
     .flags = SERVER_CMD_READ | SERVER_CMD_RANDOM, .fn = hscan,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "hash",
     .since = "2.8.0",
     .summary = "Incrementally iterate hash fields and associated values"},
    {.name = NULL},
};
