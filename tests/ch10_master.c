/* ch10_master.c - chapter 10: the replication link following a real redis-server, the heavy cases.
 * Chapter 10.
 *
 * tests/ch10_link.c shows the link's paths one at a time; this suite
 * leans on them with what a real master does to a replica in production:
 * a million keys and a 100 MB value in one snapshot, every command family
 * of chapter 9 in the snapshot and in the stream (each phase ends with
 * the master's own SAVE loaded into a fresh keyspace and compared with
 * the replica's by keyspace_diff(), expiry times exact), expiry kept by
 * the replica until the master's DEL comes, a master restarted from the
 * dump it saved (its old ID comes back as replid2: partial resync with a
 * new ID), a master that crashed and came back from an older dump (the
 * replica holds writes the master lost: full resync), a backlog too small
 * for an outage (full resync), and reader threads that must see every
 * transaction whole and every full sync at once.  Each case starts its
 * own redis-server (tests/util/redis_server.h) and stops it; the master's
 * INFO counters (sync_full, sync_partial_ok, sync_partial_err) confirm
 * which kind of sync the link got, so no case trusts the link's own
 * account alone.  Sizes go through test_scale(), so the sanitizer and
 * Valgrind runs stay short; waits have generous limits and nothing is
 * timed.  Set CH10_LOG=1 to see the link's log lines on stderr.
 */
#include "dataset.h"
#include "keyspace.h"
#include "keyspace_rdb.h"
#include "redis_restart.h"
#include "redis_server.h"
#include "repl.h"
#include "resp_client.h"
#include "store.h"
#include "test_util.h"
#include "value.h"
#include "value_equal.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- small things ------------------------------------------------------------------------ */

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The longest any wait lasts: generous, since the sanitizers slow
 * everything down tenfold on a shared machine; a wait that runs out is a
 * failure with the link's status in the message, never a hang. */
#define WAIT_MS 120000

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

/* ---- the link's log, kept for failure messages ------------------------------------------- */

#define LOG_LINES 12
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_ring[LOG_LINES][240];
static unsigned log_next;

static void log_sink(void *arg, repl_log_level level, const char *msg)
{
    (void)arg;
    (void)level;
    pthread_mutex_lock(&log_mu);
    snprintf(log_ring[log_next % LOG_LINES], sizeof log_ring[0], "%s", msg);
    log_next++;
    pthread_mutex_unlock(&log_mu);
    if (getenv("CH10_LOG") != NULL)
        fprintf(stderr, "%s\n", msg);
}

/* The last lines, oldest first, joined with " | ". */
static const char *log_tail(char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    pthread_mutex_lock(&log_mu);
    unsigned first = log_next > LOG_LINES ? log_next - LOG_LINES : 0;
    for (unsigned i = first; i < log_next && used + 1 < n; i++) {
        int w = snprintf(out + used, n - used, "%s%s", i > first ? " | " : "",
                         log_ring[i % LOG_LINES]);
        if (w < 0)
            break;
        used += (size_t)w < n - used ? (size_t)w : n - used - 1;
    }
    pthread_mutex_unlock(&log_mu);
    return out;
}

/* ---- the master ------------------------------------------------------------------------------ */

/* Static, not on a test's stack: the launcher keeps a pointer to it until
 * it is stopped (a failed test stops it at exit). */
static redis_server master;
static resp_client mc;      /* the test's connection to the master */
static bool mc_open;
static const char *master_args[40];
static char last_reply[512];

static void master_connect(void)
{
    ck_assert_msg(resp_client_open(&mc, master.port) == 0, "%s", mc.err);
    mc_open = true;
}

static void master_disconnect(void)
{
    if (mc_open)
        resp_client_close(&mc);
    mc_open = false;
}

/* Start the master: debug commands on (DEBUG POPULATE, SET-ACTIVE-EXPIRE),
 * no delay before a diskless sync (7.0 waits 5 s for more replicas), and
 * the case's own arguments. */
static void master_start(const char *const *more)
{
    static const char *const base[] = {"--enable-debug-command", "yes",
                                       "--repl-diskless-sync-delay", "0",
                                       NULL};
    size_t n = 0;
    for (size_t i = 0; base[i] != NULL; i++)
        master_args[n++] = base[i];
    for (size_t i = 0; more != NULL && more[i] != NULL && n < 38; i++)
        master_args[n++] = more[i];
    master_args[n] = NULL;
    char err[1024];
    ck_assert_msg(redis_server_start(&master, master_args, err,
                                     sizeof err) == 0, "%s", err);
    master_connect();
}

static void master_stop(void)
{
    master_disconnect();
    redis_server_stop(&master);
}

/* Send a command to c (NULL-terminated C strings); return the reply's
 * type, its text in last_reply. */
static int callv(resp_client *c, size_t argc, const char *const *argv,
                 const size_t *lens)
{
    resp_value v;
    ck_assert_msg(resp_client_call(c, &v, argc, argv, lens) == 0,
                  "%s: %s", argv[0], c->err);
    int t = v.type;
    last_reply[0] = '\0';
    if (v.type == RESP_BULK || v.type == RESP_SIMPLE || v.type == RESP_ERROR)
        snprintf(last_reply, sizeof last_reply, "%s", v.str);
    else if (v.type == RESP_INTEGER)
        snprintf(last_reply, sizeof last_reply, "%" PRId64, v.integer);
    resp_value_clear(&v);
    return t;
}

static int call(resp_client *c, const char *arg0, ...)
{
    const char *argv[48];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < 48;
         a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    return callv(c, argc, argv, NULL);
}

