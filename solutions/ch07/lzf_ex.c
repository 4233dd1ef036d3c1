/* lzf_ex.c - solution to exercise 7.1: a bounds-checked LZF decompressor. */
#include "lzf_ex.h"

int ex_lzf_decompress(const unsigned char *in, size_t in_len,
                      unsigned char *out, size_t out_len)
{
    size_t ip = 0, op = 0;
    while (ip < in_len) {
        unsigned c = in[ip++];
        if (c < 32) { /* literal run of c + 1 bytes */
            size_t run = (size_t)c + 1;
            if (run > in_len - ip || run > out_len - op)
                return -1;
            for (size_t i = 0; i < run; i++)
                out[op++] = in[ip++];
            continue;
        }
        size_t len = c >> 5; /* back-reference */
        if (len == 7) {
            if (ip >= in_len)
                return -1;
            len += in[ip++];
        }
        len += 2;
        if (ip >= in_len)
            return -1;
        size_t dist = ((size_t)(c & 31) << 8) + in[ip++] + 1;
        if (dist > op || len > out_len - op)
            return -1;
        for (size_t i = 0; i < len; i++, op++)
            out[op] = out[op - dist]; /* forwards: overlap repeats */
    }
    return op == out_len ? 0 : -1;
}
