/* server_stream.c - the stream read commands: XRANGE, XREVRANGE, XLEN, XREAD (BLOCK too), XPENDING, XINFO.
 * Chapter 11.
 *
 * Each handler restates redis/redis src/t_stream.c (tag 7.0.15) in its own
 * words and in Redis's order: arguments first (so a syntax error wins over
 * a missing key), then the key and its type, then the reply.  IDs are
 * parsed by stream_id.h, the rules chapter 9's write commands use, so
 * "5" means 5-0 as a start and 5-MAX as an end, "(" excludes an end, and
 * "-" and "+" are the smallest and largest IDs exactly where Redis allows
 * them (XREAD takes neither: "+" came in 7.4).
 *
 * Replies in both protocols.  Entries are [id, [field, value, ...]] in
 * both; XINFO's records are maps (flat arrays in RESP2), XREAD's outer
 * reply is a map from key to entries in RESP3 and an array of
 * [key, entries] pairs in RESP2, as Redis writes them.
 *
 * Radix tree counts.  XINFO STREAM reports "radix-tree-keys" and
 * "radix-tree-nodes", the size of the rax of listpacks Redis stores a
 * stream in.  A pstream has no such tree (pstream.h), so this file models
 * it the way cmd_stream.c models approximate trimming: one key per 100
 * entries (stream-node-max-entries), rounded up, and one node more than
 * keys (the rax head).  That is Redis's own answer for every stream of at
 * most 100 entries that XDEL has not left holes in (0 and 1 keys, 1 and 2
 * nodes) and an estimate beyond: Redis's node count depends on how the
 * 128-bit keys share prefixes, and XDEL leaves deleted entries in their
 * node until the node empties.
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
#include "pstream.h"
#include "stream_id.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Entries a re-run of a blocked XREAD sends without COUNT (Redis's
 *  XREAD_BLOCKED_DEFAULT_COUNT). */
#define XREAD_BLOCKED_COUNT 1000
/** Entries per modelled listpack node (stream-node-max-entries). */
#define NODE_ENTRIES 100

/* ---- small helpers ---------------------------------------------------------- */

/* In a helper that returns SERVER_OK/REPLIED/NOMEM itself: pass on
 * anything but SERVER_OK. */
#define PASS(expr)                                                           \
    do {                                                                     \
        int pass_rc_ = (expr);                                               \
        if (pass_rc_ != SERVER_OK)                                           \
            return pass_rc_;                                                 \
    } while (0)

/* A reply_* result (0 or -1) as a helper result. */
static int rp(int rc)
{
    return rc == 0 ? SERVER_OK : SERVER_NOMEM;
}

static int reply_id(server_ctx *x, pstream_id id)
{
    char buf[XS_ID_STR_MAX];
    xs_id_str(buf, sizeof buf, id);
    return rp(reply_bulk(x->out, buf, strlen(buf)));
}

static int reply_cstr(server_ctx *x, const char *s)
{
    return rp(reply_bulk(x->out, s, strlen(s)));
}

/* One entry as Redis emits it: [id, [field, value, ...]]. */
static int reply_entry(server_ctx *x, const pstream_entry *e)
{
    size_t n = pstream_entry_nfields(e);
    if (reply_array(x->out, 2) < 0 ||
        reply_id(x, pstream_entry_id(e)) != SERVER_OK ||
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

/* The entries lo..hi (rev: from hi down), at most count (0: all), as an
 * array; *n receives how many. */
static int reply_range(server_ctx *x, const pstream *s, pstream_id lo,
                       pstream_id hi, bool rev, size_t count, size_t *n)
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
            if (reply_entry(x, e) != SERVER_OK)
                return SERVER_NOMEM;
            k++;
        }
    }
    if (n != NULL)
        *n = k;
    return rp(reply_defer_end(x->out, &d, k));
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

/* The stream at argument i: SERVER_OK with *out NULL when missing. */
static int lookup_stream(server_ctx *x, size_t i, const pstream **out)
{
    const value *v;
    int rc = server_lookup(x, i, VALUE_STREAM, &v);
    *out = rc == SERVER_OK && v != NULL ? value_as_stream(v) : NULL;
    return rc;
}

