/* ch09_keys.c - chapter 9: DEL, RENAME, COPY, MOVE, the EXPIRE family and SORT against a real redis-server.
 *
 * The first tests check value_fork(), which COPY, RENAME and MOVE use
 * when the source key holds a transient of the open batch: the fork and
 * the transient must never see each other's later edits.  The others run
 * through the oracle (tests/util/oracle.h), in both of its modes: every
 * option and every error text of each command, scripted, then seeded
 * random sequences, each ending with oracle_check() (the server's SAVE
 * loaded into a fresh keyspace must equal ours).  Keys are created with
 * RESTORE of payloads that a second, private redis-server DUMPs, so the
 * tests need no other command family.
 */
#include "value.h"

#include "cmd.h"
#include "oracle.h"
#include "redis_server.h"
#include "resp_client.h"
#include "test_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void list_is(const value *v, const char *const *want, size_t n)
{
    const plist *l = value_as_list(v);
    ck_assert_uint_eq(plist_len(l), n);
    for (size_t i = 0; i < n; i++) {
        const velem *e = plist_get(l, i);
        ck_assert_bytes_eq(e->bytes, e->len, want[i], strlen(want[i]));
    }
}

START_TEST(fork_separates_transient_and_copy)
{
    value *t = value_new_collection(VALUE_LIST, 1234);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(value_list_push(t, "a", 1), 0);
    ck_assert_int_eq(value_list_push(t, "b", 1), 0);
    value *copy = NULL;
    ck_assert_int_eq(value_fork(t, &copy), 0);
    ck_assert(value_is_transient(t));
    ck_assert(!value_is_transient(copy));
    ck_assert_int_eq(copy->expire_ms, 1234);
    /* Later edits of the transient do not reach the copy... */
    ck_assert_int_eq(value_list_push(t, "c", 1), 0);
    plist *pl = value_edit_list(t);
    ck_assert_int_eq(plist_set(pl, 0, "A", 1, &pl), 0);
    static const char *const two[] = {"a", "b"};
    static const char *const three[] = {"A", "b", "c"};
    list_is(copy, two, 2);
    list_is(t, three, 3);
    /* ...and an edit of the copy does not reach the transient. */
    value *e = value_edit(copy);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(value_list_push(e, "z", 1), 0);
    ck_assert_int_eq(value_seal(e), 0);
    static const char *const withz[] = {"a", "b", "z"};
    list_is(e, withz, 3);
    list_is(copy, two, 2);
    list_is(t, three, 3);
    /* A version and a string cannot be forked. */
    value *v2;
    errno = 0;
    ck_assert_int_eq(value_fork(copy, &v2), -1);
    ck_assert_int_eq(errno, EINVAL);
    value *s = value_new_string("x", 1, VALUE_NO_EXPIRY);
    ck_assert_int_eq(value_fork(s, &v2), -1);
    value_free(s);
    ck_assert_int_eq(value_seal(t), 0);
    value_free(t);
    value_free(copy);
    value_free(e);
}
END_TEST

/* Every collection type forks. */
START_TEST(fork_every_type)
{
    value *t[4] = {value_new_collection(VALUE_SET, VALUE_NO_EXPIRY),
                   value_new_collection(VALUE_HASH, VALUE_NO_EXPIRY),
                   value_new_collection(VALUE_ZSET, VALUE_NO_EXPIRY),
                   value_new_collection(VALUE_STREAM, VALUE_NO_EXPIRY)};
    ck_assert_int_eq(value_set_add(t[0], "m", 1), 1);
    ck_assert_int_eq(value_hash_add(t[1], "f", 1, "v", 1, VALUE_NO_EXPIRY), 1);
    ck_assert_int_eq(value_zset_add(t[2], "m", 1, 2.5), 1);
    for (int i = 0; i < 4; i++) {
        value *c;
        ck_assert_int_eq(value_fork(t[i], &c), 0);
        ck_assert_int_eq(c->type, t[i]->type);
        ck_assert_uint_eq(value_count(c), value_count(t[i]));
        value_free(c);
    }
    ck_assert_int_eq(value_set_add(t[0], "n", 1), 1);
    ck_assert_uint_eq(value_count(t[0]), 2);
    for (int i = 0; i < 4; i++) {
        value_seal(t[i]);
        value_free(t[i]);
    }
}
END_TEST

/* --- payloads: values made on a private server, DUMPed ------------------- */

/* A payload server: commands of any family run there, and DUMP gives
 * the bytes RESTORE needs. */
typedef struct pool {
    redis_server rs;
    resp_client c;
} pool;

typedef struct payload {
    char *p;
    size_t len;
} payload;

