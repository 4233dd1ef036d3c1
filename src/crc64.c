/* crc64.c - CRC-64 (Jones, reflected), slicing by 8.
 * Chapter 7.
 *
 * A reflected CRC shifts right and feeds each byte into the low end, so one
 * table lookup per byte is enough: table[0][i] is the CRC of the byte i
 * followed by eight zero bits' worth of shifting.  Slicing by 8 adds seven
 * more tables, table[k][i] being the effect of byte i seen k bytes earlier,
 * so eight input bytes fold into the CRC with eight independent lookups and
 * one xor tree instead of a chain of eight dependent steps.
 */
#include "crc64.h"

#include <pthread.h>
#include <string.h>

/* The polynomial 0xad93d23594c935a9 with its bits reversed. */
#define CRC64_POLY_REFLECTED UINT64_C(0x95ac9329ac4bc9b5)

static uint64_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc64_build_tables(void)
{
    for (unsigned i = 0; i < 256; i++) {
        uint64_t c = i;
        for (int bit = 0; bit < 8; bit++)
            c = (c & 1) ? (c >> 1) ^ CRC64_POLY_REFLECTED : c >> 1;
        crc_table[0][i] = c;
    }
    for (unsigned i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            crc_table[k][i] = crc_table[0][crc_table[k - 1][i] & 0xff] ^
                              (crc_table[k - 1][i] >> 8);
}

uint64_t crc64_update(uint64_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    pthread_once(&crc_once, crc64_build_tables);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        /* Byte order: the table layout assumes a little-endian load. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        w ^= crc;
        crc = crc_table[7][w & 0xff] ^ crc_table[6][(w >> 8) & 0xff] ^
              crc_table[5][(w >> 16) & 0xff] ^ crc_table[4][(w >> 24) & 0xff] ^
              crc_table[3][(w >> 32) & 0xff] ^ crc_table[2][(w >> 40) & 0xff] ^
              crc_table[1][(w >> 48) & 0xff] ^ crc_table[0][w >> 56];
        p += 8;
        len -= 8;
    }
    while (len-- > 0)
        crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}
