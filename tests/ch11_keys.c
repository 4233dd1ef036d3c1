/* ch11_keys.c - chapter 11: EXISTS, TYPE, TTL, KEYS, SCAN, RANDOMKEY, OBJECT,
 * MEMORY USAGE, against a real redis-server, and SCAN's cursor across
 * stores and a full resync. */
#include "dataset.h"
#include "keyspace.h"
#include "read_oracle.h"
#include "resp_scan.h"
#include "server_cmd.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const variants[] = {"hamt", "ptrie"};

/* ---- in-process runs on a keyspace of our own ------------------------------ */

/* Run one command through a reader inside a section (RESP2); return the
 * reply (malloc'ed). */
static char *run_in(keyspace_reader *r, unsigned db, int64_t now,
                    size_t argc, const char *const *argv, size_t *len)
{
    resp_value args[16];
    ck_assert_uint_le(argc, 16);
    for (size_t i = 0; i < argc; i++)
        args[i] = (resp_value){.type = RESP_BULK, .len = strlen(argv[i]),
                               .str = (char *)argv[i]};
    reply_buf out;
    reply_init(&out, 2);
    uint64_t rng = 42;
    server_ctx x = {.out = &out, .argc = argc, .argv = args, .ks = r,
                    .db = db, .databases = 16, .now_ms = now, .rng = &rng};
    ck_assert_int_eq(server_cmd_run(&x), 0);
    char *s = malloc(out.out.len + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, out.out.data, out.out.len);
    s[out.out.len] = '\0';
    *len = out.out.len;
    reply_free(&out);
    return s;
}

/* Run one command on ks (RESP2), return the reply (malloc'ed). */
static char *run(keyspace *ks, unsigned db, int64_t now, size_t argc,
                 const char *const *argv, size_t *len)
{
    keyspace_reader *r = keyspace_reader_open(ks);
    ck_assert_ptr_nonnull(r);
    keyspace_read_begin(r);
    char *s = run_in(r, db, now, argc, argv, len);
    keyspace_read_end(r);
    keyspace_reader_close(r);
    return s;
}

/* Store key -> "v" (with an expiry, or VALUE_NO_EXPIRY) in db. */
static void put(keyspace *ks, unsigned db, const char *key, int64_t exp)
{
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    value *v = value_new_string("v", 1, exp);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(keyspace_put(ks, db, key, strlen(key), v), 0);
    ck_assert_int_eq(keyspace_commit(ks), 0);
}

static void del(keyspace *ks, unsigned db, const char *key)
{
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    ck_assert_int_ge(keyspace_delete(ks, db, key, strlen(key)), 0);
    ck_assert_int_eq(keyspace_commit(ks), 0);
}

/** One parsed SCAN reply. */
typedef struct scan_reply {
    unsigned long long cursor;
    size_t n;
    char keys[4096][24];
} scan_reply;

/* Parse "*2 $n cursor *m ($l key)*" (RESP2). */
static void parse_scan(const char *s, scan_reply *out)
{
    int used = 0;
    size_t clen;
    ck_assert_msg(sscanf(s, "*2\r\n$%zu\r\n%llu\r\n*%zu\r\n%n", &clen,
                         &out->cursor, &out->n, &used) == 3,
                  "not a SCAN reply: %.80s", s);
    ck_assert_uint_le(out->n, 4096);
    s += used;
    for (size_t i = 0; i < out->n; i++) {
        size_t l;
        ck_assert_int_eq(sscanf(s, "$%zu\r\n%n", &l, &used), 1);
        s += used;
        ck_assert_uint_lt(l, sizeof out->keys[i]);
        memcpy(out->keys[i], s, l);
        out->keys[i][l] = '\0';
        s += l + 2;
    }
}

/* One SCAN call with COUNT count (and MATCH when pat is not NULL). */
static void scan_call(keyspace *ks, unsigned db, int64_t now,
                      unsigned long long cursor, const char *count,
                      const char *pat, scan_reply *out)
{
    char c[32];
    snprintf(c, sizeof c, "%llu", cursor);
    const char *argv[6] = {"SCAN", c, "COUNT", count, "MATCH", pat};
    size_t len;
    char *r = run(ks, db, now, pat ? 6 : 4, argv, &len);
    parse_scan(r, out);
    free(r);
}

/* seen[i]: key "k<i>" was returned. */
static void mark(bool *seen, size_t nkeys, const scan_reply *r)
{
    for (size_t i = 0; i < r->n; i++) {
        ck_assert_msg(r->keys[i][0] == 'k', "odd key %s", r->keys[i]);
        size_t k = strtoul(r->keys[i] + 1, NULL, 10);
        ck_assert_uint_lt(k, nkeys);
        seen[k] = true;
    }
}

