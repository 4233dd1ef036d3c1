/* lzf_ex.h - exercise 7.1: an LZF decompressor that cannot be fooled.
 *
 * Redis compresses strings longer than 20 bytes with LZF when saving
 * (rdbcompression yes).  The format is a sequence of steps, each starting
 * with a control byte c:
 *   c < 32   literal run: copy the next c + 1 input bytes to the output;
 *   c >= 32  back-reference: len = c >> 5; if len == 7, add the next input
 *            byte; copy len + 2 bytes starting ((c & 31) << 8) + next byte
 *            + 1 bytes back in the output.  Source and destination may
 *            overlap (distance 1 repeats the last byte), so copy forwards,
 *            byte by byte.
 * The file says how long the output must be.  Input from a file is
 * untrusted: every read and write must stay in bounds, and an output that
 * ends up shorter or longer than declared is an error.
 */
#ifndef EX_LZF_H
#define EX_LZF_H

#include <stddef.h>

/**
 * Decompress LZF data into exactly out_len bytes.
 *
 * \param in      compressed bytes.
 * \param in_len  how many.
 * \param out     destination, out_len bytes.
 * \param out_len the declared decompressed size.
 * \return 0 on success; -1 if the input is malformed (literal or
 *         back-reference past the end of the input, reference before the
 *         start of the output, output longer or shorter than out_len).
 */
int ex_lzf_decompress(const unsigned char *in, size_t in_len,
                      unsigned char *out, size_t out_len);

#endif
