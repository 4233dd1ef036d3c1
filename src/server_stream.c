/* server_stream.c - the stream read commands: XRANGE, XREVRANGE, XLEN, XREAD (BLOCK too), and the family's table.
 * Chapter 11.
 *
 * Each handler restates redis/redis src/t_stream.c (tag 7.0.15) in its own
 * words and in Redis's order: arguments first (so a syntax error wins over
 * a missing key), then the key and its type, then the reply.  IDs are
 * parsed by stream_id.h, the rules chapter 9's write commands use, so
 * "5" means 5-0 as a start and 5-MAX as an end, "(" excludes an end, and
 * "-" and "+" are the smallest and largest IDs exactly where Redis allows
 * them (XREAD takes neither: "+" came in 7.4).  XPENDING and XINFO, the
 * commands about groups and consumers, are in server_xinfo.c; the table
 * at the end lists the whole family.
 *
 * Replies in both protocols.  Entries are [id, [field, value, ...]] in
 * both; XINFO's records are maps (flat arrays in RESP2), XREAD's outer
 * reply is a map from key to entries in RESP3 and an array of
 * [key, entries] pairs in RESP2, as Redis writes them.
 *
 * XREAD BLOCK.  When no stream has anything after its ID and BLOCK was
 * given, the handler parks the client with server_block(), passing the
 * arguments with every `$` replaced by that stream's last ID at this
 * moment (xread_block_args()), so a re-run after new data compares
 * against the ID the client blocked at, not against the new last ID.  On
 * a re-run Redis serves with COUNT 1000 unless a COUNT was given
 * (XREAD_BLOCKED_DEFAULT_COUNT), and so does this one.  Redis answers a
 * client blocked on several keys with the first key that got data; a
 * re-run here answers with every key that has data by then, which is the
 * same reply whenever one key changed.  A key that holds another type by
 * the time of a re-run is skipped, not an error, as Redis leaves such a
 * client blocked.
 */
#include "server_stream.h"

#include "alloc.h"
#include "stream_id.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Entries a re-run of a blocked XREAD sends without COUNT (Redis's
 *  XREAD_BLOCKED_DEFAULT_COUNT). */
#define XREAD_BLOCKED_COUNT 1000

/* ---- small helpers ---------------------------------------------------------- */

int sstream_rp(int rc)
{
    return rc == 0 ? SERVER_OK : SERVER_NOMEM;
}

int sstream_reply_id(server_ctx *x, pstream_id id)
{
    char buf[XS_ID_STR_MAX];
    xs_id_str(buf, sizeof buf, id);
    return sstream_rp(reply_bulk(x->out, buf, strlen(buf)));
}

int sstream_reply_cstr(server_ctx *x, const char *s)
{
    return sstream_rp(reply_bulk(x->out, s, strlen(s)));
}

int sstream_reply_entry(server_ctx *x, const pstream_entry *e)
{
    size_t n = pstream_entry_nfields(e);
    if (reply_array(x->out, 2) < 0 ||
        sstream_reply_id(x, pstream_entry_id(e)) != SERVER_OK ||
        reply_array(x->out, 2 * n) < 0)
        return SERVER_NOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t fl, vl;
        const unsigned char *f = pstream_entry_field(e, i, &fl);
        const unsigned char *v = pstream_entry_value(e, i, &vl);
        if (reply_bulk(x->out, f, fl) < 0 || reply_bulk(x->out, v, vl) < 0)
            return SERVER_NOMEM;
    }
    return SERVER_OK;
}

int sstream_reply_range(server_ctx *x, const pstream *s, pstream_id lo,
                        pstream_id hi, bool rev, size_t count)
{
    reply_defer d;
    size_t k = 0;
    if (reply_defer_begin(x->out, &d, REPLY_DEFER_ARRAY) < 0)
        return SERVER_NOMEM;
    if (pstream_id_cmp(lo, hi) <= 0) {
        pstream_iter it;
        const pstream_entry *e;
        pstream_range(&it, s, lo, hi, rev);
        while ((count == 0 || k < count) &&
               (e = pstream_range_next(&it)) != NULL) {
            if (sstream_reply_entry(x, e) != SERVER_OK)
                return SERVER_NOMEM;
            k++;
        }
    }
    return sstream_rp(reply_defer_end(x->out, &d, k));
}

