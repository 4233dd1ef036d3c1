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

#include "dataset.h"
#include "rdb.h"
#include "rdb_reader.h"
#include "repl.h"
#include "repl_snapshot.h"
#include "test_util.h"
#include "value.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the fake master on its own ----------------------------------------- */

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

/* ---- the link against the fake master ----------------------------------- */

/* How long any one wait of a script may take (never reached when the link
 * works; generous for Valgrind). */
#define T_MS 10000

/* Two replication IDs (40 hex characters) and an EOF mark. */
#define REPLID "1111111111111111111111111111111111111111"
#define REPLID2 "2222222222222222222222222222222222222222"
#define MARK "0123456789abcdef0123456789abcdef01234567"

/* One test's link, its dataset and its master. */
static struct {
    fake_master *fm;
    dataset *ds;
    repl *r;
    pthread_mutex_t mu; /* guards log */
    char log[16384];    /* the link's log lines, newline-separated */
    size_t log_len;
} fx;

static void capture_log(void *arg, repl_log_level level, const char *msg)
{
    (void)arg;
    (void)level;
    pthread_mutex_lock(&fx.mu);
    size_t n = strlen(msg);
    if (fx.log_len + n + 2 < sizeof fx.log) {
        memcpy(fx.log + fx.log_len, msg, n);
        fx.log_len += n;
        fx.log[fx.log_len++] = '\n';
        fx.log[fx.log_len] = '\0';
    }
    pthread_mutex_unlock(&fx.mu);
}

static void link_setup(void)
{
    memset(&fx, 0, sizeof fx);
    pthread_mutex_init(&fx.mu, NULL);
    fx.fm = fake_master_listen();
}

static void link_teardown(void)
{
    if (fx.r != NULL) {
        repl_stop(fx.r);
        repl_destroy(fx.r);
    }
    fake_master_close(fx.fm);
    dataset_destroy(fx.ds);
    pthread_mutex_destroy(&fx.mu);
    memset(&fx, 0, sizeof fx);
}

/* Options for the fake master: fast retries, a quiet log, and ACKs only
 * when a step causes one (after a diskless load, for a GETACK). */
static repl_options link_options(void)
{
    repl_options o = repl_options_default();
    o.host = "127.0.0.1";
    o.port = fake_master_port(fx.fm);
    o.backoff_min_ms = 10;
    o.backoff_max_ms = 50;
    o.ack_period_ms = 3600 * 1000;
    o.seed = 1;
    o.log = capture_log;
    o.log_level = REPL_LOG_DEBUG;
    return o;
}

static void link_start(const repl_options *o)
{
    fx.ds = dataset_create(store_variant("hamt"), 16);
    ck_assert_ptr_nonnull(fx.ds);
    char err[256] = "";
    fx.r = repl_create(o, fx.ds, err, sizeof err);
    ck_assert_msg(fx.r != NULL, "repl_create: %s", err);
    ck_assert_int_eq(repl_start(fx.r), 0);
}

static repl_status status(void)
{
    repl_status st;
    repl_status_get(fx.r, &st);
    return st;
}

/* Argument i of a command the replica sent. */
static const char *argn(const resp_value *cmd, size_t i)
{
    ck_assert_msg(cmd->type == RESP_ARRAY && i < cmd->len &&
                      cmd->elems[i].type == RESP_BULK,
                  "the replica's command has no argument %zu", i);
    return cmd->elems[i].str;
}

/* Check PSYNC's arguments: ("?", "-1") or (replid, offset + 1). */
static void check_psync(const resp_value *ps, const char *id, int64_t next)
{
    char off[32];
    snprintf(off, sizeof off, "%" PRId64, next);
    ck_assert_uint_eq(ps->len, 3);
    ck_assert_str_eq(argn(ps, 1), id);
    ck_assert_str_eq(argn(ps, 2), off);
}

/* The bytes of one command as a master propagates it. */
#define CMD(buf, ...) fake_master_command((buf), __VA_ARGS__, NULL)

/* Send a buffer and free it; returns its length. */
static size_t send_buf(resp_buf *b)
{
    size_t n = b->len;
    fake_master_send(fx.fm, b->data, b->len);
    resp_buf_free(b);
    return n;
}

/* The snapshot with its header: "$<len>\r\n" + RDB, or "$EOF:<mark>\r\n" +
 * RDB + mark.  The RDB's length is stored in *rdb_len. */
static void snapshot_bytes(resp_buf *out, unsigned keys, int stream_db,
                           bool diskless, size_t *rdb_len)
{
    unsigned char *p;
    size_t len;
    fake_master_rdb(&p, &len, keys, stream_db);
    char hdr[64];
    if (diskless)
        snprintf(hdr, sizeof hdr, "$EOF:%s\r\n", MARK);
    else
        snprintf(hdr, sizeof hdr, "$%zu\r\n", len);
    resp_buf_init(out);
    ck_assert_int_eq(resp_buf_append(out, hdr, strlen(hdr)), 0);
    ck_assert_int_eq(resp_buf_append(out, p, len), 0);
    if (diskless)
        ck_assert_int_eq(resp_buf_append(out, MARK, 40), 0);
    free(p);
    if (rdb_len != NULL)
        *rdb_len = len;
}

