/* server_xinfo.c - XPENDING and XINFO: a stream's groups, consumers and pending entries.
 * Chapter 11.
 *
 * The stream commands that read what is kept beside the entries: the
 * consumer groups with their last delivered IDs, read counters and lags,
 * the consumers, and the pending entries lists.  As in server_stream.c,
 * each handler follows redis/redis src/t_stream.c (tag 7.0.15),
 * xpendingCommand() and xinfoCommand(), in its order of checks and its
 * field order; groups and consumers come out in name order (bytes, as
 * Redis's radix tree of names orders them), which is the order pstream.h
 * keeps them in.  Idle times are the command's clock (x->now_ms) minus
 * the recorded times, never below 0, as Redis prints them.
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
 */
#include "server_stream.h"

#include "stream_id.h"

#include <stdio.h>
#include <string.h>

/** Entries per modelled listpack node (stream-node-max-entries). */
#define NODE_ENTRIES 100

/* Redis's addReplySubcommandSyntaxError(). */
static int subcommand_syntax(server_ctx *x)
{
    char up[32];
    sstream_upper_name(x, up, sizeof up);
    return server_error(x, "ERR unknown subcommand or wrong number of "
                        "arguments for '%.128s'. Try %s HELP.",
                        x->argv[1].str, up);
}

/* ---- XPENDING ---------------------------------------------------------------------- */

/* XPENDING key group: [count, first, last, [[consumer, "n"], ...]]. */
static int xpending_summary(server_ctx *x, const pstream_group *g)
{
    size_t n = pstream_group_pel_len(g);
    if (reply_array(x->out, 4) < 0 || reply_integer(x->out, (int64_t)n) < 0)
        return SERVER_NOMEM;
    if (n == 0)
        return sstream_rp(reply_null(x->out) || reply_null(x->out) ||
                  reply_null_array(x->out));
    pstream_iter it;
    pstream_pel_range(&it, g, XS_ID_MIN, XS_ID_MAX, false);
    if (sstream_reply_id(x, pstream_pel_next(&it)->id) != SERVER_OK)
        return SERVER_NOMEM;
    pstream_pel_range(&it, g, XS_ID_MIN, XS_ID_MAX, true);
    if (sstream_reply_id(x, pstream_pel_next(&it)->id) != SERVER_OK)
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
            sstream_reply_cstr(x, num) != SERVER_OK)
            return SERVER_NOMEM;
        k++;
    }
    return sstream_rp(reply_defer_end(x->out, &d, k));
}

int server_xpending_cmd(server_ctx *x)
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
        SERVER_TRY(sstream_arg_interval(x, si, true, &start));
        SERVER_TRY(sstream_arg_interval(x, si + 1, false, &end));
        if (si + 3 < x->argc)
            consumer = si + 3;
    }
    const pstream *s;
    SERVER_TRY(sstream_lookup(x, 1, &s));
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
        if (reply_array(x->out, 4) < 0 || sstream_reply_id(x, nk->id) != SERVER_OK ||
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
        return sstream_rp(reply_integer(x->out, 0));
    uint64_t read = g->entries_read;
    if (read == PSTREAM_ENTRIES_READ_UNKNOWN ||
        xs_tombstones_from(s, g->last_id))
        read = xs_estimate_read(s, g->last_id);
    if (read == PSTREAM_ENTRIES_READ_UNKNOWN)
        return sstream_rp(reply_null(x->out));
    return sstream_rp(reply_integer(x->out, (int64_t)(added - read)));
}

static int reply_entries_read(server_ctx *x, const pstream_group *g)
{
    if (g->entries_read == PSTREAM_ENTRIES_READ_UNKNOWN)
        return sstream_rp(reply_null(x->out));
    return sstream_rp(reply_integer(x->out, (int64_t)g->entries_read));
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
    sstream_upper_name(x, up, sizeof up);
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
    SSTREAM_PASS(sstream_lookup(x, 2, s));
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
        if (reply_map(x->out, 3) < 0 || sstream_reply_cstr(x, "name") != SERVER_OK ||
            reply_bulk(x->out, c->name, c->name_len) < 0 ||
            sstream_reply_cstr(x, "pending") != SERVER_OK ||
            reply_integer(x->out, (int64_t)pstream_consumer_pel_len(c)) < 0 ||
            sstream_reply_cstr(x, "idle") != SERVER_OK ||
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
        if (reply_map(x->out, 6) < 0 || sstream_reply_cstr(x, "name") != SERVER_OK ||
            reply_bulk(x->out, g->name, g->name_len) < 0 ||
            sstream_reply_cstr(x, "consumers") != SERVER_OK ||
            reply_integer(x->out,
                          (int64_t)pstream_group_consumers_len(g)) < 0 ||
            sstream_reply_cstr(x, "pending") != SERVER_OK ||
            reply_integer(x->out, (int64_t)pstream_group_pel_len(g)) < 0 ||
            sstream_reply_cstr(x, "last-delivered-id") != SERVER_OK ||
            sstream_reply_id(x, g->last_id) != SERVER_OK ||
            sstream_reply_cstr(x, "entries-read") != SERVER_OK ||
            reply_entries_read(x, g) != SERVER_OK ||
            sstream_reply_cstr(x, "lag") != SERVER_OK || reply_lag(x, s, g) != SERVER_OK)
            return -1;
    }
    return 0;
}