/* A master command that must not fail. */
#define OK(...) ok_((const char *)NULL, __VA_ARGS__, (const char *)NULL)
static void ok_(const char *unused, ...)
{
    (void)unused;
    const char *argv[48];
    size_t argc = 0;
    va_list ap;
    va_start(ap, unused);
    for (const char *a = va_arg(ap, const char *); a != NULL && argc < 48;
         a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    int t = callv(&mc, argc, argv, NULL);
    ck_assert_msg(t != RESP_ERROR, "master: %s %s: %s", argv[0],
                  argc > 1 ? argv[1] : "", last_reply);
}

/* A field of the master's INFO, as a number (-1 when absent); text in
 * out when given. */
static long long info_field(const char *section, const char *field,
                            char *out, size_t outsz)
{
    resp_value v;
    ck_assert_msg(resp_client_calll(&mc, &v, "INFO", section, NULL) == 0,
                  "INFO: %s", mc.err);
    ck_assert_int_eq(v.type, RESP_BULK);
    char pat[80];
    snprintf(pat, sizeof pat, "\n%s:", field);
    const char *p = strstr(v.str, pat);
    long long n = -1;
    if (out != NULL)
        out[0] = '\0';
    if (p != NULL) {
        p += strlen(pat);
        n = strtoll(p, NULL, 10);
        if (out != NULL) {
            size_t len = strcspn(p, "\r\n");
            snprintf(out, outsz, "%.*s", (int)len, p);
        }
    }
    resp_value_clear(&v);
    return n;
}

static uint64_t master_offset(void)
{
    long long off = info_field("replication", "master_repl_offset", NULL, 0);
    ck_assert_int_ge(off, 0);
    return (uint64_t)off;
}

static long long master_stat(const char *name)
{
    return info_field("stats", name, NULL, 0);
}

/* ---- the replica ------------------------------------------------------------------------------ */

static dataset *ds;
static repl *lnk;
static atomic_ulong publishes; /* PUBLISH commands the link applied */

static void count_publish(const void *chan, size_t clen, const void *msg,
                          size_t mlen, void *arg)
{
    (void)chan, (void)clen, (void)msg, (void)mlen, (void)arg;
    /* relaxed: a counter the test reads after repl_wait_offset(), whose
     * condvar orders it */
    atomic_fetch_add_explicit(&publishes, 1, memory_order_relaxed);
}

static repl_options link_options(void)
{
    repl_options o = repl_options_default();
    o.host = "127.0.0.1";
    o.port = master.port;
    o.backoff_min_ms = 20; /* the cases restart masters: come back fast */
    o.backoff_max_ms = 300;
    o.log = log_sink;
    o.log_level = REPL_LOG_INFO;
    o.on_publish = count_publish;
    o.seed = 0x5eed;
    return o;
}

/* The replica's dataset, over a store variant (before the link, when
 * readers must be there first). */
static void dataset_make(const char *variant)
{
    ds = dataset_create(store_variant(variant), KEYSPACE_DEFAULT_DBS);
    ck_assert_ptr_nonnull(ds);
}

static void link_start(const repl_options *o, const char *variant)
{
    if (ds == NULL)
        dataset_make(variant);
    char err[512];
    lnk = repl_create(o, ds, err, sizeof err);
    ck_assert_msg(lnk != NULL, "repl_create: %s", err);
    ck_assert_int_eq(repl_start(lnk), 0);
}

static void link_stop(void)
{
    if (lnk != NULL) {
        repl_stop(lnk);
        repl_destroy(lnk);
        lnk = NULL;
    }
    dataset_destroy(ds);
    ds = NULL;
}

static repl_status status(void)
{
    repl_status s;
    repl_status_get(lnk, &s);
    return s;
}

/* The link's status and last log lines, for a failure message. */
static const char *describe(char *out, size_t n)
{
    repl_status s = status();
    char logs[2000];
    snprintf(out, n, "link %s, offset %" PRIu64 ", received %" PRIu64
             ", full %" PRIu64 ", partial %" PRIu64 ", failures %" PRIu64
             ", refused %" PRIu64 ", last_error \"%s\"; log: %s",
             repl_state_name(s.state), s.offset, s.master_offset,
             s.full_syncs, s.partial_syncs, s.sync_failures,
             s.commands_refused, s.last_error, log_tail(logs, sizeof logs));
    return out;
}

/* Wait until the replica is following (a sync has completed and the
 * link is streaming) and has applied everything the master has sent.
 * The state comes first: before a replica's first PSYNC a master's
 * offset is 0, which any link has "reached". */
static void caught_up(const char *what)
{
    if (repl_wait_state(lnk, REPL_STREAMING, WAIT_MS) != 0) {
        char d[3000];
        ck_abort_msg("%s: the link never reached STREAMING: %s", what,
                     describe(d, sizeof d));
    }
    uint64_t off = master_offset();
    if (repl_wait_offset(lnk, off, WAIT_MS) != 0) {
        char d[3000];
        ck_abort_msg("%s: the replica did not reach the master's offset "
                     "%" PRIu64 ": %s", what, off, describe(d, sizeof d));
    }
}

/* Poll the status until cond holds (a full or partial sync counted). */
#define WAIT_FOR(cond, what)                                              \
    do {                                                                  \
        bool done_ = false;                                               \
        for (long waited_ = 0; waited_ < WAIT_MS; waited_ += 10) {        \
            repl_status st = status();                                    \
            if (cond) {                                                   \
                done_ = true;                                             \
                break;                                                    \
            }                                                             \
            nap_ms(10);                                                   \
        }                                                                 \
        if (!done_) {                                                     \
            char d_[3000];                                                \
            ck_abort_msg("%s: %s never held: %s", what, #cond,            \
                         describe(d_, sizeof d_));                        \
        }                                                                 \
    } while (0)

/* Compare the replica with the master's SAVE: every database, every key,
 * values and expiry times exactly (the stream carries absolute times),
 * consumers' seen times aside (value_equal.h). */
/* SAVE on the master.  Right after a full sync the master may not have
 * reaped the child that wrote the replica's snapshot yet (it does so in
 * its cron), and SAVE refuses while it lives: try again until it is. */
static void master_save(const char *what)
{
    for (long w = 0;; w += 20) {
        int t = call(&mc, "SAVE", NULL);
        if (t == RESP_SIMPLE)
            return;
        ck_assert_msg(t == RESP_ERROR && strstr(last_reply, "in progress")
                      && w < WAIT_MS, "%s: SAVE: %s", what, last_reply);
        nap_ms(20);
    }
}

static void compare_with_master(const char *what)
{
    caught_up(what);
    master_save(what);
    char path[400];
    snprintf(path, sizeof path, "%s/dump.rdb", master.dir);
    keyspace *want = keyspace_create(store_variant("naive"),
                                     KEYSPACE_DEFAULT_DBS);
    ck_assert_ptr_nonnull(want);
    rdb_result res;
    memset(&res, 0, sizeof res);
    if (keyspace_load_rdb_file(want, path, NULL, &res) != 0) {
        keyspace_destroy(want);
        ck_abort_msg("%s: loading the master's SAVE: %s", what, res.error);
    }
    dataset_reader *dr = dataset_reader_open(ds);
    keyspace_reader *wr = keyspace_reader_open(want);
    ck_assert_ptr_nonnull(dr);
    ck_assert_ptr_nonnull(wr);
    keyspace_reader *got = dataset_read_begin(dr);
    char why[1024] = "";
    int d = keyspace_diff(got, wr, VALUE_EQ_IGNORE_SEEN, 0, why, sizeof why);
    dataset_read_end(dr);
    dataset_reader_close(dr);
    keyspace_reader_close(wr);
    keyspace_destroy(want);
    ck_assert_msg(d == 0, "%s: the replica (first) differs from the "
                  "master's SAVE (second): %s", what, d < 0 ? "ENOMEM" : why);
}

/* One key's value in the replica (NULL when missing), inside a section the
 * caller holds. */
static const value *replica_get(keyspace_reader *kr, unsigned db,
                                const char *key)
{
    return keyspace_get(kr, db, key, strlen(key));
}

static size_t replica_dbsize(unsigned db)
{
    dataset_reader *dr = dataset_reader_open(ds);
    ck_assert_ptr_nonnull(dr);
    size_t n = keyspace_dbsize(dataset_read_begin(dr), db);
    dataset_read_end(dr);
    dataset_reader_close(dr);
    return n;
}

static void readers_join(void);
static int64_t replica_expiry(const char *key, bool *live);

/* The end of every case, and its checked fixture: after a failed test in
 * a run that does not fork, leave no thread, link or server behind. */
static void teardown(void)
{
    readers_join();
    link_stop();
    master_stop();
}

/* ---- 1. a million keys ---------------------------------------------------------------------- */

/* DEBUG POPULATE's values: "value:<i>" padded with NULs to the size asked
 * (redis/redis src/debug.c). */
#define POPULATE_SIZE 24

/* Check every key DEBUG POPULATE made (key:0 .. key:n-1 in database 0)
 * and the mixed keys of database 5, in one read section; skip the keys
 * the stream changed (those are checked by name). */
static void check_million(long n, long mixed, long skip_below)
{
    dataset_reader *dr = dataset_reader_open(ds);
    ck_assert_ptr_nonnull(dr);
    keyspace_reader *kr = dataset_read_begin(dr);
    char k[32], want[POPULATE_SIZE + 8], got[POPULATE_SIZE + 1];
    long bad = -1;
    size_t got_len = 0;
    for (long i = skip_below; i < n && bad < 0; i++) {
        snprintf(k, sizeof k, "key:%ld", i);
        memset(want, 0, sizeof want);
        snprintf(want, sizeof want, "value:%ld", i);
        const value *v = keyspace_get(kr, 0, k, strlen(k));
        got_len = v != NULL && v->type == VALUE_STRING
                      ? value_str_read(v, 0, got, sizeof got) : 0;
        if (got_len != POPULATE_SIZE || memcmp(got, want, POPULATE_SIZE) != 0)
            bad = i;
    }
    for (long i = 0; i < mixed && bad < 0; i++) {
        static const char *const pre[4] = {"h", "l", "s", "z"};
        static const value_type type[4] = {VALUE_HASH, VALUE_LIST, VALUE_SET,
                                           VALUE_ZSET};
        static const size_t count[4] = {2, 4, 4, 2};
        for (int t = 0; t < 4; t++) {
            snprintf(k, sizeof k, "%s:%ld", pre[t], i);
            const value *v = keyspace_get(kr, 5, k, strlen(k));
            size_t c = i == 0 && t == 1 ? 5 : count[t]; /* l:0 got a tail */
            if (v == NULL || v->type != type[t] || value_count(v) != c) {
                bad = n + i;
                break;
            }
        }
    }
    dataset_read_end(dr);
    dataset_reader_close(dr);
    char shown[100];
    ck_assert_msg(bad < 0, "key %ld of the snapshot is wrong (got %zu bytes: "
                  "%s)", bad, got_len, test_escape(shown, sizeof shown, got,
                                                   got_len));
}

START_TEST(million_keys_full_sync)
{
    static const char *const args[] = {"--repl-diskless-sync", "yes", NULL};
    master_start(args);
    long n = test_scale(1000000, 5000);
    long mixed = test_scale(2000, 100);
    char ns[32], size[8];
    snprintf(ns, sizeof ns, "%ld", n);
    snprintf(size, sizeof size, "%d", POPULATE_SIZE);
    OK("DEBUG", "POPULATE", ns, "key", size);
    /* other types in database 5, pipelined */
    OK("SELECT", "5");
    for (long i = 0; i < mixed; i++) {
        char k[4][32], m[32];
        snprintf(m, sizeof m, "m%ld", i);
        static const char *const pre[4] = {"h", "l", "s", "z"};
        for (int t = 0; t < 4; t++)
            snprintf(k[t], sizeof k[t], "%s:%ld", pre[t], i);
        const char *cmds[4][6] = {
            {"HSET", k[0], "f", m, "g", "v"},
            {"RPUSH", k[1], m, "b", "c", "d"},
            {"SADD", k[2], m, "x", "y", "z"},
            {"ZADD", k[3], "1.5", m, "-2", "w"},
        };
        for (int t = 0; t < 4; t++)
            ck_assert_int_eq(resp_client_send(&mc, 6, cmds[t], NULL), 0);
        if (i % 256 == 255 || i == mixed - 1) { /* drain the replies */
            size_t pending = mc.pending;
            for (size_t r = 0; r < pending; r++) {
                resp_value v;
                ck_assert_int_eq(resp_client_reply(&mc, &v), 0);
                ck_assert_int_ne(v.type, RESP_ERROR);
                resp_value_clear(&v);
            }
        }
    }
    OK("SELECT", "0");
    repl_options o = link_options();
    link_start(&o, "hamt");
    caught_up("after the full sync");
    repl_status s = status();
    ck_assert_uint_eq(s.full_syncs, 1);
    ck_assert_uint_eq(s.partial_syncs, 0);
    ck_assert(s.loaded);
    ck_assert(dataset_loaded(ds));
    ck_assert_uint_eq(s.snapshot_keys, (uint64_t)(n + 4 * mixed));
    ck_assert_uint_gt(s.snapshot_bytes, (uint64_t)n * POPULATE_SIZE);
    ck_assert_uint_eq(replica_dbsize(0), (size_t)n);
    ck_assert_uint_eq(replica_dbsize(5), (size_t)(4 * mixed));
    ck_assert_int_eq(master_stat("sync_full"), 1);
    /* the stream after it, in the big database and the mixed one */
    OK("DEL", "key:0", "key:1");
    OK("SET", "key:2", "changed");
    OK("SELECT", "5");
    OK("RPUSH", "l:0", "tail");
    OK("SELECT", "0");
    caught_up("after the stream");
    /* every key, value by value (a SAVE loaded and compared whole would
     * take longer than the sync itself) */
    check_million(n, mixed, 3);
    ck_assert_uint_eq(replica_dbsize(0), (size_t)n - 2);
    bool live;
    ck_assert_int_eq(replica_expiry("key:0", &live), -2);
    ck_assert_int_eq(replica_expiry("key:2", &live), VALUE_NO_EXPIRY);
    s = status();
    ck_assert_uint_eq(s.full_syncs, 1);
    ck_assert_uint_eq(s.commands_refused, 0);
    teardown();
}
END_TEST

/* ---- 2. a 100 MB value ---------------------------------------------------------------------- */

/* n bytes of noise: LZF finds nothing to compress, so the snapshot is as
 * big as the value. */
static char *noise(size_t n, uint64_t seed)
{
    char *p = malloc(n);
    ck_assert_ptr_nonnull(p);
    rng_state = seed | 1;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t r = rnd();
        memcpy(p + i, &r, 8);
    }
    for (size_t i = n & ~(size_t)7; i < n; i++)
        p[i] = (char)rnd();
    return p;
}

