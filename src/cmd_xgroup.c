/* cmd_xgroup.c - consumer groups: XGROUP, XACK, XCLAIM, XAUTOCLAIM, XREADGROUP.
 * Chapter 9.
 *
 * What a consumer group changes is its last delivered ID, its
 * entries-read counter, its pending entries list (PEL: ID, owner,
 * delivery time, delivery count) and its consumers.  A master propagates
 * all of it in a handful of forms (redis/redis src/t_stream.c, 7.0.15):
 * XREADGROUP and XAUTOCLAIM become one `XCLAIM key group consumer 0 id
 * TIME ms RETRYCOUNT n FORCE JUSTID LASTID id` per pending entry they
 * created or changed (streamPropagateXCLAIM()), plus `XGROUP SETID ...
 * ENTRIESREAD n` when NOACK moved the group without a PEL entry to carry
 * the last ID, plus `XGROUP CREATECONSUMER` for a consumer NOACK created;
 * a pending entry whose stream entry was deleted is dropped by an XCLAIM
 * of it.  So XCLAIM with every option is the heart of this file, and the
 * client forms (XREADGROUP, XAUTOCLAIM, XCLAIM with IDLE or a minimum idle
 * time) apply the same rules with c->now_ms as Redis's clock.
 *
 * Order.  Every handler parses and checks everything in Redis's order
 * first, then edits; a handler that walks a tree (XAUTOCLAIM's PEL,
 * XREADGROUP's entries) first records what it will change, reading only,
 * and then makes the changes, so no iterator runs over a tree being
 * edited in place.  Consumers get seen time c->now_ms when looked up or
 * created, as Redis's streamLookupConsumer() and streamCreateConsumer() do
 * (Redis 7.0 has no active time: it stays -1).
 *
 * Divergences Redis itself has: a history read (XREADGROUP with an ID
 * other than `>`) updates delivery times and counts and may create the
 * consumer without propagating either; applied here as the client form
 * says, it cannot be matched by a replica of the propagated form.
 */
#include "cmd_stream_private.h"

#include "alloc.h"
#include "cmd_num.h"
#include "value.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const pstream_id xg_zero = { 0, 0 };
static const pstream_id xg_max = { UINT64_MAX, UINT64_MAX };

static bool kw(const cmd_ctx *c, size_t i, const char *k)
{
    return strcasecmp(c->argv[i].str, k) == 0;
}

static int nomem(void)
{
    errno = ENOMEM;
    return -1;
}

static const char *arg(const cmd_ctx *c, size_t i)
{
    return c->argv[i].str;
}

/* The group at key argument ki and group argument gi of a transient or
 * version. */
static const pstream_group *group_of(const cmd_ctx *c, const pstream *s,
                                     size_t gi)
{
    return pstream_group_get(s, c->argv[gi].str, c->argv[gi].len);
}

/* Look up (seen time now) or create the consumer at argument ni. */
static int consumer_ensure(cmd_ctx *c, pstream *s, size_t gi, size_t ni)
{
    pstream *out;
    const char *g = c->argv[gi].str, *n = c->argv[ni].str;
    size_t gl = c->argv[gi].len, nl = c->argv[ni].len;
    if (pstream_consumer_get(group_of(c, s, gi), n, nl) != NULL)
        return pstream_consumer_touch(s, g, gl, n, nl, c->now_ms, -1, &out);
    return pstream_consumer_create(s, g, gl, n, nl, c->now_ms, -1, &out) < 0
               ? -1 : 0;
}

/* ---- XGROUP ---------------------------------------------------------------- */

/* Redis's addReplySubcommandSyntaxError(). */
static int xgroup_syntax(cmd_ctx *c)
{
    return xs_error(c, "ERR unknown subcommand or wrong number of arguments "
                       "for '%.128s'. Try XGROUP HELP.", arg(c, 1));
}

