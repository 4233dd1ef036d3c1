/* server_string.c - read commands of one family: strings: GET, MGET, STRLEN, GETRANGE, SUBSTR, LCS.
 * Chapter 11.
 *
 * A string value is inline (its bytes follow the value header) or a
 * pstring, flat or in chunks (chapter 8); value_str_bytes() gives the
 * contiguous bytes when there are some, and a chunked one is copied out
 * once with value_str_read() for the reply.  The rules are Redis 7.0.15's
 * (redis/redis src/t_string.c): GETRANGE parses both indexes before it
 * looks the key up, and answers "" for a range that is empty after
 * clamping (and, quirk kept, for two negative indexes with start > end
 * before clamping); MGET answers nil for a key of another type instead of
 * an error.
 *
 * LCS is the textbook dynamic programme over a (|a|+1) x (|b|+1) table
 * of 32-bit lengths, then one walk back from the corner that yields the
 * common subsequence from its end and, with IDX, the matching ranges from
 * the last one to the first, each a pair of ranges (in a, in b) and with
 * WITHMATCHLEN its length; MINMATCHLEN drops shorter ranges from the
 * list (LEN still counts every matched byte).  The table is refused, as
 * Redis refuses it, when it would pass proto-max-bulk-len (512 MB).
 */
#include "server_cmd.h"

#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/** Redis's default proto-max-bulk-len, LCS's table limit. */
#define STRING_MAX_BULK (512ULL * 1024 * 1024)

/* A string value's bytes, contiguous: its own, or (*copy, to free) a
 * copy.  NULL when out of memory (a zero-length string gives "").  */
static const unsigned char *str_flat(const value *v, unsigned char **copy)
{
    *copy = NULL;
    const unsigned char *p = value_str_bytes(v);
    if (p != NULL)
        return p;
    size_t n = value_str_len(v);
    if ((*copy = xmalloc(n ? n : 1)) == NULL)
        return NULL;
    value_str_read(v, 0, *copy, n);
    return *copy;
}

/* Bytes [off, off + n) of a string value as a bulk reply. */
static int reply_str_range(server_ctx *x, const value *v, size_t off,
                           size_t n)
{
    const unsigned char *p = value_str_bytes(v);
    if (p != NULL)
        return reply_bulk(x->out, p + off, n);
    unsigned char *buf = xmalloc(n ? n : 1);
    if (buf == NULL)
        return -1;
    value_str_read(v, off, buf, n);
    int rc = reply_bulk(x->out, buf, n);
    free(buf);
    return rc;
}

static int cmd_get(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_STRING, &v));
    if (v == NULL)
        return reply_null(x->out);
    return reply_str_range(x, v, 0, value_str_len(v));
}

static int cmd_mget(server_ctx *x)
{
    if (reply_array(x->out, x->argc - 1) != 0)
        return -1;
    for (size_t i = 1; i < x->argc; i++) {
        const value *v;
        SERVER_TRY(server_lookup(x, i, -1, &v));
        int rc = v == NULL || v->type != VALUE_STRING
                     ? reply_null(x->out)
                     : reply_str_range(x, v, 0, value_str_len(v));
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int cmd_strlen(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_STRING, &v));
    return reply_integer(x->out, v != NULL ? (int64_t)value_str_len(v) : 0);
}

/* GETRANGE key start end (and SUBSTR, its old name). */
static int cmd_getrange(server_ctx *x)
{
    long long start, end;
    SERVER_TRY(server_arg_ll(x, 2, &start));
    SERVER_TRY(server_arg_ll(x, 3, &end));
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_STRING, &v));
    if (v == NULL)
        return reply_bulk(x->out, "", 0);
    long long len = (long long)value_str_len(v);
    if (start < 0 && end < 0 && start > end)
        return reply_bulk(x->out, "", 0);
    if (start < 0)
        start += len;
    if (end < 0)
        end += len;
    if (start < 0)
        start = 0;
    if (end < 0)
        end = 0;
    if (end >= len)
        end = len - 1;
    if (start > end || len == 0)
        return reply_bulk(x->out, "", 0);
    return reply_str_range(x, v, (size_t)start, (size_t)(end - start + 1));
}

