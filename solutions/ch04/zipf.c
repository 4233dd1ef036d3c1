/* zipf.c - exercise 4.2, solved: zipfian ranks by inverse CDF.
 *
 * The table of cumulative probabilities costs n doubles once; each draw is
 * one splitmix64 step and a binary search, O(log n).  (Gray et al.'s
 * rejection-free formula avoids the table, but the table is exact and easy
 * to check.)
 */
#include "zipf.h"

#include <math.h>
#include <stdlib.h>

int zipf_init(zipf *z, size_t n, double s, uint64_t seed)
{
    z->cdf = NULL;
    if (n == 0 || !(s >= 0) || isinf(s))
        return -1;
    double *cdf = malloc(n * sizeof *cdf);
    if (cdf == NULL)
        return -1;
    double sum = 0;
    for (size_t k = 0; k < n; k++) {
        sum += 1.0 / pow((double)(k + 1), s);
        cdf[k] = sum;
    }
    for (size_t k = 0; k < n; k++)
        cdf[k] /= sum;
    cdf[n - 1] = 1.0; /* no rounding gap at the top */
    *z = (zipf){.n = n, .s = s, .cdf = cdf, .state = seed};
    return 0;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

size_t zipf_next(zipf *z)
{
    double u = (double)(splitmix64(&z->state) >> 11) * 0x1.0p-53; /* [0,1) */
    size_t lo = 0, hi = z->n - 1;
    while (lo < hi) { /* first k with cdf[k] > u */
        size_t mid = lo + (hi - lo) / 2;
        if (z->cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void zipf_free(zipf *z)
{
    free(z->cdf);
    z->cdf = NULL;
}