static void send_fullresync(const char *id, uint64_t offset)
{
    char line[96];
    snprintf(line, sizeof line, "+FULLRESYNC %s %" PRIu64 "\r\n", id, offset);
    fake_master_send_str(fx.fm, line);
}

/*
 * Answer the PSYNC just read with a full resync of `keys` keys at offset,
 * and wait until the replica serves it (after a diskless load, its ACK
 * first: a master streams nothing before it).
 */
static void full_sync(const char *id, uint64_t offset, unsigned keys,
                      bool diskless)
{
    send_fullresync(id, offset);
    resp_buf snap;
    snapshot_bytes(&snap, keys, 0, diskless, NULL);
    send_buf(&snap);
    if (diskless)
        ck_assert_uint_eq(fake_master_wait_ack(fx.fm, T_MS), offset);
    ck_assert_int_eq(repl_wait_offset(fx.r, offset, T_MS), 0);
    ck_assert_int_eq(repl_wait_state(fx.r, REPL_STREAMING, T_MS), 0);
}

/* Accept the link's (next) connection and run the handshake. */
static const resp_value *connect_and_handshake(void)
{
    fake_master_accept(fx.fm, T_MS);
    return fake_master_handshake(fx.fm);
}

/* A fresh link, synced from scratch: PSYNC ? -1, then a full resync. */
static void synced_link(repl_options *o, uint64_t offset, unsigned keys,
                        bool diskless)
{
    link_start(o);
    check_psync(connect_and_handshake(), "?", -1);
    full_sync(REPLID, offset, keys, diskless);
}

/* What readers see: keys in a database, a string value. */
static size_t db_size(unsigned db)
{
    dataset_reader *rd = dataset_reader_open(fx.ds);
    ck_assert_ptr_nonnull(rd);
    keyspace_reader *k = dataset_read_begin(rd);
    size_t n = keyspace_dbsize(k, db);
    dataset_read_end(rd);
    dataset_reader_close(rd);
    return n;
}

/* The string at db/key, or "(nil)" when missing. */
static const char *get_str(unsigned db, const char *key, char *out,
                           size_t outsz)
{
    dataset_reader *rd = dataset_reader_open(fx.ds);
    ck_assert_ptr_nonnull(rd);
    keyspace_reader *k = dataset_read_begin(rd);
    const value *v = keyspace_get(k, db, key, strlen(key));
    if (v == NULL) {
        snprintf(out, outsz, "(nil)");
    } else {
        size_t n = value_str_len(v);
        if (n >= outsz)
            n = outsz - 1;
        memcpy(out, value_str_bytes(v), n);
        out[n] = '\0';
    }
    dataset_read_end(rd);
    dataset_reader_close(rd);
    return out;
}

#define ck_assert_key(db, key, want)                                         \
    do {                                                                     \
        char v_[128];                                                        \
        ck_assert_str_eq(get_str((db), (key), v_, sizeof v_), (want));      \
    } while (0)

/* last_error contains every one of the words (case-insensitive). */
static void check_error_has(const char *a, const char *b)
{
    repl_status st = status();
    ck_assert_msg(strcasestr(st.last_error, a) != NULL &&
                      (b == NULL || strcasestr(st.last_error, b) != NULL),
                  "last_error \"%s\" does not name \"%s\"%s%s", st.last_error,
                  a, b ? " and " : "", b ? b : "");
}

/* The handshake a 7.0 replica sends, command by command. */
START_TEST(handshake_as_redis_sends_it)
{
    repl_options o = link_options();
    if (_i == 1) {
        o.password = "secret";
    } else if (_i == 2) {
        o.user = "repl";
        o.password = "secret";
    }
    o.listening_port = 6390;
    link_start(&o);
    fake_master_accept(fx.fm, T_MS);
    const resp_value *c = fake_master_expect(fx.fm, "PING");
    ck_assert_uint_eq(c->len, 1);
    fake_master_send_str(fx.fm, "+PONG\r\n");
    if (_i > 0) {
        c = fake_master_expect(fx.fm, "AUTH");
        ck_assert_uint_eq(c->len, _i == 1 ? 2 : 3);
        if (_i == 2)
            ck_assert_str_eq(argn(c, 1), "repl");
        ck_assert_str_eq(argn(c, c->len - 1), "secret");
        fake_master_send_str(fx.fm, "+OK\r\n");
    }
    c = fake_master_expect(fx.fm, "REPLCONF listening-port");
    ck_assert_str_eq(argn(c, 2), "6390");
    fake_master_send_str(fx.fm, "+OK\r\n");
    c = fake_master_expect(fx.fm, "REPLCONF capa");
    ck_assert_uint_eq(c->len, 5);
    ck_assert_str_eq(argn(c, 2), "eof");
    ck_assert_str_eq(argn(c, 3), "capa");
    ck_assert_str_eq(argn(c, 4), "psync2");
    fake_master_send_str(fx.fm, "+OK\r\n");
    check_psync(fake_master_expect(fx.fm, "PSYNC"), "?", -1);
    full_sync(REPLID, 10, 3, false);
    repl_status st = status();
    ck_assert_str_eq(st.replid, REPLID);
    ck_assert_uint_eq(st.offset, 10);
    ck_assert_uint_eq(st.full_syncs, 1);
    ck_assert(st.loaded);
    ck_assert_uint_eq(db_size(0), 3);
}
END_TEST

