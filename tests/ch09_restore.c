/* ch09_restore.c - chapter 9: RESTORE of DUMP payloads a real redis-server wrote.
 *
 * A DUMP payload is one RDB object, the RDB version and a CRC-64.  The
 * first tests decode payloads that redis-server 7.0.15 itself produced
 * with DUMP, for every type and every encoding it writes (strings raw,
 * integer and LZF; quicklists with packed and plain nodes; intsets of
 * each width and hash-table sets; listpack and hash-table hashes and
 * sorted sets; streams with deleted entries, groups, consumers and
 * pending entries), and compare what dump_payload_decode() built with what
 * the server returns for the key.  Then the bad payloads: a wrong CRC, a
 * newer RDB version, a truncated object, a short payload, an unknown
 * type, an empty collection; each must be refused by the server with
 * Redis's reply and by the decoder with the same class of failure and a
 * reason naming what is wrong.  Last, RESTORE itself through the oracle
 * (tests/util/oracle.h) in both modes: every payload above, every option
 * and error text in Redis's order of checks, past TTLs, and a seeded
 * random sequence, each ending with oracle_check().
 */
#include "dump_payload.h"

#include "crc64.h"
#include "oracle.h"
#include "redis_server.h"
#include "resp_client.h"
#include "test_util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A payload: bytes and length (malloc'd). */
typedef struct payload {
    unsigned char *p;
    size_t len;
} payload;

static void start(redis_server *rs, resp_client *c)
{
    char errbuf[1024];
    ck_assert_msg(redis_server_start(rs, NULL, errbuf, sizeof errbuf) == 0,
                  "cannot start redis-server: %s", errbuf);
    ck_assert_msg(resp_client_open(c, rs->port) == 0, "%s", c->err);
}

static void stop(redis_server *rs, resp_client *c)
{
    resp_client_close(c);
    redis_server_stop(rs);
}

/* Run a command (C strings, NULL-terminated) that must not fail. */
#define CALL(c, ...)                                                       \
    do {                                                                   \
        resp_value r_;                                                     \
        ck_assert_int_eq(resp_client_calll((c), &r_, __VA_ARGS__, NULL),   \
                         0);                                               \
        ck_assert_msg(r_.type != RESP_ERROR, "server: %s", r_.str);        \
        resp_value_clear(&r_);                                             \
    } while (0)

static payload dump(resp_client *c, const char *key)
{
    resp_value r;
    ck_assert_int_eq(resp_client_calll(c, &r, "DUMP", key, NULL), 0);
    ck_assert_msg(r.type == RESP_BULK, "DUMP %s: no payload", key);
    payload d = {malloc(r.len), r.len};
    ck_assert_ptr_nonnull(d.p);
    memcpy(d.p, r.str, r.len);
    resp_value_clear(&r);
    return d;
}

/* Rewrite a payload's footer: version, then the CRC of what precedes. */
static void refoot(payload *d, unsigned version)
{
    unsigned char *f = d->p + d->len - 10;
    f[0] = (unsigned char)(version & 0xff);
    f[1] = (unsigned char)(version >> 8);
    uint64_t crc = crc64_update(0, d->p, d->len - 8);
    for (int i = 0; i < 8; i++)
        f[2 + i] = (unsigned char)(crc >> (8 * i));
}

/* A payload made of an object's bytes and a correct 7.0 footer. */
static payload make_payload(const void *obj, size_t n)
{
    payload d = {malloc(n + 10), n + 10};
    ck_assert_ptr_nonnull(d.p);
    memcpy(d.p, obj, n);
    refoot(&d, 10);
    return d;
}

/* The server's RESTORE reply to a payload (an error text or "OK"). */
static void server_restore(resp_client *c, const payload *d, char *out,
                           size_t outsz)
{
    const char *argv[] = {"RESTORE", "restored", "0", (const char *)d->p,
                          "REPLACE"};
    size_t lens[] = {7, 8, 1, d->len, 7};
    resp_value r;
    ck_assert_int_eq(resp_client_call(c, &r, 5, argv, lens), 0);
    snprintf(out, outsz, "%s", r.str != NULL ? r.str : "?");
    resp_value_clear(&r);
}

/* --- what the decoder built equals the server's key ------------------------ */

static const resp_value *elem(const resp_value *arr, size_t i)
{
    return &arr->elems[i];
}