/* The last entry's ID (Redis's streamLastValidID()); false when empty. */
static bool last_entry_id(const pstream *s, pstream_id *out)
{
    pstream_iter it;
    pstream_range(&it, s, XS_ID_MIN, XS_ID_MAX, true);
    const pstream_entry *e = pstream_range_next(&it);
    if (e == NULL)
        return false;
    *out = pstream_entry_id(e);
    return true;
}

int sstream_lookup(server_ctx *x, size_t i, const pstream **out)
{
    const value *v;
    int rc = server_lookup(x, i, VALUE_STREAM, &v);
    *out = rc == SERVER_OK && v != NULL ? value_as_stream(v) : NULL;
    return rc;
}

int sstream_arg_interval(server_ctx *x, size_t i, bool start, pstream_id *id)
{
    bool ex;
    if (!xs_parse_interval(x->argv[i].str, x->argv[i].len,
                           start ? 0 : UINT64_MAX, &ex, id))
        return server_error(x, XS_ERR_BADID);
    if (ex && start && xs_id_incr(id) < 0)
        return server_error(x, "ERR invalid start ID for the interval");
    if (ex && !start && xs_id_decr(id) < 0)
        return server_error(x, "ERR invalid end ID for the interval");
    return SERVER_OK;
}

void sstream_upper_name(const server_ctx *x, char *buf, size_t n)
{
    size_t i = 0;
    for (; i < x->argv[0].len && i + 1 < n; i++)
        buf[i] = (char)toupper((unsigned char)x->argv[0].str[i]);
    buf[i] = '\0';
}

/* ---- XRANGE, XREVRANGE, XLEN --------------------------------------------------- */

static int xrange_generic(server_ctx *x, bool rev)
{
    pstream_id start, end;
    long long count = -1;
    SERVER_TRY(sstream_arg_interval(x, rev ? 3 : 2, true, &start));
    SERVER_TRY(sstream_arg_interval(x, rev ? 2 : 3, false, &end));
    for (size_t j = 4; j < x->argc; j++) {
        if (server_arg_is(x, j, "COUNT") && j + 1 < x->argc) {
            SERVER_TRY(server_arg_ll(x, j + 1, &count));
            if (count < 0)
                count = 0;
            j++;
        } else {
            SERVER_TRY(server_syntax_error(x));
        }
    }
    const pstream *s;
    SERVER_TRY(sstream_lookup(x, 1, &s));
    if (s == NULL)
        return reply_array(x->out, 0);
    if (count == 0)
        return reply_null_array(x->out);
    SERVER_TRY(sstream_reply_range(x, s, start, end, rev,
                           count < 0 ? 0 : (size_t)count));
    return 0;
}

static int xrange_cmd(server_ctx *x)
{
    return xrange_generic(x, false);
}

static int xrevrange_cmd(server_ctx *x)
{
    return xrange_generic(x, true);
}

static int xlen_cmd(server_ctx *x)
{
    const pstream *s;
    SERVER_TRY(sstream_lookup(x, 1, &s));
    return reply_integer(x->out, s != NULL ? (int64_t)pstream_len(s) : 0);
}

/* ---- XREAD ----------------------------------------------------------------------- */

/** What XREAD's arguments say. */
typedef struct xread_args {
    long long timeout;  /**< BLOCK's milliseconds; -1: no BLOCK */
    long long count;    /**< COUNT (0: all) */
    size_t streams;     /**< argument index of the first key */
    size_t n;           /**< number of keys */
} xread_args;