static void pool_start(pool *p)
{
    char errbuf[1024];
    ck_assert_msg(redis_server_start(&p->rs, NULL, errbuf, sizeof errbuf) == 0,
                  "cannot start redis-server: %s", errbuf);
    ck_assert_msg(resp_client_open(&p->c, p->rs.port) == 0, "%s", p->c.err);
}

static void pool_stop(pool *p)
{
    resp_client_close(&p->c);
    redis_server_stop(&p->rs);
}

/* Run a command (C strings, NULL-terminated) on the payload server. */
#define POOL(p, ...)                                                       \
    do {                                                                   \
        resp_value r_;                                                     \
        ck_assert_int_eq(resp_client_calll(&(p)->c, &r_, __VA_ARGS__,      \
                                           NULL), 0);                      \
        ck_assert_msg(r_.type != RESP_ERROR, "payload server: %s", r_.str);\
        resp_value_clear(&r_);                                             \
    } while (0)

static payload pool_dump(pool *p, const char *key)
{
    resp_value r;
    ck_assert_int_eq(resp_client_calll(&p->c, &r, "DUMP", key, NULL), 0);
    ck_assert_msg(r.type == RESP_BULK, "DUMP %s: no such key", key);
    payload d = {malloc(r.len), r.len};
    ck_assert_ptr_nonnull(d.p);
    memcpy(d.p, r.str, r.len);
    resp_value_clear(&r);
    return d;
}

/* RESTORE key 0 payload REPLACE, through the oracle. */
static void put(oracle *o, const char *key, const payload *d)
{
    const char *argv[] = {"RESTORE", key, "0", d->p, "REPLACE"};
    size_t lens[] = {7, strlen(key), 1, d->len, 7};
    oracle_cmdv(o, 5, argv, lens);
}

/* The values the scripted tests start from. */
enum { P_STR, P_INT, P_LIST, P_SET, P_INTSET, P_HASH, P_ZSET, P_STREAM,
       P_NUMS, P_WORDS, P_N };
static payload pl[P_N];

static void make_payloads(pool *p)
{
    POOL(p, "SET", "str", "hello");
    POOL(p, "SET", "int", "42");
    POOL(p, "RPUSH", "list", "a", "b", "c", "d");
    POOL(p, "SADD", "set", "x", "y", "z");
    POOL(p, "SADD", "intset", "5", "3", "9", "1", "-4");
    POOL(p, "HSET", "hash", "f", "1", "g", "two");
    POOL(p, "ZADD", "zset", "3", "a", "1", "b", "2", "c", "2", "d");
    POOL(p, "XADD", "stream", "1-1", "f", "v");
    POOL(p, "XGROUP", "CREATE", "stream", "g", "0");
    POOL(p, "RPUSH", "nums", "3", "1", "2", "10", "-5", "2.5", "1e1", " 7",
         "0x10", "", "2");
    POOL(p, "RPUSH", "words", "banana", "apple", "cherry", "apple", "Apple",
         "b");
    static const char *const names[P_N] = {"str", "int", "list", "set",
        "intset", "hash", "zset", "stream", "nums", "words"};
    for (int i = 0; i < P_N; i++)
        pl[i] = pool_dump(p, names[i]);
}

static void free_payloads(void)
{
    for (int i = 0; i < P_N; i++) {
        free(pl[i].p);
        pl[i].p = NULL;
    }
}

static const unsigned modes[] = {ORACLE_DIRECT, ORACLE_AOF};

/* A command both sides must refuse with the same text (in AOF mode the
 * applier is asked after it has applied the AOF so far). */
#define REFUSED(o, ...) oracle_expect_error((o), __VA_ARGS__, NULL)
#define CMD(o, ...) oracle_cmd((o), __VA_ARGS__, NULL)

/* A time far ahead, in ms and in s, as text. */
static char far_ms[32], far_s[32];
static void set_far(void)
{
    snprintf(far_ms, sizeof far_ms, "%" PRId64,
             value_now_ms() + INT64_C(86400000) * 365);
    snprintf(far_s, sizeof far_s, "%" PRId64,
             value_now_ms() / 1000 + 86400 * 400);
}

/* --- keys that hold a transient of the open batch ---------------------------- */

static cmd_status apply(cmd_applier *a, const char *arg0, ...)
{
    const char *argv[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *s = arg0; s != NULL && n < 16; s = va_arg(ap, const char *))
        argv[n++] = s;
    va_end(ap);
    return cmd_apply_argv(a, n, argv, NULL);
}

static void list_at(keyspace *ks, unsigned db, const char *key,
                    const char *const *want, size_t n)
{
    keyspace_reader *r = keyspace_reader_open(ks);
    ck_assert_ptr_nonnull(r);
    keyspace_read_begin(r);
    const value *v = keyspace_get(r, db, key, strlen(key));
    if (n == 0) {
        ck_assert_msg(v == NULL, "db %u key %s should be missing", db, key);
    } else {
        ck_assert_msg(v != NULL, "db %u key %s missing", db, key);
        list_is(v, want, n);
    }
    keyspace_read_end(r);
    keyspace_reader_close(r);
}

