/* server_list.c - read commands of one family: lists: LRANGE, LLEN, LINDEX, LPOS.
 * Chapter 11.
 *
 * (Being written: the table is empty until the family lands.)
 */
#include "server_cmd.h"

const server_command server_cmds_list[] = {
    {.name = NULL},
};
