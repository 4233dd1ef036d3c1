/* ch12_workload.c - chapter 12: the consistency checker's workload, against a real redis-server.
 *
 * The workload (tests/util/cc_workload.h) is only useful if it is
 * replayable and if Redis accepts it: a command Redis refuses writes
 * nothing, so a workload of mostly errors would prove nothing about a
 * replica.  These tests pin both.  The same seed gives the same bytes
 * (for any batch size); a real Redis 7.0 master gets thousands of ops of
 * three seeds, pipelined in batches, and no op that is not flagged
 * CC_OP_MAY_FAIL may get an error (EXEC's array is checked element by
 * element against the queued ops); every family and every write command of
 * the documented list below appears; MULTI blocks never straddle batches;
 * keys get expiries; several databases end non-empty; OBJECT ENCODING
 * sees both sides of every encoding threshold; binary and empty keys are
 * used; and without big values no argument exceeds 64 KiB.
 */
#include "cc_workload.h"
#include "redis_server.h"
#include "resp_client.h"
#include "test_util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------ */

/* FNV-1a over the ops' bytes, with lengths, so that "a" "bc" != "ab" "c". */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(1099511628211);
    return h;
}

static uint64_t op_hash(uint64_t h, const cc_op *op)
{
    h = fnv(h, &op->argc, sizeof op->argc);
    for (size_t i = 0; i < op->argc; i++) {
        h = fnv(h, &op->lens[i], sizeof op->lens[i]);
        h = fnv(h, op->argv[i], op->lens[i]);
    }
    return fnv(h, &op->flags, sizeof op->flags);
}

/* The hash of the first n ops of seed, taken in batches of bsz. */
static uint64_t stream_hash(uint64_t seed, size_t n, size_t bsz, int big)
{
    cc_workload_opts o;
    cc_workload_opts_default(&o);
    o.big = big;
    cc_workload *w = cc_workload_new(seed, &o);
    ck_assert_ptr_nonnull(w);
    uint64_t h = UINT64_C(14695981039346656037);
    size_t done = 0;
    while (done < n) {
        const cc_op *ops;
        size_t nops;
        ck_assert_int_eq(cc_workload_batch(w, bsz, &ops, &nops), 0);
        for (size_t i = 0; i < nops && done < n; i++, done++)
            h = op_hash(h, &ops[i]);
    }
    cc_workload_free(w);
    return h;
}

/* A printable rendering of an op (escaped, shortened). */
static void op_show(const cc_op *op, char *out, size_t outsz)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < op->argc && o + 8 < outsz; i++) {
        char esc[200];
        size_t n = op->lens[i] > 60 ? 60 : op->lens[i];
        test_escape(esc, sizeof esc, op->argv[i], n);
        o += (size_t)snprintf(out + o, outsz - o, "%s\"%s%s\"", i ? " " : "",
                              esc, n < op->lens[i] ? "..." : "");
    }
}

/* The command's name as Redis's table has it: "set", "xgroup|create". */
static void cmd_name(const cc_op *op, char *out, size_t outsz)
{
    size_t n = 0;
    for (size_t i = 0; i < op->lens[0] && n + 1 < outsz; i++)
        out[n++] = (char)tolower((unsigned char)op->argv[0][i]);
    out[n] = '\0';
    if ((!strcmp(out, "xgroup") || !strcmp(out, "script") || !strcmp(out, "function")) &&
        op->argc > 1 && n + 2 < outsz) {
        out[n++] = '|';
        for (size_t i = 0; i < op->lens[1] && n + 1 < outsz; i++)
            out[n++] = (char)tolower((unsigned char)op->argv[1][i]);
        out[n] = '\0';
    }
}

/* ---- (a) determinism ----------------------------------------------------------- */

START_TEST(same_seed_same_stream)
{
    size_t n = (size_t)test_scale(3000, 600);
    /* Byte for byte, whatever the batch size. */
    uint64_t a = stream_hash(7, n, 50, 1);
    ck_assert_uint_eq(a, stream_hash(7, n, 50, 1));
    ck_assert_uint_eq(a, stream_hash(7, n, 1, 1));
    ck_assert_uint_eq(a, stream_hash(7, n, 333, 1));
    /* Other seeds, other streams; big changes the stream too. */
    ck_assert_uint_ne(a, stream_hash(8, n, 50, 1));
    ck_assert_uint_ne(stream_hash(8, n, 50, 1), stream_hash(9, n, 50, 1));
    ck_assert_uint_ne(a, stream_hash(7, n, 50, 0));
}
END_TEST

