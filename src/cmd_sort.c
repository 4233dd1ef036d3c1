/* cmd_sort.c - SORT ... STORE: a list, set or sorted set sorted into a list.
 * Chapter 9.
 *
 * SORT is a write only with STORE, and then the master propagates it as
 * it ran: the replica sorts again and must get the very same list, so
 * every ordering rule of Redis matters here.
 *
 *  - Numeric (the default): each element, or the value its BY pattern
 *    names, is read with strtod() as Redis does (so "", " 1" and "0x10"
 *    are numbers, and a missing BY key counts as 0); one that is not a
 *    number fails the command with "One or more scores can't be converted
 *    into double".  Equal scores are ordered by the elements' bytes, so
 *    the result is deterministic.
 *  - ALPHA: the elements' bytes (memcmp, shorter first), or the BY
 *    values' bytes with a missing one first.  With STORE Redis compares
 *    bytes, never the locale, so the stored list does not depend on it.
 *  - BY a pattern without '*' sorts nothing: a list or sorted set keeps
 *    its order (reversed by DESC) and LIMIT takes a range of it.  A set
 *    has no order of its own, so with STORE Redis sorts it ALPHA instead.
 *  - Patterns: the first '*' is replaced by the element; "key->field"
 *    after the '*' reads a hash field; GET # is the element itself; a
 *    missing key or field is stored as an empty string.
 *  - The sort is a stable merge sort, as glibc's qsort() is for arrays of
 *    this size.  Stability only shows where the comparison says equal for
 *    different elements (ALPHA with BY values that are equal or missing):
 *    there a list keeps its order, as in Redis; a set's or sorted set's
 *    input order is Redis's hash-table order, which no replica can know,
 *    and Redis's partial sort for BY with LIMIT is not stable either.
 *
 * Expired keys read by BY and GET count as present (a replica's writes
 * see them; the master's DEL removes them).
 *
 * Semantics and reply texts: redis/redis 7.0.15 src/sort.c
 * (sortCommandGeneric, lookupKeyByPattern, sortCompare) and src/object.c
 * (compareStringObjects).
 */
#include "cmd.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/** One element to sort. */
typedef struct sort_item {
    const unsigned char *p;   /**< the element (NUL-terminated) */
    size_t len;               /**< its length */
    double score;             /**< numeric: its score */
    const unsigned char *cmp; /**< ALPHA BY: the BY value, or NULL */
    size_t cmplen;            /**< its length */
} sort_item;

/** The state of one SORT. */
typedef struct sort_job {
    cmd_ctx *c;
    bool desc, alpha, bypattern;
    unsigned char *kbuf;      /**< a key built from a pattern */
    size_t kcap;
    unsigned char **owned;    /**< copies of chunked strings */
    size_t nowned, owncap;
} sort_job;

static void job_free(sort_job *j)
{
    for (size_t i = 0; i < j->nowned; i++)
        free(j->owned[i]);
    free(j->owned);
    free(j->kbuf);
}

/* The bytes of a string value, NUL-terminated: in place, or a copy owned
 * by the job when the string is chunked.  -1 with errno ENOMEM. */
static int string_bytes(sort_job *j, const value *v,
                        const unsigned char **out, size_t *len)
{
    *len = value_str_len(v);
    *out = value_str_bytes(v);
    if (*out != NULL)
        return 0;
    if (j->nowned == j->owncap) {
        size_t cap = j->owncap ? 2 * j->owncap : 8;
        unsigned char **o = realloc(j->owned, cap * sizeof *o);
        if (o == NULL)
            return -1;
        j->owned = o;
        j->owncap = cap;
    }
    unsigned char *copy = malloc(*len + 1);
    if (copy == NULL)
        return -1;
    value_str_read(v, 0, copy, *len);
    copy[*len] = '\0';
    j->owned[j->nowned++] = copy;
    *out = copy;
    return 0;
}

