/* ch10_snapshot.c - chapter 10: a master's snapshot, framed, read as it
 * arrives.
 *
 * The snapshot reaches the replica in one of two framings ($<len> or
 * $EOF:<mark>) on the link's one input buffer, and repl_snapshot_load()
 * must stop exactly at its end.  The tests feed real RDB files (the
 * repository's Redis 7.0.15 dump, and small files built byte by byte for
 * the AUX fields) through the input in three ways: appended up front
 * (conn NULL, repl_input_append()), over a loopback TCP connection with
 * every read limited to 1, 7 or 4096 bytes (max_read), and from a real
 * redis-server answering PSYNC, whose snapshot is compared with its own
 * SAVE.  They check the header line, the mark scan at every split
 * position, truncation at many points with the exact message, a bad
 * checksum, bytes after the RDB's end, a length shorter than the RDB, the
 * command-stream bytes after the snapshot left in the input untouched,
 * and the AUX fields captured.
 */
#include "repl_snapshot.h"

#include "keyspace_rdb.h"
#include "value_equal.h"

#include "alloc.h"
#include "corpus.h"
#include "rdb_builder.h"
#include "redis_server.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MISC_RDB CORPUS_DEFAULT_DIR "/generated-redis-7.0.15/misc_types_7_0.rdb"

/* A mark as a master makes one: 40 random hex characters. */
static const char MARK[] = "5f3c9a0e7b21d4c68e0f1a2b3c4d5e6f70819a2b";

/* A command-stream piece a master may send right after the snapshot. */
static const char STREAM[] = "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n"
                             "$1\r\nv\r\n";

/* ---- helpers ------------------------------------------------------------- */

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    unsigned char *p = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static keyspace *fresh(void)
{
    keyspace *ks = keyspace_create(store_variant("ptrie"), 16);
    ck_assert_ptr_nonnull(ks);
    return ks;
}

/* Fail unless ks holds what the RDB file at path holds. */
static void assert_same_as_file(keyspace *ks, const char *path)
{
    keyspace *want = fresh();
    rdb_result rr;
    rdb_options quiet = {.quiet = true};
    ck_assert_msg(keyspace_load_rdb_file(want, path, &quiet, &rr) == 0, "%s",
                  rr.error);
    keyspace_reader *a = keyspace_reader_open(want);
    keyspace_reader *b = keyspace_reader_open(ks);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    char why[512];
    int d = keyspace_diff(a, b, 0, 0, why, sizeof why);
    ck_assert_msg(d == 0, "the loaded snapshot differs from %s: %s", path, why);
    keyspace_reader_close(a);
    keyspace_reader_close(b);
    keyspace_destroy(want);
}

/* The snapshot as a master frames it: header line, payload (the RDB, or
 * the RDB and the mark), then `after` (a stream, or nothing). */
static void frame(bb *out, repl_payload_kind kind, const void *rdb, size_t n,
                  const char *after)
{
    char hdr[80];
    if (kind == REPL_PAYLOAD_LEN)
        snprintf(hdr, sizeof hdr, "$%zu\r\n", n);
    else
        snprintf(hdr, sizeof hdr, "$EOF:%s\r\n", MARK);
    bb_raw(out, hdr, strlen(hdr));
    bb_raw(out, rdb, n);
    if (kind == REPL_PAYLOAD_EOF)
        bb_raw(out, MARK, REPL_EOF_MARK_LEN);
    bb_raw(out, after, strlen(after));
}

/* Read the header line from the input (filling it when there is a
 * connection) and parse it. */
static void read_header(repl_input *in, repl_payload *p)
{
    for (;;) {
        size_t n = repl_input_avail(in);
        const unsigned char *d = n > 0 ? repl_input_peek(in) : NULL;
        const unsigned char *lf = n > 0 ? memchr(d, '\n', n) : NULL;
        if (lf != NULL) {
            size_t len = (size_t)(lf - d);
            ck_assert_msg(len > 0 && d[len - 1] == '\r', "header line "
                          "without CR LF");
            char err[200];
            ck_assert_msg(repl_payload_parse((const char *)d, len - 1, p, err,
                                             sizeof err) == 0, "%s", err);
            repl_input_consume(in, len + 1);
            return;
        }
        ck_assert_msg(repl_input_fill(in) > 0, "no header line: %s",
                      repl_input_error(in));
    }
}

/* Everything left in the input, then (with a connection) every byte until
 * the other side closes, appended to rest. */
static void drain(repl_input *in, bb *rest)
{
    for (;;) {
        if (repl_input_avail(in) > 0) {
            bb_raw(rest, repl_input_peek(in), repl_input_avail(in));
            repl_input_consume(in, repl_input_avail(in));
        }
        if (in->conn == NULL || repl_input_fill(in) <= 0)
            return;
    }
}

/* A loopback peer playing the master: it sends bytes, then closes (or,
 * holding, falls silent until the replica closes). */
typedef struct peer {
    int fd;
    const unsigned char *p;
    size_t n;
    bool hold;
    pthread_t thread;
} peer;