START_TEST(hundred_mb_value)
{
    /* a disk-based sync: the `$<len>` form with a large length */
    static const char *const args[] = {"--repl-diskless-sync", "no", NULL};
    master_start(args);
    const size_t mib = 1u << 20;
    size_t mbs = (size_t)test_scale(100, 2);
    char *chunk = noise(mib, 0xb16);
    for (size_t i = 0; i < mbs; i++) {
        chunk[0] = (char)i; /* every MiB differs */
        const char *argv[] = {"APPEND", "big", chunk};
        size_t lens[] = {6, 3, mib};
        ck_assert_int_eq(callv(&mc, 3, argv, lens), RESP_INTEGER);
    }
    free(chunk);
    OK("SET", "small", "v");
    repl_options o = link_options();
    link_start(&o, "cow");
    caught_up("after the full sync of a big value");
    repl_status s = status();
    ck_assert_uint_eq(s.full_syncs, 1);
    ck_assert_uint_ge(s.snapshot_bytes, (uint64_t)(mbs * mib));
    ck_assert_uint_eq(s.snapshot_keys, 2);
    dataset_reader *dr = dataset_reader_open(ds);
    keyspace_reader *kr = dataset_read_begin(dr);
    const value *v = replica_get(kr, 0, "big");
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(value_str_len(v), mbs * mib);
    dataset_read_end(dr);
    dataset_reader_close(dr);
    /* a big command in the stream: one SET of a quarter of it */
    size_t big2 = mbs / 4 > 0 ? mbs / 4 * mib : mib;
    char *b = noise(big2, 0xb17);
    const char *argv[] = {"SET", "big2", b};
    size_t lens[] = {3, 4, big2};
    ck_assert_int_eq(callv(&mc, 3, argv, lens), RESP_SIMPLE);
    free(b);
    OK("SETRANGE", "big", "12345", "in the middle");
    compare_with_master("a 100 MB value and a big SET");
    ck_assert_uint_eq(status().full_syncs, 1);
    teardown();
}
END_TEST

/* ---- 3. every command family, snapshot and stream ------------------------------------------ */

/* Key names of one round: "<name>:<round>", from a ring long enough for
 * every name one round holds on to. */
static int key_round;
static const char *K(const char *name)
{
    static char ring[256][48];
    static unsigned next;
    char *k = ring[next++ % 256];
    snprintf(k, sizeof ring[0], "%s:%d", name, key_round);
    return k;
}

/* A served blocking pop: b blocks, the master's own client pushes, b is
 * served; the master propagates the push, then the pop in its
 * non-blocking form (LPOP, LMOVE, ZPOPMIN). */
