/* server_info.c - read commands of one family: introspection: INFO, ROLE,
 * TIME, LASTSAVE (and the table that adds CONFIG and COMMAND).
 * Chapter 11.
 *
 * INFO is split in two (see server_info.h): info_cmd() gathers a
 * server_report from the core (server_stats.h), the link (repl_status),
 * the keyspace and the kernel, and server_info_format()
 * (server_info_format.c) prints it with Redis 7.0's section and field
 * names, in genRedisInfoString()'s order (redis/redis src/server.c), so
 * tools written for Redis parse it.  Fields
 * that describe machinery a replica of this kind does not have (RDB
 * saves, AOF, forks, eviction, Lua, a replication backlog) are printed
 * with the values Redis prints when that machinery is idle, so a parser
 * that expects them finds them, and none of them claims activity.
 *
 * Figures that differ in meaning from Redis's, on purpose:
 *  - used_memory is malloc's count of bytes in use (glibc mallinfo2(),
 *    arenas and mmapped blocks); Redis counts its own allocations.
 *    used_memory_rss is the resident size from /proc/self/statm.
 *  - keyspace's expires and avg_ttl come from walking the database (the
 *    stores keep no separate table of expiring keys, as Redis's
 *    db->expires is), so `INFO keyspace` costs a walk of each non-empty
 *    database (keyspace_iterate(), O(keys) each); past
 *    INFO_EXACT_KEYS keys in one database the walk stops and the two
 *    figures are scaled from what it saw.  avg_ttl is exact below that;
 *    Redis's own is a running estimate.
 *  - errorstats has no per-error counters yet, so it prints nothing.
 */
#include "server_info.h"

#include "keyspace.h"
#include "value.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/** Keys of one database INFO walks before it estimates. */
#define INFO_EXACT_KEYS 1000000

/* ---- gathering ------------------------------------------------------------ */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Peak of used_memory as INFO has seen it.  Relaxed is enough: a
 * statistic, and the compare-exchange alone keeps it a maximum. */
static _Atomic uint64_t memory_peak;

