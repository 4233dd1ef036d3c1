/* ch11_stream.c - chapter 11: the stream read commands against a real redis-server.
 * Chapter 11.
 *
 * Every stream here is built through the read oracle's writer, so the same
 * commands (XADD with explicit IDs, XDEL, XTRIM, XGROUP CREATE, XREADGROUP,
 * XACK, XCLAIM) reach a redis-server 7.0.15 and the applier's keyspace;
 * then each read command is sent to Redis and run through server_cmd_run()
 * in RESP2 and RESP3, and the replies must be byte-equal.
 *
 * Two kinds of fields cannot be byte-equal and are compared structurally
 * instead (expect_loose()): times (XPENDING and XINFO CONSUMERS idle
 * times, XINFO STREAM FULL's delivery and seen times) come from two
 * clocks and must agree within SLACK_MS; and XINFO STREAM's
 * "radix-tree-nodes" (and, once XDEL has left holes, "radix-tree-keys")
 * count Redis's internal radix tree, which server_stream.c models only for
 * small streams (see its header comment), so with MASK_RAX they are
 * skipped.  Everything else in those replies, shape and bytes, must still
 * match.  Each test runs on the "hamt" and "ptrie" stores.
 */
#include "read_oracle.h"

#include "alloc.h"
#include "cmd.h"
#include "dataset.h"
#include "keyspace.h"
#include "server.h"
#include "store.h"
#include "server_stream.h"
#include "stream_id.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const variants[] = { "hamt", "ptrie" };

/** Largest difference allowed between Redis's times and ours. */
#define SLACK_MS 2000

/* expect_loose() flags. */
enum {
    MASK_RAX = 1u,   /* skip radix-tree-keys and radix-tree-nodes */
    MASK_NODES = 2u, /* skip radix-tree-nodes only */
};

#define O(...) oracle_cmd(read_oracle_writer(ro), __VA_ARGS__, (const char *)NULL)
#define E(...) read_oracle_expect(ro, READ_SAME, __VA_ARGS__, (const char *)NULL)
/* The reply in b begins with the literal. */
#define ASSERT_STARTS(b, lit)                                                \
    ck_assert_bytes_str((b).out.data,                                        \
                        (b).out.len < sizeof(lit) - 1 ? (b).out.len          \
                                                      : sizeof(lit) - 1,     \
                        lit)
#define L(f, ...) expect_loose(ro, (f), __VA_ARGS__, (const char *)NULL)

/* ---- a small RESP3 reader, for the structural comparison ----------------------- */

typedef struct node {
    char type;           /* the RESP type byte; '$' with null true for $-1 */
    bool null;           /* $-1 or *-1 */
    long long num;       /* ':' */
    const char *s;       /* '+', '-', '$', ',', '(' ... bytes */
    size_t len;          /* their length, or the number of kids */
    struct node *kids;   /* '*', '%' (2n kids), '~', '>' */
} node;

static void node_free(node *n)
{
    if (n->kids != NULL) {
        for (size_t i = 0; i < n->len; i++)
            node_free(&n->kids[i]);
        free(n->kids);
    }
}

/* Parse one value at *p (within end); false on malformed input. */
static bool node_parse(const char **p, const char *end, node *out)
{
    memset(out, 0, sizeof *out);
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (nl == NULL || nl - *p < 2)
        return false;
    out->type = **p;
    const char *line = *p + 1;
    size_t ll = (size_t)(nl - 1 - line);
    *p = nl + 1;
    char num[32];
    snprintf(num, sizeof num, "%.*s", (int)(ll < 31 ? ll : 31), line);
    long long v = strtoll(num, NULL, 10);
    switch (out->type) {
    case ':':
        out->num = v;
        return true;
    case '_':
        out->null = true;
        return true;
    case '$':
    case '=':
    case '!':
        if (v < 0) {
            out->null = true;
            return true;
        }
        if (end - *p < v + 2)
            return false;
        out->s = *p;
        out->len = (size_t)v;
        *p += v + 2;
        return true;
    case '*':
    case '%':
    case '~':
    case '>':
        if (v < 0) {
            out->null = true;
            return true;
        }
        out->len = (size_t)v * (out->type == '%' ? 2 : 1);
        out->kids = calloc(out->len ? out->len : 1, sizeof *out->kids);
        for (size_t i = 0; i < out->len; i++)
            if (!node_parse(p, end, &out->kids[i]))
                return false;
        return true;
    default: /* + - , # ( */
        out->s = line;
        out->len = ll;
        return true;
    }
}

static bool is_bulk(const node *n, const char *s)
{
    return n->type == '$' && !n->null && n->len == strlen(s) &&
           memcmp(n->s, s, n->len) == 0;
}

/* How kid i of an aggregate is compared: 0 exact, 1 a time, 2 skipped. */
static int kid_rule(const node *a, size_t i, unsigned flags)
{
    const node *k = a->kids;
    if (i % 2 == 1) {
        if (is_bulk(&k[i - 1], "idle") || is_bulk(&k[i - 1], "seen-time"))
            return 1;
        if ((flags & (MASK_RAX | MASK_NODES)) &&
            is_bulk(&k[i - 1], "radix-tree-nodes"))
            return 2;
        if ((flags & MASK_RAX) && is_bulk(&k[i - 1], "radix-tree-keys"))
            return 2;
    }
    /* [id, consumer, time, count] (XPENDING, FULL group pending) and
     * [id, time, count] (FULL consumer pending) */
    if (a->len == 4 && k[0].type == '$' && k[1].type == '$' &&
        k[2].type == ':' && k[3].type == ':' && i == 2)
        return 1;
    if (a->len == 3 && k[0].type == '$' && k[1].type == ':' &&
        k[2].type == ':' && i == 1)
        return 1;
    return 0;
}

