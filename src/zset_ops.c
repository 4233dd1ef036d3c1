/* zset_ops.c - sorted-set ranges and set algebra, shared by writes and reads.
 * Chapter 9; extended in chapter 11.
 *
 * The parsers and the algebra of zset_ops.h.  The ranges follow
 * zslParseRange() and zslParseLexRange() of redis/redis src/t_zset.c;
 * the union walks each input in turn into an open-addressing accumulator
 * (member -> running score), the intersection and the difference walk the
 * first input and look each member up in the others, as
 * zunionInterDiffGenericCommand() does.  The result is a sorted set built
 * at the end, in Redis's order (score, then member).
 */
#include "zset_ops.h"

#include "alloc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- ranges --------------------------------------------------------------- */

/* One bound of a score range: strtod from the start (or after "("), and
 * Redis checks only that it stopped at a NUL and is not NaN, so "",
 * " 1" and "0x10" are accepted as strtod reads them. */
static bool parse_score_bound(const char *s, double *out, bool *ex)
{
    char *end;
    *ex = s[0] == '(';
    if (*ex)
        s++;
    *out = strtod(s, &end);
    return end[0] == '\0' && !isnan(*out);
}

int zset_score_range_parse(const resp_value *min, const resp_value *max,
                           pzset_range *out)
{
    memset(out, 0, sizeof(*out));
    if (!parse_score_bound(min->str, &out->min, &out->min_ex))
        return 1;
    if (!parse_score_bound(max->str, &out->max, &out->max_ex))
        return 2;
    return 0;
}

/* One bound of a lex range.  *inf is -1 for "-", 1 for "+", 0 for bytes. */
static bool parse_lex_bound(const resp_value *a, const void **m, size_t *len,
                            bool *ex, int *inf)
{
    const char *s = a->str;
    *inf = 0;
    *m = NULL;
    *len = 0;
    switch (a->len ? s[0] : '\0') {
    case '+':
    case '-':
        if (s[1] != '\0')
            return false;
        *inf = s[0] == '+' ? 1 : -1;
        *ex = true;
        return true;
    case '(':
    case '[':
        *ex = s[0] == '(';
        *m = s + 1;
        *len = a->len - 1;
        return true;
    default:
        return false;
    }
}

int zset_lex_range_parse(const resp_value *min, const resp_value *max,
                         pzset_range *out, bool *empty)
{
    int inf_min, inf_max;
    memset(out, 0, sizeof(*out));
    out->by_lex = true;
    if (!parse_lex_bound(min, &out->min_m, &out->min_len, &out->min_ex,
                         &inf_min))
        return 1;
    if (!parse_lex_bound(max, &out->max_m, &out->max_len, &out->max_ex,
                         &inf_max))
        return 2;
    /* "+" below everything or "-" above: nothing is inside (sdscmplex). */
    *empty = inf_min == 1 || inf_max == -1;
    return 0;
}

void zset_range_ranks(const pzset *z, const pzset_range *r, bool empty,
                      size_t *first, size_t *end)
{
    if (empty) {
        *first = *end = 0;
        return;
    }
    pzset_range_ranks(z, r, first, end);
}

/* Member m against a lex bound: memcmp order, the shorter first on a tie. */
static int lex_cmp(const void *m, size_t ml, const void *b, size_t bl)
{
    int d = memcmp(m, b, ml < bl ? ml : bl);
    return d ? d : (ml > bl) - (ml < bl);
}

static bool lex_gte_min(const void *m, size_t ml, const pzset_range *r)
{
    if (r->min_m == NULL)
        return true; /* "-" */
    int d = lex_cmp(m, ml, r->min_m, r->min_len);
    return r->min_ex ? d > 0 : d >= 0;
}

static bool lex_lte_max(const void *m, size_t ml, const pzset_range *r)
{
    if (r->max_m == NULL)
        return true; /* "+" */
    int d = lex_cmp(m, ml, r->max_m, r->max_len);
    return r->max_ex ? d < 0 : d <= 0;
}

/* Redis's zzlIsInLexRange() and zslIsInLexRange(): nothing is inside
 * unless the last member is >= min and the first <= max. */
static bool lex_ends_inside(const pzset *z, const pzset_range *r)
{
    size_t n = pzset_len(z), len;
    const void *last = pzset_entry_member(pzset_at(z, n - 1), &len);
    if (!lex_gte_min(last, len, r))
        return false;
    const void *head = pzset_entry_member(pzset_at(z, 0), &len);
    return lex_lte_max(head, len, r);
}

