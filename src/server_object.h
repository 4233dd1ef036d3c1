/* server_object.h - what OBJECT ENCODING says about a value, for other handlers.
 * Chapter 11.
 *
 * OBJECT ENCODING (server_object.c) names the encoding Redis 7.0 would
 * use for the same data: "int", "embstr", "raw", "quicklist", "intset",
 * "hashtable", "listpack", "skiplist", "stream".  The rules (the limits
 * Redis compiles in, the integers it recognises) live in one place,
 * server_object.c; this header lets any other introspection command
 * (DEBUG OBJECT, chapter 11's exercise 11.1) report the same name
 * without a second copy of them.  It also hands the keyspace family's
 * table (server_keys.c) the OBJECT and MEMORY subcommands and DUMP.
 */
#ifndef SERVER_OBJECT_H
#define SERVER_OBJECT_H

#include "server_cmd.h"
#include "value.h"

/**
 * The encoding Redis 7.0 reports for a value with these contents (the
 * rules in server_object.c's file comment).
 * \param v the value (any type).
 * \return a static string, never NULL.
 * Thread-safety: any reader of v; O(1) for strings, lists, sets and
 * streams, at most 512 fields or 128 members looked at for hashes and
 * sorted sets.
 */
const char *server_object_encoding(const value *v);

/** OBJECT's subcommands (ENCODING, FREQ, HELP, IDLETIME, REFCOUNT),
 *  NULL-name terminated, for server_cmds_keys[]. */
extern const server_command server_object_subcommands[];

/** MEMORY's subcommands (HELP, USAGE), NULL-name terminated, for
 *  server_cmds_keys[]. */
extern const server_command server_memory_subcommands[];

/**
 * DUMP key: the value's serialized form (dump_payload.h), a null reply
 * for a missing key, an error for a stream.
 * \param x the context.
 * \return 0 after a reply, -1 when out of memory.
 * Thread-safety: as every read handler (server_cmd.h).
 */
int server_dump_cmd(server_ctx *x);

#endif
