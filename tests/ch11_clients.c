/* ch11_clients.c - chapter 11: build/replica with real Redis clients.
 *
 * The program as people run it, with the clients they use, each from its
 * Debian package: redis-cli (scripted, RESP3, --raw, and an interactive
 * session driven through tmux), redis-benchmark, the Python client
 * (python3-redis, run by /usr/bin/python3), hiredis (libhiredis-dev,
 * tests/clients/hiredis_client.c) and prometheus-redis-exporter.  Every
 * test starts its own redis-server master (tests/util/redis_server.h)
 * holding a small dataset of every type, and build/replica following it
 * on a free loopback port, and stops both; the replica must then exit 0
 * on SIGTERM (under `make tsan` it is build/tsan/replica, so a race in
 * the server fails the test through the exit status).
 *
 * Where a read has an answer on the master, the test runs the same client
 * against both and compares the outputs byte for byte: the master is the
 * oracle, so nothing here spells out Redis's formatting by hand.
 * redis-benchmark's `-t lrange_100` first runs LPUSH on its target, which
 * a replica refuses (a real Redis replica too), and 7.0's -t list has no
 * MGET: both are run as the custom commands those tests send.
 */
#include "redis_server.h"
#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef REPLICA_PATH
#define REPLICA_PATH "build/replica"
#endif
#ifndef HIREDIS_CLIENT_PATH
#define HIREDIS_CLIENT_PATH "build/clients/hiredis-client"
#endif

/* ---- a master and a replica following it ---------------------------------- */

typedef struct pair {
    redis_server master;
    pid_t pid;      /* build/replica */
    int port;       /* its port */
    char dir[256];  /* its temporary directory */
    char log[300];  /* its stdout and stderr */
} pair;

static pair *live; /* the running pair, killed at exit if a test failed */

