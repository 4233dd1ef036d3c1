/* server_hll.c - read commands of one family: HyperLogLog: PFCOUNT without writing.
 * Chapter 11.
 *
 * (Being written: the table is empty until the family lands.)
 */
#include "server_cmd.h"

const server_command server_cmds_hll[] = {
    {.name = NULL},
};
