/* ch11_compare.c - chapter 11, end to end: a real redis-server master, our
 * server following it, every read command sent to both over sockets.
 *
 * The master gets a dataset of every type in each of its encodings (int,
 * embstr and raw strings, listpack and big lists, hashes, sets, sorted
 * sets, streams with consumer groups, HyperLogLogs sparse and dense,
 * bitmaps, geo sets, expiring keys, several databases), half of it before
 * the replica connects (so it arrives in the RDB snapshot) and half after
 * (so it arrives as the command stream).  Once the link has applied the
 * master's whole offset, each command of the table goes to the master and
 * to our server, over a RESP2 connection and a RESP3 one each, and the
 * replies must be equal: byte for byte, or as multisets where Redis's
 * order is its hash table's (read_oracle_equal()).  A real Redis replica
 * of the same master stands in for the master where a replica answers
 * differently: writes (-READONLY) and SORT, which Redis 7.0 counts as a
 * write.  Last, what our server says about itself (INFO replication and
 * keyspace, ROLE, CONFIG GET) is checked against the master's figures.
 *
 * A command our server does not know yet (its family not built in this
 * tree) is skipped and named on stderr; every other difference is
 * collected and the test fails listing them.  Expiring keys are read with
 * EXPIRETIME and PEXPIRETIME, which are absolute and so equal on both
 * sides; TTL would differ by the time between the two calls.
 */
#include "cmd.h"
#include "dataset.h"
#include "read_oracle.h"
#include "redis_server.h"
#include "repl.h"
#include "resp_raw.h"
#include "server.h"
#include "server_cmd.h"
#include "test_util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the fixture ----------------------------------------------------------- */

typedef struct cmp_fx {
    redis_server master;
    redis_server replica; /* a real Redis replica of the same master */
    resp_raw m[2];  /* to the master: RESP2, RESP3 */
    resp_raw r[2];  /* to the Redis replica */
    resp_raw s[2];  /* to our server: RESP2, RESP3 */
    dataset *ds;
    repl *link;
    server *srv;
} cmp_fx;

static void quiet_server(void *arg, server_log_level level, const char *msg)
{
    (void)arg, (void)level, (void)msg;
}

static void quiet_link(void *arg, repl_log_level level, const char *msg)
{
    (void)arg;
    if (level >= REPL_LOG_ERROR)
        fprintf(stderr, "ch11_compare link: %s\n", msg);
}

/* The link's on_change: the server exists before the link starts (so
 * this plain read is ordered by the thread's creation). */
static void link_changed(void *arg)
{
    cmp_fx *f = arg;
    server_notify_change(f->srv);
}

static void fx_stop(cmp_fx *f)
{
    for (int i = 0; i < 2; i++) {
        resp_raw_close(&f->m[i]);
        resp_raw_close(&f->r[i]);
        resp_raw_close(&f->s[i]);
    }
    if (f->srv != NULL)
        server_stop(f->srv);
    if (f->link != NULL) {
        repl_stop(f->link);
        repl_destroy(f->link);
    }
    server_destroy(f->srv);
    if (f->ds != NULL) {
        dataset_reclaim(f->ds);
        dataset_destroy(f->ds);
    }
    redis_server_stop(&f->replica);
    redis_server_stop(&f->master);
    memset(f, 0, sizeof *f);
    for (int i = 0; i < 2; i++)
        f->m[i].fd = f->r[i].fd = f->s[i].fd = -1;
}

static cmp_fx *running;

static void fx_teardown(void)
{
    if (running != NULL) {
        fx_stop(running);
        free(running);
        running = NULL;
    }
}

