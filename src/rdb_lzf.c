/* rdb_lzf.c - LZF decompression, as Redis uses it for long strings.
 * Chapter 7.
 *
 * LZF is a byte-oriented LZ77 variant.  Each step starts with a control
 * byte c:
 *   c < 32        a literal run: the next c + 1 bytes are copied as is;
 *   c >= 32       a back-reference: length (c >> 5) + 2, where a length
 *                 field of 7 means "add the next byte"; the distance is
 *                 ((c & 31) << 8) + next byte + 1, counted back from the
 *                 current end of the output.
 * A back-reference may overlap what it produces (distance 1, length 100
 * repeats one byte 100 times), so it is copied byte by byte.
 *
 * Every read and write is bounds-checked: the input comes from a file that
 * may be corrupt, and the output size is what the file claims.
 */
#include "rdb_reader.h"

int rdb_lzf_decompress(const unsigned char *in, size_t in_len,
                       unsigned char *out, size_t out_len, const char **why)
{
    /* learn: ch07 rdb_lzf_decompress "The format from the bytes up" */
    size_t ip = 0, op = 0;
    while (ip < in_len) {
        unsigned c = in[ip++];
        if (c < 32) {
            size_t run = c + 1;
            if (run > in_len - ip) {
                *why = "literal run past the end of the input";
                return -1;
            }
            if (run > out_len - op) {
                *why = "output longer than declared";
                return -1;
            }
            for (size_t i = 0; i < run; i++)
                out[op++] = in[ip++];
        } else {
            size_t len = c >> 5;
            if (len == 7) {
                if (ip >= in_len) {
                    *why = "back-reference length past the end of the input";
                    return -1;
                }
                len += in[ip++];
            }
            len += 2;
            if (ip >= in_len) {
                *why = "back-reference distance past the end of the input";
                return -1;
            }
            size_t dist = ((size_t)(c & 31) << 8) + in[ip++] + 1;
            if (dist > op) {
                *why = "back-reference before the start of the output";
                return -1;
            }
            if (len > out_len - op) {
                *why = "output longer than declared";
                return -1;
            }
            for (size_t i = 0; i < len; i++, op++)
                out[op] = out[op - dist];
        }
    }
    if (op != out_len) {
        *why = "output shorter than declared";
        return -1;
    }
    return 0;
    /* learn: end */
}
