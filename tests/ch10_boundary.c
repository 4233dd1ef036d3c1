/* ch10_boundary.c - chapter 10: no byte is lost where the snapshot ends.
 * Chapter 10.
 *
 * A master goes straight from the last byte of its snapshot to the first
 * command of its stream, and TCP keeps no message boundaries, so both can
 * arrive in one read.  A replica that reads the snapshot with a buffered
 * reader of its own and then starts a fresh one for the stream loses the
 * commands the first had read ahead, and every offset after them is short
 * by their size.  The fake master sends the snapshot and three commands in
 * one write, in both framings, and the test requires the three keys and
 * the exact offset.  tests/broken/ch10_lost_bytes.c is the replica that
 * loses them (the chapter's failing test).
 */
#include "dataset.h"
#include "repl.h"
#include "repl_snapshot.h"

#include "fake_master.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLID "8c1f8a7b2e0c4d6f9a1b3c5d7e9f0a2b4c6d8e0f"

static repl *start_link(fake_master *fm, dataset *ds)
{
    repl_options o = repl_options_default();
    o.host = "127.0.0.1";
    o.port = fake_master_port(fm);
    o.timeout_ms = 5000;
    o.log_level = REPL_LOG_ERROR;
    char err[256];
    repl *r = repl_create(&o, ds, err, sizeof err);
    ck_assert_msg(r != NULL, "repl_create: %s", err);
    ck_assert_int_eq(repl_start(r), 0);
    return r;
}

/* Whether key holds the string want in database 0, as a reader sees it. */
static void check_key(dataset *ds, const char *key, const char *want)
{
    dataset_reader *rd = dataset_reader_open(ds);
    ck_assert_ptr_nonnull(rd);
    keyspace_reader *kr = dataset_read_begin(rd);
    const value *v = keyspace_get(kr, 0, key, strlen(key));
    ck_assert_msg(v != NULL, "key %s is missing: the bytes that came with "
                  "the end of the snapshot were lost", key);
    ck_assert_bytes_eq(value_str_bytes(v), value_str_len(v), want,
                       strlen(want));
    dataset_read_end(rd);
    dataset_reader_close(rd);
}

/* [ch10-test-boundary] */
static void snapshot_then_stream_in_one_write(bool diskless)
{
    fake_master *fm = fake_master_listen();
    dataset *ds = dataset_create(store_variant("ptrie"), 16);
    ck_assert_ptr_nonnull(ds);
    repl *r = start_link(fm, ds);

    fake_master_accept(fm, 5000);
    fake_master_handshake(fm);
    fake_master_send_str(fm, "+FULLRESYNC " REPLID " 0\r\n");

    /* One write: the snapshot's header, the snapshot, its end mark (if
     * diskless), then the first three commands of the stream. */
    unsigned char *rdb;
    size_t rdb_len;
    fake_master_rdb(&rdb, &rdb_len, 10, 0);
    static const char mark[] = "0123456789abcdef0123456789abcdef01234567";
    resp_buf all, cmds;
    resp_buf_init(&all);
    resp_buf_init(&cmds);
    char header[64];
    if (diskless)
        snprintf(header, sizeof header, "$EOF:%s\r\n", mark);
    else
        snprintf(header, sizeof header, "$%zu\r\n", rdb_len);
    fake_master_command(&cmds, "set", "after:1", "one", NULL);
    fake_master_command(&cmds, "set", "after:2", "two", NULL);
    fake_master_command(&cmds, "set", "after:3", "three", NULL);
    ck_assert_int_eq(resp_buf_append(&all, header, strlen(header)), 0);
    ck_assert_int_eq(resp_buf_append(&all, rdb, rdb_len), 0);
    if (diskless)
        ck_assert_int_eq(resp_buf_append(&all, mark, 40), 0);
    ck_assert_int_eq(resp_buf_append(&all, cmds.data, cmds.len), 0);
    fake_master_send(fm, all.data, all.len);

    /* The replica must apply all three, and count their bytes. */
    int rc = repl_wait_offset(r, cmds.len, 5000);
    repl_status st;
    repl_status_get(r, &st);
    ck_assert_msg(rc == 0, "the replica's offset is %llu, want %zu (the "
                  "three commands that arrived with the snapshot); link "
                  "%s, %s", (unsigned long long)st.offset, cmds.len,
                  repl_state_name(st.state),
                  st.last_error[0] ? st.last_error : "no error reported");
    ck_assert_uint_eq(st.offset, cmds.len);
    ck_assert_uint_eq(st.full_syncs, 1);
    check_key(ds, "key:9", "value:9");
    check_key(ds, "after:1", "one");
    check_key(ds, "after:3", "three");

    repl_stop(r);
    repl_destroy(r);
    dataset_destroy(ds);
    fake_master_close(fm);
    free(rdb);
    resp_buf_free(&all);
    resp_buf_free(&cmds);
}
/* [ch10-test-boundary] */

START_TEST(disk_snapshot)
{
    snapshot_then_stream_in_one_write(false);
}
END_TEST

START_TEST(diskless_snapshot)
{
    snapshot_then_stream_in_one_write(true);
}
END_TEST

Suite *ch10_boundary_suite(void)
{
    Suite *s = suite_create("ch10_boundary");
    TCase *tc = test_tcase("boundary", 60);
    tcase_add_test(tc, disk_snapshot);
    tcase_add_test(tc, diskless_snapshot);
    suite_add_tcase(s, tc);
    return s;
}
