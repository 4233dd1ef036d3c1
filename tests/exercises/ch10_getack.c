/* ch10_getack.c - tests for exercise 10.2 (exercises/ch10/getack_ex.c).
 *
 * First on a recorded stream, where the right answers are worked out by
 * hand; then the way a master checks them: the test becomes a replica of a
 * real redis-server (PING, REPLCONF, PSYNC ? -1, the snapshot), feeds the
 * stream it receives to the acker, sends back what the acker writes, and
 * asks the master: WAIT must count this replica, and INFO replication
 * must show the offset the acker reports equal to the master's own.
 */
#include "getack_ex.h"
#include "redis_server.h"
#include "test_util.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HINT "exercise 10.2: write ex_acker_feed in exercises/ch10/getack_ex.c"

static void cmd(resp_buf *b, const char *arg0, ...)
{
    const char *argv[8];
    size_t n = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *s = arg0; s != NULL && n < 8; s = va_arg(ap, const char *))
        argv[n++] = s;
    va_end(ap);
    ck_assert_int_eq(resp_write_command(b, n, argv, NULL), 0);
}

static void ack_bytes(resp_buf *b, uint64_t off)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRIu64, off);
    cmd(b, "REPLCONF", "ACK", num, NULL);
}

/* A stream with PING, SELECT, a transaction and three GETACKs, fed whole
 * and one byte at a time. */
START_TEST(recorded_stream)
{
    resp_buf s, want;
    resp_buf_init(&s);
    resp_buf_init(&want);
    const uint64_t start = 1000;
    /* Each GETACK is answered with start + the stream bytes before it. */
    cmd(&s, "REPLCONF", "GETACK", "*", NULL);
    ack_bytes(&want, start);
    cmd(&s, "PING", NULL);
    cmd(&s, "SELECT", "2", NULL);
    cmd(&s, "set", "k", "v", NULL);
    ack_bytes(&want, start + s.len);
    cmd(&s, "REPLCONF", "GETACK", "*", NULL);
    cmd(&s, "MULTI", NULL);
    cmd(&s, "incr", "n", NULL);
    cmd(&s, "lpush", "l", "a", "b", NULL);
    cmd(&s, "EXEC", NULL);
    ack_bytes(&want, start + s.len);
    cmd(&s, "REPLCONF", "GETACK", "*", NULL);
    uint64_t total = start + s.len;

    for (int bytewise = 0; bytewise < 2; bytewise++) {
        ex_acker a;
        resp_buf out;
        resp_buf_init(&out);
        ex_acker_init(&a, start);
        if (bytewise) {
            for (size_t i = 0; i < s.len; i++)
                ck_assert_int_eq(ex_acker_feed(&a, s.data + i, 1, &out), 0);
        } else {
            ck_assert_int_eq(ex_acker_feed(&a, s.data, s.len, &out), 0);
        }
        ck_assert_msg(ex_acker_offset(&a) == total,
                      HINT ": %s: offset %" PRIu64 " after the stream, want "
                      "%" PRIu64 " (every byte counts)",
                      bytewise ? "one byte at a time" : "one read",
                      ex_acker_offset(&a), total);
        char got[256], exp[256];
        ck_assert_msg(out.len == want.len &&
                          memcmp(out.data, want.data, want.len) == 0,
                      HINT ": %s: answers\n  %s\nwant\n  %s",
                      bytewise ? "one byte at a time" : "one read",
                      test_escape(got, sizeof got, out.data, out.len),
                      test_escape(exp, sizeof exp, want.data, want.len));
        resp_buf_free(&out);
        ex_acker_free(&a);
    }
    resp_buf_free(&s);
    resp_buf_free(&want);
}
END_TEST

/* MULTI holds the offset back until EXEC: a GETACK can only come between
 * transactions, so check the offset itself mid-transaction. */