/* Bare newlines before +FULLRESYNC and before the '$' (a master sends one
 * a second while its BGSAVE runs) are skipped and not counted. */
START_TEST(newlines_before_fullresync_and_payload)
{
    bool diskless = _i == 1;
    repl_options o = link_options();
    link_start(&o);
    check_psync(connect_and_handshake(), "?", -1);
    fake_master_send_str(fx.fm, "\n");
    fake_master_send_str(fx.fm, "\n\n");
    send_fullresync(REPLID, 1000);
    fake_master_send_str(fx.fm, "\n");
    fake_master_send_str(fx.fm, "\r\n\n");
    /* The first command comes in the same write as the snapshot's end. */
    resp_buf snap, b;
    snapshot_bytes(&snap, 20, 0, diskless, NULL);
    resp_buf_init(&b);
    CMD(&b, "SET", "a", "1");
    uint64_t end = 1000 + b.len;
    ck_assert_int_eq(resp_buf_append(&snap, b.data, b.len), 0);
    resp_buf_free(&b);
    size_t snap_len = send_buf(&snap);
    if (diskless)
        ck_assert_uint_eq(fake_master_wait_ack(fx.fm, T_MS), 1000);
    ck_assert_int_eq(repl_wait_offset(fx.r, end, T_MS), 0);
    ck_assert_uint_eq(db_size(0), 21);
    ck_assert_key(0, "key:19", "value:19");
    ck_assert_key(0, "a", "1");
    repl_status st = status();
    ck_assert_str_eq(st.replid, REPLID);
    ck_assert_uint_eq(st.offset, end);
    ck_assert_uint_eq(st.snapshot_keys, 20);
    ck_assert_uint_eq(st.full_syncs, 1);
    ck_assert_uint_eq(st.sync_failures, 0);
    /* Every byte the master sent is counted: +PONG, two +OK (listening-
     * port, capa), the newlines, +FULLRESYNC, the snapshot, the SET. */
    uint64_t sent = 7 + 2 * 5 + 3 +
                    strlen("+FULLRESYNC " REPLID " 1000\r\n") + 4 + snap_len;
    ck_assert_uint_eq(st.bytes_received, sent);
}
END_TEST

/* The EOF mark arrives split between two reads at each of its positions
 * (0: all of it in the second read, 40: all in the first); a command
 * follows it in the second read. */
START_TEST(eof_mark_split_at_every_position)
{
    repl_options o = link_options();
    link_start(&o);
    check_psync(connect_and_handshake(), "?", -1);
    send_fullresync(REPLID, 500);
    resp_buf snap;
    size_t rdb_len;
    snapshot_bytes(&snap, 10, 0, true, &rdb_len);
    size_t hdr = snap.len - rdb_len - 40;
    resp_buf cmd;
    resp_buf_init(&cmd);
    CMD(&cmd, "SET", "after", "mark");
    ck_assert_int_eq(resp_buf_append(&snap, cmd.data, cmd.len), 0);
    fake_master_send(fx.fm, snap.data, hdr);
    fake_master_send_split(fx.fm, snap.data + hdr, snap.len - hdr,
                           rdb_len + (size_t)_i, 20);
    ck_assert_uint_eq(fake_master_wait_ack(fx.fm, T_MS), 500);
    ck_assert_int_eq(repl_wait_offset(fx.r, 500 + cmd.len, T_MS), 0);
    ck_assert_uint_eq(db_size(0), 11);
    ck_assert_key(0, "after", "mark");
    ck_assert_key(0, "key:9", "value:9");
    repl_status st = status();
    ck_assert_uint_eq(st.snapshot_bytes, rdb_len);
    resp_buf_free(&cmd);
    resp_buf_free(&snap);
}
END_TEST

/*
 * A second full sync fails (cut short: _i 0 and 1; bad checksum: _i 2 and
 * 3; disk and diskless framing): the link drops, names the failure, keeps
 * serving the old data, retries, and the retry loads.
 */
