/* ch11_reply.c - chapter 11: the reply writer, byte for byte, in RESP2 and
 * RESP3, doubles checked against a real redis-server. */
#include "reply.h"
#include "alloc.h"
#include "redis_server.h"
#include "test_util.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Every shape once, in the given protocol. */
static void write_every_shape(reply_buf *r)
{
    ck_assert_int_eq(reply_simple(r, "OK"), 0);
    ck_assert_int_eq(reply_error(r, "ERR no"), 0);
    ck_assert_int_eq(reply_integer(r, -7), 0);
    ck_assert_int_eq(reply_bulk(r, "a\r\nb", 4), 0);
    ck_assert_int_eq(reply_null(r), 0);
    ck_assert_int_eq(reply_null_array(r), 0);
    ck_assert_int_eq(reply_array(r, 2), 0);
    ck_assert_int_eq(reply_map(r, 2), 0);
    ck_assert_int_eq(reply_set(r, 3), 0);
    ck_assert_int_eq(reply_push(r, 3), 0);
    ck_assert_int_eq(reply_double(r, 1.5), 0);
    ck_assert_int_eq(reply_double(r, 0.1), 0);
    ck_assert_int_eq(reply_double(r, INFINITY), 0);
    ck_assert_int_eq(reply_double(r, -INFINITY), 0);
    ck_assert_int_eq(reply_double(r, -NAN), 0);
    ck_assert_int_eq(reply_bool(r, true), 0);
    ck_assert_int_eq(reply_bool(r, false), 0);
    ck_assert_int_eq(reply_verbatim(r, "txt", "hi\r\n", 4), 0);
    ck_assert_int_eq(reply_bignum(r, "-3492890328409238509324850943850943825024385", 44), 0);
}

START_TEST(every_shape_in_resp2)
{
    reply_buf r;
    reply_init(&r, 2);
    write_every_shape(&r);
    ck_assert_bytes_str(r.out.data, r.out.len,
        "+OK\r\n-ERR no\r\n:-7\r\n$4\r\na\r\nb\r\n$-1\r\n*-1\r\n*2\r\n*4\r\n"
        "*3\r\n*3\r\n$3\r\n1.5\r\n$19\r\n0.10000000000000001\r\n$3\r\ninf\r\n"
        "$4\r\n-inf\r\n$3\r\nnan\r\n:1\r\n:0\r\n$4\r\nhi\r\n\r\n"
        "$44\r\n-3492890328409238509324850943850943825024385\r\n");
    reply_free(&r);
    ck_assert_ptr_null(r.out.data);
}
END_TEST

START_TEST(every_shape_in_resp3)
{
    reply_buf r;
    reply_init(&r, 3);
    write_every_shape(&r);
    ck_assert_bytes_str(r.out.data, r.out.len,
        "+OK\r\n-ERR no\r\n:-7\r\n$4\r\na\r\nb\r\n_\r\n_\r\n*2\r\n%2\r\n"
        "~3\r\n>3\r\n,1.5\r\n,0.10000000000000001\r\n,inf\r\n"
        ",-inf\r\n,nan\r\n#t\r\n#f\r\n=8\r\ntxt:hi\r\n\r\n"
        "(-3492890328409238509324850943850943825024385\r\n");
    reply_free(&r);
}
END_TEST

START_TEST(hello_switches_protocol)
{
    reply_buf r;
    reply_init(&r, 2);
    ck_assert_int_eq(reply_null(&r), 0);
    ck_assert_int_eq(reply_set_proto(&r, 4), -1);
    ck_assert_int_eq(r.proto, 2);
    ck_assert_int_eq(reply_set_proto(&r, 3), 0);
    ck_assert_int_eq(reply_null(&r), 0);
    ck_assert_bytes_str(r.out.data, r.out.len, "$-1\r\n_\r\n");
    reply_free(&r);
    reply_init(&r, 7);                   /* not a protocol: RESP2 */
    ck_assert_int_eq(r.proto, 2);
    reply_free(&r);
}
END_TEST