START_TEST(offset_waits_for_exec)
{
    resp_buf s;
    resp_buf_init(&s);
    cmd(&s, "MULTI", NULL);
    cmd(&s, "set", "a", "1", NULL);
    size_t half = s.len;
    cmd(&s, "EXEC", NULL);
    ex_acker a;
    resp_buf out;
    resp_buf_init(&out);
    ex_acker_init(&a, 7);
    ck_assert_int_eq(ex_acker_feed(&a, s.data, half, &out), 0);
    ck_assert_msg(ex_acker_offset(&a) == 7, HINT ": offset %" PRIu64
                  " inside MULTI, want 7 (it moves at EXEC)",
                  ex_acker_offset(&a));
    ck_assert_int_eq(ex_acker_feed(&a, s.data + half, s.len - half, &out), 0);
    ck_assert_msg(ex_acker_offset(&a) == 7 + s.len, HINT ": offset %" PRIu64
                  " after EXEC, want %" PRIu64, ex_acker_offset(&a),
                  (uint64_t)(7 + s.len));
    resp_buf_free(&out);
    resp_buf_free(&s);
    ex_acker_free(&a);
}
END_TEST

/* ---- against a real master ------------------------------------------------ */

typedef struct conn {
    int fd;
    unsigned char buf[1 << 16];
    size_t pos, end;
} conn;

static int fill(conn *c, int timeout_ms)
{
    if (c->pos == c->end)
        c->pos = c->end = 0;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int r = poll(&p, 1, timeout_ms);
    if (r <= 0)
        return -1;
    ssize_t n = read(c->fd, c->buf + c->end, sizeof c->buf - c->end);
    if (n <= 0)
        return -1;
    c->end += (size_t)n;
    return 0;
}

/* One line of the handshake, CR LF dropped; bare newlines skipped. */
static void read_line(conn *c, char *line, size_t cap)
{
    size_t n = 0;
    for (;;) {
        while (c->pos < c->end) {
            char ch = (char)c->buf[c->pos++];
            if (ch == '\n') {
                if (n > 0 && line[n - 1] == '\r')
                    n--;
                if (n == 0)
                    continue; /* a keep-alive newline */
                line[n] = '\0';
                return;
            }
            if (n + 1 < cap)
                line[n++] = ch;
        }
        ck_assert_msg(fill(c, 10000) == 0, "the master sent no line");
    }
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *q = p;
    while (n > 0) {
        ssize_t w = write(fd, q, n);
        ck_assert_msg(w > 0, "write to the master failed: %s",
                      strerror(errno));
        q += w;
        n -= (size_t)w;
    }
}

static uint64_t info_field(int fd, const char *field)
{
    static char info[8192];
    ck_assert_int_eq(redis_commandl(fd, info, sizeof info, "INFO",
                                    "replication", NULL), '$');
    const char *p = strstr(info, field);
    ck_assert_msg(p != NULL, "INFO replication has no %s:\n%s", field, info);
    return strtoull(p + strlen(field), NULL, 10);
}

/* Feed whatever the master sends for a while, answering GETACKs. */
static void pump(conn *c, ex_acker *a, int ms)
{
    resp_buf out;
    resp_buf_init(&out);
    while (fill(c, ms) == 0) {
        ck_assert_msg(ex_acker_feed(a, c->buf + c->pos, c->end - c->pos,
                                    &out) == 0,
                      HINT ": the master's stream did not parse");
        c->pos = c->end;
        if (out.len) {
            send_all(c->fd, out.data, out.len);
            out.len = 0;
        }
    }
    resp_buf_free(&out);
}

