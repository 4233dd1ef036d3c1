/* ch11_tls.c - chapter 11: TLS on accepted sockets, step by step.
 *
 * An epoll echo server in a thread uses server_tls.h exactly as an event
 * loop does (wait for what the last call asked for, then repeat it), and
 * clients talk to it: chapter 10's TLS client (repl_conn) for the
 * certificate cases, and an OpenSSL client over memory BIOs for the cases
 * that need every byte under the test's control: a handshake delivered
 * one byte at a time, a handshake cut at every byte, and large transfers
 * that fill the socket buffers so that writes must wait. */
#include "server_tls.h"

#include "repl_conn.h"
#include "test_util.h"
#include "tls_certs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static tls_certs certs;

static void certs_up(void)
{
    char err[512];
    ck_assert_msg(tls_certs_make(&certs, err, sizeof err) == 0, "%s", err);
}

static void certs_down(void)
{
    tls_certs_remove(&certs);
}

/* The server context for an auth_clients mode, with our CA (or another). */
static server_tls *make_tls(int auth, const char *ca)
{
    server_tls_options o = {.cert_file = certs.server_cert,
                            .key_file = certs.server_key,
                            .ca_file = ca, .auth_clients = auth};
    char err[512] = "";
    server_tls *t = server_tls_create(&o, err, sizeof err);
    ck_assert_msg(t != NULL, "server_tls_create: %s", err);
    return t;
}

/* ---- the echo server ----------------------------------------------------- */

enum { ECHO_MAX_CONNS = 16 };

typedef struct echo_conn {
    int fd;
    server_tls_conn *tls;
    bool open;     /* handshake done */
    char *out;     /* bytes read, not yet echoed */
    size_t olen, ocap;
} echo_conn;

typedef struct echo_server {
    server_tls *tls;
    int lfd, ep, stopfd, port;
    int sndbuf;                 /* SO_SNDBUF of accepted sockets (0: as is) */
    pthread_t thread;
    echo_conn *conns[ECHO_MAX_CONNS];
    pthread_mutex_t mu;         /* guards everything below */
    pthread_cond_t cv;
    int finished;               /* connections ended */
    int handshakes;             /* handshakes completed */
    server_tls_status last_status;
    char last_err[256];
    char last_subject[256];
    char last_version[16];
    unsigned long write_waits;  /* server_tls_write() said WANT_WRITE */
    unsigned long echoed;       /* bytes written back */
} echo_server;

static void watch(echo_server *es, echo_conn *ec, server_tls_status st)
{
    struct epoll_event ev = {.events = st == SERVER_TLS_WANT_WRITE ? EPOLLOUT
                                                                   : EPOLLIN,
                             .data.ptr = ec};
    epoll_ctl(es->ep, EPOLL_CTL_MOD, ec->fd, &ev);
}

static void finish(echo_server *es, echo_conn *ec, server_tls_status st)
{
    pthread_mutex_lock(&es->mu);
    es->finished++;
    es->last_status = st;
    snprintf(es->last_err, sizeof es->last_err, "%s",
             server_tls_conn_error(ec->tls));
    pthread_cond_broadcast(&es->cv);
    pthread_mutex_unlock(&es->mu);
    if (st == SERVER_TLS_CLOSED)
        server_tls_shutdown(ec->tls);
    epoll_ctl(es->ep, EPOLL_CTL_DEL, ec->fd, NULL);
    for (int i = 0; i < ECHO_MAX_CONNS; i++)
        if (es->conns[i] == ec)
            es->conns[i] = NULL;
    server_tls_conn_free(ec->tls);
    close(ec->fd);
    free(ec->out);
    free(ec);
}

/* Run a connection as far as it goes: handshake, then echo, writing
 * what is owed before reading more (so a slow reader slows us down). */
