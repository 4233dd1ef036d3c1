/* cmd_table.c - the list of command tables the dispatcher reads.
 * Chapter 9.
 *
 * One line per family (each family's table lives in its own file).
 */
#include "cmd.h"

/** Every family's table, NULL-terminated. */
const cmd_spec *const cmd_tables[] = {
    cmd_keys_table,
    cmd_expire_table,
    cmd_restore_table,
    cmd_sort_table,
    NULL,
};
