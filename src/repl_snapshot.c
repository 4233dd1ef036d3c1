/* repl_snapshot.c - a master's snapshot, read as it arrives, into a keyspace.
 * Chapter 10.
 *
 * Three small pieces, each doing one thing.  repl_payload_parse() reads the
 * line that announces the snapshot.  repl_eof_scan() decides, for the bytes
 * received so far, how many are certainly snapshot bytes: everything before
 * the end mark, or everything but the last 39 bytes (the start of a mark
 * that the next read may complete).  repl_snapshot_read() is the source
 * chapter 7's reader pulls from: it hands out snapshot bytes straight from
 * the link's one input buffer and stops at the snapshot's end, so the
 * reader can never swallow the command stream that follows.
 *
 * repl_snapshot_load() puts them together and then checks the framing's
 * end, because a parse that succeeds proves only that an RDB ended: bytes
 * the master sent after the RDB's checksum but inside the announced
 * length, or before the EOF mark, mean replica and master disagree about
 * what was sent, and the replica must not serve the data as a copy.
 *
 * The fresh keyspace of a full sync has no readers until the dataset
 * switches to it, so the load needs no small batches to keep readers
 * moving: it is one batch, committed when the RDB ends well (see
 * REPL_SNAPSHOT_ONE_BATCH for the measurement behind that choice).
 */
#include "repl_snapshot.h"

#include "keyspace_rdb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/*
 * Whether repl_snapshot_load() loads the whole snapshot in one batch (true)
 * or lets keyspace_load_rdb() commit every KEYSPACE_RDB_BATCH keys (false).
 * Small batches exist so that readers see a load advance; a fresh keyspace
 * has none, and every commit is a store_apply() that publishes a new
 * version of the store: the copy-on-write store copies its whole map each
 * time (so 1024-key batches cost O(n^2 / 1024) copies), the persistent
 * trie copies the paths it touches and retires the old nodes.  One batch
 * builds the overlay once and publishes it once.  Measured on a 1.2M-key
 * Redis 7.0.15 dump (31 MB: DEBUG POPULATE strings, hashes, lists, zsets),
 * same run, 2-vCPU shared KVM guest: ptrie one batch 2.5-6.9 s against
 * 9.9-11.9 s for 1024-key batches (3 repeats each), cow 3.8 s against
 * 235 s, hamt and striped within the noise of each other.  The price is
 * memory while loading: the overlay holds every pending key until the
 * commit (peak RSS 321 MB against 211 MB for ptrie).
 */
#ifndef REPL_SNAPSHOT_ONE_BATCH
#define REPL_SNAPSHOT_ONE_BATCH true
#endif

/* Write at most max bytes of p into out, printable ASCII as is and every
 * other byte as \xHH, "..." when cut. */
static void quote(char *out, size_t outsz, const void *p, size_t n,
                  size_t max)
{
    const unsigned char *b = p;
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && i < max && o + 5 < outsz; i++) {
        if (b[i] >= 32 && b[i] < 127 && b[i] != '"' && b[i] != '\\')
            out[o++] = (char)b[i];
        else
            o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", b[i]);
        out[o] = '\0';
    }
    if (n > max && o + 4 <= outsz)
        snprintf(out + o, outsz - o, "...");
}

/* Parse a non-negative decimal number of n bytes, up to max. */
static int parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int repl_payload_parse(const char *line, size_t n, repl_payload *out,
                       char *err, size_t errsz)
{
    char q[300];
    quote(q, sizeof q, line, n, 60);
    if (n == 0 || line[0] != '$') {
        snprintf(err, errsz, "snapshot header \"%s\": expected '$<length>' "
                 "or '$EOF:<40-byte mark>'", q);
        return -1;
    }
    if (n >= 5 && memcmp(line + 1, "EOF:", 4) == 0) {
        if (n - 5 != REPL_EOF_MARK_LEN) {
            snprintf(err, errsz, "snapshot header \"%s\": the EOF mark is %zu "
                     "bytes, expected %d", q, n - 5, REPL_EOF_MARK_LEN);
            return -1;
        }
        out->kind = REPL_PAYLOAD_EOF;
        out->len = 0;
        memcpy(out->mark, line + 5, REPL_EOF_MARK_LEN);
        return 0;
    }
    uint64_t len;
    if (parse_u64(line + 1, n - 1, UINT64_MAX, &len) != 0) {
        snprintf(err, errsz, "snapshot header \"%s\": the length is not a "
                 "non-negative decimal number below 2^64", q);
        return -1;
    }
    out->kind = REPL_PAYLOAD_LEN;
    out->len = len;
    memset(out->mark, 0, sizeof out->mark);
    return 0;
}