/* COPY, RENAME and MOVE of a key whose list the batch is editing: the
 * value another key gets is forked, so later edits of the transient stay
 * under their own key. */
START_TEST(copy_rename_move_a_transient)
{
    pool p;
    pool_start(&p);
    POOL(&p, "RPUSH", "l", "a", "b");
    payload d = pool_dump(&p, "l");
    pool_stop(&p);
    keyspace *ks = keyspace_create(store_variant(_i ? "hamt" : "cow"), 16);
    ck_assert_ptr_nonnull(ks);
    cmd_applier *a = cmd_applier_create(ks, NULL);
    ck_assert_ptr_nonnull(a);
    const char *rv[] = {"RESTORE", "l", "0", d.p};
    size_t rl[] = {7, 1, 1, d.len};
    ck_assert_int_eq(cmd_apply_argv(a, 4, rv, rl), CMD_APPLIED);
    ck_assert_int_eq(cmd_applier_flush(a), 0);

    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    value *t = keyspace_edit(ks, 0, "l", 1);
    ck_assert_ptr_nonnull(t);
    ck_assert(value_is_transient(t));
    ck_assert_int_eq(value_list_push(t, "c", 1), 0);
    ck_assert_int_eq(apply(a, "COPY", "l", "copy", NULL), CMD_APPLIED);
    ck_assert_int_eq(value_list_push(keyspace_edit(ks, 0, "l", 1), "d", 1),
                     0);
    ck_assert_int_eq(apply(a, "COPY", "l", "other", "DB", "2", NULL),
                     CMD_APPLIED);
    ck_assert_int_eq(apply(a, "RENAME", "l", "renamed", NULL), CMD_APPLIED);
    ck_assert_int_eq(value_list_push(keyspace_edit(ks, 2, "other", 5), "e",
                                     1), 0);
    ck_assert_int_eq(value_list_push(keyspace_edit(ks, 0, "renamed", 7), "f",
                                     1), 0);
    ck_assert_int_eq(apply(a, "MOVE", "renamed", "1", NULL), CMD_APPLIED);
    ck_assert_int_eq(value_list_push(keyspace_edit(ks, 1, "renamed", 7), "g",
                                     1), 0);
    ck_assert_int_eq(cmd_applier_flush(a), 0);

    static const char *const c3[] = {"a", "b", "c"};
    static const char *const o5[] = {"a", "b", "c", "d", "e"};
    static const char *const r6[] = {"a", "b", "c", "d", "f", "g"};
    list_at(ks, 0, "copy", c3, 3);
    list_at(ks, 2, "other", o5, 5);
    list_at(ks, 1, "renamed", r6, 6);
    list_at(ks, 0, "l", NULL, 0);
    list_at(ks, 0, "renamed", NULL, 0);
    cmd_applier_destroy(a);
    keyspace_destroy(ks);
    free(d.p);
}
END_TEST

/* Two COPYs onto one key in one batch (and a COPY REPLACE between keys
 * that already share the value): each key holds one reference, no more,
 * so the value is freed with its last key. */
START_TEST(copy_twice_in_one_batch)
{
    pool p;
    pool_start(&p);
    POOL(&p, "ZADD", "z", "1", "a", "2", "b");
    payload d = pool_dump(&p, "z");
    pool_stop(&p);
    keyspace *ks = keyspace_create(store_variant("cow"), 16);
    cmd_applier *a = cmd_applier_create(ks, NULL);
    const char *rv[] = {"RESTORE", "z", "0", d.p};
    size_t rl[] = {7, 1, 1, d.len};
    ck_assert_int_eq(cmd_apply_argv(a, 4, rv, rl), CMD_APPLIED);
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    ck_assert_int_eq(apply(a, "COPY", "z", "z2", "DB", "1", NULL),
                     CMD_APPLIED);
    ck_assert_int_eq(apply(a, "COPY", "z", "z2", "DB", "1", "REPLACE", NULL),
                     CMD_APPLIED);
    ck_assert_int_eq(apply(a, "COPY", "z", "z3", NULL), CMD_APPLIED);
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    ck_assert_int_eq(apply(a, "COPY", "z", "z3", "REPLACE", NULL),
                     CMD_APPLIED);
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    keyspace_reader *r = keyspace_reader_open(ks);
    keyspace_read_begin(r);
    const value *v = keyspace_get(r, 0, "z", 1);
    ck_assert_ptr_nonnull(v);
    ck_assert_ptr_eq(keyspace_get(r, 1, "z2", 2), v);
    ck_assert_ptr_eq(keyspace_get(r, 0, "z3", 2), v);
    ck_assert_uint_eq(v->refs, 3);
    keyspace_read_end(r);
    keyspace_reader_close(r);
    cmd_applier_destroy(a);
    keyspace_destroy(ks);
    free(d.p);
}
END_TEST