static bool node_match(const node *a, const node *b, bool timed,
                       unsigned flags)
{
    if (a->type != b->type || a->null != b->null)
        return false;
    if (a->type == ':')
        return timed ? llabs(a->num - b->num) <= SLACK_MS : a->num == b->num;
    if (a->len != b->len)
        return false;
    if (a->kids == NULL)
        return a->s == NULL || memcmp(a->s, b->s, a->len) == 0;
    for (size_t i = 0; i < a->len; i++) {
        int rule = kid_rule(a, i, flags);
        if (rule == 2)
            continue;
        if (!node_match(&a->kids[i], &b->kids[i], rule == 1, flags))
            return false;
    }
    return true;
}

/* Compare Redis's reply with ours in both protocols, structurally. */
static void expect_loose(read_oracle *ro, unsigned flags, const char *arg0,
                         ...)
{
    const char *v[10] = { arg0 };
    size_t argc = 1;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a; argc < 10 && (a = va_arg(ap, const char *)) != NULL;)
        v[argc++] = a;
    va_end(ap);
    ck_assert_uint_lt(argc, 10);
    for (int proto = 2; proto <= 3; proto++) {
        size_t rl, ol;
        const char *r = read_oracle_redis(ro, proto, &rl, v[0], v[1], v[2],
                                          v[3], v[4], v[5], v[6], v[7], v[8],
                                          v[9], (const char *)NULL);
        char *theirs = malloc(rl + 1);
        memcpy(theirs, r, rl);
        const char *m = read_oracle_ours(ro, proto, &ol, v[0], v[1], v[2],
                                         v[3], v[4], v[5], v[6], v[7], v[8],
                                         v[9], (const char *)NULL);
        node a, b;
        const char *pa = theirs, *pb = m;
        bool ok = node_parse(&pa, theirs + rl, &a) && pa == theirs + rl &&
                  node_parse(&pb, m + ol, &b) && pb == m + ol &&
                  node_match(&a, &b, false, flags);
        if (!ok) {
            static char e1[8192], e2[8192];
            test_escape(e1, sizeof e1, theirs, rl);
            test_escape(e2, sizeof e2, m, ol);
            free(theirs);
            ck_abort_msg("%s %s %s (RESP%d):\n redis: %s\n ours:  %s", v[0],
                         v[1] ? v[1] : "", v[2] ? v[2] : "", proto, e1, e2);
        }
        node_free(&a);
        node_free(&b);
        free(theirs);
    }
}

/* ---- data --------------------------------------------------------------------------- */

/* s1: five entries, binary and empty strings, one deleted in the middle. */
static void make_small(read_oracle *ro)
{
    static const char bin[] = { 'a', '\0', '\r', '\n', (char)0xff };
    O("XADD", "s1", "1-1", "f", "v");
    O("XADD", "s1", "1-2", "", "");
    oracle_cmdv(read_oracle_writer(ro), 5,
                (const char *const[]){ "XADD", "s1", "2-0", bin, bin },
                (const size_t[]){ 4, 2, 3, sizeof bin, sizeof bin });
    O("XADD", "s1", "3-5", "a", "1", "b", "2", "c", "3");
    O("XADD", "s1", "3-7", "x", "y");
    O("XADD", "s1", "18446744073709551615-0", "big", "ms");
}

START_TEST(xrange_xrevrange_xlen)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    make_small(ro);
    O("SET", "str", "x");
    static const char *const ranges[][2] = {
        { "-", "+" }, { "1", "1" }, { "1-2", "3" }, { "(1-1", "+" },
        { "-", "(3-7" }, { "(1", "(3" }, { "2", "2-0" }, { "3-6", "3-6" },
        { "5", "1" }, { "0", "18446744073709551615" }, { "(0-0", "+" },
        { "+5", "3" }, { "-", "(18446744073709551615-0" },
    };
    for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++) {
        E("XRANGE", "s1", ranges[k][0], ranges[k][1]);
        E("XREVRANGE", "s1", ranges[k][1], ranges[k][0]);
        E("XRANGE", "s1", ranges[k][0], ranges[k][1], "COUNT", "2");
        E("XREVRANGE", "s1", ranges[k][1], ranges[k][0], "count", "1");
    }
    E("XRANGE", "s1", "-", "+", "COUNT", "0");
    E("XRANGE", "s1", "-", "+", "COUNT", "-3");
    E("XRANGE", "s1", "-", "+", "COUNT", "1", "COUNT", "3");
    E("XRANGE", "nokey", "-", "+");
    E("XRANGE", "nokey", "-", "+", "COUNT", "0");
    E("XREVRANGE", "nokey", "+", "-");
    /* errors, in Redis's order */
    E("XRANGE", "s1", "x", "+");
    E("XRANGE", "s1", "-", "1-x");
    E("XRANGE", "s1", "(-", "+");
    E("XRANGE", "s1", "-", "(+");
    E("XRANGE", "s1", "(18446744073709551615-18446744073709551615", "+");
    E("XRANGE", "s1", "-", "(0-0");
    E("XREVRANGE", "s1", "(0", "(18446744073709551615-18446744073709551615");
    E("XRANGE", "s1", "-", "+", "COUNT");
    E("XRANGE", "s1", "-", "+", "COUNT", "x");
    E("XRANGE", "s1", "-", "+", "LIMIT", "1");
    E("XRANGE", "str", "-", "+");
    E("XRANGE", "str", "-", "+", "COUNT", "x");
    E("XRANGE", "s1", "-");
    E("XREVRANGE", "s1");
    E("XLEN", "s1");
    E("XLEN", "nokey");
    E("XLEN", "str");
    E("XLEN");
    E("XLEN", "s1", "s2");
    read_oracle_stop(ro);
}
END_TEST

