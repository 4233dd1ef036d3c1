/* redis_server.c - a private redis-server per test, and a tiny RESP client. */
#include "redis_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SERVERS 8
static redis_server *running[MAX_SERVERS];
static int atexit_done;

static void stop_all(void)
{
    for (int i = 0; i < MAX_SERVERS; i++)
        if (running[i] != NULL)
            redis_server_stop(running[i]);
}

int redis_free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    int port = -1;
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    if (s >= 0)
        close(s);
    return port;
}

int redis_connect_port(int port, char *err, size_t errsz)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        if (err != NULL)
            snprintf(err, errsz, "socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        if (err != NULL)
            snprintf(err, errsz, "connect 127.0.0.1:%d: %s", port,
                     strerror(errno));
        close(s);
        return -1;
    }
    return s;
}

int redis_server_connect(const redis_server *rs)
{
    return redis_connect_port(rs->port, NULL, 0);
}

void redis_server_log_tail(const redis_server *rs, char *err, size_t errsz)
{
    char path[300], buf[600];
    snprintf(path, sizeof path, "%s/redis.log", rs->dir);
    FILE *f = fopen(path, "r");
    size_t n = 0;
    if (f != NULL) {
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, size > 500 ? size - 500 : 0, SEEK_SET);
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    size_t used = strlen(err);
    snprintf(err + used, errsz - used, "; log tail: %s", buf);
}

static void remove_dir(const char *dir)
{
    static const char *const files[] = {"dump.rdb", "redis.log",
                                        "temp-dump.rdb", NULL};
    char path[300];
    for (int i = 0; files[i] != NULL; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

int redis_server_spawn(redis_server *rs, const char *const *extra,
                       int wait_ms, const char *when, const char *hint,
                       char *err, size_t errsz)
{
    char port[16], logf[300];
    snprintf(port, sizeof port, "%d", rs->port);
    snprintf(logf, sizeof logf, "%s/redis.log", rs->dir);
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
        /* Die with the test process, whatever way it ends. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
        }
        execvp("redis-server", (char *const *)argv);
        fprintf(stderr, "exec redis-server: %s\n", strerror(errno));
        _exit(127);
    }
    rs->pid = pid;
    for (int waited = 0; waited < wait_ms; waited += 50) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            rs->pid = 0;
            snprintf(err, errsz, "redis-server on port %d exited %s "
                     "(status %d; %s)", rs->port, when, status, hint);
            redis_server_log_tail(rs, err, errsz);
            return -1;
        }
        int fd = redis_server_connect(rs);
        if (fd >= 0) {
            char reply[64];
            int t = redis_commandl(fd, reply, sizeof reply, "PING", NULL);
            close(fd);
            if (t == '+' && strcmp(reply, "PONG") == 0)
                return 0;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    snprintf(err, errsz, "redis-server did not answer PING on port %d %s",
             rs->port, when);
    redis_server_log_tail(rs, err, errsz);
    return REDIS_SPAWN_SILENT;
}

static int start_once(redis_server *rs, const char *const *extra, char *err,
                      size_t errsz)
{
    rs->port = redis_free_port();
    if (rs->port < 0) {
        snprintf(err, errsz, "no free port: %s", strerror(errno));
        return -1;
    }
    /* Wait up to 10 s for PING to answer. */
    int rc = redis_server_spawn(rs, extra, 10000, "at start",
                                "is the redis-server package installed?",
                                err, errsz);
    if (rc == REDIS_SPAWN_SILENT)
        redis_server_stop(rs);
    return rc == 0 ? 0 : -1;
}

int redis_server_start(redis_server *rs, const char *const *extra, char *err,
                       size_t errsz)
{
    memset(rs, 0, sizeof *rs);
    err[0] = '\0';
    const char *tmp = getenv("TMPDIR");
    snprintf(rs->dir, sizeof rs->dir, "%s/redis-test-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(rs->dir) == NULL) {
        snprintf(err, errsz, "mkdtemp %s: %s", rs->dir, strerror(errno));
        return -1;
    }
    if (!atexit_done) {
        atexit(stop_all);
        atexit_done = 1;
    }
    for (int attempt = 0; attempt < 3; attempt++) { /* port races */
        if (start_once(rs, extra, err, errsz) == 0) {
            for (int i = 0; i < MAX_SERVERS; i++)
                if (running[i] == NULL) {
                    running[i] = rs;
                    break;
                }
            return 0;
        }
    }
    remove_dir(rs->dir);
    return -1;
}

void redis_server_stop(redis_server *rs)
{
    for (int i = 0; i < MAX_SERVERS; i++)
        if (running[i] == rs)
            running[i] = NULL;
    if (rs->pid > 0) {
        int fd = redis_server_connect(rs);
        if (fd >= 0) {
            char reply[64];
            redis_commandl(fd, reply, sizeof reply, "SHUTDOWN", "NOSAVE",
                           NULL);
            close(fd);
        }
        int status;
        for (int i = 0; i < 100; i++) {
            if (waitpid(rs->pid, &status, WNOHANG) == rs->pid)
                goto reaped;
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        kill(rs->pid, SIGKILL);
        waitpid(rs->pid, &status, 0);
    reaped:
        rs->pid = 0;
    }
    if (rs->dir[0] != '\0') {
        remove_dir(rs->dir);
        rs->dir[0] = '\0';
    }
}

/* --- the client ---------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read one line (without CRLF) byte by byte: simple, and never reads past
 * the reply, so the socket can be handed on afterwards. */
static int read_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t r = recv(fd, &c, 1, 0);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            return -1;
        }
        if (c == '\n' && n > 0 && buf[n - 1] == '\r') {
            buf[n - 1] = '\0';
            return 0;
        }
        if (n + 1 < cap)
            buf[n++] = c;
    }
}

