/* ch12_consistency.c - the consistency checker end to end: a short run with faults, a difference found, DEBUG SLEEP.
 * Chapter 12.
 *
 * The checker is a tool, and a tool that always says "0 differences" is
 * worthless: so besides one short run that must pass (a real master,
 * build/replica, two faults, every resync the faults claim), this suite
 * shows the comparison finding a difference, by dumping two real
 * redis-servers that disagree on one key, and checks that dumps do not
 * depend on the order a server chose (a hash written in two orders dumps
 * the same).  It also holds the replica's DEBUG command to Redis's words.
 */
#include "cc_dump.h"
#include "cc_run.h"
#include "check_diff.h"
#include "redis_server.h"
#include "replica_config.h"
#include "server_cmd.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef REPLICA_PATH
#define REPLICA_PATH "build/replica"
#endif

static const cc_fault *fault(const char *name)
{
    for (const cc_fault *f = cc_faults; f->name; f++)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}

START_TEST(every_fault_is_listed)
{
    static const char *const names[] = {"link-kill", "master-stall",
        "master-restart-dump", "master-restart-lost", "backlog-small",
        "replica-restart", "slow-reader", "replica-pause", NULL};
    size_t n = 0;
    for (const cc_fault *f = cc_faults; f->name; f++) {
        ck_assert_ptr_nonnull(f->what);
        ck_assert_ptr_nonnull(f->inject);
        n++;
    }
    for (int i = 0; names[i]; i++)
        ck_assert_msg(fault(names[i]) != NULL, "no fault %s", names[i]);
    ck_assert_uint_eq(n, 8);
}
END_TEST

/* A few hundred ops, link-kill, replica-restart and replica-pause: no
 * difference, and each fault did what it says (a partial resync, a full
 * one, none).  replica-pause failed before a lagging replica kept keys
 * whose PEXPIREAT it applied late (the RENAME after it was refused). */
START_TEST(short_run_passes)
{
    cc_fault list[3] = {*fault("link-kill"), *fault("replica-restart"),
                        *fault("replica-pause")};
    cc_run_opts o;
    cc_run_opts_default(&o);
    o.seed = 7;
    o.ops = (size_t)test_scale(400, 40);
    o.batch = o.ops / 6;
    o.faults = list;
    o.nfaults = 3;
    o.replica_path = REPLICA_PATH;
    o.big = 0;
    cc_report rep;
    char err[2048];
    int rc = cc_run(&o, &rep, err, sizeof err);
    ck_assert_msg(rc == 0, "cc_run: %s", err);
    ck_assert_uint_eq(rep.differences, 0);
    ck_assert_uint_ge(rep.ops, o.ops); /* a MULTI block is never split */
    ck_assert_uint_eq(rep.errors_unexpected, 0);
    ck_assert_uint_ge(rep.faults, 4);
    ck_assert_uint_eq(rep.fault_counts[0] + rep.fault_counts[1] + rep.fault_counts[2],
                      rep.faults);
    ck_assert_uint_ge(rep.fault_counts[0], 1);
    ck_assert_uint_ge(rep.fault_counts[1], 1);
    ck_assert_uint_ge(rep.fault_counts[2], 1);
    /* the first sync, plus one per replica-restart */
    ck_assert_uint_eq(rep.full_syncs, 1 + rep.fault_counts[1]);
    ck_assert_uint_ge(rep.partial_ok, rep.fault_counts[0]);
    ck_assert_uint_ge(rep.comparisons, rep.faults + 1);
    ck_assert_uint_gt(rep.keys_compared, 0);
}
END_TEST

/* A replica program that is not there: a clear error, nothing left running. */
START_TEST(missing_replica_program)
{
    cc_run_opts o;
    cc_run_opts_default(&o);
    o.ops = 10;
    o.replica_path = "build/no-such-replica";
    cc_report rep;
    char err[1024];
    ck_assert_int_eq(cc_run(&o, &rep, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "build/no-such-replica") != NULL, "err: %s", err);
}
END_TEST

