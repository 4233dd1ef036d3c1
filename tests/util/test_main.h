/* test_main.h - the shared main() of every chapter's test program.
 *
 * Each chapter's program is generated (tests/util/gen-main.sh) as a list of
 * suite constructors handed to test_main(), which runs them with Check and
 * prints the score line that tests/util/run-suites.sh adds up.  Keeping the
 * runner here means a chapter adds a test file and nothing else.
 */
#ifndef TEST_MAIN_H
#define TEST_MAIN_H

#include <check.h>

/** Exit status of a test program that ran no test at all (see test_main). */
#define TEST_MAIN_NOTHING_RAN 2

/** A function that builds one Check suite. */
typedef Suite *suite_fn(void);

/**
 * Run every suite in a NULL-terminated list and print a score line.
 *
 * Honours Check's environment (CK_RUN_SUITE, CK_RUN_CASE, CK_FORK,
 * CK_VERBOSITY, CK_TIMEOUT_MULTIPLIER).
 *
 * \param label  chapter label printed in the score line, e.g. "ch01".
 * \param suites NULL-terminated array of suite constructors.
 * \return 0 if every test passed, 1 if any failed, TEST_MAIN_NOTHING_RAN (2)
 *         if no test ran (every suite filtered out by CK_RUN_SUITE or
 *         CK_RUN_CASE, or no suites): running nothing is never a pass.
 *         For use as the exit status of main().
 */
int test_main(const char *label, suite_fn *const suites[]);

#endif