START_TEST(big_deleted_trimmed)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    long n = test_scale(350, 150);
    char id[32], v[32];
    for (long k = 1; k <= n; k++) {
        snprintf(id, sizeof id, "%ld-%ld", k / 3 + 1, k % 3);
        snprintf(v, sizeof v, "%ld", k * 7);
        O("XADD", "big", id, "n", v, "sq", v);
    }
    E("XLEN", "big");
    E("XRANGE", "big", "-", "+");
    E("XREVRANGE", "big", "+", "-", "COUNT", "120");
    E("XRANGE", "big", "10", "(40-1");
    L(MASK_NODES, "XINFO", "STREAM", "big");
    L(MASK_NODES, "XINFO", "STREAM", "big", "FULL", "COUNT", "0");
    /* holes in the middle and at both ends, then a trim */
    O("XDEL", "big", "1-1", "1-2", "5-0", "20-1");
    snprintf(id, sizeof id, "%ld-%ld", n / 3 + 1, n % 3);
    O("XDEL", "big", id);
    E("XLEN", "big");
    E("XRANGE", "big", "-", "+", "COUNT", "10");
    E("XREVRANGE", "big", "+", "-", "COUNT", "10");
    E("XRANGE", "big", "4", "6");
    L(MASK_RAX, "XINFO", "STREAM", "big");
    O("XTRIM", "big", "MAXLEN", "100");
    E("XLEN", "big");
    E("XRANGE", "big", "-", "+", "COUNT", "3");
    L(MASK_RAX, "XINFO", "STREAM", "big");
    L(MASK_RAX, "XINFO", "STREAM", "big", "FULL");
    O("XTRIM", "big", "MINID", "100000");
    E("XLEN", "big");
    E("XRANGE", "big", "-", "+");
    E("XINFO", "STREAM", "big");
    read_oracle_stop(ro);
}
END_TEST

/* g1 and g2 on s1, several consumers, acked and claimed entries, an entry
 * pending after its deletion. */
static void make_groups(read_oracle *ro)
{
    make_small(ro);
    O("XGROUP", "CREATE", "s1", "g1", "0");
    O("XGROUP", "CREATE", "s1", "g2", "$");
    O("XGROUP", "CREATE", "s1", "g3", "1-2", "ENTRIESREAD", "2");
    O("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "s1",
      ">");
    O("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "s1", ">");
    O("XREADGROUP", "GROUP", "g1", "B", "STREAMS", "s1", ">");
    O("XACK", "s1", "g1", "1-2");
    O("XCLAIM", "s1", "g1", "carol", "0", "3-5", "RETRYCOUNT", "4");
    O("XGROUP", "CREATECONSUMER", "s1", "g1", "idle-one");
    O("XDEL", "s1", "2-0");
    /* an empty stream with a group */
    O("XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM");
    O("XGROUP", "CREATECONSUMER", "empty", "g", "c");
    O("SET", "str", "x");
}

START_TEST(xpending_forms)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    make_groups(ro);
    E("XPENDING", "s1", "g1");
    E("XPENDING", "s1", "g2");
    E("XPENDING", "empty", "g");
    L(0, "XPENDING", "s1", "g1", "-", "+", "10");
    L(0, "XPENDING", "s1", "g1", "-", "+", "2");
    L(0, "XPENDING", "s1", "g1", "(1-1", "3", "10");
    L(0, "XPENDING", "s1", "g1", "-", "+", "10", "alice");
    L(0, "XPENDING", "s1", "g1", "-", "+", "10", "carol");
    L(0, "XPENDING", "s1", "g1", "IDLE", "0", "-", "+", "10");
    L(0, "XPENDING", "s1", "g1", "IDLE", "0", "-", "+", "10", "bob");
    E("XPENDING", "s1", "g1", "IDLE", "100000000", "-", "+", "10");
    E("XPENDING", "s1", "g1", "-", "+", "0");
    E("XPENDING", "s1", "g1", "-", "+", "-5");
    E("XPENDING", "s1", "g1", "5", "1", "10");
    E("XPENDING", "s1", "g1", "-", "+", "10", "nobody");
    E("XPENDING", "s1", "g1", "-", "+", "10", "idle-one");
    /* errors */
    E("XPENDING", "s1", "nogroup");
    E("XPENDING", "nokey", "g1");
    E("XPENDING", "nokey", "g1", "-", "+", "10");
    E("XPENDING", "str", "g1");
    E("XPENDING", "s1", "g1", "-");
    E("XPENDING", "s1", "g1", "-", "+");
    E("XPENDING", "s1", "g1", "-", "+", "x");
    E("XPENDING", "s1", "g1", "x", "+", "1");
    E("XPENDING", "s1", "g1", "-", "(0-0", "1");
    E("XPENDING", "s1", "g1", "IDLE", "x", "-", "+", "1");
    E("XPENDING", "s1", "g1", "IDLE", "5", "-", "+");
    E("XPENDING", "s1", "g1", "IDLE", "5", "-", "+", "1", "c", "extra");
    E("XPENDING", "s1", "g1", "-", "+", "1", "c", "d", "e", "f");
    E("XPENDING", "s1");
    read_oracle_stop(ro);
}
END_TEST