/* ---- (c) no big values unless asked ------------------------------------------- */

static size_t longest_arg(int big, size_t n)
{
    cc_workload_opts o;
    cc_workload_opts_default(&o);
    o.big = big;
    cc_workload *w = cc_workload_new(11, &o);
    ck_assert_ptr_nonnull(w);
    size_t most = 0;
    while (cc_workload_total(w) < n) {
        const cc_op *ops;
        size_t nops;
        ck_assert_int_eq(cc_workload_batch(w, 100, &ops, &nops), 0);
        for (size_t i = 0; i < nops; i++)
            for (size_t j = 0; j < ops[i].argc; j++)
                if (ops[i].lens[j] > most)
                    most = ops[i].lens[j];
    }
    cc_workload_free(w);
    return most;
}

START_TEST(big_values_only_when_asked)
{
    size_t n = (size_t)test_scale(20000, 8000);
    size_t small = longest_arg(0, n), big = longest_arg(1, n);
    fprintf(stderr, "ch12_workload: longest argument %zu (big=0), %zu (big=1)\n", small, big);
    ck_assert_uint_le(small, 65536);
    ck_assert_uint_gt(big, 65536); /* the check above can fail */
}
END_TEST

/* ---- (b) against a real Redis ------------------------------------------------- */

/* The write commands of src/cmd_table.c that the workload covers.  Left
 * out: hexpire and friends (Redis 7.4, not in 7.0), replconf (the link's
 * own), function|restore (needs a FUNCTION DUMP payload), xgroup|help,
 * ping. */
static const char *const covered[] = {
    "multi", "exec", "discard", "select", "swapdb", "flushdb", "flushall",
    "publish", "function|load", "function|delete", "function|flush",
    "script|load", "script|flush", "eval", "evalsha", "eval_ro",
    "evalsha_ro", "fcall", "fcall_ro",
    "set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "mset",
    "msetnx", "append", "setrange", "incr", "decr", "incrby", "decrby",
    "incrbyfloat", "setbit", "bitop", "bitfield", "pfadd", "pfmerge",
    "pfcount", "del", "unlink", "rename", "renamenx", "copy", "move",
    "expire", "pexpire", "expireat", "pexpireat", "persist", "restore",
    "sort", "zadd", "zincrby", "zrem", "zremrangebyscore",
    "zremrangebyrank", "zremrangebylex", "zpopmin", "zpopmax", "zmpop",
    "bzpopmin", "bzpopmax", "bzmpop", "zunionstore", "zinterstore",
    "zdiffstore", "zrangestore", "geoadd", "georadius",
    "georadiusbymember", "geosearchstore", "xadd", "xdel", "xtrim",
    "xsetid", "xgroup|create", "xgroup|setid", "xgroup|destroy",
    "xgroup|createconsumer", "xgroup|delconsumer", "xack", "xclaim",
    "xautoclaim", "xreadgroup", "lpush", "rpush", "lpushx", "rpushx",
    "linsert", "lset", "lrem", "ltrim", "lpop", "rpop", "rpoplpush",
    "lmove", "lmpop", "blpop", "brpop", "blmove", "brpoplpush", "blmpop",
    "hset", "hmset", "hsetnx", "hdel", "hincrby", "hincrbyfloat", "sadd",
    "srem", "smove", "spop", "sinterstore", "sunionstore", "sdiffstore",
};
#define NCOVERED (sizeof covered / sizeof covered[0])

static const char *const families[] = {
    "bits", "db", "expire", "geo", "hash", "hll", "keys", "list", "multi",
    "script", "server", "set", "sort", "stream", "string", "zset",
};
#define NFAMILIES (sizeof families / sizeof families[0])

/* Encodings OBJECT ENCODING must report at some checkpoint of the run. */
static const char *const encodings[] = {
    "int", "embstr", "raw", "listpack", "hashtable", "intset", "skiplist",
    "quicklist", "stream",
};
#define NENC (sizeof encodings / sizeof encodings[0])

