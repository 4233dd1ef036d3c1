/* server_sample.c - random picks for HRANDFIELD and SRANDMEMBER.
 * Chapter 11.
 *
 * See server_sample.h.  Both methods are exact: every k-subset is
 * equally likely (up to the modulo bias of a 64-bit generator over n,
 * below 2^-30 for any collection that fits in memory).
 */
#include "server_sample.h"

#include <stdint.h>
#include <stdlib.h>

size_t server_sample_one(server_ctx *x, size_t n)
{
    return (size_t)(server_rand(x) % n);
}

/* k of n by a partial Fisher-Yates shuffle of 0..n-1. */
static int shuffle(server_ctx *x, size_t n, size_t k, size_t *out)
{
    size_t *idx = malloc(n * sizeof *idx);
    if (idx == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    for (size_t i = 0; i < k; i++) {
        size_t j = i + server_sample_one(x, n - i);
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        out[i] = idx[i];
    }
    free(idx);
    return 0;
}

/* k of n, k small: draw, and keep a draw not seen before.  The table
 * holds position + 1 (0 is empty) and is at least twice k, so a probe
 * ends quickly; with k <= n / 3 a draw is new at least 2 times in 3. */
static int reject(server_ctx *x, size_t n, size_t k, size_t *out)
{
    size_t cap = 16;
    while (cap < 2 * k)
        cap *= 2;
    size_t *tab = calloc(cap, sizeof *tab);
    if (tab == NULL)
        return -1;
    size_t got = 0;
    while (got < k) {
        size_t p = server_sample_one(x, n);
        size_t h = (size_t)((p * UINT64_C(0x9e3779b97f4a7c15)) >> 7) & (cap - 1);
        while (tab[h] != 0 && tab[h] != p + 1)
            h = (h + 1) & (cap - 1);
        if (tab[h] == 0) {
            tab[h] = p + 1;
            out[got++] = p;
        }
    }
    free(tab);
    return 0;
}

int server_sample_distinct(server_ctx *x, size_t n, size_t k, size_t *out)
{
    return k * 3 > n ? shuffle(x, n, k, out) : reject(x, n, k, out);
}

int server_sample_reply(server_ctx *x, const void *coll, size_t n,
                        long long l, size_t per_pick,
                        server_sample_pick_fn *pick)
{
    bool uniq = l >= 0;
    size_t count = uniq ? (size_t)l : (size_t)-l;
    if (count == 0 || n == 0)
        return reply_array(x->out, 0);
    if (uniq && count >= n) {
        if (reply_array(x->out, n * per_pick) != 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (pick(x, coll, i) != 0)
                return -1;
        return 0;
    }
    if (count > SERVER_SAMPLE_MAX)
        return -1;
    if (reply_array(x->out, count * per_pick) != 0)
        return -1;
    if (!uniq || count == 1) {
        for (size_t i = 0; i < count; i++)
            if (pick(x, coll, server_sample_one(x, n)) != 0)
                return -1;
        return 0;
    }
    size_t *pos = malloc(count * sizeof *pos);
    if (pos == NULL || server_sample_distinct(x, n, count, pos) != 0) {
        free(pos);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = pick(x, coll, pos[i]);
    free(pos);
    return rc;
}
