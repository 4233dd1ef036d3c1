/* repl_tls.c - TLS for the replica's connection (OpenSSL).
 * Chapter 10.
 *
 * Redis's tls-replication protects the link with TLS; the replica is the
 * TLS client.  What it must check is what any client must: that the
 * master's certificate chains to a CA it trusts (ca_file or ca_dir, else
 * the system's), and that the certificate was issued for the name it
 * meant to reach (server_name, else the host it connected to).  OpenSSL
 * checks the chain by itself; the name only when told, with
 * X509_VERIFY_PARAM_set1_host() for a DNS name or
 * X509_VERIFY_PARAM_set1_ip_asc() for an address (a certificate names an
 * address in an IP entry, which a host-name check never looks at).  The
 * same name goes out as SNI, except an address (RFC 6066 forbids
 * literal addresses there).  A master with tls-auth-clients asks for a
 * client certificate: cert_file and key_file.
 *
 * The socket stays non-blocking and repl_conn.c keeps doing the waiting:
 * each call here makes one OpenSSL call and says whether it must wait
 * for the socket to be readable or writable (SSL_ERROR_WANT_READ/WRITE).
 * Two details matter.  OpenSSL may hold decrypted bytes that poll()
 * cannot see, so repl_conn_read() asks repl_tls_pending() first.  And
 * OpenSSL's own socket layer writes with write(), which raises SIGPIPE
 * when the master has gone; a library must not kill its program for
 * that, so the session runs over a small BIO of ours that uses
 * send(MSG_NOSIGNAL), exactly like the plain-TCP path.
 *
 * Errors name host:port and OpenSSL's reason, with the certificate
 * check's own reason when verification failed, e.g. "TLS handshake with
 * 127.0.0.1:6380: certificate verify failed (hostname mismatch)".  With
 * TLS 1.3 the client's handshake completes before the master has checked
 * the client's certificate; a master that rejects it says so in an alert
 * that arrives at the first read ("tlsv13 alert certificate required").
 */
#include "repl_conn_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* ---- a socket BIO that never raises SIGPIPE ------------------------------ */

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static int bio_fd(BIO *b)
{
    return ((repl_conn *)BIO_get_data(b))->fd;
}

static int bio_write(BIO *b, const char *buf, int len)
{
    BIO_clear_retry_flags(b);
    ssize_t n = send(bio_fd(b), buf, (size_t)len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)n;
}

