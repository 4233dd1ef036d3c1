/* ch11_pubsub.c - chapter 11: SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE,
 * PUNSUBSCRIBE, PUBSUB and the message frames, byte for byte against a
 * real redis-server in RESP2 and RESP3.
 *
 * The handlers run in-process (server_cmd_run(), no server: the registry
 * comes from server_pubsub_use_channels()); the same commands go to a
 * redis-server over connections that play the same clients.  Messages are
 * published on Redis with PUBLISH and here with server_channels_publish()
 * and server_pubsub_message(), and each subscriber's frames compared. */
#include "server_pubsub.h"

#include "alloc.h"
#include "redis_server.h"
#include "resp_scan.h"
#include "test_util.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- our side ------------------------------------------------------------ */

enum { MAX_ARGS = 16 };

/* Simulated clients: distinct addresses the registry compares. */
static char fake_clients[3];
#define CLIENT(i) ((server_client *)&fake_clients[(i)])

/* Run one command on our handlers; returns 0 or -1 (out of memory), the
 * reply's bytes in out (the caller's, protocol set). */
static int ours_into(reply_buf *out, server_client *c, size_t argc,
                     const char *const *argv, const size_t *lens)
{
    resp_value args[MAX_ARGS];
    ck_assert_uint_le(argc, MAX_ARGS);
    memset(args, 0, sizeof args);
    for (size_t i = 0; i < argc; i++) {
        size_t n = lens ? lens[i] : strlen(argv[i]);
        args[i].type = RESP_BULK;
        args[i].len = n;
        args[i].str = malloc(n + 1);
        ck_assert_ptr_nonnull(args[i].str);
        memcpy(args[i].str, argv[i], n);
        args[i].str[n] = '\0';
    }
    uint64_t rng = 1;
    server_ctx x = {.out = out, .argc = argc, .argv = args, .db = 0,
                    .databases = 16, .rng = &rng, .client = c};
    int rc = server_cmd_run(&x);
    for (size_t i = 0; i < argc; i++)
        free(args[i].str);
    return rc;
}

/* ---- Redis's side -------------------------------------------------------- */

/* A raw connection to redis-server: what came, cut into replies. */
typedef struct rconn {
    int fd;
    char *in;
    size_t len, cap;
} rconn;

static void rconn_open(rconn *c, const redis_server *rs)
{
    memset(c, 0, sizeof *c);
    c->fd = redis_server_connect(rs);
    ck_assert_int_ge(c->fd, 0);
    c->cap = 65536;
    c->in = malloc(c->cap); /* never NULL: NULL + 0 is undefined */
    ck_assert_ptr_nonnull(c->in);
}

static void rconn_close(rconn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->in);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static void rconn_send(rconn *c, size_t argc, const char *const *argv,
                       const size_t *lens)
{
    resp_buf b;
    resp_buf_init(&b);
    ck_assert_int_eq(resp_write_command(&b, argc, argv, lens), 0);
    size_t off = 0;
    while (off < b.len) {
        ssize_t w = send(c->fd, b.data + off, b.len - off, MSG_NOSIGNAL);
        ck_assert_msg(w > 0, "send to redis-server: %s", strerror(errno));
        off += (size_t)w;
    }
    resp_buf_free(&b);
}

/* Read exactly n whole replies (5 s at most each); returns their bytes,
 * removed from the connection's buffer (malloc'd, the caller frees). */
static char *rconn_replies(rconn *c, size_t n, size_t *len)
{
    size_t end = 0;
    for (size_t k = 0; k < n;) {
        size_t used;
        char err[200] = "";
        int s = resp_scan(c->in + end, c->len - end, &used, err, sizeof err);
        ck_assert_msg(s >= 0, "redis-server sent bad RESP: %s", err);
        if (s == 1) {
            end += used;
            k++;
            continue;
        }
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        ck_assert_msg(poll(&p, 1, 5000) == 1,
                      "redis-server: no reply %zu of %zu within 5 s", k + 1,
                      n);
        if (c->cap - c->len < 65536) {
            c->cap = c->cap * 2 + 65536;
            c->in = realloc(c->in, c->cap);
            ck_assert_ptr_nonnull(c->in);
        }
        ssize_t r = recv(c->fd, c->in + c->len, c->cap - c->len, 0);
        ck_assert_msg(r > 0, "redis-server closed the connection");
        c->len += (size_t)r;
    }
    char *out = malloc(end + 1);
    ck_assert_ptr_nonnull(out);
    memcpy(out, c->in, end);
    out[end] = '\0';
    memmove(c->in, c->in + end, c->len - end);
    c->len -= end;
    *len = end;
    return out;
}

