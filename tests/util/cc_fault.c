/* cc_fault.c - the consistency checker's faults: what each does to the link, and the effect it checks.
 * Chapter 12.
 *
 * A fault is only worth running if it did what it claims: a link kill that
 * the master answered with a full resync exercises the full-sync path, not
 * the partial one.  So every fault reads the master's resync counts
 * (INFO stats sync_full, sync_partial_ok) before, injects, waits for the
 * resync it expects, and fails the run with both counts when the other
 * kind (or none) happened.  The data itself is checked by the comparison
 * the runner makes after every fault.
 *
 * The replica's side of each fault, in chapter 10's link (src/repl_*.c):
 * link-kill and backlog-small end the stream (repl_follow.c) and send the
 * replica back through the handshake (repl_handshake.c), which asks PSYNC
 * with its replication ID and offset: +CONTINUE keeps the keyspace and the
 * offset (link-kill), +FULLRESYNC loads a fresh snapshot (repl_fullsync.c)
 * and swaps it in (backlog-small, whose offset left the backlog).
 * master-restart-dump is +CONTINUE with a new replication ID, which the
 * replica must adopt for its next PSYNC; master-restart-lost is a master
 * behind its replica, whose only answer is a full resync that drops the
 * writes it lost.  master-stall is a silent master within repl-timeout:
 * the link must wait, not reconnect.  replica-restart starts from nothing
 * (PSYNC ? -1).  replica-pause makes the stream arrive late, so expiries
 * are applied after their time (cmd_options.replica).  slow-reader holds a
 * read section while the stream applies: the writer must never wait for
 * a reader (chapter 3's grace periods, the stores of chapters 5 and 8).
 */
#include "cc_run_private.h"

#include "cc_dump.h"
#include "resp_client.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int failf(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int failf(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -1;
}

/* Fail unless exactly the expected kind of resync happened since before. */
static int expect(cc_env *env, const cc_syncs *before, int full, int partial,
                  const char *what, char *err, size_t errsz)
{
    cc_syncs now;
    if (cc_master_syncs(env, &now, err, errsz) != 0)
        return -1;
    long long df = now.full - before->full, dp = now.partial_ok - before->partial_ok;
    if (df != full || dp != partial) {
        failf(err, errsz, "%s: expected %s full and %s partial resync, the master "
              "counted %lld full and %lld partial (%lld refused); a resync nobody "
              "asked for means the replica dropped its link", what,
              full > 0 ? "a" : "no", partial > 0 ? "a" : "no", df, dp,
              now.partial_err - before->partial_err);
        cc_add_replica_log(env, err, errsz);
        return -1;
    }
    cc_log(env, "  %s: %lld full, %lld partial resync%s", what, df, dp, dp == 1 ? "" : "s");
    return 0;
}

/* Write one command now without waiting for its reply (which then is the
 * client's next one): resp_client_reply() would flush and block for it. */
static int send_now(resp_client *c, size_t argc, const char *const *argv, char *err,
                    size_t errsz)
{
    if (resp_client_send(c, argc, argv, NULL) != 0)
        return failf(err, errsz, "out of memory");
    size_t off = 0;
    while (off < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return failf(err, errsz, "sending %s: %s", argv[0], strerror(errno));
        }
        off += (size_t)n;
    }
    c->out.len = 0; /* resp_client_send() counted the reply as pending */
    return 0;
}

/* CLIENT KILL USER default TYPE replica: build/replica's link (the Redis
 * replica beside it connects as CC_ORACLE_USER and keeps its own). */
static int kill_link(cc_env *env, char *err, size_t errsz)
{
    char reply[128];
    int t = cc_call(env->master.port, reply, sizeof reply, "CLIENT", "KILL", "USER",
                    "default", "TYPE", "replica", NULL);
    if (t != ':' || strcmp(reply, "0") == 0)
        return failf(err, errsz, "CLIENT KILL TYPE replica on the master: %s (no "
                     "replica connection to kill)", t < 0 ? "no reply" : reply);
    return 0;
}

