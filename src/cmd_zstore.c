/* cmd_zstore.c - sorted sets computed from others: ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZRANGESTORE.
 * Chapter 9.
 *
 * A master propagates these as typed, so the replica computes the same
 * result from the same inputs, and the scores must agree to the last
 * bit.  Redis's rules (redis/redis src/t_zset.c,
 * zunionInterDiffGenericCommand() and zrangeGenericCommand(), 7.0.15):
 *
 *  - Inputs may be sorted sets or plain sets, whose members count with
 *    score 1; a missing key is an empty input.  Every input's type is
 *    checked before the options are read.
 *  - Each input score is multiplied by its weight, and a product that is
 *    NaN (inf * 0) counts as 0.  SUM adds, and a sum that is NaN
 *    (inf + -inf) becomes 0; MIN and MAX keep the current score when the
 *    comparison with a NaN fails.
 *  - Union and intersection first sort the inputs by size, smallest first
 *    (a stable sort here, as glibc's qsort() is for these sizes), and a
 *    member's SUM is accumulated in that order.  Floating-point addition
 *    is not associative, so the order is part of the result.
 *  - The accumulator keeps each member's running score apart from the
 *    result set, which is built at the end: adding to a sorted set
 *    replaces a score only when it compares different, and -0 and 0
 *    compare equal but are different bits.
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

/* ---- inputs ------------------------------------------------------------------ */

/** One input of a union, intersection or difference. */
typedef struct zsrc {
    const value *v; /* a VALUE_ZSET, a VALUE_SET, or NULL (missing) */
    size_t len;     /* members */
    double weight;  /* WEIGHTS, 1 by default */
} zsrc;

/* Ascending by size (zuiCompareByCardinality()). */
static int by_size(const void *a, const void *b)
{
    size_t x = ((const zsrc *)a)->len, y = ((const zsrc *)b)->len;
    return x > y ? 1 : x < y ? -1 : 0;
}

/* A walk over an input's members with their scores. */
typedef struct zsrc_iter {
    const zsrc *s;
    pzset_iter zi;
    pset_iter si;
    const velem *next;
} zsrc_iter;

static void zsrc_iter_init(zsrc_iter *it, const zsrc *s)
{
    it->s = s;
    if (!s->v)
        return;
    if (s->v->type == VALUE_ZSET) {
        pzset_iter_seek(&it->zi, value_as_zset(s->v), 0);
    } else {
        pset_iter_init(&it->si, value_as_set(s->v));
        it->next = pset_iter_next(&it->si);
    }
}

/* The next member, or false at the end. */
static bool zsrc_iter_next(zsrc_iter *it, const void **m, size_t *len,
                           double *score)
{
    const value *v = it->s->v;
    if (!v)
        return false;
    if (v->type == VALUE_ZSET) {
        if (!pzset_iter_valid(&it->zi))
            return false;
        const pzset_entry *e = pzset_iter_entry(&it->zi);
        *m = pzset_entry_member(e, len);
        *score = pzset_entry_score(e);
        pzset_iter_next(&it->zi);
        return true;
    }
    if (!it->next)
        return false;
    *m = it->next->bytes;
    *len = it->next->len;
    *score = 1.0;
    it->next = pset_iter_next(&it->si);
    return true;
}

/* A member's score in an input (zuiFind()). */
static bool zsrc_find(const zsrc *s, const void *m, size_t len, double *score)
{
    if (!s->v)
        return false;
    if (s->v->type == VALUE_ZSET)
        return pzset_score(value_as_zset(s->v), m, len, score);
    if (!pset_has(value_as_set(s->v), m, len))
        return false;
    *score = 1.0;
    return true;
}

/* ---- aggregation ------------------------------------------------------------- */

enum { AGG_SUM, AGG_MIN, AGG_MAX };

