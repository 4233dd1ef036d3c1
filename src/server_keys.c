/* server_keys.c - read commands of one family: the keyspace: EXISTS, TYPE, TTL, SCAN, DUMP, OBJECT, ....
 * Chapter 11.
 *
 * (Being written: the table is empty until the family lands.)
 */
#include "server_cmd.h"

const server_command server_cmds_keys[] = {
    {.name = NULL},
};