static void check_against_server(resp_client *c, const char *key,
                                 const value *v)
{
    resp_value r, t;
    ck_assert_int_eq(resp_client_calll(c, &t, "TYPE", key, NULL), 0);
    ck_assert_str_eq(value_type_name((value_type)v->type), t.str);
    resp_value_clear(&t);
    switch ((value_type)v->type) {
    case VALUE_STRING: {
        ck_assert_int_eq(resp_client_calll(c, &r, "GET", key, NULL), 0);
        size_t n = value_str_len(v);
        unsigned char *b = malloc(n + 1);
        ck_assert_uint_eq(value_str_read(v, 0, b, n), n);
        ck_assert_bytes_eq(b, n, r.str, r.len);
        free(b);
        break;
    }
    case VALUE_LIST: {
        ck_assert_int_eq(resp_client_calll(c, &r, "LRANGE", key, "0", "-1",
                                           NULL), 0);
        const plist *l = value_as_list(v);
        ck_assert_uint_eq(plist_len(l), r.len);
        for (size_t i = 0; i < r.len; i++) {
            const velem *e = plist_get(l, i);
            ck_assert_bytes_eq(e->bytes, e->len, elem(&r, i)->str,
                               elem(&r, i)->len);
        }
        break;
    }
    case VALUE_SET: {
        ck_assert_int_eq(resp_client_calll(c, &r, "SMEMBERS", key, NULL), 0);
        const pset *s = value_as_set(v);
        ck_assert_uint_eq(pset_len(s), r.len);
        for (size_t i = 0; i < r.len; i++)
            ck_assert_msg(pset_has(s, elem(&r, i)->str, elem(&r, i)->len),
                          "%s: member %s missing", key, elem(&r, i)->str);
        break;
    }
    case VALUE_HASH: {
        ck_assert_int_eq(resp_client_calll(c, &r, "HGETALL", key, NULL), 0);
        const phash *h = value_as_hash(v);
        ck_assert_uint_eq(phash_len(h) * 2, r.len);
        for (size_t i = 0; i < r.len; i += 2) {
            const phash_field *f =
                phash_get(h, elem(&r, i)->str, elem(&r, i)->len);
            ck_assert_msg(f != NULL, "%s: field %s missing", key,
                          elem(&r, i)->str);
            size_t vl;
            const unsigned char *vb = phash_field_value(f, &vl);
            ck_assert_bytes_eq(vb, vl, elem(&r, i + 1)->str,
                               elem(&r, i + 1)->len);
        }
        break;
    }
    case VALUE_ZSET: {
        ck_assert_int_eq(resp_client_calll(c, &r, "ZRANGE", key, "0", "-1",
                                           "WITHSCORES", NULL), 0);
        const pzset *z = value_as_zset(v);
        ck_assert_uint_eq(pzset_len(z) * 2, r.len);
        for (size_t i = 0; i < r.len; i += 2) {
            const pzset_entry *e = pzset_at(z, i / 2);
            size_t ml;
            const void *m = pzset_entry_member(e, &ml);
            ck_assert_bytes_eq(m, ml, elem(&r, i)->str, elem(&r, i)->len);
            ck_assert_double_eq(pzset_entry_score(e),
                                strtod(elem(&r, i + 1)->str, NULL));
        }
        break;
    }
    case VALUE_STREAM: {
        const pstream *s = value_as_stream(v);
        ck_assert_int_eq(resp_client_calll(c, &r, "XLEN", key, NULL), 0);
        ck_assert_int_eq((long long)pstream_len(s), r.integer);
        resp_value_clear(&r);
        ck_assert_int_eq(resp_client_calll(c, &r, "XINFO", "GROUPS", key,
                                           NULL), 0);
        ck_assert_uint_eq(pstream_groups_len(s), r.len);
        for (size_t g = 0; g < r.len; g++) {
            /* name, consumers, pending, ... as a flat map */
            const resp_value *m = elem(&r, g);
            const pstream_group *grp = pstream_group_get(
                s, elem(m, 1)->str, elem(m, 1)->len);
            ck_assert_ptr_nonnull(grp);
            ck_assert_int_eq((long long)pstream_group_consumers_len(grp),
                             elem(m, 3)->integer);
            ck_assert_int_eq((long long)pstream_group_pel_len(grp),
                             elem(m, 5)->integer);
        }
        break;
    }
    default:
        ck_abort_msg("%s: unexpected type %d", key, v->type);
    }
    resp_value_clear(&r);
}