static void *peer_main(void *arg)
{
    peer *pe = arg;
    size_t off = 0;
    while (off < pe->n) {
        ssize_t w = send(pe->fd, pe->p + off, pe->n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* the replica closed first: the test says why */
        off += (size_t)w;
    }
    char c;
    while (pe->hold && recv(pe->fd, &c, 1, 0) > 0)
        ; /* the replica sends nothing here; wait for its close */
    close(pe->fd);
    return NULL;
}

/* Connect a repl_conn to a peer that sends p[0..n) and closes. */
static repl_conn *peer_start(peer *pe, const void *p, size_t n, bool hold)
{
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(lfd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(lfd, 1), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
    char err[256];
    repl_conn *c = repl_conn_open("127.0.0.1", ntohs(sa.sin_port), NULL, 5000,
                                  err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    pe->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    ck_assert_int_ge(pe->fd, 0);
    close(lfd);
    pe->p = p;
    pe->n = n;
    pe->hold = hold;
    ck_assert_int_eq(pthread_create(&pe->thread, NULL, peer_main, pe), 0);
    return c;
}

/*
 * Load framed bytes (header line included) into a fresh keyspace: over a
 * loopback connection with reads of at most chunk bytes, or, with chunk 0,
 * appended to an input without a connection.  The bytes left after the
 * snapshot go to rest (NULL: not kept).  Returns the keyspace (destroy it).
 */
static keyspace *load_ex(const bb *framed, size_t chunk, int timeout_ms,
                         bool hold, repl_snapshot_result *res, int *rc,
                         bb *rest)
{
    peer pe;
    repl_input in;
    repl_payload p;
    keyspace *ks = fresh();
    repl_conn *c = chunk > 0 ? peer_start(&pe, framed->p, framed->len, hold)
                             : NULL;
    repl_input_init(&in, c, timeout_ms);
    in.max_read = chunk;
    if (c == NULL)
        ck_assert_int_eq(repl_input_append(&in, framed->p, framed->len), 0);
    read_header(&in, &p);
    *rc = repl_snapshot_load(ks, &in, &p, res);
    bb tmp = {0};
    drain(&in, rest != NULL ? rest : &tmp);
    free(tmp.p);
    ck_assert_uint_eq(in.consumed, in.received);
    repl_input_free(&in);
    if (c != NULL) {
        repl_conn_close(c);
        pthread_join(pe.thread, NULL);
    }
    return ks;
}

static keyspace *load(const bb *framed, size_t chunk,
                      repl_snapshot_result *res, int *rc, bb *rest)
{
    return load_ex(framed, chunk, 10000, false, res, rc, rest);
}

/* A small RDB 10 file: AUX fields (name, value; value NULL ends; an
 * integer value written as Redis writes one, in integer encoding, when it
 * starts with '#'), then `keys` string keys in database 0. */
static void small_rdb(bb *b, const char *const *aux, int keys)
{
    bb_raw(b, "REDIS0010", 9);
    for (size_t i = 0; aux != NULL && aux[i] != NULL; i += 2) {
        bb_u8(b, 0xFA);
        bb_str(b, aux[i]);
        if (aux[i + 1][0] == '#') {
            long v = strtol(aux[i + 1] + 1, NULL, 10);
            bb_u8(b, 0xC2); /* 32-bit integer string */
            bb_le(b, (uint64_t)v, 4);
        } else {
            bb_str(b, aux[i + 1]);
        }
    }
    bb_u8(b, 0xFE);
    bb_len(b, 0);
    for (int i = 0; i < keys; i++) {
        char k[32], v[32];
        snprintf(k, sizeof k, "key:%d", i);
        snprintf(v, sizeof v, "value:%d", i);
        bb_u8(b, 0);
        bb_str(b, k);
        bb_str(b, v);
    }
    bb_eof(b, 10);
}

/* Fail unless a reader of ks sees no key in any database: a failed load
 * commits nothing. */
static void assert_nothing_committed(keyspace *ks)
{
    keyspace_reader *r = keyspace_reader_open(ks);
    ck_assert_ptr_nonnull(r);
    keyspace_read_begin(r);
    for (unsigned db = 0; db < keyspace_databases(ks); db++)
        ck_assert_uint_eq(keyspace_dbsize(r, db), 0);
    keyspace_read_end(r);
    keyspace_reader_close(r);
}

/* ---- the header line ----------------------------------------------------- */

START_TEST(header_good)
{
    repl_payload p;
    char err[200] = "";
    ck_assert_int_eq(repl_payload_parse("$0", 2, &p, err, sizeof err), 0);
    ck_assert_int_eq(p.kind, REPL_PAYLOAD_LEN);
    ck_assert_uint_eq(p.len, 0);
    ck_assert_int_eq(repl_payload_parse("$15198", 6, &p, err, sizeof err), 0);
    ck_assert_int_eq(p.kind, REPL_PAYLOAD_LEN);
    ck_assert_uint_eq(p.len, 15198);
    const char *max = "$18446744073709551615";
    ck_assert_int_eq(repl_payload_parse(max, strlen(max), &p, err, sizeof err),
                     0);
    ck_assert_uint_eq(p.len, UINT64_MAX);
    char line[64];
    snprintf(line, sizeof line, "$EOF:%s", MARK);
    ck_assert_int_eq(repl_payload_parse(line, strlen(line), &p, err,
                                        sizeof err), 0);
    ck_assert_int_eq(p.kind, REPL_PAYLOAD_EOF);
    ck_assert_bytes_eq(p.mark, REPL_EOF_MARK_LEN, MARK, REPL_EOF_MARK_LEN);
    /* A mark is any 40 bytes, "$EOF:" ones included. */
    snprintf(line, sizeof line, "$EOF:$EOF:%.35s", MARK);
    ck_assert_int_eq(repl_payload_parse(line, strlen(line), &p, err,
                                        sizeof err), 0);
    ck_assert_bytes_eq(p.mark, REPL_EOF_MARK_LEN, line + 5, REPL_EOF_MARK_LEN);
}
END_TEST

static void bad_header(const char *line, size_t n, const char *want)
{
    repl_payload p;
    char err[300] = "";
    ck_assert_int_eq(repl_payload_parse(line, n, &p, err, sizeof err), -1);
    ck_assert_str_eq(err, want);
}

START_TEST(header_bad)
{
    const char *dollar = "expected '$<length>' or '$EOF:<40-byte mark>'";
    const char *num = "the length is not a non-negative decimal number "
                      "below 2^64";
    char want[300];
    snprintf(want, sizeof want, "snapshot header \"\": %s", dollar);
    bad_header("", 0, want);
    snprintf(want, sizeof want, "snapshot header \"+CONTINUE\": %s", dollar);
    bad_header("+CONTINUE", 9, want);
    snprintf(want, sizeof want, "snapshot header \"\\x00$12\": %s", dollar);
    bad_header("\0$12", 4, want);
    snprintf(want, sizeof want, "snapshot header \"$\": %s", num);
    bad_header("$", 1, want);
    snprintf(want, sizeof want, "snapshot header \"$-1\": %s", num);
    bad_header("$-1", 3, want);
    snprintf(want, sizeof want, "snapshot header \"$12a\": %s", num);
    bad_header("$12a", 4, want);
    snprintf(want, sizeof want, "snapshot header \"$ 12\": %s", num);
    bad_header("$ 12", 4, want);
    snprintf(want, sizeof want, "snapshot header \"$12\\x0d\": %s", num);
    bad_header("$12\r", 4, want);
    snprintf(want, sizeof want, "snapshot header \"$18446744073709551616\": "
             "%s", num);
    bad_header("$18446744073709551616", 21, want);
    snprintf(want, sizeof want, "snapshot header \"$EOF\": %s", num);
    bad_header("$EOF", 4, want);
    bad_header("$EOF:", 5, "snapshot header \"$EOF:\": the EOF mark is 0 "
               "bytes, expected 40");
    bad_header("$EOF:abc", 8, "snapshot header \"$EOF:abc\": the EOF mark is 3 "
               "bytes, expected 40");
    char line[80];
    snprintf(line, sizeof line, "$EOF:%s0123456789abcdefghij", MARK);
    snprintf(want, sizeof want, "snapshot header \"%.60s...\": the EOF mark is "
             "60 bytes, expected 40", line);
    bad_header(line, strlen(line), want);
    snprintf(line, sizeof line, "$EOF:%.39s", MARK);
    snprintf(want, sizeof want, "snapshot header \"%s\": the EOF mark is 39 "
             "bytes, expected 40", line);
    bad_header(line, strlen(line), want);
}
END_TEST

/* ---- the end mark -------------------------------------------------------- */

/*
 * Feed data through repl_eof_scan() as repl_snapshot_read() does, in
 * pieces ending at the positions in cuts[] (ascending; the data's end is
 * the last piece's end): the held-back tail is rescanned with the next
 * piece.  Returns where the mark was found (payload bytes before it), or
 * SIZE_MAX; never hands out a byte of the mark.
 */
static size_t scan_in_pieces(const unsigned char *d, size_t n,
                             const size_t *cuts, size_t ncuts)
{
    size_t handed = 0, end = 0;
    for (size_t c = 0; c <= ncuts; c++) {
        end = c < ncuts ? cuts[c] : n;
        size_t pay;
        bool found = repl_eof_scan((const unsigned char *)MARK, d + handed,
                                   end - handed, &pay);
        ck_assert_uint_le(pay, end - handed);
        if (found) {
            ck_assert_bytes_eq(d + handed + pay, REPL_EOF_MARK_LEN, MARK,
                               REPL_EOF_MARK_LEN);
            return handed + pay;
        }
        ck_assert_uint_ge(pay + REPL_EOF_MARK_LEN - 1, end - handed);
        handed += pay;
    }
    return SIZE_MAX;
}

START_TEST(eof_scan_every_split)
{
    /* 100 payload bytes that hold near misses (the mark's first 1..39
     * bytes), then the mark, then stream bytes. */
    bb d = {0};
    bb_raw(&d, "abc", 3);
    bb_raw(&d, MARK, 39);
    bb_raw(&d, "x", 1);
    bb_raw(&d, MARK, 1);
    bb_raw(&d, MARK, 20);
    while (d.len < 100)
        bb_raw(&d, "\0", 1);
    size_t at = d.len;
    bb_raw(&d, MARK, REPL_EOF_MARK_LEN);
    bb_raw(&d, STREAM, strlen(STREAM));
    /* Every single split, so the mark is cut at each of its 40 positions
     * (and every other place). */
    for (size_t cut = 0; cut <= d.len; cut++)
        ck_assert_uint_eq(scan_in_pieces(d.p, d.len, &cut, 1), at);
    /* Every byte its own read. */
    size_t cuts[256];
    for (size_t i = 0; i < d.len; i++)
        cuts[i] = i + 1;
    ck_assert_uint_eq(scan_in_pieces(d.p, d.len, cuts, d.len), at);
    /* Two splits inside the mark, at every pair of positions. */
    for (size_t i = at; i <= at + REPL_EOF_MARK_LEN; i++)
        for (size_t j = i; j <= at + REPL_EOF_MARK_LEN; j++) {
            size_t two[2] = {i, j};
            ck_assert_uint_eq(scan_in_pieces(d.p, d.len, two, 2), at);
        }
    free(d.p);
}
END_TEST

START_TEST(eof_scan_edges)
{
    const unsigned char *m = (const unsigned char *)MARK;
    unsigned char buf[200] = {0};
    size_t pay = 12345;
    /* Nothing, and fewer bytes than a mark: nothing is certain yet. */
    ck_assert(!repl_eof_scan(m, buf, 0, &pay));
    ck_assert_uint_eq(pay, 0);
    ck_assert(!repl_eof_scan(m, m, 39, &pay));
    ck_assert_uint_eq(pay, 0);
    /* The mark alone, at the start, at the end. */
    ck_assert(repl_eof_scan(m, m, 40, &pay));
    ck_assert_uint_eq(pay, 0);
    memcpy(buf, m, 40);
    memcpy(buf + 40, STREAM, 20);
    ck_assert(repl_eof_scan(m, buf, 60, &pay));
    ck_assert_uint_eq(pay, 0);
    memset(buf, 'z', 160);
    memcpy(buf + 160, m, 40);
    ck_assert(repl_eof_scan(m, buf, 200, &pay));
    ck_assert_uint_eq(pay, 160);
    /* 40 bytes that are not the mark: one is certain. */
    ck_assert(!repl_eof_scan(m, buf, 40, &pay));
    ck_assert_uint_eq(pay, 1);
    /* A buffer ending in the mark's first k bytes holds back the last 39
     * (the rule of the header: all but REPL_EOF_MARK_LEN - 1). */
    for (size_t k = 1; k < 40; k++) {
        memset(buf, 'z', 100);
        memcpy(buf + 100 - k, m, k);
        ck_assert(!repl_eof_scan(m, buf, 100, &pay));
        ck_assert_uint_eq(pay, 61);
    }
    /* The mark with its last byte wrong is not the mark. */
    memcpy(buf, m, 40);
    buf[39] ^= 1;
    ck_assert(!repl_eof_scan(m, buf, 40, &pay));
    ck_assert_uint_eq(pay, 1);
    /* A mark that overlaps itself: "ab" x 20, after "a" then "abab...". */
    unsigned char ab[40], d[81];
    for (size_t i = 0; i < 40; i++)
        ab[i] = (unsigned char)(i % 2 ? 'b' : 'a');
    d[0] = 'a';
    memcpy(d + 1, ab, 40);
    memcpy(d + 41, ab, 40);
    ck_assert(repl_eof_scan(ab, d, 81, &pay));
    ck_assert_uint_eq(pay, 1);
    /* All one byte: found at the first place it fits. */
    memset(d, 'a', 81);
    memset(ab, 'a', 40);
    ck_assert(repl_eof_scan(ab, d, 81, &pay));
    ck_assert_uint_eq(pay, 0);
}
END_TEST

/* ---- loads --------------------------------------------------------------- */

/* The repository's Redis 7.0.15 dump (16 databases used: 0 and 15), loaded
 * in both framings, fed in reads of 1, 7 and 4096 bytes and all at once;
 * the stream bytes after it come out of the input untouched. */
START_TEST(load_real_rdb_in_chunks)
{
    static const size_t chunks[] = {1, 7, 4096, 0};
    size_t n;
    unsigned char *rdb = read_file(MISC_RDB, &n);
    for (int kind = REPL_PAYLOAD_LEN; kind <= REPL_PAYLOAD_EOF; kind++) {
        bb framed = {0};
        frame(&framed, (repl_payload_kind)kind, rdb, n, STREAM);
        for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            repl_snapshot_result res;
            bb rest = {0};
            int rc;
            keyspace *ks = load(&framed, chunks[c], &res, &rc, &rest);
            ck_assert_msg(rc == 0, "framing %d, chunk %zu: %s", kind,
                          chunks[c], res.error);
            ck_assert_str_eq(res.error, "");
            ck_assert_uint_eq(res.bytes, n);
            ck_assert_uint_eq(res.rdb.end_offset, n);
            ck_assert_int_eq(res.rdb.version, 10);
            ck_assert_int_eq(res.rdb.crc, RDB_CRC_OK);
            ck_assert_uint_eq(res.rdb.keys, res.rdb.keys_stored);
            ck_assert_uint_gt(res.rdb.keys, 10);
            /* A SAVE on a master that never had a replica: no repl AUX. */
            ck_assert_int_eq(res.stream_db, -1);
            ck_assert_str_eq(res.replid, "");
            ck_assert_int_eq(res.repl_offset, -1);
            ck_assert_bytes_eq(rest.p, rest.len, STREAM, strlen(STREAM));
            assert_same_as_file(ks, MISC_RDB);
            keyspace_destroy(ks);
            free(rest.p);
        }
        free(framed.p);
    }
    free(rdb);
}
END_TEST

/* An empty RDB ($len of a file with no keys) and a zero-length header
 * followed by nothing are told apart: the first loads, the second is an
 * RDB that ended before its magic. */
START_TEST(load_empty)
{
    bb rdb = {0}, framed = {0};
    small_rdb(&rdb, NULL, 0);
    frame(&framed, REPL_PAYLOAD_LEN, rdb.p, rdb.len, "");
    repl_snapshot_result res;
    int rc;
    keyspace *ks = load(&framed, 0, &res, &rc, NULL);
    ck_assert_msg(rc == 0, "%s", res.error);
    ck_assert_uint_eq(res.rdb.keys, 0);
    keyspace_destroy(ks);
    free(framed.p);
    framed = (bb){0};
    bb_raw(&framed, "$0\r\n", 4);
    bb_raw(&framed, STREAM, strlen(STREAM));
    bb rest = {0};
    ks = load(&framed, 0, &res, &rc, &rest);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(res.error, "snapshot: offset 0: ") == res.error &&
                  strstr(res.error, " (the announced length ended the "
                         "snapshot after 0 bytes)") != NULL, "%s", res.error);
    /* Nothing past the announced length was taken. */
    ck_assert_bytes_eq(rest.p, rest.len, STREAM, strlen(STREAM));
    keyspace_destroy(ks);
    free(rest.p);
    free(framed.p);
    free(rdb.p);
}
END_TEST

/* The cut points of a truncation test: the first and last 50 bytes and
 * evenly spread ones between (fewer when TEST_SCALE is small). */
static size_t next_cut(size_t cut, size_t total)
{
    size_t step = total / (size_t)test_scale(300, 30);
    if (cut < 50 || cut + 50 >= total || step == 0)
        return cut + 1;
    return cut + step;
}

/* A snapshot cut short at many points, in both framings: the exact
 * message, the keyspace left for the caller to destroy. */
START_TEST(truncated_everywhere)
{
    size_t n;
    unsigned char *rdb = read_file(MISC_RDB, &n);
    for (int kind = REPL_PAYLOAD_LEN; kind <= REPL_PAYLOAD_EOF; kind++) {
        bb framed = {0};
        frame(&framed, (repl_payload_kind)kind, rdb, n, "");
        size_t hdr = (size_t)((unsigned char *)memchr(framed.p, '\n',
                                                      framed.len) -
                              framed.p) + 1;
        size_t total = framed.len - hdr; /* payload (and mark) */
        for (size_t cut = 0; cut < total; cut = next_cut(cut, total)) {
            bb part = {0};
            bb_raw(&part, framed.p, hdr + cut);
            repl_snapshot_result res;
            int rc;
            keyspace *ks = load(&part, 0, &res, &rc, NULL);
            char want[300];
            if (kind == REPL_PAYLOAD_LEN)
                snprintf(want, sizeof want, "snapshot: truncated at byte %zu "
                         "of %zu: no connection to read from", cut, n);
            else
                snprintf(want, sizeof want, "snapshot: truncated at byte %zu,"
                         " before the EOF mark: no connection to read from",
                         cut);
            ck_assert_int_eq(rc, -1);
            ck_assert_str_eq(res.error, want);
            keyspace_destroy(ks);
            free(part.p);
        }
        free(framed.p);
    }
    free(rdb);
}
END_TEST

/* The same over a connection the master closes, in 7-byte reads. */
START_TEST(truncated_connection_closed)
{
    size_t n;
    unsigned char *rdb = read_file(MISC_RDB, &n);
    const size_t cuts[] = {0, 1, 9, 4096, n / 2, n - 8, n - 1, n, n + 39};
    for (int kind = REPL_PAYLOAD_LEN; kind <= REPL_PAYLOAD_EOF; kind++) {
        bb framed = {0};
        frame(&framed, (repl_payload_kind)kind, rdb, n, "");
        size_t hdr = framed.len - n - (kind == REPL_PAYLOAD_EOF ? 40 : 0);
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            size_t cut = cuts[i];
            if (hdr + cut >= framed.len)
                continue;
            bb part = {0};
            bb_raw(&part, framed.p, hdr + cut);
            repl_snapshot_result res;
            int rc;
            keyspace *ks = load(&part, 7, &res, &rc, NULL);
            char want[300];
            if (kind == REPL_PAYLOAD_LEN)
                snprintf(want, sizeof want, "snapshot: truncated at byte %zu "
                         "of %zu: connection closed by the master", cut, n);
            else
                snprintf(want, sizeof want, "snapshot: truncated at byte %zu,"
                         " before the EOF mark: connection closed by the "
                         "master", cut);
            ck_assert_int_eq(rc, -1);
            ck_assert_str_eq(res.error, want);
            assert_nothing_committed(ks);
            keyspace_destroy(ks);
            free(part.p);
        }
        free(framed.p);
    }
    free(rdb);
}
END_TEST