static keyspace *fill(const char *variant, size_t n, unsigned db)
{
    keyspace *ks = keyspace_create(store_variant(variant), 16);
    ck_assert_ptr_nonnull(ks);
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    for (size_t i = 0; i < n; i++) {
        char k[24];
        snprintf(k, sizeof k, "k%zu", i);
        value *v = value_new_string("v", 1, VALUE_NO_EXPIRY);
        ck_assert_ptr_nonnull(v);
        ck_assert_int_eq(keyspace_put(ks, db, k, strlen(k), v), 0);
    }
    ck_assert_int_eq(keyspace_commit(ks), 0);
    return ks;
}

/* A whole scan returns every key once (or more), ends with cursor 0, and
 * each call costs about COUNT: on every variant that has batches (the
 * hamt and ptrie seek, the others use the fallback). */
START_TEST(scan_returns_every_key_on_every_store)
{
    size_t n = (size_t)test_scale(3000, 300);
    for (const store_ops *const *op = store_variants; *op; op++) {
        keyspace *ks = keyspace_create(*op, 16);
        if (ks == NULL)
            continue; /* no batches: no keyspace */
        keyspace_destroy(ks);
        ks = fill((*op)->name, n, 0);
        /* Noise in another database, which a scan of 0 must not return. */
        put(ks, 1, "k0", VALUE_NO_EXPIRY);
        put(ks, 1, "other", VALUE_NO_EXPIRY);
        bool *seen = calloc(n, 1);
        scan_reply *r = malloc(sizeof *r);
        unsigned long long cur = 0;
        size_t calls = 0, returned = 0;
        do {
            scan_call(ks, 0, value_now_ms(), cur, "10", NULL, r);
            ck_assert_uint_le(r->n, 12); /* ~COUNT, not the whole db */
            ck_assert_uint_le(r->cursor, (unsigned long long)INT64_MAX);
            mark(seen, n, r);
            returned += r->n;
            cur = r->cursor;
            ck_assert_uint_lt(++calls, n); /* it ends */
        } while (cur != 0);
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(seen[i], "%s: k%zu never returned", (*op)->name,
                          i);
        ck_assert_uint_ge(calls, n / 12); /* many small slices */
        ck_assert_uint_ge(returned, n);
        free(seen);
        free(r);
        keyspace_destroy(ks);
    }
}
END_TEST

/* Keys present for the whole scan are returned, whatever is added or
 * deleted between the calls; MATCH filters; expired keys are skipped. */
START_TEST(scan_survives_changes_and_filters)
{
    size_t n = (size_t)test_scale(2000, 300);
    keyspace *ks = fill(variants[_i], n, 0);
    put(ks, 0, "gone", 1000); /* expired long ago */
    bool *seen = calloc(n, 1);
    scan_reply *r = malloc(sizeof *r);
    unsigned long long cur = 0;
    size_t step = 0;
    do {
        scan_call(ks, 0, value_now_ms(), cur, "25", NULL, r);
        for (size_t i = 0; i < r->n; i++)
            ck_assert_str_ne(r->keys[i], "gone");
        /* Count only our k<i> keys. */
        for (size_t i = 0; i < r->n; i++)
            if (r->keys[i][0] == 'k')
                seen[strtoul(r->keys[i] + 1, NULL, 10)] = true;
        /* Churn: add a key, delete the one added before it. */
        char k[32];
        if (step > 0) {
            snprintf(k, sizeof k, "new%zu", step - 1);
            del(ks, 0, k);
        }
        snprintf(k, sizeof k, "new%zu", step++);
        put(ks, 0, k, VALUE_NO_EXPIRY);
        cur = r->cursor;
    } while (cur != 0);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(seen[i], "k%zu never returned", i);
    /* MATCH: only k1* keys, all of them. */
    size_t want = 0, got = 0;
    memset(seen, 0, n);
    for (size_t i = 0; i < n; i++) {
        char k[24];
        snprintf(k, sizeof k, "k%zu", i);
        want += strncmp(k, "k1", 2) == 0;
    }
    cur = 0;
    do {
        scan_call(ks, 0, value_now_ms(), cur, "100", "k1*", r);
        for (size_t i = 0; i < r->n; i++) {
            ck_assert_int_eq(strncmp(r->keys[i], "k1", 2), 0);
            size_t k = strtoul(r->keys[i] + 1, NULL, 10);
            got += !seen[k];
            seen[k] = true;
        }
        cur = r->cursor;
    } while (cur != 0);
    ck_assert_uint_eq(got, want);
    free(seen);
    free(r);
    keyspace_destroy(ks);
}
END_TEST

