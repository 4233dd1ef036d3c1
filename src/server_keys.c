/* server_keys.c - read commands of one family: the keyspace: EXISTS, TYPE, TTL, SCAN, RANDOMKEY, ....
 * Chapter 11.
 *
 * The commands about keys rather than values (redis/redis src/db.c,
 * src/expire.c, src/object.c): EXISTS and TOUCH (a replica counts, it
 * has no access clock to touch), TYPE, TTL/PTTL/EXPIRETIME/PEXPIRETIME,
 * DBSIZE, KEYS, SCAN, RANDOMKEY, DUMP, OBJECT and MEMORY USAGE.  A key whose
 * expiry has passed is missing to all of them, as on a Redis replica,
 * except DBSIZE (Redis counts its dictionary) and MEMORY USAGE (Redis
 * finds the entry without the expiry check).
 *
 * SCAN.  Redis's cursor is a position in its hash table with the bits
 * reversed, so that a table that grows or shrinks between calls still
 * hands every key out once.  Ours is a position in the order the tries
 * keep their keys (store.h, store_scan_pos(): the key's hash with its
 * 5-bit pieces read root first), and a call resumes at the first key at
 * or past it (keyspace_scan()).  It depends on the key's bytes alone, so a
 * key present for the whole scan is returned whatever was added or
 * removed around it, and the same cursor is good on a different store of
 * this process holding the same keys: after a full resync the replica
 * serves a fresh keyspace, and a scan begun on the old one continues on
 * the new one without losing a key (tests/ch11_keys.c checks both).
 * Clients parse the cursor as a number and some as a signed one (Redis
 * prints its unsigned cursor through a signed 64-bit conversion), so the
 * 64-bit position goes out halved, rounded up, which keeps every cursor
 * below 2^63; coming back, cursor c resumes at position 2c - 1, at worst
 * one position early (a key there may be returned twice, which SCAN
 * allows).  COUNT bounds the store entries visited, those of other
 * databases included, so a call costs O(COUNT log n) on the hamt and
 * ptrie stores.
 *
 * OBJECT, MEMORY USAGE and DUMP, the commands about how a value is held,
 * are server_object.c's; their entries stay in this family's table.
 */
#include "server_cmd.h"
#include "server_object.h"

#include "alloc.h"
#include "glob.h"
#include "server_scan.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- EXISTS, TOUCH, TYPE, DBSIZE --------------------------------------- */

/* EXISTS key [key ...]: a key named twice counts twice. */
static int cmd_exists(server_ctx *x)
{
    int64_t n = 0;
    for (size_t i = 1; i < x->argc; i++) {
        const value *v;
        SERVER_TRY(server_lookup(x, i, -1, &v));
        n += v != NULL;
    }
    return reply_integer(x->out, n);
}

static int cmd_type(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, -1, &v));
    return reply_simple(x->out, v != NULL ? value_type_name(v->type)
                                          : "none");
}

static int cmd_dbsize(server_ctx *x)
{
    return reply_integer(x->out, (int64_t)keyspace_dbsize(x->ks, x->db));
}

/* ---- TTL, PTTL, EXPIRETIME, PEXPIRETIME -------------------------------- */

/* ttlGenericCommand(): -2 missing, -1 no expiry, else the time left (or
 * the deadline), never below 0, seconds rounded to the nearest. */
static int ttl_generic(server_ctx *x, bool ms, bool absolute)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, -1, &v));
    if (v == NULL)
        return reply_integer(x->out, -2);
    if (v->expire_ms == VALUE_NO_EXPIRY)
        return reply_integer(x->out, -1);
    int64_t t = absolute ? v->expire_ms : v->expire_ms - x->now_ms;
    if (t < 0)
        t = 0;
    return reply_integer(x->out, ms ? t : (t + 500) / 1000);
}

static int cmd_ttl(server_ctx *x) { return ttl_generic(x, false, false); }
static int cmd_pttl(server_ctx *x) { return ttl_generic(x, true, false); }
static int cmd_expiretime(server_ctx *x) { return ttl_generic(x, false, true); }
static int cmd_pexpiretime(server_ctx *x) { return ttl_generic(x, true, true); }

/* ---- KEYS ---------------------------------------------------------------- */

/** KEYS' walk. */
typedef struct keys_ctx {
    server_ctx *x;     /**< the command */
    const char *pat;   /**< the pattern */
    size_t plen;       /**< its length */
    size_t n;          /**< keys written */
} keys_ctx;

