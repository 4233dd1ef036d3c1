/* ch12_badinput_link.c - chapter 12: bad bytes from the master.
 *
 * The replication link runs for real (src/repl.c on its own thread) against
 * chapter 10's scriptable master (tests/util/fake_master.h): a handshake, a
 * full sync of 20 keys, one good command, and then a row's bytes, which are
 * not a stream of commands (a reply, an inline line, a bad length, a
 * non-bulk argument ...) or a command the applier refuses.  Each row
 * asserts that the link reports the error with the byte offset of the
 * offending byte (the replication offset: the good command ended at
 * BASE_OFF + its length) and the row's words, drops the connection, leaves
 * the dataset exactly as it was (dumped as JSON before and after), and
 * then, on its own, reconnects, asks for a full resync (its copy is no
 * longer trusted), loads a new snapshot and applies the commands after it.
 */
#include "ch12_badinput.h"

#include "fake_master.h"

#include "dataset.h"
#include "keyspace_rdb.h"
#include "repl.h"
#include "test_util.h"
#include "value.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One row: the bytes after the good command, the offset of the bad byte
 * within them, and words the error must contain. */
typedef struct link_row {
    const char *name;
    const char *bytes;
    size_t len; /* 0: strlen(bytes) */
    size_t at;
    const char *want;
    size_t fill_n; /* then this many 'x' (no newline) */
} link_row;

static const link_row link_rows[] = {
    {"bulk length not a digit", "*2\r\n$3\r\nDEL\r\n$x\r\n", 0, 14,
     "expected a digit", 0},
    {"bulk longer than its length", "*2\r\n$3\r\nDEL\r\n$1\r\nkk\r\n", 0, 18,
     "expected '\\r'", 0},
    {"RESP3 type byte", "%3\r\n", 0, 0, "an inline command ('%3')", 0},
    {"inline command", "PING\r\n", 0, 0, "an inline command ('PING')", 0},
    {"a reply, not a command", "+OK\r\n", 0, 0, "got a simple string", 0},
    {"an integer, not a command", ":1\r\n", 0, 0, "got a integer", 0},
    {"a bare bulk string", "$3\r\nfoo\r\n", 0, 0, "got a bulk string", 0},
    {"an empty array", "*0\r\n", 0, 0, "an empty array", 0},
    {"an integer argument", "*2\r\n$3\r\nDEL\r\n:1\r\n", 0, 0,
     "argument 1 of the command is a integer", 0},
    {"a null argument", "*1\r\n$-1\r\n", 0, 0,
     "argument 0 of the command is a null", 0},
    {"a negative bulk length", "*1\r\n$-5\r\n", 0, 6, "only -1 may be", 0},
    {"a bulk length of 20 digits", "*1\r\n$99999999999999999999\r\n", 0, 21,
     "bulk length exceeds the limit of 72057594037927936", 0},
    {"a count of 20 digits", "*99999999999999999999\r\n", 0, 10,
     "array length exceeds the limit of 2147483647", 0},
    {"binary junk line", "\x01\x02junk\r\n", 0, 0, "an inline command", 0},
    {"LF without CR", "*1\n", 0, 2, "'\\n'", 0},
    {"a command the applier refuses", "*3\r\n$5\r\nLPUSH\r\n$5\r\nkey:0\r\n"
     "$1\r\nx\r\n", 0, 0,
     "refused, the copies have diverged: LPUSH: WRONGTYPE Operation against "
     "a key holding the wrong kind of value", 0},
    {"an unknown command", "*2\r\n$6\r\nNOSUCH\r\n$1\r\nx\r\n", 0, 0,
     "refused, the copies have diverged: NOSUCH: ERR unknown command "
     "'NOSUCH', with args beginning with: 'x' ", 0},
    {"a line of 70000 bytes without a newline", "", 0, 65536,
     "inline command longer than the limit of 65536 bytes", 70000},
};

const size_t ch12_badinput_link_rows =
    sizeof link_rows / sizeof link_rows[0];

#define T_MS 10000
#define REPLID "1111111111111111111111111111111111111111"
#define REPLID2 "2222222222222222222222222222222222222222"
#define BASE_OFF 1000
#define KEYS 20

static struct {
    fake_master *fm;
    dataset *ds;
    repl *r;
} fx;

static void quiet_log(void *arg, repl_log_level level, const char *msg)
{
    (void)arg, (void)level, (void)msg;
}

static void link_setup(void)
{
    memset(&fx, 0, sizeof fx);
    fx.fm = fake_master_listen();
    fx.ds = dataset_create(store_variant("hamt"), 16);
    ck_assert_ptr_nonnull(fx.ds);
    repl_options o = repl_options_default();
    o.host = "127.0.0.1";
    o.port = fake_master_port(fx.fm);
    o.backoff_min_ms = 10;
    o.backoff_max_ms = 50;
    o.ack_period_ms = 3600 * 1000;
    o.seed = 1;
    o.log = quiet_log;
    char err[256] = "";
    fx.r = repl_create(&o, fx.ds, err, sizeof err);
    ck_assert_msg(fx.r != NULL, "repl_create: %s", err);
    ck_assert_int_eq(repl_start(fx.r), 0);
}

static void link_teardown(void)
{
    repl_stop(fx.r);
    repl_destroy(fx.r);
    fake_master_close(fx.fm);
    dataset_destroy(fx.ds);
    memset(&fx, 0, sizeof fx);
}

