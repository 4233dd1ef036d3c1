/* zset_ops.h - sorted-set ranges and set algebra, shared by writes and reads.
 * Chapter 9; extended in chapter 11.
 *
 * Chapter 9's writes (ZREMRANGEBYSCORE, ZRANGESTORE, ZUNIONSTORE, ...)
 * and chapter 11's reads (ZRANGE, ZCOUNT, ZUNION, ...) parse the same
 * ranges and compute the same unions, intersections and differences,
 * with the rules of redis/redis src/t_zset.c (7.0.15).  What does not
 * depend on who asks lives here, as pure functions of arguments and
 * sorted sets: each caller turns a refusal into its own error (the
 * applier records it with cmd_error_arg(), a read command replies with
 * it), using the texts given below.
 *
 * The algebra.  Inputs may be sorted sets or plain sets, whose members
 * count with score 1; a missing key is an empty input.  Each input score
 * is multiplied by its weight, and a product that is NaN (inf * 0) counts
 * as 0.  SUM adds, and a sum that is NaN (inf + -inf) becomes 0; MIN and
 * MAX keep the current score when the comparison with a NaN fails.
 * Union and intersection read the inputs smallest first (a stable sort,
 * as glibc's qsort() is for these sizes) and accumulate in that order:
 * floating-point addition is not associative, so the order is part of
 * the result.  The accumulator keeps each member's running score apart
 * from the result, which is built at the end: adding to a sorted set
 * replaces a score only when it compares different, and -0 and 0 compare
 * equal but are different bits.
 *
 * Thread-safety: pure functions; the inputs must stay alive and unchanged
 * while they run (a read section, or the writer's own batch).
 */
#ifndef ZSET_OPS_H
#define ZSET_OPS_H

#include "resp.h"
#include "value.h"

#include <stdbool.h>
#include <stddef.h>

/** Redis's reply to a bad score bound (ZRANGEBYSCORE, ZCOUNT). */
#define ZSET_ERR_SCORE_RANGE "ERR min or max is not a float"
/** Redis's reply to a bad lex bound (ZRANGEBYLEX, ZLEXCOUNT). */
#define ZSET_ERR_LEX_RANGE "ERR min or max not valid string range item"

/**
 * Parse a ZRANGEBYSCORE interval (zslParseRange(): strtod of the whole
 * text, "(" for an open bound, NaN refused, trailing bytes refused).
 * \param min the minimum's argument (NUL-terminated bulk string).
 * \param max the maximum's argument.
 * \param out receives the range (by_lex false).
 * \return 0; 1 when min is bad, 2 when max is (ZSET_ERR_SCORE_RANGE).
 */
int zset_score_range_parse(const resp_value *min, const resp_value *max,
                           pzset_range *out);

/**
 * Parse a ZRANGEBYLEX interval (zslParseLexRange(): "[" or "(" then the
 * bytes, or exactly "-" or "+").
 * \param min   the minimum's argument.
 * \param max   the maximum's argument.
 * \param out   receives the range (by_lex true; NULL bounds for - and +;
 *              members point into the arguments).
 * \param empty receives true when the range is empty whatever the set
 *              holds ("+" as the minimum or "-" as the maximum).
 * \return 0; 1 when min is bad, 2 when max is (ZSET_ERR_LEX_RANGE).
 */
int zset_lex_range_parse(const resp_value *min, const resp_value *max,
                         pzset_range *out, bool *empty);

/**
 * The ranks [*first, *end) a range covers in a set, empty ranges
 * included (see zset_lex_range_parse()'s empty).
 * \param z     the set.
 * \param r     the range.
 * \param empty the parser's emptiness flag (lex ranges), else false.
 * \param first receives the first rank.
 * \param end   receives the end rank.
 */
void zset_range_ranks(const pzset *z, const pzset_range *r, bool empty,
                      size_t *first, size_t *end);

/**
 * The ranks a lex range selects, [*first, *end), walked as Redis walks a
 * sorted set whose scores may differ (ZREMRANGEBYLEX; the reads walk with
 * zset_lex_read_ranks()):
 * forward from the first member >= min while members are <= max, or with
 * rev backward from the last member <= max while they are >= min; a set
 * Redis holds as a listpack gives nothing unless its last member is >= min
 * and its first <= max (zzlIsInLexRange()).  Equal to a search by member
 * when the scores are equal.  cmd_zset.c explains why.
 * \param z     the set.
 * \param r     a lex range (by_lex).
 * \param empty the parser's emptiness flag.
 * \param rev   walk from the end.
 * \param first receives the first rank.
 * \param end   receives one past the last.
 */
