/* ch09_counter.c - tests for exercise 9.2 (exercises/ch09/counter_ex.c).
 *
 * Each command goes to a real redis-server and to the learner's handler,
 * run the way the applier runs one: inside a keyspace batch, with a
 * cmd_ctx, the batch committed even when the handler failed (so a handler
 * that changed something before failing is caught).  The replies' errors
 * must be equal, and so must the key afterwards: its bytes and whether it
 * has a TTL.
 */
#include "counter_ex.h"
#include "redis_server.h"
#include "resp_client.h"
#include "test_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HINT "exercise 9.2 (exercises/ch09/counter_ex.c)"

static redis_server rs;
static resp_client cl;
static keyspace *ks;

static void setup(void)
{
    char err[256];
    ck_assert_msg(redis_server_start(&rs, NULL, err, sizeof err) == 0,
                  "redis-server: %s", err);
    ck_assert_int_eq(resp_client_open(&cl, rs.port), 0);
    ks = keyspace_create(store_variant("cow"), 16);
    ck_assert_ptr_nonnull(ks);
}

static void teardown(void)
{
    keyspace_destroy(ks);
    resp_client_close(&cl);
    redis_server_stop(&rs);
}

/* Run one command through the learner's table; err receives the reply
 * text of a failure ("" on success). */
static void ours(size_t argc, const char *const *argv, char *err, size_t errsz)
{
    const cmd_spec *spec = NULL;
    for (const cmd_spec *e = ex_counter_table; e->name != NULL; e++)
        if (strcasecmp(e->name, argv[0]) == 0)
            spec = e;
    ck_assert_msg(spec != NULL, HINT ": ex_counter_table has no '%s'",
                  argv[0]);
    ck_assert_msg(spec->arity == (int)argc, HINT ": %s's arity is %d, "
                  "Redis's is %zu", spec->name, spec->arity, argc);
    resp_value args[3];
    for (size_t i = 0; i < argc; i++)
        args[i] = (resp_value){ .type = RESP_BULK, .str = (char *)argv[i],
                                .len = strlen(argv[i]) };
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    cmd_ctx c = { .ks = ks, .db = 0, .argc = argc, .argv = args,
                  .spec = spec, .now_ms = value_now_ms(), .err_arg = -1 };
    int r = spec->fn(&c);
    ck_assert_msg(r == 0 || c.err[0] != '\0', HINT ": %s failed without "
                  "cmd_error()", spec->name);
    ck_assert_int_eq(keyspace_commit(ks), 0);
    snprintf(err, errsz, "%s", r == 0 ? "" : c.err);
}

/* The same command on both sides; then the key must match. */
static void both(const char *cmd, const char *key, const char *arg)
{
    const char *argv[3] = { cmd, key, arg };
    size_t argc = arg != NULL ? 3 : 2;
    resp_value v;
    ck_assert_int_eq(resp_client_call(&cl, &v, argc, argv, NULL), 0);
    char theirs[256], mine[256];
    snprintf(theirs, sizeof theirs, "%s",
             v.type == RESP_ERROR ? v.str : "");
    resp_value_clear(&v);
    ours(argc, argv, mine, sizeof mine);
    ck_assert_msg(strcmp(theirs, mine) == 0, HINT ": %s %s %s: Redis "
                  "replies '%s', your handler '%s'", cmd, key,
                  arg != NULL ? arg : "", theirs[0] ? theirs : "(success)",
                  mine[0] ? mine : "(success)");

    ck_assert_int_eq(resp_client_calll(&cl, &v, "TYPE", key, NULL), 0);
    bool is_string = strcmp(v.str, "string") == 0;
    resp_value_clear(&v);
    keyspace_reader *r = keyspace_reader_open(ks);
    keyspace_read_begin(r);
    const value *mv = keyspace_get(r, 0, key, strlen(key));
    if (is_string) {
        ck_assert_int_eq(resp_client_calll(&cl, &v, "GET", key, NULL), 0);
        ck_assert_msg(mv != NULL && mv->type == VALUE_STRING,
                      HINT ": after %s %s, %s is gone or not a string",
                      cmd, key, key);
        char buf[64] = "";
        size_t n = value_str_len(mv);
        if (n < sizeof buf)
            value_str_read(mv, 0, buf, n);
        ck_assert_msg(n == v.len && memcmp(buf, v.str, n) == 0,
                      HINT ": after %s %s %s, Redis holds '%s', you '%.*s'",
                      cmd, key, arg != NULL ? arg : "", v.str, (int)n, buf);
        resp_value_clear(&v);
        ck_assert_int_eq(resp_client_calll(&cl, &v, "PTTL", key, NULL), 0);
        ck_assert_msg((v.integer > 0) == (mv->expire_ms != VALUE_NO_EXPIRY),
                      HINT ": after %s %s, Redis's TTL is %" PRId64 " ms "
                      "but yours is %s", cmd, key, v.integer,
                      mv->expire_ms != VALUE_NO_EXPIRY ? "set" : "gone");
        resp_value_clear(&v);
    }
    keyspace_read_end(r);
    keyspace_reader_close(r);
}