static int link_kill(cc_env *env, char *err, size_t errsz)
{
    cc_syncs before;
    if (cc_master_syncs(env, &before, err, errsz) != 0 ||
        kill_link(env, err, errsz) != 0 ||
        cc_wait_resync(env, &before, 0, 1, err, errsz) != 0)
        return -1;
    return expect(env, &before, 0, 1, "link-kill", err, errsz);
}

/* DEBUG SLEEP on the master while a pipeline of writes queues behind it. */
static int master_stall(cc_env *env, char *err, size_t errsz)
{
    cc_syncs before;
    if (cc_master_syncs(env, &before, err, errsz) != 0)
        return -1;
    resp_client s;
    if (cc_client_open(&s, env->master.port, 30000) != 0) {
        failf(err, errsz, "master: %s", s.err);
        resp_client_close(&s);
        return -1;
    }
    const char *argv[3] = {"DEBUG", "SLEEP", "1.5"};
    resp_value v = {0};
    int rc = 0;
    long long t0 = cc_now_ms();
    if (send_now(&s, 3, argv, err, errsz) != 0)
        rc = -1;
    if (rc == 0) {
        cc_nap_ms(100); /* let the master start sleeping */
        if (cc_write_filler(env, 64 * 1024, err, errsz) != 0)
            rc = -1;
    }
    if (rc == 0 && (resp_client_reply(&s, &v) != 0 || v.type != RESP_SIMPLE))
        rc = failf(err, errsz, "DEBUG SLEEP 1.5 on the master: %s",
                   v.type == RESP_ERROR ? v.str : s.err);
    long long slept = cc_now_ms() - t0;
    resp_value_clear(&v);
    resp_client_close(&s);
    if (rc != 0)
        return -1;
    cc_log(env, "  master-stall: the master slept, writes answered after %lld ms", slept);
    if (cc_wait_caught_up(env, err, errsz) != 0)
        return -1;
    return expect(env, &before, 0, 0, "master-stall", err, errsz);
}

/* SHUTDOWN SAVE and a restart from that dump: the master knows the old
 * replication ID as replid2 and accepts the replica's PSYNC. */
static int master_restart_dump(cc_env *env, char *err, size_t errsz)
{
    if (cc_wait_caught_up(env, err, errsz) != 0 ||
        cc_master_restart(env, REDIS_DOWN_SAVE, err, errsz) != 0)
        return -1;
    /* both replicas continue: build/replica and the Redis one */
    ((cc_state *)env)->oracle_partial++;
    cc_syncs zero = {0, 0, 0};
    if (cc_wait_resync(env, &zero, 0, 2, err, errsz) != 0)
        return -1;
    return expect(env, &zero, 0, 2, "master-restart-dump", err, errsz);
}

/* A dump, more writes, then SIGKILL: the master comes back from the older
 * dump, behind the replica, and only a full resync can agree again. */
static int master_restart_lost(cc_env *env, char *err, size_t errsz)
{
    char reply[128];
    if (cc_call(env->master.port, reply, sizeof reply, "SAVE", NULL) != '+')
        return failf(err, errsz, "SAVE on the master: %s", reply);
    if (cc_write_filler(env, 32 * 1024, err, errsz) != 0 ||
        cc_wait_caught_up(env, err, errsz) != 0 ||
        cc_master_restart(env, REDIS_DOWN_KILL, err, errsz) != 0)
        return -1;
    ((cc_state *)env)->oracle_full++;
    cc_syncs zero = {0, 0, 0};
    if (cc_wait_resync(env, &zero, 1, 2, err, errsz) != 0)
        return -1;
    return expect(env, &zero, 2, 0, "master-restart-lost", err, errsz);
}

