/* zipf.h - exercise 4.2: a zipfian key distribution for the benchmark.
 *
 * The seed's benchmarks read key(i mod 1000): every key equally often.
 * Real caches are skewed: a few keys take most of the reads.  Under a
 * zipfian distribution with exponent s, the key of rank k (0-based) is
 * drawn with probability proportional to 1 / (k + 1)^s; s = 0 is uniform,
 * s = 1 the classic Zipf law (rank 0 is drawn twice as often as rank 1).
 */
#ifndef ZIPF_H
#define ZIPF_H

#include <stddef.h>
#include <stdint.h>

/** A zipfian generator over ranks 0 .. n-1. */
typedef struct zipf {
    size_t n;       /**< number of ranks */
    double s;       /**< exponent, >= 0 */
    double *cdf;    /**< cdf[k] = P(rank <= k); owned */
    uint64_t state; /**< pseudo-random generator state */
} zipf;

/**
 * Prepare a generator.
 * \param z    the generator.
 * \param n    number of ranks, >= 1.
 * \param s    exponent, >= 0 and finite.
 * \param seed any value; the same seed gives the same sequence.
 * \return 0, or -1 when n is 0, s is negative or not finite, or memory
 *         ran out (then z owns nothing).  Free with zipf_free().
 */
int zipf_init(zipf *z, size_t n, double s, uint64_t seed);

/**
 * Draw one rank.
 * \param z a prepared generator (one thread at a time).
 * \return a rank in [0, n).
 */
size_t zipf_next(zipf *z);

/** Free what zipf_init() allocated. \param z the generator. */
void zipf_free(zipf *z);

#endif
