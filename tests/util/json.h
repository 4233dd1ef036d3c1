/* json.h - a small JSON reader for tests (expected-output files).
 *
 * Parses a whole document into a tree.  Numbers keep their source text
 * (so 18446744073709551615 and millisecond timestamps compare exactly) as
 * well as a double.  Strings are decoded to bytes (\uXXXX to UTF-8,
 * surrogate pairs joined) and may hold NUL.  Object members keep file
 * order.  Not a general-purpose library: no streaming, depth limit 64.
 */
#ifndef TEST_JSON_H
#define TEST_JSON_H

#include <stdbool.h>
#include <stddef.h>

/** Kinds of JSON value. */
typedef enum json_type {
    JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT
} json_type;

/** A JSON value. */
typedef struct json {
    json_type type;      /**< kind */
    bool b;              /**< JSON_BOOL */
    double num;          /**< JSON_NUMBER, as a double */
    char *str;           /**< JSON_STRING bytes, or JSON_NUMBER text */
    size_t len;          /**< bytes in str */
    size_t n;            /**< JSON_ARRAY / JSON_OBJECT: members */
    struct json **items; /**< the members' values */
    char **keys;         /**< JSON_OBJECT: member names (NUL-terminated) */
    size_t *keylens;     /**< their lengths */
} json;

/**
 * Parse a document.
 * \param text  the JSON text.
 * \param len   its length.
 * \param err   receives a message with the offset on failure.
 * \param errsz size of err.
 * \return the tree (free with json_free()), or NULL.
 */
json *json_parse(const char *text, size_t len, char *err, size_t errsz);

/** Free a tree.  \param j the tree, or NULL. */
void json_free(json *j);

/**
 * Member of an object by name.
 * \param j   an object (anything else gives NULL).
 * \param key the name.
 * \return the member's value, or NULL if absent.
 */
const json *json_get(const json *j, const char *key);

/**
 * Whether a value is a string equal to a C string.
 * \param j the value (may be NULL).
 * \param s the C string.
 * \return true if j is a string with exactly those bytes.
 */
bool json_is_str(const json *j, const char *s);

#endif