static void fx_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fx_fail(const char *fmt, ...)
{
    char msg[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fx_teardown();
    ck_abort_msg("%s", msg);
}

/* One command to the master; an error reply fails the test. */
static void master_cmdv(cmp_fx *f, size_t argc, const char *const *argv,
                        const size_t *lens)
{
    const char *r;
    size_t n;
    if (resp_raw_call(&f->m[0], argc, argv, lens, &r, &n) != 0)
        fx_fail("master %s: %s", argv[0], f->m[0].err);
    if (r[0] == '-') {
        char esc[300];
        fx_fail("master %s: %s", argv[0], test_escape(esc, sizeof esc, r, n));
    }
}

static void master_cmd(cmp_fx *f, const char *arg0, ...)
{
    const char *argv[64];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < 64;
         a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    master_cmdv(f, argc, argv, NULL);
}

/* ---- the dataset --------------------------------------------------------------- */

/* CMD key then count generated elements: fmt1 of (mod ? i % mod : i),
 * and, when fmt2 is given, fmt2 of i after each (pairs). */
static void master_many(cmp_fx *f, const char *cmd, const char *key,
                        int count, const char *fmt1, int mod,
                        const char *fmt2)
{
    size_t per = fmt2 != NULL ? 2 : 1;
    char (*buf)[96] = malloc((size_t)count * per * sizeof *buf);
    const char **argv = malloc(((size_t)count * per + 2) * sizeof *argv);
    ck_assert(buf != NULL && argv != NULL);
    argv[0] = cmd;
    argv[1] = key;
    size_t argc = 2;
    for (int i = 0; i < count; i++) {
        snprintf(buf[argc - 2], sizeof buf[0], fmt1, mod ? i % mod : i);
        argv[argc] = buf[argc - 2];
        argc++;
        if (fmt2 != NULL) {
            snprintf(buf[argc - 2], sizeof buf[0], fmt2, i);
            argv[argc] = buf[argc - 2];
            argc++;
        }
    }
    master_cmdv(f, argc, argv, NULL);
    free(argv);
    free(buf);
}

/* Loaded before the replica connects: it arrives in the snapshot. */
static void load_snapshot_part(cmp_fx *f)
{
    char raw[61], big[5001];
    memset(raw, 'r', sizeof raw - 1);
    raw[sizeof raw - 1] = '\0';
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = (char)('a' + i % 26);
    big[sizeof big - 1] = '\0';
    master_cmd(f, "SET", "s:int", "12345", NULL);
    master_cmd(f, "SET", "s:neg", "-42", NULL);
    master_cmd(f, "SET", "s:embstr", "hello world", NULL);
    master_cmd(f, "SET", "s:raw", raw, NULL);
    master_cmd(f, "SET", "s:big", big, NULL);
    master_cmd(f, "SET", "s:empty", "", NULL);
    master_cmd(f, "SET", "s:float", "3.14", NULL);
    const char *bin[] = {"SET", "s:bin", "a\0b\r\n\xff"};
    const size_t binl[] = {3, 5, 6};
    master_cmdv(f, 3, bin, binl);
    master_cmd(f, "SET", "s:lcs1", "ohmytext", NULL);
    master_cmd(f, "SET", "s:lcs2", "mynewtext", NULL);
    master_cmd(f, "SET", "s:ttl", "v", "EX", "100000", NULL);
    master_cmd(f, "SET", "b:str", "foobar", NULL);
    master_cmd(f, "SETBIT", "b:bits", "7", "1", NULL);
    master_cmd(f, "SETBIT", "b:bits", "100", "1", NULL);
    master_cmd(f, "PFADD", "p:small", "a", "b", "c", NULL);
    master_many(f, "PFADD", "p:dense", 3000, "e%d", 0, NULL);
    master_cmd(f, "RPUSH", "l:small", "a", "b", "c", "1", "2", "3", "b", NULL);
    master_many(f, "RPUSH", "l:big", 300,
                "element-%06d-padding-padding-padding-padding", 0, NULL);
    master_cmd(f, "HSET", "h:small", "f1", "v1", "f2", "2", "f3", "", NULL);
    /* Past Redis 7.0's hash-max-listpack-entries (512, redis/redis
     * src/config.c), so both sides call it a hashtable. */
    master_many(f, "HSET", "h:big", 600, "field:%04d", 0, "value-%d");
    master_cmd(f, "SADD", "set:int", "1", "2", "3", "-5", "100", NULL);
    master_cmd(f, "SADD", "set:str", "a", "b", "c", NULL);
    master_cmd(f, "SADD", "set:other", "b", "c", "d", "3", NULL);
    master_many(f, "SADD", "set:bigint", 600, "%d", 0, NULL);
    master_cmd(f, "ZADD", "z:small", "1", "a", "2", "b", "2", "c", "-1.5",
               "d", "inf", "e", "-inf", "f", NULL);
    master_many(f, "ZADD", "z:big", 200, "%d.25", 17, "member:%04d");
    master_cmd(f, "ZADD", "z:lex", "0", "a", "0", "b", "0", "c", "0", "d",
               "0", "e", "0", "ee", NULL);
    master_cmd(f, "ZADD", "z:other", "5", "a", "7", "x", NULL);
    master_cmd(f, "XADD", "x:s", "1-1", "f", "v", NULL);
    master_cmd(f, "XADD", "x:s", "1-2", "a", "1", "b", "2", NULL);
    master_cmd(f, "XADD", "x:s", "2-0", "c", "3", NULL);
    master_cmd(f, "XADD", "x:s", "3-0", "d", "4", NULL);
    master_cmd(f, "XGROUP", "CREATE", "x:s", "g1", "0", NULL);
    master_cmd(f, "XREADGROUP", "GROUP", "g1", "c1", "COUNT", "2", "STREAMS",
               "x:s", ">", NULL);
    master_cmd(f, "XDEL", "x:s", "2-0", NULL);
    master_cmd(f, "GEOADD", "g:pts", "13.361389", "38.115556", "Palermo",
               "15.087269", "37.502669", "Catania", "2.349014", "48.864716",
               "Paris", NULL);
    master_cmd(f, "SELECT", "3", NULL);
    master_cmd(f, "SET", "only3", "x", NULL);
    master_cmd(f, "SELECT", "0", NULL);
}

/* Loaded after: it arrives as the command stream. */
static void load_stream_part(cmp_fx *f)
{
    master_cmd(f, "SET", "s:late", "streamed", NULL);
    master_cmd(f, "SET", "s:pttl", "v", "PX", "90000000", NULL);
    /* Not asked for its encoding: Redis makes an appended string "raw"
     * whatever its length, a history the dataset does not keep. */
    master_cmd(f, "SET", "s:appended", "short", NULL);
    master_cmd(f, "APPEND", "s:appended", "!", NULL);
    master_cmd(f, "INCRBY", "s:int", "5", NULL);
    master_cmd(f, "LPUSH", "l:small", "head", NULL);
    master_cmd(f, "HSET", "h:long", "f", "a-value-longer-than-sixty-four-"
               "bytes-so-the-hash-is-not-a-listpack-any-more", NULL);
    master_cmd(f, "SREM", "set:int", "2", NULL);
    master_cmd(f, "ZINCRBY", "z:small", "10", "a", NULL);
    master_cmd(f, "XADD", "x:s", "4-0", "e", "5", NULL);
    master_cmd(f, "XGROUP", "CREATE", "x:s", "g2", "$", NULL);
    for (int i = 0; i < 150; i++) {
        char id[32], v[32];
        snprintf(id, sizeof id, "%d-0", 10 + i);
        snprintf(v, sizeof v, "%d", i);
        master_cmd(f, "XADD", "x:big", id, "n", v, NULL);
    }
    master_cmd(f, "PFADD", "p:small", "d", NULL);
    master_cmd(f, "SETBIT", "b:bits", "1000", "1", NULL);
    master_cmd(f, "SELECT", "5", NULL);
    master_cmd(f, "SET", "lonely", "1", NULL);
    master_cmd(f, "SELECT", "15", NULL);
    master_cmd(f, "RPUSH", "l15", "a", "b", NULL);
    master_cmd(f, "HSET", "h15", "only", "field", NULL);
    master_cmd(f, "SADD", "s15", "only", NULL);
    master_cmd(f, "ZADD", "z15", "1", "only", NULL);
    master_cmd(f, "SELECT", "0", NULL);
}

/* A number from INFO replication on c (-1 when absent). */
static long long repl_field(resp_raw *c, const char *who, const char *name)
{
    const char *r;
    size_t n;
    if (resp_raw_calll(c, &r, &n, "INFO", "replication", NULL) != 0)
        fx_fail("%s INFO: %s", who, c->err);
    char text[4096], key[80];
    snprintf(text, sizeof text, "%.*s", (int)(n < 4095 ? n : 4095), r);
    snprintf(key, sizeof key, "\n%s:", name);
    const char *p = strstr(text, key);
    if (p == NULL)
        return -1;
    if (strncmp(p + strlen(key), "up", 2) == 0)
        return 1;
    return strtoll(p + strlen(key), NULL, 10);
}

static uint64_t master_offset(cmp_fx *f)
{
    long long off = repl_field(&f->m[0], "master", "master_repl_offset");
    if (off < 0)
        fx_fail("master INFO has no master_repl_offset");
    return (uint64_t)off;
}

/* The Redis replica has the master's offset applied (polled: Redis has no
 * wait for it). */
static void replica_catch_up(cmp_fx *f, uint64_t off)
{
    for (int i = 0; i < 3000; i++) {
        if (repl_field(&f->r[0], "Redis replica", "master_link_status") == 1 &&
            repl_field(&f->r[0], "Redis replica", "slave_repl_offset") >=
                (long long)off)
            return;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fx_fail("the Redis replica did not reach offset %" PRIu64 " in 30 s",
            off);
}

static void open_pair(resp_raw pair[2], int port, const char *who)
{
    for (int i = 0; i < 2; i++)
        if (resp_raw_open(&pair[i], port) != 0)
            fx_fail("%s: %s", who, pair[i].err);
    const char *r;
    size_t n;
    if (resp_raw_calll(&pair[1], &r, &n, "HELLO", "3", NULL) != 0 ||
        r[0] != '%')
        fx_fail("%s: HELLO 3 failed: %s", who, pair[1].err);
}

static cmp_fx *fx_start(const char *variant)
{
    cmp_fx *f = calloc(1, sizeof *f);
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 2; i++)
        f->m[i].fd = f->r[i].fd = f->s[i].fd = -1;
    running = f;
    char err[1024];
    if (redis_server_start(&f->master, NULL, err, sizeof err) != 0)
        fx_fail("master: %s", err);
    if (resp_raw_open(&f->m[0], f->master.port) != 0)
        fx_fail("master: %s", f->m[0].err);
    load_snapshot_part(f);
    char mport[16];
    snprintf(mport, sizeof mport, "%d", f->master.port);
    const char *const replica_args[] = {"--replicaof", "127.0.0.1", mport,
                                        NULL};
    if (redis_server_start(&f->replica, replica_args, err, sizeof err) != 0)
        fx_fail("Redis replica: %s", err);
    f->ds = dataset_create(store_variant(variant), 16);
    if (f->ds == NULL)
        fx_fail("dataset_create(%s) failed", variant);
    repl_options ro = repl_options_default();
    ro.host = "127.0.0.1";
    ro.port = f->master.port;
    ro.on_change = link_changed;
    ro.change_arg = f;
    ro.log = quiet_link;
    ro.backoff_min_ms = 20;
    ro.backoff_max_ms = 400;
    ro.seed = 11;
    f->link = repl_create(&ro, f->ds, err, sizeof err);
    if (f->link == NULL)
        fx_fail("repl_create: %s", err);
    server_options so = server_options_default();
    so.port = -1;
    so.threads = 2;
    so.log = quiet_server;
    so.log_level = SERVER_LOG_WARNING;
    so.store = variant;
    f->srv = server_create(&so, f->ds, f->link, err, sizeof err);
    if (f->srv == NULL)
        fx_fail("server_create: %s", err);
    if (repl_start(f->link) != 0 || server_start(f->srv) != 0)
        fx_fail("starting the link or the server failed");
    if (repl_wait_state(f->link, REPL_STREAMING, 30000) != 0)
        fx_fail("the link did not reach streaming in 30 s");
    load_stream_part(f);
    uint64_t off = master_offset(f);
    if (repl_wait_offset(f->link, off, 30000) != 0) {
        repl_status st;
        repl_status_get(f->link, &st);
        fx_fail("offset %" PRIu64 " not reached: at %" PRIu64 ", state %s, "
                "last error '%s'", off, st.offset, repl_state_name(st.state),
                st.last_error);
    }
    resp_raw_close(&f->m[0]);
    open_pair(f->m, f->master.port, "master");
    open_pair(f->r, f->replica.port, "Redis replica");
    replica_catch_up(f, off);
    open_pair(f->s, server_port(f->srv), "our server");
    return f;
}

/* ---- the commands ------------------------------------------------------------------ */

#define U READ_UNORDERED
#define UP (READ_UNORDERED | READ_PAIRS)
#define SC READ_SCAN
#define SCP (READ_SCAN | READ_PAIRS)

/* Compared with the Redis replica instead of the master: the commands a
 * replica answers differently (writes, SORT). */
#define VS_REPLICA (1u << 8)

typedef struct cmp_cmd {
    int db;              /* -1: the previous one */
    unsigned flags;      /* READ_* */
    const char *argv[24];
} cmp_cmd;

static const cmp_cmd commands[] = {
    /* connection and generic */
    {0, 0, {"PING"}},
    {0, 0, {"PING", "hello"}},
    {0, 0, {"ECHO", "a\r\nb"}},
    {0, 0, {"DBSIZE"}},
    {3, 0, {"DBSIZE"}},
    {5, 0, {"RANDOMKEY"}},
    {7, 0, {"RANDOMKEY"}},
    {0, 0, {"EXISTS", "s:int", "nosuch", "s:int", "l:big"}},
    {0, 0, {"TYPE", "s:int"}}, {0, 0, {"TYPE", "l:small"}},
    {0, 0, {"TYPE", "h:big"}}, {0, 0, {"TYPE", "set:int"}},
    {0, 0, {"TYPE", "z:small"}}, {0, 0, {"TYPE", "x:s"}},
    {0, 0, {"TYPE", "nosuch"}},
    {0, 0, {"TOUCH", "s:int", "nosuch"}},
    {0, 0, {"EXPIRETIME", "s:ttl"}}, {0, 0, {"PEXPIRETIME", "s:pttl"}},
    {0, 0, {"EXPIRETIME", "s:int"}}, {0, 0, {"PEXPIRETIME", "nosuch"}},
    {0, 0, {"TTL", "s:int"}}, {0, 0, {"PTTL", "nosuch"}},
    {0, U, {"KEYS", "*"}}, {0, U, {"KEYS", "s:*"}},
    {0, U, {"KEYS", "?:[a-l]*"}}, {0, 0, {"KEYS", "s:int"}},
    {3, U, {"KEYS", "*"}},
    {0, SC, {"SCAN", "0", "COUNT", "100000"}},
    {0, SC, {"SCAN", "0", "MATCH", "s:*", "COUNT", "100000"}},
    {0, SC, {"SCAN", "0", "TYPE", "zset", "COUNT", "100000"}},
    {0, 0, {"SCAN", "x"}}, {0, 0, {"SCAN", "0", "COUNT", "0"}},
    {0, 0, {"OBJECT", "ENCODING", "s:int"}},
    {0, 0, {"OBJECT", "ENCODING", "s:embstr"}},
    {0, 0, {"OBJECT", "ENCODING", "s:raw"}},
    {0, 0, {"OBJECT", "ENCODING", "l:small"}},
    {0, 0, {"OBJECT", "ENCODING", "l:big"}},
    {0, 0, {"OBJECT", "ENCODING", "h:small"}},
    {0, 0, {"OBJECT", "ENCODING", "h:big"}},
    {0, 0, {"OBJECT", "ENCODING", "h:long"}},
    {0, 0, {"OBJECT", "ENCODING", "set:int"}},
    {0, 0, {"OBJECT", "ENCODING", "set:bigint"}},
    {0, 0, {"OBJECT", "ENCODING", "z:small"}},
    {0, 0, {"OBJECT", "ENCODING", "z:big"}},
    {0, 0, {"OBJECT", "ENCODING", "x:s"}},
    {0, 0, {"OBJECT", "ENCODING", "nosuch"}},
    {0, 0, {"DUMP", "s:int"}}, {0, 0, {"DUMP", "nosuch"}},
    /* strings */
    {0, 0, {"GET", "s:int"}}, {0, 0, {"GET", "s:bin"}},
    {0, 0, {"GET", "s:big"}}, {0, 0, {"GET", "s:empty"}},
    {0, 0, {"GET", "nosuch"}}, {0, 0, {"GET", "l:small"}},
    {0, 0, {"GET", "s:late"}}, {0, 0, {"GET", "s:appended"}},
    {0, 0, {"MGET", "s:int", "nosuch", "l:small", "s:neg"}},
    {0, 0, {"STRLEN", "s:big"}}, {0, 0, {"STRLEN", "s:int"}},
    {0, 0, {"STRLEN", "nosuch"}},
    {0, 0, {"GETRANGE", "s:big", "10", "20"}},
    {0, 0, {"GETRANGE", "s:big", "-5", "-1"}},
    {0, 0, {"GETRANGE", "s:int", "0", "-100"}},
    {0, 0, {"SUBSTR", "s:embstr", "2", "4"}},
    {0, 0, {"LCS", "s:lcs1", "s:lcs2"}},
    {0, 0, {"LCS", "s:lcs1", "s:lcs2", "LEN"}},
    {0, 0, {"LCS", "s:lcs1", "s:lcs2", "IDX", "MINMATCHLEN", "2",
            "WITHMATCHLEN"}},
    /* bits */
    {0, 0, {"GETBIT", "b:bits", "7"}}, {0, 0, {"GETBIT", "b:bits", "8"}},
    {0, 0, {"GETBIT", "nosuch", "0"}},
    {0, 0, {"BITCOUNT", "b:str"}}, {0, 0, {"BITCOUNT", "b:str", "1", "1"}},
    {0, 0, {"BITCOUNT", "b:str", "5", "30", "BIT"}},
    {0, 0, {"BITPOS", "b:bits", "1"}},
    {0, 0, {"BITPOS", "b:str", "0", "2", "-1", "BYTE"}},
    {0, 0, {"BITPOS", "b:bits", "1", "8", "-1", "BIT"}},
    {0, 0, {"BITFIELD_RO", "b:str", "GET", "u8", "0", "GET", "i5", "3"}},
    /* HyperLogLog */
    {0, 0, {"PFCOUNT", "p:small"}}, {0, 0, {"PFCOUNT", "p:dense"}},
    {0, 0, {"PFCOUNT", "p:small", "p:dense", "nosuch"}},
    {0, 0, {"PFCOUNT", "s:int"}},
    /* lists */
    {0, 0, {"LLEN", "l:big"}}, {0, 0, {"LINDEX", "l:small", "-1"}},
    {0, 0, {"LINDEX", "l:big", "150"}},
    {0, 0, {"LRANGE", "l:small", "0", "-1"}},
    {0, 0, {"LRANGE", "l:big", "-10", "-3"}},
    {0, 0, {"LRANGE", "l:big", "0", "-1"}},
    {0, 0, {"LPOS", "l:small", "b"}},
    {0, 0, {"LPOS", "l:small", "b", "RANK", "-1", "COUNT", "0"}},
    {0, 0, {"LPOS", "l:big", "element-000299-padding-padding-padding-padding",
            "MAXLEN", "10"}},
    {0, 0, {"LRANGE", "s:int", "0", "1"}},
    /* hashes */
    {0, 0, {"HGET", "h:small", "f1"}}, {0, 0, {"HGET", "h:big", "field:0100"}},
    {0, 0, {"HMGET", "h:small", "f1", "nosuch", "f3"}},
    {0, 0, {"HLEN", "h:big"}}, {0, 0, {"HEXISTS", "h:small", "f2"}},
    {0, 0, {"HSTRLEN", "h:long", "f"}},
    {0, UP, {"HGETALL", "h:small"}}, {0, UP, {"HGETALL", "h:big"}},
    {0, U, {"HKEYS", "h:big"}}, {0, U, {"HVALS", "h:small"}},
    {0, SCP, {"HSCAN", "h:big", "0", "COUNT", "100000"}},
    {0, SCP, {"HSCAN", "h:small", "0", "MATCH", "f[12]"}},
    {15, 0, {"HRANDFIELD", "h15"}},
    {15, 0, {"HRANDFIELD", "h15", "-3", "WITHVALUES"}},
    {0, 0, {"HGET", "s:int", "f"}},
    /* sets */
    {0, U, {"SMEMBERS", "set:int"}}, {0, U, {"SMEMBERS", "set:bigint"}},
    {0, 0, {"SCARD", "set:bigint"}}, {0, 0, {"SISMEMBER", "set:str", "b"}},
    {0, 0, {"SMISMEMBER", "set:int", "1", "2", "7"}},
    {0, U, {"SINTER", "set:str", "set:other"}},
    {0, U, {"SUNION", "set:str", "set:other", "set:int"}},
    {0, U, {"SDIFF", "set:other", "set:str"}},
    {0, 0, {"SINTERCARD", "2", "set:str", "set:other"}},
    {0, 0, {"SINTERCARD", "2", "set:str", "set:other", "LIMIT", "1"}},
    {0, SC, {"SSCAN", "set:bigint", "0", "COUNT", "100000"}},
    {15, 0, {"SRANDMEMBER", "s15"}}, {15, 0, {"SRANDMEMBER", "s15", "-2"}},
    {0, 0, {"SMEMBERS", "s:int"}},
    /* sorted sets */
    {0, 0, {"ZCARD", "z:big"}}, {0, 0, {"ZSCORE", "z:small", "a"}},
    {0, 0, {"ZSCORE", "z:small", "e"}},
    {0, 0, {"ZMSCORE", "z:small", "d", "nosuch", "f"}},
    {0, 0, {"ZRANK", "z:big", "member:0100"}},
    {0, 0, {"ZREVRANK", "z:small", "b"}},
    {0, 0, {"ZRANGE", "z:small", "0", "-1", "WITHSCORES"}},
    {0, 0, {"ZRANGE", "z:big", "0", "-1", "WITHSCORES"}},
    {0, 0, {"ZRANGE", "z:big", "(3", "+inf", "BYSCORE", "LIMIT", "2", "5"}},
    {0, 0, {"ZRANGE", "z:lex", "[b", "(e", "BYLEX"}},
    {0, 0, {"ZRANGE", "z:small", "+inf", "-inf", "BYSCORE", "REV",
            "WITHSCORES"}},
    {0, 0, {"ZRANGEBYSCORE", "z:small", "-inf", "2", "WITHSCORES"}},
    {0, 0, {"ZREVRANGEBYSCORE", "z:big", "10", "(5", "LIMIT", "0", "3"}},
    {0, 0, {"ZRANGEBYLEX", "z:lex", "-", "+"}},
    {0, 0, {"ZREVRANGEBYLEX", "z:lex", "(ee", "[a", "LIMIT", "1", "2"}},
    {0, 0, {"ZREVRANGE", "z:small", "0", "2"}},
    {0, 0, {"ZCOUNT", "z:big", "1", "(4"}},
    {0, 0, {"ZLEXCOUNT", "z:lex", "[b", "+"}},
    {0, 0, {"ZUNION", "2", "z:small", "z:other", "WITHSCORES"}},
    {0, 0, {"ZINTER", "2", "z:small", "z:other", "WEIGHTS", "2", "3",
            "AGGREGATE", "MAX", "WITHSCORES"}},
    {0, 0, {"ZDIFF", "2", "z:small", "z:other"}},
    {0, 0, {"ZINTERCARD", "2", "z:small", "z:other"}},
    {0, SCP, {"ZSCAN", "z:big", "0", "COUNT", "100000"}},
    {15, 0, {"ZRANDMEMBER", "z15", "-2", "WITHSCORES"}},
    {0, 0, {"ZRANGE", "z:small", "x", "1"}},
    {0, 0, {"ZSCORE", "s:int", "a"}},
    /* geo */
    {0, 0, {"GEOPOS", "g:pts", "Palermo", "nosuch", "Paris"}},
    {0, 0, {"GEODIST", "g:pts", "Palermo", "Catania", "km"}},
    {0, 0, {"GEOHASH", "g:pts", "Palermo", "Catania"}},
    {0, 0, {"GEOSEARCH", "g:pts", "FROMMEMBER", "Palermo", "BYRADIUS", "300",
            "km", "ASC", "WITHCOORD", "WITHDIST", "WITHHASH"}},
    {0, 0, {"GEOSEARCH", "g:pts", "FROMLONLAT", "15", "37", "BYBOX", "400",
            "400", "km", "DESC", "COUNT", "1"}},
    {0, 0, {"GEORADIUS_RO", "g:pts", "15", "37", "200", "km", "WITHDIST",
            "ASC"}},
    {0, 0, {"GEORADIUSBYMEMBER_RO", "g:pts", "Paris", "100", "km"}},
    /* sort */
    {0, 0, {"SORT_RO", "set:int"}},
    {0, 0, {"SORT_RO", "l:small", "ALPHA", "DESC", "LIMIT", "1", "3"}},
    {0, 0, {"SORT_RO", "l:small"}},
    /* streams */
    {0, 0, {"XLEN", "x:s"}}, {0, 0, {"XLEN", "x:big"}},
    {0, 0, {"XRANGE", "x:s", "-", "+"}},
    {0, 0, {"XRANGE", "x:big", "50", "+", "COUNT", "5"}},
    {0, 0, {"XREVRANGE", "x:s", "+", "(1-1"}},
    {0, 0, {"XREAD", "COUNT", "2", "STREAMS", "x:s", "x:big", "0", "100"}},
    {0, 0, {"XREAD", "STREAMS", "x:s", "$"}},
    {0, 0, {"XPENDING", "x:s", "g1"}},
    {0, 0, {"XPENDING", "x:s", "nosuch"}},
    {0, 0, {"XINFO", "GROUPS", "x:s"}},
    {0, 0, {"XINFO", "STREAM", "x:s"}},
    {0, 0, {"XRANGE", "s:int", "-", "+"}},
    /* introspection whose answer is Redis's */
    /* (key-spec flags such as STRLEN's "RO" without "access" are not in
     * the tables: GET's entry is Redis's to the byte) */
    {0, 0, {"COMMAND", "INFO", "get", "nosuch"}},
    {0, 0, {"COMMAND", "GETKEYS", "mget", "a", "b", "c"}},
    {0, 0, {"COMMAND", "GETKEYS", "get", "k"}},
    {0, UP, {"CONFIG", "GET", "maxmemory", "save", "appendonly"}},
    {0, 0, {"ECHO", ""}},
    /* what a replica refuses, as a Redis replica refuses it */
    {0, VS_REPLICA, {"SET", "s:int", "1"}},
    {0, VS_REPLICA, {"SET", "s:int"}},
    {0, VS_REPLICA, {"DEL", "s:int", "l:big"}},
    {0, VS_REPLICA, {"SORT", "set:int", "DESC"}},
    {0, VS_REPLICA, {"SORT", "l:small", "ALPHA", "STORE", "dst"}},
    {0, VS_REPLICA, {"XADD", "x:s", "*", "f", "v"}},
    {0, VS_REPLICA, {"FLUSHALL"}},
    {0, VS_REPLICA, {"INCRBYFLOAT", "s:float", "x", "y"}},
    {0, VS_REPLICA, {"BITFIELD", "b:str", "GET", "u8", "0"}},
    {0, VS_REPLICA, {"GEORADIUS", "g:pts", "15", "37", "200", "km"}},
    {0, VS_REPLICA, {"SPOP", "set:int"}},
    {0, VS_REPLICA, {"GETEX", "s:int"}},
    {0, VS_REPLICA, {"GETDEL", "s:int"}},
    {0, VS_REPLICA, {"XREADGROUP", "GROUP", "g1", "c1", "STREAMS", "x:s",
                     ">"}},
    {0, VS_REPLICA, {"ZRANGESTORE", "dst", "z:small", "0", "-1"}},
    {0, VS_REPLICA, {"COPY", "s:int", "dst"}},
    {0, VS_REPLICA, {"SWAPDB", "0", "1"}},
    {0, VS_REPLICA, {"MOVE", "s:int", "1"}},
    {0, VS_REPLICA, {"PUBLISH", "ch", "m"}},
    /* errors the master gives as a replica would */
    {0, 0, {"PFCOUNT", "b:str"}},
    {0, 0, {"OBJECT", "FREQ", "s:int"}},
    {0, 0, {"XINFO", "STREAM", "nosuch"}},
    {0, 0, {"SELECT", "16"}},
    {0, VS_REPLICA | UP, {"CONFIG", "GET", "replica-read-only",
                          "slave-read-only",
                          "replica-serve-stale-data", "replica-priority"}},
};

/* ---- the comparison --------------------------------------------------------------- */

/* A read command of ours, or a write of chapter 9's table (-READONLY). */
static bool known_here(const char *name)
{
    const cmd_spec *w = cmd_lookup(name, strlen(name));
    return server_cmd_find(name, strlen(name)) != NULL ||
           (w != NULL && (w->flags & CMD_WRITE));
}

static void call(resp_raw *c, const char *who, size_t argc,
                 const char *const *argv, const char **r, size_t *n)
{
    if (resp_raw_call(c, argc, argv, NULL, r, n) != 0)
        fx_fail("%s did not answer %s: %s", who, argv[0], c->err);
}

static void select_db(cmp_fx *f, int db)
{
    char num[16];
    snprintf(num, sizeof num, "%d", db);
    const char *argv[] = {"SELECT", num};
    for (int i = 0; i < 2; i++) {
        const char *r;
        size_t n;
        call(&f->m[i], "the master", 2, argv, &r, &n);
        call(&f->r[i], "the Redis replica", 2, argv, &r, &n);
        call(&f->s[i], "our server", 2, argv, &r, &n);
        if (n != 5 || memcmp(r, "+OK\r\n", 5) != 0)
            fx_fail("our server: SELECT %d failed", db);
    }
}

static void render(char *out, size_t outsz, const char *const *argv)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; argv[i] != NULL && n + 8 < outsz; i++) {
        char esc[100];
        test_escape(esc, sizeof esc, argv[i], strlen(argv[i]));
        int w = snprintf(out + n, outsz - n, "%s%s", i ? " " : "", esc);
        if (w < 0)
            break;
        n += (size_t)w < outsz - n ? (size_t)w : outsz - n - 1;
    }
}

