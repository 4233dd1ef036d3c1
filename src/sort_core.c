/* sort_core.c - the SORT engine shared by SORT ... STORE and SORT_RO.
 * Chapter 9; extended in chapter 11.
 *
 * See sort_core.h for the split and src/cmd_sort.c for the ordering
 * rules.  The sort is a stable merge sort (see cmd_sort.c for why
 * stability matters to a replica).
 */
#include "sort_core.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sort_job_free(sort_job *j)
{
    for (size_t i = 0; i < j->nowned; i++)
        free(j->owned[i]);
    free(j->owned);
    free(j->kbuf);
    free(j->vec);
    j->owned = NULL;
    j->kbuf = NULL;
    j->vec = NULL;
    j->nowned = j->owncap = j->kcap = 0;
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

/* Redis finds '*' and "->" as C strings, so the search stops at a NUL
 * byte of the pattern; the lengths are the whole argument's. */
int sort_pattern(sort_job *j, const resp_value *pat, const unsigned char *e,
                 size_t elen, const unsigned char **out, size_t *olen)
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
    const value *v = j->lookup(j->arg, j->kbuf, klen);
    if (v == NULL)
        return 0;
    if (field != NULL) {
        if (v->type != VALUE_HASH)
            return 0;
        const phash_field *f = phash_get(value_as_hash(v), field, fieldlen);
        if (f == NULL)
            return 0;
        int64_t fe = phash_field_expire(f);
        if (j->now_ms >= 0 && fe != PHASH_NO_EXPIRE && fe <= j->now_ms)
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

/* string2ll(): the whole argument is a decimal long long. */
static bool parse_ll(const resp_value *a, long long *out)
{
    int64_t v;
    if (a->len == 0 || resp_parse_int(a->str, a->len, &v) != 0)
        return false;
    *out = v;
    return true;
}

static bool word_is(const resp_value *a, const char *kw)
{
    return a->len == strlen(kw) && strncasecmp(a->str, kw, a->len) == 0;
}

int sort_parse(size_t argc, const resp_value *argv, bool allow_store,
               sort_opts *o, size_t *bad)
{
    *o = (sort_opts){.limit_count = -1};
    o->gets = malloc((argc ? argc : 1) * sizeof *o->gets);
    if (o->gets == NULL)
        return -1;
    for (size_t i = 2; i < argc; i++) {
        size_t left = argc - i - 1;
        const resp_value *a = &argv[i];
        *bad = i;
        if (word_is(a, "asc")) {
            o->desc = false;
        } else if (word_is(a, "desc")) {
            o->desc = true;
        } else if (word_is(a, "alpha")) {
            o->alpha = true;
        } else if (word_is(a, "limit") && left >= 2) {
            *bad = i + 1;
            if (!parse_ll(&argv[i + 1], &o->limit_start))
                return SORT_ERR_NOTINT;
            *bad = i + 2;
            if (!parse_ll(&argv[i + 2], &o->limit_count))
                return SORT_ERR_NOTINT;
            i += 2;
        } else if (allow_store && word_is(a, "store") && left >= 1) {
            o->storekey = &argv[++i];
        } else if (word_is(a, "by") && left >= 1) {
            o->sortby = &argv[++i];
            if (strchr(o->sortby->str, '*') == NULL)
                o->dontsort = true; /* sticky, as in Redis */
        } else if (word_is(a, "get") && left >= 1) {
            o->gets[o->ngets++] = ++i;
        } else {
            return SORT_ERR_SYNTAX;
        }
    }
    return 0;
}

void sort_opts_free(sort_opts *o)
{
    free(o->gets);
    o->gets = NULL;
}

static void item_set(sort_item *it, const unsigned char *p, size_t len)
{
    *it = (sort_item){.p = p, .len = len};
}

/* The elements: a range of the native order when nothing is sorted, else
 * all of them. */
static void load(sort_job *j, const value *src, bool ranged, long long len,
                 long long n)
{
    sort_item *vec = j->vec;
    size_t first = ranged ? (size_t)(j->desc ? len - j->start - 1 : j->start)
                          : 0;
    bool back = ranged && j->desc;
    if (src->type == VALUE_LIST) {
        plist_iter it;
        plist_iter_seek(&it, value_as_list(src), first);
        for (long long i = 0; i < n && plist_iter_valid(&it); i++) {
            const velem *e = plist_iter_elem(&it);
            item_set(&vec[i], e->bytes, e->len);
            if (back)
                plist_iter_prev(&it);
            else
                plist_iter_next(&it);
        }
    } else if (src->type == VALUE_SET) {
        pset_iter it;
        pset_iter_init(&it, value_as_set(src));
        const velem *e;
        for (long long i = 0; i < n && (e = pset_iter_next(&it)) != NULL; i++)
            item_set(&vec[i], e->bytes, e->len);
    } else {
        pzset_iter it;
        pzset_iter_seek(&it, value_as_zset(src), first);
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
}

int sort_run(sort_job *j, const sort_opts *o, const value *src)
{
    j->desc = o->desc;
    j->alpha = o->alpha;
    j->bypattern = o->sortby != NULL;
    value_type type = src != NULL ? (value_type)src->type : VALUE_LIST;
    long long len = src != NULL ? (long long)value_count(src) : 0;

    /* LIMIT, clamped as Redis clamps it. */
    long long start = o->limit_start < 0 ? 0 : o->limit_start;
    if (start > len)
        start = len;
    long long count = o->limit_count < -1 ? -1 : o->limit_count;
    if (count > len)
        count = len;
    long long end = count < 0 ? len - 1 : start + count - 1;
    if (start >= len) {
        start = len - 1;
        end = len - 2;
    }
    if (end >= len)
        end = len - 1;
    j->start = start;
    j->end = end;

    long long n = len;
    bool ranged = o->dontsort && type != VALUE_SET;
    if (ranged)
        n = end - start + 1;
    j->vec = malloc((size_t)(n > 0 ? n : 1) * sizeof *j->vec);
    if (j->vec == NULL)
        return -1;
    if (src != NULL && n > 0)
        load(j, src, ranged, len, n);
    if (ranged) {
        j->end -= j->start;
        j->start = 0;
    }
    if (o->dontsort)
        return 0;

    bool bad = false;
    for (long long i = 0; i < n; i++) {
        sort_item *it = &j->vec[i];
        const unsigned char *by = it->p;
        size_t bylen = it->len;
        if (o->sortby != NULL) {
            int f = sort_pattern(j, o->sortby, it->p, it->len, &by, &bylen);
            if (f < 0)
                return -1;
            if (f == 0)
                continue; /* score 0, or first in ALPHA */
        }
        if (j->alpha) {
            if (o->sortby != NULL) {
                it->cmp = by;
                it->cmplen = bylen;
            }
        } else if (!parse_score(by, &it->score)) {
            bad = true;
        }
    }
    if (bad)
        return SORT_ERR_NOTDOUBLE;
    sort_item *tmp = malloc((size_t)(n > 0 ? n : 1) * sizeof *tmp);
    if (tmp == NULL)
        return -1;
    merge_sort(j, j->vec, tmp, (size_t)n);
    free(tmp);
    return 0;
}
