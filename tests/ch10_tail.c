/* ch10_tail.c - chapter 10: repl-tail, the chapter's debugging tool, run as a
 * program against a real redis-server.
 *
 * The tool is what a learner watches the protocol with, so what it prints
 * must be right to the byte: these cases run build/repl-tail (the binary of
 * the same build mode) against a throwaway master, write to the master
 * with a client, and check the lines: the offsets (each command's offset
 * is the previous one plus the previous command's size, and the last one
 * ends at the master's master_repl_offset), the database after a SELECT,
 * redis-cli's quoting of binary arguments, the raw transcript of the
 * handshake and the stream byte for byte, GETACK answered well enough
 * that the master's WAIT counts the tool as a replica that has the
 * write, --count and SIGTERM ending it with status 0, TLS with a client
 * certificate (and a server name that does not match refused with
 * OpenSSL's reason), and every bad flag refused with status 2 and a
 * message naming it.
 */
#include "redis_server.h"
#include "resp.h"
#include "resp_client.h"
#include "test_util.h"
#include "tls_certs.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef REPL_TAIL_PATH
#define REPL_TAIL_PATH "build/repl-tail"
#endif

/* ---- running the program ---------------------------------------------------- */

typedef struct tail_proc {
    pid_t pid;
    char out[64]; /* stdout and stderr together */
} tail_proc;

