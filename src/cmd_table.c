/* cmd_table.c - the list of command tables the applier dispatches over.
 * Chapter 9.
 *
 * Each command family keeps its own table in its own file (cmd_string.c
 * has cmd_string_table, ...), so adding a family touches no other
 * family: it adds its file and one line here.  The dispatcher (cmd.c)
 * reads this list once, at first use, and builds one lookup index over
 * every entry, so the order here is only the order in which
 * cmd_applier_counts() reports.  A name that appears twice is a
 * programming error that the index build reports on stderr.
 *
 * A container command (FUNCTION, SCRIPT, XGROUP, as Redis's table calls
 * them) may list its subcommands as entries named "container|sub", e.g.
 * "function|load", each with the subcommand's own arity as Redis's
 * `COMMAND INFO function|load` reports it; the dispatcher then resolves and
 * checks the subcommand, with Redis's errors, before anything runs.
 */
#include "cmd_private.h"

#include <stddef.h>

const cmd_spec *const cmd_tables[] = {
    cmd_txn_table,
    cmd_db_table,
    cmd_server_table,
    cmd_string_table,
    cmd_bits_table,
    cmd_hll_table,
    cmd_keys_table,
    cmd_expire_table,
    cmd_restore_table,
    cmd_sort_table,
    cmd_zset_table,
    cmd_zstore_table,
    cmd_geo_table,
    cmd_stream_table,
    cmd_xgroup_table,
    cmd_list_table,
    cmd_hash_table,
    cmd_set_table,
    NULL,
};
