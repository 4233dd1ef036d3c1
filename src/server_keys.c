/* server_keys.c - read commands of one family: the keyspace: EXISTS, TYPE, TTL, SCAN, OBJECT, ....
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
 * OBJECT ENCODING answers what Redis 7.0 would for the same data (the
 * function is server_object_encoding(), server_object.h, for the other
 * introspection commands): strings
 * "int" (a decimal integer of at most 20 bytes), "embstr" (at most 44
 * bytes) or "raw" (a string APPEND or SETRANGE made is "raw" in Redis
 * however short: the value does not remember how it was made); lists are
 * always "quicklist" in 7.0; sets "intset" (integers only, at most 512) or
 * "hashtable" (7.0 has no listpack sets); hashes "listpack" up to 512
 * fields of at most 64 bytes (names and values), sorted sets up to 128
 * members of at most 64 bytes, else "hashtable" and "skiplist".  Redis
 * never converts back, so a hash that grew past a limit and shrank again
 * is still "hashtable" there and "listpack" here: the value does not
 * remember its history.  OBJECT FREQ and IDLETIME answer as Redis does under the
 * default maxmemory-policy (noeviction): FREQ is an error, IDLETIME the
 * idle time, here 0, since a replica's reads keep no access clock.
 * REFCOUNT is 2147483647 for the integers 0..9999 Redis shares, else 1.
 *
 * DUMP writes the plain RDB forms (dump_payload_write.c): byte-equal to
 * Redis's payload for strings of at most 20 bytes and integers, and a
 * payload RESTORE turns into the same value for the other strings, lists,
 * sets, hashes and sorted sets; a stream is refused with an error.
 *
 * MEMORY USAGE is our own figure, not Redis's: the key's bytes, a 48-byte
 * store entry and value_bytes() (the value's header and whole payload,
 * O(n) in its elements; SAMPLES is parsed and checked as Redis does, but
 * every element is counted).
 */
#include "server_cmd.h"
#include "server_object.h"

#include "alloc.h"
#include "dump_payload.h"
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

/* ---- OBJECT ---------------------------------------------------------------- */

/* Redis's string2l(): a decimal long with no sign but '-', no leading
 * zero, no space, at most 20 bytes: what tryObjectEncoding() makes "int". */
static bool str_is_long(const value *v, long long *out)
{
    size_t n = value_str_len(v);
    char buf[24];
    if (n == 0 || n > 20)
        return false;
    value_str_read(v, 0, buf, n);
    buf[n] = '\0';
    size_t i = buf[0] == '-';
    if (i == n || (buf[i] == '0' && n > i + 1) || (buf[0] == '-' && buf[1] == '0'))
        return false;
    for (size_t j = i; j < n; j++)
        if (buf[j] < '0' || buf[j] > '9')
            return false;
    char *end;
    errno = 0;
    long long ll = strtoll(buf, &end, 10);
    if (errno == ERANGE)
        return false;
    *out = ll;
    return true;
}

/* Redis 7.0.15's compiled defaults (redis/redis src/config.c; its
 * redis.conf says 128 for hashes, the built-in default is 512). */
#define HASH_MAX_LISTPACK_ENTRIES 512
#define HASH_MAX_LISTPACK_VALUE 64
#define ZSET_MAX_LISTPACK_ENTRIES 128
#define ZSET_MAX_LISTPACK_VALUE 64

/* Would Redis keep this hash as a listpack?  O(1) above the entry limit,
 * else at most 512 fields to look at. */
static bool hash_is_small(const phash *h)
{
    size_t n = phash_len(h);
    if (n > HASH_MAX_LISTPACK_ENTRIES)
        return false;
    for (size_t i = 0; i < n; i++) {
        const phash_field *f = phash_nth(h, i);
        size_t fl, vl;
        phash_field_name(f, &fl);
        phash_field_value(f, &vl);
        if (fl > HASH_MAX_LISTPACK_VALUE || vl > HASH_MAX_LISTPACK_VALUE)
            return false;
    }
    return true;
}

/* Would Redis keep this sorted set as a listpack? */
static bool zset_is_small(const pzset *z)
{
    size_t n = pzset_len(z);
    if (n > ZSET_MAX_LISTPACK_ENTRIES)
        return false;
    for (size_t i = 0; i < n; i++) {
        size_t ml;
        pzset_entry_member(pzset_at(z, i), &ml);
        if (ml > ZSET_MAX_LISTPACK_VALUE)
            return false;
    }
    return true;
}

