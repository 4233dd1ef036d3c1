/* ch09_aof.c - chapter 9: Redis's append-only files loaded into a keyspace.
 *
 * The manifest parser is checked line rule by line rule against the exact
 * messages (Redis's sentence, the line number, the detail, the line); the
 * command reader against hand-written files: offsets of each command,
 * annotations, a truncated tail, malformed values.  The loader tests
 * (tests/ch09_aof_load.c) run a real redis-server with appendonly yes and
 * compare what aof_load() makes of its files with the server's own SAVE.
 */
#include "aof.h"

#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- the manifest ----------------------------------------------------------- */

/* Parse text; return the error message ("" when it parsed). */
static const char *manifest_err(const char *text, aof_manifest *m)
{
    static char err[600];
    err[0] = '\0';
    if (aof_manifest_parse(text, strlen(text), m, err, sizeof err) == 0)
        ck_assert_str_eq(err, "");
    else
        ck_assert_str_ne(err, "");
    return err;
}

START_TEST(manifest_as_redis_writes_it)
{
    aof_manifest m;
    const char *text =
        "file appendonly.aof.2.base.rdb seq 2 type b\n"
        "file appendonly.aof.1.incr.aof seq 1 type h\n"
        "file appendonly.aof.2.incr.aof seq 2 type h\n"
        "file appendonly.aof.3.incr.aof seq 3 type i\n"
        "file appendonly.aof.4.incr.aof seq 4 type i\n";
    ck_assert_str_eq(manifest_err(text, &m), "");
    ck_assert_ptr_nonnull(m.base);
    ck_assert_str_eq(m.base->name, "appendonly.aof.2.base.rdb");
    ck_assert_int_eq(m.base->seq, 2);
    ck_assert_int_eq(m.base->line, 1);
    ck_assert_uint_eq(m.nhistory, 2);
    ck_assert_uint_eq(m.nincr, 2);
    ck_assert_str_eq(m.incr[0].name, "appendonly.aof.3.incr.aof");
    ck_assert_int_eq(m.incr[1].seq, 4);
    ck_assert_int_eq(m.incr[1].line, 5);
    ck_assert_int_eq(m.incr[1].type, 'i');
    aof_manifest_free(&m);
}
END_TEST

START_TEST(manifest_quoting_order_case_comments)
{
    aof_manifest m;
    /* keys in any order and case, an unknown pair ignored, CRLF, a
     * comment, quoted names with escapes, seq read as atoll() reads */
    const char *text =
        "# a comment\n"
        "TYPE b SEQ 7 FILE \"base name\\x41\\n.rdb\"\r\n"
        "  file 'it\\'s.aof'   seq 12abc type incr extra pair\t\n"
        "file \"q\\\"uote\" seq 13 type i\n";
    ck_assert_str_eq(manifest_err(text, &m), "");
    ck_assert_str_eq(m.base->name, "base nameA\n.rdb");
    ck_assert_int_eq(m.base->seq, 7);
    ck_assert_uint_eq(m.nincr, 2);
    ck_assert_str_eq(m.incr[0].name, "it's.aof");
    ck_assert_int_eq(m.incr[0].seq, 12);
    ck_assert_int_eq(m.incr[0].line, 3);
    ck_assert_str_eq(m.incr[1].name, "q\"uote");
    aof_manifest_free(&m);
    /* only history: nothing to load, and no error */
    ck_assert_str_eq(manifest_err("file a seq 1 type h\n", &m), "");
    ck_assert_ptr_null(m.base);
    ck_assert_uint_eq(m.nincr, 0);
    ck_assert_uint_eq(m.nhistory, 1);
    aof_manifest_free(&m);
}
END_TEST

