/* cmd_stream.c - XADD, XDEL, XTRIM and XSETID: a stream's entries.
 * Chapter 9.
 *
 * Each handler restates the rules of redis/redis src/t_stream.c (tag
 * 7.0.15) in its own words, in Redis's order: the options are parsed
 * first, then the key is looked up and its type checked, then the
 * stream-specific checks run, and only then is the stream changed, so a
 * refused command changes nothing and every reply text is Redis's.
 *
 * Both forms.  A master propagates XADD with the ID it generated (never
 * `*` or `ms-*`) and rewrites an approximate trim `MAXLEN ~ n` into the
 * exact `MAXLEN = <length it left>` (MINID: `= <first ID it left>`),
 * keeping any LIMIT; a replica obeys that form with no limit
 * (streamParseAddOrTrimArgsOrReply(), mustObeyClient()).  So LIMIT after
 * `=` is accepted here and ignored, where Redis refuses it from an
 * ordinary client ("LIMIT cannot be used without the special ~ option"):
 * the applier is in the replica's seat.  The client forms work too: `*`
 * takes its milliseconds from c->now_ms with Redis's rule when the clock
 * is behind the last ID (the last ID's successor), and `~` trims as Redis
 * does, whole nodes from the head, within LIMIT (10000 by default).
 *
 * Approximate trimming and nodes.  Redis stores a stream as listpack nodes
 * of at most stream-node-max-entries (100) entries or stream-node-max-bytes
 * (4096) bytes, and `~` removes only whole nodes.  A pstream keeps no
 * nodes, so xs_trim_approx() models them: consecutive runs of 100 entries
 * counted from the stream's first XADD (entries_added minus length tells
 * how far into its node the head is).  That is exact for a stream built by
 * XADD of small entries and trimmed by XADD/XTRIM only; XDEL (tombstones
 * keep their slots), XSETID ENTRIESADDED, a stream trimmed empty and
 * refilled, or entries big enough to fill 4096 bytes first move Redis's
 * boundaries away from the model.  The propagated form never depends on
 * it.
 */
#include "cmd_stream_private.h"

#include "alloc.h"
#include "cmd_num.h"
#include "value.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- helpers shared with cmd_xgroup.c ------------------------------------ */

int xs_arg_id(cmd_ctx *c, size_t i, uint64_t missing_seq, bool strict,
              bool *seq_given, pstream_id *out)
{
    if (!xs_parse_id(c->argv[i].str, c->argv[i].len, missing_seq, strict,
                     seq_given, out))
        return cmd_error_arg(c, (int)i, XS_ERR_BADID);
    return 0;
}

int xs_error(cmd_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char text[sizeof c->err];
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (char *p = text; *p; p++)
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    return cmd_error(c, "%s", text);
}

int xs_lookup(cmd_ctx *c, size_t i, const pstream **out)
{
    const value *v;
    if (cmd_lookup_type(c, i, VALUE_STREAM, &v) < 0)
        return -1;
    *out = v != NULL ? value_as_stream(v) : NULL;
    return 0;
}

pstream *xs_edit(cmd_ctx *c, size_t i)
{
    value *v = keyspace_edit(c->ks, c->db, c->argv[i].str, c->argv[i].len);
    if (v == NULL) {
        if (errno != ENOMEM)
            errno = EINVAL;
        return NULL;
    }
    return value_edit_stream(v);
}

static const pstream_id xs_zero = { 0, 0 };

/* ---- trimming options (XADD and XTRIM) ------------------------------------- */

/** Redis's stream-node-max-entries default: entries per listpack node. */
#define XS_NODE_ENTRIES 100
/** The LIMIT an approximate trim gets when none is given (100 nodes). */
#define XS_DEFAULT_LIMIT (100 * XS_NODE_ENTRIES)
/** The most bytes of fields and values one entry may carry
 *  (STREAM_LISTPACK_MAX_SIZE). */