/* A 16 KB backlog and 200 KB written while the replica is stopped and its
 * link killed: its PSYNC offset has left the backlog, so a full resync. */
static int backlog_small(cc_env *env, char *err, size_t errsz)
{
    cc_syncs before;
    char reply[128];
    if (cc_wait_caught_up(env, err, errsz) != 0 ||
        cc_master_syncs(env, &before, err, errsz) != 0)
        return -1;
    if (cc_call(env->master.port, reply, sizeof reply, "CONFIG", "SET",
                "repl-backlog-size", "16384", NULL) != '+')
        return failf(err, errsz, "CONFIG SET repl-backlog-size 16384: %s", reply);
    int rc = 0;
    if (kill(env->replica_pid, SIGSTOP) != 0)
        rc = failf(err, errsz, "SIGSTOP the replica: %s", strerror(errno));
    if (rc == 0 && (kill_link(env, err, errsz) != 0 ||
                    cc_write_filler(env, 200 * 1024, err, errsz) != 0))
        rc = -1;
    kill(env->replica_pid, SIGCONT);
    if (rc == 0 && cc_wait_resync(env, &before, 1, 1, err, errsz) != 0)
        rc = -1;
    if (cc_call(env->master.port, reply, sizeof reply, "CONFIG", "SET",
                "repl-backlog-size", "1mb", NULL) != '+' && rc == 0)
        rc = failf(err, errsz, "CONFIG SET repl-backlog-size 1mb: %s", reply);
    if (rc != 0)
        return -1;
    return expect(env, &before, 1, 0, "backlog-small", err, errsz);
}

/* SIGKILL the replica and start it again on its port: it has nothing, so
 * a full sync. */
static int replica_restart(cc_env *env, char *err, size_t errsz)
{
    cc_syncs before;
    if (cc_master_syncs(env, &before, err, errsz) != 0)
        return -1;
    cc_replica_stop(env, SIGKILL);
    if (cc_replica_start(env, err, errsz) != 0 ||
        cc_wait_resync(env, &before, 1, 1, err, errsz) != 0)
        return -1;
    return expect(env, &before, 1, 0, "replica-restart", err, errsz);
}

/* DEBUG SLEEP on the replica holds a read section for seconds; the link
 * must keep applying meanwhile. */
static int slow_reader(cc_env *env, char *err, size_t errsz)
{
    cc_syncs before;
    if (cc_wait_caught_up(env, err, errsz) != 0 ||
        cc_master_syncs(env, &before, err, errsz) != 0)
        return -1;
    resp_client s;
    if (cc_client_open(&s, env->replica_port, 30000) != 0) {
        failf(err, errsz, "replica: %s", s.err);
        resp_client_close(&s);
        return -1;
    }
    const char *argv[3] = {"DEBUG", "SLEEP", "3"};
    resp_value v = {0};
    int rc = 0;
    if (send_now(&s, 3, argv, err, errsz) != 0)
        rc = -1;
    if (rc == 0) {
        cc_nap_ms(200); /* let the replica start sleeping */
        if (cc_write_filler(env, 16 * 1024, err, errsz) != 0 ||
            cc_wait_caught_up(env, err, errsz) != 0)
            rc = -1;
    }
    if (rc == 0) {
        /* Caught up: the sleep's reply must still be pending, or the link
         * only applied once the reader let go. */
        struct pollfd p = {.fd = s.fd, .events = POLLIN};
        if (poll(&p, 1, 0) != 0)
            rc = failf(err, errsz, "slow-reader: the replica caught up only after "
                       "DEBUG SLEEP 3 had answered: the reader held up the link "
                       "(expected of a store whose readers block the writer: "
                       "naive, rwlock, rwlock-rp, striped), or the sleep did not "
                       "sleep");
    }
    if (rc == 0 && (resp_client_reply(&s, &v) != 0 || v.type != RESP_SIMPLE))
        rc = failf(err, errsz, "DEBUG SLEEP 3 on the replica: %s",
                   v.type == RESP_ERROR ? v.str : s.err);
    resp_value_clear(&v);
    resp_client_close(&s);
    if (rc != 0)
        return -1;
    return expect(env, &before, 0, 0, "slow-reader", err, errsz);
}