START_TEST(xinfo_forms)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    make_groups(ro);
    E("XINFO", "STREAM", "s1");
    E("XINFO", "STREAM", "empty");
    E("XINFO", "GROUPS", "s1");
    E("XINFO", "GROUPS", "empty");
    L(0, "XINFO", "CONSUMERS", "s1", "g1");
    E("XINFO", "CONSUMERS", "s1", "g2");
    L(0, "XINFO", "CONSUMERS", "empty", "g");
    L(0, "XINFO", "STREAM", "s1", "FULL");
    L(0, "XINFO", "STREAM", "s1", "full", "count", "1");
    L(0, "XINFO", "STREAM", "s1", "FULL", "COUNT", "0");
    L(0, "XINFO", "STREAM", "s1", "FULL", "COUNT", "-1");
    L(0, "XINFO", "STREAM", "empty", "FULL");
    E("XINFO", "HELP");
    E("xinfo", "help");
    /* a stream without groups, and lag that cannot be known */
    O("XADD", "plain", "5-5", "k", "v");
    E("XINFO", "STREAM", "plain");
    E("XINFO", "STREAM", "plain", "FULL");
    E("XINFO", "GROUPS", "plain");
    O("XGROUP", "CREATE", "s1", "g4", "0", "ENTRIESREAD", "-1");
    E("XINFO", "GROUPS", "s1");
    O("XGROUP", "SETID", "s1", "g4", "1-1");
    E("XINFO", "GROUPS", "s1");
    /* errors */
    E("XINFO", "STREAM", "nokey");
    E("XINFO", "STREAM", "nokey", "FULLX");
    E("XINFO", "STREAM", "str");
    E("XINFO", "GROUPS", "nokey");
    E("XINFO", "CONSUMERS", "s1", "nogroup");
    E("XINFO", "CONSUMERS", "nokey", "g1");
    E("XINFO", "STREAM", "s1", "FULLX");
    E("XINFO", "STREAM", "s1", "FULL", "COUNT");
    E("XINFO", "STREAM", "s1", "FULL", "LIMIT", "1");
    E("XINFO", "STREAM", "s1", "FULL", "COUNT", "x");
    E("XINFO", "STREAM", "s1", "FULL", "COUNT", "1", "x");
    E("XINFO", "NOPE", "s1");
    E("XINFO");
    E("XINFO", "STREAM");
    E("XINFO", "GROUPS");
    E("XINFO", "GROUPS", "s1", "x");
    E("XINFO", "CONSUMERS", "s1");
    E("XINFO", "HELP", "x");
    read_oracle_stop(ro);
}
END_TEST

START_TEST(xread_forms)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    make_groups(ro);
    O("XADD", "s2", "7-0", "q", "r");
    E("XREAD", "STREAMS", "s1", "0");
    E("XREAD", "STREAMS", "s1", "3");
    E("XREAD", "STREAMS", "s1", "3-7");
    E("XREAD", "STREAMS", "s1", "$");
    E("XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "1-1", "0-0");
    E("XREAD", "COUNT", "1", "STREAMS", "s1", "nokey", "s2", "0", "0", "0");
    E("XREAD", "STREAMS", "nokey", "s2", "$", "6");
    E("XREAD", "STREAMS", "nokey", "0");
    E("XREAD", "STREAMS", "empty", "0");
    E("XREAD", "COUNT", "-1", "STREAMS", "s2", "0");
    E("XREAD", "COUNT", "1", "COUNT", "0", "STREAMS", "s2", "0");
    E("XREAD", "STREAMS", "STREAMS", "0");
    /* BLOCK with data now: answered at once, as without BLOCK */
    E("XREAD", "BLOCK", "0", "STREAMS", "s1", "0");
    E("XREAD", "block", "100", "COUNT", "1", "STREAMS", "s1", "s2", "0", "0");
    /* BLOCK with nothing to read: Redis times out after 1 ms, a handler
     * without a connection answers the timeout at once */
    E("XREAD", "BLOCK", "1", "STREAMS", "s1", "$");
    E("XREAD", "BLOCK", "1", "STREAMS", "nokey", "s2", "$", "$");
    /* errors */
    E("XREAD", "STREAMS", "s1");
    E("XREAD", "STREAMS", "s1", "s2", "0");
    E("XREAD", "COUNT", "1", "s1", "0");
    E("XREAD", "GROUP", "g", "c", "STREAMS", "s1", ">");
    E("XREAD", "NOACK", "STREAMS", "s1", "0");
    E("XREAD", "STREAMS", "s1", ">");
    E("XREAD", "STREAMS", "s1", "+");
    E("XREAD", "STREAMS", "s1", "-");
    E("XREAD", "STREAMS", "s1", "1-x");
    E("XREAD", "STREAMS", "str", "0");
    E("XREAD", "STREAMS", "s1", "str", "0", "0");
    E("XREAD", "BLOCK", "-1", "STREAMS", "s1", "0");
    E("XREAD", "BLOCK", "x", "STREAMS", "s1", "0");
    E("XREAD", "COUNT", "x", "STREAMS", "s1", "0");
    E("XREAD", "FOO", "STREAMS", "s1", "0");
    E("XREAD", "COUNT", "1", "BLOCK");
    E("XREAD", "STREAMS", "s1");
    read_oracle_stop(ro);
}
END_TEST

