/* server_info.c - read commands of one family: introspection: INFO, ROLE, CONFIG GET, TIME, LASTSAVE, COMMAND.
 * Chapter 11.
 *
 * (Being written: the table is empty until the family lands.)
 */
#include "server_cmd.h"

const server_command server_cmds_info[] = {
    {.name = NULL},
};
