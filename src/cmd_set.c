/* cmd_set.c - the set commands: SADD, SREM, SMOVE, SPOP, and the three *STORE algebras.
 * Chapter 9.
 *
 * Redis 7.0.15's set writes (redis/redis src/t_set.c).  SADD, SREM,
 * SMOVE and SINTERSTORE/SUNIONSTORE/SDIFFSTORE are propagated as typed;
 * SPOP chooses at random, so a master propagates what it chose: SREM key
 * member for each member it popped, or DEL key when the count took the
 * whole set.  The client form of SPOP applies here too, choosing its
 * members with a generator of the applier's thread (any choice is one
 * Redis could have made).
 *
 * The *STORE commands build their result as a new set whose members are
 * the sources' own elements (pset_add_elem() shares them, no bytes are
 * copied), then store it over the destination (dropping the destination's
 * TTL, as Redis's setKey() does) or delete the destination when the
 * result is empty.  A source missing counts as an empty set; a source of
 * another type fails the command before anything changes.  Which
 * encoding OBJECT ENCODING names (intset, listpack, hashtable) follows
 * from the members (pset.h).
 */
#include "cmd.h"
#include "alloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARG(c, i) ((c)->argv[(i)].str)
#define ARGLEN(c, i) ((c)->argv[(i)].len)

/* The set transient of key argument i, made empty when absent.  Call
 * after every check passed.  NULL with errno ENOMEM. */
static pset *set_open(cmd_ctx *c, size_t i)
{
    const void *k = ARG(c, i);
    size_t kl = ARGLEN(c, i);
    if (keyspace_lookup(c->ks, c->db, k, kl) == NULL) {
        value *nv = value_new_collection(VALUE_SET, VALUE_NO_EXPIRY);
        if (nv == NULL || keyspace_put(c->ks, c->db, k, kl, nv) != 0)
            return NULL;
    }
    value *v = keyspace_edit(c->ks, c->db, k, kl);
    if (v == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    return value_edit_set(v);
}

/* Delete key argument i when its set s is empty. */
static int set_drop_if_empty(cmd_ctx *c, size_t i, const pset *s)
{
    if (pset_len(s) > 0)
        return 0;
    return keyspace_delete(c->ks, c->db, ARG(c, i), ARGLEN(c, i)) < 0 ? -1
                                                                      : 0;
}

/* SADD key member [member ...] */
static int cmd_sadd(cmd_ctx *c)
{
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_SET, &cur) != 0)
        return -1;
    pset *s = set_open(c, 1);
    if (s == NULL)
        return -1;
    for (size_t j = 2; j < c->argc; j++)
        if (pset_add(s, ARG(c, j), ARGLEN(c, j), &s) < 0)
            return -1;
    return 0;
}

/* SREM key member [member ...] */
static int cmd_srem(cmd_ctx *c)
{
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_SET, &cur) != 0)
        return -1;
    if (cur == NULL)
        return 0;
    size_t j;
    for (j = 2; j < c->argc; j++)
        if (pset_has(value_as_set(cur), ARG(c, j), ARGLEN(c, j)))
            break;
    if (j == c->argc)
        return 0; /* none there: no edit */
    pset *s = set_open(c, 1);
    if (s == NULL)
        return -1;
    for (; j < c->argc; j++)
        if (pset_remove(s, ARG(c, j), ARGLEN(c, j), &s) < 0)
            return -1;
    return set_drop_if_empty(c, 1, s);
}

/* SMOVE source destination member */
static int cmd_smove(cmd_ctx *c)
{
    const value *src = keyspace_lookup(c->ks, c->db, ARG(c, 1), ARGLEN(c, 1));
    if (src == NULL)
        return 0; /* Redis answers 0 before it looks at either type */
    const value *dst;
    if (cmd_lookup_type(c, 1, VALUE_SET, &src) != 0 ||
        cmd_lookup_type(c, 2, VALUE_SET, &dst) != 0)
        return -1;
    if (!pset_has(value_as_set(src), ARG(c, 3), ARGLEN(c, 3)))
        return 0; /* not a member (also when source is destination) */
    if (ARGLEN(c, 1) == ARGLEN(c, 2) &&
        memcmp(ARG(c, 1), ARG(c, 2), ARGLEN(c, 1)) == 0)
        return 0; /* a member moved onto itself: nothing changes */
    velem *e = velem_retain(
        (velem *)pset_get(value_as_set(src), ARG(c, 3), ARGLEN(c, 3)));
    pset *s = set_open(c, 1);
    int rc = -1;
    if (s != NULL && pset_remove(s, ARG(c, 3), ARGLEN(c, 3), &s) >= 0 &&
        set_drop_if_empty(c, 1, s) == 0) {
        pset *d = set_open(c, 2);
        if (d != NULL && pset_add_elem(d, e, &d) >= 0)
            rc = 0;
    }
    velem_release(e);
    return rc;
}

/* ---- SPOP ------------------------------------------------------------------------ */

/* The applier thread's generator for SPOP's client form (splitmix64).
 * Per thread, so appliers on different threads never share it. */
static _Thread_local uint64_t set_rng = 0x9E3779B97F4A7C15ull;