/* --- DEL, RENAME, COPY, MOVE ------------------------------------------------------ */

static void scripted_keys(unsigned mode)
{
    set_far();
    oracle *o = oracle_start("cow", mode);
    put(o, "s", &pl[P_STR]);
    put(o, "n", &pl[P_INT]);
    put(o, "l", &pl[P_LIST]);
    put(o, "h", &pl[P_HASH]);
    put(o, "z", &pl[P_ZSET]);
    put(o, "x", &pl[P_STREAM]);
    put(o, "set", &pl[P_SET]);
    put(o, "iset", &pl[P_INTSET]);
    put(o, "d1", &pl[P_STR]);
    put(o, "d2", &pl[P_STR]);
    put(o, "d3", &pl[P_STR]);

    /* DEL and UNLINK: present, missing, repeated. */
    CMD(o, "DEL", "d1", "nosuch", "d1");
    CMD(o, "UNLINK", "d2", "d3", "nosuch");
    CMD(o, "DEL", "nosuch");

    /* RENAME: a missing source is an error even onto itself. */
    REFUSED(o, "RENAME", "nosuch", "other");
    REFUSED(o, "RENAME", "nosuch", "nosuch");
    REFUSED(o, "RENAMENX", "nosuch", "other");
    CMD(o, "RENAME", "s", "s");
    CMD(o, "RENAMENX", "s", "s");
    CMD(o, "PEXPIREAT", "s", far_ms);
    CMD(o, "RENAME", "s", "s2");      /* the TTL moves */
    CMD(o, "RENAMENX", "s2", "l");    /* 0: l exists */
    CMD(o, "RENAME", "l", "l2");
    CMD(o, "RENAME", "s2", "n");      /* over a key without TTL */
    CMD(o, "RENAMENX", "l2", "l");
    CMD(o, "RENAME", "x", "stream2");

    /* COPY */
    REFUSED(o, "COPY", "l", "l");
    REFUSED(o, "COPY", "l", "l", "DB", "0");
    REFUSED(o, "COPY", "l", "c", "DB", "16");
    REFUSED(o, "COPY", "l", "c", "DB", "-1");
    REFUSED(o, "COPY", "l", "c", "DB", "abc");
    REFUSED(o, "COPY", "l", "c", "DB", "4294967296");
    REFUSED(o, "COPY", "l", "c", "DB");
    REFUSED(o, "COPY", "l", "c", "REPLACE", "FOO");
    REFUSED(o, "COPY", "l", "c", "DB", "x", "FOO"); /* the number first */
    REFUSED(o, "COPY", "nosuch", "nosuch");          /* before the lookup */
    CMD(o, "COPY", "nosuch", "c");
    CMD(o, "COPY", "l", "l", "DB", "1");
    CMD(o, "COPY", "l", "h");                    /* 0: h exists */
    CMD(o, "COPY", "n", "h", "replace");         /* TTL copied too */
    CMD(o, "COPY", "z", "z2", "DB", "2", "DB", "1");
    CMD(o, "COPY", "z", "z2", "DB", "1", "REPLACE");
    CMD(o, "COPY", "stream2", "sc");
    CMD(o, "COPY", "set", "set2", "DB", "3");
    CMD(o, "COPY", "iset", "iset2");
    CMD(o, "PEXPIREAT", "iset2", far_ms);        /* the copy alone */

    /* MOVE */
    REFUSED(o, "MOVE", "l", "0");
    REFUSED(o, "MOVE", "l", "16");
    REFUSED(o, "MOVE", "l", "-1");
    REFUSED(o, "MOVE", "l", "one");
    REFUSED(o, "MOVE", "nosuch", "0");  /* same db before the lookup */
    CMD(o, "MOVE", "nosuch", "1");
    CMD(o, "MOVE", "l", "1");           /* 0: l exists in db 1 */
    CMD(o, "MOVE", "h", "5");           /* with its TTL */
    CMD(o, "MOVE", "iset2", "15");
    oracle_check(o);
    oracle_stop(o);
}

START_TEST(keys_scripted)
{
    pool p;
    pool_start(&p);
    make_payloads(&p);
    scripted_keys(modes[_i]);
    free_payloads();
    pool_stop(&p);
}
END_TEST

/* --- the EXPIRE family --------------------------------------------------------- */

