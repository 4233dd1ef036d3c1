/* ch10_fake.c - chapter 10: the link against a scripted master.
 *
 * A real redis-server (ch10_link, ch10_master) is the oracle for what a
 * master does; this suite makes the master do what a real one does only
 * rarely or never on demand (tests/util/fake_master.h): newlines before
 * every reply of a slow BGSAVE, an EOF mark split across two reads at each
 * of its positions, a snapshot cut short or with a bad checksum, garbage
 * in the stream, a master that falls silent, replies split at every byte,
 * +CONTINUE with and without a new ID, -NOMASTERLINK, GETACK, a command
 * the applier refuses, a MULTI cut by a hang-up.  Each case scripts the
 * master's side on the test thread while the link runs on its own, and
 * then checks what the replica did: the commands it sent (PSYNC's
 * arguments, ACK offsets), its status and its data.
 *
 * The first test case checks the fake master itself with a plain socket
 * client, so that a failure below is the link's and not the script's.
 */
#include "fake_master.h"

#include "rdb.h"
#include "rdb_reader.h"
#include "test_util.h"
#include "value.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the fake master on its own --------------------------------------------- */

/* A plain client socket to the fake master, with a receive timeout. */
static int client_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_msg(connect(fd, (struct sockaddr *)&a, sizeof a) == 0,
                  "connect: %s", strerror(errno));
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void client_send(int fd, const char *s)
{
    size_t n = strlen(s);
    ck_assert_int_eq(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Read exactly n bytes (asserting they come), NUL-terminated in buf. */
static void client_read(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, buf + got, n - got, 0);
        ck_assert_msg(r > 0, "client: read %zu of %zu bytes, then %s", got,
                      n, r == 0 ? "end of file" : strerror(errno));
        got += (size_t)r;
    }
    buf[n] = '\0';
}

/* Whether the peer closed: recv returns 0 (nothing else pending). */
static void client_expect_eof(int fd)
{
    char c;
    ssize_t r = recv(fd, &c, 1, 0);
    ck_assert_msg(r == 0, "client: expected end of file, got %zd (%s)", r,
                  r < 0 ? strerror(errno) : "a byte");
}