/* One group of XINFO STREAM FULL: a map of 7. */
static int xinfo_full_group(server_ctx *x, const pstream *s,
                            const pstream_group *g, size_t count)
{
    if (reply_map(x->out, 7) < 0 || sstream_reply_cstr(x, "name") != SERVER_OK ||
        reply_bulk(x->out, g->name, g->name_len) < 0 ||
        sstream_reply_cstr(x, "last-delivered-id") != SERVER_OK ||
        sstream_reply_id(x, g->last_id) != SERVER_OK ||
        sstream_reply_cstr(x, "entries-read") != SERVER_OK ||
        reply_entries_read(x, g) != SERVER_OK ||
        sstream_reply_cstr(x, "lag") != SERVER_OK || reply_lag(x, s, g) != SERVER_OK ||
        sstream_reply_cstr(x, "pel-count") != SERVER_OK ||
        reply_integer(x->out, (int64_t)pstream_group_pel_len(g)) < 0 ||
        sstream_reply_cstr(x, "pending") != SERVER_OK)
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
        if (reply_array(x->out, 4) < 0 || sstream_reply_id(x, nk->id) != SERVER_OK ||
            reply_bulk(x->out, owner, ol) < 0 ||
            reply_integer(x->out, nk->delivery_time_ms) < 0 ||
            reply_integer(x->out, (int64_t)nk->delivery_count) < 0)
            return SERVER_NOMEM;
    }
    if (sstream_reply_cstr(x, "consumers") != SERVER_OK ||
        reply_array(x->out, pstream_group_consumers_len(g)) < 0)
        return SERVER_NOMEM;
    const pstream_consumer *c;
    pstream_consumers(&it, g);
    while ((c = pstream_consumers_next(&it)) != NULL) {
        size_t cn = pstream_consumer_pel_len(c);
        if (reply_map(x->out, 4) < 0 || sstream_reply_cstr(x, "name") != SERVER_OK ||
            reply_bulk(x->out, c->name, c->name_len) < 0 ||
            sstream_reply_cstr(x, "seen-time") != SERVER_OK ||
            reply_integer(x->out, c->seen_time_ms) < 0 ||
            sstream_reply_cstr(x, "pel-count") != SERVER_OK ||
            reply_integer(x->out, (int64_t)cn) < 0 ||
            sstream_reply_cstr(x, "pending") != SERVER_OK)
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
                sstream_reply_id(x, nk->id) != SERVER_OK ||
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
        sstream_reply_cstr(x, "length") != SERVER_OK ||
        reply_integer(x->out, (int64_t)pstream_len(s)) < 0 ||
        sstream_reply_cstr(x, "radix-tree-keys") != SERVER_OK ||
        reply_integer(x->out, (int64_t)keys) < 0 ||
        sstream_reply_cstr(x, "radix-tree-nodes") != SERVER_OK ||
        reply_integer(x->out, (int64_t)keys + 1) < 0 ||
        sstream_reply_cstr(x, "last-generated-id") != SERVER_OK ||
        sstream_reply_id(x, pstream_last_id(s)) != SERVER_OK ||
        sstream_reply_cstr(x, "max-deleted-entry-id") != SERVER_OK ||
        sstream_reply_id(x, pstream_max_deleted_id(s)) != SERVER_OK ||
        sstream_reply_cstr(x, "entries-added") != SERVER_OK ||
        reply_integer(x->out, (int64_t)pstream_entries_added(s)) < 0 ||
        sstream_reply_cstr(x, "recorded-first-entry-id") != SERVER_OK ||
        sstream_reply_id(x, pstream_first_id(s)) != SERVER_OK)
        return -1;
    if (!full) {
        if (sstream_reply_cstr(x, "groups") != SERVER_OK ||
            reply_integer(x->out, (int64_t)pstream_groups_len(s)) < 0)
            return -1;
        for (int last = 0; last < 2; last++) {
            pstream_iter it;
            pstream_range(&it, s, XS_ID_MIN, XS_ID_MAX, last == 1);
            const pstream_entry *e = pstream_range_next(&it);
            if (sstream_reply_cstr(x, last ? "last-entry" : "first-entry") !=
                    SERVER_OK ||
                (e != NULL ? sstream_reply_entry(x, e) != SERVER_OK
                           : reply_null(x->out) < 0))
                return -1;
        }
        return 0;
    }
    if (sstream_reply_cstr(x, "entries") != SERVER_OK ||
        sstream_reply_range(x, s, XS_ID_MIN, XS_ID_MAX, false, (size_t)count) !=
            SERVER_OK ||
        sstream_reply_cstr(x, "groups") != SERVER_OK ||
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

const server_command server_xinfo_subcommands[] = {
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