/* The subcommands and their arities (Redis's xgroup|<name> table). */
static const struct {
    const char *name;
    int arity;
} xgroup_subs[] = {
    { "create", -5 }, { "setid", -5 }, { "destroy", 4 },
    { "createconsumer", 5 }, { "delconsumer", 5 }, { "help", 2 },
};

static int xgroup_cmd(cmd_ctx *c)
{
    /* What Redis's dispatcher checks before xgroupCommand() runs (the
     * applier's dispatcher checks it too, from the "xgroup|..." entries;
     * the handler does not rely on that). */
    size_t sub = sizeof xgroup_subs / sizeof xgroup_subs[0];
    for (size_t k = 0; k < sizeof xgroup_subs / sizeof xgroup_subs[0]; k++)
        if (kw(c, 1, xgroup_subs[k].name))
            sub = k;
    if (sub == sizeof xgroup_subs / sizeof xgroup_subs[0])
        return xs_error(c, "ERR unknown subcommand '%.128s'. Try XGROUP HELP.",
                        arg(c, 1));
    int ar = xgroup_subs[sub].arity;
    if ((ar > 0 && c->argc != (size_t)ar) ||
        (ar < 0 && c->argc < (size_t)-ar))
        return cmd_error(c, "ERR wrong number of arguments for 'xgroup|%s' "
                            "command", xgroup_subs[sub].name);
    if (sub == 5)
        return 0; /* HELP: a reply, no change */

    bool create = sub == 0, setid = sub == 1, mkstream = false;
    long long entries_read = -1;
    for (size_t i = 5; i < c->argc;) {
        if (create && kw(c, i, "MKSTREAM")) {
            mkstream = true;
            i++;
        } else if ((create || setid) && kw(c, i, "ENTRIESREAD") &&
                   i + 1 < c->argc) {
            if (cmd_arg_int(c, i + 1, &entries_read) < 0)
                return -1;
            if (entries_read < 0 && entries_read != -1)
                return cmd_error_arg(c, (int)(i + 1),
                                     "ERR value for ENTRIESREAD must be "
                                     "positive or -1");
            i += 2;
        } else {
            return xgroup_syntax(c);
        }
    }
    const pstream *cur;
    if (xs_lookup(c, 2, &cur) < 0)
        return -1;
    const pstream_group *g = cur != NULL ? group_of(c, cur, 3) : NULL;
    if (!mkstream) {
        if (cur == NULL)
            return cmd_error(c, "ERR The XGROUP subcommand requires the key "
                                "to exist. Note that for CREATE you may want "
                                "to use the MKSTREAM option to create an "
                                "empty stream automatically.");
        if (g == NULL && sub != 0 && sub != 2)
            return xs_error(c, "NOGROUP No such consumer group '%s' for key "
                               "name '%s'", arg(c, 3), arg(c, 2));
    }
    uint64_t er = entries_read == -1 ? PSTREAM_ENTRIES_READ_UNKNOWN
                                     : (uint64_t)entries_read;
    const char *gname = c->argv[3].str;
    size_t glen = c->argv[3].len;
    pstream *s, *out;
    pstream_id id;
    if (create && c->argc <= 8) {
        if (strcmp(arg(c, 4), "$") == 0)
            id = cur != NULL ? pstream_last_id(cur) : xg_zero;
        else if (xs_arg_id(c, 4, 0, true, NULL, &id) < 0)
            return -1;
        if (g != NULL)
            return cmd_error(c, "BUSYGROUP Consumer Group name already "
                                "exists");
        if (cur == NULL) {
            value *v = value_new_collection(VALUE_STREAM, VALUE_NO_EXPIRY);
            s = v != NULL ? value_edit_stream(v) : NULL;
            if (s == NULL ||
                pstream_group_create(s, gname, glen, id, er, &out) < 0) {
                value_free(v);
                return nomem();
            }
            return keyspace_put(c->ks, c->db, c->argv[2].str, c->argv[2].len,
                                v);
        }
        s = xs_edit(c, 2);
        if (s == NULL || pstream_group_create(s, gname, glen, id, er, &out) < 0)
            return nomem();
        return 0;
    }
    if (setid && (c->argc == 5 || c->argc == 7)) {
        if (strcmp(arg(c, 4), "$") == 0)
            id = pstream_last_id(cur);
        else if (xs_arg_id(c, 4, 0, false, NULL, &id) < 0)
            return -1;
        s = xs_edit(c, 2);
        if (s == NULL ||
            pstream_group_set_id(s, gname, glen, id, er, &out) < 0)
            return nomem();
        return 0;
    }
    if (sub == 2) { /* DESTROY */
        if (g == NULL)
            return 0;
        s = xs_edit(c, 2);
        if (s == NULL || pstream_group_destroy(s, gname, glen, &out) < 0)
            return nomem();
        return 0;
    }
    if (sub == 3) { /* CREATECONSUMER */
        if (pstream_consumer_get(g, c->argv[4].str, c->argv[4].len) != NULL)
            return 0;
        s = xs_edit(c, 2);
        if (s == NULL || consumer_ensure(c, s, 3, 4) < 0)
            return nomem();
        return 0;
    }
    if (sub == 4) { /* DELCONSUMER */
        if (pstream_consumer_get(g, c->argv[4].str, c->argv[4].len) == NULL)
            return 0;
        s = xs_edit(c, 2);
        if (s == NULL || pstream_consumer_delete(s, gname, glen, c->argv[4].str,
                                                 c->argv[4].len, &out) < 0)
            return nomem();
        return 0;
    }
    return xgroup_syntax(c);
}

