/* counter_ex.c - exercise 9.2: INCR, DECR, INCRBY, DECRBY (see counter_ex.h). */
#include "counter_ex.h"

/* Starter: every handler refuses.  Write one helper that adds a delta to
 * the key of argument 1, and four handlers that call it. */
static int unwritten(cmd_ctx *c)
{
    return cmd_error(c, "ERR exercise 9.2: write the %s handler in "
                        "exercises/ch09/counter_ex.c", c->spec->name);
}

const cmd_spec ex_counter_table[] = {
    { "incr", 2, CMD_WRITE, unwritten },
    { "decr", 2, CMD_WRITE, unwritten },
    { "incrby", 3, CMD_WRITE, unwritten },
    { "decrby", 3, CMD_WRITE, unwritten },
    { 0 },
};
