/* fault_ex.c - exercise 12.2: a fault kind, the replica paused (see
 * fault_ex.h). */
#include "fault_ex.h"

#include <stdio.h>

/* Starter: not written yet.  Connect to the master, SIGSTOP the replica
 * and wait for /proc/<pid>/stat to say 'T', INCR CC_PAUSE_KEY for
 * CC_PAUSE_MS, check it is still stopped, SIGCONT it; on any failure
 * continue it before returning -1. */
int cc_fault_replica_pause(cc_env *env, char *err, size_t errsz)
{
    (void)env;
    snprintf(err, errsz, "not written yet");
    return -1;
}
