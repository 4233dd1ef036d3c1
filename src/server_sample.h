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
 * count, not to the collection).  server_sample_reply() is the whole
 * count reply of both commands; each passes only how one pick is
 * written.
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

/**
 * Write the pick at position i of a collection (one or more reply
 * elements, always the same number).
 * \param x    the context.
 * \param coll the collection, as given to server_sample_reply().
 * \param i    the position, < its size.
 * \return 0, or -1 when out of memory.
 */
typedef int server_sample_pick_fn(server_ctx *x, const void *coll, size_t i);

/**
 * Reply to the count form of HRANDFIELD or SRANDMEMBER: an empty array
 * for a count of 0 or an empty collection; for a count >= 0 that many
 * distinct picks (every element, in order, when the count reaches n);
 * for a negative count -count picks that may repeat.
 * \param x        the context.
 * \param coll     the collection, passed to pick.
 * \param n        its size (0 for a missing key).
 * \param l        the count argument, >= -LONG_MAX.
 * \param per_pick how many array elements one pick writes.
 * \param pick     writes one pick.
 * \return 0, or -1 when out of memory or past SERVER_SAMPLE_MAX picks.
 */
int server_sample_reply(server_ctx *x, const void *coll, size_t n,
                        long long l, size_t per_pick,
                        server_sample_pick_fn *pick);

#endif