/* What a BY or GET pattern names for an element, as Redis's
 * lookupKeyByPattern(): 1 with the bytes (NUL-terminated), 0 when it
 * names nothing (no '*', a missing key or field, another type), -1 with
 * errno ENOMEM.  Redis finds '*' and "->" as C strings, so the search
 * stops at a NUL byte of the pattern; the lengths are the whole
 * argument's. */
static int by_pattern(sort_job *j, const resp_value *pat,
                      const unsigned char *e, size_t elen,
                      const unsigned char **out, size_t *olen)
{
    const char *s = pat->str;
    if (s[0] == '#' && s[1] == '\0') {
        *out = e;
        *olen = elen;
        return 1;
    }
    const char *star = strchr(s, '*');
    if (star == NULL)
        return 0;
    const char *arrow = strstr(star + 1, "->");
    const char *field = NULL;
    size_t fieldlen = 0;
    if (arrow != NULL && arrow[2] != '\0') {
        field = arrow + 2;
        fieldlen = pat->len - (size_t)(arrow - s) - 2;
    }
    size_t prefix = (size_t)(star - s);
    size_t postfix = pat->len - prefix - 1 - (field ? fieldlen + 2 : 0);
    size_t klen = prefix + elen + postfix;
    if (klen + 1 > j->kcap) {
        unsigned char *k = realloc(j->kbuf, klen + 1);
        if (k == NULL)
            return -1;
        j->kbuf = k;
        j->kcap = klen + 1;
    }
    memcpy(j->kbuf, s, prefix);
    memcpy(j->kbuf + prefix, e, elen);
    memcpy(j->kbuf + prefix + elen, star + 1, postfix);
    const value *v = keyspace_lookup(j->c->ks, j->c->db, j->kbuf, klen);
    if (v == NULL)
        return 0;
    if (field != NULL) {
        if (v->type != VALUE_HASH)
            return 0;
        const phash_field *f = phash_get(value_as_hash(v), field, fieldlen);
        if (f == NULL)
            return 0;
        *out = phash_field_value(f, olen);
        return 1;
    }
    if (v->type != VALUE_STRING)
        return 0;
    return string_bytes(j, v, out, olen) != 0 ? -1 : 1;
}

/* Redis's compareStringObjects(): bytes, then the shorter first. */
static int bytes_cmp(const unsigned char *a, size_t alen,
                     const unsigned char *b, size_t blen)
{
    int cmp = memcmp(a, b, alen < blen ? alen : blen);
    if (cmp != 0)
        return cmp;
    return alen < blen ? -1 : alen > blen;
}

/* Redis's sortCompare(). */
static int item_cmp(const sort_job *j, const sort_item *a, const sort_item *b)
{
    int cmp;
    if (!j->alpha) {
        if (a->score > b->score)
            cmp = 1;
        else if (a->score < b->score)
            cmp = -1;
        else
            cmp = bytes_cmp(a->p, a->len, b->p, b->len);
    } else if (j->bypattern) {
        if (a->cmp == NULL || b->cmp == NULL)
            cmp = a->cmp == b->cmp ? 0 : a->cmp == NULL ? -1 : 1;
        else
            cmp = bytes_cmp(a->cmp, a->cmplen, b->cmp, b->cmplen);
    } else {
        cmp = bytes_cmp(a->p, a->len, b->p, b->len);
    }
    return j->desc ? -cmp : cmp;
}

/* Stable top-down merge sort of v[0..n) using tmp (n items). */
static void merge_sort(const sort_job *j, sort_item *v, sort_item *tmp,
                       size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(j, v, tmp, h);
    merge_sort(j, v + h, tmp, n - h);
    size_t a = 0, b = h, o = 0;
    while (a < h && b < n)
        tmp[o++] = item_cmp(j, &v[a], &v[b]) <= 0 ? v[a++] : v[b++];
    while (a < h)
        tmp[o++] = v[a++];
    /* what is left of the right half is already in place */
    memcpy(v, tmp, o * sizeof *v);
}

