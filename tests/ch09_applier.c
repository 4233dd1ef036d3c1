/* ch09_applier.c - chapter 9: the applier refuses what Redis refuses, in the same words.
 * Chapter 9.
 *
 * A master never propagates a command that fails, so on a live link any
 * failure is a divergence, and the applier must notice it exactly: the
 * same verdict as Redis, the same reply text, and nothing changed.  The
 * main test sends more than forty malformed or failing commands to a
 * real redis-server and to the applier side by side (the oracle,
 * tests/util/oracle.h, compares the texts and the keyspace as JSON before
 * and after each).  The others check MULTI/EXEC as Redis queues it
 * (errors at queue time abort the transaction, errors at EXEC do not, a
 * transaction with SELECTs across databases is published as one batch),
 * the per-command counts, the stream offset in error messages, FUNCTION's
 * library registry, and that running out of memory anywhere in a batch
 * leaves the keyspace as it was at the last flush.
 */
#include "cmd.h"
#include "cmd_server.h"
#include "keyspace_rdb.h"

#include "alloc.h"
#include "oracle.h"
#include "test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- helpers --------------------------------------------------------------- */

static const char lib1[] =
    "#!lua name=lib1\nredis.register_function('f1', function() return 1 end)";
static const char lib2[] =
    "#!lua name=lib2\nredis.register_function('f2', function() return 2 end)";

#define APPLY(a, ...)                                                        \
    ({                                                                      \
        const char *argv_[] = {__VA_ARGS__};                                \
        cmd_apply_argv((a), sizeof argv_ / sizeof *argv_, argv_, NULL);     \
    })

/* Apply a command given as C strings at a stream offset. */
static cmd_status apply_at(cmd_applier *a, uint64_t offset, size_t argc,
                           const char *const *argv)
{
    resp_value elems[16];
    resp_value cmd = {.type = RESP_ARRAY, .len = argc, .elems = elems};
    for (size_t i = 0; i < argc; i++)
        elems[i] = (resp_value){.type = RESP_BULK, .len = strlen(argv[i]),
                                .str = (char *)argv[i]};
    return cmd_apply(a, &cmd, offset);
}

static keyspace *new_keyspace(void)
{
    keyspace *ks = keyspace_create(store_variant("cow"), 16);
    ck_assert_ptr_nonnull(ks);
    return ks;
}

/* The keyspace as JSON (committed state). */
static char *json(keyspace *ks)
{
    keyspace_reader *r = keyspace_reader_open(ks);
    ck_assert_ptr_nonnull(r);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(keyspace_dump_json(r, f), 0);
    fclose(f);
    keyspace_reader_close(r);
    return buf;
}

/* Put a string straight into the keyspace (outside the applier). */
static void put_string(keyspace *ks, unsigned db, const char *k,
                       const char *v)
{
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    value *s = value_new_string(v, strlen(v), VALUE_NO_EXPIRY);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(keyspace_put(ks, db, k, strlen(k), s), 0);
    ck_assert_int_eq(keyspace_commit(ks), 0);
}

static void put_list(keyspace *ks, unsigned db, const char *k,
                     const char *const *items, size_t n)
{
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    value *l = value_new_collection(VALUE_LIST, VALUE_NO_EXPIRY);
    ck_assert_ptr_nonnull(l);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(value_list_push(l, items[i], strlen(items[i])), 0);
    ck_assert_int_eq(keyspace_put(ks, db, k, strlen(k), l), 0);
    ck_assert_int_eq(keyspace_commit(ks), 0);
}

/* A command to the oracle's redis-server only, which must accept it. */
static void redis_only(oracle *o, const char *arg0, ...)
{
    const char *argv[16];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *s = arg0; s != NULL && argc < 16;
         s = va_arg(ap, const char *))
        argv[argc++] = s;
    va_end(ap);
    resp_value r;
    ck_assert_int_eq(resp_client_call(&o->cl, &r, argc, argv, NULL), 0);
    ck_assert_msg(r.type != RESP_ERROR, "%s: %s", argv[0], r.str);
    resp_value_clear(&r);
}

/*
 * The same keys in Redis and in the applier, without the string and list
 * commands (other families): db 0 holds "str" = "hello", "num" = "10",
 * "list" = [a, b, c]; db 1 holds "other" = "x".  In AOF mode what this
 * appended to Redis's AOF is skipped, since the applier got the keys
 * directly.
 */
