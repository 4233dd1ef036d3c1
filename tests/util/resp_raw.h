/* resp_raw.h - a test client that keeps replies as the bytes that came.
 * Chapter 11.
 *
 * resp_client.h parses replies into values, which loses what a read
 * command's test must see: RESP3 types, a double's text, the header bytes.
 * This client sends commands with the project's writer and returns each
 * reply's exact bytes, cut at its end by resp_scan().  A reply that does
 * not come within the timeout is an error, never a hang.
 *
 * Thread-safety: one client per thread.
 */
#ifndef TEST_RESP_RAW_H
#define TEST_RESP_RAW_H

#include <stddef.h>

/** A connection and what was read from it. */
typedef struct resp_raw {
    int fd;          /**< the socket, -1 when closed */
    char *in;        /**< bytes read */
    size_t len;      /**< how many */
    size_t cap;      /**< allocated */
    size_t consumed; /**< bytes of in already returned as replies */
    int timeout_ms;  /**< how long to wait for a reply (default 30000) */
    char err[300];   /**< the last failure */
} resp_raw;

/**
 * Connect to 127.0.0.1:port.
 * \param c    the client.
 * \param port the port.
 * \return 0, or -1 with c->err set (c is then closed).
 */
int resp_raw_open(resp_raw *c, int port);

/** Close and free.  Safe on a closed client.  \param c the client. */
void resp_raw_close(resp_raw *c);

/**
 * Send one command and read its reply.
 * \param c     the client.
 * \param argc  number of arguments.
 * \param argv  the arguments.
 * \param lens  their lengths, or NULL for strlen() of each.
 * \param reply receives the reply's bytes, valid until the next call
 *              (followed by whatever else was read, so not NUL-terminated).
 * \param rlen  receives their count.
 * \return 0, or -1 (connection closed, timeout, malformed reply) with
 *         c->err set.
 */
int resp_raw_call(resp_raw *c, size_t argc, const char *const *argv,
                  const size_t *lens, const char **reply, size_t *rlen);

/**
 * resp_raw_call() with C strings, NULL-terminated (at most 64).
 * \param c     the client.
 * \param reply as resp_raw_call().
 * \param rlen  as resp_raw_call().
 * \param arg0  the first argument, then the others, then NULL.
 * \return as resp_raw_call().
 */
int resp_raw_calll(resp_raw *c, const char **reply, size_t *rlen,
                   const char *arg0, ...);

#endif