/* A master that falls silent mid-snapshot: the read times out, and the
 * message says after how long. */
START_TEST(truncated_timeout)
{
    size_t n;
    unsigned char *rdb = read_file(MISC_RDB, &n);
    for (int kind = REPL_PAYLOAD_LEN; kind <= REPL_PAYLOAD_EOF; kind++) {
        bb framed = {0};
        frame(&framed, (repl_payload_kind)kind, rdb, n, "");
        framed.len -= n / 2 + (kind == REPL_PAYLOAD_EOF ? 40 : 0);
        size_t got = n - n / 2;
        repl_snapshot_result res;
        int rc;
        keyspace *ks = load_ex(&framed, 4096, 300, true, &res, &rc, NULL);
        char want[300];
        if (kind == REPL_PAYLOAD_LEN)
            snprintf(want, sizeof want, "snapshot: truncated at byte %zu of "
                     "%zu: timeout: no data from the master for 300 ms", got,
                     n);
        else
            snprintf(want, sizeof want, "snapshot: truncated at byte %zu, "
                     "before the EOF mark: timeout: no data from the master "
                     "for 300 ms", got);
        ck_assert_int_eq(rc, -1);
        ck_assert_str_eq(res.error, want);
        assert_nothing_committed(ks);
        keyspace_destroy(ks);
        free(framed.p);
    }
    free(rdb);
}
END_TEST

