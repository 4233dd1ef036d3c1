/* server_bits.c - read commands of one family: bitmaps: GETBIT, BITCOUNT, BITPOS, BITFIELD_RO.
 * Chapter 11.
 *
 * (Being written: the table is empty until the family lands.)
 */
#include "server_cmd.h"

const server_command server_cmds_bits[] = {
    {.name = NULL},
};
