/* cmd_keys.c - commands on whole keys: DEL, UNLINK, RENAME, RENAMENX, COPY, MOVE.
 * Chapter 9.
 *
 * None of these looks inside a value: they delete keys, or hand a value
 * from one key to another, in the same database or across two.  Since a
 * stored value never changes, "moving" a value is sharing it: the new key
 * takes a reference (value_retain()) and the old key is deleted, so RENAME
 * of a million-element list costs two header operations, and COPY shares
 * every node with its source exactly as an edit would (Redis duplicates
 * the object; the contents are the same).  The expiry lives in the value's
 * header, so it travels with the value, as Redis's RENAME, COPY and MOVE
 * carry the TTL over.
 *
 * One case needs care: a key the open batch is already editing holds a
 * transient, which later commands of the batch change in place.  Two keys
 * must never share one, so the value another key gets is a version forked
 * from it (value_fork()), while the transient goes on under its own key.
 *
 * Semantics and reply texts: redis/redis 7.0.15 src/db.c
 * (delGenericCommand, renameGenericCommand, copyCommand, moveCommand).
 */
#include "cmd.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/** Redis's shared.sameobjecterr. */
#define ERR_SAME "ERR source and destination objects are the same"
/** Redis's reply when SELECT-like database numbers are out of range. */
#define ERR_DB_RANGE "ERR DB index is out of range"

/* A reference to the value of (db, key) that another key may hold: the
 * version itself with one more reference, or a version forked from the
 * batch's transient.  -1 with errno ENOMEM. */
static int share_value(cmd_ctx *c, unsigned db, const resp_value *key,
                       const value *v, value **out)
{
    if (!value_is_transient(v)) {
        /* A version never changes, so sharing it is safe; the const of
         * keyspace_lookup() is about its contents, not its count. */
        *out = value_retain((value *)v);
        return *out != NULL ? 0 : -1;
    }
    value *t = keyspace_edit(c->ks, db, key->str, key->len);
    if (t == NULL)
        return -1;
    return value_fork(t, out);
}

/* keyspace_put() of a value from share_value().  When the destination
 * already holds that very value (a second COPY onto the same key in one
 * batch, or a COPY REPLACE between two keys that share it), there is
 * nothing to change, and the extra reference is dropped here:
 * keyspace_put() of a value already pending under the key keeps its own
 * reference and not the caller's. */
static int put_shared(cmd_ctx *c, unsigned db, const resp_value *key,
                      value *v)
{
    if (keyspace_lookup(c->ks, db, key->str, key->len) == v) {
        value_free(v);
        return 0;
    }
    return keyspace_put(c->ks, db, key->str, key->len, v);
}

/* Whether two arguments hold the same bytes. */
static bool same_bytes(const resp_value *a, const resp_value *b)
{
    return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
}

/* Parse a database number as Redis's getIntFromObjectOrReply() and
 * selectDb() do: a 64-bit integer, then one within int's range (with
 * getRangeLongFromObjectOrReply()'s own text), then a database that
 * exists. */
static int parse_db(cmd_ctx *c, size_t i, unsigned *out)
{
    long long n;
    if (cmd_arg_int(c, i, &n) != 0)
        return -1;
    if (n < INT_MIN || n > INT_MAX)
        return cmd_error_arg(c, (int)i, "ERR value is out of range, value "
                             "must between %d and %d", INT_MIN, INT_MAX);
    if (n < 0 || (unsigned long long)n >= keyspace_databases(c->ks))
        return cmd_error_arg(c, (int)i, ERR_DB_RANGE);
    *out = (unsigned)n;
    return 0;
}

/* DEL key [key ...] and UNLINK: a replica frees in the background either
 * way (the store reclaims after the grace period), so they are one. */
static int cmd_del(cmd_ctx *c)
{
    for (size_t i = 1; i < c->argc; i++)
        if (keyspace_delete(c->ks, c->db, c->argv[i].str, c->argv[i].len) < 0)
            return -1;
    return 0;
}

/* RENAME src dst / RENAMENX src dst. */
static int rename_generic(cmd_ctx *c, bool nx)
{
    const resp_value *src = &c->argv[1], *dst = &c->argv[2];
    const value *v = keyspace_lookup(c->ks, c->db, src->str, src->len);
    if (v == NULL)
        return cmd_error_arg(c, 1, CMD_ERR_NOKEY);
    if (same_bytes(src, dst))
        return 0; /* OK, or 0 for RENAMENX: nothing to do */
    if (nx && keyspace_lookup(c->ks, c->db, dst->str, dst->len) != NULL)
        return 0;
    value *moved;
    if (share_value(c, c->db, src, v, &moved) != 0)
        return -1;
    if (put_shared(c, c->db, dst, moved) != 0)
        return -1;
    return keyspace_delete(c->ks, c->db, src->str, src->len) < 0 ? -1 : 0;
}

static int cmd_rename(cmd_ctx *c) { return rename_generic(c, false); }
static int cmd_renamenx(cmd_ctx *c) { return rename_generic(c, true); }

/* COPY src dst [DB n] [REPLACE] */
static int cmd_copy(cmd_ctx *c)
{
    unsigned dstdb = c->db;
    bool replace = false;
    for (size_t j = 3; j < c->argc; j++) {
        if (cmd_arg_is(c, j, "replace")) {
            replace = true;
        } else if (cmd_arg_is(c, j, "db") && j + 1 < c->argc) {
            if (parse_db(c, j + 1, &dstdb) != 0)
                return -1;
            j++;
        } else {
            return cmd_error_arg(c, (int)j, CMD_ERR_SYNTAX);
        }
    }
    const resp_value *src = &c->argv[1], *dst = &c->argv[2];
    if (dstdb == c->db && same_bytes(src, dst))
        return cmd_error(c, ERR_SAME);
    const value *v = keyspace_lookup(c->ks, c->db, src->str, src->len);
    if (v == NULL)
        return 0; /* 0: no source */
    if (!replace && keyspace_lookup(c->ks, dstdb, dst->str, dst->len) != NULL)
        return 0; /* 0: the destination exists */
    value *copy;
    if (share_value(c, c->db, src, v, &copy) != 0)
        return -1;
    return put_shared(c, dstdb, dst, copy);
}

/* MOVE key db */
static int cmd_move(cmd_ctx *c)
{
    unsigned dstdb;
    if (parse_db(c, 2, &dstdb) != 0)
        return -1;
    if (dstdb == c->db)
        return cmd_error(c, ERR_SAME);
    const resp_value *key = &c->argv[1];
    const value *v = keyspace_lookup(c->ks, c->db, key->str, key->len);
    if (v == NULL || keyspace_lookup(c->ks, dstdb, key->str, key->len) != NULL)
        return 0; /* 0: nothing moved */
    value *moved;
    if (share_value(c, c->db, key, v, &moved) != 0)
        return -1;
    if (put_shared(c, dstdb, key, moved) != 0)
        return -1;
    return keyspace_delete(c->ks, c->db, key->str, key->len) < 0 ? -1 : 0;
}

const cmd_spec cmd_keys_table[] = {
    {"del", -2, CMD_WRITE, cmd_del},
    {"unlink", -2, CMD_WRITE, cmd_del},
    {"rename", 3, CMD_WRITE, cmd_rename},
    {"renamenx", 3, CMD_WRITE, cmd_renamenx},
    {"copy", -3, CMD_WRITE, cmd_copy},
    {"move", 3, CMD_WRITE, cmd_move},
    {0},
};