static void scripted_expire(unsigned mode)
{
    set_far();
    oracle *o = oracle_start("hamt", mode);
    put(o, "a", &pl[P_STR]);
    put(o, "b", &pl[P_LIST]);
    put(o, "c", &pl[P_HASH]);
    put(o, "d", &pl[P_SET]);
    put(o, "e", &pl[P_ZSET]);
    put(o, "f", &pl[P_STREAM]);
    put(o, "g", &pl[P_STR]);
    put(o, "h", &pl[P_STR]);

    /* The options, their combinations, their order. */
    static const char *const cmds[] = {"EXPIRE", "PEXPIRE", "EXPIREAT",
                                       "PEXPIREAT"};
    for (int i = 0; i < 4; i++) {
        REFUSED(o, cmds[i], "a", "100", "NX", "XX");
        REFUSED(o, cmds[i], "a", "100", "nx", "gt");
        REFUSED(o, cmds[i], "a", "100", "LT", "NX");
        REFUSED(o, cmds[i], "a", "100", "GT", "lt");
        REFUSED(o, cmds[i], "a", "100", "XX", "GT", "LT");
        REFUSED(o, cmds[i], "a", "100", "Foo");
        REFUSED(o, cmds[i], "a", "100", "NX", "Bar");
        REFUSED(o, cmds[i], "a", "abc", "NX", "XX"); /* flags first */
        REFUSED(o, cmds[i], "a", "abc");
        REFUSED(o, cmds[i], "a", "1.5");
        REFUSED(o, cmds[i], "a", " 1");
        REFUSED(o, cmds[i], "a", "99999999999999999999");
        REFUSED(o, cmds[i], "nosuch", "abc");        /* before the lookup */
    }
    /* Overflow, in the unit conversion or the base time addition. */
    REFUSED(o, "EXPIRE", "a", "9223372036854775807");
    REFUSED(o, "EXPIRE", "a", "-9223372036854775808");
    REFUSED(o, "EXPIREAT", "a", "9223372036854776");
    REFUSED(o, "EXPIREAT", "a", "-9223372036854776");
    REFUSED(o, "PEXPIRE", "a", "9223372036854775807");
    REFUSED(o, "EXPIRE", "nosuch", "9223372036854775807");
    CMD(o, "EXPIREAT", "a", "9223372036854775"); /* the largest allowed */
    CMD(o, "PEXPIREAT", "b", "9223372036854775807");
    CMD(o, "PERSIST", "a");
    CMD(o, "PERSIST", "b");

    /* NX, XX, GT, LT against no TTL and a TTL. */
    CMD(o, "EXPIRE", "nosuch", "100");
    CMD(o, "PEXPIREAT", "a", far_ms, "XX");      /* 0: no TTL */
    CMD(o, "PEXPIREAT", "a", far_ms, "GT");      /* 0: none is infinite */
    CMD(o, "EXPIREAT", "a", far_s, "NX");        /* set */
    CMD(o, "EXPIREAT", "a", far_s, "NX");        /* 0: has one */
    CMD(o, "EXPIREAT", "a", far_s, "GT");        /* 0: equal */
    CMD(o, "EXPIREAT", "a", far_s, "LT");        /* 0: equal */
    CMD(o, "PEXPIREAT", "a", far_ms, "XX", "LT"); /* earlier: set */
    CMD(o, "EXPIREAT", "a", far_s, "GT", "XX");  /* later: set */
    CMD(o, "EXPIREAT", "a", far_s, "gt", "gt");  /* 0: equal */
    CMD(o, "PERSIST", "a");
    CMD(o, "PERSIST", "a");                      /* 0: none left */
    CMD(o, "PERSIST", "nosuch");
    CMD(o, "PEXPIREAT", "a", far_ms, "LT");      /* no TTL: LT sets */
    CMD(o, "EXPIRE", "c", "100000");             /* relative forms */
    CMD(o, "PEXPIRE", "d", "100000000");
    CMD(o, "EXPIRE", "c", "50000", "GT");        /* 0 */
    CMD(o, "EXPIRE", "c", "50000", "LT");        /* set */
    CMD(o, "PEXPIRE", "d", "200000000", "XX", "GT");

    /* A time already past deletes the key, whatever its type. */
    CMD(o, "EXPIRE", "e", "-1");
    CMD(o, "PEXPIRE", "f", "0");
    CMD(o, "EXPIREAT", "g", "1");
    CMD(o, "PEXPIREAT", "h", "-5", "LT");        /* no TTL: LT applies */
    CMD(o, "PEXPIREAT", "b", "1", "GT");         /* 0: not greater */
    CMD(o, "EXPIRE", "nosuch", "-1");
    oracle_check(o);
    oracle_stop(o);
}

START_TEST(expire_scripted)
{
    pool p;
    pool_start(&p);
    make_payloads(&p);
    scripted_expire(modes[_i]);
    free_payloads();
    pool_stop(&p);
}
END_TEST

/* --- SORT ... STORE ---------------------------------------------------------------- */

