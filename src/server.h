/* server.h - the read-only RESP server in front of a replica's dataset.
 * Chapter 11.
 *
 * Chapter 10 keeps a dataset equal to the master's; this module lets
 * clients read it.  It listens on a TCP port (and optionally a TLS port),
 * speaks RESP2 and, after `HELLO 3`, RESP3, answers the read commands of
 * server_cmd.h, refuses every write with Redis's own -READONLY error, and
 * delivers the master's PUBLISH messages to subscribers.
 *
 * Threads.  The server runs `threads` event loops, each on its own thread
 * with its own epoll set, its own clients and its own dataset_reader.  A
 * connection belongs to one loop for its whole life, so nothing about a
 * client is shared between serving threads.  The replication thread is the
 * only writer of the dataset and never waits for a reader: a loop reads
 * inside a dataset read section (chapter 5's epochs underneath), and the
 * link only tells loops that something changed (server_notify_change()),
 * through an eventfd write that never blocks.
 *
 * Thread-safety: server_create(), server_start(), server_stop() and
 * server_destroy() from one controlling thread; server_notify_change(),
 * server_publish() and server_request_stop() from any thread (the last
 * also from a signal handler).
 */
#ifndef SERVER_H
#define SERVER_H

#include "dataset.h"
#include "repl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The server. */
typedef struct server server;

/** How much a server logs, and where (as Redis's loglevel). */
typedef enum server_log_level {
    SERVER_LOG_DEBUG,
    SERVER_LOG_VERBOSE,
    SERVER_LOG_NOTICE,
    SERVER_LOG_WARNING,
} server_log_level;

/** A log sink: one line, without newline. */
typedef void server_log_fn(void *arg, server_log_level level,
                           const char *msg);

/** TLS for the server's own clients (Redis's tls-* settings). */
typedef struct server_tls_options {
    int port;              /**< TLS port, 0: none */
    const char *cert_file; /**< certificate chain (PEM), required */
    const char *key_file;  /**< its private key (PEM), required */
    const char *ca_file;   /**< CAs to verify client certificates */
    const char *ca_dir;    /**< or a directory of them */
    int auth_clients;      /**< 1: require a client certificate (Redis's
                                default), 0: do not ask, 2: optional */
} server_tls_options;

/** Everything a server is told at start.  Strings are copied. */
typedef struct server_options {
    const char *bind;        /**< address to listen on (default
                                  "127.0.0.1"); "*" or "0.0.0.0": all */
    int port;                /**< TCP port (default 6380); 0 with
                                  tls.port set: TLS only; -1: any free
                                  port (server_port() tells, for tests) */
    server_tls_options tls;  /**< TLS listener (off by default) */
    unsigned threads;        /**< event loops (default 1) */
    const char *requirepass; /**< clients' password (NULL: none) */
    bool protected_mode;     /**< refuse non-loopback clients with -DENIED
                                  when no password is set (default true) */
    unsigned maxclients;     /**< default 10000 */
    int timeout_s;           /**< close clients idle this long (0: never,
                                  the default) */
    int tcp_keepalive_s;     /**< default 300 */
    uint64_t proto_max_bulk_len;    /**< longest bulk argument (512 MiB) */
    uint64_t query_buffer_limit;    /**< most unparsed input per client
                                         (1 GiB, client-query-buffer-limit) */
    uint64_t max_args;              /**< most arguments per command
                                         (1048576) */
    uint64_t output_limit_normal;   /**< hard limit on a normal client's
                                         unsent replies (default 0: none,
                                         as Redis) */
    uint64_t output_limit_pubsub;   /**< hard limit for a subscriber
                                         (default 32 MiB, as Redis) */
    const char *config_file; /**< shown by INFO server (NULL: none) */
    const char *store;       /**< store variant name, for INFO */
    server_log_fn *log;      /**< NULL: stderr at >= log_level */
    void *log_arg;           /**< its arg */
    server_log_level log_level; /**< default SERVER_LOG_NOTICE */
    bool enable_debug_command; /**< DEBUG allowed (default false, as
                                  Redis's enable-debug-command no) */
} server_options;

/**
 * Default options, as documented above.
 * \return the options.
 */
server_options server_options_default(void);

/**
 * Create a server: bind and listen (so a port in use is an error here),
 * nothing served yet.
 * \param opt   the options (copied).
 * \param ds    the dataset it reads (must outlive the server).
 * \param link  the replication link, for INFO replication and ROLE (may
 *              be NULL: the server then reports a link that is down).
 * \param err   receives a one-line reason on failure ("bind 127.0.0.1:6380:
 *              Address already in use").
 * \param errsz size of err.
 * \return the server, or NULL.
 */
server *server_create(const server_options *opt, dataset *ds, repl *link,
                      char *err, size_t errsz);

/**
 * Start the event loop threads.
 * \param s the server.
 * \return 0, or -1 with errno set.
 */
int server_start(server *s);

/**
 * Ask the server to stop, from any thread or a signal handler (one write
 * to an eventfd).  server_wait() returns afterwards.
 * \param s the server.
 */
void server_request_stop(server *s);

/**
 * Wait until a stop was requested, then close every client (replies
 * already produced are flushed first, within a second) and join the loops.
 * \param s the server.
 */
void server_wait(server *s);

/**
 * server_request_stop() and server_wait() together.
 * \param s the server.
 */
void server_stop(server *s);

/**
 * Free a stopped (or never started) server.  Safe on NULL.
 * \param s the server.
 */
void server_destroy(server *s);

/**
 * The TCP port listened on (the chosen one when opt.port was -1).
 * \param s the server.
 * \return the port, or 0 when there is no TCP listener.
 */
int server_port(const server *s);

/**
 * The TLS port listened on.
 * \param s the server.
 * \return the port, or 0.
 */
int server_tls_port(const server *s);

/**
 * Tell the loops that the dataset changed (a repl_change_fn: pass the
 * server as repl_options.change_arg).  Clients blocked in XREAD re-run.
 * Never blocks.  Any thread.
 * \param arg the server.
 */
void server_notify_change(void *arg);

/**
 * Deliver a message to the channel's subscribers and the matching pattern
 * subscribers, as Redis does for a PUBLISH it receives from its master (a
 * cmd_publish_fn: pass the server as repl_options.publish_arg).  Copies the
 * bytes; never blocks on a client (a subscriber over its output limit is
 * disconnected).  Any thread.
 * \param chan channel bytes.
 * \param clen its length.
 * \param msg  message bytes.
 * \param mlen its length.
 * \param arg  the server.
 */
void server_publish(const void *chan, size_t clen, const void *msg,
                    size_t mlen, void *arg);

/**
 * server_publish() that says how many subscribers it reached: a client's
 * own PUBLISH on the replica, which Redis allows (the message goes to the
 * replica's subscribers only, not to the master or other replicas).
 * \param s    the server.
 * \param chan channel bytes.
 * \param clen its length.
 * \param msg  message bytes.
 * \param mlen its length.
 * \return the number of deliveries (channel and pattern subscribers).
 */
size_t server_publish_local(server *s, const void *chan, size_t clen,
                            const void *msg, size_t mlen);

#endif