/* XREADGROUP changes the group: a replica refuses it before parsing. */
START_TEST(xreadgroup_is_a_write)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    make_groups(ro);
    size_t n;
    const char *r = read_oracle_ours(ro, 2, &n, "XREADGROUP", "GROUP", "g1",
                                     "dave", "STREAMS", "s1", ">",
                                     (const char *)NULL);
    ck_assert_bytes_str(r, n, "-READONLY You can't write against a read only "
                              "replica.\r\n");
    r = read_oracle_ours(ro, 3, &n, "xreadgroup", "GROUP", "g1", "dave",
                         "STREAMS", "s1", "0", (const char *)NULL);
    ck_assert_bytes_str(r, n, "-READONLY You can't write against a read only "
                              "replica.\r\n");
    r = read_oracle_ours(ro, 2, &n, "XREADGROUP", "GROUP", "g1",
                         (const char *)NULL);
    ck_assert_bytes_str(r, n, "-ERR wrong number of arguments for "
                              "'xreadgroup' command\r\n");
    /* nothing changed: the PEL is as it was */
    E("XPENDING", "s1", "g1");
    read_oracle_stop(ro);
}
END_TEST

START_TEST(expired_stream_is_missing)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    O("XADD", "gone", "1-1", "a", "b");
    O("XGROUP", "CREATE", "gone", "g", "0");
    O("PEXPIREAT", "gone", "1000");
    E("XLEN", "gone");
    E("XRANGE", "gone", "-", "+");
    E("XREAD", "STREAMS", "gone", "0");
    E("XINFO", "STREAM", "gone");
    E("XPENDING", "gone", "g");
    read_oracle_stop(ro);
}
END_TEST

/* Binary group and consumer names come out in byte order; lag and
 * entries-read through tombstones; FULL's default COUNT of 10. */
START_TEST(names_lag_and_counts)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    oracle *w = read_oracle_writer(ro);
    char id[32];
    for (int k = 1; k <= 14; k++) {
        snprintf(id, sizeof id, "%d-0", k);
        O("XADD", "s", id, "k", id);
    }
    static const char g_bin[] = { 'g', '\0', (char)0xff };
    oracle_cmdv(w, 5, (const char *const[]){ "XGROUP", "CREATE", "s", g_bin, "0" },
                (const size_t[]){ 6, 6, 1, sizeof g_bin, 1 });
    O("XGROUP", "CREATE", "s", "G", "0");
    O("XGROUP", "CREATE", "s", "", "0");
    static const char *const names[] = { "a", "B", "ab", "", "a\xff", "b" };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        O("XREADGROUP", "GROUP", "G", names[k], "COUNT", "2", "STREAMS", "s",
          ">");
    O("XREADGROUP", "GROUP", "", "x", "STREAMS", "s", ">");
    E("XINFO", "GROUPS", "s");
    E("XPENDING", "s", "G");
    E("XPENDING", "s", "");
    L(0, "XINFO", "CONSUMERS", "s", "G");
    L(0, "XINFO", "STREAM", "s", "FULL");
    L(0, "XINFO", "STREAM", "s", "FULL", "COUNT", "3");
    L(0, "XPENDING", "s", "G", "-", "+", "100");
    L(0, "XPENDING", "s", "", "(3", "(9", "100");
    /* a tombstone after G's last ID: lag estimated, or unknown */
    O("XDEL", "s", "13-0");
    E("XINFO", "GROUPS", "s");
    O("XDEL", "s", "1-0");
    E("XINFO", "GROUPS", "s");
    L(MASK_RAX, "XINFO", "STREAM", "s", "FULL", "COUNT", "2");
    /* XREAD goes by the last entry, not the last ID */
    O("XDEL", "s", "14-0");
    E("XREAD", "STREAMS", "s", "12-0");
    E("XREAD", "STREAMS", "s", "11-5");
    E("XREAD", "BLOCK", "1", "STREAMS", "s", "$");
    /* trimmed empty, groups kept */
    O("XTRIM", "s", "MAXLEN", "0");
    E("XLEN", "s");
    E("XRANGE", "s", "-", "+");
    E("XINFO", "STREAM", "s");
    E("XINFO", "GROUPS", "s");
    L(0, "XINFO", "STREAM", "s", "FULL");
    E("XPENDING", "s", "G");
    L(0, "XPENDING", "s", "G", "-", "+", "5");
    /* wrong types */
    O("SET", "str", "x");
    E("XINFO", "GROUPS", "str");
    E("XINFO", "CONSUMERS", "str", "G");
    E("XPENDING", "str", "G", "-", "+", "1");
    read_oracle_stop(ro);
}
END_TEST