static void seed(oracle *o)
{
    static const char *const items[] = {"a", "b", "c"};
    redis_only(o, "SET", "str", "hello", NULL);
    redis_only(o, "SET", "num", "10", NULL);
    redis_only(o, "RPUSH", "list", "a", "b", "c", NULL);
    redis_only(o, "SELECT", "1", NULL);
    redis_only(o, "SET", "other", "x", NULL);
    redis_only(o, "SELECT", "0", NULL);
    ck_assert_int_eq(cmd_applier_flush(o->app), 0);
    put_string(o->ks, 0, "str", "hello");
    put_string(o->ks, 0, "num", "10");
    put_list(o->ks, 0, "list", items, 3);
    put_string(o->ks, 1, "other", "x");
    if (o->flags == ORACLE_AOF) {
        struct stat st;
        ck_assert_int_eq(stat(o->aof_path, &st), 0);
        uint64_t skip = (uint64_t)st.st_size - o->aof_off;
        ck_assert_int_eq(resp_parser_advance(&o->aof_parser, skip), 0);
        o->aof_off = (uint64_t)st.st_size;
    }
    oracle_check(o); /* the seeds agree */
}

/* ---- lookup, counts, offsets (no server) -------------------------------------- */

START_TEST(lookup_ignores_case)
{
    const cmd_spec *s = cmd_lookup("SeLeCt", 6);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s->name, "select");
    ck_assert_int_eq(s->arity, 2);
    ck_assert_ptr_eq(cmd_lookup("select", 6), s);
    ck_assert_ptr_null(cmd_lookup("selec", 5));
    ck_assert_ptr_null(cmd_lookup("selectx", 7));
    ck_assert_ptr_null(cmd_lookup("", 0));
    ck_assert_ptr_nonnull(cmd_lookup("FUNCTION|LOAD", 13));
    ck_assert_ptr_nonnull(cmd_lookup("multi", 5));
}
END_TEST

typedef struct counts_seen {
    char text[512];
} counts_seen;

static void add_count(const cmd_count *c, void *arg)
{
    counts_seen *s = arg;
    size_t n = strlen(s->text);
    snprintf(s->text + n, sizeof s->text - n, "%s%s %llu/%llu", n ? ", " : "",
             c->name, (unsigned long long)c->applied,
             (unsigned long long)c->failed);
}

START_TEST(counts_per_command)
{
    keyspace *ks = new_keyspace();
    cmd_applier *a = cmd_applier_create(ks, NULL);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(APPLY(a, "PING"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "ping", "hello"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "SELECT", "1"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "SELECT", "99"), CMD_FAILED);
    ck_assert_int_eq(APPLY(a, "foo"), CMD_FAILED);
    ck_assert_int_eq(APPLY(a, "bar", "1"), CMD_FAILED);
    ck_assert_int_eq(APPLY(a, "MULTI"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "PING"), CMD_APPLIED); /* queued */
    ck_assert_int_eq(APPLY(a, "EXEC"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "FLUSHALL"), CMD_APPLIED);
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    counts_seen s = {""};
    cmd_applier_counts(a, add_count, &s);
    /* table order (cmd_table.c), the unknown ones last; a queued command
     * counts when EXEC runs it */
    ck_assert_str_eq(s.text, "multi 1/0, exec 1/0, select 1/1, flushall 1/0, "
                             "ping 3/0, (unknown) 0/2");
    ck_assert_uint_eq(cmd_applier_failures(a), 3);
    ck_assert_uint_eq(cmd_applier_db(a), 1);
    cmd_applier_destroy(a);
    keyspace_destroy(ks);
}
END_TEST

START_TEST(offset_in_messages)
{
    keyspace *ks = new_keyspace();
    cmd_applier *a = cmd_applier_create(ks, NULL);
    ck_assert_ptr_nonnull(a);
    const char *sel[] = {"select", "16"};
    ck_assert_int_eq(apply_at(a, 4242, 2, sel), CMD_FAILED);
    ck_assert_str_eq(cmd_applier_error(a), "offset 4242: SELECT argument 1: "
                                           "ERR DB index is out of range");
    ck_assert_str_eq(cmd_applier_reply_error(a),
                     "ERR DB index is out of range");
    const char *foo[] = {"foo", "x"};
    ck_assert_int_eq(apply_at(a, 7, 2, foo), CMD_FAILED);
    ck_assert_str_eq(cmd_applier_error(a),
                     "offset 7: FOO: ERR unknown command 'foo', with args "
                     "beginning with: 'x' ");
    const char *sw[] = {"swapdb", "0"};
    ck_assert_int_eq(apply_at(a, 9, 2, sw), CMD_FAILED);
    ck_assert_str_eq(cmd_applier_error(a),
                     "offset 9: SWAPDB: ERR wrong number of arguments for "
                     "'swapdb' command");
    /* A command that fails inside EXEC is reported at its own offset. */
    const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"}, *ping[] = {"PING"};
    const char *bad[] = {"SELECT", "x"};
    ck_assert_int_eq(apply_at(a, 100, 1, multi), CMD_APPLIED);
    ck_assert_int_eq(apply_at(a, 200, 1, ping), CMD_APPLIED);
    ck_assert_int_eq(apply_at(a, 300, 2, bad), CMD_APPLIED); /* queued */
    ck_assert_int_eq(apply_at(a, 400, 1, exec), CMD_FAILED);
    ck_assert_str_eq(cmd_applier_error(a), "offset 300: SELECT argument 1: "
                     "ERR value is not an integer or out of range");
    /* A success clears the last error. */
    ck_assert_int_eq(apply_at(a, 500, 1, ping), CMD_APPLIED);
    ck_assert_str_eq(cmd_applier_error(a), "");
    /* Not an array of bulk strings. */
    resp_value in = {.type = RESP_INTEGER, .integer = 3};
    ck_assert_int_eq(cmd_apply(a, &in, 600), CMD_FAILED);
    ck_assert_ptr_nonnull(strstr(cmd_applier_error(a), "offset 600: "));
    cmd_applier_destroy(a);
    keyspace_destroy(ks);
}
END_TEST

