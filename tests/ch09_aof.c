/* ch09_aof.c - chapter 9: Redis's append-only files loaded into a keyspace.
 *
 * The manifest parser is checked line rule by line rule against the exact
 * messages (Redis's sentence, the line number, the detail, the line); the
 * command reader against hand-written files: offsets of each command,
 * annotations, a truncated tail, malformed values.  The loader tests run
 * a real redis-server with appendonly yes under a seeded random workload
 * (every command family the applier has, MULTI/EXEC with SELECT, scripts
 * that fail half-way, served blocking pops, a rewrite in the middle) and
 * compare what aof_load() makes of its directory with the server's own
 * SAVE; then the legacy single files (with and without an RDB preamble)
 * built from the same server's files, a truncated tail, and hand-made
 * files with malformed commands, refused commands and bad manifests.
 */
#include "aof.h"

#include "keyspace_rdb.h"
#include "rdb_builder.h"
#include "redis_server.h"
#include "resp_client.h"
#include "test_util.h"
#include "value_equal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
    size_t n = test_scale(120000, 40000);
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

/* --- loading hand-made files ------------------------------------------------------ */

/* A fresh temporary directory (removed by rm_dir()). */
static void make_dir(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/ch09_aof_dir_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rm_dir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *dir, const char *name, const void *p,
                       size_t n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* write_file() of a string literal, without its NUL */
#define write_lit(dir, name, lit) write_file((dir), (name), (lit), sizeof(lit) - 1)

/* The string stored under key in db, or NULL (static buffer). */
static const char *get_str(keyspace *ks, unsigned db, const char *key)
{
    static char buf[256];
    keyspace_reader *r = keyspace_reader_open(ks);
    ck_assert_ptr_nonnull(r);
    keyspace_read_begin(r);
    const value *v = keyspace_get(r, db, key, strlen(key));
    const char *out = NULL;
    if (v != NULL) {
        ck_assert_int_eq(v->type, VALUE_STRING);
        size_t n = value_str_read(v, 0, buf, sizeof buf - 1);
        buf[n] = '\0';
        out = buf;
    }
    keyspace_read_end(r);
    keyspace_reader_close(r);
    return out;
}

typedef struct refusal_log {
    unsigned n;
    uint64_t offset[8];
    char msg[8][300];
} refusal_log;

static void log_refusal(void *arg, const char *file, uint64_t offset,
                        const char *msg)
{
    refusal_log *l = arg;
    (void)file;
    if (l->n < 8) {
        l->offset[l->n] = offset;
        snprintf(l->msg[l->n], sizeof l->msg[0], "%s", msg);
    }
    l->n++;
}

/* Commands of the core table (cmd_db.c, cmd_server.c), so these tests
 * need no command family; the data comes from RDB parts. */
#define PING "*1\r\n$4\r\nPING\r\n"                           /* 14 */
#define SELECT(d) "*2\r\n$6\r\nSELECT\r\n$1\r\n" d "\r\n"      /* 23 */
#define FLUSHDB "*1\r\n$7\r\nFLUSHDB\r\n"                     /* 17 */
#define SWAPDB(a, b) "*3\r\n$6\r\nSWAPDB\r\n$1\r\n" a "\r\n$1\r\n" b "\r\n" /* 30 */
#define MULTI "*1\r\n$5\r\nMULTI\r\n"                         /* 15 */
#define FLUSHALL "*1\r\n$8\r\nFLUSHALL\r\n"

/* An RDB (version 9) with string keys: "db:key=value" items. */
static void rdb_bytes(bb *b, const char *const *items, size_t n)
{
    memset(b, 0, sizeof *b);
    bb_header(b, 9); /* selects db 0 */
    for (size_t i = 0; i < n; i++) {
        char db[8], k[32], v[32];
        ck_assert_int_eq(sscanf(items[i], "%7[^:]:%31[^=]=%31s", db, k, v),
                         3);
        bb_u8(b, 0xFE);
        bb_len(b, (uint64_t)atoi(db));
        bb_u8(b, 0); /* a string */
        bb_str(b, k);
        bb_str(b, v);
    }
    bb_eof(b, 9);
}

/* dir/name = an RDB of items, then text. */
static uint64_t write_rdb_then(const char *dir, const char *name,
                               const char *const *items, size_t n,
                               const char *text)
{
    bb b;
    rdb_bytes(&b, items, n);
    uint64_t rdb_len = b.len;
    bb_raw(&b, text, strlen(text));
    write_file(dir, name, b.p, b.len);
    free(b.p);
    return rdb_len;
}

START_TEST(load_hand_made_files)
{
    char dir[64], path[600];
    make_dir(dir, sizeof dir);
    /* a directory: an RDB base, two incremental files.  Each file starts
     * in db 0, as Redis's loading client does: incr2's FLUSHDB empties
     * db 0, not the db 1 incr1 selected */
    static const char *const base[] = {"0:a=1", "0:b=2", "1:c=3", "3:d=4"};
    write_rdb_then(dir, "x.aof.1.base.rdb", base, 4, "");
    static const char incr1[] = SELECT("1") "#TS:1\r\n" FLUSHDB PING;
    static const char incr2[] = FLUSHDB SWAPDB("3", "5") MULTI FLUSHALL;
    write_lit(dir, "x.aof.1.incr.aof", incr1);
    write_lit(dir, "x.aof.2.incr.aof", incr2);
    write_lit(dir, "old.aof", "garbage"); /* history: never read */
    static const char manifest[] =
        "file x.aof.1.base.rdb seq 1 type b\n"
        "file old.aof seq 1 type h\n"
        "file x.aof.1.incr.aof seq 1 type i\n"
        "file x.aof.2.incr.aof seq 2 type i\n";
    write_lit(dir, "x.aof.manifest", manifest);
    keyspace *ks = keyspace_create(store_variant("ptrie"), 16);
    ck_assert_ptr_nonnull(ks);
    aof_result res;
    ck_assert_msg(aof_load(ks, dir, NULL, &res) == 0, "%s", res.error);
    ck_assert_uint_eq(res.nfiles, 3);
    ck_assert_str_eq(res.files[0].name, "x.aof.1.base.rdb");
    ck_assert_int_eq(res.files[0].type, 'b');
    ck_assert(res.files[0].rdb);
    ck_assert_uint_eq(res.files[0].rdb_keys, 4);
    ck_assert_uint_eq(res.rdb_keys, 4);
    ck_assert_uint_eq(res.files[1].commands, 3);
    ck_assert_uint_eq(res.files[1].bytes, sizeof incr1 - 1);
    ck_assert_uint_eq(res.files[2].commands, 2); /* not the MULTI */
    ck_assert_uint_eq(res.commands, 5);
    ck_assert_uint_eq(res.refused, 0);
    /* the MULTI never reached its EXEC: dropped, as truncation */
    ck_assert(res.truncated);
    ck_assert_str_eq(res.truncated_file, "x.aof.2.incr.aof");
    ck_assert_uint_eq(res.truncated_offset, 17 + 30);
    ck_assert_ptr_null(get_str(ks, 0, "a"));
    ck_assert_ptr_null(get_str(ks, 1, "c"));
    ck_assert_ptr_null(get_str(ks, 3, "d"));
    ck_assert_str_eq(get_str(ks, 5, "d"), "4");
    /* the DISCARD that dropped it is not the file's: not counted */
    uint64_t discards = 0, flushdbs = 0;
    for (size_t i = 0; i < res.ncounts; i++) {
        if (strcmp(res.counts[i].name, "discard") == 0)
            discards = res.counts[i].applied;
        if (strcmp(res.counts[i].name, "flushdb") == 0)
            flushdbs = res.counts[i].applied;
    }
    ck_assert_uint_eq(discards, 0);
    ck_assert_uint_eq(flushdbs, 2);
    aof_result_free(&res);
    keyspace_destroy(ks);

    /* the manifest by name gives the same; refuse_truncated refuses, and
     * what came before stays */
    ks = keyspace_create(store_variant("ptrie"), 16);
    snprintf(path, sizeof path, "%s/x.aof.manifest", dir);
    aof_options opt = {.refuse_truncated = true};
    ck_assert_int_eq(aof_load(ks, path, &opt, &res), -1);
    ck_assert_str_eq(res.error, "x.aof.2.incr.aof: offset 47: the file ends "
                                "inside the MULTI that starts there (no "
                                "EXEC) (truncated files are refused)");
    ck_assert_str_eq(get_str(ks, 5, "d"), "4");
    aof_result_free(&res);
    keyspace_destroy(ks);

    /* a legacy single file with a preamble: a refused command is counted
     * with its offset and the rest loads; stop_on_refusal stops there */
    static const char *const one[] = {"0:a=1"};
    static const char tail[] = "*2\r\n$7\r\nNOSUCH!\r\n$1\r\nx\r\n"
        SWAPDB("0", "1") "*1\r\n$6\r\nSELECT\r\n" SWAPDB("1", "2");
    uint64_t L = write_rdb_then(dir, "appendonly.aof", one, 1, tail);
    snprintf(path, sizeof path, "%s/appendonly.aof", dir);
    ks = keyspace_create(store_variant("cow"), 16);
    refusal_log log = {0};
    opt = (aof_options){.on_refusal = log_refusal, .refusal_arg = &log};
    ck_assert_msg(aof_load(ks, path, &opt, &res) == 0, "%s", res.error);
    ck_assert_uint_eq(res.commands, 2);
    ck_assert_uint_eq(res.refused, 2);
    ck_assert_uint_eq(res.files[0].type, 's');
    ck_assert(res.files[0].rdb);
    ck_assert_uint_eq(res.files[0].bytes, L + sizeof tail - 1);
    ck_assert_uint_eq(log.n, 2);
    ck_assert_uint_eq(log.offset[0], L);
    ck_assert_uint_eq(log.offset[1], L + 24 + 30);
    char want[100];
    snprintf(want, sizeof want, "offset %" PRIu64 ":", L);
    ck_assert_msg(strstr(log.msg[0], want) != NULL, "%s", log.msg[0]);
    snprintf(want, sizeof want, "offset %" PRIu64 ":", L + 54);
    ck_assert_msg(strstr(log.msg[1], want) != NULL, "%s", log.msg[1]);
    ck_assert_msg(strncmp(res.first_refusal, path, strlen(path)) == 0,
                  "%s", res.first_refusal);
    uint64_t unknown = 0;
    for (size_t i = 0; i < res.ncounts; i++)
        if (strcmp(res.counts[i].name, "(unknown)") == 0)
            unknown = res.counts[i].failed;
    ck_assert_uint_eq(unknown, 1);
    ck_assert(!res.truncated);
    ck_assert_str_eq(get_str(ks, 2, "a"), "1");
    aof_result_free(&res);
    keyspace_destroy(ks);
    ks = keyspace_create(store_variant("hamt"), 16);
    opt.stop_on_refusal = true;
    log.n = 0;
    ck_assert_int_eq(aof_load(ks, path, &opt, &res), -1);
    ck_assert_msg(strstr(res.error, "(stopped at the first refused command)")
                      != NULL, "%s", res.error);
    ck_assert_uint_eq(log.n, 1);
    ck_assert_str_eq(get_str(ks, 0, "a"), "1");
    aof_result_free(&res);
    keyspace_destroy(ks);
    /* a plain RDB file is a preamble with no commands */
    write_rdb_then(dir, "dump.rdb", base, 4, "");
    snprintf(path, sizeof path, "%s/dump.rdb", dir);
    ks = keyspace_create(store_variant("naive"), 16);
    ck_assert_msg(aof_load(ks, path, NULL, &res) == 0, "%s", res.error);
    ck_assert_uint_eq(res.rdb_keys, 4);
    ck_assert_uint_eq(res.commands, 0);
    ck_assert_str_eq(get_str(ks, 3, "d"), "4");
    aof_result_free(&res);
    keyspace_destroy(ks);
    rm_dir(dir);
}
END_TEST

START_TEST(load_errors_name_file_and_offset)
{
    char dir[64], path[600];
    make_dir(dir, sizeof dir);
    keyspace *ks = keyspace_create(store_variant("naive"), 16);
    aof_result res;
    /* no manifest in a directory */
    ck_assert_int_eq(aof_load(ks, dir, NULL, &res), -1);
    snprintf(path, sizeof path, "%s: no manifest (a file named *.manifest) "
             "in this directory", dir);
    ck_assert_str_eq(res.error, path);
    aof_result_free(&res);
    /* a malformed manifest names its path and line */
    write_lit(dir, "appendonly.aof.manifest",
              "file a.aof seq 1 type i\nfile b.aof seq 1 type i\n");
    ck_assert_int_eq(aof_load(ks, dir, NULL, &res), -1);
    snprintf(path, sizeof path, "%s/appendonly.aof.manifest: line 2: Found "
             "a non-monotonic sequence number (seq 1 after 1): 'file b.aof "
             "seq 1 type i'", dir);
    ck_assert_str_eq(res.error, path);
    aof_result_free(&res);
    /* a listed file that is missing: nothing is loaded */
    write_lit(dir, "appendonly.aof.manifest",
              "file a.aof seq 1 type i\nfile b.aof seq 2 type i\n");
    write_lit(dir, "a.aof", PING);
    ck_assert_int_eq(aof_load(ks, dir, NULL, &res), -1);
    snprintf(path, sizeof path, "%s/b.aof (manifest line 2): No such file or "
             "directory", dir);
    ck_assert_str_eq(res.error, path);
    ck_assert_uint_eq(res.nfiles, 0);
    aof_result_free(&res);
    /* two manifests: which one is meant? */
    write_lit(dir, "other.manifest", "file a.aof seq 1 type i\n");
    ck_assert_int_eq(aof_load(ks, dir, NULL, &res), -1);
    ck_assert_msg(strstr(res.error, ": two manifests, ") != NULL, "%s",
                  res.error);
    aof_result_free(&res);
    snprintf(path, sizeof path, "%s/other.manifest", dir);
    unlink(path);
    /* a truncated file that is not the last one */
    write_lit(dir, "a.aof", PING "*3\r\n$3\r\nSET");
    write_lit(dir, "b.aof", PING);
    ck_assert_int_eq(aof_load(ks, dir, NULL, &res), -1);
    ck_assert_str_eq(res.error, "a.aof: offset 14: the file ends inside the "
                                "command that starts there (only the last "
                                "file may be truncated)");
    aof_result_free(&res);
    /* a malformed command in the middle: file and offset; before it stays */
    static const char *const one[] = {"0:a=1"};
    uint64_t L = write_rdb_then(dir, "a.aof", one, 1,
                                SWAPDB("0", "1") "*2\r\n$3\r\nDEL\r\n$x\r\n"
                                SWAPDB("1", "2"));
    ck_assert_int_eq(aof_load(ks, dir, NULL, &res), -1);
    char want[300];
    snprintf(want, sizeof want, "a.aof: byte %" PRIu64 ": expected a digit "
             "or '-' in bulk length, got 'x' (in the command starting at "
             "offset %" PRIu64 ")", L + 30 + 14, L + 30);
    ck_assert_str_eq(res.error, want);
    ck_assert_str_eq(get_str(ks, 1, "a"), "1");
    ck_assert_ptr_null(get_str(ks, 2, "a"));
    aof_result_free(&res);
    /* the RDB part of a file: chapter 7's error, with the file */
    write_lit(dir, "a.aof", "REDIS0009\xfa");
    ck_assert_int_eq(aof_load(ks, dir, NULL, &res), -1);
    ck_assert_msg(strncmp(res.error, "a.aof: RDB part: offset ", 24) == 0,
                  "%s", res.error);
    aof_result_free(&res);
    /* a path that is not there */
    ck_assert_int_eq(aof_load(ks, "/nonexistent.aof", NULL, &res), -1);
    ck_assert_str_eq(res.error, "/nonexistent.aof: No such file or "
                                "directory");
    aof_result_free(&res);
    keyspace_destroy(ks);
    rm_dir(dir);
}
END_TEST

/* --- what a real redis-server wrote ------------------------------------------------ */

static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}
static unsigned below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* Send one command; error replies are allowed (a failing script). */
static char last_reply[4096];
static int rcall(resp_client *c, const char *arg0, ...)
{
    const char *argv[40];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < 40; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    resp_value v;
    ck_assert_msg(resp_client_call(c, &v, argc, argv, NULL) == 0, "%s",
                  c->err);
    int t = v.type;
    last_reply[0] = '\0';
    if (v.type == RESP_BULK || v.type == RESP_SIMPLE || v.type == RESP_ERROR)
        snprintf(last_reply, sizeof last_reply, "%s", v.str);
    resp_value_clear(&v);
    return t;
}

