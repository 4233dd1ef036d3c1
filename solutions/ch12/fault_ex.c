/* fault_ex.c - exercise 12.2, solved: a fault kind, the replica paused (see
 * fault_ex.h). */
#include "fault_ex.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The state letter of /proc/<pid>/stat ('R', 'S', 'T', ...), or '?' when
 * it cannot be read.  It follows the command name in parentheses, which
 * may itself hold spaces and parentheses, so look after the last ')'. */
static char proc_state(pid_t pid)
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
    return p != NULL && p[1] == ' ' && p[2] != '\0' ? p[2] : '?';
}

/* Wait up to ms for the state to be (want) or not to be (!want) 'T'. */
static int wait_stopped(pid_t pid, int want, long ms)
{
    long long end = now_ms() + ms;
    for (;;) {
        char s = proc_state(pid);
        if ((s == 'T') == want && s != '?')
            return 0;
        if (s == '?' || now_ms() >= end)
            return -1;
        sleep_ms(1);
    }
}

int cc_fault_replica_pause(cc_env *env, char *err, size_t errsz)
{
    pid_t pid = env->replica_pid;
    char reply[128];
    int rc = -1;
    int fd = redis_server_connect(&env->master);
    if (fd < 0) {
        snprintf(err, errsz, "replica-pause: cannot connect to the master on "
                 "port %d", env->master.port);
        return -1;
    }
    if (pid <= 0 || kill(pid, SIGSTOP) != 0) {
        snprintf(err, errsz, "replica-pause: SIGSTOP to the replica (pid %ld): "
                 "%s", (long)pid, pid <= 0 ? "no such process" : strerror(errno));
        close(fd);
        return -1;
    }
    /* from here on, every way out goes through SIGCONT */
    if (wait_stopped(pid, 1, 2000) != 0) {
        snprintf(err, errsz, "replica-pause: the replica (pid %ld) did not stop "
                 "(state '%c')", (long)pid, proc_state(pid));
        goto cont;
    }
    long long end = now_ms() + CC_PAUSE_MS;
    size_t writes = 0;
    while (now_ms() < end) {
        int t = redis_commandl(fd, reply, sizeof reply, "INCR", CC_PAUSE_KEY,
                               NULL);
        if (t != ':') {
            snprintf(err, errsz, "replica-pause: INCR %s on the master after "
                     "%zu writes: %s", CC_PAUSE_KEY, writes,
                     t < 0 ? "connection lost" : reply);
            goto cont;
        }
        writes++;
        sleep_ms(10);
    }
    char s = proc_state(pid);
    if (s != 'T') {
        snprintf(err, errsz, "replica-pause: the replica (pid %ld) was not "
                 "stopped at the end of the pause (state '%c')", (long)pid, s);
        goto cont;
    }
    rc = 0;
    if (env->log != NULL)
        fprintf(env->log, "replica-pause: pid %ld stopped %d ms, %zu writes "
                "meanwhile\n", (long)pid, CC_PAUSE_MS, writes);
cont:
    if (kill(pid, SIGCONT) != 0 || wait_stopped(pid, 0, 2000) != 0) {
        if (rc == 0)
            snprintf(err, errsz, "replica-pause: SIGCONT to the replica "
                     "(pid %ld) did not continue it (state '%c')", (long)pid,
                     proc_state(pid));
        rc = -1;
    }
    close(fd);
    return rc;
}
