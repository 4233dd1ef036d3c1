/* load_hist.c - log-bucketed latency histograms.  Chapter 12.
 *
 * A load test records millions of latencies; keeping them all to sort
 * would cost more memory than the replica.  Like HdrHistogram, each power
 * of two of microseconds is cut into 16 equal sub-buckets, so a bucket is
 * at most 1/16 (about 6%) of its values wide and a percentile read from
 * the bucket's upper edge is that close to the truth, in 3.5 KB per
 * histogram.  Each thread owns its histograms; the report merges them.
 */
#include "load.h"

/* Bucket of v: values below 16 get their own; above, the power of two
 * (bit length minus 4) picks a row of 16 and the 4 bits below the top
 * bit pick the column. */
static unsigned bucket_of(uint64_t v)
{
    if (v < 16)
        return (unsigned)v;
    unsigned bits = 64u - (unsigned)__builtin_clzll(v); /* >= 5 */
    unsigned row = bits - 4;
    unsigned col = (unsigned)(v >> (bits - 5)) & 15u;
    unsigned b = row * 16 + col;
    return b < LOAD_HIST_BUCKETS ? b : LOAD_HIST_BUCKETS - 1;
}

/* The largest value that falls in bucket b. */
static uint64_t bucket_top(unsigned b)
{
    if (b < 16)
        return b;
    unsigned row = b / 16, col = b % 16;
    unsigned shift = row - 1; /* bits - 5 */
    return ((uint64_t)(16 + col + 1) << shift) - 1;
}

void load_hist_add(load_hist *h, uint64_t us)
{
    h->b[bucket_of(us)]++;
    h->count++;
    if (us > h->max_us)
        h->max_us = us;
}

void load_hist_merge(load_hist *dst, const load_hist *src)
{
    for (unsigned i = 0; i < LOAD_HIST_BUCKETS; i++)
        dst->b[i] += src->b[i];
    dst->count += src->count;
    if (src->max_us > dst->max_us)
        dst->max_us = src->max_us;
}

uint64_t load_hist_quantile(const load_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (q >= 1.0)
        return h->max_us;
    uint64_t rank = (uint64_t)(q * (double)h->count) + 1;
    if (rank > h->count)
        rank = h->count;
    uint64_t seen = 0;
    for (unsigned i = 0; i < LOAD_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t top = bucket_top(i);
            return top < h->max_us ? top : h->max_us;
        }
    }
    return h->max_us;
}
