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
 * The engine (options, patterns, comparison, the merge sort) is
 * src/sort_core.c, shared with chapter 11's SORT_RO; this file adds what
 * only the write does: the forced ALPHA of a set and the stored list.
 *
 * Semantics and reply texts: redis/redis 7.0.15 src/sort.c
 * (sortCommandGeneric, lookupKeyByPattern, sortCompare) and src/object.c
 * (compareStringObjects).
 */
#include "cmd.h"
#include "sort_core.h"

#include <errno.h>

/* BY and GET read the batch's view: expired keys count as present. */
static const value *applier_lookup(void *arg, const void *key, size_t len)
{
    const cmd_ctx *c = arg;
    return keyspace_lookup(c->ks, c->db, key, len);
}

/* SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
 *      [ALPHA] [STORE destination] */
static int cmd_sort(cmd_ctx *c)
{
    sort_opts o;
    sort_job j = {.lookup = applier_lookup, .arg = c, .now_ms = -1};
    value *out = NULL;
    size_t bad = 0;
    int rc = sort_parse(c->argc, c->argv, true, &o, &bad);
    if (rc != 0) {
        if (rc == SORT_ERR_SYNTAX)
            cmd_error_arg(c, (int)bad, CMD_ERR_SYNTAX);
        else if (rc == SORT_ERR_NOTINT)
            cmd_error_arg(c, (int)bad, CMD_ERR_NOTINT);
        rc = -1;
        goto out;
    }
    rc = -1;

    const value *src =
        keyspace_lookup(c->ks, c->db, c->argv[1].str, c->argv[1].len);
    if (src != NULL && src->type != VALUE_LIST && src->type != VALUE_SET &&
        src->type != VALUE_ZSET) {
        cmd_error_arg(c, 1, CMD_ERR_WRONGTYPE);
        goto out;
    }
    if (o.dontsort && src != NULL && src->type == VALUE_SET &&
        o.storekey != NULL) {
        o.dontsort = false; /* a set has no order: sort it ALPHA */
        o.alpha = true;
        o.sortby = NULL;
    }
    if (src != NULL && src->type == VALUE_ZSET &&
        !pzset_was_tree(value_as_zset(src))) {
        /* Redis converts a sorted set it sorts to a skiplist for good:
         * remember it, as a later -0 depends on it (cmd_zset.c) */
        value *v = keyspace_edit(c->ks, c->db, c->argv[1].str,
                                 c->argv[1].len);
        pzset *z = v ? value_edit_zset(v) : NULL;
        if (z == NULL || pzset_mark_was_tree(z) != 0)
            goto out;
        src = v;
    }
    int sr = sort_run(&j, &o, src);
    if (sr == SORT_ERR_NOTDOUBLE) {
        cmd_error(c, "ERR One or more scores can't be converted into "
                     "double");
        goto out;
    }
    if (sr != 0)
        goto out;

    if (o.storekey == NULL) { /* a read: nothing to change */
        rc = 0;
        goto out;
    }
    long long outlen = (o.ngets ? (long long)o.ngets : 1) * (j.end - j.start + 1);
    if (outlen <= 0) {
        rc = keyspace_delete(c->ks, c->db, o.storekey->str,
                             o.storekey->len) < 0 ? -1 : 0;
        goto out;
    }
    out = value_new_collection(VALUE_LIST, VALUE_NO_EXPIRY);
    if (out == NULL)
        goto out;
    for (long long i = j.start; i <= j.end; i++) {
        const sort_item *it = &j.vec[i];
        if (o.ngets == 0) {
            if (value_list_push(out, it->p, it->len) != 0)
                goto out;
            continue;
        }
        for (size_t g = 0; g < o.ngets; g++) {
            const unsigned char *val = (const unsigned char *)"";
            size_t vlen = 0;
            if (sort_pattern(&j, &c->argv[o.gets[g]], it->p, it->len, &val,
                             &vlen) < 0 ||
                value_list_push(out, val, vlen) != 0)
                goto out;
        }
    }
    rc = keyspace_put(c->ks, c->db, o.storekey->str, o.storekey->len, out);
    out = NULL; /* the batch's, even on failure */
out:
    value_free(out);
    sort_opts_free(&o);
    sort_job_free(&j);
    return rc;
}

const cmd_spec cmd_sort_table[] = {
    {"sort", -2, CMD_WRITE, cmd_sort},
    {0},
};
