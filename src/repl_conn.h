/* repl_conn.h - the replica's connection to its master: TCP or TLS, with
 * timeouts, and the one input buffer every stage of the link reads from.
 * Chapter 10.
 *
 * Everything a master sends arrives on one byte stream: the replies to the
 * handshake, the bare newlines it sends while it prepares a snapshot, the
 * snapshot itself, and then the command stream, for as long as the link
 * lives.  The replica of this course's origin lost bytes at the boundary
 * between the snapshot and the stream because each stage had its own
 * reader, and the first one had read ahead.  Here there is exactly one
 * buffer (repl_input): every stage consumes bytes from it and leaves the
 * rest for the next stage, so no byte can be lost or read twice.
 *
 * The connection hides whether the bytes are TLS-protected (OpenSSL, with
 * the CA, client certificate and server name checks of Redis's own
 * tls-replication) behind read and write calls that take a timeout, so
 * a silent master or a half-open socket is noticed (repl-timeout), never
 * waited on forever.  Every failure leaves a one-line reason naming the
 * host, the port and what failed.
 *
 * Thread-safety: a connection and its input are used by one thread (the
 * link's).
 */
#ifndef REPL_CONN_H
#define REPL_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/** TLS settings for the link (all paths are PEM files). */
typedef struct repl_tls_options {
    bool enabled;            /**< use TLS */
    const char *ca_file;     /**< CA certificate(s) to verify the master
                                  with (NULL: the system's default CAs) */
    const char *ca_dir;      /**< or a directory of hashed CA certificates */
    const char *cert_file;   /**< client certificate, when the master asks
                                  for one (tls-auth-clients) */
    const char *key_file;    /**< its private key */
    const char *server_name; /**< name to send (SNI) and to check the
                                  master's certificate against (NULL: the
                                  host the link connects to) */
    bool no_verify;          /**< do not check the master's certificate
                                  (tests of the failure only; never the
                                  default) */
} repl_tls_options;

/** An open connection (TCP, maybe TLS). */
typedef struct repl_conn repl_conn;

/**
 * Connect to host:port within a timeout, then (if tls->enabled) complete
 * the TLS handshake and check the master's certificate.
 * \param host       a name or an address (IPv4 or IPv6).
 * \param port       the TCP port.
 * \param tls        TLS settings, or NULL for plain TCP.
 * \param timeout_ms the most time connecting and the TLS handshake may
 *                   take together.
 * \param err        receives the reason on failure, e.g. "connect to
 *                   127.0.0.1:6379: Connection refused" or "TLS handshake
 *                   with 127.0.0.1:6380: certificate verify failed
 *                   (hostname mismatch)".
 * \param errsz      size of err.
 * \return the connection, or NULL.  Close it with repl_conn_close().
 */
repl_conn *repl_conn_open(const char *host, int port,
                          const repl_tls_options *tls, int timeout_ms,
                          char *err, size_t errsz);

/**
 * Read whatever bytes are available, waiting at most timeout_ms for the
 * first one.
 * \param c          the connection.
 * \param buf        destination.
 * \param cap        its size (> 0).
 * \param timeout_ms how long to wait; -1 waits forever.
 * \return bytes read (> 0); 0 when the master closed the connection; -1
 *         on an error or a timeout (errno ETIMEDOUT), with
 *         repl_conn_error() set.
 */
ssize_t repl_conn_read(repl_conn *c, void *buf, size_t cap, int timeout_ms);

/**
 * Write all n bytes, waiting at most timeout_ms in total.
 * \param c          the connection.
 * \param p          the bytes.
 * \param n          how many.
 * \param timeout_ms the limit; -1 waits forever.
 * \return 0, or -1 with repl_conn_error() set (partial writes are not
 *         undone: the link must be dropped).
 */
int repl_conn_write(repl_conn *c, const void *p, size_t n, int timeout_ms);

/**
 * Wake a thread blocked in repl_conn_read() or repl_conn_write() on this
 * connection and make every later call fail with "stopped" (shutdown of
 * the socket).  Callable from any thread while another uses c.
 * \param c the connection.
 */
void repl_conn_interrupt(repl_conn *c);

