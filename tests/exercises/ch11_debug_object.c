/* ch11_debug_object.c - tests for exercise 11.1 (exercises/ch11/debug_object_ex.c).
 *
 * The reference is a real redis-server, started with `enable-debug-command
 * yes` (7.0 refuses DEBUG otherwise) and `rdbcompression no` (so that the
 * serialized length of a long string is its plain RDB form, not whatever
 * LZF makes of it).  The test writes keys of every type and encoding to
 * it, has it SAVE, loads the dump into a keyspace, and for each key
 * compares the handler's DEBUG OBJECT line, run in-process, with Redis's:
 * encoding and refcount for every key, serializedlength for strings and
 * integers; the shape of the line (every field, in Redis's order) and the
 * errors for the rest.
 */
#include "debug_object_ex.h"
#include "keyspace_rdb.h"
#include "redis_server.h"
#include "test_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HINT "exercise 11.1: write ex_debug_object in " \
             "exercises/ch11/debug_object_ex.c"

/** Redis and the keyspace loaded from its dump. */
typedef struct dbg_fixture {
    redis_server rs;      /**< the server */
    int fd;               /**< a connection to it */
    keyspace *ks;         /**< its dump, loaded */
    keyspace_reader *r;   /**< a reader on ks */
} dbg_fixture;

static void redis_ok(dbg_fixture *f, const char *arg0, ...)
{
    const char *argv[1300];
    int n = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *s = arg0; s != NULL && n < 1300; s = va_arg(ap, const char *))
        argv[n++] = s;
    va_end(ap);
    char reply[256];
    int t = redis_command(f->fd, reply, sizeof reply, n, argv, NULL);
    ck_assert_msg(t != '-' && t > 0, "redis-server refused %s: %s", arg0,
                  reply);
}

/* A string of n copies of c (the caller frees it). */
static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* A command with many generated arguments: name key, then for i < n
 * prefix(i) (and a second element when pairs). */
static void redis_many(dbg_fixture *f, const char *cmd, const char *key,
                       int n, const char *fmt, int pairs)
{
    static char bufs[1300][24];
    const char *argv[1300];
    int a = 0;
    argv[a++] = cmd;
    argv[a++] = key;
    for (int i = 0; i < n && a + 2 < 1300; i++) {
        if (pairs == 2) { /* ZADD: score, member */
            argv[a++] = "1";
        }
        snprintf(bufs[a], sizeof bufs[a], fmt, i);
        argv[a] = bufs[a];
        a++;
        if (pairs == 1)
            argv[a++] = "v";
    }
    char reply[256];
    int t = redis_command(f->fd, reply, sizeof reply, a, argv, NULL);
    ck_assert_msg(t == ':', "redis-server refused %s %s: %s", cmd, key, reply);
}

