/* rdb_json_internal.h - what the rdb-dump JSON files share (not a public API).
 * Chapter 7.
 *
 * rdb_json_text.c writes the leaves (byte strings, object keys, numbers);
 * rdb_json_value.c writes one value of any type from those leaves;
 * rdb_json.c is the parse handler that lays out the whole document;
 * rdb_json_order.c fixes the order of set members and hash fields.  The
 * public entry points (rdb_dump_json, rdb_json_bytes, rdb_json_double) are
 * in rdb_json.h; these are the extra pieces the files pass between them.
 */
#ifndef RDB_JSON_INTERNAL_H
#define RDB_JSON_INTERNAL_H

#include <stdio.h>

#include "rdb_json.h"
#include "value.h"

/**
 * Write bytes as a JSON object key: the string itself, or "hex:..." when
 * they are not valid UTF-8.
 * \param out the stream.
 * \param p   the bytes.
 * \param n   how many.
 */
void rdb_json_key(FILE *out, const unsigned char *p, size_t n);

/**
 * Write a double as rdb_json_double() does, but quoted (so that "inf" and
 * "nan" stay valid JSON).
 * \param out the stream.
 * \param d   the value.
 */
void rdb_json_score(FILE *out, double d);

/**
 * Write a float, quoted, with the fewest significant digits (1 to 9) that
 * read back to the same float.
 * \param out the stream.
 * \param f   the value.
 */
void rdb_json_float(FILE *out, float f);

/**
 * Write a module value's ops as a JSON array of [kind, value] pairs.
 * \param out the stream.
 * \param m   the module value.
 */
void rdb_json_module_ops(FILE *out, const value_module *m);

/**
 * A set's members in rdb-dump's order (rdb_json_order.c: file order for a
 * small set, sorted by bytes for a hash trie).
 * \param s the set.
 * \return a malloc'ed array of pset_len(s) members (free() it; the
 *         members are the set's), or NULL when out of memory.
 */
const velem **rdb_json_set_members(const pset *s);

/**
 * A hash's fields in rdb-dump's order (as rdb_json_set_members()).
 * \param h the hash.
 * \return a malloc'ed array of phash_len(h) fields (free() it), or NULL
 *         when out of memory.
 */
const phash_field **rdb_json_hash_fields(const phash *h);

/**
 * Write one value as JSON, shaped by its type.
 * \param out      the stream.
 * \param v        the value (not freed).
 * \param rdb_type the RDB type byte it was stored with (decides which
 *                 stream metadata the file carries).
 */
void rdb_json_value(FILE *out, const value *v, int rdb_type);

#endif