const char *server_object_encoding(const value *v)
{
    long long ll;
    switch ((value_type)v->type) {
    case VALUE_STRING:
        if (str_is_long(v, &ll))
            return "int";
        return value_str_len(v) <= 44 ? "embstr" : "raw";
    case VALUE_LIST:
        return "quicklist"; /* 7.0 keeps every list in a quicklist */
    case VALUE_SET: {
        const char *e = pset_encoding(value_as_set(v));
        return strcmp(e, "intset") == 0 ? "intset" : "hashtable";
    }
    case VALUE_HASH:
        return hash_is_small(value_as_hash(v)) ? "listpack" : "hashtable";
    case VALUE_ZSET:
        return zset_is_small(value_as_zset(v)) ? "listpack" : "skiplist";
    case VALUE_STREAM:
        return "stream";
    default:
        return "raw"; /* a module value: Redis's OBJ_ENCODING_RAW */
    }
}

/* objectCommandLookupOrReply(): the value, or the null reply. */
static int object_lookup(server_ctx *x, const value **v)
{
    SERVER_TRY(server_lookup(x, 2, -1, v));
    if (*v == NULL)
        return reply_null(x->out) == 0 ? SERVER_REPLIED : SERVER_NOMEM;
    return SERVER_OK;
}

static int cmd_object_encoding(server_ctx *x)
{
    const value *v;
    SERVER_TRY(object_lookup(x, &v));
    const char *e = server_object_encoding(v);
    return reply_bulk(x->out, e, strlen(e));
}

static int cmd_object_refcount(server_ctx *x)
{
    const value *v;
    long long ll;
    SERVER_TRY(object_lookup(x, &v));
    bool shared = v->type == VALUE_STRING && str_is_long(v, &ll) &&
                  ll >= 0 && ll < 10000; /* OBJ_SHARED_INTEGERS */
    return reply_integer(x->out, shared ? INT_MAX : 1);
}

static int cmd_object_idletime(server_ctx *x)
{
    const value *v;
    SERVER_TRY(object_lookup(x, &v));
    return reply_integer(x->out, 0);
}

static int cmd_object_freq(server_ctx *x)
{
    const value *v;
    SERVER_TRY(object_lookup(x, &v));
    SERVER_TRY(server_error(x, "ERR An LFU maxmemory policy is not "
                            "selected, access frequency not tracked. "
                            "Please note that when switching between "
                            "policies at runtime LRU and LFU data will "
                            "take some time to adjust."));
    return 0;
}

/* addReplyHelp(): a header naming the command, the lines, HELP. */
static int reply_help(server_ctx *x, const char *cmd, const char *const *l)
{
    size_t n = 0;
    while (l[n] != NULL)
        n++;
    char head[96];
    snprintf(head, sizeof head,
             "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
             cmd);
    if (reply_array(x->out, n + 3) != 0 || reply_simple(x->out, head) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (reply_simple(x->out, l[i]) != 0)
            return -1;
    if (reply_simple(x->out, "HELP") != 0 ||
        reply_simple(x->out, "    Prints this help.") != 0)
        return -1;
    return 0;
}

static int cmd_object_help(server_ctx *x)
{
    static const char *const help[] = {
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to "
        "store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned "
        "integer is",
        "    proportional to the logarithm of the recent access frequency "
        "of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated "
        "number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with "
        "the specified",
        "    <key>.",
        NULL,
    };
    return reply_help(x, "OBJECT", help);
}

/* ---- MEMORY USAGE ------------------------------------------------------------ */

/** What MEMORY USAGE adds for the store's entry of a key. */
#define MEMORY_ENTRY_BYTES 48

static int cmd_memory_usage(server_ctx *x)
{
    for (size_t j = 3; j < x->argc; j++) {
        if (server_arg_is(x, j, "samples") && j + 1 < x->argc) {
            long long samples;
            SERVER_TRY(server_arg_ll(x, j + 1, &samples));
            if (samples < 0)
                SERVER_TRY(server_syntax_error(x));
            j++;
        } else {
            SERVER_TRY(server_syntax_error(x));
        }
    }
    /* Redis finds the entry without the expiry check (dictFind). */
    const value *v = keyspace_get(x->ks, x->db, x->argv[2].str,
                                  x->argv[2].len);
    if (v == NULL)
        return reply_null(x->out);
    size_t bytes = x->argv[2].len + MEMORY_ENTRY_BYTES + value_bytes(v);
    return reply_integer(x->out, (int64_t)bytes);
}

static int cmd_memory_help(server_ctx *x)
{
    static const char *const help[] = {
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested "
        "values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        NULL,
    };
    return reply_help(x, "MEMORY", help);
}

/* ---- DUMP ---------------------------------------------------------------- */

/* DUMP key: the payload (dump_payload_write.c), or nil for a missing key.
 * A stream is refused with an error naming it: its payload is not
 * written by this replica. */
static int cmd_dump(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, -1, &v));
    if (v == NULL)
        return reply_null(x->out);
    unsigned char *p;
    size_t n;
    dump_payload_status st = dump_payload_encode(v, &p, &n);
    if (st == DUMP_PAYLOAD_NOMEM)
        return -1;
    if (st != DUMP_PAYLOAD_OK) {
        SERVER_TRY(server_error(x, "ERR DUMP of a %s value is not supported "
                                "by this replica",
                                value_type_name(v->type)));
        return 0;
    }
    int rc = reply_bulk(x->out, p, n);
    free(p);
    return rc;
}

