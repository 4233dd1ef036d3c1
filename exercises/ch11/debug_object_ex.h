/* debug_object_ex.h - exercise 11.1: introspection, DEBUG OBJECT.
 *
 * `DEBUG OBJECT key` is how Redis tools and test suites look inside a
 * value: one simple-string line of key:value fields (redis/redis
 * src/debug.c, debugCommand()):
 *
 *     Value at:0x7f... refcount:1 encoding:embstr serializedlength:6 lru:0 lru_seconds_idle:0
 *
 * What each field means on this replica:
 *
 * - `Value at`: the address of the value (printf's %p of the value
 *   pointer), unique among live values, like Redis's robj address.
 * - `refcount`: 2147483647 for the integers 0..9999 Redis shares
 *   (OBJ_SHARED_INTEGERS, what OBJECT REFCOUNT says), else 1.
 * - `encoding`: what OBJECT ENCODING says, server_object_encoding().
 * - `serializedlength`: the length of the value's RDB serialization
 *   without its type byte (Redis's rdbSavedObjectLen()).  For strings it
 *   is exact, as chapter 7 reads them with compression off: a decimal
 *   integer of at most 11 bytes that fits 32 bits takes 2, 3 or 5 bytes
 *   (8-, 16-, 32-bit integer encodings), any other string a 1-, 2- or
 *   5-byte length prefix (lengths < 64, < 16384, < 2^32) plus its bytes.
 *   For other types the length of this replica's own plain RDB form
 *   (DUMP's payload, dump_payload_encode(), less the type byte and the
 *   10-byte footer): Redis writes listpacks and intsets, so these
 *   differ from Redis's; 0 for a stream, which DUMP does not write.
 * - `lru` and `lru_seconds_idle`: 0 and 0: a replica's reads keep no
 *   access clock (OBJECT IDLETIME says 0 too).
 *
 * Redis adds ql_nodes, ql_avg_node, ql_listpack_max, ql_compressed and
 * ql_uncompressed_size for lists: they describe Redis's quicklist nodes
 * in memory, which this replica does not have, so they are left out (a
 * client reads the line as fields and finds the ones above).
 *
 * Errors, as Redis words them: a missing key is "ERR no such key" (an
 * expired key is still found, as Redis's dictFind() finds it); any other
 * argument count is "ERR unknown subcommand or wrong number of arguments
 * for 'OBJECT'. Try DEBUG HELP." (the subcommand as the client spelled
 * it).
 *
 * The tests run the handler in-process on a keyspace loaded from a real
 * redis-server's dump (started with `enable-debug-command yes` and
 * `rdbcompression no`) and compare each field with that server's own
 * DEBUG OBJECT, for keys of every type and encoding.
 */
#ifndef EX_DEBUG_OBJECT_H
#define EX_DEBUG_OBJECT_H

#include "server_cmd.h"

/**
 * DEBUG OBJECT key: x->argv[0] is "DEBUG", x->argv[1] "OBJECT", x->argv[2]
 * the key, looked up in database x->db through x->ks.
 * \param x the context (server_cmd.h; x->ks inside a read section).
 * \return 0 when a reply (an error reply included) was written, -1 when
 *         memory ran out.
 */
int ex_debug_object(server_ctx *x);

#endif
