/* server_stream.c - read commands of one family: streams: XRANGE, XINFO, XPENDING, XREAD (BLOCK too).
 * Chapter 11.
 *
 * (Being written: the table is empty until the family lands.)
 */
#include "server_cmd.h"

const server_command server_cmds_stream[] = {
    {.name = NULL},
};
