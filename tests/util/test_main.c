/* test_main.c - run a chapter's Check suites and print its score line. */
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>

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
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
