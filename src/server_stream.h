/* server_stream.h - what server_stream.c shows besides its table: XREAD's blocking arguments.
 * Chapter 11.
 *
 * A blocked XREAD is run again with the arguments it blocked with, and
 * `$` must by then mean the last ID the stream had when the client
 * blocked, not the one it has after the write that woke it.  The
 * rewriting is a plain function of the arguments and the IDs, declared
 * here so that a test can check it without a server.
 */
#ifndef SERVER_STREAM_H
#define SERVER_STREAM_H

#include "pstream.h"
#include "server_cmd.h"

#include <stddef.h>

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
 * Thread-safety: the context's thread.
 */
int server_xread_block_args(const server_ctx *x, size_t streams, size_t n,
                            const pstream_id *ids, resp_value **argv,
                            char **text);

#endif
