/* ch07_alloc_declared.c - chapter 7's reader, trusting a declared length.
 *
 * Chapter 7 opens with the test of a string that claims 2^62 bytes failing
 * against the obvious reader, which allocates the declared length before
 * reading a byte.  This file makes that failure real: it compiles
 * src/rdb_reader.c unchanged except for its growth step, set so large that
 * read_into() reserves the whole declared length at once.
 * `make broken-ch07_alloc_declared` links it with chapter 7's suites in
 * place of the library's rdb_reader.o.
 *
 * Why it is wrong: the length comes from the file, so a corrupt or hostile
 * file chooses how much memory the replica asks for.
 * Never built into the library; only for docs/transcripts.
 */
#include <stdint.h>

#define RDB_GROW_STEP SIZE_MAX      /* the bug: one step of any size */
#include "rdb_reader.c"