static void drive(echo_server *es, echo_conn *ec)
{
    server_tls_status st;
    if (!ec->open) {
        st = server_tls_handshake(ec->tls);
        if (st == SERVER_TLS_WANT_READ || st == SERVER_TLS_WANT_WRITE) {
            watch(es, ec, st);
            return;
        }
        if (st != SERVER_TLS_OK) {
            finish(es, ec, st);
            return;
        }
        ec->open = true;
        pthread_mutex_lock(&es->mu);
        es->handshakes++;
        server_tls_peer_subject(ec->tls, es->last_subject,
                                sizeof es->last_subject);
        snprintf(es->last_version, sizeof es->last_version, "%s",
                 server_tls_version(ec->tls));
        pthread_cond_broadcast(&es->cv);
        pthread_mutex_unlock(&es->mu);
    }
    for (;;) {
        while (ec->olen > 0) {
            size_t n;
            st = server_tls_write(ec->tls, ec->out, ec->olen, &n);
            if (st == SERVER_TLS_OK) {
                memmove(ec->out, ec->out + n, ec->olen - n);
                ec->olen -= n;
                pthread_mutex_lock(&es->mu);
                es->echoed += n;
                pthread_mutex_unlock(&es->mu);
                continue;
            }
            if (st == SERVER_TLS_WANT_WRITE) {
                pthread_mutex_lock(&es->mu);
                es->write_waits++;
                pthread_mutex_unlock(&es->mu);
            }
            if (st == SERVER_TLS_WANT_READ || st == SERVER_TLS_WANT_WRITE) {
                watch(es, ec, st);
                return;
            }
            finish(es, ec, st);
            return;
        }
        char buf[16384];
        size_t n;
        st = server_tls_read(ec->tls, buf, sizeof buf, &n);
        if (st == SERVER_TLS_OK) {
            if (ec->ocap - ec->olen < n) {
                ec->ocap = ec->olen + n;
                ec->out = realloc(ec->out, ec->ocap);
            }
            memcpy(ec->out + ec->olen, buf, n);
            ec->olen += n;
            continue;
        }
        if (st == SERVER_TLS_WANT_READ || st == SERVER_TLS_WANT_WRITE) {
            watch(es, ec, st);
            return;
        }
        finish(es, ec, st);
        return;
    }
}

static void *echo_loop(void *arg)
{
    echo_server *es = arg;
    for (;;) {
        struct epoll_event evs[8];
        int n = epoll_wait(es->ep, evs, 8, -1);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == &es->stopfd)
                return NULL;
            if (evs[i].data.ptr == &es->lfd) {
                int fd = accept4(es->lfd, NULL, NULL, SOCK_NONBLOCK);
                if (fd < 0)
                    continue;
                if (es->sndbuf) {
                    /* small, and no delayed-ACK stalls with it */
                    int one = 1;
                    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &es->sndbuf,
                               sizeof es->sndbuf);
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                }
                echo_conn *ec = calloc(1, sizeof *ec);
                ec->fd = fd;
                ec->tls = server_tls_conn_new(es->tls, fd);
                for (int k = 0; k < ECHO_MAX_CONNS; k++)
                    if (es->conns[k] == NULL) {
                        es->conns[k] = ec;
                        break;
                    }
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ec};
                epoll_ctl(es->ep, EPOLL_CTL_ADD, fd, &ev);
                drive(es, ec);
                continue;
            }
            drive(es, evs[i].data.ptr);
        }
    }
}