static void fixture_start(dbg_fixture *f)
{
    char err[512];
    const char *extra[] = {"--enable-debug-command", "yes",
                           "--rdbcompression", "no", NULL};
    ck_assert_msg(redis_server_start(&f->rs, extra, err, sizeof err) == 0,
                  "%s", err);
    f->fd = redis_server_connect(&f->rs);
    ck_assert_int_ge(f->fd, 0);
    /* strings: every integer width, every length prefix, every encoding */
    static const char *const ints[][2] = {
        {"i0", "0"}, {"i5", "5"}, {"i9999", "9999"}, {"i10000", "10000"},
        {"in5", "-5"}, {"i127", "127"}, {"i128", "128"}, {"in128", "-128"},
        {"i12345", "12345"}, {"i32768", "32768"}, {"i70000", "70000"},
        {"imin32", "-2147483648"}, {"imax32", "2147483647"},
        {"ibig", "2147483648"}, {"ibig2", "-2147483649"},
        {"i5e9", "5000000000"}, {"i12", "123456789012"},
        {"i19", "9223372036854775807"}, {"i20", "-9223372036854775808"},
        {"over", "9223372036854775808"}, {"s007", "007"}, {"splus", "+5"},
        {"sneg0", "-0"}, {"empty", ""}, {"hello", "hello"},
        {"sp", " 5"},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        redis_ok(f, "SET", ints[i][0], ints[i][1], NULL);
    static const size_t lens[] = {44, 45, 63, 64, 100, 16383, 16384, 70000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "len%zu", lens[i]);
        char *s = repeat('a', lens[i]);
        redis_ok(f, "SET", key, s, NULL);
        free(s);
    }
    /* collections, small and past Redis's listpack and intset limits */
    redis_ok(f, "RPUSH", "list", "a", "b", "3", NULL);
    redis_many(f, "RPUSH", "biglist", 1000, "element-%d", 0);
    redis_ok(f, "SADD", "iset", "1", "2", "3", NULL);
    redis_many(f, "SADD", "bigiset", 600, "%d", 0);
    redis_ok(f, "SADD", "sset", "a", "b", NULL);
    redis_ok(f, "HSET", "hash", "f", "v", "g", "1", NULL);
    redis_many(f, "HSET", "bighash", 600, "field-%d", 1);
    char *longv = repeat('x', 65);
    redis_ok(f, "HSET", "widehash", "f", longv, NULL);
    redis_ok(f, "ZADD", "zset", "1", "a", "2", "b", NULL);
    redis_many(f, "ZADD", "bigzset", 200, "m%d", 2);
    redis_ok(f, "ZADD", "widezset", "1", longv, NULL);
    free(longv);
    redis_ok(f, "XADD", "stream", "1-1", "a", "1", NULL);
    redis_ok(f, "SAVE", NULL);

    char path[400];
    snprintf(path, sizeof path, "%s/dump.rdb", f->rs.dir);
    f->ks = keyspace_create(store_variant("hamt"), 16);
    ck_assert_ptr_nonnull(f->ks);
    rdb_result res;
    ck_assert_msg(keyspace_load_rdb_file(f->ks, path, NULL, &res) == 0, "%s",
                  res.error);
    f->r = keyspace_reader_open(f->ks);
    ck_assert_ptr_nonnull(f->r);
}

static void fixture_stop(dbg_fixture *f)
{
    keyspace_reader_close(f->r);
    keyspace_destroy(f->ks);
    close(f->fd);
    redis_server_stop(&f->rs);
}

/* Run the handler on argv; the reply's bytes in out (NUL-terminated). */
static void ours(dbg_fixture *f, size_t argc, const char *const *argv,
                 char *out, size_t outsz)
{
    resp_value args[4];
    ck_assert(argc <= 4);
    for (size_t i = 0; i < argc; i++) {
        args[i].type = RESP_BULK;
        args[i].len = strlen(argv[i]);
        args[i].str = (char *)argv[i];
    }
    reply_buf rb;
    reply_init(&rb, 2);
    uint64_t rng = 1;
    server_ctx x = {.out = &rb, .argc = argc, .argv = args, .ks = f->r,
                    .db = 0, .databases = 16, .now_ms = value_now_ms(),
                    .rng = &rng};
    keyspace_read_begin(f->r);
    int rc = ex_debug_object(&x);
    keyspace_read_end(f->r);
    ck_assert_msg(rc == 0, HINT ": DEBUG OBJECT %s returned %d", argv[argc - 1],
                  rc);
    ck_assert_msg(rb.out.len < outsz, "reply too long");
    memcpy(out, rb.out.data, rb.out.len);
    out[rb.out.len] = '\0';
    reply_free(&rb);
}

/* The text after "name:" up to the next space, in line. */
static void field(const char *line, const char *name, char *out, size_t n)
{
    char pat[40];
    snprintf(pat, sizeof pat, " %s:", name);
    const char *p = strstr(line, pat);
    out[0] = '\0';
    if (p == NULL)
        return;
    p += strlen(pat);
    size_t i = 0;
    while (p[i] != '\0' && p[i] != ' ' && p[i] != '\r' && i + 1 < n) {
        out[i] = p[i];
        i++;
    }
    out[i] = '\0';
}

