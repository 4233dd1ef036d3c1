/* fault_ex.c - exercise 12.2: a fault kind, a full resync sent
 * diskless (see fault_ex.h). */
#include "fault_ex.h"

#include <stdio.h>

/* Starter: not written yet.  Read the three settings, sync_full and the
 * log size; set diskless with no delay and a 16 KB backlog; SIGSTOP the
 * replica, kill its link, write past the backlog, SIGCONT it; wait for
 * the full resync and the link; check one full resync and the log line;
 * put the settings back, also when a step failed. */
int cc_fault_diskless_resync(cc_env *env, char *err, size_t errsz)
{
    (void)env;
    snprintf(err, errsz, "not written yet");
    return -1;
}
