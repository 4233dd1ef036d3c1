/* fault_ex.c - exercise 12.2, solved: a fault kind, a full resync sent
 * from disk with its length (see fault_ex.h). */
#include "fault_ex.h"

#include "cc_dump.h"
#include "resp_client.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/** The settings the fault changes, in the order it reads and restores them. */
static const char *const settings[CC_DISK_NSETTINGS] = {"repl-diskless-sync",
                                                         "repl-backlog-size"};
/** What it sets them to. */
static const char *const forced[CC_DISK_NSETTINGS] = {"no", "16384"};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* CONFIG GET name into out; 0 or -1 with err set. */
static int config_get(resp_client *c, const char *name, char *out, size_t outsz,
                      char *err, size_t errsz)
{
    resp_value v = {0};
    int rc = -1;
    if (resp_client_calll(c, &v, "CONFIG", "GET", name, NULL) != 0)
        snprintf(err, errsz, "disk-resync: CONFIG GET %s: %s", name, c->err);
    else if (v.type != RESP_ARRAY || v.len != 2 || v.elems[1].type != RESP_BULK)
        snprintf(err, errsz, "disk-resync: CONFIG GET %s: %s", name,
                 v.type == RESP_ERROR ? v.str : "not a name and a value");
    else {
        snprintf(out, outsz, "%s", v.elems[1].str);
        rc = 0;
    }
    resp_value_clear(&v);
    return rc;
}

/* CONFIG SET name value; 0 or -1 with err set. */
static int config_set(resp_client *c, const char *name, const char *value,
                      char *err, size_t errsz)
{
    resp_value v = {0};
    int rc = -1;
    if (resp_client_calll(c, &v, "CONFIG", "SET", name, value, NULL) != 0)
        snprintf(err, errsz, "disk-resync: CONFIG SET %s %s: %s", name, value,
                 c->err);
    else if (v.type != RESP_SIMPLE)
        snprintf(err, errsz, "disk-resync: CONFIG SET %s %s: %s", name, value,
                 v.type == RESP_ERROR ? v.str : "unexpected reply");
    else
        rc = 0;
    resp_value_clear(&v);
    return rc;
}

/* Write about 200 KB to the master: 50 SETs of 4 KB values, pipelined. */
static int write_past_backlog(resp_client *c, char *err, size_t errsz)
{
    enum { N = 50, VLEN = 4096 };
    static char val[VLEN + 1];
    memset(val, 'd', VLEN);
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof key, "cc:disk:%d", i);
        const char *argv[3] = {"SET", key, val};
        if (resp_client_send(c, 3, argv, NULL) != 0) {
            snprintf(err, errsz, "disk-resync: out of memory");
            return -1;
        }
    }
    for (int i = 0; i < N; i++) {
        resp_value v = {0};
        int bad = resp_client_reply(c, &v) != 0 || v.type != RESP_SIMPLE;
        if (bad)
            snprintf(err, errsz, "disk-resync: SET number %d on the master: %s",
                     i + 1, v.type == RESP_ERROR ? v.str : c->err);
        resp_value_clear(&v);
        if (bad)
            return -1;
    }
    return 0;
}

/* Whether the master's log, from byte `from` on, holds `line`; -1 when it
 * cannot be read. */
static int log_has(const char *path, long from, const char *line)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int found = 0;
    char buf[1024];
    if (fseek(f, from, SEEK_SET) == 0)
        while (!found && fgets(buf, sizeof buf, f) != NULL)
            found = strstr(buf, line) != NULL;
    fclose(f);
    return found;
}

/* Step 4: until sync_full passes `before` and the replica's link is up. */
static int wait_resync(cc_env *env, long long before, long long *after, char *err,
                       size_t errsz)
{
    char link[32] = "", why[256] = "";
    long long end = now_ms() + CC_DISK_WAIT_MS;
    for (;;) {
        /* both every time, so a timeout reports both */
        int full = cc_info_ll(env->master.port, "stats", "sync_full", after, why,
                              sizeof why) == 0 && *after > before;
        int up = cc_info_str(env->replica_port, "replication", "master_link_status",
                             link, sizeof link, why, sizeof why) == 0 &&
                 strcmp(link, "up") == 0;
        if (full && up)
            return 0;
        if (now_ms() >= end) {
            snprintf(err, errsz, "disk-resync: after %d ms, sync_full went from "
                     "%lld to %lld and the replica's link is \"%s\" (%s)",
                     CC_DISK_WAIT_MS, before, *after, link, why);
            return -1;
        }
        nap_ms(20);
    }
}

