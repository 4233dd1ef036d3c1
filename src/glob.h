/* glob.h - Redis's glob patterns, for KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET.
 * Chapter 11.
 *
 * Redis matches keys, channels and configuration names with one small
 * pattern language (redis/redis src/util.c stringmatchlen()): `*` any run
 * of bytes, `?` one byte, `[abc]`, `[^abc]` and `[a-z]` classes, and `\`
 * to take the next byte literally.  Patterns and subjects are byte
 * strings, not C strings: a key may hold NUL bytes.  The matcher here is
 * a backtracking one that remembers only the last `*`, which keeps the
 * cost at O(pattern x subject) in the worst case instead of exponential.
 *
 * Thread-safety: pure functions.
 */
#ifndef GLOB_H
#define GLOB_H

#include <stdbool.h>
#include <stddef.h>

/**
 * Does the subject match the pattern?
 * \param pat    pattern bytes.
 * \param plen   pattern length.
 * \param s      subject bytes.
 * \param slen   subject length.
 * \param nocase compare letters case-insensitively (CONFIG GET does).
 * \return true on a match.  A `[` without its `]` matches the rest of the
 *         pattern as a class, and a trailing `\` matches a `\`, as Redis.
 */
bool glob_match(const char *pat, size_t plen, const char *s, size_t slen,
                bool nocase);

/**
 * Is the pattern a plain string (no `*`, `?`, `[` or `\`)?  SCAN and KEYS
 * then look the one key up instead of walking the keyspace.
 * \param pat  pattern bytes.
 * \param plen its length.
 * \return true when it has no special byte.
 */
bool glob_is_literal(const char *pat, size_t plen);

#endif