/* Fill a keyspace with k<0..n-1> (loaded backwards when asked) and
 * `extra` keys named prefix<i>. */
static void load_into(keyspace *ks, size_t n, bool backwards,
                      const char *prefix, size_t extra)
{
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    for (size_t j = 0; j < n; j++) {
        size_t i = backwards ? n - 1 - j : j;
        char k[24];
        snprintf(k, sizeof k, "k%zu", i);
        value *v = value_new_string("w", 1, VALUE_NO_EXPIRY);
        ck_assert_int_eq(keyspace_put(ks, 0, k, strlen(k), v), 0);
    }
    for (size_t i = 0; i < extra; i++) {
        char k[32];
        snprintf(k, sizeof k, "%s%zu", prefix, i);
        value *v = value_new_string("w", 1, VALUE_NO_EXPIRY);
        ck_assert_int_eq(keyspace_put(ks, 0, k, strlen(k), v), 0);
    }
    ck_assert_int_eq(keyspace_commit(ks), 0);
}

/* One SCAN call through a dataset reader: whichever generation it is on. */
static void scan_dataset(dataset_reader *dr, unsigned long long cursor,
                         scan_reply *out)
{
    char c[32];
    snprintf(c, sizeof c, "%llu", cursor);
    const char *argv[4] = {"SCAN", c, "COUNT", "20"};
    size_t len;
    keyspace_reader *r = dataset_read_begin(dr);
    char *s = run_in(r, 0, value_now_ms(), 4, argv, &len);
    dataset_read_end(dr);
    parse_scan(s, out);
    free(s);
}

/* The cursor is a function of the keys, not of one store: a scan begun
 * on one generation of a dataset and continued, after a full resync
 * (dataset_fresh(), load, dataset_switch()), on the fresh one holding the
 * same keys (loaded in another order, plus and minus some others) still
 * returns every key present throughout. */
START_TEST(scan_cursor_survives_a_full_resync)
{
    size_t n = (size_t)test_scale(2000, 300);
    dataset *d = dataset_create(store_variant(variants[_i]), 16);
    ck_assert_ptr_nonnull(d);
    load_into(dataset_current(d), n, false, "old-only", 50);
    dataset_reader *dr = dataset_reader_open(d);
    ck_assert_ptr_nonnull(dr);
    bool *seen = calloc(n, 1);
    scan_reply *r = malloc(sizeof *r);
    unsigned long long cur = 0;
    for (int calls = 0; calls < 10; calls++) { /* part of it on the old */
        scan_dataset(dr, cur, r);
        for (size_t i = 0; i < r->n; i++)
            if (r->keys[i][0] == 'k')
                seen[strtoul(r->keys[i] + 1, NULL, 10)] = true;
        cur = r->cursor;
        ck_assert_uint_ne(cur, 0);
    }
    uint64_t gen = dataset_reader_generation(dr);
    keyspace *fresh = dataset_fresh(d);
    ck_assert_ptr_nonnull(fresh);
    load_into(fresh, n, true, "fresh-only", 50);
    ck_assert_int_eq(dataset_switch(d, fresh), 0);
    do {
        scan_dataset(dr, cur, r);
        for (size_t i = 0; i < r->n; i++) {
            ck_assert_int_ne(strncmp(r->keys[i], "old-only", 8), 0);
            if (r->keys[i][0] == 'k')
                seen[strtoul(r->keys[i] + 1, NULL, 10)] = true;
        }
        cur = r->cursor;
    } while (cur != 0);
    ck_assert_uint_ne(dataset_reader_generation(dr), gen); /* it moved */
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(seen[i], "k%zu lost across the resync", i);
    free(seen);
    free(r);
    dataset_reader_close(dr);
    dataset_reclaim(d);
    dataset_destroy(d);
}
END_TEST

/* A cursor a client makes up (or one past every position) is accepted
 * and ends the scan; an empty database answers 0 at once. */
