/* fault_ex.h - exercise 12.2: a fault kind, a full resync sent from disk.
 *
 * The consistency checker (tests/util/cc_run.h) injects faults between
 * batches of writes: each is one function that does something to the
 * link, checks that it had the effect it claims, and returns; then the
 * checker waits for the replica to catch up and compares every key.  A
 * new kind of fault is one such function in a cc_fault table.
 *
 * cc_run() starts its master with Redis 7.0's default repl-diskless-sync
 * yes and a delay of 0, so every full resync the built-in faults force
 * (backlog-small, replica-restart in tests/util/cc_fault.c) is diskless:
 * `$EOF:<mark>`, the data, the same 40-byte mark.  Chapter 10 reads a
 * second way of sending a snapshot, which those faults never reach: the
 * master saves it to disk first and sends `$<length>` then exactly that
 * many bytes (src/repl_fullsync.c).  This fault makes sure that path is
 * taken, and puts the master's configuration back afterwards.
 *
 * cc_fault_disk_resync(), exactly:
 * 1. read the master's repl-diskless-sync and repl-backlog-size (CONFIG
 *    GET), its INFO stats sync_full, and the size of its log file
 *    (env->master.dir + "/redis.log");
 * 2. CONFIG SET repl-diskless-sync no (save the snapshot first, send it
 *    with its length) and repl-backlog-size 16384;
 * 3. force a full resync: SIGSTOP the replica (env->replica_pid), kill
 *    its link on the master (CLIENT KILL USER default TYPE replica: the
 *    Redis replica that cc_run() runs beside it connects as another user
 *    and keeps its link), write well over 16 KB to the master (the
 *    replica's offset leaves the backlog, so the master must refuse its
 *    PSYNC), SIGCONT the replica;
 * 4. wait (at most CC_DISK_WAIT_MS) until sync_full has risen and the
 *    replica's INFO replication says master_link_status:up;
 * 5. check the effect: sync_full rose by exactly one, and the part of the
 *    master's log written since step 1 holds CC_DISK_LOG_LINE and no
 *    CC_DISK_SOCKETS_LINE;
 * 6. CONFIG SET the values read in step 1 back.
 * Whatever step fails, a stopped replica is continued and the settings
 * changed in step 2 are put back, and the function returns -1 with a
 * message in err naming the step: a fault that leaves a 16 KB backlog
 * behind would turn every later link kill of the run into a full resync,
 * and one that leaves diskless off would take the other faults' path
 * away.  No replica connected (CLIENT KILL kills nothing) is such a
 * failure.
 *
 * Use only the public test helpers (redis_server.h, resp_client.h,
 * cc_dump.h): the tests also call the fault with a cc_env of their own,
 * outside cc_run().
 */
#ifndef EX_FAULT_H
#define EX_FAULT_H

#include "cc_run.h"

#include <stddef.h>

/** The master's log line for a snapshot saved to disk first and sent
 *  with its length (redis/redis 7.0 src/replication.c,
 *  startBgsaveForReplication()). */
#define CC_DISK_LOG_LINE "Starting BGSAVE for SYNC with target: disk"
/** The same function's line for a snapshot streamed to the replicas'
 *  sockets, which must not appear. */
#define CC_DISK_SOCKETS_LINE "Starting BGSAVE for SYNC with target: replicas sockets"
/** How many settings step 2 changes (repl-diskless-sync, repl-backlog-size). */
#define CC_DISK_NSETTINGS 2
/** How long step 4 waits for the resync. */
#define CC_DISK_WAIT_MS 30000

/**
 * Force a full resync of the replica with a snapshot saved to disk and
 * sent with its length, check it happened, and restore the master's
 * settings (see above).
 * \param env   the run's processes.
 * \param err   receives the reason on failure.
 * \param errsz size of err.
 * \return 0, or -1 with err set; either way the replica is running and
 *         the master's two settings are what they were (unless the
 *         master stopped answering, which err then says).
 * Thread-safety: one fault at a time per env.
 */
int cc_fault_disk_resync(cc_env *env, char *err, size_t errsz);

#endif