/* ---- XACK ------------------------------------------------------------------ */

static int xack_cmd(cmd_ctx *c)
{
    const pstream *cur;
    if (xs_lookup(c, 1, &cur) < 0)
        return -1;
    if (cur == NULL || group_of(c, cur, 2) == NULL)
        return 0; /* 0, before the IDs are parsed */
    size_t n = c->argc - 3;
    pstream_id *ids = xmalloc(n * sizeof *ids);
    if (ids == NULL)
        return nomem();
    for (size_t j = 0; j < n; j++) {
        if (xs_arg_id(c, 3 + j, 0, true, NULL, &ids[j]) < 0) {
            free(ids);
            return -1;
        }
    }
    int rc = 0;
    pstream *s = NULL, *out;
    for (size_t j = 0; j < n && rc == 0; j++) {
        const pstream *now = s != NULL ? s : cur;
        if (pstream_pel_get(group_of(c, now, 2), ids[j]) == NULL)
            continue;
        if (s == NULL && (s = xs_edit(c, 1)) == NULL)
            rc = -1;
        if (rc == 0 && pstream_pel_ack(s, c->argv[2].str, c->argv[2].len,
                                       ids[j], &out) < 0)
            rc = -1;
    }
    free(ids);
    return rc < 0 ? nomem() : 0;
}

/* ---- XCLAIM ---------------------------------------------------------------- */

/* Argument i as a long long, or the given reply text. */
static int int_or(cmd_ctx *c, size_t i, long long *v, const char *msg)
{
    if (cmd_arg_int(c, i, v) == 0)
        return 0;
    return cmd_error_arg(c, (int)i, "%s", msg);
}