START_TEST(manifest_errors_name_the_line)
{
    static const struct {
        const char *text;
        const char *err;
    } cases[] = {
        {"", "Found an empty AOF manifest (no line at all)"},
        {"file a seq 1 type b",
         "line 1: The AOF manifest file contains too long line (the last "
         "line has no newline): 'file a seq 1 type b'"},
        {"file a seq 1 type b\n\n",
         "line 2: Invalid AOF manifest file format (a blank line): ''"},
        {"file a seq 1 type b\n \t\r\n",
         "line 2: Invalid AOF manifest file format (a blank line): ''"},
        {"file a seq 1 type\n",
         "line 1: Invalid AOF manifest file format (5 words; a line is "
         "key/value pairs, at least file NAME seq N type T): 'file a seq 1 "
         "type'"},
        {"file a seq 1\n",
         "line 1: Invalid AOF manifest file format (4 words; a line is "
         "key/value pairs, at least file NAME seq N type T): 'file a seq 1'"},
        {"file \"a seq 1 type b\n",
         "line 1: Invalid AOF manifest file format (unbalanced quotes): "
         "'file \"a seq 1 type b'"},
        {"file 'a'b seq 1 type b\n",
         "line 1: Invalid AOF manifest file format (a closing quote must be "
         "followed by a space): 'file 'a'b seq 1 type b'"},
        {"name a seq 1 type b\n",
         "line 1: Invalid AOF manifest file format (no file name): 'name a "
         "seq 1 type b'"},
        {"file a seq x type b\n",
         "line 1: Invalid AOF manifest file format (seq is not a number "
         "other than 0): 'file a seq x type b'"},
        {"file a sequence 1 type b\n",
         "line 1: Invalid AOF manifest file format (no seq): 'file a "
         "sequence 1 type b'"},
        {"file a seq 1 type ''\n",
         "line 1: Invalid AOF manifest file format (no type): 'file a seq 1 "
         "type '''"},
        {"file dir/a seq 1 type b\n",
         "line 1: File can't be a path, just a filename ('dir/a' has a '/' "
         "or '\\'): 'file dir/a seq 1 type b'"},
        {"file a seq 1 type x\n",
         "line 1: Unknown AOF file type (type 'x'; b is base, h history, i "
         "incremental): 'file a seq 1 type x'"},
        {"file a seq 1 type b\nfile b seq 2 type b\n",
         "line 2: Found duplicate base file information (the base is "
         "already a, line 1): 'file b seq 2 type b'"},
        {"file a seq 3 type i\n#\nfile b seq 3 type i\n",
         "line 3: Found a non-monotonic sequence number (seq 3 after 3): "
         "'file b seq 3 type i'"},
        {"file a seq -2 type i\n",
         "line 1: Found a non-monotonic sequence number (seq -2 after 0): "
         "'file a seq -2 type i'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aof_manifest m;
        ck_assert_msg(strcmp(manifest_err(cases[i].text, &m), cases[i].err)
                          == 0,
                      "case %zu: got\n  %s\nwanted\n  %s", i,
                      manifest_err(cases[i].text, &m), cases[i].err);
        aof_manifest_free(&m);
    }
}
END_TEST

START_TEST(manifest_line_length_and_nul)
{
    /* 1023 bytes and its newline fit Redis's buffer; one more does not */
    char text[1100];
    aof_manifest m;
    int n = snprintf(text, sizeof text, "file a seq 1 type b pad ");
    memset(text + n, 'x', 1023 - (size_t)n);
    strcpy(text + 1023, "\n");
    ck_assert_str_eq(manifest_err(text, &m), "");
    aof_manifest_free(&m);
    memset(text + n, 'x', 1024 - (size_t)n);
    strcpy(text + 1024, "\n");
    const char *err = manifest_err(text, &m);
    ck_assert_msg(strncmp(err, "line 1: The AOF manifest file contains too "
                               "long line (longer than 1024 bytes with its "
                               "newline): 'file a seq 1 type b pad xxx",
                          112) == 0, "got %s", err);
    aof_manifest_free(&m);
    /* a NUL inside a line */
    char nul[] = "file a seq 1 type b\nfile b\0 seq 2 type i\n";
    char msg[300];
    ck_assert_int_eq(aof_manifest_parse(nul, sizeof nul - 1, &m, msg,
                                        sizeof msg), -1);
    ck_assert_str_eq(msg, "line 2: Invalid AOF manifest file format (a NUL "
                          "byte in the line): 'file b\\x00 seq 2 type i'");
    aof_manifest_free(&m);
    /* a missing file names the path */
    ck_assert_int_eq(aof_manifest_read("/nonexistent/x.manifest", &m, msg,
                                       sizeof msg), -1);
    ck_assert_str_eq(msg, "/nonexistent/x.manifest: No such file or "
                          "directory");
    aof_manifest_free(&m);
}
END_TEST

/* --- the command reader ------------------------------------------------------- */

/* A temporary file holding n bytes; returns its fd (unlinked already). */
static int temp_file(const void *p, size_t n)
{
    char path[] = "/tmp/ch09_aof_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
    return fd;
}

START_TEST(reader_offsets_and_annotations)
{
    static const char text[] =
        "#TS:1700000000\r\n"
        "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\r\n\r\n"
        "#TS:1700000001\n"
        "*1\r\n$4\r\nPING\r\n";
    int fd = temp_file(text, sizeof text - 1);
    aof_reader r;
    ck_assert_int_eq(aof_reader_open(&r, fd, "t.aof", 0), 0);
    resp_value v;
    ck_assert_int_eq(aof_reader_next(&r, &v), AOF_READ_CMD);
    ck_assert_uint_eq(r.cmd_offset, 16);
    ck_assert_uint_eq(v.len, 2);
    ck_assert_str_eq(v.elems[0].str, "SELECT");
    resp_value_clear(&v);
    ck_assert_int_eq(aof_reader_next(&r, &v), AOF_READ_CMD);
    ck_assert_uint_eq(r.cmd_offset, 16 + 23);
    ck_assert_bytes_str(v.elems[2].str, v.elems[2].len, "a\r\n");
    resp_value_clear(&v);
    ck_assert_int_eq(aof_reader_next(&r, &v), AOF_READ_CMD);
    ck_assert_uint_eq(r.cmd_offset, 16 + 23 + 29 + 15);
    ck_assert_str_eq(v.elems[0].str, "PING");
    resp_value_clear(&v);
    ck_assert_int_eq(aof_reader_next(&r, &v), AOF_READ_END);
    ck_assert_uint_eq(r.notes, 2);
    aof_reader_close(&r);
    /* from an offset (the end of a preamble): offsets stay file offsets */
    ck_assert_int_eq(aof_reader_open(&r, fd, "t.aof", 16 + 23), 0);
    ck_assert_int_eq(aof_reader_next(&r, &v), AOF_READ_CMD);
    ck_assert_uint_eq(r.cmd_offset, 16 + 23);
    ck_assert_str_eq(v.elems[0].str, "SET");
    resp_value_clear(&v);
    aof_reader_close(&r);
    close(fd);
}
END_TEST

START_TEST(reader_truncated_tail)
{
    static const char text[] = "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\n";
    /* every cut inside the second command is a truncation at offset 14 */
    for (size_t cut = 15; cut < sizeof text; cut++) {
        int fd = temp_file(text, cut);
        aof_reader r;
        ck_assert_int_eq(aof_reader_open(&r, fd, "t.aof", 0), 0);
        resp_value v;
        ck_assert_int_eq(aof_reader_next(&r, &v), AOF_READ_CMD);
        resp_value_clear(&v);
        ck_assert_int_eq(aof_reader_next(&r, &v), AOF_READ_TRUNCATED);
        ck_assert_uint_eq(r.cmd_offset, 14);
        aof_reader_close(&r);
        close(fd);
    }
}
END_TEST

START_TEST(reader_malformed_commands)
{
    static const struct {
        const char *text;
        const char *err;
    } cases[] = {
        {"*1\r\n$4\r\nPING\r\nPING\r\n",
         "t.aof: byte 14: expected a type byte ('+', '-', ':', '$' or '*'), "
         "got 'P' (in the command starting at offset 14)"},
        {"*1\r\n$4\r\nPING\r\n+OK\r\n",
         "t.aof: offset 14: a command must be an array of bulk strings, "
         "found a simple string"},
        {"*0\r\n",
         "t.aof: offset 0: a command must be an array of bulk strings, "
         "found an empty array"},
        {"*2\r\n$3\r\nDEL\r\n:1\r\n",
         "t.aof: offset 0: a command must be an array of bulk strings; "
         "element 2 is a integer"},
        {"*1\r\n$4\r\nPINGx\r\n",
         "t.aof: byte 12: expected '\\r' after the 4-byte payload of a bulk "
         "string, got 'x' (in the command starting at offset 0)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = temp_file(cases[i].text, strlen(cases[i].text));
        aof_reader r;
        ck_assert_int_eq(aof_reader_open(&r, fd, "t.aof", 0), 0);
        resp_value v;
        aof_read_status st;
        while ((st = aof_reader_next(&r, &v)) == AOF_READ_CMD)
            resp_value_clear(&v);
        ck_assert_int_eq(st, AOF_READ_ERROR);
        ck_assert_msg(strcmp(r.error, cases[i].err) == 0,
                      "case %zu: got\n  %s\nwanted\n  %s", i, r.error,
                      cases[i].err);
        aof_reader_close(&r);
        close(fd);
    }
}
END_TEST

/* A file bigger than one read: commands that straddle the reads. */
START_TEST(reader_across_reads)
{
    size_t n = test_scale(120000, 20000);
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "*3\r\n$3\r\nSET\r\n$%zu\r\nkey:%zu\r\n$3\r\nval\r\n",
                4 + (size_t)snprintf(NULL, 0, "%zu", i), i);
    fflush(f);
    aof_reader r;
    ck_assert_int_eq(aof_reader_open(&r, fileno(f), "big.aof", 0), 0);
    resp_value v;
    size_t got = 0;
    uint64_t last = 0;
    while (aof_reader_next(&r, &v) == AOF_READ_CMD) {
        char key[32];
        snprintf(key, sizeof key, "key:%zu", got);
        ck_assert_str_eq(v.elems[1].str, key);
        ck_assert(got == 0 || r.cmd_offset > last);
        last = r.cmd_offset;
        got++;
        resp_value_clear(&v);
    }
    ck_assert_uint_eq(got, n);
    ck_assert_uint_gt(r.p.offset, AOF_READ_SIZE);
    aof_reader_close(&r);
    fclose(f);
}
END_TEST

Suite *ch09_aof_suite(void)
{
    Suite *s = suite_create("ch09_aof");
    TCase *tc = test_tcase("manifest", 20);
    tcase_add_test(tc, manifest_as_redis_writes_it);
    tcase_add_test(tc, manifest_quoting_order_case_comments);
    tcase_add_test(tc, manifest_errors_name_the_line);
    tcase_add_test(tc, manifest_line_length_and_nul);
    suite_add_tcase(s, tc);
    tc = test_tcase("reader", 30);
    tcase_add_test(tc, reader_offsets_and_annotations);
    tcase_add_test(tc, reader_truncated_tail);
    tcase_add_test(tc, reader_malformed_commands);
    tcase_add_test(tc, reader_across_reads);
    suite_add_tcase(s, tc);
    return s;
}
