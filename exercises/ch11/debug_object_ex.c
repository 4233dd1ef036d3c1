/* debug_object_ex.c - exercise 11.1: DEBUG OBJECT (see debug_object_ex.h). */
#include "debug_object_ex.h"

#include <stdio.h>

/* Starter: the right shape with constant fields.  Look the key up
 * (keyspace_get(), expired or not), and fill in the refcount, the encoding
 * (server_object_encoding(), server_object.h) and the serialized length
 * as debug_object_ex.h describes them; check the argument count. */
int ex_debug_object(server_ctx *x)
{
    const value *v = keyspace_get(x->ks, x->db, x->argv[2].str,
                                  x->argv[2].len);
    if (v == NULL)
        return server_error(x, "ERR no such key") == SERVER_REPLIED ? 0 : -1;
    char line[160];
    snprintf(line, sizeof line, "Value at:%p refcount:1 encoding:raw "
             "serializedlength:0 lru:0 lru_seconds_idle:0", (const void *)v);
    return reply_simple(x->out, line);
}
