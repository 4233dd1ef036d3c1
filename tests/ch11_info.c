/* ch11_info.c - chapter 11: INFO from filled structs, and INFO, ROLE,
 * CONFIG, TIME, LASTSAVE and COMMAND against a real redis-server. */
#include "read_oracle.h"
#include "resp_scan.h"
#include "server_info.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the formatter, from filled structs ------------------------------------ */

static server_report sample_report(void)
{
    static const server_cmdstat stats[] = {
        {.name = "get", .calls = 4, .usec = 10, .rejected = 1, .failed = 2},
        {.name = "config|get", .calls = 0, .usec = 0, .rejected = 3},
        {.name = "dbsize", .calls = 3, .usec = 7},
    };
    static const server_db_stat dbs[] = {
        {.db = 0, .keys = 12, .expires = 2, .avg_ttl_ms = 5000},
        {.db = 9, .keys = 1, .expires = 0, .avg_ttl_ms = 0},
    };
    server_report r;
    memset(&r, 0, sizeof r);
    snprintf(r.info.run_id, sizeof r.info.run_id, "%s",
             "0123456789abcdef0123456789abcdef01234567");
    r.info.start_ms = 1700000000000;
    r.now_us = (1700000000000 + 2 * 86400 * 1000 + 5000) * 1000LL + 17;
    r.info.pid = 4242;
    r.info.tcp_port = 6380;
    r.info.connected_clients = 3;
    r.info.maxclients = 10000;
    r.info.blocked_clients = 1;
    r.info.total_connections = 9;
    r.info.total_commands = 100;
    r.info.keyspace_hits = 70;
    r.info.keyspace_misses = 30;
    r.info.total_error_replies = 5;
    r.has_link = true;
    r.repl.state = REPL_STREAMING;
    snprintf(r.repl.master_host, sizeof r.repl.master_host, "10.0.0.1");
    r.repl.master_port = 6379;
    snprintf(r.repl.replid, sizeof r.repl.replid, "%s",
             "ffffffffffffffffffffffffffffffffffffffff");
    r.repl.offset = 1234;
    r.repl.master_offset = 1300;
    r.repl.last_interaction_s_ago = 2;
    r.repl.bytes_received = 99999;
    r.repl.snapshot_keys = 13;
    r.cmdstats = stats;
    r.ncmdstats = 3;
    r.dbs = dbs;
    r.ndbs = 2;
    r.mem = (server_memory){.used = 916208, .peak = 1048576, .rss = 6656000,
                            .total_system = 25275990016ull};
    r.cpu = (server_cpu){.sys_us = 1500000, .user_us = 250,
                         .child_sys_us = 0, .child_user_us = 3000001};
    r.os = "Linux 6.1.0 x86_64";
    r.executable = "/usr/bin/replica";
    return r;
}

static char *format(const server_report *r, unsigned mask)
{
    resp_buf b;
    resp_buf_init(&b);
    ck_assert_int_eq(server_info_format(r, mask, &b), 0);
    ck_assert_int_eq(resp_buf_append(&b, "", 1), 0);
    return b.data;
}

static void has_line(const char *text, const char *line)
{
    char want[512];
    snprintf(want, sizeof want, "\r\n%s\r\n", line);
    /* The first line has no CRLF before it. */
    size_t ll = strlen(line);
    bool first = strncmp(text, line, ll) == 0 && strncmp(text + ll, "\r\n", 2) == 0;
    ck_assert_msg(first || strstr(text, want) != NULL, "no line \"%s\" in:\n%s",
                  line, text);
}

