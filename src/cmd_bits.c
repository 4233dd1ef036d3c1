/* cmd_bits.c - the bitmap commands: SETBIT, BITOP and BITFIELD.
 * Chapter 9; extended in chapter 11.
 *
 * Redis 7.0.15's rules (redis/redis src/bitops.c), restated: bit 0 is the
 * most significant bit of byte 0; a write past the end first grows the
 * string with zero bytes (and creates a missing key); a bit offset is a
 * string2ll() integer, not negative, whose byte (offset / 8) is below
 * proto-max-bulk-len (512 MB), else "ERR bit offset is not an integer or
 * out of range".  Edits keep the key's TTL; BITOP's destination is
 * replaced (its TTL dropped, whatever type it held) or, when every
 * source is empty or missing, deleted.
 *
 * BITFIELD runs its operations in order on one string.  Redis first
 * checks every operation (types, offsets, values), then the key's type,
 * then grows the string to cover the farthest bit any SET or INCRBY
 * writes, and only then runs them, so a write that OVERFLOW FAIL refuses
 * still leaves the string grown.  The arithmetic of one field (reading
 * it, wrapping, saturating, refusing) is chapter 8's pstring_bits.c; a
 * handler runs it on a 9-byte window (a field of up to 64 bits, however
 * it is aligned, lies within 9 bytes) copied out of the value with
 * value_str_read() and writes the window's changed bytes back with
 * value_str_setrange(), so one operation costs the same whether the
 * string is inline or a pstring of any length.
 *
 * Propagation: SETBIT and BITOP are propagated as sent.  BITFIELD is
 * propagated as sent when some write changed a bit or grew the string; a
 * BITFIELD whose only writes FAIL grows the master's string but is not
 * propagated at all (a Redis quirk a replica cannot see).
 *
 * The argument parsers (offsets, types, BITFIELD's operations) are shared
 * with chapter 11's read commands through bits_parse.h.
 */
#include "cmd.h"
#include "cmd_num.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bits_parse.h"
#include "pstring.h"

/* A bit offset (bits_parse.h); with `bits` > 0 the form "#N" means
 * N * bits (BITFIELD). */
static int bit_offset_arg(cmd_ctx *c, size_t i, unsigned bits,
                          uint64_t *out)
{
    if (!bits_parse_offset(c->argv[i].str, c->argv[i].len, bits, out))
        return cmd_error_arg(c, (int)i, BITS_ERR_OFFSET);
    return 0;
}

/* Store v under argument keyi's key (the batch takes it). */
static int put_value(cmd_ctx *c, size_t keyi, value *v)
{
    return keyspace_put(c->ks, c->db, c->argv[keyi].str, c->argv[keyi].len,
                        v);
}

/* ---- SETBIT ------------------------------------------------------------------ */

/* SETBIT key offset 0|1: the offset, then the bit, then the key's type. */
static int cmd_setbit(cmd_ctx *c)
{
    static const char err_bit[] = "ERR bit is not an integer or out of range";
    uint64_t off;
    if (bit_offset_arg(c, 2, 0, &off) != 0)
        return -1;
    long long on;
    if (!cmd_num_string2ll(c->argv[3].str, c->argv[3].len, &on) ||
        (on & ~1LL))
        return cmd_error_arg(c, 3, err_bit);
    const value *old;
    if (cmd_lookup_type(c, 1, VALUE_STRING, &old) != 0)
        return -1;
    value *empty = NULL;
    if (old == NULL) {
        if ((empty = value_new_string(NULL, 0, VALUE_NO_EXPIRY)) == NULL)
            return -1;
        old = empty;
    }
    value *nv;
    int rc = value_str_setbit(old, off, (int)on, &nv, NULL);
    value_free(empty);
    if (rc != 0)
        return -1;
    return put_value(c, 1, nv);
}

/* ---- BITOP ----------------------------------------------------------------------- */

enum { OP_AND, OP_OR, OP_XOR, OP_NOT };

/* BITOP AND|OR|XOR|NOT dest key...: the result is as long as the longest
 * source, a shorter or missing source reading as zero bytes. */
static int cmd_bitop(cmd_ctx *c)
{
    static const char *const names[] = {"AND", "OR", "XOR", "NOT"};
    int op = 0;
    while (op < 4 && !cmd_arg_is(c, 1, names[op]))
        op++;
    if (op == 4)
        return cmd_error_arg(c, 1, CMD_ERR_SYNTAX);
    if (op == OP_NOT && c->argc != 4)
        return cmd_error(c,
                         "ERR BITOP NOT must be called with a single source key.");
    size_t nsrc = c->argc - 3;
    const value **src = xmalloc(nsrc * sizeof *src);
    if (src == NULL)
        return -1;
    size_t maxlen = 0;
    for (size_t j = 0; j < nsrc; j++) {
        if (cmd_lookup_type(c, j + 3, VALUE_STRING, &src[j]) != 0) {
            free(src);
            return -1;
        }
        if (src[j] && value_str_len(src[j]) > maxlen)
            maxlen = value_str_len(src[j]);
    }
    if (maxlen == 0) {
        free(src);
        int rc = keyspace_delete(c->ks, c->db, c->argv[2].str, c->argv[2].len);
        return rc < 0 ? -1 : 0;
    }
    unsigned char *res = xmalloc(maxlen);
    unsigned char buf[4096];
    if (res == NULL) {
        free(src);
        return -1;
    }
    /* Byte j of the result combines byte j of every source, zero past a
     * source's end; sources are read a buffer at a time. */
    memset(res, 0, maxlen);
    if (src[0])
        value_str_read(src[0], 0, res, maxlen);
    if (op == OP_NOT) {
        for (size_t i = 0; i < maxlen; i++)
            res[i] = (unsigned char)~res[i];
    }
    for (size_t j = 1; j < nsrc; j++) {
        size_t len = src[j] ? value_str_len(src[j]) : 0;
        for (size_t off = 0; off < maxlen; off += sizeof buf) {
            size_t n = maxlen - off < sizeof buf ? maxlen - off : sizeof buf;
            size_t got = off < len ? value_str_read(src[j], off, buf, n) : 0;
            memset(buf + got, 0, n - got);
            for (size_t i = 0; i < n; i++) {
                if (op == OP_AND)
                    res[off + i] &= buf[i];
                else if (op == OP_OR)
                    res[off + i] |= buf[i];
                else
                    res[off + i] ^= buf[i];
            }
        }
    }
    free(src);
    value *v = value_new_string(res, maxlen, VALUE_NO_EXPIRY);
    free(res);
    if (v == NULL)
        return -1;
    return put_value(c, 2, v);
}