/* zunionInterAggregate(). */
static void aggregate(double *target, double val, int agg)
{
    if (agg == AGG_SUM) {
        *target = *target + val;
        if (isnan(*target))
            *target = 0.0;
    } else if (agg == AGG_MIN) {
        *target = val < *target ? val : *target;
    } else {
        *target = val > *target ? val : *target;
    }
}

/* A weighted input score: NaN (inf * 0) counts as 0. */
static double weighted(double weight, double score)
{
    double s = weight * score;
    return isnan(s) ? 0 : s;
}

/** The union's accumulator: member -> running score, open addressing.
 *  Members point into the inputs, which outlive it. */
typedef struct accum_slot {
    const void *m;
    size_t len;
    uint64_t hash;
    double score;
    bool used;
} accum_slot;

typedef struct accum {
    accum_slot *slots;
    size_t cap; /* a power of two */
    size_t n;
} accum;

static uint64_t hash_bytes(const void *p, size_t len)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int accum_grow(accum *a)
{
    size_t cap = a->cap ? a->cap * 2 : 16;
    accum_slot *s = calloc(cap, sizeof(*s));
    if (!s)
        return -1;
    for (size_t i = 0; i < a->cap; i++) {
        if (!a->slots[i].used)
            continue;
        size_t j = a->slots[i].hash & (cap - 1);
        while (s[j].used)
            j = (j + 1) & (cap - 1);
        s[j] = a->slots[i];
    }
    free(a->slots);
    a->slots = s;
    a->cap = cap;
    return 0;
}

/* Add a member's weighted score: new members take it, others aggregate. */
static int accum_add(accum *a, const void *m, size_t len, double score,
                     int agg)
{
    if ((a->n + 1) * 2 > a->cap && accum_grow(a) < 0)
        return -1;
    uint64_t h = hash_bytes(m, len);
    size_t j = h & (a->cap - 1);
    while (a->slots[j].used) {
        accum_slot *s = &a->slots[j];
        if (s->hash == h && s->len == len && memcmp(s->m, m, len) == 0) {
            aggregate(&s->score, score, agg);
            return 0;
        }
        j = (j + 1) & (a->cap - 1);
    }
    a->slots[j] = (accum_slot){ m, len, h, score, true };
    a->n++;
    return 0;
}

/* Add a member to a result transient. */
static int result_add(value *r, const void *m, size_t len, double score)
{
    pzset *out;
    return pzset_add(value_edit_zset(r), m, len, score, &out) < 0 ? -1 : 0;
}

/* A result being collected: members point into the inputs. */
typedef struct items {
    accum_slot *p;
    size_t n, cap;
} items;

static int items_push(items *it, const void *m, size_t len, double score)
{
    if (it->n == it->cap) {
        size_t cap = it->cap ? it->cap * 2 : 16;
        accum_slot *p = realloc(it->p, cap * sizeof(*p));
        if (!p)
            return -1;
        it->p = p;
        it->cap = cap;
    }
    it->p[it->n++] = (accum_slot){ m, len, 0, score, true };
    return 0;
}

/* The result set from the collected members (the used slots of p[0..n)).
 * Redis builds it as a skiplist and converts it to a listpack when it
 * fits (zsetConvertToListpackIfNeeded()), which turns -0 into 0. */
static value *result_build(const accum_slot *p, size_t n)
{
    size_t count = 0, maxlen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!p[i].used)
            continue;
        count++;
        if (p[i].len > maxlen)
            maxlen = p[i].len;
    }
    bool lp = zset_fits_listpack(count, maxlen);
    value *r = zset_result_new();
    if (!r)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!p[i].used)
            continue;
        double s = lp ? zset_listpack_score(p[i].score) : p[i].score;
        if (result_add(r, p[i].m, p[i].len, s) < 0) {
            value_free(r);
            return NULL;
        }
    }
    return r;
}

/* ---- ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE ------------------------------------ */

enum { OP_UNION, OP_INTER, OP_DIFF };