START_TEST(scripts_are_refused)
{
    keyspace *ks = new_keyspace();
    cmd_applier *a = cmd_applier_create(ks, NULL);
    ck_assert_ptr_nonnull(a);
    static const char *const names[] = {"EVAL", "evalsha", "FCALL",
                                        "eval_ro", "EVALSHA_RO", "fcall_ro"};
    for (size_t i = 0; i < 6; i++) {
        const char *argv[] = {names[i], "return 1", "0"};
        ck_assert_int_eq(cmd_apply_argv(a, 3, argv, NULL), CMD_FAILED);
        ck_assert_msg(strstr(cmd_applier_reply_error(a),
                             "replicates a script by its effects") != NULL,
                      "%s", cmd_applier_reply_error(a));
    }
    ck_assert_str_eq(cmd_applier_reply_error(a),
                     "ERR FCALL_RO is not applied: Redis 7.0 replicates a "
                     "script by its effects (the writes it made), never the "
                     "script itself");
    cmd_applier_destroy(a);
    keyspace_destroy(ks);
}
END_TEST

typedef struct libs_seen {
    char text[256];
} libs_seen;

static int add_lib(const char *name, size_t nlen, const char *code,
                   size_t clen, void *arg)
{
    libs_seen *s = arg;
    size_t n = strlen(s->text);
    snprintf(s->text + n, sizeof s->text - n, "%s%.*s:%zu", n ? " " : "",
             (int)nlen, name, clen);
    ck_assert_uint_eq(strlen(code), clen);
    return 0;
}

typedef struct pub_seen {
    int n;
    char last[64];
} pub_seen;

static void on_pub(const void *chan, size_t clen, const void *msg,
                   size_t mlen, void *arg)
{
    pub_seen *p = arg;
    p->n++;
    snprintf(p->last, sizeof p->last, "%.*s=%.*s", (int)clen,
             (const char *)chan, (int)mlen, (const char *)msg);
}

START_TEST(functions_publish_replconf)
{
    keyspace *ks = new_keyspace();
    pub_seen pub = {0, ""};
    cmd_options opt = {.on_publish = on_pub, .publish_arg = &pub};
    cmd_applier *a = cmd_applier_create(ks, &opt);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(APPLY(a, "FUNCTION", "LOAD", lib1), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "function", "load", lib2), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "FUNCTION", "LOAD", lib1), CMD_FAILED);
    ck_assert_str_eq(cmd_applier_reply_error(a),
                     "ERR Library 'lib1' already exists");
    ck_assert_int_eq(APPLY(a, "FUNCTION", "LOAD", "REPLACE", lib1),
                     CMD_APPLIED);
    libs_seen s = {""};
    ck_assert_uint_eq(cmd_applier_functions(a, add_lib, &s), 2);
    ck_assert_str_eq(s.text, "lib2:70 lib1:70");
    ck_assert_int_eq(APPLY(a, "FUNCTION", "DELETE", "lib2"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "FUNCTION", "DELETE", "lib2"), CMD_FAILED);
    ck_assert_str_eq(cmd_applier_reply_error(a), "ERR Library not found");
    ck_assert_uint_eq(cmd_applier_functions(a, add_lib, &s), 1);
    ck_assert_int_eq(APPLY(a, "FUNCTION", "FLUSH", "ASYNC"), CMD_APPLIED);
    ck_assert_uint_eq(cmd_applier_functions(a, add_lib, &s), 0);
    ck_assert_int_eq(APPLY(a, "PUBLISH", "ch", "hi"), CMD_APPLIED);
    ck_assert_int_eq(pub.n, 1);
    ck_assert_str_eq(pub.last, "ch=hi");
    ck_assert_int_eq(APPLY(a, "REPLCONF", "GETACK", "*"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "SCRIPT", "FLUSH"), CMD_APPLIED);
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    char *j = json(ks);
    ck_assert_str_eq(j, "{\n \"dbs\": {}\n}\n");
    free(j);
    cmd_applier_destroy(a);
    keyspace_destroy(ks);
}
END_TEST