START_TEST(scan_odd_cursors)
{
    keyspace *ks = fill(variants[_i], 100, 0);
    scan_reply *r = malloc(sizeof *r);
    scan_call(ks, 0, value_now_ms(), 9223372036854775807ULL, "10", NULL, r);
    ck_assert_uint_le(r->n, 10);
    scan_call(ks, 0, value_now_ms(), 18446744073709551615ULL, "10", NULL,
              r);
    ck_assert_uint_le(r->n, 10);
    scan_call(ks, 5, value_now_ms(), 0, "10", NULL, r);
    ck_assert_uint_eq(r->cursor, 0);
    ck_assert_uint_eq(r->n, 0);
    scan_call(ks, 0, value_now_ms(), 0, "1000", NULL, r);
    ck_assert_uint_eq(r->cursor, 0);
    ck_assert_uint_eq(r->n, 100);
    free(r);
    keyspace_destroy(ks);
}
END_TEST

/* RANDOMKEY returns a live key; with every key expired, it returns one
 * anyway after its tries, as a replica does; deleted keys never. */
START_TEST(randomkey_picks_live_keys)
{
    keyspace *ks = fill(variants[_i], 50, 0);
    for (int i = 0; i < 25; i++) {
        char k[24];
        snprintf(k, sizeof k, "k%d", i);
        del(ks, 0, k);
    }
    put(ks, 0, "dead", 1000);
    const char *argv[] = {"RANDOMKEY"};
    for (int t = 0; t < 50; t++) {
        size_t len;
        char *s = run(ks, 0, value_now_ms(), 1, argv, &len);
        ck_assert_msg(s[0] == '$' && strstr(s, "\r\nk") != NULL, "%s", s);
        int k = atoi(strstr(s, "\r\nk") + 3);
        ck_assert_int_ge(k, 25);
        free(s);
    }
    keyspace_destroy(ks);
    ks = keyspace_create(store_variant(variants[_i]), 16);
    put(ks, 2, "dead", 1000);
    size_t len;
    char *s = run(ks, 2, value_now_ms(), 1, argv, &len);
    ck_assert_str_eq(s, "$4\r\ndead\r\n");
    free(s);
    s = run(ks, 0, value_now_ms(), 1, argv, &len);
    ck_assert_str_eq(s, "$-1\r\n");
    free(s);
    keyspace_destroy(ks);
}
END_TEST

/* ---- against Redis ------------------------------------------------------------ */

static void load_types(oracle *o)
{
    oracle_cmd(o, "SET", "str", "hello", NULL);
    oracle_cmd(o, "SET", "int", "12345", NULL);
    oracle_cmd(o, "SET", "small", "7", NULL);
    oracle_cmd(o, "SET", "neg", "-42", NULL);
    oracle_cmd(o, "SET", "lead0", "0123", NULL);
    oracle_cmd(o, "SET", "e44", "12345678901234567890123456789012345678901234",
               NULL);
    oracle_cmd(o, "SET", "e45",
               "123456789012345678901234567890123456789012345x", NULL);
    oracle_cmd(o, "RPUSH", "list", "a", "b", NULL);
    oracle_cmd(o, "SADD", "iset", "1", "2", "3", NULL);
    oracle_cmd(o, "SADD", "sset", "a", "2", NULL);
    oracle_cmd(o, "HSET", "hash", "f", "v", NULL);
    oracle_cmd(o, "ZADD", "zset", "1", "m", NULL);
    oracle_cmd(o, "XADD", "stream", "1-1", "f", "v", NULL);
    char big[80];
    memset(big, 'x', 65);
    big[65] = '\0';
    oracle_cmd(o, "HSET", "bighashval", "f", big, NULL);
    oracle_cmd(o, "ZADD", "bigzmember", "1", big, NULL);
    for (int i = 0; i < 130; i++) {
        char f[16];
        snprintf(f, sizeof f, "%d", i);
        oracle_cmd(o, "HSET", "hash130", f, "v", NULL);
        oracle_cmd(o, "ZADD", "zset130", "1", f, NULL);
    }
    for (int i = 0; i < 520; i += 8) {
        char a[8][16];
        for (int j = 0; j < 8; j++)
            snprintf(a[j], sizeof a[j], "%d", i + j);
        oracle_cmd(o, "SADD", "iset520", a[0], a[1], a[2], a[3], a[4], a[5],
                   a[6], a[7], NULL);
    }
    oracle_cmd(o, "SET", "gone", "v", "PXAT", "1000", NULL);
}

static const char *const typed_keys[] = {
    "str", "int", "small", "neg", "lead0", "e44", "e45", "list", "iset",
    "sset", "hash", "zset", "stream", "bighashval", "bigzmember", "hash130",
    "zset130", "iset520", "gone", "missing",
};