#define XS_ENTRY_MAX_BYTES ((size_t)1 << 30)

enum { XS_TRIM_NONE, XS_TRIM_MAXLEN, XS_TRIM_MINID };

/** What XADD's and XTRIM's options say (Redis's streamAddTrimArgs). */
typedef struct xs_args {
    int strategy;        /**< XS_TRIM_* */
    bool approx;         /**< `~` */
    long long maxlen;    /**< MAXLEN's threshold */
    pstream_id minid;    /**< MINID's threshold */
    long long limit;     /**< entries an approximate trim may delete (0:
                              any) */
    bool nomkstream;     /**< XADD NOMKSTREAM */
    bool id_given;       /**< XADD got an ID, not `*` */
    bool seq_given;      /**< ... with its sequence (not `ms-*`) */
    pstream_id id;       /**< that ID */
} xs_args;

static bool arg_eq(const cmd_ctx *c, size_t i, const char *s)
{
    return strcmp(c->argv[i].str, s) == 0;
}

static bool arg_kw(const cmd_ctx *c, size_t i, const char *kw)
{
    /* Redis compares with strcasecmp() on the C string. */
    return strcasecmp(c->argv[i].str, kw) == 0;
}

/* Parse the options from argument 2 on; return the ID's position (XADD)
 * or argc (XTRIM), or -1 after cmd_error(). */
static long xs_parse_args(cmd_ctx *c, xs_args *a, bool xadd)
{
    memset(a, 0, sizeof *a);
    bool limit_given = false;
    size_t i = 2;
    for (; i < c->argc; i++) {
        size_t more = c->argc - 1 - i;
        const char *opt = c->argv[i].str;
        if (xadd && opt[0] == '*' && opt[1] == '\0') {
            break;
        } else if ((arg_kw(c, i, "maxlen") || arg_kw(c, i, "minid")) &&
                   more) {
            bool maxlen = arg_kw(c, i, "maxlen");
            if (a->strategy != XS_TRIM_NONE)
                return cmd_error(c, "ERR syntax error, MAXLEN and MINID "
                                    "options at the same time are not "
                                    "compatible");
            a->approx = false;
            if (more >= 2 && arg_eq(c, i + 1, "~")) {
                a->approx = true;
                i++;
            } else if (more >= 2 && arg_eq(c, i + 1, "=")) {
                i++;
            }
            if (maxlen) {
                if (cmd_arg_int(c, i + 1, &a->maxlen) < 0)
                    return -1;
                if (a->maxlen < 0)
                    return cmd_error_arg(c, (int)(i + 1),
                                         "ERR The MAXLEN argument must be "
                                         ">= 0.");
                a->strategy = XS_TRIM_MAXLEN;
            } else {
                if (xs_arg_id(c, i + 1, 0, true, NULL, &a->minid) < 0)
                    return -1;
                a->strategy = XS_TRIM_MINID;
            }
            i++;
        } else if (arg_kw(c, i, "limit") && more) {
            if (cmd_arg_int(c, i + 1, &a->limit) < 0)
                return -1;
            if (a->limit < 0)
                return cmd_error_arg(c, (int)(i + 1),
                                     "ERR The LIMIT argument must be >= 0.");
            limit_given = true;
            i++;
        } else if (xadd && arg_kw(c, i, "nomkstream")) {
            a->nomkstream = true;
        } else if (xadd) {
            if (xs_arg_id(c, i, 0, true, &a->seq_given, &a->id) < 0)
                return -1;
            a->id_given = true;
            break;
        } else {
            return cmd_error_arg(c, (int)i, CMD_ERR_SYNTAX);
        }
    }
    if (a->limit && a->strategy == XS_TRIM_NONE)
        return cmd_error(c, "ERR syntax error, LIMIT cannot be used without "
                            "specifying a trimming strategy");
    if (!xadd && a->strategy == XS_TRIM_NONE)
        return cmd_error(c, "ERR syntax error, XTRIM must be called with a "
                            "trimming strategy");
    /* An exact trim is never limited (a master's `= n LIMIT m` included, see
     * the header comment); an approximate one gets 100 nodes' worth unless
     * told otherwise. */
    if (!a->approx)
        a->limit = 0;
    else if (!limit_given)
        a->limit = XS_DEFAULT_LIMIT;
    return (long)i;
}