START_TEST(bad_input_is_refused_and_writes_nothing)
{
    reply_buf r;
    reply_init(&r, 3);
    ck_assert_int_eq(reply_simple(&r, "x"), 0);
    ck_assert_int_eq(reply_simple(&r, "OK\r\n+INJECTED"), -1);
    ck_assert_int_eq(reply_error(&r, "ERR\n"), -1);
    ck_assert_int_eq(reply_verbatim(&r, "tx", "a", 1), -1);
    ck_assert_int_eq(reply_verbatim(&r, "txtt", "a", 1), -1);
    ck_assert_int_eq(reply_verbatim(&r, "t:t", "a", 1), -1);
    ck_assert_int_eq(reply_verbatim(&r, "t\rt", "a", 1), -1);
    ck_assert_int_eq(reply_bignum(&r, "", 0), -1);
    ck_assert_int_eq(reply_bignum(&r, "-", 1), -1);
    ck_assert_int_eq(reply_bignum(&r, "12a", 3), -1);
    ck_assert_int_eq(reply_bignum(&r, "1.5", 3), -1);
    ck_assert_int_eq(reply_bignum(&r, "+1", 2), -1);
    ck_assert_int_eq(reply_map(&r, SIZE_MAX), 0);   /* RESP3: n itself */
    reply_set_proto(&r, 2);
    size_t len = r.out.len;
    ck_assert_int_eq(reply_map(&r, SIZE_MAX / 2 + 1), -1);  /* 2n overflows */
    ck_assert_uint_eq(r.out.len, len);
    ck_assert_bytes_str(r.out.data, r.out.len, "+x\r\n%18446744073709551615\r\n");
    reply_free(&r);
}
END_TEST

/* A deferred map of n pairs, inside a deferred array of two, between two
 * other replies. */
static void deferred(int proto, size_t n, const char *expect, size_t elen)
{
    reply_buf r;
    reply_init(&r, proto);
    ck_assert_int_eq(reply_simple(&r, "pre"), 0);
    reply_defer outer, inner;
    ck_assert_int_eq(reply_defer_begin(&r, &outer, REPLY_DEFER_ARRAY), 0);
    ck_assert_int_eq(reply_integer(&r, 0), 0);
    ck_assert_int_eq(reply_defer_begin(&r, &inner, REPLY_DEFER_MAP), 0);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(reply_bulk(&r, "k", 1), 0);
        ck_assert_int_eq(reply_integer(&r, (int64_t)i), 0);
    }
    ck_assert_int_eq(reply_defer_end(&r, &inner, n), 0);
    ck_assert_int_eq(reply_defer_end(&r, &outer, 2), 0);
    ck_assert_int_eq(reply_simple(&r, "post"), 0);
    ck_assert_bytes_eq(r.out.data, r.out.len, expect, elen);
    reply_free(&r);
}

START_TEST(deferred_lengths)
{
    static const char m2[] = "+pre\r\n*2\r\n:0\r\n*4\r\n$1\r\nk\r\n:0\r\n$1\r\nk\r\n:1\r\n+post\r\n";
    static const char m3[] = "+pre\r\n*2\r\n:0\r\n%2\r\n$1\r\nk\r\n:0\r\n$1\r\nk\r\n:1\r\n+post\r\n";
    static const char e2[] = "+pre\r\n*2\r\n:0\r\n*0\r\n+post\r\n";
    static const char e3[] = "+pre\r\n*2\r\n:0\r\n%0\r\n+post\r\n";
    deferred(2, 2, m2, sizeof m2 - 1);
    deferred(3, 2, m3, sizeof m3 - 1);
    deferred(2, 0, e2, sizeof e2 - 1);
    deferred(3, 0, e3, sizeof e3 - 1);

    /* A set, and a count as wide as the room; nothing after it. */
    reply_buf r;
    reply_init(&r, 3);
    reply_defer d;
    ck_assert_int_eq(reply_defer_begin(&r, &d, REPLY_DEFER_SET), 0);
    ck_assert_int_eq(reply_defer_end(&r, &d, SIZE_MAX), 0);
    ck_assert_bytes_str(r.out.data, r.out.len, "~18446744073709551615\r\n");
    reply_set_proto(&r, 2);
    r.out.len = 0;
    ck_assert_int_eq(reply_defer_begin(&r, &d, REPLY_DEFER_SET), 0);
    ck_assert_int_eq(reply_bulk(&r, "x", 1), 0);
    ck_assert_int_eq(reply_defer_end(&r, &d, 1), 0);
    ck_assert_bytes_str(r.out.data, r.out.len, "*1\r\n$1\r\nx\r\n");
    /* RESP2 map: 2n must fit. */
    r.out.len = 0;
    ck_assert_int_eq(reply_defer_begin(&r, &d, REPLY_DEFER_MAP), 0);
    size_t len = r.out.len;
    ck_assert_int_eq(reply_defer_end(&r, &d, SIZE_MAX / 2 + 1), -1);
    ck_assert_uint_eq(r.out.len, len);
    reply_free(&r);
}
END_TEST