/* [ch10-eof-scan] */
bool repl_eof_scan(const unsigned char mark[REPL_EOF_MARK_LEN],
                   const unsigned char *p, size_t n, size_t *payload)
{
    /* learn: ch10 repl_eof_scan "Two ways to send a snapshot" */
    /* Every position where a whole mark fits, first byte found fast. */
    size_t i = 0;
    while (i + REPL_EOF_MARK_LEN <= n) {
        const unsigned char *c =
            memchr(p + i, mark[0], n - i - REPL_EOF_MARK_LEN + 1);
        if (c == NULL)
            break;
        i = (size_t)(c - p);
        if (memcmp(c, mark, REPL_EOF_MARK_LEN) == 0) {
            *payload = i;
            return true;
        }
        i++;
    }
    /* No whole mark: the last 39 bytes may be the start of one. */
    *payload = n < REPL_EOF_MARK_LEN ? 0 : n - (REPL_EOF_MARK_LEN - 1);
    return false;
    /* learn: end */
}
/* [ch10-eof-scan] */

void repl_snapshot_init(repl_snapshot *s, repl_input *in,
                        const repl_payload *p)
{
    memset(s, 0, sizeof *s);
    s->in = in;
    s->payload = *p;
}

/* Record why the input failed: fill returned r (0: closed, -1: error). */
static ssize_t input_failed(repl_snapshot *s, ssize_t r)
{
    int e = errno;
    const char *why = r == 0 ? "connection closed by the master"
                             : repl_input_error(s->in);
    if (why[0] == '\0')
        why = strerror(e);
    uint64_t got = s->delivered + repl_input_avail(s->in);
    if (s->payload.kind == REPL_PAYLOAD_LEN)
        snprintf(s->err, sizeof s->err, "truncated at byte %" PRIu64 " of %"
                 PRIu64 ": %s", got, s->payload.len, why);
    else
        snprintf(s->err, sizeof s->err, "truncated at byte %" PRIu64
                 ", before the EOF mark: %s", got, why);
    s->failed = true;
    errno = r < 0 && e == ETIMEDOUT ? ETIMEDOUT : EIO;
    return -1;
}

/* [ch10-snapshot-read] */
ssize_t repl_snapshot_read(void *ctx, void *buf, size_t cap)
{
    repl_snapshot *s = ctx;
    if (s->failed) {
        errno = EIO;
        return -1;
    }
    while (!s->done) {
        size_t avail = repl_input_avail(s->in), n;
        /* (an input that never received a byte has no buffer yet) */
        const unsigned char *p = avail > 0 ? repl_input_peek(s->in) : NULL;
        if (s->payload.kind == REPL_PAYLOAD_LEN) {
            uint64_t left = s->payload.len - s->delivered;
            if (left == 0) {
                s->done = true;
                break;
            }
            n = avail < left ? avail : (size_t)left;
        } else if (repl_eof_scan(s->payload.mark, p, avail, &n) && n == 0) {
            repl_input_consume(s->in, REPL_EOF_MARK_LEN);
            s->done = true;
            break;
        }
        if (n > 0) {
            if (n > cap)
                n = cap;
            memcpy(buf, p, n);
            repl_input_consume(s->in, n);
            s->delivered += n;
            return (ssize_t)n;
        }
        ssize_t r = repl_input_fill(s->in);
        if (r <= 0)
            return input_failed(s, r);
    }
    return 0;
}
/* [ch10-snapshot-read] */

/* ---- the load ------------------------------------------------------------ */

/** What the AUX callback fills in. */
typedef struct aux_ctx {
    repl_snapshot_result *res;
    unsigned databases; /**< of the keyspace, for repl-stream-db */
    char err[400];      /**< a bad AUX value, "" if none */
} aux_ctx;

static bool aux_is(const rdb_buf *key, const char *name)
{
    return key->len == strlen(name) && memcmp(key->p, name, key->len) == 0;
}

/* The AUX fields a replica needs (rdbSaveInfoAuxFields() in redis/redis
 * src/rdb.c writes them into every snapshot made for a replica). */
static int on_aux(void *arg, const rdb_buf *key, const rdb_buf *val)
{
    aux_ctx *a = arg;
    const char *v = (const char *)val->p;
    char q[250];
    uint64_t n;
    quote(q, sizeof q, val->p, val->len, 60);
    if (aux_is(key, "repl-stream-db")) {
        if (parse_u64(v, val->len, UINT32_MAX, &n) != 0 ||
            n >= a->databases) {
            snprintf(a->err, sizeof a->err, "AUX repl-stream-db \"%s\" is "
                     "not a database of this keyspace (0 to %u)", q,
                     a->databases - 1);
            return -1;
        }
        a->res->stream_db = (int)n;
    } else if (aux_is(key, "repl-id")) {
        if (val->len != sizeof a->res->replid - 1) {
            snprintf(a->err, sizeof a->err, "AUX repl-id \"%s\" is %zu bytes,"
                     " expected %zu", q, val->len, sizeof a->res->replid - 1);
            return -1;
        }
        memcpy(a->res->replid, v, val->len);
        a->res->replid[val->len] = '\0';
    } else if (aux_is(key, "repl-offset")) {
        if (parse_u64(v, val->len, INT64_MAX, &n) != 0) {
            snprintf(a->err, sizeof a->err, "AUX repl-offset \"%s\" is not a "
                     "non-negative decimal number", q);
            return -1;
        }
        a->res->repl_offset = (int64_t)n;
    }
    return 0;
}