/* Whether member m is inside the bound a walk meets first (min forward,
 * max with rev) or the one it stops at (far). */
static bool lex_inside(const pzset_iter *it, const pzset_range *r, bool rev,
                       bool far)
{
    size_t len;
    const void *m = pzset_entry_member(pzset_iter_entry(it), &len);
    return rev != far ? lex_lte_max(m, len, r) : lex_gte_min(m, len, r);
}

static void lex_step(pzset_iter *it, bool rev)
{
    if (rev)
        pzset_iter_prev(it);
    else
        pzset_iter_next(it);
}

/* Seeks it to the first member inside the near bound, walked from the
 * end rev names (zzlFirstInLexRange(), zzlLastInLexRange(), and what a
 * skiplist's descent finds through level 0); invalid when there is none. */
static void lex_seek_near(pzset_iter *it, const pzset *z,
                          const pzset_range *r, bool rev)
{
    pzset_iter_seek(it, z, rev ? pzset_len(z) - 1 : 0);
    while (pzset_iter_valid(it) && !lex_inside(it, r, rev, false))
        lex_step(it, rev);
}

/* From it, the ranks [*first, *end) while members are inside the far
 * bound. */
static void lex_take_far(pzset_iter *it, const pzset_range *r, bool rev,
                         size_t *first, size_t *end)
{
    if (!pzset_iter_valid(it))
        return;
    size_t at = pzset_iter_rank(it);
    *first = *end = rev ? at + 1 : at;
    while (pzset_iter_valid(it) && lex_inside(it, r, rev, true)) {
        if (rev)
            *first = pzset_iter_rank(it);
        else
            *end = pzset_iter_rank(it) + 1;
        lex_step(it, rev);
    }
}

void zset_lex_walk_ranks(const pzset *z, const pzset_range *r, bool empty, bool rev,
                         size_t *first, size_t *end)
{
    *first = *end = 0;
    if (empty || pzset_len(z) == 0)
        return;
    if (zset_is_listpack(z) && !lex_ends_inside(z, r))
        return;
    pzset_iter it;
    lex_seek_near(&it, z, r, rev);
    lex_take_far(&it, r, rev, first, end);
}

void zset_lex_read_ranks(const pzset *z, const pzset_range *r, bool empty,
                         bool rev, size_t offset, size_t *first, size_t *end)
{
    *first = *end = 0;
    if (empty || pzset_len(z) == 0 || !lex_ends_inside(z, r))
        return;
    pzset_iter it;
    lex_seek_near(&it, z, r, rev);
    /* the member found must be inside the far bound too; the offset
     * members after it are skipped whatever they are */
    if (!pzset_iter_valid(&it) || !lex_inside(&it, r, rev, true))
        return;
    while (offset-- > 0 && pzset_iter_valid(&it))
        lex_step(&it, rev);
    lex_take_far(&it, r, rev, first, end);
}

size_t zset_lex_count(const pzset *z, const pzset_range *r, bool empty)
{
    size_t first, end, lfirst, lend;
    zset_lex_read_ranks(z, r, empty, false, 0, &first, &end);
    if (first == end || zset_is_listpack(z))
        return end - first;
    /* A skiplist counts by ranks: from that first member to the last one
     * walked from the end, whatever lies between. */
    zset_lex_read_ranks(z, r, empty, true, 0, &lfirst, &lend);
    return (lfirst == lend ? pzset_len(z) : lend) - first;
}

bool zset_is_listpack(const pzset *z)
{
    return strcmp(pzset_encoding(z), "listpack") == 0 && !pzset_was_tree(z);
}

bool zset_fits_listpack(size_t n, size_t maxlen)
{
    return n <= PZSET_MAX_ENTRIES && maxlen <= PZSET_MAX_VALUE;
}

double zset_listpack_score(double s)
{
    return s == 0 ? 0.0 : s;
}

void zset_src_init(zset_src *s, const value *v)
{
    s->v = v;
    s->len = !v ? 0 : v->type == VALUE_ZSET ? pzset_len(value_as_zset(v))
                                            : pset_len(value_as_set(v));
    s->weight = 1.0;
}

/* ---- the algebra: inputs ------------------------------------------------------------------ */


