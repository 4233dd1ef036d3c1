/* repl_conn_private.h - what repl_conn.c and repl_tls.c share.
 * Chapter 10.
 *
 * The connection is one socket, maybe wrapped in an OpenSSL session.
 * repl_conn.c owns the socket (connect, poll, timeouts, interrupt) and
 * repl_tls.c owns the session (handshake, certificate checks, TLS reads
 * and writes).  They share the structure below and a few helpers, so
 * that neither file has to know the other's details beyond this header.
 * Nothing outside these two files includes it.
 */
#ifndef REPL_CONN_PRIVATE_H
#define REPL_CONN_PRIVATE_H

#include "repl_conn.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>

/** An open connection (repl_conn.h). */
struct repl_conn {
    int fd;                 /**< the socket (non-blocking) */
    void *ssl;              /**< the OpenSSL session (SSL *), or NULL */
    void *ssl_ctx;          /**< its context (SSL_CTX *), or NULL */
    atomic_bool stopped;    /**< set by repl_conn_interrupt() */
    int port;               /**< the master's port */
    char peer[300];         /**< "host:port" (or "[v6]:port") for messages */
    char err[512];          /**< the last failure */
};

/** Monotonic clock in milliseconds. */
int64_t repl_conn_now_ms(void);

/**
 * Milliseconds left until deadline_ms (a repl_conn_now_ms() time), at
 * least 0; -1 when deadline_ms is -1 (no deadline).
 */
int repl_conn_left_ms(int64_t deadline_ms);

/**
 * Wait until the socket is ready for events (POLLIN and/or POLLOUT) or
 * the deadline passes.
 * \return 1 ready (or hung up: the next call says what happened), 0 at
 *         the deadline, -1 on an error (errno) or after an interrupt
 *         (errno ECANCELED).
 */
int repl_conn_wait(repl_conn *c, short events, int64_t deadline_ms);

/** printf into c->err. */
void repl_conn_fail(repl_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * TLS handshake over c's connected socket, then the certificate checks
 * (repl_tls.c).
 * \return 0, or -1 with c->err set ("TLS handshake with H:P: ...").
 */
int repl_tls_start(repl_conn *c, const char *host,
                   const repl_tls_options *tls, int64_t deadline_ms);

/**
 * One TLS read: like recv() on a non-blocking socket, but decrypting.
 * \return bytes (> 0), 0 at a clean close, -1 with errno EAGAIN when
 *         it must wait (*want_write tells for what), -1 on an error with
 *         c->err set.
 */
ssize_t repl_tls_read(repl_conn *c, void *buf, size_t cap, bool *want_write);

/**
 * One TLS write (same conventions as repl_tls_read()).
 * \return bytes written (> 0), -1 with errno EAGAIN, or -1 on an error
 *         with c->err set.
 */
ssize_t repl_tls_write(repl_conn *c, const void *p, size_t n,
                       bool *want_read);

/** Bytes already decrypted and waiting in the TLS session. */
size_t repl_tls_pending(const repl_conn *c);

/** Send close_notify (not waiting for the answer) and free the session. */
void repl_tls_close(repl_conn *c);

#endif
