/* ch11_server.c - chapter 11: the server core over real TCP connections.
 *
 * Every test runs a real server in-process (port -1: any free port) in
 * front of a dataset filled through chapter 9's applier, and talks to it
 * with real sockets: resp_raw for whole replies as bytes, plain sockets
 * for requests cut at chosen bytes and for protocol errors.  The texts
 * asserted are redis-server 7.0.15's, checked against the Debian binary.
 */
#include "server.h"
#include "server_private.h"
#include "server_stats.h"

#include "cmd.h"
#include "cmd_private.h"
#include "dataset.h"
#include "redis_server.h"
#include "repl.h"
#include "repl_conn.h"
#include "resp_client.h"
#include "resp_raw.h"
#include "test_util.h"
#include "tls_certs.h"
#include "value.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- fixture ------------------------------------------------------------ */

typedef struct fx {
    dataset *ds;
    server *srv;
    int port;
} fx;

static void quiet_log(void *arg, server_log_level level, const char *msg)
{
    (void)arg, (void)level, (void)msg;
}

static server_options fx_options(void)
{
    server_options o = server_options_default();
    o.port = -1;
    o.log = quiet_log;
    o.log_level = SERVER_LOG_WARNING;
    return o;
}

/* Apply commands (NULL-separated groups ended by two NULLs) to ks. */
static void apply_all(keyspace *ks, const char *const *cmds)
{
    cmd_applier *a = cmd_applier_create(ks, NULL);
    ck_assert_ptr_nonnull(a);
    while (*cmds != NULL) {
        size_t n = 0;
        while (cmds[n] != NULL)
            n++;
        cmd_status st = cmd_apply_argv(a, n, cmds, NULL);
        ck_assert_msg(st == CMD_APPLIED, "apply %s: %s", cmds[0],
                      cmd_applier_error(a));
        cmds += n + 1;
    }
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    cmd_applier_destroy(a);
}

static const char *const base_data[] = {
    "SET", "k", "v", NULL,
    "SET", "empty", "", NULL,
    "RPUSH", "list", "a", "b", NULL,
    "SELECT", "1", NULL,
    "SET", "k", "in-db1", NULL,
    NULL,
};

/* A loaded dataset (one full sync switched in), and a started server. */
static void fx_start_opt(fx *f, const char *variant, server_options o,
                         bool load)
{
    memset(f, 0, sizeof *f);
    const store_ops *ops = store_variant(variant);
    ck_assert_ptr_nonnull(ops);
    f->ds = dataset_create(ops, 16);
    ck_assert_ptr_nonnull(f->ds);
    if (load) {
        keyspace *ks = dataset_fresh(f->ds);
        ck_assert_ptr_nonnull(ks);
        apply_all(ks, base_data);
        ck_assert_int_eq(dataset_switch(f->ds, ks), 0);
    }
    char err[256];
    f->srv = server_create(&o, f->ds, NULL, err, sizeof err);
    ck_assert_msg(f->srv != NULL, "server_create: %s", err);
    ck_assert_int_eq(server_start(f->srv), 0);
    f->port = server_port(f->srv);
    ck_assert_int_gt(f->port, 0);
}

static void fx_start(fx *f, bool load)
{
    fx_start_opt(f, "hamt", fx_options(), load);
}

static void fx_stop(fx *f)
{
    server_stop(f->srv);
    server_destroy(f->srv);
    dataset_reclaim(f->ds);
    dataset_destroy(f->ds);
}

/* ---- raw sockets ---------------------------------------------------------- */

static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0,
                  "connect: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void raw_send(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        ck_assert_msg(w > 0, "send: %s", strerror(errno));
        c += w;
        n -= (size_t)w;
    }
}

static void raw_sends(int fd, const char *s)
{
    raw_send(fd, s, strlen(s));
}

/* Read exactly n bytes (10 s at most); returns how many came. */
static size_t raw_read(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 10000) <= 0)
            break;
        ssize_t r = recv(fd, buf + got, n - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

/* Assert the next bytes are exactly `want`. */
static void raw_expect_(int fd, const char *want, const char *file, int line)
{
    size_t n = strlen(want);
    char *buf = malloc(n + 1);
    size_t got = raw_read(fd, buf, n);
    test_assert_bytes(file, line, "reply", buf, got, want, n);
    free(buf);
}
#define raw_expect(fd, want) raw_expect_((fd), (want), __FILE__, __LINE__)

/* Is the connection closed by the server (EOF or reset) within 10 s? */
static bool raw_closed(int fd)
{
    char buf[4096];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 10000) <= 0)
            return false;
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r == 0 || (r < 0 && errno == ECONNRESET))
            return true;
        if (r < 0)
            return false;
    }
}

/* One command over resp_raw, reply compared byte for byte. */
static void call_expect_(resp_raw *c, const char *want, const char *file,
                         int line, const char *arg0, ...)
{
    const char *argv[16];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < 16; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    const char *r;
    size_t rl;
    int rc = resp_raw_call(c, argc, argv, NULL, &r, &rl);
    if (rc != 0)
        ck_abort_msg("%s:%d: %s: %s", file, line, arg0, c->err);
    test_assert_bytes(file, line, arg0, r, rl, want, strlen(want));
}
#define call_expect(c, want, ...) \
    call_expect_((c), (want), __FILE__, __LINE__, __VA_ARGS__, NULL)

static void raw_open(resp_raw *c, int port)
{
    ck_assert_msg(resp_raw_open(c, port) == 0, "open: %s", c->err);
}

/* ---- tests ------------------------------------------------------------- */

START_TEST(ping_echo_and_unknown)
{
    fx f;
    fx_start(&f, true);
    resp_raw c;
    raw_open(&c, f.port);
    call_expect(&c, "+PONG\r\n", "PING");
    call_expect(&c, "$2\r\nhi\r\n", "PING", "hi");
    call_expect(&c, "-ERR wrong number of arguments for 'ping' command\r\n",
                "PING", "a", "b");
    call_expect(&c, "$3\r\na b\r\n", "ECHO", "a b");
    call_expect(&c, "-ERR wrong number of arguments for 'echo' command\r\n",
                "ECHO");
    call_expect(&c, "-ERR unknown command 'nosuch', with args beginning "
                "with: 'x' \r\n", "nosuch", "x");
    call_expect(&c, "$1\r\nv\r\n", "GET", "k");
    call_expect(&c, "$0\r\n\r\n", "GET", "empty");
    call_expect(&c, "$-1\r\n", "GET", "missing");
    call_expect(&c, "-ERR This instance has cluster support disabled\r\n",
                "READONLY");
    call_expect(&c, "-ERR This instance has cluster support disabled\r\n",
                "READWRITE");
    resp_raw_close(&c);
    fx_stop(&f);
}
END_TEST