START_TEST(failed_snapshot_keeps_old_data)
{
    bool diskless = _i % 2 == 1;
    bool bad_crc = _i >= 2;
    repl_options o = link_options();
    synced_link(&o, 1000, 10, false);
    resp_buf b;
    resp_buf_init(&b);
    CMD(&b, "SET", "a", "old");
    uint64_t off = 1000 + send_buf(&b);
    ck_assert_int_eq(repl_wait_offset(fx.r, off, T_MS), 0);
    fake_master_hangup(fx.fm);

    check_psync(connect_and_handshake(), REPLID, (int64_t)off + 1);
    send_fullresync(REPLID2, 5000);
    resp_buf snap;
    size_t rdb_len;
    snapshot_bytes(&snap, 100, 0, diskless, &rdb_len);
    size_t hdr = snap.len - rdb_len - (diskless ? 40 : 0);
    if (bad_crc) {
        snap.data[hdr + rdb_len - 1] ^= 0x5a; /* the CRC's last byte */
        fake_master_send(fx.fm, snap.data, snap.len);
        ck_assert_int_eq(fake_master_wait_close(fx.fm, T_MS), 0);
    } else {
        fake_master_send(fx.fm, snap.data, hdr + rdb_len / 2);
        fake_master_hangup(fx.fm);
    }
    resp_buf_free(&snap);

    /* The retry comes after the failure is recorded. */
    fake_master_accept(fx.fm, T_MS);
    if (bad_crc)
        check_error_has("checksum", NULL);
    else
        check_error_has("snapshot", "truncated");
    repl_status st = status();
    ck_assert(st.loaded);
    ck_assert_uint_eq(st.full_syncs, 1);
    ck_assert_uint_ge(st.sync_failures, 1);
    ck_assert_uint_eq(dataset_generation(fx.ds), 1);
    ck_assert_uint_eq(db_size(0), 11);
    ck_assert_key(0, "a", "old");

    /* The replica holds REPLID's history up to off, none of REPLID2's: it
     * may ask to continue the one it has, or for everything, but never
     * to continue the history whose snapshot it failed to load. */
    const resp_value *ps = fake_master_handshake(fx.fm);
    if (strcmp(argn(ps, 1), "?") == 0)
        check_psync(ps, "?", -1);
    else
        check_psync(ps, REPLID, (int64_t)off + 1);
    full_sync(REPLID2, 6000, 100, diskless);
    ck_assert_uint_eq(dataset_generation(fx.ds), 2);
    ck_assert_uint_eq(db_size(0), 100);
    ck_assert_key(0, "a", "(nil)");
    st = status();
    ck_assert_str_eq(st.replid, REPLID2);
    ck_assert_uint_eq(st.offset, 6000);
    ck_assert_uint_eq(st.full_syncs, 2);
}
END_TEST

/* Bytes that are not a stream of commands drop the link, and the copy is
 * no longer trusted: the next PSYNC asks for a full resync. */
static const char *const garbage[] = {
    "hello world\r\n",                   /* inline junk */
    "+OK\r\n",                           /* a reply, not a command */
    "*2\r\n$3\r\nSET\r\n:1\r\n",         /* a non-bulk argument */
    "*1\r\n$-5\r\n",                     /* a bad bulk length */
};

START_TEST(garbage_in_stream_forces_full_resync)
{
    repl_options o = link_options();
    synced_link(&o, 1000, 5, false);
    resp_buf b;
    resp_buf_init(&b);
    CMD(&b, "SET", "a", "1");
    uint64_t off = 1000 + b.len;
    ck_assert_int_eq(resp_buf_append(&b, garbage[_i], strlen(garbage[_i])),
                     0);
    send_buf(&b);
    ck_assert_int_eq(fake_master_wait_close(fx.fm, T_MS), 0);
    ck_assert_int_eq(repl_wait_offset(fx.r, off, T_MS), 0);
    ck_assert_key(0, "a", "1");

    check_psync(connect_and_handshake(), "?", -1);
    /* The error names the offset of the bad byte: within the garbage. */
    repl_status st = status();
    const char *at = strstr(st.last_error, "offset ");
    ck_assert_msg(at != NULL, "last_error \"%s\" names no offset",
                  st.last_error);
    uint64_t bad = strtoull(at + 7, NULL, 10);
    ck_assert_msg(bad >= off && bad < off + strlen(garbage[_i]),
                  "last_error \"%s\": the garbage is at %" PRIu64 "..%zu",
                  st.last_error, off, off + strlen(garbage[_i]) - 1);
    full_sync(REPLID2, 7000, 5, false);
    ck_assert_key(0, "a", "(nil)");
    ck_assert_uint_eq(status().full_syncs, 2);
}
END_TEST

/*
 * A master that falls silent for longer than timeout_ms (500 ms) is
 * dropped, wherever the link is: before +PONG (_i 0), before PSYNC's
 * answer (1), in the middle of the snapshot (2), in the stream (3; the
 * copy is good, so the next PSYNC asks to continue).
 */
