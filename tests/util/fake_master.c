/* fake_master.c - a scripted master for the replication tests (ch10).
 *
 * The test thread is the master: it listens on a free loopback port,
 * accepts the replica, reads its commands with the project's RESP parser
 * and sends exactly the bytes the script says, in the writes the script
 * says.  Every wait polls with a deadline, so a replica that says nothing
 * fails the step instead of hanging the test, and every failure names the
 * step (a counter over the whole script, the connection, and what the step
 * was doing), so a broken script or a broken replica is found where it
 * broke.  A hang-up is a half close (shutdown(SHUT_WR)): the replica reads
 * every byte sent and then end-of-file, and its later writes (ACKs) land
 * in a socket that is still open instead of drawing a reset that could
 * throw away bytes it has not read yet.  The socket is closed at the next
 * accept, when the replica has long let go of it.
 */
#include "fake_master.h"

#include "rdb_builder.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* How long an expect or a send may wait (before CK_TIMEOUT_MULTIPLIER). */
#define FM_STEP_TIMEOUT_MS 10000

struct fake_master {
    int lfd;             /* the listening socket */
    int port;            /* its port */
    int fd;              /* the current connection, or -1 */
    bool hung_up;        /* fd is half closed by fake_master_hangup() */
    bool eof;            /* the replica closed fd */
    unsigned conns;      /* connections accepted */
    unsigned step;       /* steps of the script so far */
    resp_parser parser;  /* the replica's commands */
    unsigned char *in;   /* bytes received, not yet parsed */
    size_t in_pos, in_len, in_cap;
    resp_value cmd;      /* the last command read */
};

/* ---- helpers ------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A step's timeout, stretched like Check's under slow runners. */
static int step_timeout(void)
{
    const char *m = getenv("CK_TIMEOUT_MULTIPLIER");
    double f = m != NULL ? atof(m) : 1.0;
    if (f < 1.0)
        f = 1.0;
    return (int)(FM_STEP_TIMEOUT_MS * f);
}

/* Render a command for messages: its arguments, escaped, space-separated. */
static const char *render(const resp_value *v, char *out, size_t outsz)
{
    size_t n = 0;
    out[0] = '\0';
    if (v->type != RESP_ARRAY) {
        snprintf(out, outsz, "(a %s, not a command)", resp_type_name(v->type));
        return out;
    }
    for (size_t i = 0; i < v->len && n + 8 < outsz; i++) {
        const resp_value *a = &v->elems[i];
        char esc[128];
        if (a->type == RESP_BULK)
            test_escape(esc, sizeof esc, a->str, a->len);
        else
            snprintf(esc, sizeof esc, "(%s)", resp_type_name(a->type));
        int w = snprintf(out + n, outsz - n, "%s%s", i ? " " : "", esc);
        if (w < 0)
            break;
        n += (size_t)w;
    }
    return out;
}

/* Argument i of a command as a C string, or "" if missing / not bulk. */
static const char *arg(const resp_value *v, size_t i)
{
    if (v == NULL || v->type != RESP_ARRAY || i >= v->len ||
        v->elems[i].type != RESP_BULK)
        return "";
    return v->elems[i].str;
}

static void drop_connection(fake_master *fm)
{
    if (fm->fd >= 0)
        close(fm->fd);
    fm->fd = -1;
    fm->hung_up = false;
    fm->eof = false;
    fm->in_pos = fm->in_len = 0;
    resp_value_clear(&fm->cmd);
    resp_parser_free(&fm->parser);
    resp_limits lim = resp_limits_default();
    lim.allow_inline = false; /* a replica sends arrays of bulk strings */
    resp_parser_init(&fm->parser, &lim);
}

/*
 * Read the next command within timeout_ms.  Returns 1 with fm->cmd set,
 * 0 on timeout, -1 when the replica closed the connection.  A protocol
 * error from the replica fails the test (the replica is broken).
 */
