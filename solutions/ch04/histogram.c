/* histogram.c - exercise 4.1, solved: a log-linear latency histogram.
 *
 * Values below 16 have a bucket each.  A larger value v has its highest
 * set bit at position e >= 4; the 4 bits under it pick one of 16 equal
 * sub-ranges of [2^e, 2^(e+1)), so a bucket is 2^(e-4) wide: 1/16 of the
 * values it holds, at most.  Recording is a few shifts and one increment;
 * a percentile walks at most 976 counters.
 */
#include "histogram.h"

#include <math.h>
#include <string.h>

void hist_init(hist *h)
{
    memset(h, 0, sizeof *h);
}

static int bucket_of(uint64_t v)
{
    if (v < HIST_SUB)
        return (int)v;
    int e = 63 - __builtin_clzll(v);            /* 4 .. 63 */
    int sub = (int)((v >> (e - 4)) & (HIST_SUB - 1));
    return HIST_SUB + (e - 4) * HIST_SUB + sub;
}

/* The largest value that falls in bucket b. */
static uint64_t upper_of(int b)
{
    if (b < HIST_SUB)
        return (uint64_t)b;
    int e = (b - HIST_SUB) / HIST_SUB + 4, sub = (b - HIST_SUB) % HIST_SUB;
    uint64_t width = UINT64_C(1) << (e - 4);
    uint64_t low = (UINT64_C(1) << e) + (uint64_t)sub * width;
    return low + (width - 1); /* no overflow: the top bucket ends at 2^64-1 */
}

void hist_record(hist *h, uint64_t ns)
{
    h->buckets[bucket_of(ns)]++;
    h->count++;
    if (ns > h->max)
        h->max = ns;
}

uint64_t hist_percentile(const hist *h, double p)
{
    if (h->count == 0)
        return 0;
    double r = ceil(p / 100.0 * (double)h->count);
    uint64_t rank = r < 1 ? 1 : r > (double)h->count ? h->count : (uint64_t)r;
    uint64_t seen = 0;
    for (int b = 0; b < HIST_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank) {
            uint64_t up = upper_of(b);
            return up < h->max ? up : h->max;
        }
    }
    return h->max;
}