/* Parse a score as Redis's numeric SORT does: strtod() on the
 * NUL-terminated bytes, refusing trailing bytes, overflow, underflow and
 * NaN. */
static bool parse_score(const unsigned char *p, double *out)
{
    char *end;
    errno = 0;
    double d = strtod((const char *)p, &end);
    *out = d;
    return *end == '\0' && errno != ERANGE && !isnan(d);
}

static void item_set(sort_item *it, const unsigned char *p, size_t len)
{
    *it = (sort_item){.p = p, .len = len};
}

/* SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
 *      [ALPHA] [STORE destination] */
static int cmd_sort(cmd_ctx *c)
{
    sort_job j = {.c = c};
    bool dontsort = false;
    long long limit_start = 0, limit_count = -1;
    const resp_value *sortby = NULL, *storekey = NULL;
    size_t getop = 0, *gets = NULL;
    sort_item *vec = NULL, *tmp = NULL;
    value *out = NULL;
    int rc = -1;

    gets = malloc(c->argc * sizeof *gets);
    if (gets == NULL)
        return -1;
    for (size_t i = 2; i < c->argc; i++) {
        size_t left = c->argc - i - 1;
        if (cmd_arg_is(c, i, "asc")) {
            j.desc = false;
        } else if (cmd_arg_is(c, i, "desc")) {
            j.desc = true;
        } else if (cmd_arg_is(c, i, "alpha")) {
            j.alpha = true;
        } else if (cmd_arg_is(c, i, "limit") && left >= 2) {
            if (cmd_arg_int(c, i + 1, &limit_start) != 0 ||
                cmd_arg_int(c, i + 2, &limit_count) != 0)
                goto out;
            i += 2;
        } else if (cmd_arg_is(c, i, "store") && left >= 1) {
            storekey = &c->argv[++i];
        } else if (cmd_arg_is(c, i, "by") && left >= 1) {
            sortby = &c->argv[++i];
            if (strchr(sortby->str, '*') == NULL)
                dontsort = true; /* sticky, as in Redis */
        } else if (cmd_arg_is(c, i, "get") && left >= 1) {
            gets[getop++] = ++i;
        } else {
            cmd_error_arg(c, (int)i, CMD_ERR_SYNTAX);
            goto out;
        }
    }

    const value *src =
        keyspace_lookup(c->ks, c->db, c->argv[1].str, c->argv[1].len);
    if (src != NULL && src->type != VALUE_LIST && src->type != VALUE_SET &&
        src->type != VALUE_ZSET) {
        cmd_error_arg(c, 1, CMD_ERR_WRONGTYPE);
        goto out;
    }
    value_type type = src != NULL ? (value_type)src->type : VALUE_LIST;
    long long len = src != NULL ? (long long)value_count(src) : 0;
    if (dontsort && type == VALUE_SET && storekey != NULL) {
        dontsort = false; /* a set has no order: sort it ALPHA */
        j.alpha = true;
        sortby = NULL;
    }
    j.bypattern = sortby != NULL;

    /* LIMIT, clamped as Redis clamps it. */
    long long start = limit_start < 0 ? 0 : limit_start;
    if (start > len)
        start = len;
    long long count = limit_count < -1 ? -1 : limit_count;
    if (count > len)
        count = len;
    long long end = count < 0 ? len - 1 : start + count - 1;
    if (start >= len) {
        start = len - 1;
        end = len - 2;
    }
    if (end >= len)
        end = len - 1;

    /* The elements: a range of the native order when nothing is sorted,
     * else all of them. */
    long long n = len;
    bool ranged = dontsort && type != VALUE_SET;
    if (ranged)
        n = end - start + 1;
    vec = malloc((size_t)(n > 0 ? n : 1) * sizeof *vec);
    tmp = malloc((size_t)(n > 0 ? n : 1) * sizeof *tmp);
    if (vec == NULL || tmp == NULL)
        goto out;
    if (src != NULL && type == VALUE_LIST) {
        const plist *l = value_as_list(src);
        size_t first = ranged ? (size_t)(j.desc ? len - start - 1 : start) : 0;
        bool back = ranged && j.desc;
        plist_iter it;
        plist_iter_seek(&it, l, first);
        for (long long i = 0; i < n && plist_iter_valid(&it); i++) {
            const velem *e = plist_iter_elem(&it);
            item_set(&vec[i], e->bytes, e->len);
            if (back)
                plist_iter_prev(&it);
            else
                plist_iter_next(&it);
        }
    } else if (src != NULL && type == VALUE_SET) {
        pset_iter it;
        pset_iter_init(&it, value_as_set(src));
        const velem *e;
        for (long long i = 0; i < n && (e = pset_iter_next(&it)) != NULL; i++)
            item_set(&vec[i], e->bytes, e->len);
    } else if (src != NULL) {
        const pzset *z = value_as_zset(src);
        size_t first = ranged ? (size_t)(j.desc ? len - start - 1 : start) : 0;
        bool back = ranged && j.desc;
        pzset_iter it;
        pzset_iter_seek(&it, z, first);
        for (long long i = 0; i < n && pzset_iter_valid(&it); i++) {
            size_t mlen;
            const void *m = pzset_entry_member(pzset_iter_entry(&it), &mlen);
            item_set(&vec[i], m, mlen);
            if (back)
                pzset_iter_prev(&it);
            else
                pzset_iter_next(&it);
        }
    }
    if (ranged) {
        end -= start;
        start = 0;
    }

    if (!dontsort) {
        bool bad = false;
        for (long long i = 0; i < n; i++) {
            const unsigned char *by = vec[i].p;
            size_t bylen = vec[i].len;
            if (sortby != NULL) {
                int f = by_pattern(&j, sortby, vec[i].p, vec[i].len, &by,
                                   &bylen);
                if (f < 0)
                    goto out;
                if (f == 0)
                    continue; /* score 0, or first in ALPHA */
            }
            if (j.alpha) {
                if (sortby != NULL) {
                    vec[i].cmp = by;
                    vec[i].cmplen = bylen;
                }
            } else if (!parse_score(by, &vec[i].score)) {
                bad = true;
            }
        }
        if (bad) {
            cmd_error(c, "ERR One or more scores can't be converted into "
                         "double");
            goto out;
        }
        merge_sort(&j, vec, tmp, (size_t)n);
    }

    if (storekey == NULL) { /* a read: nothing to change */
        rc = 0;
        goto out;
    }
    long long outlen = (getop ? (long long)getop : 1) * (end - start + 1);
    if (outlen <= 0) {
        rc = keyspace_delete(c->ks, c->db, storekey->str, storekey->len) < 0 ? -1
                                                                        : 0;
        goto out;
    }
    out = value_new_collection(VALUE_LIST, VALUE_NO_EXPIRY);
    if (out == NULL)
        goto out;
    for (long long i = start; i <= end; i++) {
        if (getop == 0) {
            if (value_list_push(out, vec[i].p, vec[i].len) != 0)
                goto out;
            continue;
        }
        for (size_t g = 0; g < getop; g++) {
            const unsigned char *val = (const unsigned char *)"";
            size_t vlen = 0;
            if (by_pattern(&j, &c->argv[gets[g]], vec[i].p, vec[i].len, &val,
                           &vlen) < 0 ||
                value_list_push(out, val, vlen) != 0)
                goto out;
        }
    }
    rc = keyspace_put(c->ks, c->db, storekey->str, storekey->len, out);
    out = NULL; /* the batch's, even on failure */
out:
    value_free(out);
    free(vec);
    free(tmp);
    free(gets);
    job_free(&j);
    return rc;
}

const cmd_spec cmd_sort_table[] = {
    {"sort", -2, CMD_WRITE, cmd_sort},
    {0},
};