static int xclaim_cmd(cmd_ctx *c)
{
    const pstream *cur;
    if (xs_lookup(c, 1, &cur) < 0)
        return -1;
    if (cur == NULL || group_of(c, cur, 2) == NULL)
        return xs_error(c, "NOGROUP No such key '%s' or consumer group '%s'",
                        arg(c, 1), arg(c, 2));
    long long minidle, retry = -1, when = -1;
    bool force = false, justid = false;
    if (int_or(c, 4, &minidle, "ERR Invalid min-idle-time argument for "
                               "XCLAIM") < 0)
        return -1;
    if (minidle < 0)
        minidle = 0;
    size_t j = 5;
    pstream_id tmp;
    while (j < c->argc &&
           xs_parse_id(c->argv[j].str, c->argv[j].len, 0, true, NULL, &tmp))
        j++;
    size_t nids = j - 5;
    int64_t now = c->now_ms;
    pstream_id lastid = xg_zero;
    for (; j < c->argc; j++) {
        size_t more = c->argc - 1 - j;
        if (kw(c, j, "FORCE")) {
            force = true;
        } else if (kw(c, j, "JUSTID")) {
            justid = true;
        } else if (kw(c, j, "IDLE") && more) {
            j++;
            long long idle;
            if (int_or(c, j, &idle, "ERR Invalid IDLE option argument for "
                                    "XCLAIM") < 0)
                return -1;
            /* now - idle; an overflow lands outside [0, now], as Redis's
             * wrapped arithmetic does, and is clamped to now below. */
            __int128 t = (__int128)now - idle;
            when = t < 0 || t > now ? -2 : (long long)t;
        } else if (kw(c, j, "TIME") && more) {
            j++;
            if (int_or(c, j, &when, "ERR Invalid TIME option argument for "
                                    "XCLAIM") < 0)
                return -1;
        } else if (kw(c, j, "RETRYCOUNT") && more) {
            j++;
            if (int_or(c, j, &retry, "ERR Invalid RETRYCOUNT option argument "
                                     "for XCLAIM") < 0)
                return -1;
        } else if (kw(c, j, "LASTID") && more) {
            j++;
            if (xs_arg_id(c, j, 0, true, NULL, &lastid) < 0)
                return -1;
        } else {
            return xs_error(c, "ERR Unrecognized XCLAIM option '%s'",
                            arg(c, j));
        }
    }
    /* Everything is checked: from here on the command succeeds. */
    pstream *s = xs_edit(c, 1), *out;
    if (s == NULL)
        return nomem();
    const char *gname = c->argv[2].str;
    size_t glen = c->argv[2].len;
    const pstream_group *g = group_of(c, s, 2);
    if (pstream_id_cmp(lastid, g->last_id) > 0 &&
        pstream_group_set_id(s, gname, glen, lastid, g->entries_read, &out) < 0)
        return nomem();
    if (when != -1) {
        if (when < 0 || when > now)
            when = now;
    } else {
        when = now;
    }
    bool have_consumer = false;
    for (size_t k = 0; k < nids; k++) {
        pstream_id id;
        xs_parse_id(c->argv[5 + k].str, c->argv[5 + k].len, 0, true, NULL, &id);
        g = group_of(c, s, 2);
        const pstream_nack *nack = pstream_pel_get(g, id);
        if (pstream_get(s, id) == NULL) {
            /* A pending entry deleted from the stream: dropped. */
            if (nack != NULL && pstream_pel_ack(s, gname, glen, id, &out) < 0)
                return nomem();
            continue;
        }
        bool fresh = false;
        uint64_t count = 0;
        int64_t last_time = 0;
        if (nack != NULL) {
            count = nack->delivery_count;
            last_time = nack->delivery_time_ms;
        } else if (force) {
            fresh = true;
            count = 1; /* streamCreateNACK() */
        } else {
            continue;
        }
        if (!fresh && minidle && now - last_time < minidle)
            continue;
        if (!have_consumer) {
            if (consumer_ensure(c, s, 2, 3) < 0)
                return nomem();
            have_consumer = true;
        }
        if (retry >= 0)
            count = (uint64_t)retry;
        else if (!justid)
            count++;
        int rc = fresh ? pstream_pel_add(s, gname, glen, id, c->argv[3].str,
                                         c->argv[3].len, when, count, &out)
                       : pstream_pel_claim(s, gname, glen, id, c->argv[3].str,
                                           c->argv[3].len, when, count, &out);
        if (rc < 0)
            return nomem();
    }
    return 0;
}

