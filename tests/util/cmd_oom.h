/* cmd_oom.h - out-of-memory walks over single commands, for the family suites.
 * Chapter 9.
 *
 * A handler may run out of memory at any allocation; the applier must then
 * abort the batch and leave the keyspace exactly as it was.  oom_walk()
 * proves it for one command by failing its first, second, third ...
 * allocation in turn until the command goes through, comparing the whole
 * keyspace (as JSON) before and after each failure.  Shared by the list,
 * set and hash suites.
 */
#ifndef TEST_CMD_OOM_H
#define TEST_CMD_OOM_H

#include "cmd.h"
#include "keyspace.h"

/**
 * The whole keyspace as rdb-dump's JSON.
 * \param ks the keyspace (no section open).
 * \return a string to free().
 */
char *dump_all(keyspace *ks);

/**
 * Run setup(a) on a fresh keyspace, then cmd with the n-th allocation
 * failing, for n = 1, 2, ... until it succeeds; every failure must be
 * CMD_NOMEM (or a failed flush) and leave the keyspace as it was (Check
 * assertions).
 * \param setup fills the keyspace through the applier.
 * \param cmd   the command, NULL-terminated.
 * \return how many allocations failed in turn.
 */
unsigned oom_walk(void (*setup)(cmd_applier *a), const char *const *cmd);

/**
 * Apply arg0 key prefix0 [prefix0] prefix1 [prefix1] ... (count arguments,
 * each doubled when pairs), asserting it is applied.
 * \param a      the applier.
 * \param arg0   the command name.
 * \param key    its key.
 * \param prefix the arguments' prefix.
 * \param count  how many arguments.
 * \param pairs  non-zero: each argument twice (field and value).
 */
void apply_many(cmd_applier *a, const char *arg0, const char *key,
                const char *prefix, int count, int pairs);

#endif
