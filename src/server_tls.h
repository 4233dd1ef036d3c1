/* server_tls.h - TLS for the connections a server accepts (OpenSSL 3).
 * Chapter 11.
 *
 * Chapter 10's link is a TLS client that may wait: one connection, one
 * thread, a timeout.  A server is the other side of the handshake and must
 * never wait: one event loop serves thousands of sockets, so every TLS
 * call here makes one step on a non-blocking socket and says what it needs
 * next.  That answer is the whole point of the interface.  A TLS read may
 * need the socket to be *writable* (the protocol has something to send
 * first), and a write may need it *readable*; an epoll loop that only
 * watched EPOLLIN for reads and EPOLLOUT for writes would hang.  So each
 * call returns SERVER_TLS_WANT_READ or SERVER_TLS_WANT_WRITE, and the loop
 * waits for that event and then repeats the same call.
 *
 * Two objects.  A server_tls holds what every connection shares (the
 * OpenSSL SSL_CTX: certificate, key, the CAs client certificates are
 * checked against, TLSv1.2 and TLSv1.3 only, as Redis's default
 * tls-protocols); one is made when the server starts, from Redis's tls-*
 * settings (server_tls_options in server.h).  A server_tls_conn is one
 * accepted socket's session.  The socket stays the caller's: it is never
 * closed here, and it is written with send(MSG_NOSIGNAL), so a client that
 * vanished cannot kill the server with SIGPIPE.
 *
 * Errors are one line naming what failed and OpenSSL's reason: a
 * configuration error names the file ("cannot load certificate
 * /etc/x.pem: no such file"), a connection's error says what the client
 * did ("peer did not return a certificate", "wrong version number" for a
 * client speaking plain RESP to the TLS port).
 *
 * Thread-safety: a server_tls may be shared by every event loop thread
 * (server_tls_conn_new() from any thread; OpenSSL 3 locks what it shares);
 * a server_tls_conn belongs to one thread at a time.
 */
#ifndef SERVER_TLS_H
#define SERVER_TLS_H

#include "server.h"

#include <stddef.h>

/** What every TLS connection of a server shares (an SSL_CTX). */
typedef struct server_tls server_tls;

/** One accepted connection's TLS session. */
typedef struct server_tls_conn server_tls_conn;

/** What a step did, and what it waits for. */
typedef enum server_tls_status {
    SERVER_TLS_OK,         /**< done: the handshake finished, or bytes
                                moved */
    SERVER_TLS_WANT_READ,  /**< call again once the socket is readable */
    SERVER_TLS_WANT_WRITE, /**< call again once the socket is writable */
    SERVER_TLS_CLOSED,     /**< the client ended the session (close_notify
                                or a plain end of file): no more input */
    SERVER_TLS_ERROR,      /**< failed: server_tls_conn_error() says why;
                                drop the connection */
} server_tls_status;

/**
 * Make the shared context from the tls-* settings: load cert_file (a PEM
 * chain) and key_file and check that they match; with auth_clients 1
 * (require) or 2 (optional), load the CAs from ca_file and/or ca_dir
 * (one of them is required then, as Redis requires it) and ask every
 * client for a certificate.  opt->port is not looked at.
 * \param opt   the settings (not kept: the files are read now).
 * \param err   receives the reason on failure, e.g. "TLS: cannot load
 *              certificate /x/cert.pem: system lib" or "TLS: key
 *              /x/key.pem does not match certificate /x/cert.pem".
 * \param errsz size of err.
 * \return the context (free with server_tls_free()), or NULL.
 */
server_tls *server_tls_create(const server_tls_options *opt, char *err,
                              size_t errsz);

/**
 * Free the context.  Connections made from it stay usable (each holds a
 * reference to what it needs) and are freed on their own.
 * \param t the context; NULL does nothing.
 */
void server_tls_free(server_tls *t);

/**
 * Start the server side of a session on an accepted socket.  Nothing is
 * read or written yet: call server_tls_handshake() next (typically at
 * once; it answers WANT_READ until the client's hello arrives).
 * \param t  the context.
 * \param fd the socket, non-blocking (not owned: close it yourself after
 *           server_tls_conn_free()).
 * \return the session, or NULL (errno ENOMEM).
 */
server_tls_conn *server_tls_conn_new(server_tls *t, int fd);