/* Accept the next connection and check PSYNC asks for a full sync. */
static void expect_full_psync(void)
{
    fake_master_accept(fx.fm, T_MS);
    const resp_value *ps = fake_master_handshake(fx.fm);
    ck_assert_uint_eq(ps->len, 3);
    ck_assert_str_eq(ps->elems[1].str, "?");
    ck_assert_str_eq(ps->elems[2].str, "-1");
}

/* Answer with a full sync of `keys` keys at offset; wait until served. */
static void full_sync(const char *id, uint64_t off, unsigned keys)
{
    char line[96];
    snprintf(line, sizeof line, "+FULLRESYNC %s %" PRIu64 "\r\n", id, off);
    fake_master_send_str(fx.fm, line);
    unsigned char *p;
    size_t len;
    fake_master_rdb(&p, &len, keys, 0);
    snprintf(line, sizeof line, "$%zu\r\n", len);
    fake_master_send_str(fx.fm, line);
    fake_master_send(fx.fm, p, len);
    free(p);
    ck_assert_int_eq(repl_wait_offset(fx.r, off, T_MS), 0);
    ck_assert_int_eq(repl_wait_state(fx.r, REPL_STREAMING, T_MS), 0);
}

/* Send one command; returns its length. */
static size_t send_cmd(const char *a0, const char *a1, const char *a2)
{
    resp_buf b;
    resp_buf_init(&b);
    fake_master_command(&b, a0, a1, a2, NULL);
    size_t n = b.len;
    fake_master_send(fx.fm, b.data, b.len);
    resp_buf_free(&b);
    return n;
}

/* The current dataset as JSON (malloc'd). */
static char *dump(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    dataset_reader *rd = dataset_reader_open(fx.ds);
    ck_assert_ptr_nonnull(rd);
    keyspace_reader *k = dataset_read_begin(rd);
    ck_assert_int_eq(keyspace_dump_json(k, f), 0);
    dataset_read_end(rd);
    dataset_reader_close(rd);
    fclose(f);
    return buf;
}

static size_t db_size(void)
{
    dataset_reader *rd = dataset_reader_open(fx.ds);
    ck_assert_ptr_nonnull(rd);
    keyspace_reader *k = dataset_read_begin(rd);
    size_t n = keyspace_dbsize(k, 0);
    dataset_read_end(rd);
    dataset_reader_close(rd);
    return n;
}

static bool has_key(const char *key)
{
    dataset_reader *rd = dataset_reader_open(fx.ds);
    ck_assert_ptr_nonnull(rd);
    keyspace_reader *k = dataset_read_begin(rd);
    bool there = keyspace_get(k, 0, key, strlen(key)) != NULL;
    dataset_read_end(rd);
    dataset_reader_close(rd);
    return there;
}

START_TEST(link_row_test)
{
    const link_row *row = &link_rows[_i];
    size_t len = row->len ? row->len : strlen(row->bytes);
    expect_full_psync();
    full_sync(REPLID, BASE_OFF, KEYS);
    uint64_t off = BASE_OFF + send_cmd("SET", "a", "1");
    ck_assert_int_eq(repl_wait_offset(fx.r, off, T_MS), 0);
    char *before = dump();

    fake_master_send(fx.fm, row->bytes, len);
    if (row->fill_n > 0) {
        char *junk = malloc(row->fill_n);
        ck_assert_ptr_nonnull(junk);
        memset(junk, 'x', row->fill_n);
        fake_master_send(fx.fm, junk, row->fill_n);
        free(junk);
    }
    ck_assert_msg(fake_master_wait_close(fx.fm, T_MS) == 0,
                  "%s: the link stays up", row->name);
    /* The error, from the next connection on (the old one is gone). */
    expect_full_psync();
    repl_status st;
    repl_status_get(fx.r, &st);
    char head[48];
    snprintf(head, sizeof head, "offset %" PRIu64 ": ", off + row->at);
    ck_assert_msg(strstr(st.last_error, head) != NULL &&
                      strstr(st.last_error, row->want) != NULL,
                  "%s: last_error \"%s\", want \"%s...%s\"", row->name,
                  st.last_error, head, row->want);
    ck_assert_uint_eq(st.offset, off);
    char *after = dump();
    ck_assert_msg(strcmp(before, after) == 0, "%s: the dataset changed",
                  row->name);
    ck_assert_uint_eq(db_size(), KEYS + 1);
    free(before);
    free(after);

    /* The resync works: a new snapshot, then commands after it. */
    full_sync(REPLID2, 7000, KEYS / 2);
    ck_assert_uint_eq(db_size(), KEYS / 2);
    ck_assert(!has_key("a"));
    off = 7000 + send_cmd("SET", "b", "2");
    ck_assert_int_eq(repl_wait_offset(fx.r, off, T_MS), 0);
    ck_assert(has_key("b"));
}
END_TEST

Suite *ch12_badinput_link_suite(void)
{
    Suite *s = suite_create("ch12_badinput_link");
    TCase *tc = test_tcase("rows", 60);
    tcase_add_checked_fixture(tc, link_setup, link_teardown);
    tcase_add_loop_test(tc, link_row_test, 0, (int)ch12_badinput_link_rows);
    suite_add_tcase(s, tc);
    return s;
}
