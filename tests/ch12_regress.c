/* ch12_regress.c - the fuzzers' inputs replayed as tests, and their harnesses checked.
 * Chapter 12.
 *
 * A libFuzzer target is only as good as the checks its harness makes, and
 * a crash it finds is only fixed for good once an ordinary test replays
 * it.  So the harnesses live in tests/util/fuzz_harness_*.c, shared by the
 * targets (tests/fuzz/) and this suite: every file of the apply and serve
 * corpora (the seeds, and each input a campaign found a bug with, kept
 * there under its bug's name) is run through the same code here, in every
 * build mode, and must pass every check.  Then each harness is shown to
 * see what it claims to see: the serve harness's reply stream for a
 * protocol error, a RESP3 HELLO, a write; the same bytes cut any way give
 * the same replies; the apply harness's model follows the commands it
 * models and reports Redis's error for a wrong type.
 */
#include "cmd.h"
#include "cmd_private.h"
#include "fuzz_harness_apply.h"
#include "fuzz_harness_serve.h"
#include "test_util.h"

#include <check.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS "tests/fuzz/corpus/"

/* ---- reading the corpora ----------------------------------------------------- */

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of a corpus directory, sorted, NULL-terminated. */
static char **corpus_files(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open the corpus %s", dir);
    size_t n = 0, cap = 64;
    char **names = malloc(cap * sizeof *names);
    ck_assert_ptr_nonnull(names);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        if (n + 1 == cap) {
            cap *= 2;
            names = realloc(names, cap * sizeof *names);
            ck_assert_ptr_nonnull(names);
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        ck_assert_ptr_nonnull(names[n]);
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    names[n] = NULL;
    qsort(names, n, sizeof *names, name_cmp);
    *count = n;
    return names;
}

static void free_files(char **names)
{
    for (size_t i = 0; names[i] != NULL; i++)
        free(names[i]);
    free(names);
}

/* ---- building apply inputs ------------------------------------------------------ */

/* The harness's index of a command-table entry (tables flattened in
 * cmd_tables order, as fuzz_harness_apply.c does). */
static unsigned spec_index(const char *name)
{
    unsigned i = 0;
    for (size_t t = 0; cmd_tables[t] != NULL; t++)
        for (const cmd_spec *sp = cmd_tables[t]; sp->name != NULL; sp++, i++)
            if (strcmp(sp->name, name) == 0)
                return i;
    ck_abort_msg("no command %s in the table", name);
    return 0;
}

typedef struct input {
    unsigned char b[1024];
    size_t n;
} input;

/* Append one command: its name, then each argument as raw bytes (at most
 * 15), a NULL ending the list; flushed after it. */
static void add(input *in, const char *name, ...)
{
    const char *args[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, name);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL;)
        args[n++] = a;
    va_end(ap);
    ck_assert_uint_le(n, 7);
    in->b[in->n++] = (unsigned char)spec_index(name);
    in->b[in->n++] = (unsigned char)n; /* n more arguments, flush after */
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(args[i]);
        ck_assert_uint_le(len, 15);
        in->b[in->n++] = (unsigned char)(0xF0 | len);
        memcpy(in->b + in->n, args[i], len);
        in->n += len;
    }
}

/* ---- the corpora replayed -------------------------------------------------------- */

START_TEST(apply_corpus_passes)
{
    size_t n;
    char **files = corpus_files(CORPUS "apply", &n);
    ck_assert_uint_gt(n, 10);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        unsigned char *data = read_all(files[i], &len);
        char err[512];
        int rc = fuzz_apply_run(data, len, NULL, err, sizeof err);
        ck_assert_msg(rc == 0, "%s: %s", files[i], err);
        free(data);
    }
    free_files(files);
}
END_TEST

START_TEST(serve_corpus_passes)
{
    char err[512];
    fuzz_serve *f = fuzz_serve_create(err, sizeof err);
    ck_assert_msg(f != NULL, "fuzz_serve_create: %s", err);
    size_t n;
    char **files = corpus_files(CORPUS "serve", &n);
    ck_assert_uint_gt(n, 10);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        unsigned char *data = read_all(files[i], &len);
        fuzz_serve_result res;
        int rc = fuzz_serve_run(f, data, len, &res, err, sizeof err);
        ck_assert_msg(rc == 0, "%s: %s", files[i], err);
        free(res.replies);
        free(data);
    }
    free_files(files);
    fuzz_serve_destroy(f);
}
END_TEST

/* ---- the serve harness sees what it claims ---------------------------------------- */

/* Run bytes (byte 0 the configuration) and return the reply stream. */
static fuzz_serve_result serve(fuzz_serve *f, const char *bytes, size_t len)
{
    fuzz_serve_result res;
    char err[512];
    int rc = fuzz_serve_run(f, (const uint8_t *)bytes, len, &res, err,
                            sizeof err);
    ck_assert_msg(rc == 0, "fuzz_serve_run: %s", err);
    return res;
}

#define SERVE(f, lit) serve((f), (lit), sizeof(lit) - 1)