static void scripted_sort(unsigned mode)
{
    oracle *o = oracle_start("cow", mode);
    put(o, "nums", &pl[P_NUMS]);
    put(o, "words", &pl[P_WORDS]);
    put(o, "list", &pl[P_LIST]);
    put(o, "set", &pl[P_SET]);
    put(o, "iset", &pl[P_INTSET]);
    put(o, "zset", &pl[P_ZSET]);
    put(o, "str", &pl[P_STR]);
    put(o, "hash", &pl[P_HASH]);
    /* BY and GET targets: w_<element> strings, h_<element> hashes. */
    static const char *const el[] = {"a", "b", "c", "d", "x", "y", "z",
        "1", "3", "5", "9", "-4", "banana", "apple", "cherry", "Apple"};
    pool p;
    pool_start(&p);
    for (size_t i = 0; i < sizeof el / sizeof *el; i++) {
        char k[64], w[64], f[64];
        snprintf(w, sizeof w, "%d", (int)((i * 7) % 11) - 3);
        snprintf(f, sizeof f, "%c%zu", (char)('q' - (char)(i % 5)), i);
        POOL(&p, "SET", "w", w);
        POOL(&p, "DEL", "h");
        POOL(&p, "HSET", "h", "f", f, "g", el[i]);
        payload dw = pool_dump(&p, "w"), dh = pool_dump(&p, "h");
        snprintf(k, sizeof k, "w_%s", el[i]);
        put(o, k, &dw);
        snprintf(k, sizeof k, "h_%s", el[i]);
        put(o, k, &dh);
        free(dw.p);
        free(dh.p);
    }
    pool_stop(&p);

    CMD(o, "SORT", "nums", "STORE", "out1");
    CMD(o, "SORT", "nums", "DESC", "STORE", "out2");
    CMD(o, "SORT", "nums", "LIMIT", "1", "3", "STORE", "out3");
    CMD(o, "SORT", "nums", "LIMIT", "-5", "2", "DESC", "STORE", "out4");
    CMD(o, "SORT", "nums", "LIMIT", "2", "-1", "STORE", "out5");
    CMD(o, "SORT", "words", "ALPHA", "STORE", "out6");
    CMD(o, "SORT", "words", "alpha", "desc", "limit", "0", "2", "store",
        "out7");
    CMD(o, "SORT", "iset", "STORE", "out8");
    CMD(o, "SORT", "iset", "DESC", "ALPHA", "STORE", "out9");
    CMD(o, "SORT", "set", "ALPHA", "STORE", "out10");
    CMD(o, "SORT", "zset", "ALPHA", "DESC", "STORE", "out11");
    /* BY a constant: native order, LIMIT a range of it; a set ALPHA. */
    CMD(o, "SORT", "words", "BY", "nosort", "STORE", "out12");
    CMD(o, "SORT", "words", "BY", "nosort", "DESC", "LIMIT", "1", "3",
        "STORE", "out13");
    CMD(o, "SORT", "zset", "BY", "nosort", "STORE", "out14");
    CMD(o, "SORT", "zset", "BY", "nosort", "DESC", "LIMIT", "1", "2",
        "STORE", "out15");
    CMD(o, "SORT", "set", "BY", "nosort", "STORE", "out16");
    CMD(o, "SORT", "iset", "BY", "nosort", "DESC", "STORE", "out17");
    CMD(o, "SORT", "list", "BY", "nosort", "LIMIT", "9", "9", "STORE",
        "out18");                                /* empty: nothing stored */
    /* BY patterns: strings, hash fields, missing ones (score 0). */
    CMD(o, "SORT", "list", "BY", "w_*", "STORE", "out19");
    CMD(o, "SORT", "iset", "BY", "w_*", "DESC", "STORE", "out20");
    CMD(o, "SORT", "zset", "BY", "h_*->f", "ALPHA", "STORE", "out21");
    CMD(o, "SORT", "set", "BY", "h_*->f", "ALPHA", "DESC", "LIMIT", "1", "2",
        "STORE", "out22");
    CMD(o, "SORT", "nums", "BY", "w_*", "STORE", "out23");
    CMD(o, "SORT", "words", "BY", "h_*->g", "ALPHA", "STORE", "out24");
    CMD(o, "SORT", "list", "BY", "nosuch_*", "STORE", "out25");
    CMD(o, "SORT", "list", "BY", "h_*->", "STORE", "out26");
    CMD(o, "SORT", "list", "BY", "w_*", "BY", "nosort", "STORE", "out27");
    CMD(o, "SORT", "list", "BY", "nosort", "BY", "w_*", "STORE", "out28");
    /* GET: #, strings, hash fields, missing (empty strings), several. */
    CMD(o, "SORT", "list", "ALPHA", "GET", "#", "GET", "w_*", "GET",
        "h_*->g", "STORE", "out29");
    CMD(o, "SORT", "words", "ALPHA", "GET", "h_*->f", "GET", "nosuch_*",
        "GET", "const", "GET", "h_*->nofield", "STORE", "out30");
    CMD(o, "SORT", "iset", "BY", "h_*->f", "GET", "h_*->g", "ALPHA",
        "LIMIT", "0", "3", "STORE", "out31");
    CMD(o, "SORT", "zset", "BY", "nosort", "GET", "w_*", "DESC", "STORE",
        "out32");
    /* ALPHA BY values that tie (missing, or equal): a list keeps its
     * order, as glibc's stable qsort() keeps it for Redis. */
    CMD(o, "SORT", "words", "BY", "nosuch_*", "ALPHA", "STORE", "out34");
    CMD(o, "SORT", "words", "BY", "w_*", "ALPHA", "DESC", "STORE", "out35");
    CMD(o, "SORT", "nums", "BY", "w_*", "ALPHA", "STORE", "out36");
    /* STORE over a key: replaced, its TTL dropped; onto the source. */
    CMD(o, "PEXPIREAT", "out1", "99999999999999");
    CMD(o, "SORT", "iset", "STORE", "out1");
    CMD(o, "SORT", "nums", "STORE", "nums");
    CMD(o, "SORT", "nosuch", "STORE", "out2");   /* empty: out2 deleted */
    CMD(o, "SORT", "list", "LIMIT", "0", "0", "STORE", "out3");
    CMD(o, "SORT", "list", "LIMIT", "10", "5", "GET", "#", "STORE", "out4");
    CMD(o, "SORT", "list", "ALPHA");             /* a read: no change */
    /* Errors. */
    REFUSED(o, "SORT", "words", "STORE", "out5");
    REFUSED(o, "SORT", "zset", "STORE", "out5");
    REFUSED(o, "SORT", "list", "BY", "h_*->g", "STORE", "out5");
    REFUSED(o, "SORT", "str", "STORE", "out5");
    REFUSED(o, "SORT", "hash", "GET", "#", "STORE", "out5");
    REFUSED(o, "SORT", "list", "FOO");
    REFUSED(o, "SORT", "list", "LIMIT", "1");
    REFUSED(o, "SORT", "list", "LIMIT", "1", "STORE", "out5");
    REFUSED(o, "SORT", "list", "LIMIT", "x", "1");
    REFUSED(o, "SORT", "list", "STORE");
    REFUSED(o, "SORT", "list", "GET");
    REFUSED(o, "SORT", "list", "BY");
    REFUSED(o, "SORT", "str", "FOO");            /* syntax before type */
    oracle_check(o);
    oracle_stop(o);
}