/* Each shape as one call, for the out-of-memory sweep. */
static int shape(reply_buf *r, int i)
{
    static reply_defer d;
    switch (i) {
    case 0: return reply_simple(r, "OK");
    case 1: return reply_error(r, "ERR x");
    case 2: return reply_integer(r, 42);
    case 3: return reply_bulk(r, "hello", 5);
    case 4: return reply_null(r);
    case 5: return reply_null_array(r);
    case 6: return reply_array(r, 3);
    case 7: return reply_map(r, 3);
    case 8: return reply_set(r, 3);
    case 9: return reply_push(r, 3);
    case 10: return reply_double(r, 0.1);
    case 11: return reply_bool(r, true);
    case 12: return reply_verbatim(r, "txt", "some text", 9);
    case 13: return reply_bignum(r, "12345678901234567890123", 23);
    case 14: return reply_defer_begin(r, &d, REPLY_DEFER_MAP);
    default: return 1;
    }
}

START_TEST(out_of_memory_leaves_the_buffer_unchanged)
{
    /* Fill the buffer to every length near its first capacity (256), so that
     * the failed growth falls before, inside and after each part of a
     * reply; then the same call without a failure must succeed. */
    for (int proto = 2; proto <= 3; proto++) {
        for (int i = 0; shape(NULL, 99) == 1 && i < 15; i++) {
            int failed = 0;
            for (size_t fill = 200; fill <= 256; fill++) {
                reply_buf r;
                reply_init(&r, proto);
                char pad[256];
                memset(pad, 'p', sizeof pad);
                ck_assert_int_eq(resp_buf_append(&r.out, pad, fill), 0);
                alloc_fail_from(1);
                int rc = shape(&r, i);
                alloc_fail_off();
                if (rc != 0) {
                    ck_assert_int_eq(rc, -1);
                    failed++;
                    ck_assert_uint_eq(r.out.len, fill);
                    ck_assert_bytes_eq(r.out.data, r.out.len, pad, fill);
                }
                size_t before = r.out.len;
                ck_assert_int_eq(shape(&r, i), 0);
                ck_assert_uint_gt(r.out.len, before);
                reply_free(&r);
            }
            ck_assert_msg(failed > 0, "shape %d never met a failed allocation", i);
        }
    }
}
END_TEST

/* --- doubles beside redis-server ---------------------------------------- */

/* Read until done(buf, len) holds; the bytes read, or -1. */
static ssize_t read_until(int fd, char *buf, size_t cap,
                          int (*done)(const char *, size_t))
{
    size_t len = 0;
    while (!done(buf, len)) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (len == cap || poll(&p, 1, 10000) != 1) return -1;
        ssize_t k = recv(fd, buf + len, cap - len, 0);
        if (k <= 0) return -1;
        len += (size_t)k;
    }
    return (ssize_t)len;
}

static int ends_pong(const char *b, size_t n)
{
    return n >= 7 && memcmp(b + n - 7, "+PONG\r\n", 7) == 0;
}

static int one_line(const char *b, size_t n)
{
    return n >= 2 && memcmp(b + n - 2, "\r\n", 2) == 0;
}

static int bulk_done(const char *b, size_t n)
{
    const char *crlf = memmem(b, n, "\r\n", 2);
    return crlf && b[0] == '$' && one_line(b, n) && (size_t)(crlf - b) + 2 < n;
}

static void send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        ck_assert_int_gt(k, 0);
        s += k;
        n -= (size_t)k;
    }
}

/* Scores whose text is easy to get wrong: 17-digit rounding, exponents,
 * subnormals, the largest and smallest doubles, integers past 2^53. */
static const char *const tricky[] = {
    "0.1", "0.2", "0.3", "1.5", "3", "-3", "100", "2.5e-7", "1e300",
    "-1e-300", "5e-324", "2.2250738585072014e-308", "1.7976931348623157e308",
    "-1.7976931348623157e308", "123456789012345678", "9007199254740993",
    "1e15", "1e16", "1e17", "1e21", "1e22", "0.000001", "0.0000001",
    "4.35", "1.1", "2.675", "33.33333333333333", "-0.5", "0", "-0",
    "inf", "-inf", "+inf", "1e-5", "12345.6789", "0.30000000000000004",
};

