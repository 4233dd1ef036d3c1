/* read_oom.h - out-of-memory walks over read commands, for the chapter 11 suites.
 * Chapter 11.
 *
 * A read handler may run out of memory at any allocation (its own work
 * arrays, the reply buffer growing); it must then return -1, leak nothing,
 * and leave the reply buffer as it was, and when it does reply, the reply
 * must be the one it gives with memory to spare (a failure swallowed into
 * a short or wrong reply is a bug).  read_oom_walk() proves it for one
 * command by failing its first, second, third ... allocation in turn until
 * one run goes through with no failure, in RESP2 and RESP3.  No
 * redis-server is involved: the data is applied to a keyspace by chapter
 * 9's applier, and the reply compared with the unfailed one.
 */
#ifndef TEST_READ_OOM_H
#define TEST_READ_OOM_H

#include "cmd.h"
#include "keyspace.h"

/**
 * Build a keyspace of the given variant, fill it with setup(), then walk
 * the command's allocations (Check assertions on any difference).
 * \param variant a store variant name.
 * \param setup   fills the keyspace through the applier.
 * \param cmd     the command, NULL-terminated C strings.
 * \return how many allocations failed in turn (at least 1 when the
 *         command allocates at all).
 */
unsigned read_oom_walk(const char *variant, void (*setup)(cmd_applier *a),
                       const char *const *cmd);

#endif