static int xread_parse(server_ctx *x, xread_args *a)
{
    memset(a, 0, sizeof *a);
    a->timeout = -1;
    for (size_t i = 1; i < x->argc; i++) {
        bool more = i + 1 < x->argc;
        if (server_arg_is(x, i, "BLOCK") && more) {
            int64_t t;
            i++;
            if (x->argv[i].len == 0 ||
                resp_parse_int(x->argv[i].str, x->argv[i].len, &t) != 0)
                return server_error(x, "ERR timeout is not an integer or out "
                                       "of range");
            if (t < 0)
                return server_error(x, "ERR timeout is negative");
            a->timeout = t;
        } else if (server_arg_is(x, i, "COUNT") && more) {
            i++;
            SSTREAM_PASS(server_arg_ll(x, i, &a->count));
            if (a->count < 0)
                a->count = 0;
        } else if (server_arg_is(x, i, "STREAMS") && more) {
            a->streams = i + 1;
            if ((x->argc - a->streams) % 2 != 0)
                return server_error(x, "ERR Unbalanced XREAD list of streams: "
                                       "for each stream key an ID or '$' must "
                                       "be specified.");
            a->n = (x->argc - a->streams) / 2;
            break;
        } else if (server_arg_is(x, i, "GROUP") && i + 2 < x->argc) {
            return server_error(x, "ERR The GROUP option is only supported by "
                                   "XREADGROUP. You called XREAD instead.");
        } else if (server_arg_is(x, i, "NOACK")) {
            return server_error(x, "ERR The NOACK option is only supported by "
                                   "XREADGROUP. You called XREAD instead.");
        } else {
            return server_syntax_error(x);
        }
    }
    if (a->streams == 0)
        return server_syntax_error(x);
    return SERVER_OK;
}

/* XREAD's stream at argument i.  On a re-run a key that now holds another
 * type is no error but nothing to read: Redis 7.0 serves a blocked XREAD
 * only from keys that hold streams (handleClientsBlockedOnKeys()), and
 * leaves the client blocked otherwise. */
static int xread_stream(server_ctx *x, size_t i, const pstream **out)
{
    if (!x->rerun)
        return sstream_lookup(x, i, out);
    const value *v = keyspace_get_live(x->ks, x->db, x->argv[i].str,
                                       x->argv[i].len, x->now_ms);
    *out = v != NULL && v->type == VALUE_STREAM ? value_as_stream(v) : NULL;
    return SERVER_OK;
}

/* Each key's ID: `$` is the stream's last ID now (0-0 when missing). */
static int xread_ids(server_ctx *x, const xread_args *a, pstream_id *ids)
{
    for (size_t k = 0; k < a->n; k++) {
        size_t ii = a->streams + a->n + k;
        const pstream *s;
        SSTREAM_PASS(xread_stream(x, a->streams + k, &s));
        const resp_value *id = &x->argv[ii];
        if (id->len == 1 && id->str[0] == '$') {
            ids[k] = s != NULL ? pstream_last_id(s) : XS_ID_MIN;
        } else if (id->len == 1 && id->str[0] == '>') {
            return server_error(x, "ERR The > ID can be specified only when "
                                   "calling XREADGROUP using the GROUP "
                                   "<group> <consumer> option.");
        } else if (!xs_parse_id(id->str, id->len, 0, true, NULL, &ids[k])) {
            return server_error(x, XS_ERR_BADID);
        }
    }
    return SERVER_OK;
}

int server_xread_block_args(const server_ctx *x, size_t streams, size_t n,
                            const pstream_id *ids, resp_value **argv,
                            char **text)
{
    resp_value *v = xcalloc(x->argc, sizeof *v);
    char *t = xmalloc(n * XS_ID_STR_MAX + 1);
    if (v == NULL || t == NULL) {
        free(v);
        free(t);
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < x->argc; i++) {
        v[i] = x->argv[i];
        v[i].elems = NULL;
        if (i < streams + n)
            continue;
        size_t k = i - streams - n;
        if (x->argv[i].len == 1 && x->argv[i].str[0] == '$') {
            char *s = t + k * XS_ID_STR_MAX;
            xs_id_str(s, XS_ID_STR_MAX, ids[k]);
            v[i].str = s;
            v[i].len = strlen(s);
        }
    }
    *argv = v;
    *text = t;
    return 0;
}

static int xread_block(server_ctx *x, const xread_args *a,
                       const pstream_id *ids)
{
    int64_t deadline = 0;
    if (a->timeout > 0)
        deadline = a->timeout > INT64_MAX - x->now_ms ? INT64_MAX
                                                      : x->now_ms + a->timeout;
    if (x->rerun) /* `$` was resolved when it first blocked */
        return server_block(x, 0, 0, NULL);
    resp_value *argv;
    char *text;
    if (server_xread_block_args(x, a->streams, a->n, ids, &argv, &text) < 0)
        return -1;
    int rc = server_block(x, deadline, x->argc, argv);
    free(argv);
    free(text);
    return rc;
}