START_TEST(fake_master_scripts_a_handshake)
{
    fake_master *fm = fake_master_listen();
    ck_assert_int_gt(fake_master_port(fm), 0);
    int fd = client_open(fake_master_port(fm));
    fake_master_accept(fm, 5000);

    /* The replica's side, written ahead: the fake answers in order. */
    client_send(fd, "*1\r\n$4\r\nPING\r\n"
                    "*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$1\r\np\r\n"
                    "*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n"
                    "$4\r\n6380\r\n"
                    "*5\r\n$8\r\nreplconf\r\n$4\r\ncapa\r\n$3\r\neof\r\n"
                    "$4\r\ncapa\r\n$6\r\npsync2\r\n"
                    "*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n");
    const resp_value *ps = fake_master_handshake(fm);
    ck_assert_int_eq(ps->len, 3);
    ck_assert_str_eq(ps->elems[1].str, "?");
    ck_assert_str_eq(ps->elems[2].str, "-1");
    char buf[64];
    client_read(fd, buf, 7 + 5 * 3);
    ck_assert_str_eq(buf, "+PONG\r\n+OK\r\n+OK\r\n+OK\r\n");

    /* expect: name case-insensitive, and the first argument. */
    client_send(fd, "*3\r\n$8\r\nreplconf\r\n$3\r\nack\r\n$2\r\n42\r\n");
    const resp_value *ack = fake_master_expect(fm, "REPLCONF ACK");
    ck_assert_str_eq(ack->elems[2].str, "42");

    /* wait_ack skips other commands; next times out on silence. */
    client_send(fd, "*1\r\n$4\r\nPING\r\n"
                    "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$4\r\n1234\r\n");
    ck_assert_uint_eq(fake_master_wait_ack(fm, 5000), 1234);
    ck_assert_ptr_null(fake_master_next(fm, 20));

    /* The three ways of sending deliver the same bytes. */
    resp_buf cmd;
    resp_buf_init(&cmd);
    fake_master_command(&cmd, "SET", "k", "v", NULL);
    ck_assert_bytes_str(cmd.data, cmd.len,
                        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    fake_master_send(fm, cmd.data, cmd.len);
    size_t splits[] = {0, cmd.len / 2, cmd.len};
    for (int i = 0; i < 3; i++)
        fake_master_send_split(fm, cmd.data, cmd.len, splits[i], 1);
    fake_master_send_bytewise(fm, cmd.data, cmd.len, 10);
    for (int i = 0; i < 1 + 3 + 1; i++) {
        client_read(fd, buf, cmd.len);
        ck_assert_bytes_eq(buf, cmd.len, cmd.data, cmd.len);
    }
    resp_buf_free(&cmd);

    /* A hang-up is a FIN after every byte sent; the replica's late
     * writes are still accepted. */
    fake_master_send_str(fm, "+last\r\n");
    fake_master_hangup(fm);
    client_read(fd, buf, 7);
    ck_assert_str_eq(buf, "+last\r\n");
    client_expect_eof(fd);
    client_send(fd, "*1\r\n$4\r\nPING\r\n");
    ck_assert_int_eq(fake_master_wait_close(fm, 20), -1);
    close(fd);
    ck_assert_int_eq(fake_master_wait_close(fm, 5000), 0);

    /* A second connection: wait_close sees the replica let go. */
    fd = client_open(fake_master_port(fm));
    fake_master_accept(fm, 5000);
    ck_assert_int_eq(fake_master_wait_close(fm, 20), -1);
    client_send(fd, "*1\r\n$4\r\nPING\r\n");
    close(fd);
    ck_assert_int_eq(fake_master_wait_close(fm, 5000), 0);
    ck_assert_ptr_null(fake_master_next(fm, 1000));

    /* accept closes the current connection. */
    int fd1 = client_open(fake_master_port(fm));
    fake_master_accept(fm, 5000);
    int fd2 = client_open(fake_master_port(fm));
    fake_master_accept(fm, 5000);
    client_expect_eof(fd1);
    fake_master_send_str(fm, "+two\r\n");
    client_read(fd2, buf, 6);
    ck_assert_str_eq(buf, "+two\r\n");
    close(fd1);
    close(fd2);
    fake_master_close(fm);
}
END_TEST

/* What an RDB from fake_master_rdb() holds. */
typedef struct rdb_seen {
    unsigned keys;
    int stream_db;
    bool keys_ok;
} rdb_seen;

static int seen_aux(void *arg, const rdb_buf *k, const rdb_buf *v)
{
    rdb_seen *s = arg;
    if (k->len == 14 && memcmp(k->p, "repl-stream-db", 14) == 0) {
        char t[16] = {0};
        memcpy(t, v->p, v->len < 15 ? v->len : 15);
        s->stream_db = atoi(t);
    }
    return 0;
}

static int seen_key(void *arg, const rdb_buf *k, value *v,
                    const rdb_key_info *info)
{
    rdb_seen *s = arg;
    char want_k[32], want_v[32];
    snprintf(want_k, sizeof want_k, "key:%u", s->keys);
    snprintf(want_v, sizeof want_v, "value:%u", s->keys);
    if (info->db != 0 || k->len != strlen(want_k) ||
        memcmp(k->p, want_k, k->len) != 0 ||
        value_str_len(v) != strlen(want_v) ||
        memcmp(value_str_bytes(v), want_v, strlen(want_v)) != 0)
        s->keys_ok = false;
    s->keys++;
    value_free(v);
    return 0;
}

START_TEST(fake_master_rdb_is_valid)
{
    unsigned counts[] = {0, 1, 300};
    int dbs[] = {-1, 0, 5};
    for (int i = 0; i < 3; i++) {
        unsigned char *p;
        size_t len;
        fake_master_rdb(&p, &len, counts[i], dbs[i]);
        rdb_seen s = {.stream_db = -1, .keys_ok = true};
        rdb_handler h = {.aux = seen_aux, .key = seen_key, .arg = &s};
        rdb_reader r;
        rdb_reader_init_mem(&r, p, len);
        rdb_result res;
        ck_assert_msg(rdb_parse(&r, &h, NULL, &res) == 0, "%s", res.error);
        ck_assert_int_eq(res.crc, RDB_CRC_OK);
        ck_assert_uint_eq(res.end_offset, len);
        ck_assert_uint_eq(s.keys, counts[i]);
        ck_assert(s.keys_ok);
        ck_assert_int_eq(s.stream_db, dbs[i]);
        rdb_reader_free(&r);
        free(p);
    }
}
END_TEST

Suite *ch10_fake_suite(void)
{
    Suite *s = suite_create("ch10_fake");
    TCase *tc = test_tcase("fake_master", 60);
    tcase_add_test(tc, fake_master_scripts_a_handshake);
    tcase_add_test(tc, fake_master_rdb_is_valid);
    suite_add_tcase(s, tc);
    return s;
}