/* Does the applier have this command?  The workload uses only families
 * that have landed in the command table. */
static bool has(const char *name)
{
    return cmd_lookup(name, strlen(name)) != NULL;
}

static void key(char *out, size_t n, const char *prefix)
{
    snprintf(out, n, "%s:%u", prefix, below(12));
}

/* Wait until no rewrite is running or scheduled. */
static void wait_rewrite(resp_client *c)
{
    for (int i = 0; i < 400; i++) {
        rcall(c, "INFO", "persistence", NULL);
        if (strstr(last_reply, "aof_rewrite_in_progress:0") != NULL &&
            strstr(last_reply, "aof_rewrite_scheduled:0") != NULL)
            return;
        struct timespec ts = {0, 25 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ck_abort_msg("BGREWRITEAOF did not finish");
}

/* A served blocking pop: b blocks, a pushes, b is served.  Redis
 * propagates the push, then the pop as its non-blocking form. */
static void served_blocking_pop(resp_client *a, resp_client *b,
                                const char *blocking, const char *push)
{
    const char *argv[6];
    size_t argc = 0;
    char bkey[32], dst[32];
    key(bkey, sizeof bkey, push[0] == 'Z' ? "z" : "l");
    key(dst, sizeof dst, "l");
    argv[argc++] = blocking;
    argv[argc++] = bkey;
    if (strcmp(blocking, "BLMOVE") == 0) {
        argv[argc++] = dst;
        argv[argc++] = "LEFT";
        argv[argc++] = "RIGHT";
    }
    argv[argc++] = "0";
    rcall(a, "SELECT", "0", NULL); /* b's database */
    rcall(a, "DEL", bkey, NULL);   /* so that b blocks */
    resp_buf out;
    resp_buf_init(&out);
    ck_assert_int_eq(resp_write_command(&out, argc, argv, NULL), 0);
    ck_assert_int_eq(write(b->fd, out.data, out.len), (ssize_t)out.len);
    resp_buf_free(&out);
    /* until b is blocked */
    for (int i = 0; i < 200; i++) {
        rcall(a, "INFO", "clients", NULL);
        if (strstr(last_reply, "blocked_clients:1") != NULL)
            break;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (push[0] == 'Z')
        rcall(a, push, bkey, "1", "m1", "2", "m2", NULL);
    else
        rcall(a, push, bkey, "v1", "v2", NULL);
    resp_value v;
    ck_assert_int_eq(resp_client_reply(b, &v), 0);
    ck_assert_int_ne(v.type, RESP_ERROR);
    resp_value_clear(&v);
}

/* One random command of a family the applier has. */
static void random_command(resp_client *c, resp_client *b, int64_t now_ms)
{
    char k[32], k2[32], v[64], n[32], ex[32];
    snprintf(v, sizeof v, "v%u", below(1000));
    snprintf(n, sizeof n, "%d", (int)below(200) - 50);
    snprintf(ex, sizeof ex, "%lld", (long long)(now_ms + 3600000 +
                                                below(100000)));
    switch (below(14)) {
    case 0: /* strings */
        if (!has("set")) break;
        key(k, sizeof k, "s");
        switch (below(6)) {
        case 0: rcall(c, "SET", k, v, NULL); break;
        case 1: rcall(c, "SET", k, v, "EX", "3600", NULL); break;
        case 2: rcall(c, "APPEND", k, v, NULL); break;
        case 3: rcall(c, "SET", k, v, "PXAT", ex, "GET", NULL); break;
        case 4: key(k, sizeof k, "n"); rcall(c, "INCRBY", k, n, NULL); break;
        default: key(k, sizeof k, "f");
            rcall(c, "INCRBYFLOAT", k, "1.5", NULL); break;
        }
        break;
    case 1: /* lists */
        if (!has("lpush")) break;
        key(k, sizeof k, "l");
        switch (below(5)) {
        case 0: rcall(c, "LPUSH", k, v, "x", "y", NULL); break;
        case 1: rcall(c, "RPUSH", k, v, NULL); break;
        case 2: rcall(c, "LPOP", k, NULL); break;
        case 3: rcall(c, "RPOP", k, "2", NULL); break;
        default: rcall(c, "LTRIM", k, "0", "5", NULL); break;
        }
        break;
    case 2: /* hashes */
        if (!has("hset")) break;
        key(k, sizeof k, "h");
        snprintf(k2, sizeof k2, "f%u", below(20));
        switch (below(3)) {
        case 0: rcall(c, "HSET", k, k2, v, "g", v, NULL); break;
        case 1: rcall(c, "HDEL", k, k2, NULL); break;
        default: rcall(c, "HINCRBY", k, "cnt", n, NULL); break;
        }
        break;
    case 3: /* sets, SPOP */
        if (!has("sadd")) break;
        key(k, sizeof k, "S");
        snprintf(k2, sizeof k2, "m%u", below(30));
        switch (below(3)) {
        case 0: rcall(c, "SADD", k, k2, v, NULL); break;
        case 1: rcall(c, "SREM", k, k2, NULL); break;
        default: /* SPOP k 2 of the last members propagates a DEL */
            rcall(c, "SPOP", k, below(2) && has("del") ? "2" : NULL, NULL);
            break;
        }
        break;
    case 4: /* zsets */
        if (!has("zadd")) break;
        key(k, sizeof k, "z");
        snprintf(k2, sizeof k2, "m%u", below(30));
        switch (below(3)) {
        case 0: rcall(c, "ZADD", k, n, k2, "1.25", v, NULL); break;
        case 1: rcall(c, "ZINCRBY", k, "2.5", k2, NULL); break;
        default: rcall(c, "ZPOPMIN", k, NULL); break;
        }
        break;
    case 5: /* expiries */
        key(k, sizeof k, "s");
        if (!has("expire")) break;
        switch (below(3)) {
        case 0: rcall(c, "EXPIRE", k, "7200", NULL); break;
        case 1: rcall(c, "PEXPIREAT", k, ex, NULL); break;
        default: rcall(c, "PERSIST", k, NULL); break;
        }
        break;
    case 6: /* MULTI/EXEC with SELECT inside */
        key(k, sizeof k, "s");
        rcall(c, "MULTI", NULL);
        if (has("set"))
            rcall(c, "SET", k, v, NULL);
        rcall(c, "SELECT", below(2) ? "2" : "0", NULL);
        rcall(c, "SWAPDB", "1", "3", NULL);
        if (has("set")) {
            rcall(c, "SET", k, "in-multi", NULL);
            rcall(c, "INCRBY", "n:0", "1", NULL);
        }
        rcall(c, "EXEC", NULL);
        break;
    case 7: /* a script that writes, then fails half-way: its effects
             * are propagated (MULTI ... EXEC of what it did) */
        if (!has("set") || !has("rpush")) break;
        key(k, sizeof k, "s");
        key(k2, sizeof k2, "l");
        ck_assert_int_eq(rcall(c, "EVAL",
                               "redis.call('SET', KEYS[1], ARGV[1]) "
                               "redis.call('RPUSH', KEYS[2], ARGV[1]) "
                               "redis.call('INCR', KEYS[1]) return 1",
                               "2", k, k2, "not-a-number", NULL),
                         RESP_ERROR);
        break;
    case 8: /* served blocking pops */
        if (!has("lpush") || !has("del") || below(3) != 0) break;
        switch (below(3)) {
        case 0: served_blocking_pop(c, b, "BLPOP", "RPUSH"); break;
        case 1: served_blocking_pop(c, b, "BLMOVE", "LPUSH"); break;
        default:
            if (has("zadd"))
                served_blocking_pop(c, b, "BZPOPMIN", "ZADD");
            break;
        }
        break;
    case 9: /* streams: XADD *, XREADGROUP */
        if (!has("xadd") || !has("xclaim") || !has("xgroup") ||
            !has("xsetid"))
            break;
        key(k, sizeof k, "x");
        switch (below(3)) {
        case 0: rcall(c, "XADD", k, "*", "f", v, NULL); break;
        case 1: rcall(c, "XGROUP", "CREATE", k, "g", "0", "MKSTREAM", NULL);
            break;
        /* NOACK: without it, Redis 7.0.15 propagates XREADGROUP as
         * XCLAIM ... LASTID, which does not carry the group's
         * entries_read, so its own replicas and AOF disagree with its
         * memory on that counter (fixed in 7.2.4, redis/redis pull
         * 12898); tests/ch09_streams.c shows that case on its own */
        default: rcall(c, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "2",
                       "NOACK", "STREAMS", k, ">", NULL); break;
        }
        break;
    case 10: /* another database */
        rcall(c, "SELECT", below(3) == 0 ? "0" : "1", NULL);
        break;
    case 12: /* the databases themselves (the core table's commands) */
        snprintf(k, sizeof k, "%u", below(4));
        snprintf(k2, sizeof k2, "%u", below(4));
        if (below(40) == 0)
            rcall(c, "FLUSHDB", NULL);
        else
            rcall(c, "SWAPDB", k, k2, NULL);
        break;
    case 11: /* deletes */
        if (!has("del")) break;
        key(k, sizeof k, below(2) ? "s" : "l");
        rcall(c, "DEL", k, NULL);
        break;
    default:
        if (!has("set")) break;
        key(k, sizeof k, "s");
        rcall(c, "SET", k, v, "NX", NULL);
        break;
    }
}

/* Load path into a keyspace over variant and compare it with dump. */
static void compare(const char *path, const char *dump, const char *variant,
                    aof_result *res, bool expect_rdb)
{
    keyspace *want = keyspace_create(store_variant("naive"), 16);
    keyspace *got = keyspace_create(store_variant(variant), 16);
    ck_assert_ptr_nonnull(want);
    ck_assert_ptr_nonnull(got);
    rdb_result rres;
    ck_assert_msg(keyspace_load_rdb_file(want, dump, NULL, &rres) == 0, "%s",
                  rres.error);
    ck_assert_msg(aof_load(got, path, NULL, res) == 0, "%s: %s", path,
                  res->error);
    ck_assert_msg(res->refused == 0, "%s: %s", path, res->first_refusal);
    ck_assert(!res->truncated);
    bool rdb = false;
    for (size_t i = 0; i < res->nfiles; i++)
        rdb |= res->files[i].rdb;
    ck_assert_int_eq(rdb, expect_rdb);
    keyspace_reader *ra = keyspace_reader_open(want);
    keyspace_reader *rb = keyspace_reader_open(got);
    char why[512];
    int d = keyspace_diff(ra, rb, VALUE_EQ_IGNORE_SEEN, 0, why, sizeof why);
    ck_assert_msg(d == 0, "%s over %s differs from SAVE: %s", path, variant,
                  why);
    /* aof-load --json prints both with keyspace_dump_json(); the two
     * documents are not byte-equal even when keyspace_diff() finds no
     * difference, because they also print what the comparison leaves out
     * on purpose (consumers' seen times, which a replica sets from its own
     * clock), so here both must merely be whole documents */
    char *ja = NULL, *jb = NULL;
    size_t na = 0, nb = 0;
    FILE *fa = open_memstream(&ja, &na), *fb = open_memstream(&jb, &nb);
    ck_assert_int_eq(keyspace_dump_json(ra, fa), 0);
    ck_assert_int_eq(keyspace_dump_json(rb, fb), 0);
    fclose(fa);
    fclose(fb);
    ck_assert_uint_gt(na, 20);
    ck_assert_uint_gt(nb, 20);
    ck_assert_msg(strncmp(jb, "{\n \"dbs\": {", 11) == 0 &&
                  memcmp(jb + nb - 4, "}\n}\n", 4) == 0,
                  "%s over %s: not a JSON document", path, variant);
    free(ja);
    free(jb);
    keyspace_reader_close(ra);
    keyspace_reader_close(rb);
    keyspace_destroy(want);
    keyspace_destroy(got);
}

/* cat a b > out */
static void concat(const char *out, const char *a, const char *b)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "cat '%s' '%s' > '%s'", a, b, out);
    ck_assert_int_eq(system(cmd), 0);
}

/* The newest file of a type in an append-only directory. */
static void newest(const char *aofdir, const char *kind, char *out, size_t n)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls -1v '%s' | grep '%s' | tail -1", aofdir,
             kind);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char name[256] = "";
    ck_assert_ptr_nonnull(fgets(name, sizeof name, p));
    pclose(p);
    name[strcspn(name, "\n")] = '\0';
    snprintf(out, n, "%s/%s", aofdir, name);
}