/* A checksum that does not match is named, in both framings. */
START_TEST(bad_crc)
{
    size_t n;
    unsigned char *rdb = read_file(MISC_RDB, &n);
    rdb[n - 1] ^= 0x5a;
    for (int kind = REPL_PAYLOAD_LEN; kind <= REPL_PAYLOAD_EOF; kind++) {
        bb framed = {0};
        frame(&framed, (repl_payload_kind)kind, rdb, n, STREAM);
        repl_snapshot_result res;
        int rc;
        keyspace *ks = load(&framed, 4096, &res, &rc, NULL);
        char want[80];
        snprintf(want, sizeof want, "snapshot: offset %zu: checksum mismatch: "
                 "stored ", n - 8);
        ck_assert_int_eq(rc, -1);
        ck_assert_msg(strstr(res.error, want) == res.error &&
                      strstr(res.error, ", computed ") != NULL, "%s",
                      res.error);
        ck_assert_int_eq(res.rdb.crc, RDB_CRC_MISMATCH);
        assert_nothing_committed(ks);
        keyspace_destroy(ks);
        free(framed.p);
    }
    free(rdb);
}
END_TEST

/* Bytes after the RDB's checksum but inside the snapshot: before the mark,
 * or inside the announced length. */
START_TEST(bytes_after_rdb)
{
    bb rdb = {0};
    small_rdb(&rdb, NULL, 5);
    bb padded = {0};
    bb_raw(&padded, rdb.p, rdb.len);
    bb_raw(&padded, "garbage12345", 12);
    char want[300];
    for (int kind = REPL_PAYLOAD_LEN; kind <= REPL_PAYLOAD_EOF; kind++) {
        for (size_t chunk = 0; chunk <= 1; chunk++) {
            bb framed = {0}, rest = {0};
            frame(&framed, (repl_payload_kind)kind, padded.p, padded.len,
                  STREAM);
            repl_snapshot_result res;
            int rc;
            keyspace *ks = load(&framed, chunk, &res, &rc, &rest);
            if (kind == REPL_PAYLOAD_LEN)
                snprintf(want, sizeof want, "snapshot: 12 bytes after the "
                         "RDB's end before the announced length of %zu (the "
                         "RDB ended at byte %zu)", padded.len, rdb.len);
            else
                snprintf(want, sizeof want, "snapshot: 12 bytes after the "
                         "RDB's end before the EOF mark (the RDB ended at "
                         "byte %zu)", rdb.len);
            ck_assert_int_eq(rc, -1);
            ck_assert_str_eq(res.error, want);
            /* A whole RDB, but not what the master framed: not a copy. */
            assert_nothing_committed(ks);
            /* The framing's end was still found: the stream is intact. */
            ck_assert_bytes_eq(rest.p, rest.len, STREAM, strlen(STREAM));
            keyspace_destroy(ks);
            free(framed.p);
            free(rest.p);
        }
    }
    free(padded.p);
    free(rdb.p);
}
END_TEST

