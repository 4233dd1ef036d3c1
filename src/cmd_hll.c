/* cmd_hll.c - the HyperLogLog commands: PFADD, PFMERGE and PFCOUNT.
 * Chapter 9; extended in chapter 11.
 *
 * A HyperLogLog is a string value (hll.h has its layout), so these
 * handlers read the key as a string, let hll.c compute the new bytes and
 * store them like any string edit: the TTL is kept, as Redis edits the
 * value in place (redis/redis src/hyperloglog.c, 7.0.15).
 *
 * PFCOUNT is a write.  Redis flags it read-only, but PFCOUNT of one key
 * whose cached cardinality is stale computes the estimate and stores it in
 * bytes 8-15 of the value; that makes the server dirty, so the master
 * propagates `PFCOUNT key` and the replica must write the same eight bytes,
 * or a later GET (or DUMP) of the key tells the two apart.  PFCOUNT of
 * several keys only reads.
 *
 * Errors, as Redis replies them.  A key holding another type:
 * CMD_ERR_WRONGTYPE.  A string that does not start as an HLL (shorter than
 * the 16-byte header, no "HYLL" magic, an encoding byte above 1, or a
 * dense value of the wrong length; isHLLObjectOrReply()):
 * "WRONGTYPE Key is not a valid HyperLogLog string value.".  A header that
 * passes but a body that does not decode: "INVALIDOBJ Corrupted HLL object
 * detected".  Keys are checked in argument order, each completely, so the
 * first bad key decides the reply.  PFCOUNT and PFMERGE check the body in
 * full (hll_validate(); Redis refuses the same values while it reads
 * them).  PFADD checks only the header, as Redis 7.0 does: it edits a
 * sparse value whose opcodes run past the last register, which APPEND to
 * an HLL produces, and only PFCOUNT then notices; a replica that refused
 * that PFADD would drop its link over a command its master applied.
 */
#include "cmd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hll.h"

static const char ERR_NOT_HLL[] =
    "WRONGTYPE Key is not a valid HyperLogLog string value.";
static const char ERR_CORRUPT[] = "INVALIDOBJ Corrupted HLL object detected";

/* A key's HLL bytes, flattened (an HLL is at most a few KiB; a dense one
 * is exactly HLL_DENSE_SIZE). */
typedef struct hll_in {
    const value *v;       /* the value, or NULL for a missing key */
    unsigned char *bytes; /* xmalloc()ed copy, or NULL */
    size_t len;
} hll_in;

/* Look up argument i as an HLL: type, header and (with body) the body
 * checked in that order (isHLLObjectOrReply(), then the decoding Redis
 * does while it reads).  A missing key is fine (in->v NULL). */
static int hll_arg(cmd_ctx *c, size_t i, hll_in *in, bool body)
{
    memset(in, 0, sizeof *in);
    if (cmd_lookup_type(c, i, VALUE_STRING, &in->v) != 0)
        return -1;
    if (in->v == NULL)
        return 0;
    size_t n = value_str_len(in->v);
    unsigned char hdr[HLL_HDR_SIZE] = {0};
    value_str_read(in->v, 0, hdr, sizeof hdr);
    if (!hll_header_ok(hdr, n))
        return cmd_error_arg(c, (int)i, ERR_NOT_HLL);
    if ((in->bytes = xmalloc(n)) == NULL)
        return -1;
    in->len = value_str_read(in->v, 0, in->bytes, n);
    if (body && hll_validate(in->bytes, in->len, NULL) != 0) {
        free(in->bytes);
        in->bytes = NULL;
        return cmd_error_arg(c, (int)i, ERR_CORRUPT);
    }
    return 0;
}

/* Store new HLL bytes under argument keyi's key with the given expiry. */
static int put_hll(cmd_ctx *c, size_t keyi, const unsigned char *p, size_t n,
                   int64_t expire_ms)
{
    value *v = value_new_string(p, n, expire_ms);
    if (v == NULL)
        return -1;
    return keyspace_put(c->ks, c->db, c->argv[keyi].str, c->argv[keyi].len,
                        v);
}

/* PFADD key [element ...]: a missing key becomes an empty sparse HLL even
 * with no elements. */
