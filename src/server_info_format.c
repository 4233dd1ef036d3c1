/* server_info_format.c - INFO's text: a server_report printed as Redis 7.0 prints it.
 * Chapter 11.
 *
 * The pure half of INFO (server_info.h): which sections the arguments
 * name (server_info_sections()), then each section's fields with Redis's
 * names and in its order (redis/redis src/server.c,
 * genRedisInfoString()), from a server_report that server_info.c
 * gathered.  It is its own file because it touches no clock, kernel or
 * keyspace: a test fills a report by hand and checks every line, and the
 * text's layout can be read here without the gathering around it.
 * Lines are printed with addf(), one vsnprintf() per section where it
 * fits a stack buffer, the heap only for a longer one.
 *
 * Thread-safety: the functions touch only their arguments.
 */
#include "server_info.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the formatter ------------------------------------------------------ */

static int addf(resp_buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int addf(resp_buf *out, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof line)
        return resp_buf_append(out, line, (size_t)n);
    /* A whole section in one format: print it again into the heap. */
    char *big = malloc((size_t)n + 1);
    if (big == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = resp_buf_append(out, big, (size_t)n);
    free(big);
    return rc;
}

void server_bytes_human(uint64_t n, char *buf, size_t len)
{
    static const char units[] = "KMGTP";
    double d = (double)n;
    if (n < 1024) {
        snprintf(buf, len, "%lluB", (unsigned long long)n);
        return;
    }
    for (int i = 0; i < 5; i++) {
        d /= 1024;
        if (d < 1024 || i == 4) {
            snprintf(buf, len, "%.2f%c", d, units[i]);
            return;
        }
    }
}

const char *server_role_state(repl_state s)
{
    switch (s) {
    case REPL_CONNECTING:
        return "connecting";
    case REPL_HANDSHAKE:
    case REPL_PSYNC:
        return "handshake";
    case REPL_TRANSFER:
        return "sync";
    case REPL_STREAMING:
        return "connected";
    case REPL_BACKOFF:
    case REPL_STOPPED:
    default:
        return "connect";
    }
}

static const struct {
    const char *name;
    unsigned bit;
} section_names[] = {
    {"server", SERVER_INFO_SERVER},
    {"clients", SERVER_INFO_CLIENTS},
    {"memory", SERVER_INFO_MEMORY},
    {"persistence", SERVER_INFO_PERSISTENCE},
    {"stats", SERVER_INFO_STATS},
    {"replication", SERVER_INFO_REPLICATION},
    {"cpu", SERVER_INFO_CPU},
    {"modules", SERVER_INFO_MODULES},
    {"commandstats", SERVER_INFO_COMMANDSTATS},
    {"errorstats", SERVER_INFO_ERRORSTATS},
    {"cluster", SERVER_INFO_CLUSTER},
    {"keyspace", SERVER_INFO_KEYSPACE},
    {"default", SERVER_INFO_DEFAULT},
    {"all", SERVER_INFO_ALL},
    {"everything", SERVER_INFO_ALL},
};

unsigned server_info_sections(size_t argc, const resp_value *argv)
{
    if (argc == 0)
        return SERVER_INFO_DEFAULT;
    unsigned mask = 0;
    for (size_t i = 0; i < argc; i++)
        for (size_t k = 0; k < sizeof section_names / sizeof section_names[0];
             k++)
            if (strlen(section_names[k].name) == argv[i].len &&
                strncasecmp(section_names[k].name, argv[i].str,
                            argv[i].len) == 0)
                mask |= section_names[k].bit;
    return mask;
}

static int fmt_server(const server_report *r, resp_buf *o)
{
    const server_info *in = &r->info;
    int64_t up_s = in->start_ms > 0 ? (r->now_us / 1000 - in->start_ms) / 1000
                                    : 0;
    if (up_s < 0)
        up_s = 0;
#ifdef __GNUC__
    const int gv[3] = {__GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__};
#else
    const int gv[3] = {0, 0, 0};
#endif
    const char *cfg = r->opt && r->opt->config_file ? r->opt->config_file : "";
    return addf(o,
        "redis_version:7.0.15\r\n"
        "redis_git_sha1:00000000\r\n"
        "redis_git_dirty:0\r\n"
        "redis_build_id:0\r\n"
        "redis_mode:standalone\r\n"
        "os:%s\r\n"
        "arch_bits:%d\r\n"
        "monotonic_clock:POSIX clock_gettime\r\n"
        "multiplexing_api:epoll\r\n"
        "atomicvar_api:c11-builtin\r\n"
        "gcc_version:%d.%d.%d\r\n"
        "process_id:%d\r\n"
        "process_supervised:no\r\n"
        "run_id:%s\r\n"
        "tcp_port:%d\r\n"
        "server_time_usec:%lld\r\n"
        "uptime_in_seconds:%lld\r\n"
        "uptime_in_days:%lld\r\n"
        "hz:10\r\n"
        "configured_hz:10\r\n"
        "lru_clock:%lld\r\n"
        "executable:%s\r\n"
        "config_file:%s\r\n"
        "io_threads_active:0\r\n",
        r->os ? r->os : "", (int)(sizeof(void *) * 8), gv[0], gv[1], gv[2],
        in->pid, in->run_id, in->tcp_port, (long long)r->now_us,
        (long long)up_s, (long long)(up_s / 86400),
        /* Redis's LRU clock: seconds, in 24 bits (LRU_CLOCK_MAX). */
        (long long)((r->now_us / 1000000) & ((1 << 24) - 1)),
        r->executable ? r->executable : "", cfg);
}

static int fmt_clients(const server_report *r, resp_buf *o)
{
    const server_info *in = &r->info;
    return addf(o,
        "connected_clients:%llu\r\n"
        "cluster_connections:0\r\n"
        "maxclients:%llu\r\n"
        "client_recent_max_input_buffer:%llu\r\n"
        "client_recent_max_output_buffer:%llu\r\n"
        "blocked_clients:%llu\r\n"
        "tracking_clients:0\r\n"
        "clients_in_timeout_table:0\r\n",
        (unsigned long long)in->connected_clients,
        (unsigned long long)in->maxclients,
        (unsigned long long)in->client_max_input,
        (unsigned long long)in->client_max_output,
        (unsigned long long)in->blocked_clients);
}

static int fmt_memory(const server_report *r, resp_buf *o)
{
    const server_memory *m = &r->mem;
    char used[32], rss[32], peak[32], total[32];
    server_bytes_human(m->used, used, sizeof used);
    server_bytes_human(m->rss, rss, sizeof rss);
    server_bytes_human(m->peak, peak, sizeof peak);
    server_bytes_human(m->total_system, total, sizeof total);
    double peak_perc = m->peak ? (double)m->used * 100 / (double)m->peak : 0;
    double frag = m->used ? (double)m->rss / (double)m->used : 0;
    return addf(o,
        "used_memory:%llu\r\n"
        "used_memory_human:%s\r\n"
        "used_memory_rss:%llu\r\n"
        "used_memory_rss_human:%s\r\n"
        "used_memory_peak:%llu\r\n"
        "used_memory_peak_human:%s\r\n"
        "used_memory_peak_perc:%.2f%%\r\n"
        "total_system_memory:%llu\r\n"
        "total_system_memory_human:%s\r\n"
        "used_memory_lua:0\r\n"
        "number_of_cached_scripts:0\r\n"
        "used_memory_scripts:0\r\n"
        "maxmemory:0\r\n"
        "maxmemory_human:0B\r\n"
        "maxmemory_policy:noeviction\r\n"
        "mem_fragmentation_ratio:%.2f\r\n"
        "mem_fragmentation_bytes:%lld\r\n"
        "mem_replication_backlog:0\r\n"
        "mem_allocator:libc\r\n"
        "active_defrag_running:0\r\n"
        "lazyfree_pending_objects:0\r\n"
        "lazyfreed_objects:0\r\n",
        (unsigned long long)m->used, used, (unsigned long long)m->rss, rss,
        (unsigned long long)m->peak, peak, peak_perc,
        (unsigned long long)m->total_system, total, frag,
        (long long)m->rss - (long long)m->used);
}

static int fmt_persistence(const server_report *r, resp_buf *o)
{
    return addf(o,
        "loading:%d\r\n"
        "async_loading:0\r\n"
        "current_cow_peak:0\r\n"
        "current_cow_size:0\r\n"
        "current_cow_size_age:0\r\n"
        "current_fork_perc:0.00\r\n"
        "current_save_keys_processed:0\r\n"
        "current_save_keys_total:0\r\n"
        "rdb_changes_since_last_save:0\r\n"
        "rdb_bgsave_in_progress:0\r\n"
        "rdb_last_save_time:%lld\r\n"
        "rdb_last_bgsave_status:ok\r\n"
        "rdb_last_bgsave_time_sec:-1\r\n"
        "rdb_current_bgsave_time_sec:-1\r\n"
        "rdb_saves:0\r\n"
        "rdb_last_cow_size:0\r\n"
        "rdb_last_load_keys_expired:0\r\n"
        "rdb_last_load_keys_loaded:%llu\r\n"
        "aof_enabled:0\r\n"
        "aof_rewrite_in_progress:0\r\n"
        "aof_rewrite_scheduled:0\r\n"
        "aof_last_rewrite_time_sec:-1\r\n"
        "aof_current_rewrite_time_sec:-1\r\n"
        "aof_last_bgrewrite_status:ok\r\n"
        "aof_rewrites:0\r\n"
        "aof_rewrites_consecutive_failures:0\r\n"
        "aof_last_write_status:ok\r\n"
        "aof_last_cow_size:0\r\n"
        "module_fork_in_progress:0\r\n"
        "module_fork_last_cow_size:0\r\n",
        r->loading ? 1 : 0, (long long)(r->info.start_ms / 1000),
        (unsigned long long)(r->has_link ? r->repl.snapshot_keys : 0));
}

static int fmt_stats(const server_report *r, resp_buf *o)
{
    const server_info *in = &r->info;
    return addf(o,
        "total_connections_received:%llu\r\n"
        "total_commands_processed:%llu\r\n"
        "instantaneous_ops_per_sec:0\r\n"
        "total_net_input_bytes:%llu\r\n"
        "total_net_output_bytes:%llu\r\n"
        "total_net_repl_input_bytes:%llu\r\n"
        "total_net_repl_output_bytes:0\r\n"
        "instantaneous_input_kbps:0.00\r\n"
        "instantaneous_output_kbps:0.00\r\n"
        "instantaneous_input_repl_kbps:0.00\r\n"
        "instantaneous_output_repl_kbps:0.00\r\n"
        "rejected_connections:%llu\r\n"
        "sync_full:0\r\n"
        "sync_partial_ok:0\r\n"
        "sync_partial_err:0\r\n"
        "expired_keys:0\r\n"
        "expired_stale_perc:0.00\r\n"
        "expired_time_cap_reached_count:0\r\n"
        "expire_cycle_cpu_milliseconds:0\r\n"
        "evicted_keys:0\r\n"
        "evicted_clients:0\r\n"
        "total_eviction_exceeded_time:0\r\n"
        "current_eviction_exceeded_time:0\r\n"
        "keyspace_hits:%llu\r\n"
        "keyspace_misses:%llu\r\n"
        "pubsub_channels:%llu\r\n"
        "pubsub_patterns:%llu\r\n"
        "pubsubshard_channels:0\r\n"
        "latest_fork_usec:0\r\n"
        "total_forks:0\r\n"
        "migrate_cached_sockets:0\r\n"
        "slave_expires_tracked_keys:0\r\n"
        "active_defrag_hits:0\r\n"
        "active_defrag_misses:0\r\n"
        "active_defrag_key_hits:0\r\n"
        "active_defrag_key_misses:0\r\n"
        "total_active_defrag_time:0\r\n"
        "current_active_defrag_time:0\r\n"
        "tracking_total_keys:0\r\n"
        "tracking_total_items:0\r\n"
        "tracking_total_prefixes:0\r\n"
        "unexpected_error_replies:0\r\n"
        "total_error_replies:%llu\r\n"
        "dump_payload_sanitizations:0\r\n"
        "io_threaded_reads_processed:0\r\n"
        "io_threaded_writes_processed:0\r\n",
        (unsigned long long)in->total_connections,
        (unsigned long long)in->total_commands,
        (unsigned long long)in->net_input_bytes,
        (unsigned long long)in->net_output_bytes,
        (unsigned long long)(r->has_link ? r->repl.bytes_received : 0),
        (unsigned long long)in->rejected_connections,
        (unsigned long long)in->keyspace_hits,
        (unsigned long long)in->keyspace_misses,
        (unsigned long long)in->pubsub_channels,
        (unsigned long long)in->pubsub_patterns,
        (unsigned long long)in->total_error_replies);
}

static int fmt_replication(const server_report *r, resp_buf *o)
{
    const repl_status *st = &r->repl;
    bool up = r->has_link && st->state == REPL_STREAMING;
    int64_t ago = r->has_link ? st->last_interaction_s_ago : -1;
    if (addf(o,
             "role:slave\r\n"
             "master_host:%s\r\n"
             "master_port:%d\r\n"
             "master_link_status:%s\r\n"
             "master_last_io_seconds_ago:%lld\r\n"
             "master_sync_in_progress:%d\r\n"
             "slave_read_repl_offset:%llu\r\n"
             "slave_repl_offset:%llu\r\n",
             r->has_link ? st->master_host : "",
             r->has_link ? st->master_port : 0, up ? "up" : "down",
             (long long)(up ? ago : -1),
             r->has_link && st->state == REPL_TRANSFER ? 1 : 0,
             (unsigned long long)(r->has_link ? st->master_offset : 0),
             (unsigned long long)(r->has_link ? st->offset : 0)) != 0)
        return -1;
    if (!up && addf(o, "master_link_down_since_seconds:%lld\r\n",
                    (long long)ago) != 0)
        return -1;
    const char *replid = r->has_link && st->replid[0] ? st->replid
                                                      : r->info.run_id;
    return addf(o,
        "slave_priority:100\r\n"
        "slave_read_only:1\r\n"
        "replica_announced:1\r\n"
        "connected_slaves:0\r\n"
        "master_failover_state:no-failover\r\n"
        "master_replid:%s\r\n"
        "master_replid2:0000000000000000000000000000000000000000\r\n"
        "master_repl_offset:%llu\r\n"
        "second_repl_offset:-1\r\n"
        "repl_backlog_active:0\r\n"
        "repl_backlog_size:0\r\n"
        "repl_backlog_first_byte_offset:0\r\n"
        "repl_backlog_histlen:0\r\n",
        replid, (unsigned long long)(r->has_link ? st->offset : 0));
}

static int fmt_cpu(const server_report *r, resp_buf *o)
{
    const server_cpu *c = &r->cpu;
    return addf(o,
        "used_cpu_sys:%lld.%06lld\r\n"
        "used_cpu_user:%lld.%06lld\r\n"
        "used_cpu_sys_children:%lld.%06lld\r\n"
        "used_cpu_user_children:%lld.%06lld\r\n",
        (long long)(c->sys_us / 1000000), (long long)(c->sys_us % 1000000),
        (long long)(c->user_us / 1000000), (long long)(c->user_us % 1000000),
        (long long)(c->child_sys_us / 1000000),
        (long long)(c->child_sys_us % 1000000),
        (long long)(c->child_user_us / 1000000),
        (long long)(c->child_user_us % 1000000));
}

static int cmdstat_cmp(const void *a, const void *b)
{
    const server_cmdstat *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static int fmt_commandstats(const server_report *r, resp_buf *o)
{
    if (r->ncmdstats == 0)
        return 0;
    const server_cmdstat **s = malloc(r->ncmdstats * sizeof *s);
    if (s == NULL)
        return -1;
    for (size_t i = 0; i < r->ncmdstats; i++)
        s[i] = &r->cmdstats[i];
    qsort(s, r->ncmdstats, sizeof *s, cmdstat_cmp);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < r->ncmdstats; i++)
        rc = addf(o, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,"
                  "rejected_calls=%llu,failed_calls=%llu\r\n", s[i]->name,
                  (unsigned long long)s[i]->calls,
                  (unsigned long long)s[i]->usec,
                  s[i]->calls ? (double)s[i]->usec / (double)s[i]->calls : 0,
                  (unsigned long long)s[i]->rejected,
                  (unsigned long long)s[i]->failed);
    free(s);
    return rc;
}

static int fmt_keyspace(const server_report *r, resp_buf *o)
{
    for (size_t i = 0; i < r->ndbs; i++)
        if (addf(o, "db%u:keys=%llu,expires=%llu,avg_ttl=%lld\r\n",
                 r->dbs[i].db, (unsigned long long)r->dbs[i].keys,
                 (unsigned long long)r->dbs[i].expires,
                 (long long)r->dbs[i].avg_ttl_ms) != 0)
            return -1;
    return 0;
}

int server_info_format(const server_report *r, unsigned mask, resp_buf *out)
{
    static const struct {
        unsigned bit;
        const char *title;
        int (*fn)(const server_report *, resp_buf *);
    } sections[] = {
        {SERVER_INFO_SERVER, "Server", fmt_server},
        {SERVER_INFO_CLIENTS, "Clients", fmt_clients},
        {SERVER_INFO_MEMORY, "Memory", fmt_memory},
        {SERVER_INFO_PERSISTENCE, "Persistence", fmt_persistence},
        {SERVER_INFO_STATS, "Stats", fmt_stats},
        {SERVER_INFO_REPLICATION, "Replication", fmt_replication},
        {SERVER_INFO_CPU, "CPU", fmt_cpu},
        {SERVER_INFO_MODULES, "Modules", NULL},
        {SERVER_INFO_COMMANDSTATS, "Commandstats", fmt_commandstats},
        {SERVER_INFO_CLUSTER, "Cluster", NULL},
        {SERVER_INFO_KEYSPACE, "Keyspace", fmt_keyspace},
    };
    unsigned printed = 0;
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        if ((mask & sections[i].bit) == 0)
            continue;
        if (printed++ > 0 && resp_buf_append(out, "\r\n", 2) != 0)
            return -1;
        if (addf(out, "# %s\r\n", sections[i].title) != 0)
            return -1;
        if (sections[i].bit == SERVER_INFO_CLUSTER &&
            addf(out, "cluster_enabled:0\r\n") != 0)
            return -1;
        if (sections[i].fn != NULL && sections[i].fn(r, out) != 0)
            return -1;
    }
    return 0;
}