/* A length shorter than the RDB (and a mark inside it): the RDB reader
 * runs out where the framing ended, and says so; nothing after the
 * framing's end is read as RDB. */
START_TEST(framing_ends_inside_rdb)
{
    bb rdb = {0};
    small_rdb(&rdb, NULL, 5);
    for (size_t short_by = 1; short_by <= 20; short_by += 19) {
        bb framed = {0}, rest = {0};
        char hdr[40];
        size_t len = rdb.len - short_by;
        snprintf(hdr, sizeof hdr, "$%zu\r\n", len);
        bb_raw(&framed, hdr, strlen(hdr));
        bb_raw(&framed, rdb.p, rdb.len); /* the last bytes count as stream */
        repl_snapshot_result res;
        int rc;
        keyspace *ks = load(&framed, 0, &res, &rc, &rest);
        char tail[120];
        snprintf(tail, sizeof tail, " (the announced length ended the "
                 "snapshot after %zu bytes)", len);
        ck_assert_int_eq(rc, -1);
        ck_assert_msg(strncmp(res.error, "snapshot: offset ", 17) == 0 &&
                      strstr(res.error, "unexpected end of input") != NULL &&
                      strstr(res.error, tail) != NULL, "%s", res.error);
        ck_assert_uint_eq(res.bytes, len);
        ck_assert_bytes_eq(rest.p, rest.len, rdb.p + len, short_by);
        keyspace_destroy(ks);
        free(framed.p);
        free(rest.p);
    }
    /* The mark 10 bytes before the RDB's end. */
    bb framed = {0};
    char hdr[60];
    snprintf(hdr, sizeof hdr, "$EOF:%s\r\n", MARK);
    bb_raw(&framed, hdr, strlen(hdr));
    bb_raw(&framed, rdb.p, rdb.len - 10);
    bb_raw(&framed, MARK, REPL_EOF_MARK_LEN);
    bb_raw(&framed, rdb.p + rdb.len - 10, 10);
    repl_snapshot_result res;
    int rc;
    bb rest = {0};
    keyspace *ks = load(&framed, 1, &res, &rc, &rest);
    char tail[120];
    snprintf(tail, sizeof tail, " (the EOF mark ended the snapshot after %zu "
             "bytes)", rdb.len - 10);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(res.error, "unexpected end of input") != NULL &&
                  strstr(res.error, tail) != NULL, "%s", res.error);
    ck_assert_bytes_eq(rest.p, rest.len, rdb.p + rdb.len - 10, 10);
    keyspace_destroy(ks);
    free(framed.p);
    free(rest.p);
    free(rdb.p);
}
END_TEST