START_TEST(stall_longer_than_timeout_drops_link)
{
    repl_options o = link_options();
    o.timeout_ms = 500;
    link_start(&o);
    fake_master_accept(fx.fm, T_MS);
    uint64_t off = 0;
    if (_i == 0) {
        fake_master_expect(fx.fm, "PING");
    } else {
        check_psync(fake_master_handshake(fx.fm), "?", -1);
        if (_i == 2) {
            send_fullresync(REPLID, 100);
            resp_buf snap;
            snapshot_bytes(&snap, 50, 0, false, NULL);
            fake_master_send(fx.fm, snap.data, snap.len / 2);
            resp_buf_free(&snap);
        } else if (_i == 3) {
            full_sync(REPLID, 100, 50, false);
            resp_buf b;
            resp_buf_init(&b);
            CMD(&b, "SET", "a", "1");
            off = 100 + send_buf(&b);
            ck_assert_int_eq(repl_wait_offset(fx.r, off, T_MS), 0);
        }
    }
    ck_assert_int_eq(fake_master_wait_close(fx.fm, T_MS), 0);
    fake_master_accept(fx.fm, T_MS);
    check_error_has("timeout", NULL);
    ck_assert_uint_ge(status().reconnects + status().sync_failures, 1);
    const resp_value *ps = fake_master_handshake(fx.fm);
    if (_i == 3) {
        check_psync(ps, REPLID, (int64_t)off + 1);
        ck_assert_key(0, "a", "1");
    } else {
        check_psync(ps, "?", -1);
        ck_assert(!status().loaded);
    }
}
END_TEST

/* How the master's bytes reach the replica in split_at_every_byte. */
static int split_mode;

static void send_mode(const void *p, size_t n)
{
    if (split_mode == 0)
        fake_master_send(fx.fm, p, n);
    else
        fake_master_send_bytewise(fx.fm, p, n, 20);
}

static void send_mode_str(const char *s)
{
    send_mode(s, strlen(s));
}

/*
 * The whole conversation split at every byte: read_chunk = 1 (the replica
 * reads one byte at a time: _i 0), one write per byte (_i 1), both (_i 2).
 * Handshake replies, newlines, a diskless snapshot, then a stream with
 * SELECT, MULTI/EXEC, PING and GETACK.
 */
START_TEST(reply_split_at_every_byte)
{
    split_mode = _i >= 1;
    repl_options o = link_options();
    if (_i != 1)
        o.read_chunk = 1;
    link_start(&o);
    fake_master_accept(fx.fm, T_MS);
    fake_master_expect(fx.fm, "PING");
    send_mode_str("+PONG\r\n");
    const resp_value *c;
    for (;;) {
        c = fake_master_next(fx.fm, T_MS);
        ck_assert_ptr_nonnull(c);
        if (strcasecmp(argn(c, 0), "PSYNC") == 0)
            break;
        ck_assert_str_eq(argn(c, 0), "REPLCONF");
        send_mode_str("+OK\r\n");
    }
    check_psync(c, "?", -1);
    send_mode_str("\n+FULLRESYNC " REPLID " 42\r\n\n");
    resp_buf snap;
    snapshot_bytes(&snap, 30, 0, true, NULL);
    send_mode(snap.data, snap.len);
    resp_buf_free(&snap);
    ck_assert_uint_eq(fake_master_wait_ack(fx.fm, T_MS), 42);

    resp_buf b;
    resp_buf_init(&b);
    CMD(&b, "SELECT", "2");
    CMD(&b, "SET", "a", "1");
    CMD(&b, "MULTI");
    CMD(&b, "SET", "b", "2");
    CMD(&b, "INCR", "n");
    CMD(&b, "EXEC");
    CMD(&b, "PING");
    uint64_t before_getack = 42 + b.len;
    CMD(&b, "REPLCONF", "GETACK", "*");
    CMD(&b, "SET", "c", "3");
    uint64_t end = 42 + b.len;
    send_mode(b.data, b.len);
    resp_buf_free(&b);
    ck_assert_uint_eq(fake_master_wait_ack(fx.fm, T_MS), before_getack);
    ck_assert_int_eq(repl_wait_offset(fx.r, end, T_MS), 0);
    ck_assert_uint_eq(db_size(0), 30);
    ck_assert_uint_eq(db_size(2), 4);
    ck_assert_key(2, "a", "1");
    ck_assert_key(2, "b", "2");
    ck_assert_key(2, "n", "1");
    ck_assert_key(2, "c", "3");
    repl_status st = status();
    ck_assert_uint_eq(st.offset, end);
    ck_assert_uint_eq(st.db, 2);
    ck_assert_str_eq(st.replid, REPLID);
    /* SET, SET, INCR, SET: four commands of the string family. */
    uint64_t strings = 0;
    for (size_t i = 0; i < st.nfamilies; i++)
        if (strcmp(st.families[i].family, "string") == 0)
            strings = st.families[i].applied;
    ck_assert_uint_eq(strings, 4);
}
END_TEST

/*
 * +CONTINUE (_i 0: bare, as without psync2; _i 1: with a new ID, as after
 * the master restarted): the offset and the database are kept (the master
 * does not resend SELECT), no snapshot, and the next PSYNC names the ID
 * the master gave last.
 */
