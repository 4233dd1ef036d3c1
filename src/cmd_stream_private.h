/* cmd_stream_private.h - helpers shared by the stream command handlers.
 * Chapter 9.
 *
 * The stream family is two files: cmd_stream.c (XADD, XDEL, XTRIM,
 * XSETID: the entries) and cmd_xgroup.c (XGROUP, XACK, XCLAIM,
 * XAUTOCLAIM, XREADGROUP: the consumer groups).  Both parse stream IDs
 * the way Redis does, format them for error texts, and open a stream of
 * the keyspace for editing; those few helpers live in cmd_stream.c and
 * are declared here, so the rules are written once.  Nothing outside the
 * two handler files includes this header.
 */
#ifndef CMD_STREAM_PRIVATE_H
#define CMD_STREAM_PRIVATE_H

#include "cmd.h"
#include "pstream.h"

#include <stdbool.h>
#include <stdint.h>

/** Redis's reply to an ID it cannot parse (streamGenericParseIDOrReply()). */
#define XS_ERR_BADID "ERR Invalid stream ID specified as stream command argument"

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
 * xs_parse_id() on argument i, replying XS_ERR_BADID when invalid.
 * \param c the context. \param i the argument. \param missing_seq as
 * xs_parse_id(). \param strict as xs_parse_id(). \param seq_given as
 * xs_parse_id(). \param out receives the ID.
 * \return 0, or -1 after cmd_error_arg().
 */
int xs_arg_id(cmd_ctx *c, size_t i, uint64_t missing_seq, bool strict,
              bool *seq_given, pstream_id *out);

/**
 * Format an ID as Redis prints it ("ms-seq").
 * \param buf at least 44 bytes. \param sz its size. \param id the ID.
 * \return buf.
 */
char *xs_id_str(char *buf, size_t sz, pstream_id id);

/**
 * The successor of an ID (streamIncrID()): MAX-MAX wraps to 0-0.
 * \param id the ID, changed. \return 0, or -1 when it wrapped.
 */
int xs_id_incr(pstream_id *id);

/**
 * cmd_error() whose text has every CR and LF replaced by a space, as
 * Redis's addReplyErrorFormat() does, for texts that quote arguments.
 * \param c the context. \param fmt printf format. \return -1.
 */
int xs_error(cmd_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * The stream at argument i, for reading.
 * \param c the context. \param i the key's argument.
 * \param out receives the stream, or NULL when the key is absent.
 * \return 0, or -1 after cmd_error() (WRONGTYPE).
 */
int xs_lookup(cmd_ctx *c, size_t i, const pstream **out);

/**
 * The stream at argument i as the batch's transient, to edit in place
 * (out == the transient in every pstream edit).  The key must exist and
 * hold a stream (checked by the caller with xs_lookup()).
 * \param c the context. \param i the key's argument.
 * \return the transient, or NULL with errno ENOMEM.
 */
pstream *xs_edit(cmd_ctx *c, size_t i);

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
