/* rdb_json.h - rendering an RDB file as JSON (what rdb-dump prints).
 * Chapter 7.
 *
 * The shape is the one the test corpus's expected files use (see
 * tests/data/rdb/README.md): magic, rdb_version, aux, dbs -> key ->
 * {type, rdb_type, encoding, expiry_ms, ..., value}, checksum, and the
 * optional sections (resizedb, functions, module_aux, slot_info,
 * enterprise_opcodes, trailing_bytes).  Keys are written as they are
 * parsed, so a large file is rendered in constant memory; the small
 * sections are collected and written after "dbs".  Byte strings that are
 * not valid UTF-8 become {"hex": "..."} (as object keys: "hex:...").
 */
#ifndef RDB_JSON_H
#define RDB_JSON_H

#include <stdio.h>

#include "rdb.h"

/**
 * Parse an RDB stream and write it to out as JSON.
 *
 * \param r              the reader at the start of the file.
 * \param out            where the JSON goes (written progressively; on
 *                       failure it holds a partial document).
 * \param opt            parse options (NULL for defaults).
 * \param count_trailing after the checksum, read the rest of the input and
 *                       report "trailing_bytes" when there are any.
 * \param res            receives the outcome.
 * \return 0, or -1 with res->error set.
 */
int rdb_dump_json(rdb_reader *r, FILE *out, const rdb_options *opt,
                  bool count_trailing, rdb_result *res);

/**
 * Write bytes as a JSON string, or as {"hex": "..."} when they are not
 * valid UTF-8.
 * \param out the stream.
 * \param p   the bytes.
 * \param n   how many.
 */
void rdb_json_bytes(FILE *out, const unsigned char *p, size_t n);

/**
 * Write a double in the shortest form that reads back to the same value
 * ("inf", "-inf" and "nan" for the special values), unquoted.
 * \param out the stream.
 * \param d   the value.
 */
void rdb_json_double(FILE *out, double d);

#endif