/* ---- AUX fields ---------------------------------------------------------- */

START_TEST(aux_captured)
{
    static const char id[] = "8c1e6f3b0d9a47e2b5c6d7e8f90a1b2c3d4e5f60";
    const char *const aux[] = {"redis-ver", "7.0.15", "repl-stream-db", "#3",
                               "repl-id", id, "repl-offset", "#123456789",
                               "aof-base", "#0", NULL};
    bb rdb = {0};
    small_rdb(&rdb, aux, 3);
    for (int kind = REPL_PAYLOAD_LEN; kind <= REPL_PAYLOAD_EOF; kind++) {
        bb framed = {0};
        frame(&framed, (repl_payload_kind)kind, rdb.p, rdb.len, "");
        repl_snapshot_result res;
        int rc;
        keyspace *ks = load(&framed, 7, &res, &rc, NULL);
        ck_assert_msg(rc == 0, "%s", res.error);
        ck_assert_int_eq(res.stream_db, 3);
        ck_assert_str_eq(res.replid, id);
        ck_assert_int_eq(res.repl_offset, 123456789);
        ck_assert_uint_eq(res.rdb.keys_stored, 3);
        keyspace_destroy(ks);
        free(framed.p);
    }
    free(rdb.p);
}
END_TEST

static void bad_aux(const char *name, const char *val, const char *want)
{
    const char *const aux[] = {name, val, NULL};
    bb rdb = {0}, framed = {0};
    small_rdb(&rdb, aux, 1);
    frame(&framed, REPL_PAYLOAD_EOF, rdb.p, rdb.len, "");
    repl_snapshot_result res;
    int rc;
    keyspace *ks = load(&framed, 0, &res, &rc, NULL);
    ck_assert_int_eq(rc, -1);
    ck_assert_str_eq(res.error, want);
    keyspace_destroy(ks);
    free(framed.p);
    free(rdb.p);
}