/* Queue a command (C strings, NULL-terminated) without waiting for its
 * reply; drain() reads every queued reply and requires no error.  Filling
 * a server this way costs one round trip, not one per command. */
static size_t queued;
static void queue(resp_client *c, const char *arg0, ...)
{
    const char *argv[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && n < 16; a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    ck_assert_int_eq(resp_client_send(c, n, argv, NULL), 0);
    queued++;
}

static void drain(resp_client *c)
{
    for (; queued > 0; queued--) {
        resp_value r;
        ck_assert_msg(resp_client_reply(c, &r) == 0, "%s", c->err);
        ck_assert_msg(r.type != RESP_ERROR, "server: %s", r.str);
        resp_value_clear(&r);
    }
}

/* Fill the server with one key per type and encoding DUMP writes. */
static void fill(resp_client *c)
{
    char k[64], m[64];
    CALL(c, "SET", "str:raw", "hello world");
    CALL(c, "SET", "str:int8", "-7");
    CALL(c, "SET", "str:int32", "1234567890");
    CALL(c, "SET", "str:huge-int", "123456789012345678901234567890");
    CALL(c, "SET", "str:empty", "");
    {
        /* 20000 compressible bytes (LZF) and 5000 that are not */
        char *big = malloc(20001);
        for (int i = 0; i < 20000; i++)
            big[i] = (char)('a' + (i / 100) % 26);
        big[20000] = '\0';
        CALL(c, "SET", "str:lzf", big);
        uint64_t x = 88172645463325252ULL;
        for (int i = 0; i < 5000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            big[i] = (char)(33 + x % 90);
        }
        big[5000] = '\0';
        CALL(c, "SET", "str:random", big);
        memset(big, 'x', 9000);
        big[9000] = '\0';
        CALL(c, "RPUSH", "list:plain", "a", big, "b");
        free(big);
    }
    CALL(c, "RPUSH", "list:small", "one", "2", "three", "-4", "");
    for (int i = 0; i < 1000; i++) {
        snprintf(m, sizeof m, "element-%d", i);

        queue(c, "RPUSH", "list:nodes", m, NULL);
    }
    drain(c);
    CALL(c, "SADD", "set:int16", "1", "2", "-3", "300");
    CALL(c, "SADD", "set:int32", "1", "70000");
    CALL(c, "SADD", "set:int64", "1", "5000000000", "-9223372036854775808");
    CALL(c, "SADD", "set:str", "apple", "banana", "7");
    for (int i = 0; i < 600; i++) {
        snprintf(m, sizeof m, "%d", i * 3);

        queue(c, "SADD", "set:bigint", m, NULL);
    }
    drain(c);
    CALL(c, "HSET", "hash:small", "f1", "v1", "f2", "22", "", "empty");
    for (int i = 0; i < 600; i++) {
        snprintf(k, sizeof k, "field-%d", i);
        snprintf(m, sizeof m, "value-%d", i * 7);

        queue(c, "HSET", "hash:big", k, m, NULL);
    }
    drain(c);
    CALL(c, "ZADD", "zset:small", "1", "a", "2.5", "b", "-inf", "c", "1e300",
         "d");
    for (int i = 0; i < 200; i++) {
        snprintf(k, sizeof k, "%d.25", i % 17);
        snprintf(m, sizeof m, "member-%d", i);

        queue(c, "ZADD", "zset:big", k, m, NULL);
    }
    drain(c);
    for (int i = 1; i <= 150; i++) {
        snprintf(k, sizeof k, "%d-%d", 1000 + i / 3, i % 3);
        snprintf(m, sizeof m, "v%d", i);

        queue(c, "XADD", "stream", k, "field", m, "n", "7", NULL);
    }
    drain(c);
    CALL(c, "XDEL", "stream", "1010-0", "1020-1");
    CALL(c, "XGROUP", "CREATE", "stream", "g1", "0");
    CALL(c, "XGROUP", "CREATE", "stream", "g2", "$");
    CALL(c, "XGROUP", "CREATECONSUMER", "stream", "g2", "idle");
    CALL(c, "XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS",
         "stream", ">");
    CALL(c, "XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS",
         "stream", ">");
    CALL(c, "XACK", "stream", "g1", "1000-1");
    CALL(c, "XADD", "stream:empty", "1-1", "f", "v");
    CALL(c, "XDEL", "stream:empty", "1-1");
}

static const char *const fill_keys[] = {
    "str:raw", "str:int8", "str:int32", "str:huge-int", "str:empty",
    "str:lzf", "str:random", "list:plain", "list:small", "list:nodes",
    "set:int16", "set:int32", "set:int64", "set:str", "set:bigint",
    "hash:small", "hash:big", "zset:small", "zset:big", "stream",
    "stream:empty",
};

START_TEST(server_payloads_decode)
{
    redis_server rs;
    resp_client c;
    start(&rs, &c);
    fill(&c);
    for (size_t i = 0; i < sizeof fill_keys / sizeof *fill_keys; i++) {
        payload d = dump(&c, fill_keys[i]);
        value *v = NULL;
        char why[256] = "";
        ck_assert_msg(dump_payload_decode(d.p, d.len, &v, why, sizeof why) ==
                          DUMP_PAYLOAD_OK, "%s: %s", fill_keys[i], why);
        ck_assert_int_eq(v->expire_ms, VALUE_NO_EXPIRY);
        check_against_server(&c, fill_keys[i], v);
        value_free(v);
        free(d.p);
    }
    /* The encodings really were the ones named. */
    struct { const char *key, *enc; } encs[] = {
        {"str:int8", "int"}, {"str:lzf", "raw"}, {"list:plain", "quicklist"},
        {"set:int64", "intset"}, {"set:str", "hashtable"},
        {"set:bigint", "hashtable"}, {"hash:small", "listpack"},
        {"hash:big", "hashtable"}, {"zset:small", "listpack"},
        {"zset:big", "skiplist"}, {"stream", "stream"},
    };
    for (size_t i = 0; i < sizeof encs / sizeof *encs; i++) {
        resp_value r;
        ck_assert_int_eq(resp_client_calll(&c, &r, "OBJECT", "ENCODING",
                                           encs[i].key, NULL), 0);
        ck_assert_msg(strcmp(r.str, encs[i].enc) == 0, "%s: %s", encs[i].key, r.str);
        resp_value_clear(&r);
    }
    stop(&rs, &c);
}
END_TEST

/* --- bad payloads ------------------------------------------------------------- */

#define SERVER_FOOTER_ERR "ERR DUMP payload version or checksum are wrong"
#define SERVER_DATA_ERR "ERR Bad data format"

/* The server and the decoder both refuse d, with the given reply and
 * class, and the decoder's reason contains `reason`. */
static void refused(resp_client *c, const payload *d, const char *reply,
                    dump_payload_status st, const char *reason)
{
    char got[256];
    server_restore(c, d, got, sizeof got);
    ck_assert_str_eq(got, reply);
    value *v = (value *)&v; /* must be reset */
    char why[256] = "";
    ck_assert_int_eq(dump_payload_decode(d->p, d->len, &v, why, sizeof why),
                     st);
    ck_assert_ptr_null(v);
    ck_assert_msg(strstr(why, reason) != NULL, "reason \"%s\" lacks \"%s\"",
                  why, reason);
}

START_TEST(bad_payloads_are_refused)
{
    redis_server rs;
    resp_client c;
    start(&rs, &c);
    CALL(&c, "RPUSH", "l", "a", "bb", "ccc");
    payload good = dump(&c, "l");
    char got[256];
    server_restore(&c, &good, got, sizeof got);
    ck_assert_str_eq(got, "OK");

    payload d = {malloc(good.len), good.len};
    memcpy(d.p, good.p, good.len);
    d.p[d.len - 1] ^= 0x40; /* the CRC's last byte */
    refused(&c, &d, SERVER_FOOTER_ERR, DUMP_PAYLOAD_FOOTER, "CRC-64 mismatch");
    memcpy(d.p, good.p, good.len);
    d.p[1] ^= 1; /* one object byte, CRC left as it was */
    refused(&c, &d, SERVER_FOOTER_ERR, DUMP_PAYLOAD_FOOTER, "CRC-64 mismatch");

    memcpy(d.p, good.p, good.len);
    refoot(&d, 11); /* Redis 7.2's RDB version, CRC recomputed */
    refused(&c, &d, SERVER_FOOTER_ERR, DUMP_PAYLOAD_FOOTER, "RDB version 11");
    refoot(&d, 9); /* an older version is fine */
    server_restore(&c, &d, got, sizeof got);
    ck_assert_str_eq(got, "OK");
    value *v;
    ck_assert_int_eq(dump_payload_decode(d.p, d.len, &v, NULL, 0),
                     DUMP_PAYLOAD_OK);
    value_free(v);

    /* Too short to hold the footer. */
    payload tiny = {good.p, 9};
    refused(&c, &tiny, SERVER_FOOTER_ERR, DUMP_PAYLOAD_FOOTER,
            "9 bytes is shorter");

    /* Truncated objects with a correct footer: every cut. */
    for (size_t cut = 1; cut < good.len - 10; cut++) {
        payload t = make_payload(good.p, cut);
        refused(&c, &t, SERVER_DATA_ERR, DUMP_PAYLOAD_DATA, "object: offset");
        free(t.p);
    }
    /* No object at all: the footer's first byte, 10, reads as a type
     * (a ziplist list), for Redis too. */
    payload t = make_payload(good.p, 0);
    refused(&c, &t, SERVER_DATA_ERR, DUMP_PAYLOAD_DATA, "ziplist too short");
    free(t.p);

    /* An unknown type (20 is Redis 7.2's set listpack) and type 8. */
    static const unsigned char t20[] = {20, 0};
    t = make_payload(t20, sizeof t20);
    refused(&c, &t, SERVER_DATA_ERR, DUMP_PAYLOAD_DATA, "value type 20");
    free(t.p);
    static const unsigned char t8[] = {8, 0};
    t = make_payload(t8, sizeof t8);
    refused(&c, &t, SERVER_DATA_ERR, DUMP_PAYLOAD_DATA, "value type 8");
    free(t.p);

    /* An empty set and an empty plain list. */
    static const unsigned char eset[] = {2, 0};
    t = make_payload(eset, sizeof eset);
    refused(&c, &t, SERVER_DATA_ERR, DUMP_PAYLOAD_DATA, "an empty set");
    free(t.p);
    static const unsigned char elist[] = {1, 0};
    t = make_payload(elist, sizeof elist);
    refused(&c, &t, SERVER_DATA_ERR, DUMP_PAYLOAD_DATA, "an empty list");
    free(t.p);

    /* A string whose length runs past the payload. */
    static const unsigned char longstr[] = {0, 20, 'a', 'b'};
    t = make_payload(longstr, sizeof longstr);
    refused(&c, &t, SERVER_DATA_ERR, DUMP_PAYLOAD_DATA, "end of input");
    free(t.p);

    /* One that runs into the footer: Redis reads the footer's bytes as
     * the string's, and so does the decoder. */
    static const unsigned char intofoot[] = {0, 5, 'a', 'b'};
    t = make_payload(intofoot, sizeof intofoot);
    server_restore(&c, &t, got, sizeof got);
    ck_assert_str_eq(got, "OK");
    ck_assert_int_eq(dump_payload_decode(t.p, t.len, &v, NULL, 0),
                     DUMP_PAYLOAD_OK);
    check_against_server(&c, "restored", v);
    ck_assert_uint_eq(value_str_len(v), 5);
    value_free(v);
    free(t.p);

    free(d.p);
    free(good.p);
    stop(&rs, &c);
}
END_TEST

/* --- RESTORE through the oracle --------------------------------------------- */

static payload pool_pl[sizeof fill_keys / sizeof *fill_keys];
static const size_t npool = sizeof fill_keys / sizeof *fill_keys;

static void make_pool(void)
{
    redis_server rs;
    resp_client c;
    start(&rs, &c);
    fill(&c);
    for (size_t i = 0; i < npool; i++)
        pool_pl[i] = dump(&c, fill_keys[i]);
    stop(&rs, &c);
}

static void free_pool(void)
{
    for (size_t i = 0; i < npool; i++)
        free(pool_pl[i].p);
}

/* RESTORE key ttl payload [options...], NULL-terminated options. */
static void restore_args(const char *key, const char *ttl, const payload *d,
                         const char **argv, size_t *lens, size_t *argc,
                         va_list ap)
{
    argv[0] = "RESTORE";
    argv[1] = key;
    argv[2] = ttl;
    argv[3] = (const char *)d->p;
    lens[3] = d->len;
    *argc = 4;
    const char *opt;
    while ((opt = va_arg(ap, const char *)) != NULL && *argc < 12)
        argv[(*argc)++] = opt;
    for (size_t i = 0; i < *argc; i++)
        if (i != 3)
            lens[i] = strlen(argv[i]);
}

static void restore(oracle *o, const char *key, const char *ttl,
                    const payload *d, ...)
{
    const char *argv[12];
    size_t lens[12], argc;
    va_list ap;
    va_start(ap, d);
    restore_args(key, ttl, d, argv, lens, &argc, ap);
    va_end(ap);
    oracle_cmdv(o, argc, argv, lens);
}

/* A RESTORE that both sides must refuse with the same text. */
static void restore_refused(oracle *o, const char *key, const char *ttl,
                            const payload *d, ...)
{
    const char *argv[12];
    size_t lens[12], argc;
    va_list ap;
    va_start(ap, d);
    restore_args(key, ttl, d, argv, lens, &argc, ap);
    va_end(ap);
    oracle_expect_errorv(o, argc, argv, lens);
}

static void scripted_restore(unsigned mode)
{
    char far[32], past[32], rel[32];
    snprintf(far, sizeof far, "%" PRId64,
             value_now_ms() + INT64_C(86400000) * 100);
    snprintf(past, sizeof past, "%" PRId64, value_now_ms() - 1000);
    snprintf(rel, sizeof rel, "%d", 500000000);
    oracle *o = oracle_start("cow", mode);
    /* Every type and encoding, plain, with a relative TTL (propagated as
     * ABSTTL), with ABSTTL, with IDLETIME or FREQ. */
    char key[64];
    for (size_t i = 0; i < npool; i++) {
        snprintf(key, sizeof key, "plain:%s", fill_keys[i]);
        restore(o, key, "0", &pool_pl[i], NULL);
        snprintf(key, sizeof key, "rel:%s", fill_keys[i]);
        restore(o, key, rel, &pool_pl[i], NULL);
        snprintf(key, sizeof key, "abs:%s", fill_keys[i]);
        restore(o, key, far, &pool_pl[i], "ABSTTL", NULL);
        snprintf(key, sizeof key, "meta:%s", fill_keys[i]);
        restore(o, key, "0", &pool_pl[i], i % 2 ? "IDLETIME" : "FREQ",
                i % 2 ? "1000" : "200", NULL);
    }
    const payload *s = &pool_pl[0], *l = &pool_pl[9];
    /* REPLACE, over every kind of key, any case. */
    restore(o, "plain:stream", "0", s, "REPLACE", NULL);
    restore(o, "abs:str:raw", "0", l, "replace", NULL);  /* TTL dropped */
    restore(o, "new", "0", l, "REPLACE", "REPLACE", "ABSTTL", NULL);
    restore(o, "new2", far, l, "absttl", "idletime", "0", "REPLACE", NULL);
    restore(o, "new3", "0", l, "FREQ", "0", "FREQ", "255", NULL);
    restore(o, "new4", "0", l, "IDLETIME", "5", "IDLETIME", "7", NULL);
    /* Past TTLs store nothing; with REPLACE the old key goes. */
    restore(o, "gone1", past, s, "ABSTTL", NULL);
    restore(o, "plain:str:int8", past, s, "ABSTTL", "REPLACE", NULL);
    restore(o, "gone2", "1", s, "ABSTTL", NULL);
    restore(o, "gone3", "9223372036854775807", s, NULL); /* wraps: past */
    restore(o, "kept", "9223372036854775807", s, "ABSTTL", NULL);

    oracle_check(o);
    oracle_stop(o);

    /* Errors, in Redis's order: options, BUSYKEY, TTL, footer, object.
     * A fresh oracle with two small keys: each refusal compares the whole
     * keyspace before and after. */
    o = oracle_start("hamt", mode);
    restore(o, "new", "0", s, NULL);
    restore(o, "other", "0", &pool_pl[10], NULL);
    payload bad = {malloc(s->len), s->len};
    memcpy(bad.p, s->p, s->len);
    bad.p[bad.len - 1] ^= 1;
    payload newer = {malloc(s->len), s->len};
    memcpy(newer.p, s->p, s->len);
    refoot(&newer, 11);
    static const unsigned char cut[] = {0, 20, 'a', 'b'};
    payload trunc = make_payload(cut, sizeof cut);
    restore_refused(o, "new", "0", s, NULL);                    /* BUSYKEY */
    restore_refused(o, "new", "abc", &bad, NULL);               /* BUSYKEY */
    restore_refused(o, "x", "-1", s, NULL);
    restore_refused(o, "x", "abc", s, NULL);
    restore_refused(o, "x", "1.5", s, NULL);
    restore_refused(o, "x", "0", s, "IDLETIME", "-1", NULL);
    restore_refused(o, "x", "0", s, "IDLETIME", "abc", NULL);
    restore_refused(o, "x", "0", s, "FREQ", "256", NULL);
    restore_refused(o, "x", "0", s, "FREQ", "-1", NULL);
    restore_refused(o, "x", "0", s, "FREQ", "x", NULL);
    restore_refused(o, "x", "0", s, "IDLETIME", "1", "FREQ", "1", NULL);
    restore_refused(o, "x", "0", s, "FREQ", "1", "IDLETIME", "1", NULL);
    restore_refused(o, "x", "0", s, "IDLETIME", NULL);
    restore_refused(o, "x", "0", s, "FREQ", NULL);
    restore_refused(o, "x", "0", s, "FOO", NULL);
    restore_refused(o, "x", "0", s, "REPLACE", "ABSTTL", "BAR", NULL);
    restore_refused(o, "new", "0", &bad, "FOO", NULL);          /* syntax */
    restore_refused(o, "x", "-1", &bad, NULL);                  /* TTL */
    restore_refused(o, "x", "0", &bad, NULL);
    restore_refused(o, "x", "0", &newer, NULL);
    restore_refused(o, "x", "0", &trunc, NULL);
    restore_refused(o, "new", "0", &trunc, "REPLACE", NULL); /* no change */
    payload tiny = {s->p, 9};
    restore_refused(o, "x", "0", &tiny, NULL);
    oracle_check(o);
    oracle_stop(o);
    free(bad.p);
    free(newer.p);
    free(trunc.p);
}

START_TEST(restore_scripted)
{
    make_pool();
    scripted_restore(_i == 0 ? ORACLE_DIRECT : ORACLE_AOF);
    free_pool();
}
END_TEST

static uint64_t rng;
static unsigned below(unsigned n)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (unsigned)((rng * 0x2545F4914F6CDD1DULL) % n);
}

