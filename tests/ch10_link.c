/* ch10_link.c - chapter 10: the replication link following a real redis-server.
 *
 * Every case starts a private redis-server (tests/util/redis_server.c) and
 * points a link at it.  The oracle is the master itself: after the writes,
 * the test reads the master's master_repl_offset from INFO, waits until
 * the replica's offset reaches it (so every byte of the stream was
 * applied and published), has the master SAVE, loads that dump into a
 * fresh keyspace and requires keyspace_diff() to find no difference with
 * what readers of the replica's dataset see.  The cases: a full sync from
 * a snapshot on disk and a diskless one, each followed by a stream of
 * writes of every family in several databases; WAIT, which the master
 * answers only after our ACK to its GETACK; a partial resync after the
 * master kills the replica's connection (CLIENT KILL TYPE replica) and
 * after repl_drop(), checked on the master's own counters (sync_partial_ok
 * rose, sync_full did not); AUTH with requirepass and with an ACL user; a
 * wrong password that fails with a clear error, retries with backoff and
 * succeeds once the master's password is changed to it; a master that
 * falls silent (SIGSTOP) for longer than the link's timeout; a refused
 * connection; a master that is itself a replica (-NOMASTERLINK) until it
 * is promoted; a promoted replica's +CONTINUE with a new ID; a second full
 * sync and the reclaim of the old copy; one byte per read; the link over
 * TLS with a client certificate, and a wrong CA; and repl_stop() waking
 * the link from every kind of wait.
 */
#include "repl.h"

#include "keyspace_rdb.h"
#include "redis_server.h"
#include "resp_client.h"
#include "test_util.h"
#include "tls_certs.h"
#include "value_equal.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* --- the fixture: a master, a dataset, a link --------------------------------- */

typedef struct link_fx {
    redis_server rs;      /**< the master */
    resp_client cl;       /**< a client of it */
    bool authed;          /**< requirepass was set through cl */
    dataset *ds;          /**< the replica's data */
    repl *r;              /**< the link */
    pthread_mutex_t mu;   /**< guards log */
    char log[16384];      /**< the link's last log lines */
} link_fx;

static link_fx *current; /* for the teardown after a failed assertion */

static void fx_log(void *arg, repl_log_level level, const char *msg)
{
    link_fx *fx = arg;
    (void)level;
    pthread_mutex_lock(&fx->mu);
    size_t n = strlen(fx->log), m = strlen(msg);
    if (n + m + 2 > sizeof fx->log) { /* keep the newer half */
        size_t cut = n / 2;
        memmove(fx->log, fx->log + cut, n - cut + 1);
        n -= cut;
    }
    if (n + m + 2 <= sizeof fx->log) {
        memcpy(fx->log + n, msg, m);
        fx->log[n + m] = '\n';
        fx->log[n + m + 1] = '\0';
    }
    pthread_mutex_unlock(&fx->mu);
}

/* Whether the log holds a line containing s. */
static bool fx_logged(link_fx *fx, const char *s)
{
    pthread_mutex_lock(&fx->mu);
    bool found = strstr(fx->log, s) != NULL;
    pthread_mutex_unlock(&fx->mu);
    return found;
}

