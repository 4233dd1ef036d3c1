/* ch10_stream.c - chapter 10: the command stream, framed, counted and applied byte by byte.
 * Chapter 10.
 *
 * The stream under test is a real one: tests/data/repl/stream.bin is what
 * redis-server 7.0.15 sent its replica after the snapshot (recorded by
 * tests/data/repl/record-stream.py: SELECTs, a MULTI/EXEC, a script's
 * effects inside MULTI/EXEC, a REPLCONF GETACK, a PING, writes of a dozen
 * families), stream.rdb is the master's SAVE at the stream's end and
 * stream.txt the offsets the master announced and reached.  Applied whole
 * or split at any byte, the stream must give the master's keyspace
 * (keyspace_diff() against the SAVE) and the master's offset.  The
 * expected offsets and frames come from a separate walk over the bytes
 * with chapter 6's parser, not from the stream module.  Small hand-made
 * streams check the rest: the ACK bytes, reset inside MULTI, the refusal
 * policies, garbage, running out of memory at every allocation, framing
 * without applying, and what on_command sees.
 */
#include "repl_stream.h"

#include "alloc.h"
#include "cmd.h"
#include "keyspace.h"
#include "keyspace_rdb.h"
#include "rdb.h"
#include "test_util.h"
#include "value_equal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA "tests/data/repl/"

/* ---- the recorded stream ------------------------------------------------------ */

typedef struct recording {
    char *bytes;
    size_t len;
    uint64_t start, end; /* the master's offsets (stream.txt) */
} recording;

static recording load_recording(void)
{
    recording r = {0};
    FILE *f = fopen(DATA "stream.bin", "rb");
    ck_assert_msg(f != NULL, "cannot open " DATA "stream.bin");
    r.bytes = malloc(1 << 20);
    ck_assert_ptr_nonnull(r.bytes);
    r.len = fread(r.bytes, 1, 1 << 20, f);
    fclose(f);
    f = fopen(DATA "stream.txt", "r");
    ck_assert_msg(f != NULL, "cannot open " DATA "stream.txt");
    unsigned long long s, e;
    ck_assert_int_eq(fscanf(f, "start %llu end %llu", &s, &e), 2);
    fclose(f);
    r.start = s;
    r.end = e;
    ck_assert_uint_eq(r.end - r.start, r.len);
    return r;
}

/* One command as an independent walk with chapter 6's parser frames it. */
typedef struct frame {
    uint64_t start, size; /* relative to the stream's first byte */
    char name[16];
    bool outside;         /* its end is outside MULTI ... EXEC */
} frame;

static size_t walk(const char *buf, size_t len, frame *out, size_t max)
{
    resp_parser p;
    resp_parser_init(&p, NULL);
    size_t pos = 0, n = 0;
    bool multi = false;
    while (pos < len) {
        resp_value v;
        size_t used;
        resp_status st = resp_parse(&p, buf + pos, len - pos, &used, &v);
        pos += used;
        if (st == RESP_NEED_MORE)
            break;
        ck_assert_int_eq(st, RESP_OK);
        ck_assert_uint_lt(n, max);
        frame *f = &out[n++];
        f->start = p.offset - p.last_size;
        f->size = p.last_size;
        snprintf(f->name, sizeof f->name, "%s", v.elems[0].str);
        for (char *c = f->name; *c; c++)
            *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
        if (strcmp(f->name, "MULTI") == 0)
            multi = true;
        else if (strcmp(f->name, "EXEC") == 0)
            multi = false;
        f->outside = !multi;
        resp_value_clear(&v);
    }
    resp_parser_free(&p);
    return n;
}

/* The offset a replica must report after `consumed` bytes: the end of the
 * last whole command outside MULTI. */
static uint64_t expected_offset(const frame *f, size_t n, uint64_t start,
                                size_t consumed)
{
    uint64_t off = start;
    for (size_t i = 0; i < n && f[i].start + f[i].size <= consumed; i++)
        if (f[i].outside)
            off = start + f[i].start + f[i].size;
    return off;
}

/* ---- a keyspace, an applier, a stream ---------------------------------------------- */

typedef struct logged {
    uint64_t offset, size;
    unsigned db;
    char name[16];
} logged;

typedef struct world {
    keyspace *ks;
    cmd_applier *a;
    repl_stream *s;
    logged log[256];
    size_t nlog;
    uint64_t refused_at;
    char refused_name[32];
    char refused_error[512];
    int nrefused;
} world;

static void on_command(void *arg, const resp_value *cmd, uint64_t offset,
                       uint64_t size, unsigned db)
{
    world *w = arg;
    if (w->nlog == sizeof w->log / sizeof w->log[0])
        return;
    logged *l = &w->log[w->nlog++];
    l->offset = offset;
    l->size = size;
    l->db = db;
    snprintf(l->name, sizeof l->name, "%s", cmd->elems[0].str);
}

