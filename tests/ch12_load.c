/* ch12_load.c - chapter 12: the load test program, run short.
 *
 * build/load-test is a program, not a suite (it runs for a minute and
 * prints a report), so this suite runs it the way `make load` does, for a
 * few seconds, against the replica program of the same build mode (the
 * ThreadSanitizer replica under `make tsan`), and checks what a reader of
 * its report relies on: exit status 0, every report line there, a full
 * sync forced and counted by the master.  The negative cases check that
 * it can fail: a replica that does not start and a bad flag are each one
 * clear line and a non-zero exit, never a hang or a PASS.
 *
 * Under Valgrind only this suite runs under the tool; the two programs it
 * starts run natively (no --trace-children), so the run stays seconds.
 */
#include "test_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#ifndef LOAD_TEST_PATH
#define LOAD_TEST_PATH "build/load-test"
#endif
#ifndef REPLICA_PATH
#define REPLICA_PATH "build/replica"
#endif

static char out[1 << 16];

/* Run a shell command; its stdout and stderr into out; its exit status. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "popen %s: %s", cmd, strerror(errno));
    size_t len = 0, got;
    char sink[4096];
    while ((got = fread(len + 1 < sizeof out ? out + len : sink, 1,
                        len + 1 < sizeof out ? sizeof out - 1 - len
                                             : sizeof sink, p)) > 0)
        if (len + 1 < sizeof out)
            len += got;
    out[len] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(a_short_run_passes_and_reports)
{
    /* 3 s in a release run; TSan and Valgrind runs scale TEST_SCALE down
     * to the 2 s floor.  A full sync forced every second, one required. */
    long secs = test_scale(3, 2);
    int rc = run("%s --replica %s --duration %ld --sync-every 1 "
                 "--min-full-syncs 1 --clients 8 --threads 2 --writers 1 "
                 "--keys 6 --large 2 --timeout-ms 60000", LOAD_TEST_PATH,
                 REPLICA_PATH, secs);
    ck_assert_msg(rc == 0, "load-test exited %d:\n%s", rc, out);
    static const char *const lines[] = {
        "read commands in the server's tables, all generated",
        "first sync done", "load: overall ", "load: throughput: ",
        "load: lag: ", "load: full syncs: ", "load: errors: ",
        "unexpected 0, malformed 0, wrong reply type 0",
        "load: replica: exit status 0, ThreadSanitizer warnings 0",
        "load: PASS",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        ck_assert_msg(strstr(out, lines[i]) != NULL,
                      "no '%s' in the report:\n%s", lines[i], out);
    ck_assert_msg(strstr(out, "load: FAIL") == NULL, "%s", out);
    /* a group row has a non-zero request count */
    const char *g = strstr(out, "load: overall ");
    ck_assert_int_gt(strtol(g + strlen("load: overall "), NULL, 10), 0);
    const char *f = strstr(out, "load: full syncs: ");
    ck_assert_int_ge(strtol(f + strlen("load: full syncs: "), NULL, 10), 1);
}
END_TEST

START_TEST(a_replica_that_does_not_start_fails)
{
    int rc = run("%s --replica /nonexistent/replica --duration 1",
                 LOAD_TEST_PATH);
    ck_assert_msg(rc == 1, "exit %d:\n%s", rc, out);
    ck_assert_msg(strstr(out, "load: FAIL: replica: /nonexistent/replica "
                              "exited at start") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "exec /nonexistent/replica") != NULL, "%s",
                  out);
    ck_assert_ptr_null(strstr(out, "load: PASS"));
}
END_TEST

START_TEST(a_bad_flag_is_named)
{
    int rc = run("%s --duration soon", LOAD_TEST_PATH);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(out, "load-test: --duration: not a number >= 0: "
                              "'soon'") != NULL, "%s", out);
    rc = run("%s --frobnicate 1", LOAD_TEST_PATH);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(out, "unknown flag '--frobnicate'") != NULL, "%s",
                  out);
}
END_TEST

Suite *ch12_load_suite(void)
{
    Suite *s = suite_create("ch12_load");
    TCase *tc = test_tcase("program", 240);
    tcase_add_test(tc, a_short_run_passes_and_reports);
    tcase_add_test(tc, a_replica_that_does_not_start_fails);
    tcase_add_test(tc, a_bad_flag_is_named);
    suite_add_tcase(s, tc);
    return s;
}
