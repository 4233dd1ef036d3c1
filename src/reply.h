/* reply.h - replies in RESP2 or RESP3, chosen per connection.
 * Chapter 11.
 *
 * A Redis server speaks RESP2 until a client sends `HELLO 3`, and from then
 * on RESP3 to that client; a command's code should not care which.  So a
 * command writes its reply through a reply_buf, which wraps chapter 6's
 * resp_buf and remembers the protocol: reply_map() writes "%2" to a RESP3
 * client and "*4" to a RESP2 one, reply_double() ",1.5" or "$3\r\n1.5",
 * reply_null() "_" or "$-1".  Each function appends one whole element or
 * leaves the buffer's content as it was (-1: out of memory, or input that
 * cannot be written), so a reply is never cut in half.  Replies whose
 * length is known only at the end (SCAN, KEYS) reserve a header with
 * reply_defer_begin() and fill it in with reply_defer_end(), the way
 * redis/redis src/networking.c does with addReplyDeferredLen().
 *
 * Thread-safety: a reply_buf belongs to one connection and is used by one
 * thread at a time; the functions touch nothing else.
 */
#ifndef REPLY_H
#define REPLY_H

#include "resp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** An output buffer bound to a protocol version. */
typedef struct reply_buf {
    resp_buf out; /**< the bytes to send: out.data[0..out.len) */
    int proto;    /**< 2 or 3 */
} reply_buf;

/** What a deferred header turns into. */
typedef enum reply_defer_kind {
    REPLY_DEFER_ARRAY, /**< an array of n elements */
    REPLY_DEFER_MAP,   /**< a map of n pairs (RESP2: an array of 2n) */
    REPLY_DEFER_SET,   /**< a set of n elements (RESP2: an array) */
} reply_defer_kind;

/** A header reserved by reply_defer_begin(), not yet written. */
typedef struct reply_defer {
    size_t at;             /**< offset of the reserved bytes in out.data */
    reply_defer_kind kind; /**< what it will be */
} reply_defer;

/** Longest text reply_format_double() writes, without a NUL. */
#define REPLY_DOUBLE_MAX 32

/**
 * Initialise an empty buffer (allocates nothing).
 *
 * \param r     the buffer.
 * \param proto 2 or 3; anything else is taken as 2.
 */
void reply_init(reply_buf *r, int proto);

/**
 * Switch protocol, as `HELLO 3` does; what is already written stays.
 *
 * \param r     the buffer.
 * \param proto 2 or 3.
 * \return 0, or -1 if proto is neither (r unchanged).
 */
int reply_set_proto(reply_buf *r, int proto);

/**
 * Free the buffer's memory and make it empty (the protocol stays).
 *
 * \param r the buffer; may be NULL.
 */
void reply_free(reply_buf *r);

/**
 * Append a status reply, "+<s>\r\n" in both protocols.
 *
 * \param r the buffer.
 * \param s the text, NUL-terminated; no CR or LF.
 * \return 0, or -1 if s holds CR or LF or memory ran out (r unchanged).
 */
int reply_simple(reply_buf *r, const char *s);

/**
 * Append an error reply, "-<s>\r\n" in both protocols.
 *
 * \param r the buffer.
 * \param s the message with its code, e.g. "ERR syntax error"; no CR/LF.
 * \return 0, or -1 if s holds CR or LF or memory ran out (r unchanged).
 */
int reply_error(reply_buf *r, const char *s);

/**
 * Append an integer reply, ":<v>\r\n" in both protocols.
 *
 * \param r the buffer.
 * \param v the number.
 * \return 0, or -1 if out of memory (r unchanged).
 */
int reply_integer(reply_buf *r, int64_t v);

/**
 * Append a bulk string, "$<n>\r\n<bytes>\r\n" in both protocols.
 *
 * \param r the buffer.
 * \param p the bytes (binary-safe, copied); may be NULL when n is 0.
 * \param n their count.
 * \return 0, or -1 if out of memory (r unchanged).
 */
int reply_bulk(reply_buf *r, const void *p, size_t n);

/**
 * Append the null reply: RESP2 "$-1\r\n", RESP3 "_\r\n".
 *
 * \param r the buffer.
 * \return 0, or -1 if out of memory (r unchanged).
 */
int reply_null(reply_buf *r);

/**
 * Append the null array (BLPOP timing out, EXEC aborted): RESP2
 * "*-1\r\n", RESP3 "_\r\n".
 *
 * \param r the buffer.
 * \return 0, or -1 if out of memory (r unchanged).
 */
int reply_null_array(reply_buf *r);

/**
 * Append an array header, "*<n>\r\n"; the caller then writes n elements.
 *
 * \param r the buffer.
 * \param n the element count.
 * \return 0, or -1 if out of memory (r unchanged).
 */
int reply_array(reply_buf *r, size_t n);