static void check_introspection(cmp_fx *f);

static void compare_all(const char *variant)
{
    cmp_fx *f = fx_start(variant);
    char report[6000] = "";
    size_t rlen = 0, differ = 0, compared = 0;
    char skipped[2000] = "";
    int db = -1;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const cmp_cmd *c = &commands[i];
        size_t argc = 0;
        while (c->argv[argc] != NULL)
            argc++;
        if (!known_here(c->argv[0])) {
            if (strstr(skipped, c->argv[0]) == NULL &&
                strlen(skipped) + strlen(c->argv[0]) + 2 < sizeof skipped) {
                strcat(skipped, " ");
                strcat(skipped, c->argv[0]);
            }
            continue;
        }
        if (c->db >= 0 && c->db != db) {
            select_db(f, c->db);
            db = c->db;
        }
        for (int p = 0; p < 2; p++) {
            const char *r;
            size_t n;
            bool vs_replica = (c->flags & VS_REPLICA) != 0;
            call(vs_replica ? &f->r[p] : &f->m[p],
                 vs_replica ? "the Redis replica" : "the master", argc,
                 c->argv, &r, &n);
            char *theirs = malloc(n + 1);
            ck_assert_ptr_nonnull(theirs);
            memcpy(theirs, r, n);
            size_t tn = n;
            call(&f->s[p], "our server", argc, c->argv, &r, &n);
            char why[200] = "";
            int eq = read_oracle_equal(theirs, tn, r, n,
                                       c->flags & ~VS_REPLICA, why,
                                       sizeof why);
            compared++;
            if (eq != 1) {
                differ++;
                char cmd[300], a[700], b[700];
                render(cmd, sizeof cmd, c->argv);
                test_escape(a, sizeof a, theirs, tn);
                test_escape(b, sizeof b, r, n);
                int w = snprintf(report + rlen, sizeof report - rlen,
                                 "\n[%s, db %d, RESP%d] %s%s%s\n  %s: %s"
                                 "\n  ours:   %s", variant, db, p + 2, cmd,
                                 why[0] ? ": " : "", why,
                                 vs_replica ? "replica" : "master", a, b);
                if (w > 0 && (size_t)w < sizeof report - rlen)
                    rlen += (size_t)w;
            }
            free(theirs);
        }
    }
    fprintf(stderr, "ch11_compare (%s): %zu replies compared%s%s\n", variant,
            compared, skipped[0] ? "; not built here yet, skipped:" : "",
            skipped);
    if (differ > 0)
        fx_fail("%zu of %zu replies differ from redis-server's:%s", differ,
                compared, report);
    ck_assert_uint_gt(compared, 20);
    check_introspection(f);
    fx_teardown();
}