static int xread_cmd(server_ctx *x)
{
    xread_args a;
    SERVER_TRY(xread_parse(x, &a));
    pstream_id *ids = xmalloc((a.n ? a.n : 1) * sizeof *ids);
    if (ids == NULL)
        return -1;
    int rc = xread_ids(x, &a, ids);
    if (rc != SERVER_OK) {
        free(ids);
        return rc == SERVER_REPLIED ? 0 : -1;
    }
    size_t count = (size_t)a.count;
    if (count == 0 && x->rerun)
        count = XREAD_BLOCKED_COUNT;
    reply_defer d;
    size_t served = 0;
    bool resp3 = x->out->proto == 3;
    rc = SERVER_OK;
    for (size_t k = 0; k < a.n && rc == SERVER_OK; k++) {
        const pstream *s;
        pstream_id top;
        rc = xread_stream(x, a.streams + k, &s);
        if (rc != SERVER_OK || s == NULL || !last_entry_id(s, &top) ||
            pstream_id_cmp(top, ids[k]) <= 0)
            continue;
        if (served++ == 0 &&
            reply_defer_begin(x->out, &d, resp3 ? REPLY_DEFER_MAP
                                                : REPLY_DEFER_ARRAY) < 0) {
            rc = SERVER_NOMEM;
            break;
        }
        pstream_id start = ids[k];
        xs_id_incr(&start);
        const resp_value *key = &x->argv[a.streams + k];
        if ((!resp3 && reply_array(x->out, 2) < 0) ||
            reply_bulk(x->out, key->str, key->len) < 0)
            rc = SERVER_NOMEM;
        else
            rc = sstream_reply_range(x, s, start, XS_ID_MAX, false, count);
    }
    if (rc == SERVER_OK && served > 0)
        rc = sstream_rp(reply_defer_end(x->out, &d, served));
    else if (rc == SERVER_OK && a.timeout >= 0)
        rc = xread_block(x, &a, ids) == 0 ? SERVER_OK : SERVER_NOMEM;
    else if (rc == SERVER_OK)
        rc = sstream_rp(reply_null_array(x->out));
    free(ids);
    return rc == SERVER_NOMEM ? -1 : 0;
}

const server_command server_cmds_stream[] = {
    { .name = "xrange", .arity = -4, .flags = SERVER_CMD_READ,
      .fn = xrange_cmd, .first_key = 1, .last_key = 1, .key_step = 1,
      .group = "stream", .since = "5.0.0",
      .summary = "Return a range of elements in a stream, with IDs matching "
                 "the specified IDs interval" },
    { .name = "xrevrange", .arity = -4, .flags = SERVER_CMD_READ,
      .fn = xrevrange_cmd, .first_key = 1, .last_key = 1, .key_step = 1,
      .group = "stream", .since = "5.0.0",
      .summary = "Return a range of elements in a stream, with IDs matching "
                 "the specified IDs interval, in reverse order (from greater "
                 "to smaller IDs) compared to XRANGE" },
    { .name = "xlen", .arity = 2, .flags = SERVER_CMD_READ | SERVER_CMD_FAST,
      .fn = xlen_cmd, .first_key = 1, .last_key = 1, .key_step = 1,
      .group = "stream", .since = "5.0.0",
      .summary = "Return the number of entries in a stream" },
    { .name = "xread", .arity = -4,
      .flags = SERVER_CMD_READ | SERVER_CMD_BLOCKING, .fn = xread_cmd,
      .group = "stream", .since = "5.0.0",
      .summary = "Return never seen elements in multiple streams, with IDs "
                 "greater than the ones reported by the caller for each "
                 "stream. Can block." },
    { .name = "xpending", .arity = -3, .flags = SERVER_CMD_READ,
      .fn = server_xpending_cmd, .first_key = 1, .last_key = 1, .key_step = 1,
      .group = "stream", .since = "5.0.0",
      .summary = "Return information and entries from a stream consumer "
                 "group pending entries list, that are messages fetched but "
                 "never acknowledged." },
    { .name = "xinfo", .arity = -2, .flags = 0, .fn = NULL,
      .group = "stream", .since = "5.0.0",
      .summary = "A container for stream introspection commands",
      .subcommands = server_xinfo_subcommands },
    { .name = NULL },
};
