/* ch05_pushdown.c - chapter 5's trie, keeping a failed push-down.
 *
 * Chapter 5 shows its out-of-memory trie test failing against the first
 * set_in_collision(): when a key with another hash reached a collision
 * node, it pushed the node one level down under a new branch and inserted
 * into the branch, and when that insert ran out of memory it returned the
 * failure and left the branch in place.  This file makes that failure real:
 * it compiles src/hamt_edit.c unchanged except for HAMT_UNDO_PUSHDOWN, set
 * to 0 so that the branch is not taken out again.
 * `make broken-ch05_pushdown` links it with chapter 5's suites in place of
 * the library's hamt_edit.o.
 *
 * Why it is wrong: the failed change must leave the private version as it
 * was, and a branch whose only child is a collision node is a shape that no
 * sequence of successful edits makes (hamt_check() rejects it: lookups
 * still work, but equal tries would no longer be equal node for node).
 * Never built into the library; only for docs/transcripts.
 */
#define HAMT_UNDO_PUSHDOWN 0        /* the bug: the branch stays */
#include "hamt_edit.c"
