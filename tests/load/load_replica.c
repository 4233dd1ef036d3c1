/* load_replica.c - the replica program as a child process: start it,
 * watch it, stop it, read its log.  Chapter 12.
 *
 * The load test runs the real program (build/replica, or its
 * ThreadSanitizer build), not the library in-process, so that what is
 * tested is what a user runs, and a crash of the replica is seen as a
 * crash rather than taking the test down with it.  Its stdout and stderr
 * go to a log file; TSAN_OPTIONS makes a TSan build report every race it
 * sees without stopping (halt_on_error=0) and exit 66 at the end if it
 * reported any, so a race shows both in the log and in the exit status.
 * The child gets SIGKILL if the load test dies (PR_SET_PDEATHSIG).
 */
#include "load.h"
#include "redis_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>


/* The log's last ~1500 bytes into out. */
static void log_tail(const load_replica *rp, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen(rp->log, "rb");
    if (f == NULL)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long from = size > 1500 ? size - 1500 : 0;
    fseek(f, from, SEEK_SET);
    size_t got = fread(out, 1, n - 1, f);
    out[got] = '\0';
    fclose(f);
}

bool load_replica_gone(load_replica *rp)
{
    if (rp->reaped)
        return true;
    if (rp->pid <= 0)
        return true;
    int st;
    if (waitpid(rp->pid, &st, WNOHANG) == rp->pid) {
        rp->status = st;
        rp->reaped = true;
        return true;
    }
    return false;
}

int load_replica_start(load_replica *rp, const char *path, int master_port,
                       int threads, const char *store, char *err,
                       size_t errsz)
{
    memset(rp, 0, sizeof *rp);
    snprintf(rp->dir, sizeof rp->dir, "/tmp/load-test.XXXXXX");
    if (mkdtemp(rp->dir) == NULL) {
        snprintf(err, errsz, "mkdtemp: %s", strerror(errno));
        return -1;
    }
    snprintf(rp->log, sizeof rp->log, "%s/replica.log", rp->dir);
    rp->port = redis_free_port();
    char master[64], port[16], nthreads[16];
    snprintf(master, sizeof master, "127.0.0.1:%d", master_port);
    snprintf(port, sizeof port, "%d", rp->port);
    snprintf(nthreads, sizeof nthreads, "%d", threads);
    const char *argv[] = {path, "--master", master, "--port", port,
                          "--threads", nthreads, store ? "--store" : NULL,
                          store, NULL};
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errsz, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(rp->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        setenv("TSAN_OPTIONS", "halt_on_error=0 exitcode=66", 1);
        execv(path, (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    rp->pid = pid;
    /* Ready: INFO replication says the link is up (first sync loaded). */
    uint64_t end = load_now_us() + 120u * 1000000u;
    while (load_now_us() < end) {
        if (load_replica_gone(rp)) {
            char tail[1600];
            log_tail(rp, tail, sizeof tail);
            snprintf(err, errsz, "%s exited at start (status 0x%x); log:\n%s",
                     path, rp->status, tail);
            return -1;
        }
        load_conn c;
        if (load_conn_open(&c, rp->port, 5000) == 0) {
            char *info = load_conn_call(&c, "INFO", "replication", NULL);
            bool up = info != NULL && strstr(info, "master_link_status:up");
            free(info);
            load_conn_close(&c);
            if (up)
                return 0;
        }
        usleep(50 * 1000);
    }
    char tail[1600];
    log_tail(rp, tail, sizeof tail);
    snprintf(err, errsz, "%s did not finish its first sync in 120 s; log:\n%s",
             path, tail);
    load_replica_stop(rp, 5);
    return -1;
}

int load_replica_stop(load_replica *rp, int timeout_s)
{
    if (rp->pid <= 0)
        return -1;
    if (!load_replica_gone(rp)) {
        kill(rp->pid, SIGTERM);
        uint64_t end = load_now_us() + (uint64_t)timeout_s * 1000000u;
        while (!load_replica_gone(rp) && load_now_us() < end)
            usleep(20 * 1000);
        if (!rp->reaped) {
            kill(rp->pid, SIGKILL);
            waitpid(rp->pid, &rp->status, 0);
            rp->reaped = true;
            rp->pid = 0;
            return -1;
        }
    }
    rp->pid = 0;
    if (WIFEXITED(rp->status))
        return WEXITSTATUS(rp->status);
    return 128 + WTERMSIG(rp->status);
}

int load_replica_log_count(const load_replica *rp, const char *what)
{
    FILE *f = fopen(rp->log, "r");
    if (f == NULL)
        return 0;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strstr(line, what) != NULL)
            n++;
    fclose(f);
    return n;
}

void load_replica_log_print(const load_replica *rp, const char *what, int max)
{
    FILE *f = fopen(rp->log, "r");
    if (f == NULL)
        return;
    char line[4096];
    int n = 0;
    bool after = false; /* print a report's next lines too */
    int ctx = 0;
    while (fgets(line, sizeof line, f) != NULL && n < max) {
        if (strstr(line, what) != NULL) {
            after = true;
            ctx = 30;
        }
        if (after && ctx-- > 0) {
            fputs("  | ", stdout);
            fputs(line, stdout);
            n++;
        }
    }
    fclose(f);
}

void load_replica_cleanup(load_replica *rp)
{
    if (rp->dir[0] == '\0')
        return;
    unlink(rp->log);
    rmdir(rp->dir);
    rp->dir[0] = '\0';
}
