/* rdb_internal.h - what the RDB decoder files share (not a public API).
 * Chapter 7.
 *
 * rdb_load.c reads opcodes and keys; rdb_value.c decodes one value of any
 * type; rdb_stream.c decodes streams; rdb_module.c module values;
 * rdb_valkey.c what only Valkey writes.  They pass
 * one rdb_ctx around: the reader, the file's version and reusable scratch
 * buffers, so that decoding a million small keys allocates nothing but the
 * values themselves.
 */
#ifndef RDB_INTERNAL_H
#define RDB_INTERNAL_H

#include "rdb.h"
#include "rdb_blob.h"

/** Decoder state shared by one parse. */
typedef struct rdb_ctx {
    rdb_reader *r;          /**< the input */
    int version;            /**< RDB version */
    bool valkey;            /**< VALKEY magic */
    const rdb_handler *h;   /**< callbacks (for warnings) */
    rdb_result *res;        /**< the outcome being filled */
    rdb_buf blob;           /**< a ziplist/listpack/intset/zipmap blob */
    rdb_buf s1;             /**< a string */
    rdb_buf s2;             /**< another string */
    rdb_buf kinds;          /**< quicklist node kinds */
} rdb_ctx;

/**
 * Decode one value of the given RDB type.
 * \param c    the context.
 * \param type the type byte.
 * \param out  receives the value (caller's), with expire_ms unset.
 * \param info receives encoding details (fields set by the decoder only).
 * \return 0, or -1 with the error recorded in the reader.
 */
int rdb_read_object(rdb_ctx *c, int type, value **out, rdb_key_info *info);

/**
 * Decode a stream (types 15, 19, 21) into v.
 * \param c    the context.
 * \param type the type byte.
 * \param v    an empty VALUE_STREAM.
 * \param info receives the listpack count.
 * \return 0, or -1.
 */
int rdb_read_stream(rdb_ctx *c, int type, value *v, rdb_key_info *info);

/**
 * Decode a MODULE_2 value or MODULE_AUX payload: the module id was read by
 * the caller; this reads the opcode-tagged steps up to their EOF marker.
 * \param c  the context.
 * \param id the 64-bit module id (name and encoding version).
 * \param v  an empty VALUE_MODULE.
 * \return 0, or -1.
 */
int rdb_read_module_ops(rdb_ctx *c, uint64_t id, value *v);

/**
 * Decode a Valkey HASH_2 value (type 22 under the VALKEY magic) into v:
 * a count, then (field, value, 8-byte expiry in ms or -1) per field.
 * \param c the context.
 * \param v an empty VALUE_HASH.
 * \return 0, or -1.
 */
int rdb_read_hash2(rdb_ctx *c, value *v);

/**
 * Read a Valkey SLOT_IMPORT record (opcode 0xF3, just consumed) and pass it
 * to the handler's slot_import callback.
 * \param c the context.
 * \return 0, or -1.
 */
int rdb_read_slot_import(rdb_ctx *c);

/**
 * Report a warning through the handler, prefixed with the offset.
 * \param c   the context.
 * \param fmt printf format.
 * \param ... arguments.
 */
void rdb_warn(rdb_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