void zset_lex_walk_ranks(const pzset *z, const pzset_range *r, bool empty, bool rev,
                         size_t *first, size_t *end);

/**
 * The ranks a lex read selects (ZRANGEBYLEX, ZREVRANGEBYLEX, ZRANGE
 * BYLEX, ZRANGESTORE BYLEX), as genericZrangebylexCommand() walks a set
 * whose scores may differ: nothing unless the last member is >= min and
 * the first <= max (either encoding); from the first member >= min (with
 * rev the last <= max), nothing unless it is inside the other bound too;
 * then offset members skipped whatever they are (LIMIT's offset); then
 * members while inside the other bound.  Equal to a search by member when
 * the scores are equal.
 * \param z      the set.
 * \param r      a lex range (by_lex).
 * \param empty  the parser's emptiness flag.
 * \param rev    walk from the end.
 * \param offset members to skip first.
 * \param first  receives the first rank.
 * \param end    receives one past the last (the caller takes LIMIT's
 *               count from the near end).
 */
void zset_lex_read_ranks(const pzset *z, const pzset_range *r, bool empty,
                         bool rev, size_t offset, size_t *first, size_t *end);

/**
 * ZLEXCOUNT as zlexcountCommand() counts a set whose scores may differ:
 * a listpack counts from the first member of zset_lex_read_ranks() while
 * members are <= max; a skiplist subtracts ranks, from that first member
 * to the last one walked from the end (or to the end when that walk finds
 * none), counting whatever lies between.
 * \param z     the set.
 * \param r     a lex range (by_lex).
 * \param empty the parser's emptiness flag.
 * \return the count.
 */
size_t zset_lex_count(const pzset *z, const pzset_range *r, bool empty);

/**
 * Whether Redis holds this set as a listpack: pzset's flat form (which
 * follows Redis's limits while a set grows) of a set that has never been
 * a tree (Redis keeps a skiplist that shrinks; pzset_was_tree()).
 * \param z the set.
 * \return true for a listpack.
 */
bool zset_is_listpack(const pzset *z);

/**
 * Whether Redis keeps a set of n members, the longest maxlen bytes, as a
 * listpack (zset-max-listpack-entries 128, zset-max-listpack-value 64).
 * \param n      members.
 * \param maxlen the longest member's length.
 * \return true when it fits.
 */
bool zset_fits_listpack(size_t n, size_t maxlen);

/**
 * The score a listpack holds for s: a listpack keeps scores as text,
 * where -0 is written "0", so -0 becomes 0 (a skiplist keeps -0).
 * \param s the score.
 * \return s, or 0.0 for -0.
 */
double zset_listpack_score(double s);

/* ---- the algebra ---------------------------------------------------------- */

/** One input of a union, intersection or difference. */
typedef struct zset_src {
    const value *v; /**< a VALUE_ZSET, a VALUE_SET, or NULL (missing) */
    size_t len;     /**< its members (0 when missing) */
    double weight;  /**< WEIGHTS, 1 by default */
} zset_src;

/** Which operation. */
typedef enum zset_op { ZSET_OP_UNION, ZSET_OP_INTER, ZSET_OP_DIFF } zset_op;

/** AGGREGATE. */
typedef enum zset_agg { ZSET_AGG_SUM, ZSET_AGG_MIN, ZSET_AGG_MAX } zset_agg;

/**
 * Fill an input from a looked-up value (weight 1).
 * \param s the input.
 * \param v a VALUE_ZSET, a VALUE_SET (the caller checked the type), or
 *          NULL for a missing key.
 */
void zset_src_init(zset_src *s, const value *v);

/**
 * Compute Z{UNION,INTER,DIFF}[STORE] of the inputs.
 * \param src    the inputs, weights set; for union and intersection they
 *               are first sorted by size (the array is reordered).
 * \param n      how many, at least 1.
 * \param op     the operation.
 * \param agg    AGGREGATE (ignored for the difference).
 * \param stored true to build the set as Redis stores it (a result that
 *               fits a listpack has -0 turned into 0), false to keep the
 *               scores as Redis replies with them (ZUNION, ZINTER, ZDIFF
 *               reply from the skiplist they built).
 * \param out    receives the result, a VALUE_ZSET transient with no
 *               expiry, possibly empty (the caller's: value_free()).
 * \return 0, or -1 with errno ENOMEM (*out NULL).
 */
int zset_algebra(zset_src *src, size_t n, zset_op op, zset_agg agg,
                 bool stored, value **out);

#endif
