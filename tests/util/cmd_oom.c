/* cmd_oom.c - out-of-memory walks over single commands (see cmd_oom.h).
 * Chapter 9.
 */
#include "cmd_oom.h"

#include "alloc.h"
#include "keyspace_rdb.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole keyspace as rdb-dump's JSON (a string to free()). */
char *dump_all(keyspace *ks)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    keyspace_reader *r = keyspace_reader_open(ks);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(keyspace_dump_json(r, f), 0);
    keyspace_reader_close(r);
    fclose(f);
    return buf;
}

/* Run setup(a) on a fresh keyspace, then cmd with the
 * n-th allocation failing, for n = 1, 2, ... until it succeeds: every
 * failure must be CMD_NOMEM (or a failed flush) and leave the keyspace as
 * it was.  Returns how many allocations failed in turn. */
unsigned oom_walk(void (*setup)(cmd_applier *a), const char *const *cmd)
{
    for (unsigned n = 1;; n++) {
        keyspace *ks = keyspace_create(store_variant("cow"), 16);
        ck_assert_ptr_nonnull(ks);
        cmd_applier *a = cmd_applier_create(ks, NULL);
        ck_assert_ptr_nonnull(a);
        setup(a);
        ck_assert_int_eq(cmd_applier_flush(a), 0);
        char *before = dump_all(ks);
        size_t argc = 0;
        while (cmd[argc] != NULL)
            argc++;
        alloc_fail_nth(n);
        cmd_status st = cmd_apply_argv(a, argc, cmd, NULL);
        int fl = st == CMD_APPLIED ? cmd_applier_flush(a) : 0;
        bool failed = alloc_fail_fired() > 0;
        alloc_fail_off();
        bool done = st == CMD_APPLIED && fl == 0;
        if (!done) {
            ck_assert_msg(st == CMD_NOMEM || fl != 0,
                          "%s, allocation %u: status %d", cmd[0], n, st);
            char *after = dump_all(ks);
            ck_assert_str_eq(before, after);
            free(after);
        }
        free(before);
        cmd_applier_destroy(a);
        keyspace_destroy(ks);
        if (done && !failed)
            return n - 1;
    }
}

/* Apply a command built at run time: arg0, then count arguments prefix0,
 * prefix1, ... */
void apply_many(cmd_applier *a, const char *arg0, const char *key,
                       const char *prefix, int count, int pairs)
{
    const char **argv = malloc(sizeof *argv * (size_t)(2 + count * (pairs ? 2 : 1)));
    char **own = malloc(sizeof *own * (size_t)count);
    ck_assert(argv != NULL && own != NULL);
    size_t argc = 0;
    argv[argc++] = arg0;
    argv[argc++] = key;
    for (int i = 0; i < count; i++) {
        own[i] = malloc(32);
        snprintf(own[i], 32, "%s%d", prefix, i);
        argv[argc++] = own[i];
        if (pairs)
            argv[argc++] = own[i];
    }
    ck_assert_int_eq(cmd_apply_argv(a, argc, argv, NULL), CMD_APPLIED);
    for (int i = 0; i < count; i++)
        free(own[i]);
    free(own);
    free(argv);
}