/* ---- the table ------------------------------------------------------------ */

#define R SERVER_CMD_READ
#define F SERVER_CMD_FAST

static const server_command object_cmds[] = {
    {.name = "encoding", .arity = 3, .flags = R, .fn = cmd_object_encoding,
     .first_key = 2, .last_key = 2, .key_step = 1, .group = "keyspace",
     .since = "2.2.3", .summary = "Inspect the internal encoding of a Redis "
     "object"},
    {.name = "freq", .arity = 3, .flags = R, .fn = cmd_object_freq,
     .first_key = 2, .last_key = 2, .key_step = 1, .group = "keyspace",
     .since = "4.0.0", .summary = "Get the logarithmic access frequency "
     "counter of a Redis object"},
    {.name = "help", .arity = 2, .flags = SERVER_CMD_LOADING,
     .fn = cmd_object_help, .group = "keyspace", .since = "6.2.0",
     .summary = "Show helpful text about the different subcommands"},
    {.name = "idletime", .arity = 3, .flags = R, .fn = cmd_object_idletime,
     .first_key = 2, .last_key = 2, .key_step = 1, .group = "keyspace",
     .since = "2.2.3", .summary = "Get the time since a Redis object was "
     "last accessed"},
    {.name = "refcount", .arity = 3, .flags = R, .fn = cmd_object_refcount,
     .first_key = 2, .last_key = 2, .key_step = 1, .group = "keyspace",
     .since = "2.2.3", .summary = "Get the number of references to the "
     "value of the key"},
    {.name = NULL},
};

static const server_command memory_cmds[] = {
    {.name = "help", .arity = 2, .flags = SERVER_CMD_LOADING,
     .fn = cmd_memory_help, .group = "server", .since = "4.0.0",
     .summary = "Show helpful text about the different subcommands"},
    {.name = "usage", .arity = -3, .flags = R, .fn = cmd_memory_usage,
     .first_key = 2, .last_key = 2, .key_step = 1, .group = "server",
     .since = "4.0.0", .summary = "Estimate the memory usage of a key"},
    {.name = NULL},
};

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
    {.name = "dump", .arity = 2, .flags = R, .fn = cmd_dump,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "keyspace",
     .since = "2.6.0", .summary = "Return a serialized version of the value "
     "stored at the specified key."},
    {.name = "randomkey", .arity = 1, .flags = R | SERVER_CMD_RANDOM,
     .fn = cmd_randomkey, .group = "keyspace", .since = "1.0.0",
     .summary = "Return a random key from the keyspace"},
    {.name = "object", .arity = -2, .flags = R, .group = "keyspace",
     .since = "2.2.3", .summary = "A container for object introspection "
     "commands", .subcommands = object_cmds},
    {.name = "memory", .arity = -2, .flags = R, .group = "server",
     .since = "4.0.0", .summary = "A container for memory diagnostics "
     "commands", .subcommands = memory_cmds},
    {.name = NULL},
};