typedef struct run_stats {
    size_t cmd_count[NCOVERED];
    size_t cmd_errors[NCOVERED];
    size_t fam_count[NFAMILIES];
    int enc_seen[NENC];
    size_t errors, flagged, ops, empty_key, binary;
    size_t expires;      /* this run: most expiring keys at a checkpoint */
    size_t nonempty_dbs; /* this run: non-empty databases at the end */
} run_stats;

static redis_server server;

static void server_teardown(void) { redis_server_stop(&server); }

static void count_op(run_stats *st, const cc_op *op)
{
    char name[64];
    cmd_name(op, name, sizeof name);
    for (size_t i = 0; i < NCOVERED; i++)
        if (!strcmp(covered[i], name))
            st->cmd_count[i]++;
    for (size_t i = 0; i < NFAMILIES; i++)
        if (!strcmp(families[i], op->family))
            st->fam_count[i]++;
    if (op->flags & CC_OP_MAY_FAIL)
        st->flagged++;
    if (op->argc > 1 && op->lens[1] == 0 && strcmp(name, "publish") != 0)
        st->empty_key++;
    for (size_t j = 1; j < op->argc; j++)
        if (memchr(op->argv[j], '\0', op->lens[j]) != NULL &&
            memmem(op->argv[j], op->lens[j], "\r\n", 2) != NULL) {
            st->binary++;
            break;
        }
    st->ops++;
}

/* Whether reply v to op is an error that op's flags do not allow. */
static int unexpected_error(const cc_op *op, const resp_value *v)
{
    return v->type == RESP_ERROR && !(op->flags & CC_OP_MAY_FAIL);
}

/* An error reply to op: allowed only when flagged. */
static void check_reply(run_stats *st, const cc_op *op, const resp_value *v)
{
    if (v->type != RESP_ERROR)
        return;
    st->errors++;
    char name[64];
    cmd_name(op, name, sizeof name);
    for (size_t i = 0; i < NCOVERED; i++)
        if (!strcmp(covered[i], name))
            st->cmd_errors[i]++;
    if (!unexpected_error(op, v))
        return;
    char shown[600];
    op_show(op, shown, sizeof shown);
    ck_abort_msg("unflagged op got an error: %s -> %s", shown, v->str);
}

/* OBJECT ENCODING of every key of every database (a second connection). */
static void sample_encodings(run_stats *st, int databases)
{
    resp_client c;
    ck_assert_int_eq(resp_client_open(&c, server.port), 0);
    for (int db = 0; db < databases; db++) {
        char dbs[8];
        snprintf(dbs, sizeof dbs, "%d", db);
        resp_value v = {0};
        ck_assert_int_eq(resp_client_calll(&c, &v, "SELECT", dbs, NULL), 0);
        resp_value_clear(&v);
        ck_assert_int_eq(resp_client_calll(&c, &v, "KEYS", "*", NULL), 0);
        ck_assert_int_eq(v.type, RESP_ARRAY);
        for (size_t i = 0; i < v.len; i++) {
            const char *argv[] = {"OBJECT", "ENCODING", v.elems[i].str};
            size_t lens[] = {6, 8, v.elems[i].len};
            ck_assert_int_eq(resp_client_send(&c, 3, argv, lens), 0);
        }
        for (size_t i = 0; i < v.len; i++) {
            resp_value e = {0};
            ck_assert_int_eq(resp_client_reply(&c, &e), 0);
            for (size_t k = 0; k < NENC; k++)
                if (e.type == RESP_BULK && !strcmp(e.str, encodings[k]))
                    st->enc_seen[k] = 1;
            resp_value_clear(&e);
        }
        resp_value_clear(&v);
    }
    resp_client_close(&c);
}

/* Expiring keys and non-empty databases now (INFO keyspace). */
static void sample_keyspace(size_t *expires, size_t *nonempty_dbs)
{
    resp_client c;
    ck_assert_int_eq(resp_client_open(&c, server.port), 0);
    resp_value v = {0};
    ck_assert_int_eq(resp_client_calll(&c, &v, "INFO", "keyspace", NULL), 0);
    ck_assert_int_eq(v.type, RESP_BULK);
    *expires = *nonempty_dbs = 0;
    for (const char *p = v.str; (p = strstr(p, "keys=")) != NULL; p++) {
        long keys = strtol(p + 5, NULL, 10);
        const char *e = strstr(p, "expires=");
        ck_assert_ptr_nonnull(e);
        *expires += (size_t)strtol(e + 8, NULL, 10);
        if (keys > 0)
            (*nonempty_dbs)++;
    }
    resp_value_clear(&v);
    resp_client_close(&c);
}

