/* value.h - what the store keeps under a key: a Redis value and its expiry.
 *
 * A value is immutable once it is stored.  That single rule is what lets the
 * copy-on-write stores of chapters 3 and 5 share one value between many
 * snapshots, and what lets a reader keep using a value pointer for the whole
 * of its read-side critical section while the writer replaces the key.  To
 * change a key the writer builds a new value and stores it; the old one is
 * freed by the store once no reader can hold it.
 *
 * Chapter 1 needs only strings.  The type tag is there from the start so that
 * chapter 7 can add lists, hashes, sets, sorted sets and streams without
 * touching the store interface.
 *
 * Expiry is absolute Unix time in milliseconds, as the master sends it.  A
 * replica never deletes a key on its own clock (the master's DEL does that);
 * readers simply treat an expired key as missing (see value_is_expired()).
 */
#ifndef VALUE_H
#define VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The expire_ms of a value that never expires. */
#define VALUE_NO_EXPIRY INT64_C(-1)

/** The Redis type of a value. */
typedef enum value_type {
    VALUE_STRING = 0, /**< a byte string (Redis "string") */
} value_type;

/* [ch01-value] */
/** A stored value.  Immutable once handed to a store. */
typedef struct value {
    value_type type;   /**< which member of u is valid */
    int64_t expire_ms; /**< absolute Unix ms, or VALUE_NO_EXPIRY */
    union {
        /** VALUE_STRING: len bytes, NUL-terminated for convenience. */
        struct {
            size_t len;           /**< length in bytes, NUL excluded */
            unsigned char *bytes; /**< points just past the struct */
        } str;
    } u;               /**< the payload, by type */
} value;
/* [ch01-value] */

/**
 * Make a string value.
 *
 * The bytes are copied into the same allocation as the value, followed by a
 * NUL byte that is not counted in the length.
 *
 * \param bytes     the string; may be NULL when len is 0.
 * \param len       its length; any bytes allowed, NUL and 0xFF included.
 * \param expire_ms absolute Unix time in ms, or VALUE_NO_EXPIRY.
 * \return a new value owned by the caller (free with value_free() or hand
 *         it to a store), or NULL if out of memory.
 *
 * Thread-safety: safe from any thread.
 */
value *value_new_string(const void *bytes, size_t len, int64_t expire_ms);

/**
 * Free a value and everything it owns.
 *
 * \param v the value; NULL is allowed and does nothing.
 *
 * Thread-safety: the caller must be the only one still able to reach v.
 */
void value_free(value *v);

/**
 * Whether a value has expired at the given time.
 *
 * A key expires at exactly expire_ms, as in Redis: at now_ms == expire_ms it
 * is already gone.
 *
 * \param v      the value.
 * \param now_ms current Unix time in ms.
 * \return true if v has an expiry and it is <= now_ms.
 */
bool value_is_expired(const value *v, int64_t now_ms);

/**
 * Heap bytes owned by a value (its struct included), for memory accounting.
 *
 * \param v the value.
 * \return the bytes requested from malloc for v.
 */
size_t value_bytes(const value *v);

/**
 * Current Unix time in milliseconds (CLOCK_REALTIME), the clock Redis
 * expiries are measured against.
 *
 * \return milliseconds since 1970-01-01 UTC.
 */
int64_t value_now_ms(void);

#endif
