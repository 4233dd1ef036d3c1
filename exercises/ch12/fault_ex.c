/* fault_ex.c - exercise 12.2: a fault kind, a full resync sent from
 * disk with its length (see fault_ex.h). */
#include "fault_ex.h"

#include <stdio.h>

/* Starter: not written yet.  Read the two settings, sync_full and the log
 * size; set repl-diskless-sync no and a 16 KB backlog; SIGSTOP the
 * replica, kill its link, write past the backlog, SIGCONT it; wait for
 * the full resync and the link; check one full resync, the disk line and
 * no sockets line; put the settings back, also when a step failed. */
int cc_fault_disk_resync(cc_env *env, char *err, size_t errsz)
{
    (void)env;
    snprintf(err, errsz, "not written yet");
    return -1;
}