/* Start a master with extra arguments (NULL-terminated). */
static void fx_master(link_fx *fx, const char *const *extra)
{
    char err[512];
    memset(fx, 0, sizeof *fx);
    pthread_mutex_init(&fx->mu, NULL);
    current = fx;
    ck_assert_msg(redis_server_start(&fx->rs, extra, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_msg(resp_client_open(&fx->cl, fx->rs.port) == 0, "%s",
                  fx->cl.err);
    fx->ds = dataset_create(store_variant("cow"), 16);
    ck_assert_ptr_nonnull(fx->ds);
}

/* Options pointing at the master, logging into the fixture. */
static repl_options fx_options(link_fx *fx)
{
    repl_options o = repl_options_default();
    o.host = "127.0.0.1";
    o.port = fx->rs.port;
    o.log = fx_log;
    o.log_arg = fx;
    o.log_level = REPL_LOG_DEBUG;
    o.backoff_min_ms = 20;
    o.backoff_max_ms = 400;
    o.seed = 42;
    return o;
}

static void fx_link(link_fx *fx, const repl_options *o)
{
    char err[256];
    fx->r = repl_create(o, fx->ds, err, sizeof err);
    ck_assert_msg(fx->r != NULL, "%s", err);
    ck_assert_int_eq(repl_start(fx->r), 0);
}

static void fx_stop(link_fx *fx)
{
    if (fx->r) {
        repl_stop(fx->r);
        repl_destroy(fx->r);
        fx->r = NULL;
    }
    if (fx->authed) { /* so that the launcher's SHUTDOWN is allowed */
        resp_value v = {0};
        resp_client_calll(&fx->cl, &v, "CONFIG", "SET", "requirepass", "",
                          NULL);
        resp_value_clear(&v);
        fx->authed = false;
    }
    resp_client_close(&fx->cl);
    redis_server_stop(&fx->rs);
    dataset_destroy(fx->ds);
    fx->ds = NULL;
    pthread_mutex_destroy(&fx->mu);
    current = NULL;
}

static void certs_cleanup(void);

static void teardown(void)
{
    if (current)
        fx_stop(current);
    certs_cleanup();
}

/* A command to the master that must not fail; returns its reply text. */
static const char *mcall(link_fx *fx, const char *arg0, ...)
{
    static char text[256];
    const char *argv[32];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && argc < 32; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    resp_value v = {0};
    ck_assert_msg(resp_client_call(&fx->cl, &v, argc, argv, NULL) == 0,
                  "%s: %s", arg0, fx->cl.err);
    ck_assert_msg(v.type != RESP_ERROR, "%s: %s", arg0, v.str);
    snprintf(text, sizeof text, "%s",
             v.type == RESP_INTEGER ? "" : v.str ? v.str : "");
    if (v.type == RESP_INTEGER)
        snprintf(text, sizeof text, "%" PRId64, v.integer);
    resp_value_clear(&v);
    return text;
}

/* A field of the master's INFO <section>, as a number. */
static uint64_t info_u64(link_fx *fx, const char *section, const char *field)
{
    resp_value v = {0};
    ck_assert_int_eq(resp_client_calll(&fx->cl, &v, "INFO", section, NULL),
                     0);
    ck_assert_int_eq(v.type, RESP_BULK);
    char key[64];
    snprintf(key, sizeof key, "\n%s:", field);
    const char *p = strstr(v.str, key);
    ck_assert_msg(p != NULL, "INFO %s has no %s", section, field);
    uint64_t n = strtoull(p + strlen(key), NULL, 10);
    resp_value_clear(&v);
    return n;
}

/* The offset the master last heard from its replica in an ACK (INFO's
 * slave0:...,offset=N). */
static uint64_t replica_ack(link_fx *fx)
{
    resp_value v = {0};
    ck_assert_int_eq(
        resp_client_calll(&fx->cl, &v, "INFO", "replication", NULL), 0);
    const char *p = strstr(v.str, "\nslave0:");
    ck_assert_msg(p != NULL, "no replica in INFO: %s", v.str);
    ck_assert_msg(strstr(p, "state=online") != NULL, "%s", p);
    const char *o = strstr(p, ",offset=");
    ck_assert_ptr_nonnull(o);
    uint64_t n = strtoull(o + 8, NULL, 10);
    resp_value_clear(&v);
    return n;
}

/* The master's replication ID. */
static void master_replid(link_fx *fx, char out[41])
{
    resp_value v = {0};
    ck_assert_int_eq(
        resp_client_calll(&fx->cl, &v, "INFO", "replication", NULL), 0);
    const char *p = strstr(v.str, "\nmaster_replid:");
    ck_assert_ptr_nonnull(p);
    memcpy(out, p + 15, 40);
    out[40] = '\0';
    resp_value_clear(&v);
}

/* SAVE, waiting while the master's replication child still runs. */
static void master_save(link_fx *fx)
{
    for (int tries = 0;; tries++) {
        resp_value v = {0};
        ck_assert_int_eq(resp_client_calll(&fx->cl, &v, "SAVE", NULL), 0);
        bool busy = v.type == RESP_ERROR && strstr(v.str, "in progress");
        ck_assert_msg(v.type != RESP_ERROR || (busy && tries < 1000),
                      "SAVE: %s", v.str);
        resp_value_clear(&v);
        if (!busy)
            return;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Keys in all of the master's databases (INFO keyspace). */
static uint64_t master_keys(link_fx *fx)
{
    resp_value v = {0};
    ck_assert_int_eq(resp_client_calll(&fx->cl, &v, "INFO", "keyspace", NULL),
                     0);
    ck_assert_int_eq(v.type, RESP_BULK);
    uint64_t n = 0;
    for (const char *p = v.str; (p = strstr(p, ":keys=")) != NULL; p += 6)
        n += strtoull(p + 6, NULL, 10);
    resp_value_clear(&v);
    return n;
}

/* Writes of every family into database db, pipelined. */
static void populate(link_fx *fx, unsigned db, const char *prefix, long n)
{
    char dbs[8], k[64], v[64], num[24];
    snprintf(dbs, sizeof dbs, "%u", db);
    const char *sel[] = {"SELECT", dbs};
    resp_client_send(&fx->cl, 2, sel, NULL);
    long sent = 1;
    for (long i = 0; i < n; i++) {
        snprintf(k, sizeof k, "%s:%ld", prefix, i);
        snprintf(v, sizeof v, "value-%ld", i);
        snprintf(num, sizeof num, "%ld", i);
        const char *c0[] = {"SET", k, v};
        const char *c1[] = {"RPUSH", k, "a", v, "c"};
        const char *c2[] = {"HSET", k, "f1", v, "f2", num};
        const char *c3[] = {"SADD", k, v, "m2", num};
        const char *c4[] = {"ZADD", k, num, v, "1.5", "b"};
        const char *c5[] = {"SET", k, v, "PX", "3600000"};
        const char *c6[] = {"XADD", k, "*", "f", v};
        const char *c7[] = {"INCRBY", "counter", num};
        const char *const *cmds[] = {c0, c1, c2, c3, c4, c5, c6, c7};
        size_t argcs[] = {3, 5, 6, 5, 6, 5, 5, 3};
        int w = (int)(i % 8);
        resp_client_send(&fx->cl, argcs[w], cmds[w], NULL);
        sent++;
    }
    /* A transaction: the stream carries it as MULTI ... EXEC. */
    const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
    snprintf(k, sizeof k, "%s:txn", prefix);
    const char *t1[] = {"SET", k, "in-txn"};
    const char *t2[] = {"LPUSH", "txn-list", k};
    resp_client_send(&fx->cl, 1, multi, NULL);
    resp_client_send(&fx->cl, 3, t1, NULL);
    resp_client_send(&fx->cl, 3, t2, NULL);
    resp_client_send(&fx->cl, 1, exec, NULL);
    sent += 4;
    for (long i = 0; i < sent; i++) {
        resp_value r = {0};
        ck_assert_msg(resp_client_reply(&fx->cl, &r) == 0, "%s",
                      fx->cl.err);
        ck_assert_msg(r.type != RESP_ERROR, "write %ld: %s", i, r.str);
        resp_value_clear(&r);
    }
    mcall(fx, "SELECT", "0", NULL);
}

/* Wait for the master's offset, then compare with the master's SAVE. */
static void check_same(link_fx *fx)
{
    uint64_t off = info_u64(fx, "replication", "master_repl_offset");
    repl_status st;
    if (repl_wait_offset(fx->r, off, 30000) != 0) {
        repl_status_get(fx->r, &st);
        ck_abort_msg("offset %" PRIu64 " not reached: at %" PRIu64
                     ", state %s, last error '%s'", off, st.offset,
                     repl_state_name(st.state), st.last_error);
    }
    repl_status_get(fx->r, &st);
    ck_assert_uint_eq(st.offset, off); /* never past the master */
    master_save(fx);
    char path[400];
    snprintf(path, sizeof path, "%s/dump.rdb", fx->rs.dir);
    keyspace *want = keyspace_create(store_variant("cow"), 16);
    ck_assert_ptr_nonnull(want);
    rdb_result res;
    ck_assert_msg(keyspace_load_rdb_file(want, path, NULL, &res) == 0, "%s",
                  res.error);
    dataset_reader *dr = dataset_reader_open(fx->ds);
    ck_assert_ptr_nonnull(dr);
    keyspace_reader *a = dataset_read_begin(dr);
    keyspace_reader *b = keyspace_reader_open(want);
    ck_assert_ptr_nonnull(b);
    char why[512];
    int d = keyspace_diff(a, b, VALUE_EQ_IGNORE_SEEN, 0, why, sizeof why);
    dataset_read_end(dr);
    dataset_reader_close(dr);
    keyspace_reader_close(b);
    keyspace_destroy(want);
    ck_assert_msg(d == 0, "the replica (first) differs from the master's "
                  "SAVE (second): %s", why);
}

/* Poll the status until pred holds (every 10 ms, at most timeout_ms). */
static bool wait_status(link_fx *fx, bool (*pred)(const repl_status *),
                        int timeout_ms, repl_status *st)
{
    for (int waited = 0;; waited += 10) {
        repl_status_get(fx->r, st);
        if (pred(st))
            return true;
        if (waited >= timeout_ms)
            return false;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static bool streaming(const repl_status *s)
{
    return s->state == REPL_STREAMING;
}

static bool partial_once(const repl_status *s)
{
    return s->partial_syncs >= 1 && s->state == REPL_STREAMING;
}

static bool failed_twice(const repl_status *s)
{
    return s->sync_failures >= 2;
}

static bool failed_once(const repl_status *s)
{
    return s->sync_failures >= 1 || s->reconnects >= 1;
}

static bool failed_five_times(const repl_status *s)
{
    return s->sync_failures >= 5;
}

/* The log's "retrying H:P in D ms (attempt K failed)" lines: attempt K
 * waits between half and all of min * 2^(K-1), capped at max. */
static void check_backoff(link_fx *fx, int port, int min_ms, int max_ms,
                          int attempts)
{
    char pat[64];
    snprintf(pat, sizeof pat, "retrying 127.0.0.1:%d in ", port);
    pthread_mutex_lock(&fx->mu);
    char *log = strdup(fx->log);
    pthread_mutex_unlock(&fx->mu);
    ck_assert_ptr_nonnull(log);
    int seen = 0;
    for (const char *p = log; (p = strstr(p, pat)) != NULL; p++) {
        long d, k;
        ck_assert_int_eq(sscanf(p + strlen(pat), "%ld ms (attempt %ld", &d,
                                &k), 2);
        long full = min_ms;
        for (long i = 1; i < k && full < max_ms; i++)
            full *= 2;
        if (full > max_ms)
            full = max_ms;
        ck_assert_msg(d >= full / 2 && d <= full, "attempt %ld waited %ld "
                      "ms, not in [%ld, %ld]", k, d, full / 2, full);
        ck_assert_int_eq(k, seen + 1);
        seen++;
    }
    free(log);
    ck_assert_int_ge(seen, attempts);
}

static void wait_streaming(link_fx *fx)
{
    repl_status st;
    if (!wait_status(fx, streaming, 30000, &st))
        ck_abort_msg("the link did not come up: state %s, last error '%s'",
                     repl_state_name(st.state), st.last_error);
}

static void expect_family(const repl_status *st, const char *family)
{
    for (size_t i = 0; i < st->nfamilies; i++)
        if (strcmp(st->families[i].family, family) == 0) {
            ck_assert_msg(st->families[i].applied > 0, "family %s: 0",
                          family);
            ck_assert_uint_eq(st->families[i].refused, 0);
            return;
        }
    ck_abort_msg("no family %s in the status", family);
}

/* --- full sync, then the stream ------------------------------------------------- */

static void sync_and_stream(const char *const *extra, bool diskless)
{
    link_fx fx;
    fx_master(&fx, extra);
    long n = test_scale(2000, 40);
    populate(&fx, 0, "before", n);
    populate(&fx, 3, "before3", n / 2);
    uint64_t keys = master_keys(&fx);
    repl_options o = fx_options(&fx);
    fx_link(&fx, &o);
    wait_streaming(&fx);
    ck_assert(dataset_loaded(fx.ds));
    check_same(&fx);
    /* The stream: more writes in several databases. */
    populate(&fx, 0, "after", n);
    populate(&fx, 5, "after5", n / 2);
    populate(&fx, 3, "before3", n / 4); /* overwrites */
    mcall(&fx, "DEL", "before:0", "before:1", NULL);
    check_same(&fx);

    repl_status st;
    repl_status_get(fx.r, &st);
    char id[41];
    master_replid(&fx, id);
    ck_assert_str_eq(st.replid, id);
    ck_assert_uint_eq(st.full_syncs, 1);
    ck_assert_uint_eq(st.partial_syncs, 0);
    ck_assert(st.loaded);
    ck_assert_uint_eq(st.snapshot_keys, keys);
    ck_assert_uint_gt(st.snapshot_bytes, 0);
    ck_assert_uint_gt(st.bytes_received, st.snapshot_bytes);
    ck_assert_uint_gt(st.commands_applied, (uint64_t)n);
    ck_assert_uint_eq(st.commands_refused, 0);
    ck_assert_uint_eq(st.lag_bytes, 0);
    ck_assert_str_eq(st.last_error, "");
    ck_assert_int_eq(st.master_port, fx.rs.port);
    ck_assert_str_eq(st.master_host, "127.0.0.1");
    ck_assert(!st.tls);
    ck_assert_int_ge(st.last_interaction_s_ago, 0);
    expect_family(&st, "string");
    expect_family(&st, "list");
    expect_family(&st, "hash");
    expect_family(&st, "set");
    expect_family(&st, "zset");
    expect_family(&st, "stream");
    expect_family(&st, "keys");
    expect_family(&st, "txn");
    ck_assert(fx_logged(&fx, diskless ? "(diskless)" : "(from disk)"));
    /* The master sees an online replica at our offset once it has our
     * periodic ACK (at most a second away). */
    ck_assert_uint_eq(info_u64(&fx, "replication", "connected_slaves"), 1);
    uint64_t moff = info_u64(&fx, "replication", "master_repl_offset");
    uint64_t acked = 0;
    for (int i = 0; i < 1000 && acked != moff; i++) {
        acked = replica_ack(&fx);
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ck_assert_uint_eq(acked, moff);
    fx_stop(&fx);
}

START_TEST(full_sync_from_disk)
{
    const char *extra[] = {"--repl-diskless-sync", "no", NULL};
    sync_and_stream(extra, false);
}
END_TEST

START_TEST(full_sync_diskless)
{
    const char *extra[] = {"--repl-diskless-sync", "yes",
                           "--repl-diskless-sync-delay", "0", NULL};
    sync_and_stream(extra, true);
}
END_TEST

/* One byte per read: every reply, the snapshot and the stream arrive
 * split at every byte, and the result is the same. */
START_TEST(one_byte_per_read)
{
    link_fx fx;
    const char *extra[] = {"--repl-diskless-sync-delay", "0", NULL};
    fx_master(&fx, extra);
    long n = test_scale(100, 10);
    populate(&fx, 0, "k", n);
    repl_options o = fx_options(&fx);
    o.read_chunk = 1;
    fx_link(&fx, &o);
    wait_streaming(&fx);
    populate(&fx, 1, "k", n);
    check_same(&fx);
    fx_stop(&fx);
}
END_TEST

/* WAIT returns only when the replica has acknowledged: the master sends
 * GETACK and the link answers it with its offset. */
START_TEST(wait_is_answered)
{
    link_fx fx;
    /* From disk: after a diskless load the stream waits for an ACK. */
    const char *extra[] = {"--repl-diskless-sync", "no", NULL};
    fx_master(&fx, extra);
    repl_options o = fx_options(&fx);
    o.ack_period_ms = 600000; /* only GETACK can answer WAIT in time */
    fx_link(&fx, &o);
    wait_streaming(&fx);
    mcall(&fx, "SET", "k", "v", NULL);
    ck_assert_str_eq(mcall(&fx, "WAIT", "1", "20000", NULL), "1");
    check_same(&fx);
    fx_stop(&fx);
}
END_TEST

/* apply = false (the tail tool): no dataset, every command framed and
 * reported with its offset and size, offsets as the master's. */
typedef struct tail_ctx {
    _Atomic uint64_t commands; /**< commands seen */
    _Atomic uint64_t next;     /**< offset + size of the last one */
    _Atomic int gaps;          /**< commands not starting at next, or
                                    not arrays */
} tail_ctx;

static void on_tail(void *arg, const resp_value *cmd, uint64_t offset,
                    uint64_t size, unsigned db)
{
    tail_ctx *t = arg;
    (void)db; /* no Check assertion here: this is the link's thread */
    uint64_t next = atomic_load(&t->next);
    if (cmd->type != RESP_ARRAY || (next != 0 && offset != next))
        atomic_fetch_add(&t->gaps, 1);
    atomic_store(&t->next, offset + size);
    atomic_fetch_add(&t->commands, 1);
}

START_TEST(follow_without_applying)
{
    link_fx fx;
    const char *extra[] = {"--repl-diskless-sync-delay", "0", NULL};
    fx_master(&fx, extra);
    long n = test_scale(300, 20);
    populate(&fx, 0, "k", n);
    tail_ctx t;
    atomic_init(&t.commands, 0);
    atomic_init(&t.next, 0);
    atomic_init(&t.gaps, 0);
    repl_options o = fx_options(&fx);
    o.apply = false;
    o.on_command = on_tail;
    o.command_arg = &t;
    char err[256];
    fx.r = repl_create(&o, NULL, err, sizeof err);
    ck_assert_msg(fx.r != NULL, "%s", err);
    ck_assert_int_eq(repl_start(fx.r), 0);
    wait_streaming(&fx);
    populate(&fx, 4, "k", n);
    uint64_t off = info_u64(&fx, "replication", "master_repl_offset");
    ck_assert_int_eq(repl_wait_offset(fx.r, off, 30000), 0);
    repl_status st;
    repl_status_get(fx.r, &st);
    ck_assert_uint_eq(st.offset, off);
    ck_assert_uint_eq(atomic_load(&t.next), off);
    ck_assert_int_eq(atomic_load(&t.gaps), 0);
    /* SELECT, n writes, MULTI, 2 writes, EXEC, SELECT 0 (and PINGs) */
    ck_assert_uint_ge(atomic_load(&t.commands), (uint64_t)n + 5);
    ck_assert_uint_eq(st.full_syncs, 1);
    ck_assert_uint_gt(st.snapshot_bytes, 0);
    ck_assert(!dataset_loaded(fx.ds)); /* nothing was written */
    fx_stop(&fx);
}
END_TEST

/* --- partial resync ----------------------------------------------------------- */

static void partial_after(bool by_master)
{
    link_fx fx;
    const char *extra[] = {"--repl-diskless-sync-delay", "0", NULL};
    fx_master(&fx, extra);
    long n = test_scale(500, 20);
    populate(&fx, 0, "a", n);
    repl_options o = fx_options(&fx);
    fx_link(&fx, &o);
    wait_streaming(&fx);
    /* The stream ends in database 3; a master does not repeat SELECT
     * after +CONTINUE, so the link must remember it. */
    populate(&fx, 3, "b", n);
    mcall(&fx, "SELECT", "3", NULL);
    check_same(&fx);
    uint64_t full = info_u64(&fx, "stats", "sync_full");
    uint64_t part = info_u64(&fx, "stats", "sync_partial_ok");
    ck_assert_uint_eq(full, 1);
    if (by_master)
        mcall(&fx, "CLIENT", "KILL", "TYPE", "replica", NULL);
    else
        repl_drop(fx.r);
    /* Writes to database 3 without SELECT: while the link is down, or
     * just after it resumed. */
    for (int i = 0; i < 20; i++) {
        char k[32];
        snprintf(k, sizeof k, "while-down:%d", i);
        mcall(&fx, "SET", k, "x", NULL);
    }
    mcall(&fx, "SELECT", "0", NULL);
    repl_status st;
    if (!wait_status(&fx, partial_once, 30000, &st))
        ck_abort_msg("no partial resync: state %s, partial %" PRIu64
                     ", full %" PRIu64 ", last error '%s'",
                     repl_state_name(st.state), st.partial_syncs,
                     st.full_syncs, st.last_error);
    check_same(&fx);
    repl_status_get(fx.r, &st);
    ck_assert_uint_eq(st.full_syncs, 1);
    ck_assert_uint_eq(st.partial_syncs, 1);
    ck_assert_uint_ge(st.reconnects, 1);
    ck_assert_str_ne(st.last_error, "");
    if (!by_master)
        ck_assert_str_eq(st.last_error,
                         "link dropped on request (repl_drop)");
    ck_assert_uint_eq(info_u64(&fx, "stats", "sync_full"), full);
    ck_assert_uint_eq(info_u64(&fx, "stats", "sync_partial_ok"), part + 1);
    ck_assert(fx_logged(&fx, "partial resync"));
    fx_stop(&fx);
}

START_TEST(partial_after_client_kill)
{
    partial_after(true);
}
END_TEST

START_TEST(partial_after_repl_drop)
{
    partial_after(false);
}
END_TEST

/* --- AUTH ----------------------------------------------------------------------- */

START_TEST(auth_requirepass)
{
    link_fx fx;
    const char *extra[] = {"--repl-diskless-sync-delay", "0", NULL};
    fx_master(&fx, extra);
    populate(&fx, 0, "k", test_scale(200, 10));
    mcall(&fx, "CONFIG", "SET", "requirepass", "s3cret", NULL);
    fx.authed = true;
    mcall(&fx, "AUTH", "s3cret", NULL);
    repl_options o = fx_options(&fx);
    o.password = "s3cret";
    fx_link(&fx, &o);
    wait_streaming(&fx);
    populate(&fx, 1, "k", test_scale(200, 10));
    check_same(&fx);
    fx_stop(&fx);
}
END_TEST

START_TEST(auth_acl_user)
{
    link_fx fx;
    const char *extra[] = {"--repl-diskless-sync-delay", "0", NULL};
    fx_master(&fx, extra);
    /* The least a replication user needs (Redis's replication docs). */
    mcall(&fx, "ACL", "SETUSER", "replica-user", "on", ">pw-of-replica",
          "+psync", "+replconf", "+ping", NULL);
    mcall(&fx, "ACL", "SETUSER", "admin", "on", ">adm", "~*", "&*", "+@all",
          NULL);
    mcall(&fx, "AUTH", "admin", "adm", NULL);
    mcall(&fx, "ACL", "SETUSER", "default", "off", NULL);
    populate(&fx, 0, "k", test_scale(200, 10));
    repl_options o = fx_options(&fx);
    o.user = "replica-user";
    o.password = "pw-of-replica";
    fx_link(&fx, &o);
    wait_streaming(&fx);
    populate(&fx, 2, "k", test_scale(200, 10));
    check_same(&fx);
    repl_stop(fx.r);
    mcall(&fx, "ACL", "SETUSER", "default", "on", NULL); /* for SHUTDOWN */
    fx_stop(&fx);
}
END_TEST

START_TEST(wrong_password_retries_until_fixed)
{
    link_fx fx;
    const char *extra[] = {"--repl-diskless-sync-delay", "0", NULL};
    fx_master(&fx, extra);
    populate(&fx, 0, "k", test_scale(200, 10));
    mcall(&fx, "CONFIG", "SET", "requirepass", "right", NULL);
    fx.authed = true;
    mcall(&fx, "AUTH", "right", NULL);
    repl_options o = fx_options(&fx);
    /* No password at all: the error says the master wants one. */
    fx_link(&fx, &o);
    repl_status st;
    ck_assert(wait_status(&fx, failed_twice, 30000, &st));
    char want[128];
    snprintf(want, sizeof want, "127.0.0.1:%d wants a password (PING "
             "answered '-NOAUTH Authentication required.') and the link has "
             "none", fx.rs.port);
    ck_assert_str_eq(st.last_error, want);
    repl_stop(fx.r);
    repl_destroy(fx.r);
    fx.r = NULL;
    /* A wrong one. */
    o.password = "bad-pw-7Q";
    fx_link(&fx, &o);
    ck_assert_msg(wait_status(&fx, failed_twice, 30000, &st),
                  "no two failures: %s", st.last_error);
    ck_assert_msg(strstr(st.last_error, "AUTH to 127.0.0.1:") != NULL &&
                      strstr(st.last_error, "WRONGPASS") != NULL,
                  "last error: %s", st.last_error);
    ck_assert_uint_eq(st.full_syncs, 0);
    ck_assert(!st.loaded);
    ck_assert(!dataset_loaded(fx.ds));
    ck_assert(fx_logged(&fx, "retrying 127.0.0.1:"));
    /* The password never appears in the log. */
    ck_assert(!fx_logged(&fx, "bad-pw-7Q"));
    mcall(&fx, "CONFIG", "SET", "requirepass", "bad-pw-7Q", NULL);
    wait_streaming(&fx);
    check_same(&fx);
    repl_status_get(fx.r, &st);
    ck_assert_uint_eq(st.full_syncs, 1);
    ck_assert_uint_ge(st.sync_failures, 2);
    fx_stop(&fx);
}
END_TEST

/* --- failures and stopping ---------------------------------------------------- */

START_TEST(refused_connection)
{
    link_fx fx;
    fx_master(&fx, NULL);
    repl_options o = fx_options(&fx);
    /* A port that was just free and is closed again. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    o.port = ntohs(a.sin_port);
    close(fd);
    fx_link(&fx, &o);
    repl_status st;
    ck_assert(wait_status(&fx, failed_five_times, 30000, &st));
    check_backoff(&fx, o.port, o.backoff_min_ms, o.backoff_max_ms, 5);
    char want[128];
    snprintf(want, sizeof want, "127.0.0.1:%d", o.port);
    ck_assert_msg(strstr(st.last_error, want) != NULL &&
                      strstr(st.last_error, "refused") != NULL,
                  "last error: %s", st.last_error);
    ck_assert(!st.loaded);
    fx_stop(&fx);
}
END_TEST

static bool two_full_syncs(const repl_status *s)
{
    return s->full_syncs >= 2 && s->state == REPL_STREAMING;
}

/* A second full sync (the master forgot its history: DEBUG CHANGE-REPL-ID,
 * then the replica's connection is killed): the new copy is switched in,
 * a reader still holding the old one keeps it until its next section, and
 * the link frees the old copy (dataset_reclaim(), once a second) as soon
 * as no reader holds it. */
START_TEST(second_full_sync_reclaims)
{
    link_fx fx;
    const char *extra[] = {"--repl-diskless-sync-delay", "0",
                           "--enable-debug-command", "yes", NULL};
    fx_master(&fx, extra);
    populate(&fx, 0, "k", test_scale(300, 10));
    mcall(&fx, "SET", "which", "first", NULL);
    repl_options o = fx_options(&fx);
    fx_link(&fx, &o);
    wait_streaming(&fx);
    populate(&fx, 1, "s", test_scale(100, 10)); /* through the stream */
    check_same(&fx);
    ck_assert_uint_eq(dataset_generation(fx.ds), 1);
    dataset_reader *dr = dataset_reader_open(fx.ds);
    ck_assert_ptr_nonnull(dr);
    keyspace_reader *kr = dataset_read_begin(dr);
    const value *v = keyspace_get(kr, 0, "which", 5);
    ck_assert_ptr_nonnull(v);
    dataset_read_end(dr); /* the reader still holds generation 1 */

    mcall(&fx, "DEBUG", "CHANGE-REPL-ID", NULL);
    mcall(&fx, "SET", "which", "second", NULL);
    mcall(&fx, "CLIENT", "KILL", "TYPE", "replica", NULL);
    repl_status st;
    if (!wait_status(&fx, two_full_syncs, 30000, &st))
        ck_abort_msg("no second full sync: state %s, last error '%s'",
                     repl_state_name(st.state), st.last_error);
    ck_assert_uint_eq(st.partial_syncs, 0);
    ck_assert_uint_eq(dataset_generation(fx.ds), 2);
    ck_assert_uint_eq(info_u64(&fx, "stats", "sync_full"), 2);
    /* Held by our reader, so not reclaimed, however long we wait. */
    ck_assert_uint_eq(dataset_retired(fx.ds), 1);
    check_same(&fx); /* a section of its own reader moves it */
    ck_assert_uint_eq(dataset_reader_generation(dr), 1);
    kr = dataset_read_begin(dr); /* moves to generation 2 */
    ck_assert_uint_eq(dataset_reader_generation(dr), 2);
    dataset_read_end(dr);
    dataset_reader_close(dr);
    for (int i = 0; i < 1000 && dataset_retired(fx.ds) != 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ck_assert_uint_eq(dataset_retired(fx.ds), 0);
    /* The counts cover both appliers: the first one's stream wrote every
     * family, the second one's nothing yet. */
    repl_status_get(fx.r, &st);
    expect_family(&st, "string");
    expect_family(&st, "hash");
    fx_stop(&fx);
}
END_TEST

/* A master that is itself a replica of a dead master answers PSYNC with
 * -NOMASTERLINK: the link retries until it is promoted. */
START_TEST(nomasterlink_then_promoted)
{
    link_fx fx;
    const char *extra[] = {"--repl-diskless-sync-delay", "0", NULL};
    fx_master(&fx, extra);
    populate(&fx, 0, "k", test_scale(200, 10));
    mcall(&fx, "REPLICAOF", "127.0.0.1", "1", NULL); /* nothing there */
    repl_options o = fx_options(&fx);
    fx_link(&fx, &o);
    repl_status st;
    ck_assert(wait_status(&fx, failed_twice, 30000, &st));
    ck_assert_msg(strstr(st.last_error, "-NOMASTERLINK") != NULL &&
                      strstr(st.last_error, "retrying") != NULL,
                  "last error: %s", st.last_error);
    ck_assert(!st.loaded);
    mcall(&fx, "REPLICAOF", "NO", "ONE", NULL);
    wait_streaming(&fx);
    populate(&fx, 0, "k2", test_scale(200, 10));
    check_same(&fx);
    fx_stop(&fx);
}
END_TEST

/* Following a replica B of A; B is promoted (REPLICAOF NO ONE), takes a
 * new replication ID and drops its replicas, which continue with +CONTINUE
 * <new id>: the link adopts the ID and keeps its offset and database. */
START_TEST(continue_with_new_id)
{
    redis_server a;
    char err[512], aport[16];
    ck_assert_msg(redis_server_start(&a, NULL, err, sizeof err) == 0, "%s",
                  err);
    snprintf(aport, sizeof aport, "%d", a.port);
    link_fx fx;
    const char *extra[] = {"--repl-diskless-sync-delay", "0", "--replicaof",
                           "127.0.0.1", aport, NULL};
    fx_master(&fx, extra);
    resp_client ca;
    ck_assert_msg(resp_client_open(&ca, a.port) == 0, "%s", ca.err);
    long n = test_scale(200, 10);
    for (long i = 0; i < n; i++) {
        char k[32];
        snprintf(k, sizeof k, "a:%ld", i);
        resp_value v = {0};
        ck_assert_int_eq(resp_client_calll(&ca, &v, i % 2 ? "SET" : "RPUSH",
                                           k, "x", NULL), 0);
        resp_value_clear(&v);
    }
    resp_value v = {0};
    ck_assert_int_eq(resp_client_calll(&ca, &v, "SELECT", "2", NULL), 0);
    resp_value_clear(&v);
    ck_assert_int_eq(resp_client_calll(&ca, &v, "SET", "in-2", "x", NULL), 0);
    resp_value_clear(&v);
    repl_options o = fx_options(&fx);
    fx_link(&fx, &o);
    wait_streaming(&fx);
    check_same(&fx); /* B's offset: all of A's stream reached B, and us */
    char old_id[41], new_id[41];
    master_replid(&fx, old_id);
    mcall(&fx, "REPLICAOF", "NO", "ONE", NULL);
    master_replid(&fx, new_id);
    ck_assert_str_ne(old_id, new_id);
    repl_status st;
    if (!wait_status(&fx, partial_once, 30000, &st))
        ck_abort_msg("no partial resync: state %s, last error '%s'",
                     repl_state_name(st.state), st.last_error);
    ck_assert_str_eq(st.replid, new_id);
    ck_assert(fx_logged(&fx, "replication ID changed"));
    /* More writes, to B itself now, in two databases. */
    mcall(&fx, "SELECT", "2", NULL);
    mcall(&fx, "SET", "after-promotion", "y", NULL);
    mcall(&fx, "SELECT", "0", NULL);
    check_same(&fx);
    repl_status_get(fx.r, &st);
    ck_assert_uint_eq(st.full_syncs, 1);
    ck_assert_uint_eq(st.partial_syncs, 1);
    resp_client_close(&ca);
    redis_server_stop(&a);
    fx_stop(&fx);
}
END_TEST

/* The master stops answering (SIGSTOP) for longer than the timeout: the
 * link drops, retries, and resumes once the master is back. */
START_TEST(silent_master_times_out)
{
    link_fx fx;
    const char *extra[] = {"--repl-diskless-sync-delay", "0",
                           "--repl-ping-replica-period", "1", NULL};
    fx_master(&fx, extra);
    populate(&fx, 0, "k", test_scale(200, 10));
    repl_options o = fx_options(&fx);
    o.timeout_ms = 2500; /* the master PINGs every second */
    fx_link(&fx, &o);
    wait_streaming(&fx);
    ck_assert_int_eq(kill(fx.rs.pid, SIGSTOP), 0);
    repl_status st;
    bool failed = wait_status(&fx, failed_once, 30000, &st);
    kill(fx.rs.pid, SIGCONT);
    ck_assert_msg(failed, "the link did not notice the silence");
    ck_assert_msg(strstr(st.last_error, "timeout") != NULL, "last error: %s",
                  st.last_error);
    wait_streaming(&fx);
    populate(&fx, 0, "k2", test_scale(100, 10));
    check_same(&fx);
    fx_stop(&fx);
}
END_TEST

/* repl_stop() wakes the link from a wait for the snapshot (a master that
 * delays it by a minute), and from the backoff's sleep. */
START_TEST(stop_interrupts_waits)
{
    link_fx fx;
    const char *extra[] = {"--repl-diskless-sync", "yes",
                           "--repl-diskless-sync-delay", "60", NULL};
    fx_master(&fx, extra);
    repl_options o = fx_options(&fx);
    fx_link(&fx, &o);
    ck_assert_int_eq(repl_wait_state(fx.r, REPL_PSYNC, 20000), 0);
    /* No copy yet: not even offset 0 (the master's master_repl_offset
     * before its first replica) counts as reached. */
    ck_assert_uint_eq(info_u64(&fx, "replication", "master_repl_offset"), 0);
    ck_assert_int_eq(repl_wait_offset(fx.r, 0, 100), -1);
    repl_stop(fx.r); /* a hang here fails the test by its timeout */
    repl_status st;
    repl_status_get(fx.r, &st);
    ck_assert_int_eq(st.state, REPL_STOPPED);
    ck_assert(!st.loaded);
    repl_stop(fx.r); /* twice is fine */
    repl_destroy(fx.r);
    fx.r = NULL;

    /* The backoff: a dead port and a ten-minute delay. */
    o.port = 1;
    o.backoff_min_ms = 600000;
    o.backoff_max_ms = 600000;
    fx_link(&fx, &o);
    ck_assert_int_eq(repl_wait_state(fx.r, REPL_BACKOFF, 20000), 0);
    repl_stop(fx.r);
    repl_status_get(fx.r, &st);
    ck_assert_int_eq(st.state, REPL_STOPPED);
    ck_assert_str_ne(st.last_error, "");
    fx_stop(&fx);
}
END_TEST

/* --- TLS --------------------------------------------------------------------------- */

static tls_certs certs;  /* the TLS case's certificates */
static bool certs_made;  /* they exist and teardown() removes them */

static void certs_cleanup(void)
{
    if (certs_made)
        tls_certs_remove(&certs);
    certs_made = false;
}

/* A master with TLS on a port of its own (the plain port is the test's);
 * tls-auth-clients yes, so the link must present its certificate too. */
static void fx_tls_master(link_fx *fx, tls_certs *tc, int *tls_port)
{
    char err[1024];
    ck_assert_msg(tls_certs_make(tc, err, sizeof err) == 0, "%s", err);
    certs_made = true;
    for (int attempt = 0;; attempt++) { /* the free port may be taken */
        char portbuf[16];
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof a;
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
        *tls_port = ntohs(a.sin_port);
        close(fd);
        snprintf(portbuf, sizeof portbuf, "%d", *tls_port);
        const char *extra[] = {"--tls-port", portbuf,
                               "--tls-cert-file", tc->server_cert,
                               "--tls-key-file", tc->server_key,
                               "--tls-ca-cert-file", tc->ca_cert,
                               "--tls-auth-clients", "yes",
                               "--repl-diskless-sync-delay", "0", NULL};
        memset(fx, 0, sizeof *fx);
        pthread_mutex_init(&fx->mu, NULL);
        current = fx;
        if (redis_server_start(&fx->rs, extra, err, sizeof err) == 0)
            break;
        pthread_mutex_destroy(&fx->mu);
        current = NULL;
        if (attempt == 2) {
            ck_abort_msg("cannot start redis-server with TLS: %s", err);
        }
    }
    ck_assert_msg(resp_client_open(&fx->cl, fx->rs.port) == 0, "%s",
                  fx->cl.err);
    fx->ds = dataset_create(store_variant("cow"), 16);
    ck_assert_ptr_nonnull(fx->ds);
}

START_TEST(tls_sync_and_stream)
{
    link_fx fx;
    int tport;
    fx_tls_master(&fx, &certs, &tport);
    populate(&fx, 0, "k", test_scale(300, 10));
    repl_options o = fx_options(&fx);
    o.port = tport;
    o.tls.enabled = true;
    o.tls.ca_file = certs.ca_cert;
    o.tls.cert_file = certs.client_cert;
    o.tls.key_file = certs.client_key;
    fx_link(&fx, &o);
    wait_streaming(&fx);
    populate(&fx, 2, "k", test_scale(300, 10));
    check_same(&fx);
    repl_status st;
    repl_status_get(fx.r, &st);
    ck_assert(st.tls);
    ck_assert_uint_eq(st.full_syncs, 1);
    repl_stop(fx.r);
    repl_destroy(fx.r);
    fx.r = NULL;

    /* A CA that did not sign the master's certificate: a clear error,
     * and retries. */
    o.tls.ca_file = certs.wrong_ca_cert;
    fx_link(&fx, &o);
    ck_assert(wait_status(&fx, failed_twice, 30000, &st));
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%d", tport);
    ck_assert_msg(strstr(st.last_error, want) != NULL &&
                      strstr(st.last_error, "certificate verify failed") !=
                          NULL,
                  "last error: %s", st.last_error);
    ck_assert(!st.loaded);
    fx_stop(&fx);
    tls_certs_remove(&certs);
    certs_made = false;
}
END_TEST

START_TEST(create_errors)
{
    char err[256];
    repl_options o = repl_options_default();
    ck_assert_ptr_null(repl_create(&o, NULL, err, sizeof err));
    ck_assert_str_eq(err, "repl: no master host given");
    o.host = "127.0.0.1";
    o.port = 70000;
    ck_assert_ptr_null(repl_create(&o, NULL, err, sizeof err));
    ck_assert_str_eq(err, "repl: master port 70000 is not in 1..65535");
    o.port = 6379;
    ck_assert_ptr_null(repl_create(&o, NULL, err, sizeof err));
    ck_assert_str_eq(err, "repl: a link that applies needs a dataset");
    o.apply = false;
    o.tls.enabled = true;
    o.tls.ca_file = "/nonexistent/ca.pem";
    ck_assert_ptr_null(repl_create(&o, NULL, err, sizeof err));
    ck_assert_str_eq(err, "repl: TLS CA file /nonexistent/ca.pem: No such "
                          "file or directory");
    o.tls.enabled = false;
    repl *r = repl_create(&o, NULL, err, sizeof err);
    ck_assert_ptr_nonnull(r);
    repl_status st;
    repl_status_get(r, &st);
    ck_assert_str_eq(st.master_host, "127.0.0.1");
    ck_assert_int_eq(st.master_port, 6379);
    ck_assert_int_eq(st.last_interaction_s_ago, -1);
    repl_destroy(r);
    ck_assert_str_eq(repl_state_name(REPL_STREAMING), "connected");
    ck_assert_str_eq(repl_state_name(REPL_BACKOFF), "backoff");
}
END_TEST

Suite *ch10_link_suite(void)
{
    Suite *s = suite_create("ch10_link");
    TCase *tc = test_tcase("sync", 120);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, full_sync_from_disk);
    tcase_add_test(tc, full_sync_diskless);
    tcase_add_test(tc, wait_is_answered);
    tcase_add_test(tc, one_byte_per_read);
    tcase_add_test(tc, follow_without_applying);
    suite_add_tcase(s, tc);
    tc = test_tcase("partial", 120);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, partial_after_client_kill);
    tcase_add_test(tc, partial_after_repl_drop);
    tcase_add_test(tc, continue_with_new_id);
    tcase_add_test(tc, second_full_sync_reclaims);
    suite_add_tcase(s, tc);
    tc = test_tcase("auth", 120);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, auth_requirepass);
    tcase_add_test(tc, auth_acl_user);
    tcase_add_test(tc, wrong_password_retries_until_fixed);
    suite_add_tcase(s, tc);
    tc = test_tcase("failures", 120);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, refused_connection);
    tcase_add_test(tc, nomasterlink_then_promoted);
    tcase_add_test(tc, silent_master_times_out);
    tcase_add_test(tc, stop_interrupts_waits);
    tcase_add_test(tc, create_errors);
    suite_add_tcase(s, tc);
    tc = test_tcase("tls", 120);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, tls_sync_and_stream);
    suite_add_tcase(s, tc);
    return s;
}
