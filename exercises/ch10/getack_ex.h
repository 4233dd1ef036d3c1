/* getack_ex.h - exercise 10.2: count the stream in bytes and answer GETACK.
 *
 * A master asks its replicas where they are with `REPLCONF GETACK *` (it
 * does so when a client calls WAIT), and a replica answers `REPLCONF ACK
 * <offset>`: the number of stream bytes it has processed, counted from the
 * offset the full resync announced.  Three rules make the number right
 * (redis/redis src/networking.c commandProcessed(), src/replication.c
 * replconfCommand()):
 *
 * - every byte counts: PINGs, SELECTs and GETACKs as well as writes;
 * - the offset moves only after a whole command, and not between MULTI and
 *   EXEC (a transaction is processed at its EXEC);
 * - a GETACK is answered with the offset *before* its own bytes.
 *
 * The tests check the answer the way a master does: they follow a real
 * redis-server as a replica, feed its stream to this code, send back what
 * it writes, and ask the master (WAIT, INFO replication) whether it agrees.
 */
#ifndef EX_GETACK_H
#define EX_GETACK_H

#include <stdint.h>

#include "resp.h"

/** The acknowledging side of a replica's stream. */
typedef struct ex_acker {
    resp_parser parser;    /**< frames the stream's commands */
    uint64_t offset;       /**< processed bytes (what ACK reports) */
    uint64_t in_multi_at;  /**< 0 outside MULTI; inside, 1 + the bytes of
                                the open transaction so far */
} ex_acker;

/**
 * Start at a stream offset.
 * \param a      the acker.
 * \param offset the offset +FULLRESYNC announced.
 */
void ex_acker_init(ex_acker *a, uint64_t offset);

/** Free the parser.  \param a the acker. */
void ex_acker_free(ex_acker *a);

/**
 * Feed stream bytes: frame each command, keep the offset, and append
 * `REPLCONF ACK <offset>` (an array of three bulk strings) to out for each
 * `REPLCONF GETACK`.
 * \param a   the acker.
 * \param buf the bytes.
 * \param len how many.
 * \param out where answers go.
 * \return 0, or -1 when the bytes are not RESP or memory ran out.
 */
int ex_acker_feed(ex_acker *a, const void *buf, size_t len, resp_buf *out);

/**
 * \param a the acker.
 * \return the processed offset.
 */
uint64_t ex_acker_offset(const ex_acker *a);

#endif