START_TEST(key_commands_match_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    oracle *o = read_oracle_writer(ro);
    load_types(o);
    for (size_t i = 0; i < sizeof typed_keys / sizeof *typed_keys; i++) {
        const char *k = typed_keys[i];
        read_oracle_expect(ro, READ_SAME, "TYPE", k, NULL);
        read_oracle_expect(ro, READ_SAME, "EXISTS", k, NULL);
        read_oracle_expect(ro, READ_SAME, "TTL", k, NULL);
        read_oracle_expect(ro, READ_SAME, "PTTL", k, NULL);
        read_oracle_expect(ro, READ_SAME, "EXPIRETIME", k, NULL);
        read_oracle_expect(ro, READ_SAME, "PEXPIRETIME", k, NULL);
        read_oracle_expect(ro, READ_SAME, "OBJECT", "ENCODING", k, NULL);
        read_oracle_expect(ro, READ_SAME, "OBJECT", "REFCOUNT", k, NULL);
        read_oracle_expect(ro, READ_SAME, "OBJECT", "FREQ", k, NULL);
    }
    read_oracle_expect(ro, READ_SAME, "EXISTS", "str", "str", "missing",
                       "list", "gone", NULL);
    read_oracle_expect(ro, READ_SAME, "TOUCH", "str", "str", "missing",
                       NULL);
    /* DBSIZE counts an expired key until the master deletes it (Redis
     * deleted "gone" at once, being the master here). */
    size_t len;
    ck_assert_str_eq(read_oracle_ours(ro, 2, &len, "DBSIZE", NULL),
                     ":19\r\n");
    read_oracle_expect(ro, READ_SAME, "OBJECT", "HELP", NULL);
    read_oracle_expect(ro, READ_SAME, "object", "help", NULL);
    read_oracle_expect(ro, READ_SAME, "OBJECT", "IDLETIME", "missing", NULL);
    read_oracle_expect(ro, READ_SAME, "OBJECT", "ENCODING", NULL);
    read_oracle_expect(ro, READ_SAME, "OBJECT", "ENCODING", "a", "b", NULL);
    read_oracle_expect(ro, READ_SAME, "OBJECT", "NOPE", "a", NULL);
    read_oracle_expect(ro, READ_SAME, "OBJECT", NULL);
    read_oracle_expect(ro, READ_SAME, "EXISTS", NULL);
    read_oracle_expect(ro, READ_SAME, "TTL", NULL);
    read_oracle_expect(ro, READ_SAME, "TYPE", "a", "b", NULL);
    read_oracle_expect(ro, READ_SAME, "DBSIZE", "x", NULL);
    read_oracle_expect(ro, READ_SAME, "MEMORY", "USAGE", "missing", NULL);
    read_oracle_expect(ro, READ_SAME, "MEMORY", "HELP", NULL);
    read_oracle_expect(ro, READ_SAME, "MEMORY", "USAGE", "str", "SAMPLES",
                       "-1", NULL);
    read_oracle_expect(ro, READ_SAME, "MEMORY", "USAGE", "str", "SAMPLES",
                       "x", NULL);
    read_oracle_expect(ro, READ_SAME, "MEMORY", "USAGE", "str", "SAMPLES",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "MEMORY", "USAGE", "str", "FOO",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "MEMORY", "USAGE", NULL);
    /* Other databases, empty and not. */
    oracle_cmd(o, "SELECT", "3", NULL);
    oracle_cmd(o, "SET", "x", "1", NULL);
    oracle_cmd(o, "SET", "y", "1", NULL);
    read_oracle_select(ro, 3);
    read_oracle_expect(ro, READ_SAME, "DBSIZE", NULL);
    read_oracle_expect(ro, READ_UNORDERED, "KEYS", "*", NULL);
    read_oracle_expect(ro, READ_SAME, "EXISTS", "x", "str", "y", NULL);
    read_oracle_select(ro, 7);
    read_oracle_expect(ro, READ_SAME, "DBSIZE", NULL);
    read_oracle_expect(ro, READ_SAME, "RANDOMKEY", NULL);
    read_oracle_expect(ro, READ_SAME, "KEYS", "*", NULL);
    read_oracle_expect(ro, READ_SAME, "SCAN", "0", NULL);
    read_oracle_expect(ro, READ_SAME, "EXISTS", "str", NULL);
    read_oracle_stop(ro);
}
END_TEST

/* Expiry: EXPIRETIME and PEXPIRETIME are absolute, so equal; TTL rounds
 * to seconds, equal unless the clocks straddle a half second; PTTL is
 * checked to lie in range (the two clocks differ by some ms). */