static void gather_memory(server_memory *m)
{
    struct mallinfo2 mi = mallinfo2();
    m->used = (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
    long page = sysconf(_SC_PAGESIZE);
    long pages = sysconf(_SC_PHYS_PAGES);
    m->total_system = page > 0 && pages > 0 ? (uint64_t)page * (uint64_t)pages
                                            : 0;
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size, resident;
    if (f != NULL) {
        if (fscanf(f, "%llu %llu", &size, &resident) == 2 && page > 0)
            m->rss = resident * (uint64_t)page;
        fclose(f);
    }
    uint64_t seen = atomic_load_explicit(&memory_peak, memory_order_relaxed);
    while (seen < m->used &&
           !atomic_compare_exchange_weak_explicit(&memory_peak, &seen,
                                                  m->used,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
    m->peak = seen > m->used ? seen : m->used;
}

static int64_t tv_us(struct timeval tv)
{
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static void gather_cpu(server_cpu *c)
{
    struct rusage self, kids;
    if (getrusage(RUSAGE_SELF, &self) == 0) {
        c->sys_us = tv_us(self.ru_stime);
        c->user_us = tv_us(self.ru_utime);
    }
    if (getrusage(RUSAGE_CHILDREN, &kids) == 0) {
        c->child_sys_us = tv_us(kids.ru_stime);
        c->child_user_us = tv_us(kids.ru_utime);
    }
}

typedef struct expiry_walk {
    int64_t now_ms;
    uint64_t seen, expires;
    double ttl_sum_ms;
} expiry_walk;

static int count_expiry(const void *key, size_t klen, const value *v,
                        void *arg)
{
    expiry_walk *w = arg;
    (void)key, (void)klen;
    if (v->expire_ms != VALUE_NO_EXPIRY) {
        w->expires++;
        if (v->expire_ms > w->now_ms)
            w->ttl_sum_ms += (double)(v->expire_ms - w->now_ms);
    }
    return ++w->seen >= INFO_EXACT_KEYS;
}

/* The non-empty databases' lines.  Returns how many, or -1 (no memory). */
static long gather_keyspace(server_ctx *x, server_db_stat **out)
{
    *out = NULL;
    if (x->ks == NULL || x->databases == 0)
        return 0;
    server_db_stat *dbs = calloc(x->databases, sizeof *dbs);
    if (dbs == NULL)
        return -1;
    long n = 0;
    for (unsigned db = 0; db < x->databases; db++) {
        size_t keys = keyspace_dbsize(x->ks, db);
        if (keys == 0)
            continue;
        expiry_walk w = {.now_ms = x->now_ms};
        keyspace_iterate(x->ks, db, count_expiry, &w);
        double scale = w.seen > 0 && w.seen < keys
                           ? (double)keys / (double)w.seen : 1;
        dbs[n++] = (server_db_stat){
            .db = db,
            .keys = keys,
            .expires = (uint64_t)((double)w.expires * scale + 0.5),
            .avg_ttl_ms = w.expires ? (int64_t)(w.ttl_sum_ms /
                                                (double)w.expires) : 0,
        };
    }
    *out = dbs;
    return n;
}

static int info_cmd(server_ctx *x)
{
    unsigned mask = server_info_sections(x->argc - 1, x->argv + 1);
    server_report r;
    memset(&r, 0, sizeof r);
    r.now_us = now_us();
    server_cmdstat *stats = NULL;
    if (x->srv != NULL) {
        server_info_get(x->srv, &r.info);
        r.opt = server_get_options(x->srv);
        repl *link = server_link(x->srv);
        if (link != NULL) {
            repl_status_get(link, &r.repl);
            r.has_link = true;
        }
        dataset *ds = server_dataset(x->srv);
        r.loading = ds != NULL && !dataset_loaded(ds);
        if (mask & SERVER_INFO_COMMANDSTATS) {
            /* The count may grow between the calls: ask until it fits. */
            size_t cap = 64, n;
            for (;;) {
                server_cmdstat *p = realloc(stats, cap * sizeof *p);
                if (p == NULL) {
                    free(stats);
                    return -1;
                }
                stats = p;
                n = server_cmdstats_get(x->srv, stats, cap);
                if (n <= cap)
                    break;
                cap = n + 16;
            }
            r.cmdstats = stats;
            r.ncmdstats = n;
        }
    }
    if (mask & SERVER_INFO_MEMORY)
        gather_memory(&r.mem);
    if (mask & SERVER_INFO_CPU)
        gather_cpu(&r.cpu);
    struct utsname u;
    char os[3 * sizeof u.sysname + 3] = "";
    if (uname(&u) == 0)
        snprintf(os, sizeof os, "%s %s %s", u.sysname, u.release, u.machine);
    r.os = os;
    char exe[512];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[el > 0 ? el : 0] = '\0';
    r.executable = exe;
    server_db_stat *dbs = NULL;
    if (mask & SERVER_INFO_KEYSPACE) {
        long n = gather_keyspace(x, &dbs);
        if (n < 0) {
            free(stats);
            return -1;
        }
        r.dbs = dbs;
        r.ndbs = (size_t)n;
    }
    resp_buf text;
    resp_buf_init(&text);
    int rc = server_info_format(&r, mask, &text);
    if (rc == 0)
        rc = reply_verbatim(x->out, "txt", text.data, text.len);
    resp_buf_free(&text);
    free(stats);
    free(dbs);
    return rc;
}

/* ---- ROLE, TIME, LASTSAVE ------------------------------------------------- */

static int role_cmd(server_ctx *x)
{
    repl_status st;
    repl *link = x->srv != NULL ? server_link(x->srv) : NULL;
    memset(&st, 0, sizeof st);
    st.state = REPL_STOPPED;
    if (link != NULL)
        repl_status_get(link, &st);
    /* Redis's offset is the master client's: -1 until the link is up. */
    int64_t off = st.state == REPL_STREAMING ? (int64_t)st.offset : -1;
    if (reply_array(x->out, 5) != 0 || reply_bulk(x->out, "slave", 5) != 0 ||
        reply_bulk(x->out, st.master_host, strlen(st.master_host)) != 0 ||
        reply_integer(x->out, st.master_port) != 0) {
        return -1;
    }
    const char *state = server_role_state(st.state);
    if (reply_bulk(x->out, state, strlen(state)) != 0 ||
        reply_integer(x->out, off) != 0)
        return -1;
    return 0;
}

static int time_cmd(server_ctx *x)
{
    int64_t us = now_us();
    char s[24], u[24];
    int sl = snprintf(s, sizeof s, "%lld", (long long)(us / 1000000));
    int ul = snprintf(u, sizeof u, "%lld", (long long)(us % 1000000));
    if (reply_array(x->out, 2) != 0 || reply_bulk(x->out, s, (size_t)sl) != 0 ||
        reply_bulk(x->out, u, (size_t)ul) != 0)
        return -1;
    return 0;
}

/* No RDB is ever saved here: the time the server started, as Redis reports
 * before its first save. */
static int lastsave_cmd(server_ctx *x)
{
    server_info in;
    memset(&in, 0, sizeof in);
    if (x->srv != NULL)
        server_info_get(x->srv, &in);
    int64_t t = in.start_ms > 0 ? in.start_ms / 1000 : now_us() / 1000000;
    return reply_integer(x->out, t);
}

/* ---- the table ------------------------------------------------------------ */

static const server_command config_subcommands[] = {
    {.name = "get", .arity = -3, .flags = SERVER_CMD_LOADING,
     .fn = server_config_get_cmd, .group = "server", .since = "2.0.0",
     .summary = "Get the values of configuration parameters"},
    {.name = "set", .arity = -4, .flags = SERVER_CMD_LOADING,
     .fn = server_config_set_cmd, .group = "server", .since = "2.0.0",
     .summary = "Set configuration parameters to the given values"},
    {.name = "resetstat", .arity = 2, .flags = SERVER_CMD_LOADING,
     .fn = server_config_resetstat_cmd, .group = "server", .since = "2.0.0",
     .summary = "Reset the stats returned by INFO"},
    {.name = "rewrite", .arity = 2, .flags = SERVER_CMD_LOADING,
     .fn = server_config_rewrite_cmd, .group = "server", .since = "2.8.0",
     .summary = "Rewrite the configuration file with the in memory "
                "configuration"},
    {.name = "help", .arity = 2, .flags = SERVER_CMD_LOADING,
     .fn = server_config_help_cmd, .group = "server", .since = "5.0.0",
     .summary = "Show helpful text about the different subcommands"},
    {.name = NULL},
};

static const server_command command_subcommands[] = {
    {.name = "count", .arity = 2, .flags = SERVER_CMD_LOADING,
     .fn = server_command_count_cmd, .group = "server", .since = "2.8.13",
     .summary = "Get total number of Redis commands"},
    {.name = "info", .arity = -2, .flags = SERVER_CMD_LOADING,
     .fn = server_command_info_cmd, .group = "server", .since = "2.8.13",
     .summary = "Get array of specific Redis command details, or all when "
                "no argument is given."},
    {.name = "docs", .arity = -2, .flags = SERVER_CMD_LOADING,
     .fn = server_command_docs_cmd, .group = "server", .since = "7.0.0",
     .summary = "Get array of specific Redis command documentation"},
    {.name = "list", .arity = -2, .flags = SERVER_CMD_LOADING,
     .fn = server_command_list_cmd, .group = "server", .since = "7.0.0",
     .summary = "Get an array of Redis command names"},
    {.name = "getkeys", .arity = -4, .flags = SERVER_CMD_LOADING,
     .fn = server_command_getkeys_cmd, .group = "server", .since = "2.8.13",
     .summary = "Extract keys given a full Redis command"},
    {.name = "help", .arity = 2, .flags = SERVER_CMD_LOADING,
     .fn = server_command_help_cmd, .group = "server", .since = "5.0.0",
     .summary = "Show helpful text about the different subcommands"},
    {.name = NULL},
};

const server_command server_cmds_info[] = {
    {.name = "info", .arity = -1,
     .flags = SERVER_CMD_READ | SERVER_CMD_LOADING | SERVER_CMD_RANDOM,
     .fn = info_cmd, .group = "server", .since = "1.0.0",
     .summary = "Get information and statistics about the server"},
    {.name = "role", .arity = 1,
     .flags = SERVER_CMD_LOADING | SERVER_CMD_FAST | SERVER_CMD_RANDOM,
     .fn = role_cmd, .group = "server", .since = "2.8.12",
     .summary = "Return the role of the instance in the context of "
                "replication"},
    {.name = "time", .arity = 1,
     .flags = SERVER_CMD_LOADING | SERVER_CMD_FAST | SERVER_CMD_RANDOM,
     .fn = time_cmd, .group = "server", .since = "2.6.0",
     .summary = "Return the current server time"},
    {.name = "lastsave", .arity = 1,
     .flags = SERVER_CMD_LOADING | SERVER_CMD_FAST | SERVER_CMD_RANDOM,
     .fn = lastsave_cmd, .group = "server", .since = "1.0.0",
     .summary = "Get the UNIX time stamp of the last successful save to "
                "disk"},
    {.name = "config", .arity = -2, .flags = SERVER_CMD_LOADING,
     .group = "server", .since = "2.0.0",
     .summary = "A container for server configuration commands",
     .subcommands = config_subcommands},
    {.name = "command", .arity = -1, .flags = SERVER_CMD_LOADING,
     .fn = server_command_cmd, .group = "server", .since = "2.8.13",
     .summary = "Get array of Redis command details",
     .subcommands = command_subcommands},
    {.name = NULL},
};
