/* test_main.c - run a chapter's Check suites and print its score line. */
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>

/* The value of an environment variable, or "" when it is not set. */
static const char *env_or_empty(const char *name)
{
    const char *v = getenv(name);
    return v != NULL ? v : "";
}

int test_main(const char *label, suite_fn *const suites[])
{
    SRunner *sr = srunner_create(NULL);
    for (size_t i = 0; suites[i] != NULL; i++)
        srunner_add_suite(sr, suites[i]());
    srunner_run_all(sr, CK_ENV);
    int run = srunner_ntests_run(sr);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    printf("SCORE %s: %d passed, %d failed\n", label, run - failed, failed);
    if (run == 0) {
        /* Nothing ran: a wrong CK_RUN_SUITE / CK_RUN_CASE, or a program
         * with no suites.  That is not a pass; run-suites.sh tells the two
         * apart by this exit status and lists what could have matched. */
        fprintf(stderr, "%s: no test ran (CK_RUN_SUITE=\"%s\", "
                "CK_RUN_CASE=\"%s\")\n", label, env_or_empty("CK_RUN_SUITE"),
                env_or_empty("CK_RUN_CASE"));
        return TEST_MAIN_NOTHING_RAN;
    }
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