/**
 * The reason for the last failure.
 * \param c the connection.
 * \return a message owned by c ("" when none).
 */
const char *repl_conn_error(const repl_conn *c);

/**
 * \param c the connection.
 * \return whether it is TLS-protected.
 */
bool repl_conn_is_tls(const repl_conn *c);

/**
 * The local port of the connection (what `REPLCONF listening-port` may
 * announce when the replica serves no port of its own).
 * \param c the connection.
 * \return the port, or 0 if unknown.
 */
int repl_conn_local_port(const repl_conn *c);

/**
 * Close the connection (a TLS close_notify is attempted, not waited for).
 * \param c the connection; NULL does nothing.
 */
void repl_conn_close(repl_conn *c);

/* ---- the input buffer -------------------------------------------------------- */

/** Default size of one read from the master. */
#define REPL_INPUT_CHUNK ((size_t)64 * 1024)

/**
 * Bytes received from the master and not yet consumed, shared by every
 * stage of the link.  Stages look at data[pos..end) and consume a prefix
 * with repl_input_consume(); repl_input_fill() appends what the next read
 * brings.
 */
typedef struct repl_input {
    repl_conn *conn;     /**< where bytes come from (not owned) */
    unsigned char *data; /**< the buffer */
    size_t pos;          /**< first unconsumed byte */
    size_t end;          /**< one past the last received byte */
    size_t cap;          /**< allocated bytes */
    size_t max_read;     /**< most bytes one fill asks for (0:
                              REPL_INPUT_CHUNK); tests set 1 to split every
                              reply at every byte */
    int timeout_ms;      /**< how long a fill waits (repl-timeout) */
    uint64_t received;   /**< bytes received over this connection */
    uint64_t consumed;   /**< bytes consumed over this connection */
    int64_t last_io_ms;  /**< monotonic ms of the last byte received */
    char err[256];       /**< the last failure (repl_input_error()) */
} repl_input;

/**
 * Initialise an input over a connection.
 * \param in         the input.
 * \param conn       the connection (not owned; may be NULL for tests that
 *                   append bytes themselves with repl_input_append()).
 * \param timeout_ms how long repl_input_fill() waits.
 */
void repl_input_init(repl_input *in, repl_conn *conn, int timeout_ms);

/** Free the buffer.  \param in the input. */
void repl_input_free(repl_input *in);

/**
 * Read once from the connection and append what came (at most max_read
 * bytes).  Consumed bytes are dropped from the front first when that
 * makes room.
 * \param in the input.
 * \return bytes added (> 0); 0 when the master closed the connection; -1
 *         on an error, a timeout (errno ETIMEDOUT) or out of memory
 *         (ENOMEM), with the reason in repl_input_error().
 */
ssize_t repl_input_fill(repl_input *in);

/**
 * Append bytes as if they had been received (tests; the fake master's
 * in-process form).
 * \param in the input.
 * \param p  the bytes.
 * \param n  how many.
 * \return 0, or -1 with errno ENOMEM.
 */
int repl_input_append(repl_input *in, const void *p, size_t n);

/**
 * \param in the input.
 * \return the number of unconsumed bytes (end - pos).
 */
static inline size_t repl_input_avail(const repl_input *in)
{
    return in->end - in->pos;
}

/**
 * \param in the input.
 * \return the first unconsumed byte; never NULL (before the first fill
 *         the buffer is not allocated yet, and NULL + 0 is undefined
 *         behaviour in C, so an empty input points at a static byte).
 */
static inline const unsigned char *repl_input_peek(const repl_input *in)
{
    static const unsigned char empty[1];
    return in->data != NULL ? in->data + in->pos : empty;
}

/**
 * Mark n bytes (at most repl_input_avail()) consumed.
 * \param in the input.
 * \param n  how many.
 */
void repl_input_consume(repl_input *in, size_t n);

/**
 * The reason for the last failed fill.
 * \param in the input.
 * \return the message ("" when none): the connection's, "timeout: no data
 *         from the master for N ms", "connection closed by the master",
 *         or "out of memory".
 */
const char *repl_input_error(const repl_input *in);

#endif
