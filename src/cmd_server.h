/* cmd_server.h - what the applier keeps besides keys: FUNCTION libraries.
 * Chapter 9.
 *
 * A Redis 7.0 master propagates FUNCTION LOAD, DELETE, FLUSH and RESTORE
 * like writes, and a replica keeps the libraries so that a client's
 * FUNCTION LIST or a later promotion sees them.  The applier cannot run
 * Lua, so it keeps each library as its name (from the `#!lua name=...`
 * first line) and its code; chapter 11 lists them through this accessor.
 */
#ifndef CMD_SERVER_H
#define CMD_SERVER_H

#include "cmd.h"

/**
 * Call fn for each FUNCTION library the applier holds, in load order.
 * \param a   the applier.
 * \param fn  the callback: the library's name and its whole code (both
 *            NUL-terminated, owned by the applier, valid until the next
 *            cmd_apply()); a non-zero return stops the walk.
 * \param arg passed to fn.
 * \return how many libraries there are.
 * Thread-safety: the applier's thread only.
 */
size_t cmd_applier_functions(const cmd_applier *a,
                             int (*fn)(const char *name, size_t nlen,
                                       const char *code, size_t clen,
                                       void *arg),
                             void *arg);

#endif