static int read_command(fake_master *fm, int timeout_ms, const char *what)
{
    resp_value_clear(&fm->cmd);
    if (fm->fd < 0)
        return -1;
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        if (fm->in_pos < fm->in_len) {
            size_t used = 0;
            resp_status st = resp_parse(&fm->parser, fm->in + fm->in_pos,
                                        fm->in_len - fm->in_pos, &used,
                                        &fm->cmd);
            fm->in_pos += used;
            ck_assert_msg(st != RESP_ERR,
                          "fake master step %u (%s), connection %u: the "
                          "replica sent bytes that are not RESP: %s",
                          fm->step, what, fm->conns,
                          resp_parser_error(&fm->parser));
            if (st == RESP_OK)
                return 1;
        }
        if (fm->eof)
            return -1;
        fm->in_pos = fm->in_len = 0;
        int left = (int)(deadline - now_ms());
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fm->fd, .events = POLLIN};
        int pr = poll(&p, 1, left);
        if (pr < 0 && errno == EINTR)
            continue;
        ck_assert_msg(pr >= 0, "fake master step %u (%s): poll: %s", fm->step,
                      what, strerror(errno));
        if (pr == 0)
            return 0;
        if (fm->in_cap < 65536) {
            fm->in_cap = 65536;
            fm->in = realloc(fm->in, fm->in_cap);
            ck_assert_ptr_nonnull(fm->in);
        }
        ssize_t r = recv(fm->fd, fm->in, fm->in_cap, 0);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0) { /* end of file, or a reset: the replica let go */
            fm->eof = true;
            return -1;
        }
        fm->in_len = (size_t)r;
    }
}

/* ---- public ------------------------------------------------------------- */

fake_master *fake_master_listen(void)
{
    fake_master *fm = calloc(1, sizeof *fm);
    ck_assert_ptr_nonnull(fm);
    fm->fd = -1;
    fm->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_msg(fm->lfd >= 0, "fake master: socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fm->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = 0, /* the kernel picks a free port */
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_msg(bind(fm->lfd, (struct sockaddr *)&a, sizeof a) == 0,
                  "fake master: bind 127.0.0.1:0: %s", strerror(errno));
    ck_assert_msg(listen(fm->lfd, 8) == 0, "fake master: listen: %s",
                  strerror(errno));
    socklen_t al = sizeof a;
    ck_assert_msg(getsockname(fm->lfd, (struct sockaddr *)&a, &al) == 0,
                  "fake master: getsockname: %s", strerror(errno));
    fm->port = ntohs(a.sin_port);
    resp_limits lim = resp_limits_default();
    lim.allow_inline = false;
    resp_parser_init(&fm->parser, &lim);
    return fm;
}

int fake_master_port(const fake_master *fm)
{
    return fm->port;
}

void fake_master_accept(fake_master *fm, int timeout_ms)
{
    fm->step++;
    drop_connection(fm);
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int left = (int)(deadline - now_ms());
        ck_assert_msg(left > 0,
                      "fake master step %u (accept connection %u): no "
                      "connection from the replica within %d ms",
                      fm->step, fm->conns + 1, timeout_ms);
        struct pollfd p = {.fd = fm->lfd, .events = POLLIN};
        int pr = poll(&p, 1, left);
        if (pr <= 0)
            continue; /* EINTR, or the deadline: checked above */
        int fd = accept4(fm->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == EAGAIN ||
                       errno == ECONNABORTED))
            continue;
        ck_assert_msg(fd >= 0, "fake master step %u (accept): %s", fm->step,
                      strerror(errno));
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fm->fd = fd;
        fm->conns++;
        return;
    }
}

const resp_value *fake_master_next(fake_master *fm, int timeout_ms)
{
    fm->step++;
    return read_command(fm, timeout_ms, "next command") == 1 ? &fm->cmd
                                                             : NULL;
}

