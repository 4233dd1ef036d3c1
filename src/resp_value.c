/* resp_value.c - parsed RESP values: freeing, comparing, naming types.
 * Chapter 6.
 *
 * A resp_value is a plain tree: strings own their bytes, arrays own an
 * array of element structs (not pointers), so a parsed command is a handful
 * of allocations and the tree can be handed from the parser to its user by
 * copying one struct.  Everything here is small and recursive; recursion is
 * bounded by the nesting limit the parser enforces.
 */
#include "resp.h"

#include <stdlib.h>
#include <string.h>

void resp_value_clear(resp_value *v)
{
    if (!v) return;
    if (v->type == RESP_ARRAY)
        for (size_t i = 0; i < v->len; i++) resp_value_clear(&v->elems[i]);
    free(v->elems);
    free(v->str);
    memset(v, 0, sizeof *v);
    v->type = RESP_NULL;
}

bool resp_value_equal(const resp_value *a, const resp_value *b)
{
    if (a->type != b->type) return false;
    switch (a->type) {
    case RESP_SIMPLE:
    case RESP_ERROR:
    case RESP_BULK:
        return a->len == b->len &&
               (a->len == 0 || memcmp(a->str, b->str, a->len) == 0);
    case RESP_INTEGER:
        return a->integer == b->integer;
    case RESP_ARRAY:
        if (a->len != b->len) return false;
        for (size_t i = 0; i < a->len; i++)
            if (!resp_value_equal(&a->elems[i], &b->elems[i])) return false;
        return true;
    case RESP_NULL:
    case RESP_NULL_ARRAY:
        return true;
    }
    return false;
}

const char *resp_type_name(resp_type t)
{
    switch (t) {
    case RESP_SIMPLE:     return "simple string";
    case RESP_ERROR:      return "error";
    case RESP_INTEGER:    return "integer";
    case RESP_BULK:       return "bulk string";
    case RESP_NULL:       return "null bulk string";
    case RESP_ARRAY:      return "array";
    case RESP_NULL_ARRAY: return "null array";
    }
    return "?";
}
