/* resp_client.h - a blocking RESP client over a socket, for tests.
 *
 * redis_server.h's redis_command() renders a reply as one short line, which
 * is enough to drive a server but not to read back what it holds.  A test
 * that compares a server's data with ours needs whole replies: nested
 * arrays, binary bulk strings of megabytes.  This client writes commands
 * with the project's own writer (resp_write_command) and reads replies with
 * its own incremental parser (resp_parse), so it also exercises both on
 * real traffic.  Commands can be pipelined: resp_client_send() only queues,
 * resp_client_reply() flushes the queue and reads the next reply.
 *
 * Thread-safety: one client per thread.
 */
#ifndef TEST_RESP_CLIENT_H
#define TEST_RESP_CLIENT_H

#include "resp.h"

#include <stddef.h>

/** A connection and its buffers. */
typedef struct resp_client {
    int fd;             /**< connected socket (owned) */
    resp_buf out;       /**< commands queued but not yet written */
    resp_parser parser; /**< reply parser */
    char *in;           /**< bytes read but not yet parsed */
    size_t in_len;      /**< how many */
    size_t in_pos;      /**< the next unparsed one */
    size_t in_cap;      /**< allocated size of in */
    size_t pending;     /**< replies still to read */
    char err[256];      /**< the last failure */
} resp_client;

/**
 * Connect to 127.0.0.1:port.
 * \param c    the client.
 * \param port the TCP port.
 * \return 0, or -1 with c->err set (nothing to free).
 */
int resp_client_open(resp_client *c, int port);

/** Close the socket and free the buffers.  \param c the client (may be
 *  one whose open failed). */
void resp_client_close(resp_client *c);

/**
 * Queue one command (an array of bulk strings); nothing is sent yet.
 * \param c    the client.
 * \param argc number of arguments.
 * \param argv the arguments.
 * \param lens their lengths, or NULL for strlen() of each.
 * \return 0, or -1 if out of memory.
 */
int resp_client_send(resp_client *c, size_t argc, const char *const *argv,
                     const size_t *lens);

/**
 * Send everything queued, then read the next reply.
 * \param c   the client.
 * \param out receives the reply (the caller clears it with
 *            resp_value_clear()); an error reply is a value, not a failure.
 * \return 0, or -1 on a connection or protocol failure (c->err set).
 */
int resp_client_reply(resp_client *c, resp_value *out);

/**
 * One command and its reply (resp_client_send + resp_client_reply).
 * \param c    the client.
 * \param out  receives the reply.
 * \param argc number of arguments.
 * \param argv the arguments.
 * \param lens their lengths, or NULL.
 * \return as resp_client_reply().
 */
int resp_client_call(resp_client *c, resp_value *out, size_t argc,
                     const char *const *argv, const size_t *lens);

/**
 * resp_client_call() with C-string arguments, NULL-terminated (at most 32).
 * \param c    the client.
 * \param out  receives the reply.
 * \param arg0 the first argument, then the others, then NULL.
 * \return as resp_client_reply().
 */
int resp_client_calll(resp_client *c, resp_value *out, const char *arg0, ...);

#endif
