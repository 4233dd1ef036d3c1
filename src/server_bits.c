/* server_bits.c - read commands of one family: bitmaps: GETBIT, BITCOUNT, BITPOS, BITFIELD_RO.
 * Chapter 11.
 *
 * The bit arithmetic is chapter 8's (pstring_bits.c: BITCOUNT's popcount,
 * BITPOS's search, BITFIELD's fields) and the argument rules chapter 9's
 * (bits_parse.h, shared with cmd_bits.c); what is left here is Redis's
 * order of checks, which decides which error a client sees first
 * (redis/redis src/bitops.c): BITCOUNT looks the key up before it reads
 * its range (a missing key answers 0 whatever the range says), BITPOS
 * reads its bit first, then the key, then the range; BITFIELD_RO parses
 * every operation, SET and INCRBY included, before refusing any write.
 *
 * The pstring functions take a pstring; a string of up to
 * PSTRING_THRESHOLD bytes lives inline in its value instead, and is copied
 * into a temporary flat pstring (at most 4 KiB) for the call.
 */
#include "server_cmd.h"

#include "bits_parse.h"
#include "pstring.h"

#include <stdlib.h>
#include <string.h>

/* The string as a pstring: its own, or (*tmp, to release) a copy of its
 * inline bytes.  NULL when out of memory. */
static const pstring *as_pstring(const value *v, pstring **tmp)
{
    *tmp = NULL;
    if (v->enc == VALUE_ENC_PAYLOAD)
        return v->u.str;
    *tmp = pstring_new(value_str_bytes(v), value_str_len(v));
    return *tmp;
}

/* A "start" or "end" argument: a 64-bit integer. */
static int range_arg(server_ctx *x, size_t i, long long *out)
{
    return server_arg_ll(x, i, out);
}

/* GETBIT key offset */
static int cmd_getbit(server_ctx *x)
{
    uint64_t off;
    if (!bits_parse_offset(x->argv[2].str, x->argv[2].len, 0, &off))
        SERVER_TRY(server_error(x, BITS_ERR_OFFSET));
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_STRING, &v));
    unsigned char byte = 0;
    if (v != NULL)
        value_str_read(v, (size_t)(off >> 3), &byte, 1);
    return reply_integer(x->out, (byte >> (7 - (off & 7))) & 1);
}

/* Set bits of v in bytes [start, end] (inclusive, end < length). */
static int count_bytes(const value *v, size_t start, size_t end,
                       uint64_t *out)
{
    if (v->enc == VALUE_ENC_PAYLOAD) {
        *out = pstring_bitcount(v->u.str, start, end);
        return 0;
    }
    const unsigned char *p = value_str_bytes(v);
    uint64_t n = 0;
    for (size_t i = start; i <= end; i++)
        n += (uint64_t)__builtin_popcount(p[i]);
    *out = n;
    return 0;
}

/* BITCOUNT key [start end [BYTE|BIT]] */
static int cmd_bitcount(server_ctx *x)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_STRING, &v));
    if (v == NULL)
        return reply_integer(x->out, 0);
    long long len = (long long)value_str_len(v);
    long long start = 0, end = len - 1;
    bool isbit = false;
    if (x->argc == 4 || x->argc == 5) {
        SERVER_TRY(range_arg(x, 2, &start));
        SERVER_TRY(range_arg(x, 3, &end));
        if (start < 0 && end < 0 && start > end)
            return reply_integer(x->out, 0);
        if (x->argc == 5) {
            if (server_arg_is(x, 4, "bit"))
                isbit = true;
            else if (!server_arg_is(x, 4, "byte"))
                SERVER_TRY(server_syntax_error(x));
        }
        long long tot = isbit ? len * 8 : len;
        if (start < 0)
            start += tot;
        if (end < 0)
            end += tot;
        if (start < 0)
            start = 0;
        if (end < 0)
            end = 0;
        if (end >= tot)
            end = tot - 1;
    } else if (x->argc != 2) {
        SERVER_TRY(server_syntax_error(x));
    }
    if (start > end)
        return reply_integer(x->out, 0);
    uint64_t n;
    if (!isbit) {
        count_bytes(v, (size_t)start, (size_t)end, &n);
        return reply_integer(x->out, (int64_t)n);
    }
    /* Bits: count the whole bytes, then take away the bits of the first
     * and last byte that lie outside [start, end]. */
    size_t b0 = (size_t)(start >> 3), b1 = (size_t)(end >> 3);
    count_bytes(v, b0, b1, &n);
    unsigned char first = 0, last = 0;
    value_str_read(v, b0, &first, 1);
    value_str_read(v, b1, &last, 1);
    unsigned char head = (unsigned char)(0xFFu << (8 - (start & 7)));
    unsigned char tail = (unsigned char)((1u << (7 - (end & 7))) - 1);
    n -= (uint64_t)__builtin_popcount(first & head);
    n -= (uint64_t)__builtin_popcount(last & tail);
    return reply_integer(x->out, (int64_t)n);
}