/* Nothing more may be waiting (a frame too many would show here). */
static void rconn_quiet(rconn *c)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    ck_assert_uint_eq(c->len, 0);
    ck_assert_int_eq(poll(&p, 1, 50), 0);
}

/* How many replies a byte string holds. */
static size_t count_replies(const char *p, size_t n)
{
    size_t k = 0, used;
    while (n > 0) {
        ck_assert_int_eq(resp_scan(p, n, &used, NULL, 0), 1);
        p += used;
        n -= used;
        k++;
    }
    return k;
}

/* The replies of a byte string sorted and concatenated: equal for two
 * strings holding the same replies in any order.  strip_count: drop each
 * reply's last line first (the ":count" of an unsubscribe frame). */
static char *sorted_replies(const char *p, size_t n, int strip_count,
                            size_t *outlen)
{
    size_t k = count_replies(p, n), used;
    typedef struct piece { const char *p; size_t n; } piece;
    piece *r = calloc(k ? k : 1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    for (size_t i = 0; i < k; i++) {
        resp_scan(p, n, &used, NULL, 0);
        r[i].p = p;
        r[i].n = used;
        if (strip_count) { /* back to just after the previous "\r\n" */
            size_t m = used - 2;
            while (m > 0 && p[m - 1] != '\n')
                m--;
            r[i].n = m;
        }
        p += used;
        n -= used;
    }
    for (size_t i = 1; i < k; i++) /* insertion sort: a handful */
        for (size_t j = i; j > 0; j--) {
            size_t m = r[j].n < r[j - 1].n ? r[j].n : r[j - 1].n;
            int c = memcmp(r[j].p, r[j - 1].p, m);
            if (c > 0 || (c == 0 && r[j].n >= r[j - 1].n))
                break;
            piece t = r[j];
            r[j] = r[j - 1];
            r[j - 1] = t;
        }
    size_t total = 0;
    for (size_t i = 0; i < k; i++)
        total += r[i].n;
    char *out = malloc(total + 1);
    ck_assert_ptr_nonnull(out);
    *outlen = 0;
    for (size_t i = 0; i < k; i++) {
        memcpy(out + *outlen, r[i].p, r[i].n);
        *outlen += r[i].n;
    }
    free(r);
    return out;
}

/* The ":count" lines of the replies, in order. */
static char *count_lines(const char *p, size_t n, size_t *outlen)
{
    char *out = malloc(n + 1);
    ck_assert_ptr_nonnull(out);
    *outlen = 0;
    size_t used;
    while (n > 0) {
        ck_assert_int_eq(resp_scan(p, n, &used, NULL, 0), 1);
        size_t m = used - 2;
        while (m > 0 && p[m - 1] != '\n')
            m--;
        memcpy(out + *outlen, p + m, used - m);
        *outlen += used - m;
        p += used;
        n -= used;
    }
    return out;
}

/* ---- one world: our registry and Redis, the same three clients ---------- */

/* How a step compares. */
enum {
    SAME,        /* byte for byte */
    UNORDERED,   /* the top-level array's elements in any order */
    FRAMES_ANY,  /* the same frames, and the same counts in the same order,
                    the names in any order (UNSUBSCRIBE without arguments:
                    Redis 7.0 walks a hash table) */
};

typedef struct world {
    int proto;
    server_channels *reg;
    reply_buf msgs[3]; /* what our delivery wrote to each client */
    rconn r[3];        /* Redis: clients 0 and 1 subscribe, 2 queries */
    redis_server *rs;
} world;

static void world_open(world *w, redis_server *rs, int proto)
{
    memset(w, 0, sizeof *w);
    w->proto = proto;
    w->rs = rs;
    w->reg = server_channels_create();
    ck_assert_ptr_nonnull(w->reg);
    server_pubsub_use_channels(w->reg);
    for (int i = 0; i < 3; i++) {
        reply_init(&w->msgs[i], proto);
        rconn_open(&w->r[i], rs);
        if (proto == 3) {
            const char *hello[] = {"HELLO", "3"};
            size_t n;
            rconn_send(&w->r[i], 2, hello, NULL);
            free(rconn_replies(&w->r[i], 1, &n));
        }
    }
}

static void world_close(world *w)
{
    server_pubsub_use_channels(NULL);
    for (int i = 0; i < 3; i++) {
        rconn_close(&w->r[i]);
        reply_free(&w->msgs[i]);
    }
    server_channels_destroy(w->reg);
}

static void render(char *buf, size_t n, size_t argc, const char *const *argv,
                   const size_t *lens)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < argc && off + 8 < n; i++) {
        char e[64];
        test_escape(e, sizeof e, argv[i], lens ? lens[i] : strlen(argv[i]));
        off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? " " : "", e);
    }
}

