/* cmd_stream_private.h - helpers shared by the stream command handlers.
 * Chapter 9.
 *
 * The stream family is two files: cmd_stream.c (XADD, XDEL, XTRIM,
 * XSETID: the entries) and cmd_xgroup.c (XGROUP, XACK, XCLAIM,
 * XAUTOCLAIM, XREADGROUP: the consumer groups).  Both parse stream IDs
 * the way Redis does (stream_id.h, shared with chapter 11's read
 * commands), reply to bad ones, and open a stream of the keyspace for
 * editing; the helpers that need a command context live in cmd_stream.c
 * and are declared here, so the rules are written once.  Nothing outside
 * the two handler files includes this header.
 */
#ifndef CMD_STREAM_PRIVATE_H
#define CMD_STREAM_PRIVATE_H

#include "cmd.h"
#include "pstream.h"
#include "stream_id.h"

#include <stdbool.h>
#include <stdint.h>

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

#endif
