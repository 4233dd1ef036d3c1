/* stream_id.h - stream IDs as Redis parses and prints them, and a group's read counter.
 * Chapter 9; extended in chapter 11.
 *
 * Chapter 9's write commands (cmd_stream.c, cmd_xgroup.c) and chapter
 * 11's read commands (server_stream.c) read the same ID arguments with
 * the same rules: "ms-seq", "ms" with a default sequence, "-" and "+",
 * "ms-*" for XADD, and the exclusive "(" form of ranges.  They print IDs
 * the same way and estimate a consumer group's entries-read counter the
 * same way (XREADGROUP moves it, XINFO GROUPS prints it and the lag).  So
 * those rules live here, once, as plain functions of bytes and pstream
 * versions, with no command context: each caller turns a false or -1
 * into its own kind of error reply.  Every rule restates redis/redis
 * src/t_stream.c (tag 7.0.15) in its own words.
 *
 * Thread-safety: pure functions; the pstream readers they call may run on
 * any thread on a published version.
 */
#ifndef STREAM_ID_H
#define STREAM_ID_H

#include "pstream.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Redis's reply to an ID it cannot parse (streamGenericParseIDOrReply()). */
#define XS_ERR_BADID "ERR Invalid stream ID specified as stream command argument"

/** The smallest ID, 0-0 ("-"). */
#define XS_ID_MIN ((pstream_id){ 0, 0 })
/** The largest ID, MAX-MAX ("+"). */
#define XS_ID_MAX ((pstream_id){ UINT64_MAX, UINT64_MAX })

/** Room for an ID's text and its NUL (Redis's STREAM_ID_STR_LEN). */
#define XS_ID_STR_MAX 44

/**
 * Parse a stream ID as redis/redis src/t_stream.c,
 * streamGenericParseIDOrReply(), does: "ms-seq", "ms" (seq = missing_seq),
 * "-" and "+" unless strict, and "ms-*" when seq_given is not NULL (then
 * *seq_given is false).  Each part is read with string2ull() (so "+5" and
 * " 5" are accepted, as strtoull() accepts them).
 * \param s          the argument's bytes (NUL-terminated; a NUL inside
 *                   ends it, as in Redis).
 * \param len        their length (over 127: refused).
 * \param missing_seq the sequence when only ms is given.
 * \param strict     refuse "-" and "+".
 * \param seq_given  NULL, or receives whether a sequence was given.
 * \param out        receives the ID.
 * \return true when valid.
 */
bool xs_parse_id(const char *s, size_t len, uint64_t missing_seq, bool strict,
                 bool *seq_given, pstream_id *out);

/**
 * Parse one end of a range as streamParseIntervalIDOrReply() does: a
 * leading "(" (with at least one byte after it) makes it exclusive and
 * the rest is parsed strictly ("(-" is invalid); otherwise "-" and "+"
 * are allowed.  The caller moves an exclusive end with xs_id_incr() or
 * xs_id_decr().
 * \param s           the argument's bytes (NUL-terminated).
 * \param len         their length.
 * \param missing_seq the sequence when only ms is given (0 for a start,
 *                    UINT64_MAX for an end).
 * \param exclusive   receives whether it began with "(".
 * \param out         receives the ID.
 * \return true when valid.
 */
bool xs_parse_interval(const char *s, size_t len, uint64_t missing_seq,
                       bool *exclusive, pstream_id *out);

/**
 * Format an ID as Redis prints it ("ms-seq").
 * \param buf at least XS_ID_STR_MAX bytes. \param sz its size.
 * \param id the ID.
 * \return buf.
 */
char *xs_id_str(char *buf, size_t sz, pstream_id id);

/**
 * The successor of an ID (streamIncrID()): MAX-MAX wraps to 0-0.
 * \param id the ID, changed. \return 0, or -1 when it wrapped.
 */
int xs_id_incr(pstream_id *id);

/**
 * The predecessor of an ID (streamDecrID()): 0-0 wraps to MAX-MAX.
 * \param id the ID, changed. \return 0, or -1 when it wrapped.
 */
int xs_id_decr(pstream_id *id);

/**
 * Entries read up to id as Redis estimates it
 * (streamEstimateDistanceFromFirstEverEntry()).
 * \param s the stream. \param id the ID.
 * \return the count, or PSTREAM_ENTRIES_READ_UNKNOWN.
 */
uint64_t xs_estimate_read(const pstream *s, pstream_id id);

/**
 * Whether max_deleted_id may lie at or after start (Redis's
 * streamRangeHasTombstones(s, start, NULL)).
 * \param s the stream. \param start the range's start.
 * \return true when a tombstone may follow.
 */
bool xs_tombstones_from(const pstream *s, pstream_id start);

#endif
