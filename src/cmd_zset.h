/* cmd_zset.h - what the sorted-set, store and geo commands share.
 * Chapter 9.
 *
 * Three command files write sorted sets: cmd_zset.c (ZADD and the
 * removals and pops), cmd_zstore.c (the *STORE commands that compute a
 * new set) and cmd_geo.c (GEOADD, which is a ZADD of computed scores, and
 * the searches that store their results).  They parse numbers and ranges
 * the same way Redis's t_zset.c does and end the same way (a result
 * stored, or its destination deleted when it is empty), so those pieces
 * live here once.  Each parser records Redis's exact reply text with
 * cmd_error_arg() and changes nothing.
 *
 * Thread-safety: as the handlers: the keyspace's writer thread.
 */
#ifndef CMD_ZSET_H
#define CMD_ZSET_H

#include "cmd.h"
#include "zset_ops.h"

/** ZADD's flags (ZADD_IN_* in t_zset.c). */
enum {
    ZSET_ADD_NX = 1u << 0,   /**< only add new members */
    ZSET_ADD_XX = 1u << 1,   /**< only update existing ones */
    ZSET_ADD_GT = 1u << 2,   /**< update only to a greater score */
    ZSET_ADD_LT = 1u << 3,   /**< update only to a lower score */
    ZSET_ADD_INCR = 1u << 4, /**< add the score to the current one */
};

/**
 * Parse argument i as a double the way getDoubleFromObjectOrReply() does
 * (string2d(): strtod of the whole text, no leading space, no NaN, no
 * overflow).
 * \param c   the context.
 * \param i   the argument index.
 * \param msg the reply text on failure without "ERR ", or NULL for
 *            "value is not a valid float".
 * \param out receives the number.
 * \return 0, or -1 after cmd_error_arg().
 */
int zset_arg_double(cmd_ctx *c, size_t i, const char *msg, double *out);

/**
 * Parse argument i as a long the way getLongFromObjectOrReply() does
 * (string2ll()).
 * \param c   the context.
 * \param i   the argument index.
 * \param msg the reply text on failure without "ERR ", or NULL for
 *            "value is not an integer or out of range".
 * \param out receives the number.
 * \return 0, or -1 after cmd_error_arg().
 */
int zset_arg_long(cmd_ctx *c, size_t i, const char *msg, long long *out);

/**
 * Parse a ZRANGEBYSCORE interval (zslParseRange(): strtod, "(" for an
 * open bound, NaN refused, trailing bytes refused).
 * \param c     the context.
 * \param imin  the index of the minimum.
 * \param imax  the index of the maximum.
 * \param out   receives the range (by_lex false).
 * \return 0, or -1 after cmd_error(c, "ERR min or max is not a float").
 */
int zset_parse_score_range(cmd_ctx *c, size_t imin, size_t imax,
                           pzset_range *out);

/**
 * Parse a ZRANGEBYLEX interval (zslParseLexRange(): "[" or "(" then the
 * bytes, or exactly "-" or "+").
 * \param c     the context.
 * \param imin  the index of the minimum.
 * \param imax  the index of the maximum.
 * \param out   receives the range (by_lex true; NULL bounds for - and +).
 * \param empty receives true when the range is empty whatever the set
 *              holds ("+" as the minimum or "-" as the maximum).
 * \return 0, or -1 after cmd_error(c, "ERR min or max not valid string
 *         range item").
 */
int zset_parse_lex_range(cmd_ctx *c, size_t imin, size_t imax,
                         pzset_range *out, bool *empty);

/**
 * Apply ZADD's pairs to a key, as zaddGenericCommand() and zsetAdd() do:
 * the key's type checked, a missing key created (not with XX), each pair
 * applied under the flags, NaN after INCR refused before anything
 * changes.
 * \param c       the context.
 * \param key_i   the key's argument index.
 * \param flags   ZSET_ADD_* (already checked for compatibility).
 * \param n       number of pairs, at least 1.
 * \param scores  their scores (never NaN).
 * \param member  the first member's argument.
 * \param stride  arguments from one member to the next (2 for ZADD, 3
 *                for GEOADD).
 * \return 0, or -1 after cmd_error() (WRONGTYPE, NaN), or -1 with errno
 *         ENOMEM.
 */
int zset_add_pairs(cmd_ctx *c, size_t key_i, unsigned flags, size_t n,
                   const double *scores, const resp_value *member,
                   size_t stride);

/**
 * Start a new sorted set to store (a *STORE result).
 * \return a VALUE_ZSET transient with no expiry, or NULL with errno
 *         ENOMEM.
 */
value *zset_result_new(void);

/**
 * End a *STORE command: store the result under argument dst_i (dropping
 * whatever the key held, its expiry too) or, when the result is empty or
 * NULL, delete the key, as Redis does.
 * \param c     the context.
 * \param dst_i the destination key's argument index.
 * \param v     the result (taken, even on failure), or NULL for none.
 * \return 0, or -1 with errno ENOMEM.
 */
int zset_store_result(cmd_ctx *c, size_t dst_i, value *v);

#endif
