/* server_tls.c - TLS for accepted connections, one non-blocking step at a time.
 * Chapter 11.
 *
 * OpenSSL already works on non-blocking sockets: SSL_do_handshake(),
 * SSL_read() and SSL_write() return at once with SSL_ERROR_WANT_READ or
 * SSL_ERROR_WANT_WRITE when the socket cannot go on.  This file turns
 * those answers into server_tls_status values an event loop can act on,
 * and every other outcome into one line of text, so the loop never needs
 * OpenSSL's headers.
 *
 * The context follows Redis's defaults (redis/redis src/tls.c): TLSv1.2
 * and TLSv1.3 only, no compression, the server's cipher preference, no
 * client-initiated renegotiation (a client could otherwise make the
 * server do handshake work at will; OpenSSL 3 refuses it unless told
 * SSL_OP_ALLOW_CLIENT_RENEGOTIATION, so nothing needs saying), and partial writes with a buffer that
 * may move between retries, because the core writes from a growing
 * output buffer.  A client that closes without close_notify is taken as
 * a plain end of file (SSL_OP_IGNORE_UNEXPECTED_EOF): redis-cli does it,
 * and RESP frames every reply itself, so a truncation cannot pass for a
 * whole one.  SSL_MODE_RELEASE_BUFFERS gives the 34 KiB of record
 * buffers back while a connection is idle, which is most connections
 * most of the time.
 *
 * Reading and writing go through a small socket BIO of our own that
 * sends with MSG_NOSIGNAL: OpenSSL's own socket BIO uses write(), which
 * raises SIGPIPE when the client has gone, and a server must not depend
 * on every program that links it ignoring that signal.  (Chapter 10's
 * link has the same kind of BIO, over its own connection structure.)
 *
 * Errors.  OpenSSL keeps a queue of errors per thread; each call here
 * clears it first and describes what it finds after, with the
 * certificate check's own reason when that was the failure ("certificate
 * verify failed (unable to get local issuer certificate)").
 */
#include "server_tls.h"

#include "alloc.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

struct server_tls {
    SSL_CTX *ctx;
};

struct server_tls_conn {
    SSL *ssl;
    int fd;             /* the socket (not owned) */
    bool shut;          /* close_notify attempted */
    char err[256];      /* the last failure */
};

/* ---- a socket BIO that never raises SIGPIPE ---------------------------- */

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static int conn_fd(BIO *b)
{
    return ((server_tls_conn *)BIO_get_data(b))->fd;
}

static int bio_write(BIO *b, const char *buf, int len)
{
    BIO_clear_retry_flags(b);
    ssize_t n = send(conn_fd(b), buf, (size_t)len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)n;
}

