/* read_oom.c - out-of-memory walks over read commands, for the chapter 11 suites.
 * Chapter 11.
 *
 * See read_oom.h.  Each run uses a fresh reply buffer and the same random
 * seed, so even ZRANDMEMBER's reply is the same from run to run.
 */
#include "read_oom.h"

#include "alloc.h"
#include "server_cmd.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

/* Run cmd once; returns the handler's status, the reply in *out. */
static int run_once(keyspace *ks, int proto, size_t argc,
                    const resp_value *args, unsigned long fail_at,
                    reply_buf *out)
{
    keyspace_reader *r = keyspace_reader_open(ks);
    ck_assert_ptr_nonnull(r);
    uint64_t rng = 42;
    reply_init(out, proto);
    server_ctx x = {
        .out = out,
        .argc = argc,
        .argv = args,
        .ks = r,
        .db = 0,
        .databases = keyspace_databases(ks),
        .now_ms = value_now_ms(),
        .rng = &rng,
    };
    keyspace_read_begin(r);
    if (fail_at > 0)
        alloc_fail_nth(fail_at);
    int rc = server_cmd_run(&x);
    alloc_fail_off();
    keyspace_read_end(r);
    keyspace_reader_close(r);
    return rc;
}

unsigned read_oom_walk(const char *variant, void (*setup)(cmd_applier *a),
                       const char *const *cmd)
{
    keyspace *ks = keyspace_create(store_variant(variant), 16);
    ck_assert_ptr_nonnull(ks);
    cmd_applier *a = cmd_applier_create(ks, NULL);
    ck_assert_ptr_nonnull(a);
    setup(a);
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    size_t argc = 0;
    while (cmd[argc] != NULL)
        argc++;
    resp_value *args = calloc(argc, sizeof(*args));
    ck_assert_ptr_nonnull(args);
    for (size_t i = 0; i < argc; i++) {
        args[i].type = RESP_BULK;
        args[i].len = strlen(cmd[i]);
        args[i].str = (char *)cmd[i];
    }
    unsigned failures = 0;
    for (int proto = 2; proto <= 3; proto++) {
        reply_buf want;
        ck_assert_int_eq(run_once(ks, proto, argc, args, 0, &want), 0);
        for (unsigned long n = 1;; n++) {
            reply_buf got;
            int rc = run_once(ks, proto, argc, args, n, &got);
            bool fired = alloc_fail_fired() > 0;
            if (rc != 0) {
                ck_assert_msg(fired, "%s: -1 with no allocation failing",
                              cmd[0]);
                ck_assert_uint_eq(got.out.len, 0);
                failures++;
            } else {
                ck_assert_msg(got.out.len == want.out.len &&
                                  memcmp(got.out.data, want.out.data,
                                         got.out.len) == 0,
                              "%s, RESP%d, allocation %lu failing: a reply "
                              "that differs from the one with memory",
                              cmd[0], proto, n);
            }
            reply_free(&got);
            if (!fired)
                break;
        }
        reply_free(&want);
    }
    free(args);
    cmd_applier_destroy(a);
    keyspace_destroy(ks);
    return failures;
}