/* How many head entries Redis's approximate trim removes: whole modelled
 * nodes (see the header comment) while the rest still satisfies the
 * threshold and the limit allows. */
static uint64_t xs_trim_approx(const pstream *s, const xs_args *a)
{
    uint64_t len = pstream_len(s);
    uint64_t added = pstream_entries_added(s);
    uint64_t into = added >= len ? (added - len) % XS_NODE_ENTRIES : 0;
    uint64_t node = XS_NODE_ENTRIES - into;
    uint64_t deleted = 0;
    pstream_iter it;
    pstream_id hi = { UINT64_MAX, UINT64_MAX };
    pstream_range(&it, s, xs_zero, hi, false);
    while (deleted < len) {
        uint64_t left = len - deleted;
        if (a->strategy == XS_TRIM_MAXLEN && left <= (uint64_t)a->maxlen)
            break;
        uint64_t entries = node < left ? node : left;
        if (a->limit && deleted + entries > (uint64_t)a->limit)
            break;
        bool remove;
        if (a->strategy == XS_TRIM_MAXLEN) {
            remove = left - entries >= (uint64_t)a->maxlen;
        } else {
            const pstream_entry *e = NULL;
            for (uint64_t k = 0; k < entries; k++)
                e = pstream_range_next(&it);
            remove = pstream_id_cmp(pstream_entry_id(e), a->minid) < 0;
        }
        if (!remove)
            break;
        deleted += entries;
        node = XS_NODE_ENTRIES;
    }
    return deleted;
}

/* Trim a transient as the options say; return the number deleted or -1
 * (ENOMEM). */
static long long xs_trim(pstream *s, const xs_args *a)
{
    pstream *out;
    if (a->strategy == XS_TRIM_NONE)
        return 0;
    if (a->approx) {
        uint64_t n = xs_trim_approx(s, a);
        if (n == 0)
            return 0;
        return pstream_trim_maxlen(s, pstream_len(s) - n, 0, &out);
    }
    if (a->strategy == XS_TRIM_MAXLEN)
        return pstream_trim_maxlen(s, (uint64_t)a->maxlen, 0, &out);
    return pstream_trim_minid(s, a->minid, 0, &out);
}

/* ---- XADD ------------------------------------------------------------------ */