/* ---- MULTI/EXEC: one publication -------------------------------------------- */

static size_t dbsize(keyspace_reader *r, unsigned db)
{
    keyspace_read_begin(r);
    size_t n = keyspace_dbsize(r, db);
    keyspace_read_end(r);
    return n;
}

START_TEST(multi_exec_is_one_publication)
{
    keyspace *ks = new_keyspace();
    put_string(ks, 0, "a", "1");
    put_string(ks, 1, "b", "2");
    put_string(ks, 1, "c", "3");
    cmd_applier *a = cmd_applier_create(ks, NULL);
    ck_assert_ptr_nonnull(a);
    keyspace_reader *r = keyspace_reader_open(ks);
    ck_assert_ptr_nonnull(r);

    ck_assert_int_eq(APPLY(a, "MULTI"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "SELECT", "1"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "FLUSHDB"), CMD_APPLIED);
    /* A flush inside the transaction publishes nothing and keeps it. */
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    ck_assert_uint_eq(dbsize(r, 1), 2);
    ck_assert_int_eq(APPLY(a, "SELECT", "2"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "SWAPDB", "0", "3"), CMD_APPLIED);
    ck_assert_uint_eq(cmd_applier_db(a), 0); /* still queued */
    ck_assert_int_eq(APPLY(a, "EXEC"), CMD_APPLIED);
    ck_assert_uint_eq(cmd_applier_db(a), 2);
    /* Applied, not yet published. */
    ck_assert_uint_eq(dbsize(r, 0), 1);
    ck_assert_uint_eq(dbsize(r, 1), 2);
    ck_assert_uint_eq(dbsize(r, 3), 0);
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    /* All of it at once. */
    keyspace_read_begin(r);
    ck_assert_uint_eq(keyspace_dbsize(r, 0), 0);
    ck_assert_uint_eq(keyspace_dbsize(r, 1), 0);
    ck_assert_uint_eq(keyspace_dbsize(r, 3), 1);
    ck_assert_ptr_nonnull(keyspace_get(r, 3, "a", 1));
    keyspace_read_end(r);

    /* DISCARD drops the queue; a queue-time error aborts EXEC. */
    ck_assert_int_eq(APPLY(a, "MULTI"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "FLUSHALL"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "DISCARD"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "MULTI"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "FLUSHALL"), CMD_APPLIED);
    ck_assert_int_eq(APPLY(a, "SWAPDB", "1"), CMD_FAILED);
    ck_assert_int_eq(APPLY(a, "EXEC"), CMD_FAILED);
    ck_assert_str_eq(cmd_applier_reply_error(a), "EXECABORT Transaction "
                     "discarded because of previous errors.");
    ck_assert_int_eq(APPLY(a, "EXEC"), CMD_FAILED);
    ck_assert_str_eq(cmd_applier_reply_error(a), "ERR EXEC without MULTI");
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    ck_assert_uint_eq(dbsize(r, 3), 1);

    keyspace_reader_close(r);
    cmd_applier_destroy(a);
    keyspace_destroy(ks);
}
END_TEST

/* Out of memory at any allocation of a batch: the keyspace, the selected
 * database and the transaction state are as at the last flush. */