static void on_refused(void *arg, uint64_t offset, const char *name,
                       const char *error)
{
    world *w = arg;
    w->refused_at = offset;
    snprintf(w->refused_name, sizeof w->refused_name, "%s", name);
    snprintf(w->refused_error, sizeof w->refused_error, "%s", error);
    w->nrefused++;
}

static world *make_world(uint64_t offset, repl_refused_policy policy)
{
    world *w = calloc(1, sizeof *w);
    ck_assert_ptr_nonnull(w);
    w->ks = keyspace_create(store_variant("cow"), 16);
    ck_assert_ptr_nonnull(w->ks);
    w->a = cmd_applier_create(w->ks, NULL);
    ck_assert_ptr_nonnull(w->a);
    repl_stream_options o = repl_stream_options_default();
    o.on_refused = policy;
    o.on_command = on_command;
    o.on_refused_fn = on_refused;
    o.arg = w;
    w->s = repl_stream_create(w->a, offset, &o);
    ck_assert_ptr_nonnull(w->s);
    return w;
}

static void free_world(world *w)
{
    repl_stream_destroy(w->s);
    cmd_applier_destroy(w->a);
    keyspace_destroy(w->ks);
    free(w);
}

/* Feed bytes that must all be used, then flush. */
static void feed_ok(world *w, const void *buf, size_t len)
{
    size_t used = 99;
    repl_stream_status st = repl_stream_feed(w->s, buf, len, &used);
    ck_assert_msg(st == REPL_STREAM_OK, "feed: %d %s", st,
                  repl_stream_error(w->s));
    ck_assert_uint_eq(used, len);
    ck_assert_int_eq(repl_stream_flush(w->s), 0);
}

#define FEED_STR(w, lit) feed_ok((w), (lit), sizeof(lit) - 1)

/* Assert two keyspaces hold the same data. */
static void assert_same(keyspace *a, keyspace *b)
{
    keyspace_reader *ra = keyspace_reader_open(a);
    keyspace_reader *rb = keyspace_reader_open(b);
    ck_assert_ptr_nonnull(ra);
    ck_assert_ptr_nonnull(rb);
    char why[512];
    int d = keyspace_diff(ra, rb, VALUE_EQ_IGNORE_SEEN, 0, why, sizeof why);
    keyspace_reader_close(ra);
    keyspace_reader_close(rb);
    ck_assert_msg(d == 0, "keyspaces differ: %s", why);
}

static keyspace *master_keyspace(void)
{
    keyspace *ks = keyspace_create(store_variant("cow"), 16);
    ck_assert_ptr_nonnull(ks);
    rdb_result res;
    int rc = keyspace_load_rdb_file(ks, DATA "stream.rdb", NULL, &res);
    ck_assert_msg(rc == 0, "load " DATA "stream.rdb: %s", res.error);
    return ks;
}

/* A string key's value, or NULL when absent (freed by the caller). */
static char *get_string(keyspace *ks, unsigned db, const char *key)
{
    keyspace_reader *r = keyspace_reader_open(ks);
    ck_assert_ptr_nonnull(r);
    keyspace_read_begin(r);
    const value *v = keyspace_get(r, db, key, strlen(key));
    char *out = NULL;
    if (v != NULL) {
        ck_assert_int_eq(v->type, VALUE_STRING);
        size_t n = value_str_len(v);
        out = calloc(1, n + 1);
        ck_assert_ptr_nonnull(out);
        ck_assert_uint_eq(value_str_read(v, 0, out, n), n);
    }
    keyspace_read_end(r);
    keyspace_reader_close(r);
    return out;
}

/* The ACK the master must receive for an offset. */
static size_t ack_bytes(char *out, size_t outsz, uint64_t offset)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRIu64, offset);
    return (size_t)snprintf(out, outsz, "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n"
                            "$%d\r\n%s\r\n", n, num);
}

static const char getack[] = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";

/* ---- the recorded stream, whole and split ------------------------------------------- */

START_TEST(test_recorded_whole)
{
    recording r = load_recording();
    frame fr[256];
    size_t nfr = walk(r.bytes, r.len, fr, 256);
    world *w = make_world(r.start, REPL_REFUSED_RESYNC);
    feed_ok(w, r.bytes, r.len);
    ck_assert_uint_eq(repl_stream_offset(w->s), r.end);
    ck_assert_uint_eq(repl_stream_received(w->s), r.end);
    repl_stream_stats st;
    repl_stream_stats_get(w->s, &st);
    ck_assert_uint_eq(st.commands, nfr);
    ck_assert_uint_eq(st.applied, nfr);
    ck_assert_uint_eq(st.refused, 0);
    ck_assert_uint_eq(st.pings, 1);
    ck_assert_uint_eq(st.getacks, 1);
    ck_assert_uint_eq(st.bytes, r.len);
    ck_assert_uint_eq(cmd_applier_failures(w->a), 0);

    /* The ACK names the offset before the GETACK's bytes. */
    const char *g = memmem(r.bytes, r.len, getack, sizeof getack - 1);
    ck_assert_ptr_nonnull(g);
    char want[128];
    size_t wn = ack_bytes(want, sizeof want, r.start + (uint64_t)(g - r.bytes));
    resp_buf *out = repl_stream_output(w->s);
    ck_assert_bytes_eq(out->data, out->len, want, wn);

    keyspace *m = master_keyspace();
    assert_same(w->ks, m);
    keyspace_destroy(m);
    free_world(w);
    free(r.bytes);
}
END_TEST