/* ---- XAUTOCLAIM ------------------------------------------------------------ */

static int xautoclaim_cmd(cmd_ctx *c)
{
    long long minidle, count = 100;
    bool justid = false;
    if (int_or(c, 4, &minidle, "ERR Invalid min-idle-time argument for "
                               "XAUTOCLAIM") < 0)
        return -1;
    if (minidle < 0)
        minidle = 0;
    pstream_id start;
    const char *sa = c->argv[5].str;
    size_t sl = c->argv[5].len;
    bool excl = sl > 1 && sa[0] == '(';
    if (excl ? !xs_parse_id(sa + 1, sl - 1, 0, true, NULL, &start)
             : !xs_parse_id(sa, sl, 0, false, NULL, &start))
        return cmd_error_arg(c, 5, XS_ERR_BADID);
    if (excl && xs_id_incr(&start) < 0)
        return cmd_error_arg(c, 5, "ERR invalid start ID for the interval");
    for (size_t j = 6; j < c->argc; j++) {
        size_t more = c->argc - 1 - j;
        if (kw(c, j, "COUNT") && more) {
            long long max_count = LONG_MAX / 16; /* sizeof(streamID) */
            if (!cmd_num_string2ll(c->argv[j + 1].str, c->argv[j + 1].len,
                                   &count) || count < 1 ||
                count > max_count)
                return cmd_error_arg(c, (int)(j + 1), "ERR COUNT must be > 0");
            j++;
        } else if (kw(c, j, "JUSTID")) {
            justid = true;
        } else {
            return cmd_error_arg(c, (int)j, CMD_ERR_SYNTAX);
        }
    }
    const pstream *cur;
    if (xs_lookup(c, 1, &cur) < 0)
        return -1;
    if (cur == NULL || group_of(c, cur, 2) == NULL)
        return xs_error(c, "NOGROUP No such key '%s' or consumer group '%s'",
                        arg(c, 1), arg(c, 2));
    pstream *s = xs_edit(c, 1), *out;
    if (s == NULL)
        return nomem();
    const char *gname = c->argv[2].str;
    size_t glen = c->argv[2].len;
    /* First, reading only: what to drop and what to claim. */
    typedef struct { pstream_id id; bool drop; uint64_t count; } act;
    size_t cap = (size_t)(count < 1024 ? count : 1024), n = 0;
    act *acts = xmalloc(cap * sizeof *acts);
    if (acts == NULL)
        return nomem();
    long long attempts = count * 10;
    int64_t now = c->now_ms;
    pstream_iter it;
    pstream_pel_range(&it, group_of(c, s, 2), start, xg_max, false);
    const pstream_nack *nack;
    while (attempts-- && count && (nack = pstream_pel_next(&it)) != NULL) {
        bool drop = pstream_get(s, nack->id) == NULL;
        if (!drop && minidle && now - nack->delivery_time_ms < minidle)
            continue;
        if (n == cap) {
            act *m = xrealloc(acts, 2 * cap * sizeof *acts);
            if (m == NULL) {
                free(acts);
                return nomem();
            }
            acts = m;
            cap *= 2;
        }
        acts[n].id = nack->id;
        acts[n].drop = drop;
        acts[n].count = nack->delivery_count + (justid ? 0 : 1);
        n++;
        count--;
    }
    /* Then the changes. */
    bool have_consumer = false;
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++) {
        if (acts[k].drop) {
            rc = pstream_pel_ack(s, gname, glen, acts[k].id, &out) < 0 ? -1 : 0;
            continue;
        }
        if (!have_consumer) {
            rc = consumer_ensure(c, s, 2, 3);
            have_consumer = true;
        }
        if (rc == 0 &&
            pstream_pel_claim(s, gname, glen, acts[k].id, c->argv[3].str,
                              c->argv[3].len, now, acts[k].count, &out) < 0)
            rc = -1;
    }
    free(acts);
    return rc < 0 ? nomem() : 0;
}

