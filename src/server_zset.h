/* server_zset.h - how the sorted-set family's three files reach each other.
 * Chapter 11.
 *
 * The family's read commands are split by concept: server_zset.c holds
 * the reply helpers, the ZRANGE family, counts and lookups, and the one
 * table (server_cmds_zset[]) that names every handler;
 * server_zset_scan.c holds ZRANDMEMBER and ZSCAN; server_zset_algebra.c
 * ZUNION, ZINTER, ZDIFF and ZINTERCARD.  This header declares what
 * crosses between them and nothing else: the three reply helpers every
 * file writes members with, and the handlers the table points to.
 * Keeping a single table keeps COMMAND's view of the family in one place.
 *
 * Thread-safety: as every read handler (server_cmd.h): each call touches
 * only its context and the version it reads.
 */
#ifndef SERVER_ZSET_H
#define SERVER_ZSET_H

#include "server_cmd.h"

#include <stdbool.h>
#include <stddef.h>

/**
 * Write one member, with its score when asked (RESP3 nests the pair in
 * a two-element array; RESP2 writes the two side by side).
 * \param x          the context.
 * \param e          the entry (valid for the command).
 * \param withscores whether to write the score.
 * \return 0, or -1 when out of memory.
 */
int server_zset_reply_entry(server_ctx *x, const pzset_entry *e,
                            bool withscores);

/**
 * Write the array header of n members: 2n elements for RESP2 with
 * scores, else n.
 * \param x the context. \param n the members. \param withscores as above.
 * \return 0, or -1 when out of memory.
 */
int server_zset_reply_header(server_ctx *x, size_t n, bool withscores);

/**
 * Reply with the ranks [first, first + n) of z, header included, or
 * their mirror for rev (from first + n - 1 down to first).
 * \param x the context. \param z the sorted set. \param first the first
 * rank. \param n how many (first + n <= its size). \param rev highest
 * first. \param withscores whether to write scores.
 * \return 0, or -1 when out of memory.
 */
int server_zset_reply_ranks(server_ctx *x, const pzset *z, size_t first,
                            size_t n, bool rev, bool withscores);

/**
 * Handlers of server_cmds_zset[] defined outside server_zset.c: each
 * a server_cmd_fn (server_cmd.h), returning 0 after a reply or -1 when
 * out of memory.
 * \param x the context.
 * \return 0 or -1.
 */
int server_zrandmember_cmd(server_ctx *x); /**< server_zset_scan.c */
int server_zscan_cmd(server_ctx *x);       /**< server_zset_scan.c */
int server_zunion_cmd(server_ctx *x);      /**< server_zset_algebra.c */
int server_zinter_cmd(server_ctx *x);      /**< server_zset_algebra.c */
int server_zdiff_cmd(server_ctx *x);       /**< server_zset_algebra.c */
int server_zintercard_cmd(server_ctx *x);  /**< server_zset_algebra.c */

#endif