START_TEST(expiry_matches_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    oracle *o = read_oracle_writer(ro);
    char at[32], atms[32];
    long long far = (value_now_ms() / 1000 + 1000000) * 1000;
    snprintf(at, sizeof at, "%lld", far);
    snprintf(atms, sizeof atms, "%lld", far + 1234);
    oracle_cmd(o, "SET", "a", "v", "PXAT", at, NULL);
    oracle_cmd(o, "SET", "b", "v", "PXAT", atms, NULL);
    oracle_cmd(o, "RPUSH", "l", "x", NULL);
    oracle_cmd(o, "PEXPIREAT", "l", atms, NULL);
    const char *keys[] = {"a", "b", "l"};
    for (int i = 0; i < 3; i++) {
        read_oracle_expect(ro, READ_SAME, "EXPIRETIME", keys[i], NULL);
        read_oracle_expect(ro, READ_SAME, "PEXPIRETIME", keys[i], NULL);
        size_t n;
        const char *r = read_oracle_ours(ro, 2, &n, "PTTL", keys[i], NULL);
        long long pttl = atoll(r + 1);
        ck_assert_int_gt(pttl, 999990000LL);
        ck_assert_int_le(pttl, 1000001234LL);
        r = read_oracle_ours(ro, 2, &n, "TTL", keys[i], NULL);
        long long ttl = atoll(r + 1);
        ck_assert_int_ge(ttl, 999990LL);
        ck_assert_int_le(ttl, 1000002LL);
    }
    read_oracle_stop(ro);
}
END_TEST