static int cmd_pfadd(cmd_ctx *c)
{
    hll_in in;
    if (hll_arg(c, 1, &in, false) != 0) /* PFADD reads as it edits */
        return -1;
    size_t n = c->argc - 2;
    const void **elems = xmalloc((n + 1) * sizeof *elems);
    size_t *lens = xmalloc((n + 1) * sizeof *lens);
    int rc = -1;
    if (elems == NULL || lens == NULL)
        goto out;
    for (size_t j = 0; j < n; j++) {
        elems[j] = c->argv[j + 2].str;
        lens[j] = c->argv[j + 2].len;
    }
    unsigned char *outb = NULL;
    size_t outlen = 0;
    int changed = 0;
    if (hll_add(in.bytes, in.len, elems, lens, n, &outb, &outlen, &changed,
                NULL) != 0) {
        if (errno == EINVAL)
            cmd_error_arg(c, 1, ERR_CORRUPT);
        goto out;
    }
    rc = changed ? put_hll(c, 1, outb, outlen,
                           in.v ? in.v->expire_ms : VALUE_NO_EXPIRY)
                 : 0;
    free(outb);
out:
    free(elems);
    free(lens);
    free(in.bytes);
    return rc;
}

/* PFMERGE dest [src ...]: every key is checked (dest first), then the
 * register-wise maximum is written into dest. */
static int cmd_pfmerge(cmd_ctx *c)
{
    size_t nk = c->argc - 1;
    hll_in *in = xcalloc(nk, sizeof *in);
    const unsigned char **srcs = xcalloc(nk, sizeof *srcs);
    size_t *lens = xcalloc(nk, sizeof *lens);
    int rc = -1;
    if (in == NULL || srcs == NULL || lens == NULL)
        goto out;
    for (size_t j = 0; j < nk; j++)
        if (hll_arg(c, j + 1, &in[j], true) != 0)
            goto out;
    for (size_t j = 1; j < nk; j++) {
        srcs[j - 1] = in[j].bytes;
        lens[j - 1] = in[j].len;
    }
    unsigned char *outb;
    size_t outlen;
    if (hll_merge(in[0].bytes, in[0].len, srcs, lens, nk - 1,
                  HLL_SPARSE_MAX_BYTES, &outb, &outlen, NULL) != 0) {
        if (errno == EINVAL)
            cmd_error(c, ERR_CORRUPT);
        goto out;
    }
    rc = put_hll(c, 1, outb, outlen,
                 in[0].v ? in[0].v->expire_ms : VALUE_NO_EXPIRY);
    free(outb);
out:
    if (in)
        for (size_t j = 0; j < nk; j++)
            free(in[j].bytes);
    free(in);
    free(srcs);
    free(lens);
    return rc;
}

/* PFCOUNT key [key ...]: with one key whose cache is stale, the estimate
 * is written into the value's cache bytes. */
static int cmd_pfcount(cmd_ctx *c)
{
    size_t nk = c->argc - 1;
    hll_in *in = xcalloc(nk, sizeof *in);
    const unsigned char **p = xcalloc(nk, sizeof *p);
    size_t *lens = xcalloc(nk, sizeof *lens);
    int rc = -1;
    if (in == NULL || p == NULL || lens == NULL)
        goto out;
    for (size_t j = 0; j < nk; j++)
        if (hll_arg(c, j + 1, &in[j], true) != 0)
            goto out;
    if (nk > 1 || in[0].v == NULL) {
        rc = 0; /* a union, or a missing key: nothing is written */
        goto out;
    }
    p[0] = in[0].bytes;
    lens[0] = in[0].len;
    uint64_t card;
    unsigned char cache[HLL_CACHE_LEN];
    int changed = 0;
    if (hll_count(p, lens, 1, &card, cache, &changed, NULL) != 0) {
        if (errno == EINVAL)
            cmd_error_arg(c, 1, ERR_CORRUPT);
        goto out;
    }
    rc = 0;
    if (changed) {
        value *nv;
        rc = value_str_setrange(in[0].v, HLL_CACHE_OFFSET, cache,
                                HLL_CACHE_LEN, &nv);
        if (rc == 0)
            rc = keyspace_put(c->ks, c->db, c->argv[1].str, c->argv[1].len,
                              nv);
    }
out:
    if (in)
        for (size_t j = 0; j < nk; j++)
            free(in[j].bytes);
    free(in);
    free(p);
    free(lens);
    return rc;
}

/** The HyperLogLog family (arities as Redis 7.0.15's COMMAND INFO). */
const cmd_spec cmd_hll_table[] = {
    {"pfadd", -2, CMD_WRITE, cmd_pfadd},
    {"pfmerge", -2, CMD_WRITE, cmd_pfmerge},
    {"pfcount", -2, CMD_WRITE, cmd_pfcount},
    {0},
};
