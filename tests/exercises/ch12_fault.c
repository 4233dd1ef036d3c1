/* ch12_fault.c - tests for exercise 12.2 (exercises/ch12/fault_ex.c).
 *
 * The fault runs inside real consistency runs (cc_run(), a redis-server
 * master, build/replica following it), with the master as cc_run()
 * starts it: repl-diskless-sync yes, no delay, so a fault that does not
 * switch to disk itself sends the snapshot to the replica's socket.  A
 * wrapper checks from outside what the fault claims: the master counted
 * exactly one more full resync, its log since the fault began holds the
 * "target: disk" line and no "replicas sockets" line, and the two
 * settings are what they were before the call (the settings test first
 * sets a backlog of 2 MB, so that a fault that "restores" cc_run()'s
 * values from memory is caught too).  The run must then end with the
 * replica equal to the master.  Last, the fault against a master with no
 * replica connected (a process that only waits stands in for it): -1, a
 * reason that says so, the stand-in running, the settings untouched.
 */
#include "fault_ex.h"
#include "cc_dump.h"
#include "redis_server.h"
#include "resp_client.h"
#include "test_util.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HINT "exercise 12.2: write cc_fault_disk_resync in exercises/ch12/fault_ex.c"

/** The settings the fault changes. */
static const char *const names[CC_DISK_NSETTINGS] = {"repl-diskless-sync",
                                                     "repl-backlog-size"};
/** What cc_run() starts its master with (diskless, a 1 MB backlog). */
static const char *const run_values[CC_DISK_NSETTINGS] = {"yes", "1048576"};
/** What the settings test and the no-replica test set before the fault:
 *  still diskless, but a backlog no one would restore from memory. */
static const char *const preset[CC_DISK_NSETTINGS] = {"yes", "2097152"};

/* CONFIG GET name on port into out ("?" on failure). */
static void config_get(int port, const char *name, char *out, size_t outsz)
{
    resp_client c;
    resp_value v = {0};
    snprintf(out, outsz, "?");
    if (cc_client_open(&c, port, 10000) == 0 &&
        resp_client_calll(&c, &v, "CONFIG", "GET", name, NULL) == 0 &&
        v.type == RESP_ARRAY && v.len == 2 && v.elems[1].type == RESP_BULK)
        snprintf(out, outsz, "%s", v.elems[1].str);
    resp_value_clear(&v);
    resp_client_close(&c);
}