START_TEST(every_encoding_like_redis)
{
    static dbg_fixture f;
    fixture_start(&f);
    static const char *const keys[] = {
        "i0", "i5", "i9999", "i10000", "in5", "i127", "i128", "in128",
        "i12345", "i32768", "i70000", "imin32", "imax32", "ibig", "ibig2",
        "i5e9", "i12", "i19", "i20", "over", "s007", "splus", "sneg0",
        "empty", "hello", "sp", "len44", "len45", "len63", "len64",
        "len100", "len16383", "len16384", "len70000", "list", "biglist",
        "iset", "bigiset", "sset", "hash", "bighash", "widehash", "zset",
        "bigzset", "widezset", "stream",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char theirs[600], mine[600], esc[700];
        ck_assert_int_eq(redis_commandl(f.fd, theirs, sizeof theirs, "DEBUG",
                                        "OBJECT", keys[i], NULL), '+');
        const char *argv[] = {"DEBUG", "OBJECT", keys[i]};
        ours(&f, 3, argv, mine, sizeof mine);
        ck_assert_msg(strncmp(mine, "+Value at:0x", 12) == 0 &&
                          strstr(mine, "\r\n") == mine + strlen(mine) - 2,
                      HINT ": %s: want a simple string \"Value at:0x...\", "
                      "got %s", keys[i],
                      test_escape(esc, sizeof esc, mine, strlen(mine)));
        static const char *const names[] = {"refcount", "encoding",
            "serializedlength", "lru", "lru_seconds_idle"};
        const char *at = mine;
        for (size_t j = 0; j < 5; j++) { /* Redis's fields, Redis's order */
            char pat[40];
            snprintf(pat, sizeof pat, " %s:", names[j]);
            const char *p = strstr(at, pat);
            ck_assert_msg(p != NULL, HINT ": %s: no %s field after %s in %s",
                          keys[i], names[j], j ? names[j - 1] : "Value at",
                          mine);
            at = p + 1;
        }
        char a[64], b[64];
        field(theirs, "encoding", a, sizeof a);
        field(mine, "encoding", b, sizeof b);
        ck_assert_msg(strcmp(a, b) == 0, HINT ": %s: encoding:%s, Redis "
                      "says encoding:%s", keys[i], b, a);
        field(theirs, "refcount", a, sizeof a);
        field(mine, "refcount", b, sizeof b);
        ck_assert_msg(strcmp(a, b) == 0, HINT ": %s: refcount:%s, Redis "
                      "says refcount:%s", keys[i], b, a);
        const value *v;
        keyspace_read_begin(f.r);
        v = keyspace_get(f.r, 0, keys[i], strlen(keys[i]));
        ck_assert_ptr_nonnull(v);
        bool is_string = v->type == VALUE_STRING;
        keyspace_read_end(f.r);
        field(theirs, "serializedlength", a, sizeof a);
        field(mine, "serializedlength", b, sizeof b);
        if (is_string)
            ck_assert_msg(strcmp(a, b) == 0, HINT ": %s: serializedlength:%s,"
                          " Redis says serializedlength:%s (the RDB string "
                          "encodings of chapter 7)", keys[i], b, a);
        else /* our own plain RDB form: some bytes, except for a stream */
            ck_assert_msg(strcmp(keys[i], "stream") == 0 || atol(b) > 0,
                          HINT ": %s: serializedlength:%s, want the length of"
                          " its DUMP payload's value part", keys[i], b);
    }
    fixture_stop(&f);
}
END_TEST

START_TEST(errors_like_redis)
{
    static dbg_fixture f;
    fixture_start(&f);
    char theirs[300], mine[300], want[320];
    ck_assert_int_eq(redis_commandl(f.fd, theirs, sizeof theirs, "DEBUG",
                                    "OBJECT", "nosuchkey", NULL), '-');
    const char *argv[] = {"DEBUG", "OBJECT", "nosuchkey", "extra"};
    ours(&f, 3, argv, mine, sizeof mine);
    snprintf(want, sizeof want, "-%s\r\n", theirs);
    ck_assert_msg(strcmp(mine, want) == 0, HINT ": a missing key: %s, want %s",
                  mine, want);
    ck_assert_int_eq(redis_commandl(f.fd, theirs, sizeof theirs, "DEBUG",
                                    "OBJECT", "hello", "extra", NULL), '-');
    ours(&f, 4, argv, mine, sizeof mine);
    snprintf(want, sizeof want, "-%s\r\n", theirs);
    ck_assert_msg(strcmp(mine, want) == 0, HINT ": DEBUG OBJECT with two "
                  "arguments: %s, want %s", mine, want);
    fixture_stop(&f);
}
END_TEST

Suite *ex11_debug_object_suite(void)
{
    Suite *s = suite_create("ex11_debug_object");
    TCase *tc = test_tcase("debug_object", 60);
    tcase_add_test(tc, every_encoding_like_redis);
    tcase_add_test(tc, errors_like_redis);
    suite_add_tcase(s, tc);
    return s;
}
