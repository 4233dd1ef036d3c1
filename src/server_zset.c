/* server_zset.c - read commands of one family: sorted sets: ZRANGE and its forms, ZSCORE, ZUNION, ....
 * Chapter 11.
 *
 * (Being written: the table is empty until the family lands.)
 */
#include "server_cmd.h"

const server_command server_cmds_zset[] = {
    {.name = NULL},
};
