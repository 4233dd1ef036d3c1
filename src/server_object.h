/* server_object.h - what OBJECT ENCODING says about a value, for other handlers.
 * Chapter 11.
 *
 * OBJECT ENCODING (server_keys.c) names the encoding Redis 7.0 would use
 * for the same data: "int", "embstr", "raw", "quicklist", "intset",
 * "hashtable", "listpack", "skiplist", "stream".  The rules (the limits
 * Redis compiles in, the integers it recognises) live in one place,
 * server_keys.c; this header lets any other introspection command (DEBUG
 * OBJECT, chapter 11's exercise 11.1) report the same name without a
 * second copy of them.
 */
#ifndef SERVER_OBJECT_H
#define SERVER_OBJECT_H

#include "value.h"

/**
 * The encoding Redis 7.0 reports for a value with these contents (the
 * rules in server_keys.c's file comment).
 * \param v the value (any type).
 * \return a static string, never NULL.
 * Thread-safety: any reader of v; O(1) for strings, lists, sets and
 * streams, at most 512 fields or 128 members looked at for hashes and
 * sorted sets.
 */
const char *server_object_encoding(const value *v);

#endif