/* CONFIG SET each of names to values; 0 or -1 with err set. */
static int config_set_all(int port, const char *const *values, char *err, size_t errsz)
{
    resp_client c;
    int rc = 0;
    if (cc_client_open(&c, port, 10000) != 0) {
        snprintf(err, errsz, "port %d: %s", port, c.err);
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < CC_DISK_NSETTINGS; i++) {
        resp_value v = {0};
        if (resp_client_calll(&c, &v, "CONFIG", "SET", names[i], values[i], NULL) != 0 ||
            v.type != RESP_SIMPLE) {
            snprintf(err, errsz, "CONFIG SET %s %s: %s", names[i], values[i],
                     v.type == RESP_ERROR ? v.str : c.err);
            rc = -1;
        }
        resp_value_clear(&v);
    }
    resp_client_close(&c);
    return rc;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Lines of the file from byte `from` on that hold `needle`. */
static int count_lines(const char *path, long from, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int n = 0;
    char buf[1024];
    if (fseek(f, from, SEEK_SET) == 0)
        while (fgets(buf, sizeof buf, f) != NULL)
            n += strstr(buf, needle) != NULL;
    fclose(f);
    return n;
}

/** What the wrapper saw, for the test to assert on (one run per test
 *  process: Check forks each test). */
static struct seen {
    int calls, ok;                /**< fault calls, and those returning 0 */
    long long full_delta;         /**< sync_full after minus before, last call */
    int disk_lines, sockets_lines; /**< master log lines since the call began */
    char before[CC_DISK_NSETTINGS][64]; /**< the settings before the call */
    char after[CC_DISK_NSETTINGS][64];  /**< the settings after the call */
    char fault_err[512];          /**< the last failure's reason */
} seen;

/** Whether the wrapper sets preset[] before the fault (the settings test). */
static int use_preset;

static int checked_fault(cc_env *env, char *err, size_t errsz)
{
    char path[300];
    snprintf(path, sizeof path, "%s/redis.log", env->master.dir);
    long long before = 0, after = 0;
    if ((use_preset && config_set_all(env->master.port, preset, err, errsz) != 0) ||
        cc_info_ll(env->master.port, "stats", "sync_full", &before, err, errsz) != 0)
        return -1;
    long from = file_size(path);
    for (int i = 0; i < CC_DISK_NSETTINGS; i++)
        config_get(env->master.port, names[i], seen.before[i], sizeof seen.before[i]);
    seen.calls++;
    int rc = cc_fault_disk_resync(env, err, errsz);
    if (rc == 0)
        seen.ok++;
    else
        snprintf(seen.fault_err, sizeof seen.fault_err, "%s", err);
    for (int i = 0; i < CC_DISK_NSETTINGS; i++)
        config_get(env->master.port, names[i], seen.after[i], sizeof seen.after[i]);
    char why[256];
    if (cc_info_ll(env->master.port, "stats", "sync_full", &after, why, sizeof why) == 0)
        seen.full_delta = after - before;
    seen.disk_lines = count_lines(path, from < 0 ? 0 : from,
                                  "Starting BGSAVE for SYNC with target: disk");
    seen.sockets_lines = count_lines(path, from < 0 ? 0 : from,
                                     "Starting BGSAVE for SYNC with target: "
                                     "replicas sockets");
    if (config_set_all(env->master.port, run_values, why, sizeof why) != 0 && rc == 0) {
        snprintf(err, errsz, "after the fault: %s", why);
        rc = -1;
    }
    return rc;
}

static const cc_fault disk_table[] = {
    {"disk-resync", "a full resync with the snapshot saved to disk and sent with "
     "its length", checked_fault},
};

/* One run: ops commands in batches of batch, the fault between them. */
static void run_with_fault(size_t ops, size_t batch, int preset_first,
                           cc_report *rep)
{
    cc_run_opts o;
    cc_run_opts_default(&o);
    o.seed = 12;
    o.ops = ops;
    o.batch = batch;
    o.faults = disk_table;
    o.nfaults = 1;
    char err[1024] = "";
    memset(&seen, 0, sizeof seen);
    use_preset = preset_first;
    int rc = cc_run(&o, rep, err, sizeof err);
    ck_assert_msg(rc == 0, "cc_run: %s; " HINT, err);
    ck_assert_msg(rep->faults >= 1, "no fault was injected");
    ck_assert_int_eq(seen.ok, (int)rep->faults);
}

START_TEST(replica_equal_after_disk_resync)
{
    cc_report rep;
    run_with_fault(2000, 1000, 0, &rep);
    ck_assert_msg(seen.full_delta == 1, "the master counted %lld full resyncs "
                  "during the fault, not one (a partial resync is not the "
                  "fault); " HINT, seen.full_delta);
    ck_assert_msg(seen.sockets_lines == 0, "the master streamed the snapshot to "
                  "the replica's socket (repl-diskless-sync was \"yes\" before "
                  "the fault; the fault must set it to \"no\"); " HINT);
    ck_assert_msg(seen.disk_lines == 1, "%d \"" CC_DISK_LOG_LINE "\" lines in "
                  "the master's log during the fault, not one; " HINT,
                  seen.disk_lines);
    ck_assert_msg(rep.differences == 0, "%zu differences after the disk "
                  "resync", rep.differences);
    ck_assert_uint_ge(rep.comparisons, 1);
}
END_TEST

START_TEST(master_settings_restored)
{
    cc_report rep;
    run_with_fault(200, 100, 1, &rep);
    for (int i = 0; i < CC_DISK_NSETTINGS; i++) {
        ck_assert_msg(strcmp(seen.before[i], preset[i]) == 0, "the wrapper set "
                      "%s to \"%s\", the master has \"%s\"", names[i], preset[i],
                      seen.before[i]);
        ck_assert_msg(strcmp(seen.after[i], preset[i]) == 0, "after the fault the "
                      "master's %s is \"%s\", it was \"%s\" before; " HINT,
                      names[i], seen.after[i], preset[i]);
    }
}
END_TEST

/* A child that only waits, and dies with the test. */
static pid_t stand_in(void)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (;;)
            pause();
    }
    return pid;
}

/* The state letter of /proc/<pid>/stat, '?' if unreadable. */
static char state_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    return p != NULL && p[1] == ' ' ? p[2] : '?';
}

START_TEST(no_replica_connected)
{
    cc_env env;
    char err[512] = "";
    memset(&env, 0, sizeof env);
    ck_assert_msg(redis_server_start(&env.master, NULL, err, sizeof err) == 0,
                  "redis-server: %s", err);
    ck_assert_msg(config_set_all(env.master.port, preset, err, sizeof err) == 0,
                  "%s", err);
    env.replica_pid = stand_in();
    env.replica_port = env.master.port; /* nothing else listens for it */
    err[0] = '\0';
    int rc = cc_fault_disk_resync(&env, err, sizeof err);
    char after[CC_DISK_NSETTINGS][64];
    for (int i = 0; i < CC_DISK_NSETTINGS; i++)
        config_get(env.master.port, names[i], after[i], sizeof after[i]);
    char state = '?';
    for (int i = 0; i < 200 && (state = state_of(env.replica_pid)) == 'T'; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    kill(env.replica_pid, SIGKILL);
    waitpid(env.replica_pid, NULL, 0);
    redis_server_stop(&env.master);
    ck_assert_msg(rc == -1, "no replica is connected, yet the fault returned %d", rc);
    ck_assert_msg(strcmp(err, "not written yet") != 0, HINT);
    ck_assert_msg(strstr(err, "replica") != NULL, "the reason \"%s\" does not "
                  "name the replica", err);
    ck_assert_msg(state != 'T', "the stand-in replica was left stopped");
    for (int i = 0; i < CC_DISK_NSETTINGS; i++)
        ck_assert_msg(strcmp(after[i], preset[i]) == 0, "after the failed fault "
                      "the master's %s is \"%s\", it was \"%s\" before; " HINT,
                      names[i], after[i], preset[i]);
}
END_TEST

Suite *ex12_fault_suite(void)
{
    Suite *s = suite_create("ex12_fault");
    TCase *tc = test_tcase("no-replica", 60);
    tcase_add_test(tc, no_replica_connected);
    suite_add_tcase(s, tc);
    tc = test_tcase("consistency", 240);
    tcase_add_test(tc, replica_equal_after_disk_resync);
    tcase_add_test(tc, master_settings_restored);
    suite_add_tcase(s, tc);
    return s;
}
