/* fault_ex.h - exercise 12.2: a fault kind, the replica paused.
 *
 * The consistency checker (tests/util/cc_run.h) injects faults between
 * batches of writes: each is one function that does something to the
 * link and returns, after which the checker waits for the replica to
 * catch up and compares every key.  A new kind of fault is one such
 * function in a cc_fault table.
 *
 * This one freezes the replica instead of cutting its link: SIGSTOP, and
 * the process runs no instruction while the master goes on writing.  The
 * socket stays open, the kernel keeps accepting bytes until the receive
 * buffer fills, the master queues the rest in the replica's output
 * buffer, and after SIGCONT the replica must work through the backlog
 * and end up equal to the master, with no resync.  What a long garbage
 * collection pause, a swapped-out process or a debugger does to a real
 * replica.
 *
 * cc_fault_replica_pause(), exactly:
 * 1. connect to the master (env->master, redis_server_connect());
 * 2. SIGSTOP env->replica_pid, and wait until /proc/<pid>/stat shows it
 *    stopped (state 'T');
 * 3. for CC_PAUSE_MS milliseconds, write to the master through
 *    redis_command(): INCR CC_PAUSE_KEY, about every 10 ms;
 * 4. check that the replica is still stopped (state 'T': nothing else
 *    continued it), then SIGCONT it.
 * Whatever step fails, a stopped replica is continued and the connection
 * closed before returning -1 with a message in err naming the step: a
 * fault that leaves the replica frozen would make every later check of
 * the run fail for a reason of its own.
 */
#ifndef EX_FAULT_H
#define EX_FAULT_H

#include "cc_run.h"

#include <stddef.h>

/** How long the replica stays stopped. */
#define CC_PAUSE_MS 1500
/** The key the fault increments on the master while the replica is stopped. */
#define CC_PAUSE_KEY "cc:pause:writes"

/**
 * Stop the replica for CC_PAUSE_MS while writing to the master, then
 * continue it (see above).
 * \param env   the run's processes.
 * \param err   receives the reason on failure.
 * \param errsz size of err.
 * \return 0, or -1 with err set; the replica is never left stopped.
 * Thread-safety: one fault at a time per env.
 */
int cc_fault_replica_pause(cc_env *env, char *err, size_t errsz);

#endif