START_TEST(continue_keeps_offset_and_db)
{
    repl_options o = link_options();
    synced_link(&o, 1000, 5, false);
    resp_buf b;
    resp_buf_init(&b);
    CMD(&b, "SELECT", "3");
    CMD(&b, "SET", "k", "v");
    uint64_t off = 1000 + send_buf(&b);
    ck_assert_int_eq(repl_wait_offset(fx.r, off, T_MS), 0);
    fake_master_hangup(fx.fm);

    check_psync(connect_and_handshake(), REPLID, (int64_t)off + 1);
    fake_master_send_str(fx.fm, _i == 0 ? "+CONTINUE\r\n"
                                        : "+CONTINUE " REPLID2 "\r\n");
    resp_buf_init(&b);
    CMD(&b, "SET", "k2", "v2");
    off += send_buf(&b);
    ck_assert_int_eq(repl_wait_offset(fx.r, off, T_MS), 0);
    ck_assert_key(3, "k", "v");
    ck_assert_key(3, "k2", "v2");
    ck_assert_key(0, "k2", "(nil)");
    repl_status st = status();
    const char *id = _i == 0 ? REPLID : REPLID2;
    ck_assert_str_eq(st.replid, id);
    ck_assert_uint_eq(st.offset, off);
    ck_assert_uint_eq(st.db, 3);
    ck_assert_uint_eq(st.full_syncs, 1);
    ck_assert_uint_eq(st.partial_syncs, 1);
    ck_assert_uint_eq(dataset_generation(fx.ds), 1);

    fake_master_hangup(fx.fm);
    check_psync(connect_and_handshake(), id, (int64_t)off + 1);
}
END_TEST

/* -NOMASTERLINK (_i 0) and -LOADING (_i 1) answer PSYNC from a master
 * that cannot serve yet: the link retries later, and then syncs. */
START_TEST(try_later_then_success)
{
    repl_options o = link_options();
    link_start(&o);
    check_psync(connect_and_handshake(), "?", -1);
    fake_master_send_str(fx.fm,
                         _i == 0 ? "-NOMASTERLINK Can't SYNC while not "
                                   "connected with my master\r\n"
                                 : "-LOADING Redis is loading the dataset "
                                   "in memory\r\n");
    fake_master_accept(fx.fm, T_MS);
    check_error_has(_i == 0 ? "NOMASTERLINK" : "LOADING", NULL);
    repl_status st = status();
    ck_assert(!st.loaded);
    ck_assert_uint_ge(st.sync_failures, 1);
    check_psync(fake_master_handshake(fx.fm), "?", -1);
    full_sync(REPLID, 300, 4, true);
    ck_assert_uint_eq(db_size(0), 4);
    ck_assert_uint_eq(status().full_syncs, 1);
}
END_TEST

/* After a diskless load the replica ACKs at once (a 7.0 master streams
 * nothing until then): the next command after PSYNC is that ACK, with the
 * period an hour long (_i 0).  With a 50 ms period (_i 1) ACKs follow the
 * offset. */
START_TEST(ack_after_diskless_load)
{
    repl_options o = link_options();
    if (_i == 1)
        o.ack_period_ms = 50;
    link_start(&o);
    check_psync(connect_and_handshake(), "?", -1);
    send_fullresync(REPLID, 777);
    resp_buf snap;
    snapshot_bytes(&snap, 3, 0, true, NULL);
    send_buf(&snap);
    const resp_value *ack = fake_master_expect(fx.fm, "REPLCONF ACK");
    ck_assert_uint_eq(ack->len, 3);
    ck_assert_str_eq(argn(ack, 2), "777");
    if (_i == 1) {
        resp_buf b;
        resp_buf_init(&b);
        CMD(&b, "SET", "x", "y");
        uint64_t off = 777 + send_buf(&b);
        uint64_t got = 0;
        for (int i = 0; i < 1000 && got != off; i++) {
            got = fake_master_wait_ack(fx.fm, T_MS);
            ck_assert_uint_le(got, off);
        }
        ck_assert_uint_eq(got, off);
    }
}
END_TEST

/* GETACK is answered with the offset before the GETACK's own bytes. */
START_TEST(getack_answered_with_offset_before_it)
{
    repl_options o = link_options();
    synced_link(&o, 1000, 2, false);
    resp_buf b;
    resp_buf_init(&b);
    CMD(&b, "SET", "a", "1");
    uint64_t off = 1000 + b.len;
    CMD(&b, "REPLCONF", "GETACK", "*");
    uint64_t getack = b.len - (off - 1000);
    send_buf(&b);
    const resp_value *ack = fake_master_expect(fx.fm, "REPLCONF ACK");
    char want[32];
    snprintf(want, sizeof want, "%" PRIu64, off);
    ck_assert_str_eq(argn(ack, 2), want);
    resp_buf_init(&b);
    CMD(&b, "REPLCONF", "GETACK", "*");
    send_buf(&b);
    ack = fake_master_expect(fx.fm, "REPLCONF ACK");
    snprintf(want, sizeof want, "%" PRIu64, off + getack);
    ck_assert_str_eq(argn(ack, 2), want);
    ck_assert_int_eq(repl_wait_offset(fx.r, off + 2 * getack, T_MS), 0);
}
END_TEST

