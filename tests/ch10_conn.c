/* ch10_conn.c - chapter 10: the replica's connection and its input buffer.
 *
 * The connection must fail clearly and never wait forever.  The first
 * cases use sockets of the test's own making on 127.0.0.1: a port nobody
 * listens on (refused), a listener whose accept queue is full (the SYN
 * goes unanswered: connect times out), a listener that accepts and never
 * speaks (read timeout; and a TLS handshake that times out), and a
 * reader blocked forever that another thread interrupts.  Then the input
 * buffer: bytes filled one at a time (max_read = 1) and consumed in
 * uneven pieces come out in order and the buffer does not grow;
 * compaction keeps the unconsumed bytes; running out of memory leaves
 * the input as it was.  Last, TLS against a real redis-server started
 * with --tls-port and certificates made for the test
 * (tests/util/tls_certs.h): PING works (by address, by name, one byte a
 * read), a wrong CA, a wrong server name, a missing client certificate
 * where the server requires one, and bad CA paths each fail with a
 * message naming host:port and the reason.  The server also keeps its
 * plain port, which the launcher (tests/util/redis_server.h) needs to
 * see it answer and to shut it down.
 */
#include "repl_conn.h"

#include "alloc.h"
#include "redis_server.h"
#include "test_util.h"
#include "tls_certs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- sockets of the test's own ------------------------------------------- */

/* A loopback listener on a free port, with the given accept backlog. */
static int listener(int backlog, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(fd, backlog), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A port nothing listens on (bound, then closed). */
static int closed_port(void)
{
    int port;
    int fd = listener(1, &port);
    close(fd);
    return port;
}

/* Fill a listener's accept queue (nobody accepts) until a connect no
 * longer completes: the kernel then drops every new SYN.  Returns how
 * many sockets it opened (in fds). */
static int fill_accept_queue(int port, int *fds, int max)
{
    int n = 0;
    while (n < max) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        fds[n++] = fd;
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) continue;
        ck_assert_int_eq(errno, EINPROGRESS);
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, 300) == 0) return n; /* this one hangs: queue full */
    }
    ck_abort_msg("the accept queue of port %d never filled", port);
    return n;
}

static void open_ok(repl_conn **c, const char *host, int port,
                    const repl_tls_options *tls)
{
    char err[512];
    *c = repl_conn_open(host, port, tls, 5000, err, sizeof err);
    ck_assert_msg(*c != NULL, "open %s:%d: %s", host, port, err);
}

/* ---- connecting ------------------------------------------------------------- */