START_TEST(nomem_aborts_the_batch)
{
    keyspace *ks = new_keyspace();
    static const char *const items[] = {"x", "y"};
    put_string(ks, 0, "a", "1");
    put_string(ks, 1, "b", "2");
    put_list(ks, 2, "l", items, 2);
    char *before = json(ks);
    static const char *const cmds[][4] = {
        {"SELECT", "1", NULL}, {"MULTI", NULL}, {"SELECT", "2", NULL},
        {"FLUSHDB", NULL},     {"SWAPDB", "0", "1"}, {"PING", NULL},
        {"EXEC", NULL},        {"SWAPDB", "1", "3"}, {"FLUSHDB", "SYNC"},
    };
    size_t ncmds = sizeof cmds / sizeof cmds[0];
    bool done = false;
    unsigned long n;
    for (n = 1; !done && n < 10000; n++) {
        cmd_applier *a = NULL;
        alloc_fail_nth(n);
        a = cmd_applier_create(ks, NULL);
        bool nomem = a == NULL;
        for (size_t i = 0; !nomem && i < ncmds; i++) {
            size_t argc = 0;
            while (argc < 4 && cmds[i][argc] != NULL)
                argc++;
            cmd_status s = cmd_apply_argv(a, argc, cmds[i], NULL);
            ck_assert_msg(s != CMD_FAILED, "n=%lu %s: %s", n, cmds[i][0],
                          cmd_applier_error(a));
            if (s == CMD_NOMEM)
                nomem = true;
        }
        if (!nomem && cmd_applier_flush(a) != 0)
            nomem = true;
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        if (!nomem) {
            ck_assert_uint_eq(fired, 0); /* ENOMEM must never be lost */
            done = true;
        } else {
            ck_assert_uint_eq(fired, 1);
            if (a != NULL) {
                ck_assert_uint_eq(cmd_applier_db(a), 0);
                ck_assert(!keyspace_in_batch(ks));
            }
            char *now = json(ks);
            ck_assert_msg(strcmp(now, before) == 0, "n=%lu:\n%s\nvs\n%s", n,
                          now, before);
            free(now);
        }
        if (a != NULL) {
            /* after a failure the applier is usable again */
            ck_assert_int_eq(APPLY(a, "PING"), CMD_APPLIED);
            ck_assert_int_eq(cmd_applier_flush(a), 0);
        }
        cmd_applier_destroy(a);
    }
    ck_assert(done);
    ck_assert_uint_gt(n, 3); /* some allocations were failed */
    /* The successful run: EXEC flushed db 2 and swapped 0 with 1, then
     * db 1 (holding "a") was swapped with db 3 and db 2 flushed again. */
    keyspace_reader *r = keyspace_reader_open(ks);
    keyspace_read_begin(r);
    ck_assert_uint_eq(keyspace_dbsize(r, 0), 1); /* "b" */
    ck_assert_ptr_nonnull(keyspace_get(r, 0, "b", 1));
    ck_assert_uint_eq(keyspace_dbsize(r, 2), 0);
    ck_assert_ptr_nonnull(keyspace_get(r, 3, "a", 1));
    keyspace_read_end(r);
    keyspace_reader_close(r);
    free(before);
    keyspace_destroy(ks);
}
END_TEST

/* ---- against redis-server ------------------------------------------------------ */

/* A command that must fail; `needs` names the command the applier must
 * have for the case to run (a family added later), NULL for always. */
typedef struct bad_case {
    const char *needs;
    const char *argv[8];
} bad_case;