/* ---- BITFIELD --------------------------------------------------------------------- */

/* Parse every operation (bitfieldGeneric()'s first loop, bits_parse.c).
 * *ops is xmalloc()ed (free it); *highest: the farthest bit a write
 * reaches, or -1 when there are only GETs. */
static int bf_parse(cmd_ctx *c, bits_op **ops, size_t *nops, int64_t *highest)
{
    bits_parse_error err;
    int rc = bits_parse_bitfield(c->argc, c->argv, ops, nops, highest, &err);
    if (rc > 0)
        return cmd_error_arg(c, (int)err.arg, "%s", err.msg);
    return rc;
}

/* Run one SET or INCRBY on *cur (replaced by the new version).  The
 * field's 9-byte window is copied out, edited by pstring_bits.c, and its
 * bytes written back with value_str_setrange(). */
static int bf_write(value **cur, const bits_op *op)
{
    size_t byte = (size_t)(op->off / 8);
    unsigned shift = (unsigned)(op->off % 8);
    size_t span = (shift + op->bits + 7) / 8;
    unsigned char win[9] = {0};
    value_str_read(*cur, byte, win, sizeof win);
    pstring *w = pstring_new(win, sizeof win);
    if (w == NULL)
        return -1;
    pstring *nw = NULL;
    int64_t ignored;
    int rc = op->code == BITS_SET
                 ? pstring_bitfield_set(w, shift, op->bits, op->is_signed,
                                        op->arg, op->ov, &ignored, &nw)
                 : pstring_bitfield_incrby(w, shift, op->bits, op->is_signed,
                                           op->arg, op->ov, &ignored, &nw);
    pstring_release(w);
    if (rc < 0)
        return -1;
    if (rc == 0) { /* FAIL refused the write: nothing to do */
        pstring_release(nw);
        return 0;
    }
    pstring_read(nw, 0, span, win);
    pstring_release(nw);
    value *nv;
    if (value_str_setrange(*cur, byte, win, span, &nv) != 0)
        return -1;
    value_free(*cur);
    *cur = nv;
    return 0;
}

/* BITFIELD key [GET type off] [SET type off value] [INCRBY type off incr]
 * [OVERFLOW WRAP|SAT|FAIL] ... */
static int cmd_bitfield(cmd_ctx *c)
{
    bits_op *ops = NULL;
    size_t nops = 0;
    int64_t highest = -1;
    if (bf_parse(c, &ops, &nops, &highest) != 0)
        return -1;
    /* The key's type is checked even when every operation is a GET. */
    const value *old;
    int t = cmd_lookup_type(c, 1, VALUE_STRING, &old);
    if (t != 0 || highest < 0) {
        free(ops);
        return t; /* a GET-only BITFIELD changes nothing */
    }
    /* Make room up to the farthest bit written, as Redis does before it
     * runs the operations (lookupStringForBitCommand()). */
    size_t need = (size_t)(highest / 8) + 1;
    value *cur = NULL;
    int rc = -1;
    if (old == NULL) {
        unsigned char *zeros = xcalloc(need, 1);
        if (zeros == NULL)
            goto out;
        cur = value_new_string(zeros, need, VALUE_NO_EXPIRY);
        free(zeros);
    } else if (value_str_len(old) < need) {
        static const unsigned char zero = 0;
        value_str_setrange(old, need - 1, &zero, 1, &cur);
    } else {
        value_with_expire(old, old->expire_ms, &cur);
    }
    if (cur == NULL)
        goto out;
    for (size_t i = 0; i < nops; i++)
        if (ops[i].code != BITS_GET && bf_write(&cur, &ops[i]) != 0)
            goto out;
    rc = put_value(c, 1, cur);
    cur = NULL;
out:
    value_free(cur);
    free(ops);
    return rc;
}

/* ---- the table ------------------------------------------------------------------- */

/** The bitmap family (arities as Redis 7.0.15's COMMAND INFO). */
const cmd_spec cmd_bits_table[] = {
    {"setbit", 4, CMD_WRITE, cmd_setbit},
    {"bitop", -4, CMD_WRITE, cmd_bitop},
    {"bitfield", -2, CMD_WRITE, cmd_bitfield},
    {0},
};