/* Run argv as client ci on both sides and compare the replies. */
static void stepv(world *w, int ci, int how, size_t argc,
                  const char *const *argv, const size_t *lens)
{
    char what[300];
    render(what, sizeof what, argc, argv, lens);
    reply_buf ours;
    reply_init(&ours, w->proto);
    ck_assert_msg(ours_into(&ours, CLIENT(ci), argc, argv, lens) == 0,
                  "%s: out of memory", what);
    size_t k = count_replies(ours.out.data, ours.out.len);
    ck_assert_uint_ge(k, 1);
    rconn_send(&w->r[ci], argc, argv, lens);
    size_t rlen;
    char *theirs = rconn_replies(&w->r[ci], k, &rlen);
    char a[1200], b[1200];
    test_escape(a, sizeof a, ours.out.data, ours.out.len);
    test_escape(b, sizeof b, theirs, rlen);
    int eq;
    if (how == SAME) {
        eq = ours.out.len == rlen && memcmp(ours.out.data, theirs, rlen) == 0;
    } else if (how == UNORDERED) {
        eq = resp_reply_equal(ours.out.data, ours.out.len, theirs, rlen,
                              RESP_CANON_TOP, NULL, 0) == 1;
    } else {
        size_t n1, n2, c1, c2;
        char *s1 = sorted_replies(ours.out.data, ours.out.len, 1, &n1);
        char *s2 = sorted_replies(theirs, rlen, 1, &n2);
        char *l1 = count_lines(ours.out.data, ours.out.len, &c1);
        char *l2 = count_lines(theirs, rlen, &c2);
        eq = n1 == n2 && memcmp(s1, s2, n1) == 0 && c1 == c2 &&
             memcmp(l1, l2, c1) == 0;
        free(s1), free(s2), free(l1), free(l2);
    }
    ck_assert_msg(eq, "RESP%d client %d: %s:\n ours:  %s\n redis: %s",
                  w->proto, ci, what, a, b);
    free(theirs);
    reply_free(&ours);
}

static void step(world *w, int ci, int how, const char *arg0, ...)
{
    const char *argv[MAX_ARGS];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL; a = va_arg(ap, const char *)) {
        ck_assert_uint_lt(argc, MAX_ARGS);
        argv[argc++] = a;
    }
    va_end(ap);
    stepv(w, ci, how, argc, argv, NULL);
}

/* Our delivery: the frame into the subscriber's buffer. */
static void deliver(server_client *c, const void *pattern, size_t plen,
                    const void *chan, size_t clen, const void *msg,
                    size_t mlen, void *arg)
{
    world *w = arg;
    int ci = (int)((char *)c - fake_clients);
    ck_assert_int_eq(server_pubsub_message(&w->msgs[ci], pattern, plen, chan,
                                           clen, msg, mlen), 0);
}

/* PUBLISH on Redis, server_channels_publish() here: the same receiver
 * count, and each subscriber the same frames (in any order: Redis 7.0
 * tries patterns in its hash table's order). */