static void run_seed(run_stats *st, uint64_t seed, const cc_workload_opts *o, size_t n,
                     int print)
{
    char err[512];
    ck_assert_msg(redis_server_start(&server, NULL, err, sizeof err) == 0, "%s", err);
    resp_client c;
    ck_assert_int_eq(resp_client_open(&c, server.port), 0);
    cc_workload *w = cc_workload_new(seed, o);
    ck_assert_ptr_nonnull(w);
    int dbs = o->databases < 4 ? o->databases : 4;
    const cc_op *queued[64];
    size_t nq = 0, next_sample = 1000;
    while (cc_workload_total(w) < n) {
        const cc_op *ops;
        size_t nops;
        size_t want = 20 + cc_workload_total(w) % 97; /* varied batch sizes */
        ck_assert_int_eq(cc_workload_batch(w, want, &ops, &nops), 0);
        int depth = 0;
        for (size_t i = 0; i < nops; i++) {
            ck_assert_int_eq(resp_client_send(&c, ops[i].argc,
                                              (const char *const *)ops[i].argv,
                                              ops[i].lens), 0);
            char name[64];
            cmd_name(&ops[i], name, sizeof name);
            if (!strcmp(name, "multi"))
                depth++;
            else if (!strcmp(name, "exec") || !strcmp(name, "discard"))
                depth--;
            ck_assert_int_ge(depth, 0);
            ck_assert_int_le(depth, 1);
            count_op(st, &ops[i]);
        }
        ck_assert_msg(depth == 0, "a MULTI block straddles a batch");
        int in_multi = 0;
        for (size_t i = 0; i < nops; i++) {
            resp_value v = {0};
            ck_assert_msg(resp_client_reply(&c, &v) == 0, "%s", c.err);
            char name[64];
            cmd_name(&ops[i], name, sizeof name);
            if (!strcmp(name, "multi")) {
                ck_assert_int_eq(v.type, RESP_SIMPLE);
                in_multi = 1;
                nq = 0;
            } else if (in_multi && !strcmp(name, "exec")) {
                ck_assert_msg(v.type == RESP_ARRAY && v.len == nq,
                              "EXEC: type %d len %zu, %zu queued", (int)v.type, v.len, nq);
                for (size_t q = 0; q < nq; q++)
                    check_reply(st, queued[q], &v.elems[q]);
                in_multi = 0;
            } else if (in_multi && !strcmp(name, "discard")) {
                ck_assert_int_eq(v.type, RESP_SIMPLE);
                in_multi = 0;
            } else if (in_multi) {
                char shown[600];
                op_show(&ops[i], shown, sizeof shown);
                ck_assert_msg(v.type == RESP_SIMPLE && !strcmp(v.str, "QUEUED"),
                              "not queued: %s -> %s", shown, v.str ? v.str : "?");
                ck_assert_uint_lt(nq, 64);
                queued[nq++] = &ops[i];
            } else {
                check_reply(st, &ops[i], &v);
            }
            resp_value_clear(&v);
        }
        /* The connection is where the workload says (SELECT inside EXEC
         * and DISCARD included). */
        resp_value v = {0};
        ck_assert_int_eq(resp_client_calll(&c, &v, "CLIENT", "INFO", NULL), 0);
        ck_assert_int_eq(v.type, RESP_BULK);
        const char *db = strstr(v.str, " db=");
        ck_assert_ptr_nonnull(db);
        ck_assert_int_eq(atoi(db + 4), cc_workload_db(w));
        resp_value_clear(&v);
        if (cc_workload_total(w) >= next_sample) {
            size_t e, d;
            sample_encodings(st, dbs);
            sample_keyspace(&e, &d);
            if (e > st->expires)
                st->expires = e;
            next_sample += 1000;
        }
    }
    sample_encodings(st, dbs);
    size_t e;
    sample_keyspace(&e, &st->nonempty_dbs);
    if (e > st->expires)
        st->expires = e;
    if (print) {
        fprintf(stderr, "ch12_workload: seed %llu, %zu ops per family:\n",
                (unsigned long long)seed, cc_workload_total(w));
        cc_workload_print_stats(w, stderr);
    }
    cc_workload_free(w);
    resp_client_close(&c);
    redis_server_stop(&server);
}

