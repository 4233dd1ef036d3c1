/* value_module.h - a module's value, kept as the steps it was written with.
 * Chapter 8.
 *
 * A module type (RedisJSON, RedisBloom...) serialises its values with its
 * own code, as a sequence of typed steps (MODULE_2 opcodes: integers,
 * floats, doubles, strings).  A replica cannot run that code, so it keeps
 * the steps as they came, for tools (rdb-dump shows them) and skips the
 * key when loading into a store.  Module values stay flat for good: they
 * are never edited, only built once by rdb_module.c and read.  The strings
 * live in an arena owned by the payload (value_intern()); the payload has a
 * reference count so a value_with_expire() copy can share it.
 */
#ifndef VALUE_MODULE_H
#define VALUE_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include "value.h"

struct value_chunk;

/** What one module serialisation step wrote. */
typedef enum value_module_op_kind {
    VALUE_MOD_SINT = 1,   /**< signed integer */
    VALUE_MOD_UINT = 2,   /**< unsigned integer */
    VALUE_MOD_FLOAT = 3,  /**< 32-bit float */
    VALUE_MOD_DOUBLE = 4, /**< 64-bit double */
    VALUE_MOD_STRING = 5, /**< byte string */
} value_module_op_kind;

/** One step of a module value (MODULE_2 opcode stream). */
typedef struct value_module_op {
    value_module_op_kind kind; /**< which field is valid */
    uint64_t u;                /**< VALUE_MOD_UINT / SINT (as bits) */
    double d;                  /**< VALUE_MOD_FLOAT / DOUBLE */
    value_elem str;            /**< VALUE_MOD_STRING */
} value_module_op;

/** A module value: the module's name, encoding version and raw steps. */
struct value_module {
    uint32_t refs;          /**< value headers sharing it (writer) */
    char name[10];          /**< 9-character module type name + NUL */
    uint64_t module_id;     /**< the 64-bit id as stored */
    unsigned encver;        /**< the module's encoding version */
    size_t nops;            /**< steps */
    value_module_op *ops;   /**< in file order (builder: grown by powers
                                 of two) */
    struct value_chunk *arena; /**< the bytes of string steps */
};

/**
 * A module value, for readers.
 * \param v a VALUE_MODULE.
 * \return its payload (valid as long as v).  Thread-safety: any reader.
 */
const value_module *value_as_module(const value *v);

/**
 * A module value transient's payload, for its builder (rdb_module.c);
 * string steps' bytes go through value_intern().
 * \param v a VALUE_MODULE transient.
 * \return the payload, or NULL with errno EINVAL.
 */
value_module *value_edit_module(value *v);

/**
 * Copy bytes into the arena of a module value transient (for its builder,
 * which fills the steps itself).
 *
 * \param v     the transient.
 * \param bytes the bytes (may be NULL when len is 0).
 * \param len   how many.
 * \param out   receives the copy, NUL-terminated, owned by v's payload.
 * \return 0, or -1 with errno ENOMEM (EINVAL: not a module transient).
 */
int value_intern(value *v, const void *bytes, size_t len,
                 value_elem *out);

#endif