/* A field of an INFO reply ("" when absent). */
static void info_field(const char *text, const char *name, char *out,
                       size_t n)
{
    char key[80];
    snprintf(key, sizeof key, "\n%s:", name);
    const char *p = strstr(text, key);
    out[0] = '\0';
    if (p == NULL)
        return;
    p += strlen(key);
    size_t len = strcspn(p, "\r\n");
    snprintf(out, n, "%.*s", (int)len, p);
}

/* INFO (as a NUL-terminated copy) from one side. */
static char *info_text(resp_raw *c, const char *who, const char *section)
{
    const char *argv[] = {"INFO", section};
    const char *r;
    size_t n;
    call(c, who, 2, argv, &r, &n);
    char *t = malloc(n + 1);
    ck_assert_ptr_nonnull(t);
    memcpy(t, r, n);
    t[n] = '\0';
    return t;
}

/* What our server says about itself agrees with what the master says. */
static void check_introspection(cmp_fx *f)
{
    char *ours = info_text(&f->s[0], "our server", "everything");
    char *theirs = info_text(&f->m[0], "the master", "everything");
    char v[128], w[128];
    info_field(ours, "role", v, sizeof v);
    ck_assert_str_eq(v, "slave");
    info_field(ours, "master_host", v, sizeof v);
    ck_assert_str_eq(v, "127.0.0.1");
    info_field(ours, "master_port", v, sizeof v);
    ck_assert_int_eq(atoi(v), f->master.port);
    info_field(ours, "master_link_status", v, sizeof v);
    ck_assert_str_eq(v, "up");
    info_field(ours, "master_replid", v, sizeof v);
    info_field(theirs, "master_replid", w, sizeof w);
    ck_assert_str_eq(v, w);
    info_field(ours, "slave_repl_offset", v, sizeof v);
    info_field(theirs, "master_repl_offset", w, sizeof w);
    /* The master's offset moves on with its pings; ours follows. */
    ck_assert_uint_le(strtoull(v, NULL, 10), strtoull(w, NULL, 10));
    ck_assert_uint_gt(strtoull(v, NULL, 10), 0);
    info_field(ours, "tcp_port", v, sizeof v);
    ck_assert_int_eq(atoi(v), server_port(f->srv));
    info_field(ours, "connected_clients", v, sizeof v);
    ck_assert_int_ge(atoi(v), 2);
    info_field(ours, "total_commands_processed", v, sizeof v);
    ck_assert_int_gt(atoi(v), 100);
    info_field(ours, "loading", v, sizeof v);
    ck_assert_str_eq(v, "0");
    /* Every database's key and expiry counts, as the master's. */
    for (int db = 0; db < 16; db++) {
        char name[8];
        snprintf(name, sizeof name, "db%d", db);
        info_field(ours, name, v, sizeof v);
        info_field(theirs, name, w, sizeof w);
        /* avg_ttl is Redis's estimate: compared only as far as it. */
        char *cut = strstr(v, ",avg_ttl");
        if (cut != NULL)
            *cut = '\0';
        if ((cut = strstr(w, ",avg_ttl")) != NULL)
            *cut = '\0';
        ck_assert_msg(strcmp(v, w) == 0, "%s: ours \"%s\", master \"%s\"",
                      name, v, w);
    }
    /* Commandstats: the GETs the comparison sent (two protocols). */
    if (server_cmd_find("get", 3) != NULL) {
        const char *g = strstr(ours, "\r\ncmdstat_get:calls=");
        ck_assert_msg(g != NULL, "no cmdstat_get in INFO everything");
        ck_assert_int_ge(atoi(g + strlen("\r\ncmdstat_get:calls=")), 16);
    }
    free(ours);
    free(theirs);
    /* ROLE: a connected replica at the offset INFO gave. */
    const char *argv[] = {"ROLE"};
    const char *r;
    size_t n;
    call(&f->s[1], "our server", 1, argv, &r, &n);
    char want[160];
    int wl = snprintf(want, sizeof want, "*5\r\n$5\r\nslave\r\n$9\r\n"
                      "127.0.0.1\r\n:%d\r\n$9\r\nconnected\r\n:",
                      f->master.port);
    ck_assert_msg(n > (size_t)wl && memcmp(r, want, (size_t)wl) == 0,
                  "ROLE: %.*s", (int)n, r);
    /* CONFIG GET names the master and our own port. */
    const char *cg[] = {"CONFIG", "GET", "replicaof", "port"};
    call(&f->s[0], "our server", 4, cg, &r, &n);
    char port[16], mport[24];
    snprintf(port, sizeof port, "%d", server_port(f->srv));
    snprintf(mport, sizeof mport, "127.0.0.1 %d", f->master.port);
    char *copy = strndup(r, n);
    ck_assert_ptr_nonnull(strstr(copy, port));
    ck_assert_ptr_nonnull(strstr(copy, mport));
    free(copy);
}

static const char *const variants[] = {"hamt", "ptrie"};

START_TEST(every_read_command_as_the_master_answers)
{
    compare_all(variants[_i]);
}
END_TEST

Suite *ch11_compare_suite(void)
{
    Suite *s = suite_create("ch11_compare");
    TCase *tc = test_tcase("end_to_end", 120);
    tcase_add_checked_fixture(tc, NULL, fx_teardown);
    tcase_add_loop_test(tc, every_read_command_as_the_master_answers, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
