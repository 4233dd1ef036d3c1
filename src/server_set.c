/* server_set.c - read commands of one family: sets: SMEMBERS, SINTER, SSCAN, ....
 * Chapter 11.
 *
 * A set is a pset version (src/pset.h).  Membership is pset_has(); the
 * i-th member (for SRANDMEMBER) is pset_nth(); everything else walks an
 * iterator.  The set algebra follows Redis 7.0.15 (redis/redis
 * src/t_set.c): SINTER walks the smallest set and probes the others, and
 * any missing key makes the answer empty; SDIFF walks the first set and
 * probes the rest; SUNION needs the one piece of memory proportional to
 * its answer, a small open-addressing table of member pointers that
 * drops duplicates (the members themselves are not copied: they stay
 * valid for the whole command).  A missing key is an empty set, a key of
 * another type is WRONGTYPE even after a missing one.  The answers are
 * sets, RESP3 "~", in our iteration order, which is as arbitrary as
 * Redis's hash-table order.
 */
#include "server_cmd.h"

#include "hash.h"
#include "server_cscan.h"
#include "server_sample.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int reply_member(server_ctx *x, const velem *e)
{
    return reply_bulk(x->out, e->bytes, e->len);
}

/* SISMEMBER key member */
static int sismember(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_SET, &v));
    return reply_integer(x->out, v != NULL &&
                                     pset_has(value_as_set(v), x->argv[2].str,
                                              x->argv[2].len));
}

/* SMISMEMBER key member [member ...] */
static int smismember(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_SET, &v));
    if (reply_array(x->out, x->argc - 2) != 0)
        return -1;
    for (size_t i = 2; i < x->argc; i++)
        if (reply_integer(x->out, v != NULL &&
                                      pset_has(value_as_set(v), x->argv[i].str,
                                               x->argv[i].len)) != 0)
            return -1;
    return 0;
}

/* SCARD key */
static int scard(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_SET, &v));
    return reply_integer(x->out,
                         v != NULL ? (int64_t)pset_len(value_as_set(v)) : 0);
}

/* Every member of one set, as a set reply. */
static int reply_whole(server_ctx *x, const pset *s)
{
    if (reply_set(x->out, s != NULL ? pset_len(s) : 0) != 0)
        return -1;
    if (s == NULL)
        return 0;
    pset_iter it;
    const velem *e;
    pset_iter_init(&it, s);
    while ((e = pset_iter_next(&it)) != NULL)
        if (reply_member(x, e) != 0)
            return -1;
    return 0;
}

/* SMEMBERS key */
static int smembers(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_SET, &v));
    return reply_whole(x, v != NULL ? value_as_set(v) : NULL);
}

/* ---- SRANDMEMBER ---------------------------------------------------------- */

static int pick_member(server_ctx *x, const void *set, size_t i)
{
    return reply_member(x, pset_nth(set, i));
}

static int srandmember_count(server_ctx *x)
{
    long long l;
    SERVER_TRY(server_arg_ll(x, 2, &l));
    if (l < -LONG_MAX)
        SERVER_TRY(server_error(x, "ERR value is out of range, value must "
                                   "between %ld and %ld",
                                -LONG_MAX, LONG_MAX));
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_SET, &v));
    const pset *set = v != NULL ? value_as_set(v) : NULL;
    return server_sample_reply(x, set, set != NULL ? pset_len(set) : 0, l, 1,
                               pick_member);
}

/* SRANDMEMBER key [count] */
static int srandmember(server_ctx *x)
{
    if (x->argc == 3)
        return srandmember_count(x);
    if (x->argc > 3)
        SERVER_TRY(server_syntax_error(x));
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_SET, &v));
    if (v == NULL)
        return reply_null(x->out);
    const pset *s = value_as_set(v);
    return reply_member(x, pset_nth(s, server_sample_one(x, pset_len(s))));
}

/* ---- SSCAN ---------------------------------------------------------------- */

static const void *set_nth_member(const void *coll, size_t i, size_t *len)
{
    const velem *e = pset_nth(coll, i);
    *len = e->len;
    return e->bytes;
}

static int sscan_emit(server_ctx *x, const void *s, size_t i)
{
    return reply_member(x, pset_nth(s, i)) != 0 ? -1 : 1;
}

/* SSCAN key cursor [MATCH pattern] [COUNT count] */
static int sscan(server_ctx *x)
{
    server_scan_args a;
    SERVER_TRY(server_scan_cursor(x, 2, &a.cursor));
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_SET, &v));
    if (v == NULL)
        return cscan_reply_missing(x);
    const pset *s = value_as_set(v);
    /* The flat form and small integer sets (listpack, intset) are
     * answered whole. */
    return cscan_reply(x, &a, s, pset_len(s),
                       strcmp(pset_encoding(s), "hashtable") != 0,
                       set_nth_member, sscan_emit);
}