static const bad_case bad_cases[] = {
    /* unknown commands, Redis 7.0's text with the arguments quoted */
    {NULL, {"nosuchcommand", "a", "b"}},
    {NULL, {"NOSUCH"}},
    {NULL, {"nosuch", "arg with spaces", "", "x"}},
    /* arity */
    {NULL, {"select"}},
    {NULL, {"SELECT", "1", "2"}},
    {NULL, {"swapdb", "0"}},
    {NULL, {"ping", "a", "b"}},
    {NULL, {"publish", "ch"}},
    {NULL, {"function"}},
    {NULL, {"function", "load"}},
    {NULL, {"function", "delete"}},
    {NULL, {"function", "restore"}},
    {NULL, {"script"}},
    {NULL, {"eval", "return 1"}},
    {NULL, {"MULTI", "x"}},
    {NULL, {"exec", "x"}},
    /* not an integer / out of range */
    {NULL, {"SELECT", "x"}},
    {NULL, {"SELECT", ""}},
    {NULL, {"SELECT", " 1"}},
    {NULL, {"SELECT", "01"}},
    {NULL, {"SELECT", "+1"}},
    {NULL, {"SELECT", "-0"}},
    {NULL, {"SELECT", "1.5"}},
    {NULL, {"SELECT", "99999999999999999999"}},
    {NULL, {"SELECT", "2147483648"}},
    {NULL, {"SELECT", "16"}},
    {NULL, {"SELECT", "-1"}},
    {NULL, {"swapdb", "a", "1"}},
    {NULL, {"swapdb", "0", "b"}},
    {NULL, {"swapdb", "0", "16"}},
    {NULL, {"swapdb", "-1", "0"}},
    {NULL, {"swapdb", "2147483648", "0"}},
    /* syntax */
    {NULL, {"flushdb", "x"}},
    {NULL, {"FLUSHDB", "ASYNC", "SYNC"}},
    {NULL, {"flushall", "now"}},
    {NULL, {"FLUSHALL", "SYNC", "SYNC"}},
    {NULL, {"REPLCONF", "listening-port"}},
    {NULL, {"exec"}},
    {NULL, {"discard"}},
    /* FUNCTION and SCRIPT */
    {NULL, {"function", "nosuch"}},
    {NULL, {"FUNCTION", "LOAD", "return 1"}},
    {NULL, {"FUNCTION", "LOAD", "#!lua name=x"}},
    {NULL, {"FUNCTION", "LOAD", "#!lua name=a-b\nreturn 1"}},
    {NULL, {"FUNCTION", "LOAD", "#!lua name=\nreturn 1"}},
    {NULL, {"FUNCTION", "LOAD", "#!js name=j\nreturn 1"}},
    {NULL, {"FUNCTION", "LOAD", "#!lua\nreturn 1"}},
    {NULL, {"FUNCTION", "LOAD", "#!lua name=a name=b\nreturn 1"}},
    {NULL, {"FUNCTION", "LOAD", "#!lua name=a foo=bar\nreturn 1"}},
    {NULL, {"FUNCTION", "LOAD", "#!lua name=empty\nreturn 1"}},
    {NULL, {"FUNCTION", "LOAD", "NOW", "#!lua name=x\nreturn 1"}},
    {NULL, {"FUNCTION", "LOAD", lib1}}, /* loaded by the test first */
    {NULL, {"FUNCTION", "DELETE", "nosuch"}},
    {NULL, {"FUNCTION", "DELETE", "LIB1"}},
    {NULL, {"FUNCTION", "FLUSH", "LATER"}},
    {NULL, {"FUNCTION", "FLUSH", "SYNC", "ASYNC"}},
    {NULL, {"FUNCTION", "RESTORE", "garbage"}},
    {NULL, {"FUNCTION", "RESTORE", "", "APPEND"}},
    {NULL, {"FUNCTION", "RESTORE", "x", "MERGE"}},
    {NULL, {"FUNCTION", "RESTORE", "x", "APPEND", "y"}},
    {NULL, {"SCRIPT", "FLUSH", "LATER"}},
    {NULL, {"script", "nosuch"}},
    /* WRONGTYPE and number formats, as the families land */
    {"incr", {"INCR", "list"}},
    {"incr", {"INCR", "str"}},
    {"incrby", {"INCRBY", "num", "1x"}},
    {"incrbyfloat", {"INCRBYFLOAT", "num", "abc"}},
    {"append", {"APPEND", "list", "x"}},
    {"set", {"SET", "k", "v", "EX", "0"}},
    {"set", {"SET", "k", "v", "NX", "XX"}},
    {"lpush", {"LPUSH", "str", "x"}},
    {"lset", {"LSET", "list", "9", "x"}},
    {"lset", {"LSET", "nokey", "0", "x"}},
    {"sadd", {"SADD", "list", "x"}},
    {"hset", {"HSET", "str", "f", "v"}},
    {"hset", {"HSET", "h", "f"}},
    {"zadd", {"ZADD", "z", "nan", "m"}},
    {"zadd", {"ZADD", "z", "1x", "m"}},
    {"zadd", {"ZADD", "list", "1", "m"}},
    {"xadd", {"XADD", "str", "*", "f", "v"}},
    {"rename", {"RENAME", "nokey", "x"}},
    {"expire", {"EXPIRE", "str", "x"}},
    {"setbit", {"SETBIT", "str", "-1", "1"}},
    {"pfadd", {"PFADD", "str", "x"}},
};

static size_t argc_of(const bad_case *b)
{
    size_t n = 0;
    while (n < 8 && b->argv[n] != NULL)
        n++;
    return n;
}

/* Every case in bad_cases[] that can run; returns how many ran. */
static size_t run_bad_cases(oracle *o)
{
    size_t ran = 0;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *b = &bad_cases[i];
        if (b->needs != NULL && cmd_lookup(b->needs, strlen(b->needs)) == NULL)
            continue;
        oracle_expect_errorv(o, argc_of(b), b->argv, NULL);
        ran++;
    }
    return ran;
}

START_TEST(bad_commands_direct)
{
    oracle *o = oracle_start(NULL, ORACLE_DIRECT);
    seed(o);
    oracle_cmd(o, "FUNCTION", "LOAD", lib1, NULL);
    /* a long unknown command: Redis quotes arguments until 128 bytes */
    char longarg[300];
    memset(longarg, 'x', sizeof longarg - 1);
    longarg[sizeof longarg - 1] = '\0';
    oracle_expect_error(o, "nosuch", longarg, "y", NULL);
    oracle_expect_error(o, "nosuch", "0123456789012345678901234567890123",
                        "0123456789012345678901234567890123",
                        "0123456789012345678901234567890123",
                        "0123456789012345678901234567890123", "z", NULL);
    longarg[200] = '\0';
    oracle_expect_error(o, longarg, NULL); /* the name cut at 128 */
    /* binary: a NUL ends the quoted text, as in Redis's %s */
    const char *bin[] = {"nosuch", "a\0b"};
    size_t binl[] = {6, 3};
    oracle_expect_errorv(o, 2, bin, binl);
    const char *crlf[] = {"nosuch", "a\r\nb"};
    oracle_expect_errorv(o, 2, crlf, NULL);
    size_t ran = run_bad_cases(o);
    ck_assert_uint_ge(ran + 5, 40);
    /* a real FUNCTION DUMP payload, corrupted and then refused */
    resp_value d;
    ck_assert_int_eq(resp_client_calll(&o->cl, &d, "FUNCTION", "DUMP", NULL),
                     0);
    ck_assert_int_eq(d.type, RESP_BULK);
    const char *rs[] = {"FUNCTION", "RESTORE", d.str};
    size_t rsl[] = {8, 7, d.len};
    oracle_expect_errorv(o, 3, rs, rsl); /* lib1 exists: APPEND refuses */
    d.str[d.len - 1] ^= 1;
    oracle_expect_errorv(o, 3, rs, rsl); /* checksum */
    d.str[d.len - 1] ^= 1;
    d.str[d.len - 10] = 99;
    oracle_expect_errorv(o, 3, rs, rsl); /* version */
    resp_value_clear(&d);
    oracle_check(o);
    ck_assert_uint_ge(cmd_applier_failures(o->app), 40);
    oracle_stop(o);
}
END_TEST