/* BITPOS key bit [start [end [BYTE|BIT]]] */
static int cmd_bitpos(server_ctx *x)
{
    long long bit;
    SERVER_TRY(server_arg_ll(x, 2, &bit));
    if (bit != 0 && bit != 1)
        SERVER_TRY(server_error(x, "ERR The bit argument must be 1 or 0."));
    const value *v;
    SERVER_TRY(server_lookup(x, 1, -1, &v));
    if (v == NULL)
        return reply_integer(x->out, bit ? -1 : 0);
    if (v->type != VALUE_STRING)
        SERVER_TRY(server_error(x, "WRONGTYPE Operation against a key "
                                "holding the wrong kind of value"));
    long long start = 0, end = 0;
    bool has_start = false, has_end = false, isbit = false;
    if (x->argc >= 4 && x->argc <= 6) {
        SERVER_TRY(range_arg(x, 3, &start));
        has_start = true;
        if (x->argc == 6) {
            if (server_arg_is(x, 5, "bit"))
                isbit = true;
            else if (!server_arg_is(x, 5, "byte"))
                SERVER_TRY(server_syntax_error(x));
        }
        if (x->argc >= 5) {
            SERVER_TRY(range_arg(x, 4, &end));
            has_end = true;
        }
    } else if (x->argc != 3) {
        SERVER_TRY(server_syntax_error(x));
    }
    pstring *tmp;
    const pstring *s = as_pstring(v, &tmp);
    if (s == NULL)
        return -1;
    int64_t st = start, en = end;
    int64_t pos = pstring_bitpos(s, (int)bit, has_start ? &st : NULL,
                                 has_end ? &en : NULL, isbit);
    pstring_release(tmp);
    return reply_integer(x->out, pos);
}

/* BITFIELD_RO key [GET type offset ...] */
static int cmd_bitfield_ro(server_ctx *x)
{
    bits_op *ops;
    size_t n;
    int64_t highest;
    bits_parse_error err;
    int rc = bits_parse_bitfield(x->argc, x->argv, &ops, &n, &highest, &err);
    if (rc < 0)
        return -1;
    if (rc > 0)
        SERVER_TRY(server_error(x, "%s", err.msg));
    if (highest >= 0) {
        free(ops);
        SERVER_TRY(server_error(x, "ERR BITFIELD_RO only supports the GET "
                                "subcommand"));
    }
    const value *v;
    int lk = server_lookup(x, 1, VALUE_STRING, &v);
    if (lk != SERVER_OK) {
        free(ops);
        SERVER_TRY(lk);
    }
    pstring *tmp = NULL;
    const pstring *s = NULL;
    if (v != NULL && (s = as_pstring(v, &tmp)) == NULL) {
        free(ops);
        return -1;
    }
    rc = reply_array(x->out, n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int64_t val = 0;
        pstring_bitfield_get(s, ops[i].off, ops[i].bits, ops[i].is_signed,
                             &val);
        rc = reply_integer(x->out, val);
    }
    pstring_release(tmp);
    free(ops);
    return rc;
}

#define R SERVER_CMD_READ

const server_command server_cmds_bits[] = {
    {.name = "getbit", .arity = 3, .flags = R | SERVER_CMD_FAST,
     .fn = cmd_getbit, .first_key = 1, .last_key = 1, .key_step = 1,
     .group = "bitmap", .since = "2.2.0",
     .summary = "Returns the bit value at offset in the string value "
                "stored at key"},
    {.name = "bitcount", .arity = -2, .flags = R, .fn = cmd_bitcount,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "bitmap",
     .since = "2.6.0", .summary = "Count set bits in a string"},
    {.name = "bitpos", .arity = -3, .flags = R, .fn = cmd_bitpos,
     .first_key = 1, .last_key = 1, .key_step = 1, .group = "bitmap",
     .since = "2.8.7", .summary = "Find first bit set or clear in a string"},
    {.name = "bitfield_ro", .arity = -2, .flags = R | SERVER_CMD_FAST,
     .fn = cmd_bitfield_ro, .first_key = 1, .last_key = 1, .key_step = 1,
     .group = "bitmap", .since = "6.0.0",
     .summary = "Perform arbitrary bitfield integer operations on strings. "
                "Read-only variant of BITFIELD"},
    {.name = NULL},
};
