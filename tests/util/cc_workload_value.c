/* cc_workload_value.c - the workload's key names and values (ch12).
 *
 * Key names come from a pool per type: "<prefix><n>" for n below
 * CCW_POOL - 1, one binary name per type (NUL, CR LF, 0xFF inside), and
 * for strings the empty key.  Values are drawn from styles that sit on
 * Redis 7.0's encoding edges: small integers (int encoding) and integer
 * widths, short words (embstr), 43-45 bytes (the embstr/raw limit of 44),
 * 63-65 bytes (hash/zset listpack values up to 64), every byte value,
 * short binary with CR LF and NUL, the empty string, raw strings up to
 * 2000 bytes, and with opts.big strings up to 1 MB.
 */
#include "cc_workload_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_prefix[CCW_TYPES] = {
    "s:", "n:", "f:", "b:", "p:", "h:", "l:", "t:", "z:", "g:", "x:",
};

void ccw_key_arg(ccw *w, int type, int idx)
{
    char buf[32];
    size_t n;
    if (type == CCW_STR && idx == CCW_POOL) {
        n = 0; /* the empty key */
    } else if (idx == CCW_POOL - 1) {
        /* A binary name: NUL, CR LF, a high byte, a space. */
        n = (size_t)snprintf(buf, sizeof buf, "%sbin", type_prefix[type]);
        memcpy(buf + n, "\0\r\n\xff \x01", 6);
        n += 6;
    } else {
        n = (size_t)snprintf(buf, sizeof buf, "%s%d", type_prefix[type], idx);
    }
    ccw_arg(w, buf, n);
}

int ccw_pick(ccw *w, int t)
{
    if (t == CCW_STR && ccw_one_in(w, 40))
        return CCW_POOL;
    if (ccw_one_in(w, 25))
        return CCW_POOL - 1;
    return (int)ccw_below(w, CCW_POOL - 1);
}

int ccw_pick_present(ccw *w, int t, int nonempty)
{
    int cand[CCW_POOL + 1], n = 0;
    for (int i = 0; i <= CCW_POOL; i++) {
        const ccw_key *k = &w->dbs[w->db].k[t][i];
        if ((i < CCW_POOL || t == CCW_STR) && k->st == CCW_PRESENT && (!nonempty || k->lo > 0))
            cand[n++] = i;
    }
    if (n == 0 || ccw_one_in(w, 8))
        return ccw_pick(w, t);
    return cand[ccw_below(w, (uint64_t)n)];
}

ccw_key *ccw_k(ccw *w, int t, int i) { return &w->dbs[w->db].k[t][i]; }

uint32_t ccw_grow(ccw *w, uint32_t lo, uint32_t hi)
{
    if (w->o.big && ccw_one_in(w, 6))
        return (uint32_t)ccw_range(w, 2000, 5000);
    return (uint32_t)ccw_range(w, lo, hi);
}

size_t ccw_max_value(const ccw *w) { return w->o.big ? (1u << 20) : 65536; }

/* Integers on both sides of Redis's encodings: the shared integers (< 10000),
 * listpack immediate widths, intset 16/32/64, int64 edges. */
static const char *const edge_ints[] = {
    "0", "1", "-1", "9999", "10000", "127", "128", "-128", "-129", "4095",
    "4096", "32767", "32768", "-32769", "8388607", "8388608", "2147483647",
    "2147483648", "-2147483649", "9223372036854775807",
    "-9223372036854775808", "007", "-0", "1e3", "3.14",
};

size_t ccw_value(ccw *w, size_t max)
{
    size_t len;
    char buf[300];
    int style = (int)ccw_below(w, 100);
    if (w->o.big && max > 65536 && ccw_one_in(w, 30))
        style = 200;
    if (style < 22) { /* a small integer: int encoding */
        len = (size_t)snprintf(buf, sizeof buf, "%lld",
                               (long long)ccw_range(w, -1000, 100000));
    } else if (style < 30) {
        const char *s = CCW_PICK(w, edge_ints);
        len = strlen(s);
        memcpy(buf, s, len);
    } else if (style < 55) { /* a short word: embstr */
        len = (size_t)snprintf(buf, sizeof buf, "v%llu",
                               (unsigned long long)ccw_below(w, 50));
    } else if (style < 65) { /* the embstr/raw and listpack value edges */
        static const size_t edges[] = {43, 44, 45, 63, 64, 65};
        len = CCW_PICK(w, edges);
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)('a' + (i + ccw_below(w, 3)) % 26);
    } else if (style < 70) { /* every byte value once */
        len = 256;
        for (size_t i = 0; i < 256; i++)
            buf[i] = (char)i;
    } else if (style < 76) { /* short binary: NUL, CR LF, 0xFF */
        len = (size_t)ccw_range(w, 1, 40);
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)ccw_rnd(w);
        if (len >= 4)
            memcpy(buf + ccw_below(w, len - 3), "\r\n\0\xff", 4);
    } else if (style < 81) { /* the empty string */
        len = 0;
    } else if (style < 100) { /* medium: raw strings */
        len = (size_t)ccw_range(w, 46, 2000);
        if (len > max)
            len = max;
        char *b = malloc(len + 1);
        if (b == NULL) {
            w->oom = 1;
            return 0;
        }
        uint64_t salt = ccw_rnd(w);
        for (size_t i = 0; i < len; i++)
            b[i] = (char)('A' + (i / 5 + salt) % 23);
        ccw_arg(w, b, len);
        free(b);
        return len;
    } else { /* big: up to ~1 MB */
        static const size_t bigs[] = {65537, 100000, 300000, 524288, 1000000};
        len = CCW_PICK(w, bigs);
        if (len > max)
            len = max;
        char *b = malloc(len + 1);
        if (b == NULL) {
            w->oom = 1;
            return 0;
        }
        uint64_t salt = ccw_rnd(w);
        for (size_t i = 0; i < len; i++)
            b[i] = (char)((i * 31 + salt) >> 3);
        ccw_arg(w, b, len);
        free(b);
        return len;
    }
    if (len > max)
        len = max;
    ccw_arg(w, buf, len);
    return len;
}