/* Ascending by size (zuiCompareByCardinality()). */
static int by_size(const void *a, const void *b)
{
    size_t x = ((const zset_src *)a)->len, y = ((const zset_src *)b)->len;
    return x > y ? 1 : x < y ? -1 : 0;
}

/* A walk over an input's members with their scores. */
typedef struct zset_src_iter {
    const zset_src *s;
    pzset_iter zi;
    pset_iter si;
    const velem *next;
} zset_src_iter;

static void zset_src_iter_init(zset_src_iter *it, const zset_src *s)
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
static bool zset_src_iter_next(zset_src_iter *it, const void **m, size_t *len,
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
static bool zset_src_find(const zset_src *s, const void *m, size_t len, double *score)
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

/* zunionInterAggregate(). */
static void aggregate(double *target, double val, zset_agg agg)
{
    if (agg == ZSET_AGG_SUM) {
        *target = *target + val;
        if (isnan(*target))
            *target = 0.0;
    } else if (agg == ZSET_AGG_MIN) {
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
    accum_slot *s = xcalloc(cap, sizeof(*s));
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
                     zset_agg agg)
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

/* A result being collected: members point into the inputs. */
typedef struct items {
    accum_slot *p;
    size_t n, cap;
} items;

static int items_push(items *it, const void *m, size_t len, double score)
{
    if (it->n == it->cap) {
        size_t cap = it->cap ? it->cap * 2 : 16;
        accum_slot *p = xrealloc(it->p, cap * sizeof(*p));
        if (!p)
            return -1;
        it->p = p;
        it->cap = cap;
    }
    it->p[it->n++] = (accum_slot){ m, len, 0, score, true };
    return 0;
}

/* The result set from the collected members (the used slots of p[0..n)).
 * Redis builds it as a skiplist and, to store it, converts it to a
 * listpack when it fits (zsetConvertToListpackIfNeeded()), which turns -0
 * into 0; a reply is read from the skiplist, -0 and all. */
static value *result_build(const accum_slot *p, size_t n, bool stored)
{
    size_t count = 0, maxlen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!p[i].used)
            continue;
        count++;
        if (p[i].len > maxlen)
            maxlen = p[i].len;
    }
    bool lp = stored && zset_fits_listpack(count, maxlen);
    value *r = value_new_collection(VALUE_ZSET, VALUE_NO_EXPIRY);
    if (!r)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!p[i].used)
            continue;
        double s = lp ? zset_listpack_score(p[i].score) : p[i].score;
        pzset *out;
        if (pzset_add(value_edit_zset(r), p[i].m, p[i].len, s, &out) < 0) {
            value_free(r);
            return NULL;
        }
    }
    return r;
}

int zset_algebra(zset_src *src, size_t n, zset_op op, zset_agg agg,
                 bool stored, value **out)
{
    *out = NULL;
    if (op != ZSET_OP_DIFF)
        qsort(src, n, sizeof(*src), by_size);
    if (op == ZSET_OP_UNION) {
        accum a = { 0 };
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            zset_src_iter it;
            const void *m;
            size_t len;
            double s;
            zset_src_iter_init(&it, &src[i]);
            while (rc == 0 && zset_src_iter_next(&it, &m, &len, &s))
                rc = accum_add(&a, m, len, weighted(src[i].weight, s), agg);
        }
        if (rc == 0)
            *out = result_build(a.slots, a.cap, stored);
        free(a.slots);
        return *out ? 0 : -1;
    }
    items res = { 0 };
    zset_src_iter it;
    const void *m;
    size_t len;
    double s;
    zset_src_iter_init(&it, &src[0]);
    while (zset_src_iter_next(&it, &m, &len, &s)) {
        size_t j = 1;
        double score, v;
        if (op == ZSET_OP_INTER) {
            score = weighted(src[0].weight, s);
            for (; j < n; j++) {
                if (!zset_src_find(&src[j], m, len, &v))
                    break;
                aggregate(&score, v * src[j].weight, agg);
            }
        } else {
            score = s;
            for (; j < n; j++)
                if (zset_src_find(&src[j], m, len, &v))
                    break;
        }
        if (j == n && items_push(&res, m, len, score) < 0) {
            free(res.p);
            return -1;
        }
    }
    *out = result_build(res.p, res.n, stored);
    free(res.p);
    return *out ? 0 : -1;
}