/* The bytes between the RDB's end and the snapshot's end (the reader's
 * read-ahead, then the rest of the length or everything up to the mark),
 * consumed; -1 when the input failed first (s->err says why). */
static int count_after_rdb(repl_snapshot *s, const rdb_reader *r,
                           uint64_t *extra)
{
    size_t lo;
    unsigned char tmp[4096];
    (void)rdb_reader_leftover(r, &lo);
    *extra = lo;
    for (;;) {
        ssize_t n = repl_snapshot_read(s, tmp, sizeof tmp);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        *extra += (uint64_t)n;
    }
}

/* Why the parse failed: the input's failure, a bad AUX field, the
 * framing's end inside the RDB, or the RDB reader's own error. */
static void parse_failed(repl_snapshot_result *res, const repl_snapshot *s,
                         const rdb_reader *r, const aux_ctx *a)
{
    const char *end = s->payload.kind == REPL_PAYLOAD_LEN
                          ? "the announced length" : "the EOF mark";
    if (s->failed)
        snprintf(res->error, sizeof res->error, "snapshot: %s", s->err);
    else if (a->err[0] != '\0')
        snprintf(res->error, sizeof res->error, "snapshot: %s", a->err);
    else if (s->done && r->at_eof)
        snprintf(res->error, sizeof res->error, "snapshot: %.500s (%s ended "
                 "the snapshot after %" PRIu64 " bytes)", res->rdb.error, end,
                 s->delivered);
    else
        snprintf(res->error, sizeof res->error, "snapshot: %.600s",
                 res->rdb.error);
}

/* After a whole RDB: the framing must end right there.  0, or -1 with
 * res->error set. */
static int check_end(repl_snapshot_result *res, repl_snapshot *s,
                     const rdb_reader *r)
{
    uint64_t extra, at = res->rdb.end_offset;
    if (count_after_rdb(s, r, &extra) != 0) {
        if (extra == 0)
            snprintf(res->error, sizeof res->error, "snapshot: %s", s->err);
        else
            snprintf(res->error, sizeof res->error, "snapshot: %" PRIu64
                     " bytes after the RDB's end, then %s", extra, s->err);
        return -1;
    }
    if (extra == 0)
        return 0;
    if (s->payload.kind == REPL_PAYLOAD_LEN)
        snprintf(res->error, sizeof res->error, "snapshot: %" PRIu64 " bytes "
                 "after the RDB's end before the announced length of %" PRIu64
                 " (the RDB ended at byte %" PRIu64 ")", extra,
                 s->payload.len, at);
    else
        snprintf(res->error, sizeof res->error, "snapshot: %" PRIu64 " bytes "
                 "after the RDB's end before the EOF mark (the RDB ended at "
                 "byte %" PRIu64 ")", extra, at);
    return -1;
}

int repl_snapshot_load(keyspace *ks, repl_input *in, const repl_payload *p,
                       repl_snapshot_result *res)
{
    repl_snapshot s;
    rdb_reader r;
    aux_ctx a = {.res = res, .databases = keyspace_databases(ks)};
    const bool one_batch = REPL_SNAPSHOT_ONE_BATCH;
    memset(res, 0, sizeof *res);
    res->stream_db = -1;
    res->repl_offset = -1;
    repl_snapshot_init(&s, in, p);
    if (rdb_reader_init(&r, repl_snapshot_read, &s) != 0) {
        snprintf(res->error, sizeof res->error, "snapshot: out of memory");
        return -1;
    }
    int rc = -1;
    if (one_batch && keyspace_batch_begin(ks) != 0)
        snprintf(res->error, sizeof res->error, "snapshot: out of memory");
    else if (keyspace_load_rdb_aux(ks, &r, NULL, on_aux, &a, &res->rdb) != 0)
        parse_failed(res, &s, &r, &a);
    else if (check_end(res, &s, &r) == 0) {
        /* Committed only now: a snapshot whose framing is wrong is not a
         * copy of the master, and none of it may be seen. */
        if (one_batch && keyspace_commit(ks) != 0)
            snprintf(res->error, sizeof res->error, "snapshot: out of memory "
                     "committing its %" PRIu64 " keys", res->rdb.keys_stored);
        else
            rc = 0;
    }
    if (keyspace_in_batch(ks))
        keyspace_abort(ks);
    res->bytes = s.delivered;
    rdb_reader_free(&r);
    return rc;
}