/* One end of a range (stream_id.h's interval form), with the error texts
 * of xrangeGenericCommand() and xpendingCommand(). */
static int arg_interval(server_ctx *x, size_t i, bool start, pstream_id *id)
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

/* The command's name upper-cased, for HELP texts and their errors. */
static void upper_name(const server_ctx *x, char *buf, size_t n)
{
    size_t i = 0;
    for (; i < x->argv[0].len && i + 1 < n; i++)
        buf[i] = (char)toupper((unsigned char)x->argv[0].str[i]);
    buf[i] = '\0';
}

/* Redis's addReplySubcommandSyntaxError(). */
static int subcommand_syntax(server_ctx *x)
{
    char up[32];
    upper_name(x, up, sizeof up);
    return server_error(x, "ERR unknown subcommand or wrong number of "
                        "arguments for '%.128s'. Try %s HELP.",
                        x->argv[1].str, up);
}

/* ---- XRANGE, XREVRANGE, XLEN --------------------------------------------------- */

static int xrange_generic(server_ctx *x, bool rev)
{
    pstream_id start, end;
    long long count = -1;
    SERVER_TRY(arg_interval(x, rev ? 3 : 2, true, &start));
    SERVER_TRY(arg_interval(x, rev ? 2 : 3, false, &end));
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
    SERVER_TRY(lookup_stream(x, 1, &s));
    if (s == NULL)
        return reply_array(x->out, 0);
    if (count == 0)
        return reply_null_array(x->out);
    SERVER_TRY(reply_range(x, s, start, end, rev,
                           count < 0 ? 0 : (size_t)count, NULL));
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
    SERVER_TRY(lookup_stream(x, 1, &s));
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
            PASS(server_arg_ll(x, i, &a->count));
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
        return lookup_stream(x, i, out);
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
        PASS(xread_stream(x, a->streams + k, &s));
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
            rc = reply_range(x, s, start, XS_ID_MAX, false, count, NULL);
    }
    if (rc == SERVER_OK && served > 0)
        rc = rp(reply_defer_end(x->out, &d, served));
    else if (rc == SERVER_OK && a.timeout >= 0)
        rc = xread_block(x, &a, ids) == 0 ? SERVER_OK : SERVER_NOMEM;
    else if (rc == SERVER_OK)
        rc = rp(reply_null_array(x->out));
    free(ids);
    return rc == SERVER_NOMEM ? -1 : 0;
}

/* ---- XPENDING ---------------------------------------------------------------------- */

/* XPENDING key group: [count, first, last, [[consumer, "n"], ...]]. */
static int xpending_summary(server_ctx *x, const pstream_group *g)
{
    size_t n = pstream_group_pel_len(g);
    if (reply_array(x->out, 4) < 0 || reply_integer(x->out, (int64_t)n) < 0)
        return SERVER_NOMEM;
    if (n == 0)
        return rp(reply_null(x->out) || reply_null(x->out) ||
                  reply_null_array(x->out));
    pstream_iter it;
    pstream_pel_range(&it, g, XS_ID_MIN, XS_ID_MAX, false);
    if (reply_id(x, pstream_pel_next(&it)->id) != SERVER_OK)
        return SERVER_NOMEM;
    pstream_pel_range(&it, g, XS_ID_MIN, XS_ID_MAX, true);
    if (reply_id(x, pstream_pel_next(&it)->id) != SERVER_OK)
        return SERVER_NOMEM;
    reply_defer d;
    size_t k = 0;
    if (reply_defer_begin(x->out, &d, REPLY_DEFER_ARRAY) < 0)
        return SERVER_NOMEM;
    pstream_consumers(&it, g);
    const pstream_consumer *c;
    while ((c = pstream_consumers_next(&it)) != NULL) {
        size_t pn = pstream_consumer_pel_len(c);
        if (pn == 0)
            continue;
        char num[24];
        snprintf(num, sizeof num, "%zu", pn);
        if (reply_array(x->out, 2) < 0 ||
            reply_bulk(x->out, c->name, c->name_len) < 0 ||
            reply_cstr(x, num) != SERVER_OK)
            return SERVER_NOMEM;
        k++;
    }
    return rp(reply_defer_end(x->out, &d, k));
}

