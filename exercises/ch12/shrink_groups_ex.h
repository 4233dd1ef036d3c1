/* shrink_groups_ex.h - exercise 12.1: a shrink that keeps MULTI/EXEC together.
 *
 * check_shrink() (src/check_shrink.h) removes any element it likes.  Over
 * a recorded command sequence that is wrong for transactions: drop the
 * MULTI of "MULTI INCR x EXEC" and the replay sends INCR on its own and
 * an EXEC that fails with "ERR EXEC without MULTI"; drop the EXEC and
 * the INCR is queued and never run.  Either way the shrunk sequence
 * fails for a reason of its own, and the "minimal" answer describes a
 * bug in the shrinking, not in the replica.
 *
 * shrink_groups() shrinks over groups instead of commands: a MULTI, the
 * commands after it and the EXEC or DISCARD that ends it form one group,
 * kept or removed as a whole; every other command is a group of its
 * own.  Every sequence handed to the test is then well-formed, and so is
 * the result.  The rules, exactly:
 *
 * - names are compared case-insensitively ("multi" is MULTI);
 * - a group that begins with MULTI ends at the first EXEC or DISCARD
 *   after it (a MULTI inside it is part of it: Redis refuses the nested
 *   MULTI and goes on queueing);
 * - a MULTI never ended runs to the end of the sequence, as one group;
 * - an EXEC or DISCARD outside a transaction is an ordinary command.
 *
 * The intended solution is short: build the groups, call check_shrink()
 * over group indices with a test that expands them to command indices
 * and calls the caller's, then expand the result.
 */
#ifndef EX_SHRINK_GROUPS_H
#define EX_SHRINK_GROUPS_H

#include "check_shrink.h"

#include <stddef.h>

/**
 * A 1-minimal failing subsequence of cmds, at the level of groups.
 * \param cmds  command names, n of them (none NULL).
 * \param n     how many; fails(0..n-1) must be 1.
 * \param fails the caller's test; it gets command indices, increasing,
 *              always a union of whole groups.
 * \param arg   passed to fails.
 * \param out   receives a malloc'd array of increasing command indices,
 *              a union of whole groups (the caller frees it); NULL when
 *              the return is not 0.
 * \param outn  receives its length.
 * \return 0; 1 if the whole sequence does not fail; -1 if fails() returned
 *         -1, memory ran out (errno ENOMEM) or a name was NULL (EINVAL).
 *         Removing any one group from the result makes fails() say 0.
 */
int shrink_groups(const char *const *cmds, size_t n, check_fails_fn fails,
                  void *arg, size_t **out, size_t *outn);

#endif
