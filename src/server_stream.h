/* server_stream.h - what the stream family's two files share: reply helpers, XREAD's blocking arguments.
 * Chapter 11.
 *
 * The stream read commands are two files: server_stream.c (XRANGE,
 * XREVRANGE, XLEN, XREAD, and the family's table server_cmds_stream) and
 * server_xinfo.c (XPENDING, XINFO).  Both write entries and IDs the same
 * way and read range ends with the same errors, so those helpers are
 * written once, in server_stream.c, and declared here.  The helpers
 * return server_cmd.h's SERVER_OK, SERVER_REPLIED or SERVER_NOMEM (use
 * SERVER_TRY() in a handler, SSTREAM_PASS() in a helper); a reply helper
 * that fails may leave part of an element written, which server_cmd_run()
 * drops with the rest of the failed reply.
 *
 * The XREAD one is here for another reason: a blocked XREAD is run again
 * with the arguments it blocked with, and `$` must by then mean the last
 * ID the stream had when the client blocked, not the one it has after
 * the write that woke it.  The rewriting is a plain function of the
 * arguments and the IDs, so a test can check it without a server.
 *
 * Thread-safety: everything here runs on the command's thread, on the
 * versions its read section holds.
 */
#ifndef SERVER_STREAM_H
#define SERVER_STREAM_H

#include "pstream.h"
#include "server_cmd.h"

#include <stdbool.h>
#include <stddef.h>

/** In a helper: return anything but SERVER_OK from expr as it is. */
#define SSTREAM_PASS(expr)                                                   \
    do {                                                                     \
        int sstream_pass_rc_ = (expr);                                       \
        if (sstream_pass_rc_ != SERVER_OK)                                   \
            return sstream_pass_rc_;                                         \
    } while (0)

/**
 * A reply_*() result as a helper result.
 * \param rc 0 or -1. \return SERVER_OK or SERVER_NOMEM.
 */
int sstream_rp(int rc);

/**
 * An ID as a bulk string ("ms-seq").
 * \param x the context. \param id the ID. \return SERVER_OK or SERVER_NOMEM.
 */
int sstream_reply_id(server_ctx *x, pstream_id id);

/**
 * A C string as a bulk string (XINFO's field names).
 * \param x the context. \param s the text. \return SERVER_OK or SERVER_NOMEM.
 */
int sstream_reply_cstr(server_ctx *x, const char *s);

/**
 * One entry as Redis writes it: [id, [field, value, ...]].
 * \param x the context. \param e the entry. \return SERVER_OK or SERVER_NOMEM.
 */
int sstream_reply_entry(server_ctx *x, const pstream_entry *e);

/**
 * The entries with lo <= ID <= hi as an array (empty when lo > hi).
 * \param x the context. \param s the stream. \param lo smallest ID.
 * \param hi largest ID. \param rev from hi down. \param count at most
 * this many (0: all).
 * \return SERVER_OK or SERVER_NOMEM.
 */
int sstream_reply_range(server_ctx *x, const pstream *s, pstream_id lo,
                        pstream_id hi, bool rev, size_t count);

/**
 * The stream at argument i, as server_lookup() finds it (WRONGTYPE
 * replied; a hit or miss counted).
 * \param x the context. \param i the key's argument.
 * \param out receives the stream, or NULL when the key is missing.
 * \return SERVER_OK, SERVER_REPLIED or SERVER_NOMEM.
 */
int sstream_lookup(server_ctx *x, size_t i, const pstream **out);

/**
 * One end of a range (stream_id.h's interval form) with the errors of
 * Redis's XRANGE and XPENDING: the invalid-ID text, "ERR invalid start ID
 * for the interval" ("(" on the largest ID), "ERR invalid end ID for the
 * interval" ("(" on 0-0).
 * \param x the context. \param i the argument.
 * \param start a start (missing sequence 0, "(" moves up) or an end
 *        (missing sequence MAX, "(" moves down).
 * \param id receives the inclusive ID.
 * \return SERVER_OK, SERVER_REPLIED or SERVER_NOMEM.
 */
int sstream_arg_interval(server_ctx *x, size_t i, bool start, pstream_id *id);

/**
 * The command's name upper-cased (HELP texts and their errors).
 * \param x the context. \param buf receives it, NUL-terminated (truncated
 * to fit). \param n size of buf.
 */
void sstream_upper_name(const server_ctx *x, char *buf, size_t n);

/** XPENDING (server_xinfo.c).  \param x the context.  \return 0 or -1. */
int server_xpending_cmd(server_ctx *x);

/** XINFO's subcommands: CONSUMERS, GROUPS, HELP, STREAM (server_xinfo.c). */
extern const server_command server_xinfo_subcommands[];

/**
 * The arguments of an XREAD with every `$` ID replaced by the ID given
 * for its stream, for server_block().
 * \param x       the context whose argv is the XREAD.
 * \param streams argument index of the first key (after STREAMS).
 * \param n       number of keys (and of IDs after them).
 * \param ids     the ID for each key (`$` already resolved).
 * \param argv    receives x->argc values: x->argv's, except the `$` IDs,
 *                which point into *text; free with free() (the strings of
 *                the others still belong to x->argv).
 * \param text    receives the buffer of the new ID strings; free().
 * \return 0, or -1 with errno ENOMEM (nothing to free).
 */
int server_xread_block_args(const server_ctx *x, size_t streams, size_t n,
                            const pstream_id *ids, resp_value **argv,
                            char **text);

#endif