static uint64_t set_random(void)
{
    uint64_t z = (set_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* SPOP key [count]: count members chosen at random leave the set (all of
 * them, and the key, when count reaches its size). */
static int cmd_spop(cmd_ctx *c)
{
    long long count = 1;
    if (c->argc > 3)
        return cmd_error(c, CMD_ERR_SYNTAX);
    if (c->argc == 3) {
        /* getPositiveLongFromObjectOrReply(): one text for a count
         * that is not a number and for one below zero */
        if (cmd_arg_int(c, 2, &count) != 0 || count < 0)
            return cmd_error_arg(c, 2,
                                 "ERR value is out of range, must be "
                                 "positive");
    }
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_SET, &cur) != 0)
        return -1;
    if (cur == NULL || count == 0)
        return 0;
    if ((unsigned long long)count >= pset_len(value_as_set(cur)))
        return keyspace_delete(c->ks, c->db, ARG(c, 1), ARGLEN(c, 1)) < 0
                   ? -1
                   : 0;
    pset *s = set_open(c, 1);
    if (s == NULL)
        return -1;
    while (count-- > 0) {
        velem *e = velem_retain(
            (velem *)pset_nth(s, (size_t)(set_random() % pset_len(s))));
        int rc = pset_remove(s, e->bytes, e->len, &s);
        velem_release(e);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- SINTERSTORE, SUNIONSTORE, SDIFFSTORE -------------------------------------------- */

enum { SET_INTER, SET_UNION, SET_DIFF };

/* op destination key [key ...] */
static int set_store(cmd_ctx *c, int op)
{
    size_t n = c->argc - 2;
    const pset **sets = xcalloc(n, sizeof *sets);
    if (sets == NULL) {
        errno = ENOMEM;
        return -1;
    }
    bool empty = false;
    for (size_t j = 0; j < n; j++) {
        const value *v;
        if (cmd_lookup_type(c, j + 2, VALUE_SET, &v) != 0) {
            free(sets);
            return -1;
        }
        sets[j] = v ? value_as_set(v) : NULL;
        if (v == NULL && op == SET_INTER)
            empty = true;
    }
    if (op == SET_DIFF && sets[0] == NULL)
        empty = true;
    value *res = value_new_collection(VALUE_SET, VALUE_NO_EXPIRY);
    pset *r = res ? value_edit_set(res) : NULL;
    int rc = r ? 0 : -1;
    if (rc == 0 && !empty) {
        if (op == SET_UNION) {
            for (size_t j = 0; j < n && rc == 0; j++) {
                if (sets[j] == NULL)
                    continue;
                pset_iter it;
                pset_iter_init(&it, sets[j]);
                const velem *e;
                while (rc == 0 && (e = pset_iter_next(&it)) != NULL)
                    rc = pset_add_elem(r, (velem *)e, &r) < 0 ? -1 : 0;
            }
        } else {
            /* INTER walks the smallest set; DIFF walks the first. */
            size_t base = 0;
            if (op == SET_INTER)
                for (size_t j = 1; j < n; j++)
                    if (pset_len(sets[j]) < pset_len(sets[base]))
                        base = j;
            pset_iter it;
            pset_iter_init(&it, sets[base]);
            const velem *e;
            while (rc == 0 && (e = pset_iter_next(&it)) != NULL) {
                bool keep = true;
                for (size_t j = 0; j < n && keep; j++) {
                    if (j == base || sets[j] == NULL)
                        continue;
                    bool has = pset_has(sets[j], e->bytes, e->len);
                    keep = op == SET_INTER ? has : !has;
                }
                if (keep)
                    rc = pset_add_elem(r, (velem *)e, &r) < 0 ? -1 : 0;
            }
        }
    }
    free(sets);
    if (rc != 0) {
        value_free(res);
        errno = ENOMEM;
        return -1;
    }
    if (pset_len(r) == 0) {
        value_free(res);
        return keyspace_delete(c->ks, c->db, ARG(c, 1), ARGLEN(c, 1)) < 0
                   ? -1
                   : 0;
    }
    return keyspace_put(c->ks, c->db, ARG(c, 1), ARGLEN(c, 1), res);
}

static int cmd_sinterstore(cmd_ctx *c) { return set_store(c, SET_INTER); }
static int cmd_sunionstore(cmd_ctx *c) { return set_store(c, SET_UNION); }
static int cmd_sdiffstore(cmd_ctx *c) { return set_store(c, SET_DIFF); }

/* The set commands (arities as Redis 7.0.15's COMMAND INFO). */
const cmd_spec cmd_set_table[] = {
    {"sadd", -3, CMD_WRITE, cmd_sadd},
    {"srem", -3, CMD_WRITE, cmd_srem},
    {"smove", 4, CMD_WRITE, cmd_smove},
    {"spop", -2, CMD_WRITE, cmd_spop},
    {"sinterstore", -3, CMD_WRITE, cmd_sinterstore},
    {"sunionstore", -3, CMD_WRITE, cmd_sunionstore},
    {"sdiffstore", -3, CMD_WRITE, cmd_sdiffstore},
    {NULL, 0, 0, NULL},
};