static int xadd_cmd(cmd_ctx *c)
{
    xs_args a;
    long idpos = xs_parse_args(c, &a, true);
    if (idpos < 0)
        return -1;
    long fpos = idpos + 1;
    long nfv = (long)c->argc - fpos;
    if (nfv < 2 || nfv % 2 == 1)
        return cmd_error(c, "ERR wrong number of arguments for 'xadd' "
                            "command");
    if (a.id_given && a.seq_given && a.id.ms == 0 && a.id.seq == 0)
        return cmd_error(c, "ERR The ID specified in XADD must be greater "
                            "than 0-0");
    const pstream *cur;
    if (xs_lookup(c, 1, &cur) < 0)
        return -1;
    if (cur == NULL && a.nomkstream)
        return 0; /* Redis replies nil and creates nothing */
    pstream_id last = cur != NULL ? pstream_last_id(cur) : xs_zero;
    if (last.ms == UINT64_MAX && last.seq == UINT64_MAX)
        return cmd_error(c, "ERR The stream has exhausted the last possible "
                            "ID, unable to add more items");
    /* The new ID, as streamAppendItem() makes it. */
    pstream_id id;
    if (a.id_given && a.seq_given) {
        id = a.id;
    } else if (a.id_given) {
        if (last.ms == a.id.ms) {
            /* Redis fails here without setting errno, and its reply is the
             * one for errno other than EDOM (observed on 7.0.15). */
            if (last.seq == UINT64_MAX)
                return cmd_error(c, "ERR Elements are too large to be "
                                    "stored");
            id = last;
            id.seq++;
        } else {
            id.ms = a.id.ms;
            id.seq = 0;
        }
    } else {
        uint64_t now = (uint64_t)c->now_ms;
        if (now > last.ms) {
            id.ms = now;
            id.seq = 0;
        } else {
            id = last;
            xs_id_incr(&id); /* wraps to 0-0, refused just below */
        }
    }
    if (pstream_id_cmp(id, last) <= 0)
        return cmd_error(c, "ERR The ID specified in XADD is equal or "
                            "smaller than the target stream top item");
    size_t nfields = (size_t)nfv / 2, total = 0;
    for (size_t j = 0; j < 2 * nfields; j++)
        total += c->argv[(size_t)fpos + j].len;
    if (total > XS_ENTRY_MAX_BYTES)
        return cmd_error(c, "ERR Elements are too large to be stored");

    pstream_str *fv = xmalloc(2 * nfields * sizeof *fv);
    if (fv == NULL) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t j = 0; j < 2 * nfields; j++) {
        fv[j].p = c->argv[(size_t)fpos + j].str;
        fv[j].len = c->argv[(size_t)fpos + j].len;
    }
    value *fresh = NULL;
    pstream *s, *out;
    if (cur == NULL) {
        fresh = value_new_collection(VALUE_STREAM, VALUE_NO_EXPIRY);
        s = fresh != NULL ? value_edit_stream(fresh) : NULL;
    } else {
        s = xs_edit(c, 1);
    }
    int rc = s != NULL ? 0 : -1;
    if (rc == 0)
        rc = pstream_add(s, id, fv, nfields, &out);
    free(fv);
    if (rc == 0 && xs_trim(s, &a) < 0)
        rc = -1;
    if (fresh != NULL) {
        if (rc < 0) {
            value_free(fresh);
        } else {
            rc = keyspace_put(c->ks, c->db, c->argv[1].str, c->argv[1].len,
                              fresh);
        }
    }
    if (rc < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* ---- XDEL ------------------------------------------------------------------ */

static int xdel_cmd(cmd_ctx *c)
{
    const pstream *cur;
    if (xs_lookup(c, 1, &cur) < 0)
        return -1;
    if (cur == NULL)
        return 0; /* 0, before the IDs are even parsed */
    size_t n = c->argc - 2;
    pstream_id *ids = xmalloc(n * sizeof *ids);
    if (ids == NULL) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t j = 0; j < n; j++) {
        if (xs_arg_id(c, 2 + j, 0, true, NULL, &ids[j]) < 0) {
            free(ids);
            return -1;
        }
    }
    int rc = 0;
    bool any = false;
    for (size_t j = 0; j < n && rc == 0; j++) {
        if (!any) {
            if (pstream_get(cur, ids[j]) == NULL)
                continue; /* no transient for a command that deletes nothing */
            any = true;
        }
        pstream *s = xs_edit(c, 1), *out;
        if (s == NULL || pstream_delete(s, ids[j], &out) < 0)
            rc = -1;
    }
    free(ids);
    if (rc < 0)
        errno = ENOMEM;
    return rc;
}

/* ---- XTRIM ----------------------------------------------------------------- */

