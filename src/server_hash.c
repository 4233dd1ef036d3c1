/* server_hash.c - read commands of one family: hashes: HGET, HGETALL, HSCAN, ....
 * Chapter 11.
 *
 * (Being written: the table is empty until the family lands.)
 */
#include "server_cmd.h"

const server_command server_cmds_hash[] = {
    {.name = NULL},
};