static void publish(world *w, const char *chan, size_t clen, const char *msg)
{
    const char *argv[] = {"PUBLISH", chan, msg};
    size_t lens[] = {7, clen, strlen(msg)};
    rconn_send(&w->r[2], 3, argv, lens);
    size_t n;
    char *count = rconn_replies(&w->r[2], 1, &n);
    size_t got = server_channels_publish(w->reg, chan, clen, msg, lens[2],
                                         deliver, w);
    char expect[32];
    snprintf(expect, sizeof expect, ":%zu\r\n", got);
    ck_assert_bytes_eq(count, n, expect, strlen(expect));
    free(count);
    for (int ci = 0; ci < 2; ci++) {
        reply_buf *m = &w->msgs[ci];
        size_t k = m->out.len ? count_replies(m->out.data, m->out.len) : 0;
        size_t rlen, n1, n2;
        char *theirs = rconn_replies(&w->r[ci], k, &rlen);
        char *s1 = sorted_replies(m->out.data, m->out.len, 0, &n1);
        char *s2 = sorted_replies(theirs, rlen, 0, &n2);
        ck_assert_bytes_eq(s1, n1, s2, n2);
        free(s1), free(s2), free(theirs);
        m->out.len = 0;
        rconn_quiet(&w->r[ci]);
    }
}

/* The whole conversation, in one protocol. */
static void conversation(redis_server *rs, int proto)
{
    world w;
    world_open(&w, rs, proto);
    const char bin[] = "b\0\r\n";
    step(&w, 0, SAME, "UNSUBSCRIBE", NULL);
    step(&w, 0, SAME, "PUNSUBSCRIBE", NULL);
    step(&w, 0, SAME, "unsubscribe", "x", "y", NULL);
    step(&w, 0, SAME, "SUBSCRIBE", "news", "sport", "news", NULL);
    step(&w, 0, SAME, "PSUBSCRIBE", "n*", "n*", "*s", NULL);
    {
        const char *argv[] = {"subscribe", "news", "", bin};
        size_t lens[] = {9, 4, 0, 4};
        stepv(&w, 1, SAME, 4, argv, lens);
    }
    step(&w, 1, SAME, "psubscribe", "ne?s", "[a-c]*", NULL);
    step(&w, 0, SAME, "UNSUBSCRIBE", "nope", NULL);

    step(&w, 2, UNORDERED, "PUBSUB", "CHANNELS", NULL);
    step(&w, 2, UNORDERED, "pubsub", "channels", "n*", NULL);
    step(&w, 2, SAME, "PUBSUB", "CHANNELS", "zz*", NULL);
    {
        const char *argv[] = {"PUBSUB", "NUMSUB", "news", "sport", "", bin,
                              "nope"};
        size_t lens[] = {6, 6, 4, 5, 0, 4, 4};
        stepv(&w, 2, SAME, 7, argv, lens);
    }
    step(&w, 2, SAME, "PUBSUB", "NUMSUB", NULL);
    step(&w, 2, SAME, "PUBSUB", "NUMPAT", NULL);
    step(&w, 2, SAME, "PUBSUB", "HELP", NULL);
    step(&w, 2, SAME, "PUBSUB", "SHARDCHANNELS", NULL);
    step(&w, 2, SAME, "PUBSUB", "SHARDCHANNELS", "a*", NULL);
    step(&w, 2, SAME, "PUBSUB", "SHARDNUMSUB", NULL);
    step(&w, 2, SAME, "PUBSUB", "shardnumsub", "a", "b", NULL);
    /* errors: arity (the command's and a subcommand's), unknown
     * subcommand, and the subcommands' own argument checks */
    step(&w, 2, SAME, "PUBSUB", NULL);
    step(&w, 2, SAME, "PUBSUB", "nope", NULL);
    step(&w, 2, SAME, "PUBSUB", "channels", "a", "b", NULL);
    step(&w, 2, SAME, "PUBSUB", "shardchannels", "a", "b", NULL);
    step(&w, 2, SAME, "PUBSUB", "NUMPAT", "x", NULL);
    step(&w, 2, SAME, "PUBSUB", "help", "x", NULL);
    step(&w, 2, SAME, "SUBSCRIBE", NULL);
    step(&w, 2, SAME, "psubscribe", NULL);

    publish(&w, "news", 4, "hello");
    publish(&w, "sports", 6, "");   /* *s only */
    publish(&w, "nobody", 6, "x");  /* n* only */
    publish(&w, "", 0, "empty channel");
    publish(&w, bin, 4, "binary");
    publish(&w, "zzz", 3, "no one");

    step(&w, 0, SAME, "UNSUBSCRIBE", "news", NULL);
    step(&w, 0, SAME, "PUNSUBSCRIBE", "n*", "nope", NULL);
    publish(&w, "news", 4, "after");
    step(&w, 1, FRAMES_ANY, "UNSUBSCRIBE", NULL);   /* three channels */
    step(&w, 1, FRAMES_ANY, "PUNSUBSCRIBE", NULL);  /* two patterns */
    step(&w, 1, SAME, "UNSUBSCRIBE", NULL);         /* none left */
    step(&w, 0, SAME, "UNSUBSCRIBE", NULL);         /* sport, *s left */
    step(&w, 0, SAME, "PUNSUBSCRIBE", NULL);
    step(&w, 0, SAME, "PUNSUBSCRIBE", NULL);
    step(&w, 2, SAME, "PUBSUB", "NUMPAT", NULL);
    step(&w, 2, SAME, "PUBSUB", "CHANNELS", NULL);
    for (int i = 0; i < 3; i++)
        rconn_quiet(&w.r[i]);
    world_close(&w);
}