static int bio_read(BIO *b, char *buf, int len)
{
    BIO_clear_retry_flags(b);
    ssize_t n = recv(bio_fd(b), buf, (size_t)len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b; (void)num; (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0; /* send() buffers nothing */
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static void bio_method_make(void)
{
    /* Made once and kept for the life of the process (still reachable
     * at exit, like OpenSSL's own method tables). */
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                 "repl socket");
    if (m && BIO_meth_set_write(m, bio_write) && BIO_meth_set_read(m, bio_read) &&
        BIO_meth_set_ctrl(m, bio_ctrl) && BIO_meth_set_create(m, bio_create)) {
        bio_method = m;
        return;
    }
    BIO_meth_free(m);
}

/* ---- errors ---------------------------------------------------------------- */

/* Describe why the OpenSSL call that returned ret failed: OpenSSL's
 * reason, the certificate check's reason, or the socket's errno. */
static void describe(repl_conn *c, int ret, char *out, size_t outsz)
{
    SSL *ssl = c->ssl;
    int saved = errno;
    int e = SSL_get_error(ssl, ret);
    unsigned long code = ERR_peek_last_error();
    if (e == SSL_ERROR_SSL && code != 0) {
        const char *reason = ERR_reason_error_string(code);
        long vr = SSL_get_verify_result(ssl);
        if (ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED && vr != X509_V_OK)
            snprintf(out, outsz, "%s (%s)", reason ? reason : "certificate verify failed",
                     X509_verify_cert_error_string(vr));
        else if (reason)
            snprintf(out, outsz, "%s", reason);
        else
            snprintf(out, outsz, "OpenSSL error %lu", code);
    } else if (e == SSL_ERROR_SYSCALL && saved != 0) {
        snprintf(out, outsz, "%s", strerror(saved));
    } else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN) {
        snprintf(out, outsz, "connection closed by the peer");
    } else {
        snprintf(out, outsz, "SSL error %d", e);
    }
    ERR_clear_error();
}

/* The reason for a failure of setting up (no SSL yet). */
static const char *queue_reason(void)
{
    unsigned long code = ERR_peek_last_error();
    const char *r = code ? ERR_reason_error_string(code) : NULL;
    return r ? r : "unknown OpenSSL error";
}

/* ---- the session ----------------------------------------------------------- */

static bool is_address(const char *name)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

/* Build the context: protocol versions, trust, client certificate. */
static SSL_CTX *make_ctx(repl_conn *c, const repl_tls_options *tls)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        repl_conn_fail(c, "TLS setup for %s: %s", c->peer, queue_reason());
        return NULL;
    }
    /* Redis's default tls-protocols: TLSv1.2 and TLSv1.3. */
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* The replication protocol frames every byte itself (lengths, the
     * EOF mark, whole commands), so a close without close_notify is read
     * as an ordinary end of the connection, as over plain TCP. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_verify(ctx, tls->no_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    if (tls->ca_file || tls->ca_dir) {
        if (SSL_CTX_load_verify_locations(ctx, tls->ca_file, tls->ca_dir) != 1) {
            repl_conn_fail(c, "TLS setup for %s: cannot load CA %s %s: %s", c->peer,
                           tls->ca_file ? "file" : "directory",
                           tls->ca_file ? tls->ca_file : tls->ca_dir, queue_reason());
            goto fail;
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        repl_conn_fail(c, "TLS setup for %s: cannot load the system's CAs: %s",
                       c->peer, queue_reason());
        goto fail;
    }
    if (!tls->cert_file != !tls->key_file) {
        repl_conn_fail(c, "TLS setup for %s: a client certificate needs both "
                       "cert_file and key_file", c->peer);
        goto fail;
    }
    if (tls->cert_file) {
        if (SSL_CTX_use_certificate_chain_file(ctx, tls->cert_file) != 1) {
            repl_conn_fail(c, "TLS setup for %s: cannot load client certificate %s: %s",
                           c->peer, tls->cert_file, queue_reason());
            goto fail;
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, tls->key_file, SSL_FILETYPE_PEM) != 1) {
            repl_conn_fail(c, "TLS setup for %s: cannot load client key %s: %s",
                           c->peer, tls->key_file, queue_reason());
            goto fail;
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
            repl_conn_fail(c, "TLS setup for %s: key %s does not match certificate %s",
                           c->peer, tls->key_file, tls->cert_file);
            goto fail;
        }
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

int repl_tls_start(repl_conn *c, const char *host,
                   const repl_tls_options *tls, int64_t deadline_ms)
{
    ERR_clear_error();
    pthread_once(&bio_once, bio_method_make);
    if (!bio_method) {
        repl_conn_fail(c, "TLS setup for %s: cannot make the socket BIO", c->peer);
        errno = ENOMEM;
        return -1;
    }
    SSL_CTX *ctx = make_ctx(c, tls);
    if (!ctx) goto fail;
    c->ssl_ctx = ctx;
    SSL *ssl = SSL_new(ctx);
    BIO *bio = ssl ? BIO_new(bio_method) : NULL;
    if (!bio) {
        SSL_free(ssl);
        repl_conn_fail(c, "TLS setup for %s: %s", c->peer, queue_reason());
        goto fail;
    }
    BIO_set_data(bio, c);
    SSL_set_bio(ssl, bio, bio); /* ssl owns bio now */
    c->ssl = ssl;

    const char *name = tls->server_name && *tls->server_name ? tls->server_name : host;
    bool address = is_address(name);
    if (!address && SSL_set_tlsext_host_name(ssl, name) != 1) {
        repl_conn_fail(c, "TLS setup for %s: bad server name \"%s\": %s", c->peer,
                       name, queue_reason());
        goto fail;
    }
    if (!tls->no_verify) {
        X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
        int ok;
        if (address) {
            ok = X509_VERIFY_PARAM_set1_ip_asc(param, name);
        } else {
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            ok = X509_VERIFY_PARAM_set1_host(param, name, 0);
        }
        if (ok != 1) {
            repl_conn_fail(c, "TLS setup for %s: cannot check the name \"%s\": %s",
                           c->peer, name, queue_reason());
            goto fail;
        }
    }

    for (;;) {
        ERR_clear_error();
        errno = 0;
        int r = SSL_connect(ssl);
        if (r == 1) return 0;
        int e = SSL_get_error(ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            char why[300];
            describe(c, r, why, sizeof why);
            repl_conn_fail(c, "TLS handshake with %s: %s", c->peer, why);
            errno = EPROTO;
            goto fail;
        }
        int w = repl_conn_wait(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                               deadline_ms);
        if (w == 0) {
            repl_conn_fail(c, "TLS handshake with %s: timed out", c->peer);
            errno = ETIMEDOUT;
            goto fail;
        }
        if (w < 0) {
            repl_conn_fail(c, "TLS handshake with %s: %s", c->peer, strerror(errno));
            goto fail;
        }
    }
fail:
    {
        int saved = errno;
        repl_tls_close(c);
        errno = saved;
    }
    return -1;
}

ssize_t repl_tls_read(repl_conn *c, void *buf, size_t cap, bool *want_write)
{
    SSL *ssl = c->ssl;
    ERR_clear_error();
    errno = 0;
    int r = SSL_read(ssl, buf, cap > 0x7fffffff ? 0x7fffffff : (int)cap);
    if (r > 0) return r;
    int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *want_write = e == SSL_ERROR_WANT_WRITE;
        errno = EAGAIN;
        return -1;
    }
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0 &&
                                       ERR_peek_last_error() == 0)) {
        ERR_clear_error();
        return 0; /* close_notify, or a plain end of file */
    }
    char why[300];
    describe(c, r, why, sizeof why);
    repl_conn_fail(c, "read from %s: TLS: %s", c->peer, why);
    errno = EPROTO;
    return -1;
}