static int xtrim_cmd(cmd_ctx *c)
{
    xs_args a;
    if (xs_parse_args(c, &a, false) < 0)
        return -1;
    const pstream *cur;
    if (xs_lookup(c, 1, &cur) < 0)
        return -1;
    if (cur == NULL)
        return 0;
    pstream *s = xs_edit(c, 1);
    if (s == NULL || xs_trim(s, &a) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* ---- XSETID ---------------------------------------------------------------- */

static int xsetid_cmd(cmd_ctx *c)
{
    pstream_id id, max_del = xs_zero;
    long long added = -1;
    if (xs_arg_id(c, 2, 0, true, NULL, &id) < 0)
        return -1;
    for (size_t i = 3; i < c->argc; i += 2) {
        size_t more = c->argc - 1 - i;
        if (arg_kw(c, i, "ENTRIESADDED") && more) {
            if (cmd_arg_int(c, i + 1, &added) < 0)
                return -1;
            if (added < 0)
                return cmd_error_arg(c, (int)(i + 1),
                                     "ERR entries_added must be positive");
        } else if (arg_kw(c, i, "MAXDELETEDID") && more) {
            if (xs_arg_id(c, i + 1, 0, true, NULL, &max_del) < 0)
                return -1;
            if (pstream_id_cmp(id, max_del) < 0)
                return cmd_error_arg(c, (int)(i + 1),
                                     "ERR The ID specified in XSETID is "
                                     "smaller than the provided "
                                     "max_deleted_entry_id");
        } else {
            return cmd_error_arg(c, (int)i, CMD_ERR_SYNTAX);
        }
    }
    const pstream *cur;
    if (xs_lookup(c, 1, &cur) < 0)
        return -1;
    if (cur == NULL)
        return cmd_error(c, CMD_ERR_NOKEY);
    size_t len = pstream_len(cur);
    if (len > 0) {
        pstream_iter it;
        pstream_id hi = { UINT64_MAX, UINT64_MAX };
        pstream_range(&it, cur, xs_zero, hi, true);
        pstream_id top = pstream_entry_id(pstream_range_next(&it));
        if (pstream_id_cmp(id, top) < 0)
            return cmd_error(c, "ERR The ID specified in XSETID is smaller "
                                "than the target stream top item");
        if (added != -1 && len > (uint64_t)added)
            return cmd_error(c, "ERR The entries_added specified in XSETID "
                                "is smaller than the target stream length");
    }
    /* Redis 7.0.15 lets the last ID fall below the largest deleted ID the
     * stream already has when no MAXDELETEDID replaces it; a pstream (and
     * chapter 7's RDB reader) holds max_deleted_id <= last_id, so that one
     * case is refused, by name. */
    bool set_md = pstream_id_cmp(max_del, xs_zero) != 0;
    pstream_id cur_md = pstream_max_deleted_id(cur);
    if (!set_md && pstream_id_cmp(id, cur_md) < 0)
        return cmd_error_arg(c, 2, "ERR The ID specified in XSETID is smaller "
                                   "than the stream's max_deleted_entry_id "
                                   "(a stream here keeps max_deleted_entry_id "
                                   "<= last_id)");
    pstream_id cur_last = pstream_last_id(cur);
    pstream *s = xs_edit(c, 1), *out;
    int rc = s != NULL ? 0 : -1;
    /* A new MAXDELETEDID below the current one, with the ID between them:
     * lower max_deleted_id first (at the current last ID, which is above
     * both), then move the last ID. */
    if (rc == 0 && set_md && pstream_id_cmp(id, cur_md) < 0) {
        rc = pstream_set_id(s, cur_last, -1, &max_del, &out);
        set_md = false;
    }
    if (rc == 0)
        rc = pstream_set_id(s, id, added, set_md ? &max_del : NULL, &out);
    if (rc < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/** The entries' commands (arity as Redis's COMMAND INFO). */
const cmd_spec cmd_stream_table[] = {
    { "xadd", -5, CMD_WRITE, xadd_cmd },
    { "xdel", -3, CMD_WRITE, xdel_cmd },
    { "xtrim", -4, CMD_WRITE, xtrim_cmd },
    { "xsetid", -3, CMD_WRITE, xsetid_cmd },
    { 0 },
};
