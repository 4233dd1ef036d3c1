/* histogram.h - exercise 4.1: a latency histogram with percentiles.
 *
 * The benchmark harness keeps 4,096 latency samples per thread and sorts
 * them: simple, but it forgets everything older than the last 4,096 and
 * costs memory per sample.  A log-linear histogram keeps every sample in a
 * fixed array of counters: values below 16 get a bucket each, and every
 * power-of-two range [2^e, 2^(e+1)) above that is cut into 16 equal
 * buckets.  A percentile is then found by walking the counters, and the
 * answer is off by at most one bucket width: 1/16 = 6.25 % of the value.
 */
#ifndef HISTOGRAM_H
#define HISTOGRAM_H

#include <stdint.h>

/** Sub-buckets per power of two (and exact buckets below it). */
#define HIST_SUB 16
/** Buckets: 16 exact ones, then 16 for each of 2^4 .. 2^63. */
#define HIST_BUCKETS (HIST_SUB + 60 * HIST_SUB)

/** A histogram of nanosecond latencies.  Zero it with hist_init(). */
typedef struct hist {
    uint64_t count;                 /**< values recorded */
    uint64_t max;                   /**< largest value recorded */
    uint64_t buckets[HIST_BUCKETS]; /**< counts per bucket */
} hist;

/**
 * Make an empty histogram.
 * \param h the histogram.
 */
void hist_init(hist *h);

/**
 * Record one value.
 * \param h  the histogram.
 * \param ns the value, any uint64_t (UINT64_MAX included).
 */
void hist_record(hist *h, uint64_t ns);

/**
 * The p-th percentile, nearest rank: the smallest recorded value v such
 * that at least p % of the values are <= v, reported as the upper bound
 * of v's bucket, but never above the largest value recorded.
 * So the answer is >= the exact percentile and at most 1/16 above it.
 * \param h the histogram.
 * \param p the percentile, 0 < p <= 100 (p <= 0 is treated as the minimum).
 * \return the percentile, or 0 when nothing was recorded.
 */
uint64_t hist_percentile(const hist *h, double p);

#endif