static void served_blocking_pop(resp_client *b, const char *blocking,
                                const char *key, const char *dst)
{
    const char *argv[6];
    size_t argc = 0;
    argv[argc++] = blocking;
    argv[argc++] = key;
    if (dst != NULL) {
        argv[argc++] = dst;
        argv[argc++] = "LEFT";
        argv[argc++] = "RIGHT";
    }
    argv[argc++] = "0";
    ck_assert_int_eq(resp_client_send(b, argc, argv, NULL), 0);
    /* resp_client_reply() flushes and waits; flush by hand instead: the
     * reply comes only after the push */
    ck_assert_int_eq((long)write(b->fd, b->out.data, b->out.len),
                     (long)b->out.len);
    b->out.len = 0;
    for (int i = 0; i < 2000; i++) {
        char clients[64];
        info_field("clients", "blocked_clients", clients, sizeof clients);
        if (strcmp(clients, "1") == 0)
            break;
        nap_ms(2);
    }
    if (blocking[1] == 'Z')
        OK("ZADD", key, "1", "m1", "2", "m2");
    else
        OK("RPUSH", key, "v1", "v2");
    resp_value v;
    ck_assert_int_eq(resp_client_reply(b, &v), 0);
    ck_assert_int_ne(v.type, RESP_ERROR);
    resp_value_clear(&v);
}

/* One round: every table of the applier (cmd.h's cmd_*_table), client
 * forms the master rewrites before it propagates them (SET EX, EXPIRE,
 * INCRBYFLOAT, SPOP, BLPOP, GEOADD, XADD *, RESTORE with a TTL, EVAL,
 * FCALL), in database db. */
static void every_family(resp_client *b, int round, unsigned db)
{
    key_round = round;
    char dbs[8], at_s[32], at_ms[32];
    snprintf(dbs, sizeof dbs, "%u", db);
    int64_t now = value_now_ms();
    snprintf(at_s, sizeof at_s, "%lld", (long long)(now / 1000 + 7200));
    snprintf(at_ms, sizeof at_ms, "%lld", (long long)(now + 7300000));
    OK("SELECT", dbs);
    /* strings */
    const char *s = K("s");
    OK("SET", s, "hello");
    OK("SET", K("s-ex"), "v", "EX", "3600");
    OK("SETEX", K("s-setex"), "3600", "v");
    OK("PSETEX", K("s-psetex"), "3600000", "v");
    OK("SETNX", K("s-nx"), "v");
    OK("GETSET", s, "hello world");
    OK("MSET", K("m1"), "a", K("m2"), "b");
    OK("MSETNX", K("mn1"), "a", K("mn2"), "b");
    OK("APPEND", s, "!");
    OK("SETRANGE", s, "2", "XY");
    OK("INCR", K("n"));
    OK("INCRBY", K("n"), "41");
    OK("DECR", K("n"));
    OK("DECRBY", K("n"), "3");
    OK("INCRBYFLOAT", K("f"), "1.5");
    OK("INCRBYFLOAT", K("f"), "-0.25");
    OK("GETDEL", K("m2"));
    OK("GETEX", K("s-ex"), "PERSIST");
    OK("GETEX", K("s-nx"), "EX", "99");
    /* bits */
    OK("SETBIT", K("b"), "77", "1");
    OK("BITOP", "OR", K("b-or"), K("b"), s);
    OK("BITFIELD", K("bf"), "SET", "u8", "0", "200", "INCRBY", "i5", "8", "3");
    /* hyperloglogs */
    OK("PFADD", K("hll"), "a", "b", "c");
    OK("PFADD", K("hll2"), "c", "d");
    OK("PFMERGE", K("hll-m"), K("hll"), K("hll2"));
    OK("PFCOUNT", K("hll-m"));
    /* keys */
    OK("COPY", s, K("s-copy"));
    OK("RENAME", K("s-copy"), K("s-ren"));
    OK("RENAMENX", K("s-ren"), K("s-rnx"));
    OK("MOVE", K("s-rnx"), "15");
    OK("COPY", s, K("s-db2"), "DB", "14", "REPLACE");
    OK("DEL", K("m1"));
    OK("UNLINK", K("mn2"));
    /* expiries */
    OK("EXPIRE", K("n"), "7200");
    OK("PEXPIRE", K("f"), "7200000");
    OK("EXPIREAT", K("b"), at_s);
    OK("PEXPIREAT", K("hll"), at_ms);
    OK("PERSIST", K("f"));
    /* DUMP on the master, RESTORE with a TTL (propagated ABSTTL) */
    resp_value d;
    ck_assert_int_eq(resp_client_calll(&mc, &d, "DUMP", s, NULL), 0);
    ck_assert_int_eq(d.type, RESP_BULK);
    {
        const char *argv[] = {"RESTORE", K("r"), "0", d.str, "REPLACE"};
        size_t lens[] = {7, strlen(argv[1]), 1, d.len, 7};
        ck_assert_int_eq(callv(&mc, 5, argv, lens), RESP_SIMPLE);
        const char *argv2[] = {"RESTORE", K("r-ttl"), "100000", d.str};
        size_t lens2[] = {7, strlen(argv2[1]), 6, d.len};
        ck_assert_int_eq(callv(&mc, 4, argv2, lens2), RESP_SIMPLE);
    }
    resp_value_clear(&d);
    /* lists, the blocking forms served at once and one that waits */
    const char *l = K("l");
    OK("LPUSH", l, "a", "b", "c");
    OK("RPUSH", l, "d", "e", "f", "g");
    OK("LPUSHX", l, "x");
    OK("RPUSHX", l, "y");
    OK("LINSERT", l, "BEFORE", "b", "X");
    OK("LSET", l, "0", "Z");
    OK("LREM", l, "1", "X");
    OK("LTRIM", l, "0", "20");
    OK("LPOP", l);
    OK("RPOP", l, "1");
    OK("RPOPLPUSH", l, K("l2"));
    OK("LMOVE", l, K("l2"), "LEFT", "RIGHT");
    OK("LMPOP", "1", K("l2"), "LEFT", "COUNT", "1");
    OK("BLPOP", l, "0");
    OK("BRPOP", l, "0");
    OK("BLMOVE", l, K("l2"), "RIGHT", "LEFT", "0");
    OK("BRPOPLPUSH", K("l2"), l, "0");
    OK("BLMPOP", "0", "1", l, "RIGHT");
    OK("SORT", l, "ALPHA", "STORE", K("sorted"));
    OK("RPUSH", K("nums"), "3", "10", "2");
    OK("SORT", K("nums"), "DESC", "LIMIT", "0", "2", "STORE", K("sorted2"));
    if (db == 0) { /* the blocked client reads database 0 */
        served_blocking_pop(b, "BLPOP", K("bl"), NULL);
        served_blocking_pop(b, "BLMOVE", K("bm"), K("bm-dst"));
        served_blocking_pop(b, "BZPOPMIN", K("bz"), NULL);
    }
    /* hashes */
    const char *h = K("h");
    OK("HSET", h, "f", "v", "g", "w", "cnt", "5");
    OK("HMSET", h, "i", "1", "j", "2");
    OK("HSETNX", h, "k", "3");
    OK("HDEL", h, "g");
    OK("HINCRBY", h, "cnt", "-7");
    OK("HINCRBYFLOAT", h, "fl", "2.5");
    /* sets */
    const char *st = K("S");
    OK("SADD", st, "a", "b", "c", "d", "e", "1", "2");
    OK("SREM", st, "e");
    OK("SMOVE", st, K("S2"), "a");
    OK("SADD", K("S2"), "b", "q");
    OK("SPOP", st);
    OK("SPOP", st, "2");
    OK("SINTERSTORE", K("S-i"), st, K("S2"));
    OK("SUNIONSTORE", K("S-u"), st, K("S2"));
    OK("SDIFFSTORE", K("S-d"), st, K("S2"));
    OK("SADD", K("S-all"), "p");
    OK("SPOP", K("S-all"), "5"); /* all of it: propagated as DEL */
    /* sorted sets */
    const char *z = K("z");
    OK("ZADD", z, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f",
       "7", "g", "8", "h");
    OK("ZADD", z, "XX", "CH", "INCR", "0.5", "a");
    OK("ZINCRBY", z, "2.5", "b");
    OK("ZREM", z, "c");
    OK("ZREMRANGEBYSCORE", z, "4", "4");
    OK("ZREMRANGEBYRANK", z, "0", "0");
    OK("ZADD", K("zl"), "0", "a", "0", "b", "0", "c", "0", "d");
    OK("ZREMRANGEBYLEX", K("zl"), "[a", "(c");
    OK("ZPOPMIN", z);
    OK("ZPOPMAX", z, "1");
    OK("ZMPOP", "1", z, "MIN");
    OK("BZPOPMIN", z, "0");
    OK("BZPOPMAX", z, "0");
    OK("BZMPOP", "0", "1", K("zl"), "MAX", "COUNT", "1");
    OK("ZADD", K("z2"), "10", "x", "20", "a", "30", "y");
    OK("ZUNIONSTORE", K("z-u"), "2", z, K("z2"), "WEIGHTS", "1", "2");
    OK("ZINTERSTORE", K("z-i"), "2", z, K("z2"), "AGGREGATE", "MAX");
    OK("ZDIFFSTORE", K("z-d"), "2", K("z2"), z);
    OK("ZRANGESTORE", K("z-r"), K("z2"), "0", "-1", "REV");
    /* geo (GEOADD propagates as ZADD with 52-bit scores) */
    const char *g = K("g");
    OK("GEOADD", g, "13.361389", "38.115556", "Palermo", "15.087269",
       "37.502669", "Catania");
    OK("GEORADIUS", g, "15", "37", "200", "km", "STORE", K("g-r"));
    OK("GEORADIUSBYMEMBER", g, "Palermo", "200", "km", "STOREDIST",
       K("g-rd"));
    OK("GEOSEARCHSTORE", K("g-s"), g, "FROMLONLAT", "15", "37", "BYRADIUS",
       "200", "km", "ASC");
    /* streams: XADD * (propagated with the ID it made), MAXLEN ~,
     * groups; XREADGROUP with NOACK only (see tests/ch09_streams.c) */
    const char *x = K("x");
    OK("XADD", x, "*", "f", "v1");
    char id1[64];
    snprintf(id1, sizeof id1, "%.63s", last_reply);
    OK("XADD", x, "MAXLEN", "~", "100", "*", "f", "v2");
    OK("XADD", x, "*", "f", "v3", "g", "w");
    OK("XGROUP", "CREATE", x, "grp", "0");
    OK("XGROUP", "CREATE", K("x-new"), "grp", "$", "MKSTREAM");
    OK("XREADGROUP", "GROUP", "grp", "alice", "COUNT", "2", "NOACK",
       "STREAMS", x, ">");
    OK("XGROUP", "CREATECONSUMER", x, "grp", "bob");
    OK("XGROUP", "DELCONSUMER", x, "grp", "alice");
    OK("XDEL", x, id1);
    OK("XTRIM", x, "MAXLEN", "=", "5");
    OK("XGROUP", "SETID", x, "grp", "$");
    OK("XSETID", K("x-new"), "9999999999999-5");
    /* databases */
    OK("SET", K("in-13"), "v");
    OK("SWAPDB", dbs, "13");
    OK("SELECT", "12");
    OK("SET", K("doomed"), "v");
    OK("FLUSHDB");
    OK("SELECT", dbs);
    /* server: PUBLISH, a script's effects, a function */
    OK("PUBLISH", "chan", s);
    OK("EVAL", "redis.call('SET', KEYS[1], ARGV[1]) "
               "redis.call('INCRBY', KEYS[2], 2) return 1",
       "2", K("ev"), K("ev-n"), "from a script");
    OK("FUNCTION", "LOAD", "REPLACE",
       "#!lua name=ch10lib\n"
       "redis.register_function('ch10set', function(keys, args) "
       "redis.call('SET', keys[1], args[1]) "
       "return redis.call('RPUSH', keys[2], args[1]) end)");
    OK("FCALL", "ch10set", "2", K("fc"), K("fc-l"), "from a function");
    /* a transaction, with SELECT inside */
    OK("MULTI");
    OK("SET", K("tx"), "1");
    OK("INCR", K("tx"));
    OK("SELECT", "11");
    OK("RPUSH", K("tx-l"), "a");
    OK("SELECT", dbs);
    OK("EXEC");
}