static int xpending_cmd(server_ctx *x)
{
    bool summary = x->argc == 3;
    long long count = 0, minidle = 0;
    pstream_id start = XS_ID_MIN, end = XS_ID_MAX;
    size_t consumer = 0;
    if (x->argc != 3 && (x->argc < 6 || x->argc > 9))
        SERVER_TRY(server_syntax_error(x));
    if (x->argc >= 6) {
        size_t si = 3;
        if (server_arg_is(x, 3, "IDLE")) {
            SERVER_TRY(server_arg_ll(x, 4, &minidle));
            if (x->argc < 8)
                SERVER_TRY(server_syntax_error(x));
            si += 2;
        }
        SERVER_TRY(server_arg_ll(x, si + 2, &count));
        if (count < 0)
            count = 0;
        SERVER_TRY(arg_interval(x, si, true, &start));
        SERVER_TRY(arg_interval(x, si + 1, false, &end));
        if (si + 3 < x->argc)
            consumer = si + 3;
    }
    const pstream *s;
    SERVER_TRY(lookup_stream(x, 1, &s));
    const pstream_group *g =
        s != NULL ? pstream_group_get(s, x->argv[2].str, x->argv[2].len)
                  : NULL;
    if (g == NULL)
        SERVER_TRY(server_error(x, "NOGROUP No such key '%s' or consumer "
                                "group '%s'", x->argv[1].str,
                                x->argv[2].str));
    if (summary) {
        SERVER_TRY(xpending_summary(x, g));
        return 0;
    }
    pstream_iter it;
    if (consumer != 0) {
        const pstream_consumer *c = pstream_consumer_get(
            g, x->argv[consumer].str, x->argv[consumer].len);
        if (c == NULL)
            return reply_array(x->out, 0);
        pstream_consumer_pel_range(&it, c, start, end, false);
    } else {
        pstream_pel_range(&it, g, start, end, false);
    }
    reply_defer d;
    size_t k = 0;
    if (reply_defer_begin(x->out, &d, REPLY_DEFER_ARRAY) < 0)
        return -1;
    const pstream_nack *nk;
    while (count > 0 && pstream_id_cmp(start, end) <= 0 &&
           (nk = pstream_pel_next(&it)) != NULL) {
        int64_t idle = x->now_ms - nk->delivery_time_ms;
        if (minidle && idle < minidle)
            continue;
        const unsigned char *owner = nk->owner->bytes;
        size_t ol = nk->owner->len;
        if (reply_array(x->out, 4) < 0 || reply_id(x, nk->id) != SERVER_OK ||
            reply_bulk(x->out, owner, ol) < 0 ||
            reply_integer(x->out, idle < 0 ? 0 : idle) < 0 ||
            reply_integer(x->out, (int64_t)nk->delivery_count) < 0)
            return -1;
        k++;
        count--;
    }
    return reply_defer_end(x->out, &d, k);
}

/* ---- XINFO ------------------------------------------------------------------------- */

/* A group's lag (streamReplyWithCGLag()): an integer, or null when it
 * cannot be known. */
static int reply_lag(server_ctx *x, const pstream *s, const pstream_group *g)
{
    uint64_t added = pstream_entries_added(s);
    if (added == 0)
        return rp(reply_integer(x->out, 0));
    uint64_t read = g->entries_read;
    if (read == PSTREAM_ENTRIES_READ_UNKNOWN ||
        xs_tombstones_from(s, g->last_id))
        read = xs_estimate_read(s, g->last_id);
    if (read == PSTREAM_ENTRIES_READ_UNKNOWN)
        return rp(reply_null(x->out));
    return rp(reply_integer(x->out, (int64_t)(added - read)));
}