/* Start repl-tail with args (NULL-terminated). */
static void tail_spawn(tail_proc *t, const char *const *args)
{
    snprintf(t->out, sizeof t->out, "/tmp/ch10-tail-XXXXXX");
    int fd = mkstemp(t->out);
    ck_assert_int_ge(fd, 0);
    const char *argv[32] = {REPL_TAIL_PATH};
    int n = 1;
    for (int i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    t->pid = fork();
    ck_assert_int_ge(t->pid, 0);
    if (t->pid == 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fd);
}

/* Wait for it to exit (killing it after timeout_s); its exit status, or
 * -1 when it had to be killed. */
static int tail_wait(tail_proc *t, double timeout_s)
{
    for (int i = 0; i < (int)(timeout_s * 100); i++) {
        int st;
        if (waitpid(t->pid, &st, WNOHANG) == t->pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(t->pid, SIGKILL);
    waitpid(t->pid, NULL, 0);
    return -1;
}

/* What it printed (malloc'd; the file is removed). */
static char *tail_output(tail_proc *t)
{
    FILE *f = fopen(t->out, "r");
    ck_assert_ptr_nonnull(f);
    static const size_t cap = 1 << 20;
    char *buf = malloc(cap);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(t->out);
    return buf;
}

/* The lines of out that start with prefix, in order (at most 32). */
static int lines_with(char *out, const char *prefix, char **lines, int max)
{
    int n = 0;
    for (char *save, *l = strtok_r(out, "\n", &save); l != NULL;
         l = strtok_r(NULL, "\n", &save))
        if (strncmp(l, prefix, strlen(prefix)) == 0 && n < max)
            lines[n++] = l;
    return n;
}

static bool has_line(const char *out, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = strstr(out, line); p != NULL;
         p = strstr(p + 1, line))
        if ((p == out || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

static bool has_line_starting(const char *out, const char *prefix)
{
    for (const char *p = strstr(out, prefix); p != NULL;
         p = strstr(p + 1, prefix))
        if (p == out || p[-1] == '\n')
            return true;
    return false;
}

/* ---- the master ------------------------------------------------------------- */

static int64_t info_int(resp_client *c, const char *field)
{
    resp_value v;
    ck_assert_int_eq(resp_client_calll(c, &v, "INFO", "replication", NULL),
                     0);
    ck_assert_int_eq(v.type, RESP_BULK);
    const char *p = strstr(v.str, field);
    ck_assert_msg(p != NULL, "INFO has no %s", field);
    int64_t x = strtoll(p + strlen(field) + 1, NULL, 10);
    resp_value_clear(&v);
    return x;
}

/* Wait until the master lists a replica in state online (the snapshot is
 * sent: what the master writes from now on is streamed to it). */
static void wait_online(resp_client *c, tail_proc *t)
{
    for (int i = 0; i < 2000; i++) {
        resp_value v;
        ck_assert_int_eq(resp_client_calll(c, &v, "INFO", "replication",
                                           NULL), 0);
        bool online = v.type == RESP_BULK && strstr(v.str, "state=online");
        resp_value_clear(&v);
        if (online)
            return;
        int st;
        if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
            char *out = tail_output(t);
            ck_abort_msg("repl-tail exited before syncing: %s", out);
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ck_abort_msg("the master never saw repl-tail online");
}

static void call_ok(resp_client *c, const char *const *argv, size_t argc,
                    const size_t *lens)
{
    resp_value v;
    ck_assert_int_eq(resp_client_call(c, &v, argc, argv, lens), 0);
    ck_assert_msg(v.type != RESP_ERROR, "%s: %s", argv[0], v.str);
    resp_value_clear(&v);
}

/* Size of a command as a master propagates it (an array of bulks). */
static uint64_t cmd_size(size_t argc, const char *const *argv,
                         const size_t *lens)
{
    resp_buf b;
    resp_buf_init(&b);
    ck_assert_int_eq(resp_write_command(&b, argc, argv, lens), 0);
    uint64_t n = b.len;
    resp_buf_free(&b);
    return n;
}

/* A master that starts a diskless snapshot at once (the default waits
 * repl-diskless-sync-delay, 5 s, for more replicas to join) and sends no
 * PING of its own during a test (repl-ping-replica-period, 10 s by
 * default), so the stream holds exactly what the test wrote. */
static void start_master(redis_server *rs, resp_client *c)
{
    static const char *const extra[] = {"--repl-diskless-sync-delay", "0",
                                        "--repl-ping-replica-period", "3600",
                                        NULL};
    char err[1024];
    ck_assert_msg(redis_server_start(rs, extra, err, sizeof err) == 0, "%s",
                  err);
    ck_assert_msg(resp_client_open(c, rs->port) == 0, "%s", c->err);
}

/* ---- the cases -------------------------------------------------------------- */

START_TEST(bad_flags_are_named)
{
    static const struct {
        const char *args[5];
        const char *msg;
    } bad[] = {
        {{"--port", "0"}, "--port '0': not a TCP port (1 to 65535)"},
        {{"--port", "70000"}, "--port '70000': not a TCP port"},
        {{"--port", "12x"}, "--port '12x': not a TCP port"},
        {{"--port"}, "--port needs a value"},
        {{"--host", ""}, "--host needs a value"},
        {{"--bogus"}, "unknown option '--bogus'"},
        {{"--count", "0"}, "--count '0': not a positive whole number"},
        {{"--count", "-3"}, "--count '-3': not a positive whole number"},
        {{"--status", "soon"}, "--status 'soon': not a number of seconds"},
        {{"--timeout", "0"}, "--timeout '0': not a number of seconds"},
        {{"--user", "u"}, "--user needs --pass"},
        {{"--cacert", "ca.pem"}, "--cacert, --cert, --key and --sni need "
                                 "--tls"},
        {{"--tls", "--cert", "c.pem"}, "--cert and --key go together"},
        {{"--raw", "--status", "1"}, "--status reads the link's status"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tail_proc t;
        tail_spawn(&t, bad[i].args);
        int rc = tail_wait(&t, 10);
        char *out = tail_output(&t);
        ck_assert_msg(rc == 2, "%s: exit %d, expected 2: %s", bad[i].msg,
                      rc, out);
        ck_assert_msg(strstr(out, bad[i].msg) != NULL,
                      "expected \"%s\" in: %s", bad[i].msg, out);
        ck_assert_msg(strncmp(out, "repl-tail: ", 11) == 0, "%s", out);
        free(out);
    }
}
END_TEST

START_TEST(follows_offsets_db_and_quoting)
{
    redis_server rs;
    resp_client c;
    start_master(&rs, &c);
    char port[16];
    snprintf(port, sizeof port, "%d", rs.port);
    tail_proc t;
    const char *args[] = {"--port", port, "--count", "4", "--timeout", "20",
                          "--status", "0.05", NULL};
    tail_spawn(&t, args);
    wait_online(&c, &t);
    uint64_t start = (uint64_t)info_int(&c, "master_repl_offset");
    /* long enough for a status line while the link streams */
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);

    /* SELECT 3 reaches the stream before the first write in db 3. */
    const char *sel[] = {"SELECT", "3"};
    const char *set[] = {"SET", "a", "1"};
    static const char bin[] = "\x00\"\\\r\n\t\a\b\xff z";
    const char *setb[] = {"SET", "bin", bin};
    size_t lens[] = {3, 3, sizeof bin - 1};
    const char *push[] = {"RPUSH", "l", "x"};
    call_ok(&c, sel, 2, NULL);
    call_ok(&c, set, 3, NULL);
    call_ok(&c, setb, 3, lens);
    call_ok(&c, push, 3, NULL);
    int rc = tail_wait(&t, 30);
    uint64_t end = (uint64_t)info_int(&c, "master_repl_offset");
    char *out = tail_output(&t);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);

    uint64_t o[4];
    o[0] = start;
    o[1] = o[0] + cmd_size(2, sel, NULL);
    o[2] = o[1] + cmd_size(3, set, NULL);
    o[3] = o[2] + cmd_size(3, setb, lens);
    ck_assert_uint_eq(o[3] + cmd_size(3, push, NULL), end);
    char want[4][200];
    snprintf(want[0], sizeof want[0], "offset=%" PRIu64 " db=0 \"SELECT\" "
             "\"3\"", o[0]);
    snprintf(want[1], sizeof want[1], "offset=%" PRIu64 " db=3 \"SET\" "
             "\"a\" \"1\"", o[1]);
    snprintf(want[2], sizeof want[2], "offset=%" PRIu64 " db=3 \"SET\" "
             "\"bin\" \"\\x00\\\"\\\\\\r\\n\\t\\a\\b\\xff z\"", o[2]);
    snprintf(want[3], sizeof want[3], "offset=%" PRIu64 " db=3 \"RPUSH\" "
             "\"l\" \"x\"", o[3]);
    ck_assert_msg(has_line_starting(out, "# repl: "), "no log line: %s",
                  out);
    char status[200];
    snprintf(status, sizeof status, "# status state=connected replid=");
    ck_assert_msg(has_line_starting(out, status), "no status line: %s", out);
    snprintf(status, sizeof status, " offset=%" PRIu64 " master_offset=%"
             PRIu64 " lag_bytes=0 ", start, start);
    ck_assert_msg(strstr(out, status) != NULL, "no %s in: %s", status, out);
    char *lines[32];
    int n = lines_with(out, "offset=", lines, 32);
    ck_assert_int_eq(n, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_str_eq(lines[i], want[i]);
    free(out);
    resp_client_close(&c);
    redis_server_stop(&rs);
}
END_TEST

START_TEST(raw_transcript_byte_for_byte)
{
    redis_server rs;
    resp_client c;
    start_master(&rs, &c);
    char port[16];
    snprintf(port, sizeof port, "%d", rs.port);
    tail_proc t;
    const char *args[] = {"--port", port, "--raw", "--count", "2",
                          "--timeout", "20", NULL};
    tail_spawn(&t, args);
    wait_online(&c, &t);
    uint64_t start = (uint64_t)info_int(&c, "master_repl_offset");
    const char *set[] = {"SET", "k", "v"};
    call_ok(&c, set, 3, NULL);
    int rc = tail_wait(&t, 30);
    char *out = tail_output(&t);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);

    static const char *const exact[] = {
        "> \"*1\\r\\n$4\\r\\nPING\\r\\n\"",
        "< \"+PONG\\r\\n\"",
        ("> \"*5\\r\\n$8\\r\\nREPLCONF\\r\\n$4\\r\\ncapa\\r\\n$3\\r\\neof\\r\\n"
         "$4\\r\\ncapa\\r\\n$6\\r\\npsync2\\r\\n\""),
        "> \"*3\\r\\n$5\\r\\nPSYNC\\r\\n$1\\r\\n?\\r\\n$2\\r\\n-1\\r\\n\"",
    };
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        ck_assert_msg(has_line(out, exact[i]), "no line %s in: %s",
                      exact[i], out);
    static const char *const starts[] = {
        "> \"*3\\r\\n$8\\r\\nREPLCONF\\r\\n$14\\r\\nlistening-port\\r\\n",
        "< \"+FULLRESYNC ",
        "< \"$EOF:",      /* 7.0 sends diskless snapshots by default */
        "< [snapshot: ",
        "> \"*3\\r\\n$8\\r\\nREPLCONF\\r\\n$3\\r\\nACK\\r\\n",
    };
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++)
        ck_assert_msg(has_line_starting(out, starts[i]),
                      "no line starting %s in: %s", starts[i], out);
    ck_assert_msg(strstr(out, "first \"REDIS0010") != NULL, "%s", out);
    const char *sel[] = {"SELECT", "0"};
    uint64_t nsel = cmd_size(2, sel, NULL), nset = cmd_size(3, set, NULL);
    char want[2][200];
    snprintf(want[0], sizeof want[0], "@%" PRIu64 " +%" PRIu64 " db=0 "
             "\"*2\\r\\n$6\\r\\nSELECT\\r\\n$1\\r\\n0\\r\\n\"", start,
             nsel);
    snprintf(want[1], sizeof want[1], "@%" PRIu64 " +%" PRIu64 " db=0 "
             "\"*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nk\\r\\n$1\\r\\nv\\r\\n\"",
             start + nsel, nset);
    char *lines[32];
    int n = lines_with(out, "@", lines, 32);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(lines[0], want[0]);
    ck_assert_str_eq(lines[1], want[1]);
    free(out);
    resp_client_close(&c);
    redis_server_stop(&rs);
}
END_TEST

/* WAIT 1 returns 1 only if the replica's ACK (the answer to the master's
 * GETACK) reports an offset at or past the write: in both modes. */
START_TEST(getack_satisfies_wait_and_sigterm_ends)
{
    for (int raw = 0; raw < 2; raw++) {
        redis_server rs;
        resp_client c;
        start_master(&rs, &c);
        char port[16];
        snprintf(port, sizeof port, "%d", rs.port);
        tail_proc t;
        const char *args[] = {"--port", port, "--timeout", "20",
                              raw ? "--raw" : NULL, NULL};
        tail_spawn(&t, args);
        wait_online(&c, &t);
        /* One pipeline: the master runs WAIT right after the SET, before
         * any periodic ACK can report it, so WAIT has to ask (GETACK). */
        const char *set[] = {"SET", "w", "1"};
        const char *wait[] = {"WAIT", "1", "10000"};
        ck_assert_int_eq(resp_client_send(&c, 3, set, NULL), 0);
        ck_assert_int_eq(resp_client_send(&c, 3, wait, NULL), 0);
        resp_value v;
        ck_assert_int_eq(resp_client_reply(&c, &v), 0);
        ck_assert_int_eq(v.type, RESP_SIMPLE);
        resp_value_clear(&v);
        ck_assert_int_eq(resp_client_reply(&c, &v), 0);
        ck_assert_int_eq(v.type, RESP_INTEGER);
        ck_assert_msg(v.integer == 1, "%s: WAIT counted %lld replicas",
                      raw ? "--raw" : "link", (long long)v.integer);
        resp_value_clear(&v);
        kill(t.pid, SIGTERM);
        int rc = tail_wait(&t, 20);
        char *out = tail_output(&t);
        ck_assert_msg(rc == 0, "exit %d after SIGTERM: %s", rc, out);
        if (raw)
            ck_assert_msg(strstr(out, "\\r\\nGETACK\\r\\n") != NULL, "%s",
                          out);
        free(out);
        resp_client_close(&c);
        redis_server_stop(&rs);
    }
}
END_TEST

START_TEST(raw_auth_refused_names_the_reply)
{
    redis_server rs;
    resp_client c;
    start_master(&rs, &c);
    const char *pass[] = {"CONFIG", "SET", "requirepass", "secret"};
    call_ok(&c, pass, 4, NULL);
    char port[16];
    snprintf(port, sizeof port, "%d", rs.port);
    tail_proc t;
    const char *args[] = {"--port", port, "--raw", "--pass", "wrong",
                          "--timeout", "10", NULL};
    tail_spawn(&t, args);
    int rc = tail_wait(&t, 20);
    char *out = tail_output(&t);
    ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
    char want[200];
    snprintf(want, sizeof want, "repl-tail: 127.0.0.1:%d: AUTH: -WRONGPASS",
             rs.port);
    ck_assert_msg(strstr(out, want) != NULL, "expected %s in: %s", want,
                  out);
    free(out);
    /* the launcher stops the server with an unauthenticated SHUTDOWN */
    const char *unpass[] = {"CONFIG", "SET", "requirepass", ""};
    call_ok(&c, unpass, 4, NULL);
    resp_client_close(&c);
    redis_server_stop(&rs);
}
END_TEST

/* A free loopback port (the master's TLS port; the plain one is the
 * launcher's). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    return ntohs(a.sin_port);
}

START_TEST(tls_with_client_certificate)
{
    tls_certs tc;
    char err[1024];
    ck_assert_msg(tls_certs_make(&tc, err, sizeof err) == 0, "%s", err);
    redis_server rs;
    char tport[16];
    int started = -1;
    for (int attempt = 0; attempt < 3 && started != 0; attempt++) {
        snprintf(tport, sizeof tport, "%d", free_port());
        const char *extra[] = {"--tls-port", tport,
                               "--tls-cert-file", tc.server_cert,
                               "--tls-key-file", tc.server_key,
                               "--tls-ca-cert-file", tc.ca_cert,
                               "--tls-auth-clients", "yes",
                               "--repl-diskless-sync-delay", "0",
                               "--repl-ping-replica-period", "3600", NULL};
        started = redis_server_start(&rs, extra, err, sizeof err);
    }
    ck_assert_msg(started == 0, "redis-server with TLS: %s", err);
    resp_client c;
    ck_assert_msg(resp_client_open(&c, rs.port) == 0, "%s", c.err);

    tail_proc t;
    const char *args[] = {"--port", tport, "--tls", "--cacert", tc.ca_cert,
                          "--cert", tc.client_cert, "--key", tc.client_key,
                          "--count", "2", "--timeout", "20", NULL};
    tail_spawn(&t, args);
    wait_online(&c, &t);
    uint64_t start = (uint64_t)info_int(&c, "master_repl_offset");
    const char *set[] = {"SET", "over", "tls"};
    call_ok(&c, set, 3, NULL);
    int rc = tail_wait(&t, 30);
    char *out = tail_output(&t);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    char want[200];
    snprintf(want, sizeof want, "offset=%" PRIu64 " db=0 \"SET\" \"over\" "
             "\"tls\"", start + 23); /* after SELECT 0, 23 bytes */
    ck_assert_msg(has_line(out, want), "no line %s in: %s", want, out);
    free(out);

    /* The certificate names 127.0.0.1 and localhost, not this. */
    const char *wrong[] = {"--port", tport, "--tls", "--cacert", tc.ca_cert,
                           "--cert", tc.client_cert, "--key", tc.client_key,
                           "--sni", "wrong.example", "--raw", "--timeout",
                           "10", NULL};
    tail_spawn(&t, wrong);
    rc = tail_wait(&t, 20);
    out = tail_output(&t);
    ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
    snprintf(want, sizeof want, "repl-tail: TLS handshake with 127.0.0.1:%s: "
             "certificate verify failed", tport);
    ck_assert_msg(strstr(out, want) != NULL, "expected %s in: %s", want,
                  out);
    free(out);
    resp_client_close(&c);
    redis_server_stop(&rs);
    tls_certs_remove(&tc);
}
END_TEST

Suite *ch10_tail_suite(void)
{
    Suite *s = suite_create("ch10_tail");
    TCase *tc = test_tcase("flags", 60);
    tcase_add_test(tc, bad_flags_are_named);
    suite_add_tcase(s, tc);
    tc = test_tcase("redis", 90);
    tcase_add_test(tc, follows_offsets_db_and_quoting);
    tcase_add_test(tc, raw_transcript_byte_for_byte);
    tcase_add_test(tc, getack_satisfies_wait_and_sigterm_ends);
    tcase_add_test(tc, raw_auth_refused_names_the_reply);
    tcase_add_test(tc, tls_with_client_certificate);
    suite_add_tcase(s, tc);
    return s;
}