static int bio_read(BIO *b, char *buf, int len)
{
    BIO_clear_retry_flags(b);
    ssize_t n = recv(conn_fd(b), buf, (size_t)len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b, (void)num, (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0; /* send() keeps nothing back */
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static void bio_method_make(void)
{
    /* Made once, kept for the life of the process (like OpenSSL's own
     * method tables: still reachable at exit, not a leak). */
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                 "server socket");
    if (m && BIO_meth_set_write(m, bio_write) &&
        BIO_meth_set_read(m, bio_read) && BIO_meth_set_ctrl(m, bio_ctrl) &&
        BIO_meth_set_create(m, bio_create)) {
        bio_method = m;
        return;
    }
    BIO_meth_free(m);
}

/* ---- the context --------------------------------------------------------- */

/* OpenSSL's reason for the oldest error in the queue: the first thing
 * that went wrong ("no start line"), where the newest is only the layer
 * that gave up ("PEM lib"). */
static const char *queue_reason(void)
{
    unsigned long code = ERR_peek_error();
    const char *r = code ? ERR_reason_error_string(code) : NULL;
    return r ? r : "unknown OpenSSL error";
}

/* Can the file be read?  OpenSSL would say only "system lib". */
static int check_readable(const char *what, const char *path, char *err,
                          size_t errsz)
{
    if (access(path, R_OK) == 0)
        return 0;
    snprintf(err, errsz, "TLS: cannot load %s %s: %s", what, path,
             strerror(errno));
    return -1;
}

server_tls *server_tls_create(const server_tls_options *opt, char *err,
                              size_t errsz)
{
    ERR_clear_error();
    if (opt->cert_file == NULL || *opt->cert_file == '\0' ||
        opt->key_file == NULL || *opt->key_file == '\0') {
        snprintf(err, errsz, "TLS: tls-cert-file and tls-key-file are "
                 "required");
        return NULL;
    }
    bool has_ca = (opt->ca_file && *opt->ca_file) ||
                  (opt->ca_dir && *opt->ca_dir);
    if (opt->auth_clients < 0 || opt->auth_clients > 2) {
        snprintf(err, errsz, "TLS: tls-auth-clients must be 0 (no), 1 (yes) "
                 "or 2 (optional), not %d", opt->auth_clients);
        return NULL;
    }
    if (opt->auth_clients != 0 && !has_ca) {
        snprintf(err, errsz, "TLS: tls-auth-clients needs tls-ca-cert-file "
                 "or tls-ca-cert-dir");
        return NULL;
    }
    server_tls *t = xcalloc(1, sizeof *t);
    if (t == NULL) {
        snprintf(err, errsz, "TLS: out of memory");
        return NULL;
    }
    SSL_CTX *ctx = t->ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        snprintf(err, errsz, "TLS: cannot make a context: %s",
                 queue_reason());
        goto fail;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
                        SSL_OP_CIPHER_SERVER_PREFERENCE |
                        SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                     SSL_MODE_RELEASE_BUFFERS);
    /* Sessions resumed with a ticket must carry the same context id, or
     * OpenSSL refuses them once client certificates are verified. */
    static const unsigned char sid_ctx[] = "replica";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);

    if (check_readable("certificate", opt->cert_file, err, errsz) != 0)
        goto fail;
    if (SSL_CTX_use_certificate_chain_file(ctx, opt->cert_file) != 1) {
        snprintf(err, errsz, "TLS: cannot load certificate %s: %s",
                 opt->cert_file, queue_reason());
        goto fail;
    }
    if (check_readable("private key", opt->key_file, err, errsz) != 0)
        goto fail;
    if (SSL_CTX_use_PrivateKey_file(ctx, opt->key_file,
                                    SSL_FILETYPE_PEM) != 1) {
        /* OpenSSL compares the key with the certificate as it loads it */
        if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH)
            snprintf(err, errsz, "TLS: key %s does not match certificate %s",
                     opt->key_file, opt->cert_file);
        else
            snprintf(err, errsz, "TLS: cannot load private key %s: %s",
                     opt->key_file, queue_reason());
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, errsz, "TLS: key %s does not match certificate %s",
                 opt->key_file, opt->cert_file);
        goto fail;
    }
    if (has_ca) {
        const char *f = opt->ca_file && *opt->ca_file ? opt->ca_file : NULL;
        const char *d = opt->ca_dir && *opt->ca_dir ? opt->ca_dir : NULL;
        if (f && check_readable("CA file", f, err, errsz) != 0)
            goto fail;
        if (SSL_CTX_load_verify_locations(ctx, f, d) != 1) {
            snprintf(err, errsz, "TLS: cannot load CA %s %s: %s",
                     f ? "file" : "directory", f ? f : d, queue_reason());
            goto fail;
        }
    }
    int mode = SSL_VERIFY_NONE;
    if (opt->auth_clients == 1)
        mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    else if (opt->auth_clients == 2)
        mode = SSL_VERIFY_PEER;
    SSL_CTX_set_verify(ctx, mode, NULL);
    ERR_clear_error();
    return t;
fail:
    ERR_clear_error();
    server_tls_free(t);
    return NULL;
}

void server_tls_free(server_tls *t)
{
    if (t == NULL)
        return;
    SSL_CTX_free(t->ctx); /* a reference count: live sessions keep it */
    free(t);
}

/* ---- one connection ------------------------------------------------------ */