START_TEST(sort_scripted)
{
    pool p;
    pool_start(&p);
    make_payloads(&p);
    pool_stop(&p);
    scripted_sort(modes[_i]);
    free_payloads();
}
END_TEST

/* --- seeded random sequences --------------------------------------------------- */

static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}
static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

static void random_sequence(unsigned mode, uint64_t seed, const char *variant)
{
    rng = seed;
    set_far();
    oracle *o = oracle_start(variant, mode);
    static const char *const keys[] = {"k0", "k1", "k2", "k3", "k4", "k5"};
    static const char *const dbs[] = {"0", "1", "2"};
    static const int sortable[] = {P_LIST, P_SET, P_INTSET, P_ZSET, P_NUMS,
                                   P_WORDS};
    long steps = test_scale(600, 60);
    for (long i = 0; i < steps; i++) {
        const char *a = keys[below(6)], *b = keys[below(6)];
        const char *db = dbs[below(3)];
        char t[32];
        switch (below(14)) {
        case 0:
        case 1:
            put(o, a, &pl[below(P_N)]);
            break;
        case 2:
            CMD(o, below(2) ? "DEL" : "UNLINK", a, b);
            break;
        case 3:
            CMD(o, below(2) ? "RENAME" : "RENAMENX", a, b);
            break;
        case 4:
            if (below(2))
                CMD(o, "COPY", a, b, "DB", db);
            else
                CMD(o, "COPY", a, b, "REPLACE", "DB", db);
            break;
        case 5:
            CMD(o, "MOVE", a, db);
            break;
        case 6:
            CMD(o, "SELECT", db);
            break;
        case 7: {
            static const char *const fl[] = {"NX", "XX", "GT", "LT"};
            snprintf(t, sizeof t, "%" PRId64,
                     value_now_ms() + 86400000 + (int64_t)below(1000) * 1000);
            if (below(2))
                CMD(o, "PEXPIREAT", a, t, fl[below(4)]);
            else
                CMD(o, "PEXPIREAT", a, t);
            break;
        }
        case 8:
            snprintf(t, sizeof t, "%u", 100000 + below(1000) * 100);
            CMD(o, "EXPIRE", a, t);
            break;
        case 9:
            if (below(4) == 0)
                CMD(o, "EXPIRE", a, "-1");
            else
                CMD(o, "PERSIST", a);
            break;
        case 10: {
            /* a sortable value under a, then SORT it into b */
            int k = sortable[below(6)];
            put(o, a, &pl[k]);
            bool alpha = k == P_WORDS || k == P_SET || k == P_ZSET;
            snprintf(t, sizeof t, "%u", below(5));
            if (alpha)
                CMD(o, "SORT", a, "ALPHA", below(2) ? "ASC" : "DESC",
                    "LIMIT", t, "3", "STORE", b);
            else
                CMD(o, "SORT", a, below(2) ? "ASC" : "DESC", "STORE", b);
            break;
        }
        case 11:
            CMD(o, "SORT", a, "BY", "nosort", "STORE", b);
            break;
        case 12:
            CMD(o, "COPY", a, b);
            break;
        default:
            if (below(8) == 0)
                oracle_check(o);
            break;
        }
    }
    oracle_check(o);
    oracle_stop(o);
}