START_TEST(every_family_snapshot_and_stream)
{
    static const char *const variants[] = {"ptrie", "hamt"};
    master_start(NULL);
    resp_client b;
    ck_assert_int_eq(resp_client_open(&b, master.port), 0);
    int rounds = (int)test_scale(8, 1);
    /* in the snapshot: every type the families make, in four databases */
    for (int r = 0; r < rounds; r++)
        every_family(&b, r, (unsigned)r % 4);
    repl_options o = link_options();
    link_start(&o, variants[_i]);
    compare_with_master("every family, in the snapshot");
    /* in the stream */
    unsigned long pub0 = atomic_load(&publishes);
    for (int r = rounds; r < 2 * rounds; r++)
        every_family(&b, r, (unsigned)r % 4);
    compare_with_master("every family, in the stream");
    repl_status s = status();
    char d[3000];
    /* a refused command would have been repaired by a full resync (the
     * default policy), hiding it from the comparison */
    ck_assert_msg(s.full_syncs == 1 && s.commands_refused == 0,
                  "%s", describe(d, sizeof d));
    ck_assert_uint_ge(s.commands_applied, (uint64_t)rounds * 100);
    ck_assert_uint_eq(atomic_load(&publishes) - pub0, (unsigned long)rounds);
    /* the families the status names: at least the data types' */
    ck_assert_msg(s.nfamilies >= 6 && s.nfamilies <= REPL_MAX_FAMILIES,
                  "%zu families", s.nfamilies);
    uint64_t sum = 0;
    for (size_t i = 0; i < s.nfamilies; i++) {
        ck_assert_ptr_nonnull(s.families[i].family);
        ck_assert_uint_eq(s.families[i].refused, 0);
        sum += s.families[i].applied;
    }
    ck_assert_uint_gt(sum, 0);
    resp_client_close(&b);
    teardown();
}
END_TEST

/* ---- 4. expiry ------------------------------------------------------------------------------ */

/* The expiry of one key on the replica: -2 when missing, else expire_ms;
 * live receives whether a client of the replica would see it. */
static int64_t replica_expiry(const char *key, bool *live)
{
    dataset_reader *dr = dataset_reader_open(ds);
    ck_assert_ptr_nonnull(dr);
    keyspace_reader *kr = dataset_read_begin(dr);
    const value *v = replica_get(kr, 0, key);
    int64_t e = v != NULL ? v->expire_ms : -2;
    if (live != NULL)
        *live = keyspace_get_live(kr, 0, key, strlen(key),
                                  value_now_ms()) != NULL;
    dataset_read_end(dr);
    dataset_reader_close(dr);
    return e;
}

/* The master's PEXPIRETIME of a live key. */
static int64_t master_pexpiretime(const char *key)
{
    ck_assert_int_eq(call(&mc, "PEXPIRETIME", key, NULL), RESP_INTEGER);
    return strtoll(last_reply, NULL, 10);
}