/* ---- XREADGROUP ------------------------------------------------------------ */

static int xreadgroup_cmd(cmd_ctx *c)
{
    size_t streams = 0, nstreams = 0, gi = 0;
    long long count = 0;
    bool noack = false;
    for (size_t i = 1; i < c->argc; i++) {
        size_t more = c->argc - i - 1;
        if (kw(c, i, "BLOCK") && more) {
            i++;
            long long t;
            if (int_or(c, i, &t, "ERR timeout is not an integer or out of "
                                 "range") < 0)
                return -1;
            if (t < 0)
                return cmd_error_arg(c, (int)i, "ERR timeout is negative");
        } else if (kw(c, i, "COUNT") && more) {
            i++;
            if (cmd_arg_int(c, i, &count) < 0)
                return -1;
            if (count < 0)
                count = 0;
        } else if (kw(c, i, "STREAMS") && more) {
            streams = i + 1;
            nstreams = c->argc - streams;
            if (nstreams % 2 != 0)
                return cmd_error(c, "ERR Unbalanced XREAD list of streams: "
                                    "for each stream key an ID or '$' must "
                                    "be specified.");
            nstreams /= 2;
            break;
        } else if (kw(c, i, "GROUP") && more >= 2) {
            gi = i + 1;
            i += 2;
        } else if (kw(c, i, "NOACK")) {
            noack = true;
        } else {
            return cmd_error_arg(c, (int)i, CMD_ERR_SYNTAX);
        }
    }
    if (streams == 0)
        return cmd_error(c, CMD_ERR_SYNTAX);
    if (gi == 0)
        return cmd_error(c, "ERR Missing GROUP option for XREADGROUP");
    pstream_id *ids = xmalloc((nstreams ? nstreams : 1) * sizeof *ids);
    if (ids == NULL)
        return nomem();
    int rc = 0;
    for (size_t k = 0; k < nstreams && rc == 0; k++) {
        size_t ki = streams + k, ii = streams + nstreams + k;
        const pstream *cur;
        if (xs_lookup(c, ki, &cur) < 0) {
            rc = -1;
        } else if (cur == NULL || group_of(c, cur, gi) == NULL) {
            rc = xs_error(c, "NOGROUP No such key '%s' or consumer group '%s' "
                             "in XREADGROUP with GROUP option",
                          arg(c, ki), arg(c, gi));
        } else if (strcmp(arg(c, ii), "$") == 0) {
            rc = cmd_error_arg(c, (int)ii,
                               "ERR The $ ID is meaningless in the context of "
                               "XREADGROUP: you want to read the history of "
                               "this consumer by specifying a proper ID, or "
                               "use the > ID to get new messages. The $ ID "
                               "would just return an empty result set.");
        } else if (strcmp(arg(c, ii), ">") == 0) {
            ids[k] = xg_max;
        } else {
            rc = xs_arg_id(c, ii, 0, true, NULL, &ids[k]);
        }
    }
    const char *gname = c->argv[gi].str, *cname = c->argv[gi + 1].str;
    size_t glen = c->argv[gi].len, clen = c->argv[gi + 1].len;
    int64_t now = c->now_ms;
    pstream_id *got = NULL;
    for (size_t k = 0; k < nstreams && rc == 0; k++) {
        size_t ki = streams + k;
        const pstream *cur;
        xs_lookup(c, ki, &cur);
        const pstream_group *g = group_of(c, cur, gi);
        bool history = pstream_id_cmp(ids[k], xg_max) != 0;
        pstream_id gt = ids[k];
        if (!history) {
            if (pstream_len(cur) == 0)
                continue;
            pstream_iter it;
            pstream_range(&it, cur, xg_zero, xg_max, true);
            pstream_id top = pstream_entry_id(pstream_range_next(&it));
            if (pstream_id_cmp(top, g->last_id) <= 0)
                continue;
            gt = g->last_id;
        }
        pstream_id from = gt;
        xs_id_incr(&from);
        pstream *s = xs_edit(c, ki), *out;
        if (s == NULL || consumer_ensure(c, s, gi, gi + 1) < 0) {
            rc = nomem();
            break;
        }
        g = group_of(c, s, gi);
        /* Reading only: the IDs to deliver (or, for history, to
         * redeliver). */
        size_t cap = 16, n = 0;
        free(got);
        got = xmalloc(cap * sizeof *got);
        if (got == NULL) {
            rc = nomem();
            break;
        }
        pstream_id last = g->last_id;
        uint64_t er = g->entries_read;
        pstream_iter it;
        if (history) {
            const pstream_consumer *con = pstream_consumer_get(g, cname, clen);
            pstream_consumer_pel_range(&it, con, from, xg_max, false);
        } else {
            pstream_range(&it, s, from, xg_max, false);
        }
        for (;;) {
            pstream_id id;
            if (history) {
                const pstream_nack *nk = pstream_pel_next(&it);
                if (nk == NULL)
                    break;
                id = nk->id;
            } else {
                const pstream_entry *e = pstream_range_next(&it);
                if (e == NULL)
                    break;
                id = pstream_entry_id(e);
                if (pstream_id_cmp(id, last) > 0) {
                    if (er != PSTREAM_ENTRIES_READ_UNKNOWN &&
                        !xs_tombstones_from(s, id))
                        er++;
                    else if (pstream_entries_added(s) != 0)
                        er = xs_estimate_read(s, id);
                    last = id;
                }
            }
            if (n == cap) {
                pstream_id *m = xrealloc(got, 2 * cap * sizeof *got);
                if (m == NULL) {
                    rc = nomem();
                    break;
                }
                got = m;
                cap *= 2;
            }
            got[n++] = id;
            if (count && (size_t)count == n)
                break;
        }
        if (rc < 0)
            break;
        /* Then the changes. */
        for (size_t m = 0; m < n && rc == 0; m++) {
            if (history) {
                /* Redeliver what still exists (streamReplyWithRange-
                 * FromConsumerPEL()). */
                if (pstream_get(s, got[m]) == NULL)
                    continue;
                const pstream_nack *nk = pstream_pel_get(group_of(c, s, gi),
                                                         got[m]);
                if (pstream_pel_claim(s, gname, glen, got[m], cname, clen, now,
                                      nk->delivery_count + 1, &out) < 0)
                    rc = nomem();
            } else if (!noack) {
                if (pstream_pel_add(s, gname, glen, got[m], cname, clen, now, 1,
                                    &out) < 0)
                    rc = nomem();
            }
        }
        if (rc == 0 && !history &&
            pstream_group_set_id(s, gname, glen, last, er, &out) < 0)
            rc = nomem();
    }
    free(got);
    free(ids);
    return rc;
}

/** The consumer-group commands (arity as Redis's COMMAND INFO). */
const cmd_spec cmd_xgroup_table[] = {
    { "xgroup", -2, CMD_WRITE, xgroup_cmd },
    { "xgroup|create", -5, CMD_WRITE, xgroup_cmd },
    { "xgroup|setid", -5, CMD_WRITE, xgroup_cmd },
    { "xgroup|destroy", 4, CMD_WRITE, xgroup_cmd },
    { "xgroup|createconsumer", 5, CMD_WRITE, xgroup_cmd },
    { "xgroup|delconsumer", 5, CMD_WRITE, xgroup_cmd },
    { "xgroup|help", 2, CMD_NOTDATA, xgroup_cmd },
    { "xack", -4, CMD_WRITE, xack_cmd },
    { "xclaim", -6, CMD_WRITE, xclaim_cmd },
    { "xautoclaim", -6, CMD_WRITE, xautoclaim_cmd },
    { "xreadgroup", -7, CMD_WRITE, xreadgroup_cmd },
    { 0 },
};
