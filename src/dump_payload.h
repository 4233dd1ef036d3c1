/* dump_payload.h - decoding a DUMP payload, as RESTORE does.
 * Chapter 9; extended in chapter 11.
 *
 * DUMP serialises one value as a DUMP payload: the value exactly as an RDB
 * file would hold it (its type byte and its encoding), then the RDB
 * version of the server that wrote it (2 bytes, little-endian), then the
 * CRC-64 of all of that (8 bytes, little-endian; src/crc64.h).  RESTORE,
 * and MIGRATE through it, turn a payload back into a value.  The decoder
 * is chapter 7's: the payload's object is read by rdb_read_object() from
 * an in-memory reader.  dump_payload.c holds the decoder and cmd_restore.c's RESTORE handler uses it; tools
 * and tests may call it directly to learn what exactly is wrong with a
 * payload, which Redis's reply does not say.
 */
#ifndef DUMP_PAYLOAD_H
#define DUMP_PAYLOAD_H

#include <stddef.h>

#include "value.h"

/** The newest RDB version RESTORE accepts: Redis 7.0's RDB_VERSION. */
#define DUMP_PAYLOAD_RDB_VERSION 10

/** The outcome of dump_payload_decode(). */
typedef enum dump_payload_status {
    DUMP_PAYLOAD_OK = 0,     /**< decoded */
    DUMP_PAYLOAD_FOOTER = 1, /**< too short for the footer, a newer RDB
                                 version, or a wrong CRC: Redis replies
                                 "ERR DUMP payload version or checksum are
                                 wrong" */
    DUMP_PAYLOAD_DATA = 2,   /**< the object does not decode (unknown type,
                                 truncated, corrupt, empty collection,
                                 module value): Redis replies "ERR Bad data
                                 format" */
    DUMP_PAYLOAD_NOMEM = -1, /**< out of memory (errno ENOMEM) */
} dump_payload_status;

/**
 * Decode a DUMP payload into a value.
 * \param p     the payload bytes.
 * \param len   how many.
 * \param out   receives the value (one reference, the caller's; no
 *              expiry) on DUMP_PAYLOAD_OK.
 * \param why   receives, on failure, what is wrong and where, e.g. "RDB
 *              version 11 of the payload is newer than 10 (Redis 7.0)" or
 *              "object: offset 7: unexpected end of input ..." (may be
 *              NULL).
 * \param whysz its size.
 * \return a dump_payload_status.
 * Thread-safety: any thread (the value is the caller's).
 */
dump_payload_status dump_payload_decode(const void *p, size_t len, value **out,
                                      char *why, size_t whysz);

/**
 * Encode a value as a DUMP payload (dump_payload_write.c, chapter 11):
 * plain RDB forms, byte-equal to Redis's DUMP for strings of at most 20
 * bytes, integers and incompressible strings, RESTORE-equal otherwise.
 * \param v   a string, list, set, hash or sorted set.
 * \param out receives the payload (xmalloc()ed, the caller frees it).
 * \param len receives its length.
 * \return DUMP_PAYLOAD_OK; DUMP_PAYLOAD_DATA for a stream or module
 *         value (not encoded); DUMP_PAYLOAD_NOMEM (errno ENOMEM).
 * Thread-safety: any reader of v.
 */
dump_payload_status dump_payload_encode(const value *v, unsigned char **out,
                                        size_t *len);

#endif
