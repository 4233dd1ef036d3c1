/* server_pubsub.c - read commands of one family: Pub/Sub: SUBSCRIBE, PSUBSCRIBE, PUBSUB, ....
 * Chapter 11.
 *
 * (Being written: the table is empty until the family lands.)
 */
#include "server_cmd.h"

const server_command server_cmds_pubsub[] = {
    {.name = NULL},
};