START_TEST(aux_bad)
{
    bad_aux("repl-stream-db", "#16", "snapshot: AUX repl-stream-db \"16\" is "
            "not a database of this keyspace (0 to 15)");
    bad_aux("repl-stream-db", "x", "snapshot: AUX repl-stream-db \"x\" is not "
            "a database of this keyspace (0 to 15)");
    bad_aux("repl-id", "abc", "snapshot: AUX repl-id \"abc\" is 3 bytes, "
            "expected 40");
    bad_aux("repl-offset", "-5", "snapshot: AUX repl-offset \"-5\" is not a "
            "non-negative decimal number");
}
END_TEST

/* ---- out of memory ------------------------------------------------------- */

/* Every allocation of a load fails once in turn: each failure is an error
 * that says so (never a crash or a leak), and the load then succeeds. */
START_TEST(out_of_memory)
{
    const char *const aux[] = {"repl-stream-db", "#2", "repl-offset", "#77",
                               NULL};
    bb rdb = {0}, framed = {0};
    small_rdb(&rdb, aux, 40);
    frame(&framed, REPL_PAYLOAD_EOF, rdb.p, rdb.len, STREAM);
    unsigned long nth;
    for (nth = 1; nth < 100000; nth++) {
        repl_input in;
        repl_payload p;
        repl_snapshot_result res;
        keyspace *ks = fresh();
        repl_input_init(&in, NULL, 1000);
        ck_assert_int_eq(repl_input_append(&in, framed.p, framed.len), 0);
        read_header(&in, &p);
        alloc_fail_nth(nth);
        int rc = repl_snapshot_load(ks, &in, &p, &res);
        bool fired = alloc_fail_fired() > 0;
        alloc_fail_off();
        if (!fired) {
            ck_assert_msg(rc == 0, "%s", res.error);
            ck_assert_int_eq(res.stream_db, 2);
            ck_assert_bytes_eq(repl_input_peek(&in), repl_input_avail(&in),
                               STREAM, strlen(STREAM));
        } else {
            ck_assert_int_eq(rc, -1);
            ck_assert_msg(strstr(res.error, "out of memory") != NULL,
                          "allocation %lu: %s", nth, res.error);
        }
        keyspace_destroy(ks);
        repl_input_free(&in);
        if (!fired)
            break;
    }
    ck_assert_uint_gt(nth, 1);
    free(framed.p);
    free(rdb.p);
}
END_TEST

/* ---- a real master ------------------------------------------------------- */

/* Read one line (without CR LF) from the input into line; bare newlines
 * (the master's keepalive while it prepares the snapshot) are skipped. */
static void read_line(repl_input *in, char *line, size_t linesz)
{
    for (;;) {
        size_t n = repl_input_avail(in);
        const unsigned char *d = n > 0 ? repl_input_peek(in) : NULL;
        if (n > 0 && d[0] == '\n') {
            repl_input_consume(in, 1);
            continue;
        }
        const unsigned char *lf = n > 0 ? memchr(d, '\n', n) : NULL;
        if (lf != NULL) {
            size_t len = (size_t)(lf - d);
            ck_assert_msg(len > 0 && d[len - 1] == '\r' && len < linesz,
                          "bad line from the master");
            memcpy(line, d, len - 1);
            line[len - 1] = '\0';
            repl_input_consume(in, len + 1);
            return;
        }
        ck_assert_msg(repl_input_fill(in) > 0, "%s", repl_input_error(in));
    }
}