START_TEST(format_every_section)
{
    server_report r = sample_report();
    char *t = format(&r, SERVER_INFO_ALL);
    /* Sections in Redis's order, an empty line between them. */
    const char *order[] = {"# Server\r\n", "\r\n\r\n# Clients\r\n",
                           "\r\n\r\n# Memory\r\n", "\r\n\r\n# Persistence\r\n",
                           "\r\n\r\n# Stats\r\n", "\r\n\r\n# Replication\r\n",
                           "\r\n\r\n# CPU\r\n", "\r\n\r\n# Modules\r\n",
                           "\r\n\r\n# Commandstats\r\n",
                           "\r\n\r\n# Cluster\r\n", "\r\n\r\n# Keyspace\r\n"};
    const char *at = t;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *p = strstr(at, order[i]);
        ck_assert_msg(p != NULL, "section %zu (%s) missing or out of order",
                      i, order[i] + (i ? 4 : 0));
        at = p + 1;
    }
    ck_assert_msg(strncmp(t, "# Server\r\nredis_version:7.0.15\r\n", 32) == 0,
                  "%.40s", t);
    has_line(t, "os:Linux 6.1.0 x86_64");
    has_line(t, "process_id:4242");
    has_line(t, "run_id:0123456789abcdef0123456789abcdef01234567");
    has_line(t, "tcp_port:6380");
    has_line(t, "uptime_in_seconds:172805");
    has_line(t, "uptime_in_days:2");
    has_line(t, "executable:/usr/bin/replica");
    has_line(t, "connected_clients:3");
    has_line(t, "maxclients:10000");
    has_line(t, "blocked_clients:1");
    has_line(t, "used_memory:916208");
    has_line(t, "used_memory_human:894.73K");
    has_line(t, "used_memory_rss:6656000");
    has_line(t, "used_memory_rss_human:6.35M");
    has_line(t, "used_memory_peak_human:1.00M");
    has_line(t, "used_memory_peak_perc:87.38%");
    has_line(t, "total_system_memory_human:23.54G");
    has_line(t, "maxmemory:0");
    has_line(t, "mem_fragmentation_ratio:7.26");
    has_line(t, "loading:0");
    has_line(t, "rdb_last_save_time:1700000000");
    has_line(t, "rdb_last_load_keys_loaded:13");
    has_line(t, "aof_enabled:0");
    has_line(t, "total_connections_received:9");
    has_line(t, "total_commands_processed:100");
    has_line(t, "total_net_repl_input_bytes:99999");
    has_line(t, "keyspace_hits:70");
    has_line(t, "keyspace_misses:30");
    has_line(t, "total_error_replies:5");
    has_line(t, "used_cpu_sys:1.500000");
    has_line(t, "used_cpu_user:0.000250");
    has_line(t, "used_cpu_user_children:3.000001");
    has_line(t, "cluster_enabled:0");
    /* Commandstats sorted by name, Redis's field layout. */
    has_line(t, "# Commandstats\r\ncmdstat_config|get:calls=0,usec=0,"
                "usec_per_call=0.00,rejected_calls=3,failed_calls=0\r\n"
                "cmdstat_dbsize:calls=3,usec=7,usec_per_call=2.33,"
                "rejected_calls=0,failed_calls=0\r\n"
                "cmdstat_get:calls=4,usec=10,usec_per_call=2.50,"
                "rejected_calls=1,failed_calls=2");
    /* Keyspace last, the text's end. */
    const char *ks = "# Keyspace\r\ndb0:keys=12,expires=2,avg_ttl=5000\r\n"
                     "db9:keys=1,expires=0,avg_ttl=0\r\n";
    size_t tl = strlen(t), kl = strlen(ks);
    ck_assert_msg(tl > kl && strcmp(t + tl - kl, ks) == 0, "%s", t);
    free(t);
}
END_TEST

