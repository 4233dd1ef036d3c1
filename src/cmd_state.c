/* cmd_state.c - the applier's state as the replication link steers it.
 * Chapter 10.
 *
 * The applier of chapter 9 learns its database from SELECT and its
 * transactions from MULTI and EXEC, all in the stream.  A replication link
 * knows two things the stream does not say: where a full sync's stream
 * starts (the snapshot's repl-stream-db AUX field, since a master resends
 * SELECT only when its own database changes), and that the link broke in
 * the middle of a transaction, which the master will resend whole from
 * before its MULTI.  These functions let the link say so (and
 * cmd_applier_abort() lets it drop a read it could not finish); they are
 * apart from cmd.c because they are chapter 10's, not part of applying a
 * command.
 */
#include "cmd.h"
#include "cmd_private.h"

#include <errno.h>

int cmd_applier_select(cmd_applier *a, unsigned db)
{
    if (a->in_multi) {
        errno = EBUSY;
        return -1;
    }
    if (db >= keyspace_databases(a->ks)) {
        errno = EINVAL;
        return -1;
    }
    a->db = db;
    return 0;
}

bool cmd_applier_in_multi(const cmd_applier *a)
{
    return a->in_multi;
}

bool cmd_applier_discard(cmd_applier *a)
{
    if (!a->in_multi)
        return false;
    cmd_txn_drop(a);
    return true;
}

void cmd_applier_abort(cmd_applier *a)
{
    if (keyspace_in_batch(a->ks)) {
        keyspace_abort(a->ks);
        a->db = a->db_at_begin;
    }
    cmd_txn_drop(a);
}
