/* server_geo.c - read commands of one family: geo: GEOPOS, GEODIST, GEOHASH, GEOSEARCH.
 * Chapter 11.
 *
 * (Being written: the table is empty until the family lands.)
 */
#include "server_cmd.h"

const server_command server_cmds_geo[] = {
    {.name = NULL},
};