static void kill_live(void)
{
    if (live && live->pid > 0) {
        kill(live->pid, SIGKILL);
        waitpid(live->pid, NULL, 0);
        live->pid = 0;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds to wait for something slow (sanitizers multiply it). */
static double patience(double s)
{
    const char *m = getenv("CK_TIMEOUT_MULTIPLIER");
    double k = m ? atof(m) : 1;
    return s * (k > 1 ? k : 1);
}

/* A loopback port nothing listens on now. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* A whole file, NUL-terminated, in a static buffer (empty if missing). */
static const char *slurp(const char *path)
{
    static char buf[65536];
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return buf;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Check refuses failure messages over about 4 KiB: show the last 900
 * bytes of a long output (four buffers, so one message can show four). */
static const char *cut(const char *s)
{
    static char bufs[4][1000];
    static int next;
    char *b = bufs[next++ % 4];
    size_t n = strlen(s), from = n > 900 ? n - 900 : 0;
    memcpy(b, "...", from ? 3 : 0);
    memcpy(b + (from ? 3 : 0), s + from, n - from + 1);
    return b;
}

/* The first line where two outputs differ, both sides shown. */
static const char *first_diff(const char *a, const char *b)
{
    static char msg[1200];
    int line = 1;
    const char *la = a, *lb = b;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            la = a + 1;
            lb = b + 1;
        }
        a++;
        b++;
    }
    int na = (int)strcspn(la, "\n"), nb = (int)strcspn(lb, "\n");
    snprintf(msg, sizeof msg, "line %d: replica '%.*s', master '%.*s'", line,
             na > 500 ? 500 : na, la, nb > 500 ? 500 : nb, lb);
    return msg;
}

/* Run a shell command; its stdout and stderr into out (NUL-terminated,
 * truncated to n - 1); returns its exit status (-1 if it did not exit). */
static int run(char *out, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int run(char *out, size_t n, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "popen %s: %s", cmd, strerror(errno));
    size_t len = 0, got;
    char sink[4096];
    while ((got = fread(len + 1 < n ? out + len : sink, 1,
                        len + 1 < n ? n - 1 - len : sizeof sink, p)) > 0)
        if (len + 1 < n)
            len += got;
    out[len] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* One command on the master; its rendered reply must not be an error. */
static void master_cmd(pair *p, const char *arg0, ...)
{
    const char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && argc < 32; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    int fd = redis_server_connect(&p->master);
    ck_assert_int_ge(fd, 0);
    char reply[512];
    int t = redis_command(fd, reply, sizeof reply, argc, argv, NULL);
    close(fd);
    ck_assert_msg(t > 0 && t != '-', "%s on the master: %s", arg0, reply);
}

/* The dataset: one key of every type (the demo's). */
static void populate(pair *p)
{
    master_cmd(p, "SET", "greeting", "hello, replica", NULL);
    master_cmd(p, "SET", "counter", "41", NULL);
    master_cmd(p, "RPUSH", "queue", "job1", "job2", "job3", NULL);
    master_cmd(p, "HSET", "user:1", "name", "Ada", "lang", "C", NULL);
    master_cmd(p, "SADD", "tags", "fast", "persistent", "lock-free", NULL);
    master_cmd(p, "ZADD", "scores", "3", "carol", "1.5", "alice", "2", "bob",
               NULL);
    master_cmd(p, "XADD", "events", "1-1", "kind", "login", NULL);
    master_cmd(p, "XADD", "events", "2-1", "kind", "logout", NULL);
    master_cmd(p, "PFADD", "visitors", "a", "b", "c", NULL);
    master_cmd(p, "SETBIT", "flags", "7", "1", NULL);
}

/* Wait until the replica has acknowledged everything the master has
 * written.  WAIT waits only for the writes of its own connection (a fresh
 * connection that wrote nothing returns at once), so it first sends a
 * PUBLISH: propagated, so it moves the offset, and no key changes. */
static void sync_replica(pair *p)
{
    int fd = redis_server_connect(&p->master);
    ck_assert_int_ge(fd, 0);
    char reply[64] = "";
    char ms[32];
    snprintf(ms, sizeof ms, "%d", (int)(patience(10) * 1000));
    redis_commandl(fd, reply, sizeof reply, "PUBLISH", "__sync", "x", NULL);
    redis_commandl(fd, reply, sizeof reply, "WAIT", "1", ms, NULL);
    close(fd);
    ck_assert_msg(strcmp(reply, "1") == 0,
                  "WAIT: the replica did not acknowledge (%s); log:\n%s",
                  reply, cut(slurp(live ? live->log : "")));
}

/* Start build/replica (with extra flags) following p->master. */
static void replica_spawn(pair *p, const char *const *extra)
{
    char master[64], port[16];
    snprintf(master, sizeof master, "127.0.0.1:%d", p->master.port);
    p->port = free_port();
    snprintf(port, sizeof port, "%d", p->port);
    const char *argv[40] = {REPLICA_PATH, "--master", master, "--port", port,
                            "--threads", "2"};
    int argc = 7;
    for (int i = 0; extra && extra[i] && argc < 39; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    p->pid = fork();
    ck_assert_int_ge(p->pid, 0);
    if (p->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    live = p;
}

/* Wait until the replica's log has `what`; fails with the log. */
static void wait_log(pair *p, const char *what, double secs)
{
    double end = now_s() + patience(secs);
    while (!strstr(slurp(p->log), what)) {
        int st;
        ck_assert_msg(waitpid(p->pid, &st, WNOHANG) == 0,
                      "build/replica exited waiting for '%s'; log:\n%s", what,
                      cut(slurp(p->log)));
        ck_assert_msg(now_s() < end, "no '%s' in the replica's log:\n%s",
                      what, cut(slurp(p->log)));
        usleep(20 * 1000);
    }
}

static void pair_start(pair *p, const char *const *extra)
{
    memset(p, 0, sizeof *p);
    char err[1024];
    /* A master starts a diskless sync 5 s after a replica asks, by
     * default, waiting for more replicas; one is all there is. */
    static const char *const no_delay[] = {"--repl-diskless-sync-delay", "0",
                                           NULL};
    ck_assert_msg(redis_server_start(&p->master, no_delay, err, sizeof err) ==
                  0, "%s", err);
    populate(p);
    snprintf(p->dir, sizeof p->dir, "/tmp/ch11-clients.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(p->dir));
    snprintf(p->log, sizeof p->log, "%s/replica.log", p->dir);
    replica_spawn(p, extra);
    wait_log(p, "streaming from", 30);
    sync_replica(p);
}

/* SIGTERM the replica (or `sig`), which must exit 0 and say goodbye;
 * then stop the master and remove the directory. */
static void pair_stop_sig(pair *p, int sig)
{
    int st = 0;
    if (p->pid > 0) {
        kill(p->pid, sig);
        double end = now_s() + patience(20);
        pid_t w;
        while ((w = waitpid(p->pid, &st, WNOHANG)) == 0 && now_s() < end)
            usleep(20 * 1000);
        if (w == 0) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &st, 0);
        }
        p->pid = 0;
    }
    redis_server_stop(&p->master);
    char log[8192];
    snprintf(log, sizeof log, "%s", slurp(p->log));
    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf '%s'", p->dir);
    if (system(rm) != 0) {
        /* a leftover temporary directory is not the test's failure */
    }
    live = NULL;
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "build/replica did not exit 0 after signal %d (status "
                  "0x%x); log:\n%s", sig, st, cut(log));
    ck_assert_msg(strstr(log, "bye bye") != NULL,
                  "no goodbye in the log:\n%s", cut(log));
}

static void pair_stop(pair *p)
{
    pair_stop_sig(p, SIGTERM);
}

static char out_r[65536], out_m[65536];

/* ---- the program itself --------------------------------------------------- */

START_TEST(flags_help_version_and_errors)
{
    char out[8192];
    ck_assert_int_eq(run(out, sizeof out, "%s --help", REPLICA_PATH), 0);
    ck_assert_msg(strstr(out, "Usage: replica") && strstr(out, "--master"),
                  "%s", cut(out));
    ck_assert_int_eq(run(out, sizeof out, "%s --version", REPLICA_PATH), 0);
    ck_assert_msg(strncmp(out, "replica v=", 10) == 0, "%s", cut(out));

    ck_assert_int_eq(run(out, sizeof out, "%s --master 127.0.0.1:1 --port x",
                         REPLICA_PATH), 1);
    ck_assert_msg(strstr(out, "replica: command line: --port: not a number: "
                         "'x'\n"), "%s", cut(out));
    ck_assert_int_eq(run(out, sizeof out, "%s --port 7000", REPLICA_PATH), 1);
    ck_assert_msg(strstr(out, "master: not set"), "%s", cut(out));
    ck_assert_int_eq(run(out, sizeof out, "%s --master 127.0.0.1:1 --stor "
                         "hamt", REPLICA_PATH), 1);
    ck_assert_msg(strstr(out, "unknown key 'stor'"), "%s", cut(out));

    char dir[] = "/tmp/ch11-conf.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char conf[300];
    snprintf(conf, sizeof conf, "%s/replica.conf", dir);
    FILE *f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fputs("# a comment\nmaster 127.0.0.1:6379\nthreads many\n", f);
    fclose(f);
    int rc = run(out, sizeof out, "%s %s", REPLICA_PATH, conf);
    char want[400];
    snprintf(want, sizeof want, "replica: %s:3: threads: not a number: "
             "'many'\n", conf);
    unlink(conf);
    rmdir(dir);
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(strstr(out, want), "want '%s' in:\n%s", want, cut(out));
}
END_TEST

/* A port already taken is one line naming it, status 1. */
START_TEST(port_in_use_is_an_error)
{
    redis_server other;
    char err[1024];
    ck_assert_msg(redis_server_start(&other, NULL, err, sizeof err) == 0,
                  "%s", err);
    char out[4096];
    int rc = run(out, sizeof out, "%s --master 127.0.0.1:%d --port %d",
                 REPLICA_PATH, other.port, other.port);
    redis_server_stop(&other);
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(strstr(out, "replica: ") && strstr(out, "in use"), "%s",
                  cut(out));
}
END_TEST

/* The log looks like redis-server's; SIGINT with clients connected (one
 * subscribed, one idle) still exits 0. */
START_TEST(log_format_and_sigint_with_clients)
{
    pair p;
    pair_start(&p, NULL);
    regex_t re;
    ck_assert_int_eq(regcomp(&re, "^[0-9]+:S [0-9]{2} [A-Z][a-z]{2} "
                             "[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} "
                             "\\* replica [0-9.]+ starting",
                             REG_EXTENDED | REG_NEWLINE), 0);
    int m = regexec(&re, slurp(p.log), 0, NULL, 0);
    regfree(&re);
    ck_assert_msg(m == 0, "log not in redis-server's format:\n%s",
                  cut(slurp(p.log)));
    int idle = -1, sub = -1;
    char reply[256];
    redis_server fake = {.port = p.port};
    idle = redis_server_connect(&fake);
    sub = redis_server_connect(&fake);
    ck_assert_int_ge(idle, 0);
    ck_assert_int_ge(sub, 0);
    ck_assert_int_eq(redis_commandl(sub, reply, sizeof reply, "SUBSCRIBE",
                                    "news", NULL), '*');
    pair_stop_sig(&p, SIGINT);
    close(idle);
    close(sub);
}
END_TEST

/* ---- redis-cli -------------------------------------------------------------- */

static const char cli_script[] =
    "PING\n"
    "ECHO \"two words\"\n"
    "GET greeting\n"
    "GET no-such-key\n"
    "MGET greeting counter no-such-key\n"
    "LRANGE queue 0 -1\n"
    "HGET user:1 name\n"
    "ZRANGE scores 0 -1 WITHSCORES\n"
    "ZSCORE scores alice\n"
    "XRANGE events - +\n"
    "EXISTS greeting queue nope\n"
    "TYPE scores\n"
    "LRANGE greeting 0 1\n"
    "GET\n"
    "NOSUCHCOMMAND a b\n";

START_TEST(redis_cli_scripted_matches_master)
{
    pair p;
    pair_start(&p, NULL);
    char script[300];
    snprintf(script, sizeof script, "%s/cmds.txt", p.dir);
    FILE *f = fopen(script, "w");
    ck_assert_ptr_nonnull(f);
    fputs(cli_script, f);
    fclose(f);
    static const char *const modes[] = {"", "-3", "--raw", "-3 --raw"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        int rr = run(out_r, sizeof out_r, "redis-cli -p %d %s < %s", p.port,
                     modes[i], script);
        int rm = run(out_m, sizeof out_m, "redis-cli -p %d %s < %s",
                     p.master.port, modes[i], script);
        ck_assert_int_eq(rr, rm);
        ck_assert_msg(strcmp(out_r, out_m) == 0,
                      "redis-cli %s: replica and master differ at %s",
                      modes[i], first_diff(out_r, out_m));
    }
    /* A sanity check that the comparison compared something. */
    ck_assert_msg(strstr(out_r, "hello, replica") && strstr(out_r, "job3"),
                  "%s", cut(out_r));
    ck_assert_int_eq(run(out_r, sizeof out_r, "redis-cli -p %d SET greeting x",
                         p.port), 0);
    /* (redis-cli prints "(error) " only on a terminal.) */
    ck_assert_str_eq(out_r, "READONLY You can't write against a read only "
                            "replica.\n\n");
    ck_assert_int_eq(run(out_r, sizeof out_r, "redis-cli -p %d -3 HELLO 3",
                         p.port), 0);
    ck_assert_msg(strstr(out_r, "proto 3\n") && strstr(out_r, "role replica\n"),
                  "%s", cut(out_r));
    pair_stop(&p);
}
END_TEST

/* tmux: a person typing into redis-cli; assertions on the screen. */
static void tmux_wait(const char *sock, const char *what, char *screen,
                      size_t n)
{
    double end = now_s() + patience(10);
    for (;;) {
        run(screen, n, "tmux -L %s capture-pane -p -t t", sock);
        if (strstr(screen, what))
            return;
        ck_assert_msg(now_s() < end, "'%s' never appeared on the screen:\n%s",
                      what, cut(screen));
        usleep(50 * 1000);
    }
}

static void tmux_type(const char *sock, const char *line)
{
    char out[256];
    ck_assert_int_eq(run(out, sizeof out, "tmux -L %s send-keys -t t -l '%s'",
                         sock, line), 0);
    ck_assert_int_eq(run(out, sizeof out, "tmux -L %s send-keys -t t Enter",
                         sock), 0);
}

START_TEST(redis_cli_interactive_in_tmux)
{
    pair p;
    pair_start(&p, NULL);
    char sock[64], screen[16384], prompt[64];
    snprintf(sock, sizeof sock, "ch11-%d", (int)getpid());
    /* HOME: a private redis-cli history; TERM for tmux. */
    int rc = run(screen, sizeof screen,
                 "HOME=%s TERM=xterm tmux -L %s -f /dev/null new-session -d "
                 "-s t -x 160 -y 50 'redis-cli -p %d'", p.dir, sock, p.port);
    ck_assert_msg(rc == 0, "tmux: %s", cut(screen));
    snprintf(prompt, sizeof prompt, "127.0.0.1:%d>", p.port);
    tmux_wait(sock, prompt, screen, sizeof screen);
    tmux_type(sock, "GET greeting");
    tmux_wait(sock, "\"hello, replica\"", screen, sizeof screen);
    tmux_type(sock, "LRANGE queue 0 -1");
    tmux_wait(sock, "3) \"job3\"", screen, sizeof screen);
    tmux_type(sock, "SET greeting changed");
    tmux_wait(sock, "(error) READONLY You can't write against a read only "
              "replica.", screen, sizeof screen);
    tmux_type(sock, "SELECT 1");
    snprintf(prompt, sizeof prompt, "127.0.0.1:%d[1]>", p.port);
    tmux_wait(sock, prompt, screen, sizeof screen);
    tmux_type(sock, "quit");
    double end = now_s() + patience(10);
    while (run(screen, sizeof screen, "tmux -L %s has-session -t t", sock) ==
               0 && now_s() < end)
        usleep(50 * 1000);
    run(screen, sizeof screen, "tmux -L %s kill-server", sock);
    pair_stop(&p);
}
END_TEST

/* ---- redis-benchmark ---------------------------------------------------------- */

START_TEST(redis_benchmark_reads_complete)
{
    pair p;
    pair_start(&p, NULL);
    char out[16384];
    /* The keys GET and MGET read, and the list LRANGE reads: on the master. */
    ck_assert_int_eq(run(out, sizeof out, "redis-benchmark -p %d -q -t set,"
                         "lpush -n 2000 -r 100 -P 16", p.master.port), 0);
    int rc;
    sync_replica(&p);
    long n = test_scale(20000, 2000);
    rc = run(out, sizeof out, "redis-benchmark -p %d --csv -t get -n %ld "
                 "-r 100 -P 16 -c 10", p.port, n);
    ck_assert_msg(rc == 0 && strstr(out, "\"GET\",") && !strstr(out, "rror"),
                  "%s", cut(out));
    rc = run(out, sizeof out, "redis-benchmark -p %d --csv -n %ld "
                         "-r 100 -c 10 MGET key:__rand_int__ key:__rand_int__ "
                         "key:__rand_int__ key:__rand_int__ key:__rand_int__ "
                         "key:__rand_int__ key:__rand_int__ key:__rand_int__ "
                         "key:__rand_int__ key:__rand_int__", p.port, n / 4);
    ck_assert_msg(rc == 0 && strstr(out, "\"MGET key:") && !strstr(out, "rror"),
                  "%s", cut(out));
    rc = run(out, sizeof out, "redis-benchmark -p %d --csv -n %ld -c 10 "
             "LRANGE mylist 0 99", p.port, n / 10);
    ck_assert_msg(rc == 0 && strstr(out, "\"LRANGE mylist") &&
                  !strstr(out, "rror"), "%s", cut(out));
    /* The replica still answers the data it holds. */
    char master_len[64];
    ck_assert_int_eq(run(master_len, sizeof master_len, "redis-cli -p %d "
                         "LLEN mylist", p.master.port), 0);
    ck_assert_int_eq(run(out, sizeof out, "redis-cli -p %d LLEN mylist",
                         p.port), 0);
    ck_assert_str_eq(out, master_len);
    ck_assert_int_gt(atoi(out), 0);
    pair_stop(&p);
}
END_TEST

/* ---- python3-redis -------------------------------------------------------------- */

START_TEST(python_client)
{
    pair p;
    pair_start(&p, NULL);
    const char *py = "/usr/bin/python3 tests/clients/redis_py_client.py";
    int rr = run(out_r, sizeof out_r, "%s reads %d", py, p.port);
    int rm = run(out_m, sizeof out_m, "%s reads %d", py, p.master.port);
    ck_assert_msg(rr == 0 && rm == 0, "replica (%d):\n%s\nmaster (%d):\n%s",
                  rr, cut(out_r), rm, cut(out_m));
    ck_assert_msg(strcmp(out_r, out_m) == 0,
                  "python3-redis: replica and master differ at %s",
                  first_diff(out_r, out_m));
    ck_assert_msg(strstr(out_r, "b'hello, replica'"), "%s", cut(out_r));
    rr = run(out_r, sizeof out_r, "%s replica %d %d", py, p.port,
             p.master.port);
    ck_assert_msg(rr == 0, "%s", cut(out_r));
    ck_assert_msg(strstr(out_r, "ok: message: b'news' b'from the master'"),
                  "%s", cut(out_r));
    pair_stop(&p);
}
END_TEST

/* ---- hiredis ------------------------------------------------------------------- */

START_TEST(hiredis_client)
{
    pair p;
    pair_start(&p, NULL);
    const char *cmds = "PING \\; GET greeting \\; MGET greeting nope \\; "
                       "LRANGE queue 0 -1 \\; ZRANGE scores 0 -1 WITHSCORES "
                       "\\; XRANGE events - + \\; HGET user:1 lang \\; "
                       "LRANGE greeting 0 1";
    int rr = run(out_r, sizeof out_r, "%s %d %s", HIREDIS_CLIENT_PATH, p.port,
                 cmds);
    int rm = run(out_m, sizeof out_m, "%s %d %s", HIREDIS_CLIENT_PATH,
                 p.master.port, cmds);
    ck_assert_int_eq(rr, 0);
    ck_assert_int_eq(rm, 0);
    ck_assert_msg(strcmp(out_r, out_m) == 0,
                  "hiredis: replica and master differ at %s",
                  first_diff(out_r, out_m));
    ck_assert_msg(strstr(out_r, "string(14) \"hello, replica\""), "%s", cut(out_r));

    /* A subscriber of the replica gets what the master publishes. */
    char sub_out[300];
    snprintf(sub_out, sizeof sub_out, "%s/sub.txt", p.dir);
    pid_t sub = fork();
    ck_assert_int_ge(sub, 0);
    if (sub == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(sub_out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        char port[16];
        snprintf(port, sizeof port, "%d", p.port);
        setenv("HIREDIS_READ", "1", 1);
        execl(HIREDIS_CLIENT_PATH, HIREDIS_CLIENT_PATH, port, "SUBSCRIBE",
              "news", (char *)NULL);
        _exit(127);
    }
    double end = now_s() + patience(10);
    int st = 0;
    pid_t w = 0;
    while ((w = waitpid(sub, &st, WNOHANG)) == 0 && now_s() < end) {
        master_cmd(&p, "PUBLISH", "news", "hi from the master", NULL);
        usleep(100 * 1000);
    }
    if (w == 0) {
        kill(sub, SIGKILL);
        waitpid(sub, &st, 0);
    }
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "the subscriber got nothing: %s", cut(slurp(sub_out)));
    ck_assert_str_eq(slurp(sub_out),
                     "array(3)\n  string(9) \"subscribe\"\n  string(4) "
                     "\"news\"\n  integer 1\n"
                     "array(3)\n  string(7) \"message\"\n  string(4) "
                     "\"news\"\n  string(18) \"hi from the master\"\n");
    pair_stop(&p);
}
END_TEST

/* ---- prometheus-redis-exporter --------------------------------------------------- */

/* The lines of a scrape a failure should show. */
static const char *metric_lines(const char *m)
{
    static char buf[1500];
    static const char *const keep[] = {
        "redis_up", "redis_db_keys{db=\"db0\"}", "redis_master_link_up",
        "redis_instance_info",
        "redis_slave_repl_offset", "redis_connected_clients",
        "redis_exporter_last_scrape_error"};
    size_t len = 0;
    buf[0] = '\0';
    for (const char *l = m; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] ? 1 : 0)) {
        size_t n = strcspn(l, "\n");
        for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++)
            if (!strncmp(l, keep[k], strlen(keep[k])) &&
                len + n + 2 < sizeof buf) {
                memcpy(buf + len, l, n);
                len += n;
                buf[len++] = '\n';
                buf[len] = '\0';
            }
    }
    return buf;
}