static void echo_start(echo_server *es, server_tls *tls, int sndbuf)
{
    memset(es, 0, sizeof *es);
    es->tls = tls;
    es->sndbuf = sndbuf;
    pthread_mutex_init(&es->mu, NULL);
    pthread_cond_init(&es->cv, NULL);
    es->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ck_assert_int_ge(es->lfd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    ck_assert_int_eq(bind(es->lfd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(es->lfd, 16), 0);
    ck_assert_int_eq(getsockname(es->lfd, (struct sockaddr *)&a, &al), 0);
    es->port = ntohs(a.sin_port);
    es->ep = epoll_create1(0);
    es->stopfd = eventfd(0, EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &es->lfd};
    epoll_ctl(es->ep, EPOLL_CTL_ADD, es->lfd, &ev);
    ev.data.ptr = &es->stopfd;
    epoll_ctl(es->ep, EPOLL_CTL_ADD, es->stopfd, &ev);
    ck_assert_int_eq(pthread_create(&es->thread, NULL, echo_loop, es), 0);
}

static void echo_stop(echo_server *es)
{
    uint64_t one = 1;
    ck_assert_int_eq(write(es->stopfd, &one, sizeof one), (int)sizeof one);
    pthread_join(es->thread, NULL);
    for (int i = 0; i < ECHO_MAX_CONNS; i++)
        if (es->conns[i]) {
            server_tls_conn_free(es->conns[i]->tls);
            close(es->conns[i]->fd);
            free(es->conns[i]->out);
            free(es->conns[i]);
        }
    close(es->lfd);
    close(es->ep);
    close(es->stopfd);
    server_tls_free(es->tls);
    pthread_mutex_destroy(&es->mu);
    pthread_cond_destroy(&es->cv);
}

/* Wait (10 s at most) until n connections have ended. */
static void echo_wait_finished(echo_server *es, int n)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    pthread_mutex_lock(&es->mu);
    int rc = 0;
    while (es->finished < n && rc == 0)
        rc = pthread_cond_timedwait(&es->cv, &es->mu, &dl);
    int got = es->finished;
    pthread_mutex_unlock(&es->mu);
    ck_assert_msg(got >= n, "echo server: %d connections ended, wanted %d",
                  got, n);
}

/* The server's record of the last ended connection, copied. */
static server_tls_status last_end(echo_server *es, char *err, size_t n)
{
    pthread_mutex_lock(&es->mu);
    server_tls_status st = es->last_status;
    snprintf(err, n, "%s", es->last_err);
    pthread_mutex_unlock(&es->mu);
    return st;
}

/* ---- chapter 10's client ------------------------------------------------- */

static repl_conn *client_open(int port, const char *ca, bool with_cert,
                              char *err, size_t errsz)
{
    repl_tls_options o = {.enabled = true, .ca_file = ca};
    if (with_cert) {
        o.cert_file = certs.client_cert;
        o.key_file = certs.client_key;
    }
    return repl_conn_open("127.0.0.1", port, &o, 5000, err, errsz);
}

/* Send text and read it back whole. */
static void echo_roundtrip(repl_conn *c, const char *text)
{
    size_t n = strlen(text);
    ck_assert_msg(repl_conn_write(c, text, n, 5000) == 0, "%s",
                  repl_conn_error(c));
    char buf[256];
    size_t got = 0;
    while (got < n) {
        ssize_t r = repl_conn_read(c, buf + got, sizeof buf - got, 5000);
        ck_assert_msg(r > 0, "read: %s", r == 0 ? "closed" : repl_conn_error(c));
        got += (size_t)r;
    }
    ck_assert_bytes_eq(buf, got, text, n);
}

START_TEST(handshake_and_echo_with_a_client_certificate)
{
    echo_server es;
    echo_start(&es, make_tls(1, certs.ca_cert), 0);
    char err[512];
    repl_conn *c = client_open(es.port, certs.ca_cert, true, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    echo_roundtrip(c, "hello over TLS");
    echo_roundtrip(c, "*1\r\n$4\r\nPING\r\n");
    repl_conn_close(c); /* close_notify */
    echo_wait_finished(&es, 1);
    char why[256];
    ck_assert_int_eq(last_end(&es, why, sizeof why), SERVER_TLS_CLOSED);
    ck_assert_str_eq(why, "connection closed by the client");
    ck_assert_int_eq(es.handshakes, 1);
    ck_assert_str_eq(es.last_subject, "CN=replica");
    ck_assert_str_eq(es.last_version, "TLSv1.3");
    echo_stop(&es);
}
END_TEST

START_TEST(required_certificate_missing_is_refused)
{
    echo_server es;
    echo_start(&es, make_tls(1, certs.ca_cert), 0);
    char err[512];
    repl_conn *c = client_open(es.port, certs.ca_cert, false, err, sizeof err);
    /* TLS 1.3: the client's handshake ends before the server has checked
     * its certificate; the refusal arrives as an alert at the first read. */
    ck_assert_msg(c != NULL, "%s", err);
    char buf[16];
    ssize_t r = repl_conn_read(c, buf, sizeof buf, 5000);
    ck_assert_int_eq(r, -1);
    ck_assert_msg(strstr(repl_conn_error(c), "certificate required") != NULL,
                  "client saw: %s", repl_conn_error(c));
    repl_conn_close(c);
    echo_wait_finished(&es, 1);
    char why[256];
    ck_assert_int_eq(last_end(&es, why, sizeof why), SERVER_TLS_ERROR);
    ck_assert_str_eq(why, "peer did not return a certificate");
    ck_assert_int_eq(es.handshakes, 0);
    echo_stop(&es);
}
END_TEST

START_TEST(optional_and_no_client_certificates)
{
    char err[512], why[256];
    /* optional: without one, and with one (then verified and named) */
    echo_server es;
    echo_start(&es, make_tls(2, certs.ca_cert), 0);
    repl_conn *c = client_open(es.port, certs.ca_cert, false, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    echo_roundtrip(c, "no certificate");
    repl_conn_close(c);
    echo_wait_finished(&es, 1);
    ck_assert_str_eq(es.last_subject, "");
    c = client_open(es.port, certs.ca_cert, true, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    echo_roundtrip(c, "with certificate");
    repl_conn_close(c);
    echo_wait_finished(&es, 2);
    ck_assert_str_eq(es.last_subject, "CN=replica");
    echo_stop(&es);
    /* none: the server does not ask, so a client's certificate is unseen */
    echo_start(&es, make_tls(0, NULL), 0);
    c = client_open(es.port, certs.ca_cert, true, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    echo_roundtrip(c, "not asked");
    repl_conn_close(c);
    echo_wait_finished(&es, 1);
    ck_assert_int_eq(last_end(&es, why, sizeof why), SERVER_TLS_CLOSED);
    ck_assert_str_eq(es.last_subject, "");
    echo_stop(&es);
}
END_TEST

START_TEST(wrong_ca_on_either_side)
{
    char err[512], why[256];
    /* the client trusts another CA: it refuses the server's certificate */
    echo_server es;
    echo_start(&es, make_tls(1, certs.ca_cert), 0);
    repl_conn *c = client_open(es.port, certs.wrong_ca_cert, true, err,
                               sizeof err);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err, "certificate verify failed") != NULL, "%s", err);
    echo_wait_finished(&es, 1);
    ck_assert_int_eq(last_end(&es, why, sizeof why), SERVER_TLS_ERROR);
    ck_assert_str_eq(why, "tlsv1 alert unknown ca");
    echo_stop(&es);
    /* the server trusts another CA: it refuses the client's certificate */
    echo_start(&es, make_tls(1, certs.wrong_ca_cert), 0);
    c = client_open(es.port, certs.ca_cert, true, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    char buf[16];
    ck_assert_int_eq(repl_conn_read(c, buf, sizeof buf, 5000), -1);
    ck_assert_msg(strstr(repl_conn_error(c), "unknown ca") != NULL,
                  "client saw: %s", repl_conn_error(c));
    repl_conn_close(c);
    echo_wait_finished(&es, 1);
    ck_assert_int_eq(last_end(&es, why, sizeof why), SERVER_TLS_ERROR);
    /* the client sends its chain, which ends in our CA, unknown there */
    ck_assert_str_eq(why, "certificate verify failed (self-signed "
                          "certificate in certificate chain)");
    echo_stop(&es);
}
END_TEST

/* A plain TCP connection to the echo server. */
static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

START_TEST(clients_that_do_not_speak_tls)
{
    static const struct {
        const char *bytes;
        size_t len;
        server_tls_status st;
        const char *why;
    } cases[] = {
        {"*1\r\n$4\r\nPING\r\n", 14, SERVER_TLS_ERROR, "wrong version number"},
        {"PING\r\n", 6, SERVER_TLS_ERROR, "wrong version number"},
        {"GET / HTTP/1.1\r\n\r\n", 18, SERVER_TLS_ERROR, "http request"},
        {"\x16\x03\x01\xff\xff", 5, SERVER_TLS_ERROR, "packet length too long"},
        {"\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9, SERVER_TLS_ERROR,
         "length too short"}, /* a hello too short for its fields */
        {"", 0, SERVER_TLS_CLOSED,
         "connection closed by the client during the TLS handshake"},
    };
    echo_server es;
    echo_start(&es, make_tls(0, NULL), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = tcp_connect(es.port);
        if (cases[i].len)
            ck_assert_int_eq(send(fd, cases[i].bytes, cases[i].len,
                                  MSG_NOSIGNAL), (ssize_t)cases[i].len);
        shutdown(fd, SHUT_WR);
        echo_wait_finished(&es, (int)i + 1);
        char why[256];
        server_tls_status st = last_end(&es, why, sizeof why);
        ck_assert_msg(st == cases[i].st && strcmp(why, cases[i].why) == 0,
                      "case %zu: status %d \"%s\", wanted %d \"%s\"", i, st,
                      why, cases[i].st, cases[i].why);
        /* whatever the server answered, it then closed: an end of file,
         * or a reset when it left some of the bytes unread */
        char buf[512];
        ssize_t r;
        while ((r = recv(fd, buf, sizeof buf, 0)) > 0)
            ;
        ck_assert_msg(r == 0 || errno == ECONNRESET, "case %zu: recv: %s", i,
                      strerror(errno));
        close(fd);
    }
    ck_assert_int_eq(es.handshakes, 0);
    echo_stop(&es);
}
END_TEST

/* ---- an OpenSSL client over memory BIOs ---------------------------------- */

/* The test moves the client's bytes itself, as few at a time as it
 * likes: what the client writes collects in wbio, what it should read is
 * put into rbio. */
typedef struct mclient {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio, *wbio;
    int fd;                  /* its end of the connection */
    char stage[65536];       /* taken from wbio, not yet sent */
    size_t slen, spos;
} mclient;

/* A client context trusting our CA, with the client certificate or not. */
static SSL_CTX *client_ctx(bool with_cert)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    ck_assert_ptr_nonnull(ctx);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    ck_assert_int_eq(SSL_CTX_load_verify_locations(ctx, certs.ca_cert, NULL),
                     1);
    if (with_cert) {
        ck_assert_int_eq(SSL_CTX_use_certificate_chain_file(
                             ctx, certs.client_cert), 1);
        ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(
                             ctx, certs.client_key, SSL_FILETYPE_PEM), 1);
    }
    return ctx;
}

/* A client on fd; ctx NULL makes one (with_cert says which), else the
 * client takes a reference to ctx. */
static void mclient_open_ctx(mclient *m, int fd, SSL_CTX *ctx, bool with_cert)
{
    memset(m, 0, sizeof *m);
    m->fd = fd;
    if (ctx != NULL) {
        SSL_CTX_up_ref(ctx);
        m->ctx = ctx;
    } else {
        m->ctx = client_ctx(with_cert);
    }
    m->ssl = SSL_new(m->ctx);
    m->rbio = BIO_new(BIO_s_mem());
    m->wbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(m->rbio, -1); /* empty: "retry", not EOF */
    SSL_set_bio(m->ssl, m->rbio, m->wbio);
    SSL_set_connect_state(m->ssl);
}

static void mclient_open(mclient *m, int fd, bool with_cert)
{
    mclient_open_ctx(m, fd, NULL, with_cert);
}

static void mclient_close(mclient *m)
{
    SSL_free(m->ssl); /* frees both BIOs */
    SSL_CTX_free(m->ctx);
    ERR_clear_error();
}

/* Send up to max bytes of what the client wrote; returns how many went. */
static size_t mclient_send(mclient *m, size_t max)
{
    size_t sent = 0;
    while (sent < max) {
        if (m->spos == m->slen) {
            int n = BIO_read(m->wbio, m->stage, sizeof m->stage);
            if (n <= 0)
                break;
            m->slen = (size_t)n;
            m->spos = 0;
        }
        size_t want = m->slen - m->spos;
        if (want > max - sent)
            want = max - sent;
        ssize_t w = send(m->fd, m->stage + m->spos, want,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        ck_assert_msg(w > 0, "client send: %s", strerror(errno));
        m->spos += (size_t)w;
        sent += (size_t)w;
    }
    return sent;
}

/* Bytes the client wrote and has not sent yet. */
static size_t mclient_unsent(mclient *m)
{
    return (m->slen - m->spos) + (size_t)BIO_ctrl_pending(m->wbio);
}

/* Receive up to max bytes for the client; returns how many (0: none
 * there now, or the end of the stream when *eof is set). */
static size_t mclient_recv(mclient *m, size_t max, bool *eof)
{
    char buf[65536];
    if (max > sizeof buf)
        max = sizeof buf;
    ssize_t r = recv(m->fd, buf, max, MSG_DONTWAIT);
    if (eof)
        *eof = r == 0;
    if (r <= 0)
        return 0;
    ck_assert_int_eq(BIO_write(m->rbio, buf, (int)r), (int)r);
    return (size_t)r;
}

/* Make a connected pair of non-blocking sockets: [0] the server's. */
static void socket_pair(int sv[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
}

START_TEST(handshake_one_byte_at_a_time)
{
    server_tls *t = make_tls(1, certs.ca_cert);
    int sv[2];
    socket_pair(sv);
    server_tls_conn *s = server_tls_conn_new(t, sv[0]);
    ck_assert_ptr_nonnull(s);
    mclient m;
    mclient_open(&m, sv[1], true);
    bool s_done = false, c_done = false;
    unsigned long client_bytes = 0, server_waits = 0;
    for (int round = 0; round < 20 && !(s_done && c_done); round++) {
        if (!c_done) {
            int r = SSL_do_handshake(m.ssl);
            c_done = r == 1;
            if (!c_done)
                ck_assert_int_eq(SSL_get_error(m.ssl, r), SSL_ERROR_WANT_READ);
        }
        /* the client's flight, byte by byte, a server step after each */
        while (mclient_send(&m, 1) == 1) {
            client_bytes++;
            if (s_done)
                continue;
            server_tls_status st = server_tls_handshake(s);
            if (st == SERVER_TLS_OK) {
                s_done = true;
            } else {
                ck_assert_msg(st == SERVER_TLS_WANT_READ, "step %lu: %d %s",
                              client_bytes, st, server_tls_conn_error(s));
                server_waits++;
            }
        }
        /* the server's answer, to the client byte by byte */
        while (mclient_recv(&m, 1, NULL) == 1) {
            if (!c_done) {
                int r = SSL_do_handshake(m.ssl);
                c_done = r == 1;
            }
        }
    }
    ck_assert(s_done && c_done);
    /* every byte but the last of each client flight left the server
     * waiting for more, and said so */
    ck_assert_uint_ge(server_waits, client_bytes - 4);
    ck_assert_str_eq(server_tls_version(s), "TLSv1.3");

    /* application data, one byte at a time as well */
    ck_assert_int_eq(SSL_write(m.ssl, "ping", 4), 4);
    char buf[16];
    size_t n = 0, got = 0;
    while (mclient_send(&m, 1) == 1) {
        server_tls_status st = server_tls_read(s, buf + got, sizeof buf - got,
                                               &n);
        if (st == SERVER_TLS_OK)
            got += n;
        else
            ck_assert_int_eq(st, SERVER_TLS_WANT_READ);
    }
    ck_assert_bytes_str(buf, got, "ping");
    ck_assert_uint_eq(server_tls_pending(s), 0);
    ck_assert_int_eq(server_tls_write(s, "pong", 4, &n), SERVER_TLS_OK);
    ck_assert_uint_eq(n, 4);
    while (mclient_recv(&m, 1, NULL) == 1)
        ;
    int r = SSL_read(m.ssl, buf, sizeof buf);
    ck_assert_int_eq(r, 4);
    ck_assert_bytes_str(buf, 4, "pong");
    /* a clean close: close_notify both ways */
    SSL_shutdown(m.ssl);
    mclient_send(&m, 1000);
    ck_assert_int_eq(server_tls_read(s, buf, sizeof buf, &n),
                     SERVER_TLS_CLOSED);
    server_tls_shutdown(s);
    server_tls_shutdown(s); /* once only */
    server_tls_conn_free(s);
    mclient_close(&m);
    close(sv[0]);
    close(sv[1]);
    server_tls_free(t);
}
END_TEST

/* Run one handshake with the client's flight number `flight` (1 or 2) cut
 * after k bytes, then the end of the stream; returns the server's final
 * status (never OK), or -1 when the flight is not longer than k bytes. */
static int cut_handshake(server_tls *t, SSL_CTX *cctx, int flight, size_t k,
                         char *why, size_t whysz)
{
    int sv[2];
    socket_pair(sv);
    server_tls_conn *s = server_tls_conn_new(t, sv[0]);
    ck_assert_ptr_nonnull(s);
    mclient m;
    mclient_open_ctx(&m, sv[1], cctx, true);
    SSL_do_handshake(m.ssl);
    if (flight == 2) { /* the first flight whole, the server's answer */
        mclient_send(&m, SIZE_MAX);
        ck_assert_int_eq(server_tls_handshake(s), SERVER_TLS_WANT_READ);
        while (mclient_recv(&m, SIZE_MAX, NULL) > 0)
            ;
        SSL_do_handshake(m.ssl); /* certificate, verify, finished */
    }
    int result = -1;
    if (k < mclient_unsent(&m)) {
        ck_assert_uint_eq(mclient_send(&m, k), k);
        shutdown(sv[1], SHUT_WR);
        server_tls_status st;
        int steps = 0;
        do {
            st = server_tls_handshake(s);
            ck_assert_int_lt(++steps, 100);
        } while (st == SERVER_TLS_WANT_READ &&
                 poll(&(struct pollfd){.fd = sv[0], .events = POLLIN}, 1,
                      5000) == 1);
        ck_assert_int_ne(st, SERVER_TLS_OK);
        ck_assert_int_ne(st, SERVER_TLS_WANT_READ);
        snprintf(why, whysz, "%s", server_tls_conn_error(s));
        result = (int)st;
    }
    server_tls_conn_free(s);
    mclient_close(&m);
    close(sv[0]);
    close(sv[1]);
    return result;
}

START_TEST(handshake_cut_at_every_byte)
{
    server_tls *t = make_tls(1, certs.ca_cert);
    /* Under the sanitizers and Valgrind (TEST_SCALE below 1) a handshake
     * is slow: a stride then, still cutting at each of the first bytes
     * (the record header, the message header) of each flight. */
    long scaled = test_scale(100, 1);
    size_t stride = scaled >= 100 ? 1 : scaled >= 5 ? 7 : 29;
    SSL_CTX *cctx = client_ctx(true);
    for (int flight = 1; flight <= 2; flight++) {
        size_t tried = 0;
        for (size_t k = 0;; k += k < 10 ? 1 : stride) {
            char why[256];
            int st = cut_handshake(t, cctx, flight, k, why, sizeof why);
            if (st < 0)
                break;
            tried++;
            ck_assert_msg(st == SERVER_TLS_CLOSED &&
                          strcmp(why, "connection closed by the client "
                                      "during the TLS handshake") == 0,
                          "flight %d cut after %zu bytes: status %d \"%s\"",
                          flight, k, st, why);
        }
        /* the flights are hundreds of bytes */
        ck_assert_uint_gt(tried, 10 + 200 / stride);
    }
    SSL_CTX_free(cctx);
    server_tls_free(t);
}
END_TEST

/* Fill a buffer with the pattern of stream offset off. */
static void pattern(unsigned char *p, size_t n, size_t off)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((off + i) * 2654435761u >> 13);
}

START_TEST(large_transfers_wait_for_writable)
{
    echo_server es;
    echo_start(&es, make_tls(0, NULL), 4096); /* small server send buffer */
    int fd = tcp_connect(es.port);
    mclient m;
    mclient_open(&m, fd, false);
    const size_t total = (size_t)test_scale(8 << 20, 256 << 10);
    size_t wrote = 0, read_back = 0;
    static unsigned char chunk[20000], got[20000], want[20000];
    int idle = 0;
    while (read_back < total) {
        int progress = 0;
        int r = SSL_do_handshake(m.ssl);
        if (r == 1 && wrote < total && mclient_unsent(&m) < 65536) {
            size_t n = total - wrote < sizeof chunk ? total - wrote
                                                    : sizeof chunk;
            pattern(chunk, n, wrote);
            int w = SSL_write(m.ssl, chunk, (int)n);
            ck_assert_int_gt(w, 0);
            wrote += (size_t)w;
            progress = 1;
        }
        progress |= mclient_send(&m, SIZE_MAX) > 0;
        bool eof;
        progress |= mclient_recv(&m, SIZE_MAX, &eof) > 0;
        ck_assert_msg(!eof, "the server closed the connection");
        for (;;) {
            int n = SSL_read(m.ssl, got, sizeof got);
            if (n <= 0)
                break;
            pattern(want, (size_t)n, read_back);
            ck_assert_msg(memcmp(got, want, (size_t)n) == 0,
                          "echo differs in the %d bytes at offset %zu", n,
                          read_back);
            read_back += (size_t)n;
            progress = 1;
        }
        if (!progress) {
            short ev = POLLIN | (mclient_unsent(&m) ? POLLOUT : 0);
            int p = poll(&(struct pollfd){.fd = fd, .events = ev}, 1, 5000);
            ck_assert_msg(p == 1 || ++idle < 2, "no progress for 10 s at %zu "
                          "of %zu bytes echoed", read_back, total);
        }
    }
    ck_assert_uint_eq(read_back, total);
    pthread_mutex_lock(&es.mu);
    unsigned long waits = es.write_waits;
    unsigned long echoed = es.echoed;
    pthread_mutex_unlock(&es.mu);
    ck_assert_uint_eq(echoed, total);
    ck_assert_uint_gt(waits, 0); /* the server did have to wait */
    mclient_close(&m);
    close(fd);
    echo_wait_finished(&es, 1);
    echo_stop(&es);
}
END_TEST

START_TEST(configuration_errors_name_the_file)
{
    char err[512];
    char garbage[400], missing[400];
    snprintf(missing, sizeof missing, "%s/missing.pem", certs.dir);
    snprintf(garbage, sizeof garbage, "%s/garbage.pem", certs.dir);
    FILE *f = fopen(garbage, "w");
    ck_assert_ptr_nonnull(f);
    fputs("not a certificate\n", f);
    fclose(f);
    struct {
        server_tls_options o;
        const char *expect;
    } cases[] = {
        {{.cert_file = NULL, .key_file = certs.server_key},
         "TLS: tls-cert-file and tls-key-file are required"},
        {{.cert_file = missing, .key_file = certs.server_key},
         "TLS: cannot load certificate %s: No such file or directory"},
        {{.cert_file = garbage, .key_file = certs.server_key},
         "TLS: cannot load certificate %s: no start line"},
        {{.cert_file = certs.server_cert, .key_file = missing},
         "TLS: cannot load private key %s: No such file or directory"},
        {{.cert_file = certs.server_cert, .key_file = garbage},
         "TLS: cannot load private key %s: unsupported"},
        {{.cert_file = certs.server_cert, .key_file = certs.client_key},
         "TLS: key %s does not match certificate %s"},
        {{.cert_file = certs.server_cert, .key_file = certs.server_key,
          .auth_clients = 1},
         "TLS: tls-auth-clients needs tls-ca-cert-file or tls-ca-cert-dir"},
        {{.cert_file = certs.server_cert, .key_file = certs.server_key,
          .auth_clients = 1, .ca_file = missing},
         "TLS: cannot load CA file %s: No such file or directory"},
        {{.cert_file = certs.server_cert, .key_file = certs.server_key,
          .auth_clients = 1, .ca_file = garbage},
         "TLS: cannot load CA file %s: no certificate or crl found"},
        {{.cert_file = certs.server_cert, .key_file = certs.server_key,
          .auth_clients = 3},
         "TLS: tls-auth-clients must be 0 (no), 1 (yes) or 2 (optional), "
         "not 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const server_tls_options *o = &cases[i].o;
        char expect[1200];
        const char *file = strstr(cases[i].expect, "key %s does")
                               ? o->key_file
                               : strstr(cases[i].expect, "CA file")
                                     ? o->ca_file
                                     : strstr(cases[i].expect, "private key")
                                           ? o->key_file
                                           : o->cert_file;
        snprintf(expect, sizeof expect, cases[i].expect, file, o->cert_file);
        err[0] = '\0';
        ck_assert_ptr_null(server_tls_create(o, err, sizeof err));
        ck_assert_msg(strcmp(err, expect) == 0, "case %zu: \"%s\", wanted "
                      "\"%s\"", i, err, expect);
    }
    /* and a CA directory works as well as a file */
    server_tls_options o = {.cert_file = certs.server_cert,
                            .key_file = certs.server_key,
                            .ca_dir = certs.dir, .auth_clients = 2};
    server_tls *t = server_tls_create(&o, err, sizeof err);
    ck_assert_msg(t != NULL, "%s", err);
    server_tls_free(t);
    server_tls_free(NULL);
    server_tls_conn_free(NULL);
}
END_TEST

START_TEST(tls_1_2_clients_are_served)
{
    echo_server es;
    echo_start(&es, make_tls(1, certs.ca_cert), 0);
    int fd = tcp_connect(es.port);
    mclient m;
    mclient_open(&m, fd, true);
    SSL_set_max_proto_version(m.ssl, TLS1_2_VERSION);
    int r;
    for (int i = 0; (r = SSL_do_handshake(m.ssl)) != 1 && i < 1000; i++) {
        ck_assert_int_eq(SSL_get_error(m.ssl, r), SSL_ERROR_WANT_READ);
        mclient_send(&m, SIZE_MAX);
        poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 5000);
        mclient_recv(&m, SIZE_MAX, NULL);
    }
    ck_assert_int_eq(r, 1);
    ck_assert_str_eq(SSL_get_version(m.ssl), "TLSv1.2");
    ck_assert_int_eq(SSL_write(m.ssl, "x", 1), 1);
    mclient_send(&m, SIZE_MAX);
    char c = 0;
    for (int i = 0; (r = SSL_read(m.ssl, &c, 1)) != 1 && i < 1000; i++) {
        poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 5000);
        mclient_recv(&m, SIZE_MAX, NULL);
    }
    ck_assert_int_eq(c, 'x');
    mclient_close(&m);
    close(fd);
    echo_wait_finished(&es, 1);
    ck_assert_str_eq(es.last_version, "TLSv1.2");
    ck_assert_str_eq(es.last_subject, "CN=replica");
    echo_stop(&es);
}
END_TEST

Suite *ch11_tls_suite(void)
{
    Suite *s = suite_create("ch11_tls");
    TCase *tc = test_tcase("certificates", 60);
    tcase_add_unchecked_fixture(tc, certs_up, certs_down);
    tcase_add_test(tc, handshake_and_echo_with_a_client_certificate);
    tcase_add_test(tc, required_certificate_missing_is_refused);
    tcase_add_test(tc, optional_and_no_client_certificates);
    tcase_add_test(tc, wrong_ca_on_either_side);
    tcase_add_test(tc, tls_1_2_clients_are_served);
    tcase_add_test(tc, configuration_errors_name_the_file);
    suite_add_tcase(s, tc);
    tc = test_tcase("bytes", 120);
    tcase_add_unchecked_fixture(tc, certs_up, certs_down);
    tcase_add_test(tc, clients_that_do_not_speak_tls);
    tcase_add_test(tc, handshake_one_byte_at_a_time);
    tcase_add_test(tc, handshake_cut_at_every_byte);
    suite_add_tcase(s, tc);
    tc = test_tcase("transfers", 120);
    tcase_add_unchecked_fixture(tc, certs_up, certs_down);
    tcase_add_test(tc, large_transfers_wait_for_writable);
    suite_add_tcase(s, tc);
    return s;
}