START_TEST(serve_replies_and_closes_on_protocol_error)
{
    char err[512];
    fuzz_serve *f = fuzz_serve_create(err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    fuzz_serve_result r = SERVE(f, "\x00" "PING\r\n*1\r\n$abc\r\nPING\r\n");
    ck_assert_bytes_str(r.replies, r.len,
                        "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
    ck_assert(r.closed_by_server);
    ck_assert_uint_eq(r.nreplies, 2);
    free(r.replies);
    fuzz_serve_destroy(f);
}
END_TEST

START_TEST(serve_speaks_resp3_after_hello)
{
    char err[512];
    fuzz_serve *f = fuzz_serve_create(err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    fuzz_serve_result r = SERVE(f, "\x00" "HELLO 3\r\nHGET h f1\r\nGET nope\r\n"
                                   "HELLO 2\r\nGET nope\r\n");
    ck_assert_uint_eq(r.nreplies, 5);
    ck_assert_int_eq(r.replies[0], '%'); /* HELLO's map */
    const char *tail = "$2\r\nv1\r\n_\r\n";
    ck_assert_msg(memmem(r.replies, r.len, tail, strlen(tail)) != NULL,
                  "no RESP3 null after HGET's reply");
    ck_assert(r.len > 5 && memcmp(r.replies + r.len - 5, "$-1\r\n", 5) == 0);
    ck_assert(!r.closed_by_server);
    free(r.replies);
    fuzz_serve_destroy(f);
}
END_TEST

START_TEST(serve_refuses_writes_and_asks_for_auth)
{
    char err[512];
    fuzz_serve *f = fuzz_serve_create(err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    fuzz_serve_result r = SERVE(f, "\x00" "SET k1 x\r\nGET k1\r\n");
    ck_assert_bytes_str(r.replies, r.len,
                        "-READONLY You can't write against a read only "
                        "replica.\r\n$2\r\nv1\r\n");
    free(r.replies);
    r = SERVE(f, "\x80" "GET k1\r\nAUTH pw\r\nGET k1\r\n");
    ck_assert_bytes_str(r.replies, r.len,
                        "-NOAUTH Authentication required.\r\n+OK\r\n"
                        "$2\r\nv1\r\n");
    free(r.replies);
    fuzz_serve_destroy(f);
}
END_TEST

/* Whole, one byte at a time, or cut at random: the same replies. */
START_TEST(serve_cuts_do_not_change_replies)
{
    char err[512];
    fuzz_serve *f = fuzz_serve_create(err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    char in[] = "?*2\r\n$3\r\nGET\r\n$2\r\nk1\r\nLRANGE l 0 -1\r\n"
                "*3\r\n$5\r\nHMGET\r\n$1\r\nh\r\n$2\r\nf2\r\nZSCORE z a\r\n";
    fuzz_serve_result want;
    for (int cfg = 0; cfg < 128; cfg += 5) {
        in[0] = (char)cfg;
        fuzz_serve_result r = serve(f, in, sizeof in - 1);
        ck_assert_uint_eq(r.nreplies, 4);
        if (cfg == 0) {
            want = r;
            continue;
        }
        ck_assert_bytes_eq(r.replies, r.len, want.replies, want.len);
        free(r.replies);
    }
    free(want.replies);
    fuzz_serve_destroy(f);
}
END_TEST

/* ---- the apply harness's model ------------------------------------------------------ */

START_TEST(apply_model_follows_and_errors_are_redis_texts)
{
    input in = {.n = 0};
    add(&in, "set", "k1", "hello", NULL);
    add(&in, "append", "k1", "!", NULL);
    add(&in, "rpush", "l", "a", "b", NULL);
    add(&in, "lpush", "l", "c", NULL);
    add(&in, "sadd", "k1", "m", NULL); /* a string: WRONGTYPE */
    fuzz_apply_stats st;
    char err[512];
    ck_assert_msg(fuzz_apply_run(in.b, in.n, &st, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_uint_eq(st.commands, 5);
    ck_assert_uint_eq(st.modelled, 5);
    ck_assert_uint_eq(st.failed, 1);
    ck_assert_str_eq(st.last_error, CMD_ERR_WRONGTYPE);

    in.n = 0;
    add(&in, "set", "k2", "007", NULL);
    add(&in, "incr", "k2", NULL); /* not Redis's integer form */
    add(&in, "setrange", "k2", "1", "ab", NULL);
    ck_assert_msg(fuzz_apply_run(in.b, in.n, &st, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_uint_eq(st.modelled, 3);
    ck_assert_uint_eq(st.failed, 1);
    ck_assert_str_eq(st.last_error, CMD_ERR_NOTINT);
}
END_TEST

/* ---- regressions: inputs a campaign found (named after their bug) -------------------- */

Suite *ch12_regress_suite(void)
{
    Suite *s = suite_create("ch12_regress");
    TCase *tc = test_tcase("corpora", 120);
    tcase_add_test(tc, apply_corpus_passes);
    tcase_add_test(tc, serve_corpus_passes);
    suite_add_tcase(s, tc);
    tc = test_tcase("harnesses", 30);
    tcase_add_test(tc, serve_replies_and_closes_on_protocol_error);
    tcase_add_test(tc, serve_speaks_resp3_after_hello);
    tcase_add_test(tc, serve_refuses_writes_and_asks_for_auth);
    tcase_add_test(tc, serve_cuts_do_not_change_replies);
    tcase_add_test(tc, apply_model_follows_and_errors_are_redis_texts);
    suite_add_tcase(s, tc);
    return s;
}