/* The replication section of a Redis 7.0 replica, field by field. */
START_TEST(format_replication_up_and_down)
{
    server_report r = sample_report();
    char *t = format(&r, SERVER_INFO_REPLICATION);
    ck_assert_str_eq(t,
        "# Replication\r\n"
        "role:slave\r\n"
        "master_host:10.0.0.1\r\n"
        "master_port:6379\r\n"
        "master_link_status:up\r\n"
        "master_last_io_seconds_ago:2\r\n"
        "master_sync_in_progress:0\r\n"
        "slave_read_repl_offset:1300\r\n"
        "slave_repl_offset:1234\r\n"
        "slave_priority:100\r\n"
        "slave_read_only:1\r\n"
        "replica_announced:1\r\n"
        "connected_slaves:0\r\n"
        "master_failover_state:no-failover\r\n"
        "master_replid:ffffffffffffffffffffffffffffffffffffffff\r\n"
        "master_replid2:0000000000000000000000000000000000000000\r\n"
        "master_repl_offset:1234\r\n"
        "second_repl_offset:-1\r\n"
        "repl_backlog_active:0\r\n"
        "repl_backlog_size:0\r\n"
        "repl_backlog_first_byte_offset:0\r\n"
        "repl_backlog_histlen:0\r\n");
    free(t);
    /* Down, receiving a snapshot: no I/O age, the down time instead. */
    r.repl.state = REPL_TRANSFER;
    r.repl.replid[0] = '\0';
    t = format(&r, SERVER_INFO_REPLICATION);
    has_line(t, "master_link_status:down");
    has_line(t, "master_last_io_seconds_ago:-1");
    has_line(t, "master_sync_in_progress:1");
    has_line(t, "master_link_down_since_seconds:2");
    /* No replication ID from a master yet: our own run ID. */
    has_line(t, "master_replid:0123456789abcdef0123456789abcdef01234567");
    free(t);
    /* No link at all. */
    r.has_link = false;
    t = format(&r, SERVER_INFO_REPLICATION);
    has_line(t, "master_host:");
    has_line(t, "master_port:0");
    has_line(t, "master_link_status:down");
    has_line(t, "master_link_down_since_seconds:-1");
    free(t);
}
END_TEST

START_TEST(section_names)
{
    resp_value a[3];
    memset(a, 0, sizeof a);
    char s0[] = "CPU", s1[] = "keyspace", s2[] = "nosuch";
    a[0].str = s0, a[0].len = 3;
    a[1].str = s1, a[1].len = 8;
    a[2].str = s2, a[2].len = 6;
    ck_assert_uint_eq(server_info_sections(0, a), SERVER_INFO_DEFAULT);
    ck_assert_uint_eq(server_info_sections(3, a),
                      SERVER_INFO_CPU | SERVER_INFO_KEYSPACE);
    ck_assert_uint_eq(server_info_sections(1, a + 2), 0);
    char e[] = "Everything", al[] = "all", d[] = "default";
    a[0].str = e, a[0].len = 10;
    ck_assert_uint_eq(server_info_sections(1, a), SERVER_INFO_ALL);
    a[0].str = al, a[0].len = 3;
    ck_assert_uint_eq(server_info_sections(1, a), SERVER_INFO_ALL);
    a[0].str = d, a[0].len = 7;
    ck_assert_uint_eq(server_info_sections(1, a), SERVER_INFO_DEFAULT);
    ck_assert(!(SERVER_INFO_DEFAULT & SERVER_INFO_COMMANDSTATS));
    server_report r = sample_report();
    char *t = format(&r, 0);
    ck_assert_str_eq(t, "");
    free(t);
    t = format(&r, SERVER_INFO_CLUSTER | SERVER_INFO_MODULES);
    ck_assert_str_eq(t, "# Modules\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n");
    free(t);
}
END_TEST