/* Run argv on the oracle's keyspace with allocation nth failing (0: none),
 * as a re-run of a blocked command or not; return the handler's result and our reply in *out (the caller frees). */
static int run_ctx(read_oracle *ro, int proto, unsigned long nth, bool rerun,
                   size_t argc, const char *const *words, reply_buf *out)
{
    oracle *o = read_oracle_writer(ro);
    resp_value args[16];
    memset(args, 0, sizeof args);
    for (size_t i = 0; i < argc; i++) {
        args[i].type = RESP_BULK;
        args[i].str = (char *)words[i];
        args[i].len = strlen(words[i]);
    }
    ck_assert_int_eq(cmd_applier_flush(o->app), 0);
    keyspace_reader *r = keyspace_reader_open(o->ks);
    ck_assert_ptr_nonnull(r);
    uint64_t rng = 1;
    reply_init(out, proto);
    server_ctx x = { .out = out, .argc = argc, .argv = args, .ks = r,
                     .databases = 16, .now_ms = value_now_ms(),
                     .rng = &rng, .rerun = rerun };
    keyspace_read_begin(r);
    alloc_fail_nth(nth);
    int rc = server_cmd_run(&x);
    alloc_fail_off();
    keyspace_read_end(r);
    keyspace_reader_close(r);
    return rc;
}

/* Every allocation a command makes, failed in turn: -1 and nothing written,
 * or the whole reply. */
START_TEST(out_of_memory_sweep)
{
    read_oracle *ro = read_oracle_start("hamt");
    make_groups(ro);
    static const char *const cmds[][9] = {
        { "XRANGE", "s1", "-", "+" },
        { "XREVRANGE", "s1", "+", "-", "COUNT", "2" },
        { "XREAD", "STREAMS", "s1", "empty", "0", "0" },
        { "XREAD", "BLOCK", "5", "STREAMS", "s1", "$" },
        { "XPENDING", "s1", "g1" },
        { "XPENDING", "s1", "g1", "-", "+", "10" },
        { "XINFO", "STREAM", "s1" },
        { "XINFO", "STREAM", "s1", "FULL" },
        { "XINFO", "GROUPS", "s1" },
        { "XINFO", "CONSUMERS", "s1", "g1" },
        { "XINFO", "HELP" },
        { "XRANGE", "s1", "x", "+" },
    };
    unsigned long failed = 0;
    for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
        size_t argc = 0;
        while (argc < 9 && cmds[c][argc] != NULL)
            argc++;
        for (int proto = 2; proto <= 3; proto++) {
            reply_buf want, got;
            ck_assert_int_eq(run_ctx(ro, proto, 0, false, argc, cmds[c], &want),
                             0);
            for (unsigned long nth = 1;; nth++) {
                int rc = run_ctx(ro, proto, nth, false, argc, cmds[c], &got);
                if (rc == 0) {
                    /* XPENDING's and XINFO CONSUMERS' idle times may move
                     * by a millisecond: compare the length only there */
                    if (strcmp(cmds[c][0], "XRANGE") == 0 ||
                        strcmp(cmds[c][0], "XREVRANGE") == 0 ||
                        strcmp(cmds[c][0], "XREAD") == 0)
                        ck_assert_bytes_eq(got.out.data, got.out.len,
                                           want.out.data, want.out.len);
                    else
                        ck_assert_uint_gt(got.out.len, 0);
                    reply_free(&got);
                    break;
                }
                ck_assert_int_eq(rc, -1);
                ck_assert_uint_eq(got.out.len, 0);
                failed++;
                reply_free(&got);
                ck_assert_uint_lt(nth, 10000);
            }
            reply_free(&want);
        }
    }
    /* the sweep reached the handlers' allocations, not only the first */
    ck_assert_uint_gt(failed, 2 * sizeof cmds / sizeof cmds[0]);
    read_oracle_stop(ro);
}
END_TEST

/* A blocked XREAD run again (no connection here, so blocking again answers
 * the timeout at once): COUNT 1000 unless given, and a key that now holds
 * another type is skipped, not an error. */
START_TEST(xread_rerun)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    oracle *w = read_oracle_writer(ro);
    long n = 1005;
    char id[32];
    for (long k = 1; k <= n; k++) {
        snprintf(id, sizeof id, "%ld-1", k);
        oracle_cmd(w, "XADD", "s", id, "f", "v", (const char *)NULL);
    }
    O("SET", "str", "x");
    reply_buf out;
    const char *const all[] = { "XREAD", "BLOCK", "0", "STREAMS", "s", "0" };
    ck_assert_int_eq(run_ctx(ro, 2, 0, true, 6, all, &out), 0);
    ASSERT_STARTS(out, "*1\r\n*2\r\n$1\r\ns\r\n*1000\r\n");
    reply_free(&out);
    ck_assert_int_eq(run_ctx(ro, 2, 0, false, 6, all, &out), 0);
    ASSERT_STARTS(out, "*1\r\n*2\r\n$1\r\ns\r\n*1005\r\n");
    reply_free(&out);
    const char *const counted[] = { "XREAD", "COUNT", "1002", "BLOCK", "0",
                                    "STREAMS", "s", "0" };
    ck_assert_int_eq(run_ctx(ro, 3, 0, true, 8, counted, &out), 0);
    ASSERT_STARTS(out, "%1\r\n$1\r\ns\r\n*1002\r\n");
    reply_free(&out);
    const char *const typed[] = { "XREAD", "BLOCK", "0", "STREAMS", "str",
                                  "s", "0-0", "1005-1" };
    ck_assert_int_eq(run_ctx(ro, 2, 0, true, 8, typed, &out), 0);
    ck_assert_bytes_str(out.out.data, out.out.len, "*-1\r\n");
    reply_free(&out);
    ck_assert_int_eq(run_ctx(ro, 3, 0, false, 8, typed, &out), 0);
    ck_assert_bytes_str(out.out.data, out.out.len, "-WRONGTYPE Operation "
                        "against a key holding the wrong kind of value\r\n");
    reply_free(&out);
    read_oracle_stop(ro);
}
END_TEST