START_TEST(doubles_match_redis_server)
{
    redis_server rs;
    char err[1024];
    ck_assert_msg(redis_server_start(&rs, NULL, err, sizeof err) == 0,
                  "cannot start redis-server: %s", err);
    int fd2 = redis_server_connect(&rs);
    int fd3 = redis_server_connect(&rs);
    ck_assert_int_ge(fd2, 0);
    ck_assert_int_ge(fd3, 0);
    char buf[65536];
    static const char hello[] =
        "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*1\r\n$4\r\nPING\r\n";
    send_all(fd3, hello, sizeof hello - 1);
    ck_assert_int_gt(read_until(fd3, buf, sizeof buf, ends_pong), 0);
    ck_assert_msg(memmem(buf, sizeof buf, "proto", 5) != NULL,
                  "HELLO 3 answered without a proto field");

    /* A skiplist zset keeps each score as a double.  A listpack keeps its
     * text and reads "-0" back as the integer 0, which would test the
     * storage, not the reply (redis/redis src/t_zset.c, src/listpack.c). */
    static const char cfg[] =
        "*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n"
        "$25\r\nzset-max-listpack-entries\r\n$1\r\n0\r\n";
    send_all(fd2, cfg, sizeof cfg - 1);
    ssize_t got = read_until(fd2, buf, sizeof buf, one_line);
    ck_assert_msg(got == 5 && memcmp(buf, "+OK\r\n", 5) == 0, "CONFIG SET: %.*s",
                  (int)(got > 0 ? got : 0), buf);

    reply_buf r2, r3;
    reply_init(&r2, 2);
    reply_init(&r3, 3);
    for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++) {
        char member[16];
        snprintf(member, sizeof member, "m%zu", i);
        resp_buf cmd;
        resp_buf_init(&cmd);
        const char *zadd[] = { "ZADD", "z", tricky[i], member };
        ck_assert_int_eq(resp_write_command(&cmd, 4, zadd, NULL), 0);
        send_all(fd2, cmd.data, cmd.len);
        ssize_t n = read_until(fd2, buf, sizeof buf, one_line);
        ck_assert_msg(n == 4 && memcmp(buf, ":1\r\n", 4) == 0,
                      "ZADD %s: %.*s", tricky[i], (int)(n > 0 ? n : 0), buf);
        cmd.len = 0;
        const char *zscore[] = { "ZSCORE", "z", member };
        ck_assert_int_eq(resp_write_command(&cmd, 3, zscore, NULL), 0);

        /* Our score is the one ZADD read: strtod, as Redis parses it. */
        double d = strtod(tricky[i], NULL);
        r2.out.len = r3.out.len = 0;
        ck_assert_int_eq(reply_double(&r2, d), 0);
        ck_assert_int_eq(reply_double(&r3, d), 0);

        send_all(fd2, cmd.data, cmd.len);
        n = read_until(fd2, buf, sizeof buf, bulk_done);
        ck_assert_int_gt(n, 0);
        ck_assert_msg((size_t)n == r2.out.len && memcmp(buf, r2.out.data, r2.out.len) == 0,
                      "RESP2 ZSCORE of %s: redis %.*s, we %.*s", tricky[i],
                      (int)n, buf, (int)r2.out.len, r2.out.data);
        send_all(fd3, cmd.data, cmd.len);
        n = read_until(fd3, buf, sizeof buf, one_line);
        ck_assert_int_gt(n, 0);
        ck_assert_msg((size_t)n == r3.out.len && memcmp(buf, r3.out.data, r3.out.len) == 0,
                      "RESP3 ZSCORE of %s: redis %.*s, we %.*s", tricky[i],
                      (int)n, buf, (int)r3.out.len, r3.out.data);
        resp_buf_free(&cmd);
    }
    reply_free(&r2);
    reply_free(&r3);
    close(fd2);
    close(fd3);
    redis_server_stop(&rs);
}
END_TEST

Suite *ch11_reply_suite(void)
{
    Suite *s = suite_create("ch11_reply");
    TCase *tc = test_tcase("shapes", 10);
    tcase_add_test(tc, every_shape_in_resp2);
    tcase_add_test(tc, every_shape_in_resp3);
    tcase_add_test(tc, hello_switches_protocol);
    tcase_add_test(tc, bad_input_is_refused_and_writes_nothing);
    tcase_add_test(tc, deferred_lengths);
    tcase_add_test(tc, out_of_memory_leaves_the_buffer_unchanged);
    suite_add_tcase(s, tc);
    tc = test_tcase("redis", 60);
    tcase_add_test(tc, doubles_match_redis_server);
    suite_add_tcase(s, tc);
    return s;
}