START_TEST(inline_commands)
{
    fx f;
    fx_start(&f, true);
    int fd = raw_connect(f.port);
    raw_sends(fd, "PING\r\n\r\nECHO \"a b\\x41\\n\"\n");
    raw_expect(fd, "+PONG\r\n$5\r\na bA\n\r\n");
    raw_sends(fd, "ECHO \"a b\"\r\nECHO 'c\\'d'\r\nGET k\r\nECHO  spaced \r\n");
    raw_expect(fd, "$3\r\na b\r\n$3\r\nc'd\r\n$1\r\nv\r\n$6\r\nspaced\r\n");
    raw_sends(fd, "ECHO \"unbalanced\r\n");
    raw_expect(fd, "-ERR Protocol error: unbalanced quotes in request\r\n");
    ck_assert(raw_closed(fd));
    close(fd);
    fx_stop(&f);
}
END_TEST

START_TEST(pipeline_of_a_thousand)
{
    fx f;
    fx_start(&f, true);
    int fd = raw_connect(f.port);
    size_t n = 1000;
    char *req = malloc(n * 32), *want = malloc(n * 32);
    size_t rl = 0, wl = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 2 == 0) {
            rl += (size_t)sprintf(req + rl, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
            wl += (size_t)sprintf(want + wl, "$1\r\nv\r\n");
        } else {
            char num[16];
            int nl = sprintf(num, "%zu", i);
            rl += (size_t)sprintf(req + rl, "*2\r\n$4\r\nECHO\r\n$%d\r\n%s\r\n",
                                  nl, num);
            wl += (size_t)sprintf(want + wl, "$%d\r\n%s\r\n", nl, num);
        }
    }
    raw_send(fd, req, rl); /* one write */
    char *got = malloc(wl);
    size_t gl = raw_read(fd, got, wl);
    ck_assert_bytes_eq(got, gl, want, wl);
    free(req), free(want), free(got);
    close(fd);
    server_info in;
    server_info_get(f.srv, &in);
    ck_assert_uint_ge(in.total_commands, n);
    ck_assert_uint_ge(in.keyspace_hits, n / 2);
    fx_stop(&f);
}
END_TEST

START_TEST(request_cut_at_every_byte)
{
    fx f;
    fx_start(&f, true);
    const char *req = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\nECHO x\r\n";
    size_t n = strlen(req);
    int fd = raw_connect(f.port);
    for (size_t cut = 1; cut < n; cut++) {
        raw_send(fd, req, cut);
        struct timespec ts = {0, 2000000}; /* let the server read the part */
        nanosleep(&ts, NULL);
        raw_send(fd, req + cut, n - cut);
        raw_expect(fd, "$1\r\nv\r\n+PONG\r\n$1\r\nx\r\n");
    }
    /* and one byte per write */
    for (size_t i = 0; i < n; i++)
        raw_send(fd, req + i, 1);
    raw_expect(fd, "$1\r\nv\r\n+PONG\r\n$1\r\nx\r\n");
    close(fd);
    fx_stop(&f);
}
END_TEST

/* Send a bad request; expect the replies before it, the error, a close. */
static void protocol_case(int port, const char *req, const char *want)
{
    int fd = raw_connect(port);
    raw_sends(fd, req);
    raw_expect(fd, want);
    ck_assert_msg(raw_closed(fd), "not closed after %s", want);
    close(fd);
}