START_TEST(keys_and_scan_match_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    oracle *o = read_oracle_writer(ro);
    load_types(o);
    static const char bin[] = {'b', '\0', 'n'};
    const char *argv[] = {"SET", bin, "v"};
    size_t lens[] = {3, 3, 1};
    oracle_cmdv(o, 3, argv, lens);
    oracle_cmd(o, "SET", "h?llo", "v", NULL);
    oracle_cmd(o, "SET", "hallo", "v", NULL);
    static const char *const pats[] = {
        "*", "h*", "h?llo", "h[ae]llo", "h[^e]llo", "h\\?llo", "*set*",
        "nomatch", "str", "gone", "[", "b*", "*0*",
    };
    for (size_t i = 0; i < sizeof pats / sizeof *pats; i++)
        read_oracle_expect(ro, READ_UNORDERED, "KEYS", pats[i], NULL);
    read_oracle_expect(ro, READ_SAME, "KEYS", NULL);
    /* SCAN: errors byte for byte. */
    static const char *const bad[][6] = {
        {"SCAN", "abc"},           {"SCAN", " 1"},
        {"SCAN", "1x"},            {"SCAN", "99999999999999999999999"},
        {"SCAN", "0", "COUNT", "0"}, {"SCAN", "0", "COUNT", "-1"},
        {"SCAN", "0", "COUNT", "x"}, {"SCAN", "0", "MATCH"},
        {"SCAN", "0", "FOO", "1"},   {"SCAN", "0", "TYPE"},
        {"SCAN", "x", "COUNT", "0"}, {"SCAN", "0", "COUNT", "1", "COUNT"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n = 0;
        while (n < 6 && bad[i][n] != NULL)
            n++;
        read_oracle_expectv(ro, READ_SAME, n, bad[i], NULL);
    }
    read_oracle_expect(ro, READ_SAME, "SCAN", NULL);
    /* A whole scan with a big COUNT: Redis and we both answer every key
     * and cursor 0 in one reply (compare as sets, inside). */
    static const char *const scans[][8] = {
        {"SCAN", "0", "COUNT", "1000"},
        {"SCAN", "0", "COUNT", "1000", "MATCH", "h*"},
        {"SCAN", "0", "COUNT", "1000", "TYPE", "hash"},
        {"SCAN", "0", "COUNT", "1000", "TYPE", "STRING", "MATCH", "e*"},
        {"SCAN", "0", "COUNT", "1000", "TYPE", "nosuchtype"},
        {"SCAN", "0", "COUNT", "1000", "MATCH", "*", "TYPE", "zset"},
        {"SCAN", "", "COUNT", "1000", "MATCH", "*"},
    };
    for (size_t i = 0; i < sizeof scans / sizeof *scans; i++) {
        size_t n = 0;
        while (n < 8 && scans[i][n] != NULL)
            n++;
        for (int proto = 2; proto <= 3; proto++) {
            size_t ol, rl;
            const char *ours0 = (read_oracle_ours(ro, proto, &ol, scans[i][0],
                                                 scans[i][1], scans[i][2],
                                                 scans[i][3], n > 4 ? scans[i][4] : NULL,
                                                 n > 5 ? scans[i][5] : NULL,
                                                 n > 6 ? scans[i][6] : NULL,
                                                 n > 7 ? scans[i][7] : NULL,
                                                 NULL));
            char *ours = malloc(ol + 1);
            memcpy(ours, ours0, ol + 1);
            const char *theirs = read_oracle_redis(
                ro, proto, &rl, scans[i][0], scans[i][1], scans[i][2],
                scans[i][3], n > 4 ? scans[i][4] : NULL,
                n > 5 ? scans[i][5] : NULL, n > 6 ? scans[i][6] : NULL,
                n > 7 ? scans[i][7] : NULL, NULL);
            /* Skip the "*2\r\n$1\r\n0\r\n" both start with; the rest is
             * the key array, compared unordered. */
            static const char head[] = "*2\r\n$1\r\n0\r\n";
            ck_assert_msg(strncmp(ours, head, sizeof head - 1) == 0, "%s",
                          ours);
            ck_assert_msg(strncmp(theirs, head, sizeof head - 1) == 0, "%s",
                          theirs);
            char why[256] = "";
            ck_assert_msg(resp_reply_equal(ours + sizeof head - 1,
                                           ol - (sizeof head - 1),
                                           theirs + sizeof head - 1,
                                           rl - (sizeof head - 1),
                                           RESP_CANON_TOP, why, sizeof why) == 1,
                          "SCAN %zu (RESP%d): %s", i, proto, why);
            free(ours);
        }
    }
    read_oracle_stop(ro);
}
END_TEST

/* DUMP: Redis's bytes for short strings and integers; for the rest a
 * payload Redis's RESTORE turns back into the same value. */
START_TEST(dump_matches_or_restores)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    oracle *o = read_oracle_writer(ro);
    load_types(o);
    oracle_cmd(o, "SET", "empty", "", NULL);
    oracle_cmd(o, "SET", "i32", "-2147483648", NULL);
    oracle_cmd(o, "SET", "i64", "9223372036854775807", NULL);
    oracle_cmd(o, "SET", "plus", "+12", NULL);
    oracle_cmd(o, "SET", "twenty", "abcdefghijklmnopqrst", NULL);
    oracle_cmd(o, "ZADD", "zset", "-inf", "lo", "2.5", "mid", "inf", "hi",
               NULL);
    static const char *const same[] = {
        "str", "int", "small", "neg", "lead0", "empty", "i32", "i64", "plus",
        "twenty", "missing", "gone",
    };
    for (size_t i = 0; i < sizeof same / sizeof *same; i++)
        read_oracle_expect(ro, READ_SAME, "DUMP", same[i], NULL);
    read_oracle_expect(ro, READ_SAME, "DUMP", NULL);
    static const struct {
        const char *key;
        const char *read[6]; /* how to read it back on Redis */
        unsigned canon;
    } rt[] = {
        {"e44", {"GET"}, 0},
        {"e45", {"GET"}, 0},
        {"list", {"LRANGE", NULL, "0", "-1"}, 0},
        {"iset", {"SMEMBERS"}, RESP_CANON_TOP},
        {"sset", {"SMEMBERS"}, RESP_CANON_TOP},
        {"iset520", {"SMEMBERS"}, RESP_CANON_TOP},
        {"hash", {"HGETALL"}, RESP_CANON_TOP | RESP_CANON_PAIRS},
        {"hash130", {"HGETALL"}, RESP_CANON_TOP | RESP_CANON_PAIRS},
        {"bighashval", {"HGETALL"}, RESP_CANON_TOP | RESP_CANON_PAIRS},
        {"zset", {"ZRANGE", NULL, "0", "-1", "WITHSCORES"}, 0},
        {"zset130", {"ZRANGE", NULL, "0", "-1", "WITHSCORES"}, 0},
    };
    for (size_t i = 0; i < sizeof rt / sizeof *rt; i++) {
        size_t n;
        const char *r = read_oracle_ours(ro, 2, &n, "DUMP", rt[i].key, NULL);
        ck_assert_msg(r[0] == '$', "DUMP %s: %s", rt[i].key, r);
        char *end;
        size_t plen = strtoul(r + 1, &end, 10);
        const char *payload = end + 2;
        char copy[64];
        snprintf(copy, sizeof copy, "copy-%s", rt[i].key);
        const char *argv[] = {"RESTORE", copy, "0", payload};
        size_t lens[] = {7, strlen(copy), 1, plen};
        oracle_cmdv(o, 4, argv, lens); /* both sides restore our bytes */
        const char *cmd[2][6];
        size_t argc = 0;
        for (size_t j = 0; j < 6 && (j == 1 || rt[i].read[j]); j++) {
            cmd[0][j] = j == 1 ? rt[i].key : rt[i].read[j];
            cmd[1][j] = j == 1 ? copy : rt[i].read[j];
            argc = j + 1;
        }
        size_t la, lb;
        char *a = NULL;
        const char *b;
        /* read_oracle_redis is variadic: pass up to 5 arguments. */
#define ARG(k, j) ((j) < argc ? cmd[k][j] : NULL)
        b = read_oracle_redis(ro, 2, &la, ARG(0, 0), ARG(0, 1), ARG(0, 2),
                              ARG(0, 3), ARG(0, 4), NULL);
        a = malloc(la + 1);
        memcpy(a, b, la + 1);
        b = read_oracle_redis(ro, 2, &lb, ARG(1, 0), ARG(1, 1), ARG(1, 2),
                              ARG(1, 3), ARG(1, 4), NULL);
#undef ARG
        char why[256] = "";
        ck_assert_msg(resp_reply_equal(a, la, b, lb, rt[i].canon, why,
                                       sizeof why) == 1,
                      "RESTORE of our DUMP of %s differs on Redis %s", rt[i].key,
                      why);
        free(a);
        /* Our own applier decodes it to a value that dumps the same. */
        read_oracle_expect(ro, READ_SAME, "EXISTS", copy, NULL);
    }
    size_t n;
    ck_assert_str_eq(read_oracle_ours(ro, 2, &n, "DUMP", "stream", NULL),
                     "-ERR DUMP of a stream value is not supported by this "
                     "replica\r\n");
    read_oracle_stop(ro);
}
END_TEST

