/* server_set.c - read commands of one family: sets: SMEMBERS, SINTER, SSCAN, ....
 * Chapter 11.
 *
 * (Being written: the table is empty until the family lands.)
 */
#include "server_cmd.h"

const server_command server_cmds_set[] = {
    {.name = NULL},
};