START_TEST(protocol_errors)
{
    fx f;
    server_options o = fx_options();
    o.proto_max_bulk_len = 1000;
    o.max_args = 5;
    fx_start_opt(&f, "hamt", o, true);
    int other = raw_connect(f.port);
    protocol_case(f.port, "PING\r\n*2\r\n$3\r\nGET\r\n$1001\r\n",
                  "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
    protocol_case(f.port, "*6\r\n",
                  "-ERR Protocol error: invalid multibulk length\r\n");
    protocol_case(f.port, "*x\r\n",
                  "-ERR Protocol error: invalid multibulk length\r\n");
    protocol_case(f.port, "*1\r\n$-1\r\n",
                  "-ERR Protocol error: invalid bulk length\r\n");
    protocol_case(f.port, "*1\r\n:1\r\n",
                  "-ERR Protocol error: expected '$', got ':'\r\n");
    protocol_case(f.port, "*1\r\n*1\r\n",
                  "-ERR Protocol error: expected '$', got '*'\r\n");
    protocol_case(f.port, "*1\r\nx\r\n",
                  "-ERR Protocol error: expected '$', got 'x'\r\n");
    char *big = malloc(70 * 1024);
    memset(big, 'a', 70 * 1024 - 1);
    big[70 * 1024 - 1] = '\0';
    protocol_case(f.port, big, "-ERR Protocol error: too big inline "
                  "request\r\n");
    big[0] = '*';
    memset(big + 1, '1', 70 * 1024 - 2);
    protocol_case(f.port, big, "-ERR Protocol error: invalid multibulk "
                  "length\r\n");
    free(big);
    /* -1 and 0 elements are no command at all, as in Redis */
    int fd = raw_connect(f.port);
    raw_sends(fd, "*-1\r\n*0\r\nPING\r\n");
    raw_expect(fd, "+PONG\r\n");
    close(fd);
    /* the other client never noticed */
    raw_sends(other, "PING\r\n");
    raw_expect(other, "+PONG\r\n");
    close(other);
    fx_stop(&f);
}
END_TEST

START_TEST(query_buffer_limit_closes)
{
    fx f;
    server_options o = fx_options();
    o.query_buffer_limit = 4096;
    fx_start_opt(&f, "hamt", o, true);
    int fd = raw_connect(f.port);
    char req[64];
    snprintf(req, sizeof req, "*2\r\n$4\r\nECHO\r\n$%d\r\n", 8000);
    raw_sends(fd, req);
    char pad[8000];
    memset(pad, 'p', sizeof pad);
    send(fd, pad, sizeof pad, MSG_NOSIGNAL); /* may fail once closed */
    ck_assert(raw_closed(fd));
    close(fd);
    fd = raw_connect(f.port);
    raw_sends(fd, "ECHO ok\r\n");
    raw_expect(fd, "$2\r\nok\r\n");
    close(fd);
    fx_stop(&f);
}
END_TEST

START_TEST(client_that_never_reads)
{
    fx f;
    server_options o = fx_options();
    o.output_limit_normal = 1024 * 1024;
    fx_start_opt(&f, "hamt", o, false);
    keyspace *ks = dataset_fresh(f.ds);
    ck_assert_ptr_nonnull(ks);
    char *val = malloc(256 * 1024 + 1);
    memset(val, 'x', 256 * 1024);
    val[256 * 1024] = '\0';
    const char *cmds[] = {"SET", "big", val, NULL, NULL};
    apply_all(ks, cmds);
    ck_assert_int_eq(dataset_switch(f.ds, ks), 0);
    free(val);
    int fd = raw_connect(f.port);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    /* 64 MiB of replies asked for, none read */
    for (int i = 0; i < 256; i++) /* the server may close us meanwhile */
        if (send(fd, "GET big\r\n", 9, MSG_NOSIGNAL) != 9)
            break;
    server_info in;
    for (int i = 0; i < 500; i++) {
        server_info_get(f.srv, &in);
        if (in.output_limit_kills > 0)
            break;
        usleep(10000);
    }
    ck_assert_uint_eq(in.output_limit_kills, 1);
    ck_assert(raw_closed(fd));
    close(fd);
    /* everyone else is fine */
    resp_raw c;
    raw_open(&c, f.port);
    call_expect(&c, "+PONG\r\n", "PING");
    resp_raw_close(&c);
    fx_stop(&f);
}
END_TEST

START_TEST(readonly_for_every_write)
{
    fx f;
    fx_start(&f, true);
    resp_buf req, want;
    resp_buf_init(&req);
    resp_buf_init(&want);
    size_t writes = 0;
    for (size_t t = 0; cmd_tables[t] != NULL; t++) {
        for (const cmd_spec *s = cmd_tables[t]; s->name != NULL; s++) {
            if (!(s->flags & CMD_WRITE) ||
                server_cmd_find(s->name, strlen(s->name)) != NULL)
                continue;
            int argc = s->arity > 0 ? s->arity : -s->arity;
            const char *argv[16];
            argv[0] = s->name;
            for (int i = 1; i < argc && i < 16; i++)
                argv[i] = "x";
            ck_assert_int_eq(resp_write_command(&req, (size_t)argc, argv,
                                                NULL), 0);
            const char *ro = "-READONLY You can't write against a read only "
                             "replica.\r\n";
            ck_assert_int_eq(resp_buf_append(&want, ro, strlen(ro)), 0);
            writes++;
        }
    }
    ck_assert_uint_gt(writes, 100);
    int fd = raw_connect(f.port);
    raw_send(fd, req.data, req.len);
    char *got = malloc(want.len);
    size_t gl = raw_read(fd, got, want.len);
    ck_assert_bytes_eq(got, gl, want.data, want.len);
    free(got);
    close(fd);
    /* arity is checked first, as Redis does */
    resp_raw c;
    raw_open(&c, f.port);
    call_expect(&c, "-ERR wrong number of arguments for 'set' command\r\n",
                "SET", "k");
    call_expect(&c, "-READONLY You can't write against a read only "
                "replica.\r\n", "set", "k", "v");
    resp_raw_close(&c);
    server_cmdstat st[512];
    size_t n = server_cmdstats_get(f.srv, st, 512);
    bool found = false;
    for (size_t i = 0; i < n && i < 512; i++)
        if (strcmp(st[i].name, "set") == 0) {
            ck_assert_uint_eq(st[i].rejected, 3); /* arity, table, "set" */
            found = true;
        }
    ck_assert(found);
    resp_buf_free(&req);
    resp_buf_free(&want);
    fx_stop(&f);
}
END_TEST

START_TEST(loading_before_the_first_sync)
{
    fx f;
    fx_start(&f, false);
    resp_raw c;
    raw_open(&c, f.port);
    call_expect(&c, "-LOADING Redis is loading the dataset in memory\r\n",
                "GET", "k");
    call_expect(&c, "+PONG\r\n", "PING");
    call_expect(&c, "-READONLY You can't write against a read only "
                "replica.\r\n", "SET", "k", "v");
    keyspace *ks = dataset_fresh(f.ds);
    apply_all(ks, base_data);
    ck_assert_int_eq(dataset_switch(f.ds, ks), 0);
    call_expect(&c, "$1\r\nv\r\n", "GET", "k");
    resp_raw_close(&c);
    fx_stop(&f);
}
END_TEST

START_TEST(auth_and_requirepass)
{
    fx f;
    server_options o = fx_options();
    o.requirepass = "s3cret";
    fx_start_opt(&f, "hamt", o, true);
    resp_raw c;
    raw_open(&c, f.port);
    call_expect(&c, "-NOAUTH Authentication required.\r\n", "GET", "k");
    call_expect(&c, "-NOAUTH Authentication required.\r\n", "PING");
    call_expect(&c, "-NOAUTH Authentication required.\r\n", "SET", "k", "v");
    /* unknown command and arity come before authentication */
    call_expect(&c, "-ERR wrong number of arguments for 'get' command\r\n",
                "GET");
    call_expect(&c, "-WRONGPASS invalid username-password pair or user is "
                "disabled.\r\n", "AUTH", "nope");
    call_expect(&c, "-WRONGPASS invalid username-password pair or user is "
                "disabled.\r\n", "AUTH", "bob", "s3cret");
    call_expect(&c, "-ERR syntax error\r\n", "AUTH", "a", "b", "c");
    call_expect(&c, "-NOAUTH HELLO must be called with the client already "
                "authenticated, otherwise the HELLO AUTH <user> "
                "<pass> option can be used to authenticate the client and "
                "select the RESP protocol version at the same time\r\n",
                "HELLO", "2");
    call_expect(&c, "+OK\r\n", "AUTH", "s3cret");
    call_expect(&c, "$1\r\nv\r\n", "GET", "k");
    call_expect(&c, "+OK\r\n", "AUTH", "default", "s3cret");
    call_expect(&c, "+RESET\r\n", "RESET");
    call_expect(&c, "-NOAUTH Authentication required.\r\n", "GET", "k");
    resp_raw_close(&c);
    /* before AUTH: 10 arguments of 16 KiB at most */
    protocol_case(f.port, "*11\r\n", "-ERR Protocol error: unauthenticated "
                  "multibulk length\r\n");
    protocol_case(f.port, "*2\r\n$4\r\nECHO\r\n$16385\r\n",
                  "-ERR Protocol error: unauthenticated bulk length\r\n");
    /* HELLO AUTH logs in */
    raw_open(&c, f.port);
    const char *r;
    size_t rl;
    ck_assert_int_eq(resp_raw_calll(&c, &r, &rl, "HELLO", "3", "AUTH",
                                    "default", "s3cret", NULL), 0);
    ck_assert_int_eq(r[0], '%');
    call_expect(&c, "$1\r\nv\r\n", "GET", "k");
    resp_raw_close(&c);
    fx_stop(&f);

    fx_start(&f, true);
    raw_open(&c, f.port);
    call_expect(&c, "-ERR AUTH <password> called without any password "
                "configured for the default user. Are you sure your "
                "configuration is correct?\r\n", "AUTH", "x");
    call_expect(&c, "+OK\r\n", "AUTH", "default", "anything");
    resp_raw_close(&c);
    fx_stop(&f);
}
END_TEST

START_TEST(hello_and_resp3)
{
    fx f;
    fx_start(&f, true);
    resp_raw c;
    raw_open(&c, f.port);
    const char *r;
    size_t rl;
    ck_assert_int_eq(resp_raw_calll(&c, &r, &rl, "CLIENT", "ID", NULL), 0);
    long long id = strtoll(r + 1, NULL, 10);
    ck_assert_int_gt(id, 0);
    char want[512];
    snprintf(want, sizeof want, "%%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"
             "$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n"
             "$2\r\nid\r\n:%lld\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n"
             "$4\r\nrole\r\n$7\r\nreplica\r\n$7\r\nmodules\r\n*0\r\n", id);
    call_expect(&c, want, "HELLO", "3");
    call_expect(&c, "_\r\n", "GET", "missing");
    call_expect(&c, "-NOPROTO unsupported protocol version\r\n", "HELLO",
                "4");
    call_expect(&c, "-ERR Protocol version is not an integer or out of "
                "range\r\n", "HELLO", "x");
    call_expect(&c, "-ERR Syntax error in HELLO option 'foo'\r\n", "HELLO",
                "3", "foo");
    call_expect(&c, "-ERR Syntax error in HELLO option 'auth'\r\n", "HELLO",
                "3", "auth", "a");
    ck_assert_int_eq(resp_raw_calll(&c, &r, &rl, "HELLO", "2", "SETNAME",
                                    "me", NULL), 0);
    ck_assert_int_eq(r[0], '*');
    call_expect(&c, "$2\r\nme\r\n", "CLIENT", "GETNAME");
    call_expect(&c, "$-1\r\n", "GET", "missing");
    resp_raw_close(&c);
    fx_stop(&f);
}
END_TEST

START_TEST(select_databases)
{
    fx f;
    fx_start(&f, true);
    resp_raw c;
    raw_open(&c, f.port);
    call_expect(&c, "+OK\r\n", "SELECT", "1");
    call_expect(&c, "$6\r\nin-db1\r\n", "GET", "k");
    call_expect(&c, "-ERR DB index is out of range\r\n", "SELECT", "16");
    call_expect(&c, "-ERR DB index is out of range\r\n", "SELECT", "-1");
    call_expect(&c, "-ERR value is not an integer or out of range\r\n",
                "SELECT", "x");
    call_expect(&c, "-ERR value is out of range, value must between "
                "-2147483648 and 2147483647\r\n", "SELECT", "99999999999999");
    call_expect(&c, "$6\r\nin-db1\r\n", "GET", "k");
    call_expect(&c, "+OK\r\n", "SELECT", "0");
    call_expect(&c, "$1\r\nv\r\n", "GET", "k");
    resp_raw_close(&c);
    fx_stop(&f);
}
END_TEST

START_TEST(quit_closes)
{
    fx f;
    fx_start(&f, true);
    int fd = raw_connect(f.port);
    raw_sends(fd, "PING\r\nQUIT\r\nPING\r\n");
    raw_expect(fd, "+PONG\r\n+OK\r\n");
    ck_assert(raw_closed(fd));
    close(fd);
    fx_stop(&f);
}
END_TEST

/* The value of field `key=` in a CLIENT LIST line. */
static bool field_is(const char *line, const char *key, const char *val)
{
    char pat[64];
    snprintf(pat, sizeof pat, " %s=%s ", key, val);
    return strstr(line, pat) != NULL;
}

START_TEST(client_commands)
{
    fx f;
    server_options o = fx_options();
    o.threads = 4;
    fx_start_opt(&f, "hamt", o, true);
    resp_raw a, b;
    raw_open(&a, f.port);
    raw_open(&b, f.port);
    const char *r;
    size_t rl;
    ck_assert_int_eq(resp_raw_calll(&b, &r, &rl, "CLIENT", "ID", NULL), 0);
    long long bid = strtoll(r + 1, NULL, 10);
    call_expect(&a, "$-1\r\n", "CLIENT", "GETNAME");
    call_expect(&a, "+OK\r\n", "CLIENT", "SETNAME", "alpha");
    call_expect(&a, "$5\r\nalpha\r\n", "CLIENT", "GETNAME");
    call_expect(&a, "-ERR Client names cannot contain spaces, newlines or "
                "special characters.\r\n", "CLIENT", "SETNAME", "a b");
    call_expect(&a, "-ERR wrong number of arguments for 'client|setname' "
                "command\r\n", "CLIENT", "SETNAME");
    call_expect(&a, "-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n",
                "CLIENT", "NOPE");
    call_expect(&a, "-ERR wrong number of arguments for 'client' command\r\n",
                "CLIENT");
    ck_assert_int_eq(resp_raw_calll(&a, &r, &rl, "CLIENT", "INFO", NULL), 0);
    char *line = strndup(r, rl);
    ck_assert(strstr(line, "name=alpha ") != NULL);
    ck_assert(field_is(line, "cmd", "client|info"));
    ck_assert(field_is(line, "db", "0"));
    ck_assert(field_is(line, "flags", "N"));
    ck_assert(field_is(line, "user", "default"));
    free(line);
    ck_assert_int_eq(resp_raw_calll(&a, &r, &rl, "CLIENT", "LIST", NULL), 0);
    line = strndup(r, rl);
    char idf[32];
    snprintf(idf, sizeof idf, "id=%lld ", bid);
    ck_assert_msg(strstr(line, idf) != NULL, "%s", line);
    ck_assert(strstr(line, "name=alpha ") != NULL);
    /* Redis's fields, in Redis's order */
    const char *order[] = {"id=", " addr=", " laddr=", " fd=", " name=",
                           " age=", " idle=", " flags=", " db=", " sub=",
                           " psub=", " ssub=", " multi=", " qbuf=",
                           " qbuf-free=", " argv-mem=", " multi-mem=",
                           " rbs=", " rbp=", " obl=", " oll=", " omem=",
                           " tot-mem=", " events=", " cmd=", " user=",
                           " redir=", " resp=", NULL};
    const char *p = line;
    for (size_t i = 0; order[i] != NULL; i++) {
        const char *q = strstr(p, order[i]);
        ck_assert_msg(q != NULL, "field %s missing or out of order", order[i]);
        p = q + 1;
    }
    free(line);
    snprintf(idf, sizeof idf, "%lld", bid);
    ck_assert_int_eq(resp_raw_calll(&a, &r, &rl, "CLIENT", "LIST", "ID", idf,
                                    NULL), 0);
    ck_assert_int_eq(r[0], '$');
    call_expect(&a, "$0\r\n\r\n", "CLIENT", "LIST", "ID", "0");
    call_expect(&a, "-ERR Invalid client ID\r\n", "CLIENT", "LIST", "ID", "x");
    call_expect(&a, "-ERR Unknown client type 'foo'\r\n", "CLIENT", "LIST",
                "TYPE", "foo");
    call_expect(&a, "-ERR syntax error\r\n", "CLIENT", "LIST", "foo");
    call_expect(&a, "-ERR client-id should be greater than 0\r\n", "CLIENT",
                "KILL", "ID", "0");
    call_expect(&a, "-ERR syntax error\r\n", "CLIENT", "KILL", "SKIPME",
                "maybe");
    call_expect(&a, "-ERR No such user 'bob'\r\n", "CLIENT", "KILL", "USER",
                "bob");
    call_expect(&a, "-ERR No such client\r\n", "CLIENT", "KILL", "1.2.3.4:5");
    call_expect(&a, ":0\r\n", "CLIENT", "KILL", "ID", "999999");
    /* kill b (maybe on another loop) by id */
    call_expect(&a, ":1\r\n", "CLIENT", "KILL", "ID", idf);
    ck_assert(raw_closed(b.fd));
    resp_raw_close(&b);
    /* the old form, by address; SKIPME does not apply to it */
    raw_open(&b, f.port);
    ck_assert_int_eq(resp_raw_calll(&b, &r, &rl, "CLIENT", "INFO", NULL), 0);
    line = strndup(r, rl);
    char addr[64];
    ck_assert_int_eq(sscanf(strstr(line, "addr="), "addr=%63s", addr), 1);
    free(line);
    call_expect(&a, "+OK\r\n", "CLIENT", "KILL", addr);
    ck_assert(raw_closed(b.fd));
    resp_raw_close(&b);
    /* killing oneself answers, then closes */
    call_expect(&a, ":1\r\n", "CLIENT", "KILL", "SKIPME", "no", "TYPE",
                "normal", "USER", "default");
    ck_assert(raw_closed(a.fd));
    resp_raw_close(&a);
    fx_stop(&f);
}
END_TEST

START_TEST(maxclients_and_classifier)
{
    fx f;
    server_options o = fx_options();
    o.maxclients = 2;
    fx_start_opt(&f, "hamt", o, true);
    int a = raw_connect(f.port), b = raw_connect(f.port);
    raw_sends(a, "PING\r\n");
    raw_expect(a, "+PONG\r\n");
    raw_sends(b, "PING\r\n");
    raw_expect(b, "+PONG\r\n");
    int c = raw_connect(f.port);
    raw_expect(c, "-ERR max number of clients reached\r\n");
    ck_assert(raw_closed(c));
    close(c);
    close(a);
    /* a slot frees up once the server saw a's close */
    bool ok = false;
    for (int i = 0; i < 100 && !ok; i++) {
        server_info in;
        server_info_get(f.srv, &in);
        ok = in.connected_clients == 1;
        if (!ok)
            usleep(10000);
    }
    ck_assert(ok);
    c = raw_connect(f.port);
    raw_sends(c, "PING\r\n");
    raw_expect(c, "+PONG\r\n");
    server_info in;
    server_info_get(f.srv, &in);
    ck_assert_uint_eq(in.rejected_connections, 1);
    ck_assert_uint_eq(in.total_connections, 3); /* refused: not counted */
    close(b), close(c);
    fx_stop(&f);

    /* protected mode's address classifier */
    struct { int fam; const char *ip; bool loop; } cases[] = {
        {AF_INET, "127.0.0.1", true},  {AF_INET, "127.1.2.3", true},
        {AF_INET, "10.0.0.1", false},  {AF_INET, "128.0.0.1", false},
        {AF_INET, "0.0.0.0", false},   {AF_INET6, "::1", true},
        {AF_INET6, "::ffff:127.0.0.1", true},
        {AF_INET6, "::ffff:10.0.0.1", false},
        {AF_INET6, "2001:db8::1", false}, {AF_INET6, "::", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof ss);
        ss.ss_family = (sa_family_t)cases[i].fam;
        void *dst = cases[i].fam == AF_INET
                        ? (void *)&((struct sockaddr_in *)&ss)->sin_addr
                        : (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
        ck_assert_int_eq(inet_pton(cases[i].fam, cases[i].ip, dst), 1);
        ck_assert_msg(server_addr_is_loopback(&ss) == cases[i].loop, "%s",
                      cases[i].ip);
    }
}
END_TEST

START_TEST(idle_timeout)
{
    fx f;
    server_options o = fx_options();
    o.timeout_s = 1;
    fx_start_opt(&f, "hamt", o, true);
    int fd = raw_connect(f.port);
    raw_sends(fd, "PING\r\n");
    raw_expect(fd, "+PONG\r\n");
    ck_assert(raw_closed(fd)); /* within 10 s; Redis's check: > timeout */
    close(fd);
    fx_stop(&f);
}
END_TEST

START_TEST(bind_errors)
{
    fx f;
    fx_start(&f, true);
    server_options o = fx_options();
    o.port = f.port;
    char err[256];
    dataset *ds = dataset_create(store_variant("hamt"), 16);
    server *s = server_create(&o, ds, NULL, err, sizeof err);
    ck_assert_ptr_null(s);
    char want[64];
    snprintf(want, sizeof want, "bind 127.0.0.1:%d: Address already in use",
             f.port);
    ck_assert_str_eq(err, want);
    o.bind = "not-an-address";
    o.port = -1;
    s = server_create(&o, ds, NULL, err, sizeof err);
    ck_assert_ptr_null(s);
    ck_assert_msg(strncmp(err, "bind not-an-address:0: ", 23) == 0, "%s",
                  err);
    dataset_destroy(ds);
    fx_stop(&f);
}
END_TEST

START_TEST(clean_shutdown_with_clients)
{
    fx f;
    server_options o = fx_options();
    o.threads = 4;
    fx_start_opt(&f, "hamt", o, true);
    enum { N = 50 };
    int fds[N];
    for (int i = 0; i < N; i++) {
        fds[i] = raw_connect(f.port);
        raw_sends(fds[i], "GET k\r\n");
        raw_expect(fds[i], "$1\r\nv\r\n");
    }
    /* half of them leave a command unfinished */
    for (int i = 0; i < N; i += 2)
        raw_sends(fds[i], "*2\r\n$3\r\nGET\r\n");
    server_stop(f.srv);
    for (int i = 0; i < N; i++) {
        ck_assert(raw_closed(fds[i]));
        close(fds[i]);
    }
    server_destroy(f.srv);
    dataset_destroy(f.ds);
}
END_TEST

START_TEST(pubsub_delivery_and_subscribed_mode)
{
    fx f;
    server_options o = fx_options();
    o.threads = 4;
    o.output_limit_pubsub = 256 * 1024;
    fx_start_opt(&f, "hamt", o, true);
    enum { N = 8 };
    int subs[N];
    for (int i = 0; i < N; i++) {
        subs[i] = raw_connect(f.port);
        raw_sends(subs[i], "SUBSCRIBE news\r\n");
        raw_expect(subs[i], "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
    }
    int pat = raw_connect(f.port);
    raw_sends(pat, "HELLO 3\r\n");
    char hello[512];
    ck_assert_uint_gt(raw_read(pat, hello, 150), 100); /* the map */
    raw_sends(pat, "PSUBSCRIBE n*\r\n");
    raw_expect(pat, ">3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:1\r\n");
    /* RESP2 subscribed mode */
    raw_sends(subs[0], "GET k\r\nPING\r\nPING hi\r\nSET a b\r\n");
    raw_expect(subs[0], "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / "
               "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
               "context\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n"
               "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n"
               "-READONLY You can't write against a read only replica.\r\n");
    /* RESP3 is not restricted */
    raw_sends(pat, "GET k\r\n");
    raw_expect(pat, "$1\r\nv\r\n");
    server_info in;
    server_info_get(f.srv, &in);
    ck_assert_uint_eq(in.pubsub_clients, N + 1);
    ck_assert_uint_eq(in.pubsub_channels, 1);
    ck_assert_uint_eq(in.pubsub_patterns, 1);
    /* the link thread's role: this thread publishes */
    server_publish("news", 4, "hello", 5, f.srv);
    server_publish("other", 5, "x", 1, f.srv);
    for (int i = 0; i < N; i++)
        raw_expect(subs[i], "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n"
                   "$5\r\nhello\r\n");
    raw_expect(pat, ">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n"
               "$5\r\nhello\r\n");
    /* UNSUBSCRIBE leaves subscribed mode; RESET too */
    raw_sends(subs[1], "UNSUBSCRIBE\r\nGET k\r\n");
    raw_expect(subs[1], "*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n"
               ":0\r\n$1\r\nv\r\n");
    raw_sends(subs[2], "RESET\r\nGET k\r\n");
    raw_expect(subs[2], "+RESET\r\n$1\r\nv\r\n");
    /* a subscriber that never reads is closed at the Pub/Sub limit; the
     * publisher never waits for it */
    int small = 4096;
    setsockopt(subs[3], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    char *big = malloc(64 * 1024);
    memset(big, 'm', 64 * 1024);
    for (int i = 0; i < 200; i++)
        server_publish("news", 4, big, 64 * 1024, f.srv);
    free(big);
    for (int i = 0; i < 500; i++) {
        server_info_get(f.srv, &in);
        if (in.output_limit_kills > 0)
            break;
        usleep(10000);
    }
    ck_assert_uint_ge(in.output_limit_kills, 1);
    for (int i = 0; i < N; i++)
        close(subs[i]);
    close(pat);
    fx_stop(&f);
}
END_TEST

/* Wait until the server counts n blocked clients. */
static void wait_blocked(server *srv, uint64_t n)
{
    server_info in;
    for (int i = 0; i < 1000; i++) {
        server_info_get(srv, &in);
        if (in.blocked_clients == n)
            return;
        usleep(5000);
    }
    ck_abort_msg("blocked_clients is %llu, not %llu",
                 (unsigned long long)in.blocked_clients,
                 (unsigned long long)n);
}

/* The writer's side: apply one command to the current generation. */
static void write_now(fx *f, size_t argc, const char *const *argv)
{
    cmd_applier *a = cmd_applier_create(dataset_current(f->ds), NULL);
    ck_assert_int_eq(cmd_apply_argv(a, argc, argv, NULL), CMD_APPLIED);
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    cmd_applier_destroy(a);
    server_notify_change(f->srv);
}

START_TEST(blocked_clients)
{
    fx f;
    server_options o = fx_options();
    o.threads = 4;
    fx_start_opt(&f, "hamt", o, true);
    enum { N = 6 };
    int fds[N];
    /* blocked, with pipelined commands waiting behind */
    for (int i = 0; i < N; i++) {
        fds[i] = raw_connect(f.port);
        raw_sends(fds[i], "XREAD BLOCK 0 STREAMS s $\r\nPING\r\n");
    }
    wait_blocked(f.srv, N);
    /* a change that does not touch s re-runs them and they stay */
    const char *other[] = {"SET", "unrelated", "1"};
    write_now(&f, 3, other);
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 100), 0);
    wait_blocked(f.srv, N);
    const char *xadd[] = {"XADD", "s", "1-1", "f", "v"};
    write_now(&f, 5, xadd);
    for (int i = 0; i < N; i++) {
        raw_expect(fds[i], "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1"
                   "\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n+PONG\r\n");
        close(fds[i]);
    }
    wait_blocked(f.srv, 0);
    /* the deadline: RESP2 null array, RESP3 null */
    int fd = raw_connect(f.port);
    raw_sends(fd, "XREAD BLOCK 50 STREAMS s $\r\n");
    raw_expect(fd, "*-1\r\n");
    raw_sends(fd, "HELLO 3\r\n");
    char hello[512];
    ck_assert_uint_gt(raw_read(fd, hello, 150), 100);
    raw_sends(fd, "XREAD BLOCK 50 STREAMS s $\r\nPING\r\n");
    raw_expect(fd, "_\r\n+PONG\r\n");
    /* leaving while blocked */
    raw_sends(fd, "XREAD BLOCK 0 STREAMS s $\r\n");
    wait_blocked(f.srv, 1);
    close(fd);
    wait_blocked(f.srv, 0);
    /* stopping with blocked clients */
    fd = raw_connect(f.port);
    raw_sends(fd, "XREAD BLOCK 0 STREAMS s $\r\nPING\r\n");
    wait_blocked(f.srv, 1);
    server_cmdstat st[64];
    size_t n = server_cmdstats_get(f.srv, st, 64);
    bool found = false;
    for (size_t i = 0; i < n && i < 64; i++)
        if (strcmp(st[i].name, "xread") == 0) {
            found = true;
            ck_assert_uint_eq(st[i].calls, N + 2); /* released: data, deadlines */
        }
    ck_assert(found);
    fx_stop(&f);
    ck_assert(raw_closed(fd));
    close(fd);
}
END_TEST

/* Read n bytes from a TLS connection (5 s per read at most). */
static size_t tls_read_n(repl_conn *c, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = repl_conn_read(c, buf + got, n - got, 5000);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

START_TEST(tls_clients)
{
    tls_certs certs;
    char err[512];
    ck_assert_msg(tls_certs_make(&certs, err, sizeof err) == 0, "%s", err);
    fx f;
    server_options o = fx_options();
    o.threads = 2;
    o.tls.port = -1;
    o.tls.cert_file = certs.server_cert;
    o.tls.key_file = certs.server_key;
    o.tls.ca_file = certs.ca_cert;
    o.tls.auth_clients = 1;
    fx_start_opt(&f, "hamt", o, false);
    int tport = server_tls_port(f.srv);
    ck_assert_int_gt(tport, 0);
    ck_assert_int_ne(tport, f.port);
    /* a big value, so replies wait for writable under TLS */
    keyspace *ks = dataset_fresh(f.ds);
    size_t big = 1 << 20;
    char *val = malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        val[i] = (char)('a' + i % 26);
    val[big] = '\0';
    const char *cmds[] = {"SET", "big", val, NULL, "SET", "k", "v", NULL, NULL};
    apply_all(ks, cmds);
    ck_assert_int_eq(dataset_switch(f.ds, ks), 0);
    repl_tls_options to = {.enabled = true, .ca_file = certs.ca_cert,
                           .cert_file = certs.client_cert,
                           .key_file = certs.client_key};
    repl_conn *c = repl_conn_open("127.0.0.1", tport, &to, 5000, err,
                                  sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    const char *req = "PING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
    ck_assert_int_eq(repl_conn_write(c, req, strlen(req), 5000), 0);
    char buf[64];
    size_t n = tls_read_n(c, buf, 14);
    ck_assert_bytes_str(buf, n, "+PONG\r\n$1\r\nv\r\n");
    /* three pipelined megabytes */
    const char *get3 = "GET big\r\nGET big\r\nGET big\r\n";
    ck_assert_int_eq(repl_conn_write(c, get3, strlen(get3), 5000), 0);
    char hdr[32];
    int hl = snprintf(hdr, sizeof hdr, "$%zu\r\n", big);
    char *got = malloc(3 * (big + (size_t)hl + 2));
    n = tls_read_n(c, got, 3 * (big + (size_t)hl + 2));
    ck_assert_uint_eq(n, 3 * (big + (size_t)hl + 2));
    for (int i = 0; i < 3; i++) {
        char *p = got + (size_t)i * (big + (size_t)hl + 2);
        ck_assert_bytes_eq(p, (size_t)hl, hdr, (size_t)hl);
        ck_assert(memcmp(p + hl, val, big) == 0);
    }
    free(got);
    free(val);
    /* a client without a certificate, and one speaking plain RESP to the
     * TLS port, are dropped; the first client does not notice */
    repl_tls_options nocert = {.enabled = true, .ca_file = certs.ca_cert};
    repl_conn *bad = repl_conn_open("127.0.0.1", tport, &nocert, 5000, err,
                                    sizeof err);
    if (bad != NULL) { /* TLS 1.3: the refusal comes after the handshake */
        repl_conn_write(bad, "PING\r\n", 6, 5000);
        ck_assert_int_le(repl_conn_read(bad, buf, sizeof buf, 5000), 0);
        repl_conn_close(bad);
    }
    int plain = raw_connect(tport);
    raw_sends(plain, "PING\r\n");
    ck_assert(raw_closed(plain));
    close(plain);
    ck_assert_int_eq(repl_conn_write(c, "PING\r\n", 6, 5000), 0);
    n = tls_read_n(c, buf, 7);
    ck_assert_bytes_str(buf, n, "+PONG\r\n");
    /* plain TCP still works beside it */
    resp_raw r;
    raw_open(&r, f.port);
    call_expect(&r, "$1\r\nv\r\n", "GET", "k");
    resp_raw_close(&r);
    repl_conn_close(c);
    fx_stop(&f);
    /* a bad certificate path fails server_create with the file's name */
    o.tls.cert_file = "/nonexistent/cert.pem";
    dataset *ds = dataset_create(store_variant("hamt"), 16);
    server *s = server_create(&o, ds, NULL, err, sizeof err);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err, "/nonexistent/cert.pem") != NULL, "%s", err);
    dataset_destroy(ds);
    tls_certs_remove(&certs);
}
END_TEST

/* ---- threads: readers while a writer applies and switches ---------------- */

typedef struct race {
    fx *f;
    atomic_bool stop;
    atomic_long reads;
    char fail[256];
} race;

static void *reader_main(void *arg)
{
    race *rc = arg;
    resp_client c;
    if (resp_client_open(&c, rc->f->port) != 0) {
        snprintf(rc->fail, sizeof rc->fail, "open: %.200s", c.err);
        return NULL;
    }
    while (!atomic_load(&rc->stop)) {
        /* a pipeline of four, then their replies */
        const char *get[] = {"GET", "counter"};
        const char *ping[] = {"PING"};
        for (int i = 0; i < 3; i++)
            resp_client_send(&c, 2, get, NULL);
        resp_client_send(&c, 1, ping, NULL);
        for (int i = 0; i < 4; i++) {
            resp_value v;
            if (resp_client_reply(&c, &v) != 0) {
                snprintf(rc->fail, sizeof rc->fail, "reply: %.200s", c.err);
                resp_client_close(&c);
                return NULL;
            }
            bool ok = i == 3 ? v.type == RESP_SIMPLE
                             : v.type == RESP_BULK && v.len > 0 &&
                                   v.str[0] == 'g';
            if (!ok)
                snprintf(rc->fail, sizeof rc->fail, "reply %d: type %s %s",
                         i, resp_type_name(v.type), v.str ? v.str : "");
            resp_value_clear(&v);
            if (!ok) {
                resp_client_close(&c);
                return NULL;
            }
            atomic_fetch_add(&rc->reads, 1);
        }
    }
    resp_client_close(&c);
    return NULL;
}

START_TEST(readers_while_writer_switches)
{
    fx f;
    server_options o = fx_options();
    o.threads = 4;
    fx_start_opt(&f, "ptrie", o, false);
    keyspace *ks = dataset_fresh(f.ds);
    const char *init[] = {"SET", "counter", "g0-0", NULL, NULL};
    apply_all(ks, init);
    ck_assert_int_eq(dataset_switch(f.ds, ks), 0);
    race rc;
    memset(&rc, 0, sizeof rc);
    rc.f = &f;
    enum { R = 8 };
    pthread_t th[R];
    for (int i = 0; i < R; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, reader_main, &rc), 0);
    long rounds = test_scale(200, 10);
    for (long g = 1; g <= rounds && rc.fail[0] == '\0'; g++) {
        char v[64];
        if (g % 20 == 0) { /* a full sync: a fresh generation */
            keyspace *fresh = dataset_fresh(f.ds);
            ck_assert_ptr_nonnull(fresh);
            snprintf(v, sizeof v, "g%ld-0", g);
            const char *c2[] = {"SET", "counter", v, NULL, NULL};
            apply_all(fresh, c2);
            ck_assert_int_eq(dataset_switch(f.ds, fresh), 0);
        } else {
            cmd_applier *a = cmd_applier_create(dataset_current(f.ds), NULL);
            for (int i = 0; i < 10; i++) {
                snprintf(v, sizeof v, "g%ld-%d", g, i);
                const char *c1[] = {"SET", "counter", v};
                ck_assert_int_eq(cmd_apply_argv(a, 3, c1, NULL), CMD_APPLIED);
                ck_assert_int_eq(cmd_applier_flush(a), 0);
            }
            cmd_applier_destroy(a);
        }
        server_notify_change(f.srv);
        dataset_reclaim(f.ds);
        usleep(1000);
    }
    while (atomic_load(&rc.reads) < 400 && rc.fail[0] == '\0')
        usleep(1000);
    atomic_store(&rc.stop, true);
    for (int i = 0; i < R; i++)
        pthread_join(th[i], NULL);
    ck_assert_msg(rc.fail[0] == '\0', "%s", rc.fail);
    /* idle loops let go of retired generations at their next tick */
    for (int i = 0; i < 300 && dataset_retired(f.ds) > 0; i++) {
        usleep(10000);
        dataset_reclaim(f.ds);
    }
    ck_assert_uint_eq(dataset_retired(f.ds), 0);
    fx_stop(&f);
}
END_TEST

/* ---- a real master ------------------------------------------------------ */

START_TEST(follows_a_real_master)
{
    redis_server rs;
    char err[512];
    ck_assert_msg(redis_server_start(&rs, NULL, err, sizeof err) == 0, "%s",
                  err);
    int mfd = redis_server_connect(&rs);
    char rep[256];
    ck_assert_int_eq(redis_commandl(mfd, rep, sizeof rep, "SET", "before",
                                    "1", NULL), '+');
    dataset *ds = dataset_create(store_variant("hamt"), 16);
    server_options so = fx_options();
    server *srv = server_create(&so, ds, NULL, err, sizeof err);
    ck_assert_msg(srv != NULL, "%s", err);
    repl_options ro = repl_options_default();
    ro.host = "127.0.0.1";
    ro.port = rs.port;
    ro.on_change = server_notify_change;
    ro.change_arg = srv;
    ro.on_publish = server_publish;
    ro.publish_arg = srv;
    ro.log_level = REPL_LOG_ERROR;
    repl *link = repl_create(&ro, ds, err, sizeof err);
    ck_assert_msg(link != NULL, "%s", err);
    ck_assert_int_eq(server_start(srv), 0);
    ck_assert_int_eq(repl_start(link), 0);
    resp_raw c;
    raw_open(&c, server_port(srv));
    const char *r = NULL;
    size_t rl = 0;
    /* -LOADING until the first sync, then the data */
    bool seen = false;
    for (int i = 0; i < 1000 && !seen; i++) {
        ck_assert_int_eq(resp_raw_calll(&c, &r, &rl, "GET", "before", NULL),
                         0);
        seen = rl == 7 && memcmp(r, "$1\r\n1\r\n", 7) == 0;
        if (!seen) {
            ck_assert_msg(r[0] == '-' && rl > 8 &&
                          memcmp(r, "-LOADING", 8) == 0, "%.*s", (int)rl, r);
            usleep(10000);
        }
    }
    ck_assert(seen);
    int sub = raw_connect(server_port(srv));
    raw_sends(sub, "SUBSCRIBE ch\r\n");
    raw_expect(sub, "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
    ck_assert_int_eq(redis_commandl(mfd, rep, sizeof rep, "PUBLISH", "ch",
                                    "from-master", NULL), ':');
    raw_expect(sub, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n"
               "$11\r\nfrom-master\r\n");
    close(sub);
    ck_assert_int_eq(redis_commandl(mfd, rep, sizeof rep, "SET", "after",
                                    "2", NULL), '+');
    seen = false;
    for (int i = 0; i < 1000 && !seen; i++) {
        ck_assert_int_eq(resp_raw_calll(&c, &r, &rl, "GET", "after", NULL), 0);
        seen = rl == 7 && memcmp(r, "$1\r\n2\r\n", 7) == 0;
        if (!seen)
            usleep(10000);
    }
    ck_assert(seen);
    resp_raw_close(&c);
    close(mfd);
    repl_stop(link);
    server_stop(srv);
    repl_destroy(link);
    server_destroy(srv);
    dataset_reclaim(ds);
    dataset_destroy(ds);
    redis_server_stop(&rs);
}
END_TEST

Suite *ch11_server_suite(void)
{
    Suite *s = suite_create("ch11_server");
    TCase *tc = test_tcase("server", 60);
    tcase_add_test(tc, ping_echo_and_unknown);
    tcase_add_test(tc, inline_commands);
    tcase_add_test(tc, pipeline_of_a_thousand);
    tcase_add_test(tc, request_cut_at_every_byte);
    tcase_add_test(tc, protocol_errors);
    tcase_add_test(tc, query_buffer_limit_closes);
    tcase_add_test(tc, client_that_never_reads);
    tcase_add_test(tc, readonly_for_every_write);
    tcase_add_test(tc, loading_before_the_first_sync);
    tcase_add_test(tc, auth_and_requirepass);
    tcase_add_test(tc, hello_and_resp3);
    tcase_add_test(tc, select_databases);
    tcase_add_test(tc, quit_closes);
    tcase_add_test(tc, client_commands);
    tcase_add_test(tc, maxclients_and_classifier);
    tcase_add_test(tc, idle_timeout);
    tcase_add_test(tc, bind_errors);
    tcase_add_test(tc, clean_shutdown_with_clients);
    tcase_add_test(tc, pubsub_delivery_and_subscribed_mode);
    tcase_add_test(tc, blocked_clients);
    tcase_add_test(tc, tls_clients);
    tcase_add_test(tc, readers_while_writer_switches);
    tcase_add_test(tc, follows_a_real_master);
    suite_add_tcase(s, tc);
    return s;
}