static void workload(resp_client *c, resp_client *b, long ops)
{
    int64_t now = (int64_t)time(NULL) * 1000;
    for (long i = 0; i < ops; i++)
        random_command(c, b, now);
    rcall(c, "SELECT", "0", NULL);
}

START_TEST(load_what_redis_wrote)
{
    static const char *const variants[] = {"ptrie", "cow", "hamt",
                                           "striped", "naive"};
    static redis_server rs; /* registered until stopped: not on the stack */
    char err[512];
    const char *extra[] = {"--appendonly", "yes", "--aof-timestamp-enabled",
                           "yes", "--auto-aof-rewrite-percentage", "0",
                           "--enable-debug-command", "yes",
                           /* written before the reply, never postponed
                            * behind a background fsync */
                           "--appendfsync", "always", NULL};
    ck_assert_msg(redis_server_start(&rs, extra, err, sizeof err) == 0, "%s",
                  err);
    resp_client c, b;
    ck_assert_int_eq(resp_client_open(&c, rs.port), 0);
    ck_assert_int_eq(resp_client_open(&b, rs.port), 0);
    rng = 0x9e3779b97f4a7c15ULL;
    long ops = test_scale(1500, 150);
    char aofdir[400], dump[400], single[400], base[400], incr[400];
    snprintf(aofdir, sizeof aofdir, "%s/appendonlydir", rs.dir);
    snprintf(dump, sizeof dump, "%s/dump.rdb", rs.dir);
    snprintf(single, sizeof single, "%s/legacy.aof", rs.dir);
    aof_result res;

    /* 1. the directory: an empty RDB base made at start-up, then one
     * incremental file; then a rewrite in the middle: an RDB base with
     * data and a new incremental file.  DEBUG POPULATE is not propagated,
     * so its keys reach the files through the rewrite's RDB only; the
     * core table's SWAPDB and FLUSHDB then move them about */
    for (int db = 0; db < 4; db++) {
        char dbs[4], prefix[16];
        snprintf(dbs, sizeof dbs, "%d", db);
        snprintf(prefix, sizeof prefix, "pop%d", db);
        rcall(&c, "SELECT", dbs, NULL);
        ck_assert_int_eq(rcall(&c, "DEBUG", "POPULATE", "40", prefix, "6",
                               NULL), RESP_SIMPLE);
    }
    workload(&c, &b, ops);
    rcall(&c, "BGREWRITEAOF", NULL);
    wait_rewrite(&c);
    workload(&c, &b, ops);
    ck_assert_int_eq(rcall(&c, "SAVE", NULL), RESP_SIMPLE);
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        compare(aofdir, dump, variants[i], &res, true);
        ck_assert_uint_ge(res.nfiles, 2);
        ck_assert(res.files[0].rdb);
        ck_assert_uint_gt(res.rdb_keys, 0);
        ck_assert_uint_gt(res.commands, 0);
        aof_result_free(&res);
    }

    /* 2. legacy single file with an RDB preamble: Redis 6 wrote the
     * rewrite's RDB and the commands after it into one file */
    newest(aofdir, "base.rdb", base, sizeof base);
    newest(aofdir, "incr.aof", incr, sizeof incr);
    concat(single, base, incr);
    compare(single, dump, "ptrie", &res, true);
    ck_assert_uint_eq(res.nfiles, 1);
    ck_assert_int_eq(res.files[0].type, 's');
    aof_result_free(&res);

    /* 3. without a preamble: aof-use-rdb-preamble no, the rewrite writes
     * commands (SET, PEXPIREAT, RPUSH, ...: the families' own); base and
     * incremental together make the legacy file */
    bool rewrite_as_commands = has("set") && has("pexpireat");
    if (rewrite_as_commands) {
        rcall(&c, "CONFIG", "SET", "aof-use-rdb-preamble", "no", NULL);
        rcall(&c, "BGREWRITEAOF", NULL);
        wait_rewrite(&c);
        workload(&c, &b, ops / 2);
        ck_assert_int_eq(rcall(&c, "SAVE", NULL), RESP_SIMPLE);
        newest(aofdir, "base.aof", base, sizeof base);
        newest(aofdir, "incr.aof", incr, sizeof incr);
        concat(single, base, incr);
        compare(single, dump, "cow", &res, false);
        aof_result_free(&res);
        compare(aofdir, dump, "ptrie", &res, false);
        aof_result_free(&res);
    } else {
        fprintf(stderr, "ch09_aof: no SET or PEXPIREAT in the command "
                "table yet: the rewrite without an RDB preamble is not "
                "checked\n");
    }

    /* 4. a truncated tail: the last command cut short is reported with
     * its offset, and everything before it is loaded */
    struct stat st;
    ck_assert_int_eq(stat(incr, &st), 0);
    uint64_t before = (uint64_t)st.st_size;
    ck_assert_int_eq(rcall(&c, "SAVE", NULL), RESP_SIMPLE);
    char dump2[400];
    snprintf(dump2, sizeof dump2, "%s/before.rdb", rs.dir);
    ck_assert_int_eq(rename(dump, dump2), 0);
    rcall(&c, "SWAPDB", "0", "1", NULL);
    ck_assert_int_eq(stat(incr, &st), 0);
    ck_assert_uint_gt((uint64_t)st.st_size, before + 20);
    char trunc[400];
    snprintf(trunc, sizeof trunc, "%s/trunc.aof", rs.dir);
    concat(trunc, base, incr);
    uint64_t cut_at = (uint64_t)st.st_size - 7;
    uint64_t base_size;
    ck_assert_int_eq(stat(base, &st), 0);
    base_size = (uint64_t)st.st_size;
    ck_assert_int_eq(truncate(trunc, (off_t)(base_size + cut_at)), 0);
    keyspace *want = keyspace_create(store_variant("naive"), 16);
    keyspace *got = keyspace_create(store_variant("ptrie"), 16);
    rdb_result rres;
    ck_assert_int_eq(keyspace_load_rdb_file(want, dump2, NULL, &rres), 0);
    ck_assert_msg(aof_load(got, trunc, NULL, &res) == 0, "%s", res.error);
    ck_assert(res.truncated);
    ck_assert_str_eq(res.truncated_file, trunc);
    /* the cut command starts where the file was before it (a timestamp
     * annotation may come first) */
    ck_assert_uint_ge(res.truncated_offset, base_size + before);
    ck_assert_uint_lt(res.truncated_offset, base_size + cut_at);
    keyspace_reader *ra = keyspace_reader_open(want);
    keyspace_reader *rb = keyspace_reader_open(got);
    ck_assert_msg(keyspace_diff(ra, rb, VALUE_EQ_IGNORE_SEEN, 0, err,
                                sizeof err) == 0, "%s", err);
    keyspace_reader_close(ra);
    keyspace_reader_close(rb);
    aof_result_free(&res);
    keyspace_destroy(got);
    got = keyspace_create(store_variant("ptrie"), 16);
    aof_options strict = {.refuse_truncated = true};
    ck_assert_int_eq(aof_load(got, trunc, &strict, &res), -1);
    ck_assert_msg(strstr(res.error, "the file ends inside the command that "
                                    "starts there (truncated files are "
                                    "refused)") != NULL, "%s", res.error);
    aof_result_free(&res);
    keyspace_destroy(want);
    keyspace_destroy(got);

    resp_client_close(&b);
    resp_client_close(&c);
    redis_server_stop(&rs);
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
    tc = test_tcase("files", 30);
    tcase_add_test(tc, load_hand_made_files);
    tcase_add_test(tc, load_errors_name_file_and_offset);
    suite_add_tcase(s, tc);
    tc = test_tcase("redis", 60);
    tcase_add_test(tc, load_what_redis_wrote);
    suite_add_tcase(s, tc);
    return s;
}