/* A write failed at the socket (the master reset the connection): if the
 * master said why first, in an alert (e.g. "certificate required" after a
 * TLS 1.3 handshake), that alert is waiting to be read and is the better
 * reason.  One non-blocking read finds it; why is left alone otherwise. */
static void alert_reason(repl_conn *c, char *why, size_t whysz)
{
    char b[1];
    ERR_clear_error();
    int r = SSL_read(c->ssl, b, sizeof b);
    if (r <= 0 && SSL_get_error(c->ssl, r) == SSL_ERROR_SSL && ERR_peek_last_error())
        describe(c, r, why, whysz);
    ERR_clear_error();
}

ssize_t repl_tls_write(repl_conn *c, const void *p, size_t n, bool *want_read)
{
    SSL *ssl = c->ssl;
    ERR_clear_error();
    errno = 0;
    int r = SSL_write(ssl, p, n > 0x7fffffff ? 0x7fffffff : (int)n);
    if (r > 0) return r;
    int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *want_read = e == SSL_ERROR_WANT_READ;
        errno = EAGAIN;
        return -1;
    }
    char why[300];
    describe(c, r, why, sizeof why);
    if (e == SSL_ERROR_SYSCALL) alert_reason(c, why, sizeof why);
    repl_conn_fail(c, "write to %s: TLS: %s", c->peer, why);
    errno = EPROTO;
    return -1;
}

size_t repl_tls_pending(const repl_conn *c)
{
    int n = c->ssl ? SSL_pending(c->ssl) : 0;
    return n > 0 ? (size_t)n : 0;
}

void repl_tls_close(repl_conn *c)
{
    if (c->ssl) {
        /* One close_notify, sent if the socket takes it now; the answer
         * is not waited for (the connection is being dropped anyway). */
        if (SSL_is_init_finished(c->ssl)) (void)SSL_shutdown(c->ssl);
        ERR_clear_error();
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    SSL_CTX_free(c->ssl_ctx);
    c->ssl_ctx = NULL;
}