/* Send one command to the server; fail the test on an error reply. */
#define CALL(fd, ...)                                                      \
    do {                                                                   \
        char reply_[256];                                                  \
        int t_ = redis_commandl((fd), reply_, sizeof reply_, __VA_ARGS__,  \
                                NULL);                                     \
        ck_assert_msg(t_ != -1 && t_ != '-', "%s", reply_);                \
    } while (0)

/* Ask a real redis-server for a full sync, disk-based or diskless, load
 * its snapshot, and compare with what its SAVE writes. */
static void real_master(const char *diskless)
{
    const char *const extra[] = {"--repl-diskless-sync", diskless,
                                 "--repl-diskless-sync-delay", "0",
                                 "--enable-debug-command", "yes", NULL};
    redis_server rs;
    char err[1024];
    ck_assert_msg(redis_server_start(&rs, extra, err, sizeof err) == 0, "%s",
                  err);
    int fd = redis_server_connect(&rs);
    ck_assert_int_ge(fd, 0);
    char n[32];
    snprintf(n, sizeof n, "%ld", test_scale(20000, 500));
    CALL(fd, "DEBUG", "POPULATE", n);
    CALL(fd, "HSET", "h", "f", "v");
    CALL(fd, "RPUSH", "l", "a", "b");
    CALL(fd, "SELECT", "7");
    CALL(fd, "ZADD", "z", "1.5", "m");
    CALL(fd, "SADD", "s", "m");

    repl_conn *c = repl_conn_open("127.0.0.1", rs.port, NULL, 5000, err,
                                  sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    /* One at a time: a master refuses PSYNC while a reply is pending. */
    static const char capa[] =
        "*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n"
        "$6\r\npsync2\r\n";
    static const char psync[] = "*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n";
    ck_assert_int_eq(repl_conn_write(c, capa, sizeof capa - 1, 5000), 0);
    repl_input in;
    repl_input_init(&in, c, 20000);
    char line[256], id[64] = "";
    long long off = -1;
    read_line(&in, line, sizeof line);
    ck_assert_str_eq(line, "+OK");
    ck_assert_int_eq(repl_conn_write(c, psync, sizeof psync - 1, 5000), 0);
    read_line(&in, line, sizeof line);
    ck_assert_msg(sscanf(line, "+FULLRESYNC %63s %lld", id, &off) == 2, "%s",
                  line);
    read_line(&in, line, sizeof line);
    repl_payload p;
    ck_assert_msg(repl_payload_parse(line, strlen(line), &p, err,
                                     sizeof err) == 0, "%s", err);
    ck_assert_int_eq(p.kind, strcmp(diskless, "yes") == 0 ? REPL_PAYLOAD_EOF
                                                         : REPL_PAYLOAD_LEN);
    keyspace *ks = fresh();
    repl_snapshot_result res;
    ck_assert_msg(repl_snapshot_load(ks, &in, &p, &res) == 0, "%s",
                  res.error);
    /* The snapshot of a sync says where the stream starts. */
    ck_assert_str_eq(res.replid, id);
    ck_assert_int_eq(res.repl_offset, off);
    ck_assert_int_eq(res.stream_db, 0);
    ck_assert_int_eq(res.rdb.crc, RDB_CRC_OK);
    if (p.kind == REPL_PAYLOAD_LEN)
        ck_assert_uint_eq(res.bytes, p.len);
    repl_input_free(&in);
    repl_conn_close(c);

    /* After a diskless sync the master reaps its RDB child a little later;
     * until then SAVE answers "Background save already in progress". */
    char reply[256];
    int t = -1;
    for (int i = 0; i < 200; i++) {
        t = redis_commandl(fd, reply, sizeof reply, "SAVE", NULL);
        if (t != '-' || strstr(reply, "in progress") == NULL)
            break;
        usleep(50 * 1000);
    }
    ck_assert_msg(t == '+', "SAVE: %s", reply);
    char path[400];
    snprintf(path, sizeof path, "%s/dump.rdb", rs.dir);
    assert_same_as_file(ks, path);
    keyspace_destroy(ks);
    close(fd);
    redis_server_stop(&rs);
}

START_TEST(real_master_disk)
{
    real_master("no");
}
END_TEST

START_TEST(real_master_diskless)
{
    real_master("yes");
}
END_TEST

Suite *ch10_snapshot_suite(void)
{
    Suite *s = suite_create("ch10_snapshot");
    TCase *tc = test_tcase("framing", 60);
    tcase_add_test(tc, header_good);
    tcase_add_test(tc, header_bad);
    tcase_add_test(tc, eof_scan_every_split);
    tcase_add_test(tc, eof_scan_edges);
    suite_add_tcase(s, tc);
    TCase *tl = test_tcase("load", 120);
    tcase_add_test(tl, load_real_rdb_in_chunks);
    tcase_add_test(tl, load_empty);
    tcase_add_test(tl, truncated_everywhere);
    tcase_add_test(tl, truncated_connection_closed);
    tcase_add_test(tl, truncated_timeout);
    tcase_add_test(tl, bad_crc);
    tcase_add_test(tl, bytes_after_rdb);
    tcase_add_test(tl, framing_ends_inside_rdb);
    tcase_add_test(tl, aux_captured);
    tcase_add_test(tl, aux_bad);
    tcase_add_test(tl, out_of_memory);
    suite_add_tcase(s, tl);
    TCase *tm = test_tcase("master", 120);
    tcase_add_test(tm, real_master_disk);
    tcase_add_test(tm, real_master_diskless);
    suite_add_tcase(s, tm);
    return s;
}
