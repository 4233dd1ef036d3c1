/* cmd_table.c - the command table the dispatcher reads: every family's table.
 * Chapter 9.
 *
 * One line per command family (cmd.h declares each family's table); the
 * dispatcher looks a name up in these tables in order.
 */
#include "cmd.h"

#include <stddef.h>

/** Every family's table, NULL-terminated. */
const cmd_spec *const cmd_tables[] = {
    cmd_zset_table,
    cmd_zstore_table,
    cmd_geo_table,
    NULL,
};
