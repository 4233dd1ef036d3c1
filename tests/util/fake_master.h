/* fake_master.h - a scripted master for the replication tests.
 * Chapter 10.
 *
 * A real redis-server is the oracle for everything it does, but it will
 * not, on demand, send newlines before +FULLRESYNC, split its EOF mark
 * across two reads, cut a snapshot short, send a snapshot whose checksum
 * is wrong, put garbage in the stream, or fall silent for longer than the
 * replica's timeout.  A fake master does exactly what the test says: the
 * test body is the master's side of the conversation, written as a
 * script, while the link under test runs on its own thread.
 *
 *     fake_master *fm = fake_master_listen();
 *     ... start a link to 127.0.0.1:fake_master_port(fm) ...
 *     fake_master_accept(fm, 5000);
 *     fake_master_expect(fm, "PING");      fake_master_send_str(fm, "+PONG\r\n");
 *     fake_master_expect(fm, "REPLCONF");  ...
 *
 * Every function asserts (ck_assert) on failure with a message naming the
 * step, so a script that goes wrong fails the test where it went wrong,
 * and every wait has a timeout, so no test hangs.
 *
 * Thread-safety: one test thread drives one fake master.
 */
#ifndef TEST_FAKE_MASTER_H
#define TEST_FAKE_MASTER_H

#include <stddef.h>
#include <stdint.h>

#include "resp.h"

/** A listening fake master and its current connection. */
typedef struct fake_master fake_master;

/**
 * Listen on a free loopback port.
 * \return the fake master (asserts on failure).  Free with
 *         fake_master_close().
 */
fake_master *fake_master_listen(void);

/** \param fm the fake master. \return its port. */
int fake_master_port(const fake_master *fm);

/**
 * Accept the next connection from the replica (closing the current one, if
 * any).
 * \param fm         the fake master.
 * \param timeout_ms the most time to wait (asserts when it passes).
 */
void fake_master_accept(fake_master *fm, int timeout_ms);

/**
 * Read the replica's next command and check its name (case-insensitive)
 * and, optionally, its first argument.
 * \param fm   the fake master.
 * \param name the command expected, e.g. "PSYNC"; may be "REPLCONF ACK"
 *             to also require the first argument.
 * \return the command (owned by fm, valid until the next expect), so the
 *         test can check its other arguments.
 */
const resp_value *fake_master_expect(fake_master *fm, const char *name);

/**
 * Read the replica's next command, whatever it is.
 * \param fm         the fake master.
 * \param timeout_ms the most time to wait.
 * \return the command (valid until the next call), or NULL on timeout or
 *         when the replica closed the connection.
 */
const resp_value *fake_master_next(fake_master *fm, int timeout_ms);

/**
 * Answer the whole handshake the way a 7.0 master does: +PONG, +OK to
 * every REPLCONF (and AUTH if it comes), and stop after reading PSYNC.
 * \param fm the fake master.
 * \return the PSYNC command (its replid and offset arguments).
 */
const resp_value *fake_master_handshake(fake_master *fm);

/**
 * Send bytes in one write.
 * \param fm the fake master.
 * \param p  the bytes.
 * \param n  how many.
 */
void fake_master_send(fake_master *fm, const void *p, size_t n);

/** Send a C string.  \param fm the fake master. \param s the text. */
void fake_master_send_str(fake_master *fm, const char *s);

/**
 * Send bytes in two writes with a pause between, so that the replica's
 * read returns the first part alone.
 * \param fm       the fake master.
 * \param p        the bytes.
 * \param n        how many.
 * \param at       where to split (0..n).
 * \param pause_ms the pause (20 is plenty on loopback).
 */
void fake_master_send_split(fake_master *fm, const void *p, size_t n,
                            size_t at, int pause_ms);

/**
 * Send bytes one write per byte (with TCP_NODELAY), pausing between.
 * \param fm       the fake master.
 * \param p        the bytes.
 * \param n        how many.
 * \param pause_us pause between bytes, in microseconds.
 */
void fake_master_send_bytewise(fake_master *fm, const void *p, size_t n,
                               int pause_us);

/**
 * Build a command as a master propagates it (an array of bulk strings).
 * \param out  receives the bytes (resp_buf_free() them).
 * \param arg0 the first argument, then the others, then NULL.
 */
void fake_master_command(resp_buf *out, const char *arg0, ...);

/**
 * Wait for a `REPLCONF ACK <offset>` from the replica, skipping other
 * commands.
 * \param fm         the fake master.
 * \param timeout_ms the most time to wait (asserts when it passes).
 * \return the offset acknowledged.
 */
uint64_t fake_master_wait_ack(fake_master *fm, int timeout_ms);

/**
 * Wait until the replica closes the connection (it dropped the link).
 * \param fm         the fake master.
 * \param timeout_ms the most time to wait.
 * \return 0 when it closed, -1 on timeout.
 */
int fake_master_wait_close(fake_master *fm, int timeout_ms);

/** Close the current connection (the master "dies").  \param fm the fake
 *  master. */
void fake_master_hangup(fake_master *fm);

/** Stop listening and free everything.  \param fm the fake master (may be
 *  NULL). */
void fake_master_close(fake_master *fm);

/**
 * A valid RDB image, for the fake master to send as a snapshot.
 * \param out  receives the bytes (free() them).
 * \param len  receives their count.
 * \param keys how many string keys "key:<i>" = "value:<i>" in database 0.
 * \param stream_db the repl-stream-db AUX field to write (-1: none).
 */
void fake_master_rdb(unsigned char **out, size_t *len, unsigned keys,
                     int stream_db);

#endif