/* Give key the same starting string on both sides. */
static void start_with(const char *key, const char *s, bool ttl)
{
    resp_value v;
    if (ttl)
        ck_assert_int_eq(resp_client_calll(&cl, &v, "SET", key, s, "PX",
                                           "600000", NULL), 0);
    else
        ck_assert_int_eq(resp_client_calll(&cl, &v, "SET", key, s, NULL), 0);
    resp_value_clear(&v);
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    value *nv = value_new_string(s, strlen(s), ttl ? value_now_ms() + 600000
                                                   : VALUE_NO_EXPIRY);
    ck_assert_int_eq(keyspace_put(ks, 0, key, strlen(key), nv), 0);
    ck_assert_int_eq(keyspace_commit(ks), 0);
}

static const char *const starts[] = {
    "0", "10", "-5", "9223372036854775807", "-9223372036854775808",
    "9223372036854775806", "-9223372036854775807", " 1", "1 ", "+1", "01",
    "-0", "1.5", "", "abc", "99999999999999999999", "123456789012345678901",
};
static const char *const incs[] = {
    "1", "-1", "0", "9223372036854775807", "-9223372036854775808",
    "9223372036854775806", "2", "-2", " 1", "+1", "01", "-0", "1.0", "",
    "x", "18446744073709551616",
};
#define N(a) (sizeof a / sizeof *a)

START_TEST(every_start_and_increment)
{
    const char *const cmds[] = { "INCRBY", "DECRBY" };
    for (size_t s = 0; s < N(starts); s++) {
        for (size_t i = 0; i < N(incs); i++)
            for (size_t c = 0; c < 2; c++) {
                start_with("k", starts[s], (s + i) % 3 == 0);
                both(cmds[c], "k", incs[i]);
            }
        start_with("k", starts[s], s % 2 == 0);
        both("INCR", "k", NULL);
        start_with("k", starts[s], s % 2 == 1);
        both("DECR", "k", NULL);
    }
}
END_TEST

START_TEST(missing_keys_and_wrong_types)
{
    both("INCR", "new1", NULL);
    both("DECR", "new2", NULL);
    both("INCRBY", "new3", "-7");
    both("DECRBY", "new4", "9223372036854775807");
    /* a list: WRONGTYPE on both sides, and the list stays */
    resp_value v;
    ck_assert_int_eq(resp_client_calll(&cl, &v, "RPUSH", "l", "a", NULL), 0);
    resp_value_clear(&v);
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    value *l = value_new_collection(VALUE_LIST, VALUE_NO_EXPIRY);
    ck_assert_int_eq(value_list_push(l, "a", 1), 0);
    ck_assert_int_eq(keyspace_put(ks, 0, "l", 1, l), 0);
    ck_assert_int_eq(keyspace_commit(ks), 0);
    both("INCR", "l", NULL);
    both("DECRBY", "l", "x"); /* which check comes first: Redis's order */
    both("INCRBY", "l", "1");
    keyspace_reader *r = keyspace_reader_open(ks);
    keyspace_read_begin(r);
    const value *lv = keyspace_get(r, 0, "l", 1);
    ck_assert_msg(lv != NULL && lv->type == VALUE_LIST,
                  HINT ": a refused command changed the list");
    keyspace_read_end(r);
    keyspace_reader_close(r);
}
END_TEST

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

START_TEST(random_sequences)
{
    uint64_t s = 9;
    const char *const keys[] = { "a", "b", "c" };
    const char *const cmds[] = { "INCR", "DECR", "INCRBY", "DECRBY" };
    long rounds = test_scale(3000, 200);
    for (long r = 0; r < rounds; r++) {
        const char *key = keys[rnd(&s) % 3];
        if (rnd(&s) % 20 == 0) {
            start_with(key, starts[rnd(&s) % N(starts)], rnd(&s) & 1);
            continue;
        }
        const char *cmd = cmds[rnd(&s) % 4];
        char num[32];
        if (rnd(&s) % 4 == 0)
            snprintf(num, sizeof num, "%s", incs[rnd(&s) % N(incs)]);
        else
            snprintf(num, sizeof num, "%" PRId64,
                     (int64_t)rnd(&s) >> (rnd(&s) % 64));
        both(cmd, key, cmd[strlen(cmd) - 1] == 'Y' ? num : NULL);
    }
}
END_TEST

Suite *ex09_counter_suite(void)
{
    Suite *s = suite_create("ex09_counter");
    TCase *tc = test_tcase("counter", 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_start_and_increment);
    tcase_add_test(tc, missing_keys_and_wrong_types);
    tcase_add_test(tc, random_sequences);
    suite_add_tcase(s, tc);
    return s;
}