static int reply_entries_read(server_ctx *x, const pstream_group *g)
{
    if (g->entries_read == PSTREAM_ENTRIES_READ_UNKNOWN)
        return rp(reply_null(x->out));
    return rp(reply_integer(x->out, (int64_t)g->entries_read));
}

/* The modelled radix tree (see the file comment). */
static uint64_t rax_keys(const pstream *s)
{
    uint64_t n = pstream_len(s);
    return (n + NODE_ENTRIES - 1) / NODE_ENTRIES;
}

static int xinfo_help_cmd(server_ctx *x)
{
    static const char *const lines[] = {
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.",
    };
    size_t n = sizeof lines / sizeof lines[0];
    char up[32], head[96];
    upper_name(x, up, sizeof up);
    snprintf(head, sizeof head,
             "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", up);
    if (reply_array(x->out, n + 1) < 0 || reply_simple(x->out, head) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (reply_simple(x->out, lines[i]) < 0)
            return -1;
    return 0;
}

/* The stream at argument 2 for XINFO: "ERR no such key" when missing. */
static int xinfo_lookup(server_ctx *x, const pstream **s)
{
    PASS(lookup_stream(x, 2, s));
    if (*s == NULL)
        return server_error(x, "ERR no such key");
    return SERVER_OK;
}

static int xinfo_consumers_cmd(server_ctx *x)
{
    const pstream *s;
    SERVER_TRY(xinfo_lookup(x, &s));
    const pstream_group *g = pstream_group_get(s, x->argv[3].str,
                                               x->argv[3].len);
    if (g == NULL)
        SERVER_TRY(server_error(x, "NOGROUP No such consumer group '%s' for "
                                "key name '%s'", x->argv[3].str,
                                x->argv[2].str));
    if (reply_array(x->out, pstream_group_consumers_len(g)) < 0)
        return -1;
    pstream_iter it;
    const pstream_consumer *c;
    pstream_consumers(&it, g);
    while ((c = pstream_consumers_next(&it)) != NULL) {
        int64_t idle = x->now_ms - c->seen_time_ms;
        if (reply_map(x->out, 3) < 0 || reply_cstr(x, "name") != SERVER_OK ||
            reply_bulk(x->out, c->name, c->name_len) < 0 ||
            reply_cstr(x, "pending") != SERVER_OK ||
            reply_integer(x->out, (int64_t)pstream_consumer_pel_len(c)) < 0 ||
            reply_cstr(x, "idle") != SERVER_OK ||
            reply_integer(x->out, idle < 0 ? 0 : idle) < 0)
            return -1;
    }
    return 0;
}

static int xinfo_groups_cmd(server_ctx *x)
{
    const pstream *s;
    SERVER_TRY(xinfo_lookup(x, &s));
    if (reply_array(x->out, pstream_groups_len(s)) < 0)
        return -1;
    pstream_iter it;
    const pstream_group *g;
    pstream_groups(&it, s);
    while ((g = pstream_groups_next(&it)) != NULL) {
        if (reply_map(x->out, 6) < 0 || reply_cstr(x, "name") != SERVER_OK ||
            reply_bulk(x->out, g->name, g->name_len) < 0 ||
            reply_cstr(x, "consumers") != SERVER_OK ||
            reply_integer(x->out,
                          (int64_t)pstream_group_consumers_len(g)) < 0 ||
            reply_cstr(x, "pending") != SERVER_OK ||
            reply_integer(x->out, (int64_t)pstream_group_pel_len(g)) < 0 ||
            reply_cstr(x, "last-delivered-id") != SERVER_OK ||
            reply_id(x, g->last_id) != SERVER_OK ||
            reply_cstr(x, "entries-read") != SERVER_OK ||
            reply_entries_read(x, g) != SERVER_OK ||
            reply_cstr(x, "lag") != SERVER_OK || reply_lag(x, s, g) != SERVER_OK)
            return -1;
    }
    return 0;
}

/* One group of XINFO STREAM FULL: a map of 7. */
static int xinfo_full_group(server_ctx *x, const pstream *s,
                            const pstream_group *g, size_t count)
{
    if (reply_map(x->out, 7) < 0 || reply_cstr(x, "name") != SERVER_OK ||
        reply_bulk(x->out, g->name, g->name_len) < 0 ||
        reply_cstr(x, "last-delivered-id") != SERVER_OK ||
        reply_id(x, g->last_id) != SERVER_OK ||
        reply_cstr(x, "entries-read") != SERVER_OK ||
        reply_entries_read(x, g) != SERVER_OK ||
        reply_cstr(x, "lag") != SERVER_OK || reply_lag(x, s, g) != SERVER_OK ||
        reply_cstr(x, "pel-count") != SERVER_OK ||
        reply_integer(x->out, (int64_t)pstream_group_pel_len(g)) < 0 ||
        reply_cstr(x, "pending") != SERVER_OK)
        return SERVER_NOMEM;
    size_t pn = pstream_group_pel_len(g);
    if (count && pn > count)
        pn = count;
    if (reply_array(x->out, pn) < 0)
        return SERVER_NOMEM;
    pstream_iter it;
    pstream_pel_range(&it, g, XS_ID_MIN, XS_ID_MAX, false);
    for (size_t k = 0; k < pn; k++) {
        const pstream_nack *nk = pstream_pel_next(&it);
        const unsigned char *owner = nk->owner->bytes;
        size_t ol = nk->owner->len;
        if (reply_array(x->out, 4) < 0 || reply_id(x, nk->id) != SERVER_OK ||
            reply_bulk(x->out, owner, ol) < 0 ||
            reply_integer(x->out, nk->delivery_time_ms) < 0 ||
            reply_integer(x->out, (int64_t)nk->delivery_count) < 0)
            return SERVER_NOMEM;
    }
    if (reply_cstr(x, "consumers") != SERVER_OK ||
        reply_array(x->out, pstream_group_consumers_len(g)) < 0)
        return SERVER_NOMEM;
    const pstream_consumer *c;
    pstream_consumers(&it, g);
    while ((c = pstream_consumers_next(&it)) != NULL) {
        size_t cn = pstream_consumer_pel_len(c);
        if (reply_map(x->out, 4) < 0 || reply_cstr(x, "name") != SERVER_OK ||
            reply_bulk(x->out, c->name, c->name_len) < 0 ||
            reply_cstr(x, "seen-time") != SERVER_OK ||
            reply_integer(x->out, c->seen_time_ms) < 0 ||
            reply_cstr(x, "pel-count") != SERVER_OK ||
            reply_integer(x->out, (int64_t)cn) < 0 ||
            reply_cstr(x, "pending") != SERVER_OK)
            return SERVER_NOMEM;
        if (count && cn > count)
            cn = count;
        if (reply_array(x->out, cn) < 0)
            return SERVER_NOMEM;
        pstream_iter ci;
        pstream_consumer_pel_range(&ci, c, XS_ID_MIN, XS_ID_MAX, false);
        for (size_t k = 0; k < cn; k++) {
            const pstream_nack *nk = pstream_pel_next(&ci);
            if (reply_array(x->out, 3) < 0 ||
                reply_id(x, nk->id) != SERVER_OK ||
                reply_integer(x->out, nk->delivery_time_ms) < 0 ||
                reply_integer(x->out, (int64_t)nk->delivery_count) < 0)
                return SERVER_NOMEM;
        }
    }
    return SERVER_OK;
}

static int xinfo_stream_cmd(server_ctx *x)
{
    const pstream *s;
    SERVER_TRY(xinfo_lookup(x, &s));
    bool full = x->argc > 3;
    long long count = 10;
    if (full) {
        if ((x->argc != 4 && x->argc != 6) || !server_arg_is(x, 3, "FULL") ||
            (x->argc == 6 && !server_arg_is(x, 4, "COUNT")))
            SERVER_TRY(subcommand_syntax(x));
        if (x->argc == 6) {
            SERVER_TRY(server_arg_ll(x, 5, &count));
            if (count < 0)
                count = 10;
        }
    }
    uint64_t keys = rax_keys(s);
    if (reply_map(x->out, full ? 9 : 10) < 0 ||
        reply_cstr(x, "length") != SERVER_OK ||
        reply_integer(x->out, (int64_t)pstream_len(s)) < 0 ||
        reply_cstr(x, "radix-tree-keys") != SERVER_OK ||
        reply_integer(x->out, (int64_t)keys) < 0 ||
        reply_cstr(x, "radix-tree-nodes") != SERVER_OK ||
        reply_integer(x->out, (int64_t)keys + 1) < 0 ||
        reply_cstr(x, "last-generated-id") != SERVER_OK ||
        reply_id(x, pstream_last_id(s)) != SERVER_OK ||
        reply_cstr(x, "max-deleted-entry-id") != SERVER_OK ||
        reply_id(x, pstream_max_deleted_id(s)) != SERVER_OK ||
        reply_cstr(x, "entries-added") != SERVER_OK ||
        reply_integer(x->out, (int64_t)pstream_entries_added(s)) < 0 ||
        reply_cstr(x, "recorded-first-entry-id") != SERVER_OK ||
        reply_id(x, pstream_first_id(s)) != SERVER_OK)
        return -1;
    if (!full) {
        if (reply_cstr(x, "groups") != SERVER_OK ||
            reply_integer(x->out, (int64_t)pstream_groups_len(s)) < 0)
            return -1;
        for (int last = 0; last < 2; last++) {
            pstream_iter it;
            pstream_range(&it, s, XS_ID_MIN, XS_ID_MAX, last == 1);
            const pstream_entry *e = pstream_range_next(&it);
            if (reply_cstr(x, last ? "last-entry" : "first-entry") !=
                    SERVER_OK ||
                (e != NULL ? reply_entry(x, e) != SERVER_OK
                           : reply_null(x->out) < 0))
                return -1;
        }
        return 0;
    }
    if (reply_cstr(x, "entries") != SERVER_OK ||
        reply_range(x, s, XS_ID_MIN, XS_ID_MAX, false, (size_t)count, NULL) !=
            SERVER_OK ||
        reply_cstr(x, "groups") != SERVER_OK ||
        reply_array(x->out, pstream_groups_len(s)) < 0)
        return -1;
    pstream_iter it;
    const pstream_group *g;
    pstream_groups(&it, s);
    while ((g = pstream_groups_next(&it)) != NULL)
        if (xinfo_full_group(x, s, g, (size_t)count) != SERVER_OK)
            return -1;
    return 0;
}

static const server_command xinfo_subcommands[] = {
    { .name = "consumers", .arity = 4, .flags = SERVER_CMD_READ,
      .fn = xinfo_consumers_cmd, .first_key = 2, .last_key = 2,
      .key_step = 1, .group = "stream", .since = "5.0.0",
      .summary = "List the consumers in a consumer group." },
    { .name = "groups", .arity = 3, .flags = SERVER_CMD_READ,
      .fn = xinfo_groups_cmd, .first_key = 2, .last_key = 2, .key_step = 1,
      .group = "stream", .since = "5.0.0",
      .summary = "List the consumer groups of a stream." },
    { .name = "help", .arity = 2, .flags = SERVER_CMD_LOADING,
      .fn = xinfo_help_cmd, .group = "stream", .since = "5.0.0",
      .summary = "Show helpful text about the different subcommands." },
    { .name = "stream", .arity = -3, .flags = SERVER_CMD_READ,
      .fn = xinfo_stream_cmd, .first_key = 2, .last_key = 2, .key_step = 1,
      .group = "stream", .since = "5.0.0",
      .summary = "Get information about a stream." },
    { .name = NULL },
};

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
      .fn = xpending_cmd, .first_key = 1, .last_key = 1, .key_step = 1,
      .group = "stream", .since = "5.0.0",
      .summary = "Return information and entries from a stream consumer "
                 "group pending entries list, that are messages fetched but "
                 "never acknowledged." },
    { .name = "xinfo", .arity = -2, .flags = 0, .fn = NULL,
      .group = "stream", .since = "5.0.0",
      .summary = "A container for stream introspection commands",
      .subcommands = xinfo_subcommands },
    { .name = NULL },
};
