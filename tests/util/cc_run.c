/* cc_run.c - the consistency checker's runner: a master, the replica, batches, faults, comparisons.
 * Chapter 12.
 *
 * A run is a loop of four steps: send a batch of the workload to the
 * master, pipelined on one connection; inject the next fault; wait until
 * the replica has applied everything the master has sent (its offset
 * reaches the master's); read both keyspaces through RESP and compare them
 * key by key.  Waiting on offsets rather than on time is what makes a
 * comparison meaningful: once the replica's slave_repl_offset equals the
 * master's master_repl_offset, every write the master made is on the
 * replica, so any difference is a bug, never a race.  The faults cycle in
 * an order drawn from the seed, so a failing run replays exactly.
 *
 * Every process the run starts is stopped on every path out of cc_run():
 * the replica with SIGTERM and then SIGKILL, the master with
 * redis_server_stop() (which the launcher also does at exit).  The replica
 * is started with PR_SET_PDEATHSIG, so even a crash of the checker does not
 * leave it running.
 */
#include "cc_run_private.h"

#include "cc_dump.h"
#include "cc_workload.h"
#include "check_diff.h"
#include "resp_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CC_DATABASES 16   /* both sides' database count (Redis's default) */
#define CC_MAX_DIFFS 20   /* differences printed per comparison */

/* ---- small helpers -------------------------------------------------------- */

void cc_nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

long long cc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t cc_rand(cc_env *env)
{
    uint64_t x = env->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    env->rng = x;
    return x;
}

