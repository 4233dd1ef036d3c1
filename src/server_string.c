/* server_string.c - read commands of one family: strings: GET, MGET, STRLEN, GETRANGE, SUBSTR, LCS.
 * Chapter 11.
 *
 * (Being written: the table is empty until the family lands.)
 */
#include "server_cmd.h"

const server_command server_cmds_string[] = {
    {.name = NULL},
};