int cc_fault_disk_resync(cc_env *env, char *err, size_t errsz)
{
    char saved[CC_DISK_NSETTINGS][64], logpath[300];
    long long full_before = 0, full_after = 0;
    int rc = -1, nset = 0, stopped = 0;
    long log_from = 0;
    resp_client c;
    resp_value v = {0};

    /* 1: what the master has now */
    if (cc_client_open(&c, env->master.port, 30000) != 0) {
        snprintf(err, errsz, "disk-resync: cannot connect to the master on port "
                 "%d: %s", env->master.port, c.err);
        resp_client_close(&c);
        return -1;
    }
    for (int i = 0; i < CC_DISK_NSETTINGS; i++)
        if (config_get(&c, settings[i], saved[i], sizeof saved[i], err, errsz) != 0)
            goto out;
    if (cc_info_ll(env->master.port, "stats", "sync_full", &full_before, err,
                   errsz) != 0)
        goto out;
    snprintf(logpath, sizeof logpath, "%s/redis.log", env->master.dir);
    struct stat st;
    if (stat(logpath, &st) != 0) {
        snprintf(err, errsz, "disk-resync: the master's log %s: %s", logpath,
                 strerror(errno));
        goto out;
    }
    log_from = (long)st.st_size;

    /* 2: a snapshot saved first, with a backlog the writes will overrun */
    for (; nset < CC_DISK_NSETTINGS; nset++)
        if (config_set(&c, settings[nset], forced[nset], err, errsz) != 0)
            goto out;

    /* 3: the replica's offset leaves the backlog while it cannot reconnect */
    if (env->replica_pid <= 0 || kill(env->replica_pid, SIGSTOP) != 0) {
        snprintf(err, errsz, "disk-resync: SIGSTOP the replica (pid %ld): %s",
                 (long)env->replica_pid,
                 env->replica_pid <= 0 ? "no replica process" : strerror(errno));
        goto out;
    }
    stopped = 1;
    int killed = resp_client_calll(&c, &v, "CLIENT", "KILL", "USER", "default",
                                   "TYPE", "replica", NULL) == 0 &&
                 v.type == RESP_INTEGER ? (int)v.integer : -1;
    if (killed <= 0) {
        snprintf(err, errsz, "disk-resync: CLIENT KILL USER default TYPE replica "
                 "on the master: %s", killed == 0 ? "no replica connected" :
                 v.type == RESP_ERROR ? v.str : c.err);
        resp_value_clear(&v);
        goto out;
    }
    resp_value_clear(&v);
    if (write_past_backlog(&c, err, errsz) != 0)
        goto out;
    kill(env->replica_pid, SIGCONT);
    stopped = 0;

    /* 4 and 5: one full resync, saved to disk and sent with its length */
    if (wait_resync(env, full_before, &full_after, err, errsz) != 0)
        goto out;
    if (full_after != full_before + 1) {
        snprintf(err, errsz, "disk-resync: expected one full resync, the master "
                 "counted %lld", full_after - full_before);
        goto out;
    }
    int disk = log_has(logpath, log_from, CC_DISK_LOG_LINE);
    int sockets = disk < 0 ? -1 : log_has(logpath, log_from, CC_DISK_SOCKETS_LINE);
    if (disk < 0 || sockets < 0) {
        snprintf(err, errsz, "disk-resync: reading %s: %s", logpath, strerror(errno));
        goto out;
    }
    if (disk != 1 || sockets != 0) {
        snprintf(err, errsz, "disk-resync: %s since the fault began: %s", logpath,
                 sockets ? "a \"" CC_DISK_SOCKETS_LINE "\" line: the snapshot "
                 "was streamed diskless" : "no \"" CC_DISK_LOG_LINE "\" line");
        goto out;
    }
    rc = 0;
    if (env->log != NULL)
        fprintf(env->log, "disk-resync: full resync %lld, saved to disk and sent "
                "with its length\n", full_after);

out:
    /* 6: every way out continues the replica and restores what was set */
    if (stopped)
        kill(env->replica_pid, SIGCONT);
    char why[256];
    for (int i = 0; i < nset; i++)
        if (config_set(&c, settings[i], saved[i], why, sizeof why) != 0 && rc == 0) {
            snprintf(err, errsz, "%s (restoring)", why);
            rc = -1;
        }
    resp_client_close(&c);
    return rc;
}
