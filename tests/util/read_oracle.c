/* read_oracle.c - read commands checked against a real redis-server (see
 * read_oracle.h).  Chapter 11.
 *
 * Redis's side is two raw connections (resp_raw.h), one switched to RESP3
 * with HELLO 3, so its replies arrive as the exact bytes a client sees.
 * Our side runs the command the way the server core does, minus the
 * socket: a keyspace reader on the oracle's keyspace (after flushing the
 * applier, so the reader sees every command loaded so far), one read
 * section around server_cmd_run(), a reply_buf in the protocol under test.
 * The two byte strings are compared as they are, or through
 * resp_canonical() when Redis's order is its hash table's.
 */
#include "read_oracle.h"

#include "resp_raw.h"
#include "resp_scan.h"
#include "test_util.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_MAX_ARGS 64

struct read_oracle {
    oracle *o;              /* the data on both sides */
    resp_raw conn[2];       /* to Redis: [0] RESP2, [1] RESP3 */
    unsigned db;            /* read_oracle_select() */
    uint64_t rng;           /* server_ctx.rng */
    char *last;             /* the bytes read_oracle_ours/redis returned */
    struct read_oracle *next;
};

static read_oracle *running; /* every read oracle not yet stopped */

/* Free ours, leaving the oracle alone. */
static void release(read_oracle *ro)
{
    for (read_oracle **p = &running; *p != NULL; p = &(*p)->next)
        if (*p == ro) {
            *p = ro->next;
            break;
        }
    resp_raw_close(&ro->conn[0]);
    resp_raw_close(&ro->conn[1]);
    free(ro->last);
    free(ro);
}

void read_oracle_stop(read_oracle *ro)
{
    if (ro == NULL)
        return;
    oracle *o = ro->o;
    release(ro);
    oracle_stop(o);
}

void read_oracle_teardown(void)
{
    /* An oracle may already be gone (oracle.c stops every oracle before it
     * fails a test), so only oracle_teardown() stops them. */
    while (running != NULL)
        release(running);
    oracle_teardown();
}

