/* server_sort.c - read commands of one family: SORT_RO.
 * Chapter 11.
 *
 * (Being written: the table is empty until the family lands.)
 */
#include "server_cmd.h"

const server_command server_cmds_sort[] = {
    {.name = NULL},
};