/* Split at every byte (or at evenly spread ones when TEST_SCALE shrinks the
 * run): two feeds, a flush after each, as two reads of the link. */
START_TEST(test_recorded_split)
{
    recording r = load_recording();
    frame fr[256];
    size_t nfr = walk(r.bytes, r.len, fr, 256);
    keyspace *m = master_keyspace();
    char want[128];
    const char *g = memmem(r.bytes, r.len, getack, sizeof getack - 1);
    size_t wn = ack_bytes(want, sizeof want, r.start + (uint64_t)(g - r.bytes));
    size_t points = (size_t)test_scale((long)r.len + 1, 40);
    for (size_t k = 0; k < points; k++) {
        size_t cut = points > r.len ? k : k * (r.len + 1) / points;
        if (cut > r.len)
            break;
        world *w = make_world(r.start, REPL_REFUSED_RESYNC);
        feed_ok(w, r.bytes, cut);
        ck_assert_msg(repl_stream_offset(w->s) ==
                          expected_offset(fr, nfr, r.start, cut),
                      "cut %zu: offset %" PRIu64 ", expected %" PRIu64, cut,
                      repl_stream_offset(w->s),
                      expected_offset(fr, nfr, r.start, cut));
        ck_assert_uint_eq(repl_stream_received(w->s), r.start + cut);
        feed_ok(w, r.bytes + cut, r.len - cut);
        ck_assert_uint_eq(repl_stream_offset(w->s), r.end);
        resp_buf *out = repl_stream_output(w->s);
        ck_assert_bytes_eq(out->data, out->len, want, wn);
        assert_same(w->ks, m);
        free_world(w);
    }
    keyspace_destroy(m);
    free(r.bytes);
}
END_TEST

/* One byte per read: after every byte the offset is the end of the last
 * whole command outside MULTI, so never inside a transaction; it starts
 * at a non-zero offset so that the arithmetic is seen. */
START_TEST(test_recorded_bytewise)
{
    recording r = load_recording();
    frame fr[256];
    size_t nfr = walk(r.bytes, r.len, fr, 256);
    const uint64_t base = UINT64_C(1000000007);
    world *w = make_world(base, REPL_REFUSED_RESYNC);
    size_t multis = 0;
    for (size_t i = 0; i < r.len; i++) {
        feed_ok(w, r.bytes + i, 1);
        uint64_t off = repl_stream_offset(w->s);
        ck_assert_uint_eq(off, expected_offset(fr, nfr, base, i + 1));
        /* never strictly inside a MULTI ... EXEC */
        for (size_t f = 0; f < nfr; f++)
            if (strcmp(fr[f].name, "MULTI") == 0) {
                size_t e = f;
                while (strcmp(fr[e].name, "EXEC") != 0)
                    e++;
                ck_assert(off <= base + fr[f].start ||
                          off >= base + fr[e].start + fr[e].size);
                if (i == 0)
                    multis++;
            }
    }
    ck_assert_uint_ge(multis, 2);
    ck_assert_uint_eq(repl_stream_offset(w->s), base + r.len);
    keyspace *m = master_keyspace();
    assert_same(w->ks, m);
    keyspace_destroy(m);
    free_world(w);
    free(r.bytes);
}
END_TEST

/* on_command sees every command once, in order, tiling the stream, with
 * the database the master had selected. */
START_TEST(test_on_command)
{
    recording r = load_recording();
    frame fr[256];
    size_t nfr = walk(r.bytes, r.len, fr, 256);
    world *w = make_world(r.start, REPL_REFUSED_RESYNC);
    ck_assert_int_eq(cmd_applier_select(w->a, 5), 0); /* repl-stream-db */
    feed_ok(w, r.bytes, r.len);
    ck_assert_uint_eq(w->nlog, nfr);
    uint64_t at = r.start;
    for (size_t i = 0; i < nfr; i++) {
        ck_assert_uint_eq(w->log[i].offset, at);
        ck_assert_uint_eq(w->log[i].offset, r.start + fr[i].start);
        ck_assert_uint_eq(w->log[i].size, fr[i].size);
        at += w->log[i].size;
    }
    ck_assert_uint_eq(at, r.end);
    /* Before the first SELECT: the database the link selected. */
    ck_assert_str_eq(w->log[0].name, "SELECT");
    ck_assert_uint_eq(w->log[0].db, 5);
    ck_assert_uint_eq(w->log[1].db, 0);
    /* SET other db2 comes after SELECT 2. */
    static const char set_other[] =
        "*3\r\n$3\r\nSET\r\n$5\r\nother\r\n$3\r\ndb2\r\n";
    const char *p = memmem(r.bytes, r.len, set_other, sizeof set_other - 1);
    ck_assert_ptr_nonnull(p);
    bool seen = false;
    for (size_t i = 0; i < w->nlog; i++)
        if (w->log[i].offset == r.start + (uint64_t)(p - r.bytes)) {
            ck_assert_str_eq(w->log[i].name, "SET");
            ck_assert_uint_eq(w->log[i].db, 2);
            ck_assert_uint_eq(w->log[i].size, sizeof set_other - 1);
            seen = true;
        }
    ck_assert(seen);
    free_world(w);
    free(r.bytes);
}
END_TEST

