/* server_sample.h - random picks for HRANDFIELD and SRANDMEMBER.
 * Chapter 11.
 *
 * HRANDFIELD and SRANDMEMBER with a positive count return that many
 * distinct elements (all of them when the count reaches the size), with a
 * negative count that many picks that may repeat (redis/redis
 * src/t_hash.c hrandfieldWithCountCommand(), src/t_set.c
 * srandmemberWithCountCommand()).  Our collections can hand out their
 * i-th element cheaply (phash_nth(), pset_nth()), so both reduce to
 * choosing positions.  Distinct positions come from a partial
 * Fisher-Yates shuffle when the count is a good part of the size (an
 * index array of n entries), and from rejection sampling into a small
 * open-addressing table when it is not (memory proportional to the
 * count, not to the collection).
 *
 * Thread-safety: uses the context's random state only.
 */
#ifndef SERVER_SAMPLE_H
#define SERVER_SAMPLE_H

#include "server_cmd.h"

#include <stddef.h>

/** The most picks one reply may hold: beyond it the handler answers as
 *  out of memory instead of growing the buffer until memory runs out
 *  (Redis would build the reply and then drop the client). */
#define SERVER_SAMPLE_MAX ((size_t)1 << 26)

/**
 * Choose k distinct positions of [0, n), in random order.
 * \param x   the context (its random state).
 * \param n   the collection's size.
 * \param k   how many, 0 < k < n.
 * \param out receives k positions (room for k).
 * \return 0, or -1 when out of memory.
 */
int server_sample_distinct(server_ctx *x, size_t n, size_t k, size_t *out);

/**
 * A uniform random position of [0, n).
 * \param x the context. \param n the size, > 0.
 * \return the position.
 */
size_t server_sample_one(server_ctx *x, size_t n);

#endif
