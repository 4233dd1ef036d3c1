/* server_hll.c - read commands of one family: HyperLogLog: PFCOUNT without writing.
 * Chapter 11.
 *
 * On a master, PFCOUNT of one key whose cached cardinality is stale
 * stores the fresh estimate in the value's cache bytes (chapter 9's
 * cmd_hll.c replays that write on the replica).  A client of the replica
 * cannot write, and Redis's replica computes the estimate without keeping
 * it in the master's data set either; so this PFCOUNT only reads: it
 * computes the same number from the same registers (hll_count(), cache
 * used when valid) and leaves the bytes as they are, so a later GET or
 * DUMP still matches the master.
 *
 * Errors as Redis 7.0 replies them (redis/redis src/hyperloglog.c,
 * pfcountCommand(), isHLLObjectOrReply()): a key of another type is the
 * usual WRONGTYPE; a string that does not start as an HLL is "WRONGTYPE
 * Key is not a valid HyperLogLog string value."; one whose body does not
 * decode "INVALIDOBJ Corrupted HLL object detected"; keys are checked in
 * argument order, so the first bad key decides.
 */
#include "server_cmd.h"

#include "alloc.h"
#include "hll.h"

#include <errno.h>
#include <stdlib.h>

/* Argument i's HLL bytes, copied flat into *bytes (xmalloc()ed; NULL for
 * a missing key), checked as Redis checks them. */
static int hll_arg(server_ctx *x, size_t i, unsigned char **bytes,
                   size_t *len)
{
    const value *v;
    *bytes = NULL;
    *len = 0;
    int rc = server_lookup(x, i, VALUE_STRING, &v);
    if (rc != SERVER_OK)
        return rc;
    if (v == NULL)
        return SERVER_OK;
    size_t n = value_str_len(v);
    unsigned char hdr[HLL_HDR_SIZE] = {0};
    value_str_read(v, 0, hdr, sizeof hdr);
    if (!hll_header_ok(hdr, n))
        return server_error(x, "WRONGTYPE Key is not a valid HyperLogLog "
                            "string value.");
    if ((*bytes = xmalloc(n)) == NULL)
        return SERVER_NOMEM;
    *len = value_str_read(v, 0, *bytes, n);
    if (hll_validate(*bytes, *len, NULL) != 0) {
        free(*bytes);
        *bytes = NULL;
        return server_error(x, "INVALIDOBJ Corrupted HLL object detected");
    }
    return SERVER_OK;
}

/* PFCOUNT key [key ...] */
static int cmd_pfcount(server_ctx *x)
{
    size_t nk = x->argc - 1;
    unsigned char **p = xcalloc(nk, sizeof *p);
    size_t *lens = xcalloc(nk, sizeof *lens);
    int rc = SERVER_NOMEM;
    if (p == NULL || lens == NULL)
        goto out;
    for (size_t j = 0; j < nk; j++)
        if ((rc = hll_arg(x, j + 1, &p[j], &lens[j])) != SERVER_OK)
            goto out;
    uint64_t card = 0;
    unsigned char cache[HLL_CACHE_LEN];
    int changed;
    if (nk == 1 && p[0] == NULL) {
        rc = reply_integer(x->out, 0) == 0 ? SERVER_OK : SERVER_NOMEM;
        goto out;
    }
    if (hll_count((const unsigned char *const *)p, lens, nk, &card, cache,
                  &changed, NULL) != 0) {
        rc = errno == EINVAL
                 ? server_error(x, "INVALIDOBJ Corrupted HLL object detected")
                 : SERVER_NOMEM;
        goto out;
    }
    rc = reply_integer(x->out, (int64_t)card) == 0 ? SERVER_OK : SERVER_NOMEM;
out:
    if (p != NULL)
        for (size_t j = 0; j < nk; j++)
            free(p[j]);
    free(p);
    free(lens);
    return rc == SERVER_NOMEM ? -1 : 0;
}

const server_command server_cmds_hll[] = {
    {.name = "pfcount", .arity = -2, .flags = SERVER_CMD_READ,
     .fn = cmd_pfcount, .first_key = 1, .last_key = -1, .key_step = 1,
     .group = "hyperloglog", .since = "2.8.9",
     .summary = "Return the approximated cardinality of the set(s) "
                "observed by the HyperLogLog at key(s)"},
    {.name = NULL},
};