/* ---- XREAD BLOCK on a running server --------------------------------------------- */

typedef struct live {
    dataset *ds;
    server *srv;
    int port;
} live;

static void quiet(void *arg, server_log_level level, const char *msg)
{
    (void)arg, (void)level, (void)msg;
}

/* Apply one command to the dataset's current generation, as the link's
 * applier does, and tell the server, as the link does after publishing. */
static void live_write(live *lv, size_t argc, const char *const *argv)
{
    cmd_applier *a = cmd_applier_create(dataset_current(lv->ds), NULL);
    ck_assert_ptr_nonnull(a);
    ck_assert_msg(cmd_apply_argv(a, argc, argv, NULL) == CMD_APPLIED,
                  "apply %s: %s", argv[0], cmd_applier_error(a));
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    cmd_applier_destroy(a);
    server_notify_change(lv->srv);
}

static void live_start(live *lv, const char *variant)
{
    memset(lv, 0, sizeof *lv);
    lv->ds = dataset_create(store_variant(variant), 16);
    ck_assert_ptr_nonnull(lv->ds);
    keyspace *ks = dataset_fresh(lv->ds);
    ck_assert_ptr_nonnull(ks);
    ck_assert_int_eq(dataset_switch(lv->ds, ks), 0);
    server_options o = server_options_default();
    o.port = -1;
    o.log = quiet;
    char err[256];
    lv->srv = server_create(&o, lv->ds, NULL, err, sizeof err);
    ck_assert_msg(lv->srv != NULL, "server_create: %s", err);
    ck_assert_int_eq(server_start(lv->srv), 0);
    lv->port = server_port(lv->srv);
    const char *const add[] = { "XADD", "s", "1-1", "a", "b" };
    live_write(lv, 5, add);
}

static void live_stop(live *lv)
{
    server_stop(lv->srv);
    server_destroy(lv->srv);
    dataset_reclaim(lv->ds);
    dataset_destroy(lv->ds);
}

static int live_connect(const live *lv)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)lv->port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0,
                  "connect: %s", strerror(errno));
    return fd;
}

static void live_send(int fd, const char *s)
{
    size_t n = strlen(s);
    ck_assert_int_eq(write(fd, s, n), (ssize_t)n);
}

/* Read exactly strlen(want) bytes within wait_ms (or as many as came) and
 * compare them with want. */
static void live_expect(int fd, const char *want, int wait_ms)
{
    char got[512];
    size_t n = 0, w = strlen(want);
    ck_assert_uint_lt(w, sizeof got);
    while (n < w) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, wait_ms) <= 0)
            break;
        ssize_t r = read(fd, got + n, w - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    ck_assert_bytes_eq(got, n, want, w);
}

/* Nothing arrives within wait_ms. */
static void live_silent(int fd, int wait_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    ck_assert_int_eq(poll(&p, 1, wait_ms), 0);
}

START_TEST(block_answered_by_a_write)
{
    live lv;
    live_start(&lv, variants[_i]);
    int fd = live_connect(&lv);
    /* `$` is 1-1 now: the write below must wake the client with 2-1, and
     * the PING sent behind the XREAD waits for it */
    live_send(fd, "XREAD BLOCK 0 STREAMS s $\r\nPING\r\n");
    live_silent(fd, 200);
    const char *const other[] = { "SET", "k", "v" };
    live_write(&lv, 3, other); /* a change that gives s nothing */
    live_silent(fd, 200);
    const char *const add[] = { "XADD", "s", "2-1", "f", "v" };
    live_write(&lv, 5, add);
    live_expect(fd, "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-1\r\n"
                    "*2\r\n$1\r\nf\r\n$1\r\nv\r\n+PONG\r\n", 10000);
    /* RESP3, a missing key's `$`, and two streams of which one changes */
    live_send(fd, "HELLO 3\r\n");
    char hello[1024];
    struct pollfd p = { .fd = fd, .events = POLLIN };
    ck_assert_int_eq(poll(&p, 1, 10000), 1);
    ck_assert_int_gt(read(fd, hello, sizeof hello), 0);
    live_send(fd, "XREAD BLOCK 60000 STREAMS s new $ $\r\nPING\r\n");
    live_silent(fd, 200);
    const char *const add2[] = { "XADD", "new", "5-5", "x", "y" };
    live_write(&lv, 5, add2);
    live_expect(fd, "%1\r\n$3\r\nnew\r\n*1\r\n*2\r\n$3\r\n5-5\r\n"
                    "*2\r\n$1\r\nx\r\n$1\r\ny\r\n+PONG\r\n", 10000);
    close(fd);
    live_stop(&lv);
}
END_TEST