START_TEST(ttl_semantics)
{
    master_start(NULL);
    /* The master deletes expired keys only when they are touched, so the
     * test decides when each DEL happens. */
    OK("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    int64_t now = value_now_ms();
    char soon[32], later[32], later2[32];
    snprintf(soon, sizeof soon, "%lld", (long long)(now + 150));
    snprintf(later, sizeof later, "%lld", (long long)(now + 3600123));
    snprintf(later2, sizeof later2, "%lld", (long long)(now + 7200456));
    OK("SET", "gone", "v", "PXAT", soon);
    OK("SET", "kept", "v");
    OK("PEXPIREAT", "kept", later);
    OK("SET", "kept-ex", "v", "EX", "3600");
    int64_t kept_ex = master_pexpiretime("kept-ex");
    while (value_now_ms() <= now + 200)
        nap_ms(20);
    /* the snapshot carries the expired key (a master saves it) and the
     * replica keeps it, with its time, until the master deletes it */
    repl_options o = link_options();
    link_start(&o, "ptrie");
    caught_up("after the full sync");
    bool live = true;
    ck_assert_int_eq(replica_expiry("gone", &live), now + 150);
    ck_assert(!live);
    ck_assert_int_eq(replica_expiry("kept", &live), now + 3600123);
    ck_assert(live);
    ck_assert_int_eq(replica_expiry("kept-ex", NULL), kept_ex);
    /* in the stream: every form arrives as an absolute time */
    OK("PEXPIREAT", "kept", later2);
    OK("SET", "s-ex", "v", "EX", "100"); /* SET ... PXAT */
    OK("SET", "e", "v");
    OK("EXPIRE", "e", "500"); /* PEXPIREAT */
    OK("SET", "gx", "v");
    OK("GETEX", "gx", "PX", "99000"); /* PEXPIREAT */
    OK("PERSIST", "kept-ex");
    OK("SET", "neg", "v");
    OK("EXPIRE", "neg", "-1"); /* a time in the past: DEL */
    OK("SET", "short", "v", "PX", "100");
    caught_up("after the expiry commands");
    ck_assert_int_eq(replica_expiry("kept", NULL), now + 7200456);
    ck_assert_int_eq(replica_expiry("s-ex", NULL), master_pexpiretime("s-ex"));
    ck_assert_int_eq(replica_expiry("e", NULL), master_pexpiretime("e"));
    ck_assert_int_eq(replica_expiry("gx", NULL), master_pexpiretime("gx"));
    ck_assert_int_eq(replica_expiry("kept-ex", NULL), VALUE_NO_EXPIRY);
    ck_assert_int_eq(replica_expiry("neg", NULL), -2);
    int64_t short_at = replica_expiry("short", NULL);
    ck_assert_int_gt(short_at, now);
    /* expired on the master: the replica keeps it, hidden from its
     * clients, until the master's DEL arrives */
    while (value_now_ms() <= short_at + 50)
        nap_ms(20);
    caught_up("after short expired");
    ck_assert_int_eq(replica_expiry("short", &live), short_at);
    ck_assert(!live);
    long long expired0 = master_stat("expired_keys");
    ck_assert_int_eq(call(&mc, "GET", "short", NULL), RESP_NULL);
    ck_assert_int_eq(call(&mc, "EXISTS", "gone", NULL), RESP_INTEGER);
    ck_assert_str_eq(last_reply, "0");
    ck_assert_int_eq(master_stat("expired_keys"), expired0 + 2);
    caught_up("after the master's DELs");
    ck_assert_int_eq(replica_expiry("short", NULL), -2);
    ck_assert_int_eq(replica_expiry("gone", NULL), -2);
    /* the master's active expiry cycle: its DEL too */
    OK("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    OK("SET", "active", "v", "PX", "30");
    for (long w = 0; master_stat("expired_keys") < expired0 + 3; w += 20) {
        ck_assert_msg(w < WAIT_MS, "the master never expired \"active\"");
        nap_ms(20);
    }
    caught_up("after the active expiry");
    ck_assert_int_eq(replica_expiry("active", NULL), -2);
    compare_with_master("expiry");
    teardown();
}
END_TEST

/* ---- 5. a master that restarts -------------------------------------------------------------- */

/* Whether the master's log (both lives of it) has a line containing
 * needle. */
static bool master_log_has(const char *needle)
{
    char path[400], line[1024];
    snprintf(path, sizeof path, "%s/redis.log", master.dir);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s", path);
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

static void master_restart(redis_down_how how)
{
    master_disconnect();
    ck_assert_int_eq(redis_server_down(&master, how), 0);
    char err[1024];
    ck_assert_msg(redis_server_restart(&master, master_args, err,
                                       sizeof err) == 0, "%s", err);
    master_connect();
}

static void some_writes(const char *prefix, int n)
{
    for (int i = 0; i < n; i++) {
        char k[48], v[32];
        snprintf(k, sizeof k, "%s:%d", prefix, i);
        snprintf(v, sizeof v, "%d", i * 7);
        OK("SET", k, v);
        OK("RPUSH", "list", k);
    }
}

START_TEST(master_restart_partial_with_new_id)
{
    master_start(NULL);
    some_writes("before", 50);
    repl_options o = link_options();
    link_start(&o, "cow");
    caught_up("after the first sync");
    char id1[64], id2[64], rid2[64];
    info_field("replication", "master_replid", id1, sizeof id1);
    repl_status s = status();
    ck_assert_str_eq(s.replid, id1);
    OK("SELECT", "3");
    some_writes("stream", 50);
    caught_up("before the restart");
    /* SHUTDOWN SAVE waits for the replica to ACK everything (it sends
     * GETACK), then saves the dump with the replication ID and offset */
    master_restart(REDIS_DOWN_SAVE);
    /* the master found the replica's ACK at its own offset (redis/redis
     * src/server.c finishShutdown()) */
    ck_assert(master_log_has("1 of 1 replicas are in sync when shutting "
                             "down"));
    info_field("replication", "master_replid", id2, sizeof id2);
    info_field("replication", "master_replid2", rid2, sizeof rid2);
    ck_assert_str_ne(id2, id1);
    ck_assert_str_eq(rid2, id1); /* the old ID, for PSYNC <old id> */
    WAIT_FOR(st.partial_syncs >= 1 && st.state == REPL_STREAMING,
             "the partial resync after the restart");
    s = status();
    ck_assert_uint_eq(s.partial_syncs, 1);
    ck_assert_uint_eq(s.full_syncs, 1);
    ck_assert_str_eq(s.replid, id2); /* +CONTINUE <new id> adopted */
    ck_assert_int_eq(master_stat("sync_partial_ok"), 1);
    ck_assert_int_eq(master_stat("sync_full"), 0);
    /* the new history goes on from the offset: both at the same place */
    some_writes("after", 50);
    OK("SELECT", "0");
    OK("DEL", "before:3");
    compare_with_master("after the restart");
    /* and the next partial resync uses the new ID */
    OK("CLIENT", "KILL", "TYPE", "replica");
    WAIT_FOR(st.partial_syncs >= 2 && st.state == REPL_STREAMING,
             "the partial resync with the new ID");
    ck_assert_int_eq(master_stat("sync_partial_ok"), 2);
    ck_assert_uint_eq(status().full_syncs, 1);
    teardown();
}
END_TEST

START_TEST(diverged_history_full_resync)
{
    master_start(NULL);
    some_writes("kept", 40);
    repl_options o = link_options();
    link_start(&o, "cow");
    caught_up("after the first sync");
    char id1[64], rid2[64];
    info_field("replication", "master_replid", id1, sizeof id1);
    /* the dump the master will come back from... */
    master_save("the dump to come back from");
    /* ...then writes the replica gets and the master loses in a crash */
    some_writes("lost", 40);
    caught_up("before the crash");
    uint64_t replica_off = status().offset;
    master_restart(REDIS_DOWN_KILL);
    info_field("replication", "master_replid2", rid2, sizeof rid2);
    ck_assert_str_eq(rid2, id1);
    ck_assert_int_lt(master_offset(), (long long)replica_off);
    /* PSYNC <id1> <replica_off + 1>: the ID is known, the offset is past
     * where the master's history with that ID ends */
    WAIT_FOR(st.full_syncs >= 2 && st.state == REPL_STREAMING,
             "the full resync after the crash");
    repl_status s = status();
    ck_assert_uint_eq(s.partial_syncs, 0);
    ck_assert_int_eq(master_stat("sync_partial_err"), 1);
    ck_assert_int_eq(master_stat("sync_full"), 1);
    dataset_reader *dr = dataset_reader_open(ds);
    keyspace_reader *kr = dataset_read_begin(dr);
    ck_assert_ptr_null(replica_get(kr, 0, "lost:0"));
    ck_assert_ptr_nonnull(replica_get(kr, 0, "kept:0"));
    dataset_read_end(dr);
    dataset_reader_close(dr);
    some_writes("new", 10);
    compare_with_master("after the diverged history");
    teardown();
}
END_TEST

/* ---- 6. a backlog too small for the outage -------------------------------------------------- */

/* Kill the replica's connection and, in the same transaction (so before
 * the link can come back), write `pad` values of 1 KiB in database db. */
static void outage(long pad, unsigned db)
{
    static char kb[1024];
    memset(kb, 'p', sizeof kb);
    char dbs[8];
    snprintf(dbs, sizeof dbs, "%u", db);
    OK("MULTI");
    OK("CLIENT", "KILL", "TYPE", "replica");
    OK("SELECT", dbs);
    for (long i = 0; i < pad; i++) {
        char k[32];
        snprintf(k, sizeof k, "pad:%ld", i);
        const char *argv[] = {"SET", k, kb};
        size_t lens[] = {3, strlen(k), sizeof kb};
        ck_assert_int_eq(resp_client_send(&mc, 3, argv, lens), 0);
    }
    for (long i = 0; i < pad; i++) {
        resp_value v;
        ck_assert_int_eq(resp_client_reply(&mc, &v), 0);
        ck_assert_int_eq(v.type, RESP_SIMPLE); /* QUEUED */
        resp_value_clear(&v);
    }
    OK("SELECT", "0");
    resp_value v;
    ck_assert_int_eq(resp_client_calll(&mc, &v, "EXEC", NULL), 0);
    ck_assert_int_eq(v.type, RESP_ARRAY);
    ck_assert_uint_ge(v.len, 1);
    /* the replica was connected when the transaction ran */
    ck_assert_int_eq(v.elems[0].type, RESP_INTEGER);
    ck_assert_int_eq(v.elems[0].integer, 1);
    resp_value_clear(&v);
}

START_TEST(backlog_too_small_full_resync)
{
    static const char *const args[] = {"--repl-backlog-size", "16kb", NULL};
    master_start(args);
    some_writes("a", 20);
    repl_options o = link_options();
    link_start(&o, "ptrie");
    caught_up("after the first sync");
    /* an outage the backlog covers: partial */
    outage(2, 1);
    WAIT_FOR(st.partial_syncs >= 1 && st.state == REPL_STREAMING,
             "the partial resync");
    caught_up("after the partial resync");
    ck_assert_uint_eq(status().full_syncs, 1);
    ck_assert_int_eq(master_stat("sync_partial_ok"), 1);
    /* one it does not: 16 KiB of backlog, far more written */
    outage(test_scale(1024, 256), 2);
    WAIT_FOR(st.full_syncs >= 2 && st.state == REPL_STREAMING,
             "the full resync");
    repl_status s = status();
    ck_assert_uint_eq(s.partial_syncs, 1);
    ck_assert_int_eq(master_stat("sync_full"), 2);
    ck_assert_int_eq(master_stat("sync_partial_err"), 1);
    some_writes("b", 20);
    compare_with_master("after the full resync");
    teardown();
}
END_TEST

/* ---- 7. readers ----------------------------------------------------------------------------- */

/* A reader thread checks, in every section, that keys <prefix>:0..n-1 of
 * database 0 hold one and the same value, and (when dbsize is set) that
 * database 0 holds exactly n keys, or nothing at all before the first
 * sync.  Values are letters that only grow ("A", "B", ...): a reader may
 * never see an older one after a newer one. */
typedef struct reader_ctx {
    pthread_t thread;
    int n;
    const char *prefix;
    bool dbsize;
    atomic_bool stop;  /* set by the test */
    atomic_int bad;    /* 1 once a check failed (why says which) */
    atomic_long sections;
    atomic_int last;   /* the letter of the last section, 0 before */
    char why[256];     /* written before bad is released */
} reader_ctx;

static int value_letter(const value *v)
{
    if (v == NULL || v->type != VALUE_STRING)
        return -1;
    char c[8];
    size_t n = value_str_read(v, 0, c, sizeof c);
    return n == 1 ? c[0] : -1;
}

static void *reader_main(void *arg)
{
    reader_ctx *c = arg;
    dataset_reader *dr = dataset_reader_open(ds);
    int last = 0;
    uint64_t last_gen = 0;
    if (dr == NULL) {
        snprintf(c->why, sizeof c->why, "dataset_reader_open failed");
        atomic_store_explicit(&c->bad, 1, memory_order_release);
        return NULL;
    }
    /* acquire: the test's stop store comes after everything it wants the
     * reader to have seen; relaxed would also end the loop, this is
     * simply the clearer pairing */
    while (!atomic_load_explicit(&c->stop, memory_order_acquire)) {
        keyspace_reader *kr = dataset_read_begin(dr);
        uint64_t gen = dataset_reader_generation(dr);
        size_t size = keyspace_dbsize(kr, 0);
        int first = 0, bad_i = -1, bad_letter = 0;
        for (int i = 0; i < c->n; i++) {
            char k[48];
            snprintf(k, sizeof k, "%s:%d", c->prefix, i);
            int l = value_letter(keyspace_get(kr, 0, k, strlen(k)));
            if (i == 0)
                first = l;
            else if (l != first) {
                bad_i = i;
                bad_letter = l;
                break;
            }
        }
        dataset_read_end(dr);
        const char *problem = NULL;
        char detail[160] = "";
        if (bad_i >= 0) {
            problem = "a section saw two values";
            snprintf(detail, sizeof detail, "%s:0 is %c, %s:%d is %c",
                     c->prefix, first > 0 ? first : '-', c->prefix, bad_i,
                     bad_letter > 0 ? bad_letter : '-');
        } else if (gen < last_gen) {
            problem = "the generation went back";
        } else if (gen == 0 && first != -1) {
            problem = "data before the first sync";
        } else if (gen > 0 && first == -1) {
            problem = "a loaded generation without the keys";
        } else if (first != -1 && first < last) {
            problem = "an older value after a newer one";
            snprintf(detail, sizeof detail, "%c after %c", first, last);
        } else if (c->dbsize && gen > 0 && size != (size_t)c->n) {
            problem = "dbsize is not the key count";
            snprintf(detail, sizeof detail, "%zu keys, %d expected", size,
                     c->n);
        }
        if (problem != NULL) {
            snprintf(c->why, sizeof c->why, "%s (generation %" PRIu64
                     "): %s", problem, gen, detail);
            /* release: why is written before bad says to read it */
            atomic_store_explicit(&c->bad, 1, memory_order_release);
            break;
        }
        if (first > 0)
            last = first;
        last_gen = gen;
        /* relaxed: progress counters the test only polls; the letter's
         * value, not its order with other memory, is what it reads */
        atomic_fetch_add_explicit(&c->sections, 1, memory_order_relaxed);
        atomic_store_explicit(&c->last, last, memory_order_relaxed);
        if (atomic_load_explicit(&c->sections, memory_order_relaxed) % 64 == 0)
            dataset_reader_quiesce(dr);
        /* let the link run: Valgrind runs one thread at a time, and three
         * readers that never yield would leave it a sliver of the CPU */
        sched_yield();
    }
    dataset_reader_close(dr);
    return NULL;
}

#define NREADERS 3
static reader_ctx readers[NREADERS];
static bool readers_running;

/* Stop and join the readers, if running; checks nothing. */
static void readers_join(void)
{
    if (!readers_running)
        return;
    for (int i = 0; i < NREADERS; i++)
        atomic_store_explicit(&readers[i].stop, true, memory_order_release);
    for (int i = 0; i < NREADERS; i++)
        pthread_join(readers[i].thread, NULL);
    readers_running = false;
}

static void readers_start(int n, const char *prefix, bool dbsize)
{
    for (int i = 0; i < NREADERS; i++) {
        reader_ctx *c = &readers[i];
        c->n = n;
        c->prefix = prefix;
        c->dbsize = dbsize;
        c->why[0] = '\0';
        atomic_init(&c->stop, false);
        atomic_init(&c->bad, 0);
        atomic_init(&c->sections, 0);
        atomic_init(&c->last, 0);
        ck_assert_int_eq(pthread_create(&c->thread, NULL, reader_main, c), 0);
    }
    readers_running = true;
}

/* Wait until every reader has read letter `want` (or failed). */
static void readers_see(int want)
{
    for (long w = 0; w < WAIT_MS; w += 5) {
        int seen = 0;
        for (int i = 0; i < NREADERS; i++)
            seen += atomic_load_explicit(&readers[i].bad,
                                         memory_order_acquire) ||
                    atomic_load_explicit(&readers[i].last,
                                         memory_order_relaxed) == want;
        if (seen == NREADERS)
            return;
        nap_ms(5);
    }
}

/* Stop and join the readers; then fail if any check failed. */
static void readers_stop(void)
{
    readers_join();
    for (int i = 0; i < NREADERS; i++) {
        ck_assert_msg(atomic_load_explicit(&readers[i].bad,
                                           memory_order_acquire) == 0,
                      "reader %d: %s", i, readers[i].why);
        ck_assert_int_gt(atomic_load(&readers[i].sections), 0);
    }
}

/* Set <prefix>:0..n-1 to letter: as one MSET (atomic in itself) or as a
 * transaction of SETs (atomic only if the link publishes it whole). */
static void set_all(const char *prefix, int n, char letter, bool multi)
{
    char val[2] = {letter, '\0'};
    size_t argc = 0;
    const char **argv = malloc(sizeof *argv * (size_t)(2 * n + 1));
    char (*keys)[48] = malloc(sizeof *keys * (size_t)n);
    ck_assert(argv != NULL && keys != NULL);
    if (multi)
        ck_assert_int_eq(resp_client_send(&mc, 1,
                                          (const char *[]){"MULTI"}, NULL), 0);
    else
        argv[argc++] = "MSET";
    for (int i = 0; i < n; i++) {
        snprintf(keys[i], sizeof keys[i], "%s:%d", prefix, i);
        if (multi) {
            const char *set[] = {"SET", keys[i], val};
            ck_assert_int_eq(resp_client_send(&mc, 3, set, NULL), 0);
        } else {
            argv[argc++] = keys[i];
            argv[argc++] = val;
        }
    }
    if (multi)
        ck_assert_int_eq(resp_client_send(&mc, 1,
                                          (const char *[]){"EXEC"}, NULL), 0);
    else
        ck_assert_int_eq(resp_client_send(&mc, argc, argv, NULL), 0);
    size_t replies = mc.pending;
    for (size_t i = 0; i < replies; i++) {
        resp_value v;
        ck_assert_int_eq(resp_client_reply(&mc, &v), 0);
        ck_assert_int_ne(v.type, RESP_ERROR);
        resp_value_clear(&v);
    }
    free(argv);
    free(keys);
}

START_TEST(multi_exec_seen_whole)
{
    master_start(NULL);
    int n = 40;
    set_all("t", n, 'A', true);
    /* 7 bytes a read: every transaction spans hundreds of reads, and the
     * link publishes after each read, except inside MULTI */
    repl_options o = link_options();
    o.read_chunk = 7;
    link_start(&o, "cow");
    caught_up("after the sync");
    readers_start(n, "t", false);
    int rounds = (int)test_scale(50, 8); /* at most 50: one byte each */
    for (int r = 1; r <= rounds; r++) { /* 'B', 'C', ... up to 'A' + 50 */
        set_all("t", n, (char)('A' + r), true);
        OK("SET", "between", "x"); /* a publish point outside MULTI */
    }
    caught_up("after the transactions");
    readers_see('A' + rounds);
    readers_stop();
    for (int i = 0; i < NREADERS; i++)
        ck_assert_int_eq(atomic_load(&readers[i].last), 'A' + rounds);
    teardown();
}
END_TEST

START_TEST(readers_through_full_sync_and_stream)
{
    static const char *const args[] = {"--repl-backlog-size", "16kb", NULL};
    master_start(args);
    int n = (int)test_scale(2000, 100);
    set_all("g", n, 'A', false);
    /* the readers start before the link: they see the empty first
     * generation, then the snapshot, then the stream, then the second
     * full sync, all of it checked in every section */
    dataset_make("cow");
    readers_start(n, "g", true);
    repl_options o = link_options();
    o.read_chunk = 4096;
    link_start(&o, "cow");
    caught_up("after the first sync");
    readers_see('A');
    set_all("g", n, 'B', false); /* one MSET */
    set_all("g", n, 'C', true);  /* a transaction */
    caught_up("after the stream");
    readers_see('C');
    /* a second full sync: the outage writes more than the backlog holds,
     * in database 2, so database 0 keeps its n keys throughout */
    outage(test_scale(1024, 256), 2);
    set_all("g", n, 'D', false);
    WAIT_FOR(st.full_syncs >= 2 && st.state == REPL_STREAMING,
             "the second full sync");
    caught_up("after the second full sync");
    readers_see('D');
    set_all("g", n, 'E', true);
    caught_up("after the last transaction");
    readers_see('E');
    readers_stop();
    for (int i = 0; i < NREADERS; i++)
        ck_assert_int_eq(atomic_load(&readers[i].last), 'E');
    ck_assert_uint_eq(dataset_generation(ds), 2);
    /* the readers are gone: the link reclaims the retired generation
     * (it calls dataset_reclaim() once a second) */
    for (long w = 0; dataset_retired(ds) != 0; w += 20) {
        ck_assert_msg(w < WAIT_MS, "%u generations never reclaimed",
                      dataset_retired(ds));
        nap_ms(20);
    }
    teardown();
}
END_TEST

Suite *ch10_master_suite(void)
{
    Suite *s = suite_create("ch10_master");
    TCase *tc = test_tcase("big", 120);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, million_keys_full_sync);
    tcase_add_test(tc, hundred_mb_value);
    suite_add_tcase(s, tc);
    tc = test_tcase("families", 60);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_loop_test(tc, every_family_snapshot_and_stream, 0, 2);
    tcase_add_test(tc, ttl_semantics);
    suite_add_tcase(s, tc);
    tc = test_tcase("resync", 60);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, master_restart_partial_with_new_id);
    tcase_add_test(tc, diverged_history_full_resync);
    tcase_add_test(tc, backlog_too_small_full_resync);
    suite_add_tcase(s, tc);
    tc = test_tcase("readers", 60);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, multi_exec_seen_whole);
    tcase_add_test(tc, readers_through_full_sync_and_stream);
    suite_add_tcase(s, tc);
    return s;
}