/* MEMORY USAGE: ours, positive, growing with the value. */
START_TEST(memory_usage_grows)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    oracle *o = read_oracle_writer(ro);
    char big[10001];
    memset(big, 'x', 10000);
    big[10000] = '\0';
    oracle_cmd(o, "SET", "s", "x", NULL);
    oracle_cmd(o, "SET", "b", big, NULL);
    oracle_cmd(o, "RPUSH", "l", "x", NULL);
    for (int i = 0; i < 200; i++)
        oracle_cmd(o, "RPUSH", "l2", big + 9900, NULL);
    size_t n;
    long long s = atoll(read_oracle_ours(ro, 2, &n, "MEMORY", "USAGE", "s",
                                         NULL) + 1);
    long long b = atoll(read_oracle_ours(ro, 2, &n, "MEMORY", "USAGE", "b",
                                         "SAMPLES", "0", NULL) + 1);
    long long l = atoll(read_oracle_ours(ro, 3, &n, "memory", "usage", "l",
                                         NULL) + 1);
    long long l2 = atoll(read_oracle_ours(ro, 2, &n, "MEMORY", "USAGE", "l2",
                                          "SAMPLES", "5", NULL) + 1);
    ck_assert_int_gt(s, 0);
    ck_assert_int_gt(b, s + 10000 - 1);
    ck_assert_int_gt(l, 0);
    ck_assert_int_gt(l2, l + 200 * 100 - 1);
    /* IDLETIME: a replica keeps no access clock. */
    ck_assert_str_eq(read_oracle_ours(ro, 2, &n, "OBJECT", "IDLETIME", "s",
                                      NULL), ":0\r\n");
    read_oracle_stop(ro);
}
END_TEST

Suite *ch11_keys_suite(void)
{
    Suite *s = suite_create("ch11_keys");
    TCase *tc = test_tcase("scan", 120);
    tcase_add_test(tc, scan_returns_every_key_on_every_store);
    tcase_add_loop_test(tc, scan_survives_changes_and_filters, 0, 2);
    tcase_add_loop_test(tc, scan_cursor_survives_a_full_resync, 0, 2);
    tcase_add_loop_test(tc, scan_odd_cursors, 0, 2);
    tcase_add_loop_test(tc, randomkey_picks_live_keys, 0, 2);
    suite_add_tcase(s, tc);
    tc = test_tcase("oracle", 120);
    tcase_add_checked_fixture(tc, NULL, read_oracle_teardown);
    tcase_add_loop_test(tc, key_commands_match_redis, 0, 2);
    tcase_add_loop_test(tc, expiry_matches_redis, 0, 2);
    tcase_add_loop_test(tc, keys_and_scan_match_redis, 0, 2);
    tcase_add_loop_test(tc, memory_usage_grows, 0, 2);
    tcase_add_loop_test(tc, dump_matches_or_restores, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
