/* ch07_backlen_width.c - chapter 7's listpack reader, with the width that fits.
 *
 * Chapter 7 shows its listpack boundary test failing against the first
 * listpack iterator, which gave every back-length the smallest width that
 * holds its value: 2 bytes up to 16,383, 3 up to 2,097,151, 4 up to
 * 268,435,455.  Redis's writer (lpEncodeBacklen in redis/redis
 * src/listpack.c) uses one byte more at exactly those three sizes.  This
 * file makes the failure real: it compiles src/rdb_listpack.c unchanged
 * except for backlen_size(), which it supplies in that first form.
 * `make broken-ch07_backlen_width` links it with chapter 7's suites in
 * place of the library's rdb_listpack.o.
 *
 * Why it is wrong: the width is not stored anywhere, so a reader walking
 * forwards must compute it exactly as the writer did.  On a 16,383-byte
 * entry this one reads two of the three back-length bytes, decodes 127, and
 * refuses a dump that redis-server itself loads.
 * Never built into the library; only for docs/transcripts.
 */
#include <stddef.h>

#define RDB_LP_BACKLEN_SIZE_GIVEN
static size_t backlen_size(size_t l)
{
    /* the bug: "<=" where Redis writes "<" (16383, 2097151, 268435455) */
    return l <= 127 ? 1 : l <= 16383 ? 2 : l <= 2097151 ? 3
                                        : l <= 268435455 ? 4 : 5;
}
#include "rdb_listpack.c"
