/* server_cscan.h - HSCAN and SSCAN: a cursor that survives edits between calls.
 * Chapter 11.
 *
 * Redis's guarantee for SCAN and its siblings (redis/redis src/db.c,
 * scanGenericCommand(); src/dict.c, dictScan()): an element present for
 * the whole of a scan is returned at least once, whatever changes in
 * between, and the scan ends when the cursor comes back as "0".  A small
 * collection (a listpack or an intset) is answered whole, cursor 0.
 *
 * Our big hashes and sets are CHAMP tries (src/ptrie.h) whose iteration
 * order is the order of the elements' hashes read chunk by chunk from the
 * root: chunk 0 (the hash's lowest five bits) first, then chunk 1, and so
 * on.  Write those chunks the other way round, chunk 0 in the highest
 * bits, and that order becomes plain numeric order of one 64-bit number,
 * the element's order key.  The order key depends only on the element's
 * bytes, never on what else the trie holds, so a cursor that says "order
 * keys from here on" means the same thing in every later version: an
 * element that stays is at the same place relative to the cursor, and no
 * edit can move it behind.  Each call finds its start with a binary
 * search over ptrie_nth() positions (O(log^2 n)) and never splits a run
 * of equal order keys (elements whose full hashes collide), so the next
 * call cannot skip one of them.
 *
 * The arguments are server_scan.h's, parsed by the same code as SCAN's
 * and ZSCAN's; cscan_reply() is the rest of both commands once the key
 * is found, so a family file says only how one element is written.
 *
 * Thread-safety: pure functions on the caller's arguments.
 */
#ifndef SERVER_CSCAN_H
#define SERVER_CSCAN_H

#include "server_cmd.h"
#include "server_scan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * The order key of an element: its hash_bytes() with the trie's 5-bit
 * chunks reversed (chunk 0 in bits 59..63, ..., chunk 11 in bits 4..8, the
 * 4-bit chunk 12 in bits 0..3).
 * \param p the element's key bytes. \param n their count.
 * \return the order key.
 */
uint64_t cscan_order_key(const void *p, size_t n);

/** The key bytes of the i-th element of a collection (ptrie order). */
typedef const void *cscan_nth_fn(const void *coll, size_t i, size_t *len);

/**
 * Plan one call over a collection of n elements in ptrie order: the
 * positions [*from, *to) to look at and the cursor to return.
 * \param coll  the collection, passed to nth.
 * \param n     its element count.
 * \param nth   the i-th element's key bytes.
 * \param a     the arguments (cursor and count).
 * \param from  receives the first position.
 * \param to    receives the position after the last.
 * \return the next cursor: the order key of position *to, or 0 when *to
 *         is n.
 */
uint64_t cscan_plan(const void *coll, size_t n, cscan_nth_fn *nth,
                    const server_scan_args *a, size_t *from, size_t *to);

/**
 * Write the reply's start: a two-element array and the cursor as a bulk
 * string.  The caller then writes the element array.
 * \param x the context. \param cursor the next cursor.
 * \return 0, or -1 when out of memory.
 */
int cscan_reply_head(server_ctx *x, uint64_t cursor);

/**
 * The whole reply for a missing key: cursor 0 and no elements.
 * \param x the context.
 * \return 0, or -1 when out of memory.
 */
int cscan_reply_missing(server_ctx *x);

/**
 * Write the reply element(s) of the element at position i, which passed
 * MATCH.
 * \param x the context. \param coll the collection. \param i the position.
 * \return how many reply elements it wrote (0 skips the element), or -1
 *         when out of memory.
 */
typedef int cscan_emit_fn(server_ctx *x, const void *coll, size_t i);

/**
 * Finish HSCAN or SSCAN once the key was found: parse the options from
 * argument 3 on, plan the call (or take the whole collection when it is
 * in its flat form), and write the reply: the next cursor, then what
 * emit writes for each element in the plan that passes MATCH.
 * \param x     the context.
 * \param a     the arguments, a->cursor already parsed (argument 2).
 * \param coll  the collection, passed to nth and emit.
 * \param n     its element count.
 * \param whole whether to answer every element, cursor 0 (a listpack
 *              or an intset in Redis).
 * \param nth   the i-th element's key bytes (what MATCH sees).
 * \param emit  writes one element.
 * \return SERVER_OK, SERVER_REPLIED after an error reply, or -1 when out
 *         of memory.
 */
int cscan_reply(server_ctx *x, server_scan_args *a, const void *coll,
                size_t n, bool whole, cscan_nth_fn *nth, cscan_emit_fn *emit);

#endif
