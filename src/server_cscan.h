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
 * Thread-safety: pure functions on the caller's arguments.
 */
#ifndef SERVER_CSCAN_H
#define SERVER_CSCAN_H

#include "server_cmd.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The options of one HSCAN or SSCAN call. */
typedef struct cscan_opts {
    uint64_t cursor;   /**< where to start: an order key, 0 for the start */
    long count;        /**< COUNT (default 10): elements to look at */
    const char *pat;   /**< MATCH pattern, or NULL for every element */
    size_t patlen;     /**< its length */
} cscan_opts;

/**
 * Parse the cursor argument as Redis's parseScanCursorOrReply() does
 * (strtoul(): an optional sign, decimal digits, nothing after them, no
 * leading white space): "ERR invalid cursor".
 * \param x   the context.
 * \param i   the argument index of the cursor.
 * \param out receives the cursor.
 * \return SERVER_OK, SERVER_REPLIED or SERVER_NOMEM.
 */
int cscan_parse_cursor(server_ctx *x, size_t i, uint64_t *out);

/**
 * Parse [MATCH pattern] [COUNT count] from argument first on, as Redis:
 * a COUNT that is not an integer gets "ERR value is not an integer or out
 * of range", one below 1 and any other word "ERR syntax error".  A MATCH
 * of exactly "*" is no pattern at all.
 * \param x     the context.
 * \param first the first option's index.
 * \param o     receives the options (o->cursor is left as it is).
 * \return SERVER_OK, SERVER_REPLIED or SERVER_NOMEM.
 */
int cscan_parse_opts(server_ctx *x, size_t first, cscan_opts *o);

/**
 * Does an element pass MATCH?
 * \param o the options. \param p the element's bytes. \param n their count.
 * \return true when there is no pattern or it matches.
 */
bool cscan_match(const cscan_opts *o, const void *p, size_t n);

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
 * \param o     the options (cursor and count).
 * \param from  receives the first position.
 * \param to    receives the position after the last.
 * \return the next cursor: the order key of position *to, or 0 when *to
 *         is n.
 */
uint64_t cscan_plan(const void *coll, size_t n, cscan_nth_fn *nth,
                    const cscan_opts *o, size_t *from, size_t *to);

/**
 * Write the reply's start: a two-element array and the cursor as a bulk
 * string.  The caller then writes the element array.
 * \param x the context. \param cursor the next cursor.
 * \return 0, or -1 when out of memory.
 */
int cscan_reply_head(server_ctx *x, uint64_t cursor);

#endif