/* Compute the result into *out (NULL when out of memory). */
static int compute(zsrc *src, size_t n, int op, int agg, value **out)
{
    *out = NULL;
    if (op == OP_UNION) {
        accum a = { 0 };
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            zsrc_iter it;
            const void *m;
            size_t len;
            double s;
            zsrc_iter_init(&it, &src[i]);
            while (rc == 0 && zsrc_iter_next(&it, &m, &len, &s))
                rc = accum_add(&a, m, len, weighted(src[i].weight, s), agg);
        }
        if (rc == 0)
            *out = result_build(a.slots, a.cap);
        free(a.slots);
        return *out ? 0 : -1;
    }
    items res = { 0 };
    zsrc_iter it;
    const void *m;
    size_t len;
    double s;
    zsrc_iter_init(&it, &src[0]);
    while (zsrc_iter_next(&it, &m, &len, &s)) {
        size_t j = 1;
        double score, v;
        if (op == OP_INTER) {
            score = weighted(src[0].weight, s);
            for (; j < n; j++) {
                if (!zsrc_find(&src[j], m, len, &v))
                    break;
                aggregate(&score, v * src[j].weight, agg);
            }
        } else {
            score = s;
            for (; j < n; j++)
                if (zsrc_find(&src[j], m, len, &v))
                    break;
        }
        if (j == n && items_push(&res, m, len, score) < 0) {
            free(res.p);
            return -1;
        }
    }
    *out = result_build(res.p, res.n);
    free(res.p);
    return *out ? 0 : -1;
}

/* Z{UNION,INTER,DIFF}STORE destination numkeys key [key ...]
 *   [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]  (no options for DIFF) */
static int zsetop_store(cmd_ctx *c, int op)
{
    long long n;
    if (zset_arg_long(c, 2, NULL, &n) < 0)
        return -1;
    if (n < 1)
        return cmd_error_arg(c, 2, "ERR at least 1 input key is needed for "
                                   "'%s' command", c->spec->name);
    if ((unsigned long long)n > c->argc - 3)
        return cmd_error(c, CMD_ERR_SYNTAX);
    zsrc *src = calloc((size_t)n, sizeof(*src));
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
        src[i].v = v;
        src[i].len = !v ? 0 : v->type == VALUE_ZSET
                                  ? pzset_len(value_as_zset(v))
                                  : pset_len(value_as_set(v));
        src[i].weight = 1.0;
    }
    int agg = AGG_SUM;
    while (j < c->argc) {
        size_t remaining = c->argc - j;
        if (op != OP_DIFF && remaining >= (size_t)n + 1 &&
            cmd_arg_is(c, j, "weights")) {
            j++;
            for (size_t i = 0; i < (size_t)n; i++, j++) {
                rc = zset_arg_double(c, j, "weight value is not a float",
                                     &src[i].weight);
                if (rc < 0)
                    goto out;
            }
        } else if (op != OP_DIFF && remaining >= 2 &&
                   cmd_arg_is(c, j, "aggregate")) {
            j++;
            if (cmd_arg_is(c, j, "sum")) agg = AGG_SUM;
            else if (cmd_arg_is(c, j, "min")) agg = AGG_MIN;
            else if (cmd_arg_is(c, j, "max")) agg = AGG_MAX;
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
    if (op != OP_DIFF)
        qsort(src, (size_t)n, sizeof(*src), by_size);
    value *r;
    if (compute(src, (size_t)n, op, agg, &r) < 0) {
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

static int cmd_zunionstore(cmd_ctx *c) { return zsetop_store(c, OP_UNION); }
static int cmd_zinterstore(cmd_ctx *c) { return zsetop_store(c, OP_INTER); }
static int cmd_zdiffstore(cmd_ctx *c) { return zsetop_store(c, OP_DIFF); }

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
    zset_range_ranks(z, &r, empty, &first, &end);
    /* LIMIT: skip offset members in the walk's direction, then keep at
     * most limit of them (Redis's "while (offset--)" skips everything for
     * a negative offset; a negative limit keeps everything). */
    size_t avail = end - first;
    if (offset < 0 || (unsigned long long)offset >= avail)
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