const resp_value *fake_master_expect(fake_master *fm, const char *name)
{
    fm->step++;
    char what[96];
    snprintf(what, sizeof what, "expect %s", name);
    int t = step_timeout();
    int r = read_command(fm, t, what);
    ck_assert_msg(r == 1,
                  "fake master step %u (%s), connection %u: %s", fm->step,
                  what, fm->conns,
                  r == 0 ? "nothing from the replica in time"
                         : "the replica closed the connection");
    /* "REPLCONF ACK": the name, then the first argument. */
    char want[96];
    snprintf(want, sizeof want, "%s", name);
    char *sub = strchr(want, ' ');
    if (sub != NULL)
        *sub++ = '\0';
    char got[512];
    bool ok = strcasecmp(arg(&fm->cmd, 0), want) == 0 &&
              (sub == NULL || strcasecmp(arg(&fm->cmd, 1), sub) == 0);
    ck_assert_msg(ok, "fake master step %u (%s), connection %u: the replica "
                      "sent: %s",
                  fm->step, what, fm->conns,
                  render(&fm->cmd, got, sizeof got));
    return &fm->cmd;
}

const resp_value *fake_master_handshake(fake_master *fm)
{
    fake_master_expect(fm, "PING");
    fake_master_send_str(fm, "+PONG\r\n");
    for (;;) {
        fm->step++;
        int r = read_command(fm, step_timeout(), "handshake");
        ck_assert_msg(r == 1,
                      "fake master step %u (handshake), connection %u: %s",
                      fm->step, fm->conns,
                      r == 0 ? "nothing from the replica in time"
                             : "the replica closed the connection");
        const char *n = arg(&fm->cmd, 0);
        if (strcasecmp(n, "PSYNC") == 0)
            return &fm->cmd;
        char got[512];
        ck_assert_msg(strcasecmp(n, "REPLCONF") == 0 ||
                          strcasecmp(n, "AUTH") == 0,
                      "fake master step %u (handshake), connection %u: "
                      "unexpected command: %s",
                      fm->step, fm->conns, render(&fm->cmd, got, sizeof got));
        fake_master_send_str(fm, "+OK\r\n");
    }
}

void fake_master_send(fake_master *fm, const void *p, size_t n)
{
    fm->step++;
    ck_assert_msg(fm->fd >= 0 && !fm->hung_up,
                  "fake master step %u (send %zu bytes): no connection "
                  "(never accepted, or hung up)",
                  fm->step, n);
    const char *c = p;
    int64_t deadline = now_ms() + step_timeout();
    while (n > 0) {
        ssize_t w = send(fm->fd, c, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            c += w;
            n -= (size_t)w;
            continue;
        }
        ck_assert_msg(w < 0 && (errno == EAGAIN || errno == EINTR),
                      "fake master step %u (send), connection %u: %s",
                      fm->step, fm->conns, strerror(errno));
        int left = (int)(deadline - now_ms());
        ck_assert_msg(left > 0,
                      "fake master step %u (send), connection %u: the "
                      "replica read nothing for %d ms (%zu bytes left)",
                      fm->step, fm->conns, step_timeout(), n);
        struct pollfd pf = {.fd = fm->fd, .events = POLLOUT};
        (void)poll(&pf, 1, left);
    }
}

void fake_master_send_str(fake_master *fm, const char *s)
{
    fake_master_send(fm, s, strlen(s));
}