START_TEST(restore_random)
{
    make_pool();
    unsigned mode = _i % 2 ? ORACLE_AOF : ORACLE_DIRECT;
    rng = 0xabcdef12345ULL + (uint64_t)_i;
    oracle *o = oracle_start(_i < 2 ? "cow" : "hamt", mode);
    static const char *const keys[] = {"a", "b", "c", "d", "e"};
    long steps = test_scale(400, 40);
    char ttl[32];
    for (long i = 0; i < steps; i++) {
        const char *k = keys[below(5)];
        const payload *d = &pool_pl[below((unsigned)npool)];
        switch (below(6)) {
        case 0:
            restore(o, k, "0", d, NULL); /* BUSYKEY when k exists */
            break;
        case 1:
            restore(o, k, "0", d, "REPLACE", NULL);
            break;
        case 2:
            snprintf(ttl, sizeof ttl, "%" PRId64, value_now_ms() +
                     INT64_C(86400000) + (int64_t)below(100000));
            restore(o, k, ttl, d, "REPLACE", "ABSTTL",
                    below(2) ? "IDLETIME" : "FREQ", "3", NULL);
            break;
        case 3:
            snprintf(ttl, sizeof ttl, "%u", 100000000 + below(100000));
            restore(o, k, ttl, d, "REPLACE", NULL);
            break;
        case 4:
            restore(o, k, "1", d, "REPLACE", "ABSTTL", NULL); /* deletes */
            break;
        default:
            oracle_cmd(o, "DEL", k, NULL);
            break;
        }
        if (below(50) == 0)
            oracle_check(o);
    }
    oracle_check(o);
    oracle_stop(o);
    free_pool();
}
END_TEST

Suite *ch09_restore_suite(void)
{
    Suite *s = suite_create("ch09_restore");
    TCase *tc = test_tcase("decode", 120);
    tcase_add_test(tc, server_payloads_decode);
    tcase_add_test(tc, bad_payloads_are_refused);
    suite_add_tcase(s, tc);
    tc = test_tcase("oracle", 120);
    tcase_add_checked_fixture(tc, NULL, oracle_teardown);
    tcase_add_loop_test(tc, restore_scripted, 0, 2);
    tcase_add_loop_test(tc, restore_random, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}