START_TEST(bytes_human_and_role_states)
{
    static const struct {
        uint64_t n;
        const char *s;
    } cases[] = {
        {0, "0B"}, {1023, "1023B"}, {1024, "1.00K"}, {916208, "894.73K"},
        {6656000, "6.35M"}, {25275990016ull, "23.54G"},
        {1ull << 40, "1.00T"}, {3ull << 50, "3.00P"}, {1ull << 62, "4096.00P"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char b[32];
        server_bytes_human(cases[i].n, b, sizeof b);
        ck_assert_str_eq(b, cases[i].s);
    }
    ck_assert_str_eq(server_role_state(REPL_CONNECTING), "connecting");
    ck_assert_str_eq(server_role_state(REPL_HANDSHAKE), "handshake");
    ck_assert_str_eq(server_role_state(REPL_PSYNC), "handshake");
    ck_assert_str_eq(server_role_state(REPL_TRANSFER), "sync");
    ck_assert_str_eq(server_role_state(REPL_STREAMING), "connected");
    ck_assert_str_eq(server_role_state(REPL_BACKOFF), "connect");
    ck_assert_str_eq(server_role_state(REPL_STOPPED), "connect");
}
END_TEST

/* ---- against redis-server ------------------------------------------------------- */

static const char *const variants[] = {"hamt", "ptrie"};

/* Errors and fixed replies that must be Redis's bytes. */
START_TEST(same_as_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    read_oracle_expect(ro, READ_SAME, "INFO", "nosuch", NULL);
    read_oracle_expect(ro, READ_SAME, "ROLE", "x", NULL);
    read_oracle_expect(ro, READ_SAME, "TIME", "x", NULL);
    read_oracle_expect(ro, READ_SAME, "LASTSAVE", "x", NULL);
    read_oracle_expect(ro, READ_SAME, "CONFIG", NULL);
    read_oracle_expect(ro, READ_SAME, "config", "get", NULL);
    read_oracle_expect(ro, READ_SAME, "CONFIG", "NOSUCH", NULL);
    read_oracle_expect(ro, READ_SAME, "CONFIG", "GET", "maxmemory", NULL);
    read_oracle_expect(ro, READ_SAME, "CONFIG", "GET", "nosuch*", NULL);
    read_oracle_expect(ro, READ_SAME, "CONFIG", "GET", "MAXMEMORY", NULL);
    read_oracle_expect(ro, READ_UNORDERED | READ_PAIRS, "CONFIG", "GET", "save",
                       "appendonly", "databases", "maxmemory-policy",
                       "appendonly", "cluster-enabled", "daemonize",
                       "slave-read-only", "replica-read-only", NULL);
    read_oracle_expect(ro, READ_SAME, "CONFIG", "SET", "nosuch", "1", NULL);
    read_oracle_expect(ro, READ_SAME, "CONFIG", "SET", "daemonize", "yes",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "CONFIG", "SET", "maxmemory", "1",
                       "port", NULL);
    read_oracle_expect(ro, READ_SAME, "CONFIG", "SET", "port", NULL);
    read_oracle_expect(ro, READ_SAME, "CONFIG", "REWRITE", NULL);
    read_oracle_expect(ro, READ_SAME, "CONFIG", "REWRITE", "x", NULL);
    read_oracle_expect(ro, READ_SAME, "CONFIG", "RESETSTAT", "x", NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "NOSUCH", NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "COUNT", "x", NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "INFO", "nosuch", NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "DOCS", "nosuch", NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "LIST", "x", NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "LIST", "FILTERBY", "x", "y",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "LIST", "FILTERBY",
                       "PATTERN", NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "LIST", "FILTERBY", "MODULE",
                       "x", NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "LIST", "FILTERBY", "ACLCAT",
                       "nosuch", NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "LIST", "FILTERBY", "PATTERN",
                       "nosuch*", NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "GETKEYS", NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "GETKEYS", "info", NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "GETKEYS", "nosuch", "a",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "GETKEYS", "time", "a", NULL);
    read_oracle_expect(ro, READ_SAME, "COMMAND", "HELP", "x", NULL);
    read_oracle_stop(ro);
}
END_TEST

/* Field names: every one we print is one Redis 7.0 prints in the same
 * section, in Redis's relative order. */
/* A section's lines, with a "\n" in front so every line starts "\n". */
static char *section_of(const char *text, const char *title)
{
    char head[64];
    snprintf(head, sizeof head, "# %s\r\n", title);
    const char *p = strstr(text, head);
    if (p == NULL)
        return NULL;
    p += strlen(head);
    const char *end = strstr(p, "\r\n\r\n");
    size_t n = end ? (size_t)(end - p) + 2 : strlen(p);
    char *s = malloc(n + 2);
    s[0] = '\n';
    memcpy(s + 1, p, n);
    s[n + 1] = '\0';
    return s;
}

static const char *bulk_body(const char *reply)
{
    const char *p = strstr(reply, "\r\n");
    ck_assert_ptr_nonnull(p);
    return p + 2;
}

START_TEST(field_names_are_redis_names)
{
    read_oracle *ro = read_oracle_start(NULL);
    const char *titles[] = {"Server", "Clients", "Memory", "Persistence",
                            "Stats", "CPU", "Cluster"};
    char *ours = strdup(bulk_body(read_oracle_ours(ro, 2, NULL, "INFO",
                                                   "everything", NULL)));
    char *theirs = strdup(bulk_body(read_oracle_redis(ro, 2, NULL, "INFO",
                                                      "everything", NULL)));
    for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++) {
        char *a = section_of(ours, titles[i]), *b = section_of(theirs,
                                                               titles[i]);
        ck_assert_msg(a != NULL && b != NULL, "section %s", titles[i]);
        const char *at = b; /* Redis's lines not yet matched */
        for (char *line = strtok(a, "\r\n"); line; line = strtok(NULL, "\r\n")) {
            char name[128];
            snprintf(name, sizeof name, "\n%.*s:", (int)strcspn(line, ":"),
                     line);
            const char *hit = strstr(at, name);
            ck_assert_msg(hit != NULL, "section %s: field %s not in Redis's "
                          "(or out of its order)", titles[i], name + 1);
            at = hit + 1;
        }
        free(a);
        free(b);
    }
    free(ours);
    free(theirs);
    read_oracle_stop(ro);
}
END_TEST

