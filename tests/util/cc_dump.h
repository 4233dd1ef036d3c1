/**
 * \file cc_dump.h
 * \brief Read every key of a server through RESP into check_key records (chapter 12).
 *
 * The consistency checker compares a master and its replica the way a
 * client would see them: through read commands, never through either
 * side's internals, so the same code reads a real redis-server and
 * build/replica.  For every database it SELECTs, SCANs the keys, and for
 * each key asks TYPE, PTTL and a type-specific read; the reply becomes one
 * canonical byte string per value (cc_dump.c describes the encoding), equal
 * on both sides exactly when the values are equal.  Orders that a server
 * is free to choose (HGETALL, SMEMBERS) are sorted; orders that are part
 * of the value (a list, a sorted set, a stream) are kept.  A stream's value
 * also holds the state a consumer would notice: its last generated ID,
 * max deleted ID, entries added, and every group with its last delivered
 * ID, pending entries (ID, owner, delivery count) and consumers; what
 * legitimately differs between a Redis master and a Redis replica is left
 * out: times (a consumer's seen-time, a pending entry's delivery time) and
 * a group's entries-read (not carried by the XCLAIM that Redis propagates
 * for XREADGROUP, so nil on a replica).
 *
 * A key that disappears between SCAN and its reads (it expired) is left
 * out, as if SCAN had not seen it.  Thread-safety: none needed; every call
 * uses its own connection.
 */
#ifndef CC_DUMP_H
#define CC_DUMP_H

#include "check_diff.h"
#include "resp_client.h"

#include <stddef.h>

/** Every key of a server: records sorted by check_key_order(). */
typedef struct cc_dump {
    check_key *keys;   /**< the records; key and value bytes owned here */
    size_t n;          /**< how many */
} cc_dump;

/**
 * Read databases 0..databases-1 of the server on 127.0.0.1:port.
 * \param port      the server's port.
 * \param databases how many databases to read (16 for a default Redis).
 * \param out       receives the keys (free with cc_dump_free(); empty on error).
 * \param err       receives the reason on failure (command, key, reply).
 * \param errsz     size of err.
 * \return 0, or -1 (connection failure, an unexpected reply, out of memory).
 */
int cc_dump_read(int port, int databases, cc_dump *out, char *err, size_t errsz);

/** Free what cc_dump_read() returned (safe on an empty dump). \param d the dump. */
void cc_dump_free(cc_dump *d);

/**
 * Open a client with a receive and send timeout, so that a server that
 * stopped answering is an error, not a hang.
 * \param c          the client.
 * \param port       the port on 127.0.0.1.
 * \param timeout_ms the timeout.
 * \return 0, or -1 with c->err set.
 */
int cc_client_open(resp_client *c, int port, int timeout_ms);

/**
 * Read one integer field of an INFO section ("master_repl_offset",
 * "sync_full", ...).
 * \param port    the server's port.
 * \param section the INFO section ("replication", "stats").
 * \param field   the field name.
 * \param out     receives the value.
 * \param err     receives the reason on failure.
 * \param errsz   size of err.
 * \return 0, or -1 (no connection, no such field, not a number).
 */
int cc_info_ll(int port, const char *section, const char *field, long long *out,
               char *err, size_t errsz);

/**
 * Read one field of an INFO section as text ("master_link_status").
 * \param port    the server's port.
 * \param section the INFO section.
 * \param field   the field name.
 * \param out     receives the value, NUL-terminated (truncated to outsz-1).
 * \param outsz   size of out.
 * \param err     receives the reason on failure.
 * \param errsz   size of err.
 * \return 0, or -1.
 */
int cc_info_str(int port, const char *section, const char *field, char *out,
                size_t outsz, char *err, size_t errsz);

#endif
