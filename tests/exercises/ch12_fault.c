/* ch12_fault.c - tests for exercise 12.2 (exercises/ch12/fault_ex.c).
 *
 * First the fault alone, against a real redis-server master and a child
 * process standing in for the replica, watched by a thread that reads
 * the child's /proc/<pid>/stat every millisecond or so: the child must be
 * seen stopped, the call must last the whole pause, the master must have
 * been written to meanwhile, and the child must run again afterwards.
 * Then the fault must put things back when a step fails: the master shut
 * down in the middle of the pause (the watcher does it as soon as it
 * sees the child stopped), or a replica that does not exist.  Last, the
 * fault in a real consistency run (cc_run(), build/replica following a
 * redis-server): the replica, paused while the master writes, must end
 * up equal to the master.
 */
#include "fault_ex.h"
#include "redis_server.h"
#include "test_util.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HINT "exercise 12.2: write cc_fault_replica_pause in exercises/ch12/fault_ex.c"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

static void end_child(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* Whether the child runs (is not stopped) within two seconds. */
static int runs_again(pid_t pid)
{
    for (long long end = now_ms() + 2000; now_ms() < end;) {
        char s = state_of(pid);
        if (s != 'T' && s != '?')
            return 1;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/** The watcher thread's state. */
typedef struct watch {
    pid_t pid;              /**< the child */
    redis_server *master;   /**< stopped when the child is seen stopped, if kill_master */
    int kill_master;        /**< whether to */
    atomic_int done;        /**< set by the test: stop watching */
    atomic_int saw_stopped; /**< the child was seen in state 'T' */
} watch;

static void *watcher(void *arg)
{
    watch *w = arg;
    /* relaxed: done is a plain stop flag; what the test reads afterwards
     * (saw_stopped) is ordered by pthread_join() */
    while (!atomic_load_explicit(&w->done, memory_order_relaxed)) {
        if (state_of(w->pid) == 'T' &&
            !atomic_load_explicit(&w->saw_stopped, memory_order_relaxed)) {
            atomic_store_explicit(&w->saw_stopped, 1, memory_order_relaxed);
            if (w->kill_master)
                redis_server_stop(w->master);
        }
        struct timespec ts = {0, 500000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void start_master(cc_env *env)
{
    char err[512];
    memset(env, 0, sizeof *env);
    ck_assert_msg(redis_server_start(&env->master, NULL, err, sizeof err) == 0,
                  "redis-server: %s", err);
}

START_TEST(pause_stops_writes_and_continues)
{
    cc_env env;
    start_master(&env);
    env.replica_pid = stand_in();
    watch w = {.pid = env.replica_pid};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, watcher, &w), 0);
    char err[256] = "";
    long long t0 = now_ms();
    int rc = cc_fault_replica_pause(&env, err, sizeof err);
    long long took = now_ms() - t0;
    atomic_store_explicit(&w.done, 1, memory_order_relaxed);
    pthread_join(th, NULL);
    int again = runs_again(env.replica_pid);
    end_child(env.replica_pid);
    ck_assert_msg(rc == 0, "cc_fault_replica_pause: %s; " HINT, err);
    ck_assert_msg(w.saw_stopped, "the replica was never seen stopped; " HINT);
    ck_assert_msg(again, "the replica was left stopped");
    ck_assert_msg(took >= CC_PAUSE_MS, "the pause lasted %lld ms, less than "
                  "%d", took, CC_PAUSE_MS);
    int fd = redis_server_connect(&env.master);
    ck_assert_int_ge(fd, 0);
    char reply[64];
    ck_assert_int_eq(redis_commandl(fd, reply, sizeof reply, "GET",
                                    CC_PAUSE_KEY, NULL), '$');
    ck_assert_msg(atol(reply) >= 1, "%s is \"%s\": nothing was written to the "
                  "master during the pause", CC_PAUSE_KEY, reply);
    close(fd);
    redis_server_stop(&env.master);
}
END_TEST

START_TEST(master_lost_mid_pause_continues_replica)
{
    cc_env env;
    start_master(&env);
    env.replica_pid = stand_in();
    watch w = {.pid = env.replica_pid, .master = &env.master, .kill_master = 1};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, watcher, &w), 0);
    char err[256] = "";
    int rc = cc_fault_replica_pause(&env, err, sizeof err);
    atomic_store_explicit(&w.done, 1, memory_order_relaxed);
    pthread_join(th, NULL);
    int again = runs_again(env.replica_pid);
    end_child(env.replica_pid);
    redis_server_stop(&env.master);
    ck_assert_msg(rc == -1, "the master went away during the pause, yet the "
                  "fault returned %d", rc);
    ck_assert_msg(err[0] != '\0', "no reason given");
    ck_assert_msg(again, "the replica was left stopped after a failed step "
                  "(%s)", err);
}
END_TEST

START_TEST(no_such_replica)
{
    cc_env env;
    start_master(&env);
    pid_t gone = stand_in();
    end_child(gone); /* a pid nobody has (for now) */
    env.replica_pid = gone;
    char err[256] = "";
    ck_assert_int_eq(cc_fault_replica_pause(&env, err, sizeof err), -1);
    ck_assert_msg(err[0] != '\0', "no reason given");
    redis_server_stop(&env.master);
}
END_TEST

/** The pause fault, counted. */
static atomic_int pauses_ok;

static int counted_pause(cc_env *env, char *err, size_t errsz)
{
    int rc = cc_fault_replica_pause(env, err, errsz);
    if (rc == 0)
        atomic_fetch_add_explicit(&pauses_ok, 1, memory_order_relaxed);
    return rc;
}

static const cc_fault pause_table[] = {
    {"replica-pause", "SIGSTOP the replica for 1.5 s while the master writes",
     counted_pause},
};

START_TEST(replica_equal_after_pauses)
{
    cc_run_opts o;
    cc_run_opts_default(&o);
    o.seed = 12;
    o.ops = 2000;
    o.batch = 1000; /* one pause between the two batches */
    o.faults = pause_table;
    o.nfaults = 1;
    cc_report rep;
    char err[512] = "";
    atomic_store(&pauses_ok, 0);
    int rc = cc_run(&o, &rep, err, sizeof err);
    ck_assert_msg(rc == 0, "cc_run: %s; " HINT, err);
    ck_assert_msg(rep.faults >= 1, "no fault was injected");
    ck_assert_int_eq((size_t)atomic_load(&pauses_ok), rep.faults);
    ck_assert_msg(rep.differences == 0, "%zu differences after the pauses",
                  rep.differences);
    ck_assert_uint_ge(rep.comparisons, 1);
}
END_TEST

Suite *ex12_fault_suite(void)
{
    Suite *s = suite_create("ex12_fault");
    TCase *tc = test_tcase("replica-pause", 60);
    tcase_add_test(tc, pause_stops_writes_and_continues);
    tcase_add_test(tc, master_lost_mid_pause_continues_replica);
    tcase_add_test(tc, no_such_replica);
    suite_add_tcase(s, tc);
    tc = test_tcase("consistency", 180);
    tcase_add_test(tc, replica_equal_after_pauses);
    suite_add_tcase(s, tc);
    return s;
}
