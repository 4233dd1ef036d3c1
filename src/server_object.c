/* server_object.c - OBJECT, MEMORY USAGE and DUMP: how a key's value is held, measured and serialized.
 * Chapter 11.
 *
 * The keyspace commands about a value's representation rather than its
 * contents (redis/redis src/object.c, src/cluster.c), apart from
 * server_keys.c's commands about keys (EXISTS, TTL, SCAN, ...).  Their
 * subcommand tables are exported (server_object.h) and hang off the
 * keyspace family's table, so COMMAND sees one family.
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
 * remember its history (a sorted set does: pzset_was_tree()).  OBJECT FREQ and IDLETIME answer as Redis does under the
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
 *
 * Thread-safety: as every read handler (server_cmd.h).
 */
#include "server_object.h"

#include "alloc.h"
#include "dump_payload.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
        /* a set that has been a tree stays a skiplist, as in Redis */
        return zset_is_small(value_as_zset(v)) &&
                       !pzset_was_tree(value_as_zset(v))
                   ? "listpack" : "skiplist";
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
int server_dump_cmd(server_ctx *x)
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

/* ---- the subcommand tables ------------------------------------------------ */

#define R SERVER_CMD_READ

const server_command server_object_subcommands[] = {
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

const server_command server_memory_subcommands[] = {
    {.name = "help", .arity = 2, .flags = SERVER_CMD_LOADING,
     .fn = cmd_memory_help, .group = "server", .since = "4.0.0",
     .summary = "Show helpful text about the different subcommands"},
    {.name = "usage", .arity = -3, .flags = R, .fn = cmd_memory_usage,
     .first_key = 2, .last_key = 2, .key_step = 1, .group = "server",
     .since = "4.0.0", .summary = "Estimate the memory usage of a key"},
    {.name = NULL},
};