/* ---- LCS ------------------------------------------------------------------- */

/** LCS's options. */
typedef struct lcs_opts {
    bool len, idx, withmatchlen; /**< LEN, IDX, WITHMATCHLEN */
    long long minmatchlen;       /**< MINMATCHLEN, 0 when absent */
} lcs_opts;

/* One range pair of IDX: [a0, a1] in a, [b0, b1] in b. */
static int reply_match(server_ctx *x, const lcs_opts *o, uint32_t a0,
                       uint32_t a1, uint32_t b0, uint32_t b1)
{
    if (reply_array(x->out, 2 + o->withmatchlen) != 0 ||
        reply_array(x->out, 2) != 0 || reply_integer(x->out, a0) != 0 ||
        reply_integer(x->out, a1) != 0 || reply_array(x->out, 2) != 0 ||
        reply_integer(x->out, b0) != 0 || reply_integer(x->out, b1) != 0)
        return -1;
    return o->withmatchlen ? reply_integer(x->out, a1 - a0 + 1) : 0;
}

/* The table is filled; write the reply the options ask for. */
static int lcs_reply(server_ctx *x, const lcs_opts *o, const uint32_t *t,
                     const unsigned char *a, uint32_t alen,
                     const unsigned char *b, uint32_t blen)
{
#define T(i, j) t[(size_t)(i) * ((size_t)blen + 1) + (j)]
    uint32_t total = T(alen, blen);
    if (o->len && !o->idx)
        return reply_integer(x->out, total);
    unsigned char *res = NULL;
    if (!o->idx && (res = xmalloc(total ? total : 1)) == NULL)
        return -1;
    reply_defer d;
    size_t nmatch = 0;
    if (o->idx && (reply_map(x->out, 2) != 0 ||
                   reply_bulk(x->out, "matches", 7) != 0 ||
                   reply_defer_begin(x->out, &d, REPLY_DEFER_ARRAY) != 0))
        return -1;
    /* Walk back from the corner; a range grows backwards while the
     * matches stay on one diagonal, and is written when it ends. */
    uint32_t i = alen, j = blen, k = total;
    bool open = false;
    uint32_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    while (i > 0 && j > 0) {
        bool emit = false;
        if (a[i - 1] == b[j - 1]) {
            if (res != NULL)
                res[k - 1] = a[i - 1];
            if (!open) {
                open = true;
                a0 = a1 = i - 1;
                b0 = b1 = j - 1;
            } else if (a0 == i && b0 == j) {
                a0--;
                b0--;
            } else {
                emit = true;
            }
            if (a0 == 0 || b0 == 0)
                emit = true;
            k--;
            i--;
            j--;
        } else {
            if (T(i - 1, j) > T(i, j - 1))
                i--;
            else
                j--;
            if (open)
                emit = true;
        }
        if (emit) {
            uint32_t mlen = a1 - a0 + 1;
            if (o->idx && (o->minmatchlen == 0 ||
                           (long long)mlen >= o->minmatchlen)) {
                if (reply_match(x, o, a0, a1, b0, b1) != 0)
                    return -1;
                nmatch++;
            }
            open = false;
        }
    }
#undef T
    if (o->idx) {
        if (reply_bulk(x->out, "len", 3) != 0 ||
            reply_integer(x->out, total) != 0)
            return -1;
        return reply_defer_end(x->out, &d, nmatch);
    }
    int rc = reply_bulk(x->out, res, total);
    free(res);
    return rc;
}

/* LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] */
static int cmd_lcs(server_ctx *x)
{
    const value *va, *vb;
    SERVER_TRY(server_lookup(x, 1, -1, &va));
    SERVER_TRY(server_lookup(x, 2, -1, &vb));
    if ((va != NULL && va->type != VALUE_STRING) ||
        (vb != NULL && vb->type != VALUE_STRING))
        SERVER_TRY(server_error(x, "ERR The specified keys must contain "
                                "string values"));
    lcs_opts o = {0};
    for (size_t j = 3; j < x->argc; j++) {
        if (server_arg_is(x, j, "idx")) {
            o.idx = true;
        } else if (server_arg_is(x, j, "len")) {
            o.len = true;
        } else if (server_arg_is(x, j, "withmatchlen")) {
            o.withmatchlen = true;
        } else if (server_arg_is(x, j, "minmatchlen") && j + 1 < x->argc) {
            SERVER_TRY(server_arg_ll(x, j + 1, &o.minmatchlen));
            if (o.minmatchlen < 0)
                o.minmatchlen = 0;
            j++;
        } else {
            SERVER_TRY(server_syntax_error(x));
        }
    }
    if (o.len && o.idx)
        SERVER_TRY(server_error(x, "ERR If you want both the length and "
                                "indexes, please just use IDX."));
    size_t alen = va ? value_str_len(va) : 0;
    size_t blen = vb ? value_str_len(vb) : 0;
    if (alen >= UINT32_MAX - 1 || blen >= UINT32_MAX - 1)
        SERVER_TRY(server_error(x, "ERR String too long for LCS"));
    unsigned long long cells = (unsigned long long)(alen + 1) * (blen + 1);
    if (cells * sizeof(uint32_t) > STRING_MAX_BULK)
        SERVER_TRY(server_error(x, "ERR Insufficient memory, transient "
                                "memory for LCS exceeds "
                                "proto-max-bulk-len"));
    unsigned char *ca = NULL, *cb = NULL;
    const unsigned char *a = va ? str_flat(va, &ca) : (const unsigned char *)"";
    const unsigned char *b = vb ? str_flat(vb, &cb) : (const unsigned char *)"";
    uint32_t *t = xmalloc((size_t)cells * sizeof *t);
    int rc = -1;
    if (a == NULL || b == NULL)
        goto out;
    if (t == NULL) {
        rc = server_error(x, "ERR Insufficient memory, failed allocating "
                          "transient memory for LCS") == SERVER_REPLIED
                 ? 0 : -1;
        goto out;
    }
    for (size_t i = 0; i <= alen; i++)
        for (size_t j = 0; j <= blen; j++) {
            uint32_t *c = &t[i * (blen + 1) + j];
            if (i == 0 || j == 0)
                *c = 0;
            else if (a[i - 1] == b[j - 1])
                *c = t[(i - 1) * (blen + 1) + j - 1] + 1;
            else {
                uint32_t up = t[(i - 1) * (blen + 1) + j];
                uint32_t left = t[i * (blen + 1) + j - 1];
                *c = up > left ? up : left;
            }
        }
    rc = lcs_reply(x, &o, t, a, (uint32_t)alen, b, (uint32_t)blen);
out:
    free(t);
    free(ca);
    free(cb);
    return rc;
}

#define R SERVER_CMD_READ
#define F SERVER_CMD_FAST

const server_command server_cmds_string[] = {
    {.name = "get", .arity = 2, .flags = R | F, .fn = cmd_get,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "string",
     .since = "1.0.0", .summary = "Get the value of a key"},
    {.name = "mget", .arity = -2, .flags = R | F, .fn = cmd_mget,
     .first_key = 1, .last_key = -1, .key_step = 1, .group = "string",
     .since = "1.0.0", .summary = "Get the values of all the given keys"},
    {.name = "strlen", .arity = 2, .flags = R | F, .fn = cmd_strlen,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "string",
     .since = "2.2.0", .summary = "Get the length of the value stored in a "
     "key"},
    {.name = "getrange", .arity = 4, .flags = R, .fn = cmd_getrange,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "string",
     .since = "2.4.0", .summary = "Get a substring of the string stored at "
     "a key"},
    {.name = "substr", .arity = 4, .flags = R, .fn = cmd_getrange,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "string",
     .since = "1.0.0", .summary = "Get a substring of the string stored at "
     "a key"},
    {.name = "lcs", .arity = -3, .flags = R, .fn = cmd_lcs,
     .first_key = 1, .last_key = 2, .key_step = 1, .group = "string",
     .since = "7.0.0", .summary = "Find longest common substring"},
    {.name = NULL},
};