static int keys_one(const void *key, size_t klen, const value *v, void *arg)
{
    keys_ctx *k = arg;
    if (value_is_expired(v, k->x->now_ms) ||
        !glob_match(k->pat, k->plen, key, klen, false))
        return 0;
    if (reply_bulk(k->x->out, key, klen) != 0)
        return -1;
    k->n++;
    return 0;
}

static int cmd_keys(server_ctx *x)
{
    keys_ctx k = {x, x->argv[1].str, x->argv[1].len, 0};
    if (glob_is_literal(k.pat, k.plen)) { /* one lookup, no walk */
        const value *v = keyspace_get_live(x->ks, x->db, k.pat, k.plen,
                                           x->now_ms);
        if (v == NULL)
            return reply_array(x->out, 0);
        if (reply_array(x->out, 1) != 0)
            return -1;
        return reply_bulk(x->out, k.pat, k.plen);
    }
    reply_defer d;
    if (reply_defer_begin(x->out, &d, REPLY_DEFER_ARRAY) != 0)
        return -1;
    if (keyspace_iterate(x->ks, x->db, keys_one, &k) != 0)
        return -1;
    return reply_defer_end(x->out, &d, k.n);
}

/* ---- SCAN ---------------------------------------------------------------- */

/** Largest cursor a client sees: Redis's cursors fit a signed 64-bit. */
#define SCAN_CURSOR_MAX ((uint64_t)INT64_MAX)

/* A client's cursor to a store position (the file comment). */
static uint64_t scan_pos_in(uint64_t c)
{
    if (c > SCAN_CURSOR_MAX)
        c = SCAN_CURSOR_MAX;
    return c == 0 ? 0 : 2 * c - 1;
}

/* A store position to a client's cursor: halved, rounded up, so that a
 * position still to visit is never 0. */
static uint64_t scan_pos_out(uint64_t p)
{
    uint64_t c = p / 2 + (p & 1);
    return c > SCAN_CURSOR_MAX ? SCAN_CURSOR_MAX : c;
}

/** One SCAN call's collected keys (valid for the command's section). */
typedef struct scan_ctx {
    server_ctx *x;               /**< the command */
    const server_scan_args *a;   /**< its options */
    const char **k;              /**< the keys */
    size_t *len;                 /**< their lengths */
    size_t n, cap;               /**< used, allocated */
} scan_ctx;

static int scan_one(const void *key, size_t klen, const value *v, void *arg)
{
    scan_ctx *s = arg;
    if (!server_scan_match(s->a, key, klen))
        return 0;
    if (s->a->type != NULL) {
        const char *t = value_type_name(v->type);
        if (strlen(t) != s->a->type_len ||
            strncasecmp(t, s->a->type, s->a->type_len) != 0)
            return 0;
    }
    if (value_is_expired(v, s->x->now_ms))
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        const char **nk = xrealloc(s->k, cap * sizeof *nk);
        if (nk == NULL)
            return -1;
        s->k = nk;
        size_t *nl = xrealloc(s->len, cap * sizeof *nl);
        if (nl == NULL)
            return -1;
        s->len = nl;
        s->cap = cap;
    }
    s->k[s->n] = key;
    s->len[s->n++] = klen;
    return 0;
}

/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
static int cmd_scan(server_ctx *x)
{
    server_scan_args a;
    SERVER_TRY(server_scan_parse(x, 1, true, &a));
    scan_ctx s = {.x = x, .a = &a};
    uint64_t next = 0;
    int rc = keyspace_scan(x->ks, x->db, scan_pos_in(a.cursor),
                           (size_t)a.count, scan_one, &s, &next);
    char num[24];
    int nlen = snprintf(num, sizeof num, "%llu",
                        (unsigned long long)scan_pos_out(next));
    if (rc == 0 && (reply_array(x->out, 2) != 0 ||
                    reply_bulk(x->out, num, (size_t)nlen) != 0 ||
                    reply_array(x->out, s.n) != 0))
        rc = -1;
    for (size_t i = 0; rc == 0 && i < s.n; i++)
        if (reply_bulk(x->out, s.k[i], s.len[i]) != 0)
            rc = -1;
    free(s.k);
    free(s.len);
    return rc == 0 ? 0 : -1;
}

/* ---- RANDOMKEY ------------------------------------------------------------ */

/** RANDOMKEY's pick: the first key a slice offers. */
typedef struct pick_ctx {
    const void *key; /**< the key, or NULL */
    size_t klen;     /**< its length */
    const value *v;  /**< its value */
} pick_ctx;

static int pick_one(const void *key, size_t klen, const value *v, void *arg)
{
    pick_ctx *p = arg;
    p->key = key;
    p->klen = klen;
    p->v = v;
    return 1;
}