/*
 * A command the applier refuses (INCR of a string that is not a number: a
 * master never propagates a failed command, so the copies have diverged).
 * RESYNC (_i 0, the default): the link drops and asks for a full resync;
 * SKIP (1): counted, and the stream goes on; STOP (2): the link stops.
 */
START_TEST(refused_command_policies)
{
    repl_options o = link_options();
    o.on_refused = _i == 0   ? REPL_REFUSED_RESYNC
                   : _i == 1 ? REPL_REFUSED_SKIP
                             : REPL_REFUSED_STOP;
    synced_link(&o, 1000, 2, false);
    resp_buf b;
    resp_buf_init(&b);
    CMD(&b, "SET", "a", "abc");
    CMD(&b, "INCR", "a");
    CMD(&b, "SET", "b", "1");
    uint64_t end = 1000 + send_buf(&b);
    if (_i == 1) {
        ck_assert_int_eq(repl_wait_offset(fx.r, end, T_MS), 0);
        ck_assert_key(0, "a", "abc");
        ck_assert_key(0, "b", "1");
        repl_status st = status();
        ck_assert_uint_eq(st.commands_refused, 1);
        ck_assert_uint_eq(st.state, REPL_STREAMING);
        ck_assert_uint_eq(st.reconnects, 0);
        return;
    }
    ck_assert_int_eq(fake_master_wait_close(fx.fm, T_MS), 0);
    if (_i == 2) {
        ck_assert_int_eq(repl_wait_state(fx.r, REPL_STOPPED, T_MS), 0);
        check_error_has("incr", NULL);
        ck_assert_uint_eq(status().commands_refused, 1);
        ck_assert_key(0, "a", "abc");
        return;
    }
    check_psync(connect_and_handshake(), "?", -1);
    check_error_has("incr", NULL);
    ck_assert_uint_eq(status().commands_refused, 1);
    full_sync(REPLID2, 2000, 2, false);
    ck_assert_key(0, "a", "(nil)");
}
END_TEST

/* A hang-up inside MULTI: the half transaction is dropped, the offset is
 * the one before MULTI, and the master resends it whole. */
START_TEST(multi_cut_by_hangup_resumes_before_multi)
{
    repl_options o = link_options();
    synced_link(&o, 1000, 2, false);
    resp_buf b;
    resp_buf_init(&b);
    CMD(&b, "SET", "a", "1");
    uint64_t off = 1000 + send_buf(&b);
    resp_buf tx;
    resp_buf_init(&tx);
    CMD(&tx, "MULTI");
    CMD(&tx, "SET", "b", "2");
    CMD(&tx, "SET", "c", "3");
    fake_master_send(fx.fm, tx.data, tx.len);
    ck_assert_int_eq(repl_wait_offset(fx.r, off, T_MS), 0);
    fake_master_hangup(fx.fm);

    check_psync(connect_and_handshake(), REPLID, (int64_t)off + 1);
    ck_assert_uint_eq(status().offset, off);
    ck_assert_key(0, "a", "1");
    ck_assert_key(0, "b", "(nil)");
    ck_assert_key(0, "c", "(nil)");
    fake_master_send_str(fx.fm, "+CONTINUE " REPLID "\r\n");
    CMD(&tx, "EXEC");
    off += send_buf(&tx);
    ck_assert_int_eq(repl_wait_offset(fx.r, off, T_MS), 0);
    ck_assert_key(0, "b", "2");
    ck_assert_key(0, "c", "3");
    ck_assert_uint_eq(status().partial_syncs, 1);
}
END_TEST

/*
 * repl_stop() wakes the link from any wait: the reply to PING (_i 0),
 * PSYNC's answer (1), the middle of a snapshot (2), the stream (3), the
 * backoff after a failure (4).  Every wait here is far longer than the
 * test case's timeout, so a stop that does not interrupt fails the test.
 */
START_TEST(stop_interrupts_any_wait)
{
    repl_options o = link_options();
    o.timeout_ms = 600 * 1000;
    o.backoff_min_ms = o.backoff_max_ms = 600 * 1000;
    link_start(&o);
    fake_master_accept(fx.fm, T_MS);
    if (_i == 0) {
        fake_master_expect(fx.fm, "PING");
    } else {
        check_psync(fake_master_handshake(fx.fm), "?", -1);
        if (_i == 2) {
            send_fullresync(REPLID, 1);
            resp_buf snap;
            snapshot_bytes(&snap, 50, 0, true, NULL);
            fake_master_send(fx.fm, snap.data, snap.len / 2);
            resp_buf_free(&snap);
        } else if (_i == 3) {
            full_sync(REPLID, 1, 5, false);
        } else if (_i == 4) {
            fake_master_send_str(fx.fm, "-LOADING Redis is loading\r\n");
            ck_assert_int_eq(fake_master_wait_close(fx.fm, T_MS), 0);
            ck_assert_int_eq(repl_wait_state(fx.r, REPL_BACKOFF, T_MS), 0);
        }
    }
    repl_stop(fx.r);
    ck_assert_uint_eq(status().state, REPL_STOPPED);
    ck_assert_int_eq(fake_master_wait_close(fx.fm, T_MS), 0);
    ck_assert_uint_eq(db_size(0), _i == 3 ? 5 : 0);
    repl_stop(fx.r); /* twice is safe */
}
END_TEST