/**
 * Append a map header: RESP3 "%<n>\r\n", RESP2 "*<2n>\r\n" (the flat
 * key, value, key, value array HGETALL has always sent).  The caller then
 * writes 2n elements.
 *
 * \param r the buffer.
 * \param n the number of key/value pairs.
 * \return 0, or -1 if 2n overflows or memory ran out (r unchanged).
 */
int reply_map(reply_buf *r, size_t n);

/**
 * Append a set header: RESP3 "~<n>\r\n", RESP2 "*<n>\r\n".
 *
 * \param r the buffer.
 * \param n the element count.
 * \return 0, or -1 if out of memory (r unchanged).
 */
int reply_set(reply_buf *r, size_t n);

/**
 * Append a push header (out-of-band data such as pub/sub messages): RESP3
 * "><n>\r\n", RESP2 "*<n>\r\n".
 *
 * \param r the buffer.
 * \param n the element count.
 * \return 0, or -1 if out of memory (r unchanged).
 */
int reply_push(reply_buf *r, size_t n);

/**
 * Format a double as Redis 7.0 replies with it: "inf", "-inf", "nan", or
 * else printf's "%.17g" (17 significant digits, enough to read back the
 * same double; Redis 7.0's addReplyDouble in redis/redis
 * src/networking.c; Redis 7.2 switched to the shortest round-tripping text).
 *
 * \param d   the number.
 * \param out receives the text and a NUL; REPLY_DOUBLE_MAX + 1 bytes.
 * \return the text's length.
 */
size_t reply_format_double(double d, char out[REPLY_DOUBLE_MAX + 1]);

/**
 * Append a double: RESP3 ",<text>\r\n", RESP2 the same text as a bulk
 * string, the text from reply_format_double().
 *
 * \param r the buffer.
 * \param d the number (any, inf and nan included).
 * \return 0, or -1 if out of memory (r unchanged).
 */
int reply_double(reply_buf *r, double d);

/**
 * Append a double already written as text, for the replies Redis formats
 * otherwise than reply_double() (GEOPOS coordinates: addReplyHumanLongDouble()
 * in redis/redis src/networking.c, "%.17Lf" without trailing zeros):
 * RESP3 ",<text>\r\n", RESP2 the text as a bulk string.  (Added for
 * server_geo.c: the smallest change that lets it match Redis's bytes.)
 *
 * \param r    the buffer.
 * \param text the number's text ("inf", "-inf", "nan" or decimal digits).
 * \param n    its length, at most REPLY_DOUBLE_MAX * 4.
 * \return 0, or -1 if the text is empty, too long or holds CR or LF, or
 *         memory ran out (r unchanged).
 */
int reply_double_text(reply_buf *r, const char *text, size_t n);

/**
 * Append a boolean: RESP3 "#t\r\n" or "#f\r\n", RESP2 ":1\r\n" or ":0\r\n".
 *
 * \param r the buffer.
 * \param v the value.
 * \return 0, or -1 if out of memory (r unchanged).
 */
int reply_bool(reply_buf *r, bool v);

/**
 * Append a verbatim string (INFO, LATENCY DOCTOR): RESP3
 * "=<n+4>\r\n<fmt>:<text>\r\n", RESP2 the text alone as a bulk string.
 *
 * \param r   the buffer.
 * \param fmt the format, exactly three bytes such as "txt" or "mkd",
 *            none of them ':', CR or LF; NUL-terminated.
 * \param p   the text (binary-safe, copied); may be NULL when n is 0.
 * \param n   its length.
 * \return 0, or -1 if fmt is not three such bytes or memory ran out
 *         (r unchanged).
 */
int reply_verbatim(reply_buf *r, const char *fmt, const void *p, size_t n);

/**
 * Append a big number: RESP3 "(<digits>\r\n", RESP2 the digits as a bulk
 * string.
 *
 * \param r the buffer.
 * \param digits an optional '-' then one or more decimal digits.
 * \param n      its length.
 * \return 0, or -1 if digits is not of that form or memory ran out
 *         (r unchanged).
 */
int reply_bignum(reply_buf *r, const char *digits, size_t n);

/**
 * Reserve room for an array, map or set header whose length is not known
 * yet; write the elements, then call reply_defer_end().
 *
 * \param r    the buffer.
 * \param d    receives the reservation (the caller's, no memory to free).
 * \param kind what the header will be.
 * \return 0, or -1 if out of memory (r unchanged).
 */
int reply_defer_begin(reply_buf *r, reply_defer *d, reply_defer_kind kind);

/**
 * Write a reserved header and close the gap left by its unused room.
 * Never allocates, so it cannot fail for want of memory.  Headers
 * deferred inside one another must be ended innermost first.
 *
 * \param r the buffer holding the reservation.
 * \param d the reservation from reply_defer_begin().
 * \param n the element count (for a map, the number of pairs).
 * \return 0, or -1 if a map's 2n overflows (r unchanged).
 */
int reply_defer_end(reply_buf *r, const reply_defer *d, size_t n);

#endif