static void put(int fd, const char *const *argv, int argc, const size_t *lens)
{
    char reply[256];
    int t = redis_command(fd, reply, sizeof reply, argc, argv, lens);
    ck_assert_msg(t != '-' && t >= 0, "%s: %s", argv[0], reply);
}

typedef struct seen {
    size_t n;
    char why[512];
    check_verdict v;
} seen;

static void on_diff(const check_key *m, const check_key *r, check_verdict v,
                    const char *why, void *arg)
{
    (void)m;
    (void)r;
    seen *s = arg;
    if (s->n++ == 0) {
        snprintf(s->why, sizeof s->why, "%s", why);
        s->v = v;
    }
}

/* Two real servers, the same data but one key, written in different
 * orders: exactly one difference, naming that key. */
START_TEST(dump_finds_one_difference)
{
    redis_server a, b;
    char err[1024];
    ck_assert_msg(redis_server_start(&a, NULL, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(redis_server_start(&b, NULL, err, sizeof err) == 0, "%s", err);
    int fa = redis_server_connect(&a), fb = redis_server_connect(&b);
    ck_assert_int_ge(fa, 0);
    ck_assert_int_ge(fb, 0);
    static const char bin[] = "bin\0key\r\n\xff";
    const size_t binlen = sizeof bin - 1;
    for (int side = 0; side < 2; side++) {
        int fd = side ? fb : fa;
        /* the hash in opposite field orders, a set, a list, a zset, a stream
         * with a group and a pending entry, a key in db 3, a binary key */
        if (side == 0) {
            put(fd, (const char *[]){"HSET", "h", "f1", "a", "f2", "b", "f3", "c"}, 8, NULL);
        } else {
            put(fd, (const char *[]){"HSET", "h", "f3", "c", "f2", "b", "f1", "a"}, 8, NULL);
        }
        put(fd, (const char *[]){"SADD", "s", "x", "y", "z", "1", "2"}, 7, NULL);
        put(fd, (const char *[]){"RPUSH", "l", "1", "2", "3"}, 5, NULL);
        put(fd, (const char *[]){"ZADD", "z", "1.5", "a", "2", "b"}, 6, NULL);
        put(fd, (const char *[]){"XADD", "x", "1-1", "f", "v"}, 5, NULL);
        put(fd, (const char *[]){"XGROUP", "CREATE", "x", "g", "0"}, 5, NULL);
        put(fd, (const char *[]){"XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"}, 7,
            NULL);
        put(fd, (const char *[]){"SET", "ttl", "v", "EX", "1000"}, 5, NULL);
        put(fd, (const char *[]){"SELECT", "3"}, 2, NULL);
        size_t lens[3] = {3, binlen, 1};
        put(fd, (const char *[]){"SET", bin, "v"}, 3, lens);
        put(fd, (const char *[]){"SET", "odd", side ? "two" : "one"}, 3, NULL);
    }
    cc_dump da, db;
    ck_assert_msg(cc_dump_read(a.port, 16, &da, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(cc_dump_read(b.port, 16, &db, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(da.n, 8);
    ck_assert_uint_eq(db.n, 8);
    /* sorted: db 0 first, then db 3's binary key and "odd" */
    ck_assert_int_eq(da.keys[0].db, 0);
    ck_assert_int_eq(da.keys[6].db, 3);
    ck_assert_bytes_eq(da.keys[6].key, da.keys[6].keylen, bin, binlen);
    ck_assert_str_eq(da.keys[1].type, "list");
    seen s = {0};
    size_t nd = check_keys_diff(da.keys, da.n, db.keys, db.n, 2000, on_diff, &s);
    ck_assert_uint_eq(nd, 1);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_int_eq(s.v, CHECK_VALUE);
    ck_assert_msg(strstr(s.why, "odd") != NULL, "why: %s", s.why);
    cc_dump_free(&da);
    cc_dump_free(&db);
    close(fa);
    close(fb);
    redis_server_stop(&a);
    redis_server_stop(&b);
}
END_TEST

START_TEST(info_fields)
{
    redis_server a;
    char err[1024];
    ck_assert_msg(redis_server_start(&a, NULL, err, sizeof err) == 0, "%s", err);
    long long off = -1;
    ck_assert_msg(cc_info_ll(a.port, "replication", "master_repl_offset", &off, err,
                             sizeof err) == 0, "%s", err);
    ck_assert_int_ge(off, 0);
    char role[32];
    ck_assert_int_eq(cc_info_str(a.port, "replication", "role", role, sizeof role, err,
                                 sizeof err), 0);
    ck_assert_str_eq(role, "master");
    ck_assert_int_eq(cc_info_ll(a.port, "replication", "role", &off, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "role") && strstr(err, "not a number"), "%s", err);
    ck_assert_int_eq(cc_info_ll(a.port, "stats", "no_such_field", &off, err, sizeof err),
                     -1);
    ck_assert_msg(strstr(err, "no_such_field") != NULL, "%s", err);
    redis_server_stop(&a);
}
END_TEST

/* DEBUG on the replica: Redis's refusal when not enabled (checked first
 * against a real redis-server started without the option), Redis's arity
 * and subcommand errors. */
static void run_debug(const char *const *args, size_t argc, char *out, size_t outsz)
{
    resp_value argv[4];
    memset(argv, 0, sizeof argv);
    for (size_t i = 0; i < argc; i++) {
        argv[i].type = RESP_BULK;
        argv[i].str = (char *)args[i];
        argv[i].len = strlen(args[i]);
    }
    reply_buf rb;
    reply_init(&rb, 2);
    server_ctx x = {.out = &rb, .argc = argc, .argv = argv, .databases = 16};
    ck_assert_int_eq(server_cmd_run(&x), 0);
    snprintf(out, outsz, "%.*s", (int)rb.out.len, rb.out.data);
    reply_free(&rb);
}

START_TEST(debug_refused_as_redis)
{
    redis_server a;
    char err[1024], want[512], got[512];
    ck_assert_msg(redis_server_start(&a, NULL, err, sizeof err) == 0, "%s", err);
    int fd = redis_server_connect(&a);
    ck_assert_int_eq(redis_commandl(fd, want, sizeof want, "DEBUG", "SLEEP", "0", NULL),
                     '-');
    close(fd);
    redis_server_stop(&a);
    run_debug((const char *[]){"DEBUG", "SLEEP", "0"}, 3, got, sizeof got);
    char expect[600];
    snprintf(expect, sizeof expect, "-%s\r\n", want);
    ck_assert_str_eq(got, expect);
    run_debug((const char *[]){"debug"}, 1, got, sizeof got);
    ck_assert_str_eq(got, "-ERR wrong number of arguments for 'debug' command\r\n");
}
END_TEST

START_TEST(debug_config_option)
{
    replica_config c;
    char err[256];
    ck_assert_int_eq(replica_config_init(&c), 0);
    ck_assert(!c.enable_debug_command);
    char *yes[] = {"yes"}, *bad[] = {"local2"};
    ck_assert_int_eq(replica_config_set(&c, "enable-debug-command", 1, yes, err,
                                        sizeof err), 0);
    ck_assert(c.enable_debug_command);
    ck_assert_int_eq(replica_config_set(&c, "enable-debug-command", 1, bad, err,
                                        sizeof err), -1);
    ck_assert_str_eq(err, "enable-debug-command: not yes or no: 'local2'");
    replica_config_free(&c);
}
END_TEST

Suite *ch12_consistency_suite(void)
{
    Suite *s = suite_create("ch12_consistency");
    TCase *t = test_tcase("checker", 120);
    tcase_add_test(t, every_fault_is_listed);
    tcase_add_test(t, short_run_passes);
    tcase_add_test(t, missing_replica_program);
    tcase_add_test(t, dump_finds_one_difference);
    tcase_add_test(t, info_fields);
    tcase_add_test(t, debug_refused_as_redis);
    tcase_add_test(t, debug_config_option);
    suite_add_tcase(s, t);
    return s;
}