static void sleep_us(long us)
{
    struct timespec ts = {.tv_sec = us / 1000000,
                          .tv_nsec = (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void fake_master_send_split(fake_master *fm, const void *p, size_t n,
                            size_t at, int pause_ms)
{
    ck_assert_msg(at <= n, "fake master: split at %zu of %zu bytes", at, n);
    const char *c = p;
    if (at > 0)
        fake_master_send(fm, c, at);
    sleep_us((long)pause_ms * 1000);
    if (at < n)
        fake_master_send(fm, c + at, n - at);
}

void fake_master_send_bytewise(fake_master *fm, const void *p, size_t n,
                               int pause_us)
{
    const char *c = p;
    for (size_t i = 0; i < n; i++) {
        fake_master_send(fm, c + i, 1);
        if (pause_us > 0)
            sleep_us(pause_us);
    }
}

void fake_master_command(resp_buf *out, const char *arg0, ...)
{
    const char *argv[32];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL; a = va_arg(ap, const char *)) {
        ck_assert_msg(argc < 32, "fake_master_command: more than 32 args");
        argv[argc++] = a;
    }
    va_end(ap);
    ck_assert_msg(resp_write_command(out, argc, argv, NULL) == 0,
                  "fake_master_command: out of memory");
}

uint64_t fake_master_wait_ack(fake_master *fm, int timeout_ms)
{
    fm->step++;
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int left = (int)(deadline - now_ms());
        int r = left > 0 ? read_command(fm, left, "wait for REPLCONF ACK") : 0;
        ck_assert_msg(r == 1,
                      "fake master step %u (wait for REPLCONF ACK), "
                      "connection %u: %s",
                      fm->step, fm->conns,
                      r == 0 ? "no ACK in time"
                             : "the replica closed the connection");
        if (strcasecmp(arg(&fm->cmd, 0), "REPLCONF") != 0 ||
            strcasecmp(arg(&fm->cmd, 1), "ACK") != 0)
            continue;
        char got[512];
        int64_t off = -1;
        const char *o = arg(&fm->cmd, 2);
        ck_assert_msg(fm->cmd.len == 3 &&
                          resp_parse_int(o, strlen(o), &off) == 0 && off >= 0,
                      "fake master step %u: a malformed ACK: %s", fm->step,
                      render(&fm->cmd, got, sizeof got));
        return (uint64_t)off;
    }
}

int fake_master_wait_close(fake_master *fm, int timeout_ms)
{
    fm->step++;
    if (fm->fd < 0 || fm->eof)
        return 0;
    int64_t deadline = now_ms() + timeout_ms;
    char buf[4096];
    for (;;) {
        int left = (int)(deadline - now_ms());
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fm->fd, .events = POLLIN};
        if (poll(&p, 1, left) <= 0)
            continue;
        ssize_t r = recv(fm->fd, buf, sizeof buf, 0);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0) {
            fm->eof = true;
            return 0;
        }
        /* the replica's last words (ACKs) are dropped unparsed */
    }
}

void fake_master_hangup(fake_master *fm)
{
    fm->step++;
    if (fm->fd >= 0 && !fm->hung_up)
        shutdown(fm->fd, SHUT_WR); /* a FIN after every byte sent */
    fm->hung_up = true;
}

void fake_master_close(fake_master *fm)
{
    if (fm == NULL)
        return;
    if (fm->fd >= 0)
        close(fm->fd);
    close(fm->lfd);
    resp_value_clear(&fm->cmd);
    resp_parser_free(&fm->parser);
    free(fm->in);
    free(fm);
}

void fake_master_rdb(unsigned char **out, size_t *len, unsigned keys,
                     int stream_db)
{
    bb b = {0};
    bb_raw(&b, "REDIS0010", 9); /* 7.0 writes RDB version 10 */
    bb_u8(&b, 0xFA);
    bb_str(&b, "redis-ver");
    bb_str(&b, "7.0.15");
    bb_u8(&b, 0xFA);
    bb_str(&b, "redis-bits");
    bb_str(&b, "64");
    if (stream_db >= 0) {
        char db[16];
        snprintf(db, sizeof db, "%d", stream_db);
        bb_u8(&b, 0xFA);
        bb_str(&b, "repl-stream-db");
        bb_str(&b, db);
    }
    if (keys > 0) {
        bb_u8(&b, 0xFE); /* SELECTDB 0 */
        bb_len(&b, 0);
        bb_u8(&b, 0xFB); /* RESIZEDB */
        bb_len(&b, keys);
        bb_len(&b, 0);
        for (unsigned i = 0; i < keys; i++) {
            char k[32], v[32];
            snprintf(k, sizeof k, "key:%u", i);
            snprintf(v, sizeof v, "value:%u", i);
            bb_u8(&b, 0); /* string */
            bb_str(&b, k);
            bb_str(&b, v);
        }
    }
    bb_eof(&b, 10);
    *out = b.p;
    *len = b.len;
}
