/* cmd_num.h - numbers as Redis reads and writes them: string2ll, ld2string.
 * Chapter 9.
 *
 * Commands that do arithmetic on stored strings (INCR, INCRBYFLOAT,
 * HINCRBY, HINCRBYFLOAT, ZINCRBY, SETRANGE offsets, BITFIELD values)
 * must accept exactly the texts Redis accepts and store exactly the text
 * Redis stores, or the replica's bytes differ from the master's.  The
 * rules are all in redis/redis src/util.c (7.0.15); this file is the one
 * place that restates them, so every command family shares them.
 *
 * Integers (string2ll()).  A 64-bit integer is an optional '-', then
 * either the single digit 0 or a digit 1-9 followed by digits, and
 * nothing else, within [-9223372036854775808, 9223372036854775807].  So
 * "-0", "01", "+1", " 1", "1 ", "" and "9223372036854775808" are all
 * refused, and any text of 21 bytes or more is refused before it is
 * read.  The accepted texts are exactly those ll2string() writes, so a
 * value that parses also prints back to the same bytes: that is why
 * Redis may keep such a string as an integer (its "int" encoding, for
 * strings of at most 20 bytes that string2l() accepts) and why
 * rdbTryIntegerEncoding() may save one as an RDB integer, without any
 * client ever seeing a different string.  The edge values are
 * "9223372036854775807", "-9223372036854775808" (20 bytes, the longest
 * text accepted) and "0".
 *
 * Long doubles (string2ld()).  strtold() on the whole text: refused when
 * empty, 5120 bytes or longer, starting with white space, not entirely
 * consumed, NaN, or overflowing/underflowing (ERANGE with a result of
 * +-HUGE_VAL or zero).  "inf", "-inf", "1e10", "0x1p3", ".5", "+1" and
 * "1." are accepted.  Doubles (string2d(), scores) follow the same rules
 * with strtod().
 *
 * Long double text (ld2string()).  LD_STR_HUMAN, what INCRBYFLOAT and
 * HINCRBYFLOAT store: printf "%.17Lf" (fixed point, 17 decimals, of an
 * x87 80-bit long double on x86-64, as the master computes), then
 * trailing zeros after the '.' removed, then the '.' itself if nothing
 * follows it, and "-0" becomes "0".  So 1.5e3 is stored as "1500",
 * 10.5 + 0.1 as "10.6", and 3.0000000000000001 stays
 * "3.0000000000000001" (a long double has 64 bits of mantissa: the 17th
 * decimal survives, as it would not in a double).  Infinities print as "inf" and
 * "-inf" (INCRBYFLOAT never stores them: it refuses the increment).
 * LD_STR_AUTO is "%.17Lg".
 *
 * Doubles (d2string()), what Redis 7.0 replies for scores: "nan", "inf",
 * "-inf", "0" or "-0" for zeros, an integer with no decimals when the
 * value is integral and within +-(LLONG_MAX / 2) (double2ll()), else
 * "%.17g".
 *
 * Thread-safety: every function is reentrant.
 */
#ifndef CMD_NUM_H
#define CMD_NUM_H

#include <stdbool.h>
#include <stddef.h>

/** Room for any long long as text, with its NUL (Redis's LONG_STR_SIZE). */
#define CMD_NUM_LL_SIZE 21
/** Room for any long double as text, with its NUL (Redis's
 *  MAX_LONG_DOUBLE_CHARS); also the longest input string2ld() reads. */
#define CMD_NUM_LD_SIZE (5 * 1024)
/** Room for any double as d2string() writes it, with its NUL
 *  (Redis's MAX_D2STRING_CHARS). */
#define CMD_NUM_D_SIZE 128

/** How cmd_num_ld2string() writes (Redis's ld2string_mode). */
typedef enum cmd_num_ld_mode {
    CMD_NUM_LD_AUTO = 0,  /**< "%.17Lg" (LD_STR_AUTO) */
    CMD_NUM_LD_HUMAN = 1, /**< "%.17Lf", trailing zeros and '.' removed,
                               "-0" as "0" (LD_STR_HUMAN) */
} cmd_num_ld_mode;

/**
 * Parse a 64-bit integer exactly as Redis's string2ll().
 * \param s   the text (need not be NUL-terminated; may be NULL when len
 *            is 0).
 * \param len its length.
 * \param out receives the number (may be NULL to only check).
 * \return true when the whole text is a canonical integer in range.
 */
bool cmd_num_string2ll(const char *s, size_t len, long long *out);

/**
 * Write a 64-bit integer as Redis's ll2string() (plain decimal, '-' for
 * negatives).
 * \param buf receives the text and a NUL.
 * \param sz  its size; CMD_NUM_LL_SIZE is always enough.
 * \param v   the number.
 * \return the length written (without the NUL), or 0 when sz is too small
 *         (buf then holds "" if sz > 0).
 */
size_t cmd_num_ll2string(char *buf, size_t sz, long long v);

/**
 * Parse a long double exactly as Redis's string2ld() (INCRBYFLOAT,
 * HINCRBYFLOAT; see the file comment for what is refused).
 * \param s   the text (need not be NUL-terminated).
 * \param len its length.
 * \param out receives the number (may be NULL).
 * \return true when accepted.
 */
bool cmd_num_string2ld(const char *s, size_t len, long double *out);

/**
 * Parse a double as Redis 7.0 reads scores and float arguments
 * (getDoubleFromObject(): strtod() over the whole text, no leading white
 * space, NaN and overflow refused, "inf" accepted).
 * \param s   the text (need not be NUL-terminated).
 * \param len its length.
 * \param out receives the number (may be NULL).
 * \return true when accepted.
 */
bool cmd_num_string2d(const char *s, size_t len, double *out);

/**
 * Write a long double as Redis's ld2string().
 * \param buf  receives the text and a NUL.
 * \param sz   its size; CMD_NUM_LD_SIZE is always enough.
 * \param v    the number (NaN prints as printf prints it; Redis never
 *             stores one).
 * \param mode CMD_NUM_LD_HUMAN or CMD_NUM_LD_AUTO.
 * \return the length written, or 0 when sz is too small.
 */
size_t cmd_num_ld2string(char *buf, size_t sz, long double v,
                         cmd_num_ld_mode mode);

/**
 * Write a double as Redis 7.0's d2string() (see the file comment).
 * \param buf receives the text and a NUL.
 * \param sz  its size; CMD_NUM_D_SIZE is always enough.
 * \param v   the number.
 * \return the length written, or 0 when sz is too small.
 */
size_t cmd_num_d2string(char *buf, size_t sz, double v);

#endif