void cc_log(cc_env *env, const char *fmt, ...)
{
    if (!env->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("cc: ", env->log);
    vfprintf(env->log, fmt, ap);
    fputc('\n', env->log);
    fflush(env->log);
    va_end(ap);
}

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

void cc_add_replica_log(const cc_env *env, char *err, size_t errsz)
{
    char buf[700];
    size_t n = 0;
    FILE *f = fopen(env->replica_log, "r");
    if (f) {
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, size > 600 ? size - 600 : 0, SEEK_SET);
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    size_t used = strlen(err);
    if (used < errsz)
        snprintf(err + used, errsz - used, "; replica log (%s) tail: %s",
                 env->replica_log, buf);
}

int cc_call(int port, char *reply, size_t replysz, const char *arg0, ...)
{
    const char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && argc < 32; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    redis_server rs = {.port = port};
    int fd = redis_server_connect(&rs);
    if (fd < 0) {
        snprintf(reply, replysz, "connect 127.0.0.1:%d: %s", port, strerror(errno));
        return -1;
    }
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int t = redis_command(fd, reply, replysz, argc, argv, NULL);
    close(fd);
    return t;
}

/* ---- the replica process ---------------------------------------------------- */


static int spawn_replica(cc_env *env, const char *store)
{
    char master[64], port[16];
    snprintf(master, sizeof master, "127.0.0.1:%d", env->master.port);
    snprintf(port, sizeof port, "%d", env->replica_port);
    const char *argv[16] = {env->replica_path, "--master", master, "--port", port,
                            "--enable-debug-command", "yes"};
    int argc = 7;
    if (store) {
        argv[argc++] = "--store";
        argv[argc++] = store;
    }
    argv[argc] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(env->replica_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int devnull = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (devnull >= 0)
            dup2(devnull, 0);
        execv(env->replica_path, (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", env->replica_path, strerror(errno));
        _exit(127);
    }
    env->replica_pid = pid;
    return 0;
}

int cc_replica_start(cc_env *env, char *err, size_t errsz)
{
    const cc_state *st = (const cc_state *)env;
    int pick = env->replica_port == 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        if (pick)
            env->replica_port = redis_free_port();
        if (env->replica_port <= 0)
            return failf(err, errsz, "no free port for the replica: %s", strerror(errno));
        if (spawn_replica(env, st->o->store) != 0)
            return failf(err, errsz, "fork: %s", strerror(errno));
        for (int tries = 0; tries < 400; tries++) { /* 20 s */
            int status;
            if (waitpid(env->replica_pid, &status, WNOHANG) == env->replica_pid) {
                env->replica_pid = 0;
                failf(err, errsz, "%s exited at start (status %d)", env->replica_path,
                      status);
                break;
            }
            char reply[64];
            if (cc_call(env->replica_port, reply, sizeof reply, "PING", NULL) == '+')
                return 0;
            cc_nap_ms(50);
        }
        if (env->replica_pid > 0) {
            failf(err, errsz, "%s did not answer PING on port %d", env->replica_path,
                  env->replica_port);
            cc_replica_stop(env, SIGKILL);
            break;
        }
        if (!pick)
            break; /* a port we must keep: no second try elsewhere */
    }
    cc_add_replica_log(env, err, errsz);
    return -1;
}

void cc_replica_stop(cc_env *env, int sig)
{
    if (env->replica_pid <= 0)
        return;
    kill(env->replica_pid, sig);
    for (int i = 0; i < 1000; i++) { /* 10 s */
        int status;
        if (waitpid(env->replica_pid, &status, WNOHANG) == env->replica_pid) {
            env->replica_pid = 0;
            return;
        }
        cc_nap_ms(10);
    }
    kill(env->replica_pid, SIGKILL);
    waitpid(env->replica_pid, NULL, 0);
    env->replica_pid = 0;
}

/* ---- waiting ------------------------------------------------------------------ */

int cc_wait_link(cc_env *env, char *err, size_t errsz)
{
    char status[64] = "", why[300] = "";
    long long end = cc_now_ms() + CC_WAIT_MS;
    while (cc_now_ms() < end) {
        if (cc_info_str(env->replica_port, "replication", "master_link_status", status,
                        sizeof status, why, sizeof why) == 0 &&
            strcmp(status, "up") == 0)
            return 0;
        cc_nap_ms(20);
    }
    failf(err, errsz, "the replica's link did not come up within %d s "
          "(master_link_status:%s%s%s)", CC_WAIT_MS / 1000, status, why[0] ? "; " : "",
          why);
    cc_add_replica_log(env, err, errsz);
    return -1;
}

/* 1 when the replica on port has the link up and its offset at least m. */
static int caught_up(int port, long long m, long long *r, char *status, size_t ssz,
                     char *why, size_t wsz)
{
    return cc_info_ll(port, "replication", "slave_repl_offset", r, why, wsz) == 0 &&
           cc_info_str(port, "replication", "master_link_status", status, ssz, why,
                       wsz) == 0 &&
           *r >= m && strcmp(status, "up") == 0;
}

int cc_wait_caught_up(cc_env *env, char *err, size_t errsz)
{
    const cc_state *st = (const cc_state *)env;
    long long m = -1, r = -1, q = -1;
    char why[300] = "", status[64] = "", ostatus[64] = "";
    if (cc_info_ll(env->master.port, "replication", "master_repl_offset", &m, why,
                   sizeof why) != 0)
        return failf(err, errsz, "master: %s", why);
    long long end = cc_now_ms() + CC_WAIT_MS;
    int ours = 0, oracle = st->oracle.pid <= 0;
    while (cc_now_ms() < end) {
        if (!ours)
            ours = caught_up(env->replica_port, m, &r, status, sizeof status, why,
                             sizeof why);
        if (!oracle)
            oracle = caught_up(st->oracle.port, m, &q, ostatus, sizeof ostatus, why,
                               sizeof why);
        if (ours && oracle)
            return 0;
        cc_nap_ms(10);
    }
    failf(err, errsz, "%s did not catch up within %d s: master_repl_offset %lld, "
          "replica slave_repl_offset %lld (master_link_status:%s), Redis replica "
          "%lld (%s)%s%s", ours ? "the Redis replica" : "the replica",
          CC_WAIT_MS / 1000, m, r, status, q, ostatus, why[0] ? "; " : "", why);
    cc_add_replica_log(env, err, errsz);
    return -1;
}

int cc_master_syncs(cc_env *env, cc_syncs *s, char *err, size_t errsz)
{
    char why[300];
    if (cc_info_ll(env->master.port, "stats", "sync_full", &s->full, why, sizeof why) ||
        cc_info_ll(env->master.port, "stats", "sync_partial_ok", &s->partial_ok, why,
                   sizeof why) ||
        cc_info_ll(env->master.port, "stats", "sync_partial_err", &s->partial_err, why,
                   sizeof why))
        return failf(err, errsz, "master: %s", why);
    return 0;
}

int cc_wait_resync(cc_env *env, const cc_syncs *before, int want_full, int n,
                   char *err, size_t errsz)
{
    cc_syncs now = *before;
    long long end = cc_now_ms() + CC_WAIT_MS;
    while (cc_now_ms() < end) {
        if (cc_master_syncs(env, &now, err, errsz) != 0)
            return -1;
        if (want_full ? now.full >= before->full + n
                      : now.partial_ok >= before->partial_ok + n)
            return cc_wait_link(env, err, errsz);
        cc_nap_ms(20);
    }
    failf(err, errsz, "not %d %s resync%s within %d s: master sync_full %lld -> %lld, "
          "sync_partial_ok %lld -> %lld, sync_partial_err %lld -> %lld", n,
          want_full ? "full" : "partial", n == 1 ? "" : "s", CC_WAIT_MS / 1000,
          before->full, now.full,
          before->partial_ok, now.partial_ok, before->partial_err, now.partial_err);
    cc_add_replica_log(env, err, errsz);
    return -1;
}

/* ---- the master ------------------------------------------------------------------ */

/* Add the master's counts of this life to the report (the oracle's are
 * taken off at the end). */
static int bank_syncs(cc_state *st, char *err, size_t errsz)
{
    cc_syncs s;
    if (cc_master_syncs(&st->env, &s, err, errsz) != 0)
        return -1;
    st->rep->full_syncs += (size_t)s.full;
    st->rep->partial_ok += (size_t)s.partial_ok;
    st->rep->partial_err += (size_t)s.partial_err;
    return 0;
}

int cc_master_restart(cc_env *env, redis_down_how how, char *err, size_t errsz)
{
    cc_state *st = (cc_state *)env;
    if (bank_syncs(st, err, errsz) != 0)
        return -1;
    if (redis_server_down(&env->master, how) != 0)
        return failf(err, errsz, "the master (port %d) did not go down cleanly",
                     env->master.port);
    if (redis_server_restart(&env->master, env->master_args, err, errsz) != 0)
        return -1;
    return 0;
}

int cc_write_filler(cc_env *env, size_t bytes, char *err, size_t errsz)
{
    cc_state *st = (cc_state *)env;
    resp_client c;
    if (cc_client_open(&c, env->master.port, 30000) != 0) {
        failf(err, errsz, "master: %s", c.err);
        resp_client_close(&c);
        return -1;
    }
    size_t vlen = 4096, n = (bytes + vlen - 1) / vlen;
    char *val = malloc(vlen);
    if (!val) {
        resp_client_close(&c);
        return failf(err, errsz, "out of memory");
    }
    int rc = 0;
    const char *sel[2] = {"SELECT", "0"};
    resp_client_send(&c, 2, sel, NULL);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char key[32];
        snprintf(key, sizeof key, "cc:fill:%zu", st->filler % 64);
        memset(val, 'a' + (int)(st->filler % 26), vlen);
        snprintf(val, vlen, "%zu:", st->filler);
        st->filler++;
        const char *argv[3] = {"SET", key, val};
        size_t lens[3] = {3, strlen(key), vlen};
        if (resp_client_send(&c, 3, argv, lens) != 0)
            rc = failf(err, errsz, "out of memory");
    }
    for (size_t i = 0; i < n + 1 && rc == 0; i++) {
        resp_value v = {0};
        if (resp_client_reply(&c, &v) != 0)
            rc = failf(err, errsz, "master: filler: %s", c.err);
        else if (v.type == RESP_ERROR)
            rc = failf(err, errsz, "master: filler: %s", v.str);
        resp_value_clear(&v);
    }
    free(val);
    resp_client_close(&c);
    return rc;
}

/* ---- comparing ---------------------------------------------------------------- */

typedef struct diff_ctx {
    cc_state *st;
    const cc_dump *oracle;  /* the Redis replica's keys, or NULL */
    size_t shown;
    size_t real;            /* differences the Redis replica does not share */
} diff_ctx;

/* The oracle's record of (db, key), or NULL (check_key_order() ignores
 * every field but db and key). */
static const check_key *oracle_find(const cc_dump *o, const check_key *k)
{
    if (!o || o->n == 0)
        return NULL;
    return bsearch(k, o->keys, o->n, sizeof *o->keys, check_key_order);
}

static void on_diff(const check_key *m, const check_key *r, check_verdict v,
                    const char *why, void *arg)
{
    (void)v;
    diff_ctx *d = arg;
    if (d->oracle) {
        /* Does the Redis replica hold what the master holds?  If not, the
         * master's value is not what its stream makes of it (Redis's own
         * propagation), and what the stream makes of it is what the Redis
         * replica holds: build/replica must hold that, or it differs from
         * both. */
        const check_key *k = m ? m : r;
        const check_key *o = oracle_find(d->oracle, k);
        long long tol = d->st->o->ttl_tol_ms;
        if ((m != NULL || o != NULL) && check_key_compare(m, o, tol, NULL, 0) != CHECK_SAME &&
            check_key_compare(o, r, tol, NULL, 0) == CHECK_SAME) {
            d->st->rep->redis_divergences++;
            cc_log(&d->st->env, "redis divergence (the Redis replica differs from "
                   "the master the same way): %s", why);
            return;
        }
    }
    d->real++;
    if (d->shown++ < CC_MAX_DIFFS)
        cc_log(&d->st->env, "DIFFERENCE %s", why);
    else if (d->shown == CC_MAX_DIFFS + 1)
        cc_log(&d->st->env, "(more differences not shown)");
}

/* Dump both sides and compare; adds to the report. */
static int compare(cc_state *st, const char *when, char *err, size_t errsz)
{
    cc_dump m = {0}, r = {0}, o = {0};
    char why[600];
    if (cc_dump_read(st->env.master.port, CC_DATABASES, &m, why, sizeof why) != 0)
        return failf(err, errsz, "reading the master (%s): %s", when, why);
    if (cc_dump_read(st->env.replica_port, CC_DATABASES, &r, why, sizeof why) != 0) {
        cc_dump_free(&m);
        failf(err, errsz, "reading the replica (%s): %s", when, why);
        cc_add_replica_log(&st->env, err, errsz);
        return -1;
    }
    if (st->oracle.pid > 0 &&
        cc_dump_read(st->oracle.port, CC_DATABASES, &o, why, sizeof why) != 0) {
        cc_dump_free(&m);
        cc_dump_free(&r);
        return failf(err, errsz, "reading the Redis replica (%s): %s", when, why);
    }
    diff_ctx d = {.st = st, .oracle = st->oracle.pid > 0 ? &o : NULL};
    check_keys_diff(m.keys, m.n, r.keys, r.n, st->o->ttl_tol_ms, on_diff, &d);
    size_t nd = d.real;
    st->rep->comparisons++;
    st->rep->keys_compared += m.n;
    st->rep->differences += nd;
    cc_log(&st->env, "compare %s: %zu keys on the master, %zu on the replica, "
           "%zu difference%s", when, m.n, r.n, nd, nd == 1 ? "" : "s");
    cc_dump_free(&m);
    cc_dump_free(&r);
    cc_dump_free(&o);
    return 0;
}

/* ---- what the replica noticed -------------------------------------------------- */

/* Log every line of the replica's log since the last look that says it
 * refused a command its master sent (it then drops the link and resyncs:
 * the copies had diverged).  \return how many. */
static size_t scan_refusals(cc_state *st)
{
    FILE *f = fopen(st->env.replica_log, "r");
    if (!f)
        return 0;
    size_t n = 0;
    char line[1024];
    if (fseek(f, st->log_pos, SEEK_SET) == 0) {
        while (fgets(line, sizeof line, f)) {
            if (strstr(line, " refused: ")) {
                line[strcspn(line, "\n")] = '\0';
                if (n++ < CC_MAX_DIFFS)
                    cc_log(&st->env, "DIFFERENCE the replica refused a command: %s", line);
            }
        }
        st->log_pos = ftell(f);
    }
    fclose(f);
    return n;
}

/* The master's resync counts must not have moved since `was` (nothing but
 * a fault may cause a resync); a move is a difference.  \return 0, or -1
 * if the counts cannot be read. */
static int check_no_resync(cc_state *st, const cc_syncs *was, const char *when,
                           char *err, size_t errsz)
{
    cc_syncs now;
    if (cc_master_syncs(&st->env, &now, err, errsz) != 0)
        return -1;
    size_t refused = scan_refusals(st);
    if (now.full != was->full || now.partial_ok != was->partial_ok) {
        cc_log(&st->env, "DIFFERENCE %s: resyncs no fault asked for: sync_full %lld -> "
               "%lld, sync_partial_ok %lld -> %lld", when, was->full, now.full,
               was->partial_ok, now.partial_ok);
        st->rep->differences++;
    }
    st->rep->differences += refused;
    return 0;
}

/* ---- the batch -------------------------------------------------------------------- */

/* With CC_TRACE=FILE in the environment, every op sent is appended to
 * FILE, one per line, arguments escaped: what to replay by hand. */
static void trace_ops(const cc_op *ops, size_t n)
{
    const char *path = getenv("CC_TRACE");
    FILE *f = path && *path ? fopen(path, "a") : NULL;
    if (!f)
        return;
    for (size_t i = 0; i < n; i++) {
        for (size_t a = 0; a < ops[i].argc; a++) {
            fputs(a ? " \"" : "\"", f);
            for (size_t k = 0; k < ops[i].lens[a] && k < 200; k++) {
                unsigned char ch = (unsigned char)ops[i].argv[a][k];
                if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
                    fputc(ch, f);
                else
                    fprintf(f, "\\x%02x", ch);
            }
            fputs(ops[i].lens[a] > 200 ? "...\"" : "\"", f);
        }
        fputc('\n', f);
    }
    fclose(f);
}

static int send_batch(cc_state *st, resp_client *c, const cc_op *ops, size_t n,
                      char *err, size_t errsz)
{
    trace_ops(ops, n);
    for (size_t i = 0; i < n; i++)
        if (resp_client_send(c, ops[i].argc, (const char *const *)ops[i].argv,
                             ops[i].lens) != 0)
            return failf(err, errsz, "out of memory");
    for (size_t i = 0; i < n; i++) {
        resp_value v = {0};
        if (resp_client_reply(c, &v) != 0)
            return failf(err, errsz, "master: reply to op %zu (%.*s): %s", i,
                         (int)(ops[i].lens[0] < 32 ? ops[i].lens[0] : 32),
                         ops[i].argv[0], c->err);
        if (v.type == RESP_ERROR) {
            if (ops[i].flags & CC_OP_MAY_FAIL) {
                st->rep->errors_expected++;
            } else {
                if (st->rep->errors_unexpected++ < 5)
                    cc_log(&st->env, "unexpected error reply to %.*s (%s): %s",
                           (int)(ops[i].lens[0] < 32 ? ops[i].lens[0] : 32),
                           ops[i].argv[0], ops[i].family, v.str);
            }
        }
        resp_value_clear(&v);
        st->rep->ops++;
    }
    return 0;
}

/* (Re)connect to the master and select the workload's database. */
static int master_conn(cc_state *st, resp_client *c, int db, char *err, size_t errsz)
{
    if (c->fd >= 0)
        return 0;
    resp_client_close(c);
    if (cc_client_open(c, st->env.master.port, 60000) != 0) {
        failf(err, errsz, "master: %s", c->err);
        resp_client_close(c);
        return -1;
    }
    char dbs[16];
    snprintf(dbs, sizeof dbs, "%d", db);
    resp_value v = {0};
    int rc = 0;
    if (resp_client_calll(c, &v, "SELECT", dbs, NULL) != 0 || v.type != RESP_SIMPLE)
        rc = failf(err, errsz, "master: SELECT %d: %s", db,
                   v.type == RESP_ERROR ? v.str : c->err);
    resp_value_clear(&v);
    return rc;
}

/* ---- the run ------------------------------------------------------------------------ */

void cc_run_opts_default(cc_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->ops = 3000;
    o->replica_path = "build/replica";
    o->big = 1;
    o->ttl_tol_ms = 2000;
}

static const char *const master_args[] = {
    "--enable-debug-command", "yes",
    "--repl-backlog-size", "1mb",
    "--repl-diskless-sync-delay", "0",
    /* the oracle's user: its link is not build/replica's */
    "--user", CC_ORACLE_USER, "on", "nopass", "~*", "&*", "+@all",
    NULL,
};

/* Start the Redis replica beside build/replica and wait for its link. */
static int start_oracle(cc_state *st, char *err, size_t errsz)
{
    char port[16];
    snprintf(port, sizeof port, "%d", st->env.master.port);
    const char *args[] = {"--replicaof", "127.0.0.1", port, "--masteruser",
                          CC_ORACLE_USER, "--masterauth", "any", NULL};
    if (redis_server_start(&st->oracle, args, err, errsz) != 0)
        return -1;
    st->oracle_full = 1;
    char status[64] = "", why[300] = "";
    long long end = cc_now_ms() + CC_WAIT_MS;
    while (cc_now_ms() < end) {
        if (cc_info_str(st->oracle.port, "replication", "master_link_status", status,
                        sizeof status, why, sizeof why) == 0 && !strcmp(status, "up"))
            return 0;
        cc_nap_ms(20);
    }
    return failf(err, errsz, "the Redis replica's link did not come up within %d s "
                 "(master_link_status:%s)", CC_WAIT_MS / 1000, status);
}

int cc_run(const cc_run_opts *o, cc_report *rep, char *err, size_t errsz)
{
    memset(rep, 0, sizeof *rep);
    err[0] = '\0';
    const cc_fault *faults = o->faults ? o->faults : cc_faults;
    size_t nf = o->faults ? o->nfaults : 0;
    if (!o->faults)
        while (cc_faults[nf].name)
            nf++;
    if (nf > CC_FAULTS_MAX)
        return failf(err, errsz, "%zu faults: at most %d", nf, CC_FAULTS_MAX);
    size_t batch = o->batch ? o->batch : (o->ops / 10 ? o->ops / 10 : 1);

    cc_state *st = calloc(1, sizeof *st);
    if (!st)
        return failf(err, errsz, "out of memory");
    st->rep = rep;
    st->o = o;
    cc_env *env = &st->env;
    env->master_args = master_args;
    env->replica_path = o->replica_path ? o->replica_path : "build/replica";
    env->rng = o->seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    if (!env->rng)
        env->rng = 1;
    env->log = o->log;

    int rc = -1;
    cc_workload *w = NULL;
    resp_client mc = {.fd = -1};
    size_t order[CC_FAULTS_MAX];
    int master_up = 0;

    if (access(env->replica_path, X_OK) != 0) {
        failf(err, errsz, "replica program %s: %s (make %s)", env->replica_path,
              strerror(errno), env->replica_path);
        goto out;
    }
    if (redis_server_start(&env->master, master_args, err, errsz) != 0)
        goto out;
    master_up = 1;
    snprintf(env->replica_log, sizeof env->replica_log, "%s/replica.log",
             env->master.dir);
    if (start_oracle(st, err, errsz) != 0 || cc_replica_start(env, err, errsz) != 0 ||
        cc_wait_link(env, err, errsz) != 0)
        goto out;
    cc_log(env, "seed %llu: master on port %d, replica %s on port %d (log %s)",
           (unsigned long long)o->seed, env->master.port, env->replica_path,
           env->replica_port, env->replica_log);

    cc_workload_opts wo;
    cc_workload_opts_default(&wo);
    wo.big = o->big;
    w = cc_workload_new(o->seed, &wo);
    if (!w) {
        failf(err, errsz, "out of memory");
        goto out;
    }
    /* The fault order: a permutation drawn from the seed, cycled. */
    for (size_t i = 0; i < nf; i++)
        order[i] = i;
    for (size_t i = nf; i > 1; i--) {
        size_t j = (size_t)(cc_rand(env) % i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }

    size_t sent = 0, step = 0;
    while (sent < o->ops) {
        size_t want = o->ops - sent < batch ? o->ops - sent : batch;
        const cc_op *ops;
        size_t nops;
        int db = cc_workload_db(w);
        if (cc_workload_batch(w, want, &ops, &nops) != 0) {
            failf(err, errsz, "out of memory in the workload");
            goto out;
        }
        cc_syncs was;
        if (master_conn(st, &mc, db, err, errsz) != 0 ||
            cc_master_syncs(env, &was, err, errsz) != 0 ||
            send_batch(st, &mc, ops, nops, err, errsz) != 0)
            goto out;
        sent += nops;
        char when[64];
        snprintf(when, sizeof when, "after %zu ops", sent);
        /* the batch applied: any resync so far is the batch's doing */
        if (cc_wait_caught_up(env, err, errsz) != 0 ||
            check_no_resync(st, &was, when, err, errsz) != 0)
            goto out;
        if (rep->differences)
            break;
        if (nf > 0) {
            size_t fi = order[step % nf];
            const cc_fault *f = &faults[fi];
            cc_log(env, "fault %zu: %s (after %zu ops)", step + 1, f->name, sent);
            /* A restart of the master drops this connection: reopen it. */
            resp_client_close(&mc);
            mc.fd = -1;
            if (f->inject(env, err, errsz) != 0) {
                char tmp[1024];
                snprintf(tmp, sizeof tmp, "%s", err);
                failf(err, errsz, "fault %s: %s", f->name, tmp);
                goto out;
            }
            rep->faults++;
            rep->fault_counts[fi]++;
            step++;
            st->log_pos = 0; /* refusals during a fault are its business */
            FILE *lf = fopen(env->replica_log, "r");
            if (lf) {
                fseek(lf, 0, SEEK_END);
                st->log_pos = ftell(lf);
                fclose(lf);
            }
        }
        cc_syncs after_fault;
        if (cc_master_syncs(env, &after_fault, err, errsz) != 0 ||
            cc_wait_caught_up(env, err, errsz) != 0 || compare(st, when, err, errsz) != 0 ||
            check_no_resync(st, &after_fault, when, err, errsz) != 0)
            goto out;
        if (rep->differences)
            break; /* the first difference is the one to look at */
    }
    if (!rep->differences) {
        if (cc_wait_caught_up(env, err, errsz) != 0 || compare(st, "at the end", err, errsz) != 0)
            goto out;
    }
    if (env->log) {
        fprintf(env->log, "cc: ops per family:\n");
        cc_workload_print_stats(w, env->log);
    }
    rc = 0;
out:
    if (master_up && env->master.pid > 0) {
        char why[300];
        if (bank_syncs(st, why, sizeof why) != 0 && rc == 0) {
            failf(err, errsz, "%s", why);
            rc = -1;
        }
    }
    /* the oracle's own syncs are not build/replica's */
    rep->full_syncs -= rep->full_syncs >= st->oracle_full ? st->oracle_full : rep->full_syncs;
    rep->partial_ok -= rep->partial_ok >= st->oracle_partial ? st->oracle_partial
                                                             : rep->partial_ok;
    resp_client_close(&mc);
    cc_workload_free(w);
    cc_replica_stop(env, SIGTERM);
    if (st->oracle.pid > 0 || st->oracle.dir[0])
        redis_server_stop(&st->oracle);
    if (master_up) {
        if ((rc != 0 || rep->differences) && env->log) {
            /* keep the replica's log for a look */
            char keep[600];
            const char *tmp = getenv("TMPDIR");
            snprintf(keep, sizeof keep, "%s/check-consistency-seed%llu-replica.log",
                     tmp && *tmp ? tmp : "/tmp", (unsigned long long)o->seed);
            if (rename(env->replica_log, keep) == 0)
                cc_log(env, "replica log kept: %s", keep);
        }
        unlink(env->replica_log);
        redis_server_stop(&env->master);
    }
    free(st);
    return rc;
}

void cc_report_print(const cc_report *rep, FILE *out)
{
    fprintf(out, "  ops %zu (error replies: %zu expected, %zu unexpected)\n", rep->ops,
            rep->errors_expected, rep->errors_unexpected);
    fprintf(out, "  faults %zu\n", rep->faults);
    fprintf(out, "  resyncs on the master: %zu full, %zu partial (%zu partial refused)\n",
            rep->full_syncs, rep->partial_ok, rep->partial_err);
    fprintf(out, "  comparisons %zu, keys compared %zu, differences %zu (and %zu "
            "Redis divergences: keys where Redis's own replica differs from the "
            "master as this one does)\n", rep->comparisons, rep->keys_compared, rep->differences,
            rep->redis_divergences);
}