/* ---- the algebra ---------------------------------------------------------- */

/* Look up keys argv[first .. first + n): sets[i] NULL when missing.
 * SERVER_REPLIED on a key of another type, whatever came before. */
static int lookup_sets(server_ctx *x, size_t first, size_t n,
                       const pset **sets, size_t *missing)
{
    *missing = 0;
    for (size_t i = 0; i < n; i++) {
        const value *v;
        int rc = server_lookup(x, first + i, VALUE_SET, &v);
        if (rc != SERVER_OK)
            return rc;
        sets[i] = v != NULL ? value_as_set(v) : NULL;
        *missing += v == NULL;
    }
    return SERVER_OK;
}

static int by_size(const void *a, const void *b)
{
    size_t la = pset_len(*(const pset *const *)a);
    size_t lb = pset_len(*(const pset *const *)b);
    return la < lb ? -1 : la > lb;
}

/* Whether e is in every one of sets[1..n). */
static bool in_all(const velem *e, const pset *const *sets, size_t n)
{
    for (size_t j = 1; j < n; j++)
        if (sets[j] != sets[0] && !pset_has(sets[j], e->bytes, e->len))
            return false;
    return true;
}

/* SINTER and SINTERCARD over argv[first .. first + n). */
static int inter(server_ctx *x, size_t first, size_t n, bool card_only,
                 unsigned long long limit)
{
    const pset **sets = malloc(n * sizeof *sets);
    size_t missing;
    if (sets == NULL)
        return -1;
    int rc = lookup_sets(x, first, n, sets, &missing);
    if (rc != SERVER_OK) {
        free(sets);
        return rc == SERVER_REPLIED ? 0 : -1;
    }
    if (missing > 0) {
        free(sets);
        return card_only ? reply_integer(x->out, 0) : reply_set(x->out, 0);
    }
    qsort(sets, n, sizeof *sets, by_size);
    reply_defer d;
    if (!card_only && reply_defer_begin(x->out, &d, REPLY_DEFER_SET) != 0) {
        free(sets);
        return -1;
    }
    size_t found = 0;
    pset_iter it;
    const velem *e;
    pset_iter_init(&it, sets[0]);
    rc = 0;
    while (rc == 0 && (e = pset_iter_next(&it)) != NULL) {
        if (!in_all(e, sets, n))
            continue;
        found++;
        if (!card_only)
            rc = reply_member(x, e);
        else if (limit != 0 && found >= limit)
            break;
    }
    free(sets);
    if (rc != 0)
        return -1;
    return card_only ? reply_integer(x->out, (int64_t)found)
                     : reply_defer_end(x->out, &d, found);
}

/* SINTER key [key ...] */
static int sinter(server_ctx *x)
{
    return inter(x, 1, x->argc - 1, false, 0);
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit] */
static int sintercard(server_ctx *x)
{
    int64_t numkeys;
    if (x->argv[1].len == 0 ||
        resp_parse_int(x->argv[1].str, x->argv[1].len, &numkeys) != 0 ||
        numkeys < 1)
        SERVER_TRY(server_error(x, "ERR numkeys should be greater than 0"));
    if ((uint64_t)numkeys > x->argc - 2)
        SERVER_TRY(server_error(x, "ERR Number of keys can't be greater "
                                   "than number of args"));
    int64_t limit = 0;
    for (size_t j = 2 + (size_t)numkeys; j < x->argc; j++) {
        if (server_arg_is(x, j, "limit") && j + 1 < x->argc) {
            j++;
            if (x->argv[j].len == 0 ||
                resp_parse_int(x->argv[j].str, x->argv[j].len, &limit) != 0 ||
                limit < 0)
                SERVER_TRY(server_error(x, "ERR LIMIT can't be negative"));
        } else {
            SERVER_TRY(server_syntax_error(x));
        }
    }
    return inter(x, 2, (size_t)numkeys, true, (unsigned long long)limit);
}

/* Members seen so far, for SUNION: an open-addressing table of pointers. */
typedef struct seen {
    const velem **slot;
    size_t cap, n;
} seen;

static size_t seen_home(const seen *t, const velem *e)
{
    return (size_t)hash_bytes(e->bytes, e->len) & (t->cap - 1);
}