START_TEST(bad_commands_aof)
{
    oracle *o = oracle_start(NULL, ORACLE_AOF);
    seed(o);
    oracle_cmd(o, "FUNCTION", "LOAD", lib1, NULL);
    oracle_cmd(o, "SELECT", "1", NULL);
    oracle_cmd(o, "SWAPDB", "1", "2", NULL);
    oracle_cmd(o, "SELECT", "0", NULL); /* back to the seeded keys */
    size_t ran = run_bad_cases(o);
    ck_assert_uint_ge(ran, 40);
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

START_TEST(function_restore_direct)
{
    oracle *o = oracle_start(NULL, ORACLE_DIRECT);
    oracle_cmd(o, "FUNCTION", "LOAD", lib1, NULL);
    oracle_cmd(o, "FUNCTION", "LOAD", lib2, NULL);
    resp_value d;
    ck_assert_int_eq(resp_client_calll(&o->cl, &d, "FUNCTION", "DUMP", NULL),
                     0);
    ck_assert_int_eq(d.type, RESP_BULK);
    const char *rs[] = {"FUNCTION", "RESTORE", d.str, "APPEND"};
    size_t rsl[] = {8, 7, d.len, 6};
    oracle_cmd(o, "FUNCTION", "DELETE", "lib2", NULL);
    oracle_expect_errorv(o, 4, rs, rsl); /* lib1 is still there */
    rs[3] = "REPLACE";
    rsl[3] = 7;
    oracle_cmdv(o, 4, rs, rsl);
    oracle_cmd(o, "FUNCTION", "FLUSH", NULL);
    oracle_cmdv(o, 3, rs, rsl);
    oracle_cmd(o, "FUNCTION", "DELETE", "lib1", NULL);
    rs[3] = "flush";
    rsl[3] = 5;
    oracle_cmdv(o, 4, rs, rsl);
    resp_value_clear(&d);
    libs_seen s = {""};
    ck_assert_uint_eq(cmd_applier_functions(o->app, add_lib, &s), 2);
    /* in the payload's order, which is Redis's dictionary order */
    ck_assert_msg(strcmp(s.text, "lib1:70 lib2:70") == 0 ||
                  strcmp(s.text, "lib2:70 lib1:70") == 0, "%s", s.text);
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

/* A transaction's refusal: compared in DIRECT mode; in AOF mode the
 * applier only sees the AOF, in which a refused transaction leaves nothing,
 * so there it goes to Redis alone. */
static void txn_error(oracle *o, size_t argc, const char *const *argv)
{
    if (o->flags == ORACLE_DIRECT)
        oracle_expect_errorv(o, argc, argv, NULL);
    else
        oracle_cmdv(o, argc, argv, NULL);
}

static const char *const multi_cmd[] = {"MULTI"}, *const exec_cmd[] = {"EXEC"};

/* The transaction sequence both modes run. */
static void transactions(oracle *o)
{
    seed(o);
    /* SELECT inside MULTI moves the client for good */
    oracle_cmd(o, "MULTI", NULL);
    oracle_cmd(o, "SELECT", "1", NULL);
    oracle_cmd(o, "SWAPDB", "0", "5", NULL);
    oracle_cmd(o, "SELECT", "2", NULL);
    oracle_cmd(o, "FLUSHDB", NULL);
    oracle_cmd(o, "PING", NULL);
    oracle_cmd(o, "EXEC", NULL);
    oracle_check(o);
    /* nested MULTI is refused but does not abort the transaction */
    oracle_cmd(o, "MULTI", NULL);
    txn_error(o, 1, multi_cmd);
    oracle_cmd(o, "SWAPDB", "5", "6", NULL);
    oracle_cmd(o, "EXEC", NULL);
    oracle_check(o);
    /* errors at queue time abort it */
    static const char *const queue_errors[][3] = {
        {"SELECT", NULL}, {"nosuch", "x", NULL}, {"FUNCTION", "nosuch", NULL},
        {"DISCARD", "x", NULL}, {"FUNCTION", "LOAD", NULL},
    };
    for (size_t i = 0; i < 5; i++) {
        oracle_cmd(o, "MULTI", NULL);
        oracle_cmd(o, "SWAPDB", "6", "7", NULL);
        size_t argc = queue_errors[i][1] == NULL ? 1
                      : queue_errors[i][2] == NULL ? 2 : 3;
        txn_error(o, argc, queue_errors[i]);
        oracle_cmd(o, "FLUSHALL", NULL);
        txn_error(o, 1, exec_cmd);
    }
    oracle_check(o);
    /* errors at EXEC do not: the other commands apply */
    oracle_cmd(o, "MULTI", NULL);
    oracle_cmd(o, "SELECT", "99", NULL);
    oracle_cmd(o, "SWAPDB", "6", "8", NULL);
    oracle_cmd(o, "FLUSHDB", "LATER", NULL);
    txn_error(o, 1, exec_cmd);
    /* EXEC refused for its arity discards the transaction */
    oracle_cmd(o, "MULTI", NULL);
    oracle_cmd(o, "FLUSHALL", NULL);
    static const char *const exec_x[] = {"EXEC", "x"};
    txn_error(o, 2, exec_x);
    txn_error(o, 1, exec_cmd);
    oracle_check(o);
    /* DISCARD drops the queue */
    oracle_cmd(o, "MULTI", NULL);
    oracle_cmd(o, "FLUSHALL", NULL);
    oracle_cmd(o, "DISCARD", NULL);
    oracle_check(o);
    /* FUNCTION inside MULTI */
    oracle_cmd(o, "MULTI", NULL);
    oracle_cmd(o, "FUNCTION", "LOAD", lib1, NULL);
    oracle_cmd(o, "SWAPDB", "8", "0", NULL);
    oracle_cmd(o, "EXEC", NULL);
    oracle_check(o);
    /* and a last FLUSHALL empties everything */
    oracle_cmd(o, "FLUSHALL", "ASYNC", NULL);
    oracle_check(o);
}

START_TEST(multi_exec_direct)
{
    oracle *o = oracle_start(NULL, ORACLE_DIRECT);
    transactions(o);
    ck_assert_uint_eq(cmd_applier_db(o->app), 2);
    oracle_stop(o);
}
END_TEST

START_TEST(multi_exec_aof)
{
    oracle *o = oracle_start(NULL, ORACLE_AOF);
    transactions(o);
    ck_assert_uint_gt(o->aof_commands, 10);
    oracle_stop(o);
}
END_TEST

/* Every store variant with batches, through the AOF. */
START_TEST(every_variant_aof)
{
    for (const store_ops *const *v = store_variants; *v != NULL; v++) {
        keyspace *probe = keyspace_create(*v, 1);
        if (probe == NULL)
            continue; /* no store_apply(): not a keyspace store */
        keyspace_destroy(probe);
        oracle *o = oracle_start((*v)->name, ORACLE_AOF);
        seed(o);
        oracle_cmd(o, "SWAPDB", "0", "3", NULL);
        oracle_cmd(o, "MULTI", NULL);
        oracle_cmd(o, "SELECT", "3", NULL);
        oracle_cmd(o, "SWAPDB", "3", "1", NULL);
        oracle_cmd(o, "FLUSHDB", NULL);
        oracle_cmd(o, "EXEC", NULL);
        oracle_check(o);
        oracle_stop(o);
    }
}
END_TEST

Suite *ch09_applier_suite(void)
{
    Suite *s = suite_create("ch09_applier");
    TCase *tc = test_tcase("applier", 30);
    tcase_add_test(tc, lookup_ignores_case);
    tcase_add_test(tc, counts_per_command);
    tcase_add_test(tc, offset_in_messages);
    tcase_add_test(tc, scripts_are_refused);
    tcase_add_test(tc, functions_publish_replconf);
    tcase_add_test(tc, multi_exec_is_one_publication);
    tcase_add_test(tc, nomem_aborts_the_batch);
    suite_add_tcase(s, tc);
    TCase *tr = test_tcase("oracle", 60);
    tcase_add_checked_fixture(tr, NULL, oracle_teardown);
    tcase_add_test(tr, bad_commands_direct);
    tcase_add_test(tr, bad_commands_aof);
    tcase_add_test(tr, function_restore_direct);
    tcase_add_test(tr, multi_exec_direct);
    tcase_add_test(tr, multi_exec_aof);
    tcase_add_test(tr, every_variant_aof);
    suite_add_tcase(s, tr);
    return s;
}