START_TEST(block_times_out)
{
    live lv;
    live_start(&lv, variants[_i]);
    int fd = live_connect(&lv);
    live_send(fd, "XREAD BLOCK 50 STREAMS s $\r\nPING\r\n");
    live_expect(fd, "*-1\r\n+PONG\r\n", 10000);
    live_send(fd, "HELLO 3\r\n");
    char hello[1024];
    struct pollfd p = { .fd = fd, .events = POLLIN };
    ck_assert_int_eq(poll(&p, 1, 10000), 1);
    ck_assert_int_gt(read(fd, hello, sizeof hello), 0);
    live_send(fd, "XREAD COUNT 5 BLOCK 50 STREAMS s missing 1-1 $\r\n");
    live_expect(fd, "_\r\n", 10000);
    /* data already there: no blocking at all */
    live_send(fd, "XREAD BLOCK 0 STREAMS s 0\r\n");
    live_expect(fd, "%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n"
                    "*2\r\n$1\r\na\r\n$1\r\nb\r\n", 10000);
    close(fd);
    live_stop(&lv);
}
END_TEST

/* What a blocked XREAD is re-run with: `$` becomes the ID it blocked at,
 * everything else stays as the client sent it. */
START_TEST(block_args_resolve_dollar)
{
    static const char *const words[] = { "XREAD", "BLOCK", "0", "STREAMS",
                                         "a", "b", "c", "$", "5-1", "$" };
    resp_value argv[10];
    memset(argv, 0, sizeof argv);
    for (size_t i = 0; i < 10; i++) {
        argv[i].type = RESP_BULK;
        argv[i].str = (char *)words[i];
        argv[i].len = strlen(words[i]);
    }
    server_ctx x = { .argc = 10, .argv = argv };
    pstream_id ids[3] = { { 7, 3 }, { 5, 1 }, { UINT64_MAX, UINT64_MAX } };
    resp_value *out;
    char *text;
    ck_assert_int_eq(server_xread_block_args(&x, 4, 3, ids, &out, &text), 0);
    for (size_t i = 0; i < 7; i++)
        ck_assert_bytes_eq(out[i].str, out[i].len, words[i], strlen(words[i]));
    ck_assert_bytes_str(out[7].str, out[7].len, "7-3");
    ck_assert_ptr_eq(out[8].str, argv[8].str);
    ck_assert_bytes_str(out[9].str, out[9].len,
                        "18446744073709551615-18446744073709551615");
    free(out);
    free(text);
}
END_TEST

/* The shared ID rules, at their edges. */
START_TEST(stream_id_rules)
{
    pstream_id id;
    bool ex;
    ck_assert(xs_parse_interval("(5", 2, 0, &ex, &id) && ex && id.ms == 5 &&
              id.seq == 0);
    ck_assert(xs_parse_interval("5", 1, UINT64_MAX, &ex, &id) && !ex &&
              id.seq == UINT64_MAX);
    ck_assert(!xs_parse_interval("(-", 2, 0, &ex, &id));
    ck_assert(!xs_parse_interval("(+", 2, 0, &ex, &id));
    ck_assert(xs_parse_interval("(", 1, 0, &ex, &id) == false && !ex);
    id = XS_ID_MIN;
    ck_assert_int_eq(xs_id_decr(&id), -1);
    ck_assert(id.ms == UINT64_MAX && id.seq == UINT64_MAX);
    id = (pstream_id){ 3, 0 };
    ck_assert_int_eq(xs_id_decr(&id), 0);
    ck_assert(id.ms == 2 && id.seq == UINT64_MAX);
    ck_assert_int_eq(xs_id_incr(&id), 0);
    ck_assert(id.ms == 3 && id.seq == 0);
}
END_TEST

Suite *ch11_stream_suite(void)
{
    Suite *s = suite_create("ch11_stream");
    TCase *tc = test_tcase("oracle", 120);
    tcase_add_checked_fixture(tc, NULL, oracle_teardown);
    int nv = (int)(sizeof variants / sizeof variants[0]);
    tcase_add_loop_test(tc, xrange_xrevrange_xlen, 0, nv);
    tcase_add_loop_test(tc, big_deleted_trimmed, 0, nv);
    tcase_add_loop_test(tc, xpending_forms, 0, nv);
    tcase_add_loop_test(tc, xinfo_forms, 0, nv);
    tcase_add_loop_test(tc, xread_forms, 0, nv);
    tcase_add_loop_test(tc, xreadgroup_is_a_write, 0, nv);
    tcase_add_loop_test(tc, expired_stream_is_missing, 0, nv);
    tcase_add_loop_test(tc, names_lag_and_counts, 0, nv);
    tcase_add_test(tc, out_of_memory_sweep);
    tcase_add_loop_test(tc, xread_rerun, 0, nv);
    suite_add_tcase(s, tc);
    TCase *srv = test_tcase("server", 60);
    tcase_add_loop_test(srv, block_answered_by_a_write, 0, nv);
    tcase_add_loop_test(srv, block_times_out, 0, nv);
    suite_add_tcase(s, srv);
    TCase *unit = test_tcase("unit", 10);
    tcase_add_test(unit, block_args_resolve_dollar);
    tcase_add_test(unit, stream_id_rules);
    suite_add_tcase(s, unit);
    return s;
}
