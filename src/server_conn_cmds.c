/* server_conn_cmds.c - read commands of one family: the connection: PING, ECHO, HELLO, AUTH, SELECT, CLIENT, ....
 * Chapter 11.
 *
 * (Being written: the table is empty until the family lands.)
 */
#include "server_cmd.h"

const server_command server_cmds_conn[] = {
    {.name = NULL},
};