START_TEST(a_real_master_agrees)
{
    redis_server rs;
    char err[512], reply[256];
    const char *extra[] = {"--repl-diskless-sync", "no", NULL};
    ck_assert_msg(redis_server_start(&rs, extra, err, sizeof err) == 0, "%s",
                  err);
    static conn rep;
    rep.fd = redis_server_connect(&rs);
    rep.pos = rep.end = 0;
    ck_assert_int_ge(rep.fd, 0);
    ck_assert_int_eq(redis_commandl(rep.fd, reply, sizeof reply, "PING",
                                    NULL), '+');
    ck_assert_int_eq(redis_commandl(rep.fd, reply, sizeof reply, "REPLCONF",
                                    "listening-port", "1", NULL), '+');
    resp_buf b;
    resp_buf_init(&b);
    cmd(&b, "PSYNC", "?", "-1", NULL);
    send_all(rep.fd, b.data, b.len);
    char line[256];
    read_line(&rep, line, sizeof line);
    char replid[64];
    unsigned long long start;
    ck_assert_msg(sscanf(line, "+FULLRESYNC %63s %llu", replid, &start) == 2,
                  "PSYNC answered %s", line);
    read_line(&rep, line, sizeof line);
    ck_assert_msg(line[0] == '$', "the snapshot header is %s", line);
    unsigned long long len = strtoull(line + 1, NULL, 10);
    while (len > 0) { /* skip the snapshot */
        if (rep.pos == rep.end)
            ck_assert_msg(fill(&rep, 10000) == 0, "snapshot cut short");
        size_t take = rep.end - rep.pos < len ? rep.end - rep.pos : len;
        rep.pos += take;
        len -= take;
    }

    ex_acker a;
    ex_acker_init(&a, start);
    int cl = redis_server_connect(&rs);
    ck_assert_int_ge(cl, 0);
    for (int round = 0; round < 3; round++) {
        redis_commandl(cl, reply, sizeof reply, "SET", "k", "v", NULL);
        redis_commandl(cl, reply, sizeof reply, "MULTI", NULL);
        redis_commandl(cl, reply, sizeof reply, "INCR", "n", NULL);
        redis_commandl(cl, reply, sizeof reply, "RPUSH", "l", "x", NULL);
        redis_commandl(cl, reply, sizeof reply, "EXEC", NULL);
        redis_commandl(cl, reply, sizeof reply, "SELECT", "1", NULL);
        redis_commandl(cl, reply, sizeof reply, "SET", "in1", "x", NULL);
        redis_commandl(cl, reply, sizeof reply, "SELECT", "0", NULL);
        /* WAIT makes the master send GETACK; answer it, then read WAIT's
         * reply. */
        resp_buf_free(&b);
        resp_buf_init(&b);
        cmd(&b, "WAIT", "1", "3000", NULL);
        send_all(cl, b.data, b.len);
        pump(&rep, &a, 300);
        char r[64];
        ck_assert_int_eq(read(cl, r, sizeof r - 1) > 0, 1);
        ck_assert_msg(strncmp(r, ":1\r\n", 4) == 0,
                      HINT ": round %d: WAIT did not count this replica (%.2s):"
                      " no ACK, or an ACK with too small an offset", round, r);
    }
    pump(&rep, &a, 200);
    uint64_t master = info_field(cl, "master_repl_offset:");
    ck_assert_msg(ex_acker_offset(&a) == master,
                  HINT ": the acker is at offset %" PRIu64 ", the master at "
                  "%" PRIu64, ex_acker_offset(&a), master);
    uint64_t seen = info_field(cl, "offset=");
    ck_assert_msg(seen <= master && seen > start,
                  HINT ": the master saw ACK offset %" PRIu64 " (start %llu, "
                  "master %" PRIu64 ")", seen, start, master);
    resp_buf_free(&b);
    ex_acker_free(&a);
    close(cl);
    close(rep.fd);
    redis_server_stop(&rs);
}
END_TEST

Suite *ex10_getack_suite(void)
{
    Suite *s = suite_create("ex10_getack");
    TCase *tc = test_tcase("getack", 60);
    tcase_add_test(tc, recorded_stream);
    tcase_add_test(tc, offset_waits_for_exec);
    tcase_add_test(tc, a_real_master_agrees);
    suite_add_tcase(s, tc);
    return s;
}