/* Replies a master never sends: the link drops, names the reply, and
 * tries again. */
static const struct {
    const char *reply; /* after PSYNC */
    const char *error; /* what last_error must quote */
} bad_replies[] = {
    {"+FULLRESYNC 1234 100\r\n", "+FULLRESYNC 1234 100"},
    {"+FULLRESYNC " REPLID " ten\r\n", "ten"},
    {"+CONTINUE " REPLID "\r\n", "+CONTINUE"}, /* to PSYNC ? -1 */
    {"+WHAT\r\n", "+WHAT"},
    {"-ERR no such thing\r\n", "no such thing"},
    {"+FULLRESYNC " REPLID " 1\r\n$abc\r\n", "$abc"},
    {"+FULLRESYNC " REPLID " 1\r\n$EOF:short\r\n", "$EOF:short"},
    {"+FULLRESYNC " REPLID " 1\r\n$-1\r\n", "$-1"},
};

START_TEST(bad_reply_is_named_and_retried)
{
    repl_options o = link_options();
    link_start(&o);
    check_psync(connect_and_handshake(), "?", -1);
    fake_master_send_str(fx.fm, bad_replies[_i].reply);
    ck_assert_int_eq(fake_master_wait_close(fx.fm, T_MS), 0);
    fake_master_accept(fx.fm, T_MS);
    check_error_has(bad_replies[_i].error, NULL);
    ck_assert(!status().loaded);
    check_psync(fake_master_handshake(fx.fm), "?", -1);
    full_sync(REPLID, 5, 1, false);
    ck_assert_uint_eq(db_size(0), 1);
}
END_TEST

static void add_handshake(TCase *tc)
{
    tcase_add_loop_test(tc, handshake_as_redis_sends_it, 0, 3);
    tcase_add_loop_test(tc, newlines_before_fullresync_and_payload, 0, 2);
    tcase_add_loop_test(tc, reply_split_at_every_byte, 0, 3);
    tcase_add_loop_test(tc, try_later_then_success, 0, 2);
    tcase_add_loop_test(tc, bad_reply_is_named_and_retried, 0,
                        (int)(sizeof bad_replies / sizeof bad_replies[0]));
    tcase_add_loop_test(tc, stall_longer_than_timeout_drops_link, 0, 4);
}

static void add_snapshot(TCase *tc)
{
    tcase_add_loop_test(tc, eof_mark_split_at_every_position, 0,
                        REPL_EOF_MARK_LEN + 1);
    tcase_add_loop_test(tc, failed_snapshot_keeps_old_data, 0, 4);
    tcase_add_loop_test(tc, ack_after_diskless_load, 0, 2);
}

static void add_stream(TCase *tc)
{
    tcase_add_loop_test(tc, garbage_in_stream_forces_full_resync, 0,
                        (int)(sizeof garbage / sizeof garbage[0]));
    tcase_add_test(tc, getack_answered_with_offset_before_it);
    tcase_add_loop_test(tc, refused_command_policies, 0, 3);
}

static void add_resync(TCase *tc)
{
    tcase_add_loop_test(tc, continue_keeps_offset_and_db, 0, 2);
    tcase_add_test(tc, multi_cut_by_hangup_resumes_before_multi);
}

Suite *ch10_fake_suite(void)
{
    Suite *s = suite_create("ch10_fake");
    TCase *tc = test_tcase("fake_master", 60);
    tcase_add_test(tc, fake_master_scripts_a_handshake);
    tcase_add_test(tc, fake_master_rdb_is_valid);
    suite_add_tcase(s, tc);

    /* One test case per part of the link, so that CASE= picks one. */
    TCase *parts[] = {test_tcase("fake_handshake", 120),
                      test_tcase("fake_snapshot", 120),
                      test_tcase("fake_stream", 120),
                      test_tcase("fake_resync", 120)};
    void (*add[])(TCase *) = {add_handshake, add_snapshot, add_stream,
                              add_resync};
    /* A stop that waits for a 600 s timeout fails this case's 30 s. */
    tc = test_tcase("fake_stop", 30);
    tcase_add_checked_fixture(tc, link_setup, link_teardown);
    tcase_add_loop_test(tc, stop_interrupts_any_wait, 0, 5);
    suite_add_tcase(s, tc);
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        tcase_add_checked_fixture(parts[i], link_setup, link_teardown);
        add[i](parts[i]);
        suite_add_tcase(s, parts[i]);
    }
    return s;
}
