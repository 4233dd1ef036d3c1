/* fault_ex.h - exercise 12.2: a fault kind, a full resync sent diskless.
 *
 * The consistency checker (tests/util/cc_run.h) injects faults between
 * batches of writes: each is one function that does something to the
 * link, checks that it had the effect it claims, and returns; then the
 * checker waits for the replica to catch up and compares every key.  A
 * new kind of fault is one such function in a cc_fault table.
 *
 * The built-in faults that force a full resync (backlog-small,
 * replica-restart in tests/util/cc_fault.c) do not say how the snapshot
 * travels.  Chapter 10 reads both ways of sending one: a `$<length>`
 * payload the master saved to disk first, and a diskless one streamed by
 * the master's child straight to the replica's socket, `$EOF:<mark>` then
 * the data then the same 40-byte mark, whose end the replica only knows
 * by finding the mark.  This fault makes sure the second path is taken,
 * whatever the master was configured with, and puts the configuration
 * back afterwards.
 *
 * cc_fault_diskless_resync(), exactly:
 * 1. read the master's repl-diskless-sync, repl-diskless-sync-delay and
 *    repl-backlog-size (CONFIG GET), its INFO stats sync_full, and the
 *    size of its log file (env->master.dir + "/redis.log");
 * 2. CONFIG SET repl-diskless-sync yes, repl-diskless-sync-delay 0 (send
 *    at once, do not wait for more replicas) and repl-backlog-size 16384;
 * 3. force a full resync: SIGSTOP the replica (env->replica_pid), kill
 *    its link on the master (CLIENT KILL USER default TYPE replica: the
 *    Redis replica that cc_run() runs beside it connects as another user
 *    and keeps its link), write well over 16 KB to the master (the
 *    replica's offset leaves the backlog, so the master must refuse its
 *    PSYNC), SIGCONT the replica;
 * 4. wait (at most CC_DISKLESS_WAIT_MS) until sync_full has risen and the
 *    replica's INFO replication says master_link_status:up;
 * 5. check the effect: sync_full rose by exactly one, and the part of the
 *    master's log written since step 1 holds CC_DISKLESS_LOG_LINE;
 * 6. CONFIG SET the three values read in step 1 back.
 * Whatever step fails, a stopped replica is continued and the settings
 * changed in step 2 are put back, and the function returns -1 with a
 * message in err naming the step: a fault that leaves a 16 KB backlog
 * behind would turn every later link kill of the run into a full resync.
 * No replica connected (CLIENT KILL kills nothing) is such a failure.
 *
 * Use only the public test helpers (redis_server.h, resp_client.h,
 * cc_dump.h): the tests also call the fault with a cc_env of their own,
 * outside cc_run().
 */
#ifndef EX_FAULT_H
#define EX_FAULT_H

#include "cc_run.h"

#include <stddef.h>

/** The master's log line for a snapshot streamed to the replicas'
 *  sockets (redis/redis 7.0 src/replication.c, startBgsaveForReplication();
 *  "disk" in place of "replicas sockets" for a snapshot saved first). */
#define CC_DISKLESS_LOG_LINE "Starting BGSAVE for SYNC with target: replicas sockets"
/** How long step 4 waits for the resync. */
#define CC_DISKLESS_WAIT_MS 30000

/**
 * Force a full resync of the replica with a diskless snapshot, check it
 * happened, and restore the master's settings (see above).
 * \param env   the run's processes.
 * \param err   receives the reason on failure.
 * \param errsz size of err.
 * \return 0, or -1 with err set; either way the replica is running and
 *         the master's three settings are what they were (unless the
 *         master stopped answering, which err then says).
 * Thread-safety: one fault at a time per env.
 */
int cc_fault_diskless_resync(cc_env *env, char *err, size_t errsz);

#endif