/**
 * One handshake step: read what the client sent, answer what can be
 * answered.  Repeat on the event asked for until SERVER_TLS_OK.  A client
 * without the required certificate, with one no CA here signed, or that
 * is not speaking TLS at all, ends in SERVER_TLS_ERROR (the client is sent
 * a TLS alert first where the protocol has one, such as "certificate
 * required").
 * \param c the session.
 * \return SERVER_TLS_OK (done: read and write from now on),
 *         SERVER_TLS_WANT_READ, SERVER_TLS_WANT_WRITE, SERVER_TLS_CLOSED
 *         (the client left before finishing), or SERVER_TLS_ERROR.
 */
server_tls_status server_tls_handshake(server_tls_conn *c);

/**
 * Read decrypted bytes (after the handshake).  Read until WANT_READ: the
 * session may hold decrypted bytes that epoll cannot see, so one
 * readiness event can mean more than one buffer full.
 * \param c   the session.
 * \param buf destination.
 * \param cap its size (> 0).
 * \param n   receives the number of bytes read (> 0 with SERVER_TLS_OK,
 *            else 0).
 * \return SERVER_TLS_OK, SERVER_TLS_WANT_READ (nothing to read now),
 *         SERVER_TLS_WANT_WRITE (the session must send first: wait until
 *         writable, then read again), SERVER_TLS_CLOSED, SERVER_TLS_ERROR.
 */
server_tls_status server_tls_read(server_tls_conn *c, void *buf, size_t cap,
                                  size_t *n);

/**
 * Encrypt and send bytes (after the handshake).  May send fewer than
 * asked (one TLS record at least, at most 16 KiB of plaintext per
 * record).  After WANT_READ or WANT_WRITE, call again with the same
 * bytes first (the buffer may have moved or grown at its end in between,
 * but its first len bytes must be the same).
 * \param c   the session.
 * \param p   the bytes.
 * \param len how many (> 0).
 * \param n   receives the number of bytes sent (> 0 with SERVER_TLS_OK,
 *            else 0).
 * \return SERVER_TLS_OK, SERVER_TLS_WANT_WRITE (socket buffer full),
 *         SERVER_TLS_WANT_READ (rare: wait until readable, then write
 *         again), SERVER_TLS_ERROR (the client reset the connection, or
 *         sent an alert).
 */
server_tls_status server_tls_write(server_tls_conn *c, const void *p,
                                   size_t len, size_t *n);

/**
 * Decrypted bytes waiting inside the session (SSL_pending()): reading
 * them needs no readiness event.  Zero does not prove there is nothing
 * more to read (a record may be half in the session's own buffer), which
 * is why server_tls_read() is called until WANT_READ.
 * \param c the session.
 * \return the number of bytes.
 */
size_t server_tls_pending(const server_tls_conn *c);

/**
 * Send close_notify if the socket takes it now; the client's answer is
 * not waited for (the caller is closing the connection).  Only after a
 * finished handshake and only once; later calls do nothing.
 * \param c the session.
 */
void server_tls_shutdown(server_tls_conn *c);

/**
 * Free the session (not the socket).
 * \param c the session; NULL does nothing.
 */
void server_tls_conn_free(server_tls_conn *c);

/**
 * Why the last call returned SERVER_TLS_ERROR (or SERVER_TLS_CLOSED).
 * \param c the session.
 * \return a one-line message owned by c ("" when none), e.g. "peer did
 *         not return a certificate" or "certificate verify failed
 *         (unable to get local issuer certificate)".
 */
const char *server_tls_conn_error(const server_tls_conn *c);

/**
 * The negotiated protocol, after the handshake.
 * \param c the session.
 * \return "TLSv1.3", "TLSv1.2" (static strings), or "" before the
 *         handshake finished.
 */
const char *server_tls_version(const server_tls_conn *c);

/**
 * The subject of the client's certificate, one line
 * ("CN=replica,O=..."), for CLIENT INFO and logs.  The certificate was
 * verified when auth_clients asked for one; with auth_clients 0 there is
 * none.
 * \param c   the session (handshake finished).
 * \param buf receives the text, NUL-terminated (truncated to n - 1).
 * \param n   size of buf (> 0).
 * \return the length written, or 0 when the client sent no certificate.
 */
size_t server_tls_peer_subject(const server_tls_conn *c, char *buf,
                               size_t n);

#endif