static redis_server the_redis;

static void redis_up(void)
{
    char err[512];
    ck_assert_msg(redis_server_start(&the_redis, NULL, err, sizeof err) == 0,
                  "%s", err);
}

static void redis_down(void)
{
    redis_server_stop(&the_redis);
}

START_TEST(conversation_resp2_matches_redis)
{
    redis_up();
    conversation(&the_redis, 2);
    redis_down();
}
END_TEST

START_TEST(conversation_resp3_matches_redis)
{
    redis_up();
    conversation(&the_redis, 3);
    redis_down();
}
END_TEST

/* ---- the frames, spelled out ------------------------------------------- */

START_TEST(message_frames_in_both_protocols)
{
    reply_buf r;
    reply_init(&r, 2);
    ck_assert_int_eq(server_pubsub_message(&r, NULL, 0, "ch", 2, "hi", 2), 0);
    ck_assert_int_eq(server_pubsub_message(&r, "c*", 2, "ch", 2, "", 0), 0);
    ck_assert_bytes_str(r.out.data, r.out.len,
        "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
        "*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n");
    reply_free(&r);
    reply_init(&r, 3);
    ck_assert_int_eq(server_pubsub_message(&r, NULL, 0, "ch", 2, "hi", 2), 0);
    ck_assert_int_eq(server_pubsub_message(&r, "c*", 2, "ch", 2, "", 0), 0);
    ck_assert_bytes_str(r.out.data, r.out.len,
        ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
        ">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n");
    reply_free(&r);
}
END_TEST

START_TEST(out_of_memory_never_leaves_half_a_reply)
{
    /* the frame helper: each allocation fails once, buffer unchanged */
    for (unsigned long nth = 1;; nth++) {
        reply_buf r;
        reply_init(&r, 3);
        ck_assert_int_eq(reply_simple(&r, "x"), 0);
        alloc_fail_nth(nth);
        int rc = server_pubsub_message(&r, "p", 1, "c", 1, "m", 1);
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        if (!fired) {
            ck_assert_int_eq(rc, 0);
            reply_free(&r);
            break;
        }
        ck_assert_int_eq(rc, -1);
        ck_assert_bytes_str(r.out.data, r.out.len, "+x\r\n");
        reply_free(&r);
    }
    /* the handlers: -1 and nothing written; the registry stays usable */
    server_channels *reg = server_channels_create();
    server_pubsub_use_channels(reg);
    const char *cmds[][4] = {
        {"SUBSCRIBE", "a", "b", NULL},
        {"PSUBSCRIBE", "p*", NULL},
        {"PUBSUB", "CHANNELS", NULL},
        {"PUBSUB", "NUMSUB", "a", "b"},
        {"UNSUBSCRIBE", NULL},
        {"PUNSUBSCRIBE", NULL},
    };
    for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
        size_t argc = 0;
        while (argc < 4 && cmds[c][argc])
            argc++;
        for (unsigned long nth = 1;; nth++) {
            reply_buf r;
            reply_init(&r, 2);
            alloc_fail_nth(nth);
            int rc = ours_into(&r, CLIENT(0), argc, cmds[c], NULL);
            unsigned long fired = alloc_fail_fired();
            alloc_fail_off();
            if (!fired) {
                ck_assert_int_eq(rc, 0);
                ck_assert_uint_gt(r.out.len, 0);
                reply_free(&r);
                break;
            }
            if (rc != 0)
                ck_assert_uint_eq(r.out.len, 0);
            reply_free(&r);
        }
    }
    server_pubsub_use_channels(NULL);
    server_channels_destroy(reg);
}
END_TEST