START_TEST(prometheus_exporter_scrapes)
{
    pair p;
    pair_start(&p, NULL);
    int eport = free_port();
    char cmd[512], log[300];
    snprintf(log, sizeof log, "%s/exporter.log", p.dir);
    snprintf(cmd, sizeof cmd, "exec prometheus-redis-exporter -redis.addr "
             "redis://127.0.0.1:%d -web.listen-address 127.0.0.1:%d > %s "
             "2>&1", p.port, eport, log);
    pid_t ex = fork();
    ck_assert_int_ge(ex, 0);
    if (ex == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    static char metrics[262144];
    double end = now_s() + patience(20);
    for (;;) {
        run(metrics, sizeof metrics, "curl -s http://127.0.0.1:%d/metrics",
            eport);
        if (strstr(metrics, "\nredis_up 1"))
            break;
        if (now_s() > end)
            break;
        usleep(200 * 1000);
    }
    kill(ex, SIGTERM);
    waitpid(ex, NULL, 0);
    ck_assert_msg(strstr(metrics, "\nredis_up 1"),
                  "the exporter never saw the replica up:\n%s\n%s",
                  metric_lines(metrics), cut(slurp(log)));
    /* 9 keys in db 0; a replica (role="slave") of our master, its link up,
     * its offset. */
    char label[100], want_link[200], want_off[200];
    snprintf(label, sizeof label, "{master_host=\"127.0.0.1\","
             "master_port=\"%d\"} ", p.master.port);
    snprintf(want_link, sizeof want_link, "\nredis_master_link_up%s1\n",
             label);
    snprintf(want_off, sizeof want_off, "\nredis_slave_repl_offset%s",
             label);
    ck_assert_msg(strstr(metrics, "\nredis_db_keys{db=\"db0\"} 9\n"),
                  "%s", metric_lines(metrics));
    ck_assert_msg(strstr(metrics, "role=\"slave\""), "%s",
                  metric_lines(metrics));
    ck_assert_msg(strstr(metrics, want_link), "no '%s' in:\n%s", want_link,
                  metric_lines(metrics));
    ck_assert_msg(strstr(metrics, want_off), "no '%s' in:\n%s", want_off,
                  metric_lines(metrics));
    ck_assert_msg(strstr(metrics, "\nredis_connected_clients "), "%s",
                  metric_lines(metrics));
    pair_stop(&p);
}
END_TEST

Suite *ch11_clients_suite(void)
{
    atexit(kill_live);
    Suite *s = suite_create("ch11_clients");
    TCase *tc = test_tcase("program", 60);
    tcase_add_test(tc, flags_help_version_and_errors);
    tcase_add_test(tc, port_in_use_is_an_error);
    tcase_add_test(tc, log_format_and_sigint_with_clients);
    suite_add_tcase(s, tc);
    tc = test_tcase("clients", 90);
    tcase_add_test(tc, redis_cli_scripted_matches_master);
    tcase_add_test(tc, redis_cli_interactive_in_tmux);
    tcase_add_test(tc, redis_benchmark_reads_complete);
    tcase_add_test(tc, python_client);
    tcase_add_test(tc, hiredis_client);
    tcase_add_test(tc, prometheus_exporter_scrapes);
    suite_add_tcase(s, tc);
    return s;
}