static void ro_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ro_fail(const char *fmt, ...)
{
    char msg[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    read_oracle_teardown();
    ck_abort_msg("%s", msg);
}

read_oracle *read_oracle_start(const char *variant)
{
    read_oracle *ro = calloc(1, sizeof *ro);
    ck_assert_ptr_nonnull(ro);
    ro->conn[0].fd = ro->conn[1].fd = -1;
    ro->rng = UINT64_C(0x2545f4914f6cdd1d);
    ro->next = running;
    running = ro;
    ro->o = oracle_start(variant != NULL ? variant : "hamt", ORACLE_DIRECT);
    for (int i = 0; i < 2; i++)
        if (resp_raw_open(&ro->conn[i], ro->o->rs.port) != 0)
            ro_fail("read_oracle_start: %s", ro->conn[i].err);
    const char *r;
    size_t n;
    if (resp_raw_calll(&ro->conn[1], &r, &n, "HELLO", "3", NULL) != 0)
        ro_fail("read_oracle_start: HELLO 3: %s", ro->conn[1].err);
    if (r[0] != '%') {
        char esc[300];
        ro_fail("read_oracle_start: HELLO 3 replied %s",
                test_escape(esc, sizeof esc, r, n));
    }
    return ro;
}

oracle *read_oracle_writer(read_oracle *ro)
{
    return ro->o;
}

void read_oracle_select(read_oracle *ro, unsigned db)
{
    char num[16];
    snprintf(num, sizeof num, "%u", db);
    for (int i = 0; i < 2; i++) {
        const char *r;
        size_t n;
        if (resp_raw_calll(&ro->conn[i], &r, &n, "SELECT", num, NULL) != 0)
            ro_fail("read_oracle_select: SELECT %u: %s", db,
                    ro->conn[i].err);
        if (n != 5 || memcmp(r, "+OK\r\n", 5) != 0) {
            char esc[300];
            ro_fail("read_oracle_select: SELECT %u replied %s", db,
                    test_escape(esc, sizeof esc, r, n));
        }
    }
    ro->db = db;
}

/* Redis's reply, copied (malloc'd, NUL-terminated). */
static char *redis_reply(read_oracle *ro, int proto, size_t argc,
                         const char *const *argv, const size_t *lens,
                         size_t *len)
{
    resp_raw *c = &ro->conn[proto == 3];
    const char *r;
    if (resp_raw_call(c, argc, argv, lens, &r, len) != 0) {
        char cmd[600];
        oracle_render(cmd, sizeof cmd, argc, argv, lens);
        ro_fail("read_oracle: redis-server (RESP%d) did not answer %s: %s",
                proto, cmd, c->err);
    }
    char *copy = malloc(*len + 1);
    if (copy == NULL)
        ro_fail("read_oracle: out of memory");
    memcpy(copy, r, *len);
    copy[*len] = '\0';
    return copy;
}

/* Our reply: the command run in-process (malloc'd, NUL-terminated). */
static char *our_reply(read_oracle *ro, int proto, size_t argc,
                       const char *const *argv, const size_t *lens,
                       size_t *len)
{
    char cmd[600];
    if (argc == 0 || argc > READ_MAX_ARGS)
        ro_fail("read_oracle: %zu arguments (1 to %d)", argc, READ_MAX_ARGS);
    if (cmd_applier_flush(ro->o->app) != 0)
        ro_fail("read_oracle: cmd_applier_flush: out of memory");
    resp_value args[READ_MAX_ARGS];
    memset(args, 0, sizeof args);
    for (size_t i = 0; i < argc; i++) {
        size_t n = lens ? lens[i] : strlen(argv[i]);
        args[i].type = RESP_BULK;
        args[i].len = n;
        args[i].str = malloc(n + 1);
        if (args[i].str == NULL)
            ro_fail("read_oracle: out of memory");
        memcpy(args[i].str, argv[i], n);
        args[i].str[n] = '\0';
    }
    keyspace_reader *r = keyspace_reader_open(ro->o->ks);
    if (r == NULL)
        ro_fail("read_oracle: keyspace_reader_open: %s", strerror(errno));
    reply_buf out;
    reply_init(&out, proto);
    server_ctx x = {
        .out = &out,
        .argc = argc,
        .argv = args,
        .ks = r,
        .db = ro->db,
        .databases = keyspace_databases(ro->o->ks),
        .now_ms = value_now_ms(),
        .rng = &ro->rng,
    };
    keyspace_read_begin(r);
    int rc = server_cmd_run(&x);
    keyspace_read_end(r);
    keyspace_reader_close(r);
    for (size_t i = 0; i < argc; i++)
        free(args[i].str);
    if (rc != 0) {
        reply_free(&out);
        oracle_render(cmd, sizeof cmd, argc, argv, lens);
        ro_fail("read_oracle: %s (RESP%d): the command ran out of memory",
                cmd, proto);
    }
    char why[200] = "";
    size_t used = 0;
    if (resp_scan(out.out.data, out.out.len, &used, why, sizeof why) != 1 ||
        used != out.out.len) {
        char esc[2000];
        oracle_render(cmd, sizeof cmd, argc, argv, lens);
        test_escape(esc, sizeof esc, out.out.data, out.out.len);
        reply_free(&out);
        ro_fail("read_oracle: %s (RESP%d): our reply is not one RESP value "
                "(%s): %s", cmd, proto,
                why[0] ? why : used ? "bytes after it" : "cut short", esc);
    }
    char *copy = malloc(out.out.len + 1);
    if (copy == NULL)
        ro_fail("read_oracle: out of memory");
    if (out.out.len > 0)
        memcpy(copy, out.out.data, out.out.len);
    copy[out.out.len] = '\0';
    *len = out.out.len;
    reply_free(&out);
    return copy;
}

static unsigned canon_flags(unsigned flags)
{
    if ((flags & READ_UNORDERED) == 0)
        return 0;
    return RESP_CANON_TOP | RESP_CANON_NESTED |
           ((flags & READ_PAIRS) ? RESP_CANON_PAIRS : 0);
}

/* A SCAN-like reply split: the header and cursor, and the elements. */
static bool split_scan(const char *r, size_t len, size_t *cursor_end)
{
    size_t used;
    if (len < 4 || memcmp(r, "*2\r\n", 4) != 0)
        return false;
    if (resp_scan(r + 4, len - 4, &used, NULL, 0) != 1)
        return false;
    *cursor_end = 4 + used;
    return true;
}

int read_oracle_equal(const char *a, size_t alen, const char *b, size_t blen,
                      unsigned flags, char *err, size_t errsz)
{
    size_t ac, bc;
    if ((flags & READ_SCAN) && split_scan(a, alen, &ac) &&
        split_scan(b, blen, &bc)) {
        if (ac != bc || memcmp(a, b, ac) != 0)
            return 0;
        unsigned f = RESP_CANON_TOP | RESP_CANON_NESTED |
                     ((flags & READ_PAIRS) ? RESP_CANON_PAIRS : 0);
        return resp_reply_equal(a + ac, alen - ac, b + bc, blen - bc, f, err,
                                errsz);
    }
    return resp_reply_equal(a, alen, b, blen, canon_flags(flags), err, errsz);
}

int read_oracle_comparev(read_oracle *ro, unsigned flags, size_t argc,
                         const char *const *argv, const size_t *lens,
                         char *why, size_t whysz)
{
    for (int proto = 2; proto <= 3; proto++) {
        if (proto == 3 && (flags & READ_RESP2_ONLY))
            break;
        size_t rl, ol;
        char *theirs = redis_reply(ro, proto, argc, argv, lens, &rl);
        char *ours = our_reply(ro, proto, argc, argv, lens, &ol);
        char err[300] = "";
        int eq = read_oracle_equal(theirs, rl, ours, ol, flags, err,
                                   sizeof err);
        if (eq != 1) {
            char cmd[600], a[1800], b[1800];
            oracle_render(cmd, sizeof cmd, argc, argv, lens);
            test_escape(a, sizeof a, theirs, rl);
            test_escape(b, sizeof b, ours, ol);
            snprintf(why, whysz, "%s (RESP%d, db %u, %s): %s\n"
                     "  redis-server: %s\n  ours:         %s", cmd, proto,
                     ro->db, (flags & READ_SCAN) ? "scan"
                             : (flags & READ_UNORDERED) ? "unordered" : "bytes",
                     eq < 0 ? err : "replies differ", a, b);
        }
        free(theirs);
        free(ours);
        if (eq != 1)
            return 0;
    }
    return 1;
}

void read_oracle_expectv(read_oracle *ro, unsigned flags, size_t argc,
                         const char *const *argv, const size_t *lens)
{
    char why[4500];
    if (!read_oracle_comparev(ro, flags, argc, argv, lens, why, sizeof why))
        ro_fail("%s", why);
}

/* Collect a NULL-terminated argument list. */
#define COLLECT(argv, argc, arg0)                                            \
    do {                                                                     \
        va_list ap_;                                                         \
        va_start(ap_, arg0);                                                 \
        for (const char *a_ = (arg0); a_ != NULL && (argc) < READ_MAX_ARGS;  \
             a_ = va_arg(ap_, const char *))                                 \
            (argv)[(argc)++] = a_;                                           \
        va_end(ap_);                                                         \
    } while (0)

void read_oracle_expect(read_oracle *ro, unsigned flags, const char *arg0,
                        ...)
{
    const char *argv[READ_MAX_ARGS];
    size_t argc = 0;
    COLLECT(argv, argc, arg0);
    read_oracle_expectv(ro, flags, argc, argv, NULL);
}

const char *read_oracle_ours(read_oracle *ro, int proto, size_t *len,
                             const char *arg0, ...)
{
    const char *argv[READ_MAX_ARGS];
    size_t argc = 0, n;
    COLLECT(argv, argc, arg0);
    free(ro->last);
    ro->last = NULL;
    ro->last = our_reply(ro, proto == 3 ? 3 : 2, argc, argv, NULL, &n);
    if (len != NULL)
        *len = n;
    return ro->last;
}

const char *read_oracle_redis(read_oracle *ro, int proto, size_t *len,
                              const char *arg0, ...)
{
    const char *argv[READ_MAX_ARGS];
    size_t argc = 0, n;
    COLLECT(argv, argc, arg0);
    free(ro->last);
    ro->last = NULL;
    ro->last = redis_reply(ro, proto == 3 ? 3 : 2, argc, argv, NULL, &n);
    if (len != NULL)
        *len = n;
    return ro->last;
}
