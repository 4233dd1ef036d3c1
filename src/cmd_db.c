/* cmd_db.c - SELECT, SWAPDB, FLUSHDB and FLUSHALL: commands on whole databases.
 * Chapter 9.
 *
 * A replication stream names its database with SELECT before the first
 * command of another one (redis/redis src/replication.c,
 * replicationFeedSlaves()), so SELECT changes the applier's state, not
 * the data: the handler only sets c->db, which the applier keeps for the
 * commands that follow (inside a MULTI too, as Redis's SELECT does).
 * SWAPDB and the flushes are the keyspace's O(1) swap and its flush, in
 * the open batch.  Argument checks and reply texts follow redis/redis
 * src/db.c (selectCommand(), swapdbCommand(), getFlushCommandFlags()) and
 * src/object.c (getIntFromObjectOrReply()); ASYNC and SYNC are both
 * accepted and mean the same here, since a flushed version is freed by
 * the store's reclamation whatever the flag says.
 */
#include "cmd.h"

#include <errno.h>
#include <limits.h>

/* getIntFromObjectOrReply(): a long long (else CMD_ERR_NOTINT, or msg),
 * then within int (else Redis's range text, or msg). */
static int arg_int32(cmd_ctx *c, size_t i, const char *msg, int *out)
{
    long long v;
    if (cmd_arg_int(c, i, &v) != 0) {
        if (msg != NULL)
            return cmd_error_arg(c, (int)i, "%s", msg);
        return -1;
    }
    if (v < INT_MIN || v > INT_MAX) {
        if (msg != NULL)
            return cmd_error_arg(c, (int)i, "%s", msg);
        return cmd_error_arg(c, (int)i, "ERR value is out of range, value "
                             "must between %d and %d", INT_MIN, INT_MAX);
    }
    *out = (int)v;
    return 0;
}

static int db_select(cmd_ctx *c)
{
    int id = 0;
    if (arg_int32(c, 1, NULL, &id) != 0)
        return -1;
    if (id < 0 || (unsigned)id >= keyspace_databases(c->ks))
        return cmd_error_arg(c, 1, "ERR DB index is out of range");
    c->db = (unsigned)id;
    return 0;
}

static int db_swapdb(cmd_ctx *c)
{
    int a = 0, b = 0;
    if (arg_int32(c, 1, "ERR invalid first DB index", &a) != 0 ||
        arg_int32(c, 2, "ERR invalid second DB index", &b) != 0)
        return -1;
    unsigned n = keyspace_databases(c->ks);
    if (a < 0 || (unsigned)a >= n)
        return cmd_error_arg(c, 1, "ERR DB index is out of range");
    if (b < 0 || (unsigned)b >= n)
        return cmd_error_arg(c, 2, "ERR DB index is out of range");
    if (keyspace_swap(c->ks, (unsigned)a, (unsigned)b) != 0)
        return -1; /* ENOMEM: the range was checked */
    return 0;
}

/* getFlushCommandFlags(): nothing, ASYNC or SYNC. */
static int flush_flags(cmd_ctx *c)
{
    if (c->argc > 2)
        return cmd_error(c, CMD_ERR_SYNTAX);
    if (c->argc == 2 && !cmd_arg_is(c, 1, "async") &&
        !cmd_arg_is(c, 1, "sync"))
        return cmd_error_arg(c, 1, CMD_ERR_SYNTAX);
    return 0;
}

static int db_flushdb(cmd_ctx *c)
{
    if (flush_flags(c) != 0)
        return -1;
    return keyspace_flush(c->ks, c->db) < 0 ? -1 : 0;
}

static int db_flushall(cmd_ctx *c)
{
    if (flush_flags(c) != 0)
        return -1;
    return keyspace_flush(c->ks, KEYSPACE_ALL_DBS) < 0 ? -1 : 0;
}

/* Arity as `COMMAND INFO` of redis-server 7.0.15 reports it. */
const cmd_spec cmd_db_table[] = {
    {"select", 2, CMD_NOTDATA, db_select},
    {"swapdb", 3, CMD_WRITE, db_swapdb},
    {"flushdb", -1, CMD_WRITE, db_flushdb},
    {"flushall", -1, CMD_WRITE, db_flushall},
    {0},
};