/* 1 added, 0 already there, -1 out of memory. */
static int seen_add(seen *t, const velem *e)
{
    if (2 * (t->n + 1) > t->cap) {
        seen bigger = {.cap = t->cap ? 2 * t->cap : 64};
        bigger.slot = calloc(bigger.cap, sizeof *bigger.slot);
        if (bigger.slot == NULL)
            return -1;
        for (size_t i = 0; i < t->cap; i++)
            if (t->slot[i] != NULL) {
                size_t h = seen_home(&bigger, t->slot[i]);
                while (bigger.slot[h] != NULL)
                    h = (h + 1) & (bigger.cap - 1);
                bigger.slot[h] = t->slot[i];
            }
        bigger.n = t->n;
        free(t->slot);
        *t = bigger;
    }
    size_t h = seen_home(t, e);
    for (; t->slot[h] != NULL; h = (h + 1) & (t->cap - 1))
        if (velem_eq(t->slot[h], e->bytes, e->len))
            return 0;
    t->slot[h] = e;
    t->n++;
    return 1;
}

/* SUNION and SDIFF. */
static int union_diff(server_ctx *x, bool diff)
{
    size_t n = x->argc - 1, missing;
    const pset **sets = malloc(n * sizeof *sets);
    if (sets == NULL)
        return -1;
    int rc = lookup_sets(x, 1, n, sets, &missing);
    if (rc != SERVER_OK) {
        free(sets);
        return rc == SERVER_REPLIED ? 0 : -1;
    }
    reply_defer d;
    if (reply_defer_begin(x->out, &d, REPLY_DEFER_SET) != 0) {
        free(sets);
        return -1;
    }
    size_t found = 0;
    seen t = {0};
    pset_iter it;
    const velem *e;
    rc = 0;
    if (diff && sets[0] != NULL) {
        pset_iter_init(&it, sets[0]);
        while (rc == 0 && (e = pset_iter_next(&it)) != NULL) {
            bool keep = true;
            for (size_t j = 1; j < n && keep; j++)
                keep = sets[j] == NULL ||
                       (sets[j] != sets[0] && !pset_has(sets[j], e->bytes, e->len));
            if (keep) {
                found++;
                rc = reply_member(x, e);
            }
        }
    }
    for (size_t j = 0; !diff && j < n && rc == 0; j++) {
        if (sets[j] == NULL)
            continue;
        pset_iter_init(&it, sets[j]);
        while (rc == 0 && (e = pset_iter_next(&it)) != NULL) {
            int added = seen_add(&t, e);
            if (added < 0)
                rc = -1;
            else if (added > 0) {
                found++;
                rc = reply_member(x, e);
            }
        }
    }
    free(t.slot);
    free(sets);
    if (rc != 0)
        return -1;
    return reply_defer_end(x->out, &d, found);
}

static int sunion(server_ctx *x) { return union_diff(x, false); }
static int sdiff(server_ctx *x) { return union_diff(x, true); }

#define SET_CMD(nm, ar, fl, handler, last, since_, sum)                     \
    {.name = nm, .arity = ar, .flags = SERVER_CMD_READ | (fl),             \
     .fn = handler, .first_key = 1, .last_key = last, .key_step = 1,        \
     .group = "set", .since = since_, .summary = sum}

const server_command server_cmds_set[] = {
    SET_CMD("smembers", 2, SERVER_CMD_UNORDERED, smembers, 1, "1.0.0",
            "Get all the members in a set"),
    SET_CMD("sismember", 3, SERVER_CMD_FAST, sismember, 1, "1.0.0",
            "Determine if a given value is a member of a set"),
    SET_CMD("smismember", -3, SERVER_CMD_FAST, smismember, 1, "6.2.0",
            "Returns the membership associated with the given elements for "
            "a set"),
    SET_CMD("scard", 2, SERVER_CMD_FAST, scard, 1, "1.0.0",
            "Get the number of members in a set"),
    SET_CMD("srandmember", -2, SERVER_CMD_RANDOM, srandmember, 1, "1.0.0",
            "Get one or multiple random members from a set"),
    SET_CMD("sscan", -3, SERVER_CMD_RANDOM, sscan, 1, "2.8.0",
            "Incrementally iterate Set elements"),
    SET_CMD("sinter", -2, SERVER_CMD_UNORDERED, sinter, -1, "1.0.0",
            "Intersect multiple sets"),
    SET_CMD("sunion", -2, SERVER_CMD_UNORDERED, sunion, -1, "1.0.0",
            "Add multiple sets"),
    SET_CMD("sdiff", -2, SERVER_CMD_UNORDERED, sdiff, -1, "1.0.0",
            "Subtract multiple sets"),
    /* keys counted by numkeys: no fixed key positions */
    {.name = "sintercard", .arity = -3, .flags = SERVER_CMD_READ,
     .fn = sintercard, .group = "set", .since = "7.0.0",
     .summary = "Intersect multiple sets and return the cardinality of the "
                "result"},
    {.name = NULL},
};