static int read_exact(int fd, char *buf, size_t n)
{
    while (n > 0) {
        ssize_t r = recv(fd, buf, n, 0);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            return -1;
        }
        buf += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Read one reply; copy a rendering of it into reply. */
static int read_reply(int fd, char *reply, size_t replysz)
{
    char line[512];
    if (read_line(fd, line, sizeof line) != 0)
        return -1;
    int type = line[0];
    switch (type) {
    case '+': case '-': case ':':
        snprintf(reply, replysz, "%s", line + 1);
        return type;
    case '$': {
        long n = atol(line + 1);
        if (n < 0) {
            snprintf(reply, replysz, "(nil)");
            return type;
        }
        char *b = malloc((size_t)n + 2);
        if (b == NULL || read_exact(fd, b, (size_t)n + 2) != 0) {
            free(b);
            return -1;
        }
        size_t k = (size_t)n < replysz - 1 ? (size_t)n : replysz - 1;
        memcpy(reply, b, k);
        reply[k] = '\0';
        free(b);
        return type;
    }
    case '*': {
        long n = atol(line + 1);
        char sub[64];
        for (long i = 0; i < n; i++)
            if (read_reply(fd, sub, sizeof sub) < 0)
                return -1;
        snprintf(reply, replysz, "%ld", n);
        return type;
    }
    }
    return -1;
}

int redis_command(int fd, char *reply, size_t replysz, int argc,
                  const char *const *argv, const size_t *lens)
{
    char head[32];
    snprintf(head, sizeof head, "*%d\r\n", argc);
    if (write_all(fd, head, strlen(head)) != 0)
        return -1;
    for (int i = 0; i < argc; i++) {
        size_t len = lens ? lens[i] : strlen(argv[i]);
        snprintf(head, sizeof head, "$%zu\r\n", len);
        if (write_all(fd, head, strlen(head)) != 0 ||
            write_all(fd, argv[i], len) != 0 || write_all(fd, "\r\n", 2) != 0)
            return -1;
    }
    return read_reply(fd, reply, replysz);
}

int redis_commandl(int fd, char *reply, size_t replysz, const char *arg0, ...)
{
    const char *argv[64];
    int argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < 64; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    return redis_command(fd, reply, replysz, argc, argv, NULL);
}
