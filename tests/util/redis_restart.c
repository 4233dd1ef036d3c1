/* redis_restart.c - stop a test's redis-server and start it again in place (see redis_restart.h).
 * Chapter 10.
 */
#include "redis_restart.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Wait up to ms for the process to exit; 1 when it did. */
static int reaped(pid_t pid, long ms)
{
    for (long waited = 0; waited <= ms; waited += 10) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return 1;
        nap_ms(10);
    }
    return 0;
}

int redis_server_down(redis_server *rs, redis_down_how how)
{
    if (rs->pid <= 0)
        return -1;
    int ok = 1;
    if (how == REDIS_DOWN_KILL) {
        kill(rs->pid, SIGKILL);
    } else {
        int fd = redis_server_connect(rs);
        if (fd >= 0) {
            char reply[128];
            /* A master waits up to shutdown-timeout (10 s) for lagging
             * replicas before it saves and exits. */
            redis_commandl(fd, reply, sizeof reply, "SHUTDOWN",
                           how == REDIS_DOWN_SAVE ? "SAVE" : "NOSAVE", NULL);
            close(fd);
        } else {
            ok = 0;
        }
    }
    if (!reaped(rs->pid, 20000)) {
        ok = 0;
        kill(rs->pid, SIGKILL);
        waitpid(rs->pid, NULL, 0);
    }
    rs->pid = 0;
    return ok ? 0 : -1;
}

int redis_server_restart(redis_server *rs, const char *const *extra,
                         char *err, size_t errsz)
{
    err[0] = '\0';
    if (rs->pid > 0 || rs->dir[0] == '\0' || rs->port <= 0) {
        snprintf(err, errsz, "redis_server_restart: the server is running "
                 "or was never started");
        return -1;
    }
    /* Up to 60 s: a dump of a million keys takes a while to load under
     * a sanitizer's slow clock on a busy machine. */
    int rc = redis_server_spawn(rs, extra, 60000, "at restart",
                                "the port still taken?", err, errsz);
    if (rc == REDIS_SPAWN_SILENT) {
        kill(rs->pid, SIGKILL);
        waitpid(rs->pid, NULL, 0);
        rs->pid = 0;
    }
    return rc == 0 ? 0 : -1;
}