START_TEST(connect_refused)
{
    int port = closed_port();
    char err[512], want[128];
    repl_conn *c = repl_conn_open("127.0.0.1", port, NULL, 2000, err, sizeof err);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(errno, ECONNREFUSED);
    snprintf(want, sizeof want, "connect to 127.0.0.1:%d: Connection refused", port);
    ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(connect_timeout)
{
    int port, fds[16];
    int lfd = listener(0, &port);
    int n = fill_accept_queue(port, fds, 16);
    char err[512], want[128];
    repl_conn *c = repl_conn_open("127.0.0.1", port, NULL, 300, err, sizeof err);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(errno, ETIMEDOUT);
    snprintf(want, sizeof want, "connect to 127.0.0.1:%d: timed out after 300 ms", port);
    ck_assert_str_eq(err, want);
    for (int i = 0; i < n; i++) close(fds[i]);
    close(lfd);
}
END_TEST

START_TEST(connect_bad_arguments)
{
    char err[512];
    ck_assert_ptr_null(repl_conn_open("127.0.0.1", 0, NULL, 100, err, sizeof err));
    ck_assert_str_eq(err, "connect to 127.0.0.1: port 0 is not in 1..65535");
    ck_assert_ptr_null(repl_conn_open("127.0.0.1", 70000, NULL, 100, err, sizeof err));
    ck_assert_str_eq(err, "connect to 127.0.0.1: port 70000 is not in 1..65535");
    ck_assert_ptr_null(repl_conn_open("", 6379, NULL, 100, err, sizeof err));
    ck_assert_str_eq(err, "connect: no host given");
    /* .invalid never resolves (RFC 2606); the resolver's words follow. */
    ck_assert_ptr_null(repl_conn_open("no-such-host.invalid", 6379, NULL, 2000, err,
                                      sizeof err));
    ck_assert_msg(strncmp(err, "connect to no-such-host.invalid:6379: cannot resolve host: ",
                          59) == 0, "%s", err);
}
END_TEST

/* PING over plain TCP to a real server; CLIENT INFO shows our local port. */
START_TEST(plain_ping_and_local_port)
{
    redis_server rs;
    char err[1024];
    ck_assert_msg(redis_server_start(&rs, NULL, err, sizeof err) == 0, "%s", err);
    repl_conn *c;
    open_ok(&c, "localhost", rs.port, NULL);
    ck_assert(!repl_conn_is_tls(c));
    int lport = repl_conn_local_port(c);
    ck_assert_int_gt(lport, 0);
    const char cmd[] = "*1\r\n$4\r\nPING\r\n*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n";
    ck_assert_int_eq(repl_conn_write(c, cmd, sizeof cmd - 1, 2000), 0);
    repl_input in;
    repl_input_init(&in, c, 5000);
    while (repl_input_avail(&in) < 9 || !memchr(repl_input_peek(&in) + 9, '\n',
                                                repl_input_avail(&in) - 9))
        ck_assert_msg(repl_input_fill(&in) > 0, "%s", repl_input_error(&in));
    ck_assert_bytes_str(repl_input_peek(&in), 7, "+PONG\r\n");
    char addr[64];
    snprintf(addr, sizeof addr, "addr=127.0.0.1:%d ", lport);
    size_t n = repl_input_avail(&in);
    char *text = strndup((const char *)repl_input_peek(&in), n);
    ck_assert_msg(strstr(text, addr), "no \"%s\" in %s", addr, text);
    free(text);
    repl_input_free(&in);
    repl_conn_close(c);
    redis_server_stop(&rs);
}
END_TEST

/* ---- reading: timeout, close, interrupt ---------------------------------- */

START_TEST(read_timeout)
{
    int port;
    int lfd = listener(4, &port); /* the kernel accepts; nobody speaks */
    repl_conn *c;
    open_ok(&c, "127.0.0.1", port, NULL);
    char buf[16], want[128];
    errno = 0;
    ck_assert_int_eq(repl_conn_read(c, buf, sizeof buf, 200), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    snprintf(want, sizeof want, "read from 127.0.0.1:%d: no data for 200 ms", port);
    ck_assert_str_eq(repl_conn_error(c), want);

    repl_input in;
    repl_input_init(&in, c, 150);
    errno = 0;
    ck_assert_int_eq(repl_input_fill(&in), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_str_eq(repl_input_error(&in), "timeout: no data from the master for 150 ms");
    ck_assert_uint_eq(repl_input_avail(&in), 0);

    /* The master hangs up: a fill returns 0 and says so. */
    int afd = accept(lfd, NULL, NULL);
    ck_assert_int_ge(afd, 0);
    ck_assert_int_eq(write(afd, "+OK\r\n", 5), 5);
    close(afd);
    ck_assert_int_eq(repl_input_fill(&in), 5);
    ck_assert_bytes_str(repl_input_peek(&in), repl_input_avail(&in), "+OK\r\n");
    ck_assert_int_eq(repl_input_fill(&in), 0);
    ck_assert_str_eq(repl_input_error(&in), "connection closed by the master");
    ck_assert_uint_eq(repl_input_avail(&in), 5); /* what came is kept */
    repl_input_free(&in);
    repl_conn_close(c);
    close(lfd);
}
END_TEST

typedef struct blocked {
    repl_conn *c;
    bool write;        /* block in a write instead of a read */
    ssize_t ret;
    int err;
    char msg[512];
} blocked;

static void *block_on_conn(void *arg)
{
    blocked *b = arg;
    if (b->write) {
        /* Far more than the socket buffers take: it blocks once they are full. */
        size_t n = (size_t)64 << 20;
        char *big = calloc(1, n);
        b->ret = repl_conn_write(b->c, big, n, -1);
        free(big);
    } else {
        char buf[64];
        b->ret = repl_conn_read(b->c, buf, sizeof buf, -1); /* forever */
    }
    b->err = errno;
    snprintf(b->msg, sizeof b->msg, "%s", repl_conn_error(b->c));
    return NULL;
}

/* A thread blocked in read (or write) with no timeout at all; another
 * thread interrupts it.  Without the interrupt this test would hang until
 * Check's timeout fails it. */
static void interrupt_blocked(repl_conn *c, bool write_side, const char *peer)
{
    blocked b = {.c = c, .write = write_side};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, block_on_conn, &b), 0);
    usleep(100 * 1000); /* let it block (if it has not yet, it fails at once) */
    repl_conn_interrupt(c);
    pthread_join(t, NULL);
    char want[128];
    ck_assert_int_eq(b.ret, -1);
    ck_assert_int_eq(b.err, ECANCELED);
    snprintf(want, sizeof want, "%s %s: stopped", write_side ? "write to" : "read from",
             peer);
    ck_assert_str_eq(b.msg, want);
    /* Every later call fails the same way. */
    char buf[4];
    ck_assert_int_eq(repl_conn_read(c, buf, sizeof buf, 1000), -1);
    ck_assert_int_eq(errno, ECANCELED);
    ck_assert_int_eq(repl_conn_write(c, "x", 1, 1000), -1);
    ck_assert_int_eq(errno, ECANCELED);
}

START_TEST(interrupt_read)
{
    int port;
    int lfd = listener(4, &port);
    repl_conn *c;
    open_ok(&c, "127.0.0.1", port, NULL);
    char peer[64];
    snprintf(peer, sizeof peer, "127.0.0.1:%d", port);
    interrupt_blocked(c, false, peer);
    repl_conn_close(c);
    close(lfd);
}
END_TEST

START_TEST(interrupt_write)
{
    int port;
    int lfd = listener(4, &port); /* never reads: the write fills the buffers */
    repl_conn *c;
    open_ok(&c, "127.0.0.1", port, NULL);
    char peer[64];
    snprintf(peer, sizeof peer, "127.0.0.1:%d", port);
    interrupt_blocked(c, true, peer);
    repl_conn_close(c);
    close(lfd);
}
END_TEST

START_TEST(write_timeout)
{
    int port;
    int lfd = listener(4, &port);
    repl_conn *c;
    open_ok(&c, "127.0.0.1", port, NULL);
    size_t n = (size_t)64 << 20;
    char *big = calloc(1, n);
    errno = 0;
    ck_assert_int_eq(repl_conn_write(c, big, n, 200), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    char want[128];
    int len = snprintf(want, sizeof want, "write to 127.0.0.1:%d: could not write for 200 ms (",
                       port);
    ck_assert_msg(strncmp(repl_conn_error(c), want, (size_t)len) == 0, "%s",
                  repl_conn_error(c));
    free(big);
    repl_conn_close(c);
    close(lfd);
}
END_TEST

/* ---- the input buffer -------------------------------------------------------- */

/* Bytes sent by a peer arrive one per fill (max_read = 1); they are
 * consumed in uneven pieces and must come out in order, with the
 * counters right and the buffer never growing past its first size. */
START_TEST(input_bytewise_fill_and_consume)
{
    int port;
    int lfd = listener(4, &port);
    repl_conn *c;
    open_ok(&c, "127.0.0.1", port, NULL);
    int afd = accept(lfd, NULL, NULL);
    ck_assert_int_ge(afd, 0);
    size_t total = (size_t)test_scale(20000, 600);
    unsigned char *sent = malloc(total);
    for (size_t i = 0; i < total; i++) sent[i] = (unsigned char)(i * 7 + i / 251);
    ck_assert_int_eq(write(afd, sent, total), (ssize_t)total);
    close(afd);

    repl_input in;
    repl_input_init(&in, c, 5000);
    in.max_read = 1;
    size_t got = 0, fills = 0;
    size_t cap_first = 0;
    for (;;) {
        ssize_t r = repl_input_fill(&in);
        if (r == 0) break;
        ck_assert_msg(r == 1, "fill returned %zd: %s", r, repl_input_error(&in));
        fills++;
        if (!cap_first) cap_first = in.cap;
        /* consume 3 of every 4 bytes once 4 are there, and all of them
         * every 97 fills: unconsumed bytes pile up a little, then drain. */
        size_t avail = repl_input_avail(&in);
        size_t take = fills % 97 == 0 ? avail : avail >= 4 ? 3 : 0;
        ck_assert_bytes_eq(repl_input_peek(&in), take, sent + got, take);
        repl_input_consume(&in, take);
        got += take;
        ck_assert_uint_le(in.cap, cap_first);
    }
    size_t rest = repl_input_avail(&in);
    ck_assert_bytes_eq(repl_input_peek(&in), rest, sent + got, rest);
    repl_input_consume(&in, rest);
    ck_assert_uint_eq(fills, total);
    ck_assert_uint_eq(in.received, total);
    ck_assert_uint_eq(in.consumed, total);
    ck_assert_uint_eq(in.pos, 0);
    ck_assert_uint_eq(in.end, 0);
    free(sent);
    repl_input_free(&in);
    repl_conn_close(c);
    close(lfd);
}
END_TEST

START_TEST(input_append_compacts)
{
    repl_input in;
    repl_input_init(&in, NULL, 1000);
    unsigned char a[200], b[200];
    memset(a, 'a', sizeof a);
    memset(b, 'b', sizeof b);
    ck_assert_int_eq(repl_input_append(&in, a, sizeof a), 0);
    size_t cap = in.cap;
    repl_input_consume(&in, 150);
    ck_assert_uint_eq(in.pos, 150);
    /* 50 unconsumed + 200 new fit once the consumed 150 are dropped. */
    ck_assert_int_eq(repl_input_append(&in, b, sizeof b), 0);
    ck_assert_uint_eq(in.cap, cap);
    ck_assert_uint_eq(in.pos, 0);
    ck_assert_uint_eq(repl_input_avail(&in), 250);
    ck_assert_bytes_eq(repl_input_peek(&in), 50, a, 50);
    ck_assert_bytes_eq(repl_input_peek(&in) + 50, 200, b, 200);
    /* Growing keeps everything too. */
    unsigned char big[5000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)i;
    ck_assert_int_eq(repl_input_append(&in, big, sizeof big), 0);
    ck_assert_uint_ge(in.cap, 5250);
    ck_assert_bytes_eq(repl_input_peek(&in) + 250, sizeof big, big, sizeof big);
    /* Consuming more than there is stops at the end; then both go to 0. */
    repl_input_consume(&in, 1u << 20);
    ck_assert_uint_eq(repl_input_avail(&in), 0);
    ck_assert_uint_eq(in.pos, 0);
    ck_assert_uint_eq(in.end, 0);
    ck_assert_uint_eq(in.received, 5400);
    ck_assert_uint_eq(in.consumed, 5400);
    /* No connection: a fill says so. */
    errno = 0;
    ck_assert_int_eq(repl_input_fill(&in), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_str_eq(repl_input_error(&in), "no connection to read from");
    repl_input_free(&in);
}
END_TEST

START_TEST(input_out_of_memory)
{
    repl_input in;
    repl_input_init(&in, NULL, 1000);
    ck_assert_int_eq(repl_input_append(&in, "abc", 3), 0);
    size_t cap = in.cap;
    unsigned char big[4096] = {0};
    alloc_fail_nth(1);
    errno = 0;
    int r = repl_input_append(&in, big, sizeof big);
    alloc_fail_off();
    ck_assert_int_eq(r, -1);
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_str_eq(repl_input_error(&in), "out of memory");
    ck_assert_uint_eq(in.cap, cap);
    ck_assert_uint_eq(in.received, 3);
    ck_assert_bytes_str(repl_input_peek(&in), repl_input_avail(&in), "abc");
    ck_assert_int_eq(repl_input_append(&in, big, sizeof big), 0);
    ck_assert_uint_eq(repl_input_avail(&in), 3 + sizeof big);
    repl_input_free(&in);
}
END_TEST

/* ---- TLS against a real redis-server ---------------------------------------- */

static tls_certs certs;
static bool certs_made;
static char certs_err[1024];

static void certs_setup(void)
{
    certs_made = tls_certs_make(&certs, certs_err, sizeof certs_err) == 0;
}

static void certs_teardown(void)
{
    if (certs_made) tls_certs_remove(&certs);
    certs_made = false;
}

/* A redis-server with TLS on *tls_port (and its plain port for the
 * launcher); auth_clients is tls-auth-clients. */
static void start_tls_server(redis_server *rs, bool auth_clients, int *tls_port)
{
    ck_assert_msg(certs_made, "%s", certs_err);
    char err[1024] = "";
    for (int attempt = 0; attempt < 3; attempt++) { /* the free port may be taken */
        char portbuf[16];
        *tls_port = closed_port();
        snprintf(portbuf, sizeof portbuf, "%d", *tls_port);
        const char *extra[] = {"--tls-port", portbuf,
                               "--tls-cert-file", certs.server_cert,
                               "--tls-key-file", certs.server_key,
                               "--tls-ca-cert-file", certs.ca_cert,
                               "--tls-auth-clients", auth_clients ? "yes" : "no",
                               NULL};
        if (redis_server_start(rs, extra, err, sizeof err) == 0) return;
    }
    ck_abort_msg("cannot start redis-server with TLS: %s", err);
}

/* Send PING and read the reply one byte per read (max_read = 1): the rest
 * of each TLS record waits inside OpenSSL, where poll() cannot see it. */
static int tls_ping(repl_conn *c, char *why, size_t whysz)
{
    const char ping[] = "*1\r\n$4\r\nPING\r\n";
    if (repl_conn_write(c, ping, sizeof ping - 1, 5000) != 0) {
        snprintf(why, whysz, "%s", repl_conn_error(c));
        return -1;
    }
    repl_input in;
    repl_input_init(&in, c, 5000);
    in.max_read = 1;
    int rc = 0;
    while (repl_input_avail(&in) < 7) {
        if (repl_input_fill(&in) <= 0) {
            snprintf(why, whysz, "%s", repl_input_error(&in));
            rc = -1;
            break;
        }
    }
    if (rc == 0 && memcmp(repl_input_peek(&in), "+PONG\r\n", 7) != 0) {
        snprintf(why, whysz, "reply %.7s", (const char *)repl_input_peek(&in));
        rc = -1;
    }
    repl_input_free(&in);
    return rc;
}

START_TEST(tls_ping_works)
{
    redis_server rs;
    int tport;
    start_tls_server(&rs, false, &tport);
    char why[512];
    /* By address (checked against the certificate's IP entry), by name
     * (its DNS entry, sent as SNI), and by address with a server name. */
    const char *hosts[] = {"127.0.0.1", "localhost", "127.0.0.1"};
    const char *names[] = {NULL, NULL, "localhost"};
    for (int i = 0; i < 3; i++) {
        repl_tls_options tls = {.enabled = true, .ca_file = certs.ca_cert,
                                .server_name = names[i]};
        repl_conn *c;
        open_ok(&c, hosts[i], tport, &tls);
        ck_assert(repl_conn_is_tls(c));
        ck_assert_msg(tls_ping(c, why, sizeof why) == 0, "%s (%s)", why, hosts[i]);
        repl_conn_close(c);
    }
    /* A CA directory works like a CA file (c_rehash layout: <hash>.0). */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/cadir' && cp '%s' '%s/cadir/' && "
             "openssl rehash '%s/cadir' >/dev/null 2>&1", certs.dir, certs.ca_cert,
             certs.dir, certs.dir);
    ck_assert_int_eq(system(cmd), 0);
    char cadir[400];
    snprintf(cadir, sizeof cadir, "%s/cadir", certs.dir);
    repl_tls_options tls = {.enabled = true, .ca_dir = cadir};
    repl_conn *c;
    open_ok(&c, "127.0.0.1", tport, &tls);
    ck_assert_msg(tls_ping(c, why, sizeof why) == 0, "%s", why);
    repl_conn_close(c);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cadir);
    ck_assert_int_eq(system(cmd), 0);
    redis_server_stop(&rs);
}
END_TEST

START_TEST(tls_wrong_ca)
{
    redis_server rs;
    int tport;
    start_tls_server(&rs, false, &tport);
    repl_tls_options tls = {.enabled = true, .ca_file = certs.wrong_ca_cert};
    char err[512], want[256];
    repl_conn *c = repl_conn_open("127.0.0.1", tport, &tls, 5000, err, sizeof err);
    ck_assert_ptr_null(c);
    snprintf(want, sizeof want, "TLS handshake with 127.0.0.1:%d: certificate verify "
             "failed (self-signed certificate in certificate chain)", tport);
    ck_assert_str_eq(err, want);
    redis_server_stop(&rs);
}
END_TEST

START_TEST(tls_wrong_server_name)
{
    redis_server rs;
    int tport;
    start_tls_server(&rs, false, &tport);
    char err[512], want[256];
    snprintf(want, sizeof want, "TLS handshake with 127.0.0.1:%d: certificate verify "
             "failed (hostname mismatch)", tport);
    repl_tls_options tls = {.enabled = true, .ca_file = certs.ca_cert,
                            .server_name = "master.example"};
    ck_assert_ptr_null(repl_conn_open("127.0.0.1", tport, &tls, 5000, err, sizeof err));
    ck_assert_str_eq(err, want);
    /* An address the certificate does not name fails its IP check. */
    snprintf(want, sizeof want, "TLS handshake with 127.0.0.1:%d: certificate verify "
             "failed (IP address mismatch)", tport);
    tls.server_name = "127.0.0.2";
    ck_assert_ptr_null(repl_conn_open("127.0.0.1", tport, &tls, 5000, err, sizeof err));
    ck_assert_str_eq(err, want);
    /* no_verify skips the checks (and so accepts the wrong name). */
    tls.no_verify = true;
    tls.server_name = "master.example";
    repl_conn *c;
    open_ok(&c, "127.0.0.1", tport, &tls);
    char why[512];
    ck_assert_msg(tls_ping(c, why, sizeof why) == 0, "%s", why);
    repl_conn_close(c);
    redis_server_stop(&rs);
}
END_TEST

START_TEST(tls_client_certificate)
{
    redis_server rs;
    int tport;
    start_tls_server(&rs, true, &tport);
    char why[512], err[512];
    /* Without a certificate: refused.  With TLS 1.3 the refusal is an
     * alert that comes after the client's side of the handshake is done:
     * the first read receives it, or, when the master's reset arrives
     * first, the first write, which then reads the alert for its reason.
     * With TLS 1.2 the handshake itself fails. */
    repl_tls_options tls = {.enabled = true, .ca_file = certs.ca_cert};
    repl_conn *c = repl_conn_open("127.0.0.1", tport, &tls, 5000, err, sizeof err);
    if (c) {
        ck_assert_int_eq(tls_ping(c, why, sizeof why), -1);
        char rd[128], wr[128];
        snprintf(rd, sizeof rd, "read from 127.0.0.1:%d: TLS: ", tport);
        snprintf(wr, sizeof wr, "write to 127.0.0.1:%d: TLS: ", tport);
        ck_assert_msg(strncmp(why, rd, strlen(rd)) == 0 ||
                      strncmp(why, wr, strlen(wr)) == 0, "%s", why);
        ck_assert_msg(strstr(why, "certificate required"), "%s", why);
        repl_conn_close(c);
    } else {
        ck_assert_msg(strstr(err, "TLS handshake with 127.0.0.1:"), "%s", err);
    }
    /* With the client certificate: PING works. */
    tls.cert_file = certs.client_cert;
    tls.key_file = certs.client_key;
    open_ok(&c, "127.0.0.1", tport, &tls);
    ck_assert_msg(tls_ping(c, why, sizeof why) == 0, "%s", why);
    repl_conn_close(c);
    redis_server_stop(&rs);
}
END_TEST

/* Setup failures name the file; a TLS client at a plain port fails the
 * handshake; a listener that never answers times the handshake out. */
START_TEST(tls_setup_errors)
{
    ck_assert_msg(certs_made, "%s", certs_err);
    int port;
    int lfd = listener(4, &port);
    char err[512], want[256];
    repl_tls_options tls = {.enabled = true, .ca_file = "/nonexistent/ca.crt"};
    ck_assert_ptr_null(repl_conn_open("127.0.0.1", port, &tls, 2000, err, sizeof err));
    int n = snprintf(want, sizeof want, "TLS setup for 127.0.0.1:%d: cannot load CA file "
                     "/nonexistent/ca.crt: ", port);
    ck_assert_msg(strncmp(err, want, (size_t)n) == 0, "%s", err);

    tls = (repl_tls_options){.enabled = true, .ca_file = certs.ca_cert,
                             .cert_file = certs.client_cert};
    ck_assert_ptr_null(repl_conn_open("127.0.0.1", port, &tls, 2000, err, sizeof err));
    snprintf(want, sizeof want, "TLS setup for 127.0.0.1:%d: a client certificate needs "
             "both cert_file and key_file", port);
    ck_assert_str_eq(err, want);

    tls.key_file = certs.server_key; /* not the client certificate's key */
    ck_assert_ptr_null(repl_conn_open("127.0.0.1", port, &tls, 2000, err, sizeof err));
    n = snprintf(want, sizeof want, "TLS setup for 127.0.0.1:%d: cannot load client key %s",
                 port, certs.server_key);
    ck_assert_msg(strncmp(err, want, (size_t)n) == 0, "%s", err);

    /* The listener accepts (in the kernel) and never answers the hello. */
    tls = (repl_tls_options){.enabled = true, .ca_file = certs.ca_cert};
    ck_assert_ptr_null(repl_conn_open("127.0.0.1", port, &tls, 300, err, sizeof err));
    ck_assert_int_eq(errno, ETIMEDOUT);
    snprintf(want, sizeof want, "TLS handshake with 127.0.0.1:%d: timed out", port);
    ck_assert_str_eq(err, want);
    close(lfd);

    /* TLS to redis-server's plain port: the handshake fails, clearly. */
    redis_server rs;
    ck_assert_msg(redis_server_start(&rs, NULL, err, sizeof err) == 0, "%s", err);
    ck_assert_ptr_null(repl_conn_open("127.0.0.1", rs.port, &tls, 5000, err, sizeof err));
    n = snprintf(want, sizeof want, "TLS handshake with 127.0.0.1:%d: ", rs.port);
    ck_assert_msg(strncmp(err, want, (size_t)n) == 0 && err[n], "%s", err);
    redis_server_stop(&rs);
}
END_TEST

/* Writing to a master that has gone is an error to report, never a
 * SIGPIPE that kills the program (over TLS too, where OpenSSL's own socket
 * layer would raise one). */
static void write_until_error(repl_conn *c, const char *peer)
{
    char want[128], chunk[4096] = {0};
    int n = snprintf(want, sizeof want, "write to %s: ", peer);
    for (int i = 0; i < 10000; i++) {
        if (repl_conn_write(c, chunk, sizeof chunk, 5000) != 0) {
            ck_assert_msg(strncmp(repl_conn_error(c), want, (size_t)n) == 0, "%s",
                          repl_conn_error(c));
            return;
        }
        usleep(1000);
    }
    ck_abort_msg("writes to %s never failed after the master stopped", peer);
}

START_TEST(write_after_master_stopped)
{
    redis_server rs;
    int tport;
    start_tls_server(&rs, false, &tport);
    repl_tls_options tls = {.enabled = true, .ca_file = certs.ca_cert};
    repl_conn *t, *p;
    open_ok(&t, "127.0.0.1", tport, &tls);
    open_ok(&p, "127.0.0.1", rs.port, NULL);
    redis_server_stop(&rs);
    char peer[64];
    snprintf(peer, sizeof peer, "127.0.0.1:%d", tport);
    write_until_error(t, peer);
    snprintf(peer, sizeof peer, "127.0.0.1:%d", rs.port);
    write_until_error(p, peer);
    repl_conn_close(t);
    repl_conn_close(p);
}
END_TEST

/* A TLS reader blocked forever is interrupted like a plain one. */
START_TEST(tls_interrupt_read)
{
    redis_server rs;
    int tport;
    start_tls_server(&rs, false, &tport);
    repl_tls_options tls = {.enabled = true, .ca_file = certs.ca_cert};
    repl_conn *c;
    open_ok(&c, "127.0.0.1", tport, &tls);
    char peer[64];
    snprintf(peer, sizeof peer, "127.0.0.1:%d", tport);
    interrupt_blocked(c, false, peer);
    repl_conn_close(c);
    redis_server_stop(&rs);
}
END_TEST

Suite *ch10_conn_suite(void)
{
    Suite *s = suite_create("ch10_conn");
    TCase *tc = test_tcase("connect", 30);
    tcase_add_test(tc, connect_refused);
    tcase_add_test(tc, connect_timeout);
    tcase_add_test(tc, connect_bad_arguments);
    tcase_add_test(tc, plain_ping_and_local_port);
    suite_add_tcase(s, tc);
    tc = test_tcase("io", 30);
    tcase_add_test(tc, read_timeout);
    tcase_add_test(tc, write_timeout);
    tcase_add_test(tc, interrupt_read);
    tcase_add_test(tc, interrupt_write);
    suite_add_tcase(s, tc);
    tc = test_tcase("input", 60);
    tcase_add_test(tc, input_bytewise_fill_and_consume);
    tcase_add_test(tc, input_append_compacts);
    tcase_add_test(tc, input_out_of_memory);
    suite_add_tcase(s, tc);
    tc = test_tcase("tls", 60);
    tcase_add_unchecked_fixture(tc, certs_setup, certs_teardown);
    tcase_add_test(tc, tls_ping_works);
    tcase_add_test(tc, tls_wrong_ca);
    tcase_add_test(tc, tls_wrong_server_name);
    tcase_add_test(tc, tls_client_certificate);
    tcase_add_test(tc, tls_setup_errors);
    tcase_add_test(tc, tls_interrupt_read);
    tcase_add_test(tc, write_after_master_stopped);
    suite_add_tcase(s, tc);
    return s;
}