/* The first key at or after a position, wrapping once at the end. */
static int pick_from(server_ctx *x, uint64_t pos, pick_ctx *p)
{
    uint64_t at = pos;
    for (int wrapped = 0;;) {
        uint64_t next;
        int rc = keyspace_scan(x->ks, x->db, at, 16, pick_one, p, &next);
        if (rc == 1)
            return 0;
        if (rc != 0)
            return -1;
        if (next == 0) {
            if (wrapped++ || pos == 0)
                return 0;
            next = 0;
        }
        at = next;
    }
}

/* dbRandomKey(): a key from a random position; expired keys are passed
 * over, up to 100 tries, after which a replica returns an expired one
 * (the master is the one that deletes it). */
static int cmd_randomkey(server_ctx *x)
{
    pick_ctx p = {0};
    if (keyspace_dbsize(x->ks, x->db) == 0)
        return reply_null(x->out);
    for (int tries = 0; tries < 100; tries++) {
        if (pick_from(x, server_rand(x), &p) != 0)
            return -1;
        if (p.key == NULL || !value_is_expired(p.v, x->now_ms))
            break;
    }
    if (p.key == NULL)
        return reply_null(x->out);
    return reply_bulk(x->out, p.key, p.klen);
}

/* ---- the table ------------------------------------------------------------ */

#define R SERVER_CMD_READ
#define F SERVER_CMD_FAST

const server_command server_cmds_keys[] = {
    {.name = "exists", .arity = -2, .flags = R | F, .fn = cmd_exists,
     .first_key = 1, .last_key = -1, .key_step = 1, .group = "keyspace",
     .since = "1.0.0", .summary = "Determine if a key exists"},
    {.name = "touch", .arity = -2, .flags = R | F, .fn = cmd_exists,
     .first_key = 1, .last_key = -1, .key_step = 1, .group = "keyspace",
     .since = "3.2.1", .summary = "Alters the last access time of a "
     "key(s). Returns the number of existing keys specified."},
    {.name = "type", .arity = 2, .flags = R | F, .fn = cmd_type,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "keyspace",
     .since = "1.0.0", .summary = "Determine the type stored at key"},
    {.name = "ttl", .arity = 2, .flags = R | F, .fn = cmd_ttl,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "keyspace",
     .since = "1.0.0", .summary = "Get the time to live for a key in "
     "seconds"},
    {.name = "pttl", .arity = 2, .flags = R | F, .fn = cmd_pttl,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "keyspace",
     .since = "2.6.0", .summary = "Get the time to live for a key in "
     "milliseconds"},
    {.name = "expiretime", .arity = 2, .flags = R | F, .fn = cmd_expiretime,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "keyspace",
     .since = "7.0.0", .summary = "Get the expiration Unix timestamp for a "
     "key"},
    {.name = "pexpiretime", .arity = 2, .flags = R | F,
     .fn = cmd_pexpiretime, .first_key = 1, .last_key = 1, .key_step = 1,
     .group = "keyspace", .since = "7.0.0", .summary = "Get the expiration "
     "Unix timestamp for a key in milliseconds"},
    {.name = "dbsize", .arity = 1, .flags = R | F, .fn = cmd_dbsize,
     .group = "server", .since = "1.0.0", .summary = "Return the number of "
     "keys in the selected database"},
    {.name = "keys", .arity = 2, .flags = R | SERVER_CMD_UNORDERED,
     .fn = cmd_keys, .group = "keyspace", .since = "1.0.0",
     .summary = "Find all keys matching the given pattern"},
    {.name = "scan", .arity = -2, .flags = R | SERVER_CMD_RANDOM,
     .fn = cmd_scan, .group = "keyspace", .since = "2.8.0",
     .summary = "Incrementally iterate the keys space"},
    {.name = "dump", .arity = 2, .flags = R, .fn = server_dump_cmd,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "keyspace",
     .since = "2.6.0", .summary = "Return a serialized version of the value "
     "stored at the specified key."},
    {.name = "randomkey", .arity = 1, .flags = R | SERVER_CMD_RANDOM,
     .fn = cmd_randomkey, .group = "keyspace", .since = "1.0.0",
     .summary = "Return a random key from the keyspace"},
    {.name = "object", .arity = -2, .flags = R, .group = "keyspace",
     .since = "2.2.3", .summary = "A container for object introspection "
     "commands", .subcommands = server_object_subcommands},
    {.name = "memory", .arity = -2, .flags = R, .group = "server",
     .since = "4.0.0", .summary = "A container for memory diagnostics "
     "commands", .subcommands = server_memory_subcommands},
    {.name = NULL},
};
