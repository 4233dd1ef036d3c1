/* redis_restart.c - stop a test's redis-server and start it again in place (see redis_restart.h).
 * Chapter 10.
 */
#include "redis_restart.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
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

/* Append the log's last few hundred bytes to err. */
static void add_log_tail(const redis_server *rs, char *err, size_t errsz)
{
    char path[320], buf[500];
    snprintf(path, sizeof path, "%s/redis.log", rs->dir);
    FILE *f = fopen(path, "r");
    size_t n = 0;
    if (f != NULL) {
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, size > 400 ? size - 400 : 0, SEEK_SET);
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    size_t used = strlen(err);
    snprintf(err + used, errsz - used, "; log tail: %s", buf);
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
    char port[16], logf[320];
    snprintf(port, sizeof port, "%d", rs->port);
    snprintf(logf, sizeof logf, "%s/redis.log", rs->dir);
    /* The same arguments redis_server_start() gives (redis_server.c). */
    const char *argv[64] = {"redis-server", "--port", port, "--bind",
                            "127.0.0.1", "--dir", rs->dir, "--save", "",
                            "--appendonly", "no", "--logfile", logf,
                            "--daemonize", "no"};
    int argc = 15;
    for (int i = 0; extra != NULL && extra[i] != NULL && argc < 63; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errsz, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
        }
        execvp("redis-server", (char *const *)argv);
        _exit(127);
    }
    rs->pid = pid;
    /* Up to 60 s: a dump of a million keys takes a while to load under
     * a sanitizer's slow clock on a busy machine. */
    for (int tries = 0; tries < 1200; tries++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            rs->pid = 0;
            snprintf(err, errsz, "redis-server on port %d exited at restart "
                     "(status %d; the port still taken?)", rs->port, status);
            add_log_tail(rs, err, errsz);
            return -1;
        }
        int fd = redis_server_connect(rs);
        if (fd >= 0) {
            char reply[128];
            int t = redis_commandl(fd, reply, sizeof reply, "PING", NULL);
            close(fd);
            if (t == '+' && strcmp(reply, "PONG") == 0)
                return 0;
        }
        nap_ms(50);
    }
    snprintf(err, errsz, "redis-server did not answer PING on port %d after "
             "a restart", rs->port);
    add_log_tail(rs, err, errsz);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    rs->pid = 0;
    return -1;
}