/* SIGSTOP the replica while the master gives keys 50 ms to live and then
 * renames and increments them: the replica applies each PEXPIREAT after
 * its time, and must still find the keys for the RENAME and INCR that
 * follow (a Redis replica keeps them until the master's DEL). */
static int replica_pause(cc_env *env, char *err, size_t errsz)
{
    cc_syncs before;
    if (cc_wait_caught_up(env, err, errsz) != 0 ||
        cc_master_syncs(env, &before, err, errsz) != 0)
        return -1;
    if (kill(env->replica_pid, SIGSTOP) != 0)
        return failf(err, errsz, "SIGSTOP the replica: %s", strerror(errno));
    resp_client c;
    int rc = 0;
    if (cc_client_open(&c, env->master.port, 30000) != 0)
        rc = failf(err, errsz, "master: %s", c.err);
    size_t sent = 0;
    for (int i = 0; rc == 0 && i < 20; i++) {
        char k[32], k2[32];
        snprintf(k, sizeof k, "cc:lag:%d", i);
        snprintf(k2, sizeof k2, "cc:lag2:%d", i);
        const char *a1[] = {"SET", k, "1"}, *a2[] = {"PEXPIRE", k, "50"},
                   *a3[] = {"RENAME", k, k2}, *a4[] = {"INCR", k2};
        if (resp_client_send(&c, 3, a1, NULL) || resp_client_send(&c, 3, a2, NULL) ||
            resp_client_send(&c, 3, a3, NULL) || resp_client_send(&c, 2, a4, NULL))
            rc = failf(err, errsz, "out of memory");
        sent += 4;
    }
    for (size_t i = 0; rc == 0 && i < sent; i++) {
        resp_value v = {0};
        if (resp_client_reply(&c, &v) != 0 || v.type == RESP_ERROR)
            rc = failf(err, errsz, "master: %s", v.type == RESP_ERROR ? v.str : c.err);
        resp_value_clear(&v);
    }
    resp_client_close(&c);
    cc_nap_ms(300); /* every expiry is past when the replica wakes */
    kill(env->replica_pid, SIGCONT);
    if (rc != 0 || cc_wait_caught_up(env, err, errsz) != 0)
        return -1;
    return expect(env, &before, 0, 0, "replica-pause", err, errsz);
}

/* [ch12-faults] */
const cc_fault cc_faults[] = {
    {"link-kill", "CLIENT KILL (USER default) TYPE replica on the master: the replica reconnects "
     "and continues with a partial resync", link_kill},
    {"master-stall", "DEBUG SLEEP 1.5 on the master while writes queue behind it: "
     "the link stays up, no resync", master_stall},
    {"master-restart-dump", "SHUTDOWN SAVE and a restart from that dump: new "
     "replication ID, partial resync through replid2", master_restart_dump},
    {"master-restart-lost", "SAVE, more writes, SIGKILL, restart from the older "
     "dump: the master is behind the replica, full resync", master_restart_lost},
    {"backlog-small", "a 16 KB backlog, the replica stopped and its link killed, "
     "200 KB written: its offset left the backlog, full resync", backlog_small},
    {"replica-restart", "SIGKILL the replica and start it again on its port: full "
     "sync", replica_restart},
    {"slow-reader", "DEBUG SLEEP 3 on the replica holds a read section while the "
     "master writes: the link keeps applying", slow_reader},
    {"replica-pause", "SIGSTOP the replica while keys get 50 ms to live and are "
     "renamed: expiries applied late must keep the keys, no resync", replica_pause},
    {NULL, NULL, NULL},
};
/* [ch12-faults] */