/* Our side alone: values, not bytes. */
START_TEST(keyspace_role_time_command)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    oracle *o = read_oracle_writer(ro);
    oracle_cmd(o, "SET", "a", "1", NULL);
    oracle_cmd(o, "SET", "b", "2", "EX", "100", NULL);
    oracle_cmd(o, "RPUSH", "l", "x", NULL);
    oracle_cmd(o, "SELECT", "7", NULL);
    oracle_cmd(o, "SET", "c", "3", "PX", "50000", NULL);
    size_t n;
    const char *r = read_oracle_ours(ro, 2, &n, "INFO", "keyspace", NULL);
    const char *body = bulk_body(r);
    unsigned long long keys, exp, ttl;
    ck_assert_msg(sscanf(body, "# Keyspace\r\ndb0:keys=%llu,expires=%llu,"
                         "avg_ttl=%llu\r\n", &keys, &exp, &ttl) == 3, "%s", r);
    ck_assert_uint_eq(keys, 3);
    ck_assert_uint_eq(exp, 1);
    ck_assert_msg(ttl > 90000 && ttl <= 100000, "avg_ttl %llu", ttl);
    const char *db7 = strstr(body, "db7:keys=1,expires=1,avg_ttl=");
    ck_assert_msg(db7 != NULL, "%s", r);
    ck_assert_int_gt(atoll(db7 + strlen("db7:keys=1,expires=1,avg_ttl=")),
                     40000);
    ck_assert_ptr_null(strstr(body, "db1:"));
    /* The same key counts as Redis's. */
    const char *rr = read_oracle_redis(ro, 2, NULL, "INFO", "keyspace", NULL);
    ck_assert_ptr_nonnull(strstr(rr, "db0:keys=3,expires=1,"));
    ck_assert_ptr_nonnull(strstr(rr, "db7:keys=1,expires=1,"));
    /* RESP3: a verbatim string. */
    r = read_oracle_ours(ro, 3, &n, "INFO", "cluster", NULL);
    ck_assert_bytes_str(r, n, "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n");
    /* ROLE without a link. */
    r = read_oracle_ours(ro, 3, &n, "ROLE", NULL);
    ck_assert_bytes_str(r, n, "*5\r\n$5\r\nslave\r\n$0\r\n\r\n:0\r\n$7\r\n"
                              "connect\r\n:-1\r\n");
    /* TIME: seconds and microseconds, now. */
    r = read_oracle_ours(ro, 2, &n, "TIME", NULL);
    long long s, us;
    ck_assert_msg(sscanf(r, "*2\r\n$10\r\n%lld\r\n$%*d\r\n%lld\r\n", &s, &us) == 2,
                  "%s", r);
    ck_assert_int_le(llabs(s - (long long)time(NULL)), 5);
    ck_assert(us >= 0 && us < 1000000);
    r = read_oracle_ours(ro, 2, &n, "LASTSAVE", NULL);
    ck_assert_int_le(llabs(atoll(r + 1) - (long long)time(NULL)), 5);
    /* COMMAND: one well-formed entry per command, COUNT of them, and INFO
     * and DOCS for one of ours. */
    r = read_oracle_ours(ro, 2, &n, "COMMAND", "COUNT", NULL);
    long long count = atoll(r + 1);
    ck_assert_int_ge(count, 6);
    r = read_oracle_ours(ro, 3, &n, "COMMAND", NULL);
    ck_assert_int_eq(atoll(r + 1), count);
    r = read_oracle_ours(ro, 3, &n, "COMMAND", "INFO", "config|get", "time",
                         "nosuch", NULL);
    ck_assert_bytes_str(r, n,
        "*3\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n~2\r\n+loading\r\n+stale\r\n"
        ":0\r\n:0\r\n:0\r\n~1\r\n+@slow\r\n~0\r\n~0\r\n~0\r\n"
        "*10\r\n$4\r\ntime\r\n:1\r\n~3\r\n+loading\r\n+stale\r\n+fast\r\n"
        ":0\r\n:0\r\n:0\r\n~1\r\n+@fast\r\n~1\r\n$23\r\n"
        "nondeterministic_output\r\n~0\r\n~0\r\n_\r\n");
    r = read_oracle_ours(ro, 2, &n, "COMMAND", "DOCS", "config", NULL);
    static const char docs_head[] =
        "*2\r\n$6\r\nconfig\r\n*8\r\n$7\r\nsummary\r\n";
    ck_assert_msg(strncmp(r, docs_head, sizeof docs_head - 1) == 0, "%s", r);
    ck_assert_ptr_nonnull(strstr(r, "$11\r\nsubcommands\r\n*10\r\n"
                                    "$10\r\nconfig|get\r\n*6\r\n"));
    r = read_oracle_ours(ro, 2, &n, "COMMAND", "LIST", "FILTERBY", "PATTERN",
                         "config|*", NULL);
    static const char list_head[] = "*5\r\n$10\r\nconfig|get\r\n";
    ck_assert_msg(strncmp(r, list_head, sizeof list_head - 1) == 0, "%s", r);
    r = read_oracle_ours(ro, 2, &n, "COMMAND", "LIST", NULL);
    ck_assert_int_ge(atoll(r + 1), count + 11);
    /* CONFIG GET: several patterns, each parameter once, a map. */
    r = read_oracle_ours(ro, 3, &n, "CONFIG", "GET", "port", "p?rt",
                         "databases", NULL);
    ck_assert_bytes_str(r, n, "%2\r\n$4\r\nport\r\n$4\r\n6380\r\n"
                              "$9\r\ndatabases\r\n$2\r\n16\r\n");
    r = read_oracle_ours(ro, 2, &n, "CONFIG", "GET", "*", NULL);
    ck_assert_int_ge(atoll(r + 1), 2 * 40);
    read_oracle_stop(ro);
}
END_TEST

Suite *ch11_info_suite(void)
{
    Suite *s = suite_create("ch11_info");
    TCase *tc = test_tcase("format", 30);
    tcase_add_test(tc, format_every_section);
    tcase_add_test(tc, format_replication_up_and_down);
    tcase_add_test(tc, section_names);
    tcase_add_test(tc, bytes_human_and_role_states);
    suite_add_tcase(s, tc);
    tc = test_tcase("oracle", 60);
    tcase_add_checked_fixture(tc, NULL, read_oracle_teardown);
    tcase_add_loop_test(tc, same_as_redis, 0, 2);
    tcase_add_test(tc, field_names_are_redis_names);
    tcase_add_loop_test(tc, keyspace_role_time_command, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
