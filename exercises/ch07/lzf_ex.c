/* lzf_ex.c - exercise 7.1: write ex_lzf_decompress() (see lzf_ex.h).
 *
 * Hints: keep two indices, ip into the input and op into the output, and
 * check before every read and every write.  A back-reference's distance is
 * counted from op, so it is valid only if distance <= op.  Run
 * `make exercise CH=07` until the ex07_lzf tests pass.
 */
#include "lzf_ex.h"

int ex_lzf_decompress(const unsigned char *in, size_t in_len,
                      unsigned char *out, size_t out_len)
{
    /* Exercise 7.1: decode literal runs and back-references here. */
    (void)in;
    (void)in_len;
    (void)out;
    (void)out_len;
    return -1;
}