server_tls_conn *server_tls_conn_new(server_tls *t, int fd)
{
    pthread_once(&bio_once, bio_method_make);
    if (bio_method == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    server_tls_conn *c = xcalloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->fd = fd;
    ERR_clear_error();
    c->ssl = SSL_new(t->ctx);
    BIO *bio = c->ssl ? BIO_new(bio_method) : NULL;
    if (bio == NULL) {
        SSL_free(c->ssl);
        free(c);
        ERR_clear_error();
        errno = ENOMEM;
        return NULL;
    }
    BIO_set_data(bio, c);
    SSL_set_bio(c->ssl, bio, bio); /* the session owns the BIO */
    SSL_set_accept_state(c->ssl);
    return c;
}

/* Turn what the OpenSSL call that returned ret left into a status, with
 * c->err set for CLOSED and ERROR (saying so when the client left in the
 * middle of the handshake). */
static server_tls_status outcome(server_tls_conn *c, int ret, int saved_errno,
                                 bool handshake)
{
    int e = SSL_get_error(c->ssl, ret);
    unsigned long code = ERR_peek_last_error();
    server_tls_status st = SERVER_TLS_ERROR;
    switch (e) {
    case SSL_ERROR_WANT_READ:
        return SERVER_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return SERVER_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        snprintf(c->err, sizeof c->err, "connection closed by the client%s",
                 handshake ? " during the TLS handshake" : "");
        st = SERVER_TLS_CLOSED;
        break;
    case SSL_ERROR_SSL: {
        const char *reason = code ? ERR_reason_error_string(code) : NULL;
        long vr = SSL_get_verify_result(c->ssl);
        if (code && ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED &&
            vr != X509_V_OK)
            snprintf(c->err, sizeof c->err, "%s (%s)",
                     reason ? reason : "certificate verify failed",
                     X509_verify_cert_error_string(vr));
        else if (reason)
            snprintf(c->err, sizeof c->err, "%s", reason);
        else
            snprintf(c->err, sizeof c->err, "TLS protocol error");
        break;
    }
    case SSL_ERROR_SYSCALL:
        if (saved_errno == 0) {
            snprintf(c->err, sizeof c->err, "connection closed by the "
                     "client%s", handshake ? " during the TLS handshake" : "");
            st = SERVER_TLS_CLOSED;
        } else {
            snprintf(c->err, sizeof c->err, "%s", strerror(saved_errno));
        }
        break;
    default:
        snprintf(c->err, sizeof c->err, "TLS error %d", e);
        break;
    }
    ERR_clear_error();
    return st;
}

server_tls_status server_tls_handshake(server_tls_conn *c)
{
    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(c->ssl);
    if (r == 1)
        return SERVER_TLS_OK;
    return outcome(c, r, errno, true);
}

server_tls_status server_tls_read(server_tls_conn *c, void *buf, size_t cap,
                                  size_t *n)
{
    *n = 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_read(c->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
    if (r > 0) {
        *n = (size_t)r;
        return SERVER_TLS_OK;
    }
    return outcome(c, r, errno, false);
}

server_tls_status server_tls_write(server_tls_conn *c, const void *p,
                                   size_t len, size_t *n)
{
    *n = 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_write(c->ssl, p, len > INT_MAX ? INT_MAX : (int)len);
    if (r > 0) {
        *n = (size_t)r;
        return SERVER_TLS_OK;
    }
    server_tls_status st = outcome(c, r, errno, false);
    /* A write cannot meet a clean end: a peer that is gone is an error. */
    return st == SERVER_TLS_CLOSED ? SERVER_TLS_ERROR : st;
}

size_t server_tls_pending(const server_tls_conn *c)
{
    int n = SSL_pending(c->ssl);
    return n > 0 ? (size_t)n : 0;
}

void server_tls_shutdown(server_tls_conn *c)
{
    if (c->shut || !SSL_is_init_finished(c->ssl))
        return;
    c->shut = true;
    ERR_clear_error();
    (void)SSL_shutdown(c->ssl); /* one try: the caller is closing anyway */
    ERR_clear_error();
}

void server_tls_conn_free(server_tls_conn *c)
{
    if (c == NULL)
        return;
    SSL_free(c->ssl);
    free(c);
}

const char *server_tls_conn_error(const server_tls_conn *c)
{
    return c->err;
}

const char *server_tls_version(const server_tls_conn *c)
{
    return SSL_is_init_finished(c->ssl) ? SSL_get_version(c->ssl) : "";
}

size_t server_tls_peer_subject(const server_tls_conn *c, char *buf, size_t n)
{
    buf[0] = '\0';
    X509 *peer = SSL_get0_peer_certificate(c->ssl);
    if (peer == NULL)
        return 0;
    BIO *mem = BIO_new(BIO_s_mem());
    if (mem == NULL)
        return 0;
    size_t len = 0;
    if (X509_NAME_print_ex(mem, X509_get_subject_name(peer), 0,
                           XN_FLAG_RFC2253) >= 0) {
        char *data;
        long avail = BIO_get_mem_data(mem, &data);
        len = avail > 0 ? (size_t)avail : 0;
        if (len > n - 1)
            len = n - 1;
        memcpy(buf, data, len);
        buf[len] = '\0';
    }
    BIO_free(mem);
    ERR_clear_error();
    return len;
}
