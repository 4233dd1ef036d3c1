/* histogram.c - exercise 4.1: write the log-linear histogram.
 *
 * hist_init() is done.  Write hist_record() (find the value's bucket and
 * count it; remember the maximum) and hist_percentile() (walk the buckets
 * until the running count reaches the rank).  The bucket of a value v >= 16
 * is found from e, the position of its highest set bit, and the 4 bits
 * below that one.  See the chapter's Exercises section.
 */
#include "histogram.h"

#include <string.h>

void hist_init(hist *h)
{
    memset(h, 0, sizeof *h);
}

void hist_record(hist *h, uint64_t ns)
{
    (void)h; /* exercise 4.1: count ns in its bucket, update count and max */
    (void)ns;
}

uint64_t hist_percentile(const hist *h, double p)
{
    (void)h; /* exercise 4.1: walk the buckets to the nearest rank */
    (void)p;
    return 0;
}
