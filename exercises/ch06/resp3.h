/* resp3.h - exercise 6.1: decode the header lines of RESP3's new types.
 *
 * RESP3 (sent after "HELLO 3") keeps every RESP2 type and adds more.  Most
 * of the new ones are a single line, like RESP2's integers: a type byte,
 * some text, CR LF.  The aggregates (map, set, push) are a count, like an
 * array, followed by that many values (a map's count is of pairs, so 2n
 * values follow).  Lines come from resp_read_line() (src/resp.h), which
 * already handles splits, CR LF and the line limit; this function decodes
 * one line it returned.
 */
#ifndef EX06_RESP3_H
#define EX06_RESP3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** What a RESP3 line announces. */
typedef enum resp3_kind {
    R3_SIMPLE,  /**< "+text": text/text_len */
    R3_INTEGER, /**< ":123": integer */
    R3_NULL,    /**< "_" (nothing may follow the underscore) */
    R3_BOOLEAN, /**< "#t" or "#f": boolean */
    R3_DOUBLE,  /**< ",3.14", ",-1e10", ",inf", ",-inf", ",nan": dbl */
    R3_BIGNUM,  /**< "(12345678901234567890123": digits in text/text_len,
                     an optional leading '-' included */
    R3_ARRAY,   /**< "*n": n values follow (count = n) */
    R3_MAP,     /**< "%n": n key-value pairs follow (count = 2n) */
    R3_SET,     /**< "~n": n values follow (count = n) */
    R3_PUSH,    /**< ">n": n values follow (count = n) */
} resp3_kind;

/** One decoded line. */
typedef struct resp3_item {
    resp3_kind kind;  /**< which fields below mean something */
    bool boolean;     /**< R3_BOOLEAN */
    double dbl;       /**< R3_DOUBLE */
    int64_t integer;  /**< R3_INTEGER */
    uint64_t count;   /**< aggregates: how many values follow */
    const char *text; /**< R3_SIMPLE, R3_BIGNUM: points into the line */
    size_t text_len;  /**< its length */
} resp3_item;

/**
 * Decode one line (without its CR LF).
 *
 * \param line   the line, e.g. ",3.14"; not necessarily NUL-terminated.
 * \param len    its length.
 * \param out    receives the item on success.
 * \param err    on failure receives a message naming what was wrong.
 * \param errlen size of err.
 * \return 0, or -1 on an empty line, an unknown type byte, or a malformed
 *         value (a boolean other than t/f, a double strtod cannot read in
 *         full, a bignum with a non-digit, a negative or non-numeric count,
 *         anything after "_").
 */
int resp3_decode_line(const char *line, size_t len, resp3_item *out,
                      char *err, size_t errlen);

#endif
