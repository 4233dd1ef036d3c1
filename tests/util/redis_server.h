/* redis_server.h - start a throwaway redis-server for a test, and talk to it.
 *
 * Tests that compare against the real thing (chapter 7 loads the dump a
 * real server saved; chapter 8 replicates from one) need a server that is
 * private to the test: its own loopback port, its own temporary directory,
 * no persistence unless asked, and a guarantee that it dies with the test.
 * redis_server_start() forks and execs `redis-server` with
 * --port P --bind 127.0.0.1 --dir TMP --save '' --appendonly no (plus any
 * extra arguments), waits until PING answers, and registers the server so
 * that it is stopped and its directory removed even when an assertion
 * fails (an atexit handler) or the test process crashes (the server gets
 * SIGTERM when its parent dies, via PR_SET_PDEATHSIG; only the temporary
 * directory is then left behind).
 *
 * The client side is the least RESP needed to drive a server from C:
 * send one command as an array of bulk strings, read one reply.
 */
#ifndef TEST_REDIS_SERVER_H
#define TEST_REDIS_SERVER_H

#include <stddef.h>
#include <sys/types.h>

/** A running test server. */
typedef struct redis_server {
    pid_t pid;      /**< the redis-server process, 0 if not running */
    int port;       /**< its loopback TCP port */
    char dir[256];  /**< its temporary working directory (dump.rdb, log) */
} redis_server;

/**
 * Start a private redis-server and wait until it answers PING.
 *
 * \param rs    receives the server.
 * \param extra extra command-line arguments (NULL-terminated list, or
 *              NULL), e.g. {"--enable-debug-command", "yes", NULL}.
 * \param err   receives a reason on failure (includes the log's tail).
 * \param errsz size of err.
 * \return 0, or -1 (nothing left running).
 */
int redis_server_start(redis_server *rs, const char *const *extra, char *err,
                       size_t errsz);

/**
 * Stop a server (SHUTDOWN NOSAVE, then SIGKILL if needed), reap it and
 * remove its directory.  Safe to call twice.
 * \param rs the server.
 */
void redis_server_stop(redis_server *rs);

/**
 * A loopback TCP port that was free a moment ago (bound to port 0, read
 * back, closed), for a server this process is about to start.
 * \return the port, or -1 if no socket could be bound.  Thread-safe.
 */
int redis_free_port(void);

/**
 * Connect to a server.
 * \param rs the server.
 * \return a connected TCP socket, or -1.
 */
int redis_server_connect(const redis_server *rs);

/**
 * Connect to a loopback port (the one connect of every test client).
 * \param port  the TCP port on 127.0.0.1.
 * \param err   receives "socket: ..." or "connect 127.0.0.1:PORT: ..."
 *              on failure; may be NULL.
 * \param errsz its size.
 * \return a connected TCP socket (close-on-exec), or -1.
 */
int redis_connect_port(int port, char *err, size_t errsz);

/** redis_server_spawn(): the server runs but did not answer in time. */
#define REDIS_SPAWN_SILENT (-2)

/**
 * Start redis-server on rs->port in rs->dir (the arguments every test
 * server gets, then `extra`) and wait until PING answers: the one
 * spawn of redis_server_start() and redis_server_restart().
 * \param rs      port and dir set; rs->pid receives the process.
 * \param extra   more arguments, NULL-terminated, or NULL.
 * \param wait_ms how long to wait for PING.
 * \param when    for messages: "at start", "at restart".
 * \param hint    for messages: the likely cause when the server exits.
 * \param err     receives what went wrong, with the log's tail.
 * \param errsz   its size.
 * \return 0; -1 when fork() failed or the server exited (rs->pid is 0);
 *         REDIS_SPAWN_SILENT when it runs but never answered (the caller
 *         stops it).
 */
int redis_server_spawn(redis_server *rs, const char *const *extra,
                       int wait_ms, const char *when, const char *hint,
                       char *err, size_t errsz);

/**
 * Append "; log tail: " and the last 500 bytes of the server's log to err.
 * \param rs the server. \param err a NUL-terminated message. \param errsz
 * its buffer's size.
 */
void redis_server_log_tail(const redis_server *rs, char *err, size_t errsz);

/**
 * Send one command and read its reply.
 *
 * \param fd      connected socket.
 * \param reply   receives a rendering of the reply: simple strings, errors
 *                and bulk strings as their text, integers in decimal,
 *                arrays as the number of elements; NUL-terminated
 *                (truncated to replysz - 1).
 * \param replysz size of reply.
 * \param argc    number of arguments.
 * \param argv    the arguments.
 * \param lens    their lengths (NULL: strlen of each).
 * \return the reply's type byte ('+', '-', ':', '$', '*'), or -1 on a
 *         connection or protocol error.
 */
int redis_command(int fd, char *reply, size_t replysz, int argc,
                  const char *const *argv, const size_t *lens);

/**
 * redis_command() with C-string arguments, NULL-terminated.
 * \param fd      connected socket.
 * \param reply   as redis_command().
 * \param replysz size of reply.
 * \param arg0    first argument, then more, then NULL.
 * \return as redis_command().
 */
int redis_commandl(int fd, char *reply, size_t replysz, const char *arg0, ...);

#endif