START_TEST(keys_random)
{
    pool p;
    pool_start(&p);
    make_payloads(&p);
    pool_stop(&p);
    random_sequence(modes[_i % 2], 0x5eed0000u + (uint64_t)_i,
                    _i < 2 ? "cow" : "hamt");
    free_payloads();
}
END_TEST

/* Found by the consistency checker (chapter 12): a replica that lags
 * applies a PEXPIREAT after its time, and the master's next commands found
 * the key alive.  Redis's replica keeps the key with its past expiry
 * (checkAlreadyExpired() is false there) and waits for the master's DEL;
 * an applier with cmd_options.replica must too, or it refuses the RENAME
 * that follows (and drops its link) or INCRs a fresh key.  A master's rule
 * (the default) still deletes. */
START_TEST(past_expiry_on_a_replica_keeps_the_key)
{
    for (int replica = 0; replica < 2; replica++) {
        keyspace *ks = keyspace_create(store_variant("hamt"), 16);
        ck_assert_ptr_nonnull(ks);
        cmd_options co = {.replica = replica};
        cmd_applier *a = cmd_applier_create(ks, &co);
        ck_assert_ptr_nonnull(a);
        ck_assert_int_eq(apply(a, "SET", "k", "v", NULL), CMD_APPLIED);
        ck_assert_int_eq(apply(a, "SET", "n", "5", NULL), CMD_APPLIED);
        ck_assert_int_eq(apply(a, "PEXPIREAT", "k", "1", NULL), CMD_APPLIED);
        ck_assert_int_eq(apply(a, "PEXPIREAT", "n", "1", NULL), CMD_APPLIED);
        cmd_status st = apply(a, "RENAME", "k", "k2", NULL);
        ck_assert_msg(st == (replica ? CMD_APPLIED : CMD_FAILED), "replica %d: "
                      "RENAME: %s", replica, cmd_applier_error(a));
        ck_assert_int_eq(apply(a, "INCR", "n", NULL), CMD_APPLIED);
        ck_assert_int_eq(cmd_applier_flush(a), 0);
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        const value *n = keyspace_lookup(ks, 0, "n", 1);
        ck_assert_ptr_nonnull(n);
        char buf[8] = {0};
        value_str_read(n, 0, buf, sizeof buf - 1);
        ck_assert_str_eq(buf, replica ? "6" : "1");
        ck_assert_int_eq(n->expire_ms, replica ? 1 : VALUE_NO_EXPIRY);
        ck_assert(replica ? keyspace_lookup(ks, 0, "k2", 2) != NULL
                          : keyspace_lookup(ks, 0, "k", 1) == NULL);
        keyspace_abort(ks);
        cmd_applier_destroy(a);
        keyspace_destroy(ks);
    }
}
END_TEST

Suite *ch09_keys_suite(void)
{
    Suite *s = suite_create("ch09_keys");
    TCase *tc = test_tcase("keys", 120);
    tcase_add_test(tc, fork_separates_transient_and_copy);
    tcase_add_checked_fixture(tc, NULL, oracle_teardown);
    tcase_add_test(tc, fork_every_type);
    tcase_add_loop_test(tc, copy_rename_move_a_transient, 0, 2);
    tcase_add_test(tc, copy_twice_in_one_batch);
    tcase_add_loop_test(tc, keys_scripted, 0, 2);
    tcase_add_loop_test(tc, expire_scripted, 0, 2);
    tcase_add_test(tc, past_expiry_on_a_replica_keeps_the_key);
    tcase_add_loop_test(tc, sort_scripted, 0, 2);
    tcase_add_loop_test(tc, keys_random, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}
