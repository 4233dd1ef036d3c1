/* counter_ex.h - exercise 9.2: a command family of your own, the counters.
 *
 * INCR, DECR, INCRBY and DECRBY, written as the applier's families are
 * (src/cmd.h): four handlers in one table.  Each one checks everything
 * first (the key's type, the argument, the stored string, the result's
 * range) and only then changes the keyspace, so a command that fails
 * changes nothing; and its failures are Redis's, reply text for reply
 * text.  The rules (redis/redis src/t_string.c, incrDecrCommand()):
 *
 * - a missing key counts as 0; a key of another type is WRONGTYPE;
 * - the stored string and the argument must be 64-bit integers in
 *   Redis's strict form (no spaces, no '+', no leading zeros: cmd_arg_int()
 *   parses an argument that way; the stored string needs the same rule);
 * - a result outside int64_t is "ERR increment or decrement would
 *   overflow", and DECRBY of -9223372036854775808 is refused before any
 *   arithmetic ("ERR decrement would overflow");
 * - the result is stored as its decimal text, and the key keeps its TTL.
 *
 * The tests send every command both to a real redis-server and to your
 * handlers, and compare the replies' errors and the stored values.
 */
#ifndef EX_COUNTER_H
#define EX_COUNTER_H

#include "cmd.h"

/** incr, decr, incrby, decrby; terminated by an entry with a NULL name. */
extern const cmd_spec ex_counter_table[];

#endif