/* The error check can fail: a wrong-type command that is not flagged. */
START_TEST(unflagged_errors_are_caught)
{
    char err[512];
    ck_assert_msg(redis_server_start(&server, NULL, err, sizeof err) == 0, "%s", err);
    resp_client c;
    ck_assert_int_eq(resp_client_open(&c, server.port), 0);
    resp_value v = {0};
    ck_assert_int_eq(resp_client_calll(&c, &v, "SET", "s:1", "v", NULL), 0);
    resp_value_clear(&v);
    char *argv[] = {"LPUSH", "s:1", "x"};
    size_t lens[] = {5, 3, 1};
    cc_op op = {.argc = 3, .argv = argv, .lens = lens, .family = "list"};
    ck_assert_int_eq(resp_client_call(&c, &v, 3, (const char *const *)argv, lens), 0);
    ck_assert_int_eq(v.type, RESP_ERROR);
    ck_assert(unexpected_error(&op, &v));
    op.flags = CC_OP_MAY_FAIL;
    ck_assert(!unexpected_error(&op, &v));
    resp_value_clear(&v);
    resp_client_close(&c);
    redis_server_stop(&server);
}
END_TEST

START_TEST(redis_accepts_the_workload)
{
    size_t n = (size_t)test_scale(5000, 3000);
    run_stats st = {0};
    size_t nonempty_runs = 0, expiring_runs = 0;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        /* Seeds 1 and 2 with the defaults (4 databases, big values),
         * seed 3 over 16 databases without big values. */
        cc_workload_opts o;
        cc_workload_opts_default(&o);
        if (seed == 3) {
            o.databases = 16;
            o.big = 0;
        }
        st.expires = st.nonempty_dbs = 0;
        run_seed(&st, seed, &o, n, seed == 1);
        fprintf(stderr, "ch12_workload: seed %llu: up to %zu expiring keys, ends with %zu "
                "non-empty databases\n", (unsigned long long)seed, st.expires, st.nonempty_dbs);
        nonempty_runs += st.nonempty_dbs >= 2;
        expiring_runs += st.expires > 0;
    }
    fprintf(stderr, "ch12_workload: %zu ops, %zu flagged, %zu error replies (all flagged)\n",
            st.ops, st.flagged, st.errors);
    fprintf(stderr, "ch12_workload: ops by command:");
    for (size_t i = 0; i < NCOVERED; i++)
        fprintf(stderr, " %s %zu", covered[i], st.cmd_count[i]);
    fprintf(stderr, "\n");
    fprintf(stderr, "ch12_workload: error replies by command:");
    for (size_t i = 0; i < NCOVERED; i++)
        if (st.cmd_errors[i] > 0)
            fprintf(stderr, " %s %zu/%zu", covered[i], st.cmd_errors[i], st.cmd_count[i]);
    fprintf(stderr, "\n");
    for (size_t i = 0; i < NCOVERED; i++)
        ck_assert_msg(st.cmd_count[i] > 0, "command %s never sent", covered[i]);
    for (size_t i = 0; i < NFAMILIES; i++)
        ck_assert_msg(st.fam_count[i] > 0, "family %s never used", families[i]);
    for (size_t i = 0; i < NENC; i++)
        ck_assert_msg(st.enc_seen[i], "OBJECT ENCODING never said %s", encodings[i]);
    ck_assert_uint_eq(nonempty_runs, 3); /* two or more databases non-empty */
    ck_assert_uint_eq(expiring_runs, 3);
    ck_assert_uint_gt(st.empty_key, 0);
    ck_assert_uint_gt(st.binary, 0);
    /* Mostly valid: flagged ops are a small part of the stream. */
    ck_assert_uint_lt(st.flagged * 10, st.ops);
}
END_TEST

Suite *ch12_workload_suite(void)
{
    Suite *s = suite_create("ch12_workload");
    TCase *tc = test_tcase("stream", 60);
    tcase_add_test(tc, same_seed_same_stream);
    tcase_add_test(tc, big_values_only_when_asked);
    suite_add_tcase(s, tc);
    tc = test_tcase("redis", 120);
    tcase_add_checked_fixture(tc, NULL, server_teardown);
    tcase_add_test(tc, unflagged_errors_are_caught);
    tcase_add_test(tc, redis_accepts_the_workload);
    suite_add_tcase(s, tc);
    return s;
}
