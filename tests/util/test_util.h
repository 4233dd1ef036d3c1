/* test_util.h - assertions and knobs shared by every suite.
 *
 * Check's own assertions print numbers and C strings; protocol and storage
 * tests compare byte strings that hold NUL, CR, LF and 0xFF.  The byte
 * assertion here prints both sides escaped, with their lengths, so a failure
 * says exactly what differed.  test_scale() lets slow runs (Valgrind, TSan)
 * shrink loop counts without each test inventing its own variable.
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <check.h>
#include <stddef.h>

/**
 * Write a printable, C-escaped rendering of bytes into out.
 *
 * \param out    destination buffer; always NUL-terminated.
 * \param outsz  size of out; output that does not fit ends with "...".
 * \param p      bytes to render (may be NULL when len is 0).
 * \param len    number of bytes.
 * \return out.
 */
char *test_escape(char *out, size_t outsz, const void *p, size_t len);

/**
 * Fail the current test unless two byte strings are equal; the message shows
 * both escaped, with lengths.  Used through ck_assert_bytes_eq().
 */
void test_assert_bytes(const char *file, int line, const char *what,
                       const void *actual, size_t alen,
                       const void *expected, size_t elen);

/** Assert that (actual, alen) equals (expected, elen), bytes escaped. */
#define ck_assert_bytes_eq(actual, alen, expected, elen) \
    test_assert_bytes(__FILE__, __LINE__, #actual, (actual), (alen), \
                      (expected), (elen))

/** Assert that a byte string equals a C string literal. */
#define ck_assert_bytes_str(actual, alen, lit) \
    ck_assert_bytes_eq((actual), (alen), (lit), sizeof(lit) - 1)

/**
 * Scale a loop count for the current run mode.
 *
 * Returns n multiplied by the TEST_SCALE environment variable (default 1;
 * `make valgrind` and `make tsan` set it below 1), never less than min.
 */
long test_scale(long n, long min);

/**
 * Make a test case with a timeout, so that a deadlock fails instead of
 * hanging.  The timeout is multiplied by CK_TIMEOUT_MULTIPLIER as usual.
 */
TCase *test_tcase(const char *name, double timeout_s);

#endif
