/* bits_parse.h - the arguments of the bitmap commands, parsed once for both servers.
 * Chapter 11.
 *
 * Moved out of chapter 9's cmd_bits.c.  Chapter 9's applier (BITFIELD,
 * SETBIT) and chapter 11's read commands
 * (GETBIT, BITFIELD_RO) read the same arguments with the same rules
 * (redis/redis src/bitops.c, getBitOffsetFromArgument(),
 * getBitfieldTypeFromArgument(), bitfieldGeneric()), but report errors
 * through different contexts (cmd_ctx, server_ctx).  So the parsers here
 * know no context: they return what is wrong (the message Redis sends and
 * the argument it is about) and each caller writes its own error.
 *
 * Thread-safety: pure functions.
 */
#ifndef BITS_PARSE_H
#define BITS_PARSE_H

#include "pstring.h"
#include "resp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Redis's default proto-max-bulk-len, which bounds a bit offset's byte. */
#define BITS_MAX_BYTES (512LL * 1024 * 1024)

/** A bad bit offset. */
#define BITS_ERR_OFFSET "ERR bit offset is not an integer or out of range"
/** A bad BITFIELD type. */
#define BITS_ERR_TYPE                                                        \
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 "   \
    "is not supported but i64 is."
/** A bad OVERFLOW mode. */
#define BITS_ERR_OVERFLOW "ERR Invalid OVERFLOW type specified"

/**
 * A bit offset (getBitOffsetFromArgument()): a string2ll() integer, not
 * negative, whose byte is below BITS_MAX_BYTES; with bits > 0 the form
 * "#N" means N * bits (BITFIELD).
 * \param s    the argument. \param len its length.
 * \param bits the field width for "#N", or 0 where "#" is not allowed.
 * \param out  receives the offset.
 * \return true, or false for BITS_ERR_OFFSET.
 */
bool bits_parse_offset(const char *s, size_t len, unsigned bits,
                       uint64_t *out);

/**
 * A BITFIELD type: i1..i64 or u1..u63.
 * \param s the argument (NUL-terminated). \param len its length.
 * \param is_signed receives i or u. \param bits receives the width.
 * \return true, or false for BITS_ERR_TYPE.
 */
bool bits_parse_type(const char *s, size_t len, bool *is_signed,
                     unsigned *bits);

/** A BITFIELD operation. */
typedef enum bits_op_code { BITS_GET, BITS_SET, BITS_INCRBY } bits_op_code;

/** One parsed BITFIELD operation. */
typedef struct bits_op {
    bits_op_code code;   /**< GET, SET or INCRBY */
    bool is_signed;      /**< i<bits> or u<bits> */
    unsigned bits;       /**< 1..64 signed, 1..63 unsigned */
    uint64_t off;        /**< first bit */
    long long arg;       /**< SET's value, INCRBY's increment */
    pstring_overflow ov; /**< the OVERFLOW mode in force */
} bits_op;

/** What bits_parse_bitfield() refused. */
typedef struct bits_parse_error {
    size_t arg;      /**< the argument index it is about */
    const char *msg; /**< Redis's error text (static) */
} bits_parse_error;

/**
 * Parse BITFIELD's (or BITFIELD_RO's) operations, argv[2] on, in Redis's
 * order: each operation's keyword, type, offset, then its value.
 * \param argc    arguments, the name and key included.
 * \param argv    the arguments.
 * \param ops     receives an xmalloc()ed array (free() it), on success.
 * \param nops    receives its length.
 * \param highest receives the farthest bit a SET or INCRBY writes, or -1.
 * \param err     receives what is wrong, on failure.
 * \return 0; 1 with *err set (nothing allocated); -1 with errno ENOMEM.
 */
int bits_parse_bitfield(size_t argc, const resp_value *argv, bits_op **ops,
                        size_t *nops, int64_t *highest,
                        bits_parse_error *err);

#endif