START_TEST(without_a_registry_the_commands_say_so)
{
    server_pubsub_use_channels(NULL);
    const char *argv[] = {"SUBSCRIBE", "a"};
    reply_buf r;
    reply_init(&r, 2);
    ck_assert_int_eq(ours_into(&r, CLIENT(0), 2, argv, NULL), 0);
    ck_assert_bytes_str(r.out.data, r.out.len,
                        "-ERR Pub/Sub is not available\r\n");
    r.out.len = 0;
    /* a registry but no connection (x->client NULL) */
    server_channels *reg = server_channels_create();
    server_pubsub_use_channels(reg);
    ck_assert_int_eq(ours_into(&r, NULL, 2, argv, NULL), 0);
    ck_assert_bytes_str(r.out.data, r.out.len,
                        "-ERR Pub/Sub is not available\r\n");
    r.out.len = 0;
    server_pubsub_use_channels(NULL);
    const char *numpat[] = {"PUBSUB", "NUMPAT"};
    ck_assert_int_eq(ours_into(&r, CLIENT(0), 2, numpat, NULL), 0);
    ck_assert_bytes_str(r.out.data, r.out.len, ":0\r\n");
    reply_free(&r);
    server_channels_destroy(reg);
}
END_TEST

START_TEST(flags_let_only_the_subscribe_family_into_subscribed_mode)
{
    const char *allowed[] = {"subscribe", "psubscribe", "unsubscribe",
                             "punsubscribe"};
    for (size_t i = 0; i < 4; i++) {
        const server_command *c = server_cmd_find(allowed[i],
                                                  strlen(allowed[i]));
        ck_assert_ptr_nonnull(c);
        ck_assert_uint_eq(c->flags & (SERVER_CMD_PUBSUB | SERVER_CMD_LOADING),
                          SERVER_CMD_PUBSUB | SERVER_CMD_LOADING);
        ck_assert_uint_eq(c->flags & SERVER_CMD_READ, 0);
    }
    /* Redis refuses PUBSUB itself in RESP2 subscribed mode */
    const server_command *p = server_cmd_find("PUBSUB", 6);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(p->subcommands);
    for (const server_command *s = p->subcommands; s->name; s++) {
        ck_assert_uint_eq(s->flags & SERVER_CMD_PUBSUB, 0);
        ck_assert_uint_ne(s->flags & SERVER_CMD_LOADING, 0);
    }
}
END_TEST

Suite *ch11_pubsub_suite(void)
{
    Suite *s = suite_create("ch11_pubsub");
    TCase *tc = test_tcase("frames", 10);
    tcase_add_test(tc, message_frames_in_both_protocols);
    tcase_add_test(tc, out_of_memory_never_leaves_half_a_reply);
    tcase_add_test(tc, without_a_registry_the_commands_say_so);
    tcase_add_test(tc, flags_let_only_the_subscribe_family_into_subscribed_mode);
    suite_add_tcase(s, tc);
    tc = test_tcase("redis", 60);
    tcase_add_test(tc, conversation_resp2_matches_redis);
    tcase_add_test(tc, conversation_resp3_matches_redis);
    suite_add_tcase(s, tc);
    return s;
}
