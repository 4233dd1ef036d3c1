/* zipf.c - exercise 4.2: write the zipfian generator.
 *
 * Plan: zipf_init() fills z->cdf with the running sums of 1 / (k+1)^s,
 * divided by their total; zipf_next() draws a uniform double in [0, 1)
 * from a small generator (splitmix64 is enough) and binary-searches cdf
 * for the first entry above it.  zipf_free() frees cdf.
 */
#include "zipf.h"

#include <stdlib.h>

int zipf_init(zipf *z, size_t n, double s, uint64_t seed)
{
    (void)n; /* exercise 4.2: validate, build the cdf, seed the generator */
    (void)s;
    (void)seed;
    z->cdf = NULL;
    return -1;
}

size_t zipf_next(zipf *z)
{
    (void)z; /* exercise 4.2: draw u in [0,1), binary-search the cdf */
    return 0;
}

void zipf_free(zipf *z)
{
    free(z->cdf);
    z->cdf = NULL;
}