/* ---- GETACK --------------------------------------------------------------------------- */

START_TEST(test_getack_bytes)
{
    /* An offset with many digits, a command before the GETACK. */
    const uint64_t base = UINT64_C(123456789012);
    world *w = make_world(base, REPL_REFUSED_RESYNC);
    static const char set[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
    FEED_STR(w, set);
    ck_assert_uint_eq(repl_stream_output(w->s)->len, 0);
    feed_ok(w, getack, sizeof getack - 1);
    resp_buf *out = repl_stream_output(w->s);
    ck_assert_bytes_str(out->data, out->len,
                        "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$12\r\n"
                        "123456789039\r\n");
    ck_assert_uint_eq(repl_stream_offset(w->s),
                      base + sizeof set - 1 + sizeof getack - 1);
    /* The link writes and empties the buffer; the next GETACK, in lower
     * case, reports the offset after the first one. */
    out->len = 0;
    FEED_STR(w, "*3\r\n$8\r\nreplconf\r\n$6\r\ngetack\r\n$1\r\n*\r\n");
    char want[128];
    size_t wn = ack_bytes(want, sizeof want,
                          base + sizeof set - 1 + sizeof getack - 1);
    ck_assert_bytes_eq(out->data, out->len, want, wn);
    repl_stream_stats st;
    repl_stream_stats_get(w->s, &st);
    ck_assert_uint_eq(st.getacks, 2);
    /* Other REPLCONFs are not answered. */
    out->len = 0;
    FEED_STR(w, "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n");
    ck_assert_uint_eq(out->len, 0);
    /* repl_write_ack() alone. */
    resp_buf b;
    resp_buf_init(&b);
    ck_assert_int_eq(repl_write_ack(&b, 0), 0);
    ck_assert_bytes_str(b.data, b.len,
                        "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n");
    resp_buf_free(&b);
    free_world(w);
}
END_TEST

/* Inside MULTI the offset has not moved since before the MULTI. */
START_TEST(test_getack_in_multi)
{
    world *w = make_world(100, REPL_REFUSED_RESYNC);
    static const char multi[] = "*1\r\n$5\r\nMULTI\r\n";
    FEED_STR(w, multi);
    FEED_STR(w, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    feed_ok(w, getack, sizeof getack - 1);
    char want[128];
    size_t wn = ack_bytes(want, sizeof want, 100);
    resp_buf *out = repl_stream_output(w->s);
    ck_assert_bytes_eq(out->data, out->len, want, wn);
    ck_assert_uint_eq(repl_stream_offset(w->s), 100);
    FEED_STR(w, "*1\r\n$4\r\nEXEC\r\n");
    ck_assert_uint_eq(repl_stream_offset(w->s), repl_stream_received(w->s));
    char *v = get_string(w->ks, 0, "k");
    ck_assert_str_eq(v, "v");
    free(v);
    free_world(w);
}
END_TEST

/* ---- reset ---------------------------------------------------------------------------- */

START_TEST(test_reset_mid_multi)
{
    world *w = make_world(0, REPL_REFUSED_RESYNC);
    static const char before[] =
        "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"
        "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";
    static const char txn[] =
        "*1\r\n$5\r\nMULTI\r\n"
        "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"
        "*2\r\n$6\r\nSELECT\r\n$1\r\n4\r\n"
        "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n"
        "*1\r\n$4\r\nEXEC\r\n";
    FEED_STR(w, before);
    /* The link drops two bytes before the end of EXEC. */
    feed_ok(w, txn, sizeof txn - 3);
    ck_assert(cmd_applier_in_multi(w->a));
    ck_assert_uint_eq(repl_stream_offset(w->s), sizeof before - 1);
    ck_assert_uint_eq(repl_stream_received(w->s),
                      sizeof before - 1 + sizeof txn - 3);
    repl_stream_reset(w->s);
    ck_assert(!cmd_applier_in_multi(w->a));
    ck_assert_uint_eq(cmd_applier_db(w->a), 3);
    ck_assert_uint_eq(repl_stream_offset(w->s), sizeof before - 1);
    ck_assert_uint_eq(repl_stream_received(w->s), sizeof before - 1);
    ck_assert_int_eq(repl_stream_flush(w->s), 0);
    char *a = get_string(w->ks, 3, "a");
    char *b = get_string(w->ks, 3, "b");
    ck_assert_str_eq(a, "1");
    ck_assert_ptr_null(b);
    free(a);
    /* The master resends the transaction whole, without a SELECT: the
     * database stayed. */
    FEED_STR(w, txn);
    ck_assert_uint_eq(repl_stream_offset(w->s),
                      sizeof before - 1 + sizeof txn - 1);
    b = get_string(w->ks, 3, "b");
    char *c = get_string(w->ks, 4, "c");
    ck_assert_str_eq(b, "2");
    ck_assert_str_eq(c, "3");
    free(b);
    free(c);
    free_world(w);
}
END_TEST

/* ---- refusals ------------------------------------------------------------------------- */

static const char set_k[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
static const char lpush_k[] = "*3\r\n$5\r\nLPUSH\r\n$1\r\nk\r\n$1\r\nx\r\n";
static const char set_after[] =
    "*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n1\r\n";

static void refusing_stream(char *buf, size_t *len)
{
    *len = 0;
    memcpy(buf + *len, set_k, sizeof set_k - 1);
    *len += sizeof set_k - 1;
    memcpy(buf + *len, lpush_k, sizeof lpush_k - 1);
    *len += sizeof lpush_k - 1;
    memcpy(buf + *len, set_after, sizeof set_after - 1);
    *len += sizeof set_after - 1;
}

static void check_refusal_drops(repl_refused_policy policy)
{
    const uint64_t base = 5000;
    world *w = make_world(base, policy);
    char buf[256];
    size_t len, used;
    refusing_stream(buf, &len);
    ck_assert_int_eq(repl_stream_feed(w->s, buf, len, &used),
                     REPL_STREAM_REFUSED);
    const uint64_t at = base + sizeof set_k - 1;
    ck_assert_uint_eq(used, sizeof set_k - 1 + sizeof lpush_k - 1);
    ck_assert_uint_eq(repl_stream_offset(w->s), at);
    ck_assert_int_eq(w->nrefused, 1);
    ck_assert_uint_eq(w->refused_at, at);
    ck_assert_str_eq(w->refused_name, "LPUSH");
    ck_assert_ptr_nonnull(strstr(w->refused_error, "WRONGTYPE"));
    char head[64];
    snprintf(head, sizeof head, "offset %" PRIu64 ": ", at);
    ck_assert_msg(strncmp(repl_stream_error(w->s), head, strlen(head)) == 0,
                  "error: %s", repl_stream_error(w->s));
    char full[256];
    snprintf(full, sizeof full, "offset %" PRIu64 ": refused, the copies "
             "have diverged: LPUSH: " CMD_ERR_WRONGTYPE, at);
    ck_assert_str_eq(repl_stream_error(w->s), full);
    /* The error stays until reset: nothing more is consumed. */
    ck_assert_int_eq(repl_stream_feed(w->s, set_after, sizeof set_after - 1,
                                      &used), REPL_STREAM_REFUSED);
    ck_assert_uint_eq(used, 0);
    /* What came before the refused command is kept and can be published. */
    ck_assert_int_eq(repl_stream_flush(w->s), 0);
    char *v = get_string(w->ks, 0, "k");
    char *after = get_string(w->ks, 0, "after");
    ck_assert_str_eq(v, "v");
    ck_assert_ptr_null(after);
    free(v);
    repl_stream_stats st;
    repl_stream_stats_get(w->s, &st);
    ck_assert_uint_eq(st.refused, 1);
    ck_assert_uint_eq(st.applied, 1);
    repl_stream_reset(w->s);
    ck_assert_str_eq(repl_stream_error(w->s), "");
    FEED_STR(w, set_after);
    free_world(w);
}

START_TEST(test_refused_resync)
{
    check_refusal_drops(REPL_REFUSED_RESYNC);
    ck_assert_int_eq(repl_stream_options_default().on_refused,
                     REPL_REFUSED_RESYNC);
    ck_assert(repl_stream_options_default().apply);
}
END_TEST

START_TEST(test_refused_stop)
{
    check_refusal_drops(REPL_REFUSED_STOP);
}
END_TEST

START_TEST(test_refused_skip)
{
    world *w = make_world(0, REPL_REFUSED_SKIP);
    char buf[256];
    size_t len;
    refusing_stream(buf, &len);
    feed_ok(w, buf, len);
    ck_assert_uint_eq(repl_stream_offset(w->s), len);
    repl_stream_stats st;
    repl_stream_stats_get(w->s, &st);
    ck_assert_uint_eq(st.commands, 3);
    ck_assert_uint_eq(st.refused, 1);
    ck_assert_uint_eq(st.applied, 2);
    ck_assert_int_eq(w->nrefused, 1);
    ck_assert_uint_eq(w->refused_at, sizeof set_k - 1);
    ck_assert_str_eq(w->refused_name, "LPUSH");
    ck_assert_ptr_nonnull(strstr(w->refused_error, "WRONGTYPE"));
    ck_assert_str_eq(repl_stream_error(w->s), "");
    char *after = get_string(w->ks, 0, "after");
    ck_assert_str_eq(after, "1");
    free(after);
    /* An unknown command too, named as sent. */
    FEED_STR(w, "*2\r\n$6\r\nNoSuch\r\n$1\r\nx\r\n");
    ck_assert_str_eq(w->refused_name, "NoSuch");
    ck_assert_int_eq(w->nrefused, 2);
    free_world(w);
}
END_TEST

/* ---- garbage -------------------------------------------------------------------------- */

/* A good command, then `bad`: PROTOCOL, naming the offset of `bad`'s
 * offending byte (bad_at bytes into it), nothing applied from it, and
 * nothing more consumed until reset. */
static void check_garbage(const char *bad, size_t badlen, size_t bad_at,
                          const char *what)
{
    const uint64_t base = 7000;
    world *w = make_world(base, REPL_REFUSED_RESYNC);
    char buf[256];
    memcpy(buf, set_k, sizeof set_k - 1);
    memcpy(buf + sizeof set_k - 1, bad, badlen);
    size_t len = sizeof set_k - 1 + badlen, used;
    repl_stream_status st = repl_stream_feed(w->s, buf, len, &used);
    ck_assert_msg(st == REPL_STREAM_PROTOCOL, "%s: status %d", what, st);
    ck_assert_uint_le(used, len);
    ck_assert_uint_eq(repl_stream_offset(w->s), base + sizeof set_k - 1);
    char head[64];
    snprintf(head, sizeof head, "offset %" PRIu64 ": ",
             base + sizeof set_k - 1 + bad_at);
    const char *e = repl_stream_error(w->s);
    ck_assert_msg(strncmp(e, head, strlen(head)) == 0 &&
                      strstr(e, what) != NULL,
                  "error '%s', expected '%s...%s'", e, head, what);
    ck_assert_int_eq(repl_stream_feed(w->s, set_after, sizeof set_after - 1,
                                      &used), REPL_STREAM_PROTOCOL);
    ck_assert_uint_eq(used, 0);
    ck_assert_int_eq(repl_stream_flush(w->s), 0);
    char *v = get_string(w->ks, 0, "k");
    ck_assert_str_eq(v, "v");
    free(v);
    repl_stream_reset(w->s);
    FEED_STR(w, set_after);
    ck_assert_uint_eq(repl_stream_offset(w->s),
                      base + sizeof set_k - 1 + sizeof set_after - 1);
    free_world(w);
}

#define GARBAGE(lit, at, what) check_garbage((lit), sizeof(lit) - 1, (at), (what))

START_TEST(test_garbage)
{
    GARBAGE("*2\r\n$3\r\nDEL\r\n$x\r\n", 14, "expected a digit");
    GARBAGE("*2\r\n$3\r\nDEL\r\n$1\r\nkk\r\n", 18, "expected '\\r'");
    GARBAGE("%3\r\n", 0, "");
    GARBAGE("PING\r\n", 0, "inline command ('PING')");
    GARBAGE("SET k v\n", 0, "inline command ('SET')");
    GARBAGE("+OK\r\n", 0, "got a simple string");
    GARBAGE(":1\r\n", 0, "got a integer");
    GARBAGE("$3\r\nfoo\r\n", 0, "got a bulk string");
    GARBAGE("*0\r\n", 0, "an empty array");
    GARBAGE("*2\r\n$3\r\nDEL\r\n:1\r\n", 0,
            "argument 1 of the command is a integer");
    GARBAGE("*2\r\n$3\r\nDEL\r\n*1\r\n$1\r\nk\r\n", 0,
            "argument 1 of the command is a array");
    GARBAGE("*1\r\n$-1\r\n", 0, "argument 0 of the command is a null");
}
END_TEST

/* Bare newlines keep the link alive; they count in the next command. */
START_TEST(test_keepalive_newlines)
{
    world *w = make_world(10, REPL_REFUSED_RESYNC);
    FEED_STR(w, "\n\r\n");
    ck_assert_uint_eq(repl_stream_offset(w->s), 10);
    ck_assert_uint_eq(repl_stream_received(w->s), 13);
    FEED_STR(w, "*1\r\n$4\r\nPING\r\n");
    ck_assert_uint_eq(repl_stream_offset(w->s), 13 + 14);
    ck_assert_uint_eq(w->nlog, 1);
    ck_assert_uint_eq(w->log[0].offset, 10);
    ck_assert_uint_eq(w->log[0].size, 17);
    repl_stream_stats st;
    repl_stream_stats_get(w->s, &st);
    ck_assert_uint_eq(st.pings, 1);
    free_world(w);
}
END_TEST

/* ---- out of memory --------------------------------------------------------------------- */

/* The recorded stream's first part is published; the rest is fed with the
 * n-th allocation failing, for every n until it goes through.  A failure
 * must say NOMEM, leave the offset and the keyspace at the publication, and
 * after a reset the rest applies cleanly from there. */
START_TEST(test_oom)
{
    recording r = load_recording();
    frame fr[256];
    size_t nfr = walk(r.bytes, r.len, fr, 256);
    /* publish up to the command before the first MULTI */
    size_t cut = 0;
    for (size_t i = 0; i < nfr && strcmp(fr[i].name, "MULTI") != 0; i++)
        cut = fr[i].start + fr[i].size;
    ck_assert_uint_gt(cut, 0);
    keyspace *m = master_keyspace();
    unsigned long failed = 0, step = 1;
    long budget = test_scale(100000, 40);
    for (unsigned long n = 1;; n += step) {
        world *w = make_world(r.start, REPL_REFUSED_RESYNC);
        feed_ok(w, r.bytes, cut);
        const uint64_t pub = repl_stream_offset(w->s);
        ck_assert_uint_eq(pub, r.start + cut);
        char *before = get_string(w->ks, 0, "counter");
        size_t used = 0;
        alloc_fail_nth(n);
        /* two reads: the MULTI's half, then the rest */
        size_t half = cut + (r.len - cut) / 2;
        repl_stream_status st = repl_stream_feed(w->s, r.bytes + cut,
                                                 half - cut, &used);
        int fl = st == REPL_STREAM_OK ? repl_stream_flush(w->s) : 0;
        uint64_t mid = pub; /* the last publication before a failure */
        if (st == REPL_STREAM_OK && fl == 0) {
            /* a flush inside MULTI publishes nothing: it waits for EXEC */
            if (!cmd_applier_in_multi(w->a))
                mid = repl_stream_offset(w->s);
            st = repl_stream_feed(w->s, r.bytes + half, r.len - half, &used);
            fl = st == REPL_STREAM_OK ? repl_stream_flush(w->s) : 0;
        }
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        if (fired == 0) {
            ck_assert_int_eq(st, REPL_STREAM_OK);
            ck_assert_int_eq(fl, 0);
            ck_assert_uint_eq(repl_stream_offset(w->s), r.end);
            assert_same(w->ks, m);
            free(before);
            free_world(w);
            break;
        }
        if (st == REPL_STREAM_OK && fl == 0) {
            /* the failure was absorbed (a keyspace cache, say): the data
             * must still be the master's */
            ck_assert_uint_eq(repl_stream_offset(w->s), r.end);
            assert_same(w->ks, m);
        } else {
            failed++;
            ck_assert_msg(st == REPL_STREAM_NOMEM || fl == -1,
                          "n=%lu: status %d (%s)", n, st,
                          repl_stream_error(w->s));
            ck_assert_msg(strstr(repl_stream_error(w->s), "out of memory"),
                          "n=%lu: %s", n, repl_stream_error(w->s));
            /* back at the last publication: offset and data */
            uint64_t back = repl_stream_offset(w->s);
            ck_assert_msg(back == mid, "n=%lu: offset %" PRIu64 ", last "
                          "published %" PRIu64, n, back, mid);
            char *now = get_string(w->ks, 0, "counter");
            if (back == pub)
                ck_assert_str_eq(now, before);
            free(now);
            ck_assert_int_eq(repl_stream_feed(w->s, set_k, sizeof set_k - 1,
                                              &used), REPL_STREAM_NOMEM);
            ck_assert_uint_eq(used, 0);
            /* resume from there, as after a reconnection */
            repl_stream_reset(w->s);
            ck_assert_uint_eq(repl_stream_received(w->s), back);
            uint64_t from = back - r.start;
            feed_ok(w, r.bytes + from, r.len - from);
            ck_assert_uint_eq(repl_stream_offset(w->s), r.end);
            assert_same(w->ks, m);
        }
        free(before);
        free_world(w);
        if ((long)n > budget)
            step = 7; /* a scaled-down run samples the rest */
    }
    ck_assert_uint_gt(failed, 10);
    keyspace_destroy(m);
    free(r.bytes);
}
END_TEST

/* ---- framing only ---------------------------------------------------------------------- */

static void log_only(void *arg, const resp_value *cmd, uint64_t offset,
                     uint64_t size, unsigned db)
{
    on_command(arg, cmd, offset, size, db);
}

START_TEST(test_frame_only)
{
    recording r = load_recording();
    world *applied = make_world(r.start, REPL_REFUSED_RESYNC);
    ck_assert_int_eq(cmd_applier_select(applied->a, 9), 0);
    feed_ok(applied, r.bytes, r.len);

    world *framed = calloc(1, sizeof *framed);
    ck_assert_ptr_nonnull(framed);
    repl_stream_options o = repl_stream_options_default();
    o.apply = false;
    o.on_command = log_only;
    o.arg = framed;
    o.db = 9;
    repl_stream *s = repl_stream_create(NULL, r.start, &o);
    ck_assert_ptr_nonnull(s);
    /* byte by byte, to exercise the partial commands too */
    for (size_t i = 0; i < r.len; i++) {
        size_t used;
        ck_assert_int_eq(repl_stream_feed(s, r.bytes + i, 1, &used),
                         REPL_STREAM_OK);
        ck_assert_uint_eq(used, 1);
        ck_assert_int_eq(repl_stream_flush(s), 0);
    }
    ck_assert_uint_eq(repl_stream_offset(s), r.end);
    repl_stream_stats a, f;
    repl_stream_stats_get(applied->s, &a);
    repl_stream_stats_get(s, &f);
    ck_assert_uint_eq(f.commands, a.commands);
    ck_assert_uint_eq(f.applied, 0);
    ck_assert_uint_eq(f.pings, 1);
    ck_assert_uint_eq(f.getacks, 1);
    ck_assert_uint_eq(f.bytes, r.len);
    /* the same GETACK answer, the same view of every command */
    resp_buf *ao = repl_stream_output(applied->s), *fo = repl_stream_output(s);
    ck_assert_bytes_eq(fo->data, fo->len, ao->data, ao->len);
    ck_assert_uint_eq(framed->nlog, applied->nlog);
    for (size_t i = 0; i < framed->nlog; i++) {
        ck_assert_uint_eq(framed->log[i].offset, applied->log[i].offset);
        ck_assert_uint_eq(framed->log[i].size, applied->log[i].size);
        ck_assert_uint_eq(framed->log[i].db, applied->log[i].db);
        ck_assert_str_eq(framed->log[i].name, applied->log[i].name);
    }
    /* an applier is needed to apply */
    errno = 0;
    ck_assert_ptr_null(repl_stream_create(NULL, 0, NULL));
    ck_assert_int_eq(errno, EINVAL);
    repl_stream_destroy(s);
    repl_stream_destroy(NULL);
    free(framed);
    free_world(applied);
    free(r.bytes);
}
END_TEST

/* Without an applier, reset inside MULTI goes back to the MULTI's
 * database and offset. */
START_TEST(test_frame_only_reset)
{
    world *framed = calloc(1, sizeof *framed);
    ck_assert_ptr_nonnull(framed);
    repl_stream_options o = repl_stream_options_default();
    o.apply = false;
    o.on_command = log_only;
    o.arg = framed;
    repl_stream *s = repl_stream_create(NULL, 0, &o);
    ck_assert_ptr_nonnull(s);
    static const char txn[] = "*1\r\n$5\r\nMULTI\r\n"
                              "*2\r\n$6\r\nSELECT\r\n$1\r\n6\r\n"
                              "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n";
    size_t used;
    ck_assert_int_eq(repl_stream_feed(s, txn, sizeof txn - 1, &used),
                     REPL_STREAM_OK);
    ck_assert_uint_eq(framed->log[2].db, 6);
    ck_assert_uint_eq(repl_stream_offset(s), 0);
    repl_stream_reset(s);
    ck_assert_uint_eq(repl_stream_received(s), 0);
    ck_assert_int_eq(repl_stream_feed(s, set_k, sizeof set_k - 1, &used),
                     REPL_STREAM_OK);
    ck_assert_uint_eq(framed->log[3].db, 0);
    ck_assert_uint_eq(repl_stream_offset(s), sizeof set_k - 1);
    repl_stream_destroy(s);
    free(framed);
}
END_TEST

Suite *ch10_stream_suite(void)
{
    Suite *s = suite_create("ch10_stream");
    TCase *tc = test_tcase("recorded", 120);
    tcase_add_test(tc, test_recorded_whole);
    tcase_add_test(tc, test_recorded_split);
    tcase_add_test(tc, test_recorded_bytewise);
    tcase_add_test(tc, test_on_command);
    suite_add_tcase(s, tc);
    tc = test_tcase("getack", 30);
    tcase_add_test(tc, test_getack_bytes);
    tcase_add_test(tc, test_getack_in_multi);
    suite_add_tcase(s, tc);
    tc = test_tcase("reset", 30);
    tcase_add_test(tc, test_reset_mid_multi);
    suite_add_tcase(s, tc);
    tc = test_tcase("refused", 30);
    tcase_add_test(tc, test_refused_resync);
    tcase_add_test(tc, test_refused_stop);
    tcase_add_test(tc, test_refused_skip);
    suite_add_tcase(s, tc);
    tc = test_tcase("garbage", 30);
    tcase_add_test(tc, test_garbage);
    tcase_add_test(tc, test_keepalive_newlines);
    suite_add_tcase(s, tc);
    tc = test_tcase("oom", 300);
    tcase_add_test(tc, test_oom);
    suite_add_tcase(s, tc);
    tc = test_tcase("frame_only", 60);
    tcase_add_test(tc, test_frame_only);
    tcase_add_test(tc, test_frame_only_reset);
    suite_add_tcase(s, tc);
    return s;
}
